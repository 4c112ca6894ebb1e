"""distribute_points: the reference derivation of every node's points (spec §1.4), float for float."""

from __future__ import annotations

from jalon.referentiel.points import distribute_points


def test_children_without_points_nor_pourcentage_share_the_parent_equally() -> None:
    points, issues = distribute_points({"x": ["x_1", "x_2", "x_3"]}, {"x": 30.0}, {})
    assert issues == ()
    assert points == {"x": 30.0, "x_1": 10.0, "x_2": 10.0, "x_3": 10.0}
    points, _ = distribute_points({"x": ["x_1", "x_2"]}, {"x": 70.0}, {})
    assert points == {"x": 70.0, "x_1": 35.0, "x_2": 35.0}


def test_a_child_with_pourcentage_0_gets_nothing_in_an_equal_split() -> None:
    points, issues = distribute_points({"x": ["x_0", "x_1", "x_2"]}, {"x": 20.0}, {"x_0": 0.0})
    assert issues == ()
    assert points == {"x": 20.0, "x_0": 0.0, "x_1": 10.0, "x_2": 10.0}


def test_a_node_with_0_points_gives_0_to_its_children() -> None:
    children = {"x": ["x_1"], "x_1": ["x_1.0", "x_1.1"], "x_1.0": ["x_1.0.1", "x_1.0.2"]}
    points, issues = distribute_points(children, {"x_1": 10.0, "x": 10.0}, {"x_1.0": 0.0, "x_1.1": 100.0})
    assert issues == ()
    assert points["x_1.0"] == 0.0
    assert points["x_1.0.1"] == points["x_1.0.2"] == 0.0
    assert points["x_1.1"] == 10.0


def test_pourcentages_are_applied_as_pct_over_100_times_points() -> None:
    children = {"x": ["x_1", "x_2"], "x_1": ["x_1.1", "x_1.2"]}
    points, issues = distribute_points(children, {"x": 12.0}, {"x_1": 5.0, "x_2": 95.0})
    assert issues == ()
    assert points["x_1"] == 0.6000000000000001  # 5 / 100 * 12, not 0.6
    assert points["x_1.1"] == points["x_1.2"] == 0.30000000000000004


def test_explicit_points_on_a_sibling_zero_the_pourcentage_of_the_others() -> None:
    points, issues = distribute_points({"x": ["x_1", "x_2"]}, {"x_1": 5.0}, {"x_2": 50.0})
    assert issues == ()
    assert points == {"x": 5.0, "x_1": 5.0, "x_2": 0.0}


def test_parents_without_points_get_the_sum_of_their_children_bottom_up() -> None:
    children = {"x": ["x_1", "x_2"], "x_1": ["x_1.1", "x_1.2"], "x_2": ["x_2.1"]}
    points, issues = distribute_points(children, {"x_1.1": 3.0, "x_1.2": 4.0, "x_2.1": 5.0}, {})
    assert issues == ()
    assert points["x_1"] == 7.0
    assert points["x_2"] == 5.0
    assert points["x"] == 12.0


def test_zero_fill_happens_before_the_sums_so_it_also_zeroes_a_summable_sibling() -> None:
    # x_2 has explicit points, so x_1 is set to 0 before its children could be summed into it.
    children = {"x": ["x_1", "x_2"], "x_1": ["x_1.1"]}
    points, issues = distribute_points(children, {"x_1.1": 3.0, "x_2": 5.0}, {})
    assert points["x_1"] == 0.0
    assert [i.action_id for i in issues] == ["x_1"]


def test_sums_run_left_to_right_in_plain_string_order() -> None:
    # "x_1.10" < "x_1.2" < "x_1.3" as text: 0.3 + 0.2 + 0.1 == 0.6, whereas 0.2 + 0.1 + 0.3 would not be.
    children = {"x": ["x_1"], "x_1": ["x_1.2", "x_1.3", "x_1.10"]}
    points, issues = distribute_points(children, {"x_1.10": 0.3, "x_1.2": 0.2, "x_1.3": 0.1}, {})
    assert issues == ()
    assert points["x_1"] == 0.6
    assert points["x"] == 0.6


