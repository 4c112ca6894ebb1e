"""Action files → action nodes, and the assembly of one référentiel's tree (spec §1.2 and §1.3).

Unlike the reference converter, an `identifiant` is read from its YAML source text (an unquoted `1.10`
stays "1.10"), ancestors are found by id components (`1.1` is not an ancestor of `1.10.2`), and the
nesting written in a file must agree with the ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from jalon.referentiel.errors import Problem, ReferentielError
from jalon.referentiel.markdown import MarkdownNode, parse_markdown, read_source
from jalon.referentiel.model import REFERENTIEL_NAMES, Action, Referentiel, Source
from jalon.referentiel.points import depth, distribute_points
from jalon.referentiel.schemas import ActionYaml, validate

ACTIONS = "actions"
ACTION_KEYWORDS = frozenset({ACTIONS})
_IDENTIFIANT = re.compile(r"[0-9]+(?:\.[0-9]+)*")
_EXPECTED_IDENTIFIANT = 'attendu des numéros séparés par des points, comme 1.2.3 ("" pour la racine)'


@dataclass(eq=False, slots=True)
class ActionNode:
    """An action as written in a file, its children nested as in the file."""

    identifiant: str
    nom: str
    points: float | None
    pourcentage: float | None
    categorie: str | None
    referentiel: str | None
    sections: dict[str, str]
    source: Source
    children: list[ActionNode] = field(default_factory=list)
    # Written under a node whose identifiant could not be read: that node is reported, not this one.
    quiet: bool = False

    def walk(self) -> Iterator[ActionNode]:
        yield self
        for child in self.children:
            yield from child.walk()


def action_id(referentiel: str | None, identifiant: str) -> str:
    """`cae_1.2.3`; the root is just `cae`; without a known référentiel, the identifiant."""
    if referentiel is None:
        return identifiant
    return f"{referentiel}_{identifiant}" if identifiant else referentiel


def natural_key(identifiant: str) -> tuple[int, ...]:
    """Sort key putting 1.2 before 1.10 (identifiants are numbers separated by dots)."""
    return tuple(map(int, identifiant.split("."))) if identifiant else ()


def parent_identifiant(identifiant: str) -> str:
    return identifiant.rpartition(".")[0]


@dataclass(slots=True)
class ActionFiles:
    """What the action files of one folder hold, before assembly."""

    tops: list[ActionNode] = field(default_factory=list)  # to be placed by their id
    problems: list[Problem] = field(default_factory=list)
    # Identifiants whose children or numbers are not all known because of a reported problem: their
    # points problems (and their ancestors') would only be consequences of it, so they are not reported.
    suspects: set[str] = field(default_factory=set)
    unreadable: bool = False  # some action's identifiant could not be read


class _Reader:
    def __init__(self, path: str, referentiel: str | None, found: ActionFiles) -> None:
        self.path = path
        self.referentiel = referentiel
        self.found = found

    def report(self, line: int, message: str, identifiant: str | None) -> None:
        subject = None if identifiant is None else action_id(self.referentiel, identifiant)
        self.found.problems.append(Problem(self.path, line, message, subject))

    def read(self, md: MarkdownNode, parent: ActionNode | None, *, quiet: bool = False) -> None:
        node = self.node(md, quiet)
        kids = md.kids(ACTIONS)
        if node is None:  # its children are still read, and placed by their own ids
            # Its parent lost a child; a node alone in its file could be under any: the root is suspected.
            self.found.suspects.add(parent.identifiant if parent is not None else "")
            for kid in kids:
                self.read(kid, None, quiet=True)
            return
        if parent is None:
            self.found.tops.append(node)
        elif node.identifiant and parent_identifiant(node.identifiant) == parent.identifiant:
            parent.children.append(node)
        else:
            here = action_id(self.referentiel, parent.identifiant)
            expected = f"{parent.identifiant}.<n>" if parent.identifiant else "<n>"
            self.report(
                md.line,
                f"L'action {action_id(self.referentiel, node.identifiant)} est rangée sous l'action {here} "
                f"(ligne {parent.source.line}), mais son identifiant n'est pas celui d'un enfant de {here} : "
                f"attendu un identifiant {expected}.",
                node.identifiant,
            )
            self.found.suspects.update((parent.identifiant, parent_identifiant(node.identifiant)))
            self.found.tops.append(node)
        for kid in kids:
            self.read(kid, node)

    def node(self, md: MarkdownNode, quiet: bool) -> ActionNode | None:
        nom = md.title or ""
        if "identifiant" not in md.data:
            if not md.yaml_error:  # a broken yaml block is reported already
                self.report(
                    md.line,
                    f"L'action « {nom} » n'a pas d'`identifiant` : attendu sous son titre un bloc yaml avec "
                    "une ligne `identifiant: 1.2.3`.",
                    None,
                )
            self.found.unreadable = True
            return None
        value = md.data["identifiant"]
        identifiant = None
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            # The source text: YAML would read an unquoted 1.10 as the float 1.1.
            identifiant = md.raw.get("identifiant", str(value)).strip()
        if identifiant is None or (identifiant and not _IDENTIFIANT.fullmatch(identifiant)):
            self.report(
                md.line,
                f"L'action « {nom} » a un `identifiant` invalide ({value!r}) : {_EXPECTED_IDENTIFIANT}.",
                None,
            )
            self.found.unreadable = True
            return None
        fields, errors = validate(ActionYaml, md.data)
        for key, message in errors:
            self.report(md.line, message, identifiant)
            if key in ("points", "pourcentage"):
                self.found.suspects.add(identifiant)
        if md.yaml_error:  # another of its yaml blocks is broken
            self.found.suspects.add(identifiant)
        fields = fields or ActionYaml()
        if identifiant == "" and "referentiel" not in md.data:
            self.report(
                md.line,
                "L'action racine (dont l'identifiant est '') doit avoir un `referentiel` renseigné : "
                "attendu une ligne `referentiel: …` dans son bloc yaml, avec l'un de "
                f"{', '.join(REFERENTIEL_NAMES)}.",
                identifiant,
            )
        return ActionNode(
            identifiant=identifiant,
            nom=nom,
            points=fields.points,
            pourcentage=fields.pourcentage,
            categorie=fields.categorie,
            referentiel=fields.referentiel,
            sections=md.sections,
            source=Source(self.path, md.line),
            quiet=quiet,
        )


def read_actions(
    md_nodes: Sequence[MarkdownNode], path: str, referentiel: str | None, found: ActionFiles
) -> None:
    """Add the actions of one parsed file (relative `path`) to `found`."""
    reader = _Reader(path, referentiel, found)
    for md in md_nodes:
        reader.read(md, None)


def declared_referentiel(md_nodes: Sequence[MarkdownNode]) -> str | None:
    """The `referentiel` of the first root among these nodes, when it is a known one."""
    for md in md_nodes:
        if md.data.get("identifiant") == "":
            value = md.data.get("referentiel")
            return value if isinstance(value, str) and value in REFERENTIEL_NAMES else None
    return None


def looks_like_actions(md_nodes: Sequence[MarkdownNode]) -> bool:
    return any("identifiant" in md.data for md in md_nodes)


def parse_action_file(path: str | Path) -> list[ActionNode]:
    """The actions of one Markdown file, nested as written (raises ReferentielError on any problem).

    Works on a lone mesure file (no root needed); ids in messages are bare identifiants unless the file
    holds the root that names the référentiel.
    """
    file = Path(path)
    text = read_source(file, file.name)
    if isinstance(text, Problem):
        raise ReferentielError([text])
    md_nodes, problems = parse_markdown(text, file.name, ACTION_KEYWORDS, ACTIONS)
    found = ActionFiles()
    read_actions(md_nodes, file.name, declared_referentiel(md_nodes), found)
    if problems or found.problems:
        raise ReferentielError([*problems, *found.problems])
    return found.tops


@dataclass(slots=True)
class Assembly:
    """One référentiel folder once assembled: the référentiel if it is sound, and what is wrong."""

    referentiel_id: str
    referentiel: Referentiel | None
    action_ids: set[str]  # every action id written, even when the tree is broken
    all_ids_read: bool  # False when some identifiant could not be read: `action_ids` misses it
    problems: list[Problem]
    root_source: Source | None


def _with_ancestors(identifiants: set[str]) -> set[str]:
    found: set[str] = set()
    for identifiant in identifiants:
        while identifiant not in found:
            found.add(identifiant)
            if not identifiant:
                break
            identifiant = parent_identifiant(identifiant)
    return found


def assemble_referentiel(
    folder: str, files: Sequence[tuple[str, list[MarkdownNode]]], complete: bool = True
) -> Assembly:
    """Assemble the files (relative path, parsed nodes) of one référentiel folder into its tree.

    ``complete``: False when a file of the folder could not be read (reported): the tree's shape and
    points are then not checked, their problems would only be consequences of the missing actions.
    """
    referentiel = None
    for _, md_nodes in files:
        referentiel = referentiel or declared_referentiel(md_nodes)
    # Without a usable `referentiel` (reported), ids are made with the folder name to go on checking.
    ref = referentiel or Path(folder).name or "referentiel"
    found = ActionFiles()
    for path, md_nodes in files:
        read_actions(md_nodes, path, ref, found)
    problems = found.problems
    suspects = found.suspects

    def aid(identifiant: str) -> str:
        return action_id(ref, identifiant)

    roots = [node for node in found.tops if node.identifiant == ""]
    if len(roots) > 1 or (not roots and complete):
        message = (
            "Le dossier de markdowns doit contenir une unique action racine (dont l'identifiant est ''). "
            f"{len(roots)} trouvé(s)"
        )
        if roots:
            places = ", ".join(str(root.source) for root in roots)
            problems.append(
                Problem(
                    roots[1].source.path,
                    roots[1].source.line,
                    f"{message} : {places}. Attendu : une seule, les autres actions ont un identifiant "
                    "comme 1 ou 1.2.",
                    ref,
                )
            )
        else:
            problems.append(
                Problem(
                    folder,
                    None,
                    f'{message} dans le dossier {folder}. Attendu : une action avec `identifiant: ""` '
                    "et `referentiel: …` dans son bloc yaml.",
                    ref,
                )
            )
    root = roots[0] if roots else None

    index: dict[str, ActionNode] = {}
    for top in found.tops:
        for node in top.walk():
            if node.identifiant == "":
                continue
            first = index.setdefault(node.identifiant, node)
            if first is not node:
                suspects.add(parent_identifiant(node.identifiant))
                problems.append(
                    Problem(
                        node.source.path,
                        node.source.line,
                        "Tous les identifiants devraient être uniques. "
                        f"Doublon : {aid(node.identifiant)}, déjà défini en {first.source}.",
                        aid(node.identifiant),
                    )
                )

    if not complete:
        action_ids = {aid(identifiant) for identifiant in index} | ({ref} if roots else set())
        return Assembly(ref, None, action_ids, False, problems, roots[0].source if roots else None)

    children: dict[str, list[ActionNode]] = {identifiant: [] for identifiant in index}
    children[""] = []
    for identifiant, node in index.items():
        parent = parent_identifiant(identifiant)
        if parent in children and (parent or root is not None):
            children[parent].append(node)
            continue
        if node.quiet or not parent:  # reported through its unreadable parent, or the missing root
            continue
        ancestors = []
        while parent:
            ancestors.append(parent)
            parent = parent_identifiant(parent)
        present = next((ancestor for ancestor in ancestors[1:] if ancestor in index), None)
        suspects.add(present or "")
        if present is not None:
            message = (
                f"Il manque un niveau entre l'action {aid(present)} et son enfant {aid(identifiant)} : "
                f"attendu une action {aid(ancestors[0])}."
            )
        else:
            message = (
                f"L'action {aid(identifiant)} est orpheline : aucune de ses actions parentes "
                f"({', '.join(aid(ancestor) for ancestor in ancestors)}) n'existe dans le dossier {folder}. "
                f"Attendu une action {aid(ancestors[0])}."
            )
        problems.append(Problem(node.source.path, node.source.line, message, aid(identifiant)))

    action_ids = {aid(identifiant) for identifiant in index}
    if root is not None:
        action_ids.add(ref)
    root_source = root.source if root is not None else None
    if root is None:
        return Assembly(ref, None, action_ids, not found.unreadable, problems, root_source)

    # Every node reachable from the root, layer by layer: with each node's children in natural order,
    # each layer is in natural order too.
    ids = {identifiant: aid(identifiant) for identifiant in index}
    ids[""] = ref
    order: list[ActionNode] = []
    parents: dict[str, str | None] = {ref: None}
    kids: dict[str, list[str]] = {}
    layer = [root]
    while layer:
        order.extend(layer)
        next_layer: list[ActionNode] = []
        for node in layer:
            ordered = sorted(children[node.identifiant], key=lambda child: natural_key(child.identifiant))
            node_id = ids[node.identifiant]
            kids[node_id] = [ids[child.identifiant] for child in ordered]
            for child in ordered:
                parents[ids[child.identifiant]] = node_id
            next_layer.extend(ordered)
        layer = next_layer

    md_points = {ids[node.identifiant]: node.points for node in order if node.points is not None}
    md_pourcentages = {
        ids[node.identifiant]: node.pourcentage for node in order if node.pourcentage is not None
    }
    points, issues = distribute_points(kids, md_points, md_pourcentages)
    doubtful = {aid(identifiant) for identifiant in _with_ancestors(suspects)}
    sources = {ids[node.identifiant]: node.source for node in order}
    for issue in issues:
        if issue.action_id not in doubtful:
            source = sources[issue.action_id]
            problems.append(Problem(source.path, source.line, issue.message, issue.action_id))
    if problems or found.unreadable:  # an unreadable node is reported with the file's yaml problems
        return Assembly(ref, None, action_ids, not found.unreadable, problems, root_source)

    actions: dict[str, Action] = {}
    for node in order:
        key = ids[node.identifiant]
        actions[key] = Action(
            id=key,
            referentiel=ref,
            identifiant=node.identifiant,
            nom=node.nom,
            points=points[key],
            md_points=node.points,
            md_pourcentage=node.pourcentage,
            categorie=node.categorie,
            parent=parents[key],
            children=tuple(kids[key]),
            depth=depth(key),
            sections=node.sections,
            source=node.source,
        )
    deepest = max(action.depth for action in actions.values() if action.is_leaf)
    tree = Referentiel(id=ref, nom=root.nom, action_level=max(0, deepest - 2), actions=actions)
    return Assembly(ref, tree, action_ids, True, [], root_source)
