"""The policy's procedure as a rule table, the actions that are not letters, and decide().

Each rule row names a letter kind, the condition under which the policy calls for it, a reason
sentence, and what it rests on: the clauses of the school's Social Media Policy quoted verbatim
(tests check every clause against the policy), or, where the policy is silent, the guidance it
rests on instead, named. The conditions are small pure functions over `Facts`, the case seen on
one day: which posts are live, serious or urgent, when each step fell due and whether it is
overdue. `decide(case, school, today=...)` applies the rows in order, then the staff's
overrides, then works out the actions. Nothing here reads files, the clock or the terminal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from pipeline import actions, kinds
from pipeline.actions import Action
from pipeline.case.model import Case, HistoryStep, Override, Post, School
from pipeline.case.pupils import withheld_screenshots
from pipeline.dates import add_working_days, day_of, is_overdue, long_date, real_today, step_due
from pipeline.kinds import Kind, Recipient
from pipeline.platforms import PLATFORMS, platform_info
from pipeline.takedown import (
    Reading,
    WholeCase,
    admin,
    group_name,
    no_ground_notes,
    platform_notes,
)
from pipeline.takedown import read as read_posts
from pipeline.words import join

PLATFORM_WORDS = frozenset(PLATFORMS)

# --- the policy's words ------------------------------------------------------------------------

FIRST_STEP = ("Therefore, as a first step, the School will usually discuss the matter with the "
              "parent to try and resolve the matter and to ask that the relevant information be "
              "removed from the social networking site in question.")
EXPRESS_CONCERN = ("The School reserves the right to contact individuals to express concern about "
                   "social media posts that may affect the reputation of the school.")
IF_REFUSED = ("If the parent refuses to do this and continues to use social networking sites in a "
              "manner the School considers inappropriate, the School will consider taking the "
              "following action:")
WARNING = ("Set out the School's concerns to you in writing, giving you a warning and requesting "
           "that the material in question is removed;")
HOST = ("Contact the host/provider of the Social Networking site to complain about the content of "
        "the site and ask for removal of the information;")
POLICE = ("Contact the Police where the School feels it appropriate – for example, if it considers "
          "a crime (such as harassment) has been committed; or in cases where the posting has a "
          "racial element, is considered to be grossly obscene or is threatening violence;")
LEGAL = ("Take legal advice and/or legal action where the information posted is defamatory in any "
         "way or if the circumstances warrant this;")
OTHER_LEGAL_ACTION = "Take other legal action against the individual."
ACCESS = ("If the inappropriate comments have been made on a school website or online forum, the "
          "School may take action to block or restrict that individual's access to that website "
          "or forum;")

# Guidance outside the policy that a step rests on (REFERENCE.md names the sources).
DFE_PREMISES = ("DfE advice \"Controlling access to school premises\": parents have an implied "
                "licence to enter school premises, which the school can withdraw where behaviour "
                "(including threats) puts staff or pupils at risk; the school writes to the person, "
                "bars provisionally and invites representations, then decides for a stated period "
                "and reviews. Causing a nuisance or disturbance on school premises is an offence "
                "(Education Act 1996 s547).")

# A post this recent that threatens violence calls for a call to the police even if removed.
RECENT = timedelta(days=7)

# --- the plan ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedLetter:
    """One letter the policy calls for now: to whom, about which posts, why, on what basis."""

    kind: str
    to: str
    posts: tuple[str, ...]
    reasons: tuple[str, ...]
    clauses: tuple[str, ...]
    platform: str | None = None
    overrides: tuple[str, ...] = ()
    guidance: tuple[str, ...] = ()  # sources outside the policy the letter rests on
    respond_by: date | None = None  # the date the letter asks the recipient to act by
    urgent: bool = False  # a post it concerns threatens violence or publishes personal details
    further: bool = False  # a later letter of a kind already sent (a further police referral)
    send_after: tuple[str, ...] = ()  # actions the guidance says must come first (call_police)

    @property
    def spec(self) -> Kind:
        """The letter's kind, with everything the registry knows about it."""
        return kinds.get(self.kind)

    @property
    def key(self) -> str:
        """What makes two letters 'the same letter' across runs: kind and platform."""
        return self.spec.letter_key(self.platform)

    def as_json(self) -> dict:
        out: dict[str, Any] = {"kind": self.kind, "to": self.to, "posts": list(self.posts),
                               "reasons": list(self.reasons), "clauses": list(self.clauses),
                               "respond_by": self.respond_by.isoformat() if self.respond_by
                               else None, "urgent": self.urgent}
        if self.guidance:
            out["guidance"] = list(self.guidance)
        if self.platform:
            out["platform"] = self.platform
        if self.overrides:
            out["overrides"] = list(self.overrides)
        if self.further:
            out["further"] = True
        if self.send_after:
            out["send_after"] = list(self.send_after)
        return out


@dataclass(frozen=True)
class PlannedAction:
    """Something the office must do that is not a letter, by when, and why."""

    action: str
    posts: tuple[str, ...]
    reasons: tuple[str, ...]
    due: date

    @property
    def spec(self) -> Action:
        return actions.BY_ID[self.action]

    def as_json(self) -> dict:
        return {"action": self.action, "posts": list(self.posts), "reasons": list(self.reasons),
                "due": self.due.isoformat()}


