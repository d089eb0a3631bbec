"""The benefits check for claims: how a claim's lines become the engine's payment (fee choice,
receipts, mileage), which other payments count, the badge finance sees, and payment dates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select

from payclaims.auth.models import User
from payclaims.benefits import payment_dates
from payclaims.benefits.engine import types as engine_types
from payclaims.benefits.engine.types import Benefit, Level
from payclaims.benefits.profile.models import BenefitProfile, FeeChoice
from payclaims.claims import access, benefits_check, drafts, expenses, fees
from payclaims.claims.models import Claim, ClaimStatus
from payclaims.claims.rates import Vehicle
from payclaims.demo import seed_demo
from payclaims.extensions import db
from payclaims.roles.expenses import ExpenseCategory
from payclaims.roles.models import RoleDescription, SignUp, SignUpStatus
from tests.helpers import count_queries, give_profile
from tests.settings import PASSWORD

PAID_ON = date(2026, 11, 27)
SESSION_ON = date(2026, 11, 20)


@pytest.fixture
def expert(make_user: Callable[..., User]) -> User:
    return make_user(name="Uma Universal")


@pytest.fixture
def role(make_role: Callable[..., RoleDescription]) -> RoleDescription:
    """An hourly role at £20 an hour covering mileage and taxis."""
    return make_role(expense_categories=["mileage", "taxi", "public_transport"])


@pytest.fixture
def sign_up(make_sign_up: Callable[..., SignUp], role: RoleDescription, expert: User) -> SignUp:
    """The expert's accepted sign-up."""
    return make_sign_up(role, person=expert, status=SignUpStatus.ACCEPTED)


def draft(app: Flask, sign_up: SignUp, *, hours: tuple[int, ...] = (3,)) -> int:
    """A draft claim with a fee line of each number of hours, a day apart; its id."""
    with app.app_context():
        person = db.session.get(User, sign_up.person_id)
        loaded = db.session.get(SignUp, sign_up.id)
        assert person is not None and loaded is not None
        claim_id = drafts.start_claim(loaded, actor=person).id
        for index, units in enumerate(hours):
            claim = access.load_claim(claim_id)
            assert claim is not None
            fees.add_fee_line(
                claim,
                actor=person,
                session_on=SESSION_ON - timedelta(days=index),
                description="Interview panel",
                units=Decimal(units),
            )
    return claim_id


def check(app: Flask, claim_id: int, paid_on: date = PAID_ON) -> engine_types.BenefitCheck | None:
    with app.app_context():
        claim = access.load_claim(claim_id)
        assert claim is not None
        return benefits_check.check_claim(claim, paid_on)


def uc(result: engine_types.BenefitCheck | None) -> engine_types.BenefitResult:
    assert result is not None
    found = result.result_for(Benefit.UNIVERSAL_CREDIT)
    assert found is not None
    return found


def set_status(app: Flask, claim_id: int, status: ClaimStatus, paid_on: date | None = None) -> None:
    with app.app_context():
        claim = db.session.get(Claim, claim_id)
        assert claim is not None
        claim.status = status
        claim.paid_on = paid_on
        db.session.commit()


def test_check_claim_without_profile_is_none(app, sign_up):
    claim_id = draft(app, sign_up)

    assert check(app, claim_id) is None


def test_check_claim_full_fee_counts_the_fee_as_earnings(app, expert, sign_up):
    give_profile(app, expert)
    claim_id = draft(app, sign_up)

    result = check(app, claim_id)

    assert result is not None
    assert result.earnings_like_pence == 6000
    assert uc(result).level is Level.REDUCES
    assert uc(result).period_start == date(2026, 11, 14)
    assert uc(result).period_end == date(2026, 12, 13)
    assert uc(result).estimated_reduction_pence == 3300
    assert benefits_check.badge_text(result) == "UC: about £33.00 less"


def test_check_claim_reduced_fee_counts_only_the_reduced_amount(app, expert, sign_up):
    give_profile(app, expert)
    claim_id = draft(app, sign_up, hours=(3, 2))
    with app.app_context():
        claim = access.load_claim(claim_id)
        assert claim is not None
        fees.set_fee_choice(
            claim, actor=claim.person, choice=FeeChoice.REDUCED, reduced_fee_pence=2001
        )

    result = check(app, claim_id)

    assert result is not None
    assert result.earnings_like_pence == 2001
    assert uc(result).estimated_reduction_pence == 1101  # 55% of £20.01, rounded half up


