"""Committing to the archive: files, journal lines and manifest entries go in together or not at
all, and a case's manifest is checked against the journal before anything is added to it.

The order of a commit, under the archive lock (archive/store.py `archive_locked`) with Ctrl-C and
SIGTERM held until it is whole:

1. each new file is linked into its case folder (read-only, archive/store.py `write_new`);
2. a journal line for each new manifest entry is appended (archive/journal.py);
3. the case's manifest is replaced whole, old entries plus the new.

If any step fails (a full disk, a read-only folder), the steps before it are taken back: the
journal is cut back to where it was, the new files are removed, and a case folder the commit
made is removed again, so the archive is as it was and the message can say so. Once the manifest
is replaced the commit is whole, whatever happens next. A hard kill (SIGKILL, a power cut) between
steps leaves what archive/journal.py describes; `reconcile` completes it on the next draft of the
case, and `letters verify` reports it until then.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.archive.journal import JOURNAL, Journal, Recorded, canonical, entry_file
from pipeline.archive.manifest import MANIFEST, AnyEntry, Manifest, read_leniently
from pipeline.archive.store import (
    LETTER_MODE,
    LOCKS,
    archive_locked,
    make_folder,
    masked,
    refuse_link,
    sha256_file,
    write_new,
)
from pipeline.errors import ArchiveError


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while files and their manifest entries are committed (a few ms).

    A signal arriving then is delivered once the commit is whole, so an interrupted run never
    leaves a letter without its manifest entry, nor an entry without its letter.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def file_problem(path: Path, sha256: str) -> tuple[str, str] | None:
    """(kind, what) when the archived file at `path` is not the one recorded with `sha256`
    (kind "missing", "altered" or "unreadable"), else None."""
    if path.is_symlink():
        return "altered", "replaced by a symbolic link"
    if not path.exists():
        return "missing", "not found"
    if not path.is_file():
        return "altered", "replaced by a folder or device"
    try:
        actual = sha256_file(path)
    except OSError as exc:
        return "unreadable", f"cannot be read ({exc.strerror or exc})"
    if actual != sha256:
        return "altered", "its SHA-256 is not the one archived"
    return None


def _read_only(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def unadopted_manifests(out_dir: Path) -> list[Path]:
    return sorted(p for p in out_dir.glob(f"*/{MANIFEST}") if not p.parent.name.startswith("."))


@dataclass
class CaseState:
    """A case's manifest as the journal says it must be, and what was mended to get there."""

    manifest: Manifest
    notes: list[str] = field(default_factory=list)


