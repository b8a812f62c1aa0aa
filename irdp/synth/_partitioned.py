"""National-size extracts written one SPSTI at a time, in bounded memory (private).

A *plan* is drawn first from ``numpy.random.default_rng(seed)``: the SPSTI-level parameters
(exactly those of :func:`~irdp.synth.generate_dmst` for the same seed), the number of workers of
each SPSTI (multinomial on the SPSTI weights) and one seed per SPSTI. Each SPSTI is then
simulated alone, with its own generator, by the same population, follow-up and assembly code as
the in-memory generator, and written as ``<out>/<table>/S<nnn>.parquet``. Because a partition
depends only on the plan and its own seed, the files do not depend on how many SPSTI are
generated per batch nor on how many processes run the batches. Ids carry the SPSTI number
(``W001000000042``) so that partitions generated apart never share an id; a worker belongs to
one SPSTI, so every row of every table sits in the partition of its worker's SPSTI.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from irdp.io.extract import TABLES
from irdp.synth._history import History, simulate
from irdp.synth._population import Companies, Spsti, Workers, make_spsti, make_workers
from irdp.synth._tables import Assembler

__all__ = ["PartitionPlan", "make_plan", "generate_partition", "write_batch", "PLAN_FILE"]

#: Name of the plan file written next to the table folders.
PLAN_FILE = "partitions.json"


@dataclass(frozen=True)
class PartitionPlan:
    """What every partition needs: SPSTI parameters, sizes and seeds (small, picklable)."""

    sp: Spsti
    counts: np.ndarray
    seeds: np.ndarray
    start: int
    end: int

    @property
    def n_spsti(self) -> int:
        """Number of services planned (some may have no worker)."""
        return len(self.counts)

    def name(self, c: int) -> str:
        """Partition name of SPSTI ``c`` (0-based): its ``spsti_id``."""
        return f"S{c + 1:03d}"

    def nonempty(self) -> list[int]:
        """SPSTI indices with at least one worker."""
        return [int(c) for c in np.flatnonzero(self.counts > 0)]


def make_plan(n_workers: int, n_spsti: int, seed: int, start: int, end: int) -> PartitionPlan:
    """Draw the plan from ``numpy.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    sp = make_spsti(rng, n_spsti)
    counts = rng.multinomial(n_workers, sp.weight)
    seeds = rng.integers(0, np.iinfo(np.int64).max, size=n_spsti, dtype=np.int64)
    return PartitionPlan(sp=sp, counts=counts, seeds=seeds, start=start, end=end)


def _one_spsti(sp: Spsti, c: int) -> Spsti:
    """The parameters of SPSTI ``c`` as a one-service :class:`Spsti`."""
    fields = {k: v[c:c + 1] for k, v in vars(sp).items() if isinstance(v, np.ndarray)}
    fields["weight"] = np.ones(1)
    return replace(sp, **fields, departments=[sp.departments[c]])


@dataclass
class Partition:
    """One simulated SPSTI: its tables and what its known truth is computed from."""

    tables: dict[str, pa.Table]
    sp: Spsti
    workers: Workers
    companies: Companies
    history: History
    assembler: Assembler


def generate_partition(plan: PartitionPlan, c: int) -> Partition:
    """Simulate SPSTI ``c`` of ``plan`` with its own generator."""
    rng = np.random.default_rng(int(plan.seeds[c]))
    sp1 = _one_spsti(plan.sp, c)
    workers, comp = make_workers(rng, sp1, int(plan.counts[c]), plan.start, plan.end)
    hist = simulate(rng, workers, sp1, plan.start, plan.end)
    asm = Assembler(rng, workers, comp, sp1, hist, plan.start, plan.end, tag=f"{c + 1:03d}",
                    spsti_number=c + 1)
    return Partition(tables=asm.tables(TABLES), sp=sp1, workers=workers,
                     companies=comp, history=hist, assembler=asm)


def write_batch(plan: PartitionPlan, batch: Sequence[int], out: str,
                write: Callable[[pa.Table, Path], None]) -> dict[str, dict[str, int]]:
    """Generate and write the SPSTI of ``batch``; returns rows per table per partition."""
    rows: dict[str, dict[str, int]] = {}
    for c in batch:
        part = generate_partition(plan, c)
        name = plan.name(c)
        for t, table in part.tables.items():
            write(table, Path(out) / t / f"{name}.parquet")
        rows[name] = {t: table.num_rows for t, table in part.tables.items()}
        del part
    return rows


def write_plan_file(out: Path, meta: dict[str, Any], rows: dict[str, dict[str, int]]) -> None:
    """Write ``partitions.json``: generator arguments and rows per partition and table."""
    doc = {**meta, "layout": "<table>/<spsti_id>.parquet", "partitions": rows}
    (out / PLAN_FILE).write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n",
                                 encoding="utf-8")


def rows_frame(rows: dict[str, dict[str, int]]) -> pd.DataFrame:
    """Rows per partition (index ``spsti_id``) and table (columns)."""
    out = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=list(TABLES))
    out.index.name = "spsti_id"
    return out.sort_index().astype("int64")
