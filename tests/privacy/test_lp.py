"""Feasible intervals by linear programming, against enumeration of every integer solution."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from irdp.privacy._lp import LinearSystem, feasible_intervals


def _brute(system: LinearSystem, box: int) -> tuple[np.ndarray, np.ndarray]:
    """Min and max of each variable over every integer point of [lower, min(upper, box)]."""
    ranges = [range(int(lo), int(min(hi, box)) + 1)
              for lo, hi in zip(system.lower, system.upper, strict=True)]
    lo = np.full(system.n, np.inf)
    hi = np.full(system.n, -np.inf)
    for x in itertools.product(*ranges):
        x = np.asarray(x, dtype=float)
        if all(abs(np.dot(c, x[i]) - b) < 1e-9 for i, c, b in system.eq) and all(
                np.dot(c, x[i]) <= b + 1e-9 for i, c, b in system.ub):
            lo = np.minimum(lo, x)
            hi = np.maximum(hi, x)
    return lo, hi


def test_two_by_two_table_with_margins():
    # x11 + x12 = 9, x21 + x22 = 20, x11 + x21 = 14, x12 + x22 = 15; x22 published as 12
    s = LinearSystem()
    x = [s.add_var() for _ in range(4)]
    s.bound(x[3], 12, 12)
    s.add_eq([x[0], x[1]], [1, 1], 9)
    s.add_eq([x[2], x[3]], [1, 1], 20)
    s.add_eq([x[0], x[2]], [1, 1], 14)
    s.add_eq([x[1], x[3]], [1, 1], 15)
    iv = feasible_intervals(s)
    assert iv.feasible
    assert iv.lower.tolist() == [6.0, 3.0, 8.0, 12.0]
    assert iv.upper.tolist() == [6.0, 3.0, 8.0, 12.0]


def test_interval_when_two_cells_are_hidden_in_a_line():
    s = LinearSystem()
    a, b = s.add_var(), s.add_var()
    s.add_eq([a, b], [1, 1], 17)
    iv = feasible_intervals(s)
    assert (iv.lower[a], iv.upper[a]) == (0.0, 17.0)


def test_rate_with_printed_precision_pins_an_integer():
    # 9 / 96 = 0.09375 printed 0.0938 (half-width 5e-5) with its denominator 96 gives 9
    s = LinearSystem()
    num, den = s.add_var(), s.add_var()
    s.bound(den, 96, 96)
    s.add_ub([num, den], [1.0, -(0.0938 + 5e-5)], 0.0)
    s.add_ub([num, den], [-1.0, 0.0938 - 5e-5], 0.0)
    for integrality in (True, False):
        iv = feasible_intervals(s, [num], integrality=integrality)
        assert (iv.lower[num], iv.upper[num]) == (9.0, 9.0)


def test_unbounded_and_infeasible():
    s = LinearSystem()
    a, b = s.add_var(), s.add_var()
    s.add_eq([a, b], [1, -1], 0)  # a = b, nothing else
    iv = feasible_intervals(s)
    assert iv.lower[a] == 0
    assert np.isinf(iv.upper[a])
    s2 = LinearSystem()
    c = s2.add_var()
    s2.bound(c, 3, 3)
    s2.add_eq([c], [1], 4)
    assert not feasible_intervals(s2).feasible
    s3 = LinearSystem()
    d, e = s3.add_var(), s3.add_var()
    s3.add_eq([d, e], [1, 1], 2)
    s3.add_eq([d, e], [1, 1], 3)
    iv3 = feasible_intervals(s3)
    assert not iv3.feasible
    assert set(iv3.infeasible_vars) == {d, e}


def test_integrality_narrows_what_the_relaxation_allows():
    # 2a + 2b = 6 with b <= 1.5: the relaxation gives a in [1.5, 3], integers give [2, 3]
    s = LinearSystem()
    a, b = s.add_var(), s.add_var(0, 1.5)
    s.add_eq([a, b], [2, 2], 6)
    lp = feasible_intervals(s, [a], integrality=False)
    ip = feasible_intervals(s, [a], integrality=True)
    assert (lp.lower[a], lp.upper[a]) == (2.0, 3.0)  # bounds rounded inwards
    assert (ip.lower[a], ip.upper[a]) == (2.0, 3.0)


@pytest.mark.parametrize("seed", range(6))
def test_random_small_systems_match_enumeration(seed):
    rng = np.random.default_rng(seed)
    n_rows, n_cols = 2, 3
    table = rng.integers(0, 6, size=(n_rows, n_cols))
    s = LinearSystem()
    var = {(r, c): s.add_var() for r in range(n_rows) for c in range(n_cols)}
    for r in range(n_rows):
        s.add_eq([var[r, c] for c in range(n_cols)], [1] * n_cols, table[r].sum())
    for c in range(n_cols):
        s.add_eq([var[r, c] for r in range(n_rows)], [1] * n_rows, table[:, c].sum())
    shown = rng.random(size=(n_rows, n_cols)) < 0.4
    for (r, c), j in var.items():
        if shown[r, c]:
            s.bound(j, table[r, c], table[r, c])
    lo, hi = _brute(s, box=int(table.sum()))
    iv = feasible_intervals(s, integrality=True)
    free = [j for (r, c), j in var.items() if not shown[r, c]]
    assert iv.feasible
    np.testing.assert_array_equal(iv.lower[free], lo[free])
    np.testing.assert_array_equal(iv.upper[free], hi[free])


def test_cache_reuses_components():
    s = LinearSystem()
    a, b, c = s.add_var(), s.add_var(), s.add_var()
    s.add_eq([a, b], [1, 1], 30)
    s.add_eq([b, c], [1, 1], 40)
    cache: dict = {}
    first = feasible_intervals(s, cache=cache)
    assert len(cache) == 1
    again = feasible_intervals(s, cache=cache)
    assert len(cache) == 1
    np.testing.assert_array_equal(first.upper, again.upper)
    assert (first.lower[a], first.upper[a]) == (0.0, 30.0)


def test_single_line_is_exact_without_optimisation():
    # x + y + z = 25 with y published as 12 and z <= 10 (a '<11' label): x in [3, 13]
    s = LinearSystem()
    x, y, z = s.add_var(), s.add_var(), s.add_var(0, 10)
    s.bound(y, 12, 12)
    s.add_eq([x, y, z], [1, 1, 1], 25)
    iv = feasible_intervals(s)
    assert (iv.lower[x], iv.upper[x]) == (3.0, 13.0)
    assert (iv.lower[z], iv.upper[z]) == (0.0, 10.0)
    s.add_var()
    s2 = LinearSystem()
    u, v = s2.add_var(0, 3), s2.add_var(0, 3)
    s2.add_eq([u, v], [1, 1], 10)
    assert not feasible_intervals(s2).feasible
