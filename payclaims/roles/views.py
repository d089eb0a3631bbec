"""Role descriptions: writing, publishing and browsing involvement opportunities."""

from __future__ import annotations

from flask import Blueprint, abort
from flask.typing import ResponseReturnValue

from payclaims.auth.access import roles_required
from payclaims.auth.models import FINANCE_ROLES, Role

bp = Blueprint("roles", __name__)

STAFF = (Role.COORDINATOR, Role.ADMIN, *FINANCE_ROLES)


# Endpoints other areas link to; the roles engineer replaces these bodies.
@bp.route("/roles/<int:role_id>")
@roles_required(*STAFF)
def detail(role_id: int) -> ResponseReturnValue:
    """A role, for staff."""
    abort(404)


@bp.route("/opportunities")
@roles_required(Role.EXPERT)
def opportunities() -> ResponseReturnValue:
    """Open roles for experts by experience."""
    abort(404)


@bp.route("/opportunities/<int:role_id>")
@roles_required(Role.EXPERT)
def opportunity(role_id: int) -> ResponseReturnValue:
    """One open role, as experts by experience see it."""
    abort(404)
