"""The benefits check for claims: a claim's lines as the engine's payment, the person's other
payments around the date, the rules from the database; and the short badge finance sees (the
expected payment date is ``payclaims/benefits/payment_dates.py``).

For everyone else:

- ``check_claim(claim, paid_on)`` -> ``BenefitCheck | None`` (None: the person has no profile);
- ``check_claims(claims, paid_on)`` -> ``{claim id: BenefitCheck | None}`` in a fixed number of
  queries, for lists (the finance queue, a payment run);
- ``badge_text(check)`` -> "UC: about £12.65 less" (None when clear).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from payclaims.benefits.engine.check import check_payment
from payclaims.benefits.engine.types import (
    Benefit,
    BenefitCheck,
    BenefitResult,
    Expense,
    Fee,
    FigureUsed,
    Level,
    Line,
    Mileage,
    Payment,
    RuleSet,
    Vehicle,
)
from payclaims.benefits.payment_dates import next_payment_date
from payclaims.benefits.profile.models import BENEFIT_SHORT_LABELS, BenefitProfile, FeeChoice
from payclaims.benefits.profile.services import engine_profile
from payclaims.benefits.rules.catalogue import RULE_KEYS_BY_KEY, RulePeriod, RuleUnit
from payclaims.benefits.rules.store import load_rule_set
from payclaims.claims.models import HUNDREDTHS, Claim, ClaimLine, ClaimStatus, LineKind
from payclaims.claims.rates import TENTHS, RateKey, rate_on
from payclaims.dates import format_date
from payclaims.extensions import db
from payclaims.money import format_pence
from payclaims.roles.expenses import ExpenseCategory
from payclaims.roles.models import FeeUnit

# Claims counted as other payments: paid (on their date) and those approved to be paid.
PENDING_STATUSES = (ClaimStatus.APPROVED, ClaimStatus.SCHEDULED)
# Payments this far either side of the date can share a period with it (a UC assessment period
# is at most 31 days; ESA hours look back to the weeks the fees were worked in).
WINDOW_BEFORE = timedelta(days=120)
WINDOW_AFTER = timedelta(days=40)


# A claim as the engine's payment ----------------------------------------------------------


def _fee_hours(line: ClaimLine) -> Decimal | None:
    """Hours worked for an hourly role's line (units and preparation); None otherwise."""
    version = line.rate_version
    if version is None or version.fee_unit is not FeeUnit.HOUR:
        return None
    return Decimal(line.units_hundredths or 0) / HUNDREDTHS + line.prep_hours


def _fee_lines(claim: Claim) -> list[Fee]:
    """The fee lines with the fee choice applied: none for expenses only; a reduced fee shared
    across the lines in proportion to their amounts (the last line takes the rounding)."""
    lines = claim.fee_lines
    if claim.fee_choice is FeeChoice.EXPENSES_ONLY or not lines:
        return []
    approved = sum(line.payable_pence for line in lines)
    to_pay = claim.approved_fee_pence
    fees: list[Fee] = []
    shared = 0
    for index, line in enumerate(lines):
        if index == len(lines) - 1:
            amount = to_pay - shared
        elif approved:
            amount = line.payable_pence * to_pay // approved
        else:
            amount = 0
        shared += amount
        fees.append(Fee(amount_pence=amount, hours=_fee_hours(line), worked_on=line.session_on))
    return fees


def _mileage(line: ClaimLine) -> Mileage | None:
    """A mileage line with the rate paid a mile (passengers' 5p a mile taken off first)."""
    if line.vehicle is None or not line.miles_tenths:
        return None
    miles = Decimal(line.miles_tenths) / TENTHS
    passengers = miles * (line.passengers or 0) * rate_on(RateKey.PASSENGER, line.session_on)
    rate = max(Decimal(0), Decimal(line.payable_pence) - passengers) / miles
    return Mileage(miles=miles, vehicle=Vehicle(line.vehicle.value), rate_pence=rate)


