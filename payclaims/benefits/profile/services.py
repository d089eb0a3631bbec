"""Benefits profile use cases: reading, saving and deleting one's own profile, the profile as the
engine takes it, and the default fee choice it gives new claims (finance staff read a claimant's
profile through ``payclaims/approvals/finance_profiles.py``).

Audit entries say only that the profile was changed, deleted or seen: never which benefits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select

from payclaims.audit.models import AuditAction
from payclaims.audit.services import record_event
from payclaims.auth.models import Role, User
from payclaims.benefits.engine.types import (
    Benefit,
    CarersAllowance,
    Disregard,
    Esa,
    HousingBenefit,
    PensionCredit,
    Profile,
    UniversalCredit,
    WeekStart,
)
from payclaims.benefits.profile.models import (
    BENEFIT_COLUMNS,
    BenefitProfile,
    FeeChoice,
    work_allowance_for,
)
from payclaims.database import utc_now
from payclaims.errors import DomainError, PermissionDenied
from payclaims.extensions import db

MAX_WEEKLY_EARNINGS_PENCE = 100_000_00


@dataclass(frozen=True)
class ProfileAnswers:
    """What the person answered on the profile form."""

    benefits: frozenset[Benefit] = frozenset()
    uc_assessment_period_start_day: int | None = None
    uc_child_or_lcw: bool | None = None
    uc_housing_costs: bool | None = None
    esa_supported_permitted_work: bool = False
    carers_other_weekly_earnings_pence: int = 0
    pension_credit_disregard: Disregard | None = None
    housing_benefit_disregard: Disregard | None = None
    week_start: WeekStart = WeekStart.MONDAY
    default_fee_choice: FeeChoice = FeeChoice.FULL


def profile_of(person_id: int) -> BenefitProfile | None:
    """The person's benefits profile, if they have given one."""
    return db.session.scalar(select(BenefitProfile).where(BenefitProfile.person_id == person_id))


def engine_profile(profile: BenefitProfile | ProfileAnswers) -> Profile:
    """The profile (stored, or typed on the what-if page) as the benefits engine takes it."""
    if isinstance(profile, BenefitProfile):
        benefits = frozenset(profile.benefits)
        answers = ProfileAnswers(
            benefits=benefits,
            uc_assessment_period_start_day=profile.uc_assessment_period_start_day,
            uc_child_or_lcw=profile.uc_child_or_lcw,
            uc_housing_costs=profile.uc_housing_costs,
            esa_supported_permitted_work=profile.esa_supported_permitted_work,
            carers_other_weekly_earnings_pence=profile.carers_other_weekly_earnings_pence,
            pension_credit_disregard=profile.pension_credit_disregard,
            housing_benefit_disregard=profile.housing_benefit_disregard,
            week_start=profile.week_start,
        )
    else:
        answers = profile
    gets = answers.benefits.__contains__
    uc = None
    if gets(Benefit.UNIVERSAL_CREDIT):
        uc = UniversalCredit(
            assessment_period_start_day=answers.uc_assessment_period_start_day or 1,
            work_allowance=work_allowance_for(answers.uc_child_or_lcw, answers.uc_housing_costs),
        )
    return Profile(
        universal_credit=uc,
        esa=Esa(answers.esa_supported_permitted_work) if gets(Benefit.ESA) else None,
        carers_allowance=CarersAllowance(answers.carers_other_weekly_earnings_pence)
        if gets(Benefit.CARERS_ALLOWANCE)
        else None,
        pension_credit=PensionCredit(answers.pension_credit_disregard or Disregard.SINGLE)
        if gets(Benefit.PENSION_CREDIT)
        else None,
        housing_benefit=HousingBenefit(answers.housing_benefit_disregard or Disregard.SINGLE)
        if gets(Benefit.HOUSING_BENEFIT)
        else None,
        council_tax_reduction=gets(Benefit.COUNCIL_TAX_REDUCTION),
        pip=gets(Benefit.PIP),
        dla=gets(Benefit.DLA),
        attendance_allowance=gets(Benefit.ATTENDANCE_ALLOWANCE),
        week_start=answers.week_start,
    )


def default_fee_choice(person_id: int) -> FeeChoice:
    """How a new claim of the person starts: their profile's choice, or the full fee."""
    profile = profile_of(person_id)
    return FeeChoice.FULL if profile is None else profile.default_fee_choice


