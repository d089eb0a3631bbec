"""Forms of the person's side of benefits: the profile and the what-if page."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from payclaims.benefits.engine.types import (
    PENSION_CREDIT_DISREGARDS,
    Benefit,
    Disregard,
    WeekStart,
)
from payclaims.benefits.profile.models import DISREGARD_LABELS, FeeChoice
from payclaims.benefits.profile.services import ProfileAnswers
from payclaims.forms import DateField, PenceField, SelectChoice, strip_text

YES_NO = [SelectChoice("yes", "Yes"), SelectChoice("no", "No")]
BENEFIT_CHOICES = [SelectChoice(benefit.value, benefit.label) for benefit in Benefit]
PENSION_CREDIT_CHOICES = [
    SelectChoice(choice.value, DISREGARD_LABELS[choice]) for choice in PENSION_CREDIT_DISREGARDS
]
HOUSING_BENEFIT_CHOICES = [
    SelectChoice(choice.value, DISREGARD_LABELS[choice]) for choice in Disregard
]
WEEKDAY_CHOICES = [SelectChoice(day.value, day.value.capitalize()) for day in WeekStart]
FEE_CHOICES = [SelectChoice(choice.value, choice.label) for choice in FeeChoice]


class BenefitCheckboxes(SelectMultipleField):
    """Benefits chosen with checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def _day_number(text: str | None) -> int | None:
    cleaned = (text or "").strip()
    return int(cleaned) if cleaned.isdigit() and len(cleaned) <= 2 else None


def yes_no_text(value: bool | None) -> str | None:
    """A stored yes/no as the radio value."""
    return None if value is None else ("yes" if value else "no")


class ProfileFieldsForm(FlaskForm):
    """The profile's questions; shared by the profile page and the what-if page."""

    benefits = BenefitCheckboxes("Which benefits do you get?", choices=BENEFIT_CHOICES)
    uc_start_day = StringField(
        "On which day of the month does your assessment period start?", filters=[strip_text]
    )
    uc_child_or_lcw = RadioField(
        "Are you responsible for a child, or has the DWP found you have limited capability "
        "for work?",
        choices=YES_NO,
        validate_choice=False,
    )
    uc_housing_costs = RadioField(
        "Does your Universal Credit include money for your rent or housing costs?",
        choices=YES_NO,
        validate_choice=False,
    )
    esa_supported = RadioField(
        "Is your work supported permitted work?", choices=YES_NO, validate_choice=False
    )
    carers_earnings = PenceField("Other weekly earnings, after tax", allow_zero=True)
    pension_credit = RadioField(
        "Which describes you for Pension Credit?",
        choices=PENSION_CREDIT_CHOICES,
        validate_choice=False,
    )
    housing_benefit = RadioField(
        "Which describes you for Housing Benefit?",
        choices=HOUSING_BENEFIT_CHOICES,
        validate_choice=False,
    )
    week_start = SelectField(
        "Which day does your benefit week start?", choices=WEEKDAY_CHOICES, default="monday"
    )

    def validate_benefits(self, field: Any) -> None:
        """Only benefits we know."""
        known = {benefit.value for benefit in Benefit}
        if any(value not in known for value in field.data or []):
            raise ValidationError("Select the benefits you get from the list")

    def validate_uc_start_day(self, field: Any) -> None:
        """Empty, or a day from 1 to 31."""
        if field.data and not 1 <= (_day_number(field.data) or 0) <= 31:
            raise ValidationError("Enter the day as a number from 1 to 31, like 14")

    def answers(self, default_fee_choice: FeeChoice = FeeChoice.FULL) -> ProfileAnswers:
        """The answers as the service takes them (after validation)."""
        return ProfileAnswers(
            benefits=frozenset(Benefit(value) for value in self.benefits.data or []),
            uc_assessment_period_start_day=_day_number(self.uc_start_day.data),
            uc_child_or_lcw=_yes_no(self.uc_child_or_lcw.data),
            uc_housing_costs=_yes_no(self.uc_housing_costs.data),
            esa_supported_permitted_work=_yes_no(self.esa_supported.data) is True,
            carers_other_weekly_earnings_pence=self.carers_earnings.data or 0,
            pension_credit_disregard=_disregard(self.pension_credit.data),
            housing_benefit_disregard=_disregard(self.housing_benefit.data),
            week_start=WeekStart(self.week_start.data)
            if self.week_start.data in {day.value for day in WeekStart}
            else WeekStart.MONDAY,
            default_fee_choice=default_fee_choice,
        )


def _disregard(value: str | None) -> Disregard | None:
    return Disregard(value) if value in {choice.value for choice in Disregard} else None


class BenefitProfileForm(ProfileFieldsForm):
    """The whole profile, with how the person usually wants to be paid."""

    default_fee_choice = RadioField(
        "How do you usually want to be paid for your time?",
        choices=FEE_CHOICES,
        default=FeeChoice.FULL.value,
        validate_choice=False,
    )

    def validate_default_fee_choice(self, field: Any) -> None:
        """One of the three choices."""
        if field.data not in {choice.value for choice in FeeChoice}:
            raise ValidationError("Select how you usually want to be paid")

    def profile_answers(self) -> ProfileAnswers:
        """Every answer, the fee choice included."""
        return self.answers(FeeChoice(self.default_fee_choice.data))


class WhatIfForm(ProfileFieldsForm):
    """Planned sessions, read from the query string: nothing is saved."""

    class Meta:
        csrf = False

    sessions = StringField("How many sessions?", filters=[strip_text])
    fee = PenceField("Fee for each session", allow_zero=True)
    hours = StringField("Hours for each session (optional)", filters=[strip_text])
    expenses = PenceField("Expenses with receipts for each session (optional)", allow_zero=True)
    unreceipted = PenceField("Payments without receipts for each session (optional)")
    paid_on = DateField("When would you be paid?")

    def validate_sessions(self, field: Any) -> None:
        """A whole number from 1 to 31."""
        if not field.data:
            raise ValidationError("Enter how many sessions, like 2")
        if not field.data.isdigit() or not 1 <= int(field.data) <= 31:
            raise ValidationError("Enter a whole number of sessions from 1 to 31")

    def validate_fee(self, field: Any) -> None:
        """An amount (it may be £0)."""
        if field.data is None:
            raise ValidationError("Enter the fee for each session, like 25.00")

    def validate_hours(self, field: Any) -> None:
        """Empty, or hours like 3 or 1.5, at most 24."""
        if not field.data:
            return
        try:
            hours = float(field.data)
        except ValueError as error:
            raise ValidationError("Enter the hours as a number, like 3 or 1.5") from error
        if not 0 < hours <= 24:
            raise ValidationError("Enter the hours as a number from 0.5 to 24")
