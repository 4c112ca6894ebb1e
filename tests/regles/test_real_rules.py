"""The official rules and questions (read from the shared folder, never copied): they all parse, pass the
checker, and the rules named in the spec give the documented results."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

from jalon.loading import load
from jalon.referentiel.model import Choix, Personnalisation, Question, QuestionType, Regle, RegleType, Source
from jalon.regles import (
    IDENTITE_VALUES,
    Reponse,
    check_personnalisations,
    evaluate_consequences,
    parse_formule,
)
from tests.conftest import REFERENTIELS

# A tiny reader of the two Markdown formats (spec §1.6, §1.7): enough to get the rules and questions.

_REGLE_TYPES: dict[str, RegleType] = {
    "Désactivation": "desactivation",
    "Réduction de potentiel": "reduction",
    "Score réalisé": "score",
}
_FENCE = re.compile(r"^```(\w+)\s*$")


def _blocks(path: Path) -> Iterator[tuple[str, int, str]]:
    """(kind, 1-based line, content) of each heading (kind "#", "##"…, content the title) and fenced block
    (kind the fence language: yaml, formule)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        heading = re.match(r"^(#{1,6}) (.*)$", lines[i])
        fence = _FENCE.match(lines[i])
        if heading:
            yield heading.group(1), i + 1, heading.group(2).strip()
        elif fence:
            end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
            yield fence.group(1), i + 1, "\n".join(lines[i + 1 : end]) + "\n"
            i = end
        i += 1


def read_personnalisations(folder: Path) -> list[Personnalisation]:
    found: list[Personnalisation] = []
    for path in sorted((folder / "personnalisations").glob("*.md")):
        relative = str(path.relative_to(folder))
        regle_type: RegleType | None = None
        for kind, at, content in _blocks(path):
            if kind == "#":
                found.append(Personnalisation("", content, "", (), Source(relative, at)))
            elif kind == "yaml":
                found[-1] = replace(found[-1], action_id=yaml.safe_load(content)["action_id"])
            elif kind == "###":
                regle_type = _REGLE_TYPES[content]
            elif kind == "formule":
                assert regle_type is not None, f"{relative}:{at}: formule without a rule title"
                regle = Regle(regle_type, content, "", Source(relative, at))
                found[-1] = replace(found[-1], regles=(*found[-1].regles, regle))
    return found


def read_questions(folder: Path) -> dict[str, Question]:
    raw: list[dict[str, Any]] = []
    for path in sorted((folder / "questions").glob("*.md")):
        relative = str(path.relative_to(folder))
        titre = ""
        for kind, at, content in _blocks(path):
            if kind == "#":
                titre = content
            elif kind == "yaml":
                data = yaml.safe_load(content)
                if "type" in data:  # a question; a yaml block with only an id is one of its choix
                    raw.append({**data, "formulation": titre, "source": Source(relative, at), "choix": []})
                else:
                    raw[-1]["choix"].append(Choix(data["id"], "", None, Source(relative, at)))
    return {
        q["id"]: Question(
            id=q["id"],
            type=cast(QuestionType, q["type"]),
            formulation=q["formulation"],
            description="",
            thematique_id=q["thematique_id"],
            action_ids=tuple(sorted(q.get("actions") or ())),
            types_concernes=tuple(q.get("types_concernes") or ()),
            ordonnancement=q.get("ordonnancement"),
            choix=tuple(q["choix"]),
            source=q["source"],
        )
        for q in raw
    }


@pytest.fixture(scope="module")
def personnalisations() -> list[Personnalisation]:
    return read_personnalisations(REFERENTIELS)


@pytest.fixture(scope="module")
def questions() -> dict[str, Question]:
    return read_questions(REFERENTIELS)


@pytest.fixture(scope="module")
def by_action(personnalisations: list[Personnalisation]) -> dict[str, Personnalisation]:
    return {p.action_id: p for p in personnalisations}


def test_the_reader_finds_every_rule_and_question(
    personnalisations: list[Personnalisation], questions: dict[str, Question]
) -> None:
    # Counts from the spec (§1.6, §1.7) for the studied markdown.
    assert len(personnalisations) == 105
    assert len({p.action_id for p in personnalisations}) == 105
    assert len(questions) == 53
    # One heading has a `## Règles` section but no rule: it still gets an (all-None) consequence.
    assert [p.action_id for p in personnalisations if not p.regles] == ["cae_3.2.1.1"]


def test_the_official_rules_have_no_checker_problem(
    personnalisations: list[Personnalisation], questions: dict[str, Question]
) -> None:
    assert [str(problem) for problem in check_personnalisations(personnalisations, questions)] == []


def test_every_official_formula_prints_back_to_the_same_tree(
    personnalisations: list[Personnalisation],
) -> None:
    for regle in (regle for p in personnalisations for regle in p.regles):
        formule = parse_formule(regle.formule)
        assert parse_formule(str(formule)) == formule, regle.source


def _answers(questions: dict[str, Question]) -> Iterator[dict[str, Reponse]]:
    """A few whole questionnaires: nothing answered, all yes, all no, first or last option, shares."""
    yield {}
    for binaire, index, share in itertools.product(("OUI", "NON"), (0, -1), (0.0, 0.3, 1.0)):
        answers: dict[str, Reponse] = {}
        for question in questions.values():
            if question.type == "binaire":
                answers[question.id] = binaire
            elif question.type == "choix":
                answers[question.id] = question.choix[index].id
            else:
                answers[question.id] = share
        yield answers


