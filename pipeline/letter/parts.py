"""The pieces every letter's context is made of, and what a kind's builder is given.

Dates arrive formatted ("3 November 2026"); post text arrives verbatim, except in letters to
third parties, where the `redact` function replaces every pupil's name with initials.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pipeline.case.load import evidence_path
from pipeline.case.model import Case, HistoryStep, Post, School
from pipeline.dates import long_date, uk_time
from pipeline.docx.images import EvidenceImage
from pipeline.letter.words import (
    CONCERN_WORDS,
    OUTCOME_WORDS,
    ROLE_WORDS,
    USE_FOR_CONCERN,
    USES,
    join,
)
from pipeline.platforms import platform_info
from pipeline.policy import PlannedLetter, step_words


@dataclass(frozen=True)
class LetterMeta:
    """What the archive decides about a letter before it is rendered."""

    reference: str
    letter_date: date


@dataclass(frozen=True)
class LetterSource:
    """Everything a kind's context builder may read about the letter it builds."""

    letter: PlannedLetter
    case: Case
    school: School
    meta: LetterMeta
    posts: list[Post]
    redact: Callable[[str], str]
    case_dir: Path | None


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


def post_fields(post: Post, redact: Callable[[str], str]) -> dict[str, Any]:
    info = platform_info(post.platform, post.platform_name)
    posted, posted_time, posted_full = when_fields(post.posted)
    captured_full = when_fields(post.captured)[2] if post.captured else ""
    concerns = [CONCERN_WORDS[c] for c in post.concerns]
    about = [f"{redact(a.name)} ({ROLE_WORDS[a.role]})" if a.name else ROLE_WORDS[a.role]
             for a in post.about]
    return {
        "id": post.id, "platform": info.label, "url": post.url or "", "handle": post.handle or "",
        "posted": posted, "posted_time": posted_time, "posted_full": posted_full,
        "captured_full": captured_full, "captured_by": post.captured_by or "",
        "visibility": {"public": "public", "group": "a group",
                       "private": "private"}[post.visibility],
        # The block scalar's closing line break is YAML's, not the poster's.
        "text": redact(post.text.removesuffix("\n")), "concerns": concerns,
        "concerns_text": join(concerns),
        "about": about, "status": post.status, "evidence": post.evidence or "",
        "report_reference": post.report_reference or "", "serious": post.serious,
        "defamatory": "defamatory" in post.concerns,
    }


def evidence_image(post: Post, case_dir: Path | None) -> EvidenceImage | str:
    """The post's screenshot, ready to place in a letter, or "" when it has none."""
    if not post.evidence or case_dir is None:
        return ""
    data = evidence_path(case_dir, post.evidence).read_bytes()
    return EvidenceImage(data, f"Screenshot of {post.id} ({post.evidence})")


def history_fields(step: HistoryStep) -> dict[str, str]:
    return {"date": long_date(step.date), "step": step_words(step.step),
            "outcome": OUTCOME_WORDS[step.outcome], "by": step.by or "", "notes": step.notes or ""}


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
