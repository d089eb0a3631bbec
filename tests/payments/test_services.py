"""Payment runs, called directly: totals, exclusions, one open run per claim, confirming once,
the remittance slip's content and the bank file (the PDF renderer itself: tests/test_pdf.py)."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from payclaims.audit.models import AuditAction, AuditEvent
from payclaims.auth.models import Role, User
from payclaims.claims.models import Claim, ClaimEvent, ClaimStatus
from payclaims.dates import format_date, tax_year_of
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db
from payclaims.payments import confirm, runs
from payclaims.payments.bank_file import BANK_FILE_HEADINGS, bank_file_for_download
from payclaims.payments.confirm import confirm_run, snapshot_run
from payclaims.payments.models import PaymentRun, RemittanceSlip, RunClaim, RunStatus
from payclaims.payments.payees import OutsidePayment, paid_outside_bank_file, payment_problem
from payclaims.payments.payees import payees as payees_of
from payclaims.payments.reports import export_tax_year_totals, tax_year_totals
from payclaims.payments.runs import (
    Exclusion,
    RunChanged,
    WaitingClaims,
    add_claims,
    create_run,
    excluded_claims_query,
    exclusions,
    load_run,
    payable_claims_query,
    remove_claim,
    waiting_claims,
)
from payclaims.payments.slips import (
    SlipClaim,
    SlipData,
    SlipLine,
    render_slips,
    slip_html,
    slip_reference,
    slip_stylesheet,
)
from payclaims.people import payment_methods, payment_setup
from payclaims.people.models import PaymentMethod
from tests.helpers import give_profile

TODAY = date.today()
PAY_ON = TODAY + timedelta(days=3)


@pytest.fixture
def admin(make_user):
    """A finance admin who runs payments."""
    return make_user(name="Ada Admin", roles=(Role.FINANCE_ADMIN,))


def _user(user: User) -> User:
    loaded = db.session.get(User, user.id)
    assert loaded is not None
    return loaded


def _run(run_id: int) -> PaymentRun:
    run = load_run(run_id)
    assert run is not None
    return run


def _create(admin: User, claim_ids: list[int] | None = None) -> PaymentRun:
    run = create_run(actor=_user(admin), payment_on=PAY_ON, today=TODAY, claim_ids=claim_ids)
    return _run(run.id)


def _waiting() -> tuple[list[Claim], list[Exclusion]]:
    """Every approved claim in no run: those that can be paid, and those left out (reasons)."""
    ready = list(db.session.scalars(payable_claims_query()))
    excluded = exclusions(db.session.scalars(excluded_claims_query()))
    return ready, excluded


def _status(claim_id: int) -> ClaimStatus:
    status = db.session.scalar(select(Claim.status).where(Claim.id == claim_id))
    assert status is not None
    return status


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def test_create_run_schedules_payable_claims_and_totals_per_payee(
    app, admin, make_user, make_approved_claim
):
    person = make_user(name="Pat Payee")
    first = make_approved_claim(person=person, units="3", expense_pence=450)
    second = make_approved_claim(person=person, units="2")
    other = make_approved_claim(units="1")

    with app.app_context():
        run = _create(admin)
        payees = payees_of(run)

        assert {_status(c.id) for c in (first, second, other)} == {ClaimStatus.SCHEDULED}
        by_name = {payee.person.name: payee for payee in payees}
        assert by_name["Pat Payee"].fee_pence == 6000 + 4000
        assert by_name["Pat Payee"].expenses_pence == 450
        assert by_name["Pat Payee"].total_pence == 10450
        assert sum(payee.total_pence for payee in payees) == 10450 + 2000
        events = db.session.scalars(
            select(ClaimEvent).where(ClaimEvent.to_status == ClaimStatus.SCHEDULED)
        ).all()
        assert len(events) == 3


def test_create_run_leaves_out_unconfirmed_or_missing_bank_details_with_the_reason(
    app, admin, make_approved_claim
):
    payable = make_approved_claim()
    unconfirmed = make_approved_claim(bank="unconfirmed")
    missing = make_approved_claim(bank="none")

    with app.app_context():
        ready, excluded = _waiting()
        reasons = {item.claim.id: item.reason for item in excluded}
        run = _create(admin)

        assert [claim.id for claim in ready] == [payable.id]
        assert "not yet confirmed by finance" in reasons[unconfirmed.id]
        assert "No bank details" in reasons[missing.id]
        assert [item.claim_id for item in run.items] == [payable.id]
        assert _status(unconfirmed.id) is ClaimStatus.APPROVED
        assert _status(missing.id) is ClaimStatus.APPROVED


def test_create_run_with_chosen_claims_takes_only_those(app, admin, make_approved_claim):
    chosen = make_approved_claim()
    left = make_approved_claim()

    with app.app_context():
        run = _create(admin, [chosen.id])

        assert [item.claim_id for item in run.items] == [chosen.id]
        assert _status(left.id) is ClaimStatus.APPROVED


def test_create_run_with_a_past_date_is_refused(app, admin, make_approved_claim):
    make_approved_claim()
    with app.app_context(), pytest.raises(DomainError) as error:
        create_run(actor=_user(admin), payment_on=TODAY - timedelta(days=1), today=TODAY)
    assert error.value.field == "payment_on"


def test_create_run_as_a_finance_approver_is_refused(app, make_user, make_approved_claim):
    make_approved_claim()
    approver = make_user(roles=(Role.FINANCE_APPROVER,))
    with app.app_context(), pytest.raises(PermissionDenied):
        create_run(actor=_user(approver), payment_on=PAY_ON, today=TODAY)


def test_a_claim_is_in_one_open_run_at_most(app, admin, make_approved_claim):
    claim = make_approved_claim()

    with app.app_context():
        _create(admin)
        with pytest.raises(DomainError):
            _create(admin, [claim.id])
        # The database refuses it too, whatever the services do.
        second = PaymentRun(payment_on=PAY_ON, created_by_id=admin.id)
        db.session.add(second)
        db.session.flush()
        db.session.add(RunClaim(run_id=second.id, claim_id=claim.id, added_by_id=admin.id))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_remove_claim_puts_it_back_to_approved_for_a_later_run(app, admin, make_approved_claim):
    kept = make_approved_claim()
    removed = make_approved_claim()

    with app.app_context():
        run = _create(admin)
        claim = db.session.get(Claim, removed.id)
        assert claim is not None
        remove_claim(run, claim, actor=_user(admin), expected_version=run.version)

        assert _status(removed.id) is ClaimStatus.APPROVED
        assert [item.claim_id for item in _run(run.id).items] == [kept.id]
        later = _create(admin)
        assert [item.claim_id for item in later.items] == [removed.id]


def test_remove_claim_with_a_stale_version_is_refused(app, admin, make_approved_claim):
    make_approved_claim()
    removed = make_approved_claim()
    with app.app_context():
        run = _create(admin)
        claim = db.session.get(Claim, removed.id)
        assert claim is not None
        with pytest.raises(RunChanged):
            remove_claim(run, claim, actor=_user(admin), expected_version=run.version - 1)
        assert _status(removed.id) is ClaimStatus.SCHEDULED


def test_confirm_run_pays_every_claim_once_with_a_slip_per_payee(
    app, admin, make_user, make_approved_claim, outbox
):
    person = make_user(name="Pat Payee", email="pat@example.org")
    first = make_approved_claim(person=person)
    second = make_approved_claim(person=person, expense_pence=300)
    other = make_approved_claim()

    with app.app_context():
        run = _create(admin)
        confirmed = confirm_run(run, actor=_user(admin), expected_version=run.version).run

        assert confirmed.status is RunStatus.CONFIRMED
        for claim_id in (first.id, second.id, other.id):
            claim = db.session.get(Claim, claim_id)
            assert claim is not None
            assert claim.status is ClaimStatus.PAID
            assert claim.paid_on == PAY_ON
        slips = db.session.scalars(select(RemittanceSlip).order_by(RemittanceSlip.id)).all()
        assert len(slips) == 2
        pat = next(slip for slip in slips if slip.person_id == person.id)
        assert pat.claim_count == 2
        assert pat.total_pence == 6000 + 6000 + 300
        assert pat.sha256 == hashlib.sha256(pat.pdf).hexdigest()
        paid_events = db.session.scalar(
            select(func.count()).select_from(ClaimEvent).where(ClaimEvent.to_status == "paid")
        )
        assert paid_events == 3
        audits = db.session.scalars(select(AuditEvent.action)).all()
        assert audits.count(AuditAction.CLAIM_PAID.value) == 3
        assert audits.count(AuditAction.PAYMENT_RUN_CONFIRMED.value) == 1

        with pytest.raises(RunChanged, match="already been confirmed"):
            confirm_run(_run(run.id), actor=_user(admin))
        assert db.session.scalar(select(func.count()).select_from(RemittanceSlip)) == 2

    emails = [message for message in outbox() if "pat@example.org" in message.to]
    assert len(emails) == 1
    assert "£123.00" in emails[0].subject
    assert f"/remittance-slips/{pat.id}.pdf" in str(emails[0].body)


def test_payment_steps_are_recorded_on_behalf_of_nobody(app, admin, make_approved_claim):
    paid = make_approved_claim()
    taken_out = make_approved_claim()

    with app.app_context():
        run = _create(admin)
        claim = db.session.get(Claim, taken_out.id)
        assert claim is not None
        remove_claim(run, claim, actor=_user(admin))
        confirm_run(_run(run.id), actor=_user(admin))

        steps = db.session.execute(
            select(ClaimEvent.claim_id, ClaimEvent.to_status, ClaimEvent.on_behalf_of_id)
            .where(ClaimEvent.actor_id == admin.id)
            .order_by(ClaimEvent.id)
        ).all()
    assert sorted(steps) == sorted(
        [
            (paid.id, ClaimStatus.SCHEDULED, None),
            (taken_out.id, ClaimStatus.SCHEDULED, None),
            (taken_out.id, ClaimStatus.APPROVED, None),
            (paid.id, ClaimStatus.PAID, None),
        ]
    )


def test_confirm_run_changed_since_the_page_was_shown_is_refused(app, admin, make_approved_claim):
    make_approved_claim()
    with app.app_context():
        run = _create(admin)
        with pytest.raises(RunChanged):
            confirm_run(run, actor=_user(admin), expected_version=run.version + 1)
        assert _run(run.id).status is RunStatus.DRAFT


def test_confirm_run_after_bank_details_changed_pays_nobody(app, admin, make_approved_claim):
    claim = make_approved_claim()
    with app.app_context():
        run = _create(admin)
        from payclaims.people.models import BankDetails

        details = db.session.scalar(
            select(BankDetails).where(BankDetails.person_id == claim.person.id)
        )
        assert details is not None
        details.confirmed_at = None
        db.session.commit()

        with pytest.raises(DomainError, match="cannot be paid yet"):
            confirm_run(_run(run.id), actor=_user(admin))
        assert _status(claim.id) is ClaimStatus.SCHEDULED
        assert db.session.scalar(select(func.count()).select_from(RemittanceSlip)) == 0


def test_slip_shows_payee_lines_totals_reference_and_reasons(
    app, admin, make_user, make_approved_claim
):
    person = make_user(name="Pat Payee")
    claim = make_approved_claim(
        person=person,
        expense_pence=450,
        reduce_first_to=4000,
        approval_note="Only 2 hours were booked",
    )

    with app.app_context():
        app.config["ORGANISATION_ADDRESS"] = "Riverside House\n1 Mill Lane\nRivertown RT1 2AB"
        run = _create(admin)
        confirm_run(run, actor=_user(admin))
        slip = db.session.scalars(select(RemittanceSlip)).one()
        text = " ".join(_pdf_text(slip.pdf).split())

    for expected in (
        "Riverside Recovery College",
        "Riverside House",
        "Rivertown RT1 2AB",
        "Pat Payee",
        "Account ending 5678",
        slip.reference,
        f"C-{claim.id:06d}",
        "Interview panel",
        "3 hours × £20.00",  # noqa: RUF001
        "£60.00",
        "Only 2 hours were booked",
        "Public transport",
        "No receipt",
        "£4.50",
        "Fees (earnings)",
        "£40.00",
        "£44.50",
        "The full fee",
        "involvement@example.org",
    ):
        assert expected in text, (expected, text)
    assert "12345678" not in text


def test_slip_gives_each_claims_totals_only_when_it_has_several(
    app, admin, make_user, make_approved_claim
):
    two = make_user(name="Two Claims")
    first = make_approved_claim(person=two, expense_pence=450)
    second = make_approved_claim(person=two)
    make_approved_claim(person=make_user(name="One Claim"), expense_pence=450)

    with app.app_context():
        confirm_run(_create(admin), actor=_user(admin))
        texts = {
            slip.person_id: " ".join(_pdf_text(slip.pdf).split())
            for slip in db.session.scalars(select(RemittanceSlip))
        }

    several = texts[two.id]
    assert f"Paid for claim C-{first.id:06d}: £64.50" in several
    assert f"Paid for claim C-{second.id:06d}: £60.00" in several
    assert "Total paid: £124.50" in several
    (single,) = (text for person_id, text in texts.items() if person_id != two.id)
    assert "Paid for claim" not in single
    assert "Fees (earnings): £60.00" in single and "Total paid: £64.50" in single


class _TagCounter(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.tags.append(tag)


def test_slip_stays_lean_enough_to_render_a_large_run_in_time(app, admin, make_approved_claim):
    """WeasyPrint's cost follows the boxes a slip makes (docs/benchmarks.md: tables made a
    slip twice as slow, and a 1,000-payee run missed its 20 s). A typical slip (one claim,
    two fee lines, an expense) must stay without tables and within a few dozen elements; if
    this fails, run bench/remittance.py before raising the bound."""
    make_approved_claim(expense_pence=450, reduce_first_to=4000, approval_note="Shorter panel")

    with app.app_context():
        snapshot = snapshot_run(_create(admin))
        counter = _TagCounter()
        counter.feed(slip_html(snapshot.slips[0]).split("<body>", 1)[1])

    assert "table" not in counter.tags and "br" not in counter.tags
    assert len(counter.tags) <= 20, counter.tags


def test_slip_pdf_is_tagged_for_screen_readers(app, admin, make_approved_claim):
    make_approved_claim()

    with app.app_context():
        confirm_run(_create(admin), actor=_user(admin))
        slip = db.session.scalars(select(RemittanceSlip)).one()
        reader = PdfReader(io.BytesIO(slip.pdf))
        catalog = reader.trailer["/Root"]

    assert "/StructTreeRoot" in catalog and catalog["/MarkInfo"]["/Marked"]
    assert catalog["/Lang"] == "en-GB"
    assert (
        reader.metadata is not None and reader.metadata.title == f"Remittance slip {slip.reference}"
    )

    def structure_types(element):
        kind = element.get("/S")
        if kind is not None:
            yield str(kind)
        kids = element.get("/K", [])
        for kid in kids if isinstance(kids, list) else [kids]:
            kid = kid.get_object() if hasattr(kid, "get_object") else kid
            if hasattr(kid, "get"):
                yield from structure_types(kid)

    types = list(structure_types(catalog["/StructTreeRoot"]))
    assert {"/H1", "/H2", "/H3", "/P"} <= set(types), types


def test_slip_with_an_attachment_link_in_a_description_embeds_no_file(
    app, admin, make_approved_claim
):
    injected = "<link rel=attachment href=file:///etc/passwd>"
    make_approved_claim(description=injected)

    with app.app_context():
        run = _create(admin)
        confirm_run(run, actor=_user(admin))
        slip = db.session.scalars(select(RemittanceSlip)).one()
        reader = PdfReader(io.BytesIO(slip.pdf))

        assert reader.attachments == {}
        root = reader.trailer["/Root"]
        assert "/EmbeddedFiles" not in root.get("/Names", {})
        assert b"root:x:0:0" not in slip.pdf
        assert injected in _pdf_text(slip.pdf).replace("\n", "")


def test_bank_file_is_the_file_issued_and_every_download_is_audited(
    app, admin, make_user, make_approved_claim
):
    make_approved_claim(person=make_user(name="Pat Payee"), expense_pence=5)
    with app.app_context():
        run = _create(admin)
        confirm_run(run, actor=_user(admin))
        confirmed = _run(run.id)
        first = bank_file_for_download(confirmed, actor=_user(admin), ip_address=None)
        second = bank_file_for_download(confirmed, actor=_user(admin), ip_address=None)
        sha256 = _run(run.id).bank_file_sha256
        reference = _run(run.id).slips[0].reference
        downloads = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == AuditAction.BANK_FILE_DOWNLOADED.value)
        )

    assert first == second
    assert hashlib.sha256(first).hexdigest() == sha256
    rows = list(csv.reader(io.StringIO(first.decode())))
    assert rows[0] == list(BANK_FILE_HEADINGS)
    assert rows[1] == ["A Person", "123456", "12345678", "60.05", reference, ""]
    assert downloads == 2


def test_bank_file_for_a_finance_approver_is_refused(app, admin, make_user, make_approved_claim):
    make_approved_claim()
    approver = make_user(roles=(Role.FINANCE_APPROVER,))
    with app.app_context():
        run = _create(admin)
        confirm_run(run, actor=_user(admin))
        with pytest.raises(PermissionDenied):
            bank_file_for_download(_run(run.id), actor=_user(approver), ip_address=None)


def test_tax_year_totals_add_up_slips_by_payee_and_export_is_formula_safe(
    app, admin, make_user, make_approved_claim
):
    person = make_user(name='=HYPERLINK("x")')
    make_approved_claim(person=person, expense_pence=100)
    with app.app_context():
        run = _create(admin)
        confirm_run(run, actor=_user(admin))
        start = tax_year_of(PAY_ON).start
        (total,) = tax_year_totals(start)
        text = export_tax_year_totals(start, actor=_user(admin), ip_address=None)
        audited = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == AuditAction.TAX_YEAR_TOTALS_EXPORTED.value)
        )

    assert (total.payments, total.fee_pence, total.expenses_pence) == (1, 6000, 100)
    row = list(csv.reader(io.StringIO(text)))[1]
    assert row[0].startswith("'=")
    assert row[4:] == ["60.00", "1.00", "61.00"]
    assert audited == 1


def test_confirm_large_run_renders_slips_in_a_pool_of_processes_the_same_way(
    app, admin, make_user, make_approved_claim
):
    people = [make_user(name=f"Payee {n}") for n in range(3)]
    for person in people:
        make_approved_claim(person=person)
    app.config["REMITTANCE_POOL_FROM"] = 2

    with app.app_context():
        run = _create(admin)
        confirm_run(run, actor=_user(admin))
        slips = db.session.scalars(select(RemittanceSlip).order_by(RemittanceSlip.id)).all()
        texts = {slip.person_id: _pdf_text(slip.pdf) for slip in slips}

    assert len(slips) == 3
    for person in people:
        assert person.name in texts[person.id]


# Payees paid another way (cheque, prepaid card, appointee...) ------------------------------


def _pay_by(
    person: User,
    method: PaymentMethod,
    *,
    recorder: User,
    checker: User | None = None,
    details: str = "",
) -> int:
    """Record another payment method for ``person`` (checked by ``checker`` if given)."""
    row = payment_methods.record_payment_method(
        _user(person),
        actor=_user(recorder),
        new=payment_methods.NewPaymentMethod(
            method=method, details=details, reason="Has no bank account"
        ),
        ip_address=None,
    )
    if checker is not None:
        payment_methods.confirm_payment_method(row, actor=_user(checker), ip_address=None)
    return row.id


@pytest.fixture
def checker(make_user):
    """A second finance person, who checks payment methods another recorded."""
    return make_user(name="Cleo Checker", roles=(Role.FINANCE_APPROVER,))


def test_confirm_run_pays_a_checked_cheque_payee_outside_the_bank_file(
    app, admin, checker, make_user, make_approved_claim, outbox
):
    chris = make_user(name="Chris Walker", email="chris@example.org")
    cheque = make_approved_claim(person=chris, bank="none", expense_pence=150)
    bank = make_approved_claim(person=make_user(name="Pat Payee"))

    with app.app_context():
        method_id = _pay_by(chris, PaymentMethod.CHEQUE, recorder=admin, checker=checker)
        ready, excluded = _waiting()
        assert {claim.id for claim in ready} == {cheque.id, bank.id}
        assert excluded == []
        run = _create(admin)
        outside = paid_outside_bank_file(run, payees_of(run))
        reference = slip_reference(run.id, chris.id)
        assert outside == [OutsidePayment("Chris Walker", "by cheque", "", 6150, reference)]

        confirm_run(run, actor=_user(admin), expected_version=run.version)
        confirmed = _run(run.id)
        content = bank_file_for_download(confirmed, actor=_user(admin), ip_address=None)
        slip = db.session.scalars(
            select(RemittanceSlip).where(RemittanceSlip.person_id == chris.id)
        ).one()
        pdf = _pdf_text(slip.pdf)
        after = paid_outside_bank_file(confirmed, payees_of(confirmed))

    assert _status_of(app, cheque.id) is ClaimStatus.PAID
    assert (slip.bank_details_id, slip.other_payment_method_id) == (None, method_id)
    rows = list(csv.reader(io.StringIO(content.decode())))
    assert [row[4] for row in rows[1:]] == [slip_reference(run.id, bank.person.id)]
    assert hashlib.sha256(content).hexdigest() == confirmed.bank_file_sha256
    assert "Paid by cheque" in pdf
    assert "Account ending" not in pdf
    assert after == [OutsidePayment("Chris Walker", "by cheque", "", 6150, reference)]
    email = next(message for message in outbox() if "chris@example.org" in message.to)
    assert "by cheque" in str(email.body)
    assert "account ending" not in str(email.body)


def test_confirm_run_pays_a_checked_method_before_confirmed_bank_details(
    app, admin, checker, make_user, make_approved_claim
):
    both = make_approved_claim(person=make_user(name="Bo Both"))
    with app.app_context():
        _pay_by(
            both.person,
            PaymentMethod.APPOINTEE,
            recorder=admin,
            checker=checker,
            details="Mind in Rivertown",
        )
        run = _create(admin)
        confirm_run(run, actor=_user(admin))
        confirmed = _run(run.id)
        content = bank_file_for_download(confirmed, actor=_user(admin), ip_address=None)
        outside = paid_outside_bank_file(confirmed, [])
        pdf = _pdf_text(db.session.scalars(select(RemittanceSlip.pdf)).one())

    assert content.decode().splitlines() == [",".join(BANK_FILE_HEADINGS)]
    assert hashlib.sha256(content).hexdigest() == confirmed.bank_file_sha256
    assert [(item.phrase, item.details) for item in outside] == [
        ("through an appointee or organisation", "Mind in Rivertown")
    ]
    assert "Paid through an appointee or organisation" in pdf


def test_create_run_leaves_out_a_payee_whose_cheque_is_not_checked_yet_with_the_reason(
    app, admin, make_user, make_approved_claim
):
    waiting = make_approved_claim(bank="none")
    payable = make_approved_claim()
    with app.app_context():
        _pay_by(waiting.person, PaymentMethod.CHEQUE, recorder=admin)
        ready, excluded = _waiting()
        run = _create(admin)

        assert [claim.id for claim in ready] == [payable.id]
        assert [(item.claim.id, item.reason) for item in excluded] == [
            (
                waiting.id,
                "Cheque recorded by finance but not checked yet by a second finance person",
            )
        ]
        assert [item.claim_id for item in run.items] == [payable.id]
        assert _status(waiting.id) is ClaimStatus.APPROVED


def test_confirm_run_after_a_method_was_recorded_since_it_was_drafted_pays_nobody(
    app, admin, make_approved_claim
):
    claim = make_approved_claim()
    with app.app_context():
        run = _create(admin)
        _pay_by(claim.person, PaymentMethod.PREPAID_CARD, recorder=admin)

        with pytest.raises(DomainError, match="Prepaid card recorded by finance but not checked"):
            confirm_run(_run(run.id), actor=_user(admin))
        assert _status(claim.id) is ClaimStatus.SCHEDULED
        assert db.session.scalar(select(func.count()).select_from(RemittanceSlip)) == 0


@pytest.mark.parametrize("change", ["method recorded", "method ended"])
def test_confirm_run_when_how_a_payee_is_paid_changes_while_slips_render_pays_nobody(
    app, admin, checker, make_user, make_approved_claim, monkeypatch, change
):
    person = make_user(name="Chris Walker")
    claim = make_approved_claim(person=person)
    with app.app_context():
        method_id = None
        if change == "method ended":
            method_id = _pay_by(person, PaymentMethod.CHEQUE, recorder=admin, checker=checker)
        run = _create(admin)
        render = render_slips

        def render_then_change(slips):
            pdfs = render(slips)
            if method_id is None:
                _pay_by(person, PaymentMethod.CHEQUE, recorder=admin, checker=checker)
            else:
                row = payment_methods.payment_method_or_none(method_id)
                assert row is not None
                payment_methods.end_payment_method(
                    row, actor=_user(admin), reason="Gave bank details", ip_address=None
                )
            return pdfs

        monkeypatch.setattr(confirm, "render_slips", render_then_change)
        with pytest.raises(RunChanged, match="How Chris Walker is paid changed"):
            confirm_run(_run(run.id), actor=_user(admin))

        assert _run(run.id).status is RunStatus.DRAFT
        assert _status(claim.id) is ClaimStatus.SCHEDULED
        assert db.session.scalar(select(func.count()).select_from(RemittanceSlip)) == 0


def _status_of(app, claim_id: int) -> ClaimStatus:
    with app.app_context():
        return _status(claim_id)


def _hand_made_slip(*, fee_note: str = "", description: str = "Interview panel") -> SlipData:
    """A slip built by hand: one claim with one fee line, as confirming would build it."""
    fee_line = SlipLine(
        on=TODAY,
        description=description,
        detail="3 hours × £20.00",  # noqa: RUF001
        claimed_pence=6000,
        paid_pence=6000,
        notes=(),
        receipted=False,
    )
    claim = SlipClaim(
        reference="C-000001",
        role_title="Interview panel member",
        fee_choice_label="A reduced fee" if fee_note else "The full fee",
        fee_choice_on=TODAY,
        fee_lines=(fee_line,),
        expense_lines=(),
        fee_note=fee_note,
        fee_paid_pence=5000 if fee_note else 6000,
        expenses_paid_pence=0,
    )
    return SlipData(
        person_id=1,
        bank_details_id=1,
        organisation_name="Riverside Recovery College",
        organisation_address=("Riverside House",),
        support_email="involvement@example.org",
        payee_name="Pat Payee",
        account_ending="5678",
        payment_on=PAY_ON,
        reference="RUN00001-000001",
        run_reference="RUN00001",
        claims=(claim,),
        claim_ids=(1,),
    )


def test_fee_lines_say_approved_not_paid_when_the_fee_choice_changed_what_was_paid(app):
    note = "You chose a reduced fee of £50.00, so £50.00 of the £60.00 fee was paid."
    with app.app_context():
        full = slip_html(_hand_made_slip())
        reduced = slip_html(_hand_made_slip(fee_note=note))

    assert "Claimed £60.00, paid £60.00." in full
    assert "Claimed £60.00, approved £60.00." in reduced and "paid £60.00" not in reduced
    assert note in reduced and "Fees (earnings): £50.00" in reduced


def test_line_breaks_people_type_cannot_add_lines_to_a_slip(
    app, admin, make_user, make_approved_claim
):
    """The slip keeps newlines in its own text (white-space: pre-line), so typed ones must go:
    else a name could print a line that looks like the slip's own "Bank account" line."""
    person = make_user(name="Alex Payee\nBank account: Account ending 9999")
    make_approved_claim(person=person, description="Panel\u2028Claimed £9,999.00, paid £9,999.00.")

    with app.app_context():
        confirm_run(_create(admin), actor=_user(admin))
        lines = [
            line.strip()
            for line in _pdf_text(db.session.scalars(select(RemittanceSlip.pdf)).one()).splitlines()
        ]

    assert "Paid to: Alex Payee Bank account: Account ending 9999" in lines
    assert not any(
        line.startswith(("Bank account: Account ending 9999", "Claimed £9,999.00"))
        for line in lines
    )
    assert any("Panel Claimed £9,999.00, paid £9,999.00." in line for line in lines)


