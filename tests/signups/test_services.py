"""Sign-up rules, called directly: signing up, withdrawing and the coordinator's decisions."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from payclaims.auth.models import Role, User
from payclaims.database import utc_now
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db
from payclaims.roles.models import (
    SIGN_UP_TRANSITIONS,
    RoleDescription,
    RoleStatus,
    RoleVersion,
    SignUp,
    SignUpStatus,
)
from payclaims.signups import services
from payclaims.signups.services import AlreadySignedUp, DecisionRefused, StaleSignUp
from payclaims.training.models import TrainingCourse
from tests.helpers import events

TODAY = date.today()
DECISIONS = (SignUpStatus.ACCEPTED, SignUpStatus.WAITLISTED, SignUpStatus.DECLINED)


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """A request context: services build links for their emails."""
    with app.test_request_context():
        yield


@pytest.fixture
def coordinator(make_user: Callable[..., User]) -> User:
    """The coordinator who runs the roles these tests make."""
    return make_user(name="Cora Coordinator", email="cora@example.org", roles=(Role.COORDINATOR,))


@pytest.fixture
def expert(make_user: Callable[..., User]) -> User:
    """An expert by experience."""
    return make_user(name="Eli Expert", email="eli@example.org")


# Helpers ---------------------------------------------------------------------------------


def _user(user: User) -> User:
    loaded = db.session.get(User, user.id)
    assert loaded is not None
    return loaded


def _role(role: RoleDescription) -> RoleDescription:
    loaded = db.session.get(RoleDescription, role.id)
    assert loaded is not None
    return loaded


def _sign_up(sign_up_id: int) -> SignUp:
    loaded = services.load_sign_up(sign_up_id)
    assert loaded is not None
    return loaded


def _sign_up_to(role: RoleDescription, person: User, **fields: Any) -> SignUp:
    values: dict[str, Any] = {"message": "", "access_needs": "", "ip_address": "127.0.0.1"}
    return services.sign_up_to_role(
        _role(role), person=_user(person), today=TODAY, **{**values, **fields}
    )


def _decide(sign_up_id: int, decision: SignUpStatus, actor: User, **fields: Any) -> SignUp:
    sign_up = _sign_up(sign_up_id)
    values: dict[str, Any] = {
        "message": "",
        "override_reason": "",
        "subject_to_training": False,
        "ip_address": "127.0.0.1",
        "today": TODAY,
    }
    services.decide_sign_up(sign_up, decision=decision, actor=_user(actor), **{**values, **fields})
    return sign_up


def _status(sign_up_id: int) -> SignUpStatus:
    db.session.expire_all()
    return _sign_up(sign_up_id).status


def _sign_up_count() -> int:
    return db.session.scalar(select(func.count()).select_from(SignUp)) or 0


# Signing up --------------------------------------------------------------------------------


@pytest.mark.usefixtures("ctx")
def test_sign_up_keeps_published_version_audits_and_emails_both(
    make_role, coordinator, expert, outbox
):
    role = make_role(coordinator=coordinator, title="Recovery college tutor")

    sign_up = _sign_up_to(
        role, expert, message="  I co-taught before.  ", access_needs="A quiet room, please."
    )

    stored = _sign_up(sign_up.id)
    assert stored.status is SignUpStatus.INTERESTED
    assert stored.version_id == role.published_version.id
    assert stored.person_id == expert.id
    assert stored.message == "I co-taught before."
    assert stored.access_needs == "A quiet room, please."
    (event,) = events("sign_up.created")
    assert (event.actor_id, event.subject_user_id) == (expert.id, expert.id)
    assert (event.object_type, event.object_id) == ("sign_up", sign_up.id)
    assert event.detail == "Recovery college tutor (version 1)"
    to_person, to_coordinator = outbox()
    assert to_person.to == ["eli@example.org"]
    assert "Recovery college tutor" in to_person.subject
    assert f"/my-roles/{sign_up.id}" in to_person.body
    assert to_coordinator.to == ["cora@example.org"]
    assert "Eli Expert has signed up to Recovery college tutor" in to_coordinator.body
    assert f"/sign-ups/{sign_up.id}" in to_coordinator.body
    # Access needs are read in the app, never sent by email.
    assert "quiet room" not in to_coordinator.body
    assert "quiet room" not in to_person.body


@pytest.mark.usefixtures("ctx")
@pytest.mark.parametrize(
    ("status", "closing_in_days", "message"),
    [
        (RoleStatus.CLOSED, 10, "This role has closed"),
        (RoleStatus.OPEN, -1, "Sign-ups to this role closed on"),
    ],
)
def test_sign_up_to_closed_role_is_refused(
    make_role, expert, outbox, status, closing_in_days, message
):
    role = make_role(status=status, closing_on=TODAY + timedelta(days=closing_in_days))

    with pytest.raises(DomainError, match=message):
        _sign_up_to(role, expert)

    assert _sign_up_count() == 0
    assert events("sign_up.created") == []
    assert outbox() == []


@pytest.mark.usefixtures("ctx")
def test_sign_up_on_closing_day_is_allowed(make_role, expert):
    role = make_role(closing_on=TODAY)

    assert _sign_up_to(role, expert).status is SignUpStatus.INTERESTED


@pytest.mark.usefixtures("ctx")
def test_sign_up_to_draft_role_is_refused(make_role, expert):
    role = make_role(status=RoleStatus.DRAFT)

    with pytest.raises(DomainError, match="not open for sign-ups"):
        _sign_up_to(role, expert)


@pytest.mark.usefixtures("ctx")
def test_sign_up_as_staff_without_expert_role_is_refused(make_role, make_user):
    role = make_role()
    staff = make_user(roles=(Role.COORDINATOR,))

    with pytest.raises(PermissionDenied):
        _sign_up_to(role, staff)


@pytest.mark.usefixtures("ctx")
@pytest.mark.parametrize("status", [SignUpStatus.INTERESTED, *DECISIONS[:2]])
def test_sign_up_while_live_sign_up_exists_is_refused_naming_it(
    make_role, make_sign_up, expert, outbox, status
):
    role = make_role()
    existing = make_sign_up(role, person=expert, status=status)

    with pytest.raises(AlreadySignedUp) as refused:
        _sign_up_to(role, expert)

    assert refused.value.sign_up.id == existing.id
    assert refused.value.message == "You have already signed up to this role."
    assert _sign_up_count() == 1
    assert outbox() == []


@pytest.mark.usefixtures("ctx")
def test_sign_up_double_submit_caught_by_index_answers_already_signed_up(
    make_role, make_sign_up, expert, outbox, monkeypatch
):
    role = make_role()
    existing = make_sign_up(role, person=expert)
    real_lookup = services.live_sign_up
    calls = iter([None])
    # The first look finds nothing, as when two requests arrive together.
    monkeypatch.setattr(services, "live_sign_up", lambda *args: next(calls, real_lookup(*args)))

    with pytest.raises(AlreadySignedUp) as refused:
        _sign_up_to(role, expert)

    assert refused.value.sign_up.id == existing.id
    assert _sign_up_count() == 1
    assert events("sign_up.created") == []
    assert outbox() == []


@pytest.mark.usefixtures("app_ctx")
def test_live_sign_up_index_refuses_a_second_live_row(make_role, make_sign_up, expert):
    role = make_role()
    first = make_sign_up(role, person=expert)
    db.session.add(SignUp(role_id=role.id, version_id=first.version_id, person_id=expert.id))

    with pytest.raises(IntegrityError):
        db.session.commit()

    db.session.rollback()
    # Ended sign-ups do not count: the person may sign up again after them.
    for status in (SignUpStatus.WITHDRAWN, SignUpStatus.DECLINED):
        db.session.add(
            SignUp(role_id=role.id, version_id=first.version_id, person_id=expert.id, status=status)
        )
    db.session.commit()
    assert _sign_up_count() == 3


@pytest.mark.usefixtures("ctx")
@pytest.mark.parametrize("ended", [SignUpStatus.WITHDRAWN, SignUpStatus.DECLINED])
def test_sign_up_again_after_sign_up_ended_is_allowed(make_role, make_sign_up, expert, ended):
    role = make_role()
    old = make_sign_up(role, person=expert, status=ended)

    new = _sign_up_to(role, expert)

    assert new.id != old.id
    assert _status(new.id) is SignUpStatus.INTERESTED
    assert _status(old.id) is ended


@pytest.mark.usefixtures("ctx")
def test_sign_up_again_after_withdrawing_is_allowed(make_role, expert):
    role = make_role()
    first = _sign_up_to(role, expert)
    services.withdraw_sign_up(_sign_up(first.id), actor=_user(expert), ip_address=None)

    second = _sign_up_to(role, expert)

    assert _status(first.id) is SignUpStatus.WITHDRAWN
    assert _status(second.id) is SignUpStatus.INTERESTED


@pytest.mark.usefixtures("ctx")
def test_sign_up_keeps_its_version_after_role_is_republished(
    make_role, make_user, coordinator, expert
):
    role = make_role(coordinator=coordinator, title="Panel member", places=2)
    sign_up = _sign_up_to(role, expert)
    db.session.add(
        RoleVersion(
            role_id=role.id,
            number=2,
            created_by_id=coordinator.id,
            published_at=utc_now(),
            published_by_id=coordinator.id,
            closing_on=TODAY + timedelta(days=60),
            **{
                "title": "Panel member (new dates)",
                "purpose": "Changed purpose.",
                "activities": "Changed activities.",
                "level": role.published_version.level,
                "location_type": role.published_version.location_type,
                "time_commitment": "Two days",
                "session_minutes": 120,
                "fee_pence": 2500,
                "fee_unit": role.published_version.fee_unit,
                "support_offered": "Changed support.",
                "places": 4,
            },
        )
    )
    db.session.commit()
    db.session.expire_all()

    kept = _sign_up(sign_up.id)
    later = _sign_up_to(role, make_user())

    assert _role(role).published_version.number == 2
    assert kept.version.number == 1
    assert kept.version.title == "Panel member"
    assert kept.version.places == 2
    assert _sign_up(later.id).version.number == 2


# The transitions table ---------------------------------------------------------------------


@pytest.mark.usefixtures("ctx")
@pytest.mark.parametrize("decision", list(SignUpStatus))
@pytest.mark.parametrize("start", list(SignUpStatus))
def test_decide_follows_the_transitions_table(
    make_role, make_sign_up, coordinator, start, decision
):
    role = make_role(coordinator=coordinator)
    sign_up = make_sign_up(role, status=start)
    allowed = decision in SIGN_UP_TRANSITIONS[start] and decision is not SignUpStatus.WITHDRAWN

    if allowed:
        _decide(sign_up.id, decision, coordinator)
        assert _status(sign_up.id) is decision
    else:
        with pytest.raises(DomainError) as refused:
            _decide(sign_up.id, decision, coordinator)
        assert refused.value.field == "decision"
        assert _status(sign_up.id) is start


@pytest.mark.usefixtures("ctx")
@pytest.mark.parametrize("start", list(SignUpStatus))
def test_withdraw_follows_the_transitions_table(make_role, make_sign_up, expert, outbox, start):
    sign_up = make_sign_up(make_role(), person=expert, status=start)

    if SignUpStatus.WITHDRAWN in SIGN_UP_TRANSITIONS[start]:
        services.withdraw_sign_up(_sign_up(sign_up.id), actor=_user(expert), ip_address=None)
        assert _status(sign_up.id) is SignUpStatus.WITHDRAWN
    else:
        with pytest.raises(DomainError, match="already ended"):
            services.withdraw_sign_up(_sign_up(sign_up.id), actor=_user(expert), ip_address=None)
        assert _status(sign_up.id) is start
        assert outbox() == []


def test_decision_choices_offer_only_the_coordinators_transitions(app):
    offered = {
        status: [
            (choice.value, choice.label)
            for choice in services.decision_choices(SignUp(status=status))
        ]
        for status in SignUpStatus
    }

    assert offered == {
        SignUpStatus.INTERESTED: [
            ("accepted", "Accept"),
            ("waitlisted", "Put on the waiting list"),
            ("declined", "Decline"),
        ],
        SignUpStatus.WAITLISTED: [("accepted", "Accept"), ("declined", "Decline")],
        SignUpStatus.ACCEPTED: [("declined", "Take the place back")],
        SignUpStatus.DECLINED: [],
        SignUpStatus.WITHDRAWN: [],
    }


# Who may decide and withdraw --------------------------------------------------------------


@pytest.mark.usefixtures("ctx")
@pytest.mark.parametrize("who", ["other_coordinator", "expert", "finance_admin"])
def test_decide_by_someone_not_running_the_role_is_refused(
    make_role, make_sign_up, make_user, coordinator, outbox, who
):
    roles = {
        "other_coordinator": (Role.COORDINATOR,),
        "expert": (Role.EXPERT,),
        "finance_admin": (Role.FINANCE_ADMIN,),
    }
    sign_up = make_sign_up(make_role(coordinator=coordinator))

    with pytest.raises(PermissionDenied):
        _decide(sign_up.id, SignUpStatus.ACCEPTED, make_user(roles=roles[who]))

    assert _status(sign_up.id) is SignUpStatus.INTERESTED
    assert events("sign_up.accepted") == []
    assert outbox() == []


@pytest.mark.usefixtures("ctx")
def test_decide_by_admin_who_is_not_the_coordinator_is_allowed(
    make_role, make_sign_up, make_user, coordinator
):
    sign_up = make_sign_up(make_role(coordinator=coordinator))
    admin = make_user(roles=(Role.ADMIN,))

    _decide(sign_up.id, SignUpStatus.WAITLISTED, admin)

    stored = _sign_up(sign_up.id)
    assert stored.status is SignUpStatus.WAITLISTED
    assert stored.decided_by_id == admin.id


@pytest.mark.usefixtures("ctx")
def test_withdraw_someone_elses_sign_up_is_refused(make_role, make_sign_up, make_user, outbox):
    sign_up = make_sign_up(make_role())

    with pytest.raises(PermissionDenied):
        services.withdraw_sign_up(_sign_up(sign_up.id), actor=_user(make_user()), ip_address=None)

    assert _status(sign_up.id) is SignUpStatus.INTERESTED
    assert outbox() == []


# Places ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("ctx")
@pytest.mark.parametrize("start", [SignUpStatus.INTERESTED, SignUpStatus.WAITLISTED])
def test_accept_when_places_are_full_without_reason_is_refused(
    make_role, make_sign_up, coordinator, outbox, start
):
    role = make_role(coordinator=coordinator, places=2)
    for _ in range(2):
        make_sign_up(role, status=SignUpStatus.ACCEPTED)
    sign_up = make_sign_up(role, status=start)

    with pytest.raises(DecisionRefused) as refused:
        _decide(sign_up.id, SignUpStatus.ACCEPTED, coordinator, override_reason="   ")

    (problem,) = refused.value.problems
    assert problem.field == "override_reason"
    assert problem.message.startswith("All 2 places are filled")
    assert _status(sign_up.id) is start
    assert services.accepted_count(role.id) == 2
    assert events("sign_up.accepted") == []
    assert outbox() == []


@pytest.mark.usefixtures("ctx")
def test_accept_when_places_are_full_with_reason_stores_and_audits_it(
    make_role, make_sign_up, coordinator
):
    role = make_role(coordinator=coordinator, places=1)
    make_sign_up(role, status=SignUpStatus.ACCEPTED)
    sign_up = make_sign_up(role)

    _decide(
        sign_up.id, SignUpStatus.ACCEPTED, coordinator, override_reason=" Two people job-share "
    )

    stored = _sign_up(sign_up.id)
    assert stored.status is SignUpStatus.ACCEPTED
    assert stored.places_override_reason == "Two people job-share"
    assert services.accepted_count(role.id) == 2
    (event,) = events("sign_up.accepted")
    assert event.detail == "over the 1 places: Two people job-share"


@pytest.mark.usefixtures("ctx")
def test_accept_with_a_free_place_ignores_an_override_reason(make_role, make_sign_up, coordinator):
    role = make_role(coordinator=coordinator, places=2)
    make_sign_up(role, status=SignUpStatus.ACCEPTED)
    sign_up = make_sign_up(role)

    _decide(sign_up.id, SignUpStatus.ACCEPTED, coordinator, override_reason="Just in case")

    stored = _sign_up(sign_up.id)
    assert stored.status is SignUpStatus.ACCEPTED
    assert stored.places_override_reason == ""
    assert events("sign_up.accepted")[0].detail == ""


@pytest.mark.usefixtures("ctx")
@pytest.mark.parametrize("decision", [SignUpStatus.WAITLISTED, SignUpStatus.DECLINED])
def test_waitlist_or_decline_when_places_are_full_needs_no_reason(
    make_role, make_sign_up, coordinator, decision
):
    role = make_role(coordinator=coordinator, places=1)
    make_sign_up(role, status=SignUpStatus.ACCEPTED)
    sign_up = make_sign_up(role)

    _decide(sign_up.id, decision, coordinator)

    assert _status(sign_up.id) is decision


@pytest.mark.usefixtures("ctx")
def test_places_count_only_accepted_sign_ups_against_the_sign_ups_version(
    make_role, make_sign_up, coordinator
):
    role = make_role(coordinator=coordinator, places=2)
    make_sign_up(role, status=SignUpStatus.ACCEPTED)
    for status in (SignUpStatus.WAITLISTED, SignUpStatus.WITHDRAWN, SignUpStatus.DECLINED):
        make_sign_up(role, status=status)
    sign_up = make_sign_up(role)

    _decide(sign_up.id, SignUpStatus.ACCEPTED, coordinator)

    assert services.accepted_count(role.id) == 2


def _publish_version(role: RoleDescription, **fields: Any) -> None:
    """Publish a new version of ``role``, copying the latest one, straight into the database."""
    latest = _role(role).latest_version
    columns = {c.name: getattr(latest, c.name) for c in RoleVersion.__table__.c if c.name != "id"}
    version = RoleVersion(
        **{**columns, "number": latest.number + 1, "published_at": utc_now(), **fields}
    )
    db.session.add(version)
    db.session.commit()
    db.session.expire_all()


@pytest.mark.usefixtures("ctx")
def test_accept_counts_places_of_the_roles_current_version_not_the_one_signed_up_to(
    make_role, coordinator, make_user
):
    role = make_role(coordinator=coordinator, places=1)
    first = _sign_up_to(role, make_user(name="Ann"))
    _publish_version(role, places=3)
    second = _sign_up_to(role, make_user(name="Ben"))
    _decide(second.id, SignUpStatus.ACCEPTED, coordinator)

    _decide(first.id, SignUpStatus.ACCEPTED, coordinator)

    assert _status(first.id) is SignUpStatus.ACCEPTED
    places = services.places_status(_role(role))
    assert places is not None
    assert (places.filled, places.places, places.full) == (2, 3, False)
    assert places.text == "2 of 3 places filled"


@pytest.mark.usefixtures("ctx")
def test_accept_when_places_of_the_current_version_are_full_is_refused(
    make_role, make_sign_up, coordinator
):
    role = make_role(coordinator=coordinator, places=3)
    sign_up = make_sign_up(role)
    make_sign_up(role, status=SignUpStatus.ACCEPTED)
    _publish_version(role, places=1)

    with pytest.raises(DecisionRefused) as refused:
        _decide(sign_up.id, SignUpStatus.ACCEPTED, coordinator)

    assert refused.value.problems[0].message == (
        "The 1 place is filled. To accept one more person, say why"
    )
    assert _status(sign_up.id) is SignUpStatus.INTERESTED


def test_two_acceptances_at_once_take_the_last_place_only_once(
    app, make_role, make_sign_up, coordinator, monkeypatch
):
    role = make_role(coordinator=coordinator, places=1)
    sign_ups = [make_sign_up(role), make_sign_up(role)]
    counted = services.accepted_count

    def slow_count(role_id: int) -> int:
        # Widen the gap between counting and the UPDATE, as a busy server would.
        filled = counted(role_id)
        time.sleep(0.3)
        return filled

    monkeypatch.setattr(services, "accepted_count", slow_count)
    barrier = threading.Barrier(len(sign_ups))
    outcomes: dict[int, str] = {}

    def accept(sign_up_id: int) -> None:
        with app.test_request_context():
            try:
                sign_up, actor = _sign_up(sign_up_id), _user(coordinator)
                barrier.wait(timeout=10)
                services.decide_sign_up(
                    sign_up,
                    decision=SignUpStatus.ACCEPTED,
                    actor=actor,
                    message="",
                    override_reason="",
                    subject_to_training=False,
                    ip_address=None,
                    today=TODAY,
                )
                outcomes[sign_up_id] = "accepted"
            except DomainError as error:
                outcomes[sign_up_id] = error.message
            except Exception as error:  # anything else fails the assertions below
                outcomes[sign_up_id] = repr(error)

    threads = [threading.Thread(target=accept, args=(s.id,)) for s in sign_ups]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(outcomes) == 2, outcomes
    accepted = [result for result in outcomes.values() if result == "accepted"]
    (refused,) = [result for result in outcomes.values() if result != "accepted"]
    assert len(accepted) == 1, outcomes
    assert "filled" in refused and "say why" in refused, outcomes
    with app.app_context():
        assert counted(role.id) == 1


@pytest.mark.usefixtures("ctx")
def test_take_a_place_back_declines_audits_and_emails_kindly(
    make_role, make_sign_up, coordinator, expert, outbox
):
    role = make_role(coordinator=coordinator, title="Panel member", places=1)
    sign_up = make_sign_up(role, person=expert, status=SignUpStatus.ACCEPTED)

    _decide(sign_up.id, SignUpStatus.DECLINED, coordinator, message="The panel was cancelled.")

    stored = _sign_up(sign_up.id)
    assert stored.status is SignUpStatus.DECLINED
    assert stored.decided_by_id == coordinator.id
    assert stored.decision_message == "The panel was cancelled."
    assert services.accepted_count(role.id) == 0
    (event,) = events("sign_up.declined")
    assert (event.object_id, event.actor_id, event.subject_user_id) == (
        sign_up.id,
        coordinator.id,
        expert.id,
    )
    assert event.detail == "place taken back"
    (email,) = outbox()
    assert email.to == ["eli@example.org"]
    assert email.subject.endswith("About your place in Panel member")
    body = " ".join(email.body.split())
    assert "taken back your place in Panel member" in body
    assert "not a judgement of you" in body
    assert "The panel was cancelled." in body


@pytest.mark.usefixtures("ctx")
def test_sign_up_to_a_role_whose_title_has_a_line_break_sends_one_line_subjects(
    make_role, expert, outbox
):
    role = make_role(title="Panel\r\nBcc: someone@example.org")

    _sign_up_to(role, expert)

    to_person, to_coordinator = outbox()
    for email in (to_person, to_coordinator):
        assert "\n" not in email.subject and "\r" not in email.subject
        assert email.message()["Bcc"] is None
    assert to_person.subject.endswith("We have your sign-up to Panel Bcc: someone@example.org")


# The training gate --------------------------------------------------------------------------


def _record_for(
    kind: str,
    person: User,
    course: TrainingCourse,
    make_record: Callable[..., Any],
) -> str:
    """Give ``person`` a record of ``kind``; return how the gap reads."""
    if kind == "missing":
        return "not done yet"
    if kind == "expired":
        expired_on = TODAY - timedelta(days=1)
        make_record(person, course, completed_on=TODAY - timedelta(days=400), expires_on=expired_on)
        return "expired on"
    make_record(person, course, verified=False)
    return "waiting for a coordinator to check it"


@pytest.mark.usefixtures("ctx")
@pytest.mark.parametrize("kind", ["missing", "expired", "unverified"])
def test_accept_with_training_gap_needs_subject_to_training(
    make_role, make_sign_up, make_course, make_record, coordinator, expert, outbox, kind
):
    course = make_course(name="Safeguarding adults")
    role = make_role(coordinator=coordinator, courses=(course,))
    sign_up = make_sign_up(role, person=expert)
    _record_for(kind, expert, course, make_record)

    with pytest.raises(DecisionRefused) as refused:
        _decide(sign_up.id, SignUpStatus.ACCEPTED, coordinator)

    (problem,) = refused.value.problems
    assert problem.field == "subject_to_training"
    assert problem.message == (
        'Eli Expert still needs Safeguarding adults. To accept them now, tick "Accept subject '
        'to training"'
    )
    assert _status(sign_up.id) is SignUpStatus.INTERESTED
    assert outbox() == []


@pytest.mark.usefixtures("ctx")
@pytest.mark.parametrize("kind", ["missing", "expired", "unverified"])
def test_accept_subject_to_training_records_emails_and_audits_the_gap(
    make_role, make_sign_up, make_course, make_record, coordinator, expert, outbox, kind
):
    course = make_course(name="Safeguarding adults")
    role = make_role(coordinator=coordinator, courses=(course,), title="Panel member")
    sign_up = make_sign_up(role, person=expert)
    reason = _record_for(kind, expert, course, make_record)

    _decide(
        sign_up.id,
        SignUpStatus.ACCEPTED,
        coordinator,
        subject_to_training=True,
        message="Welcome aboard.",
    )

    stored = _sign_up(sign_up.id)
    assert stored.status is SignUpStatus.ACCEPTED
    assert stored.is_subject_to_training
    assert stored.decision_message == "Welcome aboard."
    assert stored.decided_by_id == coordinator.id
    assert stored.decided_at is not None
    (event,) = events("sign_up.accepted")
    assert event.detail.startswith("subject to training: Safeguarding adults: ")
    assert reason in event.detail
    assert (event.object_type, event.object_id) == ("sign_up", sign_up.id)
    assert (event.actor_id, event.subject_user_id) == (coordinator.id, expert.id)
    (email,) = outbox()
    assert email.to == ["eli@example.org"]
    assert email.subject.endswith("You have a place: Panel member")
    assert "subject to training" in email.body
    assert "- Safeguarding adults: " in email.body
    assert reason in email.body
    assert "Welcome aboard." in email.body


@pytest.mark.usefixtures("ctx")
def test_accept_with_training_done_is_not_subject_to_training(
    make_role, make_sign_up, make_course, make_record, coordinator, expert, outbox
):
    course = make_course()
    role = make_role(coordinator=coordinator, courses=(course,))
    sign_up = make_sign_up(role, person=expert)
    make_record(expert, course, recorded_by=coordinator)

    _decide(sign_up.id, SignUpStatus.ACCEPTED, coordinator, subject_to_training=True)

    assert not _sign_up(sign_up.id).is_subject_to_training
    assert "subject to training" not in outbox()[0].body


@pytest.mark.usefixtures("ctx")
def test_accept_names_every_missing_course_and_every_problem_at_once(
    make_role, make_sign_up, make_course, coordinator, expert
):
    courses = (make_course(name="First aid"), make_course(name="Safeguarding adults"))
    role = make_role(coordinator=coordinator, courses=courses, places=1)
    make_sign_up(role, status=SignUpStatus.ACCEPTED)
    sign_up = make_sign_up(role, person=expert)

    with pytest.raises(DecisionRefused) as refused:
        _decide(sign_up.id, SignUpStatus.ACCEPTED, coordinator)

    places, training = refused.value.problems
    assert places.field == "override_reason"
    assert training.field == "subject_to_training"
    assert "still needs First aid and Safeguarding adults." in training.message


@pytest.mark.usefixtures("ctx")
@pytest.mark.parametrize("decision", [SignUpStatus.WAITLISTED, SignUpStatus.DECLINED])
def test_waitlist_or_decline_with_training_gap_needs_no_tick(
    make_role, make_sign_up, make_course, coordinator, decision
):
    role = make_role(coordinator=coordinator, courses=(make_course(),))
    sign_up = make_sign_up(role)

    _decide(sign_up.id, decision, coordinator)

    stored = _sign_up(sign_up.id)
    assert stored.status is decision
    assert not stored.is_subject_to_training


# One decision only --------------------------------------------------------------------------


@pytest.mark.usefixtures("ctx")
@pytest.mark.parametrize("decision", DECISIONS)
def test_decide_after_someone_else_changed_the_status_is_refused(
    app, make_role, make_sign_up, coordinator, outbox, decision
):
    sign_up = make_sign_up(make_role(coordinator=coordinator))
    loaded = _sign_up(sign_up.id)
    # Another coordinator's decision lands between this one's page load and their click.
    with db.engine.begin() as connection:
        connection.execute(
            update(SignUp.__table__)
            .where(SignUp.__table__.c.id == sign_up.id)
            .values(status=SignUpStatus.DECLINED.value)
        )

    with pytest.raises(StaleSignUp, match="Someone else has just changed this sign-up"):
        services.decide_sign_up(
            loaded,
            decision=decision,
            actor=_user(coordinator),
            message="",
            override_reason="",
            subject_to_training=False,
            ip_address=None,
            today=TODAY,
        )

    assert _status(sign_up.id) is SignUpStatus.DECLINED
    assert events(f"sign_up.{decision.value}") == []
    assert outbox() == []


@pytest.mark.usefixtures("ctx")
def test_second_decision_from_an_old_page_is_refused(
    app, make_role, make_sign_up, make_user, coordinator, outbox
):
    sign_up = make_sign_up(make_role(coordinator=coordinator))
    first_page = _sign_up(sign_up.id)
    admin = make_user(roles=(Role.ADMIN,))
    # A separate session, as another person's request would have.
    with app.app_context(), app.test_request_context():
        _decide(sign_up.id, SignUpStatus.WAITLISTED, admin)

    with pytest.raises(StaleSignUp):
        services.decide_sign_up(
            first_page,
            decision=SignUpStatus.DECLINED,
            actor=_user(coordinator),
            message="",
            override_reason="",
            subject_to_training=False,
            ip_address=None,
            today=TODAY,
        )

    assert _status(sign_up.id) is SignUpStatus.WAITLISTED
    assert len(events("sign_up.waitlisted")) == 1
    assert events("sign_up.declined") == []
    assert len(outbox()) == 1


@pytest.mark.usefixtures("ctx")
def test_withdraw_after_someone_else_changed_the_status_is_refused(
    make_role, make_sign_up, expert, outbox
):
    sign_up = make_sign_up(make_role(), person=expert)
    loaded = _sign_up(sign_up.id)
    with db.engine.begin() as connection:
        connection.execute(
            update(SignUp.__table__)
            .where(SignUp.__table__.c.id == sign_up.id)
            .values(status=SignUpStatus.DECLINED.value)
        )

    with pytest.raises(StaleSignUp):
        services.withdraw_sign_up(loaded, actor=_user(expert), ip_address=None)

    assert _status(sign_up.id) is SignUpStatus.DECLINED
    assert events("sign_up.withdrawn") == []
    assert outbox() == []


# What people are told ----------------------------------------------------------------------


@pytest.mark.usefixtures("ctx")
def test_waitlist_emails_the_person_and_audits(
    make_role, make_sign_up, coordinator, expert, outbox
):
    sign_up = make_sign_up(make_role(coordinator=coordinator, title="Panel member"), person=expert)

    _decide(sign_up.id, SignUpStatus.WAITLISTED, coordinator, message="One of 12 for 3 places.")

    (event,) = events("sign_up.waitlisted")
    assert (event.actor_id, event.subject_user_id, event.object_id) == (
        coordinator.id,
        expert.id,
        sign_up.id,
    )
    (email,) = outbox()
    assert email.to == ["eli@example.org"]
    assert email.subject.endswith("You are on the waiting list: Panel member")
    assert "waiting list" in email.body
    assert "One of 12 for 3 places." in email.body
    assert f"/my-roles/{sign_up.id}" in email.body


@pytest.mark.usefixtures("ctx")
def test_decline_emails_kind_words_and_the_coordinators_message(
    make_role, make_sign_up, coordinator, expert, outbox
):
    sign_up = make_sign_up(make_role(coordinator=coordinator, title="Panel member"), person=expert)

    _decide(sign_up.id, SignUpStatus.DECLINED, coordinator, message="We needed a local carer.")

    stored = _sign_up(sign_up.id)
    assert stored.decision_message == "We needed a local carer."
    (event,) = events("sign_up.declined")
    assert event.object_id == sign_up.id
    (email,) = outbox()
    assert email.subject.endswith("About your sign-up to Panel member")
    body = " ".join(email.body.split())
    assert "Thank you for signing up to Panel member" in body
    assert "not a judgement of you or of your experience" in body
    assert "We needed a local carer." in body
    assert "/opportunities" in body


@pytest.mark.usefixtures("ctx")
def test_withdraw_audits_and_tells_the_person_and_the_coordinator(
    make_role, make_sign_up, coordinator, expert, outbox
):
    role = make_role(coordinator=coordinator, title="Panel member")
    sign_up = make_sign_up(role, person=expert, status=SignUpStatus.ACCEPTED)

    services.withdraw_sign_up(_sign_up(sign_up.id), actor=_user(expert), ip_address="10.0.0.9")

    stored = _sign_up(sign_up.id)
    assert stored.status is SignUpStatus.WITHDRAWN
    (event,) = events("sign_up.withdrawn")
    # A withdrawal is not a decision: its date comes from the audit trail.
    assert stored.decided_at is None
    assert services.status_dates([stored]) == {stored.id: event.occurred_at}
    assert (event.actor_id, event.subject_user_id) == (expert.id, expert.id)
    assert (event.object_type, event.object_id, event.ip_address) == (
        "sign_up",
        sign_up.id,
        "10.0.0.9",
    )
    to_person, to_coordinator = outbox()
    assert to_person.to == ["eli@example.org"]
    assert to_person.subject.endswith("You have withdrawn from Panel member")
    assert to_coordinator.to == ["cora@example.org"]
    assert "Eli Expert has withdrawn from Panel member" in to_coordinator.body
    assert f"/roles/{role.id}/sign-ups" in to_coordinator.body


# Reading ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("ctx")
def test_sign_ups_of_groups_and_lists_training_still_needed(
    make_role, make_sign_up, make_course, make_record, expert, make_user
):
    done, missing = make_course(name="Done course"), make_course(name="Missing course")
    make_record(expert, done)
    statuses = list(SignUpStatus)
    made = {
        status: make_sign_up(make_role(courses=(done, missing)), person=expert, status=status)
        for status in statuses
    }
    make_sign_up(make_role(), person=make_user())  # someone else's
    db.session.execute(
        update(SignUp)
        .where(SignUp.id == made[SignUpStatus.ACCEPTED].id)
        .values(is_subject_to_training=True)
    )
    db.session.commit()

    grouped = services.sign_ups_of(_user(expert), TODAY)

    ids = {name: [s.id for s in getattr(grouped, name)] for name in ("accepted", "waiting", "past")}
    assert ids == {
        "accepted": [made[SignUpStatus.ACCEPTED].id],
        "waiting": [made[SignUpStatus.WAITLISTED].id, made[SignUpStatus.INTERESTED].id],
        "past": [made[SignUpStatus.WITHDRAWN].id, made[SignUpStatus.DECLINED].id],
    }
    (gap,) = grouped.training_needed[made[SignUpStatus.ACCEPTED].id]
    assert gap.text == "Missing course: not done yet"
    accepted = grouped.accepted[0]
    assert services.next_step(accepted, [gap]) == ("Complete your training: 1 course still needed.")


@pytest.mark.usefixtures("ctx")
def test_status_says_subject_to_training_only_while_training_is_missing(
    make_role, make_sign_up, make_course, make_record, coordinator, expert
):
    course = make_course(name="First aid")
    role = make_role(coordinator=coordinator, courses=(course,))
    sign_up = make_sign_up(role, person=expert)
    _decide(sign_up.id, SignUpStatus.ACCEPTED, coordinator, subject_to_training=True)

    before = services.sign_ups_to(_role(role), TODAY)
    make_record(expert, course, recorded_by=coordinator)
    after = services.sign_ups_to(_role(role), TODAY)

    assert before.statuses == {sign_up.id: "Accepted, subject to training"}
    assert after.statuses == {sign_up.id: "Accepted, training complete"}
    assert services.sign_ups_of(_user(expert), TODAY).statuses == {
        sign_up.id: "Accepted, training complete"
    }


@pytest.mark.usefixtures("ctx")
def test_training_needs_say_why_each_course_is_needed(make_course, make_record, expert, make_user):
    missing, expired, unchecked = (make_course(name=n) for n in ("Missing", "Expired", "Check"))
    expired_on = TODAY - timedelta(days=1)
    make_record(expert, expired, completed_on=TODAY - timedelta(days=400), expires_on=expired_on)
    record = make_record(expert, unchecked, verified=False)
    other = make_user()

    needs = services.training_needs([expert.id, other.id], [missing, expired, unchecked], TODAY)

    mine = needs[expert.id]
    assert [(n.course.name, n.kind) for n in mine.values()] == [
        ("Missing", services.NeedKind.NOT_DONE),
        ("Expired", services.NeedKind.EXPIRED),
        ("Check", services.NeedKind.AWAITING_CHECK),
    ]
    assert mine[unchecked.id].record_id == record.id
    assert mine[unchecked.id].text == "Check: done, waiting for a coordinator to check it"
    assert mine[unchecked.id].advice == (
        "You do not need to do anything: a coordinator will check it."
    )
    assert mine[expired.id].reason.startswith("expired on ")
    assert len(needs[other.id]) == 3
