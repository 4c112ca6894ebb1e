"""A proportion question is answered and shown as a percentage on the pages (« 50 », « 50 % »), while
the answer stays stored as the fraction 0..1 that the API and the engine use."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.test import Client

from jalon.loading import DEMO_DIR
from jalon.referentiel.model import Question, Source
from jalon.web.collectivites.models import Collectivite
from jalon.web.errors import InputError
from jalon.web.pages.questionnaire import _parse_valeur
from jalon.web.referentiels.services import import_folder
from jalon.web.statuts.models import HistoryEntry, Reponse
from tests.web.conftest import Member

pytestmark = pytest.mark.django_db

PROPORTION = Question("part", "proportion", "Part ?", "", "", (), (), None, (), Source("q.md", 1))


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("50", 0.5), ("50 %", 0.5), ("50%", 0.5), ("50,5", 0.505), ("50.5", 0.505), ("0", 0.0), ("100", 1.0)],
)
def test_a_proportion_is_typed_as_a_percentage(typed: str, stored: float) -> None:
    assert _parse_valeur(PROPORTION, typed) == pytest.approx(stored)


@pytest.mark.parametrize("typed", ["150", "-1", "abc", "nan", "inf", "50 %%"])
def test_a_proportion_outside_0_100_is_refused_in_french(typed: str) -> None:
    with pytest.raises(InputError) as error:
        _parse_valeur(PROPORTION, typed)
    assert error.value.field == "proportion" and "pourcentage entre 0 et 100" in error.value.reason


@pytest.fixture
def with_proportion(tmp_path: Path, collectivite: Collectivite) -> Collectivite:
    """The demo plus a proportion question."""
    folder = tmp_path / "referentiels"
    shutil.copytree(DEMO_DIR, folder)
    with (folder / "questions" / "demo.md").open("a", encoding="utf-8") as f:
        f.write(
            "\n# Quelle part des trajets domicile-travail se fait à vélo ?\n```yaml\nid: demo_velo\n"
            "type: proportion\nthematique_id: energie\nactions: [cae_6.1.1.5]\n```\n"
        )
    import_folder(folder)
    return collectivite


def logged_in(member: Member) -> Client:
    client = Client()
    assert client.login(username=member.user.username, password="mot-de-passe-de-test")
    return client


def test_the_questionnaire_takes_50_and_the_history_shows_50_percent(
    with_proportion: Collectivite, editor: Member
) -> None:
    client = logged_in(editor)
    url = f"/c/{with_proportion.pk}/questionnaire/"
    assert client.post(url, {"question_id": "demo_velo", "valeur": "50"}).status_code == 302
    assert Reponse.objects.get(question_id="demo_velo").valeur == 0.5  # the fraction, as the API has it
    page = client.get(url).content.decode()
    block = page.split('data-testid="question-demo_velo"')[1].split("</article>")[0]
    assert 'value="50"' in block and "Proportion en %" in block
    history = client.get(f"/c/{with_proportion.pk}/historique/").content.decode()
    assert '<td class="valeur">50 %</td>' in history


def test_a_refused_proportion_is_explained_beside_its_field_and_stores_nothing(
    with_proportion: Collectivite, editor: Member
) -> None:
    response = logged_in(editor).post(
        f"/c/{with_proportion.pk}/questionnaire/", {"question_id": "demo_velo", "valeur": "150"}
    )
    assert response.status_code == 400
    block = response.content.decode().split('data-testid="question-demo_velo"')[1].split("</article>")[0]
    field = block.split('id="valeur-demo_velo"')[1].split("</p>")[0]
    assert 'aria-invalid="true"' in field and 'role="alert"' in field
    assert "proportion : un pourcentage entre 0 et 100 est attendu" in field and "« 150 »" in field
    assert not Reponse.objects.exists() and not HistoryEntry.objects.exists()
