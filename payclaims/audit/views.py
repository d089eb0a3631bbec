"""The audit trail, for admins."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import Optional

from payclaims.audit.models import AUDIT_ACTION_LABELS
from payclaims.audit.services import events_query
from payclaims.auth.access import roles_required
from payclaims.auth.models import Role
from payclaims.extensions import db
from payclaims.forms import SelectChoice

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


@bp.route("/")
@roles_required(Role.ADMIN)
def events() -> str:
    """List audit events, newest first."""
    form = AuditFilterForm(request.args)
    action = form.action.data if form.validate() else None
    page = db.paginate(events_query(action=action), per_page=EVENTS_PER_PAGE, error_out=False)
    return render_template("audit/events.html", form=form, page=page)
