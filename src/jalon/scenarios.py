"""Scenario files: a collectivité's identity, answers and statuts, with expected scores.

The format is the official engine's (spec §4.1)::

    Test: what the scenario shows
    Collectivité: {type: [EPCI], population: [plus_de_20000], localisation: [Metropole]}
    Réponses: {AOM_1: OUI, habitat_2: 0.3}
    Statuts: {cae_1.1.1.1.1: fait, cae_1.1.1.7.2: [0.5, 0.5, 0], cae_1.1.1.4.3: non_concerne}
    Scores: {cae_1.1.1: {point_fait: 3.3}}

Problems are reported with the file, the line and what was expected, all at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from jalon.evaluation import evaluate_state
from jalon.referentiel.errors import Problem
from jalon.referentiel.model import Referentiels
from jalon.regles.evaluate import IDENTITE_VALUES, Reponse
from jalon.regles.reponses import check_reponse
from jalon.scores.engine import ScoreValue
from jalon.scores.statuts import FAIT, NON_CONCERNE, NON_RENSEIGNE, PAS_FAIT, PROGRAMME, Statut

STATUT_VALUES: dict[str, Statut] = {
    "fait": FAIT,
    "programme": PROGRAMME,
    "pas_fait": PAS_FAIT,
    "non_concerne": NON_CONCERNE,
    "non_renseigne": NON_RENSEIGNE,
}
# Spellings the official scenario files use that its runner reads as "renseigné without avancement"
# (spec §4.1): kept so that those files give the official numbers. Note that "pas fait" with a space
# is *not* pas_fait there.
LEGACY_STATUT_VALUES: dict[str, Statut] = {
    "non renseigne": NON_RENSEIGNE,
    "non renseigné": NON_RENSEIGNE,
    "pas fait": NON_RENSEIGNE,
    "desactive": NON_RENSEIGNE,
}

Identite = dict[str, frozenset[str]]


class ScenarioError(Exception):
    """A scenario that cannot be read; carries every problem found in it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Scenario:
    """A collectivité's state, as read from a scenario file or mapping."""

    identite: Identite = field(default_factory=dict)
    reponses: dict[str, Reponse] = field(default_factory=dict)
    statuts: dict[str, Statut] = field(default_factory=dict)
    expected: dict[str, dict[str, Any]] = field(default_factory=dict)
    description: str = ""
    path: str = "<scenario>"
    lines: dict[str, int] = field(default_factory=dict)  # "Scores/<id>/<field>" → line, for reports
    warnings: tuple[str, ...] = ()


def evaluate_scenario(loaded: Referentiels, scenario: Scenario) -> dict[str, dict[str, ScoreValue]]:
    """Scores of every node of every référentiel of ``loaded`` for the scenario's state."""
    return evaluate_state(loaded, scenario.identite, scenario.reponses, scenario.statuts)


def read_scenario(path: str | Path, loaded: Referentiels | None = None) -> Scenario:
    """Read a scenario file; with ``loaded``, action ids and answers are checked against it."""
    path = Path(path)
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ScenarioError(
            [Problem(where, None, f"impossible de lire le fichier de scénario ({error.strerror})")]
        ) from None
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else {}
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(error, "problem", None) or str(error)
        raise ScenarioError([Problem(where, line, f"YAML invalide : {reason}")]) from None
    lines = _key_lines(node) if node is not None else {}
    return parse_scenario(data, loaded, path=where, lines=lines)


def _key_lines(node: yaml.Node) -> dict[str, int]:
    """Line of every key of the two first mapping levels: "Statuts/cae_1.1" → 12."""
    lines: dict[str, int] = {}

    def walk(n: yaml.Node, prefix: str, depth: int) -> None:
        if not isinstance(n, yaml.MappingNode) or depth > 3:
            return
        for key, value in n.value:
            name = f"{prefix}{key.value}"
            lines[name] = key.start_mark.line + 1
            walk(value, name + "/", depth + 1)

    walk(node, "", 1)
    return lines


def parse_scenario(
    data: Any,
    loaded: Referentiels | None = None,
    *,
    path: str = "<scenario>",
    lines: Mapping[str, int] | None = None,
) -> Scenario:
    """Read a scenario mapping (``Collectivité``, ``Réponses``, ``Statuts``, ``Scores``)."""
    lines = dict(lines or {})
    problems: list[Problem] = []
    warnings: list[str] = []

    def problem(key: str, message: str, subject: str | None = None) -> None:
        problems.append(Problem(path, lines.get(key), message, subject))

    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ScenarioError(
            [Problem(path, 1, "un scénario est un dictionnaire avec Collectivité, Réponses, Statuts")]
        )
    known = {"Test", "Collectivité", "Réponses", "Statuts", "Scores"}
    for key in data:
        if key not in known:
            problem(str(key), f"section inconnue {key!r} ; attendu l'une de {', '.join(sorted(known))}")

    identite = _read_identite(data.get("Collectivité"), problem)
    reponses = _read_reponses(data.get("Réponses"), loaded, problem)
    statuts = _read_statuts(data.get("Statuts"), loaded, problem, warnings, lines, path)
    expected = _read_expected(data.get("Scores"), problem)
    if problems:
        raise ScenarioError(problems)
    return Scenario(
        identite=identite,
        reponses=reponses,
        statuts=statuts,
        expected=expected,
        description=str(data.get("Test") or "").strip(),
        path=path,
        lines=lines,
        warnings=tuple(warnings),
    )


