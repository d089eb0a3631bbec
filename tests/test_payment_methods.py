"""Another payment method: finance admins recording and ending another way to pay someone
without bank details, what the person sees, and the claim submission check that accepts it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy.exc import IntegrityError

from payclaims.auth.models import Role, User
from payclaims.claims import services as claim_services
from payclaims.claims.models import Claim, ClaimStatus
from payclaims.database import utc_now
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db
from payclaims.people import confirmation, payment_methods, payment_setup
from payclaims.people.models import OtherPaymentMethod, PaymentMethod
from payclaims.people.payment_methods import NewPaymentMethod
from payclaims.people.payment_setup import PaidBy
from payclaims.roles.models import RoleDescription, SignUp, SignUpStatus
from tests.conftest import sign_in
from tests.helpers import events, field_error, html, page_text, rows_of

LAST_WEEK = date.today() - timedelta(days=7)
CHEQUE = NewPaymentMethod(PaymentMethod.CHEQUE, "", "No bank account; agreed by phone")
APPOINTEE = NewPaymentMethod(PaymentMethod.APPOINTEE, "Mary Jones (appointee)", "Appointee")


@pytest.fixture
def expert(make_user: Callable[..., User]) -> User:
    """An expert by experience with no bank details."""
    return make_user(name="Eli Expert", email="eli@example.org", roles=(Role.EXPERT,))


@pytest.fixture
def finance_admin(make_user: Callable[..., User]) -> User:
    """A finance admin: records and ends payment methods."""
    return make_user(name="Gina Admin", email="gina@example.org", roles=(Role.FINANCE_ADMIN,))


@pytest.fixture
def approver(make_user: Callable[..., User]) -> User:
    """A finance approver: sees how people are paid, changes nothing."""
    return make_user(name="Fay Approver", email="fay@example.org", roles=(Role.FINANCE_APPROVER,))


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An application context for calling services."""
    with app.test_request_context():
        yield


def _user(user: User) -> User:
    loaded = db.session.get(User, user.id)
    assert loaded is not None
    return loaded


def _record(person: User, actor: User, new: NewPaymentMethod = CHEQUE) -> OtherPaymentMethod:
    return payment_methods.record_payment_method(
        _user(person), actor=_user(actor), new=new, ip_address="127.0.0.1"
    )


def _given_method(app: Flask, person: User, actor: User, new: NewPaymentMethod = CHEQUE) -> int:
    with app.test_request_context():
        return _record(person, actor, new).id


# Recording and ending (services) -----------------------------------------------------------


@pytest.mark.usefixtures("ctx")
def test_record_method_as_finance_admin_stores_audits_and_emails(
    app, expert, finance_admin, outbox
):
    row = _record(expert, finance_admin, APPOINTEE)

    assert row.method is PaymentMethod.APPOINTEE
    assert row.details == "Mary Jones (appointee)"
    assert row.recorded_by_id == finance_admin.id
    assert row.is_current
    (event,) = events(app, "payment_method.recorded")
    assert event.actor_id == finance_admin.id
    assert event.subject_user_id == expert.id
    assert event.object_type == "other_payment_method"
    assert event.object_id == row.id
    assert "Paid to an appointee or organisation (Mary Jones (appointee))" in event.detail
    assert event.action_label == "Another payment method recorded by finance"
    (message,) = outbox()
    assert message.to == ["eli@example.org"]
    assert "Finance recorded how we pay you" in message.subject
    assert "through an appointee or organisation" in str(message.body)
    assert "/account/bank-details" in str(message.body)


@pytest.mark.usefixtures("ctx")
def test_record_method_for_yourself_is_refused(make_user, outbox):
    both = make_user(name="Expert And Admin", roles=(Role.EXPERT, Role.FINANCE_ADMIN))

    with pytest.raises(PermissionDenied, match="cannot set how you are paid yourself"):
        _record(both, both)

    assert payment_methods.current_payment_method(_user(both)) is None
    assert outbox() == []


@pytest.mark.usefixtures("ctx")
def test_record_method_as_finance_approver_is_refused(expert, approver):
    with pytest.raises(PermissionDenied, match="Only a finance admin"):
        _record(expert, approver)


