"""The package's shape: one owner per letter kind, no import circle, data flowing downward.

These tests read the code as text and the registry as data, so a change that scatters a kind's
facts again, or ties two modules in a circle, fails here with the names to look at.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pipeline import kinds
from pipeline.archive.manifest import Manifest
from pipeline.errors import ArchiveError
from pipeline.policy import RULES
from pipeline.shipped import shipped_templates

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "pipeline"


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports_of(path: Path) -> set[str]:
    """The pipeline modules a file imports at module level or in a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline"):
            found.add(node.module)
            for alias in node.names:  # `from pipeline import kinds` imports a module
                found.add(f"{node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("pipeline"))
    return found


def graph() -> dict[str, set[str]]:
    names = modules()
    edges = {}
    for name, path in names.items():
        edges[name] = {m for m in imports_of(path) if m in names and m != name
                       and m != "pipeline"}
    return edges


def test_no_module_imports_itself_back_through_others():
    edges = graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                pytest.fail("import circle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)


def test_the_yaml_reader_knows_nothing_of_the_case_model():
    assert graph()["pipeline.case.yaml"] <= {"pipeline.errors"}


def test_only_the_cli_imports_click():
    for name, path in modules().items():
        uses_click = any(isinstance(node, (ast.Import, ast.ImportFrom)) and (
            getattr(node, "module", None) == "click"
            or any(a.name == "click" for a in getattr(node, "names", [])))
            for node in ast.walk(ast.parse(path.read_text("utf-8"))))
        assert uses_click == (name == "pipeline.cli"), name


def test_a_kinds_name_is_written_only_in_the_registry_and_the_rule_table():
    names = {*kinds.NAMES, *(k.step for k in kinds.KINDS)}
    allowed = {PACKAGE / "kinds.py", PACKAGE / "policy.py"}
    for path in modules().values():
        if path in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Constant) and node.value in names:
                pytest.fail(f"{path.relative_to(REPO)}:{node.lineno} writes the kind "
                            f"{node.value!r}; ask pipeline.kinds instead")


@pytest.mark.parametrize("kind", kinds.KINDS, ids=kinds.NAMES)
def test_every_kind_has_a_rule_a_template_and_a_builder(kind):
    assert kind.name in {rule.kind.name for rule in RULES}
    assert (shipped_templates() / kind.template).is_file()
    assert kind.build is not None or kind.to is kinds.Recipient.POSTER
    assert kind.step in kinds.STEPS


def test_every_rule_row_names_a_registered_kind():
    assert [rule.kind for rule in RULES] == [kinds.get(rule.kind.name) for rule in RULES]


# --- the manifest is a typed record with a checked format --------------------------------------


def test_a_manifest_in_an_unknown_format_is_a_clear_error(tmp_path):
    folder = tmp_path / "T-001"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"case_id": "T-001", "format": 99,
                                                       "letters": []}))

    with pytest.raises(ArchiveError, match=r"manifest is in format 99, which this version"):
        Manifest.read(folder, "T-001")


def test_a_manifest_entry_missing_a_field_is_a_clear_error_not_a_key_error(tmp_path):
    folder = tmp_path / "T-001"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"case_id": "T-001", "format": 1,
                                                       "letters": [{"event": "letter"}]}))

    with pytest.raises(ArchiveError, match=r"the manifest is damaged \(letters\.0\.letter\."):
        Manifest.read(folder, "T-001")


# --- a normal install carries the templates and the schema -------------------------------------


@pytest.mark.slow
def test_the_built_distribution_carries_the_templates_and_the_schema(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                    "-w", str(tmp_path), str(REPO)], check=True, timeout=300,
                   capture_output=True)
    [wheel] = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for kind in kinds.KINDS:
        assert f"pipeline/letter_templates/{kind.template}" in names
    assert "pipeline/case/case.schema.json" in names
