"""Dates and periods (placeholder until the working-day calendar lands)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class Period:
    days: int
    working: bool = False

    def after(self, start: date) -> date:
        return start + timedelta(days=self.days)

    def words(self) -> str:
        unit = "working day" if self.working else "day"
        return f"{self.days} {unit}{'s' if self.days != 1 else ''}"


def day_of(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def long_date(value: date | datetime) -> str:
    """A date as the letters print it: 3 November 2026."""
    value = day_of(value)
    return f"{value.day} {value:%B %Y}"
