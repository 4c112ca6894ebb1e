"""Load a whole référentiel folder into the immutable model, or report every problem in it at once.

Layout: one subfolder per référentiel (`cae/`, `eci/`…: Markdown action files, one of them holding the
root), plus optional `questions/`, `personnalisations/`, `preuves/` and `thematiques/thematiques.md`,
and the label's rules in `labellisation/criteres.yml` (or a criteria file given explicitly).
The folder may also be a single référentiel folder, or a single Markdown file holding a whole référentiel.

There is one way of loading: the folder's files are read into a mapping (relative path → text,
`read_folder`), and the mapping is loaded (`load_files`); the web application loads a stored version's
files the same way, without writing them anywhere.

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

# A référentiel folder's files: path relative to the folder ("cae/cae.md") → its text, or the problem
# that prevented reading it (reported when the loader needs that file).
Files = Mapping[str, str | Problem]
Parsed = list[tuple[str, list[MarkdownNode]]]  # (path relative to the loaded folder, top-level nodes)
# Every problem of the rules' formulas, given the questions (`jalon.regles.check_personnalisations`).
RulesCheck = Callable[[Sequence[Personnalisation], Mapping[str, Question]], list[Problem]]


@dataclass(frozen=True, slots=True)
class _KnownActions:
    """The action ids questions, rules and preuves may name."""

    ids: frozenset[str]
    # Référentiels where some identifiant or file could not be read (reported): any of their ids is let
    # through, rather than reporting every reference to the unreadable one again.
    unchecked: frozenset[str]

    def __contains__(self, action_id: object) -> bool:
        if action_id in self.ids:
            return True
        return isinstance(action_id, str) and referentiel_id_of(action_id) in self.unchecked


def read_folder(path: str | Path) -> dict[str, str | Problem]:
    """The files of a référentiel folder the loader may read, for ``load_files``: the Markdown files of
    the folder and of its subfolders, and the label's criteria. A Markdown file given instead of a folder
    is read alone. A file that cannot be read is kept as the problem saying why (reported if loaded)."""
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
    if base.is_file():
        return {base.name: read_source(base, base.name)}
    folders = [base, *(sub for sub in base.iterdir() if sub.is_dir() and not sub.name.startswith("."))]
    found = [
        file for folder in folders for file in folder.iterdir() if file.suffix == ".md" and file.is_file()
    ]
    if (base / CRITERES_FILE).is_file():
        found.append(base / CRITERES_FILE)
    files: dict[str, str | Problem] = {}
    for file in sorted(found):
        name = file.relative_to(base).as_posix()
        files[name] = read_source(file, name)
    return files


def _markdown_in(files: Files, folder: str) -> list[tuple[str, str | Problem]]:
    """The Markdown files right in `folder` ("" for the top level), by name."""
    prefix = f"{folder}/" if folder else ""
    return sorted(
        (path, text)
        for path, text in files.items()
        if path.startswith(prefix) and path.endswith(".md") and "/" not in path[len(prefix) :]
    )


def _parse(
    files: list[tuple[str, str | Problem]],
    keywords: frozenset[str],
    initial_keyword: str,
    problems: list[Problem],
) -> Parsed:
    parsed: Parsed = []
    for path, text in files:
        if isinstance(text, Problem):
            problems.append(text)
            continue
        md_nodes, found = parse_markdown(text, path, keywords, initial_keyword)
        problems.extend(found)
        parsed.append((path, md_nodes))
    return parsed


def _action_folders(files: Files, name: str, problems: list[Problem]) -> list[tuple[str, Parsed, bool]]:
    """The référentiel folders among `files`: (name shown in messages, parsed files, whether every file
    could be read). Else the top-level files (named `name`); a lone top-level file is one by itself."""
    lone = len(files) == 1 and "/" not in next(iter(files))
    if lone:
        return _holding_actions([(name, list(files.items()))], problems, always=True)
    folders = sorted({path.split("/", 1)[0] for path in files if "/" in path})
    candidates = [
        (folder, _markdown_in(files, folder))
        for folder in folders
        if folder not in _NOT_REFERENTIELS and not folder.startswith(".")
    ]
    # Files beside subfolders (a README, a lone mesure) are not a référentiel unless nothing else is.
    return _holding_actions(candidates, problems) or _holding_actions(
        [(name, _markdown_in(files, ""))], problems
    )


def _holding_actions(
    candidates: list[tuple[str, list[tuple[str, str | Problem]]]],
    problems: list[Problem],
    always: bool = False,
) -> list[tuple[str, Parsed, bool]]:
    """The candidate folders whose files hold actions (all of them when `always`), parsed; their
    problems are added to `problems`, those of the other folders ignored."""
    found: list[tuple[str, Parsed, bool]] = []
    for folder, folder_files in candidates:
        folder_problems: list[Problem] = []
        parsed = _parse(folder_files, ACTION_KEYWORDS, ACTIONS, folder_problems)
        if always or any(looks_like_actions(md_nodes) for _, md_nodes in parsed):
            problems.extend(folder_problems)
            found.append((folder, parsed, len(parsed) == len(folder_files)))
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
    ``check_rules``: see ``load_files``. Use ``jalon.loading.load``, which passes it.
    """
    files = read_folder(path)
    if criteres is None:
        return load_files(files, str(path), check_rules)
    shown = str(criteres)
    files[shown] = read_source(Path(criteres), shown)
    return load_files(files, str(path), check_rules, criteres=shown)


