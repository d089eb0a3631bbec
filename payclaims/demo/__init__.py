"""Demo data for trying payclaims out: people, then roles, training and sign-ups.

Never loaded in production. Loading twice creates nothing new.
"""

from __future__ import annotations

from payclaims.demo.approvals import seed_approvals
from payclaims.demo.benefits import seed_benefit_profiles
from payclaims.demo.claims import seed_claims
from payclaims.demo.involvement import seed_involvement
from payclaims.demo.payments import seed_payments
from payclaims.demo.people import (
    DEMO_DOMAIN,
    DEMO_PEOPLE,
    DemoPerson,
    DemoRefused,
    seed_payment_methods,
    seed_people,
)
from payclaims.extensions import db

__all__ = ["DEMO_DOMAIN", "DEMO_PEOPLE", "DemoPerson", "DemoRefused", "seed_demo"]


def seed_demo(password: str) -> list[DemoPerson]:
    """Load every part of the demo (refused in production); return the people it created."""
    created = seed_people(password)
    seed_payment_methods()
    seed_benefit_profiles()
    seed_involvement()
    runs = seed_claims()
    db.session.flush()
    seed_approvals()
    db.session.commit()
    # The payments services commit for themselves, as in the app.
    seed_payments(runs)
    return created
