"""Browser fixtures: the app on a real port, Debian's Chromium through Playwright, the page
record axe-core checks, and the people that journeys share (the steps are in helpers.py).

Every test here is marked ``e2e``; deselect them with ``-m "not e2e"``. Pages are checked with
axe-core after every navigation; a test fails on any moderate, serious or critical violation, and at
teardown if some page it loaded was never checked.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    ViewportSize,
    sync_playwright,
)
from werkzeug.serving import BaseWSGIServer, make_server

from payclaims.auth.models import User
from payclaims.costcentres.models import CostCentre
from payclaims.roles.models import RoleDescription, SignUp, SignUpStatus
from tests.e2e.helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    HERE,
    PHONE,
    RECORD_ATTRIBUTE,
    TIMEOUT_MS,
    LiveServer,
    PageRecord,
    page_record,
)

PHASE_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e as ``e2e`` (this hook sees the whole session's items)."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report, so fixtures know at teardown whether the test passed."""
    report = yield
    item.stash.setdefault(PHASE_REPORTS, {})[report.when] = report
    return report


def _test_passed(request: pytest.FixtureRequest) -> bool:
    reports = request.node.stash.get(PHASE_REPORTS, {})
    return "call" in reports and reports["call"].passed


# The live server ---------------------------------------------------------------------------


@pytest.fixture
def live_server(make_app: Callable[..., Flask], tmp_path: Path) -> Iterator[LiveServer]:
    """Serve the app on 127.0.0.1 on a free port, in a background thread."""
    outbox_dir = tmp_path / "outbox"
    app = make_app(MAIL_BACKEND="file", MAIL_FILE_PATH=str(outbox_dir), SERVER_NAME=None)
    # One line per request on stderr only adds noise to failure reports.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    # Emailed links are built on BASE_URL, which only now is known.
    app.config["BASE_URL"] = f"http://127.0.0.1:{server.port}"
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.port}", app=app, outbox_dir=outbox_dir)
    finally:
        server.shutdown()
        thread.join()
        # Close the listening socket now, or it is closed at garbage collection with a
        # ResourceWarning, which this project's pytest settings turn into an error.
        server.server_close()


# The browser -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, once per session (per xdist worker)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium not installed: browser tests skipped")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def make_page(
    browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Page]]:
    """Open tabs, each in a fresh browser context (no shared cookies), on the live server."""
    opened: list[tuple[BrowserContext, Page]] = []

    def open_page(viewport: ViewportSize | None = None) -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            # The app's CSP refuses inline scripts, and axe is injected as one.
            bypass_csp=True,
            viewport=viewport or DESKTOP,
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        record = PageRecord()
        setattr(page, RECORD_ATTRIBUTE, record)
        page.on("load", lambda loaded: record.loaded.append(loaded.url))
        page.on("pageerror", lambda error: record.script_errors.append(str(error)))
        page.on("response", record.note_response)
        opened.append((context, page))
        return page

    yield open_page
    problems = []
    for context, page in opened:
        record = page_record(page)
        unchecked = [url for url in record.loaded if url not in record.checked]
        if unchecked:
            problems.append(f"pages never checked with axe: {unchecked}")
        if record.script_errors:
            problems.append(f"script errors: {record.script_errors}")
        # Close before the live server stops, so no request is cut off half way.
        context.close()
    if problems and _test_passed(request):
        pytest.fail("; ".join(problems))


@pytest.fixture
def page(make_page: Callable[..., Page]) -> Page:
    """A desktop-sized tab (1280 x 900)."""
    return make_page()


@pytest.fixture
def phone_page(make_page: Callable[..., Page]) -> Page:
    """A tab as narrow as the smallest common phone (320 px)."""
    return make_page(PHONE)


# Accessibility and navigation helpers ------------------------------------------------------


@pytest.fixture
def make_accepted_sign_up(
    make_role: Callable[..., RoleDescription],
    make_sign_up: Callable[..., SignUp],
    make_cost_centre: Callable[..., CostCentre],
    set_approvers: Callable[..., None],
    give_bank_details: Callable[..., None],
) -> Callable[..., SignUp]:
    """Accept ``expert`` on an hourly role (£20 an hour) that ``coordinator`` coordinates, paid
    from the Involvement cost centre (INV-001), whose claims ``approvers`` decide. The expert
    gets bank details, confirmed by ``bank_confirmed_by`` when given. Once per test."""

    def build(
        expert: User,
        *,
        coordinator: User,
        approvers: tuple[User, ...],
        bank_confirmed_by: User | None = None,
    ) -> SignUp:
        give_bank_details(expert, confirmed_by=bank_confirmed_by)
        centre = make_cost_centre(code="INV-001", name="Involvement")
        set_approvers(centre, *approvers)
        role = make_role(coordinator=coordinator, cost_centre=centre)
        return make_sign_up(role, person=expert, status=SignUpStatus.ACCEPTED)

    return build
