"""A case's manifest: typed entries, one per archived letter, PDF copy or excluded letter.

``OUT/<case_id>/manifest.json`` holds ``{"case_id", "format", "letters": [entry, ...]}``, oldest
entry first. Entries are pydantic models told apart by their ``event``; the file's ``format`` is
checked when it is read, so a manifest from an unknown version of the program, or one damaged by
hand, is a clear ArchiveError rather than a KeyError somewhere later.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from pipeline.archive.store import replace_atomically
from pipeline.errors import ArchiveError

MANIFEST = "manifest.json"
FORMAT = 1
TIMESTAMP = "%Y-%m-%dT%H:%M:%SZ"


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LetterHashes(_Entry):
    """SHA-256 of the letter and of each input that produced it."""

    docx: str = Field(pattern=r"^[0-9a-f]{64}$")
    case: str = Field(pattern=r"^[0-9a-f]{64}$")
    template: str = Field(pattern=r"^[0-9a-f]{64}$")
    school: str = Field(pattern=r"^[0-9a-f]{64}$")
    rules: str = Field(pattern=r"^[0-9a-f]{64}$")


class LetterEntry(_Entry):
    """One version of a letter: what it is, to whom, why, and the hashes of what made it."""

    event: Literal["letter"] = "letter"
    reference: str
    number: int = Field(ge=1)
    version: int = Field(ge=1)
    key: str
    kind: str
    recipient: str
    platform: str | None = None
    posts: list[str]
    letter_date: str
    files: dict[Literal["docx"], str]
    sha256: LetterHashes
    case_file: str
    template: str
    reasons: list[str]
    clauses: list[str]
    overrides: list[str] = []
    respond_by: str | None = None  # the date the letter asks the recipient to act by
    urgent: bool = False
    pipeline_version: str
    written_at: str = ""

    @property
    def docx(self) -> str:
        return self.files["docx"]


class PdfHashes(_Entry):
    pdf: str = Field(pattern=r"^[0-9a-f]{64}$")
    docx: str = Field(pattern=r"^[0-9a-f]{64}$")


class PdfEntry(_Entry):
    """A PDF copy of one version of a letter."""

    event: Literal["pdf"]
    reference: str
    version: int = Field(ge=1)
    kind: str
    files: dict[Literal["pdf"], str]
    sha256: PdfHashes
    from_: str = Field(alias="from")
    format: str
    written_at: str
    pipeline_version: str

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ExcludedHashes(_Entry):
    case: str = Field(pattern=r"^[0-9a-f]{64}$")
    rules: str = Field(pattern=r"^[0-9a-f]{64}$")


class ExcludedEntry(_Entry):
    """The school's decision not to send a letter the rules planned, with its reason."""

    event: Literal["excluded"]
    kind: str
    platform: str | None = None
    reason: str
    sha256: ExcludedHashes
    pipeline_version: str
    written_at: str = ""


class SignedHashes(_Entry):
    signed: str = Field(pattern=r"^[0-9a-f]{64}$")
    docx: str = Field(pattern=r"^[0-9a-f]{64}$")


class SignedEntry(_Entry):
    """The signed copy of a letter as it was sent (a PDF or a .docx), kept beside the draft."""

    event: Literal["signed"]
    reference: str
    version: int = Field(ge=1)
    kind: str
    files: dict[Literal["signed"], str]
    sha256: SignedHashes
    from_: str = Field(alias="from")
    sent_on: str
    written_at: str
    pipeline_version: str

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class OutboxHashes(_Entry):
    outbox: str = Field(pattern=r"^[0-9a-f]{64}$")
    pdf: str = Field(pattern=r"^[0-9a-f]{64}$")


class OutboxEntry(_Entry):
    """A letter made ready to send: an email draft with its PDF, or a web form's text."""

    event: Literal["outbox"]
    reference: str
    version: int = Field(ge=1)
    kind: str
    files: dict[Literal["outbox"], str]
    sha256: OutboxHashes
    how: Literal["email", "webform"]
    to: str
    written_at: str
    pipeline_version: str


Entry = Annotated[LetterEntry | PdfEntry | ExcludedEntry | SignedEntry | OutboxEntry,
                  Field(discriminator="event")]
AnyEntry = LetterEntry | PdfEntry | ExcludedEntry | SignedEntry | OutboxEntry


class ManifestFile(_Entry):
    case_id: str
    format: int
    letters: list[Entry]


_ENTRY = TypeAdapter(Entry)


def entry_json(entry: AnyEntry) -> dict:
    return entry.model_dump(mode="json", by_alias=True)


