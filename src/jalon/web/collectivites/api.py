"""JSON API of the collectivités: those the caller is a member of, with the caller's role. Mounted by
``jalon.web.api``. A collectivité with its scores is read through ``jalon.web.statuts.api``, which holds
the scores (this app sits below the statuts and never imports them).

Operation ids are those the API was published with, when every endpoint lived in ``jalon.web.api``: a
client generated from the OpenAPI schema keeps working."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from jalon.web.api_common import Out, errors
from jalon.web.collectivites.models import Collectivite
from jalon.web.collectivites.services import collectivites_of

router = Router()


class CollectiviteOut(Out):
    id: int
    nom: str
    type: str
    population: int
    localisation: str
    role: str


def collectivite_out(c: Collectivite, role: str) -> dict[str, Any]:
    return {
        "id": c.pk,
        "nom": c.nom,
        "type": c.type,
        "population": c.population,
        "localisation": c.localisation,
        "role": role,
    }


@router.get(
    "/collectivites",
    response={200: list[CollectiviteOut], **errors(401)},
    operation_id="jalon_web_api_list_collectivites",
)
def list_collectivites(request: HttpRequest) -> list[dict[str, Any]]:
    """The collectivités the caller is a member of, with the caller's role."""
    return [collectivite_out(c, role) for c, role in collectivites_of(request.user)]
