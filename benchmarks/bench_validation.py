"""Benchmark of irdp.validation.bootstrap_validate against rms::validate (a script, not a test).

Usage (from the repository root)::

    PYTHONPATH=. python benchmarks/bench_validation.py             # Rotterdam-size, B = 200
    PYTHONPATH=. python benchmarks/bench_validation.py --large     # also 100k x 30, B = 200
    PYTHONPATH=. python benchmarks/bench_validation.py --synthetic # never ask R for data
    PYTHONPATH=. python benchmarks/bench_validation.py --baseline /path/to/other/checkout

Part 1 (issue 13): a Cox model on Rotterdam (``survival::rotterdam``, 2,982 patients, 5
parameters: age, tumour size 20-50 and > 50 mm, positive nodes capped at 9, grade; time to
death in years). The data are read from R at run time with ``Rscript`` when it is installed
and never written to the repository; otherwise a synthetic data set of the same shape is
used. In the same run and on the same machine:

- ``rms::validate(cph(...), B = 200)`` timed inside R (``system.time``);
- ``bootstrap_validate(CoxIndex(), X, y, horizon=5, n_boot=200, seed=1)`` with its
  defaults (all cores, the default measures: C, calibration slope, O/E, Brier, IPA, ICI),
  then with the rms measures only (C and slope), and with ``n_jobs=1``;
- the ratio irdp / rms (target <= 0.5) and, from a profile of ``n_jobs=1``, the share of a
  replicate spent in the refit (``fit`` + ``predict_risk`` of the model) against the
  measures.

The joblib workers are started (and irdp imported in them) before timing, as an R session
has its packages loaded before ``system.time``: the figures compare computations, not
process start-up. ``--cold`` times the first call as well. ``--baseline PATH`` also times the
same calls with the irdp of another checkout (e.g. the main branch, before a change), in a
subprocess of the same run, so that before/after ratios share the machine's load.
``--repeat k`` times every irdp call, and `rms::validate` inside R, k times and keeps the fastest
(the machine is shared). ``--rounds k`` first times rms and irdp alternately, one call each per
round, and prints the median of the k ratios: on a host whose speed drifts, the figure least
disturbed by it.
With ``--baseline`` the script also runs both versions alternately in one process (the
baseline's ``irdp`` copied under the name ``irdp_base``): the median of the paired CPU
ratios is the before/after figure that the machine's load disturbs least.

What ``rms::validate(cph)`` computes per replicate (``validate.cph`` and
``predab.resample``): one ``coxphFit`` on the bootstrap sample (``eps = 1e-4``,
``iter.max = 10``), then on the bootstrap sample the indexes of that fit without refitting
(slope 1 by definition, R2, D, U, Q, g from its log-likelihoods, Dxy by ``dxy.cens``) and on
the original data one more ``coxphFit`` of the outcome on the replicate's linear predictor
(the slope, R2, D), a zero-iteration fit at ``init = 1`` (U, Q) and Dxy: two Cox fits and
two concordances per replicate, over the whole follow-up. irdp's defaults compute per
replicate one Cox fit of the index (``tol = 1e-10``), and on both samples Harrell's C at the
horizon, a Cox calibration slope, a Cox calibration curve on a spline (ICI), O/E, Brier and
IPA (Kaplan-Meier of the outcome and of the censoring of each bootstrap sample): five Cox
fits, two concordances and four Kaplan-Meier estimates. ``scoring=["c",
"calibration_slope"]`` is the closest to rms's work (three Cox fits, two concordances).

Part 2 (``--large``): logistic model on 100,000 subjects x 30 predictors, B = 200 with all
default measures, on all cores. Prints wall time, peak resident memory and ratios.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from irdp.models import CoxIndex, LogisticIndex
from irdp.outcomes import Binary, Survival
from irdp.validation import bootstrap_validate

FEATURES = ["age", "size2", "size3", "nodes", "grade"]

R_DATA = r"""
suppressMessages(library(survival))
d <- survival::rotterdam
out <- data.frame(age = d$age, size2 = as.numeric(d$size == "20-50"),
                  size3 = as.numeric(d$size == ">50"), nodes = pmin(d$nodes, 9),
                  grade = d$grade, time = d$dtime / 365.25, event = d$death)
