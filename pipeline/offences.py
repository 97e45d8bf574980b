"""The offences a police referral may mention, as data, and the pure function that picks them.

Source: REFERENCE.md, "Offences a police referral may mention (the police decide; the school
only reports)". The school never says anyone is guilty: every sentence this module writes says a
post "may amount to" an offence, and an offence is mentioned only when a post engages it.

The rules the table encodes (each row's `engaged_by` lists the concern combinations that engage
it, and `needs_course_of_conduct` marks the offences that need more than one post):

* Course of conduct (Protection from Harassment Act 1997 s2 and s4, Crime and Disorder Act 1998
  s32): at least two posts on different *occasions*, against the *same person*, each post
  engaging the offence. An occasion is a calendar day: two posts on the same day count as one
  occasion, so they never make a course of conduct by themselves (the police may still find
  one; the school only under-states). The same person is a name in `targets`, compared without
  regard to case or spacing; only individuals can be harassed, so the school, the governing
  body or "parents" must not be given as targets. One post alone is never a course of conduct.
  A target recorded as a couple ("Mr and Mrs A Nowak") is counted as the people it names, so the
  sentence says "the same two people", never "the same person".
* A single racist, grossly obscene or threatening post: Communications Act 2003 s127(1) (and,
  for racist or obscene content, Malicious Communications Act 1988 s1), with racial hostility
  noted as an aggravating factor in sentencing (Sentencing Act 2020 s66); never s32.
* A threat: Online Safety Act 2023 s181 if it is a threat of death or serious harm (the sentence
  says so), and s127(1) as menacing.
* Personal information (a home address and the like): the concern alone engages nothing, because
  what REFERENCE.md names - publishing an address *with an invitation to confront* - cannot be
  read from the concern. With `harassment` or `threat_of_violence` on the same post (which is how
  a case records that the post invites or threatens confrontation) it may be menacing under
  s127(1); on a second occasion against the same person it may be harassment (via those concerns).
* A false statement: Online Safety Act 2023 s179 only when the case records the statement as
  untrue (`PostFacts.false_statement`) *and* the post alleges something (`allegation`,
  `allegation_of_harm` or `defamatory`); the sentence adds that the sender must have known it was
  false and intended non-trivial harm. A post that is only defamatory, with no such record, is a
  civil matter: no offence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from pipeline.directory import CONCERNS

REFERENCE = "REFERENCE.md: Offences a police referral may mention"

_PHA = "Protection from Harassment Act 1997"
_OSA = "Online Safety Act 2023"
_S66 = ("Racial or religious hostility shown in it would be an aggravating factor in sentencing "
        "(Sentencing Act 2020 s66).")


@dataclass(frozen=True)
class Trigger:
    """A combination of concerns that engages an offence, and why, in "may" form."""

    concerns: frozenset[str]
    reason: str = ""
    false_statement: bool = False  # the case must also record the statement as untrue

    def fires(self, post: PostFacts) -> bool:
        return self.concerns <= post.concerns and (post.false_statement or not self.false_statement)


@dataclass(frozen=True)
class Offence:
    """One row of the table."""

    id: str
    statute: str
    section: str
    title: str
    needs_course_of_conduct: bool
    engaged_by: tuple[Trigger, ...]
    condition: str = ""  # what else the police would have to find, as an "if ..." clause
    aggravation: str | None = None
    aggravated_by: frozenset[str] = frozenset()
    in_force_note: str | None = None
    note: str | None = None
    source: str = REFERENCE

    @property
    def citation(self) -> str:
        return f"{self.statute} {self.section}"

    @property
    def concerns(self) -> frozenset[str]:
        """Every concern that takes part in engaging this offence."""
        return frozenset().union(*(t.concerns for t in self.engaged_by))

    def triggers(self, post: PostFacts) -> tuple[Trigger, ...]:
        return tuple(t for t in self.engaged_by if t.fires(post))


def _on(*concerns: str, reason: str = "", false_statement: bool = False) -> Trigger:
    return Trigger(frozenset(concerns), reason, false_statement)


_MENACING_ADDRESS = ("publishing a person's personal information, such as a home address, in a "
                     "way that invites others to confront them may be menacing")

OFFENCES: tuple[Offence, ...] = (
    Offence(
        id="pha1997_s2", statute=_PHA, section="s2", title="harassment",
        needs_course_of_conduct=True,
        engaged_by=(_on("harassment"), _on("cyberbullying"), _on("threat_of_violence"),
                    _on("racist")),
        note="Needs a course of conduct: at least two occasions against the same person (s7(3)); "
             "only individuals can be harassed."),
    Offence(
        id="pha1997_s4", statute=_PHA, section="s4", title="putting people in fear of violence",
        needs_course_of_conduct=True,
        engaged_by=(_on("threat_of_violence"),),
        condition="if on each occasion it caused that person to fear that violence would be used "
                  "against them",
        note="Needs a course of conduct: at least two occasions against the same person (s7(3))."),
    Offence(
        id="cda1998_s32", statute="Crime and Disorder Act 1998", section="s32",
        title="racially or religiously aggravated harassment",
        needs_course_of_conduct=True,
        engaged_by=(_on("racist"),),
        note="Needs the same course of conduct as the Protection from Harassment Act 1997; for a "
             "single racist post see Communications Act 2003 s127(1) with Sentencing Act 2020 s66."),
    Offence(
        id="ca2003_s127_1", statute="Communications Act 2003", section="s127(1)",
        title="sending a grossly offensive, indecent, obscene or menacing message over a public "
              "electronic communications network",
        needs_course_of_conduct=False,
        engaged_by=(_on("racist", reason="a racist message may be grossly offensive"),
                    _on("grossly_obscene", reason="a grossly obscene message may be grossly "
                        "offensive, indecent or obscene"),
                    _on("threat_of_violence", reason="a threat may make the message menacing"),
                    _on("personal_information", "harassment", reason=_MENACING_ADDRESS),
                    _on("personal_information", "threat_of_violence", reason=_MENACING_ADDRESS)),
        aggravation=_S66, aggravated_by=frozenset({"racist"}),
        in_force_note="s127(2)(a) and (b) were repealed for England and Wales by the Online Safety "
                      "Act 2023; s127(1) remains."),
    Offence(
        id="mca1988_s1", statute="Malicious Communications Act 1988", section="s1",
        title="sending a communication that is indecent or grossly offensive",
        needs_course_of_conduct=False,
        engaged_by=(_on("racist", reason="a racist message may be grossly offensive"),
                    _on("grossly_obscene", reason="a grossly obscene message may be indecent or "
                        "grossly offensive")),
        aggravation=_S66, aggravated_by=frozenset({"racist"}),
        in_force_note="Since 31 January 2024 only the indecent or grossly offensive limb remains in "
                      "England and Wales; the threat and false-information limbs were replaced by "
                      "the Online Safety Act 2023."),
    Offence(
        id="osa2023_s181", statute=_OSA, section="s181", title="sending a threatening communication",
        needs_course_of_conduct=False,
        engaged_by=(_on("threat_of_violence"),),
        condition="if it conveys a threat of death or serious harm and the sender intended, or was "
                  "reckless as to whether, the person threatened would fear that it would be "
                  "carried out",
        in_force_note="In force since 31 January 2024."),
    Offence(
        id="osa2023_s179", statute=_OSA, section="s179", title="sending a false communication",
        needs_course_of_conduct=False,
        engaged_by=tuple(_on(c, reason="the school records the information in it as untrue",
                             false_statement=True)
                         for c in ("allegation", "allegation_of_harm", "defamatory")),
        # After the reason, not "untrue, if the sender knew": the "if" read as qualifying the
        # school's record rather than the offence.
        condition="but the offence needs the sender to have known the information to be false "
                  "and to have intended it to cause non-trivial harm",
        in_force_note="In force since 31 January 2024."),
)


# --- the facts the function works from ------------------------------------------------------


@dataclass(frozen=True)
class PostFacts:
    """What the offence rules need to know about one post.

    `targets`: the names of the *individuals* the post is about (never the school itself).
    `false_statement`: the case records the statement as untrue (e.g. a person's `inaccurate`).
    `posted` may be a date or a date-time; only its calendar day counts.
    """

    id: str
    concerns: frozenset[str]
    posted: date
    targets: frozenset[str] = frozenset()
    false_statement: bool = False

    def __post_init__(self) -> None:
        concerns = frozenset(self.concerns)
        unknown = concerns.difference(CONCERNS)
        if unknown:
            raise ValueError(f"post {self.id}: unknown concern(s) {', '.join(sorted(unknown))}")
        if not isinstance(self.posted, date):
            raise ValueError(f"post {self.id}: posted must be a date, not {self.posted!r}")
        day = self.posted.date() if isinstance(self.posted, datetime) else self.posted
        targets = frozenset(t for t in self.targets if t and t.strip())
        object.__setattr__(self, "concerns", concerns)
        object.__setattr__(self, "posted", day)
        object.__setattr__(self, "targets", targets)


@dataclass(frozen=True)
class OffenceMention:
    """An offence the referral may mention, the posts it rests on and the sentence to print."""

    offence: Offence
    posts: tuple[str, ...]
    sentence: str
    targets: tuple[str, ...] = ()  # for a course of conduct: the person (or people) it is against
    occasions: int = 1
    aggravation: str | None = None
    reasons: tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        return self.offence.id


# --- the function ---------------------------------------------------------------------------


def offences_for(posts: Sequence[PostFacts]) -> list[OffenceMention]:
    """The offences the posts may amount to, in table order, each with the posts it rests on.

    Pure: the same posts (in any order) give the same list.
    """
    ids = [p.id for p in posts]
    if len(set(ids)) != len(ids):
        raise ValueError("post ids must differ")
    ordered = sorted(posts, key=_post_order)
    mentions: list[OffenceMention] = []
    for offence in OFFENCES:
        if offence.needs_course_of_conduct:
            mentions += _courses(offence, ordered)
        else:
            mentions += _singles(offence, ordered)
    return mentions


def _singles(offence: Offence, posts: list[PostFacts]) -> list[OffenceMention]:
    groups: dict[tuple[tuple[str, ...], bool], list[PostFacts]] = {}
    for post in posts:
        fired = offence.triggers(post)
        if not fired:
            continue
        reasons = tuple(dict.fromkeys(t.reason for t in fired if t.reason))
        aggravated = bool(offence.aggravation and offence.aggravated_by & post.concerns)
        groups.setdefault((reasons, aggravated), []).append(post)
    out = []
    for (reasons, aggravated), group in groups.items():
        names = tuple(p.id for p in group)
        lead = f"Each of {_join(names)}" if len(names) > 1 else names[0]
        sentence = f"{lead} may amount to {offence.title} ({offence.citation})"
        if reasons:
            sentence += ": " + "; ".join(reasons)
        if offence.condition:
            sentence += ", " + offence.condition
        sentence += "."
        aggravation = offence.aggravation if aggravated else None
        if aggravation:
            sentence += " " + aggravation
        out.append(OffenceMention(offence, names, sentence, aggravation=aggravation,
                                  reasons=reasons))
    return out


def _courses(offence: Offence, posts: list[PostFacts]) -> list[OffenceMention]:
    """One mention per distinct set of posts that forms a course against someone."""
    shown: dict[str, str] = {}  # a target's key -> its name as first written
    for post in posts:
        for name in sorted(post.targets):
            shown.setdefault(_person(name), " ".join(name.split()))
    courses: dict[tuple[str, ...], list[str]] = {}
    # Each post's triggers and targets worked out once, not once per person targeted.
    firing = [(p, {_person(t) for t in p.targets}) for p in posts if offence.triggers(p)]
    for key in sorted(shown):
        engaged = [p for p, keys in firing if key in keys]
        if len({p.posted for p in engaged}) >= 2:
            courses.setdefault(tuple(p.id for p in engaged), []).append(shown[key])
    out = []
    by_id = {p.id: p for p in posts}
    for names, people in courses.items():
        occasions = len({by_id[n].posted for n in names})
        counted = sum(_people_in(name) for name in people)
        if counted == 1:
            against = "the same person"
        elif len(people) == 1:
            against = f"the same {_count(counted)} people"
        else:
            against = f"each of {_count(counted)} people"
        sentence = (f"{_join(names)} may amount to {offence.title} ({offence.citation}): a course of "
                    f"conduct on {_count(occasions)} occasions against {against}")
        if offence.condition:
            condition = offence.condition
            if counted > 1:
                condition = condition.replace("that person", "each of them")
            sentence += ", " + condition
        sentence += "."
        out.append(OffenceMention(offence, names, sentence, targets=tuple(people),
                                  occasions=occasions))
    return out


def _person(name: str) -> str:
    return " ".join(name.split()).casefold()


_AND = re.compile(r"\s(?:and|&)\s", re.I)


def _people_in(name: str) -> int:
    """How many people one recorded name stands for: 'Mr and Mrs A Nowak' is two."""
    return len(_AND.findall(f" {name} ")) + 1


def _post_order(post: PostFacts) -> tuple:
    # By day, then by id read naturally (P2 before P10).
    natural = tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                    for part in re.findall(r"\d+|\D+", post.id))
    return (post.posted, natural, post.id)


def _join(names: Sequence[str]) -> str:
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
            "eleven", "twelve")


def _count(n: int) -> str:
    return _NUMBERS[n] if n < len(_NUMBERS) else str(n)
