"""Errors of the rule language."""

from __future__ import annotations


class FormuleError(ValueError):
    """A formula that cannot be parsed or evaluated.

    The message is one line naming the formula and what is wrong; `detail` is the same without the
    formula, for callers that name the formula themselves.
    """

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = message if detail is None else detail


class ReponseMissing(Exception):
    """`reponse(q)` needs the value of a question the collectivité has not answered (yet).

    Not a FormuleError: for désactivation and réduction rules it is an expected state (the rule just
    has no result yet), not a mistake in the formula.
    """

    def __init__(self, question: str) -> None:
        super().__init__(f"la question {question} n'a pas de réponse")
        self.question = question
