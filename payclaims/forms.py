"""Form helpers shared by every area."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field

# Choices for select fields and checkboxes (tuples are deprecated since WTForms 3.3). The type
# stubs predate 3.3, hence the ignore; every area imports SelectChoice from here.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.utils import unset_value
from wtforms.validators import StopValidation
from wtforms.widgets import TextInput

__all__ = [
    "DateField",
    "PenceField",
    "PostForm",
    "SelectChoice",
    "add_error",
    "error_list",
    "strip_text",
]

from payclaims.errors import DomainError
from payclaims.money import MoneyError, parse_pounds, pounds_text


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
    # Problems that belong to something on the page other than a field (a claim's line...),
    # keyed by the id of the element they are shown next to.
    anchored: dict[str, list[str]] = getattr(form, "anchored_errors", {})
    for target, messages in anchored.items():
        items.extend({"text": message, "href": f"#{target}"} for message in messages)
    for field in form:
        target = field.id
        if isinstance(field, DateField):
            first = next((p for p in ("day", "month", "year") if p in field.part_errors), "day")
            target = f"{field.id}-{first}"
        for message in field.errors:
            if isinstance(message, str):
                items.append({"text": message, "href": f"#{target}"})
    return items


class PenceField(Field):
    """An amount typed in pounds ('12.50'), held as integer pence in ``data``.

    What was typed is shown again after an error, exactly as typed.
    """

    widget = TextInput()

    def __init__(self, *args: Any, allow_zero: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allow_zero = allow_zero
        self.raw_text: str | None = None

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Keep the typed text; parsing waits for validation so the message can be shown."""
        self.raw_text = str(valuelist[0]) if valuelist else ""
        self.data = None

    def pre_validate(self, form: Any) -> None:
        """Turn the typed text into pence, or stop with a message next to the field."""
        if self.raw_text is None or not self.raw_text.strip():
            return
        try:
            self.data = parse_pounds(self.raw_text, allow_zero=self.allow_zero)
        except MoneyError as error:
            raise StopValidation(str(error)) from error

    def _value(self) -> str:
        if self.raw_text is not None:
            return self.raw_text
        return pounds_text(self.data) if isinstance(self.data, int) else ""


class DateField(Field):
    """A date typed as day, month and year (the NHS.UK date input), held as a ``date``.

    Reads ``<name>-day``, ``<name>-month`` and ``<name>-year``; what was typed is kept.
    """

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.parts: dict[str, str] = {"day": "", "month": "", "year": ""}
        self.part_errors: set[str] = set()

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        """Read the three parts from the form, or show ``data`` when there is no form."""
        self.process_errors = []
        self.data = None if data is unset_value else data
        if data is unset_value and self.default is not None:
            self.data = self.default() if callable(self.default) else self.default
        if isinstance(self.data, date):
            self.parts = {
                "day": str(self.data.day),
                "month": str(self.data.month),
                "year": str(self.data.year),
            }
        if formdata is not None and any(f"{self.name}-{part}" in formdata for part in self.parts):
            self.parts = {
                part: str(formdata.get(f"{self.name}-{part}", "")).strip() for part in self.parts
            }
            self.data = None
            self.raw_data = list(self.parts.values())

    def pre_validate(self, form: Any) -> None:
        """Check the parts make a real date; name the part that is missing or wrong."""
        self.part_errors = set()
        if not any(self.parts.values()):
            return
        missing = [part for part in ("day", "month", "year") if not self.parts[part]]
        if missing:
            self.part_errors = set(missing)
            raise StopValidation(f"{self.label.text} must include a {' and '.join(missing)}")
        try:
            day, month, year = (int(self.parts[part]) for part in ("day", "month", "year"))
            if year < 1000:
                self.part_errors = {"year"}
                raise StopValidation("Year must include 4 numbers")
            self.data = date(year, month, day)
        except ValueError as error:
            self.part_errors = {"day", "month", "year"}
            raise StopValidation(f"{self.label.text} must be a real date") from error

    def _value(self) -> str:
        return self.data.isoformat() if isinstance(self.data, date) else ""
