"""The errors the pipeline raises, each worded for the office staff who will read it.

Every error carries the exit status the command ends with; cli.py is the one place that turns
any PipelineError into its message and that status (as copier's CopierError does):

- 2: the input cannot be used (an invalid case file or school profile, a refused request);
- 1: anything else that stopped the work (a template, the archive, an outside program).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EXIT_PROBLEM = 1
EXIT_INVALID = 2
EXIT_INTERRUPTED = 130  # as a shell reports a command stopped by Ctrl-C (SIGINT)
EXIT_TERMINATED = 143  # ... and one stopped by SIGTERM


_UNSEEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def shown(text: str) -> str:
    """`text` with control characters and line separators written as escapes (a newline as
    \\n): a file name printed in a message can then never begin a line of its own and pass for
    another message (`FILE:LINE: ...`)."""
    if not _UNSEEN.search(text):
        return text
    return _UNSEEN.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located as precisely as we can.

    `warning` problems are reported but do not make the file invalid.
    """

    file: str
    line: int | None
    field: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        where = f"{shown(self.file)}:{self.line}" if self.line else shown(self.file)
        text = f"{self.field}: {self.message}" if self.field else self.message
        return f"{where}: {'warning: ' if self.warning else ''}{text}"


class PipelineError(Exception):
    """Base of every error the pipeline reports to a person."""

    exit_code = EXIT_PROBLEM


class InvalidInput(PipelineError):
    """A case file (or school profile) that cannot be used; carries every problem found."""

    exit_code = EXIT_INVALID

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class Refused(PipelineError):
    """A request the tool will not carry out as asked (e.g. a letter already recorded as sent)."""

    exit_code = EXIT_INVALID


class TemplateProblem(PipelineError):
    """A letter template that is missing, will not compile, or fails while rendering."""


class ArchiveError(PipelineError):
    """The output folder or manifest cannot be written or does not add up."""


class ToolMissing(PipelineError):
    """An outside program (LibreOffice) that a command needs is not installed or timed out."""
