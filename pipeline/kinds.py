"""The letter kinds: one registry entry holds everything about a kind.

An entry says who receives the letter, which history step records it as sent, which template
it is drawn from, its title and subject line, whether it leaves the school for a third party
(then pupils appear by initials only), how long the recipient is given to respond, whether the
policy calls for one letter per platform, and which function builds its template context.
Everything else in the package asks this registry; a kind's name is written out only here and in
the rule table (policy.py).

Adding a kind: one entry here, one rule row in policy.py, one builder in letter/builders.py
(decorated with the entry's `builds`), one template in letter_templates/, and tests.

This module sits at the bottom of the package: it imports nothing of the pipeline but the
calendar's Period, so the case model can take its vocabularies from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pipeline.case.dates import Period


class Recipient(StrEnum):
    """Who a letter goes to."""

    POSTER = "poster"
    PLATFORM = "platform"
    POLICE = "police"
    ADVISERS = "advisers"


@dataclass(eq=False, kw_only=True)
class Kind:
    """One letter kind. `build` is attached by letter/builders.py through `builds`."""

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
    respond_by: Period | None = None  # time given to act, counted from the letter's date
    urgent_respond_by: Period | None = None  # ... when a post it concerns is urgent
    build: Callable[..., None] | None = field(default=None, repr=False)

    def builds(self, function: Callable[..., None]) -> Callable[..., None]:
        """Decorator: `function(ctx, letter)` adds this kind's own fields to a context."""
        self.build = function
        return function

    def letter_key(self, platform: str | None) -> str:
        """What makes two letters 'the same letter' across runs: the kind, and the platform."""
        return f"{self.name}-{platform}" if self.per_platform and platform else self.name

    def __repr__(self) -> str:
        return f"Kind({self.name!r})"


WEEK = Period(7)
TWO_WORKING_DAYS = Period(2, working=True)

CONCERN = Kind(
    name="concern", to=Recipient.POSTER, template="concern.docx",
    step="concern_letter", step_words="letter of concern", title="letter of concern",
    done="wrote to you to express the school's concern",
    subject="Social media post{s} about the school",
    respond_by=WEEK, urgent_respond_by=TWO_WORKING_DAYS)
WARNING = Kind(
    name="warning", to=Recipient.POSTER, template="warning.docx",
    step="warning_letter", step_words="warning letter", title="warning letter",
    done="wrote to you with a formal warning",
    subject="Formal warning: social media post{s} about the school",
    respond_by=WEEK, urgent_respond_by=TWO_WORKING_DAYS)
HOST_TAKEDOWN = Kind(
    name="host_takedown", to=Recipient.PLATFORM, template="host_takedown.docx",
    step="host_takedown", step_words="request to the platform",
    title="request to a platform to remove content",
    done="asked the platform to remove the material",
    subject="Request for removal of content on {platform}",
    third_party=True, per_platform=True, respond_by=TWO_WORKING_DAYS)
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
    subject="Restriction of your access to {site}")

KINDS: tuple[Kind, ...] = (CONCERN, WARNING, HOST_TAKEDOWN, POLICE_REFERRAL, LEGAL_REFERRAL,
                           ACCESS_RESTRICTION)
BY_NAME: dict[str, Kind] = {kind.name: kind for kind in KINDS}
BY_STEP: dict[str, Kind] = {kind.step: kind for kind in KINDS}
NAMES: tuple[str, ...] = tuple(BY_NAME)

# History steps that are not letters.
DISCUSSION = "discussion"
STEPS: tuple[str, ...] = (DISCUSSION, *(kind.step for kind in KINDS))


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
            "respond_by": kind.respond_by.words() if kind.respond_by else None,
            "urgent_respond_by": (kind.urgent_respond_by.words()
                                  if kind.urgent_respond_by else None)}
