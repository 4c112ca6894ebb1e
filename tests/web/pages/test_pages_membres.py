"""The members page: the admin changes roles and removes members, never the last admin; every change
of a member, joining by an invitation too, is in the history."""

from __future__ import annotations

import pytest
from django.test import Client

from jalon.web.collectivites.models import Collectivite, Membership, Role
from jalon.web.collectivites.services import accept_invitation, change_role, create_invitation, remove_member
from jalon.web.errors import InputError
from jalon.web.statuts.models import HistoryEntry, Kind
from tests.web.conftest import Member, logged_in, make_collectivite, make_member

pytestmark = pytest.mark.django_db


def membership(member: Member, c: Collectivite) -> Membership:
    return Membership.objects.get(user=member.user, collectivite=c)


def test_admin_changes_a_role_and_removes_a_member(collectivite: Collectivite, editor: Member) -> None:
    admin = make_member(collectivite, Role.ADMIN, "ada")
    client = logged_in(admin)
    page = f"/c/{collectivite.pk}/membres/"
    html = client.get(page).content.decode()
    assert (
        'data-testid="membre-edith"' in html
        and "(vous)" in html.split('data-testid="membre-ada"')[1].split("</tr>")[0]
    )

    edith = membership(editor, collectivite)
    response = client.post(page, {"changer": str(edith.pk), "nouveau_role": Role.AUDITEUR})
    assert response.status_code == 302 and response["Location"] == page
    assert membership(editor, collectivite).role == Role.AUDITEUR
    assert "edith a désormais le rôle Auditeur." in client.get(page).content.decode()
    # The edited member loses the right to write at once.
    assert (
        logged_in(editor)
        .post(f"/c/{collectivite.pk}/action/cae_6.1.1/", {"action_id": "cae_6.1.1.1.1", "avancement": "fait"})
        .status_code
        == 403
    )

    assert client.post(page, {"retirer": str(edith.pk)}).status_code == 302
    assert not Membership.objects.filter(user=editor.user, collectivite=collectivite).exists()
    assert "edith ne fait plus partie de Communauté de démo." in client.get(page).content.decode()
    assert logged_in(editor).get(f"/c/{collectivite.pk}/").status_code == 404
    assert editor.user.is_active  # the account stays: it may belong elsewhere


def test_the_last_admin_stays(collectivite: Collectivite) -> None:
    admin = make_member(collectivite, Role.ADMIN, "ada")
    client = logged_in(admin)
    page = f"/c/{collectivite.pk}/membres/"
    own = membership(admin, collectivite)
    for data in ({"changer": str(own.pk), "nouveau_role": Role.EDITION}, {"retirer": str(own.pk)}):
        response = client.post(page, data)
        assert response.status_code == 400
        assert (
            "ada est le dernier admin" in response.content.decode()
            and 'role="alert"' in response.content.decode()
        )
    assert membership(admin, collectivite).role == Role.ADMIN

    # With a second admin, the first may step down, then leave: back to the home page.
    bea = logged_in(make_member(collectivite, Role.ADMIN, "bea"))
    assert client.post(page, {"changer": str(own.pk), "nouveau_role": Role.EDITION}).status_code == 302
    assert membership(admin, collectivite).role == Role.EDITION
    assert client.post(page, {"retirer": str(own.pk)}).status_code == 403  # no admin any more
    assert bea.post(page, {"changer": str(own.pk), "nouveau_role": Role.ADMIN}).status_code == 302
    left = client.post(page, {"retirer": str(own.pk)})
    assert left.status_code == 302 and left["Location"] == "/"
    assert not Membership.objects.filter(user=admin.user).exists()


def test_bad_input_is_a_readable_400(collectivite: Collectivite, editor: Member) -> None:
    client = logged_in(make_member(collectivite, Role.ADMIN, "ada"))
    page = f"/c/{collectivite.pk}/membres/"
    edith = membership(editor, collectivite)
    foreign = make_collectivite("Ailleurs", "commune", 900)
    stranger = Membership.objects.create(
        user=make_member(None, None, "zoe").user, collectivite=foreign, role=Role.LECTURE
    )
    cases = [
        ({"changer": str(edith.pk), "nouveau_role": "maire"}, "role : rôle inconnu"),
        ({"changer": "x", "nouveau_role": Role.LECTURE}, "membre : identifiant de membre invalide"),
        ({"retirer": str(stranger.pk)}, "pas membre de la collectivité"),  # another collectivité's
    ]
    for data, message in cases:
        response = client.post(page, data)
        assert response.status_code == 400 and message in response.content.decode(), data
    assert membership(editor, collectivite).role == Role.EDITION
    assert Membership.objects.filter(pk=stranger.pk).exists()


@pytest.mark.parametrize("role", [Role.LECTURE, Role.EDITION, Role.CONSEILLER, Role.AUDITEUR])
def test_only_admins_manage_members(collectivite: Collectivite, role: str) -> None:
    admin = make_member(collectivite, Role.ADMIN, "ada")
    client = logged_in(make_member(collectivite, role, "personne"))
    page = f"/c/{collectivite.pk}/membres/"
    html = client.get(page).content.decode()
    assert (
        'data-testid="membre-ada"' in html and 'name="retirer"' not in html and 'name="changer"' not in html
    )
    target = membership(admin, collectivite)
    assert client.post(page, {"changer": str(target.pk), "nouveau_role": Role.LECTURE}).status_code == 403
    assert client.post(page, {"retirer": str(target.pk)}).status_code == 403
    assert membership(admin, collectivite).role == Role.ADMIN
    # Nor can they promote themselves.
    own = Membership.objects.get(user__username="personne")
    assert client.post(page, {"changer": str(own.pk), "nouveau_role": Role.ADMIN}).status_code == 403
    assert Membership.objects.get(pk=own.pk).role == role