@pytest.mark.usefixtures("ctx")
def test_record_method_for_someone_who_is_not_an_expert_is_refused(make_user, finance_admin):
    coordinator = make_user(roles=(Role.COORDINATOR,))

    with pytest.raises(PermissionDenied, match="only pay experts"):
        _record(coordinator, finance_admin)


@pytest.mark.usefixtures("ctx")
def test_record_second_method_while_one_is_current_is_refused(app, expert, finance_admin):
    _record(expert, finance_admin)

    with pytest.raises(DomainError, match=r"already paid by cheque\. End that first") as raised:
        _record(expert, finance_admin, APPOINTEE)

    assert raised.value.field == "method"
    assert len(rows_of(app, OtherPaymentMethod)) == 1


def test_two_current_methods_are_refused_by_the_database(app, expert, finance_admin):
    # The partial unique index holds even if two finance admins record at the same moment.
    with app.app_context():
        for _ in range(2):
            db.session.add(
                OtherPaymentMethod(
                    person_id=expert.id,
                    method=PaymentMethod.CHEQUE,
                    reason="race",
                    recorded_by_id=finance_admin.id,
                )
            )
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


@pytest.mark.parametrize(
    "details",
    [
        "Sort code 12-34-56, account 12345678",
        "12 34 56 1234 5678",
        "123456 12345678",
        "12345612345678",
        "Card 4111 1111 1111 1111",
        "sort 12.34.56 acc 12345678",
        "4111.1111.1111.1111",
        "Sort 12/34/56, account 1234/5678",
        "card 4111 - 1111 / 1111 . 1111",
    ],
)
@pytest.mark.usefixtures("ctx")
def test_record_method_with_bank_numbers_in_details_is_refused(app, expert, finance_admin, details):
    new = NewPaymentMethod(PaymentMethod.OTHER, details, "No account")

    with pytest.raises(DomainError, match="looks like a sort code and account number") as raised:
        _record(expert, finance_admin, new)

    assert raised.value.field == "details"
    assert rows_of(app, OtherPaymentMethod) == []


@pytest.mark.usefixtures("ctx")
def test_record_method_with_bank_numbers_in_the_reason_is_refused(expert, finance_admin):
    new = NewPaymentMethod(PaymentMethod.CHEQUE, "", "Old account 12-34-56 12345678 closed")

    with pytest.raises(DomainError, match="looks like a sort code") as raised:
        _record(expert, finance_admin, new)

    assert raised.value.field == "reason"


@pytest.mark.parametrize(
    "details",
    [
        "Call Mary on 07700 900123",
        "Mind in Camden, ref 123456",
        "Cheques to 12 High St, N1 1AA",
        "Ref 123456. Agreed on 12.03.25",
    ],
)
def test_details_without_bank_numbers_are_accepted(details):
    assert payment_methods.payment_details_problem(details, PaymentMethod.OTHER) is None


@pytest.mark.usefixtures("ctx")
def test_record_appointee_without_their_name_is_refused(expert, finance_admin):
    new = NewPaymentMethod(PaymentMethod.APPOINTEE, "  ", "Appointee")

    with pytest.raises(DomainError, match="name of the appointee") as raised:
        _record(expert, finance_admin, new)

    assert raised.value.field == "details"


@pytest.mark.usefixtures("ctx")
def test_end_method_keeps_history_audits_emails_and_allows_a_new_one(
    app, expert, finance_admin, outbox
):
    row = _record(expert, finance_admin)

    payment_methods.end_payment_method(
        row, actor=_user(finance_admin), reason="Has a bank account now", ip_address=None
    )
    _record(expert, finance_admin, APPOINTEE)

    first, second = rows_of(app, OtherPaymentMethod)
    assert first.ended_at is not None
    assert first.ended_by_id == finance_admin.id
    assert first.end_reason == "Has a bank account now"
    assert second.is_current
    assert [m.id for m in payment_methods.payment_method_history(_user(expert))] == [
        second.id,
        first.id,
    ]
    (event,) = events(app, "payment_method.ended")
    assert event.subject_user_id == expert.id
    assert "Has a bank account now" in event.detail
    subjects = [message.subject for message in outbox()]
    assert any("Finance changed how we pay you" in subject for subject in subjects)
    ended_email = outbox()[1]
    assert "no longer pay you by cheque" in str(ended_email.body)
    assert "add your bank details" in str(ended_email.body)


