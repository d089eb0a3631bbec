"""Role descriptions: writing, publishing and browsing involvement opportunities."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("roles", __name__)
