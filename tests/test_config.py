"""Configuration layers (defaults, instance file, environment, test config) and start-up refusals.

These tests build apps directly with ``create_app`` on a SQLite URL that is never connected
to, so they need no migrated database and run the same with or without PostgreSQL.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, session

from payclaims import PROJECT_ROOT, create_app
from payclaims.auth.access import public
from payclaims.config import DEFAULT_SECRET_KEY, defaults
from payclaims.extensions import db
from tests.settings import POSTGRES_URL_VARIABLE, TEST_BANK_DETAILS_KEY

REAL_SECRET = "a-real-secret-for-this-test"

BuildApp = Callable[..., Flask]


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    """An empty instance folder for this test."""
    folder = tmp_path / "instance"
    folder.mkdir()
    return folder


@pytest.fixture
def build(instance: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BuildApp]:
    """Build apps in ``instance`` with no stray PAYCLAIMS_* or FLASK_DEBUG settings around."""
    for name in list(os.environ):
        if name.startswith("PAYCLAIMS_") and name != POSTGRES_URL_VARIABLE:
            monkeypatch.delenv(name)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    apps: list[Flask] = []

    def build_app(config: dict[str, Any] | None = None) -> Flask:
        app = create_app(config, instance_path=str(instance))
        apps.append(app)
        return app

    yield build_app
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def write_instance_config(instance: Path, text: str) -> None:
    (instance / "config.py").write_text(text, encoding="utf-8")


# --- Layers ---------------------------------------------------------------------------------


def test_load_with_nothing_set_uses_code_defaults(build: BuildApp, instance: Path) -> None:
    app = build({"TESTING": True})

    expected = defaults(str(instance))
    # Derived at load time from None ("decide by environment"); False in tests.
    assert app.config["SESSION_COOKIE_SECURE"] is False
    for key, value in expected.items():
        if key == "SESSION_COOKIE_SECURE":
            continue
        assert app.config[key] == value, key
    assert app.config["ORGANISATION_NAME"] == "Your organisation"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'payclaims.sqlite'}"
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_load_with_instance_file_overrides_defaults(build: BuildApp, instance: Path) -> None:
    write_instance_config(
        instance,
        'ORGANISATION_NAME = "Northfield Trust"\n'
        "SIGN_IN_LOCKOUT_THRESHOLD = 9\n"
        'DATABASE_URL = "sqlite:///from-the-file.sqlite"\n',
    )

    app = build({"TESTING": True})

    assert app.config["ORGANISATION_NAME"] == "Northfield Trust"
    assert app.config["SIGN_IN_LOCKOUT_THRESHOLD"] == 9
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///from-the-file.sqlite"
    # Keys the file does not set keep their defaults.
    assert app.config["SERVICE_NAME"] == "Payclaims"


def test_load_with_environment_overrides_instance_file(
    build: BuildApp, instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_instance_config(
        instance,
        'ORGANISATION_NAME = "Northfield Trust"\n'
        "SIGN_IN_LOCKOUT_THRESHOLD = 9\n"
        'SUPPORT_EMAIL = "file@example.org"\n',
    )
    monkeypatch.setenv("PAYCLAIMS_ORGANISATION_NAME", "Riverside Recovery College")
    monkeypatch.setenv("PAYCLAIMS_SIGN_IN_LOCKOUT_THRESHOLD", "7")

    app = build({"TESTING": True})

    assert app.config["ORGANISATION_NAME"] == "Riverside Recovery College"
    assert app.config["SIGN_IN_LOCKOUT_THRESHOLD"] == 7
    assert isinstance(app.config["SIGN_IN_LOCKOUT_THRESHOLD"], int)
    assert app.config["SUPPORT_EMAIL"] == "file@example.org"


def test_load_with_environment_urls_sets_extension_keys(
    build: BuildApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database_url = f"sqlite:///{tmp_path / 'from-env.sqlite'}"
    # Redis storage connects lazily, so nothing listens on this port and nothing needs to.
    storage_url = "redis://127.0.0.1:1/0"
    monkeypatch.setenv("PAYCLAIMS_DATABASE_URL", database_url)
    monkeypatch.setenv("PAYCLAIMS_RATELIMIT_STORAGE_URL", storage_url)

    app = build({"TESTING": True})

    assert app.config["DATABASE_URL"] == database_url
    assert app.config["SQLALCHEMY_DATABASE_URI"] == database_url
    assert app.config["RATELIMIT_STORAGE_URL"] == storage_url
    assert app.config["RATELIMIT_STORAGE_URI"] == storage_url
    with app.app_context():
        assert db.engine.url.render_as_string() == database_url


def test_load_with_environment_secret_key_starts_in_production(
    build: BuildApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAYCLAIMS_SECRET_KEY", REAL_SECRET)
    monkeypatch.setenv("PAYCLAIMS_BASE_URL", "https://payclaims.example.org")
    monkeypatch.setenv("PAYCLAIMS_BANK_DETAILS_KEYS", f'["{TEST_BANK_DETAILS_KEY}"]')

    app = build({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"})

    assert app.config["SECRET_KEY"] == REAL_SECRET
    assert app.config["BANK_DETAILS_KEYS"] == [TEST_BANK_DETAILS_KEY]
    assert app.config["BASE_URL"] == "https://payclaims.example.org"
    assert not app.testing


def test_production_without_https_base_url_refuses_to_start(
    build: BuildApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAYCLAIMS_SECRET_KEY", REAL_SECRET)
    monkeypatch.setenv("PAYCLAIMS_BASE_URL", "http://payclaims.example.org")

    with pytest.raises(RuntimeError, match="BASE_URL"):
        build({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"})


def test_flask_prefixed_environment_variables_are_read(
    build: BuildApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASK_SUPPORT_EMAIL", "help@example.org")

    app = build({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"})

    assert app.config["SUPPORT_EMAIL"] == "help@example.org"


def test_load_with_test_config_overrides_environment_and_file(
    build: BuildApp, instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_instance_config(
        instance, 'ORGANISATION_NAME = "Northfield Trust"\nSIGN_IN_LOCKOUT_THRESHOLD = 9\n'
    )
    monkeypatch.setenv("PAYCLAIMS_ORGANISATION_NAME", "Riverside Recovery College")
    monkeypatch.setenv("PAYCLAIMS_SIGN_IN_LOCKOUT_THRESHOLD", "7")
    monkeypatch.setenv("PAYCLAIMS_DATABASE_URL", "sqlite:///from-env.sqlite")

    app = build(
        {
            "TESTING": True,
            "ORGANISATION_NAME": "Test Org",
            "SIGN_IN_LOCKOUT_THRESHOLD": 3,
            "DATABASE_URL": "sqlite:///from-test-config.sqlite",
        }
    )

    assert app.config["ORGANISATION_NAME"] == "Test Org"
    assert app.config["SIGN_IN_LOCKOUT_THRESHOLD"] == 3
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///from-test-config.sqlite"


# --- Refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize("environment", ["production", "development"])
def test_create_app_with_default_secret_key_outside_testing_refuses_to_start(
    build: BuildApp, tmp_path: Path, environment: str
) -> None:
    with pytest.raises(RuntimeError, match="secret key"):
        build(
            {
                "TESTING": False,
                "ENVIRONMENT": environment,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
            }
        )


def test_create_app_with_default_secret_key_from_instance_file_refuses_to_start(
    build: BuildApp, instance: Path, tmp_path: Path
) -> None:
    write_instance_config(instance, f'SECRET_KEY = "{DEFAULT_SECRET_KEY}"\n')

    with pytest.raises(RuntimeError, match="secret key"):
        build({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"})


def test_create_app_with_default_secret_key_in_testing_starts(
    build: BuildApp, tmp_path: Path
) -> None:
    app = build({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"})

    assert app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY


def test_create_app_with_default_secret_key_in_debug_starts(
    build: BuildApp, tmp_path: Path
) -> None:
    app = build(
        {
            "TESTING": False,
            "DEBUG": True,
            "ENVIRONMENT": "development",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        }
    )

    assert app.debug
    assert app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY


def test_production_without_bank_details_keys_refuses_to_start(
    build: BuildApp, tmp_path: Path
) -> None:
    with pytest.raises(RuntimeError, match="BANK_DETAILS_KEYS") as refused:
        build(
            {
                "ENVIRONMENT": "production",
                "SECRET_KEY": REAL_SECRET,
                "BASE_URL": "https://payclaims.example.org",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
            }
        )

    # The message says how to make a key.
    assert "Fernet.generate_key()" in str(refused.value)


@pytest.mark.parametrize("environment", ["production", "development"])
def test_malformed_bank_details_key_refuses_to_start_without_showing_it(
    build: BuildApp, tmp_path: Path, environment: str
) -> None:
    with pytest.raises(RuntimeError, match="key number 2") as refused:
        build(
            {
                "TESTING": True,
                "ENVIRONMENT": environment,
                "BANK_DETAILS_KEYS": [TEST_BANK_DETAILS_KEY, "not-a-fernet-key"],
                "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
            }
        )

    assert "not-a-fernet-key" not in str(refused.value)


def test_development_without_bank_details_keys_starts(build: BuildApp, tmp_path: Path) -> None:
    app = build(
        {
            "ENVIRONMENT": "development",
            "SECRET_KEY": REAL_SECRET,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        }
    )

    assert app.config["BANK_DETAILS_KEYS"] == []


@pytest.mark.parametrize("environment", ["staging", "Production", "", "test"])
def test_create_app_with_unknown_environment_refuses_to_start(
    build: BuildApp, tmp_path: Path, environment: str
) -> None:
    with pytest.raises(RuntimeError, match="ENVIRONMENT"):
        build(
            {
                "TESTING": True,
                "ENVIRONMENT": environment,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
            }
        )


# --- Cookies and sessions -------------------------------------------------------------------


def test_production_config_sets_secure_cookie_flags(build: BuildApp, tmp_path: Path) -> None:
    app = build(
        {
            "TESTING": False,
            "ENVIRONMENT": "production",
            "BASE_URL": "https://payclaims.example.org",
            "SECRET_KEY": REAL_SECRET,
            "BANK_DETAILS_KEYS": [TEST_BANK_DETAILS_KEY],
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        }
    )

    config = app.config
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["REMEMBER_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    lifetime = config["PERMANENT_SESSION_LIFETIME"]
    assert lifetime == timedelta(hours=config["SESSION_MAX_HOURS"])
    # Far below Flask's default of 31 days.
    assert timedelta(0) < lifetime <= timedelta(hours=24)


def test_production_config_sends_secure_cookie_on_a_response(
    build: BuildApp, tmp_path: Path
) -> None:
    app = build(
        {
            "TESTING": False,
            "ENVIRONMENT": "production",
            "BASE_URL": "https://payclaims.example.org",
            "SECRET_KEY": REAL_SECRET,
            "BANK_DETAILS_KEYS": [TEST_BANK_DETAILS_KEY],
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        }
    )

    @app.get("/_test_cookie")
    @public
    def set_cookie() -> str:
        session["x"] = 1
        return "ok"

    response = app.test_client().get("/_test_cookie", base_url="https://localhost")

    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


@pytest.mark.parametrize(
    "overrides",
    [
        {"TESTING": False, "ENVIRONMENT": "development", "SECRET_KEY": REAL_SECRET},
        {"TESTING": False, "DEBUG": True, "ENVIRONMENT": "development"},
        {"TESTING": True, "ENVIRONMENT": "production"},
    ],
    ids=["development", "debug", "testing"],
)
def test_non_production_config_does_not_set_secure_cookies(
    build: BuildApp, tmp_path: Path, overrides: dict[str, Any]
) -> None:
    app = build({**overrides, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"})

    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["REMEMBER_COOKIE_SECURE"] is False
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_explicit_secure_cookie_setting_overrides_environment_default(
    build: BuildApp, tmp_path: Path
) -> None:
    app = build(
        {
            "TESTING": False,
            "ENVIRONMENT": "development",
            "SECRET_KEY": REAL_SECRET,
            "SESSION_COOKIE_SECURE": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        }
    )

    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


# --- Documentation --------------------------------------------------------------------------


def test_readme_configuration_table_mentions_every_config_key(tmp_path: Path) -> None:
    """Every key in ``payclaims.config.defaults()`` has a row in README.md's configuration table.

    NOTE: README.md is written by the project lead; until it exists (with a Markdown table
    listing the settings, as ``KEY`` or ``PAYCLAIMS_KEY``) this test fails on purpose.
    """
    readme = PROJECT_ROOT / "README.md"
    if not readme.exists():
        pytest.fail("README.md does not exist yet: it must document every configuration key")
    table_rows = [
        line
        for line in readme.read_text(encoding="utf-8").splitlines()
        if line.lstrip().startswith("|")
    ]
    table = "\n".join(table_rows)

    missing = [
        key
        for key in defaults(str(tmp_path))
        if not re.search(rf"(?<![A-Z0-9_])(?:PAYCLAIMS_)?{key}(?![A-Z0-9_])", table)
    ]

    assert not missing, f"not in README.md's configuration table: {', '.join(missing)}"


def test_the_mail_server_connection_gives_up_after_mail_timeout(build: BuildApp) -> None:
    """A mail server that hangs must not hold a request (a run's confirmation, say) for ever."""
    from payclaims.extensions import mail

    app = build({"TESTING": True, "MAIL_BACKEND": "smtp"})
    with app.app_context():
        connection = mail.get_connection()

    assert connection.timeout == 10
