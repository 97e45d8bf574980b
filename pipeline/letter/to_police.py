"""Letters to the police: the referral and its evidence log (letter-spec section 6 and 11).

The referral tells an officer what the police ask for (REFERENCE.md: "Police forces ask for"):
who posted what and when, the account, the poster's address, what the school has already done,
which offences the school thinks *may* apply (pipeline/offences.py, over every post in the
case, so a course of conduct counts posts removed or referred before), what the people affected
want, the crime reference and incident number, the platform's references and how to have the
platform preserve its records, and the evidence with each screenshot's SHA-256.

Every sentence here states only what a case field, the plan or the platform directory records
(spec 1.7). Case text passes through the Redactor: pupils by initials, and a member of staff's
private details (a home address) never repeated, whatever field they turn up in.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from pipeline import actions, kinds
from pipeline.case.load import evidence_path
from pipeline.case.model import HistoryStep, Person, Post
from pipeline.case.names import initials
from pipeline.dates import day_of, long_date, uk_time
from pipeline.directory import Directory, PlatformEntry, platform_directory
from pipeline.docx.images import EMU_PER_CM, EvidenceImage
from pipeline.errors import InvalidInput
from pipeline.letter.parts import LetterSource, evidence_image, post_fields
from pipeline.letter.story import handle_of, is_signatory, keep_together, who
from pipeline.offences import OFFENCES, OffenceMention, PostFacts, offences_for
from pipeline.platforms import platform_info
from pipeline.policy import StepState
from pipeline.takedown import admin, group_name
from pipeline.words import TITLES, join, short_for

WORD_JOINER = "\u2060"
ZWSP = "\u200b"  # a place a line may break, invisibly (between the SHA-256's groups)

# The concerns that, present in any post the letter covers, make the subject's offence noun
# (spec 6.3), first match wins.
ALLEGING = frozenset({"allegation", "allegation_of_harm", "defamatory"})
SPECIAL_CATEGORY = frozenset({"racist"})  # racial or ethnic origin (UK GDPR Art 9)

# A landscape page of the annex has about 15 cm under the letterhead: a tall phone screenshot
# is scaled to fit it (the caption above it must stay on the same page).
ANNEX_IMAGE_HEIGHT_CM = 13.5
ANNEX_IMAGE_WIDTH_CM = 24.0

# (one poster, one pupil), (one poster, pupils), (two or more posters, one pupil), (..., pupils)
RELATIONSHIP_WORDS = {
    "parent": ("the parent of a pupil at the school", "the parent of pupils at the school",
               "the parents of a pupil at the school", "the parents of pupils at the school"),
    "carer": ("the carer of a pupil at the school", "the carer of pupils at the school",
              "the carers of a pupil at the school", "the carers of pupils at the school"),
    "relative": ("a relative of a pupil at the school", "a relative of pupils at the school",
                 "relatives of a pupil at the school", "relatives of pupils at the school"),
    "associated": ("a person associated with the school", "a person associated with the school",
                   "people associated with the school", "people associated with the school"),
}


def unbroken(text: str) -> str:
    """A reference or telephone number that must not break across lines: no-break spaces and
    hyphens, and a word joiner either side of each '/'. Undo the three and the text is as
    written."""
    return keep_together(text).replace("/", f"{WORD_JOINER}/{WORD_JOINER}")


# --- people ------------------------------------------------------------------------------------


def _is_family(name: str) -> bool:
    return " and " in f" {name} " or "&" in name


def short_name(name: str) -> str:
    """'Mr T Riley' -> 'Mr Riley'; 'Mr and Mrs A Nowak' -> 'Mr and Mrs Nowak'; a name without a
    title is kept as written."""
    words = name.split()
    if not words or words[0].rstrip(".") not in TITLES:
        return name
    if _is_family(name):
        return " ".join(w for w in words if not _initial(w))
    if len(words) > 2:
        return f"{words[0]} {words[-1]}"
    return name


def _initial(word: str) -> bool:
    return len(word.rstrip(".")) == 1 and word[0].isalpha() and word[0].isupper()


@dataclass(frozen=True)
class Individual:
    """Someone a post is about, as this letter names them."""

    key: str
    name: str  # as recorded (a pupil: initials in brackets)
    short: str  # title and surname (a pupil: initials)
    role: str
    person: Person

    @property
    def plural(self) -> bool:
        return self.role != "pupil" and _is_family(self.person.name or "")

    @property
    def role_words(self) -> str:
        if self.role == "parent":
            return "a family at the school" if self.plural else "a parent at the school"
        return {"staff": "a member of staff", "governor": "a governor",
                "pupil": "a pupil"}[self.role]


def _individual(person: Person, src: LetterSource) -> Individual | None:
    if person.role == "school" or not person.name:
        return None
    key = " ".join(person.name.split()).casefold()
    if person.role == "pupil":
        shown = f"[{initials(person.name) or '?'}]"
        return Individual(key, shown, shown, "pupil", person)
    name = src.redact(person.name)
    return Individual(key, name, src.redact(short_name(person.name)), person.role, person)


def individuals(posts: list[Post], src: LetterSource) -> list[Individual]:
    """The individuals the posts are about, once each, in the order first met."""
    seen: dict[str, Individual] = {}
    for post in posts:
        for person in post.about:
            found = _individual(person, src)
            if found is not None and found.key not in seen:
                seen[found.key] = found
            elif found is not None and person.wishes and not seen[found.key].person.wishes:
                seen[found.key] = found  # the entry that records the person's wishes
    return list(seen.values())


def _about_words(post: Post, src: LetterSource) -> str:
    people = [i for p in post.about if (i := _individual(p, src)) is not None]
    words = [f"{i.name} ({i.role_words})" for i in people]
    if any(p.role == "school" for p in post.about):
        words.append("the school")
    return join(words)


# --- the case in the letter's terms --------------------------------------------------------------


def post_facts(post: Post) -> PostFacts:
    """What the offence rules need of a post: its concerns, its UK calendar day, the individuals
    it is about, and whether the case records what it alleges as untrue."""
    people = [a for a in post.about if a.role != "school" and a.name]
    alleges = bool(ALLEGING.intersection(post.concerns))
    return PostFacts(post.id, frozenset(post.concerns), day_of(post.posted),
                     frozenset(a.name for a in people if a.name),
                     false_statement=alleges and any(a.inaccurate for a in people))


def mentions_for(src: LetterSource) -> list[OffenceMention]:
    """A single post's offences from the posts in scope alone (an earlier post already referred
    is not reported again, "Each of P1 and P2" for one offence but "P2" for the next); a course of
    conduct from every post in the case, kept where it rests on a post in scope. The same rule as
    the platform letter's (takedown.py), so the two letters of one run agree."""
    scope = set(src.letter.posts)
    facts = [post_facts(p) for p in src.case.posts]
    singles = [m for m in offences_for([f for f in facts if f.id in scope])
               if not m.offence.needs_course_of_conduct]
    courses = [m for m in offences_for(facts)
               if m.offence.needs_course_of_conduct and scope.intersection(m.posts)]
    order = {offence.id: n for n, offence in enumerate(OFFENCES)}
    return sorted(singles + courses, key=lambda m: order[m.id])


