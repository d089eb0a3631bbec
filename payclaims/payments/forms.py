"""Forms for payment runs: a new run, claims to add to a draft run, and the one-button
actions on a draft run."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectMultipleField
from wtforms.validators import DataRequired

from payclaims.forms import DateField


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
