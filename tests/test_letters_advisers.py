"""The request for advice and the advisers' bundle (issue 14, letter-spec sections 7, 10-12):
facts, not wording.

Over the sample cases and small cases built here: every post quoted in full with its meaning,
reach and the facts that show it untrue; the limitation date; every letter with whether it was
sent; only the questions the facts support (serious harm and the Derbyshire point only for a
statement said to be defamatory or recorded as untrue, harassment only on two occasions, the LADO
only for an allegation of harm); override reasons verbatim; the signatory. Then the bundle: the
chronology in plain words with each letter's sent status, the evidence log's layout and SHA-256,
a case record without the case file's comments, no absolute path anywhere, and the marking on
every document.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import re
import shutil
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import docx
import pytest
import yaml
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from reading import blocks

from pipeline import actions, kinds
from pipeline.case.load import load_school, validate_case
from pipeline.case.model import Case, HistoryStep
from pipeline.docx.package import DocumentProperties, text_of
from pipeline.docx.template import CompiledTemplate
from pipeline.draft import Settings, draft_many
from pipeline.letter.context import LetterMeta, build_context
from pipeline.letter.parts import ArchivedLetter, Sibling
from pipeline.policy import decide
from pipeline.record import EVIDENCE_COLUMNS, LOG_WIDTHS_CM, write_bundle
from pipeline.sent import record_sent

REPO = Path(__file__).resolve().parent.parent
CASES = REPO / "data" / "cases"
SCHOOL_PATH = REPO / "data" / "school.yaml"
SCHOOL = load_school(SCHOOL_PATH)
TODAY = date(2026, 12, 1)
LEGAL = kinds.LEGAL_REFERRAL.name
MARKING = kinds.Recipient.ADVISERS.marking
UNBREAKABLE = str.maketrans({"\u00a0": " ", "\u2011": "-", "\u2060": None, "\u200b": None})
# Names a reader must never see: the kinds' and actions' identifiers, and the archive's words.
INTERNAL = re.compile("|".join([*(k.name for k in kinds.KINDS if "_" in k.name),
                                *(k.step for k in kinds.KINDS if "_" in k.step),
                                *(a for a in actions.IDS), r"\bversion\b", r"\bNone\b"]))


def plain(text: str) -> str:
    return text.translate(UNBREAKABLE)


def squash(text: str) -> str:
    return " ".join(plain(text).split())


# --- building the letter ------------------------------------------------------------------------


def advice(case: Case, case_dir: Path | None = None, today: date = TODAY,
           archive: tuple[ArchivedLetter, ...] = ()) -> dict[str, Any]:
    """The legal referral's context for `case`, planned and built as `letters draft` does."""
    plan = decide(case, SCHOOL, today=today)
    numbered = list(enumerate(plan.letters, 1 + len(archive)))
    (number, letter), = [(n, l) for n, l in numbered if l.kind == LEGAL]
    siblings = tuple(Sibling(other, f"{case.case_id}/{n:02d}") for n, other in numbered
                     if other is not letter)
    meta = LetterMeta(f"{case.case_id}/{number:02d}", today)
    return build_context(letter, case, SCHOOL, meta, case_dir, plan=plan, siblings=siblings,
                         archive=archive, today=today)


def sample(case_id: str) -> tuple[Case, dict[str, Any]]:
    path = CASES / f"BPS-2026-{case_id}.yaml"
    case = validate_case(path, today=TODAY, school=SCHOOL).case
    return case, advice(case, path.parent)


@pytest.fixture(scope="module")
def template() -> CompiledTemplate:
    return CompiledTemplate.load(REPO / "letter_templates" / "legal_referral.docx")


def render(ctx: dict[str, Any], template: CompiledTemplate) -> docx.document.Document:
    props = DocumentProperties(ctx["letter"]["subject"], "", "", "", TODAY)
    return docx.Document(io.BytesIO(template.render(ctx, props, LEGAL)))


def body(document) -> str:
    return plain("\n".join(blocks(document)))


def footers(document) -> str:
    return plain("\n".join(t for s in document.sections for t in blocks(s.footer)))


def questions(ctx: dict[str, Any]) -> str:
    return squash(" ".join(ctx["advice"]["questions"]))