def test_a_long_word_on_a_slip_wraps_inside_the_page(app):
    """A pasted address with no spaces must wrap, not run off the right edge and be lost."""
    from weasyprint import CSS, HTML
    from weasyprint.formatting_structure.boxes import TextBox

    with app.app_context():
        html = slip_html(_hand_made_slip(description="https://example.org/" + "a" * 200))
        css = CSS(string=slip_stylesheet().read_text(encoding="utf-8"))
    page = HTML(string=html).render(stylesheets=[css]).pages[0]

    def text_boxes(box):
        if isinstance(box, TextBox):
            yield box
        for child in getattr(box, "children", ()):
            yield from text_boxes(child)

    page_box = page._page_box
    right_edge = page.width - page_box.margin_right
    assert max(box.position_x + box.width for box in text_boxes(page_box)) <= right_edge + 0.5


def test_claims_waiting_are_split_in_sql_exactly_as_each_persons_payment_setup_says(
    app, admin, checker, make_user, make_approved_claim, give_bank_details
):
    from payclaims.database import utc_now
    from payclaims.people.models import BankDetails

    bank = make_approved_claim(expense_pence=5)
    unconfirmed = make_approved_claim(bank="unconfirmed")
    nothing = make_approved_claim(bank="none")
    cheque_checked = make_approved_claim(bank="none")
    cheque_unchecked = make_approved_claim(bank="none")
    method_over_bank = make_approved_claim()
    unchecked_over_bank = make_approved_claim()
    method_ended = make_approved_claim()
    details_changed = make_approved_claim()
    in_a_run = make_approved_claim()
    with app.app_context():
        _create(admin, [in_a_run.id])
        _pay_by(cheque_checked.person, PaymentMethod.CHEQUE, recorder=admin, checker=checker)
        _pay_by(cheque_unchecked.person, PaymentMethod.CHEQUE, recorder=admin)
        _pay_by(
            method_over_bank.person,
            PaymentMethod.OTHER,
            recorder=admin,
            checker=checker,
            details="Paid through the support worker",
        )
        _pay_by(unchecked_over_bank.person, PaymentMethod.PREPAID_CARD, recorder=admin)
        ended = payment_methods.payment_method_or_none(
            _pay_by(method_ended.person, PaymentMethod.CHEQUE, recorder=admin)
        )
        assert ended is not None
        payment_methods.end_payment_method(
            ended, actor=_user(admin), reason="Gave bank details", ip_address=None
        )
        current = db.session.scalars(
            select(BankDetails).where(BankDetails.person_id == details_changed.person.id)
        ).one()
        current.superseded_at = utc_now()
        db.session.commit()
    give_bank_details(details_changed.person)

    with app.app_context():
        ready, excluded = _waiting()
        waiting = waiting_claims()
        everyone = [bank, unconfirmed, nothing, cheque_checked, cheque_unchecked]
        everyone += [method_over_bank, unchecked_over_bank, method_ended, details_changed]
        setups = payment_setup.payment_setups([_user(claim.person) for claim in everyone])
        python_says = {
            claim.id: payment_problem(setups[claim.person.id]) is None for claim in everyone
        }

    payable = {bank.id, cheque_checked.id, method_over_bank.id, method_ended.id}
    left_out = {
        unconfirmed.id,
        nothing.id,
        cheque_unchecked.id,
        unchecked_over_bank.id,
        details_changed.id,
    }
    assert {claim.id for claim in ready} == payable
    assert {item.claim.id for item in excluded} == left_out
    assert waiting == WaitingClaims(payable=4, payable_pence=4 * 6000 + 5, excluded=5)
    assert python_says == {claim.id: claim.id in payable for claim in everyone}
    reasons = {item.claim.id: item.reason for item in excluded}
    assert reasons[unchecked_over_bank.id].startswith("Prepaid card recorded by finance")
    assert reasons[details_changed.id].startswith("Bank details given or changed")


