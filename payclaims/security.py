"""Security baseline applied to every request: headers, CSP nonce and session time limits."""

from __future__ import annotations

import secrets

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from payclaims.database import utc_now

HSTS_SECONDS = 365 * 24 * 3600


def csp_nonce() -> str:
    """The nonce for this response's one inline script (the NHS.UK template's)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    nonce: str = g.csp_nonce
    return nonce


def content_security_policy(nonce: str) -> str:
    """A policy with no 'unsafe-inline': scripts from this site or carrying the nonce."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def set_security_headers(response: Response) -> Response:
    """``after_request`` hook: headers every response carries."""
    headers = response.headers
    # A view may set a stricter policy of its own (file downloads use "sandbox").
    headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(self), geolocation=(), microphone=()"
    if request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
    if request.is_secure:
        headers["Strict-Transport-Security"] = f"max-age={HSTS_SECONDS}; includeSubDomains"
    return response


def enforce_session_limits() -> Response | None:
    """``before_request`` hook: sign out sessions that were idle or open too long."""
    if not current_user.is_authenticated or request.endpoint == "static":
        return None
    now = utc_now().timestamp()
    config = current_app.config
    signed_in_at = session.get("signed_in_at")
    seen_at = session.get("seen_at", signed_in_at)
    too_old = signed_in_at is None or now - signed_in_at > config["SESSION_MAX_HOURS"] * 3600
    idle = seen_at is None or now - seen_at > config["SESSION_IDLE_MINUTES"] * 60
    if too_old or idle:
        logout_user()
        session.clear()
        flash("You were signed out to keep your account safe. Please sign in again.", "info")
        come_back = request.full_path.rstrip("?") if request.method in ("GET", "HEAD") else None
        return redirect(url_for("auth.sign_in", next=come_back))
    session["seen_at"] = now
    return None


def init_app(app: Flask) -> None:
    """Attach the hooks to ``app``."""
    app.before_request(enforce_session_limits)
    app.after_request(set_security_headers)
