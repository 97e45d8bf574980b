"""The letter to a platform (host_takedown): facts over the sample cases and over built cases.

What is checked is what the letter may and may not say (letter-spec section 5; REFERENCE.md
"Website operators: two kinds of notice"), not its wording: which of the platform's rules are
cited, who it is addressed to, when it rests on the hosting rule and when it gives a notice of
complaint, when it asks for preservation, what it says about earlier reports, and that no
pupil's name and no private detail leaves the school in it.
"""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path

import docx
import pytest
import yaml
from click.testing import CliRunner
from reading import blocks

from pipeline.case.load import validate_case
from pipeline.cli import cli
from pipeline.directory import platform_directory
from pipeline.policy import decide

LETTER_DATE = "2026-12-01"
TODAY = date(2026, 12, 1)
SAMPLES_WITH_PLATFORM_LETTERS = ("BPS-2026-009", "BPS-2026-011", "BPS-2026-014", "BPS-2026-016",
                                 "BPS-2026-021", "BPS-2026-022", "BPS-2026-024")


# --- reading letters ------------------------------------------------------------------------


def text_of(path: Path) -> str:
    """What a reader sees (headers, body, tables, footers), with the no-break characters that
    keep references together read as plain ones."""
    doc = docx.Document(path)
    parts = []
    for section in doc.sections:
        parts += blocks(section.header)
    parts += blocks(doc)
    for section in doc.sections:
        parts += blocks(section.footer)
    return "\n".join(parts).replace("\u00a0", " ").replace("\u2011", "-").replace("\u2060", "")


def platform_letters(out: Path, case_id: str) -> dict[str, Path]:
    """{platform key: its letter} for a case drafted under `out`."""
    found = sorted((out / case_id).glob(f"{case_id}-[0-9][0-9]-host_takedown-*.docx"))
    return {p.stem.split("host_takedown-", 1)[1]: p for p in found}


def only_letter(out: Path, case_id: str) -> str:
    (letter,) = platform_letters(out, case_id).values()
    return text_of(letter)


# --- the sample cases -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def samples(repo: Path, school):
    """{case_id: (case, plan)} for the samples that have a platform letter."""
    out = {}
    for case_id in SAMPLES_WITH_PLATFORM_LETTERS:
        case = validate_case(repo / "data" / "cases" / f"{case_id}.yaml", today=TODAY,
                             school=school).case
        out[case_id] = (case, decide(case, school, today=TODAY))
    return out


def each_sample_letter(sample_run, samples):
    for case_id, (case, plan) in samples.items():
        for key, path in platform_letters(sample_run.out, case_id).items():
            letter = next(l for l in plan.letters if l.kind == "host_takedown" and l.platform == key)
            posts = [case.post(pid) for pid in letter.posts]
            yield case_id, case, plan, posts, text_of(path)


def test_every_sample_platform_letter_is_drafted(sample_run, samples):
    for case_id, (_, plan) in samples.items():
        planned = {l.platform for l in plan.letters if l.kind == "host_takedown"}
        assert set(platform_letters(sample_run.out, case_id)) == planned, case_id


def test_only_the_rules_the_posts_engage_are_cited(sample_run, samples):
    directory = platform_directory()
    for case_id, _, _, posts, text in each_sample_letter(sample_run, samples):
        entry = directory.entry(posts[0].platform, posts[0].platform_name)
        engaged = {r.name for p in posts for r in entry.rules_for(p.concerns)}
        for rule in {r.name for r in entry.rules.values()} - engaged:
            assert rule not in text, (case_id, rule)
        for rule in engaged if posts[0].platform != "whatsapp" else ():
            assert rule in text, (case_id, rule)


def test_a_defamatory_facebook_post_cites_no_community_standard(sample_run):
    text = text_of(platform_letters(sample_run.out, "BPS-2026-014")["facebook"])
    entry = platform_directory().entry("facebook")
    assert [r.name for r in entry.rules.values() if r.name in text] == []
    assert "Community Standards" in text  # named only as what the notice also relies on


