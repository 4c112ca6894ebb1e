"""Markdown → nested nodes: the generic heading/keyword/section reader shared by every content type.

This is the reader of the scoring spec §1.1 over markdown-it-py block tokens. A heading at the *name
level* titles a node; a heading one level deeper opens a section of that node; a *keyword heading*
(`## Actions`, `## Choix`, `## Règles`) makes the following headings, one level deeper, children of the
node; fenced ```yaml blocks are merged into the node and ```formule blocks kept as written.

Departures from the reference reader, on purpose: sections keep their raw Markdown source lines (not the
reference's lossy HTML), a repeated section heading appends rather than replaces, and loose text right
under a title or a code block goes to `description` for every content type instead of being dropped.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from jalon.referentiel.errors import Problem

try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # PyYAML built without libyaml: same results, slower
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

DESCRIPTION = "description"
_SNAKE = str.maketrans({"á": "a", "é": "e", "è": "e", "ú": "u", "í": "i", "ó": "o", " ": "_", "'": None})


def snake_case(text: str) -> str:
    """Section and keyword key of a heading: `Périmètre de l'évaluation` → `perimetre_de_levaluation`."""
    return text.title().lower().translate(_SNAKE)


@dataclass(eq=False, slots=True)
class MarkdownNode:
    """One titled node of a Markdown file, before any content-type specific validation."""

    line: int  # 1-based line of its heading (or of its first block when it has no heading)
    title: str | None = None
    data: dict[Any, Any] = field(default_factory=dict)  # merged YAML blocks
    raw: dict[str, str] = field(default_factory=dict)  # source text of top-level scalar YAML values
    yaml_line: int | None = None  # line of the first ```yaml fence
    yaml_error: bool = False
    formule: str | None = None
    formule_line: int | None = None  # line of the ```formule fence
    sections: dict[str, str] = field(default_factory=dict)  # snake-cased title → raw Markdown
    children: dict[str, list[MarkdownNode]] = field(default_factory=dict)  # keyword → nodes
    # Per section, runs of consecutive blocks as [first line, end line, index of the last block].
    spans: dict[str, list[list[int]]] = field(default_factory=dict)

    def kids(self, keyword: str) -> list[MarkdownNode]:
        return self.children.get(keyword, [])

    @property
    def is_empty(self) -> bool:
        return (
            self.title is None
            and not self.data
            and not self.yaml_error
            and self.formule is None
            and not self.children
        )


def _normalise(state: StateCore) -> None:
    # markdown-it's own rule does this with regular expressions, several times slower on big files.
    state.src = _normalised(state.src)


def _normalised(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")


@functools.cache
def _markdown() -> MarkdownIt:
    # Only the block structure matters (heading texts are read raw), so inline parsing is off; link
    # reference definitions cannot hold headings or fences, so their rule is off too (it is costly).
    markdown = MarkdownIt("commonmark").disable(["inline", "text_join", "reference"])
    markdown.core.ruler.at("normalize", _normalise)
    return markdown


# A line `key: plain value` whose meaning cannot depend on the lines around it: no indentation, no
# quotes, flow collections, anchors, tags, comments or colons in the value.
_SIMPLE_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):[ ]+([^\s\-?:,\[\]{}#&*!|>'\"%@`][^\t:#,\[\]{}]*?)[ ]*")
# PyYAML's resolver, the one its safe loader types plain scalars with (typed here: the stubs leave it bare).
_resolve: Callable[[type[yaml.Node], str, tuple[bool, bool]], str] = yaml.resolver.Resolver().resolve
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def simple_yaml(content: str) -> tuple[dict[str, Any], dict[str, str]] | None:
    """A block made only of `key: plain value` lines, typed by PyYAML's own resolver and constructors.

    Most blocks look like that, and reading them line by line is several times faster than the YAML
    parser (the whole folder has thousands of blocks). None when any line is not that simple.
    """
    data: dict[str, Any] = {}
    raw: dict[str, str] = {}
    for line in content.split("\n"):
        if not line.strip(" ") or line.startswith("#"):  # blank or comment
            continue
        match = _SIMPLE_LINE.fullmatch(line)
        if match is None:
            return None
        key, value = match.groups()
        if _plain_scalar(key) != (True, key):  # `yes:` would be a boolean key
            return None
        readable, scalar = _plain_scalar(value)
        if not readable:
            return None
        data[key] = scalar
        raw[key] = value
    return data, raw


@functools.lru_cache(maxsize=4096)  # keys and most values (`bases`, `5`…) come back again and again
def _plain_scalar(text: str) -> tuple[bool, Any]:
    """(True, the value PyYAML's safe loader reads from this plain scalar), or (False, None)."""
    if not text.isprintable():
        return False, None
    tag = _resolve(yaml.ScalarNode, text, (True, False))
    construct = _CONSTRUCTOR.yaml_constructors.get(tag)
    if construct is None:
        return False, None
    try:
        return True, construct(_CONSTRUCTOR, yaml.ScalarNode(tag, text))
    except ValueError:  # e.g. a date like 2024-13-45: the YAML parser tells the problem
        return False, None


def _read_yaml(
    content: str, first_line: int, path: str, title: str | None
) -> tuple[dict[Any, Any], dict[str, str], Problem | None]:
    """Parse one ```yaml block whose first content line is `first_line`; keep the scalars' source text."""
    simple = simple_yaml(content)
    if simple is not None:
        return simple[0], simple[1], None
    loader = _SafeLoader(content)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except yaml.YAMLError as error:
        line = first_line + _error_line(error, content)
        reason = getattr(error, "problem", None) or str(error).splitlines()[0]
        return {}, {}, Problem(path, line, _yaml_message(title, str(reason)))
    except (ValueError, OverflowError) as error:  # e.g. a date like 2024-13-45
        return {}, {}, Problem(path, first_line, _yaml_message(title, str(error)))
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        found = type(data).__name__
        return {}, {}, Problem(path, first_line, _yaml_message(title, f"le contenu est un {found}"))
    raw: dict[str, str] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and isinstance(value, yaml.ScalarNode):
                raw[str(key.value)] = str(value.value)
    return data, raw, None


def _error_line(error: yaml.YAMLError, content: str) -> int:
    """The 0-based line of the block where the error is."""
    mark = getattr(error, "problem_mark", None)
    if mark is None:
        return 0
    lines = content.split("\n")
    if "".join(lines[mark.line :]).strip():
        return int(mark.line)
    # The parser ran off the end of the block (an unclosed bracket or quote): the construct it was
    # reading started at the context mark, or else on the last written line.
    context = getattr(error, "context_mark", None)
    if context is not None and context.line < mark.line:
        return int(context.line)
    return max((number for number, text in enumerate(lines) if text.strip()), default=0)


def _yaml_message(title: str | None, reason: str) -> str:
    where = f" sous « {title} »" if title is not None else ""
    return (
        f"Erreur dans le formatage du code yaml{where}. Raison : {reason}. "
        "Attendu : un dictionnaire yaml de lignes `clé: valeur`."
    )


def read_source(file: Path, path: str) -> str | Problem:
    """The text of a Markdown file (`path`: as shown to people), or the problem that prevents reading it."""
    try:
        data = file.read_bytes()
    except OSError as error:
        return Problem(path, None, f"Le fichier ne peut pas être lu : {error.strerror or error}.")
    try:
        return data.decode("utf-8-sig")  # a BOM would hide the first heading
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return Problem(path, line, "Le fichier n'est pas en UTF-8 : attendu du texte encodé en UTF-8.")


def parse_markdown(
    text: str, path: str, keywords: frozenset[str], initial_keyword: str
) -> tuple[list[MarkdownNode], list[Problem]]:
    """Read a Markdown file into its top-level nodes (children nested under their keyword)."""
    text = _normalised(text)  # so that token line numbers index `text.split("\n")`
    tokens = _markdown().parse(text)
    parser = _Reader(text.split("\n"), path, keywords, initial_keyword)
    for index, token in enumerate(tokens):
        if token.level == 0 and token.nesting >= 0 and token.map is not None:
            parser.block(token, tokens[index + 1] if token.type == "heading_open" else None)
    return parser.finish()


class _Reader:
    """The state of §1.1: name level, current keyword, the current node's current section."""

    def __init__(self, lines: list[str], path: str, keywords: frozenset[str], initial_keyword: str) -> None:
        self.lines = lines
        self.path = path
        self.keywords = keywords
        self.longest_keyword = max(map(len, keywords), default=0)
        self.tops: list[MarkdownNode] = [MarkdownNode(line=1)]
        self.name_level = 1
        self.keyword = initial_keyword
        self.keyword_by_level = {1: initial_keyword}
        # Where loose blocks of the current node go; None (before any title, after a keyword): dropped.
        self.section: str | None = None
        self.block_index = 0
        self.problems: list[Problem] = []

    def block(self, token: Token, inline: Token | None) -> None:
        self.block_index += 1
        assert token.map is not None
        start, end = token.map
        if inline is not None:
            level = int(token.tag[1:])
            title = inline.content.strip()
            if self._is_keyword(title):
                self.name_level = level + 1
                self.keyword = snake_case(title)
                self.keyword_by_level[self.name_level] = self.keyword
                self.section = None
                return
            if level == 1:
                self._set_level(1)
                if self.tops[-1].title is not None:
                    self.tops.append(MarkdownNode(line=start + 1))
            elif level == self.name_level - 2:
                self._set_level(level)
            if level == self.name_level:
                self._title(title, start + 1)
                return
            if level == self.name_level + 1:
                key = snake_case(title)
                self._locate(start + 1).spans.setdefault(key, [])
                self.section = key
                return
        elif token.type == "fence":
            self._fence(token, start)
            return
        if self.section is not None:
            self._append(self._locate(start + 1), start, end)

    def _is_keyword(self, title: str) -> bool:
        # snake_case only shortens a title by its apostrophes: most titles are too long to be keywords.
        if len(title) - title.count("'") > self.longest_keyword:
            return False
        return snake_case(title) in self.keywords

    def _set_level(self, level: int) -> None:
        self.name_level = level
        self.keyword = self.keyword_by_level.get(level, self.keyword)

    def _locate(self, line: int) -> MarkdownNode:
        return self._locate_with_parent(line)[1]

    def _locate_with_parent(self, line: int) -> tuple[MarkdownNode | None, MarkdownNode]:
        """The node the current name level writes to: the last one, `name_level // 2` keywords down."""
        parent: MarkdownNode | None = None
        node = self.tops[-1]
        for _ in range(self.name_level // 2):
            kids = node.children.setdefault(self.keyword, [])
            if not kids:  # a heading skipped a level: an untitled node stands for the missing one
                kids.append(MarkdownNode(line=line))
            parent, node = node, kids[-1]
        return parent, node

    def _title(self, title: str, line: int) -> None:
        parent, node = self._locate_with_parent(line)
        if node.title is not None:
            node = MarkdownNode(line=line)
            if parent is None:
                self.tops.append(node)
            else:
                parent.children[self.keyword].append(node)
        node.title = title
        node.line = line
        self.section = DESCRIPTION

    def _fence(self, token: Token, start: int) -> None:
        info = token.info.split()[0] if token.info.strip() else ""
        if info not in ("yaml", "formule"):
            return  # e.g. ```commentaire: the authors' comments
        node = self._locate(start + 1)
        if node.title is None and node.is_empty:
            node.line = start + 1
        if info == "yaml":
            data, raw, problem = _read_yaml(token.content, start + 2, self.path, node.title)
            if problem is not None:
                self.problems.append(problem)
                node.yaml_error = True
            node.data.update(data)
            node.raw.update(raw)
            if node.yaml_line is None:
                node.yaml_line = start + 1
        else:
            node.formule = token.content
            node.formule_line = start + 1
        self.section = DESCRIPTION

    def _append(self, node: MarkdownNode, start: int, end: int) -> None:
        assert self.section is not None
        runs = node.spans.setdefault(self.section, [])
        if runs and runs[-1][2] == self.block_index - 1:
            runs[-1][1] = end
            runs[-1][2] = self.block_index
        else:
            runs.append([start, end, self.block_index])

    def finish(self) -> tuple[list[MarkdownNode], list[Problem]]:
        tops = [node for node in self.tops if not node.is_empty]
        stack = list(tops)
        while stack:
            node = stack.pop()
            for key, runs in node.spans.items():
                text = "\n\n".join("\n".join(self.lines[start:end]) for start, end, _ in runs)
                node.sections[key] = text.strip()
            node.spans = {}
            for kids in node.children.values():
                stack.extend(kids)
        return tops, self.problems
