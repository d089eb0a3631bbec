"""Role descriptions through the browser's eyes: writing, publishing, open roles, benefits note."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from xml.etree.ElementTree import Element

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from payclaims.auth.models import Role, User
from payclaims.costcentres.models import CostCentre
from payclaims.dates import format_date, uk_today
from payclaims.extensions import db
from payclaims.roles.models import (
    FeeUnit,
    InvolvementLevel,
    LocationType,
    RoleDescription,
    RoleStatus,
    RoleVersion,
    SignUpStatus,
)
from payclaims.roles.views import closes, format_duration, pay_worked_out, session_pay
from tests.helpers import (
    count_queries,
    error_summary,
    events,
    field_error,
    has_class,
    html,
    load_role,
    page_text,
    sign_in,
    text_of,
)

TODAY = uk_today()


@pytest.fixture
def coordinator(client: FlaskClient, make_user: Callable[..., User]) -> User:
    """A coordinator, signed in on ``client``."""
    user = make_user(name="Cora Coordinator", roles=(Role.COORDINATOR,))
    sign_in(client, user)
    return user


@pytest.fixture
def cost_centre(make_cost_centre: Callable[..., CostCentre]) -> CostCentre:
    """A cost centre roles are charged to."""
    return make_cost_centre(code="INV01", name="Involvement")


# Helpers -----------------------------------------------------------------------------------


def _field(page: Element, field_id: str) -> Element:
    found = [e for e in page.iter() if e.tag in {"input", "textarea", "select"}]
    (field,) = [e for e in found if e.get("id") == field_id]
    return field


def _value(response: TestResponse, field_id: str) -> str:
    """What a text input or textarea shows."""
    field = _field(html(response), field_id)
    return field.text or "" if field.tag == "textarea" else field.get("value", "")


def _checked(response: TestResponse, name: str) -> list[str]:
    page = html(response)
    return [
        e.get("value", "")
        for e in page.iter("input")
        if e.get("name") == name and e.get("checked") is not None
    ]


def _buttons(response: TestResponse) -> set[str]:
    """The buttons (and links that look like buttons) in the page's main content."""
    (main,) = list(html(response).iter("main"))
    texts = {text_of(button) for button in main.iter("button")}
    return texts | {text_of(link) for link in main.iter("a") if has_class(link, "nhsuk-button")}