def test_check_claim_expenses_only_counts_no_fee(app, expert, sign_up):
    give_profile(app, expert)
    claim_id = draft(app, sign_up)
    with app.app_context():
        claim = access.load_claim(claim_id)
        assert claim is not None
        fees.set_fee_choice(claim, actor=claim.person, choice=FeeChoice.EXPENSES_ONLY)

    result = check(app, claim_id)

    assert result is not None
    assert result.earnings_like_pence == 0
    assert result.level is Level.CLEAR
    assert benefits_check.badge_text(result) is None


def _claim_with_expense(app: Flask, sign_up: SignUp, *, receipt: bool) -> int:
    claim_id = draft(app, sign_up, hours=())
    with app.app_context():
        claim = access.load_claim(claim_id)
        assert claim is not None
        expenses.add_expense_line(
            claim,
            actor=claim.person,
            category=ExpenseCategory.TAXI,
            session_on=SESSION_ON,
            description="Taxi home",
            amount_pence=1250,
            reason="No bus after 10pm",
            receipts=[("taxi.pdf", b"%PDF-1.4 taxi receipt")] if receipt else [],
        )
    return claim_id


@pytest.mark.parametrize(("receipt", "counted"), [(True, 0), (False, 1250)])
def test_check_claim_expense_counts_only_without_a_receipt(app, expert, sign_up, receipt, counted):
    give_profile(app, expert)
    claim_id = _claim_with_expense(app, sign_up, receipt=receipt)

    result = check(app, claim_id)

    assert result is not None
    assert result.earnings_like_pence == counted


def test_claim_lines_mileage_at_the_hmrc_rate_is_not_earnings(app, expert, sign_up):
    give_profile(app, expert)
    claim_id = draft(app, sign_up, hours=())
    with app.app_context():
        claim = access.load_claim(claim_id)
        assert claim is not None
        expenses.add_expense_line(
            claim,
            actor=claim.person,
            category=ExpenseCategory.MILEAGE,
            session_on=SESSION_ON,
            description="",
            amount_pence=None,
            miles_tenths=200,
            vehicle=Vehicle.CAR,
            passengers=1,
            receipts=[],
        )
        claim = access.load_claim(claim_id)
        assert claim is not None
        (mileage,) = benefits_check.claim_lines(claim)

    # 20 miles at 55p and one passenger at 5p a mile: £12.00, of which £1.00 for the passenger.
    assert isinstance(mileage, engine_types.Mileage)
    assert mileage.miles == Decimal(20)
    assert mileage.vehicle is engine_types.Vehicle.CAR
    assert mileage.rate_pence == Decimal(55)
    assert check(app, claim_id).earnings_like_pence == 0  # type: ignore[union-attr]


def test_claim_lines_fee_carries_hours_and_the_session_date(app, sign_up):
    claim_id = draft(app, sign_up, hours=(3,))
    with app.app_context():
        claim = access.load_claim(claim_id)
        assert claim is not None
        (fee,) = benefits_check.claim_lines(claim)

    assert fee == engine_types.Fee(amount_pence=6000, hours=Decimal(3), worked_on=SESSION_ON)


def test_check_claim_counts_paid_and_approved_claims_in_the_period(app, expert, sign_up):
    give_profile(app, expert)
    paid_before = draft(app, sign_up, hours=(1,))
    set_status(app, paid_before, ClaimStatus.PAID, paid_on=date(2026, 11, 16))
    paid_last_period = draft(app, sign_up, hours=(5,))
    set_status(app, paid_last_period, ClaimStatus.PAID, paid_on=date(2026, 11, 13))
    approved = draft(app, sign_up, hours=(2,))
    set_status(app, approved, ClaimStatus.APPROVED)
    withdrawn = draft(app, sign_up, hours=(4,))
    set_status(app, withdrawn, ClaimStatus.WITHDRAWN)
    claim_id = draft(app, sign_up, hours=(3,))

    result = uc(check(app, claim_id))

    # £20 paid on 16 November and £40 approved count; 13 November is the previous period.
    assert result.counted_pence == 2000 + 4000 + 6000
    assert result.estimated_reduction_pence == 3300


