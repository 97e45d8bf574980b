"""Crash safety: a run that fails or is stopped half way leaves an archive `letters verify` passes,
and the next run completes the work.

Three ways a run ends early: a broken template on the third letter of a case, a kill signal in
the middle of a batch (SIGTERM, which the CLI unwinds like Ctrl-C, and SIGKILL, which nothing
can catch), and a full disk. After each: no partial .docx, no temporary files left for good, the
manifest absent or unchanged, and a second run that drafts everything.

Tests whose docstring says "Was a bug" guard fixes of bugs these tests found in pipeline/.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import LETTER_DATE, REPO, this_checkout_env

import pipeline.archive.store
from pipeline.cli import cli

CASE_ID = "BPS-2026-009"  # plans warning, host_takedown, police_referral, in that order
LATER_DATE = "2026-12-02"  # a new date makes every letter a new version (-v2)


# --- reading an archive back -------------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest_files(folder: Path) -> dict[str, str]:
    """{file name: SHA-256} for every letter the case folder's manifest lists ({} if none)."""
    path = folder / "manifest.json"
    if not path.exists():
        return {}
    entries = json.loads(path.read_text(encoding="utf-8"))["letters"]
    return {e["files"]["docx"]: e["sha256"]["docx"] for e in entries if "docx" in e.get("files", {})}


def docx_files(out: Path) -> list[Path]:
    return sorted(out.glob("*/*.docx"))


def temp_files(out: Path) -> list[Path]:
    return sorted(out.rglob(".tmp-*"))


