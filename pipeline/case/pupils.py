"""Pupils in a case: who they are, whose names stay as written, and what `check` cannot decide.

Letters to third parties (platforms, police) show a pupil by initials ("the school will never
reveal the full name of a child online"); pipeline/case/names.py finds a name however it was
typed. This module knows the case around it:

- the pupils: the poster's `children` and every `about` entry with role pupil, each with the
  single forms staff listed in `known_as` (the only single names ever replaced);
- the adults whose names are never rewritten, even where they share a word with a pupil's name:
  the poster, everyone else a post is about, the school's signatory, headteacher, chair of
  governors and legal advisers, and the people history and `captured_by` name;
- what `check` reports: an error for a post marked `names_pupil` with no pupil recorded, for
  `known_as` on someone who is not a pupil, and for an id (case or post) holding a pupil's full
  name (ids are printed as they are); a warning for each place a pupil's first name or surname
  stands alone in a field of a post (not listed in known_as, so quoted as written), for a
  listed form found in lower case ('will' for known_as [Will]: it is replaced, and may be the
  ordinary word), and for a URL holding a pupil's name (never altered: the platform and the
  police need it).

Which posts: every post. A police referral may quote any post (an override can add any), so
a post's fields are checked whatever the plan says today.

The matcher is built once per set of pupils and adults (`case_names` caches it), and remembers
what it redacted, so a case with thousands of posts is read once for all its letters.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipeline.case.model import Case, Post, School
from pipeline.case.names import TITLES, NameMatcher, Pupil, Redaction, initials

__all__ = ["NameFinding", "PupilNames", "case_names", "case_pupils", "kept_names",
           "name_findings", "withheld_screenshots"]

# Post fields whose text may reach a platform or the police (url is checked on its own).
POST_FIELDS = ("text", "handle", "captured_by", "report_reference", "platform_name")
PERSON_FIELDS = ("meaning", "inaccurate")  # the notice of complaint quotes these

_MEMO_LIMIT = 20_000  # texts remembered per matcher; a batch of large cases must not grow without end


class PupilNames:
    """One case's matcher (pupils and kept adults), with its redactions remembered."""

    def __init__(self, pupils: Sequence[Pupil], keep: Sequence[str]) -> None:
        self.matcher = NameMatcher(pupils, keep=keep)
        self.pupils = self.matcher.pupils
        self._memo: dict[str, Redaction] = {}

    def redact(self, text: str) -> Redaction:
        """`text` with each pupil's name as bracketed initials (names.NameMatcher.redact)."""
        if not self.pupils or not text:
            return Redaction(text, ())
        done = self._memo.get(text)
        if done is None:
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            done = self._memo[text] = self.matcher.redact(text)
            # What redaction gives back is a fixed point: redacting it again changes nothing.
            self._memo.setdefault(done.text, Redaction(done.text, ()))
        return done

    def names_pupil(self, post: Post) -> bool:
        """Whether a post names or is about a pupil: marked names_pupil, a pupil in `about`, or
        a pupil's name (full, or a form listed in known_as) in its text or account."""
        if "names_pupil" in post.concerns or any(a.role == "pupil" for a in post.about):
            return True
        return any(self.redact(value).changed for value in (post.text, post.handle or ""))


def case_pupils(case: Case) -> tuple[Pupil, ...]:
    """Every pupil the case records, in file order, each with every known_as form listed for
    them anywhere (a child of the poster and the same name in a post's `about` are one pupil)."""
    forms: dict[str, list[str]] = {}
    for child in case.poster.children:
        forms.setdefault(child.name, []).extend(child.known_as)
    for post in case.posts:
        for person in post.about:
            if person.role == "pupil" and person.name:
                forms.setdefault(person.name, []).extend(person.known_as)
    return tuple(Pupil(name, tuple(dict.fromkeys(known))) for name, known in forms.items())


_NAME_WORD = re.compile(r"[^\W\d_][^\W\d_'’\-]*")


def _looks_like_a_name(text: str) -> bool:
    """'Mrs Carter', 'Helen Carter' (a title, or two capitalised words, nothing else); not
    'Headteacher', 'Office Manager and Deputy'. Role words kept by mistake would do no harm,
    but a single word would stop that word, as a pupil's listed form, being replaced."""
    words = text.replace(".", " ").split()
    if len(words) < 2 or len(words) > 5 or not all(_NAME_WORD.fullmatch(w) for w in words):
        return False
    return words[0] in TITLES or all(w[0].isupper() for w in words)


