"""Sign-up use cases: signing up, withdrawing, and the coordinator's decisions.

Every change of status is a conditional UPDATE on the status it was read with, so two people
acting at once cannot both change a sign-up; the loser is told to look again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from payclaims.audit.models import AuditAction, AuditEvent
from payclaims.audit.services import record_event
from payclaims.auth.models import Role, User
from payclaims.database import utc_now
from payclaims.dates import format_date
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db
from payclaims.forms import SelectChoice
from payclaims.mail import external_url, send_email
from payclaims.roles.models import (
    LIVE_SIGN_UP_STATUSES,
    RoleDescription,
    RoleStatus,
    RoleVersion,
    SignUp,
    SignUpStatus,
)
from payclaims.roles.services import can_change
from payclaims.training.gate import TrainingGap, training_gaps

# The coordinator's decisions, in the order they are offered. Withdrawing is the person's.
DECISION_LABELS = {
    SignUpStatus.ACCEPTED: "Accept",
    SignUpStatus.WAITLISTED: "Put on the waiting list",
    SignUpStatus.DECLINED: "Decline",
}
DECISION_PAST = {
    SignUpStatus.ACCEPTED: "accepted",
    SignUpStatus.WAITLISTED: "put on the waiting list",
    SignUpStatus.DECLINED: "declined",
}
DECISION_ACTIONS = {
    SignUpStatus.ACCEPTED: AuditAction.SIGN_UP_ACCEPTED,
    SignUpStatus.WAITLISTED: AuditAction.SIGN_UP_WAITLISTED,
    SignUpStatus.DECLINED: AuditAction.SIGN_UP_DECLINED,
}
DECISION_EMAILS = {
    SignUpStatus.ACCEPTED: ("sign_up_accepted", "You have a place: {title}"),
    SignUpStatus.WAITLISTED: ("sign_up_waitlisted", "You are on the waiting list: {title}"),
    SignUpStatus.DECLINED: ("sign_up_declined", "About your sign-up to {title}"),
}
# How the coordinator's page groups sign-ups, in this order.
STAFF_GROUPS = (
    (SignUpStatus.INTERESTED, "Waiting for a decision"),
    (SignUpStatus.ACCEPTED, "Accepted"),
    (SignUpStatus.WAITLISTED, "On the waiting list"),
    (SignUpStatus.DECLINED, "Declined"),
    (SignUpStatus.WITHDRAWN, "Withdrawn"),
)
NEXT_STEPS = {
    SignUpStatus.INTERESTED: "The coordinator will read your sign-up and email you.",
    SignUpStatus.WAITLISTED: "If a place comes up, the coordinator will email you.",
    SignUpStatus.ACCEPTED: "The coordinator will be in touch about dates and what happens next.",
    SignUpStatus.DECLINED: "Nothing more to do. Other roles may suit you: have a look.",
    SignUpStatus.WITHDRAWN: "Nothing more to do. You can sign up again while the role is open.",
}
STALE_MESSAGE = "Someone else has just changed this sign-up. Check it again."


class AlreadySignedUp(DomainError):
    """The person already has a live sign-up to this role; ``sign_up`` is it."""

    def __init__(self, sign_up: SignUp) -> None:
        super().__init__("You have already signed up to this role.")
        self.sign_up = sign_up


class StaleSignUp(DomainError):
    """The sign-up changed after it was read, so the change was not made."""

    def __init__(self) -> None:
        super().__init__(STALE_MESSAGE)


class DecisionRefused(DomainError):
    """Rules stop the decision; each problem names the form field it belongs next to."""

    def __init__(self, problems: Sequence[DomainError]) -> None:
        super().__init__(problems[0].message, field=problems[0].field)
        self.problems = list(problems)


# The decisions on offer ----------------------------------------------------------------------


def decision_choices(sign_up: SignUp) -> list[Any]:
    """The decisions the coordinator may make on ``sign_up`` now, as form choices."""
    return [
        SelectChoice(status.value, label)
        for status, label in DECISION_LABELS.items()
        if sign_up.can_become(status)
    ]


# Reading ----------------------------------------------------------------------------------


def live_sign_up(role_id: int, person_id: int) -> SignUp | None:
    """The person's live sign-up to the role (interested, accepted or waitlisted), if any."""
    return db.session.scalar(
        select(SignUp).where(
            SignUp.role_id == role_id,
            SignUp.person_id == person_id,
            SignUp.status.in_(LIVE_SIGN_UP_STATUSES),
        )
    )


