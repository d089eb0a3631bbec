"""Payment runs: choosing approved claims, taking claims out, and confirming a run exactly once;
remittance slips (PDF, rendered once) and the bank file; per-payee tax-year totals.

Every change is a conditional UPDATE that must change exactly the rows expected, backed by
database constraints (a claim in one run at most; one slip per payee per run), so two finance
admins pressing "Confirm" at once pay nothing twice: the second is told the run is confirmed.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, cast

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Select,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload, undefer

from payclaims.approvals.services import approved_total_sql
from payclaims.audit.models import AuditAction, AuditEvent
from payclaims.audit.services import record_event
from payclaims.auth.access import require_role
from payclaims.auth.models import FINANCE_ROLES, Role, User
from payclaims.benefits.checks import PANEL_LEVELS, badge_text, check_claims
from payclaims.benefits.engine import BenefitCheck, Level
from payclaims.claims.lifecycle import ClaimsChanged, move_claims
from payclaims.claims.models import (
    Claim,
    ClaimLine,
    ClaimStatus,
    FeeChoice,
)
from payclaims.claims.services import unit_name
from payclaims.database import utc_now
from payclaims.dates import format_date, tax_year_of
from payclaims.downloads import csv_safe
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db
from payclaims.mail import email_message, external_url, send_emails
from payclaims.money import format_pence
from payclaims.payments.models import PaymentRun, RemittanceSlip, RunClaim, RunStatus
from payclaims.pdf import render_many, static_root
from payclaims.people import crypto
from payclaims.people.models import BankDetails, OtherPaymentMethod, PaymentMethod
from payclaims.people.services import PaidBy, PaymentSetup, payment_setups
from payclaims.roles.models import SignUp

RUN_PAYMENTS = "Only finance admins can run payments."
RUN_CHANGED = (
    "Someone else changed this payment run a moment ago, so nothing was paid. "
    "Check the run again, then confirm it."
)
ALREADY_CONFIRMED = "This payment run has already been confirmed. Nothing was paid twice."
NOT_DRAFT = "This payment run has been confirmed, so it cannot be changed."
BENEFITS_NOT_SEEN = "Tick to say you have seen the benefits changes before you confirm the run"
BANK_FILE_HEADINGS = (
    "Payee name",
    "Sort code",
    "Account number",
    "Amount",
    "Reference",
    "Building society roll number",
)
TAX_YEAR_HEADINGS = (
    "Person",
    "Email address",
    "Tax year",
    "Payments",
    "Fees (earnings)",
    "Expenses",
    "Total paid",
)
# UPDATE ... WHERE id IN (...) in batches: well under every database's parameter limit.
ID_BATCH = 500


class RunChanged(DomainError):
    """The run changed (or was confirmed) after it was read, so nothing was done."""


# Who may do what --------------------------------------------------------------------------


def is_finance_admin(user: User) -> bool:
    """Whether ``user`` runs payments."""
    return user.is_active and user.has_role(Role.FINANCE_ADMIN)


def can_download_slip(slip: RemittanceSlip, user: User) -> bool:
    """The payee downloads their own slips; finance staff any. Nobody else."""
    if not user.is_active:
        return False
    if slip.person_id == user.id and user.has_role(Role.EXPERT):
        return True
    return user.has_role(*FINANCE_ROLES)


# Which claims can be paid -----------------------------------------------------------------


@dataclass(frozen=True)
class Exclusion:
    """An approved claim left out of runs, and why."""

    claim: Claim
    reason: str


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


# What finance calls each other payment method when it is not checked yet.
UNCHECKED_METHOD_NAMES = {
    PaymentMethod.CHEQUE: "Cheque",
    PaymentMethod.PREPAID_CARD: "Prepaid card",
    PaymentMethod.APPOINTEE: "Payment through an appointee or organisation",
    PaymentMethod.OTHER: "Another payment method",
}


def payment_problem(setup: PaymentSetup) -> str | None:
    """Why a person cannot be paid now, in plain words; None if they can."""
    if setup.can_be_paid:
        return None
    if setup.other_method is not None:
        return (
            f"{UNCHECKED_METHOD_NAMES[setup.other_method.method]} recorded by finance but not "
            "checked yet by a second finance person"
        )
    if setup.paid_by is PaidBy.NOTHING:
        return "No bank details: the person has not given any yet"
    return (
        "Bank details given or changed and not yet confirmed by finance: confirm them under "
        "Bank details first"
    )


def _setups_of(people: Iterable[User]) -> dict[int, PaymentSetup]:
    """``payment_setups`` for these people (each once), in a bounded number of queries."""
    unique = {person.id: person for person in people}
    return payment_setups(list(unique.values())) if unique else {}


def _claim_options() -> tuple[Any, ...]:
    return (
        joinedload(Claim.person),
        joinedload(Claim.sign_up).joinedload(SignUp.version),
        selectinload(Claim.lines).options(
            joinedload(ClaimLine.rate_version), selectinload(ClaimLine.receipts)
        ),
    )


def _waiting() -> ColumnElement[bool]:
    """An approved claim in no run: waiting for a payment run."""
    in_a_run = exists().where(RunClaim.claim_id == Claim.id)
    return and_(Claim.status == ClaimStatus.APPROVED, ~in_a_run)


def _can_be_paid() -> ColumnElement[bool]:
    """The claim's person can be paid now, in SQL, as ``PaymentSetup.can_be_paid`` decides:
    a current other payment method checked by a second finance person (it comes first when
    recorded, checked or not) or, with none, current bank details confirmed by finance.
    tests/test_payments_services.py checks the two agree for every way of being paid."""
    current_method = and_(
        OtherPaymentMethod.person_id == Claim.person_id, OtherPaymentMethod.ended_at.is_(None)
    )
    checked_method = exists().where(current_method, OtherPaymentMethod.confirmed_at.is_not(None))
    confirmed_bank_details = exists().where(
        BankDetails.person_id == Claim.person_id,
        BankDetails.superseded_at.is_(None),
        BankDetails.confirmed_at.is_not(None),
    )
    return or_(checked_method, and_(~exists().where(current_method), confirmed_bank_details))


@dataclass(frozen=True)
class WaitingClaims:
    """Approved claims in no run, counted in SQL: those that can be paid and their total, and
    those left out until their person can be paid."""

    payable: int
    payable_pence: int
    excluded: int


def waiting_claims() -> WaitingClaims:
    """How many approved claims wait for a run, and for how much, in one query whatever
    their number."""
    can_pay = _can_be_paid()
    payable, pence, excluded = db.session.execute(
        select(
            func.count(case((can_pay, Claim.id))),
            func.coalesce(func.sum(case((can_pay, approved_total_sql()))), 0),
            func.count(case((~can_pay, Claim.id))),
        ).where(_waiting())
    ).one()
    return WaitingClaims(int(payable or 0), int(pence or 0), int(excluded or 0))


def _listed(query: Select[Claim]) -> Select[Claim]:
    """What a list of waiting claims shows (reference, person, approved total), oldest first."""
    return query.options(joinedload(Claim.person), selectinload(Claim.lines)).order_by(Claim.id)


def payable_claims_query() -> Select[Claim]:
    """Approved claims in no run whose person can be paid now, oldest first (to page)."""
    return _listed(select(Claim).where(_waiting(), _can_be_paid()))


def excluded_claims_query() -> Select[Claim]:
    """Approved claims in no run left out because their person cannot be paid yet, oldest
    first (to page; ``exclusions`` gives each one's reason)."""
    return _listed(select(Claim).where(_waiting(), ~_can_be_paid()))


def exclusions(claims: Iterable[Claim]) -> list[Exclusion]:
    """Each left-out claim with the reason its person cannot be paid, in two queries whatever
    the number (one claimed a moment ago, whose person can be paid now, is dropped)."""
    listed = list(claims)
    setups = _setups_of(claim.person for claim in listed)
    found = [(claim, payment_problem(setups[claim.person_id])) for claim in listed]
    return [Exclusion(claim, problem) for claim, problem in found if problem is not None]


@dataclass(frozen=True)
class _Payable:
    """What scheduling a claim needs: no relations loaded."""

    id: int
    version: int
    person_id: int


def _payable(claim_ids: Sequence[int] | None) -> list[_Payable]:
    """Payable claims (all, or those of ``claim_ids`` still payable), oldest first."""
    query = select(Claim.id, Claim.version, Claim.person_id).where(_waiting(), _can_be_paid())
    if claim_ids is None:
        batches: Iterable[Sequence[int] | None] = [None]
    else:
        batches = _batches(sorted(set(claim_ids)))
    found: list[_Payable] = []
    for batch in batches:
        chosen = query if batch is None else query.where(Claim.id.in_(batch))
        found.extend(_Payable(*row) for row in db.session.execute(chosen.order_by(Claim.id)))
    return found


# Creating a run, adding claims and taking claims out --------------------------------------


def create_run(
    *,
    actor: User,
    payment_on: date,
    today: date,
    claim_ids: Sequence[int] | None = None,
    ip_address: str | None = None,
) -> PaymentRun:
    """A draft run paying on ``payment_on``: all payable claims, or only ``claim_ids``.

    Each claim becomes scheduled by a conditional update, so a claim another admin put in a
    run a moment ago is simply not added; the unique claim_id backs that in the database.
    """
    require_role(actor, Role.FINANCE_ADMIN, RUN_PAYMENTS)
    if payment_on < today:
        raise DomainError("The payment date must be today or later", field="payment_on")
    payable = _payable(claim_ids)
    if not payable:
        raise DomainError("Choose at least one approved claim to pay", field="claim_ids")
    run = PaymentRun(payment_on=payment_on, created_by_id=actor.id)
    db.session.add(run)
    db.session.flush()
    run_id = run.id
    added = len(_schedule(run_id, payment_on, payable, actor=actor))
    if not added:
        db.session.rollback()
        raise DomainError(
            "Those claims were put in another run a moment ago. Check the list again.",
            field="claim_ids",
        )
    record_event(
        AuditAction.PAYMENT_RUN_CREATED,
        actor=actor,
        ip_address=ip_address,
        detail=f"RUN{run_id:05d}: {added} claims, to be paid on {format_date(payment_on)}",
        about=("payment_run", run_id),
    )
    try:
        db.session.commit()
    except IntegrityError as error:  # a claim put in another run at the same moment
        db.session.rollback()
        raise DomainError(
            "A claim was put in another run at the same moment. Try again.", field="claim_ids"
        ) from error
    return run


def _schedule(
    run_id: int, payment_on: date, claims: Sequence[_Payable], *, actor: User
) -> list[int]:
    """Put claims in a run: approved -> scheduled, each only if unchanged since it was read,
    with its ClaimEvent. Returns the ids scheduled; a claim changed or put in a run by someone
    else since it was read is left out (the unique claim_id backs that in the database)."""
    scheduled = move_claims(
        [claim.id for claim in claims],
        from_status=ClaimStatus.APPROVED,
        to=ClaimStatus.SCHEDULED,
        actor=actor,
        note=f"In payment run RUN{run_id:05d}, to be paid on {format_date(payment_on)}",
        versions={claim.id: claim.version for claim in claims},
        whole=False,
    )
    db.session.add_all(
        RunClaim(run_id=run_id, claim_id=claim_id, added_by_id=actor.id) for claim_id in scheduled
    )
    return scheduled


def _bump_run(
    run_id: int,
    version: int,
    *,
    changed: str = RUN_CHANGED,
    confirmed: str = ALREADY_CONFIRMED,
    **values: Any,
) -> None:
    """Change a draft run only if nobody has since it was read; RunChanged otherwise, saying
    ``confirmed`` if the run was confirmed meanwhile, ``changed`` if it was changed."""
    result = db.session.execute(
        update(PaymentRun)
        .where(
            PaymentRun.id == run_id,
            PaymentRun.status == RunStatus.DRAFT,
            PaymentRun.version == version,
        )
        .values(version=PaymentRun.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        db.session.rollback()
        status = db.session.scalar(select(PaymentRun.status).where(PaymentRun.id == run_id))
        raise RunChanged(confirmed if status is RunStatus.CONFIRMED else changed)


def _not_added_message(claim_ids: Iterable[int], run_id: int) -> str:
    """Why chosen claims could not go in the run, in words: in a run already (which), or no
    longer waiting to be paid."""
    ids = sorted(set(claim_ids))
    held = {
        claim_id: run_id
        for claim_id, run_id in db.session.execute(
            select(RunClaim.claim_id, RunClaim.run_id).where(RunClaim.claim_id.in_(ids))
        )
    }
    found = db.session.scalars(select(Claim).where(Claim.id.in_(ids)).order_by(Claim.id))
    reasons = []
    for claim in found:
        other = held.get(claim.id)
        if other == run_id:
            reasons.append(f"{claim.reference} is already in this run")
        elif other is not None:
            reasons.append(f"{claim.reference} is already in payment run RUN{other:05d}")
        else:
            reasons.append(
                f"{claim.reference} can no longer be paid in a run (it is no longer approved, "
                "or how the person is paid changed)"
            )
    what = "; ".join(reasons) or "A claim you chose no longer exists"
    return f"{what}. No claims were added. Check the list again."


def add_claims(
    run: PaymentRun,
    *,
    actor: User,
    claim_ids: Sequence[int] | None = None,
    expected_version: int | None = None,
    ip_address: str | None = None,
) -> int:
    """Put more approved claims in a draft run: ``claim_ids``, or all that can be paid.

    Each becomes scheduled as at creation, with its ClaimEvent and an audit event, and the
    run's version moves on, so a confirmation prepared before is refused. All or nothing: if
    a chosen claim was put in another run a moment ago, or can no longer be paid, none is
    added. Returns how many were added.
    """
    require_role(actor, Role.FINANCE_ADMIN, RUN_PAYMENTS)
    if not run.is_draft:
        raise RunChanged(NOT_DRAFT)
    if claim_ids is not None and not claim_ids:
        raise DomainError("Choose at least one claim to add", field="claim_ids")
    run_id, payment_on, reference = run.id, run.payment_on, run.reference
    payable = _payable(claim_ids)
    missing = set(claim_ids or ()) - {claim.id for claim in payable}
    if missing:
        raise DomainError(_not_added_message(missing, run_id), field="claim_ids")
    if not payable:
        raise DomainError("No approved claims can be added just now.", field="claim_ids")
    _bump_run(
        run_id,
        run.version if expected_version is None else expected_version,
        changed=(
            "Someone else changed this payment run a moment ago, so no claims were added. "
            "Check the run, then add claims again."
        ),
        confirmed=NOT_DRAFT,
    )
    scheduled = _schedule(run_id, payment_on, payable, actor=actor)
    if len(scheduled) != len(payable):
        db.session.rollback()
        taken = {claim.id for claim in payable} - set(scheduled)
        raise DomainError(_not_added_message(taken, run_id), field="claim_ids")
    now = utc_now()
    db.session.execute(
        insert(AuditEvent),
        [
            {
                "occurred_at": now,
                "action": AuditAction.PAYMENT_RUN_CLAIM_ADDED.value,
                "actor_id": actor.id,
                "subject_user_id": claim.person_id,
                "ip_address": ip_address,
                "detail": f"C-{claim.id:06d} added to {reference}",
                "object_type": "payment_run",
                "object_id": run_id,
            }
            for claim in payable
        ],
    )
    try:
        db.session.commit()
    except IntegrityError as error:  # a claim put in another run at the same moment
        db.session.rollback()
        raise DomainError(
            "A claim was put in another payment run at the same moment, so no claims were "
            "added. Check the list again.",
            field="claim_ids",
        ) from error
    return len(scheduled)


def remove_claim(
    run: PaymentRun,
    claim: Claim,
    *,
    actor: User,
    expected_version: int | None = None,
    ip_address: str | None = None,
) -> None:
    """Take a claim out of a draft run: it is approved again, ready for another run."""
    require_role(actor, Role.FINANCE_ADMIN, RUN_PAYMENTS)
    if not run.is_draft:
        raise RunChanged(NOT_DRAFT)
    item = db.session.scalar(
        select(RunClaim).where(RunClaim.run_id == run.id, RunClaim.claim_id == claim.id)
    )
    if item is None:
        raise DomainError("That claim is not in this run.")
    _bump_run(run.id, run.version if expected_version is None else expected_version)
    try:
        move_claims(
            [claim.id],
            from_status=ClaimStatus.SCHEDULED,
            to=ClaimStatus.APPROVED,
            actor=actor,
            note=f"Taken out of payment run {run.reference}",
        )
    except ClaimsChanged as changed:
        raise RunChanged(RUN_CHANGED) from changed
    db.session.execute(delete(RunClaim).where(RunClaim.id == item.id))
    record_event(
        AuditAction.PAYMENT_RUN_CLAIM_REMOVED,
        actor=actor,
        subject=claim.person,
        ip_address=ip_address,
        detail=f"{claim.reference} taken out of {run.reference}",
        about=("payment_run", run.id),
    )
    db.session.commit()


# Reading runs -----------------------------------------------------------------------------


def load_run(run_id: int) -> PaymentRun | None:
    """A run with its claims (and their lines and people) and slips."""
    return db.session.scalar(
        select(PaymentRun)
        .where(PaymentRun.id == run_id)
        .options(
            joinedload(PaymentRun.created_by),
            joinedload(PaymentRun.confirmed_by),
            selectinload(PaymentRun.items).joinedload(RunClaim.claim).options(*_claim_options()),
            selectinload(PaymentRun.slips).options(
                joinedload(RemittanceSlip.person),
                joinedload(RemittanceSlip.other_payment_method),
            ),
        )
    )


@dataclass(frozen=True)
class RunRow:
    """A run as the list of runs shows it, with its claims counted and added up in SQL."""

    run: PaymentRun
    claim_count: int
    total_pence: int


def runs(*, limit: int = 100) -> list[RunRow]:
    """Runs, newest first, each with how many claims it holds and their approved total, in
    two queries whatever the number of claims."""
    newest = list(
        db.session.scalars(
            select(PaymentRun)
            .options(joinedload(PaymentRun.created_by))
            .order_by(PaymentRun.created_at.desc(), PaymentRun.id.desc())
            .limit(limit)
        )
    )
    totals = {
        run_id: (int(count), int(pence or 0))
        for run_id, count, pence in db.session.execute(
            select(RunClaim.run_id, func.count(RunClaim.id), func.sum(approved_total_sql()))
            .join(Claim, Claim.id == RunClaim.claim_id)
            .where(RunClaim.run_id.in_([run.id for run in newest]))
            .group_by(RunClaim.run_id)
        )
    }
    return [RunRow(run, *totals.get(run.id, (0, 0))) for run in newest]


@dataclass
class PayeeTotal:
    """One payee's claims in a run, and what they will be paid."""

    person: User
    claims: list[Claim] = field(default_factory=list)
    # Draft runs only: how the person is paid now, and why they cannot be, if so.
    setup: PaymentSetup | None = None
    problem: str | None = None

    @property
    def other_method(self) -> OtherPaymentMethod | None:
        """The confirmed other payment method the person is paid by (outside the bank file)."""
        if self.problem is None and self.setup is not None:
            return self.setup.other_method
        return None

    @property
    def fee_pence(self) -> int:
        """Fees (earnings) to pay."""
        return sum(claim.approved_fee_pence for claim in self.claims)

    @property
    def expenses_pence(self) -> int:
        """Expenses to pay back."""
        return sum(claim.approved_expenses_pence for claim in self.claims)

    @property
    def total_pence(self) -> int:
        """All to pay this person."""
        return self.fee_pence + self.expenses_pence


def payees(run: PaymentRun) -> list[PayeeTotal]:
    """The run's payees by name, each with their claims and totals; for a draft run also how
    each is paid now and any reason they cannot be (in a bounded number of queries)."""
    by_person: dict[int, PayeeTotal] = {}
    for item in run.items:
        claim = item.claim
        by_person.setdefault(claim.person_id, PayeeTotal(claim.person)).claims.append(claim)
    if run.is_draft:
        setups = _setups_of(payee.person for payee in by_person.values())
        for person_id, payee in by_person.items():
            payee.setup = setups[person_id]
            payee.problem = payment_problem(payee.setup)
    return sorted(by_person.values(), key=lambda payee: (payee.person.name, payee.person.id))


@dataclass(frozen=True)
class OutsidePayment:
    """A payee paid by hand in another way (cheque...), not in the run's bank file."""

    name: str
    phrase: str
    details: str
    total_pence: int
    reference: str


def paid_outside_bank_file(
    run: PaymentRun, run_payees: Sequence[PayeeTotal]
) -> list[OutsidePayment]:
    """Who finance pays by hand: for a draft run, payees whose confirmed other payment method
    is current now; for a confirmed run, the slips issued for another method. By name."""
    outside: list[OutsidePayment] = []
    if run.is_draft:
        for payee in run_payees:
            method = payee.other_method
            if method is not None:
                outside.append(
                    OutsidePayment(
                        name=payee.person.name,
                        phrase=method.method.phrase,
                        details=method.details,
                        total_pence=payee.total_pence,
                        reference=slip_reference(run.id, payee.person.id),
                    )
                )
    else:
        for slip in run.slips:
            method = slip.other_payment_method
            if method is not None:
                outside.append(
                    OutsidePayment(
                        name=slip.person.name,
                        phrase=method.method.phrase,
                        details=method.details,
                        total_pence=slip.total_pence,
                        reference=slip.reference,
                    )
                )
        outside.sort(key=lambda payment: (payment.name, payment.reference))
    return outside


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


def _slip_claim(claim: Claim) -> SlipClaim:
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


@dataclass(frozen=True)
class BankFileRow:
    """One payment in the bank file (plain numbers: kept in memory, never stored)."""

    name_on_account: str
    sort_code: str
    account_number: str
    amount_pence: int
    reference: str
    roll_number: str


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


def organisation_address() -> tuple[str, ...]:
    """The organisation's postal address lines (ORGANISATION_ADDRESS, one line per line)."""
    text = str(current_app.config["ORGANISATION_ADDRESS"] or "")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


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
            claims=tuple(_slip_claim(claim) for claim in claims),
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


# Confirming a run, exactly once -----------------------------------------------------------


def _batches(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), ID_BATCH):
        yield ids[start : start + ID_BATCH]


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
    require_role(actor, Role.FINANCE_ADMIN, RUN_PAYMENTS)
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
    _bump_run(
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
    for batch in _batches([method_id for method_id in method_ids if method_id is not None]):
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
    for batch in _batches([slip.person_id for slip in by_bank]):
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
    for batch in _batches(ids):
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


def bank_file_for_download(run: PaymentRun, *, actor: User, ip_address: str | None) -> bytes:
    """The confirmed run's bank file, made again from the bank details of the slips paid by
    bank transfer (payees paid another way are not in it) and checked against the hash taken
    at confirming; every download audited."""
    require_role(actor, Role.FINANCE_ADMIN, RUN_PAYMENTS)
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


# Reports ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayeeYearTotal:
    """What one person was paid in one tax year."""

    person: User
    payments: int
    fee_pence: int
    expenses_pence: int

    @property
    def total_pence(self) -> int:
        """All paid."""
        return self.fee_pence + self.expenses_pence


def tax_year_totals(start: date) -> list[PayeeYearTotal]:
    """Per-payee totals of slips paid in the tax year starting ``start``, by name."""
    end = date(start.year + 1, start.month, start.day)
    rows = db.session.execute(
        select(
            RemittanceSlip.person_id,
            func.count(RemittanceSlip.id),
            func.sum(RemittanceSlip.fee_pence),
            func.sum(RemittanceSlip.expenses_pence),
        )
        .where(RemittanceSlip.payment_on >= start, RemittanceSlip.payment_on < end)
        .group_by(RemittanceSlip.person_id)
    ).all()
    people = {
        person.id: person
        for person in db.session.scalars(select(User).where(User.id.in_([r[0] for r in rows])))
    }
    totals = [
        PayeeYearTotal(people[person_id], int(count), int(fees or 0), int(expenses or 0))
        for person_id, count, fees, expenses in rows
    ]
    return sorted(totals, key=lambda total: (total.person.name, total.person.id))


def export_tax_year_totals(start: date, *, actor: User, ip_address: str | None) -> str:
    """The tax year's per-payee totals as CSV text (formula-safe); the export is audited."""
    if not (actor.is_active and actor.has_role(*FINANCE_ROLES)):
        raise PermissionDenied("Only the finance team can export payment totals.")
    totals = tax_year_totals(start)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(TAX_YEAR_HEADINGS)
    for total in totals:
        writer.writerow(
            [
                csv_safe(value)
                for value in (
                    total.person.name,
                    total.person.email,
                    tax_year_of(start).label,
                    str(total.payments),
                    pounds(total.fee_pence),
                    pounds(total.expenses_pence),
                    pounds(total.total_pence),
                )
            ]
        )
    record_event(
        AuditAction.TAX_YEAR_TOTALS_EXPORTED,
        actor=actor,
        ip_address=ip_address,
        detail=f"Tax year {tax_year_of(start).label}: {len(totals)} payees",
    )
    db.session.commit()
    return buffer.getvalue()
