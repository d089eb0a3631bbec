"""Approvals: finance approvers' decisions on claims and their delegates while away."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from payclaims.auth.models import User
from payclaims.database import utc_now
from payclaims.extensions import Model


class ApprovalStage(enum.IntEnum):
    """The first approval, and the second one a claim above its cost centre's limit needs."""

    FIRST = 1
    SECOND = 2


class ClaimApproval(Model):
    """One approver's approval of a claim in one round. Never updated, never deleted.

    The unique constraints are the database's backstop for four eyes: one approver approves a
    claim at most once per round, and each stage happens once per round.
    """

    __tablename__ = "claim_approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    approval_round: Mapped[int]
    stage: Mapped[int]
    approver_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Set when the approver acted as someone's delegate.
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The claim's approved total when this approval was given.
    total_pence: Mapped[int]
    approved_at: Mapped[datetime] = mapped_column(default=utc_now)

    approver: Mapped[User] = relationship(foreign_keys=[approver_id])
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id])

    __table_args__ = (
        UniqueConstraint("claim_id", "approval_round", "approver_id"),
        UniqueConstraint("claim_id", "approval_round", "stage"),
        CheckConstraint("stage IN (1, 2)", name="stage_is_first_or_second"),
    )


class ApprovalDelegation(Model):
    """An approver away from ``starts_on`` to ``ends_on`` (inclusive) names another finance
    approver who may see and decide their claims meanwhile."""

    __tablename__ = "approval_delegations"

    id: Mapped[int] = mapped_column(primary_key=True)
    approver_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    delegate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    # Set when the approver ended it early (it is kept, for the audit trail).
    ended_at: Mapped[datetime | None]

    approver: Mapped[User] = relationship(foreign_keys=[approver_id])
    delegate: Mapped[User] = relationship(foreign_keys=[delegate_id])

    __table_args__ = (
        CheckConstraint("approver_id <> delegate_id", name="not_to_self"),
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        Index("ix_approval_delegations_approver_dates", "approver_id", "starts_on", "ends_on"),
    )

    def is_active_on(self, day: date) -> bool:
        """Whether the delegate may act for the approver on ``day``."""
        return self.ended_at is None and self.starts_on <= day <= self.ends_on
