"""Forms for managing staff accounts."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from payclaims.auth.forms import EMAIL_FORMAT
from payclaims.auth.models import Role
from payclaims.forms import SelectChoice, strip_text

ROLE_CHOICES = [SelectChoice(role.value, role.label) for role in Role]


class RoleCheckboxes(SelectMultipleField):
    """A set of roles chosen with checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class StaffInviteForm(FlaskForm):
    """Create a staff account and send an invitation."""

    name = StringField(
        "Full name",
        filters=[strip_text],
        validators=[
            DataRequired("Enter their name"),
            Length(max=200, message="Name must be 200 characters or fewer"),
        ],
    )
    email = EmailField(
        "Email address",
        filters=[strip_text],
        validators=[
            DataRequired("Enter their email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(EMAIL_FORMAT),
        ],
    )
    roles = RoleCheckboxes(
        "Roles", choices=ROLE_CHOICES, validators=[DataRequired("Select at least one role")]
    )


class RolesForm(FlaskForm):
    """Change a person's roles."""

    roles = RoleCheckboxes(
        "Roles", choices=ROLE_CHOICES, validators=[DataRequired("Select at least one role")]
    )


class PeopleFilterForm(FlaskForm):
    """Search and filter the list of people (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField("Name or email", filters=[strip_text], validators=[Optional(), Length(max=254)])
    role = SelectField(
        "Role", choices=[SelectChoice("", "Any role"), *ROLE_CHOICES], validators=[Optional()]
    )
    status = SelectField(
        "Status",
        choices=[
            SelectChoice("", "Any status"),
            SelectChoice("active", "Active"),
            SelectChoice("invited", "Invited, not yet signed in"),
            SelectChoice("deactivated", "Deactivated"),
        ],
        validators=[Optional()],
    )
