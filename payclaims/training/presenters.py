"""What training pages show that needs a decision: the status tag and a record's rows."""

from __future__ import annotations

from markupsafe import Markup

from payclaims.dates import format_date
from payclaims.presenting import SummaryRow, Tag, html_row, row, tag
from payclaims.training.models import TrainingCourse, TrainingRecord
from payclaims.training.services import RecordStatus

STATUS_COLOURS = {
    RecordStatus.VERIFIED: "green",
    RecordStatus.AWAITING_VERIFICATION: "blue",
    RecordStatus.EXPIRES_SOON: "orange",
    RecordStatus.EXPIRED: "red",
}


def status_tag(status: RecordStatus) -> Tag:
    """A record's status on the day, in plain words and coloured."""
    return tag(status.label, STATUS_COLOURS[status])


def course_tag(course: TrainingCourse) -> Tag:
    """Whether a course is offered (green) or retired (grey)."""
    return tag("Offered", "green") if course.is_active else tag("Retired", "grey")


def record_rows(
    record: TrainingRecord, *, show_person: bool, status_html: Markup, evidence_html: Markup
) -> list[SummaryRow]:
    """A training record as summary-list rows; ``show_person`` adds who it belongs to (for
    coordinators). The status tag and the evidence link come rendered, as HTML."""
    rows = []
    if show_person:
        rows.append(row("Person", f"{record.person.name} ({record.person.email})"))
    if record.is_verified and record.verified_by:
        verified = f"{record.verified_by.name} on {format_date(record.verified_at)}"
    else:
        verified = "Not yet"
    rows += [
        row("Completed on", format_date(record.completed_on)),
        row(
            "Expires on", format_date(record.expires_on) if record.expires_on else "Does not expire"
        ),
        html_row("Status", status_html),
        row("Recorded by", f"{record.recorded_by.name} on {format_date(record.created_at)}"),
        row("Verified by", verified),
        html_row("Evidence", evidence_html),
    ]
    return rows
