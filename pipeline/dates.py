"""Time for the case: UK local time, working days, due dates and dates that cannot be right.

Everything here is pure: no files, no terminal, and the clock only in `real_today()`. Commands take
``--today`` and pass that date in (CASE_FORMAT.md v2, "Today").

Decisions (CASE_FORMAT.md v2, "Dates that cannot be right" and "Words the rules use"):

- UK time. A date-time with an offset (``2026-10-30T23:30:00-05:00``) is converted to Europe/London
  and returned *naive* (letters print local clock times): that one is 31 October 2026 at 04:30 GMT.
  A naive date-time is taken as UK local time already; a date stays a date. `uk_time` also keeps
  the offset as written (``"UTC−05:00"``, with a true minus sign) when, and only when, the UK clock
  reads differently at that instant, so a letter can name the zone where it matters and stay quiet
  where it does not (``+01:00`` in summer and ``Z`` in winter are the UK clock already). A converted
  time in the hour the clocks repeat (01:00-02:00 on the last Sunday of October) is printed with
  GMT or BST. A value so near year 1 or 9999 that UK time cannot hold it keeps its own clock.
- Working days: Monday to Friday less the bank holidays of England and Wales, which are the same
  list; they come from the ``holidays`` package (``country_holidays("GB", subdiv="ENG")``, with
  substitute days such as Boxing Day observed on Monday 28 December 2026), cached per year, never
  kept by hand. The package knows 1872-2100; outside those years only weekends are excluded.
- "N days after D" counts calendar days and is not moved off a weekend or holiday; "N working
  days after D" does not count D and works from a weekend or holiday. Dates are clamped at
  0001-01-01 and 9999-12-31 rather than overflow (such a date is already "after today").
- A due date is the last day to act: a step is overdue from the day after it.
- Comparisons are made in UK time. Two date-times compare as instants, to the minute (seconds are
  ignored); when either side is a date only, the UK days compare, so a post captured "on
  2026-10-30" is fine beside one posted at 18:45 that day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import NamedTuple, Protocol
from zoneinfo import ZoneInfo

import holidays

UK = ZoneInfo("Europe/London")

_Day = date  # aliases, so that protocol members called `date` do not hide the type
_When = date | datetime

# --- the periods the rules use ------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A span of time a letter or step allows: 7 days, or 2 working days."""

    days: int
    working: bool = False

    def __post_init__(self) -> None:
        if self.days < 0:
            raise ValueError(f"a period cannot be negative ({self.days} days)")

    def after(self, start: date) -> date:
        """The date this period after `start` (start itself not counted)."""
        return add_working_days(start, self.days) if self.working else add_days(start, self.days)

    def words(self) -> str:
        """As a letter says it: '7 days', '1 working day', '10 working days'."""
        unit = "working day" if self.working else "day"
        return f"{self.days} {unit}{'' if self.days == 1 else 's'}"


SEVEN_DAYS = Period(7)
TWO_WORKING_DAYS = Period(2, working=True)
TEN_WORKING_DAYS = Period(10, working=True)


@dataclass(frozen=True)
class DueRule:
    """When something falls due: `period` after its date, or `urgent` when a post is urgent.

    `outcomes`, when given, limits the rule to steps that ended so (a discussion only when agreed).
    """

    period: Period
    urgent: Period | None = None
    outcomes: frozenset[str] | None = None

    def period_for(self, urgent: bool) -> Period:
        return self.urgent if urgent and self.urgent is not None else self.period

    def applies(self, outcome: str) -> bool:
        return self.outcomes is None or outcome in self.outcomes

    def due(self, start: date, *, urgent: bool) -> date:
        return self.period_for(urgent).after(start)


OVERDUE_OUTCOMES = frozenset({"pending", "agreed"})

# --- the clock and UK local time ----------------------------------------------------------------


def real_today() -> date:
    """Today's date in the UK: the one place this module reads the clock."""
    return datetime.now(UK).date()


