"""No input or fault ends in a traceback, a half-written file or a silent change (issue 11).

Each defect the adversarial review found has a test here that reproduced it: output folders that
cannot be written, damaged screenshots, two files with one case id, a fault in one case of a
batch, CSV cells a spreadsheet would run, templates that would hang the tool or exhaust memory,
a post time with an offset, CR-only files, control characters in file names. The archive's own
tamper cases are in test_journal.py; PDF copies in test_pdf_archive.py.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import os
import shutil
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest
from conftest import BASE_CASE, LETTER_DATE
from docx import Document
from hypothesis import given, settings
from hypothesis import strategies as st
from reading import blocks

import pipeline.archive.journal
import pipeline.docx.template
import pipeline.draft
from pipeline.docx.limits import Limits
from pipeline.record import RegisterRow, register_csv


def png(width: int = 1, height: int = 1) -> bytes:
    """A whole PNG, every checksum right."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind
                                                                                          + body))
    rows = b"".join(b"\0" + b"\0\0\0\0" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6,
                                                               0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def case_file(folder: Path, text: str = BASE_CASE, name: str = "case.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def docx_text(path: Path) -> str:
    return "\n".join(blocks(Document(str(path))))


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() \
        else []


def no_traceback(result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)


# --- the output folder -------------------------------------------------------------------------


def test_out_naming_an_existing_file_is_a_clear_error(tmp_path, letters):
    case = case_file(tmp_path)
    out = tmp_path / "out.txt"
    out.write_text("not a folder", encoding="utf-8")

    result = letters("draft", case, "--out", out, "--date", LETTER_DATE)

    no_traceback(result)
    assert result.exit_code == 1
    assert f"{out} is a file, not a folder" in result.stderr
    assert out.read_text(encoding="utf-8") == "not a folder"


def test_out_inside_a_file_is_a_clear_error(tmp_path, letters):
    case = case_file(tmp_path)
    (tmp_path / "file").write_text("x", encoding="utf-8")

    result = letters("draft", case, "--out", tmp_path / "file" / "out", "--date", LETTER_DATE)

    no_traceback(result)
    assert result.exit_code == 1 and "cannot make the folder" in result.stderr


@contextlib.contextmanager
def mounted_tmpfs(where: Path, options: str):
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()})")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.mark.skipif(not shutil.which("mount") or os.geteuid() != 0,
                    reason="mounting a read-only folder needs root")
def test_out_on_a_read_only_file_system_is_a_clear_error(tmp_path, letters):
    case = case_file(tmp_path / "cases")
    with mounted_tmpfs(tmp_path / "ro", "ro,size=1m") as out:
        result = letters("draft", case, "--out", out, "--date", LETTER_DATE)
        sub = letters("draft", case, "--out", out / "sub", "--date", LETTER_DATE)

        no_traceback(result)
        assert result.exit_code == 1
        assert f"cannot write in {out}: it is read-only" in result.stderr
        assert sub.exit_code == 1 and "Read-only file system" in sub.stderr
        assert files_under(out) == []


@pytest.mark.skipif(not shutil.which("mount") or os.geteuid() != 0,
                    reason="a small disk of its own needs root to mount")
def test_a_disk_that_fills_during_a_batch_leaves_whole_cases_only(tmp_path, letters, invoke,
                                                                  repo):
    cases = tmp_path / "cases"
    shutil.copytree(repo / "data" / "cases", cases)
    with mounted_tmpfs(tmp_path / "small", "size=160k") as out:
        result = letters("draft", cases, "--out", out, "--date", LETTER_DATE, "--jobs", "1")

        no_traceback(result)
        assert result.exit_code == 1
        assert "No space left on device" in result.stderr
        assert "Not drafted:" in result.stderr  # the summary names each failed case
        assert not list(out.rglob(".tmp-*"))
        for folder in (p for p in out.iterdir() if p.is_dir() and p.name != ".locks"):
            assert (folder / "manifest.json").exists(), f"{folder} was left without a manifest"
        check = invoke("verify", out)
        assert check.exit_code == 0, check.output


