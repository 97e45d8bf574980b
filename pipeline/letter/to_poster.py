"""Letters to the poster: concern, warning, access restriction, premises notice.

Each builder is attached to its registry entry with `@kinds.<KIND>.builds` and is called by
letter/context.py as `build(ctx, source)` after the common fields are in place.

What these letters rest on (letter-spec sections 1-4, 8, 9; REFERENCE.md "A public body's letters
to critics", "Barring a parent from the premises"): a school is a public authority, so a letter
objects only to abuse, threats, false statements of fact, personal or confidential information,
racist content and the naming of staff or pupils, never to criticism; it is written in the first
person by the signatory; it says truthfully what the school has done (the case's history) and is
doing (the other letters of the same run), and never says the police have been told unless the
police have agreed (`police.may_tell_poster`); it lists only next steps that are possible here and
not yet taken, worded as possible. An allegation that someone harmed a child is never called
untrue: the school does not accept it and points to the safeguarding route. A staff decision's
reason (`overrides.reason`) and history notes are for staff and never reach these letters. Every
sentence that states a fact is printed only when a case field supports it.

The templates hold the fixed wording; the sentences that depend on the case are built here, as
lists a template prints one paragraph (or bullet) each, under a key named after the kind
(`concern`, `warning`, `restriction`, `premises`). Each post gains `lead_in`, `notes`, `when` and
`where`.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from pipeline import actions, kinds
from pipeline.case.model import HistoryStep, Person, Post, School, Signatory
from pipeline.dates import add_days, add_working_days, day_of, long_date, to_uk, uk_time
from pipeline.directory import Directory, platform_directory
from pipeline.letter import story
from pipeline.letter.parts import LetterSource
from pipeline.platforms import platform_info
from pipeline.policy import (
    ACCESS,
    INDIVIDUAL_ROLES,
    Facts,
    criticism_only,
    mild_case,
    police_told,
)
from pipeline.words import TITLES, join, number, pronoun

# --- the words --------------------------------------------------------------------------------

ENTITLEMENT = ("You are entitled to raise concerns about the school and to disagree with "
               "decisions we make, and I do not ask you to stop doing so.")
COMPLAINTS = ("If you would prefer to make a formal complaint, the school\u2019s complaints "
              "procedure is {where} and available from the school office, and any complaint "
              "will be considered fairly.")
# The policy's examples of inappropriate use (letter-spec 1.3). "Making complaints about the
# School/staff at the School;" is never quoted to anyone: criticism is not the wrong.
POLICY_USES = (
    ("Making allegations about staff or pupils at the School/cyber-bullying;",
     {"allegation", "allegation_of_harm", "cyberbullying", "harassment"}),
    ("Making defamatory statements about the School or staff at the School;", {"defamatory"}),
    ("Posting negative/offensive comments about specific pupils/staff at the School;",
     None),  # names_staff, names_pupil or negative_comment about a named individual
    ("Posting racist comments;", {"racist"}),
    ("Posting comments which threaten violence;", {"threat_of_violence"}),
    ("Posting personal information about an individual;", {"personal_information"}),
    ("Posting confidential information.", {"confidential_information"}),
)
NAMING = frozenset({"names_staff", "names_pupil", "negative_comment"})
# "Appropriate use": what the policy asks parents to consider, quoted in a mild case.
CONSIDER = ("Are such comments likely to cause emotional or reputational harm to individuals, "
            "particularly if the School has not yet had a chance to investigate a complaint?")
CONTACT_US = "Please contact the school to discuss any concerns you may have."
WITHHELD = ("[The text is not reproduced here because it contains personal information; the "
            "school holds the original.]")
ROLE = {"staff": "a member of staff", "governor": "a governor", "pupil": "a pupil",
        "parent": "a parent at the school", "school": "the school"}
GRAVE = frozenset({"threat_of_violence", "racist", "grossly_obscene", "harassment",
                   "personal_information", "allegation_of_harm"})
DEFAULT_PERIOD_DAYS = 84  # twelve weeks [judgement, letter-spec 8.2]: a restriction or bar ends


def _directory() -> Directory:
    # ./data/platforms.yaml, else the copy installed with the program; read once per process.
    return platform_directory()


def _v(plural: bool, one: str, many: str) -> str:
    return many if plural else one


def _it(n: int) -> str:
    return "them" if n > 1 else "it"


def _or(words: list[str]) -> str:
    """'a', 'a or b', 'a, b or c': what the poster is asked not to publish."""
    return ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else join(words)


def _s(n: int) -> str:
    return "s" if n > 1 else ""


def _sorted(posts: list[Post]) -> list[Post]:
    """Oldest first, in UK time (a date-only post before the same day's timed ones)."""
    return sorted(posts, key=lambda p: (day_of(p.posted), str(to_uk(p.posted))))


def _individuals(post: Post) -> list[Person]:
    return [a for a in post.about if a.role in INDIVIDUAL_ROLES and a.name]


def _key(name: str) -> str:
    return " ".join(name.replace(".", "").split()).casefold()


def _short(name: str) -> str:
    """'Mr P Hargreaves' -> 'Mr Hargreaves'; 'Mr and Mrs K Osei' -> 'Mr and Mrs Osei'."""
    words = name.split()
    if len(words) >= 4 and words[0].rstrip(".") in TITLES and words[1] == "and" \
            and words[2].rstrip(".") in TITLES:
        return f"{words[0]} and {words[2]} {words[-1]}"
    if len(words) >= 3 and words[0].rstrip(".") in TITLES:
        return f"{words[0]} {words[-1]}"
    return name


def _family(name: str) -> bool:
    return " and " in name


class Names:
    """How a letter to the poster names people: in full ("Mr P Hargreaves") at first mention,
    then title and surname ("Mr Hargreaves"); a pupil only as the poster wrote the name, else
    "a pupil". Sentences must be asked for in reading order."""

    def __init__(self, posts: list[Post], *, pupils: bool = True):
        self.texts = [p.text for p in posts]
        self.pupils = pupils  # False: no pupil is named at all outside the quotes
        self.seen: set[str] = set()

    def of(self, person: Person) -> str:
        name = person.name or ""
        if not name:
            return ROLE[person.role]
        if person.role == "pupil":
            return name if self.pupils and any(name in t for t in self.texts) else "a pupil"
        key = _key(name)
        if key in self.seen:
            return _short(name)
        self.seen.add(key)
        return name

    def all(self, people: list[Person]) -> str:
        return join([self.of(p) for p in people])

    @staticmethod
    def role(person: Person) -> str:
        if person.role == "parent" and _family(person.name or ""):
            return "a family at the school"
        return ROLE[person.role]


def _people(posts: list[Post], keep=lambda a: True) -> list[Person]:
    """The individuals the posts are about, once each (by name), in order."""
    found: dict[str, Person] = {}
    for post in posts:
        for person in _individuals(post):
            if keep(person):
                found.setdefault(_key(person.name or ""), person)
    return list(found.values())


# Who posts concern, for a subject line: by role, never by name (a subject line travels further
# than the letter: an email's subject, the document's title).
CONCERNING = (("staff", "a member of staff", "members of staff"),
              ("governor", "a governor", "governors"),
              ("pupil", "a pupil", "pupils"),
              ("parent", "a parent at the school", "parents at the school"),
              ("school", "the school", "the school"))


def concerning(posts: list[Post]) -> str:
    """'a member of staff', 'a pupil and the school', 'members of staff and a governor' ('' when
    the posts record no one)."""
    found: dict[str, set[str]] = {}
    for post in posts:
        about = list(post.about)
        roles = {a.role for a in about}
        # The concerns still say who was named where `about` does not.
        if "names_staff" in post.concerns and not roles & {"staff", "governor"}:
            about.append(Person(role="staff"))
        if "names_pupil" in post.concerns and "pupil" not in roles:
            about.append(Person(role="pupil"))
        for person in about:
            role = person.role
            if role == "parent" and _family(person.name or ""):
                found.setdefault("family", set()).add(_key(person.name or ""))
                continue
            found.setdefault(role, set()).add(_key(person.name or ""))
    # Someone recorded without a name may be someone named elsewhere: counted only alone.
    count = {role: len(keys - {""}) or 1 for role, keys in found.items()}
    words = [one if count[role] == 1 else many
             for role, one, many in CONCERNING if role in found]
    if "family" in found:
        words.insert(len(words) - ("school" in found),
                     "a family at the school" if count["family"] == 1
                     else "families at the school")
    return join(words)


# --- the letter's facts -----------------------------------------------------------------------


class Writer:
    """What every letter to the poster is made of, for one letter: its posts in scope (oldest
    first), the signatory, the people named, the history, the rest of the plan."""

    def __init__(self, ctx: dict[str, Any], src: LetterSource):
        self.ctx, self.src = ctx, src
        self.case = src.case
        self.posts = _sorted(list(src.posts))
        self._per_day: Counter[date] | None = None
        self.facts: Facts = src.facts()
        self.school = self._signing_school(src)
        # A premises notice names only the poster's own children (by first name).
        self.names = Names(self.posts, pupils=src.kind is not kinds.PREMISES_NOTICE)
        self.day = src.meta.letter_date
        respond_by = src.kind.respond_by_date(self.day, urgent=src.letter.urgent)
        self.respond_date = respond_by
        self.respond_by = long_date(respond_by) if respond_by else ""
        self.urgent = src.letter.urgent
        self.telephone = story.keep_together(src.school.telephone)
        self.mild = mild_case(self.posts)
        self.criticism = [p for p in self.posts if criticism_only(p)]
        self.objected = [p for p in self.posts if not criticism_only(p)]
        police = self.case.police
        self.disclosable = bool(police and police.may_tell_poster)
        self.threat_case = any(
            "threat_of_violence" in p.concerns
            and (p.live or (self.facts.today - day_of(p.posted)).days <= 7)
            for p in self.case.posts)

    # -- who signs ---------------------------------------------------------------------------

    @staticmethod
    def _signing_school(src: LetterSource) -> School:
        """The school as the letter is signed: by the Chair of Governors when the signatory is
        one of the people the posts are about (a person should not be the sole voice of a
        complaint about themselves) [judgement, letter-spec 1.4]."""
        school = src.school
        chair = school.chair_of_governors
        about = [a.name for p in src.posts for a in p.about if a.name]
        if chair and any(_same_person(school.signatory.name, n) for n in about) \
                and not any(_same_person(chair, n) for n in about):
            return school.model_copy(update={
                "signatory": Signatory(name=chair, role="Chair of Governors")})
        return school

    def signatory(self) -> dict[str, str]:
        return {"name": self.school.signatory.name, "role": self.school.signatory.role}

    # -- small words ---------------------------------------------------------------------------

    def site(self, post: Post) -> str:
        if post.platform == "school_forum":
            return self.src.school.forum_name or "the school\u2019s online forum"
        if post.platform == "school_website":
            return "the school website"
        return platform_info(post.platform, post.platform_name).label

    def platforms(self, posts: list[Post] | None = None) -> str:
        return join(list(dict.fromkeys(self.site(p) for p in (posts or self.posts))))

    def about(self) -> str:
        """' about a member of staff': who the letter's posts concern, for its subject line."""
        who = concerning(self.posts)
        return f" about {who}" if who else ""

    def respond(self) -> str:
        """'3 December 2026 (two working days)' when urgent (letter-spec 1.5)."""
        rule = self.src.kind.respond_by
        if self.urgent and self.respond_date and rule is not None and rule.urgent is not None:
            return f"{self.respond_by} (two working days)"
        return self.respond_by

    def complaints(self) -> str:
        url = self.src.school.complaints_url
        return COMPLAINTS.format(where=f"at {url}" if url else "on the school website")

    @staticmethod
    def when(post: Post) -> str:
        return uk_time(post.posted).words()

    where = staticmethod(story.where_posted)

    @staticmethod
    def seen_by(posts: list[Post]) -> str:
        """Where the posts could be read, by their `visibility`: 'in public' only for public
        posts; 'in the group “…”', 'in a group' or 'online' otherwise."""
        seen = {p.visibility for p in posts}
        if seen == {"public"}:
            return "in public"
        if seen == {"group"}:
            groups = {p.group.name for p in posts if p.group}
            if len(groups) == 1 and all(p.group for p in posts):
                return f"in the group \u201c{groups.pop()}\u201d"
            return "in a group" if len(posts) == 1 else "in groups"
        return "online"

    def safeguarding_contact(self, accused: list[Person]) -> str:
        """Who a concern about a child's safety goes to: the designated safeguarding lead, by
        name where the school profile gives one (never the person the allegation is about)."""
        lead = self.src.school.designated_safeguarding_lead
        if lead and not any(_same_person(lead, a.name or "") for a in accused):
            if story.is_signatory(lead, self.school):
                return "with me, as the school\u2019s designated safeguarding lead,"
            return f"with the school\u2019s designated safeguarding lead, {lead},"
        return "with the school\u2019s designated safeguarding lead"

    def post_label(self, post: Post) -> str:
        """'your post of 19 November 2026' when the letter has several posts."""
        on = f" on {self.site(post)}" if self._posts_per_day()[day_of(post.posted)] > 1 else ""
        return f"post of {long_date(post.posted)}{on}"

    def _posts_per_day(self) -> Counter[date]:
        # Counted once per letter: a label is asked for each post, and counting the day's posts
        # again each time made a letter with many posts quadratic in them.
        if self._per_day is None:
            self._per_day = Counter(day_of(p.posted) for p in self.posts)
        return self._per_day

    def subject_posts(self, posts: list[Post]) -> tuple[str, bool]:
        """('Your post', False), ('Your posts', True) or ('Your post of 19 November 2026', …)."""
        plural = len(posts) > 1
        if len(posts) == len(self.posts):
            return ("Your posts" if plural else "Your post"), plural
        labels = [self.post_label(p).removeprefix("post ") for p in posts]
        return f"Your post{_s(len(posts))} {join(labels)}", plural

    def the_posts(self, posts: list[Post]) -> str:
        """'the post', 'the posts' or 'the post of 19 November 2026'."""
        if len(posts) == len(self.posts):
            return f"the post{_s(len(posts))}"
        return f"the post{_s(len(posts))} " + join(
            [self.post_label(p).removeprefix("post ") for p in posts])

    # -- posts ----------------------------------------------------------------------------------

    def post_fields(self, *, kind: kinds.Kind) -> None:
        """Reorder the posts oldest first and give each its lead-in and the notes after it."""
        by_id = {p["id"]: p for p in self.ctx["posts"]}
        fields = []
        for post in self.posts:
            f = by_id[post.id]
            f["when"], f["where"] = self.when(post), self.where(post)
            if post.external:
                url = f" ({post.url})" if post.url else ""
                f["lead_in"] = (f"On {f['when']} you posted {f['where']} on "
                                f"{self.site(post)}{url}:")
            else:
                f["lead_in"] = f"On {f['when']} you posted on {self.site(post)}:"
            if "personal_information" in post.concerns and not post.private_details:
                f["text"] = WITHHELD
            notes = []
            if kind is kinds.WARNING and post.reach:
                notes.append(f"How widely it has been seen, as far as the school knows: "
                             f"{post.reach}")
            if not post.live:
                notes.append("I understand this post has since been removed"
                             + ("; thank you." if kind is kinds.CONCERN else "."))
            elif kind is kinds.CONCERN and not post.external and not criticism_only(post):
                notes.append(self.own_site_removal([post], after_quote=True))
            f["notes"] = notes
            fields.append(f)
        self.ctx["posts"] = fields

    def own_site_removal(self, posts: list[Post], *, after_quote: bool = False) -> str:
        """Variant B: the school removes a post from its own site; the poster is never asked to.
        Right after the quote it is 'this post'; elsewhere 'the post (of …)'."""
        site = self.platforms(posts)
        if after_quote:
            things = f"{'these' if len(posts) > 1 else 'this'} post{_s(len(posts))}"
        else:
            things = self.the_posts(posts)
        if all(self.facts.done(actions.REMOVE_OWN_POST, p) for p in posts):
            return f"The school has removed {things} from {site} and kept a copy as a record."
        return f"The school is removing {things} from {site} and keeping a copy as a record."

    # -- why I am concerned ---------------------------------------------------------------------

    def entitled(self) -> bool:
        return any({"complaint", "negative_comment"} & set(p.concerns)
                   or any(a.role == "school" for a in p.about) for p in self.posts)

    def objections(self, *, kind: kinds.Kind) -> tuple[list[str], list[str]]:
        """The objection sentences of letter-spec 1.2 (in its order, once each), and the noun
        phrases for 'not to publish … again'. Criticism-only posts draw none."""
        posts = self.objected
        said: list[str] = []
        nouns: list[str] = []
        named: set[str] = set()
        names = self.names

        def having(*concerns: str) -> list[Post]:
            return [p for p in posts if set(concerns) & set(p.concerns)]

        def people(ps: list[Post], keep=lambda a: True) -> list[Person]:
            found = _people(ps, keep)
            named.update(_key(a.name or "") for a in found)
            return found

        ps = having("threat_of_violence")
        if ps:
            who = people(ps)
            subj, pl = self.subject_posts(ps)
            against = names.all(who) or "people at the school"
            said.append(f"{subj} {_v(pl, 'threatens', 'threaten')} violence against {against}. "
                        "Threats against anyone at the school will never be tolerated.")
            nouns.append("threats of violence against anyone")
        ps = having("racist")
        if ps:
            who = people(ps)
            subj, pl = self.subject_posts(ps)
            about = f" about {names.all(who)}" if who else ""
            said.append(f"{subj} {_v(pl, 'contains', 'contain')} racist remarks{about}. Racist "
                        "abuse of any member of our school community is never acceptable, and "
                        "the school records and responds to every racist incident.")
            nouns.append("racist remarks about anyone")
        ps = having("allegation_of_harm")
        if ps:
            who = people(ps)
            subj, pl = self.subject_posts(ps)
            them = names.all(who) or "a member of staff"
            has = "have" if len(who) > 1 else "has"
            # The school must not prejudge an allegation the LADO may have to consider: it does
            # not accept it, and points to the safeguarding route; it never calls it untrue.
            allegation = "these allegations" if pl else "this allegation"
            said.append(f"{subj} {_v(pl, 'alleges', 'allege')} that {them} {has} harmed a child or "
                        f"{'are' if len(who) > 1 else 'is'} a risk to children. The school does "
                        f"not accept {allegation}. Any concern about a child\u2019s safety must be "
                        f"raised {self.safeguarding_contact(who)} under our "
                        "safeguarding procedure (or with the local authority), not online. Raised "
                        "in that way it can be investigated under the statutory procedures; on "
                        "social media it cannot be, and it can do real damage to the person "
                        "named.")
            nouns.append(f"allegations about {names.all(who)}" if who else
                         "allegations that anyone at the school has harmed a child")
        false = [p for p in posts if "defamatory" in p.concerns
                 or ("allegation" in p.concerns and any(a.inaccurate for a in _individuals(p)))]
        if false:
            who = people(false, lambda a: True)
            if who:
                subj, pl = self.subject_posts(false)
                # A post alleging harm to a child is never called untrue, even where the person
                # named says it is: the safeguarding route has to run its course first.
                harm = [p for p in false if "allegation_of_harm" in p.concerns]
                untrue = not harm and any(a.inaccurate for p in false for a in _individuals(p))
                if harm and len(harm) == len(false):
                    line = (f"The same post{_s(len(false))} also {_v(pl, 'makes', 'make')} other "
                            f"statements of fact about {names.all(who)}, which the school "
                            "disputes.")
                else:
                    which = "are untrue" if untrue else "the school does not accept"
                    line = (f"{subj} {_v(pl, 'makes', 'make')} statements of fact about "
                            f"{names.all(who)} which {which}.")
                if kind is kinds.CONCERN and untrue:
                    consequence = ("Untrue statements about a person can do serious and lasting "
                                   "harm to their reputation.")
                elif kind is kinds.CONCERN:
                    consequence = ("Statements like these can do serious and lasting harm to a "
                                   "person\u2019s reputation.")
                elif untrue:
                    consequence = ("Publishing untrue statements that damage a person\u2019s "
                                   "reputation can expose the person who publishes them to a "
                                   "legal claim by the person concerned.")
                else:
                    consequence = ("If statements like these are untrue and damage a "
                                   "person\u2019s reputation, publishing them can expose the "
                                   "person who publishes them to a legal claim by the person "
                                   "concerned.")
                said.append(f"{line} {consequence}")
                nouns.append(f"the statements about {names.all(who)} or anything like them")
        ps = having("personal_information")
        if ps:
            details = [d for p in ps for d in p.private_details]
            whose = list(dict.fromkeys(d.person for d in details if d.person))
            who = people(ps)
            if whose:
                them = join([names.of(next((a for a in who if _key(a.name or "") == _key(n)),
                                           Person(role="staff", name=n))) for n in whose])
                named.update(_key(n) for n in whose)
            else:
                them = names.all(who) or "someone at the school"
            kinds_ = list(dict.fromkeys(d.kind for d in details))
            what = f" ({join([_article(k) for k in kinds_])})" if kinds_ else ""
            subj, pl = self.subject_posts(ps)
            said.append(f"{subj} {_v(pl, 'publishes', 'publish')} personal information about "
                        f"{them}{what}, which I have not repeated in this letter.")
            staff = any(a.role in ("staff", "governor") for a in who) or (
                whose and not any(a.role in ("pupil", "parent") for a in who))
            nouns.append("personal information about any member of staff or their family"
                         if staff else "personal information about anyone at the school")
        ps = having("confidential_information")
        if ps:
            subj, pl = self.subject_posts(ps)
            said.append(f"{subj} {_v(pl, 'discloses', 'disclose')} information that is "
                        "confidential to the school or to the people concerned.")
            nouns.append("confidential information about the school or anyone in it")
        ps = having("names_pupil")
        if ps:
            subj, pl = self.subject_posts(ps)
            said.append(f"{subj} {_v(pl, 'names', 'name')} a child at the school. Whatever the "
                        "concern, a child must never be identified and discussed in this way "
                        "online.")
            nouns.append("the name of any child")
        ps = having("cyberbullying", "harassment")
        if ps:
            who = people(ps)
            subj, pl = self.subject_posts(ps)
            them = names.all(who) or "someone at the school"
            line = f"{subj} {_v(pl, 'singles', 'single')} out {them} personally."
            for person in who:
                days = sorted({day_of(p.posted) for p in self.case.posts
                               if any(_key(a.name or "") == _key(person.name or "")
                                      for a in _individuals(p))})
                if len(days) >= 2:
                    line += (f" You have posted about {names.of(person)} on "
                             f"{number(len(days))} different days since {long_date(days[0])}.")
            said.append(line)
            nouns.append(f"comments singling out {names.all(who) or 'anyone at the school'}")
        ps = [p for p in having("allegation") if p not in false]
        if ps:
            who = people(ps)
            if who:
                subj, pl = self.subject_posts(ps)
                said.append(f"{subj} {_v(pl, 'makes', 'make')} allegations about "
                            f"{names.all(who)}. If you have a concern about a member of staff or "
                            "a pupil, please bring it to me.")
                nouns.append(f"allegations about {names.all(who)}")
        statements = [n for n in nouns if n.startswith("the statements about ")]
        if statements:  # "the statements about X or anything like them" covers allegations
            nouns = [n for n in nouns if not (
                n.startswith("allegations about ")
                and any(n.removeprefix("allegations about ") in s for s in statements))]
        ps = having("names_staff", "negative_comment")
        staff = [a for a in _people(ps, lambda a: a.role in ("staff", "governor"))
                 if _key(a.name or "") not in named]
        if staff:
            subj, pl = self.subject_posts([p for p in ps if any(
                _key(a.name or "") in {_key(s.name or "") for s in staff}
                for a in _individuals(p))])
            listed = join([f"{names.of(a)}, {Names.role(a)}," for a in staff]).rstrip(",")
            roles = {a.role for a in staff}
            who_cannot = ("Staff and governors" if roles == {"staff", "governor"}
                          else "Governors" if roles == {"governor"} else "Staff")
            seen = self.seen_by([p for p in ps if any(
                _key(a.name or "") in {_key(s.name or "") for s in staff}
                for a in _individuals(p))])
            whom = pronoun([a.name or "" for a in staff], form="object")
            said.append(f"{subj} {_v(pl, 'names', 'name')} {listed}, and "
                        f"{_v(pl, 'criticises', 'criticise')} {whom} personally {seen}. "
                        f"{who_cannot} cannot answer comments about them on social media, and a "
                        "concern about an individual\u2019s work is best raised with me.")
            nouns.append(f"comments about {names.all(staff)} personally")
        elif having("names_staff") and not named and not _people(ps):
            subj, pl = self.subject_posts(having("names_staff"))
            seen = self.seen_by(having("names_staff"))
            said.append(f"{subj} {_v(pl, 'names', 'name')} a member of staff and "
                        f"{_v(pl, 'criticises', 'criticise')} them personally {seen}. Staff "
                        "cannot answer comments about them on social media, and a concern about "
                        "an individual\u2019s work is best raised with me.")
            nouns.append("comments about members of staff personally")
        ps = having("grossly_obscene")
        if ps:
            subj, pl = self.subject_posts(ps)
            said.append(f"{subj} {_v(pl, 'contains', 'contain')} grossly offensive language.")
            nouns.append("grossly offensive language")
        return said, list(dict.fromkeys(nouns))

    def policy_quotes(self) -> tuple[str, list[str]]:
        """The policy's examples the posts engage (letter-spec 1.3), or in a mild case what the
        policy asks parents to consider."""
        title = self.src.school.policy.title
        if self.mild:
            if not self.objected:
                return f"Our {title} says:", [CONTACT_US]
            return (f"Our {title} asks parents to consider, before raising concerns on social "
                    "media:", [CONSIDER, CONTACT_US])
        uses = []
        for text, concerns in POLICY_USES:
            if concerns is None:
                hit = any(NAMING & set(p.concerns) and _individuals(p) for p in self.objected)
            else:
                hit = any(concerns & set(p.concerns) for p in self.objected)
            if hit:
                uses.append(text)
        n = len(self.objected)
        lead = (f"Our {title} gives examples of uses of social networking sites that the school "
                f"considers inappropriate. Your post{_s(n)} {_v(n > 1, 'falls', 'fall')} within "
                "these:")
        return (lead, uses) if uses else ("", [])

    # -- history -------------------------------------------------------------------------------

    def history(self) -> list[str]:
        """What has happened so far, first person (letter-spec 2.3): the police only when they
        have agreed the poster may be told; legal advice only as 'I have sought legal advice.'"""
        lines: list[str] = []
        for state in self.facts.steps:
            step = state.step
            if step.step == kinds.POLICE_REFERRAL.step:
                if self.disclosable:
                    lines.append(f"On {long_date(step.date)} the school reported the matter to "
                                 f"{self.force()}.")
                continue
            if step.step == kinds.LEGAL_REFERRAL.step:
                if "I have sought legal advice." not in lines:
                    lines.append("I have sought legal advice.")
                continue
            said = story.history_sentence(state, self.facts, self.school)
            if said:
                lines.append(said)
        first = self.facts.first_step_date()
        if first is not None and lines:
            later = _sorted([p for p in self.case.posts if day_of(p.posted) > first])
            if later:
                lines.append("Since then you have posted again on " + join(
                    [f"{long_date(p.posted)} ({self.site(p)})" for p in later]) + ".")
        return lines

    def force(self) -> str:
        police = self.case.police
        return (police.force if police and police.force else self.src.school.police_force)

    def keep_distance(self) -> bool:
        """Whether the poster is offered writing or telephoning rather than a meeting: a recent
        threat, a bar from the premises, the police involved, or someone's private details
        published."""
        premises = self.src.same_run(kinds.PREMISES_NOTICE) \
            or self.facts.recorded(kinds.PREMISES_NOTICE)
        personal = any("personal_information" in p.concerns for p in self.posts)
        return bool(self.threat_case or premises or self.police_involved() or personal)

    def police_involved(self) -> bool:
        return police_told(self.facts) or bool(self.src.same_run(kinds.POLICE_REFERRAL))

    # -- the rest of the plan ------------------------------------------------------------------

    def same_run_platforms(self) -> list[tuple[str, list[Post]]]:
        """(platform label, posts in scope) for each platform letter of the same run."""
        out = []
        mine = {p.id: p for p in self.posts}
        for sibling in self.src.same_run(kinds.HOST_TAKEDOWN):
            posts = [mine[pid] for pid in sibling.letter.posts if pid in mine]
            if posts:
                out.append((self.site(posts[0]), posts))
        return out

    def removal_posts(self) -> list[Post]:
        """The posts the poster is asked to remove: live, outside the school's own site, not a
        WhatsApp message (withdrawn instead) and not criticism-only."""
        return [p for p in self.objected if p.live and p.external and p.platform != "whatsapp"]

    def whatsapp_posts(self) -> list[Post]:
        return [p for p in self.objected if p.live and p.platform == "whatsapp"]

    def own_site_posts(self) -> list[Post]:
        return [p for p in self.posts if p.live and not p.external and not criticism_only(p)]

    def staff_named(self) -> list[Person]:
        return _people(self.objected, lambda a: a.role in ("staff", "governor"))

    def withdraw_words(self, posts: list[Post]) -> list[str]:
        """Variant D (WhatsApp): delete for everyone if still possible, withdraw in the group,
        and ask the group's admin to remove the message (REFERENCE.md: messaging groups)."""
        out = []
        for post in posts:
            who = [self.names.of(a) if a.role == "pupil" else _short(a.name or "")
                   for a in _people([post])]
            about = f" about {join(who)}" if who else ""
            details = " and the personal details it gave" if post.private_details else ""
            example = (f"\u201cI withdraw my message of {long_date(post.posted)}{about}{details}. "
                       "Please delete it and do not share it.\u201d")
            out.append(f"to delete your message of {long_date(post.posted)} for everyone, if "
                       "WhatsApp still allows you to do so, and in any event by "
                       f"{self.respond()} to post a message in the group withdrawing it, for "
                       f"example: {example}")
            group = post.group
            admin = group.admin if group else None
            school_asks = admin and any(
                post.id in s.letter.posts for s in self.src.same_run(kinds.HOST_TAKEDOWN))
            if not school_asks and not (admin and _same_person(admin, self.case.poster.name)):
                named = f" \u201c{group.name}\u201d" if group else ""
                out.append(f"to ask the admin of the group{named} to remove your message")
        return out


def _article(kind: str) -> str:
    """'a home address', 'an email address'; a plural ('personal details') has none."""
    if kind.endswith("s") and not kind.endswith("ss"):
        return kind
    return f"{'an' if kind[:1].lower() in 'aeiou' else 'a'} {kind}"


def _same_person(a: str, b: str) -> bool:
    """Title and surname, and the first initial where both give one (letter-spec 1.4)."""
    wa, wb = a.replace(".", "").split(), b.replace(".", "").split()
    if not wa or not wb:
        return False
    if _key(a) == _key(b):
        return True
    if len(wa) < 2 or len(wb) < 2 or wa[0] not in TITLES or wb[0] not in TITLES:
        return False
    if (wa[0].casefold(), wa[-1].casefold()) != (wb[0].casefold(), wb[-1].casefold()):
        return False
    if len(wa) > 2 and len(wb) > 2:
        return wa[1][0].casefold() == wb[1][0].casefold()
    return True


def _common(w: Writer, kind: kinds.Kind) -> dict[str, Any]:
    """The parts every letter to the poster has, under its kind's key."""
    w.ctx["signatory"] = w.signatory()
    # Written for staff, never for the poster: a decision's reason (overrides.reason) and the
    # notes on history steps. Kept out of the context, so an edited template cannot print them.
    internal = [r for r in w.src.letter.overrides if r]
    w.ctx["reasons"] = [r for r in w.ctx["reasons"] if not any(i in r for i in internal)]
    w.ctx["history"] = [h | {"notes": ""} for h in w.ctx["history"]]
    w.post_fields(kind=kind)
    return {"telephone": w.telephone, "complaints": w.complaints(), "respond_by": w.respond(),
            "posts_heading": f"Your post{_s(len(w.posts))}"}


# --- concern ----------------------------------------------------------------------------------


@kinds.CONCERN.builds
def _concern(ctx: dict[str, Any], src: LetterSource) -> None:
    w = Writer(ctx, src)
    out = _common(w, kinds.CONCERN)
    n = len(w.posts)
    one = w.posts[0] if n == 1 else None
    out["subject"] = (f"Your post{_s(n)} on {w.platforms()}"
                      + (f" on {long_date(one.posted)}" if one else "") + w.about())
    ctx["letter"]["subject"] = out["subject"]
    # Variant C: after our meeting (a first step already taken, so planned by a decision).
    meeting = next((s for s in src.case.history if s.step == kinds.DISCUSSION), None)
    history = w.history() if src.case.history else []
    if meeting is not None:
        who = story.who(meeting.by, w.school, to_poster=True)
        met = ({"I": "me", "the school": "us"}.get(who)
               or who)
        if meeting.method == "phone":
            opening = f"Thank you for speaking to {met} on {long_date(meeting.date)}."
        else:
            opening = f"Thank you for meeting {met} on {long_date(meeting.date)}."
        opening += (f" I am writing to set out briefly what {'I' if who == 'I' else 'we'} asked "
                    "of you, because I would much rather resolve this by talking than by "
                    "anything more formal.")
    else:
        what = (f"your post on {w.site(one)} on {long_date(one.posted)}" if one
                else f"your posts on {w.platforms()}")
        opening = f"I am writing about {what}, which {'has' if one else 'have'} been brought to " \
                  "my attention."
        opening += (" I would much rather talk this through with you in person, and I hope this "
                    "letter will lead to a conversation rather than anything more formal."
                    if w.objected else " I would like to hear your concerns, and I would much "
                    "rather talk about them with you in person.")
    out["opening"] = [opening]
    out["history"] = history
    objections, nouns = w.objections(kind=kinds.CONCERN)
    out["why_heading"] = "Why I am concerned" if w.objected else "Why I am writing"
    why = [ENTITLEMENT] if w.entitled() else []
    out["why"] = why + objections
    out["policy_lead"], out["policy_quotes"] = w.policy_quotes()
    out["dignity"] = bool(w.objected)
    out["asks_heading"] = "What I am asking you to do" if w.objected else "What I would ask of you"
    out["asks"] = _concern_asks(w, nouns)
    out["raising"] = _raising(w)
    ctx[kinds.CONCERN.name] = out


def _concern_asks(w: Writer, nouns: list[str]) -> list[str]:
    asks: list[str] = []
    remove = w.removal_posts()
    if remove:
        staff = w.staff_named()
        posts = w.the_posts(remove)
        if w.mild and staff:
            n = len(remove)
            names = join([_short(a.name or "") for a in staff])
            asks.append(f"I am asking you to remove {posts}, or at least to edit {_it(n)} so "
                        f"that {'they no longer name' if n > 1 else 'it no longer names'} "
                        f"{names}, by {w.respond()}, and to let the school office know when you "
                        "have done so.")
        else:
            quoted = f"{posts} quoted above" if len(remove) == len(w.posts) else posts
            asks.append(f"I am asking you to remove {quoted} by {w.respond()}, and to let the "
                        "school office know when you have done so.")
    withdraw = w.withdraw_words(w.whatsapp_posts())
    if withdraw:
        first, *rest = withdraw
        asks.append(f"I am asking you {first}" + ("" if first.endswith("\u201d") else "."))
        asks += [f"I would also ask you {r}." for r in rest]
    own = w.own_site_posts()
    if own:
        what = _or(nouns) if nouns else "material of this kind"
        asks.append(f"I am asking you not to post {what} on {w.platforms(own)} again. Please let "
                    f"the school office know by {w.respond()} that you will not do so.")
    elif nouns and not w.mild:
        asks.append(f"I would also ask you not to post {_or(nouns)} online in future.")
    if w.criticism:
        posts = w.the_posts(w.criticism)
        if len(w.criticism) < len(w.posts):
            asks.append(f"I am not asking you to remove {posts}, which "
                        f"{'criticise' if len(w.criticism) > 1 else 'criticises'} the school: "
                        "you are entitled to do that.")
        else:
            asks.append(f"I am not asking you to remove {posts}. If you would like to meet me to "
                        "talk about your concerns, please let the school office know by "
                        f"{w.respond()} and I will make time to see you.")
    return asks


# --- warning ----------------------------------------------------------------------------------


@kinds.WARNING.builds
def _warning(ctx: dict[str, Any], src: LetterSource) -> None:
    w = Writer(ctx, src)
    out = _common(w, kinds.WARNING)
    out["subject"] = (f"Formal warning: your post{_s(len(w.posts))} on {w.platforms()}"
                      + w.about())
    ctx["letter"]["subject"] = out["subject"]
    out["opening"] = _warning_opening(w)
    first = [s for s in src.case.history if s.step in (kinds.DISCUSSION, kinds.CONCERN.step)]
    out["history"] = w.history() if first else []
    objections, nouns = w.objections(kind=kinds.WARNING)
    out["why_heading"] = "Why I am concerned" if w.objected else "Why I am writing"
    out["why"] = ([ENTITLEMENT] if w.entitled() else []) + objections
    out["policy_lead"], out["policy_quotes"] = w.policy_quotes()
    out["warning_lead"] = (f"Please treat this letter as a formal warning under our "
                           f"{src.school.policy.title}. I ask you:")
    out["asks"] = _warning_asks(w, nouns)
    out["doing"] = _doing(w, history=out["history"])
    out["next_lead"], out["next_steps"] = _next_steps(w)
    out["raising"] = _raising(w)
    ctx[kinds.WARNING.name] = out


def _first_step(w: Writer) -> HistoryStep:
    return next(s for s in w.case.history if s.step in (kinds.DISCUSSION, kinds.CONCERN.step))


def _first_contact(w: Writer) -> str:
    """'our meeting on 5 October 2026', 'my letter of 17 November 2026', …"""
    step = _first_step(w)
    when = long_date(step.date)
    mine = story.is_signatory(step.by, w.school)
    if step.step == kinds.CONCERN.step:
        return f"my letter of {when}" if mine else f"the school\u2019s letter of {when}"
    talk = "telephone conversation" if step.method == "phone" else "meeting"
    if mine:
        return f"our {talk} on {when}"
    if not step.by:
        return f"the school\u2019s {talk} with you on {when}"
    colleague = story.who(step.by, w.school, to_poster=True) + " "
    return f"your {talk} with {colleague}on {when}"


def _contact_about(w: Writer) -> str:
    """The posts the first step was about, then any others in the letter: 'your post on
    Facebook, and about your later post on Instagram'. A meeting or letter can only have been
    about posts made by its date."""
    step = _first_step(w)
    discussed = story.posts_before(step, w.posts) or w.posts
    rest = [p for p in w.posts if p not in discussed]
    said = f"your post{_s(len(discussed))} on {w.platforms(discussed)}"
    if rest:
        later = all(day_of(p.posted) > step.date for p in rest)
        where = w.platforms(rest)
        on = "" if where == w.platforms(discussed) else f" on {where}"
        said += f", and about your {'later' if later else 'other'} post{_s(len(rest))}{on}"
    return said


def _warning_opening(w: Writer) -> list[str]:
    src = w.src
    title = src.school.policy.title
    n = len(w.posts)
    platforms = w.platforms()
    live = [p for p in w.posts if p.live]
    online_posts = [p for p in live if p.external]
    grave = [p for p in w.objected if GRAVE & set(p.concerns) or p.serious or p.urgent]
    urgent_clause = ""
    if w.urgent:
        threats = [p for p in w.posts if "threat_of_violence" in p.concerns]
        personal = [p for p in w.posts if "personal_information" in p.concerns]
        parts = []
        if threats:
            who = _people(threats)
            parts.append(f"threatens {w.names.all(who) or 'people at the school'}")
        if personal:
            whose = list(dict.fromkeys(d.person for p in personal for d in p.private_details
                                       if d.person))
            people = [Person(role="staff", name=x) for x in whose] or _people(personal)
            parts.append("discloses private details of "
                         + (w.names.all(people) or "someone at the school"))
        subj = "your posts" if n > 1 and len(threats + personal) > 1 else "your post"
        urgent_clause = f"{subj} {' and '.join(parts)}"
    steps = [s for s in w.facts.steps if s.step.step in (kinds.DISCUSSION, kinds.CONCERN.step)]
    asks_at_once = w.urgent and bool(w.removal_posts())  # the ask itself says "at once"
    paragraphs: list[str] = []
    if not steps:
        if grave:
            why = (f"Because {urgent_clause}" if urgent_clause else
                   f"Because of what {'the posts say' if n > 1 else 'the post says'}")
            text = (f"I am writing to you about your post{_s(n)} on {platforms}. I would usually "
                    "invite you to discuss a matter like this before writing formally. "
                    f"{why}, I am instead writing to you now with a formal warning, as our "
                    f"{title} allows")
            text += ", and I must ask you to act at once." if urgent_clause and not \
                asks_at_once else "."
        else:
            text = f"I am writing to you about your post{_s(n)} on {platforms}."
        paragraphs.append(text)
    else:
        contact = _first_contact(w)
        trigger = next((s for s in steps if s.overdue or s.outcome in
                        ("refused", "no_response", "continued")), None)
        still = (f"{'they are' if len(online_posts) > 1 else 'it is'} still online"
                 if online_posts else "")
        if trigger is not None and trigger.overdue and trigger.step.outcome == "agreed":
            # The history above tells the agreement (and the date only when the case records
            # one agreed: `due:`); the school's own reckoning of when it fell due is no agreement.
            remains = (f"{'they remain' if len(online_posts) > 1 else 'it remains'} online"
                       if online_posts else "")
            if trigger.step.due:
                because = (f"As {long_date(trigger.step.due)} has passed"
                           + (f" and {remains}" if remains else ""))
            else:
                because = (f"As {remains}" if remains
                           else "As the matter has not been resolved")
        elif trigger is not None and trigger.step.step == kinds.CONCERN.step \
                and trigger.outcome == "no_response":
            mine = story.is_signatory(trigger.step.by, w.school)
            letter = (f"my letter of {long_date(trigger.step.date)}" if mine else
                      f"the school\u2019s letter of {long_date(trigger.step.date)}")
            reply = "As you have not replied" if contact == letter else \
                f"As you have not replied to {letter}"
            because = reply + (f", and {still}" if still else "")
        elif online_posts and len(online_posts) == n:
            because = f"As {'they remain' if n > 1 else 'it remains'} online"
        elif online_posts:
            m = len(online_posts)
            because = (f"As your post{_s(m)} on {w.platforms(online_posts)} "
                       f"{'remain' if m > 1 else 'remains'} online")
        else:
            because = "As the matter has not been resolved"
        text = (f"I am writing further to {contact} about {_contact_about(w)}. "
                f"{because}, I am now setting out the school\u2019s concerns in writing and "
                f"giving you a formal warning, as our {title} provides.")
        if urgent_clause and not asks_at_once:
            text += f" Because {urgent_clause}, I must ask you to act at once."
        paragraphs.append(text)
    if src.letter.overrides and w.mild:
        # Variant E: written by the school's decision. The decision's reason is written for
        # staff (overrides.reason) and never reaches the poster.
        paragraphs.append("Having considered the matter carefully, I have decided to write to "
                          "you formally.")
    return paragraphs


def _warning_asks(w: Writer, nouns: list[str]) -> list[str]:
    asks: list[str] = []
    remove = w.removal_posts()
    now = "at once, and in any event " if w.urgent else ""
    if remove:
        posts = w.the_posts(remove)
        quoted = f"{posts} quoted above" if len(remove) == len(w.posts) else posts
        staff = w.staff_named()
        if w.mild and staff:
            n = len(remove)
            names = join([_short(a.name or "") for a in staff])
            asks.append(f"to remove {quoted}, or at least to edit {_it(n)} so that "
                        f"{'they no longer name' if n > 1 else 'it no longer names'} {names}, "
                        f"{now}by {w.respond()};")
        else:
            asks.append(f"to remove {quoted} {now}by {w.respond()};")
    asks += [f"{a};" for a in w.withdraw_words(w.whatsapp_posts())]
    if nouns:
        asks.append(f"not to publish {_or(nouns)} again;")
    contact = (f"by email to {w.src.school.email} or by telephone on {w.telephone}")
    if remove or w.whatsapp_posts():
        asks.append(f"and to let the school office know when you have done so, {contact}.")
    elif nouns:
        asks.append(f"and to confirm to the school office by {w.respond()} that you will not do "
                    f"so, {contact}.")
    else:
        asks.append(f"to raise any concern you have with me directly, by {w.respond()}, "
                    f"{contact}.")
    return asks


def _doing(w: Writer, *, history: list[str]) -> list[str]:
    """What the school is doing (letter-spec 4.5): only the steps a poster may be told of."""
    out: list[str] = []
    said_also = False

    def also() -> str:  # "also" once: the first thing done besides this letter
        nonlocal said_also
        first, said_also = not said_also, True
        return "also " if first else ""

    asks: list[tuple[str, list[Post]]] = []
    for label, posts in w.same_run_platforms():
        if posts[0].platform == "whatsapp":
            group = posts[0].group
            named = f" \u201c{group.name}\u201d" if group else ""
            if group and group.admin and not _same_person(group.admin, w.case.poster.name):
                out.append(f"I am {also()}asking the admin of the group{named} to remove your "
                           f"message{_s(len(posts))}.")
            else:
                out.append(f"I am {also()}reporting your message{_s(len(posts))} to WhatsApp.")
        else:
            asks.append((label, posts))
    if len(asks) > 1 and sum(len(posts) for _, posts in asks) == len(w.posts):
        out.append(f"I am {also()}asking {join([label for label, _ in asks])} to remove the "
                   "posts.")
    elif asks:  # one sentence for every platform asked
        out.append(f"I am {also()}asking "
                   f"{join([f'{label} to remove {w.the_posts(posts)}' for label, posts in asks])}.")
    if not history:
        for state in w.facts.steps:
            step = state.step
            if step.step != kinds.HOST_TAKEDOWN.step:
                continue
            posts = [p for p in w.posts if step.covers(p.id)]
            if not posts:
                continue
            label = w.platforms(posts)
            line = f"The school reported {w.the_posts(posts)} to {label} on {long_date(step.date)}"
            if step.outcome == "removed":
                line += f", and {label} removed {_it(len(posts))}"
            out.append(line + ".")
    own = w.own_site_posts()
    if own:
        out.append(w.own_site_removal(own))
    site = w.platforms([p for p in w.posts if not p.external] or w.posts)
    if w.src.same_run(kinds.ACCESS_RESTRICTION):
        out.append(f"I have {also()}decided to restrict your access to {site}. My separate "
                   "letter of today explains this and how to ask me to review it.")
    if w.src.same_run(kinds.PREMISES_NOTICE):
        out.append(f"I have {also()}written to you separately today about your access to the "
                   "school premises.")
    false = [p for p in w.posts if "defamatory" in p.concerns or (
        "allegation" in p.concerns and any(a.inaccurate for a in _individuals(p)))]
    legal = w.src.same_run(kinds.LEGAL_REFERRAL) or w.facts.recorded(kinds.LEGAL_REFERRAL)
    who = _people(false)
    if false and legal and who and "I have sought legal advice." not in history:
        out.append(f"I am taking legal advice on what you have published concerning "
                   f"{join([_short(a.name or '') for a in who])}.")
    if w.disclosable and w.police_involved():
        police = w.case.police
        ref = f" (reference {story.keep_together(police.crime_reference)})" \
            if police and police.crime_reference else ""
        verb = "has reported" if police_told(w.facts) else "is reporting"
        out.append(f"The school {verb} this matter to {w.force()}{ref}.")
    return out


def _engages_rules(post: Post) -> bool:
    if "defamatory" in post.concerns:
        return True
    try:
        entry = _directory().entry(post.platform, post.platform_name)
    except Exception:  # noqa: BLE001 - an unreadable directory must not stop a letter
        return False
    return bool(entry.rules_for(post.concerns))


def _next_steps(w: Writer) -> tuple[str, list[str]]:
    """What may happen next (letter-spec 4.6; REFERENCE.md: a parent letter "explains the next
    steps if not"), worded as possible, never as certain: the policy's ladder, only the steps
    its clauses allow for these posts and not already taken or in the same run:

    - the host/provider (HOST): for a post still online that the school has not reported and
      that engages the platform's rules (or is defamatory); and, where the school reports posts
      of this kind, for any further post;
    - restricting access (ACCESS): only for posts on the school's own forum or website;
    - the police (POLICE): only for a post the police clause covers (a threat, a racial element,
      grossly obscene, harassment), and only while the police have not been involved: a letter
      to the poster never says the police have been told unless they agree, and never implies
      that they have not been told when they have;
    - legal advice (LEGAL): only for a defamatory or untrue post, and never 'other legal action'
      (a school cannot itself sue in defamation).

    Every warning has the lead sentence, so the poster always reads what may follow."""
    now: list[str] = []  # steps for the posts in this letter, if they stay up
    asked = {p.id for _, posts in w.same_run_platforms() for p in posts}
    reported: list[Post] = []
    groups: dict[str, list[Post]] = {}
    removal = {p.id for p in w.removal_posts()}  # once: a list's `in` made this quadratic
    for post in [p for p in w.objected if p.external]:
        if post.id in asked or w.facts.recorded(kinds.HOST_TAKEDOWN, post):
            reported.append(post)
        elif post.id in removal and _engages_rules(post):
            groups.setdefault(w.site(post), []).append(post)
    for label, posts in groups.items():
        now.append(f"asking {label} to remove {w.the_posts(posts)};")
    own = w.own_site_posts()
    if own and not w.src.same_run(kinds.ACCESS_RESTRICTION) \
            and not w.facts.recorded(kinds.ACCESS_RESTRICTION):
        now.append(f"restricting your access to {w.platforms(own)};")
    false = [p for p in w.posts if p.live and ("defamatory" in p.concerns or (
        "allegation" in p.concerns and any(a.inaccurate for a in _individuals(p))))]
    if false and not w.src.same_run(kinds.LEGAL_REFERRAL) \
            and not w.facts.recorded(kinds.LEGAL_REFERRAL):
        now.append("taking legal advice;")
    police = w.case.police
    if any(p.serious for p in w.objected) and not w.police_involved() and not police:
        now.append("contacting the police;")
    again: list[str] = []  # steps a further post of this kind could lead to
    if not groups and (reported or any(_engages_rules(p) for p in w.objected if p.external)):
        again.append("asking the platform concerned to remove any further post;")
    steps = now + again
    remove = w.removal_posts() or w.whatsapp_posts()
    n = len(remove)
    if remove and now:
        when = (f"If {'the posts are' if n > 1 else 'the post is'} not removed by "
                f"{w.respond_by}, or if you post material like this again")
    else:
        when = "If you post material like this again"
    title = w.src.school.policy.title
    if not steps:
        return (f"{when}, the school will consider what further steps to take under its "
                f"{title}.", [])
    steps[-1] = steps[-1].rstrip(";") + "."
    if len(steps) == 1:  # one step reads as a sentence, not a list of one
        return (f"{when}, the school may take a further step under its {title}: {steps[0]} "
                "I very much hope that this will not be needed."), []
    return f"{when}, the school may take further steps under its {title}. These could include:", \
        steps


def _raising(w: Writer) -> list[str]:
    """The policy's own route for concerns, offered in every letter to the poster: "a private
    and confidential discussion with the School, or using the School's formal complaints
    process". Where meeting in person would not be right (a threat, a bar, the police involved,
    someone's private details published), the poster is asked to write or telephone instead."""
    out = []
    if not w.objected:  # criticism only: the asks already invite the poster to meet me
        return [w.complaints()]
    if w.mild:
        out.append("Your views on the school\u2019s decisions are welcome.")
    if w.keep_distance():
        out.append("If you are unhappy about anything the school has done, please tell me "
                   f"directly rather than online: write to me at the school or telephone the "
                   f"school office on {w.telephone}.")
    else:
        out.append("If you are unhappy about anything the school has done, please tell me "
                   f"directly rather than online. You can telephone the school office on "
                   f"{w.telephone} to arrange to meet me.")
    out.append(f"{w.complaints()} A concern raised in this way can be looked into properly and "
               "answered, which is not possible on social media.")
    return out


# --- access restriction -----------------------------------------------------------------------


def _until(src: LetterSource) -> date:
    """The end of a restriction or bar: the deciding override's `until`, else twelve weeks."""
    chosen = [o.until for o in src.case.overrides
              if o.letter == src.letter.kind and o.action == "include" and o.until]
    return chosen[-1] if chosen else add_days(src.meta.letter_date, DEFAULT_PERIOD_DAYS)


@kinds.ACCESS_RESTRICTION.builds
def _access(ctx: dict[str, Any], src: LetterSource) -> None:
    w = Writer(ctx, src)
    out = _common(w, kinds.ACCESS_RESTRICTION)
    own = [p for p in w.posts if not p.external]
    # The school can restrict access only to its own site: the forum unless a post is on the
    # website (an override may add this letter for posts elsewhere).
    site = w.platforms(own) if own else (src.school.forum_name or "the school\u2019s online forum")
    until = long_date(_until(src))
    start = long_date(src.meta.letter_date)
    out.update({
        "site": site, "start": start, "until": until,
        "opening": [f"I am writing to tell you that I have decided to suspend your account on "
                    f"{site} from {start} until {until}, when I will review it."],
    })
    why = [ENTITLEMENT] if w.entitled() else []
    objections, _ = w.objections(kind=kinds.ACCESS_RESTRICTION)
    out["why"] = why + objections
    out["history_lead"] = "This follows what has happened so far:" if w.history() else ""
    out["history"] = w.history()
    live_own = [p for p in own if p.live and not p.external]
    out["removal"] = [w.own_site_removal(live_own)] if live_own else []
    out["policy_lead"] = f"Our {src.school.policy.title} says:"
    out["policy_quotes"] = [ACCESS]
    usual = (f"by telephone on {w.telephone} or by email to {src.school.email}"
             if w.keep_distance() else f"by telephone on {w.telephone}, by email to "
             f"{src.school.email} or at the school office")
    out["means"] = [f"Until {until} you will not be able to sign in to {site} or post on it. "
                    "This does not change how the school works with you on anything else. If "
                    "you have a concern about the school, please raise it with me directly, "
                    f"{usual}, rather than online."]
    out["review"] = [f"If you would like me to look at this decision again, please write to me "
                     f"at the school or email {src.school.email} by {w.respond_by}, giving your "
                     "reasons. I will reply within ten school days of receiving them.",
                     w.complaints()]
    ctx["restriction"] = out


# --- barring from the premises ----------------------------------------------------------------


@kinds.PREMISES_NOTICE.builds
def _premises(ctx: dict[str, Any], src: LetterSource) -> None:
    w = Writer(ctx, src)
    out = _common(w, kinds.PREMISES_NOTICE)
    day = src.meta.letter_date
    respond_by = w.respond_date or add_working_days(day, 10)
    start = long_date(day)
    out["opening"] = [
        f"I am writing to tell you that, from {start}, you are provisionally barred from "
        f"entering the premises of {src.school.name}, including the playground, the school "
        "gates and the car park. This is a provisional decision. You may tell me why you think "
        "it should not be confirmed, as explained below."]
    objections, _ = w.objections(kind=kinds.PREMISES_NOTICE)
    out["why"] = objections
    # The decision's own reason (overrides.reason) is written for staff and is never quoted to
    # the poster: the letter's reasons are the posts and what the school objects to in them.
    n = len(w.posts)
    threats = [p for p in w.posts if "threat_of_violence" in p.concerns]
    out["reasons"] = [f"The threat{_s(len(threats))} in your post{_s(n)} "
                      f"{'are' if len(threats) > 1 else 'is'} the reason for my decision."
                      if threats else f"What your post{_s(n)} {'say' if n > 1 else 'says'} is "
                      "the reason for my decision."]
    poster = src.case.poster
    firsts = [c.name.split()[0] for c in poster.children]
    close = poster.relationship in ("parent", "carer")
    many = len(firsts) > 1
    if not firsts:
        heading, children = "", []
    elif close:
        heading = f"Bringing and collecting your child{'ren' if many else ''}"
        places = (f"{join([f + chr(8217) + 's' for f in firsts])} places" if many
                  else f"{firsts[0]}\u2019s place")
        welcome = "they are" if many else f"{firsts[0]} is"
        them = "them" if many else firsts[0]
        children = [f"This decision does not affect {places} at the school; {welcome} welcome "
                    f"as always. Please arrange for another adult to bring and collect {them}, "
                    "or contact the school office so that we can agree a handover point outside "
                    "the school grounds."]
    else:
        names = join(firsts)
        heading = f"Bringing and collecting {names}"
        places = (f"{join([f + chr(8217) + 's' for f in firsts])} places" if many
                  else f"{firsts[0]}\u2019s place")
        children = [f"This decision does not affect {places} at the school. If you usually "
                    f"bring or collect {names}, please ask another adult to do so, or contact "
                    "the school office so that we can agree a handover point outside the school "
                    "grounds."]
    out["children_heading"], out["children"] = heading, children
    until = long_date(_until(src))
    decision_by = long_date(add_working_days(respond_by, 5))
    out.update({"start": start, "until": until, "decision_by": decision_by})
    out["view"] = [
        f"If you wish to make representations, please write to me at the school or email "
        f"{src.school.email} by {long_date(respond_by)}. I will consider anything you send "
        f"before deciding whether to confirm the bar. I will write to you with my decision by "
        f"{decision_by}. If I confirm the bar, it will last until {until}, and I will review it "
        "before then.",
        "Any other concern about the school is best raised with me in writing or through the "
        "school office, rather than online.", w.complaints()]
    ctx["premises"] = out

