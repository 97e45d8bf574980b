"""The archive: reproducible letters, stable references, the append-only manifest, verify, PDFs.

The contract ("The record"): the same case, school and templates give byte-identical .docx on
every run, dated by the letter date pinned in OUT/<case_id>/manifest.json; references
<case_id>/<NN> are fixed the first time and never reused; a changed input gives a -v2 file and a
new manifest entry while earlier files and entries are never touched; concurrent runs lose
nothing; `letters verify` finds missing and altered files; `draft --pdf` adds PDF copies made by
one LibreOffice process. Every test pins the letter date (Settings(today=...) or --date), so
none depends on the day it runs.
"""

from __future__ import annotations

import errno
import hashlib
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import threading
import zipfile
from datetime import date
from pathlib import Path

import pytest
from conftest import REPO, this_checkout_env
from lxml import etree

import pipeline.archive.store
import pipeline.draft
import pipeline.pdf
from pipeline.draft import Settings, draft_many
from pipeline.errors import ArchiveError

PINNED = date(2026, 12, 1)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
CORE_NS = {
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
}
# A history step that moves the base case (a first incident: a concern letter) on to a warning
# and a takedown request to Facebook.
REFUSED = """\
history:
  - date: 2026-11-05
    step: discussion
    outcome: refused
    by: Headteacher
    posts: [P1]
"""

needs_pdf_tools = pytest.mark.skipif(
    not (shutil.which("soffice") or shutil.which("libreoffice")) or not shutil.which("pdftotext"),
    reason="PDF tests need LibreOffice (soffice) and pdftotext (poppler-utils) installed")


# --- helpers -----------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest_of(out: Path, case_id: str) -> dict:
    return json.loads((out / case_id / "manifest.json").read_text(encoding="utf-8"))


def letter_entries(out: Path, case_id: str) -> list[dict]:
    return [e for e in manifest_of(out, case_id)["letters"] if e["event"] == "letter"]


