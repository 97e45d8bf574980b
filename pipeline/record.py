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
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.image.exceptions import InvalidImageStreamError, UnrecognizedImageError
from docx.shared import Cm, Pt

from pipeline import kinds
from pipeline.archive.journal import JOURNAL
from pipeline.archive.manifest import MANIFEST, LetterEntry, Manifest
from pipeline.archive.store import case_folder, replace_atomically, sha256_bytes
from pipeline.archive.verify import damaged_archive, verify
from pipeline.case.load import LoadedCase, evidence_path, validate_case
from pipeline.case.model import Case, School
from pipeline.dates import long_date, real_today, to_uk, uk_time
from pipeline.docx.package import DocumentProperties, repack, write_package
from pipeline.errors import ArchiveError, InvalidInput, PipelineError
from pipeline.platforms import platform_info
from pipeline.policy import Facts, sent_step, step_words
from pipeline.words import OUTCOME_WORDS

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
                         for p in sorted(folder.glob("*.yaml"))):
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


# --- chronology and evidence log ---------------------------------------------------------------


def _sort_key(value: date | datetime) -> datetime:
    """When something happened on the UK clock (a date-time with an offset converted)."""
    value = to_uk(value)
    if isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day)


def _as_written(value: date | datetime) -> str:
    """' (posted as 23:30 UTC−05:00)' when the UK time shown is not the time as written, or the
    zone ' (BST)' in the hour the clocks repeat; else ''."""
    local = uk_time(value)
    if local.converted:
        return f" (written as {local.original:%H:%M} {local.original_offset})"
    if local.repeated_hour and local.zone:
        return f" ({local.zone})"
    return ""


def chronology(case: Case, manifest: Manifest) -> list[tuple[datetime, str, str]]:
    """(when, what, detail) for every post, history step and letter drafted, in date order."""
    events: list[tuple[datetime, str, str]] = []
    for post in case.posts:
        info = platform_info(post.platform, post.platform_name)
        status = "" if post.live else " (since removed)"
        events.append((_sort_key(post.posted), f"{post.id} posted on {info.label}{status}"
                       f"{_as_written(post.posted)}", post.text))
        if post.captured:
            events.append((_sort_key(post.captured), f"{post.id} captured as evidence"
                           f"{_as_written(post.captured)}",
                           f"by {post.captured_by or 'the school'}"))
    for step in case.history:
        posts = f" ({', '.join(step.posts)})" if step.posts else ""
        events.append((_sort_key(step.date), f"{step_words(step.step).capitalize()}{posts}",
                       f"{step.by or 'The school'}: {OUTCOME_WORDS[step.outcome]}."
                       + (f" {step.notes}" if step.notes else "")))
    for entry in manifest.letters():
        events.append((_sort_key(date.fromisoformat(entry.letter_date)),
                       (f"Letter {entry.reference} drafted ({entry.kind}, "
                       f"version {entry.version})"), f"To {entry.recipient}"))
    events.sort(key=lambda e: e[0])
    return events


EVIDENCE_COLUMNS = ("Post", "Date and time posted", "Platform", "Full URL", "Account",
                    "Content as posted", "Captured by and when", "Screenshot", "Status",
                    "Platform report ref.", "Police crime ref.")


def evidence_rows(case: Case) -> list[list[str]]:
    crime = case.police.crime_reference if case.police and case.police.crime_reference else ""
    rows = []
    for post in case.posts:
        when = uk_time(post.posted).words()  # UK time; the time as written too, if another
        captured = uk_time(post.captured).words() if post.captured else ""
        rows.append([post.id, when, platform_info(post.platform, post.platform_name).label,
                     post.url or "(none: private messaging)", post.handle or "", post.text,
                     ", ".join(x for x in (post.captured_by or "", captured) if x),
                     post.evidence or "none", post.status, post.report_reference or "", crime])
    return rows


def _document(title: str, school: School, landscape: bool = False) -> Document:
    doc = Document()
    section = doc.sections[0]
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    else:
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.0))
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(10)
    section.header.paragraphs[0].text = f"{school.name}: {title}"
    doc.add_heading(title, level=1)
    return doc


def chronology_docx(loaded: LoadedCase, manifest: Manifest, school: School, on: date) -> bytes:
    case = loaded.case
    doc = _document(f"Chronology of case {case.case_id}", school)
    doc.add_paragraph(f"Poster: {case.poster.name} ({case.poster.relationship}). Case opened "
                      f"{long_date(case.opened)}. Prepared {long_date(on)}.")
    table = doc.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("When", "What", "Detail")):
        cell.text = text
    for when, what, detail in chronology(case, manifest):
        cells = table.add_row().cells
        shown = long_date(when) + (f" {when:%H:%M}" if (when.hour, when.minute) != (0, 0) else "")
        cells[0].text, cells[1].text, cells[2].text = shown, what, detail
    return repack(_save(doc), DocumentProperties(
        f"Chronology {case.case_id}", "chronology", school.name, case.case_id, on))


