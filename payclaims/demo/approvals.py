"""Demo approvals: every cost centre has two finance approvers and the default limit; claims
approved in the demo carry their approval, and the claim above its limit waiting in the
finance queue has its first approval, so the demo finance approver gives the second."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from payclaims.approvals.models import ApprovalStage, ClaimApproval
from payclaims.claims.models import Claim, ClaimEvent, ClaimStatus
from payclaims.costcentres.models import CostCentre
from payclaims.demo.people import DEMO_DOMAIN, demo_person
from payclaims.extensions import db
from payclaims.money import format_pence

APPROVED_STATUSES = (ClaimStatus.APPROVED, ClaimStatus.SCHEDULED, ClaimStatus.PAID)


def seed_approvals() -> None:
    """Give cost centres their approvers and claims their approvals, once."""
    if db.session.scalar(select(ClaimApproval.id).limit(1)) is not None:
        return
    finance = demo_person(f"finance@{DEMO_DOMAIN}")
    second = demo_person(f"finance2@{DEMO_DOMAIN}")
    for cost_centre in db.session.scalars(select(CostCentre)):
        cost_centre.approvers = [finance, second]
    db.session.flush()
    claims = db.session.scalars(
        select(Claim).options(selectinload(Claim.lines), selectinload(Claim.events))
    ).all()
    for claim in claims:
        if claim.status in APPROVED_STATUSES:
            claim.approval_round = 1
            when = next(e.occurred_at for e in claim.events if e.to_status is ClaimStatus.APPROVED)
            db.session.add(
                ClaimApproval(
                    claim_id=claim.id,
                    approval_round=1,
                    stage=int(ApprovalStage.FIRST),
                    approver_id=finance.id,
                    total_pence=claim.approved_total_pence,
                    approved_at=when,
                )
            )
        limit = claim.role.cost_centre.single_approver_limit_pence
        if claim.status is ClaimStatus.VERIFIED and claim.approved_total_pence > limit:
            verified = claim.events[-1].occurred_at
            db.session.add(
                ClaimApproval(
                    claim_id=claim.id,
                    approval_round=claim.approval_round,
                    stage=int(ApprovalStage.FIRST),
                    approver_id=second.id,
                    total_pence=claim.approved_total_pence,
                    approved_at=verified,
                )
            )
            db.session.add(
                ClaimEvent(
                    claim_id=claim.id,
                    actor_id=second.id,
                    from_status=ClaimStatus.VERIFIED,
                    to_status=ClaimStatus.VERIFIED,
                    note=f"First approval of {format_pence(claim.approved_total_pence)}: above "
                    f"the {format_pence(limit)} limit, so a second approver is needed",
                    occurred_at=verified,
                )
            )
            claim.version += 1
