"""The naive-Bayes feature scale the linear model is trained with (``townhall.training.train.nb_scale``)."""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse

from townhall.training.train import nb_scale


def _matrix(rows: list[list[float]]) -> sparse.csr_matrix:
    return sparse.csr_matrix(np.array(rows, dtype=float))


def test_separating_columns_weigh_more_than_shared_ones() -> None:
    # columns: only in positives, in every row, only in negatives
    x = _matrix([[1, 1, 0], [0.3, 1, 0], [0, 1, 2], [0, 1, 0.5]])
    y = np.array([1, 1, 0, 0])
    w = np.ones(4)
    s = nb_scale(x, y, w, power=1.0, alpha=1.0)
    # presence, not tf-idf value, is counted: pos = (2+1, 2+1, 0+1), neg = (0+1, 2+1, 2+1), both sums 7
    expected = np.abs(np.log(np.array([3.0, 3.0, 1.0]) / np.array([1.0, 3.0, 3.0]))) + 1e-3
    np.testing.assert_allclose(s, expected)
    assert s[0] == s[2] > s[1]
    assert math.isclose(s[1], 1e-3)  # a column that says nothing keeps a small, non-zero scale


def test_row_weights_count_and_power_shrinks_the_spread() -> None:
    x = _matrix([[1, 0], [1, 1], [0, 1]])
    y = np.array([1, 0, 0])
    heavy = nb_scale(x, y, np.array([1.0, 0.0, 1.0]), power=1.0)  # the shared row weighs nothing
    light = nb_scale(x, y, np.array([1.0, 1.0, 1.0]), power=1.0)
    assert heavy[0] > light[0]
    flat = nb_scale(x, y, np.ones(3), power=0.5)
    assert np.all(flat > 0)
    assert flat.max() / flat.min() < light.max() / light.min()