def test_a_linked_locks_folder_is_refused_and_nothing_is_written_outside(tmp_path, letters):
    case = case_file(tmp_path / "cases")
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / ".locks").symlink_to(elsewhere)

    result = letters("draft", case, "--out", out, "--date", LETTER_DATE)

    no_traceback(result)
    assert result.exit_code == 1
    assert f"{out / '.locks'} is a symbolic link" in result.stderr
    assert files_under(elsewhere) == []


def test_a_linked_case_folder_is_refused_and_nothing_is_written_outside(tmp_path, letters):
    case = case_file(tmp_path / "cases")
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "T-001").symlink_to(elsewhere)

    result = letters("draft", case, "--out", out, "--date", LETTER_DATE)

    no_traceback(result)
    assert result.exit_code == 1
    assert "is a symbolic link" in result.stderr and "Not drafted:" in result.stderr
    assert files_under(elsewhere) == []


def test_a_linked_journal_is_refused(tmp_path, letters):
    case = case_file(tmp_path / "cases")
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "elsewhere.jsonl").write_bytes(b"")
    (out / "journal.jsonl").symlink_to(tmp_path / "elsewhere.jsonl")

    result = letters("draft", case, "--out", out, "--date", LETTER_DATE)

    no_traceback(result)
    assert result.exit_code == 1 and "journal" in result.stderr
    assert (tmp_path / "elsewhere.jsonl").read_bytes() == b""


def test_a_full_disk_while_the_journal_is_written_leaves_the_archive_as_it_was(
        tmp_path, letters, invoke, monkeypatch):
    case = case_file(tmp_path / "cases")
    out = tmp_path / "out"
    real_write = os.write

    def write(fd, data):
        if os.readlink(f"/proc/self/fd/{fd}").endswith("journal.jsonl"):
            real_write(fd, bytes(data)[:50])  # part of a line, then the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(pipeline.archive.journal.os, "write", write)

    result = letters("draft", case, "--out", out, "--date", LETTER_DATE)

    no_traceback(result)
    assert result.exit_code == 1
    assert "No space left on device (is the disk full?); nothing was changed" in result.stderr
    assert files_under(out) in ([], [".locks", ".locks/journal.lock", ".locks/t-001.lock"])
    monkeypatch.undo()
    assert letters("draft", case, "--out", out, "--date", LETTER_DATE).exit_code == 0
    assert invoke("verify", out).exit_code == 0


# --- evidence screenshots ----------------------------------------------------------------------


def _evidence_case(tmp_path: Path, data: bytes) -> tuple[Path, int]:
    (tmp_path / "evidence").mkdir(parents=True, exist_ok=True)
    (tmp_path / "evidence" / "shot.png").write_bytes(data)
    text = BASE_CASE.replace("    status: live", "    evidence: evidence/shot.png\n    status: live")
    line = text.splitlines().index("    evidence: evidence/shot.png") + 1
    return case_file(tmp_path, text), line


DAMAGED = {
    "png-signature-only": b"\x89PNG\r\n\x1a\n",
    "png-cut-in-half": png(4, 4)[:40],
    "png-bad-checksum": png(2, 2)[:-5] + b"\x00" + png(2, 2)[-4:],
    "png-no-image-data": png()[:33] + png()[-12:],
    "png-giant-header": png()[:16] + struct.pack(">II", 100_000, 100_000) + png()[24:],
    "jpeg-no-end": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00",
    "text-named-png": b"this is not an image",
}


