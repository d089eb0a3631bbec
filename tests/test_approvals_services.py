"""Approval rules as service calls: verification, routing, limits, four eyes, delegation,
decisions with reasons, digests and the CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from payclaims.approvals import decisions, export, queue, routing
from payclaims.approvals.digests import send_digests
from payclaims.approvals.models import ApprovalDelegation, ApprovalStage, ClaimApproval
from payclaims.audit.models import AuditEvent
from payclaims.auth.models import Role, User
from payclaims.claims import services as claims
from payclaims.claims.lifecycle import StaleClaim
from payclaims.claims.models import Claim, ClaimEvent, ClaimStatus
from payclaims.claims.totals import approved_total_sql
from payclaims.database import utc_now
from payclaims.dates import UK, working_days_between
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db
from payclaims.roles.models import RoleDescription, SignUp, SignUpStatus

TODAY = date.today()


def _claim(claim_id: int) -> Claim:
    db.session.expire_all()
    claim = claims.load_claim(claim_id)
    assert claim is not None
    return claim


def _user(user: User) -> User:
    found = db.session.get(User, user.id)
    assert found is not None
    return found


def _actions(claim_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == "claim", AuditEvent.object_id == claim_id)
            .order_by(AuditEvent.id)
        )
    )


def _approve(claim_id: int, who: User, **kwargs: Any) -> ApprovalStage:
    return decisions.approve_claim(
        _claim(claim_id), actor=_user(who), today=TODAY, ip_address="127.0.0.1", **kwargs
    )


def _reduce(claim_id: int, who: User) -> None:
    line_id = _claim(claim_id).lines[0].id
    _approve(claim_id, who, reductions={line_id: decisions.LineReduction(4000, "Only 2 hours")})


def _return(claim_id: int, who: User, reason: str = "Which date?") -> None:
    decisions.return_claim(
        _claim(claim_id), actor=_user(who), reason=reason, today=TODAY, ip_address=None
    )


def _reject(claim_id: int, who: User, reason: str) -> None:
    decisions.reject_claim(
        _claim(claim_id), actor=_user(who), reason=reason, today=TODAY, ip_address=None
    )


def _delegate(approver: User, delegate: User, *, days: int = 1) -> ApprovalDelegation:
    """``approver`` names ``delegate`` to stand in for them from today, for ``days`` days."""
    return routing.create_delegation(
        actor=_user(approver),
        delegate_id=delegate.id,
        starts_on=TODAY,
        ends_on=TODAY + timedelta(days=days - 1),
        today=TODAY,
        ip_address=None,
    )


def _written_by(sign_up_id: int, author: User) -> int:
    """A draft ``author`` writes on the sign-up: one 3-hour panel three days ago; its id."""
    claim_id = claims.start_claim(db.session.get(SignUp, sign_up_id), actor=_user(author)).id
    claims.add_fee_line(
        _claim(claim_id),
        actor=_user(author),
        session_on=TODAY - timedelta(days=3),
        description="Panel",
        units=Decimal(3),
    )
    return claim_id


# Verification ------------------------------------------------------------------------------


def test_verify_by_the_roles_coordinator_sends_it_to_finance_and_emails_the_person(
    app, make_sent_claim, sign_up, coordinator, outbox
):
    claim_id = make_sent_claim(sign_up)
    with app.app_context(), app.test_request_context():
        decisions.verify_claim(_claim(claim_id), actor=_user(coordinator), ip_address="127.0.0.1")
        claim = _claim(claim_id)
        assert claim.status is ClaimStatus.VERIFIED
        assert claim.verified_by_id == coordinator.id
        assert claim.approval_round == 1
        assert claim.events[-1].summary == "Confirmed by the coordinator"
        assert _actions(claim_id) == ["claim.verified"]
    (email,) = [m for m in outbox() if "confirmed" in m.subject]
    assert email.to == ["eli@example.org"]
    assert "now with finance" in str(email.body)


def test_verify_own_claim_is_refused(
    app, make_user, make_role, make_sign_up, give_bank_details, make_sent_claim
):
    both = make_user(name="Coordinator who claims", roles=(Role.COORDINATOR, Role.EXPERT))
    give_bank_details(both)
    own_role = make_role(coordinator=both)
    claim_id = make_sent_claim(make_sign_up(own_role, person=both, status=SignUpStatus.ACCEPTED))
    with app.app_context(), app.test_request_context():
        with pytest.raises(PermissionDenied):
            decisions.verify_claim(_claim(claim_id), actor=_user(both), ip_address=None)
        assert _claim(claim_id).status is ClaimStatus.SUBMITTED


def test_verify_by_another_roles_coordinator_is_refused(app, make_user, make_sent_claim, sign_up):
    other = make_user(roles=(Role.COORDINATOR,))
    claim_id = make_sent_claim(sign_up)
    with app.app_context(), pytest.raises(PermissionDenied):
        decisions.verify_claim(_claim(claim_id), actor=_user(other), ip_address=None)


def test_return_by_coordinator_needs_a_question_and_the_person_sees_it(
    app, make_sent_claim, sign_up, coordinator, outbox
):
    claim_id = make_sent_claim(sign_up)
    with app.app_context(), app.test_request_context():
        with pytest.raises(DomainError) as missing:
            _return(claim_id, coordinator, "  ")
        assert missing.value.field == "reason"
        _return(claim_id, coordinator, "Which date was the second session?")
        claim = _claim(claim_id)
        assert claim.status is ClaimStatus.RETURNED
        assert claim.return_reason == "Which date was the second session?"
        assert claim.is_editable
    assert "Which date was the second session?" in str(outbox()[-1].body)


# Routing and the queue ---------------------------------------------------------------------


def test_queue_holds_claims_of_my_cost_centres_only(
    app, make_user, make_sent_claim, sign_up, coordinator, approver_a
):
    stranger = make_user(roles=(Role.FINANCE_APPROVER,))
    claim_id = make_sent_claim(sign_up, verified_by=coordinator)
    with app.app_context():
        mine = db.session.scalars(
            queue.queue_query(_user(approver_a), queue.QueueFilters(), TODAY)
        ).all()
        theirs = db.session.scalars(
            queue.queue_query(_user(stranger), queue.QueueFilters(), TODAY)
        ).all()
        assert [claim.id for claim in mine] == [claim_id]
        assert theirs == []
        assert not routing.can_see_as_finance(_claim(claim_id), _user(stranger), TODAY)


def test_queue_filters_by_amount_status_and_age(
    app, make_sent_claim, sign_up, coordinator, approver_a
):
    small = make_sent_claim(sign_up, units=1, days_ago=3, verified_by=coordinator)  # £20
    large = make_sent_claim(sign_up, units=10, days_ago=4, verified_by=coordinator)  # £200
    waiting_coordinator = make_sent_claim(sign_up, units=2, days_ago=5)
    with app.app_context():
        db.session.execute(
            update(Claim)
            .where(Claim.id == large)
            .values(submitted_at=utc_now() - timedelta(days=20))
        )
        db.session.commit()

        def ids(**filters: Any) -> list[int]:
            query = queue.queue_query(_user(approver_a), queue.QueueFilters(**filters), TODAY)
            return [claim.id for claim in db.session.scalars(query)]

        assert ids() == [large, small]  # oldest first
        assert ids(min_pence=5000) == [large]
        assert ids(max_pence=2000) == [small]
        assert ids(older_than_days=14) == [large]
        assert ids(status="submitted") == [waiting_coordinator]
        assert sorted(ids(status="all")) == sorted([small, large, waiting_coordinator])


# Decisions, limits and four eyes -------------------------------------------------------------


def test_approve_below_the_limit_needs_one_approver(
    app, make_sent_claim, sign_up, coordinator, approver_a, outbox
):
    claim_id = make_sent_claim(sign_up, verified_by=coordinator)  # £60
    with app.app_context(), app.test_request_context():
        assert _approve(claim_id, approver_a) is ApprovalStage.FIRST
        claim = _claim(claim_id)
        assert claim.status is ClaimStatus.APPROVED
        assert _actions(claim_id) == ["claim.verified", "claim.approved"]
    assert outbox()[-1].subject.endswith("Claim " + f"C-{claim_id:06d} approved")


def test_approve_above_the_limit_waits_for_a_second_different_approver(
    app, make_sent_claim, sign_up, coordinator, approver_a, approver_b, outbox
):
    claim_id = make_sent_claim(sign_up, units=15, verified_by=coordinator)  # £300 > £250
    with app.app_context(), app.test_request_context():
        assert _approve(claim_id, approver_a) is ApprovalStage.FIRST
        assert _claim(claim_id).status is ClaimStatus.VERIFIED
        sent_before = len(outbox())
        with pytest.raises(PermissionDenied, match="second, different approver"):
            _approve(claim_id, approver_a)
        assert _approve(claim_id, approver_b) is ApprovalStage.SECOND
        claim = _claim(claim_id)
        assert claim.status is ClaimStatus.APPROVED
        approvals = decisions.approvals_this_round(claim)
        assert [(a.stage, a.approver_id) for a in approvals] == [
            (1, approver_a.id),
            (2, approver_b.id),
        ]
        assert _actions(claim_id) == [
            "claim.verified",
            "claim.first_approval",
            "claim.approved",
        ]
    assert len(outbox()) == sent_before + 1  # only the final approval emails the person


@pytest.mark.parametrize(
    "approvals",
    [
        pytest.param([(1, "a"), (2, "a")], id="the_same_approver_twice_on_a_claim"),
        pytest.param([(1, "a"), (1, "b")], id="a_second_first_approval"),
    ],
)
def test_database_refuses(
    app, make_sent_claim, sign_up, coordinator, approver_a, approver_b, approvals
):
    claim_id = make_sent_claim(sign_up, verified_by=coordinator)
    approvers = {"a": approver_a, "b": approver_b}
    with app.app_context():
        for stage, approver in approvals:
            db.session.add(
                ClaimApproval(
                    claim_id=claim_id,
                    approval_round=1,
                    stage=stage,
                    approver_id=approvers[approver].id,
                    total_pence=6000,
                )
            )
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_approve_with_a_reduced_line_needs_a_reason_and_less_than_claimed(
    app, make_sent_claim, sign_up, coordinator, approver_a, outbox
):
    claim_id = make_sent_claim(sign_up, units=15, verified_by=coordinator)  # £300
    with app.app_context(), app.test_request_context():
        line_id = _claim(claim_id).lines[0].id
        field = f"approve_{line_id}"
        for reduction, problem_field in [
            (decisions.LineReduction(30_000, "Too much"), field),
            (decisions.LineReduction(-1, "Negative"), field),
            (decisions.LineReduction(20_000, ""), f"note_{line_id}"),
            (decisions.LineReduction(None, "A reason alone"), field),
        ]:
            with pytest.raises(DomainError) as refused:
                _approve(claim_id, approver_a, reductions={line_id: reduction})
            assert refused.value.field == problem_field
            db.session.rollback()
        # Reduced to £200, under the £250 limit: one approval is enough.
        stage = _approve(
            claim_id,
            approver_a,
            reductions={line_id: decisions.LineReduction(20_000, "The panel ended at 2pm")},
        )
        claim = _claim(claim_id)
        assert stage is ApprovalStage.FIRST
        assert claim.status is ClaimStatus.APPROVED
        assert claim.lines[0].approved_pence == 20_000
        assert claim.lines[0].approval_note == "The panel ended at 2pm"
        assert claim.approved_total_pence == 20_000
        assert "The panel ended at 2pm" in claim.events[-1].note
    email = outbox()[-1]
    assert "with a change" in email.subject
    assert "£300.00 claimed, £200.00 approved" in str(email.body)


def test_approver_cannot_decide_their_own_claim(
    app,
    make_user,
    make_role,
    make_sign_up,
    give_bank_details,
    make_sent_claim,
    set_approvers,
    make_cost_centre,
    coordinator,
):
    centre = make_cost_centre()
    both = make_user(name="Approver who claims", roles=(Role.FINANCE_APPROVER, Role.EXPERT))
    give_bank_details(both)
    set_approvers(centre, both)
    own_role = make_role(coordinator=coordinator, cost_centre=centre)
    claim_id = make_sent_claim(
        make_sign_up(own_role, person=both, status=SignUpStatus.ACCEPTED), verified_by=coordinator
    )
    with app.app_context():
        claim = _claim(claim_id)
        assert decisions.decision_problem(claim, _user(both), TODAY) == (
            "This is your own claim, so someone else must decide it."
        )
        with pytest.raises(PermissionDenied):
            _approve(claim_id, both)
        with pytest.raises(PermissionDenied):
            _reject(claim_id, both, "No")


def test_approver_cannot_approve_a_claim_they_verified(
    app,
    make_user,
    make_role,
    make_sign_up,
    make_sent_claim,
    set_approvers,
    make_cost_centre,
    expert,
):
    centre = make_cost_centre()
    both = make_user(
        name="Coordinator and approver", roles=(Role.COORDINATOR, Role.FINANCE_APPROVER)
    )
    set_approvers(centre, both)
    their_role = make_role(coordinator=both, cost_centre=centre)
    claim_id = make_sent_claim(
        make_sign_up(their_role, person=expert, status=SignUpStatus.ACCEPTED), verified_by=both
    )
    with app.app_context(), pytest.raises(PermissionDenied, match="confirmed the work"):
        _approve(claim_id, both)


def test_reject_needs_a_reason_the_person_reads(
    app, make_sent_claim, sign_up, coordinator, approver_a, outbox
):
    claim_id = make_sent_claim(sign_up, verified_by=coordinator)
    with app.app_context(), app.test_request_context():
        with pytest.raises(DomainError):
            _reject(claim_id, approver_a, "")
        _reject(claim_id, approver_a, "The session was cancelled.")
        claim = _claim(claim_id)
        assert claim.status is ClaimStatus.REJECTED
        assert claim.rejection_reason == "The session was cancelled."
        assert _actions(claim_id)[-1] == "claim.rejected"
    assert "The session was cancelled." in str(outbox()[-1].body)


def test_returned_and_sent_again_needs_approving_afresh(
    app, make_sent_claim, sign_up, coordinator, approver_a, approver_b, expert
):
    claim_id = make_sent_claim(sign_up, units=15, verified_by=coordinator)
    with app.app_context(), app.test_request_context():
        _approve(claim_id, approver_a)
        _return(claim_id, approver_b, "Please add the parking receipt.")
        claims.submit_claim(_claim(claim_id), actor=_user(expert), declared=True, today=TODAY)
        decisions.verify_claim(_claim(claim_id), actor=_user(coordinator), ip_address=None)
        claim = _claim(claim_id)
        assert claim.approval_round == 2
        assert decisions.approvals_this_round(claim) == []
        assert _approve(claim_id, approver_a) is ApprovalStage.FIRST
        assert _claim(claim_id).status is ClaimStatus.VERIFIED


def test_loser_of_a_race_is_refused_and_told_what_happened(
    app, make_sent_claim, sign_up, coordinator, approver_a, approver_b
):
    claim_id = make_sent_claim(sign_up, verified_by=coordinator)
    with app.app_context(), app.test_request_context():
        as_a_read_it = _claim(claim_id)
        with app.app_context(), app.test_request_context():  # another person, another session
            _approve(claim_id, approver_b)
        with pytest.raises(StaleClaim):
            decisions.approve_claim(
                as_a_read_it, actor=_user(approver_a), today=TODAY, ip_address=None
            )
        assert decisions.moved_message(claim_id) == (
            "Someone else has just approved this claim. Here is where it stands now."
        )
        approvers = db.session.scalars(
            select(ClaimApproval.approver_id).where(ClaimApproval.claim_id == claim_id)
        ).all()
        assert approvers == [approver_b.id]


# Delegation ------------------------------------------------------------------------------


def test_delegate_sees_and_decides_only_within_the_dates(
    app, make_user, make_sent_claim, sign_up, coordinator, approver_a
):
    delegate = make_user(name="Dee Delegate", roles=(Role.FINANCE_APPROVER,))
    claim_id = make_sent_claim(sign_up, verified_by=coordinator)
    with app.app_context(), app.test_request_context():
        _delegate(approver_a, delegate, days=7)
        claim = _claim(claim_id)
        assert routing.can_see_as_finance(claim, _user(delegate), TODAY)
        assert not routing.can_see_as_finance(claim, _user(delegate), TODAY + timedelta(days=7))
        assert not routing.can_see_as_finance(claim, _user(delegate), TODAY - timedelta(days=1))
        decisions.approve_claim(claim, actor=_user(delegate), today=TODAY, ip_address=None)
        claim = _claim(claim_id)
        assert claim.status is ClaimStatus.APPROVED
        assert "As delegate for Ann Approver" in claim.events[-1].note
        audit = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "claim.approved")
        ).one()
        assert audit.actor_id == delegate.id
        assert "(as delegate for Ann Approver)" in audit.detail
        (approval,) = decisions.approvals_this_round(claim)
        assert approval.on_behalf_of_id == approver_a.id


def test_ended_delegation_no_longer_routes_claims(
    app, make_user, make_sent_claim, sign_up, coordinator, approver_a
):
    delegate = make_user(roles=(Role.FINANCE_APPROVER,))
    claim_id = make_sent_claim(sign_up, verified_by=coordinator)
    with app.app_context():
        delegation = _delegate(approver_a, delegate)
        routing.end_delegation(delegation, actor=_user(approver_a), ip_address=None)
        assert not routing.can_see_as_finance(_claim(claim_id), _user(delegate), TODAY)
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions[-2:] == ["delegation.created", "delegation.ended"]


@pytest.mark.parametrize(
    ("delegate", "starts", "ends", "field"),
    [
        ("self", 0, 1, "delegate"),
        ("expert", 0, 1, "delegate"),
        ("other", -1, 1, "starts_on"),
        ("other", 3, 1, "ends_on"),
    ],
)
def test_delegation_with_bad_details_is_refused(
    app, make_user, approver_a, expert, delegate, starts, ends, field
):
    other = make_user(roles=(Role.FINANCE_APPROVER,))
    chosen = {"self": approver_a, "expert": expert, "other": other}[delegate]
    with app.app_context(), pytest.raises(DomainError) as refused:
        routing.create_delegation(
            actor=_user(approver_a),
            delegate_id=chosen.id,
            starts_on=TODAY + timedelta(days=starts),
            ends_on=TODAY + timedelta(days=ends),
            today=TODAY,
            ip_address=None,
        )
    assert refused.value.field == field


# Digests, counts and the export ----------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (date(2026, 11, 20), date(2026, 11, 23), 1),  # Friday to Monday
        (date(2026, 11, 16), date(2026, 11, 30), 10),  # two weeks
        (date(2026, 11, 16), date(2026, 11, 16), 0),
        (date(2026, 11, 21), date(2026, 11, 22), 0),  # a weekend
        (date(2026, 11, 16), date(2026, 11, 23), 5),  # a plain week
        # Christmas Day, Boxing Day (on a Saturday, so Monday 28th instead), New Year's Day.
        (date(2026, 12, 18), date(2027, 1, 4), 8),
        (date(2026, 12, 24), date(2026, 12, 28), 0),
        (date(2027, 3, 25), date(2027, 3, 30), 1),  # Good Friday and Easter Monday
        (date(2023, 5, 5), date(2023, 5, 9), 1),  # the coronation's one-off bank holiday
    ],
)
def test_working_days_between_counts_monday_to_friday_but_not_bank_holidays(start, end, days):
    assert working_days_between(start, end) == days


@pytest.mark.parametrize(
    ("verified_on", "not_yet", "reminded"),
    [
        # Without the bank holidays the reminder would come on 4 January and 2 April.
        (date(2026, 12, 18), date(2027, 1, 6), date(2027, 1, 7)),
        (date(2027, 3, 18), date(2027, 4, 5), date(2027, 4, 6)),
    ],
)
def test_send_digests_counts_no_bank_holiday_towards_the_reminder(
    app, make_sent_claim, sign_up, coordinator, approver_a, outbox, verified_on, not_yet, reminded
):
    claim_id = make_sent_claim(sign_up, verified_by=coordinator)
    with app.app_context():
        at_noon = datetime.combine(verified_on, time(12), UK)
        db.session.execute(update(Claim).where(Claim.id == claim_id).values(verified_at=at_noon))
        db.session.commit()
        for today in (not_yet, reminded):
            send_digests(today)
        waiting_long = [
            queue.finance_summary(_user(approver_a), today).waiting_long
            for today in (not_yet, reminded)
        ]
    early, on_time = [m for m in outbox() if m.to == ["ann@example.org"]]
    assert "Reminder" not in str(early.body)
    assert f"more than 10 working days: C-{claim_id:06d}" in str(on_time.body)
    assert waiting_long == [0, 1]


def test_send_digests_lists_waiting_claims_and_reminds_after_ten_working_days(
    app, make_user, make_sent_claim, sign_up, coordinator, approver_a, approver_b, outbox
):
    make_user(name="Idle approver", roles=(Role.FINANCE_APPROVER,))
    fresh = make_sent_claim(sign_up, verified_by=coordinator)
    old = make_sent_claim(sign_up, days_ago=30, verified_by=coordinator)
    with app.app_context():
        db.session.execute(
            update(Claim).where(Claim.id == old).values(verified_at=utc_now() - timedelta(days=21))
        )
        db.session.commit()
        before = len(outbox())
        assert send_digests(TODAY) == 2
    digests = outbox()[before:]
    assert sorted(message.to[0] for message in digests) == ["ann@example.org", "ben@example.org"]
    body = str(digests[0].body)
    assert f"C-{fresh:06d}" in body and f"C-{old:06d}" in body
    assert f"more than 10 working days: C-{old:06d}" in body
    assert "http://localhost/finance/claims" in body


def test_finance_summary_counts_what_waits_for_me(
    app, make_sent_claim, sign_up, coordinator, approver_a, approver_b
):
    make_sent_claim(sign_up, verified_by=coordinator)
    big = make_sent_claim(sign_up, units=15, verified_by=coordinator)
    with app.app_context(), app.test_request_context():
        _approve(big, approver_a)
        summary_a = queue.finance_summary(_user(approver_a), TODAY)
        summary_b = queue.finance_summary(_user(approver_b), TODAY)
    assert (summary_a.waiting_for_me, summary_a.waiting_for_second) == (1, 0)
    assert (summary_b.waiting_for_me, summary_b.waiting_for_second) == (2, 1)


def test_export_is_formula_safe_and_audited(
    app,
    make_user,
    make_role,
    make_sign_up,
    give_bank_details,
    make_sent_claim,
    coordinator,
    cost_centre,
    approver_a,
):
    sly = make_user(name='=HYPERLINK("http://x")')
    give_bank_details(sly)
    role = make_role(coordinator=coordinator, cost_centre=cost_centre)
    claim_id = make_sent_claim(
        make_sign_up(role, person=sly, status=SignUpStatus.ACCEPTED), verified_by=coordinator
    )
    with app.app_context():
        text = export.export_claims(
            queue.QueueFilters(status="all"),
            actor=_user(approver_a),
            today=TODAY,
            ip_address="127.0.0.1",
        )
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0][0] == "Reference"
        assert rows[1][0] == f"C-{claim_id:06d}"
        assert rows[1][1] == '\'=HYPERLINK("http://x")'
        assert rows[1][13] == "60.00"
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "claims.exported")
        ).one()
        assert event.detail.startswith("1 claims")


def test_approved_total_in_sql_matches_the_claims_own(
    app, make_sent_claim, sign_up, coordinator, approver_a
):
    claim_id = make_sent_claim(sign_up, units=4, verified_by=coordinator)
    with app.app_context():
        db.session.execute(
            update(Claim)
            .where(Claim.id == claim_id)
            .values(fee_choice="reduced", reduced_fee_pence=5000)
        )
        db.session.commit()
        claim = _claim(claim_id)
        in_sql = db.session.scalar(select(approved_total_sql()).where(Claim.id == claim_id))
        assert in_sql == claim.approved_total_pence == 5000


def test_every_decision_writes_one_claim_event(
    app, make_sent_claim, sign_up, coordinator, approver_a
):
    claim_id = make_sent_claim(sign_up, verified_by=coordinator)
    with app.app_context(), app.test_request_context():
        _approve(claim_id, approver_a)
        events = db.session.scalars(
            select(ClaimEvent.to_status)
            .where(ClaimEvent.claim_id == claim_id)
            .order_by(ClaimEvent.id)
        ).all()
    assert events[-3:] == [ClaimStatus.SUBMITTED, ClaimStatus.VERIFIED, ClaimStatus.APPROVED]
    assert events.count(ClaimStatus.APPROVED) == 1


DECISIONS: dict[str, tuple[bool, Callable[[int, User, User], Any]]] = {
    # name: (verified first?, the decision given the coordinator and an approver)
    "verification": (
        False,
        lambda claim_id, coordinator, _approver: decisions.verify_claim(
            _claim(claim_id), actor=_user(coordinator), ip_address=None
        ),
    ),
    "return by the coordinator": (
        False,
        lambda claim_id, coordinator, _: _return(claim_id, coordinator),
    ),
    "approval": (True, lambda claim_id, _, approver: _approve(claim_id, approver)),
    "reduction": (True, lambda claim_id, _, approver: _reduce(claim_id, approver)),
    "return by finance": (True, lambda claim_id, _, approver: _return(claim_id, approver)),
    "rejection": (
        True,
        lambda claim_id, _, approver: _reject(claim_id, approver, "No session"),
    ),
}


@pytest.mark.parametrize("decision", list(DECISIONS))
def test_staff_decision_is_recorded_on_behalf_of_nobody(
    app, make_sent_claim, sign_up, coordinator, approver_a, decision
):
    verified_first, decide = DECISIONS[decision]
    claim_id = make_sent_claim(sign_up, verified_by=coordinator if verified_first else None)
    with app.app_context(), app.test_request_context():
        decide(claim_id, coordinator, approver_a)
        events = _claim(claim_id).events
    decided = events[-1]
    assert decided.actor_id != sign_up.person_id
    assert decided.on_behalf_of_id is None
    assert all(e.on_behalf_of_id is None for e in events)


def test_first_approval_and_a_delegates_approval_are_recorded_on_behalf_of_nobody(
    app,
    make_user,
    make_sent_claim,
    set_approvers,
    sign_up,
    coordinator,
    approver_a,
    approver_b,
    cost_centre,
):
    delegate = make_user(name="Dee Delegate", roles=(Role.FINANCE_APPROVER,))
    set_approvers(cost_centre, limit_pence=5000)
    claim_id = make_sent_claim(sign_up, units=5, verified_by=coordinator)  # £100 > £50
    with app.app_context(), app.test_request_context():
        _delegate(approver_a, delegate)
        assert _approve(claim_id, approver_b) is ApprovalStage.FIRST
        assert _approve(claim_id, delegate) is ApprovalStage.SECOND  # standing in for Ann
        events = _claim(claim_id).events[-3:]
    assert [(e.to_status, e.on_behalf_of_id) for e in events] == [
        (ClaimStatus.VERIFIED, None),
        (ClaimStatus.VERIFIED, None),
        (ClaimStatus.APPROVED, None),
    ]


def test_second_approver_raising_a_reduced_line_is_refused(
    app, make_sent_claim, set_approvers, sign_up, coordinator, approver_a, approver_b, cost_centre
):
    set_approvers(cost_centre, limit_pence=5000)
    claim_id = make_sent_claim(sign_up, units=5, verified_by=coordinator)  # £100 > £50
    with app.app_context(), app.test_request_context():
        line_id = _claim(claim_id).lines[0].id
        first = {line_id: decisions.LineReduction(6000, "Only 3 hours evidenced")}
        assert _approve(claim_id, approver_a, reductions=first) is ApprovalStage.FIRST
        with pytest.raises(DomainError, match=r"no more than the £60\.00") as refused:
            _approve(
                claim_id, approver_b, reductions={line_id: decisions.LineReduction(9999, "Fine")}
            )
        assert refused.value.field == f"approve_{line_id}"
        db.session.rollback()
        claim = _claim(claim_id)
        assert claim.status is ClaimStatus.VERIFIED
        assert claim.lines[0].approved_pence == 6000
        # Lowering further is allowed; the total never exceeds the first approval's.
        lower = {line_id: decisions.LineReduction(5000, "Only 2.5 hours evidenced")}
        assert _approve(claim_id, approver_b, reductions=lower) is ApprovalStage.SECOND
        claim = _claim(claim_id)
        assert claim.status is ClaimStatus.APPROVED
        assert claim.approved_total_pence == 5000


def test_coordinator_who_wrote_and_sent_a_claim_cannot_confirm_it(
    app, make_user, coordinator, sign_up
):
    with app.app_context(), app.test_request_context():
        claim_id = _written_by(sign_up.id, coordinator)
        claims.submit_claim(_claim(claim_id), actor=_user(coordinator), declared=True, today=TODAY)
        claim = _claim(claim_id)
        assert not decisions.can_verify(claim, _user(coordinator))
        assert queue.to_confirm_count(_user(coordinator)) == 0
        with pytest.raises(PermissionDenied):
            decisions.verify_claim(claim, actor=_user(coordinator), ip_address=None)
        admin = make_user(roles=(Role.ADMIN,))
        decisions.verify_claim(_claim(claim_id), actor=_user(admin), ip_address=None)
        assert _claim(claim_id).status is ClaimStatus.VERIFIED


def test_approver_who_wrote_the_claim_or_coordinates_its_role_cannot_decide_it(
    app, make_user, make_role, make_sign_up, make_cost_centre, set_approvers, expert
):
    centre = make_cost_centre(code="CC-AUTH")
    author = make_user(name="Author", roles=(Role.COORDINATOR, Role.FINANCE_APPROVER))
    other = make_user(name="Other coordinator", roles=(Role.COORDINATOR, Role.FINANCE_APPROVER))
    admin = make_user(roles=(Role.ADMIN,))
    set_approvers(centre, author, other)
    their_role = make_role(coordinator=author, cost_centre=centre)
    sign_up_id = make_sign_up(their_role, person=expert, status=SignUpStatus.ACCEPTED).id
    with app.app_context(), app.test_request_context():
        claim_id = _written_by(sign_up_id, author)
        # The person sends it; an admin confirms it.
        claims.submit_claim(_claim(claim_id), actor=_user(expert), declared=True, today=TODAY)
        decisions.verify_claim(_claim(claim_id), actor=_user(admin), ip_address=None)
        problem = decisions.decision_problem(_claim(claim_id), _user(author), TODAY)
        assert problem is not None and "wrote or sent" in problem
        assert queue.finance_summary(_user(author), TODAY).waiting_for_me == 0
        with pytest.raises(PermissionDenied):
            _approve(claim_id, author)
        # The role's coordinator, even when someone else wrote the claim, cannot decide it.
        db.session.get(RoleDescription, their_role.id).coordinator_id = other.id
        db.session.commit()
        problem = decisions.decision_problem(_claim(claim_id), _user(other), TODAY)
        assert problem is not None and "coordinate" in problem
        assert queue.finance_summary(_user(other), TODAY).waiting_for_me == 0


@pytest.mark.parametrize(
    "order", ["approver_then_delegate", "delegate_then_approver", "two_delegates"]
)
def test_the_same_authority_cannot_give_both_approvals(
    app, make_user, make_sent_claim, sign_up, coordinator, approver_a, approver_b, order
):
    delegate = make_user(name="Dee Delegate", roles=(Role.FINANCE_APPROVER,))
    delegate_2 = make_user(name="Del Two", roles=(Role.FINANCE_APPROVER,))
    claim_id = make_sent_claim(sign_up, units=15, verified_by=coordinator)  # £300 > £250
    with app.app_context(), app.test_request_context():
        for who in (delegate, delegate_2):
            _delegate(approver_a, who)
        first, second = {
            "approver_then_delegate": (approver_a, delegate),
            "delegate_then_approver": (delegate, approver_a),
            "two_delegates": (delegate, delegate_2),
        }[order]
        assert _approve(claim_id, first) is ApprovalStage.FIRST
        problem = decisions.decision_problem(_claim(claim_id), _user(second), TODAY)
        assert problem is not None and "same approver" in problem
        assert queue.finance_summary(_user(second), TODAY).waiting_for_me == 0
        with pytest.raises(PermissionDenied):
            _approve(claim_id, second)
        assert _approve(claim_id, approver_b) is ApprovalStage.SECOND


def test_delegation_from_an_inactive_or_former_approver_routes_nothing(
    app, make_user, make_sent_claim, sign_up, coordinator, approver_a
):
    from payclaims.auth.models import UserRole

    delegate = make_user(roles=(Role.FINANCE_APPROVER,))
    claim_id = make_sent_claim(sign_up, verified_by=coordinator)
    with app.app_context(), app.test_request_context():
        _delegate(approver_a, delegate)
        assert routing.routing_for(_claim(claim_id), _user(delegate), TODAY) is not None
        _user(approver_a).is_active = False
        db.session.commit()
        assert routing.routing_for(_claim(claim_id), _user(delegate), TODAY) is None
        assert routing.delegators_of(_user(delegate), TODAY) == []
        _user(approver_a).is_active = True
        db.session.execute(
            UserRole.__table__.delete().where(
                UserRole.user_id == approver_a.id, UserRole.role == Role.FINANCE_APPROVER
            )
        )
        db.session.commit()
        assert routing.routing_for(_claim(claim_id), _user(delegate), TODAY) is None
        assert queue.finance_summary(_user(delegate), TODAY).waiting_for_me == 0


def test_reductions_from_an_earlier_round_are_cleared_when_sent_again(
    app, make_sent_claim, sign_up, coordinator, approver_a, approver_b, expert, cost_centre
):
    claim_id = make_sent_claim(sign_up, units=15, verified_by=coordinator)  # £300 > £250
    with app.app_context(), app.test_request_context():
        line_id = _claim(claim_id).lines[0].id
        reduce = {line_id: decisions.LineReduction(26_000, "Only 13 hours evidenced")}
        assert _approve(claim_id, approver_a, reductions=reduce) is ApprovalStage.FIRST
        _return(claim_id, approver_b, "Please add the timesheet.")
        claims.submit_claim(_claim(claim_id), actor=_user(expert), declared=True, today=TODAY)
        line = _claim(claim_id).lines[0]
        assert (line.approved_pence, line.approval_note) == (None, None)
        assert line.payable_pence == line.amount_pence


def test_payable_is_never_more_than_the_line_amount() -> None:
    from payclaims.claims.models import ClaimLine

    line = ClaimLine(amount_pence=4000, approved_pence=6000)
    assert line.payable_pence == 4000
    assert ClaimLine(amount_pence=4000, approved_pence=1000).payable_pence == 1000
    assert ClaimLine(amount_pence=4000, approved_pence=None).payable_pence == 4000


@pytest.mark.parametrize(
    ("pence", "text"),
    [(0, "0.00"), (5, "0.05"), (-5, "-0.05"), (12_345, "123.45"), (2**53 + 1, "90071992547409.93")],
)
def test_export_amounts_are_exact_pounds_from_integer_pence(pence: int, text: str) -> None:
    assert export._amount(pence) == text


def test_finance_summary_counts_in_one_query_whatever_the_number_of_claims(
    app, make_sent_claim, sign_up, coordinator, approver_a, approver_b
):
    from sqlalchemy import event

    old = make_sent_claim(sign_up, verified_by=coordinator)
    for _ in range(4):
        make_sent_claim(sign_up, verified_by=coordinator)
    big = make_sent_claim(sign_up, units=15, verified_by=coordinator)
    with app.app_context(), app.test_request_context():
        _approve(big, approver_a)
        db.session.execute(
            update(Claim).where(Claim.id == old).values(verified_at=utc_now() - timedelta(days=30))
        )
        db.session.commit()
        user = _user(approver_b)
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(args[2])

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            summary = queue.finance_summary(user, TODAY)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert summary == queue.FinanceSummary(waiting_for_me=6, waiting_for_second=1, waiting_long=1)
    assert len(statements) == 1
