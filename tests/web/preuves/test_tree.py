"""The référentiel tree and the bibliothèque: preuves counted per action, « n/m réglementaires », and the
« fait sans preuve » filter an auditor would start from."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from jalon.web.collectivites.models import Collectivite, Role
from jalon.web.preuves import services as preuves
from jalon.web.preuves.models import Target
from jalon.web.referentiels.services import current_loaded
from jalon.web.statuts import services
from tests.web.conftest import Member, logged_in, make_member


def tree(member: Member, collectivite: Collectivite, **params: str) -> str:
    answer = logged_in(member).get(f"/c/{collectivite.pk}/cae/", params)
    assert answer.status_code == 200
    return str(answer.content.decode())


def rows(page: str) -> set[str]:
    return {part.split('"')[0] for part in page.split('data-testid="row-')[1:]}


def preuves_of(page: str, action_id: str) -> str:
    return page.split(f'data-testid="preuves-{action_id}">')[1].split("</p>")[0]


def test_each_action_counts_the_documents_attached_to_it_or_below_it(
    collectivite: Collectivite, editor: Member
) -> None:
    one = preuves.add_link(collectivite, editor.user, "https://exemple.fr/1", title="Un")
    two = preuves.add_link(collectivite, editor.user, "https://exemple.fr/2", title="Deux")
    preuves.attach(collectivite, editor.user, one.pk, Target.ACTION, "cae_6.1.1.1.1")
    preuves.attach(collectivite, editor.user, two.pk, Target.ACTION, "cae_6.1.1.1")
    preuves.attach(collectivite, editor.user, one.pk, Target.ACTION, "cae_6.1.1.2")  # counted once above
    page = tree(editor, collectivite, deplier="tout")
    assert preuves_of(page, "cae_6.1.1.1").startswith("2 preuves")
    assert preuves_of(page, "cae_6.1.1.2").startswith("1 preuve")
    assert preuves_of(page, "cae_6.1.1").startswith("2 preuves")  # the same document twice: one preuve
    assert preuves_of(page, "cae_6.1.1.3").startswith("aucune preuve")
    assert 'data-testid="preuves-cae_6"' not in page  # axes: no count


def test_preuves_reglementaires_attached_are_shown_as_n_of_m(
    collectivite: Collectivite, editor: Member
) -> None:
    loaded = current_loaded()[1]
    by_action: dict[str, list[str]] = {}
    for preuve in loaded.preuves:
        for action_id in preuve.action_ids:
            by_action.setdefault(action_id, []).append(preuve.id)
    action_id, ids = next((a, p) for a, p in sorted(by_action.items()) if a.startswith("cae_6.1.1"))
    found = preuves.add_link(collectivite, editor.user, "https://exemple.fr", title="Délibération")
    before = tree(editor, collectivite, deplier="tout", q="6.1.1")
    assert f"0/{len(ids)} réglementaires" in preuves_of(before, action_id)
    preuves.attach(collectivite, editor.user, found.pk, Target.PREUVE, ids[0])
    after = tree(editor, collectivite, deplier="tout", q="6.1.1")
    assert preuves_of(after, action_id) == f"1 preuve · 1/{len(ids)} réglementaires"


def test_fait_sans_preuve_keeps_the_fait_actions_without_a_preuve_on_them_or_above(
    collectivite: Collectivite, editor: Member
) -> None:
    services.set_statut(collectivite, editor.user, "cae_6.1.1.1.1", "fait")  # covered by its sous-mesure
    services.set_statut(collectivite, editor.user, "cae_6.1.1.1.2", "fait")
    services.set_statut(collectivite, editor.user, "cae_6.1.1.2", "fait")  # no preuve: asked for
    services.set_statut(collectivite, editor.user, "cae_6.1.1.3", "detaille", [20, 30, 50])  # some fait
    services.set_statut(collectivite, editor.user, "cae_6.1.1.4", "detaille", [0, 50, 50])  # no fait
    services.set_statut(collectivite, editor.user, "cae_6.1.2.1", "programme")
    found = preuves.add_link(collectivite, editor.user, "https://exemple.fr", title="Rapport")
    preuves.attach(collectivite, editor.user, found.pk, Target.ACTION, "cae_6.1.1.1")
    page = tree(editor, collectivite, sans_preuve="1")
    assert rows(page) == {"cae", "cae_6", "cae_6.1", "cae_6.1.1", "cae_6.1.1.2", "cae_6.1.1.3"}
    assert 'name="sans_preuve" value="1" checked' in page
    # A preuve on the mesure covers everything below it.
    preuves.attach(collectivite, editor.user, found.pk, Target.ACTION, "cae_6.1.1")
    assert "Aucune action ne correspond" in tree(editor, collectivite, sans_preuve="1")


def test_a_confidential_document_is_not_counted_for_who_cannot_see_it(
    collectivite: Collectivite, editor: Member
) -> None:
    lecteur = make_member(collectivite, Role.LECTURE, "lea")
    secret = preuves.add_link(collectivite, editor.user, "https://exemple.fr", confidentiel=True)
    preuves.attach(collectivite, editor.user, secret.pk, Target.ACTION, "cae_6.1.1")
    assert preuves_of(tree(editor, collectivite, q="6.1.1"), "cae_6.1.1").startswith("1 preuve")
    assert preuves_of(tree(lecteur, collectivite, q="6.1.1"), "cae_6.1.1").startswith("aucune preuve")


def test_the_attachments_are_read_in_one_query_whatever_their_number(
    collectivite: Collectivite, editor: Member
) -> None:
    def attachment_queries() -> int:
        with CaptureQueriesContext(connection) as seen:
            tree(editor, collectivite, deplier="tout")
        return sum("preuves_attachment" in q["sql"] for q in seen.captured_queries)

    found = preuves.add_link(collectivite, editor.user, "https://exemple.fr")
    preuves.attach(collectivite, editor.user, found.pk, Target.ACTION, "cae_6.1.1")
    assert attachment_queries() == 1
    for action_id in ("cae_6.1.1.1", "cae_6.1.1.2", "cae_6.1.2", "cae_6.1.1.1.1"):
        preuves.attach(collectivite, editor.user, found.pk, Target.ACTION, action_id)
    assert attachment_queries() == 1
