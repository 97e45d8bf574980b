"""What a reader sees in the drafted letters: each .docx is read back with python-docx.

Letters are drafted through the command line (`letters draft CASE --out OUT --date 2026-12-01`),
so the whole path is exercised: case file, plan, context, template, archive. `docx_text` gathers
everything a reader of a letter sees (header, body paragraphs and tables in order, footer);
python-docx gives a line break (`<w:br/>`) in a paragraph as "\\n".

Sections: a hostile post, the parts every letter has, each kind for the sample cases, privacy in
letters to third parties, evidence images, package validity, and what re-drafting does to files
already written.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections import Counter
from pathlib import Path

import docx
import pytest
import yaml
from conftest import HOSTILE_POST
from docx.document import Document as DocxDocument
from lxml import etree
from reading import blocks as _blocks

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
QUOTED_POST = HOSTILE_POST.removesuffix("\n")  # the block scalar's last line break is YAML's
TEMPLATE_MARKS = ("{{", "}}", "{%", "%}", "{#", "#}")
KINDS = ("concern", "warning", "host_takedown", "police_referral", "legal_referral", "premises_notice",
         "access_restriction")
FILE_NAME = re.compile(r"(?P<case>[A-Za-z0-9_-]+?)-(?P<number>\d{2})-(?P<kind>"
                       + "|".join(KINDS) + r")(?:-(?P<platform>[a-z_]+))?\.docx")
SAMPLE_CASES = sorted((Path(__file__).resolve().parent.parent / "data" / "cases").glob("*.yaml"))
EVIDENCE_LOG_COLUMNS = ["Post", "Posted", "Platform and account", "Full web address",
                        "Content as posted", "Captured by and when", "Screenshot and\nSHA-256",
                        "Status", "Report and crime refs"]
# References are printed so that they never break across lines: no-break spaces and hyphens,
# and a word joiner either side of '/'. A reader (and these tests) reads them back as typed.
UNBREAKABLE = str.maketrans({"\u00a0": " ", "\u2011": "-", "\u2060": None})


def plain(text: str) -> str:
    return text.translate(UNBREAKABLE)


# --- reading a letter back ---------------------------------------------------------------------




def _headers_and_footers(doc: DocxDocument, which: str) -> list[str]:
    """The text of every header (or footer) the letter defines, in any section."""
    texts: list[str] = []
    for section in doc.sections:
        for part in (f"{which}", f"first_page_{which}", f"even_page_{which}"):
            story = getattr(section, part)
            if not story.is_linked_to_previous:  # linked: defined elsewhere, or not at all
                texts += _blocks(story)
    return texts


def header_text(path: Path) -> str:
    return "\n".join(_headers_and_footers(docx.Document(path), "header"))


def footer_text(path: Path) -> str:
    return "\n".join(_headers_and_footers(docx.Document(path), "footer"))


def body_paragraphs(path: Path) -> list[str]:
    """The text of each top-level paragraph of the body, in order (tables left out)."""
    return [p.text for p in docx.Document(path).paragraphs]


def docx_text(path: Path) -> str:
    """Everything a reader sees: headers, body paragraphs and table cells in order, footers."""
    doc = docx.Document(path)
    return "\n".join(_headers_and_footers(doc, "header") + _blocks(doc)
                     + _headers_and_footers(doc, "footer"))


def tables(path: Path) -> list[list[list[str]]]:
    """Each table of the body as rows of cell texts."""
    return [[[cell.text for cell in row.cells] for row in table.rows]
            for table in docx.Document(path).tables]


def xml_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()
                if name.endswith((".xml", ".rels"))}


def xml_strings(path: Path) -> str:
    """Every text node and attribute value of every XML part, hidden ones included, a line each.

    For searching names: document properties and image descriptions are read too.
    """
    pieces = []
    for data in xml_parts(path).values():
        for element in etree.fromstring(data).iter():
            pieces += [element.text or "", element.tail or "", *element.attrib.values()]
    return "\n".join(pieces)


def part_texts(path: Path) -> list[str]:
    """The text of each XML part run together, as a template engine would have seen it."""
    return ["".join(etree.fromstring(data).itertext()) for data in xml_parts(path).values()]


def follows(paragraphs: list[str], expected: list[str]) -> bool:
    """Whether `expected` occurs as consecutive paragraphs."""
    n = len(expected)
    return any(paragraphs[i:i + n] == expected for i in range(len(paragraphs) - n + 1))


def has_word(word: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE) is not None


def one_letter(out: Path, case_id: str, kind: str, platform: str = "") -> Path:
    """The one letter of `kind` (and platform) drafted for `case_id` under `out`."""
    suffix = f"-{platform}" if platform else ""
    found = sorted((out / case_id).glob(f"{case_id}-[0-9][0-9]-{kind}{suffix}.docx"))
    assert len(found) == 1, f"expected one {kind}{suffix} letter for {case_id}, found {found}"
    return found[0]


def drafted(result, out: Path) -> list[Path]:
    """The letters a successful `letters draft` run wrote, checked for exit status 0."""
    assert result.exit_code == 0, result.output
    return sorted(out.rglob("*.docx"))


def sample_post_text(repo: Path, case_id: str, post_id: str, *, outgoing: bool = False) -> str:
    """A sample case's post text as the poster wrote it (the block scalar's last newline off);
    `outgoing`: as a letter leaving the school quotes it, each private detail the case lists
    replaced by a note of what was removed."""
    case = yaml.safe_load((repo / "data" / "cases" / f"{case_id}.yaml").read_text("utf-8"))
    post = next(p for p in case["posts"] if p["id"] == post_id)
    text = post["text"].removesuffix("\n")
    for detail in post.get("private_details", []) if outgoing else []:
        text = text.replace(str(detail["text"]),
                            f"[{detail['kind']} of {detail['person']} removed from this copy]")
    return text


# --- a hostile post is printed exactly as typed --------------------------------------------------


@pytest.fixture
def hostile_letter(tmp_path, write_case, hostile_case_text, draft) -> Path:
    """The concern letter for the base case whose post is HOSTILE_POST."""
    out = tmp_path / "out"
    letters = drafted(draft(write_case(tmp_path, hostile_case_text), out), out)
    assert [p.name for p in letters] == ["T-001-01-concern.docx"]
    return letters[0]


def test_hostile_post_is_one_quote_paragraph_exactly_as_typed(hostile_letter):
    assert QUOTED_POST in body_paragraphs(hostile_letter)
    assert QUOTED_POST in docx_text(hostile_letter)


def test_line_breaks_in_the_post_are_real_line_breaks(hostile_letter):
    doc = docx.Document(hostile_letter)
    quote = next(p for p in doc.paragraphs if p.text == QUOTED_POST)
    assert quote.style.name == "Quote"
    breaks = quote._p.findall(f".//{{{W_NS}}}br")
    assert len(breaks) == QUOTED_POST.count("\n") == 5
    assert "\n" not in "".join(t.text for t in quote._p.iter(f"{{{W_NS}}}t"))


def test_template_syntax_in_a_post_is_printed_not_evaluated(hostile_letter):
    text = docx_text(hostile_letter)
    assert "Hello {{ school.name }}, {% if x %}yes{% endif %} {# note #}" in text
    assert "Hello Bexton Primary School" not in text
    assert "{_{ docxtpl escape }_}" in text
    assert "&amp; more" in text  # printed as typed, not unescaped to "& more"


def test_no_template_tags_remain_outside_the_post(hostile_letter):
    outside = docx_text(hostile_letter).replace(QUOTED_POST, "")
    assert [mark for mark in TEMPLATE_MARKS if mark in outside] == []
    # Hidden parts too (document properties, relationships, styles): <w:br/> holds no text, so
    # the post's lines run together there.
    for text in part_texts(hostile_letter):
        hidden = text.replace(QUOTED_POST.replace("\n", ""), "")
        assert [mark for mark in TEMPLATE_MARKS if mark in hidden] == []


def test_leading_spaces_of_a_post_line_are_preserved(hostile_letter):
    root = etree.fromstring(xml_parts(hostile_letter)["word/document.xml"])
    runs = [t for t in root.iter(f"{{{W_NS}}}t") if t.text == "    indented line"]
    assert len(runs) == 1
    assert runs[0].get(XML_SPACE) == "preserve"


@pytest.mark.parametrize("kind", ["warning", "host_takedown", "police_referral"])
def test_hostile_post_survives_in_each_letter_it_is_quoted_in(tmp_path, write_case,
                                                             hostile_case_text, draft, kind):
    serious = hostile_case_text.replace(
        "    concerns: [negative_comment]\n",
        "    concerns: [defamatory, threat_of_violence]\n"
        "    about:\n      - {role: staff, name: Mr A Teacher}\n")
    out = tmp_path / "out"
    drafted(draft(write_case(tmp_path, serious), out), out)
    letter = one_letter(out, "T-001", kind, "facebook" if kind == "host_takedown" else "")
    text = docx_text(letter)
    assert QUOTED_POST in text
    outside = text.replace(QUOTED_POST, "")
    assert [mark for mark in TEMPLATE_MARKS if mark in outside] == []


def test_hostile_post_fills_its_evidence_log_cell_exactly(tmp_path, write_case,
                                                         hostile_case_text, draft):
    serious = hostile_case_text.replace("concerns: [negative_comment]",
                                        "concerns: [threat_of_violence]")
    out = tmp_path / "out"
    drafted(draft(write_case(tmp_path, serious), out), out)
    (log,) = tables(one_letter(out, "T-001", "police_referral"))
    content = dict(zip(log[0], log[1]))["Content as posted"]
    assert content == QUOTED_POST


# --- the parts of every letter -------------------------------------------------------------------


@pytest.fixture
def concern_letter(tmp_path, write_case, base_case, draft) -> Path:
    """The concern letter for the base case, with the salutation "Mrs Doe"."""
    text = base_case.replace("  name: Mrs Jane Doe\n",
                             "  name: Mrs Jane Doe\n  salutation: Mrs Doe\n")
    out = tmp_path / "out"
    (letter,) = drafted(draft(write_case(tmp_path, text), out), out)
    return letter


def test_recipient_block_is_the_posters_name_and_address(concern_letter):
    assert follows(body_paragraphs(concern_letter),
                   ["Private and confidential \u2013 addressee only", "Mrs Jane Doe",
                    "12 Example Road", "Bexton", "WA16 0XX"])


def test_salutation_and_closing(concern_letter):
    paragraphs = body_paragraphs(concern_letter)
    assert "Dear Mrs Doe" in paragraphs
    assert "Yours sincerely" in paragraphs
    assert "Yours faithfully" not in paragraphs


def test_salutation_defaults_to_the_posters_name(tmp_path, write_case, base_case, draft):
    out = tmp_path / "out"
    (letter,) = drafted(draft(write_case(tmp_path, base_case), out), out)
    assert "Dear Mrs Jane Doe" in body_paragraphs(letter)


def test_date_reference_and_subject(concern_letter):
    paragraphs = body_paragraphs(concern_letter)
    assert paragraphs[:2] == ["Our reference: T-001/01", "1 December 2026"]
    assert "Your post on Facebook on 30 October 2026" in paragraphs  # the subject line
    footer = footer_text(concern_letter)
    assert "Private and confidential" in footer and "T-001/01" in footer


def test_every_page_carries_the_marking_the_reference_and_page_n_of_m(concern_letter):
    with zipfile.ZipFile(concern_letter) as zf:
        footers = [zf.read(n).decode() for n in zf.namelist() if n.startswith("word/footer")]
    assert footers and all(" PAGE " in f and " NUMPAGES " in f for f in footers)


def test_signature_is_the_signatory_from_the_school_profile(concern_letter, school):
    assert follows(body_paragraphs(concern_letter),
                   ["Yours sincerely", school.signatory.name, school.signatory.role,
                    school.name])
    assert school.signatory.name == "Mrs Helen Carter"  # a real name: the match above means something


def test_letterhead_is_in_the_header(concern_letter, school):
    assert header_text(concern_letter).splitlines() == [
        school.name,
        f"\u2018{school.motto}\u2019",
        ", ".join(school.address),
        f"Telephone {school.telephone} \u00b7 Email {school.email} \u00b7 {school.website}",
    ]
    assert school.motto not in "\n".join(body_paragraphs(concern_letter))


# --- every kind, for the sample cases ------------------------------------------------------------

EXPECTED_SAMPLE_LETTERS = {
    "BPS-2026-004": ["BPS-2026-004-01-concern.docx"],
    "BPS-2026-007": ["BPS-2026-007-01-warning.docx",
                     "BPS-2026-007-02-access_restriction.docx"],
    "BPS-2026-009": ["BPS-2026-009-01-warning.docx",
                     "BPS-2026-009-02-host_takedown-facebook.docx",
                     "BPS-2026-009-03-police_referral.docx"],
    "BPS-2026-011": ["BPS-2026-011-01-warning.docx",  # a threat: the warning goes at once
                     "BPS-2026-011-02-host_takedown-x.docx",
                     "BPS-2026-011-03-police_referral.docx",
                     "BPS-2026-011-04-premises_notice.docx"],  # added by override
    "BPS-2026-012": ["BPS-2026-012-01-police_referral.docx"],
    # Instagram is not asked: P2 engages none of its rules and is not recorded as unlawful.
    "BPS-2026-014": ["BPS-2026-014-01-warning.docx",
                     "BPS-2026-014-02-host_takedown-facebook.docx",
                     "BPS-2026-014-03-legal_referral.docx"],
    "BPS-2026-016": ["BPS-2026-016-01-warning.docx",  # a home address: urgent
                     "BPS-2026-016-02-host_takedown-whatsapp.docx",
                     "BPS-2026-016-03-police_referral.docx"],
    # Criticism naming a cook: the school excludes the warning and sends a letter of concern.
    "BPS-2026-018": ["BPS-2026-018-01-concern.docx"],
    "BPS-2026-020": [],  # the poster agreed to remove the posts: nothing is due yet
    # Warning ignored: legal advice. Criticism of the Head gives no ground to ask Instagram.
    "BPS-2026-021": ["BPS-2026-021-01-legal_referral.docx"],
    # Agreement overdue: a warning. Criticism of a governor gives no ground to ask Facebook.
    "BPS-2026-022": ["BPS-2026-022-01-warning.docx"],
    # History already records reference 02 (a referral): new letters take 03 and 04.
    "BPS-2026-024": ["BPS-2026-024-03-host_takedown-facebook.docx",
                     "BPS-2026-024-04-police_referral.docx"],  # a further referral
    "BPS-2026-025": ["BPS-2026-025-01-warning.docx"],
}


def test_sample_cases_draft_cleanly(sample_run):
    result = sample_run.result
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.splitlines()[-1] == (
        "13 cases: 23 letters written, 0 unchanged, 0 invalid, 0 failed.")


def test_sample_cases_give_the_expected_letter_files(sample_run):
    found = {case.stem: sorted(p.name for p in (sample_run.out / case.stem).glob("*.docx"))
             for case in SAMPLE_CASES}
    assert found == EXPECTED_SAMPLE_LETTERS


def test_every_kind_is_drafted_for_some_sample(sample_run):
    kinds = {FILE_NAME.fullmatch(p.name)["kind"] for p in sample_run.out.rglob("*.docx")}
    assert kinds == set(KINDS)


def test_letter_file_names_follow_the_contract(sample_run):
    for path in sample_run.out.rglob("*.docx"):
        match = FILE_NAME.fullmatch(path.name)
        assert match, f"{path.name} is not <case_id>-NN-<kind>[-<platform>].docx"
        assert match["case"] == path.parent.name
        assert (match["platform"] is not None) == (match["kind"] == "host_takedown"), path.name


@pytest.mark.parametrize("case_id, kind", [
    ("BPS-2026-004", "concern"), ("BPS-2026-007", "warning"),
    ("BPS-2026-007", "access_restriction"), ("BPS-2026-014", "warning"),
    ("BPS-2026-014", "legal_referral")])
def test_letters_to_the_poster_and_advisers_quote_each_post_as_written(sample_run, repo,
                                                                      case_id, kind):
    letter = one_letter(sample_run.out, case_id, kind)
    manifest = json.loads((letter.parent / "manifest.json").read_text("utf-8"))
    (entry,) = [e for e in manifest["letters"] if e.get("files", {}).get("docx") == letter.name]
    paragraphs = body_paragraphs(letter)
    for post_id in entry["posts"]:
        quoted = sample_post_text(repo, case_id, post_id, outgoing=kind != "legal_referral")
        assert quoted in paragraphs, post_id


@pytest.mark.parametrize("case_id", ["BPS-2026-007", "BPS-2026-016"])
def test_a_staff_members_private_details_never_leave_the_school(sample_run, repo, case_id):
    case = yaml.safe_load((repo / "data" / "cases" / f"{case_id}.yaml").read_text("utf-8"))
    details = [str(d["text"]) for p in case["posts"] for d in p.get("private_details", [])]
    letters = sorted((sample_run.out / case_id).glob("*.docx"))
    assert details and letters
    for letter in letters:
        text = docx_text(letter)
        assert [d for d in details if d in text] == [], letter.name


def test_concern_letter_gives_the_remove_by_date_and_quotes_the_policy(sample_run):
    text = docx_text(one_letter(sample_run.out, "BPS-2026-004", "concern"))
    assert "8 December 2026" in text  # seven days after the letter's date
    # The policy's own commitment, quoted verbatim (its "parents /carers" spacing included).
    assert ("Bexton Primary School is committed to ensuring that all of its staff, parents, "
            "governors, parents /carers and pupils are treated with dignity and respect.") in text


def test_warning_letter_gives_the_history_and_a_remove_by_date(sample_run):
    text = docx_text(one_letter(sample_run.out, "BPS-2026-009", "warning"))
    assert "5 October 2026" in text  # the discussion the history records
    assert "8 December 2026" in text  # seven days after the letter's date


def test_host_takedown_gives_the_url_and_rests_on_the_hosting_rule(sample_run, school):
    text = docx_text(one_letter(sample_run.out, "BPS-2026-014", "host_takedown", "facebook"))
    assert "https://www.facebook.com/darren.kettley.9/posts/1187654321098765" in text
    # The poster is known: the hosting rule, and no notice of complaint (test_letters_platform).
    assert "regulation 19" in text and "not a notice of complaint" in text
    assert "Mr P Hargreaves" in text
    assert school.notices_email in text


def test_host_takedown_for_a_post_that_is_not_defamatory_has_no_notice(sample_run):
    text = docx_text(one_letter(sample_run.out, "BPS-2026-009", "host_takedown", "facebook"))
    assert "https://www.facebook.com/groups/bextonvillageparents/posts/781234509876543" in text
    assert "Defamation Act 2013" not in text


def test_police_referral_has_the_evidence_log_and_the_crime_reference(sample_run):
    letter = one_letter(sample_run.out, "BPS-2026-024", "police_referral")
    (log,) = tables(letter)
    assert log[0] == EVIDENCE_LOG_COLUMNS
    # The further referral logs the new post and, before it, the post referred in October
    # (letter-spec 11.2: the earlier posts with their crime reference).
    assert [row[0] for row in log[1:]] == ["P1", "P2"]
    row = dict(zip(log[0], log[2]))
    assert row["Posted"] == "28 November 2026 at 23:05"
    assert row["Platform and account"] == "Facebook\nDean Hulme"
    assert row["Full web address"] == \
        "https://www.facebook.com/dean.hulme.5/posts/1223344556677889"
    assert plain(row["Report and crime refs"]) == "Crime: CR-0912/26"
    assert row["Status"] == "Live"
    assert "CR-0912/26" in plain(docx_text(letter))


def test_police_referral_without_a_crime_reference_gives_none(sample_run):
    letter = one_letter(sample_run.out, "BPS-2026-012", "police_referral")
    assert "CR-" not in plain(docx_text(letter))
    (log,) = tables(letter)
    assert dict(zip(log[0], log[1]))["Status"] == "Removed by 25 November 2026"


def test_police_referral_for_a_whatsapp_message_says_it_has_no_url(sample_run):
    (log,) = tables(one_letter(sample_run.out, "BPS-2026-016", "police_referral"))
    assert "http" not in dict(zip(log[0], log[1]))["Full web address"]


def test_legal_referral_is_addressed_to_the_advisers(sample_run, school):
    letter = one_letter(sample_run.out, "BPS-2026-014", "legal_referral")
    paragraphs = body_paragraphs(letter)
    advisers = school.legal_advisers
    assert follows(paragraphs, [f"{advisers.name}, {advisers.firm}", *advisers.address])
    assert advisers.firm == "Shah & Whitfield LLP"


def test_access_restriction_names_the_forum_and_the_review_date(sample_run, school):
    text = docx_text(one_letter(sample_run.out, "BPS-2026-007", "access_restriction"))
    assert school.forum_name == "the Bexton parents' forum"
    assert school.forum_name in text
    assert "1 December 2026" in text  # the letter's date, when the restriction starts
    assert school.email in text


# --- pupils appear by initials only in letters to third parties ----------------------------------

PUPIL_WORDS_009 = ("Sam Fenwick", "Fenwick", "Sam", "Jack Dutton", "Jack")


@pytest.mark.parametrize("kind", ["host_takedown", "police_referral"])
def test_third_party_letters_name_pupils_by_initials_only(sample_run, kind):
    letter = one_letter(sample_run.out, "BPS-2026-009", kind,
                        "facebook" if kind == "host_takedown" else "")
    text = docx_text(letter)
    assert "[S.F.]" in text and "[S.]" in text and "[J.]" in text  # known_as: [Sam], [Jack]
    assert [w for w in PUPIL_WORDS_009 if has_word(w, text)] == []
    hidden = xml_strings(letter)  # document properties and image descriptions as well
    assert [w for w in PUPIL_WORDS_009 if has_word(w, hidden)] == []


def test_warning_to_the_poster_quotes_the_post_as_written(sample_run):
    text = docx_text(one_letter(sample_run.out, "BPS-2026-009", "warning"))
    assert "Sam Fenwick has been hitting and kicking my Jack at" in text
    assert "S.F." not in text


# A pupil named only in `about` (not one of the poster's children), in several spellings; staff
# list "Ellie" as a name used alone for her.
PUPIL_IN_ABOUT = (
    ("    text: The teachers at this school are a joke.\n"
     "    concerns: [negative_comment]\n"),
    ("    text: Ellie Marsh in Year 2 hits other kids. I'll sort ELLIE out myself. Ellie's mum "
     "knows.\n"
     "    concerns: [names_pupil, threat_of_violence]\n"
     "    about:\n      - {role: pupil, name: Ellie Marsh, known_as: [Ellie]}\n"),
)


@pytest.fixture
def pupil_case_out(tmp_path, write_case, base_case, draft) -> Path:
    out = tmp_path / "out"
    drafted(draft(write_case(tmp_path, base_case.replace(*PUPIL_IN_ABOUT)), out), out)
    return out


@pytest.mark.parametrize("kind", ["host_takedown", "police_referral"])
def test_a_pupil_named_only_in_about_is_redacted_for_third_parties(pupil_case_out, kind):
    letter = one_letter(pupil_case_out, "T-001", kind,
                        "facebook" if kind == "host_takedown" else "")
    text = docx_text(letter)
    assert "[E.M.] in Year 2 hits other kids. I'll sort [E.] out myself. [E.]'s mum knows." in text
    assert "pupils' names replaced by initials in square brackets" in text
    assert [w for w in ("Ellie", "Marsh") if has_word(w, text)] == []


def test_a_pupil_named_only_in_about_is_quoted_to_the_poster(pupil_case_out):
    text = docx_text(one_letter(pupil_case_out, "T-001", "warning"))
    assert "Ellie Marsh in Year 2 hits other kids. I'll sort ELLIE out myself." in text


def test_redaction_leaves_ordinary_words_that_match_a_first_name(tmp_path, write_case,
                                                                base_case, draft):
    text = base_case.replace(
        PUPIL_IN_ABOUT[0],
        "    text: Will Barker pushed my son. I will keep posting until the school acts.\n"
        "    concerns: [names_pupil, threat_of_violence]\n"
        "    about:\n      - {role: pupil, name: Will Barker}\n")
    out = tmp_path / "out"
    drafted(draft(write_case(tmp_path, text), out), out)
    seen = docx_text(one_letter(out, "T-001", "police_referral"))
    assert "Will Barker" not in seen
    assert "[W.B.] pushed my son. I will keep posting until the school acts." in seen


# --- evidence screenshots ------------------------------------------------------------------------


def test_police_referral_embeds_the_evidence_screenshots(sample_run, repo):
    letter = one_letter(sample_run.out, "BPS-2026-009", "police_referral")
    with zipfile.ZipFile(letter) as zf:
        media = sorted(n for n in zf.namelist() if re.fullmatch(r"word/media/.+\.png", n))
        images = [zf.read(n) for n in media]
        document = zf.read("word/document.xml").decode("utf-8")
        rels = zf.read("word/_rels/document.xml.rels").decode("utf-8")
        types = zf.read("[Content_Types].xml").decode("utf-8")
    evidence = repo / "data" / "cases" / "evidence"
    assert images == [(evidence / f"BPS-2026-009-{p}.png").read_bytes() for p in ("P1", "P2")]
    assert document.count("<w:drawing>") == 2
    for name in media:  # each image is referenced from the body through a relationship
        rid = re.search(rf'Id="([^"]+)"[^>]*Target="{name.removeprefix("word/")}"', rels)[1]
        assert f'r:embed="{rid}"' in document
    assert 'Extension="png" ContentType="image/png"' in types


def test_letter_with_screenshots_opens_in_python_docx(sample_run):
    doc = docx.Document(one_letter(sample_run.out, "BPS-2026-009", "police_referral"))
    assert len(doc.inline_shapes) == 2
    assert all(shape.width > 0 and shape.height > 0 for shape in doc.inline_shapes)


def test_each_screenshot_is_captioned_by_its_number_not_its_file(sample_run):
    letter = one_letter(sample_run.out, "BPS-2026-009", "police_referral")
    paragraphs = body_paragraphs(letter)
    for n in (1, 2):  # the sample's screenshots are filed redacted (evidence_redacted: true)
        assert any(p.startswith(f"P{n}: screenshot {n}, a redacted copy with pupils' names "
                                "obscured, taken by ") for p in paragraphs)
    assert "BPS-2026-009-P1.png" not in xml_strings(letter)  # nor in image descriptions


def test_a_post_without_a_screenshot_says_none_is_attached(sample_run):
    # The case records no screenshot: the letter says none is attached, never that the school
    # holds none (the case does not say that).
    letter = one_letter(sample_run.out, "BPS-2026-011", "police_referral")
    (log,) = tables(letter)
    assert dict(zip(log[0], log[1]))["Screenshot and\nSHA-256"] == \
        "None attached: text recorded by Headteacher"
    text = docx_text(letter)
    assert "No screenshot of the post is attached" in text
    assert "follow the log" not in text and "follows the log" not in text


# --- every letter is a sound Word package --------------------------------------------------------


@pytest.mark.parametrize("case", [c.stem for c in SAMPLE_CASES])
def test_every_drafted_letter_is_a_valid_package(sample_run, case):
    for letter in sorted((sample_run.out / case).glob("*.docx")):
        with zipfile.ZipFile(letter) as zf:
            assert zf.testzip() is None, letter.name
            names = [info.filename for info in zf.infolist()]
            parts = {n: zf.read(n) for n in names}
        duplicates = [n for n, count in Counter(names).items() if count > 1]
        assert duplicates == [], f"{letter.name}: duplicate entries {duplicates}"
        for name, data in parts.items():
            if name.endswith((".xml", ".rels")):
                etree.fromstring(data)  # raises XMLSyntaxError if not well-formed
        docx.Document(letter)


@pytest.mark.parametrize("case", [c.stem for c in SAMPLE_CASES])
def test_every_style_a_letter_names_is_defined_in_it(sample_run, case):
    # The unused styles are left out of each letter (see render.prune_styles); none it uses.
    for letter in sorted((sample_run.out / case).glob("*.docx")):
        parts = xml_parts(letter)
        styles = etree.fromstring(parts["word/styles.xml"])
        defined = {s.get(f"{{{W_NS}}}styleId") for s in styles.iter(f"{{{W_NS}}}style")}
        named = {ref.decode() for name, data in parts.items() if not name.startswith("word/styles")
                 for ref in re.findall(rb'<w:(?:pStyle|rStyle|tblStyle) w:val="([^"]+)"', data)}
        assert named and named <= defined, f"{letter.name}: undefined styles {named - defined}"
        assert styles.find(f"{{{W_NS}}}latentStyles") is not None
        assert styles.find(f"{{{W_NS}}}docDefaults") is not None


def test_hostile_letter_is_a_valid_package(hostile_letter):
    with zipfile.ZipFile(hostile_letter) as zf:
        names = zf.namelist()
        assert zf.testzip() is None
    assert len(names) == len(set(names))
    for data in xml_parts(hostile_letter).values():
        etree.fromstring(data)


# --- the platform letter quotes the statement exactly -------------------------------------------


def test_the_platform_letter_quotes_the_statement_as_posted(sample_run, repo):
    letter = one_letter(sample_run.out, "BPS-2026-014", "host_takedown", "facebook")
    paragraphs = body_paragraphs(letter)
    statement = paragraphs[paragraphs.index("Content as posted:") + 1]
    assert statement == sample_post_text(repo, "BPS-2026-014", "P1")


# --- the school's name comes from the school profile ---------------------------------------------


def test_police_subject_names_the_school_in_the_profile(tmp_path, runner, school_path,
                                                        write_case, base_case):
    from pipeline.cli import cli

    profile = tmp_path / "school.yaml"
    profile.write_text(school_path.read_text("utf-8").replace(
        "name: Bexton Primary School", "name: Alderley Primary School"), encoding="utf-8")
    case = write_case(tmp_path, base_case.replace("[negative_comment]", "[threat_of_violence]"))
    out = tmp_path / "out"
    result = runner.invoke(cli, ["draft", str(case), "--out", str(out), "--date", "2026-12-01",
                                 "--school", str(profile)], catch_exceptions=False)
    drafted(result, out)
    letter = one_letter(out, "T-001", "police_referral")
    assert header_text(letter).startswith("Alderley Primary School\n")  # the profile is used
    assert any(p.startswith("I am the Headteacher of Alderley Primary School.")
               for p in body_paragraphs(letter))
    assert "Bexton Primary" not in docx_text(letter)


# --- re-drafting never changes a letter already written (the PDF copy: test_pdf.py) --------------


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `folder` (hidden ones too): its bytes and modification time."""
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def status_lines(result) -> list[tuple[str, str]]:
    """(status, file name) for each letter line `letters draft` printed."""
    lines = [line.rsplit(None, 1) for line in result.stdout.splitlines()[:-1]]
    return [(status.strip(), Path(path).name) for status, path in lines]


