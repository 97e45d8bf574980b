"""`letters sent REF`: one history entry, nothing else changed, and the plan moves on."""

from __future__ import annotations

import json
import shutil

import pytest
from test_append import inserted_once

CASE = "BPS-2026-014"


@pytest.fixture
def office(tmp_path, repo, letters):
    """A copy of one sample case, drafted on 1 December 2026 into tmp_path/out."""
    cases = tmp_path / "cases"
    cases.mkdir()
    path = cases / f"{CASE}.yaml"
    shutil.copy(repo / "data" / "cases" / f"{CASE}.yaml", path)
    out = tmp_path / "out"
    assert letters("draft", path, "--out", out, "--date", "2026-12-01").exit_code == 0
    return path, out


def sent(letters, out, *args):
    return letters("sent", *args, "--out", out, "--today", "2026-12-02")


def test_sent_appends_one_entry_and_changes_nothing_else(office, letters):
    path, out = office
    before = path.read_text(encoding="utf-8")

    result = sent(letters, out, f"{CASE}/01", "--by", "email")

    assert result.exit_code == 0, result.output
    added = inserted_once(before, path.read_text(encoding="utf-8"))
    assert added.strip() == ("- {date: 2026-12-02, step: warning_letter, outcome: pending, "
                             f"by: Headteacher, posts: [P1, P2], reference: {CASE}/01, "
                             "method: email}")


def test_the_plan_moves_on_once_a_letter_is_recorded(office, letters):
    path, out = office
    plan = json.loads(letters("plan", path, "--json", "--today", "2026-12-02").stdout)
    assert "warning" in [letter["kind"] for letter in plan["letters"]]

    assert sent(letters, out, f"{CASE}/01").exit_code == 0

    plan = json.loads(letters("plan", path, "--json", "--today", "2026-12-02").stdout)
    assert "warning" not in [letter["kind"] for letter in plan["letters"]]


@pytest.mark.parametrize("args, words", [
    (["BPS-2026-014/09"], "no letter BPS-2026-014/09 in the archive"),
    (["not-a-reference"], "is not a letter reference"),
    ([f"{CASE}/01", "--on", "2026-11-30"], "it cannot have been sent on 30 November 2026"),
    ([f"{CASE}/01", "--on", "2026-12-09"], "is after today"),
])
def test_sent_refuses_what_cannot_be_right_and_changes_nothing(office, letters, args, words):
    path, out = office
    before = path.read_bytes()

    result = sent(letters, out, *args)

    assert result.exit_code == 2
    assert words in result.stderr
    assert path.read_bytes() == before


def test_a_letter_already_recorded_as_sent_is_refused(office, letters):
    path, out = office
    assert sent(letters, out, f"{CASE}/02", "--by", "webform").exit_code == 0
    before = path.read_bytes()

    again = sent(letters, out, f"{CASE}/02")

    assert again.exit_code == 2
    assert "already recorded as sent" in again.stderr
    assert path.read_bytes() == before


def test_a_case_file_with_problems_is_left_untouched(office, letters):
    path, out = office
    broken = path.read_text(encoding="utf-8").replace("platform: facebook", "platform: myspace")
    path.write_text(broken, encoding="utf-8")

    result = sent(letters, out, f"{CASE}/01")

    assert result.exit_code == 2
    assert "myspace" in result.stderr
    assert path.read_text(encoding="utf-8") == broken
