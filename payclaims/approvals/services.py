"""Approval use cases: coordinators confirm work took place; finance approvers of a claim's
cost centre (or their delegates) approve it, reduce a line, return it or reject it.

Every decision is a conditional UPDATE on the claim's (id, status, version) through
``claims/lifecycle.py``: of two people deciding at once exactly one changes the row, and the
other is told what happened. The claim_approvals table's unique constraints back four eyes in the
database: one approval per approver per round, one first and one second approval per round.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from payclaims.approvals.models import ApprovalDelegation, ApprovalStage, ClaimApproval
from payclaims.audit.models import AuditAction
from payclaims.audit.services import record_event
from payclaims.auth.models import Role, User, UserRole
from payclaims.benefits.engine.types import BenefitCheck, Level
from payclaims.benefits.payment_dates import next_payment_date
from payclaims.benefits.profile.models import FeeChoice
from payclaims.claims.access import is_role_staff
from payclaims.claims.benefits_check import CHECK_LOAD_OPTIONS, check_claims
from payclaims.claims.lifecycle import StaleClaim, move_claim
from payclaims.claims.models import (
    Claim,
    ClaimEvent,
    ClaimLine,
    ClaimStatus,
    LineKind,
)
from payclaims.costcentres.models import CostCentre, cost_centre_approvers
from payclaims.database import utc_now
from payclaims.dates import UK, format_date, working_days_between
from payclaims.downloads import csv_safe
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db
from payclaims.mail import email_message, external_url, send_email, send_emails
from payclaims.money import format_pence
from payclaims.roles.models import RoleDescription, SignUp

REASON_MAX = 2000
NOTE_MAX = 500
# Claims waiting longer than this many working days get a reminder line in the digest.
REMINDER_WORKING_DAYS = 10
# Statuses a finance person may look at (a draft is still the person's own business).
FINANCE_VISIBLE_STATUSES = tuple(
    status for status in ClaimStatus if status is not ClaimStatus.DRAFT
)
# What someone else did, by the status they left the claim in, for the loser of a race.
DONE_WORDS = {
    ClaimStatus.VERIFIED: "confirmed",
    ClaimStatus.APPROVED: "approved",
    ClaimStatus.SCHEDULED: "put in a payment run",
    ClaimStatus.PAID: "paid",
    ClaimStatus.RETURNED: "returned",
    ClaimStatus.REJECTED: "rejected",
    ClaimStatus.WITHDRAWN: "withdrawn",
    ClaimStatus.SUBMITTED: "sent again",
    ClaimStatus.DRAFT: "changed",
}
# Kind wording finance can start from when rejecting (shown on the page as a hint).
REJECTION_EXAMPLE = (
    "Thank you for your claim. We cannot pay it because the session on 3 March was cancelled "
    "before it started. If we have got this wrong, please reply and we will look again."
)


class ClaimMoved(DomainError):
    """Someone else decided the claim first; the message says what they did."""


# Who may do what --------------------------------------------------------------------------


def _active_approver(user: User) -> bool:
    return user.is_active and user.has_role(Role.FINANCE_APPROVER)


def delegators_of(user: User, today: date) -> list[int]:
    """The approvers ``user`` stands in for today (their delegations in force, from approvers
    still active and still holding the finance approver role)."""
    return list(db.session.scalars(_standing_in_for(user, today)))


def _standing_in_for(delegate: User, today: date) -> Select[Any]:
    """The ids of the active finance approvers whose delegation to ``delegate`` is in force."""
    return (
        select(ApprovalDelegation.approver_id)
        .join(User, User.id == ApprovalDelegation.approver_id)
        .where(
            _delegation_in_force(delegate, today),
            User.is_active.is_(True),
            exists().where(
                UserRole.user_id == ApprovalDelegation.approver_id,
                UserRole.role == Role.FINANCE_APPROVER,
            ),
        )
    )


def _delegation_in_force(delegate: User, today: date) -> ColumnElement[bool]:
    return and_(
        ApprovalDelegation.delegate_id == delegate.id,
        ApprovalDelegation.ended_at.is_(None),
        ApprovalDelegation.starts_on <= today,
        ApprovalDelegation.ends_on >= today,
    )


def routed_cost_centres(user: User, today: date) -> Select[tuple[int]]:
    """The ids of the cost centres whose claims reach ``user``: their own, and those of the
    approvers they stand in for today. A subquery, so lists stay one query."""
    standing_in_for = _standing_in_for(user, today)
    return select(cost_centre_approvers.c.cost_centre_id).where(
        or_(
            cost_centre_approvers.c.user_id == user.id,
            cost_centre_approvers.c.user_id.in_(standing_in_for),
        )
    )


@dataclass(frozen=True)
class Routing:
    """How a claim reaches an approver: directly, or as someone's delegate."""

    on_behalf_of: User | None