def _offset_text(offset: timedelta) -> str:
    """An offset as people read it: 'UTC', 'UTC+05:30', 'UTC−05:00' (U+2212 minus)."""
    if not offset:
        return "UTC"
    sign = "+" if offset > timedelta(0) else "\u2212"
    hours, rest = divmod(abs(int(offset.total_seconds())), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")


@dataclass(frozen=True)
class LocalTime:
    """A date or date-time as the letters give it, in UK time.

    when: a date, or a naive date-time on the UK clock.
    original: the value as written.
    original_offset: the written offset ('UTC−05:00') when the UK clock reads differently at that
        instant; None for dates, naive date-times, and offsets that are UK time already.
    zone: 'GMT' or 'BST' for a converted date-time; None otherwise.
    repeated_hour: True when `when` falls in the hour the clocks repeat in October, so the clock
        time alone is ambiguous and `words` names GMT or BST rather than 'UK time'.
    """

    when: date | datetime
    original: date | datetime
    original_offset: str | None = None
    zone: str | None = None
    repeated_hour: bool = False

    @property
    def converted(self) -> bool:
        """Whether the UK clock differs from the clock as written."""
        return self.original_offset is not None

    def words(self) -> str:
        """'31 October 2026 at 04:30 UK time (30 October 2026 at 23:30 UTC−05:00)'."""
        if not isinstance(self.when, datetime):
            return long_date(self.when)
        if self.original_offset is not None:
            written = f"{_clock(self.original)} {self.original_offset}"
            if self.zone is None:  # could not be put on the UK clock
                return written
            label = self.zone if self.repeated_hour else "UK time"
            return f"{_clock(self.when)} {label} ({written})"
        text = _clock(self.when)
        return f"{text} {self.zone}" if self.repeated_hour and self.zone else text


def uk_time(value: date | datetime) -> LocalTime:
    """`value` in UK time, with what a letter needs to name the zone where it matters."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        return LocalTime(when=value, original=value)
    offset = value.utcoffset()
    assert offset is not None
    try:
        local = value.astimezone(UK)
    except (OverflowError, ValueError):
        return LocalTime(when=value.replace(tzinfo=None), original=value,
                         original_offset=_offset_text(offset))
    other_fold = local.replace(fold=1 - local.fold)
    return LocalTime(
        when=local.replace(tzinfo=None), original=value,
        original_offset=None if local.utcoffset() == offset else _offset_text(offset),
        zone=local.tzname(), repeated_hour=other_fold.utcoffset() != local.utcoffset())


def to_uk(value: date | datetime) -> date | datetime:
    """A date unchanged; a date-time as a naive UK local time (naive ones are UK time already)."""
    return uk_time(value).when


def day_of(value: date | datetime) -> date:
    """The UK calendar day of a date or date-time."""
    local = to_uk(value)
    return local.date() if isinstance(local, datetime) else local


# --- dates as the letters print them ------------------------------------------------------------

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def _day_words(d: date) -> str:
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def _clock(value: datetime | date) -> str:
    """A date-time's own clock, unconverted: '30 October 2026 at 18:45'."""
    if not isinstance(value, datetime):
        return _day_words(value)
    return f"{_day_words(value.date())} at {value:%H:%M}"


def long_date(value: date | datetime) -> str:
    """'3 November 2026' (no leading zero, English month names whatever the locale), UK day."""
    return _day_words(day_of(value))


def long_datetime(value: datetime | date) -> str:
    """'30 October 2026 at 18:45' in UK time (seconds dropped); a plain date as `long_date`."""
    return _clock(to_uk(value))


# --- working days -------------------------------------------------------------------------------


@cache
def bank_holidays(year: int) -> frozenset[date]:
    """The bank holidays of England and Wales in `year`, substitute days included."""
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(d: date) -> bool:
    """Monday to Friday, and not a bank holiday in England and Wales."""
    return d.weekday() < 5 and d not in bank_holidays(d.year)


def add_days(d: date, n: int) -> date:
    """`n` calendar days after `d` (before it when n < 0), held at 0001-01-01 and 9999-12-31."""
    try:
        return d + timedelta(days=n)
    except OverflowError:
        return date.max if n > 0 else date.min


def add_working_days(d: date, n: int) -> date:
    """The n-th working day after `d`, `d` not counted (before it when n < 0); n = 0 gives `d`.

    `d` may itself be a weekend or a bank holiday: 1 working day after Saturday is Monday (or
    Tuesday when Monday is a bank holiday). Held at 0001-01-01 and 9999-12-31.
    """
    step = timedelta(days=1 if n >= 0 else -1)
    end = date.max if n >= 0 else date.min
    left = abs(n)
    while left:
        if d == end:
            return d
        d += step
        if is_working_day(d):
            left -= 1
    return d


def _weekdays_to(d: date) -> int:
    """Mondays to Fridays from 0001-01-01 (a Monday) to `d` inclusive."""
    weeks, rest = divmod(d.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


def working_days_between(a: date, b: date) -> int:
    """Working days d with a < d <= b (so add_working_days(a, n) = b gives n); negative if b < a."""
    if b < a:
        return -working_days_between(b, a)
    count = _weekdays_to(b) - _weekdays_to(a)
    for year in range(a.year, b.year + 1):
        count -= sum(1 for h in bank_holidays(year) if a < h <= b and h.weekday() < 5)
    return count


# --- due dates, respond_by and overdue ----------------------------------------------------------


def step_due(rule: DueRule | None, outcome: str, step_date: date, *,
             explicit_due: date | None, urgent: bool) -> date | None:
    """A history step's due date: its own `due:` if it has one, else by `rule` (the step's
    kind's rule in the registry; None: the step has no due date of its own).

    `urgent`: a post the step concerns is urgent.
    """
    if explicit_due is not None:
        return explicit_due
    if rule is None or not rule.applies(outcome):
        return None
    return rule.due(step_date, urgent=urgent)


def is_overdue(outcome: str, due: date | None, today: date, *, posts_live: bool) -> bool:
    """Outcome pending or agreed, due date passed (due is the last day), and a post still live.

    `posts_live`: whether any post the step concerns is still live.
    """
    return outcome in OVERDUE_OUTCOMES and due is not None and due < today and posts_live


def days_overdue(due: date, today: date) -> int:
    """Days since the due date passed: 0 on or before the due date, 1 the day after."""
    return max(0, (today - due).days)


# --- dates that cannot be right -----------------------------------------------------------------


class PostDates(Protocol):
    """What `date_problems` reads from a post (pipeline.models.Post has these)."""

    @property
    def id(self) -> str | None: ...
    @property
    def posted(self) -> _When: ...
    @property
    def captured(self) -> _When | None: ...


class StepDates(Protocol):
    """What `date_problems` reads from a history entry (pipeline.models.HistoryStep has these)."""

    @property
    def date(self) -> _Day: ...
    @property
    def posts(self) -> Sequence[str] | None: ...


class PostTimes(NamedTuple):
    """A plain PostDates, for callers without the case model."""

    id: str | None
    posted: _When
    captured: _When | None = None


class StepTimes(NamedTuple):
    """A plain StepDates: `posts` are the post ids the entry names (None: it names none)."""

    date: _Day
    posts: Sequence[str] | None = None


class DateProblem(NamedTuple):
    """A date that cannot be right: where it is (('posts', 0, 'captured')) and what to tell staff."""

    path: tuple[str | int, ...]
    message: str


def _instant_minute(value: datetime) -> datetime:
    """A date-time as a naive UTC instant to the minute; a naive value is UK local time."""
    aware = value if value.utcoffset() is not None else value.replace(tzinfo=UK)
    return aware.astimezone(UTC).replace(tzinfo=None, second=0, microsecond=0)


def is_before(a: date | datetime, b: date | datetime) -> bool:
    """Whether `a` is before `b` in UK time: instants to the minute when both are date-times,
    else calendar days (so a date is never before a date-time on the same UK day)."""
    if isinstance(a, datetime) and isinstance(b, datetime):
        try:
            return _instant_minute(a) < _instant_minute(b)
        except (OverflowError, ValueError):
            return a.replace(tzinfo=None) < b.replace(tzinfo=None)
    return day_of(a) < day_of(b)


def after_today(value: date | datetime, today: date) -> str:
    hint = "check the year" if day_of(value).year != today.year else "check the date"
    return f"is {uk_time(value).words()}, after today ({long_date(today)}); {hint}"


def date_problems(posts: Sequence[PostDates], history: Sequence[StepDates],
                  today: date) -> list[DateProblem]:
    """Every date that cannot be right (CASE_FORMAT.md v2), in file order.

    `posts` in file order; a post without an id is P1, P2, ... by position. `history` in file
    order, each naming the post ids it gives in `posts:` (a name no post has is not checked here;
    an entry that names none is checked only against today). Paths count from 0, like pydantic's.
    """
    problems: list[DateProblem] = []
    posted_by_id: dict[str, date | datetime] = {}
    for i, post in enumerate(posts):
        posted_by_id.setdefault(post.id or f"P{i + 1}", post.posted)
        if day_of(post.posted) > today:
            problems.append(DateProblem(("posts", i, "posted"), after_today(post.posted, today)))
        captured = post.captured
        if captured is None:
            continue
        if day_of(captured) > today:
            problems.append(DateProblem(("posts", i, "captured"), after_today(captured, today)))
        if is_before(captured, post.posted):
            check = "the date and time" if isinstance(captured, datetime) else "the date"
            problems.append(DateProblem(
                ("posts", i, "captured"),
                f"is {uk_time(captured).words()}, before the post was posted on "
                f"{uk_time(post.posted).words()}; check {check}"))
    for i, step in enumerate(history):
        step_day = day_of(step.date)
        if step_day > today:
            problems.append(DateProblem(("history", i, "date"), after_today(step_day, today)))
        for post_id in dict.fromkeys(step.posts or ()):
            posted = posted_by_id.get(post_id)
            if posted is not None and step_day < day_of(posted):
                problems.append(DateProblem(
                    ("history", i, "date"),
                    f"is {long_date(step_day)}, but the entry names {post_id}, which was posted "
                    f"on {uk_time(posted).words()}; check the date and the posts it names"))
    return problems
