"""In Chromium, against a real ``jalon serve``: the admin answers a question and sets a tâche fait, and the
mesure and root scores on the pages become what the engine computes for that state; a ``lecture`` member
sees no controls and has its writes refused."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext

from tests.browser.conftest import new_context
from tests.browser.server import JalonServer
from tests.browser.ui import (
    Engine,
    answer_question,
    api_get,
    csrf_headers,
    dashboard_url,
    etoiles,
    login,
    mesure_points,
    mesure_url,
    open_questionnaire,
    percent_fait,
    points,
    root_percent,
    row,
    row_points,
    set_statut,
    stars,
    statut_control,
    wait_for,
)

pytestmark = pytest.mark.browser

# The demo référentiel (src/jalon/demo): answering NON to demo_jumelage halves the sous-mesure 6.1.1.5 of
# the mesure 6.1.1, and 6.1.1.5.1 is one of its tâches, so both writes change the mesure and the root.
MESURE = "cae_6.1.1"
TACHE = "cae_6.1.1.5.1"
QUESTION, ANSWER = "demo_jumelage", "NON"
ROOT = "cae"


def close(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return all(abs(x - y) < 1e-3 for x, y in zip(a, b, strict=True))


def test_answer_and_tache_fait_change_the_scores_shown(context: BrowserContext, server: JalonServer) -> None:
    page = context.new_page()
    login(page, server, server.admin)
    page.get_by_role("link", name=re.compile("démonstration")).click()
    page.wait_for_url(dashboard_url(server))

    engine = Engine(api_get(context, server, f"/api/collectivites/{server.collectivite_id}")["identite"])
    before = engine.scores({}, {})
    assert root_percent(page) == pytest.approx(percent_fait(before[ROOT]), abs=0.051)
    assert etoiles(page) == stars(before[ROOT])
    page.goto(mesure_url(server, MESURE))
    assert close(mesure_points(page, MESURE), points(before[MESURE]))

    # Answer the question: the mesure's potentiel drops by half of 6.1.1.5's points.
    answer_question(page, server, QUESTION, ANSWER)
    reponses = api_get(context, server, f"/api/collectivites/{server.collectivite_id}/reponses")
    assert reponses[QUESTION]["valeur"] == ANSWER
    answered = engine.scores({QUESTION: ANSWER}, {})
    assert points(answered[MESURE])[1] < points(before[MESURE])[1]
    page.goto(mesure_url(server, MESURE))
    wait_for(
        lambda: mesure_points(page, MESURE),
        lambda shown: close(shown, points(answered[MESURE])),
        f"mesure score after the answer, expected {points(answered[MESURE])}",
    )

    # Set the tâche fait with the page's own control.
    set_statut(page, TACHE, "fait")
    after = engine.scores({QUESTION: ANSWER}, {TACHE: "fait"})
    assert points(after[MESURE])[0] > 0
    wait_for(
        lambda: mesure_points(page, MESURE),
        lambda shown: close(shown, points(after[MESURE])),
        f"mesure score after the tâche, expected {points(after[MESURE])}",
    )
    assert close(row_points(page, TACHE), points(after[TACHE]))
    if page.get_by_test_id("root-score").count():  # the mesure page shows the root's score too
        wait_for(
            lambda: root_percent(page),
            lambda shown: abs(shown - percent_fait(after[ROOT])) < 0.051,
            f"root score on the mesure page, expected {percent_fait(after[ROOT])}",
        )
    assert statut_control(page, TACHE).input_value() == "fait"
    statuts = api_get(context, server, f"/api/collectivites/{server.collectivite_id}/statuts")
    assert statuts == {TACHE: {"avancement": "fait"}}

    page.goto(dashboard_url(server))
    shown = root_percent(page)
    assert shown == pytest.approx(percent_fait(after[ROOT]), abs=0.051)
    assert shown > percent_fait(before[ROOT])
    assert etoiles(page) == stars(after[ROOT])


@pytest.fixture
def lecture(browser: Browser, server: JalonServer) -> Iterator[BrowserContext]:
    """A browser logged in as a new ``lecture`` member of the collectivité."""
    context = new_context(browser)
    login(context.new_page(), server, server.add_member("lucie", "lecture"))
    yield context
    context.close()


def test_lecture_member_cannot_edit(lecture: BrowserContext, server: JalonServer) -> None:
    context = lecture
    page = context.new_page()
    page.goto(mesure_url(server, MESURE))
    statuts_before = api_get(context, server, f"/api/collectivites/{server.collectivite_id}/statuts")
    reponses_before = api_get(context, server, f"/api/collectivites/{server.collectivite_id}/reponses")

    # No control on the page: no statut select, no button to save, no explication to type.
    assert row(page, TACHE).is_visible()
    assert page.locator('select, [data-testid^="statut-"]').count() == 0
    assert page.locator('textarea[name="texte"]').count() == 0
    assert page.get_by_role("button", name=re.compile("^Enregistrer")).count() == 0

    # Nor on the questionnaire: the answer is shown, not offered for change.
    if open_questionnaire(page, server):
        question = page.get_by_test_id(f"question-{QUESTION}")
        assert question.is_visible()
        assert question.locator("input, select, textarea, button").count() == 0

    # Writes sent anyway are refused, by the page and by the API, and change nothing.
    form: dict[str, str | float | bool] = {
        "action_id": TACHE,
        "avancement": "pas_fait",
        "csrfmiddlewaretoken": csrf_headers(context)["X-CSRFToken"],
    }
    refused = context.request.post(mesure_url(server, MESURE), form=form, max_redirects=0)
    assert refused.status in (403, 405), refused.text()
    base = f"/api/collectivites/{server.collectivite_id}"
    refused = context.request.put(
        server.url(f"{base}/statuts/{TACHE}"), data={"avancement": "pas_fait"}, headers=csrf_headers(context)
    )
    assert refused.status == 403, refused.text()
    refused = context.request.put(
        server.url(f"{base}/reponses/{QUESTION}"), data={"valeur": "OUI"}, headers=csrf_headers(context)
    )
    assert refused.status == 403, refused.text()
    assert api_get(context, server, f"{base}/statuts") == statuts_before
    assert api_get(context, server, f"{base}/reponses") == reponses_before
