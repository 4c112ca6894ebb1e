"""Question files → personnalisation questions (spec §1.6)."""

from __future__ import annotations

from collections.abc import Container, Sequence

from jalon.referentiel.errors import Problem
from jalon.referentiel.markdown import DESCRIPTION, MarkdownNode
from jalon.referentiel.model import Choix, Question, Source
from jalon.referentiel.references import unknown_actions
from jalon.referentiel.schemas import ChoixYaml, QuestionYaml, validate

CHOIX = "choix"
QUESTION_KEYWORDS = frozenset({CHOIX})


def read_questions(
    files: Sequence[tuple[str, Sequence[MarkdownNode]]], action_ids: Container[str] | None = None
) -> tuple[dict[str, Question], list[Problem]]:
    """The questions of the files (relative path, parsed nodes), sorted by id, and what is wrong.

    `action_ids`, when given, are the actions a question may relate to.
    """
    questions: dict[str, Question] = {}
    problems: list[Problem] = []
    for path, md_nodes in files:
        for md in md_nodes:
            written_id = md.data.get("id")
            subject = written_id if isinstance(written_id, str) else None
            fields, errors = validate(QuestionYaml, md.data)
            if not md.yaml_error:  # a broken yaml block is reported already
                problems.extend(Problem(path, md.line, message, subject) for _, message in errors)
            if fields is None:
                continue
            question_id = fields.id
            choix = _read_choix(path, question_id, md.kids(CHOIX), problems)
            if fields.type == "choix" and not choix:
                problems.append(
                    Problem(
                        path,
                        md.line,
                        f"La question {question_id} est de type 'choix' mais ne spécifie aucun choix : "
                        "attendu un titre `## Choix` suivi, pour chaque choix, d'un titre `### <libellé>` "
                        "et d'un bloc yaml `id: …`.",
                        question_id,
                    )
                )
            elif fields.type != "choix" and choix:
                problems.append(
                    Problem(
                        path,
                        md.line,
                        f"La question {question_id} est de type '{fields.type}' mais spécifie des choix : "
                        "attendu `type: choix`, ou aucun titre `## Choix`.",
                        question_id,
                    )
                )
            if action_ids is not None:
                problems.extend(
                    unknown_actions(path, md.line, "la question", question_id, fields.actions, action_ids)
                )
            first = questions.get(question_id)
            if first is not None:
                problems.append(
                    Problem(
                        path,
                        md.line,
                        f"Les ids des questions suivants ne sont pas uniques : {question_id} (déjà défini en "
                        f"{first.source}).",
                        question_id,
                    )
                )
                continue
            questions[question_id] = Question(
                id=question_id,
                type=fields.type,
                formulation=md.title or "",
                description=md.sections.get(DESCRIPTION, ""),
                thematique_id=fields.thematique_id,
                action_ids=tuple(sorted(fields.actions)),
                types_concernes=tuple(fields.types_concernes),
                ordonnancement=fields.ordonnancement,
                choix=tuple(choix),
                source=Source(path, md.line),
            )
    return dict(sorted(questions.items())), problems


def _read_choix(
    path: str, question_id: str, md_nodes: Sequence[MarkdownNode], problems: list[Problem]
) -> list[Choix]:
    choix: list[Choix] = []
    for md in md_nodes:
        fields, errors = validate(ChoixYaml, md.data)
        if not md.yaml_error:
            problems.extend(
                Problem(path, md.line, f"choix « {md.title} » : {message}", question_id)
                for _, message in errors
            )
        if fields is None:
            continue
        first = next((option for option in choix if option.id == fields.id), None)
        if first is not None:
            problems.append(
                Problem(
                    path,
                    md.line,
                    f"Le choix {fields.id} de la question {question_id} est en double (déjà défini en "
                    f"{first.source}) : attendu un id par choix.",
                    question_id,
                )
            )
            continue
        choix.append(Choix(fields.id, md.title or "", fields.ordonnancement, Source(path, md.line)))
    return choix
