"""Claims for fees (and, next, expenses): the claim, its lines and its append-only history."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from payclaims.auth.models import User
from payclaims.benefits.profile.models import FeeChoice
from payclaims.claims.rates import TENTHS, Vehicle
from payclaims.database import portable_enum, utc_now
from payclaims.extensions import Model
from payclaims.roles.expenses import ExpenseCategory
from payclaims.roles.models import RoleDescription, RoleVersion, SignUp

HUNDREDTHS = 100


class ClaimStatus(enum.StrEnum):
    """Where a claim stands in its lifecycle (DESIGN.md section 3)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    VERIFIED = "verified"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    PAID = "paid"
    RETURNED = "returned"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        """The status in plain words for the person claiming."""
        return CLAIM_STATUS_LABELS[self]


CLAIM_STATUS_LABELS = {
    ClaimStatus.DRAFT: "Draft: not sent yet",
    ClaimStatus.SUBMITTED: "With your coordinator to confirm",
    ClaimStatus.VERIFIED: "With finance",
    ClaimStatus.APPROVED: "Approved: waiting for a payment date",
    ClaimStatus.SCHEDULED: "Approved: in a payment run",
    ClaimStatus.PAID: "Paid",
    ClaimStatus.RETURNED: "Returned: see why",
    ClaimStatus.REJECTED: "Not paid",
    ClaimStatus.WITHDRAWN: "Withdrawn",
}
# Which status may follow which, declared once. Services check every change against it.
CLAIM_TRANSITIONS: dict[ClaimStatus, frozenset[ClaimStatus]] = {
    ClaimStatus.DRAFT: frozenset({ClaimStatus.SUBMITTED, ClaimStatus.WITHDRAWN}),
    ClaimStatus.SUBMITTED: frozenset(
        {
            ClaimStatus.VERIFIED,
            ClaimStatus.RETURNED,
            ClaimStatus.REJECTED,
            ClaimStatus.WITHDRAWN,
        }
    ),
    ClaimStatus.VERIFIED: frozenset(
        {ClaimStatus.APPROVED, ClaimStatus.RETURNED, ClaimStatus.REJECTED}
    ),
    ClaimStatus.APPROVED: frozenset(
        {ClaimStatus.SCHEDULED, ClaimStatus.RETURNED, ClaimStatus.REJECTED}
    ),
    # Taken out of a draft run, a claim is approved again.
    ClaimStatus.SCHEDULED: frozenset({ClaimStatus.PAID, ClaimStatus.APPROVED}),
    ClaimStatus.PAID: frozenset(),
    ClaimStatus.RETURNED: frozenset({ClaimStatus.SUBMITTED, ClaimStatus.WITHDRAWN}),
    ClaimStatus.REJECTED: frozenset(),
    ClaimStatus.WITHDRAWN: frozenset(),
}
# Lines may be added, removed and the fee choice changed only in these statuses.
EDITABLE_STATUSES = frozenset({ClaimStatus.DRAFT, ClaimStatus.RETURNED})
# Claims that count when looking for a session claimed twice: sent and not ended. A draft does
# not block another claim; it is checked itself when it is sent.
LIVE_STATUSES = frozenset(
    {
        ClaimStatus.SUBMITTED,
        ClaimStatus.VERIFIED,
        ClaimStatus.APPROVED,
        ClaimStatus.SCHEDULED,
        ClaimStatus.PAID,
        ClaimStatus.RETURNED,
    }
)


class LineKind(enum.StrEnum):
    """A fee for time given, or an expense paid back."""

    FEE = "fee"
    EXPENSE = "expense"


