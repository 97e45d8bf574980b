"""Strict, sandboxed docxtpl rendering: compile each template once, render many letters.

A template is read once: its parts are kept as bytes, the parts that hold text (document, headers,
footers, notes) are cleaned by docxtpl's own `patch_xml` (which mends tags that Word split across
runs) and compiled by a Jinja `SandboxedEnvironment` with `StrictUndefined` and autoescape on.
Rendering a letter is then one Jinja call per text part, docxtpl's line-break handling, a
well-formedness check, and a deterministic zip: entries in the template's order with a fixed
timestamp, each name written once (a template saved by LibreOffice and docxtpl can carry
`docProps/core.xml` twice), and document properties set from the letter, not the clock. The same
inputs therefore give the same bytes on every run.

Case data is only ever a value in the context: it is escaped into the XML and never compiled,
so `{{ school.name }}` typed into a post is printed as typed.
"""

from __future__ import annotations

import contextvars
import hashlib
import html
import io
import re
import struct
import traceback
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from lxml import etree
from markupsafe import Markup

from pipeline.errors import TemplateProblem

TEXT_PART = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml")
CORE_PART = "docProps/core.xml"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# docxtpl's helpers are plain text transformations; they need no loaded document.
_DOCXTPL = DocxTemplate.__new__(DocxTemplate)


def make_environment() -> SandboxedEnvironment:
    """The one Jinja environment letters are rendered with: sandboxed, strict, escaping."""
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True,
                               keep_trailing_newline=True)
    return env


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


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
STYLES_PART = "word/styles.xml"
# Word 2010's copy of the styles with its text effects; Word keeps the two lists alike.
STYLE_PARTS = (STYLES_PART, "word/stylesWithEffects.xml")
# Where a part names a style (by its id): paragraphs, runs, tables, numbering, settings.
_STYLE_REFERENCE = re.compile(
    rb"<w:(?:pStyle|rStyle|tblStyle|numStyleLink|styleLink|clickAndTypeStyle|defaultTableStyle)"
    rb"\b[^>]*?\bw:val=\"([^\"]*)\"")


def prune_styles(parts: dict[str, bytes], part: str = STYLES_PART) -> bytes | None:
    """The styles part without the styles nothing in the document uses, or None to keep it as is.

    Templates begun from Word's or python-docx's blank document carry 150-odd styles (most of them
    table designs) that a letter never uses, and LibreOffice spends about half of its time on each
    letter reading them when it makes the PDF copy. Kept: every style a part names, the styles
    those are based on, linked to or followed by, and each kind's default. Word's gallery of
    built-in styles is unaffected: it comes from Word itself and the latent-style list, kept whole.
    `part` is word/styles.xml or Word 2010's word/stylesWithEffects.xml, pruned alike.

    Nothing is pruned when a part could name a style this cannot read: a style name made by a
    template tag (`w:val="Heading{{ n }}"`), or WordprocessingML written with another prefix.
    """
    root = parse_styles(parts.get(part))
    if root is None:
        return None
    wanted = [sid for sid, style in _styles(root).items()
              if style.get(f"{{{W_NS}}}default") in ("1", "true", "on")]
    for name, content in parts.items():
        if name.endswith(".xml") and not name.rsplit("/", 1)[-1].startswith("styles"):
            if _OTHER_W_PREFIX.search(content):
                return None
            named = [ref.decode("utf-8", "replace") for ref in _STYLE_REFERENCE.findall(content)]
            if any("{" in ref or "%" in ref for ref in named):
                return None
            wanted.extend(named)
    return restrict_styles(root, _with_their_bases(_styles(root), wanted))


def restrict_styles(root: etree._Element, keep: set[str]) -> bytes | None:
    """The styles part `root` with only the styles in `keep`, or None if that is all of them."""
    unused = [style for sid, style in _styles(root).items() if sid not in keep]
    if not unused:
        return None
    for style in unused:
        root.remove(style)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def style_ids(data: bytes | None) -> set[str] | None:
    """The ids of the styles a styles part defines (None if it is missing or not XML)."""
    root = parse_styles(data)
    return None if root is None else set(_styles(root))


