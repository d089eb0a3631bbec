"""Cost centres: finance admins add and change them, finance approvers read them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from payclaims.auth.models import Role, User
from payclaims.costcentres import services
from payclaims.costcentres.models import CostCentre
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db
from tests.helpers import (
    EVIL,
    error_summary,
    events,
    field_error,
    html,
    input_value,
    page_text,
    sign_in,
    table_rows,
)

IP = "192.0.2.9"


@pytest.fixture
def finance_admin(client: FlaskClient, make_user: Callable[..., User]) -> User:
    """A finance admin, signed in on ``client``."""
    user = make_user(name="Fin Admin", roles=(Role.FINANCE_ADMIN,))
    sign_in(client, user)
    return user


def _cost_centres(app: Flask) -> list[tuple[str, str, bool]]:
    with app.app_context():
        return [
            (c.code, c.name, c.is_active)
            for c in db.session.scalars(select(CostCentre).order_by(CostCentre.code))
        ]


def _count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(CostCentre)) or 0


def _actor(user: User) -> User:
    loaded = db.session.get(User, user.id)
    assert loaded is not None
    return loaded


# Services ----------------------------------------------------------------------------------


def test_create_cost_centre_stores_code_upper_case_and_audits(app, app_ctx, make_user):
    admin = make_user(roles=(Role.FINANCE_ADMIN,))

    created = services.create_cost_centre(
        actor=_actor(admin), code=" mh-comm-01 ", name=" Community mental health ", ip_address=IP
    )

    assert (created.code, created.name, created.is_active) == (
        "MH-COMM-01",
        "Community mental health",
        True,
    )
    (event,) = events("cost_centre.created", app=app)
    assert event.actor_id == admin.id
    assert (event.object_type, event.object_id) == ("cost_centre", created.id)
    assert event.detail == "Community mental health (MH-COMM-01)"
    assert event.ip_address == IP


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "Enter the cost centre code"),
        ("MH COMM", "Code must only include letters, numbers and hyphens"),
        ("MH_01", "Code must only include letters, numbers and hyphens"),
        ("-MH01", "start with a letter or number"),
        ("=1+2", "Code must only include letters, numbers and hyphens"),
        ("A" * 21, "Code must be 20 characters or fewer"),
    ],
)
def test_create_cost_centre_with_bad_code_is_refused(app_ctx, make_user, code, message):
    admin = make_user(roles=(Role.FINANCE_ADMIN,))

    with pytest.raises(DomainError) as refused:
        services.create_cost_centre(actor=_actor(admin), code=code, name="X", ip_address=IP)

    assert refused.value.field == "code"
    assert message in refused.value.message


def test_create_cost_centre_with_code_in_use_in_other_case_is_refused(
    app_ctx, make_user, make_cost_centre
):
    make_cost_centre(code="MH-01")
    admin = make_user(roles=(Role.FINANCE_ADMIN,))

    with pytest.raises(DomainError) as refused:
        services.create_cost_centre(actor=_actor(admin), code="mh-01", name="X", ip_address=IP)

    assert (refused.value.field, refused.value.message) == (
        "code",
        "There is already a cost centre with this code",
    )


@pytest.mark.parametrize(
    "roles", [(Role.FINANCE_APPROVER,), (Role.COORDINATOR,), (Role.ADMIN,), (Role.EXPERT,)]
)
def test_create_cost_centre_as_anyone_but_finance_admin_is_refused(app_ctx, make_user, roles):
    with pytest.raises(PermissionDenied):
        services.create_cost_centre(
            actor=_actor(make_user(roles=roles)), code="MH-01", name="X", ip_address=IP
        )


def test_edit_cost_centre_records_changes_and_may_keep_its_own_code(
    app, app_ctx, make_user, make_cost_centre
):
    cost_centre = make_cost_centre(code="MH-01", name="Old")
    admin = make_user(roles=(Role.FINANCE_ADMIN,))

    services.edit_cost_centre(
        db.session.get(CostCentre, cost_centre.id),
        actor=_actor(admin),
        code="mh-02",
        name="New",
        is_active=False,
        ip_address=IP,
    )

    assert _cost_centres(app) == [("MH-02", "New", False)]
    (event,) = events("cost_centre.edited", app=app)
    assert event.detail == "code from MH-01 to MH-02; name from 'Old' to 'New'; closed"


def test_edit_cost_centre_to_another_ones_code_is_refused(app_ctx, make_user, make_cost_centre):
    make_cost_centre(code="TAKEN")
    mine = make_cost_centre(code="MINE")

    with pytest.raises(DomainError) as refused:
        services.edit_cost_centre(
            db.session.get(CostCentre, mine.id),
            actor=_actor(make_user(roles=(Role.FINANCE_ADMIN,))),
            code="taken",
            name="Mine",
            is_active=True,
            ip_address=IP,
        )

    assert refused.value.field == "code"


# Pages -------------------------------------------------------------------------------------


def test_index_lists_cost_centres_by_code_with_change_links(
    app, client, finance_admin, make_cost_centre
):
    make_cost_centre(code="ZZ-9", name="Last")
    make_cost_centre(code="AA-1", name="First")

    response = client.get("/finance/cost-centres/")

    assert response.status_code == 200
    assert table_rows(response) == [
        [
            "AA-1",
            "First",
            "None yet",
            "£250.00",
            "Open",
            "Change First (AA-1) Approvers of First (AA-1)",
        ],
        [
            "ZZ-9",
            "Last",
            "None yet",
            "£250.00",
            "Open",
            "Change Last (ZZ-9) Approvers of Last (ZZ-9)",
        ],
    ]
    assert "Add a cost centre" in page_text(response)


def test_index_for_finance_approver_is_read_only(client, make_user, make_cost_centre):
    cost_centre = make_cost_centre(code="AA-1", name="First")
    sign_in(client, make_user(roles=(Role.FINANCE_APPROVER,)))

    response = client.get("/finance/cost-centres/")

    assert response.status_code == 200
    assert table_rows(response) == [["AA-1", "First", "None yet", "£250.00", "Open"]]
    assert "Add a cost centre" not in page_text(response)
    assert client.get("/finance/cost-centres/new").status_code == 403
    assert client.get(f"/finance/cost-centres/{cost_centre.id}/edit").status_code == 403
    assert client.post(
        "/finance/cost-centres/new", data={"code": "X", "name": "Y"}
    ).status_code == (403)


def test_add_cost_centre_page(app, client, finance_admin):
    response = client.post(
        "/finance/cost-centres/new", data={"code": "mh-comm-01", "name": "Community"}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/finance/cost-centres/"
    assert _cost_centres(app) == [("MH-COMM-01", "Community", True)]
    assert "Community (MH-COMM-01) added." in page_text(client.get("/finance/cost-centres/"))
    assert len(events("cost_centre.created", app=app)) == 1


def test_add_cost_centre_with_code_in_use_shows_error_and_keeps_typing(
    app, client, finance_admin, make_cost_centre
):
    make_cost_centre(code="MH-01", name="Existing")

    response = client.post("/finance/cost-centres/new", data={"code": "mh-01", "name": "Typed"})

    assert response.status_code == 200
    assert field_error(response, "code") == "There is already a cost centre with this code"
    assert error_summary(response) == [("There is already a cost centre with this code", "#code")]
    assert input_value(response, "code") == "mh-01"
    assert input_value(response, "name") == "Typed"
    assert _count(app) == 1


def test_add_cost_centre_with_bad_code_and_no_name_shows_both_errors(client, finance_admin):
    response = client.post("/finance/cost-centres/new", data={"code": "MH 01!", "name": ""})

    assert error_summary(response) == [
        (
            "Code must only include letters, numbers and hyphens, and start with a letter or "
            "number",
            "#code",
        ),
        ("Enter the cost centre name", "#name"),
    ]
    assert input_value(response, "code") == "MH 01!"


def test_edit_cost_centre_page_shows_values_and_closes_it(
    app, client, finance_admin, make_cost_centre
):
    cost_centre = make_cost_centre(code="MH-01", name="Community")

    form = client.get(f"/finance/cost-centres/{cost_centre.id}/edit")
    response = client.post(
        f"/finance/cost-centres/{cost_centre.id}/edit",
        data={"code": "MH-01", "name": "Community", "is_active": "no"},
    )

    assert input_value(form, "code") == "MH-01"
    assert html(form).find(".//input[@id='is_active']").get("checked") is not None
    assert response.status_code == 302
    assert _cost_centres(app) == [("MH-01", "Community", False)]
    assert table_rows(client.get("/finance/cost-centres/"))[0][4] == "Closed"
    (event,) = events("cost_centre.edited", app=app)
    assert event.detail == "closed"


def test_edit_unknown_cost_centre_is_not_found(client, finance_admin):
    assert client.get("/finance/cost-centres/987654/edit").status_code == 404


def test_cost_centre_name_is_shown_as_text(client, finance_admin, make_cost_centre):
    make_cost_centre(code="X1", name=EVIL)

    page = client.get("/finance/cost-centres/").get_data(as_text=True)

    assert EVIL not in page
    assert "&lt;script&gt;" in page
