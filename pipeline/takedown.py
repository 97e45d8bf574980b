"""What a letter to a platform rests on, read from the case and the platform directory.

Shared by the letter (letter/to_platform.py) and the plan's notes (policy.notice_notes), so the
note that says why a letter has no notice of complaint, or why the platform may decline, reads
the case exactly as the letter does:

* the platform's own rules the posts engage (`PlatformEntry.rules_for`, by concern);
* whether a post is unlawful on the case's facts: defamatory of a person whose `meaning` is
  recorded, or an offence `offences_for` finds (a single post's from the letter's posts, a
  course of conduct from every post in the case);
* for each person a defamatory post names, whether a notice of complaint under the Defamation
  Act 2013 s5 can be given, and if not, why (the poster is known; no authority; no meaning or
  inaccurate parts recorded);
* whether the school has any ground to ask about a post (a rule engaged, or unlawful), which
  decides whether the plan asks the platform at all, and why not when it does not;
* the route each ground goes by (`channels`): the letter's address block and the web form text
  (dispatch.py) both read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from pipeline import kinds
from pipeline.case.model import Case, Person, Post
from pipeline.dates import day_of, long_date
from pipeline.directory import CONCERNS, PlatformEntry, Rule, platform_directory
from pipeline.offences import OFFENCES, OffenceMention, PostFacts, offences_for
from pipeline.words import join, pronoun

# People a post can be about who can be harmed as individuals (never the school itself).
INDIVIDUAL_ROLES = ("staff", "governor", "pupil", "parent")
# Who may give a notice of complaint: an adult named in the post (a pupil cannot authorise one).
COMPLAINANT_ROLES = ("staff", "governor", "parent")


def person_key(name: str) -> str:
    """A person's name as two records of it compare ('Mr  P Hargreaves' = 'mr p hargreaves')."""
    return " ".join(name.split()).casefold()


def individuals(post: Post) -> list[Person]:
    """The named people a post is about who can be harmed as individuals."""
    return [a for a in post.about if a.role in INDIVIDUAL_ROLES and a.name]


# --- what the letter rests on ---------------------------------------------------------------


@dataclass(frozen=True)
class WholeCase:
    """What every reading of one case shares: each post's facts, and the courses of conduct
    across all its posts (an earlier post, even one removed or elsewhere, is part of one)."""

    facts: list[PostFacts]
    courses: list[OffenceMention]

    @classmethod
    def of(cls, case: Case) -> WholeCase:
        facts = _post_facts(case)
        return cls(facts, [m for m in offences_for(facts) if m.offence.needs_course_of_conduct])


def _post_facts(case: Case) -> list[PostFacts]:
    return [PostFacts(p.id, frozenset(p.concerns), day_of(p.posted),
                      targets=frozenset(a.name for a in individuals(p)),
                      false_statement=any(a.inaccurate for a in p.about))
            for p in case.posts]


def reported(case: Case, post: Post) -> tuple[str, str]:
    """(the date words, the platform's reference) of a report the case records for `post` through
    the platform's own reporting tool; ('', '') when none is recorded."""
    for step in case.history:
        if step.step == kinds.HOST_TAKEDOWN.step and step.method == "webform" and step.covers(post.id):
            return long_date(step.date), step.report_reference or post.report_reference or ""
    if post.report_reference:
        return "", post.report_reference
    return "", ""


@dataclass(frozen=True)
class Notice:
    """A notice of complaint (s5) the letter could give for one person about one post, or why
    not (`missing`)."""

    post: Post
    person: Person
    missing: str = ""  # empty: the notice is given


@dataclass
class Reading:
    """A platform letter's posts as the law and the platform's rules see them."""

    case: Case
    posts: list[Post]
    entry: PlatformEntry
    rules: dict[str, list[tuple[Rule, list[str]]]] = field(default_factory=dict)
    defamed: dict[str, list[Person]] = field(default_factory=dict)
    offences: list[OffenceMention] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    # Every post in the case about each person (by person_key): how many, and on which days.
    about: dict[str, tuple[int, list[date]]] = field(default_factory=dict)
    _offending: set[str] = field(default_factory=set)

    @property
    def group(self) -> bool:
        """A messaging group (WhatsApp): the letter goes to the group's admin."""
        return bool(self.posts) and all(p.platform == "whatsapp" for p in self.posts)

    def engages(self, post: Post) -> bool:
        return bool(self.rules.get(post.id))

    def unlawful(self, post: Post) -> bool:
        return bool(self.defamed.get(post.id)) or post.id in self._offending

    def grounded(self, post: Post) -> bool:
        """Whether the school has a ground to ask for `post`'s removal: it engages one of the
        platform's own rules, or it is unlawful on the case's facts. A post with neither is not
        put to the platform by the rules (policy._host_takedown; the plan's note says why)."""
        return self.engages(post) or self.unlawful(post)

    def offending_only(self, post: Post) -> bool:
        """Unlawful only as a possible offence: no rule engaged, no defamation shown."""
        return post.id in self._offending and not self.engages(post) \
            and not self.defamed.get(post.id)

    def posts_about(self, name: str) -> tuple[int, list[date]]:
        """(how many posts in the case are about `name`, the days they were posted, sorted)."""
        return self.about.get(person_key(name), (0, []))

    @property
    def variant(self) -> str:
        """'group' (to a group's admin), 'notice' (unlawful content: the hosting rule, and any
        notice of complaint), 'rules' (the platform's rules only) or 'review' (neither)."""
        if self.group:
            return "group"
        if any(self.unlawful(p) for p in self.posts):
            return "notice"
        if any(self.engages(p) for p in self.posts):
            return "rules"
        return "review"

    @property
    def given(self) -> list[Notice]:
        return [n for n in self.notices if not n.missing]


