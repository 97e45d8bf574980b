"""The letter to a platform (host_takedown): facts over the sample cases and over built cases.

What is checked is what the letter may and may not say (letter-spec section 5; REFERENCE.md
"Website operators: two kinds of notice"): which of the platform's rules are cited, who it is
addressed to and who signs it, when it rests on the hosting rule and when it gives a notice of
complaint, when it asks for preservation, what it says about earlier reports, by which route each
ground goes (in the letter and in its web form), when no letter goes at all, and that no pupil's
name and no private detail leaves the school in it. Where a solicitor's review found a sentence
wrong, the sentence itself is asserted.
"""

from __future__ import annotations

import copy
import email
import email.policy
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
from pipeline.dispatch import dispatch_for
from pipeline.letter.context import LetterMeta, build_context
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
    # P1 engages none of them, so the letter does not claim to rely on them either.
    assert "It relies on the regulations above." in text
    assert "Community Standards" not in text


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
    # The audience, with the recorded reach set inside the sentence (its "Public post;"
    # would only say again that the post is public).
    assert ("The post is public; the school has recorded how far it went: shared 23 times, "
            "with 61 comments, many from parents of the school.") in text
    assert "Reach: Public post; shared 23 times, with 61 comments" in text  # the item's line
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


def test_posts_with_no_ground_get_no_platform_letter_and_the_plan_says_why(sample_run, samples):
    # 014 P2 (Instagram), 021 P1 and P2 (Instagram), 022 P1 (Facebook): criticism and
    # allegations that engage none of the platform's rules and are not recorded as unlawful.
    expected = {"BPS-2026-014": ("instagram", "No letter to Instagram about P2: it engages none "
                                 "of Instagram's Community Guidelines and is not recorded as "
                                 "unlawful, so the school has no ground to ask Instagram to "
                                 "remove it."),
                "BPS-2026-021": ("instagram", "No letter to Instagram about P1 and P2: they "
                                 "engage none of Instagram's Community Guidelines and are not "
                                 "recorded as unlawful, so the school has no ground to ask "
                                 "Instagram to remove them."),
                "BPS-2026-022": ("facebook", "No letter to Facebook about P1: it engages none of "
                                 "Facebook's Community Standards and is not recorded as "
                                 "unlawful, so the school has no ground to ask Facebook to "
                                 "remove it.")}
    for case_id, (platform, why) in expected.items():
        _, plan = samples[case_id]
        assert platform not in {l.platform for l in plan.letters}, case_id
        assert platform not in platform_letters(sample_run.out, case_id), case_id
        [note] = [n for n in plan.notes if n.startswith("No letter to")]
        assert note.startswith(why), case_id
        # What the office can do instead: the school's decision, by override, names the posts.
        assert (f"(letter: host_takedown, action: include, platform: {platform}, posts: "
                in note), case_id
        assert "may decline" not in " ".join(plan.notes), case_id
    # Mrs H Carter and Mr P Hargreaves are named in allegations: the route to a defamation claim.
    assert "if Mrs H Carter considers what P1 says untrue and damaging, record it as defamatory" \
        in " ".join(samples["BPS-2026-021"][1].notes)
    assert "if Mr P Hargreaves considers what P2 says untrue and damaging" in " ".join(
        samples["BPS-2026-014"][1].notes)
    assert "protected expression" in " ".join(samples["BPS-2026-022"][1].notes)


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


def _criticism_included(case):
    _criticism_of_a_governor(case)
    case["overrides"] = [{"letter": "host_takedown", "action": "include", "platform": "facebook",
                          "reason": "The governors want Facebook to see it"}]


def _bullying_and_criticism(case):
    case["posts"][0].update({
        "text": "Everyone go and tell Mr Hill what a creep he is. Pile on.",
        "concerns": ["cyberbullying", "names_staff"],
        "about": [{"role": "staff", "name": "Mr K Hill"}]})
    case["posts"].append({
        "id": "P2", "platform": "facebook", "url": "https://www.facebook.com/dan.kerr.3/posts/2",
        "posted": "2026-11-20T20:00", "visibility": "public",
        "text": "The governors at this school are useless.", "concerns": ["negative_comment"],
        "about": [{"role": "school", "name": "Bexton Primary School"}]})
    case["history"][0]["posts"] = ["P1", "P2"]
    case["overrides"] = [{"letter": "host_takedown", "action": "include", "platform": "facebook",
                          "posts": ["P2"], "reason": "The Headteacher wants Facebook to see P2"}]


