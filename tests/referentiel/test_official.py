"""Loading the official CAE/ECI folder gives the reference converter's tree and numbers."""

from __future__ import annotations

import pytest

from jalon.referentiel.model import CATEGORIES, Referentiels


def test_cae_and_eci_have_the_reference_sizes(official: Referentiels) -> None:
    sizes = {
        ref.id: (len(ref.actions), sum(1 for action in ref.actions.values() if action.is_leaf))
        for ref in official.referentiels.values()
    }
    assert sizes == {"cae": (1471, 1111), "eci": (368, 274)}


def test_both_roots_total_500_points(official: Referentiels) -> None:
    assert official.action("cae").points == 500.0
    assert official.action("eci").points == 500.0
    assert official.action("cae").md_points is None  # commented out in cae.md: inferred from the axes
    assert official.action("eci").md_points == 500.0


def test_referentiel_of_names_the_referentiel_holding_an_action_and_none_for_an_unknown_id(
    official: Referentiels,
) -> None:
    cae, eci = official.referentiels["cae"], official.referentiels["eci"]
    assert official.referentiel_of("cae") is cae  # a root
    assert official.referentiel_of("cae_1.1.1") is cae
    assert official.referentiel_of("eci_1.1") is eci
    # The id's form names a référentiel, but no action of it; or no référentiel at all.
    for unknown in ("cae_99", "eci_1.1.1.1.1.1", "te_1", "cae1", "", "_", "cae_"):
        assert official.referentiel_of(unknown) is None, unknown
    with pytest.raises(KeyError):
        official.action("cae_99")


def test_roots_are_named_and_located(official: Referentiels) -> None:
    cae = official.referentiels["cae"]
    assert cae.nom == "Climat Air Énergie"
    assert cae.root.source.path == "cae/cae.md"
    assert cae.root.source.line == 1
    assert official.referentiels["eci"].nom == "Économie Circulaire"


def test_points_keep_the_reference_float_noise(official: Referentiels) -> None:
    sous_action = official.action("cae_1.1.1.1")
    assert sous_action.md_pourcentage == 5.0
    assert sous_action.points == 0.6000000000000001  # 5 / 100 * 12
    assert [official.action(t).points for t in sous_action.children] == [0.30000000000000004] * 2


def test_reglementaire_nodes_get_zero_points(official: Referentiels) -> None:
    assert official.action("eci_2.4.0").points == 0.0
    assert official.action("cae_1.1.2.0").points == 0.0
    assert all(official.action(t).points == 0.0 for t in official.action("cae_1.1.2.0").children)


def test_every_parent_has_the_sum_of_its_children_within_reference_tolerance(official: Referentiels) -> None:
    for ref in official.referentiels.values():
        for action in ref.actions.values():
            if action.children:
                total = sum(ref.actions[child].points for child in action.children)
                assert abs(total - action.points) <= 1e-5 * max(abs(total), abs(action.points))


def test_action_levels_are_the_depth_of_the_mesures(official: Referentiels) -> None:
    assert official.referentiels["cae"].action_level == 3
    assert official.referentiels["eci"].action_level == 2


def test_depths_count_underscores_and_dots(official: Referentiels) -> None:
    assert [official.action(i).depth for i in ("cae", "cae_1", "cae_1.1", "cae_1.1.1", "cae_1.1.1.1")] == [
        0,
        1,
        2,
        3,
        4,
    ]
    assert official.action("cae_1.1.1.1.1").depth == 5
    assert official.action("eci_1.1.1.1").depth == 4


def test_children_are_in_natural_order(official: Referentiels) -> None:
    assert official.action("cae").children == tuple(f"cae_{axe}" for axe in range(1, 7))
    # cae_3.3.5 comes after cae_3.3.4, and 1.1.1.10-like ids after 1.1.1.9: numbers, not text.
    children = official.action("cae_3.3").children
    assert children == tuple(sorted(children, key=lambda i: [int(p) for p in i[4:].split(".")]))
    eci_axe_3 = official.action("eci_3").children
    assert eci_axe_3 == tuple(f"eci_3.{n}" for n in range(1, 8))


def test_actions_are_listed_root_first_then_depth_by_depth(official: Referentiels) -> None:
    actions = list(official.referentiels["cae"].actions.values())
    assert actions[0].id == "cae"
    assert [a.depth for a in actions] == sorted(a.depth for a in actions)
    mesures = [a.identifiant for a in actions if a.depth == 3]
    assert mesures == sorted(mesures, key=lambda i: [int(p) for p in i.split(".")])


