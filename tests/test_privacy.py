"""Pupils' names in letters to third parties (issue 12): the initials promise holds for
real-world spellings, and quoted evidence is never silently rewritten.

Letters are drafted through the command line and read back as a reader sees them: with
python-docx, and (where LibreOffice and pdftotext are installed) as a PDF through `pdftotext`.
Sections: each leak the review found and the normalisation classes beyond them; fields;
quotes that must stay as posted; what `check`, `plan` and `draft` say; screenshots; the last
check; letters that quote verbatim; speed; a property over generated names and spellings.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import time
import unicodedata
from datetime import date
from pathlib import Path

import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from reading import blocks

from pipeline.case.load import load_school, validate_case
from pipeline.case.model import Case
from pipeline.case.names import Pupil
from pipeline.case.pupils import case_names, case_pupils, kept_names, withheld_screenshots
from pipeline.docx.package import DocumentProperties
from pipeline.docx.template import CompiledTemplate
from pipeline.letter.context import LetterMeta, build_context
from pipeline.letter.redact import REDACTION_NOTE, Redactor, full_names_in_letter
from pipeline.policy import RULES_BY_KIND, PlannedLetter, decide

REPO = Path(__file__).resolve().parent.parent
SCHOOL = load_school(REPO / "data" / "school.yaml")
NOTE = REDACTION_NOTE
UNBREAKABLE = str.maketrans({"\u00a0": " ", "\u2011": "-", "\u2060": None})
THIRD_PARTY = ("host_takedown", "police_referral")
INCLUDE_BOTH = """\
overrides:
  - {letter: host_takedown, action: include, reason: The school reports it to the platform}
  - {letter: police_referral, action: include, reason: The school reports it to the police}