def test_pourcentages_must_sum_to_exactly_100() -> None:
    children = {"x": ["x_1", "x_2"]}
    _, issues = distribute_points(children, {"x": 10.0}, {"x_1": 40.0, "x_2": 59.0})
    assert [(i.action_id, i.message) for i in issues] == [
        (
            "x",
            "Les valeurs des actions x_1, x_2 sont renseignées en pourcentage, mais leur somme fait 99.0 au "
            "lieu "
            "de 100.",
        )
    ]


def test_the_100_test_is_exact_on_floats() -> None:
    children = {"x": ["x_1", "x_2", "x_3"]}
    _, issues = distribute_points(children, {"x": 10.0}, {"x_1": 0.1, "x_2": 64.1, "x_3": 35.8})
    assert len(issues) == 1
    assert "leur somme fait 99.99999999999999 au lieu de 100." in issues[0].message


def test_children_points_must_add_up_to_their_parent() -> None:
    children = {"x": ["x_1", "x_2"]}
    _, issues = distribute_points(children, {"x": 60.0, "x_1": 10.0, "x_2": 51.0}, {})
    assert [(i.action_id, i.message) for i in issues] == [
        (
            "x",
            "Les valeurs des actions de l'action x sont renseignées en points, mais leur somme fait 61.0 au "
            "lieu "
            "de 60.0.",
        )
    ]


def test_children_sum_is_checked_with_a_relative_tolerance_of_1e_5() -> None:
    children = {"x": ["x_1", "x_2"]}
    _, issues = distribute_points(children, {"x": 100.0, "x_1": 50.0, "x_2": 50.0005}, {})
    assert issues == ()


def test_a_pourcentage_child_sums_are_checked_too() -> None:
    # An action at 10 points via 50 % whose children carry 3 + 4 points.
    children = {"x": ["x_1", "x_2"], "x_1": ["x_1.1", "x_1.2"]}
    _, issues = distribute_points(
        children, {"x": 20.0, "x_1.1": 3.0, "x_1.2": 4.0}, {"x_1": 50.0, "x_2": 50.0}
    )
    assert [i.action_id for i in issues] == ["x_1"]
    assert "leur somme fait 7.0 au lieu de 10.0." in issues[0].message


def test_all_children_at_pourcentage_0_is_a_problem_not_a_division_by_zero() -> None:
    children = {"x": ["x_1", "x_2"]}
    _, issues = distribute_points(children, {"x": 10.0}, {"x_1": 0.0, "x_2": 0.0})
    assert [i.action_id for i in issues] == ["x"]
    assert issues[0].message.startswith("Les enfants de l'action x (x_1, x_2) ont tous un pourcentage de 0")


def test_a_parent_without_points_to_split_is_a_problem_not_a_key_error() -> None:
    children = {"x": ["x_1", "x_2"], "x_1": ["x_1.1"]}
    points, issues = distribute_points(children, {}, {"x_1": 50.0, "x_2": 50.0})
    assert [i.action_id for i in issues] == ["x"]  # its children and grandchildren are not repeated
    assert issues[0].message.startswith(
        "Les points de l'action x ne sont pas connus au moment de les répartir entre ses enfants"
    )
    assert "x_1" not in points


def test_points_that_cannot_be_inferred_are_reported() -> None:
    # x_1 gets its points from below, so nothing is split for x_2, which has neither points nor pourcentage.
    children = {"x": ["x_1", "x_2"], "x_1": ["x_1.1"]}
    points, issues = distribute_points(children, {"x_1.1": 4.0}, {})
    messages = {i.action_id: i.message for i in issues}
    assert messages["x_2"].startswith("Les points de l'action x_2 n'ont pas pu être inféré")
    assert "x_2" not in points
