"""Demo roles at every involvement level, training courses and records, and sign-ups.

Every state appears somewhere: draft, open and closed roles (one with a second published
version); sign-ups interested, accepted (one subject to training), waitlisted, declined and
withdrawn; training verified, self-declared, expiring soon and expired.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from payclaims.auth.models import User
from payclaims.costcentres.models import CostCentre
from payclaims.database import utc_now
from payclaims.dates import add_months, uk_today
from payclaims.demo.people import DEMO_DOMAIN, demo_person
from payclaims.extensions import db
from payclaims.roles.expenses import ExpenseCategory
from payclaims.roles.models import (
    FeeUnit,
    InvolvementLevel,
    LocationType,
    RoleDescription,
    RoleStatus,
    RoleVersion,
    SignUp,
    SignUpStatus,
)
from payclaims.training.models import TrainingCourse, TrainingEvidence, TrainingRecord
from payclaims.uploads import PDF

COST_CENTRES = (
    ("INV-001", "Involvement and co-production"),
    ("RC-200", "Recovery college"),
    ("QI-310", "Quality improvement"),
)
RECRUITMENT = "Recruitment and selection"
SAFEGUARDING = "Safeguarding level 1"
CO_PRODUCTION = "Co-production essentials"
COURSES = (
    (
        RECRUITMENT,
        "Fair interviewing, scoring answers, and what the law says about equal opportunities.",
        36,
    ),
    (
        SAFEGUARDING,
        "Spotting when someone may be at risk of harm, and who to tell.",
        12,
    ),
    (
        CO_PRODUCTION,
        "What co-production means, how we work as equal partners, and looking after yourself.",
        None,
    ),
)
# A tiny, valid PDF to stand for a scanned certificate.
CERTIFICATE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass
class DemoRole:
    """One demo role: its content, state and coordinator."""

    title: str
    status: RoleStatus
    cost_centre: str
    content: dict[str, Any]
    courses: tuple[str, ...] = ()
    coordinator: str = f"coordinator@{DEMO_DOMAIN}"
    closes_in_days: int = 28
    # Changes published after the first version, to show that sign-ups keep what they saw.
    second_version: dict[str, Any] = field(default_factory=dict)


ROLES = (
    DemoRole(
        title="Interview panel member",
        status=RoleStatus.OPEN,
        cost_centre="INV-001",
        courses=(RECRUITMENT,),
        content={
            "purpose": "Help us choose new staff for the community mental health team, so that "
            "the people we employ understand what good support feels like.",
            "activities": "Read the applications before the day, sit on the interview panel "
            "with two members of staff, ask your own questions and score the answers.",
            "level": InvolvementLevel.CO_PRODUCTION,
            "location_type": LocationType.IN_PERSON,
            "venue": "Riverside House, 1 Mill Lane, Riverside RV1 2AB",
            "venue_accessibility": "Step-free entrance and lift, accessible toilet, hearing "
            "loop in the interview room, quiet room available.",
            "time_commitment": "Interview days are usually once a month, on a weekday.",
            "session_minutes": 180,
            "fee_pence": 2000,
            "fee_unit": FeeUnit.HOUR,
            "expense_categories": [
                ExpenseCategory.PUBLIC_TRANSPORT,
                ExpenseCategory.MILEAGE,
                ExpenseCategory.PARKING,
                ExpenseCategory.MEALS,
            ],
            "support_offered": "Priya Shah is your named contact. You get a briefing before "
            "each interview day and a debrief afterwards.",
            "places": 3,
        },
        second_version={
            "time_commitment": "Interview days are usually twice a month, on a weekday.",
            "places": 4,
        },
    ),
    DemoRole(
        title="Recovery college co-trainer",
        status=RoleStatus.OPEN,
        cost_centre="RC-200",
        courses=(CO_PRODUCTION, SAFEGUARDING),
        closes_in_days=14,
        content={
            "purpose": "Co-deliver recovery college courses, sharing what has helped in your "
            "own recovery alongside a trainer with professional experience.",
            "activities": "Plan sessions with your co-trainer, lead parts of each session and "
            "help students take part.",
            "level": InvolvementLevel.CO_PRODUCTION,
            "location_type": LocationType.IN_PERSON,
            "venue": "Riverside Recovery College, 14 Station Road",
            "venue_accessibility": "Ground-floor classrooms, accessible toilet, a quiet space.",
            "time_commitment": "A 6-week course, one morning a week, from January.",
            "session_minutes": 180,
            "fee_pence": 7500,
            "fee_unit": FeeUnit.SESSION,
            "expense_categories": [
                ExpenseCategory.PUBLIC_TRANSPORT,
                ExpenseCategory.MILEAGE,
                ExpenseCategory.CHILDCARE,
                ExpenseCategory.PHONE_AND_STATIONERY,
            ],
            "support_offered": "A buddy who has co-trained before, planning time with your "
            "co-trainer, and a debrief after each session.",
            "places": 2,
        },
    ),
    DemoRole(
        title="Quality visit member",
        status=RoleStatus.OPEN,
        cost_centre="QI-310",
        courses=(SAFEGUARDING,),
        closes_in_days=5,
        content={
            "purpose": "Visit wards and community teams with staff to see services through the "
            "eyes of the people who use them.",
            "activities": "Talk with patients and staff during the visit, note what is good "
            "and what could be better, and help write the visit report.",
            "level": InvolvementLevel.CONSULTATION,
            "location_type": LocationType.IN_PERSON,
            "venue": "Wards and teams across the trust (we arrange transport if you need it)",
            "venue_accessibility": "Most sites are step-free; we tell you about each one "
            "before you go.",
            "time_commitment": "About one visit every two months, a morning or an afternoon.",
            "session_minutes": 240,
            "fee_pence": 5000,
            "fee_unit": FeeUnit.HALF_DAY,
            "expense_categories": [
                ExpenseCategory.PUBLIC_TRANSPORT,
                ExpenseCategory.TAXI,
                ExpenseCategory.MEALS,
            ],
            "support_offered": "You always visit with a member of staff, and there is a "
            "debrief after each visit.",
            "places": 6,
        },
    ),
    DemoRole(
        title="Committee member",
        status=RoleStatus.OPEN,
        cost_centre="INV-001",
        closes_in_days=21,
        content={
            "purpose": "Join the involvement committee, which decides how the trust involves "
            "people with lived experience and checks it keeps its promises.",
            "activities": "Read papers before each meeting, take part in discussions and "
            "decisions, and feed back from groups you are part of.",
            "level": InvolvementLevel.CO_DESIGN,
            "location_type": LocationType.REMOTE,
            "time_commitment": "A 2-hour online meeting every month, for a year.",
            "session_minutes": 120,
            "fee_pence": 4000,
            "fee_unit": FeeUnit.SESSION,
            "expense_categories": [ExpenseCategory.PHONE_AND_STATIONERY],
            "support_offered": "Papers a week in advance, a pre-meeting with the chair if you "
            "want one, and help with the technology.",
            "places": 8,
        },
    ),
    DemoRole(
        title="Reader panel",
        status=RoleStatus.OPEN,
        cost_centre="INV-001",
        closes_in_days=40,
        content={
            "purpose": "Check that our leaflets and letters are clear, kind and easy to read.",
            "activities": "Read drafts at home and tell us what is unclear or unhelpful.",
            "level": InvolvementLevel.INFORMATION,
            "location_type": LocationType.REMOTE,
            "time_commitment": "Whenever you like; about one document a month, 1 hour each.",
            "session_minutes": 60,
            "fee_pence": None,
            "fee_unit": None,
            "expense_categories": [ExpenseCategory.PHONE_AND_STATIONERY],
            "support_offered": "A named contact to ask questions, and large-print or audio "
            "versions on request.",
            "places": 20,
        },
    ),
    DemoRole(
        title="Peer research interviewer",
        status=RoleStatus.DRAFT,
        cost_centre="QI-310",
        courses=(SAFEGUARDING, CO_PRODUCTION),
        coordinator=f"coordinator2@{DEMO_DOMAIN}",
        content={
            "purpose": "Interview people about their experience of crisis care for a research "
            "project we are running with the local university.",
            "activities": "Take part in research training, carry out interviews in pairs, and "
            "help make sense of what people said.",
            "level": InvolvementLevel.CO_PRODUCTION,
            "location_type": LocationType.IN_PERSON,
            "venue": "Community venues across Riverside",
            "venue_accessibility": "We choose step-free venues and can meet your access needs.",
            "time_commitment": "About 10 interviews over 3 months, 2 hours each.",
            "session_minutes": 120,
            "fee_pence": 1800,
            "fee_unit": FeeUnit.HOUR,
            "expense_categories": [
                ExpenseCategory.PUBLIC_TRANSPORT,
                ExpenseCategory.MILEAGE,
                ExpenseCategory.SUPPORT_WORKER,
            ],
            "support_offered": "Research training, supervision from the research team and a "
            "debrief after every interview.",
            "places": 6,
        },
    ),
    DemoRole(
        title="Carers' strategy focus group",
        status=RoleStatus.CLOSED,
        cost_centre="INV-001",
        closes_in_days=-10,
        content={
            "purpose": "Tell us what carers need from the trust, to shape the new carers' "
            "strategy.",
            "activities": "Join one focus group and share your experience as a carer.",
            "level": InvolvementLevel.CONSULTATION,
            "location_type": LocationType.REMOTE,
            "time_commitment": "One 90-minute online session.",
            "session_minutes": 90,
            "fee_pence": 3000,
            "fee_unit": FeeUnit.SESSION,
            "expense_categories": [ExpenseCategory.REPLACEMENT_CARER],
            "support_offered": "A named contact and a follow-up call if you want one.",
            "places": 10,
        },
    ),
)


def seed_involvement() -> None:
    """Add the demo cost centres, courses, roles, records and sign-ups, once."""
    if db.session.scalar(select(CostCentre.id).where(CostCentre.code == COST_CENTRES[0][0])):
        return
    today = uk_today()
    cost_centres = {code: CostCentre(code=code, name=name) for code, name in COST_CENTRES}
    courses = {
        name: TrainingCourse(name=name, description=description, validity_months=months)
        for name, description, months in COURSES
    }
    db.session.add_all([*cost_centres.values(), *courses.values()])
    roles = {spec.title: _role(spec, cost_centres, courses, today) for spec in ROLES}
    db.session.add_all(roles.values())
    db.session.flush()
    _training_records(courses, today)
    _sign_ups(roles, today)
    db.session.commit()


def _role(
    spec: DemoRole,
    cost_centres: dict[str, CostCentre],
    courses: dict[str, TrainingCourse],
    today: date,
) -> RoleDescription:
    coordinator = demo_person(spec.coordinator)
    role = RoleDescription(
        status=spec.status,
        coordinator_id=coordinator.id,
        cost_centre=cost_centres[spec.cost_centre],
        created_by_id=coordinator.id,
    )
    published = spec.status is not RoleStatus.DRAFT
    contents = [spec.content]
    if spec.second_version:
        contents.append({**spec.content, **spec.second_version})
    for number, content in enumerate(contents, start=1):
        version = RoleVersion(
            number=number,
            title=spec.title,
            closing_on=today + timedelta(days=spec.closes_in_days),
            created_by_id=coordinator.id,
            published_at=utc_now() if published else None,
            published_by_id=coordinator.id if published else None,
            **{**content, "expense_categories": [str(c) for c in content["expense_categories"]]},
        )
        version.required_courses = [courses[name] for name in spec.courses]
        role.versions.append(version)
    return role


def _record(
    person: User,
    course: TrainingCourse,
    completed_on: date,
    *,
    verified_by: User | None,
    evidence: bool = False,
) -> TrainingRecord:
    months = course.validity_months
    record = TrainingRecord(
        person_id=person.id,
        course=course,
        completed_on=completed_on,
        expires_on=None if months is None else add_months(completed_on, months),
        recorded_by_id=(verified_by or person).id,
        is_verified=verified_by is not None,
        verified_by_id=verified_by.id if verified_by else None,
        verified_at=utc_now() if verified_by else None,
    )
    if evidence:
        record.evidence = TrainingEvidence(
            filename="certificate.pdf",
            content_type=PDF,
            size_bytes=len(CERTIFICATE_PDF),
            sha256=hashlib.sha256(CERTIFICATE_PDF).hexdigest(),
            content=CERTIFICATE_PDF,
        )
    return record


def _training_records(courses: dict[str, TrainingCourse], today: date) -> None:
    coordinator = demo_person(f"coordinator@{DEMO_DOMAIN}")
    sam = demo_person(f"expert@{DEMO_DOMAIN}")
    jordan = demo_person(f"jordan@{DEMO_DOMAIN}")
    amira = demo_person(f"amira@{DEMO_DOMAIN}")
    chris = demo_person(f"chris@{DEMO_DOMAIN}")
    bea = demo_person(f"bea@{DEMO_DOMAIN}")
    db.session.add_all(
        [
            # Verified and in date, with a certificate.
            _record(
                sam,
                courses[RECRUITMENT],
                today - timedelta(days=200),
                verified_by=coordinator,
                evidence=True,
            ),
            # Verified, but expires within 30 days.
            _record(
                sam,
                courses[SAFEGUARDING],
                add_months(today, -12) + timedelta(days=20),
                verified_by=coordinator,
            ),
            # Self-declared, awaiting verification.
            _record(
                sam,
                courses[CO_PRODUCTION],
                today - timedelta(days=10),
                verified_by=None,
                evidence=True,
            ),
            # Expired.
            _record(jordan, courses[SAFEGUARDING], add_months(today, -14), verified_by=coordinator),
            _record(
                jordan, courses[CO_PRODUCTION], today - timedelta(days=400), verified_by=coordinator
            ),
            _record(
                amira, courses[RECRUITMENT], today - timedelta(days=30), verified_by=coordinator
            ),
            _record(
                chris, courses[SAFEGUARDING], today - timedelta(days=90), verified_by=coordinator
            ),
            _record(bea, courses[SAFEGUARDING], today - timedelta(days=5), verified_by=None),
        ]
    )


def _sign_ups(roles: dict[str, RoleDescription], today: date) -> None:
    coordinator = demo_person(f"coordinator@{DEMO_DOMAIN}")

    def sign_up(
        title: str, email: str, status: SignUpStatus, *, first_version: bool = False, **extra: Any
    ) -> SignUp:
        role = roles[title]
        version = role.versions[0] if first_version else role.versions[-1]
        decided = status is not SignUpStatus.INTERESTED and status is not SignUpStatus.WITHDRAWN
        return SignUp(
            role_id=role.id,
            version_id=version.id,
            person_id=demo_person(email).id,
            status=status,
            decided_at=utc_now() if decided else None,
            decided_by_id=coordinator.id if decided else None,
            **extra,
        )

    sam, jordan, amira = (f"{n}@{DEMO_DOMAIN}" for n in ("expert", "jordan", "amira"))
    chris, bea = (f"{n}@{DEMO_DOMAIN}" for n in ("chris", "bea"))
    db.session.add_all(
        [
            sign_up(
                "Interview panel member",
                sam,
                SignUpStatus.ACCEPTED,
                first_version=True,
                message="I was on a panel at my last trust and enjoyed it.",
                decision_message="Thank you, Sam. We will send the dates soon.",
            ),
            sign_up(
                "Interview panel member",
                amira,
                SignUpStatus.INTERESTED,
                access_needs="I need breaks every hour and the questions in advance.",
            ),
            sign_up(
                "Recovery college co-trainer",
                sam,
                SignUpStatus.INTERESTED,
                message="I would like to co-train the 'Understanding anxiety' course.",
            ),
            sign_up(
                "Recovery college co-trainer",
                jordan,
                SignUpStatus.ACCEPTED,
                is_subject_to_training=True,
                decision_message="Welcome aboard. Please book safeguarding training "
                "before the first session.",
            ),
            sign_up("Committee member", chris, SignUpStatus.ACCEPTED),
            sign_up(
                "Committee member",
                sam,
                SignUpStatus.WAITLISTED,
                decision_message="The committee is full for now; you are first on the "
                "waiting list.",
            ),
            sign_up(
                "Quality visit member",
                bea,
                SignUpStatus.WAITLISTED,
                access_needs="Step-free access, please.",
            ),
            sign_up(
                "Carers' strategy focus group",
                sam,
                SignUpStatus.DECLINED,
                decision_message="Thank you for offering. This group was for people "
                "caring for someone; we will tell you about the next one.",
            ),
            sign_up("Reader panel", sam, SignUpStatus.WITHDRAWN),
            sign_up("Reader panel", bea, SignUpStatus.ACCEPTED),
        ]
    )