def _form(coordinator: User, cost_centre: CostCentre, **changes: Any) -> dict[str, Any]:
    """A complete, valid role form; ``changes`` replace fields (None leaves one out)."""
    closing = TODAY + timedelta(days=20)
    data: dict[str, Any] = {
        "title": "Interview panel member",
        "purpose": "Help choose new staff for the community team.",
        "activities": "Read applications and sit on the interview panel.",
        "level": "co_production",
        "location_type": "in_person",
        "venue": "Riverside House, 1 Mill Lane",
        "venue_accessibility": "Step-free entrance and a hearing loop.",
        "time_commitment": "One day in January",
        "session_hours": "2.5",
        "pay": "fee",
        "fee_pence": "20.00",
        "fee_unit": "hour",
        "expense_categories": ["public_transport", "mileage"],
        "support_offered": "A named contact and a debrief after each session.",
        "places": "3",
        "closing_on-day": str(closing.day),
        "closing_on-month": str(closing.month),
        "closing_on-year": str(closing.year),
        "coordinator_id": str(coordinator.id),
        "cost_centre_id": str(cost_centre.id),
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def _date_parts(day: date) -> dict[str, str]:
    return {
        "closing_on-day": str(day.day),
        "closing_on-month": str(day.month),
        "closing_on-year": str(day.year),
    }


def _roles(app: Flask) -> list[RoleDescription]:
    with app.app_context():
        ids = db.session.scalars(select(RoleDescription.id).order_by(RoleDescription.id)).all()
    return [load_role(app, role_id) for role_id in ids]


# Creating a role ---------------------------------------------------------------------------


def test_create_role_saves_a_draft_version_1_and_shows_it(app, client, coordinator, cost_centre):
    response = client.post("/roles/new", data=_form(coordinator, cost_centre))

    (role,) = _roles(app)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/roles/{role.id}"
    assert role.status is RoleStatus.DRAFT
    (version,) = role.versions
    assert (version.number, version.published_at) == (1, None)
    assert version.session_minutes == 150
    assert (version.fee_pence, version.fee_unit) == (2000, FeeUnit.HOUR)
    assert version.expense_categories == ["public_transport", "mileage"]
    assert version.closing_on == TODAY + timedelta(days=20)
    assert [e.object_id for e in events("role.created", app=app)] == [role.id]
    page = client.get(response.headers["Location"])
    text = page_text(page)
    assert "Role saved as a draft" in text
    assert "This role is a draft. People cannot see it until it is published." in text
    assert "£20.00 per hour for 2 hours 30 minutes: £50.00 a session" in text
    assert {"Publish version 1", "Edit", "Preview"} <= _buttons(page)


def test_create_role_form_offers_the_signed_in_coordinator_and_active_choices(
    app, client, coordinator, cost_centre, make_user, make_course
):
    make_user(name="Ann Other", roles=(Role.COORDINATOR,))
    make_user(name="Finn Finance", roles=(Role.FINANCE_ADMIN,))
    make_course(name="Safeguarding")

    response = client.get("/roles/new")

    page = html(response)
    coordinators = _field(page, "coordinator_id")
    options = {text_of(option): option.get("selected") is not None for option in coordinators}
    assert options == {"Select a coordinator": False, "Ann Other": False, "Cora Coordinator": True}
    assert "Involvement (INV01)" in text_of(_field(page, "cost_centre_id"))
    assert "Safeguarding" in page_text(response)
    # Each involvement level explains itself.
    assert InvolvementLevel.CO_DESIGN.explanation in page_text(response)


@pytest.mark.parametrize(
    ("field", "error_id", "message"),
    [
        ("title", "title", "Enter a title"),
        ("purpose", "purpose", "Enter the purpose of the role"),
        ("activities", "activities", "Enter what people will do"),
        ("level", "level", "Select the involvement level"),
        ("location_type", "location_type", "Select whether the role is in person or remote"),
        ("time_commitment", "time_commitment", "Enter the time commitment"),
        ("session_hours", "session_hours", "Enter the hours per session"),
        ("pay", "pay", "Select whether the role pays a fee or expenses only"),
        ("support_offered", "support_offered", "Enter the support offered"),
        ("places", "places", "Enter the number of places"),
        ("closing_on", "closing_on-day", "Enter the closing date"),
        ("coordinator_id", "coordinator_id", "Select a coordinator"),
        ("cost_centre_id", "cost_centre_id", "Select a cost centre"),
    ],
)
def test_create_role_without_a_required_answer_says_so_and_keeps_the_rest(
    app, client, coordinator, cost_centre, field, error_id, message
):
    if field == "closing_on":
        changes = {f"closing_on-{part}": "" for part in ("day", "month", "year")}
    elif field in {"level", "location_type", "pay", "coordinator_id", "cost_centre_id"}:
        changes = {field: None}
    else:
        changes = {field: "   "}

    response = client.post(
        "/roles/new",
        data=_form(coordinator, cost_centre, title="My typed title", **changes)
        if field != "title"
        else _form(coordinator, cost_centre, **changes),
    )

    assert response.status_code == 200
    assert field_error(response, error_id) == message
    assert dict(error_summary(response)) == {message: f"#{error_id}"}
    assert _roles(app) == []
    if field != "title":
        assert _value(response, "title") == "My typed title"
    assert _value(response, "venue") == "Riverside House, 1 Mill Lane"
    assert _checked(response, "expense_categories") == ["public_transport", "mileage"]


@pytest.mark.parametrize(
    ("changes", "error_id", "message", "kept"),
    [
        (
            _date_parts(TODAY - timedelta(days=1)),
            "closing_on-day",
            "The closing date must be today or in the future",
            None,
        ),
        ({"fee_pence": "-5"}, "fee_pence", "The amount cannot be negative", "-5"),
        (
            {"fee_pence": "20.005"},
            "fee_pence",
            "Enter the amount with no more than 2 numbers after the decimal point",
            "20.005",
        ),
        ({"fee_pence": "0"}, "fee_pence", "The amount must be more than £0", "0"),
        ({"fee_pence": ""}, "fee_pence", "Enter the fee", ""),
        ({"fee_unit": None}, "fee_unit", "Select what the fee is paid per", None),
        (
            {"fee_unit": "half_day", "session_hours": "5"},
            "fee_unit",
            "A half-day fee covers up to 4 hours. Choose per day, or give 4 hours or fewer "
            "per session",
            None,
        ),
        ({"places": "0"}, "places", "Places must be 1 or more", "0"),
        ({"places": "501"}, "places", "Places must be 500 or fewer", "501"),
        ({"places": "three"}, "places", "Places must be a whole number, like 3", "three"),
        ({"venue": ""}, "venue", "Enter the venue", ""),
        (
            {"venue_accessibility": ""},
            "venue_accessibility",
            "Describe the venue's accessibility",
            "",
        ),
        ({"session_hours": "0"}, "session_hours", "Hours per session must be more than 0", "0"),
        ({"session_hours": "12.5"}, "session_hours", "Hours per session must be 12 or fewer", None),
        (
            {"session_hours": "two"},
            "session_hours",
            "Enter hours per session as a number, like 2.5",
            "two",
        ),
        (
            {"session_hours": "1.333"},
            "session_hours",
            "Enter hours per session to the nearest minute, like 1.5 or 2.25",
            "1.333",
        ),
    ],
)
def test_create_role_with_a_wrong_answer_shows_why_next_to_it_and_keeps_what_was_typed(
    app, client, coordinator, cost_centre, changes, error_id, message, kept
):
    response = client.post(
        "/roles/new", data=_form(coordinator, cost_centre, title="Typed title", **changes)
    )

    assert response.status_code == 200
    assert field_error(response, error_id) == message
    assert dict(error_summary(response)) == {message: f"#{error_id}"}
    if kept is not None:
        assert _value(response, error_id) == kept
    assert _value(response, "title") == "Typed title"
    assert _checked(response, "pay") == ["fee"]
    assert _roles(app) == []


def test_create_role_with_past_closing_date_keeps_the_typed_date(client, coordinator, cost_centre):
    past = TODAY - timedelta(days=400)

    response = client.post("/roles/new", data=_form(coordinator, cost_centre, **_date_parts(past)))

    page = html(response)
    typed = [_field(page, f"closing_on-{part}").get("value") for part in ("day", "month", "year")]
    assert typed == [str(past.day), str(past.month), str(past.year)]


def test_create_role_expenses_only_or_remote_ignores_fee_and_venue_fields(
    app, client, coordinator, cost_centre
):
    response = client.post(
        "/roles/new",
        data=_form(
            coordinator,
            cost_centre,
            pay="expenses",
            fee_pence="-5",
            fee_unit=None,
            location_type="remote",
            venue="",
            venue_accessibility="",
        ),
    )

    assert response.status_code == 302
    (role,) = _roles(app)
    version = role.latest_version
    assert (version.fee_pence, version.fee_unit) == (None, None)
    assert version.location_type is LocationType.REMOTE


# Editing, publishing, closing, reopening ------------------------------------------------------


def test_edit_before_publishing_changes_version_1_in_place(
    app, client, coordinator, cost_centre, make_role
):
    role = make_role(coordinator=coordinator, cost_centre=cost_centre, status=RoleStatus.DRAFT)

    form = client.get(f"/roles/{role.id}/edit")
    response = client.post(
        f"/roles/{role.id}/edit", data=_form(coordinator, cost_centre, title="Better title")
    )

    assert _value(form, "title") == "Interview panel member"
    assert _value(form, "session_hours") == "3"
    assert _value(form, "fee_pence") == "20.00"
    assert _checked(form, "fee_unit") == ["hour"]
    assert response.status_code == 302
    (version,) = load_role(app, role.id).versions
    assert (version.number, version.title, version.published_at) == (1, "Better title", None)
    assert [e.detail for e in events("role.edited", app=app)] == ["version 1"]


def test_edit_after_publishing_makes_version_2_and_version_1_stays_as_published(
    app, client, coordinator, cost_centre, make_role, make_sign_up
):
    role = make_role(coordinator=coordinator, cost_centre=cost_centre, title="First words")
    sign_up = make_sign_up(role)

    response = client.post(
        f"/roles/{role.id}/edit", data=_form(coordinator, cost_centre, title="Second words")
    )

    assert response.status_code == 302
    first, second = load_role(app, role.id).versions
    assert (first.title, second.title) == ("First words", "Second words")
    assert first.published_at is not None and second.published_at is None
    assert sign_up.version_id == first.id
    detail = client.get(f"/roles/{role.id}")
    text = page_text(detail)
    assert "Changes saved in version 2" in text
    assert "There are unpublished changes in version 2. People see version 1" in text
    assert "Publish version 2" in _buttons(detail)
    # The edit form now starts from the unpublished version.
    assert _value(client.get(f"/roles/{role.id}/edit"), "title") == "Second words"
    old = client.get(f"/roles/{role.id}/versions/1")
    assert old.status_code == 200
    assert "First words" in page_text(old)
    assert client.get(f"/roles/{role.id}/versions/3").status_code == 404


def test_publish_close_and_reopen_through_the_buttons(
    app, client, coordinator, cost_centre, make_role
):
    role = make_role(coordinator=coordinator, status=RoleStatus.DRAFT)

    published = client.post(f"/roles/{role.id}/publish", follow_redirects=True)
    assert load_role(app, role.id).status is RoleStatus.OPEN
    assert "Published. People can now see this version" in page_text(published)
    assert "Close role" in _buttons(published)

    closed = client.post(f"/roles/{role.id}/close", follow_redirects=True)
    assert load_role(app, role.id).status is RoleStatus.CLOSED
    assert "Closed. People can no longer sign up" in page_text(closed)
    assert "Reopen role" in _buttons(closed)

    reopened = client.post(f"/roles/{role.id}/reopen", follow_redirects=True)
    assert load_role(app, role.id).status is RoleStatus.OPEN
    assert "Reopened." in page_text(reopened)
    actions = [e.action for e in events("role.published", app=app)]
    actions += [e.action for e in events("role.closed", app=app)]
    actions += [e.action for e in events("role.reopened", app=app)]
    assert actions == ["role.published", "role.closed", "role.reopened"]


def test_publish_with_past_closing_date_shows_what_to_do(app, client, coordinator, make_role):
    role = make_role(
        coordinator=coordinator, status=RoleStatus.DRAFT, closing_on=TODAY - timedelta(days=2)
    )

    response = client.post(f"/roles/{role.id}/publish", follow_redirects=True)

    assert "The closing date has passed. Edit the role" in page_text(response)
    assert load_role(app, role.id).status is RoleStatus.DRAFT


def test_reopen_past_closing_date_offers_no_button_and_is_refused(
    app, client, coordinator, make_role
):
    role = make_role(
        coordinator=coordinator, status=RoleStatus.CLOSED, closing_on=TODAY - timedelta(days=2)
    )

    page = client.get(f"/roles/{role.id}")
    response = client.post(f"/roles/{role.id}/reopen", follow_redirects=True)

    assert "Reopen role" not in _buttons(page)
    assert "give a new closing date and publish it, then reopen" in page_text(page)
    assert "give a new closing date and publish it, then reopen" in page_text(response)
    assert load_role(app, role.id).status is RoleStatus.CLOSED


# Who may do what -------------------------------------------------------------------------------


def test_coordinator_of_another_role_reads_it_but_cannot_change_it(
    app, client, make_user, make_role, cost_centre
):
    owner = make_user(name="Owner Coordinator", roles=(Role.COORDINATOR,))
    other = make_user(name="Other Coordinator", roles=(Role.COORDINATOR,))
    sign_in(client, other)
    draft = make_role(coordinator=owner, status=RoleStatus.DRAFT)
    opened = make_role(coordinator=owner)
    closed = make_role(coordinator=owner, status=RoleStatus.CLOSED)

    pages = [client.get(f"/roles/{role.id}") for role in (draft, opened, closed)]
    attempts = [
        client.get(f"/roles/{draft.id}/edit"),
        client.post(f"/roles/{draft.id}/edit", data=_form(other, cost_centre, title="Taken")),
        client.post(f"/roles/{draft.id}/publish"),
        client.post(f"/roles/{opened.id}/close"),
        client.post(f"/roles/{closed.id}/reopen"),
    ]

    assert [page.status_code for page in pages] == [200, 200, 200]
    for page in pages:
        assert _buttons(page) == {"Preview"}
        assert "/sign-ups" not in page.get_data(as_text=True)
    assert [response.status_code for response in attempts] == [403] * 5
    assert [load_role(app, r.id).status for r in (draft, opened, closed)] == [
        RoleStatus.DRAFT,
        RoleStatus.OPEN,
        RoleStatus.CLOSED,
    ]
    assert load_role(app, draft.id).latest_version.title == "Interview panel member"
    assert len(events("access.denied", app=app)) == 5


def test_admin_can_change_any_role_and_sees_its_sign_ups(app, client, make_user, make_role):
    sign_in(client, make_user(roles=(Role.ADMIN,)))
    role = make_role()

    page = client.get(f"/roles/{role.id}")
    closed = client.post(f"/roles/{role.id}/close")

    assert {"Edit", "Preview", "Close role"} <= _buttons(page)
    assert f"/roles/{role.id}/sign-ups" in page.get_data(as_text=True)
    assert closed.status_code == 302
    assert load_role(app, role.id).status is RoleStatus.CLOSED


@pytest.mark.parametrize("finance", [Role.FINANCE_APPROVER, Role.FINANCE_ADMIN])
def test_finance_sees_roles_read_only(app, client, make_user, make_role, cost_centre, finance):
    person = make_user(roles=(finance,))
    sign_in(client, person)
    role = make_role(status=RoleStatus.DRAFT)

    listing = client.get("/roles")
    detail = client.get(f"/roles/{role.id}")
    preview = client.get(f"/roles/{role.id}/preview")
    refused = [
        client.get("/roles/new"),
        client.post("/roles/new", data=_form(person, cost_centre)),
        client.get(f"/roles/{role.id}/edit"),
        client.post(f"/roles/{role.id}/publish"),
    ]

    assert [r.status_code for r in (listing, detail, preview)] == [200, 200, 200]
    assert "Create a role" not in _buttons(listing)
    assert _buttons(detail) == {"Preview"}
    assert [r.status_code for r in refused] == [403] * 4
    assert len(_roles(app)) == 1
    assert load_role(app, role.id).status is RoleStatus.DRAFT


def test_expert_cannot_reach_staff_pages(client, make_user, make_role):
    sign_in(client, make_user(roles=(Role.EXPERT,)))
    role = make_role()

    paths = ["/roles", "/roles/new", f"/roles/{role.id}", f"/roles/{role.id}/versions/1"]
    paths += [f"/roles/{role.id}/edit", f"/roles/{role.id}/preview"]
    responses = [client.get(path) for path in paths]
    responses += [client.post(f"/roles/{role.id}/{action}") for action in ("publish", "close")]

    assert [r.status_code for r in responses] == [403] * len(responses)


# The staff list ------------------------------------------------------------------------------


def test_role_list_starts_with_the_coordinators_own_roles_and_filters(
    client, coordinator, make_user, make_role
):
    someone = make_user(name="Sid Someone", roles=(Role.COORDINATOR,))
    make_role(coordinator=coordinator, title="Mine open")
    make_role(coordinator=coordinator, title="Mine draft", status=RoleStatus.DRAFT)
    make_role(coordinator=someone, title="Theirs")

    def titles(response: TestResponse) -> list[str]:
        page = html(response)
        links = [a for a in page.iter("a") if re.fullmatch(r"/roles/\d+", a.get("href", ""))]
        return [text_of(a) for a in links]

    default = client.get("/roles")
    everyone = client.get("/roles?status=")
    drafts = client.get("/roles?status=draft&only=mine")

    assert sorted(titles(default)) == ["Mine draft", "Mine open"]
    assert _checked(default, "only") == ["mine"]
    assert "Create a role" in _buttons(default)
    assert sorted(titles(everyone)) == ["Mine draft", "Mine open", "Theirs"]
    assert titles(drafts) == ["Mine draft"]
    assert "Sid Someone" in page_text(everyone)


def test_role_list_loads_in_a_fixed_number_of_queries(app, client, coordinator, make_role):
    make_role(coordinator=coordinator)
    with count_queries(app) as few:
        client.get("/roles")
    for _ in range(5):
        make_role(coordinator=coordinator)
    with count_queries(app) as many:
        client.get("/roles")

    assert len(many) == len(few)


# Experts' side -------------------------------------------------------------------------------


@pytest.fixture
def expert(client: FlaskClient, make_user: Callable[..., User]) -> User:
    """An expert by experience, signed in on ``client``."""
    user = make_user(name="Eli Expert", roles=(Role.EXPERT,))
    sign_in(client, user)
    return user


def test_opportunities_list_open_roles_soonest_closing_first_with_closing_words(
    client, expert, make_role
):
    make_role(title="In ten days", closing_on=TODAY + timedelta(days=10))
    make_role(title="Tomorrow", closing_on=TODAY + timedelta(days=1), fee_pence=None)
    make_role(title="Today", closing_on=TODAY, fee_unit=FeeUnit.SESSION, fee_pence=6000)
    make_role(title="Draft", status=RoleStatus.DRAFT)
    make_role(title="Closed", status=RoleStatus.CLOSED)

    response = client.get("/opportunities")

    page = html(response)
    cards = [div for div in page.iter("div") if has_class(div, "nhsuk-card")]
    texts = [text_of(card) for card in cards]
    assert [text.split(" Involvement")[0] for text in texts] == [
        "Today",
        "Tomorrow",
        "In ten days",
    ]
    assert "Closes today" in texts[0] and "£60.00 a session" in texts[0]
    assert "Closes tomorrow" in texts[1] and "Expenses only" in texts[1]
    assert "Closes in 10 days" in texts[2] and "£60.00 a session" in texts[2]
    assert "Co-production" in texts[2] and "Riverside House, 1 Mill Lane" in texts[2]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("where=remote", ["Remote paid"]),
        ("where=in_person", ["In person unpaid", "In person consult"]),
        ("pay=expenses", ["In person unpaid"]),
        ("pay=fee", ["Remote paid", "In person consult"]),
        ("level=consultation", ["In person consult"]),
        ("level=consultation&pay=expenses", []),
        ("where=&level=&pay=", ["Remote paid", "In person unpaid", "In person consult"]),
        ("where=nowhere", ["Remote paid", "In person unpaid", "In person consult"]),
    ],
)
def test_opportunities_filters(client, expert, make_role, query, expected):
    make_role(title="Remote paid", location_type=LocationType.REMOTE, venue="")
    make_role(
        title="In person unpaid",
        fee_pence=None,
        fee_unit=None,
        closing_on=TODAY + timedelta(days=40),
    )
    make_role(
        title="In person consult",
        level=InvolvementLevel.CONSULTATION,
        closing_on=TODAY + timedelta(days=50),
    )

    response = client.get(f"/opportunities?{query}")

    page = html(response)
    headings = [text_of(h) for h in page.iter("h2") if has_class(h, "nhsuk-card__heading")]
    assert headings == expected
    if expected == []:
        assert "No open roles match your filters" in page_text(response)