S127 = next(o for o in OFFENCES if o.id == "ca2003_s127_1")


def to_consider(src: LetterSource, mentions: list[OffenceMention]) -> list[str]:
    """What the school asks the police to consider beyond the table's offences, where the case's
    facts could fit one the table cannot decide (offences.py: publishing a home address engages
    Communications Act 2003 s127(1) only with an invitation to confront, which a concern alone
    cannot show). Each is put as a question for the police, never as "no offence"."""
    engaged = {pid for m in mentions if m.offence.id == S127.id for pid in m.posts}
    out = []
    for post in sorted(src.posts, key=_order):
        if "personal_information" not in post.concerns or post.id in engaged:
            continue
        people = individuals([post], src)
        details = [d for d in post.private_details if d.text in post.text]
        what = join(list(dict.fromkeys(
            f"the {src.redact(d.kind)} of {src.redact(d.person)}" if d.person
            else f"the {src.redact(d.kind)}" for d in details)))
        if not what:
            what = ("personal information about " + join([i.name for i in people])) if people \
                else "personal information"
        kinds_of = list(dict.fromkeys(d.kind for d in details))
        kind = "home address" if kinds_of == ["home address"] else \
            "personal details, such as a home address,"
        out.append(f"The school asks you to consider whether {post.id} may amount to {S127.title} "
                   f"({S127.citation}): {post.id} gives {what}, and publishing a person\u2019s "
                   f"{kind} in a way that invites others to confront them may be menacing.")
    return out


def _order(post: Post) -> tuple:
    natural = tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                    for part in re.findall(r"\d+|\D+", post.id or ""))
    return (uk_time(post.posted).when.isoformat(), natural)


def _referrals(src: LetterSource) -> list[HistoryStep]:
    return [s for s in src.case.history if s.step == kinds.POLICE_REFERRAL.step]


def _when(value) -> str:
    return uk_time(value).words()


@dataclass
class _Scope:
    """The posts this letter covers, and the earlier posts it must name beside them."""

    posts: list[Post]
    earlier: list[Post]  # referred before, or counted in an offence, and not in scope
    mentions: list[OffenceMention]

    @property
    def logged(self) -> list[Post]:
        return sorted(self.posts + self.earlier, key=_order)


def _scope(src: LetterSource) -> _Scope:
    posts = sorted(src.posts, key=_order)
    mentions = mentions_for(src)
    ids = {p.id for p in posts}
    targets = {f.key for p in posts for f in individuals([p], src)}
    counted = {pid for m in mentions for pid in m.posts}
    earlier = []
    for post in src.case.posts:
        if post.id in ids:
            continue
        referred = any(s.covers(post.id) for s in _referrals(src))
        same_people = bool(targets.intersection(f.key for f in individuals([post], src)))
        if post.id in counted or (referred and same_people):
            earlier.append(post)
    return _Scope(posts, sorted(earlier, key=_order), mentions)


# --- the builder ----------------------------------------------------------------------------------


