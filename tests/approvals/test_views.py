"""Approvals through the browser's eyes: confirming work, the finance queue and claim page,
decisions with reasons, losing a race, delegation, counts, digests, the CSV export and who
may see which claim."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import delete, select, update

from payclaims.audit.models import AuditEvent
from payclaims.auth.models import Role, User
from payclaims.benefits.profile.models import BenefitProfile
from payclaims.claims import access, drafts, expenses, submission
from payclaims.claims.models import Claim, ClaimStatus
from payclaims.costcentres.models import CostCentre
from payclaims.database import utc_now
from payclaims.extensions import db
from payclaims.roles.expenses import ExpenseCategory
from payclaims.roles.models import SignUp
from tests.helpers import error_near, give_profile, page_queries, page_text, sign_in

PDF = b"%PDF-1.4\n%receipt\n"
TODAY = date.today()


@pytest.fixture
def with_receipt(app: Flask, sign_up: SignUp, coordinator: User) -> tuple[int, int]:
    """A confirmed claim with a bus fare and its receipt: (claim id, receipt id)."""
    from payclaims.approvals import decisions

    with app.app_context(), app.test_request_context():
        person = db.session.get(User, sign_up.person_id)
        loaded = db.session.get(SignUp, sign_up.id)
        assert person is not None and loaded is not None
        claim_id = drafts.start_claim(loaded, actor=person).id
        claim = access.load_claim(claim_id)
        assert claim is not None
        expenses.add_expense_line(
            claim,
            actor=person,
            category=ExpenseCategory.PUBLIC_TRANSPORT,
            session_on=TODAY - timedelta(days=3),
            amount_pence=450,
            receipts=[("ticket.pdf", PDF)],
        )
        claim = access.load_claim(claim_id)
        assert claim is not None
        receipt_id = claim.lines[0].receipts[0].id
        submission.submit_claim(claim, actor=person, declared=True, today=TODAY)
        claim = access.load_claim(claim_id)
        verifier = db.session.get(User, coordinator.id)
        assert claim is not None and verifier is not None
        decisions.verify_claim(claim, actor=verifier, ip_address=None)
    return claim_id, receipt_id


def _status(app: Flask, claim_id: int) -> ClaimStatus:
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        assert claim is not None
        return claim.status


def _version(app: Flask, claim_id: int) -> int:
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        assert claim is not None
        return claim.version


# Coordinators ------------------------------------------------------------------------------


def test_coordinator_confirms_a_claim_from_the_list(
    app, client, coordinator, sign_up, make_sent_claim
):
    claim_id = make_sent_claim(sign_up)
    sign_in(client, coordinator)

    listing = client.get("/coordinator/claims")
    assert f"C-{claim_id:06d}" in page_text(listing)
    page = client.get(f"/coordinator/claims/{claim_id}")
    assert "Did this work take place as claimed?" in page_text(page)

    response = client.post(
        f"/coordinator/claims/{claim_id}",
        data={"decision": "confirm", "version": str(_version(app, claim_id))},
    )

    assert response.status_code == 302
    assert _status(app, claim_id) is ClaimStatus.VERIFIED
    assert "No claims are waiting for you to confirm" in page_text(
        client.get("/coordinator/claims")
    )


def test_coordinator_returning_without_a_question_sees_the_error_on_it(
    app, client, coordinator, sign_up, make_sent_claim
):
    claim_id = make_sent_claim(sign_up)
    sign_in(client, coordinator)

    response = client.post(
        f"/coordinator/claims/{claim_id}",
        data={"decision": "return", "question": " ", "version": str(_version(app, claim_id))},
    )

    assert response.status_code == 200
    assert "Say what the person needs" in error_near(response, "question")
    assert _status(app, claim_id) is ClaimStatus.SUBMITTED


def test_coordinator_returns_with_a_question_the_person_then_sees(
    app, client, coordinator, expert, sign_up, make_sent_claim
):
    claim_id = make_sent_claim(sign_up)
    sign_in(client, coordinator)
    client.post(
        f"/coordinator/claims/{claim_id}",
        data={
            "decision": "return",
            "question": "Was this the Tuesday panel?",
            "version": str(_version(app, claim_id)),
        },
    )
    sign_in(client, expert)

    page = page_text(client.get(f"/claims/{claim_id}"))

    assert "Was this the Tuesday panel?" in page
    assert _status(app, claim_id) is ClaimStatus.RETURNED


def test_coordinator_of_another_role_gets_not_found(client, make_user, sign_up, make_sent_claim):
    claim_id = make_sent_claim(sign_up)
    sign_in(client, make_user(roles=(Role.COORDINATOR,)))

    assert client.get(f"/coordinator/claims/{claim_id}").status_code == 404
    assert (
        client.post(f"/coordinator/claims/{claim_id}", data={"decision": "confirm"}).status_code
        == 404
    )
    assert f"C-{claim_id:06d}" not in page_text(client.get("/coordinator/claims"))


def test_coordinator_home_counts_claims_to_confirm(client, coordinator, sign_up, make_sent_claim):
    make_sent_claim(sign_up)
    make_sent_claim(sign_up)
    sign_in(client, coordinator)

    assert "2 claims waiting for you to confirm" in page_text(client.get("/coordinator"))


# Finance: queue and claim page -------------------------------------------------------------


def test_queue_shows_claims_routed_to_me_and_the_home_page_counts_them(
    client, approver_a, coordinator, sign_up, make_sent_claim
):
    claim_id = make_sent_claim(sign_up, verified_by=coordinator)
    sign_in(client, approver_a)

    page = page_text(client.get("/finance/claims"))
    home = page_text(client.get("/finance"))

    assert f"C-{claim_id:06d}" in page
    assert "Eli Expert" in page and "Waiting for a decision" in page
    assert "1 waiting for your decision" in home


def test_queue_runs_the_same_queries_whatever_the_number_of_claims(
    app, client, approver_a, coordinator, sign_up, make_sent_claim
):
    make_sent_claim(sign_up, verified_by=coordinator)
    sign_in(client, approver_a)
    few = page_queries(app, client, "/finance/claims?status=all")

    for _ in range(5):
        make_sent_claim(sign_up, verified_by=coordinator)
    make_sent_claim(sign_up)

    assert page_queries(app, client, "/finance/claims?status=all") == few


@pytest.mark.parametrize("level", ["", "reduces", "none"])
def test_queue_with_benefits_checks_runs_the_same_queries_whatever_the_number_of_claims(
    app, client, approver_a, coordinator, sign_up, expert, make_sent_claim, level
):

    make_sent_claim(sign_up, verified_by=coordinator)
    give_profile(app, expert)
    sign_in(client, approver_a)
    path = f"/finance/claims?status=all&benefits_level={level}"
    few = page_queries(app, client, path)

    # Sending with a profile asks the person to confirm the panel: send without one.
    with app.app_context():
        db.session.execute(delete(BenefitProfile))
        db.session.commit()
    for _ in range(5):
        make_sent_claim(sign_up, verified_by=coordinator)
    give_profile(app, expert)

    assert page_queries(app, client, path) == few


def test_queue_pages_oldest_first(app, client, approver_a, coordinator, sign_up, make_sent_claim):
    ids = [make_sent_claim(sign_up, verified_by=coordinator) for _ in range(26)]
    with app.app_context():
        for age, claim_id in enumerate(reversed(ids)):
            db.session.execute(
                update(Claim)
                .where(Claim.id == claim_id)
                .values(submitted_at=utc_now() - timedelta(hours=age))
            )
        db.session.commit()
    sign_in(client, approver_a)

    first = page_text(client.get("/finance/claims"))
    second = page_text(client.get("/finance/claims?page=2"))

    assert f"C-{ids[0]:06d}" in first and f"C-{ids[-1]:06d}" not in first
    assert f"C-{ids[-1]:06d}" in second
    assert "Page 2 of 2" in first


def test_finance_claim_page_shows_flags_fee_choice_and_masked_bank_details(
    client, approver_a, with_receipt
):
    claim_id, _receipt_id = with_receipt
    sign_in(client, approver_a)

    page = page_text(client.get(f"/finance/claims/{claim_id}"))

    assert "The full fee" in page
    assert "Sort code **-**-56, account ****5678" in page
    assert "Not yet: check them before this claim is paid" in page
    assert "12345678" not in page
    assert "Confirmed by the coordinator" in page
    assert "ticket.pdf" in page


def test_finance_approver_downloads_a_receipt_and_it_is_audited(
    app, client, approver_a, expert, with_receipt
):
    claim_id, receipt_id = with_receipt
    sign_in(client, approver_a)

    response = client.get(f"/finance/claims/{claim_id}/receipts/{receipt_id}")

    assert response.status_code == 200
    assert response.data == PDF
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "claim.receipt_downloaded")
        ).one()
        assert (event.actor_id, event.subject_user_id) == (approver_a.id, expert.id)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/finance/claims/{claim}"),
        ("GET", "/finance/claims/{claim}/receipts/{receipt}"),
        ("GET", "/finance/claims/{claim}/approve"),
        ("POST", "/finance/claims/{claim}/approve"),
        ("GET", "/finance/claims/{claim}/return"),
        ("POST", "/finance/claims/{claim}/return"),
        ("GET", "/finance/claims/{claim}/reject"),
        ("POST", "/finance/claims/{claim}/reject"),
    ],
)
def test_approver_of_another_cost_centre_gets_not_found(
    app, client, make_user, make_cost_centre, set_approvers, with_receipt, method, path
):
    claim_id, receipt_id = with_receipt
    stranger = make_user(roles=(Role.FINANCE_APPROVER,))
    set_approvers(make_cost_centre(), stranger)
    sign_in(client, stranger)

    response = client.open(path.format(claim=claim_id, receipt=receipt_id), method=method)

    assert response.status_code == 404
    assert _status(app, claim_id) is ClaimStatus.VERIFIED


def test_finance_admin_sees_every_claim_but_cannot_decide(client, make_user, with_receipt):
    claim_id, _receipt_id = with_receipt
    sign_in(client, make_user(roles=(Role.FINANCE_ADMIN,)))

    assert client.get(f"/finance/claims/{claim_id}").status_code == 200
    assert f"C-{claim_id:06d}" in page_text(client.get("/finance/claims"))
    assert client.post(f"/finance/claims/{claim_id}/approve").status_code == 403


def test_draft_claims_are_not_found_for_finance(app, client, make_user, sign_up):
    with app.app_context():
        person = db.session.get(User, sign_up.person_id)
        loaded = db.session.get(SignUp, sign_up.id)
        assert person is not None and loaded is not None
        draft = drafts.start_claim(loaded, actor=person).id
    sign_in(client, make_user(roles=(Role.FINANCE_ADMIN,)))

    assert client.get(f"/finance/claims/{draft}").status_code == 404


# Finance: decisions -------------------------------------------------------------------------


def test_approve_with_a_reduced_line_shows_it_to_the_person(
    app, client, approver_a, expert, with_receipt, outbox
):
    claim_id, _receipt_id = with_receipt
    with app.app_context():
        claim = access.load_claim(claim_id)
        assert claim is not None
        line_id = claim.lines[0].id
    sign_in(client, approver_a)
    assert "Amount to approve" in page_text(client.get(f"/finance/claims/{claim_id}/approve"))

    response = client.post(
        f"/finance/claims/{claim_id}/approve",
        data={
            "version": str(_version(app, claim_id)),
            f"approve_{line_id}": "3.00",
            f"note_{line_id}": "The day ticket was £3.00",
        },
    )

    assert response.status_code == 302
    assert _status(app, claim_id) is ClaimStatus.APPROVED
    sign_in(client, expert)
    page = page_text(client.get(f"/claims/{claim_id}"))
    assert "Finance approved £3.00: The day ticket was £3.00" in page
    assert "Approved by finance £3.00" in page
    # The approver and the coordinator decided in their own right, not on the person's behalf.
    assert "on behalf of" not in page
    mine = page_text(client.get("/my-claims"))
    assert "Total Claimed £4.50" in mine and "Approved by finance £3.00" in mine
    assert "£4.50 claimed, £3.00 approved" in str(outbox()[-1].body)


def test_reduction_without_a_reason_is_shown_next_to_it(app, client, approver_a, with_receipt):
    claim_id, _receipt_id = with_receipt
    with app.app_context():
        claim = access.load_claim(claim_id)
        assert claim is not None
        line_id = claim.lines[0].id
    sign_in(client, approver_a)

    response = client.post(
        f"/finance/claims/{claim_id}/approve",
        data={"version": str(_version(app, claim_id)), f"approve_{line_id}": "3.00"},
    )

    assert response.status_code == 200
    assert "the person will read it" in error_near(response, f"note_{line_id}")
    assert _status(app, claim_id) is ClaimStatus.VERIFIED


def test_above_the_limit_the_first_approver_is_told_it_waits_for_a_second(
    app, client, approver_a, approver_b, coordinator, sign_up, make_sent_claim
):
    claim_id = make_sent_claim(sign_up, units=15, verified_by=coordinator)  # £300
    sign_in(client, approver_a)

    first = client.post(
        f"/finance/claims/{claim_id}/approve",
        data={"version": str(_version(app, claim_id))},
        follow_redirects=True,
    )
    assert "waits for a second approver" in page_text(first)
    assert "already" in page_text(client.get(f"/finance/claims/{claim_id}"))
    sign_in(client, approver_b)
    page = page_text(client.get(f"/finance/claims/{claim_id}"))
    assert "Waiting for a second approver" in page
    assert "First approval: Ann Approver" in page
    client.post(
        f"/finance/claims/{claim_id}/approve", data={"version": str(_version(app, claim_id))}
    )

    assert _status(app, claim_id) is ClaimStatus.APPROVED


def test_the_loser_of_a_race_is_told_what_happened_and_sees_the_claim(
    app, client, approver_a, approver_b, coordinator, sign_up, make_sent_claim
):
    claim_id = make_sent_claim(sign_up, verified_by=coordinator)
    seen = _version(app, claim_id)
    sign_in(client, approver_b)
    client.post(f"/finance/claims/{claim_id}/reject", data={"version": str(seen), "reason": "No"})
    sign_in(client, approver_a)

    response = client.post(
        f"/finance/claims/{claim_id}/approve", data={"version": str(seen)}, follow_redirects=True
    )

    page = page_text(response)
    assert "This claim is not waiting for finance: it is not paid." in page
    assert _status(app, claim_id) is ClaimStatus.REJECTED


def test_stale_page_version_gets_the_someone_else_message(
    app, client, approver_a, coordinator, expert, sign_up, make_sent_claim
):
    claim_id = make_sent_claim(sign_up, verified_by=coordinator)
    seen = _version(app, claim_id) - 1
    sign_in(client, approver_a)

    response = client.post(
        f"/finance/claims/{claim_id}/return",
        data={"version": str(seen), "reason": "Which day?"},
        follow_redirects=True,
    )

    assert "Someone else has just confirmed this claim. Here is where it stands now." in page_text(
        response
    )
    assert _status(app, claim_id) is ClaimStatus.VERIFIED


def test_reject_page_suggests_kind_wording_and_needs_a_reason(
    app, client, approver_a, with_receipt
):
    claim_id, _receipt_id = with_receipt
    sign_in(client, approver_a)

    assert "Help with kind wording" in page_text(client.get(f"/finance/claims/{claim_id}/reject"))
    response = client.post(
        f"/finance/claims/{claim_id}/reject",
        data={"version": str(_version(app, claim_id)), "reason": ""},
    )

    assert "Say why the claim cannot be paid" in error_near(response, "reason")
    assert _status(app, claim_id) is ClaimStatus.VERIFIED


def test_rejected_claim_shows_the_reason_to_the_person(
    app, client, approver_a, expert, with_receipt
):
    claim_id, _receipt_id = with_receipt
    sign_in(client, approver_a)
    client.post(
        f"/finance/claims/{claim_id}/reject",
        data={"version": str(_version(app, claim_id)), "reason": "The bus fare was paid by us."},
    )
    sign_in(client, expert)

    assert "The bus fare was paid by us." in page_text(client.get(f"/claims/{claim_id}"))


# Delegation, digests, export, cost centres ---------------------------------------------------


def test_approver_names_a_delegate_who_then_sees_the_claims(
    app, client, approver_a, make_user, coordinator, sign_up, make_sent_claim
):
    delegate = make_user(name="Dee Delegate", roles=(Role.FINANCE_APPROVER,))
    claim_id = make_sent_claim(sign_up, verified_by=coordinator)
    sign_in(client, approver_a)
    response = client.post(
        "/finance/delegation",
        data={
            "delegate": str(delegate.id),
            "starts_on-day": str(TODAY.day),
            "starts_on-month": str(TODAY.month),
            "starts_on-year": str(TODAY.year),
            "ends_on-day": str(TODAY.day),
            "ends_on-month": str(TODAY.month),
            "ends_on-year": str(TODAY.year),
        },
    )
    assert response.status_code == 302
    sign_in(client, delegate)

    page = page_text(client.get("/finance/claims"))

    assert "You are standing in for Ann Approver" in page
    assert f"C-{claim_id:06d}" in page


def test_ending_someone_elses_delegation_is_not_found(app, client, approver_a, make_user):
    from payclaims.approvals import routing

    delegate = make_user(roles=(Role.FINANCE_APPROVER,))
    with app.app_context():
        acting = db.session.get(User, approver_a.id)
        assert acting is not None
        delegation_id = routing.create_delegation(
            actor=acting,
            delegate_id=delegate.id,
            starts_on=TODAY,
            ends_on=TODAY,
            today=TODAY,
            ip_address=None,
        ).id
    sign_in(client, delegate)

    assert client.post(f"/finance/delegation/{delegation_id}/end").status_code == 404


def test_send_digests_command_emails_waiting_approvers(
    runner, coordinator, sign_up, make_sent_claim, outbox
):
    make_sent_claim(sign_up, verified_by=coordinator)
    before = len(outbox())

    result = runner.invoke(args=["send-digests"])

    assert result.exit_code == 0, result.output
    assert "Sent 2 digests." in result.output
    assert len(outbox()) == before + 2


def test_send_digests_command_sends_over_one_connection_past_a_refused_address(
    make_app, approver_a, approver_b, coordinator, sign_up, make_sent_claim, mail_server, caplog
):
    make_sent_claim(sign_up, verified_by=coordinator)
    mail_server.refused.add(approver_a.email)
    runner = make_app(MAIL_BACKEND="smtp").test_cli_runner()

    result = runner.invoke(args=["send-digests"])

    assert result.exit_code == 0, result.output
    assert "Sent 1 digest." in result.output
    assert mail_server.connections == [[approver_b.email]]
    assert f"Email not sent to {approver_a.email}" in caplog.text


def test_export_downloads_csv_and_is_audited(
    app, client, approver_a, coordinator, sign_up, make_sent_claim
):
    claim_id = make_sent_claim(sign_up, verified_by=coordinator)
    sign_in(client, approver_a)

    response = client.get("/finance/claims.csv?status=all&min_amount=10")

    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeffReference,")
    assert f"C-{claim_id:06d}" in text
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "claims.exported")
        ).one()
        assert "from £10.00" in event.detail


def test_finance_admin_chooses_approvers_and_the_limit(
    app, client, make_user, make_cost_centre, approver_a
):
    centre = make_cost_centre(code="CC-9")
    sign_in(client, make_user(roles=(Role.FINANCE_ADMIN,)))

    response = client.post(
        f"/finance/cost-centres/{centre.id}/approvers",
        data={"approvers": [str(approver_a.id)], "limit": "400"},
    )

    assert response.status_code == 302
    with app.app_context():
        stored = db.session.get(CostCentre, centre.id)
        assert stored is not None
        assert [user.id for user in stored.approvers] == [approver_a.id]
        assert stored.single_approver_limit_pence == 40_000
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "cost_centre.approvers_changed")
        ).one()
        assert "added Ann Approver" in event.detail
    assert "Ann Approver" in page_text(client.get("/finance/cost-centres/"))


def test_only_finance_approvers_can_be_chosen(app, client, make_user, make_cost_centre, expert):
    centre = make_cost_centre()
    sign_in(client, make_user(roles=(Role.FINANCE_ADMIN,)))

    response = client.post(
        f"/finance/cost-centres/{centre.id}/approvers",
        data={"approvers": [str(expert.id)], "limit": "250"},
    )

    assert response.status_code == 200
    assert "Choose finance approvers from the list" in page_text(response)


def test_audit_trail_filters_claim_decisions_by_person_date_and_claim(
    app, client, make_user, approver_a, coordinator, sign_up, make_sent_claim
):
    first = make_sent_claim(sign_up, verified_by=coordinator)
    second = make_sent_claim(sign_up, verified_by=coordinator)
    sign_in(client, approver_a)
    for claim_id in (first, second):
        client.post(
            f"/finance/claims/{claim_id}/approve", data={"version": str(_version(app, claim_id))}
        )
    sign_in(client, make_user(roles=(Role.ADMIN,)))
    client.get("/admin/audit/")  # shows (and so clears) the approver's flashed messages
    today = f"since-day={TODAY.day}&since-month={TODAY.month}&since-year={TODAY.year}"

    by_claim = page_text(
        client.get(f"/admin/audit/?object_type=claim&object_id={first}&person=ann+approver")
    )
    by_action = page_text(client.get(f"/admin/audit/?action=claim.approved&{today}"))
    yesterday = TODAY - timedelta(days=1)
    before = page_text(
        client.get(
            "/admin/audit/?action=claim.approved"
            f"&until-day={yesterday.day}&until-month={yesterday.month}&until-year={yesterday.year}"
        )
    )

    assert f"C-{first:06d}: approved" in by_claim
    assert f"C-{second:06d}" not in by_claim
    assert f"C-{first:06d}: work confirmed" not in by_claim  # done by the coordinator
    assert by_action.count("Claim approved") >= 2
    assert "No events match." in before


def test_queue_export_link_carries_only_the_filter_fields(client, approver_a):
    sign_in(client, approver_a)

    response = client.get(
        "/finance/claims?status=all&min_amount=10&_external=1&_scheme=javascript&_anchor=x"
    )

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "javascript" not in page
    assert 'href="/finance/claims.csv?status=all&amp;min_amount=10"' in page


@pytest.mark.parametrize("action", ["approve", "return", "reject"])
def test_decision_without_the_page_version_asks_to_reload_and_decides_nothing(
    app, client, approver_a, coordinator, sign_up, make_sent_claim, action
):
    claim_id = make_sent_claim(sign_up, verified_by=coordinator)
    sign_in(client, approver_a)

    response = client.post(
        f"/finance/claims/{claim_id}/{action}", data={"reason": "No"}, follow_redirects=True
    )

    assert "Please reload the page" in page_text(response)
    assert _status(app, claim_id) is ClaimStatus.VERIFIED


def test_confirm_without_the_page_version_asks_to_reload_and_decides_nothing(
    app, client, coordinator, sign_up, make_sent_claim
):
    claim_id = make_sent_claim(sign_up)
    sign_in(client, coordinator)

    response = client.post(
        f"/coordinator/claims/{claim_id}", data={"decision": "confirm"}, follow_redirects=True
    )

    assert "Please reload the page" in page_text(response)
    assert _status(app, claim_id) is ClaimStatus.SUBMITTED
