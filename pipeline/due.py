"""What the office must do today, across every case: `letters due`.

One list of: actions the plans call for, letters planned but not yet drafted, letters drafted
but not recorded as sent, and history steps whose due date has passed with no outcome. Each
item says which case, what to do, for whom, and the date it fell due; the most overdue first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline import actions, kinds
from pipeline.archive.manifest import LetterEntry, Manifest
from pipeline.archive.store import case_folder
from pipeline.case.model import School
from pipeline.dates import days_overdue, long_date
from pipeline.draft import check_case
from pipeline.errors import InvalidInput, Problem
from pipeline.policy import Facts, Plan, sent_step


@dataclass(frozen=True)
class DueItem:
    case_id: str
    what: str
    who: str
    due: date
    overdue_days: int
    kind: str | None = None  # a letter's kind ...
    action: str | None = None  # ... or an action's id
    reference: str | None = None

    def as_json(self) -> dict:
        out: dict = {"case_id": self.case_id, "what": self.what}
        out["kind" if self.kind else "action"] = self.kind or self.action
        out.update(reference=self.reference, due=self.due.isoformat(),
                   overdue_days=self.overdue_days)
        return out


@dataclass
class DueList:
    today: date
    items: list[DueItem]
    problems: list[Problem]

    def as_json(self) -> dict:
        return {"today": self.today.isoformat(), "items": [i.as_json() for i in self.items]}


def _item(case_id: str, what: str, who: str, due: date, today: date, **which) -> DueItem:
    return DueItem(case_id, what, who, due, days_overdue(due, today), **which)


def _letters(plan: Plan, manifest: Manifest, history, today: date) -> list[DueItem]:
    items: list[DueItem] = []
    case_id = plan.case_id

    def sent(entry: LetterEntry) -> bool:
        return sent_step(history, reference=entry.reference, kind=entry.kind,
                         letter_date=date.fromisoformat(entry.letter_date),
                         posts=entry.posts) is not None

    unsent: dict[str, LetterEntry] = {}
    for entry in manifest.letters():  # the newest version of each letter
        unsent[entry.reference] = entry
    unsent = {ref: e for ref, e in unsent.items() if not sent(e)}
    drafted_keys = {e.key for e in unsent.values()}
    for letter in plan.letters:
        if letter.key not in drafted_keys:
            items.append(_item(case_id, f"Draft the {letter.spec.title} "
                               f"({', '.join(letter.posts)}): run make letters", letter.to,
                               today, today, kind=letter.kind))
    waits = {letter.key: letter.send_after for letter in plan.letters}
    for entry in unsent.values():
        drafted = date.fromisoformat(entry.letter_date)
        first = waits.get(entry.key, ())
        after = (" only after: " + "; ".join(actions.BY_ID[a].short.lower() for a in first)
                 + ";") if first else ""
        items.append(_item(case_id, f"Send the {kinds.get(entry.kind).title} drafted on "
                           f"{long_date(drafted)}{after} then record it: letters sent "
                           f"{entry.reference}", entry.recipient, drafted, today,
                           kind=entry.kind, reference=entry.reference))
    return items


def _actions(plan: Plan, facts: Facts, today: date) -> list[DueItem]:
    items: list[DueItem] = []
    for action in plan.actions:
        if action.action == actions.RECORD_OUTCOME.id:
            continue  # listed step by step below
        posts = f" ({', '.join(action.posts)})" if action.posts else ""
        items.append(_item(plan.case_id, f"{action.spec.short}{posts}", "the office", action.due,
                           today, action=action.action))
    for state in facts.steps:
        if state.overdue:
            what = (f"Agreed at {state.words()} to remove by {long_date(state.due)}, still "
                    "live: check, and record what happened" if state.step.outcome == "agreed"
                    else f"No outcome recorded for {state.words()} (due "
                    f"{long_date(state.due)}): record what happened")
            items.append(_item(
                plan.case_id, what, "the office", state.due,
                today, action=actions.RECORD_OUTCOME.id, reference=state.step.reference))
    return items


def due_list(case_paths: Iterable[Path], out_dir: Path, school: School | None, *,
             today: date) -> DueList:
    """Everything due across the cases named, against the archive in `out_dir`."""
    items: list[DueItem] = []
    problems: list[Problem] = []
    review_seen = False
    for path in case_paths:
        try:
            loaded, plan = check_case(path, school, today=today)
        except InvalidInput as exc:
            problems += exc.problems
            continue
        case = loaded.case
        facts = Facts(case, today)
        manifest = Manifest.read(case_folder(out_dir, case.case_id), case.case_id)
        for item in _actions(plan, facts, today) + _letters(plan, manifest, case.history, today):
            if item.action == actions.REVIEW_POLICY.id:
                if review_seen:
                    continue  # one policy for every case: say it once
                review_seen = True
                item = DueItem("", item.what, "the governors", item.due, item.overdue_days,
                               action=item.action)
            items.append(item)
    items.sort(key=lambda i: (-i.overdue_days, i.due, i.case_id, _order(i)))
    return DueList(today, items, problems)


def _order(item: DueItem) -> int:
    if item.action:
        return actions.BY_ID[item.action].priority
    return 100