def test_the_operator_is_the_directorys(sample_run, samples):
    directory = platform_directory()
    for case_id, _, _, posts, text in each_sample_letter(sample_run, samples):
        entry = directory.entry(posts[0].platform, posts[0].platform_name)
        if posts[0].platform == "whatsapp":
            assert entry.operator not in text, case_id  # WhatsApp has no route: the admin
        else:
            assert entry.operator in text.split("Dear ", 1)[0], case_id


def test_the_known_poster_gets_the_hosting_rule_and_no_section_5_notice(sample_run):
    text = text_of(platform_letters(sample_run.out, "BPS-2026-014")["facebook"])
    assert "regulation 19" in text and "regulation 22" in text
    assert "Electronic Commerce (EC Directive) Regulations 2002" in text
    assert "not a notice of complaint" in text
    assert "section 5(6)" not in text and "48 hours" not in text
    assert "with their agreement" not in text and "has authorised" not in text


def test_why_defamatory_is_told_from_the_facts(sample_run):
    text = text_of(platform_letters(sample_run.out, "BPS-2026-014")["facebook"])
    assert "was dismissed from his previous school for assaulting a child" in text  # meaning
    assert "shared 23 times, with 61 comments" in text  # reach
    assert "The post is public." in text  # audience
    assert "harmed a child" in text  # gravity: allegation_of_harm
    # The person has not authorised the school: their account of the facts is not passed on.
    assert "on promotion in 2022" not in text


def test_preservation_only_when_the_police_are_involved(sample_run, samples):
    for case_id, case, plan, _, text in each_sample_letter(sample_run, samples):
        police = case.police
        involved = (any(h.step == "police_referral" for h in case.history)
                    or any(a.action == "call_police" for a in case.actions)
                    or bool(police and (police.crime_reference or police.incident_number
                                        or police.told))
                    or any(l.kind == "police_referral" for l in plan.letters))
        if case.posts[0].platform == "whatsapp":
            assert "police" not in text.casefold(), case_id  # never to a group's admin
        else:
            assert ("preserve" in text) == involved, case_id


def test_a_crime_reference_is_quoted_in_the_preservation_request(sample_run):
    text = only_letter(sample_run.out, "BPS-2026-024")
    assert "has been reported to Cheshire Constabulary under crime reference CR-0912/26" in text


def test_a_report_through_the_platforms_tool_is_mentioned_only_when_recorded(sample_run, samples):
    for case_id, case, _, posts, text in each_sample_letter(sample_run, samples):
        recorded = any(p.report_reference for p in posts) or any(
            h.step == "host_takedown" and h.method == "webform" for h in case.history)
        assert ("reporting tool" in text) == recorded, case_id
        assert "in-app report" not in text, case_id


def test_every_url_in_scope_appears_unaltered(sample_run, samples):
    for case_id, _, _, posts, text in each_sample_letter(sample_run, samples):
        for post in posts:
            if post.url:
                assert post.url in text, (case_id, post.id)


def test_a_handle_read_from_the_web_address_is_marked(sample_run):
    text = only_letter(sample_run.out, "BPS-2026-011")
    assert "Account: @leebrann88 (from the web address)" in text


def test_no_pupil_name_no_private_detail_no_posters_address(sample_run, samples):
    for case_id, case, _, posts, text in each_sample_letter(sample_run, samples):
        for name in case.pupils:
            assert name not in text, (case_id, name)
            assert name.split()[0] not in text.split(), (case_id, name)
        for post in posts:
            for detail in post.private_details:
                assert detail.text not in text, (case_id, detail.text)
        for line in (case.poster.address or [])[:1]:  # the street (the town is the school's)
            assert line not in text, (case_id, line)


def test_pupils_sentence_only_where_a_pupil_is_named(sample_run, samples):
    for case_id, _, _, posts, text in each_sample_letter(sample_run, samples):
        pupil = any(a.role == "pupil" for p in posts for a in p.about)
        assert ("Pupils are referred to by their initials." in text) == pupil, case_id


