"""The history page (filters, pagination, readable values) and the scores of a past date."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from jalon.web.collectivites.models import Collectivite, Membership, Role
from jalon.web.collectivites.services import change_role
from jalon.web.errors import InputError
from jalon.web.pages.common import bars, nombre
from jalon.web.pages.historique import PAR_PAGE, parse_moment
from jalon.web.statuts import services
from jalon.web.statuts.models import HistoryEntry, Kind, ScoreSet
from tests.web.conftest import Member, logged_in, make_collectivite, make_member

pytestmark = pytest.mark.django_db


def entry_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-testid="entree-(\d+)"', html)]


def age(days: int) -> None:
    """Move every change made so far ``days`` days back."""
    HistoryEntry.objects.update(at=F("at") - timedelta(days=days))


@pytest.fixture
def changes(collectivite: Collectivite, editor: Member) -> dict[str, Member]:
    """Changes of every kind by two people; the editor's first ones ten days ago."""
    conseil = make_member(collectivite, Role.CONSEILLER, "cora")
    services.set_statut(collectivite, editor.user, "cae_6.1.1.2.1", "detaille", [35, 40, 25])
    services.set_explication(collectivite, editor.user, "cae_6.1.1.2", "Voir le plan climat.")
    age(10)
    services.set_statut(collectivite, editor.user, "cae_6.1.1.1.1", "fait")
    services.set_reponse(collectivite, conseil.user, "demo_jumelage", "OUI", "Jumelage signé en 2019.")
    services.set_statut(collectivite, conseil.user, "cae_6.1.2.1", "fait")
    services.set_identite(collectivite, conseil.user, population=52_000)
    services.set_identite(collectivite, conseil.user, nom="Ville de démo")
    services.set_identite(collectivite, conseil.user, cot=True)
    change_role(collectivite, conseil.user, Membership.objects.get(user=editor.user).pk, Role.ADMIN)
    return {"editor": editor, "conseil": conseil}


def test_every_change_is_listed_with_who_when_before_and_after(
    collectivite: Collectivite, changes: dict[str, Member]
) -> None:
    client = logged_in(make_member(collectivite, Role.LECTURE, "lea"))  # every member reads it
    response = client.get(f"/c/{collectivite.pk}/historique/")
    assert response.status_code == 200
    html = response.content.decode()
    entries = list(HistoryEntry.objects.filter(collectivite=collectivite).order_by("-at", "-id"))
    assert entry_ids(html) == [e.pk for e in entries] and len(entries) == 10
    kinds = {e.kind for e in entries}
    # The parcours de labellisation's kinds are listed by test_pages_parcours, the pilotes' and the
    # services' by test_pages_pilotes, the bibliothèque's by tests/web/preuves.
    assert kinds == set(Kind.values) - {Kind.PARCOURS, Kind.JALON, Kind.PILOTE, Kind.SERVICE, Kind.DOCUMENT}

    def row(kind: str, subject: str) -> str:
        e = next(e for e in entries if e.kind == kind and e.subject == subject)
        return html.split(f'data-testid="entree-{e.pk}"')[1].split("</tr>")[0]

    detaille = row(Kind.STATUT, "cae_6.1.1.2.1")
    assert "edith" in detaille and "Non renseigné" in detaille
    assert "Détaillé : 35 % fait, 40 % programmé, 25 % pas fait" in detaille
    assert f'href="/c/{collectivite.pk}/action/cae_6.1.1/#row-cae_6.1.1.2.1"' in detaille
    reponse = row(Kind.REPONSE, "demo_jumelage")
    assert "cora" in reponse and "Sans réponse" in reponse and ">Oui<" in reponse
    assert "Jumelage signé en 2019." in row(Kind.JUSTIFICATION, "demo_jumelage")
    assert "Voir le plan climat." in row(Kind.EXPLICATION, "cae_6.1.1.2")
    identite = row(Kind.IDENTITE, "identite")
    assert "population : 45\xa0000 habitants" in identite and "population : 52\xa0000 habitants" in identite
    assert "type :" not in identite  # only what changed
    nom = row(Kind.NOM, "nom")
    assert "Nom de la collectivité" in nom and f'href="/c/{collectivite.pk}/parametres/"' in nom
    assert ">Communauté de démo<" in nom and ">Ville de démo<" in nom and "cora" in nom
    role = row(Kind.MEMBRE, "edith")
    assert "Rôle de edith" in role and f'href="/c/{collectivite.pk}/membres/"' in role
    assert ">Édition<" in role and ">Admin<" in role and "cora" in role
    assert 'class="muted">edith<' not in role  # the username is in the label already
    assert f"/c/{collectivite.pk}/historique/scores/?date=" in detaille


