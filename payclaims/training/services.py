"""Training use cases: courses, recording and declaring training, verification, evidence, export."""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import CursorResult, Select, and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, contains_eager, joinedload
from sqlalchemy.sql.elements import ColumnElement

from payclaims.audit.models import AuditAction
from payclaims.audit.services import record_event
from payclaims.auth.access import require_role
from payclaims.auth.models import Role, User, UserRole
from payclaims.database import escape_like, utc_now
from payclaims.dates import add_months, format_date
from payclaims.downloads import csv_safe
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db
from payclaims.mail import external_url, send_email
from payclaims.training.gate import best_record
from payclaims.training.models import TrainingCourse, TrainingEvidence, TrainingRecord
from payclaims.uploads import JPEG, PDF, PNG, CheckedFile, UploadError, check_upload

MAX_VALIDITY_MONTHS = 120
DUPLICATE_COURSE = "There is already a course with this name"
# Coordinators are warned a month ahead; people themselves two months ahead, to book a place.
STAFF_WARNING_DAYS = 30
PERSON_WARNING_DAYS = 60
EVIDENCE_TYPES = frozenset({PDF, JPEG, PNG})
COORDINATING_ROLES = (Role.COORDINATOR, Role.ADMIN)
# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
EXPORT_HEADINGS = (
    "Person",
    "Email address",
    "Course",
    "Completed on",
    "Expires on",
    "Status",
    "Verified by",
    "Recorded by",
    "Evidence attached",
)


class RecordStatus(enum.StrEnum):
    """Where a training record stands on a given day."""

    VERIFIED = "verified"
    AWAITING_VERIFICATION = "awaiting_verification"
    EXPIRES_SOON = "expires_soon"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        """The status in plain words."""
        return STATUS_LABELS[self]


STATUS_LABELS = {
    RecordStatus.VERIFIED: "Verified",
    RecordStatus.AWAITING_VERIFICATION: "Awaiting verification",
    RecordStatus.EXPIRES_SOON: "Expires soon",
    RecordStatus.EXPIRED: "Expired",
}


def record_status(
    record: TrainingRecord, today: date, *, warning_days: int = STAFF_WARNING_DAYS
) -> RecordStatus:
    """Expired, then awaiting verification, then expiring within ``warning_days``, else verified."""
    if not record.is_current(today):
        return RecordStatus.EXPIRED
    if not record.is_verified:
        return RecordStatus.AWAITING_VERIFICATION
    if record.expires_on is not None and record.expires_on <= today + timedelta(days=warning_days):
        return RecordStatus.EXPIRES_SOON
    return RecordStatus.VERIFIED


@dataclass(frozen=True)
class EvidenceFile:
    """A file someone chose to upload, not yet checked."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class RecordFilters:
    """What the list (and export) of everyone's training records is narrowed to."""

    course_id: int | None = None
    person_text: str = ""
    expiring_soon: bool = False
    awaiting_verification: bool = False

    def describe(self) -> str:
        """The filters in words, for the audit trail."""
        parts = []
        if self.course_id is not None:
            parts.append(f"course id {self.course_id}")
        if self.person_text:
            parts.append(f"person matching {self.person_text!r}")
        if self.expiring_soon:
            parts.append(f"expiring within {STAFF_WARNING_DAYS} days")
        if self.awaiting_verification:
            parts.append("awaiting verification")
        return ", ".join(parts) or "no filters"


@dataclass(frozen=True)
class TrainingWarning:
    """A course whose best record has expired or expires soon."""

    record: TrainingRecord
    expired: bool

    @property
    def text(self) -> str:
        """'Safeguarding level 1: expired on 3 May 2026'."""
        verb = "expired" if self.expired else "expires"
        return f"{self.record.course.name}: {verb} on {format_date(self.record.expires_on)}"


# Permissions ------------------------------------------------------------------------------


def can_see_record(record: TrainingRecord, user: User) -> bool:
    """Coordinators and admins see every record; people see their own."""
    if not user.is_active:
        return False
    if user.has_role(*COORDINATING_ROLES):
        return True
    return record.person_id == user.id and user.has_role(Role.EXPERT)


# Courses ----------------------------------------------------------------------------------


