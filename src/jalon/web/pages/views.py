"""Server-rendered pages in French. Thin: permissions, then the services, then a template."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles.views import serve
from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from jalon.labellisation.checklist import Checklist, checklist
from jalon.labellisation.parcours import label_en_vigueur
from jalon.referentiel.model import CATEGORIES, Action, Preuve, Referentiel
from jalon.web.collectivites.models import Collectivite
from jalon.web.collectivites.services import can_write, collectivites_of
from jalon.web.labellisation import pilotes
from jalon.web.labellisation.services import parcours_of
from jalon.web.pages.common import (
    PREREQUIS,
    acces,
    bar_html,
    bars,
    entier,
    loaded,
    nombre,
    percent,
    prerequis_of,
)
from jalon.web.pages.roles import role_label
from jalon.web.preuves import services as preuves_services
from jalon.web.preuves.models import Target
from jalon.web.statuts import services
from jalon.web.statuts.models import Avancement, StatutRecord
from jalon.web.texte import fold, numero

NON_RENSEIGNE = "non_renseigne"


def static(request: HttpRequest, path: str) -> FileResponse:
    """htmx and the admin's files, found by the staticfiles finders: `jalon serve` has no front server
    and DEBUG is off, so nothing else serves them. A path out of the static folders is a 404."""
    try:
        return serve(request, path, insecure=True)
    except SuspiciousFileOperation:
        raise Http404("fichier introuvable") from None


FAVICON = Path(__file__).parent / "static" / "pages" / "favicon.svg"


def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers and tools ask for whatever the pages link: the site's SVG icon
    (browsers go by the content type, not the name)."""
    response = HttpResponse(FAVICON.read_bytes(), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@login_required
def home(request: HttpRequest) -> HttpResponse:
    found = [(c, role_label(role)) for c, role in collectivites_of(request.user)]
    return render(request, "pages/home.html", {"collectivites": found})


@dataclass(frozen=True)
class AxeBar:
    """One line of the per-axe chart: the axe's full label (wrapped by the page, never cut), its bar."""

    identifiant: str
    nom: str
    fait: float
    programme: float
    bars: dict[str, float]
    potentiel: float = 1.0  # 0 for an axe désactivé or reduced to nothing: no strength nor weakness
    action_id: str = ""


def _axes(referentiel: Referentiel, scores: dict[str, Any]) -> list[AxeBar]:
    out = []
    for axe_id in referentiel.root.children:
        axe = referentiel.actions[axe_id]
        b = bars(scores[axe_id])
        potentiel = float(scores[axe_id]["point_potentiel"] or 0)
        out.append(AxeBar(axe.identifiant, axe.nom, b["fait"], b["programme"], b, potentiel, axe_id))
    return out


FORTS_MAX = FAIBLES_MAX = 2


def forts_et_faibles(axes: list[AxeBar], seuil: float) -> tuple[list[AxeBar], list[AxeBar]]:
    """Strengths and weaknesses against the label: ``seuil`` is the % fait of the next star (the last
    star's when all are reached). Weak: the weakest axes below it, which hold the next star back;
    strong: the strongest at or above it. None when all axes are level (e.g. all at 0 %), where
    naming some would mean nothing; an axe without potentiel is neither."""
    counted = [a for a in axes if a.potentiel > 0]
    if len(counted) < 2 or len({a.fait for a in counted}) == 1:
        return [], []
    ranked = sorted(counted, key=lambda a: a.fait)
    faibles = [a for a in ranked if a.fait < seuil][:FAIBLES_MAX]
    forts = [a for a in sorted(counted, key=lambda a: -a.fait) if a.fait >= seuil and a.fait > 0][:FORTS_MAX]
    return forts, faibles


def ordinal(etoile: int) -> str:
    """« 1re », « 2e »… in French."""
    return "1re" if etoile == 1 else f"{etoile}e"


@dataclass(frozen=True)
class Labellisation:
    """What the dashboard says of the label for one référentiel, from the engine's checklist."""

    checklist: Checklist
    etoile_score: str | None  # « 2e », None when the score allows no star
    cible: str  # the star whose criteria are checked: « 1re », « 2e »…
    prochaine: str | None  # the star after the one the score allows
    seuil_prochaine: float | None  # % fait of it
    points_manquants: float | None
    completude_requise: float  # %
    completude_atteinte: bool
    manquants: list[dict[str, Any]]  # unmet criteria: libellé, action id, link, fait / programmé %
    criteres_atteints: int
    demandable: bool  # criteria and complétude met (document and pilotes not handled yet)
    marge: float  # % of margin advised above the threshold


def labellisation_of(
    c: Collectivite,
    checklist_: Checklist,
    referentiel: Referentiel,
    potentiel: float,
    fait: float,
    completude_requise: float,
) -> Labellisation:
    url_prefix = reverse("mesure", args=(c.pk, "X"))[:-2]
    manquants = [
        {
            "libelle": e.critere.libelle,
            "action_id": e.action_id,
            "identifiant": referentiel.actions[e.action_id].identifiant,
            "url": f"{url_prefix}{e.action_id}/",
            "fait": round(100 * e.fait, 1),
            "programme": round(100 * e.programme, 1),
            "min_fait": round(100 * e.critere.min_fait, 1),
            "min_fait_programme": None
            if e.critere.min_fait_programme is None
            else round(100 * e.critere.min_fait_programme, 1),
        }
        for e in checklist_.manquants
    ]
    conditions = {condition.code: condition for condition in checklist_.conditions}
    completude_atteinte = conditions["completude"].atteint is True
    seuil = checklist_.prochain_seuil
    star = checklist_.etoile_score
    return Labellisation(
        checklist=checklist_,
        etoile_score=ordinal(star) if star else None,
        cible=ordinal(checklist_.etoile_cible),
        prochaine=ordinal(star + 1) if seuil is not None else None,
        seuil_prochaine=None if seuil is None else round(100 * seuil, 1),
        points_manquants=None if seuil is None else max(0.0, round(seuil * potentiel - fait, 1)),
        completude_requise=round(100 * completude_requise, 1),
        completude_atteinte=completude_atteinte,
        manquants=manquants,
        criteres_atteints=len(checklist_.criteres) - len(manquants),
        demandable=completude_atteinte and not manquants,
        marge=round(100 * checklist_.marge_recommandee, 1),
    )


@login_required
def dashboard(request: HttpRequest, collectivite_id: int) -> HttpResponse:
    a = acces(request, collectivite_id)
    c, role = a.collectivite, a.role
    rows = []
    engine = loaded()
    for ref_id, referentiel in engine.referentiels.items():
        if not a.voit(ref_id):  # an auditor who is not a member: the audited référentiels only
            continue
        scores = services.scores(c, ref_id)
        s = scores[ref_id]
        fait, potentiel = float(s["point_fait"] or 0), float(s["point_potentiel"] or 0)
        label = None
        seuil = None
        taches = (s["completed_taches_count"], s["total_taches_count"])
        if engine.criteres is not None:
            found = checklist(engine, ref_id, scores, services.statuts_of(c, ref_id))
            requise = engine.criteres.demande.completude
            label = labellisation_of(c, found, referentiel, potentiel, fait, requise)
            taches = (found.taches_renseignees, found.taches)
            # Strengths and weaknesses against the next star's threshold (the last star's past it).
            prochain = found.prochain_seuil
            seuil = 100 * (prochain if prochain is not None else engine.criteres.etoiles[-1])
        # The star obtained: a label in force, never the score alone.
        en_vigueur = label_en_vigueur(parcours_of(c, ref_id), timezone.localdate())
        obtenue = None
        if en_vigueur is not None:
            fin = (en_vigueur.fin_validite - timedelta(days=1)).strftime("%d/%m/%Y")
            obtenue = (
                f"{ordinal(en_vigueur.etoile)} étoile, le {en_vigueur.obtenu_le.strftime('%d/%m/%Y')} "
                f"(valable jusqu'au {fin} inclus)"
            )
        axes = _axes(referentiel, scores)
        forts, faibles = forts_et_faibles(axes, seuil) if seuil is not None else ([], [])
        rows.append(
            {
                "referentiel": referentiel,
                "scores": s,
                "bars": bars(s),
                "label": label,
                "obtenue": obtenue,
                "axes": axes,
                "forts": forts,
                "faibles": faibles,
                "seuil": seuil,
                "seuil_prochaine": label is not None and label.prochaine is not None,
                # Tâches with a statut of their own or an ancestor's (the checklist's count when the
                # référentiel has criteria; the engine's otherwise).
                "taches_renseignees": taches[0],
                "taches": taches[1],
                "completude": percent(*taches),
            }
        )
    return render(
        request,
        "pages/dashboard.html",
        {
            "collectivite": c,
            "population": entier(c.population),
            "role": role_label(role) if role is not None else "Auditeur affecté",
            "rows": rows,
            "can_write": can_write(role),
            "is_admin": role == "admin",
        },
    )


def _node_statuts(referentiel: Referentiel, records: dict[str, StatutRecord]) -> dict[str, set[str]]:
    """For every node, the statuts found on it and below it (non renseigné for a leaf without one)."""
    found: dict[str, set[str]] = {}
    for action in reversed(list(referentiel.actions.values())):  # children before parents
        own: set[str] = set()
        record = records.get(action.id)
        if record is not None:
            own.add(record.avancement)
        elif action.is_leaf and action.depth > referentiel.action_level:
            own.add(NON_RENSEIGNE)
        for child in action.children:
            own |= found[child]
        found[action.id] = own
    return found


def _categorie(referentiel: Referentiel, action_id: str) -> str | None:
    """A node's phase: its own, or its sous-mesure's for a tâche."""
    action = referentiel.actions[action_id]
    while action.categorie is None and action.depth > referentiel.action_level + 1 and action.parent:
        action = referentiel.actions[action.parent]
    return action.categorie


STATUT_LABELS = {**dict(Avancement.choices), NON_RENSEIGNE: "Non renseigné"}


@dataclass(frozen=True)
class TreePreuves:
    """What the tree says of the preuves: per node, the documents attached to it or below it (directly
    or through one of its preuves réglementaires), its preuves réglementaires with a document / all of
    them, and the nodes with a document of their own."""

    below: dict[str, set[str]]
    reglementaires: dict[str, tuple[int, int]]
    own: set[str]


def tree_preuves(
    referentiel: Referentiel, preuves: tuple[Preuve, ...], attachments: dict[str, dict[str, set[int]]]
) -> TreePreuves:
    on_actions, on_preuves = attachments[Target.ACTION], attachments[Target.PREUVE]
    own: dict[str, set[str]] = {}
    reglementaires: dict[str, tuple[int, int]] = {}
    for action_id, documents in on_actions.items():
        if action_id in referentiel.actions:
            own.setdefault(action_id, set()).update(str(d) for d in documents)
    for preuve in preuves:
        documents = on_preuves.get(preuve.id, set())
        for action_id in preuve.action_ids:
            if action_id not in referentiel.actions:
                continue
            done, total = reglementaires.get(action_id, (0, 0))
            reglementaires[action_id] = (done + bool(documents), total + 1)
            if documents:
                own.setdefault(action_id, set()).update(str(d) for d in documents)
    return TreePreuves(_node_keys(referentiel, own), reglementaires, {a for a, d in own.items() if d})


def _sans_preuve(
    referentiel: Referentiel, records: dict[str, StatutRecord], with_documents: set[str]
) -> set[str]:
    """The tâches and sous-mesures an auditor would ask a preuve for: fait (or détaillé with some fait)
    and no document on them nor on their ancestors up to the mesure."""
    found = set()
    for action_id, record in records.items():
        action = referentiel.actions.get(action_id)
        if action is None or action.depth <= referentiel.action_level:
            continue
        fait = record.avancement == Avancement.FAIT or (
            record.avancement == Avancement.DETAILLE and (record.pourcentage_fait or 0) > 0
        )
        if not fait:
            continue
        current: Action | None = action
        covered = False
        while current is not None and current.depth >= referentiel.action_level:
            if current.id in with_documents:
                covered = True
                break
            current = referentiel.actions[current.parent] if current.parent else None
        if not covered:
            found.add(action_id)
    return found


def _tree_rows(
    c: Collectivite,
    referentiel: Referentiel,
    scores: dict[str, Any],
    records: dict[str, StatutRecord],
    shown: set[str],
    pilotage: tuple[dict[str, list[pilotes.PiloteVue]], dict[str, list[Any]]],
    preuves: TreePreuves,
) -> list[dict[str, Any]]:
    """The rows of the tree, every value already a string: ~400 rows render several times faster than
    with per-row lookups, number localisation, ``{% url %}`` and an included bar template."""
    # One reverse() for every link: the action id is the last segment of the mesure URL.
    url_prefix = reverse("mesure", args=(c.pk, "X"))[:-2]
    with_taches = {
        referentiel.actions[a].parent for a in records if a in referentiel.actions
    }  # sous-mesures statued by their tâches
    by_action, services_on = pilotage
    rows = []
    # Depth first, as a tree is read; a node not shown hides its subtree (``shown`` holds every ancestor).
    stack = [referentiel.id]
    while stack:
        action_id = stack.pop()
        if action_id not in shown:
            continue
        a = referentiel.actions[action_id]
        stack.extend(reversed(a.children))
        s = scores[a.id]
        record = records.get(a.id)
        statut = record.avancement if record else None
        if statut is None and a.depth > referentiel.action_level and a.id not in with_taches:
            statut = NON_RENSEIGNE
        rows.append(
            {
                "id": a.id,
                "depth": a.depth,
                "mesure": a.depth == referentiel.action_level,
                "label": f"{a.identifiant} {a.nom}".strip(),
                "url": f"{url_prefix}{a.id}/" if a.depth >= referentiel.action_level else "",
                "indent": f"{max(a.depth - referentiel.action_level, 0) * 1.2 + 0.5:.1f}",
                "desactive": bool(s["desactive"]),
                "categorie": a.categorie or "",
                "points": f"{nombre(s['point_fait'])} / {nombre(s['point_potentiel'])}",
                "bar": bar_html(bars(s)),
                "statut": statut,
                "statut_label": STATUT_LABELS.get(statut, "") if statut else "",
                "par_taches": a.id in with_taches and record is None,
                "prerequis": a.depth > referentiel.action_level and prerequis_of(referentiel, a) is a,
                "pilotes": ", ".join(p.nom for p in by_action.get(a.id, ())),
                "services": ", ".join(s.nom for s in services_on.get(a.id, ())),
                "preuves": _preuves_label(len(preuves.below.get(a.id, ())), preuves.reglementaires.get(a.id))
                if a.depth >= referentiel.action_level
                else "",
            }
        )
    return rows


def _preuves_label(count: int, reglementaires: tuple[int, int] | None) -> str:
    text = "aucune preuve" if count == 0 else "1 preuve" if count == 1 else f"{count} preuves"
    if reglementaires is not None:
        text += f" · {reglementaires[0]}/{reglementaires[1]} réglementaires"
    return text


def _node_keys(referentiel: Referentiel, own: dict[str, set[str]]) -> dict[str, set[str]]:
    """For every node, the keys (pilotes, services) found on it and below it."""
    found: dict[str, set[str]] = {}
    for action in reversed(list(referentiel.actions.values())):  # children before parents
        keys = set(own.get(action.id, ()))
        for child in action.children:
            keys |= found[child]
        found[action.id] = keys
    return found


def _tree_items(
    rows: list[dict[str, Any]], level: int, opened: Callable[[str], bool]
) -> list[dict[str, Any]]:
    """The rows laid out for folding: the root first, then every axe and sous-axe (above the mesures)
    as a foldable block (``open`` / ``close``), the mesures and what is below them as the rows of a
    table inside the deepest block (``table`` / ``end_table``)."""
    items: list[dict[str, Any]] = []
    open_depths: list[int] = []
    in_table = False
    for row in rows:
        depth = row["depth"]
        if depth == 0:
            items.append({"kind": "root", **row})
            continue
        if depth < level:
            if in_table:
                items.append({"kind": "end_table"})
                in_table = False
            while open_depths and open_depths[-1] >= depth:
                items.append({"kind": "close"})
                open_depths.pop()
            items.append({"kind": "open", "open": opened(row["id"]), **row})
            open_depths.append(depth)
        else:
            if not in_table:
                items.append({"kind": "table"})
                in_table = True
            items.append({"kind": "row", **row})
    if in_table:
        items.append({"kind": "end_table"})
    items.extend({"kind": "close"} for _ in open_depths)
    return items


# Every action's number, name and texts, folded once per loaded référentiel (the CAE's texts are about
# 2 MB: folding them on every search would cost more than the page). Keyed by the référentiel object.
_search_indexes: dict[int, tuple[Referentiel, dict[str, str]]] = {}


def _search_index(referentiel: Referentiel) -> dict[str, str]:
    cached = _search_indexes.get(id(referentiel))
    if cached is not None and cached[0] is referentiel:
        return cached[1]
    index = {
        a.id: fold(" ".join([a.identifiant, a.nom, *a.sections.values()]))
        for a in referentiel.actions.values()
    }
    if len(_search_indexes) >= 8:  # référentiel versions replaced by imports
        _search_indexes.clear()
    _search_indexes[id(referentiel)] = (referentiel, index)
    return index


def _text_matcher(referentiel: Referentiel, query: str) -> tuple[Callable[[Action], bool], int | None]:
    """What a search in the tree finds, accents and case aside: a number (« 6.1.1 ») takes that node and
    everything below it; words take the actions whose number, name or texts (description, contexte…)
    hold every one of them. Also returns the deepest level shown: one below the number searched (a
    sous-mesure's number shows its tâches), every level for words (the tâches that match)."""
    number = numero(query)
    if number is not None:
        depth = number.count(".") + 1
        return (
            lambda a: a.identifiant == number or a.identifiant.startswith(number + "."),
            depth + 1,
        )
    words = fold(query).split()
    index = _search_index(referentiel)
    return (lambda a: all(w in index[a.id] for w in words)), None


@login_required
def tree(request: HttpRequest, collectivite_id: int, referentiel_id: str) -> HttpResponse:
    a = acces(request, collectivite_id)
    c = a.collectivite
    referentiel = loaded().referentiels.get(referentiel_id)
    if referentiel is None or not a.voit(referentiel_id):
        raise Http404("référentiel inconnu")
    scores = services.scores(c, referentiel_id)
    query = " ".join(request.GET.get("q", "").split())
    statut = request.GET.get("statut", "")
    categorie = request.GET.get("categorie", "")
    axe = request.GET.get("axe", "")
    tout = request.GET.get("deplier", "") == "tout"
    statut_choices = [*Avancement.choices, (NON_RENSEIGNE, "Non renseigné")]
    axes = [referentiel.actions[a] for a in referentiel.root.children]
    errors = []
    if statut and statut not in dict(statut_choices):
        errors.append(f"statut : valeur inconnue {statut!r}")
        statut = ""
    if categorie and categorie not in CATEGORIES:
        errors.append(f"catégorie : valeur inconnue {categorie!r}")
        categorie = ""
    if axe and axe not in referentiel.root.children:
        errors.append(f"axe : valeur inconnue {axe!r}")
        axe = ""
    pilote = request.GET.get("pilote", "")
    service = request.GET.get("service", "")
    sans_preuve = request.GET.get("sans_preuve", "") == "1"
    by_action = {a: found for a, found in pilotes.pilotes_by_action(c).items() if a in referentiel.actions}
    services_on = {a: found for a, found in pilotes.services_by_action(c).items() if a in referentiel.actions}
    pilote_choices = sorted(
        {p.cle: p.nom for found in by_action.values() for p in found}.items(),
        key=lambda item: (fold(item[1]), item[0]),
    )
    service_choices = [(str(s.pk), s.nom) for s in pilotes.services_of(c)]
    if pilote and pilote not in dict(pilote_choices):
        errors.append(f"pilote : aucun pilote {pilote[:40]!r} dans ce référentiel")
        pilote = ""
    if service and service not in dict(service_choices):
        errors.append(f"service : service inconnu {service[:40]!r}")
        service = ""
    pilotes_below = (
        _node_keys(referentiel, {a: {p.cle for p in found} for a, found in by_action.items()})
        if pilote
        else {}
    )
    services_below = (
        _node_keys(referentiel, {a: {str(s.pk) for s in found} for a, found in services_on.items()})
        if service
        else {}
    )
    shown_depth = referentiel.action_level + 1  # down to the sous-mesures
    records = {
        r.action_id: r for r in StatutRecord.objects.filter(collectivite=c, referentiel=referentiel_id)
    }
    below = _node_statuts(referentiel, records) if statut else {}
    # One query for every attachment of the collectivité, then counted up the tree in memory.
    preuves = tree_preuves(referentiel, loaded().preuves, preuves_services.attachments_of(request.user, c))
    a_demander = _sans_preuve(referentiel, records, preuves.own) if sans_preuve else set()
    text_matches, text_depth = _text_matcher(referentiel, query) if query else (None, shown_depth)

    def matches(action: Action) -> bool:
        if text_matches is not None and not text_matches(action):
            return False
        if categorie and _categorie(referentiel, action.id) != categorie:
            return False
        if (pilote or service) and action.depth < referentiel.action_level:
            return False  # an axe is shown around the mesures that match, never for its own sake
        if pilote and pilote not in pilotes_below[action.id]:
            return False
        if service and service not in services_below[action.id]:
            return False
        if sans_preuve and action.id not in a_demander:
            return False
        return not statut or statut in below[action.id]

    # A node is shown when it matches or something below it (within the depth shown) does, so the
    # filtered rows keep their axes and mesures around them; a search also shows the tâches it finds.
    max_depth = max(shown_depth, text_depth) if text_depth is not None and not sans_preuve else 99
    shown: set[str] = set()
    filtering = bool(query or statut or categorie or pilote or service or sans_preuve)
    for action in referentiel.actions.values():
        if action.depth > max_depth or (filtering and not matches(action)):
            continue
        if (
            action.depth > shown_depth
            and not sans_preuve
            and (text_matches is None or not text_matches(action))
        ):
            continue  # tâches: only those the search itself finds (or, without preuve, the filter)
        current: str | None = action.id
        while current is not None and current not in shown:
            shown.add(current)
            current = referentiel.actions[current].parent
    rows = _tree_rows(c, referentiel, scores, records, shown, (by_action, services_on), preuves)

    # Folded by default: the axes closed (their sous-axes open inside), so the page starts as the list of
    # axes; a filter unfolds everything it shows, ``axe`` unfolds that axe, ``deplier=tout`` all.
    def opened(action_id: str) -> bool:
        action = referentiel.actions[action_id]
        return filtering or tout or action.depth > 1 or action_id == axe

    filters = {
        k: v
        for k, v in (
            ("q", query),
            ("statut", statut),
            ("categorie", categorie),
            ("pilote", pilote),
            ("service", service),
            ("sans_preuve", "1" if sans_preuve else ""),
        )
        if v
    }
    base = request.path + "?" + (urlencode(filters) + "&" if filters else "")
    return render(
        request,
        "pages/tree.html",
        {
            "collectivite": c,
            "referentiel": referentiel,
            "items": _tree_items(rows, referentiel.action_level, opened),
            "count": len(rows),
            "q": query,
            "statut": statut,
            "categorie": categorie,
            "statut_choices": statut_choices,
            "categories": CATEGORIES,
            "pilote": pilote,
            "service": service,
            "pilote_choices": pilote_choices,
            "service_choices": service_choices,
            "sans_preuve": sans_preuve,
            "level": referentiel.action_level,
            "errors": errors,
            "prerequis_note": PREREQUIS,
            "root_scores": scores[referentiel.id],
            "sommaire": [(a.id, f"{a.identifiant}. {a.nom}", a.id in shown) for a in axes],
            "base": base,
            "filtering": filtering,
            "tout": tout,
        },
        status=400 if errors else 200,
    )
