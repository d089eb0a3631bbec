"""The ``benefits`` blueprint and the benefits information page for people deciding whether to
take part. The rule pages (``rules/views.py``) and the profile pages (``profile/views.py``) add
their routes to this blueprint."""

from __future__ import annotations

from flask import Blueprint, render_template

from payclaims.auth.access import signed_in

bp = Blueprint("benefits", __name__)


@bp.route("/benefits")
@signed_in
def note() -> str:
    """How payments might affect benefits, in plain English (the what-if comes later)."""
    return render_template("benefits/note.html")