def test_harassment_is_never_a_finding_and_offences_only_may(sample_run, samples):
    for case_id, _, _, _, text in each_sample_letter(sample_run, samples):
        folded = text.casefold()
        assert "is harassment" not in folded and "is bullying" not in folded, case_id
        for line in text.split("\n"):
            if "(Protection from Harassment Act" in line or "Communications Act" in line:
                assert "may amount to" in line, (case_id, line)


def test_the_respond_by_date_is_two_working_days_after_the_letter(sample_run, samples):
    for case_id, _, _, _, text in each_sample_letter(sample_run, samples):
        assert "by 3 December 2026" in text, case_id


def test_the_whatsapp_letter_goes_to_the_groups_admin(sample_run):
    text = only_letter(sample_run.out, "BPS-2026-016")
    assert "Mrs Kelly Ashby" in text and "Dear Mrs Ashby" in text
    assert "WhatsApp Ireland Limited" not in text
    assert "Year 5 mums" in text
    assert "Linden Drive" not in text and "have a word with her" not in text  # not quoted
    assert "Mrs S Bennett" not in text  # the staff member is not named to the admin
    assert "Yours sincerely" in text and "addressee only" in text


def test_posts_that_engage_nothing_are_only_put_for_review(sample_run, samples):
    for case_id in ("BPS-2026-021", "BPS-2026-022"):
        text = only_letter(sample_run.out, case_id)
        assert "regulation 19" not in text and "breaches the following" not in text, case_id
        assert "does not say that" in text, case_id
        assert "that them" not in text, case_id
        notes = " ".join(samples[case_id][1].notes)
        assert "may decline" in notes, case_id


def test_the_plan_says_why_there_is_no_notice_of_complaint(samples):
    notes = samples["BPS-2026-014"][1].notes
    assert "no notice of complaint for Mr P Hargreaves: the poster is known to the school" in notes


# --- built cases ---------------------------------------------------------------------------

BASE = {
    "case_id": "T-BASE", "opened": date(2026, 11, 20),
    "poster": {"name": "Mr Dan Kerr", "relationship": "parent",
               "address": ["4 Mill Lane", "Bexton", "WA16 0ML"],
               "children": [{"name": "Ruby Kerr", "class": "Year 2"}]},
    "posts": [{
        "id": "P1", "platform": "facebook",
        "url": "https://www.facebook.com/dan.kerr.3/posts/123456789",
        "posted": "2026-11-19T21:14", "visibility": "public",
        "reach": "Public post; shared 12 times.",
        "text": "Mr Hill the deputy head stole the trip money & lied about it.\nShare this!",
        "concerns": ["defamatory", "allegation", "names_staff"],
        "about": [{"role": "staff", "name": "Mr K Hill",
                   "meaning": "That Mr Hill stole money paid by parents for a trip.",
                   "inaccurate": "All of it. Mr Hill never handles trip money."}],
    }],
    "history": [{"date": date(2026, 11, 23), "step": "discussion", "outcome": "refused",
                 "by": "Headteacher", "posts": ["P1"]}],
}


def variant(case_id: str, change=None) -> dict:
    case = copy.deepcopy(BASE)
    case["case_id"] = case_id
    if change:
        change(case)
    return case


def _anonymous(case, *, authority=True, consent=None, case_consent=None):
    case["poster"]["identified"] = False
    person = case["posts"][0]["about"][0]
    if authority:
        person["authority"] = date(2026, 11, 25)
    if consent is not None:
        person["consent_to_disclose"] = consent
    if case_consent is not None:
        case["consent_to_disclose"] = case_consent


def _threat_on_x(case):
    case["posts"][0].update({
        "platform": "x", "url": "https://x.com/dkerr77/status/1843920571264820736",
        "text": "Next time I see Mr Hill at the gates I'll knock him out.",
        "concerns": ["threat_of_violence", "names_staff"],
        "about": [{"role": "staff", "name": "Mr K Hill"}]})
    case["history"] = []


def _crime_reference(case):
    case["police"] = {"crime_reference": "CR-0777/26", "force": "Cheshire Constabulary"}


