"""The one owner of claim transitions (claims/lifecycle.py): allowed moves only, once each,
each with its ClaimEvent, whether one claim moves or a payment run moves many."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from payclaims.auth.models import User
from payclaims.claims import lifecycle
from payclaims.claims.lifecycle import ClaimsChanged, InvalidTransition, StaleClaim
from payclaims.claims.models import Claim, ClaimEvent, ClaimStatus
from payclaims.extensions import db
from tests.claims.fixtures import World

pytestmark = pytest.mark.usefixtures("app_ctx")


def _user(user: User) -> User:
    loaded = db.session.get(User, user.id)
    assert loaded is not None
    return loaded


def _claims(world: World, count: int, status: ClaimStatus) -> list[int]:
    """``count`` claims of the world's expert, already in ``status``, with no events."""
    claims = [
        Claim(
            person_id=world.expert.id,
            sign_up_id=world.sign_up.id,
            role_id=world.role.id,
            created_by_id=world.expert.id,
            status=status,
        )
        for _ in range(count)
    ]
    db.session.add_all(claims)
    db.session.commit()
    return [claim.id for claim in claims]


def _claim(claim_id: int) -> Claim:
    db.session.expire_all()
    claim = db.session.get(Claim, claim_id)
    assert claim is not None
    return claim


def _events(claim_id: int) -> list[ClaimEvent]:
    return list(
        db.session.scalars(
            select(ClaimEvent).where(ClaimEvent.claim_id == claim_id).order_by(ClaimEvent.id)
        )
    )


def _someone_else_changes(claim_id: int) -> None:
    with db.engine.begin() as connection:
        connection.execute(
            update(Claim).where(Claim.id == claim_id).values(version=Claim.version + 1)
        )


def test_move_claim_changes_status_and_version_and_records_one_event(world: World) -> None:
    (claim_id,) = _claims(world, 1, ClaimStatus.SUBMITTED)
    claim = _claim(claim_id)

    lifecycle.move_claim(
        claim,
        to=ClaimStatus.RETURNED,
        actor=_user(world.coordinator),
        note="Which date was it?",
        return_reason="Which date was it?",
    )
    db.session.commit()

    moved = _claim(claim_id)
    assert (moved.status, moved.version, moved.return_reason) == (
        ClaimStatus.RETURNED,
        2,
        "Which date was it?",
    )
    (event,) = _events(claim_id)
    assert (event.from_status, event.to_status, event.note) == (
        ClaimStatus.SUBMITTED,
        ClaimStatus.RETURNED,
        "Which date was it?",
    )
    assert (event.actor_id, event.on_behalf_of_id) == (world.coordinator.id, None)


def test_move_claim_for_the_person_by_staff_is_recorded_on_their_behalf(world: World) -> None:
    (claim_id,) = _claims(world, 1, ClaimStatus.DRAFT)

    lifecycle.move_claim(
        _claim(claim_id),
        to=ClaimStatus.WITHDRAWN,
        actor=_user(world.coordinator),
        for_the_person=True,
    )
    db.session.commit()

    (event,) = _events(claim_id)
    assert (event.actor_id, event.on_behalf_of_id) == (world.coordinator.id, world.expert.id)


@pytest.mark.parametrize(
    ("status", "to"),
    [
        (ClaimStatus.DRAFT, ClaimStatus.APPROVED),
        (ClaimStatus.PAID, ClaimStatus.RETURNED),
        (ClaimStatus.REJECTED, ClaimStatus.SUBMITTED),
        (ClaimStatus.WITHDRAWN, ClaimStatus.DRAFT),
    ],
)
def test_move_claim_outside_the_transitions_table_is_refused_and_changes_nothing(
    world: World, status: ClaimStatus, to: ClaimStatus
) -> None:
    (claim_id,) = _claims(world, 1, status)

    with pytest.raises(InvalidTransition):
        lifecycle.move_claim(_claim(claim_id), to=to, actor=_user(world.expert))

    db.session.rollback()
    assert (_claim(claim_id).status, _claim(claim_id).version) == (status, 1)
    assert _events(claim_id) == []


def test_move_claim_on_a_claim_changed_since_it_was_read_is_stale(world: World) -> None:
    (claim_id,) = _claims(world, 1, ClaimStatus.VERIFIED)
    read = _claim(claim_id)
    _someone_else_changes(claim_id)

    with pytest.raises(StaleClaim):
        lifecycle.move_claim(read, to=ClaimStatus.APPROVED, actor=_user(world.coordinator))

    assert _claim(claim_id).status is ClaimStatus.VERIFIED
    assert _events(claim_id) == []


