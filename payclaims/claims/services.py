"""Claim use cases: starting a claim, its fee lines, how to be paid, sending and withdrawing.

Every change is a conditional UPDATE on the claim's (id, status, version) that adds one to the
version, so two people changing a claim at once cannot both succeed: the loser is told to look
again. Every change of status writes a ClaimEvent; so does every edit after submission.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import joinedload, selectinload

from payclaims.auth.models import Role, User
from payclaims.claims.models import (
    HUNDREDTHS,
    LIVE_STATUSES,
    Claim,
    ClaimEvent,
    ClaimLine,
    ClaimStatus,
    FeeChoice,
    LineKind,
)
from payclaims.database import utc_now
from payclaims.dates import UK, add_months, format_date
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db
from payclaims.money import format_pence, multiply
from payclaims.people.services import has_bank_details
from payclaims.roles.models import FeeUnit, RoleVersion, SignUp, SignUpStatus
from payclaims.roles.services import can_change

STALE_MESSAGE = "Someone else has just changed this claim. Check it again."
NOT_EDITABLE_MESSAGE = "This claim has been sent, so it cannot be changed now."
# What one line (one date) may claim at most, in the role's fee unit.
MAX_UNITS_PER_DAY = {
    FeeUnit.HOUR: Decimal(24),
    FeeUnit.HALF_DAY: Decimal(2),
    FeeUnit.DAY: Decimal(1),
    FeeUnit.SESSION: Decimal(4),
}
UNIT_NAMES = {
    FeeUnit.HOUR: ("hour", "hours"),
    FeeUnit.HALF_DAY: ("half day", "half days"),
    FeeUnit.DAY: ("day", "days"),
    FeeUnit.SESSION: ("session", "sessions"),
}
MAX_PREP_MINUTES = 8 * 60
DESCRIPTION_MAX = 500
# What the person sees as the next step, by status.
NEXT_STEPS = {
    ClaimStatus.DRAFT: "Add what you did, then send the claim.",
    ClaimStatus.SUBMITTED: "Your coordinator will confirm the work took place.",
    ClaimStatus.VERIFIED: "Finance will check the claim and approve it for payment.",
    ClaimStatus.APPROVED: "It will go into the next payment run.",
    ClaimStatus.SCHEDULED: "It will be paid on the run's payment date.",
    ClaimStatus.PAID: "Nothing more to do.",
    ClaimStatus.RETURNED: "Read why it came back, change it, and send it again.",
    ClaimStatus.REJECTED: "Nothing more to do. Read the reason, and ask us if it is unclear.",
    ClaimStatus.WITHDRAWN: "Nothing more to do.",
}


class StaleClaim(DomainError):
    """The claim changed after it was read, so the change was not made."""

    def __init__(self) -> None:
        super().__init__(STALE_MESSAGE)


class InvalidTransition(DomainError):
    """The claim's status does not allow this change."""


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


def unit_name(unit: FeeUnit | None, units: Decimal) -> str:
    """'1 hour', '1.5 hours', '2 sessions'."""
    if unit is None:
        return f"{units.normalize():f}"
    singular, plural = UNIT_NAMES[unit]
    return f"{units.normalize():f} {singular if units == 1 else plural}"


# Who may do what --------------------------------------------------------------------------


def is_role_staff(claim_or_sign_up: Claim | SignUp, user: User) -> bool:
    """Whether ``user`` is the role's coordinator or an admin."""
    return can_change(claim_or_sign_up.role, user)


def can_view(claim: Claim, user: User) -> bool:
    """The person, their role's coordinator and admins see a claim; nobody else."""
    if not user.is_active:
        return False
    if claim.person_id == user.id and user.has_role(Role.EXPERT):
        return True
    return is_role_staff(claim, user)


def can_edit(claim: Claim, user: User) -> bool:
    """The person, or the coordinator (or admin) who started it for them, may change it."""
    if not user.is_active:
        return False
    if claim.person_id == user.id:
        return user.has_role(Role.EXPERT)
    return claim.created_by_id != claim.person_id and is_role_staff(claim, user)


