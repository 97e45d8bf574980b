"""Helpers for the hostile-input tests (test_hostile.py and test_sandbox.py).

They answer the questions every hostile input is asked: did the command exit as the contract
says, with `FILE:LINE: ...` and no traceback; is every .docx written a sound package (no
duplicate zip entries, every XML part well-formed, python-docx opens it); is the text a reader
sees exactly the text the case file holds, after the documented transformations; and was nothing
written outside the output folder, nothing left half-written, nothing written at all on refusal.

The expected text is computed here from the documented rules (docs/hostile-input.md), not by
calling pipeline code, so a change in the pipeline's cleaning shows up as a failing test.
"""

from __future__ import annotations

import os
import time
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import docx
from click.testing import CliRunner, Result
from lxml import etree
from reading import blocks as _blocks

from pipeline.cli import cli

REPO = Path(__file__).resolve().parent.parent
SCHOOL = REPO / "data" / "school.yaml"
TEMPLATES = REPO / "letter_templates"
LETTER_DATE = "2026-12-01"
BASE_TEXT_LINE = "    text: The teachers at this school are a joke.\n"

# The documented transformations of case text (models.clean_text): every spelling of a line
# break becomes one line break. CRLF first, so it is one break, not two.
LINE_BREAK_SPELLINGS = ("\r\n", "\r", "\v", "\f", "\u2028", "\u2029", "\x85")


def expected_text(raw: str) -> str:
    """What a reader sees of post text `raw`: line breaks unified, the final one dropped (it is
    the end of YAML's `|` block, not the poster's)."""
    for spelling in LINE_BREAK_SPELLINGS:
        raw = raw.replace(spelling, "\n")
    return raw.removesuffix("\n")


# --- writing case files ------------------------------------------------------------------------


def yaml_quoted(text: str) -> str:
    """`text` as a YAML double-quoted scalar, every character outside printable ASCII that YAML
    or a reader could mistake written as an escape (\\x07, \\u200b, ...), the rest as typed."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif code < 0x20 or 0x7F <= code <= 0x9F:
            out.append(f"\\x{code:02x}")
        elif 0xD800 <= code <= 0xDFFF or code in (0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF) \
                or 0x200B <= code <= 0x200F or 0x202A <= code <= 0x202E \
                or 0x2066 <= code <= 0x2069:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def with_post_text(base_case: str, scalar: str) -> str:
    """The base case (conftest.BASE_CASE) with its one post's text replaced by a YAML scalar."""
    assert base_case.count(BASE_TEXT_LINE) == 1
    return base_case.replace(BASE_TEXT_LINE, f"    text: {scalar}\n")


