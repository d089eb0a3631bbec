"""A person's bank details: format checks, changing them, and finance confirming them.

Changing them follows the mandate fraud controls (password again, the old details kept, an
email to the address on file). Plain numbers exist only inside these functions: everything
they hand out for display is masked (``ShownBankDetails``), and audit entries and emails carry
masked values only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from cryptography.fernet import MultiFernet
from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from payclaims import crypto
from payclaims.audit.models import AuditAction
from payclaims.audit.services import record_event
from payclaims.auth.access import require_role
from payclaims.auth.models import FINANCE_ROLES, Role, User
from payclaims.auth.services import check_password
from payclaims.database import utc_now
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db
from payclaims.mail import external_url, send_email
from payclaims.people.confirmation import confirm_once, second_pair_of_eyes
from payclaims.people.models import BankDetails

NAME_MAX_LENGTH = 70
ROLL_NUMBER_MAX_LENGTH = 18
RECENTLY_CONFIRMED_LIMIT = 20
SEPARATORS = re.compile(r"[\s-]+")
ROLL_NUMBER_CHARACTERS = re.compile(r"[A-Za-z0-9 ./-]*")
CHANGED_MEANWHILE = (
    "Your bank details were changed a moment ago, perhaps in another window. "
    "Check them, then try again if you need to."
)


# Format checks (also used by the form, so the messages are the same everywhere) -----------


def digits_only(text: str) -> str:
    """``text`` without the spaces and hyphens people type between digits."""
    return SEPARATORS.sub("", text)


def sort_code_problem(text: str) -> str | None:
    """What is wrong with a typed sort code ('12-34-56', '12 34 56'), or None."""
    digits = digits_only(text)
    if not digits:
        return "Enter a sort code"
    if not digits.isascii() or not digits.isdigit():
        return "Enter a valid sort code, like 30-94-57"
    if len(digits) != 6:
        return "Sort code must be 6 digits"
    return None


def account_number_problem(text: str) -> str | None:
    """What is wrong with a typed account number ('1234 5678'), or None."""
    digits = digits_only(text)
    if not digits:
        return "Enter an account number"
    if not digits.isascii() or not digits.isdigit():
        return "Enter a valid account number, like 00733445"
    if len(digits) != 8:
        return "Account number must be 8 digits"
    return None


def roll_number_problem(text: str) -> str | None:
    """What is wrong with a typed building society roll number (optional), or None."""
    if len(text) > ROLL_NUMBER_MAX_LENGTH:
        return f"Building society roll number must be {ROLL_NUMBER_MAX_LENGTH} characters or fewer"
    if not ROLL_NUMBER_CHARACTERS.fullmatch(text):
        return (
            "Building society roll number must only include letters, numbers, spaces, "
            "hyphens, slashes and full stops"
        )
    return None


def name_on_account_problem(text: str) -> str | None:
    """What is wrong with a typed name on the account, or None."""
    if not text:
        return "Enter the name on the account"
    if len(text) > NAME_MAX_LENGTH:
        return f"Name on the account must be {NAME_MAX_LENGTH} characters or fewer"
    if not text.isprintable():
        return "Name on the account must only include letters, numbers and punctuation"
    return None


@dataclass(frozen=True)
class NewBankDetails:
    """Bank details as a person typed them."""

    name_on_account: str
    sort_code: str
    account_number: str
    roll_number: str = ""

    def checked(self) -> NewBankDetails:
        """The details normalised (digits only, spaces trimmed); ``DomainError`` if wrong."""
        name = " ".join(self.name_on_account.split())
        roll = " ".join(self.roll_number.split())
        for field, problem in (
            ("name_on_account", name_on_account_problem(name)),
            ("sort_code", sort_code_problem(self.sort_code)),
            ("account_number", account_number_problem(self.account_number)),
            ("roll_number", roll_number_problem(roll)),
        ):
            if problem:
                raise DomainError(problem, field=field)
        return NewBankDetails(
            name_on_account=name,
            sort_code=digits_only(self.sort_code),
            account_number=digits_only(self.account_number),
            roll_number=roll,
        )


# What pages are given ---------------------------------------------------------------------


@dataclass(frozen=True)
class ShownBankDetails:
    """Bank details as any page may show them: the numbers masked, never in full."""

    id: int
    person: User
    name_on_account: str
    sort_code: str  # '**-**-56'
    account_number: str  # '****5678'
    account_ending: str  # '5678'
    roll_number: str | None  # '****4567', or None when there is none
    created_at: datetime
    created_by: User
    confirmed_at: datetime | None
    confirmed_by: User | None

    @property
    def is_confirmed(self) -> bool:
        """Whether finance has confirmed these details."""
        return self.confirmed_at is not None

    @property
    def entered_by_themselves(self) -> bool:
        """Whether the person entered these details (not someone acting for them)."""
        return self.created_by.id == self.person.id

    def describe(self) -> str:
        """The masked details in one line, for the audit trail."""
        roll = f", roll number {self.roll_number}" if self.roll_number else ""
        return f"sort code {self.sort_code}, account number {self.account_number}{roll}"


def _shown(details: BankDetails, fernet: MultiFernet) -> ShownBankDetails:
    account_number = crypto.decrypt(fernet, details.account_number_encrypted)
    roll = details.roll_number_encrypted
    return ShownBankDetails(
        id=details.id,
        person=details.person,
        name_on_account=crypto.decrypt(fernet, details.name_on_account_encrypted),
        sort_code=crypto.mask_sort_code(crypto.decrypt(fernet, details.sort_code_encrypted)),
        account_number=crypto.mask_account_number(account_number),
        account_ending=account_number[-4:],
        roll_number=crypto.mask_roll_number(crypto.decrypt(fernet, roll)) if roll else None,
        created_at=details.created_at,
        created_by=details.created_by,
        confirmed_at=details.confirmed_at,
        confirmed_by=details.confirmed_by,
    )


# What every page showing bank details names: whose they are, who entered and who checked them.
WITH_PEOPLE = (
    joinedload(BankDetails.person),
    joinedload(BankDetails.created_by),
    joinedload(BankDetails.confirmed_by),
)


def _current_row(person_id: int) -> BankDetails | None:
    return db.session.scalar(
        select(BankDetails)
        .where(BankDetails.person_id == person_id, BankDetails.superseded_at.is_(None))
        .options(*WITH_PEOPLE)
    )


def current_details(person: User) -> ShownBankDetails | None:
    """A person's current bank details, masked; None if they have not given any."""
    details = _current_row(person.id)
    return None if details is None else _shown(details, crypto.configured_fernet())


