"""The four letters to the poster (concern, warning, access restriction, premises notice): facts.

What a reader of each letter must find, and what must never be there (letter-spec 1-4, 8, 9):
the respond-by date (two working days when urgent); every post in scope quoted as written, a
staff member's private details aside; the school's history with the poster, in the first person
when the signatory acted; the complaints procedure in its fixed form; no police unless the
police agreed (`police.may_tell_poster`), or as a possible next step while they are not involved;
no "harassment" finding; no policy example about complaints; only the next steps still open;
never a decision's internal reason; the poster's children by first name and no other pupil.
Checked over the sample letters (the session's `sample_run`) and over small cases built here,
rendered straight from the templates.

A solicitor's review of the sample letters added: an allegation that someone harmed a child is
"not accepted", never called untrue, and pointed to the safeguarding route; every warning says
what may follow; a meeting is about the posts made before it; "agreed" only for a date the case
records as agreed; every letter offers the direct route and the complaints procedure; "in public"
only for public posts; a decision's internal reason never reaches the poster; subject lines say
who the posts concern; no sentence or stock phrase twice in one letter.
"""

from __future__ import annotations

import copy
import io
import re
from datetime import date
from functools import cache
from pathlib import Path

import docx
import pytest
import yaml

from pipeline.case.load import load_school
from pipeline.case.model import Case
from pipeline.dates import add_days, add_working_days, long_date
from pipeline.dispatch import Dispatch
from pipeline.docx.package import DocumentProperties
from pipeline.docx.template import CompiledTemplate
from pipeline.letter.context import LetterMeta, build_context
from pipeline.letter.parts import Sibling
from pipeline.letter.to_poster import concerning
from pipeline.policy import decide

REPO = Path(__file__).resolve().parent.parent
SCHOOL = load_school(REPO / "data" / "school.yaml")
DAY = date(2026, 12, 1)
POSTER_KINDS = ("concern", "warning", "access_restriction", "premises_notice")
COMPLAINTS = ("If you would prefer to make a formal complaint, the school\u2019s complaints "
              "procedure is on the school website and available from the school office, and any "
              "complaint will be considered fairly.")
COMPLAINTS_EXAMPLE = "Making complaints about the School/staff at the School"
POLICE_WORDS = ("police", "constabulary", "crime reference")
S547 = "and the school may ask the police to remove anyone who does so"

# --- reading a letter ----------------------------------------------------------------------------


@cache
def template(kind: str) -> CompiledTemplate:
    return CompiledTemplate.load(REPO / "letter_templates" / f"{kind}.docx")


def paragraphs_of(data: bytes | Path) -> list[tuple[str, str]]:
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    return [(p.style.name, p.text) for p in docx.Document(source).paragraphs]


class Letter:
    """A drafted letter as a reader sees it, and the case and plan it came from."""

    def __init__(self, paragraphs: list[tuple[str, str]], case: Case, kind: str, plan):
        self.paragraphs, self.case, self.kind, self.plan = paragraphs, case, kind, plan
        self.planned = next(l for l in plan.letters if l.kind == kind)
        self.text = "\n".join(t for _, t in paragraphs)
        self.posts = [case.post(pid) for pid in self.planned.posts]
        self.context: dict = {}  # the template context, for letters built here

    def outside_quotes(self) -> str:
        """The letter's own words: the posts' quoted text, the override reasons quoted verbatim,
        and the policy's own examples left out."""
        text = self.text
        for post in self.case.posts:
            text = text.replace(outgoing(post), "")
        for reason in self.planned.overrides:
            text = text.replace(reason, "")
        return text.replace("Making allegations about staff or pupils at the "
                            "School/cyber-bullying;", "")


def outgoing(post) -> str:
    """The post as a letter that leaves the school quotes it."""
    text = post.text.removesuffix("\n")
    for d in post.private_details:
        who = f" of {d.person}" if d.person else ""
        text = text.replace(d.text, f"[{d.kind}{who} removed from this copy]")
    return text


def built(data: dict, kind: str, *, today: date = DAY, school=SCHOOL) -> Letter:
    """Plan `data` on `today` and render its `kind` letter from the shipped template."""
    case = Case.model_validate(data)
    plan = decide(case, school, today=today)
    letter = next(l for l in plan.letters if l.kind == kind)
    siblings = tuple(Sibling(o, f"{case.case_id}/{n:02d}")
                     for n, o in enumerate(plan.letters, 1) if o != letter)
    meta = LetterMeta(reference=f"{case.case_id}/09", letter_date=today)
    context = build_context(letter, case, school, meta, None, plan=plan, siblings=siblings,
                            today=today)
    properties = DocumentProperties(title="t", subject="s", author=school.name, keywords="k",
                                    letter_date=today)
    found = Letter(paragraphs_of(template(kind).render(context, properties, kind=kind)), case,
                   kind, plan)
    found.context = context
    return found


def sample(sample_run, case_id: str, kind: str) -> Letter:
    path = REPO / "data" / "cases" / f"{case_id}.yaml"
    case = Case.model_validate(yaml.safe_load(path.read_text("utf-8")))
    plan = decide(case, SCHOOL, today=DAY)
    (found,) = (sample_run.out / case_id).glob(f"{case_id}-[0-9][0-9]-{kind}.docx")
    return Letter(paragraphs_of(found), case, kind, plan)


