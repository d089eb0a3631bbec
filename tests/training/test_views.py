"""Training pages: courses, everyone's records, recording, my training, verifying, evidence."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import TestResponse, encode_multipart

from payclaims.auth.models import Role, User
from payclaims.dates import add_months, uk_today
from payclaims.extensions import db
from payclaims.training.models import TrainingCourse, TrainingEvidence, TrainingRecord
from payclaims.uploads import MAX_UPLOAD_BYTES
from tests.helpers import (
    EVIL,
    TINY_PDF,
    error_summary,
    events,
    field_error,
    html,
    image_bytes,
    input_value,
    page_queries,
    page_text,
    sign_in,
    table_rows,
    text_of,
)

TODAY = uk_today()


@pytest.fixture
def coordinator(client: FlaskClient, make_user: Callable[..., User]) -> User:
    """A coordinator, signed in on ``client``."""
    user = make_user(name="Cora Coordinator", email="cora@example.org", roles=(Role.COORDINATOR,))
    sign_in(client, user)
    return user


@pytest.fixture
def expert(make_user: Callable[..., User]) -> User:
    """An expert by experience (not signed in)."""
    return make_user(name="Eli Expert", email="eli@example.org", roles=(Role.EXPERT,))


# Helpers -----------------------------------------------------------------------------------


def selected(response: TestResponse, select_id: str) -> str | None:
    """The value of a select's chosen option."""
    select_element = html(response).find(f".//select[@id='{select_id}']")
    assert select_element is not None
    chosen = [o.get("value") for o in select_element.iter("option") if "selected" in o.attrib]
    return chosen[0] if chosen else None


def options(response: TestResponse, select_id: str) -> list[str]:
    """The text of a select's options."""
    select_element = html(response).find(f".//select[@id='{select_id}']")
    assert select_element is not None
    return [text_of(option) for option in select_element.iter("option")]


def records_of(app: Flask, person: User) -> list[TrainingRecord]:
    """A person's training records, with their evidence, detached."""
    with app.app_context():
        records = list(
            db.session.scalars(
                select(TrainingRecord)
                .where(TrainingRecord.person_id == person.id)
                .order_by(TrainingRecord.id)
            )
        )
        for record in records:
            _ = record.evidence
        db.session.expunge_all()
        return records


def reload_record(app: Flask, record_id: int) -> TrainingRecord:
    """A record as saved now."""
    with app.app_context():
        record = db.session.get(TrainingRecord, record_id)
        assert record is not None
        db.session.expunge(record)
        return record


def date_parts(value: date, name: str = "completed_on") -> dict[str, str]:
    """A date as the three boxes of the NHS.UK date input post it."""
    return {
        f"{name}-day": str(value.day),
        f"{name}-month": str(value.month),
        f"{name}-year": str(value.year),
    }


def upload(content: bytes, filename: str) -> FileStorage:
    """A chosen file, as a browser sends it ("" as the name when none was chosen)."""
    return FileStorage(io.BytesIO(content), filename=filename)


def post_with_files(client: FlaskClient, path: str, data: dict[str, Any]) -> TestResponse:
    """Post a multipart form, encoded in memory (the test client spools big ones to a file
    it never closes)."""
    boundary, body = encode_multipart(data)
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


# Courses -----------------------------------------------------------------------------------


def test_courses_page_lists_name_validity_and_status(app, client, coordinator, make_course):
    make_course(name="Safeguarding adults", validity_months=24)
    make_course(name="Mental health first aid", validity_months=None)
    retired = make_course(name="Old induction", validity_months=5)
    with app.app_context():
        db.session.get(TrainingCourse, retired.id).is_active = False
        db.session.commit()

    response = client.get("/training/courses")

    assert response.status_code == 200
    assert table_rows(response) == [
        ["Mental health first aid", "Does not expire", "Offered"],
        ["Old induction", "Valid for 5 months", "Retired"],
        ["Safeguarding adults", "Valid for 2 years", "Offered"],
    ]


