"""Any number of letters converts: chunks, a check of every PDF, one retry, time limits, cleanup.

Most tests put a fake `soffice` first on PATH: a small Python script that writes a PDF for each
letter it is given, except the letters the test tells it to skip (or to write garbage for), and
that can hang. It logs each call, so a test sees exactly which letters each LibreOffice process
was given. One slow test converts more letters than one real LibreOffice process takes (245).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import zipfile
from pathlib import Path

import pytest

from pipeline import pdf
from pipeline.errors import ToolMissing

FAKE_SOFFICE = textwrap.dedent("""\
    #!{python}
    # A stand-in for LibreOffice's soffice: one PDF per letter, as told by the environment.
    import json, os, sys, time
    from pathlib import Path
    args = sys.argv[1:]
    out = Path(args[args.index("--outdir") + 1])
    letters = [Path(a) for a in args[args.index("--outdir") + 2:]]
    state = Path(os.environ["FAKE_STATE"])
    with open(state / "calls.jsonl", "a") as log:
        log.write(json.dumps([p.name for p in letters]) + "\\n")
    if os.environ.get("FAKE_HANG"):
        (state / "pid").write_text(str(os.getpid()))
        time.sleep(600)
    skip_once = os.environ.get("FAKE_SKIP_ONCE", "").split(",")
    skip = os.environ.get("FAKE_SKIP", "").split(",")
    garbage = os.environ.get("FAKE_GARBAGE", "").split(",")
    for letter in letters:
        seen = state / ("seen-" + letter.name)
        if letter.name in skip or (letter.name in skip_once and not seen.exists()):
            seen.touch()
            print("Error: source file could not be loaded", file=sys.stderr)
            continue
        target = out / (letter.stem + ".pdf")
        if letter.name in garbage:
            target.write_bytes(b"<html>not a pdf</html>")
            continue
        target.write_bytes(b"%PDF-1.7\\n% " + letter.name.encode() + b"\\n%%EOF\\n")
        print(f"convert {{letter}} -> {{target}} using filter : writer_pdf_Export")
    """)


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """A fake soffice first on PATH; returns its state folder (calls.jsonl, pid)."""
    return install_fake_soffice(tmp_path, monkeypatch)


def install_fake_soffice(tmp_path, monkeypatch) -> Path:
    """Put the fake soffice first on PATH; returns its state folder (calls.jsonl, pid).

    The temporary folder (where private profiles go) is moved into tmp_path / "temp", so a test
    can see that no profile is left behind.
    """
    bin_dir, state, temp = tmp_path / "bin", tmp_path / "state", tmp_path / "temp"
    for folder in (bin_dir, state, temp):
        folder.mkdir()
    script = bin_dir / "soffice"
    script.write_text(FAKE_SOFFICE.format(python=sys.executable), encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_STATE", str(state))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    return state


def calls(state: Path) -> list[list[str]]:
    log = state / "calls.jsonl"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def letters(folder: Path, count: int) -> list[Path]:
    folder.mkdir(exist_ok=True)
    made = []
    for i in range(count):
        made.append(folder / f"L{i:03d}.docx")
        made[-1].write_bytes(b"PK fake docx")
    return made


def gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # a zombie (dead, not yet reaped by its new parent) counts as gone
            with open(f"/proc/{pid}/stat") as handle:
                if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def wait_for(path: Path, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


# --- chunks and checks -------------------------------------------------------------------------


def test_letters_go_in_chunks_and_every_pdf_comes_back_in_order(tmp_path, fake):
    files = letters(tmp_path / "in", 11)
    progress, chunks = [], []

    def keep(pairs):
        assert all(pdf.is_pdf(p) for _, p in pairs), "a chunk is handed over once checked"
        chunks.append(pairs)

    made = pdf.convert(files, tmp_path / "out", chunk_size=5, on_chunk=keep,
                       on_done=lambda done, total: progress.append((done, total)))

    assert made == [tmp_path / "out" / f"L{i:03d}.pdf" for i in range(11)]
    assert all(pdf.is_pdf(p) for p in made)
    assert [len(c) for c in calls(fake)] == [5, 5, 1]
    assert [pair for pairs in chunks for pair in pairs] == list(zip(files, made))
    assert progress == [(5, 11), (10, 11), (11, 11)]
    assert not list((tmp_path / "temp").iterdir()), "the private profile was left behind"


def test_a_letter_missing_after_its_chunk_is_converted_again_on_its_own(tmp_path, fake,
                                                                        monkeypatch):
    monkeypatch.setenv("FAKE_SKIP_ONCE", "L003.docx")
    files = letters(tmp_path / "in", 6)

    made = pdf.convert(files, tmp_path / "out", chunk_size=5)

    assert all(pdf.is_pdf(p) for p in made)
    assert calls(fake) == [[f"L{i:03d}.docx" for i in range(5)], ["L003.docx"], ["L005.docx"]]


def test_a_letter_that_fails_twice_is_named_with_what_libreoffice_said(tmp_path, fake,
                                                                       monkeypatch):
    monkeypatch.setenv("FAKE_SKIP", "L001.docx")
    files = letters(tmp_path / "in", 4)

    with pytest.raises(ToolMissing) as error:
        pdf.convert(files, tmp_path / "out", chunk_size=5)

    message = str(error.value)
    assert "L001.docx" in message and "source file could not be loaded" in message
    assert calls(fake) == [[f"L{i:03d}.docx" for i in range(4)], ["L001.docx"]]
    assert not list((tmp_path / "temp").iterdir())


def test_a_file_that_is_not_a_whole_pdf_counts_as_missing(tmp_path, fake, monkeypatch):
    monkeypatch.setenv("FAKE_GARBAGE", "L000.docx")
    files = letters(tmp_path / "in", 2)

    with pytest.raises(ToolMissing, match="L000.docx"):
        pdf.convert(files, tmp_path / "out")

    assert calls(fake) == [["L000.docx", "L001.docx"], ["L000.docx"]]


def test_an_old_pdf_of_the_same_name_never_passes_for_a_new_one(tmp_path, fake, monkeypatch):
    monkeypatch.setenv("FAKE_SKIP", "L000.docx")
    files = letters(tmp_path / "in", 1)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "L000.pdf").write_bytes(b"%PDF-1.7\n% an old copy\n%%EOF\n")

    with pytest.raises(ToolMissing, match="L000.docx"):
        pdf.convert(files, tmp_path / "out")


def test_two_letters_that_would_share_a_pdf_and_oversized_chunks_are_refused(tmp_path, fake):
    (tmp_path / "a").mkdir()
    twins = [tmp_path / "a" / "x.docx", tmp_path / "x.docx"]

    with pytest.raises(ValueError, match="x.pdf"):
        pdf.convert(twins, tmp_path / "out")
    with pytest.raises(ValueError, match="245"):
        pdf.convert(letters(tmp_path / "in", 1), tmp_path / "out", chunk_size=246)
    assert calls(fake) == []


# --- time limits, exceptions and kills ---------------------------------------------------------


def test_a_hung_libreoffice_is_killed_at_the_time_limit_and_the_error_says_so(tmp_path, fake,
                                                                              monkeypatch):
    monkeypatch.setenv("FAKE_HANG", "1")
    files = letters(tmp_path / "in", 3)

    with pytest.raises(ToolMissing, match=r"stopped responding .* letters 1-3 of 3 .* 2 seconds"):
        pdf.convert(files, tmp_path / "out", timeout=2)

    assert gone(int((fake / "pid").read_text()))
    assert not list((tmp_path / "temp").iterdir()), "the private profile was left behind"


def test_after_an_exception_no_libreoffice_staging_folder_or_profile_is_left(tmp_path, fake,
                                                                             monkeypatch):
    # Ctrl-C (or SIGTERM, which the CLI turns into KeyboardInterrupt) while LibreOffice runs:
    # a thread raises it in the main thread once the fake LibreOffice is running.
    monkeypatch.setenv("FAKE_HANG", "1")
    files = letters(tmp_path / "in", 3)
    out = tmp_path / "out"

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    def when_running():
        wait_for(fake / "pid")
        os.kill(os.getpid(), signal.SIGALRM)

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        threading.Thread(target=when_running, daemon=True).start()
        with pytest.raises(KeyboardInterrupt), pdf.staging_dir(out) as staging:
            pdf.convert(files, staging)
    finally:
        signal.signal(signal.SIGALRM, previous)

    assert gone(int((fake / "pid").read_text()))
    assert list(out.iterdir()) == []
    assert not list((tmp_path / "temp").iterdir())


def test_an_error_in_between_chunks_leaves_no_staging_folder_or_profile(tmp_path, fake):
    files = letters(tmp_path / "in", 4)
    out = tmp_path / "out"

    def fail(done, total):
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError), pdf.staging_dir(out) as staging:
        pdf.convert(files, staging, chunk_size=2, on_done=fail)

    assert len(calls(fake)) == 1
    assert list(out.iterdir()) == []
    assert not list((tmp_path / "temp").iterdir())


RUN_AND_HANG = """\
import sys
from pathlib import Path
from pipeline import pdf
out, files = Path(sys.argv[1]), [Path(a) for a in sys.argv[2:]]
with pdf.staging_dir(out) as staging:
    pdf.convert(files, staging)
