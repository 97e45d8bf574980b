"""Strict, sandboxed docxtpl rendering: compile each template once, render many letters.

A template is read once: its parts are kept as bytes (styles nothing uses left out, see
docx/package.py), the parts that hold text (document, headers,
footers, notes) are cleaned by docxtpl's own `patch_xml` (which mends tags that Word split across
runs) and compiled by docx/limits.py's `LimitedEnvironment`: Jinja's immutable sandbox with
`StrictUndefined` and autoescape on, refusing any operation that would break a limit. Rendering a
letter is then one Jinja call per text part, all under one `Allowance` (the letter's time, output
and work limits, LETTER_LIMITS), docxtpl's line-break handling, a well-formedness check, and a
deterministic zip (docx/package.py) with document properties set from the letter, not the clock.
A template that breaks a limit is a TemplateProblem naming the template, the part and the limit.

Case data is only ever a value in the context: it is escaped into the XML and never compiled,
so `{{ school.name }}` typed into a post is printed as typed.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import traceback
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import Environment, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SecurityError
from lxml import etree

from pipeline.docx.images import ImageRegistry, current_registry
from pipeline.docx.limits import (
    Allowance,
    LimitedEnvironment,
    LimitExceeded,
    Limits,
    render_limited,
)
from pipeline.docx.package import (
    CORE_PART,
    DocumentProperties,
    PackedEntry,
    without_unused_styles,
    write_entries,
)
from pipeline.errors import TemplateProblem

TEXT_PART = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml")
# docxtpl's helpers are plain text transformations; they need no loaded document.
_DOCXTPL = DocxTemplate.__new__(DocxTemplate)


# What rendering one letter may cost (docx/limits.py explains each figure). `letters templates
# check` renders under the same limits, so a template it passes cannot hang a batch.
LETTER_LIMITS = Limits()


def make_environment(limits: Limits | None = None) -> LimitedEnvironment:
    """The one Jinja environment letters are rendered with: sandboxed (immutable), strict,
    escaping, and refusing any operation that would break `limits` (default LETTER_LIMITS)."""
    return LimitedEnvironment(limits or LETTER_LIMITS, keep_trailing_newline=True)


def _over_limit(where: str, exc: LimitExceeded) -> TemplateProblem:
    return TemplateProblem(f"{where}: the template asks for more than a letter may use "
                           f"({exc.limit} limit): it {exc.message}")


def paragraph_text(xml_line: str) -> str:
    """What a reader sees of one paragraph of WordprocessingML (tags stripped)."""
    return re.sub(r"<[^>]+>", "", xml_line).strip()


_PARAGRAPH = re.compile(r"<w:p(?: [^>]*)?>.*?</w:p>", re.DOTALL)
_SECTION_BREAK = re.compile(r"<w:sectPr[ >].*?</w:sectPr>", re.DOTALL)
_TAG_BODY = re.compile(r"(?<=\{[\{%])(.*?)(?=[\}%]\})", re.DOTALL)


def _keep_section_breaks(xml: str) -> str:
    """Move a section break out of a `{%p ...%}` paragraph into an empty paragraph of its own.

    docxtpl replaces a `{%p %}` paragraph by its tag, so a section break stored in it (Word and
    LibreOffice keep one in the last paragraph of a section) would vanish, and with it a change
    of page orientation. LibreOffice does this when it merges an empty paragraph on saving.
    """
    def move(match: re.Match) -> str:
        paragraph = match.group(0)
        if "<w:sectPr" not in paragraph or not re.search(
                r"\{%-?\s*(p|tr)\s", paragraph_text(paragraph)):
            return paragraph
        breaks = _SECTION_BREAK.findall(paragraph)
        return _SECTION_BREAK.sub("", paragraph) + "".join(
            f"<w:p><w:pPr>{b}</w:pPr></w:p>" for b in breaks)

    return _PARAGRAPH.sub(move, xml) if "<w:sectPr" in xml else xml


def _unescape_tags(xml: str) -> str:
    """Inside `{{ }}` and `{% %}`, XML escapes are what the person typed: `'`, `"`, `&`.

    Word writes a quote mark as itself, LibreOffice as `&apos;`; either way the tag must reach
    Jinja as typed. (Tag text is Jinja source, never case data, so nothing is lost.)
    """
    return _TAG_BODY.sub(lambda m: html.unescape(m.group(0)), xml)


def _prepare(xml: str) -> str:
    xml = _keep_section_breaks(xml)
    xml = _DOCXTPL.patch_xml(xml)
    xml = _unescape_tags(xml)
    # docxtpl marks only runs holding a tag as space-preserving; a template's own text needs it
    # too once a value with leading spaces lands beside it.
    xml = xml.replace("<w:t>", '<w:t xml:space="preserve">')
    # docxtpl's escapes for a literal '{{' in a template. Resolved here, in the template, because
    # docxtpl resolves them in the rendered output, where they would also change case data.
    for escaped, literal in (("{_{", "{{"), ("}_}", "}}"), ("{_%", "{%"), ("%_}", "%}")):
        xml = xml.replace(escaped, f"{{{{ {literal!r} }}}}")
    # One paragraph a line, so a Jinja line number points at a paragraph.
    return re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)


@dataclass
class CompiledTemplate:
    """A letter template read, patched and compiled once, ready to render many letters."""

    path: Path
    name: str
    sha256: str
    parts: list[tuple[str, bytes]]
    sources: dict[str, str] = field(repr=False)
    compiled: dict[str, Any] = field(repr=False)
    part_bytes: dict[str, bytes] = field(repr=False, default_factory=dict)
    packed: dict[str, PackedEntry] = field(repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.part_bytes = dict(self.parts)
        # The parts no letter changes, compressed once for every letter made from this template.
        self.packed = {name: PackedEntry.pack(name, data) for name, data in self.parts
                       if name not in self.compiled and name != CORE_PART}

    @classmethod
    def load(cls, path: Path | str, env: Environment | None = None) -> CompiledTemplate:
        path = Path(path)
        env = env or make_environment()
        if not path.is_file():
            raise TemplateProblem(f"{path}: template not found (expected a Word .docx file at "
                                  "this path)")
        raw = path.read_bytes()
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as zf:
                # A name may appear twice; like every zip reader, the last one wins.
                by_name = {info.filename: zf.read(info) for info in zf.infolist()}
        except (zipfile.BadZipFile, OSError, KeyError) as exc:
            raise TemplateProblem(f"{path}: not a Word document that can be opened ({exc}); "
                                  "save it again from Word as .docx") from None
        if "word/document.xml" not in by_name:
            raise TemplateProblem(f"{path}: not a Word document (no word/document.xml); "
                                  "save it again from Word as .docx")
        by_name = without_unused_styles(by_name)
        sources, compiled = {}, {}
        for name, data in by_name.items():
            if TEXT_PART.fullmatch(name):
                source = _prepare(data.decode("utf-8"))
                sources[name] = source
                try:
                    compiled[name] = env.from_string(source)
                except LimitExceeded as exc:
                    raise _over_limit(f"{path.name}: {_part_label(name)}", exc) from None
                except TemplateSyntaxError as exc:
                    line = _unclosed_block_line(source) if "end of template" in (
                        exc.message or "") else exc.lineno
                    raise TemplateProblem(
                        f"{path.name}: {_part_label(name)}: template error: {exc.message}; near "
                        f"the paragraph: {_paragraph_near(source, line)!r}") from None
        return cls(path=path, name=path.name, sha256=hashlib.sha256(raw).hexdigest(),
                   parts=list(by_name.items()), sources=sources, compiled=compiled)

    def render(self, context: dict, properties: DocumentProperties, kind: str = "") -> bytes:
        """The letter as .docx bytes; TemplateProblem names the part and paragraph on failure."""
        registry = ImageRegistry()
        token = current_registry.set(registry)
        try:
            rendered = self._render_parts(context, kind)
        finally:
            current_registry.reset(token)
        rendered[CORE_PART] = properties.core_xml()
        parts = [(name, rendered.get(name, data)) for name, data in self.parts]
        if CORE_PART not in dict(self.parts):
            parts.append((CORE_PART, rendered[CORE_PART]))
        parts = registry.add_to(parts)
        return write_entries([
            self.packed[name] if name in self.packed and data is self.part_bytes[name]
            else PackedEntry.pack(name, data) for name, data in parts])

    def _render_parts(self, context: dict, kind: str) -> dict[str, bytes]:
        rendered: dict[str, bytes] = {}
        # One allowance for all the letter's parts, made after its context was built: the
        # limits are the letter's, not each part's.
        env = next((t.environment for t in self.compiled.values()), None)
        limited = isinstance(env, LimitedEnvironment)
        allowance = Allowance(env.limits) if limited else None
        for name, template in self.compiled.items():
            try:
                if limited:
                    xml = render_limited(template, context, limits=allowance.limits,
                                         allowance=allowance)
                else:
                    xml = template.render(context)
            except LimitExceeded as exc:
                raise _over_limit(f"{self.name} ({kind or 'letter'}): {_part_label(name)}, "
                                  f"near the paragraph "
                                  f"{_paragraph_near(self.sources[name], _lineno(exc))!r}",
                                  exc) from None
            except SecurityError as exc:
                raise TemplateProblem(
                    f"{self.name} ({kind or 'letter'}): {_part_label(name)}: the template tried "
                    f"something templates may not do ({exc}); "
                    f"near the paragraph: {_paragraph_near(self.sources[name], _lineno(exc))!r}"
                ) from None
            except UndefinedError as exc:
                raise TemplateProblem(
                    f"{self.name} ({kind or 'letter'}): {_part_label(name)}: {_undefined(exc)}; "
                    f"near the paragraph: {_paragraph_near(self.sources[name], _lineno(exc))!r}. "
                    "Run 'letters templates fields' for the fields each letter provides."
                ) from None
            except TemplateError as exc:
                raise TemplateProblem(
                    f"{self.name} ({kind or 'letter'}): {_part_label(name)}: {exc}; near the "
                    f"paragraph: {_paragraph_near(self.sources[name], _lineno(exc))!r}") from None
            except (TypeError, ValueError, AttributeError, KeyError, IndexError,
                    OverflowError, RecursionError, ZeroDivisionError) as exc:
                raise TemplateProblem(
                    f"{self.name} ({kind or 'letter'}): {_part_label(name)}: {exc}; near the "
                    f"paragraph: {_paragraph_near(self.sources[name], _lineno(exc))!r}") from None
            xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
            xml = _resolve_listing(xml)
            data = xml.encode("utf-8")
            try:
                etree.fromstring(data)
            except etree.XMLSyntaxError as exc:
                raise TemplateProblem(
                    f"{self.name} ({kind or 'letter'}): {_part_label(name)}: the rendered letter "
                    f"would be a corrupt Word file ({exc}); check the tags around tables and "
                    "{%p ...%} paragraphs") from None
            rendered[name] = data
        return rendered


_LISTING_CHARS = re.compile("[\t\a\n\f]")


def _resolve_listing(xml: str) -> str:
    """docxtpl's `resolve_listing` (tabs, line and page breaks in values become Word's), run
    only on the paragraphs that hold such a character: it leaves every other paragraph as it
    was, and running its four regular expressions over each of them made a letter quoting
    20,000 posts take seconds. The paragraphs are found by docxtpl's own pattern, so the result
    is the same, byte for byte."""
    if not _LISTING_CHARS.search(xml):
        return xml
    return _PARAGRAPH.sub(lambda m: _DOCXTPL.resolve_listing(m.group(0))
                          if _LISTING_CHARS.search(m.group(0)) else m.group(0), xml)


def _part_label(name: str) -> str:
    stem = name.rsplit("/", 1)[-1].removesuffix(".xml")
    return {"document": "body"}.get(re.sub(r"\d+$", "", stem), re.sub(r"\d+$", "", stem))


_BLOCK_TAG = re.compile(r"\{%-?\s*(\w+)")
_OPENERS = {"if", "for", "with", "macro", "call", "filter", "block", "set_block"}


def _unclosed_block_line(source: str) -> int | None:
    """The line of the innermost block tag never closed (Jinja reports the end of the text)."""
    stack: list[tuple[str, int]] = []
    for number, line in enumerate(source.splitlines(), 1):
        for match in _BLOCK_TAG.finditer(line):
            word = match.group(1)
            if word in _OPENERS:
                stack.append((word, number))
            elif word.startswith("end") and stack and stack[-1][0] == word[3:]:
                stack.pop()
    return stack[-1][1] if stack else None


def _lineno(exc: BaseException) -> int | None:
    if getattr(exc, "lineno", None):
        return exc.lineno
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == "<template>":
            return frame.lineno
    return None


def _paragraph_near(source: str, lineno: int | None) -> str:
    if not lineno:
        return ""
    lines = source.splitlines()
    for offset in (0, -1, 1, -2, 2):
        i = lineno - 1 + offset
        if 0 <= i < len(lines):
            text = paragraph_text(lines[i])
            if text:
                return text[:160]
    return ""


def _undefined(exc: UndefinedError) -> str:
    match = re.search(r"'([^']+)' is undefined", str(exc))
    if match:
        return f"uses the field '{match.group(1)}', which this letter does not provide"
    match = re.search(r"has no attribute '([^']+)'", str(exc))
    if match:
        return f"uses '.{match.group(1)}', which this letter does not provide ({exc})"
    return str(exc)
