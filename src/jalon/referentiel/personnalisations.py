"""Personnalisation files → the rules attached to actions (spec §1.7)."""

from __future__ import annotations

from collections.abc import Container, Sequence

from jalon.referentiel.errors import Problem
from jalon.referentiel.markdown import DESCRIPTION, MarkdownNode
from jalon.referentiel.model import Personnalisation, Regle, RegleType, Source
from jalon.referentiel.schemas import PersonnalisationYaml, validate

REGLES = "regles"
PERSONNALISATION_KEYWORDS = frozenset({REGLES})
REGLE_TITLES: dict[str, RegleType] = {
    "Désactivation": "desactivation",
    "Réduction de potentiel": "reduction",
    "Score réalisé": "score",
}
_ALLOWED_TITLES = ", ".join(f"« {title} »" for title in REGLE_TITLES)


def read_personnalisations(
    files: Sequence[tuple[str, Sequence[MarkdownNode]]], action_ids: Container[str] | None = None
) -> tuple[tuple[Personnalisation, ...], list[Problem]]:
    """The personnalisations, sorted by action id (the order rules are applied in), and what is wrong.

    `action_ids`, when given, are the actions rules may be attached to.
    """
    found: dict[str, Personnalisation] = {}
    problems: list[Problem] = []
    for path, md_nodes in files:
        for md in md_nodes:
            written_id = md.data.get("action_id")
            subject = written_id if isinstance(written_id, str) else None
            fields, errors = validate(PersonnalisationYaml, md.data)
            if not md.yaml_error:  # a broken yaml block is reported already
                problems.extend(Problem(path, md.line, message, subject) for _, message in errors)
            if fields is None:
                continue
            target = fields.action_id
            if action_ids is not None and target not in action_ids:
                problems.append(
                    Problem(
                        path,
                        md.line,
                        f"L'action {target} n'existe dans aucun référentiel chargé : attendu l'id d'une "
                        "action, comme cae_1.2.3.",
                        target,
                    )
                )
            regles = _read_regles(path, target, md, problems)
            first = found.get(target)
            if first is not None:
                problems.append(
                    Problem(
                        path,
                        md.line,
                        f"Duplicats dans les règles pour les actions {target} : déjà personnalisée en "
                        f"{first.source}. Attendu une seule personnalisation par action.",
                        target,
                    )
                )
                continue
            found[target] = Personnalisation(
                action_id=target,
                titre=md.title or "",
                description=md.sections.get(DESCRIPTION, ""),
                regles=tuple(regles),
                source=Source(path, md.line),
            )
    return tuple(found[key] for key in sorted(found)), problems


def _read_regles(path: str, action_id: str, md: MarkdownNode, problems: list[Problem]) -> list[Regle]:
    regles: list[Regle] = []
    for rule in md.kids(REGLES):
        type_ = REGLE_TITLES.get(rule.title or "")
        if type_ is None:
            problems.append(
                Problem(
                    path,
                    rule.line,
                    f"Titre de règle « {rule.title or ''} » inconnu : attendu l'un de {_ALLOWED_TITLES}.",
                    action_id,
                )
            )
            continue
        if rule.formule is None or not rule.formule.strip():
            problems.append(
                Problem(
                    path,
                    rule.line,
                    f"La règle « {rule.title} » de l'action {action_id} n'a pas de formule : attendu un bloc "
                    "```formule sous son titre.",
                    action_id,
                )
            )
            continue
        twin = next((regle for regle in regles if regle.type == type_), None)
        if twin is not None:
            problems.append(
                Problem(
                    path,
                    rule.line,
                    "Duplicats dans les types (désactivation, réduction, score) pour les règles des actions "
                    f"suivantes : {action_id} a deux règles « {rule.title} » (la première en {twin.source}). "
                    "Attendu au plus une règle de chaque type.",
                    action_id,
                )
            )
            continue
        regles.append(
            Regle(
                type=type_,
                formule=rule.formule,
                description=rule.sections.get(DESCRIPTION, ""),
                source=Source(path, rule.formule_line or rule.line),
            )
        )
    return regles