def routing_for(claim: Claim, user: User, today: date) -> Routing | None:
    """Whether ``claim`` is routed to ``user`` (None if not), and for whom."""
    if not _active_approver(user):
        return None
    cost_centre_id = claim.role.cost_centre_id
    approver_ids = set(
        db.session.scalars(
            select(cost_centre_approvers.c.user_id).where(
                cost_centre_approvers.c.cost_centre_id == cost_centre_id
            )
        )
    )
    if user.id in approver_ids:
        return Routing(on_behalf_of=None)
    for approver_id in delegators_of(user, today):
        if approver_id in approver_ids:
            return Routing(on_behalf_of=db.session.get(User, approver_id))
    return None


def can_see_as_finance(claim: Claim, user: User, today: date) -> bool:
    """Finance admins see every sent claim; finance approvers those routed to them."""
    if not user.is_active or claim.status is ClaimStatus.DRAFT:
        return False
    if user.has_role(Role.FINANCE_ADMIN):
        return True
    return routing_for(claim, user, today) is not None


def approvals_this_round(claim: Claim) -> list[ClaimApproval]:
    """The approvals the claim has had since it last reached finance, first one first."""
    return list(
        db.session.scalars(
            select(ClaimApproval)
            .where(
                ClaimApproval.claim_id == claim.id,
                ClaimApproval.approval_round == claim.approval_round,
            )
            .options(joinedload(ClaimApproval.approver), joinedload(ClaimApproval.on_behalf_of))
            .order_by(ClaimApproval.stage)
        )
    )


def decision_problem(
    claim: Claim, user: User, today: date, approvals: Sequence[ClaimApproval] | None = None
) -> str | None:
    """Why ``user`` may not decide ``claim`` now, in a sentence; None when they may."""
    routing = routing_for(claim, user, today)
    if routing is None:
        return (
            "Only a finance approver of the claim's cost centre, or their delegate, can decide it."
        )
    if claim.person_id == user.id:
        return "This is your own claim, so someone else must decide it."
    if claim.created_by_id == user.id or claim.submitted_by_id == user.id:
        return "You wrote or sent this claim for the person, so someone else must decide it."
    if claim.verified_by_id == user.id:
        return "You confirmed the work took place, so someone else must approve it."
    if claim.role.coordinator_id == user.id:
        return "You coordinate this claim's role, so someone else must decide it."
    if claim.status is not ClaimStatus.VERIFIED:
        return f"This claim is not waiting for finance: it is {claim.status.label.lower()}."
    done = approvals if approvals is not None else approvals_this_round(claim)
    if any(approval.approver_id == user.id for approval in done):
        return "You have approved this claim already. A second, different approver must approve it."
    authority = {user.id}
    if routing.on_behalf_of is not None:
        authority.add(routing.on_behalf_of.id)
    if any(_authorities(approval) & authority for approval in done):
        return (
            "This claim was approved already by, or on behalf of, the same approver. A second, "
            "different approver must approve it."
        )
    return None


def _authorities(approval: ClaimApproval) -> set[int]:
    """Whose authority an approval used: the approver's, and the person they stood in for."""
    ids = {approval.approver_id}
    if approval.on_behalf_of_id is not None:
        ids.add(approval.on_behalf_of_id)
    return ids


def _require_decision(claim: Claim, actor: User, today: date) -> Routing:
    problem = decision_problem(claim, actor, today)
    if problem is not None:
        raise PermissionDenied(problem)
    routing = routing_for(claim, actor, today)
    assert routing is not None
    return routing


def can_verify(claim: Claim, user: User) -> bool:
    """The role's coordinator (or an admin) confirms the work; never on their own claim."""
    return is_role_staff(claim, user) and user.id not in {
        claim.person_id,
        claim.created_by_id,
        claim.submitted_by_id,
    }