@dataclass(frozen=True)
class Excluded:
    kind: str
    platform: str | None
    reason: str


@dataclass(frozen=True)
class Plan:
    case_id: str
    letters: tuple[PlannedLetter, ...]
    notes: tuple[str, ...] = ()
    excluded: tuple[Excluded, ...] = ()
    actions: tuple[PlannedAction, ...] = ()
    today: date | None = None

    def as_json(self) -> dict:
        out: dict[str, Any] = {"case_id": self.case_id,
                               "letters": [letter.as_json() for letter in self.letters],
                               "actions": [action.as_json() for action in self.actions]}
        if self.notes:
            out["notes"] = list(self.notes)
        if self.excluded:
            out["excluded"] = [{"kind": e.kind, "platform": e.platform, "reason": e.reason}
                               for e in self.excluded]
        return out


# --- facts about a case on one day, that the rules are written in ------------------------------

FIRST_STEPS = (kinds.DISCUSSION, kinds.CONCERN.step)
REFUSING_OUTCOMES = ("refused", "no_response", "continued")
SAID = {"refused": "refused", "no_response": "did not respond", "continued": "continued to post"}


def step_words(step: str) -> str:
    """A history step in plain words: 'discussion', 'letter of concern'."""
    return kinds.BY_STEP[step].step_words if step in kinds.BY_STEP else step.replace("_", " ")


def sent_step(history: list[HistoryStep], *, reference: str, kind: str, letter_date: date,
              posts: list[str]) -> HistoryStep | None:
    """The history entry that records a drafted letter as sent, or None.

    `letters sent` writes the letter's reference into the entry; an entry typed by hand is
    matched by its step, a date on or after the letter's, and covering the letter's posts.
    """
    by_reference = next((h for h in history if h.reference == reference), None)
    if by_reference is not None:
        return by_reference
    step = kinds.get(kind).step
    return next((h for h in history if h.reference is None and h.step == step
                 and h.date >= letter_date and all(h.covers(pid) for pid in posts)), None)


def _ids(posts: list[Post]) -> str:
    return ", ".join(p.id for p in posts)


def _where(posts: list[Post]) -> str:
    """'P1 (Facebook, 30 September 2026) and P2 (Instagram, 4 October 2026)'."""
    parts = [f"{p.id} ({platform_info(p.platform, p.platform_name).label}, "
             f"{long_date(p.posted)}{', removed' if not p.live else ''})" for p in posts]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


@dataclass(frozen=True)
class StepState:
    """A history step as it stands today: when it fell due, and whether it is overdue."""

    step: HistoryStep
    due: date | None
    overdue: bool

    @property
    def outcome(self) -> str:
        """The outcome the rules go by: an overdue step counts as no response."""
        return "no_response" if self.overdue else self.step.outcome

    def words(self) -> str:
        """'the discussion on 3 November 2026'."""
        return f"the {step_words(self.step.step)} on {long_date(self.step.date)}"

    def lapse(self) -> str:
        """Why an overdue step counts as no response: 'there was no reply by 10 November 2026',
        or, for an agreement, 'the poster agreed to remove the material by 10 November 2026 but
        has not done so' (a step is overdue only while a post it covers is live; an agreement is
        an outcome, never called "no reply")."""
        assert self.due is not None
        if self.step.outcome == "agreed":
            return (f"the poster agreed to remove the material by {long_date(self.due)} but "
                    "has not done so")
        return f"there was no reply by {long_date(self.due)}"


UNKNOWN_POSTER = ("the school does not know who runs the account, so it cannot ask them to "
                  "remove anything")


