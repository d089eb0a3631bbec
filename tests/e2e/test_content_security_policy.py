"""The real Content-Security-Policy in a real browser: nothing refused, the scripts still run.

The journeys' browser contexts bypass the CSP so that axe-core can be injected; this test
does not, so it catches a script or style the policy would block for real people.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from playwright.sync_api import Browser, ConsoleMessage

from tests.e2e.helpers import CHROMIUM, DESKTOP, LiveServer


def _eventually(check: Callable[[], object], seconds: float = 5.0) -> bool:
    """Whether ``check()`` becomes true within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return bool(check())


def test_pages_work_under_the_real_policy(browser: Browser, live_server: LiveServer) -> None:
    assert CHROMIUM.exists()
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    page = context.new_page()
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text)
            if isinstance(message, ConsoleMessage) and "Content Security Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: refused.append(str(error)))
    try:
        for path in ("/sign-in", "/sign-up", "/forgot-password"):
            page.goto(path)
            # The template's inline script carries the nonce, so it ran...
            assert page.evaluate("document.body.classList.contains('js-enabled')"), path
            # ...and our module script started the NHS.UK components.
            assert page.evaluate(
                "document.querySelector('[data-module=\"nhsuk-header\"]')"
                ".hasAttribute('data-nhsuk-header-init')"
            ), path
        with page.expect_navigation():
            page.click("button[type=submit]")
        # The error summary's script moved focus to it (no inline handler needed). Polled from
        # here: Playwright's own waiting evaluates strings, which the policy rightly refuses.
        assert _eventually(
            lambda: page.evaluate(
                "() => Boolean(document.activeElement?.closest('.nhsuk-error-summary'))"
            )
        )
    finally:
        context.close()

    assert refused == []
