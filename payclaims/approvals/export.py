"""The finance queue's claims as CSV for accounting."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from payclaims.approvals.queue import QueueFilters, claims_at_level, queue_query
from payclaims.audit.models import AuditAction
from payclaims.audit.services import record_event
from payclaims.auth.models import Role, User
from payclaims.benefits.payment_dates import next_payment_date
from payclaims.claims.models import Claim
from payclaims.dates import UK
from payclaims.downloads import csv_safe
from payclaims.errors import PermissionDenied
from payclaims.extensions import db

EXPORT_HEADINGS = (
    "Reference",
    "Person",
    "Role",
    "Cost centre",
    "Status",
    "Sent on",
    "Confirmed on",
    "Fee choice",
    "Fee claimed (GBP)",
    "Fee approved (GBP)",
    "Expenses claimed (GBP)",
    "Expenses approved (GBP)",
    "Total claimed (GBP)",
    "Total approved (GBP)",
    "Late",
    "Paid on",
)


def _amount(pence: int) -> str:
    """'1234.50' from integer pence (no floats), with a minus sign when negative."""
    pounds, rest = divmod(abs(pence), 100)
    return f"{'-' if pence < 0 else ''}{pounds}.{rest:02d}"


def _day(moment: datetime | None) -> str:
    return moment.astimezone(UK).date().isoformat() if moment else ""


def _export_rows(claims: Iterable[Claim]) -> Iterable[list[str]]:
    yield list(EXPORT_HEADINGS)
    for claim in claims:
        yield [
            csv_safe(value)
            for value in (
                claim.reference,
                claim.person.name,
                claim.sign_up.version.title,
                claim.role.cost_centre.code,
                claim.status.value,
                _day(claim.submitted_at),
                _day(claim.verified_at),
                claim.fee_choice.label,
                _amount(claim.fee_payable_pence),
                _amount(claim.approved_fee_pence),
                _amount(claim.expenses_total_pence),
                _amount(claim.approved_expenses_pence),
                _amount(claim.total_pence),
                _amount(claim.approved_total_pence),
                "Yes" if claim.is_late else "No",
                claim.paid_on.isoformat() if claim.paid_on else "",
            )
        ]


def export_claims(
    filters: QueueFilters, *, actor: User, today: date, ip_address: str | None
) -> str:
    """The claims a finance person sees, filtered, as CSV text for accounting; audited."""
    if not actor.is_active or not actor.has_role(Role.FINANCE_APPROVER, Role.FINANCE_ADMIN):
        raise PermissionDenied("Only finance staff can export claims.")
    query = queue_query(actor, filters, today)
    if filters.benefits_level:
        claims: Sequence[Claim] = claims_at_level(
            query, filters.benefits_level, next_payment_date(today)
        )[0]
    else:
        claims = db.session.scalars(query).unique().all()
    buffer = io.StringIO()
    csv.writer(buffer).writerows(_export_rows(claims))
    record_event(
        AuditAction.CLAIMS_EXPORTED,
        actor=actor,
        ip_address=ip_address,
        detail=f"{len(claims)} claims; {filters.describe()}",
    )
    db.session.commit()
    return buffer.getvalue()
