"""The parcours de labellisation and the jalons through the JSON API: a whole parcours, the role matrix of
every endpoint, refusals that write nothing, the shapes of the answers; and the chart of the root score
over the jalons on the labellisation page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from jalon.web.collectivites.models import Collectivite, Role
from jalon.web.collectivites.services import create_api_token
from jalon.web.labellisation import models, services
from jalon.web.statuts.services import set_statut
from tests.web.conftest import Member, logged_in, make_member
from tests.web.labellisation.test_parcours import (
    DOCUMENT,
    PILOTES,
    everything_fait,
    snapshot,
    staff_user,
)

pytestmark = pytest.mark.django_db


def api(collectivite: Collectivite, rest: str = "") -> str:
    return f"/api/collectivites/{collectivite.pk}/labellisation{rest}"


def token_of(user: User) -> Member:
    return Member(user, create_api_token(user, "tests"))


def post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, body or {}, content_type="application/json")


def ready(collectivite: Collectivite, editor: Member) -> None:
    """Everything a demande of the demo's référentiel needs but the document."""
    everything_fait(collectivite, editor)
    for action_id in PILOTES:
        services.nommer_pilote(collectivite, editor.user, action_id, "Camille Martin")


def test_a_whole_parcours_through_the_api(collectivite: Collectivite, editor: Member) -> None:
    ready(collectivite, editor)
    staff = token_of(staff_user())
    auditeur = make_member(None, None, "audrey")  # not a member: sees the parcours once assigned
    ed, st, au = editor.client(), staff.client(), auditeur.client()

    got = ed.get(api(collectivite, "/cae"))
    assert got.status_code == 200
    body = got.json()
    assert (body["etat"], body["etat_libelle"], body["cycle"]) == ("non_demandee", "non demandée", 1)
    assert [a["code"] for a in body["actions_possibles"]] == ["demander"]
    assert body["checklist"]["etoile_score"] == 5 and body["checklist"]["fait"] == 1.0
    assert body["label_en_vigueur"] is None and body["demande"] is None
    assert [p["referentiel"] for p in ed.get(api(collectivite)).json()] == ["cae"]
    assert auditeur.client().get(api(collectivite, "/cae")).status_code == 404

    demande = post(ed, api(collectivite, "/cae/demander"), {"etoile": 2, "document": DOCUMENT})
    assert demande.status_code == 200, demande.json()
    assert demande.json()["etat"] == "demande_envoyee"
    assert demande.json()["demande"]["par"] == "edith" and demande.json()["demande"]["etoile"] == 2

    assigned = post(st, api(collectivite, "/cae/affecter-auditeur"), {"auditeur": "audrey"})
    assert assigned.status_code == 200 and assigned.json()["audit"]["auditeurs"] == ["audrey"]
    assert [a["code"] for a in au.get(api(collectivite, "/cae")).json()["actions_possibles"]] == [
        "demarrer_audit"
    ]

    started = post(au, api(collectivite, "/cae/demarrer-audit"))
    assert started.status_code == 200 and started.json()["etat"] == "audit_en_cours"
    pre_id = started.json()["audit"]["pre_audit"]
    assert models.Jalon.objects.get(pk=pre_id).genre == "pre_audit"

    noted = post(
        au,
        api(collectivite, "/cae/auditer-mesure"),
        {"mesure": "cae_6.1.1", "statut": "audite", "avis": "Bien documenté.", "ordre_du_jour": True},
    )
    assert noted.status_code == 200
    assert noted.json()["audit"]["mesures"] == [
        {"mesure": "cae_6.1.1", "statut": "audite", "avis": "Bien documenté.", "ordre_du_jour": True}
    ]
    report = "https://exemple.fr/rapport.pdf"
    assert (
        post(au, api(collectivite, "/cae/joindre-rapport"), {"rapport": report}).json()["audit"]["rapport"]
        == report
    )
    validated = post(au, api(collectivite, "/cae/valider-audit"))
    assert validated.status_code == 200 and validated.json()["etat"] == "audit_valide"
    post_id = validated.json()["audit"]["post_audit"]
    assert post_id is not None and post_id != pre_id

    decided = post(st, api(collectivite, "/cae/decider"), {"obtenu": True})
    assert decided.status_code == 200, decided.json()
    done = decided.json()
    assert done["etat"] == "labellisee" and done["decision"]["obtenu"] is True
    assert done["decision"]["par"] == "stella"
    assert done["label_en_vigueur"]["etoile"] == 5 and done["label_en_vigueur"]["pct_fait"] == 100.0
    assert done["labels"] == [done["label_en_vigueur"]]

    renewed = post(ed, api(collectivite, "/cae/nouveau-cycle"))
    assert renewed.status_code == 200
    assert (renewed.json()["cycle"], renewed.json()["etat"]) == (2, "non_demandee")
    assert renewed.json()["label_en_vigueur"]["etoile"] == 5

    jalons = ed.get(api(collectivite, "/cae/jalons")).json()
    assert [(j["id"], j["genre"], j["protege"]) for j in jalons] == [
        (pre_id, "pre_audit", True),
        (post_id, "post_audit", True),
    ]
    assert jalons[0]["par"] == "audrey"


