"""Helpers every test module shares: reading back what a request or a service left behind (a
page's parsed HTML, its visible text, the error next to a field and the values a form kept; the
audit events of one kind and every stored row of a model), signing in with a password and
counting the SQL statements a block runs (shared with bench/); signing in without the form,
the link in an email, the role a factory makes and what an approved-claim factory returns;
a claim read back, a benefits profile given, and the small files several areas upload."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any
from xml.etree.ElementTree import Element

import tinyhtml5
from flask import Flask
from flask.testing import FlaskClient
from flask_mailman import EmailMessage
from PIL import Image
from sqlalchemy import event, select
from sqlalchemy.orm import selectinload
from werkzeug.test import TestResponse

from payclaims.audit.models import AuditEvent
from payclaims.auth.models import User
from payclaims.benefits.profile.models import BenefitProfile
from payclaims.claims import access
from payclaims.claims.models import Claim
from payclaims.database import utc_now
from payclaims.extensions import db
from payclaims.roles.models import (
    FeeUnit,
    InvolvementLevel,
    LocationType,
    RoleDescription,
    RoleVersion,
)
from tests.settings import PASSWORD

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
    """The error shown in the innermost form group in error around the element with this id,
    without its hidden "Error:" prefix; screen readers must read it with the field (or with
    the fieldset around a group of fields)."""
    page = html(response)
    groups = [
        div
        for div in page.iter("div")
        if has_class(div, "nhsuk-form-group") and div.find(f".//*[@id='{field_id}']") is not None
    ]
    assert groups, f"no field {field_id}"
    # The innermost group in error that shows a message: a date input's parts sit in groups
    # of their own, and a field revealed by a radio sits in a group inside the radios' group.
    in_error = [
        (group, [span for span in group.iter("span") if has_class(span, "nhsuk-error-message")])
        for group in groups
        if has_class(group, "nhsuk-form-group--error")
    ]
    shown = [(group, spans) for group, spans in in_error if spans]
    assert shown, f"no error around {field_id}: {text_of(groups[0])}"
    group, (error,) = shown[-1]
    described = [
        element
        for element in group.iter()
        if error.get("id") in element.get("aria-describedby", "").split()
    ]
    assert described, f"the error around {field_id} is not read with any field"
    return text_of(error).removeprefix("Error: ")


def error_summary(response: TestResponse) -> list[tuple[str, str]]:
    """Each message in the "There is a problem" summary and the field it links to."""
    (summary,) = [
        div for div in html(response).iter("div") if has_class(div, "nhsuk-error-summary")
    ]
    assert "There is a problem" in text_of(summary)
    return [(text_of(link), link.get("href", "")) for link in summary.iter("a")]


def input_value(response: TestResponse, field_id: str) -> str | None:
    """The value an input shows."""
    field = html(response).find(f".//input[@id='{field_id}']")
    assert field is not None
    return field.get("value")


def textarea_text(response: TestResponse, field_id: str) -> str:
    """The text a textarea shows."""
    area = html(response).find(f".//textarea[@id='{field_id}']")
    assert area is not None
    return area.text or ""


def error_near(response: TestResponse, element_id: str) -> str:
    """The error message shown in the form group or row holding ``element_id``."""
    page = html(response)
    for container in page.iter():
        classes = container.get("class", "").split()
        is_group = "nhsuk-form-group" in classes
        if (is_group and container.find(f".//*[@id='{element_id}']") is not None) or (
            container.get("id") == element_id
        ):
            messages = [
                " ".join("".join(e.itertext()).split())
                for e in container.iter()
                if "nhsuk-error-message" in e.get("class", "").split()
            ]
            if messages:
                return messages[0]
    raise AssertionError(f"no error near {element_id}")


def cell_text(cell: Element) -> str:
    """A table cell's text without its hidden responsive heading."""
    parts = [cell.text or ""]
    for child in cell:
        if not has_class(child, "nhsuk-table-responsive__heading"):
            parts.append(" ".join(child.itertext()))
        parts.append(child.tail or "")
    return " ".join(" ".join(parts).split())


def table_rows(response: TestResponse) -> list[list[str]]:
    """The text of each body row's cells."""
    rows = ([cell_text(cell) for cell in row.iter("td")] for row in html(response).iter("tr"))
    return [cells for cells in rows if cells]


EVIL = "<script>alert('x')</script>"
"""Markup a person might type, which every page must show escaped."""


def date_fields(on: date, prefix: str = "session_on") -> dict[str, str]:
    """The day, month and year fields a date input posts for ``on``."""
    return {
        f"{prefix}-day": str(on.day),
        f"{prefix}-month": str(on.month),
        f"{prefix}-year": str(on.year),
    }


# Stored rows -------------------------------------------------------------------------------