def all_courses() -> list[TrainingCourse]:
    """Every course, retired ones included, by name."""
    return list(db.session.scalars(select(TrainingCourse).order_by(TrainingCourse.name)))


def active_courses() -> list[TrainingCourse]:
    """The courses offered for new training records and roles, by name."""
    return list(
        db.session.scalars(
            select(TrainingCourse)
            .where(TrainingCourse.is_active.is_(True))
            .order_by(TrainingCourse.name)
        )
    )


def _check_course(name: str, validity_months: int | None, *, course_id: int | None) -> None:
    if not name:
        raise DomainError("Enter the course name", field="name")
    if validity_months is not None and not 1 <= validity_months <= MAX_VALIDITY_MONTHS:
        raise DomainError(
            f"Enter a number of months between 1 and {MAX_VALIDITY_MONTHS}",
            field="validity_months",
        )
    same_name = select(TrainingCourse.id).where(func.lower(TrainingCourse.name) == name.lower())
    if course_id is not None:
        same_name = same_name.where(TrainingCourse.id != course_id)
    if db.session.scalar(same_name.limit(1)) is not None:
        raise DomainError(DUPLICATE_COURSE, field="name")


def _commit_course() -> None:
    """Commit; a course with the same name saved at the same moment becomes a field error."""
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise DomainError(DUPLICATE_COURSE, field="name") from error


def create_course(
    *,
    actor: User,
    name: str,
    description: str,
    validity_months: int | None,
    ip_address: str | None,
) -> TrainingCourse:
    """Add a course, offered for new records and roles straight away."""
    require_role(actor, *COORDINATING_ROLES)
    name = name.strip()
    _check_course(name, validity_months, course_id=None)
    course = TrainingCourse(
        name=name, description=description.strip(), validity_months=validity_months
    )
    db.session.add(course)
    db.session.flush()
    record_event(
        AuditAction.COURSE_CREATED,
        actor=actor,
        ip_address=ip_address,
        detail=f"{course.name} ({course.validity_text.lower()})",
        about=("training_course", course.id),
    )
    _commit_course()
    return course


def edit_course(
    course: TrainingCourse,
    *,
    actor: User,
    name: str,
    description: str,
    validity_months: int | None,
    is_active: bool,
    ip_address: str | None,
) -> None:
    """Change a course. Records already made keep the expiry date worked out for them."""
    require_role(actor, *COORDINATING_ROLES)
    name = name.strip()
    _check_course(name, validity_months, course_id=course.id)
    changes = []
    if name != course.name:
        changes.append(f"name from {course.name!r} to {name!r}")
    if description.strip() != course.description:
        changes.append("description changed")
    if validity_months != course.validity_months:
        before = course.validity_text.lower()
        course.validity_months = validity_months
        changes.append(f"validity from {before} to {course.validity_text.lower()}")
    if is_active != course.is_active:
        changes.append("offered again" if is_active else "retired")
    if not changes:
        return
    course.name = name
    course.description = description.strip()
    course.is_active = is_active
    record_event(
        AuditAction.COURSE_EDITED,
        actor=actor,
        ip_address=ip_address,
        detail="; ".join(changes),
        about=("training_course", course.id),
    )
    _commit_course()


# Recording and declaring training ---------------------------------------------------------


def active_experts(*, excluding: User | None = None) -> list[User]:
    """Active people with the expert role, by name: those training can be recorded for."""
    query = (
        select(User)
        .join(UserRole)
        .where(User.is_active.is_(True), UserRole.role == Role.EXPERT)
        .order_by(User.name, User.email)
    )
    if excluding is not None:
        query = query.where(User.id != excluding.id)
    return list(db.session.scalars(query))


def _offered_course(course_id: int) -> TrainingCourse:
    course = db.session.get(TrainingCourse, course_id)
    if course is None or not course.is_active:
        raise DomainError("Select a course from the list", field="course")
    return course


def _check_completed_on(completed_on: date, today: date) -> None:
    if completed_on > today:
        raise DomainError("The date completed must be today or in the past", field="completed_on")


def _checked_evidence(evidence: EvidenceFile | None) -> CheckedFile | None:
    if evidence is None:
        return None
    try:
        return check_upload(evidence.filename, evidence.content, allowed=EVIDENCE_TYPES)
    except UploadError as error:
        raise DomainError(str(error), field="evidence") from error


