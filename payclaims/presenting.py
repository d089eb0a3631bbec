"""The shapes the NHS.UK macros take (tags, summary-list rows, form items), built in Python."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

from markupsafe import Markup
from wtforms.fields.choices import SelectFieldBase

from payclaims.forms import DateField


class Tag(TypedDict):
    """What the NHS.UK ``tag`` macro takes: the words and the colour."""

    text: str
    colour: str


class RowKey(TypedDict):
    """A summary-list row's key."""

    text: str


class RowValue(TypedDict, total=False):
    """A summary-list row's value: plain text, or HTML already escaped."""

    text: str
    html: Markup


class SummaryRow(TypedDict):
    """One row of the NHS.UK ``summaryList`` macro."""

    key: RowKey
    value: RowValue
    actions: NotRequired[dict[str, Any]]


def tag(text: str, colour: str) -> Tag:
    """A tag with ``text`` in ``colour`` (one of the NHS.UK tag colours)."""
    return {"text": text, "colour": colour}


def row(key: str, text: str) -> SummaryRow:
    """A summary-list row showing ``text``."""
    return {"key": {"text": key}, "value": {"text": text}}


def html_row(key: str, html: Markup) -> SummaryRow:
    """A summary-list row showing ``html`` (escaped already: a ``Markup``)."""
    return {"key": {"text": key}, "value": {"html": html}}


def choice_items(
    field: SelectFieldBase, descriptions: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """A choice field's options as NHS.UK radio or checkbox items; ``descriptions`` maps a
    value to a hint line."""
    descriptions = descriptions or {}
    return [
        {
            "value": value,
            "text": label,
            "hint": {"text": descriptions[value]} if value in descriptions else None,
            "checked": selected,
        }
        for value, label, selected, _attributes in field.iter_choices()
    ]


def select_items(field: SelectFieldBase) -> list[dict[str, Any]]:
    """A select field's options as NHS.UK select items."""
    return [
        {"value": value, "text": label, "selected": selected}
        for value, label, selected, _attributes in field.iter_choices()
    ]


DATE_PARTS = (("day", 2), ("month", 2), ("year", 4))


def date_items(field: DateField) -> list[dict[str, Any]]:
    """A date field's day, month and year boxes as NHS.UK date-input items, wrong ones marked
    (all three when the date as a whole is wrong)."""
    whole = bool(field.errors) and not field.part_errors
    return [
        {
            "id": f"{field.id}-{part}",
            "name": f"{field.name}-{part}",
            "label": part.capitalize(),
            "value": field.parts[part],
            "width": width,
            "error": whole or part in field.part_errors,
        }
        for part, width in DATE_PARTS
    ]


def page_link_args(
    args: Mapping[str, list[str]], values: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The query arguments a previous/next link keeps: the current ones (every value of a
    filter that can have several), without the page, plus the endpoint's own ``values``."""
    kept: dict[str, Any] = {name: value for name, value in args.items() if name != "page"}
    kept.update(values or {})
    return kept


# A flashed message's category -> the notification banner's type, title and role.
BANNERS: dict[str, dict[str, str]] = {
    "success": {"type": "success", "titleText": "Done"},
    "error": {"titleText": "There is a problem", "role": "alert"},
}
OTHER_BANNER = {"titleText": "Important"}


def banner(category: str, body: Markup) -> dict[str, str]:
    """A flashed message as the NHS.UK notification banner's parameters: "success" is green
    ("Done"), "error" is an alert, others are blue ("Important")."""
    return {**BANNERS.get(category, OTHER_BANNER), "html": body}
