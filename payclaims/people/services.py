"""How people are paid. Bank details: format checks, changing them (mandate fraud controls),
finance confirming them, and re-encrypting everything with the newest key. Other payment
methods: finance recording and ending another way to pay someone without bank details. And
``payment_setup``: what a person is paid by.

Plain numbers exist only inside these functions: everything they hand out for display is
masked (``ShownBankDetails``), and audit entries and emails carry masked values only.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from cryptography.fernet import MultiFernet
from flask import current_app
from sqlalchemy import ColumnElement, CursorResult, Select, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from payclaims import crypto
from payclaims.audit.models import AuditAction
from payclaims.audit.services import record_event
from payclaims.auth.models import FINANCE_ROLES, Role, User, UserRole
from payclaims.auth.services import check_password
from payclaims.claims.models import Claim
from payclaims.database import escape_like, utc_now
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db
from payclaims.mail import external_url, send_email
from payclaims.people.models import (
    PAYMENT_DETAILS_MAX,
    PAYMENT_REASON_MAX,
    BankDetails,
    OtherPaymentMethod,
    PaymentMethod,
)

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


# Keys and what pages are given ------------------------------------------------------------


def _fernet() -> MultiFernet:
    """The configured keys; a clear ``BankKeyError`` when there are none (development)."""
    return crypto.build_fernet(crypto.keys_from_config(current_app.config["BANK_DETAILS_KEYS"]))


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
    return None if details is None else _shown(details, _fernet())


def has_bank_details(person: User) -> bool:
    """Whether the person has given bank details (no decryption needed)."""
    return _current_row(person.id) is not None


def status_text(person: User) -> str:
    """Where a person's bank details stand, in words, without decrypting anything."""
    setup = payment_setup(person)
    if setup.other_method is not None:
        return f"Finance pays you {setup.other_method.method.phrase}"
    if setup.paid_by is PaidBy.NOTHING:
        return "Not added yet"
    if setup.paid_by is PaidBy.BANK_DETAILS_CONFIRMED:
        return "Added and checked by our finance team"
    return "Added, waiting for our finance team to check them"


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
    fernet = _fernet()
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


def _require_finance(actor: User) -> None:
    if not actor.is_active or not actor.has_role(*FINANCE_ROLES):
        raise PermissionDenied("Only the finance team can confirm bank details.")


def _second_pair_of_eyes(actor: User, *, person_id: int, entered_by_id: int) -> bool:
    """The four-eyes rule for how someone is paid: an active finance person who is neither
    the person paid nor whoever entered the details or method."""
    return (
        actor.is_active
        and actor.has_role(*FINANCE_ROLES)
        and actor.id not in (person_id, entered_by_id)
    )


def can_confirm(details: ShownBankDetails | BankDetails, actor: User) -> bool:
    """Finance may confirm anyone's details but their own, or ones they entered (four eyes)."""
    person_id = details.person.id if isinstance(details, ShownBankDetails) else details.person_id
    created_by_id = (
        details.created_by.id if isinstance(details, ShownBankDetails) else details.created_by_id
    )
    return _second_pair_of_eyes(actor, person_id=person_id, entered_by_id=created_by_id)


