"""The YAML blocks of each content type, validated with pydantic, errors told in French."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Number = Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]


class ActionYaml(BaseModel):
    """The keys of an action's yaml block besides `identifiant` (read apart, from its source text)."""

    model_config = ConfigDict(extra="ignore")  # climat_pratic_id, pointsDOM… are not ours

    points: Number | None = None
    pourcentage: Number | None = None
    categorie: Literal["bases", "mise en œuvre", "effets"] | None = None
    referentiel: Literal["cae", "eci", "te", "te-test"] | None = None
    thematique_id: str | None = None


class QuestionYaml(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    type: Literal["binaire", "proportion", "choix"]
    thematique_id: str
    actions: list[str] = []
    types_concernes: list[Literal["EPCI", "commune"]] = []
    ordonnancement: Annotated[int, Field(strict=True)] | None = None


class ChoixYaml(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    ordonnancement: Annotated[int, Field(strict=True)] | None = None


class PersonnalisationYaml(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action_id: str


class PreuveYaml(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    actions: list[str]


Model = TypeVar("Model", bound=BaseModel)


def validate(model: type[Model], data: dict[Any, Any]) -> tuple[Model | None, list[tuple[str, str]]]:
    """The validated block and one (key, French message) per wrong key.

    The wrong keys are left out and the rest validated again, so that one bad value does not hide the
    others; the block is None only when a required key is wrong or missing.
    """
    try:
        return model.model_validate(data), []
    except ValidationError as error:
        details = error.errors(include_url=False)
    allowed = ", ".join(f"`{name}`" for name in model.model_fields)
    problems = [
        (str(detail["loc"][0]) if detail["loc"] else "", _message(detail, allowed)) for detail in details
    ]
    wrong = {detail["loc"][0] for detail in details if detail["loc"]}
    try:
        return model.model_validate({k: v for k, v in data.items() if k not in wrong}), problems
    except ValidationError:
        return None, problems


def _message(detail: Any, allowed: str) -> str:
    loc = detail["loc"]
    key = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
    found = detail.get("input")
    kind = detail["type"]
    if kind == "missing":
        return f"`{key}` manquant : attendu une ligne `{key}: …` dans le bloc yaml"
    if kind == "extra_forbidden":
        return f"clé `{key}` inconnue : clés attendues {allowed}"
    if kind == "literal_error":
        expected = str(detail.get("ctx", {}).get("expected", "")).replace(" or ", " ou ")
        return f"`{key}` vaut {found!r} : attendu {expected}"
    kinds = {
        "float_type": "un nombre",
        "finite_number": "un nombre fini",
        "greater_than_equal": "un nombre positif ou nul",
        "string_type": "un texte",
        "int_type": "un nombre entier",
        "list_type": "une liste, par exemple [a, b]",
    }
    if kind in kinds:
        return f"`{key}` vaut {found!r} : attendu {kinds[kind]}"
    return f"`{key}` : {detail['msg']}"
