"""What a person is paid by (bank details, another method, or nothing), and whom we pay."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, exists, or_, select

from payclaims.auth.models import Role, User, UserRole
from payclaims.claims.models import Claim
from payclaims.database import escape_like
from payclaims.extensions import db
from payclaims.people.models import BankDetails, OtherPaymentMethod
from payclaims.people.payment_methods import current_payment_method


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
