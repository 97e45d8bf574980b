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

from pipeline import kinds
from pipeline.case.model import Case
from pipeline.kinds import HOST_TAKEDOWN, POLICE_REFERRAL, Kind, Recipient

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


# --- letters to the poster ---------------------------------------------------------------------


def _poster_whatsapp(case: dict[str, Any]) -> dict[str, Any]:
    """A teacher's home address in a WhatsApp group, no history: an urgent warning at once, the
    withdrawal asked for in the group, the group's admin asked to remove it."""
    case["posts"] = [{
        "id": "P1", "platform": "whatsapp", "posted": date(2026, 11, 5), "visibility": "group",
        "text": "Mr Teacher lives at 1 Example Close, go and tell him what you think.",
        "concerns": ["personal_information", "names_staff"],
        "group": {"name": "Year 4 parents", "admin": "Mrs A Admin"},
        "private_details": [{"text": "1 Example Close", "kind": "home address",
                             "person": "Mr A Teacher"}],
        "about": [{"role": "staff", "name": "Mr A Teacher"}]}]
    case["history"], case["police"] = [], None
    return case


def _poster_mild(case: dict[str, Any]) -> dict[str, Any]:
    """A grumble naming a teacher, refused at a meeting: the warning the rules plan is written as
    proportionately as a concern letter, and an override gives its reason."""
    case["posts"] = [{
        "id": "P1", "platform": "facebook", "url": "https://www.facebook.com/jane.doe.77/posts/3",
        "posted": date(2026, 10, 30), "text": "Homework from Mr Teacher is far too much.",
        "concerns": ["complaint", "names_staff"],
        "about": [{"role": "staff", "name": "Mr A Teacher"}, {"role": "school"}]}]
    case["police"] = None
    case["overrides"] = [{"letter": kinds.WARNING.name, "action": "include",
                          "reason": "Mrs Doe has been asked twice and has posted again."}]
    return case


def _poster_criticism(case: dict[str, Any]) -> dict[str, Any]:
    """Criticism of the school naming no one: the concern letter invites the parent to raise it
    directly and asks for nothing to be removed."""
    case["posts"] = [{
        "id": "P1", "platform": "facebook", "url": "https://www.facebook.com/jane.doe.77/posts/4",
        "posted": date(2026, 10, 30), "text": "The school's new lunch times are a shambles.",
        "concerns": ["negative_comment"], "about": [{"role": "school"}]}]
    case["history"], case["police"] = [], None
    return case


def _poster_threat(case: dict[str, Any]) -> dict[str, Any]:
    """A threat by a relative, the police told and content for the school to say so, and a bar
    from the premises decided by override with its end date."""
    case["poster"]["relationship"] = "relative"
    case["poster"]["children"] = [{"name": "Sam Doe", "class": "Year 4"},
                                  {"name": "Ali Doe", "class": "Year 1"}]
    case["posts"] = [{
        "id": "P1", "platform": "x", "url": "https://x.com/janedoe/status/1",
        "posted": date(2026, 11, 5), "text": "Mr Teacher had better watch out at the gate.",
        "concerns": ["threat_of_violence", "names_staff"],
        "about": [{"role": "staff", "name": "Mr A Teacher"}]}]
    case["history"] = []
    case["police"] = {"crime_reference": "CR-1234/26", "force": "Cheshire Constabulary",
                      "told": date(2026, 11, 5), "may_tell_poster": date(2026, 11, 6)}
    case["overrides"] = [{"letter": kinds.PREMISES_NOTICE.name, "action": "include",
                          "reason": "Mr Teacher and the gate staff feel threatened.",
                          "until": date(2027, 2, 12)}]
    return case



# --- the police letter's variants (letter-spec section 6.2) --------------------------------------

