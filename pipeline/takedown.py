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
  inaccurate parts recorded).
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
from pipeline.words import join

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


def read(case: Case, posts: Sequence[Post]) -> Reading:
    """What a letter to the platform of `posts` rests on (the directory is data/platforms.yaml)."""
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
    facts = _post_facts(case)
    singles = [m for m in offences_for([f for f in facts if f.id in ids])
               if not m.offence.needs_course_of_conduct]
    courses = [m for m in offences_for(facts)
               if m.offence.needs_course_of_conduct and ids.intersection(m.posts)]
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


def platform_notes(case: Case, posts: Sequence[Post]) -> list[str]:
    """What the office should know before sending the letter to the platform of `posts`: why
    there is no notice of complaint, what the platform may decline, what the directory has not
    confirmed, and for a WhatsApp group what to do besides."""
    if not posts:
        return []
    reading = read(case, posts)
    entry, label = reading.entry, reading.entry.label
    notes = [f"no notice of complaint for {n.person.name}: {n.missing}"
             if not n.missing.startswith("record") else
             f"no notice of complaint for {n.person.name} yet: {n.missing}"
             for n in reading.notices if n.missing]
    if reading.group:
        return notes + _group_notes(case, reading)
    for post in posts:
        if not reading.engages(post) and not reading.unlawful(post):
            notes.append(f"{post.id} engages none of {label}'s {entry.rules_name} and is not "
                         f"recorded as unlawful: the letter only asks {label} to review it "
                         f"against them, and {label} may decline")
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
    if entry.legal_contact is None or entry.legal_contact.unconfirmed:
        check.append("its legal route")
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
    return notes


def group_name(post: Post) -> str:
    return post.group.name if post.group else ""


def admin(case: Case, post: Post) -> str:
    """The group's admin, when the case records one who is not the poster."""
    name = post.group.admin if post.group else None
    if not name or person_key(name) == person_key(case.poster.name):
        return ""
    return name