def _about_the_head(case):
    case["posts"][0].update({
        "text": "Mrs Carter the head is a disgrace. Everyone message her and tell her so.",
        "concerns": ["cyberbullying", "names_staff"],
        "about": [{"role": "staff", "name": "Mrs H Carter"}]})


def _defamatory_and_bullying(case):
    case["posts"][0]["concerns"] = ["defamatory", "allegation", "cyberbullying", "names_staff"]


def _whatsapp_with(**contact):
    def change(case):
        _whatsapp(case)
        case["posts"][0]["group"].update(contact)
    return change


def _reach_in_a_group(case):
    case["posts"][0].update({"visibility": "group",
                             "reach": 'posted in "Bexton Mums & Dads", a group of about 1,900 '
                                      'members; 37 comments'})


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
    "T-REVIEW-INCLUDED": variant("T-REVIEW-INCLUDED", _criticism_included),
    "T-MIXED": variant("T-MIXED", _bullying_and_criticism),
    "T-HEAD": variant("T-HEAD", _about_the_head),
    "T-DEF-BULLY": variant("T-DEF-BULLY", _defamatory_and_bullying),
    "T-WA-ADDRESS": variant("T-WA-ADDRESS", _whatsapp_with(
        admin_address=["9 Birch Road", "Bexton", "WA16 0BR"])),
    "T-WA-EMAIL": variant("T-WA-EMAIL", _whatsapp_with(admin_email="kelly.ashby@example.org")),
    "T-REACH-GROUP": variant("T-REACH-GROUP", _reach_in_a_group),
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


def test_defamatory_without_a_meaning_is_not_put_to_the_platform_and_the_plan_says_why(built):
    assert platform_letters(built[0], "T-DEF-NOMEANING") == {}
    said = notes(built, "T-DEF-NOMEANING")
    assert "No letter to Facebook about P1" in said
    assert ("record the meaning Mr K Hill attributes to P1 and which parts are inaccurate "
            "(about: meaning:, inaccurate:), so that a letter can say why it is unlawful") in said


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
    for case_id in ("T-KNOWN", "T-ANON", "T-REVIEW-INCLUDED", "T-INAPP"):
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


def test_criticism_alone_gets_no_platform_letter(built):
    assert platform_letters(built[0], "T-REVIEW") == {}
    said = notes(built, "T-REVIEW")
    assert "No letter to Facebook about P1" in said
    assert "answer the criticism itself, or point the poster to the complaints procedure" in said


def test_criticism_the_school_decides_to_put_to_the_platform_is_only_put_for_review(built):
    text = letter(built, "T-REVIEW-INCLUDED")
    entry = platform_directory().entry("facebook")
    assert [r.name for r in entry.rules.values() if r.name in text] == []
    assert "regulation 19" not in text and "unlawful content" not in text
    assert ("The school does not say that it is unlawful or that it breaches your Community "
            "Standards. It asks you to review it and to tell us what you decide by 3 December "
            "2026") in text
    assert "against them" not in text and "them against" not in text
    assert "may decline" in notes(built, "T-REVIEW-INCLUDED")
    assert "No letter to" not in notes(built, "T-REVIEW-INCLUDED")


def test_a_post_with_no_ground_added_by_the_school_is_put_for_review_beside_the_others(built):
    plan = built[1]["T-MIXED"]
    [takedown] = [l for l in plan.letters if l.kind == "host_takedown"]
    assert takedown.posts == ("P1", "P2")  # the decision took P2 into the planned letter
    text = letter(built, "T-MIXED")
    assert "Please remove P1 and tell us what you have done" in text
    assert ("The school also asks you to review P2. It does not say that it breaches your "
            "Community Standards, and it recognises that you may decide to leave it online.") \
        in text
    assert "against your Community Standards" not in text.split("Our request", 1)[1]


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


