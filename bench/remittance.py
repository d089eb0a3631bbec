"""Time remittance slips: one slip, runs of 100 and 1,000 payees, memory over 1,000 renders,
and confirming a 1,000-payee run end to end; write the figures to docs/benchmarks.md.

Run: .venv/bin/python bench/remittance.py  (SQLite in a temporary folder; nothing else needed)

A typical slip: one payee, two claims, each with two fee lines and an expense line (one line
reduced by finance, with its reason). Issue 6 targets on this 2-core machine: a single slip
under 50 ms median in a warm process; a 1,000-payee run's slips in under 20 s using both
cores; memory flat (under 10% growth after warm-up) across 1,000 renders.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402
from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import Table, insert, select  # noqa: E402

from bench.sections import replace_section  # noqa: E402
from payclaims import create_app, crypto  # noqa: E402
from payclaims.auth.models import Role, User, UserRole  # noqa: E402
from payclaims.benefits.profile.models import FeeChoice  # noqa: E402
from payclaims.claims.models import Claim, ClaimLine, ClaimStatus, LineKind  # noqa: E402
from payclaims.costcentres.models import CostCentre  # noqa: E402
from payclaims.extensions import db  # noqa: E402
from payclaims.payments.confirm import confirm_run  # noqa: E402
from payclaims.payments.models import PaymentRun, RunClaim  # noqa: E402
from payclaims.payments.runs import create_run, load_run  # noqa: E402
from payclaims.payments.slips import (  # noqa: E402
    SlipClaim,
    SlipData,
    SlipLine,
    slip_html,
    slip_reference,
    slip_stylesheet,
)
from payclaims.pdf import render_many, render_pdf, static_root  # noqa: E402
from payclaims.people.models import BankDetails  # noqa: E402
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

WARM_UP = 10
ROUNDS = 100
MEMORY_RENDERS = 1_000
MEMORY_WARM_UP = 100
WORKERS = 2
RUN_REPEATS = 5
NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date()
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
LOAD_AT_START = os.getloadavg()[1]


def rss_mb() -> float:
    """This process's resident memory in MB (Linux /proc)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * PAGE_SIZE / 1_000_000


def slip_data(person_id: int, claims_each: int = 1) -> SlipData:
    """A typical slip: one claim (or ``claims_each``), each with two fee lines and an expense."""
    claims = []
    for number in range(1, claims_each + 1):
        fee_lines = tuple(
            SlipLine(
                on=TODAY - timedelta(days=7 * number + day),
                description="Interview panel for the community team",
                detail="3 hours × £20.00",  # noqa: RUF001
                claimed_pence=6000,
                paid_pence=4000 if day == 0 and number == 1 else 6000,
                notes=("Paid £40.00: only 2 hours were booked",)
                if day == 0 and number == 1
                else (),
                receipted=False,
            )
            for day in (0, 1)
        )
        expense_lines = (
            SlipLine(
                on=TODAY - timedelta(days=7 * number),
                description="Bus there and back",
                detail="Public transport (bus, train, tram)",
                claimed_pence=450,
                paid_pence=450,
                notes=(),
                receipted=True,
            ),
        )
        claims.append(
            SlipClaim(
                reference=f"C-{person_id * 10 + number:06d}",
                role_title="Interview panel member",
                fee_choice_label="The full fee",
                fee_choice_on=TODAY - timedelta(days=3),
                fee_lines=fee_lines,
                expense_lines=expense_lines,
                fee_note="",
                fee_paid_pence=sum(line.paid_pence for line in fee_lines),
                expenses_paid_pence=450,
            )
        )
    return SlipData(
        person_id=person_id,
        bank_details_id=person_id,
        organisation_name="Riverside Recovery College",
        organisation_address=("Riverside House", "1 Mill Lane", "Rivertown RT1 2AB"),
        support_email="involvement@example.org",
        payee_name=f"Payee number {person_id}",
        account_ending="5678",
        payment_on=TODAY + timedelta(days=3),
        reference=slip_reference(1, person_id),
        run_reference="RUN00001",
        claims=tuple(claims),
        claim_ids=(person_id * 10 + 1, person_id * 10 + 2),
    )


