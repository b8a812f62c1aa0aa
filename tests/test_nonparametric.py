"""Kaplan-Meier, censoring KM and Aalen-Johansen against lifelines and hand computations."""

from __future__ import annotations

import numpy as np
import pytest
from lifelines import AalenJohansenFitter, KaplanMeierFitter

from irdp.nonparametric import aalen_johansen, censoring_survival, kaplan_meier


def _data(rng, n=400):
    t = np.round(rng.exponential(5.0, n), 1)  # rounding makes many ties
    c = np.round(rng.exponential(8.0, n), 1)
    cause = np.where(t <= c, rng.integers(1, 3, n), 0)
    return np.minimum(t, c) + 0.1, cause


def test_km_hand_example():
    km = kaplan_meier([1, 2, 2, 3, 4], [1, 1, 0, 1, 0])
    # S(1) = 4/5; S(2) = 4/5 * 3/4; S(3) = 0.6 * 1/2
    np.testing.assert_allclose(km.survival, [0.8, 0.6, 0.3])
    np.testing.assert_allclose(km.at([2.0], left=True), [0.8])
    # Greenwood at t=1: S^2 * d/(n(n-d)) = 0.64 * 1/20
    np.testing.assert_allclose(km.variance[0], 0.64 / 20)


def test_km_matches_lifelines(rng):
    time, cause = _data(rng)
    event = cause > 0
    km = kaplan_meier(time, event)
    ref = KaplanMeierFitter().fit(time, event)
    grid = np.linspace(0, time.max(), 57)
    np.testing.assert_allclose(km.at(grid), ref.survival_function_at_times(grid).to_numpy(),
                               rtol=1e-12)


def test_censoring_survival_is_reverse_km(rng):
    time, cause = _data(rng)
    g = censoring_survival(time, cause)
    ref = KaplanMeierFitter().fit(time, cause == 0)
    grid = np.linspace(0, time.max(), 31)
    np.testing.assert_allclose(g.at(grid), ref.survival_function_at_times(grid).to_numpy(),
                               rtol=1e-12)


def test_aalen_johansen_hand_example():
    aj = aalen_johansen([1, 2, 3, 4], [1, 2, 0, 1])
    # S before t=4 is 1 * 3/4 * 2/3 = 0.5 (censoring at 3 leaves 1 at risk at 4)
    np.testing.assert_allclose(aj.cif_at([1, 2, 4], cause=1), [0.25, 0.25, 0.75])
    np.testing.assert_allclose(aj.cif_at([4], cause=2), [0.25])
    np.testing.assert_allclose(aj.survival_at([4]), [0.0])


def test_aalen_johansen_matches_lifelines_without_ties(rng):
    n = 300
    t = rng.exponential(5.0, n)
    c = rng.exponential(8.0, n)
    cause = np.where(t <= c, rng.integers(1, 3, n), 0)
    time = np.minimum(t, c)
    aj = aalen_johansen(time, cause)
    for k in (1, 2):
        ref = AalenJohansenFitter(calculate_variance=False).fit(time, cause, event_of_interest=k)
        grid = np.linspace(0.01, time.max() * 0.9, 23)
        cd = ref.cumulative_density_
        pos = np.searchsorted(cd.index.to_numpy(), grid, side="right") - 1
        expected = cd.to_numpy()[:, 0][pos]
        np.testing.assert_allclose(aj.cif_at(grid, cause=k), expected, rtol=1e-10, atol=1e-12)


def test_aalen_johansen_sums_to_one_minus_km(rng):
    time, cause = _data(rng)
    aj = aalen_johansen(time, cause)
    km = kaplan_meier(time, cause > 0)
    grid = np.linspace(0, time.max(), 40)
    total = aj.cif_at(grid, 1) + aj.cif_at(grid, 2)
    np.testing.assert_allclose(total, 1 - km.at(grid), atol=1e-12)


def test_weights_equal_replication(rng):
    time, cause = _data(rng, 50)
    w = rng.integers(0, 4, len(time))
    rep = np.repeat(np.arange(len(time)), w)
    a = aalen_johansen(time, cause, weights=w)
    b = aalen_johansen(time[rep], cause[rep])
    np.testing.assert_allclose(a.cif_at(time, 1), b.cif_at(time, 1), atol=1e-12)


def test_bad_weights():
    with pytest.raises(ValueError, match="weights must be finite"):
        kaplan_meier([1, 2], [1, 0], weights=[1, -1])


def test_censoring_events_leave_first_identity(rng):
    """With events leaving first, G(t-) S(t-) = n(t)/n exactly, ties included."""
    time, cause = _data(rng)
    g = censoring_survival(time, cause, events_leave_first=True)
    km = kaplan_meier(time, cause > 0)
    grid = np.unique(time)
    at_risk = np.array([(time >= t).sum() for t in grid]) / len(time)
    np.testing.assert_allclose(g.at(grid, left=True) * km.at(grid, left=True), at_risk,
                               atol=1e-12)
    # the default (survfit) convention does not satisfy it when ties exist
    g0 = censoring_survival(time, cause)
    assert not np.allclose(g0.at(grid, left=True) * km.at(grid, left=True), at_risk)
