"""What account pages show that needs a decision: whether an email address is confirmed."""

from __future__ import annotations

from payclaims.auth.models import User
from payclaims.presenting import Tag, tag


def email_tag(user: User) -> Tag:
    """Whether the person has confirmed their email address, as a tag."""
    if user.is_email_verified:
        return tag("Confirmed", "green")
    return tag("Not confirmed yet", "orange")