def test_opportunities_say_where_the_person_has_signed_up_in_few_queries(
    app, client, expert, make_role, make_sign_up
):
    mine = make_role(title="Signed up")
    make_role(title="Not yet")
    make_sign_up(mine, person=expert)
    withdrawn = make_role(title="Withdrawn")
    make_sign_up(withdrawn, person=expert, status=SignUpStatus.WITHDRAWN)

    with count_queries(app) as few:
        response = client.get("/opportunities")
    for _ in range(5):
        make_role()
    with count_queries(app) as many:
        client.get("/opportunities")

    cards = [text_of(div) for div in html(response).iter("div") if has_class(div, "nhsuk-card")]
    signed = [text.split(" ")[0] for text in cards if "You have signed up" in text]
    assert signed == ["Signed"]
    assert len(many) == len(few)


@pytest.mark.parametrize(
    ("unit", "fee", "minutes", "worked_out", "per_session"),
    [
        (FeeUnit.HOUR, 2000, 180, "£20.00 per hour for 3 hours: £60.00 a session", 6000),
        (FeeUnit.HOUR, 1550, 90, "£15.50 per hour for 1 hour 30 minutes: £23.25 a session", 2325),
        (
            FeeUnit.HALF_DAY,
            5000,
            210,
            "£50.00 per half day (up to 4 hours): £50.00 a session",
            5000,
        ),
        (FeeUnit.DAY, 12000, 420, "£120.00 per day: £120.00 a session", 12000),
        (FeeUnit.SESSION, 4000, 120, "£40.00 a session", 4000),
        (None, None, 120, "This role pays expenses only, not a fee.", None),
    ],
)
def test_opportunity_shows_what_one_session_pays_for_each_fee_unit(
    client, expert, make_role, unit, fee, minutes, worked_out, per_session
):
    role = make_role(fee_unit=unit, fee_pence=fee, session_minutes=minutes)

    text = page_text(client.get(f"/opportunities/{role.id}"))

    assert worked_out in text
    assert role.published_version.session_fee_pence == per_session
    assert pay_worked_out(role.published_version) == worked_out