write.csv(out, "{csv}", row.names = FALSE)
"""

R_VALIDATE = r"""
suppressMessages(library(rms))
d <- read.csv("{csv}")
if ("{kind}" == "cph") {{
  f <- cph(Surv(time, event) ~ age + size2 + size3 + nodes + grade, data = d, x = TRUE,
           y = TRUE, surv = TRUE)
}} else {{
  f <- lrm(y ~ ., data = d, x = TRUE, y = TRUE)
}}
set.seed(2)
invisible(rms::validate(f, B = 10))  # warm-up: R byte-compiles functions on their first calls
best <- c(Inf, Inf)
for (k in seq_len({repeat})) {{  # the fastest of --repeat calls, as for irdp
  set.seed(1)
  tm <- system.time(v <- rms::validate(f, B = 200))
  if (tm[["elapsed"]] < best[1]) best <- c(tm[["elapsed"]], tm[["user.self"]] + tm[["sys.self"]])
}}
cat(best[1], best[2], v["Dxy", "index.corrected"],
    v["Slope", "index.corrected"], "\n")
cat(R.version.string, "rms", as.character(packageVersion("rms")), "\n")
"""


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def _rscript(code: str, tmp: Path) -> subprocess.CompletedProcess:
    script = tmp / "b.R"
    script.write_text(code)
    return subprocess.run(["Rscript", str(script)], capture_output=True, text=True, check=False)


def rotterdam(synthetic: bool) -> tuple[pd.DataFrame, str]:
    """Rotterdam from R (kept in a temporary folder), or a synthetic set of its shape."""
    if not synthetic and shutil.which("Rscript"):
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / "rotterdam.csv"
            out = _rscript(R_DATA.format(csv=csv), Path(tmp))
            if out.returncode == 0:
                return pd.read_csv(csv), "survival::rotterdam (read from R at run time)"
            print("R could not export rotterdam:", out.stderr[-300:])
    rng = np.random.default_rng(20240601)
    n = 2982
    d = pd.DataFrame({"age": np.round(rng.normal(55, 13, n)), "size2": rng.random(n) < 0.45,
                      "nodes": np.minimum(rng.poisson(1.8, n), 9),
                      "grade": rng.choice([2, 3], n, p=[0.27, 0.73])})
    d["size3"] = ~d["size2"] & (rng.random(n) < 0.2)
    d = d.astype({"size2": float, "size3": float})[FEATURES]
    lp = 0.013 * d["age"] + 0.4 * d["size2"] + 0.7 * d["size3"] + 0.15 * d["nodes"] + 0.3 * (
        d["grade"] - 2)
    t = rng.exponential(1 / (0.02 * np.exp(lp)))
    c = rng.uniform(1, 20, n)
    d["time"], d["event"] = np.round(np.minimum(t, c), 3), (t <= c).astype(int)
    return d, "synthetic data of Rotterdam's shape (2,982 x 5)"


def rms_validate(kind: str, frame: pd.DataFrame) -> tuple[float, float, float, float, str] | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "d.csv"
        frame.to_csv(csv, index=False)
        out = _rscript(R_VALIDATE.format(csv=csv, kind=kind, repeat=REPEAT[0]), Path(tmp))
    if out.returncode != 0:
        print("R failed:", out.stderr[-500:])
        return None
    first, version = out.stdout.strip().split("\n")[:2]
    elapsed, cpu, dxy, slope = (float(v) for v in first.split())
    return elapsed, cpu, dxy, slope, version


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


REPEAT = [1]
LAST_CPU = [float("nan")]


def _time(label: str, fn) -> tuple[float, object]:
    """Wall time (with the CPU time of this process and its finished children; loky
    workers are still alive after a call, so for n_jobs > 1 only wall time counts); the
    fastest of ``--repeat`` calls."""
    best = (np.inf, np.inf)
    for _ in range(REPEAT[0]):
        t0, c0 = time.perf_counter(), _cpu()
        res = fn()
        best = min(best, (time.perf_counter() - t0, _cpu() - c0))
    dt, dc = best
    LAST_CPU[0] = dc
    print(f"  {label:<58s} {dt:8.2f} s wall {dc:8.2f} s CPU  peak RSS {_peak_mb():6.0f} MB")
    return dt, res


BASELINE = r"""
import sys, time
import pandas as pd
from irdp.models import CoxIndex
from irdp.outcomes import Survival
from irdp.validation import bootstrap_validate
d = pd.read_csv(sys.argv[1])
n_jobs, repeat = int(sys.argv[2]), int(sys.argv[3])
X = d[{features!r}]
y = Survival(d["time"].to_numpy(), d["event"].to_numpy())
bootstrap_validate(CoxIndex(), X, y, horizon=5.0, n_boot=4, seed=0, n_jobs=n_jobs)
for scoring, jobs in ((None, n_jobs), (["c", "calibration_slope"], n_jobs), (None, 1)):
    best = (float("inf"), float("inf"))
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        bootstrap_validate(CoxIndex(), X, y, horizon=5.0, n_boot=200, seed=1, n_jobs=jobs,
                           scoring=scoring)
        best = min(best, (time.perf_counter() - t0, time.process_time() - c0))
    print(*best)
