"""The benefits journey in a real browser at phone size, axe-checked on every page: give a UC
profile, draft a claim over the work allowance, read the estimate, choose a reduced fee, see
the estimate change, and send the claim confirming the estimate was read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import Page, expect

from payclaims.auth.models import Role, User
from payclaims.dates import uk_today
from payclaims.roles.models import RoleDescription, SignUp, SignUpStatus
from tests.e2e.helpers import PHONE, follow_link, press_button, sign_in_as, visit


def test_uc_profile_then_a_claim_over_the_allowance_then_a_reduced_fee_then_send(
    make_page: Callable[..., Page],
    make_user: Callable[..., User],
    make_role: Callable[..., RoleDescription],
    make_sign_up: Callable[..., SignUp],
    give_bank_details: Callable[..., None],
) -> None:
    coordinator = make_user(name="Priya Shah", roles=(Role.COORDINATOR,))
    expert = make_user(name="Sam Okafor", email="sam@example.org")
    give_bank_details(expert)
    # £100 an hour: 8 hours is £800, over the higher work allowance.
    role = make_role(coordinator=coordinator, fee_pence=10000)
    make_sign_up(role, person=expert, status=SignUpStatus.ACCEPTED)
    session = uk_today() - timedelta(days=2)

    page = make_page(PHONE)
    sign_in_as(page, "sam@example.org")

    visit(page, "/account")
    follow_link(page, "View benefits profile")
    press_button(page, "Give a benefits profile")
    page.get_by_label("Universal Credit", exact=True).check()
    page.get_by_label("On which day of the month does your assessment period start?").fill(
        str(uk_today().day)
    )
    page.get_by_role("group", name="Are you responsible for a child").get_by_label("Yes").check()
    page.get_by_role("group", name="Does your Universal Credit include money").get_by_label(
        "No"
    ).check()
    press_button(page, "Save my benefits profile")
    expect(page.get_by_text("The higher work allowance")).to_be_visible()

    visit(page, "/my-claims")
    follow_link(page, "Start a claim for Interview panel member")
    press_button(page, "Start the claim")
    follow_link(page, "Add a session")
    page.get_by_role("textbox", name="Day", exact=True).fill(str(session.day))
    page.get_by_role("textbox", name="Month", exact=True).fill(str(session.month))
    page.get_by_role("textbox", name="Year", exact=True).fill(str(session.year))
    page.get_by_label("What was it?").fill("Interview panel")
    page.get_by_label("How many hours?").fill("8")
    press_button(page, "Add the session")

    panel = page.locator("#benefits-panel")
    expect(panel.get_by_text("What this payment might do to your benefits")).to_be_visible()
    expect(panel.get_by_text("£800.00", exact=True)).to_be_visible()
    expect(panel.get_by_text("about £49.50", exact=True)).to_be_visible()  # 55% of £90 over £710
    expect(panel.get_by_text("figure awaiting confirmation").first).to_be_visible()
    expect(panel.get_by_text("not advice", exact=False)).to_be_visible()

    follow_link(page, "change how you want to be paid")
    page.get_by_label("A reduced fee").check()
    page.get_by_label("The fee you want").fill("600.00")
    press_button(page, "Save")
    expect(page.get_by_text("A reduced fee: £600.00").first).to_be_visible()
    panel = page.locator("#benefits-panel")
    expect(panel.get_by_text("£600.00", exact=True)).to_be_visible()
    expect(panel.get_by_text("about £49.50", exact=True)).to_have_count(0)
    expect(panel.get_by_text("Estimated reduction")).to_have_count(0)

    press_button(page, "Check and send the claim")
    page.get_by_label("I confirm that this claim is true", exact=False).check()
    press_button(page, "Send the claim")
    expect(
        page.get_by_text("Confirm that you have read what this payment might do").first
    ).to_be_visible()
    page.get_by_label("I have read what this payment might do to my benefits").check()
    page.get_by_label("I confirm that this claim is true", exact=False).check()
    press_button(page, "Send the claim")

    expect(page.get_by_text("Your claim is sent", exact=False)).to_be_visible()
    expect(page.get_by_text("Confirmed reading the benefits estimate", exact=False)).to_be_visible()


def test_what_if_statement_and_delete_profile_pages_are_accessible(
    make_page: Callable[..., Page],
    make_user: Callable[..., User],
    make_role: Callable[..., RoleDescription],
) -> None:
    make_user(name="Sam Okafor", email="sam@example.org")
    role = make_role(fee_pence=3000)

    page = make_page(PHONE)
    sign_in_as(page, "sam@example.org")

    visit(page, f"/opportunities/{role.id}")
    follow_link(page, "How might this affect my benefits?")
    page.get_by_label("Carer's Allowance", exact=True).check()
    page.get_by_label("Other weekly earnings, after tax").fill("150.00")
    press_button(page, "Show the estimate")
    expect(page.locator("#what-if-result").get_by_text("Carer's Allowance").first).to_be_visible()

    visit(page, "/account/payments-statement")
    expect(page.get_by_text("0 payments", exact=False)).to_be_visible()
    visit(page, "/account/benefits-profile/change")
    page.get_by_label("Carer's Allowance", exact=True).check()
    press_button(page, "Save my benefits profile")
    follow_link(page, "Delete your benefits profile")
    press_button(page, "Delete my benefits profile")
    expect(page.get_by_text("Your benefits profile is deleted", exact=False)).to_be_visible()
