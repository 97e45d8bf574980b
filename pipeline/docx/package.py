"""A .docx package: its parts, its document properties, and the unused styles it leaves out.

A letter's zip is written by hand rather than through zipfile so that parts compressed when a
template is loaded are reused for every letter (compression is most of the cost of a letter), and
so its bytes depend on nothing but the content: fixed timestamps, no extra fields, each part name
once. The same inputs therefore give the same bytes on every run.
"""

from __future__ import annotations

import html
import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date

from lxml import etree
from markupsafe import Markup

CORE_PART = "docProps/core.xml"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

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


def repack(docx_bytes: bytes, properties: DocumentProperties) -> bytes:
    """A .docx made by other code (python-docx) re-packed with our fixed times and properties,
    and without the styles it does not use."""
    parts = read_parts(docx_bytes)
    if parts is None:
        raise ValueError("not a Word package")
    parts = without_unused_styles(parts)
    parts[CORE_PART] = properties.core_xml()
    return write_package(list(parts.items()))


_TEXT_RUN = re.compile(rb"<w:t(?: [^>]*)?>([^<]*)</w:t>|</w:p>|<w:br/>|<w:tab/>")


def text_of(data: bytes, *, sep: str = "") -> str:
    """Every piece of text in a .docx's word/ parts, as a reader would find it.

    Runs inside a paragraph are joined with `sep` (Word splits a word across runs, so "" finds
    a name cut in two; " " finds a name that ends one run and touches the next); paragraphs,
    line breaks and tabs become line breaks.
    """
    parts = read_parts(data) or {}
    pieces: list[str] = []
    for name, content in parts.items():
        if not (name.startswith("word/") and name.endswith(".xml")):
            continue
        for match in _TEXT_RUN.finditer(content):
            run = match.group(1)
            pieces.append(html.unescape(run.decode("utf-8", "replace")) + sep if run is not None
                          else "\n")
    return "".join(pieces)
