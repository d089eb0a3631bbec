"""The training gate: which of a role's required courses a person still needs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from payclaims.dates import format_date
from payclaims.extensions import db
from payclaims.training.models import TrainingCourse, TrainingRecord


@dataclass(frozen=True)
class TrainingGap:
    """A required course the person has not got (or not got in date, or not yet checked)."""

    course: TrainingCourse
    reason: str

    @property
    def text(self) -> str:
        """'Safeguarding level 1: expired on 3 May 2026'."""
        return f"{self.course.name}: {self.reason}"


def best_record(records: Sequence[TrainingRecord], today: date) -> TrainingRecord | None:
    """The record that counts most: verified and in date, then in date, then the latest."""

    def rank(record: TrainingRecord) -> tuple[bool, bool, date]:
        return (record.is_current(today), record.is_verified, record.completed_on)

    return max(records, key=rank, default=None)


def training_gaps(
    person_id: int, courses: Sequence[TrainingCourse], today: date
) -> list[TrainingGap]:
    """What ``person_id`` still needs of ``courses`` on ``today``, in the courses' order.

    A course counts when a verified record is in date. A self-declared record in date is
    listed as waiting for a coordinator to check it.
    """
    if not courses:
        return []
    records = db.session.scalars(
        select(TrainingRecord).where(
            TrainingRecord.person_id == person_id,
            TrainingRecord.course_id.in_([course.id for course in courses]),
        )
    ).all()
    gaps = []
    for course in courses:
        best = best_record([r for r in records if r.course_id == course.id], today)
        if best is None:
            gaps.append(TrainingGap(course, "not done yet"))
        elif not best.is_current(today):
            assert best.expires_on is not None
            gaps.append(TrainingGap(course, f"expired on {format_date(best.expires_on)}"))
        elif not best.is_verified:
            gaps.append(TrainingGap(course, "done, waiting for a coordinator to check it"))
    return gaps
