"""The benefits check: what a payment made on a date means for each benefit a person receives.

Plain functions and frozen dataclasses; no Flask, no database. The rules are in
../shared/benefits/RULES.md and the behaviour in SCENARIOS.md (tests/data/benefits/ holds a copy
of its worked cases). Every page that shows a benefits check (claim form, finance queue,
payment-run confirmation, what-if, the ``benefits-check`` command) calls the same function.

The API
-------

``check_payment(profile, earlier, payment, rules) -> BenefitCheck``

- ``profile``: a :class:`Profile`: which benefits the person receives, each as its own small
  dataclass or ``None`` when not received (:class:`UniversalCredit`, :class:`Esa`,
  :class:`CarersAllowance`, :class:`PensionCredit`, :class:`HousingBenefit`) or a bool
  (``council_tax_reduction``, ``pip``, ``dla``, ``attendance_allowance``), and ``week_start``
  (a :class:`WeekStart`, default Monday), the first day of the person's benefit week.
- ``earlier``: a sequence of :class:`Payment` already made (or planned) to the person. Only
  those paid inside a benefit's period count towards it; order does not matter.
- ``payment``: the :class:`Payment` being checked: ``paid_on`` and ``lines``, each a
  :class:`Fee` (``amount_pence``, ``hours`` optional, ``worked_on`` optional, default paid_on),
  :class:`Voucher` (``amount_pence``), :class:`Expense` (``amount_pence``, ``receipted``) or
  :class:`Mileage` (``miles``, ``vehicle`` a :class:`Vehicle`, ``rate_pence`` a mile paid).
- ``rules``: a :class:`RuleSet` of dated :class:`Figure` rows by key (``uc.taper``,
  ``uc.work_allowance.lower`` ...). ``payclaims.benefits.rules.load_rule_set()`` reads it from
  the database in one query; ``payclaims.benefits.rules.seed_rule_set()`` builds it from the
  seed figures without a database. A figure missing for a date raises :class:`MissingFigure`.

The answer, :class:`BenefitCheck`:

- ``level``: the most severe :class:`Level` (``CLEAR < CHECK < NEAR < REDUCES < STOPS``;
  ``Level.severity`` orders them; ``most_severe(levels)`` picks one).
- ``earnings_like_pence``: what of this payment counts as earnings.
- ``benefits``: one :class:`BenefitResult` per benefit received, in :class:`Benefit` order,
  with ``benefit``, ``level``, ``message`` (plain English: what it means, never advice),
  ``period_start``/``period_end`` (None for benefits without a period), ``counted_pence`` (the
  earnings-like total paid in the period, this payment included; for Carer's Allowance plus the
  other weekly earnings), ``limit_pence`` (the allowance, limit or disregard in force at the
  period's start), ``estimated_reduction_pence`` (UC, Pension Credit, Housing Benefit: how much
  more the benefit falls because of this payment), ``hours`` (ESA: a Decimal, hours worked in
  the busiest benefit week this payment's fees were worked in) and ``figures`` (the
  :class:`FigureUsed` rows: key, effective_from, value, confidence).
- ``figures``: every figure used (mileage rates included); ``awaiting_confirmation`` is True when
  any of them has confidence S2 or I, so a page can say "figure awaiting confirmation"
  (``BenefitResult.awaiting_confirmation`` is the same per benefit).

For the scenario format of SCENARIOS.md (the ``benefits-check`` command and its tests):

- ``parse_scenarios(data) -> list[Scenario]`` and ``parse_scenario(data) -> Scenario`` turn
  decoded JSON into these types, raising :class:`ScenarioError` (``scenario_id``, ``field``,
  ``problem``; ``str()`` is one line naming both) for an unknown benefit, line kind or field (in
  any object), a missing field, a date not written YYYY-MM-DD or outside 2000-01-01 to
  2100-12-31, or an amount, number of miles or hours or rate that is negative or too large.
  ``parse_profile``, ``parse_payment`` are the parts.
- ``check_scenario(scenario, rules) -> BenefitCheck``.
- ``check_to_dict(check, scenario_id=None) -> dict`` gives the SCENARIOS.md output object
  (dates as ISO text, hours as a float), plus ``message``, ``figures`` and
  ``awaiting_confirmation``.

Periods: a Universal Credit assessment period starts on the same day each month (the month's last
day when the month is shorter) and ends the day before the next start; a benefit week starts on
``week_start``. The rules in force at a period's start apply to the whole period, so a work
allowance applies from the first assessment period starting on or after its uprating date, and a
weekly figure from the first benefit week starting on or after it. Mileage counts as earnings
only above the HMRC rate for the vehicle in force on the day it is paid (a car at the rate for
the first 10,000 miles of the tax year). Exactly at a limit is not over it.
"""

