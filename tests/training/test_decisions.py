"""Not accepting self-declared training, and 'expires soon' counting each course once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from payclaims.audit.models import AuditEvent
from payclaims.auth.models import Role
from payclaims.dates import add_months, uk_today
from payclaims.extensions import db
from payclaims.home.services import coordinator_summary, expert_summary
from payclaims.training.models import TrainingRecord
from payclaims.training.services import RecordFilters, records_query
from tests.helpers import sign_in


def _record_ids(app):
    with app.app_context():
        return set(db.session.scalars(select(TrainingRecord.id)))


def test_coordinator_can_refuse_self_declared_training_with_a_reason(
    app, client, make_user, make_course, make_record, outbox
):
    coordinator = make_user(name="Cora", roles=(Role.COORDINATOR,))
    person = make_user(name="Eli", email="eli@example.org")
    declared = make_record(person, make_course(name="Safeguarding level 1"), verified=False)
    sign_in(client, coordinator)

    missing_reason = client.post(f"/training/records/{declared.id}/reject", data={"reason": ""})
    assert "Say why this training is not accepted" in missing_reason.get_data(as_text=True)
    assert declared.id in _record_ids(app)

    response = client.post(
        f"/training/records/{declared.id}/reject",
        data={"reason": "The certificate is for a different course."},
    )

    assert response.headers["Location"] == "/training"
    assert declared.id not in _record_ids(app)
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "training.rejected")
        )
        assert "different course" in event.detail and "Safeguarding level 1" in event.detail
    mail = [m for m in outbox() if m.to == ["eli@example.org"]]
    assert len(mail) == 1 and "different course" in mail[0].body


def test_verified_training_cannot_be_refused(client, make_user, make_course, make_record):
    coordinator = make_user(roles=(Role.COORDINATOR,))
    record = make_record(make_user(), make_course(), verified=True)
    sign_in(client, coordinator)

    response = client.post(f"/training/records/{record.id}/reject", data={"reason": "No."})

    assert "already been verified" in response.get_data(as_text=True)


def test_coordinator_cannot_refuse_own_training(app, client, make_user, make_course, make_record):
    coordinator = make_user(roles=(Role.COORDINATOR, Role.EXPERT))
    record = make_record(coordinator, make_course(), verified=False)
    sign_in(client, coordinator)

    client.post(f"/training/records/{record.id}/reject", data={"reason": "No."})

    assert record.id in _record_ids(app)


def test_experts_cannot_refuse_training(client, make_user, make_course, make_record):
    expert = make_user(roles=(Role.EXPERT,))
    record = make_record(expert, make_course(), verified=False)
    sign_in(client, expert)

    assert (
        client.post(f"/training/records/{record.id}/reject", data={"reason": "x"}).status_code
        == 403
    )


def test_renewed_training_is_not_counted_as_expiring(app, make_user, make_course, make_record):
    today = uk_today()
    person = make_user()
    coordinator = make_user(roles=(Role.COORDINATOR,))
    course = make_course(validity_months=12)
    old = make_record(person, course, completed_on=add_months(today, -12) + timedelta(days=10))
    make_record(person, course, completed_on=today - timedelta(days=1))
    other = make_record(
        make_user(), course, completed_on=add_months(today, -12) + timedelta(days=5)
    )

    with app.app_context():
        expiring = {
            record.id
            for record in db.session.scalars(
                records_query(RecordFilters(expiring_soon=True), today)
            ).unique()
        }
        summary = coordinator_summary(db.session.merge(coordinator), today)
        person_summary = expert_summary(db.session.merge(person), today)

    assert old.id not in expiring and other.id in expiring
    assert summary.records_expiring_soon == 1
    assert person_summary.courses_to_renew == 0


def test_home_counts_what_is_waiting(
    app, make_user, make_role, make_sign_up, make_course, make_record
):
    today = uk_today()
    coordinator = make_user(roles=(Role.COORDINATOR,))
    role = make_role(coordinator=coordinator)
    make_role()  # another coordinator's role
    expert = make_user()
    make_sign_up(role, person=expert)
    make_record(expert, make_course(), verified=False)

    with app.app_context():
        summary = coordinator_summary(db.session.merge(coordinator), today)
        person = expert_summary(db.session.merge(expert), today)

    assert (summary.open_roles, summary.sign_ups_to_decide, summary.records_to_verify) == (1, 1, 1)
    assert (person.live_sign_ups, person.accepted_roles) == (1, 0)