def test_a_refused_transition_is_a_422_listing_what_is_missing_and_writes_nothing(
    collectivite: Collectivite, editor: Member
) -> None:
    before = snapshot(collectivite)
    refused = post(editor.client(), api(collectivite, "/cae/demander"), {"etoile": 1})
    assert refused.status_code == 422
    body = refused.json()
    assert body["detail"][0]["field"] == "demander"
    assert "il manque" in body["detail"][0]["reason"]
    assert body["manquants"] and all(isinstance(m, str) for m in body["manquants"])
    assert snapshot(collectivite) == before

    # A transition from the wrong état: 422 too, nothing written.
    wrong = post(editor.client(), api(collectivite, "/cae/nouveau-cycle"))
    assert wrong.status_code == 422 and wrong.json()["manquants"] == []
    assert snapshot(collectivite) == before


def test_a_role_refusal_is_a_403_and_writes_nothing(collectivite: Collectivite, editor: Member) -> None:
    ready(collectivite, editor)
    lecteur = make_member(collectivite, Role.LECTURE, "lea")
    before = snapshot(collectivite)
    refused = post(lecteur.client(), api(collectivite, "/cae/demander"), {"etoile": 2, "document": DOCUMENT})
    assert refused.status_code == 403
    assert refused.json()["detail"][0]["field"] == "role"
    assert "réservé" in refused.json()["detail"][0]["reason"]
    staff_only = post(editor.client(), api(collectivite, "/cae/affecter-auditeur"), {"auditeur": "edith"})
    assert staff_only.status_code == 403
    assert snapshot(collectivite) == before


def test_bad_input_is_a_422_naming_the_field(collectivite: Collectivite, editor: Member) -> None:
    before = snapshot(collectivite)
    c = editor.client()
    extra = post(c, api(collectivite, "/cae/demander"), {"etoile": 2, "etoiles": 3})
    assert extra.status_code == 422 and extra.json()["detail"][0]["field"] == "etoiles"
    sujet = post(c, api(collectivite, "/cae/demander"), {"sujet": "autre"})
    assert sujet.status_code == 422 and sujet.json()["detail"][0]["field"] == "sujet"
    nom = post(c, api(collectivite, "/cae/jalons"), {"nom": "   "})
    assert nom.status_code == 422 and nom.json()["detail"][0]["field"] == "nom"
    assert c.get(api(collectivite, "/inconnu")).status_code == 404
    assert c.get(api(collectivite, "/cae/jalons/999999")).status_code == 404
    assert c.get(api(collectivite, "/cae/comparaison?avant=abc")).status_code == 422
    assert snapshot(collectivite) == before


