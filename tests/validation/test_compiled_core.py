"""The compiled loops of the numerical core against plain NumPy and explicit sums.

The Cox engine and the concordance are also checked against R through their fixtures
(tests/reference); these tests pin each compiled pass to a brute-force or NumPy equivalent on
tied, tiny and weighted data, where an off-by-one in a running sum would show.
"""

from __future__ import annotations

import numpy as np
import pytest

from irdp._stats import cox
from irdp._stats._linalg import cholesky, inverse_pd, solve_pd
from irdp._stats.concordance import harrell_sums, rank_dense, time_order
from irdp._stats.splines import _quantile_sorted
from irdp.exceptions import ConvergenceError


def _brute_cox(X, time, event, w, strata, beta, ties):
    """Log partial likelihood, score and information by explicit loops over event times."""
    n, p = X.shape
    eta = X @ beta
    r = w * np.exp(eta)
    ll, score, info = 0.0, np.zeros(p), np.zeros((p, p))
    for s in np.unique(strata):
        for t in np.unique(time[(strata == s) & event]):
            dead = (strata == s) & event & (time == t)
            risk = (strata == s) & (time >= t)
            d = int(dead.sum())
            wd = w[dead].sum()
            fracs = np.arange(d) / d if ties == "efron" else np.zeros(1)
            mw = wd / len(fracs)
            for f in fracs:
                s0 = r[risk].sum() - f * r[dead].sum()
                s1 = (r[risk, None] * X[risk]).sum(0) - f * (r[dead, None] * X[dead]).sum(0)
                s2 = (r[risk, None, None] * X[risk, :, None] * X[risk, None, :]).sum(0) - f * (
                    r[dead, None, None] * X[dead, :, None] * X[dead, None, :]).sum(0)
                ll -= mw * np.log(s0)
                score -= mw * s1 / s0
                info += mw * (s2 / s0 - np.outer(s1, s1) / s0**2)
            ll += (w[dead] * eta[dead]).sum()
            score += (w[dead, None] * X[dead]).sum(0)
    return ll, score, info


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("case", ["tied", "strata_weights", "tiny", "one_column"])
def test_newton_terms_equal_explicit_sums(ties, case):
    rng = np.random.default_rng(len(case) + len(ties))
    n, p = {"tied": (80, 3), "strata_weights": (90, 2), "tiny": (5, 2), "one_column": (40, 1)}[case]
    X = rng.normal(size=(n, p))
    time = np.round(rng.exponential(2, n), 0 if case == "tied" else 1)
    event = rng.random(n) < 0.6
    event[0] = True
    w = rng.uniform(0.5, 2, n) if case == "strata_weights" else np.ones(n)
    strata = rng.integers(0, 3, n) if case == "strata_weights" else np.zeros(n, dtype=int)
    beta = rng.normal(scale=0.3, size=p)
    cd = cox.prepare(X, time, event, weights=w, strata=strata if case == "strata_weights"
                     else None, ties=ties, center=np.zeros(p))
    ll, score, info, _ = cox.derivatives(cd, beta)
    ll0, score0, info0 = _brute_cox(X, time, event, w, strata, beta, ties)
    assert ll == pytest.approx(ll0, rel=1e-12)
    np.testing.assert_allclose(score, score0, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(info, info0, rtol=1e-10, atol=1e-10)
    assert cox.loglik(cd, beta) == pytest.approx(ll0, rel=1e-12)


def test_prepare_groups_ties_within_strata():
    time = np.array([3.0, 3.0, 3.0, 2.0, 2.0, 1.0, 3.0, 1.0])
    event = np.array([1, 1, 0, 1, 0, 0, 1, 1], dtype=bool)
    strata = np.array([0, 0, 0, 0, 0, 0, 1, 1])
    cd = cox.prepare(np.zeros((8, 0)), time, event, strata=strata)
    # sorted: stratum 0 [3 c, 3 e, 3 e, 2 c, 2 e, 1 c], stratum 1 [3 e, 1 e]
    assert cd.g_end.tolist() == [2, 4, 6, 7]
    assert cd.g_start.tolist() == [0, 0, 6, 6]
    assert cd.g_d.tolist() == [2, 1, 1, 1]
    assert cd.g_ev_first.tolist() == [1, 4, 6, 7]
    assert cd.tied.tolist() == [0]
    assert cd.strat_end.tolist() == [5] * 6 + [7] * 2


def test_rank_dense_equals_numpy_unique_inverse():
    rng = np.random.default_rng(3)
    for x in (rng.normal(size=50), np.round(rng.normal(size=200), 1), np.arange(7)[::-1],
              np.array([1.0, np.nan, -0.0, 0.0, np.nan]), np.zeros(0), np.array([True, False])):
        np.testing.assert_array_equal(rank_dense(x), np.unique(x, return_inverse=True)[1])


def test_concordance_counts_equal_pair_enumeration():
    """Harrell's C from the compiled earlier-member counts equals the count over all pairs
    (survival's conventions: tied event times not comparable, an event before a censoring
    at the same time comparable, tied risks count 1/2)."""
    rng = np.random.default_rng(5)
    for n in (2, 7, 60):
        t = np.round(rng.exponential(1, n), 0)
        e = rng.random(n) < 0.6
        e[0] = True
        risk = np.round(rng.normal(size=n), 1)
        conc = disc = tie = 0.0
        for i in range(n):
            for j in range(n):
                if e[i] and (t[j] > t[i] or (t[j] == t[i] and not e[j])):
                    conc += risk[i] > risk[j]
                    disc += risk[i] < risk[j]
                    tie += risk[i] == risk[j]
        if conc + disc + tie == 0:
            continue
        value, _, counts = harrell_sums(t, e, risk, e.astype(float), False, time_order(t, e))
        assert counts == {"concordant": conc, "discordant": disc, "tied_risk": tie}
        assert value == pytest.approx((conc + tie / 2) / (conc + disc + tie), abs=1e-15)


def test_quantile_of_sorted_values_is_numpys_to_the_bit():
    """Exactly equal values (the sign of a zero may differ: NumPy's partition may put 0.0
    where the sorted sample has -0.0)."""
    rng = np.random.default_rng(6)
    for _ in range(3000):
        n = int(rng.integers(2, 300))
        xx = np.sort(np.round(rng.normal(size=n) * 10.0 ** rng.integers(-4, 4), 2))
        probs = np.r_[np.linspace(0.1, 0.9, 3), np.linspace(0.05, 0.95, 5), rng.random(3)]
        np.testing.assert_array_equal(_quantile_sorted(xx, probs), np.quantile(xx, probs))


def test_cholesky_solve_and_inverse_match_lapack():
    rng = np.random.default_rng(7)
    for p in (1, 2, 5, 20):
        a = rng.normal(size=(3 * p, p))
        info = a.T @ a + 0.1 * np.eye(p)
        b = rng.normal(size=p)
        np.testing.assert_allclose(solve_pd(info, b), np.linalg.solve(info, b), rtol=1e-10)
        np.testing.assert_allclose(inverse_pd(info), np.linalg.inv(info), rtol=1e-9,
                                   atol=1e-12)
    collinear = np.array([[1.0, 2.0], [2.0, 4.0]])
    assert not cholesky(collinear)[1]
    with pytest.raises(ConvergenceError, match="singular"):
        inverse_pd(collinear)
    indefinite = np.array([[1.0, 0.0], [0.0, -1.0]])
    np.testing.assert_allclose(solve_pd(indefinite, np.ones(2)), [1.0, -1.0])