def _identites() -> Iterator[dict[str, frozenset[str]]]:
    """No identité, then every type and localisation for a small and a large population."""
    small = frozenset(tag for tag in IDENTITE_VALUES["population"] if tag.startswith("moins_de_"))
    large = frozenset({"plus_de_3000", "plus_de_20000", "plus_de_100000"})
    yield {}
    for type_, localisation, population in itertools.product(
        IDENTITE_VALUES["type"], IDENTITE_VALUES["localisation"], (small, large)
    ):
        yield {
            "type": frozenset({type_}),
            "localisation": frozenset({localisation}),
            "population": population,
        }


def test_every_official_rule_evaluates_for_many_collectivites(
    personnalisations: list[Personnalisation], questions: dict[str, Question]
) -> None:
    for reponses, identite in itertools.product(list(_answers(questions)), list(_identites())):
        consequences = evaluate_consequences(personnalisations, reponses, identite)
        assert list(consequences) == [p.action_id for p in personnalisations]
        for consequence in consequences.values():
            assert consequence.desactive in (True, False, None)
            assert consequence.potentiel_perso is None or isinstance(consequence.potentiel_perso, float)


def _reduction(by_action: dict[str, Personnalisation], action_id: str, **kwargs: Any) -> float | None:
    return evaluate_consequences([by_action[action_id]], **kwargs)[action_id].potentiel_perso


@pytest.mark.parametrize(
    ("dechets", "expected"),
    [
        (("OUI", "OUI", "OUI"), 1.0),
        (("NON", "NON", "NON"), 2 / 10),
        (("NON", "OUI", "OUI"), 0.75),
        (("OUI", "OUI", "NON"), 0.75),
    ],
)
def test_cae_1_2_3_follows_the_waste_competences(
    by_action: dict[str, Personnalisation], dechets: tuple[str, str, str], expected: float
) -> None:
    reponses: dict[str, Reponse] = {f"dechets_{i}": answer for i, answer in enumerate(dechets, start=1)}
    assert _reduction(by_action, "cae_1.2.3", reponses=reponses, identite={}) == expected


def test_cae_1_2_3_without_answers_has_no_reduction(by_action: dict[str, Personnalisation]) -> None:
    assert _reduction(by_action, "cae_1.2.3", reponses={}, identite={}) is None


@pytest.mark.parametrize(
    ("non", "expected"),
    [
        ((), 1.0),
        (("elec", "gaz", "chaleur"), 2 / 10),
        (("elec", "gaz"), 4 / 10),
        (("elec", "chaleur"), 3 / 10),
        (("gaz", "chaleur"), 3 / 10),
        (("elec",), 7 / 10),
        (("gaz",), 7 / 10),
        (("chaleur",), 6 / 10),
    ],
)
def test_cae_3_1_1_chains_the_energy_authorities(
    by_action: dict[str, Personnalisation], non: tuple[str, ...], expected: float
) -> None:
    reponses: dict[str, Reponse] = {
        f"AOD_{energy}": "NON" if energy in non else "OUI" for energy in ("elec", "gaz", "chaleur")
    }
    assert _reduction(by_action, "cae_3.1.1", reponses=reponses, identite={}) == expected


@pytest.mark.parametrize(
    ("type_", "reponses", "expected"),
    [
        ("EPCI", {"habitat_1": "NON"}, 8 / 12),
        ("EPCI", {"habitat_1": "OUI"}, None),
        ("commune", {"habitat_2": 0.3}, 0.5),
        ("commune", {"habitat_2": 0.7}, 0.7),
        ("commune", {}, None),  # the share is not answered yet: no reduction rather than an error
        ("syndicat", {"habitat_1": "NON", "habitat_2": 0.3}, None),
    ],
)
def test_cae_1_2_4_depends_on_type_and_habitat(
    by_action: dict[str, Personnalisation], type_: str, reponses: dict[str, Reponse], expected: float | None
) -> None:
    identite = {"type": {type_}}
    assert _reduction(by_action, "cae_1.2.4", reponses=reponses, identite=identite) == expected


@pytest.mark.parametrize(
    ("identite", "expected"),
    [({"type": {"syndicat"}}, False), ({"type": {"commune"}}, True), ({}, True)],
)
def test_eci_1_2_4_is_desactivated_except_for_syndicats(
    by_action: dict[str, Personnalisation], identite: dict[str, set[str]], expected: bool
) -> None:
    consequence = evaluate_consequences([by_action["eci_1.2.4"]], {}, identite)["eci_1.2.4"]
    assert consequence.desactive is expected


def test_cae_3_3_5_defers_its_score_to_phase_6(by_action: dict[str, Personnalisation]) -> None:
    consequence = evaluate_consequences([by_action["cae_3.3.5"]], {}, {})["cae_3.3.5"]
    assert consequence.score_formule == "min(score(cae_1.2.3), score(cae_3.3.5))"


def test_the_loader_reads_the_same_rules_and_finds_no_problem(
    personnalisations: list[Personnalisation], questions: dict[str, Question]
) -> None:
    # jalon.load runs check_personnalisations on what the référentiel loader reads, and raises on any problem.
    loaded = load(REFERENTIELS)

    def rules(found: Iterable[Personnalisation]) -> list[tuple[str, str, str, Source]]:
        return [(p.action_id, r.type, r.formule, r.source) for p in found for r in p.regles]

    assert sorted(rules(loaded.personnalisations)) == sorted(rules(personnalisations))
    assert sorted(loaded.questions) == sorted(questions)
