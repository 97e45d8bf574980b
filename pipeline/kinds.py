"""The letter kinds: one registry entry holds everything about a kind.

An entry says who receives the letter, which history step records it as sent, which template
it is drawn from, its title and subject line, whether it leaves the school for a third party
(then pupils appear by initials only), how long the recipient is given to respond, whether the
policy calls for one letter per platform, and which function builds its template context.
Everything else in the package asks this registry; a kind's name is written out only here and in
the rule table (policy.py).

Adding a kind: one entry here, one rule row in policy.py, one builder in letter/to_<recipient>.py
(decorated with the entry's `builds`), one template in letter_templates/, and tests.

This module sits at the bottom of the package: it imports nothing of the pipeline but the
calendar's periods, so the case model can take its vocabularies from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from pipeline.dates import SEVEN_DAYS, TEN_WORKING_DAYS, TWO_WORKING_DAYS, DueRule


class Recipient(StrEnum):
    """Who a letter goes to."""

    POSTER = "poster"
    PLATFORM = "platform"
    POLICE = "police"
    ADVISERS = "advisers"

    @property
    def marking(self) -> str:
        """The protective marking above the address and in the footer of every page."""
        return MARKINGS[self]

    @property
    def leaves_the_school(self) -> bool:
        """Outgoing: the letter may not repeat a member of staff's private details."""
        return self is not Recipient.ADVISERS


MARKINGS = {
    Recipient.POSTER: "Private and confidential \u2013 addressee only",
    Recipient.PLATFORM: "Confidential \u2013 contains personal data",
    # Police forces work to the Government Security Classifications; the letter carries special
    # category and criminal offence data.
    Recipient.POLICE: "OFFICIAL\u2013SENSITIVE",
    Recipient.ADVISERS: ("Privileged and confidential \u2013 prepared for the purpose of "
                         "obtaining legal advice \u2013 not for onward disclosure"),
}


@dataclass(eq=False, kw_only=True)
class Kind:
    """One letter kind. `build` is attached by letter/to_<recipient>.py through `builds`."""

    name: str
    to: Recipient
    step: str  # the history step that records the letter as sent
    step_words: str  # that step in plain words: "letter of concern"
    template: str
    title: str  # the letter in plain words: "warning letter"
    done: str  # what sending it did, told to the poster: "wrote to you with a formal warning"
    subject: str  # format fields: {s} plural posts, {platform}, {site}, {school}, {target}
    third_party: bool = False  # leaves the school for a third party: pupils by initials only
    per_platform: bool = False  # one letter for each platform with posts in scope
    # The date a letter asks the recipient to act (or make representations) by, counted from
    # the letter's date; a shorter period when a post it concerns is urgent. None: no date.
    respond_by: DueRule | None = None
    # When the step recorded in history for a sent letter falls due, if its entry gives no
    # `due:` (the 2013 Regulations' 48 hours for a platform count working days).
    step_due: DueRule | None = None
    build: Callable[..., None] | None = field(default=None, repr=False)

    def builds(self, function: Callable[..., None]) -> Callable[..., None]:
        """Decorator: `function(ctx, letter)` adds this kind's own fields to a context."""
        self.build = function
        return function

    def letter_key(self, platform: str | None) -> str:
        """What makes two letters 'the same letter' across runs: the kind, and the platform."""
        return f"{self.name}-{platform}" if self.per_platform and platform else self.name

    def respond_by_date(self, letter_date: date, *, urgent: bool) -> date | None:
        return self.respond_by.due(letter_date, urgent=urgent) if self.respond_by else None

    def __repr__(self) -> str:
        return f"Kind({self.name!r})"


TO_ACT = DueRule(SEVEN_DAYS, urgent=TWO_WORKING_DAYS)  # remove the material, stop posting
PLATFORM_TO_ACT = DueRule(TWO_WORKING_DAYS)
REPRESENTATIONS = DueRule(TEN_WORKING_DAYS)

CONCERN = Kind(
    name="concern", to=Recipient.POSTER, template="concern.docx",
    step="concern_letter", step_words="letter of concern", title="letter of concern",
    done="wrote to you to express the school's concern",
    subject="Your social media post{s}",
    respond_by=TO_ACT, step_due=TO_ACT)
