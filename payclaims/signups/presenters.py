"""What sign-up pages show that needs a decision: the status tag and the training rows."""

from __future__ import annotations

from collections.abc import Mapping

from flask import url_for
from markupsafe import Markup

from payclaims.presenting import SummaryRow, Tag, html_row, tag
from payclaims.roles.models import RoleVersion, SignUp, SignUpStatus
from payclaims.signups.services import NeedKind, TrainingNeed

STATUS_COLOURS = {
    SignUpStatus.INTERESTED: "blue",
    SignUpStatus.ACCEPTED: "green",
    SignUpStatus.WAITLISTED: "yellow",
    SignUpStatus.DECLINED: "grey",
    SignUpStatus.WITHDRAWN: "grey",
}


def status_tag(sign_up: SignUp, text: str) -> Tag:
    """The sign-up's status in plain words (``text``, from services.status_text), coloured."""
    return tag(text, STATUS_COLOURS[sign_up.status])


def training_rows(version: RoleVersion, gap_for: Mapping[int, TrainingNeed]) -> list[SummaryRow]:
    """One row a course the role needs: done, or what is missing (with a link to the record
    when it waits for a coordinator to check it). ``gap_for`` maps a course id to its need."""
    rows = []
    for course in version.required_courses:
        gap = gap_for.get(course.id)
        if gap is None:
            value = Markup("Done, checked and in date")
        elif gap.kind is NeedKind.AWAITING_CHECK:
            href = url_for("training.record", record_id=gap.record_id)
            value = Markup(
                '{reason}. <a href="{href}">Check the record'
                '<span class="nhsuk-u-visually-hidden"> of {course}</span></a>'
            ).format(reason=gap.reason.capitalize(), href=href, course=course.name)
        else:
            value = Markup.escape(gap.reason.capitalize())
        rows.append(html_row(course.name, value))
    return rows