def load_sign_up(sign_up_id: int) -> SignUp | None:
    """A sign-up with its person, role and version (and the version's courses)."""
    return db.session.scalar(
        select(SignUp)
        .where(SignUp.id == sign_up_id)
        .options(
            joinedload(SignUp.person),
            joinedload(SignUp.role),
            joinedload(SignUp.version).selectinload(RoleVersion.required_courses),
        )
    )


def accepted_count(role_id: int) -> int:
    """How many people are accepted for the role: the places filled."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(SignUp)
            .where(SignUp.role_id == role_id, SignUp.status == SignUpStatus.ACCEPTED)
        )
        or 0
    )


def status_dates(sign_ups: Sequence[SignUp]) -> dict[int, datetime]:
    """When each sign-up got its current status: decided, withdrawn, or else signed up.

    A withdrawal is the person's, not a decision, so its time comes from the audit trail.
    """
    dates = {s.id: s.decided_at or s.created_at for s in sign_ups}
    withdrawn = [s.id for s in sign_ups if s.status is SignUpStatus.WITHDRAWN]
    if withdrawn:
        rows = db.session.execute(
            select(AuditEvent.object_id, func.max(AuditEvent.occurred_at))
            .where(
                AuditEvent.object_type == "sign_up",
                AuditEvent.object_id.in_(withdrawn),
                AuditEvent.action == AuditAction.SIGN_UP_WITHDRAWN.value,
            )
            .group_by(AuditEvent.object_id)
        )
        dates.update({sign_up_id: when for sign_up_id, when in rows if sign_up_id is not None})
    return dates


def next_step(sign_up: SignUp, gaps: Sequence[TrainingGap] = ()) -> str:
    """What happens next for the person, in a sentence."""
    if sign_up.status is SignUpStatus.ACCEPTED and gaps:
        courses = "course" if len(gaps) == 1 else "courses"
        return f"Complete your training: {len(gaps)} {courses} still needed."
    return NEXT_STEPS[sign_up.status]


@dataclass
class PersonSignUps:
    """A person's sign-ups, grouped as their "My roles" page shows them."""

    accepted: list[SignUp] = field(default_factory=list)
    waiting: list[SignUp] = field(default_factory=list)
    past: list[SignUp] = field(default_factory=list)
    # For sign-ups accepted subject to training: the courses still needed today.
    training_needed: dict[int, list[TrainingGap]] = field(default_factory=dict)
    # When each got its current status.
    dates: dict[int, datetime] = field(default_factory=dict)

    def __bool__(self) -> bool:
        """Whether the person has any sign-ups at all."""
        return bool(self.accepted or self.waiting or self.past)


def sign_ups_of(person: User, today: date) -> PersonSignUps:
    """``person``'s sign-ups, newest first, grouped; in a fixed number of queries."""
    sign_ups = db.session.scalars(
        select(SignUp)
        .where(SignUp.person_id == person.id)
        .options(joinedload(SignUp.version).selectinload(RoleVersion.required_courses))
        .order_by(SignUp.created_at.desc(), SignUp.id.desc())
    ).all()
    grouped = PersonSignUps()
    for sign_up in sign_ups:
        if sign_up.status is SignUpStatus.ACCEPTED:
            grouped.accepted.append(sign_up)
        elif sign_up.is_live:
            grouped.waiting.append(sign_up)
        else:
            grouped.past.append(sign_up)
    on_condition = [s for s in grouped.accepted if s.is_subject_to_training]
    courses = {c.id: c for s in on_condition for c in s.version.required_courses}
    # One look at the person's records for every course any of these roles needs.
    gaps = training_gaps(person.id, list(courses.values()), today)
    for sign_up in on_condition:
        needed = {course.id for course in sign_up.version.required_courses}
        grouped.training_needed[sign_up.id] = [g for g in gaps if g.course.id in needed]
    grouped.dates = status_dates(sign_ups)
    return grouped


