"""Starting a draft claim, and taking a line (a fee or an expense) off a claim being changed."""

from __future__ import annotations

from payclaims.auth.models import Role, User
from payclaims.benefits.profile.services import default_fee_choice
from payclaims.claims.access import check_version, is_role_staff, require_edit
from payclaims.claims.lifecycle import add_event, change_claim
from payclaims.claims.models import Claim, ClaimLine, ClaimStatus
from payclaims.dates import format_date
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db
from payclaims.money import format_pence
from payclaims.roles.models import SignUp, SignUpStatus


def start_claim(sign_up: SignUp, *, actor: User) -> Claim:
    """Start a draft claim against an accepted sign-up: by the person, or staff on their behalf."""
    if actor.id == sign_up.person_id:
        if not (actor.is_active and actor.has_role(Role.EXPERT)):
            raise PermissionDenied("Only experts by experience can claim.")
    elif not is_role_staff(sign_up, actor):
        raise PermissionDenied("Only the person, or the role's coordinator, can start a claim.")
    if sign_up.status is not SignUpStatus.ACCEPTED:
        raise DomainError("You can claim only for a role you have a place in.")
    claim = Claim(
        person_id=sign_up.person_id,
        sign_up_id=sign_up.id,
        role_id=sign_up.role_id,
        created_by_id=actor.id,
        # The person's usual choice from their benefits profile; the full fee without one.
        fee_choice=default_fee_choice(sign_up.person_id),
    )
    db.session.add(claim)
    db.session.flush()
    note = "" if actor.id == sign_up.person_id else "Started on the person's behalf"
    add_event(
        claim,
        actor=actor,
        from_status=None,
        to_status=ClaimStatus.DRAFT,
        note=note,
        for_the_person=True,
    )
    db.session.commit()
    return claim


def remove_line(
    claim: Claim, line: ClaimLine, *, actor: User, expected_version: int | None = None
) -> None:
    """Take a line off a draft or returned claim."""
    require_edit(claim, actor)
    check_version(claim, expected_version)
    if line.claim_id != claim.id:
        raise DomainError("That line is not on this claim.")
    note = f"Removed the line for {format_date(line.session_on)}: {format_pence(line.amount_pence)}"
    change_claim(claim, actor=actor, note=note)
    db.session.delete(line)
    db.session.commit()
