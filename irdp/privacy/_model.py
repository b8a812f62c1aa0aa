"""The linked system of counts behind declared tables (private to :mod:`irdp.privacy`).

One variable per population and cell (a frozenset of ``(dimension, level)`` pairs), the
declared tables that publish them, and the rates that link them.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

Key = frozenset  # frozenset of (dimension, level) pairs
Cell = tuple[str, int, Hashable]  # (table, row position, column)


@dataclass
class _Table:
    name: str
    frame: pd.DataFrame
    population: str
    row_keys: list[dict[str, str]]
    counts: dict[Hashable, dict[str, str]]
    hidden: list[Hashable]
    rates: dict[Hashable, Any]  # label -> irdp.privacy.Rate
    derived: dict[Hashable, list[Any]]
    derived_block: Hashable | None


@dataclass
class _Var:
    population: str
    key: Key
    truth: float | None = None
    cells: list[Cell] = field(default_factory=list)
    external: bool = False
    declared: bool = False

    @property
    def published(self) -> bool:
        return bool(self.cells) or self.external


@dataclass
class _RateItem:
    cell: Cell
    num: int
    den: int
    scale: float
    value: float
    half_width: float


class _Model:
    """Variables (one per population x cell), additivity constraints and rate items."""

    def __init__(self) -> None:
        self.vars: list[_Var] = []
        self.index: dict[tuple[str, Key], int] = {}
        self.families: list[tuple[int, list[int], str]] = []
        self.rates: list[_RateItem] = []
        self.cell_var: dict[Cell, int] = {}

    def var(self, population: str, key: Key) -> int:
        k = (population, key)
        if k not in self.index:
            self.index[k] = len(self.vars)
            self.vars.append(_Var(population, key))
        return self.index[k]


def _label(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    return str(value)


@dataclass(frozen=True)
class _RowsIn:
    rows: set[int]

    def __call__(self, row: pd.Series) -> bool:
        return int(row["__row__"]) in self.rows


def _check_columns(name: str, frame: pd.DataFrame, cols: list[Hashable],
                   hidden: Sequence[Hashable], rates: Mapping[Hashable, Any],
                   counts: Mapping[Hashable, Any]) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ValueError(f"table {name!r}: columns {missing[:5]} are declared but not in the "
                         f"frame (columns: {list(frame.columns)[:10]}).")
    bad_hidden = [c for c in hidden if c not in counts]
    if bad_hidden:
        raise ValueError(f"table {name!r}: hidden columns {bad_hidden[:5]} must be count "
                         "columns (declare them in counts).")
    for c, r in rates.items():
        parts = [r.numerator] + ([] if r.known_denominator(counts) is not None
                                 else [r.denominator])
        for part in parts:
            if part not in counts:
                raise ValueError(f"table {name!r}: rate {c!r} refers to {part!r}, which is not "
                                 "a count column; declare it in counts (hidden if it is not "
                                 "published).")
    for c in counts:
        if not pd.api.types.is_numeric_dtype(frame[c]) and not frame[c].isna().all():
            raise TypeError(f"table {name!r}: count column {c!r} must be numeric; got dtype "
                            f"{frame[c].dtype}.")


def _merge_key(name: str, row: Mapping[str, str], coords: Mapping[str, str]) -> dict[str, str]:
    key = dict(row)
    for d, v in coords.items():
        if key.get(d, v) != v:
            raise ValueError(f"table {name!r}: a column coordinate {d}={v} contradicts the row "
                             f"coordinate {d}={key[d]}.")
        key[d] = v
    return key


def _number(value: Any) -> float:
    """A cell as a float (NaN when missing or not a number)."""
    if value is None or value is pd.NA or isinstance(value, str | bytes | bool | np.bool_):
        return float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _set_truth(var: _Var, value: Any, table: str, col: Hashable) -> None:
    v = _number(value)
    if v != v:
        return
    if v < 0 or v != int(v):
        raise ValueError(f"table {table!r}, column {col!r}: counts must be non-negative "
                         f"integers; found {v:g}.")
    if var.truth is not None and var.truth != v:
        raise ValueError(f"table {table!r}, column {col!r}: the count of "
                         f"{_key_text(var.key)} is {v:g} here but {var.truth:g} elsewhere in "
                         "the same population (two cells with the same coordinates must hold "
                         "the same count; add the dimension that tells them apart).")
    var.truth = v


def _find_row(t: _Table, selector: Mapping[Hashable, Any]) -> int:
    hit = np.ones(len(t.frame), dtype=bool)
    for c, v in selector.items():
        hit &= (t.frame[c] == v).to_numpy()
    rows = np.flatnonzero(hit)
    if len(rows) != 1:
        raise ValueError(f"table {t.name!r}: denominator_row {dict(selector)} selects "
                         f"{len(rows)} rows; it must select exactly one.")
    return int(rows[0])


def _key_text(key: Key) -> str:
    return "{" + ", ".join(f"{d}={v}" for d, v in sorted(key)) + "}" if key else "{all}"


def _where(m: _Model, j: int) -> str:
    v = m.vars[j]
    if v.cells:
        t, r, c = v.cells[0]
        return f"table {t!r} row {r} column {c!r}"
    return f"the count of {v.population} {_key_text(v.key)}"
