"""Demo payments: a confirmed payment run (the demo expert has a remittance slip to download,
the demo finance admin a bank file) and a draft run waiting to be confirmed.

The runs are made through the payments services, as a finance admin would make them.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from payclaims import crypto
from payclaims.claims.models import Claim
from payclaims.database import utc_now
from payclaims.dates import uk_today
from payclaims.demo.people import DEMO_DOMAIN, demo_person
from payclaims.extensions import db
from payclaims.payments.confirm import confirm_run
from payclaims.payments.models import PaymentRun
from payclaims.payments.runs import create_run, load_run
from payclaims.people.models import BankDetails

# Made-up details (a sort code no bank uses), one account per demo payee.
DEMO_BANK_DETAILS = {
    f"expert@{DEMO_DOMAIN}": ("S OKAFOR", "009999", "31926819"),
    f"jordan@{DEMO_DOMAIN}": ("J LEE", "009999", "47102958"),
}
PAID_DAYS_AGO = 14
DRAFT_PAYS_IN_DAYS = 7


def _confirmed_bank_details() -> None:
    """Give the demo payees bank details a finance person has confirmed (once)."""
    fernet = crypto.build_fernet(crypto.keys_from_config(current_app.config["BANK_DETAILS_KEYS"]))
    checker = demo_person(f"finance@{DEMO_DOMAIN}")
    for email, (name, sort_code, account_number) in DEMO_BANK_DETAILS.items():
        person = demo_person(email)
        current = db.session.scalar(
            select(BankDetails.id).where(
                BankDetails.person_id == person.id, BankDetails.superseded_at.is_(None)
            )
        )
        if current is not None:
            continue
        db.session.add(
            BankDetails(
                person_id=person.id,
                name_on_account_encrypted=crypto.encrypt(fernet, name),
                sort_code_encrypted=crypto.encrypt(fernet, sort_code),
                account_number_encrypted=crypto.encrypt(fernet, account_number),
                created_by_id=person.id,
                confirmed_at=utc_now(),
                confirmed_by_id=checker.id,
            )
        )
    db.session.commit()


def seed_payments(runs: dict[str, list[Claim]]) -> None:
    """Pay the claims meant for the confirmed run two weeks ago, and put the others in a
    draft run paying next week; once."""
    if not runs or db.session.scalar(select(PaymentRun.id).limit(1)) is not None:
        return
    _confirmed_bank_details()
    admin = demo_person(f"finance-admin@{DEMO_DOMAIN}")
    today = uk_today()
    paid_on = today - timedelta(days=PAID_DAYS_AGO)
    confirmed = runs.get("confirmed", [])
    if confirmed:
        run = create_run(
            actor=admin,
            payment_on=paid_on,
            today=paid_on,
            claim_ids=[claim.id for claim in confirmed],
        )
        loaded = load_run(run.id)
        assert loaded is not None
        confirm_run(loaded, actor=admin)
    draft = runs.get("draft", [])
    if draft:
        create_run(
            actor=demo_person(f"finance-admin@{DEMO_DOMAIN}"),
            payment_on=today + timedelta(days=DRAFT_PAYS_IN_DAYS),
            today=today,
            claim_ids=[claim.id for claim in draft],
        )
