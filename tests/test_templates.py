"""Templates staff can edit safely, and case files staff can write without help.

Every test works on copies in tmp_path: a template is broken or reworded with python-docx (or at
the XML level, where Word's own habits have to be imitated), checked with `letters templates
check`, and drafted with `letters draft --templates DIR`; the letters are read back with
python-docx. The shipped templates, school profile and sample cases are only ever read.

Sections: the lint's messages for broken templates; a LibreOffice-saved copy and Word's run
splitting; `templates fields` against what the templates use; `draft --templates`; the case
schema; `new-case`; the policy review warning; template failures during a draft.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shutil
import subprocess
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import docx
import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import LETTER_DATE
from docx.text.paragraph import Paragraph
from lxml import etree
from reading import blocks as _blocks

from pipeline import draft as workflow
from pipeline.case.load import PLACEHOLDER
from pipeline.cli import cli
from pipeline.docx.template import CompiledTemplate, make_environment
from pipeline.kinds import NAMES as LETTER_KINDS
from pipeline.template_check import ALLOWED_GLOBALS, _Walker, fields_for

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
THANKS = "Thank you for taking the time to read this letter. I hope that we can resolve this together."
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
NEEDS_SOFFICE = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed "
                                   "here, so a LibreOffice-saved template cannot be made: run "
                                   "make system-deps")
# --- helpers -------------------------------------------------------------------------------------


def run(*args: object) -> Result:
    """`letters ARGS` exactly as given (for commands given their own --school)."""
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def copy_templates(repo: Path, target: Path) -> Path:
    shutil.copytree(repo / "letter_templates", target)
    return target


def paragraph(doc, starting: str) -> Paragraph:
    """The one body paragraph of a python-docx Document whose text starts with `starting`."""
    found = [p for p in doc.paragraphs if p.text.startswith(starting)]
    assert len(found) == 1, f"expected one paragraph starting {starting!r}, found {len(found)}"
    return found[0]


def reword(par: Paragraph, text: str) -> None:
    """Replace a paragraph's text, keeping the first run (and so its formatting)."""
    runs = par.runs
    runs[0].text = text
    for extra in runs[1:]:
        extra._r.getparent().remove(extra._r)


def add_after(par: Paragraph, text: str) -> Paragraph:
    """A new paragraph after `par`, formatted like it, holding `text`."""
    element = copy.deepcopy(par._p)
    par._p.addnext(element)
    new = Paragraph(element, par._parent)
    reword(new, text)
    return new


def edited(source: Path, target: Path, change: Callable) -> Path:
    """Save a copy of the template `source` to `target` after change(document)."""
    doc = docx.Document(source)
    change(doc)
    target.parent.mkdir(parents=True, exist_ok=True)
    doc.save(target)
    return target


def rewrite_part(source: Path, target: Path, part: str, change: Callable[[bytes], bytes]) -> Path:
    """Copy a .docx, entry by entry in its own order, with one part's bytes changed."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, change(data) if info.filename == part else data)
    return target




def visible_text(path: Path) -> list[str]:
    """What a reader sees: headers, body paragraphs and table cells in order, footers."""
    doc = docx.Document(path)

    def stories(which: str) -> list[str]:
        # A section whose header repeats the previous one's reads the same whether it is linked
        # to it (Word, python-docx) or holds its own copy (LibreOffice): count the text once.
        texts, previous = [], {}
        for section in doc.sections:
            for name in (which, f"first_page_{which}", f"even_page_{which}"):
                story = getattr(section, name)
                if story.is_linked_to_previous:
                    continue
                blocks = [f"[{which}] {t}" for t in _blocks(story)]
                if blocks != previous.get(name):
                    texts += blocks
                previous[name] = blocks
        return texts

    return stories("header") + _blocks(doc) + stories("footer")


def page_layout(path: Path) -> list[str]:
    """Each section's orientation, in order: what a reader sees of the page setup."""
    return [s.orientation.name for s in docx.Document(path).sections]