def evidence_log_docx(loaded: LoadedCase, school: School, on: date) -> bytes:
    case = loaded.case
    doc = _document(f"Evidence log, case {case.case_id}", school, landscape=True)
    table = doc.add_table(rows=1, cols=len(EVIDENCE_COLUMNS))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, EVIDENCE_COLUMNS):
        cell.text = text
    for row in evidence_rows(case):
        for cell, text in zip(table.add_row().cells, row):
            cell.text = text
    for post in case.posts:
        if post.evidence:
            doc.add_paragraph(f"Screenshot of {post.id} ({post.evidence})")
            try:
                doc.add_picture(str(evidence_path(loaded.path.parent, post.evidence)),
                                width=Cm(15))
            except (UnrecognizedImageError, InvalidImageStreamError, ValueError, struct.error,
                    IndexError):
                # `letters check` let the image in (a whole PNG or JPEG), but python-docx reads
                # only JPEGs with a JFIF or Exif header: the file itself is in the bundle.
                doc.add_paragraph(f"(The screenshot is in the bundle as evidence/{post.id}-"
                                  f"{Path(post.evidence).name}; this log cannot show it.)")
    return repack(_save(doc), DocumentProperties(
        f"Evidence log {case.case_id}", "evidence log", school.name, case.case_id, on))


def _save(doc: Document) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


# --- the bundle -------------------------------------------------------------------------------


def build_bundle(loaded: LoadedCase, school: School, out_dir: Path, on: date) -> bytes:
    """The zip for the school's legal advisers: letters, chronology, evidence, manifest, index."""
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
    members: list[tuple[str, bytes, str]] = []  # (name in zip, bytes, description)
    for entry in [*manifest.letters(), *manifest.pdfs()]:
        for kind, name in entry.files.items():
            path = folder / name
            if path.is_file():
                what = (f"Letter {entry.reference} ({entry.kind}, version "
                        f"{entry.version}, {kind.upper()})")
                members.append((f"letters/{name}", path.read_bytes(), what))
    members.append((f"{case.case_id}-chronology.docx",
                    chronology_docx(loaded, manifest, school, on), "Chronology"))
    members.append((f"{case.case_id}-evidence-log.docx",
                    evidence_log_docx(loaded, school, on), "Evidence log"))
    members.append((f"{case.case_id}-evidence-log.csv",
                    csv_text(EVIDENCE_COLUMNS, evidence_rows(case)).encode("utf-8-sig"),
                    "Evidence log (spreadsheet)"))
    for post in case.posts:
        if post.evidence:
            path = evidence_path(loaded.path.parent, post.evidence)
            members.append((f"evidence/{post.id}-{path.name}", path.read_bytes(),
                            f"Screenshot of {post.id}"))
    if manifest.path.exists():
        members.append(("manifest.json", manifest.path.read_bytes(), "Manifest of letters"))
    members.append((f"case/{loaded.path.name}", loaded.text.encode("utf-8"), "The case file"))
    index = _index_html(case, school, members, on)
    parts = [("index.html", index)] + [(name, data) for name, data, _ in members]
    return write_package(parts)


def _index_html(case: Case, school: School, members: list[tuple[str, bytes, str]],
                on: date) -> bytes:
    rows = "\n".join(
        f"<tr><td><a href=\"{html.escape(name)}\">{html.escape(name)}</a></td>"
        f"<td>{html.escape(what)}</td><td>{len(data):,}</td><td><code>{sha256_bytes(data)}"
        "</code></td></tr>" for name, data, what in members)
    page = f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">
<title>Bundle for case {html.escape(case.case_id)}</title>
<style>body{{font-family:Arial,sans-serif;margin:2em}}td,th{{border:1px solid #999;padding:4px;
text-align:left}}table{{border-collapse:collapse}}code{{font-size:85%}}</style></head>
<body><h1>{html.escape(school.name)}: bundle for case {html.escape(case.case_id)}</h1>
<p>Prepared {long_date(on)} for {html.escape(school.legal_advisers.firm)}. Poster:
{html.escape(case.poster.name)}. Each file's SHA-256 lets you confirm it is the copy the school
holds (the manifest records the same for every letter).</p>
<table><tr><th>File</th><th>What it is</th><th>Bytes</th><th>SHA-256</th></tr>
{rows}
</table></body></html>
"""
    return page.encode("utf-8")


def write_bundle(loaded: LoadedCase, school: School, out_dir: Path, target: Path,
                 on: date) -> Path:
    data = build_bundle(loaded, school, out_dir, on)
    target.parent.mkdir(parents=True, exist_ok=True)
    replace_atomically(target, data)
    return target
