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
from datetime import date
from pathlib import Path

from pipeline import kinds
from pipeline.archive.manifest import LetterEntry, Manifest
from pipeline.archive.store import case_folder
from pipeline.case.append import append_history
from pipeline.case.load import LoadedCase, validate_case
from pipeline.case.model import School
from pipeline.dates import long_date
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
                school: School | None, case_path: Path | None = None) -> Recorded:
    """Append the history entry that records letter `reference` as sent on `on` by `method`."""
    _, letter = find_letter(out_dir, reference)
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
    entry = {"date": on, "step": kinds.get(letter.kind).step, "outcome": "pending",
             "by": school.signatory.role if school else None, "posts": list(letter.posts),
             "reference": letter.reference, "method": method}
    append_history(path, entry, validate=lambda p, text: _still_valid(p, text, today))
    return Recorded(letter.reference, path, entry, letter)


def _still_valid(path: Path, text: str, today: date) -> LoadedCase:
    return validate_case(path, text, today=today)