@pytest.mark.parametrize("data", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_screenshot_is_refused_at_its_line_by_check(tmp_path, letters, data):
    case, line = _evidence_case(tmp_path, data)

    result = letters("check", case, "--today", LETTER_DATE)

    no_traceback(result)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{case}:{line}: posts[1].evidence: 'evidence/shot.png' is ")


def test_a_damaged_screenshot_in_a_batch_stops_only_its_case(tmp_path, letters):
    cases = tmp_path / "cases"
    damaged, _ = _evidence_case(cases, b"\x89PNG\r\n\x1a\n")
    case_file(cases, BASE_CASE.replace("T-001", "T-002"), "other.yaml")
    out = tmp_path / "out"

    result = letters("draft", cases, "--out", out, "--date", LETTER_DATE)

    no_traceback(result)
    assert result.exit_code == 2
    assert f"{damaged}:" in result.stderr and "damaged image" in result.stderr
    assert "2 cases: 1 letter written, 0 unchanged, 1 invalid, 0 failed." in result.stdout
    assert not (out / "T-001").exists() and (out / "T-002").is_dir()


def test_a_screenshot_over_the_size_limit_is_refused(tmp_path, letters, monkeypatch):
    import pipeline.case.images

    monkeypatch.setattr(pipeline.case.images, "MAX_BYTES", 100)
    case, line = _evidence_case(tmp_path, png(40, 40) + b"\0" * 200)

    result = letters("check", case, "--today", LETTER_DATE)

    assert result.exit_code == 2 and f"{case}:{line}:" in result.stderr
    assert "MB a screenshot may be" in result.stderr


def test_a_whole_screenshot_is_drafted_and_bundled(tmp_path, letters):
    case, _ = _evidence_case(tmp_path, png(3, 2))
    case.write_text(case.read_text().replace("[negative_comment]", "[threat_of_violence]"))
    out = tmp_path / "out"

    drafted = letters("draft", case, "--out", out, "--date", LETTER_DATE)
    bundled = letters("bundle", case, "--archive", out, "--out", tmp_path / "b.zip")

    assert drafted.exit_code == 0, drafted.output
    assert bundled.exit_code == 0, bundled.output


def test_a_screenshot_damaged_after_drafting_stops_the_bundle_at_its_line(tmp_path, letters):
    case, line = _evidence_case(tmp_path, png(3, 2))
    out = tmp_path / "out"
    assert letters("draft", case, "--out", out, "--date", LETTER_DATE).exit_code == 0
    (tmp_path / "evidence" / "shot.png").write_bytes(b"\x89PNG\r\n\x1a\n")

    result = letters("bundle", case, "--archive", out, "--out", tmp_path / "b.zip")

    no_traceback(result)
    assert result.exit_code == 2 and f"{case}:{line}:" in result.stderr


def test_a_case_that_fails_while_drafting_never_stops_the_batch(tmp_path, letters, monkeypatch):
    cases = tmp_path / "cases"
    for n in (1, 2, 3):
        case_file(cases, BASE_CASE.replace("T-001", f"T-00{n}"), f"T-00{n}.yaml")
    real = pipeline.draft.build_context

    def build_context(letter, case, *args, **kwargs):
        if case.case_id == "T-002":
            raise OSError(errno.EIO, "Input/output error")  # as an unreadable screenshot would
        return real(letter, case, *args, **kwargs)

    monkeypatch.setattr(pipeline.draft, "build_context", build_context)
    out = tmp_path / "out"

    result = letters("draft", cases, "--out", out, "--date", LETTER_DATE, "--jobs", "1")

    no_traceback(result)
    assert result.exit_code == 1
    assert "Not drafted: " in result.stderr and "T-002.yaml" in result.stderr
    assert "Input/output error" in result.stderr
    assert "3 cases: 2 letters written, 0 unchanged, 0 invalid, 1 failed." in result.stdout
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == [".locks", "T-001", "T-003"]


# --- two files with one case id ----------------------------------------------------------------


def test_two_files_with_one_case_id_are_refused_naming_both(tmp_path, letters):
    cases = tmp_path / "cases"
    first = case_file(cases, BASE_CASE, "a.yaml")
    second = case_file(cases, BASE_CASE.replace("Mrs Jane Doe", "Mr John Roe"), "b.yaml")
    third = case_file(cases, BASE_CASE.replace("T-001", "T-002"), "c.yaml")
    out = tmp_path / "out"

    checked = letters("check", cases, "--today", LETTER_DATE)
    drafted = letters("draft", cases, "--out", out, "--date", LETTER_DATE)
    again = letters("draft", cases, "--out", out, "--date", LETTER_DATE)

    for result in (checked, drafted, again):
        no_traceback(result)
        assert result.exit_code == 2
        lines = result.stderr.splitlines()
        assert any(l.startswith(f"{first}:1: case_id: 'T-001' is also the case_id of")
                   and "b.yaml" in l for l in lines)
        assert any(l.startswith(f"{second}:1: case_id:") and "a.yaml" in l for l in lines)
    assert f"{third.name}: ok" in checked.stdout or "c.yaml: ok" in checked.stdout
    assert not (out / "T-001").exists()  # neither drafted, so no -v2 can alternate
    assert (out / "T-002").is_dir()


def test_the_same_file_named_twice_is_not_a_duplicate(tmp_path, letters):
    case = case_file(tmp_path)

    result = letters("check", case, tmp_path / "." / "case.yaml", "--today", LETTER_DATE)

    assert result.exit_code == 0, result.output


# --- CSV cells ---------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example","click")', "+44 1234", "-1+1", "@SUM(A1)",
            "\tTab", "\rCR"]


