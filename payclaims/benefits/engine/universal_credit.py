"""Universal Credit: earnings over the monthly assessment period, the work allowance and the
taper."""

from __future__ import annotations

from decimal import Decimal

from payclaims.benefits.engine.earnings import (
    NOT_EARNINGS,
    Context,
    at_least,
    round_pence,
    unique_figures,
    used_figure,
)
from payclaims.benefits.engine.periods import assessment_period, period_text
from payclaims.benefits.engine.types import (
    Benefit,
    BenefitResult,
    Level,
    RuleSet,
    UniversalCredit,
    WorkAllowance,
)
from payclaims.money import format_pence

BASIS_POINTS = 10_000
# "near" threshold as a fraction (numerator, denominator) of the work allowance.
NEAR_MONTHLY = (4, 5)  # UC: 80% of the work allowance


def universal_credit_result(uc: UniversalCredit, context: Context, rules: RuleSet) -> BenefitResult:
    """What the payment means for Universal Credit, over the assessment period it is paid in."""
    start, end = assessment_period(uc.assessment_period_start_day, context.payment.paid_on)
    taper = rules.in_force("uc.taper", start)
    figures = [used_figure(taper)]
    allowance = 0
    if uc.work_allowance is not WorkAllowance.NONE:
        allowance_figure = rules.in_force(f"uc.work_allowance.{uc.work_allowance.value}", start)
        figures.append(used_figure(allowance_figure))
        allowance = allowance_figure.value
    before, earlier_figures = context.earlier_in(start, end)
    counted = before + context.this.pence

    def reduction(earnings: int) -> int:
        excess = max(0, earnings - allowance)
        return (excess * taper.value + BASIS_POINTS // 2) // BASIS_POINTS

    estimated = reduction(counted) - reduction(before)
    period = f"your assessment period {period_text(start, end)}"
    if context.this.pence == 0:
        level = Level.CLEAR
        message = NOT_EARNINGS.format(benefit="Universal Credit")
    elif counted > allowance:
        level = Level.REDUCES
        pence_in_pound = round_pence(Decimal(taper.value) / 100)
        if allowance:
            over = (
                f"{format_pence(counted - allowance)} above your work allowance of "
                f"{format_pence(allowance)}. Universal Credit goes down by {pence_in_pound}p "
                "for each £1 above the allowance"
            )
        else:
            over = (
                "and with no work allowance every £1 counts: Universal Credit goes down by "
                f"{pence_in_pound}p for each £1 earned"
            )
        effect = (
            f"so this payment may lower your Universal Credit by about {format_pence(estimated)}"
            if estimated
            else "and this payment counts towards those earnings but by itself makes little or no "
            "difference to your Universal Credit"
        )
        message = (
            f"Your earnings in {period} would be {format_pence(counted)}, {over}, {effect}. "
            "Earnings are reported to DWP through your journal."
        )
    elif allowance and at_least(counted, allowance, NEAR_MONTHLY):
        level = Level.NEAR
        message = (
            f"Your earnings in {period} would be {format_pence(counted)}, close to your work "
            f"allowance of {format_pence(allowance)}. Universal Credit does not go down until "
            "earnings are above it; more payments in the same period could take you over."
        )
    else:
        level = Level.CLEAR
        message = (
            f"Your earnings in {period} would be {format_pence(counted)}, within your work "
            f"allowance of {format_pence(allowance)}, so Universal Credit does not go down."
        )
    return BenefitResult(
        benefit=Benefit.UNIVERSAL_CREDIT,
        level=level,
        message=message,
        period_start=start,
        period_end=end,
        counted_pence=counted,
        limit_pence=allowance,
        estimated_reduction_pence=estimated,
        figures=unique_figures(figures, context.this.figures, earlier_figures),
    )