class Facts:
    """The case seen on `today`: what the rules ask of it, each answer computed once."""

    def __init__(self, case: Case, today: date):
        self.case, self.today = case, today
        self.live = [p for p in case.posts if p.live]
        self.steps = [self._state(step) for step in case.history]
        self._readings: dict[tuple[str, ...], Reading] = {}
        self._whole: WholeCase | None = None

    def reading(self, posts: list[Post]) -> Reading:
        """What a letter to the platform of `posts` would rest on (pipeline/takedown.py), read
        once per set of posts: the rule and the notes ask the same question."""
        key = tuple(p.id for p in posts)
        if key not in self._readings:
            self._whole = self._whole or WholeCase.of(self.case)
            self._readings[key] = read_posts(self.case, posts, self._whole)
        return self._readings[key]

    def _posts_of(self, step: HistoryStep) -> list[Post]:
        return [p for p in self.case.posts if step.covers(p.id)]

    def _state(self, step: HistoryStep) -> StepState:
        posts = self._posts_of(step)
        due = step_due(kinds.step_due_rule(step.step), step.outcome, step.date,
                       explicit_due=step.due, urgent=any(p.urgent for p in posts))
        overdue = is_overdue(step.outcome, due, self.today,
                             posts_live=any(p.live for p in posts))
        return StepState(step, due, overdue)

    def first_step_date(self) -> date | None:
        dates = [s.date for s in self.case.history if s.step in FIRST_STEPS]
        return min(dates) if dates else None

    def refusal(self) -> str | None:
        """Why the poster counts as having refused, in words, or None if they have not."""
        if not self.case.poster.identified:
            # Nobody to ask: the steps that follow a refusal are open at once (REFERENCE.md:
            # an anonymous poster is reached through the platform).
            return UNKNOWN_POSTER
        for state in self.steps:
            if state.step.step not in (*FIRST_STEPS, kinds.WARNING.step):
                continue
            if state.overdue:
                return f"after {state.words()} {state.lapse()}"
            if state.outcome in REFUSING_OUTCOMES:
                return f"after {state.words()} the poster {SAID[state.outcome]}"
        first = self.first_step_date()
        if first is not None:
            later = [p for p in self.case.posts if day_of(p.posted) > first]
            if later:
                return (f"{_ids(later)} {'was' if len(later) == 1 else 'were'} posted after the "
                        f"first step on {long_date(first)}")
        return None

    def warning_unanswered(self) -> str | None:
        """Why a recorded warning counts as refused, ignored or overdue, or None."""
        for state in self.steps:
            if state.step.step != kinds.WARNING.step:
                continue
            if state.overdue and state.step.outcome == "agreed":
                return f"after the warning letter of {long_date(state.step.date)} {state.lapse()}"
            if state.overdue:
                return f"the warning letter of {long_date(state.step.date)} had no reply by " \
                       f"{long_date(state.due)}"
            if state.outcome in REFUSING_OUTCOMES:
                return (f"after the warning letter of {long_date(state.step.date)} the poster "
                        f"{SAID[state.outcome]}")
        return None

    def recorded(self, kind: Kind, post: Post | None = None) -> bool:
        """Whether history already records `kind` as sent (for `post`, when given)."""
        return any(s.step == kind.step and (post is None or s.covers(post.id))
                   for s in self.case.history)

    def done(self, action: Action, post: Post | None = None) -> bool:
        """Whether the case records `action` as done (for `post`, when given)."""
        return any(a.action == action.id and (post is None or a.covers(post.id))
                   for a in self.case.actions)

    def known_on(self, post: Post) -> date:
        """The day the school knew of a post: its capture, else when it was posted or the case
        opened, whichever is later."""
        if post.captured:
            return day_of(post.captured)
        return max(day_of(post.posted), self.case.opened)


# --- the rule table --------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """One letter a rule calls for: its posts, its platform, and the facts for its reason."""

    posts: list[Post]
    platform: str | None = None
    facts: str = ""
    clauses: tuple[str, ...] | None = None  # when this match rests on other clauses than the row's
    further: bool = False


@dataclass(frozen=True)
class Rule:
    kind: Kind
    condition: Callable[[Facts], list[Match]]
    reason: str  # formatted with {where} {facts} {is_are} {it_them}
    clauses: tuple[str, ...]
    guidance: tuple[str, ...] = ()


def _serious_or_urgent(posts: list[Post]) -> list[Post]:
    return [p for p in posts if p.serious or p.urgent]


def _urgency(posts: list[Post]) -> str:
    """'P1 threatens violence' or 'P2 publishes personal information': why the clock is short."""
    found: dict[tuple[str, ...], list[str]] = {}
    for p in posts:
        what = tuple(w for c, w in (("threat_of_violence", "threatens violence"),
                                    ("racist", "is racist"),
                                    ("grossly_obscene", "is grossly obscene"),
                                    ("harassment", "is said to be harassment"),
                                    ("personal_information", "publishes personal information"))
                     if c in p.concerns)
        if what:
            found.setdefault(what, []).append(p.id)
    # Posts with the same words together: "P1 and P2 are said to be harassment", not
    # "P1 is said to be harassment; P2 is said to be harassment".
    return "; ".join(
        f"{join(ids)} {' and '.join(what if len(ids) == 1 else map(_plural, what))}"
        for what, ids in found.items())


def _plural(words: str) -> str:
    """'is racist' -> 'are racist'; 'threatens violence' -> 'threaten violence'."""
    verb, _, rest = words.partition(" ")
    verb = {"is": "are", "threatens": "threaten", "publishes": "publish"}.get(verb, verb)
    return f"{verb} {rest}"


def _concern(facts: Facts) -> list[Match]:
    if facts.live and facts.first_step_date() is None and not _serious_or_urgent(facts.live):
        return [Match(facts.live)]
    return []


def _warning(facts: Facts) -> list[Match]:
    if not facts.live or facts.recorded(kinds.WARNING):
        return []
    grave = _serious_or_urgent(facts.live)
    if grave and facts.refusal() is None:
        # The policy's first step is what the school will "usually" do: not for a threat.
        return [Match(facts.live, facts=f"{_urgency(grave)}, so the school writes at once "
                      "rather than first inviting a discussion", clauses=(FIRST_STEP, WARNING))]
    why = facts.refusal()
    if facts.first_step_date() is not None and why:
        return [Match(facts.live, facts=why)]
    return []


def _takedown_due(facts: Facts) -> dict[str, list[Post]]:
    """The live posts on outside platforms whose time has come to ask the platform (the poster
    refused, or at once for a serious or urgent post), not yet asked, by platform."""
    why = facts.refusal()
    due: dict[str, list[Post]] = {}
    for post in facts.live:
        if not post.external or facts.recorded(kinds.HOST_TAKEDOWN, post):
            continue
        if why or post.serious or post.urgent:
            due.setdefault(post.platform_key, []).append(post)
    return due


