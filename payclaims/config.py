"""Configuration: code defaults, then ``instance/config.py``, then environment, then tests.

Every key here is documented in README.md. Environment variables are the key name with the
``PAYCLAIMS_`` prefix (for example ``PAYCLAIMS_SECRET_KEY``); values are parsed as JSON when
they can be, so ``PAYCLAIMS_SIGN_IN_LOCKOUT_THRESHOLD=5`` is a number.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from payclaims.crypto import BankKeyError, build_fernet, keys_from_config

DEFAULT_SECRET_KEY = "dev-only-not-secret"
ENVIRONMENTS = ("production", "development")


def defaults(instance_path: str) -> dict[str, Any]:
    """Return the code defaults, with paths inside the instance folder."""
    instance = Path(instance_path)
    return {
        # Where this installation is running: "production" (the safe default) or "development".
        "ENVIRONMENT": "production",
        "SECRET_KEY": DEFAULT_SECRET_KEY,
        "ORGANISATION_NAME": "Your organisation",
        # The postal address on remittance slips, one line per line of text.
        "ORGANISATION_ADDRESS": "",
        "SERVICE_NAME": "Payclaims",
        "SUPPORT_EMAIL": "involvement@example.org",
        # The service's own address, used for every link in an email (never the request's
        # Host header, which a client controls). Required in production.
        "BASE_URL": "http://127.0.0.1:5000",
        # Database: SQLite in the instance folder unless configured.
        "DATABASE_URL": f"sqlite:///{instance / 'payclaims.sqlite'}",
        "SQLITE_BUSY_TIMEOUT_MS": 5000,
        # Email through Flask-Mailman: "file" writes to MAIL_FILE_PATH, "smtp" sends.
        "MAIL_BACKEND": "file",
        "MAIL_FILE_PATH": str(instance / "outbox"),
        "MAIL_SERVER": "localhost",
        "MAIL_PORT": 25,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_DEFAULT_SENDER": "payclaims@example.org",
        # Seconds to wait for the mail server: a hung server must not hold a request for ever.
        "MAIL_TIMEOUT": 10,
        # Rate limits (Flask-Limiter strings); storage is memory unless Redis is configured.
        "RATELIMIT_STORAGE_URL": "memory://",
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_SIGN_IN": "10 per minute",
        "RATELIMIT_SIGN_UP": "5 per minute;30 per hour",
        "RATELIMIT_PASSWORD_RESET": "5 per minute;20 per hour",
        "RATELIMIT_PASSWORD_RESET_PER_EMAIL": "3 per 15 minutes",
        "RATELIMIT_ACCOUNT_CHANGES": "5 per minute;20 per hour",
        # Lock an account after this many failed sign-ins in a row, for this many minutes.
        "SIGN_IN_LOCKOUT_THRESHOLD": 5,
        "SIGN_IN_LOCKOUT_MINUTES": 15,
        # Passwords.
        "PASSWORD_MIN_LENGTH": 12,
        "PASSWORD_MAX_LENGTH": 128,
        "PASSWORD_HASH_METHOD": "scrypt",
        # Emailed links.
        "EMAIL_VERIFICATION_HOURS": 72,
        "PASSWORD_RESET_MINUTES": 60,
        "INVITATION_DAYS": 7,
        # Sessions: signed out after this long idle, and after this long in all.
        "SESSION_IDLE_MINUTES": 120,
        "SESSION_MAX_HOURS": 12,
        # "Keep me signed in" is off unless this is more than 0.
        "REMEMBER_ME_DAYS": 0,
        # None means: Secure cookies and HSTS in production, not in development or tests.
        "SESSION_COOKIE_SECURE": None,
        # How many proxies in front of the app set X-Forwarded-For/-Proto (0: none).
        "PROXY_COUNT": 0,
        # Largest request body accepted, in bytes (receipts are up to 10 MB).
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        # Fernet keys that encrypt bank details, newest first (older ones only decrypt, until
        # `flask rotate-bank-keys` has re-encrypted everything). Required in production.
        "BANK_DETAILS_KEYS": [],
        # Claims whose earliest session is older than this are accepted but flagged for finance.
        "CLAIM_TIME_LIMIT_MONTHS": 3,
        # Confirming a run with at least REMITTANCE_POOL_FROM payees renders their slips in a
        # pool of this many processes (one per core); smaller runs render in the request.
        "REMITTANCE_RENDER_WORKERS": 2,
        "REMITTANCE_POOL_FROM": 50,
        # When finance pays: "weekly" on PAYMENT_RUN_DAY (1 Monday ... 7 Sunday) or "monthly"
        # on that day of the month (the last day in shorter months). Benefits estimates shown
        # before a claim is sent assume it is paid on the next such date.
        "PAYMENT_RUN_FREQUENCY": "weekly",
        "PAYMENT_RUN_DAY": 5,
    }


def load(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill ``app.config`` from the layers, then derive the settings extensions read."""
    app.config.from_mapping(defaults(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("FLASK")
    app.config.from_prefixed_env("PAYCLAIMS")
    if test_config is not None:
        app.config.update(test_config)
    _derive(app)
    _refuse_unsafe(app)


def _derive(app: Flask) -> None:
    """Translate payclaims keys into the keys Flask and its extensions read."""
    config = app.config
    config["SQLALCHEMY_DATABASE_URI"] = config["DATABASE_URL"]
    config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    config["RATELIMIT_STORAGE_URI"] = config["RATELIMIT_STORAGE_URL"]
    config["RATELIMIT_HEADERS_ENABLED"] = True
    config["WTF_CSRF_TIME_LIMIT"] = 4 * 3600
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if config["SESSION_COOKIE_SECURE"] is None:
        config["SESSION_COOKIE_SECURE"] = (
            config["ENVIRONMENT"] == "production" and not app.testing and not app.debug
        )
    config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=config["SESSION_MAX_HOURS"])
    config["REMEMBER_COOKIE_DURATION"] = timedelta(days=max(config["REMEMBER_ME_DAYS"], 1))
    config["REMEMBER_COOKIE_HTTPONLY"] = True
    config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    config["REMEMBER_COOKIE_SECURE"] = config["SESSION_COOKIE_SECURE"]


def _refuse_unsafe(app: Flask) -> None:
    """Stop at start-up rather than run a real service with settings that are unsafe."""
    if app.config["ENVIRONMENT"] not in ENVIRONMENTS:
        raise RuntimeError(
            f"ENVIRONMENT must be one of {', '.join(ENVIRONMENTS)}, "
            f"not {app.config['ENVIRONMENT']!r}."
        )
    if app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY and not (app.debug or app.testing):
        raise RuntimeError(
            "Refusing to start with the default secret key. Set PAYCLAIMS_SECRET_KEY or "
            "SECRET_KEY in instance/config.py (for example: python -c "
            "'import secrets; print(secrets.token_hex(32))')."
        )
    _refuse_bad_payment_run(app)
    in_service = not (app.debug or app.testing)
    if (
        in_service
        and app.config["ENVIRONMENT"] == "production"
        and not str(app.config["BASE_URL"]).startswith("https://")
    ):
        raise RuntimeError(
            "Set BASE_URL (PAYCLAIMS_BASE_URL) to the https:// address people use to reach "
            "payclaims: emailed links are built from it."
        )
    _refuse_bad_bank_keys(app, required=in_service and app.config["ENVIRONMENT"] == "production")


def _refuse_bad_payment_run(app: Flask) -> None:
    """A payment run day that makes sense for its frequency."""
    frequency, day = app.config["PAYMENT_RUN_FREQUENCY"], app.config["PAYMENT_RUN_DAY"]
    highest = {"weekly": 7, "monthly": 31}.get(frequency)
    if highest is None:
        raise RuntimeError(f"PAYMENT_RUN_FREQUENCY must be weekly or monthly, not {frequency!r}.")
    if not isinstance(day, int) or isinstance(day, bool) or not 1 <= day <= highest:
        raise RuntimeError(
            f"PAYMENT_RUN_DAY must be a number from 1 to {highest} for {frequency} runs, "
            f"not {day!r}."
        )


def _refuse_bad_bank_keys(app: Flask, *, required: bool) -> None:
    """Refuse malformed bank details keys anywhere, and no key at all in production."""
    try:
        keys = keys_from_config(app.config["BANK_DETAILS_KEYS"])
        if keys or required:
            build_fernet(keys)
    except BankKeyError as error:
        raise RuntimeError(f"Refusing to start: {error}") from error