def single_slip(app: Flask, claims_each: int = 1) -> dict[str, float]:
    """Median and p95 of one slip rendered in this (warm) process, and its size."""
    with app.app_context():
        html = slip_html(slip_data(1, claims_each))
        root = static_root()
        css = slip_stylesheet()
    start = time.perf_counter()
    first = render_pdf(html, static_root=root, stylesheet=css)
    first_ms = (time.perf_counter() - start) * 1000
    for _ in range(WARM_UP):
        render_pdf(html, static_root=root, stylesheet=css)
    times = []
    cpu_times = []
    for _ in range(ROUNDS):
        start, cpu_start = time.perf_counter(), time.process_time()
        render_pdf(html, static_root=root, stylesheet=css)
        times.append((time.perf_counter() - start) * 1000)
        cpu_times.append((time.process_time() - cpu_start) * 1000)
    times.sort()
    return {
        "load": os.getloadavg()[0],
        "first_ms": first_ms,
        "median_ms": statistics.median(times),
        "p95_ms": times[int(len(times) * 0.95) - 1],
        "cpu_median_ms": statistics.median(cpu_times),
        "size_kb": len(first) / 1024,
    }


def run_of(app: Flask, payees: int, workers: int) -> dict[str, float]:
    """Render a run's slips (HTML then PDF), as confirming does; seconds and slips/s."""
    start = time.perf_counter()
    cpu_start = _cpu_seconds()
    with app.app_context():
        documents = [slip_html(slip_data(n)) for n in range(1, payees + 1)]
        root = static_root()
        css = slip_stylesheet()
    pdfs = render_many(documents, static_root=root, workers=workers, pool_from=2, stylesheet=css)
    seconds = time.perf_counter() - start
    cpu = _cpu_seconds() - cpu_start
    assert len(pdfs) == payees and all(pdf.startswith(b"%PDF") for pdf in pdfs)
    return {
        "seconds": seconds,
        "per_second": payees / seconds,
        "cpu_seconds": cpu,
        "load": os.getloadavg()[0],
    }


