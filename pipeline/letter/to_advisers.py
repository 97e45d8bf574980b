"""Letters to the school's legal advisers: the request for advice, and the account of the case that
the advisers' bundle shares with it (letter-spec sections 7, 10 and 12).

The request gives a solicitor what they need to advise (issue 14): every post in the case, live or
removed, quoted in full (the advisers are not a third party: the letter and the bundle are marked
"not for onward disclosure"), with its reach, the meaning the person attributes to it and the
facts that show it untrue; the limitation date (Limitation Act 1980 s4A); everything the school
has done, and every letter drafted in the case with whether it was sent; the people concerned,
their wishes and authority; and only the questions that fit the facts (REFERENCE.md: "Defamation:
time limits and the route to a claim", "A public body's letters to critics", "Safeguarding around
an incident"). It never calls a post defamatory as a finding ("said to be"), and says where the
posts are criticism of the school, which is protected expression.

`Account` tells the case in the third person, one event at a time: the letter's table of what the
school has done and the bundle's chronology (pipeline/record.py) are both made from it, so the
two cannot disagree. Nothing here prints an internal name (a kind or action id, "version 2").
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from pipeline import actions, kinds
from pipeline.case.model import Case, HistoryStep, Override, Person, Post, School, Signatory
from pipeline.dates import day_of, long_date, to_uk, uk_time
from pipeline.letter import story
from pipeline.letter.parts import LetterSource, post_fields
from pipeline.platforms import platform_info
from pipeline.policy import Facts, StepState
from pipeline.words import TITLES, dear, join, number, pronoun, short_for

# --- plain words --------------------------------------------------------------------------------

RELATIONSHIP_WORDS = {
    "parent": "the parent of a pupil at the school",
    "carer": "the carer of a pupil at the school",
    "relative": "a relative of a pupil at the school",
    "associated": "a person associated with the school",
}
ROLE_WORDS = {"staff": "a member of staff", "governor": "a governor", "pupil": "a pupil",
              "parent": "a parent at the school"}
# The concerns the school recorded, as labels a solicitor reads as the school's view, never as a
# finding ("said to be defamatory", not "defamatory").
CONCERN_LABELS = {
    "allegation": "an allegation about an individual",
    "allegation_of_harm": "an allegation that a member of staff harmed a child or is a risk to "
                          "children",
    "defamatory": "statements said to be defamatory",
    "names_staff": "the naming of a member of staff",
    "names_pupil": "the naming of a pupil",
    "negative_comment": "criticism",
    "complaint": "a complaint about the school",
    "cyberbullying": "conduct said to be cyber-bullying",
    "harassment": "conduct said to be harassment",
    "racist": "racist content",
    "threat_of_violence": "a threat of violence",
    "personal_information": "personal information",
    "confidential_information": "confidential information",
    "grossly_obscene": "grossly offensive or obscene content",
}
# What the summary says a grave post includes.
GRAVE_NOUNS = (
    ("threat_of_violence", "a threat of violence"),
    ("allegation_of_harm", "an allegation that a member of staff harmed a child"),
    ("racist", "racist content"),
    ("personal_information", "the publication of personal information"),
    ("grossly_obscene", "grossly offensive material"),
    ("defamatory", "statements the school believes to be defamatory"),
)
CRITICISM = frozenset({"complaint", "negative_comment"})
ALLEGING = frozenset({"allegation", "allegation_of_harm"})
METHOD_WORDS = {"post": "by post", "email": "by email", "hand": "by hand",
                "webform": "through the platform\u2019s web form", "phone": "by telephone"}
LETTER_TITLES = {
    kinds.CONCERN.name: "Letter of concern",
    kinds.WARNING.name: "Formal warning",
    kinds.ACCESS_RESTRICTION.name: "Letter restricting access to the school\u2019s online forum",
    kinds.PREMISES_NOTICE.name: "Notice about access to the school premises",
}
# An action recorded as done, in the past tense ("{who} told the designated safeguarding lead
# about P1").
ACTION_WORDS = {
    actions.CALL_POLICE.id: "reported the matter to the police by telephone",
    actions.REMOVE_OWN_POST.id: "hid {ids} on the school\u2019s own site, keeping a copy",
    actions.CONSULT_LADO.id: "consulted the local authority designated officer (LADO) about "
                             "{ids}",
    actions.TELL_DSL.id: "told the designated safeguarding lead about {ids}",
    actions.CONSIDER_PREMISES_NOTICE.id: "considered whether to bar the poster from the school "
                                         "premises",
    actions.SUPPORT_STAFF.id: "told {people} what the school is doing and offered support",
    actions.ESCALATE_TO_POSH.id: "escalated {ids} to the Professionals Online Safety Helpline",
    actions.RECORD_OUTCOME.id: "recorded the outcome of the earlier steps",
    actions.REVIEW_POLICY.id: "put the Social Media Policy to the governors for review",
}
NONE = "\u2013"  # a table cell with nothing to say
DASH = "\u2013"


def bundle_name(case_id: str) -> str:
    """The zip `letters bundle` writes by default (cli.py): what the letter encloses."""
    return f"{case_id}-bundle.zip"


def record_name(case_id: str) -> str:
    """The clean export of the case in the bundle (record.py)."""
    return f"case/{case_id}-case-record.yaml"


def chronology_name(case_id: str) -> str:
    return f"{case_id}-chronology.docx"


def log_names(case_id: str) -> tuple[str, str]:
    return f"{case_id}-evidence-log.docx", f"{case_id}-evidence-log.csv"


def evidence_member(post: Post) -> str:
    """A screenshot's name in the bundle: the post id first, so two posts' files never clash."""
    name = (post.evidence or "").replace("\\", "/").rsplit("/", 1)[-1]
    return f"evidence/{post.id}-{name}"


def unbroken(reference: str) -> str:
    """A reference that must not break across lines (no-break spaces and hyphens, word joiners
    either side of '/'); undo the three and it is as written (letter-spec 1.5)."""
    return story.keep_together(reference).replace("/", "\u2060/\u2060")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def _it(n: int) -> str:
    return "it" if n == 1 else "them"


def _in_sentence(outcome: str) -> str:
    """An outcome as it reads after 'Outcome: ' inside a sentence: 'no reply by …', but
    'Mr Kettley declined …' keeps its capital."""
    first = outcome.split(" ", 1)[0]
    return outcome[:1].lower() + outcome[1:] if first in ("No", "Awaited", "It", "They") \
        else outcome


def _with_note(outcome: str, note: str) -> str:
    return f"{outcome}.{note}" if note else outcome


def moment(value: date | datetime) -> datetime:
    """When something happened on the UK clock, a date as its midnight (for sorting)."""
    local = to_uk(value)
    if isinstance(local, datetime):
        return local.replace(tzinfo=None)
    return datetime(local.year, local.month, local.day)


def kind_title(kind: str) -> str:
    """A letter kind in words, for a sentence: 'formal warning', 'referral to the police'."""
    if kind == kinds.HOST_TAKEDOWN.name:
        return "request to a platform to remove content"
    if kind == kinds.POLICE_REFERRAL.name:
        return "referral to the police"
    if kind == kinds.LEGAL_REFERRAL.name:
        return "request for legal advice"
    title = LETTER_TITLES.get(kind) or kinds.get(kind).title
    return title[:1].lower() + title[1:]


# --- people --------------------------------------------------------------------------------------


def short_name(name: str) -> str:
    """'Mr P Hargreaves' -> 'Mr Hargreaves'; 'Mr and Mrs A Nowak' -> 'Mr and Mrs Nowak'; a name
    without a title as written."""
    words = name.split()
    if not words or words[0].rstrip(".") not in TITLES:
        return name
    if " and " in f" {name} " or "&" in name:
        return " ".join(w for w in words
                        if not (len(w.rstrip(".")) == 1 and w[0].isalpha() and w[0].isupper()))
    return f"{words[0]} {words[-1]}" if len(words) > 2 else name


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


@dataclass
class Individual:
    """Someone the posts are about (never the school), with what the case records of them."""

    name: str
    role: str
    posts: list[Post] = field(default_factory=list)
    records: list[Person] = field(default_factory=list)  # their `about` entries, in post order

    @property
    def short(self) -> str:
        return short_name(self.name)

    @property
    def role_words(self) -> str:
        if self.role == "parent" and (" and " in f" {self.name} " or "&" in self.name):
            return "a family at the school"
        return ROLE_WORDS[self.role]

    def first(self, attribute: str) -> Any:
        return next((getattr(p, attribute) for p in self.records if getattr(p, attribute)), None)

    def record_on(self, post: Post) -> Person | None:
        return next((a for a in post.about if a.name and _key(a.name) == _key(self.name)), None)

    @property
    def days(self) -> list[date]:
        return sorted({day_of(p.posted) for p in self.posts})


def individuals(posts: list[Post]) -> list[Individual]:
    """The individuals the posts are about, once each, in the order first met."""
    found: dict[str, Individual] = {}
    for post in posts:
        for person in post.about:
            if person.role == "school" or not person.name:
                continue
            who = found.setdefault(_key(person.name), Individual(person.name, person.role))
            if not who.posts or who.posts[-1] is not post:  # posts come one at a time
                who.posts.append(post)
            who.records.append(person)
    return list(found.values())


def _about(post: Post) -> str:
    words = [f"{i.name} ({i.role_words})" for i in individuals([post])]
    if any(a.role == "school" for a in post.about):
        words.append("the school")
    return join(words) or "the school"


def actor(by: str | None) -> str:
    """Who did something, in the third person: 'the Headteacher', 'Mrs Carter', 'the school'."""
    if not by:
        return "the school"
    return by if by.split()[0].rstrip(".") in TITLES else f"the {by}"


# --- the letters the case knows of ----------------------------------------------------------------


@dataclass(frozen=True)
class LetterRecord:
    """A letter drafted in the case: from the archive (with the history entry recording it as
    sent, if any) or drafted in this run."""

    reference: str
    kind: str
    recipient: str
    posts: tuple[str, ...]
    drafted: date
    revised: tuple[date, ...] = ()
    sent: HistoryStep | None = None
    this_run: bool = False

    def words(self, *, article: bool = False) -> str:
        """'Formal warning to Mr Darren Kettley about P1 and P2' ('a formal warning …')."""
        ids = join(list(self.posts))
        title = kind_title(self.kind)
        if self.kind == kinds.HOST_TAKEDOWN.name:
            said = f"request to {self.recipient} to remove {ids}"
        elif self.kind == kinds.POLICE_REFERRAL.name:
            said = f"referral to the police ({self.recipient}) about {ids}"
        elif self.kind == kinds.LEGAL_REFERRAL.name:
            said = f"request for legal advice to {self.recipient}"
        elif self.kind == kinds.ACCESS_RESTRICTION.name:
            said = (f"letter to {self.recipient} restricting access to the school\u2019s online "
                    f"forum ({ids})")
        elif self.kind == kinds.PREMISES_NOTICE.name:
            said = f"notice to {self.recipient} about access to the school premises"
        else:
            said = f"{title} to {self.recipient} about {ids}"
        if article:
            return ("an " if said[0] in "aeiou" else "a ") + said
        return _cap(said)

    def sent_words(self) -> str:
        """'sent by post on 2 December 2026', or '' when not recorded as sent."""
        if self.sent is None:
            return ""
        how = f" {METHOD_WORDS[self.sent.method]}" if self.sent.method else ""
        return f"sent{how} on {long_date(self.sent.date)}"

    def revised_words(self) -> str:
        return "".join(f" (revised {long_date(d)})" for d in self.revised)


def records_from_source(src: LetterSource) -> list[LetterRecord]:
    """The letters this letter knows of: the archive's (newest versions) and the same run's."""
    today = {s.reference for s in src.siblings} | {src.meta.reference}
    out = [LetterRecord(a.reference, a.kind, a.recipient, tuple(a.posts), a.letter_date,
                        sent=a.sent) for a in src.archive if a.reference not in today]
    out += [LetterRecord(s.reference, s.letter.kind, s.letter.to, tuple(s.letter.posts),
                         src.meta.letter_date, this_run=True) for s in src.siblings]
    return out


# --- the case told as events -----------------------------------------------------------------------


@dataclass
class Event:
    """One thing that happened: a row of the letter's table and of the chronology."""

    when: date | datetime
    sentence: str  # the chronology's "What happened"
    what: str = ""  # the letter's table: the step in a few words
    by: str = NONE
    reference: str = NONE
    sent: str = NONE
    outcome: str = NONE
    core: str = ""  # the sentence without notes (the letter's summary)
    order: int = 0  # among events at the same moment
    post_event: bool = False  # a post or its capture (the letter prints these elsewhere)

    @property
    def key(self) -> tuple:
        # A step recorded without a time goes after the timed events of its day: the school
        # acts on a post, so "told the DSL about P2" never comes before "posted P2" at 07:55.
        at = moment(self.when)
        return (at.date(), not isinstance(to_uk(self.when), datetime), at, self.order)

    def date_words(self) -> str:
        return long_date(self.when)

    def time_words(self) -> str:
        local = uk_time(self.when)
        if not isinstance(local.when, datetime):
            return NONE
        zone = f" {local.zone}" if local.repeated_hour and local.zone else ""
        return f"{local.when:%H:%M}{zone}"


