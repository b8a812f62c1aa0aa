"""Benchmark: generate and load (validate) synthetic extracts of 10 k, 100 k and 1 M workers.

Each step runs in a fresh subprocess so that its peak memory (max RSS) is its own. Printed per
step: wall time, peak RSS, rows; the load step is compared with a peer in the same process:
pyarrow reading the same Parquet files without any validation. A final stress step validates
the 1 M-worker extract with its visit table replicated to ~10 M rows.

Usage: python benchmarks/bench_extract.py [--sizes 10000 100000 1000000] [--keep]
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

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
step, n, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
out = {{}}
t0 = time.perf_counter()
if step == "generate":
    from irdp.synth import generate_dmst
    res = generate_dmst(n, n_spsti=8, seed=0, out=folder)
    out["rows"] = {{k: v.num_rows for k, v in res.arrow.items()}}
elif step == "load":
    from irdp.io import read_extract
    ex = read_extract(folder)
    out["rows"] = {{t: ex.n_rows(t) for t in ex}}
    out["seconds"] = time.perf_counter() - t0
    import pyarrow.parquet as pq
    t1 = time.perf_counter()
    for t in ex:
        pq.read_table(f"{{folder}}/{{t}}.parquet")
    out["peer_seconds"] = time.perf_counter() - t1
elif step == "replicate":
    import duckdb
    from pathlib import Path
    src, k = Path(folder), n
    dst = src.parent / (src.name + "_x" + str(k))
    dst.mkdir(exist_ok=True)
    for p in src.glob("*.parquet"):
        if p.name != "visit.parquet":
            (dst / p.name).write_bytes(p.read_bytes())
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT CASE WHEN r = 0 THEN visit_id ELSE visit_id || '-' || r END AS visit_id, "
        f"* EXCLUDE (visit_id, r) FROM read_parquet('{{src}}/visit.parquet'), range({{k}}) t(r)) "
        f"TO '{{dst}}/visit.parquet' (FORMAT parquet, COMPRESSION zstd)")
    out["rows"] = {{"visit": con.execute(
        f"SELECT count(*) FROM read_parquet('{{dst}}/visit.parquet')").fetchall()[0][0]}}
    out["folder"] = str(dst)
out.setdefault("seconds", time.perf_counter() - t0)
out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("RESULT " + json.dumps(out))
"""


def run(step: str, n: int, folder: Path) -> dict:
    code = CHILD.format(root=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", code, step, str(n), str(folder)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"step {step} failed:\n{proc.stderr}")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[7:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--stress-visits", type=int, default=10_000_000,
                    help="replicate the largest extract's visits to about this many rows")
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="irdp_bench_"))
    print(f"{'workers':>9} {'step':<9} {'time s':>7} {'peak MiB':>9} {'visits':>11} "
          f"{'us/worker':>9}  notes")
    try:
        last = None
        for n in args.sizes:
            folder = tmp / f"w{n}"
            g = run("generate", n, folder)
            print(f"{n:>9,} {'generate':<9} {g['seconds']:>7.2f} {g['peak_rss_mib']:>9.0f} "
                  f"{g['rows']['visit']:>11,} {1e6 * g['seconds'] / n:>9.2f}  "
                  f"{sum(g['rows'].values()):,} rows in 9 tables")
            ld = run("load", n, folder)
            print(f"{n:>9,} {'load':<9} {ld['seconds']:>7.2f} {ld['peak_rss_mib']:>9.0f} "
                  f"{ld['rows']['visit']:>11,} {1e6 * ld['seconds'] / n:>9.2f}  "
                  f"validated; pyarrow read without validation {ld['peer_seconds']:.2f} s "
                  f"(ratio {ld['seconds'] / max(ld['peer_seconds'], 1e-9):.1f}x)")
            last = (n, folder, g["rows"]["visit"])
        if last is not None and args.stress_visits:
            n, folder, n_visits = last
            k = max(1, round(args.stress_visits / n_visits))
            rep = run("replicate", k, folder)
            ld = run("load", n, Path(rep["folder"]))
            print(f"{n:>9,} {'load':<9} {ld['seconds']:>7.2f} {ld['peak_rss_mib']:>9.0f} "
                  f"{ld['rows']['visit']:>11,} {1e6 * ld['seconds'] / n:>9.2f}  "
                  f"stress: visit table replicated x{k}")
    finally:
        if args.keep:
            print(f"files kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