def test_filters_by_action_prefix_kind_person_and_dates(
    collectivite: Collectivite, changes: dict[str, Member]
) -> None:
    client = logged_in(changes["editor"])
    page = f"/c/{collectivite.pk}/historique/"

    def subjects(**params: str) -> set[tuple[str, str]]:
        response = client.get(page, params)
        assert response.status_code == 200, response.content.decode()
        ids = entry_ids(response.content.decode())
        return set(HistoryEntry.objects.filter(pk__in=ids).values_list("kind", "subject"))

    # An action id takes the action and what is below it.
    assert subjects(action="cae_6.1.1") == {
        ("statut", "cae_6.1.1.2.1"),
        ("explication", "cae_6.1.1.2"),
        ("statut", "cae_6.1.1.1.1"),
    }
    assert subjects(action="cae_6.1.1.2") == {("statut", "cae_6.1.1.2.1"), ("explication", "cae_6.1.1.2")}
    assert subjects(action="demo_") == {("reponse", "demo_jumelage"), ("justification", "demo_jumelage")}
    assert subjects(action="cae") == {  # the root: the whole référentiel
        ("statut", "cae_6.1.1.2.1"),
        ("explication", "cae_6.1.1.2"),
        ("statut", "cae_6.1.1.1.1"),
        ("statut", "cae_6.1.2.1"),
    }
    assert subjects(type="membre") == {("membre", "edith")}
    assert subjects(type="nom") == {("nom", "nom")}
    assert subjects(type="statut", personne="cora") == {("statut", "cae_6.1.2.1")}
    assert subjects(personne="edith") == {
        ("statut", "cae_6.1.1.2.1"),
        ("explication", "cae_6.1.1.2"),
        ("statut", "cae_6.1.1.1.1"),
    }
    today = timezone.localdate()
    old = {("statut", "cae_6.1.1.2.1"), ("explication", "cae_6.1.1.2")}
    ten_days_ago = (today - timedelta(days=10)).isoformat()
    assert subjects(du=ten_days_ago, au=ten_days_ago) == old
    assert subjects(au=(today - timedelta(days=1)).isoformat()) == old
    assert len(subjects(du=today.isoformat())) == 8
    assert subjects(du=today.isoformat(), action="cae_6.1.1") == {("statut", "cae_6.1.1.1.1")}
    assert subjects(personne="personne") == set()

    bad = client.get(page, {"du": "hier", "type": "statut"})
    assert bad.status_code == 400 and "du : date attendue au format AAAA-MM-JJ" in bad.content.decode()
    assert len(entry_ids(bad.content.decode())) == 3  # the valid filter (three statuts) still applies
    reversed_range = client.get(page, {"du": today.isoformat(), "au": ten_days_ago})
    assert reversed_range.status_code == 400 and "précède" in reversed_range.content.decode()
    unknown = client.get(page, {"type": "mystere"})
    assert (
        unknown.status_code == 400
        and "type : type de changement inconnu &#x27;mystere&#x27;" in unknown.content.decode()
    )


def test_pagination_keeps_the_filters(collectivite: Collectivite, editor: Member) -> None:
    # Direct rows: the page lists what is stored, however it got there.
    HistoryEntry.objects.bulk_create(
        HistoryEntry(
            collectivite=collectivite,
            kind=Kind.EXPLICATION,
            subject="cae_6.1.1.1",
            user=editor.user,
            previous=str(i),
            new=str(i + 1),
        )
        for i in range(PAR_PAGE + 12)
    )
    HistoryEntry.objects.create(
        collectivite=collectivite,
        kind=Kind.STATUT,
        subject="cae_6.1.2.1",
        previous=None,
        new={"avancement": "fait"},
    )
    client = logged_in(editor)
    page = f"/c/{collectivite.pk}/historique/"
    first = client.get(page, {"action": "cae_6.1.1"}).content.decode()
    second = client.get(page, {"action": "cae_6.1.1", "page": "2"}).content.decode()
    assert len(entry_ids(first)) == PAR_PAGE and len(entry_ids(second)) == 12
    assert not set(entry_ids(first)) & set(entry_ids(second))
    assert "page 1 sur 2" in first and 'href="?action=cae_6.1.1&amp;page=2"' in first
    expected = (
        HistoryEntry.objects.filter(subject="cae_6.1.1.1").order_by("-at", "-id").values_list("pk", flat=True)
    )
    assert entry_ids(first) + entry_ids(second) == list(expected)
    assert "(compte supprimé)" not in first
    # A page out of range shows the last one; garbage shows the first.
    assert entry_ids(client.get(page, {"action": "cae_6.1.1", "page": "9"}).content.decode()) == entry_ids(
        second
    )
    everything = list(HistoryEntry.objects.order_by("-at", "-id").values_list("pk", flat=True))
    assert entry_ids(client.get(page, {"page": "x"}).content.decode()) == everything[:PAR_PAGE]