# Adding claims to a draft run --------------------------------------------------------------


def _claim(claim_id: int) -> Claim:
    claim = db.session.get(Claim, claim_id)
    assert claim is not None
    return claim


def _audits(action: AuditAction) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action.value).order_by(AuditEvent.id)
        )
    )


def test_add_claims_schedules_the_chosen_claims_in_the_draft_run_as_creating_it_does(
    app, admin, make_approved_claim
):
    first = make_approved_claim()
    with app.app_context():
        run = _create(admin)
    later = make_approved_claim(expense_pence=100)
    another = make_approved_claim()
    not_chosen = make_approved_claim()

    with app.app_context():
        added = add_claims(
            _run(run.id),
            actor=_user(admin),
            claim_ids=[later.id, another.id],
            expected_version=run.version,
        )
        changed = _run(run.id)
        events = db.session.scalars(
            select(ClaimEvent).where(
                ClaimEvent.claim_id.in_([later.id, another.id]),
                ClaimEvent.to_status == ClaimStatus.SCHEDULED,
            )
        ).all()
        audits = _audits(AuditAction.PAYMENT_RUN_CLAIM_ADDED)

        assert added == 2
        assert [item.claim_id for item in changed.items] == [first.id, later.id, another.id]
        assert changed.version == run.version + 1
        assert {_status(c.id) for c in (later, another)} == {ClaimStatus.SCHEDULED}
        assert _status(not_chosen.id) is ClaimStatus.APPROVED
        assert {event.from_status for event in events} == {ClaimStatus.APPROVED}
        assert {event.note for event in events} == {
            f"In payment run {run.reference}, to be paid on {format_date(PAY_ON)}"
        }
        assert [(a.subject_user_id, a.detail, a.object_id) for a in audits] == [
            (later.person.id, f"C-{later.id:06d} added to {run.reference}", run.id),
            (another.person.id, f"C-{another.id:06d} added to {run.reference}", run.id),
        ]
        assert sum(payee.total_pence for payee in payees_of(changed)) == 3 * 6000 + 100


