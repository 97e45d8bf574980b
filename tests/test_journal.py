"""The archive proves itself (CASE_FORMAT.md, version 2): the journal, verify, the seal, adoption.

Every way of tampering with an archive that the adversarial review of issue 11 tried is here,
each with the problem `letters verify` must name; `register` and `bundle` refuse the same
archive with the same lines; and no content of a manifest or the journal makes verify crash.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.archive.journal import JOURNAL, ZERO, Journal

PINNED = date(2026, 12, 1)
KINDS = ("chain broken", "malformed", "missing", "added", "altered", "moved", "renamed",
         "unlisted", "seal")
FINDING = re.compile(r"^(.*?): (" + "|".join(KINDS) + r"): (.*)$")
C009, C014 = "BPS-2026-009", "BPS-2026-014"
L009 = f"{C009}-03-police_referral.docx"
L014 = f"{C014}-02-host_takedown-facebook.docx"


# --- helpers -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def drafted_once(tmp_path_factory, school_path, sample_cases) -> Path:
    from pipeline.draft import Settings, draft_many

    out = tmp_path_factory.mktemp("journal") / "out"
    outcomes = draft_many([p for p in sample_cases if p.stem in (C009, C014)],
                          Settings(school_path=school_path, out_dir=out, today=PINNED))
    assert all(o.ok for o in outcomes) and sum(len(o.letters) for o in outcomes) == 6
    return out


@pytest.fixture
def archive(tmp_path, drafted_once) -> Path:
    """OUT holding the letters of BPS-2026-009 (3) and BPS-2026-014 (3), drafted on PINNED
    (once for the module; each test tampers with its own copy, modes kept)."""
    out = tmp_path / "out"
    shutil.copytree(drafted_once, out, symlinks=True)
    return out


def writable(path: Path) -> Path:
    """Archived letters are read-only (0444); a test playing the tamperer makes one writable."""
    path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return path


def findings(result) -> list[tuple[str, str, str]]:
    """(path, kind, detail) of each line verify printed to stderr; every line must be one."""
    found = []
    for line in result.stderr.splitlines():
        match = FINDING.match(line)
        assert match, f"not a finding: {line!r}"
        found.append(match.groups())
    return found


def verify(invoke, out: Path, *more) -> tuple[int, list[tuple[str, str, str]], str]:
    result = invoke("verify", out, *more)
    assert "Traceback" not in result.output
    return result.exit_code, findings(result), result.stdout


def kinds_at(found, path: Path | str) -> list[str]:
    return [kind for where, kind, _ in found if where == str(path)]


def manifest(out: Path, case_id: str) -> dict:
    return json.loads((out / case_id / "manifest.json").read_text(encoding="utf-8"))


def write_manifest(out: Path, case_id: str, data) -> None:
    path = out / case_id / "manifest.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def journal_lines(out: Path) -> list[bytes]:
    return (out / JOURNAL).read_bytes().splitlines(keepends=True)


def seal_of(stdout: str) -> str:
    return re.search(r"^Seal: ([0-9a-f]{64}) ", stdout, re.M).group(1)


def rechained(lines: list[bytes]) -> bytes:
    """The journal lines with every n and prev recomputed: a tamperer covering their tracks."""
    out, prev = [], ZERO
    for n, raw in enumerate(lines, 1):
        record = json.loads(raw)
        record["n"], record["prev"] = n, prev
        raw = json.dumps(record, sort_keys=True, ensure_ascii=False,
                         separators=(",", ":")).encode() + b"\n"
        out.append(raw)
        prev = hashlib.sha256(raw).hexdigest()
    return b"".join(out)


# --- a clean archive ---------------------------------------------------------------------------


def test_every_archived_file_has_a_chained_journal_line_and_verify_prints_the_seal(archive,
                                                                                 invoke):
    lines = journal_lines(archive)
    records = [json.loads(raw) for raw in lines]
    letters = sorted(p.relative_to(archive).as_posix() for p in archive.glob("*/*.docx"))

    assert sorted(r["file"] for r in records) == letters
    prev = ZERO
    for n, (raw, record) in enumerate(zip(lines, records), 1):
        assert list(record) == sorted(record)  # keys sorted, one JSON object per line
        assert record["n"] == n and record["prev"] == prev
        assert record["sha256"] == hashlib.sha256((archive / record["file"]).read_bytes()
                                                  ).hexdigest()
        assert record["event"] == "letter" and record["reference"].startswith(record["case_id"])
        assert record["entry"] in manifest(archive, record["case_id"])["letters"]
        prev = hashlib.sha256(raw).hexdigest()

    code, found, stdout = verify(invoke, archive)

    assert (code, found) == (0, [])
    assert f"Seal: {prev} (journal line 6)" in stdout
    assert stdout.rstrip().endswith("6 files checked, 0 problems.")


def test_files_and_folders_are_readable_by_everyone_and_letters_read_only(tmp_path, draft_into,
                                                                        sample_cases):
    out = tmp_path / "out"
    old = os.umask(0o022)
    try:
        draft_into(out, next(p for p in sample_cases if p.stem == C009), today=PINNED)
    finally:
        os.umask(old)

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert {mode(p) for p in out.glob("*/*.docx")} == {0o444}
    assert mode(out / C009 / "manifest.json") == 0o644
    assert mode(out / JOURNAL) == 0o644
    assert mode(out / C009) == 0o755 and mode(out) == 0o755


def test_modes_follow_the_umask(tmp_path, draft_into, sample_cases):
    out = tmp_path / "out"
    old = os.umask(0o027)
    try:
        draft_into(out, next(p for p in sample_cases if p.stem == C009), today=PINNED)
    finally:
        os.umask(old)

    assert {stat.S_IMODE(p.stat().st_mode) for p in out.glob("*/*.docx")} == {0o440}
    assert stat.S_IMODE((out / C009 / "manifest.json").stat().st_mode) == 0o640
    assert stat.S_IMODE((out / C009).stat().st_mode) == 0o750


# --- tampering: each has its problem -----------------------------------------------------------


def test_a_deleted_manifest_is_missing(archive, invoke):
    (archive / C014 / "manifest.json").unlink()

    code, found, _ = verify(invoke, archive)

    assert code == 1
    assert kinds_at(found, archive / C014 / "manifest.json") == ["missing"]
    assert len(found) == 1


def test_a_deleted_case_folder_is_missing(archive, invoke):
    shutil.rmtree(archive / C009)

    code, found, _ = verify(invoke, archive)

    assert code == 1
    assert found == [(str(archive / C009), "missing", found[0][2])]
    assert "3 archived files" in found[0][2]


def test_an_entry_dropped_from_a_manifest_is_missing(archive, invoke):
    data = manifest(archive, C014)
    dropped = data["letters"].pop(1)
    write_manifest(archive, C014, data)

    code, found, _ = verify(invoke, archive)

    assert code == 1
    [(where, kind, detail)] = found
    assert (where, kind) == (str(archive / C014 / "manifest.json"), "missing")
    assert dropped["reference"] in detail and dropped["files"]["docx"] in detail


def test_an_emptied_manifest_misses_every_entry(archive, invoke):
    data = manifest(archive, C014)
    data["letters"] = []
    write_manifest(archive, C014, data)

    code, found, _ = verify(invoke, archive)

    assert code == 1
    assert kinds_at(found, archive / C014 / "manifest.json") == ["missing"] * 3


@pytest.mark.parametrize("how", ["removed", "blank", "not-hex"])
def test_a_removed_or_blanked_sha256_is_a_malformed_entry(archive, invoke, how):
    data = manifest(archive, C014)
    if how == "removed":
        del data["letters"][0]["sha256"]["docx"]
    else:
        data["letters"][0]["sha256"]["docx"] = "" if how == "blank" else "x" * 64
    write_manifest(archive, C014, data)

    code, found, stdout = verify(invoke, archive)

    assert code == 1
    where = str(archive / C014 / "manifest.json")
    assert ("malformed" in kinds_at(found, where))
    assert any("entry 1" in d and "sha256.docx" in d for w, k, d in found if k == "malformed")
    assert "6 files checked" in stdout  # the file is still checked against the journal


def test_an_unlisted_file_in_a_case_folder(archive, invoke):
    extra = archive / C009 / "BPS-2026-009-04-warning.docx"
    extra.write_bytes(b"PK not from the archive")

    code, found, _ = verify(invoke, archive)

    assert code == 1
    assert found == [(str(extra), "unlisted", found[0][2])]


def test_a_pipe_in_a_case_folder_is_unlisted_and_never_read(archive, invoke):
    fifo = archive / C009 / "pipe.docx"
    os.mkfifo(fifo)
    (archive / C009 / L009).unlink()  # so verify looks for the letter among the other files

    code, found, _ = verify(invoke, archive)

    assert code == 1
    assert sorted((w, k) for w, k, _ in found) == [(str(archive / C009 / L009), "missing"),
                                                   (str(fifo), "unlisted")]


def test_a_renamed_case_folder(archive, invoke):
    (archive / C014).rename(archive / "BPS-2026-099")

    code, found, _ = verify(invoke, archive)

    assert code == 1
    assert found == [(str(archive / C014), "renamed", found[0][2])]
    assert "BPS-2026-099" in found[0][2]


def test_a_case_folder_moved_into_another_folder(archive, invoke):
    (archive / "old").mkdir()
    (archive / C014).rename(archive / "old" / C014)

    code, found, _ = verify(invoke, archive)

    assert code == 1
    assert found == [(str(archive / C014), "moved", found[0][2])]
    assert str(archive / "old" / C014) in found[0][2]


def test_a_renamed_letter(archive, invoke):
    letter = archive / C014 / L014
    letter.rename(archive / C014 / "renamed.docx")

    code, found, _ = verify(invoke, archive)

    assert code == 1
    assert found == [(str(letter), "renamed", found[0][2])]
    assert "renamed.docx" in found[0][2]


def test_a_letter_moved_to_another_case_folder(archive, invoke):
    letter = archive / C014 / L014
    letter.rename(archive / C009 / L014)

    code, found, _ = verify(invoke, archive)

    assert code == 1
    assert found == [(str(letter), "moved", found[0][2])]


def test_an_altered_letter_whose_hash_was_rewritten_is_still_altered(archive, invoke):
    letter = writable(archive / C014 / L014)
    letter.write_bytes(letter.read_bytes() + b"\0")
    data = manifest(archive, C014)
    entry = next(e for e in data["letters"] if e["files"]["docx"] == L014)
    entry["sha256"]["docx"] = hashlib.sha256(letter.read_bytes()).hexdigest()
    write_manifest(archive, C014, data)

    code, found, _ = verify(invoke, archive)

    assert code == 1
    assert kinds_at(found, letter) == ["altered"]
    assert kinds_at(found, archive / C014 / "manifest.json") == ["altered"]
    assert "sha256" in next(d for w, k, d in found if w.endswith("manifest.json"))


def test_an_altered_recipient_in_a_manifest(archive, invoke):
    data = manifest(archive, C014)
    data["letters"][0]["recipient"] = "Someone Else"
    write_manifest(archive, C014, data)

    code, found, _ = verify(invoke, archive)

    assert code == 1
    [(where, kind, detail)] = found
    assert kind == "altered" and "recipient" in detail


def test_an_entry_added_to_a_manifest_with_its_file(archive, invoke):
    data = manifest(archive, C014)
    forged = json.loads(json.dumps(data["letters"][0]))
    forged["files"]["docx"] = "BPS-2026-014-09-concern.docx"
    forged["reference"], forged["number"] = "BPS-2026-014/09", 9
    shutil.copy(archive / C014 / data["letters"][0]["files"]["docx"],
                archive / C014 / forged["files"]["docx"])
    data["letters"].append(forged)
    write_manifest(archive, C014, data)

    code, found, _ = verify(invoke, archive)

    assert code == 1
    assert [k for _, k, _ in found] == ["added", "unlisted"]


# --- the journal -------------------------------------------------------------------------------


def test_a_changed_journal_line_breaks_the_chain_after_it(archive, invoke):
    lines = journal_lines(archive)
    lines[2] = lines[2].replace(b'"recipient":"', b'"recipient":"X')
    (archive / JOURNAL).write_bytes(b"".join(lines))

    code, found, _ = verify(invoke, archive)

    assert code == 1
    assert (f"{archive / JOURNAL}:4", "chain broken") in [(w, k) for w, k, _ in found]


@pytest.mark.parametrize("how", ["removed", "swapped", "truncated", "garbage", "deleted"])
def test_a_journal_line_removed_swapped_cut_or_garbled(archive, invoke, how):
    lines = journal_lines(archive)
    if how == "removed":
        del lines[3]
    elif how == "swapped":
        lines[1], lines[2] = lines[2], lines[1]
    elif how == "truncated":
        lines[-1] = lines[-1][:40]
    elif how == "garbage":
        lines[2] = b"\xff\xfe not json\n"
    (archive / JOURNAL).write_bytes(b"".join(lines))
    if how == "deleted":
        (archive / JOURNAL).unlink()

    code, found, _ = verify(invoke, archive)

    assert code == 1
    expected = {"removed": "chain broken", "swapped": "chain broken", "truncated": "malformed",
                "garbage": "malformed", "deleted": "missing"}[how]
    assert expected in [k for w, k, _ in found if w.startswith(str(archive / JOURNAL))]


def test_the_seal_proves_the_archive_extends_an_earlier_one(archive, invoke, draft_into,
                                                           sample_cases):
    _, _, stdout = verify(invoke, archive)
    seal = seal_of(stdout)
    draft_into(archive, next(p for p in sample_cases if p.stem == "BPS-2026-004"), today=PINNED)

    code, found, later = verify(invoke, archive, "--seal", seal)

    assert (code, found) == (0, [])
    assert f"The seal {seal} (journal line 6) is still part of the archive" in later
    assert seal_of(later) != seal


def test_a_rewritten_history_passes_the_chain_but_not_the_seal(archive, invoke):
    _, _, stdout = verify(invoke, archive)
    seal = seal_of(stdout)
    # Cover every track: alter a letter, its manifest entry, its journal line, the chain.
    letter = writable(archive / C014 / L014)
    letter.write_bytes(letter.read_bytes() + b"\0")
    digest = hashlib.sha256(letter.read_bytes()).hexdigest()
    data = manifest(archive, C014)
    entry = next(e for e in data["letters"] if e["files"]["docx"] == L014)
    entry["sha256"]["docx"] = digest
    write_manifest(archive, C014, data)
    lines = []
    for raw in journal_lines(archive):
        record = json.loads(raw)
        if record["file"] == f"{C014}/{L014}":
            record["sha256"], record["entry"] = digest, entry
        lines.append(json.dumps(record).encode() + b"\n")
    (archive / JOURNAL).write_bytes(rechained(lines))

    assert verify(invoke, archive)[:2] == (0, [])  # only a seal kept elsewhere shows it
    code, found, _ = verify(invoke, archive, "--seal", seal)

    assert code == 1
    assert found == [(str(archive / JOURNAL), "seal", found[0][2])]


def test_a_seal_that_is_not_one_is_a_usage_error(archive, invoke):
    result = invoke("verify", archive, "--seal", "not-a-seal")

    assert result.exit_code == 2 and "64 letters and digits" in result.stderr


# --- an interrupted commit is completed by the next draft --------------------------------------


def test_journal_lines_the_manifest_lacks_are_restored_by_the_next_draft(archive, invoke,
                                                                        letters, sample_cases):
    """A run killed between the journal and the manifest (or entries removed by hand)."""
    data = manifest(archive, C014)
    complete = json.loads(json.dumps(data))
    data["letters"] = data["letters"][:1]
    write_manifest(archive, C014, data)
    assert verify(invoke, archive)[0] == 1

    case = next(p for p in sample_cases if p.stem == C014)
    result = letters("draft", case, "--out", archive, "--date", "2026-12-01")

    assert result.exit_code == 0, result.output
    assert "restored 2 manifest entries from the journal" in result.output
    assert manifest(archive, C014) == complete
    assert verify(invoke, archive)[:2] == (0, [])


def test_draft_refuses_a_case_whose_archive_was_altered_and_drafts_the_others(
        archive, letters, sample_cases):
    letter = writable(archive / C014 / L014)
    letter.write_bytes(letter.read_bytes() + b"\0")
    cases = [p for p in sample_cases if p.stem in (C009, C014)]

    result = letters("draft", *cases, "--out", archive, "--date", "2026-12-01")

    assert result.exit_code == 1
    assert f"the archive of case {C014} does not match its journal" in result.stderr
    assert f"{L014}: altered" in result.stderr
    assert "1 failed" in result.stdout and "3 unchanged" in result.stdout


# --- register and bundle refuse a damaged archive ----------------------------------------------


def test_register_and_bundle_refuse_a_damaged_archive_with_verifys_lines(archive, invoke,
                                                                          letters, sample_cases,
                                                                          tmp_path):
    letter = archive / C014 / L014
    letter.unlink()
    expected = f"{letter}: missing:"

    register = invoke("register", archive)
    bundle = letters("bundle", next(p for p in sample_cases if p.stem == C014),
                     "--archive", archive, "--out", tmp_path / "b.zip")
    other = letters("bundle", next(p for p in sample_cases if p.stem == C009),
                    "--archive", archive, "--out", tmp_path / "c.zip")

    assert register.exit_code == 1 and expected in register.stderr
    assert "no register was made" in register.stderr
    assert bundle.exit_code == 1 and expected in bundle.stderr
    assert "no bundle was made" in bundle.stderr
    assert not (tmp_path / "b.zip").exists()
    assert other.exit_code == 0, other.output  # the other case's bundle is sound


# --- no content of a manifest or the journal makes verify crash --------------------------------

MUTATIONS = {
    "no-reference": lambda d: d["letters"][0].pop("reference"),
    "no-files": lambda d: d["letters"][0].pop("files"),
    "files-a-list": lambda d: d["letters"][0].__setitem__("files", ["x.docx"]),
    "files-two": lambda d: d["letters"][0]["files"].__setitem__("pdf", "x.pdf"),
    "sha256-a-string": lambda d: d["letters"][0].__setitem__("sha256", "abc"),
    "sha256-null": lambda d: d["letters"][0].__setitem__("sha256", None),
    "event-unknown": lambda d: d["letters"][0].__setitem__("event", "forged"),
    "no-event": lambda d: d["letters"][0].pop("event"),
    "entry-a-string": lambda d: d["letters"].__setitem__(0, "letter"),
    "entry-null": lambda d: d["letters"].__setitem__(0, None),
    "entry-a-list": lambda d: d["letters"].__setitem__(0, [1, 2]),
    "letters-a-dict": lambda d: d.__setitem__("letters", {"a": 1}),
    "no-letters": lambda d: d.pop("letters"),
    "no-case-id": lambda d: d.pop("case_id"),
    "case-id-number": lambda d: d.__setitem__("case_id", 14),
    "format-2": lambda d: d.__setitem__("format", 2),
    "path-in-name": lambda d: d["letters"][0]["files"].__setitem__("docx", "../../etc/passwd"),
    "number-a-string": lambda d: d["letters"][0].__setitem__("number", "one"),
}


@pytest.mark.parametrize("mutate", MUTATIONS.values(), ids=MUTATIONS.keys())
def test_malformed_entries_are_reported_never_a_traceback(archive, invoke, letters,
                                                          sample_cases, tmp_path, mutate):
    data = manifest(archive, C014)
    mutate(data)
    write_manifest(archive, C014, data)

    code, found, _ = verify(invoke, archive)
    register = invoke("register", archive)
    bundle = letters("bundle", next(p for p in sample_cases if p.stem == C014),
                     "--archive", archive, "--out", tmp_path / "b.zip")

    assert code == 1 and found
    assert any(k in ("malformed", "altered", "missing", "added") for _, k, _ in found)
    for result in (register, bundle):
        assert result.exit_code == 1 and "Traceback" not in result.output


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=10),
       st.binary(max_size=60))
def test_any_manifest_or_journal_content_is_findings_never_a_crash(archive, invoke, value,
                                                                   junk):
    (archive / C014 / "manifest.json").write_text(json.dumps(value), encoding="utf-8")
    lines = journal_lines(archive)
    (archive / JOURNAL).write_bytes(b"".join(lines[:3]) + junk + b"".join(lines[3:]))

    code, found, _ = verify(invoke, archive)

    assert code == 1 and found


def test_the_journal_reader_survives_any_bytes(tmp_path):
    path = tmp_path / JOURNAL
    for data in (b"", b"\n", b"{}\n", b"[]\n", b"\x00" * 10 + b"\n", b'{"n": 1e999}\n',
                 b"[" * 100_000 + b"\n", '{"n":"\u2028"}\n'.encode()):
        path.write_bytes(data)
        journal = Journal(path).refresh()
        assert journal.count == data.count(b"\n")


# --- an archive from before the journal --------------------------------------------------------


def test_an_archive_from_before_the_journal_is_adopted_once(archive, invoke, letters,
                                                            sample_cases):
    (archive / JOURNAL).unlink()  # as every archive written before issue 11 is
    case = next(p for p in sample_cases if p.stem == C014)

    refused = letters("draft", case, "--out", archive, "--date", "2026-12-01")
    code, found, _ = verify(invoke, archive)

    assert refused.exit_code == 1 and "letters verify --adopt" in refused.stderr
    assert code == 1 and [k for _, k, _ in found] == ["missing"]

    adopted = invoke("verify", "--adopt", archive)

    assert adopted.exit_code == 0, adopted.output
    assert "Adopted 6 entries of 2 cases into the journal." in adopted.stdout
    assert {json.loads(r)["event"] for r in journal_lines(archive)} == {"adopted"}
    assert letters("draft", case, "--out", archive, "--date", "2026-12-01").exit_code == 0
    assert verify(invoke, archive)[:2] == (0, [])
    again = invoke("verify", "--adopt", archive)
    assert "Adopted 0 entries of 0 cases" in again.stdout


def test_adoption_leaves_out_a_case_whose_files_do_not_match(archive, invoke):
    (archive / JOURNAL).unlink()
    letter = writable(archive / C014 / L014)
    letter.write_bytes(letter.read_bytes() + b"\0")

    adopted = invoke("verify", "--adopt", archive)

    assert adopted.exit_code == 1
    assert f"{letter}: altered" in adopted.stderr
    assert "Adopted 3 entries of 1 case into the journal" in adopted.stdout
    assert {json.loads(r)["case_id"] for r in journal_lines(archive)} == {C009}