def _check_version(claim: Claim, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != claim.version:
        raise StaleClaim()


def moved_message(claim_id: int) -> str:
    """What to tell the loser of a race: what the other person did, and where it stands."""
    db.session.expire_all()
    last = db.session.scalar(
        select(ClaimEvent)
        .where(ClaimEvent.claim_id == claim_id)
        .order_by(ClaimEvent.occurred_at.desc(), ClaimEvent.id.desc())
        .limit(1)
    )
    if last is None:
        return "Someone else has just changed this claim. Here is where it stands now."
    if last.from_status is ClaimStatus.VERIFIED and last.to_status is ClaimStatus.VERIFIED:
        done = "approved"
    else:
        done = DONE_WORDS[last.to_status]
    return f"Someone else has just {done} this claim. Here is where it stands now."


def _reason(text: str, *, field: str, missing: str) -> str:
    reason = text.strip()
    if not reason:
        raise DomainError(missing, field=field)
    if len(reason) > REASON_MAX:
        raise DomainError(f"Keep it to {REASON_MAX} characters or fewer", field=field)
    return reason


def _commit_decision() -> None:
    """Commit; a doubled approval refused by the database reads like any other lost race."""
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise StaleClaim() from error


def _audit(
    action: AuditAction,
    claim: Claim,
    *,
    actor: User,
    ip_address: str | None,
    detail: str,
    on_behalf_of: User | None = None,
) -> None:
    if on_behalf_of is not None:
        detail = f"{detail} (as delegate for {on_behalf_of.name})"
    record_event(
        action,
        actor=actor,
        subject=claim.person,
        ip_address=ip_address,
        detail=f"{claim.reference}: {detail}",
        about=("claim", claim.id),
    )


def _email_person(claim: Claim, subject: str, template: str, **context: Any) -> None:
    person = claim.person
    send_email(
        person.email,
        subject,
        template,
        person=person,
        claim=claim,
        link=external_url("claims.detail", claim_id=claim.id),
        **context,
    )


# Verification -----------------------------------------------------------------------------


def verify_claim(
    claim: Claim, *, actor: User, ip_address: str | None, expected_version: int | None = None
) -> None:
    """The coordinator confirms the work took place; the claim goes to finance."""
    if not can_verify(claim, actor):
        raise PermissionDenied(
            "Only the role's coordinator can confirm this claim, and never their own."
        )
    if claim.status is not ClaimStatus.SUBMITTED:
        raise ClaimMoved(
            f"This claim is not waiting to be confirmed: it is {claim.status.label.lower()}."
        )
    _check_version(claim, expected_version)
    move_claim(
        claim,
        to=ClaimStatus.VERIFIED,
        actor=actor,
        verified_by_id=actor.id,
        verified_at=utc_now(),
        approval_round=Claim.approval_round + 1,
        return_reason="",
    )
    _audit(
        AuditAction.CLAIM_VERIFIED,
        claim,
        actor=actor,
        ip_address=ip_address,
        detail="work confirmed",
    )
    db.session.commit()
    _email_person(claim, f"Claim {claim.reference} confirmed", "claim_verified")


def return_claim(
    claim: Claim,
    *,
    actor: User,
    reason: str,
    today: date,
    ip_address: str | None,
    expected_version: int | None = None,
) -> None:
    """Send the claim back to the person with a question: by the coordinator while it waits
    for confirmation, or by a finance approver while it waits for finance."""
    on_behalf_of: User | None = None
    if claim.status is ClaimStatus.SUBMITTED:
        if not can_verify(claim, actor):
            raise PermissionDenied(
                "Only the role's coordinator can return this claim, and never their own."
            )
    elif claim.status is ClaimStatus.VERIFIED:
        on_behalf_of = _require_decision(claim, actor, today).on_behalf_of
    else:
        raise ClaimMoved(f"This claim cannot be returned now: it is {claim.status.label.lower()}.")
    reason = _reason(
        reason, field="reason", missing="Say what the person needs to tell you or change"
    )
    _check_version(claim, expected_version)
    move_claim(claim, to=ClaimStatus.RETURNED, actor=actor, note=reason, return_reason=reason)
    _audit(
        AuditAction.CLAIM_RETURNED,
        claim,
        actor=actor,
        ip_address=ip_address,
        detail=f"returned: {reason}"[:1000],
        on_behalf_of=on_behalf_of,
    )
    db.session.commit()
    _email_person(
        claim, f"Claim {claim.reference}: we need more information", "claim_returned", reason=reason
    )


# Finance decisions ------------------------------------------------------------------------


@dataclass(frozen=True)
class LineReduction:
    """Finance approves a line for less than it asks, with the reason the person sees."""

    approved_pence: int | None
    note: str


def approve_field(line: ClaimLine) -> str:
    """The form field for a line's approved amount."""
    return f"approve_{line.id}"


def note_field(line: ClaimLine) -> str:
    """The form field for the reason a line is reduced."""
    return f"note_{line.id}"


def _check_reductions(
    claim: Claim, reductions: Mapping[int, LineReduction], *, second: bool = False
) -> list[tuple[ClaimLine, int, str]]:
    """The lines to reduce with their new amount and reason; a problem raises, by field.

    At the second approval a line may be lowered further but never raised above what the
    first approval agreed (its current payable amount).
    """
    changes = []
    for line in claim.lines:
        wanted = reductions.get(line.id)
        if wanted is None or (wanted.approved_pence is None and not wanted.note.strip()):
            continue
        note = wanted.note.strip()
        if wanted.approved_pence is None:
            raise DomainError(
                "Enter the amount to approve for this line, or clear the reason",
                field=approve_field(line),
            )
        if wanted.approved_pence < 0:
            raise DomainError("The amount cannot be less than £0", field=approve_field(line))
        if second and line.is_reduced:
            if wanted.approved_pence > line.payable_pence:
                raise DomainError(
                    f"Enter no more than the {format_pence(line.payable_pence)} the first "
                    "approval agreed: the second approval can lower a line but not raise it",
                    field=approve_field(line),
                )
        elif wanted.approved_pence >= line.amount_pence:
            raise DomainError(
                f"Enter less than the {format_pence(line.amount_pence)} claimed, or leave it "
                "empty to approve the line as claimed",
                field=approve_field(line),
            )
        if not note:
            raise DomainError(
                "Say why the line is reduced: the person will read it", field=note_field(line)
            )
        if len(note) > NOTE_MAX:
            raise DomainError(f"Keep it to {NOTE_MAX} characters or fewer", field=note_field(line))
        changes.append((line, wanted.approved_pence, note))
    return changes


def _line_words(line: ClaimLine) -> str:
    what = line.category.label.lower() if line.category else "session"
    return f"{what} on {format_date(line.session_on)}"


def approve_claim(
    claim: Claim,
    *,
    actor: User,
    today: date,
    ip_address: str | None,
    reductions: Mapping[int, LineReduction] | None = None,
    expected_version: int | None = None,
) -> ApprovalStage:
    """Approve the claim, optionally reducing lines (each with a reason the person sees).

    Above the cost centre's limit (on the approved total) the first approval is recorded and
    the claim waits for a second, different approver; the second approval approves it.
    Returns which approval this was.
    """
    routing = _require_decision(claim, actor, today)
    _check_version(claim, expected_version)
    earlier = approvals_this_round(claim)
    changes = _check_reductions(claim, reductions or {}, second=bool(earlier))
    before = [(line, line.approved_pence, line.approval_note) for line, _, _ in changes]
    for line, approved_pence, note in changes:
        line.approved_pence, line.approval_note = approved_pence, note
    total = claim.approved_total_pence
    if earlier and total > earlier[0].total_pence:
        for line, old_pence, old_note in before:
            line.approved_pence, line.approval_note = old_pence, old_note
        raise DomainError(
            f"The second approval cannot be more than the {format_pence(earlier[0].total_pence)} "
            "the first approval agreed"
        )
    stage = ApprovalStage.SECOND if earlier else ApprovalStage.FIRST
    final = stage is ApprovalStage.SECOND or not claim.role.cost_centre.needs_two_approvers(total)
    notes = [
        f"Reduced the {_line_words(line)} from {format_pence(line.amount_pence)} to "
        f"{format_pence(approved)}: {note}"
        for line, approved, note in changes
    ]
    if not final:
        notes.insert(
            0,
            f"First approval of {format_pence(total)}: above the "
            f"{format_pence(claim.role.cost_centre.single_approver_limit_pence)} limit, so a "
            "second approver is needed",
        )
    elif stage is ApprovalStage.SECOND:
        notes.insert(0, f"Second approval of {format_pence(total)}")
    if routing.on_behalf_of is not None:
        notes.append(f"As delegate for {routing.on_behalf_of.name}")
    # The claim's row first: the conditional UPDATE decides the race (and on PostgreSQL takes
    # the row lock) before any reduced line is written. A first approval of two keeps the
    # claim with finance.
    with db.session.no_autoflush:
        move_claim(
            claim,
            to=ClaimStatus.APPROVED if final else ClaimStatus.VERIFIED,
            actor=actor,
            note=". ".join(notes),
        )
    db.session.add(
        ClaimApproval(
            claim_id=claim.id,
            approval_round=claim.approval_round,
            stage=int(stage),
            approver_id=actor.id,
            on_behalf_of_id=routing.on_behalf_of.id if routing.on_behalf_of else None,
            total_pence=total,
        )
    )
    _audit(
        AuditAction.CLAIM_APPROVED if final else AuditAction.CLAIM_FIRST_APPROVAL,
        claim,
        actor=actor,
        ip_address=ip_address,
        detail=(f"approved {format_pence(total)}" + (f"; {'; '.join(notes)}" if notes else ""))[
            :1000
        ],
        on_behalf_of=routing.on_behalf_of,
    )
    _commit_decision()
    if final:
        reduced = [line for line in claim.lines if line.is_reduced]
        _email_person(
            claim,
            f"Claim {claim.reference} approved" + (" with a change" if reduced else ""),
            "claim_approved",
            reduced=reduced,
            total=total,
        )
    return stage


def reject_claim(
    claim: Claim,
    *,
    actor: User,
    reason: str,
    today: date,
    ip_address: str | None,
    expected_version: int | None = None,
) -> None:
    """Refuse the claim for good, with a reason the person reads."""
    routing = _require_decision(claim, actor, today)
    reason = _reason(reason, field="reason", missing="Say why the claim cannot be paid")
    _check_version(claim, expected_version)
    note = reason
    if routing.on_behalf_of is not None:
        note = f"{reason}. As delegate for {routing.on_behalf_of.name}"
    move_claim(claim, to=ClaimStatus.REJECTED, actor=actor, note=note, rejection_reason=reason)
    _audit(
        AuditAction.CLAIM_REJECTED,
        claim,
        actor=actor,
        ip_address=ip_address,
        detail=f"rejected: {reason}"[:1000],
        on_behalf_of=routing.on_behalf_of,
    )
    db.session.commit()
    _email_person(
        claim, f"Claim {claim.reference}: we cannot pay it", "claim_rejected", reason=reason
    )


# Delegation -------------------------------------------------------------------------------


def finance_approvers() -> list[User]:
    """Every active finance approver, by name."""
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.FINANCE_APPROVER, User.is_active.is_(True))
            .order_by(User.name, User.id)
        )
    )


