"""The engine's types: levels, benefits, rule figures, the profile, payments and the answer."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


class Level(enum.StrEnum):
    """How a payment affects a benefit, least to most severe."""

    CLEAR = "clear"
    CHECK = "check"
    NEAR = "near"
    REDUCES = "reduces"
    STOPS = "stops"

    @property
    def severity(self) -> int:
        """0 for clear up to 4 for stops: compare levels with this."""
        return list(Level).index(self)


def most_severe(levels: Iterable[Level]) -> Level:
    """The most severe of ``levels``; clear when there are none."""
    return max(levels, key=lambda level: level.severity, default=Level.CLEAR)


class Benefit(enum.StrEnum):
    """The benefits the check knows, as SCENARIOS.md names them."""

    UNIVERSAL_CREDIT = "universal_credit"
    ESA = "esa"
    CARERS_ALLOWANCE = "carers_allowance"
    PENSION_CREDIT = "pension_credit"
    HOUSING_BENEFIT = "housing_benefit"
    COUNCIL_TAX_REDUCTION = "council_tax_reduction"
    PIP = "pip"
    DLA = "dla"
    ATTENDANCE_ALLOWANCE = "attendance_allowance"

    @property
    def label(self) -> str:
        """The benefit's name in plain words."""
        return BENEFIT_LABELS[self]


BENEFIT_LABELS = {
    Benefit.UNIVERSAL_CREDIT: "Universal Credit",
    Benefit.ESA: "New Style Employment and Support Allowance (ESA)",
    Benefit.CARERS_ALLOWANCE: "Carer's Allowance",
    Benefit.PENSION_CREDIT: "Pension Credit",
    Benefit.HOUSING_BENEFIT: "Housing Benefit",
    Benefit.COUNCIL_TAX_REDUCTION: "Council Tax Reduction",
    Benefit.PIP: "Personal Independence Payment (PIP)",
    Benefit.DLA: "Disability Living Allowance (DLA)",
    Benefit.ATTENDANCE_ALLOWANCE: "Attendance Allowance",
}


class WorkAllowance(enum.StrEnum):
    """Universal Credit work allowance: none, lower (UC pays housing costs) or higher."""

    NONE = "none"
    LOWER = "lower"
    HIGHER = "higher"


class Disregard(enum.StrEnum):
    """Which earnings disregard Pension Credit or Housing Benefit gives."""

    SINGLE = "single"
    COUPLE = "couple"
    HIGHER = "higher"
    LONE_PARENT = "lone_parent"  # Housing Benefit only


PENSION_CREDIT_DISREGARDS = (Disregard.SINGLE, Disregard.COUPLE, Disregard.HIGHER)


class WeekStart(enum.StrEnum):
    """The day a benefit week starts."""

    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"

    @property
    def weekday(self) -> int:
        """Monday 0 to Sunday 6, as ``date.weekday()``."""
        return list(WeekStart).index(self)


class Vehicle(enum.StrEnum):
    """What a mileage line was travelled in (the HMRC rate key is ``hmrc.mileage.<value>``)."""

    CAR = "car"
    MOTORCYCLE = "motorcycle"
    BICYCLE = "bicycle"


class Confidence(enum.StrEnum):
    """How sure the figure is: S stated by a primary source, S2 secondary only, I inferred."""

    S = "S"
    S2 = "S2"
    I = "I"  # noqa: E741 - the letter RULES.md uses

    @property
    def awaiting_confirmation(self) -> bool:
        """S2 and I figures are shown as "figure awaiting confirmation"."""
        return self is not Confidence.S


