"""Migrations make exactly the models' schema, undo cleanly, and form a single line of history.

Each test gets an EMPTY database: a SQLite file, or on PostgreSQL (PAYCLAIMS_TEST_POSTGRES_URL)
a database created for the test and dropped afterwards.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy.engine import make_url

from payclaims import PROJECT_ROOT, create_app
from payclaims.extensions import db
from tests.settings import POSTGRES_URL_VARIABLE, base_test_config

APP_TABLES = frozenset(db.metadata.tables)


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """The URL of a database with nothing in it, for this test only."""
    server_url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not server_url:
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    name = f"payclaims_mig_{uuid.uuid4().hex[:12]}"
    assert re.fullmatch(r"[a-z0-9_]+", name)
    admin_engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin_engine.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin_engine.connect() as connection:
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        admin_engine.dispose()


@pytest.fixture
def migration_app(empty_database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app on the empty database, inside an application context."""
    app = create_app(base_test_config(empty_database_url), instance_path=str(tmp_path / "instance"))
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def schema_differences() -> list[Any]:
    """What autogenerate would change to make the database match the models."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, db.metadata))


def table_names() -> set[str]:
    with db.engine.connect() as connection:
        return set(sa.inspect(connection).get_table_names())


def append_only_guards() -> set[str]:
    """The triggers (and on PostgreSQL the function) that keep audit_events append-only."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            triggers = connection.exec_driver_sql(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
            ).scalars()
            functions = connection.exec_driver_sql(
                "SELECT proname FROM pg_proc WHERE proname = 'payclaims_refuse_change'"
            ).scalars()
            return {*triggers, *functions}
        return set(
            connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            ).scalars()
        )


def script_directory() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return ScriptDirectory.from_config(config)


@pytest.mark.usefixtures("migration_app")
def test_upgrade_on_empty_database_matches_models_exactly() -> None:
    assert table_names() == set()

    upgrade()

    assert schema_differences() == []
    assert table_names() >= APP_TABLES
    with db.engine.connect() as connection:
        version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    assert version == script_directory().get_current_head()


@pytest.mark.usefixtures("migration_app")
def test_upgrade_on_empty_database_makes_audit_events_append_only() -> None:
    upgrade()

    assert append_only_guards()
    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO audit_events (occurred_at, action, detail) "
            "VALUES (CURRENT_TIMESTAMP, 'signed_out', '')"
        )
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM audit_events")


@pytest.mark.usefixtures("migration_app")
def test_downgrade_to_base_then_upgrade_to_head_round_trips() -> None:
    upgrade()

    downgrade(revision="base")

    assert table_names() & APP_TABLES == set()
    assert table_names() <= {"alembic_version"}
    assert append_only_guards() == set()

    upgrade(revision="head")

    assert schema_differences() == []
    assert append_only_guards()


def test_migration_history_has_a_single_head() -> None:
    scripts = script_directory()

    heads = scripts.get_heads()

    assert len(heads) == 1, f"several migration heads, merge them: {heads}"
    assert len(scripts.get_bases()) == 1
    # Every revision is on the one line from the base to the head.
    revisions = list(scripts.walk_revisions("base", "heads"))
    assert len(revisions) == len(list(scripts.walk_revisions()))
