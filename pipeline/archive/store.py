"""The archive's storage: atomic no-clobber writes, file names, and one lock per case.

Layout: ``OUT/<case_id>/<case_id>-NN-<kind>[-<platform>][-vN].docx`` beside
``OUT/<case_id>/manifest.json``. A letter's number NN is fixed the first time its kind (and
platform) is drafted for the case and is never given to another letter; a changed letter is a new
version (``-v2``) with a new manifest entry, and earlier files are never modified or deleted.

Every write goes to a temporary file in the target folder first. A new letter is then linked into
place (``os.link`` fails rather than replace an existing file); the manifest (archive/manifest.py)
is replaced whole (``os.replace``) with the old entries plus the new ones. One lock per case (see
``locked``) serialises concurrent runs, so no entry is lost.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from pipeline.errors import ArchiveError

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


def _temp_in(folder: Path, data: bytes, *, sync: bool = True) -> Path:
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


def write_new(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Create `path` with `data` atomically; never replaces an existing file.

    sync=False leaves flushing to disk to the caller (a batch syncs once at its end).
    """
    temp = _temp_in(path.parent, data, sync=sync)
    try:
        os.link(temp, path)
    except FileExistsError:
        raise ArchiveError(f"{path} already exists and differs; it is never overwritten") from None
    except OSError as exc:
        raise ArchiveError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)


def replace_atomically(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Write `path` whole or not at all (used for the manifest and registers)."""
    temp = _temp_in(path.parent, data, sync=sync)
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


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold a case's lock: one run at a time reads and extends its manifest.

    The lock is an flock on OUT/.locks/<case>.lock, which is never deleted (deleting a lock file
    while another run waits on it would let a third run in), so a run that writes nothing
    leaves no case folder. Case ids are compared without regard to capitals, as a
    case-insensitive disk compares folder names. The lock is released when its file is closed,
    so a killed run never leaves a case locked.
    """
    path = folder.parent / LOCKS / f"{folder.name.casefold()}.lock"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # 0o666 less the umask, as for any file the office makes: a colleague's run can lock.
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        raise ArchiveError(f"cannot write in {folder.parent}: {exc.strerror or exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError as exc:
        os.close(fd)
        raise ArchiveError(f"cannot lock case {folder.name} ({path}): {exc.strerror or exc}"
                           ) from None
    try:
        yield
    finally:
        os.close(fd)


def letter_filename(case_id: str, number: int, key: str, version: int, *, ext: str = "docx") -> str:
    suffix = f"-v{version}" if version > 1 else ""
    return f"{case_id}-{number:02d}-{key}{suffix}.{ext}"


