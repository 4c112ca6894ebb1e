"""Load a whole référentiel folder into the immutable model, or report every problem in it at once.

Layout: one subfolder per référentiel (`cae/`, `eci/`…: Markdown action files, one of them holding the
root), plus optional `questions/`, `personnalisations/`, `preuves/` and `thematiques/thematiques.md`,
and the label's rules in `labellisation/criteres.yml` (or a criteria file given explicitly).
The folder may also be a single référentiel folder, or a single Markdown file holding a whole référentiel.

The rule formulas are read here but checked by the rule language (`jalon.regles`), which this package does
not import: `jalon.loading.load` passes its check in as `check_rules`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from jalon.referentiel.actions import (
    ACTION_KEYWORDS,
    ACTIONS,
    Assembly,
    assemble_referentiel,
    looks_like_actions,
)
from jalon.referentiel.criteres import CRITERES_FILE, read_criteres
from jalon.referentiel.errors import Problem, ReferentielError
from jalon.referentiel.markdown import MarkdownNode, parse_markdown, read_source
from jalon.referentiel.model import (
    Criteres,
    Personnalisation,
    Preuve,
    Question,
    Referentiel,
    Referentiels,
    referentiel_id_of,
)
from jalon.referentiel.personnalisations import PERSONNALISATION_KEYWORDS, REGLES, read_personnalisations
from jalon.referentiel.preuves import PREUVE_KEYWORDS, read_preuves
from jalon.referentiel.questions import CHOIX, QUESTION_KEYWORDS, read_questions

QUESTIONS = "questions"
PERSONNALISATIONS = "personnalisations"
PREUVES = "preuves"
THEMATIQUES = "thematiques"
LABELLISATION = "labellisation"
_NOT_REFERENTIELS = frozenset({QUESTIONS, PERSONNALISATIONS, PREUVES, THEMATIQUES, LABELLISATION})
_THEMATIQUES_EXPECTED = "attendu un bloc yaml `thematiques:` de lignes `identifiant: libellé`"

Parsed = list[tuple[str, list[MarkdownNode]]]  # (path relative to the loaded folder, top-level nodes)
# Every problem of the rules' formulas, given the questions (`jalon.regles.check_personnalisations`).
RulesCheck = Callable[[Sequence[Personnalisation], Mapping[str, Question]], list[Problem]]


@dataclass(frozen=True, slots=True)
class _KnownActions:
    """The action ids questions, rules and preuves may name."""

    ids: frozenset[str]
    # Référentiels where some identifiant could not be read (reported): any of their ids is let through,
    # rather than reporting every reference to the unreadable one again.
    unchecked: frozenset[str]

    def __contains__(self, action_id: object) -> bool:
        if action_id in self.ids:
            return True
        return isinstance(action_id, str) and referentiel_id_of(action_id) in self.unchecked


def _markdown_files(folder: Path, prefix: str) -> list[tuple[str, Path]]:
    files = sorted(file for file in folder.iterdir() if file.suffix == ".md" and file.is_file())
    return [(f"{prefix}{file.name}", file) for file in files]


def _parse(
    files: list[tuple[str, Path]], keywords: frozenset[str], initial_keyword: str, problems: list[Problem]
) -> Parsed:
    parsed: Parsed = []
    for path, file in files:
        text = read_source(file, path)
        if isinstance(text, Problem):
            problems.append(text)
            continue
        md_nodes, found = parse_markdown(text, path, keywords, initial_keyword)
        problems.extend(found)
        parsed.append((path, md_nodes))
    return parsed


def _action_folders(base: Path, problems: list[Problem]) -> list[tuple[str, Parsed]]:
    """The référentiel folders (name shown in messages, parsed files) under `base`, or `base` itself."""
    if base.is_file():
        candidates = [(base.name, [(base.name, base)])]
    else:
        candidates = [
            (folder.name, _markdown_files(folder, f"{folder.name}/"))
            for folder in sorted(base.iterdir())
            if folder.is_dir() and folder.name not in _NOT_REFERENTIELS and not folder.name.startswith(".")
        ]
    found: list[tuple[str, Parsed]] = []
    for name, files in candidates:
        folder_problems: list[Problem] = []
        parsed = _parse(files, ACTION_KEYWORDS, ACTIONS, folder_problems)
        if base.is_file() or any(looks_like_actions(md_nodes) for _, md_nodes in parsed):
            problems.extend(folder_problems)
            found.append((name, parsed))
    if not found and base.is_dir():
        # Files beside subfolders (a README, a lone mesure) are not a référentiel unless nothing else is.
        folder_problems = []
        parsed = _parse(_markdown_files(base, ""), ACTION_KEYWORDS, ACTIONS, folder_problems)
        if any(looks_like_actions(md_nodes) for _, md_nodes in parsed):
            problems.extend(folder_problems)
            found.append((base.name or str(base), parsed))
    return found


def _read_thematiques(path: str, md_nodes: list[MarkdownNode]) -> tuple[dict[str, str], list[Problem]]:
    for md in md_nodes:
        if THEMATIQUES in md.data:
            value = md.data[THEMATIQUES]
            if isinstance(value, dict) and all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                return dict(value), []
            message = f"`thematiques` n'est pas un dictionnaire de textes : {_THEMATIQUES_EXPECTED}."
            return {}, [Problem(path, md.yaml_line or md.line, message)]
    return {}, [Problem(path, None, f"Aucun bloc yaml `thematiques:` : {_THEMATIQUES_EXPECTED}.")]


def load_referentiels(
    path: str | Path, check_rules: RulesCheck | None = None, criteres: str | Path | None = None
) -> Referentiels:
    """Read a référentiel folder (see the module docstring); raise ReferentielError with every problem.

    ``criteres``: a criteria file to use instead of the folder's `labellisation/criteres.yml`.

    ``check_rules`` reports the problems of the formulas among the others; without it (this package's
    own tests) formulas are read but not checked. Use ``jalon.loading.load``, which passes it.
    """
    base = Path(path)
    if not base.exists():
        raise ReferentielError(
            [
                Problem(
                    str(path),
                    None,
                    f"{path} n'existe pas : attendu un dossier de référentiels (cae/, eci/, questions/…) "
                    "ou un fichier Markdown de référentiel.",
                )
            ]
        )
    problems: list[Problem] = []
    assemblies: list[Assembly] = []
    for name, parsed in _action_folders(base, problems):
        assemblies.append(assemble_referentiel(name, parsed))
    if not assemblies:
        problems.append(
            Problem(
                str(path),
                None,
                f"Aucun référentiel trouvé dans {path} : attendu des sous-dossiers (cae/, eci/…) de fichiers "
                'Markdown d\'actions, dont une action racine (`identifiant: ""`, `referentiel: cae`).',
            )
        )
    referentiels: dict[str, Referentiel] = {}
    declared: dict[str, Assembly] = {}
    for assembly in assemblies:
        problems.extend(assembly.problems)
        first = declared.setdefault(assembly.referentiel_id, assembly)
        if first is not assembly and assembly.root_source is not None:
            problems.append(
                Problem(
                    assembly.root_source.path,
                    assembly.root_source.line,
                    f"Le référentiel {assembly.referentiel_id} est déjà défini en {first.root_source} : "
                    "attendu un seul dossier par référentiel.",
                    assembly.referentiel_id,
                )
            )
        elif assembly.referentiel is not None:
            referentiels[assembly.referentiel_id] = assembly.referentiel

    # Without any référentiel (reported), references to actions cannot be checked.
    action_ids = None
    if assemblies:
        action_ids = _KnownActions(
            frozenset().union(*(assembly.action_ids for assembly in assemblies)),
            frozenset(assembly.referentiel_id for assembly in assemblies if not assembly.all_ids_read),
        )
    folder = base if base.is_dir() else None
    questions: dict[str, Question] = {}
    personnalisations: tuple[Personnalisation, ...] = ()
    rules_problems: list[Problem] = []
    if folder is not None and (folder / QUESTIONS).is_dir():
        files = _markdown_files(folder / QUESTIONS, f"{QUESTIONS}/")
        questions, found = read_questions(_parse(files, QUESTION_KEYWORDS, CHOIX, rules_problems), action_ids)
        rules_problems.extend(found)
    if folder is not None and (folder / PERSONNALISATIONS).is_dir():
        files = _markdown_files(folder / PERSONNALISATIONS, f"{PERSONNALISATIONS}/")
        parsed = _parse(files, PERSONNALISATION_KEYWORDS, REGLES, rules_problems)
        personnalisations, found = read_personnalisations(parsed, action_ids)
        rules_problems.extend(found)
    if check_rules is not None and not rules_problems and personnalisations:
        # Formulas are checked against sound questions only: otherwise every rule using a broken
        # question would be reported too.
        rules_problems.extend(check_rules(personnalisations, questions))
    problems.extend(rules_problems)

    preuves: tuple[Preuve, ...] = ()
    if folder is not None and (folder / PREUVES).is_dir():
        files = _markdown_files(folder / PREUVES, f"{PREUVES}/")
        preuves, found = read_preuves(_parse(files, PREUVE_KEYWORDS, "", problems), action_ids)
        problems.extend(found)

    thematiques: dict[str, str] = {}
    thematiques_file = folder / THEMATIQUES / "thematiques.md" if folder is not None else None
    if thematiques_file is not None and thematiques_file.is_file():
        path_shown = f"{THEMATIQUES}/{thematiques_file.name}"
        for shown, md_nodes in _parse([(path_shown, thematiques_file)], frozenset(), "", problems):
            thematiques, found = _read_thematiques(shown, md_nodes)
            problems.extend(found)

    criteres_read: Criteres | None = None
    criteres_file = Path(criteres) if criteres is not None else None
    shown = str(criteres)
    if criteres_file is None and folder is not None and (folder / CRITERES_FILE).is_file():
        criteres_file, shown = folder / CRITERES_FILE, CRITERES_FILE
    if criteres_file is not None:
        text = read_source(criteres_file, shown)
        if isinstance(text, Problem):
            problems.append(text)
        else:
            by_referentiel = {
                assembly.referentiel_id: frozenset(assembly.action_ids) for assembly in assemblies
            }
            criteres_read, found = read_criteres(text, shown, by_referentiel)
            problems.extend(found)

    if problems:
        raise ReferentielError(sorted(problems, key=lambda problem: (problem.path, problem.line or 0)))
    return Referentiels(
        referentiels=referentiels,
        questions=questions,
        personnalisations=personnalisations,
        preuves=preuves,
        thematiques=thematiques,
        path=str(path),
        criteres=criteres_read,
    )