def _already_recorded(person_id: int, course_id: int, completed_on: date) -> bool:
    return (
        db.session.scalar(
            select(TrainingRecord.id)
            .where(
                TrainingRecord.person_id == person_id,
                TrainingRecord.course_id == course_id,
                TrainingRecord.completed_on == completed_on,
            )
            .limit(1)
        )
        is not None
    )


def _new_record(
    person: User,
    course: TrainingCourse,
    completed_on: date,
    checked: CheckedFile | None,
    *,
    recorded_by: User,
    verified: bool,
) -> TrainingRecord:
    months = course.validity_months
    record = TrainingRecord(
        person_id=person.id,
        course_id=course.id,
        completed_on=completed_on,
        expires_on=None if months is None else add_months(completed_on, months),
        recorded_by_id=recorded_by.id,
        is_verified=verified,
        verified_by_id=recorded_by.id if verified else None,
        verified_at=utc_now() if verified else None,
    )
    if checked is not None:
        record.evidence = TrainingEvidence(
            filename=checked.filename,
            content_type=checked.content_type,
            size_bytes=checked.size_bytes,
            sha256=checked.sha256,
            content=checked.content,
        )
    db.session.add(record)
    db.session.flush()
    return record


def record_training(
    *,
    actor: User,
    person_id: int,
    course_id: int,
    completed_on: date,
    evidence: EvidenceFile | None,
    ip_address: str | None,
    today: date,
) -> TrainingRecord:
    """A coordinator records training someone has done: the record counts as verified."""
    require_role(actor, *COORDINATING_ROLES)
    person = db.session.get(User, person_id)
    if person is None or not person.is_active or not person.has_role(Role.EXPERT):
        raise DomainError("Select a person from the list", field="person")
    if person.id == actor.id:
        raise DomainError(
            "You cannot record your own training. Add it in My training and another "
            "coordinator will check it",
            field="person",
        )
    return _add_record(
        person,
        actor=actor,
        course_id=course_id,
        completed_on=completed_on,
        evidence=evidence,
        today=today,
        ip_address=ip_address,
        duplicate=f"{person.name} already has a record of this course completed on this date",
    )


def declare_training(
    *,
    actor: User,
    course_id: int,
    completed_on: date,
    evidence: EvidenceFile | None,
    ip_address: str | None,
    today: date,
) -> TrainingRecord:
    """A person tells us they did a course; it waits for a coordinator to verify it."""
    if not actor.is_active or not actor.has_role(Role.EXPERT):
        raise PermissionDenied("Only an expert by experience can add their own training.")
    return _add_record(
        actor,
        actor=actor,
        course_id=course_id,
        completed_on=completed_on,
        evidence=evidence,
        today=today,
        ip_address=ip_address,
        duplicate="You have already added this course with this date",
    )


def _add_record(
    person: User,
    *,
    actor: User,
    course_id: int,
    completed_on: date,
    evidence: EvidenceFile | None,
    today: date,
    ip_address: str | None,
    duplicate: str,
) -> TrainingRecord:
    """Check and save a record: verified when a coordinator records it for someone else,
    awaiting verification when the person declares it themselves."""
    course = _offered_course(course_id)
    _check_completed_on(completed_on, today)
    checked = _checked_evidence(evidence)
    if _already_recorded(person.id, course.id, completed_on):
        raise DomainError(duplicate, field="completed_on")
    declared = person.id == actor.id
    record = _new_record(
        person, course, completed_on, checked, recorded_by=actor, verified=not declared
    )
    record_event(
        AuditAction.TRAINING_DECLARED if declared else AuditAction.TRAINING_RECORDED,
        actor=actor,
        subject=person,
        ip_address=ip_address,
        detail=_describe(record, course, checked),
        about=("training_record", record.id),
    )
    db.session.commit()
    return record


def _describe(record: TrainingRecord, course: TrainingCourse, checked: CheckedFile | None) -> str:
    evidence = f", evidence {checked.filename} ({checked.sha256[:12]})" if checked else ""
    return f"{course.name}, completed on {record.completed_on.isoformat()}{evidence}"


