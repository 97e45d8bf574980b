"""Letters to a platform: the notice asking it to remove content (host takedown), one per platform.

What the letter rests on depends on the case (letter-spec section 5; REFERENCE.md "Website
operators: two kinds of notice"), and it says no more than the case supports:

* the platform's own rules, only those the posts engage (`PlatformEntry.rules_for`), by the
  names the platform publishes (data/platforms.yaml, read through pipeline/directory.py);
* where a post is unlawful on the case's facts (defamatory of a person whose `meaning` is
  recorded, or an offence `offences_for` finds), the hosting rule: the Electronic Commerce (EC
  Directive) Regulations 2002 reg 19 (actual knowledge) with what reg 22 asks a notice to give;
* a notice of complaint under the Defamation Act 2013 s5 only where the poster is anonymous
  (`poster.identified: false`) and for a person who has authorised it (`about[].authority`),
  with the 2013 Regulations' elements and timetable;
* a request to preserve the content and account data whenever the police are involved;
* a post that engages no rule and is not shown to be unlawful is not planned for a platform
  letter at all (policy._host_takedown; the plan's note says why); where the school decides to
  ask all the same (an include override), it is only put to the platform for review, without
  claiming a breach;
* how the letter is sent, by the route each ground goes by (takedown.channels: defamation by
  the legal form, breaches of the rules by the standard report), which the web form text reads
  too; and who signs it: the Chair of Governors when the posts are about the signatory.

A WhatsApp message has no web address and WhatsApp publishes no legal route, so the letter for
WhatsApp goes to the group's admin instead, asking them to delete the message (REFERENCE.md: the
sender can delete a message for everyone only for a short time; ask the admin).

The reading of the case both this letter and the plan's notes rest on is pipeline/takedown.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pipeline import kinds
from pipeline.case.model import Case, Person, Post, School, Signatory
from pipeline.dates import long_date, uk_time
from pipeline.directory import PlatformEntry
from pipeline.kinds import MARKINGS, Recipient
from pipeline.letter.parts import LetterSource
from pipeline.letter.redact import REDACTION_NOTE, Redactor
from pipeline.letter.story import handle_of, is_signatory, keep_together
from pipeline.offences import OffenceMention
from pipeline.policy import Facts, PlannedLetter, police_told
from pipeline.takedown import (
    Notice,
    Reading,
    admin,
    admin_contact,
    channels,
    group_name,
    individuals,
    read,
    reported,
    route_words,
)
from pipeline.words import CONCERN_WORDS, dear, initials, join, number

NOT_QUOTED = ("[The text is not reproduced here because it contains personal information; the "
              "school holds the original.]")
# The 2013 Regulations' timetable, as the solicitor worded it (letter-spec 5.4): the only place
# a platform letter says "48 hours".
TIMETABLE = (
    "For the defence in section 5 to be available to you, the Regulations provide that within "
    "48 hours of receiving this notice (not counting days that are not business days) you notify "
    "the poster that the complaint has been made or, if you cannot contact the poster, remove "
    "the statement. The poster then has until midnight at the end of the fifth day after your "
    "notification to respond. If the poster does not respond, or refuses without giving their "
    "full name and postal address, the Regulations provide that you remove the statement within "
    "48 hours. The Regulations, and the court, may vary this timetable in particular cases.")


# --- people, as a letter to a third party names them ----------------------------------------


def _role_words(person: Person) -> str:
    """'a member of staff at the school'; 'a family at the school' for 'Mr and Mrs ...'."""
    if person.role == "parent" and person.name and " and " in person.name:
        return "a family at the school"
    return {"staff": "a member of staff at the school", "governor": "a governor of the school",
            "pupil": "a pupil at the school", "parent": "a parent at the school",
            "school": "the school"}[person.role]


def _full(person: Person, redact: Redactor) -> str:
    """First mention: 'Mr P Hargreaves, a member of staff at the school'; a pupil by initials."""
    return f"{_named(person, redact)}, {_role_words(person)}"


def _short(person: Person, redact: Redactor) -> str:
    """Later mentions: 'Mr Hargreaves'; a pupil as '[S.F.]'."""
    if not person.name:
        return _role_words(person)
    if person.role == "pupil":
        return f"[{initials(person.name) or '?'}]"
    if " and " in person.name:  # 'Mr and Mrs A Nowak' -> 'Mr and Mrs Nowak'
        words = person.name.split()
        return redact(" ".join([w for w in words[:-1] if len(w.rstrip(".")) > 1] + words[-1:]))
    return redact(dear(person.name))


def _named(person: Person, redact: Redactor) -> str:
    """As recorded ('Mr P Hargreaves'); a pupil by initials."""
    if person.role == "pupil" and person.name:
        return f"[{initials(person.name) or '?'}]"
    return redact(person.name or _role_words(person))


def _possessive(name: str) -> str:
    return f"{name}'s"


# Words a recorded sentence may begin with that read as the middle of ours once lower-cased
# ("The words mean that ...", "untrue: all of the factual claims").
_SENTENCE_STARTS = frozenset({"that", "the", "all", "every", "each", "both", "none", "it", "they",
                              "this", "these", "those", "everything", "most", "some", "any", "a",
                              "an", "he", "she", "his", "her", "their", "nothing", "no"})


def _lower_first(text: str) -> str:
    """A recorded sentence set inside one of ours: its first word lower-cased only when it is an
    ordinary word ('That ...' -> 'that ...'; 'Mr Hargreaves ...' stays)."""
    text = " ".join(text.split())
    first = text.split(" ", 1)[0]
    if first.casefold() in _SENTENCE_STARTS and first[:1].isupper() and first[1:] == first[1:].lower():
        return first[:1].lower() + text[1:]
    return text


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?", "\u201d", '"')) else text + "."


# --- what the letter rests on ---------------------------------------------------------------


def police_involved(facts: Facts, run: Iterable[PlannedLetter]) -> bool:
    """The police are told (a referral or call recorded, a reference), or a referral is in the
    same run."""
    return police_told(facts) or any(l.kind == kinds.POLICE_REFERRAL.name for l in run)


# --- the letter -------------------------------------------------------------------------------


def _where(post: Post, redact: Redactor) -> str:
    if post.visibility == "public":
        return "publicly"
    if post.visibility == "group":
        return f"in the group “{redact(post.group.name)}”" if post.group else "in a group"
    return "to a restricted audience"


# Words a recorded reach may begin with that read as the middle of our sentence once
# lower-cased ("Public post; shared 23 times", "Posted in ...", "Shared 45 times ...").
_REACH_STARTS = frozenset({"public", "posted", "shared", "seen", "viewed", "liked", "reposted",
                           "retweeted", "forwarded", "commented", "closed", "private", "open",
                           "about", "around", "over", "more", "at", "in", "on", "by", "with",
                           "up"}) | _SENTENCE_STARTS
# A first clause that only says again what the letter has just said of the audience.
_SAYS_PUBLIC = frozenset({"public", "public post", "a public post", "posted publicly",
                          "publicly posted", "public on facebook", "public profile"})


def _curly(text: str) -> str:
    """Straight double quotes typed in the office made into the letter's curly ones."""
    out, opening = [], True
    for ch in text:
        if ch == '"':
            out.append("\u201c" if opening else "\u201d")
            opening = not opening
        else:
            out.append(ch)
    return "".join(out)