_RACIST_P3 = {
    "id": "P3", "platform": "x", "url": "https://x.com/janedoe77/status/1843920571264820736",
    "posted": date(2026, 11, 4), "captured": date(2026, 11, 5), "captured_by": "Headteacher",
    "visibility": "public", "text": "That family again. Go back where you came from.",
    "concerns": ["racist", "harassment"], "evidence": "evidence/BPS-2026-099-P3.png",
    "evidence_redacted": True, "evidence_original": "School office safe, envelope 3",
    "checked": date(2026, 11, 5), "report_reference": "X-778899",
    "about": [{"role": "parent", "name": "Mr and Mrs K Family",
               "wishes": "Mr and Mrs Family want the police to act and will give statements."}]}


def _police_further(case: dict[str, Any]) -> dict[str, Any]:
    """A further referral: an earlier racist post referred (crime reference, incident number,
    officer), a new one about the same family on another day (a course of conduct)."""
    earlier = dict(_RACIST_P3, id="P4", posted=date(2026, 10, 20), captured=date(2026, 10, 20),
                   status="removed", text="That family should go home.", concerns=["racist"],
                   evidence=None, evidence_redacted=False, evidence_original=None,
                   report_reference=None, checked=None, url="https://x.com/janedoe77/status/1")
    case["posts"] = [_RACIST_P3, earlier]
    case["history"] = [
        {"date": date(2026, 10, 21), "step": POLICE_REFERRAL.step, "outcome": "pending",
         "by": "Headteacher", "posts": ["P4"], "reference": "BPS-2026-099/01"},
        {"date": date(2026, 10, 21), "step": HOST_TAKEDOWN.step, "outcome": "removed",
         "by": "Office Manager", "posts": ["P4"], "report_reference": "X-112233"}]
    case["police"] = {"crime_reference": "CR-1234/26", "incident_number": "INC-0042",
                      "told": date(2026, 11, 5), "officer": "PC 1234 Smith",
                      "force": "Cheshire Constabulary"}
    case["actions"] = [{"action": "call_police", "date": date(2026, 11, 5), "by": "Headteacher"},
                       {"action": "tell_dsl", "date": date(2026, 11, 5), "posts": ["P3"]}]
    return case


def _police_single_racist(case: dict[str, Any]) -> dict[str, Any]:
    """One racist post, removed, with no history: Communications Act 2003 s127(1)."""
    case["posts"] = [dict(_RACIST_P3, id="P1", status="removed", concerns=["racist"],
                          evidence=None, evidence_redacted=False, evidence_original=None)]
    case["history"], case["police"] = [], None
    return case


def _police_whatsapp(case: dict[str, Any]) -> dict[str, Any]:
    """A WhatsApp message giving a teacher's home address, referred by the Headteacher's
    decision; the police asked the school to hold its letters to the poster."""
    case["posts"] = [{
        "id": "P1", "platform": "whatsapp", "posted": date(2026, 11, 4),
        "captured": date(2026, 11, 4), "captured_by": "Headteacher", "visibility": "group",
        "text": "Mr Teacher lives at 1 High Street if anyone wants a word.",
        "concerns": ["personal_information", "names_staff"],
        "group": {"name": "Year 4 parents", "admin": "Mrs A Admin"},
        "private_details": [{"text": "1 High Street", "kind": "home address",
                             "person": "Mr A Teacher"}],
        "evidence": "evidence/BPS-2026-099-P1.png",
        "about": [{"role": "staff", "name": "Mr A Teacher"}]}]
    case["history"] = []
    case["police"] = {"hold_letters": True}
    case["overrides"] = [{"letter": POLICE_REFERRAL.name, "action": "include",
                          "reason": "Mr Teacher fears for his safety at home."}]
    case["actions"] = [{"action": "support_staff", "date": date(2026, 11, 5)}]
    return case


