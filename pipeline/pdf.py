"""PDF/A copies of letters through LibreOffice, in chunks of letters per LibreOffice process.

Starting LibreOffice costs far more than converting a letter once it runs, so many letters are
handed to each `soffice --convert-to` call. But not all of them: `soffice` is a launcher
(oosplash) that starts the real program, soffice.bin, and passes it at most 253 arguments
(MAX_ARGS 255 in LibreOffice's sal/osl/unx/process.cxx, less the program name and the end
marker), silently dropping the rest. With our 8 options that is 245 letters; LibreOffice then
converts those, exits 0 and never hears of the others. So letters go in chunks of CHUNK_SIZE
(measured in bench/pdf_chunks.py; see CHUNK_SIZE), one LibreOffice process after another, and
after each chunk every expected PDF is checked; a letter whose PDF is missing is tried once more
on its own before the run gives up with an error naming it.

The chunks share one private user profile (so LibreOffice neither meets a desktop LibreOffice the
office has open nor another run, and pays for its first start once). The profile is seeded with
the version of LibreOffice installed: a profile that has never recorded a version counts as
"upgraded", and LibreOffice then runs its graphics self-test (about 100 drawing tests, 0.6 s
here) before doing anything else. A headless LibreOffice never records the version itself, so
without the seed every run would pay for the self-test again.

No LibreOffice outlives its run: whatever ends the run (a chunk's time limit, an error, Ctrl-C,
SIGTERM, which the CLI turns into KeyboardInterrupt), every process using the run's profile is
killed before the profile is removed. Even a SIGKILLed run takes LibreOffice with it: soffice is
started by a small guard process that the kernel signals when its parent dies (Linux
PR_SET_PDEATHSIG), and the guard then kills soffice's process group. What a SIGKILL cannot clean
up, the staging folder and the profile, carries its owner's pid in its name, and the next run
removes it once that process is gone (`remove_stale_staging`), never while its owner lives.

Emoji: LibreOffice 7.4 cannot draw a colour-emoji font (Noto Color Emoji) into a PDF; it embeds
the font and draws nothing, so a post's emoji would vanish from the PDF copy while still being in
its text layer. Each run therefore gives LibreOffice a fontconfig file that includes the system's
configuration but rejects colour-emoji fonts, so it falls back to a drawable one (Symbola, which
scripts/install-system-deps.sh installs).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import ToolMissing

# PDF/A-2b: SelectPdfVersion 2 in LibreOffice's PDF export filter.
PDF_FILTER = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'

# Letters per LibreOffice process. 245 is the most one process accepts (module docstring); see
# bench/pdf_chunks.py for the measurements behind this choice.
CHUNK_SIZE = 100
# Arguments oosplash passes on to soffice.bin; the rest are dropped without a word.
LAUNCHER_ARG_LIMIT = 253

# Time limit for one LibreOffice process: a base for starting it, plus some for each letter.
BASE_TIMEOUT_S = 60
PER_LETTER_TIMEOUT_S = 3

STAGING_PREFIX = ".tmp-pdf-"
PROFILE_PREFIX = "letters-lo-"
# A staging folder without an owner in its name (made before owners were recorded) is removed
# once nothing in it has changed for this long; one owned by another computer, after this long.
UNOWNED_STALE_AFTER_S = 3600
OTHER_HOST_STALE_AFTER_S = 2 * 86400

_PROFILE_SEED = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" \
xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Setup/Product"><prop oor:name="ooSetupLastVersion" oor:op="fuse">\
<value>{version}</value></prop></item>
</oor:items>
"""
_VERSION_PROP = re.compile(r'<prop oor:name="ooSetupVersion">\s*<value>(\d+\.\d+)</value>')

# Runs soffice (argv[2:]) in a process group of its own and kills that group if the process
# that started the guard (argv[1]) dies, however it dies: the kernel sends the guard SIGTERM then.
_GUARD = r"""
import os, signal, subprocess, sys
child = None
stopping = False
def stop(signum, frame):
    global stopping
    stopping = True
    if child is not None:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except OSError:
            pass
        os._exit(128 + signum)
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGHUP, stop)
try:
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
except Exception:
    pass
if os.getppid() != int(sys.argv[1]):
    sys.exit(125)
child = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, process_group=0)
if stopping:
    stop(signal.SIGTERM, None)
code = child.wait()
os._exit(code if code >= 0 else 128 - code)
"""


