"""round3 must be Python's round(x, 3), bit for bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from jalon.scores.rounding import round3


def test_round3_matches_python_round_on_known_traps() -> None:
    values = [
        0.3375,
        0.3374999999999999,
        0.0625,
        0.0005,
        2.675,
        1.0005,
        0.6000000000000001,
        499.9995,
        0.0,
        -0.0625,
    ]
    assert round3(np.array(values)).tolist() == [round(v, 3) for v in values]


@given(st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=50))
def test_round3_matches_python_round_on_any_value(values: list[float]) -> None:
    assert round3(np.array(values)).tolist() == [round(v, 3) for v in values]


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=-3, max_value=3))
def test_round3_matches_python_round_near_ties(k: int, ulps: int) -> None:
    x = (k + 0.5) / 1000
    for _ in range(abs(ulps)):
        x = np.nextafter(x, np.inf if ulps > 0 else -np.inf)
    assert round3(np.array([x])).tolist() == [round(float(x), 3)]
