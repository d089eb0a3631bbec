"""Writing to the audit trail."""

from __future__ import annotations

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload

from payclaims.audit.models import AuditAction, AuditEvent
from payclaims.auth.models import User
from payclaims.extensions import db


def record_event(
    action: AuditAction,
    *,
    actor: User | None,
    subject: User | None = None,
    ip_address: str | None = None,
    detail: str = "",
    about: tuple[str, int] | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction; the caller's service commits it.

    ``about`` names the object the event concerns, as (type, id), for its history page.
    """
    event = AuditEvent(
        action=action.value,
        actor=actor,
        subject_user=subject,
        ip_address=ip_address,
        detail=detail,
        object_type=about[0] if about else None,
        object_id=about[1] if about else None,
    )
    db.session.add(event)
    return event


def events_query(*, action: str | None = None) -> Select[AuditEvent]:
    """Audit events, newest first, with the people they name loaded alongside."""
    query = (
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor), joinedload(AuditEvent.subject_user))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )
    if action:
        query = query.where(AuditEvent.action == action)
    return query


def recent_account_events(user: User, *, limit: int = 20) -> list[AuditEvent]:
    """The latest events a person did or that were done to their account."""
    query = events_query().where(
        or_(AuditEvent.subject_user_id == user.id, AuditEvent.actor_id == user.id)
    )
    return list(db.session.scalars(query.limit(limit)))
