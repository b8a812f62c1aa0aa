"""Benchmark: the national chain out of core, 18 M workers in 200 SPSTI on one machine.

Steps (each phase in a fresh subprocess; a sampling thread reads the resident memory of the
process and of its children every 50 ms, so each step's peak RSS is its own):

1. ``generate``: :func:`irdp.synth.generate_dmst_partitioned` writes the extract one SPSTI at
   a time (``<table>/<spsti>.parquet``);
2. ``read + validate``: :func:`irdp.io.read_extract` validates the partitioned Parquet in
   place (DuckDB views, a memory limit and a spill directory);
3. ``cohort``: :func:`irdp.cohort.build_cohort_partitioned` (landmark 2021-01-01, inaptitude
   within 12 months), by batches of SPSTI in ``--jobs`` worker processes, written as one
   Parquet file per SPSTI;
4. ``features``: :func:`irdp.features.build_features_partitioned`, the 117 registered
   features, by batches of SPSTI in ``--jobs`` worker processes, written as Parquet;
5. ``cox``: a Cox index (:class:`irdp.models.CoxIndex`, engine ``irdp._stats.cox``) on the
   national cohort, reading only the 20 feature columns it uses (and the outcome);
6. ``abcd``: :func:`irdp.metrics.performance`, the ABCD measures (discrimination,
   calibration, overall, net benefit) of its 12-month risk.

The same chain is run at ``--reference`` workers (default 2 M) and the growth ratio
``time(N) / time(ref)`` is printed next to ``N / ref`` (linear growth: equal ratios).
Targets on a 2-core, 24 GiB machine: peak RSS <= 12 GiB, whole chain <= 20 minutes.

Usage: ``python benchmarks/bench_national.py [N] [--reference 2000000] [--spsti 200]
[--memory-limit 6GB] [--jobs 2] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The 20 features of the benchmark's Cox index (numeric or boolean; missing -> median).
COX_FEATURES = [
    "age", "rqth", "invalidity_any", "sl_ongoing", "sl_n_24m", "sl_days_24m", "sl_long_n_5y",
    "sl_mp_n_5y", "dx_msk_24m", "dx_mental_24m", "dx_n_chronic", "company_small",
    "contract_precarious", "seniority_years", "exp_biomech_any", "exp_n_families",
    "n_visits_24m", "n_reprise_24m", "prev_amenagement_n_5y", "prev_orientation_n_5y",
]

CHILD = r"""
import json, os, resource, sys, threading, time
sys.path.insert(0, {root!r})
import psutil

class Peak:
    # resident memory of this process and its children, sampled every 50 ms
    def __init__(self):
        self.proc = psutil.Process()
        self.peak = 0
        self.stop = False
        threading.Thread(target=self.run, daemon=True).start()
    def rss(self):
        total = 0
        for p in [self.proc] + self.proc.children(recursive=True):
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        return total
    def run(self):
        while not self.stop:
            self.peak = max(self.peak, self.rss())
            time.sleep(0.05)
    def reset(self):
        self.peak = self.rss()

args = json.loads(sys.argv[1])
folder, n = args["folder"], args["n"]
settings = {{"memory_limit": args["memory_limit"], "threads": args["jobs"],
            "temp_directory": os.path.join(folder, "_spill"),
            "preserve_insertion_order": False}}
peak = Peak()
steps = {{}}
def step(name, fn):
    peak.reset()
    t0 = time.perf_counter()
    out = fn()
    steps[name] = {{"seconds": time.perf_counter() - t0, "peak_gib": peak.peak / 2**30}}
    return out

if args["phase"] == "generate":
    from irdp.synth import generate_dmst_partitioned
    res = step("generate", lambda: generate_dmst_partitioned(
        n, n_spsti=args["spsti"], seed=0, out=os.path.join(folder, "extract"),
        n_jobs=args["jobs"]))
    steps["generate"]["rows"] = {{t: int(res.rows[t].sum()) for t in res.rows.columns}}
elif args["phase"] == "prepare":
    from irdp.cohort import CohortDefinition, build_cohort_partitioned
    from irdp.features import build_features_partitioned
    from irdp.io import read_extract
    ex = step("read + validate", lambda: read_extract(os.path.join(folder, "extract"),
                                                      as_of="2025-06-30", settings=settings))
    d = CohortDefinition.from_yaml(os.path.join({root!r}, "experiments", "cohorts",
                                                "landmark_2021_12m.yaml"))
    c = step("cohort", lambda: build_cohort_partitioned(
        ex, d, out=os.path.join(folder, "cohort"), batch_size=args["batch"],
        n_jobs=args["jobs"]))
    steps["cohort"]["rows"] = len(c)
    steps["cohort"]["flow"] = c.flow[["criterion", "n_index_events"]].values.tolist()
    X = step("features", lambda: build_features_partitioned(
        ex, c, out=os.path.join(folder, "features"), batch_size=args["batch"],
        n_jobs=args["jobs"]))
    steps["features"]["columns"] = len(X.columns)
