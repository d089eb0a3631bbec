"""Benefits information for people deciding whether to take part."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("benefits", __name__)
