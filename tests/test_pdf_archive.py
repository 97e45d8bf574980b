"""PDF copies are part of the archive's transaction (issue 11).

A PDF is in a case folder only with its manifest entry and journal line: chunks are archived as
LibreOffice returns them, so an error, a full disk, Ctrl-C, SIGTERM or SIGKILL later loses only
the chunk under way; staging folders go on every exit path and after a SIGKILL on the next run.
LibreOffice is the fake `soffice` of test_pdf_chunks.py (fast, and told what to fail); the real
one is in test_archive.py, test_pdf.py and test_pdf_chunks.py.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import BASE_CASE, LETTER_DATE, REPO, this_checkout_env
from test_pdf_chunks import calls, install_fake_soffice, wait_for

import pipeline.archive.store
import pipeline.draft

CASES = ("T-001", "T-002", "T-003", "T-004", "T-005")


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """The fake soffice first on PATH (see test_pdf_chunks.py); returns its state folder. The
    runs started as child processes use the same temporary folder (TMPDIR)."""
    state = install_fake_soffice(tmp_path, monkeypatch)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "temp"))
    return state


@pytest.fixture
def cases(tmp_path) -> Path:
    """Five one-letter cases (a concern letter each)."""
    folder = tmp_path / "cases"
    folder.mkdir()
    for case_id in CASES:
        (folder / f"{case_id}.yaml").write_text(BASE_CASE.replace("T-001", case_id),
                                                encoding="utf-8")
    return folder


@pytest.fixture
def chunks_of_two(monkeypatch):
    monkeypatch.setattr(pipeline.draft, "convert_to_pdf",
                        functools.partial(pipeline.draft.convert_to_pdf, chunk_size=2))


def pdf_name(case_id: str) -> str:
    return f"{case_id}-01-concern.pdf"


def assert_every_pdf_archived(out: Path) -> list[str]:
    """Each PDF has its manifest entry and journal line with its hash; returns their names."""
    journal = {json.loads(line)["file"]: json.loads(line)
               for line in (out / "journal.jsonl").read_text(encoding="utf-8").splitlines()}
    names = []
    for pdf in sorted(out.glob("*/*.pdf")):
        entries = json.loads((pdf.parent / "manifest.json").read_text())["letters"]
        [entry] = [e for e in entries if e["event"] == "pdf" and e["files"]["pdf"] == pdf.name]
        line = journal[f"{pdf.parent.name}/{pdf.name}"]
        assert line["event"] == "pdf" and line["entry"] == entry
        assert oct(pdf.stat().st_mode & 0o777) == oct(0o444 & ~_umask())
        names.append(pdf.name)
    assert not list(out.glob(".tmp-pdf-*")), "a staging folder was left"
    return names


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def draft(letters, cases: Path, out: Path, *more):
    return letters("draft", cases, "--out", out, "--date", LETTER_DATE, "--jobs", "1", "--pdf",
                   *more)


def assert_sound(invoke, out: Path) -> None:
    result = invoke("verify", out)
    assert result.exit_code == 0, result.output


def test_chunks_are_archived_as_they_come_back(tmp_path, fake, cases, chunks_of_two, letters,
                                              invoke):
    out = tmp_path / "out"

    result = draft(letters, cases, out)

    assert result.exit_code == 0, result.output
    assert [len(c) for c in calls(fake)] == [2, 2, 1]
    assert assert_every_pdf_archived(out) == [pdf_name(c) for c in CASES]
    assert_sound(invoke, out)


def test_an_error_in_a_later_chunk_keeps_the_earlier_ones(tmp_path, fake, cases, chunks_of_two,
                                                         letters, invoke, monkeypatch):
    out = tmp_path / "out"
    monkeypatch.setenv("FAKE_SKIP", "T-003-01-concern.docx")  # fails twice: the run stops

    result = draft(letters, cases, out)

    assert result.exit_code == 1
    assert "T-003-01-concern.docx" in result.stderr
    assert "PDF copies of 2 letters were made and archived before this" in result.stderr
    assert assert_every_pdf_archived(out) == [pdf_name("T-001"), pdf_name("T-002")]
    assert_sound(invoke, out)

    monkeypatch.delenv("FAKE_SKIP")
    again = draft(letters, cases, out)

    assert again.exit_code == 0, again.output
    assert assert_every_pdf_archived(out) == [pdf_name(c) for c in CASES]
    assert_sound(invoke, out)


def test_a_full_disk_while_a_pdf_is_archived_leaves_no_pdf_without_its_entries(
        tmp_path, fake, cases, chunks_of_two, letters, invoke, monkeypatch):
    out = tmp_path / "out"
    assert letters("draft", cases, "--out", out, "--date", LETTER_DATE).exit_code == 0
    real = pipeline.archive.store.write_new
    count = {"pdf": 0}

    def write_new(path, data, **kwargs):
        if path.suffix == ".pdf":
            count["pdf"] += 1
            if count["pdf"] == 4:  # the second PDF of the second chunk
                raise pipeline.archive.store.ArchiveError(
                    f"cannot write in {path.parent}: No space left on device (is the disk "
                    "full?); nothing was changed")
        return real(path, data, **kwargs)

    monkeypatch.setattr(pipeline.archive.commit, "write_new", write_new)

    result = draft(letters, cases, out)

    assert result.exit_code == 1
    assert "No space left on device" in result.stderr
    assert "PDF copies of 3 letters were made and archived before this" in result.stderr
    assert assert_every_pdf_archived(out) == [pdf_name(c) for c in CASES[:3]]
    assert_sound(invoke, out)
    monkeypatch.undo()
    assert draft(letters, cases, out).exit_code == 0
    assert len(assert_every_pdf_archived(out)) == 5


def test_ctrl_c_during_the_pdf_step_keeps_what_was_archived(tmp_path, fake, cases, letters,
                                                            invoke, monkeypatch):
    out = tmp_path / "out"
    real = pipeline.draft.convert_to_pdf

    def convert(files, staging, **kwargs):
        def on_chunk(chunk):
            kwargs["on_chunk"](chunk)
            raise KeyboardInterrupt  # Ctrl-C, or SIGTERM as the CLI turns it, after chunk 1
        return real(files, staging, chunk_size=2, on_chunk=on_chunk)

    monkeypatch.setattr(pipeline.draft, "convert_to_pdf", convert)

    result = draft(letters, cases, out)

    assert result.exit_code == 130 and "Stopped." in result.stderr
    assert assert_every_pdf_archived(out) == [pdf_name("T-001"), pdf_name("T-002")]
    assert_sound(invoke, out)


def _run_and_hang(tmp_path: Path, cases: Path, out: Path, fake: Path) -> subprocess.Popen:
    env = {**this_checkout_env(), "FAKE_HANG": "1"}
    run = subprocess.Popen([sys.executable, "-m", "pipeline", "draft", str(cases), "--out",
                            str(out), "--date", LETTER_DATE, "--pdf", "--jobs", "1",
                            "--school", str(Path(__file__).parent.parent / "data/school.yaml")],
                           cwd=REPO, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    wait_for(fake / "pid", within=60)
    return run


def _gone(pid: int) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_sigterm_while_libreoffice_runs_leaves_no_staging_and_no_unarchived_pdf(
        tmp_path, fake, cases, letters, invoke):
    out = tmp_path / "out"
    run = _run_and_hang(tmp_path, cases, out, fake)

    run.send_signal(signal.SIGTERM)
    _, stderr = run.communicate(timeout=60)

    assert run.returncode == 143, stderr
    assert "Traceback" not in stderr
    assert _gone(int((fake / "pid").read_text()))  # LibreOffice went with it
    assert assert_every_pdf_archived(out) == []
    assert_sound(invoke, out)


def test_sigkill_while_libreoffice_runs_is_cleared_up_by_the_next_run(tmp_path, fake, cases,
                                                                     letters, invoke):
    out = tmp_path / "out"
    run = _run_and_hang(tmp_path, cases, out, fake)

    run.kill()
    run.communicate(timeout=60)

    assert _gone(int((fake / "pid").read_text()))
    assert list(out.glob(".tmp-pdf-*")), "SIGKILL runs no cleanup: the staging folder stays"
    assert_sound(invoke, out)  # staging is not part of the archive
    again = draft(letters, cases, out)
    assert again.exit_code == 0, again.output
    assert len(assert_every_pdf_archived(out)) == 5
    assert_sound(invoke, out)


def test_a_pdf_left_without_its_entries_is_reported_then_replaced(tmp_path, fake, cases,
                                                                  letters, invoke):
    """What a SIGKILL between linking a PDF and its journal line would leave."""
    out = tmp_path / "out"
    assert letters("draft", cases, "--out", out, "--date", LETTER_DATE).exit_code == 0
    left = out / "T-002" / pdf_name("T-002")
    left.write_bytes(b"%PDF-1.7\n% left by a killed run\n%%EOF\n")

    check = invoke("verify", out)
    result = draft(letters, cases, out)

    assert check.exit_code == 1 and f"{left}: unlisted:" in check.stderr
    assert result.exit_code == 0, result.output
    assert f"T-002: replaced {left.name}" in result.stdout
    assert len(assert_every_pdf_archived(out)) == 5
    assert b"killed run" not in left.read_bytes()
    assert_sound(invoke, out)


def test_a_pdf_whose_file_is_gone_is_never_made_again(tmp_path, fake, cases, letters, invoke):
    """The case is not drafted until its folder is restored; the others are."""
    out = tmp_path / "out"
    assert draft(letters, cases, out).exit_code == 0
    (out / "T-001" / pdf_name("T-001")).unlink()
    before = len(calls(fake))

    again = draft(letters, cases, out)

    assert again.exit_code == 1
    assert f"{pdf_name('T-001')}: missing" in again.stderr
    assert "5 cases: 0 letters written, 4 unchanged, 0 invalid, 1 failed." in again.stdout
    assert len(calls(fake)) == before  # nothing to convert: every letter has its PDF entry
    check = invoke("verify", out)
    assert check.exit_code == 1 and f"{pdf_name('T-001')}: missing" in check.stderr


def test_a_letter_folder_that_cannot_be_written_is_a_clear_error(tmp_path, fake, cases, letters,
                                                                 monkeypatch):
    out = tmp_path / "out"
    assert letters("draft", cases, "--out", out, "--date", LETTER_DATE).exit_code == 0
    real = os.link

    def link(source, target, *args, **kwargs):
        if str(target).endswith(".pdf"):
            raise OSError(errno.EACCES, os.strerror(errno.EACCES))
        return real(source, target, *args, **kwargs)

    monkeypatch.setattr(pipeline.archive.store.os, "link", link)

    result = draft(letters, cases, out)

    assert result.exit_code == 1 and "Permission denied" in result.stderr
    assert "Traceback" not in result.output
    assert assert_every_pdf_archived(out) == []
