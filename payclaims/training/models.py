"""Training courses and the records of who has done them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from payclaims.auth.models import User
from payclaims.database import utc_now
from payclaims.extensions import Model


class TrainingCourse(Model):
    """A course people may need before taking a role."""

    __tablename__ = "training_courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # None: once done, never expires.
    validity_months: Mapped[int | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    @property
    def validity_text(self) -> str:
        """'Valid for 12 months' or 'Does not expire'."""
        if self.validity_months is None:
            return "Does not expire"
        months = self.validity_months
        if months % 12 == 0:
            years = months // 12
            return f"Valid for {years} year{'s' if years != 1 else ''}"
        return f"Valid for {months} month{'s' if months != 1 else ''}"


class TrainingRecord(Model):
    """One person having done one course, recorded by a coordinator or declared by themselves."""

    __tablename__ = "training_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_courses.id"), index=True)
    completed_on: Mapped[date]
    # Worked out from completed_on and the course's validity when recorded; None: never.
    expires_on: Mapped[date | None] = mapped_column(index=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Recorded or checked by a coordinator; False: self-declared, awaiting verification.
    is_verified: Mapped[bool] = mapped_column(default=False)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    person: Mapped[User] = relationship(foreign_keys=[person_id])
    course: Mapped[TrainingCourse] = relationship()
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    evidence: Mapped[TrainingEvidence | None] = relationship(
        back_populates="record", cascade="all, delete-orphan"
    )

    def is_current(self, today: date) -> bool:
        """Whether the training still counts on ``today``."""
        return self.expires_on is None or self.expires_on >= today


class TrainingEvidence(Model):
    """A certificate or similar file for a training record (PDF, JPEG or PNG)."""

    __tablename__ = "training_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("training_records.id"), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    # Loaded only when the file itself is downloaded.
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_at: Mapped[datetime] = mapped_column(default=utc_now)

    record: Mapped[TrainingRecord] = relationship(back_populates="evidence")