class Account:
    """The case, in the third person, for the advisers: posts, captures, every history entry,
    every letter drafted (with whether it was sent), actions recorded, the school's decisions
    (overrides), and steps that fell due with no outcome."""

    def __init__(self, case: Case, school: School, letters: list[LetterRecord], today: date):
        self.case, self.school, self.today = case, school, today
        self.facts = Facts(case, today)
        self.states = {id(s.step): s for s in self.facts.steps}
        self.ids = {p.id for p in case.posts}
        if case.poster.identified:
            self.poster = case.poster.name
            self.poster_short = short_for(case.poster.name, case.poster.salutation, short_name)
        else:
            handles = list(dict.fromkeys(h for p in case.posts if (h := story.handle_of(p)[0])))
            self.poster = "an unidentified account" + (f" ({join(handles)})" if handles else "")
            self.poster_short = "the account holder"
            # A letter planned to an unnamed poster is to whoever holds the account.
            letters = [replace(r, recipient="the account holder")
                       if r.recipient == case.poster.name else r for r in letters]
        self.letters = sorted(letters, key=lambda r: (r.drafted, r.reference))

    # -- words

    def label(self, post: Post) -> str:
        return platform_info(post.platform, post.platform_name).label

    def posts_of(self, step: HistoryStep | Any) -> list[Post]:
        return [p for p in self.case.posts if step.covers(p.id)]

    where = staticmethod(story.where_posted)

    def outcome(self, state: StepState | None, step: HistoryStep, subject: str) -> str:
        """The outcome of a step, in a few words ('No reply by 23 November 2026')."""
        posts = self.posts_of(step)
        n = len(posts) or 1
        if state is not None and state.overdue and state.due:
            live = " (still online)" if any(p.live for p in posts) else ""
            if step.outcome == "agreed":
                return (f"{_cap(subject)} agreed to remove {_it(n)} by {long_date(state.due)}; "
                        f"not done{live}")
            return f"No reply by {long_date(state.due)}{live}"
        due = f" by {long_date(state.due)}" if state is not None and state.due else ""
        return {
            "pending": f"Awaited{f' (due{due})' if due else ''}",
            "agreed": f"{_cap(subject)} agreed to remove {_it(n)}{due}",
            "refused": f"{_cap(subject)} declined to remove {_it(n)}",
            "no_response": "No reply",
            "continued": f"{_cap(subject)} posted again afterwards",
            # By id: after "a formal warning about P1", "it was removed" reads as the letter.
            "removed": (f"{join([p.id for p in posts])} {'was' if n == 1 else 'were'} removed"
                        if posts else "It was removed"),
        }[step.outcome]

    def note(self, text: str | None) -> str:
        return f" Note: \u201c{text.strip()}\u201d" if text and text.strip() else ""

    # -- the events

    def events(self, *, posts: bool = True) -> list[Event]:
        out: list[Event] = []
        if posts:
            out += self._posts()
        claimed: set[int] = set()
        for record in self.letters:
            if record.this_run:
                continue
            out.append(self._letter(record))
            if record.sent is not None:
                claimed.add(id(record.sent))
        for step in self.case.history:
            if id(step) not in claimed:
                out.append(self._step(step))
        for step in self.case.history:  # a sent letter's step falls due too
            state = self.states.get(id(step))
            if state is not None and state.overdue and state.due:
                out.append(self._overdue(state))
        out += [self._action(a) for a in self.case.actions]
        out += [self._override(o) for o in self.case.overrides]
        out.sort(key=lambda e: e.key)
        return out

    def same_run(self) -> list[LetterRecord]:
        return [r for r in self.letters if r.this_run]

    def _posts(self) -> list[Event]:
        out = []
        for post in self.case.posts:
            reach = f" {post.reach.strip().rstrip('.')}." if post.reach else ""
            removed = "" if post.live else self._removed(post)
            concerns = join([CONCERN_LABELS[c] for c in post.concerns])
            out.append(Event(
                post.posted, post_event=True, order=0,
                sentence=(f"{self.poster_cap()} posted {post.id} on {self.label(post)} "
                          f"({self.where(post)}) about {_about(post)}. Concerns the school "
                          f"recorded: {concerns}.{reach}{removed} Full text: evidence log, "
                          f"{post.id}.{_as_written(post.posted)}")))
            if post.captured:
                who = post.captured_by or "The school"
                who = who if who.split()[0].rstrip(".") in TITLES or who == "The school" \
                    else f"The {who}"
                shot = f" with a screenshot ({evidence_member(post)})" if post.evidence \
                    else " without a screenshot"
                out.append(Event(post.captured, post_event=True, order=1,
                                 sentence=f"{who} recorded {post.id} as evidence{shot}."
                                          f"{_as_written(post.captured)}"))
        return out

    def poster_cap(self) -> str:
        return _cap(self.poster)

    def _removed(self, post: Post) -> str:
        removal = next((s for s in self.case.history
                        if s.outcome == "removed" and s.covers(post.id)), None)
        # A request's date is when the school asked, not when the post came down (the police
        # letter's rule too): "removed by" only for a step that recorded the removal itself.
        if removal is not None and removal.step == kinds.DISCUSSION:
            return f" It was removed by {long_date(removal.date)}."
        if removal is not None and removal.step == kinds.HOST_TAKEDOWN.step:
            return (f" It was removed after the school asked {self.label(post)} to remove it on "
                    f"{long_date(removal.date)}.")
        return " It has since been removed (the case does not record when)."

    def _letter(self, record: LetterRecord) -> Event:
        words = record.words()  # the reference has a column of its own
        if record.sent is not None:
            step = record.sent
            state = self.states.get(id(step))
            subject = self._subject(record.kind, record.posts)
            outcome = self.outcome(state, step, subject)
            return Event(
                step.date, order=3,
                sentence=(f"{words}, drafted on {long_date(record.drafted)}"
                          f"{record.revised_words()}, was {record.sent_words()}. Outcome: "
                          f"{_in_sentence(outcome)}.{self.note(step.notes)}"),
                what=f"{record.words()}{record.revised_words()}",
                by=step.by or NONE, reference=record.reference,
                sent=long_date(step.date) + (f" {METHOD_WORDS[step.method]}" if step.method
                                             else ""),
                outcome=_with_note(outcome, self.note(step.notes)),
                core=(f"{words} was {record.sent_words()}; outcome: {_in_sentence(outcome)}."))
        return Event(
            record.drafted, order=3,
            sentence=(f"{words} was drafted on {long_date(record.drafted)}"
                      f"{record.revised_words()}; not yet recorded as sent (as at "
                      f"{long_date(self.today)})."),
            what=f"{record.words()}{record.revised_words()}", reference=record.reference,
            sent="Drafted, not yet recorded as sent")

    def _subject(self, kind: str, posts: tuple[str, ...] | list[str]) -> str:
        """Who answers a step: the platform for a platform letter, else the poster."""
        if kind in (kinds.HOST_TAKEDOWN.name, kinds.HOST_TAKEDOWN.step):
            found = [self.case.post(pid) for pid in posts if pid in self.ids]
            return join(list(dict.fromkeys(self.label(p) for p in found))) or "the platform"
        return self.poster_short

    def _step(self, step: HistoryStep) -> Event:
        posts = self.posts_of(step)
        ids = join([p.id for p in posts])
        who = actor(step.by)
        them = self.poster_short
        how = f" {METHOD_WORDS[step.method]}" if step.method else ""
        letter = step.step != kinds.DISCUSSION
        if step.step == kinds.DISCUSSION:
            if step.method == "phone":
                what = f"Telephone call with {them} about {ids}"
                did = f"spoke to {them} by telephone about {ids}"
            else:
                what = f"Meeting with {them} about {ids}"
                did = f"met {them} about {ids}"
        elif step.step == kinds.CONCERN.step:
            what = f"Letter of concern to {them} about {ids}"
            did = f"sent {them} a letter of concern about {ids}{how}"
        elif step.step == kinds.WARNING.step:
            what = f"Formal warning to {them} about {ids}"
            did = f"sent {them} a formal warning about {ids}{how}"
        elif step.step == kinds.HOST_TAKEDOWN.step:
            platforms = self._subject(kinds.HOST_TAKEDOWN.name, [p.id for p in posts])
            what = f"Request to {platforms} to remove {ids}"
            did = f"asked {platforms} to remove {ids}{how}"
            if step.report_reference:
                did += f" (report reference {step.report_reference})"
            them = platforms
        elif step.step == kinds.POLICE_REFERRAL.step:
            what = f"Referral to the police about {ids}"
            did = f"referred {ids} to the police{how}"
        elif step.step == kinds.LEGAL_REFERRAL.step:
            what = "Request for legal advice"
            did = f"asked the school\u2019s legal advisers for advice about {ids}{how}"
        elif step.step == kinds.ACCESS_RESTRICTION.step:
            what = f"Restriction of {them}\u2019s access to the school\u2019s online forum"
            did = f"restricted {them}\u2019s access to the school\u2019s online forum"
        else:
            what = f"Notice to {them} about access to the school premises"
            did = f"wrote to {them} about access to the school premises{how}"
        state = self.states.get(id(step))
        outcome = self.outcome(state, step, them)
        reference = step.reference or step.report_reference or NONE
        return Event(
            step.date, order=2,
            sentence=(f"{_cap(who)} {did}. Outcome: {_in_sentence(outcome)}."
                      f"{self.note(step.notes)}"),
            what=what, by=step.by or NONE, reference=reference,
            sent=(f"{long_date(step.date)}{how}" if letter else NONE),
            outcome=_with_note(outcome, self.note(step.notes)),
            core=f"{_cap(who)} {did}; outcome: {_in_sentence(outcome)}.")

    def _overdue(self, state: StepState) -> Event:
        step = state.step
        words = kinds.BY_STEP[step.step].step_words if step.step in kinds.BY_STEP \
            else "discussion"
        return Event(state.due, order=4,
                     sentence=(f"The {words} of {long_date(step.date)} fell due on "
                               f"{long_date(state.due)} with no outcome recorded."),
                     what=f"The {words} of {long_date(step.date)} fell due",
                     outcome="No outcome recorded")

    def _action(self, action: Any) -> Event:
        posts = self.posts_of(action)
        ids = join([p.id for p in posts])
        staff = [i.name for i in individuals(posts) if i.role in ("staff", "governor")]
        did = ACTION_WORDS[action.action].format(
            ids=ids, people=join(staff) or "the member of staff named")
        who = actor(action.by)
        return Event(action.date, order=2,
                     sentence=f"{_cap(who)} {did}.{self.note(action.notes)}",
                     core=f"{_cap(who)} {did}.",
                     what=_cap(did), by=action.by or NONE,
                     outcome=(self.note(action.notes).strip() or "Done"))

    def reason_words(self, override: Override) -> str:
        """'The Headteacher's reason: “…”' (letter-spec 2.2), verbatim."""
        by = override.by or self.school.signatory.role
        whose = by if by.split()[0].rstrip(".") in TITLES else f"The {by}"
        return f"{whose}\u2019s reason: \u201c{override.reason}\u201d"

    def decision(self, override: Override) -> str:
        title = kind_title(override.letter)
        where = f" ({platform_info(override.platform, None).label})" \
            if override.platform and override.platform != "other" else ""
        if override.action == "include":
            return f"Decision to send a {title}{where}"
        return f"Decision not to send the {title}{where}"

    def _override(self, override: Override) -> Event:
        when = override.date or self.case.opened
        # Listed on the case's opening day, which the date column shows: say so, or "30 November
        # 2026 … (date not recorded)" contradicts itself.
        undated = "" if override.date else " (date not recorded; listed on the day the case " \
            "was opened)"
        by = f" by {actor(override.by)}" if override.by else ""
        return Event(when, order=5,
                     sentence=(f"{self.decision(override)}{by}{undated}. "
                               f"{self.reason_words(override)}"),
                     what=self.decision(override) + undated, by=override.by or NONE,
                     outcome=self.reason_words(override))


