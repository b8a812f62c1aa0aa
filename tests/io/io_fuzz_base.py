"""The pristine extract of the loader fuzz suite: a small synthetic extract written once as
Parquet and as CSV, copied for every case (helpers shared by the tests of ``tests/io``)."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from irdp.synth import generate_dmst


@dataclass(frozen=True)
class Base:
    """The pristine extract: Arrow tables and the two folders written from them."""

    arrow: dict[str, pa.Table]
    parquet: Path
    csv: Path

    def folder(self, fmt: str) -> Path:
        return self.parquet if fmt == "parquet" else self.csv

    def copy(self, fmt: str, dest: Path) -> Path:
        shutil.copytree(self.folder(fmt), dest)
        return dest


def make_base(root: Path) -> Base:
    """Write the pristine extract under ``root`` (``parquet/`` and ``csv/``)."""
    res = generate_dmst(40, n_spsti=2, seed=2)
    pq_dir, csv_dir = root / "parquet", root / "csv"
    pq_dir.mkdir()
    csv_dir.mkdir()
    for name, table in res.arrow.items():
        pq.write_table(table, pq_dir / f"{name}.parquet")
        pacsv.write_csv(table, csv_dir / f"{name}.csv")
    return Base(arrow=dict(res.arrow), parquet=pq_dir, csv=csv_dir)


def digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (to prove inputs are never modified)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def read_csv_text(path: Path) -> pd.DataFrame:
    """A CSV as a frame of strings (empty cells stay empty strings)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)