def _grounded(facts: Facts, posts: list[Post]) -> list[Post]:
    """The posts the school has a ground to ask the platform to remove: they engage one of the
    platform's own rules, or they are unlawful on the case's facts (pipeline/takedown.py). The
    others are not put to the platform; the plan's note says why and what the office can do."""
    reading = facts.reading(posts)
    return [p for p in posts if reading.grounded(p)]


def _host_takedown(facts: Facts) -> list[Match]:
    why = facts.refusal()
    matches = {key: chosen for key, posts in _takedown_due(facts).items()
               if (chosen := _grounded(facts, posts))}
    # Without a refusal, only serious or urgent posts qualify: they rest on the police clause.
    return [Match(posts, platform=key,
                  facts=why or f"{_urgency(posts)}, so the school reports "
                                f"{'them' if len(posts) > 1 else 'it'} at once",
                  clauses=None if why else (HOST, POLICE))
            for key, posts in matches.items()]


def _police(facts: Facts) -> list[Match]:
    # Counted post by post: a serious post not yet covered by a recorded referral gets one.
    posts = [p for p in facts.case.posts if p.serious
             and not facts.recorded(kinds.POLICE_REFERRAL, p)]
    if not posts:
        return []
    further = facts.recorded(kinds.POLICE_REFERRAL)
    crime = facts.case.police.crime_reference if facts.case.police else None
    said = _urgency(posts)
    if further:
        said += (f"; a further referral, adding to the earlier one"
                 f"{f' (crime reference {crime})' if crime else ''}")
    return [Match(posts, facts=said, further=further)]


def _legal(facts: Facts) -> list[Match]:
    if facts.recorded(kinds.LEGAL_REFERRAL) or not facts.live:
        return []
    defamatory = [p for p in facts.live if "defamatory" in p.concerns]
    why = facts.refusal()
    if defamatory and why:
        is_are = "is" if len(defamatory) == 1 else "are"
        return [Match(defamatory,
                      facts=f"{_ids(defamatory)} {is_are} said to be defamatory, and {why}")]
    ignored = facts.warning_unanswered()
    if ignored:
        # "or if the circumstances warrant this": a warning has not worked.
        still = f"{facts.live[0].id} is" if len(facts.live) == 1 else \
            f"{_ids(facts.live)} are"
        return [Match(facts.live, facts=f"{ignored}, and {still} still live")]
    return []


def _access(facts: Facts) -> list[Match]:
    why = facts.refusal()
    posts = [p for p in facts.live if not p.external]
    if facts.recorded(kinds.ACCESS_RESTRICTION):
        return []
    return [Match(posts, facts=why)] if posts and why else []


def _never(facts: Facts) -> list[Match]:
    """Some letters are the school's decision alone: the plan proposes them as an action."""
    return []


RULES: tuple[Rule, ...] = (
    Rule(kinds.CONCERN, _concern,
         "{where} {is_are} live and the poster has not yet been spoken to or written to about "
         "{it_them}: the first step is to express concern and ask for removal.",
         (FIRST_STEP, EXPRESS_CONCERN)),
    Rule(kinds.WARNING, _warning,
         "{where} {is_are} still live, and {facts}: set out the school's concerns in writing, "
         "with a warning and a request for removal.",
         (IF_REFUSED, WARNING)),
    Rule(kinds.HOST_TAKEDOWN, _host_takedown,
         "{where} {is_are} live on an outside platform, and {facts}: ask the platform to "
         "remove {it_them}.",
         (IF_REFUSED, HOST)),
    Rule(kinds.POLICE_REFERRAL, _police,
         "{where}: {facts}. Report to the police, who decide whether a crime has been committed "
         "(a removed post remains evidence).",
         (POLICE,)),
    Rule(kinds.LEGAL_REFERRAL, _legal,
         "{where}: {facts}. Take legal advice.",
         (IF_REFUSED, LEGAL)),
    Rule(kinds.ACCESS_RESTRICTION, _access,
         "{where} {is_are} on the school's own site and {facts}: restrict the poster's access "
         "to it.",
         (IF_REFUSED, ACCESS)),
    Rule(kinds.PREMISES_NOTICE, _never,
         "The school has decided to bar the poster from the premises for now.",
         (), guidance=(DFE_PREMISES,)),
)
RULES_BY_KIND = {rule.kind.name: rule for rule in RULES}


def rules_digest() -> str:
    """SHA-256 of the rule table as data (kinds, reasons, clauses and condition names).

    Recorded in the manifest so the school can show which version of the rules produced a letter.
    """
    table = [{**kinds.describe(r.kind), "condition": r.condition.__name__,
              "reason": r.reason, "clauses": list(r.clauses), "guidance": list(r.guidance)}
             for r in RULES]
    table += [{"action": a.id, "source": a.source} for a in actions.ACTIONS]
    return hashlib.sha256(json.dumps(table, ensure_ascii=False).encode()).hexdigest()


# --- the actions -------------------------------------------------------------------------------