def _section(value: Any, name: str, problem: Any) -> Mapping[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problem(name, f"{name} doit être un dictionnaire, pas un {type(value).__name__}")
        return {}
    return value


def _read_identite(value: Any, problem: Any) -> Identite:
    identite: Identite = {}
    for key, tags in _section(value, "Collectivité", problem).items():
        where = f"Collectivité/{key}"
        if key not in IDENTITE_VALUES:
            problem(where, f"clé d'identité inconnue {key!r} ; attendu type, population ou localisation")
            continue
        tag_list = [tags] if isinstance(tags, str) else tags
        if not isinstance(tag_list, list) or not all(isinstance(t, str) for t in tag_list):
            problem(where, f"{key} doit être une liste d'étiquettes, pas {tags!r}")
            continue
        for tag in tag_list:
            if tag not in IDENTITE_VALUES[key]:
                problem(
                    where,
                    f"{tag!r} n'est pas une valeur de {key} ; "
                    f"attendu l'une de {', '.join(IDENTITE_VALUES[key])}",
                )
        identite[key] = frozenset(tag_list)
    return identite


def reponse_value(value: Any) -> Reponse | None:
    """An answer as the rules see it: YAML booleans are OUI/NON, numbers are floats."""
    if isinstance(value, bool):
        return "OUI" if value else "NON"
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return value
    return None


def _read_reponses(value: Any, loaded: Referentiels | None, problem: Any) -> dict[str, Reponse]:
    reponses: dict[str, Reponse] = {}
    for key, raw in _section(value, "Réponses", problem).items():
        where = f"Réponses/{key}"
        question_id = str(key)
        answer = reponse_value(raw)
        if answer is None:
            problem(
                where,
                f"une réponse est OUI, NON, l'identifiant d'un choix ou un nombre, pas {raw!r}",
                question_id,
            )
            continue
        if loaded is not None:
            message = check_reponse(loaded, question_id, answer)
            if message:
                problem(where, message, question_id)
                continue
        reponses[question_id] = answer
    return reponses


def statut_value(raw: Any) -> Statut | str:
    """The statut a scenario value stands for, or the reason it stands for none."""
    if isinstance(raw, str):
        statut = STATUT_VALUES.get(raw) or LEGACY_STATUT_VALUES.get(raw)
        if statut is None:
            return (
                f"statut inconnu {raw!r} ; attendu {', '.join(STATUT_VALUES)} ou [fait, programmé, pas fait]"
            )
        return statut
    if isinstance(raw, list) and len(raw) == 3:
        if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in raw):
            return f"un statut détaillé est fait de trois nombres [fait, programmé, pas fait], pas {raw!r}"
        try:
            return Statut.detaille(*raw)
        except ValueError as error:
            return str(error)
    return f"statut inconnu {raw!r} ; attendu {', '.join(STATUT_VALUES)} ou [fait, programmé, pas fait]"


def _read_statuts(
    value: Any,
    loaded: Referentiels | None,
    problem: Any,
    warnings: list[str],
    lines: Mapping[str, int],
    path: str,
) -> dict[str, Statut]:
    statuts: dict[str, Statut] = {}
    for key, raw in _section(value, "Statuts", problem).items():
        where = f"Statuts/{key}"
        action_id = str(key)
        if loaded is not None and loaded.referentiel_of(action_id) is None:
            problem(where, "action inconnue", action_id)
            continue
        statut = statut_value(raw)
        if isinstance(statut, str):
            problem(where, statut, action_id)
            continue
        if isinstance(raw, str) and raw in LEGACY_STATUT_VALUES:
            line = lines.get(where)
            at = f"{path}:{line}" if line else path
            warnings.append(
                f"{at}: {action_id}: {raw!r} est lu comme un statut sans avancement (non renseigné)"
            )
        statuts[action_id] = statut
    return statuts


def _read_expected(value: Any, problem: Any) -> dict[str, dict[str, Any]]:
    expected: dict[str, dict[str, Any]] = {}
    for key, fields in _section(value, "Scores", problem).items():
        if not isinstance(fields, Mapping):
            problem(f"Scores/{key}", "les scores attendus sont un dictionnaire champ → valeur", str(key))
            continue
        expected[str(key)] = {str(k): v for k, v in fields.items() if k != "test"}
    return expected
