"""A collectivité's statuts, explications and answers: reading them and their stored scores, and
changing them through the write primitive (``write.py``), which records the history and keeps the
stored scores up to date."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from django.contrib.auth.models import User
from django.db import connection

from jalon.referentiel.model import Referentiel, Referentiels
from jalon.regles import check_reponse, referentiels_reading
from jalon.scores.engine import ScoreValue
from jalon.scores.statuts import Statut
from jalon.web.collectivites.models import Collectivite
from jalon.web.collectivites.services import (
    AnyUser,
    can_write,
    member_of,
    member_of_row,
    member_statement,
)
from jalon.web.errors import InputError
from jalon.web.referentiels.models import ReferentielVersion
from jalon.web.referentiels.services import (
    current_loaded,
    current_version,
    loaded_version,
    newest_version_sql,
    version_of_row,
)
from jalon.web.statuts import sql, write
from jalon.web.statuts.models import Avancement, ScoreNode, ScoreSet, StatutRecord, Verrou
from jalon.web.statuts.sql import StatutValue
from jalon.web.statuts.write import KEEP, Keep, VerrouValue, change, motif_verrou, statut_of

__all__ = ["KEEP", "Keep", "VerrouValue", "motif_verrou"]

MAX_TEXT = 10_000
Scores = dict[str, dict[str, ScoreValue]]


# -- reading the stored state -------------------------------------------------------------------


def statut_value(record: StatutRecord | None) -> StatutValue | None:
    """A stored statut as the API and the history show it."""
    if record is None:
        return None
    value: StatutValue = {"avancement": record.avancement}
    if record.avancement == Avancement.DETAILLE:
        value["detaille"] = [
            record.pourcentage_fait,
            record.pourcentage_programme,
            record.pourcentage_pas_fait,
        ]
    return value


def statuts_of(collectivite: Collectivite, referentiel: str) -> dict[str, Statut]:
    """The engine's statuts of a référentiel."""
    records = StatutRecord.objects.filter(collectivite=collectivite, referentiel=referentiel)
    return {r.action_id: statut_of(v) for r in records if (v := statut_value(r)) is not None}


def verrous_of(collectivite: Collectivite) -> dict[str, VerrouValue]:
    """The collectivité's locked référentiels (an audit en cours: who alone writes them, and why), as
    stored; for the pages to say why a control is locked. The writes check them under the lock."""
    return {
        referentiel: VerrouValue(frozenset(auteurs), motif)
        for referentiel, auteurs, motif in Verrou.objects.filter(collectivite=collectivite).values_list(
            "referentiel", "auteurs", "motif"
        )
    }


@dataclass(frozen=True)
class Acces:
    """What a person may do in a collectivité: a member's role, and the référentiels whose audit en
    cours assigned them as an auditor (``Verrou.auteurs``), member or not. The one rule the pages and
    the API ask; the write primitive still refuses anyone else's write to a locked référentiel."""

    collectivite: Collectivite
    role: str | None  # None: not a member, an assigned auditor only
    audites: frozenset[str]  # the référentiels the person audits now (left empty for a role that writes)

    def voit(self, referentiel_id: str) -> bool:
        """A member sees every référentiel; an auditor who is not one, those audited only."""
        return self.role is not None or referentiel_id in self.audites

    def ecrit(self, referentiel_ids: Iterable[str]) -> bool:
        """May change statuts, explications or answers touching these référentiels: a role that writes,
        or the assigned auditor of one of them (an answer is read by several)."""
        return can_write(self.role) or not self.audites.isdisjoint(referentiel_ids)

    def refus(self) -> str:
        """Why a write is refused (French): the role, or the référentiels audited."""
        if self.audites:
            return "vous n'êtes auditeur affecté que de : " + ", ".join(sorted(self.audites))
        return f"le rôle {self.role} ne permet pas de modifier"


def acces_of(user: AnyUser, collectivite_id: int) -> Acces | None:
    """The person's access to the collectivité; None for someone who is neither a member nor an
    assigned auditor of one of its audits en cours (shown a 404, as if it did not exist)."""
    if not user.is_authenticated:
        return None
    assert user.pk is not None
    found = member_of(user, collectivite_id)
    if found is not None and can_write(found[1]):
        # A role that writes decides alone (the write primitive still applies an audit's lock): the
        # locks are not read for it, a query saved on most requests.
        return Acces(found[0], found[1], frozenset())
    audites = frozenset(
        referentiel
        for referentiel, auteurs in Verrou.objects.filter(collectivite_id=collectivite_id).values_list(
            "referentiel", "auteurs"
        )
        if user.pk in auteurs
    )
    if found is not None:
        return Acces(found[0], found[1], audites)
    if not audites:
        return None
    return Acces(Collectivite.objects.get(pk=collectivite_id), None, audites)


