"""Writing to the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import aliased, joinedload

from payclaims.audit.models import AuditAction, AuditEvent
from payclaims.auth.models import User
from payclaims.database import escape_like
from payclaims.dates import UK
from payclaims.extensions import db

# What audit events can be about (their object_type), in words, for the filter.
OBJECT_TYPES = {
    "claim": "A claim",
    "cost_centre": "A cost centre",
    "delegation": "An approver's delegation",
    "role": "A role",
    "sign_up": "A sign-up",
    "training_record": "A training record",
    "training_course": "A training course",
    "bank_details": "Bank details",
    "expense_category_setting": "Expense category rules",
}


@dataclass(frozen=True)
class AuditFilters:
    """What the audit trail is narrowed to: an action, a person (who did it or whose account
    it was, by name or email), a date range (UK dates, inclusive) and an object."""

    action: str | None = None
    person: str | None = None
    since: date | None = None
    until: date | None = None
    object_type: str | None = None
    object_id: int | None = None


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


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, UK)


def events_query(
    *, action: str | None = None, filters: AuditFilters | None = None
) -> Select[AuditEvent]:
    """Audit events, newest first, with the people they name loaded alongside."""
    filters = filters or AuditFilters(action=action)
    query = (
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor), joinedload(AuditEvent.subject_user))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.person:
        pattern = f"%{escape_like(filters.person.lower())}%"
        people = aliased(User)
        matching = select(people.id).where(
            or_(
                people.name.ilike(pattern, escape="\\"),
                people.email.ilike(pattern, escape="\\"),
            )
        )
        query = query.where(
            or_(AuditEvent.actor_id.in_(matching), AuditEvent.subject_user_id.in_(matching))
        )
    if filters.since:
        query = query.where(AuditEvent.occurred_at >= _start_of(filters.since))
    if filters.until:
        query = query.where(AuditEvent.occurred_at < _start_of(filters.until + timedelta(days=1)))
    if filters.object_type:
        query = query.where(AuditEvent.object_type == filters.object_type)
        if filters.object_id is not None:
            query = query.where(AuditEvent.object_id == filters.object_id)
    return query


def recent_account_events(user: User, *, limit: int = 20) -> list[AuditEvent]:
    """The latest events a person did or that were done to their account."""
    query = events_query().where(
        or_(AuditEvent.subject_user_id == user.id, AuditEvent.actor_id == user.id)
    )
    return list(db.session.scalars(query.limit(limit)))
