"""The benefit rule catalogue: the keys the engine knows and the seed figures (one structure,
used by the tests; migration 0007 holds the same rows as literals, and a test checks they stay
equal). ``store.py`` loads the figures from the database as the engine's
:class:`~payclaims.benefits.engine.types.RuleSet`.

Source: ../shared/benefits/RULES.md (its table: figures from 2024-04-08, 2025-04-07 and
2026-04-06, the uprating dates of the benefit figures). Figures that follow the tax year
(``hmrc.mileage.*``, ``tax.trading_allowance``) start on 6 April, and the National Living Wage
on 1 April, the days they change; their values are those of RULES.md's columns.

Keep this module free of Flask and of the models (the engine's tests use it without an app).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta

from payclaims.benefits.engine.types import Confidence, Figure, RuleSet


class RuleUnit(enum.StrEnum):
    """What a rule's integer value counts."""

    PENCE = "pence"
    BASIS_POINTS = "basis_points"  # 5500 is 55%


class RulePeriod(enum.StrEnum):
    """What the value is per."""

    MONTHLY = "monthly"
    WEEKLY = "weekly"
    PER_MILE = "per_mile"
    PER_TAX_YEAR = "per_tax_year"
    HOURLY = "hourly"

    @property
    def label(self) -> str:
        """'a month', 'a week', 'a mile', 'a tax year', 'an hour'."""
        return {
            "monthly": "a month",
            "weekly": "a week",
            "per_mile": "a mile",
            "per_tax_year": "a tax year",
            "hourly": "an hour",
        }[self.value]

    @property
    def amount_label(self) -> str:
        """The label of a figure's amount field: 'Amount a month' ... 'Amount per hour'."""
        return {
            "monthly": "Amount a month",
            "weekly": "Amount a week",
            "per_mile": "Amount a mile",
            "per_tax_year": "Amount each tax year",
            "hourly": "Amount per hour",
        }[self.value]


@dataclass(frozen=True)
class RuleKey:
    """A rule the engine knows: its key, what it is in plain words, its unit and period."""

    key: str
    title: str
    unit: RuleUnit
    period: RulePeriod


RULE_KEYS: tuple[RuleKey, ...] = (
    RuleKey("uc.taper", "Universal Credit taper", RuleUnit.BASIS_POINTS, RulePeriod.MONTHLY),
    RuleKey(
        "uc.work_allowance.lower",
        "Universal Credit work allowance, lower (UC pays housing costs)",
        RuleUnit.PENCE,
        RulePeriod.MONTHLY,
    ),
    RuleKey(
        "uc.work_allowance.higher",
        "Universal Credit work allowance, higher (no housing costs)",
        RuleUnit.PENCE,
        RulePeriod.MONTHLY,
    ),
    RuleKey(
        "esa.permitted_work.higher",
        "ESA permitted work, higher limit (net, under 16 hours)",
        RuleUnit.PENCE,
        RulePeriod.WEEKLY,
    ),
    RuleKey(
        "esa.permitted_work.lower",
        "ESA permitted work, lower limit (any hours)",
        RuleUnit.PENCE,
        RulePeriod.WEEKLY,
    ),
    RuleKey(
        "ca.earnings_limit",
        "Carer's Allowance earnings limit (net)",
        RuleUnit.PENCE,
        RulePeriod.WEEKLY,
    ),
    RuleKey(
        "legacy.disregard.single",
        "Earnings disregard, single (Pension Credit, Housing Benefit)",
        RuleUnit.PENCE,
        RulePeriod.WEEKLY,
    ),
    RuleKey(
        "legacy.disregard.couple",
        "Earnings disregard, couple (Pension Credit, Housing Benefit)",
        RuleUnit.PENCE,
        RulePeriod.WEEKLY,
    ),
    RuleKey(
        "legacy.disregard.higher",
        "Earnings disregard, higher: disability or carer premium",
        RuleUnit.PENCE,
        RulePeriod.WEEKLY,
    ),
    RuleKey(
        "legacy.disregard.lone_parent",
        "Earnings disregard, lone parent (Housing Benefit)",
        RuleUnit.PENCE,
        RulePeriod.WEEKLY,
    ),
    RuleKey(
        "hmrc.mileage.car",
        "HMRC mileage rate, car or van (first 10,000 miles a tax year)",
        RuleUnit.PENCE,
        RulePeriod.PER_MILE,
    ),
    RuleKey(
        "hmrc.mileage.car_over_10000",
        "HMRC mileage rate, car or van (over 10,000 miles a tax year)",
        RuleUnit.PENCE,
        RulePeriod.PER_MILE,
    ),
    RuleKey(
        "hmrc.mileage.motorcycle",
        "HMRC mileage rate, motorcycle",
        RuleUnit.PENCE,
        RulePeriod.PER_MILE,
    ),
    RuleKey(
        "hmrc.mileage.bicycle", "HMRC mileage rate, bicycle", RuleUnit.PENCE, RulePeriod.PER_MILE
    ),
    RuleKey(
        "hmrc.mileage.passenger",
        "HMRC mileage rate, each passenger",
        RuleUnit.PENCE,
        RulePeriod.PER_MILE,
    ),
    RuleKey("tax.trading_allowance", "Trading allowance", RuleUnit.PENCE, RulePeriod.PER_TAX_YEAR),
    RuleKey("nlw.hourly", "National Living Wage", RuleUnit.PENCE, RulePeriod.HOURLY),
)
RULE_KEYS_BY_KEY = {rule_key.key: rule_key for rule_key in RULE_KEYS}


