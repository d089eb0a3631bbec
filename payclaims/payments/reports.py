"""Reports on payments: what each person was paid in a tax year, on screen and as CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from payclaims.audit.models import AuditAction
from payclaims.audit.services import record_event
from payclaims.auth.models import FINANCE_ROLES, User
from payclaims.dates import tax_year_of
from payclaims.downloads import csv_safe
from payclaims.errors import PermissionDenied
from payclaims.extensions import db
from payclaims.payments.bank_file import pounds
from payclaims.payments.models import RemittanceSlip

TAX_YEAR_HEADINGS = (
    "Person",
    "Email address",
    "Tax year",
    "Payments",
    "Fees (earnings)",
    "Expenses",
    "Total paid",
)


# Reports ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayeeYearTotal:
    """What one person was paid in one tax year."""

    person: User
    payments: int
    fee_pence: int
    expenses_pence: int

    @property
    def total_pence(self) -> int:
        """All paid."""
        return self.fee_pence + self.expenses_pence


def tax_year_totals(start: date) -> list[PayeeYearTotal]:
    """Per-payee totals of slips paid in the tax year starting ``start``, by name."""
    end = date(start.year + 1, start.month, start.day)
    rows = db.session.execute(
        select(
            RemittanceSlip.person_id,
            func.count(RemittanceSlip.id),
            func.sum(RemittanceSlip.fee_pence),
            func.sum(RemittanceSlip.expenses_pence),
        )
        .where(RemittanceSlip.payment_on >= start, RemittanceSlip.payment_on < end)
        .group_by(RemittanceSlip.person_id)
    ).all()
    people = {
        person.id: person
        for person in db.session.scalars(select(User).where(User.id.in_([r[0] for r in rows])))
    }
    totals = [
        PayeeYearTotal(people[person_id], int(count), int(fees or 0), int(expenses or 0))
        for person_id, count, fees, expenses in rows
    ]
    return sorted(totals, key=lambda total: (total.person.name, total.person.id))


def export_tax_year_totals(start: date, *, actor: User, ip_address: str | None) -> str:
    """The tax year's per-payee totals as CSV text (formula-safe); the export is audited."""
    if not (actor.is_active and actor.has_role(*FINANCE_ROLES)):
        raise PermissionDenied("Only the finance team can export payment totals.")
    totals = tax_year_totals(start)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(TAX_YEAR_HEADINGS)
    for total in totals:
        writer.writerow(
            [
                csv_safe(value)
                for value in (
                    total.person.name,
                    total.person.email,
                    tax_year_of(start).label,
                    str(total.payments),
                    pounds(total.fee_pence),
                    pounds(total.expenses_pence),
                    pounds(total.total_pence),
                )
            ]
        )
    record_event(
        AuditAction.TAX_YEAR_TOTALS_EXPORTED,
        actor=actor,
        ip_address=ip_address,
        detail=f"Tax year {tax_year_of(start).label}: {len(totals)} payees",
    )
    db.session.commit()
    return buffer.getvalue()
