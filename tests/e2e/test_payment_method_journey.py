"""A finance admin records that someone is paid by cheque, a second finance person checks it,
the person sees it, and it is ended. Axe on each page."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from payclaims.auth.models import Role, User
from tests.e2e.helpers import click_through, follow_link, press_button, sign_in_as, visit


def test_record_and_end_a_cheque_payment_method(
    make_page: Callable[..., Page], make_user: Callable[..., User]
) -> None:
    make_user(name="Chris Walker", email="chris@example.org", roles=(Role.EXPERT,))
    make_user(name="Grace Mensah", email="grace@example.org", roles=(Role.FINANCE_ADMIN,))
    make_user(name="Tom Becker", email="tom@example.org", roles=(Role.FINANCE_APPROVER,))

    finance = make_page()
    sign_in_as(finance, "grace@example.org")
    click_through(
        finance, finance.locator("#maincontent").get_by_role("link", name="People we pay")
    )
    finance.get_by_label("Name or email address").fill("chris")
    press_button(finance, "Search")
    follow_link(finance, "Chris Walker")
    press_button(finance, "Record another way to pay them")
    finance.get_by_label("Cheque").check()
    finance.get_by_label("Details").fill("Sort code 12-34-56 account 12345678")
    press_button(finance, "Save payment method")  # refused: bank numbers, shown with axe
    expect(finance.get_by_text("looks like a sort code").first).to_be_visible()
    finance.get_by_label("Details").fill("Posted to his home address")
    finance.get_by_label("Why are they paid this way?").fill("No bank account")
    press_button(finance, "Save payment method")
    expect(finance.get_by_text("Saved: we pay Chris Walker by cheque")).to_be_visible()
    # Whoever recorded it cannot check it: a second finance person must (four eyes).
    expect(finance.get_by_text("Cheque, waiting to be checked")).to_be_visible()
    expect(finance.get_by_role("button", name="Confirm this payment method")).to_have_count(0)

    checker = make_page()
    sign_in_as(checker, "tom@example.org")
    visit(checker, "/finance/bank-details")
    follow_link(checker, "Chris Walker")
    press_button(checker, "Confirm this payment method")
    expect(checker.get_by_text("Checked: Chris Walker is paid by cheque")).to_be_visible()
    expect(checker.get_by_text("by Tom Becker")).to_be_visible()

    person = make_page()
    sign_in_as(person, "chris@example.org")
    visit(person, "/account/bank-details")
    expect(person.get_by_text("Finance pays you by cheque").first).to_be_visible()

    press_button(finance, "End this payment method")
    finance.get_by_label("Why are they no longer paid this way?").fill("Has a bank account now")
    press_button(finance, "End this payment method")
    expect(finance.get_by_text("Earlier payment methods")).to_be_visible()
