"""Payment runs: the claims waiting for one, creating a run, adding and taking out claims."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

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
from sqlalchemy.orm import joinedload, selectinload

from payclaims.audit.models import AuditAction, AuditEvent
from payclaims.audit.services import record_event
from payclaims.auth.access import require_role
from payclaims.auth.models import Role, User
from payclaims.claims.lifecycle import ClaimsChanged, move_claims
from payclaims.claims.models import Claim, ClaimLine, ClaimStatus
from payclaims.claims.totals import approved_total_sql
from payclaims.database import utc_now
from payclaims.dates import format_date
from payclaims.errors import DomainError
from payclaims.extensions import db
from payclaims.payments.models import PaymentRun, RemittanceSlip, RunClaim, RunStatus
from payclaims.payments.payees import payment_problem, setups_of
from payclaims.people.models import BankDetails, OtherPaymentMethod
from payclaims.roles.models import SignUp

RUN_PAYMENTS = "Only finance admins can run payments."
RUN_CHANGED = (
    "Someone else changed this payment run a moment ago, so nothing was paid. "
    "Check the run again, then confirm it."
)
ALREADY_CONFIRMED = "This payment run has already been confirmed. Nothing was paid twice."
NOT_DRAFT = "This payment run has been confirmed, so it cannot be changed."
# UPDATE ... WHERE id IN (...) in batches: well under every database's parameter limit.
ID_BATCH = 500


class RunChanged(DomainError):
    """The run changed (or was confirmed) after it was read, so nothing was done."""


# Which claims can be paid -----------------------------------------------------------------


@dataclass(frozen=True)
class Exclusion:
    """An approved claim left out of runs, and why."""

    claim: Claim
    reason: str


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
    tests/payments/test_services.py checks the two agree for every way of being paid."""
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
    setups = setups_of(claim.person for claim in listed)
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
        batches = id_batches(sorted(set(claim_ids)))
    found: list[_Payable] = []
    for batch in batches:
        chosen = query if batch is None else query.where(Claim.id.in_(batch))
        found.extend(_Payable(*row) for row in db.session.execute(chosen.order_by(Claim.id)))
    return found


def id_batches(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    """``ids`` in slices of ID_BATCH, for queries with ``WHERE id IN (...)``."""
    for start in range(0, len(ids), ID_BATCH):
        yield ids[start : start + ID_BATCH]


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
    require_role(actor, Role.FINANCE_ADMIN, message=RUN_PAYMENTS)
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


def bump_run(
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
    require_role(actor, Role.FINANCE_ADMIN, message=RUN_PAYMENTS)
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
    bump_run(
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
    require_role(actor, Role.FINANCE_ADMIN, message=RUN_PAYMENTS)
    if not run.is_draft:
        raise RunChanged(NOT_DRAFT)
    item = db.session.scalar(
        select(RunClaim).where(RunClaim.run_id == run.id, RunClaim.claim_id == claim.id)
    )
    if item is None:
        raise DomainError("That claim is not in this run.")
    bump_run(run.id, run.version if expected_version is None else expected_version)
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