def test_add_course_saves_and_audits(app, client, coordinator):
    response = client.post(
        "/training/courses/new",
        data={"name": "Boundaries", "description": "Keeping safe.", "validity_months": "12"},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/training/courses"
    with app.app_context():
        course = db.session.scalar(select(TrainingCourse))
        assert course is not None
        assert (course.name, course.description, course.validity_months, course.is_active) == (
            "Boundaries",
            "Keeping safe.",
            12,
            True,
        )
    (created,) = events("training.course_created", app=app)
    assert created.actor_id == coordinator.id
    assert "Boundaries added." in page_text(client.get("/training/courses"))


def test_add_course_with_blank_validity_does_not_expire(app, client, coordinator):
    client.post("/training/courses/new", data={"name": "Induction", "validity_months": " "})

    with app.app_context():
        course = db.session.scalar(select(TrainingCourse))
        assert course is not None and course.validity_months is None


def test_add_course_with_taken_name_shows_error_next_to_name_and_keeps_typing(
    app, client, coordinator, make_course
):
    make_course(name="Boundaries")

    response = client.post(
        "/training/courses/new",
        data={"name": "boundaries", "description": "Typed text", "validity_months": "6"},
    )

    assert response.status_code == 200
    assert field_error(response, "name") == "There is already a course with this name"
    assert error_summary(response) == [("There is already a course with this name", "#name")]
    assert input_value(response, "name") == "boundaries"
    assert input_value(response, "validity_months") == "6"
    assert "Typed text" in response.get_data(as_text=True)
    assert events("training.course_created", app=app) == []


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("abc", "Enter a whole number of months, like 12"),
        ("1.5", "Enter a whole number of months, like 12"),
        ("-3", "Enter a whole number of months, like 12"),
        ("0", "Enter a number of months between 1 and 120"),
        ("121", "Enter a number of months between 1 and 120"),
    ],
)
def test_add_course_with_bad_validity_shows_error_and_keeps_typing(
    app, client, coordinator, typed, message
):
    response = client.post("/training/courses/new", data={"name": "X", "validity_months": typed})

    assert response.status_code == 200
    assert field_error(response, "validity_months") == message
    assert input_value(response, "validity_months") == typed


def test_add_course_without_name_asks_for_it(client, coordinator):
    response = client.post("/training/courses/new", data={"name": "  "})

    assert field_error(response, "name") == "Enter the course name"


def test_edit_course_shows_current_values_then_retires_it(
    app, client, coordinator, expert, make_course
):
    course = make_course(name="Boundaries", validity_months=36, description="Old words")
    make_course(name="Still offered")

    form = client.get(f"/training/courses/{course.id}/edit")
    response = client.post(
        f"/training/courses/{course.id}/edit",
        data={
            "name": "Boundaries",
            "description": "Old words",
            "validity_months": "36",
            "is_active": "no",
        },
    )

    assert input_value(form, "name") == "Boundaries"
    assert input_value(form, "validity_months") == "36"
    assert html(form).find(".//input[@id='is_active']").get("checked") is not None
    assert response.status_code == 302
    (edited,) = events("training.course_edited", app=app)
    assert edited.detail == "retired"
    assert (edited.object_type, edited.object_id) == ("training_course", course.id)
    assert "Boundaries" not in options(client.get("/training/new"), "course")
    expert_client = app.test_client()
    sign_in(expert_client, expert)
    assert "Boundaries" not in options(expert_client.get("/my-training/new"), "course")


def test_edit_unknown_course_is_not_found(client, coordinator):
    assert client.get("/training/courses/987654/edit").status_code == 404


# Everyone's records ------------------------------------------------------------------------


@pytest.fixture
def everyone(make_user, make_course, make_record, coordinator) -> dict[str, Any]:
    """Four records across two people and two courses, one of each status."""
    ann = make_user(name="Ann Archer", email="ann@example.org")
    bob = make_user(name="Bob Baker", email="bob@example.org")
    first_aid = make_course(name="First aid", validity_months=12)
    safeguarding = make_course(name="Safeguarding", validity_months=None)
    verified = make_record(
        ann,
        safeguarding,
        completed_on=date(2026, 3, 2),
        recorded_by=coordinator,
    )
    soon = make_record(
        ann,
        first_aid,
        completed_on=add_months(TODAY, -12) + timedelta(days=20),
        recorded_by=coordinator,
    )
    expired = make_record(bob, first_aid, completed_on=date(2024, 5, 1), recorded_by=coordinator)
    declared = make_record(bob, safeguarding, completed_on=date(2026, 9, 9), verified=False)
    return {
        "ann": ann,
        "bob": bob,
        "first_aid": first_aid,
        "safeguarding": safeguarding,
        "verified": verified,
        "soon": soon,
        "expired": expired,
        "declared": declared,
    }