def events(action: str, *, app: Flask | None = None) -> list[AuditEvent]:
    """Audit events of one kind, oldest first. Service tests, inside an app context, read them
    through its session; request tests, which hold no context open, pass ``app`` and get them
    read in a context of their own and detached."""
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    if app is None:
        return list(db.session.scalars(query))
    with app.app_context():
        found = list(db.session.scalars(query))
        db.session.expunge_all()
    return found


def rows_of(app: Flask, model: type[Any]) -> list[Any]:
    """Every stored row of ``model``, oldest first, detached."""
    with app.app_context():
        found = list(db.session.scalars(select(model).order_by(model.id)))
        db.session.expunge_all()
    return found


def load_claim(app: Flask, claim_id: int) -> Claim:
    """A claim as ``access.load_claim`` reads it, detached for use outside the app."""
    with app.app_context():
        claim = access.load_claim(claim_id)
        assert claim is not None
        db.session.expunge_all()
    return claim


UC_START_DAY = 14  # assessment period 14 November to 13 December 2026


def give_profile(app: Flask, person: User, **values: object) -> None:
    """A UC profile with no work allowance unless told otherwise."""
    fields: dict[str, object] = {
        "gets_universal_credit": True,
        "uc_assessment_period_start_day": UC_START_DAY,
        "uc_child_or_lcw": False,
        **values,
    }
    with app.app_context():
        db.session.add(BenefitProfile(person_id=person.id, **fields))
        db.session.commit()


# Files -------------------------------------------------------------------------------------


TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
"""A tiny valid PDF, to upload."""


def image_bytes(kind: str, size: tuple[int, int] = (4, 3)) -> bytes:
    """A real, tiny image made with Pillow."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 90)).save(buffer, format=kind)
    return buffer.getvalue()


def png_bytes(colour: str = "red") -> bytes:
    """A small real PNG; a different colour gives a different file."""
    out = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(out, "PNG")
    return out.getvalue()


# Signing in --------------------------------------------------------------------------------


def sign_in_with_password(
    client: FlaskClient, email: str, password: str = PASSWORD, next_url: str | None = None
) -> TestResponse:
    """Post the sign-in form, as a person does (``sign_in`` skips the form and the hash)."""
    url = "/sign-in" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": password})


# Counting queries --------------------------------------------------------------------------


@contextmanager
def count_queries(app: Flask) -> Iterator[list[str]]:
    """Collect the SQL statements ``app``'s engine runs while the block runs (the block may
    hold an app context open or not)."""
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def collect(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", collect)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", collect)


def page_queries(app: Flask, client: FlaskClient, path: str) -> int:
    """How many SQL statements showing the page at ``path`` runs (it must show)."""
    with count_queries(app) as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


# Signed in without the form -----------------------------------------------------------------


def sign_in(client: FlaskClient, user: User) -> None:
    """Put ``user`` in the client's session, as a real sign-in does (without the slow hash)."""
    now = utc_now().timestamp()
    with client.session_transaction() as session:
        session["_user_id"] = user.session_token
        session["_fresh"] = True
        session["signed_in_at"] = now
        session["seen_at"] = now
        session.permanent = True


def link_in(message: EmailMessage) -> str:
    """The path of the first link to this site in an email."""
    match = re.search(r"http://localhost(/\S+)", str(message.body))
    assert match, f"no link in: {message.body}"
    return match.group(1)


# Roles and claims the factories make -------------------------------------------------------


ROLE_DEFAULTS: dict[str, Any] = {
    "title": "Interview panel member",
    "purpose": "Help choose new staff for the community mental health team.",
    "activities": "Read applications, sit on the interview panel and score answers.",
    "level": InvolvementLevel.CO_PRODUCTION,
    "location_type": LocationType.IN_PERSON,
    "venue": "Riverside House, 1 Mill Lane",
    "venue_accessibility": "Step-free entrance, accessible toilet, hearing loop.",
    "time_commitment": "One day, 14 January 2027",
    "session_minutes": 180,
    "fee_pence": 2000,
    "fee_unit": FeeUnit.HOUR,
    "expense_categories": ["public_transport", "mileage"],
    "support_offered": "A named contact, and a debrief after each session.",
    "places": 3,
}


def load_role(app: Flask, role_id: int) -> RoleDescription:
    """Read a role with its versions and their courses, detached for use outside the app."""
    with app.app_context():
        role = db.session.scalar(
            select(RoleDescription)
            .where(RoleDescription.id == role_id)
            .options(
                selectinload(RoleDescription.versions).selectinload(RoleVersion.required_courses)
            )
        )
        assert role is not None
        db.session.expunge_all()
    return role


@dataclass
class ApprovedClaim:
    """An approved claim made by ``make_approved_claim``: its id and whose it is."""

    id: int
    person: User
