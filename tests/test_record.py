"""The record kept of a case: the register, the advisers' bundle, and what the letters say.

The contract ("The record"): `letters register [OUT] [--csv FILE]` lists one row per letter and
whether the case's history records it as sent; `letters bundle CASE [--out FILE.zip]` gives the
legal advisers the letters, a chronology, the evidence log and screenshots, the manifest and an
index page with each file's SHA-256; the legal referral and access restriction letters say what
they must; and the police note carries the evidence screenshots as pictures.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import date, datetime
from pathlib import Path

import docx
import pytest
import yaml
from conftest import REPO, this_checkout_env

from pipeline.dates import long_date
from pipeline.record import EVIDENCE_COLUMNS, RegisterRow

PINNED = date(2026, 12, 1)

needs_libreoffice = pytest.mark.skipif(
    not (shutil.which("soffice") or shutil.which("libreoffice")),
    reason="PDF copies need LibreOffice (soffice) installed")


# --- helpers -----------------------------------------------------------------------------------


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def letter_entries(out: Path, case_id: str) -> list[dict]:
    manifest = json.loads((out / case_id / "manifest.json").read_text(encoding="utf-8"))
    return [e for e in manifest["letters"] if e["event"] == "letter"]


def document_text(source: Path | bytes) -> str:
    """Every paragraph and table cell of a .docx, one per line."""
    document = docx.Document(io.BytesIO(source) if isinstance(source, bytes) else source)
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines += [cell.text for cell in row.cells]
    return "\n".join(lines)


def table_rows(source: bytes) -> list[list[str]]:
    """The cells of the first table in a .docx, row by row."""
    table = docx.Document(io.BytesIO(source)).tables[0]
    return [[cell.text for cell in row.cells] for row in table.rows]


def write_at(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def the_case(sample_cases: list[Path], case_id: str) -> Path:
    return next(p for p in sample_cases if p.stem == case_id)


def the_letter(out: Path, case_id: str, kind: str) -> Path:
    [entry] = [e for e in letter_entries(out, case_id) if e["kind"] == kind]
    return out / case_id / entry["files"]["docx"]


# --- register ----------------------------------------------------------------------------------


def register_rows(invoke, out: Path, *args) -> tuple[list[dict[str, str]], str]:
    """The register's rows, read from its CSV (every column in full), and its plain output."""
    target = out.parent / "register.csv"
    result = invoke("register", out, "--csv", target, *args)
    assert result.exit_code == 0, result.output
    with open(target, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle)), result.stdout


def test_register_lists_every_letter_drafted(tmp_path, draft_into, sample_cases, invoke):
    out = tmp_path / "out"
    draft_into(out, *sample_cases, today=PINNED)
    entries = {e["reference"]: e for m in sorted(out.glob("*/manifest.json"))
               for e in letter_entries(out, m.parent.name)}

    rows, shown = register_rows(invoke, out, "--today", "2026-12-01")

    assert sorted(r["reference"] for r in rows) == sorted(entries)
    for row in rows:
        entry = entries[row["reference"]]
        assert row["drafted on"] == entry["letter_date"]
        assert row["recipient"] == entry["recipient"]
        assert row["respond by"] == (entry["respond_by"] or "")
        # None of the letters drafted for the samples is in its case's history yet.
        assert (row["status"], row["sent on"], row["sent by"]) == ("draft", "", "")
        assert row["reference"] in shown
    assert f"{len(entries)} letters; {len(entries)} to send or chase" in shown


