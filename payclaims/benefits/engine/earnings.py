"""What counts as earnings, and the helpers every benefit's check shares."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from payclaims.benefits.engine.types import (
    Expense,
    Fee,
    Figure,
    FigureUsed,
    Payment,
    RuleSet,
    Voucher,
)


def round_pence(amount: Decimal) -> int:
    """An amount to the nearest penny, halves up."""
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Earnings:
    """A payment's earnings-like pence and the figures (mileage rates) that decided them."""

    pence: int
    figures: tuple[FigureUsed, ...]


def used_figure(figure: Figure) -> FigureUsed:
    """The figure as a check reports it."""
    return FigureUsed(figure.key, figure.effective_from, figure.value, figure.confidence)


def payment_earnings(payment: Payment, rules: RuleSet) -> Earnings:
    """What of ``payment`` counts as earnings, with the figures used."""
    total = 0
    figures: list[FigureUsed] = []
    for line in payment.lines:
        if isinstance(line, Fee | Voucher):
            total += line.amount_pence
        elif isinstance(line, Expense):
            total += 0 if line.receipted else line.amount_pence
        else:
            hmrc = rules.in_force(f"hmrc.mileage.{line.vehicle.value}", payment.paid_on)
            figures.append(used_figure(hmrc))
            total += max(0, round_pence((line.rate_pence - hmrc.value) * line.miles))
    return Earnings(total, tuple(dict.fromkeys(figures)))


def earnings_like_pence(payment: Payment, rules: RuleSet) -> int:
    """What of ``payment`` counts as earnings: fees, vouchers, unreceipted expenses and mileage
    above the HMRC rate for the vehicle on the day it is paid."""
    return payment_earnings(payment, rules).pence


@dataclass(frozen=True)
class Context:
    """The payment checked, its earnings, and the earlier payments with theirs."""

    payment: Payment
    this: Earnings
    earlier: tuple[tuple[Payment, Earnings], ...]

    def earlier_in(self, start: date, end: date) -> tuple[int, tuple[FigureUsed, ...]]:
        """Earnings-like pence of earlier payments paid from ``start`` to ``end``, with figures."""
        pence = 0
        figures: list[FigureUsed] = []
        for payment, earnings in self.earlier:
            if start <= payment.paid_on <= end:
                pence += earnings.pence
                figures.extend(earnings.figures)
        return pence, tuple(figures)


def at_least(amount: int, limit: int, fraction: tuple[int, int]) -> bool:
    """Whether ``amount`` is at least ``fraction`` (numerator, denominator) of ``limit``."""
    numerator, denominator = fraction
    return amount * denominator >= limit * numerator


def unique_figures(*groups: Iterable[FigureUsed]) -> tuple[FigureUsed, ...]:
    """The figures of all the groups, each once, in first-seen order."""
    return tuple(dict.fromkeys(figure for group in groups for figure in group))


NOT_EARNINGS = (
    "This payment does not count as earnings (receipted expenses, and mileage at or below the "
    "HMRC rate, do not), so it does not change your {benefit}."
)