def delegations_of(approver: User) -> list[ApprovalDelegation]:
    """The delegations an approver has named, newest first."""
    return list(
        db.session.scalars(
            select(ApprovalDelegation)
            .where(ApprovalDelegation.approver_id == approver.id)
            .options(joinedload(ApprovalDelegation.delegate))
            .order_by(ApprovalDelegation.starts_on.desc(), ApprovalDelegation.id.desc())
        )
    )


def delegations_to(delegate: User, today: date) -> list[ApprovalDelegation]:
    """The delegations in force or to come that name ``delegate``."""
    return list(
        db.session.scalars(
            select(ApprovalDelegation)
            .where(
                ApprovalDelegation.delegate_id == delegate.id,
                ApprovalDelegation.ended_at.is_(None),
                ApprovalDelegation.ends_on >= today,
            )
            .options(joinedload(ApprovalDelegation.approver))
            .order_by(ApprovalDelegation.starts_on)
        )
    )


def create_delegation(
    *,
    actor: User,
    delegate_id: int,
    starts_on: date,
    ends_on: date,
    today: date,
    ip_address: str | None,
) -> ApprovalDelegation:
    """An approver names another finance approver to decide their claims while away."""
    if not _active_approver(actor):
        raise PermissionDenied("Only a finance approver can name a delegate.")
    delegate = db.session.get(User, delegate_id)
    if delegate is None or not _active_approver(delegate):
        raise DomainError("Choose a finance approver", field="delegate")
    if delegate.id == actor.id:
        raise DomainError("Choose someone other than yourself", field="delegate")
    if starts_on < today:
        raise DomainError("The first day cannot be in the past", field="starts_on")
    if ends_on < starts_on:
        raise DomainError("The last day must be on or after the first day", field="ends_on")
    if ends_on > starts_on + timedelta(days=366):
        raise DomainError("A delegation can last a year at most", field="ends_on")
    delegation = ApprovalDelegation(
        approver_id=actor.id, delegate_id=delegate.id, starts_on=starts_on, ends_on=ends_on
    )
    db.session.add(delegation)
    db.session.flush()
    record_event(
        AuditAction.DELEGATION_CREATED,
        actor=actor,
        subject=delegate,
        ip_address=ip_address,
        detail=f"{delegate.name} decides {actor.name}'s claims from {format_date(starts_on)} "
        f"to {format_date(ends_on)}",
        about=("delegation", delegation.id),
    )
    db.session.commit()
    return delegation


