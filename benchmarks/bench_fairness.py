"""Benchmark of irdp.fairness and irdp.missing against peers run in the same process.

Plain script (not a test): prints wall time and peak memory (tracemalloc) for
- group point estimates (AUC by 10 groups, binary, n = 100,000): irdp vs fairlearn MetricFrame
  with sklearn's roc_auc_score;
- group_performance with the default measures (those of irdp.metrics, value-only inside the
  bootstrap) and 200 stratified bootstrap resamples on a survival outcome (n = 20,000,
  8 SPSTI) — no peer exists; the overall values are checked equal to irdp.metrics';
- multiple imputation, m = 5, 10 iterations, n = 20,000 x 8 features with 20% missing in 3:
  irdp PMM vs sklearn IterativeImputer(sample_posterior=True) run 5 times (its memory pass
  runs one imputation; the bootstrap's memory pass uses 20 resamples).

Run: PYTHONPATH=. python benchmarks/bench_fairness.py
"""

from __future__ import annotations

import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer
from sklearn.metrics import roc_auc_score

from irdp import metrics
from irdp.fairness import group_performance
from irdp.missing import multiple_impute
from irdp.outcomes import Binary, Survival


def run(label, fn, mem_fn=None):
    """Time ``fn`` (untraced), then measure its peak memory in a second, traced call.

    tracemalloc slows allocation-heavy code, so time and memory come from separate runs;
    ``mem_fn`` (a smaller equivalent call) replaces ``fn`` for the memory pass when given.
    """
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    tracemalloc.start()
    (mem_fn or fn)()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label:<66s} {dt:8.2f} s   peak {peak / 2**20:8.1f} MiB")
    return dt, out


def main() -> None:
    rng = np.random.default_rng(20240601)
    n = 100_000
    risk = rng.uniform(0.01, 0.5, n)
    y = rng.binomial(1, risk)
    g = rng.choice([f"G{k}" for k in range(10)], n)
    t_irdp, res = run("group AUC, 10 groups, n=100k: irdp (engine='irdp', no boot)",
                      lambda: group_performance(Binary(y), risk, g, n_boot=0, engine="irdp",
                                                measures=["auc"]))
    t_fl, mf = run("group AUC, 10 groups, n=100k: fairlearn MetricFrame + sklearn",
                   lambda: MetricFrame(metrics={"auc": roc_auc_score}, y_true=y, y_pred=risk,
                                       sensitive_features=g))
    diff = np.max(np.abs(res.by_group["auc"].to_numpy() - mf.by_group["auc"].to_numpy()))
    print(f"  ratio irdp/fairlearn = {t_irdp / t_fl:.2f}; max |difference| = {diff:.1e}")

    n2 = 20_000
    lp = rng.normal(0, 1, n2)
    t = rng.exponential(1 / (0.05 * np.exp(lp)))
    c = rng.uniform(0, 10, n2)
    risk2 = 1 - np.exp(-0.05 * np.exp(lp) * 3)
    ys = Survival(np.minimum(t, c), t <= c)
    sp = rng.choice([f"S{k}" for k in range(8)], n2)
    _, gp = run("group_performance survival, 8 SPSTI, 6 measures, 200 boot, n=20k",
                lambda: group_performance(ys, risk2, sp, horizon=3.0, n_boot=200, seed=1),
                lambda: group_performance(ys, risk2, sp, horizon=3.0, n_boot=20, seed=1))
    for m in ("auc", "oe_ratio", "calibration_slope", "brier"):
        same = gp.overall[m] == metrics.get_metric(m)(ys, risk2, horizon=3.0).value
        print(f"  overall {m} = irdp.metrics.{m}: {same}")
    run("  same with n_jobs=2",
        lambda: group_performance(ys, risk2, sp, horizon=3.0, n_boot=200, seed=1, n_jobs=2),
        lambda: group_performance(ys, risk2, sp, horizon=3.0, n_boot=20, seed=1, n_jobs=2))

    X = pd.DataFrame(rng.normal(size=(n2, 8)), columns=[f"x{k}" for k in range(8)])
    X["x1"] += 0.5 * X["x0"]
    for k in (1, 2, 3):
        X.loc[rng.random(n2) < 0.2, f"x{k}"] = np.nan
    yb = Binary(rng.random(n2) < 1 / (1 + np.exp(-X["x0"])))
    t_mi, _ = run("MICE m=5, 10 iterations, n=20k x 8: irdp PMM (outcome included)",
                  lambda: multiple_impute(X, yb, m=5, max_iter=10, seed=1))

    def sk() -> list:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # benchmark script: sklearn's convergence notes
            return [IterativeImputer(sample_posterior=True, max_iter=10, random_state=i,
                                     tol=0).fit_transform(X.assign(y=yb.y)) for i in range(5)]

    def sk1() -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return IterativeImputer(sample_posterior=True, max_iter=10, random_state=0,
                                    tol=0).fit_transform(X.assign(y=yb.y))

    t_sk, _ = run("MICE m=5, 10 iterations, n=20k x 8: sklearn IterativeImputer x5", sk, sk1)
    print(f"  ratio irdp/sklearn = {t_mi / t_sk:.2f}")


if __name__ == "__main__":
    main()
