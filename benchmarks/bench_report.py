"""Benchmark of `irdp run` on the demo experiment at several sizes (not a test).

Prints, for each number of synthetic workers, the wall-clock time of every step of the run
(generation of the extract included), the total and the peak memory of the process, and the
time of Table 1 against a straightforward pandas implementation (one boolean mask and
``value_counts`` per variable, level and group) in the same process.

Usage: python benchmarks/bench_report.py [n_workers ...]   (default: 50000 200000)
"""

from __future__ import annotations

import dataclasses
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from irdp.experiment import load_experiment
from irdp.pipeline import run_experiment
from irdp.report import table_one

ROOT = Path(__file__).resolve().parents[1]


def naive_table_one(frame: pd.DataFrame, group: str, variables: list[str]) -> pd.DataFrame:
    """Peer: per variable, level and group, a mask and a count (no SMD)."""
    rows = []
    for var in variables:
        for g in sorted(frame[group].unique()):
            part = frame.loc[frame[group] == g, var]
            if pd.api.types.is_numeric_dtype(part) and not pd.api.types.is_bool_dtype(part):
                rows.append((var, g, "mean", part.mean(), part.std()))
            else:
                for level, n in part.astype(str).value_counts().items():
                    rows.append((var, g, level, n, None))
    return pd.DataFrame(rows)


def bench_table_one(n: int) -> None:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"g": rng.choice([f"S{k}" for k in range(8)], n),
                       "x": rng.normal(size=n),
                       "c": rng.choice(["a", "b", "c", None], n),
                       "b": pd.array(rng.choice([True, False, None], n), dtype="boolean")})
    variables = ["x", "c", "b"] * 5
    t0 = time.perf_counter()
    table_one(df, "g", variables)
    t1 = time.perf_counter()
    naive_table_one(df, "g", variables)
    t2 = time.perf_counter()
    print(f"table_one n={n:,}: irdp {t1 - t0:.2f} s (with SMDs and disclosure-ready counts); "
          f"naive pandas loop {t2 - t1:.2f} s (counts only); ratio {(t2 - t1) / (t1 - t0):.2f}")


def main(sizes: list[int]) -> None:
    cfg = load_experiment(ROOT / "experiments" / "demo.yaml")
    for n in sizes:
        syn = dataclasses.replace(cfg.extract.synthetic, n_workers=n)
        run_cfg = cfg.replace(extract=dataclasses.replace(cfg.extract, synthetic=syn))
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            res = run_experiment(run_cfg, out=out, progress=False)
            total = time.perf_counter() - t0
        steps = ", ".join(f"{k} {v:.1f}" for k, v in res.timings.items() if v >= 0.5)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"irdp run demo, {n:,} workers: {total:.1f} s total; peak RSS so far "
              f"{peak:.0f} MiB; steps (s): {steps}")
        bench_table_one(n)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [50_000, 200_000])