def test_add_claims_without_a_choice_adds_every_claim_that_can_be_paid(
    app, admin, make_approved_claim
):
    make_approved_claim()
    with app.app_context():
        run = _create(admin)
    payable = [make_approved_claim().id, make_approved_claim().id]
    unconfirmed = make_approved_claim(bank="unconfirmed")

    with app.app_context():
        added = add_claims(_run(run.id), actor=_user(admin))

        assert added == 2
        assert [item.claim_id for item in _run(run.id).items][1:] == payable
        assert _status(unconfirmed.id) is ClaimStatus.APPROVED


def test_confirm_prepared_before_claims_were_added_pays_nothing(app, admin, make_approved_claim):
    make_approved_claim()
    with app.app_context():
        run = _create(admin)
    later = make_approved_claim()

    with app.app_context():
        add_claims(_run(run.id), actor=_user(admin), claim_ids=[later.id])
        with pytest.raises(RunChanged):
            confirm_run(_run(run.id), actor=_user(admin), expected_version=run.version)

        assert _run(run.id).status is RunStatus.DRAFT
        assert db.session.scalar(select(func.count()).select_from(RemittanceSlip)) == 0


def test_add_claims_with_a_stale_version_adds_nothing(app, admin, make_approved_claim):
    make_approved_claim()
    with app.app_context():
        run = _create(admin)
    later = make_approved_claim()

    with app.app_context():
        with pytest.raises(RunChanged, match="no claims were added"):
            add_claims(
                _run(run.id),
                actor=_user(admin),
                claim_ids=[later.id],
                expected_version=run.version - 1,
            )

        assert _status(later.id) is ClaimStatus.APPROVED
        assert _run(run.id).version == run.version
        assert _audits(AuditAction.PAYMENT_RUN_CLAIM_ADDED) == []


