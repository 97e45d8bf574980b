"""Bad case files: `letters check` names the file, the line and the field, and exits 2.

The contract (CASE_FORMAT.md): "Bad input gets a clear error naming the file, the line and the
field, and no output is written". Each test starts from the minimal valid case in conftest.py
and breaks one thing in it by replacing text, so the expected line is counted from the text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

# A history entry for the base case; tests that break a history field edit this text further.
HISTORY = """\
history:
  - date: 2026-11-03
    step: discussion
    outcome: refused
    by: Headteacher
    posts: [P1]
    notes: Declined to remove the post.
"""
WITH_HISTORY = ("history: []\n", HISTORY)


def edit(text: str, *replacements: tuple[str, str]) -> str:
    """Apply (old, new) replacements in order; each `old` must occur exactly once."""
    for old, new in replacements:
        assert text.count(old) == 1, f"{old!r} should occur once in the case text"
        text = text.replace(old, new)
    return text


def line_of(text: str, needle: str) -> int:
    """The 1-based number of the one line of `text` that contains `needle`."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(found) == 1, f"{needle!r} should be on exactly one line, found on {found}"
    return found[0]


def problem_lines(stderr: str, path: Path) -> list[str]:
    """The lines of stderr that report a problem in `path`."""
    return [line for line in stderr.splitlines() if line.startswith(f"{path}:")]


