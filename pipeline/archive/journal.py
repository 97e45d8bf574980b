"""The archive's journal: one append-only, hash-chained record of every file the archive holds.

``OUT/journal.jsonl`` has one JSON line (keys sorted) for each manifest entry ever committed,
whatever its case, oldest first::

    {"at": "2026-12-01T10:00:00Z", "case_id": "BPS-2026-014", "entry": {...},
     "event": "letter", "file": "BPS-2026-014/BPS-2026-014-01-concern.docx", "n": 1,
     "prev": "000...0", "reference": "BPS-2026-014/01", "sha256": "<the file's SHA-256>"}

`n` counts lines from 1; `prev` is the SHA-256 of the previous line's bytes, newline included
(64 zeros on line 1), so changing, removing or reordering any line breaks the chain at the line
after it. The SHA-256 of the last line is the archive's *seal*: a seal written down elsewhere
proves later that the archive still extends the state it was taken from (`letters verify --seal`).

`event` is what the line records: "letter", "pdf", "excluded" (a letter the school decided not to
send; it has no file), "adopted" (an entry an archive written before the journal already held,
taken in by `letters verify --adopt`), and "signed", kept for the signed copies of issue 15.
`entry` is the manifest entry itself, so each manifest can be checked against the journal field
by field, and rebuilt from it.

The order of a commit (archive/commit.py), all under the archive lock with signals held:
files are linked into place, then their lines are appended to the journal, then the manifest is
replaced. A failure at any step takes back the steps before it (the journal is truncated to where
it was). Only a hard kill (SIGKILL, a power cut) can stop a commit half way, and what it leaves is
recognisable: a letter linked but in no journal line ("unlisted" in `letters verify`; the next
draft of the same letter takes the file in), journal lines whose entries the manifest lacks (the
next draft of the case restores them from the journal), or an incomplete last line (the next
commit cuts it off: it was never committed).

Reading never fails on what the file holds: every line that is not a whole, well-formed,
correctly chained record is a problem with its line number (`JournalProblem`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.archive.manifest import (
    TIMESTAMP,
    AnyEntry,
    ExcludedEntry,
    entry_json,
    parse_entry,
)
from pipeline.errors import ArchiveError

JOURNAL = "journal.jsonl"
ZERO = "0" * 64
EVENTS = ("letter", "pdf", "excluded", "signed", "outbox", "adopted")
_HEX64 = r"^[0-9a-f]{64}$"
_PLAIN_NAME = re.compile(r"[^/\\\x00-\x1f\x7f]+")


class JournalLine(BaseModel):
    """One line of the journal, as written (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    n: int = Field(ge=1)
    prev: str = Field(pattern=_HEX64)
    at: str
    case_id: str
    file: str | None
    sha256: str | None = Field(pattern=_HEX64)
    event: Literal["letter", "pdf", "excluded", "signed", "outbox", "adopted"]
    reference: str | None
    entry: dict[str, Any]


@dataclass(frozen=True)
class Recorded:
    """A committed journal line with the manifest entry it carries."""

    n: int
    line: JournalLine
    entry: AnyEntry

    @property
    def name(self) -> str | None:
        """The file's name inside its case folder, or None (an exclusion has no file)."""
        return self.line.file.split("/", 1)[1] if self.line.file else None


@dataclass(frozen=True)
class JournalProblem:
    line: int  # 0: the journal as a whole
    kind: str  # "chain broken", "malformed", "missing", ...
    detail: str


def line_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def canonical(entry: AnyEntry) -> str:
    """An entry as comparable text: the same entry always gives the same text."""
    return json.dumps(entry_json(entry), sort_keys=True, ensure_ascii=False)


def entry_file(entry: AnyEntry) -> tuple[str, str] | None:
    """(file name, its SHA-256) an entry archives, or None for an exclusion."""
    if isinstance(entry, ExcludedEntry):
        return None
    [(kind, name)] = entry.files.items()
    return name, getattr(entry.sha256, kind)


def encode_line(n: int, prev: str, case_id: str, entry: AnyEntry, *, event: str | None = None,
                at: str | None = None) -> bytes:
    """The bytes of one journal line for `entry` (newline included)."""
    found = entry_file(entry)
    record = {
        "n": n, "prev": prev, "at": at or datetime.now(UTC).strftime(TIMESTAMP),
        "case_id": case_id, "file": f"{case_id}/{found[0]}" if found else None,
        "sha256": found[1] if found else None, "event": event or entry.event,
        "reference": getattr(entry, "reference", None), "entry": entry_json(entry),
    }
    text = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8") + b"\n"


def _check_line(raw: bytes) -> tuple[JournalLine | None, AnyEntry | None, str]:
    """(line, entry, "") for a well-formed line, else (None, None, what is wrong with it)."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return None, None, f"not a JSON record ({type(exc).__name__}: {str(exc)[:80]})"
    if not isinstance(data, dict):
        return None, None, "not a JSON record (an object with n, prev, file, sha256, entry...)"
    try:
        line = JournalLine.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "the line"
        return None, None, f"{where}: {first['msg']}"
    try:
        entry = parse_entry(line.entry)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        return None, None, f"its manifest entry is not one the archive writes ({where}: " \
                           f"{first['msg']})"
    if line.case_id in ("", ".", "..") or not _PLAIN_NAME.fullmatch(line.case_id):
        return None, None, f"case_id {line.case_id!r} is not a case folder's name"
    found = entry_file(entry)
    expected_file = f"{line.case_id}/{found[0]}" if found else None
    if found and (found[0] in (".", "..") or not _PLAIN_NAME.fullmatch(found[0])):
        return None, None, f"file name {found[0]!r} is not a plain file name"
    if line.file != expected_file or line.sha256 != (found[1] if found else None):
        return None, None, "file and sha256 do not match the entry it carries"
    if line.reference != getattr(entry, "reference", None):
        return None, None, "reference does not match the entry it carries"
    if line.event != "adopted" and line.event != entry.event:
        return None, None, f"event {line.event!r} does not match the entry it carries"
    return line, entry, ""


@dataclass
class Journal:
    """The journal as read so far, with an index by case and by file.

    `refresh` reads whatever has been appended since the last call (the file only grows), so a
    process that drafts many cases reads the journal once. Only whole lines are read: a line
    still being written, or left incomplete by a killed run, waits at `offset`.
    """

    path: Path
    offset: int = 0
    count: int = 0  # lines read
    last_hash: str = ZERO  # of the last whole line read: the seal
    chained_n: int = 0  # the n the last line carried (for the next line's)
    problems: list[JournalProblem] = field(default_factory=list)
    by_case: dict[str, list[Recorded]] = field(default_factory=dict)
    by_file: dict[str, Recorded] = field(default_factory=dict)
    hashes: dict[str, int] = field(default_factory=dict)  # line hash -> line number
    tail: bytes = b""  # bytes after the last newline: an incomplete line
    exists: bool = False
    notes: list[str] = field(default_factory=list)  # what appending had to mend, for the user

    def refresh(self) -> Journal:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        except FileNotFoundError:
            self.exists = False
            return self
        except OSError as exc:
            raise ArchiveError(f"{self.path}: the journal cannot be read "
                               f"({exc.strerror or exc}); if it is a link, replace it with "
                               "the file itself") from None
        self.exists = True
        chunks = []
        try:
            os.lseek(fd, self.offset, os.SEEK_SET)
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
        except OSError as exc:
            raise ArchiveError(f"{self.path}: the journal cannot be read "
                               f"({exc.strerror or exc})") from None
        finally:
            os.close(fd)
        data = b"".join(chunks)
        end = data.rfind(b"\n") + 1
        for raw in data[:end].split(b"\n")[:-1]:
            self._take(raw + b"\n")
        self.offset += end
        self.tail = data[end:]
        return self

    def _take(self, raw: bytes) -> None:
        self.count += 1
        number = self.count
        line, entry, wrong = _check_line(raw)
        previous = self.last_hash
        self.last_hash = line_hash(raw)
        self.hashes.setdefault(self.last_hash, number)
        if line is None:
            self.problems.append(JournalProblem(number, "malformed", wrong))
            self.chained_n = number
            return
        if line.prev != previous:
            self.problems.append(JournalProblem(
                number, "chain broken", "it does not carry the SHA-256 of the line before it: "
                "a line before it was changed, removed or put in"))
        elif line.n != self.chained_n + 1:
            self.problems.append(JournalProblem(
                number, "chain broken", f"numbered {line.n} after line {self.chained_n}"))
        self.chained_n = line.n
        recorded = Recorded(number, line, entry)
        if line.file is not None:
            earlier = self.by_file.get(line.file)
            if earlier is not None:
                self.problems.append(JournalProblem(
                    number, "malformed", f"records {line.file} again (first recorded on line "
                    f"{earlier.n}); a file is archived once"))
                return
            self.by_file[line.file] = recorded
        self.by_case.setdefault(line.case_id, []).append(recorded)

    def entries_for(self, case_id: str) -> list[Recorded]:
        return self.by_case.get(case_id, [])

    @property
    def seal(self) -> str:
        return self.last_hash

    @property
    def damaged(self) -> bool:
        return bool(self.problems)

    # --- writing (the caller holds the archive lock) ------------------------------------------

    def append(self, entries: list[tuple[str, AnyEntry, str | None]], *, sync: bool
               ) -> _Appended:
        """Append a line for each (case_id, entry, event or None) and return how to take them
        back. Reads what others appended first; an incomplete last line left by a killed run is
        cut off (it was never committed). ArchiveError if the journal cannot be written: then
        nothing was appended."""
        self.refresh()
        if self.problems:
            first = self.problems[0]
            raise ArchiveError(f"{self.path}:{first.line}: {first.kind}: {first.detail}; the "
                               "journal is damaged, so nothing more is added to it. Restore it "
                               "from backup ('letters verify' lists every problem).")
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
                         | os.O_NOFOLLOW, 0o644)
        except OSError as exc:
            raise ArchiveError(f"cannot write {self.path}: {exc.strerror or exc}") from None
        undo = _Appended(self, fd, self.offset, created=not self.exists)
        try:
            if self.tail:
                os.ftruncate(fd, self.offset)  # a line a killed run never finished
                self.notes.append(f"{self.path}: removed an incomplete last line "
                                  f"({len(self.tail)} bytes) that a stopped run had begun; it "
                                  "recorded nothing that was committed")
                self.tail = b""
            lines = []
            prev, n = self.last_hash, self.chained_n
            for case_id, entry, event in entries:
                raw = encode_line(n + 1, prev, case_id, entry, event=event)
                lines.append(raw)
                prev, n = line_hash(raw), n + 1
            view = memoryview(b"".join(lines))
            while view:
                view = view[os.write(fd, view):]
            if sync:
                os.fsync(fd)
        except OSError as exc:
            undo.undo()
            raise ArchiveError(f"cannot write {self.path}: {exc.strerror or exc} (is the disk "
                               "full?); nothing was changed") from None
        except BaseException:
            undo.undo()
            raise
        self.exists = True
        self.refresh()
        return undo


@dataclass
class _Appended:
    """What one append did, so a commit that fails after it can take its lines back."""

    journal: Journal
    fd: int
    offset: int
    created: bool
    closed: bool = False

    def undo(self) -> None:
        """Cut the journal back to where it was before the append (the caller still holds the
        archive lock, so nobody has read or added to the lines taken back)."""
        journal = self.journal
        try:
            os.ftruncate(self.fd, self.offset)
            if self.created and self.offset == 0:
                os.unlink(journal.path)
        except OSError as exc:
            raise ArchiveError(f"{journal.path}: could not take back lines of a commit that "
                               f"failed ({exc.strerror or exc}); run 'letters verify'") from None
        finally:
            self.close()
        # Forget what was read of the taken-back lines and read again from the start.
        fresh = Journal(journal.path).refresh()
        fresh.notes = journal.notes
        journal.__dict__.update(fresh.__dict__)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(OSError):
                os.close(self.fd)