@dataclass(frozen=True)
class SeedFigure:
    """One seeded figure; ``effective_to`` is the day before the key's next figure."""

    key: str
    value: int
    effective_from: date
    confidence: Confidence
    source: str


S, S2, INFERRED = Confidence.S, Confidence.S2, Confidence.I
BENEFIT_YEARS = (date(2024, 4, 8), date(2025, 4, 7), date(2026, 4, 6))
TAX_YEARS = (date(2024, 4, 6), date(2025, 4, 6), date(2026, 4, 6))
NLW_YEARS = (date(2024, 4, 1), date(2025, 4, 1), date(2026, 4, 1))

UC_SOURCE = (
    "CPAG 'Universal credit rates 2024/25' and '2025/26'; gov.uk 'Proposed benefit and pension "
    "rates 2026 to 2027'; UC Regulations 2013 reg 22"
)
ESA_SOURCE = "gov.uk 'Permitted work factsheet'; 'Proposed benefit and pension rates 2026 to 2027'"
CA_SOURCE = (
    "gov.uk 'Carer's Allowance: eligibility'; Carers UK 'Carer's Allowance and the earnings limit'"
)
LEGACY_SOURCE = (
    "Pension Credit and Housing Benefit (State Pension Credit) regulations: earnings disregards"
)
HMRC_SOURCE = "HMRC EIM71155 (volunteer mileage); 'Proposed benefit and pension rates 2026 to 2027'"
TAX_SOURCE = "HMRC trading allowance (gov.uk 'Tax-free allowances on property and trading income')"
NLW_SOURCE = "gov.uk 'National Minimum Wage and National Living Wage rates'"


def _years(
    key: str,
    dates: tuple[date, date, date],
    values: tuple[int, int, int],
    confidences: tuple[Confidence, Confidence, Confidence],
    source: str,
) -> tuple[SeedFigure, ...]:
    return tuple(
        SeedFigure(key, value, start, confidence, source)
        for start, value, confidence in zip(dates, values, confidences, strict=True)
    )


