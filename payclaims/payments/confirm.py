"""Confirming a payment run exactly once: benefits check, snapshot, paying, emailing payees."""

# Every change is a conditional UPDATE that must change exactly the rows expected, backed by
# database constraints (a claim in one run at most; one slip per payee per run), so two finance
# admins pressing "Confirm" at once pay nothing twice: the second is told the run is confirmed.

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from payclaims import crypto
from payclaims.audit.models import AuditAction, AuditEvent
from payclaims.audit.services import record_event
from payclaims.auth.access import require_role
from payclaims.auth.models import Role, User
from payclaims.benefits.engine.types import BenefitCheck, Level
from payclaims.claims.benefits_check import PANEL_LEVELS, badge_text, check_claims
from payclaims.claims.lifecycle import ClaimsChanged, move_claims
from payclaims.claims.models import Claim, ClaimStatus
from payclaims.database import utc_now
from payclaims.dates import format_date
from payclaims.errors import DomainError
from payclaims.extensions import db
from payclaims.mail import email_message, external_url, send_emails
from payclaims.money import format_pence
from payclaims.payments.bank_file import BankFileRow, bank_file_csv
from payclaims.payments.models import PaymentRun, RemittanceSlip, RunStatus
from payclaims.payments.payees import PayeeTotal, payees
from payclaims.payments.runs import (
    ALREADY_CONFIRMED,
    RUN_CHANGED,
    RUN_PAYMENTS,
    RunChanged,
    bump_run,
    id_batches,
    load_run,
)
from payclaims.payments.slips import (
    SlipData,
    organisation_address,
    render_slips,
    slip_claim,
    slip_reference,
)
from payclaims.people.models import BankDetails, OtherPaymentMethod

BENEFITS_NOT_SEEN = "Tick to say you have seen the benefits changes before you confirm the run"


@dataclass(frozen=True)
class ClaimBenefits:
    """One claim of a run: its benefits check on the run's date against what the person saw
    when they sent it."""

    claim: Claim
    check: BenefitCheck | None
    badge: str | None
    seen: Level | None

    @property
    def got_worse(self) -> bool:
        """Whether the check is now more severe than what the person saw when sending.

        ``seen`` is the level of the warning panel they confirmed (near, reduces or stops).
        With none stored they saw no panel: their check was then clear or "check with the
        council", or they had no profile; so the claim got worse only if it now reaches a
        level that would have shown the panel. No profile now (check None) is never worse.
        """
        if self.check is None:
            return False
        if self.seen is None:
            return self.check.level in PANEL_LEVELS
        return self.check.level.severity > self.seen.severity


@dataclass(frozen=True)
class RunBenefits:
    """The benefits check of a run's claims on its payment date (informs, never blocks)."""

    paid_on: date
    claims: dict[int, ClaimBenefits]

    @property
    def worse(self) -> list[ClaimBenefits]:
        """Claims whose level got worse since the person sent them, by reference."""
        return sorted(
            (item for item in self.claims.values() if item.got_worse),
            key=lambda item: item.claim.id,
        )

    def for_payee(self, payee: PayeeTotal) -> ClaimBenefits | None:
        """The payee's most severe claim check (the run's claims all count in each claim's
        check, as paid on the same date); None when they have no benefits profile."""
        found = [self.claims[claim.id] for claim in payee.claims if claim.id in self.claims]
        checked = [item for item in found if item.check is not None]
        if not checked:
            return None
        return max(checked, key=lambda item: item.check.level.severity if item.check else -1)

    @staticmethod
    def describe(worse: Iterable[ClaimBenefits]) -> str:
        """Claims that got worse in words, for the audit trail of the confirmation."""
        return "; ".join(
            f"{item.claim.reference} {item.seen.value if item.seen else 'no warning'} -> "
            f"{item.check.level.value if item.check else 'none'}"
            for item in worse
        )


def _seen_level(claim: Claim) -> Level | None:
    stored = claim.benefits_warning_level
    return Level(stored) if stored in {level.value for level in Level} else None


def benefits_check_for_run(run: PaymentRun) -> RunBenefits:
    """Each claim of the run checked as paid on the run's payment date (paid runs: the date
    they were paid), in a fixed number of queries (``load_run`` loads what the check reads).

    It informs and never blocks a payment (DESIGN.md section 5); claims whose level got worse
    since sending are listed for finance to acknowledge before confirming.
    """
    claims = [item.claim for item in run.items]
    checks = check_claims(claims, run.payment_on)
    return RunBenefits(
        paid_on=run.payment_on,
        claims={
            claim.id: ClaimBenefits(
                claim=claim,
                check=checks.get(claim.id),
                badge=badge_text(checks.get(claim.id)),
                seen=_seen_level(claim),
            )
            for claim in claims
        },
    )


