"""Parse a formula of the rule language (SCORING-SPEC §3.3) into a small typed tree.

The grammar lives in `grammar.lark`; lark builds the tree nodes below directly while parsing (an
inline transformer), so no intermediate lark tree is built and deep formulas cost no recursion.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib.resources import files
from typing import Literal, TypeAlias, cast

from lark import Lark, Token, Transformer
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from jalon.regles.errors import FormuleError

# The tree. `__str__` prints a node back in the rule language, for error messages.


@dataclass(frozen=True, slots=True)
class Number:
    value: float

    def __str__(self) -> str:
        return format_number(self.value)


@dataclass(frozen=True, slots=True)
class Boolean:
    value: bool

    def __str__(self) -> str:
        return "VRAI" if self.value else "FAUX"


@dataclass(frozen=True, slots=True)
class Name:
    """A bare name (an option id, an identité tag…): evaluates to the string itself."""

    value: str

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class ReponseEquals:
    """`reponse(q, v)`: was question q answered with v?"""

    question: str
    value: Primary

    def __str__(self) -> str:
        return f"reponse({self.question}, {self.value})"


@dataclass(frozen=True, slots=True)
class ReponseValue:
    """`reponse(q)`: the numeric answer to a proportion question."""

    question: str

    def __str__(self) -> str:
        return f"reponse({self.question})"


@dataclass(frozen=True, slots=True)
class Identite:
    """`identite(k, v)`: does the collectivité carry tag v for property k?"""

    key: str
    value: Primary

    def __str__(self) -> str:
        return f"identite({self.key}, {self.value})"


@dataclass(frozen=True, slots=True)
class Score:
    """`score(id)`: the realised score of an action, known only after scoring (deferred)."""

    action_id: str

    def __str__(self) -> str:
        return f"score({self.action_id})"


@dataclass(frozen=True, slots=True)
class MinMax:
    function: Literal["min", "max"]
    left: Formule
    right: Formule

    def __str__(self) -> str:
        return f"{self.function}({self.left}, {self.right})"


@dataclass(frozen=True, slots=True)
class Arithmetic:
    operator: Literal["+", "-", "*", "/"]
    left: Formule
    right: Formule

    def __str__(self) -> str:
        # Right associativity makes the parenthesis-free form read back as the same tree.
        return f"{self.left} {self.operator} {self.right}"


@dataclass(frozen=True, slots=True)
class Logical:
    operator: Literal["et", "ou"]
    left: Formule
    right: Formule

    def __str__(self) -> str:
        return f"{self.left} {self.operator} {self.right}"


@dataclass(frozen=True, slots=True)
class If:
    """`si condition alors then [sinon otherwise]`."""

    condition: Formule
    then: Formule
    otherwise: Formule | None

    def __str__(self) -> str:
        text = f"si {self.condition} alors {self.then}"
        return text if self.otherwise is None else f"{text} sinon {self.otherwise}"


# The only values reponse(q, v) and identite(k, v) take as v.
Primary: TypeAlias = Number | Boolean | Name
Formule: TypeAlias = (
    Number
    | Boolean
    | Name
    | ReponseEquals
    | ReponseValue
    | Identite
    | Score
    | MinMax
    | Arithmetic
    | Logical
    | If
)


def format_number(value: float) -> str:
    """A number as a formula would write it (`8` rather than `8.0`), exact when read back."""
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


class _ToAst(Transformer[Token, Formule]):
    """Lark callbacks, one per rule alias of the grammar; the grammar guarantees the children's shape."""

    def start(self, children: list[Formule]) -> Formule:
        return children[0]

    def si(self, children: list[Formule]) -> If:
        condition, then, *otherwise = children
        return If(condition, then, otherwise[0] if otherwise else None)

    def ou(self, children: list[Formule]) -> Logical:
        return Logical("ou", children[0], children[1])

    def et(self, children: list[Formule]) -> Logical:
        return Logical("et", children[0], children[1])

    def add(self, children: list[Formule]) -> Arithmetic:
        return Arithmetic("+", children[0], children[1])

    def sub(self, children: list[Formule]) -> Arithmetic:
        return Arithmetic("-", children[0], children[1])

    def mul(self, children: list[Formule]) -> Arithmetic:
        return Arithmetic("*", children[0], children[1])

    def div(self, children: list[Formule]) -> Arithmetic:
        return Arithmetic("/", children[0], children[1])

    def min(self, children: list[Formule]) -> MinMax:
        return MinMax("min", children[0], children[1])

    def max(self, children: list[Formule]) -> MinMax:
        return MinMax("max", children[0], children[1])

    def reponse_egale(self, children: list[Token | Formule]) -> ReponseEquals:
        return ReponseEquals(str(children[0]), cast(Primary, children[1]))

    def reponse_valeur(self, children: list[Token]) -> ReponseValue:
        return ReponseValue(str(children[0]))

    def identite(self, children: list[Token | Formule]) -> Identite:
        return Identite(str(children[0]), cast(Primary, children[1]))

    def score(self, children: list[Token]) -> Score:
        return Score(str(children[0]))

    def vrai(self, children: list[Token]) -> Boolean:
        return Boolean(True)

    def faux(self, children: list[Token]) -> Boolean:
        return Boolean(False)

    def name(self, children: list[Token]) -> Name:
        return Name(str(children[0]))

    def number(self, children: list[Token]) -> Number:
        return Number(float(children[0]))