def test_opportunity_shows_the_published_role_in_plain_english(
    app, client, expert, make_user, make_role, make_course, make_record, cost_centre
):
    coordinator = make_user(roles=(Role.COORDINATOR,))
    done, missing = make_course(name="Safeguarding"), make_course(name="Recruitment basics")
    make_record(expert, done)
    role = make_role(coordinator=coordinator, cost_centre=cost_centre, courses=(done, missing))
    # Unpublished changes are not shown to people.
    staff = app.test_client()
    sign_in(staff, coordinator)
    staff.post(f"/roles/{role.id}/edit", data=_form(coordinator, cost_centre, title="Draft text"))

    response = client.get(f"/opportunities/{role.id}")

    text = page_text(response)
    assert "Interview panel member" in text
    assert "Draft text" not in text
    assert "Help choose new staff for the community mental health team." in text
    assert f"Co-production. {InvolvementLevel.CO_PRODUCTION.explanation}" in text
    assert "In person at Riverside House, 1 Mill Lane" in text
    assert "Step-free entrance, accessible toilet, hearing loop." in text
    assert "Each session lasts 3 hours." in text
    assert "£20.00 per hour for 3 hours: £60.00 a session" in text
    assert "Public transport (bus, train, tram)" in text
    assert "Mileage in your own vehicle" in text
    assert "Safeguarding: you have this training" in text
    assert "Recruitment basics: not done yet" in text
    assert "A named contact, and a debrief after each session." in text
    closing = TODAY + timedelta(days=30)
    assert f"{format_date(closing)} (closes in 30 days)" in text
    page = html(response)
    links = {text_of(a): a.get("href") for a in page.iter("a")}
    assert links["How might this affect my benefits?"] == f"/benefits/what-if?role_id={role.id}"
    assert links["Sign up"] == f"/opportunities/{role.id}/sign-up"


