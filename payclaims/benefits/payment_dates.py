"""When payments are made: the next payment run day from the finance settings, the date a
benefits check assumes a payment reaches the account."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from flask import current_app

WEEKLY, MONTHLY = "weekly", "monthly"


def payment_date_after(today: date, *, frequency: str, day: int) -> date:
    """The first run day after ``today``: weekly on ``day`` (1 Monday ... 7 Sunday), or monthly
    on that day of the month (the month's last day when it is shorter)."""
    if frequency == WEEKLY:
        ahead = (day - 1 - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    year, month = today.year, today.month
    for _ in range(2):
        run = date(year, month, min(day, calendar.monthrange(year, month)[1]))
        if run > today:
            return run
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
    raise AssertionError("a monthly run day always comes within two months")


def next_payment_date(today: date) -> date:
    """The next payment run after ``today``, from PAYMENT_RUN_FREQUENCY and PAYMENT_RUN_DAY."""
    config = current_app.config
    return payment_date_after(
        today, frequency=config["PAYMENT_RUN_FREQUENCY"], day=int(config["PAYMENT_RUN_DAY"])
    )
