"""Form helpers shared by every area."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field

# Choices for select fields and checkboxes (tuples are deprecated since WTForms 3.3). The type
# stubs predate 3.3, hence the ignore; every area imports SelectChoice from here.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]

__all__ = ["PostForm", "SelectChoice", "add_error", "error_list", "strip_text"]

from payclaims.errors import DomainError


class PostForm(FlaskForm):
    """A form with no fields: a CSRF-protected button that POSTs (sign out, deactivate...)."""


def strip_text(value: Any) -> Any:
    """WTForms filter: trim spaces around typed text."""
    return value.strip() if isinstance(value, str) else value


def add_error(form: FlaskForm, error: DomainError) -> None:
    """Show a service's error next to the field it concerns, or above the form."""
    field: Field | None = form._fields.get(error.field) if error.field else None
    if field is None:
        form.form_errors.append(error.message)
        return
    field.errors = [*field.errors, error.message]


def error_list(form: FlaskForm) -> list[dict[str, str]]:
    """The form's errors as the NHS.UK error summary wants them, each linking to its field."""
    items = [{"text": message} for message in form.form_errors]
    for field in form:
        for message in field.errors:
            if isinstance(message, str):
                items.append({"text": message, "href": f"#{field.id}"})
    return items