@pytest.mark.usefixtures("ctx")
def test_end_method_twice_is_refused(expert, finance_admin):
    row = _record(expert, finance_admin)
    stale = payment_methods.payment_method_or_none(row.id)
    assert stale is not None
    payment_methods.end_payment_method(
        row, actor=_user(finance_admin), reason="Done", ip_address=None
    )

    db.session.expire_all()
    with pytest.raises(DomainError, match="already been ended"):
        payment_methods.end_payment_method(
            stale, actor=_user(finance_admin), reason="Again", ip_address=None
        )


@pytest.mark.usefixtures("ctx")
def test_end_method_without_a_reason_is_refused(expert, finance_admin):
    row = _record(expert, finance_admin)

    with pytest.raises(DomainError, match="Enter why") as raised:
        payment_methods.end_payment_method(
            row, actor=_user(finance_admin), reason=" ", ip_address=None
        )

    assert raised.value.field == "reason"
    assert row.is_current


# What a person is paid by --------------------------------------------------------------------


def test_payment_setup_follows_bank_details_and_prefers_another_method(
    app, expert, finance_admin, give_bank_details
):
    with app.app_context():
        assert payment_setup.payment_setup(_user(expert)).paid_by is PaidBy.NOTHING
        assert not payment_setup.payment_setup(_user(expert)).can_claim
    give_bank_details(expert)
    with app.app_context():
        setup = payment_setup.payment_setup(_user(expert))
        assert setup.paid_by is PaidBy.BANK_DETAILS_UNCONFIRMED
        assert setup.can_claim and not setup.can_be_paid
    _given_method(app, expert, finance_admin)
    with app.app_context():
        setup = payment_setup.payment_setup(_user(expert))
        assert setup.paid_by is PaidBy.OTHER_METHOD
        assert setup.can_claim and not setup.can_be_paid  # nobody has checked it yet
        assert setup.other_method is not None
        assert setup.other_method.method is PaymentMethod.CHEQUE
        assert payment_setup.status_text(_user(expert)) == "Finance pays you by cheque"


def test_payment_setup_with_confirmed_bank_details_can_be_paid(
    app, expert, finance_admin, give_bank_details
):
    give_bank_details(expert, confirmed_by=finance_admin)

    with app.app_context():
        setup = payment_setup.payment_setup(_user(expert))

    assert setup.paid_by is PaidBy.BANK_DETAILS_CONFIRMED
    assert setup.can_be_paid


# Finance pages -------------------------------------------------------------------------------


def test_search_people_finds_experts_by_name_or_email_with_their_set_up(
    app, client, make_user, expert, finance_admin, give_bank_details
):
    make_user(name="Ann Other", email="ann@example.org")
    make_user(name="Cora Coordinator", roles=(Role.COORDINATOR,))
    give_bank_details(expert, confirmed_by=finance_admin)
    sign_in(client, finance_admin)

    everyone = page_text(client.get("/finance/people"))
    by_email = page_text(client.get("/finance/people?q=ELI@example"))

    assert "Eli Expert" in everyone and "Ann Other" in everyone
    assert "Cora Coordinator" not in everyone
    assert "Bank details checked" in everyone and "Not set up" in everyone
    assert "Eli Expert" in by_email and "Ann Other" not in by_email


def test_search_people_treats_percent_and_underscore_as_themselves(
    client, make_user, finance_admin
):
    make_user(name="Ann 100% Real")
    make_user(name="Bob Plain")
    sign_in(client, finance_admin)

    percent = page_text(client.get("/finance/people?q=%25"))
    underscore = page_text(client.get("/finance/people?q=_"))

    assert "Ann 100% Real" in percent and "Bob Plain" not in percent
    assert "Nobody matches this search" in underscore


def test_search_people_is_paged(client, make_user, finance_admin):
    for number in range(27):
        make_user(name=f"Paged Person {number:02}")
    sign_in(client, finance_admin)

    first = page_text(client.get("/finance/people?q=Paged"))
    second = page_text(client.get("/finance/people?q=Paged&page=2"))

    assert "27 people" in first
    assert "Paged Person 00" in first and "Paged Person 25" not in first
    assert "Paged Person 25" in second and "Paged Person 26" in second


