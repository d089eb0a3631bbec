"""Forms for signing up to a role and for the coordinator's decision."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, TextAreaField, ValidationError
from wtforms.validators import Length

from payclaims.forms import strip_text

MESSAGE_MAX = 2000


def _at_most(what: str, length: int = MESSAGE_MAX) -> Length:
    return Length(max=length, message=f"{what} must be {length:,} characters or fewer")


class SignUpForm(FlaskForm):
    """Sign up to a role, with an optional message and access needs."""

    message = TextAreaField(
        "Message to the coordinator (optional)",
        filters=[strip_text],
        validators=[_at_most("Your message")],
    )
    access_needs = TextAreaField(
        "Access needs or reasonable adjustments (optional)",
        filters=[strip_text],
        validators=[_at_most("Access needs")],
    )


class DecisionForm(FlaskForm):
    """The coordinator's decision on a sign-up. The view sets the decisions on offer."""

    # The choices depend on the sign-up's status. validate_decision checks the answer, so that
    # a missing one gets a helpful message rather than WTForms' "Not a valid choice".
    decision = SelectField("What have you decided?", validate_choice=False)
    message = TextAreaField(
        "Message to the person (optional)",
        filters=[strip_text],
        validators=[_at_most("The message")],
    )
    override_reason = TextAreaField(
        "Why are you accepting more people than there are places?",
        filters=[strip_text],
        validators=[_at_most("The reason", 1000)],
    )
    subject_to_training = BooleanField("Accept subject to training")

    def validate_decision(self, field: Any) -> None:
        """Insist on one of the decisions on offer."""
        if field.data not in {choice.value for choice in field.choices or []}:
            raise ValidationError("Select what you have decided")
