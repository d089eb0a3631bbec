"""Forms for a person's bank details, and for finance recording another way to pay them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, StopValidation, ValidationError

from payclaims.forms import SelectChoice, strip_text
from payclaims.people.bank_details import (
    account_number_problem,
    name_on_account_problem,
    roll_number_problem,
    sort_code_problem,
)
from payclaims.people.models import PaymentMethod
from payclaims.people.payment_methods import payment_details_problem, payment_reason_problem

METHOD_CHOICES = [SelectChoice(method.value, method.label) for method in PaymentMethod]


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


class PaymentMethodForm(FlaskForm):
    """Finance records another way to pay someone, and why."""

    # validate_method checks the answer, so that a missing one gets a plain message.
    method = SelectField("How will we pay them?", choices=METHOD_CHOICES, validate_choice=False)
    details = StringField("Details", filters=[strip_text])
    reason = TextAreaField("Why are they paid this way?", filters=[strip_text])

    def validate_method(self, field: Any) -> None:
        """One of the methods on offer."""
        if field.data not in {method.value for method in PaymentMethod}:
            raise ValidationError("Select how we will pay them")

    def validate_details(self, field: Any) -> None:
        """Short, needed for some methods, and never bank numbers."""
        method = self.method.data
        chosen = PaymentMethod(method) if method in set(PaymentMethod) else None
        message = payment_details_problem(field.data or "", chosen)
        if message:
            raise ValidationError(message)

    def validate_reason(self, field: Any) -> None:
        """A reason is needed, kept short, and never holds bank numbers."""
        message = payment_reason_problem(field.data or "")
        if message:
            raise ValidationError(message)


class EndPaymentMethodForm(FlaskForm):
    """Finance ends another payment method, saying why."""

    reason = TextAreaField("Why are they no longer paid this way?", filters=[strip_text])

    def validate_reason(self, field: Any) -> None:
        """A reason is needed, kept short, and never holds bank numbers."""
        message = payment_reason_problem(field.data or "", ending=True)
        if message:
            raise ValidationError(message)
