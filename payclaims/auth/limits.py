"""The rate limit every account change shares: password, email address and bank details."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import current_app
from flask_login import current_user

from payclaims.extensions import limiter

P = ParamSpec("P")
R = TypeVar("R")


def signed_in_person() -> str:
    """Rate-limit key: the signed-in person (a password is checked on every change)."""
    return f"user:{current_user.get_id()}"


def _account_changes() -> str:
    # Read when a request comes, so each app's configuration applies.
    return str(current_app.config["RATELIMIT_ACCOUNT_CHANGES"])


def limit_account_changes(view: Callable[P, R]) -> Callable[P, R]:
    """Limit a view's POSTs to RATELIMIT_ACCOUNT_CHANGES for each signed-in person."""
    return limiter.limit(_account_changes, methods=["POST"], key_func=signed_in_person)(view)
