"""Pupils' names in letters that leave the school: by initials, visibly, and nothing else changed.

The policy: "The school will never reveal the full name of a child online." A letter's context is
built through a `Redactor`. In a letter to a third party (`kind.third_party`: a platform, the
police) it writes each pupil's name, in any of the forms pipeline/case/names.py knows, as the
pupil's initials in square brackets (`[C.S.]`; a form listed in known_as by its own, `[S.]`),
and tells the template where a quote changed (`REDACTION_NOTE`); every other character of the
post stays as posted. It names screenshots by number, not by file name, and withholds a
screenshot of a post that names or is about a pupil unless the case says the filed copy is
redacted. URLs are never altered. For every other letter (the poster, the advisers) it changes
nothing: they quote posts verbatim.

`full_names_in_letter` is the last check before a third-party letter is written: the same
matcher over all the finished package's text (body, headers, footers, notes, properties, image
descriptions), read twice: runs apart and paragraphs whole.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from pipeline.case.model import Case, Person, Post, School
from pipeline.case.names import initials, line_col
from pipeline.case.pupils import PupilNames, case_names
from pipeline.docx.package import read_parts

__all__ = ["REDACTION_NOTE", "Leak", "Redactor", "full_names_in_letter"]

REDACTION_NOTE = "pupils' names replaced by initials in square brackets"


class Redactor:
    """Case text as a letter may print it. Call it on a field; `quote` also says if it changed."""

    def __init__(self, case: Case, school: School | None = None, *, third_party: bool,
                 outgoing: bool | None = None):
        self.third_party = third_party
        # A letter that leaves the school never repeats a member of staff's private details
        # (data minimisation): only the advisers' letter quotes them.
        self.outgoing = third_party if outgoing is None else outgoing
        self.names: PupilNames | None = case_names(case, school) if third_party else None
        numbered = [p.id for p in case.posts if p.evidence]
        self._screenshot_number = {pid: n for n, pid in enumerate(numbered, 1)}

    def __call__(self, text: str) -> str:
        return self.quote(text)[0]

    def quote(self, text: str) -> tuple[str, bool]:
        """(the text as the letter prints it, whether any pupil's name was replaced)."""
        if self.names is None or not text:
            return text, False
        done = self.names.redact(text)
        return done.text, done.changed

    def private(self, text: str, post: Post) -> tuple[str, bool]:
        """`text` with each private detail the case lists for `post` replaced by a note saying
        what was removed, in a letter that leaves the school; (text, whether anything was)."""
        if not self.outgoing or not post.private_details:
            return text, False
        changed = False
        for detail in sorted(post.private_details, key=lambda d: -len(d.text)):
            if detail.text in text:
                whose = f" of {detail.person}" if detail.person else ""
                text = text.replace(detail.text, f"[{detail.kind}{whose} removed from this copy]")
                changed = True
        return text, changed

    def person(self, person: Person, role_words: str) -> str:
        """'Mr A Teacher (member of staff)'; a pupil, in a third-party letter, by initials."""
        if not person.name:
            return role_words
        if self.names is not None and person.role == "pupil":
            return f"[{initials(person.name) or '?'}] ({role_words})"
        return f"{self(person.name)} ({role_words})"

    def withholds(self, post: Post) -> bool:
        """Whether this letter must not carry the post's screenshot (it names or is about a
        pupil and the case does not say the filed copy is redacted)."""
        return (self.names is not None and bool(post.evidence) and not post.evidence_redacted
                and self.names.names_pupil(post))

    def screenshot(self, post: Post) -> str:
        """How the letter names the post's screenshot: its file in letters to the poster and
        the advisers; 'screenshot 2' (a number across the case) in letters to third parties."""
        if not post.evidence:
            return ""
        if self.names is None:
            return post.evidence
        label = f"screenshot {self._screenshot_number[post.id]}"
        if self.withholds(post):
            return f"{label}, held by the school, available on request"
        if post.evidence_redacted:
            return f"{label}, a redacted copy with pupils' names obscured"
        return label


# --- the last check ------------------------------------------------------------------------


@dataclass(frozen=True)
class Leak:
    """A pupil's full name found in a finished letter, and where."""

    found: str
    pupil: str
    variant: str
    part: str  # the package part: word/document.xml, docProps/core.xml, ...
    line: int  # line of that part's text: one paragraph (or one run, or attribute) a line
    context: str

    def __str__(self) -> str:
        return (f"'{self.found}' (the pupil {self.pupil}, written {self.variant}) in {self.part}, "
                f"line {self.line} of its text: \"{self.context}\"")


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_PARAGRAPHS = (f"{_W}p", f"{_A}p")
_TEXTS = frozenset({f"{_W}t", f"{_W}delText", f"{_W}instrText", f"{_A}t",
                    "{http://schemas.openxmlformats.org/officeDocument/2006/math}t"})
_BREAKS = {f"{_W}br": "\n", f"{_W}cr": "\n", f"{_W}tab": "\t", f"{_A}br": "\n",
           f"{_W}noBreakHyphen": "-"}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
# The parts a reader can see text in (body, headers, footers, notes, comments) and the document
# properties; not styles, fonts or the theme, whose names ("Mong", "Macintosh") are the
# template's, not the letter's, and could only ever refuse a letter for nothing.
_TEXT_PARTS = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes|comments\w*"
                         r"|glossary/document)\.xml|docProps/\w+\.xml|customXml/item\d+\.xml")