# --- the rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One dated figure: ``value`` in pence (or basis points for ``uc.taper``, pence a mile for
    ``hmrc.mileage.*``) from ``effective_from`` to ``effective_to`` inclusive (None: still)."""

    key: str
    value: int
    effective_from: date
    effective_to: date | None = None
    confidence: Confidence = Confidence.S

    def applies_on(self, on: date) -> bool:
        """Whether the figure is in force on ``on``."""
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


@dataclass(frozen=True)
class FigureUsed:
    """A figure a check relied on, for showing "figure awaiting confirmation" and its source."""

    key: str
    effective_from: date
    value: int
    confidence: Confidence

    @property
    def awaiting_confirmation(self) -> bool:
        """Whether the figure is S2 or I."""
        return self.confidence.awaiting_confirmation


class MissingFigure(LookupError):
    """The rule set has no figure for a key on a date."""

    def __init__(self, key: str, on: date) -> None:
        super().__init__(f"There is no figure for {key} on {on.isoformat()}")
        self.key = key
        self.on = on


@dataclass(frozen=True)
class RuleSet:
    """Figures by key; ``in_force(key, on)`` finds the one applying on a date."""

    figures: tuple[Figure, ...]
    _by_key: Mapping[str, tuple[Figure, ...]] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        # One order whatever the source (a query, the seed), so equal rule sets compare equal.
        object.__setattr__(
            self, "figures", tuple(sorted(self.figures, key=lambda f: (f.key, f.effective_from)))
        )
        by_key: dict[str, list[Figure]] = {}
        for figure in self.figures:
            by_key.setdefault(figure.key, []).append(figure)
        object.__setattr__(
            self,
            "_by_key",
            {
                key: tuple(sorted(rows, key=lambda row: row.effective_from, reverse=True))
                for key, rows in by_key.items()
            },
        )

    def in_force(self, key: str, on: date) -> Figure:
        """The figure for ``key`` in force on ``on`` (the latest start on or before it)."""
        for figure in self._by_key.get(key, ()):
            if figure.applies_on(on):
                return figure
        raise MissingFigure(key, on)

    def keys(self) -> tuple[str, ...]:
        """The keys with at least one figure, sorted."""
        return tuple(sorted(self._by_key))


# --- the profile and payments ------------------------------------------------------------------


@dataclass(frozen=True)
class UniversalCredit:
    """UC: the day of the month assessment periods start (1-31) and the work allowance."""

    assessment_period_start_day: int
    work_allowance: WorkAllowance = WorkAllowance.NONE


@dataclass(frozen=True)
class Esa:
    """New Style ESA; supported permitted work lifts the 16-hour limit."""

    supported_permitted_work: bool = False


@dataclass(frozen=True)
class CarersAllowance:
    """Carer's Allowance, with the person's net earnings from other work each week."""

    other_weekly_earnings_pence: int = 0


@dataclass(frozen=True)
class PensionCredit:
    """Pension Credit and its weekly earnings disregard (single, couple or higher)."""

    disregard: Disregard


@dataclass(frozen=True)
class HousingBenefit:
    """Pension-age Housing Benefit and its weekly disregard (lone_parent too)."""

    disregard: Disregard


@dataclass(frozen=True)
class Profile:
    """The benefits a person receives (None or False: not received) and their benefit week."""

    universal_credit: UniversalCredit | None = None
    esa: Esa | None = None
    carers_allowance: CarersAllowance | None = None
    pension_credit: PensionCredit | None = None
    housing_benefit: HousingBenefit | None = None
    council_tax_reduction: bool = False
    pip: bool = False
    dla: bool = False
    attendance_allowance: bool = False
    week_start: WeekStart = WeekStart.MONDAY

    @property
    def benefits(self) -> tuple[Benefit, ...]:
        """The benefits received, in :class:`Benefit` order."""
        return tuple(
            benefit for benefit in Benefit if getattr(self, benefit.value) not in (None, False)
        )


@dataclass(frozen=True)
class Fee:
    """A fee or session payment: earnings. ``hours`` worked on ``worked_on`` (default paid_on)."""

    amount_pence: int
    hours: Decimal | None = None
    worked_on: date | None = None


@dataclass(frozen=True)
class Voucher:
    """A voucher or gift card: treated as earnings (guidance differs)."""

    amount_pence: int


@dataclass(frozen=True)
class Expense:
    """An out-of-pocket expense: earnings only when not receipted."""

    amount_pence: int
    receipted: bool


@dataclass(frozen=True)
class Mileage:
    """Miles paid at ``rate_pence`` a mile: the part above the HMRC rate is earnings."""

    miles: Decimal
    vehicle: Vehicle
    rate_pence: Decimal


Line = Fee | Voucher | Expense | Mileage


@dataclass(frozen=True)
class Payment:
    """A payment: the day it is paid (received) and its lines."""

    paid_on: date
    lines: tuple[Line, ...] = ()


# --- the answer --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenefitResult:
    """What the payment means for one benefit."""

    benefit: Benefit
    level: Level
    message: str
    period_start: date | None = None
    period_end: date | None = None
    counted_pence: int | None = None
    limit_pence: int | None = None
    estimated_reduction_pence: int | None = None
    hours: Decimal | None = None
    figures: tuple[FigureUsed, ...] = ()

    @property
    def awaiting_confirmation(self) -> bool:
        """Whether any figure this result used is S2 or I."""
        return any(figure.awaiting_confirmation for figure in self.figures)


@dataclass(frozen=True)
class BenefitCheck:
    """The whole answer: the most severe level, the earnings-like amount, one result a benefit."""

    level: Level
    earnings_like_pence: int
    benefits: tuple[BenefitResult, ...]
    figures: tuple[FigureUsed, ...] = ()

    @property
    def awaiting_confirmation(self) -> bool:
        """Whether any figure used is S2 or I ("figure awaiting confirmation")."""
        return any(figure.awaiting_confirmation for figure in self.figures)

    def result_for(self, benefit: Benefit) -> BenefitResult | None:
        """The result for ``benefit``, or None when it is not received."""
        return next((result for result in self.benefits if result.benefit is benefit), None)
