"""Creating a collectivité: any signed-in person may, and becomes its first admin (with the history
entry of that arrival, in the same transaction: ``create_collectivite``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from jalon.web.collectivites.models import Localisation, TypeCollectivite
from jalon.web.collectivites.services import create_collectivite
from jalon.web.errors import InputError
from jalon.web.pages.common import user_of
from jalon.web.pages.parametres import parse_population

FIELDS = ("nom", "type", "population", "localisation")


@login_required
def creation(request: HttpRequest) -> HttpResponse:
    error = None
    status = 200
    values = {"nom": "", "type": "", "population": "", "localisation": Localisation.METROPOLE}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in FIELDS}  # shown again, to correct them
        try:
            user = user_of(request)
            collectivite = create_collectivite(
                nom=values["nom"],
                type=values["type"],
                population=parse_population(values["population"]),
                localisation=values["localisation"],
                admin=user,
                by=user,
            )
        except InputError as e:
            error, status = f"{e.field} : {e.reason}", 400
        else:
            messages.success(
                request,
                f"{collectivite.nom} est créée ; vous en êtes admin. Invitez ses membres depuis « Membres ».",
            )
            return redirect("dashboard", collectivite_id=collectivite.pk)
    return render(
        request,
        "pages/creation.html",
        {
            "values": values,
            "types": TypeCollectivite.choices,
            "localisations": Localisation.choices,
            "error": error,
        },
        status=status,
    )
