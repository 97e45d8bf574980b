"""The record kept of a case: the register of letters, the chronology and the advisers' bundle.

Everything here reads the manifests the archive wrote and the case files they name; nothing here
changes the archive. The register and the bundle are made only from an archive that
`letters verify` passes (for the bundle: the journal and the case's folder), and refuse otherwise
with verify's own lines.

Every CSV written here has its cells neutralised as OWASP advises for "CSV injection": a cell
that begins with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so Excel
shows a post's `=HYPERLINK(...)` as text instead of running it. The text is otherwise as it was.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import yaml
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.image.exceptions import InvalidImageStreamError, UnrecognizedImageError
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docxtpl import DocxTemplate
from jinja2 import TemplateError
from lxml import etree

from pipeline import kinds
from pipeline.archive.journal import JOURNAL
from pipeline.archive.manifest import MANIFEST, LetterEntry, Manifest, SignedEntry
from pipeline.archive.store import case_folder, replace_atomically, sha256_bytes
from pipeline.archive.verify import damaged_archive, verify
from pipeline.case.load import LoadedCase, case_files_in, evidence_path, validate_case
from pipeline.case.model import Case, Post, School
from pipeline.dates import long_date, real_today, uk_time
from pipeline.docx.images import image_size
from pipeline.docx.package import DocumentProperties, repack, write_package
from pipeline.docx.template import make_environment
from pipeline.errors import ArchiveError, InvalidInput, PipelineError, TemplateProblem
from pipeline.kinds import Recipient
from pipeline.letter import story
from pipeline.letter.parts import school_fields
from pipeline.letter.to_advisers import (
    NONE,
    RELATIONSHIP_WORDS,
    Account,
    Event,
    LetterRecord,
    actor,
    chronology_name,
    evidence_member,
    log_names,
    moment,
    record_name,
    unbroken,
)
from pipeline.platforms import platform_info
from pipeline.policy import Facts, sent_step
from pipeline.shipped import shipped_templates, templates_dir

# --- register ---------------------------------------------------------------------------------


@dataclass
class RegisterRow:
    """One letter (its newest version) as the register lists it."""

    reference: str
    case_id: str
    kind: str  # the letter in plain words: "warning letter", "request to the platform"
    recipient: str
    drafted: str  # ISO dates, or "" where there is none
    sent: str
    method: str
    respond_by: str
    status: str  # draft, sent, answered, overdue; or why the case file cannot be read
    posts: str
    version: int
    files: str

    HEADERS = ("reference", "case", "kind", "recipient", "drafted on", "sent on", "sent by",
               "respond by", "status", "posts", "version", "files")

    def values(self) -> list[str]:
        return [self.reference, self.case_id, self.kind, self.recipient, self.drafted,
                self.sent, self.method, self.respond_by, self.status, self.posts,
                str(self.version), self.files]

    @property
    def chase(self) -> bool:
        """Whether the office has something to do about it: send it, or chase the reply."""
        return self.status in ("draft", "overdue")


ANSWERED = ("agreed", "refused", "removed", "continued")


def _progress(case: Case | str, entry: LetterEntry, today: date
              ) -> tuple[str, str, str, str]:
    """(sent on, how, respond by, status) of an archived letter, from its case's history."""
    respond_by = entry.respond_by or ""
    if isinstance(case, str):  # why the case could not be read
        return "", "", respond_by, case
    step = sent_step(case.history, reference=entry.reference, kind=entry.kind,
                     letter_date=date.fromisoformat(entry.letter_date), posts=entry.posts)
    if step is None:
        return "", "", respond_by, "draft"
    state = next(s for s in Facts(case, today).steps if s.step is step)
    if state.due:
        respond_by = state.due.isoformat()
    if step.outcome in ANSWERED:
        status = "answered"
    elif state.overdue or step.outcome == "no_response":
        status = "overdue"
    else:
        status = "sent"
    return step.date.isoformat(), step.method or "", respond_by, status