@dataclass(frozen=True)
class RunSnapshot:
    """A draft run as read before confirming: its version, claims, slips and the bank rows
    (bank-transfer payees only; those paid another way are not in the bank file)."""

    run_id: int
    version: int
    payment_on: date
    claim_ids: tuple[int, ...]
    slips: tuple[SlipData, ...]
    bank_rows: tuple[BankFileRow, ...]


def _current_bank_rows(person_ids: Iterable[int]) -> dict[int, BankDetails]:
    ids = set(person_ids)
    if not ids:
        return {}
    rows = db.session.scalars(
        select(BankDetails).where(
            BankDetails.person_id.in_(ids), BankDetails.superseded_at.is_(None)
        )
    )
    return {row.person_id: row for row in rows}


def snapshot_run(run: PaymentRun) -> RunSnapshot:
    """Freeze a draft run for confirming; DomainError if a payee cannot be paid."""
    if not run.is_draft:
        raise RunChanged(ALREADY_CONFIRMED)
    all_payees = payees(run)
    if not all_payees:
        raise DomainError("This run has no claims left to pay.")
    problems = [f"{payee.person.name}: {payee.problem}" for payee in all_payees if payee.problem]
    if problems:
        raise DomainError(
            "Some payees cannot be paid yet. Take their claims out, or sort out how they are "
            "paid, then confirm the run. " + "; ".join(problems)
        )
    fernet = crypto.build_fernet(crypto.keys_from_config(current_app.config["BANK_DETAILS_KEYS"]))
    bank = _current_bank_rows(payee.person.id for payee in all_payees if payee.other_method is None)
    config = current_app.config
    slips: list[SlipData] = []
    bank_rows: list[BankFileRow] = []
    for payee in all_payees:
        reference = slip_reference(run.id, payee.person.id)
        claims = sorted(payee.claims, key=lambda claim: claim.id)
        method = payee.other_method
        row = None if method is not None else bank[payee.person.id]
        account_number = "" if row is None else crypto.decrypt(fernet, row.account_number_encrypted)
        slip = SlipData(
            person_id=payee.person.id,
            bank_details_id=None if row is None else row.id,
            organisation_name=str(config["ORGANISATION_NAME"]),
            organisation_address=organisation_address(),
            support_email=str(config["SUPPORT_EMAIL"]),
            payee_name=payee.person.name,
            account_ending=account_number[-4:],
            payment_on=run.payment_on,
            reference=reference,
            run_reference=run.reference,
            claims=tuple(slip_claim(claim) for claim in claims),
            claim_ids=tuple(claim.id for claim in claims),
            other_payment_method_id=None if method is None else method.id,
            method_phrase="" if method is None else method.method.phrase,
        )
        slips.append(slip)
        if row is None:
            continue  # paid by hand in another way: not in the bank file
        roll = row.roll_number_encrypted
        bank_rows.append(
            BankFileRow(
                name_on_account=crypto.decrypt(fernet, row.name_on_account_encrypted),
                sort_code=crypto.decrypt(fernet, row.sort_code_encrypted),
                account_number=account_number,
                amount_pence=slip.total_pence,
                reference=reference,
                roll_number=crypto.decrypt(fernet, roll) if roll else "",
            )
        )
    return RunSnapshot(
        run_id=run.id,
        version=run.version,
        payment_on=run.payment_on,
        claim_ids=tuple(claim_id for slip in slips for claim_id in slip.claim_ids),
        slips=tuple(slips),
        bank_rows=tuple(bank_rows),
    )


# Confirming a run, exactly once -----------------------------------------------------------


@dataclass(frozen=True)
class RunConfirmed:
    """A run just confirmed, and how many of its payees the mail server took an email for
    (the others are in the log; their slips are on their payments pages all the same)."""

    run: PaymentRun
    payees: int
    emailed: int

    @property
    def not_emailed(self) -> int:
        """Payees whose "we have paid you" email could not be sent."""
        return self.payees - self.emailed


