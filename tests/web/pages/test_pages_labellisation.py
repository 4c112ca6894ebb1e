"""The dashboard on the label: a star is never « atteinte » by the score alone. It shows the star obtained
(none yet), the star the score allows, and whether the engine's checklist lets it be requested."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.test import Client

from jalon.loading import DEMO_DIR
from jalon.web.collectivites.models import Collectivite
from jalon.web.referentiels.models import ReferentielVersion
from jalon.web.referentiels.services import import_folder, loaded_version
from tests.web.conftest import Member, make_collectivite, make_member

pytestmark = pytest.mark.django_db

SOUS_MESURES = {
    "cae_6.1.1": ["cae_6.1.1.1", "cae_6.1.1.2", "cae_6.1.1.3", "cae_6.1.1.4", "cae_6.1.1.5"],
    "cae_6.1.2": ["cae_6.1.2.1", "cae_6.1.2.2", "cae_6.1.2.3"],
}


def logged_in(member: Member) -> Client:
    client = Client()
    assert client.login(username=member.user.username, password="mot-de-passe-de-test")
    return client


def dashboard(client: Client, collectivite: Collectivite) -> str:
    response = client.get(f"/c/{collectivite.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_at_zero_the_dashboard_says_no_star_is_obtained_and_lists_what_the_first_needs(
    collectivite: Collectivite, editor: Member
) -> None:
    page = dashboard(logged_in(editor), collectivite)
    assert "atteinte" not in page
    assert "Étoile obtenue : aucune" in page
    assert "Le score permet de demander la 1re étoile ; la 2e à 35 % fait, encore 3,5 points." in page
    assert "La 1re étoile ne peut pas encore être demandée (critères remplis : 0 sur 4)" in page
    missing = page.split('data-testid="manquants-cae"')[1].split("</ul>")[0]
    assert "une complétude de 100 % (aujourd'hui 0,0 %, 0 tâches renseignées sur 29)" in missing
    # Each unmet criterion links to its action, with the numbers that decide it.
    link = f'<a href="/c/{collectivite.pk}/action/cae_6.1.2.1.1/">6.1.2.1.1</a>'
    assert link in missing
    assert (
        "Les référents climat de chaque collectivité sont connus : 0 % fait ; attendu 100 % fait" in missing
    )
    assert "0 % fait, 0 % programmé ; attendu 100 % fait, ou 100 % fait et programmé" in missing
    assert "page Labellisation</a>" in page and f'href="/c/{collectivite.pk}/labellisation/#ref-cae"' in page
    assert "Marge conseillée : 3 % au-dessus du seuil" in page


def test_with_every_criterion_and_tache_filled_the_star_the_score_allows_can_be_requested(
    collectivite: Collectivite, editor: Member
) -> None:
    client = logged_in(editor)
    for mesure, sous_mesures in SOUS_MESURES.items():
        for action_id in sous_mesures:
            response = client.post(
                f"/c/{collectivite.pk}/action/{mesure}/", {"action_id": action_id, "avancement": "fait"}
            )
            assert response.status_code == 302
    page = dashboard(client, collectivite)
    assert "Étoile obtenue : aucune" in page and "atteinte" not in page
    assert "Le score permet de demander la 5e étoile." in page
    assert "La 5e étoile peut être demandée : ses 7 critères sont remplis" in page
    assert "(labellisation sur audit)" in page
    assert 'data-testid="manquants-cae"' not in page


def test_a_criterion_met_by_programme_alone_is_met_but_a_fait_one_is_listed(
    collectivite: Collectivite, editor: Member
) -> None:
    client = logged_in(editor)
    url = f"/c/{collectivite.pk}/action/cae_6.1.2/"
    client.post(url, {"action_id": "cae_6.1.2.1.1", "avancement": "programme"})
    missing = dashboard(client, collectivite).split('data-testid="manquants-cae"')[1].split("</ul>")[0]
    # Programmé is not enough for 6.1.2.1.1 (fait 100 % only): still listed, with its 0 % fait.
    assert "/action/cae_6.1.2.1.1/" in missing and "0 % fait ; attendu 100 % fait</li>" in missing


def demo_without_criteria(tmp_path: Path) -> Path:
    folder = tmp_path / "demo"
    shutil.copytree(DEMO_DIR, folder)
    shutil.rmtree(folder / "labellisation")
    return folder


def test_a_version_without_criteria_says_so_and_shows_no_star(tmp_path: Path) -> None:
    import_folder(demo_without_criteria(tmp_path))
    collectivite = make_collectivite()
    page = dashboard(logged_in(make_member(collectivite, "lecture", "lea")), collectivite)
    assert "Étoile obtenue : aucune" in page and "Aucun critère de labellisation" in page
    assert "Le score permet" not in page and "atteinte" not in page


def test_the_criteria_of_a_folder_or_given_apart_are_imported_with_the_version(tmp_path: Path) -> None:
    folder = demo_without_criteria(tmp_path)
    assert loaded_version(import_folder(folder).version).criteres is None
    given = import_folder(folder, DEMO_DIR / "labellisation" / "criteres.yml")
    assert given.created
    assert "labellisation/criteres.yml" in given.version.files
    criteres = loaded_version(given.version).criteres
    assert criteres is not None and criteres.etoiles[1] == 0.35
    # From the folder itself: the bundled demo has its own.
    assert loaded_version(import_folder(None).version).criteres is not None


def test_serve_imports_the_criteria_file_given_apart_with_the_folder(tmp_path: Path) -> None:
    from jalon.web.serve import prepare

    prepared = prepare(demo_without_criteria(tmp_path), DEMO_DIR / "labellisation" / "criteres.yml")
    assert prepared.problems == () and prepared.version_id is not None
    version = ReferentielVersion.objects.get(pk=prepared.version_id)
    assert loaded_version(version).criteres is not None