# --- the route each ground goes by -----------------------------------------------------------


@dataclass(frozen=True)
class Channel:
    """One way of putting a letter's grounds to a platform, from data/platforms.yaml: its legal
    route (a defamation form, or a form for unlawful content, as `legal_contact.takes` says) or
    its standard report (`abuse_report`: bullying, harassment, hate, threats, privacy). The
    letter's address block and the ready-to-send web form text both read it, so they agree."""

    legal: bool
    grounds: tuple[str, ...]  # 'defamation', 'illegal_content', 'rules' or 'review'
    how: str
    url: str | None = None  # a web form, or the page that says how to report
    email: str | None = None
    post: tuple[str, ...] = ()
    unconfirmed: bool = False

    @property
    def form(self) -> bool:
        """Reached by filling in a form (the legal route's web form, or the standard report)."""
        return not self.email and (not self.legal or bool(self.url))

    def words(self, rules_name: str) -> str:
        """How the letter is sent by this channel, for the address block ('' when the
        directory gives no address for it)."""
        if not self.legal:
            return f"By report under your {rules_name}"
        if self.url:
            return f"By web form at {self.url}"
        if self.email:
            return f"By email to {self.email}"
        if self.post:
            return "By post"
        return ""


GROUND_WORDS = {"defamation": "defamation", "illegal_content": "unlawful content",
                "review": "the request for review"}


def ground_words(channel: Channel, reading: Reading) -> str:
    """What goes by `channel`, in a few words: 'defamation', or the names of the platform's
    rules the posts engage ('Bullying and Harassment and Hateful Conduct')."""
    rules = list(dict.fromkeys(rule.name for p in reading.posts
                               for rule, _ in reading.rules.get(p.id, [])))
    return join([join(rules) if g == "rules" else GROUND_WORDS[g] for g in channel.grounds])


def channels(reading: Reading) -> list[Channel]:
    """The routes the letter's grounds go by, the legal route first: defamation (and, where the
    legal route takes it, other unlawful content that breaks no rule) by the legal route; every
    breach of the platform's rules by its standard report. A letter with no ground (only ever
    added by the school's decision) asks for review through the standard report."""
    entry, posts = reading.entry, reading.posts
    contact = entry.legal_contact
    takes = contact.takes if contact is not None else ()
    legal: list[str] = []
    report: list[str] = []
    if any(reading.defamed.get(p.id) for p in posts):
        (legal if "defamation" in takes else report).append("defamation")
    if any(reading.engages(p) for p in posts):
        report.append("rules")
    if any(reading.offending_only(p) for p in posts):
        (legal if "illegal_content" in takes else report).append("illegal_content")
    if not legal and not report:
        report.append("review")
    found = []
    if legal and contact is not None:
        found.append(Channel(True, tuple(legal), contact.how, contact.web_form, contact.email,
                             tuple(contact.post or ()), contact.unconfirmed))
    if report:
        route = entry.abuse_report
        found.append(Channel(False, tuple(report), route.how, route.url,
                             unconfirmed=route.unconfirmed))
    return found


def route_words(reading: Reading, rules_name: str) -> str:
    """The address block's line saying how the letter is sent, one clause per channel: 'By web
    form at https://... (defamation); by report under your Community Standards (Bullying and
    Harassment)'."""
    found = [(c, c.words(rules_name)) for c in channels(reading)]
    found = [(c, w) for c, w in found if w]
    if len(found) <= 1:
        return found[0][1] if found else ""
    parts = [f"{w} ({ground_words(c, reading)})" for c, w in found]
    return "; ".join([parts[0]] + [p[:1].lower() + p[1:] for p in parts[1:]])