def duplicate_entries(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return [name for name, n in Counter(zf.namelist()).items() if n > 1]


def letters_under(out: Path) -> list[Path]:
    return sorted(p.relative_to(out) for p in out.rglob("*.docx"))


# --- 1. the lint's messages for a broken template -----------------------------------------------


@pytest.fixture
def concern_template(repo: Path) -> Path:
    return repo / "letter_templates" / "concern.docx"


def test_a_clean_template_folder_passes(tmp_path, repo, letters):
    folder = copy_templates(repo, tmp_path / "clean")

    result = letters("templates", "check", folder)

    assert result.exit_code == 0, result.output
    assert result.stdout == f"Templates in {folder}: ok.\n"
    assert result.stderr == ""


def test_an_unclosed_tag_names_the_template_and_the_missing_endif(tmp_path, concern_template,
                                                                  letters):
    broken = edited(concern_template, tmp_path / "unclosed" / "concern.docx",
                    lambda d: reword(paragraph(d, "Thank you for taking"),
                                     "{% if poster.name %}" + THANKS))

    result = letters("templates", "check", broken)

    assert result.exit_code == 1
    assert result.stderr.startswith("concern.docx: body: template error: Unexpected end of "
                                     "template.")
    assert "'endif'" in result.stderr and "near the paragraph: '" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == f"1 problem in {broken}.\n"


def test_an_unclosed_tag_quotes_the_paragraph_that_opens_it(tmp_path, concern_template, letters):
    broken = edited(concern_template, tmp_path / "unclosed" / "concern.docx",
                    lambda d: reword(paragraph(d, "Thank you for taking"),
                                     "{% if poster.name %}" + THANKS))

    result = letters("templates", "check", broken)

    assert result.exit_code == 1
    assert f"near the paragraph: '{{% if poster.name %}}{THANKS}'" in result.stderr


def test_a_misspelt_field_in_the_body_suggests_the_right_one(tmp_path, concern_template, letters):
    broken = edited(concern_template, tmp_path / "typo" / "concern.docx",
                    lambda d: reword(paragraph(d, "Thank you for taking"),
                                     "Thank you from {{ school.nmae }}."))

    result = letters("templates", "check", broken)

    assert result.exit_code == 1
    assert result.stderr == (
        "concern.docx: body, near 'Thank you from {{ school.nmae }}.': 'school.nmae' is not a "
        "field of a concern letter; did you mean 'school.name'? (see: letters templates fields "
        "concern)\n")
    assert result.stdout == f"1 problem in {broken}.\n"


def test_a_misspelt_field_in_the_footer_says_footer(tmp_path, concern_template, letters):
    def break_footer(doc):
        footer = doc.sections[0].footer.paragraphs
        assert footer[-1].text == "Reference {{ letter.reference }}"
        reword(footer[-1], "Reference {{ letter.refrence }}")

    broken = edited(concern_template, tmp_path / "footer" / "concern.docx", break_footer)

    result = letters("templates", "check", broken)

    assert result.exit_code == 1
    assert result.stderr == (
        "concern.docx: footer, near 'Reference {{ letter.refrence }}': 'letter.refrence' is not a "
        "field of a concern letter; did you mean 'letter.reference'? (see: letters templates "
        "fields concern)\n")


def test_a_misspelt_nested_attribute_suggests_the_right_one(tmp_path, concern_template, letters):
    broken = edited(concern_template, tmp_path / "nested" / "concern.docx",
                    lambda d: reword(paragraph(d, "Thank you for taking"),
                                     "Dear {{ poster.salutaton }}, thank you."))

    result = letters("templates", "check", broken)

    assert result.exit_code == 1
    assert "concern.docx: body, near 'Dear {{ poster.salutaton }}, thank you.': " in result.stderr
    assert "'poster.salutaton' is not a field of a concern letter; did you mean " \
           "'poster.salutation'?" in result.stderr


def test_a_misspelt_loop_variable_field_suggests_it_as_typed(tmp_path, concern_template, letters):
    def add_loop(doc):
        thanks = paragraph(doc, "Thank you for taking")
        add_after(thanks, "{%p endfor %}")
        add_after(thanks, "{{ p.txt }}")
        add_after(thanks, "{%p for p in posts %}")

    broken = edited(concern_template, tmp_path / "loop" / "concern.docx", add_loop)

    result = letters("templates", "check", broken)

    assert result.exit_code == 1
    assert "'p.txt' is not a field of a concern letter; did you mean 'p.text'? (see: letters " \
           "templates fields concern)" in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_broken_copy_in_a_folder_is_named_and_the_rest_pass(tmp_path, repo, letters):
    folder = copy_templates(repo, tmp_path / "my-copy")
    edited(folder / "warning.docx", folder / "warning.docx",
           lambda d: reword(paragraph(d, "Formal warning"), "Formal {{ school.nmae }}"))

    result = letters("templates", "check", folder)

    assert result.exit_code == 1
    assert result.stderr.startswith("warning.docx: body, near 'Formal {{ school.nmae }}': ")
    assert result.stderr.count("\n") == 1
    assert result.stdout == f"1 problem in {folder}.\n"


# --- 2. a LibreOffice-saved copy, and Word's run splitting ----------------------------------------


@pytest.fixture(scope="module")
def libreoffice_copies(tmp_path_factory, repo: Path) -> Path:
    """Every shipped template opened and saved again as .docx by LibreOffice."""
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed here, so a LibreOffice-saved "
                    "template cannot be made: run make system-deps")
    base = tmp_path_factory.mktemp("libreoffice")
    originals = copy_templates(repo, base / "originals")
    out = base / "saved"
    profile = base / "profile"  # a private profile: no clash with a LibreOffice already open
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless",
                    "--convert-to", "docx", "--outdir", str(out),
                    *sorted(str(p) for p in originals.glob("*.docx"))],
                   check=True, capture_output=True, timeout=300, stdin=subprocess.DEVNULL,
                   env={**os.environ, "HOME": str(profile)})
    assert sorted(p.name for p in out.glob("*.docx")) == sorted(f"{k}.docx" for k in LETTER_KINDS)
    return out


