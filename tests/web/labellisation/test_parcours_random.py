"""Random sequences of transitions, by random people on increasing dates, through the web's services: what is
stored always reads back into the parcours the engine returned, sound; a refused transition writes nothing;
there is one current cycle; every accepted transition leaves exactly one history entry; stored jalons never
change; the stored lock is the parcours' and, during the audit, only its auditors write (a member's
explication is refused and writes nothing, the auditor's is written). (The engine's own state machine
test checks the rules; this one checks the storage of them.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from jalon.labellisation import parcours as engine
from jalon.web.collectivites.models import Collectivite, Role
from jalon.web.errors import InputError, Locked
from jalon.web.labellisation import models, services
from jalon.web.statuts.models import Explication, HistoryEntry, Kind, Verrou
from jalon.web.statuts.services import set_explication
from tests.web.conftest import Member, make_member
from tests.web.labellisation.test_parcours import DOCUMENT, PILOTES, everything_fait, snapshot, staff_user

pytestmark = pytest.mark.django_db

SUIVANTE = "suivante"  # the parcours' next step, whatever the state: the sequences go deep
PEOPLE = ("edith", "lea", "stella", "audrey", "otto")
# Who may take each step: drawn most of the time, so that the sequences go deep into the parcours.
RIGHT = {
    "demander": "edith",
    "nouveau_cycle": "edith",
    "figer": "edith",
    "affecter_auditeur": "stella",
    "retirer_auditeur": "stella",
    "decider": "stella",
    "demarrer_audit": "audrey",
    "auditer_mesure": "audrey",
    "joindre_rapport": "audrey",
    "valider_audit": "audrey",
}
STEPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                SUIVANTE,
                SUIVANTE,
                SUIVANTE,
                SUIVANTE,
                SUIVANTE,
                "demander",
                "affecter_auditeur",
                "retirer_auditeur",
                "demarrer_audit",
                "auditer_mesure",
                "joindre_rapport",
                "valider_audit",
                "decider",
                "nouveau_cycle",
                "figer",
            ]
        ),
        st.one_of(st.none(), st.none(), st.none(), st.sampled_from(PEOPLE)),  # None: the right person
        st.integers(min_value=1, max_value=5),  # the star, or the yes / no of a decision
        st.integers(min_value=0, max_value=400),  # days after the previous step
    ),
    max_size=20,
)


REACHED: set[str] = set()  # what the examples did: the last test checks they went through the parcours


class Rollback(Exception):
    """Undo an example's writes: every example starts from the same state."""


@pytest.fixture
def ready(collectivite: Collectivite, editor: Member) -> Iterator[Collectivite]:
    everything_fait(collectivite, editor)
    for action_id in PILOTES:
        services.nommer_pilote(collectivite, editor.user, action_id, "Camille Martin")
    make_member(collectivite, Role.LECTURE, "lea")
    make_member(collectivite, Role.AUDITEUR, "otto")
    make_member(None, None, "audrey")
    staff_user()
    yield collectivite


def _call(c: Collectivite, code: str, user: User, n: int, le: date) -> Callable[[], object]:
    calls: dict[str, Callable[[], object]] = {
        "demander": lambda: services.demander(
            c, user, "cae", sujet="labellisation", etoile=n, document=DOCUMENT, le=le
        ),
        "affecter_auditeur": lambda: services.affecter_auditeur(c, user, "cae", "audrey", le=le),
        "retirer_auditeur": lambda: services.retirer_auditeur(c, user, "cae", "audrey", le=le),
        "demarrer_audit": lambda: services.demarrer_audit(c, user, "cae", le=le),
        "auditer_mesure": lambda: services.auditer_mesure(
            c, user, "cae", "cae_6.1.1", "audite", f"avis {n}", n % 2 == 0, le=le
        ),
        "joindre_rapport": lambda: services.joindre_rapport(c, user, "cae", f"https://exemple.fr/{n}", le=le),
        "valider_audit": lambda: services.valider_audit(c, user, "cae", le=le),
        "decider": lambda: services.decider(c, user, "cae", n % 2 == 1, _any_jalon(c), le=le),
        "nouveau_cycle": lambda: services.nouveau_cycle(c, user, "cae", le=le),
        "figer": lambda: services.figer_jalon(c, user, "cae", f"Jalon {n}", le=le),
    }
    return calls[code]


def _suivante(c: Collectivite) -> str:
    """The step that moves the parcours on from where it stands."""
    p = services.parcours_of(c, "cae")
    if p.etat is engine.Etat.NON_DEMANDEE:
        return "demander"
    if p.etat is engine.Etat.DEMANDE_ENVOYEE:
        assert p.demande is not None
        if not p.demande.audit_requis:
            return "decider"
        return "demarrer_audit" if p.audit.auditeurs else "affecter_auditeur"
    if p.etat is engine.Etat.AUDIT_EN_COURS:
        return "valider_audit"
    if p.etat is engine.Etat.AUDIT_VALIDE:
        return "decider"
    return "nouveau_cycle"


