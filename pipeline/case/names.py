"""Pupils' names in letter text: one matcher for the redactor, the check and the last guard.

Letters to third parties (platforms, police) show pupils by initials only (UK GDPR data
minimisation). `NameMatcher` finds a pupil's name however it was typed and maps every match back
to the exact characters of the original text, so `redact` rewrites those characters and nothing
else: the quoted posts are evidence and every other character stays byte-identical.

How text is compared. Each character is folded on its own to a *skeleton*: NFKD, case-folded,
NFKD again, combining marks (category M) dropped, so `Zoë`, `Zoe\u0308`, `ZOË`, `𝐙𝐨𝐞`, `Ｚｏｅ` and
`Zoe` are equal (a skeleton match includes every NFKC match). Format characters (category Cf:
soft hyphen, zero-width, bidi controls) and Hangul fillers vanish; every whitespace character (and
the braille blank) is a space, line breaks a line break; dashes (category Pd, minus) are `-`;
`’ ‘ ‛ ʼ ′ ´ ` ʹ ʻ ＇` are `'`; a few Latin letters with no decomposition fold too
(ł→l, ø→o, đ→d, ı→i, æ→ae, œ→oe, þ→th).
A recorded name is split into parts at separators (whitespace, `_`, `.`, `-`); an apostrophe inside
a part is optional (`O'Brien`, `O’Brien`, `OBrien`).

Full names (form "full"). A pupil recorded with two or more parts is matched as:
- in order, first and last part required, any middle part optional: "Oliver-James McKenzie" also
  as "Oliver McKenzie" and "Oliver James McKenzie" (the privacy promise: first + last identifies);
- surname first: "Smith, Chloe", "SMITH Chloe", "McKenzie, Oliver-James", "de la Cruz, Anna";
  only a comma and/or spaces between surname and given name, the given name must begin with a
  capital, and an all-capitals match needs the comma ("SMITH, CHLOE", but not "DUTTON WILL PAY");
- a known_as form followed by the surname ("Sam Jones" for "Samuel Jones" known as Sam).
Between parts: one separator run - spaces and line breaks, or `_ . -` without spaces - or nothing
at all ("ChloeSmith"). A `.` or `-` next to a space is punctuation, not part of a name ("you
will. Dutton family", "Mark - Lee's mum"). A word edge is the text's edge, a non-letter (digits,
`#`, `@`, `'`, brackets...) or a lower-to-upper case change ("ForChloe", "SmithNext"). Boundaries:
- a match with a separator inside needs a word edge on both sides: "Joann Lee" and "Ann Leeds"
  are not "Ann Lee"; `#Chloe_Smith`, `@chloe.smith99` are found;
- a run-together match (no separator: `chloesmith`) needs a word edge on one side, or to sit in a
  token holding `#`, `@` or `/` (hashtag, handle, URL): `justiceforchloesmith`,
  `JusticeForChloeSmithNow` and `#justiceforchloesmithnow` are found, `joannleeds` is not.
The price of privacy first: run-together letters carry no word boundaries, so a word that happens
to spell two name parts ("Edward" for a pupil "Ed Ward") is matched (list such an adult in `keep`),
and a case change counts as an edge, so "LeAnn Lee" holds "Ann Lee".
Callers joining text (runs of a .docx) join paragraphs with a line break, never with nothing.
A pupil recorded with one part ("Will"), or only with single letters ("A B"), has no full-name
form: the part is handled like any other single part.

Single parts (form "known_as"). A first name or surname alone is replaced only when staff list it
in the pupil's `known_as`, as a whole word, by the form's own initials (`Sam` -> `[S.]`). Never
inside a kept adult name, nor in a titled name: a capitalised Mr/Mrs/Ms/Miss/Dr/Mx (with or without
a dot), the word after it and up to two more capitalised words ("Mrs Leanne Haddad"). A listed form
of single letters only is ignored ("J" would rewrite every "j").

Lone parts (check warnings). A pupil's first name, surname, middle name or run of parts short of
the full name, as a whole word in any case, outside every hit, not listed in known_as, not in a
kept name nor a titled name; one report per pupil the part belongs to.

Adults (`keep`) and titles. The pupil's complete name written in order with separators is a
pupil's name wherever it appears. Every other full-name form (middle names dropped, surname first,
known_as + surname, run together) never applies inside a kept name, nor starting at the word right
after a title ("Mr Oliver McKenzie", the father of "Oliver-James McKenzie").

Not handled: look-alike letters from other scripts (Cyrillic "С" for Latin "C": folding scripts
into each other would rewrite genuine words in those scripts), letters spaced out or punctuated
one by one ("C h l o e"), digits or symbols for letters ("Chl0e"), small capitals and upside-down
text (no Unicode decomposition), a name split by an emoji or other symbol.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["TITLES", "Hit", "LonePart", "NameMatcher", "Pupil", "Redaction", "initials", "line_col"]

TITLES = ("Mr", "Mrs", "Ms", "Miss", "Dr", "Mx")


# --- the data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pupil:
    """A pupil as the case records them, with the single forms staff listed as meaning them."""

    name: str
    known_as: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        known = self.known_as
        if isinstance(known, str):  # known_as="Sam" means one form, not three letters
            known = (known,)
        object.__setattr__(self, "known_as", tuple(known))


@dataclass(frozen=True)
class Hit:
    """A pupil's name in a text: `text[start:end] == found`, exactly as in the original."""

    start: int
    end: int
    pupil: Pupil
    form: str  # "full" or "known_as"
    found: str
    variant: str = ""  # how it was written: "in order", "surname first", "... run together"

    @property
    def replacement(self) -> str:
        """What `redact` writes instead: the pupil's initials, or the listed form's, in brackets."""
        source = self.pupil.name if self.form == "full" else self._form_text
        return f"[{initials(source) or '?'}]"

    @property
    def _form_text(self) -> str:
        key = _key(self.found)
        for form in self.pupil.known_as:
            if _key(form) == key:
                return form
        return self.found


