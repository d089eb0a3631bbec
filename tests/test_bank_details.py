"""Bank details: adding and changing them (mandate fraud controls), finance confirming them,
encryption at rest, masking on every page, and key rotation."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from payclaims import crypto
from payclaims.audit.models import AuditEvent
from payclaims.auth.models import Role, User
from payclaims.database import utc_now
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db
from payclaims.people import bank_details
from payclaims.people.bank_details import NewBankDetails
from payclaims.people.models import BankDetails
from tests.conftest import PASSWORD, TEST_BANK_DETAILS_KEY, sign_in
from tests.helpers import events, field_error, input_value, page_text, rows_of

NAME = "Eli J Expert"
SORT_CODE = "123456"
ACCOUNT = "12345678"
ROLL = "ROLL/98765432"
# How the same details look typed by a person.
TYPED = {
    "name_on_account": NAME,
    "sort_code": "12-34-56",
    "account_number": "1234 5678",
    "roll_number": ROLL,
    "password": PASSWORD,
}
# Every plain value that must never be stored or logged, in the forms people type them.
SECRETS = (SORT_CODE, "12-34-56", "12 34 56", ACCOUNT, "1234 5678", ROLL, "98765432", NAME)
PAGE_SECRETS = (SORT_CODE, "12-34-56", "12 34 56", ACCOUNT, "1234 5678", ROLL, "98765432")


@pytest.fixture
def expert(make_user: Callable[..., User]) -> User:
    """An expert by experience."""
    return make_user(name="Eli Expert", email="eli@example.org", roles=(Role.EXPERT,))


@pytest.fixture
def finance(make_user: Callable[..., User]) -> User:
    """A finance approver."""
    return make_user(name="Fay Finance", email="fay@example.org", roles=(Role.FINANCE_APPROVER,))


@pytest.fixture
def store_details(app: Flask) -> Callable[..., int]:
    """Store bank details for ``person`` as the service would; returns the row's id."""

    def build(
        person: User,
        *,
        name: str = NAME,
        sort_code: str = SORT_CODE,
        account_number: str = ACCOUNT,
        roll_number: str | None = None,
        confirmed_by: User | None = None,
        created_by: User | None = None,
        age: timedelta = timedelta(0),
    ) -> int:
        with app.app_context():
            fernet = crypto.build_fernet(app.config["BANK_DETAILS_KEYS"])
            row = BankDetails(
                person_id=person.id,
                name_on_account_encrypted=crypto.encrypt(fernet, name),
                sort_code_encrypted=crypto.encrypt(fernet, sort_code),
                account_number_encrypted=crypto.encrypt(fernet, account_number),
                roll_number_encrypted=crypto.encrypt(fernet, roll_number) if roll_number else None,
                created_at=utc_now() - age,
                created_by_id=(created_by or person).id,
                confirmed_at=utc_now() if confirmed_by else None,
                confirmed_by_id=confirmed_by.id if confirmed_by else None,
            )
            db.session.add(row)
            db.session.commit()
            return row.id

    return build


# Helpers -----------------------------------------------------------------------------------


def change(client: FlaskClient, **overrides: str) -> TestResponse:
    """Submit the change form with the typed details, overriding some fields."""
    return client.post("/account/bank-details/change", data={**TYPED, **overrides})


def assert_no_secrets(text: str, secrets: tuple[str, ...] = SECRETS) -> None:
    """None of the plain values appears in ``text``."""
    found = [secret for secret in secrets if secret in text]
    assert not found, f"plain bank details found: {found}"


# Adding and changing -----------------------------------------------------------------------


def test_add_details_typed_with_dashes_and_spaces_saves_them_masked(app, client, expert):
    sign_in(client, expert)

    response = change(client)

    assert response.status_code == 302
    assert response.headers["Location"] == "/account/bank-details"
    page = client.get("/account/bank-details")
    text = page_text(page)
    assert "Your bank details have been saved" in text
    assert NAME in text
    assert "**-**-56" in text
    assert "ending 5678" in text
    assert "****5432" in text
    assert "Waiting for our finance team to check them" in text
    assert_no_secrets(page.get_data(as_text=True), PAGE_SECRETS)
    (row,) = rows_of(app, BankDetails)
    assert row.person_id == expert.id
    assert row.created_by_id == expert.id
    assert row.confirmed_at is None
    assert row.superseded_at is None


