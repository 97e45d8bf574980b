"""What each letter template is given: the context, built from the case, plan and school.

The common fields come first; then the kind's own builder (letter/to_<recipient>.py, attached
to the registry entry) adds its fields. In letters to third parties every piece of case text passes
through the Redactor (letter/redact.py): pupils' names become bracketed initials; URLs, ids and
the school's own words are left as they are. `letters templates fields` prints these contexts
for a sample case, so the staff guide is generated from this code and cannot drift.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from pipeline.case.model import Case, School
from pipeline.dates import long_date
from pipeline.kinds import Recipient
from pipeline.letter import (  # noqa: F401  (each attaches its kinds' builders)
    to_advisers,
    to_platform,
    to_police,
    to_poster,
)
from pipeline.letter.parts import (
    ArchivedLetter,
    LetterMeta,
    LetterSource,
    Sibling,
    history_fields,
    policy_uses,
    post_fields,
    school_fields,
)
from pipeline.letter.redact import Redactor
from pipeline.policy import Plan, PlannedLetter
from pipeline.words import OBJECTIVES

__all__ = ["LetterMeta", "build_context"]


def build_context(letter: PlannedLetter, case: Case, school: School, meta: LetterMeta,
                  case_dir: Path | None = None, *, plan: Plan | None = None,
                  siblings: tuple[Sibling, ...] = (), archive: tuple[ArchivedLetter, ...] = (),
                  today: date | None = None) -> dict[str, Any]:
    """Everything a template for `letter.kind` may use (see `letters templates fields`).

    `plan` is the whole plan the letter belongs to, `siblings` the other letters drafted with it
    (with their references) and `archive` the letters drafted before, so a letter can say
    truthfully what else the school has done and is doing.
    """
    kind = letter.spec
    redact = Redactor(case, school, third_party=kind.third_party,
                      outgoing=kind.to.leaves_the_school)
    posts = [case.post(pid) for pid in letter.posts]
    post_ctx = [post_fields(p, redact) for p in posts]
    respond_by = kind.respond_by_date(meta.letter_date, urgent=letter.urgent)
    ctx: dict[str, Any] = {
        "school": school_fields(school),
        "signatory": {"name": school.signatory.name, "role": school.signatory.role},
        "letter": {
            "reference": meta.reference, "date": long_date(meta.letter_date), "kind": kind.name,
            "subject": "", "enclosures": [],
            "respond_by": long_date(respond_by) if respond_by else "",
            "remove_by": long_date(respond_by) if respond_by else "",  # the older name
            "urgent": letter.urgent, "further": letter.further,
            "marking": kind.to.marking,
        },
        "recipient": {"name": letter.to, "lines": [], "dear": "Sir or Madam"},
        "poster": {"name": redact(case.poster.name), "dear": redact(case.poster.dear),
                   "salutation": redact(case.poster.dear),
                   "relationship": case.poster.relationship,
                   "email": redact(case.poster.email or "")},
        "case": {"case_id": case.case_id, "opened": long_date(case.opened)},
        "posts": post_ctx,
        "policy_uses": policy_uses(posts),
        "objectives": list(OBJECTIVES.values()),
        "history": [history_fields(s, redact) for s in case.history],
        "clauses": list(letter.clauses),
        "reasons": [redact(r) for r in letter.reasons],
    }
    if kind.to is Recipient.POSTER:
        ctx["recipient"] = {"name": case.poster.name, "lines": list(case.poster.address or []),
                            "dear": case.poster.dear}
    if kind.build:
        kind.build(ctx, LetterSource(letter, case, school, meta, posts, redact, case_dir,
                                     plan=plan, siblings=siblings, archive=archive,
                                     today=today))
    # A builder may write the subject itself (it knows what happened); else the kind's line.
    ctx["letter"]["subject"] = ctx["letter"]["subject"] or redact(kind.subject.format(
        s="s" if len(posts) > 1 else "", platform=post_ctx[0]["platform"] if post_ctx else "",
        site=ctx.get("restriction", {}).get("site", ""), school=school.name))
    return ctx