def has_bank_details(person: User) -> bool:
    """Whether the person has given bank details (no decryption needed)."""
    return _current_row(person.id) is not None


# Changing them ----------------------------------------------------------------------------


def change_bank_details(
    person: User,
    *,
    actor: User,
    details: NewBankDetails,
    password: str,
    ip_address: str | None,
) -> BankDetails:
    """Replace a person's bank details after they re-enter their password.

    The previous details are kept, marked superseded; the new ones wait for finance to
    confirm them. The change is audited and emailed to the address on file, masked.
    """
    if actor.id != person.id or not actor.is_active or not actor.has_role(Role.EXPERT):
        raise PermissionDenied("You can only change your own bank details.")
    new = details.checked()
    if not check_password(actor.password_hash, password):
        raise DomainError("Your password is not right", field="password")
    fernet = crypto.configured_fernet()
    previous = _current_row(person.id)
    if previous is not None and _same(previous, new, fernet):
        raise DomainError(
            "These are the bank details we already have for you", field="account_number"
        )
    now = utc_now()
    if previous is not None:
        _supersede(previous, now)
    row = BankDetails(
        person_id=person.id,
        name_on_account_encrypted=crypto.encrypt(fernet, new.name_on_account),
        sort_code_encrypted=crypto.encrypt(fernet, new.sort_code),
        account_number_encrypted=crypto.encrypt(fernet, new.account_number),
        roll_number_encrypted=crypto.encrypt(fernet, new.roll_number) if new.roll_number else None,
        created_at=now,
        created_by_id=actor.id,
    )
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError as error:  # a first set of details saved at the same moment
        db.session.rollback()
        raise DomainError(CHANGED_MEANWHILE) from error
    shown = _shown(row, fernet)
    record_event(
        AuditAction.BANK_DETAILS_CHANGED,
        actor=actor,
        subject=person,
        ip_address=ip_address,
        detail=("changed " if previous else "added ") + shown.describe(),
        about=("bank_details", row.id),
    )
    db.session.commit()
    send_email(
        person.email,
        "Your bank details were changed",
        "bank_details_changed",
        user=person,
        details=shown,
        bank_details_url=external_url("people.bank_details"),
    )
    return row


