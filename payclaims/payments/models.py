"""Payment runs, the claims in them, and the remittance slips issued when a run is confirmed."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from payclaims.auth.models import User
from payclaims.claims.models import Claim
from payclaims.database import portable_enum, utc_now
from payclaims.extensions import Model
from payclaims.people.models import BankDetails, OtherPaymentMethod


class RunStatus(enum.StrEnum):
    """A run is a draft (claims can be added and removed) until it is confirmed (paid)."""

    DRAFT = "draft"
    CONFIRMED = "confirmed"

    @property
    def label(self) -> str:
        """In plain words."""
        return "Draft: not paid yet" if self is RunStatus.DRAFT else "Confirmed: paid"


class PaymentRun(Model):
    """A batch of approved claims paid on one date. Draft, then confirmed exactly once."""

    __tablename__ = "payment_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_on: Mapped[date]
    status: Mapped[RunStatus] = mapped_column(portable_enum(RunStatus), default=RunStatus.DRAFT)
    # Optimistic lock: adding or removing a claim, and confirming, are conditional UPDATEs on
    # (id, status, version), so a confirmation rendered from a snapshot sees any change since.
    version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None]
    # The bank file is not stored (it would hold account numbers in plain text): it is made
    # again from the slips' bank details; this hash proves it is the file issued at confirming.
    bank_file_sha256: Mapped[str | None] = mapped_column(String(64))

    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])
    items: Mapped[list[RunClaim]] = relationship(
        back_populates="run", order_by="RunClaim.id", cascade="all, delete-orphan"
    )
    slips: Mapped[list[RemittanceSlip]] = relationship(
        back_populates="run", order_by="RemittanceSlip.id"
    )

    @property
    def reference(self) -> str:
        """How finance names the run: 'RUN00012'."""
        return f"RUN{self.id:05d}"

    @property
    def is_draft(self) -> bool:
        """Whether claims can still be added, removed, and the run confirmed."""
        return self.status is RunStatus.DRAFT


class RunClaim(Model):
    """A claim in a run. A claim is in one run at most: removing it deletes the row."""

    __tablename__ = "payment_run_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("payment_runs.id", ondelete="CASCADE"), index=True
    )
    # Unique: the database refuses a claim in two runs (and so paid twice), whatever races.
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), unique=True)
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(default=utc_now)

    run: Mapped[PaymentRun] = relationship(back_populates="items")
    claim: Mapped[Claim] = relationship()


class RemittanceSlip(Model):
    """One payee's slip for one run: the PDF as issued, never made again, with its sha256."""

    __tablename__ = "remittance_slips"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("payment_runs.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # What the payee was paid by, exactly one of: the (confirmed) bank details paid into (the
    # bank file is made from them), or the (confirmed) other payment method finance pays by
    # hand, outside the bank file.
    bank_details_id: Mapped[int | None] = mapped_column(ForeignKey("bank_details.id"))
    other_payment_method_id: Mapped[int | None] = mapped_column(
        ForeignKey("other_payment_methods.id")
    )
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    payment_on: Mapped[date]
    # Earnings (fees) and expenses apart: benefits and tax treat them differently.
    fee_pence: Mapped[int]
    expenses_pence: Mapped[int]
    total_pence: Mapped[int]
    claim_count: Mapped[int]
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    # Loaded only when the file itself is downloaded.
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    # One slip per payee per run, even if two confirmations raced past every other check.
    __table_args__ = (
        UniqueConstraint("run_id", "person_id"),
        CheckConstraint(
            "(bank_details_id IS NULL) <> (other_payment_method_id IS NULL)",
            name="paid_by_one_way",
        ),
    )

    run: Mapped[PaymentRun] = relationship(back_populates="slips")
    person: Mapped[User] = relationship()
    bank_details: Mapped[BankDetails | None] = relationship()
    other_payment_method: Mapped[OtherPaymentMethod | None] = relationship()

    @property
    def is_in_bank_file(self) -> bool:
        """Whether this payment went by bank transfer (in the run's bank file)."""
        return self.bank_details_id is not None

    @property
    def filename(self) -> str:
        """The name the download is saved under."""
        return f"remittance-{self.payment_on.isoformat()}-{self.reference}.pdf"
