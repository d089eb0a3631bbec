"""Other payment methods: finance recording, ending and checking another way to pay someone.

For people who cannot or will not give bank details (a cheque, a prepaid card, an appointee).
Like bank details, a method is paid only once a different finance person has checked it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from payclaims.audit.models import AuditAction
from payclaims.audit.services import record_event
from payclaims.auth.models import FINANCE_ROLES, Role, User
from payclaims.database import utc_now
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db
from payclaims.mail import external_url, send_email
from payclaims.people.bank_details import has_bank_details
from payclaims.people.confirmation import confirm_once, second_pair_of_eyes
from payclaims.people.models import (
    PAYMENT_DETAILS_MAX,
    PAYMENT_REASON_MAX,
    OtherPaymentMethod,
    PaymentMethod,
)

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
    return second_pair_of_eyes(actor, person_id=row.person_id, entered_by_id=row.recorded_by_id)


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
    confirm_once(
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