def confirm_run(
    run: PaymentRun,
    *,
    actor: User,
    expected_version: int | None = None,
    ip_address: str | None = None,
    benefits_changes_seen: bool = False,
) -> RunConfirmed:
    """Pay a draft run: its claims become paid on its date, one slip per payee, the bank file.

    The benefits check is recomputed first: if claims got worse since their people sent them,
    the run is paid only when finance says they have seen the changes
    (``benefits_changes_seen``); DomainError on the form's tick otherwise, and nothing is paid.

    The slips are rendered first, from a frozen snapshot and outside any transaction (a large
    run renders in a pool of processes). Then one transaction: the run goes draft -> confirmed
    only if its version is still the snapshot's (so nothing changed since), every claim goes
    scheduled -> paid, each with a ClaimEvent and an AuditEvent, and the slips are stored.
    """
    require_role(actor, Role.FINANCE_ADMIN, message=RUN_PAYMENTS)
    if expected_version is not None and expected_version != run.version:
        raise RunChanged(RUN_CHANGED if run.is_draft else ALREADY_CONFIRMED)
    # Recomputed now: the tick must cover the changes as they are when confirming.
    worse = benefits_check_for_run(run).worse if run.is_draft else []
    if worse and not benefits_changes_seen:
        raise DomainError(BENEFITS_NOT_SEEN, field="benefits_seen")
    benefits_acknowledged = RunBenefits.describe(worse)
    snapshot = snapshot_run(run)
    # End the read transaction before the (possibly long) rendering: nothing is held open.
    db.session.rollback()
    pdfs = render_slips(snapshot.slips)
    bank_file = bank_file_csv(snapshot.bank_rows)
    now = utc_now()
    bump_run(
        snapshot.run_id,
        snapshot.version,
        status=RunStatus.CONFIRMED,
        confirmed_by_id=actor.id,
        confirmed_at=now,
        bank_file_sha256=hashlib.sha256(bank_file).hexdigest(),
    )
    _pay_claims(snapshot, actor=actor, ip_address=ip_address)
    _check_payment_setups_unchanged(snapshot)
    db.session.execute(
        insert(RemittanceSlip),
        [
            {
                "run_id": snapshot.run_id,
                "person_id": slip.person_id,
                "bank_details_id": slip.bank_details_id,
                "other_payment_method_id": slip.other_payment_method_id,
                "reference": slip.reference,
                "payment_on": slip.payment_on,
                "fee_pence": slip.fee_pence,
                "expenses_pence": slip.expenses_pence,
                "total_pence": slip.total_pence,
                "claim_count": len(slip.claims),
                "size_bytes": len(pdf),
                "sha256": hashlib.sha256(pdf).hexdigest(),
                "pdf": pdf,
                "created_at": now,
            }
            for slip, pdf in zip(snapshot.slips, pdfs, strict=True)
        ],
    )
    total = sum(slip.total_pence for slip in snapshot.slips)
    record_event(
        AuditAction.PAYMENT_RUN_CONFIRMED,
        actor=actor,
        ip_address=ip_address,
        detail=(
            f"RUN{snapshot.run_id:05d}: {len(snapshot.claim_ids)} claims, "
            f"{len(snapshot.slips)} payees, {format_pence(total)}, paid on "
            f"{format_date(snapshot.payment_on)}"
            + (f"; benefits changes seen: {benefits_acknowledged}" if benefits_acknowledged else "")
        ),
        about=("payment_run", snapshot.run_id),
    )
    try:
        db.session.commit()
    except IntegrityError as error:  # a slip or claim paid by a confirmation racing this one
        db.session.rollback()
        raise RunChanged(ALREADY_CONFIRMED) from error
    emailed = _email_payees(snapshot)
    confirmed = load_run(snapshot.run_id)
    assert confirmed is not None
    return RunConfirmed(run=confirmed, payees=len(snapshot.slips), emailed=emailed)


def _pay_claims(snapshot: RunSnapshot, *, actor: User, ip_address: str | None) -> None:
    """Scheduled -> paid for every claim of the snapshot, or nothing at all."""
    try:
        move_claims(
            snapshot.claim_ids,
            from_status=ClaimStatus.SCHEDULED,
            to=ClaimStatus.PAID,
            actor=actor,
            note=(
                f"Paid on {format_date(snapshot.payment_on)} in payment run "
                f"RUN{snapshot.run_id:05d}"
            ),
            paid_on=snapshot.payment_on,
        )
    except ClaimsChanged as changed:
        raise RunChanged(RUN_CHANGED) from changed
    audits = []
    now = utc_now()
    for slip in snapshot.slips:
        for claim, claim_id in zip(slip.claims, slip.claim_ids, strict=True):
            audits.append(
                {
                    "occurred_at": now,
                    "action": AuditAction.CLAIM_PAID.value,
                    "actor_id": actor.id,
                    "subject_user_id": slip.person_id,
                    "ip_address": ip_address,
                    "detail": (
                        f"{claim.reference}: {format_pence(claim.total_paid_pence)} paid on "
                        f"{format_date(snapshot.payment_on)} ({slip.reference})"
                    ),
                    "object_type": "claim",
                    "object_id": claim_id,
                }
            )
    db.session.execute(insert(AuditEvent), audits)