@pytest.fixture(scope="module")
def libreoffice_run(tmp_path_factory, libreoffice_copies: Path, repo: Path,
                    school_path: Path) -> tuple[Path, Result]:
    """`letters draft data/cases --templates SAVED --out X --date 2026-12-01`."""
    out = tmp_path_factory.mktemp("libreoffice-letters") / "X"
    result = run("draft", repo / "data" / "cases", "--templates", libreoffice_copies, "--out", out,
                 "--date", LETTER_DATE, "--school", school_path)
    return out, result


@NEEDS_SOFFICE
@pytest.mark.slow
def test_libreoffice_saved_templates_pass_the_check(libreoffice_copies, letters):
    result = letters("templates", "check", libreoffice_copies)

    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"Templates in {libreoffice_copies}: ok.\n"


@NEEDS_SOFFICE
@pytest.mark.slow
def test_libreoffice_saved_templates_draft_the_same_letters(libreoffice_run, sample_run):
    x, result = libreoffice_run
    y = sample_run.out

    assert sample_run.result.exit_code == 0, sample_run.result.output
    assert result.exit_code == 0, result.output
    assert letters_under(x) == letters_under(y)
    assert letters_under(y)
    for letter in letters_under(y):
        assert visible_text(x / letter) == visible_text(y / letter), letter
        assert page_layout(x / letter) == page_layout(y / letter), letter


@pytest.mark.parametrize("which", [
    "shipped",
    pytest.param("libreoffice", marks=[
        NEEDS_SOFFICE, pytest.mark.slow]),
])
def test_no_drafted_letter_has_a_duplicate_zip_entry(which, request, sample_run):
    if which == "shipped":
        out, result = sample_run.out, sample_run.result
    else:
        out, result = request.getfixturevalue("libreoffice_run")
    assert result.exit_code == 0, result.output
    found = letters_under(out)
    assert len(found) == len(letters_under(sample_run.out)) > 0
    for letter in found:
        assert duplicate_entries(out / letter) == [], letter


def test_a_template_carrying_a_part_twice_gives_a_letter_with_each_part_once(tmp_path, repo,
                                                                             write_case,
                                                                             base_case, draft):
    folder = copy_templates(repo, tmp_path / "my-copy")
    template = folder / "concern.docx"
    with zipfile.ZipFile(repo / "letter_templates" / "concern.docx") as zin, \
            zipfile.ZipFile(template, "w", zipfile.ZIP_DEFLATED) as zout, \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns "Duplicate name": that is the point
        for info in zin.infolist():
            zout.writestr(info, zin.read(info))
        zout.writestr("docProps/core.xml", zin.read("docProps/core.xml"))
    assert duplicate_entries(template) == ["docProps/core.xml"]
    out = tmp_path / "out"

    result = draft(write_case(tmp_path, base_case), out, "--templates", folder)

    assert result.exit_code == 0, result.output
    letter = out / "T-001" / "T-001-01-concern.docx"
    assert duplicate_entries(letter) == []
    assert "Our reference: T-001/01" in visible_text(letter)


