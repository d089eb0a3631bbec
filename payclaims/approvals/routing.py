"""Who decides a claim in finance: its cost centre's approvers, and their delegates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.orm import joinedload

from payclaims.approvals.models import ApprovalDelegation
from payclaims.audit.models import AuditAction
from payclaims.audit.services import record_event
from payclaims.auth.models import Role, User, UserRole
from payclaims.claims.models import Claim, ClaimStatus
from payclaims.costcentres.models import CostCentre, cost_centre_approvers
from payclaims.database import utc_now
from payclaims.dates import format_date
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db

# Who may do what --------------------------------------------------------------------------


def is_active_approver(user: User) -> bool:
    """Whether ``user`` is active and holds the finance approver role."""
    return user.is_active and user.has_role(Role.FINANCE_APPROVER)


def delegators_of(user: User, today: date) -> list[int]:
    """The approvers ``user`` stands in for today (their delegations in force, from approvers
    still active and still holding the finance approver role)."""
    return list(db.session.scalars(delegators_in_force(user, today)))


def delegators_in_force(delegate: User, today: date) -> Select[Any]:
    """The ids of the active finance approvers whose delegation to ``delegate`` is in force."""
    return (
        select(ApprovalDelegation.approver_id)
        .join(User, User.id == ApprovalDelegation.approver_id)
        .where(
            _delegation_in_force(delegate, today),
            User.is_active.is_(True),
            exists().where(
                UserRole.user_id == ApprovalDelegation.approver_id,
                UserRole.role == Role.FINANCE_APPROVER,
            ),
        )
    )


def _delegation_in_force(delegate: User, today: date) -> ColumnElement[bool]:
    return and_(
        ApprovalDelegation.delegate_id == delegate.id,
        ApprovalDelegation.ended_at.is_(None),
        ApprovalDelegation.starts_on <= today,
        ApprovalDelegation.ends_on >= today,
    )


def routed_cost_centres(user: User, today: date) -> Select[tuple[int]]:
    """The ids of the cost centres whose claims reach ``user``: their own, and those of the
    approvers they stand in for today. A subquery, so lists stay one query."""
    standing_in_for = delegators_in_force(user, today)
    return select(cost_centre_approvers.c.cost_centre_id).where(
        or_(
            cost_centre_approvers.c.user_id == user.id,
            cost_centre_approvers.c.user_id.in_(standing_in_for),
        )
    )


@dataclass(frozen=True)
class Routing:
    """How a claim reaches an approver: directly, or as someone's delegate."""

    on_behalf_of: User | None


def routing_for(claim: Claim, user: User, today: date) -> Routing | None:
    """Whether ``claim`` is routed to ``user`` (None if not), and for whom."""
    if not is_active_approver(user):
        return None
    cost_centre_id = claim.role.cost_centre_id
    approver_ids = set(
        db.session.scalars(
            select(cost_centre_approvers.c.user_id).where(
                cost_centre_approvers.c.cost_centre_id == cost_centre_id
            )
        )
    )
    if user.id in approver_ids:
        return Routing(on_behalf_of=None)
    for approver_id in delegators_of(user, today):
        if approver_id in approver_ids:
            return Routing(on_behalf_of=db.session.get(User, approver_id))
    return None


def can_see_as_finance(claim: Claim, user: User, today: date) -> bool:
    """Finance admins see every sent claim; finance approvers those routed to them."""
    if not user.is_active or claim.status is ClaimStatus.DRAFT:
        return False
    if user.has_role(Role.FINANCE_ADMIN):
        return True
    return routing_for(claim, user, today) is not None


# Delegation -------------------------------------------------------------------------------


def finance_approvers() -> list[User]:
    """Every active finance approver, by name."""
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.FINANCE_APPROVER, User.is_active.is_(True))
            .order_by(User.name, User.id)
        )
    )


def delegations_of(approver: User) -> list[ApprovalDelegation]:
    """The delegations an approver has named, newest first."""
    return list(
        db.session.scalars(
            select(ApprovalDelegation)
            .where(ApprovalDelegation.approver_id == approver.id)
            .options(joinedload(ApprovalDelegation.delegate))
            .order_by(ApprovalDelegation.starts_on.desc(), ApprovalDelegation.id.desc())
        )
    )


def delegations_to(delegate: User, today: date) -> list[ApprovalDelegation]:
    """The delegations in force or to come that name ``delegate``."""
    return list(
        db.session.scalars(
            select(ApprovalDelegation)
            .where(
                ApprovalDelegation.delegate_id == delegate.id,
                ApprovalDelegation.ended_at.is_(None),
                ApprovalDelegation.ends_on >= today,
            )
            .options(joinedload(ApprovalDelegation.approver))
            .order_by(ApprovalDelegation.starts_on)
        )
    )


def create_delegation(
    *,
    actor: User,
    delegate_id: int,
    starts_on: date,
    ends_on: date,
    today: date,
    ip_address: str | None,
) -> ApprovalDelegation:
    """An approver names another finance approver to decide their claims while away."""
    if not is_active_approver(actor):
        raise PermissionDenied("Only a finance approver can name a delegate.")
    delegate = db.session.get(User, delegate_id)
    if delegate is None or not is_active_approver(delegate):
        raise DomainError("Choose a finance approver", field="delegate")
    if delegate.id == actor.id:
        raise DomainError("Choose someone other than yourself", field="delegate")
    if starts_on < today:
        raise DomainError("The first day cannot be in the past", field="starts_on")
    if ends_on < starts_on:
        raise DomainError("The last day must be on or after the first day", field="ends_on")
    if ends_on > starts_on + timedelta(days=366):
        raise DomainError("A delegation can last a year at most", field="ends_on")
    delegation = ApprovalDelegation(
        approver_id=actor.id, delegate_id=delegate.id, starts_on=starts_on, ends_on=ends_on
    )
    db.session.add(delegation)
    db.session.flush()
    record_event(
        AuditAction.DELEGATION_CREATED,
        actor=actor,
        subject=delegate,
        ip_address=ip_address,
        detail=f"{delegate.name} decides {actor.name}'s claims from {format_date(starts_on)} "
        f"to {format_date(ends_on)}",
        about=("delegation", delegation.id),
    )
    db.session.commit()
    return delegation


def end_delegation(delegation: ApprovalDelegation, *, actor: User, ip_address: str | None) -> None:
    """The approver ends a delegation (now, or before it starts)."""
    if delegation.approver_id != actor.id:
        raise PermissionDenied("Only the approver who named the delegate can end it.")
    if delegation.ended_at is not None:
        return
    delegation.ended_at = utc_now()
    record_event(
        AuditAction.DELEGATION_ENDED,
        actor=actor,
        subject=delegation.delegate,
        ip_address=ip_address,
        detail=f"{delegation.delegate.name} no longer decides {actor.name}'s claims",
        about=("delegation", delegation.id),
    )
    db.session.commit()


def active_cost_centres_for(user: User, today: date) -> list[CostCentre]:
    """The cost centres a finance person can filter by."""
    query = select(CostCentre).order_by(CostCentre.code)
    if not user.has_role(Role.FINANCE_ADMIN):
        query = query.where(CostCentre.id.in_(routed_cost_centres(user, today)))
    return list(db.session.scalars(query))