def _check_payment_setups_unchanged(snapshot: RunSnapshot) -> None:
    """Every payee is still paid as the snapshot read: by the same confirmed bank details (and
    no other payment method recorded since, which would come first), or by the same confirmed
    other payment method, still current. RunChanged (nothing paid) otherwise."""
    _check_bank_details_unchanged(snapshot)
    by_method = [slip for slip in snapshot.slips if slip.other_payment_method_id is not None]
    by_bank = [slip for slip in snapshot.slips if slip.other_payment_method_id is None]
    method_ids = [slip.other_payment_method_id for slip in by_method]
    still: set[int] = set()
    for batch in id_batches([method_id for method_id in method_ids if method_id is not None]):
        still.update(
            db.session.scalars(
                select(OtherPaymentMethod.person_id).where(
                    OtherPaymentMethod.id.in_(batch),
                    OtherPaymentMethod.ended_at.is_(None),
                    OtherPaymentMethod.confirmed_at.is_not(None),
                )
            )
        )
    recorded_since: set[int] = set()
    for batch in id_batches([slip.person_id for slip in by_bank]):
        recorded_since.update(
            db.session.scalars(
                select(OtherPaymentMethod.person_id).where(
                    OtherPaymentMethod.person_id.in_(batch), OtherPaymentMethod.ended_at.is_(None)
                )
            )
        )
    changed = [slip.payee_name for slip in by_method if slip.person_id not in still] + [
        slip.payee_name for slip in by_bank if slip.person_id in recorded_since
    ]
    if changed:
        db.session.rollback()
        raise RunChanged(
            f"How {', '.join(sorted(changed))} {'is' if len(changed) == 1 else 'are'} paid "
            "changed a moment ago (another payment method was recorded, checked or ended), so "
            "nothing was paid. Check the run again, then confirm it."
        )


def _check_bank_details_unchanged(snapshot: RunSnapshot) -> None:
    """Every bank-transfer payee's bank details are still the confirmed ones the snapshot read."""
    ids = [slip.bank_details_id for slip in snapshot.slips if slip.bank_details_id is not None]
    still = 0
    for batch in id_batches(ids):
        # FOR SHARE on PostgreSQL: a change of details (which marks these rows superseded)
        # waits until this payment commits, instead of slipping in between check and commit.
        still += len(
            db.session.scalars(
                select(BankDetails.id)
                .where(
                    BankDetails.id.in_(batch),
                    BankDetails.superseded_at.is_(None),
                    BankDetails.confirmed_at.is_not(None),
                )
                .with_for_update(read=True)
            ).all()
        )
    if still != len(ids):
        db.session.rollback()
        raise RunChanged(
            "A payee changed their bank details a moment ago, so nothing was paid. "
            "Check the run again."
        )


def _email_payees(snapshot: RunSnapshot) -> int:
    """Tell each payee they were paid, over one connection to the mail server. The payment is
    committed already: an address that fails is logged and the others are still emailed.
    Returns how many were sent."""
    slip_ids: dict[int, int] = {
        person_id: slip_id
        for person_id, slip_id in db.session.execute(
            select(RemittanceSlip.person_id, RemittanceSlip.id).where(
                RemittanceSlip.run_id == snapshot.run_id
            )
        )
    }
    people = {
        person.id: person
        for person in db.session.scalars(
            select(User).where(User.id.in_([slip.person_id for slip in snapshot.slips]))
        )
    }
    payments_url = external_url("payments.mine")
    return send_emails(
        [
            email_message(
                people[slip.person_id].email,
                f"We have paid you {format_pence(slip.total_pence)}",
                "payment_made",
                user=people[slip.person_id],
                slip=slip,
                slip_url=external_url("payments.slip", slip_id=slip_ids[slip.person_id]),
                payments_url=payments_url,
            )
            for slip in snapshot.slips
        ]
    )