def test_add_details_service_stores_digits_only(app, expert):
    with app.test_request_context():
        person = db.session.get(User, expert.id)
        assert person is not None
        bank_details.change_bank_details(
            person,
            actor=person,
            details=NewBankDetails(NAME, "12 34 56", "1234-5678"),
            password=PASSWORD,
            ip_address="127.0.0.1",
        )
        (row,) = db.session.scalars(select(BankDetails))
        fernet = crypto.build_fernet([TEST_BANK_DETAILS_KEY])
        assert crypto.decrypt(fernet, row.sort_code_encrypted) == SORT_CODE
        assert crypto.decrypt(fernet, row.account_number_encrypted) == ACCOUNT
        assert row.roll_number_encrypted is None


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("sort_code", "12345", "Sort code must be 6 digits"),
        ("sort_code", "1234567", "Sort code must be 6 digits"),
        ("sort_code", "12-ab-56", "Enter a valid sort code, like 30-94-57"),
        ("sort_code", "", "Enter a sort code"),
        ("account_number", "1234567", "Account number must be 8 digits"),
        ("account_number", "123456789", "Account number must be 8 digits"),
        ("account_number", "1234abcd", "Enter a valid account number, like 00733445"),
        ("account_number", "", "Enter an account number"),
        ("name_on_account", "", "Enter the name on the account"),
        ("name_on_account", "A" * 71, "Name on the account must be 70 characters or fewer"),
        (
            "roll_number",
            "ROLL#1",
            "Building society roll number must only include letters, numbers, spaces, "
            "hyphens, slashes and full stops",
        ),
        ("roll_number", "A" * 19, "Building society roll number must be 18 characters or fewer"),
        ("password", "", "Enter your password"),
    ],
)
def test_change_with_wrong_format_shows_message_and_saves_nothing(
    app, client, expert, outbox, field, typed, message
):
    sign_in(client, expert)

    response = change(client, **{field: typed})

    assert response.status_code == 200
    assert field_error(response, field) == message
    assert rows_of(app, BankDetails) == []
    assert outbox() == []
    assert events(app, "bank_details.changed") == []


def test_change_with_an_error_keeps_what_was_typed_but_never_the_password(app, client, expert):
    sign_in(client, expert)

    response = change(client, sort_code="12345")

    assert input_value(response, "name_on_account") == NAME
    assert input_value(response, "sort_code") == "12345"
    assert input_value(response, "account_number") == "1234 5678"
    assert input_value(response, "roll_number") == ROLL
    assert input_value(response, "password") in (None, "")
    assert PASSWORD not in response.get_data(as_text=True)


def test_change_with_wrong_password_is_refused_and_saves_nothing(app, client, expert, outbox):
    sign_in(client, expert)

    response = change(client, password="not my password at all")

    assert response.status_code == 200
    assert field_error(response, "password") == "Your password is not right"
    assert input_value(response, "sort_code") == "12-34-56"
    assert input_value(response, "account_number") == "1234 5678"
    assert "not my password at all" not in response.get_data(as_text=True)
    assert rows_of(app, BankDetails) == []
    assert outbox() == []
    assert events(app, "bank_details.changed") == []


def test_change_is_emailed_to_the_address_on_file_masked(app, client, expert, outbox):
    sign_in(client, expert)

    change(client)

    (message,) = outbox()
    assert message.to == ["eli@example.org"]
    assert "bank details were changed" in message.subject
    body = str(message.body)
    assert "**-**-56" in body
    assert "ending 5678" in body
    assert "If this was not you, contact involvement@example.org straight away" in body
    assert_no_secrets(body + message.subject)


def test_change_is_audited_with_masked_values_only(app, client, expert):
    sign_in(client, expert)

    change(client)

    (event,) = events(app, "bank_details.changed")
    assert event.actor_id == expert.id
    assert event.subject_user_id == expert.id
    assert event.ip_address == "127.0.0.1"
    assert "**-**-56" in event.detail
    assert "****5678" in event.detail
    assert_no_secrets(event.detail)
    (row,) = rows_of(app, BankDetails)
    assert (event.object_type, event.object_id) == ("bank_details", row.id)


def test_second_change_supersedes_the_first_and_waits_for_finance(
    app, client, expert, finance, store_details
):
    first = store_details(expert, confirmed_by=finance)
    sign_in(client, expert)

    response = change(client, account_number="87654321")

    assert response.status_code == 302
    old, new = rows_of(app, BankDetails)
    assert old.id == first
    assert old.superseded_at is not None
    assert old.confirmed_at is not None  # history is kept as it was
    assert new.superseded_at is None
    assert new.confirmed_at is None
    text = page_text(client.get("/account/bank-details"))
    assert "ending 4321" in text
    assert "Waiting for our finance team to check them" in text
    (event,) = events(app, "bank_details.changed")
    assert event.detail.startswith("changed ")