# A part that binds the WordprocessingML namespace to any prefix but w:, or as the default.
_OTHER_W_PREFIX = re.compile(rb'xmlns(?::(?!w=)[\w.-]+)?="' + re.escape(W_NS.encode()) + rb'"')


def parse_styles(data: bytes | None) -> etree._Element | None:
    """A styles part parsed (None if it is missing or not XML)."""
    if data is None:
        return None
    try:
        return etree.fromstring(data)
    except etree.XMLSyntaxError:
        return None  # left for Word or LibreOffice to judge, as before


def _styles(root: etree._Element) -> dict[str, etree._Element]:
    return {style.get(f"{{{W_NS}}}styleId"): style for style in root.findall(f"{{{W_NS}}}style")}


def _with_their_bases(styles: dict[str, etree._Element], wanted: list[str]) -> set[str]:
    keep: set[str] = set()
    while wanted:
        sid = wanted.pop()
        if sid in keep or sid not in styles:
            continue
        keep.add(sid)
        for tag in ("basedOn", "link", "next"):
            linked = styles[sid].find(f"{{{W_NS}}}{tag}")
            if linked is not None and linked.get(f"{{{W_NS}}}val"):
                wanted.append(linked.get(f"{{{W_NS}}}val"))
    return keep


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
    def load(cls, path: Path | str, env: SandboxedEnvironment | None = None) -> CompiledTemplate:
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
        token = _current_registry.set(registry)
        try:
            rendered = self._render_parts(context, kind)
        finally:
            _current_registry.reset(token)
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
        for name, template in self.compiled.items():
            try:
                xml = template.render(context)
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
            xml = _DOCXTPL.resolve_listing(xml)
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


# --- document properties and the package -----------------------------------------------------

_CORE_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
    'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/'
    'dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/'
    'XMLSchema-instance"><dc:title>{title}</dc:title><dc:subject>{subject}</dc:subject>'
    '<dc:creator>{author}</dc:creator><cp:keywords>{keywords}</cp:keywords>'
    '<cp:lastModifiedBy>{author}</cp:lastModifiedBy><cp:revision>1</cp:revision>'
    '<dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created>'
    '<dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified>'
    '</cp:coreProperties>')


@dataclass(frozen=True)
class DocumentProperties:
    """Title, author and dates of a letter, from the letter itself rather than the clock."""

    title: str
    subject: str
    author: str
    keywords: str
    letter_date: date

    def core_xml(self) -> bytes:
        def esc(s):
            return str(Markup.escape(_xml_safe(s)))
        return _CORE_XML.format(title=esc(self.title), subject=esc(self.subject),
                                author=esc(self.author), keywords=esc(self.keywords),
                                when=f"{self.letter_date.isoformat()}T00:00:00Z").encode("utf-8")


def _xml_safe(text: str) -> str:
    return re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", "", text)


@dataclass(frozen=True)
class PackedEntry:
    """One zip member, compressed once: a template's unchanged parts are packed at load."""

    name: bytes
    crc: int
    size: int
    compressed: bytes

    @classmethod
    def pack(cls, name: str, data: bytes) -> PackedEntry:
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        return cls(name.encode("utf-8"), zlib.crc32(data), len(data),
                   compressor.compress(data) + compressor.flush())


_DOS_TIME, _DOS_DATE = 0, (ZIP_TIME[0] - 1980) << 9 | ZIP_TIME[1] << 5 | ZIP_TIME[2]


