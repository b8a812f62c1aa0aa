"""Benchmark of irdp.validation.bootstrap_validate against rms::validate.

Usage (from the repository root)::

    PYTHONPATH=. python benchmarks/bench_validation.py            # 3,000 x 5, B = 200
    PYTHONPATH=. python benchmarks/bench_validation.py --large    # also 100k x 30, B = 200

Part 1: Cox (and logistic) model on ~3,000 subjects with 5 parameters, B = 200, irdp vs
``rms::validate(cph/lrm, B = 200)`` on the same data (R run by Rscript in a subprocess when
available; R's time is measured inside R with ``system.time``). irdp is timed with the rms
measures (C = Dxy/2 + 1/2 and calibration slope) and with all its default measures.
Part 2 (``--large``): logistic model on 100,000 subjects x 30 predictors, B = 200 with all
default measures, on all cores. Prints wall time, peak resident memory and ratios.
"""

from __future__ import annotations

import argparse
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

R_SCRIPT = r"""
suppressMessages(library(rms))
d <- read.csv("{csv}")
if ("{kind}" == "cph") {{
  f <- cph(Surv(time, event) ~ x1 + x2 + x3 + x4 + x5, data = d, x = TRUE, y = TRUE,
           surv = TRUE)
}} else {{
  f <- lrm(y ~ x1 + x2 + x3 + x4 + x5, data = d, x = TRUE, y = TRUE)
}}
set.seed(1)
tm <- system.time(v <- rms::validate(f, B = 200))
cat(tm[["elapsed"]], tm[["user.self"]] + tm[["sys.self"]], v["Dxy", "index.corrected"],
    v["Slope", "index.corrected"], "\n")
"""


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def _data(n: int, p: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, p)), columns=[f"x{i}" for i in range(1, p + 1)])
    beta = np.r_[0.8, -0.5, 0.3, rng.normal(0, 0.15, p - 3)]
    lin = X.to_numpy() @ beta
    yb = (rng.random(n) < 1 / (1 + np.exp(-(-1.5 + lin)))).astype(int)
    t = rng.exponential(1 / (0.08 * np.exp(lin)))
    c = rng.uniform(2, 12, n)
    return X, yb, np.round(np.minimum(t, c), 4), (t <= c).astype(int)


def _rms(kind: str, frame: pd.DataFrame) -> tuple[float, float, float, float] | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "d.csv"
        frame.to_csv(csv, index=False)
        script = Path(tmp) / "b.R"
        script.write_text(R_SCRIPT.format(csv=csv, kind=kind))
        out = subprocess.run(["Rscript", str(script)], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        print("R failed:", out.stderr[-500:])
        return None
    elapsed, cpu, dxy, slope = (float(v) for v in out.stdout.split())
    return elapsed, cpu, dxy, slope


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _time(label: str, fn) -> tuple[float, object]:
    """Wall time (printed with the CPU time of this process and its finished children:
    on a loaded shared machine CPU time is the load-independent figure; loky workers are
    still alive at the end of a call, so for n_jobs > 1 only the wall time is meaningful)."""
    t0, c0 = time.perf_counter(), _cpu()
    res = fn()
    dt, dc = time.perf_counter() - t0, _cpu() - c0
    print(f"  {label:<52s} {dt:8.2f} s wall {dc:8.2f} s CPU  peak RSS {_peak_mb():6.0f} MB")
    return dt, res


def part1(n_jobs: int) -> None:
    X, yb, time_, event = _data(3000, 5, 20240601)
    ys, yy = Survival(time_, event), Binary(yb)
    print("Part 1: 3,000 subjects x 5 parameters, B = 200")
    for kind, est, y, h in (("cph", CoxIndex(), ys, 5.0), ("lrm", LogisticIndex(), yy, None)):
        frame = X.copy()
        if kind == "cph":
            frame["time"], frame["event"] = time_, event
        else:
            frame["y"] = yb
        r = _rms(kind, frame)
        print(f" {kind}:")
        if r is not None:
            print(f"  {'rms::validate(' + kind + ', B=200) [R, system.time]':<52s} "
                  f"{r[0]:8.2f} s wall {r[1]:8.2f} s CPU  corrected C {0.5 + r[2] / 2:.4f}, "
                  f"slope {r[3]:.4f}")
        for jobs in (1, n_jobs):
            dt, res = _time(
                f"irdp C + slope (rms measures), n_jobs={jobs}",
                lambda jobs=jobs, est=est, y=y, h=h: bootstrap_validate(
                    est, X, y, horizon=h, n_boot=200, seed=1, n_jobs=jobs,
                    scoring=["c", "calibration_slope"]),
            )
            if r is not None:
                print(f"    wall ratio irdp / rms = {dt / r[0]:.2f};  corrected C "
                      f"{res.corrected('c'):.4f}, slope {res.corrected('calibration_slope'):.4f}")
        _time(f"irdp all default measures, n_jobs={n_jobs}",
              lambda est=est, y=y, h=h: bootstrap_validate(est, X, y, horizon=h, n_boot=200,
                                                           seed=1, n_jobs=n_jobs))


def part2(n_jobs: int, n_boot: int) -> None:
    X, yb, _, _ = _data(100_000, 30, 7)
    print(f"Part 2: 100,000 subjects x 30 predictors, logistic, B = {n_boot}, all measures")
    dt, res = _time(f"irdp bootstrap_validate, n_jobs={n_jobs}",
                    lambda: bootstrap_validate(LogisticIndex(), X, Binary(yb), n_boot=n_boot,
                                               seed=1, n_jobs=n_jobs))
    print(res.table.round(4).to_string())
    print(f"  per replicate: {dt / n_boot:.2f} s wall on {n_jobs} workers")
    t0, c0 = time.perf_counter(), _cpu()
    LogisticIndex().fit(X, Binary(yb))
    print(f"  one LogisticIndex fit on 100k x 30: {time.perf_counter() - t0:.2f} s wall, "
          f"{_cpu() - c0:.2f} s CPU")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--large", action="store_true", help="also run the 100k x 30 case")
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--large-boot", type=int, default=200)
    ap.add_argument("--skip-small", action="store_true", help="skip part 1")
    args = ap.parse_args()
    if not args.skip_small:
        part1(args.n_jobs)
    if args.large:
        part2(args.n_jobs, args.large_boot)


if __name__ == "__main__":
    main()
