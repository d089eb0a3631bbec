"""Dates and times as people in the UK read them."""

from __future__ import annotations

import calendar
import functools
from datetime import date, datetime
from zoneinfo import ZoneInfo

import holidays

UK = ZoneInfo("Europe/London")


def format_date(value: date | datetime | None) -> str:
    """'3 December 2026' (UK time for datetimes)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(UK).date()
    return f"{value.day} {value:%B %Y}"


def format_datetime(value: datetime | None) -> str:
    """'3 December 2026 at 4:05pm', in UK time."""
    if value is None:
        return ""
    local = value.astimezone(UK)
    hour = local.hour % 12 or 12
    return f"{format_date(local)} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day if it is shorter (31 Jan + 1)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@functools.cache
def bank_holidays(year: int) -> frozenset[date]:
    """England and Wales bank holidays in ``year``, substitute days included.

    From the holidays package, which keeps the list current (one-off holidays such as a
    coronation or a state funeral come with its releases), so no list is kept here.
    """
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def uk_today() -> date:
    """Today's date in the UK."""
    return datetime.now(UK).date()


def describe_hours(hours: int) -> str:
    """'3 days', '1 day', '36 hours' or '1 hour': whole days when it divides."""
    if hours % 24 == 0:
        days = hours // 24
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{hours} hour{'s' if hours != 1 else ''}"