def test_jalons_freeze_rename_delete_get_and_compare(collectivite: Collectivite, editor: Member) -> None:
    c = editor.client()
    frozen = post(c, api(collectivite, "/cae/jalons"), {"nom": "Début"})
    assert frozen.status_code == 200
    first = frozen.json()
    assert (first["nom"], first["genre"], first["protege"], first["par"]) == (
        "Début",
        "libre",
        False,
        "edith",
    )

    set_statut(collectivite, editor.user, "cae_6.1.1.1", "fait")
    set_statut(collectivite, editor.user, "cae_6.1.2.1", "programme")
    second = post(c, api(collectivite, "/cae/jalons"), {"nom": "Après"}).json()

    one = c.get(api(collectivite, f"/cae/jalons/{second['id']}"))
    assert one.status_code == 200
    detail = one.json()
    assert detail["noeuds"][0]["action_id"] == "cae" and detail["noeuds"][0]["niveau"] == "référentiel"
    assert {"action_id": "cae_6.1.1.1", "avancement": [1.0, 0.0, 0.0], "concerne": True} in detail["statuts"]

    compared = c.get(api(collectivite, f"/cae/comparaison?avant={first['id']}&apres={second['id']}"))
    assert compared.status_code == 200
    comp = compared.json()
    assert (comp["avant"]["id"], comp["apres"]["id"]) == (first["id"], second["id"])
    root = comp["noeuds"][0]
    assert root["action_id"] == "cae" and root["ecart_fait"] > 0 and root["ecart_programme"] > 0
    assert root["ecart_pct_fait"] == pytest.approx(root["apres"]["pct_fait"] - root["avant"]["pct_fait"])
    assert {"sous-mesure", "mesure", "axe"} <= {n["niveau"] for n in comp["noeuds"]}
    changed = {s["action_id"]: s for s in comp["statuts"]}
    assert set(changed) == {"cae_6.1.1.1", "cae_6.1.2.1"}
    assert changed["cae_6.1.2.1"]["avant"]["avancement"] is None
    assert changed["cae_6.1.2.1"]["apres"]["avancement"] == [0.0, 1.0, 0.0]

    # A jalon and now: the default of ``apres``.
    set_statut(collectivite, editor.user, "cae_6.1.1.2", "fait")
    now = c.get(api(collectivite, f"/cae/comparaison?avant={second['id']}")).json()
    assert now["apres"]["id"] is None and now["apres"]["nom"] == "Maintenant"
    assert [s["action_id"] for s in now["statuts"]] == ["cae_6.1.1.2"]

    points = c.get(api(collectivite, "/cae/evolution")).json()
    assert [p["nom"] for p in points] == ["Début", "Après"]
    assert points[0]["pct_fait"] < points[1]["pct_fait"]

    renamed = c.patch(
        api(collectivite, f"/cae/jalons/{first['id']}"), {"nom": "Départ"}, content_type="application/json"
    )
    assert renamed.status_code == 200 and renamed.json()["nom"] == "Départ"
    deleted = c.delete(api(collectivite, f"/cae/jalons/{first['id']}"))
    assert deleted.status_code == 200 and deleted.json()["nom"] == "Départ"
    assert [j["id"] for j in c.get(api(collectivite, "/cae/jalons")).json()] == [second["id"]]


def test_the_jalons_of_the_parcours_can_be_neither_renamed_nor_deleted(
    collectivite: Collectivite, editor: Member
) -> None:
    ready(collectivite, editor)
    staff, auditeur = staff_user(), make_member(None, None, "audrey")
    services.demander(collectivite, editor.user, "cae", sujet="labellisation", etoile=2, document=DOCUMENT)
    services.affecter_auditeur(collectivite, staff, "cae", "audrey")
    services.demarrer_audit(collectivite, auditeur.user, "cae")
    pre = models.Jalon.objects.get()
    before = snapshot(collectivite)
    c = editor.client()
    url = api(collectivite, f"/cae/jalons/{pre.pk}")
    renamed = c.patch(url, {"nom": "Autre"}, content_type="application/json")
    assert renamed.status_code == 422 and renamed.json()["detail"][0]["field"] == "nom"
    deleted = c.delete(url)
    assert deleted.status_code == 422 and deleted.json()["detail"][0]["field"] == "jalon"
    assert snapshot(collectivite) == before


# -- the role matrix -------------------------------------------------------------------------------------

READS = [
    ("get", ""),
    ("get", "/cae"),
    ("get", "/cae/jalons"),
    ("get", "/cae/jalons/{jalon}"),
    ("get", "/cae/comparaison?avant={jalon}"),
    ("get", "/cae/evolution"),
]
# Writes of the jalons: édition, admin and conseiller.
JALON_WRITES: list[tuple[str, str, dict[str, Any]]] = [
    ("post", "/cae/jalons", {"nom": "Essai"}),
    ("patch", "/cae/jalons/{jalon}", {"nom": "Renommé"}),
    ("delete", "/cae/jalons/{jalon}", {}),
]
# Each transition, tried in the state where it is legal for its rightful role: who may do it.
EDITEURS = {"edition", "admin"}
STAFF = {"staff"}
AUDITEUR = {"auditeur affecté"}
ROLES = ["lecture", "edition", "admin", "conseiller", "auditeur", "staff", "auditeur affecté", "etranger"]
VISIBLE = set(ROLES) - {"etranger"}


