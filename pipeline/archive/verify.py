"""Checking the archive: the journal's chain, every manifest against the journal, every file
against both, and nothing in a case folder that the archive does not hold.

Each problem is one `Finding`, printed as ``PATH: KIND: what``, where KIND is one of:

- ``chain broken``: a journal line does not carry the hash of the line before it, or is
  numbered out of turn (a line was changed, removed or put in);
- ``malformed``: a journal line, a manifest or a manifest entry that cannot be read as one;
- ``missing``: an archived file, case folder, manifest or manifest entry that is gone;
- ``added``: a manifest entry the journal never recorded;
- ``altered``: a file whose SHA-256, or a manifest entry whose content, is not what the journal
  records;
- ``renamed`` / ``moved``: an archived file or case folder found, by its SHA-256 or its
  manifest, under another name or in another folder;
- ``unlisted``: a file in a case folder that the archive does not hold (added by hand, or left
  by a run that was killed);
- ``seal``: `--seal HASH` given, and the journal no longer holds the line that seal was taken
  from.

Reading never raises on what the files hold: whatever is in a manifest or the journal, the
answer is a list of findings. The check runs under the archive's lock, shared, so it never sees
a commit half done.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.archive.commit import file_problem, unadopted_manifests
from pipeline.archive.journal import JOURNAL, Journal, Recorded, canonical, entry_file
from pipeline.archive.manifest import MANIFEST, AnyEntry, ManifestRead, read_leniently
from pipeline.archive.store import TEMP_PREFIX, archive_locked, sha256_file
from pipeline.errors import ArchiveError, shown

SEAL = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Finding:
    path: Path | str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{shown(str(self.path))}: {self.kind}: {shown(self.detail)}"


@dataclass
class Report:
    """What `verify` found: files checked, problems, and the journal's seal."""

    checked: int = 0
    findings: list[Finding] = field(default_factory=list)
    seal: str = "0" * 64
    lines: int = 0  # journal lines: the seal is the hash of the last
    seal_line: int | None = None  # the line an earlier seal (--seal) was found at

    @property
    def ok(self) -> bool:
        return not self.findings


def _ref(entry: AnyEntry) -> str:
    what = entry_file(entry)
    reference = getattr(entry, "reference", None)
    if what is None:
        return f"the exclusion of {entry.kind}" + (f" ({entry.platform})" if entry.platform
                                                   else "")
    return f"{reference} ({what[0]})" if reference else what[0]


def _differing(a: AnyEntry, b: AnyEntry) -> str:
    left, right = a.model_dump(by_alias=True), b.model_dump(by_alias=True)
    keys = [k for k in sorted(set(left) | set(right)) if left.get(k) != right.get(k)]
    return ", ".join(keys) or "its fields"