def installed_version(soffice: str) -> str | None:
    """LibreOffice's "major.minor" from its own registry (share/registry/main.xcd), if found."""
    program = Path(os.path.realpath(soffice)).parent
    for candidate in (program.parent / "share/registry/main.xcd",
                      program.parent / "Resources/registry/main.xcd"):  # the macOS layout
        try:
            with open(candidate, encoding="utf-8", errors="replace") as handle:
                found = _VERSION_PROP.search(handle.read())
        except OSError:
            continue
        if found:
            return found.group(1)
    return None


def seed_profile(profile: Path, soffice: str) -> None:
    """Mark a fresh profile as having run this LibreOffice already (see the module docstring).

    Without a version to write, the profile is left empty: conversions still work, only slower.
    """
    version = installed_version(soffice)
    if version is None:
        return
    user = profile / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(_PROFILE_SEED.format(version=version),
                                                    encoding="utf-8")


def soffice_path() -> str:
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    raise ToolMissing("PDF copies need LibreOffice, which is not installed here. Install it "
                      "with 'make system-deps' (or: sudo apt-get install libreoffice-writer-nogui"
                      "), or draft without --pdf.")


# --- converting --------------------------------------------------------------------------------


def convert(docx_files: Sequence[Path], out_dir: Path, timeout: float | None = None,
            profile: Path | None = None, *, chunk_size: int = CHUNK_SIZE,
            on_done: Callable[[int, int], None] | None = None,
            on_chunk: Callable[[list[tuple[Path, Path]]], None] | None = None) -> list[Path]:
    """Convert every file, `chunk_size` to a LibreOffice process; returns the PDFs in order.

    Each PDF is `out_dir/<stem>.pdf` (an older file of that name is replaced), so no two files
    may share a stem. After each chunk every PDF is checked (a file starting %PDF- and ending
    %%EOF); one that is missing is converted again on its own, and if it is still missing,
    ToolMissing names the letter and what LibreOffice said. `timeout` is the limit in seconds
    for one LibreOffice process (default: BASE_TIMEOUT_S + PER_LETTER_TIMEOUT_S a letter); a
    process over it is killed and ToolMissing says so. After each chunk, `on_chunk` gets its
    (docx, pdf) pairs, every PDF checked, so a caller can keep them before the next chunk runs
    (an error later then loses only the chunk it happens in), and `on_done(done, total)` the
    number of letters converted so far.

    `profile` is the LibreOffice user profile to use (seeded if it is new); by default a private
    one is made for this run and removed after it. Two runs must never share a profile at once.
    """
    files = [Path(p) for p in docx_files]
    if not files:
        return []
    pdfs = [out_dir / (p.stem + ".pdf") for p in files]
    if len(set(pdfs)) != len(pdfs):
        twice = sorted(p.name for p, n in Counter(pdfs).items() if n > 1)
        raise ValueError(f"two letters would share a PDF name: {', '.join(twice)}")
    soffice = soffice_path()
    most = LAUNCHER_ARG_LIMIT - len(_options(Path("profile"), out_dir))
    if not 1 <= chunk_size <= most:
        raise ValueError(f"chunk_size must be 1 to {most} (LibreOffice drops letters past "
                         f"{most}), not {chunk_size}")
    out_dir.mkdir(parents=True, exist_ok=True)
    if profile is not None:
        _convert_all(soffice, files, pdfs, out_dir, profile, timeout, chunk_size, on_done,
                     on_chunk)
        return pdfs
    _remove_stale(Path(tempfile.gettempdir()), PROFILE_PREFIX, unowned_after=None)
    with tempfile.TemporaryDirectory(prefix=f"{PROFILE_PREFIX}{_owner_tag()}-") as private:
        _convert_all(soffice, files, pdfs, out_dir, Path(private), timeout, chunk_size, on_done,
                     on_chunk)
    return pdfs


