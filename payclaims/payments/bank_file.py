"""The bank payment file: its rows and CSV, made at confirming and again for each download."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from payclaims import crypto
from payclaims.audit.models import AuditAction
from payclaims.audit.services import record_event
from payclaims.auth.access import require_role
from payclaims.auth.models import Role, User
from payclaims.downloads import csv_safe
from payclaims.errors import DomainError
from payclaims.extensions import db
from payclaims.payments.models import PaymentRun, RemittanceSlip
from payclaims.payments.runs import RUN_PAYMENTS

BANK_FILE_HEADINGS = (
    "Payee name",
    "Sort code",
    "Account number",
    "Amount",
    "Reference",
    "Building society roll number",
)


@dataclass(frozen=True)
class BankFileRow:
    """One payment in the bank file (plain numbers: kept in memory, never stored)."""

    name_on_account: str
    sort_code: str
    account_number: str
    amount_pence: int
    reference: str
    roll_number: str


def pounds(pence: int) -> str:
    """'1234.50': pounds with 2 decimals, as the bank file carries amounts."""
    return f"{pence // 100}.{pence % 100:02d}"


def bank_file_csv(rows: Iterable[BankFileRow]) -> bytes:
    """The bank payment file (format in README.md), the same bytes for the same rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(BANK_FILE_HEADINGS)
    for row in sorted(rows, key=lambda row: row.reference):
        writer.writerow(
            [
                csv_safe(row.name_on_account),
                row.sort_code,
                row.account_number,
                pounds(row.amount_pence),
                row.reference,
                csv_safe(row.roll_number),
            ]
        )
    return buffer.getvalue().encode("utf-8")


def bank_file_for_download(run: PaymentRun, *, actor: User, ip_address: str | None) -> bytes:
    """The confirmed run's bank file, made again from the bank details of the slips paid by
    bank transfer (payees paid another way are not in it) and checked against the hash taken
    at confirming; every download audited."""
    require_role(actor, Role.FINANCE_ADMIN, message=RUN_PAYMENTS)
    if run.is_draft or run.bank_file_sha256 is None:
        raise DomainError("The bank file is made when the run is confirmed.")
    fernet = crypto.build_fernet(crypto.keys_from_config(current_app.config["BANK_DETAILS_KEYS"]))
    rows = []
    for slip in db.session.scalars(
        select(RemittanceSlip)
        .where(RemittanceSlip.run_id == run.id, RemittanceSlip.bank_details_id.is_not(None))
        .options(joinedload(RemittanceSlip.bank_details))
    ):
        details = slip.bank_details
        assert details is not None
        roll = details.roll_number_encrypted
        rows.append(
            BankFileRow(
                name_on_account=crypto.decrypt(fernet, details.name_on_account_encrypted),
                sort_code=crypto.decrypt(fernet, details.sort_code_encrypted),
                account_number=crypto.decrypt(fernet, details.account_number_encrypted),
                amount_pence=slip.total_pence,
                reference=slip.reference,
                roll_number=crypto.decrypt(fernet, roll) if roll else "",
            )
        )
    content = bank_file_csv(rows)
    if hashlib.sha256(content).hexdigest() != run.bank_file_sha256:
        raise DomainError(
            "The bank file could not be made exactly as it was issued. Ask an administrator "
            "to check the bank details keys."
        )
    record_event(
        AuditAction.BANK_FILE_DOWNLOADED,
        actor=actor,
        ip_address=ip_address,
        detail=f"{run.reference}: {len(rows)} payments ({run.bank_file_sha256[:12]})",
        about=("payment_run", run.id),
    )
    db.session.commit()
    return content