class _Writer:
    """The referral's sentences for one letter."""

    def __init__(self, ctx: dict[str, Any], src: LetterSource):
        self.ctx, self.src = ctx, src
        self.case, self.school = src.case, src.school
        self.police = src.case.police
        self.scope = _scope(src)
        self.posts = self.scope.posts
        self.poster = ctx["poster"]["name"]
        self.anonymous = not src.case.poster.identified
        self.poster_short = "the account holder" if self.anonymous else \
            src.redact(short_for(src.case.poster.name, src.case.poster.salutation, short_name))
        self.crime = src.redact(self.police.crime_reference) if self.police and \
            self.police.crime_reference else ""
        self.incident = src.redact(self.police.incident_number) if self.police and \
            self.police.incident_number else ""
        self.concerns = {c for p in self.posts for c in p.concerns}
        self.facts = src.facts()
        self.states = {id(s.step): s for s in self.facts.steps}
        self.directory = _directory()
        # The posts with private details to remove, found once (scrub runs for every field).
        self._private_posts = [p for p in self.case.posts if p.private_details]

    # -- text from the case, as this letter may print it

    def scrub(self, text: str | None) -> str:
        """Case text for the police: pupils by initials, staff's private details removed."""
        out = self.src.redact(text or "")
        for post in self._private_posts:
            out, _ = self.src.redact.private(out, post)
        return out.strip()

    def person(self, by: str | None) -> str:
        """Who took a step, as the letter's signatory tells it: 'I' for herself, else 'the
        Office Manager', 'Mrs Carter', 'the school'."""
        return who(self.scrub(by) if by else by, self.school, to_poster=False)

    def actor(self, by: str | None) -> str:
        """Who took a step, in the third person, for the evidence log's captions: 'the
        Headteacher', 'Mrs Carter', 'the school'."""
        if is_signatory(by, self.school):
            return f"the {self.school.signatory.role}"
        if not by:
            return "the school"
        return by if by.split()[0].rstrip(".") in TITLES else f"the {by}"

    def label(self, post: Post) -> str:
        info = platform_info(post.platform, post.platform_name)
        return self.src.redact(info.label) if post.platform_name else info.label

    def entry(self, post: Post) -> PlatformEntry | None:
        if self.directory is None:
            return None
        try:
            return self.directory.entry(post.platform, post.platform_name)
        except KeyError:
            return None

    def operator(self, post: Post) -> str:
        entry = self.entry(post)
        operator = entry.operator if entry else platform_info(post.platform,
                                                              post.platform_name).operator
        return self.src.redact(operator)

    def handle(self, post: Post) -> tuple[str, bool]:
        handle, derived = handle_of(post)
        return self.src.redact(handle), derived

    def handle_words(self, post: Post) -> str:
        handle, derived = self.handle(post)
        return f"{handle} (from the web address)" if handle and derived else handle

    # -- the subject

    def subject(self) -> str:
        posts, concerns = self.posts, self.concerns
        s = "s" if len(posts) > 1 else ""
        repeated = any(m.offence.needs_course_of_conduct for m in self.scope.mentions)
        if "threat_of_violence" in concerns:
            noun, among, verb = "Threat of violence", {"threat_of_violence"}, "against"
            if len([p for p in posts if "threat_of_violence" in p.concerns]) > 1:
                noun = "Threats of violence"
        elif "racist" in concerns:
            noun, among, verb = f"Racist post{s}", {"racist"}, "about"
        elif concerns & {"harassment", "cyberbullying"} and repeated:
            noun, among, verb = "Repeated posts", {"harassment", "cyberbullying"}, "about"
        elif "personal_information" in concerns:
            noun, among, verb = "Publication of personal details", {"personal_information"}, \
                "of"
        elif "grossly_obscene" in concerns:
            noun, among, verb = f"Grossly offensive post{s}", {"grossly_obscene"}, "about"
        else:
            noun, among, verb = f"Online post{s}", set(concerns), "about"
        chosen = [p for p in posts if among & set(p.concerns)] or posts
        whom = self._whom(chosen)
        if verb == "of" and whom.startswith("the school"):
            verb = "about"
        where = join(list(dict.fromkeys(
            "in a WhatsApp group" if p.platform == "whatsapp" and p.visibility == "group"
            else f"on {self.label(p)}" for p in posts)))
        text = f"{noun} {verb} {whom} {where}"
        if not self.anonymous:
            text += f" \u2013 {self.poster}"
        lead = []
        if self.src.letter.urgent:
            lead.append("Urgent")
        if self.crime:
            lead.append(f"further information for crime reference {unbroken(self.crime)}")
        elif self.src.letter.further:
            lead.append("further referral")
        if not lead:
            return text
        head = " \u2013 ".join(lead)
        return f"{head[0].upper()}{head[1:]}: {text}"

    def _whom(self, posts: list[Post]) -> str:
        people = individuals(posts, self.src)
        if not people:
            return "the school"
        roles = {i.role for i in people}
        if len(people) == 1:
            return people[0].role_words
        if roles == {"staff"}:
            return "members of staff"
        if roles == {"pupil"}:
            return "pupils"
        if roles == {"parent"}:
            return "families at the school"
        return "members of the school community"

    # -- opening

    def opening(self) -> list[str]:
        me = f"I am the {self.school.signatory.role} of {self.school.name}."
        paragraphs = []
        call = self._call()
        further = self._further()
        if not call and not further:
            what = "online posts" if len(self.posts) > 1 else "an online post"
            paragraphs.append(
                f"{me} I am writing to report {what} which the school believes may "
                "amount to a criminal offence, and to give you the evidence the school holds. "
                "Whether an offence has been committed is a matter for the police.")
        else:
            paragraphs.append(" ".join([me, *call, *further]))
        uncalled = self._no_call()
        if uncalled:
            paragraphs.append(uncalled)
        urgent = self._urgent_contact()
        if urgent:
            paragraphs.append(urgent)
        return paragraphs

    def _calls(self) -> list:
        return sorted((a for a in self.case.actions if a.action == actions.CALL_POLICE.id),
                      key=lambda a: a.date)

    def _call(self) -> list[str]:
        """What the case records of the school telling the police before this letter, and who
        did it: `police.told` (the day the school first told the police: when, not how), each
        call_police action (a call, by whom), and the incident number, quoted as recorded (the
        case does not say which call gave it, unless there was only one)."""
        logged = [p.id for p in self.scope.logged]
        calls = [c for c in self._calls() if any(c.covers(pid) for pid in logged)]
        told = self.police.told if self.police else None
        referred = [r.date for r in _referrals(self.src)]
        said = []
        if told and not (calls and calls[0].date <= told) and not any(d <= told for d in referred):
            said.append(f"The school first told the police about this on {long_date(told)}.")
        one = len({(c.date, c.by) for c in calls}) == 1
        number = f" (incident number {unbroken(self.incident)})" if self.incident and one else ""
        for n, (day, by) in enumerate(dict.fromkeys((c.date, c.by) for c in calls)):
            person = self.person(by)
            again = " again" if n else ""
            said.append(f"{person[0].upper()}{person[1:]} reported this to the police{again} by "
                        f"telephone on {long_date(day)}{number}.")
        if self.incident and not number:
            said.append(f"The police incident number is {unbroken(self.incident)}.")
        if not said:
            return []
        what = ("that call" if one else "those calls") if calls else "that report"
        return [*said, f"This letter follows {what} with the evidence the school holds."]

    def _threats(self) -> list[Post]:
        return [p for p in self.posts if "threat_of_violence" in p.concerns]

    def _no_call(self) -> str:
        """For a threat the case records no call about, the call the plan asks the office to
        make today (REFERENCE.md: 999 if anyone is in immediate danger, otherwise 101 first;
        the letter follows with the incident number). Nothing when the plan does not ask for
        one (the police already know): the case records nothing more to say."""
        if self._calls() or self.incident or self.src.plan is None:
            return ""
        called = [p.id for p in self._threats() if any(
            a.action == actions.CALL_POLICE.id and p.id in a.posts
            for a in self.src.plan.actions)]
        if not called:
            return ""
        return (f"The school is also reporting {join(called)} by telephone today (999 if anyone "
                "is in immediate danger, otherwise 101), and I will give you the incident "
                "number from that call.")

    def _further(self) -> list[str]:
        referrals = _referrals(self.src)
        first = referrals[0] if referrals else None
        crime = unbroken(self.crime) if self.crime else ""
        if first is not None:
            ours = f" (our reference {unbroken(first.reference)})" if first.reference else ""
            by = self.person(first.by)
            if crime:
                return [f"This adds to the matter {by} reported on "
                        f"{long_date(first.date)}{ours}, crime reference {crime}. Please add "
                        "this letter and its evidence to that report."]
            return [f"This adds to the matter {by} reported on {long_date(first.date)}"
                    f"{ours}. The school has not yet been given a crime reference, and I should "
                    "be grateful for one."]
        if crime:
            return [f"This adds to the matter already reported to you under crime reference "
                    f"{crime}. Please add this letter and its evidence to that report."]
        return []

    def _urgent_contact(self) -> str:
        """Why early contact is asked for, in what the case records: the threat, or the personal
        details published (never where the people are or when: the case does not say)."""
        if not self.src.letter.urgent:
            return ""
        said = []
        threats = self._threats()
        people = [i for i in individuals(threats, self.src) if i.role in ("staff", "pupil",
                                                                           "parent")]
        if people:
            verb = "threatens" if len(threats) == 1 else "threaten"
            said.append(f"{join([p.id for p in threats])} {verb} violence against "
                        f"{join([i.short for i in people])}")
        for post in self.posts:
            if "personal_information" not in post.concerns or post in threats:
                continue
            details = [d for d in post.private_details if d.text in post.text]
            what = join(list(dict.fromkeys(
                f"the {self.scrub(d.kind)} of {self.scrub(short_name(d.person))}" if d.person
                else f"the {self.scrub(d.kind)}" for d in details)))
            if not what:
                named = [i.short for i in individuals([post], self.src)]
                what = f"personal details of {join(named)}" if named else ""
            if what:
                said.append(f"{post.id} gives {what}")
        if not said:
            return ""
        return f"Because {join(said)}, I should be grateful for early contact."

    # -- who posted

    def who(self) -> list[str]:
        posts = self.scope.logged
        s, was = ("s", "were") if len(posts) > 1 else ("", "was")
        out = []
        poster = self.case.poster
        if self.anonymous:
            if not any(self.handle_words(p) for p in posts):
                out.append(f"The school does not know who made the post{s} below.")
        else:
            where = ""
            if poster.address:
                where = ", of " + ", ".join(self.scrub(line) for line in poster.address)
            words = RELATIONSHIP_WORDS[poster.relationship][
                2 * _is_family(poster.name) + (len(poster.children) > 1)]
            children = ""
            if poster.children and poster.relationship != "associated":
                children = " (" + "; ".join(
                    self.src.redact(c.name) + (f", {self.src.redact(c.class_)}" if c.class_
                                               else "")
                    for c in poster.children) + ")"
            said = (f"The school believes that the post{s} below {was} made by {self.poster}"
                    f"{where}, {words}{children}.")
            if not poster.address:
                said += f" The school does not hold an address for {self.poster_short}."
            if poster.identification:
                said += (" The school's reason for believing this: "
                         f"{self.scrub(poster.identification).rstrip('.')}.")
            out.append(said)
        accounts: dict[str, list[str]] = {}
        for post in posts:
            handle = self.handle_words(post)
            if handle:
                accounts.setdefault(handle, []).append(post.id)
        for handle, ids in accounts.items():
            if self.anonymous:
                out.append(f"The school does not know who operates the account {handle}, which "
                           f"posted {join(ids)}.")
            else:
                out.append(f"The account that posted {join(ids)} is {handle}.")
        return out

    # -- what was posted

    def where(self, post: Post) -> str:
        if post.visibility == "public":
            return "publicly"
        if post.visibility == "group":
            return f"in the group \u201c{self.scrub(post.group.name)}\u201d" if post.group \
                else "in a group"
        return "to a restricted audience"

    def status(self, post: Post) -> str:
        if post.platform == "whatsapp" and post.live:
            return ("It was sent to the group; the school cannot tell whether it is still "
                    "visible to members.")
        if post.live:
            if post.checked:
                return (f"It was still online when the school last checked, on "
                        f"{long_date(post.checked)}.")
            return "It is still online."
        removal = self._removal(post)
        if removal is None:
            return "It has since been removed."
        if removal.step == kinds.HOST_TAKEDOWN.step:
            return (f"It has since been removed, after the school asked {self.label(post)} to "
                    f"remove it on {long_date(removal.date)}.")
        return f"It has since been removed (the school recorded this on " \
               f"{long_date(removal.date)})."

    def _removal(self, post: Post) -> HistoryStep | None:
        found = [s for s in self.case.history if s.outcome == "removed" and s.covers(post.id)]
        return found[0] if found else None

    def posted(self) -> list[str]:
        out = []
        for post in self.posts:
            handle = self.handle_words(post)
            account = f" by the account {handle}" if handle else ""
            said = (f"{post.id}: posted on {self.label(post)} on {_when(post.posted)}, "
                    f"{self.where(post)}{account}.")
            about = _about_words(post, self.src)
            if about:
                said += f" It is about {about}."
            if post.reach:
                # Labelled, as in the other letters: the office's note is not a sentence of ours.
                said += f" Reach, as far as the school knows: {self.scrub(post.reach).rstrip('.')}."
            if "personal_information" in post.concerns and not post.private_details:
                said += (f" {self.status(post)} Its text is not reproduced because it contains "
                         "personal information; the unredacted original is available to the "
                         "investigating officer.")
            else:
                said += f" {self.status(post)} The full text is in the evidence log."
            out.append(said)
        return out

    def earlier(self) -> list[str]:
        out = []
        new = join([p.id for p in self.posts])
        for post in self.scope.earlier:
            referral = next((s for s in _referrals(self.src) if s.covers(post.id)), None)
            removed = "" if post.live else " It has since been removed."
            if referral is not None:
                crime = f" (crime reference {unbroken(self.crime)})" if self.crime else ""
                said = (f"{post.id}, posted on {_when(post.posted)}, was referred on "
                        f"{long_date(referral.date)}{crime}.{removed}")
            else:
                said = (f"{post.id}, posted on {_when(post.posted)}, has not been referred "
                        f"before.{removed}")
            mine = {f.key for f in individuals(self.posts, self.src)}
            shared = [f for f in individuals([post], self.src) if f.key in mine]
            if shared:
                people = "people" if len(shared) > 1 or shared[0].plural else "person"
                said += (f" It is relevant again because {post.id} and {new} are about the same "
                         f"{people}.")
            else:
                said += f" It is relevant because the school counts it with {new} below."
            out.append(said + " It is in the evidence log.")
        return out

    # -- offences

    def offences(self) -> list[str]:
        return [m.sentence for m in self.scope.mentions]

    def reasons(self) -> list[str]:
        """The override's reason, verbatim, as the reason of whoever the case says decided it:
        'My reason' for the signatory, the school's when the case does not say."""
        out = []
        for reason in dict.fromkeys(self.src.letter.overrides):
            by = next((o.by for o in self.case.overrides if o.letter == self.src.letter.kind
                       and o.action == "include" and o.reason == reason), None)
            person = self.person(by)
            whose = "My" if person == "I" else ("The school\u2019s" if person == "the school"
                                                else f"{person[0].upper()}{person[1:]}\u2019s")
            out.append(f"{whose} reason for referring this matter: "
                       f"\u201c{self.scrub(reason)}\u201d")
        return out

    def no_offence(self) -> str:
        """Beyond the offences above, what the school asks the police to consider; never that
        there is no offence (the police decide)."""
        considered = to_consider(self.src, self.scope.mentions)
        if considered or self.scope.mentions:
            return " ".join(considered)
        what = "these posts" if len(self.posts) > 1 else "the post"
        why = ", for the reason given above" if self.src.letter.overrides else ""
        return f"The school asks you to consider whether {what} may amount to an offence{why}."

    # -- what the school has done

    def history(self) -> list[str]:
        out = []
        for step in sorted(self.case.history, key=lambda s: s.date):
            said = self._step(step)
            if said:
                out.append(said)
        return out

    def _step(self, step: HistoryStep) -> str:
        posts = [p for p in self.case.posts if step.covers(p.id)]
        ids = join([p.id for p in posts])
        it = "them" if len(posts) > 1 else "it"
        # The posts by id: after "a formal warning about P1", "it was removed" could be the letter.
        was = f"{ids} {'were' if len(posts) > 1 else 'was'}" if ids else "it was"
        on = f"On {long_date(step.date)} {self.person(step.by)}"
        state: StepState | None = self.states.get(id(step))
        outcome = "no_response" if state and state.overdue else step.outcome
        them = self.poster_short
        if step.step == kinds.DISCUSSION:
            if outcome == "removed":
                said = f"{on} recorded that {ids} had been removed"
                outcome = ""
            elif step.method == "phone":
                said = f"{on} spoke to {them} by telephone about {ids}"
            else:
                said = f"{on} met {them} about {ids}"
        elif step.step == kinds.CONCERN.step:
            said = f"{on} wrote to {them} about {ids}, asking for {it} to be removed"
        elif step.step == kinds.WARNING.step:
            said = f"{on} sent {them} a formal warning about {ids}"
        elif step.step == kinds.HOST_TAKEDOWN.step:
            said = f"{on} {self.asked_words(step, posts)}"
            if step.report_reference:
                said += f" (report reference {unbroken(self.scrub(step.report_reference))})"
            if _group_letter(posts) and step.method not in ("webform", "phone"):
                admins = list(dict.fromkeys(admin(self.case, p) for p in posts))
                them = short_name(self.scrub(admins[0])) if len(admins) == 1 and admins[0] \
                    else "the admin"
            else:
                them = join(list(dict.fromkeys(self.label(p) for p in posts))) or "the platform"
        elif step.step == kinds.POLICE_REFERRAL.step:
            refs = [f"our reference {unbroken(step.reference)}"] if step.reference else []
            if self.crime:
                refs.append(f"crime reference {unbroken(self.crime)}")
            said = f"{on} referred {ids} to the police" + (f" ({'; '.join(refs)})" if refs
                                                          else "")
        elif step.step == kinds.LEGAL_REFERRAL.step:
            said = f"{on} asked the school\u2019s legal advisers for advice about {ids}"
            outcome = ""
        elif step.step == kinds.ACCESS_RESTRICTION.step:
            said = f"{on} restricted {them}\u2019s access to the school\u2019s online forum"
        elif step.step == kinds.PREMISES_NOTICE.step:
            said = f"{on} wrote to {them} about access to the school premises"
        else:
            return ""
        result = self._outcome(step, outcome, them, it, was)
        said += f"; {result}." if result else "."
        if step.notes:
            said += f" The school\u2019s note: \u201c{self.scrub(step.notes)}\u201d"
        return said

    def _outcome(self, step: HistoryStep, outcome: str, them: str, it: str, was: str) -> str:
        if not outcome or outcome == "pending":
            return "no reply yet" if outcome == "pending" and step.step in (
                kinds.HOST_TAKEDOWN.step, kinds.CONCERN.step, kinds.WARNING.step) else ""
        if step.step == kinds.HOST_TAKEDOWN.step:
            # A group's admin is not known to be who removed a message (the sender may have).
            group = _group_letter([p for p in self.case.posts if step.covers(p.id)])
            return {"agreed": f"{them} agreed to remove {it}", "refused":
                    f"{them} declined to remove {it}", "no_response": f"{them} has not replied",
                    "removed": f"{was} removed" if group else f"{them} removed {it}",
                    "continued": "further posts followed"}[outcome]
        due = f" by {long_date(step.due)}" if step.due else ""
        return {"agreed": f"{them} agreed to remove {it}{due}",
                "refused": f"{them} declined to remove {it}",
                "no_response": f"{them} did not respond",
                "continued": f"{them} posted again afterwards",
                "removed": f"{was} removed"}[outcome]

    def same_run(self) -> list[str]:
        held = bool(self.police and self.police.hold_letters)
        to_poster = [s.letter for s in self.src.siblings
                     if s.letter.spec.to is kinds.Recipient.POSTER]
        # Letters to the poster that wait for the call to the police are drafted, not sent today.
        waiting = any(actions.CALL_POLICE.id in letter.send_after for letter in to_poster)
        doing = []
        drafted = []
        for sibling in self.src.siblings:
            letter = sibling.letter
            posts = [self.case.post(pid) for pid in letter.posts]
            ids = join([p.id for p in posts])
            if letter.spec.to is kinds.Recipient.POSTER and held:
                continue
            if letter.spec.to is kinds.Recipient.POSTER and waiting:
                drafted.append(_drafted_words(letter.kind, self.poster_short, ids))
            elif letter.kind == kinds.CONCERN.name:
                doing.append(f"writing to {self.poster_short} about {ids}")
            elif letter.kind == kinds.WARNING.name:
                doing.append(f"sending {self.poster_short} a formal warning about {ids}")
            elif letter.kind == kinds.HOST_TAKEDOWN.name and not set(letter.posts) & {
                    p.id for p in self.posts}:  # else it is told under "The platform"
                doing.append(self.takedown_words(posts) if posts
                             else "asking the platform to remove the posts")
            elif letter.kind == kinds.LEGAL_REFERRAL.name:
                doing.append("asking its legal advisers for advice")
            elif letter.kind == kinds.ACCESS_RESTRICTION.name:
                doing.append(f"restricting {self.poster_short}\u2019s access to the school\u2019s "
                             "online forum")
            elif letter.kind == kinds.PREMISES_NOTICE.name:
                doing.append(f"writing to {self.poster_short} about access to the school "
                             "premises")
        out = []
        if doing:
            out.append(f"Today the school is also {join(doing)}.")
        if to_poster and held:
            out.append(f"As the police asked, the school is not writing to {self.poster_short} "
                       "for now.")
        elif to_poster:
            letters = "letters" if len(to_poster) > 1 else "letter"
            if drafted:
                out.append(f"The school has also drafted {join(drafted)}, and will not send "
                           f"{'them' if len(drafted) > 1 else 'it'} until it has spoken to the "
                           "police.")
            may_tell = self.police.may_tell_poster if self.police else None
            if may_tell:
                out.append(f"The police agreed on {long_date(may_tell)} that the school may tell "
                           f"{self.poster_short} that the matter has been reported.")
            else:
                out.append(
                    f"The school\u2019s {letters} to {self.poster_short} "
                    f"{'do' if len(to_poster) > 1 else 'does'} not mention this referral. "
                    "Please tell me if you would rather the school did not write to "
                    f"{self.poster_short} yet, or if you are content for the school to say that "
                    "the matter has been reported.")
        return out

    # -- the people affected

    def people(self) -> list[str]:
        out = []
        for person in individuals(self.posts, self.src):
            posts = [p for p in self.posts
                     if person.key in {i.key for i in individuals([p], self.src)}]
            if person.person.wishes:
                said = f"{person.name} ({person.role_words}): " \
                       f"\u201c{self.scrub(person.person.wishes)}\u201d"
            elif person.role == "pupil":
                said = (f"{person.name} ({person.role_words}): I have not yet recorded whether "
                        f"the parents of {person.name} have been told, or whether the family "
                        "would support police action or give a statement, and I will let the "
                        "officer in the case know.")
            else:
                said = (f"{person.name} ({person.role_words}): I have not yet recorded whether "
                        f"{person.short} would support police action or give a statement, and I "
                        "will let the officer in the case know.")
            told = self._done(actions.SUPPORT_STAFF.id, posts)
            if told and person.role in ("staff", "governor"):
                said += f" {person.short} was told what the school is doing on {told}."
            out.append(said)
        return out

    def _done(self, action: str, posts: list[Post]) -> str:
        days = sorted({a.date for a in self.case.actions if a.action == action
                       and any(a.covers(p.id) for p in posts)})
        return join([long_date(d) for d in days])

    def safeguarding(self) -> list[str]:
        out = []
        for action in sorted((a for a in self.case.actions if a.action == actions.TELL_DSL.id
                              and any(a.covers(p.id) for p in self.posts)),
                             key=lambda a: a.date):
            ids = join([p.id for p in self.posts if action.covers(p.id)])
            out.append(f"The school\u2019s designated safeguarding lead was told about {ids} on "
                       f"{long_date(action.date)}.")
        for post in self.posts:
            if "allegation_of_harm" not in post.concerns:
                continue
            named = join([i.name for i in individuals([post], self.src)]) or "a member of staff"
            lado = [a for a in self.case.actions if a.action == actions.CONSULT_LADO.id
                    and a.covers(post.id)]
            if lado:  # said only when recorded (spec 1.7)
                out.append(f"The allegation about {named} in {post.id} was referred to the local "
                           f"authority designated officer on {long_date(lado[0].date)}.")
        return out

    # -- the platform

    def _group_words(self, posts: list[Post]) -> str:
        """'Mrs Kelly Ashby, the admin of the WhatsApp group “Year 5 mums”,', as the case
        records the group and its admin (letter/to_platform.py writes to the admin)."""
        admins = list(dict.fromkeys(admin(self.case, p) for p in posts))
        names = list(dict.fromkeys(group_name(p) for p in posts))
        group = (f"the WhatsApp group \u201c{self.scrub(names[0])}\u201d"
                 if len(names) == 1 and names[0] else "the WhatsApp group")
        if len(admins) == 1 and admins[0]:
            return f"{self.scrub(admins[0])}, the admin of {group},"
        return f"the admin of {group}"

    def takedown_words(self, posts: list[Post]) -> str:
        """A host_takedown letter of this run by its real recipient and request, as
        letter/to_platform.py writes it: a WhatsApp group's admin, asked to delete the message
        for everyone (no preservation: WhatsApp publishes no route); else the platform's
        operator, asked to remove the posts and, because this referral is in the same run, to
        preserve the content and the account data until the police ask for them."""
        ids = join([p.id for p in posts])
        if _group_letter(posts):
            return (f"writing to {self._group_words(posts)} asking for {ids} to be deleted for "
                    "everyone in the group")
        return (f"asking {self.operator(posts[0])} to remove {ids} and to preserve the content "
                "and the account data until the police ask for them")

    def asked_words(self, step: HistoryStep, posts: list[Post]) -> str:
        """A recorded host_takedown step, by whom the school actually asked: a WhatsApp group's
        admin (unless the step was a report in the app), else the platform."""
        ids = join([p.id for p in posts])
        if _group_letter(posts):
            if step.method in ("webform", "phone"):
                return f"reported {ids} to WhatsApp"
            return (f"wrote to {self._group_words(posts)} asking for {ids} to be deleted for "
                    "everyone in the group")
        platforms = join(list(dict.fromkeys(self.label(p) for p in posts))) or "the platform"
        keep = " and to preserve the content and the account data" \
            if self.asked_to_preserve(step) else ""
        return f"asked {platforms} to remove {ids}{keep}"

    def asked_to_preserve(self, step: HistoryStep) -> bool:
        """Whether a recorded platform letter asked the platform to preserve the posts: a letter
        the school drafted (it has our reference; not a report through the platform's own
        tool), to a platform other than a WhatsApp group, sent when the police already knew
        (letter/to_platform.py asks only then)."""
        posts = [p for p in self.case.posts if step.covers(p.id)]
        if not step.reference or step.method in ("webform", "phone") or not posts \
                or _group_letter(posts):
            return False
        police = self.police
        return any(r.date <= step.date for r in _referrals(self.src)) or any(
            a.date <= step.date for a in self._calls()) or bool(
            police and police.told and police.told <= step.date)

    def platforms(self) -> list[str]:
        out = []
        groups: dict[str, list[Post]] = {}
        for post in self.posts:
            groups.setdefault(post.platform_key, []).append(post)
        for posts in groups.values():
            first = posts[0]
            label = self.label(first)
            ids = join([p.id for p in posts])
            entry = self.entry(first)
            own = (entry.own_site if entry else not first.external)
            said = []
            for post in posts:
                refs = self._report_refs(post)
                if refs:
                    said.append(f"{label}\u2019s report reference for {post.id}: "
                                f"{join([unbroken(r) for r in refs])}.")
            for step in self.case.history:
                covered = [p for p in posts if step.covers(p.id)]
                if step.step == kinds.HOST_TAKEDOWN.step and covered:
                    said.append(f"On {long_date(step.date)} the school "
                                f"{self.asked_words(step, covered)}.")
            for sibling in self.src.same_run(kinds.HOST_TAKEDOWN):
                covered = [p for p in posts if p.id in sibling.letter.posts]
                if covered:
                    said.append(f"Today the school is {self.takedown_words(covered)} (our "
                                f"reference {unbroken(sibling.reference)}).")
            if own:
                said.append(f"{ids} {'were' if len(posts) > 1 else 'was'} posted on {label}, "
                            "which the school runs: the school will keep the post and the "
                            "account details for the police.")
            else:
                said.append(self._preserve(first, posts, entry))
            out.append(" ".join(s for s in said if s))
        return out

    def _report_refs(self, post: Post) -> list[str]:
        refs = [post.report_reference] if post.report_reference else []
        refs += [s.report_reference for s in self.case.history
                 if s.step == kinds.HOST_TAKEDOWN.step and s.report_reference
                 and s.covers(post.id)]
        return [self.scrub(r) for r in dict.fromkeys(refs)]

    def _preserve(self, first: Post, posts: list[Post], entry: PlatformEntry | None) -> str:
        """What the school asks of the police about the platform's records. The school may ask a
        platform to keep content (its letter does, above), but a platform generally discloses
        account data, which would identify who posted, only on a request from the police
        (REFERENCE.md, data/platforms.yaml)."""
        operator = self.operator(first)
        ids = join([p.id for p in posts])
        if first.platform == "whatsapp":
            return (f"{self.label(first)} says it does not keep message content in the ordinary "
                    "course. A platform generally discloses account data only on a request from "
                    "the police, so I should be grateful if you would ask "
                    f"{operator} to preserve the sender\u2019s account data for {ids}.")
        handles = list(dict.fromkeys(h for p in posts if (h := self.handle(p)[0])))
        account = f" and the account {join(handles)}" if handles else ""
        route = entry.preservation if entry else None
        where = f" ({route.url})" if route and route.url and not route.unconfirmed else ""
        return ("A platform generally discloses account data only on a request from the police, "
                f"so I should be grateful if you would send {operator} a preservation request "
                f"for {ids}{account}{where}.")

    # -- evidence

    def evidence(self, rows: list[dict[str, Any]]) -> list[str]:
        logged = self.scope.logged
        shown = [r["id"] for r in rows if r["caption"]]
        withheld = [r["id"] for r in rows if r["withheld"]]
        none = [p for p in logged if not p.evidence]
        out = ["The evidence log attached to this letter sets out, for each post, when it was "
               "posted, where, the web address and account, the text as posted, who captured it "
               "and when, the screenshot and its SHA-256 fingerprint, and the platform\u2019s "
               "report reference."]
        said = []
        if shown:
            said.append(f"Screenshot{'s' if len(shown) > 1 else ''} of {join(shown)} follow"
                        f"{'' if len(shown) > 1 else 's'} the log.")
        if withheld:
            many = len(withheld) > 1
            said.append(f"The screenshot{'s' if many else ''} of {join(withheld)} "
                        f"{'name' if many else 'names'} a pupil and {'are' if many else 'is'} not "
                        f"sent with this letter; the school holds {'them' if many else 'it'} and "
                        f"will make {'them' if many else 'it'} available to the investigating "
                        "officer.")
        if none:
            lead = f"No screenshot of {_join_or([p.id for p in none])} is attached" \
                if len(logged) > 1 else "No screenshot of the post is attached"
            recorded = [r for p in none if (r := self._recorded(p))]
            said.append(f"{lead}: {'; '.join(recorded)}." if recorded else f"{lead}.")
        if said:
            out.append(" ".join(said))
        # What is held, exactly: a redacted copy is attached; an unredacted original is
        # mentioned only where the case records one (post.evidence_original).
        redacted = [p for p in logged if p.evidence and p.evidence_redacted
                    and p.id in shown]
        if redacted:
            many = len(redacted) > 1
            said = [f"The screenshot{'s' if many else ''} of {join([p.id for p in redacted])} "
                    f"attached {'are' if many else 'is a'} redacted cop{'ies' if many else 'y'}: "
                    "pupils\u2019 names are blacked out."]
            kept = [p.id for p in redacted if p.evidence_original]
            if kept:
                several = len(kept) > 1
                said.append(f"The unredacted original{'s' if several else ''} of {join(kept)} "
                            f"{'are' if several else 'is'} kept by the school and available to "
                            "the police on request.")
            out.append(" ".join(said))
        private = [r for r in rows if r["private_removed"] or r["not_quoted"]]
        for row in private:
            what = row["private_words"] or "Personal information"
            out.append(f"{what} has been removed from this copy of {row['id']}. The unredacted "
                       "original is available to the investigating officer.")
        if any(r["text_redacted"] for r in rows):
            out.append("In this letter and the log, pupils are referred to by their initials in "
                       "square brackets; the school holds the posts as written.")
        s = "s" if len(logged) > 1 else ""
        if any(p.evidence for p in logged):
            shots = "the screenshots" if sum(1 for p in logged if p.evidence) > 1 \
                else "the screenshot"
            out.append(f"The school has kept {shots} listed in the log and its records "
                       f"of the post{s}, and will not delete them.")
        else:
            out.append(f"The school has kept its records of the post{s} and will not delete "
                       "them.")
        return out

    def _recorded(self, post: Post) -> str:
        by = self.person(post.captured_by) if post.captured_by else ""
        if by and post.captured:
            return f"{by} recorded the text of {post.id} on {_when(post.captured)}"
        if by:
            return f"{by} recorded the text of {post.id}"
        if post.captured:
            return f"the text of {post.id} was recorded on {_when(post.captured)}"
        return ""

    # -- data protection, contact

    def data_protection(self) -> str:
        special = SPECIAL_CATEGORY & {c for p in self.scope.logged for c in p.concerns}
        basis = ("For information about racial or ethnic origin, and for information about "
                 "possible offences," if special else "For information about possible offences,")
        policy = ", and the school has the appropriate policy document that paragraph requires" \
            if getattr(self.school, "dp_policy_document", False) else ""
        pupils = any(p.role == "pupil" for post in self.scope.logged for p in post.about) or \
            any(r for r in self.ctx["evidence"] if r["text_redacted"]) or \
            bool(self.case.poster.children)
        said = ("The school shares this information under Article 6(1)(e) of the UK GDPR (public "
                f"task). {basis} it relies on Schedule 1, paragraph 10 of the Data Protection "
                f"Act 2018 (preventing or detecting unlawful acts){policy}. The exemption in "
                "Schedule 2, paragraph 2 of that Act (crime) applies to this disclosure.")
        if pupils:
            said += " Pupils are referred to by their initials."
        return said + (" The school has shared only what is needed, and can give the "
                       "investigating officer any further details.")

    def contact(self) -> str:
        collect = " or to arrange to collect the evidence the school holds" if any(
            p.evidence for p in self.scope.logged) else ""
        return (f"Please contact me through the school office on "
                f"{unbroken(self.school.telephone)} or at {self.school.email} to discuss this "
                f"referral{collect}.")


