"""Letters to the poster: concern, warning, access restriction, premises notice.

Each builder is attached to its registry entry with `@kinds.<KIND>.builds` and is called by
letter/context.py as `build(ctx, source)` after the common fields are in place.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pipeline import kinds
from pipeline.case.model import HistoryStep
from pipeline.dates import add_working_days, long_date
from pipeline.kinds import Recipient
from pipeline.letter.parts import LetterSource
from pipeline.letter.words import join, person
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
