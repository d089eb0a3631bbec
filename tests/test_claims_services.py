"""Claim rules, called directly: rates by date, amounts, the fee choice, sending and history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import select, update

from payclaims.auth.models import Role, User
from payclaims.benefits.profile.models import FeeChoice
from payclaims.claims import services
from payclaims.claims.lifecycle import InvalidTransition, StaleClaim
from payclaims.claims.models import (
    CLAIM_TRANSITIONS,
    Claim,
    ClaimEvent,
    ClaimLine,
    ClaimStatus,
)
from payclaims.claims.services import SubmissionRefused
from payclaims.dates import add_months
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db
from payclaims.roles.models import FeeUnit, RoleVersion, SignUp, SignUpStatus
from tests.claims_fixtures import World

TODAY = date(2026, 11, 20)
LAST_WEEK = TODAY - timedelta(days=7)


def _user(user: User) -> User:
    loaded = db.session.get(User, user.id)
    assert loaded is not None
    return loaded


def _sign_up(world: World) -> SignUp:
    loaded = db.session.get(SignUp, world.sign_up.id)
    assert loaded is not None
    return loaded


def _claim(claim_id: int) -> Claim:
    loaded = services.load_claim(claim_id)
    assert loaded is not None
    return loaded


def _start(world: World, actor: User | None = None) -> Claim:
    claim = services.start_claim(_sign_up(world), actor=_user(actor or world.expert))
    return _claim(claim.id)


def _add(
    world: World,
    claim: Claim,
    *,
    on: date = LAST_WEEK,
    units: str = "3",
    prep_minutes: int | None = None,
    actor: User | None = None,
) -> ClaimLine:
    return services.add_fee_line(
        _claim(claim.id),
        actor=_user(actor or world.expert),
        session_on=on,
        description="Interview panel",
        units=Decimal(units),
        prep_minutes=prep_minutes,
    )


def _submit(world: World, claim_id: int, *, actor: User | None = None, today: date = TODAY) -> None:
    services.submit_claim(
        _claim(claim_id), actor=_user(actor or world.expert), declared=True, today=today
    )


def _choose_fee(world: World, claim_id: int, choice: FeeChoice, pence: int | None = None) -> None:
    """The person chooses how they want their fee (``pence``: the reduced amount)."""
    services.set_fee_choice(
        _claim(claim_id), actor=_user(world.expert), choice=choice, reduced_fee_pence=pence
    )


def _publish_version(
    world: World, *, number: int, published_on: date, fee_pence: int | None
) -> None:
    """Give the role another published version with its own fee, published on a date."""
    first = db.session.scalars(
        select(RoleVersion).where(RoleVersion.role_id == world.role.id)
    ).first()
    assert first is not None
    version = RoleVersion(
        role_id=world.role.id,
        number=number,
        title=first.title,
        purpose=first.purpose,
        activities=first.activities,
        level=first.level,
        location_type=first.location_type,
        time_commitment=first.time_commitment,
        session_minutes=first.session_minutes,
        fee_pence=fee_pence,
        fee_unit=first.fee_unit if fee_pence is not None else None,
        support_offered=first.support_offered,
        places=first.places,
        closing_on=first.closing_on,
        created_by_id=world.coordinator.id,
        published_at=datetime(
            published_on.year, published_on.month, published_on.day, 12, tzinfo=UTC
        ),
        published_by_id=world.coordinator.id,
    )
    db.session.add(version)
    db.session.commit()


def _first_published(world: World, on: date) -> None:
    db.session.execute(
        update(RoleVersion)
        .where(RoleVersion.role_id == world.role.id, RoleVersion.number == 1)
        .values(published_at=datetime(on.year, on.month, on.day, 9, tzinfo=UTC))
    )
    db.session.commit()


# Starting -------------------------------------------------------------------------------


@pytest.mark.usefixtures("app_ctx")
def test_start_claim_by_the_person_makes_a_draft_with_its_first_event(world):
    claim = _start(world)

    assert claim.status is ClaimStatus.DRAFT
    assert claim.version == 1
    assert claim.person_id == world.expert.id
    assert claim.role_id == world.role.id
    assert claim.fee_choice is FeeChoice.FULL
    (event,) = claim.events
    assert (event.from_status, event.to_status) == (None, ClaimStatus.DRAFT)
    assert event.actor_id == world.expert.id
    assert event.on_behalf_of_id is None


@pytest.mark.usefixtures("app_ctx")
def test_start_claim_by_the_coordinator_is_recorded_on_behalf(world):
    claim = _start(world, actor=world.coordinator)

    assert claim.person_id == world.expert.id
    assert claim.created_by_id == world.coordinator.id
    (event,) = claim.events
    assert event.actor_id == world.coordinator.id
    assert event.on_behalf_of_id == world.expert.id


@pytest.mark.usefixtures("app_ctx")
def test_start_claim_by_someone_else_is_refused(world, make_user):
    for roles in ((Role.EXPERT,), (Role.COORDINATOR,), (Role.FINANCE_APPROVER,)):
        with pytest.raises(PermissionDenied):
            services.start_claim(_sign_up(world), actor=_user(make_user(roles=roles)))
    assert db.session.scalar(select(sa.func.count()).select_from(Claim)) == 0


@pytest.mark.usefixtures("app_ctx")
@pytest.mark.parametrize(
    "status", [SignUpStatus.INTERESTED, SignUpStatus.WAITLISTED, SignUpStatus.WITHDRAWN]
)
def test_start_claim_on_a_sign_up_not_accepted_is_refused(app, make_world, status):
    world = make_world()
    db.session.execute(update(SignUp).values(status=status))
    db.session.commit()

    with pytest.raises(DomainError, match="place"):
        _start(world)


# Fee lines: rates and amounts -------------------------------------------------------------


@pytest.mark.usefixtures("app_ctx")
@pytest.mark.parametrize(
    ("unit", "fee_pence", "units", "expected"),
    [
        (FeeUnit.HOUR, 2000, "3", 6000),
        (FeeUnit.HOUR, 2000, "1.5", 3000),
        (FeeUnit.HOUR, 1999, "0.33", 660),  # 659.67 rounds half up to 660
        (FeeUnit.HALF_DAY, 7500, "1", 7500),
        (FeeUnit.HALF_DAY, 7500, "2", 15000),
        (FeeUnit.DAY, 15000, "1", 15000),
        (FeeUnit.DAY, 15000, "0.5", 7500),
        (FeeUnit.SESSION, 3000, "1", 3000),
        (FeeUnit.SESSION, 3000, "2", 6000),
    ],
)
def test_add_fee_line_computes_the_amount_in_the_role_unit(
    make_world, unit, fee_pence, units, expected
):
    world = make_world(fee_unit=unit, fee_pence=fee_pence)
    claim = _start(world)

    line = _add(world, claim, units=units)

    assert line.amount_pence == expected
    assert line.rate_pence == fee_pence
    assert line.is_earnings_like is True
    assert line.units == Decimal(units)


@pytest.mark.usefixtures("app_ctx")
def test_add_fee_line_pays_preparation_time_at_the_hourly_rate(world):
    claim = _start(world)

    line = _add(world, claim, units="3", prep_minutes=90)

    assert line.amount_pence == 6000 + 3000
    assert line.prep_minutes == 90


@pytest.mark.usefixtures("app_ctx")
def test_add_fee_line_refuses_preparation_time_on_a_session_role(make_world):
    world = make_world(fee_unit=FeeUnit.SESSION, fee_pence=3000)
    claim = _start(world)

    with pytest.raises(DomainError, match="by the hour") as error:
        _add(world, claim, units="1", prep_minutes=60)
    assert error.value.field == "prep_hours"


@pytest.mark.usefixtures("app_ctx")
@pytest.mark.parametrize(
    ("units", "message"),
    [("0", "more than 0"), ("25", "at most 24 hours"), ("1.234", "2 numbers")],
)
def test_add_fee_line_with_wrong_units_is_refused_on_the_units_field(world, units, message):
    claim = _start(world)

    with pytest.raises(DomainError, match=message) as error:
        _add(world, claim, units=units)
    assert error.value.field == "units"


@pytest.mark.usefixtures("app_ctx")
def test_add_fee_line_takes_the_rate_in_force_on_the_session_date(world):
    _first_published(world, date(2026, 1, 10))
    _publish_version(world, number=2, published_on=date(2026, 6, 1), fee_pence=2500)
    _publish_version(world, number=3, published_on=date(2026, 9, 1), fee_pence=3000)
    claim = _start(world)

    before_any = _add(world, claim, on=date(2026, 1, 5), units="1")
    first = _add(world, claim, on=date(2026, 5, 31), units="1")
    second_on_its_day = _add(world, claim, on=date(2026, 6, 1), units="1")
    third = _add(world, claim, on=date(2026, 10, 1), units="1")

    # Before any version was published: the version the person signed up to.
    assert before_any.rate_pence == 2000
    assert first.rate_pence == 2000
    assert second_on_its_day.rate_pence == 2500
    assert third.rate_pence == 3000
    assert _claim(claim.id).fee_total_pence == 2000 + 2000 + 2500 + 3000


@pytest.mark.usefixtures("app_ctx")
def test_add_fee_line_on_a_date_when_the_role_paid_no_fee_is_refused(world):
    _first_published(world, date(2026, 1, 10))
    _publish_version(world, number=2, published_on=date(2026, 6, 1), fee_pence=None)
    claim = _start(world)

    with pytest.raises(DomainError, match="paid no fee") as error:
        _add(world, claim, on=date(2026, 7, 1))
    assert error.value.field == "session_on"


@pytest.mark.usefixtures("app_ctx")
def test_remove_line_takes_it_off_a_draft(world):
    claim = _start(world)
    line = _add(world, claim)
    claim = _claim(claim.id)

    services.remove_line(claim, claim.lines[0], actor=_user(world.expert))

    assert _claim(claim.id).lines == []
    assert db.session.get(ClaimLine, line.id) is None


# The fee choice ---------------------------------------------------------------------------


@pytest.mark.usefixtures("app_ctx")
def test_set_fee_choice_reduced_below_the_total_is_stored_with_its_date(world):
    claim = _start(world)
    _add(world, claim)  # £60

    _choose_fee(world, claim.id, FeeChoice.REDUCED, 2500)

    claim = _claim(claim.id)
    assert claim.fee_choice is FeeChoice.REDUCED
    assert claim.reduced_fee_pence == 2500
    assert claim.fee_choice_made_at > claim.created_at
    assert claim.fee_payable_pence == 2500
    assert claim.total_pence == 2500


@pytest.mark.usefixtures("app_ctx")
@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (6000, "less than the full fee of £60.00"),
        (9000, "less than"),
        (0, "more than £0"),
        (None, "Enter"),
    ],
)
def test_set_fee_choice_reduced_needs_an_amount_below_the_total(world, amount, message):
    claim = _start(world)
    _add(world, claim)

    with pytest.raises(DomainError, match=message) as error:
        _choose_fee(world, claim.id, FeeChoice.REDUCED, amount)
    assert error.value.field == "reduced_fee"


@pytest.mark.usefixtures("app_ctx")
def test_set_fee_choice_reduced_with_no_sessions_is_refused(world):
    claim = _start(world)

    with pytest.raises(DomainError, match="Add the sessions"):
        _choose_fee(world, claim.id, FeeChoice.REDUCED, 100)


@pytest.mark.usefixtures("app_ctx")
def test_set_fee_choice_expenses_only_pays_no_fee_and_forgets_an_amount(world):
    claim = _start(world)
    _add(world, claim)
    _choose_fee(world, claim.id, FeeChoice.REDUCED, 100)

    _choose_fee(world, claim.id, FeeChoice.EXPENSES_ONLY, 100)

    claim = _claim(claim.id)
    assert claim.fee_choice is FeeChoice.EXPENSES_ONLY
    assert claim.reduced_fee_pence is None
    assert claim.fee_total_pence == 6000
    assert claim.total_pence == 0


# Sending ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("app_ctx")
def test_submit_claim_sends_it_and_records_who(world):
    claim = _start(world)
    _add(world, claim)

    _submit(world, claim.id)

    claim = _claim(claim.id)
    assert claim.status is ClaimStatus.SUBMITTED
    assert claim.version == 3  # started, a line, sent
    assert claim.submitted_by_id == world.expert.id
    assert claim.submitted_at is not None
    assert claim.declaration_at is not None
    assert not claim.on_behalf
    assert not claim.is_late
    assert [(e.from_status, e.to_status) for e in claim.events] == [
        (None, ClaimStatus.DRAFT),
        (ClaimStatus.DRAFT, ClaimStatus.SUBMITTED),
    ]


@pytest.mark.usefixtures("app_ctx")
def test_submit_claim_by_the_coordinator_is_on_behalf_of_the_person(world):
    claim = _start(world, actor=world.coordinator)
    _add(world, claim, actor=world.coordinator)

    _submit(world, claim.id, actor=world.coordinator)

    claim = _claim(claim.id)
    assert claim.on_behalf
    assert claim.submitted_by_id == world.coordinator.id
    sent = claim.events[-1]
    assert sent.actor_id == world.coordinator.id
    assert sent.on_behalf_of_id == world.expert.id


@pytest.mark.usefixtures("app_ctx")
def test_coordinator_cannot_change_a_claim_the_person_started(world):
    claim = _start(world)

    with pytest.raises(PermissionDenied):
        _add(world, claim, actor=world.coordinator)


def _refusal(world: World, claim: Claim, *, declared: bool = True) -> SubmissionRefused:
    with pytest.raises(SubmissionRefused) as error:
        services.submit_claim(
            _claim(claim.id), actor=_user(world.expert), declared=declared, today=TODAY
        )
    assert _claim(claim.id).status is ClaimStatus.DRAFT
    return error.value


@pytest.mark.usefixtures("app_ctx")
def test_submit_claim_without_the_declaration_is_refused_on_that_field(world):
    claim = _start(world)
    _add(world, claim)

    refusal = _refusal(world, claim, declared=False)

    assert refusal.for_field("declaration") == [
        "Confirm that the claim is true and not claimed anywhere else"
    ]
    assert len(refusal.problems) == 1


@pytest.mark.usefixtures("app_ctx")
def test_submit_claim_with_no_lines_is_refused(world):
    refusal = _refusal(world, _start(world))

    assert refusal.for_field("lines") == ["Add at least one session or expense to the claim"]


@pytest.mark.usefixtures("app_ctx")
@pytest.mark.parametrize(
    ("lacking", "field", "message"),
    [
        pytest.param(
            {"verified": False},
            "email",
            "Confirm your email address before sending the claim: follow the link we sent",
            id="a_verified_email",
        ),
        pytest.param(
            {"bank_details": False},
            "bank_details",
            "Add your bank details, or ask finance to record another way to pay you",
            id="bank_details",
        ),
    ],
)
def test_submit_claim_without_what_sending_needs_is_refused(make_world, lacking, field, message):
    world = make_world(**lacking)
    claim = _start(world)
    _add(world, claim)

    refusal = _refusal(world, claim)

    assert refusal.for_field(field) == [message]


@pytest.mark.usefixtures("app_ctx")
def test_submit_claim_with_unconfirmed_bank_details_is_allowed(world):
    # Payments wait for finance to confirm new details; sending a claim does not.
    claim = _start(world)
    _add(world, claim)

    _submit(world, claim.id)

    assert _claim(claim.id).status is ClaimStatus.SUBMITTED


@pytest.mark.usefixtures("app_ctx")
def test_submit_claim_with_a_future_session_is_refused_on_that_line(world):
    claim = _start(world)
    past = _add(world, claim, on=LAST_WEEK)
    future = _add(world, claim, on=TODAY + timedelta(days=1))

    refusal = _refusal(world, claim)

    assert refusal.for_field(f"line-{past.id}") == []
    (message,) = refusal.for_field(f"line-{future.id}")
    assert message.startswith("The session on 21 November 2026 is in the future")


@pytest.mark.usefixtures("app_ctx")
def test_submit_claim_for_a_session_on_another_live_claim_is_refused_naming_it(world):
    first = _start(world)
    _add(world, first, on=LAST_WEEK)
    _submit(world, first.id)
    second = _start(world)
    other_day = _add(world, second, on=LAST_WEEK - timedelta(days=1))
    same_day = _add(world, second, on=LAST_WEEK)

    refusal = _refusal(world, second)

    assert refusal.for_field(f"line-{other_day.id}") == []
    (message,) = refusal.for_field(f"line-{same_day.id}")
    assert f"13 November 2026 is already claimed on claim {_claim(first.id).reference}" in message
    assert "with your coordinator to confirm" in message


@pytest.mark.usefixtures("app_ctx")
def test_submit_claim_for_a_session_on_a_withdrawn_claim_is_allowed(world):
    first = _start(world)
    _add(world, first, on=LAST_WEEK)
    _submit(world, first.id)
    services.withdraw_claim(_claim(first.id), actor=_user(world.expert))
    second = _start(world)
    _add(world, second, on=LAST_WEEK)

    _submit(world, second.id)

    assert _claim(second.id).status is ClaimStatus.SUBMITTED


@pytest.mark.usefixtures("app_ctx")
def test_submit_claim_with_the_same_date_twice_is_refused_on_the_second_line(world):
    claim = _start(world)
    first = _add(world, claim, on=LAST_WEEK)
    second = _add(world, claim, on=LAST_WEEK)

    refusal = _refusal(world, claim)

    assert refusal.for_field(f"line-{first.id}") == []
    assert "twice" in refusal.for_field(f"line-{second.id}")[0]


@pytest.mark.usefixtures("app_ctx")
def test_submit_claim_older_than_the_time_limit_is_sent_and_flagged_late(app, world):
    claim = _start(world)
    _add(world, claim, on=add_months(TODAY, -3) - timedelta(days=1))

    _submit(world, claim.id)

    claim = _claim(claim.id)
    assert claim.status is ClaimStatus.SUBMITTED
    assert claim.is_late
    assert "Late" in claim.events[-1].note


@pytest.mark.usefixtures("app_ctx")
def test_submit_claim_exactly_at_the_time_limit_is_not_late(app, world):
    app.config["CLAIM_TIME_LIMIT_MONTHS"] = 2
    claim = _start(world)
    _add(world, claim, on=add_months(TODAY, -2))

    _submit(world, claim.id)

    assert not _claim(claim.id).is_late


@pytest.mark.usefixtures("app_ctx")
def test_submit_claim_with_a_reduced_fee_no_longer_below_the_total_is_refused(world):
    claim = _start(world)
    line = _add(world, claim, units="3")
    _add(world, claim, units="1", on=LAST_WEEK - timedelta(days=1))
    _choose_fee(world, claim.id, FeeChoice.REDUCED, 5000)
    claim = _claim(claim.id)
    services.remove_line(
        claim, next(x for x in claim.lines if x.id == line.id), actor=_user(world.expert)
    )

    refusal = _refusal(world, claim)

    assert (
        "reduced fee must be less than the full fee of £20.00" in refusal.for_field("fee_choice")[0]
    )


# Lifecycle and locking ----------------------------------------------------------------------


def test_transitions_table_follows_the_design():
    expected = {
        ClaimStatus.DRAFT: {ClaimStatus.SUBMITTED, ClaimStatus.WITHDRAWN},
        ClaimStatus.SUBMITTED: {
            ClaimStatus.VERIFIED,
            ClaimStatus.RETURNED,
            ClaimStatus.REJECTED,
            ClaimStatus.WITHDRAWN,
        },
        ClaimStatus.VERIFIED: {ClaimStatus.APPROVED, ClaimStatus.RETURNED, ClaimStatus.REJECTED},
        ClaimStatus.APPROVED: {ClaimStatus.SCHEDULED, ClaimStatus.RETURNED, ClaimStatus.REJECTED},
        # Taken out of a draft payment run, a claim is approved again.
        ClaimStatus.SCHEDULED: {ClaimStatus.PAID, ClaimStatus.APPROVED},
        ClaimStatus.PAID: set(),
        ClaimStatus.RETURNED: {ClaimStatus.SUBMITTED, ClaimStatus.WITHDRAWN},
        ClaimStatus.REJECTED: set(),
        ClaimStatus.WITHDRAWN: set(),
    }

    assert dict(CLAIM_TRANSITIONS) == expected


def _force_status(claim_id: int, status: ClaimStatus) -> None:
    db.session.execute(update(Claim).where(Claim.id == claim_id).values(status=status))
    db.session.commit()


@pytest.mark.usefixtures("app_ctx")
@pytest.mark.parametrize("status", list(ClaimStatus))
def test_withdraw_claim_only_from_draft_submitted_or_returned(world, status):
    claim = _start(world)
    _force_status(claim.id, status)
    allowed = status in {ClaimStatus.DRAFT, ClaimStatus.SUBMITTED, ClaimStatus.RETURNED}

    if allowed:
        services.withdraw_claim(_claim(claim.id), actor=_user(world.expert))
        assert _claim(claim.id).status is ClaimStatus.WITHDRAWN
        assert _claim(claim.id).events[-1].from_status is status
    else:
        with pytest.raises(InvalidTransition):
            services.withdraw_claim(_claim(claim.id), actor=_user(world.expert))
        assert _claim(claim.id).status is status


@pytest.mark.usefixtures("app_ctx")
@pytest.mark.parametrize("status", list(ClaimStatus))
def test_lines_change_only_on_draft_or_returned_claims(world, status):
    claim = _start(world)
    _force_status(claim.id, status)

    if status in {ClaimStatus.DRAFT, ClaimStatus.RETURNED}:
        _add(world, claim)
        assert len(_claim(claim.id).lines) == 1
    else:
        with pytest.raises(InvalidTransition):
            _add(world, claim)


@pytest.mark.usefixtures("app_ctx")
def test_edit_after_return_is_recorded_in_the_history(world):
    claim = _start(world)
    _add(world, claim)
    _submit(world, claim.id)
    _force_status(claim.id, ClaimStatus.RETURNED)

    _add(world, claim, on=LAST_WEEK - timedelta(days=2))
    _submit(world, claim.id)

    events = _claim(claim.id).events
    assert (events[-2].from_status, events[-2].to_status) == (
        ClaimStatus.RETURNED,
        ClaimStatus.RETURNED,
    )
    assert events[-2].note.startswith("Added a fee for 11 November 2026")
    assert (events[-1].from_status, events[-1].to_status) == (
        ClaimStatus.RETURNED,
        ClaimStatus.SUBMITTED,
    )


@pytest.mark.usefixtures("app_ctx")
def test_withdraw_by_the_coordinator_who_sent_it_is_allowed_by_another_is_not(world, make_user):
    claim = _start(world, actor=world.coordinator)
    _add(world, claim, actor=world.coordinator)
    _submit(world, claim.id, actor=world.coordinator)
    other = make_user(roles=(Role.COORDINATOR,))

    with pytest.raises(PermissionDenied):
        services.withdraw_claim(_claim(claim.id), actor=_user(other))
    services.withdraw_claim(_claim(claim.id), actor=_user(world.coordinator))

    assert _claim(claim.id).status is ClaimStatus.WITHDRAWN


@pytest.mark.usefixtures("app_ctx")
def test_coordinator_changing_sending_and_withdrawing_for_the_person_is_on_their_behalf(world):
    claim = _start(world, actor=world.coordinator)
    _add(world, claim, actor=world.coordinator)
    _submit(world, claim.id, actor=world.coordinator)
    _force_status(claim.id, ClaimStatus.RETURNED)
    _add(world, claim, on=LAST_WEEK - timedelta(days=2), actor=world.coordinator)
    _submit(world, claim.id, actor=world.coordinator)

    services.withdraw_claim(_claim(claim.id), actor=_user(world.coordinator))

    events = _claim(claim.id).events
    assert [(e.from_status, e.to_status, e.on_behalf_of_id) for e in events] == [
        (None, ClaimStatus.DRAFT, world.expert.id),
        (ClaimStatus.DRAFT, ClaimStatus.SUBMITTED, world.expert.id),
        (ClaimStatus.RETURNED, ClaimStatus.RETURNED, world.expert.id),
        (ClaimStatus.RETURNED, ClaimStatus.SUBMITTED, world.expert.id),
        (ClaimStatus.SUBMITTED, ClaimStatus.WITHDRAWN, world.expert.id),
    ]
    assert [e.acted_for.id for e in events if e.acted_for] == [world.expert.id] * 5


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [
        (ClaimStatus.SUBMITTED, ClaimStatus.VERIFIED),
        (ClaimStatus.SUBMITTED, ClaimStatus.RETURNED),
        (ClaimStatus.VERIFIED, ClaimStatus.VERIFIED),  # a first approval of two
        (ClaimStatus.VERIFIED, ClaimStatus.APPROVED),
        (ClaimStatus.VERIFIED, ClaimStatus.RETURNED),
        (ClaimStatus.VERIFIED, ClaimStatus.REJECTED),
        (ClaimStatus.APPROVED, ClaimStatus.SCHEDULED),
        (ClaimStatus.SCHEDULED, ClaimStatus.APPROVED),  # taken out of a payment run
        (ClaimStatus.SCHEDULED, ClaimStatus.PAID),
    ],
)
def test_older_staff_decision_naming_the_person_shows_no_on_behalf_of(app, from_status, to_status):
    # Written before decisions stopped naming the person; claim_events keeps them as written.
    person = User(name="Eli Expert")
    event = ClaimEvent(from_status=from_status, to_status=to_status, on_behalf_of=person)

    assert event.acted_for is None


@pytest.mark.usefixtures("app_ctx")
def test_a_stale_version_is_refused_and_changes_nothing(world):
    claim = _start(world)
    _add(world, claim)
    stale = _claim(claim.id)
    # Someone else sends it meanwhile, through another connection.
    with db.engine.begin() as connection:
        connection.execute(
            update(Claim).where(Claim.id == claim.id).values(version=Claim.version + 1)
        )

    with pytest.raises(StaleClaim):
        services.submit_claim(stale, actor=_user(world.expert), declared=True, today=TODAY)

    db.session.expire_all()
    fresh = _claim(claim.id)
    assert fresh.status is ClaimStatus.DRAFT
    assert len(fresh.events) == 1


@pytest.mark.usefixtures("app_ctx")
def test_an_expected_version_older_than_the_claim_is_refused(world):
    claim = _start(world)
    _add(world, claim)  # version 2

    with pytest.raises(StaleClaim):
        services.withdraw_claim(_claim(claim.id), actor=_user(world.expert), expected_version=1)
    assert _claim(claim.id).status is ClaimStatus.DRAFT


@pytest.mark.usefixtures("app_ctx")
def test_claim_events_are_append_only_in_the_database(world):
    claim = _start(world)
    db.session.commit()

    with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as connection:
        connection.execute(update(ClaimEvent).values(note="changed"))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as connection:
        connection.execute(sa.delete(ClaimEvent))

    assert len(_claim(claim.id).events) == 1
