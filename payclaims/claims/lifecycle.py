"""The one owner of claim transitions: every change of a claim's status goes through here.

A change is a conditional UPDATE on the status and version the caller read (so of two people
changing a claim at once exactly one wins, and the other gets ``StaleClaim``), checked against
``CLAIM_TRANSITIONS``, with its append-only ``ClaimEvent``. Who may make the change is the
caller's rule (claims, approvals, payments); that it happens once and is recorded is this
module's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, insert, tuple_, update

from payclaims.auth.models import User
from payclaims.claims.models import CLAIM_TRANSITIONS, Claim, ClaimEvent, ClaimStatus
from payclaims.database import utc_now
from payclaims.errors import DomainError
from payclaims.extensions import db

STALE_MESSAGE = "Someone else has just changed this claim. Check it again."
# Claims moved by one UPDATE: well inside every database's limit on bound parameters.
BATCH = 500


class StaleClaim(DomainError):
    """The claim changed after it was read, so the change was not made."""

    def __init__(self) -> None:
        super().__init__(STALE_MESSAGE)


class ClaimsChanged(StaleClaim):
    """Some of the claims moved in bulk changed after they were read, so none was moved.

    ``claim_ids``: those that had changed (or no longer exist)."""

    def __init__(self, claim_ids: Iterable[int]) -> None:
        super().__init__()
        self.claim_ids = sorted(claim_ids)


class InvalidTransition(DomainError):
    """The claim's status does not allow this change."""


def move_claim(
    claim: Claim,
    *,
    to: ClaimStatus,
    actor: User,
    note: str = "",
    for_the_person: bool = False,
    **values: Any,
) -> None:
    """Move one claim to ``to`` (or record a step that keeps its status), setting ``values``.

    Refuses a move ``CLAIM_TRANSITIONS`` does not allow (``InvalidTransition``) and a claim
    changed since it was read (``StaleClaim``, after rolling back). Adds the ClaimEvent;
    the caller commits. ``for_the_person``: see ``add_event``.
    """
    from_status = claim.status
    if to is not from_status and to not in CLAIM_TRANSITIONS[from_status]:
        raise InvalidTransition(
            f"This claim cannot become {to.label.lower()}: it is {from_status.label.lower()}."
        )
    _update_if_unchanged(claim, to, values)
    add_event(
        claim,
        actor=actor,
        from_status=from_status,
        to_status=to,
        note=note,
        for_the_person=for_the_person,
    )


def change_claim(claim: Claim, *, actor: User, note: str, **values: Any) -> None:
    """Record an edit that keeps the status: the version moves on (``StaleClaim`` if someone
    changed the claim since it was read), with an event once the claim has been sent before
    (a returned claim); a draft's edits are its own business until it is sent."""
    _update_if_unchanged(claim, claim.status, values)
    if claim.status is ClaimStatus.RETURNED:
        add_event(
            claim,
            actor=actor,
            from_status=claim.status,
            to_status=claim.status,
            note=note,
            for_the_person=True,
        )


def add_event(
    claim: Claim,
    *,
    actor: User,
    from_status: ClaimStatus | None,
    to_status: ClaimStatus,
    note: str = "",
    for_the_person: bool = False,
) -> None:
    """Add a ClaimEvent to the session (a new claim's first event has no ``from_status``).

    ``for_the_person``: the change is one the person makes on their own claim (starting,
    changing, sending or withdrawing it), so staff who make it act on the person's behalf.
    Decisions by coordinators and finance are the actor's own and name nobody else.
    """
    acting_for = for_the_person and actor.id != claim.person_id
    db.session.add(
        ClaimEvent(
            claim_id=claim.id,
            actor_id=actor.id,
            on_behalf_of_id=claim.person_id if acting_for else None,
            from_status=from_status,
            to_status=to_status,
            note=note,
        )
    )


def move_claims(
    claim_ids: Sequence[int],
    *,
    from_status: ClaimStatus,
    to: ClaimStatus,
    actor: User,
    note: str,
    versions: Mapping[int, int] | None = None,
    whole: bool = True,
    **values: Any,
) -> list[int]:
    """Move many claims from ``from_status`` to ``to`` in bulk conditional updates, each with
    its ClaimEvent (the actor's own, on behalf of nobody), for payment runs.

    ``versions``: move a claim only if it is still at the version read. ``whole`` (the
    default): every claim moves or none does (``ClaimsChanged`` naming those that had
    changed, after rolling back). ``whole=False``: claims changed meanwhile are left out.
    Returns the ids moved, in order. The caller commits.
    """
    if to not in CLAIM_TRANSITIONS[from_status]:
        raise InvalidTransition(
            f"A claim cannot go from {from_status.label.lower()} to {to.label.lower()}."
        )
    ids = list(dict.fromkeys(claim_ids))
    moved: list[int] = []
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        statement = update(Claim).where(Claim.status == from_status)
        if versions is None:
            statement = statement.where(Claim.id.in_(batch))
        else:
            pairs = [(claim_id, versions[claim_id]) for claim_id in batch]
            statement = statement.where(tuple_(Claim.id, Claim.version).in_(pairs))
        result = db.session.execute(
            statement.values(status=to, version=Claim.version + 1, **values)
            .returning(Claim.id)
            .execution_options(synchronize_session=False)
        )
        moved.extend(result.scalars())
    if whole and len(moved) != len(ids):
        db.session.rollback()
        raise ClaimsChanged(set(ids) - set(moved))
    moved.sort(key={claim_id: place for place, claim_id in enumerate(ids)}.__getitem__)
    if moved:
        now = utc_now()
        db.session.execute(
            insert(ClaimEvent),
            [
                {
                    "claim_id": claim_id,
                    "actor_id": actor.id,
                    "on_behalf_of_id": None,
                    "from_status": from_status,
                    "to_status": to,
                    "note": note,
                    "occurred_at": now,
                }
                for claim_id in moved
            ],
        )
    return moved


def _update_if_unchanged(claim: Claim, to: ClaimStatus, values: Mapping[str, Any]) -> None:
    """Set ``to`` and ``values`` only if nobody has changed the claim since it was read."""
    result = db.session.execute(
        update(Claim)
        .where(
            Claim.id == claim.id,
            Claim.status == claim.status,
            Claim.version == claim.version,
        )
        .values(status=to, version=Claim.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        db.session.rollback()
        raise StaleClaim()