BASE: dict[str, Any] = {
    "case_id": "T-200", "opened": date(2026, 11, 2),
    "poster": {"name": "Mr Dan Quill", "relationship": "parent",
               "address": ["3 Mill Row", "Bexton", "WA16 0QQ"]},
    "posts": [{"id": "P1", "platform": "facebook",
               "url": "https://www.facebook.com/dan.quill/posts/1", "posted": "2026-11-10T20:15",
               "text": "Mr Vance at Bexton steals from the PTA & lies about it.",
               "concerns": ["defamatory", "names_staff"],
               "about": [{"role": "staff", "name": "Mr R Vance",
                          "meaning": "That Mr Vance is a thief.",
                          "inaccurate": "Mr Vance has never handled PTA money."}]}],
    "history": [{"date": date(2026, 11, 12), "step": "discussion", "outcome": "refused",
                 "by": "Headteacher", "notes": "He would not take it down."}],
}


def case_with(**changes: Any) -> Case:
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(changes))
    return Case.model_validate(data)


def post(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(BASE["posts"][0]), **changes}


# --- BPS-2026-014: a defamatory allegation of harm, and a second post ---------------------------


def test_014_every_post_is_quoted_in_full_with_its_meaning_reach_and_the_facts(template):
    case, ctx = sample("014")
    document = render(ctx, template)
    text = body(document)
    paragraphs = [p.text for p in document.paragraphs]
    for p in case.posts:
        assert p.url in text
        assert p.text.removesuffix("\n") in paragraphs, p.id  # verbatim, in a paragraph of its own
    [person] = case.posts[0].about
    for said in (person.meaning, person.inaccurate, case.posts[0].reach):
        assert squash(said) in squash(text)
    # The subject of this request is P1 (the plan's); P2 is there as well, and marked apart.
    assert [p["id"] for p in ctx["posts"] if p["in_scope"]] == ["P1"]
    assert [p["id"] for p in ctx["posts"]] == ["P1", "P2"]


def test_014_limitation_date_is_a_year_from_first_publication():
    _, ctx = sample("014")
    text = squash(" ".join(f for p in ctx["posts"] for f in p["facts"]))
    assert "19 November 2027 (Limitation Act 1980 s4A)" in text
    assert "24 November 2027" in text  # P2 makes an allegation too: its own date


def test_014_asks_the_questions_its_facts_support():
    _, ctx = sample("014")
    asked = questions(ctx)
    assert "serious harm to the reputation of Mr Hargreaves (Defamation Act 2013 s1)" in asked
    assert "Derbyshire County Council v Times Newspapers [1993]" in asked
    assert "Pre-Action Protocol for Media and Communications Claims" in asked
    assert "usually 14 days" in asked
    assert "Keeping Children Safe in Education Part 4" in asked  # P1 alleges harm to a child
    # P1 (19 November) and P2 (24 November) are both about Mr Hargreaves: two occasions.
    assert "(P1 and P2, on two occasions)" in asked
    assert "Protection from Harassment Act 1997" in asked
    # Platform letters are drafted with it: the hosting rule question, with no s5 notice (known).
    assert "regs 19 and 22" in asked and "section 5" not in asked
    assert "What the school should say to Mr Hargreaves" in asked


def test_014_says_what_is_criticism_and_what_is_not_recorded():
    _, ctx = sample("014")
    summary = squash(" ".join(ctx["advice"]["summary"]))
    assert "P2 includes criticism of the school" in summary
    assert "protected expression" in summary
    people = squash(" ".join(ctx["advice"]["people"]))
    assert "taking advice from his union" in people  # the wishes, verbatim
    assert "has not authorised any notice" in people
    # No support_staff action, but his own words (quoted above) say what he has been told: the
    # letter speaks of the missing record, and never says he has not been told.
    assert "do not record the date on which Mr Hargreaves was told" in people
    assert "does not yet record that Mr Hargreaves has been told" not in people
    assert "does not yet record that the local authority designated officer (LADO) has been " \
           "consulted (it was due by 23 November 2026)" in people


def test_014_marking_top_and_every_footer_and_signed_by_the_head(template):
    _, ctx = sample("014")
    document = render(ctx, template)
    assert MARKING in body(document).split("Dear")[0]
    assert all(MARKING in "\n".join(blocks(s.footer)) for s in document.sections)
    assert "Page" in footers(document)
    assert ctx["signatory"] == {"name": "Mrs Helen Carter", "role": "Headteacher"}
    assert "defamatory" not in re.sub(r"(said to be|believes to be|statements? the school "
                                      r"believes to be) defamatory", "", body(document)) \
        .replace("Defamation", "").replace("defamatory statements", "")