def reach_label(reach: str | None, redact: Redactor) -> str:
    """A post's recorded reach as the item's 'Reach:' line shows it: one line, curly quotes, a
    capital to begin and a full stop to end."""
    text = _curly(" ".join(redact(reach or "").split()))
    if not text:
        return ""
    return _sentence(text[:1].upper() + text[1:])


def _reach_words(post: Post, redact: Redactor) -> str:
    """The recorded reach set inside a sentence: its first word lower-cased when it is an
    ordinary word, and a first clause that only repeats that the post is public left out."""
    text = _curly(" ".join(redact(post.reach or "").split())).rstrip(".")
    head, _, rest = text.partition(";")
    if post.visibility == "public" and rest.strip() and head.strip().casefold() in _SAYS_PUBLIC:
        text = rest.strip()
    first = text.split(" ", 1)[0]
    if first.casefold() in _REACH_STARTS and first[:1].isupper() and \
            first[1:] == first[1:].lower():
        text = first[:1].lower() + text[1:]
    return text


def _audience(post: Post, redact: Redactor) -> list[str]:
    """The facts about who saw a post, as sentences (serious harm: REFERENCE.md, Defamation)."""
    said = {"public": "The post is public",
            "group": (f"The post was made in the group “{redact(post.group.name)}”"
                      if post.group else "The post was made in a group"),
            "private": "The post was shared with a restricted audience"}[post.visibility]
    reach = _reach_words(post, redact) if post.reach else ""
    return [f"{said}; the school has recorded how far it went: {reach}." if reach
            else f"{said}."]