@dataclass(frozen=True)
class RoleSignUps:
    """The sign-ups to one role, for its coordinator."""

    groups: list[tuple[str, list[SignUp]]]
    filled: int
    places: int | None

    @property
    def total(self) -> int:
        """How many sign-ups there are, whatever their status."""
        return sum(len(sign_ups) for _, sign_ups in self.groups)


def sign_ups_to(role: RoleDescription) -> RoleSignUps:
    """The sign-ups to ``role`` grouped by status, oldest first; in a fixed number of queries."""
    sign_ups = db.session.scalars(
        select(SignUp)
        .where(SignUp.role_id == role.id)
        .options(joinedload(SignUp.person))
        .order_by(SignUp.created_at, SignUp.id)
    ).all()
    groups = [
        (heading, [s for s in sign_ups if s.status is status]) for status, heading in STAFF_GROUPS
    ]
    version = role.published_version
    filled = sum(1 for s in sign_ups if s.status is SignUpStatus.ACCEPTED)
    return RoleSignUps(groups=groups, filled=filled, places=version.places if version else None)


# Signing up ---------------------------------------------------------------------------------


def check_can_sign_up(role: RoleDescription, *, person: User, today: date) -> None:
    """Raise ``AlreadySignedUp`` or a ``DomainError`` saying why ``person`` cannot sign up now."""
    version = role.published_version
    if role.status is RoleStatus.DRAFT or version is None:
        raise DomainError("This role is not open for sign-ups.")
    existing = live_sign_up(role.id, person.id)
    if existing is not None:
        raise AlreadySignedUp(existing)
    if role.status is RoleStatus.CLOSED:
        raise DomainError("This role has closed, so it is not taking sign-ups any more.")
    if not role.takes_sign_ups(today):
        raise DomainError(
            f"Sign-ups to this role closed on {format_date(version.closing_on)}, "
            "so it is not taking sign-ups any more."
        )


def sign_up_to_role(
    role: RoleDescription,
    *,
    person: User,
    message: str,
    access_needs: str,
    ip_address: str | None,
    today: date,
) -> SignUp:
    """Sign ``person`` up to the role's published version; email them and the coordinator."""
    if not person.is_active or not person.has_role(Role.EXPERT):
        raise PermissionDenied("Only experts by experience can sign up to roles.")
    check_can_sign_up(role, person=person, today=today)
    version = role.published_version
    assert version is not None  # checked above
    sign_up = SignUp(
        role_id=role.id,
        version_id=version.id,
        person_id=person.id,
        message=message.strip(),
        access_needs=access_needs.strip(),
    )
    db.session.add(sign_up)
    try:
        db.session.flush()
    except IntegrityError:
        # The partial unique index: another request (a double click) signed them up first.
        db.session.rollback()
        existing = live_sign_up(role.id, person.id)
        if existing is None:
            raise
        raise AlreadySignedUp(existing) from None
    record_event(
        AuditAction.SIGN_UP_CREATED,
        actor=person,
        subject=person,
        ip_address=ip_address,
        detail=f"{version.title} (version {version.number})",
        about=("sign_up", sign_up.id),
    )
    db.session.commit()
    send_email(
        person.email,
        f"We have your sign-up to {version.title}",
        "sign_up_confirmation",
        person=person,
        title=version.title,
        link=external_url("signups.mine", sign_up_id=sign_up.id),
    )
    send_email(
        role.coordinator.email,
        f"New sign-up to {version.title}",
        "sign_up_to_coordinator",
        coordinator=role.coordinator,
        person=person,
        title=version.title,
        link=external_url("signups.review", sign_up_id=sign_up.id),
    )
    return sign_up


# Changing status --------------------------------------------------------------------------