def _convert_all(soffice: str, files: list[Path], pdfs: list[Path], out_dir: Path,
                 profile: Path, timeout: float | None, chunk_size: int,
                 on_done: Callable[[int, int], None] | None,
                 on_chunk: Callable[[list[tuple[Path, Path]]], None] | None) -> None:
    if not (profile / "user").exists():
        seed_profile(profile, soffice)
    total = len(files)
    for start in range(0, total, chunk_size):
        chunk = list(zip(files[start:start + chunk_size], pdfs[start:start + chunk_size]))
        for _, pdf in chunk:  # LibreOffice would replace it; it must not pass for a new PDF
            pdf.unlink(missing_ok=True)
        said = _run(soffice, [f for f, _ in chunk], out_dir, profile, timeout,
                    f"letters {start + 1}-{start + len(chunk)} of {total}")
        missing = [(f, pdf) for f, pdf in chunk if not is_pdf(pdf)]
        for docx, pdf in missing:
            pdf.unlink(missing_ok=True)
            again = _run(soffice, [docx], out_dir, profile, timeout, docx.name)
            if not is_pdf(pdf):
                others = len(missing) - 1
                more = f"; {others} other letters of its chunk were missing too" if others else ""
                told = _gist(again, docx) or _gist(said, docx) or "nothing"
                raise ToolMissing(
                    f"LibreOffice made no PDF copy of {docx.name}, even when asked again on "
                    f"its own (LibreOffice said: {told}{more}); try again, or draft without --pdf.")
        if on_chunk is not None:
            on_chunk(chunk)
        if on_done is not None:
            on_done(start + len(chunk), total)