def _gravity(post: Post, person: Person, redact: Redactor) -> list[str]:
    if "allegation_of_harm" not in post.concerns:
        return []
    works = " against someone who works with children" if person.role in ("staff", "governor") \
        else ""
    return [f"It alleges that {_short(person, redact)} harmed a child, which is among the "
            f"gravest allegations that can be made{works}."]


def _repeated(reading: Reading, person: Person, redact: Redactor, lines: int) -> str:
    """How the posts on one line fit the case's posts about the same person, when the case holds
    posts about them on two or more days (every post in the case, removed ones too): ' and is
    one of two posts about [S.F.] since 30 September 2026' for one post; for several, ' and are
    two of three posts about ...', or ' on two occasions since ...' when they are all of them."""
    if not person.name:
        return ""
    count, days = reading.posts_about(person.name)
    if len(days) < 2:
        return ""
    since = long_date(days[0])
    if lines <= 1:
        return f" and is one of {number(count)} posts about {_short(person, redact)} since {since}"
    if count > lines:
        return (f" and are {number(lines)} of {number(count)} posts about "
                f"{_short(person, redact)} since {since}")
    return f" on {number(len(days))} occasions since {since}"


def _kinds_of(post: Post) -> str:
    kinds_ = list(dict.fromkeys(d.kind for d in post.private_details))
    return join([f"the {k}" for k in kinds_])


def _rule_reason(concern: str, post: Post, reading: Reading, redact: Redactor,
                 lines: int = 1) -> str:
    """What `post` does that breaks a rule, said of the `lines` posts that do the same ('it
    names ...' of one post, 'they name ...' of several). The people are named shortly: each
    item above says who they are."""
    many = lines > 1
    it = "they" if many else "it"

    def verb(singular: str) -> str:
        if not many:
            return singular
        return {"is": "are", "has": "have"}.get(singular) or (
            singular[:-2] if singular.endswith(("shes", "ches", "sses")) else singular[:-1])

    people = individuals(post)
    who = join([_short(a, redact) for a in people]) or "members of our school community"
    if concern in ("harassment", "cyberbullying"):
        if not people:
            return f"{it} {verb('is')} directed at members of our school community"
        repeated = "".join(_repeated(reading, a, redact, lines) for a in people[:1])
        return f"{it} {verb('singles')} out {who} for abuse{repeated}"
    if concern == "names_pupil":
        pupils = [f"[{initials(a.name)}]" for a in people if a.role == "pupil" and a.name]
        child = "a child" if len(pupils) <= 1 else "children"
        said = f"{it} {verb('names')} {child} of primary-school age" + (
            f" ({join(pupils)})" if pupils else "")
        return said + (f" and {verb('makes')} allegations about the "
                       f"{'child' if len(pupils) <= 1 else 'children'}"
                       if "allegation" in post.concerns else "")
    if concern == "racist":
        return f"{it} {verb('contains')} racist remarks about {who}"
    if concern == "threat_of_violence":
        return f"{it} {verb('threatens')} violence against {who}"
    if concern in ("personal_information", "confidential_information"):
        owners = [d.person for d in post.private_details if d.person]
        whose = join([redact(o) for o in dict.fromkeys(owners)]) or who
        what = _kinds_of(post) or ("personal information" if concern == "personal_information"
                                   else "confidential information")
        return f"{it} {verb('publishes')} {what} of {whose} without their consent"
    if concern == "grossly_obscene":
        return f"{it} {verb('is')} obscene"
    if concern == "defamatory":
        see = " (see below)" if reading.defamed.get(post.id) else ""
        return f"{it} {verb('is')} defamatory of {who}{see}"
    return f"{it} {verb('contains')} {CONCERN_WORDS[concern]}"


