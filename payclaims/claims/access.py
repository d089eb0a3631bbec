"""Who may see, change and withdraw a claim, and loading claims with what their pages show."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from payclaims.auth.models import Role, User
from payclaims.claims.lifecycle import InvalidTransition, StaleClaim
from payclaims.claims.models import Claim, ClaimEvent, ClaimLine, ClaimStatus
from payclaims.dates import format_date
from payclaims.errors import PermissionDenied
from payclaims.extensions import db
from payclaims.roles.models import SignUp, SignUpStatus
from payclaims.roles.services import can_change

NOT_EDITABLE_MESSAGE = "This claim has been sent, so it cannot be changed now."

# What the person sees as the next step, by status.
NEXT_STEPS = {
    ClaimStatus.DRAFT: "Add what you did, then send the claim.",
    ClaimStatus.SUBMITTED: "Your coordinator will confirm the work took place.",
    ClaimStatus.VERIFIED: "Finance will check the claim and approve it for payment.",
    ClaimStatus.APPROVED: "It will go into the next payment run.",
    ClaimStatus.SCHEDULED: "It will be paid on the run's payment date.",
    ClaimStatus.PAID: "Nothing more to do.",
    ClaimStatus.RETURNED: "Read why it came back, change it, and send it again.",
    ClaimStatus.REJECTED: "Nothing more to do. Read the reason, and ask us if it is unclear.",
    ClaimStatus.WITHDRAWN: "Nothing more to do.",
}


# Who may do what --------------------------------------------------------------------------


def is_role_staff(claim_or_sign_up: Claim | SignUp, user: User) -> bool:
    """Whether ``user`` is the role's coordinator or an admin."""
    return can_change(claim_or_sign_up.role, user)


def can_view(claim: Claim, user: User) -> bool:
    """The person, their role's coordinator and admins see a claim; nobody else."""
    if not user.is_active:
        return False
    if claim.person_id == user.id and user.has_role(Role.EXPERT):
        return True
    return is_role_staff(claim, user)


def can_edit(claim: Claim, user: User) -> bool:
    """The person, or the coordinator (or admin) who started it for them, may change it."""
    if not user.is_active:
        return False
    if claim.person_id == user.id:
        return user.has_role(Role.EXPERT)
    return claim.created_by_id != claim.person_id and is_role_staff(claim, user)


def can_withdraw(claim: Claim, user: User) -> bool:
    """The person, or the coordinator who sent or started it for them."""
    if not user.is_active:
        return False
    if claim.person_id == user.id:
        return user.has_role(Role.EXPERT)
    acted = user.id in (claim.submitted_by_id, claim.created_by_id)
    return acted and is_role_staff(claim, user)


def require_edit(claim: Claim, actor: User) -> None:
    """Refuse unless ``actor`` may change the claim and it is still open to changes."""
    if not can_edit(claim, actor):
        raise PermissionDenied(
            "Only the person, or the coordinator claiming for them, can do this."
        )
    if not claim.is_editable:
        raise InvalidTransition(NOT_EDITABLE_MESSAGE)


def check_version(claim: Claim, expected_version: int | None) -> None:
    """Refuse (``StaleClaim``) if the claim moved on since the version the page showed."""
    if expected_version is not None and expected_version != claim.version:
        raise StaleClaim()


# Reading ----------------------------------------------------------------------------------


def load_claim(claim_id: int) -> Claim | None:
    """A claim with everything its page shows, in a fixed number of queries."""
    return db.session.scalar(
        select(Claim)
        .where(Claim.id == claim_id)
        .options(
            joinedload(Claim.person),
            joinedload(Claim.role),
            joinedload(Claim.sign_up).joinedload(SignUp.version),
            joinedload(Claim.submitted_by),
            joinedload(Claim.created_by),
            selectinload(Claim.lines).options(
                joinedload(ClaimLine.rate_version), selectinload(ClaimLine.receipts)
            ),
            selectinload(Claim.events).options(
                joinedload(ClaimEvent.actor), joinedload(ClaimEvent.on_behalf_of)
            ),
        )
    )


def claims_of(person: User) -> list[Claim]:
    """The person's claims, newest first, with their lines; in a fixed number of queries."""
    return list(
        db.session.scalars(
            select(Claim)
            .where(Claim.person_id == person.id)
            .options(
                joinedload(Claim.sign_up).joinedload(SignUp.version),
                joinedload(Claim.submitted_by),
                selectinload(Claim.lines),
            )
            .order_by(Claim.created_at.desc(), Claim.id.desc())
        )
    )


def claims_for_sign_up(sign_up: SignUp) -> list[Claim]:
    """The claims made against one sign-up, newest first, with their lines."""
    return list(
        db.session.scalars(
            select(Claim)
            .where(Claim.sign_up_id == sign_up.id)
            .options(selectinload(Claim.lines))
            .order_by(Claim.created_at.desc(), Claim.id.desc())
        )
    )


def claimable_sign_ups(person: User) -> list[SignUp]:
    """The person's accepted sign-ups, which claims can be made against."""
    return list(
        db.session.scalars(
            select(SignUp)
            .where(SignUp.person_id == person.id, SignUp.status == SignUpStatus.ACCEPTED)
            .options(joinedload(SignUp.version))
            .order_by(SignUp.created_at.desc(), SignUp.id.desc())
        )
    )


def next_step(claim: Claim) -> str:
    """What happens next, in a sentence ('Paid on 3 December 2026.' once paid)."""
    if claim.status is ClaimStatus.PAID and claim.paid_on is not None:
        return f"Paid on {format_date(claim.paid_on)}. Your remittance slip is in My payments."
    return NEXT_STEPS[claim.status]