def motif_verrou_question(
    verrous: Mapping[str, VerrouValue], user_id: int | None, loaded: Referentiels, question_id: str
) -> str | None:
    """Why an answer to the question is locked against the user (a référentiel reading it is), or None."""
    if not verrous:
        return None
    return motif_verrou(verrous, user_id, referentiels_reading(loaded, question_id))


def clear_scored_states() -> None:
    """Forget what this process remembers of scored states (tests whose database ids restart)."""
    write.forget_scored_states()


def _version() -> tuple[ReferentielVersion, Referentiels]:
    return current_loaded()


def scores(collectivite: Collectivite, referentiel_id: str) -> Scores:
    """The stored scores of a référentiel (computed and stored first if missing or of an old version)."""
    version, loaded = _version()
    referentiel = loaded.referentiels.get(referentiel_id)
    if referentiel is None:
        raise InputError("referentiel", f"référentiel inconnu : {referentiel_id}")
    found = dict(
        ScoreNode.objects.filter(
            score_set__collectivite=collectivite,
            score_set__referentiel=referentiel_id,
            score_set__version=version,
        ).values_list("action_id", "data")
    )
    if len(found) == len(referentiel.actions):
        return found
    with change(collectivite.pk, None, version, loaded) as w:
        w.store_scores(referentiel)
    return scores(collectivite, referentiel_id)


def root_scores(collectivite: Collectivite, referentiel_id: str) -> dict[str, ScoreValue]:
    """The stored scores of a référentiel's root alone (one row)."""
    version = current_version()
    found = (
        ScoreNode.objects.filter(
            score_set__collectivite=collectivite,
            score_set__referentiel=referentiel_id,
            score_set__version=version,
            action_id=referentiel_id,
        )
        .values_list("data", flat=True)
        .first()
    )
    if found is None:  # no scores stored yet (or of an old version): compute and store them
        return scores(collectivite, referentiel_id)[referentiel_id]
    return found  # type: ignore[no-any-return]


def _roots_statement(collectivite_id: int, version_id: int | None) -> tuple[str, list[Any]]:
    """The stored root scores of every référentiel of a version (None: the newest one), written by
    hand: every collectivité read asks, and building it with the ORM cost more than running it."""
    qn = connection.ops.quote_name
    if version_id is None:
        version = f"(SELECT MAX(id) FROM {qn(ReferentielVersion._meta.db_table)})"
        params: list[Any] = [collectivite_id]
    else:
        version, params = "%s", [collectivite_id, version_id]
    return (
        f"SELECT n.action_id, n.data, s.version_id FROM {qn(ScoreNode._meta.db_table)} n"
        f" JOIN {qn(ScoreSet._meta.db_table)} s ON n.score_set_id = s.id"
        f" WHERE s.collectivite_id = %s AND s.version_id = {version} AND n.action_id = s.referentiel",
        params,
    )


def _roots(
    collectivite: Collectivite,
    version: ReferentielVersion,
    referentiel_ids: list[str],
    rows: list[tuple[Any, ...]],
) -> dict[str, dict[str, ScoreValue]]:
    # The JSON comes back as text on both databases (Django reads PostgreSQL's jsonb as text).
    found = {
        a: orjson.loads(data) if isinstance(data, str) else data
        for a, data, version_id in rows
        if version_id == version.pk
    }
    return {
        ref: found[ref] if ref in found else root_scores(collectivite, ref)  # none stored yet: computed
        for ref in referentiel_ids
    }


def roots_scores(
    collectivite: Collectivite, version: ReferentielVersion, referentiel_ids: list[str]
) -> dict[str, dict[str, ScoreValue]]:
    """The stored root scores of several référentiels, in one query."""
    with connection.cursor() as cursor:
        cursor.execute(*_roots_statement(collectivite.pk, version.pk))
        rows = cursor.fetchall()
    return _roots(collectivite, version, referentiel_ids, rows)


