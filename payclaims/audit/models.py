"""The audit trail: one append-only row for each security-relevant event."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from payclaims.auth.models import User
from payclaims.database import utc_now
from payclaims.extensions import Model


class AuditAction(enum.StrEnum):
    """What happened. Stored as text, so later areas add actions without a migration."""

    SIGN_IN_SUCCEEDED = "sign_in.succeeded"
    SIGN_IN_FAILED = "sign_in.failed"
    SIGN_IN_LOCKED = "sign_in.locked"
    SIGNED_OUT = "signed_out"
    SIGNED_UP = "account.signed_up"
    EMAIL_VERIFIED = "account.email_verified"
    EMAIL_CHANGE_REQUESTED = "account.email_change_requested"
    EMAIL_CHANGED = "account.email_changed"
    PASSWORD_CHANGED = "account.password_changed"
    PASSWORD_RESET_REQUESTED = "account.password_reset_requested"
    PASSWORD_RESET = "account.password_reset"
    STAFF_INVITED = "staff.invited"
    INVITATION_RESENT = "staff.invitation_resent"
    INVITATION_ACCEPTED = "staff.invitation_accepted"
    ROLES_CHANGED = "staff.roles_changed"
    ACCOUNT_DEACTIVATED = "account.deactivated"
    ACCOUNT_REACTIVATED = "account.reactivated"
    ACCESS_DENIED = "access.denied"


AUDIT_ACTION_LABELS = {
    AuditAction.SIGN_IN_SUCCEEDED: "Signed in",
    AuditAction.SIGN_IN_FAILED: "Sign-in failed",
    AuditAction.SIGN_IN_LOCKED: "Sign-in locked after repeated failures",
    AuditAction.SIGNED_OUT: "Signed out",
    AuditAction.SIGNED_UP: "Created an account",
    AuditAction.EMAIL_VERIFIED: "Confirmed email address",
    AuditAction.EMAIL_CHANGE_REQUESTED: "Asked to change email address",
    AuditAction.EMAIL_CHANGED: "Changed email address",
    AuditAction.PASSWORD_CHANGED: "Changed password",
    AuditAction.PASSWORD_RESET_REQUESTED: "Asked for a password reset",
    AuditAction.PASSWORD_RESET: "Reset password",
    AuditAction.STAFF_INVITED: "Staff account created and invited",
    AuditAction.INVITATION_RESENT: "Invitation sent again",
    AuditAction.INVITATION_ACCEPTED: "Accepted invitation",
    AuditAction.ROLES_CHANGED: "Roles changed",
    AuditAction.ACCOUNT_DEACTIVATED: "Account deactivated",
    AuditAction.ACCOUNT_REACTIVATED: "Account reactivated",
    AuditAction.ACCESS_DENIED: "Access refused",
}


class AuditEvent(Model):
    """Who did what, to whom, when and from which address. Never updated, never deleted."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    detail: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    subject_user: Mapped[User | None] = relationship(foreign_keys=[subject_user_id])

    @property
    def action_label(self) -> str:
        """The action in plain words."""
        try:
            return AUDIT_ACTION_LABELS[AuditAction(self.action)]
        except ValueError:
            return self.action
