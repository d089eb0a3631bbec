"""Expenses and receipts through the browser's eyes: forms, downloads, who may see a receipt,
finance's category rules page, and query counts with expenses and receipts."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Callable
from datetime import date, timedelta
from io import BytesIO

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from payclaims.audit.models import AuditAction, AuditEvent
from payclaims.auth.models import Role, User
from payclaims.claims import access, drafts, expense_rules, expenses
from payclaims.claims.models import CapPeriod, OverCap
from payclaims.extensions import db
from payclaims.roles.expenses import ExpenseCategory
from payclaims.roles.models import RoleDescription, SignUp, SignUpStatus
from payclaims.uploads import MAX_UPLOAD_BYTES
from tests.helpers import (
    date_fields,
    error_near,
    html,
    load_claim,
    page_queries,
    page_text,
    png_bytes,
    sign_in,
)

LAST_WEEK = date.today() - timedelta(days=7)
PDF = b"%PDF-1.4\n%receipt\n"


@pytest.fixture
def coordinator(make_user: Callable[..., User]) -> User:
    """The role's coordinator."""
    return make_user(name="Cora Coordinator", roles=(Role.COORDINATOR,))


@pytest.fixture
def expert(make_user: Callable[..., User], give_bank_details: Callable[..., None]) -> User:
    """An expert by experience with bank details."""
    person = make_user(name="Eli Expert")
    give_bank_details(person)
    return person


@pytest.fixture
def role(make_role: Callable[..., RoleDescription], coordinator: User) -> RoleDescription:
    """A role covering public transport, taxis and mileage."""
    return make_role(
        coordinator=coordinator, expense_categories=["public_transport", "taxi", "mileage"]
    )


@pytest.fixture
def sign_up(make_sign_up: Callable[..., SignUp], role: RoleDescription, expert: User) -> SignUp:
    """The expert's accepted sign-up."""
    return make_sign_up(role, person=expert, status=SignUpStatus.ACCEPTED)


@pytest.fixture
def expense_claim(app: Flask, sign_up: SignUp) -> Callable[..., tuple[int, int, int]]:
    """A draft claim with ``lines`` public transport lines, each with a receipt; returns the
    claim, first line and first receipt ids."""

    def build(lines: int = 1) -> tuple[int, int, int]:
        with app.app_context():
            loaded = db.session.get(SignUp, sign_up.id)
            person = db.session.get(User, sign_up.person_id)
            assert loaded is not None and person is not None
            claim_id = drafts.start_claim(loaded, actor=person).id
            for number in range(lines):
                claim = access.load_claim(claim_id)
                assert claim is not None
                expenses.add_expense_line(
                    claim,
                    actor=person,
                    category=ExpenseCategory.PUBLIC_TRANSPORT,
                    session_on=LAST_WEEK - timedelta(days=number),
                    amount_pence=450,
                    receipts=[(f"ticket{number}.pdf", PDF + str(number).encode())],
                )
            claim = access.load_claim(claim_id)
            assert claim is not None
            line = claim.lines[0]
            return claim_id, line.id, line.receipts[0].id

    return build


def _post_expense(client: FlaskClient, claim_id: int, **fields: object) -> object:
    data: dict[str, object] = {"version": "1", **date_fields(LAST_WEEK), **fields}
    return client.post(
        f"/claims/{claim_id}/expenses/new", data=data, content_type="multipart/form-data"
    )


def _new_claim(app: Flask, sign_up: SignUp) -> int:
    with app.app_context():
        loaded = db.session.get(SignUp, sign_up.id)
        person = db.session.get(User, sign_up.person_id)
        assert loaded is not None and person is not None
        return drafts.start_claim(loaded, actor=person).id


# Adding expenses ---------------------------------------------------------------------------


def test_expense_form_offers_the_role_s_categories_and_the_camera(app, client, expert, sign_up):
    claim_id = _new_claim(app, sign_up)
    sign_in(client, expert)

    page = client.get(f"/claims/{claim_id}/expenses/new")

    text = page_text(page)
    assert "Taxi (with a reason)" in text and "Mileage in your own vehicle" in text
    assert "Childcare" not in text
    receipt_input = html(page).find(".//input[@type='file']")
    assert receipt_input is not None
    assert receipt_input.get("accept") == "image/*,application/pdf"
    assert receipt_input.get("capture") == "environment"
    assert receipt_input.get("multiple") is not None