def test_add_a_claim_already_in_another_run_says_which_and_adds_none_of_the_choice(
    app, admin, make_approved_claim
):
    make_approved_claim()
    with app.app_context():
        run = _create(admin)
    free = make_approved_claim()
    taken = make_approved_claim()
    with app.app_context():
        other = _create(admin, [taken.id])

    with app.app_context():
        with pytest.raises(DomainError) as error:
            add_claims(_run(run.id), actor=_user(admin), claim_ids=[free.id, taken.id])

        assert error.value.field == "claim_ids"
        assert error.value.message == (
            f"C-{taken.id:06d} is already in payment run {other.reference}. "
            "No claims were added. Check the list again."
        )
        assert _status(free.id) is ClaimStatus.APPROVED
        assert _run(run.id).version == run.version


def test_add_a_claim_put_in_another_run_while_adding_rolls_back_every_claim(
    app, admin, make_user, make_approved_claim, monkeypatch
):
    """The other admin's run takes the claim after this one read it as payable: the
    conditional update finds it scheduled, and nothing of this addition stays."""
    make_approved_claim()
    with app.app_context():
        run = _create(admin)
    free = make_approved_claim()
    taken = make_approved_claim()
    other_admin = make_user(roles=(Role.FINANCE_ADMIN,))
    read = runs._payable
    raced: list[int] = []

    def read_then_race(claim_ids):
        found = read(claim_ids)
        if claim_ids != [taken.id]:  # this admin's read, not the other admin's
            with app.app_context():  # another admin, in their own session
                raced.append(_create(other_admin, [taken.id]).id)
        return found

    monkeypatch.setattr(runs, "_payable", read_then_race)
    with app.app_context():
        with pytest.raises(DomainError, match=f"C-{taken.id:06d} is already in payment run RUN"):
            add_claims(_run(run.id), actor=_user(admin), claim_ids=[free.id, taken.id])

        assert _status(free.id) is ClaimStatus.APPROVED
        assert [item.claim_id for item in _run(raced[0]).items] == [taken.id]
        assert len(_run(run.id).items) == 1
        assert _run(run.id).version == run.version
        assert _audits(AuditAction.PAYMENT_RUN_CLAIM_ADDED) == []
        scheduled = db.session.scalar(
            select(func.count())
            .select_from(ClaimEvent)
            .where(ClaimEvent.claim_id == free.id, ClaimEvent.to_status == "scheduled")
        )
        assert scheduled == 0


