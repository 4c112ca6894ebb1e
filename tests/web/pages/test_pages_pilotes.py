"""The pilotes and services of the mesures: a member or a named person as pilote, the collectivité's
services reused across mesures, each change through the write primitive with its history entry and bad
input refused in French with nothing written; the mesure page's « Pilotes et services » block (editors
change, lecture reads); the tree shows them and filters on them; the demande's pilote condition sees
the new pilotes (a pilote of a mesure counts for what is below it)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from jalon.web.collectivites.models import Collectivite, Membership, Role
from jalon.web.collectivites.services import remove_member
from jalon.web.errors import InputError
from jalon.web.labellisation import models, pilotes, services
from jalon.web.labellisation.services import ParcoursRefuse
from jalon.web.statuts.models import HistoryEntry, Kind
from tests.web.conftest import Member, logged_in, make_collectivite, make_member
from tests.web.labellisation.test_parcours import DOCUMENT, everything_fait

pytestmark = pytest.mark.django_db

MESURE = "cae_6.1.1"
SOUS_MESURE = "cae_6.1.1.2"


def history(c: Collectivite, kind: str) -> list[tuple[str, Any, Any]]:
    entries = HistoryEntry.objects.filter(collectivite=c, kind=kind).order_by("id")
    return [(e.subject, e.previous, e.new) for e in entries]


def state(c: Collectivite) -> dict[str, Any]:
    """What a pilote or service write could change."""
    c.refresh_from_db()
    return {
        "pilotes": list(models.Pilote.objects.values()),
        "services": list(models.Service.objects.values()),
        "on": list(models.ServiceAction.objects.values()),
        "history": HistoryEntry.objects.count(),
        "revision": c.revision,
    }


@pytest.fixture
def camille(collectivite: Collectivite) -> Member:
    member = make_member(collectivite, Role.EDITION, "camille")
    member.user.first_name, member.user.last_name = "Camille", "Martin"
    member.user.save()
    return member


# -- the storage ----------------------------------------------------------------------------------------


def test_a_member_and_a_named_person_are_pilotes_with_their_history(
    collectivite: Collectivite, editor: Member, camille: Member
) -> None:
    before = state(collectivite)["revision"]
    membre = pilotes.ajouter_pilote(collectivite, editor.user, MESURE, membre=str(camille.user.pk))
    nomme = pilotes.ajouter_pilote(
        collectivite, editor.user, SOUS_MESURE, nom="  Jean   Dupont ", email="jean@exemple.fr"
    )
    assert (membre.nom, membre.membre, nomme.nom, nomme.email) == (
        "Camille Martin",
        True,
        "Jean Dupont",
        "jean@exemple.fr",
    )
    assert state(collectivite)["revision"] != before  # a write of the collectivité
    found = pilotes.pilotes_by_action(collectivite)
    assert [p.nom for p in found[MESURE]] == ["Camille Martin"]
    assert [p.nom for p in found[SOUS_MESURE]] == ["Jean Dupont"]
    # Named again: nothing changes, no second entry.
    again = state(collectivite)
    pilotes.ajouter_pilote(collectivite, editor.user, MESURE, membre=camille.user.pk)
    pilotes.ajouter_pilote(collectivite, editor.user, SOUS_MESURE, nom="Jean Dupont")
    assert state(collectivite) == again

    pilotes.retirer_pilote(collectivite, editor.user, membre.id)
    assert history(collectivite, Kind.PILOTE) == [
        (f"pilote {MESURE}", None, "Camille Martin (membre)"),
        (f"pilote {SOUS_MESURE}", None, "Jean Dupont <jean@exemple.fr>"),
        (f"pilote {MESURE}", "Camille Martin (membre)", None),
    ]
    assert MESURE not in pilotes.pilotes_by_action(collectivite)
    assert HistoryEntry.objects.filter(kind=Kind.PILOTE).first().user == editor.user  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({}, "nom", "choisir un membre ou écrire le nom du pilote"),
        ({"nom": "   "}, "nom", "choisir un membre ou écrire le nom du pilote"),
        ({"nom": "x" * 201}, "nom", "un nom de 1 à 200 caractères est attendu"),
        ({"nom": "Jean", "email": "pas-une-adresse"}, "email", "adresse e-mail invalide"),
        ({"membre": "abc"}, "membre", "membre inconnu : 'abc'"),
        ({"membre": "1", "nom": "Jean"}, "membre", "choisir un membre ou écrire un nom, pas les deux"),
    ],
)
def test_a_bad_pilote_is_refused_in_french_and_nothing_is_written(
    collectivite: Collectivite, editor: Member, fields: dict[str, str], field: str, reason: str
) -> None:
    before = state(collectivite)
    with pytest.raises(InputError) as refused:
        pilotes.ajouter_pilote(collectivite, editor.user, MESURE, **fields)
    assert refused.value.field == field and refused.value.reason.startswith(reason)
    assert state(collectivite) == before


def test_only_a_member_of_the_collectivite_is_chosen_and_only_on_a_mesure_or_below(
    collectivite: Collectivite, editor: Member
) -> None:
    other = make_member(make_collectivite("Autre"), Role.EDITION, "oscar")
    before = state(collectivite)
    with pytest.raises(InputError) as refused:
        pilotes.ajouter_pilote(collectivite, editor.user, MESURE, membre=other.user.pk)
    assert refused.value.field == "membre" and "pas membre de la collectivité" in refused.value.reason
    with pytest.raises(InputError) as refused:
        pilotes.ajouter_pilote(collectivite, editor.user, "cae_6.1", nom="Jean")
    assert refused.value.field == "action_id" and "n'est pas une mesure" in refused.value.reason
    with pytest.raises(InputError) as refused:
        pilotes.ajouter_pilote(collectivite, editor.user, "cae_9.9.9", nom="Jean")
    assert refused.value.reason == "action inconnue : 'cae_9.9.9'"
    assert state(collectivite) == before


def test_a_service_is_created_once_and_reused_across_mesures(
    collectivite: Collectivite, editor: Member
) -> None:
    env = pilotes.ajouter_service(collectivite, editor.user, MESURE, nouveau="Service environnement")
    # Named again (any case) on another mesure: the same service, not a second one.
    assert (
        pilotes.ajouter_service(collectivite, editor.user, "cae_6.1.2", nouveau="service ENVIRONNEMENT")
        == env
    )
    urba = pilotes.creer_service(collectivite, editor.user, "Urbanisme")
    pilotes.ajouter_service(collectivite, editor.user, SOUS_MESURE, service_id=str(urba.pk))
    assert [s.nom for s in pilotes.services_of(collectivite)] == ["Service environnement", "Urbanisme"]
    on = pilotes.services_by_action(collectivite)
    assert {a: [s.nom for s in found] for a, found in on.items()} == {
        MESURE: ["Service environnement"],
        "cae_6.1.2": ["Service environnement"],
        SOUS_MESURE: ["Urbanisme"],
    }
    pilotes.retirer_service(collectivite, editor.user, MESURE, env.pk)
    assert MESURE not in pilotes.services_by_action(collectivite)
    assert models.Service.objects.filter(pk=env.pk).exists()  # kept for the other mesure
    assert history(collectivite, Kind.SERVICE) == [
        ("service", None, "Service environnement"),
        (f"service {MESURE}", None, "Service environnement"),
        ("service cae_6.1.2", None, "Service environnement"),
        ("service", None, "Urbanisme"),
        (f"service {SOUS_MESURE}", None, "Urbanisme"),
        (f"service {MESURE}", "Service environnement", None),
    ]


def test_a_bad_service_is_refused_in_french_and_nothing_is_written(
    collectivite: Collectivite, editor: Member
) -> None:
    other_c = make_collectivite("Autre")
    other = make_member(other_c, Role.EDITION, "oscar")
    theirs = pilotes.creer_service(other_c, other.user, "Leur service")
    before = state(collectivite)
    for kwargs, field, reason in [
        ({}, "service", "choisir un service ou écrire le nom d'un nouveau"),
        ({"service_id": str(theirs.pk)}, "service", f"service inconnu : {theirs.pk}"),
        ({"service_id": "x"}, "service", "service inconnu : 'x'"),
        ({"nouveau": "x" * 201}, "service", "un nom de 1 à 200 caractères est attendu"),
    ]:
        with pytest.raises(InputError) as refused:
            pilotes.ajouter_service(collectivite, editor.user, MESURE, **kwargs)
        assert (refused.value.field, refused.value.reason) == (field, reason)
    with pytest.raises(InputError) as refused:
        pilotes.retirer_service(collectivite, editor.user, MESURE, theirs.pk)
    assert refused.value.reason == f"service inconnu : {theirs.pk}"
    assert state(collectivite) == before


def test_a_lecture_member_changes_nothing(collectivite: Collectivite, editor: Member) -> None:
    lea = make_member(collectivite, Role.LECTURE, "lea").user
    named = pilotes.ajouter_pilote(collectivite, editor.user, MESURE, nom="Jean Dupont")
    env = pilotes.ajouter_service(collectivite, editor.user, MESURE, nouveau="Environnement")
    before = state(collectivite)
    for attempt in (
        lambda: pilotes.ajouter_pilote(collectivite, lea, MESURE, nom="Léa"),
        lambda: pilotes.retirer_pilote(collectivite, lea, named.id),
        lambda: pilotes.creer_service(collectivite, lea, "Voirie"),
        lambda: pilotes.ajouter_service(collectivite, lea, SOUS_MESURE, service_id=env.pk),
        lambda: pilotes.retirer_service(collectivite, lea, MESURE, env.pk),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert state(collectivite) == before


# -- the demande ----------------------------------------------------------------------------------------


def test_the_demande_sees_a_member_pilote_of_the_mesures_above_the_actions_it_names(
    collectivite: Collectivite, editor: Member, camille: Member
) -> None:
    everything_fait(collectivite, editor)
    # The criteria name tâches (cae_6.1.2.1.1, cae_6.1.1.1.2): a pilote of their mesure pilots them.
    pilotes.ajouter_pilote(collectivite, editor.user, "cae_6.1.2", membre=camille.user.pk)
    with pytest.raises(ParcoursRefuse) as refused:
        services.demander(
            collectivite, editor.user, "cae", sujet="labellisation", etoile=2, document=DOCUMENT
        )
    assert refused.value.manquants == ("Des pilotes nommés sur cae_6.1.2.1.1, cae_6.1.1.1.2",)
    condition = {c.code: c for c in services.checklist_of(collectivite, "cae", True).conditions}
    assert condition["pilotes"].atteint is False
    pilotes.ajouter_pilote(collectivite, editor.user, "cae_6.1.1.1", nom="Jean Dupont")  # the sous-mesure
    condition = {c.code: c for c in services.checklist_of(collectivite, "cae", True).conditions}
    assert condition["pilotes"].atteint is True
    services.demander(collectivite, editor.user, "cae", sujet="labellisation", etoile=2, document=DOCUMENT)
    assert models.Demande.objects.count() == 1


# -- the mesure page ------------------------------------------------------------------------------------


def page(client: Client, c: Collectivite, action_id: str = MESURE) -> str:
    response = client.get(f"/c/{c.pk}/action/{action_id}/")
    assert response.status_code == 200
    return response.content.decode()


def post(client: Client, c: Collectivite, **fields: Any) -> Any:
    return client.post(f"/c/{c.pk}/action/{MESURE}/", fields)


def block(html: str) -> str:
    found = re.search(r'<section aria-labelledby="pilotes".*?</section>', html, re.S)
    assert found is not None
    return found.group(0)


def test_an_editor_adds_and_removes_pilotes_and_services_on_the_mesure_page(
    collectivite: Collectivite, editor: Member, camille: Member
) -> None:
    client = logged_in(editor)
    html = block(page(client, collectivite))
    assert "Pilotes et services" in html and 'data-testid="ajouter-pilote"' in html
    assert f'<option value="{camille.user.pk}">Camille Martin</option>' in html  # members offered

    response = post(client, collectivite, pilotage="ajouter_pilote", action_id=MESURE, membre=camille.user.pk)
    assert response.status_code == 302 and response["Location"].endswith("#pilotes")
    assert (
        post(
            client, collectivite, pilotage="ajouter_pilote", action_id=SOUS_MESURE, nom="Jean Dupont"
        ).status_code
        == 302
    )
    r = post(
        client, collectivite, pilotage="ajouter_service", action_id=MESURE, nouveau="Service environnement"
    )
    assert r.status_code == 302
    html = block(page(client, collectivite))
    assert "Camille Martin" in html and "Jean Dupont" in html and "Service environnement" in html
    env = models.Service.objects.get()
    assert f'<option value="{env.pk}">Service environnement</option>' in html  # reusable

    jean = models.Pilote.objects.get(nom="Jean Dupont")
    assert post(client, collectivite, pilotage="retirer_pilote", pilote=jean.pk).status_code == 302
    r = post(client, collectivite, pilotage="retirer_service", action_id=MESURE, service=env.pk)
    assert r.status_code == 302
    assert [(e.kind, e.subject, e.previous, e.new) for e in HistoryEntry.objects.order_by("id")] == [
        (Kind.PILOTE, f"pilote {MESURE}", None, "Camille Martin (membre)"),
        (Kind.PILOTE, f"pilote {SOUS_MESURE}", None, "Jean Dupont"),
        (Kind.SERVICE, "service", None, "Service environnement"),
        (Kind.SERVICE, f"service {MESURE}", None, "Service environnement"),
        (Kind.PILOTE, f"pilote {SOUS_MESURE}", "Jean Dupont", None),
        (Kind.SERVICE, f"service {MESURE}", "Service environnement", None),
    ]
    # The history page links them to the mesure's block.
    historique = client.get(f"/c/{collectivite.pk}/historique/").content.decode()
    assert f"/c/{collectivite.pk}/action/{MESURE}/#pilotes" in historique


def test_a_refusal_on_the_mesure_page_is_shown_in_french_and_keeps_what_was_typed(
    collectivite: Collectivite, editor: Member
) -> None:
    client = logged_in(editor)
    page(client, collectivite)  # the first page stores the scores: a write of its own
    before = state(collectivite)
    response = post(
        client, collectivite, pilotage="ajouter_pilote", action_id=MESURE, nom="Jean", email="jean@"
    )
    assert response.status_code == 400
    html = block(response.content.decode())
    assert "E-mail : adresse e-mail invalide : &#x27;jean@&#x27;" in html and 'value="jean@"' in html
    # A pilote of another mesure's sous-mesure is not taken from this page.
    response = post(client, collectivite, pilotage="ajouter_pilote", action_id="cae_6.1.2.1", nom="Jean")
    assert response.status_code == 400
    assert "Action : &#x27;cae_6.1.2.1&#x27; n&#x27;est pas cette mesure ni une de ses sous-mesures" in (
        response.content.decode()
    )
    assert state(collectivite) == before


def test_a_lecture_member_reads_the_block_and_cannot_post(collectivite: Collectivite, editor: Member) -> None:
    pilotes.ajouter_pilote(collectivite, editor.user, MESURE, nom="Jean Dupont")
    pilotes.ajouter_service(collectivite, editor.user, MESURE, nouveau="Service environnement")
    lecture = logged_in(make_member(collectivite, Role.LECTURE, "lea"))
    html = block(page(lecture, collectivite))
    assert "Jean Dupont" in html and "Service environnement" in html
    assert "<form" not in html and "<button" not in html
    before = state(collectivite)
    response = post(lecture, collectivite, pilotage="ajouter_pilote", action_id=MESURE, nom="Léa")
    assert response.status_code == 403
    assert state(collectivite) == before


# -- the tree -------------------------------------------------------------------------------------------


def rows(html: str) -> list[str]:
    return re.findall(r'data-testid="row-([^"]+)"', html)


def test_the_tree_shows_the_pilotes_and_services_and_filters_on_them(
    collectivite: Collectivite, editor: Member, camille: Member
) -> None:
    pilotes.ajouter_pilote(collectivite, editor.user, MESURE, membre=camille.user.pk)
    pilotes.ajouter_pilote(collectivite, editor.user, "cae_6.1.2.3", nom="Jean Dupont")  # a sous-mesure
    env = pilotes.ajouter_service(collectivite, editor.user, "cae_6.1.2", nouveau="Service environnement")
    client = logged_in(make_member(collectivite, Role.LECTURE, "lea"))  # any member reads the tree
    response = client.get(f"/c/{collectivite.pk}/cae/")
    assert response.status_code == 200
    html = response.content.decode()
    shown = re.search(rf'data-testid="pilotage-{re.escape(MESURE)}">(.*?)</p>', html)
    assert shown is not None and shown.group(1) == "Pilotes : Camille Martin"
    assert 'data-testid="pilotage-cae_6.1.2">Services : Service environnement</p>' in html
    assert 'data-testid="pilotage-cae_6.1.2.3">Pilotes : Jean Dupont</p>' in html
    # The select lists offer them.
    assert f'<option value="m{camille.user.pk}">Camille Martin</option>' in html
    assert '<option value="nJean Dupont">Jean Dupont</option>' in html
    assert f'<option value="{env.pk}">Service environnement</option>' in html

    def filtered(**params: str) -> list[str]:
        response = client.get(f"/c/{collectivite.pk}/cae/", params)
        assert response.status_code == 200
        return rows(response.content.decode())

    assert filtered(pilote=f"m{camille.user.pk}") == ["cae", "cae_6", "cae_6.1", MESURE]
    # A pilote of a sous-mesure keeps its mesure around it.
    assert filtered(pilote="nJean Dupont") == ["cae", "cae_6", "cae_6.1", "cae_6.1.2", "cae_6.1.2.3"]
    assert filtered(service=str(env.pk)) == ["cae", "cae_6", "cae_6.1", "cae_6.1.2"]
    assert filtered(pilote=f"m{camille.user.pk}", service=str(env.pk)) == []
    # The filters stay chosen in the form (a GET form: no JavaScript needed).
    kept = client.get(f"/c/{collectivite.pk}/cae/", {"service": str(env.pk)}).content.decode()
    assert f'<option value="{env.pk}" selected>Service environnement</option>' in kept


def test_an_unknown_pilote_or_service_in_the_tree_filter_is_said_in_french(
    collectivite: Collectivite, editor: Member
) -> None:
    client = logged_in(editor)
    response = client.get(f"/c/{collectivite.pk}/cae/", {"pilote": "m999", "service": "abc"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "pilote : aucun pilote &#x27;m999&#x27; dans ce référentiel" in html
    assert "service : service inconnu &#x27;abc&#x27;" in html


def test_a_member_who_leaves_stays_pilote_and_is_said_to_have_left(
    collectivite: Collectivite, editor: Member, camille: Member
) -> None:
    admin = make_member(collectivite, Role.ADMIN, "ada").user
    pilotes.ajouter_pilote(collectivite, editor.user, MESURE, membre=camille.user.pk)
    remove_member(
        collectivite, admin, Membership.objects.get(user=camille.user, collectivite=collectivite).pk
    )
    [found] = pilotes.pilotes_by_action(collectivite)[MESURE]
    assert found.libelle == "Camille Martin (ancien membre)"
    assert 'Camille Martin <span class="muted">(ancien membre)</span>' in block(
        page(logged_in(editor), collectivite)
    )
    # Not offered any more, and not chosen again.
    assert f'<option value="{camille.user.pk}">' not in block(page(logged_in(editor), collectivite))
    with pytest.raises(InputError):
        pilotes.ajouter_pilote(collectivite, editor.user, SOUS_MESURE, membre=camille.user.pk)
