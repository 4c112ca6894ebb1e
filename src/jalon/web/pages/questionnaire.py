"""The personnalisation questionnaire: questions by thématique, what each answer changes, justifications."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from jalon.evaluation import consequences_for
from jalon.referentiel.model import Question, Referentiels
from jalon.regles import Reponse as ReponseValue
from jalon.regles import referentiels_reading
from jalon.regles.consequences import Consequence
from jalon.web.collectivites.models import Collectivite, identite
from jalon.web.errors import InputError, Locked
from jalon.web.pages.common import acces, is_htmx, loaded, user_of
from jalon.web.statuts import services
from jalon.web.statuts.models import Reponse
from jalon.web.statuts.services import Acces, VerrouValue


@dataclass(frozen=True)
class Effet:
    """What one answer changes for one action, compared with the same answers without it."""

    action_id: str
    nom: str
    texte: str  # in French, for the page
    identifiant: str = ""  # 6.1.1.5, as people number it


def _facteur(c: Consequence | None) -> float:
    return 1.0 if c is None or c.potentiel_perso is None else c.potentiel_perso


def part_du_potentiel(x: float) -> str:
    """A potentiel factor as people read it: « potentiel entier », « potentiel × 1/3 » for a simple
    fraction, else a rounded share « 45,7 % du potentiel » (never the engine's 0,333333)."""
    if x == 1:
        return "potentiel entier"
    if x == 0:
        return "potentiel nul"
    simple = Fraction(x).limit_denominator(12)
    if abs(float(simple) - x) < 1e-6:
        return f"potentiel × {simple.numerator}/{simple.denominator}"
    pct = round(100 * x, 1)
    text = f"{pct:.0f}" if pct == round(pct) else f"{pct:.1f}".replace(".", ",")
    return f"{text} % du potentiel"


def effets(
    refs: Referentiels,
    question_id: str,
    reponses: Mapping[str, ReponseValue],
    avec: Mapping[str, Consequence],
    ident: Mapping[str, frozenset[str]],
) -> list[Effet]:
    """The actions whose désactivation, potentiel factor or score rule the answer changes."""
    if question_id not in reponses:
        return []
    sans = consequences_for(refs, ident, {k: v for k, v in reponses.items() if k != question_id})
    out = []
    for action_id, a in avec.items():
        s = sans.get(action_id)
        changes = []
        if bool(a.desactive) != bool(s and s.desactive):
            changes.append("désactivée" if a.desactive else "réactivée")
        if _facteur(a) != _facteur(s):
            changes.append(
                f"{part_du_potentiel(_facteur(a))} (sans cette réponse : {part_du_potentiel(_facteur(s))})"
            )
        if a.score_formule != (s.score_formule if s else None):
            changes.append("score plafonné par une règle")
        if changes:
            action = refs.action(action_id)
            out.append(Effet(action_id, action.nom, ", ".join(changes), action.identifiant))
    return out


# Thématiques the questions use that the thématiques file does not name (it lists the measures'
# thématiques; the questionnaire has a few of its own).
THEMATIQUES_PROPRES = {
    "identite": "Identité de la collectivité",
    "ultramarin": "Collectivités d'outre-mer",
}


def _abbreviates(short: str, long: str) -> bool:
    """``dev_eco`` for ``developpement_economique``, ``eau`` for ``eau_assainissement``, ``mobilites``
    for ``mobilite``: each word of the shorter starts the same word of the longer (the question files
    and the thématiques file spell the same thématique differently)."""
    a, b = short.split("_"), long.split("_")
    if len(a) > len(b):
        a, b = b, a
    return all(x.startswith(y) or y.startswith(x) for x, y in zip(b, a, strict=False))


def _thematique_key(refs: Referentiels, thematique_id: str) -> str | None:
    """The thématiques file's id for a question's thématique: the same, or the one it abbreviates."""
    if thematique_id in refs.thematiques:
        return thematique_id
    return next((key for key in refs.thematiques if _abbreviates(key, thematique_id)), None)


def thematique_label(refs: Referentiels, thematique_id: str) -> str:
    """The thématique's name as the thématiques file writes it, found by its id or its abbreviation;
    else our own name; else the id made readable."""
    key = _thematique_key(refs, thematique_id)
    if key is not None:
        return refs.thematiques[key]
    if thematique_id in THEMATIQUES_PROPRES:
        return THEMATIQUES_PROPRES[thematique_id]
    return thematique_id.replace("_", " ").capitalize() or "Autres"


def _concerne(question: Question, c: Collectivite) -> bool:
    return not question.types_concernes or c.type in question.types_concernes


def _question_item(
    refs: Referentiels,
    q: Question,
    record: Reponse | None,
    reponses: Mapping[str, ReponseValue],
    avec: Mapping[str, Consequence],
    ident: Mapping[str, frozenset[str]],
    verrou: str | None,
) -> dict[str, Any]:
    valeur = record.valeur if record else None
    return {
        "verrou": verrou,  # why the answer is locked against this member (an audit en cours), or None
        "question": q,
        "valeur": valeur,
        "valeur_text": _valeur_text(q, valeur),
        "justification": record.justification if record else "",
        "effets": effets(refs, q.id, reponses, avec, ident),
        "actions": [
            (a, refs.action(a).nom, refs.action(a).identifiant)
            for a in q.action_ids
            if refs.referentiel_of(a) is not None
        ],
    }


def _valeur_text(q: Question, valeur: ReponseValue | None) -> str:
    if valeur is None:
        return ""
    if q.type == "proportion" and isinstance(valeur, int | float):
        return pourcentage(valeur)
    return str(valeur)


def pourcentage(fraction: float) -> str:
    """A proportion (stored as a fraction 0..1, as the API and the engine use it) as a percentage in
    French: 0.5 → « 50 », 0.505 → « 50,5 »."""
    pct = round(100 * fraction, 1)
    return f"{pct:.0f}" if pct == round(pct) else f"{pct:.1f}".replace(".", ",")


def _parse_valeur(q: Question, raw: str) -> str | float | None:
    """The answer as stored. A proportion is typed as a percentage (« 50 », « 50 % », « 50,5 ») and
    stored as the fraction 0..1. Raises InputError."""
    raw = raw.strip()
    if not raw:
        return None  # no answer: removes it
    if q.type != "proportion":
        return raw
    number = raw.removesuffix("%").strip().replace("\xa0", "").replace(" ", "").replace(",", ".")
    try:
        pct = float(number)
    except ValueError:
        pct = math.nan
    if not 0 <= pct <= 100:  # also refuses nan
        raise InputError(
            "proportion",
            f"un pourcentage entre 0 et 100 est attendu (par exemple 50 ou 50,5), reçu « {raw} »",
        )
    return pct / 100


def _state(
    c: Collectivite, refs: Referentiels
) -> tuple[dict[str, Reponse], dict[str, ReponseValue], Any, Any]:
    records = {r.question_id: r for r in Reponse.objects.filter(collectivite=c)}
    reponses = {k: r.valeur for k, r in records.items() if r.valeur is not None}
    ident = identite(c)
    return records, reponses, consequences_for(refs, ident, reponses), ident


@login_required
def questionnaire(request: HttpRequest, collectivite_id: int) -> HttpResponse:
    a = acces(request, collectivite_id)
    c = a.collectivite
    refs = loaded()
    error: tuple[str, str] | None = None  # question id, message
    locked = False
    if request.method == "POST":
        if not a.ecrit(refs.referentiels):
            return HttpResponse("Votre rôle ne permet pas de répondre.", status=403)
        question_id = request.POST.get("question_id", "")
        q = refs.questions.get(question_id)
        if q is None:
            raise Http404("question inconnue")
        if not a.ecrit(referentiels_reading(refs, q.id)):
            return HttpResponse(f"{_hors_audit(a)}.", status=403)
        try:
            valeur = _parse_valeur(q, request.POST.get("valeur", ""))
            services.set_reponse(c, user_of(request), q.id, valeur, request.POST.get("justification", ""))
            if not is_htmx(request):
                return redirect(f"{request.path}#question-{q.id}")
        except InputError as e:
            error = (q.id, f"{e.field} : {e.reason}")
        except Locked:
            # Locked since the page was shown (an audit started): the question shows the reason
            # above its controls, now disabled.
            locked = True
        if is_htmx(request):
            return _answered_fragment(request, a, refs, q, error, locked)
    records, reponses, avec, ident = _state(c, refs)
    verrous = services.verrous_of(c)
    groups, hors_type = _groups(c, refs, records, reponses, avec, ident, user_of(request).pk, verrous, a)
    return render(
        request,
        "pages/questionnaire.html",
        {
            "collectivite": c,
            "groups": groups,
            "can_write": a.ecrit(refs.referentiels),
            "error": error,
            "hors_type": hors_type,
            "answered": _answered(groups),
            "total": sum(len(g) for g in groups.values()),
        },
        status=403 if locked else 400 if error else 200,
    )


def _hors_audit(a: Acces) -> str:
    return (
        f"Vous êtes auditeur affecté de : {', '.join(sorted(a.audites))} ; "
        "aucun de ces référentiels ne lit cette question"
    )


def _verrou(
    a: Acces, verrous: Mapping[str, VerrouValue], user_id: int | None, refs: Referentiels, question_id: str
) -> str | None:
    """Why the caller's answer to the question is locked (French), or None: an audit en cours locks it
    against them (the write primitive's rule), or they write answers only as the auditor of référentiels
    that do not read it."""
    motif = services.motif_verrou_question(verrous, user_id, refs, question_id)
    if motif is None and a.ecrit(refs.referentiels) and not a.ecrit(referentiels_reading(refs, question_id)):
        return f"{_hors_audit(a)}."
    return motif


def _groups(
    c: Collectivite,
    refs: Referentiels,
    records: Mapping[str, Reponse],
    reponses: Mapping[str, ReponseValue],
    avec: Mapping[str, Consequence],
    ident: Mapping[str, frozenset[str]],
    user_id: int | None,
    verrous: Mapping[str, VerrouValue],
    a: Acces,
) -> tuple[dict[str, list[dict[str, Any]]], int]:
    """The questions of the collectivité's type by thématique label, in order; and how many others.
    ``verrous``: the collectivité's locks, which may lock answers against ``user_id``, whose access is
    ``a``."""
    groups: dict[str, list[dict[str, Any]]] = {}
    hors_type = 0
    order = {t: i for i, t in enumerate(refs.thematiques)}
    rank = {
        t: order.get(_thematique_key(refs, t) or "", len(order))
        for t in {q.thematique_id for q in refs.questions.values()}
    }
    questions = sorted(
        refs.questions.values(),
        key=lambda q: (rank[q.thematique_id], q.thematique_id, q.ordonnancement or 0, q.id),
    )
    for q in questions:
        if not _concerne(q, c):
            hors_type += 1
            continue
        verrou = _verrou(a, verrous, user_id, refs, q.id)
        item = _question_item(refs, q, records.get(q.id), reponses, avec, ident, verrou)
        groups.setdefault(thematique_label(refs, q.thematique_id), []).append(item)
    return groups, hors_type


def _answered(groups: Mapping[str, list[dict[str, Any]]]) -> int:
    return sum(1 for group in groups.values() for item in group if item["valeur"] is not None)


def _answered_fragment(
    request: HttpRequest,
    a: Acces,
    refs: Referentiels,
    q: Question,
    error: tuple[str, str] | None,
    locked: bool,
) -> HttpResponse:
    """What htmx swaps after an answer: the question itself, and out of band the effects of every other
    answered question (one answer can change what another one does, e.g. two rules on one action)
    and the count of answers. Other questions' forms are left alone, so nothing typed there is lost."""
    c = a.collectivite
    records, reponses, avec, ident = _state(c, refs)
    user_id, verrous = user_of(request).pk, services.verrous_of(c)
    groups, _ = _groups(c, refs, records, reponses, avec, ident, user_id, verrous, a)
    items = [item for group in groups.values() for item in group]
    item = next((i for i in items if i["question"].id == q.id), None)
    if item is None:  # a question of another type, answered anyway
        verrou = _verrou(a, verrous, user_id, refs, q.id)
        item = _question_item(refs, q, records.get(q.id), reponses, avec, ident, verrou)
    context = {
        "collectivite": c,
        "item": item,
        "others": [i for i in items if i["question"].id != q.id and i["valeur"] is not None],
        "answered": _answered(groups),
        "can_write": True,
        "error": error,
    }
    status = 403 if locked else 400 if error else 200
    return render(request, "pages/question_answered.html", context, status=status)