def test_records_page_lists_everyones_records_with_status(client, everyone):
    soon = everyone["soon"]

    response = client.get("/training")

    assert response.status_code == 200
    assert table_rows(response) == [
        [
            "Ann Archer ann@example.org",
            "First aid for Ann Archer",
            f"{soon.completed_on.day} {soon.completed_on:%B %Y}",
            f"{soon.expires_on.day} {soon.expires_on:%B %Y}",
            "Expires soon",
        ],
        [
            "Ann Archer ann@example.org",
            "Safeguarding for Ann Archer",
            "2 March 2026",
            "Does not expire",
            "Verified",
        ],
        [
            "Bob Baker bob@example.org",
            "First aid for Bob Baker",
            "1 May 2024",
            "1 May 2025",
            "Expired",
        ],
        [
            "Bob Baker bob@example.org",
            "Safeguarding for Bob Baker",
            "9 September 2026",
            "Does not expire",
            "Awaiting verification",
        ],
    ]
    assert "4 records" in page_text(response)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("course={first_aid}", ["soon", "expired"]),
        ("q=BAKER", ["expired", "declared"]),
        ("q=ann%40example", ["soon", "verified"]),
        ("show=expiring", ["soon"]),
        ("show=awaiting", ["declared"]),
        ("show=expiring&show=awaiting", []),
        ("course={safeguarding}&show=awaiting", ["declared"]),
        ("course=987654", ["soon", "verified", "expired", "declared"]),  # ignored
    ],
)
def test_records_page_filters(client, everyone, query, expected):
    ids = {name: everyone[name].id for name in ("first_aid", "safeguarding")}

    response = client.get("/training?" + query.format(**ids))

    links = [a.get("href", "") for a in html(response).iter("a")]
    shown = {int(href.rsplit("/", 1)[1]) for href in links if href.startswith("/training/records/")}
    assert shown == {everyone[name].id for name in expected}
    if not expected:
        assert "No training records match these filters." in page_text(response)


def test_records_page_keeps_filters_in_paging_and_export_links(
    app, client, coordinator, make_user, make_course, make_record
):
    course = make_course(name="First aid")
    for number in range(30):
        person = make_user(name=f"Person {number:02d}")
        make_record(person, course, expires_on=TODAY + timedelta(days=5), verified=False)

    first = client.get(f"/training?course={course.id}&show=expiring&show=awaiting")

    assert len(table_rows(first)) == 25
    (next_link,) = [a.get("href", "") for a in html(first).iter("a") if "Next" in text_of(a)]
    query = parse_qs(urlsplit(next_link).query)
    assert query == {"course": [str(course.id)], "show": ["expiring", "awaiting"], "page": ["2"]}
    second = client.get(next_link)
    assert len(table_rows(second)) == 5
    (export_link,) = [
        a.get("href", "") for a in html(first).iter("a") if "spreadsheet" in text_of(a)
    ]
    assert urlsplit(export_link).path == "/training/records.csv"
    assert parse_qs(urlsplit(export_link).query) == {
        "course": [str(course.id)],
        "show": ["expiring", "awaiting"],
    }


def test_records_page_loads_in_the_same_number_of_queries_whatever_the_rows(
    app, client, coordinator, make_user, make_course, make_record
):
    course = make_course()

    def add(count: int) -> None:
        for _ in range(count):
            make_record(make_user(), course, recorded_by=coordinator)

    add(2)
    few = page_queries(app, client, "/training"), page_queries(app, client, "/training/records.csv")
    add(20)
    many = (
        page_queries(app, client, "/training"),
        page_queries(app, client, "/training/records.csv"),
    )

    assert many == few


def test_records_page_shows_typed_text_as_text(
    client, coordinator, make_user, make_course, make_record
):
    make_record(make_user(name=EVIL), make_course(name=f"Course {EVIL}"))

    page = client.get("/training?q=%3Cscript").get_data(as_text=True)

    assert EVIL not in page
    assert "&lt;script&gt;alert(" in page


# The export --------------------------------------------------------------------------------


def test_export_downloads_csv_with_the_filters_and_audits(app, client, coordinator, everyone):
    response = client.get("/training/records.csv?q=bob&show=awaiting")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="training-records-{TODAY.isoformat()}.csv"'
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
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
            "Bob Baker",
            "bob@example.org",
            "Safeguarding",
            "2026-09-09",
            "Does not expire",
            "Awaiting verification",
            "",
            "Bob Baker",
            "No",
        ],
    ]
    (exported,) = events("training.exported", app=app)
    assert exported.actor_id == coordinator.id
    assert exported.detail == "1 records; person matching 'bob', awaiting verification"