class Claim(Model):
    """One person's claim against one accepted sign-up."""

    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    sign_up_id: Mapped[int] = mapped_column(ForeignKey("sign_ups.id"), index=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("role_descriptions.id"), index=True)
    status: Mapped[ClaimStatus] = mapped_column(
        portable_enum(ClaimStatus), default=ClaimStatus.DRAFT
    )
    # Optimistic lock: every change is an UPDATE on (id, status, version) that adds one.
    version: Mapped[int] = mapped_column(default=1)
    fee_choice: Mapped[FeeChoice] = mapped_column(portable_enum(FeeChoice), default=FeeChoice.FULL)
    reduced_fee_pence: Mapped[int | None]
    fee_choice_made_at: Mapped[datetime] = mapped_column(default=utc_now)
    declaration_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    # Who sent it: the person, or a coordinator acting on their behalf.
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    # Its earliest session was older than CLAIM_TIME_LIMIT_MONTHS when sent: finance sees a flag.
    is_late: Mapped[bool] = mapped_column(default=False)
    return_reason: Mapped[str] = mapped_column(Text, default="")
    # The payment date of the run that paid it (set when the run is confirmed).
    paid_on: Mapped[date | None]
    # Who confirmed the work took place, and when (they may not approve it: four eyes).
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime | None]
    # Counts the times the claim reached finance: approvals belong to one round, so a claim
    # returned and sent again needs approving afresh.
    approval_round: Mapped[int] = mapped_column(default=0, server_default="0")
    # Why finance (or the coordinator) refused it; the person sees it.
    rejection_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # When the sender confirmed reading the benefits estimate shown before sending, and its
    # level (near, reduces, stops); None when no estimate was shown.
    benefits_warning_seen_at: Mapped[datetime | None]
    benefits_warning_level: Mapped[str | None] = mapped_column(String(16))

    person: Mapped[User] = relationship(foreign_keys=[person_id])
    sign_up: Mapped[SignUp] = relationship()
    role: Mapped[RoleDescription] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    lines: Mapped[list[ClaimLine]] = relationship(
        back_populates="claim",
        order_by="[ClaimLine.session_on, ClaimLine.id]",
        cascade="all, delete-orphan",
    )
    events: Mapped[list[ClaimEvent]] = relationship(
        back_populates="claim", order_by="[ClaimEvent.occurred_at, ClaimEvent.id]"
    )

    @property
    def reference(self) -> str:
        """How people and finance name the claim: 'C-000042'."""
        return f"C-{self.id:06d}"

    @property
    def is_editable(self) -> bool:
        """Whether lines and the fee choice may change (a draft, or returned for changes)."""
        return self.status in EDITABLE_STATUSES

    @property
    def is_submitted(self) -> bool:
        """Whether the claim was sent and waits for its coordinator to confirm the work."""
        return self.status is ClaimStatus.SUBMITTED

    @property
    def is_verified(self) -> bool:
        """Whether the work was confirmed and the claim waits for finance."""
        return self.status is ClaimStatus.VERIFIED

    @property
    def is_returned(self) -> bool:
        """Whether the claim was sent back to the person for changes."""
        return self.status is ClaimStatus.RETURNED

    @property
    def is_rejected(self) -> bool:
        """Whether the claim was refused."""
        return self.status is ClaimStatus.REJECTED

    @property
    def on_behalf(self) -> bool:
        """Whether someone other than the person sent it."""
        return self.submitted_by_id is not None and self.submitted_by_id != self.person_id

    @property
    def fee_lines(self) -> list[ClaimLine]:
        """The lines for time given."""
        return [line for line in self.lines if line.kind is LineKind.FEE]

    @property
    def fee_total_pence(self) -> int:
        """The fee lines added up: the full fee."""
        return sum(line.amount_pence for line in self.fee_lines)

    @property
    def fee_payable_pence(self) -> int:
        """The fee the person asked for: full, their reduced amount, or nothing."""
        if self.fee_choice is FeeChoice.EXPENSES_ONLY:
            return 0
        if self.fee_choice is FeeChoice.REDUCED:
            return min(self.reduced_fee_pence or 0, self.fee_total_pence)
        return self.fee_total_pence

    @property
    def expenses_total_pence(self) -> int:
        """The expense lines added up."""
        return sum(line.amount_pence for line in self.lines if line.kind is LineKind.EXPENSE)

    @property
    def total_pence(self) -> int:
        """What the claim asks to be paid."""
        return self.fee_payable_pence + self.expenses_total_pence

    @property
    def approved_fee_pence(self) -> int:
        """The fee to pay after finance's decision: the fee choice applied to the approved
        fee lines (a reduced fee is never more than what was approved)."""
        approved = sum(line.payable_pence for line in self.fee_lines)
        if self.fee_choice is FeeChoice.EXPENSES_ONLY:
            return 0
        if self.fee_choice is FeeChoice.REDUCED:
            return min(self.reduced_fee_pence or 0, approved)
        return approved

    @property
    def approved_expenses_pence(self) -> int:
        """The expense lines as approved by finance."""
        return sum(line.payable_pence for line in self.lines if line.kind is LineKind.EXPENSE)

    @property
    def approved_total_pence(self) -> int:
        """What will be paid: the approved fee and expenses."""
        return self.approved_fee_pence + self.approved_expenses_pence

    @property
    def earliest_session_on(self) -> date | None:
        """The date of the earliest line, if there is one."""
        return min((line.session_on for line in self.lines), default=None)

    def can_become(self, status: ClaimStatus) -> bool:
        """Whether ``status`` may follow the current one."""
        return status in CLAIM_TRANSITIONS[self.status]