def _as_written(value: date | datetime) -> str:
    """' (As written: 30 October 2026 at 23:30 UTC−05:00.)' when the UK time shown is not the
    time as written (another offset), else ''."""
    local = uk_time(value)
    if not local.converted:
        return ""
    words = local.words()
    written = words[words.find("(") + 1:-1] if words.endswith(")") else ""
    return f" (As written: {written}.)" if written else ""


# --- the request for advice ----------------------------------------------------------------------


def repeated(people: list[Individual]) -> list[Individual]:
    """The individuals posted about on two or more calendar days: the occasion rule of
    pipeline/offences.py (a course of conduct needs at least two occasions against the same
    person; two posts on one day are one occasion), counted over every post in the case."""
    return [i for i in people if len(i.days) >= 2]


def untrue_statements(person: Individual) -> list[Post]:
    """The posts about `person` that the case says are defamatory, or that make an allegation
    the case records as untrue (`inaccurate`)."""
    out = []
    for post in person.posts:
        record = person.record_on(post)
        if "defamatory" in post.concerns or (
                ALLEGING & set(post.concerns) and record is not None and record.inaccurate):
            out.append(post)
    return out


class _Request:
    """The sentences of one request for advice."""

    def __init__(self, ctx: dict[str, Any], src: LetterSource):
        self.ctx, self.src = ctx, src
        self.case, self.school = src.case, src.school
        self.day = src.meta.letter_date
        self.today = src.today or self.day
        self.posts = sorted(self.case.posts, key=lambda p: moment(p.posted))
        self.scope = set(src.letter.posts)
        self.account = Account(self.case, self.school, records_from_source(src), self.today)
        self.people = individuals(self.posts)
        self.poster = self.account.poster
        self.poster_short = self.account.poster_short
        self.identified = self.case.poster.identified
        self.signer = self._signer()

    # -- who signs

    def _signer(self) -> Signatory:
        """The Chair of Governors when the posts are about the signatory (a person should not be
        the sole voice of a request about themselves) [judgement, letter-spec 1.4]."""
        school = self.school
        chair = school.chair_of_governors
        named = [i.name for i in self.people]
        if chair and any(story.is_signatory(n, school) for n in named):
            as_chair = school.model_copy(update={"signatory": Signatory(name=chair,
                                                                        role="Chair")})
            if not any(story.is_signatory(n, as_chair) for n in named):
                return Signatory(name=chair, role="Chair of Governors")
        return school.signatory

    # -- words

    def label(self, post: Post) -> str:
        return self.account.label(post)

    def platforms(self, posts: list[Post]) -> str:
        return join(list(dict.fromkeys(self.label(p) for p in posts)))

    def when(self, post: Post) -> str:
        return uk_time(post.posted).words()

    def names(self, people: list[Individual]) -> str:
        return join([i.name for i in people])

    # -- subject and opening

    def subject(self) -> str:
        whom = self.names(self.people) or "the school"
        by = self.case.poster.name if self.identified else "an account the school cannot " \
                                                           "identify"
        return f"Request for advice: posts by {by} about {whom} (our case {self.case.case_id})"

    def opening(self) -> list[str]:
        case = self.case
        relation = f", {RELATIONSHIP_WORDS[case.poster.relationship]}" if self.identified else ""
        out = [f"I should be grateful for your advice, on behalf of {self.school.name}, about "
               f"online posts by {self.poster}{relation}. Our case reference is {case.case_id}; "
               f"the case was opened on {long_date(case.opened)}."]
        if self.signer.name != self.school.signatory.name:
            about = next(i for i in self.people if story.is_signatory(i.name, self.school))
            out.append(f"The posts are about our {self.school.signatory.role}, {about.name}, so "
                       f"I am writing as {self.signer.role}.")
        why = self.why_now()
        if why:
            out.append(why)
        for reason in dict.fromkeys(self.src.letter.overrides):
            out.append(f"The {self.school.signatory.role}\u2019s reason for asking: "
                       f"\u201c{reason}\u201d")
        return out

    def why_now(self) -> str:
        """Why the school asks now: the plan's reason, in the letter's words."""
        facts = self.account.facts
        scope = [p for p in self.posts if p.id in self.scope]
        said = [p for p in scope if p.live and "defamatory" in p.concerns]
        refused = self._refusal(facts)
        if said and refused:
            ids = join([p.id for p in said])
            return (f"I am asking now because {ids} {'is' if len(said) == 1 else 'are'} said to "
                    f"be defamatory, and {refused}.")
        ignored = self._warning_ignored(facts)
        if ignored:
            return (f"I am asking now because {ignored}, and the posts are still online. The "
                    "school\u2019s policy provides for legal advice \u201cif the circumstances "
                    "warrant this\u201d.")
        return ""

    def _refusal(self, facts: Facts) -> str:
        for state in facts.steps:
            step = state.step
            if step.step not in (kinds.DISCUSSION, kinds.CONCERN.step, kinds.WARNING.step):
                continue
            words = f"the {state.words().removeprefix('the ')}"
            n = len(self.account.posts_of(step)) or 1
            if state.overdue and state.due and step.outcome == "agreed":
                return (f"after {words}, {self.poster_short} agreed to remove {_it(n)} by "
                        f"{long_date(state.due)} but has not done so")
            if state.overdue and state.due:
                return f"{words} had no reply by {long_date(state.due)}"
            if state.outcome == "refused":
                return f"after {words}, {self.poster_short} declined to remove {_it(n)}"
            if state.outcome == "no_response":
                return f"{words} had no reply"
            if state.outcome == "continued":
                return f"after {words}, {self.poster_short} posted again"
        first = facts.first_step_date()
        if first is not None:
            later = [p for p in self.posts if day_of(p.posted) > first]
            if later:
                return (f"{join([p.id for p in later])} {'was' if len(later) == 1 else 'were'} "
                        f"posted after the school first raised the matter on {long_date(first)}")
        return ""

    def _warning_ignored(self, facts: Facts) -> str:
        for state in facts.steps:
            step = state.step
            if step.step != kinds.WARNING.step:
                continue
            on = long_date(step.date)
            later = [p for p in self.posts if day_of(p.posted) > step.date]
            since = (f"; {self.poster_short} has since posted again ("
                     f"{join([f'{p.id} on {long_date(p.posted)}' for p in later])})"
                     if later else "")
            if state.overdue and state.due and step.outcome == "agreed":
                n = len(self.account.posts_of(step)) or 1
                return (f"after the formal warning of {on}, {self.poster_short} agreed to remove "
                        f"{_it(n)} by {long_date(state.due)} but has not done so{since}")
            if state.overdue and state.due:
                return (f"the formal warning of {on} had no reply by {long_date(state.due)}"
                        f"{since}")
            if state.outcome in ("refused", "no_response", "continued"):
                did = {"refused": f"{self.poster_short} declined to remove the posts",
                       "no_response": "there was no reply",
                       "continued": f"{self.poster_short} posted again"}[state.outcome]
                return f"after the formal warning of {on}, {did}{since}"
        return ""

    # -- summary

    def summary(self) -> list[str]:
        posts = self.posts
        n = len(posts)
        first, last = long_date(posts[0].posted), long_date(posts[-1].posted)
        whom = self.names(self.people) or "the school"
        if n == 1:
            said = (f"{_cap(self.poster)} posted once, on {self.platforms(posts)} on {first}, "
                    f"about {whom}.")
        else:
            between = f"between {first} and {last}" if first != last else f"on {first}"
            times = "twice" if n == 2 else f"{number(n)} times"
            said = (f"{_cap(self.poster)} has posted {times}, on {self.platforms(posts)}, "
                    f"{between}, about {whom}.")
        live = [p for p in posts if p.live]
        if n == 1:
            said += " It is still online." if live else " It has since been removed."
        elif len(live) == n:
            said += f" {'Both' if n == 2 else f'All {number(n)}'} are still online."
        elif live:
            said += (f" {_cap(number(len(live)))} {'is' if len(live) == 1 else 'are'} still "
                     f"online ({join([p.id for p in live])}).")
        else:
            said += " None is still online."
        concerns = {c for p in posts for c in p.concerns}
        grave = [noun for concern, noun in GRAVE_NOUNS if concern in concerns]
        if grave:
            said += f" The posts include {join(grave)}."
        out = [said]
        last_step = self._last_step()
        if last_step:
            out.append(last_step)
        doing = [r.words(article=True) for r in self.account.same_run()]
        if doing:
            out.append(f"With this letter the school is also drafting {join(doing)}.")
        critical = [p for p in posts if CRITICISM & set(p.concerns)]
        if critical:
            about = f"what the posts say about {self.names(self.people)}" if self.people \
                else "anything beyond the criticism itself"
            out.append(
                f"{join([p.id for p in critical])} "
                f"{'includes' if len(critical) == 1 else 'include'} criticism of the school or "
                "its decisions. A maintained school is a public authority (Human Rights Act 1998 "
                "s6), and criticism of it, however harsh, is protected expression (Article 10): "
                f"the school does not ask for advice about the criticism itself, only about "
                f"{about}.")
        return out

    def _last_step(self) -> str:
        events = [e for e in self.account.events(posts=False) if e.order in (2, 3)]
        if not events:
            return "The school has taken no step yet that the case records."
        last = events[-1]
        said = last.core or last.sentence
        if said.split(" ", 1)[0] in ("The", "A", "An"):  # after a colon: "the Headteacher sent"
            said = said[0].lower() + said[1:]
        return f"The school\u2019s latest step was on {last.date_words()}: {said}"

    # -- the posts

    def post_items(self) -> list[dict[str, Any]]:
        out = []
        asked = False  # the request to confirm the limitation date, once, at the first date
        for post in self.posts:
            handle, derived = story.handle_of(post)
            account = f", account {handle}{' (from the web address)' if derived else ''}" \
                if handle else ""
            url = post.url or "no web address (a message in a group)"
            heading = f"{post.id}, {self.label(post)}" + (
                " (the subject of this request)" if post.id in self.scope else "")
            line = f"Posted {self.where(post)} on {self.when(post)}{account}: {url}."
            status = self._status(post)
            facts = [f"About: {_about(post)}. Concerns the school recorded: "
                     f"{'; '.join(CONCERN_LABELS[c] for c in post.concerns)}."]
            if post.reach:
                facts.append(f"Reach, as far as the school knows: {post.reach.strip()}")
            for person in individuals([post]):
                record = person.record_on(post)
                if record is not None and record.meaning:
                    facts.append(f"The meaning {person.short} attributes to it: "
                                 f"{record.meaning.strip()}")
                if record is not None and record.inaccurate:
                    facts.append(f"Why it is untrue, in {person.short}\u2019s account: "
                                 f"{record.inaccurate.strip()}")
            if "defamatory" in post.concerns or ALLEGING & set(post.concerns):
                limit = story.limitation_date([post])
                facts.append(f"First published on {long_date(post.posted)}: one year from "
                             f"first publication is {long_date(limit)} (Limitation Act 1980 "
                             "s4A)." + ("" if asked else
                                        " Please confirm the last day for issuing a claim."))
                asked = True
            fields = post_fields(post, self.src.redact)  # in full: the advisers see all of it
            fields.update({"heading": heading, "line": f"{line} {status}", "facts": facts,
                           "in_scope": post.id in self.scope})
            out.append(fields)
        return out

    def where(self, post: Post) -> str:
        return self.account.where(post)

    def _status(self, post: Post) -> str:
        if post.platform == "whatsapp" and post.live:
            return "It was sent to the group; the school cannot tell whether members still see it."
        if post.live:
            return (f"It was still online when the school last checked, on "
                    f"{long_date(post.checked)}." if post.checked else "It is still online.")
        return self.account._removed(post).strip()

    # -- what the school has done

    def done(self) -> list[dict[str, str]]:
        rows = [{"date": e.date_words(), "what": e.what, "by": e.by,
                 "reference": unbroken(e.reference),
                 "sent": e.sent, "outcome": e.outcome}
                for e in self.account.events(posts=False)]
        for record in self.account.same_run():
            rows.append({"date": long_date(self.day), "what": record.words(), "by": NONE,
                         "reference": unbroken(record.reference),
                         "sent": "Drafted today with this letter", "outcome": NONE})
        return rows

    # -- the people concerned

    def people_lines(self) -> list[str]:
        out = []
        case = self.case
        for person in self.people:
            said = f"{person.name}, {person.role_words} (named in {join([p.id for p in person.posts])})."
            wishes = person.first("wishes")
            if wishes:
                said += f" \u201c{wishes.strip()}\u201d"
            if person.role != "pupil":
                authority = person.first("authority")
                their = pronoun([person.name or ""], form="possessive")
                if authority:
                    said += (f" {person.short} authorised the school on {long_date(authority)} "
                             f"to give notices in {their} name.")
                else:
                    said += f" {person.short} has not authorised any notice in {their} name."
            supported = sorted({a.date for a in case.actions
                                if a.action == actions.SUPPORT_STAFF.id
                                and any(a.covers(p.id) for p in person.posts)})
            if person.role in ("staff", "governor"):
                if supported:
                    said += (f" {person.short} was told what the school is doing and offered "
                             f"support on {join([long_date(d) for d in supported])}.")
                elif wishes:
                    # Their own words (above) may say what they have been told: the record
                    # speaks only of what is missing from it, not of what did not happen.
                    said += (" The case’s actions do not record the date on which "
                             f"{person.short} was told what the school is doing or offered "
                             "support.")
                else:
                    said += (f" The case does not yet record that {person.short} has been told "
                             "what the school is doing or offered support.")
            told = sorted({a.date for a in case.actions if a.action == actions.TELL_DSL.id
                           and any(a.covers(p.id) for p in person.posts)})
            if person.role == "pupil" and told:
                said += (" The designated safeguarding lead was told on "
                         f"{join([long_date(d) for d in told])}.")
            out.append(said)
        out += self._lado()
        police = self._police()
        if police:
            out.append(police)
        return out

    def _lado(self) -> list[str]:
        out = []
        for post in self.posts:
            if "allegation_of_harm" not in post.concerns:
                continue
            named = self.names(individuals([post])) or "a member of staff"
            done = [a for a in self.case.actions if a.action == actions.CONSULT_LADO.id
                    and a.covers(post.id)]
            if done:
                notes = f": \u201c{done[0].notes.strip()}\u201d" if done[0].notes else "."
                out.append(f"The allegation about {named} in {post.id} was referred to the "
                           f"local authority designated officer (LADO) on "
                           f"{long_date(done[0].date)}{notes}")
                continue
            due = next((a.due for a in (self.src.plan.actions if self.src.plan else ())
                        if a.action == actions.CONSULT_LADO.id and post.id in a.posts), None)
            when = f" (it was due by {long_date(due)})" if due else ""
            out.append(f"The allegation about {named} in {post.id} alleges harm to a child. The "
                       "case does not yet record that the local authority designated officer "
                       f"(LADO) has been consulted{when}.")
        return out

    def _police(self) -> str:
        case = self.case
        police = case.police
        said = []
        referrals = [s for s in case.history if s.step == kinds.POLICE_REFERRAL.step]
        for step in referrals:
            ids = join([p.id for p in self.account.posts_of(step)])
            said.append(f"the school referred {ids} to the police on {long_date(step.date)}")
        if police and police.crime_reference:
            said.append(f"the crime reference is {story.keep_together(police.crime_reference)}")
        if police and police.incident_number:
            said.append(f"the incident number is {story.keep_together(police.incident_number)}")
        if any(r.kind == kinds.POLICE_REFERRAL.name for r in self.account.same_run()):
            said.append("a referral to the police is drafted today with this letter")
        if not said:
            return ""
        return f"The police: {'; '.join(said)}."

    # -- the advice sought

    def questions(self) -> list[str]:
        out: list[str] = []
        defamed = [(i, posts) for i in self.people if (posts := untrue_statements(i))]
        for person, posts in defamed:
            ids = join([p.id for p in posts])
            audience = "; ".join(self._audience(p) for p in posts)
            gravity = self._gravity(person, posts)
            opinion = "" if all("defamatory" in p.concerns for p in posts) else \
                ", and whether any of them is a statement of opinion rather than fact"
            out.append(f"Whether, on the facts above (the audience: {audience}; the gravity of "
                       f"what is alleged{gravity}), the statements about {person.short} in "
                       f"{ids} have caused or are likely to cause serious harm to the "
                       f"reputation of {person.short} (Defamation Act 2013 s1){opinion}.")
        if defamed:
            names = join([p.short for p, _ in defamed])
            named = [p.name for p, _ in defamed]
            one = len(defamed) == 1
            out.append(
                "The school understands that a governing body cannot itself sue in defamation "
                "(Derbyshire County Council v Times Newspapers [1993]) and that any claim "
                f"belongs to {names}, who would need to make "
                f"{pronoun(named, form='possessive')} own "
                f"{'decision' if one else 'decisions'}, arrange funding and "
                "give authority for any notice. What can the school properly do to support "
                f"{names}, and may it fund or arrange advice for "
                f"{pronoun(named, form='object') if one else 'each of them'}?")
            if self.identified:
                out.append(
                    f"If {names} {'decides' if one else 'decide'} to bring a claim, whether a "
                    "letter of claim under the Pre-Action Protocol for Media and Communications "
                    f"Claims should be sent to {self.poster_short} on behalf of {names}, and "
                    "what a reasonable time for a reply would be (usually 14 days).")
        else:
            out.append(self._proportion_question())
        for person in repeated(self.people):
            ids = join([p.id for p in person.posts])
            out.append(f"Whether the posts about {person.short} ({ids}, on "
                       f"{number(len(person.days))} occasions) amount to a course of conduct "
                       "giving rise to a civil claim for harassment (Protection from Harassment "
                       "Act 1997), and what remedies are available.")
        if any("allegation_of_harm" in p.concerns for p in self.posts):
            out.append(f"How the school\u2019s response to {self.poster_short} and to the "
                       "platforms should take account of the LADO process under Keeping "
                       "Children Safe in Education Part 4, including what the school may say "
                       "about the truth of the allegation while that process runs.")
        hosts = self._host_platforms()
        if hosts:
            names, copies = hosts
            s5 = ""
            if not self.identified and defamed:
                s5 = (f", and whether {join([p.short for p, _ in defamed])} should give a notice "
                      "of complaint under section 5 of the Defamation Act 2013")
            out.append(f"Whether the school\u2019s requests to {names}{copies} rest on the right "
                       "grounds: the hosting rule (Electronic Commerce (EC Directive) Regulations "
                       "2002 regs 19 and 22) where a post is unlawful, and otherwise the "
                       f"platform\u2019s own rules{s5}.")
        premises = self._premises()
        if premises:
            out.append(premises)
        staff = [i.short for i in self.people if i.role in ("staff", "governor")]
        if staff:
            out.append(f"What the school should say to {join(staff)} about the steps above.")
        else:
            out.append(f"What, if anything, the school should say to {self.poster_short} while "
                       "it takes advice.")
        return out

    def _audience(self, post: Post) -> str:
        seen = {"public": "public", "group": "in a group", "private": "to a restricted "
                                                                     "audience"}[post.visibility]
        reach = f", \u201c{post.reach.strip()}\u201d" if post.reach else \
            ", with no record of how many saw it"
        return f"{post.id} {seen} on {self.label(post)}{reach}"

    def _gravity(self, person: Individual, posts: list[Post]) -> str:
        if any("allegation_of_harm" in p.concerns for p in posts):
            return f", which includes an allegation that {person.short} harmed a child"
        if any((r := person.record_on(p)) is not None and r.meaning for p in posts):
            return f", as in the meaning {person.short} attributes to it above"
        return ""

    def _proportion_question(self) -> str:
        ignored = self._warning_ignored(self.account.facts)
        after = " now that the posts remain online after a formal warning" if ignored else ""
        return (f"Whether the school can properly take any further step{after}, given that "
                "criticism of the school and of its decisions is protected expression, and that "
                "the case does not record any statement about an individual as untrue; and if "
                "so, which.")

    def _host_platforms(self) -> tuple[str, str] | None:
        records = [r for r in self.account.letters if r.kind == kinds.HOST_TAKEDOWN.name]
        steps = [s for s in self.case.history if s.step == kinds.HOST_TAKEDOWN.step]
        posts = [self.case.post(pid) for r in records for pid in r.posts] + [
            p for s in steps for p in self.account.posts_of(s)]
        if not posts:
            return None
        copies = " (copies in the bundle)" if records else ""
        return self.platforms(posts), copies

    def _premises(self) -> str:
        premises = [r for r in self.account.letters if r.kind == kinds.PREMISES_NOTICE.name] \
            or [s for s in self.case.history if s.step == kinds.PREMISES_NOTICE.step]
        threat = any("threat_of_violence" in p.concerns
                     and (p.live or (self.today - day_of(p.posted)).days <= 7)
                     for p in self.posts)
        threatened = [i.short for p in self.posts if "threat_of_violence" in p.concerns
                      for i in individuals([p])]
        whom = join(list(dict.fromkeys(threatened))) or "staff and pupils"
        if premises:
            return (f"Whether the school\u2019s provisional bar from the premises is sound, and "
                    f"what else the school can do to protect {whom} (for example, directions "
                    "about contact with staff).")
        if threat:
            return (f"Whether the school should bar {self.poster_short} from the school premises "
                    f"(DfE advice \u201cControlling access to school premises\u201d), and what "
                    f"else it can do to protect {whom}.")
        return ""

    # -- the bundle and the reply

    def bundle(self) -> tuple[str, list[str], str]:
        case_id = self.case.case_id
        intro = (f"I enclose the bundle for case {case_id} ({bundle_name(case_id)}). Its index "
                 "(index.html) lists every file with its SHA-256, so you can confirm that each is "
                 "the copy the school holds. It holds:")
        items = []
        letters = [r for r in self.account.letters]
        for record in letters:
            if record.this_run:
                status = "drafted today with this letter, not yet sent"
            elif record.sent is not None:
                status = record.sent_words()
            else:
                status = "drafted, not yet recorded as sent"
            items.append(f"letter {record.reference}: {record.words()}, dated "
                         f"{long_date(record.drafted)}{record.revised_words()}, {status}")
        items.append(f"letter {self.src.meta.reference}: this letter")
        docx, csv = log_names(case_id)
        items.append(f"{chronology_name(case_id)}: a chronology of the posts and of every step "
                     "the school has taken, with what was sent and when")
        items.append(f"{docx} and {csv}: the evidence log of every post (in Word, and as a "
                     "spreadsheet), with the SHA-256 of each screenshot")
        shots = [p for p in self.posts if p.evidence]
        if shots:
            items.append(f"evidence/: the screenshot{_s(len(shots))} of "
                         f"{join([p.id for p in shots])}")
        items.append(f"{record_name(case_id)}: the case record as the school holds it (without "
                     "its working notes)")
        items.append("manifest.json: the archive\u2019s record of each letter drafted, with the "
                     "SHA-256 of each file")
        special = any("racist" in p.concerns for p in self.posts)
        note = ("The letters are in the letters/ folder, with PDF copies where they were made. "
                "The bundle is marked not for onward disclosure. It contains personal data"
                + (", including special category data (a racist post)." if special else "."))
        return intro, items, note

    def reply(self) -> str:
        said = ("Please let me know whether you can advise and, before starting work, your "
                "estimate of the likely cost.")
        soon = []
        for post in self.posts:
            if "defamatory" in post.concerns or ALLEGING & set(post.concerns):
                limit = story.limitation_date([post])
                if limit is not None and (limit - self.day).days <= 122:
                    soon.append(f"the one-year period for {post.id} ends on {long_date(limit)}")
        if soon:
            said += f" Please note that {join(soon)}."
        reach = (f"You can reach me through the school office on "
                 f"{story.keep_together(self.school.telephone)} or at {self.school.email}.")
        if self.signer.name != self.school.signatory.name:
            # The office answers to the person the posts are about: the reply must not pass
            # through their hands unmarked.
            reach += (f" As the posts are about the {self.school.signatory.role}, please mark "
                      f"anything you send there “Private – for the "
                      f"{self.signer.role} only”.")
        return f"{said} {reach}"


@kinds.LEGAL_REFERRAL.builds
def _legal(ctx: dict[str, Any], src: LetterSource) -> None:
    advisers = src.school.legal_advisers
    ctx["advisers"] = {"name": advisers.name, "firm": advisers.firm,
                       "address": list(advisers.address), "email": advisers.email}
    ctx["recipient"] = {"name": f"{advisers.name}, {advisers.firm}",
                        "lines": list(advisers.address), "dear": dear(advisers.name)}
    r = _Request(ctx, src)
    ctx["signatory"] = {"name": r.signer.name, "role": r.signer.role}
    ctx["letter"]["subject"] = r.subject()
    intro, items, note = r.bundle()
    # Every post in the case, oldest first, not only those the plan gave this letter.
    ctx["posts"] = r.post_items()
    ctx["advice"] = {
        "opening": r.opening(),
        "summary": r.summary(),
        "done": r.done(),
        "people": r.people_lines(),
        "questions": r.questions(),
        "bundle_intro": intro,
        "bundle": items,
        "bundle_note": note,
        "reply": r.reply(),
    }
    ctx["letter"]["enclosures"] = [f"the bundle for case {src.case.case_id} "
                                   f"({bundle_name(src.case.case_id)})"]