@dataclass
class _Found:
    posts: list[Post] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    due: date | None = None
    # Sets beside the lists: `in` on a list of posts compared every field of every post, which
    # made a 20,000-post case quadratic (minutes).
    _post_ids: set[str] = field(default_factory=set, repr=False)
    _reason_set: set[str] = field(default_factory=set, repr=False)

    def add(self, post: Post | None, reason: str, due: date) -> None:
        if post is not None and post.id not in self._post_ids:
            self._post_ids.add(post.id)
            self.posts.append(post)
        if reason not in self._reason_set:
            self._reason_set.add(reason)
            self.reasons.append(reason)
        self.due = min(self.due, due) if self.due else due


def _about(post: Post, role: str) -> bool:
    return any(a.role == role for a in post.about)


def _post_actions(facts: Facts) -> dict[str, _Found]:
    found: dict[str, _Found] = {}

    def need(action: Action, post: Post, reason: str, due: date) -> None:
        if not facts.done(action, post):
            found.setdefault(action.id, _Found()).add(post, reason, due)

    police_known = bool(facts.case.police and facts.case.police.crime_reference)
    for post in facts.case.posts:
        known = facts.known_on(post)
        recent = facts.today - day_of(post.posted) <= RECENT
        if "threat_of_violence" in post.concerns and (post.live or recent) and not police_known \
                and not facts.recorded(kinds.POLICE_REFERRAL, post):
            need(actions.CALL_POLICE, post, f"{post.id} threatens violence: the police first, "
                 "before any letter goes to the poster", known)
        if post.live and not post.external:
            need(actions.REMOVE_OWN_POST, post, f"{post.id} is live on the school's own site",
                 known)
        if "allegation_of_harm" in post.concerns:
            need(actions.CONSULT_LADO, post, f"{post.id} alleges that a member of staff or a "
                 "volunteer harmed a child or may pose a risk to children",
                 add_working_days(known, 1))
        pupil = "names_pupil" in post.concerns or _about(post, "pupil")
        if pupil or "allegation_of_harm" in post.concerns:
            # An allegation of harm goes to the DSL whether or not it names a pupil: say which.
            need(actions.TELL_DSL, post, f"{post.id} names or concerns a pupil" if pupil else
                 f"{post.id} alleges that a child was harmed", known)
        # Anyone the school is responsible for on its premises: staff, pupils, parents at the gate.
        if "threat_of_violence" in post.concerns and not facts.recorded(kinds.PREMISES_NOTICE):
            need(actions.CONSIDER_PREMISES_NOTICE, post,
                 f"{post.id} threatens violence against someone at the school", known)
        if "names_staff" in post.concerns or _about(post, "staff"):
            # `names_staff` also marks a governor named (the concerns have no word for one).
            whom = "a governor" if _about(post, "governor") and not _about(post, "staff") \
                else "a member of staff"
            need(actions.SUPPORT_STAFF, post, f"{post.id} names or is about {whom}", known)
    return found


def _step_actions(facts: Facts, found: dict[str, _Found]) -> None:
    for state in facts.steps:
        if not state.overdue:
            continue
        posts = facts._posts_of(state.step)
        reason = (f"after {state.words()} {state.lapse()}, as far as the case records"
                  if state.step.outcome == "agreed"
                  else f"{state.words()} had no outcome by {long_date(state.due)}")
        if state.step.step == kinds.HOST_TAKEDOWN.step and not facts.done(actions.ESCALATE_TO_POSH):
            live = [p for p in posts if p.live]
            entry = found.setdefault(actions.ESCALATE_TO_POSH.id, _Found())
            for post in live:
                # Name the platform: "the platform has not acted on the request to the platform".
                label = platform_info(post.platform, post.platform_name).label
                entry.add(post, f"{label} has not acted on the school's request of "
                          f"{long_date(state.step.date)} by {long_date(state.due)}, and "
                          f"{post.id} is still live", state.due)
        entry = found.setdefault(actions.RECORD_OUTCOME.id, _Found())
        for post in posts:
            entry.add(post, reason, state.due)
        if not posts:
            entry.add(None, reason, state.due)


def _actions(facts: Facts, school: School | None,
             letters: list[PlannedLetter]) -> list[PlannedAction]:
    found = _post_actions(facts)
    _step_actions(facts, found)
    if any(l.kind == kinds.PREMISES_NOTICE.name for l in letters):
        found.pop(actions.CONSIDER_PREMISES_NOTICE.id, None)  # decided: the letter is planned
    if school is not None and school.policy.next_review_date < facts.today:
        found[actions.REVIEW_POLICY.id] = _Found(
            [], [f"the {school.policy.title}'s review date "
                 f"({long_date(school.policy.next_review_date)}) has passed, and every letter "
                 "quotes it"],
            school.policy.next_review_date)
    planned = [PlannedAction(action_id, tuple(p.id for p in f.posts), tuple(f.reasons), f.due)
               for action_id, f in found.items() if f.due is not None]
    # Most urgent first: the longest overdue, then by the action's own priority.
    planned.sort(key=lambda a: (a.due, a.spec.priority))
    return planned


# --- deciding ----------------------------------------------------------------------------------