def snapshot(out: Path) -> dict[str, bytes]:
    """Every file under `out` with its bytes, lock files aside (empty, and kept on purpose)."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not p.name.endswith(".lock")}


def case_folders(out: Path) -> list[Path]:
    """The case folders under `out` (not the lock folder or other hidden ones)."""
    return sorted(p for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))


def is_complete_docx(path: Path) -> bool:
    """A whole Word package: a zip whose every member reads back with a matching CRC."""
    try:
        with zipfile.ZipFile(path) as zf:
            return zf.testzip() is None and "word/document.xml" in zf.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def assert_verify_passes(out: Path, invoke) -> None:
    result = invoke("verify", out)
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith(", 0 problems.")


INTERRUPTED_COMMIT = re.compile(
    r"(?:.+/\.tmp-[^/]+: unlisted: a temporary file"  # killed while writing a letter's bytes
    r"|(?P<path>.+\.docx): unlisted: not in the archive"  # linked, killed before its journal line
    r"|.+manifest\.json: missing: (?:has no entry for|the journal records)"  # ... before the manifest
    r"|.+journal\.jsonl:\d+: malformed: the last line is incomplete)"  # ... while appending
    r"(?:[:;,( ].*)?")  # and what verify says the next draft does about it


def assert_verify_passes_or_names_an_interrupted_commit(out: Path, invoke,
                                                        reference: dict[str, dict[str, str]]
                                                        ) -> None:
    """After SIGKILL: the archive is sound, or verify names what a commit cut short left (a
    SIGKILL cannot be held off while a case commits); the next draft completes it."""
    result = invoke("verify", out)
    if result.exit_code == 0:
        return
    for line in result.stderr.splitlines():
        found = INTERRUPTED_COMMIT.fullmatch(line)
        assert found, f"not what an interrupted commit leaves: {line}"
        if found.group("path"):
            path = Path(found.group("path"))
            assert reference[path.parent.name][path.name] == sha256(path)


# --- 1. a template error on the third letter --------------------------------------------------


def edit_template(path: Path, old: str, new: str) -> None:
    """Replace `old` by `new` in the body of the .docx at `path`, keeping every other part."""
    with zipfile.ZipFile(path) as zf:
        parts = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in parts:
            if info.filename == "word/document.xml":
                text = data.decode("utf-8")
                assert old in text, f"{old!r} is not in {path.name}; the test needs updating"
                data = text.replace(old, new, 1).encode("utf-8")
            zf.writestr(info, data)


BREAKAGES = {
    # A field the letter does not provide: fails while rendering.
    "undefined-field": ("{{ signatory.role }}", "{{ signatory.rank }}"),
    # A tag that does not parse: fails while compiling, when the template is first used.
    "syntax-error": ("{{ signatory.role }}", "{{ signatory.role + }}"),
}


@pytest.fixture
def templates_copy(tmp_path: Path, repo: Path) -> Path:
    folder = tmp_path / "templates"
    shutil.copytree(repo / "letter_templates", folder)
    return folder


@pytest.fixture
def sample_case(repo: Path, school) -> Path:
    """BPS-2026-009, whose third letter is the police referral."""
    from pipeline.draft import check_case

    path = repo / "data" / "cases" / f"{CASE_ID}.yaml"
    _, plan = check_case(path, school)
    assert [letter.kind for letter in plan.letters] == ["warning", "host_takedown",
                                                        "police_referral"]
    return path


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_a_template_error_on_the_third_letter_writes_nothing(tmp_path, letters, invoke,
                                                             templates_copy, sample_case,
                                                             breakage):
    out = tmp_path / "out"
    police = templates_copy / "police_referral.docx"
    good = police.read_bytes()
    edit_template(police, *BREAKAGES[breakage])

    result = letters("draft", sample_case, "--out", out, "--templates", templates_copy,
                     "--date", LETTER_DATE, "--jobs", "1")

    assert result.exit_code == 1, result.output
    assert f"{CASE_ID}.yaml: not drafted: police_referral.docx" in result.stderr
    assert "Traceback" not in result.output
    assert "1 case: 0 letters written, 0 unchanged, 0 invalid, 1 failed." in result.stdout
    assert docx_files(out) == []
    assert temp_files(out) == []
    assert not (out / CASE_ID / "manifest.json").exists()
    assert_verify_passes(out, invoke)

    police.write_bytes(good)
    again = letters("draft", sample_case, "--out", out, "--templates", templates_copy,
                    "--date", LETTER_DATE, "--jobs", "1")

    assert again.exit_code == 0, again.output
    assert "1 case: 3 letters written, 0 unchanged, 0 invalid, 0 failed." in again.stdout
    assert sorted(manifest_files(out / CASE_ID)) == [
        f"{CASE_ID}-01-warning.docx", f"{CASE_ID}-02-host_takedown-facebook.docx",
        f"{CASE_ID}-03-police_referral.docx"]
    assert_verify_passes(out, invoke)


def test_a_template_error_leaves_an_existing_archive_unchanged(tmp_path, letters, invoke,
                                                               templates_copy, sample_case):
    out = tmp_path / "out"
    draft = ["draft", sample_case, "--out", out, "--templates", templates_copy, "--jobs", "1"]
    assert letters(*draft, "--date", LETTER_DATE).exit_code == 0
    before = snapshot(out)
    police = templates_copy / "police_referral.docx"
    good = police.read_bytes()
    edit_template(police, *BREAKAGES["undefined-field"])

    result = letters(*draft, "--date", LATER_DATE)  # every letter would be a new version

    assert result.exit_code == 1, result.output
    assert snapshot(out) == before  # manifest and letters byte for byte, no -v2 file
    assert temp_files(out) == []
    assert_verify_passes(out, invoke)

    police.write_bytes(good)
    again = letters(*draft, "--date", LATER_DATE)

    assert again.exit_code == 0, again.output
    assert "3 letters written" in again.stdout
    assert len(list((out / CASE_ID).glob("*-v2.docx"))) == 3
    assert len(manifest_files(out / CASE_ID)) == 6
    assert_verify_passes(out, invoke)


def test_a_broken_template_stops_only_the_cases_that_use_it(tmp_path, letters, invoke,
                                                            templates_copy, sample_cases,
                                                            school):
    from pipeline.draft import check_case

    out = tmp_path / "out"
    edit_template(templates_copy / "police_referral.docx", *BREAKAGES["undefined-field"])

    result = letters("draft", *sample_cases, "--out", out, "--templates", templates_copy,
                     "--date", LETTER_DATE, "--jobs", "2")

    assert result.exit_code == 1, result.output
    for path in sample_cases:
        loaded, plan = check_case(path, school)
        folder = out / loaded.case.case_id
        if any(letter.kind == "police_referral" for letter in plan.letters):
            assert f"{path.name}: not drafted: police_referral.docx" in result.stderr
            assert not list(folder.glob("*.docx")), path.name
            assert not (folder / "manifest.json").exists(), path.name
        else:
            assert len(manifest_files(folder)) == len(plan.letters), path.name
    assert temp_files(out) == []
    assert_verify_passes(out, invoke)


# --- 2. a kill signal in the middle of a batch --------------------------------------------------

COPIES = 18  # of each of the 13 sample cases: 234 cases, about 410 letters


@pytest.fixture(scope="module")
def many_cases(tmp_path_factory, repo: Path) -> Path:
    """A folder of ~200 valid cases: the sample cases copied under new case ids."""
    folder = tmp_path_factory.mktemp("many") / "cases"
    folder.mkdir()
    shutil.copytree(repo / "data" / "cases" / "evidence", folder / "evidence")
    for source in sorted((repo / "data" / "cases").glob("*.yaml")):
        text = source.read_text(encoding="utf-8")
        for n in range(1, COPIES + 1):
            case_id = f"K{n:02d}-{source.stem}"
            copy = re.sub(r"(?m)^case_id: .*$", f"case_id: {case_id}", text, count=1)
            (folder / f"{case_id}.yaml").write_text(copy, encoding="utf-8")
    return folder


def draft_command(cases: Path, out: Path, school_path: Path, jobs: int) -> list[str]:
    return [sys.executable, "-m", "pipeline", "draft", str(cases), "--out", str(out),
            "--date", LETTER_DATE, "--school", str(school_path), "--jobs", str(jobs)]


def run_draft(cases: Path, out: Path, school_path: Path, jobs: int = 2
              ) -> subprocess.CompletedProcess:
    return subprocess.run(draft_command(cases, out, school_path, jobs), capture_output=True,
                          text=True, timeout=300, cwd=REPO, env=this_checkout_env())


@pytest.fixture(scope="module")
def reference(tmp_path_factory, many_cases: Path, repo: Path) -> dict[str, dict[str, str]]:
    """What an uninterrupted run archives: {case id: {file name: SHA-256}}."""
    out = tmp_path_factory.mktemp("reference") / "out"
    done = run_draft(many_cases, out, repo / "data" / "school.yaml")
    assert done.returncode == 0, done.stderr
    archive = {folder.name: manifest_files(folder) for folder in case_folders(out)}
    assert sum(map(len, archive.values())) > 400
    return archive


def interrupt(cases: Path, out: Path, school_path: Path, jobs: int, sig: int, whole_group: bool,
              after_lines: int) -> subprocess.CompletedProcess:
    """Start `letters draft` on `cases`; once it has reported `after_lines` letters, signal it.

    whole_group: signal the worker processes too (as Ctrl-C in a terminal, or a service
    manager stopping a job, does); otherwise only the `letters` process itself (as `kill PID`).
    """
    env = {**this_checkout_env(), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(draft_command(cases, out, school_path, jobs), cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env, start_new_session=True, preexec_fn=_ctrl_c_as_in_a_terminal)
    try:
        seen = 0
        while seen < after_lines:
            line = process.stdout.readline()
            if not line:
                break
            seen += "written" in line
        assert process.poll() is None, "the run ended before it could be interrupted"
        if whole_group:
            os.killpg(process.pid, sig)
        else:
            os.kill(process.pid, sig)
        stdout, stderr = process.communicate(timeout=120)
        wait_for_group_to_end(process.pid)
    finally:
        with_group_killed(process.pid)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _ctrl_c_as_in_a_terminal() -> None:
    # A shell without job control starts background commands with SIGINT ignored, and Python
    # then installs no Ctrl-C handler: a test suite run in the background (`make test &`, some CI
    # runners) would see the run shrug off "Ctrl-C". The run is started as a terminal would start
    # it, with SIGINT at its default.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_for_group_to_end(pgid: int, timeout: float = 30) -> None:
    """Worker processes stop by themselves once the run they belong to has stopped."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError("worker processes were still running after the run stopped")


