"""Screenshots of the dashboard and of a mesure page, on the official référentiels with statuts set.

Always taken (into pytest's temporary folder), so a page that fails to render fails the suite; written to
``docs/screenshots/`` when ``JALON_SCREENSHOTS=1``:

    JALON_SCREENSHOTS=1 .venv/bin/pytest -m browser tests/browser/test_screenshots.py
"""

from __future__ import annotations

import os
import random
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

import jalon
from tests.browser.server import REPO, JalonServer, jalon_serve
from tests.browser.ui import (
    Engine,
    api_get,
    csrf_headers,
    dashboard_url,
    login,
    mesure_points,
    mesure_url,
    percent_fait,
    points,
    root_percent,
    set_statut,
    wait_for,
)

pytestmark = pytest.mark.browser

OUT = REPO / "docs" / "screenshots"
MAX_BYTES = 300_000
MESURE = "cae_6.1.1"  # the mesure this project started from (../shared/referentiels/seed-6.1.1.md)
# Share of the sous-mesures given a statut, per axe: strengths and weaknesses for the dashboard's chart.
SHARE_PER_AXE = {"cae_1": 0.45, "cae_2": 0.3, "cae_3": 0.1, "cae_4": 0.25, "cae_5": 0.6, "cae_6": 0.2}
AVANCEMENTS = ["fait"] * 6 + ["programme"] * 3 + ["pas_fait"] * 2


@pytest.fixture(scope="module")
def server(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory, referentiels_dir: Path
) -> Iterator[JalonServer]:
    """``jalon serve`` with a fresh database, the official CAE and ECI référentiels and their labellisation
    criteria (beside them in ../shared, not inside the folder)."""
    criteres = referentiels_dir.parent / "labellisation" / "criteres.yml"
    with jalon_serve(tmp_path_factory.mktemp("jalon"), referentiels_dir, criteres) as running:
        yield running


def statuts_to_show(engine: Engine) -> tuple[dict[str, str], str]:
    """A plausible state: a statut on part of the CAE sous-mesures (seeded, the same every run) and on
    the tâches of the mesure shown, but one tâche, returned, left for the browser to set. Actions the
    personnalisation désactive take no statut."""
    cae = engine.loaded.referentiels["cae"]
    desactive = {k for k, v in engine.scores({}, {}).items() if v["desactive"]}
    rng = random.Random(2024)
    out: dict[str, str] = {}
    taches = []
    for action in cae.actions.values():
        if action.id in desactive:
            continue
        if action.id.startswith(MESURE + "."):
            if action.depth == cae.action_level + 2:
                taches.append(action.id)
        elif action.depth == cae.action_level + 1 and rng.random() < SHARE_PER_AXE[action.id.split(".")[0]]:
            out[action.id] = rng.choice(AVANCEMENTS)
    for i, tache in enumerate(taches[1:]):
        out[tache] = ["fait", "fait", "programme", "pas_fait", "fait"][i % 5]
    return out, taches[0]


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def shoot(page: Page, name: str, folder: Path, max_height: int) -> Path:
    """A full-page screenshot, cut at ``max_height`` px (a long page's rest adds nothing but bytes)."""
    height = min(page.evaluate("document.documentElement.scrollHeight"), max_height)
    path = folder / name
    page.screenshot(path=str(path), clip={"x": 0, "y": 0, "width": 1280, "height": height}, full_page=True)
    assert path.stat().st_size < MAX_BYTES, f"{name}: {path.stat().st_size} bytes"
    width, shot_height = png_size(path)
    assert width == 1280 and shot_height > 300, (width, shot_height)
    return path


def test_screenshots(
    context: BrowserContext, server: JalonServer, referentiels_dir: Path, tmp_path: Path
) -> None:
    folder = OUT if os.environ.get("JALON_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page = context.new_page()
    login(page, server, server.admin)
    base = f"/api/collectivites/{server.collectivite_id}"
    engine = Engine(api_get(context, server, base)["identite"], jalon.load(referentiels_dir))
    wanted, tache = statuts_to_show(engine)
    for action_id, avancement in wanted.items():
        response = context.request.put(
            server.url(f"{base}/statuts/{action_id}"),
            data={"avancement": avancement},
            headers=csrf_headers(context),
        )
        assert response.ok, response.text()

    # The tâche left, set in the page: the screenshot shows the page after a write, and its numbers are
    # what the engine computes for the whole state.
    page.goto(mesure_url(server, MESURE))
    set_statut(page, tache, "fait")
    expected = engine.scores({}, {**wanted, tache: "fait"})
    wait_for(
        lambda: mesure_points(page, MESURE),
        lambda shown: all(abs(x - y) < 1e-3 for x, y in zip(shown, points(expected[MESURE]), strict=True)),
        f"mesure score after setting {tache}, expected {points(expected[MESURE])}",
    )
    shoot(page, "mesure.png", folder, max_height=1500)

    page.goto(dashboard_url(server))
    assert root_percent(page) == pytest.approx(percent_fait(expected["cae"]), abs=0.051)
    assert percent_fait(expected["cae"]) > 10  # the state has some substance
    shoot(page, "dashboard.png", folder, max_height=1400)