def test_add_a_claim_whose_person_can_no_longer_be_paid_adds_nothing(
    app, admin, make_approved_claim
):
    make_approved_claim()
    with app.app_context():
        run = _create(admin)
    waiting = make_approved_claim(bank="unconfirmed")

    with app.app_context(), pytest.raises(DomainError, match="can no longer be paid in a run"):
        add_claims(_run(run.id), actor=_user(admin), claim_ids=[waiting.id])


def test_add_no_claims_asks_for_a_choice(app, admin, make_approved_claim):
    make_approved_claim()
    with app.app_context():
        run = _create(admin)
        with pytest.raises(DomainError, match="Choose at least one claim to add") as error:
            add_claims(run, actor=_user(admin), claim_ids=[])
    assert error.value.field == "claim_ids"


def test_add_claims_to_a_confirmed_run_is_refused(app, admin, make_approved_claim):
    make_approved_claim()
    with app.app_context():
        run = _create(admin)
        confirm_run(run, actor=_user(admin))
    later = make_approved_claim()

    with app.app_context():
        with pytest.raises(RunChanged, match="has been confirmed"):
            add_claims(_run(run.id), actor=_user(admin), claim_ids=[later.id])
        assert _status(later.id) is ClaimStatus.APPROVED


def test_add_claims_as_a_finance_approver_is_refused(app, admin, make_user, make_approved_claim):
    make_approved_claim()
    with app.app_context():
        run = _create(admin)
    later = make_approved_claim()
    approver = make_user(roles=(Role.FINANCE_APPROVER,))

    with app.app_context():
        with pytest.raises(PermissionDenied):
            add_claims(_run(run.id), actor=_user(approver), claim_ids=[later.id])
        assert _status(later.id) is ClaimStatus.APPROVED


