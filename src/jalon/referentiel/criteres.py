"""Read the label's rules (`labellisation/criteres.yml`): star thresholds, demande conditions, criteria.

The file is parsed with PyYAML (the node tree keeps each key's line) and its shape checked with pydantic;
then what pydantic cannot know is checked against the loaded référentiels (action ids, référentiel ids,
stars and shares in range, thresholds increasing). Every problem is reported at once, as ``file:line``.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from itertools import pairwise
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jalon.referentiel.errors import Problem
from jalon.referentiel.model import ConditionsDemande, Critere, Criteres, Source

CRITERES_FILE = "labellisation/criteres.yml"
MAX_ETOILE = 5

Path_ = tuple[str, ...]
_M = TypeVar("_M", bound=BaseModel)


class _Critere(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    etoile: int
    action: str
    libelle: str
    min_fait: float
    min_fait_programme: float | None = None


class _Demande(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    completude: float = 1.0
    document: str | None = None
    etoile_min_audit: int = 2
    pilotes: dict[str, list[str]] = Field(default_factory=dict)


class _Fichier(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    etoiles: dict[int, float]
    marge_recommandee: float = 0.0
    # Validated part by part below, so that a broken criterion does not hide the problems of the others.
    demande: dict[str, Any] = Field(default_factory=dict)
    criteres: dict[str, list[dict[str, Any]]]


_KEYS = {
    "": _Fichier.model_fields,
    "demande": _Demande.model_fields,
    "critere": _Critere.model_fields,
}
_TYPES = {
    "int_type": "attendu un nombre entier",
    "int_parsing": "attendu un nombre entier",
    "int_from_float": "attendu un nombre entier",
    "float_type": "attendu un nombre",
    "float_parsing": "attendu un nombre",
    "string_type": "attendu un texte",
    "dict_type": "attendu un dictionnaire yaml (lignes `clé: valeur`)",
    "model_type": "attendu un dictionnaire yaml (lignes `clé: valeur`)",
    "list_type": "attendu une liste yaml",
}


def _lines(node: yaml.Node, path: Path_, out: dict[Path_, int]) -> None:
    """The 1-based line of every key and list item, by its path of keys (as written) and indexes."""
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = (*path, str(key.value))
            out[sub] = key.start_mark.line + 1
            _lines(value, sub, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, (*path, str(index)), out)


def _line(lines: Mapping[Path_, int], path: Path_) -> int | None:
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path)


def _translated(error: Mapping[str, Any], prefix: Path_ = ()) -> tuple[Path_, str]:
    """A pydantic error as (path of keys, French message)."""
    loc = prefix + tuple(str(part) for part in error["loc"] if part != "[key]")
    kind = error["type"]
    if kind == "extra_forbidden":
        parent = loc[:-1]
        which = "critere" if len(parent) == 3 and parent[0] == "criteres" else "/".join(parent[:1])
        allowed = ", ".join(f"`{key}`" for key in _KEYS.get(which, {}))
        return loc, f"clé inconnue `{loc[-1]}` : attendu l'une de {allowed}."
    if kind == "missing":
        return loc, f"`{loc[-1]}` manque : ce champ est obligatoire."
    expected = _TYPES.get(kind, f"valeur refusée ({error['msg']})")
    return loc, f"{expected}, trouvé {error.get('input')!r}."


def read_criteres(
    text: str,
    path: str,
    actions: Mapping[str, Container[str]],
) -> tuple[Criteres | None, list[Problem]]:
    """Read a criteria file (`path`: as shown to people) against the loaded référentiels' action ids.

    ``actions``: référentiel id → the ids of its actions.
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        reason = getattr(error, "problem", None) or str(error).splitlines()[0]
        line = mark.line + 1 if mark is not None else None
        return None, [Problem(path, line, f"Erreur dans le formatage du yaml : {reason}.")]
    lines: dict[Path_, int] = {}
    if node is not None:
        _lines(node, (), lines)
    if not isinstance(raw, dict):
        message = "attendu un dictionnaire yaml avec `etoiles`, `marge_recommandee`, `demande` et `criteres`."
        return None, [Problem(path, 1, message)]
    problems: list[Problem] = []

    def report(where: Path_, message: str, subject: str | None = None) -> None:
        problems.append(Problem(path, _line(lines, where), message, subject or ".".join(where) or None))

    def validated(model: type[_M], data: Any, prefix: Path_, subject: str | None = None) -> _M | None:
        try:
            return model.model_validate(data)
        except ValidationError as error:
            for found in error.errors():
                loc, message = _translated(found, prefix)
                report(loc, message, subject)
        if not isinstance(data, dict):
            return None
        # Without its unknown keys (reported), the rest is still checked below.
        try:
            return model.model_validate({k: v for k, v in data.items() if k in model.model_fields})
        except ValidationError:
            return None

    fichier = validated(_Fichier, raw, ())
    if fichier is None:
        return None, problems

    def share(where: Path_, value: float, subject: str | None = None) -> None:
        if not 0.0 <= value <= 1.0:
            report(where, f"attendu une part entre 0 et 1 (0.35 pour 35 %), trouvé {value!r}.", subject)

    etoiles = fichier.etoiles
    for star, threshold in etoiles.items():
        if not 1 <= star <= MAX_ETOILE:
            report(("etoiles", str(star)), f"étoile {star} : attendu une étoile de 1 à {MAX_ETOILE}.")
        share(("etoiles", str(star)), threshold)
    stars = sorted(etoiles)
    if stars != list(range(1, len(stars) + 1)):
        report(("etoiles",), f"attendu les étoiles 1 à {len(stars) or 1} sans trou, trouvé {stars}.")
    for below, above in pairwise(stars):
        if etoiles[above] <= etoiles[below]:
            report(
                ("etoiles", str(above)),
                f"le seuil de l'étoile {above} ({etoiles[above]!r}) doit dépasser celui de l'étoile "
                f"{below} ({etoiles[below]!r}) : attendu des seuils croissants.",
            )
    share(("marge_recommandee",), fichier.marge_recommandee)
    demande = validated(_Demande, fichier.demande, ("demande",)) or _Demande()
    share(("demande", "completude"), demande.completude)
    if demande.etoile_min_audit not in etoiles:
        report(
            ("demande", "etoile_min_audit"),
            f"étoile {demande.etoile_min_audit} inconnue : attendu l'une des étoiles de `etoiles` {stars}.",
        )

    def known(where: Path_, referentiel_id: str, action_id: str) -> bool:
        if referentiel_id not in actions:
            return True  # the référentiel itself is reported
        if action_id not in actions[referentiel_id]:
            report(where, f"action inconnue du référentiel {referentiel_id}.", action_id)
            return False
        return True

    def loaded_referentiel(where: Path_, referentiel_id: str) -> None:
        if referentiel_id not in actions:
            loaded = ", ".join(sorted(actions)) or "aucun"
            report(where, f"référentiel non chargé : attendu l'un de {loaded}.", referentiel_id)

    for referentiel_id, action_ids in demande.pilotes.items():
        loaded_referentiel(("demande", "pilotes", referentiel_id), referentiel_id)
        for index, action_id in enumerate(action_ids):
            known(("demande", "pilotes", referentiel_id, str(index)), referentiel_id, action_id)

    criteres: dict[str, tuple[Critere, ...]] = {}
    for referentiel_id, entries in fichier.criteres.items():
        loaded_referentiel(("criteres", referentiel_id), referentiel_id)
        seen: dict[tuple[int, str], int] = {}
        out: list[Critere] = []
        for index, item in enumerate(entries):
            where = ("criteres", referentiel_id, str(index))
            subject = item.get("action") if isinstance(item.get("action"), str) else None
            entry = validated(_Critere, item, where, subject)
            if entry is None:
                continue
            if entry.etoile not in etoiles:
                report(
                    (*where, "etoile"),
                    f"étoile {entry.etoile} : attendu l'une des étoiles de `etoiles` {stars}.",
                    subject,
                )
            known(where, referentiel_id, entry.action)
            share((*where, "min_fait"), entry.min_fait, subject)
            if entry.min_fait_programme is not None:
                share((*where, "min_fait_programme"), entry.min_fait_programme, subject)
            first = seen.setdefault((entry.etoile, entry.action), _line(lines, where) or 0)
            if first != (_line(lines, where) or 0):
                report(
                    where,
                    f"deuxième critère de l'étoile {entry.etoile} pour cette action "
                    f"(le premier ligne {first}) : attendu un critère par action et par étoile.",
                    subject,
                )
            source = Source(path, _line(lines, where) or 1)
            out.append(
                Critere(
                    entry.etoile,
                    entry.action,
                    entry.libelle,
                    entry.min_fait,
                    entry.min_fait_programme,
                    source,
                )
            )
        criteres[referentiel_id] = tuple(out)
    if problems:
        return None, problems
    conditions = ConditionsDemande(
        completude=demande.completude,
        document=demande.document,
        etoile_min_audit=demande.etoile_min_audit,
        pilotes={ref: tuple(ids) for ref, ids in demande.pilotes.items()},
    )
    thresholds = tuple(etoiles[star] for star in stars)
    return Criteres(thresholds, fichier.marge_recommandee, conditions, criteres, path), []
