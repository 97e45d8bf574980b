"""The letter to the police (issue 14, letter-spec sections 6 and 11): facts, not wording.

Over the sample cases (as drafted by `letters draft data/cases`) and over small cases built
here: which offences are cited and which never are, the poster's address and account, the
victims' wishes verbatim, the crime reference, the subject, the evidence log's layout, each
screenshot's SHA-256, and what must never appear (a pupil's full name, a staff member's private
details, "harassment" as a finding).
"""

from __future__ import annotations

import copy
import hashlib
import io
import re
from datetime import date
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.oxml.ns import qn
from reading import blocks

from pipeline import kinds
from pipeline.case.load import load_school, validate_case
from pipeline.case.model import Case
from pipeline.docx.package import DocumentProperties
from pipeline.docx.template import CompiledTemplate
from pipeline.letter.context import LetterMeta, build_context
from pipeline.letter.parts import Sibling
from pipeline.letter.to_police import post_facts
from pipeline.offences import OFFENCES, offences_for
from pipeline.policy import decide

REPO = Path(__file__).resolve().parent.parent
CASES = REPO / "data" / "cases"
SCHOOL = load_school(REPO / "data" / "school.yaml")
TODAY = date(2026, 12, 1)
POLICE = kinds.POLICE_REFERRAL.name
SAMPLES = ("009", "011", "012", "016", "024")  # the sample cases with a police referral
UNBREAKABLE = str.maketrans({"\u00a0": " ", "\u2011": "-", "\u2060": None, "\u200b": None})
COURSE = {o.citation for o in OFFENCES if o.needs_course_of_conduct}
CITATION = re.compile(r"\(([A-Z][A-Za-z ]+ (?:19|20)\d\d s\d+(?:\(\d\))?)\)")


def plain(text: str) -> str:
    """Text as a reader copies it: references' no-break characters back to plain ones."""
    return text.translate(UNBREAKABLE)


# --- building the letter ------------------------------------------------------------------------


def referral(case: Case, case_dir: Path | None = None, today: date = TODAY) -> dict[str, Any]:
    """The police letter's context for `case`, planned and built as `letters draft` does."""
    plan = decide(case, SCHOOL, today=today)
    numbered = list(enumerate(plan.letters, 1))
    (number, letter), = [(n, l) for n, l in numbered if l.kind == POLICE]
    siblings = tuple(Sibling(other, f"{case.case_id}/{n:02d}") for n, other in numbered
                     if other is not letter)
    meta = LetterMeta(f"{case.case_id}/{number:02d}", today)
    return build_context(letter, case, SCHOOL, meta, case_dir, plan=plan, siblings=siblings,
                         today=today)


def sample(case_id: str) -> tuple[Case, dict[str, Any]]:
    path = CASES / f"BPS-2026-{case_id}.yaml"
    case = validate_case(path, today=TODAY, school=SCHOOL).case
    return case, referral(case, path.parent)


@pytest.fixture(scope="module")
def template() -> CompiledTemplate:
    return CompiledTemplate.load(REPO / "letter_templates" / "police_referral.docx")


def render(ctx: dict[str, Any], template: CompiledTemplate) -> docx.document.Document:
    props = DocumentProperties(ctx["letter"]["subject"], "", "", "", TODAY)
    return docx.Document(io.BytesIO(template.render(ctx, props, POLICE)))


def text_of(document) -> str:
    parts = [*blocks(document)]
    for section in document.sections:
        parts += blocks(section.header) + blocks(section.footer)
    return plain("\n".join(parts))


def offences_printed(ctx: dict[str, Any]) -> set[str]:
    return {c for sentence in ctx["referral"]["offences"] for c in CITATION.findall(sentence)}


BASE: dict[str, Any] = {
    "case_id": "T-100", "opened": date(2026, 11, 2),
    "poster": {"name": "Mr Dan Quill", "relationship": "parent",
               "address": ["3 Mill Row", "Bexton", "WA16 0QQ"],
               "children": [{"name": "Toby Quill", "class": "Year 3"}]},
    "posts": [{"id": "P1", "platform": "x", "url": "https://x.com/danq77/status/1001",
               "posted": "2026-11-20T20:15", "captured": "2026-11-21T08:00",
               "captured_by": "Office Manager", "text": "Mr Vance at Bexton will get a slap.",
               "concerns": ["threat_of_violence", "names_staff"],
               "about": [{"role": "staff", "name": "Mr R Vance"}]}],
    "history": [],
}


def case_with(**changes: Any) -> Case:
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(changes))
    return Case.model_validate(data)


# --- offences ----------------------------------------------------------------------------------


def test_a_single_racist_post_is_s127_with_the_sentencing_note_and_never_s32():
    _, ctx = sample("012")
    printed = offences_printed(ctx)
    assert "Communications Act 2003 s127(1)" in printed
    assert not printed & COURSE
    text = " ".join(ctx["referral"]["offences"])
    assert "Sentencing Act 2020 s66" in text
    assert "s32" not in text and "Protection from Harassment" not in text


