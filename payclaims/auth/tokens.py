"""Signed, expiring links sent by email (verification, reset, invitation, email change)."""

from __future__ import annotations

import enum
import hashlib
from datetime import timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from payclaims.errors import InvalidLink


class LinkPurpose(enum.StrEnum):
    """What a link is for; a link made for one purpose is refused for any other."""

    VERIFY_EMAIL = "verify-email"
    RESET_PASSWORD = "reset-password"
    INVITATION = "invitation"
    CHANGE_EMAIL = "change-email"


def fingerprint(value: str | None) -> str:
    """A short digest of a secret or state, so a link dies when that state changes."""
    return hashlib.sha256((value or "").encode()).hexdigest()[:16]


def _serializer(secret_key: str, purpose: LinkPurpose) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=f"payclaims.{purpose.value}")


def make_token(secret_key: str, purpose: LinkPurpose, payload: dict[str, Any]) -> str:
    """Sign ``payload`` into a URL-safe token for ``purpose``."""
    return _serializer(secret_key, purpose).dumps(payload)


def read_token(
    secret_key: str, purpose: LinkPurpose, token: str, max_age: timedelta
) -> dict[str, Any]:
    """Return the payload of a valid token, or raise ``InvalidLink`` saying what is wrong."""
    try:
        payload = _serializer(secret_key, purpose).loads(
            token, max_age=int(max_age.total_seconds())
        )
    except SignatureExpired as exc:
        raise InvalidLink("This link has expired.") from exc
    except BadSignature as exc:
        raise InvalidLink("This link is not valid.") from exc
    if not isinstance(payload, dict):
        raise InvalidLink("This link is not valid.")
    return payload
