"""A jalon holds everything needed to show it again exactly: its scores never change, even after a new
référentiel version changes the points of what it froze."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from jalon.loading import DEMO_DIR
from jalon.web.collectivites.models import Collectivite
from jalon.web.labellisation import models, services
from jalon.web.referentiels.models import ReferentielVersion
from jalon.web.referentiels.services import import_folder
from jalon.web.statuts.services import scores, set_statut
from tests.web.conftest import Member, logged_in

pytestmark = pytest.mark.django_db


def test_a_jalon_keeps_its_scores_after_a_new_referentiel_version(
    tmp_path: Path, version: ReferentielVersion, collectivite: Collectivite, editor: Member
) -> None:
    set_statut(collectivite, editor.user, "cae_6.1.1.1", "fait")
    row = services.figer_jalon(collectivite, editor.user, "cae", "Avant la révision", le=date(2026, 6, 1))
    frozen = services.jalon_value(row)
    assert frozen.noeuds["cae_6.1.1"].scores["point_referentiel"] == 6

    # A new version: mesure 6.1.1 is now worth 8 points, and the collectivité's scores follow it.
    folder = tmp_path / "ref"
    shutil.copytree(DEMO_DIR, folder)
    mesure = folder / "cae" / "6.1.1.md"
    mesure.write_text(mesure.read_text(encoding="utf-8").replace("points: 6", "points: 8"), encoding="utf-8")
    assert import_folder(folder).created
    assert scores(collectivite, "cae")["cae_6.1.1"]["point_referentiel"] == 8

    again = services.jalon_value(models.Jalon.objects.get(pk=row.pk))
    assert again == frozen  # every node's scores, statuts, names: as frozen
    assert again.noeuds["cae_6.1.1"].scores["point_referentiel"] == 6
    html = logged_in(editor).get(f"/c/{collectivite.pk}/labellisation/").content.decode()
    assert "Avant la révision" in html
