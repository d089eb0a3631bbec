"""Writing to the audit trail."""

from __future__ import annotations

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
