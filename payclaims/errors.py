"""Domain errors that services raise and views turn into messages or error pages."""

from __future__ import annotations


class DomainError(Exception):
    """A rule stopped the action; ``message`` is plain English for the person.

    ``field`` names the form field the message belongs next to, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDenied(DomainError):
    """The person may not do this to this object."""


class InvalidLink(DomainError):
    """An emailed link is not valid: altered, expired or already used."""
