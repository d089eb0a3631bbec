"""Training rules, called directly: courses, recording, declaring, verifying, evidence, export."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from payclaims.auth.models import Role, User
from payclaims.dates import add_months, uk_today
from payclaims.downloads import csv_safe
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db
from payclaims.training import services
from payclaims.training.gate import training_gaps
from payclaims.training.models import TrainingCourse, TrainingEvidence, TrainingRecord
from payclaims.training.services import (
    EvidenceFile,
    RecordFilters,
    RecordStatus,
    record_status,
)
from tests.helpers import TINY_PDF, events, image_bytes

TODAY = uk_today()
IP = "192.0.2.7"


@pytest.fixture
def coordinator(make_user: Callable[..., User]) -> User:
    """A coordinator."""
    return make_user(name="Cora Coordinator", roles=(Role.COORDINATOR,))


@pytest.fixture
def expert(make_user: Callable[..., User]) -> User:
    """An expert by experience."""
    return make_user(name="Eli Expert", email="eli@example.org", roles=(Role.EXPERT,))


def _load(model: type[Any], object_id: int) -> Any:
    loaded = db.session.get(model, object_id)
    assert loaded is not None
    return loaded


def _count(model: type[Any]) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _record(actor: User, person: User, course: TrainingCourse, **overrides: Any) -> TrainingRecord:
    arguments: dict[str, Any] = {
        "actor": _load(User, actor.id),
        "person_id": person.id,
        "course_id": course.id,
        "completed_on": TODAY - timedelta(days=10),
        "evidence": None,
        "ip_address": IP,
        "today": TODAY,
    }
    return services.record_training(**{**arguments, **overrides})


def _declare(person: User, course: TrainingCourse, **overrides: Any) -> TrainingRecord:
    arguments: dict[str, Any] = {
        "actor": _load(User, person.id),
        "course_id": course.id,
        "completed_on": TODAY - timedelta(days=10),
        "evidence": None,
        "ip_address": IP,
        "today": TODAY,
    }
    return services.declare_training(**{**arguments, **overrides})


# Courses ----------------------------------------------------------------------------------


def test_create_course_saves_and_audits(app_ctx, coordinator):
    course = services.create_course(
        actor=_load(User, coordinator.id),
        name="  Safeguarding adults  ",
        description="Level 1",
        validity_months=24,
        ip_address=IP,
    )

    saved = _load(TrainingCourse, course.id)
    assert (saved.name, saved.description, saved.validity_months) == (
        "Safeguarding adults",
        "Level 1",
        24,
    )
    assert saved.is_active
    (event,) = events("training.course_created")
    assert event.actor_id == coordinator.id
    assert (event.object_type, event.object_id) == ("training_course", course.id)
    assert event.detail == "Safeguarding adults (valid for 2 years)"
    assert event.ip_address == IP


def test_create_course_with_existing_name_in_other_case_is_refused(
    app_ctx, coordinator, make_course
):
    make_course(name="Safeguarding adults")

    with pytest.raises(DomainError) as refused:
        services.create_course(
            actor=_load(User, coordinator.id),
            name="SAFEGUARDING ADULTS",
            description="",
            validity_months=None,
            ip_address=IP,
        )

    assert refused.value.field == "name"
    assert refused.value.message == "There is already a course with this name"
    assert _count(TrainingCourse) == 1


@pytest.mark.parametrize("months", [0, -1, 121])
def test_create_course_with_validity_out_of_range_is_refused(app_ctx, coordinator, months):
    with pytest.raises(DomainError) as refused:
        services.create_course(
            actor=_load(User, coordinator.id),
            name="Boundaries",
            description="",
            validity_months=months,
            ip_address=IP,
        )

    assert refused.value.field == "validity_months"
    assert _count(TrainingCourse) == 0


@pytest.mark.parametrize("roles", [(Role.EXPERT,), (Role.FINANCE_ADMIN,), (Role.FINANCE_APPROVER,)])
def test_create_course_as_non_coordinator_is_refused(app_ctx, make_user, roles):
    with pytest.raises(PermissionDenied):
        services.create_course(
            actor=_load(User, make_user(roles=roles).id),
            name="Boundaries",
            description="",
            validity_months=None,
            ip_address=IP,
        )


def test_edit_course_records_what_changed(app_ctx, make_user, make_course):
    admin = make_user(roles=(Role.ADMIN,))
    course = make_course(name="Old name", validity_months=12)

    services.edit_course(
        _load(TrainingCourse, course.id),
        actor=_load(User, admin.id),
        name="New name",
        description="What the course covers.",
        validity_months=None,
        is_active=False,
        ip_address=IP,
    )

    saved = _load(TrainingCourse, course.id)
    assert (saved.name, saved.validity_months, saved.is_active) == ("New name", None, False)
    (event,) = events("training.course_edited")
    assert event.detail == (
        "name from 'Old name' to 'New name'; validity from valid for 1 year to does not expire; "
        "retired"
    )
    assert services.active_courses() == []
    assert services.all_courses() == [saved]


def test_edit_course_with_no_change_records_nothing(app_ctx, coordinator, make_course):
    course = make_course(name="Same", validity_months=12, description="Same text")

    services.edit_course(
        _load(TrainingCourse, course.id),
        actor=_load(User, coordinator.id),
        name="Same",
        description="Same text",
        validity_months=12,
        is_active=True,
        ip_address=IP,
    )

    assert events("training.course_edited") == []


def test_edit_course_to_another_courses_name_is_refused(app_ctx, coordinator, make_course):
    make_course(name="Taken")
    course = make_course(name="Mine")

    with pytest.raises(DomainError) as refused:
        services.edit_course(
            _load(TrainingCourse, course.id),
            actor=_load(User, coordinator.id),
            name="taken",
            description="",
            validity_months=12,
            is_active=True,
            ip_address=IP,
        )

    assert refused.value.field == "name"
    db.session.rollback()
    assert _load(TrainingCourse, course.id).name == "Mine"


# Recording training -----------------------------------------------------------------------


def test_record_training_is_verified_and_expires_after_the_courses_validity(
    app_ctx, coordinator, expert, make_course
):
    course = make_course(validity_months=1)
    completed = date(2026, 1, 31)

    record = _record(coordinator, expert, course, completed_on=completed)

    saved = _load(TrainingRecord, record.id)
    assert saved.person_id == expert.id
    assert saved.is_verified
    assert saved.verified_by_id == coordinator.id
    assert saved.verified_at is not None
    assert saved.recorded_by_id == coordinator.id
    assert saved.expires_on == add_months(completed, 1) == date(2026, 2, 28)
    assert saved.evidence is None
    (event,) = events("training.recorded")
    assert event.actor_id == coordinator.id
    assert event.subject_user_id == expert.id
    assert (event.object_type, event.object_id) == ("training_record", record.id)
    assert event.detail == f"{course.name}, completed on 2026-01-31"


def test_record_training_for_course_that_does_not_expire_has_no_expiry(
    app_ctx, coordinator, expert, make_course
):
    record = _record(coordinator, expert, make_course(validity_months=None))

    assert _load(TrainingRecord, record.id).expires_on is None


def test_record_training_completed_today_is_accepted_tomorrow_refused(
    app_ctx, coordinator, expert, make_course
):
    course = make_course()

    _record(coordinator, expert, course, completed_on=TODAY)
    with pytest.raises(DomainError) as refused:
        _record(coordinator, expert, course, completed_on=TODAY + timedelta(days=1))

    assert refused.value.field == "completed_on"
    assert refused.value.message == "The date completed must be today or in the past"
    assert _count(TrainingRecord) == 1


def test_record_training_with_evidence_stores_the_checked_file(
    app_ctx, coordinator, expert, make_course
):
    content = image_bytes("PNG")

    record = _record(
        coordinator,
        expert,
        make_course(),
        evidence=EvidenceFile("../../certificate.pdf", content),
    )

    evidence = db.session.scalar(
        select(TrainingEvidence).where(TrainingEvidence.record_id == record.id)
    )
    assert evidence is not None
    assert evidence.filename == "certificate.png"
    assert evidence.content_type == "image/png"
    assert evidence.size_bytes == len(content)
    assert evidence.content == content
    assert len(evidence.sha256) == 64
    assert evidence.sha256[:12] in events("training.recorded")[0].detail


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<html>not a photo</html>", "The selected file must be a PDF, JPG or PNG"),
        (b"", "The selected file is empty"),
        (b"\x89PNG\r\n\x1a\ngarbage", "The selected file is damaged or is not a real image"),
    ],
)
def test_record_training_with_bad_evidence_is_refused_and_saves_nothing(
    app_ctx, coordinator, expert, make_course, content, message
):
    with pytest.raises(DomainError) as refused:
        _record(coordinator, expert, make_course(), evidence=EvidenceFile("x.jpg", content))

    assert (refused.value.field, refused.value.message) == ("evidence", message)
    db.session.rollback()
    assert _count(TrainingRecord) == 0
    assert _count(TrainingEvidence) == 0
    assert events("training.recorded") == []


def test_record_training_for_retired_course_is_refused(app_ctx, coordinator, expert, make_course):
    course = make_course()
    _load(TrainingCourse, course.id).is_active = False
    db.session.commit()

    with pytest.raises(DomainError) as refused:
        _record(coordinator, expert, course)

    assert refused.value.field == "course"


@pytest.mark.parametrize("who", ["staff_only", "deactivated", "unknown"])
def test_record_training_for_someone_not_an_active_expert_is_refused(
    app_ctx, coordinator, make_user, make_course, who
):
    if who == "staff_only":
        person_id = make_user(roles=(Role.FINANCE_ADMIN,)).id
    elif who == "deactivated":
        person_id = make_user(roles=(Role.EXPERT,), active=False).id
    else:
        person_id = 987_654
    with pytest.raises(DomainError) as refused:
        _record(coordinator, coordinator, make_course(), person_id=person_id)

    assert refused.value.field == "person"


def test_record_own_training_is_refused(app_ctx, make_user, make_course):
    both = make_user(roles=(Role.EXPERT, Role.COORDINATOR))

    with pytest.raises(DomainError) as refused:
        _record(both, both, make_course())

    assert refused.value.field == "person"
    assert "cannot record your own training" in refused.value.message


def test_record_same_course_and_date_twice_is_refused(app_ctx, coordinator, expert, make_course):
    course = make_course()
    _record(coordinator, expert, course)

    with pytest.raises(DomainError) as refused:
        _record(coordinator, expert, course)

    assert refused.value.field == "completed_on"
    assert refused.value.message == (
        "Eli Expert already has a record of this course completed on this date"
    )


def test_record_training_as_expert_is_refused(app_ctx, expert, make_user, make_course):
    other = make_user(roles=(Role.EXPERT,))

    with pytest.raises(PermissionDenied):
        _record(expert, other, make_course())


# Declaring training -----------------------------------------------------------------------


def test_declare_training_awaits_verification(app_ctx, expert, make_course):
    course = make_course(validity_months=12)

    record = _declare(expert, course, evidence=EvidenceFile("cert.pdf", TINY_PDF))

    saved = _load(TrainingRecord, record.id)
    assert not saved.is_verified
    assert saved.verified_by_id is None and saved.verified_at is None
    assert saved.recorded_by_id == expert.id
    assert saved.expires_on == add_months(saved.completed_on, 12)
    assert saved.evidence is not None and saved.evidence.content_type == "application/pdf"
    assert record_status(saved, TODAY) is RecordStatus.AWAITING_VERIFICATION
    (event,) = events("training.declared")
    assert event.actor_id == event.subject_user_id == expert.id
    assert (event.object_type, event.object_id) == ("training_record", record.id)


def test_declare_training_in_the_future_is_refused(app_ctx, expert, make_course):
    with pytest.raises(DomainError) as refused:
        _declare(expert, make_course(), completed_on=TODAY + timedelta(days=1))

    assert refused.value.field == "completed_on"


def test_declare_training_as_staff_without_expert_role_is_refused(
    app_ctx, coordinator, make_course
):
    with pytest.raises(PermissionDenied):
        _declare(coordinator, make_course())


# Verifying --------------------------------------------------------------------------------


def test_verify_record_marks_it_verified_and_audits(
    app_ctx, coordinator, expert, make_course, make_record
):
    record = make_record(expert, make_course(), verified=False)

    services.verify_record(
        _load(TrainingRecord, record.id), actor=_load(User, coordinator.id), ip_address=IP
    )

    saved = _load(TrainingRecord, record.id)
    assert saved.is_verified
    assert saved.verified_by_id == coordinator.id
    assert saved.verified_at is not None
    (event,) = events("training.verified")
    assert event.actor_id == coordinator.id
    assert event.subject_user_id == expert.id
    assert (event.object_type, event.object_id) == ("training_record", record.id)


def test_verify_own_record_is_refused(app_ctx, make_user, make_course, make_record):
    both = make_user(roles=(Role.EXPERT, Role.COORDINATOR))
    record = make_record(both, make_course(), verified=False)

    with pytest.raises(PermissionDenied) as refused:
        services.verify_record(
            _load(TrainingRecord, record.id), actor=_load(User, both.id), ip_address=IP
        )

    assert "cannot verify your own training" in refused.value.message
    assert not _load(TrainingRecord, record.id).is_verified
    assert events("training.verified") == []


def test_verify_record_already_verified_is_refused_and_keeps_first_verifier(
    app_ctx, coordinator, expert, make_user, make_course, make_record
):
    first = make_user(roles=(Role.ADMIN,))
    record = make_record(expert, make_course(), verified=True, recorded_by=first)

    with pytest.raises(DomainError, match="already been verified"):
        services.verify_record(
            _load(TrainingRecord, record.id), actor=_load(User, coordinator.id), ip_address=IP
        )

    assert _load(TrainingRecord, record.id).verified_by_id == first.id
    assert events("training.verified") == []


def test_verify_record_as_expert_is_refused(app_ctx, expert, make_user, make_course, make_record):
    record = make_record(make_user(roles=(Role.EXPERT,)), make_course(), verified=False)

    with pytest.raises(PermissionDenied):
        services.verify_record(
            _load(TrainingRecord, record.id), actor=_load(User, expert.id), ip_address=IP
        )


# Evidence ---------------------------------------------------------------------------------


def _record_with_evidence(coordinator: User, person: User, course: TrainingCourse) -> int:
    record = _record(coordinator, person, course, evidence=EvidenceFile("c.pdf", TINY_PDF))
    record_id = record.id
    db.session.expunge_all()  # evidence content is loaded afresh, as in a request
    return record_id


def test_evidence_for_download_by_staff_is_audited_by_owner_is_not(
    app_ctx, coordinator, expert, make_course
):
    record_id = _record_with_evidence(coordinator, expert, make_course())

    by_owner = services.evidence_for_download(
        _load(TrainingRecord, record_id), actor=_load(User, expert.id), ip_address=IP
    )
    assert by_owner.content == TINY_PDF
    assert events("training.evidence_downloaded") == []

    by_staff = services.evidence_for_download(
        _load(TrainingRecord, record_id), actor=_load(User, coordinator.id), ip_address=IP
    )
    assert by_staff.content == TINY_PDF
    (event,) = events("training.evidence_downloaded")
    assert event.actor_id == coordinator.id
    assert event.subject_user_id == expert.id
    assert (event.object_type, event.object_id) == ("training_record", record_id)


@pytest.mark.parametrize(
    "roles", [(Role.EXPERT,), (Role.FINANCE_ADMIN,), (Role.EXPERT, Role.FINANCE_APPROVER)]
)
def test_evidence_for_download_by_someone_else_is_refused(
    app_ctx, coordinator, expert, make_user, make_course, roles
):
    record_id = _record_with_evidence(coordinator, expert, make_course())
    stranger = make_user(roles=roles)

    with pytest.raises(PermissionDenied):
        services.evidence_for_download(
            _load(TrainingRecord, record_id), actor=_load(User, stranger.id), ip_address=IP
        )
    assert events("training.evidence_downloaded") == []


def test_evidence_for_download_of_record_without_file_is_refused(
    app_ctx, coordinator, expert, make_course, make_record
):
    record = make_record(expert, make_course())

    with pytest.raises(DomainError, match="no evidence"):
        services.evidence_for_download(
            _load(TrainingRecord, record.id), actor=_load(User, coordinator.id), ip_address=IP
        )


# Statuses and warnings --------------------------------------------------------------------


def _unsaved(expires_on: date | None, *, verified: bool = True) -> TrainingRecord:
    return TrainingRecord(
        completed_on=TODAY - timedelta(days=400), expires_on=expires_on, is_verified=verified
    )


@pytest.mark.parametrize(
    ("expires_in", "verified", "status"),
    [
        (None, True, RecordStatus.VERIFIED),
        (31, True, RecordStatus.VERIFIED),
        (30, True, RecordStatus.EXPIRES_SOON),
        (0, True, RecordStatus.EXPIRES_SOON),
        (-1, True, RecordStatus.EXPIRED),
        (None, False, RecordStatus.AWAITING_VERIFICATION),
        (10, False, RecordStatus.AWAITING_VERIFICATION),
        (-1, False, RecordStatus.EXPIRED),
    ],
)
def test_record_status_on_a_given_day(expires_in, verified, status):
    expires = None if expires_in is None else TODAY + timedelta(days=expires_in)

    assert record_status(_unsaved(expires, verified=verified), TODAY) is status


def test_record_status_for_the_person_warns_sixty_days_ahead():
    record = _unsaved(TODAY + timedelta(days=45))

    assert record_status(record, TODAY) is RecordStatus.VERIFIED
    assert record_status(record, TODAY, warning_days=60) is RecordStatus.EXPIRES_SOON


def test_training_warnings_list_expired_and_expiring_courses_once(
    app_ctx, expert, make_course, make_record
):
    renewed = make_course(name="Renewed")
    lapsed = make_course(name="Lapsed")
    soon = make_course(name="Soon")
    later = make_course(name="Later")
    forever = make_course(name="Forever", validity_months=None)
    make_record(expert, renewed, completed_on=TODAY - timedelta(days=800))
    make_record(expert, renewed, completed_on=TODAY - timedelta(days=30))
    make_record(expert, lapsed, expires_on=TODAY - timedelta(days=3))
    make_record(expert, soon, expires_on=TODAY + timedelta(days=60))
    make_record(expert, later, expires_on=TODAY + timedelta(days=61))
    make_record(expert, forever)

    records = services.records_for_person(_load(User, expert.id))
    warnings = services.training_warnings(records, TODAY)

    assert [(w.record.course.name, w.expired) for w in warnings] == [
        ("Lapsed", True),
        ("Soon", False),
    ]
    assert warnings[0].text.startswith("Lapsed: expired on ")
    assert len(records) == 6


# The list and its filters -----------------------------------------------------------------


@pytest.fixture
def listed(app, make_user, make_course, make_record) -> dict[str, int]:
    """Four records, one for each filter to find, and the ids of what they are about."""
    ann = make_user(name="Ann Archer", email="ann@example.org")
    bob = make_user(name="Bob 100% Baker", email="bob_b@example.org")
    first_aid = make_course(name="First aid")
    safeguarding = make_course(name="Safeguarding")
    ids = {
        "soon": make_record(ann, first_aid, expires_on=TODAY + timedelta(days=30)).id,
        "later": make_record(ann, safeguarding, expires_on=TODAY + timedelta(days=31)).id,
        "expired": make_record(bob, first_aid, expires_on=TODAY - timedelta(days=1)).id,
        "declared": make_record(bob, safeguarding, verified=False).id,
    }
    return {**ids, "first_aid": first_aid.id}


def _listed_ids(filters: RecordFilters) -> set[int]:
    return {record.id for record in db.session.scalars(services.records_query(filters, TODAY))}


def test_records_query_filters(app_ctx, listed):
    ids = listed
    assert _listed_ids(RecordFilters()) == {
        ids["soon"],
        ids["later"],
        ids["expired"],
        ids["declared"],
    }
    assert _listed_ids(RecordFilters(course_id=ids["first_aid"])) == {ids["soon"], ids["expired"]}
    assert _listed_ids(RecordFilters(expiring_soon=True)) == {ids["soon"]}
    assert _listed_ids(RecordFilters(awaiting_verification=True)) == {ids["declared"]}
    assert _listed_ids(RecordFilters(person_text="ARCHER")) == {ids["soon"], ids["later"]}
    assert _listed_ids(RecordFilters(person_text="ann@example")) == {ids["soon"], ids["later"]}
    # % and _ typed in the search match themselves, not any text
    assert _listed_ids(RecordFilters(person_text="100%")) == {ids["expired"], ids["declared"]}
    assert _listed_ids(RecordFilters(person_text="b_b@")) == {ids["expired"], ids["declared"]}
    assert _listed_ids(RecordFilters(person_text="n_a")) == set()


# The export -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+44 7700 900000", "'+44 7700 900000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTabbed", "'\tTabbed"),
        ("\rReturn", "'\rReturn"),
        ("Plain name", "Plain name"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_csv_safe_neutralises_formulas(value, safe):
    assert csv_safe(value) == safe


def test_export_records_gives_every_column_and_escapes_formulas(
    app_ctx, coordinator, make_user, make_course
):
    person = make_user(name="=cmd|' /C calc'!A0", email="eve@example.org")
    course = make_course(name="@Safeguarding", validity_months=None)
    _record(
        coordinator,
        person,
        course,
        completed_on=date(2026, 1, 5),
        evidence=EvidenceFile("c.pdf", TINY_PDF),
    )
    declared = make_course(name="First aid", validity_months=12)
    _declare(person, declared, completed_on=date(2025, 2, 1))

    text = services.export_records(
        RecordFilters(), actor=_load(User, coordinator.id), ip_address=IP, today=TODAY
    )

    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [
        [
            "Person",
            "Email address",
            "Course",
            "Completed on",
            "Expires on",
            "Status",
            "Verified by",
            "Recorded by",
            "Evidence attached",
        ],
        [
            "'=cmd|' /C calc'!A0",
            "eve@example.org",
            "'@Safeguarding",
            "2026-01-05",
            "Does not expire",
            "Verified",
            "Cora Coordinator",
            "Cora Coordinator",
            "Yes",
        ],
        [
            "'=cmd|' /C calc'!A0",
            "eve@example.org",
            "First aid",
            "2025-02-01",
            "2026-02-01",
            "Expired",
            "",
            "'=cmd|' /C calc'!A0",
            "No",
        ],
    ]
    (event,) = events("training.exported")
    assert event.actor_id == coordinator.id
    assert event.detail == "2 records; no filters"


def test_export_records_applies_the_filters(app_ctx, coordinator, listed):
    text = services.export_records(
        RecordFilters(awaiting_verification=True, person_text="bob"),
        actor=_load(User, coordinator.id),
        ip_address=IP,
        today=TODAY,
    )

    rows = list(csv.reader(io.StringIO(text)))
    assert [row[:3] for row in rows[1:]] == [
        ["Bob 100% Baker", "bob_b@example.org", "Safeguarding"]
    ]
    assert events("training.exported")[0].detail == (
        "1 records; person matching 'bob', awaiting verification"
    )


def test_export_records_as_expert_is_refused(app_ctx, expert):
    with pytest.raises(PermissionDenied):
        services.export_records(
            RecordFilters(), actor=_load(User, expert.id), ip_address=IP, today=TODAY
        )
    assert events("training.exported") == []


# Who training can be recorded for ---------------------------------------------------------


def test_active_experts_are_sorted_and_leave_out_staff_deactivated_and_self(app_ctx, make_user):
    me = make_user(name="Me Both", roles=(Role.EXPERT, Role.COORDINATOR))
    make_user(name="Zed", roles=(Role.EXPERT,))
    make_user(name="Amy", roles=(Role.EXPERT, Role.FINANCE_APPROVER))
    make_user(name="Gone", roles=(Role.EXPERT,), active=False)
    make_user(name="Staff", roles=(Role.COORDINATOR,))

    names = [person.name for person in services.active_experts(excluding=_load(User, me.id))]

    assert names == ["Amy", "Zed"]


# The training gate ------------------------------------------------------------------------


def test_training_gaps_say_what_is_missing_and_why(
    app_ctx, expert, make_user, make_course, make_record
):
    not_done = make_course(name="Not done")
    expired = make_course(name="Expired")
    declared = make_course(name="Declared")
    verified = make_course(name="Verified")
    renewed = make_course(name="Renewed")
    other_person = make_user(roles=(Role.EXPERT,))
    make_record(other_person, not_done)
    make_record(expert, expired, expires_on=date(2026, 1, 10))
    make_record(expert, declared, verified=False)
    make_record(expert, verified)
    make_record(expert, renewed, expires_on=TODAY - timedelta(days=1))
    make_record(expert, renewed, verified=False, completed_on=TODAY - timedelta(days=200))
    make_record(expert, renewed, completed_on=TODAY - timedelta(days=100))
    courses = [
        _load(TrainingCourse, c.id) for c in (not_done, expired, declared, verified, renewed)
    ]

    gaps = training_gaps(expert.id, courses, TODAY)

    assert [gap.text for gap in gaps] == [
        "Not done: not done yet",
        "Expired: expired on 10 January 2026",
        "Declared: done, waiting for a coordinator to check it",
    ]


def test_training_gaps_with_no_courses_needs_nothing(app_ctx, expert):
    assert training_gaps(expert.id, [], TODAY) == []


def test_file_size_text_reads_naturally():
    assert services.file_size_text(820) == "820 bytes"
    assert services.file_size_text(120 * 1024) == "120 KB"
    assert services.file_size_text(int(2.4 * 1024 * 1024)) == "2.4 MB"