def read(case: Case, posts: Sequence[Post], whole: WholeCase | None = None) -> Reading:
    """What a letter to the platform of `posts` rests on (the directory is data/platforms.yaml).

    `whole`: the case's WholeCase, when the caller reads several sets of posts of one case (the
    plan reads each platform's in turn), so it is worked out once."""
    posts = list(posts)
    first = posts[0]
    entry = platform_directory().entry(first.platform, first.platform_name)
    reading = Reading(case, posts, entry)
    ids = {p.id for p in posts}
    for post in posts:
        engaged: dict[tuple[str, str | None], tuple[Rule, list[str]]] = {}
        for concern in CONCERNS:
            rule = entry.rules.get(concern) if concern in post.concerns else None
            if rule is not None:
                engaged.setdefault((rule.name, rule.url), (rule, []))[1].append(concern)
        reading.rules[post.id] = list(engaged.values())
        if "defamatory" in post.concerns:
            reading.defamed[post.id] = [a for a in individuals(post) if a.meaning]
            for person in individuals(post):
                if person.role in COMPLAINANT_ROLES:
                    reading.notices.append(Notice(post, person, _why_no_notice(case, post,
                                                                                person)))
    # A single post's offences from the letter's posts alone; a course of conduct from every
    # post in the case (an earlier post, even one removed or elsewhere, is part of it).
    whole = whole or WholeCase.of(case)
    facts, every_course = whole.facts, whole.courses
    singles = [m for m in offences_for([f for f in facts if f.id in ids])
               if not m.offence.needs_course_of_conduct]
    courses = [m for m in every_course if ids.intersection(m.posts)]
    order = {offence.id: n for n, offence in enumerate(OFFENCES)}
    reading.offences = sorted(singles + courses, key=lambda m: order[m.id])
    reading._offending = {pid for m in reading.offences for pid in m.posts}
    about: dict[str, tuple[int, set[date]]] = {}
    for post, said in zip(case.posts, facts):
        for key in {person_key(a.name) for a in post.about if a.name}:
            count, days = about.get(key, (0, set()))
            about[key] = (count + 1, days | {said.posted})
    reading.about = {key: (count, sorted(days)) for key, (count, days) in about.items()}
    return reading


def _why_no_notice(case: Case, post: Post, person: Person) -> str:
    if case.poster.identified:
        return "the poster is known to the school"
    if person.authority is None:
        return f"{person.name} has not authorised a notice (record authority: DATE)"
    if not person.meaning:
        return (f"record the meaning {person.name} attributes to {post.id} (meaning:), which "
                "the notice must give")
    if not person.inaccurate:
        return (f"record which parts of {post.id} are inaccurate (inaccurate:), which the "
                "notice must give")
    return ""


# --- the plan's notes -------------------------------------------------------------------------


def platform_notes(case: Case, posts: Sequence[Post], reading: Reading | None = None) -> list[str]:
    """What the office should know before sending the letter to the platform of `posts`: why
    there is no notice of complaint, what the platform may decline, what the directory has not
    confirmed, and for a WhatsApp group what to do besides."""
    if not posts:
        return []
    reading = reading or read(case, posts)
    entry, label = reading.entry, reading.entry.label
    notes = [f"no notice of complaint for {n.person.name}: {n.missing}"
             if not n.missing.startswith("record") else
             f"no notice of complaint for {n.person.name} yet: {n.missing}"
             for n in reading.notices if n.missing]
    if reading.group:
        return notes + _group_notes(case, reading)
    for post in posts:
        if not reading.grounded(post):
            notes.append(f"{post.id} engages none of {label}'s {entry.rules_name} and is not "
                         f"recorded as unlawful: the letter only asks {label} to review it, and "
                         f"{label} may decline")
        unexplained = [a.name for a in individuals(post) if not a.meaning]
        if "defamatory" in post.concerns and unexplained and not reading.defamed.get(post.id):
            notes.append(f"{post.id} is recorded as defamatory, but no meaning is recorded for "
                         f"{join(unexplained)} (about: meaning:, inaccurate:): until then the "
                         f"letter to {label} cannot say why it is unlawful")
        if "personal_information" in post.concerns and not post.private_details:
            notes.append(f"record private_details for {post.id}: until then the letter to "
                         f"{label} does not quote it")
    check = []
    if not entry.is_confirmed("operator"):
        check.append(f"which company provides it to users in the UK (the letter is addressed to "
                     f"{entry.operator})")
    for channel in channels(reading):
        if channel.unconfirmed:
            check.append("its legal route" if channel.legal else "its reporting route")
    names = list(dict.fromkeys(rule.name for post in posts for rule, _ in reading.rules[post.id]
                               if rule.unconfirmed))
    if names:
        check.append(f"the name{'s' if len(names) > 1 else ''} "
                     f"{join([f'“{n}”' for n in names])} in its {entry.rules_name}")
    if check:
        notes.append(f"before sending the letter to {label}, check {join(check)}: the platform "
                     "directory (data/platforms.yaml) marks "
                     f"{'it' if len(check) == 1 else 'them'} unconfirmed")
    return notes