def split_reference_run(xml: bytes) -> bytes:
    """The run holding 'Our reference: {{ letter.reference }}' as Word leaves it after an edit:
    three runs with a spelling mark and a revision id between them."""
    whole = b"<w:r><w:t>Our reference: {{ letter.reference }}</w:t></w:r>"
    assert xml.count(whole) == 1
    split = (b'<w:r><w:t xml:space="preserve">Our reference: {{ letter.</w:t></w:r>'
             b'<w:proofErr w:type="spellStart"/>'
             b'<w:r w:rsidR="00A1B2C3"><w:rPr><w:lang w:val="en-GB"/></w:rPr><w:t>refer</w:t></w:r>'
             b'<w:proofErr w:type="spellEnd"/>'
             b'<w:r w:rsidR="00D4E5F6"><w:t xml:space="preserve">ence }}</w:t></w:r>')
    return xml.replace(whole, split)


def test_a_tag_word_split_into_three_runs_still_renders(tmp_path, repo, write_case, base_case,
                                                        draft, letters):
    folder = copy_templates(repo, tmp_path / "my-copy")
    template = folder / "concern.docx"
    rewrite_part(repo / "letter_templates" / "concern.docx", template, "word/document.xml",
                 split_reference_run)
    runs = [r.text for r in paragraph(docx.Document(template), "Our reference").runs]
    assert runs == ["Our reference: {{ letter.", "refer", "ence }}"]
    assert letters("templates", "check", template).exit_code == 0
    out = tmp_path / "out"

    result = draft(write_case(tmp_path, base_case), out, "--templates", folder)

    assert result.exit_code == 0, result.output
    text = visible_text(out / "T-001" / "T-001-01-concern.docx")
    assert "Our reference: T-001/01" in text
    assert not [line for line in text if "{{" in line or "}}" in line or "letter.refer" in line]


def move_section_break_into_previous_paragraph(xml: bytes) -> bytes:
    """What LibreOffice does on saving police_referral.docx: the empty paragraph that holds the
    first section break is merged into the paragraph before it, here `{%p endif %}`."""
    root = etree.fromstring(xml)
    holder = next(p for p in root.iter(f"{W}p") if p.find(f"{W}pPr/{W}sectPr") is not None)
    assert "".join(holder.itertext()) == ""
    previous = holder.getprevious()
    assert "".join(previous.itertext()) == "{%p endif %}"
    ppr = previous.find(f"{W}pPr")
    if ppr is None:
        ppr = etree.SubElement(previous, f"{W}pPr")
        previous.insert(0, ppr)
    ppr.append(holder.find(f"{W}pPr/{W}sectPr"))
    holder.getparent().remove(holder)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def test_a_section_break_on_a_paragraph_tag_survives(tmp_path, repo, school_path, sample_run):
    folder = copy_templates(repo, tmp_path / "my-copy")
    rewrite_part(repo / "letter_templates" / "police_referral.docx",
                 folder / "police_referral.docx", "word/document.xml",
                 move_section_break_into_previous_paragraph)
    assert page_layout(folder / "police_referral.docx") == ["PORTRAIT", "LANDSCAPE"]
    out = tmp_path / "out"

    result = run("draft", repo / "data" / "cases" / "BPS-2026-011.yaml", "--templates", folder,
                 "--out", out, "--date", LETTER_DATE, "--school", school_path)

    assert result.exit_code == 0, result.output
    letter = Path("BPS-2026-011") / "BPS-2026-011-03-police_referral.docx"
    assert page_layout(sample_run.out / letter) == ["PORTRAIT", "LANDSCAPE"]
    assert page_layout(out / letter) == ["PORTRAIT", "LANDSCAPE"]
    assert visible_text(out / letter) == visible_text(sample_run.out / letter)


