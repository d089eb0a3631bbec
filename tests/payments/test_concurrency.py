"""Two finance admins confirming the same run at the same moment pay nothing twice; two
putting the same claim in runs at the same moment (creating them, or adding to them) put it in
one.

Each pair of threads has its own app context (so its own session and connection), and a
barrier releases both at the point where the confirming transaction starts: after the slips
are rendered, right before the run's conditional draft -> confirmed update.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta

from flask import Flask
from sqlalchemy import func, select

from payclaims.audit.services import record_event
from payclaims.auth.models import Role, User
from payclaims.claims.models import Claim, ClaimEvent, ClaimStatus
from payclaims.errors import DomainError
from payclaims.extensions import db
from payclaims.payments import runs
from payclaims.payments.confirm import confirm_run
from payclaims.payments.models import PaymentRun, RemittanceSlip, RunClaim, RunStatus
from payclaims.payments.runs import add_claims, create_run, load_run

PAY_ON = date.today() + timedelta(days=1)


def _race(app: Flask, actions: list[Callable[[], object]]) -> list[str]:
    """Run each action in its own thread and app context at once; what each one ended with."""
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(action: Callable[[], object]) -> None:
        with app.app_context():
            try:
                action()
                outcome = "ok"
            except DomainError as error:
                outcome = type(error).__name__
            finally:
                db.session.remove()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _counts(run_id: int, claim_ids: list[int]) -> tuple[int, int, int, set[ClaimStatus]]:
    slips = db.session.scalar(
        select(func.count()).select_from(RemittanceSlip).where(RemittanceSlip.run_id == run_id)
    )
    paid_events = db.session.scalar(
        select(func.count())
        .select_from(ClaimEvent)
        .where(ClaimEvent.claim_id.in_(claim_ids), ClaimEvent.to_status == ClaimStatus.PAID)
    )
    versions = db.session.scalar(select(PaymentRun.version).where(PaymentRun.id == run_id))
    statuses = set(db.session.scalars(select(Claim.status).where(Claim.id.in_(claim_ids))))
    return slips or 0, paid_events or 0, versions or 0, statuses


def _versions() -> dict[int, int]:
    return {
        run_id: version
        for run_id, version in db.session.execute(select(PaymentRun.id, PaymentRun.version))
    }


def test_two_admins_confirming_one_run_at_once_pay_it_once(
    app, test_database, make_user, make_approved_claim, monkeypatch
):
    rounds = 60 if test_database.dialect == "postgresql" else 10
    admins = [make_user(roles=(Role.FINANCE_ADMIN,)) for _ in range(2)]
    payees = [make_user(), make_user()]
    barrier = threading.Barrier(2, timeout=30)

    def rendered_then_wait(slips: object) -> list[bytes]:
        # Rendering is not what races; meeting here makes both transactions start together.
        assert isinstance(slips, tuple)
        barrier.wait()
        return [b"%PDF-1.7 test slip" for _ in slips]

    monkeypatch.setattr("payclaims.payments.confirm.render_slips", rendered_then_wait)
    for _ in range(rounds):
        claim_ids = [make_approved_claim(person=person).id for person in payees]
        with app.app_context():
            run = create_run(
                actor=db.session.get(User, admins[0].id),  # type: ignore[arg-type]
                payment_on=PAY_ON,
                today=date.today(),
                claim_ids=claim_ids,
            )
            run_id = run.id

        def confirm(admin: User, run_id: int = run_id) -> None:
            loaded = load_run(run_id)
            actor = db.session.get(User, admin.id)
            assert loaded is not None and actor is not None
            confirm_run(loaded, actor=actor)

        outcomes = _race(app, [lambda a=admin: confirm(a) for admin in admins])

        assert sorted(outcomes) == ["RunChanged", "ok"], outcomes
        with app.app_context():
            slips, paid_events, version, statuses = _counts(run_id, claim_ids)
            run_status = db.session.scalar(select(PaymentRun.status).where(PaymentRun.id == run_id))
        assert (slips, paid_events, version) == (2, 2, 2)
        assert statuses == {ClaimStatus.PAID}
        assert run_status is RunStatus.CONFIRMED


def test_two_admins_putting_one_claim_in_runs_at_once_schedule_it_once(
    app, test_database, make_user, make_approved_claim
):
    rounds = 60 if test_database.dialect == "postgresql" else 10
    admins = [make_user(roles=(Role.FINANCE_ADMIN,)) for _ in range(2)]
    for _ in range(rounds):
        claim_id = make_approved_claim().id

        def create(admin: User, claim_id: int = claim_id) -> None:
            actor = db.session.get(User, admin.id)
            assert actor is not None
            create_run(actor=actor, payment_on=PAY_ON, today=date.today(), claim_ids=[claim_id])

        outcomes = _race(app, [lambda a=admin: create(a) for admin in admins])

        assert sorted(outcomes) == ["DomainError", "ok"], outcomes
        with app.app_context():
            runs_with_it = db.session.scalar(
                select(func.count())
                .select_from(PaymentRun)
                .where(PaymentRun.items.any(claim_id=claim_id))
            )
            scheduled = db.session.scalar(
                select(func.count())
                .select_from(ClaimEvent)
                .where(ClaimEvent.claim_id == claim_id, ClaimEvent.to_status == "scheduled")
            )
        assert (runs_with_it, scheduled) == (1, 1)


def test_two_admins_adding_one_claim_to_two_runs_at_once_put_it_in_one(
    app, test_database, make_user, make_approved_claim, monkeypatch
):
    """Both admins read the claim as payable before either writes: one run gets it, the other
    admin is told and their run is left as it was (version and claims)."""
    rounds = 60 if test_database.dialect == "postgresql" else 10
    admins = [make_user(roles=(Role.FINANCE_ADMIN,)) for _ in range(2)]
    run_ids = []
    with app.app_context():
        for admin in admins:
            actor = db.session.get(User, admin.id)
            assert actor is not None
            run_ids.append(
                create_run(
                    actor=actor,
                    payment_on=PAY_ON,
                    today=date.today(),
                    claim_ids=[make_approved_claim().id],
                ).id
            )
    barrier = threading.Barrier(2, timeout=30)
    read = runs._payable

    def read_then_wait(claim_ids: object) -> object:
        found = read(claim_ids)  # type: ignore[arg-type]
        barrier.wait()
        return found

    monkeypatch.setattr(runs, "_payable", read_then_wait)
    for _ in range(rounds):
        claim_id = make_approved_claim().id
        with app.app_context():
            before = _versions()

        def add(admin: User, run_id: int, claim_id: int = claim_id) -> None:
            run = db.session.get(PaymentRun, run_id)
            actor = db.session.get(User, admin.id)
            assert run is not None and actor is not None
            add_claims(run, actor=actor, claim_ids=[claim_id])

        outcomes = _race(
            app,
            [
                lambda a=admin, r=run_id: add(a, r)
                for admin, run_id in zip(admins, run_ids, strict=True)
            ],
        )

        assert sorted(outcomes) == ["DomainError", "ok"], outcomes
        with app.app_context():
            holders = db.session.scalars(
                select(RunClaim.run_id).where(RunClaim.claim_id == claim_id)
            ).all()
            scheduled = db.session.scalar(
                select(func.count())
                .select_from(ClaimEvent)
                .where(ClaimEvent.claim_id == claim_id, ClaimEvent.to_status == "scheduled")
            )
            after = _versions()
            status = db.session.scalar(select(Claim.status).where(Claim.id == claim_id))
        assert len(holders) == 1 and scheduled == 1
        assert status is ClaimStatus.SCHEDULED
        # Only the run that took the claim moved on; the other is as it was.
        assert {run_id: after[run_id] - before[run_id] for run_id in run_ids} == {
            run_id: int(run_id == holders[0]) for run_id in run_ids
        }


def test_bank_details_changed_while_a_run_is_confirmed_wait_for_the_payment(
    app, test_database, make_user, make_approved_claim, monkeypatch
):
    """The change of details waits for the confirming transaction: the slip is paid to details
    that were current when the payment was recorded, and the change lands just after."""
    import pytest

    from payclaims.database import utc_now
    from payclaims.people.models import BankDetails

    if test_database.dialect != "postgresql":
        pytest.skip("row locks (FOR SHARE) exist on PostgreSQL; SQLite has one writer at a time")
    admin = make_user(roles=(Role.FINANCE_ADMIN,))
    made = make_approved_claim()
    real_record_event = record_event
    seen: dict[str, bool] = {}

    def change_details() -> None:
        with app.app_context():
            row = db.session.scalars(
                select(BankDetails).where(
                    BankDetails.person_id == made.person.id, BankDetails.superseded_at.is_(None)
                )
            ).one()
            row.superseded_at = utc_now()
            db.session.commit()
            db.session.remove()
            seen["changed"] = True

    def record_event_then_race(action: object, **values: object) -> object:
        if getattr(action, "value", "") == "payment_run.confirmed":
            changer = threading.Thread(target=change_details)
            changer.start()
            changer.join(timeout=2)
            seen["waited"] = changer.is_alive()
            seen["thread"] = True
            threads.append(changer)
        return real_record_event(action, **values)  # type: ignore[arg-type]

    threads: list[threading.Thread] = []
    monkeypatch.setattr("payclaims.payments.confirm.record_event", record_event_then_race)
    with app.app_context(), app.test_request_context():
        run = create_run(
            actor=db.session.get(User, admin.id), payment_on=PAY_ON, today=date.today()
        )
        loaded = load_run(run.id)
        assert loaded is not None
        confirm_run(loaded, actor=db.session.get(User, admin.id))
    for thread in threads:
        thread.join(timeout=30)

    assert seen == {"thread": True, "waited": True, "changed": True}