def _reported_in_app(case):
    case["posts"][0]["report_reference"] = "FB-445566"


def _reported_by_webform(case):
    case["history"].append({"date": date(2026, 11, 24), "step": "host_takedown",
                            "outcome": "pending", "by": "Office Manager", "posts": ["P1"],
                            "method": "webform", "report_reference": "FB-778899"})
    case["overrides"] = [{"letter": "host_takedown", "action": "include", "posts": ["P1"],
                          "reason": "Facebook has not acted on the report made in the app"}]


def _whatsapp(case, *, admin: str | None = "Mrs Kelly Ashby"):
    post = case["posts"][0]
    del post["url"]
    post.update({"platform": "whatsapp", "visibility": "group",
                 "group": {"name": "Year 2 parents", **({"admin": admin} if admin else {})},
                 "text": "Mr Hill lives at 3 Elm Close if anyone wants a word.",
                 "concerns": ["personal_information", "names_staff"],
                 "private_details": [{"text": "3 Elm Close", "kind": "home address",
                                      "person": "Mr K Hill"}],
                 "about": [{"role": "staff", "name": "Mr K Hill"}]})
    case["history"] = []


def _criticism_of_a_governor(case):
    case["posts"][0].update({
        "text": "Mr Okafor on the governors is a joke, half asleep at every meeting.",
        "concerns": ["negative_comment", "names_staff"],
        "about": [{"role": "governor", "name": "Mr D Okafor"}]})


def _personal_information(case, *, recorded: bool):
    post = case["posts"][0]
    post.update({"text": "Mr Hill lives at 3 Elm Close, 07700 900123. Go and tell him.",
                 "concerns": ["personal_information", "names_staff"],
                 "about": [{"role": "staff", "name": "Mr K Hill"}]})
    if recorded:
        post["private_details"] = [
            {"text": "3 Elm Close", "kind": "home address", "person": "Mr K Hill"},
            {"text": "07700 900123", "kind": "mobile telephone number", "person": "Mr K Hill"}]


def _pupil_named(case):
    post = case["posts"][0]
    post.update({"text": "Ruby Kerr is being bullied by Tom Price and Tom gets away with it.",
                 "concerns": ["names_pupil", "allegation", "cyberbullying"],
                 "about": [{"role": "pupil", "name": "Tom Price", "known_as": ["Tom"]}]})


def _youtube(case):
    case["posts"][0]["platform"] = "youtube"
    case["posts"][0]["url"] = "https://www.youtube.com/watch?v=abc123"


