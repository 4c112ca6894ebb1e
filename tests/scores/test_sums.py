"""Children sums must add left to right, like the reference's Python ``sum``: the order of a
floating-point sum decides the third decimal (spec §7.1)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from jalon.scores.engine import sum_rows

MAGNITUDES = st.sampled_from([1e16, -1e16, 7e15, 1.0, 0.1, 3.3, 1e-3, 0.6000000000000001])
VALUES = st.builds(lambda m, x: m * x, MAGNITUDES, st.floats(0, 1))


def sequential(values: list[float]) -> float:
    total = 0.0
    for v in values:
        total = total + v
    return total


@given(st.integers(1, 30), st.integers(1, 4), st.data())
def test_sum_rows_adds_rows_in_order_for_any_width(k: int, width: int, data: st.DataObject) -> None:
    rows = [[data.draw(VALUES) for _ in range(width)] for _ in range(k)]
    result = sum_rows(np.array(rows))
    assert result.tolist() == [sequential([r[c] for r in rows]) for c in range(width)]


@given(st.integers(1, 30), st.integers(1, 3), st.data())
def test_sum_rows_adds_rows_in_order_for_score_matrices(k: int, nodes: int, data: st.DataObject) -> None:
    cube = [[[data.draw(VALUES) for _ in range(3)] for _ in range(nodes)] for _ in range(k)]
    result = sum_rows(np.array(cube))
    assert result.tolist() == [
        [sequential([cube[i][n][f] for i in range(k)]) for f in range(3)] for n in range(nodes)
    ]