def has(word: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}", text, re.IGNORECASE) is not None


# --- a small case to vary -------------------------------------------------------------------------

BASE: dict = {
    "case_id": "T-014", "opened": date(2026, 11, 2),
    "poster": {"name": "Mrs Jane Doe", "salutation": "Mrs Doe", "relationship": "parent",
               "address": ["12 Example Road", "Bexton", "WA16 0XX"],
               "children": [{"name": "Ruby Doe", "class": "Year 2"},
                            {"name": "Alfie Doe", "class": "Year 5"}]},
    "posts": [{"id": "P1", "platform": "facebook",
               "url": "https://www.facebook.com/jane.doe/posts/1", "posted": date(2026, 11, 20),
               "text": "Mr A Teacher at Bexton is a thief & a liar.\n\"Share\" <this>!",
               "concerns": ["defamatory", "names_staff"],
               "about": [{"role": "staff", "name": "Mr A Teacher",
                          "inaccurate": "All of it: no money went missing."}]}],
    "history": [],
}


def case(**changes) -> dict:
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(changes))
    return data


def post(**changes) -> dict:
    data = copy.deepcopy(BASE["posts"][0])
    data.update(changes)
    return data


MET_BY_ME = {"date": date(2026, 11, 23), "step": "discussion", "outcome": "refused",
             "by": "Headteacher", "posts": ["P1"], "notes": "INTERNAL NOTE: do not print."}
THREAT = post(text="Mr A Teacher had better watch out at the gate, I'll knock him out.",
              concerns=["threat_of_violence", "names_staff"], platform="x",
              url="https://x.com/janedoe/status/1", posted=date(2026, 11, 30),
              about=[{"role": "staff", "name": "Mr A Teacher"}])
POLICE_TOLD = {"crime_reference": "CR-5555/26", "force": "Cheshire Constabulary",
               "told": date(2026, 11, 30)}
BAR = {"letter": "premises_notice", "action": "include", "until": date(2027, 2, 12),
       "reason": "Mr Teacher and the staff on the gate feel threatened by Mrs Doe's post."}


# --- the sample letters ---------------------------------------------------------------------------

SAMPLE_LETTERS = [("BPS-2026-004", "concern"), ("BPS-2026-007", "warning"),
                  ("BPS-2026-007", "access_restriction"), ("BPS-2026-009", "warning"),
                  ("BPS-2026-011", "warning"), ("BPS-2026-011", "premises_notice"),
                  ("BPS-2026-014", "warning"), ("BPS-2026-016", "warning"),
                  ("BPS-2026-018", "concern"), ("BPS-2026-022", "warning"),
                  ("BPS-2026-025", "warning")]


def test_the_samples_draft_these_letters_to_the_poster(sample_run):
    found = sorted((p.parent.name, kind) for kind in POSTER_KINDS
                   for p in sample_run.out.glob(f"*/*-{kind}.docx"))
    assert found == sorted(SAMPLE_LETTERS)


@pytest.mark.parametrize("case_id, kind", SAMPLE_LETTERS)
def test_sample_letter_facts(sample_run, case_id, kind):
    letter = sample(sample_run, case_id, kind)
    text, own = letter.text, letter.outside_quotes()
    # The respond-by date the plan gives, in the letter's form; two working days when urgent.
    respond_by = letter.planned.respond_by
    assert respond_by and long_date(respond_by) in text
    if letter.planned.urgent and kind in ("concern", "warning"):
        assert respond_by == add_working_days(DAY, 2)
        assert f"{long_date(respond_by)} (two working days)" in text
    # Every post in scope, quoted as written (a staff member's private details replaced).
    for p in letter.posts:
        assert outgoing(p) in [t for s, t in letter.paragraphs if s == "Quote"], p.id
        for detail in p.private_details:
            assert detail.text not in text
    assert COMPLAINTS in text
    assert COMPLAINTS_EXAMPLE not in text
    assert "No decision" not in text and "no decision" not in text
    assert "Take other legal action" not in text
    assert not has("harass", own), "harassment is never a finding"
    assert not has("bully", own) and not has("bullied", own)
    assert "the Headteacher" not in own, "the signatory writes in the first person"
    # No sample case records that the police agreed the poster may be told.
    police_free = own.replace(S547, "") if kind == "premises_notice" else own
    assert [w for w in POLICE_WORDS if has(w, police_free)] == []
    assert "CR-" not in text and "CR\u2011" not in text
    for step in letter.case.history:  # internal notes never reach the poster
        assert not step.notes or step.notes not in text


@pytest.mark.parametrize("case_id", ["BPS-2026-009", "BPS-2026-014", "BPS-2026-022",
                                     "BPS-2026-025", "BPS-2026-007"])
def test_sample_warnings_tell_the_history_in_the_first_person(sample_run, case_id):
    letter = sample(sample_run, case_id, "warning")
    for step in letter.case.history:
        if step.step in ("discussion", "concern_letter"):
            assert long_date(step.date) in letter.text
    assert re.search(r"On \d+ \w+ 2026 I (met|wrote to) you", letter.text)
    assert "What has happened so far" in letter.text


