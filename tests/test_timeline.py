"""The case over time (CASE_FORMAT.md, version 2): today, due dates, overdue steps, urgency,
actions, and `letters due`.

Each rule and action is shown on its own, then one story walks a case through a month with
`--today`, asserting the plan (and `letters due`) at each step.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml

from pipeline.case.model import Case
from pipeline.policy import decide

SCHOOL_PATH = Path(__file__).resolve().parent.parent / "data" / "school.yaml"


def case_of(*posts: dict, history=(), actions=(), police=None, overrides=()) -> Case:
    data = {"case_id": "T-100", "opened": date(2026, 11, 2),
            "poster": {"name": "Mrs Jane Doe", "address": ["1 Road", "Bexton"]},
            "posts": list(posts), "history": list(history), "actions": list(actions),
            "overrides": list(overrides)}
    if police:
        data["police"] = police
    return Case.model_validate(data)


def post(id="P1", concerns=("negative_comment",), platform="facebook", posted="2026-11-02",
         status="live", **extra) -> dict:
    data = {"id": id, "platform": platform, "posted": posted, "text": f"Post {id}.",
            "concerns": list(concerns), "status": status}
    if platform != "whatsapp":
        data["url"] = f"https://example.org/{id}"
    return data | extra


def step(name, outcome, day, **extra) -> dict:
    return {"date": day, "step": name, "outcome": outcome} | extra


def on(day: str, case: Case):
    return decide(case, None, today=date.fromisoformat(day))


def kinds(plan) -> list[str]:
    return [letter.kind for letter in plan.letters]


def actions(plan) -> list[str]:
    return [action.action for action in plan.actions]


# --- overdue steps count as no response ---------------------------------------------------------


def test_an_agreement_is_waited_for_until_its_due_date_then_counts_as_no_response():
    case = case_of(post(concerns=["cyberbullying"]),
                   history=[step("discussion", "agreed", "2026-11-03")])

    assert kinds(on("2026-11-10", case)) == []  # due on the 10th: the last day to act
    moved = on("2026-11-11", case)

    assert kinds(moved) == ["warning", "host_takedown"]
    # An agreement is an outcome: the reason says it was not kept, never "no reply".
    assert ("after the discussion on 3 November 2026 the poster agreed to remove the material "
            "by 10 November 2026 but has not done so") in moved.letters[0].reasons[0]
    assert "no reply" not in moved.letters[0].reasons[0]
    assert "record_outcome" in actions(moved)
    [record] = [a for a in moved.actions if a.action == "record_outcome"]
    assert record.reasons == ("after the discussion on 3 November 2026 the poster agreed to "
                              "remove the material by 10 November 2026 but has not done so, as "
                              "far as the case records",)


def test_a_due_date_in_the_history_entry_wins():
    case = case_of(post(concerns=["cyberbullying"]),
                   history=[step("discussion", "agreed", "2026-11-03", due="2026-11-20")])

    assert kinds(on("2026-11-20", case)) == []
    assert kinds(on("2026-11-21", case)) == ["warning", "host_takedown"]


def test_a_removed_post_makes_no_step_overdue():
    case = case_of(post(status="removed"), history=[step("discussion", "agreed", "2026-11-03")])

    assert actions(on("2026-12-01", case)) == []
    assert kinds(on("2026-12-01", case)) == []


def test_a_letter_about_an_urgent_post_falls_due_in_two_working_days():
    # A home address published: a concern letter sent on Friday is due on Tuesday.
    case = case_of(post(concerns=["personal_information"]),
                   history=[step("concern_letter", "pending", "2026-11-06")])

    assert "record_outcome" not in actions(on("2026-11-10", case))
    assert "record_outcome" in actions(on("2026-11-11", case))


def test_working_days_skip_bank_holidays():
    # A platform asked on Christmas Eve has until 30 December (25, 26, 28 December are off).
    case = case_of(post(), history=[step("discussion", "refused", "2026-12-21"),
                                    step("host_takedown", "pending", "2026-12-24")])

    assert "escalate_to_posh" not in actions(on("2026-12-30", case))
    assert "escalate_to_posh" in actions(on("2026-12-31", case))


# --- the rule changes ---------------------------------------------------------------------------


@pytest.mark.parametrize("concern", ["threat_of_violence", "personal_information", "racist"])
def test_a_serious_or_urgent_post_gets_a_warning_at_once_not_the_first_letter(concern):
    plan = on("2026-11-03", case_of(post(concerns=[concern])))

    assert "concern" not in kinds(plan)
    assert "warning" in kinds(plan)
    warning = plan.letters[kinds(plan).index("warning")]
    assert warning.urgent == (concern != "racist")


def test_police_letters_are_counted_post_by_post_and_a_further_one_quotes_the_crime_reference():
    case = case_of(post("P1", ["racist"]), post("P2", ["racist"], posted="2026-11-20"),
                   history=[step("warning_letter", "pending", "2026-11-04", due="2026-12-31"),
                            step("police_referral", "pending", "2026-11-04", posts=["P1"])],
                   police={"crime_reference": "CR-1/26"})

    plan = on("2026-11-21", case)

    [police] = [l for l in plan.letters if l.kind == "police_referral"]
    assert police.posts == ("P2",) and police.further
    assert "CR-1/26" in police.reasons[0]


def test_legal_advice_when_a_warning_is_ignored_even_without_a_defamatory_post():
    case = case_of(post(), history=[step("discussion", "refused", "2026-11-03"),
                                    step("warning_letter", "pending", "2026-11-05")])

    assert "legal_referral" not in kinds(on("2026-11-12", case))  # due on the 12th
    later = on("2026-11-13", case)
    assert "legal_referral" in kinds(later)
    assert "had no reply by 12 November 2026" in later.letters[kinds(later).index(
        "legal_referral")].reasons[0]


def test_the_legal_reason_counts_its_posts():
    # One post is "P1 is", never "the posts are"; two defamatory posts "are" said to be so.
    one = on("2026-12-01", case_of(post(), history=[
        step("discussion", "refused", "2026-11-03"), step("warning_letter", "refused",
                                                          "2026-11-05")]))
    [legal] = [letter for letter in one.letters if letter.kind == "legal_referral"]
    assert legal.reasons[0].endswith("the poster refused, and P1 is still live. "
                                     "Take legal advice.")
    two = on("2026-12-01", case_of(post(concerns=["defamatory"]),
                                   post(id="P2", concerns=["defamatory"]),
                                   history=[step("discussion", "refused", "2026-11-03")]))
    [legal] = [letter for letter in two.letters if letter.kind == "legal_referral"]
    assert "P1, P2 are said to be defamatory, and" in legal.reasons[0]
    assert " is said to be" not in legal.reasons[0]


def test_a_premises_notice_is_proposed_as_an_action_and_added_only_by_override():
    threat = post(concerns=["threat_of_violence"])
    proposed = on("2026-11-03", case_of(threat))
    added = on("2026-11-03", case_of(threat, overrides=[
        {"letter": "premises_notice", "action": "include", "reason": "Head's decision."}]))

    assert "premises_notice" not in kinds(proposed)
    assert "consider_premises_notice" in actions(proposed)
    assert "premises_notice" in kinds(added)
    assert "consider_premises_notice" not in actions(added)
    letter = added.letters[kinds(added).index("premises_notice")]
    assert letter.clauses == () and letter.guidance  # it rests on the DfE's advice, named


@pytest.mark.parametrize("kind, urgent, respond_by", [
    ("concern", False, "2026-11-10"), ("warning", True, "2026-11-05"),
    ("host_takedown", True, "2026-11-05"), ("police_referral", True, None)])
def test_letters_carry_respond_by_and_urgent(kind, urgent, respond_by):
    concerns = ["threat_of_violence"] if urgent else ["negative_comment"]
    plan = on("2026-11-03", case_of(post(concerns=concerns)))

    [letter] = [l for l in plan.letters if l.kind == kind]
    assert letter.urgent is urgent
    assert letter.as_json()["respond_by"] == respond_by


# --- actions --------------------------------------------------------------------------------------


@pytest.mark.parametrize("concerns, platform, about, expected", [
    (["threat_of_violence"], "facebook", [], "call_police"),
    (["negative_comment"], "school_forum", [], "remove_own_post"),
    (["names_pupil"], "facebook", [], "tell_dsl"),
    (["allegation_of_harm"], "facebook", [{"role": "staff", "name": "Mr A B"}], "consult_lado"),
    (["negative_comment"], "facebook", [{"role": "staff", "name": "Mr A B"}], "support_staff"),
    (["threat_of_violence"], "facebook", [], "consider_premises_notice"),
])
def test_each_action_when_its_post_calls_for_it(concerns, platform, about, expected):
    plan = on("2026-11-03", case_of(post(concerns=concerns, platform=platform, about=about)))

    assert expected in actions(plan)


def test_every_action_names_a_source_the_office_can_read():
    # The office has the policy and the guidance, not the developers' reference notes.
    from pipeline import actions as registry

    for action in registry.ACTIONS:
        assert action.source.strip()
        assert ".md" not in action.source and "letter-spec" not in action.source, action.id


def test_an_action_recorded_as_done_is_not_asked_again():
    done = {"action": "tell_dsl", "date": "2026-11-02", "posts": ["P1"]}
    plan = on("2026-11-03", case_of(post(concerns=["names_pupil"]), actions=[done]))

    assert "tell_dsl" not in actions(plan)


def test_the_lado_is_consulted_within_one_working_day_of_the_school_knowing():
    plan = on("2026-11-09", case_of(post(concerns=["allegation_of_harm"], captured="2026-11-06")))

    [lado] = [a for a in plan.actions if a.action == "consult_lado"]
    assert lado.due == date(2026, 11, 9)  # Friday's capture: due on Monday


def test_no_call_to_the_police_once_they_hold_the_matter():
    threat = post(concerns=["threat_of_violence"])

    assert "call_police" not in actions(on("2026-11-03", case_of(
        threat, police={"crime_reference": "CR-9/26"})))
    assert "call_police" not in actions(on("2026-11-03", case_of(
        threat, history=[step("police_referral", "pending", "2026-11-02")])))


def test_a_removed_threat_still_calls_for_the_police_while_recent():
    threat = post(concerns=["threat_of_violence"], status="removed", posted="2026-11-01")

    assert "call_police" in actions(on("2026-11-05", case_of(threat)))
    assert "call_police" not in actions(on("2026-11-20", case_of(threat)))


def test_actions_come_most_urgent_first():
    plan = on("2026-11-20", case_of(
        post("P1", ["negative_comment"], about=[{"role": "staff", "name": "Mr A B"}],
             captured="2026-11-02"),
        post("P2", ["threat_of_violence"], posted="2026-11-19", captured="2026-11-19")))

    assert actions(plan)[:2] == ["support_staff", "call_police"]  # the longest overdue first
    assert [a.due for a in plan.actions] == sorted(a.due for a in plan.actions)


def test_review_policy_when_the_policys_review_date_has_passed(school):
    late = decide(case_of(post()), school, today=date(2027, 1, 4))
    on_time = decide(case_of(post()), school, today=date(2026, 12, 1))

    assert "review_policy" in actions(late)
    assert "review_policy" not in actions(on_time)


# --- dates that cannot be right, on the command line --------------------------------------------

BASE = """\
case_id: T-200
opened: 2026-11-02
poster:
  name: Mrs Jane Doe
  address: [1 Road, Bexton]