@dataclass(frozen=True)
class Redaction:
    text: str
    hits: tuple[Hit, ...]

    @property
    def changed(self) -> bool:
        return bool(self.hits)


@dataclass(frozen=True)
class LonePart:
    """A pupil's name part standing alone, not listed in known_as: left as written, worth a warning.

    `part` is the part (or run of parts, "James McKenzie") as recorded; `capitalised` says whether
    the text wrote it with a capital, as names are written ("Will") rather than as a word ("will").
    """

    start: int
    end: int
    pupil: Pupil
    part: str
    found: str
    capitalised: bool


def initials(name: str) -> str:
    """'Chloe Smith' -> 'C.S.'; 'Oliver-James McKenzie' -> 'O.J.M.' (every hyphen or space part);
    "Liam O'Brien" -> 'L.O.'; 'Zoë Bélanger' -> 'Z.B.'; fancy or fullwidth letters -> plain.

    One capital per part, parts split at whitespace, `_`, `.`, dashes; a part's first letter or
    digit counts, so quotes and brackets are skipped; '' when nothing in `name` is a letter or digit.
    """
    if not isinstance(name, str):
        raise TypeError(f"a name is text, not {type(name).__name__}")
    text = "".join(c for c in unicodedata.normalize("NFKC", name) if unicodedata.category(c) != "Cf")
    out = []
    for word in re.split(r"[\s_.\-\u2010-\u2015\u2212]+", text):
        for ch in word:
            if ch.isalnum():
                upper = ch.upper()
                out.append((upper if len(upper) == 1 else ch) + ".")
                break
    return "".join(out)