def test_014_lists_every_letter_of_the_run_and_encloses_the_bundle():
    _, ctx = sample("014")
    done = ctx["advice"]["done"]
    same_run = [r for r in done if r["sent"] == "Drafted today with this letter"]
    # The warning and the letter to Facebook (Instagram is not asked: P2 gives no ground).
    assert [plain(r["reference"]) for r in same_run] == ["BPS-2026-014/01", "BPS-2026-014/02"]
    assert ctx["letter"]["enclosures"] == ["the bundle for case BPS-2026-014 "
                                           "(BPS-2026-014-bundle.zip)"]
    listed = " ".join(ctx["advice"]["bundle"])
    for name in ("BPS-2026-014-chronology.docx", "BPS-2026-014-evidence-log.docx",
                 "BPS-2026-014-evidence-log.csv", "case/BPS-2026-014-case-record.yaml",
                 "manifest.json"):
        assert name in listed
    assert "evidence/" not in listed  # the case holds no screenshot


# --- BPS-2026-021: a warning ignored, posts about the Headteacher -----------------------------


def test_021_gives_the_plans_reason_and_no_defamation_questions():
    case, ctx = sample("021")
    opening = squash(" ".join(ctx["advice"]["opening"]))
    assert "no reply by 23 November 2026" in opening
    assert "if the circumstances warrant this" in opening
    assert "P2 on 25 November 2026" in opening  # posted again after the warning
    asked = questions(ctx)
    for never in ("Defamation Act 2013", "Derbyshire", "serious harm", "letter of claim",
                  "LADO"):
        assert never not in asked
    assert "protected expression" in asked
    assert "(P1 and P2, on two occasions)" in asked  # both about Mrs Carter, 6 and 25 November


def test_021_is_signed_by_the_chair_as_the_posts_are_about_the_head(template):
    _, ctx = sample("021")
    assert ctx["signatory"] == {"name": SCHOOL.chair_of_governors, "role": "Chair of Governors"}
    text = body(render(ctx, template))
    assert "The posts are about our Headteacher, Mrs H Carter" in text
    assert text.rstrip().split("\n")[-4:-1] == [SCHOOL.chair_of_governors, "Chair of Governors",
                                                SCHOOL.name]
    # Replies reach the Chair through an office that answers to the Head: marked for the Chair.
    assert "please mark anything you send there \u201cPrivate \u2013 for the Chair of " \
           "Governors only\u201d" in squash(text)


def test_021_reads_as_english_her_name_the_headteacher_after_a_colon(template):
    _, ctx = sample("021")
    text = squash(body(render(ctx, template)))
    assert "Mrs Carter has not authorised any notice in her name." in text
    assert "in their name" not in text
    assert "latest step was on 16 November 2026: the Headteacher sent Mrs Ainsworth" in text
    # Each concern is a noun phrase, one from the next by semicolons (some hold an "and").
    assert ("Concerns the school recorded: criticism; an allegation about an individual; the "
            "naming of a member of staff.") in text


def test_021_gives_each_letter_its_sent_status():
    _, ctx = sample("021")
    rows = {r["what"]: r for r in ctx["advice"]["done"]}
    warning = rows["Formal warning to Mrs Ainsworth about P1"]
    assert warning["sent"] == "16 November 2026 by post"
    assert warning["outcome"].startswith("No reply by 23 November 2026")
    assert "Sent by first-class post and by email." in warning["outcome"]  # the note, verbatim
    # Criticism gives the school no ground to ask Instagram: no platform letter in the run.
    assert [r for r in ctx["advice"]["done"] if r["what"].startswith("Request to Instagram")] == []


