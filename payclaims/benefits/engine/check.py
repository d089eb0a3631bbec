"""The check itself: what a payment means for each benefit a person receives."""

from __future__ import annotations

from collections.abc import Sequence

from payclaims.benefits.engine.earnings import (
    NOT_EARNINGS,
    Context,
    payment_earnings,
    unique_figures,
)
from payclaims.benefits.engine.types import (
    Benefit,
    BenefitCheck,
    BenefitResult,
    Level,
    Payment,
    Profile,
    RuleSet,
    most_severe,
)
from payclaims.benefits.engine.universal_credit import universal_credit_result
from payclaims.benefits.engine.weekly import (
    carers_allowance_result,
    esa_result,
    pound_for_pound_result,
)


def _council_tax_reduction(context: Context) -> BenefitResult:
    if context.this.pence == 0:
        return BenefitResult(
            Benefit.COUNCIL_TAX_REDUCTION,
            Level.CLEAR,
            NOT_EARNINGS.format(benefit="Council Tax Reduction"),
        )
    return BenefitResult(
        Benefit.COUNCIL_TAX_REDUCTION,
        Level.CHECK,
        "Each council sets its own Council Tax Reduction rules, so we cannot work this out. "
        "Check with your council how payments like this are treated.",
    )


def _not_affected(benefit: Benefit) -> BenefitResult:
    return BenefitResult(
        benefit,
        Level.CLEAR,
        f"{benefit.label} is not affected by earnings, so this payment does not change it. A "
        "change in what you can do day to day is something to report.",
    )


def check_payment(
    profile: Profile, earlier: Sequence[Payment], payment: Payment, rules: RuleSet
) -> BenefitCheck:
    """What ``payment`` means for each benefit in ``profile``, given ``earlier`` payments.

    Raises :class:`MissingFigure` when ``rules`` has no figure for a key on a date needed.
    """
    this = payment_earnings(payment, rules)
    context = Context(
        payment=payment,
        this=this,
        earlier=tuple((each, payment_earnings(each, rules)) for each in earlier),
    )
    week_start = profile.week_start
    results: list[BenefitResult] = []
    if profile.universal_credit is not None:
        results.append(universal_credit_result(profile.universal_credit, context, rules))
    if profile.esa is not None:
        results.append(esa_result(profile.esa, week_start, context, earlier, rules))
    if profile.carers_allowance is not None:
        results.append(
            carers_allowance_result(profile.carers_allowance, week_start, context, rules)
        )
    if profile.pension_credit is not None:
        results.append(
            pound_for_pound_result(
                Benefit.PENSION_CREDIT, profile.pension_credit.disregard, week_start, context, rules
            )
        )
    if profile.housing_benefit is not None:
        results.append(
            pound_for_pound_result(
                Benefit.HOUSING_BENEFIT,
                profile.housing_benefit.disregard,
                week_start,
                context,
                rules,
            )
        )
    if profile.council_tax_reduction:
        results.append(_council_tax_reduction(context))
    for benefit in (Benefit.PIP, Benefit.DLA, Benefit.ATTENDANCE_ALLOWANCE):
        if getattr(profile, benefit.value):
            results.append(_not_affected(benefit))
    return BenefitCheck(
        level=most_severe(result.level for result in results),
        earnings_like_pence=this.pence,
        benefits=tuple(results),
        figures=unique_figures(this.figures, *(result.figures for result in results)),
    )