class Manifest:
    """The entries of one case's manifest, oldest first, and what they say about its letters."""

    def __init__(self, path: Path, case_id: str, entries: list[AnyEntry]):
        self.path = path
        self.case_id = case_id
        self.entries = entries
        self.written: bytes | None = None  # what `save` last wrote (to tell if it got there)

    @classmethod
    def read(cls, folder: Path, case_id: str) -> Manifest:
        path = folder / MANIFEST
        if not path.exists():
            return cls(path, case_id, [])
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ArchiveError(f"{path}: the manifest cannot be read ({exc}); it is needed to "
                               "number letters, so nothing was written. Restore it from backup."
                               ) from None
        if isinstance(data, dict) and data.get("format") != FORMAT:
            raise ArchiveError(
                f"{path}: the manifest is in format {data.get('format')!r}, which this version "
                f"of the program (format {FORMAT}) does not know; use the version that wrote it, "
                "or restore the manifest from backup. Nothing was written.")
        try:
            parsed = ManifestFile.model_validate(data)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ArchiveError(f"{path}: the manifest is damaged ({where}: {first['msg']}); "
                               "restore it from backup. Nothing was written.") from None
        return cls(path, case_id, list(parsed.letters))

    def letters(self) -> list[LetterEntry]:
        return [e for e in self.entries if isinstance(e, LetterEntry)]

    def pdfs(self) -> list[PdfEntry]:
        return [e for e in self.entries if isinstance(e, PdfEntry)]

    def exclusions(self) -> list[ExcludedEntry]:
        return [e for e in self.entries if isinstance(e, ExcludedEntry)]

    def latest(self, key: str) -> LetterEntry | None:
        """The newest version of the newest letter drafted under `key` (kind and platform)."""
        return next((e for e in reversed(self.entries)
                     if isinstance(e, LetterEntry) and e.key == key), None)

    def letter_of(self, docx_name: str) -> LetterEntry | None:
        return next((e for e in reversed(self.entries)
                     if isinstance(e, LetterEntry) and e.docx == docx_name), None)

    def next_number(self, pending: list[LetterEntry] = ()) -> int:
        """The next letter number never used in this case (nor by letters about to be added)."""
        return max((e.number for e in [*self.letters(), *pending]), default=0) + 1

    def pdf_of(self, docx_name: str) -> PdfEntry | None:
        return next((e for e in self.pdfs() if e.from_ == docx_name), None)

    def signed_of(self, reference: str) -> SignedEntry | None:
        """The signed copy of the letter with this reference, if one is archived."""
        return next((e for e in reversed(self.entries)
                     if isinstance(e, SignedEntry) and e.reference == reference), None)

    def outbox_of(self, reference: str, version: int) -> list[OutboxEntry]:
        return [e for e in self.entries if isinstance(e, OutboxEntry)
                and e.reference == reference and e.version == version]

    def save(self, new_entries: list[AnyEntry], *, sync: bool = True) -> None:
        """Add `new_entries` and replace the file whole (never half-written)."""
        if not new_entries:
            return
        self.rewrite(self.entries + list(new_entries), sync=sync)

    def rewrite(self, entries: list[AnyEntry], *, sync: bool = True) -> None:
        """Replace the file whole with exactly `entries` (restoring it from the journal)."""
        self.entries = list(entries)
        body = {"case_id": self.case_id, "format": FORMAT,
                "letters": [entry_json(e) for e in self.entries]}
        text = json.dumps(body, indent=2, ensure_ascii=False) + "\n"
        self.written = text.encode("utf-8")
        replace_atomically(self.path, self.written, sync=sync)

    def on_disk(self) -> bool:
        """Whether the file holds exactly what `save` or `rewrite` last wrote."""
        try:
            return self.written is not None and self.path.read_bytes() == self.written
        except OSError:
            return False


def parse_entry(data: object) -> AnyEntry:
    """One entry from plain data (raises pydantic's ValidationError when it does not fit)."""
    return _ENTRY.validate_python(data)


@dataclass
class ManifestRead:
    """A manifest as found on disk, read without trusting anything in it (`letters verify`).

    `entries` holds (position from 1, the entry or None when malformed); `problems` says what
    is wrong with the file or an entry, each as (entry position or 0, what is wrong).
    """

    path: Path
    exists: bool
    case_id: str | None = None
    entries: list[tuple[int, AnyEntry | None]] = dc_field(default_factory=list)
    problems: list[tuple[int, str]] = dc_field(default_factory=list)

    def valid(self) -> list[AnyEntry]:
        return [e for _, e in self.entries if e is not None]


def read_leniently(folder: Path) -> ManifestRead:
    """Read OUT/<case>/manifest.json whatever it holds; never raises for its content."""
    path = folder / MANIFEST
    found = ManifestRead(path, exists=path.exists() or path.is_symlink())
    if not found.exists:
        return found
    if path.is_symlink() or not path.is_file():
        found.problems.append((0, "is not an ordinary file (a link or a folder)"))
        return found
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)[:120]
        found.problems.append((0, f"cannot be read ({detail})"))
        return found
    if not isinstance(data, dict):
        found.problems.append((0, "is not a manifest (a JSON object with case_id, format and "
                                  "letters)"))
        return found
    if data.get("format") != FORMAT:
        found.problems.append((0, f"is in format {str(data.get('format'))[:20]!r}, which this "
                                  f"version of the program (format {FORMAT}) does not know"))
    case_id = data.get("case_id")
    if isinstance(case_id, str):
        found.case_id = case_id
    else:
        found.problems.append((0, "has no case_id"))
    extra = sorted(set(data) - {"case_id", "format", "letters"})
    if extra:
        found.problems.append((0, f"has fields a manifest does not have: {', '.join(extra)}"))
    letters = data.get("letters")
    if not isinstance(letters, list):
        found.problems.append((0, "has no list of letters"))
        return found
    for position, raw in enumerate(letters, 1):
        try:
            found.entries.append((position, parse_entry(raw)))
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"]) or "the entry"
            found.entries.append((position, None))
            found.problems.append((position, f"{where}: {first['msg']}"))
    return found