def median_run(figures: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median wall time, with the fastest and slowest beside it."""
    ordered = sorted(figures, key=lambda run: run["seconds"])
    middle = dict(ordered[len(ordered) // 2])
    middle.update(
        repeats=len(ordered), fastest=ordered[0]["seconds"], slowest=ordered[-1]["seconds"]
    )
    return middle


def _cpu_seconds() -> float:
    """CPU time used by this process and its finished children (the pool's workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def memory(app: Flask) -> dict[str, float]:
    """RSS after a warm-up and after 1,000 more renders (different payees each time)."""
    with app.app_context():
        root = static_root()
        css = slip_stylesheet()
        documents = [slip_html(slip_data(n, 1 + n % 2)) for n in range(1, 51)]
    for n in range(MEMORY_WARM_UP):
        render_pdf(documents[n % len(documents)], static_root=root, stylesheet=css)
    after_warm_up = rss_mb()
    peak = after_warm_up
    for n in range(MEMORY_RENDERS):
        render_pdf(documents[n % len(documents)], static_root=root, stylesheet=css)
        if n % 50 == 0:
            peak = max(peak, rss_mb())
    end = rss_mb()
    return {
        "warm_mb": after_warm_up,
        "end_mb": end,
        "peak_mb": max(peak, end),
        "growth_pct": (end - after_warm_up) / after_warm_up * 100,
        "load": os.getloadavg()[0],
    }


def table(model: Any) -> Table:
    """The Core table behind a model."""
    core: Table = model.__table__
    return core


def seed_run(app: Flask, payees: int) -> int:
    """A draft run with one approved claim (two fee lines, an expense) for each of ``payees``
    people with confirmed bank details; returns the run's id."""
    with app.app_context():
        fernet = crypto.build_fernet(app.config["BANK_DETAILS_KEYS"])
        db.session.execute(insert(table(CostCentre)), [{"id": 1, "code": "CC1", "name": "Centre"}])
        users: list[dict[str, Any]] = [
            {
                "id": 1,
                "email": "admin@bench.test",
                "name": "Finance Admin",
                "password_hash": None,
                "is_active": True,
                "session_token": "bench-admin",
                "failed_sign_in_count": 0,
                "email_verified_at": NOW,
            }
        ]
        grants: list[dict[str, Any]] = [{"user_id": 1, "role": Role.FINANCE_ADMIN}]
        for n in range(2, payees + 2):
            users.append(
                {
                    **users[0],
                    "id": n,
                    "email": f"p{n}@bench.test",
                    "name": f"Payee {n}",
                    "session_token": f"bench-{n}",
                }
            )
            grants.append({"user_id": n, "role": Role.EXPERT})
        db.session.execute(insert(table(User)), users)
        db.session.execute(insert(table(UserRole)), grants)
        db.session.execute(
            insert(table(RoleDescription)),
            [
                {
                    "id": 1,
                    "status": RoleStatus.OPEN,
                    "coordinator_id": 1,
                    "cost_centre_id": 1,
                    "created_by_id": 1,
                }
            ],
        )
        db.session.execute(
            insert(table(RoleVersion)),
            [
                {
                    "id": 1,
                    "role_id": 1,
                    "number": 1,
                    "title": "Interview panel member",
                    "purpose": "p",
                    "activities": "a",
                    "level": InvolvementLevel.CO_PRODUCTION,
                    "location_type": LocationType.IN_PERSON,
                    "venue": "v",
                    "venue_accessibility": "a",
                    "time_commitment": "t",
                    "session_minutes": 180,
                    "fee_pence": 2000,
                    "fee_unit": FeeUnit.HOUR,
                    "expense_categories": [],
                    "support_offered": "s",
                    "places": payees,
                    "closing_on": TODAY,
                    "created_by_id": 1,
                    "published_at": NOW,
                    "published_by_id": 1,
                }
            ],
        )
        sign_ups, claims, lines, bank = [], [], [], []
        for n in range(2, payees + 2):
            sign_ups.append(
                {
                    "id": n,
                    "role_id": 1,
                    "version_id": 1,
                    "person_id": n,
                    "status": SignUpStatus.ACCEPTED,
                    "message": "",
                    "access_needs": "",
                    "decision_message": "",
                    "is_subject_to_training": False,
                    "places_override_reason": "",
                }
            )
            claims.append(
                {
                    "id": n,
                    "person_id": n,
                    "sign_up_id": n,
                    "role_id": 1,
                    "status": ClaimStatus.APPROVED,
                    "version": 4,
                    "fee_choice": FeeChoice.FULL,
                    "created_by_id": n,
                    "return_reason": "",
                    "is_late": False,
                }
            )
            for day in (7, 8):
                lines.append(
                    {
                        "claim_id": n,
                        "kind": LineKind.FEE,
                        "category": None,
                        "session_on": TODAY - timedelta(days=day),
                        "description": "Interview panel",
                        "units_hundredths": 300,
                        "rate_pence": 2000,
                        "rate_version_id": 1,
                        "amount_pence": 6000,
                        "is_earnings_like": True,
                    }
                )
            lines.append(
                {
                    "claim_id": n,
                    "kind": LineKind.EXPENSE,
                    "category": "public_transport",
                    "session_on": TODAY - timedelta(days=7),
                    "description": "Bus",
                    "units_hundredths": None,
                    "rate_pence": None,
                    "rate_version_id": None,
                    "amount_pence": 450,
                    "is_earnings_like": False,
                }
            )
            bank.append(
                {
                    "person_id": n,
                    "name_on_account_encrypted": crypto.encrypt(fernet, f"Payee {n}"),
                    "sort_code_encrypted": crypto.encrypt(fernet, "123456"),
                    "account_number_encrypted": crypto.encrypt(fernet, f"{n:08d}"),
                    "created_by_id": n,
                    "confirmed_at": NOW,
                    "confirmed_by_id": 1,
                }
            )
        db.session.execute(insert(table(SignUp)), sign_ups)
        db.session.execute(insert(table(Claim)), claims)
        db.session.execute(insert(table(ClaimLine)), lines)
        db.session.execute(insert(table(BankDetails)), bank)
        db.session.commit()
        admin = db.session.get(User, 1)
        assert admin is not None
        run = create_run(actor=admin, payment_on=TODAY + timedelta(days=3), today=TODAY)
        assert db.session.scalar(select(RunClaim.id).where(RunClaim.run_id == run.id).limit(1))
        return run.id


def confirm_large_run(app: Flask, payees: int) -> dict[str, float]:
    """Confirm a seeded run through the service (pool rendering, one transaction)."""
    run_id = seed_run(app, payees)
    with app.app_context():
        admin = db.session.get(User, 1)
        run = load_run(run_id)
        assert admin is not None and run is not None
        start = time.perf_counter()
        # As the admin who read the run page: any benefits changes are seen (none are seeded).
        confirm_run(run, actor=admin, benefits_changes_seen=True)
        seconds = time.perf_counter() - start
        status = db.session.scalar(select(PaymentRun.status).where(PaymentRun.id == run_id))
        assert status == "confirmed"
    return {"seconds": seconds, "per_second": payees / seconds, "load": os.getloadavg()[0]}


def main() -> None:
    """Measure in a temporary folder, then write this script's section of docs/benchmarks.md."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "bench",
                "DATABASE_URL": f"sqlite:///{Path(folder) / 'bench.sqlite'}",
                "MAIL_BACKEND": "locmem",
                "RATELIMIT_ENABLED": False,
                "BANK_DETAILS_KEYS": [Fernet.generate_key().decode()],
                "REMITTANCE_RENDER_WORKERS": WORKERS,
                "REMITTANCE_POOL_FROM": 50,
            },
            instance_path=folder,
        )
        with app.app_context():
            upgrade()
        single = single_slip(app)
        print(f"single slip: {single}", flush=True)
        larger = single_slip(app, 2)
        print(f"single slip, 2 claims: {larger}", flush=True)
        runs = {}
        for payees, repeats in ((100, 5), (1_000, RUN_REPEATS)):
            figures = [run_of(app, payees, WORKERS) for _ in range(repeats)]
            runs[(payees, WORKERS)] = median_run(figures)
            print(f"run of {payees} with {WORKERS} process(es): {figures}", flush=True)
        confirm = confirm_large_run(app, 1_000)
        print(f"confirm 1,000-payee run: {confirm}", flush=True)
        mem = memory(app)
        print(f"memory: {mem}", flush=True)
    write(single, larger, mem, runs, confirm)


# Profile and A/B findings (2026-11-22, cProfile and interleaved A/B renders in one process);
# kept with the figures so that the reasons for the slip's shape stay beside them.
NOTES = [
    "How the slip got fast enough: its layout, not caching or fewer slips. WeasyPrint lays "
    "out in Python, so a slip's cost follows the number of boxes it makes, and a table cell "
    "costs about as much as a paragraph. The first slip had three tables (25 cells for a "
    "typical claim) and laid out in ~57 ms of CPU. Interleaved A/B renders of the same slip "
    "in one process (60-80 rounds each, median CPU): five-column tables 57 ms; three-column "
    "tables 45 ms; one paragraph per line instead of tables 36 ms; the same with line breaks "
    "as newlines (`white-space: pre-line`) instead of `<br>` elements and no `<strong>` "
    "inside lines 26 ms. The slip keeps everything issue 6 asks for (each line's date, what, "
    "units x rate or receipt, claimed and paid, reasons; fee and expense totals apart; the "
    "fee choice; who to contact) and reads better on a phone and in a screen reader; "
    "the template's comment says why it has so few elements.",
    "",
    "Tried and not worth it: rendering 16 slips as one document and splitting it with "
    "`Document.copy()` (57 ms a slip: the cost is per box, not per document); minifying "
    "the HTML; turning off kerning and ligatures; `line-height: normal`; no border on lines; "
    "`uncompressed_pdf` (each within noise). Dropping the page-number footer saves ~1 ms "
    "(WeasyPrint lays out all 16 margin boxes either way); it stays, since a long slip "
    "needs it. Tagging (`pdf_tags=True`, for screen readers) costs ~1 ms and stays.",
    "",
    "Where a slip's time goes now (cProfile): layout about half (line breaking with Pango, "
    "computed styles), writing the PDF about a third (drawing text, fonts subset with "
    "libharfbuzz-subset0, ~1 ms), parsing the HTML ~3 ms. A document with one paragraph "
    "costs ~7 ms, so that is the floor per slip. A run costs ~28 ms of CPU a slip in the "
    "pool (different payees, so no warm caches of the same text), plus ~0.6 s to start the "
    "two workers. Every slip is really rendered; nothing is cached across payees.",
    "",
    "How much the figures move: this is a virtual machine, and the same 1,000-payee run "
    "measured 13.9 s to 20.5 s across the day's sets of runs on 2026-11-22 (medians 14.2 "
    "to 19.2 s; CPU time per slip moved with them, so the host, not the load here, "
    "varies). The target was met by the median every time, with little room on the "
    "slowest set.",
]


def write(
    single: dict[str, float],
    larger: dict[str, float],
    mem: dict[str, float],
    runs: dict[tuple[int, int], dict[str, float]],
    confirm: dict[str, float],
) -> None:
    """This script's section of docs/benchmarks.md."""
    import weasyprint

    def verdict(value: float, limit: float, unit: str) -> str:
        if value < limit:
            return "yes"
        over = value - limit
        return f"**no**: {over:.1f} {unit} ({over / limit * 100:.0f}%) over"

    load = os.getloadavg()[1]
    conditions = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load average "
        f"{LOAD_AT_START:.1f} at the start and {load:.1f} (5 min) at the end (nothing else "
        "ran meanwhile; the pool's 2 workers alone keep the load near 2); Python "
        f"{platform.python_version()}, WeasyPrint {weasyprint.__version__}; "
        f"{time.strftime('%Y-%m-%d')}."
    )
    rows = [
        f"| One slip, warm process, shared FontConfiguration (median of {ROUNDS} after "
        f"{WARM_UP} warm-up; first render {single['first_ms']:.0f} ms, importing WeasyPrint "
        "included; "
        f"{single['size_kb']:.0f} KB, tagged PDF) | wall median {single['median_ms']:.1f} ms, "
        f"p95 {single['p95_ms']:.1f} ms; CPU time median {single['cpu_median_ms']:.1f} ms "
        f"(load {single['load']:.1f}) | under 50 ms median | wall "
        f"{verdict(single['median_ms'], 50, 'ms')}; CPU "
        f"{verdict(single['cpu_median_ms'], 50, 'ms')} |",
        f"| A larger slip: two claims (still one page) | wall median {larger['median_ms']:.1f} ms, "
        f"p95 {larger['p95_ms']:.1f} ms; CPU time median {larger['cpu_median_ms']:.1f} ms "
        f"(load {larger['load']:.1f}) | - | - |",
    ]
    for (payees, workers), figures in runs.items():
        how = "in process" if workers == 1 else f"pool of {workers} warm processes (start included)"
        target = "under 20 s" if payees == 1_000 and workers == WORKERS else "-"
        ok = verdict(figures["seconds"], 20, "s") if target != "-" else "-"
        rows.append(
            f"| Run of {payees:,} payees' slips, {how}; median of {figures['repeats']:.0f} runs "
            f"({figures['fastest']:.1f}-{figures['slowest']:.1f} s) | "
            f"{figures['seconds']:.1f} s wall, "
            f"{figures['per_second']:.1f} slips/s; {figures['cpu_seconds']:.1f} CPU-seconds "
            f"({payees / figures['cpu_seconds']:.1f} slips per CPU-second; load "
            f"{figures['load']:.1f}; so at least {figures['cpu_seconds'] / WORKERS:.0f} s on "
            f"{WORKERS} otherwise idle cores) | {target} | {ok} |"
        )
    rows.append(
        f"| Confirming a 1,000-payee run end to end (`confirm_run`: snapshot, pool rendering, "
        f"one SQLite transaction with 1,000 claims paid and 1,000 slips stored, emails) | "
        f"{confirm['seconds']:.1f} s, one run (load {confirm['load']:.1f}) | - (the 20 s target "
        "is for the slips, the row above; this adds the database work and the emails) | - |"
    )
    rows.append(
        f"| Memory over {MEMORY_RENDERS:,} renders after {MEMORY_WARM_UP} warm-up renders | "
        f"RSS {mem['warm_mb']:.0f} MB -> {mem['end_mb']:.0f} MB "
        f"({mem['growth_pct']:+.1f}%), peak {mem['peak_mb']:.0f} MB (load {mem['load']:.1f}) "
        f"| under 10% growth | {verdict(mem['growth_pct'], 10, 'points')} |"
    )
    lines = [
        "## Remittance slips (bench/remittance.py)",
        "",
        "A typical slip: one claim with two fee lines and an expense (one line reduced, "
        "with its reason); one A4 page. Rendered by `payclaims.pdf` "
        "(in process, one shared FontConfiguration, the static-files-only url_fetcher, "
        "`pdf_tags=True`, the stylesheet templates/pdf/remittance_slip.css parsed once per "
        "process, the cyclic garbage collector paused during each render). Runs render each "
        "payee's HTML in the parent, then the PDFs (HTML strings only are sent to the pool's "
        "2 spawned workers, each warmed by one render, in chunks of 16), as confirming does. "
        "Load averages are the 1-minute figure at the end of each measurement.",
        "",
        f"Conditions: {conditions}",
        "",
        "| What | Result | Target (issue 6) | Met |",
        "| --- | --- | --- | --- |",
        *rows,
        "",
        *NOTES,
    ]
    replace_section(ROOT / "docs" / "benchmarks.md", "bench/remittance.py", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