def claim_lines(claim: Claim) -> tuple[Line, ...]:
    """The claim's lines as the engine reads them, amounts as finance will pay them."""
    lines: list[Line] = list(_fee_lines(claim))
    for line in claim.lines:
        if line.kind is not LineKind.EXPENSE:
            continue
        mileage = _mileage(line) if line.category is ExpenseCategory.MILEAGE else None
        if mileage is not None:
            lines.append(mileage)
        else:
            lines.append(Expense(amount_pence=line.payable_pence, receipted=bool(line.receipts)))
    return tuple(lines)


def claim_payment(claim: Claim, paid_on: date) -> Payment:
    """The claim as a payment on ``paid_on``."""
    return Payment(paid_on=paid_on, lines=claim_lines(claim))


# Other payments to the person ---------------------------------------------------------------


# What a list of claims should load for check_claims: select(Claim).options(*CHECK_LOAD_OPTIONS).
CHECK_LOAD_OPTIONS = (
    selectinload(Claim.lines).options(
        joinedload(ClaimLine.rate_version), selectinload(ClaimLine.receipts)
    ),
)


def _other_claims(person_ids: Iterable[int], paid_on: date) -> list[Claim]:
    """Paid claims near ``paid_on`` and approved ones waiting to be paid, with their lines."""
    return list(
        db.session.scalars(
            select(Claim)
            .where(
                Claim.person_id.in_(set(person_ids)),
                or_(
                    Claim.status.in_(PENDING_STATUSES),
                    (Claim.status == ClaimStatus.PAID)
                    & Claim.paid_on.between(paid_on - WINDOW_BEFORE, paid_on + WINDOW_AFTER),
                ),
            )
            .options(*CHECK_LOAD_OPTIONS)
            .order_by(Claim.id)
        )
    )


def _as_earlier(claim: Claim, paid_on: date) -> Payment:
    """A paid claim on its date; an approved one on ``paid_on`` (the same run)."""
    on = claim.paid_on if claim.status is ClaimStatus.PAID and claim.paid_on else paid_on
    return claim_payment(claim, on)


# The checks ---------------------------------------------------------------------------------


def _profiles(person_ids: Iterable[int]) -> dict[int, BenefitProfile]:
    return {
        profile.person_id: profile
        for profile in db.session.scalars(
            select(BenefitProfile).where(BenefitProfile.person_id.in_(set(person_ids)))
        )
    }


def check_claims(
    claims: Sequence[Claim], paid_on: date, *, rules: RuleSet | None = None
) -> dict[int, BenefitCheck | None]:
    """Each claim checked as if paid on ``paid_on`` (None where the person has no profile), in
    a fixed number of queries whatever the number of claims.

    The person's other payments count: claims paid near the date on the day they were paid,
    and approved or scheduled claims (other than the one checked) as paid on ``paid_on`` too.
    Load ``claims`` with their lines, each line's ``rate_version`` and ``receipts`` (see
    ``CHECK_LOAD_OPTIONS``), or each claim costs a few more queries.
    """
    if not claims:
        return {}
    person_ids = {claim.person_id for claim in claims}
    profiles = _profiles(person_ids)
    if not profiles:
        return {claim.id: None for claim in claims}
    rules = rules or load_rule_set()
    others: dict[int, list[Claim]] = {}
    for other in _other_claims(profiles, paid_on):
        others.setdefault(other.person_id, []).append(other)
    results: dict[int, BenefitCheck | None] = {}
    for claim in claims:
        profile = profiles.get(claim.person_id)
        if profile is None:
            results[claim.id] = None
            continue
        earlier = [
            _as_earlier(other, paid_on)
            for other in others.get(claim.person_id, [])
            if other.id != claim.id
        ]
        results[claim.id] = check_payment(
            engine_profile(profile), earlier, claim_payment(claim, paid_on), rules
        )
    return results


def check_claim(
    claim: Claim, paid_on: date, *, rules: RuleSet | None = None
) -> BenefitCheck | None:
    """What paying ``claim`` on ``paid_on`` is likely to do to each of the person's benefits;
    None when they have no benefits profile."""
    return check_claims([claim], paid_on, rules=rules)[claim.id]


