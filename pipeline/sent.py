"""`letters sent REF`: record that an archived letter was sent, in its case file's history.

The office gives the letter's reference (printed on the letter); the archive says which case,
which kind and which posts it concerns, so the history entry is written for them: the step
that records that kind as sent, outcome `pending` (sent, awaiting a reply), the posts, the
reference and how it was sent. The case file gains that one entry and changes in no other byte
(case/append.py); the next plan moves on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from pipeline import __version__, kinds
from pipeline.archive.commit import Archive
from pipeline.archive.manifest import TIMESTAMP, LetterEntry, Manifest, parse_entry
from pipeline.archive.store import case_folder, locked, sha256_bytes
from pipeline.case.append import append_history
from pipeline.case.load import LoadedCase, validate_case
from pipeline.case.model import School
from pipeline.dates import long_date
from pipeline.docx.package import read_parts
from pipeline.errors import Refused
from pipeline.policy import sent_step

METHODS = ("post", "email", "hand", "webform", "phone")
REFERENCE = re.compile(r"(?P<case_id>[A-Za-z0-9][A-Za-z0-9_-]{0,63})/(?P<number>\d{2,})")


@dataclass(frozen=True)
class Recorded:
    reference: str
    case_path: Path
    entry: dict
    letter: LetterEntry


def find_letter(out_dir: Path, reference: str) -> tuple[Path, LetterEntry]:
    """The newest version of the archived letter with this reference, and its case folder."""
    match = REFERENCE.fullmatch(reference.strip())
    if not match:
        raise Refused(f"'{reference}' is not a letter reference; it looks like BPS-2026-014/03 "
                      "and is printed at the top of the letter and in its file name")
    folder = case_folder(out_dir, match["case_id"])
    manifest = Manifest.read(folder, match["case_id"])
    versions = [e for e in manifest.letters() if e.reference == reference.strip()]
    if not versions:
        raise Refused(f"no letter {reference} in the archive {out_dir}; check the reference, or "
                      "name the archive it was drafted into with --out")
    return folder, versions[-1]


def _case_file(letter: LetterEntry, chosen: Path | None) -> Path:
    if chosen is not None:
        return chosen
    recorded = Path(letter.case_file)
    if recorded.is_file():
        return recorded
    raise Refused(f"the case file {letter.case_file} the letter was drafted from is no longer "
                  "there; name the case file with --case")


def record_sent(reference: str, *, out_dir: Path, on: date, method: str, today: date,
                school: School | None, case_path: Path | None = None,
                signed: Path | None = None) -> Recorded:
    """Append the history entry that records letter `reference` as sent on `on` by `method`;
    with `signed`, first archive the signed copy as sent (a PDF or a .docx) beside the draft."""
    folder, letter = find_letter(out_dir, reference)
    path = _case_file(letter, case_path)
    loaded = validate_case(path, today=today)  # a file with problems is refused untouched
    if loaded.case.case_id != letter.reference.split("/")[0]:
        raise Refused(f"{path} is case {loaded.case.case_id}, not the case of letter "
                      f"{reference}; name the right case file with --case")
    drafted = date.fromisoformat(letter.letter_date)
    if on < drafted:
        raise Refused(f"letter {reference} is dated {long_date(drafted)}; it cannot have been "
                      f"sent on {long_date(on)}")
    if on > today:
        raise Refused(f"{long_date(on)} is after today ({long_date(today)}); record a letter "
                      "once it has gone")
    already = sent_step(loaded.case.history, reference=letter.reference, kind=letter.kind,
                        letter_date=drafted, posts=letter.posts)
    if already is not None:
        raise Refused(f"letter {reference} is already recorded as sent in {path} "
                      f"(on {long_date(already.date)}); nothing was changed")
    if signed is not None:
        archive_signed_copy(folder, letter, signed, out_dir=out_dir, on=on)
    entry = {"date": on, "step": kinds.get(letter.kind).step, "outcome": "pending",
             "by": school.signatory.role if school else None, "posts": list(letter.posts),
             "reference": letter.reference, "method": method}
    append_history(path, entry, validate=lambda p, text: _still_valid(p, text, today))
    return Recorded(letter.reference, path, entry, letter)


def _still_valid(path: Path, text: str, today: date) -> LoadedCase:
    return validate_case(path, text, today=today)


MAX_SIGNED_BYTES = 50 * 1024 * 1024


def _signed_type(path: Path) -> str:
    """'pdf' or 'docx' for a signed copy that really is one; Refused otherwise."""
    if not path.is_file():
        raise Refused(f"no file at {path}; name the signed copy you saved (a .pdf or .docx)")
    if path.stat().st_size > MAX_SIGNED_BYTES:
        raise Refused(f"{path} is over {MAX_SIGNED_BYTES // 1024 // 1024} MB; is it the letter?")
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK") and read_parts(path.read_bytes()) is not None and \
            "word/document.xml" in (read_parts(path.read_bytes()) or {}):
        return "docx"
    raise Refused(f"{path} is not a PDF or a Word document; save the signed letter as .pdf or "
                  ".docx and try again")


def archive_signed_copy(folder: Path, letter: LetterEntry, signed: Path, *, out_dir: Path,
                        on: date) -> Path:
    """Archive the signed copy beside the draft (`…-signed.pdf`), with its manifest entry and
    journal line, read-only like the draft; the same copy again is accepted, another refused."""
    kind = _signed_type(signed)
    data = signed.read_bytes()
    target = folder / f"{letter.docx.removesuffix('.docx')}-signed.{kind}"
    archive = Archive.open(out_dir)
    case_id = folder.name
    with locked(folder):
        manifest = archive.reconcile(folder, case_id).manifest
        held = manifest.signed_of(letter.reference)
        if held is not None:
            if held.sha256.signed == sha256_bytes(data):
                return folder / held.files["signed"]
            raise Refused(f"a different signed copy of {letter.reference} is already archived "
                          f"({held.files['signed']}); the archive never replaces a file")
        entry = parse_entry({
            "event": "signed", "reference": letter.reference, "version": letter.version,
            "kind": letter.kind, "files": {"signed": target.name},
            "sha256": {"signed": sha256_bytes(data), "docx": letter.sha256.docx},
            "from": letter.docx, "sent_on": on.isoformat(),
            "written_at": datetime.now(UTC).strftime(TIMESTAMP), "pipeline_version": __version__})
        archive.commit(folder, manifest, [(target, data)], [entry], sync=True)
    return target
