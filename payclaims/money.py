"""Money as integer pence: parsing what people type and showing amounts. No floats anywhere."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

PENCE_PER_POUND = 100
# Digits with an optional decimal point: Decimal alone would also take "1e3", "1_000", "+5".
AMOUNT_FORMAT = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)")
# The largest amount an integer column holds (PostgreSQL INTEGER): about £21 million.
MAX_STORABLE_PENCE = 2**31 - 1


class MoneyError(ValueError):
    """What someone typed is not an amount of money we accept; the message says why."""


def parse_pounds(text: str, *, allow_zero: bool = True, maximum_pence: int | None = None) -> int:
    """Turn '12.50', '£12.5' or '1,200' into pence; refuse negatives and more than 2 decimals."""
    cleaned = text.strip().replace("£", "").replace(",", "").strip()
    if not cleaned:
        raise MoneyError("Enter an amount in pounds, like 12.50")
    if cleaned.startswith("-") and AMOUNT_FORMAT.fullmatch(cleaned[1:]):
        raise MoneyError("The amount cannot be negative")
    if not AMOUNT_FORMAT.fullmatch(cleaned):
        raise MoneyError("Enter an amount in pounds and pence, like 12.50")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as error:
        raise MoneyError("Enter an amount in pounds and pence, like 12.50") from error
    if not amount.is_finite():
        raise MoneyError("Enter an amount in pounds and pence, like 12.50")
    if amount < 0:
        raise MoneyError("The amount cannot be negative")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise MoneyError("Enter the amount with no more than 2 numbers after the decimal point")
    pence = int(amount * PENCE_PER_POUND)
    if pence == 0 and not allow_zero:
        raise MoneyError("The amount must be more than £0")
    if maximum_pence is None and pence > MAX_STORABLE_PENCE:
        raise MoneyError("The amount is too large")
    if maximum_pence is not None and pence > maximum_pence:
        raise MoneyError(f"The amount must be {format_pence(maximum_pence)} or less")
    return pence


def format_pence(pence: int | None) -> str:
    """'£1,234.50' (or '£0.00'); '' for None."""
    if pence is None:
        return ""
    sign = "-" if pence < 0 else ""
    pounds, remainder = divmod(abs(pence), PENCE_PER_POUND)
    return f"{sign}£{pounds:,}.{remainder:02d}"


def pounds_text(pence: int | None) -> str:
    """The amount as typed into a form: '12.50' (no pound sign or commas)."""
    if pence is None:
        return ""
    pounds, remainder = divmod(pence, PENCE_PER_POUND)
    return f"{pounds}.{remainder:02d}"


def multiply(pence: int, quantity: Decimal) -> int:
    """``pence`` times ``quantity`` rounded half up to a whole penny (the one place we round)."""
    return int((Decimal(pence) * quantity).quantize(Decimal(1), rounding=ROUND_HALF_UP))
