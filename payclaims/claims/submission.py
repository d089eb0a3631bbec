"""Sending a claim, with the checks that can stop it, and withdrawing it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import select

from payclaims.auth.models import User
from payclaims.benefits.engine.types import Level
from payclaims.benefits.profile.models import FeeChoice
from payclaims.claims.access import can_withdraw, check_version, require_edit
from payclaims.claims.benefits_check import sending_warning
from payclaims.claims.expense_rules import CategoryRules, apply_caps, cap_outcomes, category_rules
from payclaims.claims.lifecycle import InvalidTransition, move_claim
from payclaims.claims.models import (
    LIVE_STATUSES,
    Claim,
    ClaimLine,
    ClaimStatus,
    LineKind,
    OverCap,
    Receipt,
)
from payclaims.database import utc_now
from payclaims.dates import add_months, format_date
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db
from payclaims.money import format_pence
from payclaims.people.payment_setup import payment_setup
from payclaims.roles.expenses import ExpenseCategory


class SubmissionRefused(DomainError):
    """Checks stop the claim being sent; each problem names its field or line."""

    def __init__(self, problems: Sequence[DomainError]) -> None:
        super().__init__(problems[0].message, field=problems[0].field)
        self.problems = list(problems)

    def for_field(self, field: str) -> list[str]:
        """The messages that belong next to ``field`` (a form field or ``line-<id>``)."""
        return [problem.message for problem in self.problems if problem.field == field]


def line_field(line: ClaimLine) -> str:
    """The name a line's problems go under, and the id of its row on the page."""
    return f"line-{line.id}"


@dataclass(frozen=True)
class ReceiptUsed:
    """A receipt file already on another live claim."""

    claim_id: int
    person_id: int


def _receipts_elsewhere(claim: Claim) -> dict[str, ReceiptUsed]:
    """Receipt files (by sha256) of this claim that are on a line of another live claim."""
    hashes = {receipt.sha256 for line in claim.lines for receipt in line.receipts}
    if not hashes:
        return {}
    rows = db.session.execute(
        select(Receipt.sha256, Claim.id, Claim.person_id)
        .join(ClaimLine, Receipt.line_id == ClaimLine.id)
        .join(Claim, ClaimLine.claim_id == Claim.id)
        .where(
            Receipt.sha256.in_(hashes),
            Claim.id != claim.id,
            Claim.status.in_(LIVE_STATUSES),
        )
        .order_by(Claim.id)
    )
    found: dict[str, ReceiptUsed] = {}
    for sha256, claim_id, person_id in rows:
        found.setdefault(sha256, ReceiptUsed(claim_id, person_id))
    return found


def _expense_problems(
    claim: Claim, today: date, rules: dict[ExpenseCategory, CategoryRules]
) -> list[DomainError]:
    """Future dates, missing receipts, lines over a refusing cap and receipts used twice."""
    problems: list[DomainError] = []
    outcomes = cap_outcomes(claim, rules)
    elsewhere = _receipts_elsewhere(claim)
    first_line_of: dict[str, int] = {}
    for line in claim.lines:
        if line.category is None:
            continue
        field = line_field(line)
        when = format_date(line.session_on)
        if line.session_on > today:
            problems.append(
                DomainError(
                    f"The expense on {when} is in the future. Claim for it after you have paid it",
                    field=field,
                )
            )
        rule = rules[line.category]
        asked = line.claimed_pence or line.amount_pence
        if rule.needs_receipt(asked) and not line.receipts:
            above = (
                ""
                if not rule.receipt_above_pence
                else f" above {format_pence(rule.receipt_above_pence)}"
            )
            problems.append(
                DomainError(
                    f"Add a photo or file of the receipt: {line.category.label.lower()} "
                    f"needs one{above}",
                    field=field,
                )
            )
        outcome = outcomes.get(line.id)
        if outcome is not None and outcome.over_cap is OverCap.REFUSE:
            problems.append(DomainError(outcome.message, field=field))
        for receipt in line.receipts:
            used = elsewhere.get(receipt.sha256)
            if used is not None:
                where = (
                    f"on your claim C-{used.claim_id:06d}"
                    if used.person_id == claim.person_id
                    else "on another claim"
                )
                problems.append(
                    DomainError(
                        f"The receipt {receipt.filename} is already {where}. A receipt can be "
                        "paid only once: remove this line, or withdraw the other claim",
                        field=field,
                    )
                )
            elif first_line_of.setdefault(receipt.sha256, line.id) != line.id:
                problems.append(
                    DomainError(
                        f"The receipt {receipt.filename} is also on another line of this claim. "
                        "A receipt can be paid only once: remove one of the lines",
                        field=field,
                    )
                )
    return problems