def test_opportunity_after_signing_up_says_so_instead_of_a_button(
    client, expert, make_role, make_sign_up
):
    role = make_role()
    make_sign_up(role, person=expert, status=SignUpStatus.WAITLISTED)

    response = client.get(f"/opportunities/{role.id}")

    assert "You have signed up to this role." in page_text(response)
    assert "Sign up" not in _buttons(response)
    assert 'href="/my-roles"' in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "closing", [{"status": RoleStatus.CLOSED}, {"closing_on": TODAY - timedelta(days=1)}]
)
def test_opportunity_that_is_closed_says_so_without_a_button(client, expert, make_role, closing):
    role = make_role(**closing)

    response = client.get(f"/opportunities/{role.id}")

    assert response.status_code == 200
    text = page_text(response)
    assert "This role is closed. You cannot sign up to it now." in text
    assert f"Closing date {format_date(role.published_version.closing_on)} " in text
    assert "Sign up" not in _buttons(response)


def test_opportunity_never_published_is_not_found(client, expert, make_role):
    draft = make_role(status=RoleStatus.DRAFT)

    assert client.get(f"/opportunities/{draft.id}").status_code == 404
    assert client.get("/opportunities/987654").status_code == 404


# Preview and the shared partial --------------------------------------------------------------


def test_preview_shows_the_latest_version_as_people_will_see_it(
    client, coordinator, cost_centre, make_role
):
    role = make_role(coordinator=coordinator, cost_centre=cost_centre, title="Published title")
    client.post(f"/roles/{role.id}/edit", data=_form(coordinator, cost_centre, title="Next title"))

    response = client.get(f"/roles/{role.id}/preview")

    text = page_text(response)
    assert "Preview This is version 2 as people see it once it is published." in text
    assert "Next title" in text and "Published title" not in text
    assert "£20.00 per hour for 2 hours 30 minutes: £50.00 a session" in text