def test_archived_letters_say_whether_they_were_sent():
    path = CASES / "BPS-2026-021.yaml"
    case = validate_case(path, today=TODAY, school=SCHOOL).case
    sent = HistoryStep(date=date(2026, 11, 20), step="host_takedown", outcome="pending",
                       posts=["P1"], reference="BPS-2026-021/01", method="webform")
    case = case.model_copy(update={"history": [*case.history, sent]})
    archive = (
        ArchivedLetter("BPS-2026-021/01", kinds.HOST_TAKEDOWN.name, date(2026, 11, 19), ("P1",),
                       "Instagram (Meta Platforms Ireland Limited)", sent),
        ArchivedLetter("BPS-2026-021/02", kinds.CONCERN.name, date(2026, 11, 19), ("P1",),
                       "Mrs Kerry Ainsworth", None))

    ctx = advice(case, path.parent, archive=archive)

    rows = {plain(r["reference"]): r for r in ctx["advice"]["done"]}
    assert rows["BPS-2026-021/01"]["sent"] == \
        "20 November 2026 through the platform\u2019s web form"
    assert rows["BPS-2026-021/02"]["sent"] == "Drafted, not yet recorded as sent"
    listed = {item.split(":")[0]: item for item in ctx["advice"]["bundle"]}
    assert "sent through the platform\u2019s web form on 20 November 2026" in \
        listed["letter BPS-2026-021/01"]
    assert "not yet recorded as sent" in listed["letter BPS-2026-021/02"]
    # The history entry that records the platform letter is that letter's row, not another.
    assert sum(1 for r in ctx["advice"]["done"] if "Instagram" in r["what"]
               and r["sent"] != "Drafted today with this letter") == 1


# --- built cases: the questions follow the facts -------------------------------------------------


def test_one_post_is_no_course_of_conduct():
    asked = questions(advice(case_with()))
    assert "harassment" not in asked.casefold()
    assert "Derbyshire" in asked  # a statement said to be defamatory


def test_a_lapsed_agreement_is_never_called_no_reply():
    warned = {"date": date(2026, 11, 16), "step": "warning_letter", "outcome": "agreed",
              "by": "Headteacher", "due": date(2026, 11, 20)}
    criticism = post(concerns=["negative_comment", "names_staff"],
                     about=[{"role": "staff", "name": "Mr R Vance"}])
    ctx = advice(case_with(posts=[criticism], history=[BASE["history"][0], warned]))
    opening = squash(" ".join(ctx["advice"]["opening"]))
    assert ("after the formal warning of 16 November 2026, Mr Quill agreed to remove it by 20 "
            "November 2026 but has not done so") in opening
    [row] = [r for r in ctx["advice"]["done"] if r["what"].startswith("Formal warning")]
    assert row["outcome"].startswith("Mr Quill agreed to remove it by 20 November 2026; not done")
    assert "no reply" not in opening.casefold() and "No reply" not in row["outcome"]


def test_two_posts_about_one_person_on_one_day_are_one_occasion():
    second = post(id="P2", posted="2026-11-10T22:40", url="https://www.facebook.com/dan.quill/p/2")
    asked = questions(advice(case_with(posts=[post(), second])))
    assert "harassment" not in asked.casefold()


def test_two_posts_about_one_person_on_two_days_raise_the_harassment_question():
    second = post(id="P2", posted="2026-11-14T09:00", url="https://www.facebook.com/dan.quill/p/2",
                  concerns=["negative_comment", "names_staff"], status="removed",
                  about=[{"role": "staff", "name": "Mr R Vance"}])
    ctx = advice(case_with(posts=[post(), second]))
    asked = questions(ctx)
    assert "posts about Mr Vance (P1 and P2, on two occasions)" in asked
    assert "Protection from Harassment Act 1997" in asked
    # The removed post is in the letter all the same, quoted in full.
    assert [p["id"] for p in ctx["posts"]] == ["P1", "P2"]


def test_no_statement_said_to_be_untrue_means_no_serious_harm_question():
    criticism = post(concerns=["negative_comment", "names_staff"],
                     text="Mr Vance's maths homework is pointless.",
                     about=[{"role": "staff", "name": "Mr R Vance"}, {"role": "school"}])
    ctx = advice(case_with(
        posts=[criticism],
        overrides=[{"letter": LEGAL, "action": "include",
                    "reason": "Governors asked for advice on the parent's campaign."}]))
    asked = questions(ctx)
    for never in ("serious harm", "Derbyshire", "letter of claim", "Defamation Act"):
        assert never not in asked
    assert "protected expression" in asked
    assert not any("Limitation Act" in f for p in ctx["posts"] for f in p["facts"])


def test_an_allegation_recorded_as_untrue_asks_about_opinion_too():
    alleging = post(concerns=["allegation", "names_staff"])
    asked = questions(advice(case_with(
        posts=[alleging], overrides=[{"letter": LEGAL, "action": "include",
                                      "reason": "The allegation is false."}])))
    assert "serious harm" in asked and "Derbyshire" in asked
    assert "statement of opinion rather than fact" in asked


