"""The « Preuves » block of the mesure page: documents attached to the mesure's actions and to its
preuves réglementaires (attached or missing), attach and detach by the members whose role writes."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from jalon.referentiel.model import Preuve, Referentiel
from jalon.web.collectivites.models import Collectivite, Role
from jalon.web.pages.common import preorder
from jalon.web.preuves import services
from jalon.web.preuves.models import Attachment, Target
from jalon.web.referentiels.services import current_loaded
from tests.web.conftest import Member, logged_in, make_member


def mesure_with_a_preuve() -> tuple[Referentiel, str, Preuve]:
    loaded = current_loaded()[1]
    for referentiel in loaded.referentiels.values():
        for action in referentiel.actions.values():
            if action.depth != referentiel.action_level:
                continue
            below = set(preorder(referentiel, action.id))
            for preuve in loaded.preuves:
                if below.intersection(preuve.action_ids):
                    return referentiel, action.id, preuve
    raise AssertionError("the demo référentiel has a mesure with a preuve réglementaire")


def url(collectivite: Collectivite, action_id: str) -> str:
    return f"/c/{collectivite.pk}/action/{action_id}/"


def test_a_preuve_without_a_document_is_missing_then_attached(
    collectivite: Collectivite, editor: Member
) -> None:
    _, mesure, preuve = mesure_with_a_preuve()
    document = services.add_link(collectivite, editor.user, "https://exemple.fr/pv", title="Procès-verbal")
    client = logged_in(editor)
    shown = client.get(url(collectivite, mesure)).content.decode()
    assert "manquante" in shown and "Procès-verbal" in shown  # in the select, not yet attached
    answer = client.post(
        url(collectivite, mesure),
        {"preuves": "joindre", "document": str(document.pk), "cible": "preuve", "cible_id": preuve.id},
    )
    assert answer.status_code == 302
    assert Attachment.objects.filter(target=Target.PREUVE, target_id=preuve.id).count() == 1
    answer = client.post(
        url(collectivite, mesure),
        {"preuves": "joindre", "document": str(document.pk), "cible": "action", "cible_id": mesure},
    )
    assert answer.status_code == 302
    assert services.attached(editor.user, collectivite, Target.ACTION, [mesure])[mesure] == [document]
    answer = client.post(
        url(collectivite, mesure),
        {"preuves": "retirer", "document": str(document.pk), "cible": "action", "cible_id": mesure},
    )
    assert answer.status_code == 302
    assert not Attachment.objects.filter(target=Target.ACTION).exists()


def test_only_this_mesures_actions_and_preuves_are_targets(
    collectivite: Collectivite, editor: Member
) -> None:
    referentiel, mesure, _ = mesure_with_a_preuve()
    other = next(
        a.id for a in referentiel.actions.values() if a.depth == referentiel.action_level and a.id != mesure
    )
    document = services.add_link(collectivite, editor.user, "https://exemple.fr")
    answer = logged_in(editor).post(
        url(collectivite, mesure),
        {"preuves": "joindre", "document": str(document.pk), "cible": "action", "cible_id": other},
    )
    assert answer.status_code == 400
    assert "cible_id" in answer.content.decode()
    assert not Attachment.objects.exists()


def test_lecture_sees_the_block_but_not_confidential_documents_and_cannot_attach(
    collectivite: Collectivite, editor: Member
) -> None:
    _, mesure, _ = mesure_with_a_preuve()
    secret = services.add_file(
        collectivite,
        editor.user,
        SimpleUploadedFile("secret.pdf", b"%PDF-1.4\nx"),
        title="Dossier secret",
        confidentiel=True,
    )
    services.attach(collectivite, editor.user, secret.pk, Target.ACTION, mesure)
    lecture = logged_in(make_member(collectivite, Role.LECTURE, "lea"))
    shown = lecture.get(url(collectivite, mesure)).content.decode()
    assert 'data-testid="preuves"' in shown and "Dossier secret" not in shown
    assert "Dossier secret" in logged_in(editor).get(url(collectivite, mesure)).content.decode()
    answer = lecture.post(
        url(collectivite, mesure),
        {"preuves": "retirer", "document": str(secret.pk), "cible": "action", "cible_id": mesure},
    )
    assert answer.status_code == 403
    assert Attachment.objects.count() == 1