def test_a_grave_first_letter_says_why_it_is_written_at_once(sample_run):
    letter = sample(sample_run, "BPS-2026-011", "warning")
    assert "at once" in letter.text
    assert "further to" not in letter.text and "What has happened so far" not in letter.text
    assert "I am also asking X to remove the post" in letter.text  # the same run's X letter
    assert "access to the school premises" in letter.text  # the same run's premises notice


def test_the_own_forum_post_is_removed_by_the_school_never_by_the_poster(sample_run):
    warning = sample(sample_run, "BPS-2026-007", "warning")
    assert "remove the post" not in warning.text
    assert "The school is removing" in warning.text
    assert "restrict your access to the Bexton parents' forum" in warning.text
    assert "Contact the host/provider" not in warning.text
    # Nothing left open for this post (the forum is done), but the warning still says what a
    # further post may lead to, without listing steps the policy does not give for it.
    assert ("If you post material like this again, the school will consider what further steps "
            "to take under its Social Media Policy.") in warning.text
    assert "These could include" not in warning.text


def test_the_access_restriction_has_an_end_and_one_review_date(sample_run):
    letter = sample(sample_run, "BPS-2026-007", "access_restriction")
    assert letter.planned.respond_by == add_working_days(DAY, 10)
    until = long_date(add_days(DAY, 84))  # no decision gives an end: twelve weeks
    assert f"from 1 December 2026 until {until}" in letter.text
    by_dates = set(re.findall(r"\bby (\d+ \w+ \d{4})", letter.text))
    assert by_dates == {long_date(letter.planned.respond_by)}
    assert SCHOOL.forum_name in letter.text


def test_the_premises_notice_gives_its_reasons_but_never_the_internal_one(sample_run):
    letter = sample(sample_run, "BPS-2026-011", "premises_notice")
    (reason,) = letter.planned.overrides
    assert reason not in letter.text  # written for staff (011/04 quoted it)
    assert "The threat in your post is the reason for my decision." in letter.text
    assert "12 February 2027" in letter.text  # the override's `until`
    assert "15 December 2026" in letter.text  # representations: ten working days
    assert "22 December 2026" in letter.text  # the decision, five working days after
    assert "Kai" in letter.text and "Kai Morley" not in letter.text
    assert "your child" not in letter.text  # Mr Brannigan is Kai's uncle
    assert "section 547" in letter.text


def test_whatsapp_asks_for_a_withdrawal_in_the_group(sample_run):
    letter = sample(sample_run, "BPS-2026-016", "warning")
    assert "withdraw" in letter.text and "in the group" in letter.text
    assert "to remove the post quoted above" not in letter.text
    assert "admin of the group \u201cYear 5 mums\u201d" in letter.text


def test_the_same_runs_platform_letters_and_legal_advice_are_told(sample_run):
    letter = sample(sample_run, "BPS-2026-014", "warning")
    assert "I am also asking Facebook to remove the post of 19 November 2026." in letter.text
    assert "asking Instagram" not in letter.text  # P2 gives the school no ground to ask it
    assert "I am taking legal advice" in letter.text
    # Every step for these posts is in this run: what may follow is about a further post.
    steps = letter.text[letter.text.index("What may happen next"):]
    assert steps.split("\n")[1] == ("If you post material like this again, the school may take "
                                    "a further step under its Social Media Policy: asking the "
                                    "platform concerned to remove any further post. I very much "
                                    "hope that this will not be needed.")
    assert "These could include" not in steps  # never a list of one
    assert "taking legal advice" not in steps and "not removed by" not in steps


def test_mild_cases_ask_only_that_the_name_come_out(sample_run):
    for case_id, kind, name in (("BPS-2026-004", "concern", "Miss Ellis"),
                                ("BPS-2026-018", "concern", "Mrs Doyle"),
                                ("BPS-2026-022", "warning", "Mr Okafor")):
        letter = sample(sample_run, case_id, kind)
        asks = [t for _, t in letter.paragraphs if "so that it no longer names" in t
                or "so that they no longer name" in t]
        assert asks and name in asks[0], (case_id, asks)
        assert "You are entitled to raise concerns about the school" in letter.text
        assert "Posting negative/offensive comments" not in letter.text


def test_the_dinner_portions_case_is_a_concern_letter_by_the_schools_decision():
    data = yaml.safe_load((REPO / "data" / "cases" / "BPS-2026-018.yaml").read_text("utf-8"))
    plan = decide(Case.model_validate(data), SCHOOL, today=DAY)
    assert [l.kind for l in plan.letters] == ["concern"]
    assert plan.letters[0].overrides  # included with its reason
    assert {e.kind for e in plan.excluded} == {"warning", "host_takedown"}
    assert all(e.reason for e in plan.excluded)


def test_the_plan_asks_whether_a_warning_over_a_governor_is_proportionate():
    data = yaml.safe_load((REPO / "data" / "cases" / "BPS-2026-022.yaml").read_text("utf-8"))
    plan = decide(Case.model_validate(data), SCHOOL, today=DAY)
    assert ("P1: criticism of the school naming Mr D Okafor; consider whether a formal warning "
            "is proportionate \u2014 a concern letter may be enough (override: exclude warning, "
            "include concern)") in plan.notes


