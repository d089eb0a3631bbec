"""Demo claims: the demo expert and others with claims in every status, and their history.

Statuses past 'submitted' belong to the approvals and payments areas; the demo sets them
directly (with the events that would have led there) so that every page has something to show.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select

from payclaims.auth.models import User
from payclaims.benefits.profile.models import FeeChoice
from payclaims.claims.models import (
    Claim,
    ClaimEvent,
    ClaimLine,
    ClaimStatus,
    LineKind,
    Receipt,
)
from payclaims.claims.rates import Vehicle, mileage_amount
from payclaims.claims.services import fee_amount
from payclaims.dates import uk_today
from payclaims.demo.people import DEMO_DOMAIN, demo_person
from payclaims.extensions import db
from payclaims.roles.expenses import ExpenseCategory
from payclaims.roles.models import FeeUnit, RoleDescription, SignUp, SignUpStatus
from payclaims.uploads import PNG

# The steps a claim takes to reach each status, from draft.
PATHS: dict[ClaimStatus, tuple[ClaimStatus, ...]] = {
    ClaimStatus.DRAFT: (),
    ClaimStatus.SUBMITTED: (ClaimStatus.SUBMITTED,),
    ClaimStatus.VERIFIED: (ClaimStatus.SUBMITTED, ClaimStatus.VERIFIED),
    ClaimStatus.APPROVED: (ClaimStatus.SUBMITTED, ClaimStatus.VERIFIED, ClaimStatus.APPROVED),
    ClaimStatus.SCHEDULED: (
        ClaimStatus.SUBMITTED,
        ClaimStatus.VERIFIED,
        ClaimStatus.APPROVED,
        ClaimStatus.SCHEDULED,
    ),
    ClaimStatus.PAID: (
        ClaimStatus.SUBMITTED,
        ClaimStatus.VERIFIED,
        ClaimStatus.APPROVED,
        ClaimStatus.SCHEDULED,
        ClaimStatus.PAID,
    ),
    ClaimStatus.RETURNED: (ClaimStatus.SUBMITTED, ClaimStatus.RETURNED),
    ClaimStatus.REJECTED: (ClaimStatus.SUBMITTED, ClaimStatus.VERIFIED, ClaimStatus.REJECTED),
    ClaimStatus.WITHDRAWN: (ClaimStatus.SUBMITTED, ClaimStatus.WITHDRAWN),
}
NOTES = {
    ClaimStatus.RETURNED: "Please add the date of the second interview day.",
    ClaimStatus.REJECTED: "This session was claimed on another claim that has been paid.",
}


@dataclass(frozen=True)
class DemoClaim:
    """One demo claim: whose, for which role, in which status, sessions how long ago."""

    email: str
    role_title: str
    status: ClaimStatus
    sessions_days_ago: tuple[int, ...]
    fee_choice: FeeChoice = FeeChoice.FULL
    reduced_fee_pence: int | None = None
    # A bus fare with a photo of the ticket, and a car journey, on the first session.
    with_expenses: bool = False
    # Made approved here, then paid by the demo's confirmed payment run ("confirmed") or put in
    # its draft run ("draft") through the payments services (payclaims/demo/payments.py).
    run: str = ""


CLAIMS = (
    DemoClaim(f"expert@{DEMO_DOMAIN}", "Interview panel member", ClaimStatus.DRAFT, (3,)),
    DemoClaim(
        f"expert@{DEMO_DOMAIN}",
        "Interview panel member",
        ClaimStatus.SUBMITTED,
        (10,),
        with_expenses=True,
    ),
    DemoClaim(
        f"expert@{DEMO_DOMAIN}",
        "Interview panel member",
        ClaimStatus.VERIFIED,
        (17,),
        FeeChoice.REDUCED,
        4000,
    ),
    DemoClaim(f"expert@{DEMO_DOMAIN}", "Interview panel member", ClaimStatus.APPROVED, (24,)),
    DemoClaim(
        f"expert@{DEMO_DOMAIN}",
        "Interview panel member",
        ClaimStatus.APPROVED,
        (40, 38),
        with_expenses=True,
        run="confirmed",
    ),
    DemoClaim(f"expert@{DEMO_DOMAIN}", "Interview panel member", ClaimStatus.RETURNED, (31,)),
    DemoClaim(
        f"expert@{DEMO_DOMAIN}",
        "Interview panel member",
        ClaimStatus.WITHDRAWN,
        (45,),
        FeeChoice.EXPENSES_ONLY,
    ),
    DemoClaim(
        f"jordan@{DEMO_DOMAIN}",
        "Recovery college co-trainer",
        ClaimStatus.APPROVED,
        (12,),
        run="draft",
    ),
    DemoClaim(f"jordan@{DEMO_DOMAIN}", "Recovery college co-trainer", ClaimStatus.REJECTED, (40,)),
    # Waiting in the finance queue; the four sessions (£300) are above the £250 limit, and
    # the approvals demo gives that claim its first approval.
    DemoClaim(f"jordan@{DEMO_DOMAIN}", "Recovery college co-trainer", ClaimStatus.VERIFIED, (9,)),
    DemoClaim(
        f"jordan@{DEMO_DOMAIN}",
        "Recovery college co-trainer",
        ClaimStatus.VERIFIED,
        (26, 25, 24, 23),
    ),
    DemoClaim(f"chris@{DEMO_DOMAIN}", "Committee member", ClaimStatus.SUBMITTED, (120,)),
)


def seed_claims() -> dict[str, list[Claim]]:
    """Add the demo claims, once; return the approved ones meant for each demo payment run."""
    runs: dict[str, list[Claim]] = {}
    if db.session.scalar(select(Claim.id).limit(1)) is not None:
        return runs
    today = uk_today()
    coordinator = demo_person(f"coordinator@{DEMO_DOMAIN}")
    finance = demo_person(f"finance@{DEMO_DOMAIN}")
    for spec in CLAIMS:
        person = demo_person(spec.email)
        sign_up = _accepted_sign_up(person, spec.role_title)
        claim = _claim(spec, person, sign_up, coordinator, finance, today)
        db.session.add(claim)
        if spec.run:
            runs.setdefault(spec.run, []).append(claim)
    return runs


def _accepted_sign_up(person: User, title: str) -> SignUp:
    sign_up = db.session.scalars(
        select(SignUp)
        .join(RoleDescription, SignUp.role_id == RoleDescription.id)
        .where(SignUp.person_id == person.id, SignUp.status == SignUpStatus.ACCEPTED)
    ).all()
    matching = [each for each in sign_up if each.role.title == title]
    assert matching, f"demo sign-up for {person.email} to {title} missing"
    return matching[0]


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=UTC)


def _claim(
    spec: DemoClaim,
    person: User,
    sign_up: SignUp,
    coordinator: User,
    finance: User,
    today: date,
) -> Claim:
    version = sign_up.version
    assert version.fee_pence is not None
    sessions = sorted(today - timedelta(days=days) for days in spec.sessions_days_ago)
    started = _at(sessions[-1] + timedelta(days=1))
    claim = Claim(
        person_id=person.id,
        sign_up_id=sign_up.id,
        role_id=sign_up.role_id,
        status=spec.status,
        version=1 + len(PATHS[spec.status]),
        fee_choice=spec.fee_choice,
        reduced_fee_pence=spec.reduced_fee_pence,
        fee_choice_made_at=started,
        created_by_id=person.id,
        created_at=started,
        is_late=(today - sessions[0]).days > 90,
        return_reason=NOTES[ClaimStatus.RETURNED] if spec.status is ClaimStatus.RETURNED else "",
        rejection_reason=NOTES[ClaimStatus.REJECTED] if spec.status is ClaimStatus.REJECTED else "",
    )
    hundredths = version.session_minutes * 100 // 60 if version.fee_unit is FeeUnit.HOUR else 100
    for session in sessions:
        claim.lines.append(
            ClaimLine(
                kind=LineKind.FEE,
                session_on=session,
                description=f"{version.title} session",
                units_hundredths=hundredths,
                rate_pence=version.fee_pence,
                rate_version_id=version.id,
                amount_pence=fee_amount(version.fee_pence, hundredths, None),
                is_earnings_like=True,
            )
        )
    if spec.with_expenses:
        _add_expenses(claim, person, sessions[0])
    previous: ClaimStatus | None = ClaimStatus.DRAFT
    claim.events.append(
        ClaimEvent(
            actor_id=person.id,
            from_status=None,
            to_status=ClaimStatus.DRAFT,
            note="Claim started",
            occurred_at=started,
        )
    )
    for step, status in enumerate(PATHS[spec.status], start=1):
        actor = person
        if status in (ClaimStatus.VERIFIED, ClaimStatus.RETURNED):
            actor = coordinator
        elif status in (
            ClaimStatus.APPROVED,
            ClaimStatus.SCHEDULED,
            ClaimStatus.PAID,
            ClaimStatus.REJECTED,
        ):
            actor = finance
        when = started + timedelta(days=step)
        if status is ClaimStatus.SUBMITTED:
            claim.submitted_at = when
            claim.declaration_at = when
            claim.submitted_by_id = person.id
        if status is ClaimStatus.VERIFIED:
            claim.verified_by_id = coordinator.id
            claim.verified_at = when
            claim.approval_round = 1
        claim.events.append(
            ClaimEvent(
                actor_id=actor.id,
                from_status=previous,
                to_status=status,
                note=NOTES.get(status, ""),
                occurred_at=when,
            )
        )
        previous = status
    return claim


def _ticket_photo() -> bytes:
    """A small PNG standing for a photo of a bus ticket."""
    image = Image.new("RGB", (120, 60), "white")
    ImageDraw.Draw(image).text((8, 20), "BUS 3.40", fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _add_expenses(claim: Claim, person: User, day: date) -> None:
    photo = _ticket_photo()
    fare = ClaimLine(
        kind=LineKind.EXPENSE,
        category=ExpenseCategory.PUBLIC_TRANSPORT,
        session_on=day,
        description="Bus to Riverside House and back",
        amount_pence=340,
        is_earnings_like=False,
    )
    fare.receipts.append(
        Receipt(
            filename="bus-ticket.png",
            content_type=PNG,
            size_bytes=len(photo),
            # Each demo claim's ticket differs, as real ones would (sha256 finds reuse).
            sha256=hashlib.sha256(photo + str(claim.created_at).encode()).hexdigest(),
            content=photo,
            uploaded_by_id=person.id,
        )
    )
    miles_tenths = 124
    claim.lines.extend(
        [
            fare,
            ClaimLine(
                kind=LineKind.EXPENSE,
                category=ExpenseCategory.MILEAGE,
                session_on=day,
                description="Drove to the second interview venue",
                miles_tenths=miles_tenths,
                vehicle=Vehicle.CAR,
                passengers=0,
                amount_pence=mileage_amount(
                    Vehicle.CAR, miles_tenths=miles_tenths, passengers=0, on=day
                ),
                is_earnings_like=False,
            ),
        ]
    )