# --- 3. `templates fields` covers everything the templates use ------------------------------------


def listed_fields(output: str) -> dict[str, str]:
    """`letters templates fields KIND` output as {path: example as printed}."""
    listed = {}
    for line in output.splitlines():
        if line.startswith("  "):
            path, _, example = line.strip().partition(" ")
            listed[path] = example.strip()
    return listed


def fields_used(template: Path, kind: str, school) -> set[str]:
    """Every field path the template's text parts use, found as the lint finds them."""
    env = make_environment()
    compiled = CompiledTemplate.load(template, env)
    used: set[str] = set()
    for source in compiled.sources.values():
        walker = _Walker(fields_for(kind, school))
        walker.visit(env.parse(source), {})
        used |= {path for path, _, _ in walker.used}
    return {path for path in used if re.split(r"[.\[]", path)[0] not in ALLOWED_GLOBALS}


@pytest.mark.parametrize("kind", LETTER_KINDS)
def test_fields_lists_every_field_the_shipped_template_uses(kind, repo, school, letters):
    used = fields_used(repo / "letter_templates" / f"{kind}.docx", kind, school)

    result = letters("templates", "fields", kind)

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{kind} letter:\n")
    listed = listed_fields(result.stdout)
    assert {"school.name", "letter.reference", "posts"} <= used  # the walker does see fields
    assert sorted(used - set(listed)) == []


@pytest.mark.parametrize("kind", LETTER_KINDS)
def test_fields_gives_an_example_for_the_core_fields(kind, school, letters):
    listed = listed_fields(letters("templates", "fields", kind).stdout)

    assert listed["school.name"] == json.dumps(school.name)
    assert re.fullmatch(r'"[A-Z]+-\d{4}-\d{3}/\d{2}"', listed["letter.reference"])
    assert listed["posts[].text"].startswith('"') and len(listed["posts[].text"]) > 10
    assert listed["posts"] == "(a list: use it in a for loop)"


def test_fields_without_a_kind_lists_every_kind(letters):
    result = letters("templates", "fields")

    assert result.exit_code == 0
    assert [line for line in result.stdout.splitlines() if line.endswith(" letter:")] == \
        [f"{kind} letter:" for kind in LETTER_KINDS]


# --- 4. `letters draft --templates DIR` uses the edited copy ----------------------------------------


NEW_THANKS = "Thank you for reading this letter; I look forward to hearing from you."


def test_draft_with_templates_uses_the_edited_wording(tmp_path, repo, write_case, base_case, draft):
    shipped = repo / "letter_templates" / "concern.docx"
    shipped_sha = hashlib.sha256(shipped.read_bytes()).hexdigest()
    folder = copy_templates(repo, tmp_path / "my-copy")
    edited(folder / "concern.docx", folder / "concern.docx",
           lambda d: reword(paragraph(d, "Thank you for taking"), NEW_THANKS))
    case = write_case(tmp_path, base_case)

    trial = draft(case, tmp_path / "trial", "--templates", folder)
    usual = draft(case, tmp_path / "usual")

    assert trial.exit_code == 0 and usual.exit_code == 0, trial.output + usual.output
    trial_text = visible_text(tmp_path / "trial" / "T-001" / "T-001-01-concern.docx")
    usual_text = visible_text(tmp_path / "usual" / "T-001" / "T-001-01-concern.docx")
    assert NEW_THANKS in trial_text and THANKS not in trial_text
    assert THANKS in usual_text and NEW_THANKS not in usual_text
    assert hashlib.sha256(shipped.read_bytes()).hexdigest() == shipped_sha
    manifest = json.loads((tmp_path / "trial" / "T-001" / "manifest.json").read_text("utf-8"))
    recorded = manifest["letters"][0]["sha256"]["template"]
    assert recorded == hashlib.sha256((folder / "concern.docx").read_bytes()).hexdigest()


# --- 5. the case schema -----------------------------------------------------------------------------