"""


# --- reading letters back ----------------------------------------------------------------------


def docx_text(path: Path) -> str:
    """Body paragraphs and table cells in order, as python-docx reads them."""
    return "\n".join(blocks(docx.Document(path)))


def all_xml_text(path: Path) -> str:
    """Every text node and attribute value of every XML part: properties, image descriptions."""
    import zipfile

    pieces = []
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.endswith((".xml", ".rels")):
                for element in etree.fromstring(zf.read(name)).iter():
                    pieces += [element.text or "", *element.attrib.values()]
    return "\n".join(pieces)


def letter_of(out: Path, kind: str, case_id: str = "T-012") -> Path:
    found = sorted((out / case_id).glob(f"{case_id}-[0-9][0-9]-{kind}*.docx"))
    assert len(found) == 1, f"expected one {kind} letter, found {found}"
    return found[0]


def skeleton(text: str) -> str:
    """Letters only, folded as a reader's eye folds them: no case, accents, width or fancy
    styles, invisible characters gone. An independent check (not the matcher's own code)."""
    out = []
    for ch in unicodedata.normalize("NFKD", text):
        if unicodedata.category(ch) in ("Mn", "Me", "Mc", "Cf"):
            continue
        out.append(ch)
    folded = unicodedata.normalize("NFKD", "".join(out).casefold())
    return "".join(ch for ch in folded if ch.isalpha() and not unicodedata.combining(ch))


def quote_lines(text: str, first: str) -> list[str]:
    """The lines of the quote starting with `first` (the numbered lines of FORMS_POST)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    return lines[start:start + len(FORMS)]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def block(text: str, indent: int = 6) -> str:
    return "".join(" " * indent + line + "\n" for line in text.split("\n"))


# --- every form of a full name the review found leaking, and more -------------------------------

# (as typed in the post, as the letter must print it). Pupils: Chloe Smith, Zoë Bélanger,
# Liam O'Brien, Oliver-James McKenzie.
FORMS = [
    ("Zoe\u0308 Be\u0301langer", "[Z.B.]"),  # typed on a phone: decomposed accents
    ("\U0001d402\U0001d421\U0001d425\U0001d428\U0001d41e \U0001d412\U0001d426\U0001d422"
     "\U0001d42d\U0001d421", "[C.S.]"),  # "fancy text": mathematical bold
    ("\uff23\uff48\uff4c\uff4f\uff45 \uff33\uff4d\uff49\uff54\uff48", "[C.S.]"),  # fullwidth
    ("Chlo\u00ade Smith", "[C.S.]"),  # a soft hyphen inside the name
    ("Chl\u200boe Smith", "[C.S.]"),  # a zero-width space inside the name
    ("#ChloeSmith", "#[C.S.]"),
    ("@chloe_smith", "@[C.S.]"),
    ("Chloe_Smith", "[C.S.]"),
    ("Liam O\u2019Brien", "[L.O.]"),  # a curly apostrophe
    ("chloe smith", "[C.S.]"),  # lower case
    ("Smith, Chloe", "[C.S.]"),  # reordered
    ("SMITH, CHLOE", "[C.S.]"),
    # beyond the review: the same classes, other members
    ("CHLOE SMITH", "[C.S.]"),
    ("Chloe\u00a0Smith", "[C.S.]"),  # a no-break space
    ("Chloe-Smith", "[C.S.]"),
    ("Chloe\u2011Smith", "[C.S.]"),  # a non-breaking hyphen
    ("chloe.smith", "[C.S.]"),
    ("Chlo\u00e9 Smith", "[C.S.]"),  # an accent the record does not have
    ("Chloe\u2060Smith", "[C.S.]"),  # a word joiner
    ("Ch\u200dloe Smi\u202eth", "[C.S.]"),  # a joiner and a bidi control
    ("ZOË BÉLANGER", "[Z.B.]"),
    ("JusticeForChloeSmith", "JusticeFor[C.S.]"),
    ("#justiceforchloesmith", "#justicefor[C.S.]"),
    ("Oliver McKenzie", "[O.J.M.]"),  # a middle part dropped
    ("Oliver James McKenzie", "[O.J.M.]"),
    ("McKenzie, Oliver-James", "[O.J.M.]"),
    ("\uff2c\uff49\uff41\uff4d O'Brien", "[L.O.]"),
    ("Liam OBrien", "[L.O.]"),
]
FORMS_POST = "\n".join(f"{n}. {typed} is in Year 4." for n, (typed, _) in enumerate(FORMS, 1))
PUPILS = ("Chloe Smith", "Zoë Bélanger", "Liam O'Brien", "Oliver-James McKenzie")
LEAK_URL = "https://example.org/justiceforchloesmith/posts/1"


def leak_case(*, evidence: str = "", extra_post: str = "") -> str:
    about = "".join(f"      - {{role: pupil, name: \"{name}\"}}\n" for name in PUPILS)
    return (
        "case_id: T-012\nopened: 2026-11-02\n"
        "poster:\n  name: Mrs Leanne Dutton\n  address: [27 Hollins Way, Bexton, WA16 0HD]\n"
        "posts:\n"
        "  - id: P1\n    platform: other\n    platform_name: Justice for Chloe Smith group\n"
        "    url: https://example.org/justiceforchloesmith/posts/1\n"
        "    handle: Justice for Chloe Smith\n"
        "    report_reference: REF-Chloe-Smith-22\n"
        "    captured_by: Mrs Carter (Chloe Smith's class teacher)\n"
        "    posted: 2026-10-30T18:45\n"
        f"{evidence}"
        "    text: |\n" + block(FORMS_POST)
        + "    concerns: [names_pupil, threat_of_violence, harassment]\n"
        "    about:\n" + about + extra_post
        + "history: []\n" + INCLUDE_BOTH)


@pytest.fixture(scope="module")
def leak_letters(tmp_path_factory, school_path) -> Path:
    from click.testing import CliRunner

    from pipeline.cli import cli

    tmp = tmp_path_factory.mktemp("leaks")
    evidence = tmp / "evidence"
    evidence.mkdir()
    (evidence / "chloe-smith.png").write_bytes((REPO / "data" / "cases" / "evidence" /
                                                "BPS-2026-009-P1.png").read_bytes())
    case = write(tmp, leak_case(evidence="    evidence: evidence/chloe-smith.png\n"))
    out = tmp / "out"
    result = CliRunner().invoke(cli, ["draft", str(case), "--out", str(out), "--date",
                                      "2026-12-01", "--school", str(school_path)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("kind", THIRD_PARTY)
def test_every_form_of_a_full_name_becomes_bracketed_initials(leak_letters, kind):
    text = docx_text(letter_of(leak_letters, kind))
    expected = [f"{n}. {shown} is in Year 4." for n, (_, shown) in enumerate(FORMS, 1)]
    assert quote_lines(text, "1. ") == expected


@pytest.mark.parametrize("kind", THIRD_PARTY)
def test_no_pupils_name_survives_anywhere_in_the_package(leak_letters, kind):
    letter = letter_of(leak_letters, kind)
    everything = skeleton(all_xml_text(letter).replace(LEAK_URL, ""))  # URLs are never altered
    for name in PUPILS:
        assert skeleton(name) not in everything, name
    assert "chloe-smith.png" not in all_xml_text(letter)


@pytest.mark.parametrize("kind", THIRD_PARTY)
def test_the_letter_says_next_to_the_quote_that_it_changed(leak_letters, kind):
    text = docx_text(letter_of(leak_letters, kind))
    assert NOTE in text


def test_fields_go_through_the_same_redaction(leak_letters):
    host = docx_text(letter_of(leak_letters, "host_takedown"))
    police = docx_text(letter_of(leak_letters, "police_referral"))
    assert "Account: Justice for [C.S.]" in host
    assert "Your report reference: REF-[C.S.]-22" in host
    assert "Justice for [C.S.] group" in host  # the site's name, in the subject and the text
    assert "by the account Justice for [C.S.]" in police
    assert "Mrs Carter ([C.S.]'s class teacher)" in police  # captured by
    assert "Platform: REF-[C.S.]-22" in police.translate(UNBREAKABLE)
    assert "posted on Justice for [C.S.] group" in police
    for person in ("[C.S.] (a pupil)", "[Z.B.] (a pupil)", "[L.O.] (a pupil)",
                   "[O.J.M.] (a pupil)"):
        assert person in police


def test_document_properties_and_subject_are_redacted(leak_letters):
    letter = docx.Document(letter_of(leak_letters, "host_takedown"))
    assert "[C.S.]" in letter.core_properties.title
    assert "Chloe" not in letter.core_properties.title


@pytest.mark.parametrize("kind", THIRD_PARTY)
def test_the_url_is_never_altered(leak_letters, kind):
    assert "https://example.org/justiceforchloesmith/posts/1" in docx_text(
        letter_of(leak_letters, kind))


def test_evidence_is_named_by_number_and_withheld_without_a_redacted_copy(leak_letters):
    letter = letter_of(leak_letters, "police_referral")
    text = docx_text(letter)
    assert "screenshot 1, held by the school, available on request" in text  # in the log
    assert "The screenshot of P1 names a pupil and is not sent with this letter" in text
    assert len(docx.Document(letter).inline_shapes) == 0
    assert "chloe-smith" not in all_xml_text(letter)


def test_the_warning_to_the_poster_quotes_every_form_verbatim(leak_letters):
    letters = sorted((leak_letters / "T-012").glob("*.docx"))
    to_poster = [p for p in letters if not any(k in p.name for k in THIRD_PARTY)]
    assert to_poster
    for path in to_poster:
        text = docx_text(path)
        assert all(f"{n}. {typed} is in Year 4." in text
                   for n, (typed, _) in enumerate(FORMS, 1)), path.name
        assert NOTE not in text


@pytest.mark.skipif(not ((shutil.which("soffice") or shutil.which("libreoffice"))
                         and shutil.which("pdftotext")),
                    reason="LibreOffice and pdftotext are needed: make system-deps")
def test_read_through_libreoffice_and_pdftotext(leak_letters, altered_letters, tmp_path):
    """Both the leaks and the quotes that must stay, as a reader of the PDF sees them (one
    LibreOffice run for the four letters)."""
    from pipeline.pdf import convert

    letters = [letter_of(leak_letters, kind) for kind in THIRD_PARTY]
    kept = []
    for kind in THIRD_PARTY:  # same case id as the leaks': copied under other names
        kept.append(tmp_path / f"kept-{kind}.docx")
        shutil.copy(letter_of(altered_letters, kind), kept[-1])
    pdfs = convert(letters + kept, tmp_path / "pdf")
    for letter, pdf in zip(kept, pdfs[2:]):
        text = " ".join(_pdf_text(pdf).split())  # table cells wrap: compare words in order
        assert P1_TEXT in text and P2_TEXT in text, letter.name
        assert NOTE not in text
    for letter, pdf in zip(letters, pdfs):
        text = _pdf_text(pdf)
        # The URL is printed unaltered (it may wrap at its slashes in a table cell).
        folded = skeleton(text).replace(skeleton(LEAK_URL), "")
        for name in PUPILS:
            assert skeleton(name) not in folded, (letter.name, name)
        assert "[C.S.]" in text and "[Z.B.]" in text and "[O.J.M.]" in text
        if "host_takedown" in letter.name:  # paragraphs, not table cells: lines read whole
            for n, (_, shown) in enumerate(FORMS, 1):
                assert f"{n}. {shown} is in Year 4." in text
            assert NOTE in text


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                          text=True, check=True, timeout=60).stdout


# --- quotes stay as posted: nothing but a pupil's name is rewritten -----------------------------

ALTERED_CASE = """\
case_id: T-012
opened: 2026-11-02
poster:
  name: Mrs Leanne Dutton
  address: [27 Hollins Way, Bexton, WA16 0HD]
  children:
    - {name: Will Dutton, class: Year 4}
posts:
  - id: P1
    platform: facebook
    url: https://www.facebook.com/groups/1/posts/2
    posted: 2026-10-30T18:45
    text: |
      I WILL HURT Mr John Smith. John Smith steals. Signed, Leanne Dutton.
    concerns: [defamatory, names_staff, threat_of_violence]
    about:
      - {role: staff, name: Mr John Smith}
      - {role: pupil, name: Chloe Smith}
  - id: P2
    platform: facebook
    url: https://www.facebook.com/groups/1/posts/3
    posted: 2026-10-30T19:00
    text: |
      Mark my words. Will the school act? That Haddad lot again.
    concerns: [harassment, racist]
    about:
      - {role: pupil, name: Mark Lewis}
      - {role: pupil, name: Will Barker}
      - {role: pupil, name: Amira Haddad}
history: []
""" + INCLUDE_BOTH

P1_TEXT = "I WILL HURT Mr John Smith. John Smith steals. Signed, Leanne Dutton."
P2_TEXT = "Mark my words. Will the school act? That Haddad lot again."


@pytest.fixture(scope="module")
def altered_letters(tmp_path_factory, school_path) -> Path:
    from click.testing import CliRunner

    from pipeline.cli import cli

    tmp = tmp_path_factory.mktemp("altered")
    out = tmp / "out"
    result = CliRunner().invoke(cli, ["draft", str(write(tmp, ALTERED_CASE)), "--out", str(out),
                                      "--date", "2026-12-01", "--school", str(school_path)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("kind", THIRD_PARTY)
def test_words_staff_and_the_posters_name_stay_as_posted(altered_letters, kind):
    text = docx_text(letter_of(altered_letters, kind))
    assert P1_TEXT in text and P2_TEXT in text
    # Initials only where a pupil is listed by name (in `about`, or the poster's child, whom the
    # police letter names by initials with the poster's relationship to the school).
    assert "[" not in text.replace("[C.S.]", "").replace("[M.L.]", "").replace(
        "[W.B.]", "").replace("[A.H.]", "").replace("[W.D.]", "")
    assert NOTE not in text


def test_the_notice_of_complaint_names_the_complainant_whose_surname_a_pupil_shares(
        tmp_path, draft):
    # An anonymous poster, and Mr Smith has authorised a notice: he is named in full, and the
    # statement naming him is quoted as posted (Chloe Smith is a pupil; John Smith is not).
    text = ALTERED_CASE.replace("  name: Mrs Leanne Dutton\n",
                                "  name: Mrs Leanne Dutton\n  identified: false\n")
    text = text.replace("{role: staff, name: Mr John Smith}",
                        "{role: staff, name: Mr John Smith, authority: 2026-11-20, "
                        "meaning: That Mr Smith steals., inaccurate: All of it.}")
    out = tmp_path / "out"
    assert draft(write(tmp_path, text), out).exit_code == 0
    letter = docx_text(letter_of(out, "host_takedown"))
    complainant = letter.split("Name of the complainant:", 1)[1].lstrip("\n")
    assert complainant.startswith("Mr John Smith. Mr Smith has authorised the school")
    statement = letter.split("Content as posted", 1)[1].split(":", 1)[1]
    assert statement.lstrip("\n").startswith(P1_TEXT)


def test_a_family_name_listed_in_known_as_is_replaced_by_its_own_initials(tmp_path, draft):
    text = ALTERED_CASE.replace("{role: pupil, name: Amira Haddad}",
                                "{role: pupil, name: Amira Haddad, known_as: [Haddad]}")
    out = tmp_path / "out"
    assert draft(write(tmp_path, text), out).exit_code == 0
    police = docx_text(letter_of(out, "police_referral"))
    assert "Mark my words. Will the school act? That [H.] lot again." in police
    assert NOTE in police
    assert P1_TEXT in police  # the other post is untouched


def test_each_listed_form_has_its_own_initials(tmp_path, draft):
    text = ALTERED_CASE.replace(
        "      Mark my words. Will the school act? That Haddad lot again.\n",
        "      Sam and Sammy again. Samuel Jones was there. Sam Jones too. Same old.\n").replace(
        "{role: pupil, name: Mark Lewis}", "{role: pupil, name: Samuel Jones, known_as: [Sam, "
        "Sammy]}")
    out = tmp_path / "out"
    assert draft(write(tmp_path, text), out).exit_code == 0
    police = docx_text(letter_of(out, "police_referral"))
    assert "[S.] and [S.] again. [S.J.] was there. [S.J.] too. Same old." in police


# --- what check, plan and draft say --------------------------------------------------------------


def test_check_warns_at_the_line_of_each_lone_name_and_exits_0(tmp_path, letters):
    result = letters("check", write(tmp_path, ALTERED_CASE), "--today", "2026-12-01")
    assert result.exit_code == 0, result.output
    case = str(tmp_path / "case.yaml")
    warnings = result.stderr.splitlines()
    assert f"{case}:14: warning: posts[1].text: 'WILL', the first name of the pupil Will " \
           "Dutton and the first name of the pupil Will Barker, stands alone and is quoted as " \
           "written to platforms and the police; if it means the pupil, add it to their " \
           "known_as (it then shows as [W.])" in warnings
    assert not any("'Smith'" in w or "'Dutton'" in w for w in warnings)  # in kept names
    found = [re.match(rf"{re.escape(case)}:(\d+): warning: posts\[(\d)\]\.text: '(\w+)'", w)
             for w in warnings]
    assert sorted((m[1], m[3]) for m in found if m) == [
        ("14", "WILL"), ("24", "Haddad"), ("24", "Mark"), ("24", "Will")]
    assert "ok (2 posts" in result.stdout


def test_a_lone_name_in_lower_case_is_one_warning_for_the_field(tmp_path, letters):
    text = ALTERED_CASE.replace("Mark my words. Will the school act?",
                                "mark my words, mark them. will the school act?")
    result = letters("check", write(tmp_path, text), "--today", "2026-12-01")
    assert result.exit_code == 0
    marks = [w for w in result.stderr.splitlines() if "'mark'" in w]
    assert len(marks) == 1
    assert marks[0].endswith("(2 places on this line)")


def test_a_listed_form_found_in_lower_case_warns_that_the_word_will_change(tmp_path, letters):
    text = ALTERED_CASE.replace("    - {name: Will Dutton, class: Year 4}",
                                "    - {name: Will Dutton, class: Year 4, known_as: [Will]}")
    text = text.replace("Signed, Leanne Dutton.", "Signed, Leanne Dutton. I will, I will.")
    result = letters("check", write(tmp_path, text), "--today", "2026-12-01")
    assert result.exit_code == 0
    assert (f"{tmp_path / 'case.yaml'}:14: warning: posts[1].text: 'will' (lower case) is "
            "replaced by [W.] in letters to platforms and the police, because known_as lists it "
            "for the pupil Will Dutton; if it is an ordinary word here, take it out of known_as, "
            "or the quote will be changed (2 places on this line)") in result.stderr.splitlines()


def test_plan_and_draft_show_the_warnings_on_stderr_and_go_ahead(tmp_path, letters, draft):
    case = write(tmp_path, ALTERED_CASE)
    plan = letters("plan", case, "--today", "2026-12-01")
    assert plan.exit_code == 0
    assert "warning: posts[1].text: 'WILL'" in plan.stderr
    assert "warning: posts" not in plan.stdout
    drafted = draft(case, tmp_path / "out")
    assert drafted.exit_code == 0
    assert "warning: posts[1].text: 'WILL'" in drafted.stderr
    assert (tmp_path / "out" / "T-012").is_dir()


NO_PUPIL = """\
case_id: T-012
opened: 2026-11-02
poster:
  name: Mrs Jane Doe
  address: [12 Example Road, Bexton, WA16 0XX]
posts:
  - platform: facebook
    url: https://www.facebook.com/groups/1/posts/2
    posted: 2026-10-30
    text: Chloe Smith in Year 4 is a bully.
    concerns: [names_pupil, harassment]
"""


def test_names_pupil_with_no_pupil_recorded_is_an_error(tmp_path, letters):
    result = letters("check", write(tmp_path, NO_PUPIL), "--today", "2026-12-01")
    assert result.exit_code == 2
    assert (f"{tmp_path / 'case.yaml'}:11: posts[1].concerns: the post is marked names_pupil, "
            "but no pupil is recorded for it") in result.stderr


def test_a_pupil_recorded_as_the_posters_child_and_named_in_full_is_enough(tmp_path, letters):
    text = NO_PUPIL.replace("  address: [12 Example Road, Bexton, WA16 0XX]\n",
                            "  address: [12 Example Road, Bexton, WA16 0XX]\n"
                            "  children: [{name: Chloe Smith}]\n")
    assert letters("check", write(tmp_path, text), "--today", "2026-12-01").exit_code == 0


def test_a_url_naming_a_pupil_is_a_warning_and_stays(tmp_path, letters):
    text = NO_PUPIL.replace("https://www.facebook.com/groups/1/posts/2",
                            "https://www.facebook.com/groups/justiceforchloesmith/posts/2").replace(
        "    concerns: [names_pupil, harassment]\n",
        "    concerns: [names_pupil, harassment]\n    about: [{role: pupil, name: Chloe Smith}]\n")
    result = letters("check", write(tmp_path, text), "--today", "2026-12-01")
    assert result.exit_code == 0
    assert (f"{tmp_path / 'case.yaml'}:8: warning: posts[1].url: contains 'chloesmith', a name "
            "of the pupil Chloe Smith. A URL is never altered") in result.stderr


@pytest.mark.parametrize(("old", "new", "line", "field"), [
    ("case_id: T-012", "case_id: ChloeSmith-2026", 1, "case_id"),
    ("  - platform: facebook", "  - id: Chloe-Smith\n    platform: facebook", 7, "posts[1].id"),
])
def test_an_id_holding_a_pupils_full_name_is_an_error(tmp_path, letters, old, new, line, field):
    text = NO_PUPIL.replace(old, new).replace(
        "    concerns: [names_pupil, harassment]\n",
        "    concerns: [names_pupil, harassment]\n    about: [{role: pupil, name: Chloe Smith}]\n")
    result = letters("check", write(tmp_path, text), "--today", "2026-12-01")
    assert result.exit_code == 2
    assert f"case.yaml:{line}: {field}: holds " in result.stderr


def test_known_as_on_someone_not_a_pupil_is_an_error(tmp_path, letters):
    text = NO_PUPIL.replace(
        "    concerns: [names_pupil, harassment]\n",
        "    concerns: [names_pupil, harassment]\n    about:\n"
        "      - {role: pupil, name: Chloe Smith}\n"
        "      - {role: staff, name: Mr John Smith, known_as: [John]}\n")
    result = letters("check", write(tmp_path, text), "--today", "2026-12-01")
    assert result.exit_code == 2
    assert "posts[1].about[2].known_as: is only for pupils" in result.stderr


def test_validate_case_keeps_warnings_apart_from_problems(tmp_path):
    loaded = validate_case(write(tmp_path, ALTERED_CASE), today=date(2026, 12, 1), school=SCHOOL)
    assert loaded.warnings and all(w.warning for w in loaded.warnings)
    assert str(loaded.warnings[0]).startswith(f"{tmp_path / 'case.yaml'}:14: warning: ")


# --- screenshots -----------------------------------------------------------------------------

SCREENSHOT_CASE = """\
case_id: T-012
opened: 2026-11-02
poster:
  name: Mrs Jane Doe
  address: [12 Example Road, Bexton, WA16 0XX]
posts:
  - platform: facebook
    url: https://www.facebook.com/groups/1/posts/2
    posted: 2026-10-30
    evidence: evidence/one.png
    text: Chloe Smith in Year 4 is a bully and I will sort her out.
    concerns: [names_pupil, threat_of_violence]
    about: [{role: pupil, name: Chloe Smith}]
  - platform: facebook
    url: https://www.facebook.com/groups/1/posts/3
    posted: 2026-10-30
    evidence: evidence/two.png
    text: The teachers are useless and someone should hurt them.
    concerns: [threat_of_violence]
history: []
""" + INCLUDE_BOTH


@pytest.fixture
def screenshot_case(tmp_path) -> Path:
    (tmp_path / "evidence").mkdir()
    png = (REPO / "data" / "cases" / "evidence" / "BPS-2026-009-P1.png").read_bytes()
    for name in ("one.png", "two.png"):
        (tmp_path / "evidence" / name).write_bytes(png)
    return write(tmp_path, SCREENSHOT_CASE)


def test_a_screenshot_naming_a_pupil_is_withheld_and_the_plan_says_why(screenshot_case, letters,
                                                                      draft, tmp_path):
    plan = letters("plan", screenshot_case, "--today", "2026-12-01", "--json")
    notes = json.loads(plan.stdout)["notes"]
    assert any(n.startswith("The screenshot of P1 (evidence/one.png) is not attached to the ")
               and "evidence_redacted: true" in n for n in notes)
    assert not any("P2" in n for n in notes)
    out = tmp_path / "out"
    assert draft(screenshot_case, out).exit_code == 0
    police = letter_of(out, "police_referral")
    text = docx_text(police)
    assert "screenshot 1, held by the school, available on request" in text  # in the log
    assert "The screenshot of P1 names a pupil and is not sent with this letter" in text
    assert any(p.text.startswith("P2: screenshot 2, SHA-256 ")
               for p in docx.Document(police).paragraphs)  # the caption above the image
    assert len(docx.Document(police).inline_shapes) == 1  # P2's: it names no pupil
    assert "one.png" not in all_xml_text(police) and "two.png" not in all_xml_text(police)


def test_a_redacted_screenshot_is_sent_and_the_log_says_so(screenshot_case, letters, draft,
                                                          tmp_path):
    screenshot_case.write_text(SCREENSHOT_CASE.replace(
        "    evidence: evidence/one.png\n",
        "    evidence: evidence/one.png\n    evidence_redacted: true\n"), encoding="utf-8")
    plan = letters("plan", screenshot_case, "--today", "2026-12-01", "--json")
    assert not any("screenshot" in n for n in json.loads(plan.stdout).get("notes", []))
    out = tmp_path / "out"
    assert draft(screenshot_case, out).exit_code == 0
    police = letter_of(out, "police_referral")
    assert len(docx.Document(police).inline_shapes) == 2
    cells = [c.text for t in docx.Document(police).tables for r in t.rows for c in r.cells]
    assert any(c.startswith("screenshot 1, a redacted copy with pupils' names obscured\n")
               for c in cells)
    assert any(c.startswith("screenshot 2\n") for c in cells)


def test_withheld_screenshots_names_only_posts_in_third_party_letters(screenshot_case):
    case = validate_case(screenshot_case, today=date(2026, 12, 1)).case
    poster_only = [letter for letter in decide(case, SCHOOL, today=date(2026, 12, 1)).letters
                   if not letter.spec.third_party]
    assert withheld_screenshots(case, poster_only, SCHOOL) == []


# --- the last check ------------------------------------------------------------------------------


def _package(paragraphs: list[list[str]], title: str = "", descr: str = "") -> bytes:
    document = docx.Document()
    for runs in paragraphs:
        paragraph = document.add_paragraph()
        for run in runs:
            paragraph.add_run(run)
    document.core_properties.title = title
    if descr:
        png = (REPO / "data" / "cases" / "evidence" / "BPS-2026-009-P1.png").read_bytes()
        document.add_picture(io.BytesIO(png))
        document.inline_shapes[0]._inline.docPr.set("descr", descr)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


NAMES = case_names(Case.model_validate({
    "case_id": "T", "opened": date(2026, 11, 2),
    "poster": {"name": "Mrs Jane Doe", "children": [{"name": "Chloe Smith"}]},
    "posts": [{"platform": "facebook", "url": "https://example.org/justiceforchloesmith",
               "posted": date(2026, 10, 30), "text": "x", "concerns": ["complaint"]}]}))


@pytest.mark.parametrize(("paragraphs", "title", "descr", "part", "found"), [
    # a name at the end of a run, then the next run: the old check joined them without a space
    ([["Account: chloe smith", "date posted: 30 October"]], "", "", "word/document.xml",
     "chloe smith"),
    ([["Account: Chloe Smith", "Date posted: 30 October"]], "", "", "word/document.xml",
     "Chloe Smith"),
    ([["Account: Chlo", "e Smith"]], "", "", "word/document.xml", "Chloe Smith"),  # split runs
    ([["Nothing here"]], "About Chloe_Smith", "", "docProps/core.xml", "Chloe_Smith"),
    ([["Nothing here"]], "", "Screenshot of #ChloeSmith", "word/document.xml", "ChloeSmith"),
])
def test_the_last_check_finds_a_name_in_any_text_of_the_package(paragraphs, title, descr, part,
                                                                 found):
    leaks = full_names_in_letter(_package(paragraphs, title, descr), NAMES)
    assert (part, found) in {(leak.part, leak.found) for leak in leaks}
    assert "the pupil Chloe Smith" in str(leaks[0])


def test_the_last_check_passes_initials_ordinary_words_and_the_url():
    data = _package([["[C.S.] is in Year 4; Mrs Smith spoke to Chloe's class."],
                     ["https://example.org/justiceforchloesmith"]])
    assert full_names_in_letter(data, NAMES, urls=["https://example.org/justiceforchloesmith"]
                                ) == []


def test_a_template_that_prints_a_pupils_name_stops_that_letter(tmp_path, letters, repo):
    folder = tmp_path / "templates"
    shutil.copytree(repo / "letter_templates", folder)
    import zipfile

    target = folder / "police_referral.docx"
    with zipfile.ZipFile(target) as zf:
        entries = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(target, "w") as zf:
        for info, data in entries:
            if info.filename == "word/document.xml":
                data = data.replace(b"<w:t>{{ letter.subject }}</w:t>",
                                    b"<w:t>{{ letter.subject }}, about Chloe</w:t></w:r><w:r>"
                                    b"<w:t xml:space=\"preserve\"> Smith</w:t>")
            zf.writestr(info, data)
    case = write(tmp_path, SCREENSHOT_CASE.replace("    evidence: evidence/one.png\n", "")
                 .replace("    evidence: evidence/two.png\n", ""))
    out = tmp_path / "out"
    result = letters("draft", case, "--out", out, "--date", "2026-12-01", "--templates", folder)
    assert result.exit_code == 1
    assert ("police_referral.docx: the referral to the police was not written: it would show "
            "'Chloe Smith' (the pupil Chloe Smith, written in order) in word/document.xml, line "
            ) in result.stderr
    assert not list(out.rglob("*police_referral*"))


# --- who is a pupil, and whose names are kept --------------------------------------------------


def test_pupils_merge_their_listed_forms_and_adults_are_kept(tmp_path):
    text = ALTERED_CASE.replace("    - {name: Will Dutton, class: Year 4}",
                                "    - {name: Will Dutton, class: Year 4, known_as: [Billy]}")
    text = text.replace("      - {role: pupil, name: Chloe Smith}",
                        "      - {role: pupil, name: Will Dutton, known_as: [Wills]}\n"
                        "      - {role: pupil, name: Chloe Smith}")
    case = validate_case(write(tmp_path, text), today=date(2026, 12, 1)).case
    pupils = case_pupils(case)
    assert pupils[0] == Pupil("Will Dutton", ("Billy", "Wills"))
    kept = kept_names(case, SCHOOL)
    assert {"Mrs Leanne Dutton", "Mr John Smith", "Mrs Helen Carter", "Ms Priya Shah",
            "Mr David Okafor"} <= set(kept)


def test_letters_to_the_poster_and_the_advisers_quote_verbatim():
    case = Case.model_validate({
        "case_id": "T", "opened": date(2026, 11, 2),
        "poster": {"name": "Mrs Jane Doe", "children": [{"name": "Chloe Smith",
                                                         "known_as": ["Chloe"]}]},
        "posts": [{"platform": "facebook", "url": "https://example.org/1", "evidence": "a.png",
                   "posted": date(2026, 10, 30), "text": "Chloe Smith. Chloe.",
                   "concerns": ["names_pupil"]}]})
    verbatim = Redactor(case, SCHOOL, third_party=False)
    assert verbatim("Chloe Smith. Chloe.") == "Chloe Smith. Chloe."
    assert verbatim.screenshot(case.posts[0]) == "a.png"
    redacting = Redactor(case, SCHOOL, third_party=True)
    assert redacting.quote("Chloe Smith. Chloe.") == ("[C.S.]. [C.].", True)
    assert redacting.screenshot(case.posts[0]).startswith("screenshot 1, held by the school")


# --- speed: a case with thousands of posts -------------------------------------------------------


def test_a_platform_letter_for_500_long_posts_is_built_in_seconds():
    sentence = ("Chloe Smith and her mum Mrs Smith were at the gate again today, will the school "
                "ever act? #justiceforchloesmith Mark my words. ")
    posts = [{"id": f"P{i}", "platform": "facebook", "url": f"https://example.org/{i}",
              "posted": date(2026, 10, 30), "text": f"Post {i}. " + sentence * 20,
              "handle": f"parent{i}",
              "concerns": ["names_pupil", "harassment"],
              "about": [{"role": "pupil", "name": "Chloe Smith", "known_as": ["Chloe"]},
                        {"role": "pupil", "name": "Mark Lewis"}]} for i in range(500)]
    case = Case.model_validate({"case_id": "T", "opened": date(2026, 11, 2),
                                "poster": {"name": "Mrs Jane Doe"}, "posts": posts})
    letter = PlannedLetter(kind="host_takedown", to="Meta", posts=tuple(p["id"] for p in posts),
                           reasons=("r",), clauses=RULES_BY_KIND["host_takedown"].clauses,
                           platform="facebook")
    start = time.perf_counter()
    context = build_context(letter, case, SCHOOL, LetterMeta("T/01", date(2026, 11, 3)))
    elapsed = time.perf_counter() - start
    assert context["posts"][0]["text"].startswith("Post 0. [C.S.] and her mum Mrs Smith were at")
    assert elapsed < 10, f"{elapsed:.1f} s"  # the old redactor took 21 s


# --- a property: generated names and spellings ---------------------------------------------------

FIRST = ("Chloe", "Zoë", "Oliver-James", "Seán", "Amira", "Li", "Mo", "Will", "Grace", "Ébo")
LAST = ("Smith", "Bélanger", "O'Brien", "McKenzie", "Haddad", "Ng", "Nowak", "Smith-Jones")
FILLER = ("the", "school", "is", "a", "joke", "Mrs", "Head", "said", "today", "and", "sort",
          "it", "out", "I", "WILL", "will", "mark", "my", "words", "lot", "again", "&", "<b>",
          "{{", "x}}", "🙃", "1st", "—", "#fail", "@office")
BOLD = {c: chr(0x1D400 + i) for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
BOLD.update({c: chr(0x1D41A + i) for i, c in enumerate("abcdefghijklmnopqrstuvwxyz")})


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _bold(text: str) -> str:
    return "".join(BOLD.get(c, c) for c in unicodedata.normalize("NFD", text))


STYLES = {
    "as recorded": lambda t: t, "lower": str.lower, "upper": str.upper,
    "decomposed": lambda t: unicodedata.normalize("NFD", t), "fullwidth": _fullwidth,
    "bold": _bold, "soft hyphens": lambda t: "\u00ad".join(t),
    "zero-width": lambda t: t[:1] + "\u200b" + t[1:],
    "curly apostrophe": lambda t: t.replace("'", "\u2019"),
}


@st.composite
def spelled_names(draw):
    first, last = draw(st.sampled_from(FIRST)), draw(st.sampled_from(LAST))
    style = draw(st.sampled_from(sorted(STYLES)))
    shape = draw(st.sampled_from(("{f} {l}", "{f}_{l}", "{f}.{l}", "{f}{l}", "#{f}{l}",
                                  "@{f}_{l}", "{l}, {f}", "{f}\n{l}", "{f}\u00a0{l}")))
    if shape == "{l}, {f}" and style == "lower":
        style = "as recorded"  # surname first needs the given name's capital
    typed = STYLES[style](shape.format(f=first, l=last))
    return first, last, typed


@settings(deadline=None)
@given(spelled_names(), st.lists(st.sampled_from(FILLER), max_size=6),
       st.lists(st.sampled_from(FILLER), max_size=6), st.booleans())
def test_no_full_name_survives_and_every_other_word_does(name, before, after, adult):
    first, last, typed = name
    pupil = f"{first} {last}"
    # An adult sharing the pupil's surname and first name is quoted too, and must stay.
    adult_name = f"Mr {first.split('-')[0]} Okafor" if adult else f"Mrs Jane {last}"
    head = " ".join(before + [adult_name, "said"])
    tail = " ".join(after)
    text = f"{head} {typed} {tail}".strip()
    prefix = typed[:next(i for i, ch in enumerate(typed) if ch.isalnum())]  # '#', '@' stay
    case = Case.model_validate({
        "case_id": "PROP-012", "opened": date(2026, 11, 2),
        "poster": {"name": "Mrs Jane Doe", "address": ["1 Road"]},
        "posts": [{"id": "P1", "platform": "facebook", "url": "https://example.org/p/1",
                   "posted": date(2026, 10, 30), "text": text,
                   "concerns": ["names_pupil", "threat_of_violence"],
                   "about": [{"role": "pupil", "name": pupil},
                             {"role": "staff", "name": adult_name}]}]})
    names = case_names(case, SCHOOL)
    expected = f"{head} {prefix}[{_initials(pupil)}] {tail}".strip()
    for kind in THIRD_PARTY:
        data = _render(kind, case)
        text_read = "\n".join(blocks(docx.Document(io.BytesIO(data))))
        assert expected in text_read, (kind, typed)
        assert full_names_in_letter(data, names, urls=["https://example.org/p/1"]) == []
        assert skeleton(pupil) not in skeleton(text_read)


def _initials(name: str) -> str:
    parts = re.split(r"[\s\-]+", name)
    return "".join(unicodedata.normalize("NFC", p)[0].upper() + "." for p in parts)


_TEMPLATES: dict[str, CompiledTemplate] = {}


def _render(kind: str, case: Case) -> bytes:
    if kind not in _TEMPLATES:
        _TEMPLATES[kind] = CompiledTemplate.load(REPO / "letter_templates" / f"{kind}.docx")
    rule = RULES_BY_KIND[kind]
    letter = PlannedLetter(kind=kind, to="x", posts=("P1",), reasons=("r",),
                           clauses=rule.clauses,
                           platform="facebook" if rule.kind.per_platform else None)
    meta = LetterMeta(reference="PROP-012/01", letter_date=date(2026, 11, 3))
    context = build_context(letter, case, SCHOOL, meta)
    properties = DocumentProperties(title=context["letter"]["subject"], subject="s",
                                    author=SCHOOL.name, keywords="k", letter_date=meta.letter_date)
    return _TEMPLATES[kind].render(context, properties, kind=kind)