def _same(previous: BankDetails, new: NewBankDetails, fernet: MultiFernet) -> bool:
    roll = previous.roll_number_encrypted
    return (
        crypto.decrypt(fernet, previous.name_on_account_encrypted) == new.name_on_account
        and crypto.decrypt(fernet, previous.sort_code_encrypted) == new.sort_code
        and crypto.decrypt(fernet, previous.account_number_encrypted) == new.account_number
        and (crypto.decrypt(fernet, roll) if roll else "") == new.roll_number
    )


def _supersede(previous: BankDetails, now: datetime) -> None:
    """Mark the previous details replaced, unless another change got there first."""
    result = db.session.execute(
        update(BankDetails)
        .where(BankDetails.id == previous.id, BankDetails.superseded_at.is_(None))
        .values(superseded_at=now)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        db.session.rollback()
        raise DomainError(CHANGED_MEANWHILE)


# Finance confirming them ------------------------------------------------------------------


def can_confirm(details: ShownBankDetails | BankDetails, actor: User) -> bool:
    """Finance may confirm anyone's details but their own, or ones they entered (four eyes)."""
    person_id = details.person.id if isinstance(details, ShownBankDetails) else details.person_id
    created_by_id = (
        details.created_by.id if isinstance(details, ShownBankDetails) else details.created_by_id
    )
    return second_pair_of_eyes(actor, person_id=person_id, entered_by_id=created_by_id)


def confirm_bank_details(details: BankDetails, *, actor: User, ip_address: str | None) -> None:
    """A finance person confirms current, unconfirmed details; only then may they be paid.
    Audited, and the person is emailed."""
    require_role(actor, *FINANCE_ROLES, message="Only the finance team can confirm bank details.")
    if not can_confirm(details, actor):
        raise PermissionDenied(
            "You cannot confirm your own bank details. Another member of the finance team "
            "needs to check them."
        )
    confirm_once(
        details,
        BankDetails.superseded_at.is_(None),
        actor=actor,
        stale="These bank details have already been confirmed, or the person has changed them "
        "since. Check the list again.",
    )
    shown = _shown(details, crypto.configured_fernet())
    record_event(
        AuditAction.BANK_DETAILS_CONFIRMED,
        actor=actor,
        subject=details.person,
        ip_address=ip_address,
        detail=shown.describe(),
        about=("bank_details", details.id),
    )
    db.session.commit()
    # The person hears that money can now go to this account (only its last four digits).
    send_email(
        details.person.email,
        "We have checked your bank details",
        "bank_details_confirmed",
        user=details.person,
        details=shown,
        bank_details_url=external_url("people.bank_details"),
    )


def bank_details_or_none(bank_details_id: int) -> BankDetails | None:
    """One stored version of someone's bank details, with the people it names."""
    return db.session.scalar(
        select(BankDetails).where(BankDetails.id == bank_details_id).options(*WITH_PEOPLE)
    )


def waiting_for_confirmation() -> list[ShownBankDetails]:
    """Current details finance has not confirmed yet, oldest change first, masked."""
    fernet = crypto.configured_fernet()
    rows = db.session.scalars(
        select(BankDetails)
        .where(BankDetails.confirmed_at.is_(None), BankDetails.superseded_at.is_(None))
        .options(*WITH_PEOPLE)
        .order_by(BankDetails.created_at, BankDetails.id)
    )
    return [_shown(row, fernet) for row in rows]


def recently_confirmed(*, limit: int = RECENTLY_CONFIRMED_LIMIT) -> list[ShownBankDetails]:
    """Current details confirmed most recently, masked."""
    fernet = crypto.configured_fernet()
    rows = db.session.scalars(
        select(BankDetails)
        .where(BankDetails.confirmed_at.is_not(None), BankDetails.superseded_at.is_(None))
        .options(*WITH_PEOPLE)
        .order_by(BankDetails.confirmed_at.desc(), BankDetails.id.desc())
        .limit(limit)
    )
    return [_shown(row, fernet) for row in rows]
