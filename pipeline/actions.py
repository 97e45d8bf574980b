"""What the office must do that is not a letter: one entry per action, with its stable id.

The ids are part of the contract (`letters plan --json`, `letters due --json`, and the `actions:`
list a case file uses to record an action as done). Each entry says what the office does, in
plain words, and what it rests on: the school's policy or, where the policy is silent, the
guidance named. When each action is called for is decided in policy.py.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Action:
    id: str
    short: str  # the action in a few words, for `letters due`
    what: str  # what the office does, in full, for the plan
    source: str  # where this step comes from
    priority: int  # among actions due the same day, lower comes first


CALL_POLICE = Action(
    id="call_police", short="Call the police: 999 if anyone is in danger, else 101",
    priority=0,
    what="Ring 999 if anyone is in immediate danger, otherwise 101, today, before any letter "
         "goes to the poster; note the incident number",
    source="Police guidance: 999 where anyone may be in immediate danger, otherwise 101 first, "
           "and the letter follows with the incident number; the policy: \"Contact the Police "
           "where the School feels it appropriate\"")
REMOVE_OWN_POST = Action(
    id="remove_own_post", short="Hide the post on the school's own site (keep a copy)",
    priority=1,
    what="Hide or remove the post on the school's own site now, keeping a copy as evidence",
    source="The policy: \"If the inappropriate comments have been made on a school website or "
           "online forum, the School may take action to block or restrict that individual's "
           "access to that website or forum\"")
CONSULT_LADO = Action(
    id="consult_lado", short="Consult the LADO (within one working day)",
    priority=2,
    what="Consult the local authority designated officer (LADO) about the allegation, within "
         "one working day",
    source="Keeping Children Safe in Education, Part 4 (allegations against staff and volunteers)")
TELL_DSL = Action(
    id="tell_dsl", short="Tell the designated safeguarding lead",
    priority=3,
    what="Tell the designated safeguarding lead about the post that names or concerns a pupil",
    source="Keeping Children Safe in Education (the designated safeguarding lead)")
CONSIDER_PREMISES_NOTICE = Action(
    id="consider_premises_notice", short="Decide whether to bar the poster from the premises",
    priority=4,
    what="Decide whether to bar the poster from the school premises (a provisional bar, "
         "representations, review); to send the letter, add an override including "
         "premises_notice with the reason",
    source="DfE advice \"Controlling access to school premises\"; Education Act 1996 s547")
SUPPORT_STAFF = Action(
    id="support_staff", short="Tell the member of staff named what the school is doing; offer support",
    priority=5,
    what="Tell the member of staff named what the school is doing, and offer support (e.g. the "
         "Education Support helpline)",
    source="Published guidance for schools on online criticism (support the member of staff)")
ESCALATE_TO_POSH = Action(
    id="escalate_to_posh", short="Escalate to the Professionals Online Safety Helpline",
    priority=6,
    what="Escalate to the Professionals Online Safety Helpline (UK Safer Internet Centre) with "
         "the URLs and the platform's report reference",
    source="Professionals Online Safety Helpline: escalate after about 48 hours without a "
           "response from the platform")
RECORD_OUTCOME = Action(
    id="record_outcome", short="Record the outcome in the case history",
    priority=7,
    what="Record in the case's history what happened (the plan has already moved on)",
    source="The case record")
REVIEW_POLICY = Action(
    id="review_policy", short="Put the Social Media Policy to the governors for review",
    priority=8,
    what="Put the Social Media Policy to the governors for review: every letter quotes it",
    source="The policy's own review date (school profile: policy.next_review_date)")

ACTIONS: tuple[Action, ...] = (CALL_POLICE, REMOVE_OWN_POST, CONSULT_LADO, TELL_DSL,
                               CONSIDER_PREMISES_NOTICE, SUPPORT_STAFF, ESCALATE_TO_POSH,
                               RECORD_OUTCOME, REVIEW_POLICY)
BY_ID: dict[str, Action] = {action.id: action for action in ACTIONS}
IDS: tuple[str, ...] = tuple(BY_ID)
