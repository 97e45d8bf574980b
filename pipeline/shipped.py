"""What the installed program carries with it: the letter templates and the case schema.

Both travel inside the distribution (package data), so `pip install .` gives a `letters` that
works from any folder. Templates are looked up in this order:

1. the folder named with `--templates DIR`;
2. a `letter_templates/` folder in the current directory (the office's own copy);
3. the templates shipped with the program.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

TEMPLATES_FOLDER = "letter_templates"


def shipped_templates() -> Path:
    """The folder of templates installed with the program."""
    return Path(str(resources.files("pipeline.letter_templates")))


def templates_dir(chosen: Path | None = None) -> Path:
    """The templates to use: `chosen`, else ./letter_templates/, else the shipped ones."""
    if chosen is not None:
        return chosen
    local = Path(TEMPLATES_FOLDER)
    if local.is_dir():
        return local
    return shipped_templates()


def schema_file() -> Path:
    """The case file's JSON Schema, as installed (editors read it while staff type)."""
    return Path(str(resources.files("pipeline.case") / "case.schema.json"))
