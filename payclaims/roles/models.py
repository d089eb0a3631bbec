"""Role descriptions (involvement opportunities), their published versions, and sign-ups."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from payclaims.auth.models import User
from payclaims.costcentres.models import CostCentre
from payclaims.database import portable_enum, utc_now
from payclaims.extensions import Model
from payclaims.money import multiply
from payclaims.training.models import TrainingCourse


class InvolvementLevel(enum.StrEnum):
    """How much say people have, from being told to sharing decisions."""

    INFORMATION = "information"
    CONSULTATION = "consultation"
    CO_DESIGN = "co_design"
    CO_PRODUCTION = "co_production"

    @property
    def label(self) -> str:
        """The level's name."""
        return LEVEL_LABELS[self][0]

    @property
    def explanation(self) -> str:
        """One line on what the level means for the person."""
        return LEVEL_LABELS[self][1]


LEVEL_LABELS = {
    InvolvementLevel.INFORMATION: (
        "Information",
        "We share information with you and listen to what you think of it.",
    ),
    InvolvementLevel.CONSULTATION: (
        "Consultation",
        "We ask for your views and experience, and tell you what we did with them.",
    ),
    InvolvementLevel.CO_DESIGN: (
        "Co-design",
        "You help design a service or project with staff, from early on.",
    ),
    InvolvementLevel.CO_PRODUCTION: (
        "Co-production",
        "You share power and decisions with staff as an equal partner, from start to finish.",
    ),
}


class LocationType(enum.StrEnum):
    """Where the role happens."""

    IN_PERSON = "in_person"
    REMOTE = "remote"

    @property
    def label(self) -> str:
        """'In person' or 'Remote (online or by phone)'."""
        return "In person" if self is LocationType.IN_PERSON else "Remote (online or by phone)"


class FeeUnit(enum.StrEnum):
    """What a fee is paid per."""

    HOUR = "hour"
    HALF_DAY = "half_day"
    DAY = "day"
    SESSION = "session"

    @property
    def label(self) -> str:
        """'per hour', 'per half day (up to 4 hours)', ..."""
        return FEE_UNIT_LABELS[self]


FEE_UNIT_LABELS = {
    FeeUnit.HOUR: "per hour",
    FeeUnit.HALF_DAY: "per half day (up to 4 hours)",
    FeeUnit.DAY: "per day",
    FeeUnit.SESSION: "per session",
}


