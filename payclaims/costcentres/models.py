"""Cost centres: the budget each role's fees and expenses are paid from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from payclaims.database import utc_now
from payclaims.extensions import Model


class CostCentre(Model):
    """A budget code. Finance approvers and limits are added by the approvals area."""

    __tablename__ = "cost_centres"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    @property
    def label(self) -> str:
        """'Name (CODE)'."""
        return f"{self.name} ({self.code})"