class _CaseFinder:
    """A case file by its case id: at the path the manifest recorded or, when that is gone or now
    holds another case (the folders were moved, the file renamed), the one .yaml file with that
    case id in the folders named. Never a guess: a file with problems, or two files with one
    case id, is reported instead."""

    def __init__(self, folders: Sequence[Path], *, today: date | None = None):
        self.today = today
        self.folders = folders
        self.read: dict[Path, Case | None] = {}
        self.by_id: dict[str, list[Path]] | None = None

    def find(self, case_id: str, recorded: str) -> Case | str:
        """The case, or why it cannot be read (shown in the register's last column)."""
        if recorded and Path(recorded).exists():
            case = self._read(Path(recorded))
            if case is None:
                return f"case file has problems: run letters check {recorded}"
            if case.case_id == case_id:
                return case
        if self.by_id is None:
            self.by_id = {}
            for path in (p for folder in self.folders if folder.is_dir()
                         for p in case_files_in(folder)):
                found = self._read(path)
                if found is not None:
                    self.by_id.setdefault(found.case_id, []).append(path)
        paths = self.by_id.get(case_id, [])
        if len(paths) > 1:
            return (f"case file not found: {len(paths)} files have case_id {case_id} "
                    f"({', '.join(p.name for p in paths)}); keep one")
        return (self.read[paths[0]] if paths else None) or "case file not found"

    def _read(self, path: Path) -> Case | None:
        if path not in self.read:
            try:
                self.read[path] = validate_case(path, today=self.today).case
            except (InvalidInput, PipelineError, OSError):
                self.read[path] = None
        return self.read[path]


def register(out_dir: Path, case_folders: Sequence[Path] = (), *,
             today: date | None = None) -> list[RegisterRow]:
    """One row per letter (its latest version) across every case under `out_dir`, with when
    and how it was sent, the date a reply is due, and where it stands on `today`.

    Each case's history is read from the case file the manifest recorded or, failing that, from
    the file with that case id in one of `case_folders`.
    """
    if not out_dir.is_dir():
        return []
    report = verify(out_dir)
    if not report.ok:
        raise damaged_archive(report, "register", out_dir)
    today = today or real_today()
    finder = _CaseFinder(case_folders, today=today)
    rows: list[RegisterRow] = []
    for manifest_path in sorted(out_dir.glob("*/manifest.json")):
        folder = manifest_path.parent
        manifest = Manifest.read(folder, folder.name)
        copies: dict[tuple[str, int], list[str]] = {}
        for extra in manifest.entries:
            if not isinstance(extra, LetterEntry) and hasattr(extra, "version"):
                [(_, name)] = extra.files.items()
                copies.setdefault((extra.reference, extra.version), []).append(name)
        latest: dict[str, LetterEntry] = {}
        for entry in manifest.letters():
            latest[entry.reference] = entry
        for entry in latest.values():
            case = finder.find(folder.name, entry.case_file)
            sent, method, respond_by, status = _progress(case, entry, today)
            rows.append(RegisterRow(
                reference=entry.reference, case_id=folder.name,
                kind=kinds.get(entry.kind).step_words, recipient=entry.recipient,
                drafted=entry.letter_date, sent=sent, method=method, respond_by=respond_by,
                status=status, posts=" ".join(entry.posts), version=entry.version,
                files=" ".join([entry.docx, *copies.get((entry.reference, entry.version), [])])))
    rows.sort(key=lambda r: (r.drafted, r.reference))
    return rows


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutral_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: a leading ' before =, +, -, @, tab or CR."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_text(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """The one way this program writes a CSV: every cell neutralised (see the module docstring)."""
    buffer = io.StringIO()
    # Rows end in CRLF, as RFC 4180 and Excel have it; Python's csv quotes a cell holding a
    # character of the line ending, so this way a lone CR in a post is quoted too.
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutral_cell(v) for v in header])
    writer.writerows([neutral_cell(v) for v in row] for row in rows)
    return buffer.getvalue()


def register_csv(rows: list[RegisterRow]) -> str:
    return csv_text(RegisterRow.HEADERS, [row.values() for row in rows])


