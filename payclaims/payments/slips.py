"""Remittance slips: what a slip shows, its reference, its HTML and PDF, and their downloads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload, undefer

from payclaims.audit.models import AuditAction
from payclaims.audit.services import record_event
from payclaims.auth.models import FINANCE_ROLES, Role, User
from payclaims.benefits.profile.models import FeeChoice
from payclaims.claims.fees import unit_name
from payclaims.claims.models import Claim, ClaimLine, ClaimStatus
from payclaims.extensions import db
from payclaims.money import format_pence
from payclaims.payments.models import RemittanceSlip, RunClaim
from payclaims.pdf import render_many, static_root


def can_download_slip(slip: RemittanceSlip, user: User) -> bool:
    """The payee downloads their own slips; finance staff any. Nobody else."""
    if not user.is_active:
        return False
    if slip.person_id == user.id and user.has_role(Role.EXPERT):
        return True
    return user.has_role(*FINANCE_ROLES)


# Remittance slips: a frozen snapshot, rendered once ----------------------------------------


@dataclass(frozen=True)
class SlipLine:
    """One line as the slip shows it."""

    on: date
    description: str
    detail: str
    claimed_pence: int
    paid_pence: int
    notes: tuple[str, ...]
    receipted: bool


@dataclass(frozen=True)
class SlipClaim:
    """One claim as the slip shows it."""

    reference: str
    role_title: str
    fee_choice_label: str
    fee_choice_on: date
    fee_lines: tuple[SlipLine, ...]
    expense_lines: tuple[SlipLine, ...]
    fee_note: str
    fee_paid_pence: int
    expenses_paid_pence: int

    @property
    def total_paid_pence(self) -> int:
        """What the claim paid."""
        return self.fee_paid_pence + self.expenses_paid_pence

    @property
    def fee_lines_paid_in_full(self) -> bool:
        """Whether the fee paid is what the fee lines were approved for; not so when the
        person chose a reduced fee or expenses only, so a line's amount is then 'approved'."""
        return self.fee_paid_pence == sum(line.paid_pence for line in self.fee_lines)


@dataclass(frozen=True)
class SlipData:
    """Everything one payee's slip shows: fixed when the run is confirmed."""

    person_id: int
    bank_details_id: int | None
    organisation_name: str
    organisation_address: tuple[str, ...]
    support_email: str
    payee_name: str
    account_ending: str
    payment_on: date
    reference: str
    run_reference: str
    claims: tuple[SlipClaim, ...]
    claim_ids: tuple[int, ...]
    # Set when paid by a confirmed other payment method instead of bank details (then
    # bank_details_id is None and account_ending empty): its id and phrase ("by cheque").
    other_payment_method_id: int | None = None
    method_phrase: str = ""

    @property
    def fee_pence(self) -> int:
        """Fees (earnings) paid."""
        return sum(claim.fee_paid_pence for claim in self.claims)

    @property
    def expenses_pence(self) -> int:
        """Expenses paid back."""
        return sum(claim.expenses_paid_pence for claim in self.claims)

    @property
    def total_pence(self) -> int:
        """All paid."""
        return self.fee_pence + self.expenses_pence


def slip_reference(run_id: int, person_id: int) -> str:
    """The payment's reference on the slip and in the bank file: 'RUN00012-000034' (15
    characters: within the 18 a bank transfer reference allows)."""
    return f"RUN{run_id:05d}-{person_id:06d}"


def _line_notes(line: ClaimLine) -> tuple[str, ...]:
    notes = []
    if line.cap_note:
        notes.append(line.cap_note)
    if line.is_reduced:
        notes.append(
            f"Paid {format_pence(line.payable_pence)}: {line.approval_note or ''}".rstrip(": ")
        )
    return tuple(notes)


def _fee_detail(line: ClaimLine) -> str:
    unit = line.rate_version.fee_unit if line.rate_version else None
    detail = f"{unit_name(unit, line.units)} × {format_pence(line.rate_pence or 0)}"  # noqa: RUF001
    if line.prep_minutes:
        detail += f", and {line.prep_hours.normalize():f} hours preparation"
    return detail