def end_delegation(delegation: ApprovalDelegation, *, actor: User, ip_address: str | None) -> None:
    """The approver ends a delegation (now, or before it starts)."""
    if delegation.approver_id != actor.id:
        raise PermissionDenied("Only the approver who named the delegate can end it.")
    if delegation.ended_at is not None:
        return
    delegation.ended_at = utc_now()
    record_event(
        AuditAction.DELEGATION_ENDED,
        actor=actor,
        subject=delegation.delegate,
        ip_address=ip_address,
        detail=f"{delegation.delegate.name} no longer decides {actor.name}'s claims",
        about=("delegation", delegation.id),
    )
    db.session.commit()


# Lists ------------------------------------------------------------------------------------


def approved_total_sql() -> ColumnElement[int]:
    """A claim's approved total in SQL, as Claim.approved_total_pence computes it."""

    # ClaimLine.payable_pence: the approved amount when set and lower, else the amount.
    payable = case(
        (ClaimLine.approved_pence < ClaimLine.amount_pence, ClaimLine.approved_pence),
        else_=ClaimLine.amount_pence,
    )

    def lines_sum(kind: LineKind) -> Any:
        return (
            select(func.coalesce(func.sum(payable), 0))
            .where(ClaimLine.claim_id == Claim.id, ClaimLine.kind == kind)
            .correlate(Claim)
            .scalar_subquery()
        )

    fees = lines_sum(LineKind.FEE)
    fee = case(
        (Claim.fee_choice == FeeChoice.EXPENSES_ONLY, 0),
        (
            Claim.fee_choice == FeeChoice.REDUCED,
            case(
                (
                    func.coalesce(Claim.reduced_fee_pence, 0) < fees,
                    func.coalesce(Claim.reduced_fee_pence, 0),
                ),
                else_=fees,
            ),
        ),
        else_=fees,
    )
    total: ColumnElement[int] = fee + lines_sum(LineKind.EXPENSE)
    return total


