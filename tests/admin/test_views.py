"""Staff accounts: invitations, roles, deactivation, the list of people and the audit trail."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from payclaims.auth.models import Role, User
from payclaims.auth.services import SIGN_IN_FAILED_MESSAGE
from payclaims.extensions import db
from tests.helpers import (
    error_summary,
    events,
    field_error,
    html,
    input_value,
    link_in,
    sign_in,
    sign_in_with_password,
    table_rows,
    text_of,
)

NEW_PASSWORD = "lantern harbour velvet 42"
NON_ADMINS: dict[str, tuple[Role, ...]] = {
    "expert": (Role.EXPERT,),
    "coordinator": (Role.COORDINATOR,),
    "finance_approver": (Role.FINANCE_APPROVER,),
    "finance_admin": (Role.FINANCE_ADMIN,),
    "every_role_but_admin": (
        Role.EXPERT,
        Role.COORDINATOR,
        Role.FINANCE_APPROVER,
        Role.FINANCE_ADMIN,
    ),
}


@pytest.fixture
def admin(client: FlaskClient, make_user: Callable[..., User]) -> User:
    """An admin, signed in on ``client``."""
    user = make_user(name="Ada Admin", email="ada@example.org", roles=(Role.ADMIN,))
    sign_in(client, user)
    return user


# Helpers -----------------------------------------------------------------------------------


def _user(app: Flask, email: str) -> User | None:
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def _reload(app: Flask, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        return user


def _user_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User)) or 0


def _invite(
    client: FlaskClient,
    *,
    name: str = "Sam Staff",
    email: str = "sam@example.org",
    roles: tuple[str, ...] = ("coordinator", "finance_approver"),
) -> TestResponse:
    return client.post(
        "/admin/people/new", data={"name": name, "email": email, "roles": list(roles)}
    )


# Inviting staff ----------------------------------------------------------------------------


def test_invite_staff_creates_account_emails_link_and_audits(app, client, admin, outbox):
    response = _invite(client)

    invited = _user(app, "sam@example.org")
    assert invited is not None
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/people/{invited.id}"
    assert invited.name == "Sam Staff"
    assert invited.roles == {Role.COORDINATOR, Role.FINANCE_APPROVER}
    assert invited.password_hash is None
    assert invited.is_active
    assert invited.email_verified_at is None
    (message,) = outbox()
    assert message.to == ["sam@example.org"]
    assert link_in(message).startswith("/invitation/")
    assert "Ada Admin" in str(message.body)
    (event,) = events("staff.invited", app=app)
    assert event.actor_id == admin.id
    assert event.subject_user_id == invited.id
    assert event.ip_address == "127.0.0.1"
    assert event.detail == "roles: Coordinator, Finance approver"
    person_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "We have emailed an invitation to sam@example.org." in person_page


def test_accept_invitation_sets_password_and_signs_in(app, client, admin, outbox):
    _invite(client)
    link = link_in(outbox()[0])
    newcomer = app.test_client()

    form = newcomer.get(link)
    response = newcomer.post(link, data={"password": NEW_PASSWORD})

    assert form.status_code == 200
    assert "Set your password" in form.get_data(as_text=True)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert newcomer.get("/").headers["Location"] == "/coordinator"
    assert newcomer.get("/coordinator").status_code == 200
    invited = _user(app, "sam@example.org")
    assert invited is not None
    assert invited.has_password
    assert invited.email_verified_at is not None
    (accepted,) = events("staff.invitation_accepted", app=app)
    assert accepted.subject_user_id == invited.id


def test_accept_invitation_twice_shows_link_already_used(app, client, admin, outbox):
    _invite(client)
    link = link_in(outbox()[0])
    app.test_client().post(link, data={"password": NEW_PASSWORD})
    password_hash = _user(app, "sam@example.org").password_hash
    someone_else = app.test_client()

    shown = someone_else.get(link)
    sent = someone_else.post(link, data={"password": "another lantern harbour 99"})

    for response in (shown, sent):
        assert response.status_code == 400
        assert "already been used" in response.get_data(as_text=True)
    assert _user(app, "sam@example.org").password_hash == password_hash
    assert someone_else.get("/coordinator").status_code == 302


def test_resend_invitation_replaces_earlier_link(app, client, admin, outbox):
    _invite(client)
    invited = _user(app, "sam@example.org")

    response = client.post(f"/admin/people/{invited.id}/invitation")

    assert response.status_code == 302
    first, second = outbox()
    assert second.to == ["sam@example.org"]
    first_link, second_link = link_in(first), link_in(second)
    assert second_link != first_link
    old = app.test_client().get(first_link)
    assert old.status_code == 400
    assert "replaced by a newer one" in old.get_data(as_text=True)
    newcomer = app.test_client()
    accepted = newcomer.post(second_link, data={"password": NEW_PASSWORD})
    assert accepted.status_code == 302
    assert accepted.headers["Location"] == "/"
    (resent,) = events("staff.invitation_resent", app=app)
    assert resent.actor_id == admin.id
    assert resent.subject_user_id == invited.id


def test_invite_existing_email_shows_error_next_to_email(app, client, admin, make_user, outbox):
    make_user(name="Existing Person", email="existing@example.org")
    people_before = _user_count(app)

    response = _invite(client, name="Typed Name", email="  Existing@Example.ORG ")

    assert response.status_code == 200
    error = field_error(response, "email")
    assert "There is already an account with this email address" in error
    assert dict(error_summary(response)) == {error.removeprefix("Error: "): "#email"}
    assert input_value(response, "name") == "Typed Name"
    assert _user_count(app) == people_before
    assert events("staff.invited", app=app) == []
    assert outbox() == []


def test_invite_without_roles_shows_select_a_role(app, client, admin, outbox):
    response = _invite(client, roles=())

    assert response.status_code == 200
    assert field_error(response, "roles") == "Select at least one role"
    assert dict(error_summary(response)) == {"Select at least one role": "#roles"}
    assert input_value(response, "email") == "sam@example.org"
    assert _user(app, "sam@example.org") is None
    assert outbox() == []


@pytest.mark.parametrize("persona", NON_ADMINS)
def test_invite_or_change_roles_as_non_admin_is_refused(app, client, make_user, outbox, persona):
    target = make_user(name="Target Person", roles=(Role.EXPERT,))
    intruder = make_user(roles=NON_ADMINS[persona])
    sign_in(client, intruder)
    people_before = _user_count(app)

    form = client.get("/admin/people/new")
    invite = _invite(client, roles=("admin",))
    roles = client.post(f"/admin/people/{target.id}/roles", data={"roles": ["admin"]})
    own_roles = client.post(f"/admin/people/{intruder.id}/roles", data={"roles": ["admin"]})

    assert [r.status_code for r in (form, invite, roles, own_roles)] == [403, 403, 403, 403]
    assert _user_count(app) == people_before
    assert _user(app, "sam@example.org") is None
    assert _reload(app, target.id).roles == {Role.EXPERT}
    assert _reload(app, intruder.id).roles == set(NON_ADMINS[persona])
    assert events("staff.invited", app=app) == []
    assert events("staff.roles_changed", app=app) == []
    assert len(events("access.denied", app=app)) == 4
    assert outbox() == []


# Roles ------------------------------------------------------------------------------------


def test_change_roles_records_from_and_to(app, client, admin, make_user):
    target = make_user(name="Rita Roles", roles=(Role.EXPERT,))

    response = client.post(
        f"/admin/people/{target.id}/roles", data={"roles": ["finance_admin", "coordinator"]}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/people/{target.id}"
    assert _reload(app, target.id).roles == {Role.COORDINATOR, Role.FINANCE_ADMIN}
    (event,) = events("staff.roles_changed", app=app)
    assert event.actor_id == admin.id
    assert event.subject_user_id == target.id
    assert event.ip_address == "127.0.0.1"
    assert event.detail == "from Expert by experience to Coordinator, Finance admin"
    page = client.get(f"/admin/people/{target.id}").get_data(as_text=True)
    assert "Roles saved for Rita Roles." in page


def test_change_roles_to_the_same_roles_records_nothing(app, client, admin, make_user):
    target = make_user(roles=(Role.EXPERT, Role.COORDINATOR))

    client.post(f"/admin/people/{target.id}/roles", data={"roles": ["coordinator", "expert"]})

    assert _reload(app, target.id).roles == {Role.EXPERT, Role.COORDINATOR}
    assert events("staff.roles_changed", app=app) == []


@pytest.mark.parametrize("other_admin", ["none", "deactivated"])
def test_remove_own_admin_role_as_last_active_admin_is_refused(
    app, client, admin, make_user, other_admin
):
    if other_admin == "deactivated":
        make_user(roles=(Role.ADMIN,), active=False)

    response = client.post(f"/admin/people/{admin.id}/roles", data={"roles": ["coordinator"]})

    assert response.status_code == 200
    assert "This is the only active admin" in field_error(response, "roles")
    assert _reload(app, admin.id).roles == {Role.ADMIN}
    assert events("staff.roles_changed", app=app) == []
    assert client.get("/admin/people").status_code == 200


def test_remove_own_admin_role_with_another_active_admin_is_allowed(app, client, admin, make_user):
    make_user(roles=(Role.ADMIN,))

    response = client.post(f"/admin/people/{admin.id}/roles", data={"roles": ["coordinator"]})

    assert response.status_code == 302
    assert _reload(app, admin.id).roles == {Role.COORDINATOR}
    assert client.get("/admin/people").status_code == 403


# Deactivation --------------------------------------------------------------------------------


def test_deactivate_own_account_is_refused(app, client, admin, make_user):
    make_user(roles=(Role.ADMIN,))

    response = client.post(f"/admin/people/{admin.id}/deactivate", follow_redirects=True)

    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    assert _reload(app, admin.id).is_active
    assert events("account.deactivated", app=app) == []
    assert client.get("/admin/people").status_code == 200


def test_deactivate_person_signs_them_out_and_stops_sign_in(app, client, admin, make_user):
    person = make_user(name="Dee Active", email="dee@example.org", roles=(Role.EXPERT,))
    their_client = app.test_client()
    sign_in(their_client, person)
    assert their_client.get("/expert").status_code == 200

    response = client.post(f"/admin/people/{person.id}/deactivate")

    assert response.status_code == 302
    deactivated = _reload(app, person.id)
    assert not deactivated.is_active
    assert deactivated.deactivated_at is not None
    (event,) = events("account.deactivated", app=app)
    assert event.actor_id == admin.id
    assert event.subject_user_id == person.id
    kicked_out = their_client.get("/expert")
    assert kicked_out.status_code == 302
    assert kicked_out.headers["Location"] == "/sign-in?next=%2Fexpert"
    attempt = sign_in_with_password(app.test_client(), "dee@example.org")
    assert attempt.status_code == 200
    assert SIGN_IN_FAILED_MESSAGE in attempt.get_data(as_text=True)
    assert [e.detail for e in events("sign_in.failed", app=app)] == ["account deactivated"]
    assert events("sign_in.succeeded", app=app) == []


def test_reactivate_person_lets_them_sign_in_again(app, client, admin, make_user):
    person = make_user(email="rae@example.org", roles=(Role.EXPERT,), active=False)

    response = client.post(f"/admin/people/{person.id}/reactivate")

    assert response.status_code == 302
    assert _reload(app, person.id).is_active
    (event,) = events("account.reactivated", app=app)
    assert event.actor_id == admin.id
    assert event.subject_user_id == person.id
    their_client = app.test_client()
    signed_in = sign_in_with_password(their_client, "rae@example.org")
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"] == "/"
    assert their_client.get("/expert").status_code == 200


def test_deactivate_invited_person_stops_their_invitation(app, client, admin, outbox):
    _invite(client)
    invited = _user(app, "sam@example.org")
    link = link_in(outbox()[0])

    client.post(f"/admin/people/{invited.id}/deactivate")
    client.post(f"/admin/people/{invited.id}/reactivate")

    newcomer = app.test_client()
    assert newcomer.post(link, data={"password": NEW_PASSWORD}).status_code == 400
    assert not _user(app, "sam@example.org").has_password


# The list of people ---------------------------------------------------------------------------


@pytest.fixture
def people(make_user: Callable[..., User]) -> None:
    make_user(name="Cora Coordinator", email="cora@example.org", roles=(Role.COORDINATOR,))
    make_user(
        name="Ivan Invited",
        email="ivan@example.org",
        roles=(Role.COORDINATOR, Role.FINANCE_ADMIN),
        password=False,
        verified=False,
    )
    make_user(name="Dora Gone", email="dora@example.org", roles=(Role.EXPERT,), active=False)
    make_user(name="Eric Expert", email="eric.expert@example.net", roles=(Role.EXPERT,))


def _listed_names(response: TestResponse) -> set[str]:
    assert response.status_code == 200
    return {row[0] for row in table_rows(response)}


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("", {"Ada Admin", "Cora Coordinator", "Ivan Invited", "Dora Gone", "Eric Expert"}),
        ("role=coordinator", {"Cora Coordinator", "Ivan Invited"}),
        ("role=finance_admin", {"Ivan Invited"}),
        ("role=finance_approver", set()),
        ("status=active", {"Ada Admin", "Cora Coordinator", "Eric Expert"}),
        ("status=invited", {"Ivan Invited"}),
        ("status=deactivated", {"Dora Gone"}),
        ("q=cora", {"Cora Coordinator"}),
        ("q=EXPERT", {"Eric Expert"}),
        ("q=example.net", {"Eric Expert"}),
        ("q=DORA%40EXAMPLE", {"Dora Gone"}),
        ("q=nobody", set()),
        # Wildcards typed in the search match themselves, not everyone.
        ("q=_", set()),
        ("q=%25", set()),
        ("role=expert&status=active", {"Eric Expert"}),
        ("role=coordinator&status=active&q=cora", {"Cora Coordinator"}),
    ],
)
def test_people_list_filters_by_role_status_and_text(client, admin, people, query, names):
    response = client.get(f"/admin/people?{query}")

    assert _listed_names(response) == names


def test_people_list_shows_roles_and_status(client, admin, people):
    rows = {row[0]: row[1:] for row in table_rows(client.get("/admin/people"))}

    assert rows["Ivan Invited"] == ["ivan@example.org", "Coordinator, Finance admin", "Invited"]
    assert rows["Dora Gone"] == ["dora@example.org", "Expert by experience", "Deactivated"]
    assert rows["Ada Admin"] == ["ada@example.org", "Admin", "Active"]


def test_people_pages_escape_html_in_names(client, admin, make_user):
    person = make_user(name="<script>alert(1)</script>")

    for path in ("/admin/people", f"/admin/people/{person.id}"):
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        scripts = [text_of(script) for script in html(response).iter("script")]
        assert not any("alert(1)" in script for script in scripts)


# The audit trail --------------------------------------------------------------------------------


def _audit_rows(response: TestResponse) -> list[dict[str, str]]:
    assert response.status_code == 200
    columns = ("when", "what", "who", "whose", "address", "detail")
    return [dict(zip(columns, row, strict=True)) for row in table_rows(response)]


def test_audit_trail_lists_events_newest_first(app, client, admin, make_user):
    expert = make_user(name="Nosy Expert", roles=(Role.EXPERT,))
    _invite(client)
    nosy = app.test_client()
    sign_in(nosy, expert)
    nosy.get("/admin/audit/")

    rows = _audit_rows(client.get("/admin/audit/"))

    assert [row["what"] for row in rows] == ["Access refused", "Staff account created and invited"]
    refused, invited = rows
    assert refused["who"] == "Nosy Expert"
    assert refused["detail"] == "GET /admin/audit/"
    assert invited["who"] == "Ada Admin"
    assert invited["whose"] == "Sam Staff"
    assert invited["address"] == "127.0.0.1"
    assert invited["detail"] == "roles: Coordinator, Finance approver"


def test_audit_trail_filters_by_action(app, client, admin, make_user):
    target = make_user(name="Rita Roles", roles=(Role.EXPERT,))
    _invite(client)
    client.post(f"/admin/people/{target.id}/roles", data={"roles": ["coordinator"]})
    client.post(f"/admin/people/{target.id}/deactivate")

    changed = _audit_rows(client.get("/admin/audit/?action=staff.roles_changed"))
    deactivated = _audit_rows(client.get("/admin/audit/?action=account.deactivated"))
    nothing = client.get("/admin/audit/?action=sign_in.locked")

    assert [(row["what"], row["whose"]) for row in changed] == [("Roles changed", "Rita Roles")]
    assert changed[0]["detail"] == "from Expert by experience to Coordinator"
    assert [(row["what"], row["whose"]) for row in deactivated] == [
        ("Account deactivated", "Rita Roles")
    ]
    assert table_rows(nothing) == []
    assert "No events match." in nothing.get_data(as_text=True)