# --- built cases ---------------------------------------------------------------------------------


def test_criticism_only_is_never_objected_to():
    data = case(posts=[post(text="The new lunch times at this school are a shambles.",
                            concerns=["negative_comment"], about=[{"role": "school"}])])
    letter = built(data, "concern")
    assert "I am not asking you to remove" in letter.text
    assert "remove the post quoted above" not in letter.text
    assert "Why I am concerned" not in letter.text
    assert "You are entitled to raise concerns about the school" in letter.text
    assert long_date(letter.planned.respond_by) in letter.text
    assert COMPLAINTS in letter.text
    assert any(n.startswith("P1 is criticism of the school, which is protected expression")
               for n in letter.plan.notes)


def test_a_warning_for_a_grumble_gets_a_proportion_note_and_a_proportionate_letter():
    data = case(posts=[post(text="Mr A Teacher sets far too much homework.",
                            concerns=["complaint", "names_staff"],
                            about=[{"role": "staff", "name": "Mr A Teacher"}])],
                history=[MET_BY_ME])
    letter = built(data, "warning")
    assert ("P1: criticism of the school naming Mr A Teacher; consider whether a formal warning "
            "is proportionate \u2014 a concern letter may be enough (override: exclude warning, "
            "include concern)") in letter.plan.notes
    assert "so that it no longer names Mr Teacher" in letter.text
    assert "Are such comments likely to cause emotional or reputational harm" in letter.text
    steps = letter.text[letter.text.index("What may happen next"):]
    # A grumble gives no ground to ask a platform (no rule of its broken, nothing unlawful), so
    # no step is listed: the school will consider what to do.
    assert ("If you post material like this again, the school will consider what further steps "
            "to take under its Social Media Policy.") in steps
    assert "asking the platform" not in steps
    assert "legal" not in letter.outside_quotes() and not has("police", steps)


@pytest.mark.parametrize(("name", "pronoun"), [
    ("Mr A Teacher", "him"), ("Mrs A Teacher", "her"), ("Ms A Teacher", "her"),
    ("Dr A Teacher", "them"), ("Mr and Mrs A Teacher", "them"), ("Alex Teacher", "them")])
def test_a_named_member_of_staff_is_him_her_or_them_as_the_title_says(name, pronoun):
    data = case(posts=[post(text=f"{name} sets far too much homework.",
                            concerns=["complaint", "names_staff"],
                            about=[{"role": "staff", "name": name}])],
                history=[MET_BY_ME])
    letter = built(data, "warning")
    assert f"and criticises {pronoun} personally" in letter.text


def test_a_mild_warning_included_by_decision_never_quotes_its_internal_reason():
    reason = "Mrs Doe has been asked twice and has now posted again."
    data = case(posts=[post(text="Mr A Teacher sets far too much homework.",
                            concerns=["complaint", "names_staff"],
                            about=[{"role": "staff", "name": "Mr A Teacher"}])],
                overrides=[{"letter": "warning", "action": "include", "reason": reason}])
    letter = built(data, "warning")
    assert reason not in letter.text and "My reason is this" not in letter.text
    assert ("Having considered the matter carefully, I have decided to write to you formally."
            in letter.text)
    # Nor can an edited template print it: the context holds no staff reason or note.
    assert not any(reason in r for r in letter.context["reasons"])
    assert not any("proportionate" in n for n in letter.plan.notes)


@pytest.mark.parametrize("by, said", [
    ("Headteacher", "I met you"), ("Mrs Carter", "I met you"), ("Mrs H. Carter", "I met you"),
    ("Deputy Headteacher", "my colleague, the Deputy Headteacher, met you"),
    ("Mr B Jones", "my colleague Mr B Jones met you")])
def test_history_is_in_the_first_person_when_the_signatory_acted(by, said):
    data = case(history=[MET_BY_ME | {"by": by}])
    letter = built(data, "warning")
    assert f"On 23 November 2026 {said} about your post" in letter.text
    assert "INTERNAL NOTE" not in letter.text
    first_person = said.startswith("I ")
    assert ("our meeting on 23 November 2026" in letter.text) == first_person


def test_a_concern_letter_never_mentions_escalation():
    letter = built(case(), "concern")  # a defamatory post: the gentle first letter
    own = letter.outside_quotes()
    for word in ("police", "legal", "Facebook to remove", "formal warning"):
        assert not has(word, own), word
    assert "Mr A Teacher" in own and "which are untrue" in own
    assert "All of it: no money went missing." not in letter.text  # the person's own data


def test_no_police_unless_the_police_agree():
    data = case(posts=[THREAT], police=POLICE_TOLD)
    letter = built(data, "warning")
    assert [w for w in POLICE_WORDS if has(w, letter.outside_quotes())] == []
    assert "CR-5555/26" not in letter.text and "CR\u20115555/26" not in letter.text
    agreed = built(case(posts=[THREAT], police=POLICE_TOLD | {"may_tell_poster": DAY}),
                   "warning")
    assert "The school has reported this matter to Cheshire Constabulary" in agreed.text
    assert "CR\u20115555/26" in agreed.text  # kept on one line