def test_change_to_the_same_details_is_refused(app, client, expert, store_details):
    store_details(expert)
    sign_in(client, expert)

    response = change(client, roll_number="")

    assert field_error(response, "account_number") == (
        "These are the bank details we already have for you"
    )
    assert len(rows_of(app, BankDetails)) == 1


def test_change_page_never_shows_stored_numbers(app, client, expert, store_details):
    store_details(expert)
    sign_in(client, expert)

    response = client.get("/account/bank-details/change")

    assert response.status_code == 200
    assert "Change your bank details" in page_text(response)
    assert input_value(response, "sort_code") in (None, "")
    assert input_value(response, "account_number") in (None, "")
    assert_no_secrets(response.get_data(as_text=True))


def test_change_service_for_someone_else_is_refused(app, expert, make_user):
    other = make_user(roles=(Role.EXPERT,))
    with app.app_context():
        person = db.session.get(User, other.id)
        actor = db.session.get(User, expert.id)
        assert person is not None and actor is not None
        with pytest.raises(PermissionDenied):
            bank_details.change_bank_details(
                person,
                actor=actor,
                details=NewBankDetails(NAME, SORT_CODE, ACCOUNT),
                password=PASSWORD,
                ip_address=None,
            )
    assert rows_of(app, BankDetails) == []


def test_use_without_a_key_in_development_gives_a_clear_error(make_app, make_user):
    app = make_app(BANK_DETAILS_KEYS=[])
    person = make_user(roles=(Role.EXPERT,))
    with app.app_context():
        user = db.session.get(User, person.id)
        assert user is not None
        with pytest.raises(crypto.BankKeyError, match="BANK_DETAILS_KEYS"):
            bank_details.change_bank_details(
                user,
                actor=user,
                details=NewBankDetails(NAME, SORT_CODE, ACCOUNT),
                password=PASSWORD,
                ip_address=None,
            )


# What experts see ---------------------------------------------------------------------------


def test_expert_sees_only_their_own_details(app, client, expert, make_user, store_details):
    other = make_user(name="Olive Other", roles=(Role.EXPERT,))
    store_details(other, name="Olive Other", account_number="99990000")
    sign_in(client, expert)

    response = client.get("/account/bank-details")

    text = page_text(response)
    assert "You have not given us your bank details yet" in text
    assert "0000" not in text
    assert "Olive Other" not in text


def test_confirmed_details_show_the_date_finance_checked_them(
    app, client, expert, finance, store_details
):
    store_details(expert, confirmed_by=finance)
    sign_in(client, expert)

    text = page_text(client.get("/account/bank-details"))

    assert "Checked by finance on" in text
    assert "Waiting for our finance team" not in text


def test_account_and_home_pages_link_to_bank_details(app, client, expert, store_details):
    store_details(expert)
    sign_in(client, expert)

    account = client.get("/account")
    home = client.get("/expert")

    assert "Added, waiting for our finance team to check them" in page_text(account)
    assert 'href="/account/bank-details/change"' in account.get_data(as_text=True)
    assert 'href="/account/bank-details"' in home.get_data(as_text=True)
    for response in (account, home):
        assert_no_secrets(response.get_data(as_text=True), PAGE_SECRETS)


@pytest.mark.parametrize("roles", [(Role.COORDINATOR,), (Role.ADMIN,), (Role.FINANCE_ADMIN,)])
def test_staff_without_expert_role_cannot_open_the_expert_pages(client, make_user, roles):
    sign_in(client, make_user(roles=roles))

    assert client.get("/account/bank-details").status_code == 403
    assert client.post("/account/bank-details/change", data=TYPED).status_code == 403


# Finance -----------------------------------------------------------------------------------


def test_finance_page_lists_waiting_details_oldest_first_masked(
    app, client, finance, make_user, store_details
):
    newer = make_user(name="Nia Newer", roles=(Role.EXPERT,))
    older = make_user(name="Otto Older", roles=(Role.EXPERT,))
    store_details(newer, account_number="11112222", age=timedelta(hours=1))
    store_details(older, account_number="33334444", age=timedelta(days=2))
    sign_in(client, finance)

    response = client.get("/finance/bank-details")

    assert response.status_code == 200
    text = page_text(response)
    assert text.index("Otto Older") < text.index("Nia Newer")
    assert "****2222" in text and "****4444" in text
    assert "**-**-56" in text
    assert "phone number or email address we already knew" in text
    body = response.get_data(as_text=True)
    for secret in ("11112222", "33334444", SORT_CODE, "12-34-56"):
        assert secret not in body


