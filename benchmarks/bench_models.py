"""Benchmark of the irdp candidate-index fits against peers run in the same process.

Plain script (not a test). Prints wall time, peak traced memory (tracemalloc, which sees
NumPy allocations) and ratios:

- Cox, Efron ties, 1 M rows x 20 covariates with continuous times (no ties), then with
  times rounded to 3 decimals (tied, as follow-up in days): irdp CoxIndex vs R
  survival::coxph (run by Rscript on the same data written as binary, timing only the
  coxph call; irdp is timed before and after R) when R is installed, and lifelines
  CoxPHFitter (same data, in a subprocess with a time limit: its Efron loop runs in Python
  over the distinct times);
- logistic, 1 M x 50: irdp LogisticIndex vs statsmodels Logit (Newton);
- Fine-Gray, 200 k rows x 5 covariates: irdp FineGrayIndex (R cmprsk::crr is O(n^2) in
  its variance step and is not run at this size);
- Cox refits on a prepared 2,982 x 5 design (the size of Rotterdam, times in days), as a
  bootstrap does (``CoxIndex().fit(data.take(rows))`` then ``predict_risk`` on all rows),
  against R refitting ``coxph`` on the same bootstrap samples and ``rms::validate(cph,
  B = 200)`` on the same data (the bootstrap that ``irdp.validation`` must beat);
- linear memory: Cox at 250 k / 500 k / 1 M rows.

Targets (issue 13): Cox 1 M x 20 with continuous times <= 0.25 x ``coxph`` and >= 3 x faster
than lifelines; one refit of a 3,000 x 5 prepared design: a few milliseconds.

Usage: ``PYTHONPATH=. python benchmarks/bench_models.py [--quick] [--no-r] [--no-lifelines]
[--only cox|refit|logistic|finegray|memory]``
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from irdp.models import CoxIndex, FineGrayIndex, LogisticIndex
from irdp.outcomes import Binary, CompetingRisks, Survival


def measure(fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, elapsed, peak / 2**20


def cox_data(n, p, seed=0, *, tied=True):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    beta = rng.normal(0, 0.1, p)
    t = rng.exponential(1 / np.exp(X @ beta))
    c = rng.exponential(1, n)
    time_ = np.minimum(t, c)
    if tied:  # 3 decimals: ~8,000 distinct times, many ties (as follow-up in days)
        time_ = np.round(time_, 3)
    return pd.DataFrame(X, columns=[f"x{j}" for j in range(p)]), time_, (t <= c).astype(float)


R_COX = """
n <- {n}; p <- {p}
con <- file("{path}", "rb"); m <- readBin(con, "double", n * (p + 2)); close(con)
m <- matrix(m, nrow = n, byrow = TRUE)
d <- as.data.frame(m); names(d) <- c("time", "event", paste0("x", 0:(p - 1)))
library(survival)
f <- as.formula(paste("Surv(time, event) ~", paste(paste0("x", 0:(p - 1)), collapse = "+")))
t0 <- proc.time()[["elapsed"]]
fit <- coxph(f, data = d, ties = "efron")
cat(proc.time()[["elapsed"]] - t0, "\\n")
cat(coef(fit)[1:3], "\\n")
"""


def run_r_cox(X, time_, event):
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cox.bin"
        np.column_stack([time_, event, X.to_numpy()]).astype("<f8").tofile(path)
        script = Path(tmp) / "cox.R"
        script.write_text(R_COX.format(n=len(X), p=X.shape[1], path=path))
        out = subprocess.run(["Rscript", str(script)], capture_output=True, text=True, check=True)
    lines = out.stdout.strip().splitlines()
    return float(lines[0]), [float(v) for v in lines[1].split()]


LIFELINES = """
import sys, time, numpy as np, pandas as pd
from lifelines import CoxPHFitter
m = np.load(sys.argv[1])
df = pd.DataFrame(m[:, 2:], columns=[f"x{j}" for j in range(m.shape[1] - 2)])
df["T"], df["E"] = m[:, 0], m[:, 1]
t0 = time.perf_counter()
cph = CoxPHFitter().fit(df, "T", "E")
print(time.perf_counter() - t0)
print(" ".join(str(v) for v in cph.params_.to_numpy()[:3]))
"""


def run_lifelines(X, time_, event, timeout):
    """lifelines CoxPHFitter in a subprocess (its Efron loop is in Python: with a million
    distinct times it can run for hours, hence the time limit)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.npy"
        np.save(path, np.column_stack([time_, event, X.to_numpy()]))
        script = Path(tmp) / "ll.py"
        script.write_text(LIFELINES)
        try:
            out = subprocess.run([sys.executable, str(script), str(path)], capture_output=True,
                                 text=True, check=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
    lines = out.stdout.strip().splitlines()
    return float(lines[0]), [float(v) for v in lines[1].split()]


def bench_cox(n, p, *, use_r, use_lifelines, tied=True, lifelines_timeout=900.0):
    X, time_, event = cox_data(n, p, tied=tied)
    y = Survival(time_, event)
    m, t_irdp, mem = measure(lambda: CoxIndex(ties="efron").fit(X, y))
    print(f"Cox Efron {n:,} x {p}, {len(np.unique(time_)):,} distinct times"
          f"{'' if tied else ' (continuous)'}: irdp {t_irdp:.2f} s, peak {mem:,.0f} MiB "
          f"({m.n_iter_} Newton steps)")
    if use_r:
        res = run_r_cox(X, time_, event)
        if res is None:
            print("  R not installed: coxph not run")
        else:
            t_r, coef_r = res
            diff = np.max(np.abs(np.asarray(coef_r) - m.coef_.to_numpy()[:3]))
            _, t_again, _ = measure(lambda: CoxIndex(ties="efron").fit(X, y))
            print(f"  R survival::coxph {t_r:.2f} s; irdp again after R {t_again:.2f} s; ratio "
                  f"irdp/R = {t_irdp / t_r:.2f} (then {t_again / t_r:.2f}); max |coef diff| "
                  f"(first 3) = {diff:.1e}")
    if use_lifelines:
        res = run_lifelines(X, time_, event, lifelines_timeout)
        if res is None:
            print(f"  lifelines CoxPHFitter did not finish in {lifelines_timeout:.0f} s: "
                  f"lifelines/irdp > {lifelines_timeout / t_irdp:.0f}x")
        else:
            t_ll, coef_ll = res
            diff = np.max(np.abs(np.asarray(coef_ll) - m.coef_.to_numpy()[:3]))
            print(f"  lifelines CoxPHFitter {t_ll:.2f} s; ratio lifelines/irdp = "
                  f"{t_ll / t_irdp:.1f}x; max |coef diff| (first 3) = {diff:.1e}")
    return t_irdp, mem


def bench_logistic(n, p):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(n, p))
    beta = rng.normal(0, 0.2, p)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-1 + X @ beta)))).astype(float)
    Xdf = pd.DataFrame(X, columns=[f"x{j}" for j in range(p)])
    m, t_irdp, mem = measure(lambda: LogisticIndex().fit(Xdf, Binary(y)))
    print(f"Logistic {n:,} x {p}: irdp {t_irdp:.2f} s, peak {mem:,.0f} MiB")
    import statsmodels.api as sm

    Z = sm.add_constant(X)
    res, t_sm, mem_sm = measure(lambda: sm.Logit(y, Z).fit(method="newton", disp=0))
    diff = np.max(np.abs(res.params[1:] - m.coef_.to_numpy()))
    print(f"  statsmodels Logit {t_sm:.2f} s, peak {mem_sm:,.0f} MiB; ratio sm/irdp = "
          f"{t_sm / t_irdp:.1f}x; max |coef diff| = {diff:.1e}")


