"""The archive's storage: atomic no-clobber writes, file modes, file names, and locks.

Layout: ``OUT/<case_id>/<case_id>-NN-<kind>[-<platform>][-vN].docx`` beside
``OUT/<case_id>/manifest.json``, and one journal for the whole archive, ``OUT/journal.jsonl``
(archive/journal.py). A letter's number NN is fixed the first time its kind (and platform) is
drafted for the case and is never given to another letter; a changed letter is a new version
(``-v2``) with a new manifest entry, and earlier files are never modified or deleted.

Every write goes to a temporary file in the target folder first. A new letter is then linked into
place (``os.link`` fails rather than replace an existing file); the manifest (archive/manifest.py)
is replaced whole (``os.replace``) with the old entries plus the new ones. One lock per case (see
``locked``) serialises concurrent runs of a case, and one lock for the archive
(``archive_locked``) serialises commits, so no entry is lost and `letters verify` sees no commit
half done.

Modes follow the umask, as any file the office makes does: an archived letter or PDF is
read-only for everyone (0444, so Word asks to "Save As" rather than alter the archived draft);
manifests, the journal and the office's own outputs are 0644; folders 0755. A colleague in the
same group can read the archive whatever umask the writer had, unless the umask itself hides
files from the group.

Nothing is written through a symbolic link: OUT/.locks, a case folder or the journal that is a
link is refused, so the tool never writes outside OUT.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from pipeline.errors import ArchiveError

LOCKS = ".locks"
TEMP_PREFIX = ".tmp-"
ARCHIVE_LOCK = "journal.lock"

LETTER_MODE = 0o444  # an archived letter, PDF or other copy: never changed in place
RECORD_MODE = 0o644  # the manifest, the journal, registers and bundles
FOLDER_MODE = 0o755


def umask() -> int:
    """The process's umask (os.umask can only be read by setting it; it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def masked(mode: int) -> int:
    return mode & ~umask()


def make_folder(path: Path, *, parents: bool = False) -> bool:
    """Make `path` (mode 0755 less the umask) unless it is there; True if this call made it.

    A symbolic link, or anything but a folder, where the folder should be is an ArchiveError.
    """
    try:
        if parents and not path.parent.exists():
            path.parent.mkdir(FOLDER_MODE, parents=True, exist_ok=True)
        path.mkdir(FOLDER_MODE)
        return True
    except FileExistsError:
        pass
    except OSError as exc:
        raise ArchiveError(f"cannot make the folder {path}: {exc.strerror or exc}") from None
    refuse_link(path)
    if not path.is_dir():
        raise ArchiveError(f"{path} is a file, not a folder; move it out of the way or name "
                           "another output folder with --out")
    return False


def refuse_link(path: Path) -> None:
    """An ArchiveError if `path` is a symbolic link: the archive is never written through one."""
    if path.is_symlink():
        raise ArchiveError(f"{path} is a symbolic link; the archive never writes through a link "
                           "(it could lead outside the output folder). Replace it with a real "
                           "folder, or move it away.")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def case_folder(out_dir: Path, case_id: str) -> Path:
    """OUT/<case_id>, checked to stay inside OUT whatever the id says, and not a link."""
    out = out_dir.resolve()
    if case_id in ("", ".", "..") or "/" in case_id or "\\" in case_id:
        raise ArchiveError(f"case id {case_id!r} would write outside {out_dir}; refusing")
    folder = out / case_id
    refuse_link(folder)
    if folder.resolve().parent != out:
        raise ArchiveError(f"case id {case_id!r} would write outside {out_dir}; refusing")
    return folder


