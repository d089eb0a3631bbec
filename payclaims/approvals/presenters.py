"""What finance's claim pages show that needs a decision: where a claim stands, the benefits tag."""

from __future__ import annotations

from collections.abc import Sequence

from payclaims.approvals.models import ClaimApproval
from payclaims.benefits.engine.types import BenefitCheck, Level
from payclaims.claims import presenters as claim_presenters
from payclaims.claims.models import Claim
from payclaims.presenting import Tag, tag

LEVEL_COLOURS = {
    Level.CLEAR: "green",
    Level.CHECK: "blue",
    Level.NEAR: "yellow",
    Level.REDUCES: "orange",
    Level.STOPS: "red",
}


def finance_status_tag(claim: Claim, approvals: Sequence[ClaimApproval]) -> Tag:
    """Where a claim with finance stands: waiting for a decision, waiting for a second
    approver (one approval given), or the claim's own status once finance is done."""
    if claim.is_verified and approvals:
        return tag("Waiting for a second approver", "yellow")
    if claim.is_verified:
        return tag("Waiting for a decision", "blue")
    return claim_presenters.status_tag(claim)


def benefits_tag(check: BenefitCheck | None, text: str | None) -> Tag | None:
    """A claim's benefits check as a tag coloured by level (``text`` is its badge text,
    "Clear" when there is nothing to flag); None when the person has no benefits profile."""
    if check is None:
        return None
    return tag(text or "Clear", LEVEL_COLOURS[check.level])
