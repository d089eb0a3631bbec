"""What the people admin pages show that needs a decision: where a person's account stands."""

from __future__ import annotations

from payclaims.auth.models import User
from payclaims.presenting import Tag, tag


def person_status_tag(person: User) -> Tag:
    """A person's account: deactivated (grey), invited but no password yet (blue), or active."""
    if not person.is_active:
        return tag("Deactivated", "grey")
    if not person.has_password:
        return tag("Invited", "blue")
    return tag("Active", "green")
