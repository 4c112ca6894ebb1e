"""The history of a collectivité (every member reads it) and its scores at a past date.

The list shows every change of statut, explication, answer, justification, identity, name and member's
role: who, when, the previous and the new value, filterable by action or question (an id or the start of
one, a number such as 6.1.1, words of a name: the rule of ``statuts.history.subject_matches``, the API's
too), kind, person and dates, paginated. The past
scores are recomputed from the history by ``statuts.history.scores_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from jalon.labellisation.parcours import TRANSITIONS, Etat, nom_etoile
from jalon.referentiel.model import Action, Referentiels
from jalon.web.collectivites.models import Collectivite, Localisation, Role, TypeCollectivite
from jalon.web.errors import InputError
from jalon.web.pages.common import bar_html, bars, entier, loaded, member, mesure_of, nombre
from jalon.web.pages.questionnaire import pourcentage
from jalon.web.pages.views import _axes
from jalon.web.referentiels.services import loaded_version
from jalon.web.statuts import services
from jalon.web.statuts.history import check_kind, scores_at, subject_matches
from jalon.web.statuts.models import Avancement, HistoryEntry, Kind

PAR_PAGE = 50
TEXTE_MAX = 300  # longer explications and justifications are cut in the list (the full text is in the title)


# -- values as a person reads them ----------------------------------------------------------------


def _statut(value: Any) -> str:
    if value is None:
        return "Non renseigné"
    label = dict(Avancement.choices).get(value.get("avancement"), str(value.get("avancement")))
    if value.get("detaille"):
        fait, programme, pas_fait = value["detaille"]
        return f"{label} : {fait} % fait, {programme} % programmé, {pas_fait} % pas fait"
    return label


def _reponse(refs: Referentiels, question_id: str, value: Any) -> str:
    if value is None:
        return "Sans réponse"
    question = refs.questions.get(question_id)
    if value in ("OUI", "NON"):
        return "Oui" if value == "OUI" else "Non"
    if question is not None and question.type == "choix":
        return next((c.formulation for c in question.choix if c.id == value), str(value))
    if isinstance(value, int | float):
        return f"{pourcentage(value)} %"  # a proportion, stored as a fraction
    return str(value)


IDENTITE_LABELS = {"type": "type", "population": "population", "localisation": "localisation"}


def _identite(value: Any, other: Any) -> str:
    """The identity fields that changed (all of them when there is nothing to compare with)."""
    if not value:
        return "–"
    shown = [k for k in IDENTITE_LABELS if k in value and (not other or other.get(k) != value[k])]
    parts = []
    for k in shown or list(IDENTITE_LABELS):
        v = value.get(k)
        if k == "population" and isinstance(v, int):
            text = f"{entier(v)} habitants"
        else:
            text = str(dict(TypeCollectivite.choices + Localisation.choices).get(v, v))
        parts.append(f"{IDENTITE_LABELS[k]} : {text}")
    return ", ".join(parts)


def valeur(refs: Referentiels, entry: HistoryEntry, value: Any, other: Any) -> str:
    """One side (previous or new) of a change, in French."""
    if entry.kind == Kind.STATUT:
        return _statut(value)
    if entry.kind == Kind.REPONSE:
        return _reponse(refs, entry.subject, value)
    if entry.kind == Kind.IDENTITE:
        return _identite(value, other)
    if entry.kind == Kind.MEMBRE:
        return "Non membre" if value is None else dict(Role.choices).get(value, str(value))
    if entry.kind == Kind.PARCOURS:
        return _parcours(value)
    if entry.kind == Kind.JALON:
        return "(aucun)" if value is None else f"« {value.get('nom')} » figé le {_jour(value.get('le'))}"
    if entry.kind == Kind.COT:
        return "Sous COT" if value else "Hors COT"
    return str(value) if value else "(vide)"  # explication, justification, nom, pilote


def _jour(iso: Any) -> str:
    try:
        return date.fromisoformat(str(iso)).strftime("%d/%m/%Y")
    except ValueError:
        return str(iso)


def _parcours(value: Any) -> str:
    """A step of the parcours de labellisation: the transition and the state it leads to."""
    if not isinstance(value, dict):
        return str(value)
    etat = (
        Etat(value["etat"]).libelle if value.get("etat") in Etat.__members__.values() else value.get("etat")
    )
    regle = TRANSITIONS.get(value.get("action", ""))
    text = f"{regle.libelle} : {etat}" if regle is not None else f"{etat}"
    if value.get("auditeur"):
        text += f" (auditeur : {value['auditeur']})"
    if value.get("label"):
        text += f", {nom_etoile(value['label'])} obtenue"
    return f"{text} (cycle {value.get('cycle')})"


# -- the list -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ligne:
    id: int
    at: datetime
    kind: str
    kind_label: str
    subject: str
    subject_label: str
    code: str  # the action or question id beside its name ("" for the other subjects)
    url: str
    user: str
    avant: str
    apres: str


def _actions(refs: Referentiels) -> dict[str, tuple[str, Action]]:
    return {a.id: (r.id, a) for r in refs.referentiels.values() for a in r.actions.values()}


def _cut(text: str) -> str:
    return text if len(text) <= TEXTE_MAX else text[: TEXTE_MAX - 1] + "…"


def _ligne(
    c: Collectivite, refs: Referentiels, actions: dict[str, tuple[str, Action]], e: HistoryEntry
) -> Ligne:
    label, code, url = e.subject, "", ""
    if e.kind == Kind.MEMBRE:  # first: a username may look like an id
        label, url = f"Rôle de {e.subject}", reverse("membres", args=(c.pk,))
    elif e.kind == Kind.NOM:
        label, url = "Nom de la collectivité", reverse("parametres", args=(c.pk,))
    elif e.kind == Kind.COT:
        label, url = "Contrat d'Objectif Territorial", reverse("parametres", args=(c.pk,))
    elif e.subject in actions:
        ref_id, action = actions[e.subject]
        label, code = f"{action.identifiant} {action.nom}".strip(), e.subject
        url = (
            reverse("mesure", args=(c.pk, mesure_of(refs.referentiels[ref_id], e.subject)))
            + f"#row-{e.subject}"
        )
    elif e.subject in refs.questions:
        label, code = refs.questions[e.subject].formulation, e.subject
        url = reverse("questionnaire", args=(c.pk,)) + f"#question-{e.subject}"
    elif e.kind == Kind.IDENTITE:
        label, url = "Identité de la collectivité", reverse("parametres", args=(c.pk,))
    elif e.kind in (Kind.PILOTE, Kind.SERVICE) and e.subject.split(" ", 1)[-1] in actions:
        # « pilote <action id> », « service <action id> »: the mesure page's « Pilotes et services »
        target = e.subject.split(" ", 1)[-1]
        ref_id, action = actions[target]
        quel = "Pilote" if e.kind == Kind.PILOTE else "Service"
        label, code = f"{quel} de {action.identifiant} {action.nom}".strip(), target
        url = reverse("mesure", args=(c.pk, mesure_of(refs.referentiels[ref_id], target))) + "#pilotes"
    elif e.kind == Kind.SERVICE:
        label = "Service de la collectivité (créé)"
    elif e.kind in (Kind.PARCOURS, Kind.JALON, Kind.PILOTE):
        quoi = {Kind.PARCOURS: "Parcours de labellisation", Kind.JALON: "Jalon", Kind.PILOTE: "Pilote"}
        label = f"{quoi[Kind(e.kind)]} ({e.subject.split(' ', 1)[-1]})"
        url = reverse("labellisation", args=(c.pk,))
    return Ligne(
        id=e.pk,
        at=e.at,
        kind=e.kind,
        kind_label=e.get_kind_display(),
        subject=e.subject,
        subject_label=label,
        code=code,
        url=url,
        user=e.user.get_username() if e.user else "(compte supprimé)",
        avant=_cut(valeur(refs, e, e.previous, e.new)),
        apres=_cut(valeur(refs, e, e.new, e.previous)),
    )


# Days past these overflow once turned into a moment in UTC (or the next day): refused, not a 500.
FIRST_DAY, LAST_DAY = date(2, 1, 1), date(9998, 12, 31)


def _day(raw: str, field: str) -> date:
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise InputError(field, f"date attendue au format AAAA-MM-JJ, pas {raw!r}") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InputError(field, f"date hors limites : entre {FIRST_DAY} et {LAST_DAY}")
    return day


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filtered(c: Collectivite, params: dict[str, str]) -> tuple[QuerySet[HistoryEntry], list[str]]:
    """The entries the filters keep, newest first, and the readable reasons of the filters refused
    (a refused filter is left out, the others still apply)."""
    entries = HistoryEntry.objects.filter(collectivite=c).select_related("user").order_by("-at", "-id")
    errors = []
    action = params.get("action", "").strip()
    if action:  # the action and everything below it (6.1.1 does not take 6.1.10)
        entries = entries.filter(subject_matches(action))
    kind = params.get("type", "")
    if kind:
        try:
            entries = entries.filter(kind=check_kind(kind, "type"))
        except InputError as e:
            errors.append(f"{e.field} : {e.reason}")
    personne = params.get("personne", "")
    if personne:
        entries = entries.filter(user__username=personne)
    du = au = None
    for field in ("du", "au"):
        raw = params.get(field, "").strip()
        if not raw:
            continue
        try:
            day = _day(raw, field)
        except InputError as e:
            errors.append(f"{e.field} : {e.reason}")
            continue
        if field == "du":
            du = day
        else:
            au = day
    if du and au and du > au:
        errors.append("au : la date de fin précède la date de début")
    else:
        if du:
            entries = entries.filter(at__gte=_start_of(du))
        if au:  # the whole day, in Europe/Paris time
            entries = entries.filter(at__lt=_start_of(au + timedelta(days=1)))
    return entries, errors


FILTRES = ("action", "type", "personne", "du", "au")


@login_required
def historique(request: HttpRequest, collectivite_id: int) -> HttpResponse:
    c, _role = member(request, collectivite_id)
    refs = loaded()
    params = {k: request.GET.get(k, "") for k in FILTRES}
    entries, errors = filtered(c, params)
    page = Paginator(entries, PAR_PAGE).get_page(request.GET.get("page"))
    actions = _actions(refs)
    # Everyone who wrote here, members or not any more, to filter by.
    personnes = sorted(
        User.objects.filter(historyentry__collectivite=c).distinct().values_list("username", flat=True)
    )
    query = urlencode({k: v for k, v in params.items() if v})
    return render(
        request,
        "pages/historique.html",
        {
            "collectivite": c,
            "lignes": [_ligne(c, refs, actions, e) for e in page.object_list],
            "page": page,
            "query": query,
            "params": params,
            "kinds": Kind.choices,
            "personnes": personnes,
            "errors": errors,
            "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
        status=400 if errors else 200,
    )


# -- scores at a date -----------------------------------------------------------------------------


def parse_moment(raw: str) -> datetime:
    """The moment a person means: a day alone is its end; a time to the minute is the end of that minute
    (a change made at 14:32:10 counts « à 14:32 »); a full timestamp is itself. Naive means Europe/Paris.
    Raises InputError."""
    raw = raw.strip()
    try:
        if len(raw) == 10:
            moment = datetime.combine(date.fromisoformat(raw), time.max)
        else:
            moment = datetime.fromisoformat(raw)
            if len(raw) == 16:  # AAAA-MM-JJTHH:MM, what a datetime-local field sends
                moment += timedelta(seconds=59, microseconds=999_999)
    except (ValueError, OverflowError):
        raise InputError(
            "date", f"date attendue au format AAAA-MM-JJ ou AAAA-MM-JJTHH:MM, pas {raw!r}"
        ) from None
    if not FIRST_DAY <= moment.date() <= LAST_DAY:
        raise InputError("date", f"date hors limites : entre {FIRST_DAY} et {LAST_DAY}")
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


@login_required
def scores_date(request: HttpRequest, collectivite_id: int) -> HttpResponse:
    """The root % fait / programmé and the per-axe figures of every référentiel at a past date, beside
    today's."""
    c, _role = member(request, collectivite_id)
    raw = request.GET.get("date", "").strip()
    error = None
    rows = []
    moment = None
    if raw:
        try:
            moment = parse_moment(raw)
            state, past = scores_at(c, moment)
        except InputError as e:
            error = f"{e.field} : {e.reason}"
        else:
            refs = loaded_version(state.version)
            for ref_id, scores in past.items():
                referentiel = refs.referentiels[ref_id]
                root = scores[ref_id]
                today = services.root_scores(c, ref_id) if ref_id in loaded().referentiels else None
                rows.append(
                    {
                        "referentiel": referentiel,
                        "scores": root,
                        "bars": bars(root),
                        "bar": bar_html(bars(root), "bar large"),
                        "axes": _axes(referentiel, scores),
                        "aujourdhui": bars(today) if today is not None else None,
                        "points_fait": nombre(root["point_fait"]),
                        "points_potentiel": nombre(root["point_potentiel"]),
                    }
                )
    return render(
        request,
        "pages/scores_date.html",
        {
            "collectivite": c,
            "raw": raw,
            "moment": moment,
            "field": timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M") if moment else raw,
            "rows": rows,
            "error": error,
        },
        status=400 if error else 200,
    )
