"""Simulation: 95 % Wald intervals cover the true effects 90-99 % of the time.

400 seeded replicates per model keep this under ten seconds (coverages here: Cox 0.968 /
0.960, logistic 0.970 / 0.960, Fine-Gray 0.933 / 0.950). A larger run (2,000 replicates,
seed 7, same designs) gave Cox 0.950 / 0.945, logistic 0.954 / 0.956 and Fine-Gray
0.954 / 0.947.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from irdp.models import CoxIndex, FineGrayIndex, LogisticIndex
from irdp.outcomes import Binary, CompetingRisks, Survival

N_REP = 400
BETA = np.array([0.5, -0.7])


def _coverage(fit_one, n_rep=N_REP, seed=20240601):
    rng = np.random.default_rng(seed)
    hits = np.zeros((n_rep, len(BETA)), dtype=bool)
    for r in range(n_rep):
        coef, se = fit_one(rng)
        hits[r] = np.abs(coef - BETA) <= 1.959964 * se
    return hits.mean(axis=0)


def _x(rng, n):
    return pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.integers(0, 2, n).astype(float)})


def test_cox_coverage():
    def one(rng):
        X = _x(rng, 200)
        t = rng.exponential(1 / np.exp(X.to_numpy() @ BETA))
        c = rng.exponential(1.5, 200)
        time = np.ceil(np.minimum(t, c) * 20) / 20  # tied times: Efron matters
        m = CoxIndex().fit(X, Survival(time, t <= c))
        return m.coef_.to_numpy(), m.se_.to_numpy()

    cov = _coverage(one)
    assert np.all((cov >= 0.90) & (cov <= 0.99)), cov


def test_logistic_coverage():
    def one(rng):
        X = _x(rng, 300)
        p = 1 / (1 + np.exp(-(-0.5 + X.to_numpy() @ BETA)))
        m = LogisticIndex().fit(X, Binary(rng.random(300) < p))
        return m.coef_.to_numpy(), m.se_.to_numpy()

    cov = _coverage(one)
    assert np.all((cov >= 0.90) & (cov <= 0.99)), cov


def _fine_gray_data(rng, n, p=0.4):
    """Fine & Gray (1999) section 5 design: F1(t|x) = 1 - (1 - p(1 - e^-t))^exp(x b)."""
    X = _x(rng, n)
    e = np.exp(X.to_numpy() @ BETA)
    f_inf = 1 - (1 - p) ** e
    cause1 = rng.random(n) < f_inf
    u = rng.random(n) * f_inf  # invert F1(t|x) = u on the cause-1 branch
    t1 = -np.log(1 - (1 - (1 - u) ** (1 / e)) / p)
    t2 = rng.exponential(1 / np.exp(-0.3 * X["x1"].to_numpy()))
    time = np.where(cause1, t1, t2)
    c = rng.uniform(0, 4, n)
    cause = np.where(time <= c, np.where(cause1, 1, 2), 0)
    return X, CompetingRisks(np.minimum(time, c), cause)


@pytest.mark.slow
def test_fine_gray_coverage():
    def one(rng):
        X, y = _fine_gray_data(rng, 300)
        m = FineGrayIndex().fit(X, y)
        return m.coef_.to_numpy(), m.se_.to_numpy()

    cov = _coverage(one)
    assert np.all((cov >= 0.90) & (cov <= 0.99)), cov
