"""Forms for benefit rule figures: money in pounds, the taper as a percentage, mileage in pence."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from payclaims.benefits.engine.types import Confidence
from payclaims.benefits.rules.catalogue import RuleKey, RulePeriod, RuleUnit
from payclaims.forms import DateField, PenceField, SelectChoice, strip_text

PERCENT_FORMAT = re.compile(r"\d{1,3}(?:\.\d{1,2})?")
PENCE_FORMAT = re.compile(r"\d{1,4}")
MAX_PENCE_A_MILE = 1000
CONFIDENCE_CHOICES = [
    SelectChoice(
        Confidence.S.value,
        "Stated by a primary source, such as gov.uk, legislation or HMRC (S)",
    ),
    SelectChoice(Confidence.S2.value, "Stated only by secondary sources (S2)"),
    SelectChoice(Confidence.I.value, "Inferred from a published formula (I)"),
]
PRIMARY_SOURCE_EXAMPLE = "gov.uk: Benefit and pension rates 2026 to 2027"


def value_field_name(rule_key: RuleKey) -> str:
    """Which of the form's value fields the key is typed into."""
    if rule_key.unit is RuleUnit.BASIS_POINTS:
        return "percent"
    if rule_key.period is RulePeriod.PER_MILE:
        return "pence_a_mile"
    return "amount"


class FigureForm(FlaskForm):
    """The value of a figure (one of three fields, by the key's unit), its source and confidence.

    Only the field for the key's unit is shown and read (see ``read_value``).
    """

    amount = PenceField("Amount")
    percent = StringField("Percentage", filters=[strip_text])
    pence_a_mile = StringField("Pence a mile", filters=[strip_text])
    source = TextAreaField(
        "Source",
        filters=[strip_text],
        validators=[
            DataRequired("Enter where the figure comes from"),
            Length(max=1000, message="Source must be 1000 characters or fewer"),
        ],
    )
    confidence = RadioField(
        "How sure is the figure?",
        choices=CONFIDENCE_CHOICES,
        validators=[DataRequired("Select how sure the figure is")],
    )

    def read_value(self, rule_key: RuleKey) -> int | None:
        """The typed value as stored (pence, basis points, pence a mile), or None with an error
        next to the field."""
        name = value_field_name(rule_key)
        if name == "amount":
            if self.amount.data is None and not self.amount.errors:
                self.amount.errors = [*self.amount.errors, "Enter the amount in pounds"]
            return self.amount.data if not self.amount.errors else None
        if name == "percent":
            text = (self.percent.data or "").removesuffix("%").strip()
            try:
                if not PERCENT_FORMAT.fullmatch(text):
                    raise InvalidOperation
                percent = Decimal(text)
            except InvalidOperation:
                self.percent.errors = [
                    *self.percent.errors,
                    "Enter a percentage from 0 to 100, like 55",
                ]
                return None
            if percent > 100:
                self.percent.errors = [*self.percent.errors, "The percentage must be 100 or less"]
                return None
            return int(percent * 100)
        text = self.pence_a_mile.data or ""
        if not PENCE_FORMAT.fullmatch(text) or int(text) > MAX_PENCE_A_MILE:
            self.pence_a_mile.errors = [
                *self.pence_a_mile.errors,
                f"Enter whole pence a mile from 0 to {MAX_PENCE_A_MILE}, like 45",
            ]
            return None
        return int(text)


class NewFigureForm(FigureForm):
    """A new figure for a key from a date."""

    effective_from = DateField(
        "Date it applies from", validators=[DataRequired("Enter the date it applies from")]
    )
    note = TextAreaField(
        "Note (optional)",
        filters=[strip_text],
        validators=[Length(max=1000, message="Note must be 1000 characters or fewer")],
    )


class CorrectFigureForm(FigureForm):
    """A corrected value for a figure already recorded; the reason is required."""

    note = TextAreaField(
        "Why is it being corrected?",
        filters=[strip_text],
        validators=[
            DataRequired("Enter why the figure is being corrected"),
            Length(max=1000, message="Note must be 1000 characters or fewer"),
        ],
    )


class ConfirmFigureForm(FlaskForm):
    """Confirming a figure: the primary source that states it is required."""

    source = TextAreaField(
        "Primary source",
        filters=[strip_text],
        validators=[
            DataRequired("Enter the primary source that states the figure"),
            Length(max=1000, message="Source must be 1000 characters or fewer"),
        ],
    )