class Archive:
    """One output folder: its journal (read once per process, then as it grows) and commits."""

    def __init__(self, out_dir: Path):
        self.out = out_dir
        self.journal = Journal(out_dir / JOURNAL)

    @classmethod
    def open(cls, out_dir: Path) -> Archive:
        """The archive in `out_dir`, made if need be, checked to be one the program can add to.

        ArchiveError (exit 1) for an output folder that is a file, cannot be written (read-only,
        no permission), holds a link where a folder must be, a damaged journal, or letters
        archived before the journal that have not been adopted yet.
        """
        if out_dir.exists() and not out_dir.is_dir():
            raise ArchiveError(f"{out_dir} is a file, not a folder; name the folder for the "
                               "letters with --out")
        try:
            out_dir.mkdir(parents=True, exist_ok=True, mode=0o755)
        except OSError as exc:
            raise ArchiveError(f"cannot make the folder {out_dir}: {exc.strerror or exc}"
                               ) from None
        # Once, before any case is drafted (rather than a "read-only" error for every case of a
        # batch); nothing is written yet, so a batch of invalid cases leaves OUT empty.
        if not os.access(out_dir, os.W_OK | os.X_OK):
            reason = "it is read-only" if _read_only(out_dir) else "permission denied"
            raise ArchiveError(f"cannot write in {out_dir}: {reason}; name another folder with "
                               "--out, or ask whoever manages the computer")
        refuse_link(out_dir / LOCKS)
        archive = cls(out_dir)
        archive.journal.refresh()
        archive.check_journal()
        if not archive.journal.exists:
            old = unadopted_manifests(out_dir)
            if old:
                raise ArchiveError(
                    f"{out_dir} holds letters archived before the archive kept a journal "
                    f"({len(old)} case folder{'s' if len(old) != 1 else ''}). Adopt them once "
                    f"with 'letters verify --adopt {out_dir}', which checks every file and "
                    "starts the journal; then draft again.")
        return archive

    def check_journal(self) -> None:
        if self.journal.problems:
            first = self.journal.problems[0]
            more = len(self.journal.problems) - 1
            raise ArchiveError(
                f"{self.journal.path}:{first.line}: {first.kind}: {first.detail}"
                + (f" (and {more} more problem{'s' if more != 1 else ''})" if more else "")
                + ". The journal is the archive's proof, so nothing is added to a damaged one: "
                "restore it from backup. 'letters verify' lists every problem.")

    # --- a case's manifest, checked against the journal ----------------------------------------

    def reconcile(self, folder: Path, case_id: str) -> CaseState:
        """The case's manifest, after checking it and the case's files against the journal.

        Entries the journal records but the manifest lacks (a run killed between the journal
        and the manifest, or entries deleted by hand, or the whole manifest) are restored from
        the journal, and a note says so. Anything else that differs (an entry added, altered or
        malformed, a file missing or altered) is an ArchiveError naming each problem: nothing
        is drafted for the case until the folder is restored.
        """
        self.journal.refresh()
        self.check_journal()
        recorded = self.journal.entries_for(case_id)
        found = read_leniently(folder)
        problems = self._differences(folder, case_id, found, recorded)
        if problems:
            hint = (f"Restore {folder} from backup; 'letters verify {self.out}' lists every "
                    "problem in the archive.")
            if not recorded and found.valid():
                hint = (f"The journal has no record of case {case_id}: if its letters were "
                        "drafted before the archive kept a journal, or copied in from another "
                        f"archive, adopt them with 'letters verify --adopt {self.out}'.")
            raise ArchiveError(
                f"the archive of case {case_id} does not match its journal, so nothing was "
                "drafted for it:\n" + "\n".join(f"  {p}" for p in problems) + "\n" + hint)
        manifest = Manifest(folder / MANIFEST, case_id, [r.entry for r in recorded])
        state = CaseState(manifest)
        have = {canonical(e) for e in found.valid()}
        missing = [r for r in recorded if canonical(r.entry) not in have]
        if missing:
            with signals_held(), archive_locked(self.out):
                make_folder(folder)
                manifest.rewrite(manifest.entries)
            lines = ", ".join(str(r.n) for r in missing[:5]) + (", ..." if len(missing) > 5
                                                                  else "")
            state.notes.append(
                f"{case_id}: restored {len(missing)} manifest entr"
                f"{'ies' if len(missing) != 1 else 'y'} from the journal (lines {lines}): the "
                f"manifest {'was missing' if not found.exists else 'lacked them'} (a run "
                "stopped before it finished, or they were removed by hand)")
        return state

    def _differences(self, folder: Path, case_id: str, found, recorded: list[Recorded]
                     ) -> list[str]:
        problems: list[str] = []
        shown = folder / MANIFEST
        for position, problem in found.problems:
            problems.append(f"{shown}: " + (f"entry {position}: " if position else "") + problem)
        if found.case_id is not None and found.case_id != case_id:
            problems.append(f"{shown}: is the manifest of case {found.case_id}, not {case_id}")
        expected = {canonical(r.entry) for r in recorded}
        for position, entry in found.entries:
            if entry is not None and canonical(entry) not in expected:
                what = entry_file(entry)
                problems.append(f"{shown}: entry {position}"
                                + (f" ({what[0]})" if what else "")
                                + " is not the one the journal records (added or altered)")
        for r in recorded:
            what = entry_file(r.entry)
            if what is None:
                continue
            wrong = file_problem(folder / what[0], what[1])
            if wrong is not None:
                problems.append(f"{folder / what[0]}: {wrong[0]}: {wrong[1]} (journal line "
                                f"{r.n})")
        return problems

    # --- the commit ----------------------------------------------------------------------------

    def commit(self, folder: Path, manifest: Manifest, files: list[tuple[Path, bytes]],
               entries: list[AnyEntry], *, sync: bool, events: dict[int, str] | None = None
               ) -> list[str]:
        """Archive `files` (new, or already there with the same bytes) with `entries`, in the
        order of the module docstring; all or nothing. Returns notes for the user."""
        if not entries:
            return []
        with signals_held(), archive_locked(self.out):
            made_folder = make_folder(folder)
            created: list[Path] = []
            appended = None
            try:
                for target, data in files:
                    if target.exists() or target.is_symlink():
                        refuse_link(target)
                        # Left by a run killed before its journal line (the caller chose this
                        # name because the bytes are the same): now it is archived.
                        target.chmod(masked(LETTER_MODE))
                        continue
                    created.append(target)  # before the link: an interruption is undone too
                    try:
                        write_new(target, data, sync=sync, mode=LETTER_MODE)
                    except ArchiveError:
                        created.remove(target)  # not linked: never ours to take back
                        raise
                events = events or {}
                appended = self.journal.append(
                    [(manifest.case_id, e, events.get(i)) for i, e in enumerate(entries)],
                    sync=sync)
                manifest.save(entries, sync=sync)
            except BaseException:
                if manifest.on_disk():
                    raise  # the manifest was replaced: the commit is whole
                if appended is not None:
                    appended.undo()
                for target in created:
                    with contextlib.suppress(OSError):
                        target.unlink()
                if made_folder:
                    with contextlib.suppress(OSError):
                        folder.rmdir()
                raise
            finally:
                if appended is not None:
                    appended.close()
        notes, self.journal.notes = self.journal.notes, []
        return notes

    def manifest_path(self, case_id: str) -> Path:
        return self.out / case_id / MANIFEST
