"""Forms for claims: fee and expense lines, receipts, how to be paid, sending and withdrawing;
and finance's rules for each expense category.

Each form carries the claim's version as it was shown, so a change made meanwhile by someone
else is refused rather than overwritten.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length

from payclaims.benefits.profile.models import FeeChoice
from payclaims.claims.models import CapPeriod, OverCap
from payclaims.claims.rates import TENTHS, Vehicle
from payclaims.forms import DateField, PenceField, SelectChoice, strip_text

NUMBER_FORMAT = re.compile(r"\d+(?:\.\d{1,2})?|\.\d{1,2}")
MILES_FORMAT = re.compile(r"\d{1,4}(?:\.\d)?|\.\d")


def parse_number(text: str) -> Decimal:
    """'1.5' as Decimal('1.5'); refuse anything but digits with up to 2 decimals."""
    cleaned = text.strip()
    if not NUMBER_FORMAT.fullmatch(cleaned):
        raise ValueError(cleaned)
    return Decimal(cleaned)


class VersionedForm(FlaskForm):
    """A form that remembers which version of the claim the person saw."""

    version = HiddenField()

    @property
    def seen_version(self) -> int | None:
        """The version the page showed, if it sent one."""
        text = str(self.version.data or "")
        return int(text) if text.isdigit() else None


class FeeLineForm(VersionedForm):
    """A fee for one session."""

    session_on = DateField(
        "Date of the session", validators=[DataRequired("Enter the date of the session")]
    )
    description = StringField(
        "What was it?",
        filters=[strip_text],
        validators=[
            DataRequired("Say what the session was, like 'Interview panel'"),
            Length(max=500, message="Keep it to 500 characters or fewer"),
        ],
    )
    units = StringField("How long?", filters=[strip_text])
    prep_hours = StringField("Preparation time (optional)", filters=[strip_text])

    def validate_units(self, field: Any) -> None:
        """A number, like 3 or 1.5."""
        if not field.data:
            raise ValidationError("Enter how long the session was, like 3 or 1.5")
        try:
            parse_number(field.data)
        except ValueError as error:
            raise ValidationError(
                "Enter a number, like 3 or 1.5, with no more than 2 decimal places"
            ) from error

    def validate_prep_hours(self, field: Any) -> None:
        """Empty, or hours like 1 or 0.5."""
        if not field.data:
            return
        try:
            parse_number(field.data)
        except ValueError as error:
            raise ValidationError(
                "Enter the preparation time in hours, like 1 or 0.5, or leave it empty"
            ) from error

    @property
    def units_number(self) -> Decimal:
        """The units typed, as a number (after validation)."""
        return parse_number(self.units.data or "")

    @property
    def prep_hours_number(self) -> Decimal | None:
        """The preparation hours typed, if any (after validation)."""
        return parse_number(self.prep_hours.data) if self.prep_hours.data else None


FEE_CHOICES = [SelectChoice(choice.value, choice.label) for choice in FeeChoice]


class FeeChoiceForm(VersionedForm):
    """How the person wants their fee paid."""

    choice = SelectField(
        "How do you want to be paid for your time?",
        choices=FEE_CHOICES,
        validate_choice=False,
    )
    reduced_fee = PenceField("The fee you want", allow_zero=False)

    def validate_choice(self, field: Any) -> None:
        """One of the three choices."""
        if field.data not in {choice.value for choice in FeeChoice}:
            raise ValidationError("Select how you want to be paid")

    def validate_reduced_fee(self, field: Any) -> None:
        """An amount, when a reduced fee is chosen."""
        if self.choice.data == FeeChoice.REDUCED.value and field.data is None:
            raise ValidationError("Enter the fee you want, in pounds, like 20.00")


class SubmitClaimForm(VersionedForm):
    """Send the claim, with the declaration."""

    declaration = BooleanField(
        "I confirm that this claim is true, and that I have not claimed for it anywhere else"
    )
    # Asked only when a benefits panel is shown (payclaims/claims/benefits_check.py).
    benefits_read = BooleanField(
        "I have read what this payment might do to my benefits, and I want to send the claim"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Problems shown next to a line or a row of the page rather than a field.
        self.anchored_errors: dict[str, list[str]] = {}


class ClaimActionForm(VersionedForm):
    """A button that changes the claim (remove a line, withdraw)."""


VEHICLE_CHOICES = [SelectChoice(vehicle.value, vehicle.label) for vehicle in Vehicle]
PASSENGER_CHOICES = [SelectChoice(str(count), str(count)) for count in range(5)]


class ExpenseLineForm(VersionedForm):
    """An expense: a receipted amount, or a journey in the person's own vehicle."""

    category = SelectField("What kind of expense?", validate_choice=False)
    session_on = DateField(
        "Date of the expense", validators=[DataRequired("Enter the date of the expense")]
    )
    amount = PenceField("How much did you pay?", allow_zero=False)
    description = StringField(
        "What was it for? (optional)",
        filters=[strip_text],
        validators=[Length(max=500, message="Keep it to 500 characters or fewer")],
    )
    reason = StringField(
        "Why did you need a taxi?",
        filters=[strip_text],
        validators=[Length(max=500, message="Keep it to 500 characters or fewer")],
    )
    miles = StringField("How many miles?", filters=[strip_text])
    vehicle = RadioField("What did you travel in?", choices=VEHICLE_CHOICES, validate_choice=False)
    passengers = SelectField(
        "Passengers you took who are also taking part", choices=PASSENGER_CHOICES, default="0"
    )
    receipts = MultipleFileField("Receipts")

    def validate_category(self, field: Any) -> None:
        """One of the categories offered."""
        if field.data not in {choice.value for choice in field.choices or []}:
            raise ValidationError("Select what kind of expense it is")

    def validate_miles(self, field: Any) -> None:
        """Empty (not mileage), or miles with at most one decimal place."""
        if field.data and not MILES_FORMAT.fullmatch(field.data):
            raise ValidationError("Enter the miles as a number, like 12 or 12.5")

    @property
    def miles_tenths(self) -> int | None:
        """The miles typed, in tenths (after validation)."""
        if not self.miles.data:
            return None
        return int(Decimal(self.miles.data) * TENTHS)

    @property
    def chosen_vehicle(self) -> Vehicle | None:
        """The vehicle chosen, if any."""
        values = {vehicle.value for vehicle in Vehicle}
        return Vehicle(self.vehicle.data) if self.vehicle.data in values else None