def test_export_escapes_cells_a_spreadsheet_would_run(
    client, coordinator, make_user, make_course, make_record
):
    person = make_user(name='=HYPERLINK("http://evil.example","Click")', email="x@example.org")
    make_record(person, make_course(name="+Safeguarding"), recorded_by=coordinator)
    make_record(make_user(name="\tTabby"), make_course(name="-1+2"), recorded_by=coordinator)

    body = client.get("/training/records.csv").get_data(as_text=True).removeprefix("\ufeff")

    rows = list(csv.reader(io.StringIO(body)))[1:]
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://evil.example","Click")' in cells
    assert "'+Safeguarding" in cells
    assert "'\tTabby" in cells
    assert "'-1+2" in cells
    assert not any(cell.startswith(("=", "+", "-", "@", "\t")) for cell in cells)


# Recording training ------------------------------------------------------------------------


def test_record_form_offers_active_experts_by_name_and_active_courses(
    app, client, coordinator, make_user, make_course
):
    make_user(name="Zoe Zed", email="zoe@example.org")
    make_user(name="Amy Able", email="amy@example.org", roles=(Role.EXPERT, Role.FINANCE_ADMIN))
    make_user(name="Gone Away", active=False)
    make_user(name="Only Staff", roles=(Role.FINANCE_APPROVER,))
    make_course(name="Safeguarding")
    retired = make_course(name="Retired course")
    with app.app_context():
        db.session.get(TrainingCourse, retired.id).is_active = False
        db.session.commit()

    response = client.get("/training/new")

    assert response.status_code == 200
    assert options(response, "person") == [
        "Select a person",
        "Amy Able (amy@example.org)",
        "Zoe Zed (zoe@example.org)",
    ]
    assert options(response, "course") == ["Select a course", "Safeguarding"]
    form = html(response).find(".//form[@enctype='multipart/form-data']")
    assert form is not None
    assert form.find(".//input[@type='file'][@id='evidence']") is not None


def test_record_training_with_evidence_is_verified_and_shown(
    app, client, coordinator, expert, make_course
):
    course = make_course(name="Safeguarding", validity_months=12)
    completed = TODAY - timedelta(days=3)
    content = image_bytes("JPEG")

    response = post_with_files(
        client,
        "/training/new",
        {
            "person": str(expert.id),
            "course": str(course.id),
            **date_parts(completed),
            "evidence": upload(content, "My Certificate.jpeg"),
        },
    )

    (record,) = records_of(app, expert)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/training/records/{record.id}"
    assert record.is_verified and record.verified_by_id == coordinator.id
    assert record.completed_on == completed
    assert record.expires_on == add_months(completed, 12)
    assert record.evidence is not None
    assert record.evidence.filename == "My Certificate.jpg"
    (recorded,) = events("training.recorded", app=app)
    assert (recorded.object_type, recorded.object_id) == ("training_record", record.id)
    page = client.get(response.headers["Location"])
    text = page_text(page)
    assert "Safeguarding recorded for Eli Expert." in text
    assert "My Certificate.jpg" in text
    assert "Verified" in text
    assert "Verify this training" not in text


def test_record_training_without_a_file_is_fine(app, client, coordinator, expert, make_course):
    course = make_course()

    response = post_with_files(
        client,
        "/training/new",
        {
            "person": str(expert.id),
            "course": str(course.id),
            **date_parts(TODAY),
            "evidence": upload(b"", ""),
        },
    )

    assert response.status_code == 302
    (record,) = records_of(app, expert)
    assert record.evidence is None


