"""Recording a sent letter appends one history entry and changes no other byte of the case file."""

from __future__ import annotations

import textwrap
from datetime import date

import pytest
import yaml
from hypothesis import given
from strategies import case_dicts, to_yaml

from pipeline.case.append import append_history, insert_history
from pipeline.case.load import validate_case
from pipeline.errors import InvalidInput

ENTRY = {"date": date(2026, 12, 1), "step": "warning_letter", "outcome": "pending",
         "by": "Mrs Helen Carter", "posts": ["P1"], "reference": "T-001/02", "method": "post"}
POSTS = """\
case_id: T-001
opened: 2026-11-02   # the day the office heard
poster:
  name: 'Mrs Jane Doe'
  address: [12 Example Road, Bexton]
posts:
  - id: P1
    platform: facebook
    url: https://example.org/1
    posted: 2026-10-30
    text: "A post: with 'quotes' & # not a comment"
    concerns: [negative_comment]
"""


def inserted_once(before: str, after: str) -> str:
    """The text `after` adds to `before`, which must be one contiguous insertion."""
    start = 0
    while start < len(before) and before[start] == after[start]:
        start += 1
    end = 0
    while end < len(before) - start and before[-1 - end] == after[-1 - end]:
        end += 1
    assert start + end >= len(before)  # all of `before` is kept, around one inserted span
    return after[start:len(after) - end]


def history_of(text: str) -> list:
    return yaml.safe_load(text).get("history") or []


LAYOUTS = {
    "block list with comments and blank lines": POSTS + textwrap.dedent("""\
        history:   # steps so far
          # the first meeting
          - date: 2026-11-03
            step: discussion
            outcome: refused    # she said no

        # a trailing comment that belongs to nobody
        police: {crime_reference: CR-1/26}
        """),
    "block list ending in a folded note": POSTS + textwrap.dedent("""\
        history:
        - date: 2026-11-03
          step: discussion
          outcome: refused
          notes: >-
            She declined,
            politely.
        overrides: []
        """),
    "flow list, empty": POSTS + "history: []\n",
    "flow list with an entry": POSTS + "history: [{date: 2026-11-03, step: discussion, "
                                       "outcome: agreed}]   # kept\n",
    "history with nothing after it": POSTS + "history:\n# nothing yet\npolice: {}\n",
    # A flow list one entry a line, with YAML's optional comma after the last entry: appending
    # ", {...}" after that comma made the file unreadable ("found ','").
    "flow list one entry a line, trailing comma": POSTS + "history: [\n  {date: 2026-11-03, "
        "step: discussion, outcome: refused},\n]\n",
    "flow list one entry a line, no trailing comma, a comment": POSTS + "history: [\n  {date: "
        "2026-11-03, step: discussion, outcome: refused}  # the meeting\n]\n",
    "flow list, empty, the bracket on its own line": POSTS + "history: [  # none yet\n]\n",
    "no history key, no final newline": POSTS.rstrip("\n"),
    "history first, in the middle of the file": "history:\n  - {date: 2026-11-03, step: "
        "discussion, outcome: refused}\n" + POSTS,
}


@pytest.mark.parametrize("layout", LAYOUTS, ids=list(LAYOUTS))
def test_one_entry_is_inserted_and_nothing_else_changes(layout):
    before = LAYOUTS[layout]

    after = insert_history(before, ENTRY)

    added = inserted_once(before, after)
    assert "T-001/02" in added and after.count("T-001/02") == 1
    assert history_of(after) == history_of(before) + [
        {**ENTRY, "date": date(2026, 12, 1)}]


@pytest.mark.parametrize("layout", LAYOUTS, ids=list(LAYOUTS))
def test_windows_line_endings_are_kept(layout):
    before = LAYOUTS[layout].replace("\n", "\r\n")

    after = insert_history(before, ENTRY)

    assert "\n" not in after.replace("\r\n", "")  # no bare line feed was added
    assert history_of(after)[-1]["reference"] == "T-001/02"


def test_text_that_yaml_would_misread_is_quoted():
    entry = {**ENTRY, "by": "no", "reference": "T-001/02 # x", "notes": "a: b\n- c"}

    after = insert_history(POSTS, entry)

    last = history_of(after)[-1]
    assert last["by"] == "no" and last["reference"] == "T-001/02 # x"
    assert last["notes"] == "a: b\n- c"


def test_the_file_is_validated_first_and_left_untouched_on_a_problem(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text(POSTS, encoding="utf-8")

    def refuse(path, text):
        raise InvalidInput([])

    with pytest.raises(InvalidInput):
        append_history(path, ENTRY, validate=refuse)
    assert path.read_text(encoding="utf-8") == POSTS


def test_a_byte_order_mark_and_the_files_permissions_are_kept(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + POSTS.encode())
    path.chmod(0o640)

    append_history(path, ENTRY, validate=lambda p, text: validate_case(
        p, text, today=date(2026, 12, 1)))

    assert path.read_bytes().startswith(b"\xef\xbb\xbf" + POSTS.encode())
    assert path.stat().st_mode & 0o777 == 0o640


@given(case_dicts(overrides=None))
def test_any_case_file_gets_exactly_one_entry_and_keeps_every_byte(data):
    before = to_yaml(data)
    after = insert_history(before, {**ENTRY, "posts": []})

    inserted_once(before, after)
    assert history_of(after) == history_of(before) + [
        {**ENTRY, "posts": [], "date": date(2026, 12, 1)}]


@pytest.mark.parametrize("empty", ["~", "null", "~   # none yet"])
def test_history_written_as_null_gets_its_first_entry(empty):
    # "A blank history: means an empty list", and so do `~` and `null`: the entry used to go
    # on the next line with the `~` left in place, which YAML cannot read.
    before = POSTS + f"history: {empty}\npolice: {{crime_reference: CR-1/26}}\n"

    after = insert_history(before, ENTRY)

    assert history_of(after) == [{**ENTRY, "date": date(2026, 12, 1)}]
    assert yaml.safe_load(after)["police"] == {"crime_reference": "CR-1/26"}
    assert after.startswith(POSTS + "history:")
    assert "# none yet" in after or "#" not in empty
