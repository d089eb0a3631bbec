"""The person's benefits pages through the browser's eyes: the profile (own only, finance from a
claim, others not found), the panel on the claim form, the what-if page and payments statements
(read back with pypdf)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pypdf
import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.test import TestResponse

from payclaims.audit.models import AuditEvent
from payclaims.auth.models import Role, User
from payclaims.benefits.profile.models import BenefitProfile, FeeChoice
from payclaims.claims import access, drafts, fees
from payclaims.claims.models import Claim, ClaimEvent, ClaimStatus
from payclaims.costcentres.models import CostCentre
from payclaims.dates import uk_today
from payclaims.extensions import db
from payclaims.roles.models import RoleDescription, SignUp, SignUpStatus
from tests.helpers import page_text, sign_in

UC_ANSWERS = {
    "benefits": ["universal_credit"],
    "uc_start_day": "14",
    "uc_child_or_lcw": "no",
    "week_start": "monday",
    "default_fee_choice": "full",
}


@pytest.fixture
def expert(make_user: Callable[..., User], give_bank_details: Callable[..., None]) -> User:
    person = make_user(name="Uma Universal", email="uma@example.org")
    give_bank_details(person)
    return person


@pytest.fixture
def role(make_role: Callable[..., RoleDescription]) -> RoleDescription:
    """An hourly role at £20 an hour."""
    return make_role()


@pytest.fixture
def sign_up(make_sign_up: Callable[..., SignUp], role: RoleDescription, expert: User) -> SignUp:
    return make_sign_up(role, person=expert, status=SignUpStatus.ACCEPTED)


def _profile(app: Flask, person: User) -> BenefitProfile | None:
    with app.app_context():
        profile = db.session.scalar(
            select(BenefitProfile).where(BenefitProfile.person_id == person.id)
        )
        if profile is not None:
            db.session.expunge(profile)
        return profile


def _audit(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        return [
            (event.action, event.detail)
            for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]


def _give_uc_profile(client, **changes: object) -> TestResponse:
    return client.post("/account/benefits-profile/change", data={**UC_ANSWERS, **changes})


def _draft(app: Flask, sign_up: SignUp, *, hours: int = 3) -> int:
    with app.app_context():
        person = db.session.get(User, sign_up.person_id)
        loaded = db.session.get(SignUp, sign_up.id)
        assert person is not None and loaded is not None
        claim_id = drafts.start_claim(loaded, actor=person).id
        claim = access.load_claim(claim_id)
        assert claim is not None
        fees.add_fee_line(
            claim,
            actor=person,
            session_on=uk_today() - timedelta(days=3),
            description="Interview panel",
            units=Decimal(hours),
        )
    return claim_id


def _claim(app: Flask, claim_id: int) -> Claim:
    with app.app_context():
        claim = access.load_claim(claim_id)
        assert claim is not None
        db.session.expunge_all()
    return claim


# The profile -------------------------------------------------------------------------------


def test_profile_page_without_profile_explains_why_we_ask(client, expert):
    sign_in(client, expert)

    page = page_text(client.get("/account/benefits-profile"))

    assert "Why we ask" in page
    assert "Who can see it" in page
    assert "How to delete it" in page
    assert "Give a benefits profile" in page


def test_give_profile_saves_it_and_audits_without_the_benefits(app, client, expert):
    sign_in(client, expert)

    response = _give_uc_profile(client, uc_child_or_lcw="yes", uc_housing_costs="yes")

    assert response.status_code == 302
    profile = _profile(app, expert)
    assert profile is not None
    assert profile.gets_universal_credit and not profile.gets_esa
    assert profile.uc_assessment_period_start_day == 14
    assert profile.work_allowance.value == "lower"
    page = page_text(client.get("/account/benefits-profile"))
    assert "Day 14 of each month" in page
    assert "The lower work allowance" in page
    ((action, detail),) = _audit(app)
    assert action == "benefits_profile.changed"
    assert "Universal" not in detail


def test_give_profile_with_uc_and_no_start_day_shows_the_error_and_keeps_answers(
    app, client, expert
):
    sign_in(client, expert)

    response = _give_uc_profile(client, uc_start_day="", uc_child_or_lcw="")

    assert response.status_code == 200
    page = page_text(response)
    assert "Enter the day your Universal Credit assessment period starts" in page
    assert "Select yes if you are responsible for a child" in page
    assert 'value="universal_credit" checked' in response.get_data(as_text=True)
    assert _profile(app, expert) is None


@pytest.mark.parametrize("day", ["0", "32", "fourteen"])
def test_give_profile_with_a_bad_start_day_is_refused(app, client, expert, day):
    sign_in(client, expert)

    response = _give_uc_profile(client, uc_start_day=day)

    assert "Enter the day as a number from 1 to 31" in page_text(response)
    assert _profile(app, expert) is None


def test_change_profile_drops_answers_of_benefits_no_longer_received(app, client, expert):
    sign_in(client, expert)
    _give_uc_profile(client)

    client.post(
        "/account/benefits-profile/change",
        data={
            "benefits": ["carers_allowance"],
            "uc_start_day": "14",
            "carers_earnings": "40.00",
            "week_start": "thursday",
            "default_fee_choice": "expenses_only",
        },
    )

    profile = _profile(app, expert)
    assert profile is not None
    assert not profile.gets_universal_credit
    assert profile.uc_assessment_period_start_day is None
    assert profile.carers_other_weekly_earnings_pence == 4000
    assert profile.week_start.value == "thursday"
    assert [action for action, _ in _audit(app)] == ["benefits_profile.changed"] * 2


def test_delete_profile_really_deletes_it(app, client, expert):
    sign_in(client, expert)
    _give_uc_profile(client)
    assert "Delete your benefits profile?" in page_text(
        client.get("/account/benefits-profile/delete")
    )

    response = client.post("/account/benefits-profile/delete")

    assert response.status_code == 302
    assert _profile(app, expert) is None
    assert _audit(app)[-1] == ("benefits_profile.deleted", "Benefits profile deleted")


def test_profile_default_fee_choice_starts_new_claims(app, client, expert, sign_up):
    sign_in(client, expert)
    _give_uc_profile(client, default_fee_choice="expenses_only")

    response = client.post(f"/sign-ups/{sign_up.id}/claims/new")

    claim_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert _claim(app, claim_id).fee_choice is FeeChoice.EXPENSES_ONLY


def _sent_claim(app: Flask, sign_up: SignUp) -> int:
    claim_id = _draft(app, sign_up)
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        assert claim is not None
        claim.status = ClaimStatus.VERIFIED
        db.session.commit()
    return claim_id


@pytest.mark.parametrize("finance_role", [Role.FINANCE_APPROVER, Role.FINANCE_ADMIN])
def test_finance_profile_from_a_sent_claim_shows_it_and_is_audited(
    app, client, expert, sign_up, make_user, set_approvers, finance_role
):
    sign_in(client, expert)
    _give_uc_profile(client)
    claim_id = _sent_claim(app, sign_up)
    finance = make_user(name="Fin Ance", roles=(finance_role,))
    set_approvers(_cost_centre(app, sign_up), finance)
    sign_in(client, finance)

    response = client.get(f"/finance/claims/{claim_id}/benefits-profile")

    assert response.status_code == 200
    assert "Day 14 of each month" in page_text(response)
    assert _audit(app)[-1] == ("benefits_profile.viewed_by_finance", f"From claim C-{claim_id:06d}")


def _cost_centre(app: Flask, sign_up: SignUp) -> CostCentre:
    with app.app_context():
        loaded = db.session.get(SignUp, sign_up.id)
        assert loaded is not None
        return loaded.role.cost_centre


def test_finance_profile_for_an_approver_the_claim_is_not_routed_to_is_not_found(
    app, client, expert, sign_up, make_user, make_cost_centre, set_approvers
):
    sign_in(client, expert)
    _give_uc_profile(client)
    claim_id = _sent_claim(app, sign_up)
    elsewhere = make_user(name="Other Approver", roles=(Role.FINANCE_APPROVER,))
    set_approvers(make_cost_centre(code="ELSE1", name="Elsewhere"), elsewhere)
    sign_in(client, elsewhere)

    assert client.get(f"/finance/claims/{claim_id}/benefits-profile").status_code == 404


def test_finance_profile_from_a_draft_claim_is_not_found(app, client, expert, sign_up, make_user):
    claim_id = _draft(app, sign_up)
    sign_in(client, make_user(roles=(Role.FINANCE_APPROVER,)))

    assert client.get(f"/finance/claims/{claim_id}/benefits-profile").status_code == 404
    assert client.get("/finance/claims/987654/benefits-profile").status_code == 404


@pytest.mark.parametrize(
    "roles", [(Role.EXPERT,), (Role.COORDINATOR,), (Role.ADMIN,)], ids=["expert", "coord", "admin"]
)
def test_others_cannot_see_someone_elses_profile(app, client, expert, sign_up, make_user, roles):
    sign_in(client, expert)
    _give_uc_profile(client)
    claim_id = _sent_claim(app, sign_up)
    sign_in(client, make_user(roles=roles))

    response = client.get(f"/finance/claims/{claim_id}/benefits-profile")

    assert response.status_code == 403
    if Role.EXPERT in roles:
        assert "Day 14" not in page_text(client.get("/account/benefits-profile"))


# The panel on the claim form ----------------------------------------------------------------


def test_claim_page_with_uc_profile_over_the_allowance_shows_the_estimate(
    app, client, expert, sign_up
):
    sign_in(client, expert)
    _give_uc_profile(client)
    claim_id = _draft(app, sign_up)

    page = page_text(client.get(f"/claims/{claim_id}/send"))

    assert "What this payment might do to your benefits" in page
    assert "Estimated reduction about £33.00" in page
    assert "Earnings counted in the period £60.00" in page
    assert "These are estimates from published rules, not advice" in page
    assert "Citizens Advice" in page
    assert "write it in your online journal" in page
    assert "change how you want to be paid" in page
    assert "I have read what this payment might do to my benefits" in page


def test_claim_page_after_choosing_a_reduced_fee_updates_the_estimate(app, client, expert, sign_up):
    sign_in(client, expert)
    _give_uc_profile(client)
    claim_id = _draft(app, sign_up)

    response = client.post(
        f"/claims/{claim_id}/how-to-be-paid", data={"choice": "reduced", "reduced_fee": "20.00"}
    )

    assert response.status_code == 302
    page = page_text(client.get(response.headers["Location"]))
    assert "Estimated reduction about £11.00" in page
    assert "A reduced fee: £20.00" in page


def test_claim_page_with_expenses_only_shows_no_warning(app, client, expert, sign_up):
    sign_in(client, expert)
    _give_uc_profile(client, default_fee_choice="expenses_only")
    claim_id = _draft(app, sign_up)

    page = page_text(client.get(f"/claims/{claim_id}/send"))

    assert "What this payment might do to your benefits" not in page
    assert "will not reduce or stop your benefits" in page
    assert "I have read what this payment might do" not in page


def test_claim_page_without_profile_shows_no_panel(app, client, expert, sign_up):
    sign_in(client, expert)
    claim_id = _draft(app, sign_up)

    page = page_text(client.get(f"/claims/{claim_id}/send"))

    assert "your benefits" not in page.lower().replace("might this affect my benefits", "")


def test_send_claim_with_panel_needs_the_benefits_checkbox(app, client, expert, sign_up):
    sign_in(client, expert)
    _give_uc_profile(client)
    claim_id = _draft(app, sign_up)

    refused = client.post(f"/claims/{claim_id}/send", data={"declaration": "y"})

    assert refused.status_code == 200
    assert "Confirm that you have read what this payment might do" in page_text(refused)
    assert _claim(app, claim_id).status is ClaimStatus.DRAFT

    sent = client.post(f"/claims/{claim_id}/send", data={"declaration": "y", "benefits_read": "y"})

    assert sent.status_code == 302
    claim = _claim(app, claim_id)
    assert claim.status is ClaimStatus.SUBMITTED
    assert claim.benefits_warning_level == "reduces"
    assert claim.benefits_warning_seen_at is not None
    with app.app_context():
        notes = db.session.scalars(
            select(ClaimEvent.note).where(ClaimEvent.claim_id == claim_id)
        ).all()
    assert "Confirmed reading the benefits estimate" in notes[-1]
    assert "Universal" not in notes[-1]


def test_send_claim_without_panel_needs_no_benefits_checkbox(app, client, expert, sign_up):
    sign_in(client, expert)
    claim_id = _draft(app, sign_up)

    sent = client.post(f"/claims/{claim_id}/send", data={"declaration": "y"})

    assert sent.status_code == 302
    claim = _claim(app, claim_id)
    assert claim.status is ClaimStatus.SUBMITTED
    assert claim.benefits_warning_level is None


def test_claim_page_for_a_coordinator_claiming_on_behalf_shows_no_benefits(
    app, client, expert, sign_up, role
):
    sign_in(client, expert)
    _give_uc_profile(client)
    claim_id = _draft(app, sign_up)
    with app.app_context():
        coordinator = db.session.get(User, role.coordinator_id)
        assert coordinator is not None
        db.session.expunge(coordinator)
    sign_in(client, coordinator)

    page = page_text(client.get(f"/claims/{claim_id}"))

    assert "What this payment might do" not in page
    assert "£33.00" not in page


# The what-if page ---------------------------------------------------------------------------


def test_what_if_with_profile_shows_the_effect_and_saves_nothing(app, client, expert, role):
    sign_in(client, expert)
    _give_uc_profile(client)
    before = _audit(app)

    start = client.get(f"/benefits/what-if?role_id={role.id}")
    assert "This role pays £20.00 an hour" in page_text(start)
    assert "There is a problem" not in page_text(start)
    assert 'value="40.00"' in start.get_data(as_text=True)  # 2 hours at £20, to start with

    response = client.get(
        "/benefits/what-if",
        query_string={
            "role_id": role.id,
            "sessions": "2",
            "fee": "40.00",
            "hours": "2",
            "paid_on-day": "27",
            "paid_on-month": "11",
            "paid_on-year": "2026",
        },
    )

    page = page_text(response)
    assert "All 2 sessions paid together on 27 November 2026" in page
    assert "Estimated reduction about £44.00" in page  # 55% of £80
    assert "One session paid on 27 November 2026" in page
    assert "Estimated reduction about £22.00" in page
    assert "estimates from published rules" in page
    assert _audit(app) == before


def test_what_if_without_profile_uses_the_answers_typed(app, client, expert):
    sign_in(client, expert)

    response = client.get(
        "/benefits/what-if",
        query_string={
            "sessions": "1",
            "fee": "250.00",
            "benefits": "carers_allowance",
            "carers_earnings": "0",
            "week_start": "monday",
            "paid_on-day": "27",
            "paid_on-month": "11",
            "paid_on-year": "2026",
        },
    )

    page = page_text(response)
    assert "Carer's Allowance: could stop for that week" in page
    assert _profile(app, expert) is None


def test_role_page_links_to_the_what_if_for_the_role(client, expert, role):
    sign_in(client, expert)

    response = client.get(f"/opportunities/{role.id}")

    assert f"/benefits/what-if?role_id={role.id}" in response.get_data(as_text=True)


# Payments statements ------------------------------------------------------------------------


def _paid(app: Flask, sign_up: SignUp, paid_on: date, *, hours: int) -> int:
    claim_id = _draft(app, sign_up, hours=hours)
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        assert claim is not None
        claim.status, claim.paid_on = ClaimStatus.PAID, paid_on
        db.session.commit()
    return claim_id


def _pdf_text(response: TestResponse) -> str:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.get_data()))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def _range(start: date, end: date) -> dict[str, str]:
    return {
        "start_on-day": str(start.day),
        "start_on-month": str(start.month),
        "start_on-year": str(start.year),
        "end_on-day": str(end.day),
        "end_on-month": str(end.month),
        "end_on-year": str(end.year),
    }


def test_statement_pdf_lists_payments_and_totals_by_assessment_period(app, client, expert, sign_up):
    sign_in(client, expert)
    _give_uc_profile(client)
    _paid(app, sign_up, date(2026, 11, 13), hours=1)
    _paid(app, sign_up, date(2026, 11, 20), hours=2)
    _paid(app, sign_up, date(2026, 11, 27), hours=3)
    _paid(app, sign_up, date(2025, 5, 1), hours=4)  # outside the range

    response = client.get(
        "/account/payments-statement.pdf",
        query_string=_range(date(2026, 4, 6), date(2027, 4, 5)),
    )

    text = _pdf_text(response)
    assert "Payments statement" in text
    assert "Uma Universal" in text
    assert "13 November 2026" in text and "27 November 2026" in text
    assert "1 May 2025" not in text
    assert "By Universal Credit assessment period" in text
    assert re.search(r"14 October 2026 to 13 November 2026 1 £20\.00 £0\.00 £20\.00", text)
    assert re.search(r"14 November 2026 to 13 December 2026 2 £100\.00 £0\.00 £100\.00", text)
    assert re.search(r"6 April 2026 to 5 April 2027 £120\.00 £0\.00 £120\.00", text)


def test_statement_pdf_is_tagged_for_screen_readers(client, expert):
    sign_in(client, expert)

    response = client.get("/account/payments-statement.pdf")

    assert _pdf_text(response).startswith("Payments statement")
    root = pypdf.PdfReader(io.BytesIO(response.get_data())).trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]


def test_statement_page_defaults_to_the_current_tax_year(client, expert):
    sign_in(client, expert)

    page = page_text(client.get("/account/payments-statement"))

    start = date(
        uk_today().year if uk_today() >= date(uk_today().year, 4, 6) else uk_today().year - 1, 4, 6
    )
    assert f"From 6 April {start.year} to 5 April {start.year + 1}: 0 payments" in page


def test_statement_with_end_before_start_shows_the_error(client, expert):
    sign_in(client, expert)

    response = client.get(
        "/account/payments-statement", query_string=_range(date(2026, 5, 1), date(2026, 4, 1))
    )

    assert "The end date must be on or after the start date" in page_text(response)


def test_finance_statement_pdf_of_anyone_is_audited(app, client, expert, sign_up, make_user):
    _paid(app, sign_up, date(2026, 11, 20), hours=2)
    sign_in(client, make_user(roles=(Role.FINANCE_ADMIN,)))

    text = _pdf_text(client.get(f"/finance/people/{expert.id}/payments-statement.pdf"))

    assert "Uma Universal" in text
    action, _detail = _audit(app)[-1]
    assert action == "benefits_statement.downloaded_by_finance"


def test_finance_statement_pdf_for_an_approver_not_working_their_claims_is_not_found(
    app, client, expert, sign_up, make_user
):
    _paid(app, sign_up, date(2026, 11, 20), hours=2)
    sign_in(client, make_user(roles=(Role.FINANCE_APPROVER,)))

    assert client.get(f"/finance/people/{expert.id}/payments-statement.pdf").status_code == 404


def test_finance_statement_pdf_for_the_approver_of_their_claim_is_given(
    app, client, expert, sign_up, make_user, set_approvers
):
    _paid(app, sign_up, date(2026, 11, 20), hours=2)
    approver = make_user(name="Routed Approver", roles=(Role.FINANCE_APPROVER,))
    set_approvers(_cost_centre(app, sign_up), approver)
    sign_in(client, approver)

    assert "Uma Universal" in _pdf_text(
        client.get(f"/finance/people/{expert.id}/payments-statement.pdf")
    )


def test_finance_statement_pdf_of_a_staff_account_is_not_found(client, make_user):
    sign_in(client, make_user(roles=(Role.FINANCE_ADMIN,)))
    coordinator = make_user(roles=(Role.COORDINATOR,))

    assert client.get(f"/finance/people/{coordinator.id}/payments-statement.pdf").status_code == 404
    assert client.get("/finance/people/987654/payments-statement.pdf").status_code == 404


def test_statement_of_another_expert_cannot_be_had(app, client, expert, sign_up, make_user):
    _paid(app, sign_up, date(2026, 11, 20), hours=2)
    other = make_user(name="Other Expert")
    sign_in(client, other)

    own = _pdf_text(client.get("/account/payments-statement.pdf"))
    finance_route = client.get(f"/finance/people/{expert.id}/payments-statement.pdf")

    assert "Uma Universal" not in own
    assert "Other Expert" in own
    assert finance_route.status_code == 403
