"""Sign-ups to roles: the person's side and the coordinator's decisions."""

from __future__ import annotations

from flask import Blueprint, abort
from flask.typing import ResponseReturnValue

from payclaims.auth.access import roles_required
from payclaims.auth.models import Role

bp = Blueprint("signups", __name__)


# Endpoints other areas link to; the sign-ups engineer replaces these bodies.
@bp.route("/opportunities/<int:role_id>/sign-up", methods=["GET", "POST"])
@roles_required(Role.EXPERT)
def new(role_id: int) -> ResponseReturnValue:
    """Sign up to a role."""
    abort(404)


@bp.route("/my-roles")
@roles_required(Role.EXPERT)
def my_roles() -> ResponseReturnValue:
    """A person's sign-ups and accepted roles."""
    abort(404)


@bp.route("/roles/<int:role_id>/sign-ups")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def for_role(role_id: int) -> ResponseReturnValue:
    """The sign-ups to one role, for its coordinator."""
    abort(404)