def _rules(reading: Reading, redact: Redactor) -> list[dict[str, Any]]:
    """Each rule the posts engage, once, with what each post does that breaks it."""
    out: dict[tuple[str, str | None], dict[str, Any]] = {}
    for post in reading.posts:
        for rule, concerns in reading.rules.get(post.id, []):
            # Posts whose reasons read the same of one post share a line.
            same = tuple(dict.fromkeys(_rule_reason(c, post, reading, redact) for c in concerns))
            entry = out.setdefault((rule.name, rule.url),
                                   {"name": rule.name, "url": rule.url or "", "why": {}})
            entry["why"].setdefault(same, []).append((post, concerns))
    # Several posts on one line agree with it: "P1 and P2: they single out [S.F.] ...".
    return [{"name": e["name"], "url": e["url"],
             "lines": [_rule_line(group, reading, redact) for group in e.pop("why").values()]}
            for e in out.values()]


def _rule_line(group: list[tuple[Post, list[str]]], reading: Reading, redact: Redactor) -> str:
    post, concerns = group[0]
    reasons = "; ".join(dict.fromkeys(_rule_reason(c, post, reading, redact, len(group))
                                      for c in concerns))
    return f"{join([p.id for p, _ in group])}: {reasons}."


def _defamation(reading: Reading, redact: Redactor) -> list[str]:
    """Why each defamatory post is unlawful, from the facts the case records."""
    out = []
    for post in reading.posts:
        for person in reading.defamed.get(post.id, []):
            short = _short(person, redact)
            said = [f"{post.id} makes statements of fact about {_full(person, redact)}. The "
                    f"words mean {_sentence(_lower_first(redact(person.meaning or '')))}"]
            if person.authority and person.inaccurate:
                said.append(f"The statements are untrue: "
                            f"{_sentence(_lower_first(redact(person.inaccurate)))}")
            elif person.inaccurate:
                said.append("The school has checked its own records and is satisfied that these "
                            "statements of fact are untrue.")
            said.append(f"The statements have caused, or are likely to cause, serious harm to "
                        f"{_possessive(short)} reputation.")
            said += _audience(post, redact) + _gravity(post, person, redact)
            out.append(" ".join(said))
    return out


def _consent(person: Person, case: Case, school: School) -> bool:
    for said in (person.consent_to_disclose, case.consent_to_disclose):
        if said is not None:
            return said
    return school.consent_to_disclose


def _notice(notice: Notice, src: LetterSource, several: bool) -> dict[str, Any]:
    post, person, redact = notice.post, notice.person, src.redact
    name, short = _named(person, redact), _short(person, redact)
    surname = (person.name or "").split()[-1:]
    names_them = bool(surname) and surname[0].casefold() in post.text.casefold()
    consents = _consent(person, src.case, src.school)
    why = [f"It {'names' if names_them else 'refers to'} {name}, and it is untrue in the "
           "meaning given above (see the parts that are inaccurate, below)."]
    why += _audience(post, redact) + _gravity(post, person, redact)
    fields = [
        ("Name of the complainant",
         f"{name}. {short} has authorised the school to give this notice on their behalf "
         f"(authority given on {long_date(person.authority)})." if person.authority else name),
        ("Email address of the complainant",
         f"{src.school.notices_email}, a school mailbox which {short} has agreed to use for this "
         "complaint."),
        ("The statement complained of, and where it was posted",
         f"{post.id}{f' at {post.url}' if post.url else ''}, quoted above under Item {post.id}."),
        ("The meaning the complainant attributes to it", _sentence(redact(person.meaning or ""))),
        ("Why it is defamatory of the complainant", " ".join(why)),
        ("The parts that are factually inaccurate, or are opinions not supported by fact",
         _sentence(redact(person.inaccurate or ""))),
        ("Information about the poster",
         "The complainant does not have sufficient information about the poster to bring "
         "proceedings against them."),
        ("Consent to disclosure",
         f"The complainant {'consents' if consents else 'does not consent'} to your giving the "
         "poster their name and email address."),
    ]
    heading = "Notice of complaint under section 5 of the Defamation Act 2013"
    if several:
        heading += f": {name}, item {post.id}"
    return {"heading": heading, "complainant": name, "post_id": post.id,
            "fields": [{"label": label, "text": text} for label, text in fields]}