def test_a_threat_is_urgent_and_comes_after_the_police():
    letter = built(case(posts=[THREAT]), "warning")
    assert letter.planned.send_after == ("call_police",)
    assert f"{long_date(add_working_days(DAY, 2))} (two working days)" in letter.text
    assert "at once" in letter.text


def test_next_steps_are_only_the_possible_ones():
    # A defamatory Facebook post after a refusal, with the platform and legal letters excluded:
    # both are still open, so both are listed; the police never are.
    data = case(history=[MET_BY_ME], overrides=[
        {"letter": "host_takedown", "action": "exclude", "reason": "Not yet."},
        {"letter": "legal_referral", "action": "exclude", "reason": "Not yet."}])
    letter = built(data, "warning")
    steps = letter.text[letter.text.index("What may happen next"):]
    assert "asking Facebook to remove the post" in steps
    assert "taking legal advice" in steps
    assert not has("police", steps)
    # A forum post: the host is the school; nothing to ask of a platform.
    forum = case(posts=[post(platform="school_forum", url="https://forum.example/t/1",
                             text="Mr A Teacher is useless and rude.",
                             concerns=["negative_comment", "names_staff", "cyberbullying"],
                             about=[{"role": "staff", "name": "Mr A Teacher"}])],
                 history=[MET_BY_ME])
    warning = built(forum, "warning")
    assert "Contact the host" not in warning.text and "Facebook" not in warning.text
    assert "remove the post" not in warning.text
    assert "I have also decided to restrict your access" in warning.text


def test_a_premises_notice_for_a_parent_names_the_children_by_first_name():
    data = case(posts=[post(text="Tom Smith's dad had better watch out at the gate.",
                            concerns=["threat_of_violence", "names_pupil"],
                            about=[{"role": "pupil", "name": "Tom Smith"}])],
                police=POLICE_TOLD, overrides=[BAR])
    letter = built(data, "premises_notice")
    own = letter.outside_quotes()
    assert "Bringing and collecting your children" in own
    assert "Ruby" in own and "Alfie" in own
    assert "Ruby Doe" not in own and "Alfie Doe" not in own
    assert "Tom" not in own  # another pupil: only in the quoted post
    assert BAR["reason"] not in letter.text  # written for staff
    assert "The threat in your post is the reason for my decision." in letter.text
    assert "12 February 2027" in letter.text
    assert long_date(add_working_days(DAY, 10)) in letter.text
    assert [w for w in POLICE_WORDS if has(w, own.replace(S547, ""))] == []


def test_a_premises_notice_without_an_end_date_is_noted_and_still_ends():
    bar = {k: v for k, v in BAR.items() if k != "until"}
    letter = built(case(posts=[THREAT], police=POLICE_TOLD, overrides=[bar]), "premises_notice")
    assert any(n.startswith("state the period of the bar") for n in letter.plan.notes)
    assert f"it will last until {long_date(add_days(DAY, 84))}" in letter.text


def test_personal_details_never_leave_the_school():
    address = "7 Linden Drive, the one with the red door"
    whatsapp = post(platform="whatsapp", url=None, visibility="group",
                    text=f"Mrs S Bennett lives at {address}, go and have a word.",
                    concerns=["personal_information", "names_staff"],
                    group={"name": "Year 5 mums", "admin": "Mrs K Ashby"},
                    private_details=[{"text": address, "kind": "home address",
                                      "person": "Mrs S Bennett"}],
                    about=[{"role": "staff", "name": "Mrs S Bennett"}])
    letter = built(case(posts=[whatsapp]), "warning")
    assert address not in letter.text and "Linden" not in letter.text
    assert "[home address of Mrs S Bennett removed from this copy]" in letter.text
    assert "(a home address), which I have not repeated in this letter" in letter.text
    assert "withdraw" in letter.text
    # Without private_details recorded, the text is not quoted at all, and the plan says so.
    unrecorded = {k: v for k, v in whatsapp.items() if k != "private_details"}
    bare = built(case(posts=[unrecorded]), "warning")
    assert "Linden" not in bare.text
    assert "not reproduced here because it contains personal information" in bare.text
    assert any(n.startswith("record private_details for P1") for n in bare.plan.notes)


def test_the_chair_signs_when_the_signatory_is_the_person_criticised():
    data = case(posts=[post(text="Mrs Carter the head is a liar.",
                            concerns=["negative_comment", "names_staff", "cyberbullying"],
                            about=[{"role": "staff", "name": "Mrs H Carter"}])],
                history=[MET_BY_ME])
    letter = built(data, "warning")
    closing = [t for _, t in letter.paragraphs]
    i = closing.index("Yours sincerely")
    assert closing[i + 1:i + 3] == [SCHOOL.chair_of_governors, "Chair of Governors"]
    # The Headteacher met the parent: to the Chair, a colleague.
    assert "my colleague, the Headteacher, met you" in letter.text


