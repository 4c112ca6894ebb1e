"""Problems found while reading a référentiel folder.

A folder is read completely before anything is reported, so that an author sees every problem of the
folder at once, one line each, instead of fixing them one run at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in a référentiel file: where it is, what it concerns and what was expected."""

    path: str
    line: int | None
    message: str
    subject: str | None = None  # action id, question id, rule… the problem is about

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        about = f" {self.subject}:" if self.subject else ""
        return f"{where}:{about} {self.message}"


class ReferentielError(Exception):
    """A référentiel folder that cannot be loaded; carries every problem found in it."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)
