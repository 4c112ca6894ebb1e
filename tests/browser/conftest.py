"""Fixtures of the browser tests: Debian's Chromium driven by Playwright, a real ``jalon serve`` per module.

The browser and the server live per module: Playwright's sync API keeps an asyncio loop for as long as it
runs, and Django refuses database access from the tests that follow while a loop runs.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from tests.browser.server import CHROMIUM, CHROMIUM_ARGS, JalonServer, chromium_missing_reason, jalon_serve

TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    reason = chromium_missing_reason()
    if reason is not None:
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JalonServer]:
    """``jalon serve`` with a fresh database and the bundled demo référentiel."""
    with jalon_serve(tmp_path_factory.mktemp("jalon")) as running:
        yield running


def new_context(browser: Browser) -> BrowserContext:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = new_context(browser)
    yield context
    context.close()
