"""Payment pages through the client: a run from start to confirmed, slip and bank file
downloads (who may, identical bytes, audited), My payments and the claim pages once paid."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from payclaims.audit.models import AuditAction, AuditEvent
from payclaims.auth.models import Role, User
from payclaims.claims.models import Claim, ClaimStatus
from payclaims.dates import format_date
from payclaims.extensions import db
from payclaims.payments import views
from payclaims.payments.models import PaymentRun, RemittanceSlip
from tests.helpers import date_fields, page_queries, sign_in

PAY_ON = date.today() + timedelta(days=2)


def _count(app, action: AuditAction) -> int:
    with app.app_context():
        return (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == action.value)
            )
            or 0
        )


@pytest.fixture
def admin(make_user):
    """A finance admin."""
    return make_user(name="Ada Admin", roles=(Role.FINANCE_ADMIN,))


@pytest.fixture
def paid(app, client, admin, make_user, make_approved_claim):
    """A run made and confirmed through the pages; returns the payee, claim, run and slip ids."""
    person = make_user(name="Pat Payee", email="pat@example.org")
    claim = make_approved_claim(person=person, expense_pence=250)
    sign_in(client, admin)
    response = client.post(
        "/finance/payment-runs/new",
        data={**date_fields(PAY_ON, "payment_on"), "claim_ids": [claim.id]},
    )
    assert response.status_code == 302
    run_path = response.headers["Location"]
    page = client.get(run_path).get_data(as_text=True)
    assert "Pat Payee: £62.50" in page
    with app.app_context():
        run = db.session.scalars(select(PaymentRun)).one()
        run_id, version = run.id, run.version
    response = client.post(f"/finance/payment-runs/{run_id}/confirm", data={"version": version})
    assert response.status_code == 302
    with app.app_context():
        slip_id = db.session.scalars(select(RemittanceSlip.id)).one()
    client.get("/sign-out")
    return {"person": person, "claim_id": claim.id, "run_id": run_id, "slip_id": slip_id}


def test_new_run_page_ticks_every_payable_claim_and_lists_those_left_out(
    client, admin, make_approved_claim
):
    make_approved_claim()
    make_approved_claim(bank="unconfirmed")
    sign_in(client, admin)

    page = client.get("/finance/payment-runs/new").get_data(as_text=True)

    assert page.count("checked") == 1
    assert "not yet confirmed by finance" in page


def test_new_run_with_no_date_keeps_the_ticks_and_shows_the_error(
    app, client, admin, make_approved_claim
):
    claim = make_approved_claim()
    sign_in(client, admin)

    response = client.post("/finance/payment-runs/new", data={"claim_ids": [claim.id]})

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Enter the date the payments will be made" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PaymentRun)) == 0


def test_confirmed_run_pays_the_claim_and_shows_the_bank_file_and_slips(app, client, admin, paid):
    sign_in(client, admin)

    page = client.get(f"/finance/payment-runs/{paid['run_id']}").get_data(as_text=True)

    assert "Confirmed: paid" in page
    assert "Download the bank file (CSV)" in page
    assert f"/remittance-slips/{paid['slip_id']}.pdf" in page
    with app.app_context():
        claim = db.session.get(Claim, paid["claim_id"])
        assert claim is not None
        assert claim.status is ClaimStatus.PAID
        assert claim.paid_on == PAY_ON


@pytest.mark.parametrize("refused", [(), ("bo@example.org",)], ids=["all emailed", "one refused"])
def test_confirming_says_honestly_whether_everyone_was_emailed(
    make_app, make_user, make_approved_claim, mail_server, refused
):
    """The payment is committed before the emails go: a refused address must not be reported
    as emailed (nor undo anything)."""
    smtp_app = make_app(MAIL_BACKEND="smtp")
    client = smtp_app.test_client()
    admin = make_user(name="Ada Admin", roles=(Role.FINANCE_ADMIN,))
    claims = [
        make_approved_claim(
            person=make_user(name=f"{name} Payee", email=f"{name.lower()}@example.org")
        )
        for name in ("Al", "Bo", "Cy")
    ]
    mail_server.refused.update(refused)
    sign_in(client, admin)
    run_path = _make_run(smtp_app, client, [claim.id for claim in claims])

    with smtp_app.app_context():
        run = db.session.scalars(select(PaymentRun)).one()
        run_id, version = run.id, run.version
    response = client.post(
        f"/finance/payment-runs/{run_id}/confirm", data={"version": version}, follow_redirects=True
    )

    page = " ".join(response.get_data(as_text=True).split())
    assert run_path.endswith(f"/finance/payment-runs/{run_id}")
    if refused:
        assert "We could not email 1 of the 3 people paid" in page
        assert "people emailed" not in page
    else:
        assert "its claims are paid, slips issued and people emailed" in page
        assert "We could not email" not in page
    assert "Confirmed: paid" in page


def test_confirm_twice_through_the_page_pays_once(app, client, admin, paid):
    sign_in(client, admin)

    response = client.post(
        f"/finance/payment-runs/{paid['run_id']}/confirm",
        data={"version": "1"},
        follow_redirects=True,
    )

    assert "Nothing was paid twice" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RemittanceSlip)) == 1


def test_slip_download_by_the_payee_gives_the_stored_bytes_every_time_and_is_audited(
    app, client, paid
):
    sign_in(client, paid["person"])

    first = client.get(f"/remittance-slips/{paid['slip_id']}.pdf")
    second = client.get(f"/remittance-slips/{paid['slip_id']}.pdf")

    assert first.status_code == second.status_code == 200
    assert first.mimetype == "application/pdf"
    assert "attachment" in first.headers["Content-Disposition"]
    assert first.data == second.data
    with app.app_context():
        stored = db.session.scalars(select(RemittanceSlip)).one()
        assert hashlib.sha256(first.data).hexdigest() == stored.sha256
    assert _count(app, AuditAction.SLIP_DOWNLOADED) == 2


def test_slip_download_by_another_expert_is_not_found(app, client, make_user, paid):
    sign_in(client, make_user(name="Someone else", roles=(Role.EXPERT,)))

    assert client.get(f"/remittance-slips/{paid['slip_id']}.pdf").status_code == 404
    assert _count(app, AuditAction.SLIP_DOWNLOADED) == 0


@pytest.mark.parametrize("role", [Role.FINANCE_APPROVER, Role.FINANCE_ADMIN])
def test_slip_download_by_finance_staff_is_allowed(client, make_user, paid, role):
    sign_in(client, make_user(roles=(role,)))

    assert client.get(f"/remittance-slips/{paid['slip_id']}.pdf").status_code == 200


def test_bank_file_download_by_a_finance_admin_is_audited(app, client, admin, paid):
    sign_in(client, admin)

    response = client.get(f"/finance/payment-runs/{paid['run_id']}/bank-file.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.splitlines()[0].startswith("Payee name,Sort code,Account number,Amount,Reference")
    assert ",62.50," in text
    assert _count(app, AuditAction.BANK_FILE_DOWNLOADED) == 1


def test_bank_file_download_by_a_finance_approver_is_refused(app, client, make_user, paid):
    sign_in(client, make_user(roles=(Role.FINANCE_APPROVER,)))

    response = client.get(f"/finance/payment-runs/{paid['run_id']}/bank-file.csv")

    assert response.status_code == 403
    assert _count(app, AuditAction.BANK_FILE_DOWNLOADED) == 0


def test_my_payments_and_my_claims_say_when_it_was_paid_with_the_slip(client, paid):
    sign_in(client, paid["person"])
    when = format_date(PAY_ON)

    payments = client.get("/my-payments").get_data(as_text=True)
    claims = client.get("/my-claims").get_data(as_text=True)
    claim = client.get(f"/claims/{paid['claim_id']}").get_data(as_text=True)

    assert f"Download your remittance slip for {when} (PDF)" in payments
    assert "£62.50" in payments
    assert f"Paid on {when}" in claims
    assert f"Paid on {when}: " in claim
    assert "download your remittance slip (PDF)" in claim


def test_claim_page_links_to_its_slip_which_only_the_payee_can_follow(client, make_user, paid):
    link = f"/claims/{paid['claim_id']}/remittance-slip"
    sign_in(client, paid["person"])

    claim = client.get(f"/claims/{paid['claim_id']}").get_data(as_text=True)
    followed = client.get(link)

    assert f'href="{link}"' in claim
    assert followed.status_code == 302
    assert followed.headers["Location"] == f"/remittance-slips/{paid['slip_id']}.pdf"
    assert client.get(followed.headers["Location"]).data.startswith(b"%PDF")
    client.get("/sign-out")
    sign_in(client, make_user(name="Other Expert"))
    assert client.get(link).status_code == 404


def test_payee_is_emailed_with_a_link_to_the_slip(client, outbox, paid):
    (email,) = [message for message in outbox() if "pat@example.org" in message.to]

    assert "£62.50" in email.subject
    assert f"http://localhost/remittance-slips/{paid['slip_id']}.pdf" in str(email.body)
    sign_in(client, paid["person"])
    assert client.get(f"/remittance-slips/{paid['slip_id']}.pdf").status_code == 200


def test_remove_claim_button_takes_it_out_of_the_draft_run(app, client, admin, make_approved_claim):
    kept = make_approved_claim()
    removed = make_approved_claim()
    sign_in(client, admin)
    client.post(
        "/finance/payment-runs/new",
        data={**date_fields(PAY_ON, "payment_on"), "claim_ids": [kept.id, removed.id]},
    )
    with app.app_context():
        run = db.session.scalars(select(PaymentRun)).one()
        run_id, version = run.id, run.version

    response = client.post(
        f"/finance/payment-runs/{run_id}/claims/{removed.id}/remove",
        data={"version": version},
        follow_redirects=True,
    )

    assert f"C-{removed.id:06d} is out of the run" in response.get_data(as_text=True)
    with app.app_context():
        claim = db.session.get(Claim, removed.id)
        assert claim is not None
        assert claim.status is ClaimStatus.APPROVED


def test_tax_year_totals_page_and_csv_for_finance(app, client, make_user, paid):
    sign_in(client, make_user(roles=(Role.FINANCE_APPROVER,)))

    page = client.get("/finance/reports/tax-year-totals").get_data(as_text=True)
    export = client.get("/finance/reports/tax-year-totals.csv")

    assert "Pat Payee" in page
    assert export.status_code == 200
    assert "Pat Payee" in export.get_data(as_text=True)
    assert _count(app, AuditAction.TAX_YEAR_TOTALS_EXPORTED) == 1


def test_demo_expert_has_a_slip_and_the_demo_finance_admin_a_bank_file(app, client):
    from payclaims.demo import seed_demo
    from payclaims.demo.people import DEMO_DOMAIN, demo_person
    from payclaims.payments.models import RunStatus
    from tests.settings import PASSWORD

    with app.app_context():
        seed_demo(PASSWORD)
        expert = demo_person(f"expert@{DEMO_DOMAIN}")
        admin = demo_person(f"finance-admin@{DEMO_DOMAIN}")
        runs = db.session.scalars(select(PaymentRun).order_by(PaymentRun.id)).all()
        assert [run.status for run in runs] == [RunStatus.CONFIRMED, RunStatus.DRAFT]
        confirmed_id = runs[0].id
        slip = db.session.scalars(
            select(RemittanceSlip).where(RemittanceSlip.person_id == expert.id)
        ).one()
        slip_id = slip.id
        db.session.expunge_all()

    sign_in(client, expert)
    assert "Download your remittance slip" in client.get("/my-payments").get_data(as_text=True)
    assert client.get(f"/remittance-slips/{slip_id}.pdf").data.startswith(b"%PDF")
    client.get("/sign-out")
    sign_in(client, admin)
    bank_file = client.get(f"/finance/payment-runs/{confirmed_id}/bank-file.csv")
    assert bank_file.status_code == 200
    assert "S OKAFOR,009999,31926819" in bank_file.get_data(as_text=True)


def _pay_by_cheque(app, person, *, recorder, checker) -> None:
    from payclaims.people import payment_methods
    from payclaims.people.models import PaymentMethod

    with app.app_context():
        row = payment_methods.record_payment_method(
            db.session.get(User, person.id),
            actor=db.session.get(User, recorder.id),
            new=payment_methods.NewPaymentMethod(
                method=PaymentMethod.CHEQUE, details="", reason="Has no bank account"
            ),
            ip_address=None,
        )
        payment_methods.confirm_payment_method(
            row, actor=db.session.get(User, checker.id), ip_address=None
        )


def _make_run(app, client, claim_ids: list[int]) -> str:
    response = client.post(
        "/finance/payment-runs/new",
        data={**date_fields(PAY_ON, "payment_on"), "claim_ids": claim_ids},
    )
    assert response.status_code == 302
    return response.headers["Location"]


def test_run_page_lists_a_cheque_payee_to_pay_outside_the_bank_file(
    app, client, admin, make_user, make_approved_claim
):
    checker = make_user(name="Cleo Checker", roles=(Role.FINANCE_APPROVER,))
    chris = make_user(name="Chris Walker")
    claim = make_approved_claim(person=chris, bank="none")
    _pay_by_cheque(app, chris, recorder=admin, checker=checker)
    sign_in(client, admin)
    run_path = _make_run(app, client, [claim.id])
    with app.app_context():
        run = db.session.scalars(select(PaymentRun)).one()
        run_id, version = run.id, run.version
    reference = f"RUN{run_id:05d}-{chris.id:06d}"
    line = f"Pay outside the bank file: Chris Walker — by cheque — £60.00 — reference {reference}"

    draft = client.get(run_path).get_data(as_text=True)
    client.post(f"/finance/payment-runs/{run_id}/confirm", data={"version": version})
    confirmed = client.get(run_path).get_data(as_text=True)

    assert line in draft
    assert "Cannot be paid yet" not in draft
    assert line in confirmed
    assert _count(app, AuditAction.PAYMENT_RUN_CONFIRMED) == 1


def test_run_page_runs_the_same_queries_whatever_the_number_of_payees(
    app, client, admin, make_user, make_approved_claim
):
    checker = make_user(name="Cleo Checker", roles=(Role.FINANCE_APPROVER,))
    chris = make_user(name="Chris Walker")
    few = [make_approved_claim().id, make_approved_claim(person=chris, bank="none").id]
    _pay_by_cheque(app, chris, recorder=admin, checker=checker)
    sign_in(client, admin)
    few_path = _make_run(app, client, few)

    many = [make_approved_claim().id for _ in range(4)]
    for _ in range(3):
        person = make_user()
        many.append(make_approved_claim(person=person, bank="none").id)
        _pay_by_cheque(app, person, recorder=admin, checker=checker)
    many_path = _make_run(app, client, many)

    assert page_queries(app, client, many_path) == page_queries(app, client, few_path)


# The runs pages with many approved claims: counted in SQL, listed a page at a time ----------


def _run_of(app, admin, claim_ids: list[int]) -> int:
    """A draft run of these claims, made by ``admin``; its id."""
    from payclaims.payments.runs import create_run

    with app.app_context():
        actor = db.session.get(User, admin.id)
        assert actor is not None
        return create_run(
            actor=actor, payment_on=PAY_ON, today=date.today(), claim_ids=claim_ids
        ).id


@contextmanager
def _claims_loaded() -> Iterator[list[int]]:
    """The ids of the claims read from the database meanwhile (each time one is read)."""
    loaded: list[int] = []

    def collect(claim: Claim, _context: object) -> None:
        loaded.append(claim.id)

    event.listen(Claim, "load", collect)
    try:
        yield loaded
    finally:
        event.remove(Claim, "load", collect)


@pytest.mark.parametrize(
    "path",
    [
        "/finance/payment-runs",
        "/finance/payment-runs/new",
        "/finance/payment-runs/{run}/add-claims",
    ],
)
def test_runs_pages_run_the_same_queries_and_read_one_page_of_claims_whatever_the_number(
    app, client, admin, make_user, make_approved_claim, monkeypatch, path
):
    monkeypatch.setattr(views, "CLAIMS_PER_PAGE", 2)
    make_approved_claim()
    make_approved_claim(bank="unconfirmed")
    path = path.format(run=_run_of(app, admin, [make_approved_claim().id]))
    sign_in(client, admin)
    few = page_queries(app, client, path)

    for _ in range(3):
        make_approved_claim()
        make_approved_claim(bank="none")
        make_approved_claim(person=make_user(), bank="unconfirmed")
    _run_of(app, admin, [make_approved_claim().id for _ in range(3)])
    with _claims_loaded() as loaded:
        response = client.get(path)

    assert response.status_code == 200
    assert page_queries(app, client, path) == few
    # A page of claims that can be paid (new run) and a page of those left out: no more.
    assert len(loaded) <= 2 * 2, loaded


def test_runs_index_counts_and_adds_up_claims_waiting_and_in_each_run(
    app, client, admin, make_approved_claim
):
    make_approved_claim(expense_pence=250)
    make_approved_claim(units="1")
    make_approved_claim(bank="none")
    _run_of(app, admin, [make_approved_claim().id, make_approved_claim(expense_pence=5).id])
    sign_in(client, admin)

    page = client.get("/finance/payment-runs").get_data(as_text=True)

    assert "2 approved claims are ready to pay, £82.50 in total." in page
    assert (
        '<span class="nhsuk-table-responsive__heading" aria-hidden="true">Claims </span>2<' in page
    )
    assert "£120.05" in page
    assert "No bank details" in page


def test_runs_index_pages_the_claims_that_cannot_be_paid_yet(
    client, admin, make_approved_claim, monkeypatch
):
    monkeypatch.setattr(views, "CLAIMS_PER_PAGE", 2)
    left_out = [make_approved_claim(bank="none").id for _ in range(3)]
    sign_in(client, admin)

    first = client.get("/finance/payment-runs").get_data(as_text=True)
    second = client.get("/finance/payment-runs?page=2").get_data(as_text=True)

    assert [f"C-{claim_id:06d}" in first for claim_id in left_out] == [True, True, False]
    assert [f"C-{claim_id:06d}" in second for claim_id in left_out] == [False, False, True]
    assert "There are 3 in all, 2 to a page." in first
    assert "/finance/payment-runs?page=2" in first


def test_new_run_page_lists_a_page_of_claims_and_makes_the_run_from_the_ticked_ones(
    app, client, admin, make_approved_claim, monkeypatch
):
    monkeypatch.setattr(views, "CLAIMS_PER_PAGE", 2)
    claims = [make_approved_claim().id for _ in range(3)]
    left_out = [make_approved_claim(bank="unconfirmed").id for _ in range(3)]
    sign_in(client, admin)

    first = client.get("/finance/payment-runs/new").get_data(as_text=True)
    second = client.get("/finance/payment-runs/new?page=2").get_data(as_text=True)
    response = client.post(
        "/finance/payment-runs/new?page=2",
        data={**date_fields(PAY_ON, "payment_on"), "claim_ids": [claims[2]]},
    )

    assert "3 approved claims can be paid, £180.00 in total." in first
    assert "Claims 1 to 2 of 3, oldest first, are ticked." in first
    assert first.count("checked") == 2
    assert f"C-{claims[2]:06d}" in second and f"C-{claims[0]:06d}" not in second
    assert "these are the first 2." in first
    assert f"C-{left_out[2]:06d}" not in first
    assert response.status_code == 302
    with app.app_context():
        run = db.session.scalars(select(PaymentRun)).one()
        assert [item.claim_id for item in run.items] == [claims[2]]


# Adding claims to a draft run --------------------------------------------------------------


def _run_version(app, run_id: int) -> int:
    with app.app_context():
        version = db.session.scalar(select(PaymentRun.version).where(PaymentRun.id == run_id))
    assert version is not None
    return version


def _claim_status(app, claim_id: int) -> ClaimStatus:
    with app.app_context():
        status = db.session.scalar(select(Claim.status).where(Claim.id == claim_id))
    assert status is not None
    return status


def test_draft_run_page_links_to_adding_claims_and_says_how_many_wait(
    app, client, admin, make_approved_claim
):
    run_id = _run_of(app, admin, [make_approved_claim().id])
    make_approved_claim()
    sign_in(client, admin)

    page = client.get(f"/finance/payment-runs/{run_id}").get_data(as_text=True)

    assert "1 more approved claim is ready to pay." in page
    assert f'href="/finance/payment-runs/{run_id}/add-claims">Add claims to this run' in page


def test_add_claims_page_lists_claims_waiting_and_adds_the_ticked_ones(
    app, client, admin, make_user, make_approved_claim
):
    run_id = _run_of(app, admin, [make_approved_claim().id])
    chosen = make_approved_claim(person=make_user(name="Pat Payee"), expense_pence=250)
    left = make_approved_claim()
    make_approved_claim(bank="unconfirmed")
    sign_in(client, admin)
    path = f"/finance/payment-runs/{run_id}/add-claims"

    page = client.get(path).get_data(as_text=True)
    response = client.post(
        path,
        data={"claim_ids": [chosen.id], "version": _run_version(app, run_id)},
        follow_redirects=True,
    )

    assert f"C-{chosen.id:06d}: Pat Payee, £62.50" in page
    assert "2 approved claims can be added, £122.50 in total." in page
    assert "not yet confirmed by finance" in page
    assert "checked" not in page
    result = response.get_data(as_text=True)
    assert "1 claim is added to the run." in result
    assert "Pat Payee: £62.50" in result
    assert _claim_status(app, chosen.id) is ClaimStatus.SCHEDULED
    assert _claim_status(app, left.id) is ClaimStatus.APPROVED
    assert _count(app, AuditAction.PAYMENT_RUN_CLAIM_ADDED) == 1


def test_add_every_claim_button_adds_all_that_can_be_paid(app, client, admin, make_approved_claim):
    run_id = _run_of(app, admin, [make_approved_claim().id])
    waiting = [make_approved_claim().id for _ in range(3)]
    sign_in(client, admin)

    page = client.get(f"/finance/payment-runs/{run_id}/add-claims").get_data(as_text=True)
    response = client.post(
        f"/finance/payment-runs/{run_id}/add-claims",
        data={"everything": "all", "version": _run_version(app, run_id)},
        follow_redirects=True,
    )

    assert "Add every claim that can be paid (3)" in page
    assert "3 claims are added to the run." in response.get_data(as_text=True)
    assert {_claim_status(app, claim_id) for claim_id in waiting} == {ClaimStatus.SCHEDULED}


def test_add_claims_with_none_ticked_shows_the_error_next_to_the_list(
    app, client, admin, make_approved_claim
):
    run_id = _run_of(app, admin, [make_approved_claim().id])
    make_approved_claim()
    sign_in(client, admin)

    response = client.post(
        f"/finance/payment-runs/{run_id}/add-claims", data={"version": _run_version(app, run_id)}
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Choose at least one claim to add" in page
    assert _run_version(app, run_id) == 1


def test_add_a_claim_put_in_another_run_meanwhile_says_which_run_and_adds_nothing(
    app, client, admin, make_approved_claim
):
    run_id = _run_of(app, admin, [make_approved_claim().id])
    free = make_approved_claim()
    taken = make_approved_claim()
    version = _run_version(app, run_id)
    other = _run_of(app, admin, [taken.id])  # after the page was shown
    sign_in(client, admin)

    response = client.post(
        f"/finance/payment-runs/{run_id}/add-claims",
        data={"claim_ids": [free.id, taken.id], "version": version},
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"C-{taken.id:06d} is already in payment run RUN{other:05d}." in page
    assert "No claims were added." in page
    assert _claim_status(app, free.id) is ClaimStatus.APPROVED
    assert _run_version(app, run_id) == version


def test_add_claims_to_a_run_changed_since_the_page_was_shown_adds_nothing(
    app, client, admin, make_approved_claim
):
    first = make_approved_claim()
    run_id = _run_of(app, admin, [first.id, make_approved_claim().id])
    later = make_approved_claim()
    version = _run_version(app, run_id)
    sign_in(client, admin)
    client.post(
        f"/finance/payment-runs/{run_id}/claims/{first.id}/remove", data={"version": version}
    )

    response = client.post(
        f"/finance/payment-runs/{run_id}/add-claims",
        data={"claim_ids": [later.id], "version": version},
        follow_redirects=True,
    )

    assert "Someone else changed this payment run a moment ago, so no claims were added" in (
        response.get_data(as_text=True)
    )
    assert _claim_status(app, later.id) is ClaimStatus.APPROVED


def test_add_claims_to_a_confirmed_run_sends_back_to_the_run(
    app, client, admin, make_approved_claim, paid
):
    later = make_approved_claim()
    sign_in(client, admin)

    page = client.get(f"/finance/payment-runs/{paid['run_id']}/add-claims")
    response = client.post(
        f"/finance/payment-runs/{paid['run_id']}/add-claims",
        data={"claim_ids": [later.id], "version": 2},
        follow_redirects=True,
    )

    assert page.status_code == 302
    assert page.headers["Location"] == f"/finance/payment-runs/{paid['run_id']}"
    assert "This payment run has been confirmed, so it cannot be changed." in (
        response.get_data(as_text=True)
    )
    assert _claim_status(app, later.id) is ClaimStatus.APPROVED


@pytest.mark.parametrize("role", [Role.FINANCE_APPROVER, Role.EXPERT, Role.COORDINATOR])
def test_add_claims_by_anyone_but_a_finance_admin_is_refused(
    app, client, admin, make_user, make_approved_claim, role
):
    run_id = _run_of(app, admin, [make_approved_claim().id])
    later = make_approved_claim()
    sign_in(client, make_user(roles=(role,)))

    page = client.get(f"/finance/payment-runs/{run_id}/add-claims")
    post = client.post(
        f"/finance/payment-runs/{run_id}/add-claims",
        data={"claim_ids": [later.id], "version": 1, "everything": "all"},
    )

    assert (page.status_code, post.status_code) == (403, 403)
    assert _claim_status(app, later.id) is ClaimStatus.APPROVED
    assert _run_version(app, run_id) == 1


def test_add_claims_to_a_run_that_does_not_exist_is_not_found(client, admin):
    sign_in(client, admin)

    assert client.get("/finance/payment-runs/987654/add-claims").status_code == 404
    assert client.post("/finance/payment-runs/987654/add-claims").status_code == 404
