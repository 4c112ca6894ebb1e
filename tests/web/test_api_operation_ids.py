"""The OpenAPI operation ids stay those the API was published with, wherever its endpoints' code lives:
a client generated from the schema calls them by these names."""

from __future__ import annotations

from django.test import Client

PUBLISHED = {
    ("get", "/api/collectivites"): "jalon_web_api_list_collectivites",
    ("get", "/api/collectivites/{collectivite_id}"): "jalon_web_api_get_collectivite",
    (
        "get",
        "/api/collectivites/{collectivite_id}/referentiels/{referentiel_id}",
    ): "jalon_web_api_scored_tree",
    ("get", "/api/collectivites/{collectivite_id}/statuts"): "jalon_web_api_list_statuts",
    ("put", "/api/collectivites/{collectivite_id}/statuts/{action_id}"): "jalon_web_api_put_statut",
    ("put", "/api/collectivites/{collectivite_id}/explications/{action_id}"): "jalon_web_api_put_explication",
    ("get", "/api/collectivites/{collectivite_id}/reponses"): "jalon_web_api_list_reponses",
    ("put", "/api/collectivites/{collectivite_id}/reponses/{question_id}"): "jalon_web_api_put_reponse",
    ("get", "/api/collectivites/{collectivite_id}/historique"): "jalon_web_api_history",
    ("get", "/api/collectivites/{collectivite_id}/scores"): "jalon_web_api_past_scores",
    ("get", "/api/collectivites/{collectivite_id}/discussions"): "jalon_web_discussions_api_list_discussions",
    ("post", "/api/collectivites/{collectivite_id}/discussions"): "jalon_web_discussions_api_open_discussion",
    (
        "post",
        "/api/collectivites/{collectivite_id}/discussions/{discussion_id}/commentaires",
    ): "jalon_web_discussions_api_add_commentaire",
    (
        "put",
        "/api/collectivites/{collectivite_id}/discussions/{discussion_id}/etat",
    ): "jalon_web_discussions_api_set_etat",
    (
        "get",
        "/api/collectivites/{collectivite_id}/labellisation",
    ): "jalon_web_labellisation_api_list_parcours",
    ("post", "/api/collectivites/{collectivite_id}/pilotes"): "jalon_web_labellisation_api_nommer_pilote",
    **{
        (method, f"/api/collectivites/{{collectivite_id}}/documents{path}"): f"jalon_web_preuves_api_{name}"
        for method, path, name in (
            ("get", "", "list_documents"),
            ("post", "/fichier", "add_fichier"),
            ("post", "/lien", "add_lien"),
            ("delete", "/{document_id}", "delete_document"),
            ("post", "/{document_id}/rattachements", "attach"),
            ("delete", "/{document_id}/rattachements", "detach"),
            ("get", "/{document_id}/fichier", "download"),
            ("get", "/archive/{referentiel_id}", "archive"),
        )
    },
    **{
        (method, f"/api/collectivites/{{collectivite_id}}/labellisation/{{referentiel_id}}{path}"): (
            f"jalon_web_labellisation_api_{name}"
        )
        for method, path, name in (
            ("get", "", "get_parcours"),
            ("post", "/demander", "demander"),
            ("post", "/affecter-auditeur", "affecter_auditeur"),
            ("post", "/retirer-auditeur", "retirer_auditeur"),
            ("post", "/demarrer-audit", "demarrer_audit"),
            ("post", "/auditer-mesure", "auditer_mesure"),
            ("post", "/joindre-rapport", "joindre_rapport"),
            ("post", "/valider-audit", "valider_audit"),
            ("post", "/decider", "decider"),
            ("post", "/nouveau-cycle", "nouveau_cycle"),
            ("get", "/jalons", "list_jalons"),
            ("post", "/jalons", "figer_jalon"),
            ("get", "/jalons/{jalon_id}", "get_jalon"),
            ("patch", "/jalons/{jalon_id}", "renommer_jalon"),
            ("delete", "/jalons/{jalon_id}", "supprimer_jalon"),
            ("get", "/comparaison", "comparer_jalons"),
            ("get", "/evolution", "evolution"),
        )
    },
}


def test_every_operation_keeps_its_published_id() -> None:
    schema = Client().get("/api/openapi.json").json()
    ids = {
        (method, path): op["operationId"]
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
    }
    assert ids == PUBLISHED
