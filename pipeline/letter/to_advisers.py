"""Letters to the school's legal advisers: the request for advice."""

from __future__ import annotations

from typing import Any

from pipeline import kinds
from pipeline.letter.parts import LetterSource
from pipeline.words import dear

# --- to the legal advisers ----------------------------------------------------------------------

_QUESTIONS = (
    "Whether the statements are defamatory of the member of staff concerned, including whether "
    "they have caused or are likely to cause serious harm to their reputation (Defamation Act "
    "2013 s1).",
    "Whether the school or the member of staff should send a letter before claim to the "
    "poster, and in what terms.",
    "Whether the poster's conduct amounts to harassment under the Protection from Harassment "
    "Act 1997, and what remedies are available.",
    "What the school should say to the platform and to the member of staff in the meantime.",
)


@kinds.LEGAL_REFERRAL.builds
def _legal(ctx: dict[str, Any], src: LetterSource) -> None:
    advisers = src.school.legal_advisers
    ctx["advisers"] = {"name": advisers.name, "firm": advisers.firm,
                       "address": list(advisers.address), "email": advisers.email}
    ctx["recipient"] = {"name": f"{advisers.name}, {advisers.firm}",
                        "lines": list(advisers.address), "dear": dear(advisers.name)}
    # The history has its own section in the letter; the facts are the posts themselves.
    ctx["facts"] = [f"{p['id']}: posted on {p['platform']} on {p['posted_full']} by "
                    f"{src.case.poster.name}; it contains {p['concerns_text']}."
                    for p in ctx["posts"]]
    ctx["questions"] = list(_QUESTIONS)
    ctx["letter"]["enclosures"] = [f"Bundle for case {src.case.case_id} (its index lists every "
                                   "file with its SHA-256)"]
    ctx["enclosures"] = [
        "the letters drafted so far in this case, with PDF copies where made",
        "a chronology of the posts and of the steps the school has taken",
        "the evidence log, with the screenshots the school holds",
        "the case record and the manifest of letters, with the SHA-256 of each file",
    ]
