"""Forms for a person's bank details."""

from __future__ import annotations

from collections.abc import Callable

from flask_wtf import FlaskForm
from wtforms import Field, PasswordField, StringField
from wtforms.validators import DataRequired, StopValidation

from payclaims.forms import strip_text
from payclaims.people.services import (
    account_number_problem,
    name_on_account_problem,
    roll_number_problem,
    sort_code_problem,
)


def checked_by(problem: Callable[[str], str | None]) -> Callable[[FlaskForm, Field], None]:
    """A WTForms validator from one of the services' format checks, so messages match."""

    def validate(form: FlaskForm, field: Field) -> None:
        message = problem(field.data or "")
        if message:
            raise StopValidation(message)

    return validate


class BankDetailsForm(FlaskForm):
    """Add or change the account a person is paid into, re-entering their password."""

    name_on_account = StringField(
        "Name on the account",
        filters=[strip_text],
        validators=[checked_by(name_on_account_problem)],
    )
    sort_code = StringField(
        "Sort code", filters=[strip_text], validators=[checked_by(sort_code_problem)]
    )
    account_number = StringField(
        "Account number", filters=[strip_text], validators=[checked_by(account_number_problem)]
    )
    roll_number = StringField(
        "Building society roll number (if you have one)",
        filters=[strip_text],
        validators=[checked_by(roll_number_problem)],
    )
    password = PasswordField("Your password", validators=[DataRequired("Enter your password")])
