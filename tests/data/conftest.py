"""Fixtures for the data tests: a small synthetic extract written as CSV or Parquet."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from irdp.synth import generate_dmst


@pytest.fixture(scope="session")
def small_dmst():
    """A 400-worker, 3-SPSTI synthetic extract (seeded)."""
    return generate_dmst(400, n_spsti=3, seed=11)


@pytest.fixture
def tables(small_dmst) -> dict[str, pd.DataFrame]:
    """Fresh copies of the tables, as strings ready to be broken and written as CSV."""
    return {k: v.copy() for k, v in small_dmst.tables.items()}


def write_csv(tables: dict[str, pd.DataFrame], folder: Path, **kw) -> Path:
    """Write one CSV per table (UTF-8, comma, header)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False, **kw)
    return folder


def digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file of a folder (to prove inputs are never modified)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
            if p.is_file()}


@pytest.fixture(name="write_csv")
def _write_csv_fixture():
    """The :func:`write_csv` helper."""
    return write_csv


@pytest.fixture(name="digests")
def _digests_fixture():
    """The :func:`digests` helper."""
    return digests
