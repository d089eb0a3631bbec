"""Dates and times as people in the UK read them."""

from __future__ import annotations

import calendar
import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

UK = ZoneInfo("Europe/London")
TAX_YEAR_START = (4, 6)


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


@dataclass(frozen=True)
class TaxYear:
    """A UK tax year: 6 April to the next 5 April."""

    start: date

    @property
    def end(self) -> date:
        """The 5 April that ends it."""
        return date(self.start.year + 1, 4, 5)

    @property
    def label(self) -> str:
        """'2026 to 2027', as HMRC names tax years."""
        return f"{self.start.year} to {self.start.year + 1}"


def tax_year_of(on: date) -> TaxYear:
    """The UK tax year holding ``on``: from the 6 April on or before it."""
    start = date(on.year, *TAX_YEAR_START)
    return TaxYear(start if on >= start else date(on.year - 1, *TAX_YEAR_START))


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end``: Monday to Friday, less
    England and Wales bank holidays."""
    if end <= start:
        return 0
    weeks, extra = divmod((end - start).days, 7)
    days = weeks * 5
    for offset in range(1, extra + 1):
        if (start + timedelta(days=offset)).weekday() < 5:
            days += 1
    days_off = sum(
        1
        for year in range(start.year, end.year + 1)
        for holiday in bank_holidays(year)
        if start < holiday <= end and holiday.weekday() < 5
    )
    return days - days_off
