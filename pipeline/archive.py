"""The archive: atomic no-clobber writes, the append-only manifest, and its lock.

Layout: ``OUT/<case_id>/<case_id>-NN-<kind>[-<platform>][-vN].docx`` beside
``OUT/<case_id>/manifest.json``. A letter's number NN is fixed the first time its kind (and
platform) is drafted for the case and is never given to another letter; a changed letter is a new
version (``-v2``) with a new manifest entry, and earlier files are never modified or deleted.

Every write goes to a temporary file in the target folder first. A new letter is then linked into
place (``os.link`` fails rather than replace an existing file); the manifest is replaced whole
(``os.replace``) with the old entries plus the new ones. One lock per case (see ``locked``)
serialises concurrent runs, so no entry is lost.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import struct
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import ArchiveError

MANIFEST = "manifest.json"
LOCKS = ".locks"
TEMP_PREFIX = ".tmp-"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def case_folder(out_dir: Path, case_id: str) -> Path:
    """OUT/<case_id>, checked to stay inside OUT whatever the id says."""
    out = out_dir.resolve()
    folder = (out / case_id).resolve()
    if folder.parent != out:
        raise ArchiveError(f"case id {case_id!r} would write outside {out_dir}; refusing")
    return folder


def _temp_in(folder: Path, data: bytes, sync: bool = True) -> Path:
    try:
        fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=folder)
    except OSError as exc:
        raise ArchiveError(f"cannot write in {folder}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(name)
        if isinstance(exc, OSError):
            raise ArchiveError(f"cannot write in {folder}: {exc.strerror or exc} (is the disk "
                               "full?); nothing was changed") from None
        raise
    return Path(name)


def write_new(path: Path, data: bytes, sync: bool = True) -> None:
    """Create `path` with `data` atomically; never replaces an existing file.

    sync=False leaves flushing to disk to the caller (a batch syncs once at its end).
    """
    temp = _temp_in(path.parent, data, sync)
    try:
        os.link(temp, path)
    except FileExistsError:
        raise ArchiveError(f"{path} already exists and differs; it is never overwritten") from None
    except OSError as exc:
        raise ArchiveError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)


def replace_atomically(path: Path, data: bytes, sync: bool = True) -> None:
    """Write `path` whole or not at all (used for the manifest and registers)."""
    temp = _temp_in(path.parent, data, sync)
    try:
        os.replace(temp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(exc, OSError):
            raise ArchiveError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise


def remove_stale_temps(folder: Path) -> None:
    """Temporary files left by a run that was killed; they were never part of the archive."""
    for temp in folder.glob(TEMP_PREFIX + "*"):
        with contextlib.suppress(OSError):
            temp.unlink()


# Linux's open-file-description locks: a lock on one byte of a file, owned by the open file
# (like flock), so one lock file can serve every case. Elsewhere, one flock'd file per case.
_BYTE_LOCKS = hasattr(fcntl, "F_OFD_SETLKW")
ARCHIVE_LOCK = "archive.lock"
# What a file system or kernel without byte locks answers (WSL1, some network and FUSE mounts).
# Not ENOLCK: that can mean "none left for now", and a run that fell back to a lock file then
# would not see a run holding the byte lock of the same case.
_NO_BYTE_LOCKS = {errno.EINVAL, errno.EOPNOTSUPP, errno.ENOSYS}


def _lock_byte(fd: int, key: str) -> None:
    """Wait for, then hold, the byte of the archive's lock file that stands for this case."""
    offset = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:7], "big")
    # struct flock: l_type, l_whence, l_start, l_len, l_pid (0, as OFD locks require), padding.
    request = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, offset, 1, 0)
    fcntl.fcntl(fd, fcntl.F_OFD_SETLKW, request)