def bench_finegray(n, p):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(n, p))
    e = np.exp(X @ rng.normal(0, 0.3, p))
    t1 = rng.exponential(1 / (0.2 * e))
    t2 = rng.exponential(1 / 0.15, n)
    c = rng.uniform(0, 8, n)
    time_ = np.round(np.minimum.reduce([t1, t2, c]), 3)
    cause = np.select([t1 <= np.minimum(t2, c), t2 <= c], [1, 2], 0)
    Xdf = pd.DataFrame(X, columns=[f"x{j}" for j in range(p)])
    m, t_irdp, mem = measure(lambda: FineGrayIndex().fit(Xdf, CompetingRisks(time_, cause)))
    print(f"Fine-Gray {n:,} x {p}: irdp {t_irdp:.2f} s (incl. robust variance), "
          f"peak {mem:,.0f} MiB")


R_REFIT = """
suppressPackageStartupMessages({{library(survival); library(rms)}})
con <- file("{path}", "rb"); m <- readBin(con, "double", {n} * 7); close(con)
m <- matrix(m, nrow = {n}, byrow = TRUE)
d <- as.data.frame(m); names(d) <- c("time", "event", paste0("x", 1:5))
idx <- as.matrix(read.csv("{idx}", header = FALSE)) + 1
t0 <- proc.time()[["elapsed"]]
for (b in seq_len(nrow(idx))) {{
  fit <- coxph(Surv(time, event) ~ x1 + x2 + x3 + x4 + x5, data = d[idx[b, ], ])
  lp <- predict(fit, newdata = d, type = "lp", reference = "zero")
  bh <- basehaz(fit, centered = FALSE)
  risk <- 1 - exp(-bh$hazard[max(which(bh$time <= 5))] * exp(lp))
}}
t_refit <- proc.time()[["elapsed"]] - t0
f <- cph(Surv(time, event) ~ x1 + x2 + x3 + x4 + x5, data = d, x = TRUE, y = TRUE,
         surv = TRUE, time.inc = 1)
set.seed(1)
t0 <- proc.time()[["elapsed"]]
v <- validate(f, B = {b})
t_validate <- proc.time()[["elapsed"]] - t0
cat(t_refit, t_validate, "\\n")
"""


