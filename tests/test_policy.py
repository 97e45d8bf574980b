"""The plan: which letters the policy calls for now (CASE_FORMAT.md, "What the plan decides").

Cases are built from the minimal valid case in conftest.py with Case.model_validate, varying the
posts, history and overrides. `planned(plan)` reduces a plan to sorted (kind, posts, platform)
triples, so each test states exactly the letters it expects, no more and no fewer.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml

from pipeline.case.model import Case
from pipeline.draft import check_case
from pipeline.policy import RULES
from pipeline.policy import decide as decide_on

# Every plan here is judged on this day: after the history below, before any of it falls due
# (a recorded step's own due date is tested in test_timeline.py).
TODAY = date(2026, 11, 12)


def decide(case, school=None, **options):
    return decide_on(case, school, today=options.pop("today", TODAY), **options)

SAMPLE_CASES = sorted((Path(__file__).resolve().parent.parent / "data" / "cases").glob("*.yaml"))
CONTRACT_KINDS = {"concern", "warning", "host_takedown", "police_referral", "legal_referral",
                  "access_restriction"}


# --- building cases ----------------------------------------------------------------------------


def post(id="P1", platform="facebook", concerns=("cyberbullying",), status="live",
         posted="2026-10-30", **extra) -> dict:
    """One post as a case file holds it; a url unless on WhatsApp, a name for 'other'. By
    default it bullies (which every platform's rules cover, so a platform can be asked) without
    being serious (so the policy's usual order applies)."""
    data = {"id": id, "platform": platform, "posted": posted, "text": f"Post {id}.",
            "concerns": list(concerns), "status": status}
    if platform != "whatsapp":
        data["url"] = f"https://example.org/posts/{id}"
    if platform == "other":
        data["platform_name"] = "Nextdoor"
    return data | extra


def step(name, outcome, date="2026-11-03", **extra) -> dict:
    """One history entry."""
    return {"date": date, "step": name, "outcome": outcome} | extra


REFUSED = step("discussion", "refused", "2026-11-03")
AGREED = step("discussion", "agreed", "2026-11-08")  # due by 15 November
WARNED = step("warning_letter", "pending", "2026-11-10")  # due by 17 November
REPORTED = step("host_takedown", "pending", "2026-11-11")


@pytest.fixture
def build(base_case):
    """build(posts=[...], history=[...], overrides=[...]) -> a validated Case."""

    def build(posts=None, history=(), overrides=()) -> Case:
        data = yaml.safe_load(base_case)
        if posts is not None:
            data["posts"] = list(posts)
        data["history"] = list(history)
        data["overrides"] = list(overrides)
        return Case.model_validate(data)

    return build


def planned(plan) -> list[tuple[str, str, str]]:
    """The plan as sorted (kind, 'P1,P2', platform or '') triples."""
    return sorted((letter.kind, ",".join(letter.posts), letter.platform or "")
                  for letter in plan.letters)


def kinds(plan) -> list[str]:
    return [letter.kind for letter in plan.letters]


# --- each rule row: planned when its condition holds ------------------------------------------

RULE_ROWS = [
    pytest.param("concern", [post()], [],
                 [("concern", "P1", "")], id="concern-first-step"),
    pytest.param("warning", [post()], [REFUSED],
                 [("host_takedown", "P1", "facebook"), ("warning", "P1", "")],
                 id="warning-after-refusal"),
    pytest.param("host_takedown", [post(platform="instagram")], [REFUSED, WARNED],
                 [("host_takedown", "P1", "instagram")], id="host_takedown-refused"),
    pytest.param("host_takedown", [post(concerns=["threat_of_violence"])], [],
                 [("warning", "P1", ""), ("host_takedown", "P1", "facebook"),
                  ("police_referral", "P1", "")], id="host_takedown-serious-at-once"),
    pytest.param("police_referral", [post(concerns=["harassment"])], [REFUSED, WARNED, REPORTED],
                 [("police_referral", "P1", "")], id="police_referral-live"),
    pytest.param("police_referral", [post(concerns=["racist"], status="removed")], [],
                 [("police_referral", "P1", "")], id="police_referral-removed"),
    pytest.param("legal_referral", [post(concerns=["defamatory"])], [REFUSED, WARNED, REPORTED],
                 [("legal_referral", "P1", "")], id="legal_referral-defamatory-refused"),
    pytest.param("access_restriction", [post(platform="school_forum")], [REFUSED, WARNED],
                 [("access_restriction", "P1", "")], id="access_restriction-school_forum"),
    pytest.param("access_restriction", [post(platform="school_website")], [REFUSED, WARNED],
                 [("access_restriction", "P1", "")], id="access_restriction-school_website"),
]


@pytest.mark.parametrize("kind, posts, history, expected", RULE_ROWS)
def test_rule_plans_exactly_its_letters(build, school, kind, posts, history, expected):
    plan = decide(build(posts, history), school)

    assert planned(plan) == sorted(expected)
    letter = next(letter for letter in plan.letters if letter.kind == kind)
    assert letter.reasons and all(reason.strip() for reason in letter.reasons)
    assert letter.clauses


# --- each rule row: not planned when a part of its condition is missing -----------------------

NOT_PLANNED = [
    pytest.param("concern", [post()], [AGREED], id="concern-after-a-discussion"),
    pytest.param("concern", [post()], [step("concern_letter", "pending")],
                 id="concern-after-a-concern-letter"),
    pytest.param("concern", [post(status="removed")], [], id="concern-for-a-removed-post"),
    pytest.param("warning", [post()], [], id="warning-before-the-first-step"),
    pytest.param("warning", [post()], [AGREED], id="warning-when-the-poster-agreed"),
    pytest.param("warning", [post()], [REFUSED, WARNED], id="warning-already-sent"),
    pytest.param("warning", [post(status="removed")], [REFUSED], id="warning-for-a-removed-post"),
    pytest.param("host_takedown", [post()], [], id="host_takedown-not-serious-before-refusal"),
    pytest.param("host_takedown", [post()], [AGREED], id="host_takedown-when-the-poster-agreed"),
    pytest.param("host_takedown", [post(platform="school_forum")], [REFUSED],
                 id="host_takedown-for-school_forum"),
    pytest.param("host_takedown", [post(platform="school_website",
                                        concerns=["threat_of_violence"])], [],
                 id="host_takedown-for-serious-school_website"),
    pytest.param("host_takedown", [post(status="removed")], [REFUSED],
                 id="host_takedown-for-a-removed-post"),
    pytest.param("host_takedown", [post()], [REFUSED, WARNED, REPORTED],
                 id="host_takedown-already-sent"),
    pytest.param("police_referral", [post(concerns=["defamatory", "allegation", "names_staff"])],
                 [REFUSED], id="police_referral-not-serious"),
    pytest.param("police_referral", [post(concerns=["racist"])],
                 [step("police_referral", "pending")], id="police_referral-already-sent"),
    pytest.param("legal_referral", [post(concerns=["defamatory"])], [],
                 id="legal_referral-before-refusal"),
    pytest.param("legal_referral", [post(concerns=["defamatory"])], [AGREED],
                 id="legal_referral-when-the-poster-agreed"),
    pytest.param("legal_referral", [post(concerns=["complaint"])], [REFUSED],
                 id="legal_referral-not-defamatory"),
    pytest.param("legal_referral", [post(concerns=["defamatory"], status="removed")], [REFUSED],
                 id="legal_referral-for-a-removed-post"),
    pytest.param("legal_referral", [post(concerns=["defamatory"])],
                 [REFUSED, step("legal_referral", "pending")], id="legal_referral-already-sent"),
    pytest.param("access_restriction", [post(platform="school_forum")], [],
                 id="access_restriction-before-refusal"),
    pytest.param("access_restriction", [post()], [REFUSED],
                 id="access_restriction-for-an-external-post"),
    pytest.param("access_restriction", [post(platform="school_forum", status="removed")],
                 [REFUSED], id="access_restriction-for-a-removed-post"),
    pytest.param("access_restriction", [post(platform="school_website")],
                 [REFUSED, step("access_restriction", "pending")],
                 id="access_restriction-already-done"),
]


@pytest.mark.parametrize("kind, posts, history", NOT_PLANNED)
def test_rule_does_not_plan_without_its_condition(build, school, kind, posts, history):
    plan = decide(build(posts, history), school)

    assert kind not in kinds(plan), planned(plan)


@pytest.mark.parametrize("table", [RULE_ROWS, NOT_PLANNED], ids=["planned", "not-planned"])
def test_every_rule_row_is_tested_both_ways(table):
    # A row resting on guidance alone (premises_notice) is never planned by the rules: it is
    # tested with the overrides below.
    assert {param.values[0] for param in table} == {rule.kind.name for rule in RULES
                                                    if rule.clauses}


# --- nothing planned twice; refusal; one letter per platform ----------------------------------


def test_no_warning_once_a_warning_letter_is_recorded(build, school):
    plan = decide(build([post()], [REFUSED, WARNED]), school)

    assert planned(plan) == [("host_takedown", "P1", "facebook")]


def test_host_takedown_recorded_for_p1_is_not_repeated_but_p2_gets_one(build, school):
    posts = [post("P1", "facebook"), post("P2", "instagram", posted="2026-10-31")]
    history = [REFUSED, WARNED, step("host_takedown", "pending", "2026-11-11", posts=["P1"])]

    plan = decide(build(posts, history), school)

    assert planned(plan) == [("host_takedown", "P2", "instagram")]


def test_no_concern_once_a_discussion_is_recorded(build, school):
    plan = decide(build([post()], [AGREED]), school)

    assert "concern" not in kinds(plan)


def test_a_post_after_the_first_step_counts_as_refusal(build, school):
    posts = [post("P1"), post("P2", posted="2026-11-09")]

    plan = decide(build(posts, [AGREED]), school)

    assert planned(plan) == [("host_takedown", "P1,P2", "facebook"), ("warning", "P1,P2", "")]
    warning = next(letter for letter in plan.letters if letter.kind == "warning")
    assert "P2 was posted after the first step on 8 November 2026" in warning.reasons[0]


def test_a_post_on_the_day_of_the_first_step_is_not_refusal(build, school):
    posts = [post("P1"), post("P2", posted="2026-11-08T20:00")]

    plan = decide(build(posts, [AGREED]), school)

    assert planned(plan) == []


def test_one_host_takedown_per_platform(build, school):
    posts = [post("P1", "facebook"), post("P2", "facebook"), post("P3", "instagram")]

    plan = decide(build(posts, [REFUSED, WARNED]), school)

    assert planned(plan) == [("host_takedown", "P1,P2", "facebook"),
                             ("host_takedown", "P3", "instagram")]


def test_no_platform_letter_for_posts_that_give_no_ground_and_the_plan_says_why(build, school):
    posts = [post("P1", concerns=["negative_comment", "names_staff"],
                  about=[{"role": "staff", "name": "Mr A Teacher"}]),
             post("P2", concerns=["cyberbullying"]), post("P3", "instagram", ["complaint"])]

    plan = decide(build(posts, [REFUSED, WARNED]), school)

    # Criticism engages none of the platform's rules and is not unlawful: Facebook is asked
    # about P2 only, Instagram not at all.
    assert planned(plan) == [("host_takedown", "P2", "facebook")]
    notes = [n for n in plan.notes if n.startswith("No letter to")]
    assert notes[0].startswith("No letter to Facebook about P1: it engages none of Facebook's "
                               "Community Standards and is not recorded as unlawful")
    assert notes[1].startswith("No letter to Instagram about P3:")
    assert "posts: [P3], reason: ...)" in notes[1]


def test_the_schools_decision_puts_a_post_with_no_ground_to_the_platform(build, school):
    posts = [post("P1", concerns=["negative_comment"]), post("P2")]
    overrides = [override("host_takedown", "include", platform="facebook", posts=["P1"])]

    plan = decide(build(posts, [REFUSED, WARNED], overrides), school)

    assert planned(plan) == [("host_takedown", "P1,P2", "facebook")]
    assert not any(n.startswith("No letter to") for n in plan.notes)
    assert any("the letter only asks Facebook to review it, and Facebook may decline" in n
               for n in plan.notes)


def test_an_excluded_platform_gets_no_note_about_grounds(build, school):
    overrides = [override("host_takedown", "exclude", platform="facebook")]

    plan = decide(build([post(concerns=["negative_comment"])], [REFUSED, WARNED], overrides),
                  school)

    assert not any(n.startswith("No letter to") for n in plan.notes)


def test_host_takedown_at_once_rests_on_the_police_clause_not_on_refusal(build, school):
    plan = decide(build([post(concerns=["grossly_obscene"])], []), school)

    takedown = next(letter for letter in plan.letters if letter.kind == "host_takedown")
    assert any(c.startswith("Contact the host/provider") for c in takedown.clauses)
    assert any(c.startswith("Contact the Police") for c in takedown.clauses)
    assert not any(c.startswith("If the parent refuses") for c in takedown.clauses)


def test_agreed_and_not_refused_plans_nothing_and_says_what_it_waits_for(build, school):
    plan = decide(build([post()], [AGREED]), school)

    assert plan.letters == ()
    assert any("Waiting" in note and "P1" in note for note in plan.notes), plan.notes


def test_all_posts_removed_and_not_serious_plans_nothing_with_a_note(build, school):
    plan = decide(build([post(status="removed"), post("P2", status="removed")], [REFUSED]),
                  school)

    assert plan.letters == ()
    assert any("removed" in note for note in plan.notes), plan.notes


# --- overrides ---------------------------------------------------------------------------------

REASON = "The Headteacher judges it necessary."


def override(letter, action, reason=REASON, **extra) -> dict:
    return {"letter": letter, "action": action, "reason": reason} | extra


def test_include_adds_a_letter_with_its_reason(build, school):
    plan = decide(build([post()], [], [override("police_referral", "include")]), school)

    assert planned(plan) == [("concern", "P1", ""), ("police_referral", "P1", "")]
    police = next(letter for letter in plan.letters if letter.kind == "police_referral")
    assert any(REASON in reason for reason in police.reasons)
    assert police.overrides == (REASON,)
    assert police.as_json()["overrides"] == [REASON]


def test_exclude_removes_a_letter_and_records_why(build, school):
    plan = decide(build([post()], [], [override("concern", "exclude")]), school)

    assert plan.letters == ()
    assert [(e.kind, e.platform, e.reason) for e in plan.excluded] == [("concern", None, REASON)]
    assert any(REASON in note for note in plan.notes), plan.notes
    assert plan.as_json()["excluded"] == [{"kind": "concern", "platform": None,
                                           "reason": REASON}]


def test_exclude_for_one_platform_keeps_the_others(build, school):
    posts = [post("P1", "facebook"), post("P2", "instagram")]
    overrides = [override("host_takedown", "exclude", platform="facebook")]

    plan = decide(build(posts, [REFUSED, WARNED], overrides), school)

    assert planned(plan) == [("host_takedown", "P2", "instagram")]
    assert [(e.kind, e.platform) for e in plan.excluded] == [("host_takedown", "facebook")]


def test_include_of_a_planned_letter_keeps_one_letter_and_records_the_reason(build, school):
    plan = decide(build([post()], [], [override("concern", "include")]), school)

    assert planned(plan) == [("concern", "P1", "")]
    concern = plan.letters[0]
    assert len(concern.reasons) == 2
    assert REASON in concern.reasons[1]
    assert concern.overrides == (REASON,)


def test_exclude_for_platform_other_removes_its_takedown(build, school):
    posts = [post(platform="other")]
    overrides = [override("host_takedown", "exclude", platform="other")]

    plan = decide(build(posts, [REFUSED, WARNED], overrides), school)

    assert planned(plan) == []


def test_include_for_platform_other_keeps_one_takedown(build, school):
    posts = [post(platform="other")]
    overrides = [override("host_takedown", "include", platform="other")]

    plan = decide(build(posts, [REFUSED, WARNED], overrides), school)

    assert planned(plan) == [("host_takedown", "P1", "nextdoor")]


def test_an_include_that_cannot_apply_still_shows_in_the_plan(build, school):
    posts = [post(platform="school_forum")]
    overrides = [override("host_takedown", "include")]

    plan = decide(build(posts, [REFUSED, WARNED], overrides), school)

    shown = [*plan.notes, *(o for letter in plan.letters for o in letter.overrides)]
    assert any(REASON in text for text in shown), plan


# --- the policy's words --------------------------------------------------------------------------


def policy_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("rule", RULES, ids=[rule.kind.name for rule in RULES])
def test_clauses_are_quoted_verbatim_from_the_repo_policy(repo, rule):
    text = policy_text(repo / "data" / "policy" / "social-media-policy.md")

    for clause in rule.clauses:
        assert clause in text


# --- the plan on the command line --------------------------------------------------------------


def test_plan_json_shape(repo, letters):
    result = letters("plan", repo / "data" / "cases" / "BPS-2026-014.yaml", "--json")

    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["case_id"] == "BPS-2026-014"
    assert plan["letters"]
    for letter in plan["letters"]:
        assert {"kind", "to", "posts", "reasons", "clauses"} <= set(letter)
        assert letter["kind"] in CONTRACT_KINDS
        assert isinstance(letter["to"], str) and letter["to"]
        assert letter["posts"] and all(isinstance(p, str) for p in letter["posts"])
        assert letter["reasons"] and all(isinstance(r, str) for r in letter["reasons"])
        assert letter["clauses"] and all(isinstance(c, str) for c in letter["clauses"])


def test_plan_json_of_a_case_with_nothing_due_has_no_letters(tmp_path, base_case, write_case,
                                                             letters):
    path = write_case(tmp_path, base_case.replace("status: live", "status: removed"))

    result = letters("plan", path, "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["letters"] == []


@pytest.mark.parametrize("status, history, why", [
    ("removed", "history: []", "Every post in this case has been removed"),
    ("live", "history:\n  - {date: 2026-11-03, step: discussion, outcome: agreed}",
     "Waiting on Mrs Jane Doe"),
], ids=["all-removed", "agreed-waiting"])
def test_plain_plan_with_nothing_due_gives_the_reason_on_stderr(tmp_path, base_case, write_case,
                                                                letters, status, history, why):
    text = base_case.replace("status: live", f"status: {status}").replace("history: []", history)
    path = write_case(tmp_path, text)

    result = letters("plan", path, "--today", "2026-11-05")

    assert result.exit_code == 0, result.output
    assert "No letter is due now." in result.stdout
    assert why in result.stderr


def test_plan_of_an_invalid_case_exits_2(tmp_path, base_case, write_case, letters):
    path = write_case(tmp_path, base_case.replace("platform: facebook", "platform: myspace"))

    result = letters("plan", path, "--json")

    line = 1 + path.read_text().splitlines().index("    platform: myspace")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"{path}:{line}: posts[1].platform: 'myspace' is not one of:" in result.stderr


# --- the sample cases --------------------------------------------------------------------------


def test_there_are_sample_cases():
    assert len(SAMPLE_CASES) >= 6


@pytest.mark.parametrize("path", SAMPLE_CASES, ids=[p.stem for p in SAMPLE_CASES])
def test_sample_case_is_valid(letters, path):
    result = letters("check", path)

    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert ": ok (" in result.stdout


@pytest.fixture(scope="module")
def samples(school):
    """{file stem: (case, plan)} for every sample case."""
    found = {}
    for path in SAMPLE_CASES:
        loaded, plan = check_case(path, school)
        found[path.stem] = (loaded.case, plan)
    return found


@pytest.fixture(scope="module")
def sample_plans(samples):
    return [plan for _, plan in samples.values()]


@pytest.mark.parametrize("rule", [r for r in RULES if r.clauses],
                         ids=[rule.kind.name for rule in RULES if rule.clauses])
def test_sample_cases_exercise_every_rule_row(samples, rule):
    by_rules = [name for name, (_, plan) in samples.items() for letter in plan.letters
                if letter.kind == rule.kind.name and not letter.overrides]
    assert by_rules, f"no sample case plans a {rule.kind} letter by the rules"


def test_sample_cases_exercise_host_takedown_on_both_grounds(sample_plans):
    takedowns = [letter for plan in sample_plans for letter in plan.letters
                 if letter.kind == "host_takedown"]
    at_once = [letter for letter in takedowns
               if not any(c.startswith("If the parent refuses") for c in letter.clauses)]
    refused = [letter for letter in takedowns if letter not in at_once]
    assert at_once, "no sample case plans a host takedown at once for a serious post"
    assert refused, "no sample case plans a host takedown after a refusal"


def test_sample_cases_exercise_a_police_referral_for_a_removed_post(samples):
    for_removed = [letter for case, plan in samples.values() for letter in plan.letters
                   if letter.kind == "police_referral"
                   and all(not case.post(pid).live for pid in letter.posts)]
    assert for_removed


def test_sample_cases_exercise_both_override_actions(sample_plans):
    included = [letter for plan in sample_plans for letter in plan.letters if letter.overrides]
    excluded = [e for plan in sample_plans for e in plan.excluded
                if "nothing of this kind was planned" not in e.reason]
    assert included, "no sample case includes a letter by override"
    assert excluded, "no sample case excludes a planned letter by override"


def test_sample_clauses_are_quoted_verbatim(repo, sample_plans):
    text = policy_text(repo / "data" / "policy" / "social-media-policy.md")

    quoted = {c for plan in sample_plans for letter in plan.letters for c in letter.clauses}

    assert quoted
    assert [c for c in quoted if c not in text] == []


# --- a poster the school cannot identify --------------------------------------------------------


@pytest.fixture
def anonymous(base_case):
    """anonymous(posts=[...]) -> a case whose poster is an account the school cannot name."""

    def make(posts) -> Case:
        data = yaml.safe_load(base_case)
        data["poster"] = {"name": "Unknown account holder", "identified": False}
        data["posts"], data["history"] = list(posts), []
        return Case.model_validate(data)

    return make


def test_no_letter_goes_to_a_poster_the_school_cannot_identify(anonymous):
    plan = decide(anonymous(posts=[post(), post("P2", platform="school_forum")]))
    assert planned(plan) == [("host_takedown", "P1", "facebook")]
    note = next(n for n in plan.notes if "No letter to the poster" in n)
    assert "poster.identified: false" in note
    assert "access_restriction" in note and "concern" in note


def test_the_platform_is_asked_at_once_because_nobody_can_be_asked_first(anonymous):
    teacher = {"role": "staff", "name": "Mr A Teacher", "meaning": "That Mr Teacher steals."}
    plan = decide(anonymous(posts=[post(concerns=["defamatory"], about=[teacher])]))
    assert planned(plan) == [("host_takedown", "P1", "facebook"), ("legal_referral", "P1", "")]
    assert all("does not know who runs the account" in letter.reasons[0]
               for letter in plan.letters)


def test_an_anonymous_case_needs_no_postal_address(anonymous):
    case = anonymous(posts=[post()])
    assert case.poster.address is None
    assert [l.spec.to.value for l in decide(case).letters] == ["platform"]


@pytest.mark.parametrize(("extra", "action", "reason"), [
    ({"concerns": ["allegation_of_harm", "names_staff"], "about": [{"role": "staff",
                                                                     "name": "Mr P Hale"}]},
     "tell_dsl", "P1 alleges that a child was harmed"),
    ({"concerns": ["names_pupil"], "about": [{"role": "pupil", "name": "Sam Lee"}]},
     "tell_dsl", "P1 names or concerns a pupil"),
    ({"concerns": ["negative_comment", "names_staff"],
      "about": [{"role": "governor", "name": "Mr D Okafor"}]},
     "support_staff", "P1 names or is about a governor"),
    ({"concerns": ["negative_comment", "names_staff"],
      "about": [{"role": "staff", "name": "Miss R Ellis"}]},
     "support_staff", "P1 names or is about a member of staff"),
])
def test_an_actions_reason_says_what_the_post_does(build, extra, action, reason):
    # An allegation of harm names no pupil (BPS-2026-014); a governor is not staff (BPS-2026-022).
    plan = decide(build(posts=[post(**extra)]))
    (found,) = [a for a in plan.actions if a.action == action]
    assert found.reasons == (reason,)


def test_escalation_names_the_platform_that_has_not_acted(build):
    reported = step("host_takedown", "pending", "2026-11-04")  # due 6 November
    plan = decide(build(posts=[post(platform="tiktok")], history=[REFUSED, reported]))
    (found,) = [a for a in plan.actions if a.action == "escalate_to_posh"]
    assert found.reasons == ("TikTok has not acted on the school's request of 4 November 2026 by "
                             "6 November 2026, and P1 is still live",)


def test_the_first_steps_reason_gives_the_poster_no_pronoun(build):
    # "written to them" of Mrs Whitlow (BPS-2026-004): the reason names no pronoun at all.
    (letter,) = decide(build(posts=[post()])).letters
    assert letter.reasons[0].endswith("is live and the poster has not yet been spoken to or "
                                      "written to about it: the first step is to express "
                                      "concern and ask for removal.")


def test_posts_with_the_same_grounds_are_named_together_in_the_reason(build):
    # BPS-2026-009 read "P1 is said to be harassment; P2 is said to be harassment".
    posts = [post(concerns=["harassment"]), post(id="P2", concerns=["harassment"],
                                                   posted="2026-11-02"),
             post(id="P3", concerns=["racist", "threat_of_violence"], posted="2026-11-03")]
    plan = decide(build(posts=posts))
    (police,) = [l for l in plan.letters if l.kind == "police_referral"]
    assert ("P1 and P2 are said to be harassment; P3 threatens violence and is racist"
            in police.reasons[0])