posts:
  - id: P1
    platform: facebook
    url: https://example.org/P1
    posted: 2026-10-30T18:45
    captured: 2026-10-31T09:00
    text: A post.
    concerns: [negative_comment]
history:
  - date: 2026-11-03
    step: discussion
    outcome: agreed
    posts: [P1]
"""


@pytest.mark.parametrize("old, new, field, words", [
    ("posted: 2026-10-30T18:45", "posted: 2062-10-30T18:45", "posts[1].posted", "check the year"),
    ("captured: 2026-10-31T09:00", "captured: 2026-10-30T18:00", "posts[1].captured",
     "before the post was posted"),
    ("  - date: 2026-11-03", "  - date: 2026-10-29", "history[1].date", "which was posted on"),
    ("  - date: 2026-11-03", "  - date: 2026-12-08", "history[1].date", "after today"),
])
def test_a_date_that_cannot_be_right_is_refused_at_its_line(tmp_path, letters, old, new, field,
                                                           words):
    path = tmp_path / "case.yaml"
    path.write_text(BASE.replace(old, new), encoding="utf-8")
    line = BASE.replace(old, new).splitlines().index(new.rstrip()) + 1 if new.startswith(" ") \
        else 1 + next(i for i, text in enumerate(BASE.replace(old, new).splitlines())
                      if text.strip() == new.strip())

    result = letters("check", path, "--today", "2026-12-01")

    assert result.exit_code == 2
    assert f"{path}:{line}: {field}: " in result.stderr
    assert words in result.stderr


def test_an_offset_is_taken_in_uk_time_for_the_checks(tmp_path, letters):
    # 23:30 in New York on 30 November is 04:30 on 1 December in the UK: not in the future on
    # the 1st, but after a capture at 01:00 UK time.
    text = BASE.replace("posted: 2026-10-30T18:45", "posted: 2026-11-30T23:30:00-05:00").replace(
        "captured: 2026-10-31T09:00", "captured: 2026-12-01T01:00").replace(
        "  - date: 2026-11-03", "  - date: 2026-12-01")
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")

    result = letters("check", path, "--today", "2026-12-01")

    assert result.exit_code == 2
    assert "posts[1].captured" in result.stderr
    assert "04:30" in result.stderr


# --- the plan and `letters due` as JSON, as the contract gives them ------------------------------


def test_plan_json_has_actions_and_each_letter_has_respond_by_and_urgent(repo, letters):
    result = letters("plan", repo / "data" / "cases" / "BPS-2026-011.yaml", "--json",
                     "--today", "2026-12-01")

    plan = json.loads(result.stdout)
    assert result.exit_code == 0
    assert {"case_id", "letters", "actions"} <= plan.keys()
    for letter in plan["letters"]:
        assert {"kind", "to", "posts", "reasons", "clauses", "respond_by", "urgent"} <= letter.keys()
    for action in plan["actions"]:
        assert set(action) == {"action", "posts", "reasons", "due"}
    assert plan["actions"][0]["action"] == "call_police"
    assert plan["actions"][0]["due"] == "2026-12-01"


def test_letters_due_lists_every_case_most_overdue_first(repo, tmp_path, runner):
    from pipeline.cli import cli

    result = runner.invoke(cli, ["due", str(repo / "data" / "cases"), "--out",
                                 str(tmp_path / "none"), "--today", "2026-12-01", "--json",
                                 "--school", str(SCHOOL_PATH)], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    due = json.loads(result.stdout)
    assert due["today"] == "2026-12-01"
    items = due["items"]
    assert [i["overdue_days"] for i in items] == sorted((i["overdue_days"] for i in items),
                                                        reverse=True)
    for item in items:
        assert {"case_id", "what", "reference", "due", "overdue_days"} <= item.keys()
        assert ("kind" in item) != ("action" in item)
    whats = {(i["case_id"], i.get("action") or i.get("kind")) for i in items}
    assert ("BPS-2026-011", "call_police") in whats
    assert ("BPS-2026-025", "escalate_to_posh") in whats
    assert ("BPS-2026-021", "record_outcome") in whats
    assert ("BPS-2026-004", "concern") in whats  # planned, not yet drafted
    # 022: the parent agreed on 20 November to remove the post within the week; it is still up.
    [lapsed] = [i for i in items if i["case_id"] == "BPS-2026-022"
                and i.get("action") == "record_outcome"]
    assert lapsed["what"] == ("Agreed at the discussion on 20 November 2026 to remove by 27 "
                              "November 2026, still live: check, and record what happened")
    assert lapsed["overdue_days"] == 4


def test_letters_due_with_an_invalid_case_lists_the_others_and_exits_2(repo, tmp_path, runner):
    from pipeline.cli import cli

    bad = tmp_path / "bad.yaml"
    bad.write_text("case_id: X\n", encoding="utf-8")
    good = repo / "data" / "cases" / "BPS-2026-004.yaml"
    result = runner.invoke(cli, ["due", str(good), str(bad), "--out", str(tmp_path / "o"),
                                 "--today", "2026-12-01", "--school", str(SCHOOL_PATH)])

    assert result.exit_code == 2
    assert "BPS-2026-004" in result.stdout
    assert f"{bad}:" in result.stderr


# --- a month in the life of one case -------------------------------------------------------------


class Story:
    """A case file that grows as the office acts, planned and listed on a chosen day."""

    def __init__(self, tmp_path: Path, letters):
        self.path = tmp_path / "T-300.yaml"
        self.out = tmp_path / "out"
        self.letters = letters
        self.data = {
            "case_id": "T-300", "opened": "2026-11-02",
            "poster": {"name": "Mrs Jane Doe", "address": ["1 Road", "Bexton"]},
            "posts": [], "history": [], "actions": []}

    def post(self, id: str, posted: str, captured: str, text: str, concerns: list[str]) -> None:
        self.data["posts"].append({
            "id": id, "platform": "facebook", "url": f"https://www.facebook.com/groups/1/{id}",
            "posted": posted, "captured": captured, "text": text, "concerns": concerns,
            "about": [{"role": "staff", "name": "Mrs A Smith"}]})

    def record(self, day: str, what: str, outcome: str, posts: list[str]) -> None:
        self.data["history"].append({"date": day, "step": what, "outcome": outcome,
                                     "posts": posts})

    def done(self, day: str, action: str, posts: list[str]) -> None:
        self.data["actions"].append({"date": day, "action": action, "posts": posts})

    def _write(self) -> None:
        self.path.write_text(yaml.safe_dump(self.data, sort_keys=False), encoding="utf-8")

    def plan(self, day: str) -> dict:
        self._write()
        result = self.letters("plan", self.path, "--json", "--today", day)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def due(self, day: str) -> list[dict]:
        self._write()
        result = self.letters("due", self.path, "--out", self.out, "--today", day, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["items"]


def letters_in(plan: dict) -> list[tuple[str, tuple[str, ...]]]:
    return [(letter["kind"], tuple(letter["posts"])) for letter in plan["letters"]]


def actions_in(plan: dict) -> list[str]:
    return [action["action"] for action in plan["actions"]]


def test_a_month_in_the_life_of_a_case(tmp_path, letters):
    story = Story(tmp_path, letters)
    story.post("P1", "2026-11-01T20:00", "2026-11-02T08:30",
               "Mrs Smith is a useless teacher. Everyone tell her what you think of her.",
               ["cyberbullying", "names_staff"])

    # 2 November: the first post. The gentle first letter, and support for the teacher.
    plan = story.plan("2026-11-02")
    assert letters_in(plan) == [("concern", ("P1",))]
    assert plan["letters"][0]["respond_by"] == "2026-11-09"
    assert actions_in(plan) == ["support_staff"]
    story.record("2026-11-02", "concern_letter", "pending", ["P1"])
    story.done("2026-11-02", "support_staff", ["P1"])

    # 6 November: the letter is not yet due; nothing new to do.
    plan = story.plan("2026-11-06")
    assert letters_in(plan) == [] and actions_in(plan) == []

    # 10 November: no reply by the 9th. The plan moves on by itself.
    plan = story.plan("2026-11-10")
    assert letters_in(plan) == [("warning", ("P1",)), ("host_takedown", ("P1",))]
    assert "no reply by 9 November 2026" in plan["letters"][0]["reasons"][0]
    assert actions_in(plan) == ["record_outcome"]
    assert {i.get("action") or i.get("kind") for i in story.due("2026-11-10")} == {
        "record_outcome", "warning", "host_takedown"}
    story.record("2026-11-10", "warning_letter", "pending", ["P1"])
    story.record("2026-11-10", "host_takedown", "pending", ["P1"])

    # 13 November: Facebook had two working days (to the 12th) and has not acted.
    plan = story.plan("2026-11-13")
    assert letters_in(plan) == []
    assert "escalate_to_posh" in actions_in(plan)
    story.done("2026-11-13", "escalate_to_posh", ["P1"])

    # 16 November: a new post threatens the teacher. The police first; the platform at once;
    # no second warning, as one is recorded.
    story.post("P2", "2026-11-15T21:00", "2026-11-16T08:00",
               "See you at the gate Monday Mrs Smith.", ["threat_of_violence", "names_staff"])
    plan = story.plan("2026-11-16")
    assert letters_in(plan) == [("host_takedown", ("P2",)), ("police_referral", ("P2",))]
    assert {"call_police", "consider_premises_notice"} <= set(actions_in(plan))
    story.data["police"] = {"crime_reference": "CR-77/26"}
    story.record("2026-11-16", "police_referral", "pending", ["P2"])

    # 18 November: the warning had no reply by the 17th: legal advice, "if the circumstances
    # warrant this". The police hold P2, so the call is no longer asked for.
    plan = story.plan("2026-11-18")
    assert ("legal_referral", ("P1", "P2")) in letters_in(plan)
    assert "call_police" not in actions_in(plan)

    # 23 November: another post, racist: a further referral quoting the crime reference.
    story.post("P3", "2026-11-22T19:00", "2026-11-23T08:00",
               "People like her shouldn't teach here.", ["racist", "names_staff"])
    plan = story.plan("2026-11-23")
    [police] = [letter for letter in plan["letters"] if letter["kind"] == "police_referral"]
    assert police["posts"] == ["P3"] and police["further"] is True
    assert "CR-77/26" in police["reasons"][0]


def test_an_action_dated_before_the_post_it_names_is_refused(tmp_path, letters):
    text = BASE + "actions:\n  - {action: support_staff, date: 2026-10-01, posts: [P1]}\n"
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")

    result = letters("check", path, "--today", "2026-12-01")

    assert result.exit_code == 2
    assert f"{path}:{len(text.splitlines())}: actions[1].date: " in result.stderr


def test_a_table_counts_wide_characters_as_two_columns_so_the_columns_stay_in_line():
    from pipeline.cli import display_width, format_table

    rows = [("R-1", "warning letter", "Mr Zhang Wei 张伟", "1 Dec 2026"),
            ("R-2", "warning letter", "Mrs Jane Doe", "2 Dec 2026")]
    lines = format_table(("Ref", "Letter", "To", "Due"), rows, wrap=(1,))
    # Every row's last column starts at the same terminal column.
    starts = {display_width(line[:line.index(" Dec 2026") - 1]) for line in lines[2:]}
    assert len(starts) == 1, lines
    assert display_width("张伟") == 4 and display_width("e\u0301") == 1


def test_letters_due_never_says_nothing_is_due_plainly_when_a_case_could_not_be_read(
        tmp_path, runner):
    from pipeline.cli import cli

    bad = tmp_path / "bad.yaml"
    bad.write_text("case_id: X\n", encoding="utf-8")
    result = runner.invoke(cli, ["due", str(bad), "--out", str(tmp_path / "o"),
                                 "--today", "2026-12-01", "--school", str(SCHOOL_PATH)])

    assert result.exit_code == 2
    assert result.stdout.strip() != "Nothing is due on 1 December 2026."
    assert "1 case file could not be read" in result.stdout
    assert "this list is not complete" in result.stdout
