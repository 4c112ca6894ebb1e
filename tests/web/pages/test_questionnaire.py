"""The questionnaire page: questions by thématique, the effect of each answer, justifications, history."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.test import Client

from jalon.loading import DEMO_DIR
from jalon.referentiel.model import Question, Source
from jalon.web.collectivites.models import Collectivite, Role
from jalon.web.errors import InputError
from jalon.web.pages.questionnaire import _parse_valeur
from jalon.web.referentiels.services import import_folder
from jalon.web.statuts import services
from jalon.web.statuts.models import HistoryEntry, Reponse
from tests.web.conftest import Member, make_collectivite, make_member

pytestmark = pytest.mark.django_db


def logged_in(member: Member) -> Client:
    client = Client()
    assert client.login(username=member.user.username, password="mot-de-passe-de-test")
    return client


def question_block(page: str, question_id: str) -> str:
    return page.split(f'data-testid="question-{question_id}"')[1].split("</article>")[0]


def test_questions_grouped_by_thematique_with_their_actions(
    collectivite: Collectivite, editor: Member
) -> None:
    page = logged_in(editor).get(f"/c/{collectivite.pk}/questionnaire/").content.decode()
    # Labels from the référentiels' thématiques, in their order.
    assert page.index('<h2 id="thematique-1">Partenariats et coopération</h2>') < page.index(">Énergie</h2>")
    jumelage = question_block(page, "demo_jumelage")
    assert "Actions concernées" in jumelage and "cae_6.1.1.5" in jumelage
    assert 'name="justification"' in jumelage and "Effet de cette réponse" not in jumelage


def test_an_answer_shows_what_it_changes_and_is_kept_in_history(
    collectivite: Collectivite, editor: Member
) -> None:
    client = logged_in(editor)
    url = f"/c/{collectivite.pk}/questionnaire/"
    before = services.scores(collectivite, "cae")["cae_6.1.1.5"]["point_potentiel"]
    response = client.post(
        url, {"question_id": "demo_jumelage", "valeur": "NON", "justification": "Aucun jumelage."}
    )
    assert response.status_code == 302 and response["Location"].endswith("#question-demo_jumelage")
    after = services.scores(collectivite, "cae")["cae_6.1.1.5"]["point_potentiel"]
    assert after is not None and before is not None and float(after) < float(before)
    block = question_block(client.get(url).content.decode(), "demo_jumelage")
    assert "potentiel × 1/2 (sans cette réponse : potentiel entier)" in block and "Aucun jumelage." in block
    assert list(HistoryEntry.objects.filter(subject="demo_jumelage").values_list("kind", flat=True)) == [
        "justification",
        "reponse",
    ]
    # Answering OUI takes the reduction away: the answer changes nothing any more.
    client.post(url, {"question_id": "demo_jumelage", "valeur": "OUI", "justification": "Aucun jumelage."})
    block = question_block(client.get(url).content.decode(), "demo_jumelage")
    assert "ne change aucune action" in block
    assert services.scores(collectivite, "cae")["cae_6.1.1.5"]["point_potentiel"] == before


def test_a_choice_that_desactivates_a_tache_through_htmx(collectivite: Collectivite, editor: Member) -> None:
    response = logged_in(editor).post(
        f"/c/{collectivite.pk}/questionnaire/",
        {"question_id": "demo_cep", "valeur": "demo_cep_syndicat", "justification": ""},
        HTTP_HX_REQUEST="true",
    )
    fragment = response.content.decode()
    assert response.status_code == 200 and fragment.startswith('<article id="question-demo_cep"')
    assert 'data-valeur="demo_cep_syndicat"' in fragment  # a hook to wait on after the swap
    assert "cae_6.1.2.2.1" in fragment and "désactivée" in fragment
    assert services.scores(collectivite, "cae")["cae_6.1.2.2.1"]["desactive"] is True


def test_bad_answers_get_a_readable_400_and_write_nothing(collectivite: Collectivite, editor: Member) -> None:
    client = logged_in(editor)
    url = f"/c/{collectivite.pk}/questionnaire/"
    bad = client.post(url, {"question_id": "demo_cep", "valeur": "demo_cep_voisin"})
    assert bad.status_code == 400
    alert = question_block(bad.content.decode(), "demo_cep")
    assert 'role="alert"' in alert and "valeur" in alert
    long = client.post(url, {"question_id": "demo_jumelage", "valeur": "OUI", "justification": "x" * 10_001})
    assert long.status_code == 400 and "trop long" in long.content.decode()
    assert client.post(url, {"question_id": "demo_inconnue", "valeur": "OUI"}).status_code == 404
    assert not Reponse.objects.exists() and not HistoryEntry.objects.exists()


def test_proportions_are_typed_as_percentages_with_a_decimal_comma() -> None:
    q = Question("p", "proportion", "Part ?", "", "", (), (), None, (), Source("q.md", 1))
    assert _parse_valeur(q, " 25,5 ") == 0.255 and _parse_valeur(q, "") is None
    with pytest.raises(InputError, match="entre 0 et 100"):
        _parse_valeur(q, "un quart")


def test_questions_of_other_types_are_hidden_and_lecture_reads(collectivite: Collectivite) -> None:
    commune = make_collectivite("Petite commune", "commune", 800)
    reader = make_member(commune, Role.LECTURE, "lea")
    page = logged_in(reader).get(f"/c/{commune.pk}/questionnaire/").content.decode()
    assert 'data-testid="question-demo_cep"' not in page and "1 question ne concerne pas" in page
    assert "<textarea" not in page and "Réponse : sans réponse" in page
    response = logged_in(reader).post(f"/c/{commune.pk}/questionnaire/", {"question_id": "demo_jumelage"})
    assert response.status_code == 403 and not Reponse.objects.exists()


def test_an_htmx_answer_refreshes_the_effects_shown_under_every_answered_question(
    tmp_path: Path, collectivite: Collectivite, editor: Member
) -> None:
    # The demo plus one rule that needs two answers: answering demo_cep changes what demo_jumelage does.
    folder = tmp_path / "referentiels"
    shutil.copytree(DEMO_DIR, folder)
    with (folder / "personnalisations" / "demo.md").open("a", encoding="utf-8") as f:
        f.write(
            "\n# Deux réponses (test)\n```yaml\naction_id: cae_6.1.1.4\n```\n## Règles\n"
            "### Réduction de potentiel\n```formule\n"
            "si reponse(demo_jumelage, NON) et reponse(demo_cep, demo_cep_syndicat) alors 0.5\n```\n"
        )
    import_folder(folder)
    services.set_reponse(collectivite, editor.user, "demo_jumelage", "NON")
    client = logged_in(editor)
    url = f"/c/{collectivite.pk}/questionnaire/"
    assert "cae_6.1.1.4" not in question_block(client.get(url).content.decode(), "demo_jumelage")

    response = client.post(
        url, {"question_id": "demo_cep", "valeur": "demo_cep_syndicat"}, HTTP_HX_REQUEST="true"
    )
    fragment = response.content.decode()
    assert response.status_code == 200 and fragment.startswith('<article id="question-demo_cep"')
    # Out of band: the other answered question's effects, now with the action the new answer brought in.
    oob = fragment.split('<div id="effets-demo_jumelage" hx-swap-oob="true">')[1].split("</div>")[0]
    assert "cae_6.1.1.4" in oob and "cae_6.1.1.5" in oob
    assert '<span id="answered-count" hx-swap-oob="true">2 questions répondues</span>' in fragment
    assert fragment.count("hx-swap-oob") == 2  # unanswered questions have no effects to refresh
    # The full page says the same.
    assert "cae_6.1.1.4" in question_block(client.get(url).content.decode(), "demo_jumelage")