def write_register_csv(rows: list[RegisterRow], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_atomically(path, register_csv(rows).encode("utf-8-sig"))  # BOM: Excel reads UTF-8


# --- the advisers' documents, in the letters' house style ----------------------------------------
#
# The chronology and the evidence log are made on the legal referral's own template: its styles,
# its letterhead and its footer (the advisers' marking, "Page N of M"), with the body replaced.
# The header and footer are filled in the same sandbox as the letters; the body is written with
# python-docx, so case text is never read as a template.

MARKING = Recipient.ADVISERS.marking
_DOCXTPL = DocxTemplate.__new__(DocxTemplate)  # docxtpl's text helpers need no document
ZWSP = "\u200b"
MONO = "Courier New"
# The evidence log (letter-spec 11.2): its columns and their widths in cm (26.7 cm: A4 landscape
# with 1.5 cm margins). The post's words get the room.
EVIDENCE_COLUMNS = ("Post", "Posted", "Platform and account", "Full web address",
                    "Content as posted", "Captured by and when", "Screenshot and SHA-256",
                    "Status", "Report and crime refs")
LOG_WIDTHS_CM = (1.1, 2.2, 2.8, 4.0, 7.4, 2.4, 3.4, 1.6, 1.8)
CHRONOLOGY_COLUMNS = ("Date", "Time", "What happened", "Reference")
CHRONOLOGY_WIDTHS_CM = (2.6, 1.2, 9.4, 2.8)  # 16 cm: A4 with the letters' 2.5 cm margins
# A screenshot on a landscape page of the log, under its caption.
IMAGE_MAX_CM = (24.0, 13.5)


def breakable_url(url: str) -> str:
    """A web address that may break only after '/', '?', '&', '=' or '.' (letter-spec 1.5)."""
    return re.sub(r"([/?&=.])", r"\1" + ZWSP, url)


def _template_path() -> Path:
    path = templates_dir() / kinds.LEGAL_REFERRAL.template
    return path if path.is_file() else shipped_templates() / kinds.LEGAL_REFERRAL.template


def house_document(school: School, case: Case, on: date) -> Document:
    """An empty document in the letters' house style: the legal referral template's styles,
    page, letterhead and footer (the advisers' marking, our reference, page numbers)."""
    path = _template_path()
    try:
        doc = Document(str(path))
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds for a bad file
        raise TemplateProblem(f"{path}: the legal referral template cannot be opened ({exc}); "
                              "the bundle's documents are made on it") from None
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    context = {
        "school": school_fields(school),
        "signatory": {"name": school.signatory.name, "role": school.signatory.role},
        "letter": {"reference": case.case_id, "date": long_date(on), "marking": MARKING,
                   "subject": "", "kind": "", "enclosures": [], "respond_by": "",
                   "remove_by": "", "urgent": False, "further": False},
        "case": {"case_id": case.case_id, "opened": long_date(case.opened)},
    }
    for rel in doc.part.rels.values():
        if rel.reltype in (RT.HEADER, RT.FOOTER):
            _fill(rel.target_part.element, context, path)
    return doc


def _fill(element: etree._Element, context: dict, path: Path) -> None:
    """Fill a header or footer's fields in place, as a letter's would be."""
    xml = etree.tostring(element, encoding="unicode")
    try:
        rendered = make_environment().from_string(_DOCXTPL.patch_xml(xml)).render(context)
        filled = etree.fromstring(rendered.encode("utf-8"))
    except (TemplateError, etree.XMLSyntaxError) as exc:
        raise TemplateProblem(f"{path.name}: header or footer: {exc}; the bundle's documents "
                              "use the legal referral's letterhead and footer") from None
    element[:] = list(filled)


def _widths(doc: Document, widths_cm: Sequence[float]) -> list[int]:
    """Column widths in twips, scaled to the page's width between its margins."""
    section = doc.sections[-1]
    usable = (section.page_width - section.left_margin - section.right_margin) / 635  # twips
    total = sum(widths_cm)
    scale = min(1.0, usable / (total * 566.93))
    return [int(w * 566.93 * scale) for w in widths_cm]


def _element(tag: str, **attrs: object) -> OxmlElement:
    e = OxmlElement(tag)
    for key, value in attrs.items():
        e.set(qn(key), str(value))
    return e


def _table(doc: Document, headers: Sequence[str], widths_cm: Sequence[float]):
    """A table with fixed column widths whose header row repeats on every page."""
    widths = _widths(doc, widths_cm)
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = doc.styles["Table Grid"]
    tbl_pr = table._tbl.tblPr
    for old in tbl_pr.findall(qn("w:tblW")):
        tbl_pr.remove(old)
    tbl_pr.append(_element("w:tblW", **{"w:type": "dxa", "w:w": sum(widths)}))
    tbl_pr.append(_element("w:tblLayout", **{"w:type": "fixed"}))
    for col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths):
        col.set(qn("w:w"), str(width))
    table._widths = widths
    row = table.rows[0]
    for cell, text, width in zip(row.cells, headers, widths):
        # "SHA-" must not end a line: the heading breaks before it instead.
        _cell(cell, width, [text.replace(" SHA-256", "\nSHA-256")], style="Table Heading")
    _row_props(row, header=True)
    return table


