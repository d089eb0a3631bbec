"""Two people deciding the same claim at the same moment: exactly one succeeds.

Each pair runs in two threads, each with its own app context (so its own session and
connection), released together by a Barrier. Runs on SQLite and, with
PAYCLAIMS_TEST_POSTGRES_URL set, on PostgreSQL, where the row locking is the real thing.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta

from flask import Flask
from sqlalchemy import func, select

from payclaims.approvals import decisions
from payclaims.approvals.models import ClaimApproval
from payclaims.auth.models import Role, User
from payclaims.claims import services as claims
from payclaims.claims.models import Claim, ClaimEvent, ClaimLine, ClaimStatus, LineKind
from payclaims.database import utc_now
from payclaims.errors import DomainError
from payclaims.extensions import db
from payclaims.roles.models import SignUpStatus

DECISION_PAIRS = 150
CONFIRMATION_PAIRS = 50
TODAY = date.today()


def _seed_claims(
    app: Flask, sign_up, *, count: int, status: ClaimStatus, verifier: User
) -> list[int]:
    """Claims of one £60 fee line each, straight into the database (fast)."""
    with app.app_context():
        made = []
        for number in range(count):
            claim = Claim(
                person_id=sign_up.person_id,
                sign_up_id=sign_up.id,
                role_id=sign_up.role_id,
                created_by_id=sign_up.person_id,
                submitted_by_id=sign_up.person_id,
                submitted_at=utc_now(),
                status=status,
                verified_by_id=verifier.id if status is ClaimStatus.VERIFIED else None,
                verified_at=utc_now() if status is ClaimStatus.VERIFIED else None,
                approval_round=1 if status is ClaimStatus.VERIFIED else 0,
            )
            claim.lines.append(
                ClaimLine(
                    kind=LineKind.FEE,
                    session_on=TODAY - timedelta(days=number + 1),
                    description="Interview panel",
                    units_hundredths=300,
                    rate_pence=2000,
                    amount_pence=6000,
                    is_earnings_like=True,
                )
            )
            db.session.add(claim)
            made.append(claim)
        db.session.commit()
        return [claim.id for claim in made]


def _act(claim: Claim, actor: User, action: str) -> None:
    if action == "approve":
        decisions.approve_claim(claim, actor=actor, today=TODAY, ip_address=None)
    elif action == "reduce":
        line = claim.lines[0]
        reduction = decisions.LineReduction(line.amount_pence - 100 * actor.id, f"By {actor.id}")
        decisions.approve_claim(
            claim, actor=actor, today=TODAY, ip_address=None, reductions={line.id: reduction}
        )
    elif action == "reject":
        decisions.reject_claim(
            claim, actor=actor, reason="Not this one", today=TODAY, ip_address=None
        )
    elif action == "return":
        decisions.return_claim(
            claim, actor=actor, reason="Which day?", today=TODAY, ip_address=None
        )
    else:
        decisions.verify_claim(claim, actor=actor, ip_address=None)


def _race_all(app: Flask, races: list[tuple[int, list[tuple[User, str]]]]) -> list[list[str]]:
    """Two long-lived workers, each with its own app context (its own session and database
    connection), take every race's two sides; a Barrier releases each pair's two decisions
    together, after both have read the claim. Returns each race's outcomes."""
    barrier = threading.Barrier(2)
    outcomes = [["", ""] for _ in races]

    def worker(side: int) -> None:
        with app.app_context(), app.test_request_context():
            for number, (claim_id, sides) in enumerate(races):
                user, action = sides[side]
                claim = claims.load_claim(claim_id)
                actor = db.session.get(User, user.id)
                assert claim is not None and actor is not None
                barrier.wait(timeout=30)
                try:
                    _act(claim, actor, action)
                    outcomes[number][side] = "won"
                except DomainError:
                    db.session.rollback()
                    outcomes[number][side] = "lost"
                db.session.expire_all()
                barrier.wait(timeout=30)  # both done before the next pair starts
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(side,)) for side in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def _racing_app(app: Flask, make_app: Callable[..., Flask]) -> Flask:
    """The app the racing threads use. On PostgreSQL its commits do not wait for the disk
    (synchronous_commit off): who wins is settled by row locks, not by durability, and on a
    busy shared machine flushing to disk is otherwise most of the test's time."""
    if not str(app.config["DATABASE_URL"]).startswith("postgresql"):
        return app
    return make_app(
        SQLALCHEMY_ENGINE_OPTIONS={
            "pool_pre_ping": True,
            "connect_args": {"options": "-c synchronous_commit=off"},
        }
    )


