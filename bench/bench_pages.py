"""Time the main pages with the demo data loaded; write the medians to docs/benchmarks.md.

Run: .venv/bin/python bench/bench_pages.py  (SQLite in a temporary folder; nothing else needed)

Each page is requested through the Flask test client (no network, no browser), so the figures
are the app's own time: routing, access checks, queries and rendering.
"""

from __future__ import annotations

import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402

from bench.sections import replace_section  # noqa: E402
from payclaims import create_app  # noqa: E402
from payclaims.demo import seed_demo  # noqa: E402

PASSWORD = "kettle river purple socks"
ROUNDS = 200
PAGES = {
    "expert@demo.payclaims.test": ["/expert", "/opportunities", "/my-roles", "/my-training"],
    "coordinator@demo.payclaims.test": ["/coordinator", "/roles", "/training"],
}


def median_ms(action: Callable[[], object]) -> tuple[float, float]:
    """Median and 95th percentile of ``action`` in milliseconds, after a warm-up."""
    for _ in range(10):
        action()
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> None:
    """Measure and write this script's section of docs/benchmarks.md."""
    folder = Path(tempfile.mkdtemp())
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
    with app.app_context():
        upgrade()
        seed_demo(PASSWORD)
    rows = []
    for email, paths in PAGES.items():
        client = app.test_client()
        client.post("/sign-in", data={"email": email, "password": PASSWORD})
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            median, p95 = median_ms(lambda path=path, client=client: client.get(path))
            rows.append(f"| `GET {path}` ({email.split('@')[0]}) | {median:.1f} | {p95:.1f} |")
    anonymous = app.test_client()
    median, p95 = median_ms(lambda: anonymous.get("/sign-in"))
    rows.insert(0, f"| `GET /sign-in` (signed out) | {median:.1f} | {p95:.1f} |")
    lines = [
        "## Pages (bench/bench_pages.py)",
        "",
        f"Demo data, SQLite (WAL), Flask test client, {ROUNDS} requests per page after 10 "
        f"warm-up requests, one process. Python {platform.python_version()} on "
        f"{platform.machine()}, {time.strftime('%Y-%m-%d')}.",
        "",
        "| Page | Median ms | p95 ms |",
        "| --- | --- | --- |",
        *rows,
    ]
    # Only this script's section is replaced; the other scripts' sections stay.
    replace_section(ROOT / "docs" / "benchmarks.md", "bench/bench_pages.py", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