def test_html_typed_into_a_role_is_shown_as_text_on_every_page(app, client, make_user, make_role):
    title = '<script>alert("x")</script>'
    coordinator = make_user(roles=(Role.COORDINATOR,))
    expert = make_user(roles=(Role.EXPERT,))
    role = make_role(coordinator=coordinator, title=title, purpose="<b>bold</b>\n\nNext")
    staff = app.test_client()
    sign_in(staff, coordinator)
    sign_in(client, expert)

    pages = [
        staff.get(path)
        for path in (
            "/roles",
            f"/roles/{role.id}",
            f"/roles/{role.id}/versions/1",
            f"/roles/{role.id}/edit",
            f"/roles/{role.id}/preview",
        )
    ]
    pages += [client.get("/opportunities"), client.get(f"/opportunities/{role.id}")]

    for page in pages:
        markup = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "<script>alert" not in markup
        assert "&lt;script&gt;alert(" in markup
        assert "<b>bold" not in markup
    assert "<p>&lt;b&gt;bold&lt;/b&gt;</p><p>Next</p>" in pages[1].get_data(as_text=True)


# Benefits note -------------------------------------------------------------------------------


@pytest.mark.parametrize("roles", [(Role.EXPERT,), (Role.COORDINATOR,), (Role.FINANCE_ADMIN,)])
def test_benefits_note_explains_in_plain_english_without_figures(client, make_user, roles):
    sign_in(client, make_user(roles=roles))

    response = client.get("/benefits")

    text = page_text(response)
    assert response.status_code == 200
    for words in (
        "Universal Credit",
        "permitted work",
        "Carer's Allowance",
        "Pension Credit",
        "receipts",
        "expenses only",
        "Citizens Advice",
        "journal",
        "PW1",
        "Carer's Allowance Unit",
        "This is information, not advice",
    ):
        assert words in text
    assert "£" not in text