def test_check_claims_gives_none_for_people_without_a_profile(
    app, expert, role, sign_up, make_user, make_sign_up
):
    give_profile(app, expert)
    ids = [draft(app, sign_up) for _ in range(3)]
    other = make_user(name="No Profile")
    ids.append(draft(app, make_sign_up(role, person=other, status=SignUpStatus.ACCEPTED)))

    with app.app_context():
        claims = [access.load_claim(claim_id) for claim_id in ids]
        results = benefits_check.check_claims([claim for claim in claims if claim], PAID_ON)

    assert [results[claim_id] is None for claim_id in ids] == [False, False, False, True]


def test_badge_text_lists_the_most_severe_first():
    def result(benefit: Benefit, level: Level, reduction: int | None = None):
        return engine_types.BenefitResult(benefit, level, "", estimated_reduction_pence=reduction)

    check = engine_types.BenefitCheck(
        level=Level.STOPS,
        earnings_like_pence=10000,
        benefits=(
            result(Benefit.UNIVERSAL_CREDIT, Level.REDUCES, 1265),
            result(Benefit.CARERS_ALLOWANCE, Level.STOPS),
            result(Benefit.PIP, Level.CLEAR),
            result(Benefit.COUNCIL_TAX_REDUCTION, Level.CHECK),
        ),
    )

    assert benefits_check.badge_text(check) == (
        "Carer's Allowance: this week's payment could stop; UC: about £12.65 less; "
        "Council Tax Reduction: check with the council"
    )


@pytest.mark.parametrize(
    ("today", "frequency", "day", "expected"),
    [
        (date(2026, 11, 22), "weekly", 5, date(2026, 11, 27)),  # Sunday -> Friday
        (date(2026, 11, 27), "weekly", 5, date(2026, 12, 4)),  # a run day -> the next one
        (date(2026, 11, 22), "monthly", 25, date(2026, 11, 25)),
        (date(2026, 11, 25), "monthly", 25, date(2026, 12, 25)),
        (date(2027, 1, 31), "monthly", 31, date(2027, 2, 28)),  # short month: its last day
        (date(2026, 12, 31), "monthly", 1, date(2027, 1, 1)),
    ],
)
def test_payment_date_after_gives_the_next_run_day(today, frequency, day, expected):
    assert payment_dates.payment_date_after(today, frequency=frequency, day=day) == expected


def test_next_payment_date_reads_the_finance_setting(make_app):
    app = make_app(PAYMENT_RUN_FREQUENCY="monthly", PAYMENT_RUN_DAY=15)

    with app.app_context():
        assert payment_dates.next_payment_date(date(2026, 11, 22)) == date(2026, 12, 15)


@pytest.mark.parametrize(
    ("frequency", "day"), [("fortnightly", 5), ("weekly", 8), ("monthly", 0), ("weekly", "5")]
)
def test_create_app_with_a_bad_payment_run_refuses_to_start(make_app, frequency, day):
    with pytest.raises(RuntimeError, match="PAYMENT_RUN"):
        make_app(PAYMENT_RUN_FREQUENCY=frequency, PAYMENT_RUN_DAY=day)


def test_demo_gives_benefits_profiles_once(app, app_ctx):
    seed_demo(PASSWORD)
    seed_demo(PASSWORD)

    profiles = db.session.scalars(select(BenefitProfile)).all()
    assert sorted(profile.person.name for profile in profiles) == ["Jordan Lee", "Sam Okafor"]


def test_check_claims_runs_the_same_queries_for_one_claim_or_many(app, expert, sign_up):
    give_profile(app, expert)
    ids = [draft(app, sign_up) for _ in range(4)]

    def queries_for(claim_ids: list[int]) -> int:
        with app.app_context():
            claims = list(
                db.session.scalars(
                    select(Claim)
                    .where(Claim.id.in_(claim_ids))
                    .options(*benefits_check.CHECK_LOAD_OPTIONS)
                )
            )
            with count_queries(app) as statements:
                benefits_check.check_claims(claims, PAID_ON)
            return len(statements)

    assert queries_for(ids[:1]) == queries_for(ids)