def test_outsiders_see_no_history(collectivite: Collectivite, editor: Member) -> None:
    services.set_statut(collectivite, editor.user, "cae_6.1.1.1.1", "fait")
    foreign = make_collectivite("Ailleurs", "commune", 900)
    outsider = logged_in(make_member(foreign, Role.ADMIN, "olga"))
    assert outsider.get(f"/c/{collectivite.pk}/historique/").status_code == 404
    assert outsider.get(f"/c/{collectivite.pk}/historique/scores/", {"date": "2030-01-01"}).status_code == 404
    assert entry_ids(outsider.get(f"/c/{foreign.pk}/historique/").content.decode()) == []


def past_figures(html: str, referentiel: str) -> tuple[str, list[str]]:
    """The root « x % fait, y % programmé » and the per-axe figures a past-scores page shows."""
    section = html.split(f'data-testid="passe-{referentiel}"')[1].split("</section>")[0]
    root = re.sub(r"<[^>]+>", "", section.split('data-testid="past-root-score">')[1].split("</p>")[0])
    axes = [re.sub(r"<[^>]+>", "", a) for a in re.findall(r'<span class="num">(.+?)</span>', section)]
    return root, axes


def figures(scores: dict[str, dict[str, object]], referentiel: str, axes: list[str]) -> tuple[str, list[str]]:
    b = bars(scores[referentiel])
    root = f"{nombre(b['fait'])} % fait, {nombre(b['programme'])} % programmé"
    per_axe = [
        f"{nombre(bars(scores[a])['fait'])} % fait, {nombre(bars(scores[a])['programme'])} % prog."
        for a in axes
    ]
    return root, per_axe


def test_scores_at_a_date_equal_the_scores_stored_then(collectivite: Collectivite, editor: Member) -> None:
    user = editor.user
    services.set_statut(collectivite, user, "cae_6.1.1.1", "fait")
    services.set_statut(collectivite, user, "cae_6.1.1.2.1", "detaille", [35, 40, 25])
    services.set_reponse(collectivite, user, "demo_jumelage", "NON")
    then = ScoreSet.objects.get(collectivite=collectivite, referentiel="cae").scores
    age(3)
    services.set_statut(collectivite, user, "cae_6.1.1.1.2", "programme")
    services.set_statut(collectivite, user, "cae_6.1.2.2.1", "fait")
    services.set_identite(collectivite, user, type="commune", population=2_000)
    now = ScoreSet.objects.get(collectivite=collectivite, referentiel="cae").scores
    axes = [a for a in then if a.count(".") == 0 and a != "cae"]
    assert figures(then, "cae", axes) != figures(now, "cae", axes)  # two states to tell apart

    client = logged_in(make_member(collectivite, Role.AUDITEUR, "aude"))
    page = f"/c/{collectivite.pk}/historique/scores/"
    two_days_ago = (timezone.localdate() - timedelta(days=2)).isoformat()
    past = client.get(page, {"date": two_days_ago})
    assert past.status_code == 200
    html = past.content.decode()
    assert past_figures(html, "cae") == figures(then, "cae", axes)
    b = bars(now["cae"])
    assert f"aujourd'hui : {nombre(b['fait'])} % fait, {nombre(b['programme'])} % programmé" in html
    # To the minute, as the datetime-local field sends it; and today: the current scores.
    minute = timezone.localtime() + timedelta(minutes=1)
    current = client.get(page, {"date": minute.strftime("%Y-%m-%dT%H:%M")}).content.decode()
    assert past_figures(current, "cae") == figures(now, "cae", axes)
    long_ago = client.get(page, {"date": "2001-01-01"}).content.decode()
    assert past_figures(long_ago, "cae")[0] == "0,0 % fait, 0,0 % programmé"

    # The « scores » link of a change: the scores just after it.
    last_then = HistoryEntry.objects.filter(subject="demo_jumelage").get()
    listing = client.get(f"/c/{collectivite.pk}/historique/").content.decode()
    link = listing.split(f'data-testid="entree-{last_then.pk}"')[1].split("</tr>")[0]
    url = link.split('href="')[-1].split('"')[0].replace("&amp;", "&")
    assert past_figures(client.get(url).content.decode(), "cae") == figures(then, "cae", axes)

    bad = client.get(page, {"date": "mardi"})
    assert bad.status_code == 400 and "date : date attendue au format" in bad.content.decode()
    assert client.get(page).status_code == 200  # the form alone


def test_parse_moment() -> None:
    day = parse_moment("2026-03-05")
    assert timezone.localtime(day).strftime("%Y-%m-%d %H:%M:%S") == "2026-03-05 23:59:59"
    minute = parse_moment("2026-03-05T14:32")
    assert timezone.localtime(minute).strftime("%H:%M:%S") == "14:32:59"
    exact = parse_moment("2026-03-05T14:32:10+00:00")
    assert exact.isoformat() == "2026-03-05T14:32:10+00:00"
    for bad in ("", "05/03/2026", "2026-13-01"):
        with pytest.raises(InputError):
            parse_moment(bad)
