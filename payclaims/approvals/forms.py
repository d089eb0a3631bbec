"""Forms for confirming work, finance decisions, the queue's filters and delegations."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from payclaims.approvals.decisions import approve_field, note_field
from payclaims.approvals.queue import ALL_STATUSES, NO_PROFILE, WAITING
from payclaims.claims.forms import VersionedForm
from payclaims.claims.models import Claim, ClaimStatus
from payclaims.forms import DateField, PenceField, SelectChoice, strip_text

CONFIRM = "confirm"
RETURN = "return"


class VerifyForm(VersionedForm):
    """The coordinator confirms the work took place, or returns the claim with a question."""

    decision = RadioField(
        "Did this work take place as claimed?",
        choices=[
            SelectChoice(CONFIRM, "Yes, send it to finance"),
            SelectChoice(RETURN, "No, or I have a question: return it to the person"),
        ],
        validators=[DataRequired("Select whether the work took place")],
    )
    question = TextAreaField(
        "If you are returning it, what should the person tell you or change?",
        filters=[strip_text],
        validators=[Length(max=2000, message="Keep it to 2000 characters or fewer")],
    )


class ReasonForm(VersionedForm):
    """Return or reject a claim, with a reason the person reads."""

    reason = TextAreaField(
        "Reason",
        filters=[strip_text],
        validators=[Length(max=2000, message="Keep it to 2000 characters or fewer")],
    )


class ApproveForm(VersionedForm):
    """Approve a claim; ``approve_form_for`` adds an amount and a reason for each line."""

    def line_fields(self, claim: Claim) -> list[tuple[Any, Any]]:
        """Each line's (amount, reason) fields, in the claim's order."""
        return [(self[approve_field(line)], self[note_field(line)]) for line in claim.lines]


def approve_form_for(claim: Claim, **kwargs: Any) -> ApproveForm:
    """An approval form with an optional lower amount and its reason for each line."""

    class LineApproveForm(ApproveForm):
        pass

    for line in claim.lines:
        setattr(
            LineApproveForm,
            approve_field(line),
            PenceField("Amount to approve (leave empty to approve as claimed)"),
        )
        setattr(
            LineApproveForm,
            note_field(line),
            StringField(
                "Why it is reduced (the person reads this)",
                filters=[strip_text],
                validators=[Length(max=500, message="Keep it to 500 characters or fewer")],
            ),
        )
    return LineApproveForm(**kwargs)


STATUS_CHOICES = [
    SelectChoice(WAITING, "Waiting for finance"),
    SelectChoice(ALL_STATUSES, "Any status"),
    *(
        SelectChoice(status.value, status.label)
        for status in ClaimStatus
        if status not in (ClaimStatus.DRAFT, ClaimStatus.VERIFIED)
    ),
]
AGE_CHOICES = [
    SelectChoice("", "Any age"),
    SelectChoice("7", "More than a week"),
    SelectChoice("14", "More than 2 weeks"),
    SelectChoice("28", "More than 4 weeks"),
]
BENEFITS_LEVEL_CHOICES = [
    SelectChoice("", "Any"),
    SelectChoice("clear", "Clear"),
    SelectChoice("check", "Check (council help)"),
    SelectChoice("near", "Near a limit"),
    SelectChoice("reduces", "Reduces a benefit"),
    SelectChoice("stops", "Stops a payment"),
    SelectChoice(NO_PROFILE, "No benefits profile"),
]


class QueueFilterForm(FlaskForm):
    """Filter the finance queue (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField("Status", choices=STATUS_CHOICES, default=WAITING, validators=[Optional()])
    cost_centre = SelectField("Cost centre", validate_choice=False, validators=[Optional()])
    age = SelectField("Sent", choices=AGE_CHOICES, validators=[Optional()])
    min_amount = PenceField("Amount from")
    max_amount = PenceField("Amount up to")
    benefits_level = SelectField(
        "Benefits check", choices=BENEFITS_LEVEL_CHOICES, validators=[Optional()]
    )


class DelegationForm(FlaskForm):
    """Name a finance approver to decide my claims while I am away."""

    delegate = SelectField("Who decides your claims while you are away?", validate_choice=False)
    starts_on = DateField("First day away", validators=[DataRequired("Enter the first day")])
    ends_on = DateField("Last day away", validators=[DataRequired("Enter the last day")])