def _item(post: Post, src: LetterSource, reading: Reading) -> dict[str, Any]:
    redact = src.redact
    handle, derived = handle_of(post)
    account = redact(handle) + (" (from the web address)" if derived and handle else "")
    text, changed = redact.quote(post.text.removesuffix("\n"))
    text, private_removed = redact.private(text, post)
    if "personal_information" in post.concerns and not post.private_details:
        text, changed, private_removed = NOT_QUOTED, False, False
    notes = []
    if changed:
        notes.append(REDACTION_NOTE)
    if private_removed:
        notes.append("personal details removed")
    on, reference = reported(src.case, post)
    screenshot = ""
    if post.evidence:
        label = redact.screenshot(post).split(",")[0]
        screenshot = (f"the school holds a screenshot of this item ({label}) and can provide it "
                      "on request")
    people = [f"{_named(a, redact)} ({_role_words(a)})" for a in individuals(post)]
    # Added to (or, for text and report_reference, replacing) the post's common fields.
    return {
        "account": account, "posted_where": f"{uk_time(post.posted).words()}, "
                                             f"{_where(post, redact)}",
        "report_reference": redact(reference), "about_text": join(people),
        "screenshot": screenshot, "text": text, "note": "; ".join(notes),
        "reach": reach_label(post.reach, redact),
        "review": not reading.grounded(post),
    }


def _recipient(reading: Reading, rules_name: str, redact: Redactor) -> dict[str, Any]:
    """The operator, its address, and how the letter is sent: by the route each of its grounds
    goes by (pipeline/takedown.channels, which the web form text reads too)."""
    entry = reading.entry
    operator = redact(entry.operator)
    lines = list(entry.operator_address or []) if entry.is_confirmed("operator_address") else []
    for channel in channels(reading):
        if channel.legal and channel.post and not (channel.url or channel.email):
            lines = lines or list(channel.post)
    return {"name": operator[:1].upper() + operator[1:], "lines": [redact(l) for l in lines],
            "dear": "Sir or Madam", "route": redact(route_words(reading, rules_name))}


def signer(src: LetterSource) -> Signatory:
    """The Chair of Governors when the posts are about the signatory (a person should not be the
    sole voice of a complaint about themselves) [judgement, letter-spec 1.4], as the letters to
    the poster and to the advisers do; else the school's signatory."""
    school = src.school
    chair = school.chair_of_governors
    named = [a.name for p in src.posts for a in p.about if a.name]
    if chair and any(is_signatory(n, school) for n in named):
        as_chair = school.model_copy(update={"signatory": Signatory(name=chair, role="Chair")})
        if not any(is_signatory(n, as_chair) for n in named):
            return Signatory(name=chair, role="Chair of Governors")
    return school.signatory


def _preservation(src: LetterSource, entry: PlatformEntry) -> list[str]:
    facts = src.facts()
    run = _run(src)
    if not police_involved(facts, run):
        return []
    police = src.case.police
    force = (police.force if police and police.force else src.school.police_force)
    told = police_told(facts)
    crime = f" under crime reference {keep_together(police.crime_reference)}" \
        if police and police.crime_reference else ""
    said = [f"This matter {'has been' if told else 'is being'} reported to {force}{crime}. "
            "Please preserve the content listed above, and the data of the account that posted "
            "it, until the police ask you for it. We ask that you do not tell the account holder "
            "about this request while the police consider the matter."]
    route = entry.preservation
    if route.url and not route.unconfirmed:
        said.append(f"We understand that the police can ask you for it through your process for "
                    f"requests from law enforcement ({route.url}).")
    return said


def _run(src: LetterSource) -> list[PlannedLetter]:
    if src.plan is not None:
        return list(src.plan.letters)
    return [src.letter] + [s.letter for s in src.siblings]