def is_pdf(path: Path) -> bool:
    """Whether `path` is a whole PDF file: it starts with %PDF- and ends with %%EOF."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(5)
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - 1024))
            tail = handle.read()
    except OSError:
        return False
    return head == b"%PDF-" and b"%%EOF" in tail


def _options(profile: Path, out_dir: Path) -> list[str]:
    return [_profile_arg(profile), "--headless", "--norestore", "--nolockcheck",
            "--convert-to", PDF_FILTER, "--outdir", str(out_dir)]


# Fonts LibreOffice must not pick: colour bitmap emoji fonts it embeds but cannot draw.
_REJECTED_FONTS = ("*/NotoColorEmoji*", "*/*ColorEmoji*", "*/*Color-Emoji*")


def fonts_config(profile: Path) -> Path:
    """Write (once) the profile's fontconfig file that hides colour-emoji fonts from LibreOffice.

    It includes the configuration LibreOffice would otherwise use (FONTCONFIG_FILE if the
    environment sets one, else the system's), so every other font is found as before.
    """
    path = profile / "fonts.conf"
    if not path.exists():
        base = os.environ.get("FONTCONFIG_FILE") or "/etc/fonts/fonts.conf"
        rejected = "".join(f"<glob>{glob}</glob>" for glob in _REJECTED_FONTS)
        profile.mkdir(parents=True, exist_ok=True)
        path.write_text(
            '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
            f'<fontconfig><include ignore_missing="yes">{_xml_text(base)}</include>'
            f"<selectfont><rejectfont>{rejected}</rejectfont></selectfont></fontconfig>\n",
            encoding="utf-8")
    return path


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _profile_arg(profile: Path) -> str:
    return f"-env:UserInstallation={profile.resolve().as_uri()}"


def _run(soffice: str, docx_files: Sequence[Path], out_dir: Path, profile: Path,
         timeout: float | None, what: str) -> str:
    """One LibreOffice process over `docx_files`; returns what it printed.

    Whatever happens, no process using `profile` is left running afterwards.
    """
    limit = timeout or BASE_TIMEOUT_S + PER_LETTER_TIMEOUT_S * len(docx_files)
    command = [soffice, *_options(profile, out_dir), *[str(p.absolute()) for p in docx_files]]
    if sys.executable:
        command = [sys.executable, "-I", "-S", "-c", _GUARD, str(os.getpid()), *command]
    try:
        done = subprocess.run(command, check=False, capture_output=True, text=True,
                              timeout=limit, stdin=subprocess.DEVNULL,
                              env={**os.environ, "HOME": str(profile),
                                   "FONTCONFIG_FILE": str(fonts_config(profile))})
    except subprocess.TimeoutExpired:
        raise ToolMissing(f"LibreOffice stopped responding while converting {what} and was "
                          f"stopped after {limit:.0f} seconds; try again, or draft without "
                          "--pdf.") from None
    finally:
        stop_libreoffice(profile)
    return "\n".join(s for s in (done.stdout, done.stderr) if s)


def _gist(output: str, docx: Path) -> str:
    """The lines of LibreOffice's output about `docx` or an error, else its last line, or ""."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("Warning: failed to launch javaldx")]
    about = [line for line in lines if docx.name in line or "rror" in line]
    text = "; ".join(about or lines[-1:])
    return text if len(text) <= 300 else text[:297] + "..."


def stop_libreoffice(profile: Path) -> list[int]:
    """Kill every process using `profile` (LibreOffice started for it) and wait until gone.

    Found by the profile argument on their command lines (Linux /proc; elsewhere nothing is
    found, and only the processes subprocess itself killed are gone). Returns the pids killed.
    """
    wanted = _profile_arg(profile).encode()
    killed = []
    for pid in _pids_with_arg(wanted):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
    deadline = time.monotonic() + 5
    while killed and _pids_with_arg(wanted) and time.monotonic() < deadline:
        time.sleep(0.02)
    return killed


def _pids_with_arg(arg: bytes) -> list[int]:
    found = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                argv = handle.read().split(b"\0")
        except OSError:
            continue
        if arg in argv:
            found.append(int(entry))
    return found


# --- staging folders and profiles that outlive their run ---------------------------------------


@dataclass(frozen=True)
class _Owner:
    pid: int
    start: int  # the process's start time in clock ticks since boot (0: unknown)
    host: str  # 8 hex digits of the host name's SHA-256


_OWNER = re.compile(r"(\d+)-(\d+)-([0-9a-f]{8})-[^-]+")


def _host() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _start_ticks(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        return int(fields[19])  # field 22 of stat(5); fields[0] is field 3
    except (OSError, IndexError, ValueError):
        return None


def _owner_tag() -> str:
    return f"{os.getpid()}-{_start_ticks(os.getpid()) or 0}-{_host()}"


def _owner_of(name: str, prefix: str) -> _Owner | None:
    found = _OWNER.fullmatch(name[len(prefix):])
    return _Owner(int(found[1]), int(found[2]), found[3]) if found else None


def _alive(owner: _Owner) -> bool:
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    if owner.start:
        now = _start_ticks(owner.pid)
        if now is not None and now != owner.start:
            return False  # the pid now belongs to another process
    return True


def _idle_for(folder: Path) -> float:
    """Seconds since anything in `folder` (or the folder itself) last changed."""
    newest = 0.0
    with contextlib.suppress(OSError):
        newest = folder.stat().st_mtime
        for entry in os.scandir(folder):
            with contextlib.suppress(OSError):
                newest = max(newest, entry.stat(follow_symlinks=False).st_mtime)
    return time.time() - newest


def _remove_stale(parent: Path, prefix: str, unowned_after: float | None) -> list[Path]:
    """Remove `prefix*` folders in `parent` whose owner is gone; returns those removed.

    A folder whose owner process is alive is never removed. One whose name records no owner
    is removed only when `unowned_after` is given and it has been idle that long; one owned on
    another computer, only when idle for OTHER_HOST_STALE_AFTER_S.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    host, uid = _host(), os.getuid() if hasattr(os, "getuid") else None
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        try:
            if not entry.is_dir(follow_symlinks=False):
                continue
            if uid is not None and entry.stat(follow_symlinks=False).st_uid != uid:
                continue
        except OSError:
            continue
        folder = Path(entry.path)
        owner = _owner_of(entry.name, prefix)
        if owner is None:
            if unowned_after is None or _idle_for(folder) < unowned_after:
                continue
        elif owner.host != host:
            if _idle_for(folder) < OTHER_HOST_STALE_AFTER_S:
                continue
        elif _alive(owner):
            continue
        if prefix == PROFILE_PREFIX:
            stop_libreoffice(folder)  # a LibreOffice its killed owner left running
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            removed.append(folder)
    return removed


def remove_stale_staging(out_dir: Path) -> list[Path]:
    """Remove what killed runs left behind: `.tmp-pdf-*` folders in `out_dir` and private
    LibreOffice profiles in the temporary folder, each once the process that made it is gone
    (and any LibreOffice still running on such a profile). Returns the folders removed.

    A folder in use by a live run, here or (judged by its age) on another computer sharing
    `out_dir`, is kept. A `.tmp-pdf-*` folder from before owners were recorded is removed once
    nothing in it has changed for an hour.
    """
    removed = _remove_stale(Path(tempfile.gettempdir()), PROFILE_PREFIX, unowned_after=None)
    return removed + _remove_stale(out_dir, STAGING_PREFIX, unowned_after=UNOWNED_STALE_AFTER_S)


@contextlib.contextmanager
def staging_dir(out_dir: Path, *, sweep: bool = True) -> Iterator[Path]:
    """A new `.tmp-pdf-<owner>-*` folder in `out_dir`, removed with all it holds on every exit.

    The folder's name records this process (pid, start time, host), so a later run can tell a
    folder left by a killed run from one a live run is using. With `sweep`, stale folders are
    removed first (`remove_stale_staging`).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    if sweep:
        remove_stale_staging(out_dir)
    folder = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{_owner_tag()}-", dir=out_dir))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