def assert_refused(result, path: Path) -> list[str]:
    """The common shape of a refusal: exit 2, problems on stderr, no traceback, no 'ok'."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert ": ok (" not in result.stdout
    lines = problem_lines(result.stderr, path)
    assert lines, f"no problem reported for {path}:\n{result.stderr}"
    return lines


def assert_problem(lines: list[str], path: Path, line: int, field: str, message: str) -> None:
    """One of `lines` is exactly `FILE:LINE: field: ...` and contains `message`."""
    prefix = f"{path}:{line}: {field}: "
    matching = [entry for entry in lines if entry.startswith(prefix)]
    assert matching, f"expected a line starting {prefix!r}, got:\n" + "\n".join(lines)
    assert any(message in entry for entry in matching), (
        f"expected {message!r} in:\n" + "\n".join(matching))


# --- one problem, reported at its line with its field ----------------------------------------

BAD_FIELDS = [
    # id, edits, text on the expected line, field, words the message must contain
    pytest.param([("platform: facebook", "platfrom: facebook")], "platfrom:",
                 "posts[1].platfrom", "did you mean 'platform'?", id="unknown-key-misspelt"),
    pytest.param([("history: []", "histroy: []")], "histroy:",
                 "histroy", "is not a field a case file can have", id="unknown-key-top-level"),
    pytest.param([WITH_HISTORY, ("notes: Declined", "note: Declined")], "note: Declined",
                 "history[1].note", "did you mean 'notes'?", id="unknown-key-in-history"),
    pytest.param([("case_id: T-001\n", "case_id: T-001\ncase_id: T-002\n")], "case_id: T-002",
                 "case_id", "appears twice (first on line 1)", id="duplicate-key"),
    pytest.param([("opened: 2026-11-02\n", "")], "case_id:",
                 "opened", "is required but missing", id="missing-opened"),
    pytest.param([("    text: The teachers at this school are a joke.\n", "")], "- id: P1",
                 "posts[1].text", "is required but missing", id="missing-post-text"),
    # A blank post would be quoted as nothing in every letter ("you posted ...:" and then no words).
    pytest.param([("text: The teachers at this school are a joke.", 'text: "  "')], "text:",
                 "posts[1].text", "is empty; copy the words of the post", id="post-text-blank"),
    pytest.param([("platform: facebook", "platform: myspace")], "platform: myspace",
                 "posts[1].platform", "'myspace' is not one of:", id="platform-myspace"),
    # A site not in the list is 'other' with its name; Twitter's new name is X.
    pytest.param([("platform: facebook", "platform: nextdoor")], "platform: nextdoor",
                 "posts[1].platform", "for a site not listed, write platform: other and "
                 "platform_name: nextdoor", id="platform-not-listed"),
    pytest.param([("platform: facebook", "platform: Twitter")], "platform: Twitter",
                 "posts[1].platform", "Twitter is now X: write platform: x", id="platform-twitter"),
    pytest.param([("[negative_comment]", "[rude]")], "concerns: [rude]",
                 "posts[1].concerns[1]", "'rude' is not one of:", id="concern-rude"),
    pytest.param([WITH_HISTORY, ("step: discussion", "step: meeting")], "step: meeting",
                 "history[1].step", "'meeting' is not one of:", id="step-meeting"),
    pytest.param([WITH_HISTORY, ("outcome: refused", "outcome: maybe")], "outcome: maybe",
                 "history[1].outcome", "'maybe' is not one of:", id="outcome-maybe"),
    pytest.param([("opened: 2026-11-02", "opened: 03/11/2026")], "opened:",
                 "opened", "'03/11/2026' is not a date in ISO form", id="opened-not-iso"),
    pytest.param([WITH_HISTORY, ("date: 2026-11-03", "date: 03/11/2026")], "date: 03/11/2026",
                 "history[1].date", "'03/11/2026' is not a date in ISO form",
                 id="history-date-not-iso"),
    pytest.param([WITH_HISTORY, ("date: 2026-11-03", "date: 2026-11-03T10:00")],
                 "date: 2026-11-03T10:00", "history[1].date",
                 "'2026-11-03T10:00' has a time; this field takes a date without a time",
                 id="history-date-with-a-time"),
    # A step cannot fall due before it was taken.
    pytest.param([WITH_HISTORY, ("    posts: [P1]\n", "    posts: [P1]\n    due: 2026-11-01\n")],
                 "due: 2026-11-01", "history[1].due",
                 "is 1 November 2026, before the step itself on 3 November 2026",
                 id="history-due-before-its-step"),
    pytest.param([("text: The teachers at this school are a joke.", "text: no")], "text: no",
                 "posts[1].text", "put the text in quotes", id="text-no"),
    pytest.param([WITH_HISTORY, ("notes: Declined to remove the post.", "notes: off")],
                 "notes: off", "history[1].notes", "put the text in quotes", id="notes-off"),
    pytest.param([("name: Mrs Jane Doe", "name: yes")], "name: yes",
                 "poster.name", "put the text in quotes", id="name-yes"),
    pytest.param([("case_id: T-001", "case_id: ../evil")], "case_id:",
                 "case_id", "'../evil' cannot name a file", id="case-id-dotdot"),
    pytest.param([("case_id: T-001", "case_id: a b")], "case_id:",
                 "case_id", "'a b' cannot name a file", id="case-id-space"),
    pytest.param([("case_id: T-001", "case_id: BPS/1")], "case_id:",
                 "case_id", "'BPS/1' cannot name a file", id="case-id-slash"),
    # A field required by another field's value is reported at the post that lacks it.
    pytest.param([("platform: facebook", "platform: other")], "- id: P1",
                 "posts[1].platform_name", "is required when platform is other",
                 id="other-without-platform-name"),
    pytest.param([("    url: https://www.facebook.com/groups/123/posts/456\n", "")], "- id: P1",
                 "posts[1].url", "is required", id="facebook-without-url"),
    pytest.param([WITH_HISTORY, ("posts: [P1]", "posts: [P9]")], "posts: [P9]",
                 "history[1].posts", "'P9' is not the id of a post in this case",
                 id="history-names-unknown-post"),
    # The plan's own demand: a concern letter goes to the poster by post.
    pytest.param([("  address: [12 Example Road, Bexton, WA16 0XX]\n", "")], "poster:",
                 "poster.address", "a letter of concern goes to the poster by post",
                 id="poster-letter-without-address"),
]


@pytest.mark.parametrize("edits, at, field, message", BAD_FIELDS)
def test_check_reports_file_line_and_field(tmp_path, base_case, write_case, letters,
                                           edits, at, field, message):
    text = edit(base_case, *edits)
    path = write_case(tmp_path, text)

    result = letters("check", path)

    lines = assert_refused(result, path)
    assert_problem(lines, path, line_of(text, at), field, message)


def test_two_sites_whose_names_agree_for_40_characters_are_refused(tmp_path, base_case,
                                                                   write_case, letters):
    # The file name's slug of a site's name is cut at 40 characters; two sites that agree that
    # far would share one takedown letter, addressed to the first.
    stem = "Bexton Village Parents and Carers Discussion Group"
    post = ("  - id: P1\n    platform: facebook\n"
            "    url: https://www.facebook.com/groups/123/posts/456\n")
    text = edit(base_case, (post, "".join(
        f"  - id: P{n}\n    platform: other\n    platform_name: {stem} ({part} School)\n"
        f"    url: https://example.org/{n}\n    posted: 2026-10-30\n    text: Post {n}.\n"
        "    concerns: [negative_comment]\n    status: live\n"
        for n, part in ((2, "Upper"), (3, "Lower")))
        + "  - id: P1\n    platform: facebook\n"
          "    url: https://www.facebook.com/groups/123/posts/456\n"))
    path = write_case(tmp_path, text)

    result = letters("check", path)

    lines = assert_refused(result, path)
    assert_problem(lines, path, line_of(text, "(Lower School)"), "posts[2].platform_name",
                   "begin with the same 40 letters and digits, so they would share one letter")
    assert len(lines) == 1


def test_one_site_named_two_ways_is_one_site(tmp_path, base_case, write_case, letters):
    text = edit(base_case, ("platform: facebook", "platform: other\n    platform_name: Bexton Chat"),
                ("    status: live\n", "    status: live\n  - id: P2\n    platform: other\n"
                 "    platform_name: bexton-chat\n    url: https://example.org/2\n"
                 "    posted: 2026-10-30\n    text: Again.\n    concerns: [negative_comment]\n"
                 "    status: live\n"))
    path = write_case(tmp_path, text)

    result = letters("check", path)

    assert result.exit_code == 0, result.output


def test_duplicate_key_names_the_line_of_the_first(tmp_path, base_case, write_case, letters):
    text = edit(base_case, ("    status: live\n", "    status: live\n    text: again\n"))
    path = write_case(tmp_path, text)

    lines = assert_refused(letters("check", path), path)

    first = line_of(text, "text: The teachers")
    assert_problem(lines, path, line_of(text, "text: again"), "posts[1].text",
                   f"appears twice (first on line {first}); keep only one")


def test_misspelt_key_lists_the_fields_allowed_there(tmp_path, base_case, write_case, letters):
    text = edit(base_case, ("platform: facebook", "platfrom: facebook"))
    path = write_case(tmp_path, text)

    lines = assert_refused(letters("check", path), path)

    assert_problem(lines, path, line_of(text, "platfrom:"), "posts[1].platfrom",
                   "(allowed here: id, platform, platform_name, url,")


def test_alias_is_refused(tmp_path, base_case, write_case, letters):
    text = edit(base_case, ("name: Mrs Jane Doe", "name: &a Mrs Jane Doe\n  salutation: *a"))
    path = write_case(tmp_path, text)

    lines = assert_refused(letters("check", path), path)

    assert any("poster.salutation: uses a YAML alias" in line for line in lines), lines


def test_alias_is_reported_at_the_alias_line(tmp_path, base_case, write_case, letters):
    text = edit(base_case, ("name: Mrs Jane Doe",
                            "name: &a Mrs Jane Doe\n  salutation: Mrs Doe\n  email: *a"))
    path = write_case(tmp_path, text)

    lines = assert_refused(letters("check", path), path)

    assert_problem(lines, path, line_of(text, "*a"), "poster.email", "uses a YAML alias")


def test_every_problem_in_a_file_is_reported_at_once(tmp_path, base_case, write_case, letters):
    text = edit(base_case,
                ("opened: 2026-11-02", "opened: 03/11/2026"),
                ("text: The teachers at this school are a joke.", "text: no"),
                ("[negative_comment]", "[rude]"))
    path = write_case(tmp_path, text)

    lines = assert_refused(letters("check", path), path)

    assert len(lines) == 3, lines
    assert_problem(lines, path, line_of(text, "opened:"), "opened", "not a date in ISO form")
    assert_problem(lines, path, line_of(text, "text: no"), "posts[1].text", "in quotes")
    assert_problem(lines, path, line_of(text, "[rude]"), "posts[1].concerns[1]", "'rude'")


# --- files that are not YAML, or not there ----------------------------------------------------


def test_bad_indentation_is_reported_at_the_parsers_line(tmp_path, base_case, write_case,
                                                         letters):
    text = edit(base_case, ("    url:", "      url:"))
    path = write_case(tmp_path, text)

    lines = assert_refused(letters("check", path), path)

    line = line_of(text, "      url:")
    message = "mapping values are not allowed here (check indentation, colons and quotes)"
    assert lines == [f"{path}:{line}: not valid YAML: {message}"]


def test_a_line_indented_with_a_tab_says_to_use_spaces(tmp_path, base_case, write_case,
                                                      letters):
    text = edit(base_case, ("    url:", "\turl:"))
    path = write_case(tmp_path, text)

    lines = assert_refused(letters("check", path), path)

    assert len(lines) == 1
    assert lines[0].startswith(f"{path}:{line_of(text, 'url:')}: not valid YAML: ")
    assert lines[0].endswith("(this line has a tab where YAML allows only spaces, usually to "
                             "indent it: use spaces instead)")


def test_a_tab_inside_a_posts_quoted_text_is_kept(tmp_path, base_case, write_case, letters):
    text = edit(base_case, ("text: The teachers", 'text: "\tThe teachers'),
                ("are a joke.", 'are a joke.\t"'))
    path = write_case(tmp_path, text)

    result = letters("check", path)

    assert result.exit_code == 0, result.output


def test_unclosed_quote_is_reported_as_invalid_yaml(tmp_path, base_case, write_case, letters):
    text = edit(base_case, ("name: Mrs Jane Doe", "name: 'Mrs Jane Doe"))
    path = write_case(tmp_path, text)

    lines = assert_refused(letters("check", path), path)

    assert len(lines) == 1
    assert "not valid YAML: while scanning a quoted scalar" in lines[0]


def test_unclosed_quote_is_reported_where_the_quote_opens(tmp_path, base_case, write_case,
                                                         letters):
    text = edit(base_case, ("name: Mrs Jane Doe", "name: 'Mrs Jane Doe"))
    path = write_case(tmp_path, text)

    lines = assert_refused(letters("check", path), path)

    assert lines[0].startswith(f"{path}:{line_of(text, 'name:')}: not valid YAML")


@pytest.mark.parametrize("text", ["", "\n\n# nothing but a comment\n"], ids=["empty", "comment"])
def test_empty_file_is_refused(tmp_path, write_case, letters, text):
    path = write_case(tmp_path, text)

    lines = assert_refused(letters("check", path), path)

    message = "is empty; a case file needs at least case_id, opened, poster and posts"
    assert lines == [f"{path}:1: {message}"]


def test_a_list_instead_of_a_case_is_refused(tmp_path, write_case, letters):
    path = write_case(tmp_path, "- case_id\n- opened\n")

    lines = assert_refused(letters("check", path), path)

    assert lines[0].startswith(f"{path}:1: must be a set of fields")


def test_folder_without_cases_is_refused(tmp_path, letters):
    folder = tmp_path / "cases"
    folder.mkdir()

    lines = assert_refused(letters("check", folder), folder)

    assert lines == [f"{folder}: is a folder, not a case file; name a .yaml file inside it"]


def test_a_folder_stands_for_its_yml_and_upper_case_yaml_files_too(tmp_path, base_case, letters):
    # Saved on Windows as .yml or .YAML: such a case was left out of check, draft and due
    # without a word, or the folder was called empty.
    folder = tmp_path / "cases"
    folder.mkdir()
    for n, name in enumerate(("a.yml", "B.YAML", "c.yaml", "notes.txt")):
        (folder / name).write_text(base_case.replace("T-001", f"T-00{n + 1}"), encoding="utf-8")

    result = letters("check", folder)

    assert result.exit_code == 0, result.output
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == [
        str(folder / "B.YAML"), str(folder / "a.yml"), str(folder / "c.yaml")]


def test_missing_file_is_refused(tmp_path, letters):
    path = tmp_path / "no-such-case.yaml"

    lines = assert_refused(letters("check", path), path)

    assert lines == [f"{path}: no such file; check the name and folder"]


def test_one_bad_file_does_not_hide_a_good_one(tmp_path, base_case, letters):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(base_case, encoding="utf-8")
    # Its own case id: two files with one id are refused together (test_faults.py).
    bad.write_text(edit(base_case, ("platform: facebook", "platform: myspace"),
                        ("case_id: T-001", "case_id: T-002")), encoding="utf-8")

    result = letters("check", good, bad)

    assert result.exit_code == 2
    assert problem_lines(result.stderr, bad)
    assert not problem_lines(result.stderr, good)
    assert "ok (1 post; plan: concern)" in result.stdout


# --- draft writes nothing for an invalid case -------------------------------------------------


def test_draft_of_an_invalid_case_exits_2_and_writes_nothing(tmp_path, base_case, write_case,
                                                             letters):
    text = edit(base_case, ("opened: 2026-11-02", "opened: 03/11/2026"))
    path = write_case(tmp_path, text)
    out = tmp_path / "out"

    result = letters("draft", path, "--out", out)

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert_problem(problem_lines(result.stderr, path), path, line_of(text, "opened:"), "opened",
                   "not a date in ISO form")
    assert not (out / "T-001").exists()
    assert not out.exists() or not any(out.rglob("*"))


# --- valid edge cases -------------------------------------------------------------------------


def assert_valid(result) -> None:
    """Exit 0, nothing on stderr, and the one-line 'ok' summary with the plan."""
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.strip().endswith("ok (1 post; plan: concern)")


def test_whatsapp_post_needs_no_url(tmp_path, base_case, write_case, letters):
    text = edit(base_case, ("platform: facebook", "platform: whatsapp"),
                ("    url: https://www.facebook.com/groups/123/posts/456\n", ""))
    path = write_case(tmp_path, text)

    assert_valid(letters("check", path))


@pytest.mark.parametrize("posted", ["2026-10-30T18:45", "2026-10-30T18:45:12", "2026-10-30 18:45"])
def test_posted_may_be_a_date_time_with_or_without_seconds(tmp_path, base_case, write_case,
                                                           letters, posted):
    path = write_case(tmp_path, edit(base_case, ("posted: 2026-10-30", f"posted: {posted}")))

    assert_valid(letters("check", path))


def test_byte_order_mark_and_crlf_line_endings_are_fine(tmp_path, base_case, letters):
    path = tmp_path / "case.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + base_case.replace("\n", "\r\n").encode("utf-8"))

    assert_valid(letters("check", path))


def test_crlf_file_reports_the_same_line_numbers(tmp_path, base_case, letters):
    text = edit(base_case, ("[negative_comment]", "[rude]"))
    path = tmp_path / "case.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))

    lines = assert_refused(letters("check", path), path)

    assert_problem(lines, path, line_of(text, "[rude]"), "posts[1].concerns[1]", "'rude'")


# --- the office's small frictions (issue 15) ------------------------------------------------------


@pytest.mark.parametrize("typed, meant", [("facebok", "facebook"), ("Tiktok", "tiktok"),
                                          ("School Forum", "school_forum")])
def test_a_misspelt_platform_gets_a_did_you_mean(tmp_path, write_case, base_case, letters, typed,
                                                 meant):
    path = write_case(tmp_path, base_case.replace("platform: facebook", f"platform: {typed}"))

    result = letters("check", path)

    assert result.exit_code == 2
    assert f"did you mean '{meant}'?" in result.stderr


@pytest.mark.parametrize("typed, why", [
    ("2026-11-31T18:10", "November 2026 has 30 days, so there is no day 31"),
    ("2026-02-29", "February 2026 has 28 days, so there is no day 29"),
    ("2026-13-01", "there is no month 13"),
    ("2026-10-30T25:10", "25:10 is not a time of day")])
def test_a_date_that_does_not_exist_is_called_so(tmp_path, write_case, base_case, letters, typed,
                                                 why):
    path = write_case(tmp_path, base_case.replace("posted: 2026-10-30", f"posted: {typed}"))

    result = letters("check", path)

    assert result.exit_code == 2
    assert why in result.stderr and "not in ISO form" not in result.stderr


def test_an_unindented_line_in_a_pasted_post_is_reported_at_that_line(tmp_path, write_case,
                                                                      base_case, letters):
    text = base_case.replace(
        "    text: The teachers at this school are a joke.\n",
        "    text: |\n      The teachers at this school\n    are a joke.\n      Honestly.\n")
    path = write_case(tmp_path, text)

    result = letters("check", path)

    line = text.splitlines().index("    are a joke.") + 1
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}:{line}: not valid YAML")
    assert "indent it like the lines above" in result.stderr



SECOND_POST = """\
platform: x
    url: https://x.com/jd/status/1
    posted: 2026-10-31
    text: Still a joke.
    concerns: [negative_comment]
