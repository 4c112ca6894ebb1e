"""The collectivité's settings: its name and what its identity tags come from (type, population,
localisation). Every member reads them; the admin changes them, through ``set_identite`` (history of
both, rescoring of every référentiel when the identity changes)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from jalon.web.collectivites.models import Collectivite, Localisation, Role, TypeCollectivite, identite
from jalon.web.errors import InputError
from jalon.web.pages.common import entier, member, user_of
from jalon.web.statuts.services import set_identite

MAX_POPULATION = 100_000_000  # far above any collectivité: a typo, not a population


def parse_population(raw: str) -> int:
    """A number of inhabitants as people type it (« 45 000 », « 45000 »). Raises InputError."""
    cleaned = raw.replace(" ", "").replace("\xa0", "").replace("\u202f", "")
    if not (cleaned.isascii() and cleaned.isdigit()):  # "²" is a digit to str.isdigit, not to int()
        raise InputError("population", f"un nombre entier d'habitants est attendu, pas {raw!r}")
    value = int(cleaned)
    if value > MAX_POPULATION:
        raise InputError("population", f"{entier(value)} habitants : au plus {entier(MAX_POPULATION)}")
    return value


def _tags(c: Collectivite) -> list[tuple[str, list[str]]]:
    """The identity tags the rules see, by kind, sorted (population thresholds by their number)."""

    def order(tag: str) -> tuple[int, str]:
        digits = tag.rsplit("_", 1)[-1]
        return (int(digits) if digits.isdigit() else 0, tag)

    labels = {"type": "Type", "population": "Population", "localisation": "Localisation"}
    return [(labels[k], sorted(v, key=order)) for k, v in identite(c).items()]


def _save(request: HttpRequest, c: Collectivite) -> None:
    """Validate the form, then write through ``set_identite``, which checks the name and writes
    everything in one transaction: bad input writes nothing."""
    post = request.POST
    type_ = post.get("type", "")
    if type_ not in TypeCollectivite.values:
        raise InputError("type", f"type inconnu {type_!r}")
    localisation = post.get("localisation", "")
    if localisation not in Localisation.values:
        raise InputError("localisation", f"localisation inconnue {localisation!r}")
    population = parse_population(post.get("population", ""))
    set_identite(
        c,
        user_of(request),
        nom=post.get("nom", ""),
        type=type_,
        population=population,
        localisation=localisation,
        cot=post.get("cot") == "on",
    )


@login_required
def parametres(request: HttpRequest, collectivite_id: int) -> HttpResponse:
    c, role = member(request, collectivite_id)
    is_admin = role == Role.ADMIN
    error = None
    status = 200
    values = {
        "nom": c.nom,
        "type": c.type,
        "population": str(c.population),
        "localisation": c.localisation,
        "cot": "on" if c.cot else "",
    }
    if request.method == "POST":
        if not is_admin:
            return HttpResponse("Seul un admin de la collectivité modifie ses paramètres.", status=403)
        try:
            _save(request, c)
        except InputError as e:
            error, status = f"{e.field} : {e.reason}", 400
            values = {k: request.POST.get(k, "") for k in values}  # show what was typed, to correct it
        else:
            messages.success(request, "Paramètres enregistrés ; les scores sont recalculés.")
            return redirect("parametres", collectivite_id=c.pk)
    return render(
        request,
        "pages/parametres.html",
        {
            "collectivite": c,
            "is_admin": is_admin,
            "values": values,
            "population": entier(c.population),
            "types": TypeCollectivite.choices,
            "localisations": Localisation.choices,
            "tags": _tags(c),
            "error": error,
        },
        status=status,
    )