def recipient(kind: Kind, case: Case, school: School | None, platform: str | None, *,
              posts: tuple[Post, ...] = ()) -> str:
    """Who a letter of `kind` (about `posts`) goes to, by name."""
    if kind.to is Recipient.POSTER:
        return case.poster.name
    if kind.to is Recipient.PLATFORM:
        post = next(p for p in case.posts if p.platform_key == platform)
        if post.platform == "whatsapp":
            # WhatsApp has no route for a notice: the letter goes to the group's admin.
            return _group_admin(case, [p for p in posts if p.platform == "whatsapp"] or [post])
        info = platform_info(post.platform, post.platform_name)
        return f"{info.label} ({info.operator})"
    if kind.to is Recipient.POLICE:
        if case.police and case.police.force:
            return case.police.force
        return school.police_force if school else "the police"
    return f"{school.legal_advisers.firm}" if school else "the school's legal advisers"


def _group_admin(case: Case, posts: list[Post]) -> str:
    """'Mrs Kelly Ashby (the admin of the WhatsApp group “Year 5 mums”)', as the letter is
    addressed (letter/to_platform.py)."""
    names = list(dict.fromkeys(group_name(p) for p in posts))
    admins = list(dict.fromkeys(admin(case, p) for p in posts))
    group = (f"the WhatsApp group “{names[0]}”" if len(names) == 1 and names[0]
             else "a WhatsApp group" if len(names) == 1 else "WhatsApp groups")
    person = admins[0] if len(admins) == 1 else ""
    return f"{person} (the admin of {group})" if person else f"the admin of {group}"


def _reason(rule: Rule, match: Match) -> str:
    plural = len(match.posts) > 1
    text = rule.reason.format(where=_where(match.posts), facts=match.facts,
                              is_are="are" if plural else "is", it_them="them" if plural else "it")
    return text[0].upper() + text[1:]


def _letter(rule: Rule, match: Match, case: Case, school: School | None, on: date, *,
            reasons: tuple[str, ...], overrides: tuple[str, ...] = ()) -> PlannedLetter:
    urgent = any(p.urgent for p in match.posts)
    return PlannedLetter(
        kind=rule.kind.name, to=recipient(rule.kind, case, school, match.platform, posts=tuple(match.posts)),
        posts=tuple(p.id for p in match.posts), reasons=reasons,
        clauses=match.clauses or rule.clauses, platform=match.platform, overrides=overrides,
        guidance=rule.guidance, respond_by=rule.kind.respond_by_date(on, urgent=urgent),
        urgent=urgent, further=match.further)


def decide(case: Case, school: School | None = None, *, today: date | None = None,
           letter_date: date | None = None) -> Plan:
    """The letters and actions the policy calls for on `today`, with reasons, clauses, overrides
    and notes. `letter_date` (default: today) dates the letters' respond-by dates."""
    today = today or real_today()
    on = letter_date or today
    facts = Facts(case, today)
    letters: list[PlannedLetter] = []
    for rule in RULES:
        for match in rule.condition(facts):
            letters.append(_letter(rule, match, case, school, on,
                                   reasons=(_reason(rule, match),)))
    excluded: list[Excluded] = []
    unmet: list[str] = []
    for override in case.overrides:
        if override.action == "include":
            before = len(letters)
            letters = _include(letters, override, facts, school, on)
            if len(letters) == before and not any(_override_hits(override, l) for l in letters):
                unmet.append(f"The school's decision to include a {override.letter} letter "
                             f"({override.reason}) cannot apply: no post in the case fits it "
                             "(a platform letter needs a post on an outside platform).")
        else:
            kept = [l for l in letters if not _override_hits(override, l)]
            if len(kept) == len(letters):
                excluded.append(Excluded(override.letter, override.platform,
                                         f"{override.reason} (nothing of this kind was planned)"))
            else:
                excluded += [Excluded(l.kind, l.platform, override.reason)
                             for l in letters if _override_hits(override, l)]
            letters = kept
    unaddressed: list[PlannedLetter] = []
    if not case.poster.identified:
        unaddressed = [l for l in letters if l.spec.to is Recipient.POSTER]
        letters = [l for l in letters if l.spec.to is not Recipient.POSTER]
    letters.sort(key=lambda l: kinds.order(l.kind))  # stable: platforms keep the posts' order
    letters = [_sequenced(letter, facts) for letter in letters]
    if unaddressed:
        unmet.append("No letter to the poster: the school does not know who runs the account "
                     "(poster.identified: false), so it asks the platform instead. Record who "
                     "it is, and how the school knows, when that is known; the plan then "
                     f"considers {_and(sorted({l.kind for l in unaddressed}))} again.")
    notes = (_notes(facts, letters, excluded) + unmet + withheld_screenshots(case, letters, school)
             + proportion_notes(facts, letters) + notice_notes(facts, letters)
             + ungrounded_notes(facts, letters, excluded))
    return Plan(case.case_id, tuple(letters), tuple(notes),
                tuple(excluded), tuple(_actions(facts, school, letters)), today)


def police_told(facts: Facts) -> bool:
    """Whether the police already know: a referral recorded, a call recorded, a reference."""
    police = facts.case.police
    return bool(facts.recorded(kinds.POLICE_REFERRAL) or facts.done(actions.CALL_POLICE)
                or (police and (police.crime_reference or police.incident_number or police.told)))