def _confirm_once(
    row: BankDetails | OtherPaymentMethod,
    still_current: ColumnElement[bool],
    *,
    actor: User,
    stale: str,
) -> None:
    """Mark ``row`` confirmed by ``actor`` if it is unconfirmed and ``still_current``.

    A conditional update: of two people pressing "Confirm" at once only one succeeds, and
    nothing is confirmed that was changed or ended since it was read (DomainError ``stale``).
    """
    model = type(row)
    result = db.session.execute(
        update(model)
        .where(model.id == row.id, model.confirmed_at.is_(None), still_current)
        .values(confirmed_at=utc_now(), confirmed_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        db.session.rollback()
        raise DomainError(stale)
    db.session.refresh(row)


def confirm_bank_details(details: BankDetails, *, actor: User, ip_address: str | None) -> None:
    """A finance person confirms current, unconfirmed details; only then may they be paid.
    Audited, and the person is emailed."""
    _require_finance(actor)
    if not can_confirm(details, actor):
        raise PermissionDenied(
            "You cannot confirm your own bank details. Another member of the finance team "
            "needs to check them."
        )
    _confirm_once(
        details,
        BankDetails.superseded_at.is_(None),
        actor=actor,
        stale="These bank details have already been confirmed, or the person has changed them "
        "since. Check the list again.",
    )
    shown = _shown(details, _fernet())
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
    fernet = _fernet()
    rows = db.session.scalars(
        select(BankDetails)
        .where(BankDetails.confirmed_at.is_(None), BankDetails.superseded_at.is_(None))
        .options(*WITH_PEOPLE)
        .order_by(BankDetails.created_at, BankDetails.id)
    )
    return [_shown(row, fernet) for row in rows]


def recently_confirmed(*, limit: int = RECENTLY_CONFIRMED_LIMIT) -> list[ShownBankDetails]:
    """Current details confirmed most recently, masked."""
    fernet = _fernet()
    rows = db.session.scalars(
        select(BankDetails)
        .where(BankDetails.confirmed_at.is_not(None), BankDetails.superseded_at.is_(None))
        .options(*WITH_PEOPLE)
        .order_by(BankDetails.confirmed_at.desc(), BankDetails.id.desc())
        .limit(limit)
    )
    return [_shown(row, fernet) for row in rows]


def waiting_count() -> int:
    """How many current bank details and other payment methods wait for finance to check."""
    details = db.session.scalar(
        select(func.count())
        .select_from(BankDetails)
        .where(BankDetails.confirmed_at.is_(None), BankDetails.superseded_at.is_(None))
    )
    methods = db.session.scalar(
        select(func.count())
        .select_from(OtherPaymentMethod)
        .where(OtherPaymentMethod.confirmed_at.is_(None), OtherPaymentMethod.ended_at.is_(None))
    )
    return (details or 0) + (methods or 0)


# Key rotation -----------------------------------------------------------------------------


def rotate_keys() -> int:
    """Re-encrypt every stored token with the newest key; return how many rows were done.

    Afterwards the older keys can be removed from BANK_DETAILS_KEYS.
    """
    fernet = _fernet()
    rows = db.session.scalars(select(BankDetails).order_by(BankDetails.id)).all()
    for row in rows:
        row.name_on_account_encrypted = crypto.rotate(fernet, row.name_on_account_encrypted)
        row.sort_code_encrypted = crypto.rotate(fernet, row.sort_code_encrypted)
        row.account_number_encrypted = crypto.rotate(fernet, row.account_number_encrypted)
        if row.roll_number_encrypted is not None:
            row.roll_number_encrypted = crypto.rotate(fernet, row.roll_number_encrypted)
    record_event(
        AuditAction.BANK_KEYS_ROTATED,
        actor=None,
        detail=f"{len(rows)} records re-encrypted with the newest key",
    )
    db.session.commit()
    return len(rows)


# Other payment methods: finance recording another way to pay someone -----------------------

# Digits with anything but letters between them ('12-34-56', '12.34.56', '1234 / 5678') read
# as one run, so no choice of punctuation gets bank numbers past the check.
BETWEEN_DIGITS = re.compile(r"(?<=\d)[\W_]+(?=\d)")
DIGIT_RUN = re.compile(r"\d+")
SORT_CODE_DIGITS = 6
ACCOUNT_NUMBER_DIGITS = 8
# A sort code and account number typed together, or a card number.
LONG_NUMBER_DIGITS = 14
BANK_NUMBERS_MESSAGE = (
    "This looks like a sort code and account number, or a card number. Do not type them "
    "here: describe the method only, for example the appointee's name"
)
DETAILS_NEEDED = {
    PaymentMethod.APPOINTEE: "Enter the name of the appointee or organisation we pay",
    PaymentMethod.OTHER: "Describe how we pay them",
}
METHOD_CHANGED_MEANWHILE = (
    "Someone else has just changed how this person is paid. Check their page again."
)


def looks_like_bank_numbers(text: str) -> bool:
    """Whether ``text`` holds what looks like a sort code with an account number, or a card
    number: never stored outside the encrypted bank details."""
    runs = {len(run) for run in DIGIT_RUN.findall(BETWEEN_DIGITS.sub("", text))}
    return any(length >= LONG_NUMBER_DIGITS for length in runs) or (
        SORT_CODE_DIGITS in runs and ACCOUNT_NUMBER_DIGITS in runs
    )


def payment_details_problem(text: str, method: PaymentMethod | None = None) -> str | None:
    """What is wrong with the details of another payment method, or None."""
    if not text and method in DETAILS_NEEDED:
        return DETAILS_NEEDED[method]
    if len(text) > PAYMENT_DETAILS_MAX:
        return f"Details must be {PAYMENT_DETAILS_MAX} characters or fewer"
    if looks_like_bank_numbers(text):
        return BANK_NUMBERS_MESSAGE
    return None


def payment_reason_problem(text: str, *, ending: bool = False) -> str | None:
    """What is wrong with the reason for recording (or ending) a payment method, or None."""
    if not text:
        return "Enter why they are no longer paid this way" if ending else "Enter the reason"
    if len(text) > PAYMENT_REASON_MAX:
        return f"The reason must be {PAYMENT_REASON_MAX} characters or fewer"
    if looks_like_bank_numbers(text):
        return BANK_NUMBERS_MESSAGE
    return None


@dataclass(frozen=True)
class NewPaymentMethod:
    """Another payment method as finance typed it."""

    method: PaymentMethod
    details: str
    reason: str

    def checked(self) -> NewPaymentMethod:
        """The method with spaces tidied; ``DomainError`` on the field that is wrong."""
        details = " ".join(self.details.split())
        reason = self.reason.strip()
        for field, problem in (
            ("details", payment_details_problem(details, self.method)),
            ("reason", payment_reason_problem(reason)),
        ):
            if problem:
                raise DomainError(problem, field=field)
        return NewPaymentMethod(method=self.method, details=details, reason=reason)


def can_end_payment_method(person: User, actor: User) -> bool:
    """Finance admins end how anyone but themselves is paid, expert or not any more.

    Not finance approvers: whoever approves claims should not also decide where the money
    goes (segregation of duties); finance admins run the payments, so they own the set-up.
    """
    return actor.is_active and actor.has_role(Role.FINANCE_ADMIN) and actor.id != person.id


def can_record_payment_method(person: User, actor: User) -> bool:
    """Finance admins record how any expert by experience but themselves is paid."""
    return can_end_payment_method(person, actor) and person.has_role(Role.EXPERT)


def _require_finance_admin_for(person: User, actor: User) -> None:
    if actor.id == person.id:
        raise PermissionDenied(
            "You cannot set how you are paid yourself. Another finance admin needs to do it."
        )
    if not can_end_payment_method(person, actor):
        raise PermissionDenied("Only a finance admin can set how someone is paid.")


def _require_recorder(person: User, actor: User) -> None:
    _require_finance_admin_for(person, actor)
    if not person.has_role(Role.EXPERT):
        raise PermissionDenied("We only pay experts by experience.")


def can_confirm_payment_method(row: OtherPaymentMethod, actor: User) -> bool:
    """Finance may check a method unless it pays them, or they recorded it (four eyes)."""
    return _second_pair_of_eyes(actor, person_id=row.person_id, entered_by_id=row.recorded_by_id)


# What every page showing another payment method names: whose, who recorded and who ended it.
METHOD_WITH_PEOPLE = (
    joinedload(OtherPaymentMethod.person),
    joinedload(OtherPaymentMethod.recorded_by),
    joinedload(OtherPaymentMethod.confirmed_by),
    joinedload(OtherPaymentMethod.ended_by),
)


def current_payment_method(person: User) -> OtherPaymentMethod | None:
    """The other payment method finance pays the person by now, or None."""
    return db.session.scalar(
        select(OtherPaymentMethod)
        .where(OtherPaymentMethod.person_id == person.id, OtherPaymentMethod.ended_at.is_(None))
        .options(*METHOD_WITH_PEOPLE)
    )


def payment_method_history(person: User) -> list[OtherPaymentMethod]:
    """Every other payment method recorded for the person, newest first."""
    return list(
        db.session.scalars(
            select(OtherPaymentMethod)
            .where(OtherPaymentMethod.person_id == person.id)
            .options(*METHOD_WITH_PEOPLE)
            .order_by(OtherPaymentMethod.recorded_at.desc(), OtherPaymentMethod.id.desc())
        )
    )


def payment_method_or_none(method_id: int) -> OtherPaymentMethod | None:
    """One recorded payment method, with the people it names."""
    return db.session.scalar(
        select(OtherPaymentMethod)
        .where(OtherPaymentMethod.id == method_id)
        .options(*METHOD_WITH_PEOPLE)
    )


def _describe_method(row: OtherPaymentMethod) -> str:
    return row.method.label + (f" ({row.details})" if row.details else "")


def record_payment_method(
    person: User, *, actor: User, new: NewPaymentMethod, ip_address: str | None
) -> OtherPaymentMethod:
    """A finance admin records another way to pay the person instead of bank details.

    Refused for oneself and while another method is current (end that first). Audited, and
    the person is emailed, as bank detail changes are. Nothing is paid this way until a
    different finance person confirms it (``confirm_payment_method``).
    """
    _require_recorder(person, actor)
    checked = new.checked()
    current = current_payment_method(person)
    if current is not None:
        raise DomainError(
            f"{person.name} is already paid {current.method.phrase}. End that first, then "
            "record the new way.",
            field="method",
        )
    row = OtherPaymentMethod(
        person_id=person.id,
        method=checked.method,
        details=checked.details,
        reason=checked.reason,
        recorded_at=utc_now(),
        recorded_by_id=actor.id,
    )
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError as error:  # another finance admin recorded one at the same moment
        db.session.rollback()
        raise DomainError(METHOD_CHANGED_MEANWHILE, field="method") from error
    record_event(
        AuditAction.PAYMENT_METHOD_RECORDED,
        actor=actor,
        subject=person,
        ip_address=ip_address,
        detail=f"{_describe_method(row)}. Reason: {checked.reason}"[:2000],
        about=("other_payment_method", row.id),
    )
    db.session.commit()
    send_email(
        person.email,
        "Finance recorded how we pay you",
        "payment_method_recorded",
        user=person,
        method=row,
        bank_details_url=external_url("people.bank_details"),
    )
    return row


def end_payment_method(
    row: OtherPaymentMethod, *, actor: User, reason: str, ip_address: str | None
) -> None:
    """A finance admin ends a current payment method; the row stays in the history.

    Allowed even when the person is no longer an expert by experience.
    """
    _require_finance_admin_for(row.person, actor)
    reason = reason.strip()
    problem = payment_reason_problem(reason, ending=True)
    if problem:
        raise DomainError(problem, field="reason")
    # Only one of two people ending it at once succeeds, and only while it is current.
    result = db.session.execute(
        update(OtherPaymentMethod)
        .where(OtherPaymentMethod.id == row.id, OtherPaymentMethod.ended_at.is_(None))
        .values(ended_at=utc_now(), ended_by_id=actor.id, end_reason=reason)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        db.session.rollback()
        raise DomainError("This payment method has already been ended.")
    db.session.refresh(row)
    person = row.person
    record_event(
        AuditAction.PAYMENT_METHOD_ENDED,
        actor=actor,
        subject=person,
        ip_address=ip_address,
        detail=f"{_describe_method(row)}. Reason: {reason}"[:2000],
        about=("other_payment_method", row.id),
    )
    db.session.commit()
    send_email(
        person.email,
        "Finance changed how we pay you",
        "payment_method_ended",
        user=person,
        method=row,
        has_bank_details=has_bank_details(person),
        bank_details_url=external_url("people.bank_details"),
    )


def confirm_payment_method(row: OtherPaymentMethod, *, actor: User, ip_address: str | None) -> None:
    """A different finance person checks a current method; only then is it paid (four eyes).

    Audited, and the person is emailed, as when it was recorded. Of two people confirming at
    once, one succeeds and the other is told.
    """
    if not actor.is_active or not actor.has_role(*FINANCE_ROLES):
        raise PermissionDenied("Only the finance team can check how someone is paid.")
    if not can_confirm_payment_method(row, actor):
        raise PermissionDenied(
            "You recorded this payment method, or it pays you. Another member of the finance "
            "team needs to check it."
        )
    _confirm_once(
        row,
        OtherPaymentMethod.ended_at.is_(None),
        actor=actor,
        stale="This payment method has already been checked, or it has been ended since. "
        "Check the person's page again.",
    )
    record_event(
        AuditAction.PAYMENT_METHOD_CONFIRMED,
        actor=actor,
        subject=row.person,
        ip_address=ip_address,
        detail=_describe_method(row)[:2000],
        about=("other_payment_method", row.id),
    )
    db.session.commit()
    # Only how we pay: the method's details (an appointee's name, an address) stay out of email.
    send_email(
        row.person.email,
        "We have checked how we pay you",
        "payment_method_confirmed",
        user=row.person,
        method=row,
        bank_details_url=external_url("people.bank_details"),
    )


def methods_waiting_for_confirmation() -> list[OtherPaymentMethod]:
    """Current payment methods nobody has checked yet, oldest first."""
    return list(
        db.session.scalars(
            select(OtherPaymentMethod)
            .where(OtherPaymentMethod.confirmed_at.is_(None), OtherPaymentMethod.ended_at.is_(None))
            .options(*METHOD_WITH_PEOPLE)
            .order_by(OtherPaymentMethod.recorded_at, OtherPaymentMethod.id)
        )
    )


# What a person is paid by ------------------------------------------------------------------


class PaidBy(enum.StrEnum):
    """What a person's payments go by."""

    NOTHING = "nothing"
    BANK_DETAILS_UNCONFIRMED = "bank_details_unconfirmed"
    BANK_DETAILS_CONFIRMED = "bank_details_confirmed"
    OTHER_METHOD = "other_method"


@dataclass(frozen=True)
class PaymentSetup:
    """How a person is paid, without decrypting anything.

    A current other payment method comes first: finance recorded it on purpose, so it is used
    even if the person also has bank details. Like bank details, it is paid only once a
    different finance person has checked it; until then claims may still be sent.
    """

    has_bank_details: bool
    bank_details_confirmed: bool
    other_method: OtherPaymentMethod | None

    @property
    def paid_by(self) -> PaidBy:
        """What payments go by now."""
        if self.other_method is not None:
            return PaidBy.OTHER_METHOD
        if not self.has_bank_details:
            return PaidBy.NOTHING
        if self.bank_details_confirmed:
            return PaidBy.BANK_DETAILS_CONFIRMED
        return PaidBy.BANK_DETAILS_UNCONFIRMED

    @property
    def can_claim(self) -> bool:
        """Whether claims may be sent: bank details (checked or not yet) or another method."""
        return self.paid_by is not PaidBy.NOTHING

    @property
    def can_be_paid(self) -> bool:
        """Whether money may go out now: checked bank details, or a checked other method."""
        if self.other_method is not None:
            return self.other_method.is_confirmed
        return self.paid_by is PaidBy.BANK_DETAILS_CONFIRMED


def payment_setup(person: User) -> PaymentSetup:
    """What the person is paid by: bank details (checked or not), another method, or nothing."""
    details = db.session.scalar(
        select(BankDetails).where(
            BankDetails.person_id == person.id, BankDetails.superseded_at.is_(None)
        )
    )
    return PaymentSetup(
        has_bank_details=details is not None,
        bank_details_confirmed=details is not None and details.is_confirmed,
        other_method=current_payment_method(person),
    )


def _is_payee() -> ColumnElement[bool]:
    """Experts by experience, and anyone else with a payment set-up or claims (someone who
    lost the expert role keeps a set-up finance must be able to see and end)."""
    return or_(
        User.role_grants.any(UserRole.role == Role.EXPERT),
        exists().where(BankDetails.person_id == User.id),
        exists().where(OtherPaymentMethod.person_id == User.id),
        exists().where(Claim.person_id == User.id),
    )


def is_payee(person: User) -> bool:
    """Whether finance's pages on how people are paid cover this person."""
    return bool(db.session.scalar(select(_is_payee()).where(User.id == person.id)))


def payees_query(*, text: str | None = None) -> Select[User]:
    """People we pay (``is_payee``) matching a search of name or email, by name."""
    query = select(User).where(_is_payee()).order_by(User.name, User.id)
    if text:
        pattern = f"%{escape_like(text.lower())}%"
        query = query.where(
            or_(User.email.like(pattern, escape="\\"), User.name.ilike(pattern, escape="\\"))
        )
    return query


def payment_setups(people: list[User]) -> dict[int, PaymentSetup]:
    """``payment_setup`` for a page of people, in two queries whatever their number."""
    ids = [person.id for person in people]
    details = {
        row.person_id: row
        for row in db.session.scalars(
            select(BankDetails).where(
                BankDetails.person_id.in_(ids), BankDetails.superseded_at.is_(None)
            )
        )
    }
    methods = {
        row.person_id: row
        for row in db.session.scalars(
            select(OtherPaymentMethod).where(
                OtherPaymentMethod.person_id.in_(ids), OtherPaymentMethod.ended_at.is_(None)
            )
        )
    }
    return {
        person_id: PaymentSetup(
            has_bank_details=person_id in details,
            bank_details_confirmed=person_id in details and details[person_id].is_confirmed,
            other_method=methods.get(person_id),
        )
        for person_id in ids
    }