# Words --------------------------------------------------------------------------------------


def short_name(benefit: Benefit) -> str:
    """'UC', 'ESA', "Carer's Allowance"."""
    return BENEFIT_SHORT_LABELS.get(benefit, benefit.label)


def result_badge(result: BenefitResult) -> str | None:
    """One benefit's effect in a few words, or None when it is clear."""
    name = short_name(result.benefit)
    reduction = result.estimated_reduction_pence
    if result.level is Level.STOPS:
        return f"{name}: this week's payment could stop"
    if result.level is Level.REDUCES:
        if reduction:
            return f"{name}: about {format_pence(reduction)} less"
        return f"{name}: could be less"
    if result.level is Level.NEAR:
        return f"{name}: close to the limit"
    if result.level is Level.CHECK:
        return f"{name}: check with the council"
    return None


def badge_text(check: BenefitCheck | None) -> str | None:
    """The check in a few words for a list of claims, most severe first: 'UC: about £12.65
    less; Carer's Allowance: this week's payment could stop'. None when nothing to flag."""
    if check is None:
        return None
    results = sorted(check.benefits, key=lambda result: -result.level.severity)
    texts = [text for text in map(result_badge, results) if text]
    return "; ".join(texts) or None


def figure_text(figure: FigureUsed) -> str:
    """A figure used, in words: 'Universal Credit work allowance, higher (no housing costs):
    £710.00 a month, from 6 April 2026'."""
    rule = RULE_KEYS_BY_KEY.get(figure.key)
    title = rule.title if rule else figure.key
    if rule is not None and rule.unit is RuleUnit.BASIS_POINTS:
        value = f"{Decimal(figure.value) / 100:f}%"
    elif rule is not None and rule.period is RulePeriod.PER_MILE:
        value = f"{figure.value}p a mile"
    else:
        value = format_pence(figure.value)
        if rule is not None:
            value = f"{value} {rule.period.label}"
    return f"{title}: {value}, from {format_date(figure.effective_from)}"


# The panel shown before a claim is sent -----------------------------------------------------

# Levels that show the panel on the claim form, and that the sender must confirm reading.
PANEL_LEVELS = frozenset({Level.NEAR, Level.REDUCES, Level.STOPS})


@dataclass(frozen=True)
class ClaimPanel:
    """What the claim form shows about benefits: the date assumed, and the check."""

    paid_on: date
    check: BenefitCheck

    @property
    def shows(self) -> bool:
        """Whether the panel shows (near, reduces or stops for a benefit)."""
        return self.check.level in PANEL_LEVELS

    @property
    def results(self) -> list[BenefitResult]:
        """The benefits to talk about: those not clear, most severe first."""
        flagged = [result for result in self.check.benefits if result.level is not Level.CLEAR]
        return sorted(flagged, key=lambda result: -result.level.severity)

    @property
    def benefits(self) -> frozenset[Benefit]:
        """The benefits the check covered."""
        return frozenset(result.benefit for result in self.check.benefits)

    @property
    def figures(self) -> list[str]:
        """Every figure used, in words, with "(figure awaiting confirmation)" where S2 or I."""
        return [
            figure_text(figure)
            + (" (figure awaiting confirmation)" if figure.awaiting_confirmation else "")
            for figure in self.check.figures
        ]


def claim_panel(claim: Claim, *, viewer_id: int, today: date) -> ClaimPanel | None:
    """The benefits panel for the claim's own person, as if paid on the next payment date with
    the current fee choice; None for anyone else, or when the person has no profile."""
    if viewer_id != claim.person_id:
        return None
    paid_on = next_payment_date(today)
    check = check_claim(claim, paid_on)
    return None if check is None else ClaimPanel(paid_on=paid_on, check=check)


def sending_warning(claim: Claim, *, actor_id: int, today: date) -> Level | None:
    """The level of the panel the sender must confirm reading before sending; None if none."""
    panel = claim_panel(claim, viewer_id=actor_id, today=today)
    return panel.check.level if panel is not None and panel.shows else None