def _sequenced(letter: PlannedLetter, facts: Facts) -> PlannedLetter:
    """The guidance's order: the police before a threatening poster is told anything; the LADO
    before any letter answers an allegation that a member of staff harmed a child."""
    first: list[str] = []
    posts = [facts.case.post(pid) for pid in letter.posts]
    recent_threat = any("threat_of_violence" in p.concerns
                        and (p.live or facts.today - day_of(p.posted) <= RECENT)
                        for p in facts.case.posts)
    if letter.spec.to is Recipient.POSTER and recent_threat and not police_told(facts):
        first.append(actions.CALL_POLICE.id)
    if letter.spec.to in (Recipient.POSTER, Recipient.PLATFORM) and any(
            "allegation_of_harm" in p.concerns and not facts.done(actions.CONSULT_LADO, p)
            for p in posts):
        first.append(actions.CONSULT_LADO.id)
    if not first:
        return letter
    return PlannedLetter(letter.kind, letter.to, letter.posts, letter.reasons, letter.clauses,
                         letter.platform, letter.overrides, letter.guidance, letter.respond_by,
                         letter.urgent, letter.further, tuple(first))


def _override_hits(override: Override, letter: PlannedLetter) -> bool:
    if override.letter != letter.kind:
        return False
    # Only platform letters are per platform; for any other kind a platform narrows nothing.
    if override.platform is None or letter.platform is None or letter.platform == override.platform:
        return True
    # `platform: other` names every site outside the vocabulary (whose letters carry its slug).
    return override.platform == "other" and letter.platform not in PLATFORM_WORDS


def _with_ungrounded(letter: PlannedLetter, override: Override, facts: Facts) -> tuple[str, ...]:
    """A platform letter's posts, with the posts on its platform the rules left out for want of
    a ground that the school's decision to include a letter to that platform takes in: the
    posts it names, or else every post due on that platform."""
    if letter.kind != kinds.HOST_TAKEDOWN.name:
        return letter.posts
    case = facts.case
    wanted = ([case.post(pid) for pid in override.posts] if override.posts
              else _takedown_due(facts).get(letter.platform or "", []))
    ids = set(letter.posts) | {p.id for p in wanted
                               if p.live and p.external and p.platform_key == letter.platform}
    return tuple(p.id for p in case.posts if p.id in ids)


def _include(letters: list[PlannedLetter], override: Override, facts: Facts,
             school: School | None, on: date) -> list[PlannedLetter]:
    case = facts.case
    rule = RULES_BY_KIND[override.letter]
    reason = f"Included by the school's decision: {override.reason}"
    hits = [l for l in letters if _override_hits(override, l)]
    if hits:  # already planned: the decision is recorded on the letter all the same
        return [l if l not in hits else
                PlannedLetter(l.kind, l.to, _with_ungrounded(l, override, facts),
                              l.reasons + (reason,), l.clauses, l.platform,
                              l.overrides + (override.reason,), l.guidance, l.respond_by,
                              l.urgent, l.further) for l in letters]
    posts = ([case.post(pid) for pid in override.posts] if override.posts
             else facts.live or list(case.posts))
    if rule.kind.per_platform:
        groups: dict[str, list[Post]] = {}
        for post in posts:
            if post.external and override.platform in (None, post.platform):
                groups.setdefault(post.platform_key, []).append(post)
        matches = [Match(chosen, platform=key) for key, chosen in groups.items()]
    else:
        matches = [Match(posts)]
    for match in matches:
        letters.append(_letter(rule, match, case, school, on, reasons=(reason,),
                               overrides=(override.reason,)))
    return letters


def _notes(facts: Facts, letters: list[PlannedLetter], excluded: list[Excluded]) -> list[str]:
    """Why nothing (or nothing more) is planned, in words for the office."""
    case = facts.case
    notes: list[str] = []
    live = facts.live
    if not live:
        notes.append("Every post in this case has been removed, so no letter asks for removal.")
    elif facts.first_step_date() is not None and facts.refusal() is None:
        waiting = [s for s in facts.steps if s.step.step in FIRST_STEPS and s.step.outcome in
                   ("agreed", "pending", "removed")]
        state = waiting[-1] if waiting else None
        if state:
            until = f" (due by {long_date(state.due)})" if state.due else ""
            notes.append(
                f"Waiting on {case.poster.name}: {state.words()} ended "
                f"'{state.step.outcome.replace('_', ' ')}'{until}, and {_ids(live)} "
                f"{'is' if len(live) == 1 else 'are'} still live. If "
                f"{'it is' if len(live) == 1 else 'they are'} not removed by then, the plan moves "
                "on by itself; record the outcome in the case's history when you know it.")
    if case.police and case.police.hold_letters and any(
            l.spec.to is Recipient.POSTER for l in letters):
        notes.append("The police have asked the school not to contact the poster yet: hold every "
                     "letter to the poster until they agree.")
    if facts.recorded(kinds.WARNING) and live and not letters:
        notes.append("A warning letter is already recorded; the next steps (platform, police, "
                     "legal advice) depend on the posts and the outcome recorded.")
    for e in excluded:
        what = e.kind + (f" ({e.platform})" if e.platform else "")
        notes.append(f"Not drafted by the school's decision: {what}: {e.reason}")
    if not letters and not notes:
        notes.append("The policy calls for no new letter now: every step it calls for is already "
                     "recorded in the case's history.")
    return notes


