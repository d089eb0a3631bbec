"""The finance queue: the claims a finance person sees, its filters, and the home page counts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from payclaims.approvals.models import ClaimApproval
from payclaims.approvals.routing import delegators_in_force, is_active_approver, routed_cost_centres
from payclaims.auth.models import Role, User
from payclaims.benefits.engine.types import BenefitCheck, Level
from payclaims.claims.benefits_check import CHECK_LOAD_OPTIONS, check_claims
from payclaims.claims.models import Claim, ClaimStatus
from payclaims.claims.totals import approved_total_sql
from payclaims.costcentres.models import cost_centre_approvers
from payclaims.dates import UK, working_days_between
from payclaims.extensions import db
from payclaims.money import format_pence
from payclaims.roles.models import RoleDescription, SignUp

# Claims waiting longer than this many working days get a reminder line in the digest.
REMINDER_WORKING_DAYS = 10
# Statuses a finance person may look at (a draft is still the person's own business).
FINANCE_VISIBLE_STATUSES = tuple(
    status for status in ClaimStatus if status is not ClaimStatus.DRAFT
)
WAITING = "waiting"
ALL_STATUSES = "all"
# The benefits level filter's value for "the person has no benefits profile".
NO_PROFILE = "none"
BENEFITS_LEVELS = (*(level.value for level in Level), NO_PROFILE)


@dataclass(frozen=True)
class QueueFilters:
    """What the finance queue (and its CSV export) is narrowed to.

    ``benefits_level`` (a ``Level`` value, or ``NO_PROFILE``) is computed, not a column, so
    ``apply_queue_filters`` cannot narrow by it: ``claims_at_level`` does, after the query.
    """

    status: str = WAITING
    cost_centre_id: int | None = None
    older_than_days: int | None = None
    min_pence: int | None = None
    max_pence: int | None = None
    benefits_level: str | None = None

    def describe(self) -> str:
        """The filters in words, for the audit trail."""
        parts = [f"status {self.status}"]
        if self.cost_centre_id:
            parts.append(f"cost centre {self.cost_centre_id}")
        if self.older_than_days:
            parts.append(f"sent over {self.older_than_days} days ago")
        if self.min_pence is not None:
            parts.append(f"from {format_pence(self.min_pence)}")
        if self.max_pence is not None:
            parts.append(f"up to {format_pence(self.max_pence)}")
        if self.benefits_level:
            parts.append(f"benefits level {self.benefits_level}")
        return ", ".join(parts)


def finance_scope(user: User, today: date) -> ColumnElement[bool]:
    """The claims a finance person sees: all sent claims for finance admins, the claims
    routed to them for finance approvers."""
    visible = Claim.status.in_(FINANCE_VISIBLE_STATUSES)
    if user.has_role(Role.FINANCE_ADMIN):
        return visible
    return and_(visible, RoleDescription.cost_centre_id.in_(routed_cost_centres(user, today)))


def apply_queue_filters(query: Select[Any], filters: QueueFilters, today: date) -> Select[Any]:
    """Narrow a query of claims (joined to their role) to ``filters``."""
    if filters.status == WAITING:
        query = query.where(Claim.status == ClaimStatus.VERIFIED)
    elif filters.status != ALL_STATUSES:
        query = query.where(Claim.status == ClaimStatus(filters.status))
    if filters.cost_centre_id:
        query = query.where(RoleDescription.cost_centre_id == filters.cost_centre_id)
    if filters.older_than_days:
        since = datetime.combine(
            today - timedelta(days=filters.older_than_days), datetime.min.time(), UK
        )
        query = query.where(Claim.submitted_at < since)
    if filters.min_pence is not None:
        query = query.where(approved_total_sql() >= filters.min_pence)
    if filters.max_pence is not None:
        query = query.where(approved_total_sql() <= filters.max_pence)
    return query


def queue_query(user: User, filters: QueueFilters, today: date) -> Select[Claim]:
    """The claims a finance person works, filtered, oldest first, with what the list shows."""
    query = (
        select(Claim)
        .join(RoleDescription, Claim.role_id == RoleDescription.id)
        .where(finance_scope(user, today))
        .options(
            joinedload(Claim.person),
            joinedload(Claim.role).joinedload(RoleDescription.cost_centre),
            joinedload(Claim.sign_up).joinedload(SignUp.version),
            *CHECK_LOAD_OPTIONS,
        )
        .order_by(Claim.submitted_at, Claim.id)
    )
    return apply_queue_filters(query, filters, today)


def level_matches(check: BenefitCheck | None, wanted: str) -> bool:
    """Whether a claim's benefits check is at the level a filter asks for (``NO_PROFILE``:
    the person has no benefits profile)."""
    if wanted == NO_PROFILE:
        return check is None
    return check is not None and check.level.value == wanted


def claims_at_level(
    query: Select[Claim], wanted: str, paid_on: date
) -> tuple[list[Claim], dict[int, BenefitCheck | None]]:
    """Every claim ``query`` gives whose benefits check on ``paid_on`` is at level ``wanted``,
    in the query's order, with the checks.

    The level is worked out by the engine, not stored, so a level filter has to check every
    claim the other filters match before it can page: one batch (``check_claims``), a fixed
    number of queries whatever the number of claims, but time and memory grow with the
    number matched. That is the finance queue's claims waiting for a decision (tens, not
    thousands) unless "all statuses" is chosen too; the query carries ``CHECK_LOAD_OPTIONS``.
    """
    claims = list(db.session.scalars(query).unique())
    checks = check_claims(claims, paid_on)
    matching = [claim for claim in claims if level_matches(checks[claim.id], wanted)]
    return matching, {claim.id: checks[claim.id] for claim in matching}


def approvals_for(claims: Iterable[Claim]) -> dict[int, list[ClaimApproval]]:
    """Each claim's approvals this round, in one query."""
    rounds = {claim.id: claim.approval_round for claim in claims}
    if not rounds:
        return {}
    found: dict[int, list[ClaimApproval]] = {claim_id: [] for claim_id in rounds}
    for approval in db.session.scalars(
        select(ClaimApproval)
        .where(ClaimApproval.claim_id.in_(rounds))
        .options(joinedload(ClaimApproval.approver))
        .order_by(ClaimApproval.stage)
    ):
        if approval.approval_round == rounds[approval.claim_id]:
            found[approval.claim_id].append(approval)
    return found


