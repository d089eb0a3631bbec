"""What benefits pages show that needs a decision: profile and estimate rows, figure notes."""

from __future__ import annotations

from flask import url_for

from payclaims.benefits.engine.types import BenefitResult, Confidence, Level, WorkAllowance
from payclaims.benefits.profile.models import BenefitProfile
from payclaims.benefits.rules.models import BenefitRule
from payclaims.dates import format_date
from payclaims.money import format_pence
from payclaims.presenting import SummaryRow, Tag, row, tag
from payclaims.roles.models import FeeUnit, RoleDescription

WORK_ALLOWANCE_TEXTS = {
    WorkAllowance.NONE: "None: every pound earned counts",
    WorkAllowance.LOWER: "The lower work allowance",
    WorkAllowance.HIGHER: "The higher work allowance",
}

# What a level means for one benefit, in the words of the what-if page.
LEVEL_WORDS = {
    Level.CLEAR: "no change expected",
    Level.CHECK: "check with your council",
    Level.NEAR: "close to the limit",
    Level.REDUCES: "likely to be reduced",
    Level.STOPS: "could stop for that week",
}

# A role's fee unit after an amount: "£25.00 an hour".
PER_UNIT = {
    FeeUnit.HOUR: "an hour",
    FeeUnit.HALF_DAY: "a half day",
    FeeUnit.DAY: "a day",
    FeeUnit.SESSION: "a session",
}


def yes_no(answer: bool | None) -> str:
    """'Yes' or 'No'."""
    return "Yes" if answer else "No"


def profile_rows(profile: BenefitProfile, *, change: bool = False) -> list[SummaryRow]:
    """The profile as summary-list rows, asking only about the benefits the person gets;
    ``change`` adds a Change link (the person's own page)."""
    benefits = row("Benefits", ", ".join(benefit.label for benefit in profile.benefits) or "None")
    if change:
        href = url_for("benefits.edit_profile")
        benefits["actions"] = {
            "items": [{"href": href, "text": "Change", "visuallyHiddenText": "benefits profile"}]
        }
    rows = [benefits]
    if profile.gets_universal_credit:
        if profile.uc_housing_costs:
            housing = "Yes"
        else:  # asked only of someone responsible for a child or with limited capability
            housing = "No" if profile.uc_child_or_lcw else "Not asked"
        rows += [
            row(
                "Universal Credit assessment period starts on",
                f"Day {profile.uc_assessment_period_start_day} of each month",
            ),
            row(
                "Responsible for a child, or limited capability for work",
                yes_no(profile.uc_child_or_lcw),
            ),
            row("Universal Credit pays towards housing costs", housing),
            row("Work allowance", WORK_ALLOWANCE_TEXTS[profile.work_allowance]),
        ]
    if profile.gets_esa:
        rows.append(
            row("Supported permitted work (ESA)", yes_no(profile.esa_supported_permitted_work))
        )
    if profile.gets_carers_allowance:
        rows.append(
            row(
                "Other weekly earnings (Carer's Allowance)",
                format_pence(profile.carers_other_weekly_earnings_pence),
            )
        )
    if profile.gets_pension_credit:
        rows.append(row("Pension Credit", profile.pension_credit_text))
    if profile.gets_housing_benefit:
        rows.append(row("Housing Benefit", profile.housing_benefit_text))
    if profile.uses_weeks:
        rows.append(row("Benefit week starts on", profile.week_start.value.capitalize()))
    rows += [
        row("Usual choice for new claims", profile.default_fee_choice.label),
        row("Last changed", format_date(profile.updated_at)),
    ]
    return rows


def result_rows(result: BenefitResult) -> list[SummaryRow]:
    """One benefit's estimate as summary-list rows: only the figures it has."""
    rows = []
    if result.period_start:
        period = f"{format_date(result.period_start)} to {format_date(result.period_end)}"
        rows.append(row("Period", period))
    if result.counted_pence is not None:
        rows.append(row("Earnings counted in the period", format_pence(result.counted_pence)))
    if result.limit_pence is not None:
        awaiting = " (figure awaiting confirmation)" if result.awaiting_confirmation else ""
        rows.append(row("Limit or allowance", format_pence(result.limit_pence) + awaiting))
    if result.hours is not None and result.hours > 0:
        rows.append(row("Hours in the busiest week", str(result.hours)))
    if result.estimated_reduction_pence:
        reduction = format_pence(result.estimated_reduction_pence)
        rows.append(row("Estimated reduction", f"about {reduction}"))
    return rows


def level_words(level: Level) -> str:
    """What ``level`` means for one benefit, in a few words ('likely to be reduced')."""
    return LEVEL_WORDS[level]


def confidence_tag(figure: BenefitRule) -> Tag:
    """How sure a figure is: "Confirmed" (green) or "Figure awaiting confirmation" (orange)."""
    if figure.awaiting_confirmation:
        return tag("Figure awaiting confirmation", "orange")
    return tag("Confirmed", "green")


def confidence_note(figure: BenefitRule) -> str:
    """Why a figure awaits confirmation: only secondary sources state it, or it was inferred."""
    if figure.confidence is Confidence.S2:
        return "stated only by secondary sources"
    return "inferred from a published formula"


def what_if_fee_hint(role: RoleDescription | None) -> str:
    """The hint under the what-if page's fee box, with the role's own fee when it has one."""
    hint = "What you would be paid for one session, like 25.00."
    version = role.published_version if role else None
    if version and version.fee_pence and version.fee_unit:
        hint += f" This role pays {format_pence(version.fee_pence)} {PER_UNIT[version.fee_unit]}."
    return hint
