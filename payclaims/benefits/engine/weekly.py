"""The benefits counted by the benefit week: ESA permitted work, Carer's Allowance, and the
legacy disregards of Pension Credit and Housing Benefit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from payclaims.benefits.engine.earnings import (
    NOT_EARNINGS,
    Context,
    at_least,
    unique_figures,
    used_figure,
)
from payclaims.benefits.engine.periods import benefit_week, period_text
from payclaims.benefits.engine.types import (
    Benefit,
    BenefitResult,
    CarersAllowance,
    Disregard,
    Esa,
    Fee,
    FigureUsed,
    Level,
    Payment,
    RuleSet,
    WeekStart,
)
from payclaims.money import format_pence

ESA_HOURS_LIMIT = Decimal(16)
ESA_HOURS_NEAR = Decimal(14)
# "near" thresholds as fractions (numerator, denominator) of a limit.
NEAR_DISREGARD = (4, 5)  # Pension Credit, Housing Benefit: 80% of the disregard
NEAR_WEEKLY_CLIFF = (9, 10)  # ESA, Carer's Allowance: 90% of the limit


@dataclass(frozen=True)
class _WeeklyLimit:
    """A weekly limit (ESA, Carer's Allowance, the legacy disregards): the benefit week the
    payment falls in, the limit in force at the week's start and the earnings counted against it."""

    benefit: Benefit
    start: date
    end: date
    limit_pence: int
    before_pence: int  # earlier payments paid in the week
    counted_pence: int  # those, this payment and any other earnings the benefit adds
    figures: tuple[FigureUsed, ...]

    @property
    def week_text(self) -> str:
        """The week as the messages name it."""
        return f"your benefit week {period_text(self.start, self.end)}"

    def result(
        self,
        level: Level,
        message: str,
        *,
        estimated_reduction_pence: int | None = None,
        hours: Decimal | None = None,
    ) -> BenefitResult:
        """The benefit's result for this week, with ``level`` and ``message``."""
        return BenefitResult(
            benefit=self.benefit,
            level=level,
            message=message,
            period_start=self.start,
            period_end=self.end,
            counted_pence=self.counted_pence,
            limit_pence=self.limit_pence,
            estimated_reduction_pence=estimated_reduction_pence,
            hours=hours,
            figures=self.figures,
        )


def _weekly_limit(
    benefit: Benefit,
    limit_key: str,
    week_start: WeekStart,
    context: Context,
    rules: RuleSet,
    *,
    other_pence: int = 0,
) -> _WeeklyLimit:
    """The limit under ``limit_key`` for the benefit week the payment is paid in."""
    start, end = benefit_week(week_start, context.payment.paid_on)
    limit_figure = rules.in_force(limit_key, start)
    before, earlier_figures = context.earlier_in(start, end)
    return _WeeklyLimit(
        benefit=benefit,
        start=start,
        end=end,
        limit_pence=limit_figure.value,
        before_pence=before,
        counted_pence=other_pence + before + context.this.pence,
        figures=unique_figures([used_figure(limit_figure)], context.this.figures, earlier_figures),
    )


def _esa_hours(esa_week_start: WeekStart, context: Context, earlier: Sequence[Payment]) -> Decimal:
    def worked(payment: Payment) -> Iterable[tuple[date, Decimal]]:
        for line in payment.lines:
            if isinstance(line, Fee):
                yield line.worked_on or payment.paid_on, line.hours or Decimal(0)

    this_weeks = {benefit_week(esa_week_start, day)[0] for day, _hours in worked(context.payment)}
    if not this_weeks:
        return Decimal(0)
    totals = dict.fromkeys(this_weeks, Decimal(0))
    for payment in (*earlier, context.payment):
        for day, hours in worked(payment):
            week = benefit_week(esa_week_start, day)[0]
            if week in totals:
                totals[week] += hours
    return max(totals.values())


def esa_result(
    esa: Esa, week_start: WeekStart, context: Context, earlier: Sequence[Payment], rules: RuleSet
) -> BenefitResult:
    """What the payment means for ESA: the permitted work limit and hours."""
    weekly = _weekly_limit(Benefit.ESA, "esa.permitted_work.higher", week_start, context, rules)
    counted, limit, week = weekly.counted_pence, weekly.limit_pence, weekly.week_text
    hours = _esa_hours(week_start, context, earlier)
    hours_apply = not esa.supported_permitted_work
    hours_text = f"{hours.normalize():f}"
    if context.this.pence == 0:
        level = Level.CLEAR
        message = NOT_EARNINGS.format(benefit="ESA")
    elif counted > limit:
        level = Level.STOPS
        message = (
            f"Your earnings in {week} would be {format_pence(counted)}, above the permitted work "
            f"limit of {format_pence(limit)}. ESA is not paid for a week over the limit, and "
            "it can end the award."
        )
    elif hours_apply and hours >= ESA_HOURS_LIMIT:
        level = Level.STOPS
        message = (
            f"The work would add up to {hours_text} hours in one benefit week. Permitted work "
            "must be under 16 hours a week (unless it is supported permitted work); ESA is not "
            "paid for a week of 16 hours or more, and it can end the award."
        )
    elif at_least(counted, limit, NEAR_WEEKLY_CLIFF) or (hours_apply and hours >= ESA_HOURS_NEAR):
        level = Level.NEAR
        worked = f" and the work {hours_text} hours in its busiest week" if hours else ""
        message = (
            f"Your earnings in {week} would be {format_pence(counted)}{worked}: close to the "
            "permitted work limits of "
            f"{format_pence(limit)} a week"
            f"{' and under 16 hours' if hours_apply else ''}. More work or payments in the same "
            "week could take you over."
        )
    else:
        level = Level.CLEAR
        message = (
            f"Your earnings in {week} would be {format_pence(counted)}, within the permitted "
            f"work limit of {format_pence(limit)} a week"
            f"{', and the hours under 16' if hours_apply else ''}. Permitted work is reported "
            "to DWP on form PW1 before it starts."
        )
    return weekly.result(level, message, hours=hours)


def carers_allowance_result(
    ca: CarersAllowance, week_start: WeekStart, context: Context, rules: RuleSet
) -> BenefitResult:
    """What the payment means for Carer's Allowance: the weekly earnings limit."""
    # Earnings from other work count towards the same weekly limit.
    weekly = _weekly_limit(
        Benefit.CARERS_ALLOWANCE,
        "ca.earnings_limit",
        week_start,
        context,
        rules,
        other_pence=ca.other_weekly_earnings_pence,
    )
    counted, limit, week = weekly.counted_pence, weekly.limit_pence, weekly.week_text
    if context.this.pence == 0:
        level = Level.CLEAR
        message = NOT_EARNINGS.format(benefit="Carer's Allowance")
    elif counted > limit:
        level = Level.STOPS
        message = (
            f"Your earnings in {week}, with your other work, would be {format_pence(counted)}: "
            f"{format_pence(counted - limit)} above the Carer's Allowance earnings limit of "
            f"{format_pence(limit)}. Carer's Allowance is not paid for a week over the limit, "
            "even by 1p."
        )
    elif at_least(counted, limit, NEAR_WEEKLY_CLIFF):
        level = Level.NEAR
        message = (
            f"Your earnings in {week}, with your other work, would be {format_pence(counted)}: "
            f"close to the Carer's Allowance earnings limit of {format_pence(limit)}. Exactly "
            "at the limit is not over it, but 1p more in the same week would be."
        )
    else:
        level = Level.CLEAR
        message = (
            f"Your earnings in {week}, with your other work, would be {format_pence(counted)}, "
            f"within the Carer's Allowance earnings limit of {format_pence(limit)}."
        )
    return weekly.result(level, message)


def pound_for_pound_result(
    benefit: Benefit,
    disregard: Disregard,
    week_start: WeekStart,
    context: Context,
    rules: RuleSet,
) -> BenefitResult:
    """What the payment means for Pension Credit or Housing Benefit: pound for pound above the
    weekly disregard."""
    weekly = _weekly_limit(
        benefit, f"legacy.disregard.{disregard.value}", week_start, context, rules
    )
    counted, limit, week = weekly.counted_pence, weekly.limit_pence, weekly.week_text
    estimated = max(0, counted - limit) - max(0, weekly.before_pence - limit)
    name = benefit.label
    if context.this.pence == 0:
        level = Level.CLEAR
        message = NOT_EARNINGS.format(benefit=name)
    elif counted > limit:
        level = Level.REDUCES
        message = (
            f"Your earnings in {week} would be {format_pence(counted)}. The first "
            f"{format_pence(limit)} a week is disregarded; {name} goes down by £1 for each £1 "
            f"above it, so this payment may lower it by about {format_pence(estimated)}."
        )
    elif at_least(counted, limit, NEAR_DISREGARD):
        level = Level.NEAR
        message = (
            f"Your earnings in {week} would be {format_pence(counted)}, close to the "
            f"{format_pence(limit)} a week that {name} disregards. Above it, {name} goes down "
            "£1 for each £1."
        )
    else:
        level = Level.CLEAR
        message = (
            f"Your earnings in {week} would be {format_pence(counted)}, within the "
            f"{format_pence(limit)} a week that {name} disregards."
        )
    return weekly.result(level, message, estimated_reduction_pence=estimated)