def can_withdraw(claim: Claim, user: User) -> bool:
    """The person, or the coordinator who sent or started it for them."""
    if not user.is_active:
        return False
    if claim.person_id == user.id:
        return user.has_role(Role.EXPERT)
    acted = user.id in (claim.submitted_by_id, claim.created_by_id)
    return acted and is_role_staff(claim, user)


def _require_edit(claim: Claim, actor: User) -> None:
    if not can_edit(claim, actor):
        raise PermissionDenied(
            "Only the person, or the coordinator claiming for them, can do this."
        )
    if not claim.is_editable:
        raise InvalidTransition(NOT_EDITABLE_MESSAGE)


def _check_version(claim: Claim, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != claim.version:
        raise StaleClaim()


# Reading ----------------------------------------------------------------------------------


def load_claim(claim_id: int) -> Claim | None:
    """A claim with everything its page shows, in a fixed number of queries."""
    return db.session.scalar(
        select(Claim)
        .where(Claim.id == claim_id)
        .options(
            joinedload(Claim.person),
            joinedload(Claim.role),
            joinedload(Claim.sign_up).joinedload(SignUp.version),
            joinedload(Claim.submitted_by),
            joinedload(Claim.created_by),
            selectinload(Claim.lines).joinedload(ClaimLine.rate_version),
            selectinload(Claim.events).options(
                joinedload(ClaimEvent.actor), joinedload(ClaimEvent.on_behalf_of)
            ),
        )
    )


def claims_of(person: User) -> list[Claim]:
    """The person's claims, newest first, with their lines; in a fixed number of queries."""
    return list(
        db.session.scalars(
            select(Claim)
            .where(Claim.person_id == person.id)
            .options(
                joinedload(Claim.sign_up).joinedload(SignUp.version),
                joinedload(Claim.submitted_by),
                selectinload(Claim.lines),
            )
            .order_by(Claim.created_at.desc(), Claim.id.desc())
        )
    )


def claims_for_sign_up(sign_up: SignUp) -> list[Claim]:
    """The claims made against one sign-up, newest first, with their lines."""
    return list(
        db.session.scalars(
            select(Claim)
            .where(Claim.sign_up_id == sign_up.id)
            .options(selectinload(Claim.lines))
            .order_by(Claim.created_at.desc(), Claim.id.desc())
        )
    )


def claimable_sign_ups(person: User) -> list[SignUp]:
    """The person's accepted sign-ups, which claims can be made against."""
    return list(
        db.session.scalars(
            select(SignUp)
            .where(SignUp.person_id == person.id, SignUp.status == SignUpStatus.ACCEPTED)
            .options(joinedload(SignUp.version))
            .order_by(SignUp.created_at.desc(), SignUp.id.desc())
        )
    )


def next_step(claim: Claim) -> str:
    """What happens next, in a sentence."""
    return NEXT_STEPS[claim.status]


def version_in_force(sign_up: SignUp, on: date) -> RoleVersion:
    """The role version whose fee applies on ``on``: the latest published on or before that
    date, or else the version the person signed up to."""
    versions = db.session.scalars(
        select(RoleVersion)
        .where(RoleVersion.role_id == sign_up.role_id, RoleVersion.published_at.is_not(None))
        .order_by(RoleVersion.number.desc())
    ).all()
    for version in versions:
        assert version.published_at is not None
        if version.published_at.astimezone(UK).date() <= on:
            return version
    return sign_up.version


# Changing a claim ---------------------------------------------------------------------------


def _bump(claim: Claim, *, to: ClaimStatus | None = None, **values: Any) -> None:
    """Change the claim only if nobody has since it was read; raise StaleClaim otherwise."""
    new_status = to or claim.status
    result = db.session.execute(
        update(Claim)
        .where(
            Claim.id == claim.id,
            Claim.status == claim.status,
            Claim.version == claim.version,
        )
        .values(status=new_status, version=Claim.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        db.session.rollback()
        raise StaleClaim()


def _event(
    claim: Claim,
    *,
    actor: User,
    from_status: ClaimStatus | None,
    to_status: ClaimStatus,
    note: str = "",
) -> None:
    db.session.add(
        ClaimEvent(
            claim_id=claim.id,
            actor_id=actor.id,
            on_behalf_of_id=None if actor.id == claim.person_id else claim.person_id,
            from_status=from_status,
            to_status=to_status,
            note=note,
        )
    )


def _edited(claim: Claim, *, actor: User, note: str, **values: Any) -> None:
    """Record an edit: a version bump, and an event once the claim has been sent before."""
    _bump(claim, **values)
    if claim.status is ClaimStatus.RETURNED:
        _event(claim, actor=actor, from_status=claim.status, to_status=claim.status, note=note)


def start_claim(sign_up: SignUp, *, actor: User) -> Claim:
    """Start a draft claim against an accepted sign-up: by the person, or staff on their behalf."""
    if actor.id == sign_up.person_id:
        if not (actor.is_active and actor.has_role(Role.EXPERT)):
            raise PermissionDenied("Only experts by experience can claim.")
    elif not is_role_staff(sign_up, actor):
        raise PermissionDenied("Only the person, or the role's coordinator, can start a claim.")
    if sign_up.status is not SignUpStatus.ACCEPTED:
        raise DomainError("You can claim only for a role you have a place in.")
    claim = Claim(
        person_id=sign_up.person_id,
        sign_up_id=sign_up.id,
        role_id=sign_up.role_id,
        created_by_id=actor.id,
    )
    db.session.add(claim)
    db.session.flush()
    note = "" if actor.id == sign_up.person_id else "Started on the person's behalf"
    _event(claim, actor=actor, from_status=None, to_status=ClaimStatus.DRAFT, note=note)
    db.session.commit()
    return claim


def _units_hundredths(units: Decimal, unit: FeeUnit) -> int:
    """Check the units and give them in hundredths."""
    name = UNIT_NAMES[unit][1]
    if not units.is_finite() or units <= 0:
        raise DomainError(f"Enter the number of {name}, more than 0", field="units")
    exponent = units.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise DomainError(
            "Enter the number with no more than 2 numbers after the decimal point", field="units"
        )
    maximum = MAX_UNITS_PER_DAY[unit]
    if units > maximum:
        raise DomainError(
            f"For one date you can claim at most {unit_name(unit, maximum)}", field="units"
        )
    return int(units * HUNDREDTHS)


def fee_amount(rate_pence: int, units_hundredths: int, prep_minutes: int | None) -> int:
    """The fee for a line: rate times units, plus preparation time at the same (hourly) rate."""
    amount = multiply(rate_pence, Decimal(units_hundredths) / HUNDREDTHS)
    if prep_minutes:
        amount += multiply(rate_pence, Decimal(prep_minutes) / 60)
    return amount


def prep_minutes_from_hours(hours: Decimal) -> int:
    """Preparation hours ('1.5') as whole minutes (90)."""
    return int((hours * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def add_fee_line(
    claim: Claim,
    *,
    actor: User,
    session_on: date,
    description: str,
    units: Decimal,
    prep_minutes: int | None = None,
    expected_version: int | None = None,
) -> ClaimLine:
    """Add a fee for one session; the rate is the role's on that date, the amount the server's."""
    _require_edit(claim, actor)
    _check_version(claim, expected_version)
    description = description.strip()
    if not description:
        raise DomainError("Say what the session was, like 'Interview panel'", field="description")
    if len(description) > DESCRIPTION_MAX:
        raise DomainError(f"Keep it to {DESCRIPTION_MAX} characters or fewer", field="description")
    version = version_in_force(claim.sign_up, session_on)
    if version.fee_pence is None or version.fee_unit is None:
        raise DomainError(
            f"This role paid no fee on {format_date(session_on)}, so you can claim only "
            "expenses for that date.",
            field="session_on",
        )
    hundredths = _units_hundredths(units, version.fee_unit)
    if prep_minutes:
        if version.fee_unit is not FeeUnit.HOUR:
            raise DomainError(
                "Preparation time is paid only for roles paid by the hour", field="prep_hours"
            )
        if prep_minutes < 0 or prep_minutes > MAX_PREP_MINUTES:
            raise DomainError("Preparation time must be between 0 and 8 hours", field="prep_hours")
    line = ClaimLine(
        claim_id=claim.id,
        kind=LineKind.FEE,
        session_on=session_on,
        description=description,
        units_hundredths=hundredths,
        rate_pence=version.fee_pence,
        rate_version_id=version.id,
        prep_minutes=prep_minutes or None,
        amount_pence=fee_amount(version.fee_pence, hundredths, prep_minutes),
        is_earnings_like=True,
    )
    _edited(
        claim,
        actor=actor,
        note=f"Added a fee for {format_date(session_on)}: {format_pence(line.amount_pence)}",
    )
    db.session.add(line)
    db.session.commit()
    return line


def remove_line(
    claim: Claim, line: ClaimLine, *, actor: User, expected_version: int | None = None
) -> None:
    """Take a line off a draft or returned claim."""
    _require_edit(claim, actor)
    _check_version(claim, expected_version)
    if line.claim_id != claim.id:
        raise DomainError("That line is not on this claim.")
    note = f"Removed the line for {format_date(line.session_on)}: {format_pence(line.amount_pence)}"
    _edited(claim, actor=actor, note=note)
    db.session.delete(line)
    db.session.commit()


def set_fee_choice(
    claim: Claim,
    *,
    actor: User,
    choice: FeeChoice,
    reduced_fee_pence: int | None = None,
    expected_version: int | None = None,
) -> None:
    """Record how the person wants their fee: full, a reduced amount, or expenses only."""
    _require_edit(claim, actor)
    _check_version(claim, expected_version)
    total = claim.fee_total_pence
    if choice is FeeChoice.REDUCED:
        if total == 0:
            raise DomainError(
                "Add the sessions you are claiming for before choosing a reduced fee",
                field="choice",
            )
        if reduced_fee_pence is None:
            raise DomainError("Enter the fee you want, in pounds", field="reduced_fee")
        if reduced_fee_pence <= 0:
            raise DomainError(
                "Enter an amount more than £0, or choose expenses only", field="reduced_fee"
            )
        if reduced_fee_pence >= total:
            raise DomainError(
                f"A reduced fee must be less than the full fee of {format_pence(total)}",
                field="reduced_fee",
            )
    else:
        reduced_fee_pence = None
    note = choice.label
    if reduced_fee_pence is not None:
        note = f"{note}: {format_pence(reduced_fee_pence)}"
    _edited(
        claim,
        actor=actor,
        note=f"How to be paid: {note}",
        fee_choice=choice,
        reduced_fee_pence=reduced_fee_pence,
        fee_choice_made_at=utc_now(),
    )
    db.session.commit()


# Sending ---------------------------------------------------------------------------------


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
    claim: Claim, *, actor: User, declared: bool, today: date
) -> list[DomainError]:
    """Everything that stops the claim being sent, each under its field or line."""
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
    if not has_bank_details(person):
        problems.append(
            DomainError(
                "Add your bank details before sending the claim, so that we can pay it"
                if own
                else f"{person.name} has no bank details yet: they must add them first",
                field="bank_details",
            )
        )
    if not claim.lines:
        problems.append(DomainError("Add at least one session to the claim", field="lines"))
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
) -> None:
    """Send the claim to the coordinator, once every check passes; flag it if it is late."""
    _require_edit(claim, actor)
    _check_version(claim, expected_version)
    problems = submission_problems(claim, actor=actor, declared=declared, today=today)
    if problems:
        raise SubmissionRefused(problems)
    now = utc_now()
    late = is_late(claim, today)
    from_status = claim.status
    _bump(
        claim,
        to=ClaimStatus.SUBMITTED,
        submitted_at=now,
        submitted_by_id=actor.id,
        declaration_at=now,
        is_late=late,
    )
    notes = []
    if from_status is ClaimStatus.RETURNED:
        notes.append("Sent again after changes")
    if late:
        notes.append(f"Late: a session is more than {time_limit_months()} months old")
    _event(
        claim,
        actor=actor,
        from_status=from_status,
        to_status=ClaimStatus.SUBMITTED,
        note=". ".join(notes),
    )
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
    _check_version(claim, expected_version)
    from_status = claim.status
    _bump(claim, to=ClaimStatus.WITHDRAWN)
    _event(claim, actor=actor, from_status=from_status, to_status=ClaimStatus.WITHDRAWN)
    db.session.commit()