def refit_data(n=2982, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    t = rng.exponential(1 / (0.15 * np.exp(X @ np.array([0.5, 0.3, 0.2, 0.0, -0.2]))))
    c = rng.uniform(1, 12, n)
    time_ = np.ceil(np.minimum(t, c) * 365.25) / 365.25  # days: ties, as Rotterdam
    return pd.DataFrame(X, columns=[f"x{j}" for j in range(1, 6)]), time_, (t <= c) * 1.0


def bench_refit(*, use_r, n_boot=200):
    X, time_, event = refit_data()
    n = len(X)
    y = Survival(time_, event)
    rng = np.random.default_rng(20240601)
    rows = [rng.integers(0, n, n) for _ in range(n_boot)]
    model = CoxIndex()
    data = model.prepare(X, y)
    CoxIndex().fit(data.take(rows[0])).predict_risk(data, horizon=5.0)  # warm-up

    def loop():
        for r in rows:
            CoxIndex().fit(data.take(r)).predict_risk(data, horizon=5.0)

    _, t_irdp, _ = measure(loop)
    calib = time.perf_counter()
    a = np.ones(3000)
    for _ in range(10_000):
        a.sum()
    calib = (time.perf_counter() - calib) / 10_000 * 1e6
    print(f"Cox refit on a prepared {n:,} x 5 design (bootstrap sample fit + predict_risk on "
          f"all rows): {1000 * t_irdp / n_boot:.2f} ms per refit ({n_boot} refits, "
          f"{t_irdp:.2f} s; a NumPy sum of 3,000 values took {calib:.1f} us in this run)")
    if not use_r or shutil.which("Rscript") is None:
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.bin"
        np.column_stack([time_, event, X.to_numpy()]).astype("<f8").tofile(path)
        idx = Path(tmp) / "idx.csv"
        np.savetxt(idx, np.vstack(rows), fmt="%d", delimiter=",")
        script = Path(tmp) / "refit.R"
        script.write_text(R_REFIT.format(path=path, idx=idx, n=n, b=n_boot))
        out = subprocess.run(["Rscript", str(script)], capture_output=True, text=True,
                             check=True)
    t_refit, t_val = (float(v) for v in out.stdout.split())
    print(f"  R coxph refits + risk at 5 on all rows (predict lp, basehaz), same samples: "
          f"{1000 * t_refit / n_boot:.2f} ms per refit; ratio irdp/R = {t_irdp / t_refit:.2f}")
    print(f"  R rms::validate(cph, B = {n_boot}) on the same data: {t_val:.2f} s; the irdp "
          f"refits alone take {t_irdp / t_val:.2f} x that time")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="10x smaller problems")
    ap.add_argument("--no-r", action="store_true")
    ap.add_argument("--no-lifelines", action="store_true")
    ap.add_argument("--only", choices=["cox", "refit", "logistic", "finegray", "memory"])
    ap.add_argument("--lifelines-timeout", type=float, default=900.0,
                    help="seconds before the lifelines fit is abandoned")
    a = ap.parse_args()
    k = 10 if a.quick else 1

    def run(name):
        return a.only in (None, name)

    if run("cox"):
        bench_cox(1_000_000 // k, 20, use_r=not a.no_r, use_lifelines=not a.no_lifelines,
                  tied=False, lifelines_timeout=a.lifelines_timeout)
        bench_cox(1_000_000 // k, 20, use_r=not a.no_r, use_lifelines=not a.no_lifelines,
                  lifelines_timeout=a.lifelines_timeout)
    if run("refit"):
        bench_refit(use_r=not a.no_r)
    if run("logistic"):
        bench_logistic(1_000_000 // k, 50)
    if run("finegray"):
        bench_finegray(200_000 // k, 5)
    if run("memory"):
        print("Memory scaling, Cox Efron x 20 (peak MiB per row should stay flat):")
        for n in (250_000 // k, 500_000 // k, 1_000_000 // k):
            t, mem = bench_cox(n, 20, use_r=False, use_lifelines=False)
            print(f"  n={n:,}: {mem / n * 2**20:,.0f} bytes/row")


if __name__ == "__main__":
    main()
