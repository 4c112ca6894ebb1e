"""Where référentiels come from: a folder the user names, or the demo bundled with Jalon.

Loading composes the two lower layers: `jalon.referentiel` reads the files, `jalon.regles` checks the rule
formulas against the questions; each problem of either is reported as file:line, all at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from jalon.referentiel.errors import Problem
from jalon.referentiel.model import Referentiels

DEMO_DIR = Path(__file__).resolve().parent / "demo"
DEMO_SCENARIO = DEMO_DIR / "scenario.yml"


def load(path: str | Path | None = None, criteres: str | Path | None = None) -> Referentiels:
    """Load the référentiels of a folder (the bundled demo when no path is given).

    ``criteres``: the label's criteria file, instead of the folder's `labellisation/criteres.yml`.

    Raises ``ReferentielError`` listing every problem of the folder.
    """
    # Imported here: the loader brings pydantic, which `import jalon` does without until a load.
    from jalon.referentiel.loader import load_referentiels
    from jalon.regles.checker import check_personnalisations

    return load_referentiels(DEMO_DIR if path is None else Path(path), check_personnalisations, criteres)


def load_files(files: Mapping[str, str | Problem], path: str, criteres: str | None = None) -> Referentiels:
    """Load the files of a référentiel folder given as a mapping, relative path → text (what
    ``jalon.referentiel.loader.read_folder`` reads from a folder); as ``load`` does.

    ``path``: where the files come from, for messages. ``criteres``: the name in ``files`` of the
    label's criteria, when they are not the folder's `labellisation/criteres.yml`.

    Raises ``ReferentielError`` listing every problem, each naming its file and line.
    """
    from jalon.referentiel.loader import load_files as load_mapping
    from jalon.regles.checker import check_personnalisations

    return load_mapping(files, path, check_personnalisations, criteres)