class RoleStatus(enum.StrEnum):
    """Whether people can see and sign up to a role."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        """'Draft', 'Open' or 'Closed'."""
        return self.value.capitalize()


role_version_courses = Table(
    "role_version_courses",
    Model.metadata,
    Column(
        "role_version_id",
        ForeignKey("role_versions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("course_id", ForeignKey("training_courses.id"), primary_key=True),
)


class RoleDescription(Model):
    """An involvement opportunity. Its content lives in versions; publishing freezes one."""

    __tablename__ = "role_descriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[RoleStatus] = mapped_column(portable_enum(RoleStatus), default=RoleStatus.DRAFT)
    coordinator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    cost_centre_id: Mapped[int] = mapped_column(ForeignKey("cost_centres.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    coordinator: Mapped[User] = relationship(foreign_keys=[coordinator_id])
    cost_centre: Mapped[CostCentre] = relationship()
    versions: Mapped[list[RoleVersion]] = relationship(
        back_populates="role", order_by="RoleVersion.number", cascade="all, delete-orphan"
    )

    @property
    def is_open(self) -> bool:
        """Whether people can see the role and sign up."""
        return self.status is RoleStatus.OPEN

    @property
    def is_closed(self) -> bool:
        """Whether the role was closed to new sign-ups (it may be reopened)."""
        return self.status is RoleStatus.CLOSED

    @property
    def published_version(self) -> RoleVersion | None:
        """The latest published version: what people see now."""
        published = [version for version in self.versions if version.published_at is not None]
        return published[-1] if published else None

    @property
    def draft_version(self) -> RoleVersion | None:
        """Unpublished changes, if there are any."""
        drafts = [version for version in self.versions if version.published_at is None]
        return drafts[-1] if drafts else None

    @property
    def latest_version(self) -> RoleVersion:
        """The newest version, published or not (what the coordinator is working on)."""
        return self.versions[-1]

    @property
    def title(self) -> str:
        """The title people know the role by."""
        version = self.published_version or self.latest_version
        return version.title

    def takes_sign_ups(self, today: date) -> bool:
        """Whether people can sign up now: open and not past its closing date."""
        version = self.published_version
        return (
            self.status is RoleStatus.OPEN and version is not None and version.closing_on >= today
        )


class RoleVersion(Model):
    """The content of a role at one point. Published versions never change."""

    __tablename__ = "role_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("role_descriptions.id"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text)
    activities: Mapped[str] = mapped_column(Text)
    level: Mapped[InvolvementLevel] = mapped_column(portable_enum(InvolvementLevel))
    location_type: Mapped[LocationType] = mapped_column(portable_enum(LocationType))
    venue: Mapped[str] = mapped_column(String(300), default="")
    venue_accessibility: Mapped[str] = mapped_column(Text, default="")
    time_commitment: Mapped[str] = mapped_column(Text)
    session_minutes: Mapped[int]
    # None: expenses only (no fee).
    fee_pence: Mapped[int | None]
    fee_unit: Mapped[FeeUnit | None] = mapped_column(portable_enum(FeeUnit))
    expense_categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    support_offered: Mapped[str] = mapped_column(Text)
    places: Mapped[int]
    closing_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    role: Mapped[RoleDescription] = relationship(back_populates="versions")
    required_courses: Mapped[list[TrainingCourse]] = relationship(
        secondary=role_version_courses, order_by="TrainingCourse.name"
    )

    __table_args__ = (Index("uq_role_versions_role_id_number", "role_id", "number", unique=True),)

    @property
    def is_in_person(self) -> bool:
        """Whether the role happens at a venue (rather than remotely)."""
        return self.location_type is LocationType.IN_PERSON

    @property
    def is_paid(self) -> bool:
        """Whether the role pays a fee (otherwise expenses only)."""
        return self.fee_pence is not None

    @property
    def session_hours(self) -> Decimal:
        """Hours per session, for display and fee sums."""
        return Decimal(self.session_minutes) / 60

    @property
    def session_fee_pence(self) -> int | None:
        """What one session pays: hours times an hourly fee, or one unit of any other fee."""
        if self.fee_pence is None:
            return None
        if self.fee_unit is FeeUnit.HOUR:
            return multiply(self.fee_pence, self.session_hours)
        return self.fee_pence

    def days_to_close(self, today: date) -> int:
        """Days from ``today`` to the closing date (0 on the day itself)."""
        return (self.closing_on - today).days


class SignUpStatus(enum.StrEnum):
    """Where a person's sign-up to a role stands."""

    INTERESTED = "interested"
    ACCEPTED = "accepted"
    WAITLISTED = "waitlisted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        """The status in plain words for the person."""
        return SIGN_UP_STATUS_LABELS[self]


SIGN_UP_STATUS_LABELS = {
    SignUpStatus.INTERESTED: "Waiting for the coordinator",
    SignUpStatus.ACCEPTED: "Accepted",
    SignUpStatus.WAITLISTED: "On the waiting list",
    SignUpStatus.DECLINED: "Not offered a place",
    SignUpStatus.WITHDRAWN: "Withdrawn",
}
# A person has at most one of these per role at a time.
LIVE_SIGN_UP_STATUSES = (SignUpStatus.INTERESTED, SignUpStatus.ACCEPTED, SignUpStatus.WAITLISTED)
# Which status may follow which. Withdrawing is the person's; the rest are the coordinator's.
SIGN_UP_TRANSITIONS: dict[SignUpStatus, frozenset[SignUpStatus]] = {
    SignUpStatus.INTERESTED: frozenset(
        {
            SignUpStatus.ACCEPTED,
            SignUpStatus.WAITLISTED,
            SignUpStatus.DECLINED,
            SignUpStatus.WITHDRAWN,
        }
    ),
    SignUpStatus.WAITLISTED: frozenset(
        {SignUpStatus.ACCEPTED, SignUpStatus.DECLINED, SignUpStatus.WITHDRAWN}
    ),
    # The person may withdraw; the coordinator may take the place back (declined).
    SignUpStatus.ACCEPTED: frozenset({SignUpStatus.WITHDRAWN, SignUpStatus.DECLINED}),
    SignUpStatus.DECLINED: frozenset(),
    SignUpStatus.WITHDRAWN: frozenset(),
}
_LIVE_SQL = "status IN ('interested', 'accepted', 'waitlisted')"


class SignUp(Model):
    """A person's sign-up to a role, keeping the version they saw."""

    __tablename__ = "sign_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("role_descriptions.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("role_versions.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[SignUpStatus] = mapped_column(
        portable_enum(SignUpStatus), default=SignUpStatus.INTERESTED
    )
    message: Mapped[str] = mapped_column(Text, default="")
    access_needs: Mapped[str] = mapped_column(Text, default="")
    # The coordinator's latest message to the person, with the latest decision.
    decision_message: Mapped[str] = mapped_column(Text, default="")
    # Accepted while required training was missing or expired; the person is told what.
    is_subject_to_training: Mapped[bool] = mapped_column(default=False)
    # Accepted although the role's places were already filled, and why.
    places_override_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    role: Mapped[RoleDescription] = relationship()
    version: Mapped[RoleVersion] = relationship()
    person: Mapped[User] = relationship(foreign_keys=[person_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    __table_args__ = (
        Index(
            "uq_sign_ups_live_per_person",
            "role_id",
            "person_id",
            unique=True,
            sqlite_where=text(_LIVE_SQL),
            postgresql_where=text(_LIVE_SQL),
        ),
    )

    @property
    def is_accepted(self) -> bool:
        """Whether the person has a place."""
        return self.status is SignUpStatus.ACCEPTED

    @property
    def is_interested(self) -> bool:
        """Whether nobody has decided on the sign-up yet."""
        return self.status is SignUpStatus.INTERESTED

    @property
    def is_live(self) -> bool:
        """Whether the sign-up still counts (not declined or withdrawn)."""
        return self.status in LIVE_SIGN_UP_STATUSES

    def can_become(self, status: SignUpStatus) -> bool:
        """Whether ``status`` may follow the current one."""
        return status in SIGN_UP_TRANSITIONS[self.status]
