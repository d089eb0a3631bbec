"""People who use payclaims and the roles they hold."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from payclaims.database import portable_enum, utc_now
from payclaims.extensions import Model


class Role(enum.StrEnum):
    """What a person may do. One person may hold several."""

    EXPERT = "expert"
    COORDINATOR = "coordinator"
    FINANCE_APPROVER = "finance_approver"
    FINANCE_ADMIN = "finance_admin"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        """The role's name as people read it."""
        return ROLE_LABELS[self]

    @property
    def description(self) -> str:
        """One line on what the role lets a person do."""
        return ROLE_DESCRIPTIONS[self]


ROLE_LABELS = {
    Role.EXPERT: "Expert by experience",
    Role.COORDINATOR: "Coordinator",
    Role.FINANCE_APPROVER: "Finance approver",
    Role.FINANCE_ADMIN: "Finance admin",
    Role.ADMIN: "Admin",
}
ROLE_DESCRIPTIONS = {
    Role.EXPERT: "Signs up to roles and claims fees and expenses.",
    Role.COORDINATOR: "Publishes roles, accepts sign-ups, records training and confirms work.",
    Role.FINANCE_APPROVER: "Approves claims routed to them.",
    Role.FINANCE_ADMIN: "Runs payments, sets rates and benefit rules, issues remittance slips.",
    Role.ADMIN: "Manages staff accounts, their roles and organisation settings.",
}
STAFF_ROLES = (Role.COORDINATOR, Role.FINANCE_APPROVER, Role.FINANCE_ADMIN, Role.ADMIN)
FINANCE_ROLES = (Role.FINANCE_APPROVER, Role.FINANCE_ADMIN)


def new_session_token() -> str:
    """Return a fresh random token that identifies a person's signed-in sessions."""
    return secrets.token_urlsafe(32)


class User(UserMixin, Model):
    """A person with an account: an expert by experience, a member of staff, or both."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # None until an invited member of staff sets a password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    email_verified_at: Mapped[datetime | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    # Flask-Login keeps this in the session instead of the id, so that changing it (on a
    # password change or deactivation) signs the person out everywhere.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    failed_sign_in_count: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_signed_in_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    deactivated_at: Mapped[datetime | None]

    role_grants: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    def get_id(self) -> str:
        """Return the token Flask-Login stores in the session."""
        return self.session_token

    @property
    def roles(self) -> frozenset[Role]:
        """The roles this person holds."""
        return frozenset(grant.role for grant in self.role_grants)

    def has_role(self, *roles: Role) -> bool:
        """Whether this person holds any of ``roles``."""
        return not self.roles.isdisjoint(roles)

    @property
    def is_staff(self) -> bool:
        """Whether this person holds any staff role."""
        return self.has_role(*STAFF_ROLES)

    @property
    def is_email_verified(self) -> bool:
        """Whether this person has followed the link sent to their email address."""
        return self.email_verified_at is not None

    @property
    def has_password(self) -> bool:
        """Whether a password has been set (invited staff have none until they accept)."""
        return self.password_hash is not None

    def is_locked(self, now: datetime) -> bool:
        """Whether sign-in is locked after repeated failures."""
        return self.locked_until is not None and self.locked_until > now

    def sorted_roles(self) -> list[Role]:
        """The roles this person holds, in the order roles are listed everywhere."""
        return [role for role in Role if role in self.roles]


class UserRole(Model):
    """One role held by one person."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(portable_enum(Role), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(default=utc_now)

    user: Mapped[User] = relationship(back_populates="role_grants")
