"""Fixtures shared by every test: an app on a migrated database, clients, people, email.

The schema is made by the migrations, once per test session (per xdist worker); each test
then starts from empty tables. SQLite is the default; set PAYCLAIMS_TEST_POSTGRES_URL (a
server URL such as postgresql+psycopg://postgres@127.0.0.1:5432/postgres) to run the suite
on PostgreSQL: the session creates its own database there and drops it at the end.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_mailman import EmailMessage
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import selectinload

from payclaims import create_app
from payclaims.auth.models import Role, User, UserRole
from payclaims.auth.passwords import hash_password
from payclaims.benefits.rules.store import restore_seed_rules
from payclaims.costcentres.models import CostCentre
from payclaims.database import utc_now
from payclaims.dates import add_months
from payclaims.extensions import db
from payclaims.roles.models import (
    FeeUnit,
    InvolvementLevel,
    LocationType,
    RoleDescription,
    RoleStatus,
    RoleVersion,
    SignUp,
    SignUpStatus,
)
from payclaims.training.models import TrainingCourse, TrainingRecord

# Scenario fixtures that more than one test module shares (see each module's docstring).
pytest_plugins = ["tests.approvals_fixtures", "tests.claims_fixtures"]

POSTGRES_URL_VARIABLE = "PAYCLAIMS_TEST_POSTGRES_URL"
FAST_HASH = "pbkdf2:sha256:1000"
PASSWORD = "kettle river purple socks"
# A fixed key for tests only (bank details are encrypted with it); never used anywhere else.
TEST_BANK_DETAILS_KEY = "-NrB2XCmncW4XwW0tLlTO-CVuTE_jops7m-ksaGtX3s="
# Hashing is slow on purpose; hash the test password once for every test.
PASSWORD_HASH = hash_password(PASSWORD, FAST_HASH)


# Tables whose triggers refuse UPDATE and DELETE (migrations 0001 and 0004).
APPEND_ONLY_TABLES = ("audit_events", "claim_events")


def base_test_config(database_url: str) -> dict[str, Any]:
    """Settings every test app uses; tests override single keys."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": database_url,
        "BASE_URL": "http://localhost",
        "WTF_CSRF_ENABLED": False,
        "MAIL_BACKEND": "locmem",
        "RATELIMIT_ENABLED": False,
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "ORGANISATION_NAME": "Riverside Recovery College",
        "BANK_DETAILS_KEYS": [TEST_BANK_DETAILS_KEY],
    }


@dataclass
class TestDatabase:
    """Where the migrated schema lives for this session, and how to give each test a clean one."""

    __test__ = False  # not a test class, though its name starts with Test

    url: str
    dialect: str
    template: Path | None = None

    def url_for_test(self, tmp_path: Path) -> str:
        """A database for one test: a copy of the migrated file (SQLite) or the shared one."""
        if self.template is None:
            return self.url
        target = tmp_path / "payclaims.sqlite"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"

    def clean(self, app: Flask) -> None:
        """Empty every table after a test, restart every sequence at its start value, then
        re-seed the benefit rules (PostgreSQL; SQLite tests get a fresh copy of the migrated
        file).

        DELETE, not TRUNCATE, where it can: a test leaves a handful of rows, and TRUNCATE's
        fixed cost per table (new files on disk) made cleaning ~20 times slower here (~0.5 s
        against ~30 ms a test). The append-only tables refuse DELETE (a trigger), so they
        alone are truncated.
        """
        if self.template is not None:
            return
        with app.app_context(), db.engine.begin() as connection:
            append_only = ", ".join(APPEND_ONLY_TABLES)
            connection.exec_driver_sql(f"TRUNCATE {append_only} RESTART IDENTITY CASCADE")
            for table in reversed(db.metadata.sorted_tables):  # children before parents
                if table.name not in APPEND_ONLY_TABLES:
                    connection.execute(table.delete())
            connection.exec_driver_sql(
                "SELECT setval(format('%%I.%%I', schemaname, sequencename)::regclass, "
                "start_value, false) FROM pg_sequences WHERE schemaname = current_schema()"
            )
            # The benefit rule figures are reference data the migration seeds: put them back.
            restore_seed_rules(connection)


