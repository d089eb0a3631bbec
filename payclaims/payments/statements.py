"""Payments statements: what a person was paid, by date paid, with fees apart from expenses,
totalled per Universal Credit assessment period or benefit week as their profile needs, and per
tax year. Made to hand to DWP or a Jobcentre, as HTML and as a PDF (finance staff download a
claimant's through ``payclaims/approvals/finance_profiles.py``).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from payclaims.auth.models import User
from payclaims.benefits.engine.periods import assessment_period, benefit_week
from payclaims.benefits.profile.models import BenefitProfile
from payclaims.benefits.profile.services import profile_of
from payclaims.claims.models import Claim, ClaimStatus
from payclaims.dates import format_date, tax_year_of
from payclaims.extensions import db
from payclaims.pdf import render_pdf, static_root
from payclaims.roles.models import SignUp


@dataclass(frozen=True)
class StatementPayment:
    """One paid claim."""

    paid_on: date
    reference: str
    role_title: str
    fee_pence: int
    expenses_pence: int

    @property
    def total_pence(self) -> int:
        """Fee and expenses together."""
        return self.fee_pence + self.expenses_pence


@dataclass
class PeriodTotal:
    """The payments received in one period (an assessment period, a week, a tax year)."""

    start_on: date
    end_on: date
    fee_pence: int = 0
    expenses_pence: int = 0
    count: int = 0

    @property
    def total_pence(self) -> int:
        """Fee and expenses together."""
        return self.fee_pence + self.expenses_pence

    @property
    def label(self) -> str:
        """'14 November 2026 to 13 December 2026'."""
        return f"{format_date(self.start_on)} to {format_date(self.end_on)}"

    def add(self, payment: StatementPayment) -> None:
        """Count a payment in the period."""
        self.fee_pence += payment.fee_pence
        self.expenses_pence += payment.expenses_pence
        self.count += 1


@dataclass
class PeriodGroup:
    """Totals over one kind of period: a heading, why, and the periods with payments."""

    heading: str
    explanation: str
    periods: list[PeriodTotal] = field(default_factory=list)


@dataclass
class Statement:
    """Everything a statement shows."""

    person_name: str
    start_on: date
    end_on: date
    payments: list[StatementPayment]
    groups: list[PeriodGroup]
    tax_years: list[PeriodTotal]
    total: PeriodTotal


def tax_year_dates(on: date) -> tuple[date, date]:
    """The first and last days of the UK tax year holding ``on``."""
    tax_year = tax_year_of(on)
    return tax_year.start, tax_year.end


def calendar_month(on: date) -> tuple[date, date]:
    """The calendar month holding ``on``."""
    return date(on.year, on.month, 1), date(
        on.year, on.month, calendar.monthrange(on.year, on.month)[1]
    )


def _totals(
    payments: Iterable[StatementPayment], period_of: Callable[[date], tuple[date, date]]
) -> list[PeriodTotal]:
    periods: dict[tuple[date, date], PeriodTotal] = {}
    for payment in payments:
        key = period_of(payment.paid_on)
        periods.setdefault(key, PeriodTotal(*key)).add(payment)
    return [periods[key] for key in sorted(periods)]


def paid_claims(person: User, *, start_on: date, end_on: date) -> list[Claim]:
    """The person's claims paid between the dates (inclusive), in date order."""
    return list(
        db.session.scalars(
            select(Claim)
            .where(
                Claim.person_id == person.id,
                Claim.status == ClaimStatus.PAID,
                Claim.paid_on.is_not(None),
                Claim.paid_on >= start_on,
                Claim.paid_on <= end_on,
            )
            .options(
                joinedload(Claim.sign_up).joinedload(SignUp.version), selectinload(Claim.lines)
            )
            .order_by(Claim.paid_on, Claim.id)
        )
    )


def _groups(profile: BenefitProfile | None, payments: list[StatementPayment]) -> list[PeriodGroup]:
    groups: list[PeriodGroup] = []
    if profile is not None and profile.gets_universal_credit:
        start_day = profile.uc_assessment_period_start_day or 1
        groups.append(
            PeriodGroup(
                "By Universal Credit assessment period",
                f"Your assessment periods start on day {start_day} of each month. Universal "
                "Credit counts a payment in the assessment period in which it is received.",
                _totals(payments, lambda on: assessment_period(start_day, on)),
            )
        )
    if profile is not None and profile.uses_weeks:
        week_start = profile.week_start
        groups.append(
            PeriodGroup(
                "By benefit week",
                f"Your benefit week starts on a {week_start.value.capitalize()}. ESA, Carer's "
                "Allowance, Pension Credit and Housing Benefit count earnings in the week they "
                "are paid.",
                _totals(payments, lambda on: benefit_week(week_start, on)),
            )
        )
    if not groups:
        groups.append(
            PeriodGroup(
                "By calendar month",
                "You have no benefits profile that asks for other periods, so payments are "
                "totalled by calendar month.",
                _totals(payments, calendar_month),
            )
        )
    return groups


def build_statement(person: User, *, start_on: date, end_on: date) -> Statement:
    """The person's statement for the dates, grouped as their profile needs."""
    payments = [
        StatementPayment(
            paid_on=claim.paid_on,
            reference=claim.reference,
            role_title=claim.sign_up.version.title,
            fee_pence=claim.approved_fee_pence,
            expenses_pence=claim.approved_expenses_pence,
        )
        for claim in paid_claims(person, start_on=start_on, end_on=end_on)
        if claim.paid_on is not None
    ]
    total = PeriodTotal(start_on, end_on)
    for payment in payments:
        total.add(payment)
    return Statement(
        person_name=person.name,
        start_on=start_on,
        end_on=end_on,
        payments=payments,
        groups=_groups(profile_of(person.id), payments),
        tax_years=_totals(payments, tax_year_dates),
        total=total,
    )


def filename(start_on: date, end_on: date) -> str:
    """'payments-statement-2026-04-06-to-2027-04-05.pdf'."""
    return f"payments-statement-{start_on.isoformat()}-to-{end_on.isoformat()}.pdf"


def statement_pdf(person: User, *, start_on: date, end_on: date) -> bytes:
    """The statement as a (tagged) PDF."""
    statement = build_statement(person, start_on=start_on, end_on=end_on)
    html = render_template(
        "pdf/benefits_statement.html",
        statement=statement,
        organisation_name=current_app.config["ORGANISATION_NAME"],
        support_email=current_app.config["SUPPORT_EMAIL"],
    )
    return render_pdf(html, static_root=static_root())