def line_col(text: str, index: int) -> tuple[int, int]:
    """1-based (line, column) of `text[index]`, for messages naming where a name was found."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


# --- folding -------------------------------------------------------------------------------------

_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_APOSTROPHES = frozenset("'\u2018\u2019\u201b\u02bc\u2032\u0060\u00b4\u02b9\u02bb\uff07")
_DOTS = frozenset("\u00b7\u2027\u30fb")
_IGNORED = frozenset("\u115f\u1160\u3164\uffa0")  # Hangul fillers: blank "letters"
_BLANKS = frozenset("\u2800")  # braille blank looks like a space
_LETTER_FOLDS = {"ł": "l", "ø": "o", "đ": "d", "ı": "i", "ħ": "h", "ŧ": "t", "æ": "ae", "œ": "oe",
                 "þ": "th", "ð": "d"}


def _special(ch: str) -> str | None:
    if ch in _LINE_BREAKS:
        return "\n"
    if ch.isspace() or ch in _BLANKS:
        return " "
    if ch in _APOSTROPHES:
        return "'"
    cat = unicodedata.category(ch)
    if cat == "Cf" or cat[0] == "M" or ch in _IGNORED:
        return ""
    if cat == "Pd" or ch == "\u2212":
        return "-"
    if ch in _DOTS:
        return "."
    return None


def _fold_uncached(c: str) -> str:
    special = _special(c)
    if special is not None:
        return special
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", c).casefold())
    out = []
    for ch in decomposed:
        special = _special(ch)
        out.append(_LETTER_FOLDS.get(ch, ch) if special is None else special)
    return "".join(out)


_FOLD: dict[str, tuple[str, bool, bool]] = {}


def _fold(c: str) -> tuple[str, bool, bool]:
    """(skeleton, was upper case, was lower case) of one character."""
    got = _FOLD.get(c)
    if got is None:
        got = _FOLD[c] = (_fold_uncached(c), c.isupper(), c.islower())
    return got


def _skeleton(text: str) -> str:
    return "".join(_fold(c)[0] for c in text)


def _key(text: str) -> str:
    """How two written forms are compared: skeleton, separator runs as one space, no apostrophes."""
    return " ".join(p for p in re.split(r"[ \n_.\-]+", _skeleton(text).replace("'", "")) if p)


class _CaseOf:
    """Whether the character at an index is upper (or lower) case: a list of booleans, looked up
    only where asked."""

    __slots__ = ("text", "chars")

    def __init__(self, text: str, chars: frozenset[str]) -> None:
        self.text, self.chars = text, chars

    def __getitem__(self, index: int | slice) -> bool | list[bool]:
        if isinstance(index, slice):
            return [c in self.chars for c in self.text[index]]
        return self.text[index] in self.chars

    def __len__(self) -> int:
        return len(self.text)


class _View:
    """The folded text with, for each folded character, the original index and case it came from."""

    __slots__ = ("text", "norm", "src", "up", "low")

    def __init__(self, text: str) -> None:
        folds = {c: _fold(c) for c in set(text)}
        if all(len(folded) == 1 for folded, _, _ in folds.values()):
            # Every character folds to one (so positions agree): the folding is a translation
            # table, done in C. A letter quoting 20,000 posts is read here several times, and
            # the loop below took seconds for it. (Issue 11: linear time in posts.)
            self.text = text
            self.norm = text.translate({ord(c): f for c, (f, _, _) in folds.items() if f != c})
            self.src = range(len(text))
            self.up = _CaseOf(text, frozenset(c for c, (_, up, _) in folds.items() if up))
            self.low = _CaseOf(text, frozenset(c for c, (_, _, low) in folds.items() if low))
            return
        chunks: list[str] = []
        src: list[int] = []
        up: list[bool] = []
        low: list[bool] = []
        for i, c in enumerate(text):
            folded, is_up, is_low = _fold(c)
            if not folded:
                continue
            chunks.append(folded)
            n = len(folded)
            if n == 1:
                src.append(i)
                up.append(is_up)
                low.append(is_low)
            else:
                src.extend([i] * n)
                up.extend([is_up] * n)
                low.extend([is_low] * n)
        self.text = text
        self.norm = "".join(chunks)
        self.src = src
        self.up = up
        self.low = low

    def span(self, a: int, b: int) -> tuple[int, int]:
        """The original characters behind norm[a:b], with combining marks trailing the last one."""
        start = self.src[a]
        end = self.src[b - 1] + 1
        text = self.text
        j = end
        while j < len(text) and not _fold(text[j])[0]:
            if unicodedata.category(text[j])[0] == "M":
                end = j + 1
            j += 1
        return start, end

    def edge_left(self, a: int) -> bool:
        return a == 0 or not self.norm[a - 1].isalpha()

    def edge_right(self, b: int) -> bool:
        return b == len(self.norm) or not self.norm[b].isalpha()

    def camel(self, p: int) -> bool:
        """A lower-to-upper case change in the original at folded position p ('ForChloe')."""
        return 0 < p < len(self.norm) and self.up[p] and self.low[p - 1]

    def tag_like(self, a: int, b: int) -> bool:
        """Whether norm[a:b] sits in a whitespace-delimited token holding '#', '@' or '/'."""
        norm = self.norm
        start = max(norm.rfind(" ", 0, a), norm.rfind("\n", 0, a)) + 1
        ends = [e for e in (norm.find(" ", b), norm.find("\n", b)) if e >= 0]
        token = norm[start:min(ends) if ends else len(norm)]
        return "#" in token or "@" in token or "/" in token


@functools.lru_cache(maxsize=256)
def _short_view(text: str) -> _View:
    return _View(text)


def _view(text: str) -> _View:
    """The folded view of `text`; a short text's is kept for the next call (`check` reads each
    field of a post four or five times over), a view being never changed once made."""
    return _short_view(text) if len(text) <= 4096 else _View(text)


# --- patterns (over folded text) -----------------------------------------------------------------

_SEP = r"(?:[ \n]+|[_.\-]+)"  # one separator run: spaces/line breaks, or _ . - without spaces
_SEP_OPT = _SEP + "?"
_SF_SEP = r"(?: *, *| +)"  # surname first: comma and/or spaces, on one line
_NOT_LETTER_BEFORE = r"(?<![^\W\d_])"
_NOT_LETTER_AFTER = r"(?![^\W\d_])"
_SEP_CHARS = frozenset(" \n_.-")
_TITLE_KEYS = frozenset(t.lower() for t in TITLES)
_TITLE = re.compile(r"(?<![^\W_])(?:mrs|miss|mr|ms|dr|mx)(?:\.[ ]*|[ ]+)(?=[^\W\d_])")
_WORD = re.compile(r"[^\W\d_]+(?:['\-][^\W\d_]+)*")


def _parts(name: str) -> list[tuple[str, str]]:
    """(folded, as recorded) for each part of a name; parts without a letter or digit dropped."""
    view = _View(name)
    out = []
    for m in re.finditer(r"[^ \n_.\-]+", view.norm):
        folded = m.group().strip("'")
        if sum(ch.isalnum() for ch in folded) == 0:
            continue
        start, end = view.span(*m.span())
        out.append((folded, name[start:end]))
    return out


def _long(part: str) -> bool:
    """Whether a folded part has two letters or digits: only such parts can't be initials."""
    return sum(ch.isalnum() for ch in part) > 1