def _open_lock_file(path: Path) -> int:
    try:
        try:
            return os.open(path, os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            # 0o666 less the umask, as for any file the office makes: a colleague's run can lock.
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        raise ArchiveError(f"cannot write in {path.parent.parent}: {exc.strerror or exc}"
                           ) from None


def _hold(fd: int, take: Callable[[int], None], what: str) -> int:
    """Take a lock on `fd` (waiting for it); on any failure the file is closed again."""
    try:
        take(fd)
    except BaseException as exc:
        os.close(fd)
        if isinstance(exc, OSError):
            raise _LockFailed(exc, what) from None
        raise
    return fd


class _LockFailed(Exception):
    def __init__(self, error: OSError, what: str):
        super().__init__(what)
        self.error, self.what = error, what


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold a case's lock: one run at a time reads and extends its manifest.

    The lock lives in OUT/.locks/ and is never deleted (deleting a lock file while another run
    waits on it would let a third run in), so a run that writes nothing leaves no case folder.
    On Linux every case locks its own byte of the one file OUT/.locks/archive.lock: creating a
    lock file per case cost as much as writing the letter on a slow disk, and serialised
    parallel workers on the folder they share. Where byte locks are missing, each case has
    OUT/.locks/<case>.lock. Case ids are compared without regard to capitals, as a
    case-insensitive disk compares folder names. The lock is released when its file is closed,
    so a killed run never leaves a case locked.
    """
    locks, key = folder.parent / LOCKS, folder.name.casefold()
    fd = None
    try:
        if _BYTE_LOCKS:
            try:
                fd = _hold(_open_lock_file(locks / ARCHIVE_LOCK),
                           lambda f: _lock_byte(f, key), ARCHIVE_LOCK)
            except _LockFailed as failed:
                if failed.error.errno not in _NO_BYTE_LOCKS:
                    raise
        if fd is None:
            fd = _hold(_open_lock_file(locks / f"{key}.lock"),
                       lambda f: fcntl.flock(f, fcntl.LOCK_EX), f"{key}.lock")
    except _LockFailed as failed:
        raise ArchiveError(f"cannot lock case {folder.name} ({LOCKS}/{failed.what} in "
                           f"{folder.parent}): {failed.error.strerror or failed.error}"
                           ) from None
    try:
        yield
    finally:
        os.close(fd)


@dataclass
class Manifest:
    """The entries of one case's manifest.json, oldest first."""

    path: Path
    case_id: str
    entries: list[dict[str, Any]]

    @classmethod
    def read(cls, folder: Path, case_id: str) -> Manifest:
        path = folder / MANIFEST
        if not path.exists():
            return cls(path, case_id, [])
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = data["letters"]
            if not isinstance(entries, list):
                raise ValueError("letters is not a list")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ArchiveError(f"{path}: the manifest cannot be read ({exc}); it is needed to "
                               "number letters, so nothing was written. Restore it from backup."
                               ) from None
        return cls(path, case_id, entries)

    def letters(self) -> list[dict[str, Any]]:
        return [e for e in self.entries if e.get("event", "letter") == "letter"]

    def latest(self, key: str) -> dict[str, Any] | None:
        found = [e for e in self.letters() if e["key"] == key]
        return found[-1] if found else None

    def first(self, key: str) -> dict[str, Any] | None:
        return next((e for e in self.letters() if e["key"] == key), None)

    def number_for(self, key: str, pending: list[dict[str, Any]] = ()) -> int:
        """The letter's number: the one it was first given, else the next never used."""
        known = self.first(key) or next((e for e in pending if e["key"] == key), None)
        if known:
            return known["number"]
        return max((e["number"] for e in [*self.letters(), *pending]), default=0) + 1

    def save(self, new_entries: list[dict[str, Any]], sync: bool = True) -> None:
        if not new_entries:
            return
        self.entries = self.entries + new_entries
        body = {"case_id": self.case_id, "format": 1, "letters": self.entries}
        text = json.dumps(body, indent=2, ensure_ascii=False) + "\n"
        replace_atomically(self.path, text.encode("utf-8"), sync)


def letter_filename(case_id: str, number: int, key: str, version: int, ext: str = "docx") -> str:
    suffix = f"-v{version}" if version > 1 else ""
    return f"{case_id}-{number:02d}-{key}{suffix}.{ext}"


@dataclass
class Finding:
    path: Path
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


def verify_folder(folder: Path) -> tuple[int, list[Finding]]:
    """Recompute the hashes one case folder's manifest records: (files checked, problems)."""
    manifest_path = folder / MANIFEST
    try:
        manifest = Manifest.read(folder, folder.name)
    except ArchiveError as exc:
        return 0, [Finding(manifest_path, str(exc))]
    findings: list[Finding] = []
    checked = 0
    for entry in manifest.entries:
        for kind, name in entry.get("files", {}).items():
            expected = entry.get("sha256", {}).get(kind)
            path = folder / name
            checked += 1
            if not path.is_file():
                findings.append(Finding(path, f"missing (recorded for {entry['reference']})"))
            elif expected and sha256_file(path) != expected:
                findings.append(Finding(path, "altered since it was written (SHA-256 does not "
                                              f"match the manifest for {entry['reference']})"))
    return checked, findings


def verify(out_dir: Path) -> tuple[int, list[Finding]]:
    """Recompute every file hash in every manifest under `out_dir`: (files checked, problems)."""
    if not out_dir.is_dir():
        raise ArchiveError(f"{out_dir}: no such folder; name the folder letters were drafted "
                           "into (default: output)")
    checked, findings = 0, []
    for manifest_path in sorted(out_dir.glob(f"*/{MANIFEST}")):
        count, found = verify_folder(manifest_path.parent)
        checked += count
        findings += found
    return checked, findings
