"""Role descriptions: writing, versioning, publishing, closing and reopening them, and finding
the ones people can sign up to.

A role's content lives in versions. Version 1 is written as a draft; publishing freezes a
version for good, and later edits go into a new unpublished version until that is published
too. Coordinator and cost centre belong to the role itself and change at once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import CursorResult, Select, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from payclaims.audit.models import AuditAction
from payclaims.audit.services import record_event
from payclaims.auth.models import Role, User, UserRole
from payclaims.costcentres.models import CostCentre
from payclaims.database import utc_now
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db
from payclaims.roles.expenses import ExpenseCategory
from payclaims.roles.models import (
    LIVE_SIGN_UP_STATUSES,
    FeeUnit,
    InvolvementLevel,
    LocationType,
    RoleDescription,
    RoleStatus,
    RoleVersion,
    SignUp,
)
from payclaims.training.models import TrainingCourse

MAX_PLACES = 500
MAX_SESSION_MINUTES = 12 * 60
# A half-day fee says "up to 4 hours" wherever it is shown.
HALF_DAY_MINUTES = 4 * 60
# Far above any real fee; keeps a slip of the keyboard out of the accounts (and the column).
MAX_FEE_PENCE = 10_000_00

SESSION_TOO_LONG_FOR_HALF_DAY = (
    "A half-day fee covers up to 4 hours. Choose per day, or give 4 hours or fewer per session"
)
PUBLISHED_MEANWHILE = "Someone has just published this role. Open it again to make your changes."
CHANGED_MEANWHILE = (
    "Someone else saved changes to this role at the same time. Look at the latest version, "
    "then make your changes again."
)


@dataclass(frozen=True)
class RoleContent:
    """Everything a coordinator writes about a role, as the role form collects it.

    ``fee_pence`` None means expenses only. ``coordinator_id`` and ``cost_centre_id`` belong
    to the role; the rest to a version.
    """

    title: str
    purpose: str
    activities: str
    level: InvolvementLevel
    location_type: LocationType
    venue: str
    venue_accessibility: str
    time_commitment: str
    session_minutes: int
    fee_pence: int | None
    fee_unit: FeeUnit | None
    expense_categories: tuple[ExpenseCategory, ...]
    course_ids: tuple[int, ...]
    support_offered: str
    places: int
    closing_on: date
    coordinator_id: int
    cost_centre_id: int


# Permissions ----------------------------------------------------------------------------------


def can_change(role: RoleDescription, user: User) -> bool:
    """Whether ``user`` may change ``role``: an admin, or the coordinator who runs it."""
    if not user.is_active:
        return False
    if user.has_role(Role.ADMIN):
        return True
    return user.has_role(Role.COORDINATOR) and role.coordinator_id == user.id


def _require_change(role: RoleDescription, actor: User) -> None:
    if not can_change(role, actor):
        raise PermissionDenied("Only the role's coordinator or an admin can change this role.")


# Writing and versioning -----------------------------------------------------------------------


def create_role(
    content: RoleContent, *, actor: User, ip_address: str | None, today: date
) -> RoleDescription:
    """Create a draft role whose version 1 holds ``content``; nobody outside staff sees it yet."""
    if not actor.is_active or not actor.has_role(Role.COORDINATOR, Role.ADMIN):
        raise PermissionDenied("Only a coordinator or an admin can create a role.")
    _check_content(content, today)
    _check_coordinator(content.coordinator_id)
    _check_cost_centre(content.cost_centre_id)
    courses = _courses(content.course_ids, kept=())
    role = RoleDescription(
        status=RoleStatus.DRAFT,
        coordinator_id=content.coordinator_id,
        cost_centre_id=content.cost_centre_id,
        created_by_id=actor.id,
    )
    version = RoleVersion(number=1, created_by_id=actor.id)
    _fill(version, content, courses)
    role.versions.append(version)
    db.session.add(role)
    db.session.flush()
    record_event(
        AuditAction.ROLE_CREATED,
        actor=actor,
        ip_address=ip_address,
        detail=f"version 1: {version.title}"[:500],
        about=("role", role.id),
    )
    db.session.commit()
    return role


def save_role_changes(
    role: RoleDescription,
    content: RoleContent,
    *,
    actor: User,
    ip_address: str | None,
    today: date,
) -> RoleVersion:
    """Save ``content`` into the role's unpublished version, starting one if every version is
    published (published versions never change). Return the version now holding the content.

    Coordinator and cost centre change on the role at once. Saving what is already there
    records nothing.
    """
    _require_change(role, actor)
    _check_content(content, today)
    latest = role.latest_version
    courses = _courses(content.course_ids, kept=[course.id for course in latest.required_courses])
    coordinator = cost_centre = None
    if content.coordinator_id != role.coordinator_id:
        coordinator = _check_coordinator(content.coordinator_id)
    if content.cost_centre_id != role.cost_centre_id:
        cost_centre = _check_cost_centre(content.cost_centre_id)
    # Everything is checked: from here on the role changes.
    changes = []
    if coordinator is not None:
        role.coordinator_id = coordinator.id
        changes.append(f"coordinator: {coordinator.name}")
    if cost_centre is not None:
        role.cost_centre_id = cost_centre.id
        changes.append(f"cost centre: {cost_centre.code}")
    version = role.draft_version
    if version is None and not _holds(latest, content, courses):
        version = RoleVersion(number=latest.number + 1, created_by_id=actor.id)
        role.versions.append(version)
    if version is not None and (version.id is None or not _holds(version, content, courses)):
        if version.id is not None:
            _claim_unpublished(version)
        _fill(version, content, courses)
        changes.insert(0, f"version {version.number}")
    if not changes:
        return latest
    record_event(
        AuditAction.ROLE_EDITED,
        actor=actor,
        ip_address=ip_address,
        detail="; ".join(changes)[:500],
        about=("role", role.id),
    )
    _commit_or_explain()
    return version or latest


def publish_role(
    role: RoleDescription, *, actor: User, ip_address: str | None, today: date
) -> RoleVersion:
    """Publish the unpublished version: from now on people see it. A draft role opens."""
    _require_change(role, actor)
    version = role.draft_version
    if version is None:
        raise DomainError("There are no unpublished changes to publish.")
    if version.closing_on < today:
        raise DomainError(
            "The closing date has passed. Edit the role to give a closing date of today or "
            "later, then publish it."
        )
    version.published_at = utc_now()
    version.published_by_id = actor.id
    if role.status is RoleStatus.DRAFT:
        role.status = RoleStatus.OPEN
    record_event(
        AuditAction.ROLE_PUBLISHED,
        actor=actor,
        ip_address=ip_address,
        detail=f"version {version.number}",
        about=("role", role.id),
    )
    db.session.commit()
    return version


def close_role(role: RoleDescription, *, actor: User, ip_address: str | None) -> None:
    """Stop new sign-ups to an open role. Sign-ups already made are kept."""
    _require_change(role, actor)
    if role.status is not RoleStatus.OPEN:
        raise DomainError("Only an open role can be closed.")
    role.status = RoleStatus.CLOSED
    record_event(
        AuditAction.ROLE_CLOSED, actor=actor, ip_address=ip_address, about=("role", role.id)
    )
    db.session.commit()


def reopen_role(role: RoleDescription, *, actor: User, ip_address: str | None, today: date) -> None:
    """Take sign-ups to a closed role again, if its published closing date has not passed."""
    _require_change(role, actor)
    if role.status is not RoleStatus.CLOSED:
        raise DomainError("Only a closed role can be reopened.")
    published = role.published_version
    if published is None or published.closing_on < today:
        raise DomainError(
            "The closing date has passed. Edit the role to give a new closing date and publish "
            "it, then reopen the role."
        )
    role.status = RoleStatus.OPEN
    record_event(
        AuditAction.ROLE_REOPENED, actor=actor, ip_address=ip_address, about=("role", role.id)
    )
    db.session.commit()


def _claim_unpublished(version: RoleVersion) -> None:
    """Make sure ``version`` is still unpublished, and keep it so until the commit.

    It was read unpublished, but someone may have published it since: writing into it then
    would change what people already see. The conditional UPDATE also takes the row's write
    lock, so a publish waits for this transaction.
    """
    result = db.session.execute(
        update(RoleVersion)
        .where(RoleVersion.id == version.id, RoleVersion.published_at.is_(None))
        .values(created_by_id=RoleVersion.created_by_id)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        db.session.rollback()
        raise DomainError(PUBLISHED_MEANWHILE)


def _commit_or_explain() -> None:
    """Commit; two people starting a new version at once collide on its number."""
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise DomainError(CHANGED_MEANWHILE) from error


def _check_content(content: RoleContent, today: date) -> None:
    """Refuse content that breaks a rule, naming the form field the message belongs next to."""
    for field, message in _content_problems(content, today):
        raise DomainError(message, field=field)


def _content_problems(content: RoleContent, today: date) -> Iterable[tuple[str, str]]:
    required_text = (
        ("title", "Enter a title"),
        ("purpose", "Enter the purpose of the role"),
        ("activities", "Enter what people will do"),
        ("time_commitment", "Enter the time commitment"),
        ("support_offered", "Enter the support offered"),
    )
    for field, message in required_text:
        if not getattr(content, field).strip():
            yield field, message
    if content.location_type is LocationType.IN_PERSON:
        if not content.venue.strip():
            yield "venue", "Enter the venue"
        if not content.venue_accessibility.strip():
            yield "venue_accessibility", "Describe the venue's accessibility"
    if not 0 < content.session_minutes <= MAX_SESSION_MINUTES:
        yield "session_hours", "Hours per session must be more than 0 and no more than 12"
    if content.fee_pence is not None:
        if not 0 < content.fee_pence <= MAX_FEE_PENCE:
            yield "fee_pence", "The fee must be more than £0 and no more than £10,000.00"
        if content.fee_unit is None:
            yield "fee_unit", "Select what the fee is paid per"
        elif content.fee_unit is FeeUnit.HALF_DAY and content.session_minutes > HALF_DAY_MINUTES:
            yield "fee_unit", SESSION_TOO_LONG_FOR_HALF_DAY
    if not 1 <= content.places <= MAX_PLACES:
        yield "places", "Places must be between 1 and 500"
    if content.closing_on < today:
        yield "closing_on", "The closing date must be today or in the future"


def _check_coordinator(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or not user.has_role(Role.COORDINATOR):
        raise DomainError("Select a coordinator from the list", field="coordinator_id")
    return user


def _check_cost_centre(cost_centre_id: int) -> CostCentre:
    cost_centre = db.session.get(CostCentre, cost_centre_id)
    if cost_centre is None or not cost_centre.is_active:
        raise DomainError("Select a cost centre from the list", field="cost_centre_id")
    return cost_centre


def _courses(course_ids: Collection[int], *, kept: Collection[int]) -> list[TrainingCourse]:
    """The courses chosen: active ones, or ones the role already required (kept on edit)."""
    wanted = set(course_ids)
    if not wanted:
        return []
    courses = db.session.scalars(select(TrainingCourse).where(TrainingCourse.id.in_(wanted))).all()
    if len(courses) != len(wanted) or any(
        not course.is_active and course.id not in kept for course in courses
    ):
        raise DomainError("Select training courses from the list", field="course_ids")
    return sorted(courses, key=lambda course: course.name)


def _version_values(content: RoleContent) -> dict[str, Any]:
    """The version columns ``content`` sets; what does not apply is left empty."""
    in_person = content.location_type is LocationType.IN_PERSON
    chosen = set(content.expense_categories)
    return {
        "title": content.title,
        "purpose": content.purpose,
        "activities": content.activities,
        "level": content.level,
        "location_type": content.location_type,
        "venue": content.venue if in_person else "",
        "venue_accessibility": content.venue_accessibility if in_person else "",
        "time_commitment": content.time_commitment,
        "session_minutes": content.session_minutes,
        "fee_pence": content.fee_pence,
        "fee_unit": content.fee_unit if content.fee_pence is not None else None,
        "expense_categories": [
            category.value for category in ExpenseCategory if category in chosen
        ],
        "support_offered": content.support_offered,
        "places": content.places,
        "closing_on": content.closing_on,
    }


def _holds(version: RoleVersion, content: RoleContent, courses: Sequence[TrainingCourse]) -> bool:
    """Whether ``version`` already says exactly what ``content`` says."""
    same_columns = all(
        getattr(version, name) == value for name, value in _version_values(content).items()
    )
    return same_columns and {c.id for c in version.required_courses} == {c.id for c in courses}


def _fill(version: RoleVersion, content: RoleContent, courses: list[TrainingCourse]) -> None:
    for name, value in _version_values(content).items():
        setattr(version, name, value)
    version.required_courses = courses


# Reading ------------------------------------------------------------------------------------


def load_role(role_id: int) -> RoleDescription | None:
    """A role with its versions, their courses, its coordinator and cost centre."""
    return db.session.scalar(
        select(RoleDescription)
        .where(RoleDescription.id == role_id)
        .options(
            selectinload(RoleDescription.versions).selectinload(RoleVersion.required_courses),
            joinedload(RoleDescription.coordinator),
            joinedload(RoleDescription.cost_centre),
        )
    )


def staff_roles_query(
    *, status: RoleStatus | None, coordinator_id: int | None
) -> Select[RoleDescription]:
    """Roles for the staff list, newest first, with what the list shows loaded eagerly."""
    query = (
        select(RoleDescription)
        .options(
            selectinload(RoleDescription.versions),
            joinedload(RoleDescription.coordinator),
        )
        .order_by(RoleDescription.created_at.desc(), RoleDescription.id.desc())
    )
    if status is not None:
        query = query.where(RoleDescription.status == status)
    if coordinator_id is not None:
        query = query.where(RoleDescription.coordinator_id == coordinator_id)
    return query


def open_opportunities(
    today: date,
    *,
    location_type: LocationType | None = None,
    level: InvolvementLevel | None = None,
    paid: bool | None = None,
) -> list[RoleVersion]:
    """The published versions of roles taking sign-ups on ``today``, soonest closing first."""
    latest_published = (
        select(RoleVersion.role_id, func.max(RoleVersion.number).label("number"))
        .where(RoleVersion.published_at.is_not(None))
        .group_by(RoleVersion.role_id)
        .subquery()
    )
    query = (
        select(RoleVersion)
        .join(
            latest_published,
            and_(
                RoleVersion.role_id == latest_published.c.role_id,
                RoleVersion.number == latest_published.c.number,
            ),
        )
        .join(RoleVersion.role)
        .options(contains_eager(RoleVersion.role))
        .where(RoleDescription.status == RoleStatus.OPEN, RoleVersion.closing_on >= today)
        .order_by(RoleVersion.closing_on, RoleVersion.title, RoleVersion.id)
    )
    if location_type is not None:
        query = query.where(RoleVersion.location_type == location_type)
    if level is not None:
        query = query.where(RoleVersion.level == level)
    if paid is True:
        query = query.where(RoleVersion.fee_pence.is_not(None))
    elif paid is False:
        query = query.where(RoleVersion.fee_pence.is_(None))
    return list(db.session.scalars(query))


def roles_signed_up_to(person_id: int, role_ids: Collection[int]) -> set[int]:
    """Which of ``role_ids`` the person has a live sign-up to (waiting, accepted, waitlisted)."""
    if not role_ids:
        return set()
    return set(
        db.session.scalars(
            select(SignUp.role_id).where(
                SignUp.person_id == person_id,
                SignUp.role_id.in_(role_ids),
                SignUp.status.in_(LIVE_SIGN_UP_STATUSES),
            )
        )
    )


def names_by_id(user_ids: Iterable[int | None]) -> dict[int, str]:
    """People's names by id (for who wrote and published each version)."""
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}


def coordinators() -> list[User]:
    """Active people holding the coordinator role, by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.is_active.is_(True), User.role_grants.any(UserRole.role == Role.COORDINATOR)
            )
            .order_by(User.name, User.id)
        )
    )


def active_cost_centres() -> list[CostCentre]:
    """Cost centres roles can be charged to, by name."""
    return list(
        db.session.scalars(
            select(CostCentre)
            .where(CostCentre.is_active.is_(True))
            .order_by(CostCentre.name, CostCentre.code)
        )
    )


def course_options(kept: Collection[int] = ()) -> list[TrainingCourse]:
    """Courses a role may require: active ones, plus any in ``kept`` (already required)."""
    return list(
        db.session.scalars(
            select(TrainingCourse)
            .where(or_(TrainingCourse.is_active.is_(True), TrainingCourse.id.in_(kept)))
            .order_by(TrainingCourse.name)
        )
    )
