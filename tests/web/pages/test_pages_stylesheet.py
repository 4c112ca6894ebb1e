"""The stylesheet's rules that pages depend on for being read (a browser checks them too, in
tests/browser/test_narrow_screens.py)."""

from __future__ import annotations

import re
from pathlib import Path

import jalon.web.pages

CSS = (Path(jalon.web.pages.__file__).parent / "static" / "pages" / "jalon.css").read_text(encoding="utf-8")


def test_history_values_wrap_between_words_only() -> None:
    # `overflow-wrap: anywhere` or `word-break: break-all` let a narrow column cut « Non renseig|né ».
    rules = re.findall(r"([^{}]*)\{([^}]*)\}", CSS)
    historique = [body for selector, body in rules if ".historique" in selector]
    assert historique
    for body in historique:
        assert "anywhere" not in body and "break-all" not in body
    assert "break-all" not in CSS
