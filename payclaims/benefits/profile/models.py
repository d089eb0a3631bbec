"""The benefits profile: what a person tells us, optionally, so that we can show what a payment
is likely to do to the benefits they get. One row per person; deleting it really deletes it.

Special-category adjacent data: only the person, and finance staff working their claims, see it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from payclaims.auth.models import User
from payclaims.benefits.engine.types import Benefit, Disregard, WeekStart, WorkAllowance
from payclaims.database import portable_enum, utc_now
from payclaims.extensions import Model


# How a claim's fee is paid: each claim's own choice, and the profile's default for new claims.
class FeeChoice(enum.StrEnum):
    """How the person wants their fee paid."""

    FULL = "full"
    REDUCED = "reduced"
    EXPENSES_ONLY = "expenses_only"

    @property
    def label(self) -> str:
        """The choice in plain words."""
        return FEE_CHOICE_LABELS[self]


FEE_CHOICE_LABELS = {
    FeeChoice.FULL: "The full fee",
    FeeChoice.REDUCED: "A reduced fee",
    FeeChoice.EXPENSES_ONLY: "Expenses only (no fee)",
}


# Short names for badges; the others use the benefit's label.
BENEFIT_SHORT_LABELS = {
    Benefit.UNIVERSAL_CREDIT: "UC",
    Benefit.ESA: "ESA",
    Benefit.PIP: "PIP",
    Benefit.DLA: "DLA",
}
# The profile's column saying whether the person gets each benefit.
BENEFIT_COLUMNS = {benefit: f"gets_{benefit.value}" for benefit in Benefit}
DISREGARD_LABELS = {
    Disregard.SINGLE: "I live on my own, or not as part of a couple",
    Disregard.COUPLE: "I live with a partner (as a couple)",
    Disregard.HIGHER: "My award includes a disability or carer premium",
    Disregard.LONE_PARENT: "I am a lone parent (Housing Benefit only)",
}


def work_allowance_for(child_or_lcw: bool | None, housing_costs: bool | None) -> WorkAllowance:
    """None unless the household has a child or limited capability for work; then lower if UC
    pays housing costs, higher if not."""
    if not child_or_lcw:
        return WorkAllowance.NONE
    return WorkAllowance.LOWER if housing_costs else WorkAllowance.HIGHER


class BenefitProfile(Model):
    """One person's benefits profile: optional, theirs to change or delete."""

    __tablename__ = "benefit_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    gets_universal_credit: Mapped[bool] = mapped_column(default=False)
    # The day of the month the person's UC assessment period starts (1-31).
    uc_assessment_period_start_day: Mapped[int | None]
    # The two questions that decide the work allowance (None: not answered).
    uc_child_or_lcw: Mapped[bool | None]
    uc_housing_costs: Mapped[bool | None]
    gets_esa: Mapped[bool] = mapped_column(default=False)
    esa_supported_permitted_work: Mapped[bool] = mapped_column(default=False)
    gets_carers_allowance: Mapped[bool] = mapped_column(default=False)
    carers_other_weekly_earnings_pence: Mapped[int] = mapped_column(default=0)
    gets_pension_credit: Mapped[bool] = mapped_column(default=False)
    pension_credit_disregard: Mapped[Disregard | None] = mapped_column(portable_enum(Disregard))
    gets_housing_benefit: Mapped[bool] = mapped_column(default=False)
    housing_benefit_disregard: Mapped[Disregard | None] = mapped_column(portable_enum(Disregard))
    gets_council_tax_reduction: Mapped[bool] = mapped_column(default=False)
    gets_pip: Mapped[bool] = mapped_column(default=False)
    gets_dla: Mapped[bool] = mapped_column(default=False)
    gets_attendance_allowance: Mapped[bool] = mapped_column(default=False)
    # The day the benefit week starts (ESA, Carer's Allowance, Pension Credit, Housing Benefit).
    week_start: Mapped[WeekStart] = mapped_column(
        portable_enum(WeekStart), default=WeekStart.MONDAY
    )
    # How new claims start out: full fee, reduced fee or expenses only.
    default_fee_choice: Mapped[FeeChoice] = mapped_column(
        portable_enum(FeeChoice), default=FeeChoice.FULL
    )
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)

    person: Mapped[User] = relationship()

    @property
    def benefits(self) -> list[Benefit]:
        """The benefits the person gets, in a fixed order."""
        return [benefit for benefit, column in BENEFIT_COLUMNS.items() if getattr(self, column)]

    @property
    def work_allowance(self) -> WorkAllowance:
        """None unless the household has a child or limited capability for work; then lower
        if UC pays housing costs, higher if not."""
        return work_allowance_for(self.uc_child_or_lcw, self.uc_housing_costs)

    @property
    def pension_credit_text(self) -> str:
        """Which Pension Credit disregard, in plain words."""
        disregard = self.pension_credit_disregard
        return DISREGARD_LABELS[disregard] if disregard else ""

    @property
    def housing_benefit_text(self) -> str:
        """Which Housing Benefit disregard, in plain words."""
        disregard = self.housing_benefit_disregard
        return DISREGARD_LABELS[disregard] if disregard else ""

    @property
    def uses_weeks(self) -> bool:
        """Whether a benefit paid by the week is in the profile."""
        return (
            self.gets_esa
            or self.gets_carers_allowance
            or self.gets_pension_credit
            or self.gets_housing_benefit
        )
