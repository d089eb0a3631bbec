"""Finance confirming how someone is paid: the four-eyes rule, confirming once, what waits.

Shared by bank details and other payment methods, which follow the same rule: a different
finance person checks what was entered before any money goes out.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, CursorResult, func, select, update

from payclaims.auth.models import FINANCE_ROLES, User
from payclaims.database import utc_now
from payclaims.errors import DomainError
from payclaims.extensions import db
from payclaims.people.models import BankDetails, OtherPaymentMethod


def second_pair_of_eyes(actor: User, *, person_id: int, entered_by_id: int) -> bool:
    """The four-eyes rule for how someone is paid: an active finance person who is neither
    the person paid nor whoever entered the details or method."""
    return (
        actor.is_active
        and actor.has_role(*FINANCE_ROLES)
        and actor.id not in (person_id, entered_by_id)
    )


def confirm_once(
    row: BankDetails | OtherPaymentMethod,
    still_current: ColumnElement[bool],
    *,
    actor: User,
    stale: str,
) -> None:
    """Mark ``row`` confirmed by ``actor`` if it is unconfirmed and ``still_current``.

    A conditional update: of two people pressing "Confirm" at once only one succeeds, and
    nothing is confirmed that was changed or ended since it was read (DomainError ``stale``).
    """
    model = type(row)
    result = db.session.execute(
        update(model)
        .where(model.id == row.id, model.confirmed_at.is_(None), still_current)
        .values(confirmed_at=utc_now(), confirmed_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        db.session.rollback()
        raise DomainError(stale)
    db.session.refresh(row)


def waiting_count() -> int:
    """How many current bank details and other payment methods wait for finance to check."""
    details = db.session.scalar(
        select(func.count())
        .select_from(BankDetails)
        .where(BankDetails.confirmed_at.is_(None), BankDetails.superseded_at.is_(None))
    )
    methods = db.session.scalar(
        select(func.count())
        .select_from(OtherPaymentMethod)
        .where(OtherPaymentMethod.confirmed_at.is_(None), OtherPaymentMethod.ended_at.is_(None))
    )
    return (details or 0) + (methods or 0)