@dataclass(frozen=True)
class Overview:
    collectivite: Collectivite
    role: str
    version: ReferentielVersion | None
    roots: dict[str, dict[str, ScoreValue]]  # référentiel id → its root's scores


def overview(user: User, collectivite_id: int) -> Overview | None:
    """A collectivité, the user's role in it and the root scores of every référentiel of the current
    version: what every read of a collectivité shows, in one batch (one round trip on PostgreSQL
    instead of three). None when the user is not a member; the scores read with it are then
    dropped unseen."""
    assert user.pk is not None
    batch = sql.Batch()
    member = batch.add(*member_statement(user.pk, collectivite_id))
    newest = batch.add(newest_version_sql(), [])
    roots = batch.add(*_roots_statement(collectivite_id, None))
    batch.run()
    found = member_of_row(next(iter(batch.rows[member]), None))
    if found is None:
        return None
    c, role = found
    version = version_of_row(next(iter(batch.rows[newest]), None))
    if version is None:
        return Overview(c, role, None, {})
    # A version imported between the statements leaves rows of another version: they are not used.
    referentiel_ids = list(loaded_version(version).referentiels)
    return Overview(c, role, version, _roots(c, version, referentiel_ids, batch.rows[roots]))


# -- writes ---------------------------------------------------------------------------------------


def parse_statut(avancement: str | None, detaille: list[int] | None) -> StatutValue | None:
    """A statut from the input: None (or "non_renseigne") removes it. Raises InputError."""
    if avancement in (None, "", "non_renseigne"):
        if detaille:
            raise InputError("detaille", "des pourcentages ne vont qu'avec l'avancement « detaille »")
        return None
    if avancement not in Avancement.values:
        choices = ", ".join([*Avancement.values, "non_renseigne"])
        raise InputError("avancement", f"avancement inconnu {avancement!r} ; valeurs possibles : {choices}")
    if avancement != Avancement.DETAILLE:
        if detaille:
            raise InputError("detaille", "des pourcentages ne vont qu'avec l'avancement « detaille »")
        return {"avancement": avancement}
    if detaille is None or len(detaille) != 3:
        raise InputError("detaille", "trois pourcentages sont attendus : fait, programmé, pas fait")
    if any(isinstance(p, bool) or not isinstance(p, int) or p < 0 or p > 100 or p % 5 for p in detaille):
        raise InputError(
            "detaille", f"chaque pourcentage est un multiple de 5 entre 0 et 100, reçu {detaille}"
        )
    if sum(detaille) != 100:
        raise InputError("detaille", f"les pourcentages doivent faire 100 au total, reçu {sum(detaille)}")
    return {"avancement": avancement, "detaille": list(detaille)}


def _find_action(loaded: Referentiels, action_id: str) -> Referentiel:
    referentiel = loaded.referentiel_of(action_id)
    if referentiel is None:
        raise InputError("action_id", f"action inconnue : {action_id!r}")
    return referentiel


def check_characters(field: str, text: str) -> None:
    """Refuse what no database stores as text: a NUL character (PostgreSQL refuses it) and a lone
    UTF-16 surrogate (``"\\ud800"`` in JSON: it has no UTF-8 encoding). Raises InputError."""
    if "\x00" in text:
        raise InputError(field, "le caractère nul (U+0000) n'est pas accepté")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(
            field, "texte invalide : il contient une demi-paire de substitution UTF-16"
        ) from None


def check_text(field: str, text: str) -> None:
    """A free text as stored: at most MAX_TEXT characters, each one storable. Raises InputError."""
    check_characters(field, text)
    if len(text) > MAX_TEXT:
        raise InputError(field, f"texte trop long : {len(text)} caractères, {MAX_TEXT} au plus")


@dataclass(frozen=True)
class StatutChange:
    action_id: str
    statut: StatutValue | None
    reset: tuple[str, ...]  # sous-mesures whose own statut the write removed (cascade)
    scores: Scores  # the new scores of the action and of its ancestors


