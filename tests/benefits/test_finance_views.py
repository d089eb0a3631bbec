"""The benefits check where finance sees it: the queue's badge and level filter, the claim
page's full result, and payment runs (per payee, the claims that got worse since sending, and
the tick needed only then)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from payclaims.audit.models import AuditAction, AuditEvent
from payclaims.auth.models import Role, User
from payclaims.benefits.engine.types import Level
from payclaims.claims.models import Claim, ClaimStatus
from payclaims.extensions import db
from payclaims.payments.confirm import RunBenefits, benefits_check_for_run
from payclaims.payments.models import PaymentRun
from payclaims.payments.payees import payees as payees_of
from payclaims.payments.runs import create_run, load_run
from payclaims.roles.models import RoleDescription, SignUp, SignUpStatus
from tests.helpers import give_profile, sign_in

PAY_ON = date.today() + timedelta(days=2)
SEEN_TICK = "I have seen the benefits changes"


@pytest.fixture
def approver(make_user: Callable[..., User]) -> User:
    return make_user(name="Ann Approver", roles=(Role.FINANCE_APPROVER, Role.FINANCE_ADMIN))


@pytest.fixture
def coordinator(make_user: Callable[..., User]) -> User:
    return make_user(name="Cora Coordinator", roles=(Role.COORDINATOR,))


@pytest.fixture
def role(make_role: Callable[..., RoleDescription], coordinator: User) -> RoleDescription:
    return make_role(coordinator=coordinator)


@pytest.fixture
def accepted_sign_up(
    make_user: Callable[..., User],
    make_sign_up: Callable[..., SignUp],
    give_bank_details: Callable[..., None],
    role: RoleDescription,
) -> Callable[[str], SignUp]:
    """Sign a new person called ``name``, with bank details, up to the role (accepted)."""

    def build(name: str) -> SignUp:
        person = make_user(name=name)
        give_bank_details(person)
        return make_sign_up(role, person=person, status=SignUpStatus.ACCEPTED)

    return build


def _give_uc_profile(app: Flask, sign_up: SignUp) -> User:
    """Put the person on ``sign_up`` on UC without a work allowance (55% of earnings)."""
    with app.app_context():
        person = db.session.get(User, sign_up.person_id)
        assert person is not None
    give_profile(app, person)
    return person


def _ids_in(page: str, *claim_ids: int) -> list[bool]:
    return [f"C-{claim_id:06d}" in page for claim_id in claim_ids]


# The finance queue --------------------------------------------------------------------------


def test_queue_shows_a_uc_badge_and_filters_by_level(
    app: Flask, client, approver, coordinator, accepted_sign_up, make_sent_claim
):
    on_uc = accepted_sign_up("Uma Universal")
    no_profile = accepted_sign_up("Nia Noprofile")
    uc_claim = make_sent_claim(on_uc, verified_by=coordinator)
    plain_claim = make_sent_claim(no_profile, verified_by=coordinator)
    _give_uc_profile(app, on_uc)
    sign_in(client, approver)

    page = client.get("/finance/claims").get_data(as_text=True)
    reduces = client.get("/finance/claims?benefits_level=reduces").get_data(as_text=True)
    clear = client.get("/finance/claims?benefits_level=clear").get_data(as_text=True)
    none = client.get("/finance/claims?benefits_level=none").get_data(as_text=True)

    assert "UC: about £33.00 less" in page
    assert "No benefits profile" in page
    assert _ids_in(reduces, uc_claim, plain_claim) == [True, False]
    assert _ids_in(clear, uc_claim, plain_claim) == [False, False]
    assert _ids_in(none, uc_claim, plain_claim) == [False, True]


def test_queue_level_filter_pages_over_every_matching_claim(
    app, client, approver, coordinator, accepted_sign_up, make_sent_claim
):
    on_uc = accepted_sign_up("Uma Universal")
    no_profile = accepted_sign_up("Nia Noprofile")
    # 26 claims without a profile first (oldest), then one on UC: a page-then-filter would
    # miss the UC claim on page 1.
    for _ in range(26):
        make_sent_claim(no_profile, verified_by=coordinator)
    uc_claim = make_sent_claim(on_uc, verified_by=coordinator, days_ago=1)
    _give_uc_profile(app, on_uc)
    sign_in(client, approver)

    first = client.get("/finance/claims?benefits_level=reduces").get_data(as_text=True)
    none_page_2 = client.get("/finance/claims?benefits_level=none&page=2").get_data(as_text=True)

    assert _ids_in(first, uc_claim) == [True]
    assert "Page 2 of 2" not in first
    assert "Page 1 of 2" in none_page_2
    assert _ids_in(none_page_2, uc_claim) == [False]


# The finance claim page ---------------------------------------------------------------------


def test_claim_page_shows_the_full_result_what_was_seen_and_the_links(
    app, client, approver, coordinator, accepted_sign_up, make_sent_claim
):
    on_uc = accepted_sign_up("Uma Universal")
    claim_id = make_sent_claim(on_uc, verified_by=coordinator)
    person = _give_uc_profile(app, on_uc)
    sign_in(client, approver)

    page = client.get(f"/finance/claims/{claim_id}").get_data(as_text=True)

    assert "Benefits check" in page
    assert "Universal Credit: reduces" in page
    assert "Estimated reduction" in page and "about £33.00" in page
    assert "estimates from published rules, not advice" in page
    assert "no benefits warning was shown" in page
    assert f"/finance/claims/{claim_id}/benefits-profile" in page
    assert f"/finance/people/{person.id}/payments-statement.pdf" in page


def test_claim_page_without_profile_says_so(
    client, approver, coordinator, accepted_sign_up, make_sent_claim
):
    sign_up = accepted_sign_up("Nia Noprofile")
    claim_id = make_sent_claim(sign_up, verified_by=coordinator)
    sign_in(client, approver)

    page = client.get(f"/finance/claims/{claim_id}").get_data(as_text=True)

    assert "No benefits profile" in page


# Payment runs -------------------------------------------------------------------------------


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user(name="Ada Admin", roles=(Role.FINANCE_ADMIN,))


def _draft_run(app: Flask, admin: User, claim_ids: list[int]) -> int:
    with app.app_context():
        actor = db.session.get(User, admin.id)
        assert actor is not None
        run = create_run(actor=actor, payment_on=PAY_ON, today=date.today(), claim_ids=claim_ids)
        return run.id


def _seen(app: Flask, claim_id: int, level: Level | None) -> None:
    with app.app_context():
        db.session.execute(
            update(Claim)
            .where(Claim.id == claim_id)
            .values(benefits_warning_level=level.value if level else None)
        )
        db.session.commit()


def _status(app: Flask, claim_id: int) -> ClaimStatus:
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        assert claim is not None
        return claim.status


def test_benefits_check_for_run_lists_claims_worse_than_seen(
    app, admin, make_user, make_approved_claim
):
    worse_person = make_user(name="Wes Worse")
    same_person = make_user(name="Sam Same")
    plain_person = make_user(name="Pat Plain")
    worse = make_approved_claim(person=worse_person)
    same = make_approved_claim(person=same_person)
    plain = make_approved_claim(person=plain_person)
    give_profile(app, worse_person)
    give_profile(app, same_person)
    _seen(app, same.id, Level.REDUCES)
    run_id = _draft_run(app, admin, [worse.id, same.id, plain.id])

    with app.app_context():
        run = load_run(run_id)
        assert run is not None
        result = benefits_check_for_run(run)
        payees = {payee.person.id: payee for payee in payees_of(run)}
        payee_check = result.for_payee(payees[worse_person.id])

        assert result.paid_on == PAY_ON
        assert [item.claim.id for item in result.worse] == [worse.id]
        assert result.claims[same.id].check is not None
        assert result.claims[same.id].got_worse is False
        assert result.claims[plain.id].check is None
        assert result.for_payee(payees[plain_person.id]) is None
        assert payee_check is not None and payee_check.badge == "UC: about £33.00 less"
        assert "no warning -> reduces" in RunBenefits.describe(result.worse)


def test_benefits_check_for_run_counts_a_lower_stored_level_as_worse(
    app, admin, make_user, make_approved_claim
):
    person = make_user(name="Nora Near")
    claim = make_approved_claim(person=person)
    give_profile(app, person)
    _seen(app, claim.id, Level.NEAR)
    run_id = _draft_run(app, admin, [claim.id])

    with app.app_context():
        run = load_run(run_id)
        assert run is not None
        assert [item.claim.id for item in benefits_check_for_run(run).worse] == [claim.id]


def test_run_page_lists_worse_claims_and_needs_the_tick(
    app, client, admin, make_user, make_approved_claim
):
    person = make_user(name="Wes Worse")
    claim = make_approved_claim(person=person)
    give_profile(app, person)
    run_id = _draft_run(app, admin, [claim.id])
    sign_in(client, admin)

    page = client.get(f"/finance/payment-runs/{run_id}").get_data(as_text=True)
    refused = client.post(f"/finance/payment-runs/{run_id}/confirm", data={"version": "1"})

    assert "Benefits changes since the claims were sent" in page
    assert "no warning when sending" in page and "UC: about £33.00 less" in page
    assert SEEN_TICK in page
    assert refused.status_code == 200
    assert "Tick to say you have seen the benefits changes" in refused.get_data(as_text=True)
    assert _status(app, claim.id) is ClaimStatus.SCHEDULED

    accepted = client.post(
        f"/finance/payment-runs/{run_id}/confirm", data={"version": "1", "benefits_seen": "y"}
    )

    assert accepted.status_code == 302
    assert _status(app, claim.id) is ClaimStatus.PAID
    with app.app_context():
        detail = db.session.scalar(
            select(AuditEvent.detail).where(
                AuditEvent.action == AuditAction.PAYMENT_RUN_CONFIRMED.value
            )
        )
    assert detail is not None and "benefits changes seen" in detail
    assert f"C-{claim.id:06d} no warning -> reduces" in detail


def test_run_without_benefits_changes_confirms_without_the_tick(
    app, client, admin, make_user, make_approved_claim
):
    person = make_user(name="Pat Plain")
    claim = make_approved_claim(person=person)
    run_id = _draft_run(app, admin, [claim.id])
    sign_in(client, admin)

    page = client.get(f"/finance/payment-runs/{run_id}").get_data(as_text=True)
    response = client.post(f"/finance/payment-runs/{run_id}/confirm", data={"version": "1"})

    assert "No benefits profile" in page
    assert SEEN_TICK not in page
    assert response.status_code == 302
    assert _status(app, claim.id) is ClaimStatus.PAID
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PaymentRun)) == 1