def test_override_reasons_reach_the_letter_verbatim(template):
    reason = "Mr Vance is \u201cat the end of his tether\u201d & asked us to act."
    excluded = "Not the platform: Mr Vance asked us not to; he fears it will spread."
    ctx = advice(case_with(overrides=[
        {"letter": LEGAL, "action": "include", "reason": reason, "date": date(2026, 11, 20),
         "by": "Headteacher"},
        {"letter": kinds.HOST_TAKEDOWN.name, "action": "exclude", "reason": excluded}]))
    text = body(render(ctx, template))
    assert f"The Headteacher\u2019s reason for asking: \u201c{reason}\u201d" in text
    assert f"\u201c{excluded}\u201d" in text
    [row] = [r for r in ctx["advice"]["done"] if excluded in r["outcome"]]
    assert row["what"].startswith("Decision not to send the request to a platform")
    assert "(date not recorded; listed on the day the case was opened)" in row["what"]


def test_the_lado_and_support_are_said_only_as_recorded():
    harm = post(concerns=["allegation_of_harm", "defamatory", "names_staff"])
    plain_case = case_with(posts=[harm])
    recorded = case_with(posts=[harm], actions=[
        {"action": actions.CONSULT_LADO.id, "date": date(2026, 11, 11), "posts": ["P1"],
         "notes": "LADO advised no further action."},
        {"action": actions.SUPPORT_STAFF.id, "date": date(2026, 11, 12), "by": "Headteacher"}])

    before, after = advice(plain_case), advice(recorded)

    assert "LADO process" in questions(before) and "LADO process" in questions(after)
    assert "does not yet record" in " ".join(before["advice"]["people"])
    people = squash(" ".join(after["advice"]["people"]))
    assert ("referred to the local authority designated officer (LADO) on 11 November 2026: "
            "\u201cLADO advised no further action.\u201d") in people
    assert "offered support on 12 November 2026" in people
    assert "LADO" not in questions(advice(case_with()))  # no allegation of harm, no question


def test_an_anonymous_poster_gets_no_letter_of_claim_question():
    anonymous = case_with(poster={"name": "Unknown", "identified": False})
    ctx = advice(anonymous)
    asked = questions(ctx)
    assert "letter of claim" not in asked
    assert "Derbyshire" in asked
    assert "section 5 of the Defamation Act 2013" in asked  # a platform letter goes with it
    assert "Unknown" not in ctx["letter"]["subject"]


def test_pupils_and_private_details_reach_the_advisers_in_full():
    # The advisers are not a third party: nothing is redacted for them (letter-spec 0.4).
    address = post(text="Mr Vance lives at 7 Linden Drive; Sam Doe saw him take it.",
                   concerns=["defamatory", "personal_information", "names_pupil"],
                   private_details=[{"text": "7 Linden Drive", "kind": "home address",
                                     "person": "Mr R Vance"}])
    ctx = advice(case_with(posts=[address]))
    assert ctx["posts"][0]["text"] == "Mr Vance lives at 7 Linden Drive; Sam Doe saw him take it."


# --- the bundle ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run_014(tmp_path_factory) -> dict[str, Any]:
    """BPS-2026-014 drafted on 1 December, its warning recorded as sent on 2 December, drafted
    again on 3 December (the referral is revised: it now knows the warning went), and bundled."""
    root = tmp_path_factory.mktemp("advisers")
    case = root / "cases" / "BPS-2026-014.yaml"
    case.parent.mkdir()
    shutil.copy(CASES / "BPS-2026-014.yaml", case)
    out = root / "out"
    draft_many([case], Settings(school_path=SCHOOL_PATH, out_dir=out, today=TODAY))
    record_sent("BPS-2026-014/01", out_dir=out, on=date(2026, 12, 2), method="post",
                today=date(2026, 12, 2), school=SCHOOL, case_path=case)
    later = date(2026, 12, 3)
    draft_many([case], Settings(school_path=SCHOOL_PATH, out_dir=out, today=later))
    loaded = validate_case(case, today=later, school=SCHOOL)
    target = write_bundle(loaded, SCHOOL, out, root / "bundle.zip", later)
    with zipfile.ZipFile(target) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    return {"root": root, "case": case, "out": out, "members": members}