class _Check:
    def __init__(self, out_dir: Path, journal: Journal, only: str | None):
        self.out = out_dir
        self.journal = journal
        self.only = only
        self.report = Report()
        self.claimed: set[Path] = set()
        self.files: dict[Path, None] = {}  # every file in a case folder, in walk order
        self.manifests: dict[Path, ManifestRead] = {}
        self.absent: list[tuple[Path, str, Recorded]] = []  # recorded files not at their place

    def add(self, path: Path | str, kind: str, detail: str) -> None:
        self.report.findings.append(Finding(path, kind, detail))

    # --- what is on disk -----------------------------------------------------------------------

    def scan(self) -> list[Path]:
        """The top-level folders that may be case folders; every file under them in self.files."""
        folders = []
        for entry in sorted(os.scandir(self.out), key=lambda e: e.name):
            if entry.name.startswith("."):
                continue  # .locks, PDF staging folders: never part of the archive
            path = Path(entry.path)
            if entry.is_symlink():
                if self._wanted(entry.name):
                    self.add(path, "unlisted", "a symbolic link where a case folder would be; "
                             "the archive holds real folders only (remove the link)")
                continue
            if not entry.is_dir():
                continue  # the register, bundles and other outputs beside the case folders
            folders.append(path)
            if not self._wanted(entry.name):
                continue
            for root, dirs, names in os.walk(path):
                dirs.sort()
                for name in sorted(names) + [d for d in dirs if Path(root, d).is_symlink()]:
                    self.files[Path(root) / name] = None
        return folders

    def _wanted(self, folder_name: str) -> bool:
        return self.only is None or folder_name == self.only

    def manifest(self, folder: Path) -> ManifestRead:
        if folder not in self.manifests:
            self.manifests[folder] = read_leniently(folder)
        return self.manifests[folder]

    # --- the journal ---------------------------------------------------------------------------

    def journal_findings(self, seal: str | None) -> None:
        journal, path = self.journal, self.out / JOURNAL
        for problem in journal.problems:
            self.add(f"{path}:{problem.line}", problem.kind, problem.detail)
        if journal.tail:
            self.add(f"{path}:{journal.count + 1}", "malformed",
                     f"the last line is incomplete ({len(journal.tail)} bytes without an end): "
                     "a run was stopped while writing it; the next draft removes it")
        self.report.seal, self.report.lines = journal.seal, journal.count
        if seal is None:
            return
        line = 0 if seal == "0" * 64 else journal.hashes.get(seal)
        if line is None:
            self.add(path, "seal", f"{seal} is the seal of no line of the journal: the archive "
                     "no longer extends the archive that seal was taken from (lines were "
                     "changed or removed since), or the seal was copied wrongly")
            return
        broken = [p for p in journal.problems if p.line <= line]
        if broken:
            self.add(path, "seal", f"{seal} is the seal of line {line}, but the journal is "
                     f"damaged at line {broken[0].line}, before it: the archive does not "
                     "extend the sealed one intact")
            return
        self.report.seal_line = line

    # --- each case the journal records ---------------------------------------------------------

    def locate(self, case_id: str, folders: list[Path]) -> Path | None:
        """Where case `case_id`'s folder is: its own name, or (renamed, moved) the folder whose
        manifest says it is that case."""
        own = self.out / case_id
        if own.is_dir() and not own.is_symlink():
            return own
        for folder in folders:
            candidates = [folder] + sorted(p.parent for p in folder.rglob(MANIFEST)
                                           if p.parent != folder)
            for candidate in candidates:
                if candidate.name == case_id and candidate.parent == self.out:
                    continue
                if self.manifest(candidate).case_id == case_id:
                    return candidate
        return None

    def case(self, case_id: str, recorded: list[Recorded], folders: list[Path]) -> None:
        own = self.out / case_id
        files = [r for r in recorded if entry_file(r.entry)]
        folder = self.locate(case_id, folders)
        if folder is None:
            if files:
                span = f"lines {recorded[0].n}-{recorded[-1].n}" if len(recorded) > 1 else \
                    f"line {recorded[0].n}"
                self.add(own, "missing", f"case {case_id}'s folder is gone: it held "
                         f"{len(files)} archived file{'s' if len(files) != 1 else ''} (journal "
                         f"{span}); restore it from backup")
            return
        if folder != own:
            kind = "renamed" if folder.parent == self.out else "moved"
            self.add(own, kind, f"case {case_id}'s folder is now {folder}; "
                     f"{'rename' if kind == 'renamed' else 'move'} it back to {own}")
        self.claimed.add(folder / MANIFEST)
        self.check_manifest(case_id, folder, recorded)
        for r in files:
            name, sha256 = entry_file(r.entry)
            path = folder / name
            self.claimed.add(path)
            wrong = file_problem(path, sha256)
            if wrong is None:
                self.report.checked += 1
            elif wrong[0] == "missing":
                self.absent.append((path, sha256, r))
            else:
                self.report.checked += 1
                self.add(path, wrong[0], f"{wrong[1]} for {_ref(r.entry)} (journal line {r.n})")

    def check_manifest(self, case_id: str, folder: Path, recorded: list[Recorded]) -> None:
        found = self.manifest(folder)
        path = found.path
        if not found.exists:
            self.add(path, "missing", f"the journal records {len(recorded)} entr"
                     f"{'ies' if len(recorded) != 1 else 'y'} for case {case_id}; the next "
                     "'letters draft' of the case restores the manifest from the journal")
            return
        for position, problem in found.problems:
            self.add(path, "malformed", (f"entry {position}: " if position else "") + problem)
        if found.case_id is not None and found.case_id != case_id:
            self.add(path, "altered", f"says it is the manifest of case {found.case_id}; the "
                     f"journal records this folder as case {case_id}")
        expected = {canonical(r.entry): r for r in recorded}
        by_file = {entry_file(r.entry)[0]: r for r in recorded if entry_file(r.entry)}
        present: set[str] = set()
        for position, entry in found.entries:
            if entry is None:
                continue
            text = canonical(entry)
            if text in expected:
                present.add(text)
                continue
            what = entry_file(entry)
            twin = by_file.get(what[0]) if what else None
            if twin is not None:
                present.add(canonical(twin.entry))
                self.add(path, "altered", f"entry {position} ({_ref(entry)}) is not what "
                         f"journal line {twin.n} records: {_differing(entry, twin.entry)} "
                         "changed")
            else:
                self.add(path, "added", f"entry {position} ({_ref(entry)}) was never recorded "
                         "in the journal (written by hand, or copied from another archive)")
        for text, r in expected.items():
            if text not in present:
                self.add(path, "missing", f"has no entry for {_ref(r.entry)} (journal line "
                         f"{r.n}): removed, or a run stopped before it finished; the next "
                         "'letters draft' of the case restores it from the journal")

    def missing_files(self) -> None:
        """Recorded files not at their place: found elsewhere by their hash, or missing.

        Run once every case has claimed the files at their places, so each file that is left
        is hashed once."""
        if not self.absent:
            return
        by_hash: dict[str, list[Path]] = defaultdict(list)
        for other in self.files:
            if other in self.claimed or other.name == MANIFEST or other.is_symlink() \
                    or not other.is_file():  # a pipe or device would block the read
                continue
            try:
                by_hash[sha256_file(other)].append(other)
            except OSError:
                continue
        for path, sha256, r in self.absent:
            found = [p for p in by_hash.get(sha256, []) if p not in self.claimed]
            if not found:
                self.add(path, "missing", f"archived for {_ref(r.entry)} (journal line "
                         f"{r.n}), not found; restore it from backup")
                continue
            other = min(found, key=lambda p: (p.parent != path.parent, str(p)))
            self.claimed.add(other)
            kind = "renamed" if other.parent == path.parent else "moved"
            self.add(path, kind, f"archived for {_ref(r.entry)} (journal line {r.n}), now at "
                     f"{other}; {'rename' if kind == 'renamed' else 'move'} it back")

    # --- folders the journal does not record ---------------------------------------------------

    def stranger(self, folder: Path) -> None:
        found = self.manifest(folder)
        if not found.exists:
            return
        self.claimed.add(found.path)
        listed = [e for e in found.valid() if entry_file(e)]
        for entry in listed:
            self.claimed.add(folder / entry_file(entry)[0])
        self.add(found.path, "added", f"case {found.case_id or folder.name} is not in the "
                 f"journal: its {len(found.entries)} entr{'ies' if len(found.entries) != 1 else 'y'}"
                 " were never recorded (copied in from another archive, or archived before the "
                 f"journal: 'letters verify --adopt {self.out}')")

    def unlisted(self) -> None:
        for path in self.files:
            if path in self.claimed:
                continue
            if path.name.startswith(TEMP_PREFIX):
                detail = ("a temporary file left by a run that was stopped; the next draft of "
                          "the case removes it")
            elif path.name == MANIFEST and path.parent.parent != self.out:
                detail = "a manifest inside a case folder; the archive keeps none there"
            else:
                detail = ("not in the archive: no journal line or manifest entry lists it "
                          "(added by hand, or left by a run that was killed before recording "
                          "it; the next draft of the same letter takes it in)")
            self.add(path, "unlisted", detail)

    # --- before the journal ----------------------------------------------------------------------

    def unjournaled(self, folder: Path) -> None:
        """An archive from before the journal: each manifest against its files, as then."""
        found = self.manifest(folder)
        if not found.exists:
            return
        self.claimed.add(found.path)
        for position, problem in found.problems:
            self.add(found.path, "malformed", (f"entry {position}: " if position else "")
                     + problem)
        for entry in found.valid():
            what = entry_file(entry)
            if what is None:
                continue
            path = folder / what[0]
            self.claimed.add(path)
            wrong = file_problem(path, what[1])
            if wrong is None or wrong[0] != "missing":
                self.report.checked += 1
            if wrong is not None:
                self.add(path, wrong[0], f"{wrong[1]} (recorded for {_ref(entry)} in the "
                         "manifest)")