@pytest.fixture
def people(collectivite: Collectivite, editor: Member) -> dict[str, Member]:
    found = {
        r: make_member(collectivite, r, f"m-{r}") for r in ("lecture", "admin", "conseiller", "auditeur")
    }
    found["edition"] = editor
    found["staff"] = token_of(staff_user())
    found["auditeur affecté"] = make_member(None, None, "audrey")
    found["etranger"] = make_member(None, None, "etienne")
    return found


def _call(member: Member, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    client = member.client()
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, body or {}, content_type="application/json")


def test_every_read_answers_the_members_staff_and_assigned_auditor_and_404_to_others(
    collectivite: Collectivite, editor: Member, people: dict[str, Member]
) -> None:
    ready(collectivite, editor)
    services.demander(collectivite, editor.user, "cae", sujet="labellisation", etoile=2, document=DOCUMENT)
    staff = people["staff"].user
    services.affecter_auditeur(collectivite, staff, "cae", "audrey")
    jalon = services.figer_jalon(collectivite, editor.user, "cae", "Lu")
    for method, path in READS:
        url = api(collectivite, path.format(jalon=jalon.pk))
        for role in ROLES:
            status = _call(people[role], method, url).status_code
            assert status == (200 if role in VISIBLE else 404), (role, url, status)
    assert Client().get(api(collectivite, "/cae")).status_code == 401


def test_jalon_writes_are_for_edition_admin_conseiller_only(
    collectivite: Collectivite, editor: Member, people: dict[str, Member]
) -> None:
    hidden = {"etranger", "auditeur affecté"}  # no demande here: audrey is assigned to nothing
    for role in ROLES:
        for method, path, body in JALON_WRITES:
            jalon = services.figer_jalon(collectivite, editor.user, "cae", "Cible")
            before = snapshot(collectivite)
            answer = _call(people[role], method, api(collectivite, path.format(jalon=jalon.pk)), body)
            if role in {"edition", "admin", "conseiller"}:
                assert answer.status_code == 200, (role, method, answer.json())
            else:
                assert answer.status_code == (404 if role in hidden else 403), (role, method)
                assert snapshot(collectivite) == before
    pilote = {"action_id": "cae_6.1.1", "nom": "Paul"}
    for role in ROLES:
        answer = _call(people[role], "post", f"/api/collectivites/{collectivite.pk}/pilotes", pilote)
        expected = 200 if role in {"edition", "admin", "conseiller"} else 404 if role in hidden else 403
        assert answer.status_code == expected, role
    assert services.pilotes_of(collectivite)["cae_6.1.1"] == ["Paul"]


def _setup_state(collectivite: Collectivite, editor: Member, people: dict[str, Member], etat: str) -> None:
    staff, auditeur = people["staff"].user, people["auditeur affecté"].user
    if etat == "non_demandee":
        return
    services.demander(collectivite, editor.user, "cae", sujet="labellisation", etoile=2, document=DOCUMENT)
    services.affecter_auditeur(collectivite, staff, "cae", "audrey")
    if etat == "demande_envoyee":
        return
    services.demarrer_audit(collectivite, auditeur, "cae")
    if etat == "audit_en_cours":
        return
    services.valider_audit(collectivite, auditeur, "cae")
    if etat == "audit_valide":
        return
    services.decider(collectivite, staff, "cae", False)


TRANSITIONS: list[tuple[str, str, dict[str, Any], set[str]]] = [
    ("non_demandee", "/cae/demander", {"etoile": 2, "document": DOCUMENT}, EDITEURS),
    ("demande_envoyee", "/cae/affecter-auditeur", {"auditeur": "m-lecture"}, STAFF),
    ("demande_envoyee", "/cae/retirer-auditeur", {"auditeur": "audrey"}, STAFF),
    ("demande_envoyee", "/cae/demarrer-audit", {}, AUDITEUR),
    ("audit_en_cours", "/cae/auditer-mesure", {"mesure": "cae_6.1.1", "statut": "en_cours"}, AUDITEUR),
    ("audit_en_cours", "/cae/joindre-rapport", {"rapport": "https://exemple.fr/r.pdf"}, AUDITEUR),
    ("audit_en_cours", "/cae/valider-audit", {}, AUDITEUR),
    ("audit_valide", "/cae/decider", {"obtenu": False}, STAFF),
    ("refusee", "/cae/nouveau-cycle", {}, EDITEURS),
]


