"""The Markdown reader: headings, keywords, sections, YAML blocks, and action files read alone."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from jalon.referentiel.actions import ActionNode, parse_action_file
from jalon.referentiel.errors import ReferentielError
from jalon.referentiel.markdown import parse_markdown, simple_yaml, snake_case
from tests.referentiel.folders import yaml_block

ACTIONS = frozenset({"actions"})


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("Actions", "actions"),
        ("Règles", "regles"),
        ("Regles", "regles"),
        ("Périmètre de l'évaluation", "perimetre_de_levaluation"),
        ("Réduction de potentiel", "reduction_de_potentiel"),
        ("Choix", "choix"),
        ("Retours d’expérience", "retours_d’experience"),  # the typographic apostrophe is kept
    ],
)
def test_section_keys_are_the_reference_snake_case(title: str, key: str) -> None:
    assert snake_case(title) == key


def test_sections_keep_their_raw_markdown_and_loose_text_goes_to_description() -> None:
    text = (
        "# Mesure\n"
        + yaml_block("identifiant: 1.1.1")
        + "Texte sous le bloc yaml.\n\n"
        + "- un point **important**\n- un [lien](https://example.org)\n\n"
        + "## Contexte\n"
        + "Premier paragraphe.\n\n\n"
        + "Second paragraphe.\n"
        + "### Un sous-titre du contexte\n"
        + "Suite.\n"
    )
    [mesure], problems = parse_markdown(text, "m.md", ACTIONS, "actions")
    assert problems == []
    assert mesure.sections == {
        "description": "Texte sous le bloc yaml.\n\n- un point **important**\n- un [lien](https://example.org)",
        "contexte": "Premier paragraphe.\n\n\nSecond paragraphe.\n### Un sous-titre du contexte\nSuite.",
    }


def test_keyword_headings_nest_children_one_level_deeper() -> None:
    text = (
        "# Mesure\n"
        + yaml_block("identifiant: 1")
        + "## Actions\n"
        + "### Sous-mesure\n"
        + yaml_block("identifiant: 1.1")
        + "#### Description\n"
        + "Sa description.\n"
        + "#### Actions\n"
        + "##### Tâche\n"
        + yaml_block("identifiant: 1.1.1")
        + "### Autre sous-mesure\n"
        + yaml_block("identifiant: 1.2")
        + "# Seconde mesure\n"
        + yaml_block("identifiant: 2")
    )
    tops, problems = parse_markdown(text, "m.md", ACTIONS, "actions")
    assert problems == []
    assert [top.title for top in tops] == ["Mesure", "Seconde mesure"]
    sous_mesures = tops[0].kids("actions")
    assert [(n.title, n.line) for n in sous_mesures] == [("Sous-mesure", 6), ("Autre sous-mesure", 17)]
    assert sous_mesures[0].sections == {"description": "Sa description."}
    assert [n.data for n in sous_mesures[0].kids("actions")] == [{"identifiant": "1.1.1"}]


def test_crlf_files_read_like_lf_files() -> None:
    text = "# Mesure\n" + yaml_block("identifiant: 1\npoints: 3") + "## Description\nLigne un\nLigne deux\n"
    lf, _ = parse_markdown(text, "m.md", ACTIONS, "actions")
    crlf, _ = parse_markdown(text.replace("\n", "\r\n"), "m.md", ACTIONS, "actions")
    assert (crlf[0].data, crlf[0].sections, crlf[0].line) == (lf[0].data, lf[0].sections, lf[0].line)


def test_commentaire_blocks_are_ignored() -> None:
    text = "```commentaire\n# Pas un titre\nid: x\n```\n# Preuve\n" + yaml_block("id: p\nactions: []")
    tops, problems = parse_markdown(text, "p.md", frozenset(), "")
    assert problems == []
    assert [(top.title, top.data) for top in tops] == [("Preuve", {"id": "p", "actions": []})]


def test_a_broken_yaml_block_is_reported_at_the_line_of_the_error() -> None:
    text = "# Mesure\n```yaml\nidentifiant: 1\npoints: [3\n```\n"
    [mesure], problems = parse_markdown(text, "cae/1.md", ACTIONS, "actions")
    assert mesure.yaml_error
    [problem] = problems
    assert (problem.path, problem.line) == ("cae/1.md", 4)  # the unclosed bracket, not the end of the block
    assert problem.message.startswith("Erreur dans le formatage du code yaml sous « Mesure ». Raison : ")


def test_a_yaml_block_that_is_not_a_mapping_is_reported() -> None:
    text = "# Mesure\n```yaml\n- identifiant: 1\n```\n"
    _, [problem] = parse_markdown(text, "cae/1.md", ACTIONS, "actions")
    assert problem.line == 3
    assert "le contenu est un list" in problem.message


def test_an_impossible_yaml_date_is_reported_not_raised() -> None:
    _, [problem] = parse_markdown("# M\n```yaml\nle: 2024-13-45\n```\n", "m.md", ACTIONS, "actions")
    assert problem.line == 3


def test_raw_identifiant_text_is_kept_for_unquoted_numbers() -> None:
    [node], _ = parse_markdown("# M\n" + yaml_block("identifiant: 1.10"), "m.md", ACTIONS, "actions")
    assert node.data["identifiant"] == 1.1  # what YAML reads…
    assert node.raw["identifiant"] == "1.10"  # …and what the author wrote


@pytest.mark.parametrize(
    "block",
    [
        "identifiant: 1.1.2.0 \npourcentage: 5\ncategorie: mise en œuvre",
        "identifiant: 1.10\npoints: 12.5\n# points: 500\nclimat_pratic_id: strategie",
        "a: yes\nb: ~\nc: 0x1F\nd: 017\ne: 1_000\nf: .inf\ng: 2024-01-31\nh: l'action",
        "a: x\na: y",
    ],
)
def test_simple_yaml_reads_like_pyyaml(block: str) -> None:
    simple = simple_yaml(block)
    assert simple is not None
    assert simple[0] == yaml.safe_load(block)
    assert [type(v) for v in simple[0].values()] == [type(v) for v in yaml.safe_load(block).values()]


@pytest.mark.parametrize(
    "block",
    [
        'identifiant: ""',
        "actions: [a, b]",
        "a:\n  - x",
        "a: b: c",
        "a: x # c",
        "  a: x",
        "a: -1",
        "yes: 1",
        "i: 1:20",
    ],
)
def test_simple_yaml_leaves_anything_else_to_pyyaml(block: str) -> None:
    assert simple_yaml(block) is None


_KEYS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
_VALUES = st.text(st.sampled_from("aZ09 ._-+:#'\"~!&*|>%@`,[]{}?=œé\t\\/"), min_size=1, max_size=12)


@given(st.lists(st.tuples(_KEYS, _VALUES), min_size=1, max_size=4))
def test_simple_yaml_agrees_with_pyyaml_whenever_it_answers(pairs: list[tuple[str, str]]) -> None:
    block = "\n".join(f"{key}: {value}" for key, value in pairs)
    simple = simple_yaml(block)
    if simple is None:
        return
    expected = yaml.safe_load(block)
    assert simple[0] == expected
    assert [type(v) for v in simple[0].values()] == [type(v) for v in expected.values()]


def _shape(nodes: list[ActionNode]) -> list[tuple[object, ...]]:
    return [
        (n.identifiant, n.points, n.pourcentage, n.categorie, tuple(c.identifiant for c in n.children))
        for top in nodes
        for n in top.walk()
    ]


def test_the_seed_and_the_official_mesure_6_1_1_give_the_same_tree(referentiels_dir: Path) -> None:
    seed = parse_action_file(referentiels_dir / "seed-6.1.1.md")
    official = parse_action_file(referentiels_dir / "cae" / "6.1.1.md")
    assert _shape(seed) == _shape(official)
    assert len(_shape(seed)) == 27
    assert seed[0].nom == official[0].nom == "Développer une stratégie partenariale multi-niveaux"
    assert (seed[0].points, [c.pourcentage for c in seed[0].children]) == (
        6.0,
        [10.0, 25.0, 25.0, 15.0, 25.0],
    )
    # The seed is an earlier wording of five tâches; every other name is the same.
    renamed = [
        a.identifiant
        for a, b in zip(
            (n for t in seed for n in t.walk()), (n for t in official for n in t.walk()), strict=True
        )
        if a.nom != b.nom
    ]
    assert renamed == ["6.1.1.2.5", "6.1.1.3.2", "6.1.1.3.3", "6.1.1.3.5", "6.1.1.4.2"]


def test_parse_action_file_reports_problems_of_a_lone_file(tmp_path: Path) -> None:
    file = tmp_path / "1.1.md"
    file.write_text("# Mesure\n" + yaml_block("identifiant: 1.1\npoints: douze"), encoding="utf-8")
    with pytest.raises(ReferentielError) as caught:
        parse_action_file(file)
    [problem] = caught.value.problems
    assert (problem.path, problem.line, problem.subject) == ("1.1.md", 1, "1.1")
    assert problem.message == "`points` vaut 'douze' : attendu un nombre"


def test_parse_action_file_of_a_missing_file_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(ReferentielError) as caught:
        parse_action_file(tmp_path / "absent.md")
    assert caught.value.problems[0].path == "absent.md"
    assert caught.value.problems[0].message.startswith("Le fichier ne peut pas être lu")
