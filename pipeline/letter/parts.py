"""The pieces every letter's context is made of, and what a kind's builder is given.

Dates arrive formatted ("3 November 2026"); post text arrives verbatim, except in letters to
third parties, where the `redact` Redactor (letter/redact.py) writes every pupil's name as
bracketed initials and each post says whether its quote changed (`redacted`, `redaction_note`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pipeline.case.load import evidence_path
from pipeline.case.model import Case, HistoryStep, Post, School
from pipeline.dates import long_date, uk_time
from pipeline.docx.images import EvidenceImage
from pipeline.kinds import Kind
from pipeline.letter.redact import REDACTION_NOTE, Redactor
from pipeline.platforms import platform_info
from pipeline.policy import Facts, Plan, PlannedLetter, step_words
from pipeline.words import (
    CONCERN_WORDS,
    OUTCOME_WORDS,
    ROLE_WORDS,
    USE_FOR_CONCERN,
    USES,
    join,
)


@dataclass(frozen=True)
class LetterMeta:
    """What the archive decides about a letter before it is rendered."""

    reference: str
    letter_date: date


@dataclass(frozen=True)
class ArchivedLetter:
    """A letter drafted earlier in this case, and the history entry that records it as sent."""

    reference: str
    kind: str
    letter_date: date
    posts: tuple[str, ...]
    recipient: str
    sent: HistoryStep | None


@dataclass(frozen=True)
class Sibling:
    """Another letter of the same plan, drafted in the same run, with its reference."""

    letter: PlannedLetter
    reference: str


@dataclass(frozen=True)
class LetterSource:
    """Everything a kind's context builder may read about the letter it builds: the letter, its
    case and school, the whole plan it belongs to (so letters know about each other), the other
    letters of the same run, and the letters drafted before it (with whether they were sent)."""

    letter: PlannedLetter
    case: Case
    school: School
    meta: LetterMeta
    posts: list[Post]
    redact: Redactor
    case_dir: Path | None
    plan: Plan | None = None
    siblings: tuple[Sibling, ...] = ()
    archive: tuple[ArchivedLetter, ...] = ()
    today: date | None = None

    @property
    def kind(self) -> Kind:
        return self.letter.spec

    def same_run(self, kind: Kind) -> list[Sibling]:
        """The other letters of this kind in the same plan."""
        return [s for s in self.siblings if s.letter.kind == kind.name]

    def facts(self) -> Facts:
        """The case as the rules see it on the letter's date (due dates, overdue steps)."""
        return Facts(self.case, self.today or self.meta.letter_date)


def when_fields(value: date | datetime) -> tuple[str, str, str]:
    """(date, time, 'date at time') as the letters print them, in UK time.

    A date-time written with another offset is converted, and the full form names both clocks:
    '31 October 2026 at 04:30 UK time (30 October 2026 at 23:30 UTC−05:00)'; in the hour the
    clocks repeat in October the zone is named ('01:30 BST').
    """
    local = uk_time(value)
    if isinstance(local.when, datetime):
        time = f"{local.when:%H:%M}" + (f" {local.zone}" if local.repeated_hour and local.zone
                                        else "")
        return long_date(value), time, local.words()
    return long_date(value), "", long_date(value)


def post_fields(post: Post, redact: Redactor) -> dict[str, Any]:
    """A post as a letter prints it: in letters to third parties every field but the URL
    through `redact`, and `redacted` true where the quote or the account name changed. In every
    letter that leaves the school the private details the case lists (a home address, a phone
    number) are replaced by a note saying what was removed (`private_removed`)."""
    info = platform_info(post.platform, post.platform_name)
    posted, posted_time, posted_full = when_fields(post.posted)
    captured_full = when_fields(post.captured)[2] if post.captured else ""
    concerns = [CONCERN_WORDS[c] for c in post.concerns]
    about = [redact.person(a, ROLE_WORDS[a.role]) for a in post.about]
    # The block scalar's closing line break is YAML's, not the poster's.
    text, text_changed = redact.quote(post.text.removesuffix("\n"))
    text, private_removed = redact.private(text, post)
    handle, handle_changed = redact.quote(post.handle or "")
    changed = text_changed or handle_changed
    return {
        "id": post.id, "platform": redact(info.label) if post.platform_name else info.label,
        "url": post.url or "", "handle": handle,
        "posted": posted, "posted_time": posted_time, "posted_full": posted_full,
        "captured_full": captured_full, "captured_by": redact(post.captured_by or ""),
        "visibility": {"public": "public", "group": "a group",
                       "private": "private"}[post.visibility],
        "text": text, "concerns": concerns,
        "concerns_text": join(concerns),
        "about": about, "status": post.status, "evidence": redact.screenshot(post),
        "report_reference": redact(post.report_reference or ""), "serious": post.serious,
        "defamatory": "defamatory" in post.concerns,
        "redacted": changed, "redaction_note": REDACTION_NOTE if changed else "",
        "private_removed": private_removed,
        "reach": redact(post.reach or ""),
    }


def evidence_image(post: Post, case_dir: Path | None, redact: Redactor) -> EvidenceImage | str:
    """The post's screenshot, ready to place in a letter, or "" when it has none or this letter
    must not carry it (see Redactor.withholds)."""
    if not post.evidence or case_dir is None or redact.withholds(post):
        return ""
    data = evidence_path(case_dir, post.evidence).read_bytes()
    return EvidenceImage(data, f"Screenshot of {post.id} ({redact.screenshot(post)})")


def history_fields(step: HistoryStep, redact: Redactor) -> dict[str, str]:
    return {"date": long_date(step.date), "step": step_words(step.step),
            "outcome": OUTCOME_WORDS[step.outcome], "by": redact(step.by or ""),
            "notes": redact(step.notes or "")}


def policy_uses(posts: list[Post]) -> list[str]:
    keys = dict.fromkeys(USE_FOR_CONCERN[c] for p in posts for c in p.concerns)
    return [USES[k] for k in USES if k in keys]


def school_fields(school: School) -> dict[str, Any]:
    advisers = school.legal_advisers
    return {
        "name": school.name, "motto": school.motto, "address": list(school.address),
        "address_line": ", ".join(school.address), "telephone": school.telephone,
        "email": school.email, "notices_email": school.notices_email,
        "website": school.website or "", "headteacher": school.headteacher,
        "policy_title": school.policy.title, "policy_reviewed": school.policy.reviewed,
        "policy_next_review": school.policy.next_review, "police_force": school.police_force,
        "forum_name": school.forum_name or "the school's online forum",
        "legal_advisers": {"name": advisers.name, "firm": advisers.firm,
                           "address": list(advisers.address), "email": advisers.email,
                           "telephone": advisers.telephone or ""},
    }