def verify(out_dir: Path, *, case_id: str | None = None, seal: str | None = None) -> Report:
    """Check the archive in `out_dir` (or only what concerns `case_id`, and the journal)."""
    if not out_dir.is_dir():
        raise ArchiveError(f"{out_dir}: no such folder; name the folder letters were drafted "
                           "into (default: output)")
    if seal is not None and not SEAL.fullmatch(seal):
        raise ArchiveError(f"{seal!r} is not a seal: a seal is the 64 letters and digits "
                           "'letters verify' printed")
    try:
        return _verify(out_dir, case_id, seal)
    except OSError as exc:  # the archive's own folders unreadable: not a finding, a stop
        raise ArchiveError(f"cannot read the archive {out_dir}: {exc.strerror or exc} "
                           f"({exc.filename or out_dir})") from None


def _verify(out_dir: Path, case_id: str | None, seal: str | None) -> Report:
    with archive_locked(out_dir, shared=True):
        journal = Journal(out_dir / JOURNAL).refresh()
        check = _Check(out_dir, journal, case_id)
        check.journal_findings(seal)
        folders = check.scan()
        if not journal.exists:
            if unadopted_manifests(out_dir):
                check.add(out_dir / JOURNAL, "missing", "the archive has no journal: its "
                          "letters were archived by an earlier version of the program. Check "
                          "the problems below, if any, then run 'letters verify --adopt "
                          f"{out_dir}' once to start the journal")
            for folder in folders:
                if check._wanted(folder.name):
                    check.unjournaled(folder)
        else:
            for cid, recorded in journal.by_case.items():
                if case_id is None or cid == case_id:
                    check.case(cid, recorded, folders)
            located = {p.parent for p in check.claimed if p.name == MANIFEST}
            for folder in folders:
                if folder not in located and check._wanted(folder.name) \
                        and folder.name not in journal.by_case:
                    check.stranger(folder)
            check.missing_files()
        check.unlisted()
    return check.report