def test_person_page_shows_bank_details_masked_and_unchecked(
    client, expert, approver, give_bank_details
):
    give_bank_details(expert)
    sign_in(client, approver)

    response = client.get(f"/finance/people/{expert.id}")

    page = page_text(response)
    assert "How we pay Eli Expert" in page
    assert "Bank details waiting to be checked" in page
    assert "**-**-56" in page and "****5678" in page
    assert "12345678" not in response.get_data(as_text=True)
    # A finance approver sees the set-up but records nothing.
    assert "Record another way to pay them" not in page
    assert "Only a finance admin can record" in page


def test_record_method_through_the_form_saves_it_and_the_person_page_shows_it(
    app, client, expert, finance_admin, outbox
):
    sign_in(client, finance_admin)
    form = client.get(f"/finance/people/{expert.id}/other-method")
    assert form.status_code == 200

    response = client.post(
        f"/finance/people/{expert.id}/other-method",
        data={"method": "cheque", "details": "Payable to E Expert", "reason": "No account"},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == f"/finance/people/{expert.id}"
    page = page_text(client.get(f"/finance/people/{expert.id}"))
    assert "Saved: we pay Eli Expert by cheque" in page
    assert "Payable to E Expert" in page
    assert "End this payment method" in page
    (row,) = rows_of(app, OtherPaymentMethod)
    assert row.method is PaymentMethod.CHEQUE
    assert len(events(app, "payment_method.recorded")) == 1
    assert len(outbox()) == 1


def test_record_method_form_with_bank_numbers_keeps_what_was_typed(
    app, client, expert, finance_admin
):
    sign_in(client, finance_admin)
    typed = {
        "method": "appointee",
        "details": "Mary Jones 12-34-56 12345678",
        "reason": "Her appointee asked us",
    }

    response = client.post(f"/finance/people/{expert.id}/other-method", data=typed)

    assert response.status_code == 200
    assert "looks like a sort code and account number" in field_error(response, "details")
    page = html(response)
    details = page.find(".//input[@id='details']")
    assert details is not None and details.get("value") == typed["details"]
    reason = page.find(".//textarea[@id='reason']")
    assert reason is not None and (reason.text or "").strip() == typed["reason"]
    checked = page.find(".//input[@value='appointee']")
    assert checked is not None and checked.get("checked") is not None
    assert 'href="#details"' in response.get_data(as_text=True)
    assert rows_of(app, OtherPaymentMethod) == []


def test_record_method_form_without_a_choice_or_reason_says_what_is_missing(
    client, expert, finance_admin
):
    sign_in(client, finance_admin)

    response = client.post(
        f"/finance/people/{expert.id}/other-method", data={"details": "Kept text"}
    )

    assert field_error(response, "method") == "Select how we will pay them"
    assert field_error(response, "reason") == "Enter the reason"
    page = html(response)
    details = page.find(".//input[@id='details']")
    assert details is not None and details.get("value") == "Kept text"


def test_record_method_page_while_one_is_current_sends_back_to_the_person(
    app, client, expert, finance_admin
):
    _given_method(app, expert, finance_admin)
    sign_in(client, finance_admin)

    response = client.get(f"/finance/people/{expert.id}/other-method")

    assert response.status_code == 302
    assert "already paid by cheque" in page_text(client.get(response.headers["Location"]))


def test_record_method_page_for_yourself_is_forbidden(app, client, make_user):
    both = make_user(name="Expert And Admin", roles=(Role.EXPERT, Role.FINANCE_ADMIN))
    sign_in(client, both)

    assert client.get(f"/finance/people/{both.id}/other-method").status_code == 403
    assert (
        client.post(
            f"/finance/people/{both.id}/other-method",
            data={"method": "cheque", "reason": "Me"},
        ).status_code
        == 403
    )
    assert "cannot set how you are paid yourself" in page_text(
        client.get(f"/finance/people/{both.id}")
    )
    assert rows_of(app, OtherPaymentMethod) == []


def test_end_method_through_the_form_ends_it_and_keeps_it_in_the_history(
    app, client, expert, finance_admin, outbox
):
    method_id = _given_method(app, expert, finance_admin)
    sign_in(client, finance_admin)
    path = f"/finance/people/{expert.id}/other-method/{method_id}/end"

    missing = client.post(path, data={"reason": ""})
    response = client.post(path, data={"reason": "Has a bank account now"})

    assert field_error(missing, "reason") == "Enter why they are no longer paid this way"
    assert response.status_code == 302
    page = page_text(client.get(f"/finance/people/{expert.id}"))
    assert "Ended: we no longer pay Eli Expert by cheque" in page
    assert "Earlier payment methods" in page and "Has a bank account now" in page
    assert "Record another way to pay them" in page
    (row,) = rows_of(app, OtherPaymentMethod)
    assert row.ended_at is not None
    assert len(events(app, "payment_method.ended")) == 1
    assert len(outbox()) == 2


def test_end_method_of_another_person_by_id_is_not_found(
    app, client, make_user, expert, finance_admin
):
    other = make_user(name="Other Expert")
    method_id = _given_method(app, other, finance_admin)
    sign_in(client, finance_admin)

    path = f"/finance/people/{expert.id}/other-method/{method_id}/end"

    assert client.get(path).status_code == 404
    assert client.post(path, data={"reason": "Guess"}).status_code == 404
    (row,) = rows_of(app, OtherPaymentMethod)
    assert row.is_current


def test_person_page_of_someone_who_is_not_an_expert_is_not_found(client, make_user, finance_admin):
    coordinator = make_user(roles=(Role.COORDINATOR,))
    sign_in(client, finance_admin)

    assert client.get(f"/finance/people/{coordinator.id}").status_code == 404
    assert client.get(f"/finance/people/{coordinator.id}/other-method").status_code == 404


@pytest.mark.parametrize("roles", [(Role.EXPERT,), (Role.COORDINATOR,), (Role.ADMIN,)])
def test_person_payment_pages_are_refused_to_everyone_but_finance(
    app, client, make_user, expert, finance_admin, roles
):
    method_id = _given_method(app, expert, finance_admin, APPOINTEE)
    sign_in(client, make_user(roles=roles))

    for path in (
        "/finance/people",
        f"/finance/people/{expert.id}",
        f"/finance/people/{expert.id}/other-method",
        f"/finance/people/{expert.id}/other-method/{method_id}/end",
    ):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Mary Jones" not in response.get_data(as_text=True)


def test_approver_cannot_record_or_end_a_method(app, client, expert, finance_admin, approver):
    method_id = _given_method(app, expert, finance_admin)
    sign_in(client, approver)

    ended = client.post(
        f"/finance/people/{expert.id}/other-method/{method_id}/end", data={"reason": "x"}
    )

    assert ended.status_code == 403
    assert rows_of(app, OtherPaymentMethod)[0].is_current


# What the person sees ------------------------------------------------------------------------


def test_own_bank_details_page_says_how_finance_pays_you_read_only(
    app, client, expert, finance_admin
):
    _given_method(app, expert, finance_admin, APPOINTEE)
    sign_in(client, expert)

    response = client.get("/account/bank-details")

    page = page_text(response)
    assert "Finance pays you through an appointee or organisation" in page
    assert "Mary Jones (appointee)" in page
    assert "To change this, contact" in page
    assert "Add your bank details" not in page
    assert "Finance pays you through an appointee or organisation" in page_text(
        client.get("/account")
    )


# Sending a claim -----------------------------------------------------------------------------


@pytest.fixture
def sign_up(
    make_user: Callable[..., User],
    make_role: Callable[..., RoleDescription],
    make_sign_up: Callable[..., SignUp],
    expert: User,
) -> SignUp:
    """The expert's accepted sign-up to an hourly role."""
    coordinator = make_user(roles=(Role.COORDINATOR,))
    return make_sign_up(
        make_role(coordinator=coordinator), person=expert, status=SignUpStatus.ACCEPTED
    )


def _draft(app: Flask, sign_up: SignUp) -> int:
    with app.app_context():
        loaded = db.session.get(SignUp, sign_up.id)
        person = db.session.get(User, sign_up.person_id)
        assert loaded is not None and person is not None
        claim_id = claim_services.start_claim(loaded, actor=person).id
        claim = claim_services.load_claim(claim_id)
        assert claim is not None
        claim_services.add_fee_line(
            claim,
            actor=person,
            session_on=LAST_WEEK,
            description="Interview panel",
            units=Decimal(2),
        )
    return claim_id


def _version(app: Flask, claim_id: int) -> int:
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        assert claim is not None
        return claim.version


def _status(app: Flask, claim_id: int) -> ClaimStatus:
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        assert claim is not None
        return claim.status


def test_submit_claim_paid_by_another_method_without_bank_details_is_sent(
    app, client, expert, finance_admin, sign_up
):
    _given_method(app, expert, finance_admin)
    claim_id = _draft(app, sign_up)
    sign_in(client, expert)

    page = page_text(client.get(f"/claims/{claim_id}/send"))
    response = client.post(
        f"/claims/{claim_id}/send",
        data={"version": str(_version(app, claim_id)), "declaration": "y"},
    )

    assert "Finance pays you by cheque, not into a bank account" in page
    assert response.status_code == 302
    assert _status(app, claim_id) is ClaimStatus.SUBMITTED


def test_submit_claim_with_no_way_to_pay_shows_the_message_by_bank_details(
    app, client, expert, sign_up
):
    claim_id = _draft(app, sign_up)
    sign_in(client, expert)

    response = client.post(
        f"/claims/{claim_id}/send",
        data={"version": str(_version(app, claim_id)), "declaration": "y"},
    )

    error = html(response).find(".//*[@id='bank_details']")
    assert error is not None
    assert "Add your bank details, or ask finance to record another way to pay you" in "".join(
        error.itertext()
    )
    assert _status(app, claim_id) is ClaimStatus.DRAFT


def test_submit_claim_after_the_method_ended_is_refused_again(app, expert, finance_admin, sign_up):
    method_id = _given_method(app, expert, finance_admin)
    claim_id = _draft(app, sign_up)
    with app.test_request_context():
        row = payment_methods.payment_method_or_none(method_id)
        assert row is not None
        payment_methods.end_payment_method(
            row, actor=_user(finance_admin), reason="x", ip_address=None
        )
        claim = claim_services.load_claim(claim_id)
        assert claim is not None

        with pytest.raises(claim_services.SubmissionRefused) as raised:
            claim_services.submit_claim(
                claim, actor=_user(expert), declared=True, today=date.today()
            )

    assert [p.field for p in raised.value.problems] == ["bank_details"]


def test_recorded_at_is_aware_utc(app, expert, finance_admin):
    _given_method(app, expert, finance_admin)

    (row,) = rows_of(app, OtherPaymentMethod)

    assert row.recorded_at.tzinfo is not None
    assert utc_now() - row.recorded_at < timedelta(minutes=1)


@pytest.mark.usefixtures("ctx")
def test_record_method_racing_another_finance_admin_is_refused_cleanly(
    app, expert, finance_admin, make_user, monkeypatch, outbox
):
    other_admin = make_user(name="Other Admin", roles=(Role.FINANCE_ADMIN,))
    _record(expert, other_admin)
    # As if both had checked for a current method before either saved.
    monkeypatch.setattr(payment_methods, "current_payment_method", lambda person: None)

    with pytest.raises(DomainError, match="Someone else has just changed") as raised:
        _record(expert, finance_admin, APPOINTEE)

    assert raised.value.field == "method"
    (row,) = rows_of(app, OtherPaymentMethod)
    assert row.recorded_by_id == other_admin.id
    assert len(events(app, "payment_method.recorded")) == 1
    assert len(outbox()) == 1


# Four eyes: a recorded method is paid only once a different finance person has checked it ---


def _confirm(row: OtherPaymentMethod, actor: User) -> None:
    payment_methods.confirm_payment_method(row, actor=_user(actor), ip_address="127.0.0.1")


@pytest.mark.usefixtures("ctx")
def test_record_method_waits_to_be_checked_before_it_can_be_paid(expert, finance_admin):
    row = _record(expert, finance_admin)

    setup = payment_setup.payment_setup(_user(expert))

    assert not row.is_confirmed
    assert setup.paid_by is PaidBy.OTHER_METHOD
    assert setup.can_claim and not setup.can_be_paid
    assert payment_setup.payment_setups([_user(expert)])[expert.id].can_be_paid is False


@pytest.mark.usefixtures("ctx")
def test_confirm_method_by_another_finance_person_lets_it_be_paid_and_audits(
    app, expert, finance_admin, approver
):
    row = _record(expert, finance_admin)

    _confirm(row, approver)

    (stored,) = rows_of(app, OtherPaymentMethod)
    assert stored.confirmed_at is not None and stored.confirmed_by_id == approver.id
    assert payment_setup.payment_setup(_user(expert)).can_be_paid
    (event,) = events(app, "payment_method.confirmed")
    assert event.actor_id == approver.id and event.subject_user_id == expert.id
    assert "Cheque" in event.detail


@pytest.mark.usefixtures("ctx")
def test_confirm_method_emails_the_person_how_they_are_paid_without_its_details(
    expert, finance_admin, approver, outbox
):
    row = _record(expert, finance_admin, APPOINTEE)
    stale = payment_methods.payment_method_or_none(row.id)
    assert stale is not None

    _confirm(row, approver)
    db.session.expire_all()
    with pytest.raises(DomainError):
        _confirm(stale, approver)

    recorded, checked = outbox()
    assert "Finance recorded how we pay you" in recorded.subject
    assert checked.to == ["eli@example.org"]
    assert "We have checked how we pay you" in checked.subject
    body = str(checked.body)
    assert "Hello Eli Expert" in body
    assert "pay you through an appointee or organisation" in body
    assert "/account/bank-details" in body
    assert "Mary Jones" not in body
    assert not payment_methods.looks_like_bank_numbers(body)


@pytest.mark.usefixtures("ctx")
def test_confirm_method_you_recorded_is_refused_even_holding_both_finance_roles(
    app, make_user, expert
):
    both = make_user(name="Bo Both", roles=(Role.FINANCE_ADMIN, Role.FINANCE_APPROVER))
    row = _record(expert, both, APPOINTEE)

    assert not payment_methods.can_confirm_payment_method(row, _user(both))
    with pytest.raises(PermissionDenied, match="Another member of the finance team"):
        _confirm(row, both)

    (stored,) = rows_of(app, OtherPaymentMethod)
    assert stored.confirmed_at is None
    assert not payment_setup.payment_setup(_user(expert)).can_be_paid
    assert events(app, "payment_method.confirmed") == []


@pytest.mark.usefixtures("ctx")
def test_confirm_method_for_yourself_is_refused(app, make_user, finance_admin):
    person = make_user(name="Fin Expert", roles=(Role.EXPERT, Role.FINANCE_APPROVER))
    row = _record(person, finance_admin)

    with pytest.raises(PermissionDenied):
        _confirm(row, person)

    assert rows_of(app, OtherPaymentMethod)[0].confirmed_at is None


@pytest.mark.usefixtures("ctx")
def test_confirm_method_by_someone_outside_finance_is_refused(make_user, expert, finance_admin):
    row = _record(expert, finance_admin)

    with pytest.raises(PermissionDenied):
        _confirm(row, make_user(roles=(Role.COORDINATOR, Role.ADMIN)))


@pytest.mark.usefixtures("ctx")
def test_confirm_method_twice_is_refused_and_audited_once(app, expert, finance_admin, approver):
    row = _record(expert, finance_admin)
    stale = payment_methods.payment_method_or_none(row.id)
    assert stale is not None
    _confirm(row, approver)

    db.session.expire_all()
    with pytest.raises(DomainError, match="already been checked"):
        _confirm(stale, approver)

    assert len(events(app, "payment_method.confirmed")) == 1


@pytest.mark.usefixtures("ctx")
def test_confirm_method_that_has_ended_is_refused(app, expert, finance_admin, approver):
    row = _record(expert, finance_admin)
    payment_methods.end_payment_method(
        row, actor=_user(finance_admin), reason="Done", ip_address=None
    )

    with pytest.raises(DomainError, match="already been checked"):
        _confirm(row, approver)

    assert rows_of(app, OtherPaymentMethod)[0].confirmed_at is None


def test_confirm_method_through_the_person_page_lets_it_be_paid(
    app, client, expert, finance_admin, approver
):
    method_id = _given_method(app, expert, finance_admin)
    sign_in(client, approver)

    before = page_text(client.get(f"/finance/people/{expert.id}"))
    response = client.post(f"/finance/people/{expert.id}/other-method/{method_id}/confirm")

    assert "Cheque, waiting to be checked" in before
    assert "We pay nothing this way until" in before
    assert response.status_code == 302
    after = page_text(client.get(f"/finance/people/{expert.id}"))
    assert "Checked: Eli Expert is paid by cheque" in after
    assert "Checked by finance" in after and "by Fay Approver" in after
    with app.app_context():
        assert payment_setup.payment_setup(_user(expert)).can_be_paid


def test_confirm_method_page_hides_the_button_from_whoever_recorded_it(
    app, client, expert, finance_admin
):
    method_id = _given_method(app, expert, finance_admin)
    sign_in(client, finance_admin)

    page = html(client.get(f"/finance/people/{expert.id}"))
    refused = client.post(
        f"/finance/people/{expert.id}/other-method/{method_id}/confirm", follow_redirects=True
    )

    buttons = ["".join(b.itertext()).strip() for b in page.iter("button")]
    assert not any(text.startswith("Confirm") for text in buttons)
    assert "Another member of the finance team needs to check it" in page_text(refused)
    assert rows_of(app, OtherPaymentMethod)[0].confirmed_at is None


def test_confirm_method_of_another_person_by_id_is_not_found(
    app, client, make_user, expert, finance_admin, approver
):
    other = make_user(name="Other Expert")
    method_id = _given_method(app, other, finance_admin)
    sign_in(client, approver)

    response = client.post(f"/finance/people/{expert.id}/other-method/{method_id}/confirm")

    assert response.status_code == 404
    assert rows_of(app, OtherPaymentMethod)[0].confirmed_at is None


def test_bank_changes_page_lists_methods_waiting_to_be_checked(
    app, client, expert, finance_admin, approver
):
    _given_method(app, expert, finance_admin, APPOINTEE)
    sign_in(client, approver)

    page = page_text(client.get("/finance/bank-details"))

    assert "Other payment methods to check" in page
    assert "Eli Expert" in page and "Mary Jones (appointee)" in page
    assert "recorded by Gina Admin" in page


def test_finance_home_counts_methods_waiting_to_be_checked(
    app, expert, finance_admin, give_bank_details, make_user
):
    _given_method(app, expert, finance_admin)
    give_bank_details(make_user(name="Bank Person"))

    with app.app_context():
        assert confirmation.waiting_count() == 2


# People who are no longer experts keep a set-up finance can see and end ----------------------


def test_end_method_of_someone_no_longer_an_expert_is_allowed(app, client, expert, finance_admin):
    method_id = _given_method(app, expert, finance_admin)
    with app.app_context():
        person = _user(expert)
        person.role_grants.clear()
        db.session.commit()
    sign_in(client, finance_admin)

    page = client.get(f"/finance/people/{expert.id}")
    listed = page_text(client.get("/finance/people?q=Eli"))
    ended = client.post(
        f"/finance/people/{expert.id}/other-method/{method_id}/end",
        data={"reason": "Left the programme"},
    )

    assert page.status_code == 200 and "How we pay Eli Expert" in page_text(page)
    assert "Eli Expert" in listed
    assert ended.status_code == 302
    assert rows_of(app, OtherPaymentMethod)[0].ended_at is not None
    # Nothing new can be recorded for them while they are not an expert.
    assert client.get(f"/finance/people/{expert.id}/other-method").status_code == 403


def test_person_page_of_a_former_expert_with_bank_details_is_shown(
    app, client, make_user, finance_admin, give_bank_details
):
    former = make_user(name="Former Expert", roles=(Role.COORDINATOR,))
    give_bank_details(former)
    sign_in(client, finance_admin)

    assert client.get(f"/finance/people/{former.id}").status_code == 200