def _row_props(row, *, header: bool = False) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(_element("w:cantSplit"))
    if header:
        tr_pr.append(_element("w:tblHeader"))


def _cell(cell, width: int, lines: Sequence[str | tuple[str, str]], *,
          style: str = "Table Text") -> None:
    """Write a cell: each item a paragraph (a tuple ('mono', text) in 7 pt monospace); line
    breaks inside an item become Word line breaks."""
    tc_pr = cell._tc.get_or_add_tcPr()
    for old in tc_pr.findall(qn("w:tcW")):
        tc_pr.remove(old)
    tc_pr.append(_element("w:tcW", **{"w:type": "dxa", "w:w": width}))
    for i, item in enumerate(lines):
        paragraph = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
        paragraph.style = style
        mono, text = (True, item[1]) if isinstance(item, tuple) else (False, item)
        for j, line in enumerate(text.split("\n")):
            run = paragraph.add_run(line)
            if j:
                run._r.insert(0, _element("w:br"))
            if mono:
                run.font.name = MONO
                run._r.get_or_add_rPr().get_or_add_rFonts().set(qn("w:hAnsi"), MONO)
                run.font.size = Pt(7)


def _add_row(table, cells: Sequence[Sequence[str | tuple[str, str]]]) -> None:
    row = table.add_row()
    for cell, lines, width in zip(row.cells, cells, table._widths):
        _cell(cell, width, lines)
    _row_props(row)


def _heading(doc: Document, marking_first: bool, title: str, line: str) -> None:
    if marking_first:
        doc.add_paragraph(MARKING, style="Marking")
    doc.add_paragraph(title, style="Heading 1")
    doc.add_paragraph(line, style="Normal")


def _save(doc: Document) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


# --- the letters drafted in a case, from its manifest ----------------------------------------


def letter_records(case: Case, manifest: Manifest) -> list[LetterRecord]:
    """Each letter drafted in the case (its newest version), with its first date, the dates it
    was revised, and the history entry that records it as sent."""
    versions: dict[str, list[LetterEntry]] = {}
    for entry in manifest.letters():
        versions.setdefault(entry.reference, []).append(entry)
    out = []
    for reference, entries in versions.items():
        latest = entries[-1]
        dates = [date.fromisoformat(e.letter_date) for e in entries]
        sent = sent_step(case.history, reference=reference, kind=latest.kind,
                         letter_date=date.fromisoformat(latest.letter_date), posts=latest.posts)
        out.append(LetterRecord(reference, latest.kind, latest.recipient, tuple(latest.posts),
                                dates[0], tuple(dict.fromkeys(d for d in dates[1:]
                                                              if d != dates[0])), sent))
    return out


# --- the chronology (letter-spec 10) --------------------------------------------------------------


def chronology(case: Case, school: School, manifest: Manifest, on: date) -> list[Event]:
    """Every post, capture, history entry, letter drafted (sent or not), action recorded, staff
    decision and step overdue, in date order."""
    return Account(case, school, letter_records(case, manifest), on).events(posts=True)


