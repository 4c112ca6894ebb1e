"""JSON API of a collectivité's state: the collectivité with its root scores, the scored tree of a
référentiel, statuts, explications, answers, the history and the scores of a past date. Mounted by
``jalon.web.api``; writes go through ``jalon.web.statuts.services``.

Operation ids are those the API was published with, when every endpoint lived in ``jalon.web.api``: a
client generated from the OpenAPI schema keeps working."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, NotRequired

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router
from pydantic import StrictFloat, StrictInt, StrictStr
from typing_extensions import TypedDict  # pydantic takes typing's own from Python 3.12 on

from jalon.regles import referentiels_reading
from jalon.scores.engine import ScoreValue
from jalon.web.api_common import (
    READ_ERRORS,
    WRITE_ERRORS,
    ApiError,
    Out,
    Strict,
    caller,
    is_row_id,
    member,
)
from jalon.web.collectivites.api import CollectiviteOut, collectivite_out
from jalon.web.collectivites.models import Collectivite, identite
from jalon.web.errors import InputError
from jalon.web.referentiels.services import current_loaded
from jalon.web.statuts import services
from jalon.web.statuts.history import check_kind, scores_at, subject_matches
from jalon.web.statuts.models import Avancement, HistoryEntry, Reponse, StatutRecord
from jalon.web.statuts.services import KEEP

router = Router()

Scores = dict[str, ScoreValue]


class CollectiviteDetailOut(CollectiviteOut):
    identite: dict[str, list[str]]
    referentiels: dict[str, Scores]


StatutAvancement = Literal["fait", "programme", "pas_fait", "detaille", "non_concerne"]
assert set(StatutAvancement.__args__) == set(Avancement.values)  # type: ignore[attr-defined]


# A TypedDict, not a model: ``detaille`` is left out when absent, never null, as the API always answered.
class StatutOut(TypedDict):
    """A statut: ``detaille`` ([fait, programmé, pas fait] in %) only with the avancement « detaille »."""

    avancement: StatutAvancement
    detaille: NotRequired[list[int]]


class NodeOut(Out):
    action_id: str
    identifiant: str
    nom: str
    parent: str | None
    depth: int
    categorie: str | None
    statut: StatutOut | None
    scores: Scores


# Every avancement a statut write takes; "non_renseigne" removes the statut.
AvancementIn = Literal["fait", "programme", "pas_fait", "detaille", "non_concerne", "non_renseigne"]
assert set(AvancementIn.__args__) == {*Avancement.values, "non_renseigne"}  # type: ignore[attr-defined]


class StatutIn(Strict):
    avancement: AvancementIn = Field(
        description="fait, programme, pas_fait, detaille, non_concerne ; non_renseigne retire le statut"
    )
    detaille: (
        Annotated[list[Annotated[StrictInt, Field(ge=0, le=100)]], Field(min_length=3, max_length=3)] | None
    ) = Field(
        default=None, description="avec detaille seulement : [fait, programmé, pas fait] en %, total 100"
    )


class StatutChangeOut(Out):
    action_id: str
    statut: StatutOut | None
    reset: list[str]
    scores: dict[str, Scores]


class ExplicationIn(Strict):
    texte: StrictStr


class ExplicationOut(Out):
    action_id: str
    texte: str


class ReponseIn(Strict):
    valeur: StrictStr | StrictFloat | StrictInt | None = Field(
        default=None,
        description="OUI / NON, l'identifiant d'un choix ou une proportion ; null retire la réponse",
    )
    justification: StrictStr | None = Field(default=None, description="absente ou null : inchangée")


class ReponseValueOut(Out):
    valeur: str | float | None
    justification: str


class ReponseOut(ReponseValueOut):
    question_id: str


class HistoryOut(Out):
    kind: str
    subject: str
    user: str | None
    at: str
    previous: Any
    new: Any


class PastScoresOut(Out):
    date: str
    version: int
    referentiels: dict[str, dict[str, Scores]]


# Dates outside these years overflow once converted to UTC (or by a day): past them, a bound leaves
# out or takes every change as it would at these.
_EARLIEST = datetime(2, 1, 1, tzinfo=UTC)
_LATEST = datetime(9998, 12, 31, tzinfo=UTC)


def _moment(value: datetime) -> datetime:
    """An ISO 8601 input as an aware datetime in Europe/Paris time (without an offset, it is Paris
    time), brought within the years the database and the time zones handle."""
    if value.year < 3:
        return _EARLIEST
    if value.year > 9997:
        return _LATEST
    # In Paris time: PostgreSQL refuses offsets past ±15:59, which ISO 8601 lets through (+23:00).
    return timezone.localtime(timezone.make_aware(value) if timezone.is_naive(value) else value)


def _acces(request: HttpRequest, collectivite_id: int) -> services.Acces:
    """The caller's access (a member's role, or the référentiels audited as an assigned auditor); 404
    for anyone else, as if the collectivité did not exist."""
    found = services.acces_of(request.user, collectivite_id) if is_row_id(collectivite_id) else None
    if found is None:
        raise ApiError(404, "collectivite_id", "collectivité introuvable")
    return found


def _writer(request: HttpRequest, collectivite_id: int, referentiel_ids: Iterable[str]) -> Collectivite:
    """The collectivité, when the caller may change what touches these référentiels (``Acces.ecrit``);
    else a 403 (the write primitive then refuses a locked référentiel to anyone but its auditors)."""
    a = _acces(request, collectivite_id)
    if not a.ecrit(referentiel_ids):
        raise ApiError(403, "role", a.refus())
    return a.collectivite


def _referentiel_of(action_id: str) -> list[str]:
    """The référentiel of an action, none when unknown (the service then says so)."""
    found = current_loaded()[1].referentiel_of(action_id)
    return [] if found is None else [found.id]


@router.get(
    "/collectivites/{collectivite_id}",
    response={200: CollectiviteDetailOut, **READ_ERRORS},
    operation_id="jalon_web_api_get_collectivite",
)
def get_collectivite(request: HttpRequest, collectivite_id: int) -> dict[str, Any]:
    """A collectivité, its identity tags and the root score of each référentiel."""
    found = services.overview(caller(request), collectivite_id) if is_row_id(collectivite_id) else None
    if found is None:
        raise ApiError(404, "collectivite_id", "collectivité introuvable")
    c = found.collectivite
    return {
        **collectivite_out(c, found.role),
        "identite": {k: sorted(v) for k, v in identite(c).items()},
        "referentiels": found.roots,
    }


@router.get(
    "/collectivites/{collectivite_id}/referentiels/{referentiel_id}",
    response={200: list[NodeOut], **READ_ERRORS},
    operation_id="jalon_web_api_scored_tree",
)
def scored_tree(request: HttpRequest, collectivite_id: int, referentiel_id: str) -> list[dict[str, Any]]:
    """Every node of a référentiel in order (parents first), with its statut and its scores."""
    a = _acces(request, collectivite_id)
    c = a.collectivite
    referentiel = current_loaded()[1].referentiels.get(referentiel_id)
    if referentiel is None or not a.voit(referentiel_id):
        raise ApiError(404, "referentiel_id", f"référentiel inconnu : {referentiel_id!r}")
    scores = services.scores(c, referentiel_id)
    statuts = {
        r.action_id: services.statut_value(r)
        for r in StatutRecord.objects.filter(collectivite=c, referentiel=referentiel_id)
    }
    return [
        {
            "action_id": a.id,
            "identifiant": a.identifiant,
            "nom": a.nom,
            "parent": a.parent,
            "depth": a.depth,
            "categorie": a.categorie,
            "statut": statuts.get(a.id),
            "scores": scores[a.id],
        }
        for a in referentiel.actions.values()
    ]


@router.get(
    "/collectivites/{collectivite_id}/statuts",
    response={200: dict[str, StatutOut], **READ_ERRORS},
    operation_id="jalon_web_api_list_statuts",
)
def list_statuts(request: HttpRequest, collectivite_id: int) -> dict[str, Any]:
    """The statuts of every référentiel (of the audited ones only, for an auditor who is not a member)."""
    a = _acces(request, collectivite_id)
    return {
        r.action_id: services.statut_value(r)
        for r in StatutRecord.objects.filter(collectivite=a.collectivite)
        if a.voit(r.referentiel)
    }


@router.put(
    "/collectivites/{collectivite_id}/statuts/{action_id}",
    response={200: StatutChangeOut, **WRITE_ERRORS},
    operation_id="jalon_web_api_put_statut",
)
def put_statut(request: HttpRequest, collectivite_id: int, action_id: str, body: StatutIn) -> dict[str, Any]:
    """Set the statut of a sous-mesure or a tâche: ``{"avancement": "fait"}`` (fait, programme,
    pas_fait, non_concerne), ``{"avancement": "detaille", "detaille": [fait, programmé, pas fait]}``
    (percentages, multiples of 5 adding up to 100). Only ``{"avancement": "non_renseigne"}`` removes
    the statut: any other body that is not one of these (a missing or misspelled key, null, a list…)
    is a 422 and changes nothing."""
    c = _writer(request, collectivite_id, _referentiel_of(action_id))
    change = services.set_statut(c, caller(request), action_id, body.avancement, body.detaille)
    return {
        "action_id": change.action_id,
        "statut": change.statut,
        "reset": list(change.reset),
        "scores": change.scores,
    }


@router.put(
    "/collectivites/{collectivite_id}/explications/{action_id}",
    response={200: ExplicationOut, **WRITE_ERRORS},
    operation_id="jalon_web_api_put_explication",
)
def put_explication(
    request: HttpRequest, collectivite_id: int, action_id: str, body: ExplicationIn
) -> dict[str, Any]:
    """Set the explication of an action (an empty text removes it)."""
    c = _writer(request, collectivite_id, _referentiel_of(action_id))
    services.set_explication(c, caller(request), action_id, body.texte)
    return {"action_id": action_id, "texte": body.texte}


@router.get(
    "/collectivites/{collectivite_id}/reponses",
    response={200: dict[str, ReponseValueOut], **READ_ERRORS},
    operation_id="jalon_web_api_list_reponses",
)
def list_reponses(request: HttpRequest, collectivite_id: int) -> dict[str, Any]:
    c = _acces(request, collectivite_id).collectivite
    return {
        r.question_id: {"valeur": r.valeur, "justification": r.justification}
        for r in Reponse.objects.filter(collectivite=c)
    }


@router.put(
    "/collectivites/{collectivite_id}/reponses/{question_id}",
    response={200: ReponseOut, **WRITE_ERRORS},
    operation_id="jalon_web_api_put_reponse",
)
def put_reponse(
    request: HttpRequest, collectivite_id: int, question_id: str, body: ReponseIn
) -> dict[str, Any]:
    """Answer a question and/or set its justification. A field left out is left unchanged; an
    explicit ``"valeur": null`` removes the answer. A body with neither field is a 422."""
    c = _writer(request, collectivite_id, referentiels_reading(current_loaded()[1], question_id))
    given = body.model_fields_set
    if not given:
        raise InputError("valeur", "valeur ou justification attendue")
    valeur = body.valeur if "valeur" in given else KEEP
    services.set_reponse(c, caller(request), question_id, valeur, body.justification)
    # No row when nothing was ever answered nor justified (a write that changed nothing writes none).
    r = Reponse.objects.filter(collectivite=c, question_id=question_id).first()
    if r is None:
        return {"question_id": question_id, "valeur": None, "justification": ""}
    return {"question_id": question_id, "valeur": r.valeur, "justification": r.justification}


@router.get(
    "/collectivites/{collectivite_id}/historique",
    response={200: list[HistoryOut], **READ_ERRORS},
    operation_id="jalon_web_api_history",
)
def history(
    request: HttpRequest,
    collectivite_id: int,
    subject: str | None = None,
    kind: str | None = None,
    user: str | None = None,
    depuis: datetime | None = None,
    jusqua: datetime | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Changes, newest first (at most ``limit``, 1 to 1000), filterable as on the history page.

    ``subject``: an action or question id, or the start of one. An id ending with a digit takes
    itself and what is below it, by whole components (``cae_1.1`` takes ``cae_1.1.3``, not
    ``cae_1.10``); any other start takes every subject beginning with it (``cae``: the whole
    référentiel). ``kind``: statut, explication, reponse, justification, identite, nom (the
    collectivité's name) or membre (subject: a username; previous / new: the role, null when not a
    member); another value is a 422. ``user``: a username. ``depuis`` / ``jusqua``: ISO 8601 bounds,
    both included."""
    c, _ = member(request, collectivite_id)
    entries = HistoryEntry.objects.filter(collectivite=c).select_related("user")
    if subject:
        entries = entries.filter(subject_matches(subject))
    if kind:
        entries = entries.filter(kind=check_kind(kind, "kind"))
    if user:
        entries = entries.filter(user__username=user)
    if depuis:
        entries = entries.filter(at__gte=_moment(depuis))
    if jusqua:
        entries = entries.filter(at__lte=_moment(jusqua))
    return [
        {
            "kind": e.kind,
            "subject": e.subject,
            "user": e.user.get_username() if e.user else None,
            "at": e.at.isoformat(),
            "previous": e.previous,
            "new": e.new,
        }
        for e in entries[: max(1, min(limit, 1000))]
    ]


@router.get(
    "/collectivites/{collectivite_id}/scores",
    response={200: PastScoresOut, **READ_ERRORS},
    operation_id="jalon_web_api_past_scores",
)
def past_scores(
    request: HttpRequest, collectivite_id: int, date: datetime, referentiel: str | None = None
) -> dict[str, Any]:
    """The scores as they were at ``date`` (ISO 8601; without an offset, Europe/Paris time),
    recomputed from the history: statuts, answers and identity of that date, with the référentiel
    version then current. ``referentiel`` keeps one référentiel only."""
    c, _ = member(request, collectivite_id)
    at = _moment(date)
    state, scores = scores_at(c, at)
    if referentiel is not None:
        if referentiel not in scores:
            raise InputError("referentiel", f"référentiel inconnu : {referentiel!r}")
        scores = {referentiel: scores[referentiel]}
    return {"date": at.isoformat(), "version": state.version.pk, "referentiels": scores}