def test_two_racist_posts_about_one_family_on_two_days_may_be_a_course_of_conduct():
    _, ctx = sample("024")
    printed = offences_printed(ctx)
    assert {"Crime and Disorder Act 1998 s32", "Protection from Harassment Act 1997 s2",
            "Online Safety Act 2023 s181"} <= printed
    assert "Protection from Harassment Act 1997 s4" not in printed  # only P2 threatens
    assert "Malicious Communications Act 1988 s1" in printed  # its grossly offensive limb
    for sentence in ctx["referral"]["offences"]:
        if "s32" in sentence:
            assert sentence.startswith("P1 and P2 may amount to")
        # P1 was referred in October: a single post's offence is P2's alone, as in the platform
        # letter of the same run (never "Each of P1 and P2" for one Act and "P2" for the next).
        if "Malicious Communications" in sentence or "s127(1)" in sentence:
            assert sentence.startswith("P2 may amount to"), sentence


@pytest.mark.parametrize("case_id", SAMPLES)
def test_every_offence_is_the_tables_and_says_may_amount_to(case_id):
    case, ctx = sample(case_id)
    scope = {p["id"] for p in ctx["posts"]}
    facts = [post_facts(p) for p in case.posts]
    # A course of conduct over every post; a single post's offence over the posts in scope.
    allowed = {m.sentence for m in offences_for(facts) if scope & set(m.posts)} | \
        {m.sentence for m in offences_for([f for f in facts if f.id in scope])}
    assert set(ctx["referral"]["offences"]) <= allowed
    for sentence in ctx["referral"]["offences"]:
        assert "may amount to" in sentence
    assert all("Malicious Communications" not in s or "threatening" not in s
               for s in ctx["referral"]["offences"])


SINGLE_CONCERNS = [["racist"], ["threat_of_violence"], ["harassment"], ["cyberbullying"],
                   ["grossly_obscene"], ["racist", "threat_of_violence", "harassment"],
                   ["personal_information", "harassment"]]


@pytest.mark.parametrize("concerns", SINGLE_CONCERNS)
def test_one_occasion_never_cites_a_course_of_conduct_offence(concerns):
    # Two posts about the same person on the same day are one occasion.
    second = dict(BASE["posts"][0], id="P2", posted="2026-11-20T23:50",
                  url="https://x.com/danq77/status/1002", concerns=concerns)
    first = dict(BASE["posts"][0], concerns=concerns)
    include = [{"letter": POLICE, "action": "include", "reason": "The school reports it."}]
    for posts in ([first], [first, second]):
        ctx = referral(case_with(posts=posts, overrides=include))
        assert not offences_printed(ctx) & COURSE, posts
        assert all("course of conduct" not in s for s in ctx["referral"]["offences"])


def test_a_course_of_conduct_counts_an_earlier_post_outside_the_letter():
    # P1 (removed, cyber-bullying: not serious, so not referred) and P2 (harassment) single out
    # the same pupil on two days: the letter covers P2 and names P1 as the earlier occasion.
    posts = [dict(BASE["posts"][0], id="P1", posted="2026-11-10T19:00", status="removed",
                  url="https://x.com/danq77/status/1", text="Ellie Fox is a liar.",
                  concerns=["cyberbullying", "names_pupil"],
                  about=[{"role": "pupil", "name": "Ellie Fox"}]),
             dict(BASE["posts"][0], id="P2", text="Ellie Fox again. Everyone avoid her.",
                  concerns=["harassment", "names_pupil"],
                  about=[{"role": "pupil", "name": "Ellie Fox"}])]
    ctx = referral(case_with(posts=posts))
    assert [p["id"] for p in ctx["posts"]] == ["P2"]
    assert "P1 and P2 may amount to harassment (Protection from Harassment Act 1997 s2): a " \
           "course of conduct on two occasions against the same person." in \
           ctx["referral"]["offences"]
    assert [r["id"] for r in ctx["evidence"]] == ["P1", "P2"]
    assert ctx["referral"]["earlier"][0].startswith("P1, posted on 10 November 2026 at 19:00, "
                                                    "has not been referred before.")
    assert ctx["letter"]["subject"].startswith("Repeated posts about a pupil on X")


def test_a_false_allegation_may_be_a_false_communication_only_when_recorded_untrue():
    post = dict(BASE["posts"][0], concerns=["allegation", "harassment"],
                text="Mr Vance steals from the school fund.")
    untrue = dict(post, about=[{"role": "staff", "name": "Mr R Vance",
                                "inaccurate": "Mr Vance has never handled the fund."}])
    assert "Online Safety Act 2023 s179" in offences_printed(referral(case_with(posts=[untrue])))
    assert "Online Safety Act 2023 s179" not in offences_printed(
        referral(case_with(posts=[post])))