def chronology_docx(loaded: LoadedCase, manifest: Manifest, school: School, on: date) -> bytes:
    case = loaded.case
    doc = house_document(school, case, on)
    poster = case.poster.name if case.poster.identified else "not known to the school"
    relation = f", {RELATIONSHIP_WORDS[case.poster.relationship]}" if case.poster.identified \
        else ""
    _heading(doc, True, f"Chronology \u2013 case {case.case_id}",
             f"Prepared on {long_date(on)} by {school.name}. Poster: {poster}{relation}. Times "
             "are UK time.")
    table = _table(doc, CHRONOLOGY_COLUMNS, CHRONOLOGY_WIDTHS_CM)
    for event in chronology(case, school, manifest, on):
        reference = unbroken(event.reference) if event.reference != NONE else NONE
        _add_row(table, [[event.date_words()], [event.time_words()], [event.sentence],
                         [reference]])
    return repack(_save(doc), DocumentProperties(
        f"Chronology \u2013 case {case.case_id}", "chronology", school.name, case.case_id, on))


# --- the evidence log (letter-spec 11) ------------------------------------------------------------


@dataclass
class LogRow:
    """One post in the evidence log, as the Word log and the spreadsheet print it."""

    post: str
    posted: str
    platform: str
    url: str
    text: str
    captured: str
    screenshot: str
    sha256: str
    redaction: str
    status: str
    refs: list[str]

    def csv_values(self) -> list[str]:
        shot = "\n".join(x for x in (self.screenshot, self.sha256 and f"SHA-256 {self.sha256}",
                                     self.redaction) if x)
        return [self.post, self.posted, self.platform, self.url, self.text, self.captured, shot,
                self.status, "\n".join(self.refs) or "None"]

    def docx_cells(self) -> list[list[str | tuple[str, str]]]:
        shot: list[str | tuple[str, str]] = [self.screenshot]
        if self.sha256:
            shot.append(("mono", ZWSP.join(self.sha256[i:i + 16] for i in range(0, 64, 16))))
        if self.redaction:
            shot.append(self.redaction)
        return [[self.post], [self.posted], [breakable_url(self.platform)],
                [breakable_url(self.url)],
                [self.text], [self.captured], shot, [self.status],
                [unbroken(r) for r in self.refs] or ["None"]]


def _report_refs(case: Case, post: Post) -> list[str]:
    refs = [post.report_reference] if post.report_reference else []
    refs += [s.report_reference for s in case.history
             if s.step == kinds.HOST_TAKEDOWN.step and s.report_reference and s.covers(post.id)]
    return list(dict.fromkeys(refs))


def _screenshot(loaded: LoadedCase, post: Post) -> bytes:
    return evidence_path(loaded.path.parent, post.evidence).read_bytes()


def evidence_rows(loaded: LoadedCase) -> list[LogRow]:
    """Every post of the case, oldest first, in full (the advisers see the text as posted)."""
    case = loaded.case
    crime = case.police.crime_reference if case.police and case.police.crime_reference else ""
    rows = []
    for post in sorted(case.posts, key=lambda p: moment(p.posted)):
        label = platform_info(post.platform, post.platform_name).label
        handle, derived = story.handle_of(post)
        account = (f"{handle} (from the web address)" if derived else handle) if handle \
            else "Account not known"
        captured = ", ".join(x for x in (post.captured_by or "",
                                         uk_time(post.captured).words() if post.captured else "")
                             if x)
        if post.evidence:
            screenshot = evidence_member(post)
            digest = sha256_bytes(_screenshot(loaded, post))
        else:
            screenshot = f"None held: text recorded by {post.captured_by}" if post.captured_by \
                else "None held"
            digest = ""
        redaction = ""
        if post.evidence and post.evidence_redacted:
            redaction = (f"[redacted copy; original kept: {post.evidence_original}]"
                         if post.evidence_original else "[redacted copy]")
        if post.platform == "whatsapp" and post.live:
            status = "Sent to group"
        elif post.live:
            status = f"Live (checked {long_date(post.checked)})" if post.checked else "Live"
        else:
            removal = next((s for s in case.history
                            if s.outcome == "removed" and s.covers(post.id)), None)
            # Only a step that recorded the removal dates it; a request's date is when the school
            # asked (the police letter's log says the same).
            status = f"Removed by {long_date(removal.date)}" if removal and \
                removal.step == kinds.DISCUSSION else "Removed"
        refs = [f"Platform: {r}" for r in _report_refs(case, post)]
        if crime:
            refs.append(f"Crime: {crime}")
        rows.append(LogRow(
            post=post.id or "", posted=uk_time(post.posted).words(),
            platform=f"{label}\n{account}",
            url=post.url or "None (a message in a group has no web address)",
            text=post.text.removesuffix("\n"), captured=captured or "Not known",
            screenshot=screenshot, sha256=digest, redaction=redaction, status=status,
            refs=refs))
    return rows


