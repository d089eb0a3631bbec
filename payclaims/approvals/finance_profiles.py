"""Finance's view of a claimant's benefits profile and payments statement: who among finance
staff may see them (those working the person's sent claims, never their own), and the audited
look at each.

Audit entries say only that the profile was seen or the statement downloaded: never which
benefits.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from payclaims.approvals.routing import can_see_as_finance
from payclaims.audit.models import AuditAction
from payclaims.audit.services import record_event
from payclaims.auth.models import FINANCE_ROLES, Role, User
from payclaims.benefits.profile.models import BenefitProfile
from payclaims.benefits.profile.services import profile_of
from payclaims.claims.models import Claim, ClaimStatus
from payclaims.dates import format_date, uk_today
from payclaims.errors import PermissionDenied
from payclaims.extensions import db
from payclaims.payments.statements import statement_pdf

# Claims finance works on: sent and not withdrawn or still a draft.
FINANCE_CLAIM_STATUSES = frozenset(
    {
        ClaimStatus.SUBMITTED,
        ClaimStatus.VERIFIED,
        ClaimStatus.APPROVED,
        ClaimStatus.SCHEDULED,
        ClaimStatus.PAID,
        ClaimStatus.RETURNED,
        ClaimStatus.REJECTED,
    }
)


def is_finance(user: User) -> bool:
    """Whether ``user`` is active finance staff (approver or admin)."""
    return user.is_active and user.has_role(*FINANCE_ROLES)


def finance_works_on(claim: Claim, user: User) -> bool:
    """Finance staff working a sent claim see its benefits details: finance admins, and the
    approvers it is routed to (or their delegates); never for their own claim."""
    return (
        is_finance(user)
        and claim.person_id != user.id
        and claim.status in FINANCE_CLAIM_STATUSES
        and can_see_as_finance(claim, user, uk_today())
    )


def finance_works_for(person: User, user: User) -> bool:
    """Finance staff who may see a person's benefits details: finance admins, and approvers
    working at least one of the person's sent claims; never their own."""
    if person.id == user.id or not is_finance(user):
        return False
    if user.has_role(Role.FINANCE_ADMIN):
        return True
    claims = db.session.scalars(
        select(Claim).where(Claim.person_id == person.id, Claim.status.in_(FINANCE_CLAIM_STATUSES))
    ).all()
    return any(finance_works_on(claim, user) for claim in claims)


def profile_for_finance(
    claim: Claim, *, actor: User, ip_address: str | None
) -> BenefitProfile | None:
    """The claimant's profile for finance working the claim; every look is audited."""
    if not finance_works_on(claim, actor):
        raise PermissionDenied("Only finance staff working this claim can see this.")
    profile = profile_of(claim.person_id)
    record_event(
        AuditAction.BENEFITS_PROFILE_VIEWED,
        actor=actor,
        subject=claim.person,
        ip_address=ip_address,
        detail=f"From claim {claim.reference}",
        about=("claim", claim.id),
    )
    db.session.commit()
    return profile


def statement_pdf_for_finance(
    person: User, *, actor: User, start_on: date, end_on: date, ip_address: str | None
) -> bytes:
    """Someone's statement for finance staff; the download is audited."""
    if not person.has_role(Role.EXPERT) or not finance_works_for(person, actor):
        raise PermissionDenied("Only finance staff working this person's claims can download it.")
    pdf = statement_pdf(person, start_on=start_on, end_on=end_on)
    record_event(
        AuditAction.BENEFITS_STATEMENT_DOWNLOADED,
        actor=actor,
        subject=person,
        ip_address=ip_address,
        detail=f"{format_date(start_on)} to {format_date(end_on)}",
    )
    db.session.commit()
    return pdf
