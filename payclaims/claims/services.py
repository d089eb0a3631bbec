"""Claim use cases: starting a claim, its fee and expense lines, receipts, how to be paid,
sending and withdrawing; and finance's rules for each expense category.

Every change is a conditional UPDATE on the claim's (id, status, version) that adds one to the
version, so two people changing a claim at once cannot both succeed: the loser is told to look
again. Every change of status writes a ClaimEvent; so does every edit after submission.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from sqlalchemy import func as sa_func
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from payclaims.audit.models import AuditAction
from payclaims.audit.services import record_event
from payclaims.auth.access import require_role
from payclaims.auth.models import Role, User
from payclaims.benefits.engine.types import Level
from payclaims.benefits.profile.models import FeeChoice
from payclaims.benefits.profile.services import default_fee_choice
from payclaims.claims.benefits_check import sending_warning
from payclaims.claims.lifecycle import (
    InvalidTransition,
    StaleClaim,
    add_event,
    change_claim,
    move_claim,
)
from payclaims.claims.models import (
    HUNDREDTHS,
    LIVE_STATUSES,
    CapPeriod,
    Claim,
    ClaimEvent,
    ClaimLine,
    ClaimStatus,
    ExpenseCategorySetting,
    LineKind,
    OverCap,
    Receipt,
)
from payclaims.claims.rates import TENTHS, Vehicle, mileage_amount
from payclaims.database import utc_now
from payclaims.dates import UK, add_months, format_date, tax_year_of
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db
from payclaims.money import format_pence, multiply
from payclaims.people.payment_setup import payment_setup
from payclaims.roles.expenses import ExpenseCategory
from payclaims.roles.models import FeeUnit, RoleVersion, SignUp, SignUpStatus
from payclaims.roles.services import can_change
from payclaims.uploads import JPEG, PDF, PNG, UploadError, check_upload

NOT_EDITABLE_MESSAGE = "This claim has been sent, so it cannot be changed now."
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
# What the person sees as the next step, by status.
NEXT_STEPS = {
    ClaimStatus.DRAFT: "Add what you did, then send the claim.",
    ClaimStatus.SUBMITTED: "Your coordinator will confirm the work took place.",
    ClaimStatus.VERIFIED: "Finance will check the claim and approve it for payment.",
    ClaimStatus.APPROVED: "It will go into the next payment run.",
    ClaimStatus.SCHEDULED: "It will be paid on the run's payment date.",
    ClaimStatus.PAID: "Nothing more to do.",
    ClaimStatus.RETURNED: "Read why it came back, change it, and send it again.",
    ClaimStatus.REJECTED: "Nothing more to do. Read the reason, and ask us if it is unclear.",
    ClaimStatus.WITHDRAWN: "Nothing more to do.",
}


class SubmissionRefused(DomainError):
    """Checks stop the claim being sent; each problem names its field or line."""

    def __init__(self, problems: Sequence[DomainError]) -> None:
        super().__init__(problems[0].message, field=problems[0].field)
        self.problems = list(problems)

    def for_field(self, field: str) -> list[str]:
        """The messages that belong next to ``field`` (a form field or ``line-<id>``)."""
        return [problem.message for problem in self.problems if problem.field == field]


def line_field(line: ClaimLine) -> str:
    """The name a line's problems go under, and the id of its row on the page."""
    return f"line-{line.id}"


def unit_name(unit: FeeUnit | None, units: Decimal) -> str:
    """'1 hour', '1.5 hours', '2 sessions'."""
    if unit is None:
        return f"{units.normalize():f}"
    singular, plural = UNIT_NAMES[unit]
    return f"{units.normalize():f} {singular if units == 1 else plural}"


# Who may do what --------------------------------------------------------------------------


def is_role_staff(claim_or_sign_up: Claim | SignUp, user: User) -> bool:
    """Whether ``user`` is the role's coordinator or an admin."""
    return can_change(claim_or_sign_up.role, user)


def can_view(claim: Claim, user: User) -> bool:
    """The person, their role's coordinator and admins see a claim; nobody else."""
    if not user.is_active:
        return False
    if claim.person_id == user.id and user.has_role(Role.EXPERT):
        return True
    return is_role_staff(claim, user)


def can_edit(claim: Claim, user: User) -> bool:
    """The person, or the coordinator (or admin) who started it for them, may change it."""
    if not user.is_active:
        return False
    if claim.person_id == user.id:
        return user.has_role(Role.EXPERT)
    return claim.created_by_id != claim.person_id and is_role_staff(claim, user)


