"""Fee lines: the units a role pays in, the fee in force on a date, and how to be paid."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from payclaims.auth.models import User
from payclaims.benefits.profile.models import FeeChoice
from payclaims.claims.access import check_version, require_edit
from payclaims.claims.lifecycle import change_claim
from payclaims.claims.models import HUNDREDTHS, Claim, ClaimLine, LineKind
from payclaims.database import utc_now
from payclaims.dates import UK, format_date
from payclaims.errors import DomainError
from payclaims.extensions import db
from payclaims.money import format_pence, multiply
from payclaims.roles.models import FeeUnit, RoleVersion, SignUp

# What one line (one date) may claim at most, in the role's fee unit.
MAX_UNITS_PER_DAY = {
    FeeUnit.HOUR: Decimal(24),
    FeeUnit.HALF_DAY: Decimal(2),
    FeeUnit.DAY: Decimal(1),
    FeeUnit.SESSION: Decimal(4),
}
UNIT_NAMES = {
    FeeUnit.HOUR: ("hour", "hours"),
    FeeUnit.HALF_DAY: ("half day", "half days"),
    FeeUnit.DAY: ("day", "days"),
    FeeUnit.SESSION: ("session", "sessions"),
}
MAX_PREP_MINUTES = 8 * 60
DESCRIPTION_MAX = 500


def unit_name(unit: FeeUnit | None, units: Decimal) -> str:
    """'1 hour', '1.5 hours', '2 sessions'."""
    if unit is None:
        return f"{units.normalize():f}"
    singular, plural = UNIT_NAMES[unit]
    return f"{units.normalize():f} {singular if units == 1 else plural}"


def version_in_force(sign_up: SignUp, on: date) -> RoleVersion:
    """The role version whose fee applies on ``on``: the latest published on or before that
    date, or else the version the person signed up to."""
    versions = db.session.scalars(
        select(RoleVersion)
        .where(RoleVersion.role_id == sign_up.role_id, RoleVersion.published_at.is_not(None))
        .order_by(RoleVersion.number.desc())
    ).all()
    for version in versions:
        assert version.published_at is not None
        if version.published_at.astimezone(UK).date() <= on:
            return version
    return sign_up.version


def _units_hundredths(units: Decimal, unit: FeeUnit) -> int:
    """Check the units and give them in hundredths."""
    name = UNIT_NAMES[unit][1]
    if not units.is_finite() or units <= 0:
        raise DomainError(f"Enter the number of {name}, more than 0", field="units")
    exponent = units.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise DomainError(
            "Enter the number with no more than 2 numbers after the decimal point", field="units"
        )
    maximum = MAX_UNITS_PER_DAY[unit]
    if units > maximum:
        raise DomainError(
            f"For one date you can claim at most {unit_name(unit, maximum)}", field="units"
        )
    return int(units * HUNDREDTHS)


def fee_amount(rate_pence: int, units_hundredths: int, prep_minutes: int | None) -> int:
    """The fee for a line: rate times units, plus preparation time at the same (hourly) rate."""
    amount = multiply(rate_pence, Decimal(units_hundredths) / HUNDREDTHS)
    if prep_minutes:
        amount += multiply(rate_pence, Decimal(prep_minutes) / 60)
    return amount


def prep_minutes_from_hours(hours: Decimal) -> int:
    """Preparation hours ('1.5') as whole minutes (90)."""
    return int((hours * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def add_fee_line(
    claim: Claim,
    *,
    actor: User,
    session_on: date,
    description: str,
    units: Decimal,
    prep_minutes: int | None = None,
    expected_version: int | None = None,
) -> ClaimLine:
    """Add a fee for one session; the rate is the role's on that date, the amount the server's."""
    require_edit(claim, actor)
    check_version(claim, expected_version)
    description = description.strip()
    if not description:
        raise DomainError("Say what the session was, like 'Interview panel'", field="description")
    if len(description) > DESCRIPTION_MAX:
        raise DomainError(f"Keep it to {DESCRIPTION_MAX} characters or fewer", field="description")
    version = version_in_force(claim.sign_up, session_on)
    if version.fee_pence is None or version.fee_unit is None:
        raise DomainError(
            f"This role paid no fee on {format_date(session_on)}, so you can claim only "
            "expenses for that date.",
            field="session_on",
        )
    hundredths = _units_hundredths(units, version.fee_unit)
    if prep_minutes:
        if version.fee_unit is not FeeUnit.HOUR:
            raise DomainError(
                "Preparation time is paid only for roles paid by the hour", field="prep_hours"
            )
        if prep_minutes < 0 or prep_minutes > MAX_PREP_MINUTES:
            raise DomainError("Preparation time must be between 0 and 8 hours", field="prep_hours")
    line = ClaimLine(
        claim_id=claim.id,
        kind=LineKind.FEE,
        session_on=session_on,
        description=description,
        units_hundredths=hundredths,
        rate_pence=version.fee_pence,
        rate_version_id=version.id,
        prep_minutes=prep_minutes or None,
        amount_pence=fee_amount(version.fee_pence, hundredths, prep_minutes),
        is_earnings_like=True,
    )
    change_claim(
        claim,
        actor=actor,
        note=f"Added a fee for {format_date(session_on)}: {format_pence(line.amount_pence)}",
    )
    db.session.add(line)
    db.session.commit()
    return line


def set_fee_choice(
    claim: Claim,
    *,
    actor: User,
    choice: FeeChoice,
    reduced_fee_pence: int | None = None,
    expected_version: int | None = None,
) -> None:
    """Record how the person wants their fee: full, a reduced amount, or expenses only."""
    require_edit(claim, actor)
    check_version(claim, expected_version)
    total = claim.fee_total_pence
    if choice is FeeChoice.REDUCED:
        if total == 0:
            raise DomainError(
                "Add the sessions you are claiming for before choosing a reduced fee",
                field="choice",
            )
        if reduced_fee_pence is None:
            raise DomainError("Enter the fee you want, in pounds", field="reduced_fee")
        if reduced_fee_pence <= 0:
            raise DomainError(
                "Enter an amount more than £0, or choose expenses only", field="reduced_fee"
            )
        if reduced_fee_pence >= total:
            raise DomainError(
                f"A reduced fee must be less than the full fee of {format_pence(total)}",
                field="reduced_fee",
            )
    else:
        reduced_fee_pence = None
    note = choice.label
    if reduced_fee_pence is not None:
        note = f"{note}: {format_pence(reduced_fee_pence)}"
    change_claim(
        claim,
        actor=actor,
        note=f"How to be paid: {note}",
        fee_choice=choice,
        reduced_fee_pence=reduced_fee_pence,
        fee_choice_made_at=utc_now(),
    )
    db.session.commit()
