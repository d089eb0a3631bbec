"""The audit trail: one append-only row for each security-relevant event."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
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
    ACCOUNT_CREATED = "account.created"
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
    ROLE_CREATED = "role.created"
    ROLE_EDITED = "role.edited"
    ROLE_PUBLISHED = "role.published"
    ROLE_CLOSED = "role.closed"
    ROLE_REOPENED = "role.reopened"
    SIGN_UP_CREATED = "sign_up.created"
    SIGN_UP_ACCEPTED = "sign_up.accepted"
    SIGN_UP_WAITLISTED = "sign_up.waitlisted"
    SIGN_UP_DECLINED = "sign_up.declined"
    SIGN_UP_WITHDRAWN = "sign_up.withdrawn"
    COURSE_CREATED = "training.course_created"
    COURSE_EDITED = "training.course_edited"
    TRAINING_RECORDED = "training.recorded"
    TRAINING_DECLARED = "training.declared"
    TRAINING_VERIFIED = "training.verified"
    TRAINING_REJECTED = "training.rejected"
    TRAINING_EVIDENCE_DOWNLOADED = "training.evidence_downloaded"
    RECEIPT_DOWNLOADED = "claim.receipt_downloaded"
    TRAINING_EXPORTED = "training.exported"
    COST_CENTRE_CREATED = "cost_centre.created"
    COST_CENTRE_EDITED = "cost_centre.edited"
    EXPENSE_CATEGORY_CHANGED = "expense_category.changed"
    BANK_DETAILS_CHANGED = "bank_details.changed"
    BANK_DETAILS_CONFIRMED = "bank_details.confirmed"
    BANK_KEYS_ROTATED = "bank_details.keys_rotated"
    BENEFITS_PROFILE_CHANGED = "benefits_profile.changed"
    BENEFITS_PROFILE_DELETED = "benefits_profile.deleted"
    BENEFITS_PROFILE_VIEWED = "benefits_profile.viewed_by_finance"
    BENEFITS_STATEMENT_DOWNLOADED = "benefits_statement.downloaded_by_finance"
    BENEFIT_RULE_ADDED = "benefit_rule.added"
    BENEFIT_RULE_CORRECTED = "benefit_rule.corrected"
    BENEFIT_RULE_CONFIRMED = "benefit_rule.confirmed"
    PAYMENT_METHOD_RECORDED = "payment_method.recorded"
    PAYMENT_METHOD_ENDED = "payment_method.ended"
    COST_CENTRE_APPROVERS_CHANGED = "cost_centre.approvers_changed"
    DELEGATION_CREATED = "delegation.created"
    DELEGATION_ENDED = "delegation.ended"
    CLAIM_VERIFIED = "claim.verified"
    CLAIM_RETURNED = "claim.returned"
    CLAIM_FIRST_APPROVAL = "claim.first_approval"
    CLAIM_APPROVED = "claim.approved"
    CLAIM_REJECTED = "claim.rejected"
    CLAIMS_EXPORTED = "claims.exported"
    PAYMENT_RUN_CREATED = "payment_run.created"
    PAYMENT_RUN_CLAIM_REMOVED = "payment_run.claim_removed"
    PAYMENT_RUN_CLAIM_ADDED = "payment_run.claim_added"
    PAYMENT_RUN_CONFIRMED = "payment_run.confirmed"
    CLAIM_PAID = "claim.paid"
    SLIP_DOWNLOADED = "payment.slip_downloaded"
    BANK_FILE_DOWNLOADED = "payment_run.bank_file_downloaded"
    TAX_YEAR_TOTALS_EXPORTED = "payment.tax_year_totals_exported"
    PAYMENT_METHOD_CONFIRMED = "payment_method.confirmed"


AUDIT_ACTION_LABELS = {
    AuditAction.SIGN_IN_SUCCEEDED: "Signed in",
    AuditAction.SIGN_IN_FAILED: "Sign-in failed",
    AuditAction.SIGN_IN_LOCKED: "Sign-in locked after repeated failures",
    AuditAction.SIGNED_OUT: "Signed out",
    AuditAction.SIGNED_UP: "Created an account",
    AuditAction.ACCOUNT_CREATED: "Account created from the command line",
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
    AuditAction.ROLE_CREATED: "Role created",
    AuditAction.ROLE_EDITED: "Role edited",
    AuditAction.ROLE_PUBLISHED: "Role published",
    AuditAction.ROLE_CLOSED: "Role closed",
    AuditAction.ROLE_REOPENED: "Role reopened",
    AuditAction.SIGN_UP_CREATED: "Signed up to a role",
    AuditAction.SIGN_UP_ACCEPTED: "Sign-up accepted",
    AuditAction.SIGN_UP_WAITLISTED: "Sign-up put on the waiting list",
    AuditAction.SIGN_UP_DECLINED: "Sign-up declined",
    AuditAction.SIGN_UP_WITHDRAWN: "Sign-up withdrawn",
    AuditAction.COURSE_CREATED: "Training course created",
    AuditAction.COURSE_EDITED: "Training course edited",
    AuditAction.TRAINING_RECORDED: "Training recorded",
    AuditAction.TRAINING_DECLARED: "Training declared by the person",
    AuditAction.TRAINING_VERIFIED: "Training verified",
    AuditAction.TRAINING_REJECTED: "Self-declared training not accepted",
    AuditAction.TRAINING_EVIDENCE_DOWNLOADED: "Training evidence downloaded",
    AuditAction.RECEIPT_DOWNLOADED: "Receipt downloaded by staff",
    AuditAction.TRAINING_EXPORTED: "Training records exported",
    AuditAction.COST_CENTRE_CREATED: "Cost centre created",
    AuditAction.COST_CENTRE_EDITED: "Cost centre edited",
    AuditAction.EXPENSE_CATEGORY_CHANGED: "Expense category rules changed",
    AuditAction.BANK_DETAILS_CHANGED: "Bank details changed",
    AuditAction.BANK_DETAILS_CONFIRMED: "Bank details confirmed by finance",
    AuditAction.BANK_KEYS_ROTATED: "Bank details re-encrypted with a new key",
    AuditAction.BENEFITS_PROFILE_CHANGED: "Benefits profile changed",
    AuditAction.BENEFITS_PROFILE_DELETED: "Benefits profile deleted",
    AuditAction.BENEFITS_PROFILE_VIEWED: "Benefits profile seen by finance",
    AuditAction.BENEFITS_STATEMENT_DOWNLOADED: "Payments statement downloaded by finance",
    AuditAction.BENEFIT_RULE_ADDED: "New benefit rule figure added",
    AuditAction.BENEFIT_RULE_CORRECTED: "Benefit rule figure corrected",
    AuditAction.BENEFIT_RULE_CONFIRMED: "Benefit rule figure confirmed",
    AuditAction.PAYMENT_METHOD_RECORDED: "Another payment method recorded by finance",
    AuditAction.PAYMENT_METHOD_ENDED: "Another payment method ended by finance",
    AuditAction.COST_CENTRE_APPROVERS_CHANGED: "Cost centre approvers or limit changed",
    AuditAction.DELEGATION_CREATED: "Approver named a delegate while away",
    AuditAction.DELEGATION_ENDED: "Approver ended a delegation",
    AuditAction.CLAIM_VERIFIED: "Claim confirmed by the coordinator",
    AuditAction.CLAIM_RETURNED: "Claim returned for more information",
    AuditAction.CLAIM_FIRST_APPROVAL: "Claim approved once, waiting for a second approver",
    AuditAction.CLAIM_APPROVED: "Claim approved",
    AuditAction.CLAIM_REJECTED: "Claim rejected",
    AuditAction.CLAIMS_EXPORTED: "Claims exported for accounting",
    AuditAction.PAYMENT_RUN_CREATED: "Payment run created",
    AuditAction.PAYMENT_RUN_CLAIM_REMOVED: "Claim taken out of a payment run",
    AuditAction.PAYMENT_RUN_CLAIM_ADDED: "Claim added to a payment run",
    AuditAction.PAYMENT_RUN_CONFIRMED: "Payment run confirmed (paid)",
    AuditAction.CLAIM_PAID: "Claim paid",
    AuditAction.SLIP_DOWNLOADED: "Remittance slip downloaded",
    AuditAction.BANK_FILE_DOWNLOADED: "Bank payment file downloaded",
    AuditAction.TAX_YEAR_TOTALS_EXPORTED: "Tax-year payment totals exported",
    AuditAction.PAYMENT_METHOD_CONFIRMED: "Another payment method checked by finance",
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
    # What the event is about, beyond a person's account: for example ("sign_up", 42).
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[int | None]

    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    subject_user: Mapped[User | None] = relationship(foreign_keys=[subject_user_id])

    @property
    def action_label(self) -> str:
        """The action in plain words."""
        try:
            return AUDIT_ACTION_LABELS[AuditAction(self.action)]
        except ValueError:
            return self.action