def test_register_csv_has_a_header_and_one_row_per_letter(tmp_path, draft_into, sample_cases,
                                                          invoke):
    out = tmp_path / "out"
    draft_into(out, *sample_cases, today=PINNED)
    target = tmp_path / "reports" / "register.csv"

    result = invoke("register", out, "--csv", target)

    assert result.exit_code == 0, result.output
    assert "Wrote" in result.stdout
    with open(target, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == RegisterRow.HEADERS
    body = [dict(zip(rows[0], row)) for row in rows[1:]]
    entries = {e["reference"]: e for m in out.glob("*/manifest.json")
               for e in letter_entries(out, m.parent.name)}
    assert sorted(row["reference"] for row in body) == sorted(entries)
    for row in body:
        entry = entries[row["reference"]]
        assert row["case"] == row["reference"].split("/")[0]
        assert row["files"].split()[0] == entry["files"]["docx"]


CONCERN_SENT = """\
history:
  - date: {day}
    step: concern_letter
    outcome: pending
    by: Headteacher
    posts: [P1]
"""


@pytest.mark.parametrize("sent, recorded", [
    ("2026-11-03", True),   # recorded on the letter's date
    ("2026-11-06", True),   # recorded later
    ("2026-11-02", False),  # an earlier step is not this letter
])
def test_register_shows_a_letter_sent_once_the_history_records_it(
        tmp_path, draft_into, base_case, invoke, sent, recorded):
    chased = write_at(tmp_path / "cases" / "T-001.yaml", base_case)
    other = write_at(tmp_path / "cases" / "T-002.yaml",
                     base_case.replace("case_id: T-001", "case_id: T-002"))
    out = tmp_path / "out"
    draft_into(out, chased, other, today=date(2026, 11, 3))
    write_at(chased, base_case.replace("history: []\n", CONCERN_SENT.format(day=sent)))

    rows, shown = register_rows(invoke, out, "--today", "2026-11-08")

    by_ref = {r["reference"]: r for r in rows}
    if recorded:
        assert (by_ref["T-001/01"]["status"], by_ref["T-001/01"]["sent on"]) == ("sent", sent)
    else:
        assert by_ref["T-001/01"]["status"] == "draft"
    assert by_ref["T-002/01"]["status"] == "draft"
    assert f"2 letters; {1 if recorded else 2} to send or chase" in shown


def test_register_shows_an_unanswered_letter_as_overdue_then_answered(
        tmp_path, draft_into, base_case, invoke):
    case = write_at(tmp_path / "cases" / "T-001.yaml", base_case)
    out = tmp_path / "out"
    draft_into(out, case, today=date(2026, 11, 3))
    write_at(case, base_case.replace("history: []\n", CONCERN_SENT.format(day="2026-11-03")))

    waiting, _ = register_rows(invoke, out, "--today", "2026-11-10")
    late, _ = register_rows(invoke, out, "--today", "2026-11-11")
    write_at(case, base_case.replace("history: []\n", CONCERN_SENT.format(
        day="2026-11-03").replace("outcome: pending", "outcome: refused")))
    answered, _ = register_rows(invoke, out, "--today", "2026-11-11")

    assert [r["status"] for r in (*waiting, *late, *answered)] == ["sent", "overdue", "answered"]
    assert waiting[0]["respond by"] == "2026-11-10"


def test_register_shows_a_letter_once_at_its_latest_version(tmp_path, draft_into, base_case,
                                                            invoke):
    case = write_at(tmp_path / "case.yaml", base_case)
    out = tmp_path / "out"
    draft_into(out, case, today=date(2026, 11, 3))
    write_at(case, base_case.replace("are a joke.", "are a disgrace."))
    draft_into(out, case, today=date(2026, 11, 4))

    rows, _ = register_rows(invoke, out)

    assert [(r["reference"], r["version"], r["drafted on"], r["files"]) for r in rows] == [
        ("T-001/01", "2", "2026-11-04", "T-001-01-concern-v2.docx")]


def test_register_finds_the_case_from_another_directory(tmp_path, base_case, school_path):
    # Regression: the manifest kept case_file as typed (relative to where draft ran), so the
    # register elsewhere said 'case file not found' and counted nothing left to chase.
    office, elsewhere = tmp_path / "office", tmp_path / "elsewhere"
    write_at(office / "cases" / "T-001.yaml", base_case)
    elsewhere.mkdir()
    out = tmp_path / "out"

    def letters(cwd: Path, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd, text=True,
                              capture_output=True, timeout=120, check=False,
                              env=this_checkout_env())

    drafted = letters(office, "draft", "cases/T-001.yaml", "--out", str(out),
                      "--date", "2026-12-01", "--school", str(school_path),
                      "--templates", str(REPO / "letter_templates"))
    assert drafted.returncode == 0, drafted.stderr

    result = letters(elsewhere, "register", str(out))

    assert result.returncode == 0, result.stderr
    assert "case file not found" not in result.stdout
    assert "1 letter; 1 to send or chase" in result.stdout


def test_register_finds_a_moved_case_file_by_its_case_id(tmp_path, draft_into, base_case,
                                                        invoke):
    # The office moved its case files (a new PC, a renamed folder): the path in the manifest is
    # gone, and another case now sits at it. The history must come from the right case.
    old = write_at(tmp_path / "old" / "T-001.yaml", base_case)
    out = tmp_path / "out"
    draft_into(out, old, today=date(2026, 11, 3))
    old.rename(tmp_path / "moved.yaml")
    write_at(old, base_case.replace("case_id: T-001", "case_id: T-999").replace(
        "history: []\n", CONCERN_SENT.format(day="2026-11-04")))
    write_at(tmp_path / "new" / "renamed.yaml",
             base_case.replace("history: []\n", CONCERN_SENT.format(day="2026-11-05")))

    [lost], _ = register_rows(invoke, out, "--cases", tmp_path / "nowhere",
                              "--today", "2026-11-06")
    [found], _ = register_rows(invoke, out, "--cases", tmp_path / "nowhere",
                               "--cases", tmp_path / "new", "--today", "2026-11-06")

    assert lost["status"] == "case file not found"
    assert (found["status"], found["sent on"]) == ("sent", "2026-11-05")


def test_register_never_guesses_between_two_files_with_one_case_id(tmp_path, draft_into,
                                                                  base_case, invoke):
    case = write_at(tmp_path / "old" / "T-001.yaml", base_case)
    out = tmp_path / "out"
    draft_into(out, case, today=date(2026, 11, 3))
    case.unlink()
    for name, day in (("T-001.yaml", "2026-11-04"), ("T-001 backup.yaml", "2026-11-05")):
        write_at(tmp_path / "new" / name,
                 base_case.replace("history: []\n", CONCERN_SENT.format(day=day)))

    [row], _ = register_rows(invoke, out, "--cases", tmp_path / "new")

    assert row["status"] == ("case file not found: 2 files have case_id T-001 "
                             "(T-001 backup.yaml, T-001.yaml); keep one")


def test_register_sends_a_case_file_with_problems_to_letters_check(tmp_path, draft_into,
                                                                   base_case, invoke):
    case = write_at(tmp_path / "cases" / "T-001.yaml", base_case)
    out = tmp_path / "out"
    draft_into(out, case, today=date(2026, 11, 3))
    write_at(case, base_case.replace("platform: facebook", "platfrom: facebook"))

    [row], _ = register_rows(invoke, out, "--cases", tmp_path / "cases")

    assert row["status"] == f"case file has problems: run letters check {case.resolve()}"


# --- the bundle --------------------------------------------------------------------------------


@pytest.fixture
def bundle_009(tmp_path, draft_into, sample_cases, letters) -> tuple[zipfile.ZipFile, Path]:
    """BPS-2026-009 (two posts with screenshots) drafted on PINNED, and its bundle (open zip,
    archive folder)."""
    case = the_case(sample_cases, "BPS-2026-009")
    out = tmp_path / "out"
    draft_into(out, case, today=PINNED)
    target = tmp_path / "advisers" / "bundle.zip"
    result = letters("bundle", case, "--out", target, "--archive", out)
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(target) as zf:
        yield zf, out


def test_bundle_holds_letters_record_evidence_manifest_and_case(bundle_009, sample_cases):
    zf, out = bundle_009
    case = the_case(sample_cases, "BPS-2026-009")
    names = set(zf.namelist())

    letters = {f"letters/{e['files']['docx']}": e for e in letter_entries(out, "BPS-2026-009")}
    assert len(letters) == 3
    assert names == {"index.html", *letters, "BPS-2026-009-chronology.docx",
                     "BPS-2026-009-evidence-log.docx", "BPS-2026-009-evidence-log.csv",
                     "evidence/P1-BPS-2026-009-P1.png", "evidence/P2-BPS-2026-009-P2.png",
                     "manifest.json", "case/BPS-2026-009-case-record.yaml"}
    for name, entry in letters.items():
        assert sha256(zf.read(name)) == entry["sha256"]["docx"]
    evidence = case.parent / "evidence"
    assert zf.read("evidence/P1-BPS-2026-009-P1.png") == (evidence / "BPS-2026-009-P1.png"
                                                          ).read_bytes()
    assert zf.read("evidence/P2-BPS-2026-009-P2.png") == (evidence / "BPS-2026-009-P2.png"
                                                          ).read_bytes()
    # The manifest, with every path relative to the bundle (letter-spec 12).
    archived = json.loads((out / "BPS-2026-009" / "manifest.json").read_text("utf-8"))
    bundled = json.loads(zf.read("manifest.json"))
    assert bundled["case_id"] == archived["case_id"]
    for mine, theirs in zip(bundled["letters"], archived["letters"], strict=True):
        assert mine["sha256"] == theirs["sha256"]
        assert mine["files"] == {k: f"letters/{v}" for k, v in theirs["files"].items()}
        assert mine["files"]["docx"] in names
        assert mine["case_file"] == "case/BPS-2026-009-case-record.yaml"
    # The case record: the validated case, without the case file's comments.
    record = yaml.safe_load(zf.read("case/BPS-2026-009-case-record.yaml"))["case"]
    raw = yaml.safe_load(case.read_text("utf-8"))
    assert record["case_id"] == raw["case_id"]
    assert [p["text"] for p in record["posts"]] == [p["text"] for p in raw["posts"]]
    assert [p["evidence"] for p in record["posts"]] == ["evidence/P1-BPS-2026-009-P1.png",
                                                        "evidence/P2-BPS-2026-009-P2.png"]
    comments = [line for line in case.read_text("utf-8").splitlines() if line.startswith("#")]
    assert comments
    text = zf.read("case/BPS-2026-009-case-record.yaml").decode("utf-8")
    assert not [c for c in comments if c in text]
    quoted = {line for p in record["posts"] for line in p["text"].splitlines()}
    assert not [line for line in text.splitlines()
                if line.lstrip().startswith("#") and line.strip() not in quoted]


def test_bundle_index_lists_every_member_with_its_sha256(bundle_009):
    zf, _ = bundle_009
    page = zf.read("index.html").decode("utf-8")

    listed = dict(re.findall(r'<a href="([^"]+)">.*?<code>([0-9a-f]{64})</code>', page))

    assert set(listed) == set(zf.namelist()) - {"index.html"}
    for name, digest in listed.items():
        assert digest == sha256(zf.read(name)), f"index.html gives the wrong SHA-256 for {name}"
    assert "not for onward disclosure" in page
    assert "Bexton Primary School: bundle for case BPS-2026-009" in page
    for reference in ("BPS-2026-009/01", "BPS-2026-009/02", "BPS-2026-009/03"):
        [row] = [r for r in page.split("<tr>") if f"letter {reference}," in r and ".docx" in r]
        assert "not yet recorded as sent" in row
    assert "warning" not in re.sub(r"<a href.*?</a>", "", page).replace("Formal warning", "")


def _when(text: str) -> datetime:
    for form in ("%d %B %Y %H:%M", "%d %B %Y"):
        try:
            return datetime.strptime(text, form)
        except ValueError:
            pass
    raise AssertionError(f"{text!r} is not a date the chronology should show")


UNBREAKABLE = str.maketrans({"\u00a0": " ", "\u2011": "-", "\u2060": None, "\u200b": None})


def test_bundle_chronology_lists_posts_history_and_letters_in_date_order(bundle_009):
    zf, _ = bundle_009

    rows = [[c.translate(UNBREAKABLE) for c in row]
            for row in table_rows(zf.read("BPS-2026-009-chronology.docx"))]

    assert rows[0] == ["Date", "Time", "What happened", "Reference"]
    events = [(_when(day if time == "\u2013" else f"{day} {time}"), what, ref)
              for day, time, what, ref in rows[1:]]
    # By day; within a day the timed events, then the steps recorded without a time (the DSL
    # told about P2 on 14 October comes after P2 was posted at 07:55, not before it).
    keys = [(when.date(), time == "\u2013", when)
            for (when, _, _), (_, time, _, _) in zip(events, rows[1:])]
    assert keys == sorted(keys)
    whats_ = [what for _, what, _ in events]
    assert whats_.index(next(w for w in whats_ if "posted P2" in w)) < \
        whats_.index(next(w for w in whats_ if "designated safeguarding lead about P2" in w))
    whats = [what for _, what, _ in events]
    order = ["posted P1 on Facebook", "recorded P1 as evidence", "met Mrs Dutton about P1",
             "posted P2 on Facebook", "recorded P2 as evidence"]
    found = [next(i for i, w in enumerate(whats) if o in w) for o in order]
    assert found == sorted(found)
    assert events[found[2]][0] == datetime(2026, 10, 5)
    drafted = [(what, ref) for _, what, ref in events if ref.startswith("BPS-2026-009/")]
    assert [ref for _, ref in drafted] == ["BPS-2026-009/01", "BPS-2026-009/02",
                                           "BPS-2026-009/03"]
    assert all("not yet recorded as sent" in what for what, _ in drafted)


def test_bundle_evidence_log_in_word_and_as_a_spreadsheet(bundle_009, sample_cases):
    zf, _ = bundle_009
    evidence = the_case(sample_cases, "BPS-2026-009").parent / "evidence"

    log = zf.read("BPS-2026-009-evidence-log.docx")
    rows = table_rows(log)
    assert tuple(" ".join(c.split()) for c in rows[0]) == EVIDENCE_COLUMNS
    assert [row[0] for row in rows[1:]] == ["P1", "P2"]
    assert len(docx.Document(io.BytesIO(log)).inline_shapes) == 2  # the screenshots

    sheet = list(csv.reader(io.StringIO(zf.read("BPS-2026-009-evidence-log.csv")
                                        .decode("utf-8-sig"))))
    assert "not for onward disclosure" in sheet[0][0]
    assert tuple(sheet[1]) == EVIDENCE_COLUMNS
    by_post = {row[0]: dict(zip(EVIDENCE_COLUMNS, row)) for row in sheet[2:]}
    assert sorted(by_post) == ["P1", "P2"]
    assert by_post["P1"]["Posted"] == "30 September 2026 at 19:12"
    assert by_post["P1"]["Full web address"].startswith("https://www.facebook.com/groups/")
    shot = by_post["P2"]["Screenshot and SHA-256"]
    assert shot.startswith("evidence/P2-BPS-2026-009-P2.png")
    assert sha256((evidence / "BPS-2026-009-P2.png").read_bytes()) in shot
    assert by_post["P2"]["Captured by and when"] == "Deputy Headteacher, 14 October 2026 at 09:20"


@pytest.mark.slow
@needs_libreoffice
def test_bundle_includes_the_pdf_copies(tmp_path, letters, sample_cases):
    case = the_case(sample_cases, "BPS-2026-004")
    out = tmp_path / "out"
    drafted = letters("draft", case, "--out", out, "--date", "2026-12-01", "--pdf")
    assert drafted.exit_code == 0, drafted.output
    target = tmp_path / "bundle.zip"

    result = letters("bundle", case, "--out", target, "--archive", out)

    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(target) as zf:
        pdf = "letters/BPS-2026-004-01-concern.pdf"
        assert {"letters/BPS-2026-004-01-concern.docx", pdf} <= set(zf.namelist())
        assert zf.read(pdf) == (out / "BPS-2026-004" / "BPS-2026-004-01-concern.pdf").read_bytes()
        assert pdf in zf.read("index.html").decode("utf-8")


def test_bundle_of_a_case_with_an_offset_post_time(tmp_path, base_case, letters):
    # Regression: a post time with a UTC offset passes validation and drafts, but sorting it
    # against the naive dates of history steps crashed the chronology with a TypeError.
    case = write_at(tmp_path / "case.yaml", base_case
                    .replace("posted: 2026-10-30", "posted: 2026-10-30T18:45+01:00")
                    .replace("history: []\n", "history:\n  - {date: 2026-11-05, step: "
                             "discussion, outcome: refused, posts: [P1]}\n"))
    out = tmp_path / "out"
    drafted = letters("draft", case, "--out", out, "--date", "2026-12-01")
    assert drafted.exit_code == 0, drafted.output

    result = letters("bundle", case, "--out", tmp_path / "bundle.zip", "--archive", out)

    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(tmp_path / "bundle.zip") as zf:
        assert "T-001-chronology.docx" in zf.namelist()


# --- the two new letter kinds ------------------------------------------------------------------


def test_legal_referral_names_the_firm_and_the_questions(tmp_path, draft_into, sample_cases,
                                                         school):
    out = tmp_path / "out"
    draft_into(out, the_case(sample_cases, "BPS-2026-014"), today=PINNED)

    text = document_text(the_letter(out, "BPS-2026-014", "legal_referral"))

    advisers = school.legal_advisers
    assert advisers.firm in text and advisers.name in text
    assert "defamatory" in text and "Defamation Act 2013" in text
    assert "letter of claim under the Pre-Action Protocol" in text
    # P1 and P2 are about Mr Hargreaves on two days: a course of conduct to ask about.
    assert "harassment" in text and "Protection from Harassment Act 1997" in text
    [entry] = [e for e in letter_entries(out, "BPS-2026-014") if e["kind"] == "legal_referral"]
    assert advisers.firm in entry["recipient"]


@pytest.mark.parametrize("pinning", [{"today": PINNED},
                                     {"today": date(2026, 12, 1), "letter_date": PINNED}])
def test_access_restriction_names_its_start_and_how_to_ask_for_a_review(
        tmp_path, draft_into, sample_cases, school, pinning):
    out = tmp_path / "out"
    draft_into(out, the_case(sample_cases, "BPS-2026-007"), **pinning)

    text = document_text(the_letter(out, "BPS-2026-007", "access_restriction"))

    start = long_date(PINNED)  # the restriction starts on the letter's date
    assert f"suspend your account on {school.forum_name} from {start} until " in text
    assert "Asking me to review this decision" in text
    [how] = [line for line in text.splitlines() if "please write to me at the school" in line]
    assert school.email in how and "giving your reasons" in how


# --- evidence in the police note ---------------------------------------------------------------


def test_police_note_embeds_the_evidence_screenshots(tmp_path, draft_into, sample_cases):
    case = the_case(sample_cases, "BPS-2026-009")
    out = tmp_path / "out"
    draft_into(out, case, today=PINNED)
    letter = the_letter(out, "BPS-2026-009", "police_referral")

    with zipfile.ZipFile(letter) as zf:
        media = sorted(n for n in zf.namelist() if n.startswith("word/media/"))
        images = {zf.read(n) for n in media}
    screenshots = {(case.parent / "evidence" / f"BPS-2026-009-{post}.png").read_bytes()
                   for post in ("P1", "P2")}
    assert len(media) == 2
    assert images == screenshots
    shapes = docx.Document(letter).inline_shapes
    assert len(shapes) == 2
    assert all(shape.width > 0 and shape.height > 0 for shape in shapes)
