"""Each letter kind's own context: the fields its template uses beyond the common ones.

A builder is attached to its registry entry with `@kinds.<KIND>.builds` and is called by
letter/context.py as `build(ctx, source)` after the common fields are in place.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pipeline import kinds
from pipeline.case.model import HistoryStep, Post
from pipeline.dates import add_working_days, day_of, long_date
from pipeline.kinds import Recipient
from pipeline.letter.parts import LetterSource, evidence_image
from pipeline.letter.redact import REDACTION_NOTE
from pipeline.letter.words import dear, join, number, person
from pipeline.platforms import platform_info
from pipeline.policy import OTHER_LEGAL_ACTION, RULES, RULES_BY_KIND

# --- to the poster ------------------------------------------------------------------------------

OUTCOME_TO_POSTER = {
    "agreed": "you agreed to remove the material", "refused": "you declined to remove it",
    "no_response": "we received no response", "continued": "further posts followed",
    "removed": "the material was removed", "pending": "the outcome is awaited",
}


def _previous(step: HistoryStep) -> str:
    who = person(step.by)
    action = (f"{who} discussed the matter with you" if step.step == kinds.DISCUSSION
              else f"{who} {kinds.BY_STEP[step.step].done}")
    return f"On {long_date(step.date)}, {action}; {OUTCOME_TO_POSTER[step.outcome]}."


@kinds.WARNING.builds
def _warning(ctx: dict[str, Any], src: LetterSource) -> None:
    ctx["previous"] = [_previous(step) for step in src.case.history]
    # The steps the policy lists after a warning: those beyond the poster, and restricting
    # access when a post is on the school's own site.
    next_rules = [rule for rule in RULES if rule.kind.to is not Recipient.POSTER]
    if any(not p.external for p in src.posts):
        next_rules.append(RULES_BY_KIND[kinds.ACCESS_RESTRICTION.name])
    ctx["next_steps"] = [rule.clauses[-1] for rule in next_rules] + [OTHER_LEGAL_ACTION]


@kinds.ACCESS_RESTRICTION.builds
def _access(ctx: dict[str, Any], src: LetterSource) -> None:
    school, day = src.school, src.meta.letter_date
    on_forum = any(p.platform == "school_forum" for p in src.posts)
    site = (school.forum_name or "the school's online forum") if on_forum else "the school website"
    ctx["restriction"] = {
        "start": long_date(day), "period": "one school term",
        "review_by": long_date(day + timedelta(days=28)), "site": site,
        "how_to_review": (f"Please write to the Headteacher at {school.email} or at the "
                          "school's address, giving your reasons; the Headteacher will reply "
                          "within ten school days."),
    }


# --- to a platform ------------------------------------------------------------------------------

# Why a post breaks a platform's rules, by the concerns that show it.
_HARMS: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"allegation", "cyberbullying", "harassment", "negative_comment", "names_staff",
                "names_pupil"}),
     "It targets identifiable people at a primary school with abusive or unfounded allegations, "
     "which is bullying and harassment under your rules."),
    (frozenset({"names_pupil"}),
     "It identifies a child of primary school age, who is entitled to particular protection; "
     "we refer to the child by initials only."),
    (frozenset({"personal_information", "confidential_information"}),
     "It publishes personal or confidential information about an individual without their "
     "consent."),
    (frozenset({"racist"}),
     "It contains racist content directed at a family in our school community."),
    (frozenset({"threat_of_violence"}), "It threatens violence against an identifiable person."),
    (frozenset({"grossly_obscene"}), "It contains grossly obscene material."),
    (frozenset({"defamatory"}),
     "It makes false statements of fact that damage the reputation of a named member of staff "
     "(see the notice of complaint below)."),
)


def _concerns(posts: list[Post]) -> set[str]:
    return {c for p in posts for c in p.concerns}


def _notices(src: LetterSource) -> list[dict[str, Any]]:
    """A notice of complaint for each named member of staff a defamatory post is about."""
    consent = src.case.consent_to_disclose
    if consent is None:
        consent = src.school.consent_to_disclose
    notices = []
    for p in src.posts:
        if "defamatory" not in p.concerns:
            continue
        for who in p.about:
            if who.role not in ("staff", "governor") or not who.name:
                continue
            statement, changed = src.redact.quote(p.text.removesuffix("\n"))
            complainant = src.redact(who.name)
            notices.append({
                "complainant": complainant, "email": src.school.notices_email,
                "statement": statement, "post_id": p.id,
                "redacted": changed, "redaction_note": REDACTION_NOTE if changed else "",
                "url": p.url or "",
                "meaning": src.redact(who.meaning or "That the complainant is guilty of the "
                                      "misconduct the statement describes."),
                "inaccurate": src.redact(who.inaccurate or "The statement as a whole is "
                                         "factually inaccurate."),
                "consent": bool(consent),
                "consent_text": (f"{complainant} consents to your giving the poster their name "
                                 "and the email address above." if consent else
                                 f"{complainant} does not consent to your giving the poster "
                                 "their name or email address."),
            })
    return notices


@kinds.HOST_TAKEDOWN.builds
def _host_takedown(ctx: dict[str, Any], src: LetterSource) -> None:
    post = src.posts[0]
    info = platform_info(post.platform, post.platform_name)
    concerns = _concerns(src.posts)
    # A site's name (platform: other) is case text; the platform directory's words are not.
    redact = src.redact if post.platform_name else (lambda text: text)
    ctx["platform"] = {"label": redact(info.label), "operator": redact(info.operator),
                       "rules_name": info.rules_name, "rules": list(info.rules),
                       "route": redact(info.route(defamatory="defamatory" in concerns))}
    ctx["recipient"] = {"name": f"Legal and abuse team, {ctx['platform']['operator']}",
                        "lines": [], "dear": "Sir or Madam"}
    ctx["harms"] = [text for shown_by, text in _HARMS if concerns & shown_by] or [
        "It causes distress to members of our school community."]
    ctx["notices"] = _notices(src)
    ctx["any_defamatory"] = bool(ctx["notices"])


# --- to the police ------------------------------------------------------------------------------

_OFFENCES: tuple[tuple[str, str], ...] = (
    ("threat_of_violence",
     "A post threatens violence against an identifiable person (Malicious Communications Act "
     "1988 s1; Online Safety Act 2023 s181, threatening communications)."),
    ("racist",
     "A post has a racial element (Crime and Disorder Act 1998 ss28 and 32, racially or "
     "religiously aggravated offences)."),
    ("grossly_obscene",
     "A post is grossly offensive or obscene (Malicious Communications Act 1988 s1; "
     "Communications Act 2003 s127)."),
)


def _harassment(occasions: int) -> str:
    if occasions >= 2:
        return ("Harassment: the posts repeatedly target identifiable people "
                f"({number(occasions)} occasions so far), which may be a course of conduct "
                "under the Protection from Harassment Act 1997 s2.")
    return ("The post is part of what the school considers harassment; so far it has recorded "
            "one occasion, and a course of conduct under the Protection from Harassment Act "
            "1997 needs two or more.")


@kinds.POLICE_REFERRAL.builds
def _police(ctx: dict[str, Any], src: LetterSource) -> None:
    case, posts = src.case, src.posts
    force = src.redact(case.police.force if case.police and case.police.force
                       else src.school.police_force)
    crime = src.redact(case.police.crime_reference if case.police and case.police.crime_reference
                       else "")
    ctx["police"] = {"force": force, "crime_reference": crime}
    ctx["recipient"] = {"name": force, "lines": [], "dear": "Sir or Madam"}
    concerns = _concerns(posts)
    harassment_posts = [p for p in posts if "harassment" in p.concerns]
    occasions = len({day_of(p.posted) for p in harassment_posts or posts})
    offences = [text for concern, text in _OFFENCES if concern in concerns]
    if "harassment" in concerns:
        offences.append(_harassment(occasions))
    ctx["offences"] = offences or [
        "The school has decided to report these posts so that the police can consider whether "
        "an offence has been committed."]
    ctx["occasions"] = number(occasions)
    ctx["course_of_conduct"] = occasions >= 2 and bool(harassment_posts)
    ctx["evidence"] = [{
        "id": pc["id"], "posted_full": pc["posted_full"], "platform": pc["platform"],
        "url": pc["url"] or "(no web address: private messaging)", "handle": pc["handle"],
        "text": pc["text"], "redacted": pc["redacted"], "redaction_note": pc["redaction_note"],
        "captured": ", ".join(x for x in (pc["captured_by"], pc["captured_full"]) if x),
        "screenshot": pc["evidence"], "status": pc["status"],
        "report_reference": pc["report_reference"], "crime_reference": crime,
        "image": evidence_image(post, src.case_dir, src.redact),
    } for pc, post in zip(ctx["posts"], posts)]


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


# --- barring from the premises ------------------------------------------------------------------


@kinds.PREMISES_NOTICE.builds
def _premises(ctx: dict[str, Any], src: LetterSource) -> None:
    day = src.meta.letter_date
    respond_by = src.letter.spec.respond_by_date(day, urgent=False) or day
    children = [c.name.split()[0] for c in src.case.poster.children]
    threats = [p.id for p in src.posts if "threat_of_violence" in p.concerns]
    # Only what the case records (the posts' own concerns) and the decision itself.
    reason = (f"The post{'s' if len(threats) > 1 else ''} quoted above "
              f"threaten{'' if len(threats) > 1 else 's'} violence against people at the school. "
              if threats else "")
    reason += ("Staff and pupils must be able to come to school without fear, and I have "
               "decided that this step is needed to keep them safe.")
    ctx["premises"] = {
        "start": long_date(day),
        "reason": reason,
        "decision_by": long_date(add_working_days(respond_by, 5)),
        "children": bool(children),
        "children_names": join(children),
        "children_word": "children" if len(children) > 1 else "child",
        "they": "they" if len(children) > 1 else "your child",
        "them": "them",
    }
