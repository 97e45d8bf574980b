"""Shared fixtures for the test suite.

Grouped by what they provide; add new fixtures to the matching section (or a new one), keep
each one small and documented, and never change the working directory or global state here.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pipeline.case.load import load_school
from pipeline.case.model import School
from pipeline.cli import cli

REPO = Path(__file__).resolve().parent.parent


def this_checkout_env() -> dict[str, str]:
    """The environment for a child `python -m pipeline`: it imports this checkout's pipeline,
    not whichever one the virtual environment was installed from. (Run it in REPO, or give it
    --templates, for this checkout's templates too: the shipped ones are found through the
    installed package.)"""
    return {**os.environ, "PYTHONPATH": str(REPO)}


# --- the repository and the school profile ---------------------------------------------------


@pytest.fixture(scope="session")
def repo() -> Path:
    """The repository root (the folder holding pyproject.toml, data/ and pipeline/)."""
    return REPO


@pytest.fixture(scope="session")
def school_path(repo: Path) -> Path:
    """The shipped school profile, data/school.yaml."""
    return repo / "data" / "school.yaml"


@pytest.fixture(scope="session")
def school(school_path: Path) -> School:
    """The shipped school profile, loaded and validated."""
    return load_school(school_path)


# --- case files --------------------------------------------------------------------------------

# A minimal valid case: one live Facebook post and an empty history, so the plan is one concern
# letter. Tests vary it by replacing whole lines of text (e.g. "platform: facebook"), so change
# its wording only together with the tests that edit it.
BASE_CASE = """\
case_id: T-001
opened: 2026-11-02
poster:
  name: Mrs Jane Doe
  address: [12 Example Road, Bexton, WA16 0XX]
posts:
  - id: P1
    platform: facebook
    url: https://www.facebook.com/groups/123/posts/456
    posted: 2026-10-30
    text: The teachers at this school are a joke.
    concerns: [negative_comment]
    status: live
history: []
"""


@pytest.fixture
def base_case() -> str:
    """The YAML text of a minimal valid case (see BASE_CASE); vary it with str.replace."""
    return BASE_CASE


def _write_case(tmp_path: Path, text: str) -> Path:
    """Write `text`, dedented and without leading blank lines, to tmp_path/case.yaml.

    The leading newline of a triple-quoted string is dropped, so line 1 of the file is the
    first line of YAML and line numbers in messages can be counted from the test's text.
    """
    path = tmp_path / "case.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture
def write_case() -> Callable[[Path, str], Path]:
    """write_case(tmp_path, text) -> Path of tmp_path/case.yaml holding the dedented text."""
    return _write_case


# --- the command line --------------------------------------------------------------------------


@pytest.fixture
def runner() -> CliRunner:
    """A Click test runner; result.stdout and result.stderr are kept apart."""
    return CliRunner()


@pytest.fixture
def letters(runner: CliRunner, school_path: Path) -> Callable[..., Result]:
    """letters(command, *args) runs `letters COMMAND ARGS --school data/school.yaml`.

    For the commands that read the school profile (check, plan, draft): naming it explicitly
    keeps the tests independent of the directory pytest runs in. Exceptions are not caught,
    so a crash shows its traceback in the test report instead of hiding in result.exception.
    """

    def run(command: str, *args: object) -> Result:
        argv = [command, *(str(a) for a in args), "--school", str(school_path)]
        return runner.invoke(cli, argv, catch_exceptions=False)

    return run


# --- the archive and the record (test_archive.py, test_record.py) ------------------------------


@pytest.fixture(scope="session")
def sample_cases(repo: Path) -> list[Path]:
    """The shipped sample cases, data/cases/*.yaml, in name order."""
    return sorted((repo / "data" / "cases").glob("*.yaml"))


@pytest.fixture
def invoke(runner: CliRunner) -> Callable[..., Result]:
    """invoke(command, *args) runs `letters COMMAND ARGS` exactly as given (no --school added).

    For the commands that take no school profile: verify and register. Exceptions are not
    caught, as with the `letters` fixture.
    """

    def run(command: str, *args: object) -> Result:
        return runner.invoke(cli, [command, *(str(a) for a in args)], catch_exceptions=False)

    return run


@pytest.fixture
def draft_into(school_path: Path) -> Callable[..., list]:
    """draft_into(out_dir, *case_paths, today=..., letter_date=None, pdf=False) -> outcomes.

    Runs pipeline.draft.draft_many with the shipped school and templates and the clock pinned
    to `today` (a datetime.date; required, so no test depends on the day it runs).
    """
    from pipeline.draft import Settings, draft_many

    def run(out_dir: Path, *cases: Path, today, letter_date=None, pdf: bool = False) -> list:
        settings = Settings(school_path=school_path, out_dir=out_dir, today=today,
                            letter_date=letter_date, pdf=pdf)
        return draft_many(list(cases), settings)

    return run


# --- drafting letters --------------------------------------------------------------------------

# Every letter the tests draft is dated this day, so the expected dates can be written out.
LETTER_DATE = "2026-12-01"

# A post that tries every way case text could be taken for markup or lose characters: XML
# specials, Jinja and docxtpl tags, an emoji ZWJ sequence, right-to-left text, and a line whose
# leading spaces Word drops unless the run says xml:space="preserve". No line may begin with a
# space but the indented one (a YAML block scalar takes its indentation from the first line).
HOSTILE_POST = (
    "Fish & chips < cake > \"soup\" 'tea' &amp; more\n"
    "Hello {{ school.name }}, {% if x %}yes{% endif %} {# note #}\n"
    "{%p if y %} a paragraph tag {%tr endfor %} end}} %}\n"
    "Family \U0001F469\u200d\U0001F469\u200d\U0001F467 \u0645\u0631\u062d\u0628\u0627 "
    "\u0628\u0627\u0644\u0645\u062f\u0631\u0633\u0629\n"
    "    indented line\n"
    "{_{ docxtpl escape }_} last line\n"
)


@pytest.fixture
def hostile_case_text(base_case: str) -> str:
    """BASE_CASE (salutation "Mrs Doe") whose one post is HOSTILE_POST, as a YAML block scalar.

    The plan is one concern letter; tests vary the concerns line for other letter kinds.
    """
    block = "    text: |\n" + textwrap.indent(HOSTILE_POST, " " * 6)
    text = base_case.replace("    text: The teachers at this school are a joke.\n", block)
    return text.replace("  name: Mrs Jane Doe\n", "  name: Mrs Jane Doe\n  salutation: Mrs Doe\n")


@pytest.fixture
def draft(letters: Callable[..., Result]) -> Callable[..., Result]:
    """draft(case, out, *more) runs `letters draft CASE --out OUT --date 2026-12-01 ...`."""

    def run(case: Path, out: Path, *more: object) -> Result:
        return letters("draft", case, "--out", out, "--date", LETTER_DATE, *more)

    return run


@dataclass(frozen=True)
class SampleRun:
    """The letters drafted for every sample case: the OUT folder and the command's result."""

    out: Path
    result: Result


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory, repo: Path,
               school_path: Path) -> SampleRun:
    """`letters draft data/cases/ --out OUT --date 2026-12-01`, run once for the whole session.

    Tests only read what it wrote: the folder is shared by every test that uses it.
    """
    out = tmp_path_factory.mktemp("samples") / "out"
    argv = ["draft", str(repo / "data" / "cases"), "--out", str(out), "--date", LETTER_DATE,
            "--school", str(school_path)]
    return SampleRun(out, CliRunner().invoke(cli, argv, catch_exceptions=False))
