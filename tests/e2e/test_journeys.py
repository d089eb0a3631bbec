"""Whole journeys in a real browser: sign-up to sign-out, and a staff invitation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from payclaims.auth.models import Role, User
from tests.e2e.helpers import LiveServer, click_through, follow_link, press_button, visit
from tests.settings import PASSWORD


def in_error_summary(page: Page) -> bool:
    """Whether keyboard focus is inside the NHS.UK error summary."""
    return bool(
        page.evaluate("() => Boolean(document.activeElement?.closest('.nhsuk-error-summary'))")
    )


def test_sign_up_verify_sign_in_sign_out(page: Page, live_server: LiveServer) -> None:
    name, address = "Sam Taylor", "sam.taylor@example.org"

    visit(page, "/sign-up")
    press_button(page, "Create account")
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Enter your name")
    # Screen reader and keyboard users start from the list of problems.
    assert in_error_summary(page)
    summary.get_by_role("link", name="Enter your name").click()
    expect(page.get_by_label("Full name")).to_be_focused()

    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email address").fill(address)
    page.get_by_label("Create a password").fill("too short")
    press_button(page, "Create account")
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("There is a problem")
    assert in_error_summary(page)
    expect(page.get_by_label("Full name")).to_have_value(name)
    expect(page.get_by_label("Email address")).to_have_value(address)
    # A password is never sent back in the page.
    expect(page.get_by_label("Create a password")).to_have_value("")

    page.get_by_label("Create a password").fill(PASSWORD)
    press_button(page, "Create account")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.get_by_text(address)).to_be_visible()

    visit(page, live_server.latest_link(to=address))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your email address")
    press_button(page, "Confirm my email address")
    expect(page.get_by_text("Your email address is confirmed.")).to_be_visible()

    visit(page, "/sign-in")
    page.get_by_label("Email address").fill(address)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    press_button(page, "Sign in")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello, {name}")
    expect(page.get_by_text("Confirm your email address")).to_have_count(0)

    follow_link(page, "Your account")
    email_row = page.locator(".nhsuk-summary-list__row", has_text="Email address")
    expect(email_row).to_contain_text(address)
    expect(email_row).to_contain_text("Confirmed")
    expect(email_row).not_to_contain_text("Not confirmed")

    press_button(page, "Sign out")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_text("You have signed out")).to_be_visible()
    visit(page, "/account")
    # Signed out means the account page now asks for a sign-in.
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_admin_invites_a_coordinator(
    page: Page,
    make_page: Callable[..., Page],
    make_user: Callable[..., User],
    live_server: LiveServer,
) -> None:
    make_user(name="Ada Admin", roles=(Role.ADMIN,), email="admin@example.org")
    name, address = "Chris Morgan", "chris.morgan@example.org"

    visit(page, "/sign-in")
    page.get_by_label("Email address").fill("admin@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    press_button(page, "Sign in")
    expect(page.get_by_role("heading", level=1)).to_have_text("Admin")

    menu = page.get_by_role("navigation", name="Menu")
    click_through(page, menu.get_by_role("link", name="People", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("People")
    # NHS.UK button-styled links have the button role.
    press_button(page, "Invite a member of staff")
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email address").fill(address)
    page.get_by_label("Coordinator", exact=True).check()
    press_button(page, "Send invitation")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_text(f"We have emailed an invitation to {address}.")).to_be_visible()
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("Invited")

    # The invited person uses their own browser: nothing is shared with the admin's session.
    invited = make_page()
    visit(invited, live_server.latest_link(to=address))
    expect(invited.get_by_role("heading", level=1)).to_have_text("Set your password")
    invited.get_by_label("New password").fill("lantern orchard velvet comet")
    press_button(invited, "Save password")
    expect(invited.get_by_role("heading", level=1)).to_have_text("Coordinator")
    expect(invited.get_by_text("Your password is set and you are signed in.")).to_be_visible()
    expect(invited.get_by_text(f"Hello, {name}.")).to_be_visible()


@pytest.mark.parametrize("path", ["/sign-in", "/sign-up", "/forgot-password"])
def test_page_at_phone_width_has_no_horizontal_scroll(phone_page: Page, path: str) -> None:
    visit(phone_page, path)
    scroll_width = phone_page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= 320, f"{path} is {scroll_width} px wide at 320 px"
