"""Expense lines: amounts, mileage at the rates in force, and their receipt files."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func as sa_func
from sqlalchemy import select

from payclaims.audit.models import AuditAction
from payclaims.audit.services import record_event
from payclaims.auth.models import User
from payclaims.claims.access import check_version, require_edit
from payclaims.claims.fees import DESCRIPTION_MAX, version_in_force
from payclaims.claims.lifecycle import change_claim
from payclaims.claims.models import Claim, ClaimLine, ClaimStatus, LineKind, Receipt
from payclaims.claims.rates import TENTHS, Vehicle, mileage_amount
from payclaims.dates import format_date, tax_year_of
from payclaims.errors import DomainError
from payclaims.extensions import db
from payclaims.money import format_pence
from payclaims.roles.expenses import ExpenseCategory
from payclaims.uploads import JPEG, PDF, PNG, UploadError, check_upload

RECEIPT_TYPES = frozenset({PDF, JPEG, PNG})
MAX_PASSENGERS = 4
# One journey; a longer one is almost certainly a typing mistake.
MAX_MILES_TENTHS = 1000 * TENTHS
MAX_RECEIPTS_PER_LINE = 10
# A file as it arrived: its name and its bytes.
Upload = tuple[str, bytes]


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
    require_edit(claim, actor)
    check_version(claim, expected_version)
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
    require_edit(claim, actor)
    check_version(claim, expected_version)
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
    require_edit(claim, actor)
    check_version(claim, expected_version)
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