@pytest.mark.parametrize(("etat", "path", "body", "allowed"), TRANSITIONS, ids=[t[1] for t in TRANSITIONS])
def test_each_transition_is_for_its_roles_only(
    collectivite: Collectivite,
    editor: Member,
    people: dict[str, Member],
    etat: str,
    path: str,
    body: dict[str, Any],
    allowed: set[str],
) -> None:
    ready(collectivite, editor)
    _setup_state(collectivite, editor, people, etat)
    # Before the demande, audrey is assigned to nothing: she does not see the collectivité.
    hidden = {"etranger", "auditeur affecté"} if etat == "non_demandee" else {"etranger"}
    for role in ROLES:
        if role in allowed:
            continue
        before = snapshot(collectivite)
        answer = _call(people[role], "post", api(collectivite, path), body)
        assert answer.status_code == (404 if role in hidden else 403), (role, answer.json())
        assert snapshot(collectivite) == before
    for role in sorted(allowed):
        answer = _call(people[role], "post", api(collectivite, path), body)
        assert answer.status_code == 200, (role, answer.json())
        break  # one rightful role is enough: the transition has happened


# -- the chart -------------------------------------------------------------------------------------------


def test_the_page_charts_the_root_score_over_the_jalons(collectivite: Collectivite, editor: Member) -> None:
    services.figer_jalon(collectivite, editor.user, "cae", "Zéro <fait>")
    set_statut(collectivite, editor.user, "cae_6.1.1.1", "fait")
    services.figer_jalon(collectivite, editor.user, "cae", "Un")
    set_statut(collectivite, editor.user, "cae_6.1.2.1", "programme")
    services.figer_jalon(collectivite, editor.user, "cae", "Deux")
    page = logged_in(editor).get(f"/c/{collectivite.pk}/labellisation/")
    assert page.status_code == 200
    html = page.content.decode()
    charts = re.findall(r"<svg[^>]*class=\"evolution\".*?</svg>", html, re.S)
    assert len(charts) == 1
    chart = charts[0]
    assert 'role="img"' in chart and "aria-label=" in chart
    fait = re.search(r'<g class="serie-fait">(.*?)</g>', chart, re.S)
    assert fait is not None and fait.group(1).count("<circle") == 3
    assert "Zéro &lt;fait&gt;" in chart and "<fait>" not in chart  # escaped
    assert "% fait" in chart and "% programmé" in chart
    # The text alternative: a table with one row per jalon.
    table = re.search(r'<table class="evolution-table"[^>]*>.*?</table>', html, re.S)
    assert table is not None and table.group(0).count("<tr>") == 4  # the header and 3 jalons


def test_no_jalon_no_chart(collectivite: Collectivite, editor: Member) -> None:
    html = logged_in(editor).get(f"/c/{collectivite.pk}/labellisation/").content.decode()
    assert 'class="evolution"' not in html


def test_a_demande_without_audit_is_decided_on_a_jalon_named_by_the_staff(
    collectivite: Collectivite, editor: Member
) -> None:
    ready(collectivite, editor)
    staff = token_of(staff_user()).client()
    sent = post(editor.client(), api(collectivite, "/cae/demander"), {"etoile": 1, "document": DOCUMENT})
    assert sent.status_code == 200 and sent.json()["demande"]["audit_requis"] is False
    jalon = post(editor.client(), api(collectivite, "/cae/jalons"), {"nom": "Jugé"}).json()
    before = snapshot(collectivite)
    for bad in (-1, 2**63, 999_999):
        refused = post(staff, api(collectivite, "/cae/decider"), {"obtenu": True, "jalon": bad})
        assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "jalon", bad
    assert snapshot(collectivite) == before
    decided = post(staff, api(collectivite, "/cae/decider"), {"obtenu": True, "jalon": jalon["id"]})
    assert decided.status_code == 200, decided.json()
    # Without an audit, the star granted is the one requested.
    assert decided.json()["etat"] == "labellisee" and decided.json()["label_en_vigueur"]["etoile"] == 1
    assert models.Decision.objects.get().jalon_id == jalon["id"]
    # The jalon the commission judged is kept.
    kept = editor.client().delete(api(collectivite, f"/cae/jalons/{jalon['id']}"))
    assert kept.status_code == 422 and "commission" in kept.json()["detail"][0]["reason"]