WAITING = "waiting"
ALL_STATUSES = "all"
# The benefits level filter's value for "the person has no benefits profile".
NO_PROFILE = "none"
BENEFITS_LEVELS = (*(level.value for level in Level), NO_PROFILE)


@dataclass(frozen=True)
class QueueFilters:
    """What the finance queue (and its CSV export) is narrowed to.

    ``benefits_level`` (a ``Level`` value, or ``NO_PROFILE``) is computed, not a column, so
    ``apply_queue_filters`` cannot narrow by it: ``claims_at_level`` does, after the query.
    """

    status: str = WAITING
    cost_centre_id: int | None = None
    older_than_days: int | None = None
    min_pence: int | None = None
    max_pence: int | None = None
    benefits_level: str | None = None

    def describe(self) -> str:
        """The filters in words, for the audit trail."""
        parts = [f"status {self.status}"]
        if self.cost_centre_id:
            parts.append(f"cost centre {self.cost_centre_id}")
        if self.older_than_days:
            parts.append(f"sent over {self.older_than_days} days ago")
        if self.min_pence is not None:
            parts.append(f"from {format_pence(self.min_pence)}")
        if self.max_pence is not None:
            parts.append(f"up to {format_pence(self.max_pence)}")
        if self.benefits_level:
            parts.append(f"benefits level {self.benefits_level}")
        return ", ".join(parts)


def finance_scope(user: User, today: date) -> ColumnElement[bool]:
    """The claims a finance person sees: all sent claims for finance admins, the claims
    routed to them for finance approvers."""
    visible = Claim.status.in_(FINANCE_VISIBLE_STATUSES)
    if user.has_role(Role.FINANCE_ADMIN):
        return visible
    return and_(visible, RoleDescription.cost_centre_id.in_(routed_cost_centres(user, today)))


def apply_queue_filters(query: Select[Any], filters: QueueFilters, today: date) -> Select[Any]:
    """Narrow a query of claims (joined to their role) to ``filters``."""
    if filters.status == WAITING:
        query = query.where(Claim.status == ClaimStatus.VERIFIED)
    elif filters.status != ALL_STATUSES:
        query = query.where(Claim.status == ClaimStatus(filters.status))
    if filters.cost_centre_id:
        query = query.where(RoleDescription.cost_centre_id == filters.cost_centre_id)
    if filters.older_than_days:
        since = datetime.combine(
            today - timedelta(days=filters.older_than_days), datetime.min.time(), UK
        )
        query = query.where(Claim.submitted_at < since)
    if filters.min_pence is not None:
        query = query.where(approved_total_sql() >= filters.min_pence)
    if filters.max_pence is not None:
        query = query.where(approved_total_sql() <= filters.max_pence)
    return query


def queue_query(user: User, filters: QueueFilters, today: date) -> Select[Claim]:
    """The claims a finance person works, filtered, oldest first, with what the list shows."""
    query = (
        select(Claim)
        .join(RoleDescription, Claim.role_id == RoleDescription.id)
        .where(finance_scope(user, today))
        .options(
            joinedload(Claim.person),
            joinedload(Claim.role).joinedload(RoleDescription.cost_centre),
            joinedload(Claim.sign_up).joinedload(SignUp.version),
            *CHECK_LOAD_OPTIONS,
        )
        .order_by(Claim.submitted_at, Claim.id)
    )
    return apply_queue_filters(query, filters, today)


def level_matches(check: BenefitCheck | None, wanted: str) -> bool:
    """Whether a claim's benefits check is at the level a filter asks for (``NO_PROFILE``:
    the person has no benefits profile)."""
    if wanted == NO_PROFILE:
        return check is None
    return check is not None and check.level.value == wanted


def claims_at_level(
    query: Select[Claim], wanted: str, paid_on: date
) -> tuple[list[Claim], dict[int, BenefitCheck | None]]:
    """Every claim ``query`` gives whose benefits check on ``paid_on`` is at level ``wanted``,
    in the query's order, with the checks.

    The level is worked out by the engine, not stored, so a level filter has to check every
    claim the other filters match before it can page: one batch (``check_claims``), a fixed
    number of queries whatever the number of claims, but time and memory grow with the
    number matched. That is the finance queue's claims waiting for a decision (tens, not
    thousands) unless "all statuses" is chosen too; the query carries ``CHECK_LOAD_OPTIONS``.
    """
    claims = list(db.session.scalars(query).unique())
    checks = check_claims(claims, paid_on)
    matching = [claim for claim in claims if level_matches(checks[claim.id], wanted)]
    return matching, {claim.id: checks[claim.id] for claim in matching}