def test_finance_confirms_details_and_it_is_audited(
    app, client, expert, finance, store_details, outbox
):
    details_id = store_details(expert)
    sign_in(client, finance)

    response = client.post(f"/finance/bank-details/{details_id}/confirm")

    assert response.status_code == 302
    (row,) = rows_of(app, BankDetails)
    assert row.confirmed_by_id == finance.id
    assert row.confirmed_at is not None
    (event,) = events(app, "bank_details.confirmed")
    assert event.actor_id == finance.id
    assert event.subject_user_id == expert.id
    assert "****5678" in event.detail
    assert_no_secrets(event.detail)
    page = client.get("/finance/bank-details")
    text = page_text(page)
    assert "Bank details confirmed for Eli Expert" in text
    assert "There are no bank details waiting to be checked" in text
    assert "Fay Finance" in text  # in the recently checked list


def test_the_person_is_emailed_when_finance_confirms_their_details(
    app, client, expert, finance, make_user, store_details, outbox
):
    details_id = store_details(expert)
    sign_in(client, finance)
    client.post(f"/finance/bank-details/{details_id}/confirm")
    other_client = app.test_client()
    sign_in(other_client, make_user(name="Sid Second", roles=(Role.FINANCE_ADMIN,)))
    other_client.post(f"/finance/bank-details/{details_id}/confirm")  # too late: no email

    (message,) = outbox()
    assert message.to == ["eli@example.org"]
    assert "checked your bank details" in message.subject
    body = " ".join(str(message.body).split())
    assert "into the account ending 5678" in body
    assert "If you did not give us these details, contact involvement@example.org" in body
    assert_no_secrets(body + message.subject)


def test_finance_cannot_confirm_their_own_details(app, client, make_user, store_details):
    both = make_user(name="Bo Both", roles=(Role.EXPERT, Role.FINANCE_ADMIN))
    details_id = store_details(both)
    sign_in(client, both)

    listed = page_text(client.get("/finance/bank-details"))
    response = client.post(f"/finance/bank-details/{details_id}/confirm", follow_redirects=True)

    assert "Another member of the finance team needs to check these" in listed
    assert "You cannot confirm your own bank details" in page_text(response)
    (row,) = rows_of(app, BankDetails)
    assert row.confirmed_at is None
    assert events(app, "bank_details.confirmed") == []


def test_finance_cannot_confirm_details_they_entered_for_someone(
    app, expert, finance, store_details
):
    details_id = store_details(expert, created_by=finance)
    with app.app_context():
        details = db.session.get(BankDetails, details_id)
        actor = db.session.get(User, finance.id)
        assert details is not None and actor is not None
        with pytest.raises(PermissionDenied):
            bank_details.confirm_bank_details(details, actor=actor, ip_address=None)


def test_confirm_twice_gives_one_confirmation(
    app, client, expert, finance, make_user, store_details
):
    details_id = store_details(expert)
    second = make_user(name="Sid Second", roles=(Role.FINANCE_ADMIN,))
    sign_in(client, finance)
    client.post(f"/finance/bank-details/{details_id}/confirm")
    other_client = app.test_client()
    sign_in(other_client, second)

    response = other_client.post(
        f"/finance/bank-details/{details_id}/confirm", follow_redirects=True
    )

    assert "already been confirmed" in page_text(response)
    (row,) = rows_of(app, BankDetails)
    assert row.confirmed_by_id == finance.id
    assert len(events(app, "bank_details.confirmed")) == 1


def test_confirm_replaced_details_is_refused(app, expert, finance, store_details):
    details_id = store_details(expert)
    with app.app_context():
        db.session.execute(
            sa.update(BankDetails)
            .where(BankDetails.id == details_id)
            .values(superseded_at=utc_now())
        )
        db.session.commit()
        details = db.session.get(BankDetails, details_id)
        actor = db.session.get(User, finance.id)
        assert details is not None and actor is not None
        with pytest.raises(DomainError, match="changed them since"):
            bank_details.confirm_bank_details(details, actor=actor, ip_address=None)
    (row,) = rows_of(app, BankDetails)
    assert row.confirmed_at is None


