"""In Chromium, on the official référentiels: every page is usable from 360 px wide (nothing wider than
the screen: tables scroll inside their own box, the navigation wraps, forms fit), the history never cuts
a word in the middle, and mesure 6.1.1 is two clicks from the dashboard."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import TIMEOUT_MS
from tests.browser.server import JalonServer, jalon_serve
from tests.browser.ui import dashboard_url, login, mesure_url, set_statut

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def server(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory, referentiels_dir: Path
) -> Iterator[JalonServer]:
    with jalon_serve(tmp_path_factory.mktemp("jalon"), referentiels_dir) as running:
        yield running


def new_page(browser: Browser, server: JalonServer, viewport: dict[str, int]) -> Page:
    context = browser.new_context(locale="fr-FR", viewport=viewport)  # type: ignore[arg-type]
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    login(page, server, server.admin)
    return page


# What sticks out past the screen's right edge (outside a box that scrolls), for the failure message.
WIDEST = """() => {
  const out = [];
  for (const e of document.body.querySelectorAll("*")) {
    const r = e.getBoundingClientRect();
    if (r.right > window.innerWidth + 0.5 && !e.closest(".table-scroll")) {
      out.push(`${e.tagName.toLowerCase()}.${e.className} ${Math.round(r.right)}px`);
    }
  }
  return out.slice(0, 8);
}"""


def test_every_page_fits_a_360_px_screen(browser: Browser, server: JalonServer) -> None:
    page = new_page(browser, server, PHONE)
    c = f"/c/{server.collectivite_id}"
    page.goto(mesure_url(server, "cae_6.1.1"))
    set_statut(page, "cae_6.1.1.1.1", "fait")
    too_wide = {}
    for path in (
        f"{c}/",
        f"{c}/cae/",
        f"{c}/cae/?deplier=tout",
        f"{c}/cae/?q=energie",
        f"{c}/eci/?deplier=tout",
        f"{c}/action/cae_6.1.1/",
        f"{c}/questionnaire/",
        f"{c}/historique/",
        f"{c}/discussions/",
        f"{c}/membres/",
        f"{c}/parametres/",
        f"{c}/labellisation/",
        "/jetons/",
    ):
        page.goto(server.url(path))
        if page.evaluate("document.documentElement.scrollWidth") > PHONE["width"]:
            too_wide[path] = page.evaluate(WIDEST)
    page.context.close()
    assert not too_wide, "\n".join(f"{k}: {v}" for k, v in too_wide.items())


WORDS_ON_ONE_LINE = """cells => cells.every(cell => {
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const m of node.data.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      if (range.getClientRects().length > 1) return false;
    }
  }
  return true;
})"""


def test_history_values_are_never_cut_in_a_word(browser: Browser, server: JalonServer) -> None:
    page = new_page(browser, server, PHONE)
    page.goto(mesure_url(server, "cae_6.1.1"))
    set_statut(page, "cae_6.1.1.1.2", "programme")
    for width in (360, 800, 1280):
        page.set_viewport_size({"width": width, "height": 740})
        page.goto(server.url(f"/c/{server.collectivite_id}/historique/"))
        cells = page.locator("td.valeur")
        assert cells.count() >= 2 and "Non renseigné" in cells.all_inner_texts()
        assert page.eval_on_selector_all("td.valeur", WORDS_ON_ONE_LINE), width
    page.context.close()


def test_mesure_6_1_1_in_two_clicks_from_the_dashboard(browser: Browser, server: JalonServer) -> None:
    page = new_page(browser, server, {"width": 1280, "height": 900})
    page.goto(dashboard_url(server))
    page.get_by_test_id("axes-cae").get_by_role("link", name="6. ", exact=False).first.click()  # click 1
    page.wait_for_load_state()
    link = page.get_by_role("link", name="6.1.1 ", exact=False).first
    assert link.is_visible()
    link.click()  # click 2
    page.wait_for_url(mesure_url(server, "cae_6.1.1"))
    # Folded, the CAE tree starts as its list of axes: a few screens, not 21,000 px.
    page.goto(server.url(f"/c/{server.collectivite_id}/cae/"))
    height: int = page.evaluate("document.documentElement.scrollHeight")
    assert height < 2_000, height
    page.context.close()