@functools.cache
def _parser() -> Lark:
    # Built on first use rather than at import: compiling the LALR tables takes a few milliseconds.
    grammar = files("jalon.regles").joinpath("grammar.lark").read_text(encoding="utf-8")
    # cache=True keeps the analysed grammar in a temporary file: later processes start faster.
    return Lark(grammar, parser="lalr", lexer="contextual", transformer=_ToAst(), cache=True)


def parse_formule(text: str) -> Formule:
    """The tree of a formula; raises FormuleError (never a lark exception) when it is malformed."""
    return _parse(text)


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> Formule:
    # Cached on the text: consequences are re-evaluated on every answer, and trees are immutable.
    try:
        return cast(Formule, _parser().parse(text))
    except UnexpectedInput as error:
        raise _syntax_error(text, error) from None
    except LarkError as error:  # not expected from a fixed grammar, but keep the promise of one error type
        detail = f"erreur de syntaxe ({error})"
        raise FormuleError(f"formule « {shown_formule(text)} »: {detail}", detail=detail) from None


def shown_formule(text: str) -> str:
    """A formula on one line, for messages (rules are often written over several lines)."""
    return " ".join(line.strip() for line in text.strip().splitlines())


# Human names of the grammar's terminals, in the order they are listed in "attendu …".
_EXPECTED_NAMES = {
    "SIGNED_NUMBER": "un nombre",
    "VRAI": "VRAI/FAUX",
    "FAUX": "VRAI/FAUX",
    "CNAME": "un nom",
    "_REPONSE": "reponse(…)",
    "_IDENTITE": "identite(…)",
    "_SCORE": "score(…)",
    "_MIN": "min(…)",
    "_MAX": "max(…)",
    "_SI": "« si »",
    "NAME": "un identifiant (de question, d'action ou de propriété)",
    "PLUS": "« + »",
    "MINUS": "« - »",
    "STAR": "« * »",
    "SLASH": "« / »",
    "_ET": "« et »",
    "_OU": "« ou »",
    "_ALORS": "« alors »",
    "_SINON": "« sinon »",
    "LPAR": "« ( »",
    "COMMA": "« , »",
    "RPAR": "« ) »",
    "$END": "la fin de la formule",
}


def _syntax_error(text: str, error: UnexpectedInput) -> FormuleError:
    if not text.strip():
        detail = "formule vide"
    elif isinstance(error, UnexpectedToken) and error.token.type == "$END":
        detail = f"fin inattendue {_position(text, len(text.rstrip()))}"
    elif isinstance(error, UnexpectedToken):
        detail = f"« {error.token} » inattendu {_position(text, error.token.start_pos or 0)}"
        if error.token.type == "LPAR":
            detail += " (les parenthèses ne servent qu'aux fonctions, pas à grouper)"
    elif isinstance(error, UnexpectedCharacters):
        detail = f"caractère « {error.char} » inattendu {_position(text, error.pos_in_stream or 0)}"
    else:
        detail = "erreur de syntaxe"
    expected = _expected(error)
    if expected:
        detail += f", attendu {expected}"
    message = f"formule « {shown_formule(text)} »: {detail}" if text.strip() else detail
    return FormuleError(message, detail=detail)


def _position(text: str, offset: int) -> str:
    stripped = text.strip()
    start = len(text) - len(text.lstrip())
    if "\n" not in stripped:  # one line: count columns in the formula as it is shown
        return f"à la colonne {offset - start + 1}"
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"à la ligne {line}, colonne {column}"


def _expected(error: UnexpectedInput) -> str:
    # The interactive parser tells exactly which tokens fit; the error's own `expected` set is the LALR
    # state's, which may list tokens (`)` or `,`) only valid in other contexts.
    interactive = getattr(error, "interactive_parser", None)
    names: set[str] = set()
    try:
        if interactive is not None:
            names = set(interactive.accepts())
    except LarkError:
        names = set()
    if not names:
        names = set(getattr(error, "expected", None) or getattr(error, "allowed", None) or ())
    labels = list(dict.fromkeys(label for key, label in _EXPECTED_NAMES.items() if key in names))
    if not labels:
        return ""
    if len(labels) == 1:
        return labels[0]
    return f"{', '.join(labels[:-1])} ou {labels[-1]}"