# --- proportion: a school is a public authority, and criticism of it is protected expression ----

CRITICISM = frozenset({"complaint", "negative_comment"})
MILD_CONCERNS = frozenset({"complaint", "negative_comment", "names_staff"})
INDIVIDUAL_ROLES = ("staff", "governor", "pupil", "parent")


def criticism_only(post: Post) -> bool:
    """Every concern is a complaint or a negative comment, and the post names no individual (only
    the school): a letter never objects to it (letter-spec 0.2, 1.1)."""
    return set(post.concerns) <= CRITICISM and all(
        a.role == "school" or not a.name for a in post.about)


def mild_post(post: Post) -> bool:
    """A grumble that names a teacher or a governor: only complaints, negative comments and the
    naming of staff, about staff, governors or the school."""
    return set(post.concerns) <= MILD_CONCERNS and all(
        a.role in ("staff", "governor", "school") for a in post.about)


def mild_case(posts: list[Post]) -> bool:
    """Every post is criticism-only or mild."""
    return bool(posts) and all(criticism_only(p) or mild_post(p) for p in posts)


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _individual_names(posts: list[Post]) -> list[str]:
    return list(dict.fromkeys(a.name for p in posts for a in p.about
                              if a.role in INDIVIDUAL_ROLES and a.name))


def proportion_notes(facts: Facts, letters: list[PlannedLetter]) -> list[str]:
    """Where a planned letter to the poster answers criticism rather than abuse, a note asking
    the office to consider whether it is proportionate (a school is a public authority:
    criticism of it is protected expression); and what a letter to the poster needs that the
    case does not yet give it."""
    notes: list[str] = []
    to_poster = [l for l in letters if l.spec.to is Recipient.POSTER]
    for letter in to_poster:
        posts = [facts.case.post(pid) for pid in letter.posts]
        if letter.kind == kinds.WARNING.name and not letter.overrides and mild_case(posts):
            named = [p for p in posts if not criticism_only(p)]
            names = _individual_names(named)
            naming = f" naming {_and(names)}" if names else ""
            notes.append(f"{_ids(named or posts)}: criticism of the school{naming}; consider "
                         "whether a formal warning is proportionate \u2014 a concern letter may be "
                         "enough (override: exclude warning, include concern)")
    seen: set[str] = set()
    for letter in to_poster:
        for pid in letter.posts:
            post = facts.case.post(pid)
            if pid in seen:
                continue
            seen.add(pid)
            if criticism_only(post) and letter.kind in (kinds.CONCERN.name, kinds.WARNING.name):
                notes.append(f"{pid} is criticism of the school, which is protected expression; "
                             "consider answering the concern itself or pointing to the "
                             "complaints procedure (the letter invites the poster to "
                             "raise it directly and does not ask for its removal)")
            if "personal_information" in post.concerns and not post.private_details:
                notes.append(f"record private_details for {pid}: until then the letters to the "
                             "poster do not quote it (it contains personal information)")
    for letter in to_poster:
        if letter.kind == kinds.PREMISES_NOTICE.name and not any(
                o.until for o in facts.case.overrides
                if o.letter == letter.kind and o.action == "include"):
            notes.append("state the period of the bar: add `until: YYYY-MM-DD` to the override "
                         "that includes premises_notice (without it the letter gives twelve "
                         "weeks from its date)")
    return notes


def notice_notes(facts: Facts, letters: list[PlannedLetter]) -> list[str]:
    """Why a platform letter carries no notice of complaint under the Defamation Act 2013 s5
    (the poster is known to the school; the person has not authorised one), what a platform may
    decline, and what to check in the platform directory before sending (the reading of the case
    the letter rests on too: pipeline/takedown.py)."""
    notes: list[str] = []
    for letter in letters:
        if letter.kind == kinds.HOST_TAKEDOWN.name:
            posts = [facts.case.post(pid) for pid in letter.posts]
            notes += [n for n in platform_notes(facts.case, posts, facts.reading(posts))
                      if n not in notes]
    return notes


def ungrounded_notes(facts: Facts, letters: list[PlannedLetter],
                     excluded: list[Excluded]) -> list[str]:
    """Why no letter goes to a platform about posts whose time has come but which engage none of
    its rules and are not unlawful on the case's facts, and what the office could do (unless the
    school's decision already includes or excludes a letter to that platform)."""
    asked = {pid for l in letters if l.kind == kinds.HOST_TAKEDOWN.name for pid in l.posts}
    decided = {e.platform for e in excluded if e.kind == kinds.HOST_TAKEDOWN.name}
    notes: list[str] = []
    for key, posts in _takedown_due(facts).items():
        if key in decided or None in decided:
            continue
        grounded = {p.id for p in _grounded(facts, posts)}
        left = [p for p in posts if p.id not in asked and p.id not in grounded]
        if left:
            notes += no_ground_notes(facts.case, left, platform=key)
    return notes
