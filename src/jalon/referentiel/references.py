"""Checks of the action ids that questions and preuves refer to."""

from __future__ import annotations

from collections.abc import Container, Iterable

from jalon.referentiel.errors import Problem


def unknown_actions(
    path: str, line: int, owner: str, owner_id: str, actions: Iterable[str], known: Container[str]
) -> list[Problem]:
    """A problem for every id of ``actions`` that is not a loaded action; ``owner`` reads like
    "la question" or "la preuve"."""
    return [
        Problem(
            path,
            line,
            f"L'action {action} de {owner} {owner_id} n'existe dans aucun référentiel chargé : "
            "attendu l'id d'une action, comme cae_1.2.3.",
            owner_id,
        )
        for action in actions
        if action not in known
    ]
