"""Sign-up use cases: signing up, withdrawing, and the coordinator's decisions.

Every change of status is a conditional UPDATE on the status it was read with, so two people
acting at once cannot both change a sign-up; the loser is told to look again.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping, Sequence
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
from payclaims.training.gate import TrainingGap, best_record
from payclaims.training.models import TrainingCourse, TrainingRecord

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
# An accepted person's place, taken back: the coordinator's decline, worded for what it is.
TAKE_BACK_LABEL = "Take the place back"
TAKE_BACK_EMAIL = ("sign_up_place_taken_back", "About your place in {title}")
DECISION_DESCRIPTIONS = {
    SignUpStatus.ACCEPTED: "They have a place in the role.",
    SignUpStatus.WAITLISTED: "They get a place if one comes up.",
    SignUpStatus.DECLINED: "They do not have a place this time. We tell them kindly.",
}
TAKE_BACK_DESCRIPTION = (
    "They no longer have a place, and it is free for someone else. We tell them kindly."
)
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
FILLED_MEANWHILE = (
    "All places are filled: someone has just accepted another person. To accept one more "
    "person, say why"
)


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


def takes_place_back(sign_up: SignUp, decision: SignUpStatus) -> bool:
    """Whether ``decision`` takes an accepted person's place back."""
    return sign_up.status is SignUpStatus.ACCEPTED and decision is SignUpStatus.DECLINED


def decision_choices(sign_up: SignUp) -> list[Any]:
    """The decisions the coordinator may make on ``sign_up`` now, as form choices."""
    return [
        SelectChoice(status.value, TAKE_BACK_LABEL if takes_place_back(sign_up, status) else label)
        for status, label in DECISION_LABELS.items()
        if sign_up.can_become(status)
    ]


def decision_descriptions(sign_up: SignUp) -> dict[str, str]:
    """A line under each decision on offer saying what it means for the person."""
    return {
        status.value: (TAKE_BACK_DESCRIPTION if takes_place_back(sign_up, status) else description)
        for status, description in DECISION_DESCRIPTIONS.items()
    }


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


@dataclass(frozen=True)
class PlacesStatus:
    """How many of a role's places are filled, against its current published version."""

    filled: int
    places: int

    @property
    def full(self) -> bool:
        """Whether no place is left."""
        return self.filled >= self.places

    @property
    def text(self) -> str:
        """'1 of 3 places filled'."""
        return f"{self.filled} of {self.places} {'place' if self.places == 1 else 'places'} filled"

    @property
    def full_text(self) -> str:
        """'The 1 place is filled' or 'All 3 places are filled'."""
        if self.places == 1:
            return "The 1 place is filled"
        return f"All {self.places} places are filled"


def places_status(role: RoleDescription) -> PlacesStatus | None:
    """The role's places filled, out of what people see now; None if it was never published.

    People may have signed up to older versions, but the places are the role's current ones.
    """
    version = role.published_version
    if version is None:
        return None
    return PlacesStatus(filled=accepted_count(role.id), places=version.places)


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


class NeedKind(enum.Enum):
    """Why a required course still counts as needed."""

    NOT_DONE = "not_done"
    EXPIRED = "expired"
    AWAITING_CHECK = "awaiting_check"


# What the person does about each kind of need.
NEED_ADVICE = {
    NeedKind.NOT_DONE: "When you have done it, add it to your training record or tell the "
    "coordinator.",
    NeedKind.EXPIRED: "When you have done it again, add it to your training record or tell the "
    "coordinator.",
    NeedKind.AWAITING_CHECK: "You do not need to do anything: a coordinator will check it.",
}


@dataclass(frozen=True)
class TrainingNeed(TrainingGap):
    """A training gap with its kind and, when it waits for a check, the record to check."""

    kind: NeedKind = NeedKind.NOT_DONE
    record_id: int | None = None

    @property
    def advice(self) -> str:
        """What the person does about it, in a sentence."""
        return NEED_ADVICE[self.kind]


def _need(course: TrainingCourse, best: TrainingRecord | None, today: date) -> TrainingNeed | None:
    """What is still needed of ``course`` given the record that counts most (as the gate says)."""
    if best is None:
        return TrainingNeed(course, "not done yet", NeedKind.NOT_DONE)
    if not best.is_current(today):
        assert best.expires_on is not None
        return TrainingNeed(
            course, f"expired on {format_date(best.expires_on)}", NeedKind.EXPIRED, best.id
        )
    if not best.is_verified:
        return TrainingNeed(
            course, "done, waiting for a coordinator to check it", NeedKind.AWAITING_CHECK, best.id
        )
    return None


def training_needs(
    person_ids: Collection[int], courses: Collection[TrainingCourse], today: date
) -> dict[int, dict[int, TrainingNeed]]:
    """For each person, what they still need of ``courses``, by course id; in one query."""
    needs: dict[int, dict[int, TrainingNeed]] = {person_id: {} for person_id in person_ids}
    if not person_ids or not courses:
        return needs
    records = db.session.scalars(
        select(TrainingRecord).where(
            TrainingRecord.person_id.in_(list(person_ids)),
            TrainingRecord.course_id.in_([course.id for course in courses]),
        )
    ).all()
    by_key: dict[tuple[int, int], list[TrainingRecord]] = {}
    for record in records:
        by_key.setdefault((record.person_id, record.course_id), []).append(record)
    for person_id in person_ids:
        for course in courses:
            best = best_record(by_key.get((person_id, course.id), []), today)
            need = _need(course, best, today)
            if need is not None:
                needs[person_id][course.id] = need
    return needs


