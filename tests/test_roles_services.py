"""Role rules, called directly: writing, versions, publishing, closing, reopening, finding."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from payclaims.audit.models import AuditEvent
from payclaims.auth.models import Role, User
from payclaims.costcentres.models import CostCentre
from payclaims.database import utc_now
from payclaims.dates import uk_today
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db
from payclaims.roles import services
from payclaims.roles.expenses import ExpenseCategory
from payclaims.roles.models import (
    FeeUnit,
    InvolvementLevel,
    LocationType,
    RoleDescription,
    RoleStatus,
    RoleVersion,
    SignUp,
    SignUpStatus,
)
from payclaims.roles.services import RoleContent
from payclaims.training.models import TrainingCourse

TODAY = uk_today()
IP = "192.0.2.7"


@pytest.fixture
def coordinator(make_user: Callable[..., User]) -> User:
    """A coordinator."""
    return make_user(name="Cora Coordinator", roles=(Role.COORDINATOR,))


@pytest.fixture
def cost_centre(make_cost_centre: Callable[..., CostCentre]) -> CostCentre:
    """A cost centre."""
    return make_cost_centre(code="INV01", name="Involvement")


def _user(user: User) -> User:
    loaded = db.session.get(User, user.id)
    assert loaded is not None
    return loaded


def _role(role_id: int) -> RoleDescription:
    db.session.expire_all()
    role = services.load_role(role_id)
    assert role is not None
    return role


def _events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def _content(coordinator: User, cost_centre: CostCentre, **changes: Any) -> RoleContent:
    content = RoleContent(
        title="Interview panel member",
        purpose="Help choose new staff for the community team.",
        activities="Read applications and sit on the panel.",
        level=InvolvementLevel.CO_PRODUCTION,
        location_type=LocationType.IN_PERSON,
        venue="Riverside House, 1 Mill Lane",
        venue_accessibility="Step-free entrance and a hearing loop.",
        time_commitment="One day in January",
        session_minutes=180,
        fee_pence=2000,
        fee_unit=FeeUnit.HOUR,
        expense_categories=(ExpenseCategory.PUBLIC_TRANSPORT,),
        course_ids=(),
        support_offered="A named contact and a debrief.",
        places=3,
        closing_on=TODAY + timedelta(days=14),
        coordinator_id=coordinator.id,
        cost_centre_id=cost_centre.id,
    )
    return replace(content, **changes)


def _create(actor: User, content: RoleContent) -> RoleDescription:
    role = services.create_role(content, actor=_user(actor), ip_address=IP, today=TODAY)
    return _role(role.id)


def _publish(role: RoleDescription, actor: User) -> RoleVersion:
    return services.publish_role(role, actor=_user(actor), ip_address=IP, today=TODAY)


def _save(role: RoleDescription, actor: User, content: RoleContent) -> RoleVersion:
    return services.save_role_changes(role, content, actor=_user(actor), ip_address=IP, today=TODAY)


# Creating --------------------------------------------------------------------------------------


def test_create_role_makes_a_draft_with_unpublished_version_1(
    app_ctx, coordinator, cost_centre, make_course
):
    course = make_course(name="Safeguarding")
    content = _content(
        coordinator,
        cost_centre,
        course_ids=(course.id,),
        expense_categories=(ExpenseCategory.MILEAGE, ExpenseCategory.PUBLIC_TRANSPORT),
    )

    role = _create(coordinator, content)

    assert role.status is RoleStatus.DRAFT
    assert role.coordinator_id == coordinator.id
    assert role.cost_centre_id == cost_centre.id
    assert role.created_by_id == coordinator.id
    (version,) = role.versions
    assert version.number == 1
    assert version.published_at is None
    assert version.title == "Interview panel member"
    assert version.session_minutes == 180
    assert (version.fee_pence, version.fee_unit) == (2000, FeeUnit.HOUR)
    # Stored in the usual order, whatever order they came in.
    assert version.expense_categories == ["public_transport", "mileage"]
    assert [c.name for c in version.required_courses] == ["Safeguarding"]
    (event,) = _events("role.created")
    assert (event.actor_id, event.ip_address) == (coordinator.id, IP)
    assert (event.object_type, event.object_id) == ("role", role.id)
    assert not role.takes_sign_ups(TODAY)


def test_create_role_expenses_only_or_remote_keeps_no_fee_or_venue(
    app_ctx, coordinator, cost_centre
):
    content = _content(
        coordinator,
        cost_centre,
        fee_pence=None,
        fee_unit=FeeUnit.DAY,
        location_type=LocationType.REMOTE,
    )

    version = _create(coordinator, content).latest_version

    assert (version.fee_pence, version.fee_unit) == (None, None)
    assert (version.venue, version.venue_accessibility) == ("", "")


@pytest.mark.parametrize("roles", [(Role.FINANCE_ADMIN,), (Role.FINANCE_APPROVER,), (Role.EXPERT,)])
def test_create_role_without_coordinator_or_admin_role_is_refused(
    app_ctx, make_user, coordinator, cost_centre, roles
):
    actor = make_user(roles=roles)

    with pytest.raises(PermissionDenied):
        _create(actor, _content(coordinator, cost_centre))

    assert db.session.scalars(select(RoleDescription)).all() == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"closing_on": TODAY - timedelta(days=1)}, "closing_on"),
        ({"venue": " "}, "venue"),
        ({"venue_accessibility": ""}, "venue_accessibility"),
        ({"fee_pence": 0}, "fee_pence"),
        ({"fee_pence": -100}, "fee_pence"),
        ({"fee_unit": None}, "fee_unit"),
        ({"fee_unit": FeeUnit.HALF_DAY, "session_minutes": 241}, "fee_unit"),
        ({"places": 0}, "places"),
        ({"places": 501}, "places"),
        ({"session_minutes": 0}, "session_hours"),
        ({"session_minutes": 721}, "session_hours"),
        ({"title": ""}, "title"),
        ({"support_offered": "  "}, "support_offered"),
    ],
)
def test_create_role_breaking_a_rule_is_refused_next_to_the_field(
    app_ctx, coordinator, cost_centre, changes, field
):
    with pytest.raises(DomainError) as refused:
        _create(coordinator, _content(coordinator, cost_centre, **changes))

    assert refused.value.field == field
    assert db.session.scalars(select(RoleDescription)).all() == []


def test_create_role_closing_today_is_allowed(app_ctx, coordinator, cost_centre):
    role = _create(coordinator, _content(coordinator, cost_centre, closing_on=TODAY))

    assert role.latest_version.closing_on == TODAY


def test_create_role_with_someone_who_is_not_an_active_coordinator_is_refused(
    app_ctx, make_user, coordinator, cost_centre
):
    finance = make_user(roles=(Role.FINANCE_ADMIN,))
    gone = make_user(roles=(Role.COORDINATOR,), active=False)

    for person in (finance, gone):
        with pytest.raises(DomainError) as refused:
            _create(coordinator, _content(coordinator, cost_centre, coordinator_id=person.id))
        assert refused.value.field == "coordinator_id"


def test_create_role_with_inactive_cost_centre_or_course_is_refused(
    app_ctx, coordinator, cost_centre, make_cost_centre, make_course
):
    closed_centre = make_cost_centre()
    retired_course = make_course()
    db.session.get(CostCentre, closed_centre.id).is_active = False
    db.session.get(TrainingCourse, retired_course.id).is_active = False
    db.session.commit()

    with pytest.raises(DomainError) as centre_refused:
        _create(coordinator, _content(coordinator, cost_centre, cost_centre_id=closed_centre.id))
    with pytest.raises(DomainError) as course_refused:
        _create(coordinator, _content(coordinator, cost_centre, course_ids=(retired_course.id,)))

    assert centre_refused.value.field == "cost_centre_id"
    assert course_refused.value.field == "course_ids"


# Versions ----------------------------------------------------------------------------------


def test_save_changes_before_publishing_changes_version_1_in_place(
    app_ctx, coordinator, cost_centre
):
    role = _create(coordinator, _content(coordinator, cost_centre))

    saved = _save(role, coordinator, _content(coordinator, cost_centre, title="Panel member"))

    role = _role(role.id)
    (version,) = role.versions
    assert saved.id == version.id
    assert (version.number, version.title, version.published_at) == (1, "Panel member", None)
    (event,) = _events("role.edited")
    assert event.detail == "version 1"
    assert (event.object_type, event.object_id) == ("role", role.id)


def test_publish_opens_a_draft_role_and_stamps_the_version(app_ctx, coordinator, cost_centre):
    role = _create(coordinator, _content(coordinator, cost_centre))

    _publish(role, coordinator)

    role = _role(role.id)
    assert role.status is RoleStatus.OPEN
    assert role.published_version is role.versions[0]
    assert role.versions[0].published_at is not None
    assert role.versions[0].published_by_id == coordinator.id
    assert role.draft_version is None
    assert role.takes_sign_ups(TODAY)
    (event,) = _events("role.published")
    assert (event.detail, event.object_id) == ("version 1", role.id)


def test_save_changes_after_publishing_makes_version_2_and_keeps_version_1(
    app, coordinator, cost_centre, make_role, make_sign_up
):
    published = make_role(coordinator=coordinator, cost_centre=cost_centre, title="Old title")
    sign_up = make_sign_up(published)

    with app.app_context():
        role = _role(published.id)
        version_1 = {c.name: getattr(role.versions[0], c.name) for c in RoleVersion.__table__.c}
        saved = _save(role, coordinator, _content(coordinator, cost_centre, title="New title"))

        role = _role(published.id)
        first, second = role.versions
        assert (saved.id, saved.number) == (second.id, 2)
        assert {c.name: getattr(first, c.name) for c in RoleVersion.__table__.c} == version_1
        assert (second.title, second.published_at) == ("New title", None)
        assert role.published_version is first
        assert role.draft_version is second
        assert role.title == "Old title"
        assert db.session.get(SignUp, sign_up.id).version_id == first.id

        # Saving again changes the unpublished version 2, not a third one.
        _save(role, coordinator, _content(coordinator, cost_centre, title="Newer title"))
        role = _role(published.id)
        assert [(v.number, v.title) for v in role.versions] == [
            (1, "Old title"),
            (2, "Newer title"),
        ]

        _publish(role, coordinator)
        role = _role(published.id)
        assert role.published_version is role.versions[1]
        assert role.title == "Newer title"
        assert db.session.get(SignUp, sign_up.id).version_id == first.id


def test_save_unchanged_content_after_publishing_makes_no_new_version(
    app_ctx, coordinator, cost_centre, make_user, make_cost_centre
):
    role = _create(coordinator, _content(coordinator, cost_centre))
    _publish(role, coordinator)
    role = _role(role.id)
    other = make_user(name="Olu Other", roles=(Role.COORDINATOR,))
    other_centre = make_cost_centre(code="RES02")

    unchanged = _save(role, coordinator, _content(coordinator, cost_centre))
    moved = _save(
        _role(role.id),
        coordinator,
        _content(coordinator, cost_centre, coordinator_id=other.id, cost_centre_id=other_centre.id),
    )

    role = _role(role.id)
    assert unchanged.number == moved.number == 1
    assert len(role.versions) == 1
    assert (role.coordinator_id, role.cost_centre_id) == (other.id, other_centre.id)
    (event,) = _events("role.edited")
    assert event.detail == "coordinator: Olu Other; cost centre: RES02"


def test_save_changes_with_one_bad_choice_changes_nothing(
    app_ctx, coordinator, cost_centre, make_user, make_cost_centre
):
    role = _create(coordinator, _content(coordinator, cost_centre))
    other = make_user(roles=(Role.COORDINATOR,))
    closed_centre = make_cost_centre()
    db.session.get(CostCentre, closed_centre.id).is_active = False
    db.session.commit()
    changes = {"coordinator_id": other.id, "cost_centre_id": closed_centre.id, "title": "New"}

    loaded = _role(role.id)

    with pytest.raises(DomainError) as refused:
        _save(loaded, coordinator, _content(coordinator, cost_centre, **changes))

    assert refused.value.field == "cost_centre_id"
    # Nothing was changed before the refusal, so nothing can be committed by mistake later.
    assert not db.session.dirty and not db.session.new
    assert (loaded.coordinator_id, loaded.latest_version.title) == (
        coordinator.id,
        "Interview panel member",
    )


def test_save_changes_when_someone_else_started_the_next_version_is_refused(
    app_ctx, coordinator, cost_centre
):
    role = _create(coordinator, _content(coordinator, cost_centre))
    _publish(role, coordinator)
    role = _role(role.id)
    first = role.versions[0]
    # Someone else saves version 2 after this role was loaded.
    values = {c.name: getattr(first, c.name) for c in RoleVersion.__table__.c if c.name != "id"}
    with db.engine.begin() as connection:
        connection.execute(
            insert(RoleVersion.__table__).values(
                {**values, "number": 2, "published_at": None, "published_by_id": None}
            )
        )

    with pytest.raises(DomainError, match="Someone else saved changes"):
        _save(role, coordinator, _content(coordinator, cost_centre, title="Mine"))

    role = _role(role.id)
    assert [v.title for v in role.versions] == ["Interview panel member"] * 2
    assert _events("role.edited") == []


def test_save_changes_after_someone_published_the_loaded_draft_is_refused(
    app_ctx, coordinator, cost_centre
):
    role = _create(coordinator, _content(coordinator, cost_centre))
    draft_id = role.versions[0].id
    # Someone else publishes the draft after this role was loaded (with it unpublished).
    with db.engine.begin() as connection:
        connection.execute(
            update(RoleVersion.__table__)
            .where(RoleVersion.__table__.c.id == draft_id)
            .values(published_at=utc_now(), published_by_id=coordinator.id)
        )

    with pytest.raises(DomainError) as refused:
        _save(role, coordinator, _content(coordinator, cost_centre, title="Changed title"))

    assert refused.value.message == (
        "Someone has just published this role. Open it again to make your changes."
    )
    role = _role(role.id)
    (version,) = role.versions
    assert version.published_at is not None
    assert version.title == "Interview panel member"
    assert _events("role.edited") == []


# Publishing, closing, reopening ------------------------------------------------------------


def test_publish_with_a_past_closing_date_is_refused(app_ctx, coordinator, make_role):
    draft = make_role(
        coordinator=coordinator, status=RoleStatus.DRAFT, closing_on=TODAY - timedelta(days=1)
    )
    role = _role(draft.id)

    with pytest.raises(DomainError, match="closing date has passed"):
        _publish(role, coordinator)

    role = _role(draft.id)
    assert role.status is RoleStatus.DRAFT
    assert role.versions[0].published_at is None
    assert _events("role.published") == []


def test_publish_without_unpublished_changes_is_refused(app_ctx, coordinator, make_role):
    role = _role(make_role(coordinator=coordinator).id)

    with pytest.raises(DomainError, match="no unpublished changes"):
        _publish(role, coordinator)


def test_publish_changes_to_a_closed_role_keeps_it_closed(
    app_ctx, coordinator, cost_centre, make_role
):
    role = _role(
        make_role(coordinator=coordinator, cost_centre=cost_centre, status=RoleStatus.CLOSED).id
    )
    _save(role, coordinator, _content(coordinator, cost_centre, title="Clearer title"))

    _publish(_role(role.id), coordinator)

    role = _role(role.id)
    assert role.status is RoleStatus.CLOSED
    assert role.published_version is role.versions[1]


def test_close_open_role_stops_sign_ups_and_reopen_starts_them(app_ctx, coordinator, make_role):
    role = _role(make_role(coordinator=coordinator).id)

    services.close_role(role, actor=_user(coordinator), ip_address=IP)
    closed = _role(role.id)
    assert closed.status is RoleStatus.CLOSED
    assert not closed.takes_sign_ups(TODAY)
    services.reopen_role(closed, actor=_user(coordinator), ip_address=IP, today=TODAY)
    reopened = _role(role.id)

    assert reopened.status is RoleStatus.OPEN
    assert reopened.takes_sign_ups(TODAY)
    assert [e.object_id for e in _events("role.closed")] == [role.id]
    assert [e.object_id for e in _events("role.reopened")] == [role.id]


@pytest.mark.parametrize("status", [RoleStatus.DRAFT, RoleStatus.CLOSED])
def test_close_role_that_is_not_open_is_refused(app_ctx, coordinator, make_role, status):
    role = _role(make_role(coordinator=coordinator, status=status).id)

    with pytest.raises(DomainError, match="Only an open role can be closed"):
        services.close_role(role, actor=_user(coordinator), ip_address=IP)

    assert _role(role.id).status is status


@pytest.mark.parametrize("status", [RoleStatus.DRAFT, RoleStatus.OPEN])
def test_reopen_role_that_is_not_closed_is_refused(app_ctx, coordinator, make_role, status):
    role = _role(make_role(coordinator=coordinator, status=status).id)

    with pytest.raises(DomainError, match="Only a closed role can be reopened"):
        services.reopen_role(role, actor=_user(coordinator), ip_address=IP, today=TODAY)

    assert _role(role.id).status is status


def test_reopen_role_past_its_published_closing_date_is_refused_until_a_new_one_is_published(
    app_ctx, coordinator, cost_centre, make_role
):
    role = _role(
        make_role(
            coordinator=coordinator,
            cost_centre=cost_centre,
            status=RoleStatus.CLOSED,
            closing_on=TODAY - timedelta(days=3),
        ).id
    )

    with pytest.raises(DomainError, match="Edit the role to give a new closing date and publish"):
        services.reopen_role(role, actor=_user(coordinator), ip_address=IP, today=TODAY)
    # A new closing date that is saved but not yet published is not enough.
    _save(role, coordinator, _content(coordinator, cost_centre))
    with pytest.raises(DomainError):
        services.reopen_role(_role(role.id), actor=_user(coordinator), ip_address=IP, today=TODAY)
    _publish(_role(role.id), coordinator)
    services.reopen_role(_role(role.id), actor=_user(coordinator), ip_address=IP, today=TODAY)

    assert _role(role.id).status is RoleStatus.OPEN


# Who may change a role -------------------------------------------------------------------------


def test_coordinator_who_does_not_coordinate_the_role_cannot_change_it(
    app_ctx, make_user, coordinator, cost_centre, make_role
):
    other = make_user(roles=(Role.COORDINATOR,))
    draft = _role(make_role(coordinator=coordinator, status=RoleStatus.DRAFT).id)
    opened = _role(make_role(coordinator=coordinator).id)
    closed = _role(make_role(coordinator=coordinator, status=RoleStatus.CLOSED).id)
    actor = _user(other)

    attempts: list[Callable[[], object]] = [
        lambda: services.save_role_changes(
            draft, _content(coordinator, cost_centre), actor=actor, ip_address=IP, today=TODAY
        ),
        lambda: services.publish_role(draft, actor=actor, ip_address=IP, today=TODAY),
        lambda: services.close_role(opened, actor=actor, ip_address=IP),
        lambda: services.reopen_role(closed, actor=actor, ip_address=IP, today=TODAY),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()

    assert not services.can_change(draft, actor)
    assert [_role(role.id).status for role in (draft, opened, closed)] == [
        RoleStatus.DRAFT,
        RoleStatus.OPEN,
        RoleStatus.CLOSED,
    ]
    assert db.session.scalars(select(AuditEvent)).all() == []


def test_admin_may_change_any_role_but_a_deactivated_coordinator_may_not(
    app_ctx, make_user, make_role
):
    admin = make_user(roles=(Role.ADMIN,))
    gone = make_user(roles=(Role.COORDINATOR,), active=False)
    role = _role(make_role(coordinator=gone).id)

    assert services.can_change(role, _user(admin))
    assert not services.can_change(role, _user(gone))
    services.close_role(role, actor=_user(admin), ip_address=IP)
    assert _role(role.id).status is RoleStatus.CLOSED


# Finding open roles ----------------------------------------------------------------------------


def test_open_opportunities_are_published_open_roles_not_yet_closed_soonest_first(
    app_ctx, make_role, coordinator, cost_centre
):
    later = make_role(title="Later", closing_on=TODAY + timedelta(days=9))
    today = make_role(title="Today", closing_on=TODAY)
    make_role(title="Draft", status=RoleStatus.DRAFT)
    make_role(title="Closed", status=RoleStatus.CLOSED)
    make_role(title="Past", closing_on=TODAY - timedelta(days=1))
    # Unpublished changes are not shown: people see the published version.
    changed = make_role(
        title="Published", coordinator=coordinator, closing_on=TODAY + timedelta(days=3)
    )
    _save(_role(changed.id), coordinator, _content(coordinator, cost_centre, title="Draft text"))

    found = services.open_opportunities(TODAY)

    assert [(v.role_id, v.title) for v in found] == [
        (today.id, "Today"),
        (changed.id, "Published"),
        (later.id, "Later"),
    ]


def test_open_opportunities_filters_by_place_level_and_pay(app_ctx, make_role):
    remote = make_role(title="Remote", location_type=LocationType.REMOTE, venue="")
    unpaid = make_role(title="Unpaid", fee_pence=None, fee_unit=None)
    consult = make_role(title="Consult", level=InvolvementLevel.CONSULTATION)

    def titles(**filters: Any) -> list[str]:
        return [v.title for v in services.open_opportunities(TODAY, **filters)]

    assert titles(location_type=LocationType.REMOTE) == [remote.title]
    assert set(titles(location_type=LocationType.IN_PERSON)) == {"Unpaid", "Consult"}
    assert titles(paid=False) == [unpaid.title]
    assert set(titles(paid=True)) == {"Remote", "Consult"}
    assert titles(level=InvolvementLevel.CONSULTATION) == [consult.title]
    assert titles(level=InvolvementLevel.CONSULTATION, paid=False) == []


def test_roles_signed_up_to_counts_live_sign_ups_only(app_ctx, make_user, make_role, make_sign_up):
    person = make_user()
    waiting, accepted, withdrawn, other = (make_role() for _ in range(4))
    make_sign_up(waiting, person=person)
    make_sign_up(accepted, person=person, status=SignUpStatus.ACCEPTED)
    make_sign_up(withdrawn, person=person, status=SignUpStatus.WITHDRAWN)
    make_sign_up(other)

    found = services.roles_signed_up_to(
        person.id, [waiting.id, accepted.id, withdrawn.id, other.id]
    )

    assert found == {waiting.id, accepted.id}
    assert services.roles_signed_up_to(person.id, []) == set()