def _migrate(url: str, instance: Path) -> None:
    from flask_migrate import upgrade

    app = create_app(base_test_config(url), instance_path=str(instance))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def test_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    """Create and migrate this session's database; drop it at the end (PostgreSQL)."""
    instance = tmp_path_factory.mktemp("instance")
    server_url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not server_url:
        template = tmp_path_factory.mktemp("template") / "payclaims.sqlite"
        url = f"sqlite:///{template}"
        _migrate(url, instance)
        yield TestDatabase(url=url, dialect="sqlite", template=template)
        return
    name = f"payclaims_test_{uuid.uuid4().hex[:12]}"
    assert re.fullmatch(r"[a-z0-9_]+", name)
    admin_engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
        # A throwaway database: commits need not wait for the disk (nothing else changes).
        connection.exec_driver_sql(f"ALTER DATABASE {name} SET synchronous_commit = off")
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        _migrate(url, instance)
        yield TestDatabase(url=url, dialect="postgresql")
    finally:
        with admin_engine.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin_engine.dispose()


@pytest.fixture
def make_app(test_database: TestDatabase, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build apps on this test's clean database, with optional config overrides."""
    url = test_database.url_for_test(tmp_path)
    apps: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        config = {**base_test_config(url), **overrides}
        app = create_app(config, instance_path=str(tmp_path / "instance"))
        apps.append(app)
        return app

    yield build
    if apps:
        test_database.clean(apps[0])
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """The app, as tests usually want it (CSRF and rate limits off, email kept in memory)."""
    return make_app()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[None]:
    """An application context, for tests that call services and models directly."""
    with app.app_context():
        yield


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    """A CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """Create a person; keyword arguments override the defaults. Returns a detached User."""
    counter = iter(range(1, 10_000))

    def build(
        *,
        name: str | None = None,
        email: str | None = None,
        roles: tuple[Role, ...] = (Role.EXPERT,),
        verified: bool = True,
        active: bool = True,
        password: bool = True,
    ) -> User:
        number = next(counter)
        with app.app_context():
            user = User(
                name=name or f"Person {number}",
                email=email or f"person{number}@example.org",
                password_hash=PASSWORD_HASH if password else None,
                email_verified_at=utc_now() if verified else None,
                is_active=active,
            )
            user.role_grants.extend(UserRole(role=role) for role in roles)
            db.session.add(user)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
        return user

    return build


def sign_in(client: FlaskClient, user: User) -> None:
    """Put ``user`` in the client's session, as a real sign-in does (without the slow hash)."""
    now = utc_now().timestamp()
    with client.session_transaction() as session:
        session["_user_id"] = user.session_token
        session["_fresh"] = True
        session["signed_in_at"] = now
        session["seen_at"] = now
        session.permanent = True


@pytest.fixture
def outbox(app: Flask) -> Callable[[], list[EmailMessage]]:
    """Return the emails sent so far by ``app``."""

    def messages() -> list[EmailMessage]:
        return list(getattr(app.extensions["mailman"], "outbox", []))

    return messages


@dataclass
class FakeMailServer:
    """Stands in for the SMTP server behind flask-mailman's "smtp" backend (``smtplib.SMTP``
    is replaced): records each connection made and the addresses each message went to. It
    refuses the ``refused`` addresses as a real server does (the session goes on), drops the
    connection when sending to a ``drops`` address, and refuses every connection when
    ``unreachable``."""

    refused: set[str] = field(default_factory=set)
    drops: set[str] = field(default_factory=set)
    unreachable: bool = False
    connections: list[list[str]] = field(default_factory=list)
    quits: int = 0

    @property
    def delivered(self) -> list[str]:
        """Every address a message was delivered to, in order."""
        return [address for sent in self.connections for address in sent]


@pytest.fixture
def mail_server(monkeypatch: pytest.MonkeyPatch) -> FakeMailServer:
    """A fake SMTP server for apps made with ``make_app(MAIL_BACKEND="smtp")``."""
    import smtplib

    server = FakeMailServer()

    class Connection:
        def __init__(self, host: str, port: int, **_options: Any) -> None:
            if server.unreachable:
                raise ConnectionRefusedError(111, "Connection refused")
            self.sent: list[str] = []
            server.connections.append(self.sent)

        def sendmail(self, _from: str, to: list[str], _message: bytes, **_options: Any) -> dict:
            if server.drops.intersection(to):
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            refused = {address: (550, b"5.1.1 No such mailbox") for address in to}
            if server.refused.intersection(to):
                raise smtplib.SMTPRecipientsRefused(refused)
            self.sent.extend(to)
            return {}

        def quit(self) -> None:
            server.quits += 1

        def close(self) -> None:
            pass

    monkeypatch.setattr(smtplib, "SMTP", Connection)
    return server


def link_in(message: EmailMessage) -> str:
    """The path of the first link to this site in an email."""
    match = re.search(r"http://localhost(/\S+)", str(message.body))
    assert match, f"no link in: {message.body}"
    return match.group(1)


# Factories for roles, training and cost centres -------------------------------------------


def _stored(app: Flask, obj: Any) -> Any:
    """Add, commit, refresh and detach ``obj`` (with what is already loaded on it)."""
    with app.app_context():
        db.session.add(obj)
        db.session.commit()
        db.session.refresh(obj)
        db.session.expunge(obj)
    return obj


@pytest.fixture
def make_cost_centre(app: Flask) -> Callable[..., CostCentre]:
    """Create a cost centre."""
    counter = iter(range(1, 10_000))

    def build(*, code: str | None = None, name: str | None = None) -> CostCentre:
        number = next(counter)
        return _stored(
            app, CostCentre(code=code or f"CC{number:03d}", name=name or f"Cost centre {number}")
        )

    return build


@pytest.fixture
def make_course(app: Flask) -> Callable[..., TrainingCourse]:
    """Create a training course (valid 12 months unless told otherwise)."""
    counter = iter(range(1, 10_000))

    def build(
        *, name: str | None = None, validity_months: int | None = 12, description: str = ""
    ) -> TrainingCourse:
        number = next(counter)
        return _stored(
            app,
            TrainingCourse(
                name=name or f"Course {number}",
                description=description or "What the course covers.",
                validity_months=validity_months,
            ),
        )

    return build


@pytest.fixture
def make_record(app: Flask) -> Callable[..., TrainingRecord]:
    """Record that ``person`` did ``course`` (verified unless told otherwise)."""

    def build(
        person: User,
        course: TrainingCourse,
        *,
        completed_on: date | None = None,
        expires_on: date | str | None = "computed",
        verified: bool = True,
        recorded_by: User | None = None,
    ) -> TrainingRecord:
        completed = completed_on or date.today() - timedelta(days=30)
        if expires_on == "computed":
            months = course.validity_months
            expires = None if months is None else add_months(completed, months)
        else:
            assert not isinstance(expires_on, str)
            expires = expires_on
        return _stored(
            app,
            TrainingRecord(
                person_id=person.id,
                course_id=course.id,
                completed_on=completed,
                expires_on=expires,
                recorded_by_id=(recorded_by or person).id,
                is_verified=verified,
                verified_by_id=recorded_by.id if verified and recorded_by else None,
                verified_at=utc_now() if verified else None,
            ),
        )

    return build


ROLE_DEFAULTS: dict[str, Any] = {
    "title": "Interview panel member",
    "purpose": "Help choose new staff for the community mental health team.",
    "activities": "Read applications, sit on the interview panel and score answers.",
    "level": InvolvementLevel.CO_PRODUCTION,
    "location_type": LocationType.IN_PERSON,
    "venue": "Riverside House, 1 Mill Lane",
    "venue_accessibility": "Step-free entrance, accessible toilet, hearing loop.",
    "time_commitment": "One day, 14 January 2027",
    "session_minutes": 180,
    "fee_pence": 2000,
    "fee_unit": FeeUnit.HOUR,
    "expense_categories": ["public_transport", "mileage"],
    "support_offered": "A named contact, and a debrief after each session.",
    "places": 3,
}


@pytest.fixture
def make_role(
    app: Flask, make_user: Callable[..., User], make_cost_centre: Callable[..., CostCentre]
) -> Callable[..., RoleDescription]:
    """Create a role with one version: published and open unless told otherwise.

    Keyword arguments that are RoleVersion fields (title, places, fee_pence...) go on the
    version; ``courses`` are its required training.
    """

    def build(
        *,
        coordinator: User | None = None,
        cost_centre: CostCentre | None = None,
        status: RoleStatus = RoleStatus.OPEN,
        closing_on: date | None = None,
        courses: tuple[TrainingCourse, ...] = (),
        **fields: Any,
    ) -> RoleDescription:
        coordinator = coordinator or make_user(roles=(Role.COORDINATOR,))
        cost_centre = cost_centre or make_cost_centre()
        with app.app_context():
            role = RoleDescription(
                status=status,
                coordinator_id=coordinator.id,
                cost_centre_id=cost_centre.id,
                created_by_id=coordinator.id,
            )
            published = status is not RoleStatus.DRAFT
            version = RoleVersion(
                number=1,
                closing_on=closing_on or date.today() + timedelta(days=30),
                created_by_id=coordinator.id,
                published_at=utc_now() if published else None,
                published_by_id=coordinator.id if published else None,
                **{**ROLE_DEFAULTS, **fields},
            )
            version.required_courses = [db.session.merge(course) for course in courses]
            role.versions.append(version)
            db.session.add(role)
            db.session.commit()
            role_id = role.id
        return load_role(app, role_id)

    return build


def load_role(app: Flask, role_id: int) -> RoleDescription:
    """Read a role with its versions and their courses, detached for use outside the app."""
    with app.app_context():
        role = db.session.scalar(
            select(RoleDescription)
            .where(RoleDescription.id == role_id)
            .options(
                selectinload(RoleDescription.versions).selectinload(RoleVersion.required_courses)
            )
        )
        assert role is not None
        db.session.expunge_all()
    return role


@pytest.fixture
def make_sign_up(app: Flask, make_user: Callable[..., User]) -> Callable[..., SignUp]:
    """Sign ``person`` (a new expert unless given) up to ``role``'s published version."""

    def build(
        role: RoleDescription,
        *,
        person: User | None = None,
        status: SignUpStatus = SignUpStatus.INTERESTED,
        message: str = "",
        access_needs: str = "",
    ) -> SignUp:
        person = person or make_user(roles=(Role.EXPERT,))
        version = role.published_version
        assert version is not None, "sign-ups need a published role"
        return _stored(
            app,
            SignUp(
                role_id=role.id,
                version_id=version.id,
                person_id=person.id,
                status=status,
                message=message,
                access_needs=access_needs,
            ),
        )

    return build


@pytest.fixture
def give_bank_details(app: Flask) -> Callable[..., None]:
    """Give ``person`` current bank details (unconfirmed unless ``confirmed_by`` is given)."""
    from payclaims import crypto
    from payclaims.people.models import BankDetails

    def build(person: User, *, confirmed_by: User | None = None) -> None:
        with app.app_context():
            fernet = crypto.build_fernet(app.config["BANK_DETAILS_KEYS"])
            db.session.add(
                BankDetails(
                    person_id=person.id,
                    name_on_account_encrypted=crypto.encrypt(fernet, "A Person"),
                    sort_code_encrypted=crypto.encrypt(fernet, "123456"),
                    account_number_encrypted=crypto.encrypt(fernet, "12345678"),
                    created_by_id=person.id,
                    confirmed_at=utc_now() if confirmed_by else None,
                    confirmed_by_id=confirmed_by.id if confirmed_by else None,
                )
            )
            db.session.commit()

    return build


# Claims on their way through approval ----------------------------------------------------


@pytest.fixture
def make_sent_claim(app: Flask) -> Callable[..., int]:
    """Send a claim with one fee line (3 hours unless told) on ``sign_up`` as its person; with
    ``verified_by``, the coordinator has confirmed it too. Returns the claim's id.

    The person needs bank details (``give_bank_details``) for the claim to be sent.
    """
    from decimal import Decimal

    from payclaims.approvals import decisions
    from payclaims.claims import services as claims

    # Each claim is for a different day unless told, so none is refused as a duplicate.
    days = iter(range(7, 10_000))

    def build(
        sign_up: SignUp,
        *,
        units: Decimal | int = 3,
        days_ago: int | None = None,
        verified_by: User | None = None,
    ) -> int:
        days_ago = next(days) if days_ago is None else days_ago
        with app.app_context(), app.test_request_context():
            person = db.session.get(User, sign_up.person_id)
            loaded = db.session.get(SignUp, sign_up.id)
            assert person is not None and loaded is not None
            claim_id = claims.start_claim(loaded, actor=person).id
            claim = claims.load_claim(claim_id)
            assert claim is not None
            claims.add_fee_line(
                claim,
                actor=person,
                session_on=date.today() - timedelta(days=days_ago),
                description="Interview panel",
                units=Decimal(units),
            )
            claim = claims.load_claim(claim_id)
            assert claim is not None
            claims.submit_claim(claim, actor=person, declared=True, today=date.today())
            if verified_by is not None:
                claim = claims.load_claim(claim_id)
                coordinator = db.session.get(User, verified_by.id)
                assert claim is not None and coordinator is not None
                decisions.verify_claim(claim, actor=coordinator, ip_address=None)
        return claim_id

    return build


@pytest.fixture
def set_approvers(app: Flask) -> Callable[..., None]:
    """Make ``approvers`` the finance approvers of ``cost_centre`` (and set its limit)."""
    from payclaims.costcentres.models import cost_centre_approvers

    def build(cost_centre: CostCentre, *approvers: User, limit_pence: int | None = None) -> None:
        with app.app_context():
            for approver in approvers:
                db.session.execute(
                    cost_centre_approvers.insert().values(
                        cost_centre_id=cost_centre.id, user_id=approver.id
                    )
                )
            if limit_pence is not None:
                stored = db.session.get(CostCentre, cost_centre.id)
                assert stored is not None
                stored.single_approver_limit_pence = limit_pence
            db.session.commit()

    return build


@dataclass
class ApprovedClaim:
    """An approved claim made by ``make_approved_claim``: its id and whose it is."""

    id: int
    person: User


@pytest.fixture
def make_approved_claim(
    app: Flask,
    make_user: Callable[..., User],
    make_role: Callable[..., RoleDescription],
    make_sign_up: Callable[..., SignUp],
    give_bank_details: Callable[..., None],
) -> Callable[..., ApprovedClaim]:
    """A claim with fee lines (and an expense if asked), set to approved as finance would.

    ``bank`` is "confirmed" (the default), "unconfirmed" or "none". ``reduce_first_to``
    approves the first fee line for less, with ``approval_note`` as the reason. Approval
    decisions belong to the approvals area; this sets the status directly, with its event.
    """
    from payclaims.claims import services as claim_services
    from payclaims.claims.models import Claim, ClaimEvent, ClaimLine, ClaimStatus, LineKind
    from payclaims.roles.expenses import ExpenseCategory

    finance = make_user(name="Fran Finance", roles=(Role.FINANCE_APPROVER,))
    role = make_role()
    sign_ups: dict[int, SignUp] = {}

    def build(
        *,
        person: User | None = None,
        bank: str = "confirmed",
        description: str = "Interview panel",
        dates: tuple[date, ...] = (date.today() - timedelta(days=7),),
        units: str = "3",
        expense_pence: int | None = None,
        reduce_first_to: int | None = None,
        approval_note: str = "",
    ) -> ApprovedClaim:
        from decimal import Decimal

        person = person or make_user(roles=(Role.EXPERT,))
        if person.id not in sign_ups:
            sign_ups[person.id] = make_sign_up(role, person=person, status=SignUpStatus.ACCEPTED)
        sign_up = sign_ups[person.id]
        if bank != "none":
            with app.app_context():
                from payclaims.people.models import BankDetails

                has = db.session.scalar(
                    select(BankDetails.id).where(
                        BankDetails.person_id == person.id, BankDetails.superseded_at.is_(None)
                    )
                )
            if has is None:
                give_bank_details(person, confirmed_by=finance if bank == "confirmed" else None)
        with app.app_context():
            actor = db.session.get(User, person.id)
            loaded = db.session.get(SignUp, sign_up.id)
            assert actor is not None and loaded is not None
            claim_id = claim_services.start_claim(loaded, actor=actor).id
            for on in dates:
                claim = claim_services.load_claim(claim_id)
                assert claim is not None
                claim_services.add_fee_line(
                    claim, actor=actor, session_on=on, description=description, units=Decimal(units)
                )
            if expense_pence is not None:
                db.session.add(
                    ClaimLine(
                        claim_id=claim_id,
                        kind=LineKind.EXPENSE,
                        category=ExpenseCategory.PUBLIC_TRANSPORT,
                        session_on=dates[0],
                        description="Bus there and back",
                        amount_pence=expense_pence,
                        is_earnings_like=False,
                    )
                )
            claim = db.session.get(Claim, claim_id)
            assert claim is not None
            if reduce_first_to is not None:
                first = claim.fee_lines[0]
                first.approved_pence = reduce_first_to
                first.approval_note = approval_note or "Only 2 hours were booked"
            claim.status = ClaimStatus.APPROVED
            claim.version += 1
            claim.submitted_at = utc_now()
            claim.submitted_by_id = person.id
            db.session.add(
                ClaimEvent(
                    claim_id=claim_id,
                    actor_id=finance.id,
                    from_status=ClaimStatus.VERIFIED,
                    to_status=ClaimStatus.APPROVED,
                )
            )
            db.session.commit()
        return ApprovedClaim(claim_id, person)

    return build