def verify_record(record: TrainingRecord, *, actor: User, ip_address: str | None) -> None:
    """A coordinator confirms self-declared training. Nobody verifies their own."""
    require_role(actor, *COORDINATING_ROLES)
    if record.person_id == actor.id:
        raise PermissionDenied(
            "You cannot verify your own training. Another coordinator needs to check it."
        )
    # Only one of two coordinators pressing "Verify" at once may succeed.
    result = db.session.execute(
        update(TrainingRecord)
        .where(TrainingRecord.id == record.id, TrainingRecord.is_verified.is_(False))
        .values(is_verified=True, verified_by_id=actor.id, verified_at=utc_now())
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        db.session.rollback()
        raise DomainError("This training has already been verified.")
    record_event(
        AuditAction.TRAINING_VERIFIED,
        actor=actor,
        subject=db.session.get(User, record.person_id),
        ip_address=ip_address,
        detail=f"{record.course.name}, completed on {record.completed_on.isoformat()}",
        about=("training_record", record.id),
    )
    db.session.commit()


def reject_record(
    record: TrainingRecord, *, actor: User, reason: str, ip_address: str | None
) -> None:
    """A coordinator does not accept self-declared training: it is removed, with the reason.

    The audit trail keeps what was declared and why it was not accepted; the person is told.
    """
    require_role(actor, *COORDINATING_ROLES)
    if record.person_id == actor.id:
        raise PermissionDenied("You cannot decide on your own training.")
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why this training is not accepted", field="reason")
    if record.is_verified:
        raise DomainError("This training has already been verified.")
    person = db.session.get(User, record.person_id)
    course_name, completed_on = record.course.name, record.completed_on
    record_event(
        AuditAction.TRAINING_REJECTED,
        actor=actor,
        subject=person,
        ip_address=ip_address,
        detail=f"{course_name}, completed on {completed_on.isoformat()}: {reason}"[:2000],
        about=("training_record", record.id),
    )
    # Only an unverified record goes: a coordinator verifying it at the same moment wins.
    db.session.execute(delete(TrainingEvidence).where(TrainingEvidence.record_id == record.id))
    result = db.session.execute(
        delete(TrainingRecord)
        .where(TrainingRecord.id == record.id, TrainingRecord.is_verified.is_(False))
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        db.session.rollback()
        raise DomainError("This training has just been verified or removed by someone else.")
    db.session.commit()
    db.session.expunge(record)
    if person is not None:
        send_email(
            person.email,
            "Your training record",
            "training_rejected",
            person=person,
            course_name=course_name,
            completed_on=completed_on,
            reason=reason,
            actor=actor,
            link=external_url("training.my_training"),
        )


def evidence_for_download(
    record: TrainingRecord, *, actor: User, ip_address: str | None
) -> TrainingEvidence:
    """The record's evidence file for ``actor`` to download; staff downloads are audited."""
    if not can_see_record(record, actor):
        raise PermissionDenied("You cannot see this training record.")
    evidence = record.evidence
    if evidence is None:
        raise DomainError("There is no evidence file for this training.")
    if actor.id != record.person_id:
        record_event(
            AuditAction.TRAINING_EVIDENCE_DOWNLOADED,
            actor=actor,
            subject=record.person,
            ip_address=ip_address,
            detail=f"{evidence.filename} ({evidence.sha256[:12]})",
            about=("training_record", record.id),
        )
        db.session.commit()
    return evidence


# Lists and the export ---------------------------------------------------------------------


def expiring_within(today: date, days: int) -> ColumnElement[bool]:
    """Records in date that expire within ``days``, unless renewed by a later record."""
    later = aliased(TrainingRecord)
    renewed = (
        select(later.id)
        .where(
            later.person_id == TrainingRecord.person_id,
            later.course_id == TrainingRecord.course_id,
            later.id != TrainingRecord.id,
            or_(later.expires_on.is_(None), later.expires_on > TrainingRecord.expires_on),
        )
        .exists()
    )
    return and_(
        TrainingRecord.expires_on >= today,
        TrainingRecord.expires_on <= today + timedelta(days=days),
        ~renewed,
    )


def records_query(filters: RecordFilters, today: date) -> Select[TrainingRecord]:
    """Everyone's records matching ``filters`` by person, course and date, with what they show."""
    query = (
        select(TrainingRecord)
        .join(TrainingRecord.person)
        .join(TrainingRecord.course)
        .options(
            contains_eager(TrainingRecord.person),
            contains_eager(TrainingRecord.course),
            joinedload(TrainingRecord.evidence),
        )
        .order_by(
            User.name,
            User.id,
            TrainingCourse.name,
            TrainingRecord.completed_on.desc(),
            TrainingRecord.id,
        )
    )
    if filters.course_id is not None:
        query = query.where(TrainingRecord.course_id == filters.course_id)
    if filters.person_text:
        pattern = f"%{escape_like(filters.person_text.lower())}%"
        query = query.where(
            or_(User.email.like(pattern, escape="\\"), User.name.ilike(pattern, escape="\\"))
        )
    if filters.expiring_soon:
        query = query.where(expiring_within(today, STAFF_WARNING_DAYS))
    if filters.awaiting_verification:
        query = query.where(TrainingRecord.is_verified.is_(False))
    return query


def records_for_person(person: User) -> list[TrainingRecord]:
    """A person's own records, by course then newest first."""
    return list(
        db.session.scalars(
            select(TrainingRecord)
            .join(TrainingRecord.course)
            .where(TrainingRecord.person_id == person.id)
            .options(contains_eager(TrainingRecord.course), joinedload(TrainingRecord.evidence))
            .order_by(TrainingCourse.name, TrainingRecord.completed_on.desc(), TrainingRecord.id)
        ).unique()
    )


def training_warnings(
    records: Sequence[TrainingRecord], today: date, *, warning_days: int = PERSON_WARNING_DAYS
) -> list[TrainingWarning]:
    """Courses whose best record has expired or expires within ``warning_days``.

    An old expired record does not count when a newer one is in date.
    """
    by_course: dict[int, list[TrainingRecord]] = {}
    for record in records:
        by_course.setdefault(record.course_id, []).append(record)
    warnings = []
    for course_records in by_course.values():
        best = best_record(course_records, today)
        if best is None or best.expires_on is None:
            continue
        if not best.is_current(today):
            warnings.append(TrainingWarning(best, expired=True))
        elif best.expires_on <= today + timedelta(days=warning_days):
            warnings.append(TrainingWarning(best, expired=False))
    return sorted(warnings, key=lambda warning: (warning.record.expires_on, warning.text))


def _export_rows(records: Iterable[TrainingRecord], today: date) -> Iterable[list[str]]:
    yield list(EXPORT_HEADINGS)
    for record in records:
        yield [
            csv_safe(value)
            for value in (
                record.person.name,
                record.person.email,
                record.course.name,
                record.completed_on.isoformat(),
                record.expires_on.isoformat() if record.expires_on else "Does not expire",
                record_status(record, today).label,
                record.verified_by.name if record.is_verified and record.verified_by else "",
                record.recorded_by.name,
                "Yes" if record.evidence is not None else "No",
            )
        ]


def export_records(
    filters: RecordFilters, *, actor: User, ip_address: str | None, today: date
) -> str:
    """Everyone's records matching ``filters`` as CSV text; the export is audited."""
    require_role(actor, *COORDINATING_ROLES)
    query = records_query(filters, today).options(
        joinedload(TrainingRecord.recorded_by), joinedload(TrainingRecord.verified_by)
    )
    records = db.session.scalars(query).unique().all()
    buffer = io.StringIO()
    csv.writer(buffer).writerows(_export_rows(records, today))
    record_event(
        AuditAction.TRAINING_EXPORTED,
        actor=actor,
        ip_address=ip_address,
        detail=f"{len(records)} records; {filters.describe()}",
    )
    db.session.commit()
    return buffer.getvalue()


def file_size_text(size_bytes: int) -> str:
    """'820 bytes', '120 KB' or '2.4 MB'."""
    if size_bytes < 1024:
        return f"{size_bytes} bytes"
    if size_bytes < 1024 * 1024:
        return f"{round(size_bytes / 1024)} KB"
    return f"{size_bytes / (1024 * 1024):.1f} MB"
