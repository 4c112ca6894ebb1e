"""The words on screen: roles, actions, thématiques and answers' effects as people name them, never as
codes (« edition », « cae_6.1.1.3.2 », « Developpement economique », « × 0,333333 »)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.utils.html import escape

import jalon
from jalon.web.collectivites.models import Collectivite, Role
from jalon.web.discussions import services as discussions
from jalon.web.pages.common import loaded
from jalon.web.pages.questionnaire import THEMATIQUES_PROPRES, part_du_potentiel, thematique_label
from tests.web.conftest import Member, make_member

pytestmark = pytest.mark.django_db


def logged_in(member: Member) -> Client:
    client = Client()
    assert client.login(username=member.user.username, password="mot-de-passe-de-test")
    return client


@pytest.mark.parametrize(
    ("role", "label"),
    [
        (Role.EDITION, "Édition"),
        (Role.LECTURE, "Lecture"),
        (Role.ADMIN, "Administration"),
        (Role.AUDITEUR, "Auditeur"),
    ],
)
def test_the_dashboard_and_home_name_the_role_in_words(
    collectivite: Collectivite, role: str, label: str
) -> None:
    client = logged_in(make_member(collectivite, role, "personne"))
    dashboard = client.get(f"/c/{collectivite.pk}/").content.decode()
    assert f"votre rôle : {label}</p>" in dashboard
    assert f"({label})" in client.get("/").content.decode()


def test_discussions_are_headed_by_the_action_number_and_name(
    collectivite: Collectivite, editor: Member
) -> None:
    d = discussions.open_discussion(collectivite, editor.user, "cae_6.1.1.3.2", "Qui s'en charge ?")
    tache = loaded().referentiels["cae"].actions["cae_6.1.1.3.2"]
    client = logged_in(editor)
    listing = client.get(f"/c/{collectivite.pk}/discussions/").content.decode()
    heading = listing.split(f'data-testid="discussion-{d.pk}"')[1].split("</h2>")[0]
    assert f">6.1.1.3.2 {tache.nom}</a>" in heading and "cae_6.1.1.3.2" not in heading.split('href="')[0]
    mesure = client.get(f"/c/{collectivite.pk}/action/cae_6.1.1/").content.decode()
    block = mesure.split(f'data-testid="discussion-{d.pk}"')[1].split("</p>")[0]
    assert f"<strong>6.1.1.3.2 {tache.nom}</strong>" in block


def test_questionnaire_thematiques_are_named_from_the_thematiques_file(referentiels_dir: Path) -> None:
    refs = jalon.load(referentiels_dir)
    names = set(refs.thematiques.values()) | set(THEMATIQUES_PROPRES.values())
    # The question files spell some thématiques differently from the thématiques file.
    assert thematique_label(refs, "developpement_economique") == "Activités économiques"
    assert thematique_label(refs, "mobilite") == "Mobilités"
    assert thematique_label(refs, "eau_assainissement") == "Eau et assainissement"
    assert thematique_label(refs, "energie") == refs.thematiques["energie"]
    assert thematique_label(refs, "identite") == "Identité de la collectivité"
    for q in refs.questions.values():
        assert thematique_label(refs, q.thematique_id) in names, q.thematique_id


def test_effects_of_answers_are_rounded_for_people() -> None:
    assert part_du_potentiel(1 / 3) == "potentiel × 1/3"
    assert part_du_potentiel(0.5) == "potentiel × 1/2"
    assert part_du_potentiel(0.75) == "potentiel × 3/4"
    assert part_du_potentiel(1.0) == "potentiel entier"
    assert part_du_potentiel(0.0) == "potentiel nul"
    assert part_du_potentiel(0.3333) == "33,3 % du potentiel"
    assert part_du_potentiel(0.457) == "45,7 % du potentiel"
    assert part_du_potentiel(0.33) == "33 % du potentiel"


def test_questions_name_their_actions_by_number_not_by_code(
    collectivite: Collectivite, editor: Member
) -> None:
    client = logged_in(editor)
    url = f"/c/{collectivite.pk}/questionnaire/"
    client.post(url, {"question_id": "demo_jumelage", "valeur": "NON"})
    block = (
        client.get(url)
        .content.decode()
        .split('data-testid="question-demo_jumelage"')[1]
        .split("</article>")[0]
    )
    nom = escape(loaded().referentiels["cae"].actions["cae_6.1.1.5"].nom)
    assert f'/action/cae_6.1.1.5/">6.1.1.5 {nom}</a> : potentiel × 1/2' in block  # the effect
    assert f'title="{nom}">6.1.1.5</a>' in block  # the actions concerned
    assert ">cae_6.1.1.5<" not in block