def kept_names(case: Case, school: School | None = None) -> tuple[str, ...]:
    """The adults' names: single name parts and the looser forms of a pupil's name are never
    replaced inside them (names.NameMatcher's `keep`)."""
    names: list[str] = [case.poster.name]
    if case.poster.salutation:
        names.append(case.poster.salutation)
    names += [p.name for post in case.posts for p in post.about if p.role != "pupil" and p.name]
    if school is not None:
        names += [school.signatory.name, school.headteacher, school.legal_advisers.name]
        if school.chair_of_governors:
            names.append(school.chair_of_governors)
    maybe = [s.by for s in case.history if s.by] + [a.by for a in case.actions if a.by]
    maybe += [p.captured_by for p in case.posts if p.captured_by]
    names += [n for n in maybe if _looks_like_a_name(n)]
    # A kept name that is a form staff listed for a pupil would stop that form being replaced.
    listed = {_fold(form) for pupil in case_pupils(case) for form in pupil.known_as}
    return tuple(n for n in dict.fromkeys(names) if _fold(n) not in listed)


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


@functools.lru_cache(maxsize=32)
def _names(pupils: tuple[Pupil, ...], keep: tuple[str, ...]) -> PupilNames:
    return PupilNames(pupils, keep)


def case_names(case: Case, school: School | None = None) -> PupilNames:
    """The case's matcher, built once for its pupils and adults and then reused."""
    return _names(case_pupils(case), kept_names(case, school))


# --- what `check` reports ----------------------------------------------------------------------


@dataclass(frozen=True)
class NameFinding:
    """A problem (or, with `warning`, a question) about pupils' names in one field of a case.

    `path` is into the case data, counted from 0 like pydantic's ("posts", 0, "text");
    `index` is where in that field's text it was found, so the line can be given; `also`, the
    other places the same name stands in that field.
    """

    path: tuple
    message: str
    warning: bool = True
    index: int | None = None
    also: tuple[int, ...] = ()  # the same name's other places in that field


def _part_words(pupil: Pupil, part: str) -> str:
    parts = [p for p in re.split(r"[\s_.\-]+", pupil.name) if p]
    if len(parts) > 1 and part == parts[0]:
        return "first name"
    if len(parts) > 1 and part == parts[-1]:
        return "surname"
    if len(parts) == 1:
        return "name (the case records no other)"
    return "name part"


def _lone_part_findings(names: PupilNames, path: tuple, text: str) -> list[NameFinding]:
    """One warning for each name part standing alone in `text`, with every place it stands
    (a name repeated in one field is one warning listing its lines)."""
    groups: dict[tuple, list] = {}
    for lone in names.matcher.lone_parts(text):
        groups.setdefault((lone.capitalised, lone.part, lone.start), []).append(lone)
    by_form: dict[tuple, list[list]] = {}
    for (capitalised, part, _), same in groups.items():
        pupils = tuple(p.pupil for p in same)
        by_form.setdefault((capitalised, part, pupils), []).append(same)
    found: list[NameFinding] = []
    for (capitalised, part, pupils), places in by_form.items():
        whose = " and ".join(f"the {_part_words(pupil, part)} of the pupil {pupil.name}"
                             for pupil in pupils)
        first = places[0][0]
        also = tuple(place[0].start for place in places[1:])
        if capitalised:
            message = (f"'{first.found}', {whose}, stands alone and is quoted as written to "
                       "platforms and the police; if it means the pupil, add it to their "
                       f"known_as (it then shows as [{initials(part)}])")
        else:  # 'will', 'may', 'mark': most likely the ordinary word
            message = (f"'{first.found}' (lower case) is also {whose} and is quoted as written "
                       "to platforms and the police: probably the ordinary word; if it means the "
                       "pupil, add it to their known_as")
        found.append(NameFinding(path, message, index=first.start, also=also))
    return found


def _lower_case_replacements(names: PupilNames, path: tuple, text: str) -> list[NameFinding]:
    """A listed form written in lower case ('will' for known_as [Will]) is replaced too: one
    warning per form per field, so staff can see an ordinary word would change."""
    groups: dict[tuple, list] = {}
    for hit in names.redact(text).hits:  # remembered: the letters redact the same text
        shown = unicodedata.normalize("NFKC", hit.found)
        if hit.form == "known_as" and not any(ch.isupper() for ch in shown):
            groups.setdefault((hit.pupil, hit.replacement), []).append(hit)
    return [NameFinding(path, (
        f"'{hits[0].found}' (lower case) is replaced by {replacement} in letters to platforms "
        f"and the police, because known_as lists it for the pupil {pupil.name}; if it is an "
        "ordinary word here, take it out of known_as, or the quote will be changed"),
        index=hits[0].start, also=tuple(h.start for h in hits[1:]))
        for (pupil, replacement), hits in groups.items()]