def slip_claim(claim: Claim) -> SlipClaim:
    """One paid claim as its slip shows it."""
    fee_lines = tuple(
        SlipLine(
            on=line.session_on,
            description=line.description,
            detail=_fee_detail(line),
            claimed_pence=line.claimed_pence or line.amount_pence,
            paid_pence=line.payable_pence,
            notes=_line_notes(line),
            receipted=False,
        )
        for line in claim.fee_lines
    )
    expense_lines = tuple(
        SlipLine(
            on=line.session_on,
            description=line.description,
            detail=line.category.label if line.category else "Expense",
            claimed_pence=line.claimed_pence or line.amount_pence,
            paid_pence=line.payable_pence,
            notes=_line_notes(line),
            receipted=bool(line.receipts),
        )
        for line in claim.lines
        if line.is_expense
    )
    approved_fees = sum(line.paid_pence for line in fee_lines)
    fee_note = ""
    if claim.fee_choice is FeeChoice.EXPENSES_ONLY and fee_lines:
        fee_note = "You chose expenses only, so no fee was paid for these sessions."
    elif claim.approved_fee_pence < approved_fees:
        fee_note = (
            f"You chose a reduced fee of {format_pence(claim.reduced_fee_pence or 0)}, so "
            f"{format_pence(claim.approved_fee_pence)} of the {format_pence(approved_fees)} "
            "fee was paid."
        )
    return SlipClaim(
        reference=claim.reference,
        role_title=claim.sign_up.version.title,
        fee_choice_label=claim.fee_choice.label,
        fee_choice_on=claim.fee_choice_made_at.date(),
        fee_lines=fee_lines,
        expense_lines=expense_lines,
        fee_note=fee_note,
        fee_paid_pence=claim.approved_fee_pence,
        expenses_paid_pence=claim.approved_expenses_pence,
    )


def organisation_address() -> tuple[str, ...]:
    """The organisation's postal address lines (ORGANISATION_ADDRESS, one line per line)."""
    text = str(current_app.config["ORGANISATION_ADDRESS"] or "")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def slip_html(slip: SlipData) -> str:
    """The slip's HTML (templates/pdf/remittance_slip.html; autoescaped, like every page)."""
    template = current_app.jinja_env.get_template("pdf/remittance_slip.html")
    return template.render(slip=slip)


def slip_stylesheet() -> Path:
    """The slip's stylesheet, parsed once per rendering process (not once per slip)."""
    folder = str(current_app.template_folder or "templates")  # absolute, set by create_app
    return Path(current_app.root_path, folder, "pdf", "remittance_slip.css")


def render_slips(slips: Sequence[SlipData]) -> list[bytes]:
    """The slips' PDFs, in order: in this process, or in a pool of warm workers if many."""
    config = current_app.config
    return render_many(
        [slip_html(slip) for slip in slips],
        static_root=static_root(),
        workers=int(config["REMITTANCE_RENDER_WORKERS"]),
        pool_from=int(config["REMITTANCE_POOL_FROM"]),
        stylesheet=slip_stylesheet(),
    )


# Downloads --------------------------------------------------------------------------------


def slip_for_download(
    slip_id: int, *, actor: User, ip_address: str | None
) -> RemittanceSlip | None:
    """A slip (with its PDF) ``actor`` may download, the download audited; None otherwise."""
    slip = db.session.scalar(
        select(RemittanceSlip)
        .where(RemittanceSlip.id == slip_id)
        .options(joinedload(RemittanceSlip.person), undefer(RemittanceSlip.pdf))
    )
    if slip is None or not can_download_slip(slip, actor):
        return None
    record_event(
        AuditAction.SLIP_DOWNLOADED,
        actor=actor,
        subject=slip.person,
        ip_address=ip_address,
        detail=f"{slip.reference} ({slip.sha256[:12]})",
        about=("remittance_slip", slip.id),
    )
    db.session.commit()
    return slip


def slips_of(person: User) -> list[RemittanceSlip]:
    """A person's remittance slips, newest payment first (without the PDFs)."""
    return list(
        db.session.scalars(
            select(RemittanceSlip)
            .where(RemittanceSlip.person_id == person.id)
            .order_by(RemittanceSlip.payment_on.desc(), RemittanceSlip.id.desc())
        )
    )


def slip_for_claim(claim: Claim) -> RemittanceSlip | None:
    """The slip that paid ``claim``, if it is paid."""
    if claim.status is not ClaimStatus.PAID:
        return None
    return db.session.scalar(
        select(RemittanceSlip)
        .join(RunClaim, RunClaim.run_id == RemittanceSlip.run_id)
        .where(RunClaim.claim_id == claim.id, RemittanceSlip.person_id == claim.person_id)
    )