# Telling payees they were paid -------------------------------------------------------------


def test_confirm_run_emails_every_payee_over_one_connection(
    app, make_app, admin, make_user, make_approved_claim, mail_server
):
    payees = [make_user(email=f"payee{n}@example.org") for n in range(4)]
    for person in payees:
        make_approved_claim(person=person)
    smtp_app = make_app(MAIL_BACKEND="smtp")

    with smtp_app.app_context():
        run = _create(admin)
        confirm_run(run, actor=_user(admin))

    assert mail_server.connections == [[person.email for person in payees]]
    assert mail_server.quits == 1


@pytest.mark.parametrize(
    ("failure", "connections"),
    [("refused", 1), ("drops", 2), ("unreachable", 0)],
)
def test_confirm_run_when_an_email_fails_still_pays_emails_the_rest_and_logs_the_address(
    app, make_app, admin, make_user, make_approved_claim, mail_server, caplog, failure, connections
):
    people = [
        make_user(name=f"{name} Payee", email=f"payee{n}@example.org")
        for n, name in enumerate(("Ann", "Cat", "Dan"))
    ]
    bounce = make_user(name="Bo Bounce", email="bounce@example.org")  # paid second, by name
    for person in (*people, bounce):
        make_approved_claim(person=person)
    if failure == "unreachable":
        mail_server.unreachable = True
    else:
        getattr(mail_server, failure).add(bounce.email)
    smtp_app = make_app(MAIL_BACKEND="smtp")

    with smtp_app.app_context():
        run = _create(admin)
        confirmed = confirm_run(run, actor=_user(admin)).run
        statuses = set(db.session.scalars(select(Claim.status)))

    assert confirmed.status is RunStatus.CONFIRMED
    assert statuses == {ClaimStatus.PAID}
    assert len(mail_server.connections) == connections
    if failure == "unreachable":
        assert mail_server.delivered == []
        assert "could not connect to the mail server" in caplog.text
        assert all(person.email in caplog.text for person in (*people, bounce))
    else:
        assert sorted(mail_server.delivered) == sorted(person.email for person in people)
        (logged,) = [r for r in caplog.records if "bounce@example.org" in r.getMessage()]
        assert logged.levelname == "WARNING"
        assert "payee" not in logged.getMessage()
    assert "5678" not in caplog.text  # the account ending the email holds
    assert "12345678" not in caplog.text