class ReceiptsForm(VersionedForm):
    """Add receipt files to an expense line."""

    receipts = MultipleFileField("Photos or files of the receipt")


RECEIPT_RULE_CHOICES = [
    SelectChoice("always", "Always"),
    SelectChoice("above", "Only above an amount"),
    SelectChoice("never", "Never"),
]
CAP_PERIOD_CHOICES = [SelectChoice(period.value, period.label) for period in CapPeriod]
OVER_CAP_CHOICES = [SelectChoice(choice.value, choice.label) for choice in OverCap]


class CategoryRulesForm(FlaskForm):
    """Finance's rules for one expense category."""

    receipt_rule = RadioField(
        "When is a receipt needed?",
        choices=RECEIPT_RULE_CHOICES,
        validators=[DataRequired("Select when a receipt is needed")],
    )
    receipt_above = PenceField("Receipt needed above", allow_zero=True)
    cap = PenceField("Cap (optional)", allow_zero=False)
    cap_period = RadioField(
        "The cap applies",
        choices=CAP_PERIOD_CHOICES,
        validators=[DataRequired("Select whether the cap is per claim or per day")],
    )
    over_cap = RadioField(
        "A line over the cap is",
        choices=OVER_CAP_CHOICES,
        validators=[DataRequired("Select what happens to a line over the cap")],
    )

    def validate_receipt_above(self, field: Any) -> None:
        """An amount, when a receipt is needed only above one."""
        if self.receipt_rule.data == "above" and field.data is None:
            raise ValidationError("Enter the amount above which a receipt is needed, like 10.00")

    @property
    def receipt_above_pence(self) -> int | None:
        """The threshold: 0 for always, None for never (after validation)."""
        if self.receipt_rule.data == "never":
            return None
        if self.receipt_rule.data == "always":
            return 0
        above = self.receipt_above.data
        return int(above) if above is not None else None