def test_add_expense_with_a_receipt_photo_shows_it_on_the_claim(app, client, expert, sign_up):
    claim_id = _new_claim(app, sign_up)
    sign_in(client, expert)

    response = _post_expense(
        client,
        claim_id,
        category="public_transport",
        amount="4.50",
        description="Bus to Riverside House",
        receipts=[(BytesIO(png_bytes()), "IMG_1234.png")],
    )

    assert response.status_code == 302
    claim = load_claim(app, claim_id)
    (line,) = claim.lines
    assert (line.category, line.amount_pence, line.is_earnings_like) == (
        ExpenseCategory.PUBLIC_TRANSPORT,
        450,
        False,
    )
    text = page_text(client.get(f"/claims/{claim_id}"))
    assert "Bus to Riverside House" in text and "IMG_1234.png" in text and "£4.50" in text
    # The flashed message is a paragraph in the banner, not its markup shown as text.
    assert "Done Expense added to the claim." in text and "<p" not in text


def test_add_mileage_line_through_the_form_computes_the_amount(app, client, expert, sign_up):
    claim_id = _new_claim(app, sign_up)
    sign_in(client, expert)

    response = _post_expense(
        client, claim_id, category="mileage", miles="12.5", vehicle="car", passengers="1"
    )

    assert response.status_code == 302
    (line,) = load_claim(app, claim_id).lines
    assert line.miles_tenths == 125
    assert line.amount_pence == round(12.5 * 55 + 12.5 * 5)
    assert "12.5 miles, car or van, 1 passenger" in page_text(client.get(f"/claims/{claim_id}"))


def test_miles_with_two_decimals_are_refused_next_to_the_field(app, client, expert, sign_up):
    claim_id = _new_claim(app, sign_up)
    sign_in(client, expert)

    response = _post_expense(client, claim_id, category="mileage", miles="12.55", vehicle="car")

    assert response.status_code == 200
    assert "like 12 or 12.5" in error_near(response, "miles")


def test_taxi_without_a_reason_is_shown_next_to_the_reason(app, client, expert, sign_up):
    claim_id = _new_claim(app, sign_up)
    sign_in(client, expert)

    response = _post_expense(client, claim_id, category="taxi", amount="12.00")

    assert "Say why you needed a taxi" in error_near(response, "reason")
    assert load_claim(app, claim_id).lines == []


def test_receipt_of_the_wrong_type_is_shown_next_to_the_file_input(app, client, expert, sign_up):
    claim_id = _new_claim(app, sign_up)
    sign_in(client, expert)

    response = _post_expense(
        client,
        claim_id,
        category="public_transport",
        amount="4.50",
        receipts=[(BytesIO(b"MZ\x90\x00 not a receipt"), "receipt.pdf")],
    )

    assert "must be a PDF, JPG or PNG" in error_near(response, "receipts")
    assert load_claim(app, claim_id).lines == []


def test_receipt_over_10_mb_is_refused_next_to_the_file_input(app, client, expert, sign_up):
    claim_id = _new_claim(app, sign_up)
    sign_in(client, expert)
    too_big = PDF + b"0" * MAX_UPLOAD_BYTES

    # Werkzeug's test client spools a body this big to a temporary file it never closes: let
    # it go here, not as an "unraisable" warning in whichever test runs next.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        response = _post_expense(
            client,
            claim_id,
            category="public_transport",
            amount="4.50",
            receipts=[(BytesIO(too_big), "big.pdf")],
        )
        message = error_near(response, "receipts")
        del response
        gc.collect()

    assert "smaller than 10 MB" in message
    assert load_claim(app, claim_id).lines == []


def test_add_a_receipt_to_an_existing_line(app, client, expert, expense_claim):
    claim_id, line_id, _receipt_id = expense_claim()
    sign_in(client, expert)

    response = client.post(
        f"/claims/{claim_id}/lines/{line_id}/receipts",
        data={"version": "2", "receipts": [(BytesIO(png_bytes("blue")), "second.png")]},
        content_type="multipart/form-data",
    )

    assert response.status_code == 302
    assert [r.filename for r in load_claim(app, claim_id).lines[0].receipts] == [
        "ticket0.pdf",
        "second.png",
    ]


def test_remove_a_receipt_takes_it_off_the_line_and_records_it(app, client, expert, expense_claim):
    claim_id, _line_id, receipt_id = expense_claim()
    sign_in(client, expert)

    response = client.post(
        f"/claims/{claim_id}/receipts/{receipt_id}/remove", data={"version": "2"}
    )

    assert response.status_code == 302
    claim = load_claim(app, claim_id)
    assert claim.lines[0].receipts == []
    assert claim.version == 3


