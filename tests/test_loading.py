"""jalon.load: the référentiel files read by `jalon.referentiel`, the formulas checked by `jalon.regles`."""

from __future__ import annotations

from pathlib import Path

import pytest

import jalon
from jalon.referentiel.loader import load_referentiels
from tests.referentiel.folders import MESURE, PERSONNALISATIONS, PREUVES, mini

BAD_FORMULE = PERSONNALISATIONS.replace("identite(type, commune)", "reponse(inconnue, OUI)")


def test_load_reports_a_bad_formula_at_its_line_among_the_other_problems_of_the_folder(
    tmp_path: Path,
) -> None:
    folder = mini(
        tmp_path,
        {
            "cae/1.1.1.md": MESURE.replace("categorie: bases", "categorie: base"),
            "personnalisations/regles.md": BAD_FORMULE,
            "preuves/preuves.md": PREUVES.replace("cae_1.1.1.2", "cae_7"),
        },
    )
    with pytest.raises(jalon.ReferentielError) as caught:
        jalon.load(folder)
    assert str(caught.value).splitlines() == [
        "cae/1.1.1.md:9: cae_1.1.1.1: `categorie` vaut 'base' : attendu 'bases', 'mise en œuvre' ou 'effets'",
        "personnalisations/regles.md:7: cae_1.1.1.1: Désactivation « reponse(inconnue, OUI) »: "
        "Id de question inconnue: inconnue.",
        "preuves/preuves.md:1: deliberation: L'action cae_7 de la preuve deliberation n'existe dans aucun "
        "référentiel chargé : attendu l'id d'une action, comme cae_1.2.3.",
    ]


def test_the_referentiel_layer_alone_reads_formulas_without_checking_them(tmp_path: Path) -> None:
    # The check belongs to the rule language: `jalon.referentiel` does not import it (see the import
    # contracts in pyproject.toml); jalon.load passes it in.
    folder = mini(tmp_path, {"personnalisations/regles.md": BAD_FORMULE})
    loaded = load_referentiels(folder)
    assert [regle.formule for p in loaded.personnalisations for regle in p.regles] == [
        "reponse(inconnue, OUI)\n"
    ]
    with pytest.raises(jalon.ReferentielError):
        jalon.load(folder)