def write_entries(entries: list[PackedEntry]) -> bytes:
    """A zip of already-compressed entries, every byte fixed by the entries themselves.

    Written by hand rather than through zipfile so that parts compressed when a template is
    loaded are reused for every letter (compression is most of the cost of a letter), and so
    the bytes depend on nothing but the content: fixed timestamps, no extra fields.
    """
    out = bytearray()
    central = bytearray()
    seen: set[bytes] = set()
    count = 0
    for entry in entries:
        if entry.name in seen:  # one part of each name, whatever the template carried
            continue
        seen.add(entry.name)
        count += 1
        offset = len(out)
        flags = 0x800 if not entry.name.isascii() else 0
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, 8, _DOS_TIME, _DOS_DATE,
                           entry.crc, len(entry.compressed), entry.size, len(entry.name), 0)
        out += entry.name
        out += entry.compressed
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, 8, _DOS_TIME,
                               _DOS_DATE, entry.crc, len(entry.compressed), entry.size,
                               len(entry.name), 0, 0, 0, 0, 0, offset)
        central += entry.name
    start = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), start, 0)
    return bytes(out)


def write_package(parts: list[tuple[str, bytes]]) -> bytes:
    """A zip (.docx) whose bytes depend only on the parts: fixed times, order and attributes."""
    return write_entries([PackedEntry.pack(name, data) for name, data in parts])


# --- evidence images --------------------------------------------------------------------------


class ImageRegistry:
    """Collects the images a rendering places, to add them to the package afterwards."""

    def __init__(self) -> None:
        self.images: list[tuple[str, str, bytes]] = []  # (rId, part name, bytes)

    def add(self, data: bytes, extension: str) -> tuple[str, int]:
        number = len(self.images) + 1
        rid = f"rIdEvidence{number}"
        self.images.append((rid, f"word/media/evidence{number}.{extension}", data))
        return rid, number

    def add_to(self, parts: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
        if not self.images:
            return parts
        out = []
        for name, data in parts:
            if name == "[Content_Types].xml":
                data = _with_image_types(data, {p.rsplit(".", 1)[1] for _, p, _ in self.images})
            elif name == "word/_rels/document.xml.rels":
                rels = "".join(
                    f'<Relationship Id="{rid}" Type="http://schemas.openxmlformats.org/'
                    f'officeDocument/2006/relationships/image" Target="{p[len("word/"):]}"/>'
                    for rid, p, _ in self.images)
                data = data.replace(b"</Relationships>", rels.encode() + b"</Relationships>")
            out.append((name, data))
        out += [(p, data) for _, p, data in self.images]
        return out


def _with_image_types(data: bytes, extensions: set[str]) -> bytes:
    text = data.decode("utf-8")
    for ext in sorted(extensions):
        if f'Extension="{ext}"' not in text.replace("'", '"'):
            mime = {"png": "image/png", "jpeg": "image/jpeg"}[ext]
            text = text.replace("</Types>",
                                f'<Default Extension="{ext}" ContentType="{mime}"/></Types>')
    return text.encode("utf-8")


# The registry of the rendering under way, so an image placed by `{{ row.image }}` can add itself
# to the package without templates having to pass anything along.
_current_registry: contextvars.ContextVar[ImageRegistry | None] = contextvars.ContextVar(
    "image_registry", default=None)

EMU_PER_CM = 360_000
MAX_WIDTH_CM = 15.0
MAX_HEIGHT_CM = 18.0


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels of a PNG or JPEG, read from its header."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            length = int.from_bytes(data[i + 2:i + 4], "big")
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD,
                          0xCE, 0xCF):
                return (int.from_bytes(data[i + 7:i + 9], "big"),
                        int.from_bytes(data[i + 5:i + 7], "big"))
            i += 2 + length
    raise ValueError("not a PNG or JPEG image, or its header is damaged")