def _part_re(part: str) -> str:
    return "".join("'?" if ch == "'" else re.escape(ch) for ch in part)


@dataclass
class _Pattern:
    regex: re.Pattern[str]
    pupil: Pupil
    form: str  # "full" / "known_as"
    variant: str
    surname_first: bool = False
    may_be_complete: bool = False  # in-order with every part: complete when all middles matched


@dataclass
class _Cand:
    a: int
    b: int
    pupil: Pupil
    form: str
    variant: str
    tight: bool
    left: bool
    right: bool
    tag: bool  # a run-together match inside a hashtag, handle or URL
    blocked: bool
    rank: int  # on equal spans a full-name hit wins over a known_as one


# --- the matcher ---------------------------------------------------------------------------------


class NameMatcher:
    """Finds pupils' names in text, however typed, and redacts them to initials.

    `keep`: adults' names (staff, the poster, parents), e.g. "Mrs Leanne Dutton": single-part
    replacements and the looser full-name forms never land inside them. Build once per case; the
    patterns are compiled here.
    """

    def __init__(self, pupils: Iterable[Pupil | str], *, keep: Iterable[str] = ()) -> None:
        self.pupils: tuple[Pupil, ...] = tuple(
            dict.fromkeys(p if isinstance(p, Pupil) else Pupil(p) for p in pupils))
        if isinstance(keep, str):
            keep = (keep,)
        self.keep: tuple[str, ...] = tuple(keep)
        self._full: list[_Pattern] = []
        self._known: list[_Pattern] = []
        self._lone: list[tuple[Pupil, re.Pattern[str], dict[str, str], frozenset[str]]] = []
        for pupil in self.pupils:
            self._compile_pupil(pupil)
        self._keep: list[re.Pattern[str]] = []
        titles = "(?:" + "|".join(sorted(_TITLE_KEYS, key=len, reverse=True)) + r")(?:\.[ ]*|[ ]+)"
        for name in self.keep:
            parts = [p for p, _ in _parts(name)]
            while parts and parts[0] in _TITLE_KEYS and len(parts) > 1:
                parts = parts[1:]
            if not parts:
                continue
            body = _part_re(parts[0])
            body += "".join(f"(?:{_SEP_OPT}{_part_re(m)})?" for m in parts[1:-1])
            if len(parts) > 1:
                body += _SEP_OPT + _part_re(parts[-1])
            self._keep.append(re.compile(
                f"{_NOT_LETTER_BEFORE}(?:{titles})?{body}{_NOT_LETTER_AFTER}"))

    def _compile_pupil(self, pupil: Pupil) -> None:
        parts = _parts(pupil.name)
        folded = [p for p, _ in parts]
        res = [_part_re(p) for p in folded]
        n = len(folded)
        known_keys: set[str] = set()
        for form in pupil.known_as:
            form_parts = [p for p, _ in _parts(form)]
            if not any(_long(p) for p in form_parts):
                continue
            known_keys.add(_key(form))
            body = _SEP_OPT.join(_part_re(p) for p in form_parts)
            self._known.append(_Pattern(re.compile(body), pupil, "known_as", "known_as"))
            if n >= 2 and len(form_parts) == 1 and form_parts[0] not in (folded[0], folded[-1]) \
                    and _long(folded[-1]):
                self._full.append(_Pattern(
                    re.compile(body + _SEP_OPT + res[-1]), pupil, "full", "known_as + surname"))
        # A form made of single letters only would match the initials it is replaced by ("[A.B.]"):
        # where the required parts are all single letters, the others become required too.
        if n >= 2 and any(_long(p) for p in folded):
            optional = "?" if _long(folded[0]) or _long(folded[-1]) else ""
            middles = "".join(f"({_SEP_OPT}{m}){optional}" for m in res[1:-1])
            self._full.append(_Pattern(re.compile(res[0] + middles + _SEP_OPT + res[-1]), pupil,
                                       "full", "in order", may_be_complete=True))
            for k in range(1, n):
                optional = "?" if any(_long(p) for p in [*folded[k:], folded[0]]) else ""
                if not optional and not any(_long(p) for p in folded[:k]):
                    continue
                surname = _SEP_OPT.join(res[k:])
                given = f"(?P<given>{res[0]})" + "".join(
                    f"(?:{_SEP_OPT}{g}{_NOT_LETTER_AFTER}){optional}" for g in res[1:k])
                self._full.append(_Pattern(
                    re.compile(f"{surname}(?P<sep>{_SF_SEP}){given}"), pupil, "full",
                    "surname first", surname_first=True))
        # Lone parts: every run of consecutive parts but the whole name, longest first.
        runs: dict[str, str] = {}
        run_res: dict[str, str] = {}
        for i in range(n):
            for j in range(i + 1, n + 1):
                if (i, j) == (0, n) and n > 1:
                    continue
                run = folded[i:j]
                if not any(_long(p) for p in run):
                    continue
                key = _key(" ".join(run))
                runs.setdefault(key, " ".join(raw for _, raw in parts[i:j]))
                run_res.setdefault(key, _SEP_OPT.join(res[i:j]))
        if runs:
            body = "|".join(run_res[k] for k in sorted(run_res, key=len, reverse=True))
            self._lone.append((pupil, re.compile(f"{_NOT_LETTER_BEFORE}(?:{body}){_NOT_LETTER_AFTER}"),
                               runs, frozenset(known_keys)))

    # --- public ---------------------------------------------------------------------------------

    def find(self, text: str) -> list[Hit]:
        """Every pupil name to redact: non-overlapping, left to right, longest match first."""
        if not self.pupils or not text:
            return []
        view = _view(text)
        return self._hits(view, self._candidates(view, *self._protected(view), known=True))

    def full_names(self, text: str) -> list[Hit]:
        """Only full-name hits: the last check before a third-party letter is written."""
        if not self._full or not text:
            return []
        view = _view(text)
        return self._hits(view, self._candidates(view, *self._protected(view), known=False))

    def redact(self, text: str) -> Redaction:
        """`text` with every hit replaced by bracketed initials; all else byte-identical."""
        hits = self.find(text)
        if not hits:
            return Redaction(text, ())
        out = []
        last = 0
        for hit in hits:
            out.append(text[last:hit.start])
            out.append(hit.replacement)
            last = hit.end
        out.append(text[last:])
        return Redaction("".join(out), tuple(hits))

    def lone_parts(self, text: str) -> list[LonePart]:
        """A pupil's name part (or run of parts short of a full name) standing alone, as a whole
        word, not covered by a hit, not listed in the pupil's known_as, not in a kept adult name
        and not in a titled name. Any case; `capitalised` tells names from ordinary words."""
        if not self._lone or not text:
            return []
        view = _view(text)
        kept, titled, after_title = self._protected(view)
        hits = self._select(self._candidates(view, kept, titled, after_title, known=True))
        taken = _Spans((c.a, c.b) for c in hits)
        out = []
        for pupil, regex, runs, known in self._lone:
            for m in regex.finditer(view.norm):
                a, b = m.span()
                key = _key(m.group())
                if key in known or taken.overlap(a, b) or kept.overlap(a, b) or titled.overlap(a, b):
                    continue
                start, end = view.span(a, b)
                out.append(LonePart(start, end, pupil, runs.get(key, m.group()), text[start:end],
                                    view.up[a]))
        out.sort(key=lambda p: (p.start, -p.end))
        return out

    # --- internals ------------------------------------------------------------------------------

    def _protected(self, view: _View) -> tuple[_Spans, _Spans, set[int]]:
        """(kept adult names, titled names, where the word after a title starts), folded."""
        norm = view.norm
        kept = _Spans(m.span() for regex in self._keep for m in regex.finditer(norm))
        titled = []
        after_title = set()
        for m in _TITLE.finditer(norm):
            if not view.up[m.start()]:  # "I miss Sam" is not a title
                continue
            word = _WORD.match(norm, m.end())
            if not word:
                continue
            end = word.end()
            for _ in range(2):
                if end + 1 < len(norm) and norm[end] == " " and view.up[end + 1]:
                    nxt = _WORD.match(norm, end + 1)
                    if nxt:
                        end = nxt.end()
                        continue
                break
            titled.append((m.start(), end))
            after_title.add(m.end())
        return kept, _Spans(titled), after_title

    def _candidates(self, view: _View, kept: _Spans, titled: _Spans, after_title: set[int], *,
                    known: bool) -> list[_Cand]:
        norm = view.norm
        cands: list[_Cand] = []
        seen: set[tuple[int, int, Pupil, str]] = set()
        for pat in self._full:
            pos = 0
            while True:
                m = pat.regex.search(norm, pos)
                if m is None:
                    break
                a, b = m.span()
                pos = a + 1
                if a == b or (a, b, pat.pupil, "full") in seen:
                    continue
                found = norm[a:b]
                tight = not any(ch in _SEP_CHARS for ch in found)
                variant = pat.variant
                complete = False
                if pat.may_be_complete:
                    complete = all(g is not None for g in m.groups())
                    if not complete:
                        variant = "in order, middle names dropped"
                if pat.surname_first:
                    given = m.start("given")
                    if not view.up[given]:
                        continue
                    if "," not in m.group("sep") and not any(view.low[a:b]):
                        continue
                if tight:
                    variant += ", run together"
                blocked = False
                if not (complete and not tight):
                    blocked = a in after_title or kept.overlap(a, b)
                seen.add((a, b, pat.pupil, "full"))
                cands.append(_Cand(a, b, pat.pupil, "full", variant, tight,
                                   view.edge_left(a) or view.camel(a), view.edge_right(b) or view.camel(b),
                                   tight and view.tag_like(a, b), blocked, 0))
        if known:
            for pat in self._known:  # whole words: a non-letter (no case change) on both sides
                pos = 0
                while (m := pat.regex.search(norm, pos)) is not None:
                    a, b = m.span()
                    pos = a + 1
                    if (a, b, pat.pupil, "known_as") in seen:
                        continue
                    seen.add((a, b, pat.pupil, "known_as"))
                    blocked = kept.overlap(a, b) or titled.overlap(a, b)
                    cands.append(_Cand(a, b, pat.pupil, "known_as", "known_as", False,
                                       view.edge_left(a), view.edge_right(b), False, blocked, 1))
        return cands

    @staticmethod
    def _select(cands: list[_Cand]) -> list[_Cand]:
        """Greedy, left to right, longest first; repeated while a chosen hit gives a neighbour
        the word edge it lacked (after redaction its neighbour is a bracket), so the redacted text
        holds no name the same matcher would find: redacting twice changes nothing more."""
        live = [c for c in cands if not c.blocked]
        chosen: list[_Cand] = []
        starts: list[int] = []
        edges: set[int] = set()
        while live:
            added = []
            ok = [c for c in live if _accepted(c, edges)]
            ok.sort(key=lambda c: (c.a, c.a - c.b, c.rank))
            for c in ok:
                i = bisect.bisect_right(starts, c.a)
                if (i > 0 and chosen[i - 1].b > c.a) or (i < len(starts) and starts[i] < c.b):
                    continue
                starts.insert(i, c.a)
                chosen.insert(i, c)
                added.append(c)
            if not added:
                break
            done = {id(c) for c in added}
            live = [c for c in live if id(c) not in done]
            edges.update(x for c in added for x in (c.a, c.b))
        return chosen

    def _hits(self, view: _View, cands: list[_Cand]) -> list[Hit]:
        hits = []
        for c in self._select(cands):
            start, end = view.span(c.a, c.b)
            hits.append(Hit(start, end, c.pupil, c.form, view.text[start:end], c.variant))
        return hits


def _accepted(c: _Cand, edges: set[int]) -> bool:
    left = c.left or c.a in edges
    right = c.right or c.b in edges
    if c.tight:
        return left or right or c.tag
    return left and right


class _Spans:
    """Folded spans merged into disjoint sorted intervals, asked whether [a, b) overlaps one."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        merged: list[list[int]] = []
        for a, b in sorted(spans):
            if merged and a < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        self.starts = [a for a, _ in merged]
        self.ends = [b for _, b in merged]

    def overlap(self, a: int, b: int) -> bool:
        i = bisect.bisect_left(self.starts, b)
        return i > 0 and self.ends[i - 1] > a