def test_change_claim_records_an_event_only_once_the_claim_was_sent(world: World) -> None:
    draft_id, returned_id = (
        _claims(world, 1, ClaimStatus.DRAFT)[0],
        _claims(world, 1, ClaimStatus.RETURNED)[0],
    )

    for claim_id in (draft_id, returned_id):
        lifecycle.change_claim(_claim(claim_id), actor=_user(world.expert), note="Added a line")
    db.session.commit()

    assert _claim(draft_id).version == 2
    assert _events(draft_id) == []
    (event,) = _events(returned_id)
    assert (event.from_status, event.to_status, event.note) == (
        ClaimStatus.RETURNED,
        ClaimStatus.RETURNED,
        "Added a line",
    )


def test_move_claims_moves_every_claim_with_an_event_each(world: World) -> None:
    claim_ids = _claims(world, 3, ClaimStatus.SCHEDULED)

    moved = lifecycle.move_claims(
        claim_ids,
        from_status=ClaimStatus.SCHEDULED,
        to=ClaimStatus.PAID,
        actor=_user(world.coordinator),
        note="Paid in RUN00001",
    )
    db.session.commit()

    assert moved == claim_ids
    for claim_id in claim_ids:
        assert (_claim(claim_id).status, _claim(claim_id).version) == (ClaimStatus.PAID, 2)
        (event,) = _events(claim_id)
        assert (event.from_status, event.to_status, event.note, event.on_behalf_of_id) == (
            ClaimStatus.SCHEDULED,
            ClaimStatus.PAID,
            "Paid in RUN00001",
            None,
        )


def test_move_claims_whole_moves_none_when_one_changed_and_names_it(world: World) -> None:
    claim_ids = _claims(world, 3, ClaimStatus.APPROVED)
    versions = {claim_id: 1 for claim_id in claim_ids}
    _someone_else_changes(claim_ids[1])

    with pytest.raises(ClaimsChanged) as changed:
        lifecycle.move_claims(
            claim_ids,
            from_status=ClaimStatus.APPROVED,
            to=ClaimStatus.SCHEDULED,
            actor=_user(world.coordinator),
            note="In a run",
            versions=versions,
        )

    assert changed.value.claim_ids == [claim_ids[1]]
    assert {_claim(claim_id).status for claim_id in claim_ids} == {ClaimStatus.APPROVED}
    assert db.session.scalar(select(func.count()).select_from(ClaimEvent)) == 0


def test_move_claims_in_part_leaves_out_a_claim_changed_meanwhile(world: World) -> None:
    claim_ids = _claims(world, 3, ClaimStatus.APPROVED)
    versions = {claim_id: 1 for claim_id in claim_ids}
    _someone_else_changes(claim_ids[0])

    moved = lifecycle.move_claims(
        claim_ids,
        from_status=ClaimStatus.APPROVED,
        to=ClaimStatus.SCHEDULED,
        actor=_user(world.coordinator),
        note="In a run",
        versions=versions,
        whole=False,
    )
    db.session.commit()

    assert moved == claim_ids[1:]
    assert _claim(claim_ids[0]).status is ClaimStatus.APPROVED
    assert _events(claim_ids[0]) == []
    assert [_claim(claim_id).status for claim_id in moved] == [ClaimStatus.SCHEDULED] * 2


def test_move_claims_outside_the_transitions_table_is_refused(world: World) -> None:
    claim_ids = _claims(world, 2, ClaimStatus.VERIFIED)

    with pytest.raises(InvalidTransition):
        lifecycle.move_claims(
            claim_ids,
            from_status=ClaimStatus.VERIFIED,
            to=ClaimStatus.PAID,
            actor=_user(world.coordinator),
            note="Paid",
        )
    assert {_claim(claim_id).status for claim_id in claim_ids} == {ClaimStatus.VERIFIED}


def test_only_the_lifecycle_updates_a_claims_status() -> None:
    """Approvals and payments move claims only through claims/lifecycle.py."""
    package = Path(lifecycle.__file__).parent.parent
    writers = sorted(
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if "update(Claim)" in path.read_text() and path.name != "lifecycle.py"
    )
    assert writers == []