def test_services_guard_the_last_admin(collectivite: Collectivite, editor: Member) -> None:
    admin = make_member(collectivite, Role.ADMIN, "ada")
    with pytest.raises(InputError, match="dernier admin"):
        remove_member(collectivite, admin.user, membership(admin, collectivite).pk)
    with pytest.raises(InputError, match="dernier admin"):
        change_role(collectivite, admin.user, membership(admin, collectivite).pk, Role.LECTURE)
    promoted = change_role(collectivite, admin.user, membership(editor, collectivite).pk, Role.ADMIN)
    assert promoted.role == Role.ADMIN
    assert remove_member(collectivite, admin.user, membership(admin, collectivite).pk).user == admin.user
    assert list(Membership.objects.filter(collectivite=collectivite).values_list("role", flat=True)) == [
        Role.ADMIN
    ]


def role_history(c: Collectivite) -> list[tuple[str | None, str, str | None, str | None]]:
    """The members' history, oldest first: (who did it, None when unknown; whose role, previous, new)."""
    entries = HistoryEntry.objects.filter(collectivite=c, kind=Kind.MEMBRE).order_by("id")
    return list(entries.values_list("user__username", "subject", "previous", "new"))


def test_role_changes_and_removals_are_in_the_history(collectivite: Collectivite, editor: Member) -> None:
    admin = make_member(collectivite, Role.ADMIN, "ada")
    client = logged_in(admin)
    page = f"/c/{collectivite.pk}/membres/"
    edith = membership(editor, collectivite)
    assert client.post(page, {"changer": str(edith.pk), "nouveau_role": Role.AUDITEUR}).status_code == 302
    assert client.post(page, {"changer": str(edith.pk), "nouveau_role": Role.AUDITEUR}).status_code == 302
    assert client.post(page, {"retirer": str(edith.pk)}).status_code == 302
    own = membership(admin, collectivite)
    assert client.post(page, {"retirer": str(own.pk)}).status_code == 400  # the last admin: refused
    # The same role again changes nothing; a refused change is not recorded.
    assert role_history(collectivite) == [
        ("ada", "edith", Role.EDITION, Role.AUDITEUR),
        ("ada", "edith", Role.AUDITEUR, None),
    ]
    html = client.get(f"/c/{collectivite.pk}/historique/", {"type": "membre"}).content.decode()
    rows = [r.split("</tr>")[0] for r in html.split('data-testid="entree-')[1:]]
    assert len(rows) == 2 and all("Rôle de edith" in r and ">ada<" in r for r in rows)
    assert ">Auditeur<" in rows[0] and ">Non membre<" in rows[0]  # newest first: the removal
    assert ">Édition<" in rows[1] and ">Auditeur<" in rows[1]


def test_joining_by_invitation_is_in_the_history(collectivite: Collectivite, editor: Member) -> None:
    admin = make_member(collectivite, Role.ADMIN, "ada")
    token = create_invitation(collectivite, Role.CONSEILLER, admin.user)
    newcomer = Client()
    password = "un-long-mot-de-passe"
    joined = newcomer.post(
        f"/invitation/{token}/", {"username": "cyril", "password1": password, "password2": password}
    )
    assert joined.status_code == 302
    assert role_history(collectivite) == [("cyril", "cyril", None, Role.CONSEILLER)]
    # A used link adds nobody; a member who accepts another invitation keeps their role, unrecorded.
    again = {"username": "dora", "password1": password, "password2": password}
    assert Client().post(f"/invitation/{token}/", again).status_code == 404
    assert (
        accept_invitation(create_invitation(collectivite, Role.LECTURE, admin.user), editor.user) is not None
    )
    assert membership(editor, collectivite).role == Role.EDITION
    assert len(role_history(collectivite)) == 1
    html = logged_in(editor).get(f"/c/{collectivite.pk}/historique/").content.decode()
    row = html.split('data-testid="entree-')[1].split("</tr>")[0]
    assert "Rôle de cyril" in row and ">Non membre<" in row and ">Conseiller<" in row


def test_deleting_a_person_records_leaving_each_of_their_collectivites(
    collectivite: Collectivite, editor: Member
) -> None:
    other = make_collectivite("Autre commune")
    Membership.objects.create(user=editor.user, collectivite=other, role=Role.LECTURE)
    admin = make_member(collectivite, Role.ADMIN, "ada")
    editor.user.delete()
    assert role_history(collectivite) == [(None, "edith", Role.EDITION, None)]
    assert role_history(other) == [(None, "edith", Role.LECTURE, None)]
    assert not Membership.objects.filter(user__username="edith").exists()
    page = logged_in(admin).get(f"/c/{collectivite.pk}/historique/", {"type": "membre"})
    assert page.status_code == 200 and "Rôle de edith" in page.content.decode()