@pytest.fixture(scope="module")
def bundle_009(tmp_path_factory) -> dict[str, bytes]:
    """BPS-2026-009 (two redacted screenshots) drafted and bundled on 1 December."""
    return drafted_and_bundled("009", tmp_path_factory.mktemp("bundle009"))


def drafted_and_bundled(case_id: str, root: Path) -> dict[str, bytes]:
    """A sample case drafted and bundled on 1 December: the bundle's members by name."""
    out = root / "out"
    path = CASES / f"BPS-2026-{case_id}.yaml"
    draft_many([path], Settings(school_path=SCHOOL_PATH, out_dir=out, today=TODAY))
    loaded = validate_case(path, today=TODAY, school=SCHOOL)
    target = write_bundle(loaded, SCHOOL, out, root / "bundle.zip", TODAY)
    with zipfile.ZipFile(target) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def chronology_rows(members: dict[str, bytes], case_id: str) -> list[list[str]]:
    table = docx.Document(io.BytesIO(members[f"{case_id}-chronology.docx"])).tables[0]
    return [[plain(c.text) for c in row.cells] for row in table.rows]


def test_the_chronology_says_what_was_sent_and_what_was_not(run_014):
    rows = chronology_rows(run_014["members"], "BPS-2026-014")
    assert rows[0] == ["Date", "Time", "What happened", "Reference"]
    by_reference = {}
    for row in rows[1:]:
        if row[3].startswith("BPS-2026-014/"):
            assert row[3] not in by_reference, f"{row[3]} appears twice"
            by_reference[row[3]] = row
    assert sorted(by_reference) == [f"BPS-2026-014/0{n}" for n in (1, 2, 3)]
    warning = by_reference["BPS-2026-014/01"]
    assert warning[0] == "2 December 2026"
    assert "Formal warning" in warning[2] and "sent by post on 2 December 2026" in warning[2]
    for ref in ("BPS-2026-014/02", "BPS-2026-014/03"):
        assert "not yet recorded as sent" in by_reference[ref][2]
    assert "(revised 3 December 2026)" in by_reference["BPS-2026-014/03"][2]
    text = " ".join(" ".join(r) for r in rows)
    assert "He refused to remove the post and said he would \"keep sharing it\"." in text
    assert "Mr Darren Kettley posted P1 on Facebook" in text
    assert "The LADO" not in text  # no consultation recorded, none invented


def test_the_chronology_uses_no_internal_names_and_long_dates(run_014, bundle_009):
    for members, case_id in ((run_014["members"], "BPS-2026-014"),
                             (bundle_009, "BPS-2026-009")):
        rows = chronology_rows(members, case_id)
        for row in rows[1:]:
            assert not INTERNAL.search(" ".join(row)), row
            assert re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4}", row[0]), row[0]
            assert all(cell.strip() for cell in row), row
        document = docx.Document(io.BytesIO(members[f"{case_id}-chronology.docx"]))
        assert "Page" in footers(document) and MARKING in footers(document)
        assert f"Chronology \u2013 case {case_id}" in body(document)
        table = document.tables[0]
        assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
        assert all(r._tr.trPr.find(qn("w:cantSplit")) is not None for r in table.rows)


def test_the_chronology_has_actions_and_decisions(tmp_path):
    case = tmp_path / "T-200.yaml"
    case.write_text(yaml.safe_dump({
        **BASE, "opened": "2026-11-02",
        "history": [{**BASE["history"][0], "date": "2026-11-12"}],
        "actions": [{"action": "support_staff", "date": "2026-11-13", "by": "Headteacher",
                     "notes": "Mr Vance was given the Education Support number."}],
        "overrides": [{"letter": "host_takedown", "action": "exclude", "by": "Headteacher",
                       "date": "2026-11-14", "reason": "Mr Vance asked us not to report it."}]},
        sort_keys=False), encoding="utf-8")
    out = tmp_path / "out"
    draft_many([case], Settings(school_path=SCHOOL_PATH, out_dir=out, today=TODAY))
    loaded = validate_case(case, today=TODAY, school=SCHOOL)
    with zipfile.ZipFile(write_bundle(loaded, SCHOOL, out, tmp_path / "b.zip", TODAY)) as zf:
        rows = chronology_rows({n: zf.read(n) for n in zf.namelist()}, "T-200")
    by_date = {r[0]: r[2] for r in rows[1:] if r[0] in ("13 November 2026", "14 November 2026")}
    assert "told Mr R Vance what the school is doing and offered support" in \
        by_date["13 November 2026"]
    assert "\u201cMr Vance was given the Education Support number.\u201d" in \
        by_date["13 November 2026"]
    assert "Decision not to send the request to a platform" in by_date["14 November 2026"]
    assert "The Headteacher\u2019s reason: \u201cMr Vance asked us not to report it.\u201d" in \
        by_date["14 November 2026"]


