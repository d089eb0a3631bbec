"""A payment run in a real browser, axe-checked on every page: the finance admin makes a run
from an approved claim and confirms it; the person finds their remittance slip."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import Page, expect

from payclaims.auth.models import Role, User
from payclaims.dates import format_date, uk_today
from tests.conftest import PASSWORD, ApprovedClaim
from tests.e2e.conftest import PHONE, follow_link, press_button, visit


def _sign_in(page: Page, email: str) -> None:
    visit(page, "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    press_button(page, "Sign in")


def test_finance_admin_pays_a_run_and_the_person_finds_their_slip(
    make_page: Callable[..., Page],
    make_user: Callable[..., User],
    make_approved_claim: Callable[..., ApprovedClaim],
) -> None:
    make_user(name="Grace Mensah", email="grace@example.org", roles=(Role.FINANCE_ADMIN,))
    expert = make_user(name="Sam Okafor", email="sam@example.org")
    make_approved_claim(person=expert, expense_pence=340)
    pay_on = uk_today() + timedelta(days=3)

    page = make_page()
    _sign_in(page, "grace@example.org")
    follow_link(page, "Payment runs")
    press_button(page, "Start a payment run")
    page.get_by_role("textbox", name="Day", exact=True).fill(str(pay_on.day))
    page.get_by_role("textbox", name="Month", exact=True).fill(str(pay_on.month))
    page.get_by_role("textbox", name="Year", exact=True).fill(str(pay_on.year))
    press_button(page, "Create the payment run")
    expect(page.get_by_role("heading", name="Sam Okafor: £63.40")).to_be_visible()
    press_button(page, "Confirm and pay £63.40")
    expect(page.get_by_text("Confirmed: paid").first).to_be_visible()
    expect(page.get_by_role("link", name="Download the bank file (CSV)")).to_be_visible()

    phone = make_page(PHONE)
    _sign_in(phone, "sam@example.org")
    visit(phone, "/my-payments")
    slip_link = phone.get_by_role(
        "link", name=f"Download your remittance slip for {format_date(pay_on)} (PDF)"
    )
    expect(slip_link).to_be_visible()
    response = phone.request.get(str(slip_link.get_attribute("href")))
    assert response.status == 200
    assert response.body().startswith(b"%PDF")
    visit(phone, "/my-claims")
    expect(phone.get_by_text(f"Paid on {format_date(pay_on)}").first).to_be_visible()
