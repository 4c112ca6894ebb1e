"""Text as people search it: without accents, case nor typographic apostrophes (« energie » finds
« Énergie », « l'eau » finds « l’eau »). Shared by the tree's search and the history's filter."""

from __future__ import annotations

import re
import unicodedata

_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "’": "'", "‘": "'", "\xa0": " ", "\u202f": " "})
NUMERO = re.compile(r"\d+(?:\.\d+)*")  # an action's identifiant: 6, 6.1, 6.1.1.2.3


def fold(text: str) -> str:
    """``text`` lowercased, accents and ligatures taken off: the form both sides are compared in."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def numero(query: str) -> str | None:
    """The identifiant a query names (« 6.1.1 », « 6.1.1. »), or None for words."""
    query = query.strip().rstrip(".")
    return query if NUMERO.fullmatch(query) else None
