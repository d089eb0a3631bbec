"""Cost centres, managed by finance admins."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("costcentres", __name__)