def test_a_later_post_is_told_as_posting_again():
    later = post(id="P2", url="https://www.facebook.com/jane.doe/posts/2",
                 posted=date(2026, 11, 25), text="Still saying it: Mr A Teacher is a thief.")
    letter = built(case(posts=[BASE["posts"][0], later], history=[MET_BY_ME]), "warning")
    assert "Since then you have posted again on 25 November 2026 (Facebook)." in letter.text
    # Quoted oldest first.
    assert letter.text.index("On 20 November 2026 you posted") \
        < letter.text.index("On 25 November 2026 you posted")


# --- the solicitor's review ----------------------------------------------------------------------

WARNINGS = [case_id for case_id, kind in SAMPLE_LETTERS if kind == "warning"]
HARM = post(text="Mr A Teacher hurt a child at his last school and nicked the trip money.",
            concerns=["allegation_of_harm", "defamatory", "names_staff"],
            about=[{"role": "staff", "name": "Mr A Teacher",
                    "inaccurate": "All of it: he left on promotion."}])


def body(letter: Letter) -> str:
    """The letter from the salutation to the signature: what the signatory says."""
    return letter.text[letter.text.index("Dear "):letter.text.index("Yours sincerely")]


def section(letter: Letter, heading: str) -> list[str]:
    """The paragraphs under `heading`, up to the next heading."""
    texts = [(style, text) for style, text in letter.paragraphs]
    start = next(i for i, (_, t) in enumerate(texts) if t == heading)
    out = []
    for style, text in texts[start + 1:]:
        if style.startswith("Heading") or text == "Yours sincerely":
            break
        out.append(text)
    return out


# 1. An allegation of harm to a child: not accepted, never "untrue"; the safeguarding route.

@pytest.mark.parametrize("kind, history", [("concern", []), ("warning", [MET_BY_ME])])
def test_an_allegation_of_harm_is_not_accepted_and_never_called_untrue(kind, history):
    letter = built(case(posts=[HARM], history=history), kind)
    own = letter.outside_quotes()
    assert "untrue" not in own.replace("If statements like these are untrue", "")
    assert ("alleges that Mr A Teacher has harmed a child or is a risk to children. The school "
            "does not accept this allegation.") in own
    assert ("Any concern about a child\u2019s safety must be raised with the school\u2019s "
            "designated safeguarding lead under our safeguarding procedure (or "
            "with the local authority), not online.") in own
    assert "All of it: he left on promotion." not in letter.text  # his own words stay inside


def test_the_sample_harm_allegation_is_not_prejudged(sample_run):
    letter = sample(sample_run, "BPS-2026-014", "warning")
    assert "which are untrue" not in letter.text
    assert "The school does not accept this allegation." in letter.text
    assert "The same post also makes other statements of fact about Mr Hargreaves, which the " \
        "school disputes." in letter.text


def test_the_designated_safeguarding_lead_is_named_from_the_school_profile():
    data = case(posts=[HARM], history=[MET_BY_ME])
    named = built(data, "warning",
                  school=SCHOOL.model_copy(update={"designated_safeguarding_lead": "Mrs K Patel"}))
    assert ("raised with the school\u2019s designated safeguarding lead, Mrs K Patel, under our "
            "safeguarding procedure") in named.text
    me = built(data, "warning", school=SCHOOL.model_copy(
        update={"designated_safeguarding_lead": SCHOOL.signatory.name}))
    assert "raised with me, as the school\u2019s designated safeguarding lead, under" in me.text
    # Never the person the allegation is about.
    accused = built(data, "warning", school=SCHOOL.model_copy(
        update={"designated_safeguarding_lead": "Mr A Teacher"}))
    assert "raised with the school\u2019s designated safeguarding lead under" in accused.text


# 2. Every warning says what may follow, as possible steps the policy gives for these posts.

@pytest.mark.parametrize("case_id", WARNINGS)
def test_every_sample_warning_says_what_may_happen_next(sample_run, case_id):
    letter = sample(sample_run, case_id, "warning")
    (lead, *steps) = section(letter, "What may happen next")
    assert re.fullmatch(r"If (the posts? (is|are) not removed by \d+ \w+ \d{4}, or if )?you post "
                        r"material like this again, the school (may take further steps under its "
                        r"Social Media Policy\. These could include:|may take a further step under "
                        r"its Social Media Policy: (asking|restricting|taking|contacting) [^:]+\. I "
                        r"very much hope that this will not be needed\.|will consider what further "
                        r"steps to take under its Social Media Policy\.)", lead), lead
    # A list has at least two steps (one step is said in the sentence above).
    if lead.endswith("These could include:"):
        assert len(steps) >= 3  # two steps or more, then "I very much hope that none …"
    for step in steps[:-1]:
        assert step.startswith(("asking", "restricting", "taking", "contacting")), step


