"""The SCENARIOS.md format: decoded JSON read into the engine's types (ScenarioError when
bad), checked, and the answer written back out. Pure: used by the ``benefits-check`` command."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from payclaims.benefits.engine.check import check_payment
from payclaims.benefits.engine.types import (
    PENSION_CREDIT_DISREGARDS,
    Benefit,
    BenefitCheck,
    BenefitResult,
    CarersAllowance,
    Disregard,
    Esa,
    Expense,
    Fee,
    FigureUsed,
    HousingBenefit,
    Line,
    Mileage,
    Payment,
    PensionCredit,
    Profile,
    RuleSet,
    UniversalCredit,
    Vehicle,
    Voucher,
    WeekStart,
    WorkAllowance,
)

# What the scenario parser accepts: dates in this range (the engine's date arithmetic stays far
# from date.min and date.max), and amounts, miles, hours and rates up to these sizes.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
MAX_PENCE = 100_000_000_00  # £100 million
MAX_NUMBER = Decimal(1_000_000)  # miles, hours, pence a mile
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_E = TypeVar("_E", bound=enum.StrEnum)


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