def _group_notes(case: Case, reading: Reading) -> list[str]:
    notes = []
    unreported = [p.id for p in reading.posts if not any(reported(case, p))]
    if unreported:
        notes.append(f"report {join(unreported)} in WhatsApp as well (open the group's info and "
                     "choose Report), and record the date")
    for name in dict.fromkeys(group_name(p) for p in reading.posts if not admin(case, p)):
        notes.append(f"find out who runs the WhatsApp group{f' “{name}”' if name else ''} and "
                     "record them (group: admin:), so the letter can be addressed to them; "
                     "WhatsApp itself has no route for a notice")
    seen: set[str] = set()
    for post in reading.posts:
        person = admin(case, post)
        if person and person not in seen and not any(admin_contact(post)):
            seen.add(person)
            notes.append(f"the case records no postal or email address for {person} (the admin "
                         f"of “{group_name(post)}”), so the letter to "
                         f"{pronoun([person], form='object')} has none: record the "
                         "one the school holds (group: admin_address: [...] or admin_email:) "
                         "and draft again, or hand the letter over and record it with "
                         "letters sent REF --by hand")
    return notes


def admin_contact(post: Post) -> tuple[tuple[str, ...], str]:
    """(the postal address lines, the email address) the case records for the group's admin."""
    group = post.group
    if group is None:
        return (), ""
    return tuple(group.admin_address or ()), group.admin_email or ""


# --- posts the school has no ground to put to the platform ------------------------------------

# Concerns that say a post alleges something about a person (the start of a defamation claim).
ALLEGING = frozenset({"allegation", "allegation_of_harm", "defamatory"})
CRITICISM = frozenset({"complaint", "negative_comment"})


def no_ground_notes(case: Case, posts: Sequence[Post], *, platform: str) -> list[str]:
    """Why no letter asks the platform to remove `posts` (none of them engages the platform's
    rules or is unlawful on the case's facts), and what the office could do instead."""
    posts = list(posts)
    if not posts:
        return []
    first = posts[0]
    entry = platform_directory().entry(first.platform, first.platform_name)
    label, rules_name = entry.label, entry.rules_name or "terms of use"
    ids = join([p.id for p in posts])
    many = len(posts) > 1
    to = (f"the admin of the WhatsApp group “{group_name(first)}”"
          if first.platform == "whatsapp" and group_name(first) else label)
    said = (f"No letter to {to} about {ids}: {'they engage' if many else 'it engages'} none of "
            f"{label}'s {rules_name} and {'are' if many else 'is'} not recorded as unlawful, so "
            f"the school has no ground to ask {label if to == label else 'them'} to remove "
            f"{'them' if many else 'it'}.")
    if any(CRITICISM & set(p.concerns) for p in posts):
        said += " Criticism of the school and its staff, even harsh, is protected expression."
    could = []
    defamatory = [p for p in posts if "defamatory" in p.concerns]
    people = list(dict.fromkeys(a.name for p in posts if ALLEGING & set(p.concerns)
                                for a in individuals(p) if a.role in COMPLAINANT_ROLES))
    if defamatory:
        could.append(f"record the meaning {join(people) or 'the person named'} "
                     f"attribute{'' if len(people) > 1 else 's'} to "
                     f"{join([p.id for p in defamatory])} and which parts are inaccurate "
                     "(about: meaning:, inaccurate:), so that a letter can say why it is unlawful")
    elif people:
        alleging = [p.id for p in posts if ALLEGING & set(p.concerns)]
        several = len(alleging) > 1
        could.append(f"if {join(people)} {'consider' if len(people) > 1 else 'considers'} what "
                     f"{join(alleging)} {'say' if several else 'says'} untrue and damaging, "
                     f"record {'them' if several else 'it'} as defamatory, with the meaning and "
                     "the inaccurate parts (concerns: defamatory; about: meaning:, "
                     "inaccurate:), and take legal advice")
    if any(CRITICISM & set(p.concerns) for p in posts):
        could.append("answer the criticism itself, or point the poster to the complaints "
                     "procedure")
    could.append(f"ask {to} all the same by recording the school's decision as an override "
                 f"(letter: host_takedown, action: include, platform: {first.platform}, "
                 f"posts: [{', '.join(p.id for p in posts)}], reason: ...)")
    said += " What the office can do instead: " + "; ".join(could[:-1]) \
        + ("; or " if len(could) > 1 else "") + could[-1] + "."
    return [said]


def group_name(post: Post) -> str:
    return post.group.name if post.group else ""


def admin(case: Case, post: Post) -> str:
    """The group's admin, when the case records one who is not the poster."""
    name = post.group.admin if post.group else None
    if not name or person_key(name) == person_key(case.poster.name):
        return ""
    return name
