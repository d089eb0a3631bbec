"""The demo data: roles at every level, and sign-ups and training records in every state."""

from __future__ import annotations

from sqlalchemy import select

from payclaims.dates import uk_today
from payclaims.demo import seed_demo
from payclaims.extensions import db
from payclaims.roles.models import (
    InvolvementLevel,
    RoleDescription,
    RoleStatus,
    SignUp,
    SignUpStatus,
)
from payclaims.training.models import TrainingCourse, TrainingRecord
from tests.conftest import PASSWORD

EXPECTED_TITLES = {
    "Interview panel member",
    "Recovery college co-trainer",
    "Quality visit member",
    "Committee member",
    "Reader panel",
    "Peer research interviewer",
}


def test_demo_has_roles_at_every_level_and_in_every_state(app, app_ctx):
    seed_demo(PASSWORD)

    roles = db.session.scalars(select(RoleDescription)).all()
    assert {role.title for role in roles} >= EXPECTED_TITLES
    levels = {role.latest_version.level for role in roles}
    assert levels == set(InvolvementLevel)
    assert {role.status for role in roles} == set(RoleStatus)
    assert any(len(role.versions) > 1 and role.published_version for role in roles)
    assert any(role.published_version and not role.published_version.is_paid for role in roles)


def test_demo_has_sign_ups_and_records_in_every_state(app, app_ctx):
    seed_demo(PASSWORD)
    today = uk_today()

    sign_ups = db.session.scalars(select(SignUp)).all()
    assert {sign_up.status for sign_up in sign_ups} == set(SignUpStatus)
    assert any(sign_up.is_subject_to_training for sign_up in sign_ups)
    assert any(sign_up.access_needs for sign_up in sign_ups)
    # A sign-up to the first version of a role that has been published again since.
    assert any(
        sign_up.version.number < sign_up.role.published_version.number for sign_up in sign_ups
    )

    courses = {course.name for course in db.session.scalars(select(TrainingCourse))}
    assert courses == {
        "Recruitment and selection",
        "Safeguarding level 1",
        "Co-production essentials",
    }
    records = db.session.scalars(select(TrainingRecord)).all()
    assert any(record.is_verified and record.is_current(today) for record in records)
    assert any(not record.is_verified for record in records)
    assert any(not record.is_current(today) for record in records)
    assert any(
        record.expires_on and 0 <= (record.expires_on - today).days <= 30 for record in records
    )
    assert any(record.evidence for record in records)


def test_demo_loaded_twice_adds_nothing(app, app_ctx):
    seed_demo(PASSWORD)
    counts = [
        len(db.session.scalars(select(model)).all())
        for model in (RoleDescription, SignUp, TrainingRecord)
    ]

    seed_demo(PASSWORD)

    assert [
        len(db.session.scalars(select(model)).all())
        for model in (RoleDescription, SignUp, TrainingRecord)
    ] == counts


def test_demo_has_claims_in_every_status_with_their_history(app, app_ctx):
    from payclaims.claims.models import Claim, ClaimStatus

    seed_demo(PASSWORD)

    claims = db.session.scalars(select(Claim)).all()
    assert {claim.status for claim in claims} == set(ClaimStatus)
    assert all(claim.lines and claim.events for claim in claims)
    assert all(claim.events[-1].to_status is claim.status for claim in claims)
    assert any(claim.is_late for claim in claims)
    assert any(claim.fee_choice.value != "full" for claim in claims)
    lines = [line for claim in claims for line in claim.lines]
    assert any(line.receipts for line in lines)
    assert any(line.category and line.category.value == "mileage" for line in lines)


def test_demo_has_someone_paid_by_cheque(app, app_ctx):
    from payclaims.people.models import OtherPaymentMethod, PaymentMethod
    from payclaims.people.payment_setup import PaidBy, payment_setup

    seed_demo(PASSWORD)
    seed_demo(PASSWORD)

    (method,) = db.session.scalars(select(OtherPaymentMethod)).all()
    assert method.method is PaymentMethod.CHEQUE
    assert method.person.name == "Chris Walker"
    assert payment_setup(method.person).paid_by is PaidBy.OTHER_METHOD
    # Checked by a second finance person (four eyes), so it can be paid.
    assert method.confirmed_by is not None
    assert method.confirmed_by.id != method.recorded_by_id
    assert payment_setup(method.person).can_be_paid


def test_demo_cost_centres_have_approvers_and_the_queue_has_claims_waiting(app, app_ctx):
    from payclaims.approvals import decisions, queue
    from payclaims.auth.models import User
    from payclaims.claims.models import Claim, ClaimStatus
    from payclaims.costcentres.models import CostCentre
    from payclaims.demo import DEMO_DOMAIN

    seed_demo(PASSWORD)
    seed_demo(PASSWORD)  # twice adds nothing

    cost_centres = db.session.scalars(select(CostCentre)).all()
    assert all(len(centre.approvers) == 2 for centre in cost_centres)
    assert all(centre.single_approver_limit_pence == 25_000 for centre in cost_centres)
    finance = db.session.scalars(select(User).where(User.email == f"finance@{DEMO_DOMAIN}")).one()
    today = uk_today()
    waiting = db.session.scalars(queue.queue_query(finance, queue.QueueFilters(), today)).all()
    assert len(waiting) >= 3
    first_approvals = queue.approvals_for(waiting)
    above = [claim for claim in waiting if first_approvals[claim.id]]
    assert len(above) == 1
    assert above[0].approved_total_pence > 25_000
    assert decisions.decision_problem(above[0], finance, today) is None
    for claim in db.session.scalars(select(Claim).where(Claim.status == ClaimStatus.APPROVED)):
        assert decisions.approvals_this_round(claim)
