"""Flask commands: ``create-user`` and ``seed-demo``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from payclaims.auth.models import Role, User
from payclaims.auth.passwords import password_matches
from payclaims.demo import DEMO_DOMAIN, DEMO_PEOPLE
from payclaims.extensions import db
from tests.settings import FAST_HASH, PASSWORD

NEW_PASSWORD = "lantern meadow copper finch"
# The five sign-ins the foundation promises, and the people added so roles have sign-ups.
DEMO_SIGN_INS = {
    f"{local}@{DEMO_DOMAIN}"
    for local in ("expert", "coordinator", "finance", "finance-admin", "admin")
}
DEMO_EMAILS = DEMO_SIGN_INS | {
    f"{local}@{DEMO_DOMAIN}"
    for local in ("jordan", "amira", "chris", "bea", "coordinator2", "finance2")
}


def invoke(app: Flask, *args: str, input: str | None = None) -> Any:
    """Run a command as ``flask --app payclaims ...`` does."""
    return app.test_cli_runner().invoke(args=list(args), input=input)


def create_user(app: Flask, *args: str, password: str = NEW_PASSWORD) -> Any:
    """Run ``create-user`` typing ``password`` at the prompt and again to confirm it."""
    return invoke(app, "create-user", *args, input=f"{password}\n{password}\n")


def all_users(app: Flask) -> list[User]:
    with app.app_context():
        users = list(db.session.scalars(sa.select(User).order_by(User.email)))
        db.session.expunge_all()
    return users


# --- create-user ----------------------------------------------------------------------------


def test_create_user_with_two_roles_creates_verified_active_user(app: Flask) -> None:
    result = create_user(
        app,
        "--email",
        "  Jo.Bloggs@Example.ORG ",
        "--name",
        "Jo Bloggs",
        "--role",
        "coordinator",
        "--role",
        "finance_approver",
    )

    assert result.exit_code == 0, result.output
    assert "Created jo.bloggs@example.org" in result.output
    assert "Coordinator" in result.output
    assert "Finance approver" in result.output
    assert NEW_PASSWORD not in result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        assert user is not None
        assert user.email == "jo.bloggs@example.org"
        assert user.name == "Jo Bloggs"
        assert user.is_email_verified
        assert user.is_active
        assert user.roles == {Role.COORDINATOR, Role.FINANCE_APPROVER}
        assert password_matches(user.password_hash, NEW_PASSWORD, method=FAST_HASH)
        assert not password_matches(user.password_hash, "something else entirely", method=FAST_HASH)
        assert user.password_hash is not None
        assert user.password_hash.startswith(app.config["PASSWORD_HASH_METHOD"].split(":")[0])


def test_create_user_with_repeated_role_grants_it_once(app: Flask) -> None:
    result = create_user(
        app, "--email", "a@example.org", "--name", "A Person", "--role", "admin", "--role", "admin"
    )

    assert result.exit_code == 0, result.output
    (user,) = all_users(app)
    assert [grant.role for grant in user.role_grants] == [Role.ADMIN]


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "12 characters or more"),
        ("password1234", "too common"),
        ("qwertyuiopasdfgh", "too easy to guess"),
        ("x" * 129, "128 characters or fewer"),
    ],
    ids=["too-short", "common", "guessable", "too-long"],
)
def test_create_user_with_weak_password_is_refused(app: Flask, password: str, message: str) -> None:
    result = create_user(
        app,
        "--email",
        "weak@example.org",
        "--name",
        "Wendy Weak",
        "--role",
        "admin",
        password=password,
    )

    assert result.exit_code != 0
    assert message in result.output
    assert "Error:" in result.output
    assert all_users(app) == []


def test_create_user_with_password_of_own_name_is_refused(app: Flask) -> None:
    result = create_user(
        app,
        "--email",
        "margaret.thornbury@example.org",
        "--name",
        "Margaret Thornbury",
        "--role",
        "admin",
        password="MargaretThornbury",
    )

    assert result.exit_code != 0
    assert "Try 3 or 4 random words together" in result.output
    assert all_users(app) == []


def test_create_user_with_too_long_password_is_refused_before_hashing(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_hashing(*args: object, **kwargs: object) -> str:
        raise AssertionError("a password that is too long was hashed")

    monkeypatch.setattr("payclaims.auth.services.hash_password", no_hashing)

    result = create_user(
        app,
        "--email",
        "long@example.org",
        "--name",
        "L Long",
        "--role",
        "admin",
        password="x" * 5000,
    )

    assert result.exit_code != 0
    assert "128 characters or fewer" in result.output
    assert all_users(app) == []


def test_create_user_with_mismatched_confirmation_creates_nobody(app: Flask) -> None:
    result = invoke(
        app,
        *("create-user", "--email", "m@example.org", "--name", "M M", "--role", "admin"),
        input=f"{NEW_PASSWORD}\nsomething different here\n",
    )

    assert result.exit_code != 0
    assert "do not match" in result.output
    assert all_users(app) == []


def test_create_user_with_duplicate_email_is_refused(
    app: Flask, make_user: Callable[..., User]
) -> None:
    make_user(email="taken@example.org", name="First Person")

    result = create_user(
        app, "--email", "Taken@Example.org", "--name", "Second Person", "--role", "admin"
    )

    assert result.exit_code != 0
    assert "There is already an account for taken@example.org" in result.output
    users = all_users(app)
    assert [user.name for user in users] == ["First Person"]


def test_create_user_with_unknown_role_is_refused(app: Flask) -> None:
    result = create_user(app, "--email", "r@example.org", "--name", "R Role", "--role", "superuser")

    assert result.exit_code == 2
    assert "Invalid value for '--role'" in result.output
    assert "superuser" in result.output
    assert all_users(app) == []


def test_create_user_without_role_is_refused(app: Flask) -> None:
    result = create_user(app, "--email", "n@example.org", "--name", "No Role")

    assert result.exit_code == 2
    assert "--role" in result.output
    assert all_users(app) == []


# --- seed-demo ------------------------------------------------------------------------------


def test_seed_demo_creates_the_five_demo_sign_ins_with_their_roles(app: Flask) -> None:
    result = invoke(app, "seed-demo", "--password", PASSWORD)

    assert result.exit_code == 0, result.output
    assert f"{len(DEMO_EMAILS)} people" in result.output
    for email in DEMO_EMAILS:
        assert email in result.output
    users = all_users(app)
    assert {user.email for user in users} == DEMO_EMAILS
    roles = {user.email: user.roles for user in users if user.email in DEMO_SIGN_INS}
    assert roles == {
        f"expert@{DEMO_DOMAIN}": {Role.EXPERT},
        f"coordinator@{DEMO_DOMAIN}": {Role.COORDINATOR},
        f"finance@{DEMO_DOMAIN}": {Role.FINANCE_APPROVER},
        f"finance-admin@{DEMO_DOMAIN}": {Role.FINANCE_ADMIN},
        f"admin@{DEMO_DOMAIN}": {Role.ADMIN},
    }
    assert {person.email for person in DEMO_PEOPLE} == DEMO_EMAILS
    for user in users:
        assert user.is_active
        assert user.is_email_verified
        assert password_matches(user.password_hash, PASSWORD, method=FAST_HASH)


def test_seed_demo_run_twice_creates_nobody_new(app: Flask) -> None:
    first = invoke(app, "seed-demo", "--password", PASSWORD)
    assert first.exit_code == 0, first.output
    ids_before = {user.email: user.id for user in all_users(app)}

    second = invoke(app, "seed-demo", "--password", PASSWORD)

    assert second.exit_code == 0, second.output
    assert "already loaded" in second.output
    for email in DEMO_EMAILS:
        assert email in second.output
    assert {user.email: user.id for user in all_users(app)} == ids_before


def test_seed_demo_run_again_with_new_password_resets_demo_passwords(app: Flask) -> None:
    assert invoke(app, "seed-demo", "--password", PASSWORD).exit_code == 0

    result = invoke(app, "seed-demo", "--password", NEW_PASSWORD)

    assert result.exit_code == 0, result.output
    users = all_users(app)
    assert len(users) == len(DEMO_EMAILS)
    assert all(
        password_matches(user.password_hash, NEW_PASSWORD, method=FAST_HASH) for user in users
    )


def test_seed_demo_in_production_is_refused(make_app: Callable[..., Flask]) -> None:
    app = make_app(
        TESTING=False,
        ENVIRONMENT="production",
        SECRET_KEY="a-real-secret-for-this-test",
        BASE_URL="https://payclaims.example.org",
    )

    result = invoke(app, "seed-demo", "--password", PASSWORD)

    assert result.exit_code != 0
    assert "production" in result.output
    assert all_users(app) == []


def test_seed_demo_in_development_is_allowed(make_app: Callable[..., Flask]) -> None:
    app = make_app(
        TESTING=False, ENVIRONMENT="development", SECRET_KEY="a-real-secret-for-this-test"
    )

    result = invoke(app, "seed-demo", "--password", PASSWORD)

    assert result.exit_code == 0, result.output
    assert {user.email for user in all_users(app)} == DEMO_EMAILS


def test_commands_run_from_test_cli_runner_without_a_pushed_context(
    app: Flask, runner: Any
) -> None:
    result = runner.invoke(args=["seed-demo", "--password", PASSWORD])

    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("email", "name"),
    [("not-an-email", "Valid Name"), ("ok@example.org", "   "), ("ok@example.org", "N" * 201)],
    ids=["invalid-email", "blank-name", "name-too-long"],
)
def test_create_user_with_invalid_email_or_name_is_refused(
    app: Flask, email: str, name: str
) -> None:
    result = create_user(app, "--email", email, "--name", name, "--role", "admin")

    assert result.exit_code != 0
    assert "Error:" in result.output
    assert all_users(app) == []