def _poster_letter(src: LetterSource, post: Post) -> str:
    """'recorded' or 'run' when a letter asking the poster to remove `post` (a letter of concern
    or a warning) was sent or is in this run; '' when neither."""
    asking = (kinds.CONCERN, kinds.WARNING)
    if any(step.step in {k.step for k in asking} and step.covers(post.id)
           for step in src.case.history):
        return "recorded"
    if any(l.kind in {k.name for k in asking} and post.id in l.posts for l in _run(src)):
        return "run"
    return ""


_GROUP_REASONS = (
    ("threat_of_violence", "threatens violence against {who}"),
    ("racist", "contains racist remarks about {who}"),
    ("personal_information", "publishes {what} of {who}"),
    ("confidential_information", "discloses information that is confidential to {who}"),
    ("allegation_of_harm", "makes serious allegations about {who}"),
    ("defamatory", "makes allegations about {who} which the school does not accept"),
    ("harassment", "singles out {who} personally"),
    ("cyberbullying", "singles out {who} personally"),
    ("names_pupil", "names a child at the school"),
    ("allegation", "makes allegations about {who}"),
    ("grossly_obscene", "contains grossly offensive language"),
    ("names_staff", "criticises {who} personally"),
)
_OUR = {"staff": "a member of our staff", "governor": "one of the school's governors",
        "pupil": "a child at the school", "parent": "a family at the school",
        "school": "the school"}


def _group_reason(post: Post) -> str:
    """Why the message must go, without naming anyone or repeating it (letter-spec 5.6)."""
    people = [a for a in post.about if a.role != "school"] or list(post.about)
    who = join(list(dict.fromkeys(_OUR[a.role] for a in people))) or "members of our school " \
                                                                      "community"
    what = join([f"the {k}" for k in dict.fromkeys(d.kind for d in post.private_details)]) \
        or "personal information"
    for concern, words in _GROUP_REASONS:
        if concern in post.concerns:
            return words.format(who=who, what=what)
    return f"concerns {who}"


def _group_letter(ctx: dict[str, Any], src: LetterSource) -> dict[str, Any]:
    case, school = src.case, src.school
    admins = list(dict.fromkeys(admin(case, p) for p in src.posts))
    names = list(dict.fromkeys(group_name(p) for p in src.posts))
    to = admins[0] if len(admins) == 1 else ""
    the_group = (f"the WhatsApp group “{src.redact(names[0])}”" if len(names) == 1 and names[0]
                 else "a WhatsApp group" if len(names) == 1 else "WhatsApp groups")
    # How the letter reaches the admin: only as the case records it (else the plan's note asks
    # the office to record it).
    lines, email = admin_contact(src.posts[0]) if to else ((), "")
    if to:
        ctx["recipient"] = {"name": src.redact(to), "lines": [src.redact(l) for l in lines],
                            "dear": src.redact(dear(to))}
    else:
        ctx["recipient"] = {"name": f"The admin of {the_group}", "lines": [], "dear": "Sir or Madam"}
    poster = src.redact(case.poster.name) if case.poster.identified else "a member of the group"
    told = []
    for post in src.posts:
        told.append(f"On {uk_time(post.posted).words()} {poster} posted a message in "
                    f"{'the group' if len(names) == 1 else _where(post, src.redact)} that "
                    f"{_group_reason(post)}.")
    many = len(src.posts) > 1
    it = "them" if many else "it"
    withdraw = ""
    asked = {_poster_letter(src, p) for p in src.posts}
    if case.poster.identified and "recorded" in asked:
        withdraw = f"I have written to {poster} asking for {it} to be withdrawn. "
    elif case.poster.identified and "run" in asked:
        withdraw = f"I am also writing to {poster} to ask for {it} to be withdrawn. "
    respond_by = ctx["letter"]["respond_by"]
    return {
        "route": f"By email to {src.redact(email)}" if email else "",
        "opening": (f"I am the {signer(src).role} of {school.name}. I am writing to you as an "
                    f"admin of {the_group}. " + " ".join(told)
                    + f" I have not repeated the message{'s' if many else ''} in this letter."),
        "request": (f"{withdraw}As an admin of the group you can delete "
                    f"{'the messages' if many else 'the message'} for everyone. I should be "
                    f"grateful if you would do so as soon as possible"
                    + (f", and in any event by {respond_by}" if respond_by else "")
                    + f", and ask members of the group not to copy or forward {it}."),
        "contact": (f"Please let the school office know when you have done so, on "
                    f"{keep_together(school.telephone)} or at {school.email}. Please do not share "
                    "this letter."),
    }


