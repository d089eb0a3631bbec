"""Sign-ups to roles: the person's side and the coordinator's decisions."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("signups", __name__)
