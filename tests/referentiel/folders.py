"""Small référentiel folders written from texts, for tests: a tiny sound one, and ways to break it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from jalon.loading import load as load_referentiels  # files read, formulas checked: what users get
from jalon.referentiel.errors import Problem, ReferentielError
from jalon.referentiel.model import Referentiels


def write_folder(root: Path, files: Mapping[str, str | None]) -> Path:
    """Write each `relative/path.md: text` under `root` (None: leave that file out); return `root`."""
    for relative, text in files.items():
        if text is None:
            continue
        file = root / relative
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
    return root


def yaml_block(text: str) -> str:
    return f"```yaml\n{text.strip()}\n```\n"


ROOT = (
    "# Mini référentiel\n"
    + yaml_block('identifiant: ""\nreferentiel: cae')
    + "# Axe un\n"
    + yaml_block("identifiant: 1")
    + "## Actions\n"
    + "### Sous-axe un un\n"
    + yaml_block("identifiant: 1.1")
)

MESURE = (
    "# Mesure un\n"  # line 1
    + yaml_block("identifiant: 1.1.1\npoints: 10")  # lines 2-5
    + "## Description\n"  # 6
    + "Texte de la mesure.\n"  # 7
    + "## Actions\n"  # 8
    + "### Sous-mesure a\n"  # 9
    + yaml_block("identifiant: 1.1.1.1\npourcentage: 40\ncategorie: bases")  # 10-14
    + "#### Actions\n"  # 15
    + "##### Tâche a1\n"  # 16
    + yaml_block("identifiant: 1.1.1.1.1")  # 17-19
    + "##### Tâche a2\n"  # 20
    + yaml_block("identifiant: 1.1.1.1.2")  # 21-23
    + "### Sous-mesure b\n"  # 24
    + yaml_block("identifiant: 1.1.1.2\npourcentage: 60\ncategorie: effets")  # 25-29
)

QUESTIONS = (
    "# La collectivité a-t-elle la compétence voirie ?\n"  # 1
    + yaml_block("id: voirie\ntype: choix\nthematique_id: mobilite\nactions: [cae_1.1.1]")  # 2-7
    + "## Choix\n"  # 8
    + "### Oui\n"  # 9
    + yaml_block("id: voirie_oui")
    + "### Non\n"  # 13
    + yaml_block("id: voirie_non")
    + "# La collectivité est-elle une commune touristique ?\n"  # 17
    + yaml_block("id: tourisme\ntype: binaire\nthematique_id: tourisme")
)

PERSONNALISATIONS = (
    "# Désactivation de la sous-mesure a pour les communes\n"  # 1
    + yaml_block("action_id: cae_1.1.1.1")  # 2-4
    + "## Règles\n"  # 5
    + "### Désactivation\n"  # 6
    + "```formule\nidentite(type, commune)\n```\n"  # 7-9
    + "Les communes ne sont pas concernées.\n"  # 10
)

PREUVES = "# Délibération du conseil\n" + yaml_block("id: deliberation\nactions: [cae_1.1.1.1, cae_1.1.1.2]")

MINI: dict[str, str | None] = {
    "cae/cae.md": ROOT,
    "cae/1.1.1.md": MESURE,
    "questions/questions.md": QUESTIONS,
    "personnalisations/regles.md": PERSONNALISATIONS,
    "preuves/preuves.md": PREUVES,
}


def mini(root: Path, changes: Mapping[str, str | None] | None = None) -> Path:
    """The tiny sound folder written under `root`, with some files replaced, added or (None) left out."""
    return write_folder(root, {**MINI, **(changes or {})})


def problems_of(folder: Path) -> tuple[Problem, ...]:
    """Every problem loading `folder` reports (it must report some)."""
    with pytest.raises(ReferentielError) as caught:
        load_referentiels(folder)
    return caught.value.problems


def only_problem(folder: Path) -> Problem:
    found = problems_of(folder)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def load(folder: Path) -> Referentiels:
    return load_referentiels(folder)
