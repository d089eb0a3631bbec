"""Bank details: stored only as Fernet tokens, with every earlier version kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from payclaims.auth.models import User
from payclaims.database import utc_now
from payclaims.extensions import Model


class BankDetails(Model):
    """One version of the account a person is paid into.

    A change adds a new row and marks the one before superseded; nothing is deleted. The
    current details are the row not superseded, and no payment goes to them until a finance
    person has confirmed them (mandate fraud control).
    """

    __tablename__ = "bank_details"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Fernet tokens only: never the plain values (see payclaims/people/crypto.py).
    name_on_account_encrypted: Mapped[str] = mapped_column(Text)
    sort_code_encrypted: Mapped[str] = mapped_column(Text)
    account_number_encrypted: Mapped[str] = mapped_column(Text)
    roll_number_encrypted: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    # The person themselves, or (later) a coordinator acting for them.
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    superseded_at: Mapped[datetime | None]

    # At most one current row per person, even when two changes race.
    __table_args__ = (
        Index(
            "ix_bank_details_one_current_per_person",
            "person_id",
            unique=True,
            sqlite_where=text("superseded_at IS NULL"),
            postgresql_where=text("superseded_at IS NULL"),
        ),
    )

    person: Mapped[User] = relationship(foreign_keys=[person_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])

    @property
    def is_confirmed(self) -> bool:
        """Whether a finance person has confirmed these details: only then may they be paid."""
        return self.confirmed_at is not None

    @property
    def is_current(self) -> bool:
        """Whether these are the person's details now (not replaced by a later change)."""
        return self.superseded_at is None
