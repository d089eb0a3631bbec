"""A run's payees: what each is paid, how each is paid now, who is paid outside the bank file."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from payclaims.auth.models import User
from payclaims.claims.models import Claim
from payclaims.payments.models import PaymentRun
from payclaims.payments.slips import slip_reference
from payclaims.people.models import OtherPaymentMethod, PaymentMethod
from payclaims.people.payment_setup import PaidBy, PaymentSetup, payment_setups

# What finance calls each other payment method when it is not checked yet.
UNCHECKED_METHOD_NAMES = {
    PaymentMethod.CHEQUE: "Cheque",
    PaymentMethod.PREPAID_CARD: "Prepaid card",
    PaymentMethod.APPOINTEE: "Payment through an appointee or organisation",
    PaymentMethod.OTHER: "Another payment method",
}


def payment_problem(setup: PaymentSetup) -> str | None:
    """Why a person cannot be paid now, in plain words; None if they can."""
    if setup.can_be_paid:
        return None
    if setup.other_method is not None:
        return (
            f"{UNCHECKED_METHOD_NAMES[setup.other_method.method]} recorded by finance but not "
            "checked yet by a second finance person"
        )
    if setup.paid_by is PaidBy.NOTHING:
        return "No bank details: the person has not given any yet"
    return (
        "Bank details given or changed and not yet confirmed by finance: confirm them under "
        "Bank details first"
    )


def setups_of(people: Iterable[User]) -> dict[int, PaymentSetup]:
    """``payment_setups`` for these people (each once), in a bounded number of queries."""
    unique = {person.id: person for person in people}
    return payment_setups(list(unique.values())) if unique else {}


@dataclass
class PayeeTotal:
    """One payee's claims in a run, and what they will be paid."""

    person: User
    claims: list[Claim] = field(default_factory=list)
    # Draft runs only: how the person is paid now, and why they cannot be, if so.
    setup: PaymentSetup | None = None
    problem: str | None = None

    @property
    def other_method(self) -> OtherPaymentMethod | None:
        """The confirmed other payment method the person is paid by (outside the bank file)."""
        if self.problem is None and self.setup is not None:
            return self.setup.other_method
        return None

    @property
    def fee_pence(self) -> int:
        """Fees (earnings) to pay."""
        return sum(claim.approved_fee_pence for claim in self.claims)

    @property
    def expenses_pence(self) -> int:
        """Expenses to pay back."""
        return sum(claim.approved_expenses_pence for claim in self.claims)

    @property
    def total_pence(self) -> int:
        """All to pay this person."""
        return self.fee_pence + self.expenses_pence


def payees(run: PaymentRun) -> list[PayeeTotal]:
    """The run's payees by name, each with their claims and totals; for a draft run also how
    each is paid now and any reason they cannot be (in a bounded number of queries)."""
    by_person: dict[int, PayeeTotal] = {}
    for item in run.items:
        claim = item.claim
        by_person.setdefault(claim.person_id, PayeeTotal(claim.person)).claims.append(claim)
    if run.is_draft:
        setups = setups_of(payee.person for payee in by_person.values())
        for person_id, payee in by_person.items():
            payee.setup = setups[person_id]
            payee.problem = payment_problem(payee.setup)
    return sorted(by_person.values(), key=lambda payee: (payee.person.name, payee.person.id))


@dataclass(frozen=True)
class OutsidePayment:
    """A payee paid by hand in another way (cheque...), not in the run's bank file."""

    name: str
    phrase: str
    details: str
    total_pence: int
    reference: str


def paid_outside_bank_file(
    run: PaymentRun, run_payees: Sequence[PayeeTotal]
) -> list[OutsidePayment]:
    """Who finance pays by hand: for a draft run, payees whose confirmed other payment method
    is current now; for a confirmed run, the slips issued for another method. By name."""
    outside: list[OutsidePayment] = []
    if run.is_draft:
        for payee in run_payees:
            method = payee.other_method
            if method is not None:
                outside.append(
                    OutsidePayment(
                        name=payee.person.name,
                        phrase=method.method.phrase,
                        details=method.details,
                        total_pence=payee.total_pence,
                        reference=slip_reference(run.id, payee.person.id),
                    )
                )
    else:
        for slip in run.slips:
            method = slip.other_payment_method
            if method is not None:
                outside.append(
                    OutsidePayment(
                        name=slip.person.name,
                        phrase=method.method.phrase,
                        details=method.details,
                        total_pence=slip.total_pence,
                        reference=slip.reference,
                    )
                )
        outside.sort(key=lambda payment: (payment.name, payment.reference))
    return outside
