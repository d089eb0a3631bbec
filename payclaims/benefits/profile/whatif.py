"""The what-if page's sums: planned sessions as payments, checked against a profile (the
person's own, or one typed on the page). Nothing is saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from payclaims.benefits.engine.check import check_payment
from payclaims.benefits.engine.types import BenefitCheck, Expense, Fee, Line, Payment
from payclaims.benefits.payment_dates import next_payment_date
from payclaims.benefits.profile.forms import WhatIfForm
from payclaims.benefits.profile.models import BenefitProfile
from payclaims.benefits.profile.services import ProfileAnswers, engine_profile
from payclaims.benefits.rules.store import load_rule_set
from payclaims.dates import format_date
from payclaims.roles.models import FeeUnit, RoleDescription

SESSION_UNITS = frozenset({FeeUnit.SESSION, FeeUnit.HALF_DAY, FeeUnit.DAY})
HOURLY_SESSION_HOURS = 2


@dataclass(frozen=True)
class Scenario:
    """One way the planned sessions could be paid, and what the check says."""

    heading: str
    description: str
    check: BenefitCheck


@dataclass(frozen=True)
class WhatIfResult:
    """The scenarios checked, and the date and profile they used."""

    paid_on: date
    own_profile: bool
    scenarios: list[Scenario]


def starting_values(role: RoleDescription | None, *, today: date) -> dict[str, Any]:
    """What the page starts with: 2 sessions of the role (if one is named), paid on the next
    payment date."""
    values: dict[str, Any] = {"sessions": "2", "paid_on": next_payment_date(today)}
    version = role.published_version if role is not None else None
    if version is not None and version.fee_pence is not None:
        if version.fee_unit is FeeUnit.HOUR:
            values["hours"] = str(HOURLY_SESSION_HOURS)
            values["fee"] = version.fee_pence * HOURLY_SESSION_HOURS
        elif version.fee_unit in SESSION_UNITS:
            values["fee"] = version.fee_pence
    return values


def _payment(
    paid_on: date, *, sessions: int, fee: int, hours: Decimal | None, receipted: int, other: int
) -> Payment:
    """``sessions`` sessions a week apart up to ``paid_on``, paid together on it."""
    lines: list[Line] = [
        Fee(amount_pence=fee, hours=hours, worked_on=paid_on - timedelta(weeks=index))
        for index in range(sessions)
        if fee or hours
    ]
    if receipted:
        lines.append(Expense(amount_pence=receipted * sessions, receipted=True))
    if other:
        lines.append(Expense(amount_pence=other * sessions, receipted=False))
    return Payment(paid_on=paid_on, lines=tuple(lines))


def estimate(
    form: WhatIfForm,
    *,
    stored: BenefitProfile | None,
    typed: ProfileAnswers | None,
    today: date,
) -> WhatIfResult:
    """Check the planned sessions: all paid together, and (for more than one) one alone."""
    profile_source = stored if stored is not None else typed
    assert profile_source is not None
    profile = engine_profile(profile_source)
    paid_on = form.paid_on.data or next_payment_date(today)
    sessions = int(form.sessions.data or "1")
    fee = form.fee.data or 0
    hours = Decimal(form.hours.data) if form.hours.data else None
    receipted, other = form.expenses.data or 0, form.unreceipted.data or 0
    rules = load_rule_set()
    when = format_date(paid_on)

    def check(count: int) -> BenefitCheck:
        payment = _payment(
            paid_on, sessions=count, fee=fee, hours=hours, receipted=receipted, other=other
        )
        return check_payment(profile, [], payment, rules)

    scenarios = [
        Scenario(
            f"All {sessions} sessions paid together on {when}"
            if sessions > 1
            else f"Paid on {when}",
            "One payment for the sessions, done one a week up to the payment date. This is the "
            "most that could be counted in one week.",
            check(sessions),
        )
    ]
    if sessions > 1:
        scenarios.append(
            Scenario(
                f"One session paid on {when}",
                "If each session is paid on its own, in a different week.",
                check(1),
            )
        )
    return WhatIfResult(paid_on=paid_on, own_profile=stored is not None, scenarios=scenarios)