# Words for durations and closing dates -------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (60, "1 hour"),
        (180, "3 hours"),
        (90, "1 hour 30 minutes"),
        (45, "45 minutes"),
        (61, "1 hour 1 minute"),
    ],
)
def test_format_duration(minutes, words):
    assert format_duration(minutes) == words


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (0, "Closes today"),
        (1, "Closes tomorrow"),
        (2, "Closes in 2 days"),
        (30, "Closes in 30 days"),
    ],
)
def test_closing_words(days, words):
    version = RoleVersion(closing_on=TODAY + timedelta(days=days))

    assert closes(version, TODAY) == words


def test_session_pay_in_brief():
    assert session_pay(RoleVersion(fee_pence=None)) == "Expenses only"
    paid = RoleVersion(fee_pence=1000, fee_unit=FeeUnit.HOUR, session_minutes=150)
    assert session_pay(paid) == "£25.00 a session"


@pytest.mark.parametrize("field", ["title", "venue"])
@pytest.mark.parametrize(
    "typed", ["Panel\r\nBcc: someone@example.org", "Panel\tmember", "A\u2028B"]
)
def test_create_role_with_a_line_break_in_a_one_line_field_says_so_next_to_it(
    app, client, coordinator, cost_centre, field, typed
):
    response = client.post("/roles/new", data=_form(coordinator, cost_centre, **{field: typed}))

    assert response.status_code == 200
    message = f"{field.capitalize()} must be on one line, without tabs or other special characters"
    assert field_error(response, field) == message
    assert dict(error_summary(response)) == {message: f"#{field}"}
    assert _roles(app) == []


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("coordinator_id", "Select a coordinator from the list"),
        ("cost_centre_id", "Select a cost centre from the list"),
    ],
)
def test_create_role_with_an_unknown_choice_asks_to_pick_from_the_list(
    app, client, coordinator, cost_centre, field, message
):
    response = client.post("/roles/new", data=_form(coordinator, cost_centre, **{field: "99999"}))

    assert response.status_code == 200
    assert field_error(response, field) == message
    assert dict(error_summary(response)) == {message: f"#{field}"}
    assert "Not a valid choice" not in response.get_data(as_text=True)
    assert _roles(app) == []