def evidence_csv(loaded: LoadedCase) -> bytes:
    """The log as a spreadsheet: the advisers' marking, then the same columns as the Word log."""
    body = csv_text(EVIDENCE_COLUMNS, [row.csv_values() for row in evidence_rows(loaded)])
    return (csv_text([MARKING], []) + body).encode("utf-8-sig")


def evidence_log_docx(loaded: LoadedCase, school: School, on: date) -> bytes:
    case = loaded.case
    doc = house_document(school, case, on)
    _landscape(doc, school)
    rows = evidence_rows(loaded)
    _heading(doc, True, f"Evidence log \u2013 case {case.case_id}",
             f"Prepared {long_date(on)}. Times are UK time. Every post in the case is listed, "
             "oldest first, with its text as posted.")
    table = _table(doc, EVIDENCE_COLUMNS, LOG_WIDTHS_CM)
    for row in rows:
        _add_row(table, row.docx_cells())
    for post, row in zip(sorted(case.posts, key=lambda p: moment(p.posted)), rows):
        if not post.evidence:
            continue
        taken = ""
        if post.captured_by:
            taken += f" taken by {actor(post.captured_by)}"
        if post.captured:
            taken += f" on {uk_time(post.captured).words()}"
        caption = (f"{post.id}: screenshot{taken} ({row.screenshot}), SHA-256 {row.sha256}"
                   + (f" {row.redaction}" if row.redaction else ""))
        paragraph = doc.add_paragraph(caption, style="Caption")
        paragraph.paragraph_format.keep_with_next = True
        paragraph.paragraph_format.page_break_before = True
        data = _screenshot(loaded, post)
        try:
            width, height = image_size(data)
            scale = min(IMAGE_MAX_CM[0] / (width / 96 * 2.54),
                        IMAGE_MAX_CM[1] / (height / 96 * 2.54), 1.0)
            doc.add_picture(io.BytesIO(data), width=Cm(width / 96 * 2.54 * scale),
                            height=Cm(height / 96 * 2.54 * scale))
        except (UnrecognizedImageError, InvalidImageStreamError, ValueError, struct.error,
                IndexError, ZeroDivisionError):
            # `letters check` let the image in (a whole PNG or JPEG), but python-docx reads only
            # JPEGs with a JFIF or Exif header: the file itself is in the bundle.
            doc.add_paragraph(f"(This log cannot show the screenshot; it is in the bundle as "
                              f"{row.screenshot}.)")
    return repack(_save(doc), DocumentProperties(
        f"Evidence log \u2013 case {case.case_id}", "evidence log", school.name, case.case_id,
        on))


def _landscape(doc: Document, school: School) -> None:
    """A4 landscape, 1.5 cm margins, the letterhead in small form (letter-spec 11.2)."""
    section = doc.sections[-1]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(1.5))
    section.top_margin = section.bottom_margin = Cm(2.0)
    section.header_distance = section.footer_distance = Cm(0.8)
    header = section.header
    paragraphs = header.paragraphs
    for extra in paragraphs[1:]:
        extra._p.getparent().remove(extra._p)
    head = paragraphs[0]
    for run in list(head.runs):
        run._r.getparent().remove(run._r)
    head.style = doc.styles["Normal"]
    head.paragraph_format.space_after = Pt(0)
    name = head.add_run(school.name)
    name.bold, name.font.size = True, Pt(9)
    rest = head.add_run(f" \u00b7 {', '.join(school.address)} \u00b7 Telephone "
                        f"{school.telephone}")
    rest.font.size = Pt(8)


# --- the case record and the manifest, for the bundle ----------------------------------------------