def _police_anonymous(case: dict[str, Any]) -> dict[str, Any]:
    """An account the school cannot put a name to, threatening a member of staff."""
    case["poster"] = {"name": "Unknown", "identified": False}
    case["posts"] = [dict(_RACIST_P3, id="P1", concerns=["threat_of_violence"],
                          text="Mr Teacher had better watch himself.",
                          about=[{"role": "staff", "name": "Mr A Teacher"}])]
    case["history"], case["police"] = [], None
    return case

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


# --- the request for legal advice ----------------------------------------------------------------


def _advisers_warning_ignored(case: dict[str, Any]) -> dict[str, Any]:
    """Criticism naming the Headteacher, a formal warning unanswered, a second post after it: the
    request is asked "if the circumstances warrant this", is signed by the Chair of Governors,
    and asks no defamation question."""
    case["posts"] = [
        {"id": "P1", "platform": "instagram", "url": "https://www.instagram.com/p/A1/",
         "handle": "jane_d", "posted": date(2026, 10, 12), "text": "Mrs Carter is a liar.",
         "concerns": ["negative_comment", "allegation", "names_staff"],
         "about": [{"role": "staff", "name": "Mrs H Carter"}]},
        {"id": "P2", "platform": "instagram", "url": "https://www.instagram.com/p/A2/",
         "handle": "jane_d", "posted": date(2026, 11, 1), "text": "Still a liar.",
         "concerns": ["negative_comment", "names_staff"],
         "about": [{"role": "staff", "name": "Mrs H Carter"}]}]
    case["history"] = [
        {"date": date(2026, 10, 14), "step": "discussion", "outcome": "refused",
         "by": "Deputy Headteacher"},
        {"date": date(2026, 10, 20), "step": kinds.WARNING.step, "outcome": "pending",
         "by": "Headteacher", "posts": ["P1"], "method": "post", "reference": "BPS-2026-099/01"}]
    case["police"] = None
    return case


def _advisers_anonymous_harm(case: dict[str, Any]) -> dict[str, Any]:
    """An account the school cannot name alleges harm to a child by a teacher; the LADO was
    consulted and the teacher supported; the Headteacher asks for advice by decision."""
    case["poster"] = {"name": "Unknown", "identified": False}
    case["posts"] = [{
        "id": "P1", "platform": "tiktok", "url": "https://www.tiktok.com/@anon1/video/1",
        "posted": date(2026, 11, 1), "text": "Mr Teacher hurt a child at Bexton.",
        "concerns": ["allegation_of_harm", "allegation", "names_staff"],
        "about": [{"role": "staff", "name": "Mr A Teacher", "inaccurate": "No child was hurt.",
                   "authority": date(2026, 11, 3)}]}]
    case["history"], case["police"] = [], None
    case["actions"] = [{"action": "consult_lado", "date": date(2026, 11, 2), "posts": ["P1"],
                        "notes": "No further action."},
                       {"action": "support_staff", "date": date(2026, 11, 2)}]
    case["overrides"] = [{"letter": kinds.LEGAL_REFERRAL.name, "action": "include",
                          "reason": "Mr Teacher wants to know his options.",
                          "date": date(2026, 11, 4), "by": "Headteacher"}]
    return case


# Variants by the recipient whose letters need them; each takes a copy of BASE and changes it.
VARIANTS: dict[Recipient, list[Variant]] = {
    Recipient.POSTER: [_poster_whatsapp, _poster_mild, _poster_criticism, _poster_threat],
    Recipient.PLATFORM: [_anonymous_poster, _whatsapp_group],
    Recipient.POLICE: [_police_further, _police_single_racist, _police_whatsapp,
                       _police_anonymous],
    Recipient.ADVISERS: [_advisers_warning_ignored, _advisers_anonymous_harm],
}


def base_case() -> Case:
    return Case.model_validate(BASE)


def cases_for(kind: Kind) -> list[Case]:
    """The base case and every variant for the kind's recipient, validated."""
    return [base_case()] + [Case.model_validate(variant(copy.deepcopy(BASE)))
                            for variant in VARIANTS[kind.to]]