def test_register_csv_cells_that_a_spreadsheet_would_run_are_neutralised():
    rows = [RegisterRow(reference="T-001/01", case_id="T-001", kind="letter of concern",
                        recipient=value, drafted="2026-12-01", sent="", method="",
                        respond_by="", status="draft", posts="P1", version=1, files="x.docx")
            for value in FORMULAS + ["Mrs = Doe", "plain"]]

    sheet = list(csv.reader(io.StringIO(register_csv(rows), newline="")))

    recipients = [row[3] for row in sheet[1:]]
    assert recipients == ["'" + v for v in FORMULAS] + ["Mrs = Doe", "plain"]


def test_the_evidence_log_spreadsheet_neutralises_post_text(tmp_path, letters):
    text = BASE_CASE.replace("text: The teachers at this school are a joke.",
                             "text: '=HYPERLINK(\"http://evil.example\",\"click\")'")
    case = case_file(tmp_path, text)
    out = tmp_path / "out"
    assert letters("draft", case, "--out", out, "--date", LETTER_DATE).exit_code == 0

    result = letters("bundle", case, "--archive", out, "--out", tmp_path / "b.zip")

    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(tmp_path / "b.zip") as zf:
        sheet = list(csv.reader(io.StringIO(zf.read("T-001-evidence-log.csv").decode(
            "utf-8-sig"))))
    header = sheet.index([c for c in sheet if "Content as posted" in c][0])
    row = dict(zip(sheet[header], sheet[header + 1]))
    assert row["Content as posted"] == "'=HYPERLINK(\"http://evil.example\",\"click\")"


# --- templates under limits --------------------------------------------------------------------

ATTACKS = {
    "nested-range-loops": ("{% for a in range(100000) %}{% for b in range(100000) %}"
                           "{% endfor %}{% endfor %}", "time"),
    "list-grows-while-looped": ("{% set l = [1] %}{% for x in l %}{{ l.append(x) }}"
                                "{% endfor %}", "unsafe"),
    "lipsum": ("{{ lipsum(n=10**7) }}", "items"),
    "string-times-huge": ("{{ 'x' * 10**10 }}", "value size"),
    "list-times-huge": ("{{ [1] * 10**9 }}", "items"),
    "format-width": ("{{ '%999999999s'|format('a') }}", "width"),
}


def _hostile_templates(tmp_path: Path, repo: Path, source: str) -> Path:
    folder = tmp_path / "templates"
    shutil.copytree(repo / "letter_templates", folder)
    path = folder / "concern.docx"
    with zipfile.ZipFile(path) as zf:
        parts = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in parts:
            if info.filename == "word/document.xml":
                data = data.replace(b"{{ signatory.role }}", source.encode(), 1)
            zf.writestr(info, data)
    return folder


@pytest.mark.parametrize("source, limit", ATTACKS.values(), ids=ATTACKS.keys())
def test_a_template_that_would_hang_or_exhaust_memory_is_a_clear_error(
        tmp_path, repo, letters, monkeypatch, source, limit):
    monkeypatch.setattr(pipeline.docx.template, "LETTER_LIMITS", Limits(seconds=1.0))
    templates = _hostile_templates(tmp_path, repo, source)
    case = case_file(tmp_path / "cases")
    out = tmp_path / "out"

    checked = letters("templates", "check", templates / "concern.docx")
    drafted = letters("draft", case, "--out", out, "--templates", templates, "--date",
                      LETTER_DATE)

    for result in (checked, drafted):
        no_traceback(result)
        assert result.exit_code == 1
        assert "concern.docx" in result.stderr
        if limit == "unsafe":
            assert "append" in result.stderr and "may not" in result.stderr
        elif result is checked and source.startswith("{{ lipsum"):
            assert "'lipsum' is not a field" in result.stderr  # the lint stops it first
        else:
            assert f"({limit} limit)" in result.stderr
    assert not (out / "T-001").exists()


# --- times, line numbers, file names -----------------------------------------------------------


