"""Template sandbox: a template reaching for Python internals or the file system is refused.

Templates are rendered in Jinja's SandboxedEnvironment (pipeline.render). Each malicious template
here is the shipped template with one paragraph added by python-docx, in a copy of
letter_templates/ under tmp_path. Each must be refused both ways staff would meet it:

* `letters templates check DIR`: exit 1, the problem names the template;
* `letters draft CASE --templates DIR`: exit 1, the message names the template and the letter
  kind, no letter or manifest is written, and nothing the template reached for (the contents of
  /etc/passwd, a Python object's repr) appears anywhere.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import docx
import pytest
from conftest import BASE_CASE
from hostile_support import (
    TEMPLATES,
    assert_nothing_written,
    assert_only_written_under,
    draft,
    letters,
    tree,
)

ATTACKS = {
    "__class__": "{{ ''.__class__ }}",
    "__mro__ subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "__globals__": "{{ lipsum.__globals__ }}",
    "cycler.__init__": "{{ cycler.__init__ }}",
    "cycler.__init__.__globals__": "{{ cycler.__init__.__globals__['os'] }}",
    "self._TemplateReference__context": "{{ self._TemplateReference__context }}",
    "namespace.__init__": "{{ namespace.__init__ }}",
    "attr filter": "{{ ''|attr('__class__') }}",
    "str.format": "{{ '{0.__class__}'.format('') }}",
    "item lookup": "{{ school['__class__'] }}",
    "include /etc/passwd": "{% include '/etc/passwd' %}",
    "import": "{% import '/etc/passwd' as passwd %}{{ passwd }}",
    "from import": "{% from '/etc/passwd' import root %}{{ root }}",
    "extends": "{% extends '/etc/passwd' %}",
}
# What must never reach a letter or the terminal, whatever the sandbox lets through.
LEAKS = ("root:x:0:0", "<class ", "<function ", "<module ", "Traceback")


def malicious_templates(tmp_path: Path, kind: str, tag: str, where: str = "body") -> Path:
    """A copy of letter_templates/ whose `kind` template has one more paragraph holding `tag`."""
    folder = tmp_path / "templates"
    if not folder.exists():
        shutil.copytree(TEMPLATES, folder)
    path = folder / f"{kind}.docx"
    document = docx.Document(path)
    story = document.sections[0].footer if where == "footer" else document
    story.add_paragraph().add_run(tag)
    document.save(path)
    return folder


def write_case(tmp_path: Path, text: str = BASE_CASE) -> Path:
    path = tmp_path / "data" / "case.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def assert_no_letter_written(out: Path) -> None:
    """No letter, manifest or temporary file (the lock in OUT/.locks/ is kept by design)."""
    files = sorted(p.name for p in tree(out) if not p.is_dir() and p.parent.name != ".locks"
                   ) if out.exists() else []
    assert files == [], f"written although refused: {files}"


# --- letters templates check -----------------------------------------------------------------------


@pytest.mark.parametrize("tag", ATTACKS.values(), ids=ATTACKS.keys())
def test_templates_check_refuses_each_attack_naming_the_template(tmp_path, tag):
    folder = malicious_templates(tmp_path, "concern", tag)

    run = letters("templates", "check", folder)

    assert run.exit_code == 1, run.result.output
    problems = run.stderr.splitlines()
    assert problems and all(p.startswith("concern.docx: ") for p in problems), run.stderr
    assert any("templates may not" in p or "sandbox" in p for p in problems), run.stderr
    assert f"problem{'s' if len(problems) != 1 else ''} in {folder}." in run.stdout
    assert not any(leak in run.result.output for leak in LEAKS)


def test_templates_check_passes_the_shipped_templates_copied(tmp_path):
    folder = tmp_path / "templates"
    shutil.copytree(TEMPLATES, folder)
    run = letters("templates", "check", folder)
    assert run.exit_code == 0, run.result.output


# --- letters draft --templates ---------------------------------------------------------------------


@pytest.mark.parametrize("tag", ATTACKS.values(), ids=ATTACKS.keys())
def test_draft_refuses_each_attack_naming_template_and_kind(tmp_path, tag):
    folder = malicious_templates(tmp_path, "concern", tag)
    case = write_case(tmp_path)
    out = tmp_path / "out"
    before = tree(tmp_path)

    run = draft(case, out, "--templates", folder)

    assert run.exit_code == 1, run.result.output
    (message,) = [line for line in run.stderr.splitlines() if "not drafted" in line]
    # The template, which is named after its letter kind.
    assert message.startswith(f"{case}: not drafted: concern.docx"), message
    assert "0 letters written" in run.stdout and "1 failed" in run.stdout
    assert not any(leak in run.result.output for leak in LEAKS)
    assert_only_written_under(before, tree(tmp_path), out)
    assert_no_letter_written(out)


def test_an_attack_in_a_footer_is_refused_too(tmp_path):
    folder = malicious_templates(tmp_path, "concern", ATTACKS["cycler.__init__"], where="footer")
    check = letters("templates", "check", folder)
    assert check.exit_code == 1 and "concern.docx: footer" in check.stderr, check.result.output
    run = draft(write_case(tmp_path), tmp_path / "out", "--templates", folder)
    assert run.exit_code == 1 and "concern.docx" in run.stderr, run.result.output
    assert_no_letter_written(tmp_path / "out")


# A case whose plan is warning, host_takedown, police_referral, legal_referral and
# access_restriction, so each of those templates is rendered by `draft`.
EVERY_OTHER_KIND = textwrap.dedent("""\
    case_id: T-ALL
    opened: 2026-11-02
    poster:
      name: Mrs Jane Doe
      address: [12 Example Road, Bexton, WA16 0XX]
    posts:
      - id: P1
        platform: facebook
        url: https://www.facebook.com/groups/123/posts/456
        posted: 2026-10-30
        text: A post.
        concerns: [defamatory, threat_of_violence]
        about: [{role: staff, name: Mr A Teacher}]
      - id: P2
        platform: school_forum
        url: https://forum.example/t/9
        posted: 2026-10-31
        text: Another post.
        concerns: [negative_comment]
    history:
      - {date: 2026-11-01, step: discussion, outcome: refused, by: Headteacher}
    """)


@pytest.mark.parametrize("kind", ["concern", "warning", "host_takedown", "police_referral",
                                  "legal_referral", "access_restriction"])
def test_every_letter_kind_is_rendered_in_the_sandbox(tmp_path, kind):
    tag = ATTACKS["self._TemplateReference__context"]
    folder = malicious_templates(tmp_path, kind, tag)
    check = letters("templates", "check", folder)
    assert check.exit_code == 1, check.result.output
    assert all(p.startswith(f"{kind}.docx: ") for p in check.stderr.splitlines()), check.stderr

    case = write_case(tmp_path, BASE_CASE if kind == "concern" else EVERY_OTHER_KIND)
    out = tmp_path / "out"
    run = draft(case, out, "--templates", folder)
    assert run.exit_code == 1, run.result.output
    assert f"not drafted: {kind}.docx" in run.stderr, run.stderr
    assert "_TemplateReference__context" in run.stderr  # says what was refused
    # All letters are rendered before any is written: the good ones are not written either.
    assert_no_letter_written(out)


def test_a_case_drafted_with_clean_templates_after_a_refusal_is_numbered_from_one(tmp_path):
    folder = malicious_templates(tmp_path, "concern", ATTACKS["__class__"])
    case, out = write_case(tmp_path), tmp_path / "out"
    assert draft(case, out, "--templates", folder).exit_code == 1
    run = draft(case, out)
    assert run.exit_code == 0, run.result.output
    manifest = json.loads((out / "T-001" / "manifest.json").read_text("utf-8"))
    assert [e["reference"] for e in manifest["letters"]] == ["T-001/01"]


# --- once bugs, now regression tests -----------------------------------------------------


def test_a_refused_template_leaves_no_case_folder(tmp_path):
    folder = malicious_templates(tmp_path, "concern", ATTACKS["__class__"])
    out = tmp_path / "out"
    run = draft(write_case(tmp_path), out, "--templates", folder)
    assert run.exit_code == 1, run.result.output
    assert_nothing_written(out)


def test_a_sandbox_refusal_names_the_letter_kind_like_other_template_errors(tmp_path):
    folder = malicious_templates(tmp_path, "concern", ATTACKS["__class__"])
    run = draft(write_case(tmp_path), tmp_path / "out", "--templates", folder)
    assert run.exit_code == 1, run.result.output
    assert "concern.docx (concern): body: " in run.stderr, run.stderr


@pytest.mark.parametrize("command", ["templates check", "draft"])
def test_a_template_asking_for_a_huge_range_is_refused_not_a_crash(tmp_path, command):
    folder = malicious_templates(tmp_path, "concern", "{{ range(10**9)|list }}")
    if command == "draft":
        run = draft(write_case(tmp_path), tmp_path / "out", "--templates", folder)
    else:
        run = letters("templates", "check", folder)
    assert run.exit_code == 1, run.result.output
    assert "concern.docx" in run.stderr and "range" in run.stderr
