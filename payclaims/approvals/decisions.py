"""Approval decisions: coordinators confirm work took place; finance approvers of a claim's
cost centre (or their delegates) approve it, reduce a line, return it or reject it.

Every decision is a conditional UPDATE on the claim's (id, status, version) through
``claims/lifecycle.py``: of two people deciding at once exactly one changes the row, and the
other is told what happened. The claim_approvals table's unique constraints back four eyes in the
database: one approval per approver per round, one first and one second approval per round.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from payclaims.approvals.models import ApprovalStage, ClaimApproval
from payclaims.approvals.routing import Routing, routing_for
from payclaims.audit.models import AuditAction
from payclaims.audit.services import record_event
from payclaims.auth.models import User
from payclaims.claims.lifecycle import StaleClaim, move_claim
from payclaims.claims.models import Claim, ClaimEvent, ClaimLine, ClaimStatus
from payclaims.claims.services import is_role_staff
from payclaims.database import utc_now
from payclaims.dates import format_date
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db
from payclaims.mail import external_url, send_email
from payclaims.money import format_pence

REASON_MAX = 2000
NOTE_MAX = 500
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


# Who may decide ---------------------------------------------------------------------------


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