"""


def test_a_sigkilled_run_takes_libreoffice_with_it_and_the_next_run_clears_up(tmp_path, fake,
                                                                              monkeypatch, repo):
    monkeypatch.setenv("FAKE_HANG", "1")
    files = letters(tmp_path / "in", 3)
    out = tmp_path / "out"
    env = {**os.environ, "TMPDIR": str(tmp_path / "temp"), "PYTHONPATH": str(repo)}
    run = subprocess.Popen([sys.executable, "-c", RUN_AND_HANG, str(out), *map(str, files)],
                           env=env, cwd=repo)
    try:
        wait_for(fake / "pid")
        assert [p.name[:len(pdf.STAGING_PREFIX)] for p in out.iterdir()] == [pdf.STAGING_PREFIX]
        run.kill()
        run.wait(timeout=10)
    finally:
        if run.poll() is None:
            run.kill()

    assert gone(int((fake / "pid").read_text())), "LibreOffice outlived a SIGKILLed run"
    assert len(list(out.iterdir())) == 1 and len(list((tmp_path / "temp").iterdir())) == 1

    removed = pdf.remove_stale_staging(out)

    assert len(removed) == 2
    assert list(out.iterdir()) == [] and list((tmp_path / "temp").iterdir()) == []


# --- stale staging folders ---------------------------------------------------------------------


HOLD_STAGING = """\
import sys, time
from pathlib import Path
from pipeline import pdf
with pdf.staging_dir(Path(sys.argv[1])) as staging:
    print(staging, flush=True)
    time.sleep(60)