def test_record_training_in_the_future_shows_error_and_keeps_what_was_typed(
    app, client, coordinator, expert, make_course
):
    course = make_course()
    tomorrow = TODAY + timedelta(days=1)

    response = post_with_files(
        client,
        "/training/new",
        {
            "person": str(expert.id),
            "course": str(course.id),
            **date_parts(tomorrow),
            "evidence": upload(TINY_PDF, "cert.pdf"),
        },
    )

    assert response.status_code == 200
    assert field_error(response, "completed_on-day") == (
        "The date completed must be today or in the past"
    )
    assert error_summary(response) == [
        ("The date completed must be today or in the past", "#completed_on-day")
    ]
    assert selected(response, "person") == str(expert.id)
    assert selected(response, "course") == str(course.id)
    assert input_value(response, "completed_on-day") == str(tomorrow.day)
    assert input_value(response, "completed_on-year") == str(tomorrow.year)
    assert "You chose cert.pdf. Select the file again" in page_text(response)
    assert records_of(app, expert) == []


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "photo.jpg", "must be a PDF, JPG or PNG"),
        (b"", "empty.pdf", "The selected file is empty"),
        (TINY_PDF + b"0" * MAX_UPLOAD_BYTES, "big.pdf", "must be smaller than 10 MB"),
        (b"\x00\x00\x00\x18ftypheic" + b"\x00" * 40, "IMG_1.HEIC", "is a HEIC photo"),
    ],
)
def test_record_training_with_bad_file_shows_error_next_to_it(
    app, client, coordinator, expert, make_course, content, filename, message
):
    course = make_course()

    response = post_with_files(
        client,
        "/training/new",
        {
            "person": str(expert.id),
            "course": str(course.id),
            **date_parts(TODAY),
            "evidence": upload(content, filename),
        },
    )

    assert response.status_code == 200
    assert message in field_error(response, "evidence")
    assert error_summary(response)[0][1] == "#evidence"
    assert selected(response, "person") == str(expert.id)
    assert input_value(response, "completed_on-month") == str(TODAY.month)
    assert "Select the file again" not in page_text(response)
    assert records_of(app, expert) == []
    with app.app_context():
        assert db.session.scalar(select(TrainingEvidence)) is None


def test_record_training_with_nothing_chosen_lists_every_problem_in_order(client, coordinator):
    response = client.post("/training/new", data={})

    assert error_summary(response) == [
        ("Select the person", "#person"),
        ("Select the course", "#course"),
        ("Enter the date the course was completed", "#completed_on-day"),
    ]


def test_record_training_with_impossible_date_names_the_problem(
    client, coordinator, expert, make_course
):
    course = make_course()

    response = post_with_files(
        client,
        "/training/new",
        {
            "person": str(expert.id),
            "course": str(course.id),
            "completed_on-day": "31",
            "completed_on-month": "2",
            "completed_on-year": "2026",
        },
    )

    assert field_error(response, "completed_on-day") == "Date completed must be a real date"
    assert input_value(response, "completed_on-day") == "31"


# My training -------------------------------------------------------------------------------


def test_my_training_shows_own_records_and_warns_about_renewals(
    app, client, expert, make_user, make_course, make_record
):
    sign_in(client, expert)
    lapsed = make_course(name="Lapsed course")
    soon = make_course(name="Soon course")
    fine = make_course(name="Fine course", validity_months=None)
    make_record(expert, lapsed, expires_on=date(2026, 1, 4))
    make_record(expert, soon, expires_on=TODAY + timedelta(days=59))
    make_record(expert, fine, verified=False, completed_on=date(2026, 10, 1))
    make_record(make_user(name="Someone Else"), make_course(name="Their course"))

    response = client.get("/my-training")

    assert response.status_code == 200
    text = page_text(response)
    expires = TODAY + timedelta(days=59)
    assert "This training has expired: Lapsed course: expired on 4 January 2026" in text
    assert (
        "This training expires in the next 60 days: "
        f"Soon course: expires on {expires.day} {expires:%B %Y}"
    ) in text
    assert [row[0] for row in table_rows(response)] == [
        "Fine course",
        "Lapsed course",
        "Soon course",
    ]
    assert [row[3] for row in table_rows(response)] == [
        "Awaiting verification",
        "Expired",
        "Expires soon",
    ]
    assert "Their course" not in text
    assert "Someone Else" not in text
    add = [a for a in html(response).iter("a") if a.get("href") == "/my-training/new"]
    assert add and text_of(add[0]) == "Add training you have done"


def test_my_training_with_nothing_yet_says_so_and_does_not_warn(client, expert):
    sign_in(client, expert)

    text = page_text(client.get("/my-training"))

    assert "You have no training recorded yet." in text
    assert "Training to renew" not in text


