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
}


def test_every_operation_keeps_its_published_id() -> None:
    schema = Client().get("/api/openapi.json").json()
    ids = {
        (method, path): op["operationId"]
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
    }
    assert ids == PUBLISHED
