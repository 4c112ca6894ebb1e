"""The référentiel tree: a search without accents nor case, on numbers, names and texts, that finds the
tâches too; axes and sous-axes that fold, a menu to jump to an axe, and the dashboard's way in."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from jalon.web.collectivites.models import Collectivite
from jalon.web.statuts import services
from jalon.web.texte import fold, numero
from tests.web.conftest import Member

pytestmark = pytest.mark.django_db


def logged_in(member: Member) -> Client:
    client = Client()
    assert client.login(username=member.user.username, password="mot-de-passe-de-test")
    return client


def shown(page: str) -> list[str]:
    return re.findall(r'data-testid="row-([^"]+)"', page)


def search(client: Client, c: Collectivite, q: str, **filters: str) -> list[str]:
    response = client.get(f"/c/{c.pk}/cae/", {"q": q, **filters})
    assert response.status_code == 200
    return shown(response.content.decode())


def test_fold_and_numero() -> None:
    assert fold("Énergie ŒUVRE l’eau") == "energie oeuvre l'eau"
    assert numero(" 6.1.1. ") == "6.1.1" and numero("6") == "6" and numero("énergie") is None


def test_search_ignores_accents_and_case(collectivite: Collectivite, editor: Member) -> None:
    client = logged_in(editor)
    accented = search(client, collectivite, "énergie")
    assert "cae_6.1.2" in accented  # « conseil en énergie partagé »
    assert search(client, collectivite, "energie") == accented
    assert search(client, collectivite, "ÉNERGIE") == accented


def test_search_by_number_takes_the_node_and_what_is_below(
    collectivite: Collectivite, editor: Member
) -> None:
    client = logged_in(editor)
    mesure = search(client, collectivite, "6.1.1")
    assert "cae_6.1.1" in mesure and "cae_6.1.1.5" in mesure and "cae_6.1.2" not in mesure
    assert not any(r.count(".") == 4 for r in mesure)  # the mesure's tâches stay in its page
    tache = search(client, collectivite, "6.1.1.2.3")
    assert tache == ["cae", "cae_6", "cae_6.1", "cae_6.1.1", "cae_6.1.1.2", "cae_6.1.1.2.3"]
    sous_mesure = search(client, collectivite, "6.1.1.2")
    assert "cae_6.1.1.2.1" in sous_mesure and "cae_6.1.1.3" not in sous_mesure


def test_search_finds_taches_by_name_and_actions_by_their_texts(
    collectivite: Collectivite, editor: Member
) -> None:
    client = logged_in(editor)
    # A tâche's name, in other case and without accents: it shows with its ancestors.
    tache = search(client, collectivite, "chambres consulaires")
    assert tache[-2:] == ["cae_6.1.1.2", "cae_6.1.1.2.3"] and tache[:4] == [
        "cae",
        "cae_6",
        "cae_6.1",
        "cae_6.1.1",
    ]
    # A word of a tâche's description only (« ingénierie entre une ville et la campagne »).
    assert "cae_6.1.1.2.1" in search(client, collectivite, "ingenierie entre une ville")
    # Words of the mesure's contexte, in any order.
    assert "cae_6.1.1" in search(client, collectivite, "decentralisee cooperation")
    # A search combines with the other filters.
    services.set_statut(collectivite, editor.user, "cae_6.1.1.2.3", "fait")
    assert "cae_6.1.1.2.3" in search(client, collectivite, "consulaires", statut="fait")
    assert "cae_6.1.1.2.3" not in search(client, collectivite, "consulaires", statut="pas_fait")


def details_of(page: str, action_id: str) -> str:
    found = re.search(rf'<details class="[^"]*" id="axe-{re.escape(action_id)}"( open)?>', page)
    assert found is not None, action_id
    return found.group(0)


def test_axes_fold_and_a_filter_unfolds_what_it_shows(collectivite: Collectivite, editor: Member) -> None:
    client = logged_in(editor)
    url = f"/c/{collectivite.pk}/cae/"
    page = client.get(url).content.decode()
    assert " open" not in details_of(page, "cae_6")  # the axes start folded
    assert " open" in details_of(page, "cae_6.1")  # a sous-axe opens with its axe
    assert f'href="{url}?axe=cae_6#axe-cae_6"' in page  # the menu of axes
    assert f'href="{url}?deplier=tout"' in page
    assert " open" in details_of(client.get(url, {"deplier": "tout"}).content.decode(), "cae_6")
    found = client.get(url, {"q": "consulaires"}).content.decode()
    assert " open" in details_of(found, "cae_6") and " open" in details_of(found, "cae_6.1")
    # The menu keeps the filters.
    assert f'href="{url}?q=consulaires&amp;axe=cae_6#axe-cae_6"' in found
    assert client.get(url, {"axe": "cae_99"}).status_code == 400


def test_mesure_6_1_1_is_two_clicks_from_the_dashboard(collectivite: Collectivite, editor: Member) -> None:
    client = logged_in(editor)
    dashboard = client.get(f"/c/{collectivite.pk}/").content.decode()
    # Click 1: the axe on the dashboard opens the tree unfolded at that axe.
    link = re.search(r'<a href="([^"]+)">6\. [^<]+</a>', dashboard)
    assert link is not None
    tree = client.get(link.group(1).replace("&amp;", "&"))
    page = tree.content.decode()
    assert tree.status_code == 200 and link.group(1).endswith("#axe-cae_6")
    assert " open" in details_of(page, "cae_6") and " open" in details_of(page, "cae_6.1")
    # Click 2: the mesure's link, in a table of an open sous-axe.
    assert f'<a href="/c/{collectivite.pk}/action/cae_6.1.1/">6.1.1 ' in page