def test_no_offence_matched_gives_the_override_reason_verbatim():
    # The override records no `by`: the reason is the school's, quoted as recorded.
    _, ctx = sample("016")
    assert ctx["referral"]["offences"] == []
    reason = ("The Headteacher judges that publishing Mrs Bennett's home address with an "
              "invitation to \"have a word with her\" is intimidating; Mrs Bennett has asked for "
              "police advice.")
    assert ctx["referral"]["reasons"] == [
        f"The school\u2019s reason for referring this matter: \u201c{reason}\u201d"]


def test_a_published_home_address_is_put_to_the_police_under_s127_never_as_no_offence():
    # BPS-2026-016: the table cannot tell from the concerns whether the address is published
    # with an invitation to confront; the letter asks the police to consider s127(1).
    _, ctx = sample("016")
    assert ctx["referral"]["no_offence"] == (
        "The school asks you to consider whether P1 may amount to sending a grossly offensive, "
        "indecent, obscene or menacing message over a public electronic communications network "
        "(Communications Act 2003 s127(1)): P1 gives the home address of Mrs S Bennett, and "
        "publishing a person\u2019s home address in a way that invites others to confront them "
        "may be menacing.")


def test_a_referral_matching_no_offence_asks_the_police_to_consider_and_never_says_none():
    post = dict(BASE["posts"][0], text="Mr Vance is useless.",
                concerns=["negative_comment", "names_staff"])
    include = [{"letter": POLICE, "action": "include", "reason": "Mr Vance feels intimidated."}]
    ctx = referral(case_with(posts=[post], overrides=include))
    assert ctx["referral"]["offences"] == []
    assert ctx["referral"]["no_offence"] == ("The school asks you to consider whether the post "
                                             "may amount to an offence, for the reason given "
                                             "above.")
    said = " ".join(str(v) for v in ctx["referral"].values())
    assert "not matched" not in said and "no offence" not in said.lower()


# --- the subject -------------------------------------------------------------------------------


@pytest.mark.parametrize(("case_id", "start"), [
    ("011", "Urgent: Threat of violence against a member of staff on X \u2013 Mr Lee Brannigan"),
    ("012", "Racist post about a family at the school on Nextdoor \u2013 Ms Shannon Pryce"),
    ("009", "Repeated posts about a pupil on Facebook"),
    ("016", "Urgent: Publication of personal details of a member of staff in a WhatsApp group"),
    ("024", "Urgent \u2013 further information for crime reference CR-0912/26: Threat of "
            "violence against a family at the school"),
])
def test_the_subject_names_what_happened(case_id, start):
    _, ctx = sample(case_id)
    subject = plain(ctx["letter"]["subject"])
    assert subject.startswith(start)
    assert "online posts about" not in subject.lower()


# --- the rendered samples ------------------------------------------------------------------------


def sample_letter(sample_run, case_id: str) -> Path:
    (path,) = (sample_run.out / f"BPS-2026-{case_id}").glob("*-police_referral.docx")
    return path


@pytest.mark.parametrize("case_id", SAMPLES)
def test_the_poster_the_posts_and_the_marking_are_there(sample_run, case_id):
    path = CASES / f"BPS-2026-{case_id}.yaml"
    case = validate_case(path, today=TODAY).case
    document = docx.Document(sample_letter(sample_run, case_id))
    text = text_of(document)
    assert case.poster.name in text
    for line in case.poster.address or []:
        assert line in text
    for post in [p for p in case.posts if p.id in text]:
        assert (post.url or "None (a WhatsApp message has no web address)") in text
    assert "OFFICIAL\u2013SENSITIVE" in text and "Page" in text
    assert "Dear Sir or Madam" in text and "Yours faithfully" in text


@pytest.mark.parametrize("case_id", SAMPLES)
def test_wishes_are_quoted_verbatim_or_said_to_be_unrecorded(sample_run, case_id):
    case = validate_case(CASES / f"BPS-2026-{case_id}.yaml", today=TODAY).case
    text = text_of(docx.Document(sample_letter(sample_run, case_id)))
    people = [a for p in case.posts for a in p.about if a.role != "school" and a.name]
    for person in people:
        if person.wishes:
            assert f"\u201c{person.wishes}\u201d" in text
    if not any(person.wishes for person in people):
        assert "I have not yet recorded whether" in text


def test_a_further_referral_quotes_the_crime_reference_and_the_earlier_referral(sample_run):
    document = docx.Document(sample_letter(sample_run, "024"))
    text = text_of(document)
    subject = next(p.text for p in document.paragraphs if p.style.name == "Subject")
    assert "CR-0912/26" in plain(subject)
    # The earlier referral was the Headteacher's, who signs this one: in the first person.
    assert "This adds to the matter I reported on 27 October 2026 (our reference " \
           "BPS-2026-024/02), crime reference CR-0912/26." in text
    assert "P1, posted on 26 October 2026 at 22:10, was referred on 27 October 2026" in text
    # Only P2 is new: P1 is told as the earlier post, not as one of this letter's.
    assert "P2: posted on Facebook on 28 November 2026 at 23:05" in text
    assert "P1: posted on" not in text
    # The crime reference never breaks across a line: no plain space or hyphen inside it.
    raw = "\n".join(blocks(document))
    assert "CR\u20110912\u2060/\u206026" in raw and "CR-0912" not in raw


