"""What the browser tests do and read on Jalon's pages, in one place.

Each element is looked up by its ``data-testid`` first (``root-score``, ``etoile``, ``mesure-score``,
``row-<action_id>``, ``statut-<action_id>``, ``question-<question_id>``), then, while a page does not carry
that hook yet, by the structure the current templates have. Numbers are read as a person reads them:
French decimals with a comma.
"""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from playwright.sync_api import BrowserContext, Locator, Page, Response
from playwright.sync_api import Error as PlaywrightError

import jalon
from jalon.labellisation.etoiles import etoile_score, part_fait
from jalon.referentiel.model import Referentiels
from jalon.scores.engine import ScoreValue
from tests.browser.server import Account, JalonServer

T = TypeVar("T")
NUMBER = r"\d+(?:[.,]\d+)?"
WAIT_S = 10.0


def number(text: str) -> float:
    return float(text.replace("\u202f", "").replace("\xa0", "").replace(",", "."))


def hook(scope: Page | Locator, testid: str, fallback: str) -> Locator:
    """The element carrying ``data-testid=testid`` if the page has one, else the ``fallback`` CSS."""
    by_id = scope.get_by_test_id(testid)
    return by_id.first if by_id.count() else scope.locator(fallback).first


def wait_for(read: Callable[[], T], done: Callable[[T], bool], what: str) -> T:
    """Read until ``done`` (the page may be reloading or swapping a fragment meanwhile)."""
    deadline = time.monotonic() + WAIT_S
    last: T | str = "nothing read"
    while time.monotonic() < deadline:
        try:
            value = read()
        except (PlaywrightError, ValueError) as error:  # mid-navigation, or not rendered yet
            last = f"{type(error).__name__}: {error}"
        else:
            if done(value):
                return value
            last = value
        time.sleep(0.05)
    raise AssertionError(f"{what}: last read {last!r}")


# -- pages ----------------------------------------------------------------------------------------


