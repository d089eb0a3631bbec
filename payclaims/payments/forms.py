"""Forms for payment runs: a new run, claims to add to a draft run, and the one-button
actions on a draft run; and the dates of a person's payments statement (and reading them)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectMultipleField, ValidationError
from wtforms.validators import DataRequired

from payclaims.dates import uk_today
from payclaims.forms import DateField
from payclaims.payments.statements import tax_year_dates


class NewRunForm(FlaskForm):
    """The payment date, and which payable claims go in the run."""

    payment_on = DateField(
        "Payment date", validators=[DataRequired("Enter the date the payments will be made")]
    )
    claim_ids = SelectMultipleField(
        "Claims to pay",
        coerce=int,
        validators=[DataRequired("Choose at least one approved claim to pay")],
    )


class RunActionForm(FlaskForm):
    """A button on a draft run, carrying the run's version as the page showed it."""

    version = HiddenField()

    @property
    def seen_version(self) -> int | None:
        """The version the page showed, if it sent one."""
        text = str(self.version.data or "")
        return int(text) if text.isdigit() else None


class ConfirmRunForm(RunActionForm):
    """Confirm a draft run; the tick is asked for only when claims' benefits levels got worse
    since the people sent them (confirming checks it then)."""

    benefits_seen = BooleanField("I have seen the benefits changes")


class AddClaimsForm(RunActionForm):
    """Claims to add to a draft run: those ticked, or (``everything``) all that can be paid.

    The ticked ids are not checked against the page's list: the service says, in words, why a
    claim can no longer be added (put in another run a moment ago, say)."""

    claim_ids = SelectMultipleField("Claims to add", coerce=int, validate_choice=False)
    everything = HiddenField()

    @property
    def adds_everything(self) -> bool:
        """Whether the button pressed adds every claim that can be paid."""
        return self.everything.data == "all"


class StatementForm(FlaskForm):
    """The dates a payments statement covers (a GET form: it changes nothing)."""

    class Meta:
        csrf = False

    start_on = DateField("From")
    end_on = DateField("To")

    def validate_end_on(self, field: Any) -> None:
        """Not before the start, and at most two years after it."""
        start, end = self.start_on.data, field.data
        if start is not None and end is not None:
            if end < start:
                raise ValidationError("The end date must be on or after the start date")
            if (end - start).days > 731:
                raise ValidationError("Choose a range of 2 years or less")


def statement_range(form: StatementForm) -> tuple[date, date] | None:
    """The range asked for, the current tax year if none; None when the form has problems."""
    if request.args and not form.validate():
        return None
    default_start, default_end = tax_year_dates(uk_today())
    return form.start_on.data or default_start, form.end_on.data or default_end
