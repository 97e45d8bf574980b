"""What templates may use, and the lint that checks an edited template before it is trusted.

The fields each letter kind provides are not written down by hand: they are read off the context
that pipeline.context builds for a showcase case that uses every feature (a defamatory post about a
named teacher, harassment naming a pupil, a forum post, history, a crime reference). So `letters
templates fields` and the lint cannot drift from what the renderer really passes.

The lint parses each text part of a template (body, tables, headers, footers) as Jinja and walks
the syntax tree, following `{% for x in posts %}` so that `x.text` is known as `posts[].text`. It
reports every unknown field with the closest valid one, every reach for Python internals (names
starting with `_`, `self`), then renders the template once with the showcase context in the same
sandbox the letters use, which catches what only shows at run time.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import nodes

from pipeline import kinds, showcase
from pipeline.case.model import Case, School
from pipeline.docx.package import DocumentProperties
from pipeline.docx.template import CompiledTemplate, make_environment, paragraph_text
from pipeline.errors import TemplateProblem
from pipeline.letter.context import LetterMeta, build_context
from pipeline.letter.parts import Sibling
from pipeline.policy import RULES_BY_KIND, PlannedLetter, decide


def showcase_contexts(kind: str, school: School) -> list[dict[str, Any]]:
    """The contexts a `kind` letter gets for each showcase case (pipeline/showcase.py)."""
    return [showcase_context(kind, school, case) for case in showcase.cases_for(kinds.get(kind))]


def showcase_context(kind: str, school: School, case: Case | None = None) -> dict[str, Any]:
    """The context a `kind` letter gets for a showcase case: every field, with examples."""
    case = case or showcase.base_case()
    rule = RULES_BY_KIND[kind]
    on = showcase.LETTER_DATE
    plan = decide(case, school, today=on)
    planned = [letter for letter in plan.letters if letter.kind == kind]
    if planned:
        letter = planned[0]
    else:
        platform = next((p.platform_key for p in case.posts if p.external), None) \
            if rule.kind.per_platform else None
        posts = tuple(p.id for p in case.posts if not platform or p.platform_key == platform)
        letter = PlannedLetter(kind=kind, to=case.poster.name, posts=posts,
                               reasons=("The reason the plan gives.",), clauses=rule.clauses,
                               platform=platform, guidance=rule.guidance,
                               respond_by=rule.kind.respond_by_date(on, urgent=False))
    siblings = tuple(Sibling(other, f"{case.case_id}/{n:02d}")
                     for n, other in enumerate(plan.letters, 1) if other != letter)
    meta = LetterMeta(reference=f"{case.case_id}/{len(plan.letters) + 1:02d}", letter_date=on)
    return build_context(letter, case, school, meta, None, plan=plan, siblings=siblings,
                         today=on)


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """{'school.name': 'Bexton...', 'posts[].text': '...', ...}: each field with an example."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        if prefix:
            out[prefix] = value
        for key, item in value.items():
            if key.startswith("_"):
                continue
            out.update(flatten(item, f"{prefix}.{key}" if prefix else key))
    elif isinstance(value, list):
        out[prefix] = value
        for item in value:
            for path, example in flatten(item, prefix + "[]").items():
                out.setdefault(path, example)
        if not value:
            out.setdefault(prefix + "[]", "")
    else:
        out[prefix] = value
    return out


def fields_for(kind: str, school: School) -> dict[str, Any]:
    """Every field a `kind` template may use, with an example: read off the contexts of every
    showcase case, so a field that only some cases give (a notice of complaint, a further
    referral) is listed too."""
    fields: dict[str, Any] = {}
    for context in showcase_contexts(kind, school):
        for path, example in flatten(context).items():
            if fields.get(path) in (None, "", []) and example not in (None, "", []):
                fields[path] = example
            else:
                fields.setdefault(path, example)
    return _without_empty_list_markers(fields)