def needs_for(sign_up: SignUp, today: date) -> list[TrainingNeed]:
    """What the person still needs of the training their sign-up's version requires."""
    courses = sign_up.version.required_courses
    by_course = training_needs([sign_up.person_id], courses, today)[sign_up.person_id]
    return [by_course[course.id] for course in courses if course.id in by_course]


def needs_of_sign_ups(sign_ups: Sequence[SignUp], today: date) -> dict[int, list[TrainingNeed]]:
    """For sign-ups accepted subject to training: the courses still needed, in one query.

    Needs each sign-up's version and its required courses loaded.
    """
    on_condition = [
        s for s in sign_ups if s.status is SignUpStatus.ACCEPTED and s.is_subject_to_training
    ]
    courses = {c.id: c for s in on_condition for c in s.version.required_courses}
    needs = training_needs({s.person_id for s in on_condition}, list(courses.values()), today)
    return {
        s.id: [
            needs[s.person_id][course.id]
            for course in s.version.required_courses
            if course.id in needs[s.person_id]
        ]
        for s in on_condition
    }


def status_text(sign_up: SignUp, needs: Mapping[int, Sequence[TrainingGap]]) -> str:
    """The sign-up's status in words; "subject to training" only while training is missing.

    ``needs`` is what ``needs_of_sign_ups`` gives.
    """
    if sign_up.status is SignUpStatus.ACCEPTED and sign_up.is_subject_to_training:
        if needs.get(sign_up.id):
            return "Accepted, subject to training"
        return "Accepted, training complete"
    return sign_up.status.label


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
    training_needed: dict[int, list[TrainingNeed]] = field(default_factory=dict)
    # When each got its current status, and the status in words.
    dates: dict[int, datetime] = field(default_factory=dict)
    statuses: dict[int, str] = field(default_factory=dict)

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
    grouped.training_needed = needs_of_sign_ups(sign_ups, today)
    grouped.dates = status_dates(sign_ups)
    grouped.statuses = {s.id: status_text(s, grouped.training_needed) for s in sign_ups}
    return grouped


@dataclass(frozen=True)
class RoleSignUps:
    """The sign-ups to one role, for its coordinator."""

    groups: list[tuple[str, list[SignUp]]]
    places: PlacesStatus | None
    # Each sign-up's status in words ("subject to training" only while training is missing).
    statuses: dict[int, str]

    @property
    def total(self) -> int:
        """How many sign-ups there are, whatever their status."""
        return sum(len(sign_ups) for _, sign_ups in self.groups)


def sign_ups_to(role: RoleDescription, today: date) -> RoleSignUps:
    """The sign-ups to ``role`` grouped by status, oldest first; in a fixed number of queries."""
    sign_ups = db.session.scalars(
        select(SignUp)
        .where(SignUp.role_id == role.id)
        .options(
            joinedload(SignUp.person),
            joinedload(SignUp.version).selectinload(RoleVersion.required_courses),
        )
        .order_by(SignUp.created_at, SignUp.id)
    ).all()
    groups = [
        (heading, [s for s in sign_ups if s.status is status]) for status, heading in STAFF_GROUPS
    ]
    needs = needs_of_sign_ups(sign_ups, today)
    return RoleSignUps(
        groups=groups,
        places=places_status(role),
        statuses={s.id: status_text(s, needs) for s in sign_ups},
    )


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
    taking_back = takes_place_back(sign_up, decision)
    if not sign_up.can_become(decision):
        raise DomainError(
            f"This sign-up can no longer be {DECISION_PAST[decision]}: its status is now "
            f"{sign_up.status.label}.",
            field="decision",
        )
    version = sign_up.version
    override_reason = override_reason.strip()
    gaps: list[TrainingNeed] = []
    places_full = False
    places: PlacesStatus | None = None
    if decision is SignUpStatus.ACCEPTED:
        gaps = needs_for(sign_up, today)
        # Lock the role (PostgreSQL) so that two acceptances at once cannot both take the
        # last place. SQLite ignores the lock: the count is checked again after the UPDATE.
        db.session.execute(
            select(RoleDescription.id).where(RoleDescription.id == role.id).with_for_update()
        )
        places = places_status(role)
        assert places is not None  # a role with sign-ups has been published
        places_full = places.full
        problems = []
        if places_full and not override_reason:
            problems.append(
                DomainError(
                    f"{places.full_text}. To accept one more person, say why",
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
    if places is not None and not places_full and accepted_count(role.id) > places.places:
        # Someone accepted another person after the count above. PostgreSQL's lock stops
        # that; SQLite starts the transaction only at the UPDATE, which now holds its write
        # lock, so this second count is exact there too.
        if not override_reason:
            db.session.rollback()
            raise DomainError(FILLED_MEANWHILE, field="override_reason")
        places_full = True
        db.session.execute(
            update(SignUp)
            .where(SignUp.id == sign_up.id)
            .values(places_override_reason=override_reason)
            .execution_options(synchronize_session="fetch")
        )
    details = []
    if places_full and places is not None:
        details.append(f"over the {places.places} places: {override_reason}")
    if taking_back:
        details.append("place taken back")
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
    template, subject = TAKE_BACK_EMAIL if taking_back else DECISION_EMAILS[decision]
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