class _RecordDumper(yaml.SafeDumper):
    """YAML as a person reads it: text over several lines as a block, dates as written."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _when_scalar(dumper: yaml.SafeDumper, value: date) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", value.isoformat())


_RecordDumper.add_representer(str, _text)
_RecordDumper.add_representer(date, _when_scalar)
_RecordDumper.add_representer(datetime, _when_scalar)


def _pruned(value: object) -> object:
    """The case without empty fields (None, [], {}): what the school recorded, nothing else."""
    if isinstance(value, dict):
        kept = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def case_record(case: Case, on: date) -> bytes:
    """A clean export of the validated case for the advisers: no comments or working notes from
    the file, the fields in the contract's order, each screenshot named as it is in the bundle,
    under the advisers' marking."""
    data = case.model_dump(mode="python", by_alias=True, exclude_none=True)
    for post, dumped in zip(case.posts, data["posts"]):
        if post.evidence:
            dumped["evidence"] = evidence_member(post)
    record = {"marking": MARKING, "exported": on, "case": _pruned(data)}
    # No folding of long values: each field on its own line, so a search finds it whole.
    text = yaml.dump(record, Dumper=_RecordDumper, sort_keys=False, allow_unicode=True,
                     width=1_000_000)
    return text.encode("utf-8")


