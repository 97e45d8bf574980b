"""The policy's procedure as a rule table, and decide(case) -> Plan.

Each rule row names a letter kind, whom it goes to, the condition under which the policy calls
for it, a reason sentence, and the clause of the school's Social Media Policy it rests on, quoted
verbatim (tests check every clause against data/policy/social-media-policy.md). The conditions are
small pure functions over the case; `decide` applies the rows in order, then the staff's
overrides. Nothing here reads files, the clock or the terminal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from pipeline import kinds
from pipeline.case.model import Case, Override, Post, School
from pipeline.dates import day_of, long_date
from pipeline.kinds import Kind, Recipient
from pipeline.platforms import PLATFORMS, platform_info

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

# --- the plan ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedLetter:
    """One letter the policy calls for now: to whom, about which posts, why, on which clause."""

    kind: str
    to: str
    posts: tuple[str, ...]
    reasons: tuple[str, ...]
    clauses: tuple[str, ...]
    platform: str | None = None
    overrides: tuple[str, ...] = ()

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
                               "reasons": list(self.reasons), "clauses": list(self.clauses)}
        if self.platform:
            out["platform"] = self.platform
        if self.overrides:
            out["overrides"] = list(self.overrides)
        return out


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

    def as_json(self) -> dict:
        out: dict[str, Any] = {"case_id": self.case_id,
                               "letters": [letter.as_json() for letter in self.letters]}
        if self.notes:
            out["notes"] = list(self.notes)
        if self.excluded:
            out["excluded"] = [{"kind": e.kind, "platform": e.platform, "reason": e.reason}
                               for e in self.excluded]
        return out


# --- facts about a case that the rules are written in ----------------------------------------

FIRST_STEPS = (kinds.DISCUSSION, kinds.CONCERN.step)
REFUSING_OUTCOMES = ("refused", "no_response", "continued")


def first_step_date(case: Case) -> date | None:
    dates = [s.date for s in case.history if s.step in FIRST_STEPS]
    return min(dates) if dates else None


def refusal(case: Case) -> str | None:
    """Why the poster counts as having refused, in words, or None if they have not."""
    for step in case.history:
        if step.step in (*FIRST_STEPS, kinds.WARNING.step) and step.outcome in REFUSING_OUTCOMES:
            said = {"refused": "refused", "no_response": "did not respond",
                    "continued": "continued to post"}[step.outcome]
            return (f"after the {step_words(step.step)} on {long_date(step.date)} the "
                    f"poster {said}")
    first = first_step_date(case)
    if first is not None:
        later = [p for p in case.posts if day_of(p.posted) > first]
        if later:
            return (f"{_ids(later)} {'was' if len(later) == 1 else 'were'} posted after the "
                    f"first step on {long_date(first)}")
    return None


def step_words(step: str) -> str:
    """A history step in plain words: 'discussion', 'letter of concern'."""
    return kinds.BY_STEP[step].step_words if step in kinds.BY_STEP else step.replace("_", " ")


def recorded(case: Case, kind: Kind, post: Post | None = None) -> bool:
    """Whether history already records `kind` as sent (for `post`, when given)."""
    return any(s.step == kind.step and (post is None or s.covers(post.id)) for s in case.history)


def _ids(posts: list[Post]) -> str:
    return ", ".join(p.id for p in posts)


def _where(posts: list[Post]) -> str:
    """'P1 (Facebook, 30 September 2026) and P2 (Instagram, 4 October 2026)'."""
    parts = [f"{p.id} ({platform_info(p.platform, p.platform_name).label}, "
             f"{long_date(p.posted)}{', removed' if not p.live else ''})" for p in posts]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


# --- the rule table --------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """One letter a rule calls for: its posts, its platform, and the facts for its reason."""

    posts: list[Post]
    platform: str | None = None
    facts: str = ""
    clauses: tuple[str, ...] | None = None  # when this match rests on other clauses than the row's


@dataclass(frozen=True)
class Rule:
    kind: Kind
    condition: Callable[[Case], list[Match]]
    reason: str  # formatted with {posts} {where} {facts} {poster}
    clauses: tuple[str, ...]


def _live(case: Case) -> list[Post]:
    return [p for p in case.posts if p.live]


def _concern(case: Case) -> list[Match]:
    live = _live(case)
    if live and first_step_date(case) is None:
        return [Match(live)]
    return []


def _warning(case: Case) -> list[Match]:
    live = _live(case)
    why = refusal(case)
    if live and first_step_date(case) is not None and why and not recorded(case, kinds.WARNING):
        return [Match(live, facts=why)]
    return []


def _host_takedown(case: Case) -> list[Match]:
    why = refusal(case)
    matches: dict[str, list[Post]] = {}
    for post in _live(case):
        if not post.external or recorded(case, kinds.HOST_TAKEDOWN, post):
            continue
        if why or post.serious:
            matches.setdefault(post.platform_key, []).append(post)
    # Without a refusal, only serious posts qualify: they rest on the police clause's examples.
    return [Match(posts, platform=key, facts=why or "the content is serious enough to report at once",
                  clauses=None if why else (HOST, POLICE))
            for key, posts in matches.items()]


def _police(case: Case) -> list[Match]:
    # The contract: a letter recorded in history is not planned again; only platform letters
    # are counted post by post.
    posts = [p for p in case.posts if p.serious]
    if not posts or recorded(case, kinds.POLICE_REFERRAL):
        return []
    named = sorted({c.replace("_", " ") for p in posts for c in p.concerns
                    if c in ("threat_of_violence", "racist", "grossly_obscene", "harassment")})
    return [Match(posts, facts=", ".join(named))]


def _legal(case: Case) -> list[Match]:
    why = refusal(case)
    posts = [p for p in _live(case) if "defamatory" in p.concerns]
    if recorded(case, kinds.LEGAL_REFERRAL):
        return []
    return [Match(posts, facts=why)] if posts and why else []


def _access(case: Case) -> list[Match]:
    why = refusal(case)
    posts = [p for p in _live(case) if not p.external]
    if recorded(case, kinds.ACCESS_RESTRICTION):
        return []
    return [Match(posts, facts=why)] if posts and why else []


RULES: tuple[Rule, ...] = (
    Rule(kinds.CONCERN, _concern,
         "{where} {is_are} live and the school has not yet discussed {it_them} with the poster or "
         "written to them: the first step is to express concern and ask for removal.",
         (FIRST_STEP, EXPRESS_CONCERN)),
    Rule(kinds.WARNING, _warning,
         "{where} {is_are} still live, and {facts}: the next step is to set out the school's "
         "concerns in writing, with a warning and a request for removal.",
         (IF_REFUSED, WARNING)),
    Rule(kinds.HOST_TAKEDOWN, _host_takedown,
         "{where} {is_are} live on an outside platform, and {facts}: ask the platform to "
         "remove {it_them}.",
         (IF_REFUSED, HOST)),
    Rule(kinds.POLICE_REFERRAL, _police,
         "{where} {is_are} serious ({facts}): report to the police, who decide whether a crime "
         "has been committed (a removed post remains evidence).",
         (POLICE,)),
    Rule(kinds.LEGAL_REFERRAL, _legal,
         "{where} {is_are} live and said to be defamatory, and {facts}: take legal advice.",
         (IF_REFUSED, LEGAL)),
    Rule(kinds.ACCESS_RESTRICTION, _access,
         "{where} {is_are} on the school's own site and {facts}: restrict the poster's access "
         "to it.",
         (IF_REFUSED, ACCESS)),
)
RULES_BY_KIND = {rule.kind.name: rule for rule in RULES}


def rules_digest() -> str:
    """SHA-256 of the rule table as data (kinds, reasons, clauses and condition names).

    Recorded in the manifest so the school can show which version of the rules produced a letter.
    """
    table = [{**kinds.describe(r.kind), "condition": r.condition.__name__,
              "reason": r.reason, "clauses": list(r.clauses)} for r in RULES]
    return hashlib.sha256(json.dumps(table, ensure_ascii=False).encode()).hexdigest()


# --- deciding ----------------------------------------------------------------------------------


def recipient(kind: Kind, case: Case, school: School | None, platform: str | None) -> str:
    """Who a letter of `kind` goes to, by name."""
    if kind.to is Recipient.POSTER:
        return case.poster.name
    if kind.to is Recipient.PLATFORM:
        post = next(p for p in case.posts if p.platform_key == platform)
        info = platform_info(post.platform, post.platform_name)
        return f"{info.label} ({info.operator})"
    if kind.to is Recipient.POLICE:
        if case.police and case.police.force:
            return case.police.force
        return school.police_force if school else "the police"
    return f"{school.legal_advisers.firm}" if school else "the school's legal advisers"


def _reason(rule: Rule, match: Match, case: Case) -> str:
    plural = len(match.posts) > 1
    text = rule.reason.format(where=_where(match.posts), posts=_ids(match.posts), facts=match.facts,
                              is_are="are" if plural else "is", it_them="them" if plural else "it")
    return text[0].upper() + text[1:]


def decide(case: Case, school: School | None = None) -> Plan:
    """The letters the policy calls for now, with reasons, clauses, overrides and notes."""
    letters: list[PlannedLetter] = []
    for rule in RULES:
        for match in rule.condition(case):
            letters.append(PlannedLetter(
                kind=rule.kind.name, to=recipient(rule.kind, case, school, match.platform),
                posts=tuple(p.id for p in match.posts), reasons=(_reason(rule, match, case),),
                clauses=match.clauses or rule.clauses, platform=match.platform))
    excluded: list[Excluded] = []
    unmet: list[str] = []
    for override in case.overrides:
        if override.action == "include":
            before = len(letters)
            letters = _include(letters, override, case, school)
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
    letters.sort(key=lambda l: kinds.order(l.kind))  # stable: platforms keep the posts' order
    return Plan(case.case_id, tuple(letters), tuple(_notes(case, letters, excluded) + unmet),
                tuple(excluded))


def _override_hits(override: Override, letter: PlannedLetter) -> bool:
    if override.letter != letter.kind:
        return False
    # Only platform letters are per platform; for any other kind a platform narrows nothing.
    if override.platform is None or letter.platform is None or letter.platform == override.platform:
        return True
    # `platform: other` names every site outside the vocabulary (whose letters carry its slug).
    return override.platform == "other" and letter.platform not in PLATFORM_WORDS


def _include(letters: list[PlannedLetter], override: Override, case: Case,
             school: School | None) -> list[PlannedLetter]:
    rule = RULES_BY_KIND[override.letter]
    reason = f"Included by the school's decision: {override.reason}"
    hits = [l for l in letters if _override_hits(override, l)]
    if hits:  # already planned: the decision is recorded on the letter all the same
        return [l if l not in hits else
                PlannedLetter(l.kind, l.to, l.posts, l.reasons + (reason,), l.clauses, l.platform,
                              l.overrides + (override.reason,)) for l in letters]
    posts = ([case.post(pid) for pid in override.posts] if override.posts
             else _live(case) or list(case.posts))
    if rule.kind.per_platform:
        groups: dict[str, list[Post]] = {}
        for post in posts:
            if post.external and override.platform in (None, post.platform):
                groups.setdefault(post.platform_key, []).append(post)
        platforms = list(groups.items())
    else:
        platforms = [(None, posts)]
    for key, chosen in platforms:
        letters.append(PlannedLetter(
            kind=rule.kind.name, to=recipient(rule.kind, case, school, key),
            posts=tuple(p.id for p in chosen), reasons=(reason,), clauses=rule.clauses,
            platform=key, overrides=(override.reason,)))
    return letters


def _notes(case: Case, letters: list[PlannedLetter], excluded: list[Excluded]) -> list[str]:
    """Why nothing (or nothing more) is planned, in words for the office."""
    notes: list[str] = []
    live = _live(case)
    if not live:
        notes.append("Every post in this case has been removed, so no letter asks for removal.")
    elif first_step_date(case) is not None and refusal(case) is None:
        agreed = [s for s in case.history if s.step in FIRST_STEPS and s.outcome in
                  ("agreed", "pending", "removed")]
        step = agreed[-1] if agreed else None
        if step:
            notes.append(
                f"Waiting on {case.poster.name}: the {step_words(step.step)} on "
                f"{long_date(step.date)} ended '{step.outcome.replace('_', ' ')}', and "
                f"{_ids(live)} {'is' if len(live) == 1 else 'are'} still live. If "
                f"{'it is' if len(live) == 1 else 'they are'} not removed, record the outcome in "
                "the case's history (refused or no_response) and plan again.")
    if recorded(case, kinds.WARNING) and live and not letters:
        notes.append("A warning letter is already recorded; the next steps (platform, police, "
                     "legal advice) depend on the posts and the outcome recorded.")
    for e in excluded:
        what = e.kind + (f" ({e.platform})" if e.platform else "")
        notes.append(f"Not drafted by the school's decision: {what}: {e.reason}")
    if not letters and not notes:
        notes.append("The policy calls for no new letter now: every step it calls for is already "
                     "recorded in the case's history.")
    return notes
