"""Preuve files → the evidence expected for actions (spec §1.8)."""

from __future__ import annotations

from collections.abc import Container, Sequence

from jalon.referentiel.errors import Problem
from jalon.referentiel.markdown import DESCRIPTION, MarkdownNode
from jalon.referentiel.model import Preuve, Source
from jalon.referentiel.references import unknown_actions
from jalon.referentiel.schemas import PreuveYaml, validate

PREUVE_KEYWORDS: frozenset[str] = frozenset()
MAX_ID_LENGTH = 50


def read_preuves(
    files: Sequence[tuple[str, Sequence[MarkdownNode]]], action_ids: Container[str] | None = None
) -> tuple[tuple[Preuve, ...], list[Problem]]:
    """The preuves in file order, and what is wrong; `action_ids`: the actions they may relate to."""
    found: dict[str, Preuve] = {}
    problems: list[Problem] = []
    for path, md_nodes in files:
        for md in md_nodes:
            written_id = md.data.get("id")
            subject = written_id if isinstance(written_id, str) else None
            fields, errors = validate(PreuveYaml, md.data)
            if not md.yaml_error:  # a broken yaml block is reported already
                problems.extend(Problem(path, md.line, message, subject) for _, message in errors)
            if fields is None:
                continue
            preuve_id = fields.id
            if not md.title:
                problems.append(
                    Problem(
                        path,
                        md.line,
                        f"La preuve {preuve_id} n'a pas de nom : attendu un titre `# <nom de la preuve>`.",
                        preuve_id,
                    )
                )
            if len(preuve_id) > MAX_ID_LENGTH:
                problems.append(
                    Problem(
                        path,
                        md.line,
                        f"Les ids des preuves suivantes sont trop longs : {preuve_id} ({len(preuve_id)} "
                        f"caractères) : attendu {MAX_ID_LENGTH} caractères au plus.",
                        preuve_id,
                    )
                )
            if action_ids is not None:
                problems.extend(
                    unknown_actions(path, md.line, "la preuve", preuve_id, fields.actions, action_ids)
                )
            first = found.get(preuve_id)
            if first is not None:
                problems.append(
                    Problem(
                        path,
                        md.line,
                        f"Les ids des preuves suivantes ne sont pas uniques : {preuve_id} (déjà défini en "
                        f"{first.source}).",
                        preuve_id,
                    )
                )
                continue
            found[preuve_id] = Preuve(
                id=preuve_id,
                nom=md.title or "",
                description=md.sections.get(DESCRIPTION, ""),
                action_ids=tuple(fields.actions),
                source=Source(path, md.line),
            )
    return tuple(found.values()), problems