def _any_jalon(c: Collectivite) -> int | None:
    found = services.jalons_of(c, "cae")
    return found[-1].pk if found else None


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,  # the same sequences every run: the coverage check below is not left to chance
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
# Two whole cycles along the parcours (a 3rd star on audit, then the 1st without), beside the random ones.
@example(steps=[(SUIVANTE, None, 3, 1)] * 7 + [("figer", None, 1, 1)] + [(SUIVANTE, None, 1, 1)] * 3)
# Refusals on the way: the wrong people, a star the score does not allow, a report too late.
@example(
    steps=[
        ("demander", "lea", 1, 0),
        ("decider", "edith", 1, 0),
        (SUIVANTE, None, 2, 3),
        ("demarrer_audit", "otto", 1, 1),
        (SUIVANTE, None, 1, 1),
        (SUIVANTE, None, 1, 1),
        (SUIVANTE, None, 1, 1),
        ("joindre_rapport", None, 1, 30),
    ]
)
def test_random_transitions_store_exactly_what_the_engine_returns(
    ready: Collectivite, steps: list[tuple[str, str | None, int, int]]
) -> None:
    c = ready
    try:
        with transaction.atomic():
            _run(c, steps)
            raise Rollback
    except Rollback:
        pass


def _run(c: Collectivite, steps: list[tuple[str, str | None, int, int]]) -> None:
    jour = date(2026, 1, 1)
    frozen: dict[int, tuple[object, object]] = {}
    for step, (code, username, n, days) in enumerate(steps):
        jour += timedelta(days=days)
        if code == SUIVANTE:
            code = _suivante(c)
        username = username or RIGHT[code]
        user = User.objects.get(username=username)
        before = snapshot(c)
        history = HistoryEntry.objects.filter(collectivite=c).count()
        try:
            result = _call(c, code, user, n, jour)()
        except (InputError, PermissionDenied):
            assert snapshot(c) == before, (code, username)
            REACHED.add(f"refus {code}")
            _check_lock(c, step)
            continue
        REACHED.add(code)
        assert HistoryEntry.objects.filter(collectivite=c).count() == history + 1
        last = HistoryEntry.objects.filter(collectivite=c).order_by("-id").first()
        assert last is not None and last.user == user
        if isinstance(result, engine.Parcours):
            assert last.kind == Kind.PARCOURS and last.new is not None and last.new["action"] == code
            stored = services.parcours_of(c, "cae")
            assert stored == result
            assert engine.incoherences(stored) == ()
        assert models.Cycle.objects.filter(collectivite=c, referentiel="cae", courant=True).count() <= 1
        for row in models.Jalon.objects.filter(collectivite=c):
            frozen.setdefault(row.pk, (row.noeuds, row.statuts))
            assert (row.noeuds, row.statuts) == frozen[row.pk]
        _check_lock(c, step)


def _check_lock(c: Collectivite, step: int) -> None:
    """The stored lock is the parcours' own, and writes during the audit are only its auditors': an
    explication by the member « edith » and by « audrey » (assigned or not), refused exactly when the
    lock leaves the person out, a refused one writing nothing."""
    lock = services.verrou_of(c.pk, "cae")
    stored = Verrou.objects.filter(collectivite=c, referentiel="cae").first()
    assert (stored is None) == (lock is None)
    if stored is not None and lock is not None:
        assert (frozenset(str(pk) for pk in stored.auteurs), stored.motif) == (lock.auteurs, lock.motif)
    for username in ("edith", "audrey"):
        writer = User.objects.get(username=username)
        allowed = lock is None or str(writer.pk) in lock.auteurs
        before = snapshot(c), list(Explication.objects.filter(collectivite=c).values())
        try:
            set_explication(c, writer, "cae_6.1.1.1.1", f"{username}, étape {step}")
        except Locked:
            assert not allowed, username
            assert (snapshot(c), list(Explication.objects.filter(collectivite=c).values())) == before
            REACHED.add("verrou refuse")
            continue
        assert allowed, username
        if lock is not None:
            REACHED.add("verrou auditeur")


def test_the_random_sequences_went_through_the_whole_parcours() -> None:
    """Run after the test above (file order): its sequences accepted and refused each transition."""
    if not REACHED:
        pytest.skip("the random sequences did not run")
    assert {"demander", "demarrer_audit", "valider_audit", "decider", "nouveau_cycle"} <= REACHED
    assert {"refus demander", "refus decider", "refus demarrer_audit", "refus joindre_rapport"} <= REACHED
    assert {"verrou refuse", "verrou auditeur"} <= REACHED
