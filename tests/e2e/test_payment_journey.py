"""Payments in a real browser, axe-checked on every page: the finance admin makes a run from an
approved claim, adds a claim approved after it was drafted, confirms it, and the person finds
their remittance slip; and the whole of a claim's way from the person sending it to the slip
they download (issue 6's journey)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from payclaims.auth.models import Role, User
from payclaims.dates import format_date, uk_today
from payclaims.roles.models import SignUp
from tests.e2e.helpers import (
    PHONE,
    approve_reduced,
    click_through,
    confirm_claim,
    follow_link,
    press_button,
    sign_in_as,
    visit,
)
from tests.helpers import ApprovedClaim


def _fill_date(page: Page, on: date) -> None:
    page.get_by_role("textbox", name="Day", exact=True).fill(str(on.day))
    page.get_by_role("textbox", name="Month", exact=True).fill(str(on.month))
    page.get_by_role("textbox", name="Year", exact=True).fill(str(on.year))


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
    sign_in_as(page, "grace@example.org")
    _follow_in_page(page, "Payment runs")
    press_button(page, "Start a payment run")
    _fill_date(page, pay_on)
    press_button(page, "Create the payment run")
    expect(page.get_by_role("heading", name="Sam Okafor: £63.40")).to_be_visible()

    # Ada's claim is approved after the run was drafted: it is added, not a new run started.
    ada = make_user(name="Ada Lovell", email="ada@example.org")
    late = make_approved_claim(person=ada)
    follow_link(page, "Add claims to this run")
    page.get_by_role("checkbox", name=f"C-{late.id:06d}: Ada Lovell, £60.00").check()
    press_button(page, "Add the ticked claims")
    expect(page.get_by_role("heading", name="Ada Lovell: £60.00")).to_be_visible()

    press_button(page, "Confirm and pay £123.40")
    expect(page.get_by_text("Confirmed: paid").first).to_be_visible()
    expect(page.get_by_role("link", name="Download the bank file (CSV)")).to_be_visible()

    phone = make_page(PHONE)
    sign_in_as(phone, "sam@example.org")
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


def _follow_in_page(page: Page, name: str) -> None:
    """Follow a link in the page's main content (the header menu may have one of the same name)."""
    click_through(page, page.locator("#maincontent").get_by_role("link", name=name, exact=True))


def _pdf_text(path: Path) -> str:
    content = path.read_bytes()
    assert content.startswith(b"%PDF-"), content[:20]
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)
    return " ".join(text.split())  # long lines wrap in the PDF


def test_claim_sent_confirmed_reduced_paid_and_the_person_downloads_their_slip(
    make_page: Callable[..., Page],
    make_user: Callable[..., User],
    make_accepted_sign_up: Callable[..., SignUp],
) -> None:
    """Four different people act, each in their own browser: Sam sends a claim for a 3-hour
    panel (3 x £20), Priya (his role's coordinator) confirms the work took place, Tom (the
    cost centre's approver) approves it with the fee cut to £50 and says why, Grace (finance
    admin) pays it in a run, and Sam sees it paid and downloads the slip. Sam's bank details
    were confirmed by Fran, another finance person, before any of this."""
    priya = make_user(name="Priya Shah", email="priya@example.org", roles=(Role.COORDINATOR,))
    tom = make_user(name="Tom Becker", email="tom@example.org", roles=(Role.FINANCE_APPROVER,))
    make_user(name="Grace Mensah", email="grace@example.org", roles=(Role.FINANCE_ADMIN,))
    fran = make_user(name="Fran Hughes", roles=(Role.FINANCE_ADMIN,))
    sam = make_user(name="Sam Okafor", email="sam@example.org")
    make_accepted_sign_up(sam, coordinator=priya, approvers=(tom,), bank_confirmed_by=fran)
    session_on = uk_today() - timedelta(days=3)
    pay_on = uk_today() + timedelta(days=3)
    reason = "The panel finished an hour early, so 2.5 hours are paid"

    # Sam sends the claim from his phone.
    expert = make_page(PHONE)
    sign_in_as(expert, "sam@example.org")
    _follow_in_page(expert, "My claims")
    follow_link(expert, "Start a claim for Interview panel member")
    press_button(expert, "Start the claim")
    opened = re.fullmatch(r".*/claims/(\d+)", expert.url)
    assert opened, expert.url
    reference = f"C-{int(opened.group(1)):06d}"
    follow_link(expert, "Add a session")
    _fill_date(expert, session_on)
    expert.get_by_label("What was it?").fill("Interview panel")
    expert.get_by_label("How many hours?").fill("3")
    press_button(expert, "Add the session")
    press_button(expert, "Check and send the claim")
    expert.get_by_label("I confirm that this claim is true", exact=False).check()
    press_button(expert, "Send the claim")
    expect(expert.get_by_text("With your coordinator to confirm").first).to_be_visible()

    # Priya, the role's coordinator, confirms the work took place.
    coordinator = make_page()
    sign_in_as(coordinator, "priya@example.org")
    _follow_in_page(coordinator, "Claims to confirm")
    confirm_claim(coordinator, reference)

    # Tom, the cost centre's approver (not the coordinator), approves it with the fee reduced.
    approver = make_page()
    sign_in_as(approver, "tom@example.org")
    _follow_in_page(approver, "Claims to approve")
    approve_reduced(approver, reference, pounds="50", reason=reason)

    # Grace, a finance admin, pays it in a run.
    admin = make_page()
    sign_in_as(admin, "grace@example.org")
    _follow_in_page(admin, "Payment runs")
    press_button(admin, "Start a payment run")
    expect(admin.get_by_label(f"{reference}: Sam Okafor, £50.00")).to_be_checked()
    _fill_date(admin, pay_on)
    press_button(admin, "Create the payment run")
    expect(admin.get_by_role("heading", name="Sam Okafor: £50.00")).to_be_visible()
    press_button(admin, "Confirm and pay £50.00")
    expect(admin.get_by_text("Confirmed: paid").first).to_be_visible()
    slip_name = admin.get_by_role("link", name=re.compile(r"^Sam Okafor: RUN")).inner_text()
    slip_reference = re.search(r"RUN\d{5}-\d{6}", slip_name)
    assert slip_reference, slip_name

    # Sam signs in again later, sees the claim paid with the reason it is lower, and downloads
    # the slip.
    expert = make_page(PHONE)
    sign_in_as(expert, "sam@example.org")
    _follow_in_page(expert, "My claims")
    expect(expert.get_by_text(f"Paid on {format_date(pay_on)}").first).to_be_visible()
    expect(
        expert.get_by_role("cell", name="Claimed £60.00 Approved by finance £50.00")
    ).to_be_visible()
    follow_link(expert, reference)
    expect(expert.get_by_text(f"Paid on {format_date(pay_on)}").first).to_be_visible()
    expect(expert.get_by_text("Finance approved £50.00:")).to_be_visible()
    expect(expert.get_by_text(reason).first).to_be_visible()
    # Priya, Tom and Grace decided in their own right: none of them acted "on behalf of" Sam.
    expect(expert.get_by_text("on behalf of")).to_have_count(0)
    with expert.expect_download() as download_info:
        expert.get_by_role("link", name="download your remittance slip (PDF)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    text = _pdf_text(Path(download.path()))
    for expected in ("Sam Okafor", "£50.00", slip_reference.group(), reference, reason):
        assert expected in text, f"{expected!r} not on the slip:\n{text}"
