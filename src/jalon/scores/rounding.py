"""Python's ``round(x, 3)`` for whole arrays.

The official numbers are rounded with Python's ``round``: the exact binary value is rounded to the
nearest multiple of 0.001, ties to even, and the result is the double nearest to that decimal.
``numpy.round`` multiplies by 1000 first, which is inexact and differs on some values, so this
module does the exact computation with an error-free product (Dekker's algorithm).
"""

from __future__ import annotations

import numpy as np

from jalon.scores.tree import FloatArray

_SPLITTER = 134217729.0  # 2**27 + 1, splits a double into two 26-bit halves


def round3(values: FloatArray) -> FloatArray:
    """``round(x, 3)`` of every element, exactly as Python computes it (finite values only)."""
    x = np.abs(values)
    # Exact product x * 1000 as the unevaluated sum p + e.
    p = x * 1000.0
    c = _SPLITTER * x
    high = c - (c - x)
    low = x - high
    e = (high * 1000.0 - p) + low * 1000.0
    k = np.floor(p)
    # p is an integer but the exact product is slightly below it: the floor is one less.
    k = np.where((p == k) & (e < 0), k - 1.0, k)
    # Distance of the exact product above k + 0.5, its sign decides (p - k - 0.5 is exact).
    d = (p - k) - 0.5
    above = (d > 0) | ((d == 0) & (e > 0))
    tie = (d == 0) & (e == 0)
    up = above | (tie & (np.fmod(k, 2.0) == 1.0))
    k = np.where(up, k + 1.0, k)
    return np.copysign(k / 1000.0, values)