def approvals_for(claims: Iterable[Claim]) -> dict[int, list[ClaimApproval]]:
    """Each claim's approvals this round, in one query."""
    rounds = {claim.id: claim.approval_round for claim in claims}
    if not rounds:
        return {}
    found: dict[int, list[ClaimApproval]] = {claim_id: [] for claim_id in rounds}
    for approval in db.session.scalars(
        select(ClaimApproval)
        .where(ClaimApproval.claim_id.in_(rounds))
        .options(joinedload(ClaimApproval.approver))
        .order_by(ClaimApproval.stage)
    ):
        if approval.approval_round == rounds[approval.claim_id]:
            found[approval.claim_id].append(approval)
    return found


def to_confirm_query(user: User) -> Select[Claim]:
    """Claims waiting for ``user`` to confirm the work: their roles' (every role for admins)."""
    query = (
        select(Claim)
        .join(RoleDescription, Claim.role_id == RoleDescription.id)
        .where(
            Claim.status == ClaimStatus.SUBMITTED,
            Claim.person_id != user.id,
            Claim.created_by_id != user.id,
            or_(Claim.submitted_by_id.is_(None), Claim.submitted_by_id != user.id),
        )
        .options(
            joinedload(Claim.person),
            joinedload(Claim.sign_up).joinedload(SignUp.version),
            selectinload(Claim.lines),
        )
        .order_by(Claim.submitted_at, Claim.id)
    )
    if not user.has_role(Role.ADMIN):
        query = query.where(RoleDescription.coordinator_id == user.id)
    return query


def to_confirm_count(user: User) -> int:
    """How many claims wait for ``user`` to confirm the work."""
    subquery = to_confirm_query(user).options().order_by(None).subquery()
    return db.session.scalar(select(func.count()).select_from(subquery)) or 0


def _waiting_for(user: User, today: date) -> Select[Claim]:
    """Claims ``user`` can decide now: routed to them, with finance, not theirs, not ones
    they confirmed or sent, and not already approved by them this round."""
    standing_in_for = _standing_in_for(user, today)
    direct = RoleDescription.cost_centre_id.in_(
        select(cost_centre_approvers.c.cost_centre_id).where(
            cost_centre_approvers.c.user_id == user.id
        )
    )
    # Approved already this round by them, for them, or (when they decide as a delegate) by or
    # for the approver they stand in for: the same authority cannot approve twice.
    mine_already = exists().where(
        ClaimApproval.claim_id == Claim.id,
        ClaimApproval.approval_round == Claim.approval_round,
        or_(
            ClaimApproval.approver_id == user.id,
            ClaimApproval.on_behalf_of_id == user.id,
            and_(
                ~direct,
                or_(
                    ClaimApproval.approver_id.in_(standing_in_for),
                    ClaimApproval.on_behalf_of_id.in_(standing_in_for),
                ),
            ),
        ),
    )
    return (
        select(Claim)
        .join(RoleDescription, Claim.role_id == RoleDescription.id)
        .where(
            Claim.status == ClaimStatus.VERIFIED,
            RoleDescription.cost_centre_id.in_(routed_cost_centres(user, today)),
            Claim.person_id != user.id,
            Claim.created_by_id != user.id,
            RoleDescription.coordinator_id != user.id,
            or_(Claim.verified_by_id.is_(None), Claim.verified_by_id != user.id),
            or_(Claim.submitted_by_id.is_(None), Claim.submitted_by_id != user.id),
            ~mine_already,
        )
    )


@dataclass(frozen=True)
class FinanceSummary:
    """Counts for the finance home page."""

    waiting_for_me: int
    waiting_for_second: int
    waiting_long: int


def finance_summary(user: User, today: date) -> FinanceSummary:
    """What waits for a finance approver: claims to decide, second approvals, old ones.

    Counted in one SQL query, however many claims wait."""
    if not _active_approver(user):
        return FinanceSummary(0, 0, 0)
    has_first = exists().where(
        ClaimApproval.claim_id == Claim.id,
        ClaimApproval.approval_round == Claim.approval_round,
    )
    # Waiting over REMINDER_WORKING_DAYS working days: since a day on or before ``cutoff``.
    cutoff = today
    while working_days_between(cutoff, today) <= REMINDER_WORKING_DAYS:
        cutoff -= timedelta(days=1)
    since = func.coalesce(Claim.verified_at, Claim.submitted_at)
    long_before = datetime.combine(cutoff + timedelta(days=1), datetime.min.time(), UK)
    row = db.session.execute(
        _waiting_for(user, today).with_only_columns(
            func.count(Claim.id),
            func.count(case((has_first, 1))),
            func.count(case((since < long_before, 1))),
        )
    ).one()
    return FinanceSummary(
        waiting_for_me=row[0] or 0, waiting_for_second=row[1] or 0, waiting_long=row[2] or 0
    )