def test_fee_lines_are_paid_in_full_only_when_the_fee_paid_is_what_they_were_approved_for():
    full = _hand_made_slip().claims[0]
    reduced = _hand_made_slip(fee_note="A reduced fee").claims[0]
    expenses_only = dataclasses.replace(full, fee_paid_pence=0)

    assert full.fee_lines_paid_in_full
    assert not reduced.fee_lines_paid_in_full
    assert not expenses_only.fee_lines_paid_in_full


def test_confirm_run_without_the_tick_when_a_claim_got_worse_is_refused_and_pays_nothing(
    app, admin, make_user, make_approved_claim
):
    person = make_user(name="Wes Worse")
    claim = make_approved_claim(person=person)
    give_profile(app, person)  # no warning seen when sending: now it reduces UC

    with app.app_context():
        run = _create(admin, [claim.id])
        with pytest.raises(DomainError, match="seen the benefits changes") as refused:
            confirm_run(run, actor=_user(admin), benefits_changes_seen=False)

        assert refused.value.field == "benefits_seen"
        assert _run(run.id).status is RunStatus.DRAFT
        assert _status(claim.id) is ClaimStatus.SCHEDULED
        assert db.session.scalar(select(func.count()).select_from(RemittanceSlip)) == 0

        confirmed = confirm_run(_run(run.id), actor=_user(admin), benefits_changes_seen=True).run

        assert confirmed.status is RunStatus.CONFIRMED
        assert _status(claim.id) is ClaimStatus.PAID
        detail = db.session.scalar(
            select(AuditEvent.detail).where(
                AuditEvent.action == AuditAction.PAYMENT_RUN_CONFIRMED.value
            )
        )
        assert detail is not None
        assert f"benefits changes seen: C-{claim.id:06d} no warning -> reduces" in detail


def test_confirm_run_without_the_tick_when_nothing_got_worse_is_accepted(
    app, admin, make_user, make_approved_claim
):
    person = make_user(name="Pat Plain")  # no benefits profile: no check can get worse
    claim = make_approved_claim(person=person)

    with app.app_context():
        run = _create(admin, [claim.id])
        confirmed = confirm_run(run, actor=_user(admin), benefits_changes_seen=False).run

        assert confirmed.status is RunStatus.CONFIRMED
        assert _status(claim.id) is ClaimStatus.PAID