history: []
"""


@pytest.mark.parametrize("first, second, at, message", [
    # The second post has no id line: it is P2 by default, and the first is called P2.
    ("  - id: P2\n    ", "  - ", "- platform: x",
     "post 2 has no id, so its id is 'P2' by default, which is already the id of post 1; give "
     "it its own id (id: ...)"),
    # The first post has no id line (P1 by default) and the second is called P1.
    ("  - ", "  - id: P1\n    ", "- id: P1",
     "'P1' is already post 1's id by default (it has no id: line); ids must differ"),
])
def test_a_clash_with_a_default_post_id_says_where_the_id_came_from(
        tmp_path, base_case, write_case, letters, first, second, at, message):
    text = edit(base_case, ("  - id: P1\n    ", first), ("history: []\n", second + SECOND_POST))
    path = write_case(tmp_path, text)

    lines = assert_refused(letters("check", path), path)

    assert_problem(lines, path, line_of(text, at), "posts[2].id", message)


def test_a_case_file_given_as_the_school_profile_is_called_the_school_profile(
        tmp_path, base_case, write_case, runner):
    from pipeline.cli import cli

    path = write_case(tmp_path, base_case)

    result = runner.invoke(cli, ["check", str(path), "--school", str(path)])

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"{path}:1: case_id: is not a field the school profile can have" in result.stderr
    assert "a case file can have" not in result.stderr
