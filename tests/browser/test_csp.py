"""Under the Content-Security-Policy, in a real browser: no page breaks a rule (the console says so), the
API documentation renders from our own files, and removing a member still asks first."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Dialog

from tests.browser.server import JalonServer
from tests.browser.ui import dashboard_url, login, mesure_url

pytestmark = pytest.mark.browser


def violations(messages: list[ConsoleMessage]) -> list[str]:
    return [m.text for m in messages if "Content Security Policy" in m.text or "Refused to" in m.text]


def test_pages_and_api_docs_run_under_the_policy(context: BrowserContext, server: JalonServer) -> None:
    page = context.new_page()
    console: list[ConsoleMessage] = []
    page.on("console", lambda message: console.append(message))
    login(page, server, server.admin)
    for url in (
        dashboard_url(server),
        mesure_url(server, "cae_6.1.1"),
        server.url(f"/c/{server.collectivite_id}/questionnaire/"),
        server.url(f"/c/{server.collectivite_id}/membres/"),
        server.url("/admin/"),
    ):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        if "/admin/" not in url:  # the admin has its own scripts, not htmx
            assert page.evaluate("typeof window.htmx") == "object", url  # script files do run
    page.goto(server.url("/api/docs"))
    page.locator(".swagger-ui .opblock").first.wait_for()  # the operations, rendered by Swagger UI
    assert violations(console) == []


def test_removing_a_member_asks_first(context: BrowserContext, server: JalonServer) -> None:
    server.add_member("rita", "lecture")
    page = context.new_page()
    login(page, server, server.admin)
    page.goto(server.url(f"/c/{server.collectivite_id}/membres/"))
    asked: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_role("button", name="Retirer rita").click()
    page.wait_for_timeout(300)
    assert asked == ["Retirer rita de la collectivité ?"]
    assert page.get_by_test_id("membre-rita").count() == 1  # dismissed: still a member
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Retirer rita").click()
    page.wait_for_load_state("networkidle")
    assert "rita ne fait plus partie" in page.content()