# --- how the letter goes, and what its web form says ---------------------------------------------


def sent_by(path: Path, school, *, kind: str = "host_takedown"):
    """(the letter's context, how it is sent) for the first letter of `kind` in the case's plan,
    as `letters draft --pdf` makes them (without LibreOffice)."""
    case = validate_case(path, today=TODAY, school=school).case
    plan = decide(case, school, today=TODAY)
    planned = next(l for l in plan.letters if l.kind == kind)
    meta = LetterMeta(reference=f"{case.case_id}/01", letter_date=TODAY)
    context = build_context(planned, case, school, meta, path.parent, plan=plan, today=TODAY)
    return context, dispatch_for(planned, context, case, school)


def built_case(tmp_path: Path, case_id: str) -> Path:
    path = tmp_path / f"{case_id}.yaml"
    path.write_text(yaml.safe_dump(BUILT[case_id], allow_unicode=True, sort_keys=False), "utf-8")
    return path


def form_fields(form) -> dict[str, str]:
    return {f.label: f.value for f in form.fields}


def test_the_web_form_gives_the_grounds_never_the_subject_line(repo, school):
    context, dispatch = sent_by(repo / "data" / "cases" / "BPS-2026-009.yaml", school)
    [form] = dispatch.forms
    why = form_fields(form)["Why it should be removed"]
    assert context["letter"]["subject"] not in why
    assert why.startswith("Bullying and Harassment (https://transparency.meta.com/policies/"
                          "community-standards/bullying-harassment):\nP1 and P2: they single "
                          "out [S.F.] for abuse")
    assert "P1 and P2 may amount to harassment (Protection from Harassment Act 1997 s2)" in why
    every = "\n".join(f.value for f in form.fields)
    assert "Sam" not in every.split() and "Fenwick" not in every  # pupils by initials only


def test_a_review_form_says_what_the_school_asks_and_claims_nothing(tmp_path, school):
    context, dispatch = sent_by(built_case(tmp_path, "T-REVIEW-INCLUDED"), school)
    [form] = dispatch.forms
    fields = form_fields(form)
    assert "Why it should be removed" not in fields
    assert fields["What the school asks"].startswith(
        "The content names Mr D Okafor, a governor of the school. The school does not say that "
        "it is unlawful or that it breaches your Community Standards.")
    assert context["letter"]["subject"] not in fields["What the school asks"]


def test_bullying_and_hate_go_by_the_standard_report_not_the_defamation_form(sample_run, repo,
                                                                            school):
    defamation_form = platform_directory().entry("facebook").legal_contact.web_form
    report = platform_directory().entry("facebook").abuse_report
    for case_id in ("BPS-2026-009", "BPS-2026-024"):  # harassment of a pupil; a racist threat
        text = only_letter(sample_run.out, case_id)
        assert "By report under your Community Standards" in text, case_id
        assert defamation_form not in text, case_id
        _, dispatch = sent_by(repo / "data" / "cases" / f"{case_id}.yaml", school)
        [form] = dispatch.forms
        assert (form.form_url, form.how) == (report.url, report.how), case_id
    text = text_of(platform_letters(sample_run.out, "BPS-2026-014")["facebook"])
    assert f"By web form at {defamation_form}" in text  # defamation: the defamation form
    _, dispatch = sent_by(repo / "data" / "cases" / "BPS-2026-014.yaml", school)
    [form] = dispatch.forms
    assert form.form_url == defamation_form


def test_the_x_route_is_one_source_for_the_letter_and_its_web_form(sample_run, repo, school):
    entry = platform_directory().entry("x")
    text = only_letter(sample_run.out, "BPS-2026-011")
    assert "By report under your X Rules" in text
    _, dispatch = sent_by(repo / "data" / "cases" / "BPS-2026-011.yaml", school)
    [form] = dispatch.forms
    assert (form.form_url, form.how) == (entry.abuse_report.url, entry.abuse_report.how)
    assert entry.legal_contact.how not in dispatch.outbox_bytes(
        school=school, pdf_name="x.pdf", pdf=b"%PDF", on=TODAY).decode("utf-8")


