"""Time "My claims" and a claim page with 100,000 claims; write the figures to docs/benchmarks.md.

Run: .venv/bin/python bench/claims_pages.py  (SQLite in a temporary folder; nothing else needed)

Seeds 5,000 experts with 20 claims each (1-5 fee lines and the history of each claim, in a mix
of statuses) straight into the tables with SQLAlchemy Core, then requests both pages through the
Flask test client, signed in through the sign-in form, and counts the SQL statements each runs.
Issue 4 asks for a p95 under 50 ms on each page.
"""

from __future__ import annotations

import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import Table, event, func, insert, select  # noqa: E402

from bench.sections import replace_section  # noqa: E402
from payclaims import create_app  # noqa: E402
from payclaims.auth.models import Role, User, UserRole  # noqa: E402
from payclaims.auth.passwords import hash_password  # noqa: E402
from payclaims.benefits.profile.models import FeeChoice  # noqa: E402
from payclaims.claims.models import (  # noqa: E402
    Claim,
    ClaimEvent,
    ClaimLine,
    ClaimStatus,
    LineKind,
)
from payclaims.costcentres.models import CostCentre  # noqa: E402
from payclaims.extensions import db  # noqa: E402
from payclaims.roles.models import (  # noqa: E402
    FeeUnit,
    InvolvementLevel,
    LocationType,
    RoleDescription,
    RoleStatus,
    RoleVersion,
    SignUp,
    SignUpStatus,
)

PASSWORD = "kettle river purple socks"
PEOPLE = 5_000
CLAIMS_EACH = 20
COORDINATORS = 5
COST_CENTRES = 5
ROLES = 40
SIGN_UPS_EACH = 2
BATCH = 10_000
WARM_UP = 10
ROUNDS = 300
TARGET_P95_MS = 50.0
NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date()
# How the 100,000 claims are spread over the statuses (older claims are mostly paid).
STATUS_WEIGHTS = {
    ClaimStatus.PAID: 50,
    ClaimStatus.SCHEDULED: 4,
    ClaimStatus.APPROVED: 5,
    ClaimStatus.VERIFIED: 6,
    ClaimStatus.SUBMITTED: 10,
    ClaimStatus.RETURNED: 5,
    ClaimStatus.REJECTED: 3,
    ClaimStatus.WITHDRAWN: 5,
    ClaimStatus.DRAFT: 12,
}
# The statuses a claim went through to reach each one (each step is one ClaimEvent).
PATHS = {
    ClaimStatus.DRAFT: [ClaimStatus.DRAFT],
    ClaimStatus.SUBMITTED: [ClaimStatus.DRAFT, ClaimStatus.SUBMITTED],
    ClaimStatus.VERIFIED: [ClaimStatus.DRAFT, ClaimStatus.SUBMITTED, ClaimStatus.VERIFIED],
    ClaimStatus.APPROVED: [
        ClaimStatus.DRAFT,
        ClaimStatus.SUBMITTED,
        ClaimStatus.VERIFIED,
        ClaimStatus.APPROVED,
    ],
    ClaimStatus.SCHEDULED: [
        ClaimStatus.DRAFT,
        ClaimStatus.SUBMITTED,
        ClaimStatus.VERIFIED,
        ClaimStatus.APPROVED,
        ClaimStatus.SCHEDULED,
    ],
    ClaimStatus.PAID: [
        ClaimStatus.DRAFT,
        ClaimStatus.SUBMITTED,
        ClaimStatus.VERIFIED,
        ClaimStatus.APPROVED,
        ClaimStatus.SCHEDULED,
        ClaimStatus.PAID,
    ],
    ClaimStatus.RETURNED: [ClaimStatus.DRAFT, ClaimStatus.SUBMITTED, ClaimStatus.RETURNED],
    ClaimStatus.REJECTED: [ClaimStatus.DRAFT, ClaimStatus.SUBMITTED, ClaimStatus.REJECTED],
    ClaimStatus.WITHDRAWN: [ClaimStatus.DRAFT, ClaimStatus.SUBMITTED, ClaimStatus.WITHDRAWN],
}
DESCRIPTIONS = ["Interview panel", "Steering group", "Reading group", "Training day", "Survey"]


def table(model: Any) -> Table:
    """The Core table behind a model."""
    core: Table = model.__table__
    return core


