"""The audit trail, for admins."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from payclaims.audit.models import AUDIT_ACTION_LABELS
from payclaims.audit.services import OBJECT_TYPES, AuditFilters, events_query
from payclaims.auth.access import roles_required
from payclaims.auth.models import Role
from payclaims.extensions import db
from payclaims.forms import DateField, SelectChoice, strip_text

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

EVENTS_PER_PAGE = 50


class AuditFilterForm(FlaskForm):
    """Filter the audit trail (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    action = SelectField(
        "What happened",
        choices=[
            SelectChoice("", "Anything"),
            *(SelectChoice(action.value, label) for action, label in AUDIT_ACTION_LABELS.items()),
        ],
        validators=[Optional()],
    )
    person = StringField(
        "Person (name or email)",
        filters=[strip_text],
        validators=[Optional(), Length(max=200, message="Keep it to 200 characters or fewer")],
    )
    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])
    object_type = SelectField(
        "About",
        choices=[
            SelectChoice("", "Anything"),
            *(SelectChoice(value, label) for value, label in OBJECT_TYPES.items()),
        ],
        validators=[Optional()],
    )
    object_id = IntegerField(
        "Its number",
        validators=[Optional(), NumberRange(min=1, message="Enter a number, like 42")],
    )


@bp.route("/")
@roles_required(Role.ADMIN)
def events() -> str:
    """List audit events, newest first."""
    form = AuditFilterForm(request.args)
    filters = AuditFilters()
    if form.validate():
        filters = AuditFilters(
            action=form.action.data or None,
            person=form.person.data or None,
            since=form.since.data,
            until=form.until.data,
            object_type=form.object_type.data or None,
            object_id=form.object_id.data,
        )
    page = db.paginate(events_query(filters=filters), per_page=EVENTS_PER_PAGE, error_out=False)
    return render_template("audit/events.html", form=form, page=page)
