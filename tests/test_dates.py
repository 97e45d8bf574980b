"""pipeline.dates: UK time, working days, due dates and dates that cannot be right.

Facts are checked against the published bank holidays of England and Wales (gov.uk) and the
Europe/London clock changes of 2026 (forward 29 March, back 25 October).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest

from pipeline import dates as D
from pipeline import kinds
from pipeline.dates import (
    Period,
    PostTimes,
    StepTimes,
    add_working_days,
    date_problems,
    day_of,
    is_overdue,
    is_working_day,
    long_date,
    long_datetime,
    step_due,
    to_uk,
    uk_time,
    working_days_between,
)

d = date.fromisoformat
dt = datetime.fromisoformat


# --- bank holidays and working days ------------------------------------------------------------


def test_bank_holidays_2026_are_england_and_wales_list_with_substitute_day():
    assert D.bank_holidays(2026) == {d(x) for x in (
        "2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31",
        "2026-12-25", "2026-12-26", "2026-12-28")}
    assert {d("2027-01-01"), d("2027-12-27"), d("2027-12-28")} <= D.bank_holidays(2027)


def test_england_and_wales_share_one_list():
    import holidays

    for year in (2026, 2027):
        assert set(holidays.country_holidays("GB", subdiv="WLS", years=year)) == D.bank_holidays(year)


@pytest.mark.parametrize("day, working", [
    ("2026-04-02", True),    # Thursday before Easter
    ("2026-04-03", False),   # Good Friday
    ("2026-04-04", False),   # Saturday
    ("2026-04-05", False),   # Sunday
    ("2026-04-06", False),   # Easter Monday
    ("2026-04-07", True),
    ("2026-12-24", True),
    ("2026-12-25", False),   # Christmas Day, Friday
    ("2026-12-28", False),   # Boxing Day (Saturday) observed on Monday
    ("2026-12-29", True),
    ("2027-01-01", False),   # New Year's Day, Friday
    ("2027-01-04", True),
    ("2026-11-06", True),    # an ordinary Friday
    ("2026-11-07", False),   # an ordinary Saturday
])
def test_is_working_day(day, working):
    assert is_working_day(d(day)) is working


@pytest.mark.parametrize("start, n, expected", [
    ("2026-10-30", 1, "2026-11-02"),    # Friday -> Monday
    ("2026-11-03", 2, "2026-11-05"),    # Tuesday -> Thursday
    ("2026-11-05", 2, "2026-11-09"),    # Thursday -> Monday over the weekend
    ("2026-11-07", 1, "2026-11-09"),    # from a Saturday: Monday is the first
    ("2026-11-07", 2, "2026-11-10"),
    ("2026-11-08", 1, "2026-11-09"),    # from a Sunday
    ("2026-04-02", 1, "2026-04-07"),    # over Good Friday and Easter Monday
    ("2026-04-02", 2, "2026-04-08"),
    ("2026-04-03", 1, "2026-04-07"),    # from Good Friday itself
    ("2026-12-24", 2, "2026-12-30"),    # Thu 24 Dec: Fri 25, Sat, Sun, Mon 28 are not counted
    ("2026-12-27", 1, "2026-12-29"),
    ("2026-12-31", 1, "2027-01-04"),    # New Year's Day 2027 is a Friday
    ("2026-11-02", 10, "2026-11-16"),
    ("2026-12-18", 10, "2027-01-06"),
    ("2026-11-07", 0, "2026-11-07"),    # zero: the day itself, even a Saturday
    ("2026-11-09", -1, "2026-11-06"),   # backwards: Monday -> Friday
    ("2026-12-29", -1, "2026-12-24"),
])
def test_add_working_days(start, n, expected):
    assert add_working_days(d(start), n) == d(expected)


def test_working_days_between_inverts_add_working_days():
    start = d("2026-03-01")
    for offset in range(0, 700, 3):
        a = start + timedelta(days=offset)
        for n in (1, 2, 5, 10):
            b = add_working_days(a, n)
            assert working_days_between(a, b) == n
            assert working_days_between(b, a) == -n
    assert working_days_between(d("2026-12-24"), d("2026-12-28")) == 0
    assert working_days_between(d("2026-01-01"), d("2026-12-31")) == 253  # 261 weekdays less 8 bank holidays


def test_dates_at_the_end_of_the_calendar_are_held_not_overflowed():
    assert add_working_days(date.max, 2) == date.max
    assert add_working_days(date.min, -2) == date.min
    assert D.add_days(date.max, 7) == date.max
    assert Period(7).after(d("9999-12-30")) == date.max


def test_period_words_and_after():
    assert Period(7).words() == "7 days"
    assert Period(1).words() == "1 day"
    assert Period(2, working=True).words() == "2 working days"
    assert Period(1, working=True).words() == "1 working day"
    assert Period(10, working=True).words() == "10 working days"
    assert Period(7).after(d("2026-12-24")) == d("2026-12-31")   # calendar days are not moved
    assert Period(7).after(d("2026-12-18")) == d("2026-12-25")
    assert Period(2, working=True).after(d("2026-12-24")) == d("2026-12-30")
    with pytest.raises(ValueError):
        Period(-1)


# --- UK time -------------------------------------------------------------------------------------


@pytest.mark.parametrize("written, uk, offset", [
    # late evening in New York, the week after the clocks went back: next day in the UK, GMT
    ("2026-10-30T23:30:00-05:00", "2026-10-31T04:30:00", "UTC\u221205:00"),
    # +01:00 in summer is BST: the same clock, so no zone to name
    ("2026-07-01T22:30:00+01:00", "2026-07-01T22:30:00", None),
    # Z in winter is GMT: the same clock
    ("2026-12-01T09:00:00Z", "2026-12-01T09:00:00", None),
    # Z in summer is an hour behind BST, and here crosses midnight
    ("2026-07-01T23:30:00Z", "2026-07-02T00:30:00", "UTC"),
    # +01:00 in winter is an hour ahead of GMT
    ("2026-12-01T00:30:00+01:00", "2026-11-30T23:30:00", "UTC+01:00"),
    # clocks go forward at 01:00 UTC on 29 March 2026
    ("2026-03-29T00:30:00Z", "2026-03-29T00:30:00", None),
    ("2026-03-29T01:30:00Z", "2026-03-29T02:30:00", "UTC"),
    # clocks go back at 01:00 UTC on 25 October 2026: 01:30 happens twice
    ("2026-10-25T00:30:00Z", "2026-10-25T01:30:00", "UTC"),
    ("2026-10-25T01:30:00Z", "2026-10-25T01:30:00", None),
    ("2026-10-30T18:45:00+05:30", "2026-10-30T13:15:00", "UTC+05:30"),
])
def test_offsets_are_converted_to_uk_time_across_clock_changes(written, uk, offset):
    local = uk_time(dt(written))
    assert local.when == dt(uk) and local.when.tzinfo is None
    assert local.original_offset == offset
    assert local.converted is (offset is not None)
    assert to_uk(dt(written)) == dt(uk)


def test_naive_and_date_values_are_uk_already():
    naive = dt("2026-10-30T18:45")
    assert to_uk(naive) == naive and uk_time(naive).original_offset is None
    assert to_uk(d("2026-10-30")) == d("2026-10-30")
    assert day_of(naive) == d("2026-10-30")
    assert day_of(dt("2026-10-30T23:30:00-05:00")) == d("2026-10-31")
    assert day_of(d("2026-10-30")) == d("2026-10-30")


def test_words_name_the_zone_only_where_it_matters():
    assert uk_time(dt("2026-10-30T23:30:00-05:00")).words() == (
        "31 October 2026 at 04:30 UK time (30 October 2026 at 23:30 UTC\u221205:00)")
    assert uk_time(dt("2026-07-01T22:30:00+01:00")).words() == "1 July 2026 at 22:30"
    assert uk_time(dt("2026-10-30T18:45")).words() == "30 October 2026 at 18:45"
    assert uk_time(d("2026-11-03")).words() == "3 November 2026"
    # the repeated hour names GMT or BST, since the clock time alone is ambiguous
    assert uk_time(dt("2026-10-25T01:30:00Z")).words() == "25 October 2026 at 01:30 GMT"
    assert uk_time(dt("2026-10-25T00:30:00Z")).words() == (
        "25 October 2026 at 01:30 BST (25 October 2026 at 00:30 UTC)")


def test_values_uk_time_cannot_hold_keep_their_own_clock():
    edge = dt("9999-12-31T23:30:00-05:00")
    assert to_uk(edge) == dt("9999-12-31T23:30:00")
    assert uk_time(edge).words() == "31 December 9999 at 23:30 UTC\u221205:00"


def test_long_dates():
    assert long_date(d("2026-11-03")) == "3 November 2026"
    assert long_date(dt("2026-10-30T23:30:00-05:00")) == "31 October 2026"
    assert long_datetime(dt("2026-10-30T18:45:59")) == "30 October 2026 at 18:45"
    assert long_datetime(dt("2026-10-30T23:30:00-05:00")) == "31 October 2026 at 04:30"
    assert long_datetime(d("2026-11-03")) == "3 November 2026"


def test_real_today_is_the_uk_date():
    assert abs(D.real_today() - datetime.now(D.UK).date()) <= timedelta(days=1)


# --- due dates -----------------------------------------------------------------------------------

TUE = d("2026-11-03")


@pytest.mark.parametrize("step, outcome, urgent, expected", [
    ("concern_letter", "pending", False, "2026-11-10"),
    ("concern_letter", "pending", True, "2026-11-05"),
    ("concern_letter", "refused", False, "2026-11-10"),   # the date stands; overdue decides
    ("warning_letter", "pending", False, "2026-11-10"),
    ("warning_letter", "agreed", True, "2026-11-05"),
    ("host_takedown", "pending", False, "2026-11-05"),
    ("host_takedown", "pending", True, "2026-11-05"),
    ("discussion", "agreed", False, "2026-11-10"),
    ("discussion", "agreed", True, "2026-11-10"),         # urgency does not shorten a discussion
    ("discussion", "refused", False, None),
    ("discussion", "pending", False, None),
    ("discussion", "continued", True, None),
    ("police_referral", "pending", True, None),
    ("legal_referral", "pending", False, None),
    ("access_restriction", "pending", False, None),
    ("premises_notice", "pending", False, None),
    ("something_new", "pending", False, None),
])
def test_step_due_defaults(step, outcome, urgent, expected):
    due = step_due(kinds.step_due_rule(step), outcome, TUE, explicit_due=None, urgent=urgent)
    assert due == (d(expected) if expected else None)


@pytest.mark.parametrize("step, outcome", [
    ("concern_letter", "pending"), ("host_takedown", "agreed"), ("discussion", "refused"),
    ("police_referral", "pending"), ("access_restriction", "agreed"),
])
def test_explicit_due_wins(step, outcome):
    for urgent in (False, True):
        assert step_due(kinds.step_due_rule(step), outcome, TUE, explicit_due=d("2026-12-08"),
                        urgent=urgent) == d("2026-12-08")


def test_step_due_over_christmas_and_with_other_rules():
    assert step_due(kinds.step_due_rule("warning_letter"), "pending", d("2026-12-24"),
                    explicit_due=None, urgent=True) == d("2026-12-30")
    assert step_due(D.DueRule(Period(14)), "pending", TUE, explicit_due=None,
                    urgent=True) == d("2026-11-17")
    assert step_due(None, "pending", TUE, explicit_due=None, urgent=False) is None


@pytest.mark.parametrize("kind, urgent, expected", [
    ("concern", False, "2026-11-10"),
    ("concern", True, "2026-11-05"),
    ("warning", False, "2026-11-10"),
    ("warning", True, "2026-11-05"),
    ("host_takedown", False, "2026-11-05"),
    ("access_restriction", False, "2026-11-17"),
    ("police_referral", True, None),
    ("legal_referral", False, None),
])
def test_respond_by(kind, urgent, expected):
    assert kinds.get(kind).respond_by_date(TUE, urgent=urgent) == (d(expected) if expected
                                                                   else None)


@pytest.mark.parametrize("outcome, due, today, live, overdue", [
    ("pending", "2026-11-10", "2026-11-11", True, True),
    ("agreed", "2026-11-10", "2026-12-01", True, True),
    ("pending", "2026-11-10", "2026-11-10", True, False),   # the due date is the last day
    ("pending", "2026-11-10", "2026-11-09", True, False),
    ("pending", "2026-11-10", "2026-11-11", False, False),  # posts removed
    ("agreed", "2026-11-10", "2026-12-01", False, False),
    ("refused", "2026-11-10", "2026-12-01", True, False),
    ("no_response", "2026-11-10", "2026-12-01", True, False),
    ("removed", "2026-11-10", "2026-12-01", True, False),
    ("continued", "2026-11-10", "2026-12-01", True, False),
    ("pending", None, "2026-12-01", True, False),            # no due date
])
def test_is_overdue(outcome, due, today, live, overdue):
    assert is_overdue(outcome, d(due) if due else None, d(today), posts_live=live) is overdue


def test_days_overdue():
    assert D.days_overdue(d("2026-11-10"), d("2026-11-10")) == 0
    assert D.days_overdue(d("2026-11-10"), d("2026-11-11")) == 1
    assert D.days_overdue(d("2026-11-10"), d("2026-12-08")) == 28
    assert D.days_overdue(d("2026-11-10"), d("2026-11-01")) == 0


# --- dates that cannot be right ------------------------------------------------------------------

TODAY = d("2026-12-01")


def test_clean_case_has_no_problems():
    posts = [PostTimes("P1", dt("2026-10-30T18:45"), dt("2026-10-31T09:12")),
             PostTimes("P2", d("2026-11-02"), d("2026-11-02")),
             PostTimes("P3", dt("2026-11-05T10:00"), None)]
    history = [StepTimes(d("2026-10-31"), ["P1"]), StepTimes(d("2026-11-05"), ["P1", "P2", "P3"]),
               StepTimes(TODAY, None)]
    assert date_problems(posts, history, TODAY) == []


def test_post_in_2062():
    problems = date_problems([PostTimes("P1", d("2062-03-03"))], [], TODAY)
    assert problems == [(("posts", 0, "posted"),
                         "is 3 March 2062, after today (1 December 2026); check the year")]


def test_future_dates_within_the_year_and_captured():
    problems = date_problems([PostTimes("P1", dt("2026-12-02T08:00"), dt("2026-12-03T08:00"))],
                             [], TODAY)
    assert [p.path for p in problems] == [("posts", 0, "posted"), ("posts", 0, "captured")]
    assert problems[0].message == ("is 2 December 2026 at 08:00, after today (1 December 2026); "
                                   "check the date")


def test_offset_that_is_tomorrow_in_the_uk_is_after_today():
    late = dt("2026-10-30T23:30:00-05:00")
    problems = date_problems([PostTimes("P1", late)], [], d("2026-10-30"))
    assert problems == [(("posts", 0, "posted"),
                         "is 31 October 2026 at 04:30 UK time (30 October 2026 at 23:30 "
                         "UTC\u221205:00), after today (30 October 2026); check the date")]
    assert date_problems([PostTimes("P1", late)], [], d("2026-10-31")) == []


def test_captured_before_posted():
    problems = date_problems([PostTimes("P1", dt("2026-10-30T18:45"), dt("2026-10-30T18:44"))],
                             [], TODAY)
    assert problems == [(("posts", 0, "captured"),
                         "is 30 October 2026 at 18:44, before the post was posted on "
                         "30 October 2026 at 18:45; check the date and time")]
    problems = date_problems([PostTimes("P1", dt("2026-10-30T18:45"), d("2026-10-29"))], [], TODAY)
    assert problems == [(("posts", 0, "captured"),
                         "is 29 October 2026, before the post was posted on "
                         "30 October 2026 at 18:45; check the date")]


@pytest.mark.parametrize("posted, captured", [
    ("2026-10-30T18:45", "2026-10-30"),                  # captured that day, no time given
    ("2026-10-30", "2026-10-30T08:00"),                  # posted that day, no time given
    ("2026-10-30T18:45:50", "2026-10-30T18:45:10"),      # the same minute
    ("2026-10-30T23:30:00-05:00", "2026-10-31T04:30:00Z"),  # the same instant
    ("2026-10-30T23:30:00-05:00", "2026-10-31"),         # UK day of the post
    ("2026-10-25T01:50:00+01:00", "2026-10-25T01:10:00+00:00"),  # BST 01:50, then GMT 01:10
    ("2026-10-30T18:45:00+01:00", "2026-10-30T17:50"),   # 17:45 UK, captured 17:50 UK
])
def test_captured_not_before_posted(posted, captured):
    when = dt if "T" in posted else d
    got = dt if "T" in captured else d
    assert date_problems([PostTimes("P1", when(posted), got(captured))], [], TODAY) == []


def test_captured_a_day_before_the_uk_day_of_an_offset_post():
    problems = date_problems(
        [PostTimes("P1", dt("2026-10-30T23:30:00-05:00"), d("2026-10-30"))], [], TODAY)
    assert [p.path for p in problems] == [("posts", 0, "captured")]


def test_history_before_a_post_it_names():
    posts = [PostTimes("P1", d("2026-09-01")), PostTimes("P2", dt("2026-10-05T18:45"))]
    history = [StepTimes(d("2026-10-02"), ["P1", "P2"]), StepTimes(d("2026-10-05"), ["P2"])]
    assert date_problems(posts, history, TODAY) == [
        (("history", 0, "date"),
         "is 2 October 2026, but the entry names P2, which was posted on 5 October 2026 at 18:45; "
         "check the date and the posts it names")]


def test_history_checks_only_posts_it_names():
    posts = [PostTimes("P1", d("2026-09-01")), PostTimes("P2", d("2026-10-05"))]
    history = [StepTimes(d("2026-09-02"), None), StepTimes(d("2026-09-02"), []),
               StepTimes(d("2026-09-02"), ["P1", "P9"])]
    assert date_problems(posts, history, TODAY) == []


def test_history_in_the_future():
    history = [StepTimes(d("2026-11-03"), None), StepTimes(d("2027-01-05"), None)]
    assert date_problems([PostTimes("P1", d("2026-10-30"))], history, TODAY) == [
        (("history", 1, "date"), "is 5 January 2027, after today (1 December 2026); check the year")]


def test_posts_without_ids_are_numbered_and_models_are_read_by_attribute():
    posts = [SimpleNamespace(id=None, posted=d("2026-09-01"), captured=None),
             SimpleNamespace(id=None, posted=dt("2026-11-20T10:00"), captured=None)]
    history = [SimpleNamespace(date=d("2026-11-19"), posts=["P2"])]
    problems = date_problems(posts, history, TODAY)
    assert [(p.path, p.message.split(",")[1].strip()) for p in problems] == [
        (("history", 0, "date"), "but the entry names P2")]