def test_two_hundred_simultaneous_decision_pairs_never_decide_twice(
    app: Flask,
    make_app: Callable[..., Flask],
    make_user: Callable[..., User],
    make_role,
    make_sign_up,
    make_cost_centre,
    set_approvers,
    give_bank_details,
):
    coordinator = make_user(roles=(Role.COORDINATOR,))
    admin = make_user(roles=(Role.ADMIN,))
    approver_a = make_user(roles=(Role.FINANCE_APPROVER,))
    approver_b = make_user(roles=(Role.FINANCE_APPROVER,))
    expert = make_user()
    give_bank_details(expert)
    centre = make_cost_centre()
    set_approvers(centre, approver_a, approver_b, limit_pence=100_000)
    role = make_role(coordinator=coordinator, cost_centre=centre)
    sign_up = make_sign_up(role, person=expert, status=SignUpStatus.ACCEPTED)
    to_decide = _seed_claims(
        app, sign_up, count=DECISION_PAIRS, status=ClaimStatus.VERIFIED, verifier=coordinator
    )
    to_confirm = _seed_claims(
        app, sign_up, count=CONFIRMATION_PAIRS, status=ClaimStatus.SUBMITTED, verifier=coordinator
    )
    pairings = [
        [(approver_a, "approve"), (approver_b, "approve")],
        [(approver_a, "approve"), (approver_a, "approve")],  # a double click
        [(approver_a, "approve"), (approver_b, "reject")],
        [(approver_b, "return"), (approver_a, "approve")],
        [(approver_a, "reduce"), (approver_b, "reduce")],  # both write the same line
    ]

    races = [
        (claim_id, pairings[number % len(pairings)]) for number, claim_id in enumerate(to_decide)
    ]
    races += [(claim_id, [(coordinator, "verify"), (admin, "verify")]) for claim_id in to_confirm]

    outcomes = _race_all(_racing_app(app, make_app), races)
    results = Counter(tuple(sorted(outcome)) for outcome in outcomes)

    assert results == {("lost", "won"): DECISION_PAIRS + CONFIRMATION_PAIRS}
    with app.app_context():
        approvals = Counter(
            db.session.scalars(
                select(ClaimApproval.claim_id).where(ClaimApproval.claim_id.in_(to_decide))
            )
        )
        assert max(approvals.values()) == 1
        decided = Counter(
            db.session.scalars(
                select(ClaimEvent.claim_id).where(
                    ClaimEvent.claim_id.in_(to_decide),
                    ClaimEvent.from_status == ClaimStatus.VERIFIED,
                )
            )
        )
        assert decided == dict.fromkeys(to_decide, 1)
        approved = db.session.scalar(
            select(func.count())
            .select_from(Claim)
            .where(Claim.id.in_(to_decide), Claim.status == ClaimStatus.APPROVED)
        )
        assert approved == sum(approvals.values())
        # A reduced line holds the winner's amount and reason, never a mix of the two.
        for line in db.session.scalars(
            select(ClaimLine).where(
                ClaimLine.claim_id.in_(to_decide), ClaimLine.approved_pence.is_not(None)
            )
        ):
            assert line.approval_note == f"By {(line.amount_pence - line.approved_pence) // 100}"
            approval = db.session.scalars(
                select(ClaimApproval).where(ClaimApproval.claim_id == line.claim_id)
            ).one()
            assert approval.approver_id == (line.amount_pence - line.approved_pence) // 100
        confirmed = Counter(
            db.session.scalars(
                select(ClaimEvent.claim_id).where(
                    ClaimEvent.claim_id.in_(to_confirm),
                    ClaimEvent.to_status == ClaimStatus.VERIFIED,
                )
            )
        )
        assert confirmed == dict.fromkeys(to_confirm, 1)
        rounds = db.session.scalars(select(Claim.approval_round).where(Claim.id.in_(to_confirm)))
        assert set(rounds) == {1}
