"""Benefit rules pages in a browser, checked with axe-core: list, history, add, correct, confirm."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from payclaims.auth.models import Role, User
from tests.e2e.helpers import follow_link, press_button, sign_in_as, visit


def test_finance_admin_adds_corrects_and_confirms_a_figure(
    make_page: Callable[..., Page], make_user: Callable[..., User]
) -> None:
    make_user(email="fin@example.org", roles=(Role.FINANCE_ADMIN,))
    page = make_page()
    sign_in_as(page, "fin@example.org")

    visit(page, "/finance/benefit-rules")
    expect(page.get_by_text("Figure awaiting confirmation").first).to_be_visible()
    follow_link(page, "History of Carer's Allowance earnings limit (net)")
    press_button(page, "Add a new figure")  # an NHS.UK button link
    press_button(page, "Add figure")  # nothing typed: errors, checked by axe
    expect(page.get_by_text("There is a problem")).to_be_visible()
    page.get_by_label("Amount a week").fill("212")
    page.get_by_label("Day").fill("12")
    page.get_by_label("Month").fill("4")
    page.get_by_label("Year").fill("2027")
    page.get_by_label("Source", exact=True).fill("gov.uk benefit rates 2027 to 2028")
    page.get_by_label("Stated only by secondary sources (S2)").check()
    press_button(page, "Add figure")
    expect(page.get_by_text("£212 a week")).to_be_visible()

    follow_link(page, "Correct the figure from 12 April 2027")
    page.get_by_label("Amount a week").fill("213")
    page.get_by_label("Why is it being corrected?").fill("Final rates published")
    press_button(page, "Save corrected figure")
    expect(page.get_by_text("£212 a week (corrected)")).to_be_visible()

    follow_link(page, "Confirm the figure from 12 April 2027")
    press_button(page, "Confirm figure")  # no primary source: an error, checked by axe
    expect(page.get_by_text("There is a problem")).to_be_visible()
    page.get_by_label("Primary source").fill("gov.uk: Benefit and pension rates 2027 to 2028")
    press_button(page, "Confirm figure")
    expect(page.get_by_text("Confirmed by Person")).to_have_count(1)
    expect(page.get_by_text("gov.uk: Benefit and pension rates 2027 to 2028")).to_be_visible()
    expect(page.get_by_role("link", name="Confirm the figure from 12 April 2027")).to_have_count(0)

    # An amount a tax year reads "Amount each tax year".
    visit(page, "/finance/benefit-rules/tax.trading_allowance/new")
    expect(page.get_by_label("Amount each tax year")).to_be_visible()
