"""Training courses and records."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("training", __name__)
