"""How a person is paid: bank details (stored only as Fernet tokens, every earlier version
kept), or another payment method finance records for people who cannot or will not give them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from payclaims.auth.models import User
from payclaims.database import portable_enum, utc_now
from payclaims.extensions import Model

PAYMENT_DETAILS_MAX = 200
PAYMENT_REASON_MAX = 500


class BankDetails(Model):
    """One version of the account a person is paid into.

    A change adds a new row and marks the one before superseded; nothing is deleted. The
    current details are the row not superseded, and no payment goes to them until a finance
    person has confirmed them (mandate fraud control).
    """

    __tablename__ = "bank_details"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Fernet tokens only: never the plain values (see payclaims/crypto.py).
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


class PaymentMethod(enum.StrEnum):
    """Ways finance pays someone who has no bank details with us."""

    CHEQUE = "cheque"
    PREPAID_CARD = "prepaid_card"
    APPOINTEE = "appointee"
    OTHER = "other"

    @property
    def label(self) -> str:
        """The method's name, as finance picks it."""
        return PAYMENT_METHOD_LABELS[self]

    @property
    def phrase(self) -> str:
        """How we pay, to follow "Finance pays you" ("by cheque")."""
        return PAYMENT_METHOD_PHRASES[self]


PAYMENT_METHOD_LABELS = {
    PaymentMethod.CHEQUE: "Cheque",
    PaymentMethod.PREPAID_CARD: "Prepaid card",
    PaymentMethod.APPOINTEE: "Paid to an appointee or organisation",
    PaymentMethod.OTHER: "Another way",
}
PAYMENT_METHOD_PHRASES = {
    PaymentMethod.CHEQUE: "by cheque",
    PaymentMethod.PREPAID_CARD: "onto a prepaid card",
    PaymentMethod.APPOINTEE: "through an appointee or organisation",
    PaymentMethod.OTHER: "in another way agreed with you",
}


class OtherPaymentMethod(Model):
    """Another way finance pays a person instead of into a bank account.

    Only finance records one (never the person themselves), with the reason. Like new bank
    details, nothing is paid this way until a different finance person has checked it (four
    eyes). Ending it keeps the row: the history shows every method a person was paid by, and
    who decided.
    """

    __tablename__ = "other_payment_methods"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    method: Mapped[PaymentMethod] = mapped_column(portable_enum(PaymentMethod))
    # What finance needs to pay this way (the appointee's name...); never bank numbers.
    details: Mapped[str] = mapped_column(String(PAYMENT_DETAILS_MAX), default="")
    reason: Mapped[str] = mapped_column(String(PAYMENT_REASON_MAX))
    recorded_at: Mapped[datetime] = mapped_column(default=utc_now)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ended_at: Mapped[datetime | None]
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    end_reason: Mapped[str | None] = mapped_column(String(PAYMENT_REASON_MAX))

    # At most one current method per person, even when two finance admins record at once.
    __table_args__ = (
        Index(
            "ix_other_payment_methods_one_current_per_person",
            "person_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    person: Mapped[User] = relationship(foreign_keys=[person_id])
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])
    ended_by: Mapped[User | None] = relationship(foreign_keys=[ended_by_id])

    @property
    def is_current(self) -> bool:
        """Whether finance pays the person this way now (not ended)."""
        return self.ended_at is None

    @property
    def is_confirmed(self) -> bool:
        """Whether a different finance person has checked it: only then is it paid."""
        return self.confirmed_at is not None
