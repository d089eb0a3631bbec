"""Forms for cost centres."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from payclaims.forms import PenceField, SelectChoice, strip_text

CODE_FORMAT = r"^[A-Za-z0-9][A-Za-z0-9-]*$"
CODE_FORMAT_MESSAGE = (
    "Code must only include letters, numbers and hyphens, and start with a letter or number"
)


class CostCentreForm(FlaskForm):
    """Add a cost centre."""

    code = StringField(
        "Code",
        filters=[strip_text],
        validators=[
            DataRequired("Enter the cost centre code"),
            Length(max=20, message="Code must be 20 characters or fewer"),
            Regexp(CODE_FORMAT, message=CODE_FORMAT_MESSAGE),
        ],
    )
    name = StringField(
        "Name",
        filters=[strip_text],
        validators=[
            DataRequired("Enter the cost centre name"),
            Length(max=200, message="Name must be 200 characters or fewer"),
        ],
    )


class CostCentreEditForm(CostCentreForm):
    """Change a cost centre, or stop using it."""

    is_active = RadioField(
        "Can new roles use it?",
        choices=[
            SelectChoice("yes", "Yes"),
            SelectChoice("no", "No, it is closed"),
        ],
        validators=[DataRequired("Select whether new roles can use it")],
    )


class UserCheckboxes(SelectMultipleField):
    """People chosen with checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ApproversForm(FlaskForm):
    """Who approves a cost centre's claims, and how much one approver may approve alone."""

    approvers = UserCheckboxes("Finance approvers", validate_choice=False)
    limit = PenceField("Single-approver limit")