@dataclass
class Adopted:
    entries: int = 0
    cases: int = 0
    refused: list[Finding] = field(default_factory=list)


def adopt(out_dir: Path) -> Adopted:
    """Start the journal of an archive written before it: a line (event "adopted") for every
    manifest entry not yet in the journal whose file is there with its recorded SHA-256.

    A case with any problem (a manifest that cannot be read, a file missing or altered, a folder
    not named after its case) is not adopted at all; its problems are returned, to be mended
    from backup before adopting again. Entries already in the journal are left as they are.
    """
    if not out_dir.is_dir():
        raise ArchiveError(f"{out_dir}: no such folder; name the folder letters were drafted "
                           "into (default: output)")
    done = Adopted()
    with archive_locked(out_dir):
        journal = Journal(out_dir / JOURNAL).refresh()
        if journal.problems:
            first = journal.problems[0]
            raise ArchiveError(f"{journal.path}:{first.line}: {first.kind}: {first.detail}; "
                               "the journal is damaged, so nothing was adopted. Restore it from "
                               "backup.")
        lines: list[tuple[str, AnyEntry, str]] = []
        taken: dict[str, int] = defaultdict(int)
        for folder in sorted(p for p in out_dir.iterdir()
                             if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")):
            found = read_leniently(folder)
            if not found.exists:
                continue
            wrong = [Finding(found.path, "malformed", (f"entry {n}: " if n else "") + problem)
                     for n, problem in found.problems]
            if found.case_id is not None and found.case_id != folder.name:
                wrong.append(Finding(found.path, "renamed", f"is case {found.case_id}'s "
                                     f"manifest, in a folder named {folder.name}"))
            recorded = {canonical(r.entry) for r in journal.entries_for(folder.name)}
            new = [e for e in found.valid() if canonical(e) not in recorded]
            for entry in new:
                what = entry_file(entry)
                if what is None:
                    continue
                if f"{folder.name}/{what[0]}" in journal.by_file:
                    wrong.append(Finding(folder / what[0], "altered", "the journal already "
                                         f"records this file with another entry ({_ref(entry)})"))
                    continue
                problem = file_problem(folder / what[0], what[1])
                if problem is not None:
                    wrong.append(Finding(folder / what[0], problem[0],
                                         f"{problem[1]} (recorded for {_ref(entry)})"))
            if wrong:
                done.refused += wrong
                continue
            for entry in new:
                lines.append((folder.name, entry, "adopted"))
                taken[folder.name] += 1
        if lines:
            journal.append(lines, sync=True)
    done.entries, done.cases = len(lines), len(taken)
    return done


def damaged_archive(report: Report, what: str, out_dir: Path) -> ArchiveError:
    """The error `register` and `bundle` give for an archive that does not add up."""
    count = len(report.findings)
    return ArchiveError(
        f"the archive does not add up ({count} problem{'s' if count != 1 else ''}), so no "
        f"{what} was made:\n" + "\n".join(str(f) for f in report.findings)
        + f"\nRun 'letters verify {out_dir}' for the whole picture; restore what is missing or "
        "altered from backup.")
