"""Example cases the field list and the template lint are read from.

`letters templates fields` and `letters templates check` do not keep a hand-written list of the
fields each letter provides: they build each letter's context for these cases and read the
fields off it. The base case uses most features (a defamatory post about a named teacher,
harassment naming a pupil, a forum post, history, a crime reference); each variant changes it so
that a letter shows fields only some cases give (a notice of complaint for an anonymous poster, a
further police referral, a WhatsApp group). A letter kind's author adds a variant for each such
case, in the list of the kind's recipient.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from typing import Any

from pipeline.case.model import Case
from pipeline.kinds import Kind, Recipient

LETTER_DATE = date(2026, 11, 6)

BASE: dict[str, Any] = {
    "case_id": "BPS-2026-099", "opened": date(2026, 11, 2),
    "poster": {"name": "Mrs Jane Doe", "salutation": "Mrs Doe", "relationship": "parent",
               "address": ["12 Example Road", "Bexton", "WA16 0XX"],
               "email": "jane.doe@example.org", "children": [{"name": "Sam Doe",
                                                               "class": "Year 4"}]},
    "posts": [
        {"id": "P1", "platform": "facebook", "url": "https://www.facebook.com/groups/1/posts/2",
         "handle": "jane.doe.77", "posted": date(2026, 10, 30), "captured": date(2026, 10, 31),
         "captured_by": "Office Manager", "visibility": "public",
         "reach": "Shared 45 times in a group of 2,300 parents.",
         "text": "Mr Teacher at Bexton is a thief & a liar.\nShare this!",
         "concerns": ["defamatory", "names_staff"], "report_reference": "FB-123456",
         "about": [{"role": "staff", "name": "Mr A Teacher",
                    "meaning": "That Mr Teacher steals.", "inaccurate": "All of it.",
                    "wishes": "Mr Teacher has been told and will give a statement."}]},
        {"id": "P2", "platform": "school_forum", "url": "https://forum.example/t/9",
         "posted": date(2026, 11, 5), "text": "Tom Smith in Year 4 is a bully.",
         "concerns": ["harassment", "names_pupil"],
         "about": [{"role": "pupil", "name": "Tom Smith"}]},
    ],
    "history": [{"date": date(2026, 11, 3), "step": "discussion", "outcome": "refused",
                 "by": "Headteacher", "notes": "Declined to remove the post."}],
    "police": {"crime_reference": "CR-1234/26"},
}

Variant = Callable[[dict[str, Any]], dict[str, Any]]


# --- letters to a platform ------------------------------------------------------------------


def _anonymous_poster(case: dict[str, Any]) -> dict[str, Any]:
    """The poster is not known to the school and the teacher has authorised a notice: the
    platform letter gives a notice of complaint (Defamation Act 2013 s5), and the post also
    engages one of the platform's rules."""
    case["poster"]["identified"] = False
    post = case["posts"][0]
    post["concerns"] = ["defamatory", "names_staff", "harassment"]
    post["about"][0].update({"authority": date(2026, 11, 4), "consent_to_disclose": False})
    return case


def _whatsapp_group(case: dict[str, Any]) -> dict[str, Any]:
    """A WhatsApp message in a group with a named admin: the letter goes to the admin."""
    post = case["posts"][0]
    post.update({"platform": "whatsapp", "visibility": "group",
                 "group": {"name": "Year 4 parents", "admin": "Mrs Kelly Ashby"}})
    del post["url"]
    return case


# Variants by the recipient whose letters need them; each takes a copy of BASE and changes it.
VARIANTS: dict[Recipient, list[Variant]] = {
    Recipient.POSTER: [],
    Recipient.PLATFORM: [_anonymous_poster, _whatsapp_group],
    Recipient.POLICE: [],
    Recipient.ADVISERS: [],
}


def base_case() -> Case:
    return Case.model_validate(BASE)


def cases_for(kind: Kind) -> list[Case]:
    """The base case and every variant for the kind's recipient, validated."""
    return [base_case()] + [Case.model_validate(variant(copy.deepcopy(BASE)))
                            for variant in VARIANTS[kind.to]]