def test_the_evidence_log_is_landscape_with_a_sha256_for_each_screenshot(bundle_009):
    document = docx.Document(io.BytesIO(bundle_009["BPS-2026-009-evidence-log.docx"]))
    assert all(s.orientation == WD_ORIENT.LANDSCAPE for s in document.sections)
    assert "Page" in footers(document) and MARKING in footers(document)
    table = document.tables[0]
    assert tuple(" ".join(c.text.split()) for c in table.rows[0].cells) == EVIDENCE_COLUMNS
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert all(r._tr.trPr.find(qn("w:cantSplit")) is not None for r in table.rows)
    widths = [int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert len(set(widths)) > 3 and sum(widths) <= 26.7 * 567
    assert widths.index(max(widths)) == EVIDENCE_COLUMNS.index("Content as posted")
    assert LOG_WIDTHS_CM[EVIDENCE_COLUMNS.index("Content as posted")] == max(LOG_WIDTHS_CM)
    cells = [[plain(c.text) for c in row.cells] for row in table.rows[1:]]
    assert all(c.strip() for row in cells for c in row)
    for post_id, row in zip(("P1", "P2"), cells):
        shot = (CASES / "evidence" / f"BPS-2026-009-{post_id}.png").read_bytes()
        column = row[EVIDENCE_COLUMNS.index("Screenshot and SHA-256")]
        assert hashlib.sha256(shot).hexdigest() in column
        assert "[redacted copy" in column  # the sample's screenshots are redacted copies
        # The advisers see the post as written (pupils' names and all).
        assert "Sam Fenwick" in row[EVIDENCE_COLUMNS.index("Content as posted")]
    captions = [p for p in document.paragraphs if p.style.name == "Caption"]
    assert len(captions) == 2 and len(document.inline_shapes) == 2
    for caption in captions:
        assert caption.paragraph_format.keep_with_next or caption.style.paragraph_format \
            .keep_with_next
        assert re.search(r"SHA-256 [0-9a-f]{64}", caption.text)


def test_the_spreadsheet_has_the_same_columns_and_the_marking(bundle_009):
    sheet = list(csv.reader(io.StringIO(
        bundle_009["BPS-2026-009-evidence-log.csv"].decode("utf-8-sig"))))
    assert sheet[0] == [MARKING]
    assert tuple(sheet[1]) == EVIDENCE_COLUMNS
    case = yaml.safe_load((CASES / "BPS-2026-009.yaml").read_text("utf-8"))
    texts = [row[EVIDENCE_COLUMNS.index("Content as posted")] for row in sheet[2:]]
    assert texts == [p["text"].removesuffix("\n") for p in case["posts"]]  # inner breaks kept


def test_the_bundle_holds_no_comment_and_no_absolute_path(run_014, bundle_009):
    source = (CASES / "BPS-2026-014.yaml").read_text("utf-8")
    comments = [line for line in source.splitlines() if line.startswith("#")]  # not a post's
    assert comments
    root = str(run_014["root"])
    for members in (run_014["members"], bundle_009):
        for name, data in members.items():
            text = _readable(name, data)
            if text is None:
                continue
            for forbidden in ("/work/", "/tmp/", "/home/", root, str(REPO)):
                assert forbidden not in text, f"{name} holds {forbidden}"
            assert not [c for c in comments if c in text], name
    record = run_014["members"]["case/BPS-2026-014-case-record.yaml"].decode("utf-8")
    data = yaml.safe_load(record)
    quoted = {line for p in data["case"]["posts"] for line in p["text"].splitlines()}
    assert not [line for line in record.splitlines()
                if line.lstrip().startswith("#") and line.strip() not in quoted]
    assert data["marking"] == MARKING
    assert [p["text"] for p in data["case"]["posts"]] == \
        [p["text"] for p in yaml.safe_load(source)["posts"]]
    manifest = json.loads(run_014["members"]["manifest.json"])
    assert {e["case_file"] for e in manifest["letters"] if "case_file" in e} == \
        {"case/BPS-2026-014-case-record.yaml"}
    for entry in manifest["letters"]:
        for name in entry.get("files", {}).values():
            assert name in run_014["members"]


def test_every_document_carries_the_marking(run_014, bundle_009):
    for members in (run_014["members"], bundle_009):
        for name, data in members.items():
            text = _readable(name, data)
            if text is None or (name.startswith("letters/") and "legal_referral" not in name):
                continue  # a letter keeps the marking of its own recipient; a screenshot has none
            assert MARKING in plain(text), name
        index = members["index.html"].decode("utf-8")
        for name in members:
            if name != "index.html":
                assert f'href="{name}"' in index


def test_the_index_gives_each_letter_in_words_with_its_sent_status(run_014):
    index = run_014["members"]["index.html"].decode("utf-8")
    rows = index.split("<tr>")
    [warning] = [r for r in rows if "BPS-2026-014-01-warning.docx" in r]
    assert "sent by post on 2 December 2026" in warning
    [first, second] = [r for r in rows if "legal_referral" in r]
    assert "an earlier draft" in first and "not yet recorded as sent" in second
    assert not INTERNAL.search(re.sub(r"<a href.*?</a>", "", index))


def _readable(name: str, data: bytes) -> str | None:
    """A member's text as a reader (or grep) finds it; None for a screenshot."""
    if name.endswith(".docx"):
        return text_of(data, sep="")
    if name.endswith((".png", ".jpg", ".jpeg", ".pdf")):
        return None
    return data.decode("utf-8-sig")


def test_the_poster_is_called_by_their_salutation_not_the_last_word_of_their_name(template):
    # 'Mr Zhang Wei 张伟' with salutation 'Mr Zhang': the last word is not the family name, and
    # only the salutation the office recorded says which is.
    poster = {**BASE["poster"], "name": "Mr Zhang Wei 张伟", "salutation": "Mr Zhang"}
    text = squash(body(render(advice(case_with(poster=poster)), template)))
    assert "Mr Zhang declined to remove it" in text
    assert "Mr 张伟" not in text
    # Without a salutation the name is shortened as before.
    text = squash(body(render(advice(case_with()), template)))
    assert "Mr Quill declined to remove it" in text


@pytest.mark.parametrize(("name", "own", "whom"), [
    ("Mr R Vance", "his own decision", "advice for him?"),
    ("Mrs R Vance", "her own decision", "advice for her?"),
    ("Dr R Vance", "their own decision", "advice for them?"),
])
def test_the_person_defamed_is_his_or_her_by_title_never_their_for_mr(name, own, whom):
    person = {**BASE["posts"][0]["about"][0], "name": name}
    asked = questions(advice(case_with(posts=[post(about=[person])])))
    assert f"who would need to make {own}," in asked
    assert whom in asked


@pytest.fixture(scope="module")
def bundle_024(tmp_path_factory) -> dict[str, bytes]:
    """BPS-2026-024 (P1 removed after a request to Facebook) drafted and bundled."""
    return drafted_and_bundled("024", tmp_path_factory.mktemp("bundle024"))


def test_a_post_removed_after_a_request_is_never_dated_by_the_request(bundle_024):
    # The school asked Facebook on 27 October; its note says Facebook removed P1 on 28 October.
    # The request's date is not the removal's: "removed by 27 October" would be false, and the
    # police letter's log of the same run says only "Removed".
    rows = chronology_rows(bundle_024, "BPS-2026-024")
    text = squash(" ".join(" ".join(r) for r in rows))
    assert "removed by 27 October" not in text
    assert "It was removed after the school asked Facebook to remove it on 27 October 2026." \
        in text
    # A warning whose post came down says which post, never "it was removed" (the letter?).
    assert "formal warning about P1. Outcome: P1 was removed." in text
    log = docx.Document(io.BytesIO(bundle_024["BPS-2026-024-evidence-log.docx"])).tables[0]
    (p1,) = [row for row in log.rows if row.cells[0].text == "P1"]
    assert "Removed" in [plain(c.text) for c in p1.cells]


def test_014_asks_once_to_confirm_the_limitation_date():
    _, ctx = sample("014")
    text = squash(" ".join(f for p in ctx["posts"] for f in p["facts"]))
    assert text.count("Please confirm the last day for issuing a claim.") == 1
    assert "19 November 2027 (Limitation Act 1980 s4A). Please confirm" in text
