"""Benefits information for people deciding whether to take part."""

from __future__ import annotations

from flask import Blueprint, abort
from flask.typing import ResponseReturnValue

from payclaims.auth.access import signed_in

bp = Blueprint("benefits", __name__)


# The roles engineer replaces this body with the note (the benefits issue adds the what-if).
@bp.route("/benefits")
@signed_in
def note() -> ResponseReturnValue:
    """How payments might affect benefits."""
    abort(404)