def _without_empty_list_markers(fields: dict[str, Any]) -> dict[str, Any]:
    """A list empty in one case but full in another: keep its real fields only."""
    return {path: example for path, example in fields.items()
            if not (path.endswith("[]") and example == ""
                    and any(f.startswith(path + ".") for f in fields))}


# --- the lint ---------------------------------------------------------------------------------

ALLOWED_GLOBALS = {"range", "loop", "true", "false", "none", "True", "False", "None"}
STRING_METHODS = {"upper", "lower", "title", "capitalize", "strip", "startswith", "endswith",
                  "replace", "split", "join"}


@dataclass(frozen=True)
class TemplateFinding:
    template: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.template}: {self.where}: {self.message}" if self.where else \
            f"{self.template}: {self.message}"


class _Walker:
    def __init__(self, fields: dict[str, Any]):
        self.fields = fields
        self.prefixes = {p.split("[]")[0].split(".")[0] for p in fields}
        self.used: list[tuple[str, int, str]] = []
        self.unsafe: list[tuple[str, int]] = []

    def path(self, node: nodes.Node, scope: dict[str, str | None]) -> str | None:
        """The field path an expression names ('posts[].text'), or None if not a field."""
        if isinstance(node, nodes.Name):
            if node.name in scope:
                return scope[node.name]
            return node.name
        if isinstance(node, nodes.Getattr):
            base = self.path(node.node, scope)
            if node.attr.startswith("_"):
                self.unsafe.append((node.attr, node.lineno))
                return None
            return None if base is None else f"{base}.{node.attr}"
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            base = self.path(node.node, scope)
            if isinstance(node.arg.value, str):
                if node.arg.value.startswith("_"):
                    self.unsafe.append((node.arg.value, node.lineno))
                    return None
                return None if base is None else f"{base}.{node.arg.value}"
            return None if base is None else f"{base}[]"
        return None

    def visit(self, node: nodes.Node, scope: dict[str, str | None]) -> None:
        if isinstance(node, nodes.For):
            self.visit(node.iter, scope)
            inner = dict(scope, loop=None)
            source = self.path(node.iter, scope)
            for target in ([node.target] if isinstance(node.target, nodes.Name)
                           else list(node.target.find_all(nodes.Name))):
                inner[target.name] = f"{source}[]" if source else None
            for child in node.body + node.else_:
                self.visit(child, inner)
            if node.test is not None:
                self.visit(node.test, inner)
            return
        if isinstance(node, nodes.Assign) and isinstance(node.target, nodes.Name):
            self.visit(node.node, scope)
            scope[node.target.name] = None  # a name the template sets for itself
            return
        if isinstance(node, (nodes.Macro, nodes.CallBlock)):
            self.unsafe.append(("macro", node.lineno))
            return
        if isinstance(node, (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
            self.unsafe.append(("include/import", node.lineno))
            return
        if isinstance(node, (nodes.Name, nodes.Getattr, nodes.Getitem)):
            path = self.path(node, scope)
            if path is not None:
                self.used.append((path, node.lineno, _shown(node)))
            if isinstance(node, nodes.Name) and node.name == "self":
                self.unsafe.append(("self", node.lineno))
            if isinstance(node, nodes.Getitem) and not isinstance(node.arg, nodes.Const):
                self.visit(node.arg, scope)
            if path is None and not isinstance(node, nodes.Name):
                self.visit(node.node, scope)
            return
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr) and \
                node.node.attr in STRING_METHODS:
            self.visit(node.node.node, scope)
            for arg in node.args:
                self.visit(arg, scope)
            return
        for child in node.iter_child_nodes():
            self.visit(child, scope)


def _known(path: str, fields: dict[str, Any]) -> bool:
    if path in fields or path.split(".")[0] in ALLOWED_GLOBALS:
        return True
    return any(f.startswith((path + ".", path + "[]")) for f in fields)


def lint_template(path: Path, kind: str, school: School) -> list[TemplateFinding]:
    """Every problem with one template, as findings naming the part and paragraph."""
    name = path.name
    env = make_environment()
    try:
        compiled = CompiledTemplate.load(path, env)
    except TemplateProblem as exc:
        return [TemplateFinding(name, "", str(exc).removeprefix(f"{path}: ").removeprefix(
            f"{name}: "))]
    fields = fields_for(kind, school)
    findings: list[TemplateFinding] = []
    for part, source in compiled.sources.items():
        walker = _Walker(fields)
        walker.visit(env.parse(source), {})
        label = _label(part)
        lines = source.splitlines()
        for what, lineno in walker.unsafe:
            findings.append(TemplateFinding(name, f"{label}, near {_near(lines, lineno)!r}",
                                            f"uses '{what}', which templates may not use "
                                            "(the sandbox refuses it)"))
        seen = set()
        for used, lineno, shown in walker.used:
            if used in seen or _known(used, fields):
                continue
            seen.add(used)
            guess = difflib.get_close_matches(used, list(fields), n=1, cutoff=0.6)
            hint = f"; did you mean '{_as_typed(guess[0], used, shown)}'?" if guess else ""
            findings.append(TemplateFinding(
                name, f"{label}, near {_near(lines, lineno)!r}",
                f"'{shown}' is not a field of a {kind} letter{hint} "
                f"(see: letters templates fields {kind})"))
    for context in showcase_contexts(kind, school) if not findings else ():
        try:
            compiled.render(context, DocumentProperties("check", "check", school.name, "check",
                                                        showcase.LETTER_DATE), kind=kind)
        except TemplateProblem as exc:
            findings.append(TemplateFinding(name, "trial render", str(exc).removeprefix(
                f"{name} ({kind}): ")))
            break
    return findings


def _shown(node: nodes.Node) -> str:
    """An expression as the template spells it: 'p.txt', 'posts[0].text'."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_shown(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return f"{_shown(node.node)}[{node.arg.value!r}]"
    return "..."


def _as_typed(suggestion: str, used: str, shown: str) -> str:
    """The suggested field in the template's own spelling: 'p.text' for 'posts[].text'."""
    used_head, _, _ = used.rpartition(".")
    shown_head, _, _ = shown.rpartition(".")
    if used_head and shown_head and suggestion.startswith(used_head + "."):
        return shown_head + suggestion[len(used_head):]
    return suggestion


def _label(part: str) -> str:
    stem = part.rsplit("/", 1)[-1].removesuffix(".xml").rstrip("0123456789")
    return {"document": "body"}.get(stem, stem)


def _near(lines: list[str], lineno: int) -> str:
    for i in (lineno - 1, lineno - 2, lineno):
        if 0 <= i < len(lines):
            text = paragraph_text(lines[i])
            if text:
                return text[:100]
    return ""


def template_targets(paths: list[Path], default_dir: Path) -> list[tuple[Path, str]]:
    """(template, kind) pairs: a folder stands for a template of every kind; a file's kind is
    the one whose template has its name."""
    by_template = {kind.template: kind.name for kind in kinds.KINDS}
    targets: list[tuple[Path, str]] = []
    for path in paths or [default_dir]:
        if path.is_dir():
            targets += [(path / kind.template, kind.name) for kind in kinds.KINDS]
        else:
            targets.append((path, by_template.get(path.name, "")))
    return targets


def check_templates(paths: list[Path], default_dir: Path, school: School
                    ) -> list[TemplateFinding]:
    findings: list[TemplateFinding] = []
    for path, kind in template_targets(paths, default_dir):
        if not kind:
            findings.append(TemplateFinding(
                path.name, "", f"is not named after a letter kind; name it one of "
                f"{', '.join(k.template for k in kinds.KINDS)}"))
            continue
        if not path.is_file():
            findings.append(TemplateFinding(str(path), "", "template not found (expected a "
                                                           "Word .docx file at this path)"))
            continue
        findings += lint_template(path, kind, school)
    return findings
