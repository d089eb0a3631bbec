"""Browser fixtures: the app on a real port, Debian's Chromium through Playwright, and axe-core;
the steps (signing in, confirming, approving) and the people that journeys share.

Every test here is marked ``e2e``; deselect them with ``-m "not e2e"``. Pages are checked with
axe-core after every navigation; a test fails on any moderate, serious or critical violation, and at
teardown if some page it loaded was never checked.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    Response,
    ViewportSize,
    expect,
    sync_playwright,
)
from werkzeug.serving import BaseWSGIServer, make_server

from payclaims.auth.models import User
from payclaims.costcentres.models import CostCentre
from payclaims.roles.models import RoleDescription, SignUp, SignUpStatus
from tests.settings import PASSWORD

HERE = Path(__file__).resolve().parent
PROJECT_ROOT = HERE.parent.parent
CHROMIUM = Path("/usr/bin/chromium")
AXE_SCRIPT = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
FAILING_IMPACTS = {"moderate", "serious", "critical"}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 320, "height": 640}
# Short enough that a missing element fails the test quickly, long enough for a slow hash.
TIMEOUT_MS = 10_000
URL_IN_TEXT = re.compile(r"https?://\S+")
MESSAGE_SEPARATOR = b"\n" + b"-" * 79

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


@dataclass
class LiveServer:
    """The app served on a real port, and the folder its emails are written to."""

    url: str
    app: Flask
    outbox_dir: Path

    def emails(self) -> list[EmailMessage]:
        """Every email sent so far, oldest first."""
        files = sorted(self.outbox_dir.glob("*.log"), key=lambda path: path.stat().st_mtime_ns)
        messages = []
        for path in files:
            # The file backend writes one connection per file: messages end with a rule.
            for raw in path.read_bytes().split(MESSAGE_SEPARATOR):
                if raw.strip():
                    parsed = email.message_from_bytes(raw.lstrip(), policy=email.policy.default)
                    assert isinstance(parsed, EmailMessage)
                    messages.append(parsed)
        return messages

    def latest_link(self, to: str) -> str:
        """The first link in the newest email to ``to``."""
        for message in reversed(self.emails()):
            if to in str(message["To"]):
                body = message.get_body(preferencelist=("plain",))
                assert body is not None, f"no plain text body in {message['Subject']}"
                text = body.get_content()
                match = URL_IN_TEXT.search(text)
                assert match, f"no link in the email to {to}: {text}"
                assert match.group().startswith(self.url), f"link to another site: {match.group()}"
                return match.group()
        raise AssertionError(f"no email to {to} in {self.outbox_dir}")


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


@dataclass
class PageRecord:
    """What happened in one tab: pages loaded and checked with axe, script and server errors."""

    loaded: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)

    def note_response(self, response: Response) -> None:
        """Remember pages the server failed to make (the traceback is in the captured log)."""
        if response.request.is_navigation_request() and response.status >= 500:
            self.server_errors.append(f"{response.status} {response.url}")


RECORD_ATTRIBUTE = "_payclaims_record"


def _record(page: Page) -> PageRecord:
    record: PageRecord = getattr(page, RECORD_ATTRIBUTE)
    return record


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
        record = _record(page)
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


def check_accessibility(page: Page) -> None:
    """Run axe-core on the page; fail on any moderate, serious or critical violation."""
    if not AXE_SCRIPT.exists():
        pytest.skip(f"axe-core is not installed at {AXE_SCRIPT}: run 'npm ci'")
    record = _record(page)
    # A failed page would be checked for the wrong reasons: say why it failed instead.
    assert not record.server_errors, f"server errors: {record.server_errors}"
    page.add_script_tag(path=str(AXE_SCRIPT))
    results = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        AXE_TAGS,
    )
    record.checked.append(page.url)
    failures = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:3])
        for violation in results["violations"]
        if violation["impact"] in FAILING_IMPACTS
    ]
    if failures:
        pytest.fail(f"axe found problems on {page.url}:\n" + "\n".join(failures), pytrace=False)


def visit(page: Page, path: str) -> None:
    """Open ``path`` (or a full URL), expect a successful page and check its accessibility."""
    response = page.goto(path)
    assert response is not None and response.ok, f"{path}: {response and response.status}"
    check_accessibility(page)


def click_through(page: Page, target: Locator) -> None:
    """Click a link or button that loads a new page, then check that page's accessibility."""
    with page.expect_event("load"):
        target.click()
    check_accessibility(page)


def press_button(page: Page, name: str) -> None:
    """Press the button called ``name`` and check the page it leads to."""
    click_through(page, page.get_by_role("button", name=name, exact=True))


def follow_link(page: Page, name: str) -> None:
    """Follow the link called ``name`` and check the page it leads to."""
    click_through(page, page.get_by_role("link", name=name, exact=True))


# Steps and people that journeys share -----------------------------------------------------


def sign_in_as(page: Page, email: str) -> None:
    """Sign in through the sign-in page (every test person has the same password)."""
    visit(page, "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    press_button(page, "Sign in")


def confirm_claim(page: Page, reference: str) -> None:
    """As the role's coordinator, from a list of claims: say the work took place."""
    follow_link(page, reference)
    page.get_by_label("Yes, send it to finance").check()
    press_button(page, "Save my decision")
    expect(page.get_by_text(f"Claim {reference} confirmed")).to_be_visible()


def approve_reduced(page: Page, reference: str, *, pounds: str, reason: str) -> None:
    """As a finance approver, from a list of claims: approve the claim with its fee line cut to
    ``pounds``, saying why."""
    follow_link(page, reference)
    press_button(page, "Approve")  # a link styled as a button
    page.get_by_label("Amount to approve (leave empty to approve as claimed)").fill(pounds)
    page.get_by_label("Why it is reduced (the person reads this)").fill(reason)
    press_button(page, "Approve the claim")
    expect(page.get_by_text(f"Claim {reference} approved.")).to_be_visible()


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