BUILT = {
    "T-KNOWN": variant("T-KNOWN"),
    "T-ANON": variant("T-ANON", lambda c: _anonymous(c, consent=True)),
    "T-ANON-NOAUTH": variant("T-ANON-NOAUTH", lambda c: _anonymous(c, authority=False)),
    "T-ANON-CASE-CONSENT": variant("T-ANON-CASE-CONSENT",
                                   lambda c: _anonymous(c, case_consent=True)),
    "T-ANON-NOMEANING": variant("T-ANON-NOMEANING", lambda c: (
        _anonymous(c), c["posts"][0]["about"][0].pop("meaning"))),
    "T-DEF-NOMEANING": variant("T-DEF-NOMEANING", lambda c: (
        c["posts"][0]["about"][0].pop("meaning"), c["posts"][0]["about"][0].pop("inaccurate"))),
    "T-THREAT": variant("T-THREAT", _threat_on_x),
    "T-CRIME": variant("T-CRIME", _crime_reference),
    "T-INAPP": variant("T-INAPP", _reported_in_app),
    "T-WEBFORM": variant("T-WEBFORM", _reported_by_webform),
    "T-WA-ADMIN": variant("T-WA-ADMIN", _whatsapp),
    "T-WA-NOADMIN": variant("T-WA-NOADMIN", lambda c: _whatsapp(c, admin=None)),
    "T-REVIEW": variant("T-REVIEW", _criticism_of_a_governor),
    "T-PRIVATE": variant("T-PRIVATE", lambda c: _personal_information(c, recorded=True)),
    "T-PRIVATE-UNRECORDED": variant("T-PRIVATE-UNRECORDED",
                                    lambda c: _personal_information(c, recorded=False)),
    "T-PUPIL": variant("T-PUPIL", _pupil_named),
    "T-YOUTUBE-ANON": variant("T-YOUTUBE-ANON", lambda c: (_youtube(c), _anonymous(c))),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory, school_path: Path, school):
    """Every built case drafted in one run: (OUT, {case_id: plan})."""
    folder = tmp_path_factory.mktemp("platform-cases")
    cases = folder / "cases"
    cases.mkdir()
    plans = {}
    for case_id, case in BUILT.items():
        path = cases / f"{case_id}.yaml"
        path.write_text(yaml.safe_dump(case, allow_unicode=True, sort_keys=False), "utf-8")
        loaded = validate_case(path, today=TODAY, school=school)
        plans[case_id] = decide(loaded.case, school, today=TODAY)
    out = folder / "out"
    result = CliRunner().invoke(cli, ["draft", str(cases), "--out", str(out), "--date",
                                      LETTER_DATE, "--school", str(school_path)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out, plans


def letter(built, case_id: str) -> str:
    return only_letter(built[0], case_id)


def notes(built, case_id: str) -> str:
    return "\n".join(built[1][case_id].notes)


NOTICE_WORDS = ("section 5(6)", "48 hours", "fifth day", "does not have sufficient information")


def test_known_poster_no_notice_of_complaint(built):
    text = letter(built, "T-KNOWN")
    assert "regulation 19" in text and "regulation 22" in text
    assert "not a notice of complaint" in text
    assert [w for w in NOTICE_WORDS if w in text] == []
    assert "no notice of complaint for Mr K Hill: the poster is known to the school" in (
        notes(built, "T-KNOWN"))


def test_anonymous_poster_with_authority_gets_the_notice_of_complaint(built):
    text = letter(built, "T-ANON")
    assert [w for w in NOTICE_WORDS if w not in text] == []
    assert text.count("48 hours") == 2  # only in the Regulations' timetable
    assert "Notice of complaint under section 5 of the Defamation Act 2013" in text
    assert "Mr K Hill" in text and "authority given on 25 November 2026" in text
    assert "That Mr Hill stole money paid by parents for a trip." in text  # the meaning
    assert "Mr Hill never handles trip money." in text  # the inaccurate parts, with authority
    assert "The complainant consents to your giving the poster their name" in text
    assert "not a notice of complaint" not in text
    assert "no notice of complaint" not in notes(built, "T-ANON")


def test_anonymous_poster_without_authority_gets_no_notice(built):
    text = letter(built, "T-ANON-NOAUTH")
    assert [w for w in NOTICE_WORDS if w in text] == []
    assert "has authorised" not in text and "Mr Hill never handles trip money." not in text
    assert ("no notice of complaint for Mr K Hill: Mr K Hill has not authorised a notice "
            "(record authority: DATE)") in notes(built, "T-ANON-NOAUTH")


def test_defamatory_without_a_meaning_is_not_called_unlawful_and_the_plan_says_why(built):
    text = letter(built, "T-DEF-NOMEANING")
    assert "regulation 19" not in text and "unlawful content" not in text
    assert "no meaning is recorded for Mr K Hill" in notes(built, "T-DEF-NOMEANING")


def test_a_notice_needs_the_meaning(built):
    assert "section 5(6)" not in letter(built, "T-ANON-NOMEANING")
    assert "record the meaning" in notes(built, "T-ANON-NOMEANING")


def test_consent_falls_back_from_the_person_to_the_case_then_the_school(built):
    assert "The complainant consents to your giving" in letter(built, "T-ANON-CASE-CONSENT")
    # Neither the person nor the case says: the school's profile (consent_to_disclose: false).
    assert "The complainant does not consent to your giving" in letter(built, "T-YOUTUBE-ANON")


def test_youtube_notice_carries_youtubes_declaration(built):
    assert "I declare that the information in this notice is true and complete." in letter(
        built, "T-YOUTUBE-ANON")
    assert "I declare that" not in letter(built, "T-ANON")


def test_preservation_when_a_police_referral_is_in_the_same_run(built):
    assert any(l.kind == "police_referral" for l in built[1]["T-THREAT"].letters)
    text = letter(built, "T-THREAT")
    assert "preserve" in text and "is being reported to" in text
    assert "do not tell the account holder" in text


def test_preservation_when_the_police_have_a_crime_reference(built):
    text = letter(built, "T-CRIME")
    assert "preserve" in text
    assert "has been reported to Cheshire Constabulary under crime reference CR-0777/26" in text


def test_no_preservation_without_the_police(built):
    for case_id in ("T-KNOWN", "T-ANON", "T-REVIEW", "T-INAPP"):
        assert "preserve" not in letter(built, case_id), case_id


def test_a_threat_cites_the_violence_rule_only(built):
    text = letter(built, "T-THREAT")
    entry = platform_directory().entry("x")
    assert entry.rules["threat_of_violence"].name in text
    assert entry.rules["harassment"].name not in text
    assert entry.rules["racist"].name not in text
    assert "may amount to" in text  # offences only as "may"


def test_reports_through_the_platforms_tool_only_when_recorded(built):
    assert "reporting tool" not in letter(built, "T-KNOWN")
    inapp = letter(built, "T-INAPP")
    assert "The school also reported P1 through your reporting tool (your reference FB-445566)" \
        in inapp
    webform = letter(built, "T-WEBFORM")
    assert ("The school also reported P1 through your reporting tool on 24 November 2026 "
            "(your reference FB-778899)") in webform


def test_whatsapp_letter_to_the_admin(built):
    text = letter(built, "T-WA-ADMIN")
    assert "Dear Mrs Ashby" in text and "Year 2 parents" in text
    assert "WhatsApp Ireland Limited" not in text
    assert "3 Elm Close" not in text and "wants a word" not in text
    assert "delete the message for everyone" in text
    assert "withdrawn" in text  # the warning to the sender is in the same run
    assert "report P1 in WhatsApp" in notes(built, "T-WA-ADMIN")


def test_whatsapp_letter_without_an_admin_asks_the_office_to_find_them(built):
    text = letter(built, "T-WA-NOADMIN")
    assert "Dear Sir or Madam" in text and "The admin of the WhatsApp group" in text
    assert "WhatsApp Ireland Limited" not in text
    assert "find out who runs the WhatsApp group “Year 2 parents”" in notes(built, "T-WA-NOADMIN")


def test_criticism_is_put_for_review_without_claiming_a_breach(built):
    text = letter(built, "T-REVIEW")
    entry = platform_directory().entry("facebook")
    assert [r.name for r in entry.rules.values() if r.name in text] == []
    assert "regulation 19" not in text and "unlawful content" not in text
    assert "does not say that it is unlawful or that it breaches" in text
    assert "may decline" in notes(built, "T-REVIEW")


def test_private_details_never_leave_the_school(built):
    text = letter(built, "T-PRIVATE")
    assert "3 Elm Close" not in text and "07700 900123" not in text
    assert "[home address of Mr K Hill removed from this copy]" in text
    assert "Privacy Violations" in text  # the rule personal information engages


def test_unrecorded_personal_information_is_not_quoted(built):
    text = letter(built, "T-PRIVATE-UNRECORDED")
    assert "3 Elm Close" not in text and "07700 900123" not in text
    assert "is not reproduced here because it contains personal information" in text
    assert "record private_details for P1" in notes(built, "T-PRIVATE-UNRECORDED")


def test_pupils_by_initials_only(built):
    text = letter(built, "T-PUPIL")
    for word in ("Tom", "Price", "Ruby", "Kerr"):
        assert word not in text.replace("Mr Dan Kerr", "").split(), word
    assert "[T.P.]" in text and "Pupils are referred to by their initials." in text
    assert "Bullying and Harassment" in text
    assert "Pupils are referred to" not in letter(built, "T-KNOWN")


def test_the_screenshot_is_mentioned_only_when_there_is_one(built, sample_run):
    assert "Screenshot" not in letter(built, "T-KNOWN")
    text = text_of(platform_letters(sample_run.out, "BPS-2026-009")["facebook"])
    assert "screenshot 1" in text and "screenshot 2" in text
    assert "BPS-2026-009-P1.png" not in text  # named by number, not by file


# --- the platform directory: read from the office's copy, shipped, cached, checked -------------


def _directory_text(repo: Path) -> str:
    return (repo / "data" / "platforms.yaml").read_text("utf-8")


def test_letters_use_the_directory_in_the_current_folder(tmp_path, monkeypatch, repo,
                                                         school_path):
    (tmp_path / "data").mkdir()
    corrected = _directory_text(repo).replace("  operator: X Corp.\n",
                                              "  operator: X Internet Unlimited Company\n")
    (tmp_path / "data" / "platforms.yaml").write_text(corrected, "utf-8")
    case = tmp_path / "T-THREAT.yaml"
    case.write_text(yaml.safe_dump(BUILT["T-THREAT"], sort_keys=False), "utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["draft", str(case), "--out", "out", "--date", LETTER_DATE,
                                      "--school", str(school_path), "--templates",
                                      str(repo / "letter_templates")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    text = only_letter(tmp_path / "out", "T-THREAT")
    assert "X Internet Unlimited Company" in text and "X Corp." not in text


def test_without_a_directory_in_the_current_folder_the_shipped_copy_is_used(tmp_path,
                                                                           monkeypatch):
    from pipeline.directory import directory_path, shipped_directory

    monkeypatch.chdir(tmp_path)
    assert directory_path() == shipped_directory()
    assert shipped_directory().is_file()
    assert platform_directory().entry("tiktok").operator  # it loads


def test_the_package_ships_the_directory(repo):
    import tomllib

    setup = tomllib.loads((repo / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    assert "pipeline.platform_data" in setup["packages"]
    assert setup["package-dir"]["pipeline.platform_data"] == "data"
    assert setup["package-data"]["pipeline.platform_data"] == ["platforms.yaml"]


def test_the_directory_is_read_once_and_again_when_it_changes(tmp_path, repo):
    import os

    path = tmp_path / "platforms.yaml"
    path.write_text(_directory_text(repo), "utf-8")
    first = platform_directory(path)
    assert platform_directory(path) is first  # cached
    path.write_text(_directory_text(repo).replace("  operator: Google LLC\n",
                                                  "  operator: Google UK Limited\n"), "utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert platform_directory(path).entry("youtube").operator == "Google UK Limited"


def test_check_reports_a_broken_directory_once_at_its_line(tmp_path, monkeypatch, repo,
                                                          school_path):
    (tmp_path / "data").mkdir()
    text = _directory_text(repo).replace("  rules_name: X Rules\n", "  rules_nam: X Rules\n")
    (tmp_path / "data" / "platforms.yaml").write_text(text, "utf-8")
    line = text[:text.index("  rules_nam:")].count("\n") + 1
    case = tmp_path / "T-KNOWN.yaml"
    case.write_text(yaml.safe_dump(BUILT["T-KNOWN"], sort_keys=False), "utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["check", str(case), "--school", str(school_path),
                                      "--today", LETTER_DATE], catch_exceptions=False)
    assert result.exit_code == 2
    assert f"data/platforms.yaml:{line}: x.rules_nam: 'rules_nam' is not a field" in result.stderr
    assert result.stderr.count("x.rules_nam:") == 1  # not again for the case
    assert "did you mean 'rules_name'?" in result.stderr


def test_check_says_nothing_about_a_valid_directory(monkeypatch, repo, school_path):
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(cli, ["check", "data/cases/BPS-2026-014.yaml", "--school",
                                      str(school_path), "--today", LETTER_DATE],
                                catch_exceptions=False)
    assert result.exit_code == 0 and result.stderr == ""
    assert "platforms.yaml" not in result.stdout
