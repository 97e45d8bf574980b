"""What each letter template is given: the context, built from the case, plan and school.

One function per letter kind adds its own fields to the common ones. Dates arrive formatted
("3 November 2026"); post text arrives verbatim, except in letters to third parties (platforms,
police), where every pupil's name is replaced by initials (UK GDPR data minimisation), inside
quoted posts as much as in the school's own words. `letters templates fields` prints these
contexts for a sample case, so the staff guide is generated from this code and cannot drift.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from pipeline.models import Case, HistoryStep, PlannedLetter, Post, School, evidence_path
from pipeline.platforms import platform_info
from pipeline.policy import RULES_BY_KIND, long_date
from pipeline.render import EvidenceImage

THIRD_PARTY_KINDS = frozenset({"host_takedown", "police_referral"})
REMOVE_WITHIN_DAYS = 7

# The policy's own words, quoted by the letters.
OBJECTIVES = {
    "safeguard": "Safeguard pupils, staff, governors, and anyone associated with the school from "
                 "the negative effects of social networking sites;",
    "reputation": "Safeguard the reputation of the School from unwarranted abuse on social "
                  "networking sites;",
}
USES = {
    "allegation": "Making allegations about staff or pupils at the School/cyber-bullying;",
    "complaint": "Making complaints about the School/staff at the School;",
    "defamatory": "Making defamatory statements about the School or staff at the School;",
    "negative": "Posting negative/offensive comments about specific pupils/staff at the School;",
    "racist": "Posting racist comments;",
    "threat": "Posting comments which threaten violence;",
    "personal": "Posting personal information about an individual;",
    "confidential": "Posting confidential information.",
}
USE_FOR_CONCERN = {
    "allegation": "allegation", "cyberbullying": "allegation", "harassment": "allegation",
    "complaint": "complaint", "defamatory": "defamatory", "negative_comment": "negative",
    "names_staff": "negative", "names_pupil": "negative", "grossly_obscene": "negative",
    "racist": "racist", "threat_of_violence": "threat", "personal_information": "personal",
    "confidential_information": "confidential",
}
CONCERN_WORDS = {
    "allegation": "allegations about staff or pupils",
    "cyberbullying": "cyber-bullying",
    "complaint": "a complaint about the school or its staff",
    "defamatory": "statements that appear to be defamatory",
    "negative_comment": "negative or offensive comments about individuals",
    "racist": "racist comments",
    "threat_of_violence": "a threat of violence",
    "personal_information": "personal information about an individual",
    "confidential_information": "confidential information",
    "grossly_obscene": "grossly obscene material",
    "harassment": "harassment",
    "names_staff": "the naming of a member of staff",
    "names_pupil": "the naming of a pupil",
}
ROLE_WORDS = {"staff": "a member of staff", "pupil": "a pupil", "governor": "a governor",
              "school": "the school", "parent": "a parent"}
STEP_WORDS = {"discussion": "discussion", "concern_letter": "letter of concern",
              "warning_letter": "warning letter", "host_takedown": "request to the platform",
              "police_referral": "referral to the police", "legal_referral": "referral to our "
              "legal advisers", "access_restriction": "restriction of access"}
OUTCOME_WORDS = {"agreed": "agreed to remove the material", "refused": "declined to remove it",
                 "no_response": "no response was received", "continued": "further posts followed",
                 "removed": "the material was removed", "pending": "the outcome is awaited"}
NUMBER_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                "ten", "eleven", "twelve"]
SUBJECTS = {
    "concern": "Social media post{s} about the school",
    "warning": "Formal warning: social media post{s} about the school",
    "host_takedown": "Request for removal of content{s_of}",
    "police_referral": "Referral: online posts about {school}",
    "legal_referral": "Request for advice: online posts about {school}",
    "access_restriction": "Restriction of your access to {site}",
}


@dataclass(frozen=True)
class LetterMeta:
    """What the archive decides about a letter before it is rendered."""

    reference: str
    letter_date: date


# --- privacy ----------------------------------------------------------------------------------


def initials(name: str) -> str:
    return "".join(f"{word[0].upper()}." for word in name.split() if word[:1].isalpha())


def pupil_redactor(case: Case):
    """A function replacing every pupil's name, in full or in part, with initials.

    A name is matched whole or as any run of its parts, with spaces or hyphens between them
    ("Oliver-James McKenzie" also as "Oliver James McKenzie", "James McKenzie"), in any case.
    A single part is matched only as names are written (Capitalised or CAPITALS), so "I will"
    stays when a pupil is called Will, and not after a title, so "Mrs Dutton" (an adult) stays.
    """
    multi: dict[str, str] = {}
    single: dict[str, str] = {}
    for name in case.pupils:
        short = initials(name)
        parts = [p for p in re.split(r"[\s-]+", name.strip()) if p]
        for i in range(len(parts)):
            for j in range(i + 1, len(parts) + 1):
                run = parts[i:j]
                if len(run) > 1:
                    multi.setdefault(r"[\s-]+".join(re.escape(p) for p in run), short)
                elif len(run[0]) > 1:
                    for form in (run[0][:1].upper() + run[0][1:], run[0].upper()):
                        single.setdefault(re.escape(form), short)
    if not multi and not single:
        return lambda text: text
    by_length = lambda item: len(item[0])  # noqa: E731 - longest first: whole before parts
    alternatives = [f"(?i:{pattern})" for pattern, _ in sorted(multi.items(), key=by_length,
                                                               reverse=True)]
    alternatives += [_NOT_AFTER_TITLE + pattern for pattern, _ in sorted(
        single.items(), key=by_length, reverse=True)]
    compiled = [(re.compile(p, re.IGNORECASE), short)
                for p, short in sorted(multi.items(), key=by_length, reverse=True)]
    compiled += [(re.compile(p), short)
                 for p, short in sorted(single.items(), key=by_length, reverse=True)]
    pattern = re.compile(r"(?<!\w)(" + "|".join(alternatives) + r")(?!\w)")

    def replace(match: re.Match) -> str:
        found = match.group(1)
        for regex, short in compiled:
            if regex.fullmatch(found):
                return short
        return found

    return lambda text: pattern.sub(replace, text)


_NOT_AFTER_TITLE = "".join(rf"(?<!\b{t} )(?<!\b{t}\. )" for t in ("Mr", "Mrs", "Ms", "Miss",
                                                                     "Dr", "Mx"))


# --- pieces -----------------------------------------------------------------------------------


def _when(value: date | datetime) -> tuple[str, str, str]:
    """(date, time, 'date at time') as the letters print them."""
    if isinstance(value, datetime):
        time = f"{value:%H:%M}"
        return long_date(value), time, f"{long_date(value)} at {time}"
    return long_date(value), "", long_date(value)


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _post(post: Post, redact, case_dir: Path | None) -> dict[str, Any]:
    info = platform_info(post.platform, post.platform_name)
    posted, posted_time, posted_full = _when(post.posted)
    captured_full = _when(post.captured)[2] if post.captured else ""
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
        "text": redact(post.text.removesuffix("\n")), "concerns": concerns, "concerns_text": _join(concerns),
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


def _history(step: HistoryStep) -> dict[str, str]:
    return {"date": long_date(step.date), "step": STEP_WORDS[step.step],
            "outcome": OUTCOME_WORDS[step.outcome], "by": step.by or "", "notes": step.notes or ""}


def _uses(posts: list[Post]) -> list[str]:
    keys = dict.fromkeys(USE_FOR_CONCERN[c] for p in posts for c in p.concerns)
    return [USES[k] for k in USES if k in keys]


def _school(school: School) -> dict[str, Any]:
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


# --- the context ------------------------------------------------------------------------------


def build_context(letter: PlannedLetter, case: Case, school: School, meta: LetterMeta,
                  case_dir: Path | None = None) -> dict[str, Any]:
    """Everything a template for `letter.kind` may use (see `letters templates fields`)."""
    third_party = letter.kind in THIRD_PARTY_KINDS
    redact = pupil_redactor(case) if third_party else (lambda text: text)
    posts = [case.post(pid) for pid in letter.posts]
    post_ctx = [_post(p, redact, case_dir) for p in posts]
    plural = len(posts) > 1
    ctx: dict[str, Any] = {
        "school": _school(school),
        "signatory": {"name": school.signatory.name, "role": school.signatory.role},
        "letter": {
            "reference": meta.reference, "date": long_date(meta.letter_date), "kind": letter.kind,
            "subject": "", "enclosures": [],
            "remove_by": long_date(meta.letter_date + timedelta(days=REMOVE_WITHIN_DAYS)),
        },
        "recipient": {"name": letter.to, "lines": [], "dear": "Sir or Madam"},
        "poster": {"name": case.poster.name, "dear": case.poster.dear,
                   "salutation": case.poster.dear,
                   "relationship": case.poster.relationship, "email": case.poster.email or ""},
        "case": {"case_id": case.case_id, "opened": long_date(case.opened)},
        "posts": post_ctx,
        "policy_uses": _uses(posts),
        "objectives": list(OBJECTIVES.values()),
        "history": [_history(s) for s in case.history],
        "clauses": list(letter.clauses),
        "reasons": [redact(r) for r in letter.reasons],
    }
    if letter.kind in ("concern", "warning", "access_restriction"):
        ctx["recipient"] = {"name": case.poster.name, "lines": list(case.poster.address or []),
                            "dear": case.poster.dear}
    builder = _KIND_BUILDERS.get(letter.kind)
    if builder:
        builder(ctx, letter, case, school, meta, posts, redact, case_dir)
    site = ctx.get("restriction", {}).get("site", "")
    platform_label = post_ctx[0]["platform"] if post_ctx else ""
    ctx["letter"]["subject"] = SUBJECTS[letter.kind].format(
        s="s" if plural else "", s_of=f" on {platform_label}", site=site, school=school.name)
    return ctx


def _warning(ctx, letter, case, school, meta, posts, redact, case_dir) -> None:
    ctx["previous"] = [_previous(step, case) for step in case.history]
    next_kinds = ["host_takedown", "police_referral", "legal_referral"]
    if any(not p.external for p in posts):
        next_kinds.append("access_restriction")
    ctx["next_steps"] = [RULES_BY_KIND[k].clauses[-1] for k in next_kinds] + [
        "Take other legal action against the individual."]


TITLES = ("Mr", "Mrs", "Ms", "Miss", "Dr", "Mx")


def _person(by: str | None) -> str:
    """'Mrs Carter' as written; a role such as 'Headteacher' becomes 'the Headteacher'."""
    if not by:
        return "the school"
    return by if by.split()[0].rstrip(".") in TITLES else f"the {by}"


def dear(name: str) -> str:
    """'Ms Priya Shah' -> 'Ms Shah': how a letter to a named person opens."""
    words = name.split()
    if len(words) > 2 and words[0].rstrip(".") in TITLES:
        return f"{words[0]} {words[-1]}"
    return name


def _previous(step: HistoryStep, case: Case) -> str:
    who = _person(step.by)
    action = {
        "discussion": f"{who} discussed the matter with you",
        "concern_letter": f"{who} wrote to you to express the school's concern",
        "warning_letter": f"{who} wrote to you with a formal warning",
        "host_takedown": f"{who} asked the platform to remove the material",
        "police_referral": f"{who} referred the matter to the police",
        "legal_referral": f"{who} sought legal advice",
        "access_restriction": f"{who} restricted your access to the school's site",
    }[step.step]
    outcome = {
        "agreed": "you agreed to remove the material", "refused": "you declined to remove it",
        "no_response": "we received no response", "continued": "further posts followed",
        "removed": "the material was removed", "pending": "the outcome is awaited",
    }[step.outcome]
    return f"On {long_date(step.date)}, {action}; {outcome}."


def _host_takedown(ctx, letter, case, school, meta, posts, redact, case_dir) -> None:
    post = posts[0]
    info = platform_info(post.platform, post.platform_name)
    ctx["platform"] = {"label": info.label, "operator": info.operator,
                       "rules_name": info.rules_name, "rules": list(info.rules),
                       "route": info.route(defamatory="defamatory" in
                                           {c for p in posts for c in p.concerns})}
    ctx["recipient"] = {"name": f"Legal and abuse team, {info.operator}", "lines": [],
                        "dear": "Sir or Madam"}
    harms = []
    concerns = {c for p in posts for c in p.concerns}
    if concerns & {"allegation", "cyberbullying", "harassment", "negative_comment", "names_staff",
                   "names_pupil"}:
        harms.append("It targets identifiable people at a primary school with abusive or "
                     "unfounded allegations, which is bullying and harassment under your rules.")
    if "names_pupil" in concerns:
        harms.append("It identifies a child of primary school age, who is entitled to particular "
                     "protection; we refer to the child by initials only.")
    if concerns & {"personal_information", "confidential_information"}:
        harms.append("It publishes personal or confidential information about an individual "
                     "without their consent.")
    if "racist" in concerns:
        harms.append("It contains racist content directed at a family in our school community.")
    if "threat_of_violence" in concerns:
        harms.append("It threatens violence against an identifiable person.")
    if "grossly_obscene" in concerns:
        harms.append("It contains grossly obscene material.")
    if "defamatory" in concerns:
        harms.append("It makes false statements of fact that damage the reputation of a named "
                     "member of staff (see the notice of complaint below).")
    if not harms:
        harms.append("It causes distress to members of our school community.")
    ctx["harms"] = harms
    consent = case.consent_to_disclose
    if consent is None:
        consent = school.consent_to_disclose
    notices = []
    for p in posts:
        if "defamatory" not in p.concerns:
            continue
        for person in p.about:
            if person.role not in ("staff", "governor") or not person.name:
                continue
            notices.append({
                "complainant": person.name, "email": school.notices_email,
                "statement": redact(p.text.removesuffix("\n")), "post_id": p.id, "url": p.url or "",
                "meaning": redact(person.meaning or "That the complainant is guilty of the "
                                  "misconduct the statement describes."),
                "inaccurate": redact(person.inaccurate or "The statement as a whole is factually "
                                     "inaccurate."),
                "consent": bool(consent),
                "consent_text": (f"{person.name} consents to your giving the poster their name "
                                 "and the email address above." if consent else
                                 f"{person.name} does not consent to your giving the poster their "
                                 "name or email address."),
            })
    ctx["notices"] = notices
    ctx["any_defamatory"] = bool(notices)


def _police(ctx, letter, case, school, meta, posts, redact, case_dir) -> None:
    force = (case.police.force if case.police and case.police.force else school.police_force)
    crime = case.police.crime_reference if case.police and case.police.crime_reference else ""
    ctx["police"] = {"force": force, "crime_reference": crime}
    ctx["recipient"] = {"name": force, "lines": [], "dear": "Sir or Madam"}
    concerns = {c for p in posts for c in p.concerns}
    harassment_posts = [p for p in posts if "harassment" in p.concerns]
    occasions = len({p.posted if not isinstance(p.posted, datetime) else p.posted.date()
                     for p in harassment_posts} or {p.posted for p in posts})
    offences = []
    if "threat_of_violence" in concerns:
        offences.append("A post threatens violence against an identifiable person (Malicious "
                        "Communications Act 1988 s1; Online Safety Act 2023 s181, threatening "
                        "communications).")
    if "racist" in concerns:
        offences.append("A post has a racial element (Crime and Disorder Act 1998 ss28 and 32, "
                        "racially or religiously aggravated offences).")
    if "grossly_obscene" in concerns:
        offences.append("A post is grossly offensive or obscene (Malicious Communications Act "
                        "1988 s1; Communications Act 2003 s127).")
    if "harassment" in concerns:
        count = NUMBER_WORDS[occasions] if occasions < len(NUMBER_WORDS) else str(occasions)
        if occasions >= 2:
            offences.append("Harassment: the posts repeatedly target identifiable people "
                            f"({count} occasions so far), which may be a course of conduct "
                            "under the Protection from Harassment Act 1997 s2.")
        else:
            offences.append("The post is part of what the school considers harassment; so far it "
                            "has recorded one occasion, and a course of conduct under the "
                            "Protection from Harassment Act 1997 needs two or more.")
    if not offences:
        offences.append("The school has decided to report these posts so that the police can "
                        "consider whether an offence has been committed.")
    ctx["offences"] = offences
    ctx["occasions"] = NUMBER_WORDS[occasions] if occasions < len(NUMBER_WORDS) else str(occasions)
    ctx["course_of_conduct"] = occasions >= 2 and bool(harassment_posts)
    ctx["evidence"] = [{
        "id": pc["id"], "posted_full": pc["posted_full"], "platform": pc["platform"],
        "url": pc["url"] or "(no web address: private messaging)", "handle": pc["handle"],
        "text": pc["text"],
        "captured": ", ".join(x for x in (pc["captured_by"], pc["captured_full"]) if x),
        "screenshot": pc["evidence"], "status": pc["status"],
        "report_reference": pc["report_reference"], "crime_reference": crime,
        "image": evidence_image(post, case_dir),
    } for pc, post in zip(ctx["posts"], posts)]


def _legal(ctx, letter, case, school, meta, posts, redact, case_dir) -> None:
    advisers = school.legal_advisers
    ctx["advisers"] = {"name": advisers.name, "firm": advisers.firm,
                       "address": list(advisers.address), "email": advisers.email}
    ctx["recipient"] = {"name": f"{advisers.name}, {advisers.firm}",
                        "lines": list(advisers.address), "dear": dear(advisers.name)}
    # The history has its own section in the letter; the facts are the posts themselves.
    ctx["facts"] = [f"{p['id']}: posted on {p['platform']} on {p['posted_full']} by "
                    f"{case.poster.name}; it contains {p['concerns_text']}."
                    for p in ctx["posts"]]
    ctx["questions"] = [
        ("Whether the statements are defamatory of the member of staff concerned, including "
        "whether they have caused or are likely to cause serious harm to their reputation "
        "(Defamation Act 2013 s1)."),
        ("Whether the school or the member of staff should send a letter before claim to the "
        "poster, and in what terms."),
        ("Whether the poster's conduct amounts to harassment under the Protection from "
        "Harassment Act 1997, and what remedies are available."),
        "What the school should say to the platform and to the member of staff in the meantime.",
    ]
    ctx["letter"]["enclosures"] = [f"Bundle for case {case.case_id} (its index lists every "
                                   "file with its SHA-256)"]
    ctx["enclosures"] = [
        "the letters drafted so far in this case, with PDF copies where made",
        "a chronology of the posts and of the steps the school has taken",
        "the evidence log, with the screenshots the school holds",
        "the case record and the manifest of letters, with the SHA-256 of each file",
    ]


def _access(ctx, letter, case, school, meta, posts, redact, case_dir) -> None:
    sites = {p.platform for p in posts}
    site = (school.forum_name or "the school's online forum") if "school_forum" in sites \
        else "the school website"
    ctx["restriction"] = {
        "start": long_date(meta.letter_date), "period": "one school term",
        "review_by": long_date(meta.letter_date + timedelta(days=28)), "site": site,
        "how_to_review": (f"Please write to the Headteacher at {school.email} or at the "
                          "school's address, giving your reasons; the Headteacher will reply "
                          "within ten school days."),
    }


_KIND_BUILDERS = {"warning": _warning, "host_takedown": _host_takedown,
                  "police_referral": _police, "legal_referral": _legal,
                  "access_restriction": _access}
