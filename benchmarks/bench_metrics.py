"""Benchmark of irdp.metrics (a plain script, not a test).

Times Harrell's C, Uno's C, the cumulative/dynamic td-AUC and the IPCW Brier score on
1 M synthetic subjects, and the full ``performance()`` table on 100 k subjects (binary,
survival, competing risks), printing wall time, CPU time and peak traced memory. The same
measures are run with scikit-survival and lifelines on a smaller sample (their C-index
implementations are O(n^2) or slow in pure Python at 1 M) and the time ratios at equal n
are printed. The value-only path of the registry (what resampling uses: no standard
error, shared observed risk and censoring weights) is timed against the Estimate path on
the same data. Run from the repository root:

    PYTHONPATH=. /work/venv/bin/python benchmarks/bench_metrics.py [--n 1000000] [--n-peer 50000]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from irdp.metrics import brier, concordance, measure_values, performance, td_auc
from irdp.outcomes import Binary, CompetingRisks, Survival

HORIZON = 2.0


def survival_data(n: int, seed: int = 1) -> tuple[Survival, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    t = rng.exponential(1 / (0.3 * np.exp(x)))
    c = rng.exponential(5.0, n)
    y = Survival(np.round(np.minimum(t, c), 3), t <= c)  # rounded: tied times
    return y, 1 - np.exp(-0.3 * np.exp(x) * HORIZON)


def timed(fn: Callable[[], Any]) -> tuple[float, float, float, Any]:
    tracemalloc.start()
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return wall, cpu, peak / 2**20, out


def row(label: str, wall: float, cpu: float, mem: float, extra: str = "") -> None:
    print(f"{label:<44s} wall {wall:7.2f} s  cpu {cpu:7.2f} s  peak {mem:8.1f} MiB  {extra}")


def irdp_measures(y: Survival, risk: np.ndarray) -> dict[str, Callable[[], Any]]:
    return {
        "Harrell C (+ IJ SE)": lambda: concordance(y, risk),
        "Uno C (+ IJ SE)": lambda: concordance(y, risk, method="uno", tau=HORIZON * 2),
        "td-AUC (+ IF SE)": lambda: td_auc(y, risk, HORIZON),
        "IPCW Brier (+ IF SE)": lambda: brier(y, risk, horizon=HORIZON),
    }


def peer_measures(y: Survival, risk: np.ndarray) -> dict[str, Callable[[], Any] | None]:
    out: dict[str, Callable[[], Any] | None] = dict.fromkeys(irdp_measures(y, risk))
    try:
        from sksurv.metrics import (
            brier_score,
            concordance_index_censored,
            concordance_index_ipcw,
            cumulative_dynamic_auc,
        )
        from sksurv.util import Surv

        ys = Surv.from_arrays(y.event, y.time)
        out["Harrell C (+ IJ SE)"] = lambda: concordance_index_censored(y.event, y.time, risk)
        out["Uno C (+ IJ SE)"] = lambda: concordance_index_ipcw(ys, ys, risk, tau=HORIZON * 2)
        out["td-AUC (+ IF SE)"] = lambda: cumulative_dynamic_auc(ys, ys, risk, [HORIZON])
        out["IPCW Brier (+ IF SE)"] = lambda: brier_score(ys, ys, (1 - risk)[:, None], [HORIZON])
    except ImportError:  # pragma: no cover
        pass
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--n-peer", type=int, default=50_000)
    parser.add_argument("--n-performance", type=int, default=100_000)
    args = parser.parse_args()

    print(f"== irdp on n = {args.n:,} (targets: < 5 s each)")
    y, risk = survival_data(args.n)
    for label, fn in irdp_measures(y, risk).items():
        wall, cpu, mem, est = timed(fn)
        row(label, wall, cpu, mem, f"value {est.value:.4f}")

    print(f"\n== value-only path (registry, as in resampling) on n = {args.n:,}")
    names = ["c_harrell", "c_uno", "td_auc", "brier", "ipa", "oe_ratio"]
    wall, cpu, mem, vals = timed(lambda: measure_values(names, y, risk, horizon=HORIZON))
    row("measure_values(6 measures, value only)", wall, cpu, mem,
        f"C {vals['c_harrell']:.4f}, Brier {vals['brier']:.4f}")
    w1, c1, m1, est = timed(lambda: concordance(y, risk, horizon=HORIZON))
    w2, c2, m2, v = timed(lambda: measure_values(["c_harrell"], y, risk, horizon=HORIZON))
    row("Harrell C at the horizon: Estimate (+ IJ SE)", w1, c1, m1, f"value {est.value:.6f}")
    row("Harrell C at the horizon: value only", w2, c2, m2,
        f"value {v['c_harrell']:.6f}, CPU ratio {c1 / max(c2, 1e-9):.1f}")

    print(f"\n== same measures, n = {args.n_peer:,}: irdp vs scikit-survival and lifelines")
    yp, rp = survival_data(args.n_peer, seed=2)
    ours = irdp_measures(yp, rp)
    peers = peer_measures(yp, rp)
    for label, fn in ours.items():
        wall, cpu, mem, est = timed(fn)
        row(f"irdp    {label}", wall, cpu, mem, f"value {est.value:.4f}")
        peer = peers.get(label)
        if peer is not None:
            pw, pc, pm, res = timed(peer)
            val = float(np.ravel(res[1] if label.startswith("IPCW") else res[0])[0])
            row(f"sksurv  {label}", pw, pc, pm,
                f"value {val:.4f}  ratio sksurv/irdp (cpu) {pc / max(cpu, 1e-9):6.1f}")
        if label.startswith("Harrell"):
            from lifelines.utils import concordance_index

            lw, lc, lm, lv = timed(lambda: concordance_index(yp.time, -rp, yp.event))
            row(f"lifelines {label}", lw, lc, lm,
                f"value {lv:.4f}  ratio lifelines/irdp (cpu) {lc / max(cpu, 1e-9):6.1f}")

    print(f"\n== performance() on n = {args.n_performance:,} (target: < 20 s)")
    n = args.n_performance
    rng = np.random.default_rng(3)
    x = rng.normal(size=n)
    p = 1 / (1 + np.exp(-(-1 + x)))
    yb = Binary((rng.random(n) < p).astype(int))
    ys, rs = survival_data(n, seed=4)
    t1 = rng.exponential(1 / (0.3 * np.exp(x)))
    t2 = rng.exponential(1 / 0.2, n)
    c = rng.exponential(5.0, n)
    tt = np.minimum(t1, t2)
    yc = CompetingRisks(np.minimum(tt, c), np.where(tt <= c, np.where(t1 <= t2, 1, 2), 0))
    h1 = 0.3 * np.exp(x)
    rc = h1 / (h1 + 0.2) * (1 - np.exp(-(h1 + 0.2) * HORIZON))
    for label, (yy, rr, hh) in {"binary": (yb, p, None), "survival": (ys, rs, HORIZON),
                                "competing risks": (yc, rc, HORIZON)}.items():
        wall, cpu, mem, tab = timed(lambda yy=yy, rr=rr, hh=hh: performance(yy, rr, hh))
        row(f"performance() {label}", wall, cpu, mem, f"{len(tab)} rows")


if __name__ == "__main__":
    main()