def test_defamation_and_bullying_go_by_two_routes_each_with_its_own_grounds(built, tmp_path,
                                                                           school):
    form_url = platform_directory().entry("facebook").legal_contact.web_form
    text = letter(built, "T-DEF-BULLY")
    assert (f"By web form at {form_url} (defamation); by report under your Community "
            "Standards (Bullying and Harassment)") in text
    # It relies on the rules the post engages, by name (and on none it does not).
    assert ("It relies on the regulations above and on your Community Standards on Bullying "
            "and Harassment.") in text
    _, dispatch = sent_by(built_case(tmp_path, "T-DEF-BULLY"), school)
    legal, report = dispatch.forms
    assert (legal.form_url, legal.purpose, report.purpose) == (
        form_url, "defamation", "Bullying and Harassment")
    assert "makes statements of fact about Mr K Hill" in form_fields(legal)[
        "Why it should be removed"]
    assert "Bullying and Harassment" not in form_fields(legal)["Why it should be removed"]
    assert form_fields(report)["Why it should be removed"].startswith(
        "Bullying and Harassment (https://transparency.meta.com/policies/community-standards/"
        "bullying-harassment):\nP1: it singles out Mr Hill for abuse.")
    said = dispatch.outbox_bytes(school=school, pdf_name="x.pdf", pdf=b"%PDF",
                                 on=TODAY).decode("utf-8")
    assert "=== Form 1 of 2: defamation ===" in said
    assert "=== Form 2 of 2: Bullying and Harassment ===" in said


def test_posts_about_the_head_are_signed_by_the_chair_and_so_is_the_web_form(built, tmp_path,
                                                                            school):
    chair, head = school.chair_of_governors, school.signatory.name
    text = letter(built, "T-HEAD")
    assert f"I am the Chair of Governors of {school.name}" in text
    assert ("The content is about our Headteacher, Mrs H Carter, so I am writing as Chair of "
            "Governors.") in text
    assert (f"Signed: {chair} (typed signature), Chair of Governors, for and on behalf of "
            f"{school.name}.") in text
    assert text.split("Yours faithfully\n", 1)[1].startswith(f"{chair}\nChair of Governors\n")
    assert head not in text
    assert "marked “Private – for the Chair of Governors only”, quoting our reference" in text
    _, dispatch = sent_by(built_case(tmp_path, "T-HEAD"), school)
    [form] = dispatch.forms
    fields = form_fields(form)
    assert fields["Your full name"] == chair
    assert fields["Acting for"] == f"{school.name}, as its Chair of Governors"
    assert fields["Declaration"].endswith(f"{chair}, Chair of Governors")
    # A post about someone else is signed as before.
    assert f"Signed: {head} (typed signature), Headteacher" in letter(built, "T-KNOWN")


def test_an_email_draft_is_signed_as_its_letter_is(repo, school):
    # BPS-2026-021: the posts are about the Head, so the Chair signs the request for advice.
    context, dispatch = sent_by(repo / "data" / "cases" / "BPS-2026-021.yaml", school,
                                kind="legal_referral")
    assert context["signatory"]["role"] == "Chair of Governors"
    message = email.message_from_bytes(dispatch.outbox_bytes(
        school=school, pdf_name="x.pdf", pdf=b"%PDF", on=TODAY), policy=email.policy.default)
    body = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert body.rstrip().endswith(f"{school.chair_of_governors}\nChair of Governors\n"
                                  f"{school.name}")
    assert school.signatory.name not in body


def test_several_posts_on_one_line_agree_and_also_follows_a_first_ground(sample_run):
    text = only_letter(sample_run.out, "BPS-2026-009")
    assert ("P1 and P2: they single out [S.F.] for abuse on two occasions since 30 September "
            "2026; they name a child of primary-school age ([S.F.]) and make allegations about "
            "the child.") in text
    assert ": it singles out" not in text
    for case_id in ("BPS-2026-009", "BPS-2026-011", "BPS-2026-024"):  # no defamation first
        text = only_letter(sample_run.out, case_id)
        assert "In the school’s view the content may be a criminal offence." in text, case_id
        assert "may also be" not in text, case_id
    text = text_of(platform_letters(sample_run.out, "BPS-2026-014")["facebook"])
    assert "In the school’s view the content may also be a criminal offence." in text


