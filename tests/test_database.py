"""Database foundations: SQLite connection settings, the append-only audit trail, UTC timestamps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import DBAPIError, StatementError

from payclaims.audit.models import AuditAction, AuditEvent
from payclaims.audit.services import record_event
from payclaims.auth.models import User
from payclaims.extensions import db

if TYPE_CHECKING:  # imported by name, pytest would try to collect the dataclass as tests
    from tests.settings import TestDatabase

UserFactory = Callable[..., User]


@pytest.fixture
def sqlite_only(test_database: TestDatabase) -> None:
    if test_database.dialect != "sqlite":
        pytest.skip("SQLite connection settings; not applicable on PostgreSQL")


# --- SQLite connection settings -------------------------------------------------------------


@pytest.mark.usefixtures("sqlite_only")
def test_sqlite_connection_has_wal_normal_sync_busy_timeout_and_foreign_keys(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(SQLITE_BUSY_TIMEOUT_MS=4321)

    with app.app_context(), db.engine.connect() as connection:
        pragma = connection.exec_driver_sql
        assert pragma("PRAGMA journal_mode").scalar() == "wal"
        assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert pragma("PRAGMA busy_timeout").scalar() == 4321
        assert pragma("PRAGMA foreign_keys").scalar() == 1


@pytest.mark.usefixtures("sqlite_only")
def test_sqlite_busy_timeout_default_matches_config(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        busy_timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()

    assert busy_timeout == app.config["SQLITE_BUSY_TIMEOUT_MS"]


@pytest.mark.usefixtures("sqlite_only")
def test_sqlite_foreign_key_violation_is_refused(app: Flask) -> None:
    with app.app_context():
        db.session.add(AuditEvent(action=AuditAction.SIGNED_OUT.value, actor_id=999_999))
        with pytest.raises(DBAPIError):
            db.session.commit()
        db.session.rollback()


# --- Append-only audit trail ----------------------------------------------------------------


def _one_event(make_user: UserFactory) -> int:
    user = make_user()
    actor = db.session.get(User, user.id)
    event = record_event(AuditAction.SIGN_IN_SUCCEEDED, actor=actor, detail="original")
    db.session.commit()
    return event.id


@pytest.mark.usefixtures("app_ctx")
def test_audit_event_insert_is_stored(make_user: UserFactory) -> None:
    event_id = _one_event(make_user)

    db.session.expire_all()
    event = db.session.get(AuditEvent, event_id)
    assert event is not None
    assert event.action == AuditAction.SIGN_IN_SUCCEEDED.value
    assert event.detail == "original"


@pytest.mark.usefixtures("app_ctx")
def test_audit_event_update_through_sql_is_refused(make_user: UserFactory) -> None:
    event_id = _one_event(make_user)

    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(sa.update(AuditEvent).values(detail="rewritten"))
    db.session.rollback()

    assert db.session.scalar(sa.select(AuditEvent.detail).where(AuditEvent.id == event_id)) == (
        "original"
    )


@pytest.mark.usefixtures("app_ctx")
def test_audit_event_delete_through_sql_is_refused(make_user: UserFactory) -> None:
    event_id = _one_event(make_user)

    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(sa.text("DELETE FROM audit_events"))
    db.session.rollback()

    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 1
    assert db.session.get(AuditEvent, event_id) is not None


@pytest.mark.usefixtures("app_ctx")
def test_audit_event_change_through_orm_is_refused(make_user: UserFactory) -> None:
    event_id = _one_event(make_user)
    event = db.session.get(AuditEvent, event_id)
    assert event is not None

    event.detail = "rewritten"
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.commit()
    db.session.rollback()

    db.session.delete(event)
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.commit()
    db.session.rollback()

    assert db.session.scalar(sa.select(AuditEvent.detail).where(AuditEvent.id == event_id)) == (
        "original"
    )


@pytest.mark.usefixtures("app_ctx")
def test_audit_event_refused_change_leaves_session_usable(make_user: UserFactory) -> None:
    _one_event(make_user)
    with pytest.raises(DBAPIError):
        db.session.execute(sa.update(AuditEvent).values(detail="rewritten"))
    db.session.rollback()

    record_event(AuditAction.SIGNED_OUT, actor=None, detail="after the refusal")
    db.session.commit()

    details = db.session.scalars(sa.select(AuditEvent.detail).order_by(AuditEvent.id)).all()
    assert details == ["original", "after the refusal"]


# --- Timestamps -----------------------------------------------------------------------------


@pytest.mark.usefixtures("app_ctx")
def test_created_at_read_back_is_timezone_aware_utc(make_user: UserFactory) -> None:
    before = datetime.now(UTC)
    user_id = make_user().id

    db.session.expire_all()
    user = db.session.get(User, user_id)
    assert user is not None
    created_at = user.created_at
    assert created_at.tzinfo is not None
    assert created_at.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=5) <= created_at <= datetime.now(UTC) + timedelta(seconds=5)
    assert user.email_verified_at is not None
    assert user.email_verified_at.utcoffset() == timedelta(0)


@pytest.mark.usefixtures("app_ctx")
def test_aware_non_utc_datetime_is_stored_as_the_same_instant_in_utc(
    make_user: UserFactory,
) -> None:
    user_id = make_user().id
    user = db.session.get(User, user_id)
    assert user is not None
    british_summer_time = timezone(timedelta(hours=1))
    user.locked_until = datetime(2026, 7, 1, 13, 30, tzinfo=british_summer_time)
    db.session.commit()

    db.session.expire_all()
    user = db.session.get(User, user_id)
    assert user is not None
    assert user.locked_until == datetime(2026, 7, 1, 12, 30, tzinfo=UTC)
    assert user.locked_until.utcoffset() == timedelta(0)


@pytest.mark.usefixtures("app_ctx")
def test_naive_datetime_write_is_refused(make_user: UserFactory) -> None:
    user_id = make_user().id
    user = db.session.get(User, user_id)
    assert user is not None

    user.locked_until = datetime(2026, 7, 1, 12, 30)  # naive on purpose
    with pytest.raises(StatementError, match="naive datetime") as caught:
        db.session.commit()
    assert isinstance(caught.value.orig, ValueError)
    db.session.rollback()

    user = db.session.get(User, user_id)
    assert user is not None
    assert user.locked_until is None


@pytest.mark.usefixtures("app_ctx")
def test_naive_datetime_in_a_query_is_refused() -> None:
    naive = datetime(2026, 7, 1, 12, 30)  # naive on purpose

    with pytest.raises(StatementError, match="naive datetime"):
        db.session.scalars(sa.select(User).where(User.created_at < naive)).all()
    db.session.rollback()