elif args["phase"] == "model":
    import numpy as np
    import pandas as pd
    from irdp.cohort.build import PartitionedTable
    from irdp.metrics import performance
    from irdp.models import CoxIndex
    from irdp.outcomes import Survival
    parts = json.loads(open(os.path.join(folder, "parts.json")).read())
    def load():
        y = PartitionedTable(__import__("pathlib").Path(folder, "cohort"), parts).read(
            ["time", "event"])
        X = PartitionedTable(__import__("pathlib").Path(folder, "features"), parts).read(
            args["features"])
        X = X.astype("float64")
        return X.fillna(X.median()), Survival(y["time"].to_numpy(), y["event"].to_numpy())
    X, y = step("read columns", load)
    m = step("cox", lambda: CoxIndex().fit(X, y))
    risk = m.predict_risk(X, horizon=365)
    tab = step("abcd", lambda: performance(y, risk, 365))
    keep = tab[tab["measure"].isin(["c_harrell", "c_uno", "oe_ratio", "calibration_slope",
                                    "ici", "brier", "ipa"])]
    steps["abcd"]["measures"] = {{m: float(v) for m, v in zip(keep["measure"], keep["value"])}}
    steps["abcd"]["rows"] = len(tab)
    steps["cox"]["events"] = int(y.event.sum())
steps["_process_peak_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
peak.stop = True
print("RESULT " + json.dumps(steps))
"""


def run(phase: str, **kw) -> dict:
    code = CHILD.format(root=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", code, json.dumps({"phase": phase, **kw})],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"phase {phase} failed:\n{proc.stderr[-4000:]}")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[7:])


def chain(n: int, folder: Path, args: argparse.Namespace) -> dict[str, dict]:
    """Run the whole chain for ``n`` workers; returns the steps in order."""
    kw = {"folder": str(folder), "n": n, "spsti": args.spsti, "jobs": args.jobs,
          "memory_limit": args.memory_limit, "batch": args.batch, "features": COX_FEATURES}
    steps: dict[str, dict] = {}
    for phase in ("generate", "prepare", "model"):
        if phase == "model":
            from irdp.synth._partitioned import PLAN_FILE
            plan = json.loads((folder / "extract" / PLAN_FILE).read_text())
            cohort_rows = {p: int(r) for p, r in steps["cohort"].get("parts", {}).items()}
            if not cohort_rows:
                import pyarrow.parquet as pq
                cohort_rows = {p: pq.read_metadata(folder / "cohort" / f"{p}.parquet").num_rows
                               for p in sorted(plan["partitions"])}
            (folder / "parts.json").write_text(json.dumps(cohort_rows))
        out = run(phase, **kw)
        out.pop("_process_peak_gib", None)
        steps.update(out)
        for name, s in out.items():
            print(f"  {n:>11,} {name:<16} {s['seconds']:>8.1f} s {s['peak_gib']:>7.2f} GiB",
                  flush=True)
    return steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, nargs="?", default=18_000_000, help="workers")
    ap.add_argument("--reference", type=int, default=2_000_000,
                    help="workers of the reference run for the growth ratio (0: none)")
    ap.add_argument("--spsti", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=2, help="processes / DuckDB threads")
    ap.add_argument("--batch", type=int, default=10, help="SPSTI per cohort / feature query")
    ap.add_argument("--memory-limit", default="6GB", help="DuckDB memory limit")
    ap.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it")
    ap.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = ap.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="irdp_national_"))
    sizes = [s for s in dict.fromkeys([args.reference, args.n]) if s]
    results: dict[int, dict[str, dict]] = {}
    print(f"  {'workers':>11} {'step':<16} {'time':>10} {'peak RSS':>11}")
    try:
        for n in sizes:
            folder = base / f"w{n}"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            results[n] = chain(n, folder, args)
            total = sum(s["seconds"] for s in results[n].values())
            peak = max(s["peak_gib"] for s in results[n].values())
            print(f"  {n:>11,} {'WHOLE CHAIN':<16} {total:>8.1f} s {peak:>7.2f} GiB  "
                  f"(cohort rows {results[n]['cohort']['rows']:,}, visits "
                  f"{results[n]['generate']['rows']['visit']:,})", flush=True)
            if n != sizes[-1]:
                shutil.rmtree(folder / "extract", ignore_errors=True)
        if len(sizes) == 2:
            ref, big = (results[s] for s in sizes)
            print(f"\n  growth {sizes[1]:,} / {sizes[0]:,} workers = "
                  f"{sizes[1] / sizes[0]:.1f}x")
            for name in big:
                print(f"  {name:<16} time x{big[name]['seconds'] / ref[name]['seconds']:.2f}"
                      f"   peak RSS x{big[name]['peak_gib'] / ref[name]['peak_gib']:.2f}")
            tr = sum(s["seconds"] for s in big.values()) / sum(s["seconds"] for s in ref.values())
            print(f"  {'WHOLE CHAIN':<16} time x{tr:.2f}")
        m = results[sizes[-1]]["abcd"].get("measures", {})
        print("\n  ABCD at 12 months: " + ", ".join(f"{k} {v:.3f}" for k, v in m.items()))
        if args.json:
            args.json.write_text(json.dumps({str(k): v for k, v in results.items()}, indent=1))
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