def test_the_account_read_from_an_x_address_is_named(sample_run):
    text = text_of(docx.Document(sample_letter(sample_run, "011")))
    assert "The account that posted P1 is @leebrann88 (from the web address)." in text
    # X's law-enforcement address is unconfirmed in data/platforms.yaml: not given as a fact.
    assert "send X Corp. a preservation request for P1 and the account @leebrann88." in text
    assert "legalrequests.x.com" not in text


def test_preservation_is_asked_of_the_police_for_each_platform(sample_run):
    text = text_of(docx.Document(sample_letter(sample_run, "009")))
    assert "A platform generally discloses account data only on a request from the police, so " \
           "I should be grateful if you would send Meta Platforms Ireland Limited a preservation " \
           "request for P1 and P2 (https://www.facebook.com/records)." in text
    whatsapp = text_of(docx.Document(sample_letter(sample_run, "016")))
    assert "WhatsApp says it does not keep message content in the ordinary course." in whatsapp
    assert "ask WhatsApp Ireland Limited to preserve the sender\u2019s account data for P1." in \
        whatsapp
    assert "It was sent to the group; the school cannot tell whether it is still visible" in \
        whatsapp
    assert "It is still online" not in whatsapp


def test_the_schools_own_request_to_preserve_is_told_and_never_contradicted(sample_run):
    # The platform letter of the same run asks Meta to preserve; the police letter says so, and
    # asks the police only for what needs them (disclosure of the account data).
    platform = text_of(docx.Document(next(
        (sample_run.out / "BPS-2026-009").glob("*-host_takedown-facebook.docx"))))
    assert "Please preserve the content listed above, and the data of the account" in platform
    text = text_of(docx.Document(sample_letter(sample_run, "009")))
    assert "Today the school is asking Meta Platforms Ireland Limited to remove P1 and P2 and to " \
           "preserve the content and the account data until the police ask for them (our " \
           "reference BPS-2026-009/02)." in text
    for case_id in SAMPLES:
        said = text_of(docx.Document(sample_letter(sample_run, case_id)))
        assert "Only the police can" not in said and "can come only from" not in said, case_id


def test_a_recorded_platform_letter_is_said_to_ask_for_preservation_only_when_it_did():
    # letter/to_platform.py asks a platform to preserve only once the police know: a letter the
    # school drafted (its reference recorded) after the police were told.
    step = {"date": date(2026, 11, 22), "step": "host_takedown", "outcome": "pending",
            "by": "Office Manager", "posts": ["P1"]}
    include = [{"letter": POLICE, "action": "include", "reason": "The school reports it."}]
    lettered = case_with(history=[dict(step, reference="T-100/02")],
                         police={"told": date(2026, 11, 21)}, overrides=include)
    said = " ".join(referral(lettered)["referral"]["platforms"])
    assert "On 22 November 2026 the school asked X to remove P1 and to preserve the content and " \
           "the account data." in said
    for case in (case_with(history=[step], police={"told": date(2026, 11, 21)}),  # no letter
                 case_with(history=[dict(step, reference="T-100/02")])):  # police not told
        said = " ".join(referral(case)["referral"]["platforms"])
        assert "On 22 November 2026 the school asked X to remove P1." in said
        assert "preserve the content" not in said