"""


def dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_remove_stale_staging_keeps_live_runs_and_removes_the_dead(tmp_path, monkeypatch, repo):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "temp"))
    (tmp_path / "temp").mkdir()
    out = tmp_path / "out"
    host = pdf._host()
    # Another live run: a process holding its staging folder.
    holder = subprocess.Popen([sys.executable, "-c", HOLD_STAGING, str(out)], cwd=repo,
                              stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(repo)})
    try:
        theirs = Path(holder.stdout.readline().strip())
        with pdf.staging_dir(out, sweep=False) as ours:
            dead = out / f"{pdf.STAGING_PREFIX}{dead_pid()}-0-{host}-abc123"
            elsewhere = out / f"{pdf.STAGING_PREFIX}{dead_pid()}-0-00000000-abc123"
            old_unowned, new_unowned = out / ".tmp-pdf-k2j4h5g6", out / ".tmp-pdf-q8w7e6r5"
            for folder in (dead, elsewhere, old_unowned, new_unowned):
                folder.mkdir()
                (folder / "a.pdf").write_bytes(b"%PDF-")
            two_hours_ago = time.time() - 7200
            for path in (old_unowned / "a.pdf", old_unowned):
                os.utime(path, (two_hours_ago, two_hours_ago))

            removed = pdf.remove_stale_staging(out)

            assert sorted(removed) == sorted([dead, old_unowned])
            assert sorted(out.iterdir()) == sorted([theirs, ours, elsewhere, new_unowned])
    finally:
        holder.kill()
        holder.wait()


# --- real LibreOffice --------------------------------------------------------------------------

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>')
_DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    '<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>')


def tiny_docx(path: Path, text: str) -> None:
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES)
        package.writestr("_rels/.rels", _RELS)
        package.writestr("word/document.xml", _DOCUMENT.format(text=text))


@pytest.mark.slow
def test_more_letters_than_one_libreoffice_takes_all_convert_in_one_call(tmp_path):
    if not (shutil.which("soffice") or shutil.which("libreoffice")):
        pytest.skip("LibreOffice not installed: run make system-deps")
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) not installed: run make system-deps")
    # Over 245 (all one LibreOffice process takes) and over two chunks.
    count = max(2 * pdf.CHUNK_SIZE + 1, 251)
    (tmp_path / "in").mkdir()
    files = [tmp_path / "in" / f"letter-{i:04d}.docx" for i in range(count)]
    for i, path in enumerate(files):
        tiny_docx(path, f"Tiny letter number {i:04d}")
    progress = []

    made = pdf.convert(files, tmp_path / "out", on_done=lambda d, t: progress.append(d))

    assert made == [tmp_path / "out" / f"letter-{i:04d}.pdf" for i in range(count)]
    assert all(pdf.is_pdf(p) for p in made)
    assert progress[-1] == count and len(progress) == -(-count // pdf.CHUNK_SIZE)
    for i in (0, pdf.CHUNK_SIZE - 1, pdf.CHUNK_SIZE, 245, count - 1):
        text = subprocess.run(["pdftotext", str(made[i]), "-"], capture_output=True, text=True,
                              check=True, timeout=60).stdout
        assert f"Tiny letter number {i:04d}" in text