WARNING = Kind(
    name="warning", to=Recipient.POSTER, template="warning.docx",
    step="warning_letter", step_words="warning letter", title="warning letter",
    done="wrote to you with a formal warning",
    subject="Formal warning: your social media post{s}",
    respond_by=TO_ACT, step_due=TO_ACT)
HOST_TAKEDOWN = Kind(
    name="host_takedown", to=Recipient.PLATFORM, template="host_takedown.docx",
    step="host_takedown", step_words="request to the platform",
    title="request to a platform to remove content",
    done="asked the platform to remove the material",
    subject="Request for removal of content on {platform}",
    third_party=True, per_platform=True, respond_by=PLATFORM_TO_ACT, step_due=PLATFORM_TO_ACT)
POLICE_REFERRAL = Kind(
    name="police_referral", to=Recipient.POLICE, template="police_referral.docx",
    step="police_referral", step_words="referral to the police", title="referral to the police",
    done="referred the matter to the police",
    subject="Referral: online posts about {school}",
    third_party=True)
LEGAL_REFERRAL = Kind(
    name="legal_referral", to=Recipient.ADVISERS, template="legal_referral.docx",
    step="legal_referral", step_words="referral to our legal advisers",
    title="request for legal advice", done="sought legal advice",
    subject="Request for advice: online posts about {school}")
ACCESS_RESTRICTION = Kind(
    name="access_restriction", to=Recipient.POSTER, template="access_restriction.docx",
    step="access_restriction", step_words="restriction of access",
    title="letter restricting access to the school's site",
    done="restricted your access to the school's site",
    subject="Restriction of your access to {site}", respond_by=REPRESENTATIONS)
PREMISES_NOTICE = Kind(
    name="premises_notice", to=Recipient.POSTER, template="premises_notice.docx",
    step="premises_notice", step_words="notice barring the poster from the premises",
    title="notice barring you from the school premises",
    done="wrote to you barring you from the school premises",
    subject="Your access to the school premises", respond_by=REPRESENTATIONS)

KINDS: tuple[Kind, ...] = (CONCERN, WARNING, HOST_TAKEDOWN, POLICE_REFERRAL, LEGAL_REFERRAL,
                           ACCESS_RESTRICTION, PREMISES_NOTICE)
BY_NAME: dict[str, Kind] = {kind.name: kind for kind in KINDS}
BY_STEP: dict[str, Kind] = {kind.step: kind for kind in KINDS}
NAMES: tuple[str, ...] = tuple(BY_NAME)

# History steps that are not letters.
DISCUSSION = "discussion"
DISCUSSION_DUE = DueRule(SEVEN_DAYS, outcomes=frozenset({"agreed"}))  # a promise to remove
STEPS: tuple[str, ...] = (DISCUSSION, *(kind.step for kind in KINDS))


def step_due_rule(step: str) -> DueRule | None:
    """When a history step falls due without a `due:` of its own (None: it does not)."""
    if step == DISCUSSION:
        return DISCUSSION_DUE
    kind = BY_STEP.get(step)
    return kind.step_due if kind else None


def get(name: str) -> Kind:
    """The kind called `name` (KeyError for an unknown one: names come from validated data)."""
    return BY_NAME[name]


def order(name: str) -> int:
    """A kind's place in the registry, which is the order a plan lists its letters in."""
    return NAMES.index(name)


def describe(kind: Kind) -> dict[str, Any]:
    """The entry as plain data (for `letters templates fields` and the rules digest)."""
    return {"kind": kind.name, "to": str(kind.to), "step": kind.step, "template": kind.template,
            "title": kind.title, "third_party": kind.third_party,
            "per_platform": kind.per_platform,
            "respond_by": _rule_words(kind.respond_by), "step_due": _rule_words(kind.step_due)}


def _rule_words(rule: DueRule | None) -> str | None:
    if rule is None:
        return None
    urgent = f" ({rule.urgent.words()} when urgent)" if rule.urgent else ""
    return rule.period.words() + urgent
