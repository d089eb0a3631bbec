"""What claim pages show that needs a decision: the status tag and the fee choice in words."""

from __future__ import annotations

from payclaims.benefits.profile.models import FeeChoice
from payclaims.claims.models import Claim, ClaimStatus
from payclaims.money import format_pence
from payclaims.presenting import Tag, tag

STATUS_COLOURS = {
    ClaimStatus.DRAFT: "white",
    ClaimStatus.SUBMITTED: "blue",
    ClaimStatus.VERIFIED: "blue",
    ClaimStatus.APPROVED: "green",
    ClaimStatus.SCHEDULED: "green",
    ClaimStatus.PAID: "green",
    ClaimStatus.RETURNED: "orange",
    ClaimStatus.REJECTED: "red",
    ClaimStatus.WITHDRAWN: "grey",
}


def status_tag(claim: Claim) -> Tag:
    """The claim's status in plain words, coloured."""
    return tag(claim.status.label, STATUS_COLOURS[claim.status])


def fee_choice_text(claim: Claim) -> str:
    """How the person chose to be paid, with the amount when they chose a reduced fee."""
    if claim.fee_choice is FeeChoice.REDUCED and claim.reduced_fee_pence is not None:
        return f"{claim.fee_choice.label}: {format_pence(claim.reduced_fee_pence)}"
    return claim.fee_choice.label
