"""In Chromium, against a real ``jalon serve``: on the mesure page no choice is lost without the user
knowing. A statut is saved as soon as it is chosen; a row typed in but not saved says so, keeps its typing
when another row's save refreshes the rows, and the page asks before it is left."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Dialog, Locator, Page

from tests.browser.server import JalonServer
from tests.browser.ui import api_get, is_post, login, mesure_url, row, statut_control, wait_for

pytestmark = pytest.mark.browser

MESURE = "cae_6.1.1"
DETAILLE = "cae_6.1.1.3.1"  # typed in, left incomplete
CHOSEN = "cae_6.1.1.2.1"  # chosen: saved at once
EXPLIQUE = "cae_6.1.1.4.1"  # an explication typed, not sent


def statuts(context: BrowserContext, server: JalonServer) -> Any:
    return api_get(context, server, f"/api/collectivites/{server.collectivite_id}/statuts")


def field(page: Page, element_id: str) -> Locator:
    return page.locator(f'[id="{element_id}"]')


def mark_rows(page: Page) -> None:
    """Mark the rows now on the page, to tell when a save has put new ones in their place."""
    page.evaluate("document.getElementById('mesure-live').dataset.old = 'oui'")


def wait_for_new_rows(page: Page) -> None:
    wait_for(
        lambda: page.evaluate("document.getElementById('mesure-live').dataset.old || ''"),
        lambda old: old == "",
        "the rows answered by the save",
    )


def unsaved(page: Page, action_id: str) -> bool:
    return page.get_by_test_id(f"non-enregistre-{action_id}").is_visible()


def test_a_choice_is_never_lost_without_the_user_knowing(
    context: BrowserContext, server: JalonServer
) -> None:
    page = context.new_page()
    login(page, server, server.admin)
    page.goto(mesure_url(server, MESURE))

    # « Détaillé » with one % of three: not sent, and the row says it is not saved.
    statut_control(page, DETAILLE).select_option("detaille")
    field(page, f"fait-{DETAILLE}").fill("50")
    assert unsaved(page, DETAILLE)
    # An explication typed in another row, not sent either.
    explication = row(page, EXPLIQUE)
    explication.get_by_text("Ajouter une explication").click()
    field(page, f"explication-{EXPLIQUE}").fill("Courrier au député en mars.")

    # Choosing a statut elsewhere saves it at once (no button), and the rows are answered again…
    mark_rows(page)
    with page.expect_response(is_post) as posted:
        statut_control(page, CHOSEN).select_option("fait")
    assert posted.value.status == 200
    wait_for_new_rows(page)
    wait_for(
        lambda: statuts(context, server),
        lambda saved: saved == {CHOSEN: {"avancement": "fait"}},
        "the chosen statut saved, and nothing else",
    )
    wait_for(lambda: unsaved(page, CHOSEN), lambda shown: not shown, "the saved row is no longer unsaved")
    # … without losing what was typed in the other rows, still marked as not saved.
    assert statut_control(page, DETAILLE).input_value() == "detaille"
    assert field(page, f"fait-{DETAILLE}").input_value() == "50"
    assert unsaved(page, DETAILLE)
    assert field(page, f"explication-{EXPLIQUE}").is_visible()
    assert field(page, f"explication-{EXPLIQUE}").input_value() == "Courrier au député en mars."
    # The same when another row's button is pressed.
    mark_rows(page)
    with page.expect_response(is_post) as posted:
        row(page, CHOSEN).get_by_role("button", name="Enregistrer le statut de 6.1.1.2.1").click()
    assert posted.value.status == 200
    wait_for_new_rows(page)
    assert field(page, f"fait-{DETAILLE}").input_value() == "50" and unsaved(page, DETAILLE)

    # Leaving the page with unsaved rows asks first; staying keeps everything.
    asked: list[str] = []

    def stay(dialog: Dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    url = page.url
    page.get_by_role("link", name="Climat Air Énergie (démo)").first.click()
    wait_for(lambda: asked, lambda seen: seen == ["beforeunload"], "a question before leaving")
    assert page.url == url and field(page, f"fait-{DETAILLE}").input_value() == "50"
    page.remove_listener("dialog", stay)

    # The three % filled in: « Détaillé » is sent by itself.
    field(page, f"programme-{DETAILLE}").fill("30")
    mark_rows(page)
    with page.expect_response(is_post) as posted:
        field(page, f"pas_fait-{DETAILLE}").fill("20")
        field(page, f"pas_fait-{DETAILLE}").press("Tab")
    assert posted.value.status == 200
    wait_for_new_rows(page)
    wait_for(
        lambda: statuts(context, server).get(DETAILLE),
        lambda saved: saved is not None and saved.get("avancement") == "detaille",
        "the détaillé saved",
    )
    wait_for(lambda: unsaved(page, DETAILLE), lambda shown: not shown, "the détaillé row saved")
    assert field(page, f"explication-{EXPLIQUE}").input_value() == "Courrier au député en mars."


def test_a_refused_detaille_keeps_its_values_in_the_browser(
    context: BrowserContext, server: JalonServer
) -> None:
    page = context.new_page()
    login(page, server, server.admin)
    page.goto(mesure_url(server, MESURE))
    tache = "cae_6.1.1.5.2"
    mark_rows(page)
    statut_control(page, tache).select_option("detaille")
    for name, value in (("fait", "50"), ("programme", "20"), ("pas_fait", "20")):
        field(page, f"{name}-{tache}").fill(value)
    with page.expect_response(is_post) as posted:
        field(page, f"pas_fait-{tache}").press("Tab")
    assert posted.value.status == 400
    wait_for_new_rows(page)
    wait_for(
        lambda: row(page, tache).get_by_role("alert").inner_text(),
        lambda text: "Les trois pourcentages doivent faire 100 au total (ici 90)." in text,
        "the reason beside the fields",
    )
    assert statut_control(page, tache).input_value() == "detaille"
    assert [field(page, f"{n}-{tache}").input_value() for n in ("fait", "programme", "pas_fait")] == [
        "50",
        "20",
        "20",
    ]
    assert unsaved(page, tache)
    assert tache not in statuts(context, server)
