"""A claim's approved total as a SQL expression, for queries that filter or sum by it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, case, func, select

from payclaims.benefits.profile.models import FeeChoice
from payclaims.claims.models import Claim, ClaimLine, LineKind


def approved_total_sql() -> ColumnElement[int]:
    """A claim's approved total in SQL, as Claim.approved_total_pence computes it."""

    # ClaimLine.payable_pence: the approved amount when set and lower, else the amount.
    payable = case(
        (ClaimLine.approved_pence < ClaimLine.amount_pence, ClaimLine.approved_pence),
        else_=ClaimLine.amount_pence,
    )

    def lines_sum(kind: LineKind) -> Any:
        return (
            select(func.coalesce(func.sum(payable), 0))
            .where(ClaimLine.claim_id == Claim.id, ClaimLine.kind == kind)
            .correlate(Claim)
            .scalar_subquery()
        )

    fees = lines_sum(LineKind.FEE)
    fee = case(
        (Claim.fee_choice == FeeChoice.EXPENSES_ONLY, 0),
        (
            Claim.fee_choice == FeeChoice.REDUCED,
            case(
                (
                    func.coalesce(Claim.reduced_fee_pence, 0) < fees,
                    func.coalesce(Claim.reduced_fee_pence, 0),
                ),
                else_=fees,
            ),
        ),
        else_=fees,
    )
    total: ColumnElement[int] = fee + lines_sum(LineKind.EXPENSE)
    return total