def iso_dates(value):
    """YAML's dates as the ISO strings a JSON document (and the schema) would hold."""
    if isinstance(value, dict):
        return {key: iso_dates(item) for key, item in value.items()}
    if isinstance(value, list):
        return [iso_dates(item) for item in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def validator():
    jsonschema = pytest.importorskip("jsonschema", reason="pip install -e '.[test]'")
    result = run("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def sample_data(repo: Path, case_id: str) -> dict:
    return iso_dates(yaml.safe_load((repo / "data" / "cases" / f"{case_id}.yaml")
                                    .read_text("utf-8")))


def test_schema_accepts_every_sample_case(validator, sample_cases):
    assert sample_cases
    for path in sample_cases:
        data = iso_dates(yaml.safe_load(path.read_text("utf-8")))
        assert [e.message for e in validator.iter_errors(data)] == [], path.name


def test_schema_refuses_an_unknown_key(validator, repo):
    data = sample_data(repo, "BPS-2026-004")
    data["poster"]["favourite_colour"] = "red"

    errors = list(validator.iter_errors(data))

    assert [(list(e.absolute_path), e.validator) for e in errors] == \
        [(["poster"], "additionalProperties")]
    assert "'favourite_colour' was unexpected" in errors[0].message


def test_schema_refuses_a_platform_not_in_the_list(validator, repo):
    data = sample_data(repo, "BPS-2026-004")
    data["posts"][0]["platform"] = "myspace"

    errors = list(validator.iter_errors(data))

    assert [(list(e.absolute_path), e.validator) for e in errors] == \
        [(["posts", 0, "platform"], "enum")]
    assert errors[0].message.startswith("'myspace' is not one of ['facebook', ")


def test_committed_schema_is_what_letters_schema_prints(repo):
    result = run("schema")

    assert result.exit_code == 0
    assert (repo / "pipeline" / "case" / "case.schema.json").read_text("utf-8") == result.stdout


def test_sample_cases_point_editors_at_the_schema(sample_cases, repo):
    for path in sample_cases:
        first = path.read_text("utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path.name
        target = first.removeprefix("# yaml-language-server: $schema=")
        assert (path.parent / target).resolve() == repo / "pipeline" / "case" / "case.schema.json", path.name


# --- 6. `letters new-case` ---------------------------------------------------------------------------

SKELETON_FIELDS = ["poster.name", "poster.salutation", "poster.address[1]", "poster.address[2]",
                   "poster.address[3]", "posts[1].url", "posts[1].captured_by", "posts[1].text",
                   "posts[1].about[1].name"]
FILLED_IN = ["Mrs Jane Doe", "Mrs Doe", "12 Example Road", "Bexton", "WA16 0XX",
             "https://www.facebook.com/groups/123/posts/456", "Office Manager",
             "The teachers at this school are a joke.", "Mr A Teacher"]


@pytest.fixture
def new_case(tmp_path, invoke) -> Path:
    target = tmp_path / "cases" / "BPS-2026-030.yaml"
    result = invoke("new-case", "BPS-2026-030", "--out", target)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Wrote {target}: fill in every FILL IN, then run 'make check'.\n"
    return target


def test_new_case_is_reported_as_not_finished(new_case, letters):
    lines = new_case.read_text("utf-8").splitlines()

    result = letters("check", new_case)

    assert result.exit_code == 2
    reported = result.stderr.splitlines()
    assert [line.split(": ")[1] for line in reported] == SKELETON_FIELDS
    for line in reported:
        where, field, message = line.split(": ", 2)
        number = int(where.rsplit(":", 1)[1])
        assert where == f"{new_case}:{number}"
        # A block scalar (`text: |`) is reported on its key's line; the value is on the next.
        shown = lines[number] if lines[number - 1].split("#")[0].rstrip().endswith("|") \
            else lines[number - 1]
        assert PLACEHOLDER in shown, (field, lines[number - 1])
        assert message == ("still says FILL IN; replace it with the real details (the case is "
                           "not finished)")


def test_new_case_once_filled_in_passes_the_check(new_case, letters, validator):
    text = new_case.read_text("utf-8")
    head, body = text.split("case_id:", 1)  # the comments before case_id mention FILL IN too
    assert body.count(PLACEHOLDER) == len(FILLED_IN)
    for value in FILLED_IN:
        body = body.replace(PLACEHOLDER, value, 1)
    new_case.write_text(head + "case_id:" + body, encoding="utf-8")

    result = letters("check", new_case)

    assert result.exit_code == 0, result.output
    assert result.stdout == f"{new_case}: ok (1 post; plan: concern)\n"
    data = iso_dates(yaml.safe_load(new_case.read_text("utf-8")))
    assert [e.message for e in validator.iter_errors(data)] == []


def test_new_case_points_editors_at_the_schema(new_case, repo):
    first = new_case.read_text("utf-8").splitlines()[0]
    target = first.removeprefix("# yaml-language-server: $schema=")
    assert target != first
    assert (new_case.parent / target).resolve() == repo / "pipeline" / "case" / "case.schema.json"


def test_new_case_refuses_to_overwrite(tmp_path, invoke):
    target = tmp_path / "BPS-2026-030.yaml"
    target.write_text("keep me\n", encoding="utf-8")

    result = invoke("new-case", "BPS-2026-030", "--out", target)

    assert result.exit_code == 1
    assert result.stderr == f"Error: {target} already exists; choose another case id or file\n"
    assert target.read_text("utf-8") == "keep me\n"


@pytest.mark.parametrize("case_id", ["../evil", "BPS 2026 030", "a/b", "-", ""])
def test_new_case_refuses_an_unsafe_id(tmp_path, case_id, runner):
    target = tmp_path / "new.yaml"

    result = runner.invoke(cli, ["new-case", "--out", str(target), "--", case_id])

    assert result.exit_code == 2
    assert "Invalid value for CASE_ID: use only letters, digits, '-' and '_'" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_make_new_case_target_is_wired(repo):
    makefile = (repo / "Makefile").read_text("utf-8")

    target = re.search(r"^new-case:.*## (.+)$", makefile, re.MULTILINE)
    assert target, "the Makefile has no 'new-case:' target with a '## help' comment"
    assert "ID=" in target.group(1)
    recipe = makefile[target.end():].split("\n\n", 1)[0]
    assert "letters new-case $(ID)" in recipe
    assert re.search(r"^\.PHONY:.*\bnew-case\b", makefile, re.MULTILINE)


# --- 7. the policy review date -----------------------------------------------------------------------

TODAY = date(2026, 11, 26)


def review_warning_text(by: str) -> str:
    return (f"Warning: the school's Social Media Policy was due for review in Autumn 2026 (by "
            f"{by}), and every letter quotes it. Check the policy is still current, then update "
            "policy.next_review_date in the school profile.")


@pytest.fixture
def pinned_today(monkeypatch) -> date:
    """review_warning sees TODAY as today, whatever day the tests run."""
    real = workflow.review_warning
    monkeypatch.setattr(workflow, "review_warning",
                        lambda school, today=None: real(school, today or TODAY))
    return TODAY


def school_reviewed_by(tmp_path: Path, school_path: Path, day: str) -> Path:
    text = school_path.read_text("utf-8")
    assert text.count("next_review_date: 2026-12-31") == 1
    copy_path = tmp_path / "school.yaml"
    copy_path.write_text(text.replace("next_review_date: 2026-12-31", f"next_review_date: {day}"),
                         encoding="utf-8")
    return copy_path


TWO_CASES = ("BPS-2026-004", "BPS-2026-018")


@pytest.mark.parametrize("command", ["plan", "plan --json", "draft"])
def test_review_warning_once_when_the_review_date_has_passed(command, tmp_path, repo, school_path,
                                                             pinned_today):
    school = school_reviewed_by(tmp_path, school_path, "2020-01-01")
    cases = [repo / "data" / "cases" / f"{c}.yaml" for c in TWO_CASES]
    name, *flags = command.split()
    extra = [*cases, "--out", tmp_path / "out", "--date", LETTER_DATE, "-j", "1"] \
        if name == "draft" else [cases[0], *flags]

    result = run(name, *extra, "--school", school)

    assert result.exit_code == 0, result.output
    warning = review_warning_text("2020-01-01")
    assert result.stderr.count(warning) == 1
    assert "due for review" not in result.stdout
    if flags:
        assert json.loads(result.stdout)["case_id"] == "BPS-2026-004"


@pytest.mark.parametrize("command", ["plan", "draft"])
def test_no_review_warning_before_the_review_date(command, tmp_path, repo, school_path,
                                                  pinned_today):
    case = repo / "data" / "cases" / "BPS-2026-004.yaml"
    extra = ["--out", tmp_path / "out", "--date", LETTER_DATE] if command == "draft" else []

    result = run(command, case, *extra, "--school", school_path)

    assert result.exit_code == 0, result.output
    assert "due for review" not in result.output


def test_no_review_warning_with_a_far_future_review_date(tmp_path, repo, school_path):
    school = school_reviewed_by(tmp_path, school_path, "2999-12-31")

    result = run("plan", repo / "data" / "cases" / "BPS-2026-004.yaml", "--school", school)

    assert result.exit_code == 0
    assert "due for review" not in result.output


def test_review_warning_starts_the_day_after_the_review_date(school):
    due = school.policy.next_review_date

    assert workflow.review_warning(school, today=due) is None
    assert workflow.review_warning(school, today=due + timedelta(days=1)) == \
        review_warning_text(due.isoformat())


# --- 8. friendly failures during a draft ----------------------------------------------------------


def case_folder_files(out: Path, case_id: str) -> list[str]:
    """What a draft left in a case's folder, the lock file aside."""
    folder = out / case_id
    return sorted(p.name for p in folder.iterdir() if p.name != ".manifest.lock") \
        if folder.exists() else []


def test_a_template_failing_at_run_time_is_reported_without_a_traceback(tmp_path, repo,
                                                                        school_path):
    folder = copy_templates(repo, tmp_path / "my-copy")
    edited(folder / "concern.docx", folder / "concern.docx",
           lambda d: reword(paragraph(d, "Thank you for taking"),
                            "Thank you. {{ posts[0].text.foo.bar }}"))
    concern_case = repo / "data" / "cases" / "BPS-2026-004.yaml"
    warning_case = repo / "data" / "cases" / "BPS-2026-018.yaml"
    out = tmp_path / "out"

    result = run("draft", concern_case, warning_case, "--templates", folder, "--out", out,
                 "--date", LETTER_DATE, "-j", "1", "--school", school_path)

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    problem = next(line for line in result.stderr.splitlines() if "not drafted" in line)
    assert problem.startswith(f"{workflow.relative(concern_case)}: not drafted: concern.docx "
                              "(concern): body: uses '.foo', which this letter does not provide")
    assert "near the paragraph: 'Thank you. {{ posts[0].text.foo.bar }}'" in problem
    assert case_folder_files(out, "BPS-2026-004") == []
    assert case_folder_files(out, "BPS-2026-018") == ["BPS-2026-018-01-warning.docx",
                                                      "manifest.json"]
    assert result.stdout.endswith("2 cases: 1 letter written, 0 unchanged, 0 invalid, "
                                  "1 failed.\n")


@pytest.mark.parametrize("missing", ["warning", "police_referral"])
def test_a_missing_template_names_the_expected_path(missing, tmp_path, repo, school_path):
    folder = copy_templates(repo, tmp_path / "my-copy")
    (folder / f"{missing}.docx").unlink()
    concern_case = repo / "data" / "cases" / "BPS-2026-004.yaml"
    case = repo / "data" / "cases" / "BPS-2026-009.yaml"  # warning, host takedown, police
    out = tmp_path / "out"

    result = run("draft", concern_case, case, "--templates", folder, "--out", out,
                 "--date", LETTER_DATE, "-j", "1", "--school", school_path)

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{workflow.relative(case)}: not drafted: {folder / f'{missing}.docx'}: template not " \
           "found (expected a Word .docx file at this path)" in result.stderr
    assert case_folder_files(out, "BPS-2026-009") == []  # not even the letters rendered first
    assert case_folder_files(out, "BPS-2026-004") == ["BPS-2026-004-01-concern.docx",
                                                      "manifest.json"]


def test_a_runtime_error_is_also_caught_by_the_check(tmp_path, concern_template, letters):
    broken = edited(concern_template, tmp_path / "rt" / "concern.docx",
                    lambda d: reword(paragraph(d, "Thank you for taking"),
                                     "Thank you. {{ posts[0].text.foo.bar }}"))

    result = letters("templates", "check", broken)

    assert result.exit_code == 1
    assert result.stderr.startswith("concern.docx: body, near 'Thank you. {{ posts[0].text.foo.bar "
                                    "}}': 'posts[0].text.foo.bar' is not a field of a concern "
                                    "letter")