def test_a_post_time_with_an_offset_is_given_in_uk_time_naming_both(tmp_path, letters):
    text = BASE_CASE.replace("posted: 2026-10-30", "posted: 2026-10-30T23:30:00-05:00")
    case = case_file(tmp_path, text)
    out = tmp_path / "out"

    result = letters("draft", case, "--out", out, "--date", LETTER_DATE)
    bundled = letters("bundle", case, "--archive", out, "--out", tmp_path / "b.zip")

    assert result.exit_code == 0, result.output
    shown = "31 October 2026 at 04:30 UK time (30 October 2026 at 23:30 UTC\u221205:00)"
    assert shown in docx_text(out / "T-001" / "T-001-01-concern.docx")
    assert "at 23:30" not in docx_text(out / "T-001" / "T-001-01-concern.docx").replace(
        "2026 at 23:30 UTC", "")
    with zipfile.ZipFile(tmp_path / "b.zip") as zf:
        sheet = list(csv.reader(io.StringIO(zf.read("T-001-evidence-log.csv").decode(
            "utf-8-sig"))))
        chronology = Document(io.BytesIO(zf.read("T-001-chronology.docx"))).tables[0]
    header = sheet.index([c for c in sheet if "Posted" in c][0])
    assert bundled.exit_code == 0 and dict(zip(sheet[header], sheet[header + 1]))["Posted"] == shown
    rows = [[c.text for c in row.cells] for row in chronology.rows]
    [posted] = [row for row in rows if "posted P1 on Facebook" in row[2]]
    assert posted[:2] == ["31 October 2026", "04:30"]
    assert "30 October 2026 at 23:30 UTC\u221205:00" in posted[2]


def test_a_cr_only_file_reports_its_real_line_numbers(tmp_path, letters):
    text = BASE_CASE.replace("text: The teachers", "text: The \x07teachers")
    path = tmp_path / "case.yaml"
    path.write_bytes(text.replace("\n", "\r").encode("utf-8"))
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(BASE_CASE.replace("joke", "jok\xe9").replace("\n", "\r").encode("latin-1"))
    line = BASE_CASE.splitlines().index("    text: The teachers at this school are a joke.") + 1

    result = letters("check", path, latin, "--today", LETTER_DATE)

    assert result.exit_code == 2
    assert f"{path}:{line}: contains the invisible character U+0007" in result.stderr
    assert f"{latin}:{line}: is not UTF-8 text" in result.stderr


def test_a_line_break_in_a_file_name_is_shown_escaped(tmp_path, letters):
    path = case_file(tmp_path, BASE_CASE.replace("opened: 2026-11-02", "opened: 03/11/2026"),
                     "evil\nfake.yaml:1: ok")

    result = letters("check", path, "--today", LETTER_DATE)

    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"{tmp_path}/evil\\nfake.yaml:1: ok:2: opened:")


# --- linear time in posts (the timings are bench/posts.py's) -----------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("abcXYZ Ée\u0301ł\u2019 .-\n\tİßæ\u200b0"), max_size=40))
def test_the_fast_folding_of_a_text_is_the_character_by_character_one(text):
    from pipeline.case.names import _fold, _View

    view = _View(text)
    norm, src, up, low = [], [], [], []
    for i, c in enumerate(text):  # the original loop, one character at a time
        folded, is_up, is_low = _fold(c)
        norm.append(folded)
        src += [i] * len(folded)
        up += [is_up] * len(folded)
        low += [is_low] * len(folded)
    assert view.norm == "".join(norm)
    assert list(view.src) == src
    assert [view.up[i] for i in range(len(src))] == up
    assert [view.low[i] for i in range(len(src))] == low
    assert list(view.low[1:3]) == low[1:3]


@settings(max_examples=200, deadline=None)
@given(st.sets(st.text(alphabet="ab:/.", min_size=1, max_size=6), min_size=1, max_size=15),
       st.text(alphabet="ab:/. x", max_size=80))
def test_urls_are_blanked_as_the_longest_first_alternation_did(words, text):
    import re

    from pipeline.letter.redact import literal_alternation

    plain = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))
    mark = lambda m: f"<{m.group()}>"  # noqa: E731
    assert literal_alternation(words).sub(mark, text) == plain.sub(mark, text)
