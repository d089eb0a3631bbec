"""What each home page counts: the things waiting for the person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, func, select

from payclaims.auth.models import Role, User
from payclaims.extensions import db
from payclaims.roles.models import (
    LIVE_SIGN_UP_STATUSES,
    RoleDescription,
    RoleStatus,
    SignUp,
    SignUpStatus,
)
from payclaims.training.models import TrainingRecord

EXPIRING_SOON_DAYS = 30


@dataclass(frozen=True)
class CoordinatorSummary:
    """Counts for a coordinator's home page."""

    open_roles: int
    sign_ups_to_decide: int
    records_to_verify: int
    records_expiring_soon: int


@dataclass(frozen=True)
class ExpertSummary:
    """Counts for an expert by experience's home page."""

    live_sign_ups: int
    accepted_roles: int
    records_expiring_soon: int


def coordinator_summary(user: User, today: date) -> CoordinatorSummary:
    """What is waiting for a coordinator: their roles' undecided sign-ups, and training."""
    mine = RoleDescription.coordinator_id == user.id
    if user.has_role(Role.ADMIN):
        mine = RoleDescription.id.is_not(None)  # admins look after every role
    soon = today + timedelta(days=EXPIRING_SOON_DAYS)
    return CoordinatorSummary(
        open_roles=_count(
            select(func.count())
            .select_from(RoleDescription)
            .where(mine, RoleDescription.status == RoleStatus.OPEN)
        ),
        sign_ups_to_decide=_count(
            select(func.count())
            .select_from(SignUp)
            .join(RoleDescription, SignUp.role_id == RoleDescription.id)
            .where(mine, SignUp.status == SignUpStatus.INTERESTED)
        ),
        records_to_verify=_count(
            select(func.count())
            .select_from(TrainingRecord)
            .where(TrainingRecord.is_verified.is_(False))
        ),
        records_expiring_soon=_count(
            select(func.count())
            .select_from(TrainingRecord)
            .where(TrainingRecord.expires_on >= today, TrainingRecord.expires_on <= soon)
        ),
    )


def expert_summary(user: User, today: date) -> ExpertSummary:
    """A person's live sign-ups, accepted roles and training about to expire."""
    soon = today + timedelta(days=EXPIRING_SOON_DAYS)
    own = SignUp.person_id == user.id
    return ExpertSummary(
        live_sign_ups=_count(
            select(func.count())
            .select_from(SignUp)
            .where(own, SignUp.status.in_(LIVE_SIGN_UP_STATUSES))
        ),
        accepted_roles=_count(
            select(func.count())
            .select_from(SignUp)
            .where(own, SignUp.status == SignUpStatus.ACCEPTED)
        ),
        records_expiring_soon=_count(
            select(func.count())
            .select_from(TrainingRecord)
            .where(
                TrainingRecord.person_id == user.id,
                TrainingRecord.expires_on >= today,
                TrainingRecord.expires_on <= soon,
            )
        ),
    )


def _count(query: Select[int]) -> int:
    return db.session.scalar(query) or 0