def _directory() -> Directory | None:
    """The platform directory the other letters use (./data/platforms.yaml, else the copy
    installed with the program), or None if it cannot be read: a police letter still goes."""
    try:
        return platform_directory()
    except InvalidInput:
        return None


def _sha256(post: Post, src: LetterSource) -> str:
    if not post.evidence or src.case_dir is None:
        return ""
    try:
        return hashlib.sha256(evidence_path(src.case_dir, post.evidence).read_bytes()).hexdigest()
    except OSError:
        return ""


def _group_letter(posts: list[Post]) -> bool:
    """A platform letter about these posts goes to a WhatsApp group's admin (takedown.Reading)."""
    return bool(posts) and all(p.platform == "whatsapp" for p in posts)


def _join_or(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def grouped(digest: str) -> str:
    """The SHA-256 in four groups of 16, with an invisible break point between them."""
    return ZWSP.join(digest[i:i + 16] for i in range(0, len(digest), 16))


def _fit(image: EvidenceImage | str) -> EvidenceImage | str:
    """A screenshot scaled down to fit a landscape page of the annex, with its caption."""
    if not isinstance(image, EvidenceImage):
        return image
    scale = min(ANNEX_IMAGE_HEIGHT_CM * EMU_PER_CM / image.cy,
                ANNEX_IMAGE_WIDTH_CM * EMU_PER_CM / image.cx, 1.0)
    image.cx, image.cy = int(image.cx * scale), int(image.cy * scale)
    return image


def _row(post: Post, pc: dict[str, Any], w: _Writer, src: LetterSource) -> dict[str, Any]:
    handle = w.handle_words(post)
    not_quoted = "personal_information" in post.concerns and not post.private_details
    text = ("[The text is not reproduced here because it contains personal information; the "
            "school holds the original.]" if not_quoted else pc["text"])
    private_words = join(list(dict.fromkeys(
        f"the {d.kind} of {w.scrub(d.person)}" if d.person else f"the {d.kind}"
        for d in post.private_details if d.text in post.text)))
    notes = []
    if pc["redacted"]:
        notes.append(f"({pc['redaction_note']})")
    if pc["private_removed"] or not_quoted:
        notes.append("(The unredacted original is available to the investigating officer.)")
    digest = _sha256(post, src)
    image = _fit(evidence_image(post, src.case_dir, src.redact))
    withheld = bool(post.evidence) and src.redact.withholds(post)
    if post.evidence:
        screenshot = src.redact.screenshot(post)
        if post.evidence_redacted and post.evidence_original and not withheld:
            screenshot += " [unredacted original kept]"
    else:
        by = w.scrub(post.captured_by)
        screenshot = f"None attached: text recorded by {by}" if by else "None attached"
    if post.platform == "whatsapp" and post.live:
        status = "Sent to group"
    elif post.live:
        status = f"Live (checked {long_date(post.checked)})" if post.checked else "Live"
    else:
        removal = w._removal(post)
        status = f"Removed by {long_date(removal.date)}" if removal and \
            removal.step == kinds.DISCUSSION else "Removed"
    refs = [f"Platform: {unbroken(r)}" for r in w._report_refs(post)]
    if w.crime:
        refs.append(f"Crime: {unbroken(w.crime)}")
    captured = ", ".join(x for x in (w.scrub(post.captured_by),
                                     _when(post.captured) if post.captured else "") if x)
    platform = w.label(post)
    return {
        "id": post.id, "posted_full": _when(post.posted), "platform": platform,
        "account": handle or "Not known",
        "platform_account": f"{platform}\n{handle}" if handle else f"{platform}\nAccount not known",
        "url": post.url or "None (a WhatsApp message has no web address)",
        "handle": handle, "text": text, "notes": notes,
        "redacted": pc["redacted"], "redaction_note": pc["redaction_note"],
        "text_redacted": pc["redacted"], "private_removed": pc["private_removed"],
        "not_quoted": not_quoted, "private_words": private_words[:1].upper() + private_words[1:],
        "captured": captured or "Not known", "screenshot": screenshot,
        "sha256": grouped(digest) if digest and not withheld else "",
        "sha256_plain": digest if not withheld else "",
        "status": status, "refs": "\n".join(refs) or "None",
        "report_reference": "; ".join(unbroken(r) for r in w._report_refs(post)),
        "crime_reference": unbroken(w.crime) if w.crime else "",
        "image": image, "withheld": withheld,
        "caption": _caption(post, w, src, digest) if post.evidence and not withheld else "",
    }


def _caption(post: Post, w: _Writer, src: LetterSource, digest: str) -> str:
    taken = ""
    if post.captured_by:
        taken += f", taken by {w.actor(w.scrub(post.captured_by))}"
    if post.captured:
        taken += f"{'' if taken else ', taken'} on {_when(post.captured)}"
    sha = f", SHA-256 {digest}" if digest else ""
    return f"{post.id}: {src.redact.screenshot(post)}{taken}{sha}"


@kinds.POLICE_REFERRAL.builds
def _police(ctx: dict[str, Any], src: LetterSource) -> None:
    case = src.case
    police = case.police
    force = src.redact(police.force if police and police.force else src.school.police_force)
    officer = src.redact(police.officer) if police and police.officer else ""
    w = _Writer(ctx, src)
    ctx["police"] = {
        "force": force, "crime_reference": unbroken(w.crime) if w.crime else "",
        "incident_number": unbroken(w.incident) if w.incident else "",
        "officer": officer,
        "told": long_date(police.told) if police and police.told else "",
    }
    ctx["recipient"] = {"name": force, "lines": [], "dear": officer or "Sir or Madam",
                        "attention": f"For the attention of {officer}" if officer else ""}
    by_id = {pc["id"]: pc for pc in ctx["posts"]}
    rows = []
    for post in w.scope.logged:
        pc = by_id.get(post.id)
        if pc is None:  # an earlier post, not in scope: its fields as the letter prints them
            pc = post_fields(post, src.redact)
        rows.append(_row(post, pc, w, src))
    ctx["evidence"] = rows
    # The screenshots sent: every post with one this letter may carry (`image` is "" only when
    # the file cannot be read here, as for the showcase cases).
    ctx["screenshots"] = [{"id": r["id"], "caption": r["caption"], "image": r["image"]}
                          for r in rows if r["caption"]]
    subject = w.subject()
    ctx["letter"]["subject"] = subject
    shots = [s["id"] for s in ctx["screenshots"]]
    ctx["letter"]["enclosures"] = [
        "the evidence log (annex)" + (f", with the screenshot{'s' if len(shots) > 1 else ''} of "
                                      f"{join(shots)}" if shots else "")]
    crime = f" \u2013 crime reference {unbroken(w.crime)}" if w.crime else ""
    prepared = ["Prepared " + ctx["letter"]["date"] + ". Times are UK time."]
    if any(r["text_redacted"] for r in rows) or case.poster.children:
        prepared.append("Pupils are referred to by initials.")
    if any(r["private_removed"] or r["not_quoted"] for r in rows):
        prepared.append("Personal details of staff are removed; the originals are held by the "
                        "school.")
    ctx["log"] = {
        "heading": f"Annex: evidence log \u2013 case {case.case_id} \u2013 our reference "
                   f"{unbroken(ctx['letter']['reference'])}{crime}",
        "prepared": " ".join(prepared),
    }
    ctx["referral"] = {
        "subject": subject,
        "opening": w.opening(),
        "who": w.who(),
        "posted": w.posted(),
        "earlier": w.earlier(),
        "offences": w.offences(),
        "reasons": w.reasons(),
        "no_offence": w.no_offence(),
        "history": w.history(),
        "same_run": w.same_run(),
        "people": w.people(),
        "safeguarding": w.safeguarding(),
        "platforms": w.platforms(),
        "evidence": w.evidence(rows),
        "data_protection": w.data_protection(),
        "contact": w.contact(),
        "further": bool(w.crime or src.letter.further),
    }


def _drafted_words(kind: str, poster: str, ids: str) -> str:
    """A letter to the poster as drafted, not yet sent: 'a formal warning to Mr Brannigan about
    P1'."""
    if kind == kinds.WARNING.name:
        return f"a formal warning to {poster} about {ids}"
    if kind == kinds.ACCESS_RESTRICTION.name:
        return f"a letter restricting {poster}\u2019s access to the school\u2019s online forum"
    if kind == kinds.PREMISES_NOTICE.name:
        return f"a letter to {poster} about access to the school premises"
    return f"a letter to {poster} about {ids}"