def set_statut(
    collectivite: Collectivite,
    user: User,
    action_id: str,
    avancement: str | None,
    detaille: list[int] | None = None,
) -> StatutChange:
    """Set the statut of a sous-mesure or tâche, with the cascade rules of the official platform:
    setting a tâche removes its sous-mesure's own statut; a désactivé action takes no statut."""
    new = parse_statut(avancement, detaille)
    version, loaded = _version()
    referentiel = _find_action(loaded, action_id)
    action = referentiel.actions[action_id]
    if action.depth <= referentiel.action_level:
        raise InputError("action_id", "un statut se donne à une sous-mesure ou à une tâche, pas à une mesure")
    sous_mesure = action.parent
    cascade = action.depth > referentiel.action_level + 1 and sous_mesure is not None
    reset: list[str] = []
    with change(collectivite.pk, user.pk, version, loaded) as w:
        if w.scored(referentiel).desactive(action_id):
            raise InputError("action_id", f"l'action {action_id} est désactivée par la personnalisation")
        w.put_statut(referentiel, action_id, new)
        # Cascade: a tâche's statut makes the sous-mesure scored from its tâches again.
        if cascade and sous_mesure is not None and w.put_statut(referentiel, sous_mesure, None):
            reset.append(sous_mesure)
    touched = [action_id, *_ancestors(referentiel, action_id)]
    return StatutChange(action_id, new, tuple(reset), {a: w.after[referentiel.id].score(a) for a in touched})


def _ancestors(referentiel: Referentiel, action_id: str) -> list[str]:
    out = []
    parent = referentiel.actions[action_id].parent
    while parent is not None:
        out.append(parent)
        parent = referentiel.actions[parent].parent
    return out


def set_explication(collectivite: Collectivite, user: User, action_id: str, texte: str) -> None:
    check_text("texte", texte)
    version, loaded = _version()
    _find_action(loaded, action_id)
    with change(collectivite.pk, user.pk, version, loaded) as w:
        w.put_explication(action_id, texte)


def set_reponse(
    collectivite: Collectivite,
    user: User,
    question_id: str,
    valeur: str | float | Keep | None,
    justification: str | None = None,
) -> None:
    """Answer a question (None removes the answer, KEEP leaves it unchanged) and/or change its
    justification (None leaves it unchanged); a new answer rescores every référentiel."""
    version, loaded = _version()
    if question_id not in loaded.questions:
        raise InputError("question_id", f"question inconnue : {question_id!r}")
    if isinstance(valeur, str):
        check_characters("valeur", valeur)
    if isinstance(valeur, bool):
        raise InputError("valeur", "une réponse est OUI, NON, l'identifiant d'un choix ou une proportion")
    if isinstance(valeur, int):
        valeur = float(valeur)
    if valeur is not None and not isinstance(valeur, Keep):
        why = check_reponse(loaded, question_id, valeur)
        if why is not None:
            raise InputError("valeur", why)
    if justification is not None:
        check_text("justification", justification)
    with change(collectivite.pk, user.pk, version, loaded) as w:
        w.put_reponse(question_id, valeur, justification)


def set_identite(
    collectivite: Collectivite,
    user: User,
    type: str | None = None,
    population: int | None = None,
    localisation: str | None = None,
    nom: str | None = None,
    cot: bool | None = None,
) -> None:
    """Change the collectivité's name, its COT flag (None leaves them) and what its identity tags come
    from (type, population, localisation), each with its history entry; a new identity rescores every
    référentiel (the rules' consequences depend on it), a new name or COT flag alone rescores nothing."""
    wanted: dict[str, Any] = {"type": type, "population": population, "localisation": localisation}
    changes = {k: v for k, v in wanted.items() if v is not None}
    fields = {f.name: f for f in Collectivite._meta.get_fields() if f.name in wanted}
    for name, value in changes.items():
        choices = getattr(fields[name], "choices", None)
        if choices and value not in [c[0] for c in choices]:
            raise InputError(name, f"valeur inconnue {value!r}")
        if name == "population" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise InputError(name, "un nombre d'habitants entier et positif est attendu")
    if nom is not None:
        check_characters("nom", nom)
        nom = nom.strip()
        longest = Collectivite._meta.get_field("nom").max_length or 0
        if not nom or len(nom) > longest:
            raise InputError("nom", f"entre 1 et {longest} caractères")
    version, loaded = _version()
    with change(collectivite.pk, user.pk, version, loaded) as w:
        if nom is not None:
            w.rename(nom)
        if cot is not None:
            w.set_cot(cot)
        w.put_identite(changes)
    collectivite.nom, collectivite.cot = w.nom, w.cot
    for name, value in w.identite.items():
        setattr(collectivite, name, value)