def answer_problems(answers: ProfileAnswers) -> list[DomainError]:
    """Follow-up questions left unanswered for the benefits chosen, each under its field."""
    problems: list[DomainError] = []
    if Benefit.UNIVERSAL_CREDIT in answers.benefits:
        day = answers.uc_assessment_period_start_day
        if day is None or not 1 <= day <= 31:
            problems.append(
                DomainError(
                    "Enter the day your Universal Credit assessment period starts, "
                    "a number from 1 to 31",
                    field="uc_start_day",
                )
            )
        if answers.uc_child_or_lcw is None:
            problems.append(
                DomainError(
                    "Select yes if you are responsible for a child or have limited "
                    "capability for work",
                    field="uc_child_or_lcw",
                )
            )
        if answers.uc_child_or_lcw and answers.uc_housing_costs is None:
            problems.append(
                DomainError(
                    "Select yes if your Universal Credit pays towards your housing costs",
                    field="uc_housing_costs",
                )
            )
    if Benefit.PENSION_CREDIT in answers.benefits and answers.pension_credit_disregard in (
        None,
        Disregard.LONE_PARENT,
    ):
        problems.append(
            DomainError("Select which describes you for Pension Credit", field="pension_credit")
        )
    if Benefit.HOUSING_BENEFIT in answers.benefits and answers.housing_benefit_disregard is None:
        problems.append(
            DomainError("Select which describes you for Housing Benefit", field="housing_benefit")
        )
    earnings = answers.carers_other_weekly_earnings_pence
    if earnings < 0 or earnings > MAX_WEEKLY_EARNINGS_PENCE:
        problems.append(
            DomainError("Enter your other weekly earnings, like 40.00", field="carers_earnings")
        )
    return problems


def _require_own(person: User, actor: User) -> None:
    if actor.id != person.id or not actor.is_active or not actor.has_role(Role.EXPERT):
        raise PermissionDenied("Only the person can change their benefits profile.")


def save_profile(
    person: User, *, actor: User, answers: ProfileAnswers, ip_address: str | None
) -> BenefitProfile:
    """Create or change the person's own profile; audited as changed, never with the answers."""
    _require_own(person, actor)
    problems = answer_problems(answers)
    if problems:
        raise problems[0]
    profile = profile_of(person.id)
    created = profile is None
    if profile is None:
        profile = BenefitProfile(person_id=person.id)
        db.session.add(profile)
    for benefit, column in BENEFIT_COLUMNS.items():
        setattr(profile, column, benefit in answers.benefits)
    gets = answers.benefits.__contains__
    uc = gets(Benefit.UNIVERSAL_CREDIT)
    profile.uc_assessment_period_start_day = answers.uc_assessment_period_start_day if uc else None
    profile.uc_child_or_lcw = answers.uc_child_or_lcw if uc else None
    profile.uc_housing_costs = answers.uc_housing_costs if uc and answers.uc_child_or_lcw else None
    profile.esa_supported_permitted_work = gets(Benefit.ESA) and (
        answers.esa_supported_permitted_work
    )
    profile.carers_other_weekly_earnings_pence = (
        answers.carers_other_weekly_earnings_pence if gets(Benefit.CARERS_ALLOWANCE) else 0
    )
    profile.pension_credit_disregard = (
        answers.pension_credit_disregard if gets(Benefit.PENSION_CREDIT) else None
    )
    profile.housing_benefit_disregard = (
        answers.housing_benefit_disregard if gets(Benefit.HOUSING_BENEFIT) else None
    )
    profile.week_start = answers.week_start
    profile.default_fee_choice = answers.default_fee_choice
    profile.updated_at = utc_now()
    record_event(
        AuditAction.BENEFITS_PROFILE_CHANGED,
        actor=actor,
        subject=person,
        ip_address=ip_address,
        detail="Benefits profile created" if created else "Benefits profile changed",
    )
    db.session.commit()
    return profile


def delete_profile(person: User, *, actor: User, ip_address: str | None) -> bool:
    """Delete the person's own profile for good; audited. False if there was none."""
    _require_own(person, actor)
    result = db.session.execute(
        delete(BenefitProfile)
        .where(BenefitProfile.person_id == person.id)
        .execution_options(synchronize_session="fetch")
    )
    deleted = cast(CursorResult[Any], result).rowcount > 0
    if deleted:
        record_event(
            AuditAction.BENEFITS_PROFILE_DELETED,
            actor=actor,
            subject=person,
            ip_address=ip_address,
            detail="Benefits profile deleted",
        )
    db.session.commit()
    return deleted
