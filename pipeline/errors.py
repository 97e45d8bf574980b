"""The few errors the pipeline raises, each worded for the office staff who will read it.

cli.py is the one place that turns them into messages and exit codes: an invalid case file
exits 2 (like a usage error), every other PipelineError exits 1.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located as precisely as we can."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class PipelineError(Exception):
    """Base of every error the pipeline reports to a person."""


class InvalidInput(PipelineError):
    """A case file (or school profile) that cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class TemplateProblem(PipelineError):
    """A letter template that is missing, will not compile, or fails while rendering."""


class ArchiveError(PipelineError):
    """The output folder or manifest cannot be written or does not add up."""


class ToolMissing(PipelineError):
    """An outside program (LibreOffice) that a command needs is not installed or timed out."""