def bundle_manifest(manifest: Manifest, case_id: str) -> bytes:
    """The case's manifest with every path relative to the bundle: letters under letters/, the
    case file as the bundle's case record (never a path on the school's computer)."""
    data = json.loads(manifest.path.read_text(encoding="utf-8"))
    for entry in data.get("letters", []):
        if not isinstance(entry, dict):
            continue
        if "case_file" in entry:
            entry["case_file"] = record_name(case_id)
        if isinstance(entry.get("files"), dict):
            entry["files"] = {k: f"letters/{Path(str(v)).name}" for k, v in entry["files"].items()}
        if isinstance(entry.get("from"), str):
            entry["from"] = f"letters/{Path(entry['from']).name}"
    out = {"marking": MARKING, **data}
    return (json.dumps(out, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# --- the bundle (letter-spec 12) ------------------------------------------------------------------


def build_bundle(loaded: LoadedCase, school: School, out_dir: Path, on: date) -> bytes:
    """The zip for the school's legal advisers: letters, chronology, evidence log, screenshots,
    the case record, the manifest, and an index of every file with its SHA-256."""
    case = loaded.case
    folder = case_folder(out_dir, case.case_id)
    if not (folder / MANIFEST).exists() and not (out_dir / JOURNAL).exists():
        raise ArchiveError(f"no letters drafted for {case.case_id} in {out_dir} yet; run "
                           "'letters draft' first (or name the archive with --archive)")
    report = verify(out_dir, case_id=case.case_id)
    if not report.ok:
        raise damaged_archive(report, "bundle", out_dir)
    manifest = Manifest.read(folder, case.case_id)
    if not manifest.entries:
        raise ArchiveError(f"no letters drafted for {case.case_id} in {out_dir} yet; run "
                           "'letters draft' first (or name the archive with --archive)")
    records = {r.reference: r for r in letter_records(case, manifest)}
    latest = {e.reference: e.version for e in manifest.letters()}
    members: list[tuple[str, bytes, str]] = []  # (name in zip, bytes, description)
    for entry in manifest.letters():
        path = folder / entry.docx
        if path.is_file():
            members.append((f"letters/{entry.docx}", path.read_bytes(),
                            _letter_words(records[entry.reference], entry.version,
                                          latest[entry.reference], entry.letter_date, on)))
    for entry in manifest.pdfs():
        path = folder / entry.files["pdf"]
        if path.is_file() and entry.reference in records:
            words = _letter_words(records[entry.reference], entry.version,
                                  latest[entry.reference], None, on)
            members.append((f"letters/{entry.files['pdf']}", path.read_bytes(),
                            f"PDF copy: {words}"))
    for entry in manifest.entries:
        if isinstance(entry, SignedEntry) and (folder / entry.files["signed"]).is_file():
            members.append((f"letters/{entry.files['signed']}",
                            (folder / entry.files["signed"]).read_bytes(),
                            f"The signed copy of letter {entry.reference} as sent on "
                            f"{long_date(date.fromisoformat(entry.sent_on))}"))
    docx_name, csv_name = log_names(case.case_id)
    members.append((chronology_name(case.case_id), chronology_docx(loaded, manifest, school, on),
                    "Chronology of the posts and of every step the school has taken, with what "
                    "was sent and when"))
    members.append((docx_name, evidence_log_docx(loaded, school, on),
                    "Evidence log: every post, with the SHA-256 of each screenshot"))
    members.append((csv_name, evidence_csv(loaded), "Evidence log as a spreadsheet (the same "
                                                    "columns)"))
    for post in case.posts:
        if post.evidence:
            redacted = " (a redacted copy)" if post.evidence_redacted else ""
            members.append((evidence_member(post), _screenshot(loaded, post),
                            f"Screenshot of {post.id}{redacted}"))
    members.append((record_name(case.case_id), case_record(case, on),
                    "The case record: the case as the school holds it, without the case file's "
                    "working notes"))
    members.append(("manifest.json", bundle_manifest(manifest, case.case_id),
                    "The archive's record of each letter drafted, with the SHA-256 of each file"))
    index = _index_html(case, school, members, on, report.seal)
    parts = [("index.html", index)] + [(name, data) for name, data, _ in members]
    return write_package(parts)


def _letter_words(record: LetterRecord, version: int, latest: int, letter_date: str | None,
                  on: date) -> str:
    """'Formal warning to Mr Darren Kettley about P1 and P2, letter BPS-2026-014/01, dated
    1 December 2026, sent by post on 2 December 2026'."""
    dated = f", dated {long_date(date.fromisoformat(letter_date))}" if letter_date else ""
    said = f"{record.words()}, letter {record.reference}{dated}"
    if version < latest:
        return f"{said}: an earlier draft, replaced by a later one (not sent)"
    if record.sent is not None:
        return f"{said}, {record.sent_words()}"
    return f"{said}, not yet recorded as sent (as at {long_date(on)})"


def _index_html(case: Case, school: School, members: list[tuple[str, bytes, str]],
                on: date, seal: str) -> bytes:
    rows = "\n".join(
        f"<tr><td><a href=\"{html.escape(name)}\">{html.escape(name)}</a></td>"
        f"<td>{html.escape(what)}</td><td>{len(data):,}</td><td><code>{sha256_bytes(data)}"
        "</code></td></tr>" for name, data, what in members)
    title = f"{school.name}: bundle for case {case.case_id}"
    poster = case.poster.name if case.poster.identified else "not known to the school"
    page = f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>body{{font-family:Arial,sans-serif;margin:2em}}td,th{{border:1px solid #999;padding:4px;
text-align:left;vertical-align:top}}table{{border-collapse:collapse}}code{{font-size:85%}}
.marking{{border:2px solid #000;padding:6px;font-weight:bold;margin-bottom:1em}}</style></head>
<body><p class="marking">{html.escape(MARKING)}</p>
<h1>{html.escape(title)}</h1>
<p>Prepared {long_date(on)} for {html.escape(school.legal_advisers.name)},
{html.escape(school.legal_advisers.firm)}. Poster: {html.escape(poster)}.</p>
<p>Each file's SHA-256 lets you confirm it is the copy the school holds. The letters are the
school's own copies, each with the marking it was written under.</p>
<table><tr><th>File</th><th>What it is</th><th>Bytes</th><th>SHA-256</th></tr>
{rows}
</table>
<p>The school's archive was checked before this bundle was made. Its seal (the SHA-256 of the last
line of its journal) was <code>{seal}</code>: <code>letters verify --seal {seal}</code> proves
that the archive still holds everything it held then.</p>
<p class="marking">{html.escape(MARKING)}</p>
</body></html>
"""
    return page.encode("utf-8")


def write_bundle(loaded: LoadedCase, school: School, out_dir: Path, target: Path,
                 on: date) -> Path:
    data = build_bundle(loaded, school, out_dir, on)
    target.parent.mkdir(parents=True, exist_ok=True)
    replace_atomically(target, data)
    return target