def test_the_evidence_log_repeats_its_header_and_keeps_rows_whole(sample_run):
    document = docx.Document(sample_letter(sample_run, "009"))
    assert [s.orientation for s in document.sections] == [0, 1]  # portrait, landscape
    (table,) = document.tables
    rows = table._tbl.findall(qn("w:tr"))
    assert rows[0].find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is not None
    assert all(r.find(f"{qn('w:trPr')}/{qn('w:cantSplit')}") is not None for r in rows)
    widths = [int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert len(widths) == 9 and len(set(widths)) > 3
    assert max(widths) == widths[4]  # the post's words get the room
    assert sum(widths) / 566.9 <= 26.71
    assert all(cell.text.strip() for row in table.rows for cell in row.cells)  # no empty cell


def test_each_screenshot_is_logged_with_its_sha256(sample_run):
    document = docx.Document(sample_letter(sample_run, "009"))
    text = text_of(document)
    for post in ("P1", "P2"):
        digest = hashlib.sha256((CASES / "evidence" / f"BPS-2026-009-{post}.png").read_bytes())
        assert text.count(digest.hexdigest()) == 2  # in the log and in the caption
    captions = [p for p in document.paragraphs if p.style.name == "Caption"]
    assert len(captions) == 2 and all(p.paragraph_format.keep_with_next is not False
                                      and p.style.paragraph_format.keep_with_next
                                      for p in captions)
    assert "Screenshots of P1 and P2 follow the log." in text


def test_a_removed_post_with_its_screenshot_kept_is_shown_with_it(sample_run):
    # BPS-2026-012: the post was removed before the referral; the screenshot taken first is the
    # evidence, and the letter says so rather than "the school holds no screenshot".
    text = text_of(docx.Document(sample_letter(sample_run, "012")))
    digest = hashlib.sha256((CASES / "evidence" / "BPS-2026-012-P1.png").read_bytes()).hexdigest()
    assert text.count(digest) == 2
    assert "The school holds no screenshot of" not in text


@pytest.mark.parametrize("case_id", ("011", "016", "024"))
def test_no_screenshot_means_no_promise_of_one(sample_run, case_id):
    text = text_of(docx.Document(sample_letter(sample_run, case_id)))
    assert "follow the log" not in text and "follows the log" not in text
    assert "original screenshots" not in text
    assert re.search(r"No screenshot of (the post|P1 or P2) is attached: ", text)


def test_no_pupils_name_and_no_private_detail(sample_run):
    pupils = {"009": ("Sam Fenwick", "Jack Dutton", "Sam ", "Jack"),
              "011": ("Kai Morley",), "012": ("Mason Pryce",), "016": ("Poppy",),
              "024": ("Archie Hulme",)}
    for case_id, names in pupils.items():
        text = text_of(docx.Document(sample_letter(sample_run, case_id)))
        assert [n for n in names if n in text] == [], case_id
    text = text_of(docx.Document(sample_letter(sample_run, "016")))
    assert "7 Linden Drive" not in text and "red door" not in text
    assert "[home address of Mrs S Bennett removed from this copy]" in text
    assert "The home address of Mrs S Bennett has been removed from this copy of P1. The " \
           "unredacted original is available to the investigating officer." in text


@pytest.mark.parametrize("case_id", SAMPLES)
def test_harassment_is_never_a_finding(sample_run, case_id):
    # The letter's own words: its paragraphs (the posts are quoted only in the log's cells).
    text = "\n".join(p.text for p in docx.Document(sample_letter(sample_run, case_id)).paragraphs)
    text = re.sub("\u201c[^\u201d]*\u201d", "", text)  # the school's notes, quoted verbatim
    for line in text.splitlines():
        if "may amount to" in line:
            continue
        assert not re.search(r"harass|bully|has committed", line, re.I), line


# --- built cases -------------------------------------------------------------------------------


def test_a_call_to_the_police_is_followed_with_its_incident_number(template):
    case = case_with(police={"incident_number": "INC-2611-0042", "told": date(2026, 11, 21)},
                     actions=[{"action": "call_police", "date": date(2026, 11, 21),
                               "by": "Headteacher"}])
    text = text_of(render(referral(case), template))
    assert "I reported this to the police by telephone on 21 November 2026 (incident number " \
           "INC-2611-0042). This letter follows that call" in text


@pytest.mark.parametrize(("police", "calls", "said"), [
    # The day the school first told the police, and the incident number, without a recorded
    # call: when, and the number, but never "by telephone" or who.
    ({"incident_number": "INC-7", "told": date(2026, 11, 21)}, [],
     "The school first told the police about this on 21 November 2026. The police incident "
     "number is INC-7. This letter follows that report with the evidence the school holds."),
    # A call by someone other than the signatory: by role, in the third person.
    ({"incident_number": "INC-7"}, [{"date": date(2026, 11, 22), "by": "Office Manager"}],
     "The Office Manager reported this to the police by telephone on 22 November 2026 "
     "(incident number INC-7). This letter follows that call with the evidence the school "
     "holds."),
    # Told first one day, then a call: both, in order, each with its own date.
    ({"told": date(2026, 11, 21)}, [{"date": date(2026, 11, 22), "by": "Headteacher"}],
     "The school first told the police about this on 21 November 2026. I reported this to the "
     "police by telephone on 22 November 2026. This letter follows that call"),
    # Two calls: the incident number is not pinned to either.
    ({"incident_number": "INC-7"}, [{"date": date(2026, 11, 21), "by": "Headteacher"},
                                    {"date": date(2026, 11, 23), "by": "Office Manager"}],
     "I reported this to the police by telephone on 21 November 2026. The Office Manager "
     "reported this to the police again by telephone on 23 November 2026. The police incident "
     "number is INC-7. This letter follows those calls"),
])
def test_who_told_the_police_and_when_is_said_as_recorded(police, calls, said):
    case = case_with(police=police, actions=[dict(c, action="call_police") for c in calls])
    opening = plain(" ".join(referral(case)["referral"]["opening"]))
    assert said in opening
    if not calls:
        assert "telephone" not in opening and "reported this" not in opening


def test_a_threat_with_no_call_recorded_says_the_call_the_plan_asks_for(sample_run):
    # BPS-2026-011: the plan asks the office to ring the police today; nothing is recorded yet.
    text = text_of(docx.Document(sample_letter(sample_run, "011")))
    assert "The school is also reporting P1 by telephone today (999 if anyone is in immediate " \
           "danger, otherwise 101), and I will give you the incident number from that call." \
        in text
    assert "reported this" not in text and "first told the police" not in text
    # BPS-2026-024: the police already hold the matter (a crime reference); no call is claimed.
    text = text_of(docx.Document(sample_letter(sample_run, "024")))
    assert "by telephone" not in text and "no record of reporting" not in text


def test_who_the_school_has_told_is_said_only_when_recorded(template):
    bare = text_of(render(referral(case_with()), template))
    assert "designated safeguarding lead" not in bare and "was told what the school" not in bare
    post = dict(BASE["posts"][0], about=[{"role": "staff", "name": "Mr R Vance"}])
    told = case_with(posts=[post], actions=[
        {"action": "tell_dsl", "date": date(2026, 11, 21), "posts": ["P1"]},
        {"action": "support_staff", "date": date(2026, 11, 22), "posts": ["P1"]}])
    text = text_of(render(referral(told), template))
    assert "The school\u2019s designated safeguarding lead was told about P1 on 21 November " \
           "2026." in text
    assert "Mr Vance was told what the school is doing on 22 November 2026." in text


def test_the_unredacted_original_is_promised_only_when_the_case_records_it(tmp_path, template):
    (tmp_path / "evidence").mkdir()
    png = (CASES / "evidence" / "BPS-2026-009-P1.png").read_bytes()
    (tmp_path / "evidence" / "p1.png").write_bytes(png)
    post = dict(BASE["posts"][0], evidence="evidence/p1.png", evidence_redacted=True)
    without = text_of(render(referral(case_with(posts=[post]), tmp_path), template))
    assert "unredacted original" not in without
    assert "The screenshot of P1 attached is a redacted copy: pupils\u2019 names are blacked " \
           "out." in without
    kept = dict(post, evidence_original="Office safe, envelope 12")
    text = text_of(render(referral(case_with(posts=[kept]), tmp_path), template))
    assert "The screenshot of P1 attached is a redacted copy: pupils\u2019 names are blacked " \
           "out. The unredacted original of P1 is kept by the school and available to the " \
           "police on request." in text
    assert "Office safe" not in text  # where it is kept stays in the school
    assert hashlib.sha256(png).hexdigest() in text
    assert "Screenshot of P1 follows the log." in text


def test_private_details_are_removed_from_every_field(template):
    post = dict(BASE["posts"][0], text="Mr Vance lives at 4 Elm Close. Pay him a visit.",
                concerns=["personal_information", "threat_of_violence"],
                private_details=[{"text": "4 Elm Close", "kind": "home address",
                                  "person": "Mr R Vance"}],
                about=[{"role": "staff", "name": "Mr R Vance",
                        "wishes": "Mr Vance, of 4 Elm Close, wants the police to act."}])
    case = case_with(posts=[post], history=[
        {"date": date(2026, 11, 21), "step": "discussion", "outcome": "refused",
         "by": "Headteacher", "notes": "She repeated 4 Elm Close to me."}])
    text = text_of(render(referral(case), template))
    assert "4 Elm Close" not in text
    assert "[home address of Mr R Vance removed from this copy]" in text


def test_personal_information_without_recorded_details_is_not_quoted(template):
    post = dict(BASE["posts"][0], text="Her number is 07700 900123, ring her.",
                concerns=["personal_information", "harassment"])
    text = text_of(render(referral(case_with(posts=[post])), template))
    assert "07700" not in text
    assert "The text is not reproduced here because it contains personal information" in text


def test_an_anonymous_account_is_named_and_no_person_is_guessed(template):
    case = case_with(poster={"name": "Unknown", "identified": False})
    ctx = referral(case)
    assert "Unknown" not in ctx["letter"]["subject"]
    text = text_of(render(ctx, template))
    assert "The school does not know who operates the account @danq77 (from the web address)" \
        in text
    assert "believes that the post below was made by" not in text


def test_the_police_asking_to_hold_letters_is_respected_in_the_letter():
    ctx = referral(case_with(police={"hold_letters": True}))
    same_run = " ".join(ctx["referral"]["same_run"])
    assert "the school is not writing to Mr Quill for now" in same_run
    assert "formal warning" not in same_run


def test_a_pupils_name_in_any_field_is_initials(template):
    post = dict(BASE["posts"][0], text="Toby Quill's teacher Mr Vance will get a slap.",
                about=[{"role": "staff", "name": "Mr R Vance",
                        "wishes": "Mr Vance says Toby Quill was present; he will give a "
                                  "statement."}])
    text = text_of(render(referral(case_with(posts=[post])), template))
    assert "Toby" not in text and "[T.Q.]" in text


def test_the_lado_is_mentioned_only_when_the_consultation_is_recorded():
    post = dict(BASE["posts"][0], text="Mr Vance hurts the children in his class.",
                concerns=["allegation_of_harm", "threat_of_violence"])
    assert "designated officer" not in " ".join(
        referral(case_with(posts=[post]))["referral"]["safeguarding"])
    done = case_with(posts=[post], actions=[{"action": "consult_lado",
                                             "date": date(2026, 11, 21), "posts": ["P1"]}])
    assert "The allegation about Mr R Vance in P1 was referred to the local authority " \
           "designated officer on 21 November 2026." in referral(done)["referral"]["safeguarding"]


# --- the solicitor's review of the sample letters ---------------------------------------------


def test_a_whatsapp_message_is_said_to_go_to_the_groups_admin_not_to_whatsapp(sample_run):
    # BPS-2026-016: the platform letter goes to the group's admin (letter/to_platform.py).
    platform = text_of(docx.Document(next(
        (sample_run.out / "BPS-2026-016").glob("*-host_takedown-*.docx"))))
    assert "Mrs Kelly Ashby" in platform
    text = text_of(docx.Document(sample_letter(sample_run, "016")))
    assert "Today the school is writing to Mrs Kelly Ashby, the admin of the WhatsApp group " \
           "\u201cYear 5 mums\u201d, asking for P1 to be deleted for everyone in the group (our " \
           "reference BPS-2026-016/02)." in text
    assert "asking WhatsApp" not in text and "Limited today to remove" not in text
    # Screenshots the case does not record are never claimed, the school's or members'.
    assert "members of the group are" not in text and "group members" not in text


def test_a_recorded_whatsapp_request_names_the_admin_it_went_to():
    post = dict(BASE["posts"][0], platform="whatsapp", url=None, visibility="group",
                group={"name": "Class 3", "admin": "Mr Ian Pole"})
    step = {"date": date(2026, 11, 22), "step": "host_takedown", "outcome": "removed",
            "by": "Office Manager", "posts": ["P1"], "reference": "T-100/02"}
    ctx = referral(case_with(posts=[dict(post, status="removed")], history=[step]))
    assert "On 22 November 2026 the Office Manager wrote to Mr Ian Pole, the admin of the " \
           "WhatsApp group \u201cClass 3\u201d, asking for P1 to be deleted for everyone in the " \
           "group; P1 was removed." in ctx["referral"]["history"]
    in_app = dict(step, method="webform", reference=None)
    ctx = referral(case_with(posts=[dict(post, status="removed")], history=[in_app]))
    assert "On 22 November 2026 the Office Manager reported P1 to WhatsApp; P1 was removed." in \
        ctx["referral"]["history"]


@pytest.mark.parametrize(("case_id", "said"), [
    ("024", "Because P2 threatens violence against Mr and Mrs Nowak, I should be grateful for "
            "early contact."),
    ("011", "Because P1 threatens violence against Mr Riley, I should be grateful for early "
            "contact."),
    ("016", "Because P1 gives the home address of Mrs Bennett, I should be grateful for early "
            "contact."),
])
def test_early_contact_is_asked_for_on_what_the_case_records(case_id, said):
    # Never where the people are or when ("at the school gates every school day"): no case
    # field says so.
    _, ctx = sample(case_id)
    opening = " ".join(ctx["referral"]["opening"])
    assert said in opening
    assert "school day" not in opening and "gates" not in opening


def test_redacted_screenshots_are_said_to_be_redacted_copies_and_no_original_is_claimed(
        sample_run):
    # BPS-2026-009 records evidence_redacted and no evidence_original.
    text = text_of(docx.Document(sample_letter(sample_run, "009")))
    assert "The screenshots of P1 and P2 attached are redacted copies: pupils\u2019 names are " \
           "blacked out." in text
    assert "unredacted original" not in text and "original screenshots" not in text
    assert "The school has kept the screenshots listed in the log and its records of the posts, " \
           "and will not delete them." in text


def test_the_signatory_tells_her_own_steps_in_the_first_person(sample_run):
    text = text_of(docx.Document(sample_letter(sample_run, "009")))
    assert "On 5 October 2026 I met Mrs Dutton about P1; Mrs Dutton declined to remove it." in text
    text = text_of(docx.Document(sample_letter(sample_run, "024")))
    assert "On 27 October 2026 I referred P1 to the police" in text
    assert "On 28 October 2026 I sent Mr Hulme a formal warning about P1" in text
    # Someone else's step: by role, in the third person.
    assert "On 27 October 2026 the Office Manager asked Facebook to remove P1" in text
    assert "the Office Manager recorded the text of P1 on 27 October 2026 at 08:30; I recorded " \
           "the text of P2 on 30 November 2026 at 08:10." in text
    for case_id in SAMPLES:
        letter = "\n".join(p.text for p in docx.Document(sample_letter(sample_run, case_id))
                           .paragraphs)
        letter = re.sub("\u201c[^\u201d]*\u201d", "", letter)  # the school's notes, verbatim
        assert not re.search(r"the Headteacher (met|referred|sent|recorded|reported|wrote)",
                             letter), case_id


@pytest.mark.parametrize(("by", "whose"), [("Headteacher", "My reason"),
                                           ("Deputy Headteacher",
                                            "The Deputy Headteacher\u2019s reason"),
                                           (None, "The school\u2019s reason")])
def test_an_override_reason_is_the_reason_of_whoever_decided_it(by, whose):
    include = {"letter": POLICE, "action": "include", "reason": "Mr Vance feels unsafe."}
    if by:
        include["by"] = by
    post = dict(BASE["posts"][0], concerns=["negative_comment", "names_staff"])
    ctx = referral(case_with(posts=[post], overrides=[include]))
    assert ctx["referral"]["reasons"] == [
        f"{whose} for referring this matter: \u201cMr Vance feels unsafe.\u201d"]


def test_a_couple_is_two_people_as_targets_and_as_posters(template):
    # BPS-2026-024: the posts are about "Mr and Mrs A Nowak".
    _, ctx = sample("024")
    offences = " ".join(ctx["referral"]["offences"])
    assert "P1 and P2 may amount to harassment (Protection from Harassment Act 1997 s2): a " \
           "course of conduct on two occasions against the same two people." in offences
    assert "the same person" not in offences
    # Two threats on two days against a couple: s4's condition speaks of each of them.
    first = dict(BASE["posts"][0], posted="2026-11-19T20:00",
                 url="https://x.com/danq77/status/1000",
                 about=[{"role": "parent", "name": "Mr and Mrs R Vance"}])
    second = dict(first, id="P2", posted="2026-11-20T20:15",
                  url="https://x.com/danq77/status/1001")
    poster = dict(BASE["poster"], name="Mr and Mrs Dan Quill")
    ctx = referral(case_with(poster=poster, posts=[first, second]))
    assert "P1 and P2 may amount to putting people in fear of violence (Protection from " \
           "Harassment Act 1997 s4): a course of conduct on two occasions against the same two " \
           "people, if on each occasion it caused each of them to fear that violence would be " \
           "used against them." in ctx["referral"]["offences"]
    text = text_of(render(ctx, template))
    assert "The school believes that the posts below were made by Mr and Mrs Dan Quill, of 3 " \
           "Mill Row, Bexton, WA16 0QQ, the parents of a pupil at the school ([T.Q.], Year 3)." \
        in text
    assert "same person" not in text and "the parent of" not in text


def test_the_poster_is_called_by_their_salutation_not_the_last_word_of_their_name(template):
    poster = {**BASE["poster"], "name": "Dr Maria de la Cruz", "salutation": "Dr de la Cruz"}
    history = [{"date": date(2026, 11, 22), "step": "discussion", "outcome": "refused",
                "by": "Headteacher"}]
    text = " ".join(text_of(render(referral(case_with(poster=poster, history=history)),
                                   template)).split())
    assert "Dr de la Cruz" in text
    assert "Dr Cruz" not in text


def test_024_a_warning_whose_post_was_removed_says_the_post_was_removed_not_it():
    # "a formal warning about P1; it was removed" reads as if the letter had been removed.
    _, ctx = sample("024")
    history = plain(" ".join(ctx["referral"]["history"]))
    assert "a formal warning about P1; P1 was removed." in history
    assert "; it was removed" not in history


def test_012_one_screenshot_is_the_screenshot(sample_run):
    text = text_of(docx.Document(sample_letter(sample_run, "012")))
    assert "The school has kept the screenshot listed in the log and its records of the post, " \
           "and will not delete them." in text


def test_009_the_reach_is_labelled_as_the_schools_knowledge(sample_run):
    text = text_of(docx.Document(sample_letter(sample_run, "009")))
    assert ("It is about [S.F.] (a pupil). Reach, as far as the school knows: A closed group of "
            "about 2,300 members, most of them local parents. It is still online.") in text


def test_011_letters_waiting_for_the_call_are_drafted_not_sent_today(sample_run):
    # "Today the school is also sending Mr Brannigan a formal warning" contradicted "the school
    # will not send its letters until it has spoken to the police" a line below.
    text = text_of(docx.Document(sample_letter(sample_run, "011")))
    assert ("The school has also drafted a formal warning to Mr Brannigan about P1 and a letter to "
            "Mr Brannigan about access to the school premises, and will not send them until it "
            "has spoken to the police.") in text
    assert "sending Mr Brannigan" not in text