def test_drafting_the_same_case_again_says_unchanged_and_writes_nothing(tmp_path, write_case,
                                                                         base_case, draft):
    case, out = write_case(tmp_path, base_case), tmp_path / "out"
    first = draft(case, out)
    assert first.exit_code == 0, first.output
    assert status_lines(first) == [("written", "T-001-01-concern.docx")]
    before = snapshot(out)

    again = draft(case, out)

    assert again.exit_code == 0, again.output
    assert status_lines(again) == [("unchanged", "T-001-01-concern.docx")]
    assert again.stdout.splitlines()[-1] == (
        "1 case: 0 letters written, 1 unchanged, 0 invalid, 0 failed.")
    assert snapshot(out) == before


def test_a_changed_case_gives_a_v2_and_leaves_the_first_letter_alone(tmp_path, write_case,
                                                                     base_case, draft):
    case, out = write_case(tmp_path, base_case), tmp_path / "out"
    drafted(draft(case, out), out)
    first = out / "T-001" / "T-001-01-concern.docx"
    original = first.read_bytes()

    write_case(tmp_path, base_case.replace("are a joke.", "are a total disgrace."))
    result = draft(case, out)

    assert result.exit_code == 0, result.output
    assert status_lines(result) == [("new version", "T-001-01-concern-v2.docx")]
    assert first.read_bytes() == original
    second = out / "T-001" / "T-001-01-concern-v2.docx"
    assert "The teachers at this school are a joke." in body_paragraphs(first)
    assert "The teachers at this school are a total disgrace." in body_paragraphs(second)
    assert "Our reference: T-001/01" in body_paragraphs(second)  # same letter, new version


def test_a_file_already_at_the_target_name_is_never_overwritten(tmp_path, write_case,
                                                                base_case, draft):
    folder = tmp_path / "out" / "T-001"
    folder.mkdir(parents=True)
    stray = folder / "T-001-01-concern.docx"
    stray.write_bytes(b"a letter edited by hand")

    result = draft(write_case(tmp_path, base_case), tmp_path / "out")

    assert result.exit_code == 0, result.output
    assert stray.read_bytes() == b"a letter edited by hand"
    assert status_lines(result) == [("new version", "T-001-01-concern-v2.docx")]
    assert "Dear Mrs Jane Doe" in body_paragraphs(folder / "T-001-01-concern-v2.docx")