def docx_files(out: Path) -> dict[str, bytes]:
    """Every archived .docx under `out`, by its path relative to `out`."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.glob("*/*.docx"))}


def statuses(outcomes) -> list[str]:
    return [letter.status for outcome in outcomes for letter in outcome.letters]


def write_at(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} should occur once in the case text"
    return text.replace(old, new)


# --- reproducible bytes ------------------------------------------------------------------------


def test_same_inputs_give_byte_identical_letters_in_any_folder(tmp_path, draft_into,
                                                               sample_cases):
    first = draft_into(tmp_path / "a", *sample_cases, today=PINNED)
    second = draft_into(tmp_path / "b", *sample_cases, today=PINNED)

    assert all(o.ok for o in first + second)
    a, b = docx_files(tmp_path / "a"), docx_files(tmp_path / "b")
    assert len(a) >= 10, "the sample cases should give a letter set worth comparing"
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], f"{name} differs between two runs with the same inputs"


def test_manifest_hashes_are_the_hashes_of_the_files_written(tmp_path, draft_into, sample_cases):
    out = tmp_path / "out"
    draft_into(out, *sample_cases, today=PINNED)

    for manifest_path in out.glob("*/manifest.json"):
        for entry in letter_entries(out, manifest_path.parent.name):
            assert entry["sha256"]["docx"] == sha256(manifest_path.parent / entry["files"]["docx"])


@pytest.mark.parametrize("how", ["today", "letter_date"])
def test_docx_properties_and_zip_times_come_from_the_letter_not_the_clock(
        tmp_path, draft_into, sample_cases, school, how):
    # Pinned either as the day of drafting or by --date (with the clock on a different day).
    pinning = ({"today": PINNED} if how == "today"
               else {"today": date(2026, 12, 24), "letter_date": PINNED})
    out = tmp_path / "out"
    draft_into(out, *sample_cases, **pinning)

    letters = sorted(out.glob("*/*.docx"))
    assert letters
    for path in letters:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                assert info.date_time == ZIP_TIME, f"{path.name}: {info.filename} is time-stamped"
            core = etree.fromstring(zf.read("docProps/core.xml"))
        assert core.findtext("dcterms:created", namespaces=CORE_NS) == "2026-12-01T00:00:00Z"
        assert core.findtext("dcterms:modified", namespaces=CORE_NS) == "2026-12-01T00:00:00Z"
        assert core.findtext("dc:creator", namespaces=CORE_NS) == school.name
    for manifest_path in out.glob("*/manifest.json"):
        for entry in letter_entries(out, manifest_path.parent.name):
            assert entry["letter_date"] == "2026-12-01"


# --- the letter date is pinned -----------------------------------------------------------------


def test_rerun_on_a_later_day_is_unchanged_and_keeps_the_letter_date(tmp_path, draft_into,
                                                                      base_case):
    case = write_at(tmp_path / "case.yaml", base_case)
    out = tmp_path / "out"
    first = draft_into(out, case, today=date(2026, 11, 3))
    assert statuses(first) == ["written"]
    manifest_before = (out / "T-001" / "manifest.json").read_bytes()
    files_before = sorted(p.name for p in (out / "T-001").iterdir())

    again = draft_into(out, case, today=date(2026, 11, 10))

    assert statuses(again) == ["unchanged"]
    assert (out / "T-001" / "manifest.json").read_bytes() == manifest_before
    assert sorted(p.name for p in (out / "T-001").iterdir()) == files_before
    [entry] = letter_entries(out, "T-001")
    assert entry["letter_date"] == "2026-11-03"


def test_cli_rerun_reports_unchanged_and_adds_nothing(tmp_path, letters, sample_cases):
    case = next(p for p in sample_cases if p.stem == "BPS-2026-014")
    out = tmp_path / "out"
    first = letters("draft", case, "--out", out, "--date", "2026-12-01")
    assert first.exit_code == 0, first.output
    manifest_before = (out / "BPS-2026-014" / "manifest.json").read_bytes()

    # Without --date, the dates pinned in the manifest are used, whatever day it is.
    again = letters("draft", case, "--out", out)

    assert again.exit_code == 0, again.output
    assert "0 letters written, 3 unchanged" in again.stdout
    assert again.stdout.count("unchanged  ") == 3
    assert (out / "BPS-2026-014" / "manifest.json").read_bytes() == manifest_before


# --- changed inputs: a new version, nothing earlier touched --------------------------------------


def test_changed_case_gives_a_v2_and_leaves_v1_and_its_entry_alone(tmp_path, draft_into,
                                                                    base_case):
    case = write_at(tmp_path / "case.yaml", base_case)
    out = tmp_path / "out"
    draft_into(out, case, today=date(2026, 11, 3))
    v1 = out / "T-001" / "T-001-01-concern.docx"
    v1_hash = sha256(v1)
    entries_before = manifest_of(out, "T-001")["letters"]

    write_at(case, edit(base_case, "are a joke.", "are a disgrace."))
    outcomes = draft_into(out, case, today=date(2026, 11, 10))

    [letter] = outcomes[0].letters
    assert letter.status == "new version"
    assert letter.path.name == "T-001-01-concern-v2.docx"
    assert sha256(v1) == v1_hash
    entries = manifest_of(out, "T-001")["letters"]
    assert entries[:len(entries_before)] == entries_before  # append-only
    [new] = entries[len(entries_before):]
    assert (new["reference"], new["number"], new["version"]) == ("T-001/01", 1, 2)
    assert new["files"]["docx"] == "T-001-01-concern-v2.docx"
    assert new["sha256"]["docx"] == sha256(letter.path)
    assert new["sha256"]["case"] != entries_before[0]["sha256"]["case"]
    assert new["letter_date"] == "2026-11-10"  # a new draft is dated the day it is drafted


def _edited_template(tmp_path: Path, repo: Path) -> Path:
    """A copy of the shipped templates whose concern letter has one sentence reworded."""
    folder = tmp_path / "templates"
    shutil.copytree(repo / "letter_templates", folder)
    template = folder / "concern.docx"
    with zipfile.ZipFile(template) as zf:
        parts = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(template, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in parts:
            if info.filename == "word/document.xml":
                old = b"Thank you for taking the time to read this letter."
                assert data.count(old) == 1
                data = data.replace(old, b"Thank you for taking the time to read my letter.")
            zf.writestr(info, data)
    return folder


@pytest.mark.parametrize("changed", ["school", "template"])
def test_a_changed_school_profile_or_template_gives_a_new_version(tmp_path, repo, school_path,
                                                                  base_case, changed):
    case = write_at(tmp_path / "case.yaml", base_case)
    out = tmp_path / "out"
    draft_many([case], Settings(school_path=school_path, out_dir=out, today=date(2026, 11, 3)))
    v1 = out / "T-001" / "T-001-01-concern.docx"
    v1_bytes = v1.read_bytes()

    if changed == "school":
        edited = write_at(tmp_path / "school.yaml", school_path.read_text(encoding="utf-8")
                          .replace("01565 000 123", "01565 000 999"))
        settings = Settings(school_path=edited, out_dir=out, today=date(2026, 11, 10))
    else:
        settings = Settings(school_path=school_path, templates_dir=_edited_template(tmp_path, repo),
                            out_dir=out, today=date(2026, 11, 10))
    [outcome] = draft_many([case], settings)

    assert [(l.reference, l.status, l.path.name) for l in outcome.letters] == [
        ("T-001/01", "new version", "T-001-01-concern-v2.docx")]
    assert v1.read_bytes() == v1_bytes
    first, second = letter_entries(out, "T-001")
    assert second["version"] == 2
    assert second["sha256"][changed] != first["sha256"][changed]
    unchanged = {"school", "template", "case", "rules"} - {changed}
    assert all(second["sha256"][k] == first["sha256"][k] for k in unchanged)


def test_manifest_entry_records_what_the_contract_lists(tmp_path, draft_into, sample_cases):
    case = next(p for p in sample_cases if p.stem == "BPS-2026-016")  # has an override
    out = tmp_path / "out"
    draft_into(out, case, today=PINNED)

    entries = letter_entries(out, "BPS-2026-016")
    assert [e["kind"] for e in entries] == ["warning", "host_takedown", "police_referral"]
    for entry in entries:
        assert {"reference", "kind", "recipient", "posts", "letter_date", "files", "sha256",
                "reasons", "clauses", "overrides", "written_at", "respond_by", "urgent",
                "pipeline_version"} <= entry.keys()
        assert entry["urgent"] is True  # a home address published: two working days
        assert entry["respond_by"] in (None, "2026-12-03")
        assert set(entry["sha256"]) == {"docx", "case", "template", "school", "rules"}
        assert entry["sha256"]["case"] == sha256(case)
        assert entry["posts"] == ["P1"]
        assert entry["reasons"]
    assert entries[2]["overrides"], "the police referral was added by override"


def test_rerun_after_a_new_version_is_unchanged(tmp_path, draft_into, base_case):
    # Regression: re-rendering at v1's date (not the latest version's) wrote a byte-identical
    # -v3, -v4... on every later run.
    case = write_at(tmp_path / "case.yaml", base_case)
    out = tmp_path / "out"
    draft_into(out, case, today=date(2026, 11, 3))
    write_at(case, edit(base_case, "are a joke.", "are a disgrace."))
    draft_into(out, case, today=date(2026, 11, 10))

    same_day = draft_into(out, case, today=date(2026, 11, 10))
    later = draft_into(out, case, today=date(2026, 11, 12))

    assert statuses(same_day) == ["unchanged"]
    assert statuses(later) == ["unchanged"]
    assert [e["version"] for e in letter_entries(out, "T-001")] == [1, 2]
    assert not (out / "T-001" / "T-001-01-concern-v3.docx").exists()


# --- references --------------------------------------------------------------------------------


def test_reference_numbers_run_from_01_without_gaps(tmp_path, draft_into, sample_cases):
    out = tmp_path / "out"
    draft_into(out, *sample_cases, today=PINNED)

    for manifest_path in sorted(out.glob("*/manifest.json")):
        case_id = manifest_path.parent.name
        entries = letter_entries(out, case_id)
        numbers = [e["number"] for e in entries]
        # BPS-2026-024's history already records reference 02: its new letters start above it.
        first = 3 if case_id == "BPS-2026-024" else 1
        assert sorted(numbers) == list(range(first, first + len(entries))), case_id
        for entry in entries:
            assert entry["reference"] == f"{case_id}/{entry['number']:02d}"
            assert entry["files"]["docx"].startswith(f"{case_id}-{entry['number']:02d}-")


def test_a_later_letter_gets_the_next_number_never_an_old_one(tmp_path, draft_into, base_case):
    # Bullying, so that after a refusal the platform is asked too (criticism alone gives the
    # school no ground to ask it).
    base_case = edit(base_case, "concerns: [negative_comment]", "concerns: [cyberbullying]")
    case = write_at(tmp_path / "case.yaml", base_case)
    out = tmp_path / "out"
    first = draft_into(out, case, today=date(2026, 11, 3))
    assert [(l.reference, l.kind) for l in first[0].letters] == [("T-001/01", "concern")]

    write_at(case, edit(base_case, "history: []\n", REFUSED))
    later = draft_into(out, case, today=date(2026, 11, 6))

    assert [(l.reference, l.kind) for l in later[0].letters] == [
        ("T-001/02", "warning"), ("T-001/03", "host_takedown")]
    entries = letter_entries(out, "T-001")
    assert [(e["number"], e["key"]) for e in entries] == [
        (1, "concern"), (2, "warning"), (3, "host_takedown-facebook")]

    # Back to the first plan: the concern letter keeps its number and is unchanged.
    write_at(case, base_case)
    back = draft_into(out, case, today=date(2026, 11, 7))
    assert [(l.reference, l.status) for l in back[0].letters] == [("T-001/01", "unchanged")]
    assert len(letter_entries(out, "T-001")) == 3


# --- verify ------------------------------------------------------------------------------------


@pytest.fixture
def archive(tmp_path, draft_into, sample_cases) -> Path:
    """An archive holding the letters of two sample cases, drafted on PINNED."""
    out = tmp_path / "out"
    chosen = [p for p in sample_cases if p.stem in ("BPS-2026-009", "BPS-2026-014")]
    draft_into(out, *chosen, today=PINNED)
    return out


def test_verify_passes_a_clean_archive(archive, invoke):
    result = invoke("verify", archive)

    assert result.exit_code == 0, result.output
    assert "6 files checked, 0 problems." in result.stdout
    assert result.stderr == ""


def test_verify_reports_an_altered_letter(archive, invoke):
    target = archive / "BPS-2026-014" / "BPS-2026-014-02-host_takedown-facebook.docx"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit, same size
    target.write_bytes(bytes(data))

    result = invoke("verify", archive)

    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert target.name in line and "altered" in line and "BPS-2026-014/02" in line
    assert "1 problem." in result.stdout


def test_verify_reports_a_missing_letter(archive, invoke):
    target = archive / "BPS-2026-009" / "BPS-2026-009-03-police_referral.docx"
    target.unlink()

    result = invoke("verify", archive)

    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert target.name in line and "missing" in line and "BPS-2026-009/03" in line


def test_verify_reports_each_problem(archive, invoke):
    missing = archive / "BPS-2026-009" / "BPS-2026-009-01-warning.docx"
    altered = archive / "BPS-2026-014" / "BPS-2026-014-03-legal_referral.docx"
    missing.unlink()
    altered.write_bytes(altered.read_bytes() + b"\0")

    result = invoke("verify", archive)

    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert any(missing.name in line and "missing" in line for line in lines)
    assert any(altered.name in line and "altered" in line for line in lines)


def test_verify_reports_a_manifest_that_cannot_be_read(archive, invoke):
    manifest = archive / "BPS-2026-014" / "manifest.json"
    manifest.write_text(manifest.read_text()[:-40], encoding="utf-8")  # truncated

    result = invoke("verify", archive)

    assert result.exit_code == 1
    assert "manifest.json" in result.stderr and "cannot be read" in result.stderr


# --- concurrent runs ---------------------------------------------------------------------------


def assert_each_letter_once(out: Path, case_id: str, expected: int) -> None:
    text = (out / case_id / "manifest.json").read_text(encoding="utf-8")
    entries = json.loads(text)["letters"]  # valid JSON, whole
    references = [e["reference"] for e in entries]
    assert len(references) == expected, references
    assert len(set(references)) == expected, f"a letter was recorded twice: {references}"
    assert all(e["version"] == 1 for e in entries)
    assert not list((out / case_id).glob("*-v2.*"))
    assert not list((out / case_id).glob(".tmp-*")), "temporary files were left behind"


def _draft_after_barrier(barrier, case: str, out: str, school: str) -> None:
    """A worker process: wait until every worker is ready, then draft at the same moment."""
    settings = Settings(school_path=Path(school), out_dir=Path(out), today=PINNED)
    barrier.wait(timeout=60)
    [outcome] = draft_many([case], settings)
    if not outcome.ok:
        raise SystemExit(f"{case}: {outcome.error or outcome.problems}")


def draft_at_once(cases: list[Path], out: Path, school_path: Path) -> list[int | None]:
    """Draft each of `cases` in its own process, all starting together; their exit codes."""
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(len(cases))
    workers = [spawn.Process(target=_draft_after_barrier,
                             args=(barrier, str(case), str(out), str(school_path)))
               for case in cases]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    codes = [worker.exitcode for worker in workers]
    for worker in workers:
        if worker.is_alive():  # hung: stop it, and the None exit code fails the test
            worker.terminate()
    return codes


def test_two_processes_drafting_one_case_at_once(tmp_path, sample_cases, school_path, invoke):
    case = next(p for p in sample_cases if p.stem == "BPS-2026-014")
    out = tmp_path / "out"

    assert draft_at_once([case, case], out, school_path) == [0, 0]

    assert_each_letter_once(out, "BPS-2026-014", 3)
    assert invoke("verify", out).exit_code == 0


def test_four_processes_on_two_cases_sharing_an_out_folder(tmp_path, sample_cases, school_path,
                                                           invoke):
    cases = {p.stem: p for p in sample_cases}
    chosen = [cases["BPS-2026-009"], cases["BPS-2026-014"]] * 2
    out = tmp_path / "out"

    assert draft_at_once(chosen, out, school_path) == [0, 0, 0, 0]

    assert_each_letter_once(out, "BPS-2026-009", 3)
    assert_each_letter_once(out, "BPS-2026-014", 3)
    result = invoke("verify", out)
    assert result.exit_code == 0, result.output
    assert "6 files checked, 0 problems." in result.stdout


def test_a_parallel_batch_archives_what_a_serial_one_does(tmp_path, sample_cases, school_path):
    cases = tmp_path / "cases"
    shutil.copytree(sample_cases[0].parent, cases)
    for source in sorted(cases.glob("*.yaml")):  # three of each: more than one piece per worker
        for n in (2, 3):
            (cases / f"{source.stem}-{n}.yaml").write_text(
                source.read_text(encoding="utf-8").replace(
                    f"case_id: {source.stem}", f"case_id: {source.stem}-{n}"), encoding="utf-8")
    paths = sorted(cases.glob("*.yaml"))
    runs = {}
    for jobs in (1, 2):
        settings = Settings(school_path=school_path, out_dir=tmp_path / f"out{jobs}", today=PINNED)
        runs[jobs] = draft_many(paths, settings, jobs=jobs)

    def summary(outcomes):
        return [(o.source, o.case_id, [(l.reference, l.path.name, l.status) for l in o.letters],
                 o.notes, o.error) for o in outcomes]

    def archived(out):
        return {folder.name: ([{k: v for k, v in e.items() if k != "written_at"}
                               for e in json.loads((folder / "manifest.json").read_text())[
                                   "letters"]],
                              {f.name: f.read_bytes() for f in folder.glob("*.docx")})
                for folder in sorted(out.iterdir())
                if folder.is_dir() and folder.name != ".locks"}

    assert summary(runs[2]) == summary(runs[1])  # in the order of the paths, as a serial run
    # Every sample case but the one still waiting on the poster, three times over.
    assert len(archived(tmp_path / "out1")) == 3 * (len(sample_cases) - 1)
    assert archived(tmp_path / "out2") == archived(tmp_path / "out1")


@pytest.mark.parametrize("count, jobs", [(1, 2), (7, 2), (300, 2), (1000, 4), (5, 8)])
def test_a_batch_is_handed_out_whole_in_order_in_shrinking_pieces(count, jobs):
    paths = [Path(f"case-{n}.yaml") for n in range(count)]

    pieces = list(pipeline.draft._chunks(paths, jobs))

    assert [p for piece in pieces for p in piece] == paths
    sizes = [len(piece) for piece in pieces]
    assert max(sizes) <= pipeline.draft.MAX_PIECE
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[-jobs:] == [1] * min(jobs, len(sizes))  # the last hand-outs are single cases


def _hold_lock(folder: Path, entered: threading.Event, release: threading.Event) -> None:
    with pipeline.archive.store.locked(folder):
        entered.set()
        release.wait(timeout=60)


def test_a_case_lock_makes_a_second_holder_wait_but_not_another_case(tmp_path):
    out = tmp_path / "out"
    first, second, other = (threading.Event() for _ in range(3))
    release_first, release_rest = threading.Event(), threading.Event()
    holders = [threading.Thread(target=_hold_lock, args=(out / "CASE-1", first, release_first)),
               # the same folder on a case-insensitive disk
               threading.Thread(target=_hold_lock, args=(out / "case-1", second, release_rest)),
               threading.Thread(target=_hold_lock, args=(out / "CASE-2", other, release_rest))]
    holders[0].start()
    assert first.wait(timeout=30)
    holders[1].start()
    holders[2].start()

    assert other.wait(timeout=30), "a different case must not wait for CASE-1"
    assert not second.wait(timeout=0.5), "a second holder of CASE-1 got in while it was held"
    release_first.set()
    assert second.wait(timeout=30), "the lock was not passed on when the first holder let go"
    release_rest.set()
    for holder in holders:
        holder.join(timeout=30)
    locks = sorted(p.name for p in (out / ".locks").iterdir())
    assert locks == ["case-1.lock", "case-2.lock"]


def test_the_lock_file_is_made_for_the_whole_office_to_use(tmp_path):
    previous = os.umask(0o002)
    try:
        with pipeline.archive.store.locked(tmp_path / "out" / "CASE-1"):
            pass
    finally:
        os.umask(previous)

    mode = (tmp_path / "out" / ".locks" / "case-1.lock").stat().st_mode & 0o777
    assert mode == 0o664  # group-writable under the office's umask, like the letters


def test_a_lock_that_fails_otherwise_is_a_clear_archive_error(tmp_path, monkeypatch):
    def refused(fd: int) -> None:
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(pipeline.archive.store.fcntl, "flock", lambda fd, op: refused(fd))

    with pytest.raises(ArchiveError, match=r"cannot lock case CASE-1 .*Permission denied"):
        with pipeline.archive.store.locked(tmp_path / "out" / "CASE-1"):
            pass


def test_two_cli_runs_drafting_one_case_at_once(tmp_path, sample_cases, school_path, invoke):
    case = next(p for p in sample_cases if p.stem == "BPS-2026-014")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "pipeline", "draft", str(case), "--out", str(out),
               "--date", "2026-12-01", "--school", str(school_path)]

    runs = [subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=this_checkout_env())
            for _ in range(2)]
    results = [(run.communicate(timeout=120), run.returncode) for run in runs]

    for (stdout, stderr), code in results:
        assert code == 0, stderr
    combined = "".join(stdout for (stdout, _), _ in results)
    assert combined.count("written  ") == 3  # each letter written by exactly one of them
    assert combined.count("unchanged  ") == 3
    assert_each_letter_once(out, "BPS-2026-014", 3)
    assert invoke("verify", out).exit_code == 0


# --- PDF copies --------------------------------------------------------------------------------


@pytest.fixture
def conversions(monkeypatch) -> dict[str, list]:
    """Counts calls to the PDF converter and to LibreOffice, passing them on to the real ones."""
    calls: dict[str, list] = {"convert": [], "soffice": []}
    real_convert, real_run = pipeline.draft.convert_to_pdf, pipeline.pdf.subprocess.run

    def convert(files, *args, **kwargs):
        calls["convert"].append(list(files))
        return real_convert(files, *args, **kwargs)

    def run(command, *args, **kwargs):
        if "--convert-to" in command:
            calls["soffice"].append(command)
        return real_run(command, *args, **kwargs)

    monkeypatch.setattr(pipeline.draft, "convert_to_pdf", convert)
    monkeypatch.setattr(pipeline.pdf.subprocess, "run", run)
    return calls


def pdf_text(path: Path) -> str:
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True, timeout=60)
    return done.stdout


@pytest.mark.slow
@needs_pdf_tools
def test_draft_pdf_adds_one_pdf_per_letter_in_one_libreoffice_run(tmp_path, letters, invoke,
                                                                  sample_cases, conversions):
    cases = {p.stem: p for p in sample_cases}
    out = tmp_path / "out"

    result = letters("draft", cases["BPS-2026-004"], cases["BPS-2026-007"], "--out", out,
                     "--date", "2026-12-01", "--pdf")

    assert result.exit_code == 0, result.output
    docx = sorted(out.glob("*/*.docx"))
    pdfs = sorted(out.glob("*/*.pdf"))
    assert len(docx) == 3
    assert [p.with_suffix(".docx") for p in pdfs] == docx
    assert len(conversions["convert"]) == 1 and len(conversions["convert"][0]) == 3
    assert len(conversions["soffice"]) == 1, "one LibreOffice process for all the letters"

    for case_id in ("BPS-2026-004", "BPS-2026-007"):
        entries = manifest_of(out, case_id)["letters"]
        letter_by_file = {e["files"]["docx"]: e for e in entries if e["event"] == "letter"}
        pdf_entries = [e for e in entries if e["event"] == "pdf"]
        assert len(pdf_entries) == len(letter_by_file)
        for entry in pdf_entries:
            letter = letter_by_file[entry["from"]]
            pdf = out / case_id / entry["files"]["pdf"]
            assert entry["sha256"]["pdf"] == sha256(pdf)
            assert entry["sha256"]["docx"] == letter["sha256"]["docx"]
            assert entry["reference"] == letter["reference"]
            text = pdf_text(pdf)
            assert letter["reference"] in text
            assert letter["recipient"] in text
    assert invoke("verify", out).exit_code == 0

    # Again: every letter is unchanged and already has its PDF, so nothing is made.
    manifests = {p: p.read_bytes() for p in out.glob("*/manifest.json")}
    again = letters("draft", cases["BPS-2026-004"], cases["BPS-2026-007"], "--out", out,
                    "--pdf")

    assert again.exit_code == 0, again.output
    assert "0 letters written, 3 unchanged" in again.stdout
    assert sorted(out.glob("*/*.pdf")) == pdfs
    assert {p: p.read_bytes() for p in out.glob("*/manifest.json")} == manifests
    assert len(conversions["soffice"]) == 1, "no LibreOffice run when there is nothing to do"


def test_draft_pdf_without_libreoffice_is_a_clear_error_and_keeps_the_letters(
        tmp_path, letters, invoke, sample_cases, monkeypatch):
    monkeypatch.setattr(pipeline.pdf.shutil, "which", lambda name: None)
    case = next(p for p in sample_cases if p.stem == "BPS-2026-007")
    out = tmp_path / "out"

    result = letters("draft", case, "--out", out, "--date", "2026-12-01", "--pdf")

    assert result.exit_code == 1
    assert "LibreOffice" in result.stderr
    assert "Traceback" not in result.output
    assert len(list(out.glob("*/*.docx"))) == 2
    assert not list(out.glob("*/*.pdf"))
    assert len(letter_entries(out, "BPS-2026-007")) == 2
    assert not list(out.glob(".tmp-*")), "the PDF staging folder was left behind"
    assert invoke("verify", out).exit_code == 0


@pytest.mark.slow
@needs_pdf_tools
def test_a_missing_pdf_is_never_replaced_by_different_bytes_under_its_name(tmp_path, letters,
                                                                          sample_cases):
    case = next(p for p in sample_cases if p.stem == "BPS-2026-004")
    out = tmp_path / "out"
    assert letters("draft", case, "--out", out, "--date", "2026-12-01", "--pdf").exit_code == 0
    pdf = out / "BPS-2026-004" / "BPS-2026-004-01-concern.pdf"
    pdf.unlink()

    letters("draft", case, "--out", out, "--pdf")

    # A file name, once recorded, always stands for the same bytes.
    recorded: dict[str, set[str]] = {}
    for entry in manifest_of(out, "BPS-2026-004")["letters"]:
        for kind, name in entry["files"].items():
            recorded.setdefault(name, set()).add(entry["sha256"][kind])
    assert all(len(hashes) == 1 for hashes in recorded.values()), recorded