def with_group_killed(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def check_after_interruption(out: Path, reference: dict[str, dict[str, str]],
                             unlisted_allowed: bool) -> None:
    """No partial letter: each .docx is whole and listed in its manifest with its hash, or (after
    SIGKILL only) a whole file a killed run linked in before recording it."""
    for path in docx_files(out):
        assert is_complete_docx(path), f"{path} is a partial Word file"
        listed = manifest_files(path.parent)
        if path.name in listed:
            assert listed[path.name] == sha256(path)
        else:
            assert unlisted_allowed, f"{path} is not in its case's manifest"
            assert reference[path.parent.name].get(path.name) == sha256(path), path
    for folder in case_folders(out):
        assert set(manifest_files(folder)) <= set(reference[folder.name]), folder


def check_completed(out: Path, done: subprocess.CompletedProcess,
                    reference: dict[str, dict[str, str]], invoke) -> None:
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    archive = {folder.name: manifest_files(folder) for folder in case_folders(out)}
    assert archive == reference  # every letter of every case, the same bytes, no -v2
    assert sorted(p.name for p in docx_files(out)) == sorted(
        name for files in reference.values() for name in files)
    assert temp_files(out) == []
    assert_verify_passes(out, invoke)


STOPPED = ("Stopped. Everything already reported as written is archived whole; run the command "
           "again to finish.")
SIGNALS = [
    pytest.param(signal.SIGINT, 2, True, [40], id="Ctrl-C-whole-group"),
    pytest.param(signal.SIGTERM, 1, False, [40], id="SIGTERM-one-process"),
    pytest.param(signal.SIGTERM, 2, False, [40], id="SIGTERM-main-of-two-workers"),
    pytest.param(signal.SIGTERM, 2, True, [40], id="SIGTERM-whole-group"),
    # Each run resumes the last; a two-worker run may have drafted a few pieces (up to 16 cases
    # each) beyond the lines it printed, so the stops leave most of the ~410 letters undrafted.
    pytest.param(signal.SIGKILL, 1, False, [5, 40, 80], id="SIGKILL-one-process-3-times"),
    pytest.param(signal.SIGKILL, 2, True, [5, 40, 80], id="SIGKILL-whole-group-3-times"),
]


@pytest.mark.parametrize(("sig", "jobs", "whole_group", "stops"), SIGNALS)
def test_a_killed_batch_leaves_a_sound_archive_and_the_next_run_completes(
        tmp_path, many_cases, reference, school_path, invoke, sig, jobs, whole_group, stops):
    out = tmp_path / "out"
    total = sum(map(len, reference.values()))
    for after_lines in stops:  # SIGKILL: stopped again and again, each run resuming the last
        stopped = interrupt(many_cases, out, school_path, jobs, sig, whole_group, after_lines)

        assert stopped.returncode != 0
        if sig != signal.SIGKILL:
            assert stopped.returncode == (130 if sig == signal.SIGINT else 143)
            # One line says what happened; no worker shows a traceback.
            assert stopped.stderr.strip().splitlines() == [STOPPED], stopped.stderr
            assert temp_files(out) == []  # every `finally` ran
        drafted = sum(len(manifest_files(folder)) for folder in case_folders(out))
        assert drafted < total, "the run finished before the signal: nothing was tested"
        check_after_interruption(out, reference, unlisted_allowed=sig == signal.SIGKILL)
        if sig == signal.SIGKILL:
            assert_verify_passes_or_names_an_interrupted_commit(out, invoke, reference)
        else:
            assert_verify_passes(out, invoke)

    done = run_draft(many_cases, out, school_path, jobs)

    check_completed(out, done, reference, invoke)


# Signals land between any two Python steps. These stop the run at the two riskiest points
# deterministically: a KeyboardInterrupt (what SIGTERM becomes) raised just after a system call.


def interrupt_after(monkeypatch, name: str, nth: int = 1) -> None:
    """Make os.<name> do its work and then raise KeyboardInterrupt, on its `nth` call."""
    real = getattr(os, name)
    calls = {"n": 0}

    def call_then_interrupt(*args, **kwargs):
        result = real(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == nth:
            raise KeyboardInterrupt
        return result

    monkeypatch.setattr(pipeline.archive.store.os, name, call_then_interrupt)


def draft_in_process(sample_case: Path, out: Path, school_path: Path, date: str = LETTER_DATE):
    argv = ["draft", str(sample_case), "--out", str(out), "--date", date, "--school",
            str(school_path), "--jobs", "1"]
    return CliRunner().invoke(cli, argv)


def test_sigterm_just_after_a_letter_is_linked_leaves_no_unlisted_letter(
        tmp_path, monkeypatch, sample_case, school_path, invoke):
    """Was a bug (workflow.draft_case): an interruption after os.link had put a letter in
    place, but before draft_case noted it as created, was not rolled back, leaving
    BPS-2026-009-01-warning.docx without a manifest entry."""
    out = tmp_path / "out"
    interrupt_after(monkeypatch, "link")

    result = draft_in_process(sample_case, out, school_path)

    assert result.exit_code == 130 and STOPPED in result.output
    assert not (out / CASE_ID / "manifest.json").exists()
    assert docx_files(out) == [], "a letter outside the manifest was left behind"


def test_sigterm_just_after_the_manifest_is_replaced_keeps_the_letters_it_lists(
        tmp_path, monkeypatch, sample_case, school_path, invoke):
    """Was a bug (workflow.draft_case): an interruption after Manifest.save's os.replace had
    committed the manifest, but before save returned, ran the rollback, deleting the three
    letters the manifest now listed, so `letters verify` reported each one missing."""
    out = tmp_path / "out"
    interrupt_after(monkeypatch, "replace")

    result = draft_in_process(sample_case, out, school_path)

    assert result.exit_code == 130 and STOPPED in result.output
    monkeypatch.undo()
    assert sorted(manifest_files(out / CASE_ID)) == [p.name for p in docx_files(out)]
    assert len(docx_files(out)) == 3
    assert_verify_passes(out, invoke)


# --- 3. a full disk -----------------------------------------------------------------------------


class _FullFile:
    """A file on a full disk: a write stores part of its data, then fails with ENOSPC."""

    def __init__(self, real):
        self._real = real

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._real.close()
        return False

    def write(self, data: bytes) -> int:
        self._real.write(data[: len(data) // 2])
        self._real.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name):
        return getattr(self._real, name)


def fill_disk_after(monkeypatch, out: Path, writes: int) -> Callable[[], int]:
    """Let `writes` files under `out` be written whole, then fail every later one with ENOSPC.

    Patches the os.fdopen pipeline.archive writes its temporary files through; files outside
    `out` are untouched. Returns a function giving the number of files opened under `out`.
    """
    real_fdopen = os.fdopen
    opened = {"n": 0}

    def fdopen(fd, *args, **kwargs):
        handle = real_fdopen(fd, *args, **kwargs)
        if not os.readlink(f"/proc/self/fd/{fd}").startswith(str(out.resolve())):
            return handle
        opened["n"] += 1
        return handle if opened["n"] <= writes else _FullFile(handle)

    monkeypatch.setattr(pipeline.archive.store.os, "fdopen", fdopen)
    return lambda: opened["n"]


@pytest.mark.parametrize(("writes", "where"), [
    (0, "the first letter"), (1, "the second letter"), (3, "the manifest")])
@pytest.mark.parametrize("existing", [False, True], ids=["new-archive", "existing-archive"])
def test_a_full_disk_is_a_clear_error_and_leaves_the_archive_as_it_was(
        tmp_path, monkeypatch, sample_case, school_path, invoke, letters, writes, where,
        existing):
    out = tmp_path / "out"
    date = LETTER_DATE
    if existing:  # an earlier run archived the letters; a new date makes new versions of all
        assert letters("draft", sample_case, "--out", out, "--date", LETTER_DATE).exit_code == 0
        date = LATER_DATE
    before = snapshot(out) if out.exists() else {}
    opened = fill_disk_after(monkeypatch, out, writes)

    result = CliRunner().invoke(cli, ["draft", str(sample_case), "--out", str(out), "--date",
                                      date, "--school", str(school_path), "--jobs", "1"])

    assert opened() == writes + 1, f"the disk did not fill at {where}"
    assert result.exit_code == 1, result.output
    assert result.exc_info[0] is SystemExit, "the error escaped as an exception"
    assert "Traceback" not in result.output
    assert f"{CASE_ID}.yaml: not drafted: cannot write in " in result.stderr
    assert "No space left on device (is the disk full?); nothing was changed" in result.stderr
    assert snapshot(out) == before  # no letter, no partial file, the manifest as it was
    assert temp_files(out) == []
    monkeypatch.undo()
    assert_verify_passes(out, invoke)

    again = letters("draft", sample_case, "--out", out, "--date", date, "--jobs", "1")

    assert again.exit_code == 0, again.output
    assert "1 case: 3 letters written" in again.stdout
    assert len(manifest_files(out / CASE_ID)) == (6 if existing else 3)
    assert_verify_passes(out, invoke)


def test_a_full_disk_when_a_new_case_folder_is_made_is_a_clear_error(
        tmp_path, monkeypatch, sample_case, school_path, letters, repo, invoke):
    """Was a bug (workflow.draft_case): the case folder's mkdir was not turned into an
    ArchiveError, so the first draft of a new case on a full disk (BPS-2026-009 into an OUT
    already holding BPS-2026-004) ended with an uncaught OSError and a traceback."""
    out = tmp_path / "out"
    first = letters("draft", repo / "data" / "cases" / "BPS-2026-004.yaml", "--out", out,
                    "--date", LETTER_DATE)
    assert first.exit_code == 0, first.output
    real_mkdir = Path.mkdir

    def mkdir(self, *args, **kwargs):
        if str(self).startswith(str(out.resolve())) and not self.exists():
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)

    result = CliRunner().invoke(cli, ["draft", str(sample_case), "--out", str(out), "--date",
                                      LETTER_DATE, "--school", str(school_path), "--jobs", "1"])

    assert result.exc_info[0] is SystemExit, f"uncaught {result.exception!r}"
    assert result.exit_code == 1
    assert "No space left on device" in result.stderr
    assert "Traceback" not in result.output
    assert not list((out / CASE_ID).glob("*.docx"))
    monkeypatch.undo()
    assert_verify_passes(out, invoke)