@dataclass(frozen=True)
class DuplicateSession:
    """A session date already claimed on another live claim."""

    claim_id: int
    reference: str
    status: ClaimStatus


def _duplicates(claim: Claim) -> dict[date, DuplicateSession]:
    """Session dates of this claim's fee lines already on another live claim for the role."""
    dates = {line.session_on for line in claim.fee_lines}
    if not dates:
        return {}
    rows = db.session.execute(
        select(ClaimLine.session_on, Claim.id, Claim.status)
        .join(Claim, ClaimLine.claim_id == Claim.id)
        .where(
            Claim.person_id == claim.person_id,
            Claim.role_id == claim.role_id,
            Claim.id != claim.id,
            Claim.status.in_(LIVE_STATUSES),
            ClaimLine.kind == LineKind.FEE,
            ClaimLine.session_on.in_(dates),
        )
        .order_by(Claim.id)
    )
    found: dict[date, DuplicateSession] = {}
    for session_on, claim_id, status in rows:
        found.setdefault(session_on, DuplicateSession(claim_id, f"C-{claim_id:06d}", status))
    return found


def time_limit_months() -> int:
    """How old a session may be before its claim is flagged as late."""
    return int(current_app.config["CLAIM_TIME_LIMIT_MONTHS"])


def is_late(claim: Claim, today: date) -> bool:
    """Whether the claim's earliest session is older than the time limit."""
    earliest = claim.earliest_session_on
    return earliest is not None and earliest < add_months(today, -time_limit_months())


def submission_problems(
    claim: Claim,
    *,
    actor: User,
    declared: bool,
    today: date,
    rules: dict[ExpenseCategory, CategoryRules] | None = None,
    benefits_warning: Level | None = None,
    benefits_read: bool = False,
) -> list[DomainError]:
    """Everything that stops the claim being sent, each under its field or line.

    ``benefits_warning`` is the level of the benefits panel shown to the sender (None: none
    shown); when one is shown they must confirm they have read it (``benefits_read``).
    """
    person = claim.person
    own = actor.id == person.id
    problems: list[DomainError] = []
    if not person.is_email_verified:
        problems.append(
            DomainError(
                "Confirm your email address before sending the claim: follow the link we sent"
                if own
                else f"{person.name} must confirm their email address before the claim is sent",
                field="email",
            )
        )
    if not payment_setup(person).can_claim:
        problems.append(
            DomainError(
                "Add your bank details, or ask finance to record another way to pay you"
                if own
                else f"{person.name} has no bank details yet: they must add them, or ask "
                "finance to record another way to pay them",
                field="bank_details",
            )
        )
    if not claim.lines:
        problems.append(
            DomainError("Add at least one session or expense to the claim", field="lines")
        )
    duplicates = _duplicates(claim)
    seen: set[date] = set()
    for line in claim.fee_lines:
        when = format_date(line.session_on)
        if line.session_on > today:
            problems.append(
                DomainError(
                    f"The session on {when} is in the future. Claim for it after it has "
                    "taken place",
                    field=line_field(line),
                )
            )
        other = duplicates.get(line.session_on)
        if other is not None:
            problems.append(
                DomainError(
                    f"{when} is already claimed on claim {other.reference} "
                    f"({other.status.label.lower()}). A session can be paid only once: "
                    "remove this line, or withdraw the other claim",
                    field=line_field(line),
                )
            )
        elif line.session_on in seen:
            problems.append(
                DomainError(
                    f"This claim has {when} twice. Remove one of the lines, or put all the "
                    "time on one",
                    field=line_field(line),
                )
            )
        seen.add(line.session_on)
    problems.extend(_expense_problems(claim, today, rules or category_rules()))
    if claim.fee_choice is FeeChoice.REDUCED and (
        claim.reduced_fee_pence is None or claim.reduced_fee_pence >= claim.fee_total_pence
    ):
        problems.append(
            DomainError(
                f"The reduced fee must be less than the full fee of "
                f"{format_pence(claim.fee_total_pence)}: change how you want to be paid",
                field="fee_choice",
            )
        )
    if benefits_warning is not None and not benefits_read:
        problems.append(
            DomainError(
                "Confirm that you have read what this payment might do to your benefits",
                field="benefits_read",
            )
        )
    if not declared:
        problems.append(
            DomainError(
                "Confirm that the claim is true and not claimed anywhere else",
                field="declaration",
            )
        )
    return problems


