"""Shared fixtures for the test suite.

Grouped by what they provide; add new fixtures to the matching section (or a new one), keep
each one small and documented, and never change the working directory or global state here.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pipeline.cli import cli
from pipeline.models import School, load_school

REPO = Path(__file__).resolve().parent.parent


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
