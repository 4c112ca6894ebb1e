"""The checklist of a labellisation demande: what the score allows, what the criteria say, what is missing.

Pure: it reads a référentiel's scores (as the engine gives them) and the statuts, and the label's rules
(``Referentiels.criteres``, from the folder's `labellisation/criteres.yml`). The rules of application are
those of the criteria file's header (docs/referentiel-format.md):

- the score allows the highest star whose threshold the root's share fait reaches (``etoile_score``);
- the criteria checked are those of the target star max(1, etoile_score): per action, the criterion of
  the highest star ≤ the target; criteria on désactivé actions are dropped;
- a criterion is met when fait ≥ min_fait, or fait + programmé ≥ min_fait_programme when given;
- the ratios are the parent sous-mesure's when the action is a tâche whose sous-mesure has a statut of
  its own (concerné, not non renseigné), else the action's own; a ratio is points over potentiel, or for
  a node of zero potentiel the tâches' avancement over their count.

What the state cannot tell (a signed document, pilotes) is given by the caller, or left unknown.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Protocol

from jalon.labellisation.etoiles import etoile_score, part_fait
from jalon.referentiel.model import Critere, Criteres, Referentiel, Referentiels

# Shares are quotients of rounded points: fait + programmé of a détaillé statut may land a hair under 1.
TOLERANCE = 1e-9

ScoreFields = Mapping[str, float | int | bool | None]


class StatutLike(Protocol):
    """What the checklist reads of a statut (``jalon.scores.statuts.Statut`` and the web's alike)."""

    @property
    def avancement(self) -> tuple[float, float, float] | None: ...

    @property
    def concerne(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class CritereEvalue:
    """One criterion of the target star and the numbers that decide it."""

    critere: Critere
    atteint: bool
    fait: float  # share of the potentiel fait (of ``ratios_de``)
    programme: float  # share programmé
    ratios_de: str  # the action whose ratios were used: the criterion's, or its tâche's sous-mesure

    @property
    def action_id(self) -> str:
        return self.critere.action_id


@dataclass(frozen=True, slots=True)
class Condition:
    """A condition of the demande; ``atteint`` is None when the state cannot tell (the web says)."""

    code: str  # completude, criteres, etoile_audit, document, pilotes
    libelle: str  # in French, for people
    atteint: bool | None
    audit_seulement: bool = False  # a condition of an audit only (not of a 1st-star demande)


@dataclass(frozen=True, slots=True)
class Checklist:
    """A référentiel's checklist for a collectivité's state."""

    referentiel: str
    fait: float  # root point_fait / point_potentiel
    programme: float  # root point_programme / point_potentiel
    etoile_score: int  # highest star the score allows (0 when none)
    etoile_cible: int  # max(1, etoile_score): the star whose criteria are checked
    prochain_seuil: float | None  # share fait of the star after ``etoile_score``
    completude: float  # share of tâches with a statut of their own or an ancestor's
    taches: int
    taches_renseignees: int
    criteres: tuple[CritereEvalue, ...]
    conditions: tuple[Condition, ...]
    marge_recommandee: float

    @property
    def audit(self) -> bool:
        """Whether the target star is granted on audit (the 1st is not)."""
        return all(c.atteint for c in self.conditions if c.code == "etoile_audit")

    @property
    def manquants(self) -> tuple[CritereEvalue, ...]:
        return tuple(c for c in self.criteres if not c.atteint)

    def demandable(self) -> bool:
        """Everything the demande of the target star needs is met (an unknown condition is not)."""
        return all(c.atteint is True for c in self.conditions if self.audit or not c.audit_seulement)


def critere_atteint(critere: Critere, fait: float, programme: float) -> bool:
    """The rule: fait ≥ min_fait, or fait + programmé ≥ min_fait_programme when it is given."""
    if fait >= critere.min_fait - TOLERANCE:
        return True
    minimum = critere.min_fait_programme
    return minimum is not None and fait + programme >= minimum - TOLERANCE


def criteres_de_l_etoile(criteres: Collection[Critere], cible: int) -> list[Critere]:
    """Per action, the criterion of the highest star ≤ ``cible``; in the order of the actions' first
    criterion in the file."""
    chosen: dict[str, Critere] = {}
    for critere in criteres:
        if critere.etoile > cible:
            continue
        kept = chosen.get(critere.action_id)
        if kept is None:
            chosen[critere.action_id] = critere
        elif critere.etoile > kept.etoile:
            chosen[critere.action_id] = critere  # keeps the action's first place (dicts keep order)
    return list(chosen.values())


def _number(fields: ScoreFields, name: str) -> float:
    value = fields[name]
    return float(value) if value is not None else 0.0


def ratios(fields: ScoreFields) -> tuple[float, float]:
    """(fait, programmé) shares of a node: over its potentiel, or its tâches' avancement when the
    potentiel is zero (the 0-point regulatory items)."""
    potentiel = _number(fields, "point_potentiel")
    if potentiel:
        return _number(fields, "point_fait") / potentiel, _number(fields, "point_programme") / potentiel
    total = _number(fields, "total_taches_count")
    if not total:
        return 0.0, 0.0
    fait = _number(fields, "fait_taches_avancement") / total
    return fait, _number(fields, "programme_taches_avancement") / total


def _own_statut(statut: StatutLike | None) -> bool:
    """A statut that says something: an avancement, or non concerné (not non renseigné)."""
    return statut is not None and (statut.avancement is not None or not statut.concerne)


def completude(
    referentiel: Referentiel, scores: Mapping[str, ScoreFields], statuts: Mapping[str, StatutLike]
) -> tuple[int, int]:
    """(tâches with a statut of their own or an ancestor's, tâches): non concerné and désactivé count as
    filled. Unlike the engine's completed / total_taches_count, every tâche counts once (the engine
    counts one tâche for a node above the sous-mesures scored from its own statut)."""
    covered: dict[str, bool] = {}
    filled = total = 0
    for action in referentiel.actions.values():  # root first, parents before children
        here = _own_statut(statuts.get(action.id)) or bool(scores[action.id]["desactive"])
        if action.parent is not None:
            here = here or covered[action.parent]
        covered[action.id] = here
        if action.is_leaf:
            total += 1
            filled += here
    return filled, total


def checklist(
    loaded: Referentiels,
    referentiel_id: str,
    scores: Mapping[str, ScoreFields],
    statuts: Mapping[str, StatutLike],
    *,
    document: bool | None = None,
    pilotes: Collection[str] | None = None,
) -> Checklist:
    """The checklist of one référentiel. ``loaded.criteres`` must be set (ValueError otherwise).

    ``document``: whether the demande carries its document; ``pilotes``: the actions that have a
    pilote. Either left None is an unknown condition, never met.
    """
    rules: Criteres | None = loaded.criteres
    if rules is None:
        raise ValueError("aucun fichier de critères de labellisation : attendu labellisation/criteres.yml")
    referentiel = loaded.referentiels[referentiel_id]
    root = scores[referentiel_id]
    potentiel = _number(root, "point_potentiel")
    fait = part_fait(_number(root, "point_fait"), potentiel)
    programme = part_fait(_number(root, "point_programme"), potentiel)
    star = etoile_score(fait, rules.etoiles)
    cible = max(1, star)

    evaluated = []
    for critere in criteres_de_l_etoile(rules.criteres.get(referentiel_id, ()), cible):
        fields = scores[critere.action_id]
        if fields["desactive"]:
            continue
        source = critere.action_id
        action = referentiel.actions[source]
        if action.depth == referentiel.action_level + 2 and action.parent is not None:
            parent_statut = statuts.get(action.parent)
            if parent_statut is not None and parent_statut.concerne and parent_statut.avancement is not None:
                source = action.parent
        share_fait, share_programme = ratios(scores[source])
        evaluated.append(
            CritereEvalue(
                critere,
                critere_atteint(critere, share_fait, share_programme),
                share_fait,
                share_programme,
                source,
            )
        )

    filled, total = completude(referentiel, scores, statuts)
    share_filled = filled / total if total else 1.0
    demande = rules.demande
    conditions = [
        Condition(
            "completude",
            f"Complétude d'au moins {demande.completude * 100:g} % ({filled} tâches renseignées sur {total})",
            share_filled >= demande.completude - TOLERANCE,
        ),
        Condition(
            "criteres",
            f"Les critères de la {cible}e étoile" if cible > 1 else "Les critères de la 1re étoile",
            all(c.atteint for c in evaluated),
        ),
        Condition(
            "etoile_audit",
            f"Un score qui permet au moins la {demande.etoile_min_audit}e étoile, pour un audit",
            cible >= demande.etoile_min_audit,
            audit_seulement=True,
        ),
    ]
    if demande.document:
        conditions.append(Condition("document", demande.document, document))
    needed = demande.pilotes.get(referentiel_id, ())
    if needed:
        atteint = None if pilotes is None else all(action_id in pilotes for action_id in needed)
        names = ", ".join(needed)
        conditions.append(
            Condition("pilotes", f"Des pilotes nommés sur {names}", atteint, audit_seulement=True)
        )
    return Checklist(
        referentiel=referentiel_id,
        fait=fait,
        programme=programme,
        etoile_score=star,
        etoile_cible=cible,
        prochain_seuil=rules.etoiles[star] if star < len(rules.etoiles) else None,
        completude=share_filled,
        taches=total,
        taches_renseignees=filled,
        criteres=tuple(evaluated),
        conditions=tuple(conditions),
        marge_recommandee=rules.marge_recommandee,
    )


def checklists(
    loaded: Referentiels,
    scores: Mapping[str, ScoreFields],
    statuts: Mapping[str, StatutLike],
) -> dict[str, Checklist]:
    """The checklist of every référentiel of ``loaded`` (scores of all of them, as ``evaluate`` gives)."""
    return {ref: checklist(loaded, ref, scores, statuts) for ref in loaded.referentiels}