def submit_claim(
    claim: Claim,
    *,
    actor: User,
    declared: bool,
    today: date,
    expected_version: int | None = None,
    benefits_read: bool = False,
) -> None:
    """Send the claim to the coordinator, once every check passes; flag it if it is late.

    When the person sending their own claim was shown a benefits panel, they must confirm they
    read it; the time and the panel's level are kept with the claim.
    """
    require_edit(claim, actor)
    check_version(claim, expected_version)
    rules = category_rules()
    warning = sending_warning(claim, actor_id=actor.id, today=today)
    problems = submission_problems(
        claim,
        actor=actor,
        declared=declared,
        today=today,
        rules=rules,
        benefits_warning=warning,
        benefits_read=benefits_read,
    )
    if problems:
        raise SubmissionRefused(problems)
    apply_caps(claim, cap_outcomes(claim, rules))
    now = utc_now()
    late = is_late(claim, today)
    sent_again = claim.status is ClaimStatus.RETURNED
    notes = []
    if sent_again:
        notes.append("Sent again after changes")
    if late:
        notes.append(f"Late: a session is more than {time_limit_months()} months old")
    if warning:
        # Which benefits stays private: coordinators read this history too.
        notes.append("Confirmed reading the benefits estimate")
    move_claim(
        claim,
        to=ClaimStatus.SUBMITTED,
        actor=actor,
        note=". ".join(notes),
        for_the_person=True,
        submitted_at=now,
        submitted_by_id=actor.id,
        declaration_at=now,
        is_late=late,
        benefits_warning_seen_at=now if warning else None,
        benefits_warning_level=warning.value if warning else None,
    )
    if sent_again:
        # A new round starts: finance's reductions from the earlier one do not carry over.
        for line in claim.lines:
            line.approved_pence, line.approval_note = None, None
    db.session.commit()


def withdraw_claim(claim: Claim, *, actor: User, expected_version: int | None = None) -> None:
    """Withdraw a draft, sent or returned claim: by the person or the coordinator who sent it."""
    if not can_withdraw(claim, actor):
        raise PermissionDenied(
            "Only the person, or the coordinator who sent the claim for them, can withdraw it."
        )
    if not claim.can_become(ClaimStatus.WITHDRAWN):
        raise InvalidTransition(
            f"This claim can no longer be withdrawn: it is {claim.status.label.lower()}."
        )
    check_version(claim, expected_version)
    move_claim(claim, to=ClaimStatus.WITHDRAWN, actor=actor, for_the_person=True)
    db.session.commit()