def can_withdraw(claim: Claim, user: User) -> bool:
    """The person, or the coordinator who sent or started it for them."""
    if not user.is_active:
        return False
    if claim.person_id == user.id:
        return user.has_role(Role.EXPERT)
    acted = user.id in (claim.submitted_by_id, claim.created_by_id)
    return acted and is_role_staff(claim, user)


def _require_edit(claim: Claim, actor: User) -> None:
    if not can_edit(claim, actor):
        raise PermissionDenied(
            "Only the person, or the coordinator claiming for them, can do this."
        )
    if not claim.is_editable:
        raise InvalidTransition(NOT_EDITABLE_MESSAGE)


def _check_version(claim: Claim, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != claim.version:
        raise StaleClaim()


# Reading ----------------------------------------------------------------------------------


def load_claim(claim_id: int) -> Claim | None:
    """A claim with everything its page shows, in a fixed number of queries."""
    return db.session.scalar(
        select(Claim)
        .where(Claim.id == claim_id)
        .options(
            joinedload(Claim.person),
            joinedload(Claim.role),
            joinedload(Claim.sign_up).joinedload(SignUp.version),
            joinedload(Claim.submitted_by),
            joinedload(Claim.created_by),
            selectinload(Claim.lines).options(
                joinedload(ClaimLine.rate_version), selectinload(ClaimLine.receipts)
            ),
            selectinload(Claim.events).options(
                joinedload(ClaimEvent.actor), joinedload(ClaimEvent.on_behalf_of)
            ),
        )
    )


def claims_of(person: User) -> list[Claim]:
    """The person's claims, newest first, with their lines; in a fixed number of queries."""
    return list(
        db.session.scalars(
            select(Claim)
            .where(Claim.person_id == person.id)
            .options(
                joinedload(Claim.sign_up).joinedload(SignUp.version),
                joinedload(Claim.submitted_by),
                selectinload(Claim.lines),
            )
            .order_by(Claim.created_at.desc(), Claim.id.desc())
        )
    )


def claims_for_sign_up(sign_up: SignUp) -> list[Claim]:
    """The claims made against one sign-up, newest first, with their lines."""
    return list(
        db.session.scalars(
            select(Claim)
            .where(Claim.sign_up_id == sign_up.id)
            .options(selectinload(Claim.lines))
            .order_by(Claim.created_at.desc(), Claim.id.desc())
        )
    )


def claimable_sign_ups(person: User) -> list[SignUp]:
    """The person's accepted sign-ups, which claims can be made against."""
    return list(
        db.session.scalars(
            select(SignUp)
            .where(SignUp.person_id == person.id, SignUp.status == SignUpStatus.ACCEPTED)
            .options(joinedload(SignUp.version))
            .order_by(SignUp.created_at.desc(), SignUp.id.desc())
        )
    )


def next_step(claim: Claim) -> str:
    """What happens next, in a sentence ('Paid on 3 December 2026.' once paid)."""
    if claim.status is ClaimStatus.PAID and claim.paid_on is not None:
        return f"Paid on {format_date(claim.paid_on)}. Your remittance slip is in My payments."
    return NEXT_STEPS[claim.status]


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


# Changing a claim ---------------------------------------------------------------------------


def start_claim(sign_up: SignUp, *, actor: User) -> Claim:
    """Start a draft claim against an accepted sign-up: by the person, or staff on their behalf."""
    if actor.id == sign_up.person_id:
        if not (actor.is_active and actor.has_role(Role.EXPERT)):
            raise PermissionDenied("Only experts by experience can claim.")
    elif not is_role_staff(sign_up, actor):
        raise PermissionDenied("Only the person, or the role's coordinator, can start a claim.")
    if sign_up.status is not SignUpStatus.ACCEPTED:
        raise DomainError("You can claim only for a role you have a place in.")
    claim = Claim(
        person_id=sign_up.person_id,
        sign_up_id=sign_up.id,
        role_id=sign_up.role_id,
        created_by_id=actor.id,
        # The person's usual choice from their benefits profile; the full fee without one.
        fee_choice=default_fee_choice(sign_up.person_id),
    )
    db.session.add(claim)
    db.session.flush()
    note = "" if actor.id == sign_up.person_id else "Started on the person's behalf"
    add_event(
        claim,
        actor=actor,
        from_status=None,
        to_status=ClaimStatus.DRAFT,
        note=note,
        for_the_person=True,
    )
    db.session.commit()
    return claim


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
    _require_edit(claim, actor)
    _check_version(claim, expected_version)
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


def remove_line(
    claim: Claim, line: ClaimLine, *, actor: User, expected_version: int | None = None
) -> None:
    """Take a line off a draft or returned claim."""
    _require_edit(claim, actor)
    _check_version(claim, expected_version)
    if line.claim_id != claim.id:
        raise DomainError("That line is not on this claim.")
    note = f"Removed the line for {format_date(line.session_on)}: {format_pence(line.amount_pence)}"
    change_claim(claim, actor=actor, note=note)
    db.session.delete(line)
    db.session.commit()


def set_fee_choice(
    claim: Claim,
    *,
    actor: User,
    choice: FeeChoice,
    reduced_fee_pence: int | None = None,
    expected_version: int | None = None,
) -> None:
    """Record how the person wants their fee: full, a reduced amount, or expenses only."""
    _require_edit(claim, actor)
    _check_version(claim, expected_version)
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


# Expense categories: finance's rules --------------------------------------------------------

RECEIPT_TYPES = frozenset({PDF, JPEG, PNG})
MAX_PASSENGERS = 4
# One journey; a longer one is almost certainly a typing mistake.
MAX_MILES_TENTHS = 1000 * TENTHS
MAX_RECEIPTS_PER_LINE = 10
# A file as it arrived: its name and its bytes.
Upload = tuple[str, bytes]


@dataclass(frozen=True)
class CategoryRules:
    """The rules in force for one expense category: finance's settings, or the defaults."""

    category: ExpenseCategory
    receipt_above_pence: int | None
    cap_pence: int | None
    cap_period: CapPeriod
    over_cap: OverCap

    def needs_receipt(self, amount_pence: int) -> bool:
        """Whether a line of this amount needs a receipt."""
        return self.receipt_above_pence is not None and amount_pence > self.receipt_above_pence

    @property
    def receipt_text(self) -> str:
        """'Always', 'Above £20.00', 'Never'."""
        if self.receipt_above_pence is None:
            return "Never"
        if self.receipt_above_pence == 0:
            return "Always"
        return f"Above {format_pence(self.receipt_above_pence)}"

    @property
    def cap_text(self) -> str:
        """'£30.00 per day', or 'No cap'."""
        if self.cap_pence is None:
            return "No cap"
        return f"{format_pence(self.cap_pence)} {self.cap_period.label}"


def default_rules(category: ExpenseCategory) -> CategoryRules:
    """A receipt always, except for mileage (worked out from the miles); no cap."""
    return CategoryRules(
        category=category,
        receipt_above_pence=None if category is ExpenseCategory.MILEAGE else 0,
        cap_pence=None,
        cap_period=CapPeriod.CLAIM,
        over_cap=OverCap.CAP,
    )


def category_rules() -> dict[ExpenseCategory, CategoryRules]:
    """The rules for every category, in one query."""
    rules = {category: default_rules(category) for category in ExpenseCategory}
    for setting in db.session.scalars(select(ExpenseCategorySetting)):
        rules[setting.category] = CategoryRules(
            category=setting.category,
            receipt_above_pence=setting.receipt_above_pence,
            cap_pence=setting.cap_pence,
            cap_period=setting.cap_period,
            over_cap=setting.over_cap,
        )
    return rules


def save_category_rules(
    category: ExpenseCategory,
    *,
    actor: User,
    receipt_above_pence: int | None,
    cap_pence: int | None,
    cap_period: CapPeriod,
    over_cap: OverCap,
    ip_address: str | None,
) -> None:
    """Set a category's receipt threshold and cap; audited. Sent claims keep their amounts."""
    require_role(actor, Role.FINANCE_ADMIN)
    if receipt_above_pence is not None and receipt_above_pence < 0:
        raise DomainError("Enter an amount of £0 or more", field="receipt_above")
    if cap_pence is not None and cap_pence <= 0:
        raise DomainError("Enter a cap more than £0, or leave it empty", field="cap")
    before = category_rules()[category]
    setting = db.session.scalar(
        select(ExpenseCategorySetting).where(ExpenseCategorySetting.category == category)
    )
    if setting is None:
        setting = ExpenseCategorySetting(category=category)
        db.session.add(setting)
    setting.receipt_above_pence = receipt_above_pence
    setting.cap_pence = cap_pence
    setting.cap_period = cap_period
    setting.over_cap = over_cap
    setting.updated_by_id = actor.id
    setting.updated_at = utc_now()
    after = CategoryRules(category, receipt_above_pence, cap_pence, cap_period, over_cap)
    if after == before:
        db.session.rollback()
        return
    cap_rule = f"{after.cap_text}, {over_cap.label.lower()}" if cap_pence else after.cap_text
    db.session.flush()
    record_event(
        AuditAction.EXPENSE_CATEGORY_CHANGED,
        actor=actor,
        ip_address=ip_address,
        detail=(
            f"{category.label}: receipt {before.receipt_text.lower()} → "
            f"{after.receipt_text.lower()}; cap {before.cap_text} → {cap_rule}"
        ),
        about=("expense_category_setting", setting.id),
    )
    db.session.commit()


# Expense lines and receipts ------------------------------------------------------------------


def offered_categories(claim: Claim) -> list[ExpenseCategory]:
    """The categories of the version the person signed up to: the ones the form offers."""
    covered = set(claim.sign_up.version.expense_categories)
    return [category for category in ExpenseCategory if category.value in covered]


def covered_categories(claim: Claim, on: date) -> list[ExpenseCategory]:
    """The categories the role covered on ``on``, in the usual order."""
    covered = set(version_in_force(claim.sign_up, on).expense_categories)
    return [category for category in ExpenseCategory if category.value in covered]


def _checked_receipts(files: Sequence[Upload]) -> list[Receipt]:
    """Receipts from uploaded files; each file is checked from its content."""
    receipts = []
    for filename, content in files:
        try:
            checked = check_upload(filename, content, allowed=RECEIPT_TYPES)
        except UploadError as error:
            raise DomainError(f"{filename or 'The file'}: {error}", field="receipts") from error
        receipts.append(
            Receipt(
                filename=checked.filename,
                content_type=checked.content_type,
                size_bytes=checked.size_bytes,
                sha256=checked.sha256,
                content=checked.content,
            )
        )
    return receipts


def earlier_car_miles_tenths(person_id: int, on: date) -> int:
    """Car miles the person has claimed in the tax year of ``on``, up to that date.

    Lines on any claim of theirs count, drafts included, except withdrawn or rejected ones. A
    line's amount is fixed when it is added: adding an earlier journey later does not re-price
    the lines after it.
    """
    total = db.session.scalar(
        select(sa_func.coalesce(sa_func.sum(ClaimLine.miles_tenths), 0))
        .join(Claim, ClaimLine.claim_id == Claim.id)
        .where(
            Claim.person_id == person_id,
            Claim.status.not_in((ClaimStatus.WITHDRAWN, ClaimStatus.REJECTED)),
            ClaimLine.category == ExpenseCategory.MILEAGE,
            ClaimLine.vehicle == Vehicle.CAR,
            ClaimLine.session_on >= tax_year_of(on).start,
            ClaimLine.session_on <= on,
        )
    )
    return int(total or 0)


def _mileage(
    claim: Claim, *, on: date, miles_tenths: int | None, vehicle: Vehicle | None, passengers: int
) -> int:
    """Check a journey and work out its amount at the rates in force on ``on``."""
    if not miles_tenths or miles_tenths <= 0:
        raise DomainError("Enter the miles you travelled, like 12 or 12.5", field="miles")
    if miles_tenths > MAX_MILES_TENTHS:
        raise DomainError("For one journey you can claim at most 1,000 miles", field="miles")
    if vehicle is None:
        raise DomainError("Select what you travelled in", field="vehicle")
    if not 0 <= passengers <= MAX_PASSENGERS:
        raise DomainError(f"Passengers must be between 0 and {MAX_PASSENGERS}", field="passengers")
    if passengers and vehicle is not Vehicle.CAR:
        raise DomainError("Passengers are paid only in a car or van", field="passengers")
    earlier = earlier_car_miles_tenths(claim.person_id, on) if vehicle is Vehicle.CAR else 0
    return mileage_amount(
        vehicle, miles_tenths=miles_tenths, passengers=passengers, on=on, earlier_car_tenths=earlier
    )


def add_expense_line(
    claim: Claim,
    *,
    actor: User,
    category: ExpenseCategory,
    session_on: date,
    description: str = "",
    amount_pence: int | None = None,
    reason: str = "",
    miles_tenths: int | None = None,
    vehicle: Vehicle | None = None,
    passengers: int = 0,
    receipts: Sequence[Upload] = (),
    expected_version: int | None = None,
) -> ClaimLine:
    """Add an expense, with its receipts; a mileage line's amount is the server's."""
    _require_edit(claim, actor)
    _check_version(claim, expected_version)
    if category not in covered_categories(claim, session_on):
        raise DomainError(
            f"This role does not pay for {category.label.lower()} on {format_date(session_on)}",
            field="category",
        )
    description, reason = description.strip(), reason.strip()
    if len(description) > DESCRIPTION_MAX:
        raise DomainError(f"Keep it to {DESCRIPTION_MAX} characters or fewer", field="description")
    if len(reason) > DESCRIPTION_MAX:
        raise DomainError(f"Keep it to {DESCRIPTION_MAX} characters or fewer", field="reason")
    if category is ExpenseCategory.OTHER and not description:
        raise DomainError("Say what the expense was for", field="description")
    if category is ExpenseCategory.TAXI and not reason:
        raise DomainError("Say why you needed a taxi", field="reason")
    if category is ExpenseCategory.MILEAGE:
        amount = _mileage(
            claim, on=session_on, miles_tenths=miles_tenths, vehicle=vehicle, passengers=passengers
        )
    else:
        if amount_pence is None or amount_pence <= 0:
            raise DomainError("Enter the amount you paid, like 12.50", field="amount")
        amount, miles_tenths, vehicle, passengers = amount_pence, None, None, 0
    if len(receipts) > MAX_RECEIPTS_PER_LINE:
        raise DomainError(
            f"Add at most {MAX_RECEIPTS_PER_LINE} files to one line", field="receipts"
        )
    line = ClaimLine(
        claim_id=claim.id,
        kind=LineKind.EXPENSE,
        category=category,
        session_on=session_on,
        description=description,
        reason=reason or None,
        miles_tenths=miles_tenths,
        vehicle=vehicle,
        passengers=passengers if category is ExpenseCategory.MILEAGE else None,
        amount_pence=amount,
        # Receipted expenses, and mileage at the HMRC rate, are not earnings for benefits.
        is_earnings_like=False,
        receipts=_checked_receipts(receipts),
    )
    for receipt in line.receipts:
        receipt.uploaded_by_id = actor.id
    change_claim(
        claim,
        actor=actor,
        note=(
            f"Added {category.label.lower()} for {format_date(session_on)}: {format_pence(amount)}"
        ),
    )
    db.session.add(line)
    db.session.commit()
    return line


def add_receipts(
    claim: Claim,
    line: ClaimLine,
    *,
    actor: User,
    files: Sequence[Upload],
    expected_version: int | None = None,
) -> list[Receipt]:
    """Add one or more receipt files to an expense line."""
    _require_edit(claim, actor)
    _check_version(claim, expected_version)
    if line.claim_id != claim.id or not line.is_expense:
        raise DomainError("Receipts can be added only to an expense on this claim.")
    if not files:
        raise DomainError("Select a photo or file of the receipt", field="receipts")
    if len(line.receipts) + len(files) > MAX_RECEIPTS_PER_LINE:
        raise DomainError(
            f"A line can have at most {MAX_RECEIPTS_PER_LINE} files", field="receipts"
        )
    receipts = _checked_receipts(files)
    for receipt in receipts:
        receipt.line_id = line.id
        receipt.uploaded_by_id = actor.id
        db.session.add(receipt)
    names = ", ".join(receipt.filename for receipt in receipts)
    change_claim(
        claim, actor=actor, note=f"Added a receipt for {format_date(line.session_on)}: {names}"
    )
    db.session.commit()
    return receipts


def remove_receipt(
    claim: Claim, receipt: Receipt, *, actor: User, expected_version: int | None = None
) -> None:
    """Take a receipt file off a line of a draft or returned claim."""
    _require_edit(claim, actor)
    _check_version(claim, expected_version)
    if receipt.line.claim_id != claim.id:
        raise DomainError("That receipt is not on this claim.")
    note = f"Removed the receipt {receipt.filename} ({format_date(receipt.line.session_on)})"
    change_claim(claim, actor=actor, note=note)
    db.session.delete(receipt)
    db.session.commit()


def receipt_for_download(
    claim: Claim, receipt_id: int, *, actor: User, ip_address: str | None
) -> Receipt | None:
    """A receipt of the claim for ``actor`` to download; staff downloads are audited."""
    receipt = line_receipt(claim, receipt_id)
    if receipt is not None and actor.id != claim.person_id:
        record_event(
            AuditAction.RECEIPT_DOWNLOADED,
            actor=actor,
            subject=claim.person,
            ip_address=ip_address,
            detail=f"{claim.reference}: {receipt.filename} ({receipt.sha256[:12]})",
            about=("claim", claim.id),
        )
        db.session.commit()
    return receipt


def line_receipt(claim: Claim, receipt_id: int) -> Receipt | None:
    """A receipt on one of the claim's lines (with its content), or None."""
    receipt = db.session.get(Receipt, receipt_id)
    if receipt is None or receipt.line.claim_id != claim.id:
        return None
    return receipt


@dataclass(frozen=True)
class CapOutcome:
    """What a line over its category's cap may be paid, and the words that explain it."""

    allowed_pence: int
    over_cap: OverCap
    message: str


def cap_outcomes(
    claim: Claim, rules: dict[ExpenseCategory, CategoryRules]
) -> dict[int, CapOutcome]:
    """Lines over their category's cap (per claim or per day, counted in date order), by id."""
    used: dict[tuple[ExpenseCategory, date | None], int] = {}
    outcomes: dict[int, CapOutcome] = {}
    for line in sorted(claim.lines, key=lambda line: (line.session_on, line.id)):
        if line.category is None:
            continue
        rule = rules[line.category]
        if rule.cap_pence is None:
            continue
        key = (line.category, line.session_on if rule.cap_period is CapPeriod.DAY else None)
        asked = line.claimed_pence or line.amount_pence
        remaining = max(0, rule.cap_pence - used.get(key, 0))
        used[key] = used.get(key, 0) + min(asked, remaining)
        if asked <= remaining:
            continue
        cap = f"{format_pence(rule.cap_pence)} {rule.cap_period.label}"
        if rule.over_cap is OverCap.CAP:
            message = (
                f"Capped: {line.category.label.lower()} is paid up to {cap}, so "
                f"{format_pence(remaining)} of the {format_pence(asked)} claimed is paid"
            )
        else:
            message = (
                f"{format_pence(asked)} is over the limit for {line.category.label.lower()} of "
                f"{cap}. Claim {format_pence(remaining)} or less, or remove this line"
            )
        outcomes[line.id] = CapOutcome(remaining, rule.over_cap, message)
    return outcomes


def cap_notes(claim: Claim) -> dict[str, list[str]]:
    """Notes for the lines that will be paid only up to their category's cap, by line field."""
    return {
        f"line-{line_id}": [outcome.message]
        for line_id, outcome in cap_outcomes(claim, category_rules()).items()
        if outcome.over_cap is OverCap.CAP
    }


def _apply_caps(claim: Claim, outcomes: dict[int, CapOutcome]) -> None:
    """Pay capped lines up to the cap with a note; lines no longer over it are paid in full."""
    for line in claim.lines:
        if not line.is_expense:
            continue
        asked = line.claimed_pence or line.amount_pence
        outcome = outcomes.get(line.id)
        if outcome is not None and outcome.over_cap is OverCap.CAP:
            line.amount_pence, line.claimed_pence = outcome.allowed_pence, asked
            line.cap_note = outcome.message
        else:
            line.amount_pence, line.claimed_pence, line.cap_note = asked, None, None


@dataclass(frozen=True)
class ReceiptUsed:
    """A receipt file already on another live claim."""

    claim_id: int
    person_id: int


def _receipts_elsewhere(claim: Claim) -> dict[str, ReceiptUsed]:
    """Receipt files (by sha256) of this claim that are on a line of another live claim."""
    hashes = {receipt.sha256 for line in claim.lines for receipt in line.receipts}
    if not hashes:
        return {}
    rows = db.session.execute(
        select(Receipt.sha256, Claim.id, Claim.person_id)
        .join(ClaimLine, Receipt.line_id == ClaimLine.id)
        .join(Claim, ClaimLine.claim_id == Claim.id)
        .where(
            Receipt.sha256.in_(hashes),
            Claim.id != claim.id,
            Claim.status.in_(LIVE_STATUSES),
        )
        .order_by(Claim.id)
    )
    found: dict[str, ReceiptUsed] = {}
    for sha256, claim_id, person_id in rows:
        found.setdefault(sha256, ReceiptUsed(claim_id, person_id))
    return found


def _expense_problems(
    claim: Claim, today: date, rules: dict[ExpenseCategory, CategoryRules]
) -> list[DomainError]:
    """Future dates, missing receipts, lines over a refusing cap and receipts used twice."""
    problems: list[DomainError] = []
    outcomes = cap_outcomes(claim, rules)
    elsewhere = _receipts_elsewhere(claim)
    first_line_of: dict[str, int] = {}
    for line in claim.lines:
        if line.category is None:
            continue
        field = line_field(line)
        when = format_date(line.session_on)
        if line.session_on > today:
            problems.append(
                DomainError(
                    f"The expense on {when} is in the future. Claim for it after you have paid it",
                    field=field,
                )
            )
        rule = rules[line.category]
        asked = line.claimed_pence or line.amount_pence
        if rule.needs_receipt(asked) and not line.receipts:
            above = (
                ""
                if not rule.receipt_above_pence
                else f" above {format_pence(rule.receipt_above_pence)}"
            )
            problems.append(
                DomainError(
                    f"Add a photo or file of the receipt: {line.category.label.lower()} "
                    f"needs one{above}",
                    field=field,
                )
            )
        outcome = outcomes.get(line.id)
        if outcome is not None and outcome.over_cap is OverCap.REFUSE:
            problems.append(DomainError(outcome.message, field=field))
        for receipt in line.receipts:
            used = elsewhere.get(receipt.sha256)
            if used is not None:
                where = (
                    f"on your claim C-{used.claim_id:06d}"
                    if used.person_id == claim.person_id
                    else "on another claim"
                )
                problems.append(
                    DomainError(
                        f"The receipt {receipt.filename} is already {where}. A receipt can be "
                        "paid only once: remove this line, or withdraw the other claim",
                        field=field,
                    )
                )
            elif first_line_of.setdefault(receipt.sha256, line.id) != line.id:
                problems.append(
                    DomainError(
                        f"The receipt {receipt.filename} is also on another line of this claim. "
                        "A receipt can be paid only once: remove one of the lines",
                        field=field,
                    )
                )
    return problems


# Sending ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DuplicateSession:
    """A session date already claimed on another live claim."""

    claim_id: int
    reference: str
    status: ClaimStatus


def _duplicates(claim: Claim) -> dict[date, DuplicateSession]:
    """Session dates of this claim's fee lines already on another live claim for the role."""
    dates = {line.session_on for line in claim.fee_lines}
    if not dates:
        return {}
    rows = db.session.execute(
        select(ClaimLine.session_on, Claim.id, Claim.status)
        .join(Claim, ClaimLine.claim_id == Claim.id)
        .where(
            Claim.person_id == claim.person_id,
            Claim.role_id == claim.role_id,
            Claim.id != claim.id,
            Claim.status.in_(LIVE_STATUSES),
            ClaimLine.kind == LineKind.FEE,
            ClaimLine.session_on.in_(dates),
        )
        .order_by(Claim.id)
    )
    found: dict[date, DuplicateSession] = {}
    for session_on, claim_id, status in rows:
        found.setdefault(session_on, DuplicateSession(claim_id, f"C-{claim_id:06d}", status))
    return found


def time_limit_months() -> int:
    """How old a session may be before its claim is flagged as late."""
    return int(current_app.config["CLAIM_TIME_LIMIT_MONTHS"])


def is_late(claim: Claim, today: date) -> bool:
    """Whether the claim's earliest session is older than the time limit."""
    earliest = claim.earliest_session_on
    return earliest is not None and earliest < add_months(today, -time_limit_months())


def submission_problems(
    claim: Claim,
    *,
    actor: User,
    declared: bool,
    today: date,
    rules: dict[ExpenseCategory, CategoryRules] | None = None,
    benefits_warning: Level | None = None,
    benefits_read: bool = False,
) -> list[DomainError]:
    """Everything that stops the claim being sent, each under its field or line.

    ``benefits_warning`` is the level of the benefits panel shown to the sender (None: none
    shown); when one is shown they must confirm they have read it (``benefits_read``).
    """
    person = claim.person
    own = actor.id == person.id
    problems: list[DomainError] = []
    if not person.is_email_verified:
        problems.append(
            DomainError(
                "Confirm your email address before sending the claim: follow the link we sent"
                if own
                else f"{person.name} must confirm their email address before the claim is sent",
                field="email",
            )
        )
    if not payment_setup(person).can_claim:
        problems.append(
            DomainError(
                "Add your bank details, or ask finance to record another way to pay you"
                if own
                else f"{person.name} has no bank details yet: they must add them, or ask "
                "finance to record another way to pay them",
                field="bank_details",
            )
        )
    if not claim.lines:
        problems.append(
            DomainError("Add at least one session or expense to the claim", field="lines")
        )
    duplicates = _duplicates(claim)
    seen: set[date] = set()
    for line in claim.fee_lines:
        when = format_date(line.session_on)
        if line.session_on > today:
            problems.append(
                DomainError(
                    f"The session on {when} is in the future. Claim for it after it has "
                    "taken place",
                    field=line_field(line),
                )
            )
        other = duplicates.get(line.session_on)
        if other is not None:
            problems.append(
                DomainError(
                    f"{when} is already claimed on claim {other.reference} "
                    f"({other.status.label.lower()}). A session can be paid only once: "
                    "remove this line, or withdraw the other claim",
                    field=line_field(line),
                )
            )
        elif line.session_on in seen:
            problems.append(
                DomainError(
                    f"This claim has {when} twice. Remove one of the lines, or put all the "
                    "time on one",
                    field=line_field(line),
                )
            )
        seen.add(line.session_on)
    problems.extend(_expense_problems(claim, today, rules or category_rules()))
    if claim.fee_choice is FeeChoice.REDUCED and (
        claim.reduced_fee_pence is None or claim.reduced_fee_pence >= claim.fee_total_pence
    ):
        problems.append(
            DomainError(
                f"The reduced fee must be less than the full fee of "
                f"{format_pence(claim.fee_total_pence)}: change how you want to be paid",
                field="fee_choice",
            )
        )
    if benefits_warning is not None and not benefits_read:
        problems.append(
            DomainError(
                "Confirm that you have read what this payment might do to your benefits",
                field="benefits_read",
            )
        )
    if not declared:
        problems.append(
            DomainError(
                "Confirm that the claim is true and not claimed anywhere else",
                field="declaration",
            )
        )
    return problems


def submit_claim(
    claim: Claim,
    *,
    actor: User,
    declared: bool,
    today: date,
    expected_version: int | None = None,
    benefits_read: bool = False,
) -> None:
    """Send the claim to the coordinator, once every check passes; flag it if it is late.

    When the person sending their own claim was shown a benefits panel, they must confirm they
    read it; the time and the panel's level are kept with the claim.
    """
    _require_edit(claim, actor)
    _check_version(claim, expected_version)
    rules = category_rules()
    warning = sending_warning(claim, actor_id=actor.id, today=today)
    problems = submission_problems(
        claim,
        actor=actor,
        declared=declared,
        today=today,
        rules=rules,
        benefits_warning=warning,
        benefits_read=benefits_read,
    )
    if problems:
        raise SubmissionRefused(problems)
    _apply_caps(claim, cap_outcomes(claim, rules))
    now = utc_now()
    late = is_late(claim, today)
    sent_again = claim.status is ClaimStatus.RETURNED
    notes = []
    if sent_again:
        notes.append("Sent again after changes")
    if late:
        notes.append(f"Late: a session is more than {time_limit_months()} months old")
    if warning:
        # Which benefits stays private: coordinators read this history too.
        notes.append("Confirmed reading the benefits estimate")
    move_claim(
        claim,
        to=ClaimStatus.SUBMITTED,
        actor=actor,
        note=". ".join(notes),
        for_the_person=True,
        submitted_at=now,
        submitted_by_id=actor.id,
        declaration_at=now,
        is_late=late,
        benefits_warning_seen_at=now if warning else None,
        benefits_warning_level=warning.value if warning else None,
    )
    if sent_again:
        # A new round starts: finance's reductions from the earlier one do not carry over.
        for line in claim.lines:
            line.approved_pence, line.approval_note = None, None
    db.session.commit()


def withdraw_claim(claim: Claim, *, actor: User, expected_version: int | None = None) -> None:
    """Withdraw a draft, sent or returned claim: by the person or the coordinator who sent it."""
    if not can_withdraw(claim, actor):
        raise PermissionDenied(
            "Only the person, or the coordinator who sent the claim for them, can withdraw it."
        )
    if not claim.can_become(ClaimStatus.WITHDRAWN):
        raise InvalidTransition(
            f"This claim can no longer be withdrawn: it is {claim.status.label.lower()}."
        )
    _check_version(claim, expected_version)
    move_claim(claim, to=ClaimStatus.WITHDRAWN, actor=actor, for_the_person=True)
    db.session.commit()