class EvidenceImage:
    """A screenshot placed in a letter, scaled to fit the page width (and a page's height)."""

    def __init__(self, data: bytes, description: str):
        self.data = data
        self.description = description
        self.extension = "png" if data.startswith(b"\x89PNG") else "jpeg"
        width, height = image_size(data)
        if not width or not height:
            raise ValueError("the image has no size")
        scale = min(MAX_WIDTH_CM / (width / 96 * 2.54), MAX_HEIGHT_CM / (height / 96 * 2.54), 1.0)
        self.cx = int(width / 96 * 2.54 * scale * EMU_PER_CM)
        self.cy = int(height / 96 * 2.54 * scale * EMU_PER_CM)

    def __str__(self) -> str:
        return f"[screenshot: {self.description}]"

    def __html__(self) -> str:
        registry = _current_registry.get()
        if registry is None:  # rendered outside a letter (e.g. `templates fields`)
            return str(Markup.escape(str(self)))
        rid, number = registry.add(self.data, self.extension)
        descr = Markup.escape(self.description)
        ns_a = "http://schemas.openxmlformats.org/drawingml/2006/main"
        ns_pic = "http://schemas.openxmlformats.org/drawingml/2006/picture"
        ns_wp = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
        ns_r = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        return (
            '</w:t></w:r><w:r><w:drawing>'
            f'<wp:inline xmlns:wp="{ns_wp}" distT="0" distB="0" distL="0" distR="0">'
            f'<wp:extent cx="{self.cx}" cy="{self.cy}"/>'
            f'<wp:docPr id="{4000 + number}" name="Evidence {number}" descr="{descr}"/>'
            f'<wp:cNvGraphicFramePr><a:graphicFrameLocks xmlns:a="{ns_a}" noChangeAspect="1"/>'
            f'</wp:cNvGraphicFramePr><a:graphic xmlns:a="{ns_a}">'
            f'<a:graphicData uri="{ns_pic}"><pic:pic xmlns:pic="{ns_pic}">'
            f'<pic:nvPicPr><pic:cNvPr id="{4000 + number}" name="evidence{number}.'
            f'{self.extension}"/><pic:cNvPicPr/></pic:nvPicPr>'
            f'<pic:blipFill><a:blip xmlns:r="{ns_r}" r:embed="{rid}"/><a:stretch><a:fillRect/>'
            '</a:stretch></pic:blipFill><pic:spPr><a:xfrm><a:off x="0" y="0"/>'
            f'<a:ext cx="{self.cx}" cy="{self.cy}"/></a:xfrm><a:prstGeom prst="rect">'
            '<a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic>'
            '</wp:inline></w:drawing></w:r><w:r><w:t xml:space="preserve">')


def without_unused_styles(parts: dict[str, bytes]) -> dict[str, bytes]:
    """`parts` with each styles part pruned (see prune_styles)."""
    pruned = {part: prune_styles(parts, part) for part in STYLE_PARTS}
    return {name: pruned.get(name) or data for name, data in parts.items()}


def read_parts(data: bytes) -> dict[str, bytes] | None:
    """The parts of a .docx by name (a name written twice: the last wins), or None if it is not
    a readable zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return {info.filename: zf.read(info) for info in zf.infolist()}
    except (zipfile.BadZipFile, OSError, KeyError, EOFError, zlib.error):
        return None


def same_but_for_unused_styles(old: bytes, new: bytes) -> bool:
    """Whether the .docx `old` is `new` but for styles `new` leaves out (see prune_styles):
    every other part byte for byte, and each styles part the old one cut down to new's styles."""
    old_parts, new_parts = read_parts(old), read_parts(new)
    if old_parts is None or new_parts is None or old_parts.keys() != new_parts.keys():
        return False
    for name, content in new_parts.items():
        if old_parts[name] == content:
            continue
        keep = style_ids(content) if name in STYLE_PARTS else None
        root = parse_styles(old_parts[name]) if keep is not None else None
        if root is None or restrict_styles(root, keep) != content:
            return False
    return True


def repack(docx_bytes: bytes, properties: DocumentProperties) -> bytes:
    """A .docx made by other code (python-docx) re-packed with our fixed times and properties,
    and without the styles it does not use."""
    parts = read_parts(docx_bytes)
    if parts is None:
        raise ValueError("not a Word package")
    parts = without_unused_styles(parts)
    parts[CORE_PART] = properties.core_xml()
    return write_package(list(parts.items()))
