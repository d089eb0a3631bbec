"""Flask commands: ``create-user``, ``seed-demo``, ``rotate-bank-keys``, ``send-digests`` and
``benefits-check`` (payclaims/benefits/cli.py)."""

from __future__ import annotations

import click
from email_validator import EmailNotValidError, validate_email
from flask import Flask
from flask.cli import with_appcontext

from payclaims.audit.models import AuditAction
from payclaims.audit.services import record_event
from payclaims.auth.models import Role, User, UserRole
from payclaims.auth.services import (
    check_new_password,
    find_user_by_email,
    normalise_email,
    set_password,
)
from payclaims.benefits.cli import benefits_check_command
from payclaims.crypto import BankKeyError, UnreadableToken
from payclaims.database import utc_now
from payclaims.demo import DEMO_PEOPLE, DemoRefused, seed_demo
from payclaims.errors import DomainError
from payclaims.extensions import db
from payclaims.people.keys import rotate_keys

ROLE_NAMES = [role.value for role in Role]
NAME_MAX_LENGTH = 200


@click.command("create-user")
@click.option("--email", required=True, help="Their email address (used to sign in).")
@click.option("--name", required=True, help="Their full name.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(ROLE_NAMES),
    help="A role; give --role more than once for several.",
)
@click.password_option(help="Their password (asked for if not given).")
@with_appcontext
def create_user_command(email: str, name: str, roles: tuple[str, ...], password: str) -> None:
    """Create a person who can sign in straight away (for example the first admin)."""
    name = name.strip()
    if not name or len(name) > NAME_MAX_LENGTH:
        raise click.ClickException(f"Give a name of 1 to {NAME_MAX_LENGTH} characters.")
    try:
        email = normalise_email(
            validate_email(email.strip(), check_deliverability=False).normalized
        )
    except EmailNotValidError as error:
        raise click.ClickException(f"That is not a valid email address: {error}") from error
    if find_user_by_email(email) is not None:
        raise click.ClickException(f"There is already an account for {email}.")
    try:
        check_new_password(password, name=name, email=email)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    user = User(name=name, email=email, email_verified_at=utc_now())
    set_password(user, password)
    user.role_grants.extend(UserRole(role=Role(value)) for value in dict.fromkeys(roles))
    db.session.add(user)
    db.session.flush()
    record_event(
        AuditAction.ACCOUNT_CREATED,
        actor=None,
        subject=user,
        detail=f"create-user with roles: {', '.join(r.label for r in user.sorted_roles())}",
    )
    db.session.commit()
    click.echo(
        f"Created {email} with roles: {', '.join(role.label for role in user.sorted_roles())}."
    )


@click.command("seed-demo")
@click.option("--password", required=True, help="The password every demo sign-in gets.")
@with_appcontext
def seed_demo_command(password: str) -> None:
    """Load demo data (refused in production)."""
    try:
        created = seed_demo(password)
    except DemoRefused as error:
        raise click.ClickException(str(error)) from error
    if created:
        click.echo(f"Loaded demo data: {len(created)} people.")
    else:
        click.echo("Demo data was already loaded.")
    click.echo("Demo sign-ins:")
    for person in DEMO_PEOPLE:
        roles = ", ".join(role.label for role in person.roles)
        click.echo(f"  {person.email:<38} {roles}")


@click.command("rotate-bank-keys")
@with_appcontext
def rotate_bank_keys_command() -> None:
    """Re-encrypt all stored bank details with the newest key in BANK_DETAILS_KEYS."""
    try:
        count = rotate_keys()
    except (BankKeyError, UnreadableToken) as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"Re-encrypted {count} bank details {'record' if count == 1 else 'records'} with the "
        "newest key. Older keys can now be removed from BANK_DETAILS_KEYS."
    )


@click.command("send-digests")
@with_appcontext
def send_digests_command() -> None:
    """Email each finance approver the claims waiting for them (run daily, from cron)."""
    from payclaims.approvals.digests import send_digests
    from payclaims.dates import uk_today

    count = send_digests(uk_today())
    click.echo(f"Sent {count} {'digest' if count == 1 else 'digests'}.")


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(create_user_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(rotate_bank_keys_command)
    app.cli.add_command(benefits_check_command)
    app.cli.add_command(send_digests_command)
