"""What browser journeys share: the app on a real port, the axe-core check run on every page,
and the steps (visiting, following links, pressing buttons, signing in, confirming, approving)."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import (
    Locator,
    Page,
    Response,
    ViewportSize,
    expect,
)

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


def page_record(page: Page) -> PageRecord:
    record: PageRecord = getattr(page, RECORD_ATTRIBUTE)
    return record


def check_accessibility(page: Page) -> None:
    """Run axe-core on the page; fail on any moderate, serious or critical violation."""
    if not AXE_SCRIPT.exists():
        pytest.skip(f"axe-core is not installed at {AXE_SCRIPT}: run 'npm ci'")
    record = page_record(page)
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
