"""Expense rules, called directly: mileage rates by date, the 10,000-mile split, caps, receipts
and the checks at sending."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from datetime import date

import pytest
from PIL import Image, ImageFile
from sqlalchemy import select

from payclaims.audit.models import AuditAction, AuditEvent
from payclaims.auth.models import Role, User
from payclaims.claims import access, drafts, expense_rules, expenses, submission
from payclaims.claims.models import CapPeriod, Claim, ClaimLine, OverCap
from payclaims.claims.rates import RateKey, Vehicle, mileage_amount, rate_on
from payclaims.claims.submission import SubmissionRefused
from payclaims.dates import tax_year_of
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db
from payclaims.roles.expenses import ExpenseCategory
from payclaims.roles.models import SignUp, SignUpStatus
from payclaims.uploads import MAX_UPLOAD_BYTES
from tests.claims.fixtures import World
from tests.helpers import png_bytes

TODAY = date(2026, 11, 20)
MAY = date(2026, 5, 1)
ALL_CATEGORIES = [category.value for category in ExpenseCategory]


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header claims huge dimensions, with a few bytes of pixel data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _chunk(b"IEND", b"")
    )


@pytest.fixture
def world(make_world: Callable[..., World]) -> World:
    """A role covering every expense category."""
    return make_world(expense_categories=ALL_CATEGORIES)


def _user(user: User) -> User:
    loaded = db.session.get(User, user.id)
    assert loaded is not None
    return loaded


def _claim(claim_id: int) -> Claim:
    loaded = access.load_claim(claim_id)
    assert loaded is not None
    return loaded


def _start(world: World) -> Claim:
    sign_up = db.session.get(SignUp, world.sign_up.id)
    assert sign_up is not None
    return _claim(drafts.start_claim(sign_up, actor=_user(world.expert)).id)


def _expense(
    world: World,
    claim_id: int,
    category: ExpenseCategory = ExpenseCategory.PUBLIC_TRANSPORT,
    *,
    on: date = MAY,
    pence: int | None = 800,
    receipts: tuple[tuple[str, bytes], ...] = (),
    **fields: object,
) -> ClaimLine:
    return expenses.add_expense_line(
        _claim(claim_id),
        actor=_user(world.expert),
        category=category,
        session_on=on,
        amount_pence=pence,
        receipts=receipts,
        **fields,  # type: ignore[arg-type]
    )


def _miles(
    world: World, claim_id: int, miles_tenths: int, *, on: date = MAY, **fields: object
) -> int:
    line = _expense(
        world,
        claim_id,
        ExpenseCategory.MILEAGE,
        on=on,
        pence=None,
        miles_tenths=miles_tenths,
        vehicle=fields.pop("vehicle", Vehicle.CAR),
        **fields,
    )
    return line.amount_pence


def _problems(world: World, claim_id: int) -> list[str]:
    with pytest.raises(SubmissionRefused) as refused:
        submission.submit_claim(
            _claim(claim_id), actor=_user(world.expert), declared=True, today=TODAY
        )
    return [problem.message for problem in refused.value.problems]


def _submit(world: World, claim_id: int) -> None:
    submission.submit_claim(_claim(claim_id), actor=_user(world.expert), declared=True, today=TODAY)


def _rules(
    finance_admin: User,
    category: ExpenseCategory,
    *,
    receipt_above_pence: int | None = 0,
    cap_pence: int | None = None,
    cap_period: CapPeriod = CapPeriod.CLAIM,
    over_cap: OverCap = OverCap.CAP,
) -> None:
    expense_rules.save_category_rules(
        category,
        actor=_user(finance_admin),
        receipt_above_pence=receipt_above_pence,
        cap_pence=cap_pence,
        cap_period=cap_period,
        over_cap=over_cap,
        ip_address=None,
    )


@pytest.fixture
def finance_admin(make_user: Callable[..., User]) -> User:
    """A finance admin, who sets the category rules."""
    return make_user(name="Fin Admin", roles=(Role.FINANCE_ADMIN,))


# Rates by date ------------------------------------------------------------------------------


def test_car_rate_changes_from_45p_to_55p_on_6_april_2026():
    assert rate_on(RateKey.CAR, date(2026, 4, 5)) == 45
    assert rate_on(RateKey.CAR, date(2026, 4, 6)) == 55
    assert rate_on(RateKey.CAR_OVER_10000, date(2026, 4, 6)) == 25
    assert rate_on(RateKey.MOTORCYCLE, date(2025, 1, 1)) == 24
    assert rate_on(RateKey.BICYCLE, date(2027, 1, 1)) == 20
    assert rate_on(RateKey.PASSENGER, date(2026, 4, 6)) == 5


def test_rate_before_any_dated_row_is_refused():
    with pytest.raises(DomainError):
        rate_on(RateKey.CAR, date(2000, 1, 1))


def test_tax_year_starts_on_6_april():
    assert tax_year_of(date(2026, 4, 5)).start == date(2025, 4, 6)
    assert tax_year_of(date(2026, 4, 6)).start == date(2026, 4, 6)
    assert tax_year_of(date(2027, 1, 31)).start == date(2026, 4, 6)


def test_mileage_amount_uses_the_rate_on_the_date_and_adds_passengers():
    assert mileage_amount(Vehicle.CAR, miles_tenths=100, passengers=0, on=date(2026, 4, 5)) == 450
    assert mileage_amount(Vehicle.CAR, miles_tenths=100, passengers=0, on=date(2026, 4, 6)) == 550
    assert mileage_amount(Vehicle.CAR, miles_tenths=125, passengers=2, on=MAY) == 813  # 687.5+125
    assert mileage_amount(Vehicle.BICYCLE, miles_tenths=35, passengers=0, on=MAY) == 70
    assert mileage_amount(Vehicle.MOTORCYCLE, miles_tenths=100, passengers=0, on=MAY) == 240


def test_mileage_amount_splits_a_journey_that_crosses_10000_miles():
    amount = mileage_amount(
        Vehicle.CAR, miles_tenths=100, passengers=0, on=MAY, earlier_car_tenths=99_950
    )
    assert amount == 5 * 55 + 5 * 25
    beyond = mileage_amount(
        Vehicle.CAR, miles_tenths=100, passengers=0, on=MAY, earlier_car_tenths=100_000
    )
    assert beyond == 250


# Expense lines --------------------------------------------------------------------------------


def test_mileage_line_amount_is_the_server_s_and_not_earnings_like(app_ctx, world):
    claim = _start(world)
    line = _expense(
        world,
        claim.id,
        ExpenseCategory.MILEAGE,
        pence=99_999,
        miles_tenths=200,
        vehicle=Vehicle.CAR,
        passengers=1,
    )
    assert line.amount_pence == 20 * 55 + 20 * 5
    assert line.is_earnings_like is False
    assert _claim(claim.id).expenses_total_pence == 1200


def test_car_miles_past_10000_in_a_tax_year_are_paid_at_25p_then_reset_next_year(app_ctx, world):
    claim = _start(world)
    for day in range(1, 11):  # 10 journeys of 999.5 miles: 9,995 miles
        _miles(world, claim.id, 9_995, on=date(2026, 5, day))
    assert _miles(world, claim.id, 100, on=date(2026, 6, 1)) == 5 * 55 + 5 * 25
    assert _miles(world, claim.id, 100, on=date(2026, 6, 2)) == 250
    # Bicycles and a new tax year are not affected.
    assert _miles(world, claim.id, 100, on=date(2026, 6, 3), vehicle=Vehicle.BICYCLE) == 200
    assert _miles(world, claim.id, 100, on=date(2027, 4, 6)) == 550


def test_withdrawn_claims_miles_do_not_count_towards_10000(app_ctx, world):
    old = _start(world)
    for day in range(1, 11):
        _miles(world, old.id, 10_000, on=date(2026, 5, day))
    submission.withdraw_claim(_claim(old.id), actor=_user(world.expert))
    claim = _start(world)
    assert _miles(world, claim.id, 100, on=date(2026, 6, 1)) == 550


def test_passengers_are_only_for_cars_and_at_most_four(app_ctx, world):
    claim = _start(world)
    with pytest.raises(DomainError) as too_many:
        _miles(world, claim.id, 100, passengers=5)
    assert too_many.value.field == "passengers"
    with pytest.raises(DomainError) as on_bike:
        _miles(world, claim.id, 100, passengers=1, vehicle=Vehicle.BICYCLE)
    assert on_bike.value.field == "passengers"


def test_mileage_needs_miles_and_a_vehicle(app_ctx, world):
    claim = _start(world)
    with pytest.raises(DomainError) as no_miles:
        _miles(world, claim.id, 0)
    assert no_miles.value.field == "miles"
    with pytest.raises(DomainError) as no_vehicle:
        _miles(world, claim.id, 100, vehicle=None)
    assert no_vehicle.value.field == "vehicle"


def test_taxi_needs_a_reason_and_other_needs_a_description(app_ctx, world):
    claim = _start(world)
    with pytest.raises(DomainError) as taxi:
        _expense(world, claim.id, ExpenseCategory.TAXI)
    assert taxi.value.field == "reason"
    with pytest.raises(DomainError) as other:
        _expense(world, claim.id, ExpenseCategory.OTHER)
    assert other.value.field == "description"
    line = _expense(world, claim.id, ExpenseCategory.TAXI, reason="No step-free bus")
    assert line.reason == "No step-free bus"


def test_category_the_role_does_not_cover_is_refused(app_ctx, make_role, make_sign_up, world):
    role = make_role(expense_categories=["public_transport"])
    sign_up = make_sign_up(role, person=world.expert, status=SignUpStatus.ACCEPTED)
    loaded = db.session.get(SignUp, sign_up.id)
    assert loaded is not None
    claim = _claim(drafts.start_claim(loaded, actor=_user(world.expert)).id)
    with pytest.raises(DomainError) as refused:
        _expense(world, claim.id, ExpenseCategory.TAXI, reason="Late")
    assert refused.value.field == "category"


def test_expense_amount_must_be_more_than_zero(app_ctx, world):
    claim = _start(world)
    with pytest.raises(DomainError) as refused:
        _expense(world, claim.id, pence=None)
    assert refused.value.field == "amount"


# Uploads ------------------------------------------------------------------------------------


def test_receipt_of_the_wrong_type_by_content_is_refused_whatever_its_name(app_ctx, world):
    claim = _start(world)
    with pytest.raises(DomainError) as refused:
        _expense(world, claim.id, receipts=(("ticket.jpg", b"<html>not a photo</html>"),))
    assert refused.value.field == "receipts"
    assert "must be a PDF, JPG or PNG" in refused.value.message


def test_heic_receipt_is_refused_with_a_plain_message(app_ctx, world):
    claim = _start(world)
    heic = b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64
    with pytest.raises(DomainError) as refused:
        _expense(world, claim.id, receipts=(("IMG_0001.HEIC", heic),))
    assert "HEIC photo" in refused.value.message


def test_empty_and_oversize_receipts_are_refused(app_ctx, world):
    claim = _start(world)
    with pytest.raises(DomainError) as empty:
        _expense(world, claim.id, receipts=(("empty.pdf", b""),))
    assert "empty" in empty.value.message
    big = b"%PDF-1.4\n" + b"0" * MAX_UPLOAD_BYTES
    with pytest.raises(DomainError) as oversize:
        _expense(world, claim.id, receipts=(("big.pdf", big),))
    assert "smaller than 10 MB" in oversize.value.message
    assert _claim(claim.id).lines == []


# Above Pillow's own limit, and above ours but below Pillow's.
@pytest.mark.parametrize("side", [100_000, 8_000])
def test_decompression_bomb_is_refused_without_being_decoded(app_ctx, world, monkeypatch, side):
    def no_decoding(*_args: object) -> None:
        raise AssertionError("the image was decoded")

    Image.init()  # Pillow's plugins build small images of their own when first loaded.
    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    claim = _start(world)
    with pytest.raises(DomainError) as refused:
        _expense(world, claim.id, receipts=(("bomb.png", bomb_png(side, side)),))
    assert "too large" in refused.value.message


def test_receipts_are_stored_with_their_sha256(app_ctx, world):
    claim = _start(world)
    content = png_bytes()
    line = _expense(world, claim.id, receipts=(("photo.png", content),))
    (receipt,) = _claim(claim.id).lines[0].receipts
    assert receipt.line_id == line.id
    assert (receipt.content_type, receipt.size_bytes) == ("image/png", len(content))
    assert len(receipt.sha256) == 64 and receipt.content == content


def test_add_receipts_to_an_existing_line(app_ctx, world):
    claim = _start(world)
    line = _expense(world, claim.id)
    expenses.add_receipts(
        _claim(claim.id),
        db.session.get(ClaimLine, line.id),  # type: ignore[arg-type]
        actor=_user(world.expert),
        files=[("a.png", png_bytes("red")), ("b.png", png_bytes("blue"))],
    )
    assert [r.filename for r in _claim(claim.id).lines[0].receipts] == ["a.png", "b.png"]


# Checks at sending ---------------------------------------------------------------------------


def test_missing_receipt_is_refused_on_the_line_by_default_but_not_for_mileage(app_ctx, world):
    claim = _start(world)
    line = _expense(world, claim.id)
    _miles(world, claim.id, 100)

    with pytest.raises(SubmissionRefused) as refused:
        _submit(world, claim.id)
    assert refused.value.for_field(f"line-{line.id}") == [
        "Add a photo or file of the receipt: public transport (bus, train, tram) needs one"
    ]
    assert len(refused.value.problems) == 1


def test_receipt_needed_only_above_the_amount_finance_set(app_ctx, world, finance_admin):
    _rules(finance_admin, ExpenseCategory.PUBLIC_TRANSPORT, receipt_above_pence=1000)
    claim = _start(world)
    _expense(world, claim.id, pence=1000)
    over = _expense(world, claim.id, pence=1001)

    with pytest.raises(SubmissionRefused) as refused:
        _submit(world, claim.id)
    assert [problem.field for problem in refused.value.problems] == [f"line-{over.id}"]
    assert "above £10.00" in refused.value.problems[0].message


def test_over_the_cap_per_claim_is_capped_with_a_note(app_ctx, world, finance_admin):
    _rules(
        finance_admin, ExpenseCategory.PUBLIC_TRANSPORT, receipt_above_pence=None, cap_pence=3000
    )
    claim = _start(world)
    _expense(world, claim.id, pence=2000, on=date(2026, 5, 1))
    second = _expense(world, claim.id, pence=2000, on=date(2026, 5, 2))

    _submit(world, claim.id)

    capped = db.session.get(ClaimLine, second.id)
    assert capped is not None
    db.session.refresh(capped)
    assert (capped.amount_pence, capped.claimed_pence) == (1000, 2000)
    assert capped.cap_note is not None and "£30.00 per claim" in capped.cap_note
    assert _claim(claim.id).expenses_total_pence == 3000


def test_over_the_cap_per_day_refused_names_the_line(app_ctx, world, finance_admin):
    _rules(
        finance_admin,
        ExpenseCategory.PUBLIC_TRANSPORT,
        receipt_above_pence=None,
        cap_pence=1000,
        cap_period=CapPeriod.DAY,
        over_cap=OverCap.REFUSE,
    )
    claim = _start(world)
    _expense(world, claim.id, pence=800, on=date(2026, 5, 1))
    over = _expense(world, claim.id, pence=500, on=date(2026, 5, 1))
    _expense(world, claim.id, pence=500, on=date(2026, 5, 2))

    with pytest.raises(SubmissionRefused) as refused:
        _submit(world, claim.id)
    assert [problem.field for problem in refused.value.problems] == [f"line-{over.id}"]
    assert refused.value.problems[0].message == (
        "£5.00 is over the limit for public transport (bus, train, tram) of £10.00 per day. "
        "Claim £2.00 or less, or remove this line"
    )


def test_future_expense_is_refused_on_its_line(app_ctx, world):
    claim = _start(world)
    line = _miles(world, claim.id, 100, on=date(2026, 12, 1))
    assert line
    problems = _problems(world, claim.id)
    assert problems == [
        "The expense on 1 December 2026 is in the future. Claim for it after you have paid it"
    ]


def test_same_receipt_on_another_live_claim_is_refused_with_an_explanation(app_ctx, world):
    content = png_bytes()
    first = _start(world)
    _expense(world, first.id, receipts=(("ticket.png", content),))
    _submit(world, first.id)
    second = _start(world)
    line = _expense(world, second.id, on=date(2026, 5, 2), receipts=(("again.png", content),))

    with pytest.raises(SubmissionRefused) as refused:
        _submit(world, second.id)
    assert refused.value.for_field(f"line-{line.id}") == [
        f"The receipt again.png is already on your claim {first.reference}. A receipt can be "
        "paid only once: remove this line, or withdraw the other claim"
    ]


def test_same_receipt_on_two_lines_of_one_claim_is_refused(app_ctx, world):
    content = png_bytes()
    claim = _start(world)
    _expense(world, claim.id, receipts=(("one.png", content),))
    second = _expense(world, claim.id, on=date(2026, 5, 2), receipts=(("two.png", content),))

    with pytest.raises(SubmissionRefused) as refused:
        _submit(world, claim.id)
    assert [problem.field for problem in refused.value.problems] == [f"line-{second.id}"]


def test_receipt_on_a_withdrawn_claim_can_be_used_again(app_ctx, world):
    content = png_bytes()
    first = _start(world)
    _expense(world, first.id, receipts=(("ticket.png", content),))
    submission.withdraw_claim(_claim(first.id), actor=_user(world.expert))
    second = _start(world)
    _expense(world, second.id, receipts=(("ticket.png", content),))

    _submit(world, second.id)


# Category rules --------------------------------------------------------------------------------


def test_default_rules_need_a_receipt_always_except_mileage(app_ctx):
    rules = expense_rules.category_rules()
    assert rules[ExpenseCategory.TAXI].receipt_text == "Always"
    assert rules[ExpenseCategory.MILEAGE].receipt_text == "Never"
    assert rules[ExpenseCategory.MEALS].cap_text == "No cap"


def test_saving_category_rules_is_audited(app_ctx, finance_admin):
    _rules(finance_admin, ExpenseCategory.MEALS, receipt_above_pence=500, cap_pence=1500)

    rules = expense_rules.category_rules()[ExpenseCategory.MEALS]
    assert (rules.receipt_text, rules.cap_text) == ("Above £5.00", "£15.00 per claim")
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == AuditAction.EXPENSE_CATEGORY_CHANGED)
    ).one()
    assert "Meals and subsistence" in event.detail


def test_only_finance_admins_change_category_rules(app_ctx, world):
    with pytest.raises(PermissionDenied):
        _rules(world.coordinator, ExpenseCategory.MEALS)