def _url_findings(names: PupilNames, path: tuple, url: str) -> list[NameFinding]:
    hits = [(h.start, h.found, h.pupil.name) for h in names.matcher.find(url)]
    hits += [(p.start, p.found, p.pupil.name) for p in names.matcher.lone_parts(url)]
    return [NameFinding(path, (
        f"contains '{found}', a name of the pupil {pupil}. A URL is never altered (the platform "
        "and the police need it to find the post), so letters to them show it as it is; if the "
        "address itself names the pupil, tell them so separately"), index=start)
        for start, found, pupil in sorted(hits)]


def _recorded(names: PupilNames, post: Post) -> bool:
    if any(a.role == "pupil" and a.name for a in post.about):
        return True
    return any(names.redact(v).changed for v in (post.text, post.handle or ""))


def name_findings(case: Case, school: School | None = None) -> list[NameFinding]:
    """What `check` says about pupils' names in `case`, in file order."""
    names = case_names(case, school)
    found: list[NameFinding] = []
    for hit in names.matcher.full_names(case.case_id):
        found.append(NameFinding(("case_id",), (
            f"holds '{hit.found}', the full name of the pupil {hit.pupil.name}; the case id is "
            "printed in every letter and names every file, so use the school's own reference "
            "(e.g. BPS-2026-014)"), warning=False))
    for child_i, child in enumerate(case.poster.children):
        found += _listed_form_findings(child.known_as, ("poster", "children", child_i))
    for i, post in enumerate(case.posts):
        base = ("posts", i)
        for hit in names.matcher.full_names(post.id or ""):
            found.append(NameFinding(base + ("id",), (
                f"holds '{hit.found}', the full name of the pupil {hit.pupil.name}; post ids "
                "are printed as they are in letters to platforms and the police: use P1, P2, "
                "..."), warning=False))
        if "names_pupil" in post.concerns and not _recorded(names, post):
            found.append(NameFinding(base + ("concerns",), (
                "the post is marked names_pupil, but no pupil is recorded for it, so letters to "
                "platforms and the police could not show the pupil by initials: add the pupil "
                "to the post's about (- {role: pupil, name: ..., known_as: [...]})"),
                warning=False))
        for j, person in enumerate(post.about):
            where = base + ("about", j)
            if person.known_as and person.role != "pupil":
                found.append(NameFinding(where + ("known_as",), (
                    f"is only for pupils (this person's role is {person.role}): the forms "
                    "listed are replaced by initials in letters to platforms and the police"),
                    warning=False))
            elif person.known_as and not person.name:
                found.append(NameFinding(where + ("known_as",), (
                    "needs the pupil's name beside it (name: ...): the full name is what "
                    "letters to platforms and the police must never show"), warning=False))
            elif person.known_as:
                found += _listed_form_findings(person.known_as, where)
            for name in PERSON_FIELDS:
                value = getattr(person, name)
                if value:
                    found += _lone_part_findings(names, where + (name,), value)
        for name in POST_FIELDS:
            value = getattr(post, name)
            if value:
                found += _lone_part_findings(names, base + (name,), value)
                found += _lower_case_replacements(names, base + (name,), value)
        if post.url:
            found += _url_findings(names, base + ("url",), post.url)
    return found


def _listed_form_findings(forms: Iterable[str], where: tuple) -> list[NameFinding]:
    return [NameFinding(where + ("known_as", k), (
        f"'{form}' has no two letters together, so it is not used: a single letter would "
        "replace that letter everywhere. List a name, e.g. known_as: [Sam]"))
        for k, form in enumerate(forms)
        if not any(sum(ch.isalnum() for ch in word) > 1 for word in re.split(r"[\s_.\-]+", form))]


# --- what the plan says about screenshots ---------------------------------------------------


def withheld_screenshots(case: Case, letters: Iterable, school: School | None = None) -> list[str]:
    """Plan notes: each screenshot a letter to a third party will not carry, and why.

    `letters`: the plan's PlannedLetters (each with `.spec.third_party` and `.posts`). A screenshot
    of a post that names or is about a pupil goes to a platform or the police only when the case
    says the filed copy is redacted (`evidence_redacted: true`); otherwise the letter lists it as
    held by the school, available on request.
    """
    outside = [letter for letter in letters if letter.spec.third_party]
    if not outside:
        return []
    names = case_names(case, school)
    notes = []
    for post in case.posts:
        if not post.evidence or post.evidence_redacted or not names.names_pupil(post):
            continue
        titles = list(dict.fromkeys(l.spec.title for l in outside if post.id in l.posts))
        if not titles:
            continue
        notes.append(
            f"The screenshot of {post.id} ({post.evidence}) is not attached to the "
            f"{' or the '.join(titles)}: the post names or is about a pupil, and the case does "
            "not say the filed screenshot has pupils' names redacted. The letter lists it as "
            "held by the school, available on request. To send it, file a copy with pupils' "
            f"names blacked out and add evidence_redacted: true to {post.id}.")
    return notes
