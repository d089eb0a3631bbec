"""Calm error pages for 400, 403, 404, 413, 429 and 500."""

from __future__ import annotations

import secrets

from flask import Flask, current_app, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from payclaims.extensions import db

PAGES = {
    400: ("Sorry, there is a problem with that request", "errors/400.html"),
    403: ("You cannot see this page", "errors/403.html"),
    404: ("Page not found", "errors/404.html"),
    405: ("Sorry, there is a problem with that request", "errors/400.html"),
    413: ("The file or form you sent is too big", "errors/413.html"),
    429: ("Too many attempts", "errors/429.html"),
}


def _http_error(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    title, template = PAGES.get(code, PAGES[400])
    return render_template(template, title=title, error=error), code


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    return render_template("errors/400.html", title=PAGES[400][0], csrf=True, error=error), 400


def _server_error(error: Exception) -> tuple[str, int]:
    reference = secrets.token_hex(4).upper()
    original = getattr(error, "original_exception", None) or error
    current_app.logger.error(
        "unhandled error, reference %s",
        reference,
        exc_info=(type(original), original, original.__traceback__),
    )
    db.session.rollback()
    return render_template(
        "errors/500.html", title="Sorry, there is a problem with the service", reference=reference
    ), 500


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(CSRFError, _csrf_error)
    for code in PAGES:
        app.register_error_handler(code, _http_error)
    app.register_error_handler(500, _server_error)