def _change_status(sign_up: SignUp, to: SignUpStatus, **values: object) -> None:
    """Move ``sign_up`` to ``to`` only if nobody has changed its status since it was read."""
    result = db.session.execute(
        update(SignUp)
        .where(SignUp.id == sign_up.id, SignUp.status == sign_up.status)
        .values(status=to, **values)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        db.session.rollback()
        raise StaleSignUp()


def withdraw_sign_up(sign_up: SignUp, *, actor: User, ip_address: str | None) -> None:
    """The person withdraws their live sign-up; they and the coordinator are emailed."""
    if actor.id != sign_up.person_id:
        raise PermissionDenied("Only the person who signed up can withdraw.")
    if not sign_up.can_become(SignUpStatus.WITHDRAWN):
        raise DomainError("This sign-up has already ended, so there is nothing to withdraw.")
    _change_status(sign_up, SignUpStatus.WITHDRAWN)
    record_event(
        AuditAction.SIGN_UP_WITHDRAWN,
        actor=actor,
        subject=sign_up.person,
        ip_address=ip_address,
        about=("sign_up", sign_up.id),
    )
    db.session.commit()
    title = sign_up.version.title
    send_email(
        sign_up.person.email,
        f"You have withdrawn from {title}",
        "sign_up_withdrawn",
        person=sign_up.person,
        title=title,
        link=external_url("roles.opportunities"),
    )
    coordinator = sign_up.role.coordinator
    send_email(
        coordinator.email,
        f"{sign_up.person.name} has withdrawn from {title}",
        "sign_up_withdrawn_coordinator",
        coordinator=coordinator,
        person=sign_up.person,
        title=title,
        link=external_url("signups.for_role", role_id=sign_up.role_id),
    )


def _course_names(gaps: Sequence[TrainingGap]) -> str:
    names = [gap.course.name for gap in gaps]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def decide_sign_up(
    sign_up: SignUp,
    *,
    decision: SignUpStatus,
    actor: User,
    message: str,
    override_reason: str,
    subject_to_training: bool,
    ip_address: str | None,
    today: date,
) -> None:
    """Accept, waitlist or decline a sign-up, then email the person what was decided.

    Accepting needs a free place (or a reason to go over), and either the required training
    or the coordinator's word that the person is accepted subject to training.
    """
    role = sign_up.role
    if not can_change(role, actor):
        raise PermissionDenied("Only the role's coordinator or an admin can decide sign-ups.")
    if decision not in DECISION_LABELS:
        raise DomainError(
            "Choose to accept, put on the waiting list or decline. Only the person who signed "
            "up can withdraw.",
            field="decision",
        )
    if not sign_up.can_become(decision):
        raise DomainError(
            f"This sign-up can no longer be {DECISION_PAST[decision]}: its status is now "
            f"{sign_up.status.label}.",
            field="decision",
        )
    version = sign_up.version
    override_reason = override_reason.strip()
    gaps: list[TrainingGap] = []
    places_full = False
    if decision is SignUpStatus.ACCEPTED:
        gaps = training_gaps(sign_up.person_id, version.required_courses, today)
        # Lock the role (PostgreSQL) so that two acceptances at once cannot both take the
        # last place; SQLite has a single writer anyway.
        db.session.execute(
            select(RoleDescription.id).where(RoleDescription.id == role.id).with_for_update()
        )
        places_full = accepted_count(role.id) >= version.places
        problems = []
        if places_full and not override_reason:
            problems.append(
                DomainError(
                    f"All {version.places} places are filled. To accept one more person, say why",
                    field="override_reason",
                )
            )
        if gaps and not subject_to_training:
            problems.append(
                DomainError(
                    f"{sign_up.person.name} still needs {_course_names(gaps)}. To accept "
                    'them now, tick "Accept subject to training"',
                    field="subject_to_training",
                )
            )
        if problems:
            db.session.rollback()
            raise DecisionRefused(problems)
    _change_status(
        sign_up,
        decision,
        decided_at=utc_now(),
        decided_by_id=actor.id,
        decision_message=message.strip(),
        is_subject_to_training=bool(gaps),
        places_override_reason=override_reason if places_full else "",
    )
    details = []
    if places_full:
        details.append(f"over the {version.places} places: {override_reason}")
    if gaps:
        details.append("subject to training: " + "; ".join(gap.text for gap in gaps))
    record_event(
        DECISION_ACTIONS[decision],
        actor=actor,
        subject=sign_up.person,
        ip_address=ip_address,
        detail=". ".join(details),
        about=("sign_up", sign_up.id),
    )
    db.session.commit()
    template, subject = DECISION_EMAILS[decision]
    send_email(
        sign_up.person.email,
        subject.format(title=version.title),
        template,
        person=sign_up.person,
        title=version.title,
        message=sign_up.decision_message,
        gaps=gaps,
        link=external_url("signups.mine", sign_up_id=sign_up.id),
        opportunities_link=external_url("roles.opportunities"),
    )
