"""Benefit rule figures as dated rows that finance admins add to, correct and confirm.

A row holds one figure for one key from ``effective_from`` to ``effective_to`` (inclusive; None:
until further notice). A correction never edits a figure: it adds a new row for the same dates
and points the old one at it (``replaced_by_id``), so the history of what the app believed, who
changed it and why stays readable. Rows whose ``replaced_by_id`` is None are the current ones.
Confirming a figure (confidence becomes S) and closing a row when a newer figure starts are
recorded on the row and in the audit trail.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from payclaims.auth.models import User
from payclaims.benefits.engine.types import Confidence
from payclaims.benefits.rules.catalogue import RULE_KEYS_BY_KEY, RuleKey, RulePeriod, RuleUnit
from payclaims.database import portable_enum, utc_now
from payclaims.extensions import Model


class BenefitRule(Model):
    """One dated figure for a rule key (``uc.taper``, ``ca.earnings_limit`` ...)."""

    __tablename__ = "benefit_rules"
    __table_args__ = (Index("ix_benefit_rules_key_effective_from", "key", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    # Pence (a month, a week, an hour, a tax year), pence a mile, or basis points (uc.taper).
    value: Mapped[int]
    unit: Mapped[RuleUnit] = mapped_column(portable_enum(RuleUnit))
    period: Mapped[RulePeriod] = mapped_column(portable_enum(RulePeriod))
    effective_from: Mapped[date]
    effective_to: Mapped[date | None]
    source: Mapped[str] = mapped_column(Text)
    confidence: Mapped[Confidence] = mapped_column(portable_enum(Confidence, length=4))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None]
    # The row that corrected this one; None for a current figure.
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("benefit_rules.id"))
    # Why the row was added (a new figure, a correction): shown in its history.
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def rule_key(self) -> RuleKey:
        """What the key is, in plain words."""
        return RULE_KEYS_BY_KEY[self.key]

    @property
    def is_current(self) -> bool:
        """Whether the figure has not been corrected."""
        return self.replaced_by_id is None

    @property
    def awaiting_confirmation(self) -> bool:
        """S2 and I figures are shown as "figure awaiting confirmation"."""
        return self.confidence.awaiting_confirmation

    @property
    def value_text(self) -> str:
        """The value in plain units: '£427 a month', '55%', '45p a mile', '£12.71 an hour'."""
        return value_text(self.value, self.unit, self.period)


def value_text(value: int, unit: RuleUnit, period: RulePeriod) -> str:
    """A figure in plain units: '£427 a month', '£203.50 a week', '55%', '45p a mile'."""
    if unit is RuleUnit.BASIS_POINTS:
        whole, part = divmod(value, 100)
        return f"{whole}%" if part == 0 else f"{whole}.{part:02d}".rstrip("0") + "%"
    if period is RulePeriod.PER_MILE:
        return f"{value}p a mile"
    pounds, pence = divmod(value, 100)
    amount = f"£{pounds:,}" if pence == 0 else f"£{pounds:,}.{pence:02d}"
    return f"{amount} {period.label}"