def _waiting_days(claim: Claim, today: date) -> int:
    since = claim.verified_at or claim.submitted_at
    if since is None:
        return 0
    return working_days_between(since.astimezone(UK).date(), today)


# Digests ----------------------------------------------------------------------------------


def send_digests(today: date) -> int:
    """Email every finance approver with claims waiting for them a list of those claims, with
    a reminder for those waiting over ten working days, over one connection to the mail
    server (an address that fails is logged, the others still sent). Returns how many emails
    were sent."""
    digests = []
    with current_app.test_request_context("/"):
        for approver in finance_approvers():
            claims = list(
                db.session.scalars(
                    _waiting_for(approver, today)
                    .options(
                        joinedload(Claim.person),
                        joinedload(Claim.role).joinedload(RoleDescription.cost_centre),
                        selectinload(Claim.lines),
                    )
                    .order_by(Claim.submitted_at, Claim.id)
                )
            )
            if not claims:
                continue
            overdue = [
                claim for claim in claims if _waiting_days(claim, today) > REMINDER_WORKING_DAYS
            ]
            digests.append(
                email_message(
                    approver.email,
                    f"{len(claims)} {'claim' if len(claims) == 1 else 'claims'} waiting for you",
                    "approver_digest",
                    approver=approver,
                    claims=claims,
                    overdue=overdue,
                    reminder_days=REMINDER_WORKING_DAYS,
                    link=external_url("approvals.queue"),
                    claim_link=lambda claim: external_url("approvals.claim", claim_id=claim.id),
                )
            )
        return send_emails(digests)


# Reports ----------------------------------------------------------------------------------


EXPORT_HEADINGS = (
    "Reference",
    "Person",
    "Role",
    "Cost centre",
    "Status",
    "Sent on",
    "Confirmed on",
    "Fee choice",
    "Fee claimed (GBP)",
    "Fee approved (GBP)",
    "Expenses claimed (GBP)",
    "Expenses approved (GBP)",
    "Total claimed (GBP)",
    "Total approved (GBP)",
    "Late",
    "Paid on",
)


def _amount(pence: int) -> str:
    """'1234.50' from integer pence (no floats), with a minus sign when negative."""
    pounds, rest = divmod(abs(pence), 100)
    return f"{'-' if pence < 0 else ''}{pounds}.{rest:02d}"


def _day(moment: datetime | None) -> str:
    return moment.astimezone(UK).date().isoformat() if moment else ""


def _export_rows(claims: Iterable[Claim]) -> Iterable[list[str]]:
    yield list(EXPORT_HEADINGS)
    for claim in claims:
        yield [
            csv_safe(value)
            for value in (
                claim.reference,
                claim.person.name,
                claim.sign_up.version.title,
                claim.role.cost_centre.code,
                claim.status.value,
                _day(claim.submitted_at),
                _day(claim.verified_at),
                claim.fee_choice.label,
                _amount(claim.fee_payable_pence),
                _amount(claim.approved_fee_pence),
                _amount(claim.expenses_total_pence),
                _amount(claim.approved_expenses_pence),
                _amount(claim.total_pence),
                _amount(claim.approved_total_pence),
                "Yes" if claim.is_late else "No",
                claim.paid_on.isoformat() if claim.paid_on else "",
            )
        ]


def export_claims(
    filters: QueueFilters, *, actor: User, today: date, ip_address: str | None
) -> str:
    """The claims a finance person sees, filtered, as CSV text for accounting; audited."""
    if not actor.is_active or not actor.has_role(Role.FINANCE_APPROVER, Role.FINANCE_ADMIN):
        raise PermissionDenied("Only finance staff can export claims.")
    query = queue_query(actor, filters, today)
    if filters.benefits_level:
        claims: Sequence[Claim] = claims_at_level(
            query, filters.benefits_level, next_payment_date(today)
        )[0]
    else:
        claims = db.session.scalars(query).unique().all()
    buffer = io.StringIO()
    csv.writer(buffer).writerows(_export_rows(claims))
    record_event(
        AuditAction.CLAIMS_EXPORTED,
        actor=actor,
        ip_address=ip_address,
        detail=f"{len(claims)} claims; {filters.describe()}",
    )
    db.session.commit()
    return buffer.getvalue()


def active_cost_centres_for(user: User, today: date) -> list[CostCentre]:
    """The cost centres a finance person can filter by."""
    query = select(CostCentre).order_by(CostCentre.code)
    if not user.has_role(Role.FINANCE_ADMIN):
        query = query.where(CostCentre.id.in_(routed_cost_centres(user, today)))
    return list(db.session.scalars(query))
