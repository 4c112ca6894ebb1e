"""The immutable model of a loaded référentiel folder.

Everything here is plain frozen data: the loader builds it once, the rule language and the scoring
engine only read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

CATEGORIES = ("bases", "mise en œuvre", "effets")
REFERENTIEL_NAMES = ("cae", "eci", "te", "te-test")
QUESTION_TYPES = ("binaire", "proportion", "choix")
REGLE_TYPES = ("desactivation", "reduction", "score")

QuestionType = Literal["binaire", "proportion", "choix"]
RegleType = Literal["desactivation", "reduction", "score"]


def referentiel_id_of(action_id: str) -> str:
    """The référentiel an action id names, by the id's form "<referentiel>_<identifiant>" (a root is
    just "<referentiel>"; référentiel names hold no "_"). Whether it exists: `Referentiels.referentiel_of`."""
    return action_id.split("_", 1)[0]


@dataclass(frozen=True, slots=True)
class Source:
    """Where something was written: a file (relative to the loaded folder) and a 1-based line."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class Action:
    """One node of the action tree: root, axe, sous-axe, mesure, sous-mesure or tâche."""

    id: str  # "<referentiel>_<identifiant>", the root is just "<referentiel>"
    referentiel: str
    identifiant: str  # "" for the root
    nom: str
    points: float  # derived points (spec §1.4), raw doubles
    md_points: float | None  # `points` as written
    md_pourcentage: float | None  # `pourcentage` as written
    categorie: str | None
    parent: str | None
    children: tuple[str, ...]  # natural order (1.2 before 1.10), for people
    depth: int  # root 0, axe 1, …
    sections: Mapping[str, str]  # snake-cased section title → Markdown text
    source: Source

    @property
    def is_leaf(self) -> bool:
        return not self.children


@dataclass(frozen=True, slots=True)
class Referentiel:
    """One référentiel (cae, eci…): its action tree, indexed by action id."""

    id: str
    nom: str
    action_level: int  # depth of the mesures ("actions"): 3 for CAE, 2 for ECI
    actions: Mapping[str, Action]  # every node, root first, then depth by depth

    @property
    def root(self) -> Action:
        return self.actions[self.id]


@dataclass(frozen=True, slots=True)
class Choix:
    id: str
    formulation: str
    ordonnancement: int | None
    source: Source


@dataclass(frozen=True, slots=True)
class Question:
    """A personnalisation question a collectivité answers about itself."""

    id: str
    type: QuestionType
    formulation: str
    description: str
    thematique_id: str
    action_ids: tuple[str, ...]  # sorted
    types_concernes: tuple[str, ...]
    ordonnancement: int | None
    choix: tuple[Choix, ...]  # empty unless type == "choix"
    source: Source


@dataclass(frozen=True, slots=True)
class Regle:
    """One rule of a personnalisation: its type and its formula in the rule language."""

    type: RegleType
    formule: str  # as written, trailing newline included
    description: str
    source: Source  # line of the ```formule block


@dataclass(frozen=True, slots=True)
class Personnalisation:
    """The rules attached to one action (at most one of each type)."""

    action_id: str
    titre: str
    description: str
    regles: tuple[Regle, ...]
    source: Source

    def regle(self, type_: RegleType) -> Regle | None:
        for regle in self.regles:
            if regle.type == type_:
                return regle
        return None


@dataclass(frozen=True, slots=True)
class Preuve:
    """A piece of evidence the label expects for some actions."""

    id: str
    nom: str
    description: str
    action_ids: tuple[str, ...]
    source: Source


@dataclass(frozen=True, slots=True)
class Critere:
    """One criterion of a star: the action whose fait (or fait + programmé) share must reach a minimum."""

    etoile: int
    action_id: str
    libelle: str
    min_fait: float  # share of the action's potentiel
    min_fait_programme: float | None  # share fait + programmé that also meets it, when given
    source: Source


@dataclass(frozen=True, slots=True)
class ConditionsDemande:
    """What a demande needs besides the criteria (the file's `demande:` section)."""

    completude: float  # share of tâches with a statut (theirs or an ancestor's)
    document: str | None  # the document the demande must carry, when one is required
    etoile_min_audit: int  # stars below this are granted without audit
    pilotes: Mapping[str, tuple[str, ...]]  # référentiel id → actions that need a pilote


@dataclass(frozen=True, slots=True)
class Criteres:
    """The label's rules (`labellisation/criteres.yml`): star thresholds, demande conditions, criteria."""

    etoiles: tuple[float, ...]  # minimum share fait of star 1, 2…, increasing
    marge_recommandee: float
    demande: ConditionsDemande
    criteres: Mapping[str, tuple[Critere, ...]]  # référentiel id → its criteria, in file order
    path: str


@dataclass(frozen=True, slots=True)
class Referentiels:
    """A whole loaded folder: the référentiels and what the collectivité answers and proves."""

    referentiels: Mapping[str, Referentiel]
    questions: Mapping[str, Question] = field(default_factory=dict)  # sorted by id
    personnalisations: tuple[Personnalisation, ...] = ()  # sorted by action_id: this is rule order
    preuves: tuple[Preuve, ...] = ()
    thematiques: Mapping[str, str] = field(default_factory=dict)
    path: str = ""
    criteres: Criteres | None = None  # the label's rules, when the folder has them or they were given

    def referentiel_of(self, action_id: str) -> Referentiel | None:
        """The référentiel holding this action, or None when none does."""
        referentiel = self.referentiels.get(referentiel_id_of(action_id))
        return referentiel if referentiel is not None and action_id in referentiel.actions else None

    def action(self, action_id: str) -> Action:
        """The action with this id, whichever référentiel it belongs to (KeyError when none holds it)."""
        referentiel = self.referentiel_of(action_id)
        if referentiel is None:
            raise KeyError(action_id)
        return referentiel.actions[action_id]