SEED_FIGURES: tuple[SeedFigure, ...] = (
    *_years("uc.taper", BENEFIT_YEARS, (5500, 5500, 5500), (S, S, S), UC_SOURCE),
    *_years("uc.work_allowance.lower", BENEFIT_YEARS, (40400, 41100, 42700), (S, S, S2), UC_SOURCE),
    *_years(
        "uc.work_allowance.higher", BENEFIT_YEARS, (67300, 68400, 71000), (S, S, S2), UC_SOURCE
    ),
    *_years(
        "esa.permitted_work.higher",
        BENEFIT_YEARS,
        (18350, 19550, 20350),
        (S, S2, INFERRED),
        ESA_SOURCE + "; 2026: 16 x NLW £12.71, up to the next 50p",
    ),
    *_years("esa.permitted_work.lower", BENEFIT_YEARS, (2000, 2000, 2000), (S, S, S), ESA_SOURCE),
    *_years(
        "ca.earnings_limit",
        BENEFIT_YEARS,
        (15100, 19600, 20400),
        (S, S, S2),
        CA_SOURCE + "; 2026: 16 x NLW, up to the next £1",
    ),
    *_years("legacy.disregard.single", BENEFIT_YEARS, (500, 500, 500), (S, S, S), LEGACY_SOURCE),
    *_years("legacy.disregard.couple", BENEFIT_YEARS, (1000, 1000, 1000), (S, S, S), LEGACY_SOURCE),
    *_years("legacy.disregard.higher", BENEFIT_YEARS, (2000, 2000, 2000), (S, S, S), LEGACY_SOURCE),
    *_years(
        "legacy.disregard.lone_parent", BENEFIT_YEARS, (2500, 2500, 2500), (S, S, S), LEGACY_SOURCE
    ),
    *_years(
        "hmrc.mileage.car",
        TAX_YEARS,
        (45, 45, 55),
        (S, S, S2),
        HMRC_SOURCE + "; 2026: 55p backdated to 6 April 2026",
    ),
    *_years("hmrc.mileage.car_over_10000", TAX_YEARS, (25, 25, 25), (S, S, S), HMRC_SOURCE),
    *_years("hmrc.mileage.motorcycle", TAX_YEARS, (24, 24, 24), (S, S, S), HMRC_SOURCE),
    *_years("hmrc.mileage.bicycle", TAX_YEARS, (20, 20, 20), (S, S, S), HMRC_SOURCE),
    *_years("hmrc.mileage.passenger", TAX_YEARS, (5, 5, 5), (S, S, S), HMRC_SOURCE),
    *_years("tax.trading_allowance", TAX_YEARS, (100000, 100000, 100000), (S, S, S), TAX_SOURCE),
    *_years("nlw.hourly", NLW_YEARS, (1144, 1221, 1271), (S, S, S2), NLW_SOURCE),
)


def seed_figures() -> tuple[Figure, ...]:
    """The seed figures as engine Figures, ``effective_to`` the day before the key's next one."""
    figures: list[Figure] = []
    for index, seed in enumerate(SEED_FIGURES):
        following = SEED_FIGURES[index + 1] if index + 1 < len(SEED_FIGURES) else None
        effective_to = (
            following.effective_from - timedelta(days=1)
            if following is not None and following.key == seed.key
            else None
        )
        figures.append(
            Figure(seed.key, seed.value, seed.effective_from, effective_to, seed.confidence)
        )
    return tuple(figures)


def seed_rows() -> list[dict[str, object]]:
    """The seed figures as ``benefit_rules`` rows (unit and period from the key).

    Used by the tests that put the figures back; migration 0007 inserts the same rows, written
    out as literals (tests/benefits/test_rules.py checks they are equal).
    """
    return [
        {
            "key": figure.key,
            "value": figure.value,
            "unit": RULE_KEYS_BY_KEY[figure.key].unit.value,
            "period": RULE_KEYS_BY_KEY[figure.key].period.value,
            "effective_from": figure.effective_from,
            "effective_to": figure.effective_to,
            "source": seed.source,
            "confidence": figure.confidence.value,
            "note": "Seeded from RULES.md",
        }
        for seed, figure in zip(SEED_FIGURES, seed_figures(), strict=True)
    ]


def seed_rule_set() -> RuleSet:
    """The seed figures as a RuleSet, without a database (engine tests, examples)."""
    return RuleSet(seed_figures())
