"""What role pages show that needs a decision: the status tag and where a role happens."""

from __future__ import annotations

from payclaims.presenting import Tag, tag
from payclaims.roles.models import RoleDescription, RoleStatus, RoleVersion

STATUS_COLOURS = {RoleStatus.DRAFT: "blue", RoleStatus.OPEN: "green", RoleStatus.CLOSED: "grey"}


def status_tag(role: RoleDescription) -> Tag:
    """The role's status in plain words, coloured: open green, closed grey, a draft blue."""
    return tag(role.status.label, STATUS_COLOURS[role.status])


def where_text(version: RoleVersion) -> str:
    """Where the role happens in a few words: the venue, or how it happens remotely."""
    return version.venue if version.is_in_person else version.location_type.label