def login(page: Page, server: JalonServer, account: Account) -> None:
    page.goto(server.url("/connexion/"))
    page.get_by_label("Identifiant").fill(account.username)
    page.get_by_label("Mot de passe").fill(account.password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/connexion/" not in url)


def dashboard_url(server: JalonServer) -> str:
    return server.url(f"/c/{server.collectivite_id}/")


def mesure_url(server: JalonServer, action_id: str) -> str:
    return server.url(f"/c/{server.collectivite_id}/action/{action_id}/")


# -- reading --------------------------------------------------------------------------------------


def root_percent(page: Page) -> float:
    """The root's % fait on the dashboard (the first référentiel's)."""
    text = hook(page, "root-score", 'section p:has-text("% fait")').inner_text()
    found = re.search(rf"({NUMBER})\s*%", text)
    if found is None:
        raise ValueError(f"no percentage in {text!r}")
    return number(found.group(1))


def etoiles(page: Page) -> int:
    """The star the score allows, as the dashboard says it (« permet de demander la 2e étoile »); 0 when
    it allows none."""
    text = hook(page, "etoile", 'p:has-text("Étoile obtenue")').inner_text()
    found = re.search(r"demander la (\d+)", text)
    return int(found.group(1)) if found else 0


def _points(text: str) -> tuple[float, float]:
    """« 1,65 / 6 pts » → (1.65, 6.0): points fait and potentiel."""
    found = re.search(rf"({NUMBER})\s*/\s*({NUMBER})", text)
    if found is None:
        raise ValueError(f"no « fait / potentiel » in {text!r}")
    return number(found.group(1)), number(found.group(2))


def row(page: Page, action_id: str) -> Locator:
    return hook(page, f"row-{action_id}", f'tr[id="{action_id}"]')


def mesure_points(page: Page, mesure_id: str) -> tuple[float, float]:
    """Points fait / potentiel of the mesure a mesure page is about."""
    return _points(hook(page, "mesure-score", f'tr[id="{mesure_id}"] td:nth-child(2)').inner_text())


def row_points(page: Page, action_id: str) -> tuple[float, float]:
    return _points(row(page, action_id).inner_text())


def statut_control(page: Page, action_id: str) -> Locator:
    """The <select> of an action's statut."""
    by_id = page.get_by_test_id(f"statut-{action_id}")
    if by_id.count():
        control = by_id.first
        return control if control.evaluate("e => e.tagName") == "SELECT" else control.locator("select").first
    return row(page, action_id).locator("select").first


# -- writing --------------------------------------------------------------------------------------


def is_post(response: Response) -> bool:
    return response.request.method == "POST"


def set_statut(page: Page, action_id: str, avancement: str) -> None:
    """Choose the statut and send it: the form's button if it has one (htmx may send on change). Returns
    once the server answered the write (a page load or an htmx request)."""
    control = statut_control(page, action_id)
    form = control.locator("xpath=ancestor::form[1]")
    buttons = form.get_by_role("button")
    # A form marked data-autosave sends the statut as soon as it is chosen (« Détaillé » aside).
    sends_itself = form.get_attribute("data-autosave") is not None and avancement != "detaille"
    with page.expect_response(is_post) as posted:
        control.select_option(avancement)
        if buttons.count() and not sends_itself:
            buttons.first.click()
    assert posted.value.status < 400, posted.value.text()


def csrf_headers(context: BrowserContext) -> dict[str, str]:
    token = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
    return {"X-CSRFToken": token}


def api_get(context: BrowserContext, server: JalonServer, path: str) -> Any:
    """A GET of the JSON API with the browser's session."""
    response = context.request.get(server.url(path))
    assert response.ok, f"GET {path}: {response.status} {response.text()}"
    return response.json()


def open_questionnaire(page: Page, server: JalonServer) -> bool:
    """Follow the dashboard's link to the questionnaire; False while there is none."""
    page.goto(dashboard_url(server))
    link = page.get_by_role("link", name=re.compile(r"questionnaire|personnalisation", re.IGNORECASE))
    if not link.count():
        return False
    link.first.click()
    page.wait_for_load_state()
    return True


def answer_question(page: Page, server: JalonServer, question_id: str, valeur: str) -> str:
    """Answer a question on the questionnaire page; "page", or "api" while no page offers the question."""
    if open_questionnaire(page, server):
        block = page.get_by_test_id(f"question-{question_id}")
        block.wait_for()
        radio = block.locator(f'input[type="radio"][value="{valeur}"]')
        buttons = block.get_by_role("button")
        with page.expect_response(is_post) as posted:
            if radio.count():
                radio.check()
            else:
                block.locator("select").first.select_option(valeur)
            if buttons.count():
                buttons.first.click()
        assert posted.value.status < 400, posted.value.text()
        return "page"
    warnings.warn(
        f"no questionnaire link on the dashboard yet: {question_id} answered through the JSON API "
        "with the browser's session",
        stacklevel=2,
    )
    response = page.context.request.put(
        server.url(f"/api/collectivites/{server.collectivite_id}/reponses/{question_id}"),
        data={"valeur": valeur},
        headers=csrf_headers(page.context),
    )
    assert response.ok, response.text()
    return "api"


# -- what the engine says -------------------------------------------------------------------------


class Engine:
    """``jalon.evaluate`` for the collectivité the server serves, on the bundled demo référentiel."""

    def __init__(self, identite: Mapping[str, list[str]], loaded: Referentiels | None = None) -> None:
        self.identite = dict(identite)
        self.loaded = loaded if loaded is not None else jalon.load()

    def scores(
        self, reponses: Mapping[str, str], statuts: Mapping[str, str]
    ) -> dict[str, dict[str, ScoreValue]]:
        scenario = {"Collectivité": self.identite, "Réponses": dict(reponses), "Statuts": dict(statuts)}
        return jalon.evaluate(self.loaded, scenario)


def points(scores: Mapping[str, ScoreValue]) -> tuple[float, float]:
    return float(scores["point_fait"] or 0), float(scores["point_potentiel"] or 0)


def percent_fait(scores: Mapping[str, ScoreValue]) -> float:
    fait, potentiel = points(scores)
    return round(100 * fait / potentiel, 1) if potentiel else 0.0


def stars(scores: Mapping[str, ScoreValue]) -> int:
    """The star the score allows, by the demo's thresholds (src/jalon/demo/labellisation/criteres.yml)."""
    criteres = jalon.load().criteres
    assert criteres is not None
    return etoile_score(part_fait(*points(scores)), criteres.etoiles)
