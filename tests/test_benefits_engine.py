"""The benefits engine, rule by rule and edge by edge (no database: the seeded figures as a
RuleSet), with property tests for what must always hold."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payclaims.benefits.engine.check import check_payment
from payclaims.benefits.engine.earnings import earnings_like_pence
from payclaims.benefits.engine.periods import assessment_period, benefit_week
from payclaims.benefits.engine.types import (
    Benefit,
    BenefitCheck,
    CarersAllowance,
    Disregard,
    Esa,
    Expense,
    Fee,
    Figure,
    HousingBenefit,
    Level,
    Mileage,
    MissingFigure,
    Payment,
    PensionCredit,
    Profile,
    RuleSet,
    UniversalCredit,
    Vehicle,
    Voucher,
    WeekStart,
    WorkAllowance,
    most_severe,
)
from payclaims.benefits.rules.catalogue import seed_rule_set
from payclaims.benefits.scenarios import (
    ScenarioError,
    check_scenario,
    check_to_dict,
    parse_scenario,
)

RULES = seed_rule_set()
UC_LOWER = Profile(universal_credit=UniversalCredit(14, WorkAllowance.LOWER))
UC_NONE = Profile(universal_credit=UniversalCredit(1, WorkAllowance.NONE))
ESA = Profile(esa=Esa())
CA = Profile(carers_allowance=CarersAllowance())
PC_SINGLE = Profile(pension_credit=PensionCredit(Disregard.SINGLE))
# Tuesday 24 November 2026: its benefit week (from Monday) is 23 to 29 November.
TUESDAY = date(2026, 11, 24)


def fee(pence: int, *, hours: float | None = None, worked_on: date | None = None) -> Fee:
    return Fee(pence, None if hours is None else Decimal(str(hours)), worked_on)


def pay(on: date, *lines: Any) -> Payment:
    return Payment(on, tuple(lines))


def check(profile: Profile, payment: Payment, *earlier: Payment) -> BenefitCheck:
    return check_payment(profile, earlier, payment, RULES)


def only(result: BenefitCheck) -> Any:
    (entry,) = result.benefits
    return entry


# Periods -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start_day", "on", "period"),
    [
        (1, date(2026, 9, 15), (date(2026, 9, 1), date(2026, 9, 30))),
        (14, date(2026, 12, 1), (date(2026, 11, 14), date(2026, 12, 13))),
        (14, date(2026, 12, 14), (date(2026, 12, 14), date(2027, 1, 13))),
        (14, date(2027, 1, 13), (date(2026, 12, 14), date(2027, 1, 13))),
        # February, not a leap year: days 29 to 31 start on the 28th.
        (29, date(2026, 2, 28), (date(2026, 2, 28), date(2026, 3, 28))),
        (31, date(2027, 2, 27), (date(2027, 1, 31), date(2027, 2, 27))),
        (31, date(2027, 2, 28), (date(2027, 2, 28), date(2027, 3, 30))),
        (30, date(2027, 3, 1), (date(2027, 2, 28), date(2027, 3, 29))),
        # A leap year: the 29th exists.
        (30, date(2028, 2, 29), (date(2028, 2, 29), date(2028, 3, 29))),
        (29, date(2028, 2, 28), (date(2028, 1, 29), date(2028, 2, 28))),
        # 30-day months: day 31 starts on the 30th.
        (31, date(2026, 4, 30), (date(2026, 4, 30), date(2026, 5, 30))),
        (31, date(2026, 5, 31), (date(2026, 5, 31), date(2026, 6, 29))),
        (31, date(2026, 6, 29), (date(2026, 5, 31), date(2026, 6, 29))),
        (31, date(2026, 9, 30), (date(2026, 9, 30), date(2026, 10, 30))),
    ],
)
def test_assessment_period_with_start_day_holds_the_date(start_day, on, period):
    assert assessment_period(start_day, on) == period


@settings(deadline=None)  # timing varies on a busy machine
@given(st.integers(1, 31), st.dates(date(2020, 1, 1), date(2035, 12, 31)))
def test_assessment_periods_hold_the_date_and_follow_on_without_gaps(start_day, on):
    start, end = assessment_period(start_day, on)
    assert start <= on <= end
    assert start.day == start_day or start.day < start_day
    following = assessment_period(start_day, end + timedelta(days=1))
    assert following[0] == end + timedelta(days=1)
    assert 28 <= (end - start).days + 1 <= 31


@pytest.mark.parametrize(
    ("week_start", "on", "week"),
    [
        (WeekStart.MONDAY, date(2026, 11, 23), (date(2026, 11, 23), date(2026, 11, 29))),
        (WeekStart.MONDAY, date(2026, 11, 29), (date(2026, 11, 23), date(2026, 11, 29))),
        (WeekStart.WEDNESDAY, date(2026, 11, 24), (date(2026, 11, 18), date(2026, 11, 24))),
        (WeekStart.SUNDAY, date(2026, 11, 24), (date(2026, 11, 22), date(2026, 11, 28))),
    ],
)
def test_benefit_week_starts_on_week_start(week_start, on, week):
    assert benefit_week(week_start, on) == week


# What counts as earnings -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "on", "pence"),
    [
        (fee(15000), TUESDAY, 15000),
        (Voucher(2500), TUESDAY, 2500),
        (Expense(1240, receipted=True), TUESDAY, 0),
        (Expense(1000, receipted=False), TUESDAY, 1000),
        # Car: 55p from 6 April 2026 (on the day paid), 45p before.
        (Mileage(Decimal(40), Vehicle.CAR, Decimal(55)), date(2026, 4, 6), 0),
        (Mileage(Decimal(40), Vehicle.CAR, Decimal(55)), date(2026, 4, 5), 400),
        (Mileage(Decimal(100), Vehicle.CAR, Decimal(60)), TUESDAY, 500),
        (Mileage(Decimal(10), Vehicle.MOTORCYCLE, Decimal(30)), TUESDAY, 60),
        (Mileage(Decimal(10), Vehicle.BICYCLE, Decimal(20)), TUESDAY, 0),
        (Mileage(Decimal(10), Vehicle.CAR, Decimal(30)), TUESDAY, 0),  # never below 0
        (Mileage(Decimal("12.5"), Vehicle.CAR, Decimal(56)), TUESDAY, 13),  # half up
        (Mileage(Decimal("12.3"), Vehicle.CAR, Decimal(56)), TUESDAY, 12),
    ],
)
def test_earnings_like_amount_of_each_line(line, on, pence):
    assert earnings_like_pence(pay(on, line), RULES) == pence


def test_mileage_above_hmrc_rate_uses_the_figure_on_the_day_paid_and_says_so():
    result = check(UC_NONE, pay(date(2026, 9, 15), Mileage(Decimal(100), Vehicle.CAR, Decimal(60))))

    assert result.earnings_like_pence == 500
    assert ("hmrc.mileage.car", date(2026, 4, 6)) in {
        (figure.key, figure.effective_from) for figure in result.figures
    }
    assert result.awaiting_confirmation  # 55p is S2


def test_receipted_expenses_only_is_clear_for_every_benefit():
    profile = Profile(
        universal_credit=UniversalCredit(1, WorkAllowance.NONE),
        esa=Esa(),
        carers_allowance=CarersAllowance(20400),
        council_tax_reduction=True,
    )

    result = check(profile, pay(TUESDAY, Expense(50000, receipted=True)))

    assert result.level is Level.CLEAR
    assert {entry.level for entry in result.benefits} == {Level.CLEAR}
    assert "does not count as earnings" in result.benefits[0].message


def test_voucher_counts_as_earnings():
    result = check(UC_NONE, pay(TUESDAY, Voucher(1000)))

    assert (result.level, only(result).estimated_reduction_pence) == (Level.REDUCES, 550)


# Universal Credit --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counted", "level", "reduction"),
    [
        (34159, Level.CLEAR, 0),
        (34160, Level.NEAR, 0),  # 80% of £427
        (42700, Level.NEAR, 0),  # exactly at the allowance is not over it
        (42701, Level.REDUCES, 1),  # 55% of 1p, rounded half up
        (42702, Level.REDUCES, 1),
        (42800, Level.REDUCES, 55),
    ],
)
def test_universal_credit_at_and_around_the_work_allowance(counted, level, reduction):
    result = only(check(UC_LOWER, pay(TUESDAY, fee(counted))))

    assert (result.level, result.counted_pence, result.limit_pence) == (level, counted, 42700)
    assert result.estimated_reduction_pence == reduction


def test_universal_credit_reduction_counts_only_this_payments_share():
    earlier = pay(date(2026, 11, 20), fee(42000))

    result = only(check(UC_LOWER, pay(TUESDAY, fee(2000)), earlier))

    # Before: 0 over; after: £13 over -> 55% of 1300 = 715.
    assert (result.counted_pence, result.estimated_reduction_pence) == (44000, 715)


def test_universal_credit_without_work_allowance_any_fee_reduces():
    result = only(check(UC_NONE, pay(TUESDAY, fee(1))))

    assert (result.level, result.limit_pence, result.estimated_reduction_pence) == (
        Level.REDUCES,
        0,
        1,
    )
    assert "every £1 counts" in result.message


def test_universal_credit_higher_allowance_uses_higher_figure():
    profile = Profile(universal_credit=UniversalCredit(14, WorkAllowance.HIGHER))

    assert only(check(profile, pay(TUESDAY, fee(100)))).limit_pence == 71000


def test_universal_credit_payment_in_previous_period_is_not_counted():
    # The period holding 1 December starts on 14 November: 13 November is the period before.
    earlier = pay(date(2026, 11, 13), fee(40000))
    in_period = pay(date(2026, 11, 14), fee(1000))

    result = only(check(UC_LOWER, pay(date(2026, 12, 1), fee(1000)), earlier, in_period))

    assert result.counted_pence == 2000
    assert (result.period_start, result.period_end) == (date(2026, 11, 14), date(2026, 12, 13))


def test_universal_credit_later_payment_in_the_same_period_is_counted():
    later = pay(date(2026, 12, 10), fee(42000))

    assert only(check(UC_LOWER, pay(date(2026, 12, 1), fee(1000)), later)).counted_pence == 43000


@pytest.mark.parametrize(
    ("start_day", "limit", "year_from"),
    [
        (5, 41100, date(2025, 4, 7)),  # the period starts 5 April 2026: last year's figure
        (6, 42700, date(2026, 4, 6)),  # starts on the uprating date: the new figure
        (7, 42700, date(2026, 4, 6)),
    ],
)
def test_universal_credit_uses_the_figure_in_force_at_the_period_start(start_day, limit, year_from):
    result = only(
        check(
            Profile(universal_credit=UniversalCredit(start_day, WorkAllowance.LOWER)),
            pay(date(2026, 4, 30), fee(100)),
        )
    )

    assert result.limit_pence == limit
    assert ("uc.work_allowance.lower", year_from) in {
        (figure.key, figure.effective_from) for figure in result.figures
    }


# ESA ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counted", "level"),
    [
        (18314, Level.CLEAR),
        (18315, Level.NEAR),  # 90% of £203.50
        (20350, Level.NEAR),  # exactly at the limit
        (20351, Level.STOPS),
    ],
)
def test_esa_at_and_around_the_permitted_work_limit(counted, level):
    result = only(check(ESA, pay(TUESDAY, fee(counted, hours=2))))

    assert (result.level, result.limit_pence, result.hours) == (level, 20350, Decimal(2))


@pytest.mark.parametrize(
    ("hours", "level"),
    [(13.5, Level.CLEAR), (14, Level.NEAR), (15.75, Level.NEAR), (16, Level.STOPS)],
)
def test_esa_hours_in_the_week(hours, level):
    result = only(check(ESA, pay(TUESDAY, fee(1000, hours=hours))))

    assert result.level is level
    if level is Level.STOPS:
        assert "16 hours" in result.message


def test_esa_supported_permitted_work_has_no_hours_limit_but_keeps_the_earnings_limit():
    supported = Profile(esa=Esa(supported_permitted_work=True))

    assert only(check(supported, pay(TUESDAY, fee(1000, hours=30)))).level is Level.CLEAR
    assert only(check(supported, pay(TUESDAY, fee(20351, hours=2)))).level is Level.STOPS


def test_esa_hours_count_the_week_worked_not_the_week_paid():
    # Worked Tuesday 17 November (week of 16 November) and paid on the 24th.
    earlier = pay(date(2026, 11, 20), fee(1000, hours=10, worked_on=date(2026, 11, 18)))
    other_week = pay(date(2026, 11, 24), fee(1000, hours=10, worked_on=date(2026, 11, 24)))

    result = only(
        check(
            ESA, pay(TUESDAY, fee(1000, hours=6, worked_on=date(2026, 11, 17))), earlier, other_week
        )
    )

    assert result.hours == Decimal(16)
    assert result.level is Level.STOPS
    assert result.counted_pence == 2000  # earnings count the week paid


def test_esa_hours_zero_when_the_payment_has_no_fee():
    earlier = pay(date(2026, 11, 23), fee(1000, hours=20))

    result = only(check(ESA, pay(TUESDAY, Voucher(500)), earlier))

    assert result.hours == Decimal(0)
    assert result.level is Level.CLEAR


def test_esa_payment_in_previous_week_is_not_counted():
    earlier = pay(date(2026, 11, 22), fee(20000, hours=15))

    result = only(check(ESA, pay(TUESDAY, fee(1000, hours=1)), earlier))

    assert (result.counted_pence, result.hours, result.level) == (1000, Decimal(1), Level.CLEAR)


def test_esa_weekly_figure_changes_from_the_first_week_starting_on_or_after_uprating():
    sunday_weeks = Profile(esa=Esa(), week_start=WeekStart.SUNDAY)

    # Sunday weeks: 5 to 11 April 2026 started before 6 April, so last year's £195.50.
    assert only(check(sunday_weeks, pay(date(2026, 4, 8), fee(100)))).limit_pence == 19550
    assert only(check(sunday_weeks, pay(date(2026, 4, 12), fee(100)))).limit_pence == 20350
    assert only(check(ESA, pay(date(2026, 4, 6), fee(100)))).limit_pence == 20350


# Carer's Allowance -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pence", "level"),
    [(18359, Level.CLEAR), (18360, Level.NEAR), (20400, Level.NEAR), (20401, Level.STOPS)],
)
def test_carers_allowance_cliff_edge_by_one_penny(pence, level):
    result = only(check(CA, pay(TUESDAY, fee(pence))))

    assert (result.level, result.limit_pence) == (level, 20400)
    assert result.estimated_reduction_pence is None


def test_carers_allowance_adds_other_weekly_earnings_and_earlier_payments_in_the_week():
    profile = Profile(carers_allowance=CarersAllowance(other_weekly_earnings_pence=12000))
    earlier = pay(date(2026, 11, 23), fee(4000))
    last_week = pay(date(2026, 11, 22), fee(9000))

    result = only(check(profile, pay(TUESDAY, fee(4400)), earlier, last_week))

    assert (result.counted_pence, result.level) == (20400, Level.NEAR)


def test_carers_allowance_last_years_limit_for_a_week_before_uprating():
    sunday_weeks = Profile(carers_allowance=CarersAllowance(), week_start=WeekStart.SUNDAY)

    result = only(check(sunday_weeks, pay(date(2026, 4, 10), fee(20000))))

    assert (result.limit_pence, result.level) == (19600, Level.STOPS)
    assert not result.awaiting_confirmation  # the 2025 figure is S


# Pension Credit and Housing Benefit --------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "limit"),
    [
        (PC_SINGLE, 500),
        (Profile(pension_credit=PensionCredit(Disregard.COUPLE)), 1000),
        (Profile(pension_credit=PensionCredit(Disregard.HIGHER)), 2000),
        (Profile(housing_benefit=HousingBenefit(Disregard.LONE_PARENT)), 2500),
    ],
)
def test_pound_for_pound_above_the_disregard(profile, limit):
    at_limit = only(check(profile, pay(TUESDAY, fee(limit))))
    over = only(check(profile, pay(TUESDAY, fee(limit + 1234))))
    near = only(check(profile, pay(TUESDAY, fee(limit * 4 // 5))))
    below = only(check(profile, pay(TUESDAY, fee(limit * 4 // 5 - 1))))

    assert (at_limit.level, at_limit.estimated_reduction_pence) == (Level.NEAR, 0)
    assert (over.level, over.estimated_reduction_pence) == (Level.REDUCES, 1234)
    assert (near.level, below.level) == (Level.NEAR, Level.CLEAR)


def test_pound_for_pound_counts_only_the_increase_this_payment_causes():
    earlier = pay(date(2026, 11, 23), fee(800))

    result = only(check(PC_SINGLE, pay(TUESDAY, fee(1000)), earlier))

    assert (result.counted_pence, result.estimated_reduction_pence) == (1800, 1000)


def test_pension_credit_and_housing_benefit_together_each_reduce():
    profile = Profile(
        pension_credit=PensionCredit(Disregard.SINGLE),
        housing_benefit=HousingBenefit(Disregard.SINGLE),
    )

    result = check(profile, pay(TUESDAY, fee(2000)))

    assert [(entry.benefit, entry.estimated_reduction_pence) for entry in result.benefits] == [
        (Benefit.PENSION_CREDIT, 1500),
        (Benefit.HOUSING_BENEFIT, 1500),
    ]


# Every weekly limit: ESA, Carer's Allowance, Pension Credit, Housing Benefit ----------------

WEDNESDAY_WEEKS = WeekStart.WEDNESDAY


@pytest.mark.parametrize(
    ("profile", "limit_key", "counted"),
    [
        (Profile(esa=Esa(), week_start=WEDNESDAY_WEEKS), "esa.permitted_work.higher", 123),
        (
            Profile(
                carers_allowance=CarersAllowance(other_weekly_earnings_pence=3000),
                week_start=WEDNESDAY_WEEKS,
            ),
            "ca.earnings_limit",
            3123,
        ),
        (
            Profile(pension_credit=PensionCredit(Disregard.SINGLE), week_start=WEDNESDAY_WEEKS),
            "legacy.disregard.single",
            123,
        ),
        (
            Profile(housing_benefit=HousingBenefit(Disregard.COUPLE), week_start=WEDNESDAY_WEEKS),
            "legacy.disregard.couple",
            123,
        ),
    ],
)
def test_weekly_limit_counts_only_payments_in_the_persons_benefit_week(profile, limit_key, counted):
    # Wednesday weeks: Friday 27 November 2026 falls in 25 November to 1 December.
    first_day, last_day = date(2026, 11, 25), date(2026, 12, 1)
    in_the_week = [pay(first_day, fee(100)), pay(last_day, fee(20))]
    either_side = [pay(first_day - timedelta(days=1), fee(5000)), pay(date(2026, 12, 2), fee(7000))]

    result = only(check(profile, pay(date(2026, 11, 27), fee(3)), *in_the_week, *either_side))

    assert (result.period_start, result.period_end) == (first_day, last_day)
    assert result.counted_pence == counted
    assert result.limit_pence == RULES.in_force(limit_key, first_day).value
    assert [figure.key for figure in result.figures] == [limit_key]
    assert "your benefit week 25 November 2026 to 1 December 2026" in result.message


# Council Tax Reduction, PIP, DLA, Attendance Allowance -------------------------------------


def test_council_tax_reduction_is_check_and_never_computed():
    result = only(check(Profile(council_tax_reduction=True), pay(TUESDAY, fee(1))))

    assert result.level is Level.CHECK
    assert (result.period_start, result.counted_pence, result.limit_pence) == (None, None, None)
    assert "council" in result.message


@pytest.mark.parametrize("benefit", ["pip", "dla", "attendance_allowance"])
def test_disability_benefits_are_never_flagged(benefit):
    result = check(Profile(**{benefit: True}), pay(TUESDAY, fee(10_000_000, hours=60)))

    assert result.level is Level.CLEAR
    assert "not affected by earnings" in only(result).message


# The whole answer --------------------------------------------------------------------------


def test_level_is_the_most_severe_and_no_benefits_is_clear():
    profile = Profile(
        universal_credit=UniversalCredit(1, WorkAllowance.HIGHER),
        carers_allowance=CarersAllowance(),
        council_tax_reduction=True,
        pip=True,
    )

    result = check(profile, pay(TUESDAY, fee(25000)))

    assert [entry.level for entry in result.benefits] == [
        Level.CLEAR,
        Level.STOPS,
        Level.CHECK,
        Level.CLEAR,
    ]
    assert result.level is Level.STOPS
    assert check(Profile(), pay(TUESDAY, fee(25000))).level is Level.CLEAR
    assert most_severe([]) is Level.CLEAR
    assert result.result_for(Benefit.ESA) is None


def test_missing_figure_names_the_key_and_date():
    with pytest.raises(MissingFigure, match=r"ca\.earnings_limit on 2019-12-30"):
        check(CA, pay(date(2020, 1, 1), fee(1)))


def test_rule_set_takes_the_latest_figure_starting_on_or_before_the_date():
    rules = RuleSet(
        (
            Figure("x", 1, date(2026, 1, 1), date(2026, 1, 31)),
            Figure("x", 2, date(2026, 2, 1)),
        )
    )

    assert [
        rules.in_force("x", date(2026, 1, 31)).value,
        rules.in_force("x", date(2026, 2, 1)).value,
    ] == [1, 2]
    with pytest.raises(MissingFigure):
        rules.in_force("x", date(2025, 12, 31))


# The SCENARIOS.md format -------------------------------------------------------------------


def test_parse_scenario_fills_defaults():
    scenario = parse_scenario(
        {
            "id": "defaults",
            "profile": {"esa": {}, "carers_allowance": {}, "pip": {}},
            "payment": {"paid_on": "2026-11-24", "lines": [{"kind": "fee", "amount_pence": 1}]},
        }
    )

    assert scenario.profile == Profile(esa=Esa(), carers_allowance=CarersAllowance(0), pip=True)
    assert scenario.earlier_payments == ()
    assert scenario.payment.lines == (Fee(1),)


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        ({"extra": 1}, "extra", "unknown field"),
        (
            {"profile": {"pension_credit": {"disregard": "lone_parent"}}},
            "profile.pension_credit.disregard",
            "'lone_parent' is not one of single, couple, higher",
        ),
        (
            {"profile": {"week_start": "funday"}},
            "profile.week_start",
            "'funday' is not one of monday",
        ),
        (
            {
                "payment": {
                    "paid_on": "2026-11-24",
                    "lines": [{"kind": "fee", "amount_pence": True}],
                }
            },
            "payment.lines[0].amount_pence",
            "must be a whole number of pence",
        ),
        (
            {
                "payment": {
                    "paid_on": "2026-11-24",
                    "lines": [{"kind": "fee", "amount_pence": 1, "hours": -1}],
                }
            },
            "payment.lines[0].hours",
            "cannot be negative",
        ),
        (
            {
                "payment": {
                    "paid_on": "2026-11-24",
                    "lines": [{"kind": "mileage", "miles": 1, "vehicle": "bus", "rate_pence": 1}],
                }
            },
            "payment.lines[0].vehicle",
            "'bus' is not one of car",
        ),
        ({"payment": {"paid_on": 20261124}}, "payment.paid_on", "must be a date"),
        ({"payment": None}, "payment", "is missing"),
    ],
)
def test_parse_scenario_with_bad_field_names_it(change, field, problem):
    data = {"id": "bad", "profile": {}, "payment": {"paid_on": "2026-11-24"}, **change}

    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)

    assert (caught.value.scenario_id, caught.value.field) == ("bad", field)
    assert caught.value.problem.startswith(problem)
    assert str(caught.value) == f"scenario bad: {field}: {caught.value.problem}"


def test_check_to_dict_gives_the_scenarios_md_output():
    scenario = parse_scenario(
        {
            "id": "esa",
            "profile": {"esa": {}},
            "payment": {
                "paid_on": "2026-11-25",
                "lines": [{"kind": "fee", "amount_pence": 15000, "hours": 6}],
            },
        }
    )

    out = check_to_dict(check_scenario(scenario, RULES), scenario.id)

    assert list(out)[:3] == ["id", "level", "earnings_like_pence"]
    (entry,) = out["benefits"]
    assert {
        key: entry[key]
        for key in (
            "benefit",
            "level",
            "period_start",
            "period_end",
            "counted_pence",
            "limit_pence",
            "hours",
        )
    } == {
        "benefit": "esa",
        "level": "clear",
        "period_start": "2026-11-23",
        "period_end": "2026-11-29",
        "counted_pence": 15000,
        "limit_pence": 20350,
        "hours": 6.0,
    }
    assert "estimated_reduction_pence" not in entry
    assert entry["awaiting_confirmation"] is True  # £203.50 is inferred (I)
    assert out["awaiting_confirmation"] is True


# Properties --------------------------------------------------------------------------------

DAYS = st.dates(date(2024, 6, 1), date(2027, 12, 31))
PENCE = st.integers(0, 60_000)
HOURS = st.one_of(st.none(), st.decimals(0, 20, places=2))


@st.composite
def lines(draw: st.DrawFn, paid_on: date) -> Any:
    kind = draw(st.sampled_from(["fee", "voucher", "expense", "mileage"]))
    if kind == "fee":
        worked = draw(st.one_of(st.none(), st.integers(-10, 0)))
        return Fee(
            draw(PENCE),
            draw(HOURS),
            None if worked is None else paid_on + timedelta(days=worked),
        )
    if kind == "voucher":
        return Voucher(draw(PENCE))
    if kind == "expense":
        return Expense(draw(PENCE), draw(st.booleans()))
    return Mileage(
        draw(st.decimals(0, 200, places=1)),
        draw(st.sampled_from(list(Vehicle))),
        Decimal(draw(st.integers(0, 80))),
    )


@st.composite
def payments(draw: st.DrawFn, near: date | None = None) -> Payment:
    paid_on = near + timedelta(days=draw(st.integers(-35, 35))) if near else draw(DAYS)
    return Payment(paid_on, tuple(draw(st.lists(lines(paid_on), max_size=3))))


@st.composite
def profiles(draw: st.DrawFn) -> Profile:
    maybe = st.booleans()
    return Profile(
        universal_credit=UniversalCredit(
            draw(st.integers(1, 31)), draw(st.sampled_from(list(WorkAllowance)))
        )
        if draw(maybe)
        else None,
        esa=Esa(draw(st.booleans())) if draw(maybe) else None,
        carers_allowance=CarersAllowance(draw(st.integers(0, 25_000))) if draw(maybe) else None,
        pension_credit=PensionCredit(
            draw(st.sampled_from([Disregard.SINGLE, Disregard.COUPLE, Disregard.HIGHER]))
        )
        if draw(maybe)
        else None,
        housing_benefit=HousingBenefit(draw(st.sampled_from(list(Disregard))))
        if draw(maybe)
        else None,
        council_tax_reduction=draw(st.booleans()),
        pip=draw(st.booleans()),
        dla=draw(st.booleans()),
        attendance_allowance=draw(st.booleans()),
        week_start=draw(st.sampled_from(list(WeekStart))),
    )


@st.composite
def situations(draw: st.DrawFn) -> tuple[Profile, list[Payment], Payment]:
    payment = draw(payments())
    earlier = draw(st.lists(payments(near=payment.paid_on), max_size=4))
    return draw(profiles()), earlier, payment


EARNINGS_LINES = st.one_of(
    st.builds(Fee, st.integers(1, 60_000), HOURS),
    st.builds(Voucher, st.integers(1, 60_000)),
    st.builds(Expense, st.integers(1, 60_000), st.just(False)),
)


@settings(max_examples=300, deadline=None)
@given(situations(), EARNINGS_LINES)
def test_adding_an_earnings_like_amount_never_lowers_a_level(situation, extra):
    profile, earlier, payment = situation
    before = check_payment(profile, earlier, payment, RULES)

    after = check_payment(profile, earlier, replace(payment, lines=(*payment.lines, extra)), RULES)

    assert after.level.severity >= before.level.severity
    for old, new in zip(before.benefits, after.benefits, strict=True):
        assert new.level.severity >= old.level.severity, (old, new)
    assert after.earnings_like_pence > before.earnings_like_pence


@settings(max_examples=300, deadline=None)
@given(situations(), st.integers(0, 100_000))
def test_adding_receipted_expenses_never_changes_a_result(situation, pence):
    profile, earlier, payment = situation
    before = check_payment(profile, earlier, payment, RULES)

    after = check_payment(
        profile, earlier, replace(payment, lines=(*payment.lines, Expense(pence, True))), RULES
    )

    assert after == before


# Refusing what the scenario format does not know, and what is out of range ------------------


def _scenario(**changes: Any) -> dict[str, Any]:
    return {
        "id": "bad",
        "profile": {},
        "payment": {"paid_on": "2026-11-24", "lines": []},
        **changes,
    }


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        (
            {"payment": {"paid_on": "2026-11-24", "line": [{"kind": "fee", "amount_pence": 1}]}},
            "payment.line",
            "unknown field",
        ),
        (
            {"earlier_payments": [{"paid_on": "2026-11-23", "amount_pence": 5}]},
            "earlier_payments[0].amount_pence",
            "unknown field",
        ),
        (
            {
                "payment": {
                    "paid_on": "2026-11-24",
                    "lines": [{"kind": "fee", "amount_pence": 1, "workedon": "2026-11-20"}],
                }
            },
            "payment.lines[0].workedon",
            "unknown field for a fee line",
        ),
        (
            {
                "payment": {
                    "paid_on": "2026-11-24",
                    "lines": [{"kind": "voucher", "amount_pence": 1, "hours": 20}],
                }
            },
            "payment.lines[0].hours",
            "unknown field for a voucher line",
        ),
        (
            {
                "payment": {
                    "paid_on": "2026-11-24",
                    "lines": [{"kind": "expense", "amount_pence": 1, "receipted": True, "x": 1}],
                }
            },
            "payment.lines[0].x",
            "unknown field for an expense line",
        ),
        (
            {
                "payment": {
                    "paid_on": "2026-11-24",
                    "lines": [
                        {
                            "kind": "mileage",
                            "miles": 1,
                            "vehicle": "car",
                            "rate_pence": 45,
                            "passengers": 1,
                        }
                    ],
                }
            },
            "payment.lines[0].passengers",
            "unknown field for a mileage line",
        ),
        ({"profile": {"esa": {"supported": True}}}, "profile.esa.supported", "unknown field"),
        (
            {
                "profile": {
                    "universal_credit": {
                        "assessment_period_start_day": 1,
                        "work_allowance": "none",
                        "housing": True,
                    }
                }
            },
            "profile.universal_credit.housing",
            "unknown field",
        ),
        (
            {"profile": {"carers_allowance": {"other_weekly_earnings": 100}}},
            "profile.carers_allowance.other_weekly_earnings",
            "unknown field",
        ),
        (
            {"profile": {"pension_credit": {"disregard": "single", "couple": True}}},
            "profile.pension_credit.couple",
            "unknown field",
        ),
        (
            {"profile": {"housing_benefit": {"disregard": "single", "x": 1}}},
            "profile.housing_benefit.x",
            "unknown field",
        ),
        ({"profile": {"pip": {"rate": "enhanced"}}}, "profile.pip.rate", "unknown field"),
        (
            {"profile": {"council_tax_reduction": {"council": "Leeds"}}},
            "profile.council_tax_reduction.council",
            "unknown field",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_parse_scenario_with_unknown_key_names_it(change, field, problem):
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(_scenario(**change))

    assert (caught.value.field, caught.value.problem) == (field, problem)
    assert str(caught.value) == f"scenario bad: {field}: {problem}"


@pytest.mark.parametrize(
    "text", ["20261124", "2026-W48-2", "2026-11-24T00:00", "2026-328", " 2026-11-24"]
)
def test_parse_scenario_with_other_iso_date_forms_is_refused(text):
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(_scenario(payment={"paid_on": text, "lines": []}))

    assert caught.value.field == "payment.paid_on"
    assert caught.value.problem == f"{text!r} is not a date like 2026-12-01"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("9999-12-31", "payment.paid_on"),
        ("0001-01-01", "payment.paid_on"),
        ("1999-12-31", "payment.paid_on"),
        ("2101-01-01", "payment.paid_on"),
    ],
)
def test_parse_scenario_with_date_out_of_range_is_refused(text, field):
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(_scenario(payment={"paid_on": text, "lines": []}))

    assert caught.value.field == field
    assert caught.value.problem == f"{text!r} must be from 2000-01-01 to 2100-12-31"


def test_parse_scenario_with_worked_on_out_of_range_is_refused():
    line = {"kind": "fee", "amount_pence": 1, "worked_on": "0001-01-01"}

    with pytest.raises(ScenarioError) as caught:
        parse_scenario(_scenario(payment={"paid_on": "2026-11-24", "lines": [line]}))

    assert caught.value.field == "payment.lines[0].worked_on"


def test_parse_scenario_with_dates_at_the_bounds_is_accepted():
    scenario = parse_scenario(_scenario(payment={"paid_on": "2100-12-31", "lines": []}))
    assert scenario.payment.paid_on == date(2100, 12, 31)
    scenario = parse_scenario(_scenario(payment={"paid_on": "2000-01-01", "lines": []}))
    assert scenario.payment.paid_on == date(2000, 1, 1)


@pytest.mark.parametrize(
    ("line", "field", "problem"),
    [
        (
            {"kind": "mileage", "miles": 1e300, "vehicle": "car", "rate_pence": 45},
            "miles",
            "must be 1000000 or less",
        ),
        (
            {"kind": "mileage", "miles": 10, "vehicle": "car", "rate_pence": 1e20},
            "rate_pence",
            "must be 1000000 or less",
        ),
        ({"kind": "fee", "amount_pence": 1, "hours": 1e9}, "hours", "must be 1000000 or less"),
        ({"kind": "fee", "amount_pence": 10**30}, "amount_pence", "must be 10000000000 pence"),
    ],
)
def test_parse_scenario_with_huge_number_is_refused(line, field, problem):
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(_scenario(payment={"paid_on": "2026-11-24", "lines": [line]}))

    assert caught.value.field == f"payment.lines[0].{field}"
    assert caught.value.problem.startswith(problem)


def test_parse_scenario_with_largest_numbers_still_checks():
    line = {"kind": "mileage", "miles": 1_000_000, "vehicle": "car", "rate_pence": 1_000_000}
    fee_line = {"kind": "fee", "amount_pence": 10_000_000_000, "hours": 1_000_000}
    scenario = parse_scenario(
        _scenario(
            profile={
                "esa": {},
                "universal_credit": {"assessment_period_start_day": 31, "work_allowance": "none"},
            },
            payment={"paid_on": "2100-12-31", "lines": [line, fee_line]},
        )
    )

    assert check_scenario(scenario, RULES).level is Level.STOPS


# Plain English --------------------------------------------------------------------------------


def test_esa_near_message_without_hours_leaves_hours_out():
    # £190 of vouchers: 93% of the £203.50 limit, and no hours recorded.
    result = only(check(ESA, pay(TUESDAY, Voucher(19000))))

    assert result.level is Level.NEAR
    assert "hours in its busiest week" not in result.message
    assert result.message.startswith(
        "Your earnings in your benefit week 23 November 2026 to 29 November 2026 would be "
        "£190.00: close to the permitted work limits"
    )


def test_esa_near_message_with_hours_says_them():
    result = only(check(ESA, pay(TUESDAY, fee(1000, hours=14.5))))

    assert result.level is Level.NEAR
    assert "and the work 14.5 hours in its busiest week" in result.message


def test_universal_credit_with_no_difference_does_not_say_about_nothing():
    # Already 1p over with no work allowance; 1p more rounds to no further reduction.
    result = only(check(UC_NONE, pay(TUESDAY, fee(1)), pay(TUESDAY, fee(1))))

    assert (result.level, result.estimated_reduction_pence) == (Level.REDUCES, 0)
    assert "£0.00" not in result.message
    assert (
        "this payment counts towards those earnings but by itself makes little or no "
        "difference to your Universal Credit" in result.message
    )