"""


def baseline(path: str, frame: pd.DataFrame, n_jobs: int) -> list[float] | None:
    """With the irdp of another checkout: wall time of the defaults and of C + slope on
    ``n_jobs``, wall and CPU time of the defaults with ``n_jobs=1``."""
    import os
    import sys

    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "d.csv"
        frame.to_csv(csv, index=False)
        env = {**os.environ, "PYTHONPATH": str(Path(path).resolve())}
        out = subprocess.run(
            [sys.executable, "-c", BASELINE.format(features=FEATURES), str(csv), str(n_jobs),
             str(REPEAT[0])], capture_output=True, text=True, check=False, env=env)
    if out.returncode != 0:
        print("baseline failed:", out.stderr[-500:])
        return None
    return [float(v) for v in out.stdout.split()[-6:]][::2] + [float(out.stdout.split()[-1])]


def refit_share(X: pd.DataFrame, y: Survival, n_boot: int = 40) -> None:
    """Profile n_jobs=1: share of the replicates spent refitting and predicting."""
    prof = cProfile.Profile()
    prof.enable()
    bootstrap_validate(CoxIndex(), X, y, horizon=5.0, n_boot=n_boot, seed=1, n_jobs=1)
    prof.disable()
    stats = pstats.Stats(prof, stream=io.StringIO())
    cum = {f"{Path(k[0]).name}:{k[2]}": v[3] for k, v in stats.stats.items()}
    total = cum.get("bootstrap.py:_one_replicate", np.nan)
    fit = cum.get("_fitting.py:fit_clone", 0.0)
    pred = cum.get("_fitting.py:predict_risk", 0.0)
    meas = cum.get("_measures.py:evaluate", 0.0)
    print(f"  profile of {n_boot} replicates (n_jobs=1): {1000 * total / n_boot:.1f} ms per "
          f"replicate; refit {100 * fit / total:.0f} %, predict_risk {100 * pred / total:.0f} %"
          f", measures {100 * meas / total:.0f} % (value-only, training + test)")
    cox = sum(v for k, v in cum.items() if k.endswith("_cox.py:cox_fit"))
    print(f"    of which the Cox fits of the calibration slope and curve "
          f"(irdp.metrics._cox.cox_fit): {100 * cox / total:.0f} % of a replicate")


def paired_cpu(path: str, X: pd.DataFrame, d: pd.DataFrame, rounds: int = 15,
               n_boot: int = 20) -> None:
    """Before/after in one process: the irdp of ``path`` is copied under the name
    ``irdp_base`` and both run alternately (``n_jobs=1``, thread CPU time per replicate),
    so both see the same load; a shared machine makes separate runs differ by +-30 %."""
    import re
    import sys

    tmp = Path(tempfile.mkdtemp())
    subprocess.run(f"git -C {path} archive HEAD irdp | tar -x -C {tmp}", shell=True,
                   check=True)
    (tmp / "irdp").rename(tmp / "irdp_base")
    pat = [(re.compile(r"\bfrom irdp([. ])"), r"from irdp_base\1"),
           (re.compile(r"\bimport irdp\b"), "import irdp_base"),
           (re.compile(r'"irdp\.'), '"irdp_base.')]
    for f in (tmp / "irdp_base").rglob("*.py"):
        text = f.read_text()
        for rx, rep in pat:
            text = rx.sub(rep, text)
        f.write_text(text)
    sys.path.insert(0, str(tmp))
    import importlib

    base_models = importlib.import_module("irdp_base.models")
    base_outcomes = importlib.import_module("irdp_base.outcomes")
    base_validation = importlib.import_module("irdp_base.validation")
    ys = {"this": Survival(d["time"].to_numpy(), d["event"].to_numpy()),
          "base": base_outcomes.Survival(d["time"].to_numpy(), d["event"].to_numpy())}
    runs = {"this": (bootstrap_validate, CoxIndex),
            "base": (base_validation.bootstrap_validate, base_models.CoxIndex)}
    for scoring, label in ((None, "defaults"), (["c", "calibration_slope"], "C + slope")):
        per: dict[str, list[float]] = {"this": [], "base": []}
        for k in range(rounds + 1):
            for name, (fn, est) in runs.items():
                t0 = time.thread_time()
                fn(est(), X, ys[name], horizon=5.0, n_boot=n_boot, seed=k, n_jobs=1,
                   scoring=scoring)
                if k:  # the first round warms both up
                    per[name].append(1000 * (time.thread_time() - t0) / n_boot)
        a, b = np.array(per["this"]), np.array(per["base"])
        print(f"  paired in-process CPU ({label}, {rounds} alternations of {n_boot} "
              f"replicates): this tree {np.median(a):.2f} ms per replicate (min "
              f"{a.min():.2f}), baseline {np.median(b):.2f} (min {b.min():.2f}); "
              f"baseline / this = {np.median(b / a):.2f} (median of paired ratios)")
    shutil.rmtree(tmp, ignore_errors=True)


def part1(n_jobs: int, synthetic: bool, cold: bool, base: str | None = None) -> None:
    d, source = rotterdam(synthetic)
    X, y = d[FEATURES], Survival(d["time"].to_numpy(), d["event"].to_numpy())
    print(f"Part 1: Cox bootstrap, B = 200, on {source}: {len(d)} x {len(FEATURES)}, "
          f"{int(y.n_events)} events")
    if not cold:  # start the workers (and import irdp in them) before timing
        bootstrap_validate(CoxIndex(), X, y, horizon=5.0, n_boot=4, seed=0, n_jobs=n_jobs)
    r = rms_validate("cph", d[FEATURES + ["time", "event"]])
    if r is not None:
        print(f"  {'rms::validate(cph, B=200) [R, system.time]':<58s} {r[0]:8.2f} s wall "
              f"{r[1]:8.2f} s CPU  corrected Dxy/2+1/2 {0.5 + r[2] / 2:.4f}, slope {r[3]:.4f}"
              f"  ({r[4]})")
    dt, res = _time(f"irdp bootstrap_validate defaults (n_jobs={n_jobs}, 6 measures)",
                    lambda: bootstrap_validate(CoxIndex(), X, y, horizon=5.0, n_boot=200,
                                               seed=1, n_jobs=n_jobs))
    if r is not None:
        print(f"    ratio irdp / rms = {dt / r[0]:.2f}  (target <= 0.5)")
    dt2, res2 = _time(f"irdp C + slope only (rms's measures), n_jobs={n_jobs}",
                      lambda: bootstrap_validate(CoxIndex(), X, y, horizon=5.0, n_boot=200,
                                                 seed=1, n_jobs=n_jobs,
                                                 scoring=["c", "calibration_slope"]))
    if r is not None:
        print(f"    ratio irdp / rms = {dt2 / r[0]:.2f}")
    _time("irdp bootstrap_validate defaults, n_jobs=1",
          lambda: bootstrap_validate(CoxIndex(), X, y, horizon=5.0, n_boot=200, seed=1,
                                     n_jobs=1))
    dc1 = LAST_CPU[0]
    if r is not None:
        print(f"    CPU ratio irdp (n_jobs=1) / rms = {dc1 / r[1]:.2f}")
    if base is not None:
        b = baseline(base, d[FEATURES + ["time", "event"]], n_jobs)
        if b is not None:
            print(f"  baseline irdp ({base}): defaults {b[0]:.2f} s wall (n_jobs={n_jobs}), "
                  f"C + slope {b[1]:.2f} s wall, defaults n_jobs=1 {b[2]:.2f} s wall "
                  f"{b[3]:.2f} s CPU")
            print(f"    this tree is faster by {b[0] / dt:.2f} x (defaults), {b[1] / dt2:.2f} x"
                  f" (C + slope), {b[3] / dc1:.2f} x (CPU, n_jobs=1)")
            if r is not None:
                print(f"    baseline ratios irdp / rms: {b[0] / r[0]:.2f} (defaults, wall), "
                      f"{b[1] / r[0]:.2f} (C + slope, wall), {b[3] / r[1]:.2f} (CPU)")
        paired_cpu(base, X, d)
    print(res.table.round(4).to_string())
    refit_share(X, y)
    del res2


def part2(n_jobs: int, n_boot: int) -> None:
    rng = np.random.default_rng(7)
    n, p = 100_000, 30
    X = pd.DataFrame(rng.normal(size=(n, p)), columns=[f"x{i}" for i in range(1, p + 1)])
    beta = np.r_[0.8, -0.5, 0.3, rng.normal(0, 0.15, p - 3)]
    yb = (rng.random(n) < 1 / (1 + np.exp(-(-1.5 + X.to_numpy() @ beta)))).astype(int)
    print(f"Part 2: 100,000 subjects x 30 predictors, logistic, B = {n_boot}, all measures")
    dt, res = _time(f"irdp bootstrap_validate, n_jobs={n_jobs}",
                    lambda: bootstrap_validate(LogisticIndex(), X, Binary(yb), n_boot=n_boot,
                                               seed=1, n_jobs=n_jobs))
    print(res.table.round(4).to_string())
    print(f"  per replicate: {dt / n_boot:.2f} s wall on {n_jobs} workers")


def alternated(n_jobs: int, synthetic: bool, rounds: int) -> None:
    """rms and irdp timed alternately, one call each per round: on a machine whose speed
    drifts from one minute to the next (a shared host), each round's ratio compares runs a
    few seconds apart; the median of the rounds is the figure to report."""
    if shutil.which("Rscript") is None:
        print("alternated rounds need Rscript")
        return
    d, source = rotterdam(synthetic)
    X, y = d[FEATURES], Survival(d["time"].to_numpy(), d["event"].to_numpy())
    bootstrap_validate(CoxIndex(), X, y, horizon=5.0, n_boot=4, seed=0, n_jobs=n_jobs)
    saved, REPEAT[0] = REPEAT[0], 1
    ratios: dict[str, list[float]] = {"defaults": [], "C + slope": []}
    r_times, i_times = [], []
    for _ in range(rounds):
        r = rms_validate("cph", d[FEATURES + ["time", "event"]])
        if r is None:
            break
        for label, scoring in (("defaults", None), ("C + slope", ["c", "calibration_slope"])):
            t0 = time.perf_counter()
            bootstrap_validate(CoxIndex(), X, y, horizon=5.0, n_boot=200, seed=1,
                               n_jobs=n_jobs, scoring=scoring)
            dt = time.perf_counter() - t0
            ratios[label].append(dt / r[0])
            if label == "defaults":
                i_times.append(dt)
        r_times.append(r[0])
    REPEAT[0] = saved
    if not r_times:
        return
    print(f"Alternated rounds on {source} (n_jobs={n_jobs}), {len(r_times)} rounds: "
          f"rms::validate {np.median(r_times):.2f} s (range {min(r_times):.2f}-"
          f"{max(r_times):.2f}), irdp defaults {np.median(i_times):.2f} s (range "
          f"{min(i_times):.2f}-{max(i_times):.2f})")
    for label, v in ratios.items():
        target = "  (target <= 0.5)" if label == "defaults" else ""
        rounds_txt = ", ".join(f"{x:.2f}" for x in v)
        print(f"    ratio irdp / rms, {label}: median {np.median(v):.2f} (rounds "
              f"{rounds_txt}){target}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--large", action="store_true", help="also run the 100k x 30 case")
    ap.add_argument("--n-jobs", type=int, default=-1)
    ap.add_argument("--large-boot", type=int, default=200)
    ap.add_argument("--skip-small", action="store_true", help="skip part 1")
    ap.add_argument("--synthetic", action="store_true", help="do not read rotterdam from R")
    ap.add_argument("--cold", action="store_true", help="time worker start-up too")
    ap.add_argument("--baseline", default=None,
                    help="also time the irdp of this checkout (before/after, same run)")
    ap.add_argument("--repeat", type=int, default=1, help="keep the fastest of k calls")
    ap.add_argument("--rounds", type=int, default=0,
                    help="also time rms and irdp alternately k times (median of the ratios)")
    args = ap.parse_args()
    REPEAT[0] = max(1, args.repeat)
    if args.rounds:
        alternated(args.n_jobs, args.synthetic, args.rounds)
    if not args.skip_small:
        part1(args.n_jobs, args.synthetic, args.cold, args.baseline)
    if args.large:
        part2(args.n_jobs, args.large_boot)


if __name__ == "__main__":
    main()
