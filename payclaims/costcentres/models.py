"""Cost centres: the budget each role's fees and expenses are paid from, with the finance
approvers its claims go to and the amount one approver may approve alone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from payclaims.auth.models import User
from payclaims.database import utc_now
from payclaims.extensions import Model

# Claims above this (approved total) need two different approvers, unless a cost centre says
# otherwise: £250.
DEFAULT_SINGLE_APPROVER_LIMIT_PENCE = 25_000

# Which finance approvers approve a cost centre's claims (many to many).
cost_centre_approvers = Table(
    "cost_centre_approvers",
    Model.metadata,
    Column(
        "cost_centre_id",
        ForeignKey("cost_centres.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class CostCentre(Model):
    """A budget code, its finance approvers and its single-approver limit."""

    __tablename__ = "cost_centres"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    # A claim whose approved total is above this needs a second, different approver.
    single_approver_limit_pence: Mapped[int] = mapped_column(
        default=DEFAULT_SINGLE_APPROVER_LIMIT_PENCE,
        server_default=str(DEFAULT_SINGLE_APPROVER_LIMIT_PENCE),
    )

    approvers: Mapped[list[User]] = relationship(
        secondary=cost_centre_approvers, order_by="User.name"
    )

    __table_args__ = (
        CheckConstraint(
            "single_approver_limit_pence >= 0", name="single_approver_limit_not_negative"
        ),
    )

    @property
    def label(self) -> str:
        """'Name (CODE)'."""
        return f"{self.name} ({self.code})"

    def needs_two_approvers(self, total_pence: int) -> bool:
        """Whether a claim of ``total_pence`` needs a second, different approver."""
        return total_pence > self.single_approver_limit_pence