def line_of(text: str, needle: str) -> int:
    """The 1-based number of the one line of `text` that contains `needle`."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(found) == 1, f"{needle!r} should be on exactly one line, found on {found}"
    return found[0]


# --- running the command -----------------------------------------------------------------------


@dataclass
class Run:
    """A finished `letters` command: its result and how long it took."""

    result: Result
    seconds: float

    @property
    def exit_code(self) -> int:
        return self.result.exit_code

    @property
    def stdout(self) -> str:
        return self.result.stdout

    @property
    def stderr(self) -> str:
        return self.result.stderr


def letters(*argv: object, school: bool = True) -> Run:
    """`letters ARGV [--school data/school.yaml]`, in process; exceptions are not caught, so a
    traceback fails the test instead of hiding in result.exception."""
    args = [str(a) for a in argv] + (["--school", str(SCHOOL)] if school else [])
    start = time.perf_counter()
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return Run(result, time.perf_counter() - start)


def draft(case: Path, out: Path, *more: object) -> Run:
    """`letters draft CASE --out OUT --date 2026-12-01 ...`."""
    return letters("draft", case, "--out", out, "--date", LETTER_DATE, *more)


# --- refusals ----------------------------------------------------------------------------------


def problem_lines(stderr: str, path: Path) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(f"{path}:")]


def assert_refused(run: Run, path: Path, line: int | None, *fragments: str,
                   field: str | None = None) -> str:
    """Exit 2; every line of stderr is a `FILE[:LINE]: ...` problem (no traceback, no stray
    continuation lines); one names `path` at `line` (None: a whole-file problem, no line) and
    holds every fragment. Returns that line."""
    assert run.exit_code == 2, run.result.output
    assert "Traceback" not in run.result.output
    assert ": ok (" not in run.stdout
    stderr_lines = run.stderr.splitlines()
    assert stderr_lines, "nothing on stderr"
    assert all(":" in entry and not entry.startswith(" ") for entry in stderr_lines), run.stderr
    prefix = f"{path}:{line}: " if line is not None else f"{path}: "
    if field is not None:
        prefix += f"{field}: "
    matching = [entry for entry in problem_lines(run.stderr, path) if entry.startswith(prefix)]
    assert matching, f"no problem starting {prefix!r} in:\n{run.stderr}"
    hits = [entry for entry in matching if all(f in entry for f in fragments)]
    assert hits, f"no problem holding {fragments!r} in:\n{run.stderr}"
    return hits[0]


# --- what was written --------------------------------------------------------------------------


def tree(root: Path) -> set[Path]:
    """Every file, folder and symlink under `root` (symlinked folders are not followed)."""
    found: set[Path] = set()
    for folder, dirs, files in os.walk(root, followlinks=False):
        found.update(Path(folder) / name for name in dirs + files)
    return found


def assert_only_written_under(before: set[Path], after: set[Path], out: Path) -> set[Path]:
    """Everything new in `after` lies inside `out`; returns the new paths."""
    new = after - before
    outside = sorted(p for p in new if p != out and not p.is_relative_to(out))
    assert outside == [], f"written outside {out}: {outside}"
    return new


def assert_nothing_written(out: Path) -> None:
    """A refused case leaves no file: no case folder, no temporary file. (The run's lock in
    OUT/.locks/ is the archive's own and is kept, by design, for the next run.)"""
    leftovers = sorted(p for p in tree(out) if not p.is_dir() and p.parent.name != ".locks"
                       ) if out.exists() else []
    assert leftovers == [], f"written although refused: {leftovers}"


def assert_no_temporary_files(out: Path) -> None:
    temps = sorted(p for p in tree(out) if p.name.startswith(".tmp-")) if out.exists() else []
    assert temps == [], f"temporary files left behind: {temps}"


def assert_sound_docx(path: Path) -> None:
    """A package Word opens: a readable zip, each name once, every XML part well-formed."""
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        duplicates = [n for n, count in Counter(names).items() if count > 1]
        assert duplicates == [], f"{path.name}: duplicate zip entries {duplicates}"
        assert zf.testzip() is None, f"{path.name}: a zip entry fails its CRC check"
        for name in names:
            if name.endswith((".xml", ".rels")):
                try:
                    etree.fromstring(zf.read(name))
                except etree.XMLSyntaxError as exc:
                    raise AssertionError(f"{path.name}: {name} is not well-formed: {exc}") from None
    docx.Document(path)  # python-docx opens it


def drafted_letters(out: Path) -> list[Path]:
    """Every letter under `out`, each checked to be a sound .docx, with no temporary files."""
    assert_no_temporary_files(out)
    found = sorted(out.rglob("*.docx"))
    for path in found:
        assert_sound_docx(path)
    return found


# --- what a reader sees ------------------------------------------------------------------------




def paragraphs(path: Path) -> list[str]:
    """The text of every paragraph a reader sees, table cells included, in order; python-docx
    reads a line break (<w:br/>) as "\\n" and a tab (<w:tab/>) as "\\t"."""
    return _blocks(docx.Document(path))


def assert_shows(path: Path, expected: str) -> None:
    """`expected` is exactly the text of one paragraph (or table cell) of the letter."""
    shown = paragraphs(path)
    if expected not in shown:
        near = [p for p in shown if expected[:12] and p.startswith(expected[:12])]
        raise AssertionError(f"{path.name} does not show {expected!r} as a paragraph; "
                             f"closest: {near[:1]!r}")
