"""Loading a référentiel from its files given as a mapping (relative path → text), as the web application
does with a stored version: the same result as from the folder, the same problems at the same lines."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from jalon.loading import DEMO_DIR, load, load_files
from jalon.referentiel.errors import Problem, ReferentielError
from jalon.referentiel.loader import read_folder
from jalon.referentiel.model import Referentiels
from tests.referentiel.folders import MESURE, MINI, QUESTIONS


def every_text_file(folder: Path) -> dict[str, str]:
    """What an application would keep of a folder, read here without the loader's help: every Markdown
    and YAML file at any depth (READMEs, a scenario, notes… that the loader does not use among them)."""
    return {
        file.relative_to(folder).as_posix(): file.read_text(encoding="utf-8")
        for file in folder.rglob("*")
        if file.is_file() and file.suffix in (".md", ".yml")
    }


def problems_of(files: dict[str, str | Problem], criteres: str | None = None) -> list[str]:
    with pytest.raises(ReferentielError) as caught:
        load_files(files, "version 3", criteres)
    return [str(problem) for problem in caught.value.problems]


def test_the_official_referentiels_load_from_a_mapping_as_from_their_folder(
    referentiels_dir: Path, official: Referentiels
) -> None:
    files = every_text_file(referentiels_dir)
    assert "cae/cae.md" in files and "README.md" in files
    from_mapping = load_files(files, str(referentiels_dir))
    assert from_mapping == official
    assert sorted(from_mapping.referentiels) == ["cae", "eci"]
    assert len(from_mapping.questions) > 0 and len(from_mapping.personnalisations) > 0


def test_the_demo_loads_from_a_mapping_as_from_its_folder() -> None:
    files = every_text_file(DEMO_DIR)
    assert "scenario.yml" in files  # not a référentiel file: ignored
    from_mapping = load_files(files, str(DEMO_DIR))
    assert from_mapping == load()
    assert from_mapping.criteres is not None
    assert from_mapping.criteres.path == "labellisation/criteres.yml"


def test_the_path_given_names_where_the_files_come_from() -> None:
    loaded = load_files(read_folder(DEMO_DIR), "version 3")
    assert loaded.path == "version 3"
    assert replace(loaded, path=str(DEMO_DIR)) == load()


def test_a_bad_action_file_in_a_mapping_is_reported_at_its_file_and_line() -> None:
    files: dict[str, str | Problem] = {
        **{name: text for name, text in MINI.items() if text is not None},
        "cae/1.1.1.md": MESURE.replace("categorie: bases", "categorie: base"),
    }
    assert problems_of(files) == [
        "cae/1.1.1.md:9: cae_1.1.1.1: `categorie` vaut 'base' : attendu 'bases', 'mise en œuvre' ou 'effets'"
    ]


def test_every_kind_of_file_in_a_mapping_is_reported_at_its_file_and_line() -> None:
    files: dict[str, str | Problem] = {
        **{name: text for name, text in MINI.items() if text is not None},
        "questions/questions.md": QUESTIONS.replace("thematique_id: tourisme", "thematique_id: [tourisme"),
        "labellisation/criteres.yml": "etoiles:\n  1: 0.0\nmarge_recommandee: [\n",
    }
    found = problems_of(files)
    assert [problem.split(": ", 1)[0] for problem in found] == [
        "labellisation/criteres.yml:4",
        "questions/questions.md:21",
    ]
    assert "Erreur dans le formatage du yaml" in found[0]
    assert "Erreur dans le formatage du code yaml" in found[1]


def test_criteria_given_apart_are_read_under_the_name_they_were_given() -> None:
    files: dict[str, str | Problem] = {name: text for name, text in MINI.items() if text is not None}
    files["labellisation/criteres.yml"] = "not: [read\n"  # the folder's own, replaced
    given = (
        "etoiles: {1: 0.0, 2: 0.5}\nmarge_recommandee: 3\ndemande: {completude: 1.0, etoile_min_audit: 2}\n"
        "criteres:\n  cae:\n    - {etoile: 1, action: cae_1.1.1, libelle: Mesure, min_fait: 0.5}\n"
        "    - {etoile: 2, action: cae_7, libelle: Inconnue, min_fait: 0.5}\n"
    )
    files["/ailleurs/criteres.yml"] = given
    assert problems_of(files, "/ailleurs/criteres.yml") == [
        "/ailleurs/criteres.yml:2: marge_recommandee: attendu une part entre 0 et 1 (0.35 pour 35 %), "
        "trouvé 3.0.",
        "/ailleurs/criteres.yml:7: cae_7: action inconnue du référentiel cae.",
    ]
    files["/ailleurs/criteres.yml"] = given.replace(" 3\n", " 0.03\n").replace("cae_7", "cae_1.1.1.2")
    loaded = load_files(files, "version 3", "/ailleurs/criteres.yml")
    assert loaded.criteres is not None and loaded.criteres.path == "/ailleurs/criteres.yml"


def test_a_file_that_could_not_be_read_is_reported_alone_when_it_is_needed() -> None:
    unreadable = Problem(
        "cae/1.1.1.md", 3, "Le fichier n'est pas en UTF-8 : attendu du texte encodé en UTF-8."
    )
    files: dict[str, str | Problem] = {
        **{name: text for name, text in MINI.items() if text is not None},
        "cae/1.1.1.md": unreadable,
    }
    # Not followed by every question, rule and preuve naming one of the actions the file held.
    assert problems_of(files) == [str(unreadable)]
    # A file the loader does not read is not its problem.
    files = {**files, "cae/1.1.1.md": MESURE, "docs/notes.md": Problem("docs/notes.md", 1, "illisible")}
    assert sorted(load_files(files, "version 3").referentiels) == ["cae"]


def test_read_folder_reads_what_the_loader_may_use(tmp_path: Path) -> None:
    (tmp_path / "cae" / "deeper").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    (tmp_path / "labellisation").mkdir()
    for name, text in {
        "README.md": "# Lisez-moi\n",
        "cae/cae.md": "# Racine\n",
        "cae/deeper/notes.md": "# Plus bas\n",
        "cae/image.png": "png",
        ".git/HEAD.md": "# caché\n",
        "labellisation/criteres.yml": "etoiles: {}\n",
        "labellisation/autre.yml": "a: 1\n",
    }.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "cae" / "latin1.md").write_bytes("# Délibération\n".encode("latin-1"))
    files = read_folder(tmp_path)
    assert sorted(files) == ["README.md", "cae/cae.md", "cae/latin1.md", "labellisation/criteres.yml"]
    assert files["cae/cae.md"] == "# Racine\n"
    latin1 = files["cae/latin1.md"]
    assert isinstance(latin1, Problem) and (latin1.path, latin1.line) == ("cae/latin1.md", 1)
    assert read_folder(tmp_path / "cae" / "cae.md") == {"cae.md": "# Racine\n"}  # a lone file
