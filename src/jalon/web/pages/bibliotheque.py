"""The bibliothèque page of a collectivité: its documents (files and links), a file's upload, a link's
addition, a document's deletion; and a file's download, checked against the person's rights."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from jalon.web.collectivites.services import can_write
from jalon.web.errors import InputError
from jalon.web.pages.common import acces, user_of
from jalon.web.preuves import http, services
from jalon.web.preuves.files import max_upload_bytes
from jalon.web.referentiels.services import current_loaded
from jalon.web.statuts.services import Acces


@csrf_exempt  # the CSRF check runs in _page, after the upload's guard is in place (preuves/http.py)
@login_required
def bibliotheque(request: HttpRequest, collectivite_id: int) -> HttpResponse:
    guard = None
    if request.method == "POST":
        try:
            guard = http.guard_upload(request)
        except InputError as error:
            # The body is not read: the connection closes after this answer.
            response = HttpResponse(f"{error.field} : {error.reason}", status=413)
            response["Connection"] = "close"
            return response
    return _page(request, collectivite_id, guard)


@csrf_protect
def _page(request: HttpRequest, collectivite_id: int, guard: http.LimitedUpload | None) -> HttpResponse:
    found = acces(request, collectivite_id)
    c = found.collectivite
    error = None
    status = 200
    if request.method == "POST":
        try:
            assert guard is not None
            http.check_guard(guard)  # parses the body (through the guard)
            return _post(request, c.pk, guard)
        except InputError as e:
            error, status = f"{e.field} : {e.reason}", 400
        except PermissionDenied as e:
            return HttpResponse(str(e) or "Action réservée à d'autres rôles.", status=403)
    return render(
        request,
        "pages/bibliotheque.html",
        {
            "collectivite": c,
            "documents": services.documents(request.user, c),
            "ecrit": can_write(found.role),
            "max_mb": max_upload_bytes() // (1024 * 1024),
            "error": error,
            "archives": _archives(found),
            "voit_confidentiels": services.sees_confidential(found),
        },
        status=status,
    )


def _archives(found: Acces) -> list[tuple[str, str]]:
    """The référentiels whose audit archive the person may download: (id, nom)."""
    try:
        loaded = current_loaded()[1]
    except InputError:  # nothing imported yet
        return []
    return [(r.id, r.nom) for r in loaded.referentiels.values() if found.voit(r.id)]


def _post(request: HttpRequest, collectivite_id: int, guard: http.LimitedUpload) -> HttpResponse:
    c = acces(request, collectivite_id).collectivite
    post = request.POST
    if "deposer" in post:
        upload = request.FILES.get("fichier")
        http.check_guard(guard)
        if upload is None:
            raise InputError("fichier", "choisir un fichier")
        added = services.add_file(
            c,
            user_of(request),
            upload,
            title=post.get("titre", ""),
            comment=post.get("commentaire", ""),
            confidentiel=post.get("confidentiel") == "1",
        )
        messages.success(request, f"Document « {added.title} » ajouté.")
    elif "lien" in post:
        added = services.add_link(
            c,
            user_of(request),
            post.get("url", ""),
            title=post.get("titre", ""),
            comment=post.get("commentaire", ""),
            confidentiel=post.get("confidentiel") == "1",
        )
        messages.success(request, f"Lien « {added.title} » ajouté.")
    elif "supprimer" in post:
        services.delete(c, user_of(request), post.get("supprimer", ""))
        messages.success(request, "Document supprimé.")
    else:
        raise InputError("action", "attendu : déposer, lien ou supprimer")
    return redirect("bibliotheque", collectivite_id=c.pk)


@login_required
def fichier(request: HttpRequest, collectivite_id: int, document_id: int) -> StreamingHttpResponse:
    """A stored file, to whoever may see its document (a 404 otherwise, a confidential one included)."""
    c = acces(request, collectivite_id).collectivite
    found = services.document(request.user, c, document_id)
    if found.is_link:
        raise Http404("ce document est un lien")
    return http.download(found)


@login_required
def archive(request: HttpRequest, collectivite_id: int, referentiel_id: str) -> StreamingHttpResponse:
    """The audit archive of a référentiel (``preuves/archive.py``), to whoever may have it; a 404
    otherwise."""
    c = acces(request, collectivite_id).collectivite
    referentiel, placements = services.archive_plan(request.user, c, referentiel_id)
    return http.archive_download(c, referentiel, placements)