# Attributes that hold words: an image's description and title, a drawing's name.
_WORD_ATTRIBUTES = frozenset({"descr", "title", "name"})


def _readings(root: etree._Element) -> tuple[str, str]:
    """Two readings of one XML part, one item a line: (each paragraph's runs joined as Word
    shows them: a name Word split across runs is whole; every text node and word attribute on
    its own line: a name ending one run cannot run into the next)."""
    pieces: list[str] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.text and element.text.strip():
            pieces.append(element.text)
        pieces += [value for key, value in element.attrib.items()
                   if etree.QName(key).localname in _WORD_ATTRIBUTES and value.strip()]
    paragraphs = []
    for paragraph in root.iter(*_PARAGRAPHS):
        shown = []
        for element in paragraph.iter():
            if element.tag in _TEXTS and element.text:
                shown.append(element.text)
            elif element.tag in _BREAKS:
                shown.append(_BREAKS[element.tag])
        if shown:
            paragraphs.append("".join(shown).replace("\n", " \u2028 "))
    return "\n".join(paragraphs), "\n".join(p.replace("\n", " ") for p in pieces)


def literal_alternation(words: set[str]) -> re.Pattern | None:
    """A pattern matching any of `words`, the longest where several match at one place, as
    `longest|shorter|...` would, but written as a trie: Python tries each alternative of a
    plain alternation at every place, so blanking the URLs of a letter quoting 20,000 posts
    took over a second a letter; the trie takes one step a character. (Issue 11: linear time
    in posts.)"""
    if not words:
        return None
    root: dict = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    try:
        return re.compile(_trie_pattern(root))
    except (RecursionError, re.error, OverflowError):  # nested too deep: thousands of prefixes
        return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))


def _trie_pattern(node: dict) -> str:
    run = []  # a chain of single letters with no word ending inside is written as it stands
    while len(node) == 1 and "" not in node:
        [(char, node)] = node.items()
        run.append(re.escape(char))
    branches = [re.escape(char) + _trie_pattern(child)
                for char, child in sorted(node.items()) if char]
    if not branches:
        return "".join(run)
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" in node:  # a word ends here: a longer one is tried first (greedy), then this one
        body = f"(?:{body})?"
    return "".join(run) + body


def full_names_in_letter(data: bytes, names: PupilNames, *, urls: Iterable[str] = ()
                         ) -> list[Leak]:
    """Every pupil's full name, in any form, in the text of the .docx `data`: every text node of
    every part with text a reader can see and of the document properties, and the descriptions
    and titles of images.

    `urls` (the posts' web addresses, which letters print unaltered) are blanked out first.
    """
    if not names.pupils:
        return []
    blank = literal_alternation({u for u in urls if u})
    leaks: list[Leak] = []
    seen: set[tuple[str, str]] = set()
    for part, content in (read_parts(data) or {}).items():
        if not _TEXT_PARTS.fullmatch(part):
            continue
        try:
            readings = _readings(etree.fromstring(content, _PARSER))
        except etree.XMLSyntaxError:  # never from our renderer; read it as tags and text
            raw = content.decode("utf-8", "replace")
            readings = (html.unescape(re.sub(r"<[^>]*>", "\n", raw)),)
        for text in readings:
            if blank is not None:
                text = blank.sub(lambda m: "\x00" * len(m.group()), text)
            for hit in names.matcher.full_names(text):
                found = " ".join(hit.found.split())
                if (part, found) in seen:
                    continue
                seen.add((part, found))
                line = line_col(text, hit.start)[0]
                shown = text.split("\n")[line - 1]
                start = max(0, shown.find(hit.found) - 40)
                context = shown[start:start + len(hit.found) + 80].replace("\x00", "")
                leaks.append(Leak(found, hit.pupil.name, hit.variant, part, line,
                                  context.strip()))
    return leaks
