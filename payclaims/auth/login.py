"""Flask-Login wiring: how a session finds its person."""

from __future__ import annotations

from flask import Flask, session
from flask_login import user_loaded_from_cookie
from sqlalchemy import select

from payclaims.auth.models import User
from payclaims.database import utc_now
from payclaims.extensions import db, login_manager


def load_user(session_token: str) -> User | None:
    """Find the active person whose current session token is in the session."""
    return db.session.scalar(
        select(User).where(User.session_token == session_token, User.is_active.is_(True))
    )


def _start_remembered_session(_app: Flask, user: User) -> None:
    now = utc_now().timestamp()
    session["signed_in_at"] = now
    session["seen_at"] = now


def init_app(app: Flask) -> None:
    """Configure sign-in redirects and messages."""
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to see this page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    user_loaded_from_cookie.connect(_start_remembered_session, app)