def test_submit_without_a_receipt_shows_the_message_on_the_line(app, client, expert, sign_up):
    claim_id = _new_claim(app, sign_up)
    sign_in(client, expert)
    _post_expense(client, claim_id, category="taxi", amount="12.00", reason="No bus at night")
    line_id = load_claim(app, claim_id).lines[0].id

    response = client.post(f"/claims/{claim_id}/send", data={"version": "2", "declaration": "y"})

    assert "Add a photo or file of the receipt" in error_near(response, f"line-{line_id}")


# Downloads and who may see them ---------------------------------------------------------------


def test_person_downloads_a_receipt_as_a_sandboxed_attachment(app, client, expert, expense_claim):
    claim_id, _line_id, receipt_id = expense_claim()
    sign_in(client, expert)

    response = client.get(f"/claims/{claim_id}/receipts/{receipt_id}")

    assert response.status_code == 200
    assert response.data == PDF + b"0"
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox"


def test_the_role_s_coordinator_can_download_a_receipt(client, coordinator, expense_claim):
    claim_id, _line_id, receipt_id = expense_claim()
    sign_in(client, coordinator)

    assert client.get(f"/claims/{claim_id}/receipts/{receipt_id}").status_code == 200


def test_staff_receipt_downloads_are_audited_and_the_person_s_are_not(
    app, client, expert, coordinator, expense_claim
):
    claim_id, _line_id, receipt_id = expense_claim()
    sign_in(client, expert)
    client.get(f"/claims/{claim_id}/receipts/{receipt_id}")
    sign_in(client, coordinator)
    client.get(f"/claims/{claim_id}/receipts/{receipt_id}")

    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.RECEIPT_DOWNLOADED.value)
        ).all()
        assert [(event.actor_id, event.subject_user_id) for event in events] == [
            (coordinator.id, expert.id)
        ]
        assert events[0].object_type == "claim" and events[0].object_id == claim_id


@pytest.mark.parametrize("intruder_roles", [(Role.EXPERT,), (Role.COORDINATOR,)])
def test_someone_else_guessing_receipt_and_line_ids_gets_not_found(
    app, client, make_user, expense_claim, intruder_roles
):
    claim_id, line_id, receipt_id = expense_claim()
    sign_in(client, make_user(roles=intruder_roles))

    requests = [
        ("GET", f"/claims/{claim_id}/receipts/{receipt_id}"),
        ("GET", f"/claims/{claim_id}/lines/{line_id}/receipts"),
        ("POST", f"/claims/{claim_id}/lines/{line_id}/receipts"),
        ("GET", f"/claims/{claim_id}/expenses/new"),
        ("POST", f"/claims/{claim_id}/expenses/new"),
        ("POST", f"/claims/{claim_id}/receipts/{receipt_id}/remove"),
    ]
    for method, path in requests:
        assert client.open(path, method=method).status_code == 404, (method, path)
    assert len(load_claim(app, claim_id).lines[0].receipts) == 1


def test_expert_guessing_a_receipt_of_another_claim_through_their_own_gets_not_found(
    app, client, make_user, make_sign_up, role, expense_claim
):
    claim_id, line_id, receipt_id = expense_claim()
    other = make_user()
    own_claim = _new_claim(app, make_sign_up(role, person=other, status=SignUpStatus.ACCEPTED))
    sign_in(client, other)

    assert client.get(f"/claims/{own_claim}/receipts/{receipt_id}").status_code == 404
    assert client.get(f"/claims/{own_claim}/lines/{line_id}/receipts").status_code == 404
    assert client.get(f"/claims/{claim_id}/receipts/{receipt_id + 1000}").status_code == 404
    remove = client.post(f"/claims/{own_claim}/receipts/{receipt_id}/remove", data={"version": "1"})
    assert remove.status_code == 404
    assert len(load_claim(app, claim_id).lines[0].receipts) == 1


@pytest.mark.parametrize("finance_role", [Role.FINANCE_APPROVER, Role.FINANCE_ADMIN])
def test_finance_cannot_download_receipts_yet(client, make_user, expense_claim, finance_role):
    claim_id, _line_id, receipt_id = expense_claim()
    sign_in(client, make_user(roles=(finance_role,)))

    assert client.get(f"/claims/{claim_id}/receipts/{receipt_id}").status_code == 403


