"""Key rotation: every stored bank details token re-encrypted with the newest key."""

from __future__ import annotations

from sqlalchemy import select

from payclaims import crypto
from payclaims.audit.models import AuditAction
from payclaims.audit.services import record_event
from payclaims.extensions import db
from payclaims.people.models import BankDetails


def rotate_keys() -> int:
    """Re-encrypt every stored token with the newest key; return how many rows were done.

    Afterwards the older keys can be removed from BANK_DETAILS_KEYS.
    """
    fernet = crypto.configured_fernet()
    rows = db.session.scalars(select(BankDetails).order_by(BankDetails.id)).all()
    for row in rows:
        row.name_on_account_encrypted = crypto.rotate(fernet, row.name_on_account_encrypted)
        row.sort_code_encrypted = crypto.rotate(fernet, row.sort_code_encrypted)
        row.account_number_encrypted = crypto.rotate(fernet, row.account_number_encrypted)
        if row.roll_number_encrypted is not None:
            row.roll_number_encrypted = crypto.rotate(fernet, row.roll_number_encrypted)
    record_event(
        AuditAction.BANK_KEYS_ROTATED,
        actor=None,
        detail=f"{len(rows)} records re-encrypted with the newest key",
    )
    db.session.commit()
    return len(rows)