def to_confirm_query(user: User) -> Select[Claim]:
    """Claims waiting for ``user`` to confirm the work: their roles' (every role for admins)."""
    query = (
        select(Claim)
        .join(RoleDescription, Claim.role_id == RoleDescription.id)
        .where(
            Claim.status == ClaimStatus.SUBMITTED,
            Claim.person_id != user.id,
            Claim.created_by_id != user.id,
            or_(Claim.submitted_by_id.is_(None), Claim.submitted_by_id != user.id),
        )
        .options(
            joinedload(Claim.person),
            joinedload(Claim.sign_up).joinedload(SignUp.version),
            selectinload(Claim.lines),
        )
        .order_by(Claim.submitted_at, Claim.id)
    )
    if not user.has_role(Role.ADMIN):
        query = query.where(RoleDescription.coordinator_id == user.id)
    return query


def to_confirm_count(user: User) -> int:
    """How many claims wait for ``user`` to confirm the work."""
    subquery = to_confirm_query(user).options().order_by(None).subquery()
    return db.session.scalar(select(func.count()).select_from(subquery)) or 0


def waiting_for(user: User, today: date) -> Select[Claim]:
    """Claims ``user`` can decide now: routed to them, with finance, not theirs, not ones
    they confirmed or sent, and not already approved by them this round."""
    standing_in_for = delegators_in_force(user, today)
    direct = RoleDescription.cost_centre_id.in_(
        select(cost_centre_approvers.c.cost_centre_id).where(
            cost_centre_approvers.c.user_id == user.id
        )
    )
    # Approved already this round by them, for them, or (when they decide as a delegate) by or
    # for the approver they stand in for: the same authority cannot approve twice.
    mine_already = exists().where(
        ClaimApproval.claim_id == Claim.id,
        ClaimApproval.approval_round == Claim.approval_round,
        or_(
            ClaimApproval.approver_id == user.id,
            ClaimApproval.on_behalf_of_id == user.id,
            and_(
                ~direct,
                or_(
                    ClaimApproval.approver_id.in_(standing_in_for),
                    ClaimApproval.on_behalf_of_id.in_(standing_in_for),
                ),
            ),
        ),
    )
    return (
        select(Claim)
        .join(RoleDescription, Claim.role_id == RoleDescription.id)
        .where(
            Claim.status == ClaimStatus.VERIFIED,
            RoleDescription.cost_centre_id.in_(routed_cost_centres(user, today)),
            Claim.person_id != user.id,
            Claim.created_by_id != user.id,
            RoleDescription.coordinator_id != user.id,
            or_(Claim.verified_by_id.is_(None), Claim.verified_by_id != user.id),
            or_(Claim.submitted_by_id.is_(None), Claim.submitted_by_id != user.id),
            ~mine_already,
        )
    )


@dataclass(frozen=True)
class FinanceSummary:
    """Counts for the finance home page."""

    waiting_for_me: int
    waiting_for_second: int
    waiting_long: int


def finance_summary(user: User, today: date) -> FinanceSummary:
    """What waits for a finance approver: claims to decide, second approvals, old ones.

    Counted in one SQL query, however many claims wait."""
    if not is_active_approver(user):
        return FinanceSummary(0, 0, 0)
    has_first = exists().where(
        ClaimApproval.claim_id == Claim.id,
        ClaimApproval.approval_round == Claim.approval_round,
    )
    # Waiting over REMINDER_WORKING_DAYS working days: since a day on or before ``cutoff``.
    cutoff = today
    while working_days_between(cutoff, today) <= REMINDER_WORKING_DAYS:
        cutoff -= timedelta(days=1)
    since = func.coalesce(Claim.verified_at, Claim.submitted_at)
    long_before = datetime.combine(cutoff + timedelta(days=1), datetime.min.time(), UK)
    row = db.session.execute(
        waiting_for(user, today).with_only_columns(
            func.count(Claim.id),
            func.count(case((has_first, 1))),
            func.count(case((since < long_before, 1))),
        )
    ).one()
    return FinanceSummary(
        waiting_for_me=row[0] or 0, waiting_for_second=row[1] or 0, waiting_long=row[2] or 0
    )