# Finance's category rules ----------------------------------------------------------------------


def test_finance_admin_lists_and_changes_category_rules(app, client, make_user):
    admin = make_user(roles=(Role.FINANCE_ADMIN,))
    sign_in(client, admin)

    home = html(client.get("/finance"))
    menu_links = [link.get("href") for link in home.iter("a")]
    assert "/finance/expense-categories" in menu_links
    listing = page_text(client.get("/finance/expense-categories"))
    assert "Mileage in your own vehicle Receipt needed Never Cap No cap" in listing
    response = client.post(
        "/finance/expense-categories/taxi",
        data={
            "receipt_rule": "above",
            "receipt_above": "10.00",
            "cap": "40.00",
            "cap_period": "day",
            "over_cap": "refuse",
        },
    )

    assert response.status_code == 302
    listing = page_text(client.get("/finance/expense-categories"))
    assert (
        "Taxi (with a reason) Receipt needed Above £10.00 Cap £40.00 per day "
        "Over the cap Refuse the line"
    ) in listing
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert AuditAction.EXPENSE_CATEGORY_CHANGED in actions


def test_category_rules_with_a_bad_amount_show_it_next_to_the_field(client, make_user):
    sign_in(client, make_user(roles=(Role.FINANCE_ADMIN,)))

    response = client.post(
        "/finance/expense-categories/meals",
        data={
            "receipt_rule": "above",
            "receipt_above": "",
            "cap": "12.345",
            "cap_period": "claim",
            "over_cap": "cap",
        },
    )

    assert response.status_code == 200
    assert "Enter the amount above which" in error_near(response, "receipt_above")


@pytest.mark.parametrize("roles", [(Role.FINANCE_APPROVER,), (Role.EXPERT,), (Role.ADMIN,)])
def test_only_finance_admins_see_the_category_rules(client, make_user, roles):
    sign_in(client, make_user(roles=roles))

    assert client.get("/finance/expense-categories").status_code == 403
    assert client.get("/finance/expense-categories/taxi").status_code == 403


def test_unknown_category_is_not_found(client, make_user):
    sign_in(client, make_user(roles=(Role.FINANCE_ADMIN,)))

    assert client.get("/finance/expense-categories/yachts").status_code == 404


# Queries ------------------------------------------------------------------------------------


def test_claim_page_runs_the_same_queries_whatever_the_expenses_and_receipts(
    app, client, expert, expense_claim
):
    short, _line, _receipt = expense_claim(lines=1)
    long, _line, _receipt = expense_claim(lines=8)
    sign_in(client, expert)

    assert page_queries(app, client, f"/claims/{long}") == page_queries(
        app, client, f"/claims/{short}"
    )


def test_my_claims_runs_the_same_queries_with_expense_claims(app, client, expert, expense_claim):
    expense_claim(lines=1)
    sign_in(client, expert)
    few = page_queries(app, client, "/my-claims")

    for _ in range(4):
        expense_claim(lines=3)

    assert page_queries(app, client, "/my-claims") == few


def test_send_page_runs_the_same_queries_whatever_the_expenses(app, client, expert, expense_claim):
    short, _line, _receipt = expense_claim(lines=1)
    long, _line, _receipt = expense_claim(lines=6)
    sign_in(client, expert)

    assert page_queries(app, client, f"/claims/{long}/send") == page_queries(
        app, client, f"/claims/{short}/send"
    )


def test_send_page_says_which_line_will_be_capped(app, client, expert, make_user, expense_claim):
    claim_id, _line_id, _receipt_id = expense_claim(lines=2)
    admin = make_user(roles=(Role.FINANCE_ADMIN,))
    with app.app_context():
        expense_rules.save_category_rules(
            ExpenseCategory.PUBLIC_TRANSPORT,
            actor=db.session.get(User, admin.id),  # type: ignore[arg-type]
            receipt_above_pence=0,
            cap_pence=500,
            cap_period=CapPeriod.CLAIM,
            over_cap=OverCap.CAP,
            ip_address=None,
        )
    sign_in(client, expert)

    text = page_text(client.get(f"/claims/{claim_id}/send"))

    # Lines count in date order: the earlier one (the second added) is paid in full.
    assert (
        "Capped: public transport (bus, train, tram) is paid up to £5.00 per claim, so £0.50 "
        "of the £4.50 claimed is paid"
    ) in text