def _offences(mentions: list[OffenceMention], ids: list[str]) -> list[str]:
    """Each mention's sentence; the first to rest on a post this letter does not list says so,
    once (the harassment and s32 sentences both rest on the same earlier post)."""
    out, told = [], set()
    for mention in mentions:
        others = [pid for pid in mention.posts if pid not in ids]
        out.append(_offence(mention, ids) if set(others) - told else mention.sentence)
        told |= set(others)
    return out


def _offence(mention: OffenceMention, ids: list[str]) -> str:
    """The offence table's sentence, saying which of its posts this letter does not list."""
    others = [pid for pid in mention.posts if pid not in ids]
    if not others:
        return mention.sentence
    many = len(others) > 1
    return (f"{mention.sentence} {join(others)}, {'earlier posts' if many else 'an earlier post'}"
            f", {'are' if many else 'is'} not listed in this letter.")


def _subject(variant: str, label: str, rules_name: str, group: str) -> str:
    return {"notice": f"Notice of unlawful content on {label} and request for its removal",
            "rules": f"Report of content that breaches your {rules_name}",
            "review": f"Request to review content on {label} against your {rules_name}",
            "group": f"A message in {group}"}[variant]


@kinds.HOST_TAKEDOWN.builds
def _host_takedown(ctx: dict[str, Any], src: LetterSource) -> None:
    reading = read(src.case, src.posts)
    entry, redact, school = reading.entry, src.redact, src.school
    ids = [p.id for p in src.posts]
    # A site's name (platform: other) is case text; the platform directory's words are not.
    label = redact(entry.label)
    rules_name = entry.rules_name or "terms of use"
    variant = reading.variant
    ref = keep_together(ctx["letter"]["reference"])
    many = len(src.posts) > 1
    it = "them" if many else "it"
    for fields, post in zip(ctx["posts"], src.posts):
        fields.update(_item(post, src, reading))
    items = ctx["posts"]
    takedown: dict[str, Any] = {
        "variant": variant, "group_letter": variant == "group", "label": label,
        "rules_name": rules_name, "route": "", "opening": "", "notice_intro": "",
        "pupils_note": "", "rules": [], "defamation": [], "offences": [],
        "hosting": variant == "notice", "not_section5": "", "notices": [], "timetable": "",
        "preservation": [], "request": "", "review": "", "reported": [],
        "youtube_declaration": False, "closing": "Yours faithfully",
        "group": {"opening": "", "request": "", "contact": ""},
    }
    writer = signer(src)
    ctx["signatory"] = {"name": writer.name, "role": writer.role}
    if variant == "group":
        takedown["group"] = _group_letter(ctx, src)
        takedown["route"] = takedown["group"].pop("route")
        names = list(dict.fromkeys(group_name(p) for p in src.posts))
        group = f"the WhatsApp group “{redact(names[0])}”" if len(names) == 1 and names[0] \
            else "a WhatsApp group"
        takedown["subject"] = _subject(variant, label, rules_name, group)
        takedown["closing"] = ("Yours faithfully" if ctx["recipient"]["dear"] == "Sir or Madam"
                               else "Yours sincerely")
        ctx["letter"]["marking"] = MARKINGS[Recipient.POSTER]  # to a person, by name
        ctx["takedown"] = takedown
        return
    recipient = _recipient(reading, rules_name, redact)
    takedown["route"] = recipient.pop("route")
    ctx["recipient"] = recipient
    handles = {handle_of(p)[0] for p in src.posts}
    by = f" posted by the account {redact(handles.pop())}" if len(handles) == 1 and "" not in \
        handles else ""
    ask = (f"to ask you to review {it} against your {rules_name}" if variant == "review"
           else f"to ask you to remove {it}")
    takedown["opening"] = (
        f"I am the {writer.role} of {school.name}, a state primary school in England, "
        f"at {', '.join(school.address)}. I am writing on behalf of the school about "
        f"{number(len(src.posts))} item{'s' if many else ''} of content on {label}{by}, and {ask}.")
    chair = writer.name != school.signatory.name
    if chair:
        about = next(a for p in src.posts for a in p.about
                     if a.name and is_signatory(a.name, school))
        takedown["opening"] += (f" The content is about our {school.signatory.role}, "
                                f"{redact(about.name)}, so I am writing as {writer.role}.")
    rules = _rules(reading, redact)
    takedown["rules"] = rules
    if variant == "notice":
        takedown["notice_intro"] = (
            "This notice gives the name and address of the sender (above), where the content "
            "is, and why it is unlawful." + (f" It also explains which of your {rules_name} the "
                                             "content breaches." if rules else ""))
    if any(a.role == "pupil" for p in src.posts for a in p.about) or any(
            redact.quote(p.text)[1] for p in src.posts):
        takedown["pupils_note"] = "Pupils are referred to by their initials."
    if variant == "notice":
        takedown["defamation"] = _defamation(reading, redact)
        takedown["offences"] = _offences(reading.offences, ids)
        defamatory = [p for p in src.posts if "defamatory" in p.concerns]
        if defamatory and src.case.poster.identified:
            # It relies on the platform's own rules only where the posts engage them, by name.
            cited = join([r["name"] for r in rules])
            takedown["not_section5"] = (
                "The school knows who posted this content, so this is not a notice of complaint "
                "under section 5 of the Defamation Act 2013. It relies on the regulations above"
                + (f" and on your {rules_name} on {cited}." if cited else "."))
        elif defamatory and not reading.given:
            takedown["not_section5"] = ("This letter is not a notice of complaint under section 5 "
                                        "of the Defamation Act 2013.")
        given = reading.given
        takedown["notices"] = [_notice(n, src, len(given) > 1) for n in given]
        takedown["timetable"] = TIMETABLE if given else ""
        takedown["youtube_declaration"] = bool(given) and src.posts[0].platform == "youtube"
    takedown["preservation"] = _preservation(src, entry)
    review = [i["id"] for i in items if i["review"]]
    act = [i["id"] for i in items if not i["review"]]
    respond_by = ctx["letter"]["respond_by"]
    by_when = f" by {respond_by}" if respond_by else ""
    # The office reads the mailbox; a reply about the signatory is marked for the Chair alone.
    marked = f" marked “Private – for the {writer.role} only”," if chair else ""
    reply = f", by email to {school.notices_email},{marked} quoting our reference {ref}."
    if act:
        what = "the content" if not review else f"{join(act)}"
        notice = ", or act on the notice of complaint as the Regulations provide," \
            if takedown["notices"] else ""
        takedown["request"] = f"Please remove {what}{notice} and tell us what you have done" \
                              f"{by_when}{reply}"
        if review:
            several = len(review) > 1
            takedown["review"] = (
                f"The school also asks you to review {join(review)}. It does not say that "
                f"{'they breach' if several else 'it breaches'} your {rules_name}, and it "
                f"recognises that you may decide to leave {'them' if several else 'it'} online.")
    else:
        named = [a for p in src.posts for a in individuals(p)]
        about = (f"The content names {join(list(dict.fromkeys(_full(a, redact) for a in named)))}"
                 ". " if named else "")
        takedown["request"] = (
            f"{about}The school does not say that {'the items are' if many else 'it is'} "
            f"unlawful or that {'they breach' if many else 'it breaches'} your {rules_name}. It "
            f"asks you to review {it} and to tell us what you decide{by_when}{reply}")
    for post in src.posts:
        on, reference = reported(src.case, post)
        if on or reference:
            takedown["reported"].append(
                f"The school also reported {post.id} through your reporting tool"
                + (f" on {on}" if on else "")
                + (f" (your reference {keep_together(redact(reference))})" if reference else "")
                + ".")
    takedown["subject"] = _subject(variant, label, rules_name, "")
    ctx["takedown"] = takedown


__all__ = ["police_involved"]
