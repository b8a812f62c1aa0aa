"""Benchmark: cohort + all features on synthetic extracts of 100 k, 1 M (and 3 M) workers.

For each size, a synthetic extract is generated once into ``benchmarks/_out/dmst_<n>/``
(Parquet, not timed), then a *fresh* Python process reads it (DuckDB views over the Parquet
files, out of core), builds the landmark cohort ``experiments/cohorts/landmark_2021_12m.yaml``
and all registered features, and reports wall time, CPU time (user + system, all threads:
the figure to read when other jobs share the cores) and peak resident memory (the peak RSS
of that process: Python, DuckDB and the pandas result).

In the same process a straightforward pandas implementation (merge on worker_id, filter the
dates, groupby) of six features — ``age``, ``sl_n_24m``, ``sl_days_24m``, ``n_visits_24m``,
``days_since_last_visit``, ``dx_msk_ever`` — is timed against irdp on the same six features
(results checked equal) and the ratio printed.

Usage::

    PYTHONPATH=. python benchmarks/bench_features.py               # 100 k and 1 M
    PYTHONPATH=. python benchmarks/bench_features.py 100000 1000000 3000000
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "_out"
COHORT = ROOT / "experiments" / "cohorts" / "landmark_2021_12m.yaml"
FEW = ["age", "sl_n_24m", "sl_days_24m", "n_visits_24m", "days_since_last_visit", "dx_msk_ever"]


def _generate(n: int) -> Path:
    folder = OUT / f"dmst_{n}"
    if not (folder / "exit.parquet").exists():
        code = ("from irdp.synth import generate_dmst; "
                f"generate_dmst({n}, seed=0, out={str(folder)!r})")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
        print(f"  generated {n:,} workers in {time.perf_counter() - t0:.1f} s -> {folder}")
    return folder


def _pandas_features(tables: dict, cohort) -> object:  # noqa: ANN401 - pandas frame
    """The six features with a plain pandas merge / filter / groupby."""
    import numpy as np
    import pandas as pd

    c = cohort.table[["worker_id", "index_date"]].reset_index(drop=True)
    c["row"] = np.arange(len(c))
    w = tables["worker"][["worker_id", "birth_year"]]
    age = c.merge(w, on="worker_id", how="left")
    age = (age["index_date"].dt.year - age["birth_year"]).to_numpy()
    v = tables["visit"][["visit_id", "worker_id", "visit_date", "visit_type", "absence_days",
                         "absence_cause"]].copy()
    v["visit_date"] = pd.to_datetime(v["visit_date"])
    m = c.merge(v, on="worker_id")
    delta = (m["index_date"] - m["visit_date"]).dt.days
    before = m[delta > 0]
    d_before = delta[delta > 0]
    in24 = before[d_before < 730]
    n_visits = in24.groupby("row").size().reindex(c["row"], fill_value=0)
    last = d_before.groupby(before["row"]).min().reindex(c["row"])
    rep = m[(delta >= 0) & (delta < 730) & (m["visit_type"] == "REPRISE")
            & (m["absence_cause"] != "MATERNITE")]
    sl_n = rep.groupby("row").size().reindex(c["row"], fill_value=0)
    sl_days = rep.groupby("row")["absence_days"].sum(min_count=1).reindex(c["row"])
    sl_days = sl_days.where(sl_n > 0, 0)
    d = tables["diagnosis"][["visit_id", "icd10_code"]]
    dx = before[["row", "visit_id"]].merge(d, on="visit_id")
    msk = dx["icd10_code"].str.startswith("M").groupby(dx["row"]).any()
    has_prior = before.groupby("row").size().reindex(c["row"], fill_value=0) > 0
    msk = msk.reindex(c["row"]).astype("boolean").fillna(False).where(has_prior.to_numpy())
    return pd.DataFrame({"age": age, "sl_n_24m": sl_n.to_numpy(),
                         "sl_days_24m": sl_days.to_numpy(), "n_visits_24m": n_visits.to_numpy(),
                         "days_since_last_visit": last.to_numpy(),
                         "dx_msk_ever": msk.to_numpy()})


def _cpu() -> float:
    """CPU seconds (user + system) of this process, all threads (DuckDB's included)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_one(folder: Path) -> dict:
    """Child process: time the pipeline on one extract folder; return the figures."""
    import duckdb
    import numpy as np
    import pandas as pd

    from irdp.cohort import CohortDefinition, build_cohort
    from irdp.features import build_features
    from irdp.io import Extract

    con = duckdb.connect()
    names = []
    for f in sorted(folder.glob("*.parquet")):
        con.execute(f"CREATE VIEW \"{f.stem}\" AS SELECT * FROM read_parquet('{f.as_posix()}')")
        names.append(f.stem)
    ex = Extract(con, names, source=folder)
    res: dict = {"workers": ex.n_rows("worker"), "visits": ex.n_rows("visit")}
    cpu0 = _cpu()
    t0 = time.perf_counter()
    cohort = build_cohort(ex, CohortDefinition.from_yaml(COHORT))
    t1 = time.perf_counter()
    X = build_features(ex, cohort)
    t2 = time.perf_counter()
    res.update(rows=len(cohort), features=X.shape[1], t_cohort=t1 - t0, t_features=t2 - t1,
               t_total=t2 - t0, cpu_total=_cpu() - cpu0)
    res["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    # the same few features: irdp vs pandas (pandas reads the tables into memory first)
    t3 = time.perf_counter()
    few = build_features(ex, cohort, features=FEW)
    t4 = time.perf_counter()
    tables = {t: ex.to_pandas(t) for t in ("worker", "visit", "diagnosis")}
    t5 = time.perf_counter()
    pdf = _pandas_features(tables, cohort)
    t6 = time.perf_counter()
    res.update(t_irdp_few=t4 - t3, t_pandas_load=t5 - t4, t_pandas_few=t6 - t5)
    same = True
    for name in FEW:
        a = few[name].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        b = pd.Series(pdf[name]).astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        same &= bool(np.array_equal(np.isnan(a), np.isnan(b)) and
                     np.allclose(a[~np.isnan(a)], b[~np.isnan(b)]))
    res["pandas_equal"] = same
    return res


def main(sizes: list[int]) -> None:
    print(f"irdp feature benchmark; cohort {COHORT.name}; {os.cpu_count()} CPU(s); "
          f"load average {os.getloadavg()[0]:.1f} at start")
    rows = []
    for n in sizes:
        folder = _generate(n)
        proc = subprocess.run([sys.executable, __file__, "--child", str(folder)], cwd=ROOT,
                              capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        if proc.returncode:
            raise RuntimeError(f"benchmark child failed:\n{proc.stderr}")
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append(r)
        print(f"  n={n:>9,}  visits={r['visits']:>10,}  cohort rows={r['rows']:>9,}  "
              f"cohort {r['t_cohort']:6.1f} s  features ({r['features']}) "
              f"{r['t_features']:6.1f} s  total {r['t_total']:6.1f} s wall "
              f"({r['cpu_total']:.1f} s CPU)  peak RSS {r['peak_rss_gib']:.2f} GiB")
        print(f"             6 features: irdp {r['t_irdp_few']:.2f} s, pandas groupby "
              f"{r['t_pandas_few']:.2f} s (+{r['t_pandas_load']:.2f} s loading tables) -> "
              f"ratio pandas/irdp {r['t_pandas_few'] / r['t_irdp_few']:.1f}x "
              f"(with loading {(r['t_pandas_few'] + r['t_pandas_load']) / r['t_irdp_few']:.1f}x)"
              f"; same values: {r['pandas_equal']}")
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        k = b["workers"] / a["workers"]
        k = b["workers"] / a["workers"]
        print(f"  scaling {a['workers']:,} -> {b['workers']:,} workers (x{k:.0f}): "
              f"total time x{b['t_total'] / a['t_total']:.1f}")
    print(f"load average {os.getloadavg()[0]:.1f} at end (other jobs share the cores)")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(run_one(Path(sys.argv[2]))))
    else:
        main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
