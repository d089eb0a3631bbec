"""Cost centres, managed by finance admins."""

from __future__ import annotations

from flask import Blueprint, abort
from flask.typing import ResponseReturnValue

from payclaims.auth.access import roles_required
from payclaims.auth.models import FINANCE_ROLES

bp = Blueprint("costcentres", __name__, url_prefix="/finance/cost-centres")


# The cost centres engineer replaces this body.
@bp.route("/")
@roles_required(*FINANCE_ROLES)
def index() -> ResponseReturnValue:
    """The list of cost centres."""
    abort(404)
