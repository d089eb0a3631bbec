"""Periods: the Universal Credit assessment period and the benefit week holding a date."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from payclaims.benefits.engine.types import WeekStart
from payclaims.dates import format_date


def _start_in_month(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def assessment_period(start_day: int, on: date) -> tuple[date, date]:
    """The UC assessment period holding ``on``: (first day, last day).

    It starts on ``start_day`` of a month, or that month's last day when the month is shorter,
    and ends the day before the next start.
    """
    if not 1 <= start_day <= 31:
        raise ValueError("An assessment period starts on a day from 1 to 31")
    start = _start_in_month(on.year, on.month, start_day)
    year, month = on.year, on.month
    if on < start:
        year, month = _previous_month(year, month)
        start = _start_in_month(year, month, start_day)
    following = _start_in_month(*_next_month(year, month), start_day)
    return start, following - timedelta(days=1)


def benefit_week(week_start: WeekStart, on: date) -> tuple[date, date]:
    """The benefit week holding ``on``: (first day, last day)."""
    start = on - timedelta(days=(on.weekday() - week_start.weekday) % 7)
    return start, start + timedelta(days=6)


def period_text(start: date, end: date) -> str:
    """A period as the messages name it: '14 November 2026 to 13 December 2026'."""
    return f"{format_date(start)} to {format_date(end)}"