def test_the_police_are_a_possible_next_step_only_where_the_policy_allows_and_they_are_not_involved():
    held_back = {"letter": "police_referral", "action": "exclude", "reason": "Not yet."}
    threat = built(case(posts=[THREAT], overrides=[held_back]), "warning")
    steps = section(threat, "What may happen next")
    assert steps[0].startswith(f"If the post is not removed by "
                               f"{long_date(add_working_days(DAY, 2))}, or if you post material")
    assert "contacting the police;" in steps
    # Told the police (and not agreed the poster may know): nothing about the police at all.
    told = built(case(posts=[THREAT], police=POLICE_TOLD), "warning")
    assert not has("police", "\n".join(section(told, "What may happen next")))
    # A defamatory post is no matter for the police.
    defamatory = built(case(history=[MET_BY_ME], overrides=[
        {"letter": "legal_referral", "action": "exclude", "reason": "Not yet."}]), "warning")
    assert not has("police", "\n".join(section(defamatory, "What may happen next")))


# 3. A meeting (or letter) can only have been about the posts made before it.

def test_a_meeting_is_told_as_about_the_posts_made_before_it():
    later = post(id="P2", platform="instagram", url="https://www.instagram.com/p/X1/",
                 posted=date(2026, 11, 25), text="Mr A Teacher is a thief, still.")
    met = {k: v for k, v in MET_BY_ME.items() if k != "posts"}  # covers every post
    letter = built(case(posts=[BASE["posts"][0], later], history=[met]), "warning")
    assert ("I am writing further to our meeting on 23 November 2026 about your post on "
            "Facebook, and about your later post on Instagram.") in letter.text
    assert "On 23 November 2026 I met you about your post; you told me that you would not " \
        "remove it." in letter.text
    assert "about your posts" not in letter.text


@pytest.mark.parametrize("case_id, said", [
    ("BPS-2026-014", "further to our meeting on 23 November 2026 about your post on Facebook, "
                     "and about your later post on Instagram."),
    ("BPS-2026-009", "further to our meeting on 5 October 2026 about your post on Facebook, "
                     "and about your later post.")])
def test_the_sample_meetings_are_about_the_earlier_post(sample_run, case_id, said):
    letter = sample(sample_run, case_id, "warning")
    assert said in letter.text
    assert "I met you about your post;" in letter.text


# 4. "Agreed" only for a date the case records as agreed.

def test_an_agreed_date_is_told_only_when_the_case_records_it():
    agreed = MET_BY_ME | {"outcome": "agreed"}
    letter = built(case(history=[agreed]), "warning")
    assert "you agreed to remove it, but it is still online." in letter.text
    assert "agreed to remove it by" not in letter.text
    assert "the date by which you agreed" not in letter.text
    assert long_date(add_days(agreed["date"], 7)) not in letter.text  # the school's reckoning
    dated = built(case(history=[agreed | {"due": date(2026, 11, 27)}]), "warning")
    assert "you agreed to remove it by 27 November 2026, but it is still online." in dated.text
    assert "As 27 November 2026 has passed and it remains online" in dated.text


def test_the_sample_agreement_has_no_invented_date(sample_run):
    letter = sample(sample_run, "BPS-2026-022", "warning")
    assert "27 November 2026" not in letter.text
    assert "On 20 November 2026 I met you about your post; you agreed to remove it, but it is " \
        "still online." in letter.text


# 5. Every letter offers the direct route and the complaints procedure, in the case's form.

DIRECT = ("please tell me directly rather than online", "please raise it with me directly",
          "is best raised with me in writing or through the school office")


@pytest.mark.parametrize("case_id, kind", SAMPLE_LETTERS)
def test_every_sample_letter_offers_the_direct_route_and_the_complaints_procedure(
        sample_run, case_id, kind):
    letter = sample(sample_run, case_id, kind)
    assert any(d in letter.text for d in DIRECT)
    assert COMPLAINTS in letter.text


@pytest.mark.parametrize("case_id, meet", [("BPS-2026-016", False), ("BPS-2026-011", False),
                                           ("BPS-2026-014", True), ("BPS-2026-025", True)])
def test_the_direct_route_keeps_its_distance_where_meeting_is_not_right(sample_run, case_id,
                                                                        meet):
    # A published home address, a threat: write or telephone; otherwise, come and see me.
    letter = sample(sample_run, case_id, "warning")
    assert ("to arrange to meet me" in letter.text) == meet
    assert ("write to me at the school or telephone the school office on 01565\u00a0000\u00a0123"
            in letter.text) != meet


# 6. "In public" only for public posts.

@pytest.mark.parametrize("visibility, extra, seen", [
    ("public", {}, "in public"),
    ("group", {"group": {"name": "Year 5 parents"}}, "in the group \u201cYear 5 parents\u201d"),
    ("group", {}, "in a group"),
    ("private", {}, "online")])
def test_where_a_post_was_seen_follows_its_visibility(visibility, extra, seen):
    grumble = post(text="Mr A Teacher sets far too much homework.", visibility=visibility,
                   concerns=["negative_comment", "names_staff"],
                   about=[{"role": "staff", "name": "Mr A Teacher"}], **extra)
    letter = built(case(posts=[grumble]), "concern")
    assert f"criticises him personally {seen}." in letter.text
    if visibility != "public":
        assert "in public" not in letter.text


def test_the_friends_only_sample_is_not_called_public(sample_run):
    letter = sample(sample_run, "BPS-2026-004", "concern")
    assert letter.case.posts[0].visibility != "public"
    assert "in public" not in letter.text and "publicly" not in letter.text


# 7. A decision's reason is written for staff: never in a letter to the poster.

