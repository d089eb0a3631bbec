"""A claim in a real browser at phone size, axe-checked on every page: a fee line, a mileage
line and a receipt photo, sent, and "My claims" shows it with the coordinator."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from io import BytesIO
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, expect

from payclaims.auth.models import Role, User
from payclaims.dates import uk_today
from payclaims.roles.models import RoleDescription, SignUp, SignUpStatus
from tests.e2e.helpers import PHONE, follow_link, press_button, sign_in_as, visit


def _fill_date(page: Page, day: int, month: int, year: int) -> None:
    page.get_by_role("textbox", name="Day", exact=True).fill(str(day))
    page.get_by_role("textbox", name="Month", exact=True).fill(str(month))
    page.get_by_role("textbox", name="Year", exact=True).fill(str(year))


def test_claim_a_fee_mileage_and_a_receipt_photo_then_send(
    make_page: Callable[..., Page],
    make_user: Callable[..., User],
    make_role: Callable[..., RoleDescription],
    make_sign_up: Callable[..., SignUp],
    give_bank_details: Callable[..., None],
    tmp_path: Path,
) -> None:
    coordinator = make_user(name="Priya Shah", roles=(Role.COORDINATOR,))
    expert = make_user(name="Sam Okafor", email="sam@example.org")
    give_bank_details(expert)
    role = make_role(coordinator=coordinator, expense_categories=["public_transport", "mileage"])
    make_sign_up(role, person=expert, status=SignUpStatus.ACCEPTED)
    photo = tmp_path / "bus-ticket.jpg"
    buffer = BytesIO()
    Image.new("RGB", (60, 40), "white").save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())
    session = uk_today() - timedelta(days=3)

    page = make_page(PHONE)
    sign_in_as(page, "sam@example.org")
    visit(page, "/my-claims")
    follow_link(page, "Start a claim for Interview panel member")
    press_button(page, "Start the claim")

    follow_link(page, "Add a session")
    _fill_date(page, session.day, session.month, session.year)
    page.get_by_label("What was it?").fill("Interview panel")
    page.get_by_label("How many hours?").fill("3")
    press_button(page, "Add the session")

    follow_link(page, "Add an expense")
    page.get_by_label("Mileage in your own vehicle").check()
    page.get_by_label("How many miles?").fill("10")
    page.get_by_label("Car or van").check()
    _fill_date(page, session.day, session.month, session.year)
    press_button(page, "Add the expense")
    expect(page.get_by_text("10 miles, car or van")).to_be_visible()

    follow_link(page, "Add an expense")
    page.get_by_label("Public transport (bus, train, tram)").check()
    _fill_date(page, session.day, session.month, session.year)
    page.get_by_label("How much did you pay?").fill("4.50")
    page.get_by_label("Photos or files of the receipts").set_input_files(str(photo))
    press_button(page, "Add the expense")
    expect(page.get_by_role("link", name="bus-ticket.jpg")).to_be_visible()

    press_button(page, "Check and send the claim")
    page.get_by_label("I confirm that this claim is true", exact=False).check()
    press_button(page, "Send the claim")

    visit(page, "/my-claims")
    expect(page.get_by_text("With your coordinator to confirm").first).to_be_visible()