class ClaimLine(Model):
    """One line of a claim: a fee for a session (or, next, an expense)."""

    __tablename__ = "claim_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    kind: Mapped[LineKind] = mapped_column(portable_enum(LineKind))
    # Expense lines only.
    category: Mapped[ExpenseCategory | None] = mapped_column(portable_enum(ExpenseCategory))
    session_on: Mapped[date]
    description: Mapped[str] = mapped_column(String(500))
    # Units of the role's fee unit, in hundredths (150 is 1.5 hours): exact, no floats.
    units_hundredths: Mapped[int | None]
    # The rate in force on the session date, and the role version it came from.
    rate_pence: Mapped[int | None]
    rate_version_id: Mapped[int | None] = mapped_column(ForeignKey("role_versions.id"))
    # Paid preparation time (hourly roles), at the same rate.
    prep_minutes: Mapped[int | None]
    # Always computed by the server.
    amount_pence: Mapped[int]
    # Counts as earnings for benefits (fees do; receipted expenses do not).
    is_earnings_like: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    # Taxi lines: why a taxi was needed.
    reason: Mapped[str | None] = mapped_column(String(500))
    # Mileage lines: miles in tenths (12.5 miles is 125), the vehicle and the passengers carried.
    miles_tenths: Mapped[int | None]
    vehicle: Mapped[Vehicle | None] = mapped_column(portable_enum(Vehicle))
    passengers: Mapped[int | None]
    # Set when the line was capped at sending: what was asked, and why it was reduced.
    claimed_pence: Mapped[int | None]
    cap_note: Mapped[str | None] = mapped_column(String(500))
    # Set when finance approved the line for less than its amount, with the reason the person
    # sees. None: approved (or to be approved) as claimed.
    approved_pence: Mapped[int | None]
    approval_note: Mapped[str | None] = mapped_column(String(500))

    claim: Mapped[Claim] = relationship(back_populates="lines")
    rate_version: Mapped[RoleVersion | None] = relationship()
    receipts: Mapped[list[Receipt]] = relationship(
        back_populates="line", order_by="Receipt.id", cascade="all, delete-orphan"
    )

    @property
    def miles(self) -> Decimal:
        """The miles as a decimal number (12.5)."""
        return Decimal(self.miles_tenths or 0) / TENTHS

    @property
    def miles_text(self) -> str:
        """The miles as people write them: '10', '12.5'."""
        return f"{self.miles.normalize():f}"

    @property
    def payable_pence(self) -> int:
        """What finance will pay for the line: the approved amount (never more than the
        amount), or else the amount."""
        if self.approved_pence is None:
            return self.amount_pence
        return min(self.approved_pence, self.amount_pence)

    @property
    def is_reduced(self) -> bool:
        """Whether finance approved less than the line's amount."""
        return self.approved_pence is not None and self.approved_pence != self.amount_pence

    @property
    def is_mileage(self) -> bool:
        """Whether the line is a mileage expense (which needs no receipt)."""
        return self.category is ExpenseCategory.MILEAGE

    @property
    def is_expense(self) -> bool:
        """Whether the line pays back an expense."""
        return self.kind is LineKind.EXPENSE

    @property
    def units(self) -> Decimal:
        """The units as a decimal number (1.5 hours)."""
        return Decimal(self.units_hundredths or 0) / HUNDREDTHS

    @property
    def prep_hours(self) -> Decimal:
        """Preparation time in hours."""
        return Decimal(self.prep_minutes or 0) / 60