def test_declare_training_awaits_verification(app, client, expert, make_course):
    sign_in(client, expert)
    course = make_course(name="Peer support", validity_months=24)

    response = post_with_files(
        client,
        "/my-training/new",
        {
            "course": str(course.id),
            **date_parts(date(2026, 5, 3)),
            "evidence": upload(image_bytes("PNG"), "cert.png"),
        },
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/my-training"
    (record,) = records_of(app, expert)
    assert not record.is_verified
    assert record.recorded_by_id == expert.id
    assert record.expires_on == date(2028, 5, 3)
    assert record.evidence is not None and record.evidence.content_type == "image/png"
    (declared,) = events("training.declared", app=app)
    assert declared.actor_id == expert.id
    page = client.get("/my-training")
    assert "Peer support added. A coordinator will check it" in page_text(page)
    assert table_rows(page) == [
        ["Peer support", "3 May 2026", "3 May 2028", "Awaiting verification"]
    ]


def test_declare_training_in_the_future_keeps_what_was_typed(app, client, expert, make_course):
    sign_in(client, expert)
    course = make_course()

    response = post_with_files(
        client,
        "/my-training/new",
        {
            "course": str(course.id),
            "completed_on-day": "1",
            "completed_on-month": "1",
            "completed_on-year": str(TODAY.year + 1),
            "evidence": upload(TINY_PDF, "mine.pdf"),
        },
    )

    assert response.status_code == 200
    assert field_error(response, "completed_on-day") == (
        "The date completed must be today or in the past"
    )
    assert selected(response, "course") == str(course.id)
    assert input_value(response, "completed_on-year") == str(TODAY.year + 1)
    assert "You chose mine.pdf. Select the file again" in page_text(response)
    assert records_of(app, expert) == []


def test_declare_training_for_retired_course_is_refused(app, client, expert, make_course):
    sign_in(client, expert)
    course = make_course()
    make_course(name="Still offered")
    with app.app_context():
        db.session.get(TrainingCourse, course.id).is_active = False
        db.session.commit()

    response = client.post("/my-training/new", data={"course": str(course.id), **date_parts(TODAY)})

    assert response.status_code == 200
    assert field_error(response, "course") == "Select a course from the list"
    assert records_of(app, expert) == []


# One record, verifying it, and its evidence ------------------------------------------------


def test_record_page_for_owner_shows_it_without_a_verify_button(
    client, expert, make_course, make_record
):
    sign_in(client, expert)
    record = make_record(expert, make_course(name="Peer support"), verified=False)

    response = client.get(f"/training/records/{record.id}")

    assert response.status_code == 200
    text = page_text(response)
    assert "Peer support" in text
    assert "Awaiting verification" in text
    assert "A coordinator will check this training and verify it." in text
    assert html(response).find(".//main//form[@action]") is None
    assert "Back to my training" in response.get_data(as_text=True)


@pytest.mark.parametrize("page", ["", "/evidence"])
def test_another_experts_record_is_not_found(
    app, client, coordinator, expert, make_user, make_course, page
):
    post_with_files(
        client,
        "/training/new",
        {
            "person": str(expert.id),
            "course": str(make_course().id),
            **date_parts(TODAY),
            "evidence": upload(TINY_PDF, "secret.pdf"),
        },
    )
    (record,) = records_of(app, expert)
    intruder = app.test_client()
    sign_in(intruder, make_user(name="Nosy Neighbour", roles=(Role.EXPERT,)))

    guessed = intruder.get(f"/training/records/{record.id}{page}")
    unknown = intruder.get(f"/training/records/987654{page}")

    assert guessed.status_code == unknown.status_code == 404
    assert "secret.pdf" not in guessed.get_data(as_text=True)
    assert events("training.evidence_downloaded", app=app) == []


def test_finance_staff_cannot_see_training_records(
    app, client, expert, make_user, make_course, make_record
):
    record = make_record(expert, make_course())
    sign_in(client, make_user(roles=(Role.FINANCE_ADMIN,)))

    assert client.get(f"/training/records/{record.id}").status_code == 403
    assert client.get(f"/training/records/{record.id}/evidence").status_code == 403
    assert client.get("/training").status_code == 403


def test_unknown_record_for_coordinator_is_not_found(client, coordinator):
    assert client.get("/training/records/987654").status_code == 404
    assert client.post("/training/records/987654/verify").status_code == 404


def test_verify_declared_training_as_coordinator(
    app, client, coordinator, expert, make_course, make_record
):
    record = make_record(expert, make_course(name="Peer support"), verified=False)

    page = client.get(f"/training/records/{record.id}")
    response = client.post(f"/training/records/{record.id}/verify")

    assert "Verify this training" in page_text(page)
    action = html(page).find(".//main//form[@action]")
    assert action is not None and action.get("action") == f"/training/records/{record.id}/verify"
    assert response.status_code == 302
    assert response.headers["Location"] == f"/training/records/{record.id}"
    saved = reload_record(app, record.id)
    assert saved.is_verified and saved.verified_by_id == coordinator.id
    (verified,) = events("training.verified", app=app)
    assert verified.actor_id == coordinator.id
    assert verified.subject_user_id == expert.id
    after = page_text(client.get(response.headers["Location"]))
    assert "Peer support verified for Eli Expert." in after
    assert "Verified by Cora Coordinator" in after
    assert "Verify this training" not in after


def test_verify_own_training_is_refused_with_a_message(
    app, client, make_user, make_course, make_record
):
    both = make_user(name="Dual Role", roles=(Role.EXPERT, Role.COORDINATOR))
    sign_in(client, both)
    record = make_record(both, make_course(), verified=False)

    page = client.get(f"/training/records/{record.id}")
    response = client.post(f"/training/records/{record.id}/verify", follow_redirects=True)

    assert "Another coordinator needs to verify it." in page_text(page)
    assert html(page).find(".//main//form[@action]") is None
    assert "You cannot verify your own training." in page_text(response)
    assert not reload_record(app, record.id).is_verified
    assert events("training.verified", app=app) == []


def test_verify_as_expert_is_forbidden(app, client, expert, make_course, make_record):
    sign_in(client, expert)
    record = make_record(expert, make_course(), verified=False)

    assert client.post(f"/training/records/{record.id}/verify").status_code == 403
    assert not reload_record(app, record.id).is_verified


def test_evidence_download_headers_for_the_owner(app, client, coordinator, expert, make_course):
    content = image_bytes("PNG")
    post_with_files(
        client,
        "/training/new",
        {
            "person": str(expert.id),
            "course": str(make_course().id),
            **date_parts(TODAY),
            "evidence": upload(content, "../../My cert.html"),
        },
    )
    (record,) = records_of(app, expert)
    owner = app.test_client()
    sign_in(owner, expert)

    response = owner.get(f"/training/records/{record.id}/evidence")

    assert response.status_code == 200
    assert response.get_data() == content
    assert response.mimetype == "image/png"
    # The stored name has no path and the extension of what the file really is.
    assert response.headers["Content-Disposition"] == 'attachment; filename="My cert.png"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox"
    assert events("training.evidence_downloaded", app=app) == []


def test_evidence_download_by_coordinator_is_audited(app, client, coordinator, expert, make_course):
    post_with_files(
        client,
        "/training/new",
        {
            "person": str(expert.id),
            "course": str(make_course().id),
            **date_parts(TODAY),
            "evidence": upload(TINY_PDF, "certificate.pdf"),
        },
    )
    (record,) = records_of(app, expert)

    response = client.get(f"/training/records/{record.id}/evidence")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == "attachment; filename=certificate.pdf"
    (downloaded,) = events("training.evidence_downloaded", app=app)
    assert downloaded.actor_id == coordinator.id
    assert downloaded.subject_user_id == expert.id
    assert (downloaded.object_type, downloaded.object_id) == ("training_record", record.id)


def test_evidence_of_record_without_a_file_is_not_found(
    client, coordinator, expert, make_course, make_record
):
    record = make_record(expert, make_course())

    assert client.get(f"/training/records/{record.id}/evidence").status_code == 404


def test_record_page_shows_typed_text_as_text(
    client, coordinator, make_user, make_course, make_record
):
    record = make_record(make_user(name=EVIL), make_course(name=f"Course {EVIL}"), verified=False)

    page = client.get(f"/training/records/{record.id}").get_data(as_text=True)

    assert EVIL not in page
    assert "&lt;script&gt;" in page


def test_record_page_warns_the_person_sixty_days_ahead_and_staff_thirty(
    app, client, coordinator, expert, make_course, make_record
):
    record = make_record(expert, make_course(), expires_on=TODAY + timedelta(days=45))
    owner = app.test_client()
    sign_in(owner, expert)

    assert "Expires soon" in page_text(owner.get(f"/training/records/{record.id}"))
    assert "Expires soon" not in page_text(client.get(f"/training/records/{record.id}"))