@pytest.mark.parametrize("case_id, kind", SAMPLE_LETTERS)
def test_no_internal_reason_or_note_reaches_the_poster(sample_run, case_id, kind):
    letter = sample(sample_run, case_id, kind)
    for override in letter.case.overrides:
        assert override.reason not in letter.text
        assert override.reason[:40] not in letter.text
    for step in letter.case.history:
        assert not step.notes or step.notes[:40] not in letter.text


def test_the_context_of_a_poster_letter_holds_no_internal_reason():
    data = case(posts=[THREAT], police=POLICE_TOLD, overrides=[BAR],
                history=[MET_BY_ME | {"posts": None}])
    letter = built(data, "premises_notice")
    assert not any(BAR["reason"] in r for r in letter.context["reasons"])
    assert all(h["notes"] == "" for h in letter.context["history"])


# 8. Subject lines say who the posts concern, never a pupil's name.

@pytest.mark.parametrize("case_id, kind, subject", [
    ("BPS-2026-014", "warning", "Formal warning: your posts on Facebook and Instagram about a "
                                "member of staff and the school"),
    ("BPS-2026-009", "warning", "Formal warning: your posts on Facebook about a pupil"),
    ("BPS-2026-022", "warning", "Formal warning: your post on Facebook about a governor"),
    ("BPS-2026-004", "concern", "Your post on Facebook on 28 November 2026 about a member of "
                                "staff")])
def test_subject_lines_say_who_the_posts_concern(sample_run, case_id, kind, subject):
    letter = sample(sample_run, case_id, kind)
    assert subject in [t for _, t in letter.paragraphs]
    (path,) = (sample_run.out / case_id).glob(f"{case_id}-[0-9][0-9]-{kind}.docx")
    assert docx.Document(path).core_properties.title == subject  # and the email's subject


def test_a_subject_line_never_names_a_pupil():
    pupil = post(text="Tom Smith is a menace, keep your kids away.",
                 concerns=["names_pupil", "negative_comment"],
                 about=[{"role": "pupil", "name": "Tom Smith"}])
    letter = built(case(posts=[pupil]), "concern")
    assert letter.context["letter"]["subject"] == ("Your post on Facebook on 20 November 2026 "
                                                   "about a pupil")
    assert "about the school" not in letter.context["letter"]["subject"]


# 9. No sentence, and no stock phrase, twice in one letter.

REPEATABLE = ("What has happened so far",)
STOCK = ("looked into", "much rather", "at once", "agreed to remove", "also asking",
         "the statements about", "in public", "does not accept", "reason for my decision")


@pytest.mark.parametrize("case_id, kind", SAMPLE_LETTERS)
def test_no_sentence_or_stock_phrase_is_said_twice(sample_run, case_id, kind):
    letter = sample(sample_run, case_id, kind)
    own = [t for style, t in letter.paragraphs if style != "Quote"]
    sentences = [s for t in own for s in re.split(r"(?<=[.;:!?])\s+", t)
                 if len(s.split()) > 3 and s not in REPEATABLE]
    assert [s for s in set(sentences) if sentences.count(s) > 1] == []
    said = body(letter)
    for post_ in letter.case.posts:
        said = said.replace(outgoing(post_), "")
    for phrase in STOCK:
        assert said.count(phrase) <= 1, phrase


@pytest.mark.parametrize("about, concerns, said", [
    ([{"role": "staff", "name": "Mr A Teacher"}, {"role": "staff", "name": "Mrs B Other"}],
     ["names_staff"], "members of staff"),
    ([{"role": "school"}], ["names_staff", "negative_comment"], "a member of staff and the school"),
    ([], ["names_pupil", "negative_comment"], "a pupil"),
    ([{"role": "governor", "name": "Mr D Okafor"}, {"role": "pupil", "name": "Tom Smith"}],
     ["names_pupil", "names_staff"], "a governor and a pupil"),
    ([{"role": "school"}], ["complaint"], "the school")])
def test_who_the_posts_concern_is_said_by_role(about, concerns, said):
    one = Case.model_validate(case(posts=[post(about=about, concerns=concerns)])).posts
    assert concerning(one) == said


@pytest.mark.parametrize(("from_notices", "sender"), [
    (False, b"<admin@bexton.example.sch.uk>"),  # a parent (and the advisers): the office
    (True, b"<office@bexton.example.sch.uk>"),  # a platform: the role mailbox its notice names
])
def test_the_email_comes_from_the_mailbox_the_letter_asks_replies_at(school, from_notices, sender):
    # The warning asks the parent to write to admin@; its email must not come from office@.
    draft = Dispatch(reference="T-1/01", title="warning letter", subject="Formal warning",
                     to_name="Mr A Parent", dear="Mr Parent", respond_by=None,
                     signatory=("Mrs Helen Carter", "Headteacher"), email="a@example.org",
                     from_notices=from_notices)
    raw = draft.outbox_bytes(school=school, pdf_name="T-1-01.pdf", pdf=b"%PDF-1.4",
                             on=date(2026, 12, 1))
    (line,) = [l for l in raw.splitlines() if l.startswith(b"From:")]
    assert line.endswith(sender)