def test_parents_and_children_agree(official: Referentiels) -> None:
    for ref in official.referentiels.values():
        for action in ref.actions.values():
            for child in action.children:
                assert ref.actions[child].parent == action.id
        assert ref.root.parent is None


def test_sous_actions_carry_categories(official: Referentiels) -> None:
    assert official.action("cae_1.1.1.1").categorie == "bases"
    assert official.action("cae_1.1.1.2").categorie == "mise en œuvre"
    categories = {a.categorie for r in official.referentiels.values() for a in r.actions.values()}
    assert categories == {None, *CATEGORIES}


def test_sections_keep_the_markdown_text(official: Referentiels) -> None:
    mesure = official.action("cae_1.1.1")
    assert mesure.nom == "Définir la vision, les objectifs et la stratégie Climat-Air-Énergie"
    assert set(mesure.sections) == {
        "description",
        "contexte",
        "ressources",
        "exemples",
        "reduction_de_potentiel",
        "perimetre_de_levaluation",
    }
    assert mesure.sections["reduction_de_potentiel"] == "Pas de réduction de potentiel"
    assert mesure.sections["contexte"].startswith("**Contexte et enjeux**\n\nDepuis le début du XXe siècle")
    assert (
        mesure.sections["perimetre_de_levaluation"].splitlines()[1]
        == "- Charte de l'énergie ou d'environnement"
    )


def test_text_right_under_a_tache_yaml_block_is_its_description(official: Referentiels) -> None:
    # The reference converter dropped it (spec §7 item 11); it is what the author wrote about the tâche.
    assert (
        official.action("cae_1.1.1.1.1")
        .sections["description"]
        .startswith("Une vision et des engagements sont formalisés")
    )


def test_sources_point_at_the_heading_of_each_action(official: Referentiels) -> None:
    assert str(official.action("cae_1.1.1").source) == "cae/1.1.1.md:1"
    assert str(official.action("cae_1.1.1.1").source) == "cae/1.1.1.md:103"
    assert str(official.action("cae_1.1").source) == "cae/1.md:7"


def test_questions_are_sorted_with_their_choix(official: Referentiels) -> None:
    assert len(official.questions) == 53
    assert list(official.questions) == sorted(official.questions)
    eclairage = official.questions["EP_1"]
    assert eclairage.type == "choix"
    assert [c.id for c in eclairage.choix] == ["EP_1_a", "EP_1_b", "EP_1_c"]
    assert eclairage.choix[0].formulation == "Oui sur l'ensemble du territoire"
    assert all(q.choix == () for q in official.questions.values() if q.type != "choix")
    assert official.questions["dechets_1"].action_ids == tuple(
        sorted(official.questions["dechets_1"].action_ids)
    )
    assert official.questions["voirie_2"].types_concernes == ("commune",)
    assert official.questions["voirie_1"].ordonnancement == 4


def test_personnalisations_are_sorted_by_action_with_their_rules(official: Referentiels) -> None:
    personnalisations = official.personnalisations
    assert len(personnalisations) == 105
    assert [p.action_id for p in personnalisations] == sorted(p.action_id for p in personnalisations)
    bilan = next(p for p in personnalisations if p.action_id == "cae_1.1.2.1")
    assert [r.type for r in bilan.regles] == ["reduction", "desactivation"]
    desactivation = bilan.regle("desactivation")
    assert desactivation is not None
    assert (
        desactivation.formule == "si identite(type, EPCI) et identite(population, plus_de_20000) alors VRAI\n"
    )
    assert desactivation.description.startswith("Seuls les EPCI à fiscalité propre")
    # A personnalisation without rules is kept, as the reference does (cae_3.2.1.1).
    assert next(p for p in personnalisations if p.action_id == "cae_3.2.1.1").regles == ()


def test_preuves_are_read_in_file_order_without_commented_ones(official: Referentiels) -> None:
    assert len(official.preuves) == 298
    first = official.preuves[0]
    assert (first.id, first.action_ids) == ("rapport_diag_pcaet", ("cae_1.1.1.3", "cae_1.1.2.1"))
    assert first.description.startswith("PCAET avec EES")
    assert str(first.source) == "preuves/cae_1.md:1"


def test_thematiques_are_read(official: Referentiels) -> None:
    assert len(official.thematiques) == 17
    assert official.thematiques["strategie"] == "Stratégie"
