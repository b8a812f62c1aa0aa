"""Benchmark of irdp.validation.stability: B = 200 bootstrap redevelopments of a Cox index.

Usage (from the repository root)::

    PYTHONPATH=. python benchmarks/bench_stability.py              # 20,000 workers, B = 200
    PYTHONPATH=. python benchmarks/bench_stability.py --n 5000 --n-boot 50   # quicker

Data: the synthetic DMST generator (``irdp.synth.generate_dmst``), one row per worker with
the true covariates of its inaptitude hazard, time to inaptitude (other exits censored),
horizon 3 years. The Cox index is refitted on each bootstrap sample and predicts the 3-year
risk of every worker; the stability summaries, and (by default) the calibration and decision
curves of every bootstrap model on the original data, are computed.

Prints wall time, the share of it spent in the curves (a second run with ``curves=False``)
and the peak resident memory of the process and its joblib workers together (sampled every
0.1 s with psutil).
"""

from __future__ import annotations

import argparse
import os
import threading
import time

import pandas as pd
import psutil

from irdp.models import CoxIndex
from irdp.outcomes import Survival
from irdp.synth import generate_dmst
from irdp.validation import stability

COVARIATES = ["msk", "mental", "chronic2", "was", "low_work_ability", "manual_job",
              "biomech_exposure"]


class PeakMemory:
    """Peak of the summed resident memory of this process and its children (MB)."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> float:
        me = psutil.Process(os.getpid())
        total = me.memory_info().rss
        for child in me.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                continue
        return total / 2**20

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            time.sleep(self.interval)

    def __enter__(self) -> PeakMemory:
        self.peak = self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._sample())


def cohort(n_workers: int, seed: int) -> tuple[pd.DataFrame, Survival]:
    """Workers of the synthetic generator: covariates and time to inaptitude (years)."""
    w = generate_dmst(n_workers, n_spsti=8, seed=seed).truth.workers
    exit_date = w["event_date"].fillna(pd.Timestamp("2024-12-31"))
    years = ((exit_date - w["entry_date"]).dt.days / 365.25).to_numpy()
    y = Survival(years, (w["event"] == "INAPTITUDE").to_numpy())
    return w[COVARIATES].astype(float).reset_index(drop=True), y


def run(X: pd.DataFrame, y: Survival, n_boot: int, curves: bool) -> tuple[float, float, object]:
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        res = stability(CoxIndex(), X, y, horizon=3.0, n_boot=n_boot, seed=20240601,
                        n_jobs=-1, curves=curves)
        elapsed = time.perf_counter() - t0
    return elapsed, mem.peak, res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="workers (default 20,000)")
    parser.add_argument("--n-boot", type=int, default=200, help="bootstrap models (200)")
    args = parser.parse_args()
    X, y = cohort(args.n, seed=5)
    n_ev = int((y.event & (y.time <= 3.0)).sum())
    print(f"irdp.validation.stability: Cox index, {len(X):,} workers x {X.shape[1]} covariates,"
          f" {n_ev} inaptitudes by 3 years, B = {args.n_boot}, {os.cpu_count()} cores")
    # warm-up: start the joblib workers (process start-up is not part of a replicate)
    stability(CoxIndex(), X.iloc[:2000], y.take(range(2000)), horizon=3.0, n_boot=4, seed=1,
              n_jobs=-1)
    before = psutil.Process().memory_info().rss / 2**20
    t_all, peak_all, res = run(X, y, args.n_boot, curves=True)
    print(f"  with calibration and decision curves: {t_all:7.1f} s, "
          f"{t_all / args.n_boot * 1000:6.0f} ms per bootstrap model, peak RSS {peak_all:,.0f} MB"
          f" (process before: {before:,.0f} MB)")
    t_fit, peak_fit, _ = run(X, y, args.n_boot, curves=False)
    print(f"  refits and stability summaries only:  {t_fit:7.1f} s, "
          f"{t_fit / args.n_boot * 1000:6.0f} ms per bootstrap model, peak RSS {peak_fit:,.0f} MB")
    print(f"  share of the time in the curves: {1 - t_fit / t_all:.0%}; prediction matrix "
          f"{res.predictions.nbytes / 2**20:.1f} MB")
    print(f"  MAPE {res.mape:.5f}; P(level change) "
          f"{float(res.individuals['level_change'].mean()):.4f}; failed refits {res.n_failed}")
    print(res.by_level.round(5).to_string())


if __name__ == "__main__":
    main()
