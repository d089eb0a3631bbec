"""What each home page counts: the things waiting for the person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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
from payclaims.training.services import (
    STAFF_WARNING_DAYS,
    expiring_within,
    records_for_person,
    training_warnings,
)


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
    # Courses whose best record has expired or expires soon (as "My training" shows them).
    courses_to_renew: int


def coordinator_summary(user: User, today: date) -> CoordinatorSummary:
    """What is waiting for a coordinator: their roles' undecided sign-ups, and training."""
    mine = RoleDescription.coordinator_id == user.id
    if user.has_role(Role.ADMIN):
        mine = RoleDescription.id.is_not(None)  # admins look after every role
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
            .where(expiring_within(today, STAFF_WARNING_DAYS))
        ),
    )


def expert_summary(user: User, today: date) -> ExpertSummary:
    """A person's live sign-ups, accepted roles and training about to expire."""
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
        courses_to_renew=len(training_warnings(records_for_person(user), today)),
    )


def _count(query: Select[int]) -> int:
    return db.session.scalar(query) or 0
