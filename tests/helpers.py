"""Reading back what a request or a service left behind: a page's parsed HTML, its visible text,
the error next to a field and the values a form kept; the audit events of one kind and every
stored row of a model."""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

import tinyhtml5
from flask import Flask
from sqlalchemy import select
from werkzeug.test import TestResponse

from payclaims.audit.models import AuditEvent
from payclaims.extensions import db

# Pages -------------------------------------------------------------------------------------


def html(response: TestResponse) -> Element:
    """The page, parsed."""
    return tinyhtml5.parse(response.get_data(as_text=True), namespace_html_elements=False)


def text_of(element: Element) -> str:
    """An element's text with spaces collapsed."""
    return " ".join("".join(element.itertext()).split())


def has_class(element: Element, name: str) -> bool:
    """Whether the element has this class."""
    return name in element.get("class", "").split()


def page_text(response: TestResponse) -> str:
    """The visible text of the page's main content."""
    main = html(response).find(".//main")
    assert main is not None
    return text_of(main)


def field_error(response: TestResponse, field_id: str) -> str:
    """The error shown in the form group holding the element with this id."""
    groups = [
        div
        for div in html(response).iter("div")
        if has_class(div, "nhsuk-form-group") and div.find(f".//*[@id='{field_id}']") is not None
    ]
    assert groups, f"no field {field_id}"
    group = groups[0]  # the outermost: a date input's parts sit in groups of their own
    assert has_class(group, "nhsuk-form-group--error"), text_of(group)
    (error,) = [span for span in group.iter("span") if has_class(span, "nhsuk-error-message")]
    return text_of(error).removeprefix("Error: ")


def error_summary(response: TestResponse) -> list[tuple[str, str]]:
    """Each message in the "There is a problem" summary and the field it links to."""
    (summary,) = [
        div for div in html(response).iter("div") if has_class(div, "nhsuk-error-summary")
    ]
    return [(text_of(link), link.get("href", "")) for link in summary.iter("a")]


def input_value(response: TestResponse, field_id: str) -> str | None:
    """The value an input shows."""
    field = html(response).find(f".//input[@id='{field_id}']")
    assert field is not None
    return field.get("value")


# Stored rows -------------------------------------------------------------------------------


def events(app: Flask, action: str) -> list[AuditEvent]:
    """Audit events of one kind, oldest first, detached."""
    with app.app_context():
        found = list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )
        db.session.expunge_all()
    return found


def rows_of(app: Flask, model: type[Any]) -> list[Any]:
    """Every stored row of ``model``, oldest first, detached."""
    with app.app_context():
        found = list(db.session.scalars(select(model).order_by(model.id)))
        db.session.expunge_all()
    return found
