"""Training courses and records."""

from __future__ import annotations

from flask import Blueprint, abort
from flask.typing import ResponseReturnValue

from payclaims.auth.access import roles_required
from payclaims.auth.models import Role

bp = Blueprint("training", __name__)


# Endpoints other areas link to; the training engineer replaces these bodies.
@bp.route("/my-training")
@roles_required(Role.EXPERT)
def my_training() -> ResponseReturnValue:
    """A person's own training record."""
    abort(404)


@bp.route("/training")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def records() -> ResponseReturnValue:
    """Everyone's training records, for coordinators."""
    abort(404)
