"""Demo benefits profiles: Sam gets Universal Credit (the lower work allowance), Jordan gets
Carer's Allowance with some other weekly earnings; so the claim form and what-if page have
something to show. Loading twice creates nothing new."""

from __future__ import annotations

from sqlalchemy import select

from payclaims.benefits.engine.types import WeekStart
from payclaims.benefits.profile.models import BenefitProfile
from payclaims.demo.people import DEMO_DOMAIN, demo_person
from payclaims.extensions import db

DEMO_PROFILES: dict[str, dict[str, object]] = {
    f"expert@{DEMO_DOMAIN}": {
        "gets_universal_credit": True,
        "uc_assessment_period_start_day": 14,
        "uc_child_or_lcw": True,
        "uc_housing_costs": True,
        "gets_pip": True,
    },
    f"jordan@{DEMO_DOMAIN}": {
        "gets_carers_allowance": True,
        "carers_other_weekly_earnings_pence": 12000,
        "week_start": WeekStart.WEDNESDAY,
    },
}


def seed_benefit_profiles() -> None:
    """Give the demo people above their benefits profile, once."""
    for email, values in DEMO_PROFILES.items():
        person = demo_person(email)
        exists = db.session.scalar(
            select(BenefitProfile.id).where(BenefitProfile.person_id == person.id)
        )
        if exists is None:
            db.session.add(BenefitProfile(person_id=person.id, **values))
    db.session.flush()
