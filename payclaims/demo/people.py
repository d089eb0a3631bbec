"""Demo people: one sign-in per role, and more experts by experience for the sign-ups."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from payclaims.audit.models import AuditAction
from payclaims.audit.services import record_event
from payclaims.auth.models import Role, User, UserRole
from payclaims.auth.services import check_password, set_password
from payclaims.database import utc_now
from payclaims.extensions import db
from payclaims.people.models import OtherPaymentMethod, PaymentMethod

DEMO_DOMAIN = "demo.payclaims.test"


@dataclass(frozen=True)
class DemoPerson:
    """One demo sign-in."""

    email: str
    name: str
    roles: tuple[Role, ...]


DEMO_PEOPLE = (
    DemoPerson(f"expert@{DEMO_DOMAIN}", "Sam Okafor", (Role.EXPERT,)),
    DemoPerson(f"coordinator@{DEMO_DOMAIN}", "Priya Shah", (Role.COORDINATOR,)),
    DemoPerson(f"finance@{DEMO_DOMAIN}", "Tom Becker", (Role.FINANCE_APPROVER,)),
    DemoPerson(f"finance-admin@{DEMO_DOMAIN}", "Grace Mensah", (Role.FINANCE_ADMIN,)),
    DemoPerson(f"admin@{DEMO_DOMAIN}", "Alex Morgan", (Role.ADMIN,)),
    # More people, so that roles have sign-ups in every state.
    DemoPerson(f"jordan@{DEMO_DOMAIN}", "Jordan Lee", (Role.EXPERT,)),
    DemoPerson(f"amira@{DEMO_DOMAIN}", "Amira Haddad", (Role.EXPERT,)),
    DemoPerson(f"chris@{DEMO_DOMAIN}", "Chris Walker", (Role.EXPERT,)),
    DemoPerson(f"bea@{DEMO_DOMAIN}", "Bea Novak", (Role.EXPERT,)),
    DemoPerson(f"coordinator2@{DEMO_DOMAIN}", "Daniel Osei", (Role.COORDINATOR,)),
    # A second finance approver, for claims above a cost centre's single-approver limit.
    DemoPerson(f"finance2@{DEMO_DOMAIN}", "Ruth Adeyemi", (Role.FINANCE_APPROVER,)),
)


def demo_person(email: str) -> User:
    """The demo person with this email address (they must have been seeded)."""
    user: User | None = db.session.scalar(select(User).where(User.email == email))
    assert user is not None, f"demo person {email} missing"
    return user


class DemoRefused(Exception):
    """Demo data may not be loaded here."""


def demo_loaded() -> bool:
    """Whether the demo people exist already."""
    return db.session.scalar(select(User.id).where(User.email == DEMO_PEOPLE[0].email)) is not None


def seed_people(password: str) -> list[DemoPerson]:
    """Create the demo people with ``password`` (once); refuse in production. Return who was made.

    Running it again creates nothing, but resets a demo person's password if it differs.
    """
    if current_app.config["ENVIRONMENT"] == "production" and not current_app.testing:
        raise DemoRefused(
            "Demo data is refused in production (ENVIRONMENT is 'production'). "
            "Set ENVIRONMENT to 'development' for a demo installation."
        )
    created = []
    for person in DEMO_PEOPLE:
        existing = db.session.scalar(select(User).where(User.email == person.email))
        if existing is not None:
            # Loaded before: only make sure the demo password printed for it works.
            if not check_password(existing.password_hash, password):
                set_password(existing, password)
                record_event(
                    AuditAction.PASSWORD_RESET,
                    actor=None,
                    subject=existing,
                    detail="demo password set by seed-demo",
                )
            continue
        user = User(name=person.name, email=person.email, email_verified_at=utc_now())
        set_password(user, password)
        user.role_grants.extend(UserRole(role=role) for role in person.roles)
        db.session.add(user)
        db.session.flush()
        record_event(AuditAction.ACCOUNT_CREATED, actor=None, subject=user, detail="seed-demo")
        created.append(person)
    db.session.commit()
    return created


def seed_payment_methods() -> None:
    """Chris has no bank account: finance pays him by cheque (recorded once by the finance
    admin, and checked by the finance approver: four eyes)."""
    person = demo_person(f"chris@{DEMO_DOMAIN}")
    if db.session.scalar(
        select(OtherPaymentMethod.id).where(OtherPaymentMethod.person_id == person.id)
    ):
        return
    finance_admin = demo_person(f"finance-admin@{DEMO_DOMAIN}")
    approver = demo_person(f"finance@{DEMO_DOMAIN}")
    method = OtherPaymentMethod(
        person_id=person.id,
        method=PaymentMethod.CHEQUE,
        details="Posted to his home address",
        reason="No bank account. Agreed with Chris by phone.",
        recorded_by_id=finance_admin.id,
        confirmed_at=utc_now(),
        confirmed_by_id=approver.id,
    )
    db.session.add(method)
    db.session.flush()
    record_event(
        AuditAction.PAYMENT_METHOD_RECORDED,
        actor=finance_admin,
        subject=person,
        detail="Cheque (Posted to his home address). Reason: seed-demo",
        about=("other_payment_method", method.id),
    )
    record_event(
        AuditAction.PAYMENT_METHOD_CONFIRMED,
        actor=approver,
        subject=person,
        detail="Cheque (Posted to his home address). seed-demo",
        about=("other_payment_method", method.id),
    )