def test_confirm_guessed_id_is_not_found(app, client, finance):
    sign_in(client, finance)

    assert client.post("/finance/bank-details/987654/confirm").status_code == 404


@pytest.mark.parametrize(
    "roles", [(Role.EXPERT,), (Role.COORDINATOR,), (Role.ADMIN,)], ids=lambda r: r[0].value
)
def test_non_finance_cannot_see_or_confirm_anyones_details(
    app, client, expert, make_user, store_details, roles
):
    details_id = store_details(expert)
    sign_in(client, make_user(roles=roles))

    listing = client.get("/finance/bank-details")
    confirming = client.post(f"/finance/bank-details/{details_id}/confirm")

    assert listing.status_code == 403
    assert confirming.status_code == 403
    assert "5678" not in listing.get_data(as_text=True)
    (row,) = rows_of(app, BankDetails)
    assert row.confirmed_at is None


def test_finance_home_counts_details_to_check(app, client, expert, finance, store_details):
    store_details(expert)
    sign_in(client, finance)

    response = client.get("/finance")

    text = page_text(response)
    assert "Bank details to check" in text
    assert "1 waiting" in text


# Nothing in plain text: database, logs, audit trail, email ----------------------------------


def test_database_holds_no_plain_bank_details(app, client, expert):
    sign_in(client, expert)
    change(client)
    change(client, account_number="8765 4321", sort_code="65 43 21")

    with app.app_context(), db.engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT * FROM bank_details").all()
    assert len(stored) == 2
    text = " ".join(str(value) for row in stored for value in row)
    assert_no_secrets(text, (*SECRETS, "87654321", "654321"))


def test_logs_audit_and_email_never_hold_plain_numbers(
    app, client, expert, finance, outbox, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    sign_in(client, expert)
    change(client, password="wrong password here")
    change(client, sort_code="12345")
    change(client)
    finance_client = app.test_client()
    sign_in(finance_client, finance)
    finance_client.get("/finance/bank-details")
    (row,) = rows_of(app, BankDetails)
    finance_client.post(f"/finance/bank-details/{row.id}/confirm")
    client.get("/account/bank-details")

    logged = "\n".join(
        f"{record.getMessage()} {record.args!r} {record.exc_text or ''}"
        for record in caplog.records
    )
    assert_no_secrets(logged)
    with app.app_context():
        audit = [
            f"{event.detail} {event.object_type}"
            for event in db.session.scalars(select(AuditEvent))
        ]
    assert any("bank_details" in line for line in audit)
    assert_no_secrets(" ".join(audit))
    assert_no_secrets(" ".join(f"{message.subject} {message.body}" for message in outbox()))


# Key rotation ------------------------------------------------------------------------------


def test_rotate_bank_keys_re_encrypts_so_the_old_key_can_go(
    make_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    new_key = Fernet.generate_key().decode()
    person = make_user(roles=(Role.EXPERT,))
    old_app = make_app()
    with old_app.test_request_context():
        user = db.session.get(User, person.id)
        assert user is not None
        bank_details.change_bank_details(
            user,
            actor=user,
            details=NewBankDetails(NAME, SORT_CODE, ACCOUNT, ROLL),
            password=PASSWORD,
            ip_address=None,
        )

    both = make_app(BANK_DETAILS_KEYS=[new_key, TEST_BANK_DETAILS_KEY])
    result = both.test_cli_runner().invoke(args=["rotate-bank-keys"])

    assert result.exit_code == 0, result.output
    assert "Re-encrypted 1 bank details record" in result.output
    new_only = make_app(BANK_DETAILS_KEYS=[new_key])
    with new_only.app_context():
        user = db.session.get(User, person.id)
        assert user is not None
        shown = bank_details.current_details(user)
        assert shown is not None
        assert shown.account_number == "****5678"
        assert shown.name_on_account == NAME
        assert shown.roll_number == "****5432"
        (event,) = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "bank_details.keys_rotated")
        )
        assert event.detail.startswith("1 records")
    with old_app.app_context():
        user = db.session.get(User, person.id)
        assert user is not None
        with pytest.raises(crypto.UnreadableToken):
            bank_details.current_details(user)


def test_rotate_bank_keys_without_a_key_says_what_to_do(make_app: Callable[..., Flask]) -> None:
    app = make_app(BANK_DETAILS_KEYS=[])

    result = app.test_cli_runner().invoke(args=["rotate-bank-keys"])

    assert result.exit_code != 0
    assert "BANK_DETAILS_KEYS" in result.output