def _temp_in(folder: Path, data: bytes, *, sync: bool = True, mode: int = RECORD_MODE) -> Path:
    try:
        fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=folder)
    except OSError as exc:
        raise ArchiveError(f"cannot write in {folder}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            # mkstemp makes 0600, which a colleague cannot read; the file gets its final mode
            # before it is linked into place, so it is never seen writable.
            os.fchmod(handle.fileno(), masked(mode))
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


def write_new(path: Path, data: bytes, *, sync: bool = True, mode: int = RECORD_MODE) -> None:
    """Create `path` with `data` atomically, `mode` less the umask; never replaces a file.

    sync=False leaves flushing to disk to the caller (a batch syncs once at its end).
    """
    temp = _temp_in(path.parent, data, sync=sync, mode=mode)
    try:
        os.link(temp, path)
    except FileExistsError:
        raise ArchiveError(f"{path} already exists and differs; it is never overwritten") from None
    except OSError as exc:
        raise ArchiveError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)


def replace_atomically(path: Path, data: bytes, *, sync: bool = True,
                       mode: int = RECORD_MODE) -> None:
    """Write `path` whole or not at all, `mode` less the umask (the manifest, registers)."""
    if path.is_dir():
        raise ArchiveError(f"{path} is a folder; name a file to write")
    temp = _temp_in(path.parent, data, sync=sync, mode=mode)
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
    if folder.is_symlink() or not folder.is_dir():
        return
    for temp in folder.glob(TEMP_PREFIX + "*"):
        if temp.is_file() and not temp.is_symlink():
            with contextlib.suppress(OSError):
                temp.unlink()


def _lock_fd(out_dir: Path, name: str, *, shared: bool = False) -> int | None:
    """An open descriptor of OUT/.locks/<name>, or None when a reader cannot make it."""
    locks = out_dir / LOCKS
    path = locks / name
    try:
        if not shared:
            make_folder(locks, parents=True)
        else:
            refuse_link(locks)
        # 0o666 less the umask, as for any file the office makes: a colleague's run can lock.
        flags = os.O_CLOEXEC | os.O_NOFOLLOW
        if shared:
            return os.open(path, os.O_RDONLY | flags)
        return os.open(path, os.O_RDWR | os.O_CREAT | flags, 0o666)
    except OSError as exc:
        if shared:
            return None  # a reader that may not write: it reads without the lock
        if exc.errno == errno.ELOOP:
            refuse_link(path)
        raise ArchiveError(f"cannot write in {out_dir}: {exc.strerror or exc}") from None


@contextlib.contextmanager
def _flocked(fd: int | None, what: str, path: Path, *, shared: bool = False) -> Iterator[None]:
    if fd is None:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
    except OSError as exc:
        os.close(fd)
        raise ArchiveError(f"cannot lock {what} ({path}): {exc.strerror or exc}") from None
    try:
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def archive_locked(out_dir: Path, *, shared: bool = False) -> Iterator[None]:
    """Hold the archive's lock (OUT/.locks/journal.lock): a commit (letters, journal lines,
    manifest) holds it exclusively, `letters verify` shared, so verify never sees a commit half
    done. Taken after a case's lock, never before, so no two runs wait on each other."""
    fd = _lock_fd(out_dir, ARCHIVE_LOCK, shared=shared)
    with _flocked(fd, "the archive", out_dir / LOCKS / ARCHIVE_LOCK, shared=shared):
        yield


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold a case's lock: one run at a time reads and extends its manifest.

    The lock is an flock on OUT/.locks/<case>.lock, which is never deleted (deleting a lock file
    while another run waits on it would let a third run in), so a run that writes nothing
    leaves no case folder. Case ids are compared without regard to capitals, as a
    case-insensitive disk compares folder names. The lock is released when its file is closed,
    so a killed run never leaves a case locked.
    """
    name = f"{folder.name.casefold()}.lock"
    fd = _lock_fd(folder.parent, name)
    with _flocked(fd, f"case {folder.name}", folder.parent / LOCKS / name):
        yield


def letter_filename(case_id: str, number: int, key: str, version: int, *, ext: str = "docx") -> str:
    suffix = f"-v{version}" if version > 1 else ""
    return f"{case_id}-{number:02d}-{key}{suffix}.{ext}"