def load_files(
    files: Files, path: str, check_rules: RulesCheck | None = None, criteres: str | None = None
) -> Referentiels:
    """Load the files of a référentiel folder (relative path → text, as ``read_folder`` gives them);
    raise ReferentielError with every problem, each naming its file and line.

    ``path``: where the files come from, named in messages and kept as ``Referentiels.path``.
    ``criteres``: the name in ``files`` of the label's criteria, when they are not the folder's own
    (`labellisation/criteres.yml`).

    ``check_rules`` reports the problems of the formulas among the others; without it (this package's
    own tests) formulas are read but not checked. Use ``jalon.loading.load_files``, which passes it.
    """
    criteres = criteres or CRITERES_FILE
    problems: list[Problem] = []
    assemblies: list[Assembly] = []
    markdown = {name: text for name, text in files.items() if name != criteres}
    name = Path(path).name or path
    for folder, parsed, all_read in _action_folders(markdown, name, problems):
        # A file that could not be read (reported) hides its actions: references to them are let through.
        assemblies.append(assemble_referentiel(folder, parsed, complete=all_read))
    if not assemblies:
        problems.append(
            Problem(
                path,
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
    rules_problems: list[Problem] = []
    parsed = _parse(_markdown_in(markdown, QUESTIONS), QUESTION_KEYWORDS, CHOIX, rules_problems)
    questions, found = read_questions(parsed, action_ids)
    rules_problems.extend(found)
    parsed = _parse(
        _markdown_in(markdown, PERSONNALISATIONS), PERSONNALISATION_KEYWORDS, REGLES, rules_problems
    )
    personnalisations, found = read_personnalisations(parsed, action_ids)
    rules_problems.extend(found)
    if check_rules is not None and not rules_problems and personnalisations:
        # Formulas are checked against sound questions only: otherwise every rule using a broken
        # question would be reported too.
        rules_problems.extend(check_rules(personnalisations, questions))
    problems.extend(rules_problems)

    parsed = _parse(_markdown_in(markdown, PREUVES), PREUVE_KEYWORDS, "", problems)
    preuves, found = read_preuves(parsed, action_ids)
    problems.extend(found)

    thematiques: dict[str, str] = {}
    thematiques_file = f"{THEMATIQUES}/thematiques.md"
    if thematiques_file in markdown:
        for shown, md_nodes in _parse(
            [(thematiques_file, markdown[thematiques_file])], frozenset(), "", problems
        ):
            thematiques, found = _read_thematiques(shown, md_nodes)
            problems.extend(found)

    criteres_read: Criteres | None = None
    text = files.get(criteres)
    if isinstance(text, Problem):
        problems.append(text)
    elif text is not None:
        by_referentiel = {
            assembly.referentiel_id: _KnownActions(
                frozenset(assembly.action_ids),
                frozenset() if assembly.all_ids_read else frozenset({assembly.referentiel_id}),
            )
            for assembly in assemblies
        }
        criteres_read, found = read_criteres(text, criteres, by_referentiel)
        problems.extend(found)

    if problems:
        raise ReferentielError(sorted(problems, key=lambda problem: (problem.path, problem.line or 0)))
    return Referentiels(
        referentiels=referentiels,
        questions=questions,
        personnalisations=personnalisations,
        preuves=preuves,
        thematiques=thematiques,
        path=path,
        criteres=criteres_read,
    )