def bulk(table_: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` in batches of ``BATCH`` (executemany through Core; no ORM objects)."""
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(table_), rows[start : start + BATCH])


def seed(rng: random.Random) -> dict[str, int]:
    """Fill the database; return how many rows went into each table."""
    password_hash = hash_password(PASSWORD, "scrypt")  # hashed once, shared by everyone
    centres = [
        {"id": n, "code": f"CC{n:03d}", "name": f"Cost centre {n}", "created_at": NOW}
        for n in range(1, COST_CENTRES + 1)
    ]
    bulk(table(CostCentre), centres)

    users: list[dict[str, Any]] = []
    grants: list[dict[str, Any]] = []
    coordinator_ids = list(range(1, COORDINATORS + 1))
    for user_id in coordinator_ids:
        users.append(
            _user(user_id, f"coordinator{user_id}", f"Coordinator {user_id}", password_hash)
        )
        grants.append({"user_id": user_id, "role": Role.COORDINATOR, "granted_at": NOW})
    person_ids = list(range(COORDINATORS + 1, COORDINATORS + PEOPLE + 1))
    for user_id in person_ids:
        users.append(_user(user_id, f"expert{user_id}", f"Expert {user_id}", password_hash))
        grants.append({"user_id": user_id, "role": Role.EXPERT, "granted_at": NOW})
    bulk(table(User), users)
    bulk(table(UserRole), grants)

    # Roles: each has a first version published a year ago; half have a second, with a new fee,
    # published three months ago (so lines carry rates from either version).
    roles: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    role_versions: dict[int, list[tuple[int, int, date]]] = {}
    for role_id in range(1, ROLES + 1):
        coordinator_id = coordinator_ids[role_id % COORDINATORS]
        roles.append(
            {
                "id": role_id,
                "status": RoleStatus.OPEN,
                "coordinator_id": coordinator_id,
                "cost_centre_id": 1 + role_id % COST_CENTRES,
                "created_by_id": coordinator_id,
                "created_at": NOW - timedelta(days=400),
            }
        )
        hourly = role_id % 3 != 0
        published = [NOW - timedelta(days=365)]
        if role_id % 2 == 0:
            published.append(NOW - timedelta(days=90))
        for number, published_at in enumerate(published, start=1):
            version_id = len(versions) + 1
            fee = (2000 if hourly else 9000) + 500 * (number - 1)
            versions.append(
                _version(version_id, role_id, number, coordinator_id, published_at, fee, hourly)
            )
            role_versions.setdefault(role_id, []).append((version_id, fee, published_at.date()))
    bulk(table(RoleDescription), roles)
    bulk(table(RoleVersion), versions)

    sign_ups: list[dict[str, Any]] = []
    person_sign_ups: dict[int, list[tuple[int, int]]] = {}
    for person_id in person_ids:
        for role_id in rng.sample(range(1, ROLES + 1), SIGN_UPS_EACH):
            sign_up_id = len(sign_ups) + 1
            sign_ups.append(
                {
                    "id": sign_up_id,
                    "role_id": role_id,
                    "version_id": role_versions[role_id][0][0],
                    "person_id": person_id,
                    "status": SignUpStatus.ACCEPTED,
                    "message": "",
                    "access_needs": "",
                    "decision_message": "",
                    "is_subject_to_training": False,
                    "places_override_reason": "",
                    "created_at": NOW - timedelta(days=380),
                    "decided_at": NOW - timedelta(days=379),
                    "decided_by_id": coordinator_ids[role_id % COORDINATORS],
                }
            )
            person_sign_ups.setdefault(person_id, []).append((sign_up_id, role_id))
    bulk(table(SignUp), sign_ups)

    claims: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    for person_id in person_ids:
        for _ in range(CLAIMS_EACH):
            claim_id = len(claims) + 1
            sign_up_id, role_id = rng.choice(person_sign_ups[person_id])
            coordinator_id = coordinator_ids[role_id % COORDINATORS]
            status = rng.choices(statuses, weights)[0]
            # Coordinators start and send about one claim in twenty for the person.
            by_coordinator = rng.random() < 0.05
            actor_id = coordinator_id if by_coordinator else person_id
            created_at = NOW - timedelta(days=rng.randint(1, 360), minutes=rng.randint(0, 1440))
            path = PATHS[status]
            sent = ClaimStatus.SUBMITTED in path
            submitted_at = created_at + timedelta(days=1) if sent else None
            fee_choice = rng.choices(list(FeeChoice), [90, 5, 5])[0]
            claims.append(
                {
                    "id": claim_id,
                    "person_id": person_id,
                    "sign_up_id": sign_up_id,
                    "role_id": role_id,
                    "status": status,
                    "version": 1 + len(path),
                    "fee_choice": fee_choice,
                    "reduced_fee_pence": 1000 if fee_choice is FeeChoice.REDUCED else None,
                    "fee_choice_made_at": created_at,
                    "declaration_at": submitted_at,
                    "submitted_at": submitted_at,
                    "submitted_by_id": actor_id if sent else None,
                    "created_by_id": actor_id,
                    "created_at": created_at,
                    "is_late": rng.random() < 0.02,
                    "return_reason": (
                        "Please add the date of the second session."
                        if status is ClaimStatus.RETURNED
                        else ""
                    ),
                }
            )
            for _ in range(rng.randint(1, 5)):
                session_on = (created_at - timedelta(days=rng.randint(1, 60))).date()
                version_id, rate, _published_on = next(
                    (v for v in reversed(role_versions[role_id]) if v[2] <= session_on),
                    role_versions[role_id][0],
                )
                hundredths = rng.choice((100, 150, 200, 300, 350)) if role_id % 3 else 100
                prep = rng.choice((None, None, 30, 60)) if role_id % 3 else None
                amount = rate * hundredths // 100 + (rate * prep // 60 if prep else 0)
                lines.append(
                    {
                        "claim_id": claim_id,
                        "kind": LineKind.FEE,
                        "category": None,
                        "session_on": session_on,
                        "description": rng.choice(DESCRIPTIONS),
                        "units_hundredths": hundredths,
                        "rate_pence": rate,
                        "rate_version_id": version_id,
                        "prep_minutes": prep,
                        "amount_pence": amount,
                        "is_earnings_like": True,
                        "created_at": created_at,
                    }
                )
            previous = None
            for step, to_status in enumerate(path):
                staff_step = to_status not in (ClaimStatus.DRAFT, ClaimStatus.SUBMITTED)
                if to_status is ClaimStatus.WITHDRAWN:
                    staff_step = False
                event_actor = coordinator_id if staff_step else actor_id
                events.append(
                    {
                        "claim_id": claim_id,
                        "actor_id": event_actor,
                        "on_behalf_of_id": None if event_actor == person_id else person_id,
                        "from_status": previous,
                        "to_status": to_status,
                        "note": (
                            claims[-1]["return_reason"] if to_status is ClaimStatus.RETURNED else ""
                        ),
                        "occurred_at": created_at + timedelta(days=step),
                    }
                )
                previous = to_status
    bulk(table(Claim), claims)
    bulk(table(ClaimLine), lines)
    bulk(table(ClaimEvent), events)
    db.session.commit()
    return {
        "users": len(users),
        "roles": len(roles),
        "role versions": len(versions),
        "sign-ups": len(sign_ups),
        "claims": len(claims),
        "claim lines": len(lines),
        "claim events": len(events),
    }


def _user(user_id: int, local: str, name: str, password_hash: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "email": f"{local}@bench.payclaims.test",
        "name": name,
        "password_hash": password_hash,
        "email_verified_at": NOW,
        "is_active": True,
        "session_token": f"bench-session-{user_id}",
        "failed_sign_in_count": 0,
        "created_at": NOW - timedelta(days=400),
    }


def _version(
    version_id: int,
    role_id: int,
    number: int,
    coordinator_id: int,
    published_at: datetime,
    fee: int,
    hourly: bool,
) -> dict[str, Any]:
    return {
        "id": version_id,
        "role_id": role_id,
        "number": number,
        "title": f"Involvement role {role_id}",
        "purpose": "Help shape the service.",
        "activities": "Take part in meetings and read papers.",
        "level": InvolvementLevel.CO_PRODUCTION,
        "location_type": LocationType.IN_PERSON,
        "venue": "Riverside House, 1 Mill Lane",
        "venue_accessibility": "Step-free entrance.",
        "time_commitment": "Monthly",
        "session_minutes": 180,
        "fee_pence": fee,
        "fee_unit": FeeUnit.HOUR if hourly else FeeUnit.SESSION,
        "expense_categories": ["public_transport", "mileage"],
        "support_offered": "A named contact.",
        "places": 500,
        "closing_on": TODAY + timedelta(days=365),
        "created_at": published_at,
        "created_by_id": coordinator_id,
        "published_at": published_at,
        "published_by_id": coordinator_id,
    }


@contextmanager
def counting(app: Flask) -> Iterator[list[str]]:
    """Collect the SQL statements run meanwhile."""
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def collect(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", collect)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", collect)


def timed(action: Callable[[], object]) -> tuple[float, float]:
    """Median and 95th percentile of ``action`` in milliseconds, after a warm-up."""
    for _ in range(WARM_UP):
        action()
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def pick_people(app: Flask) -> list[tuple[str, int, int, int]]:
    """(label, person id, claim id to open, line count) for a typical person and the busiest.

    The claim opened is the person's claim with the most lines (then the longest history).
    """
    with app.app_context():
        most_lines = db.session.execute(
            select(Claim.person_id, func.count(ClaimLine.id).label("n"))
            .join(ClaimLine, ClaimLine.claim_id == Claim.id)
            .group_by(Claim.person_id)
            .order_by(func.count(ClaimLine.id).desc(), Claim.person_id)
            .limit(1)
        ).one()
        typical_id = COORDINATORS + PEOPLE // 2
        picked = []
        for label, person_id in (
            ("a person with 20 claims", typical_id),
            ("the person with the most lines", most_lines.person_id),
        ):
            line_counts = (
                select(func.count())
                .where(ClaimLine.claim_id == Claim.id)
                .correlate(Claim)
                .scalar_subquery()
            )
            event_counts = (
                select(func.count())
                .where(ClaimEvent.claim_id == Claim.id)
                .correlate(Claim)
                .scalar_subquery()
            )
            claim_id = db.session.scalar(
                select(Claim.id)
                .where(Claim.person_id == person_id)
                .order_by(line_counts.desc(), event_counts.desc(), Claim.id)
                .limit(1)
            )
            total_lines = db.session.scalar(
                select(func.count(ClaimLine.id))
                .join(Claim, ClaimLine.claim_id == Claim.id)
                .where(Claim.person_id == person_id)
            )
            assert claim_id is not None and total_lines is not None
            picked.append((label, person_id, claim_id, total_lines))
        return picked


def main() -> None:
    """Seed and measure in a temporary folder (the 80 MB database goes with it)."""
    with tempfile.TemporaryDirectory() as folder:
        run(Path(folder))


def run(folder: Path) -> None:
    """Seed, measure, and write this script's section of docs/benchmarks.md."""
    started = time.perf_counter()
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite'}",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "MAIL_BACKEND": "locmem",
        },
        instance_path=str(folder),
    )
    rng = random.Random(4)  # noqa: S311 - seeded sample data, not secrets
    with app.app_context():
        upgrade()
        seed_start = time.perf_counter()
        sizes = seed(rng)
        seed_seconds = time.perf_counter() - seed_start
    print(f"Seeded in {seed_seconds:.1f} s: " + ", ".join(f"{n:,} {k}" for k, n in sizes.items()))

    rows = []
    for label, person_id, claim_id, total_lines in pick_people(app):
        client = app.test_client()
        response = client.post(
            "/sign-in",
            data={"email": f"expert{person_id}@bench.payclaims.test", "password": PASSWORD},
        )
        assert response.status_code == 302, response.status_code
        for path in ("/my-claims", f"/claims/{claim_id}"):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            if path == "/my-claims":  # the whole list is there, not an empty page
                shown = response.get_data(as_text=True).count('href="/claims/')
                assert shown >= CLAIMS_EACH, shown
            with counting(app) as statements:
                client.get(path)
            median, p95 = timed(partial(client.get, path))
            page = "My claims" if path == "/my-claims" else "Claim page"
            verdict = "yes" if p95 < TARGET_P95_MS else "**no**"
            rows.append(
                f"| {page} `GET {path}` | {label} ({total_lines} lines in 20 claims) "
                f"| {len(statements)} | {median:.1f} | {p95:.1f} | {verdict} |"
            )
            print(
                f"{page:11} {label:32} queries={len(statements):2} "
                f"median={median:6.1f} ms p95={p95:6.1f} ms"
            )

    conditions = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version} (WAL, file in "
        f"a temporary folder); {time.strftime('%Y-%m-%d')}."
    )
    sizes_text = ", ".join(f"{n:,} {k}" for k, n in sizes.items())
    lines = [
        "## Claims pages at scale (bench/claims_pages.py)",
        "",
        f"{PEOPLE:,} experts with {CLAIMS_EACH} claims each ({sizes_text}); claims in a mix "
        "of statuses with 1-5 fee lines and their history; seeded with SQLAlchemy Core in "
        f"{seed_seconds:.0f} s. Flask test client signed in through the sign-in form, "
        f"{ROUNDS} requests per page after {WARM_UP} warm-up requests, one process. The claim "
        "page is the person's claim with the most lines. Queries: SQL statements one request "
        f"runs (including the signed-in user's). Target (issue 4): p95 under "
        f"{TARGET_P95_MS:.0f} ms.",
        "",
        f"Conditions: {conditions}",
        "",
        "| Page | Signed in as | Queries | Median ms | p95 ms | p95 under 50 ms |",
        "| --- | --- | --- | --- | --- | --- |",
        *rows,
    ]
    replace_section(ROOT / "docs" / "benchmarks.md", "bench/claims_pages.py", "\n".join(lines))
    print("\n".join(lines))
    print(f"Total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