from __future__ import annotations

import calendar
import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, TypeVar

from payclaims.dates import format_date
from payclaims.money import format_pence

BASIS_POINTS = 10_000
# What the scenario parser accepts: dates in this range (the engine's date arithmetic stays far
# from date.min and date.max), and amounts, miles, hours and rates up to these sizes.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
MAX_PENCE = 100_000_000_00  # £100 million
MAX_NUMBER = Decimal(1_000_000)  # miles, hours, pence a mile
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_E = TypeVar("_E", bound=enum.StrEnum)
ESA_HOURS_LIMIT = Decimal(16)
ESA_HOURS_NEAR = Decimal(14)
# "near" thresholds as fractions (numerator, denominator) of a limit.
NEAR_MONTHLY = (4, 5)  # UC: 80% of the work allowance
NEAR_DISREGARD = (4, 5)  # Pension Credit, Housing Benefit: 80% of the disregard
NEAR_WEEKLY_CLIFF = (9, 10)  # ESA, Carer's Allowance: 90% of the limit


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


# --- periods -----------------------------------------------------------------------------------


def _start_in_month(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def assessment_period(start_day: int, on: date) -> tuple[date, date]:
    """The UC assessment period holding ``on``: (first day, last day).

    It starts on ``start_day`` of a month, or that month's last day when the month is shorter,
    and ends the day before the next start.
    """
    if not 1 <= start_day <= 31:
        raise ValueError("An assessment period starts on a day from 1 to 31")
    start = _start_in_month(on.year, on.month, start_day)
    year, month = on.year, on.month
    if on < start:
        year, month = _previous_month(year, month)
        start = _start_in_month(year, month, start_day)
    following = _start_in_month(*_next_month(year, month), start_day)
    return start, following - timedelta(days=1)


def benefit_week(week_start: WeekStart, on: date) -> tuple[date, date]:
    """The benefit week holding ``on``: (first day, last day)."""
    start = on - timedelta(days=(on.weekday() - week_start.weekday) % 7)
    return start, start + timedelta(days=6)


# --- earnings ----------------------------------------------------------------------------------


def _round_pence(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class _Earnings:
    pence: int
    figures: tuple[FigureUsed, ...]


def _used(figure: Figure) -> FigureUsed:
    return FigureUsed(figure.key, figure.effective_from, figure.value, figure.confidence)


def _earnings(payment: Payment, rules: RuleSet) -> _Earnings:
    total = 0
    figures: list[FigureUsed] = []
    for line in payment.lines:
        if isinstance(line, Fee | Voucher):
            total += line.amount_pence
        elif isinstance(line, Expense):
            total += 0 if line.receipted else line.amount_pence
        else:
            hmrc = rules.in_force(f"hmrc.mileage.{line.vehicle.value}", payment.paid_on)
            figures.append(_used(hmrc))
            total += max(0, _round_pence((line.rate_pence - hmrc.value) * line.miles))
    return _Earnings(total, tuple(dict.fromkeys(figures)))


def earnings_like_pence(payment: Payment, rules: RuleSet) -> int:
    """What of ``payment`` counts as earnings: fees, vouchers, unreceipted expenses and mileage
    above the HMRC rate for the vehicle on the day it is paid."""
    return _earnings(payment, rules).pence


@dataclass(frozen=True)
class _Context:
    payment: Payment
    this: _Earnings
    earlier: tuple[tuple[Payment, _Earnings], ...]

    def earlier_in(self, start: date, end: date) -> tuple[int, tuple[FigureUsed, ...]]:
        """Earnings-like pence of earlier payments paid from ``start`` to ``end``, with figures."""
        pence = 0
        figures: list[FigureUsed] = []
        for payment, earnings in self.earlier:
            if start <= payment.paid_on <= end:
                pence += earnings.pence
                figures.extend(earnings.figures)
        return pence, tuple(figures)


def _at_least(amount: int, limit: int, fraction: tuple[int, int]) -> bool:
    numerator, denominator = fraction
    return amount * denominator >= limit * numerator


def _unique(*groups: Iterable[FigureUsed]) -> tuple[FigureUsed, ...]:
    return tuple(dict.fromkeys(figure for group in groups for figure in group))


def _period_text(start: date, end: date) -> str:
    return f"{format_date(start)} to {format_date(end)}"


NOT_EARNINGS = (
    "This payment does not count as earnings (receipted expenses, and mileage at or below the "
    "HMRC rate, do not), so it does not change your {benefit}."
)


# --- each benefit ------------------------------------------------------------------------------


def _universal_credit(uc: UniversalCredit, context: _Context, rules: RuleSet) -> BenefitResult:
    start, end = assessment_period(uc.assessment_period_start_day, context.payment.paid_on)
    taper = rules.in_force("uc.taper", start)
    figures = [_used(taper)]
    allowance = 0
    if uc.work_allowance is not WorkAllowance.NONE:
        allowance_figure = rules.in_force(f"uc.work_allowance.{uc.work_allowance.value}", start)
        figures.append(_used(allowance_figure))
        allowance = allowance_figure.value
    before, earlier_figures = context.earlier_in(start, end)
    counted = before + context.this.pence

    def reduction(earnings: int) -> int:
        excess = max(0, earnings - allowance)
        return (excess * taper.value + BASIS_POINTS // 2) // BASIS_POINTS

    estimated = reduction(counted) - reduction(before)
    period = f"your assessment period {_period_text(start, end)}"
    if context.this.pence == 0:
        level = Level.CLEAR
        message = NOT_EARNINGS.format(benefit="Universal Credit")
    elif counted > allowance:
        level = Level.REDUCES
        pence_in_pound = _round_pence(Decimal(taper.value) / 100)
        if allowance:
            over = (
                f"{format_pence(counted - allowance)} above your work allowance of "
                f"{format_pence(allowance)}. Universal Credit goes down by {pence_in_pound}p "
                "for each £1 above the allowance"
            )
        else:
            over = (
                "and with no work allowance every £1 counts: Universal Credit goes down by "
                f"{pence_in_pound}p for each £1 earned"
            )
        effect = (
            f"so this payment may lower your Universal Credit by about {format_pence(estimated)}"
            if estimated
            else "and this payment counts towards those earnings but by itself makes little or no "
            "difference to your Universal Credit"
        )
        message = (
            f"Your earnings in {period} would be {format_pence(counted)}, {over}, {effect}. "
            "Earnings are reported to DWP through your journal."
        )
    elif allowance and _at_least(counted, allowance, NEAR_MONTHLY):
        level = Level.NEAR
        message = (
            f"Your earnings in {period} would be {format_pence(counted)}, close to your work "
            f"allowance of {format_pence(allowance)}. Universal Credit does not go down until "
            "earnings are above it; more payments in the same period could take you over."
        )
    else:
        level = Level.CLEAR
        message = (
            f"Your earnings in {period} would be {format_pence(counted)}, within your work "
            f"allowance of {format_pence(allowance)}, so Universal Credit does not go down."
        )
    return BenefitResult(
        benefit=Benefit.UNIVERSAL_CREDIT,
        level=level,
        message=message,
        period_start=start,
        period_end=end,
        counted_pence=counted,
        limit_pence=allowance,
        estimated_reduction_pence=estimated,
        figures=_unique(figures, context.this.figures, earlier_figures),
    )


@dataclass(frozen=True)
class _WeeklyLimit:
    """A weekly limit (ESA, Carer's Allowance, the legacy disregards): the benefit week the
    payment falls in, the limit in force at the week's start and the earnings counted against it."""

    benefit: Benefit
    start: date
    end: date
    limit_pence: int
    before_pence: int  # earlier payments paid in the week
    counted_pence: int  # those, this payment and any other earnings the benefit adds
    figures: tuple[FigureUsed, ...]

    @property
    def week_text(self) -> str:
        """The week as the messages name it."""
        return f"your benefit week {_period_text(self.start, self.end)}"

    def result(
        self,
        level: Level,
        message: str,
        *,
        estimated_reduction_pence: int | None = None,
        hours: Decimal | None = None,
    ) -> BenefitResult:
        """The benefit's result for this week, with ``level`` and ``message``."""
        return BenefitResult(
            benefit=self.benefit,
            level=level,
            message=message,
            period_start=self.start,
            period_end=self.end,
            counted_pence=self.counted_pence,
            limit_pence=self.limit_pence,
            estimated_reduction_pence=estimated_reduction_pence,
            hours=hours,
            figures=self.figures,
        )


def _weekly_limit(
    benefit: Benefit,
    limit_key: str,
    week_start: WeekStart,
    context: _Context,
    rules: RuleSet,
    *,
    other_pence: int = 0,
) -> _WeeklyLimit:
    """The limit under ``limit_key`` for the benefit week the payment is paid in."""
    start, end = benefit_week(week_start, context.payment.paid_on)
    limit_figure = rules.in_force(limit_key, start)
    before, earlier_figures = context.earlier_in(start, end)
    return _WeeklyLimit(
        benefit=benefit,
        start=start,
        end=end,
        limit_pence=limit_figure.value,
        before_pence=before,
        counted_pence=other_pence + before + context.this.pence,
        figures=_unique([_used(limit_figure)], context.this.figures, earlier_figures),
    )


def _esa_hours(esa_week_start: WeekStart, context: _Context, earlier: Sequence[Payment]) -> Decimal:
    def worked(payment: Payment) -> Iterable[tuple[date, Decimal]]:
        for line in payment.lines:
            if isinstance(line, Fee):
                yield line.worked_on or payment.paid_on, line.hours or Decimal(0)

    this_weeks = {benefit_week(esa_week_start, day)[0] for day, _hours in worked(context.payment)}
    if not this_weeks:
        return Decimal(0)
    totals = dict.fromkeys(this_weeks, Decimal(0))
    for payment in (*earlier, context.payment):
        for day, hours in worked(payment):
            week = benefit_week(esa_week_start, day)[0]
            if week in totals:
                totals[week] += hours
    return max(totals.values())


def _esa(
    esa: Esa, week_start: WeekStart, context: _Context, earlier: Sequence[Payment], rules: RuleSet
) -> BenefitResult:
    weekly = _weekly_limit(Benefit.ESA, "esa.permitted_work.higher", week_start, context, rules)
    counted, limit, week = weekly.counted_pence, weekly.limit_pence, weekly.week_text
    hours = _esa_hours(week_start, context, earlier)
    hours_apply = not esa.supported_permitted_work
    hours_text = f"{hours.normalize():f}"
    if context.this.pence == 0:
        level = Level.CLEAR
        message = NOT_EARNINGS.format(benefit="ESA")
    elif counted > limit:
        level = Level.STOPS
        message = (
            f"Your earnings in {week} would be {format_pence(counted)}, above the permitted work "
            f"limit of {format_pence(limit)}. ESA is not paid for a week over the limit, and "
            "it can end the award."
        )
    elif hours_apply and hours >= ESA_HOURS_LIMIT:
        level = Level.STOPS
        message = (
            f"The work would add up to {hours_text} hours in one benefit week. Permitted work "
            "must be under 16 hours a week (unless it is supported permitted work); ESA is not "
            "paid for a week of 16 hours or more, and it can end the award."
        )
    elif _at_least(counted, limit, NEAR_WEEKLY_CLIFF) or (hours_apply and hours >= ESA_HOURS_NEAR):
        level = Level.NEAR
        worked = f" and the work {hours_text} hours in its busiest week" if hours else ""
        message = (
            f"Your earnings in {week} would be {format_pence(counted)}{worked}: close to the "
            "permitted work limits of "
            f"{format_pence(limit)} a week"
            f"{' and under 16 hours' if hours_apply else ''}. More work or payments in the same "
            "week could take you over."
        )
    else:
        level = Level.CLEAR
        message = (
            f"Your earnings in {week} would be {format_pence(counted)}, within the permitted "
            f"work limit of {format_pence(limit)} a week"
            f"{', and the hours under 16' if hours_apply else ''}. Permitted work is reported "
            "to DWP on form PW1 before it starts."
        )
    return weekly.result(level, message, hours=hours)


def _carers_allowance(
    ca: CarersAllowance, week_start: WeekStart, context: _Context, rules: RuleSet
) -> BenefitResult:
    # Earnings from other work count towards the same weekly limit.
    weekly = _weekly_limit(
        Benefit.CARERS_ALLOWANCE,
        "ca.earnings_limit",
        week_start,
        context,
        rules,
        other_pence=ca.other_weekly_earnings_pence,
    )
    counted, limit, week = weekly.counted_pence, weekly.limit_pence, weekly.week_text
    if context.this.pence == 0:
        level = Level.CLEAR
        message = NOT_EARNINGS.format(benefit="Carer's Allowance")
    elif counted > limit:
        level = Level.STOPS
        message = (
            f"Your earnings in {week}, with your other work, would be {format_pence(counted)}: "
            f"{format_pence(counted - limit)} above the Carer's Allowance earnings limit of "
            f"{format_pence(limit)}. Carer's Allowance is not paid for a week over the limit, "
            "even by 1p."
        )
    elif _at_least(counted, limit, NEAR_WEEKLY_CLIFF):
        level = Level.NEAR
        message = (
            f"Your earnings in {week}, with your other work, would be {format_pence(counted)}: "
            f"close to the Carer's Allowance earnings limit of {format_pence(limit)}. Exactly "
            "at the limit is not over it, but 1p more in the same week would be."
        )
    else:
        level = Level.CLEAR
        message = (
            f"Your earnings in {week}, with your other work, would be {format_pence(counted)}, "
            f"within the Carer's Allowance earnings limit of {format_pence(limit)}."
        )
    return weekly.result(level, message)


def _pound_for_pound(
    benefit: Benefit,
    disregard: Disregard,
    week_start: WeekStart,
    context: _Context,
    rules: RuleSet,
) -> BenefitResult:
    weekly = _weekly_limit(
        benefit, f"legacy.disregard.{disregard.value}", week_start, context, rules
    )
    counted, limit, week = weekly.counted_pence, weekly.limit_pence, weekly.week_text
    estimated = max(0, counted - limit) - max(0, weekly.before_pence - limit)
    name = benefit.label
    if context.this.pence == 0:
        level = Level.CLEAR
        message = NOT_EARNINGS.format(benefit=name)
    elif counted > limit:
        level = Level.REDUCES
        message = (
            f"Your earnings in {week} would be {format_pence(counted)}. The first "
            f"{format_pence(limit)} a week is disregarded; {name} goes down by £1 for each £1 "
            f"above it, so this payment may lower it by about {format_pence(estimated)}."
        )
    elif _at_least(counted, limit, NEAR_DISREGARD):
        level = Level.NEAR
        message = (
            f"Your earnings in {week} would be {format_pence(counted)}, close to the "
            f"{format_pence(limit)} a week that {name} disregards. Above it, {name} goes down "
            "£1 for each £1."
        )
    else:
        level = Level.CLEAR
        message = (
            f"Your earnings in {week} would be {format_pence(counted)}, within the "
            f"{format_pence(limit)} a week that {name} disregards."
        )
    return weekly.result(level, message, estimated_reduction_pence=estimated)


def _council_tax_reduction(context: _Context) -> BenefitResult:
    if context.this.pence == 0:
        return BenefitResult(
            Benefit.COUNCIL_TAX_REDUCTION,
            Level.CLEAR,
            NOT_EARNINGS.format(benefit="Council Tax Reduction"),
        )
    return BenefitResult(
        Benefit.COUNCIL_TAX_REDUCTION,
        Level.CHECK,
        "Each council sets its own Council Tax Reduction rules, so we cannot work this out. "
        "Check with your council how payments like this are treated.",
    )


def _not_affected(benefit: Benefit) -> BenefitResult:
    return BenefitResult(
        benefit,
        Level.CLEAR,
        f"{benefit.label} is not affected by earnings, so this payment does not change it. A "
        "change in what you can do day to day is something to report.",
    )


def check_payment(
    profile: Profile, earlier: Sequence[Payment], payment: Payment, rules: RuleSet
) -> BenefitCheck:
    """What ``payment`` means for each benefit in ``profile``, given ``earlier`` payments.

    Raises :class:`MissingFigure` when ``rules`` has no figure for a key on a date needed.
    """
    this = _earnings(payment, rules)
    context = _Context(
        payment=payment,
        this=this,
        earlier=tuple((each, _earnings(each, rules)) for each in earlier),
    )
    week_start = profile.week_start
    results: list[BenefitResult] = []
    if profile.universal_credit is not None:
        results.append(_universal_credit(profile.universal_credit, context, rules))
    if profile.esa is not None:
        results.append(_esa(profile.esa, week_start, context, earlier, rules))
    if profile.carers_allowance is not None:
        results.append(_carers_allowance(profile.carers_allowance, week_start, context, rules))
    if profile.pension_credit is not None:
        results.append(
            _pound_for_pound(
                Benefit.PENSION_CREDIT, profile.pension_credit.disregard, week_start, context, rules
            )
        )
    if profile.housing_benefit is not None:
        results.append(
            _pound_for_pound(
                Benefit.HOUSING_BENEFIT,
                profile.housing_benefit.disregard,
                week_start,
                context,
                rules,
            )
        )
    if profile.council_tax_reduction:
        results.append(_council_tax_reduction(context))
    for benefit in (Benefit.PIP, Benefit.DLA, Benefit.ATTENDANCE_ALLOWANCE):
        if getattr(profile, benefit.value):
            results.append(_not_affected(benefit))
    return BenefitCheck(
        level=most_severe(result.level for result in results),
        earnings_like_pence=this.pence,
        benefits=tuple(results),
        figures=_unique(this.figures, *(result.figures for result in results)),
    )


# --- the SCENARIOS.md format -------------------------------------------------------------------


class ScenarioError(ValueError):
    """A scenario that cannot be checked; ``str()`` is one line naming the scenario and field."""

    def __init__(self, scenario_id: str, field: str, problem: str) -> None:
        super().__init__(f"scenario {scenario_id}: {field}: {problem}")
        self.scenario_id = scenario_id
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class Scenario:
    """One case of the SCENARIOS.md format."""

    id: str
    profile: Profile
    earlier_payments: tuple[Payment, ...]
    payment: Payment


class _Reader:
    """Reads fields of decoded JSON, raising ScenarioError with the scenario and field path."""

    def __init__(self, scenario_id: str) -> None:
        self.scenario_id = scenario_id

    def fail(self, path: str, problem: str) -> ScenarioError:
        return ScenarioError(self.scenario_id, path, problem)

    def mapping(self, value: object, path: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, "must be an object")
        return value

    def items(self, value: object, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(path, "must be a list")
        return value

    def required(self, data: Mapping[str, Any], name: str, path: str) -> Any:
        if name not in data or data[name] is None:
            raise self.fail(f"{path}.{name}" if path else name, "is missing")
        return data[name]

    def pence(
        self, data: Mapping[str, Any], name: str, path: str, default: int | None = None
    ) -> int:
        where = f"{path}.{name}"
        if name not in data and default is not None:
            return default
        value = self.required(data, name, path)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, "must be a whole number of pence")
        if value < 0:
            raise self.fail(where, "cannot be negative")
        if value > MAX_PENCE:
            raise self.fail(where, f"must be {MAX_PENCE} pence or less")
        return value

    def number(
        self, data: Mapping[str, Any], name: str, path: str, *, optional: bool = False
    ) -> Decimal | None:
        where = f"{path}.{name}"
        if optional and data.get(name) is None:
            return None
        value = self.required(data, name, path)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, "must be a number")
        try:
            number = Decimal(str(value))
        except InvalidOperation as error:  # pragma: no cover - json numbers are finite
            raise self.fail(where, "must be a number") from error
        if not number.is_finite():
            raise self.fail(where, "must be a number")
        if number < 0:
            raise self.fail(where, "cannot be negative")
        if number > MAX_NUMBER:
            raise self.fail(where, f"must be {MAX_NUMBER} or less")
        return number

    def boolean(
        self, data: Mapping[str, Any], name: str, path: str, default: bool | None = None
    ) -> bool:
        if name not in data and default is not None:
            return default
        value = self.required(data, name, path)
        if not isinstance(value, bool):
            raise self.fail(f"{path}.{name}", "must be true or false")
        return value

    def date(
        self, data: Mapping[str, Any], name: str, path: str, *, optional: bool = False
    ) -> date | None:
        where = f"{path}.{name}"
        if optional and data.get(name) is None:
            return None
        value = self.required(data, name, path)
        if not isinstance(value, str):
            raise self.fail(where, "must be a date like 2026-12-01")
        try:
            if not ISO_DATE.fullmatch(value):
                raise ValueError(value)
            parsed = date.fromisoformat(value)
        except ValueError as error:
            raise self.fail(where, f"{value!r} is not a date like 2026-12-01") from error
        if not EARLIEST_DATE <= parsed <= LATEST_DATE:
            raise self.fail(
                where,
                f"{value!r} must be from {EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()}",
            )
        return parsed

    def choice(
        self,
        data: Mapping[str, Any],
        name: str,
        path: str,
        kind: type[_E],
        allowed: Iterable[_E] | None = None,
    ) -> _E:
        value = self.required(data, name, path)
        options = tuple(allowed) if allowed is not None else tuple(kind)
        if value not in {option.value for option in options}:
            names = ", ".join(option.value for option in options)
            raise self.fail(f"{path}.{name}", f"{value!r} is not one of {names}")
        return kind(value)

    def no_unknown(
        self, data: Mapping[str, Any], known: Iterable[str], path: str, what: str
    ) -> None:
        for name in data:
            if name not in known:
                raise self.fail(f"{path}.{name}" if path else name, f"unknown {what}")


PROFILE_FIELDS = {benefit.value for benefit in Benefit} | {"week_start"}
# The fields each benefit's object may hold (those not named hold none).
BENEFIT_FIELDS: dict[str, tuple[str, ...]] = {
    Benefit.UNIVERSAL_CREDIT.value: ("assessment_period_start_day", "work_allowance"),
    Benefit.ESA.value: ("supported_permitted_work",),
    Benefit.CARERS_ALLOWANCE.value: ("other_weekly_earnings_pence",),
    Benefit.PENSION_CREDIT.value: ("disregard",),
    Benefit.HOUSING_BENEFIT.value: ("disregard",),
}


def _parse_profile(reader: _Reader, value: object, path: str = "profile") -> Profile:
    data = reader.mapping(value, path)
    for name in data:
        if name not in PROFILE_FIELDS:
            raise reader.fail(f"{path}.{name}", "unknown benefit")

    def part(name: str) -> Mapping[str, Any] | None:
        if name not in data:
            return None
        where = f"{path}.{name}"
        benefit_data = reader.mapping(data[name], where)
        reader.no_unknown(benefit_data, BENEFIT_FIELDS.get(name, ()), where, "field")
        return benefit_data

    universal_credit = esa = carers = pension = housing = None
    if (uc := part("universal_credit")) is not None:
        where = f"{path}.universal_credit"
        start_day = reader.required(uc, "assessment_period_start_day", where)
        if (
            isinstance(start_day, bool)
            or not isinstance(start_day, int)
            or not 1 <= start_day <= 31
        ):
            raise reader.fail(f"{where}.assessment_period_start_day", "must be a day from 1 to 31")
        universal_credit = UniversalCredit(
            assessment_period_start_day=start_day,
            work_allowance=reader.choice(uc, "work_allowance", where, WorkAllowance),
        )
    if (esa_data := part("esa")) is not None:
        esa = Esa(
            supported_permitted_work=reader.boolean(
                esa_data, "supported_permitted_work", f"{path}.esa", default=False
            )
        )
    if (ca := part("carers_allowance")) is not None:
        carers = CarersAllowance(
            other_weekly_earnings_pence=reader.pence(
                ca, "other_weekly_earnings_pence", f"{path}.carers_allowance", default=0
            )
        )
    if (pc := part("pension_credit")) is not None:
        pension = PensionCredit(
            reader.choice(
                pc, "disregard", f"{path}.pension_credit", Disregard, PENSION_CREDIT_DISREGARDS
            )
        )
    if (hb := part("housing_benefit")) is not None:
        housing = HousingBenefit(
            reader.choice(hb, "disregard", f"{path}.housing_benefit", Disregard)
        )
    for name in ("council_tax_reduction", "pip", "dla", "attendance_allowance"):
        part(name)
    week_start = (
        reader.choice(data, "week_start", path, WeekStart)
        if "week_start" in data
        else WeekStart.MONDAY
    )
    return Profile(
        universal_credit=universal_credit,
        esa=esa,
        carers_allowance=carers,
        pension_credit=pension,
        housing_benefit=housing,
        council_tax_reduction="council_tax_reduction" in data,
        pip="pip" in data,
        dla="dla" in data,
        attendance_allowance="attendance_allowance" in data,
        week_start=week_start,
    )


LINE_KINDS = ("fee", "voucher", "expense", "mileage")
# The fields each kind of line may hold, besides ``kind``.
LINE_FIELDS: dict[str, tuple[str, ...]] = {
    "fee": ("amount_pence", "hours", "worked_on"),
    "voucher": ("amount_pence",),
    "expense": ("amount_pence", "receipted"),
    "mileage": ("miles", "vehicle", "rate_pence"),
}
PAYMENT_FIELDS = ("paid_on", "lines")


def _parse_line(reader: _Reader, value: object, path: str) -> Line:
    data = reader.mapping(value, path)
    kind = reader.required(data, "kind", path)
    if isinstance(kind, str) and kind in LINE_FIELDS:
        article = "an" if kind[0] in "aeiou" else "a"
        reader.no_unknown(
            data, ("kind", *LINE_FIELDS[kind]), path, f"field for {article} {kind} line"
        )
    if kind == "fee":
        return Fee(
            amount_pence=reader.pence(data, "amount_pence", path),
            hours=reader.number(data, "hours", path, optional=True),
            worked_on=reader.date(data, "worked_on", path, optional=True),
        )
    if kind == "voucher":
        return Voucher(amount_pence=reader.pence(data, "amount_pence", path))
    if kind == "expense":
        return Expense(
            amount_pence=reader.pence(data, "amount_pence", path),
            receipted=reader.boolean(data, "receipted", path),
        )
    if kind == "mileage":
        miles = reader.number(data, "miles", path)
        rate = reader.number(data, "rate_pence", path)
        assert miles is not None and rate is not None
        return Mileage(
            miles=miles, vehicle=reader.choice(data, "vehicle", path, Vehicle), rate_pence=rate
        )
    raise reader.fail(f"{path}.kind", f"unknown line kind {kind!r} (use {', '.join(LINE_KINDS)})")


def _parse_payment(reader: _Reader, value: object, path: str) -> Payment:
    data = reader.mapping(value, path)
    reader.no_unknown(data, PAYMENT_FIELDS, path, "field")
    paid_on = reader.date(data, "paid_on", path)
    assert paid_on is not None
    lines = reader.items(data.get("lines", []), f"{path}.lines")
    return Payment(
        paid_on=paid_on,
        lines=tuple(
            _parse_line(reader, line, f"{path}.lines[{index}]") for index, line in enumerate(lines)
        ),
    )


def parse_profile(data: object, *, scenario_id: str = "-") -> Profile:
    """A :class:`Profile` from the SCENARIOS.md ``profile`` object (ScenarioError if bad)."""
    return _parse_profile(_Reader(scenario_id), data)


def parse_payment(data: object, *, scenario_id: str = "-", path: str = "payment") -> Payment:
    """A :class:`Payment` from a SCENARIOS.md payment object (ScenarioError if bad)."""
    return _parse_payment(_Reader(scenario_id), data, path)


def parse_scenario(data: object, *, position: int | None = None) -> Scenario:
    """A :class:`Scenario` from one decoded SCENARIOS.md object (ScenarioError if bad).

    ``position`` (0-based) names a scenario that has no usable id.
    """
    fallback = f"#{position + 1}" if position is not None else "(no id)"
    if not isinstance(data, dict):
        raise ScenarioError(fallback, "scenario", "must be an object")
    raw_id = data.get("id")
    if not isinstance(raw_id, str) or not raw_id.strip():
        raise ScenarioError(fallback, "id", "is missing" if raw_id is None else "must be text")
    reader = _Reader(raw_id)
    reader.no_unknown(data, ("id", "profile", "earlier_payments", "payment"), "", "field")
    profile = _parse_profile(reader, reader.required(data, "profile", ""))
    earlier = reader.items(data.get("earlier_payments", []), "earlier_payments")
    return Scenario(
        id=raw_id,
        profile=profile,
        earlier_payments=tuple(
            _parse_payment(reader, each, f"earlier_payments[{index}]")
            for index, each in enumerate(earlier)
        ),
        payment=_parse_payment(reader, reader.required(data, "payment", ""), "payment"),
    )


def parse_scenarios(data: object) -> list[Scenario]:
    """Every scenario of a decoded SCENARIOS.md array, in order (ScenarioError at the first bad)."""
    if not isinstance(data, list):
        raise ScenarioError("(file)", "scenarios", "must be a JSON array of scenarios")
    return [parse_scenario(each, position=index) for index, each in enumerate(data)]


def check_scenario(scenario: Scenario, rules: RuleSet) -> BenefitCheck:
    """:func:`check_payment` for a parsed scenario."""
    return check_payment(scenario.profile, scenario.earlier_payments, scenario.payment, rules)


def _figure_to_dict(figure: FigureUsed) -> dict[str, object]:
    return {
        "key": figure.key,
        "effective_from": figure.effective_from.isoformat(),
        "value": figure.value,
        "confidence": figure.confidence.value,
        "awaiting_confirmation": figure.awaiting_confirmation,
    }


def result_to_dict(result: BenefitResult) -> dict[str, object]:
    """One SCENARIOS.md ``benefits`` entry (fields that do not apply are left out)."""
    out: dict[str, object] = {"benefit": result.benefit.value, "level": result.level.value}
    if result.period_start is not None and result.period_end is not None:
        out["period_start"] = result.period_start.isoformat()
        out["period_end"] = result.period_end.isoformat()
    for name in ("counted_pence", "limit_pence", "estimated_reduction_pence"):
        if (value := getattr(result, name)) is not None:
            out[name] = value
    if result.hours is not None:
        out["hours"] = float(result.hours)
    out["message"] = result.message
    out["figures"] = [_figure_to_dict(figure) for figure in result.figures]
    out["awaiting_confirmation"] = result.awaiting_confirmation
    return out


def check_to_dict(check: BenefitCheck, scenario_id: str | None = None) -> dict[str, object]:
    """The SCENARIOS.md output object (with ``id`` first when given)."""
    out: dict[str, object] = {} if scenario_id is None else {"id": scenario_id}
    out["level"] = check.level.value
    out["earnings_like_pence"] = check.earnings_like_pence
    out["benefits"] = [result_to_dict(result) for result in check.benefits]
    out["figures"] = [_figure_to_dict(figure) for figure in check.figures]
    out["awaiting_confirmation"] = check.awaiting_confirmation
    return out