class Receipt(Model):
    """A receipt file (PDF, JPEG or PNG) for an expense line, stored in the database."""

    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(
        ForeignKey("claim_lines.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int]
    # Finds the same file on another line or claim.
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # Loaded only when the file itself is downloaded.
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utc_now)

    line: Mapped[ClaimLine] = relationship(back_populates="receipts")


class CapPeriod(enum.StrEnum):
    """What a category's cap is counted over."""

    CLAIM = "claim"
    DAY = "day"

    @property
    def label(self) -> str:
        """'a claim', 'a day'."""
        return "per claim" if self is CapPeriod.CLAIM else "per day"


class OverCap(enum.StrEnum):
    """What happens to a line over the cap."""

    CAP = "cap"
    REFUSE = "refuse"

    @property
    def label(self) -> str:
        """In plain words."""
        return "Pay up to the cap, with a note" if self is OverCap.CAP else "Refuse the line"


class ExpenseCategorySetting(Model):
    """Finance's rules for one expense category. A category with no row uses the defaults."""

    __tablename__ = "expense_category_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[ExpenseCategory] = mapped_column(portable_enum(ExpenseCategory), unique=True)
    # A receipt is needed for lines above this amount (0: always); None: never.
    receipt_above_pence: Mapped[int | None]
    # The most paid for the category, per claim or per day; None: no cap.
    cap_pence: Mapped[int | None]
    cap_period: Mapped[CapPeriod] = mapped_column(portable_enum(CapPeriod), default=CapPeriod.CLAIM)
    over_cap: Mapped[OverCap] = mapped_column(portable_enum(OverCap), default=OverCap.CAP)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class ClaimEvent(Model):
    """An append-only record of a change to a claim. Never updated, never deleted."""

    __tablename__ = "claim_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Set when the actor acted for the person (a coordinator claiming for someone).
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_status: Mapped[ClaimStatus | None] = mapped_column(portable_enum(ClaimStatus))
    to_status: Mapped[ClaimStatus] = mapped_column(portable_enum(ClaimStatus))
    note: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime] = mapped_column(default=utc_now)

    claim: Mapped[Claim] = relationship(back_populates="events")
    actor: Mapped[User] = relationship(foreign_keys=[actor_id])
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id])

    @property
    def summary(self) -> str:
        """What happened, in a few words: 'Sent', 'Changed the claim', 'Withdrawn'."""
        if self.from_status is None:
            return "Started the claim"
        if self.from_status is self.to_status:
            return "Changed the claim"
        return EVENT_SUMMARIES[self.to_status]

    @property
    def is_persons_change(self) -> bool:
        """Whether the change is one the person makes on their own claim (starting it, changing
        it while it is editable, sending or withdrawing it), not a decision or a payment."""
        if self.from_status is None:
            return True
        if self.from_status is self.to_status:
            return self.to_status in EDITABLE_STATUSES
        return self.to_status in PERSONS_STATUS_CHANGES

    @property
    def acted_for(self) -> User | None:
        """Whom the actor acted for, to show beside their name: a coordinator who started,
        changed, sent or withdrew a claim for someone.

        Events written before decisions stopped naming the person name them on every
        coordinator's or finance decision and payment too. claim_events is append-only, so those
        rows stay as written and only the person's own kinds of change show the name.
        """
        return self.on_behalf_of if self.is_persons_change else None


# Changes of status the person makes on their own claim, and a coordinator may make for them.
# Every other change (confirming, approving, returning, rejecting, paying) is staff's own.
PERSONS_STATUS_CHANGES = frozenset({ClaimStatus.SUBMITTED, ClaimStatus.WITHDRAWN})

EVENT_SUMMARIES = {
    ClaimStatus.DRAFT: "Back to draft",
    ClaimStatus.SUBMITTED: "Sent to the coordinator",
    ClaimStatus.VERIFIED: "Confirmed by the coordinator",
    ClaimStatus.APPROVED: "Approved by finance",
    ClaimStatus.SCHEDULED: "Put in a payment run",
    ClaimStatus.PAID: "Paid",
    ClaimStatus.RETURNED: "Returned for more information",
    ClaimStatus.REJECTED: "Rejected",
    ClaimStatus.WITHDRAWN: "Withdrawn",
}