def test_people_are_described_once_not_on_every_line(sample_run):
    text = only_letter(sample_run.out, "BPS-2026-024")
    assert text.count("a family at the school") == 1  # "It is about: ... (a family ...)"
    assert "P2: it threatens violence against Mr and Mrs Nowak." in text
    assert ("P2: it singles out Mr and Mrs Nowak for abuse and is one of two posts about Mr and "
            "Mrs Nowak since 26 October 2026.") in text


def test_the_whatsapp_letter_reaches_the_admin_only_as_the_case_records(sample_run, samples,
                                                                       built, tmp_path, school):
    text = only_letter(sample_run.out, "BPS-2026-016")
    assert text.split("Mrs Kelly Ashby\n", 1)[1].startswith("\nDear Mrs Ashby")  # no address
    assert ("the case records no postal or email address for Mrs Kelly Ashby (the admin of "
            "“Year 5 mums”), so the letter to her has none") in " ".join(
        samples["BPS-2026-016"][1].notes)
    by_post = letter(built, "T-WA-ADDRESS")
    assert "Mrs Kelly Ashby\n9 Birch Road\nBexton\nWA16 0BR\n" in by_post
    assert "no postal or email address" not in notes(built, "T-WA-ADDRESS")
    by_email = letter(built, "T-WA-EMAIL")
    assert "Mrs Kelly Ashby\nBy email to kelly.ashby@example.org\n" in by_email
    assert "no postal or email address" not in notes(built, "T-WA-EMAIL")
    _, dispatch = sent_by(built_case(tmp_path, "T-WA-EMAIL"), school)
    assert (dispatch.email, dispatch.dear) == ("kelly.ashby@example.org", "Mrs Ashby")
    _, dispatch = sent_by(built_case(tmp_path, "T-WA-ADDRESS"), school)
    assert dispatch is None  # by post


def test_a_recorded_reach_reads_as_part_of_the_letter(built):
    text = letter(built, "T-REACH-GROUP")
    assert ("Reach: Posted in “Bexton Mums & Dads”, a group of about 1,900 members; "
            "37 comments.") in text
    assert ("The post was made in a group; the school has recorded how far it went: posted in "
            "“Bexton Mums & Dads”, a group of about 1,900 members; 37 comments.") in text
    assert '"Bexton' not in text


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


def test_the_plan_and_the_record_name_the_group_admin_the_whatsapp_letter_goes_to(samples):
    # The letter is addressed to the group's admin, never to WhatsApp: the plan (and so the
    # manifest, the chronology and the advisers' list of letters) says the same.
    plan = samples["BPS-2026-016"][1]
    (letter,) = [l for l in plan.letters if l.kind == "host_takedown"]
    assert letter.to == "Mrs Kelly Ashby (the admin of the WhatsApp group “Year 5 mums”)"
    assert "WhatsApp Ireland" not in letter.to


def test_014_the_false_communication_condition_qualifies_the_offence(sample_run):
    # "the school records the information in it as untrue, if the sender knew ..." read as if
    # the school's record depended on the sender.
    text = only_letter(sample_run.out, "BPS-2026-014")
    assert ("the school records the information in it as untrue, but the offence needs the "
            "sender to have known the information to be false") in text
    assert "untrue, if the sender knew" not in text


def test_024_the_earlier_post_not_listed_is_said_once(sample_run):
    # Harassment and racially aggravated harassment both rest on P1, which this letter does
    # not list: the letter says so after the first, not after each.
    text = only_letter(sample_run.out, "BPS-2026-024")
    assert text.count("P1, an earlier post, is not listed in this letter.") == 1
    assert ("a course of conduct on two occasions against the same two people. P1, an earlier "
            "post, is not listed in this letter.") in text
