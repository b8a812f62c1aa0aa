"""FROZEN COPY of ``irdp/privacy/disclosure.py`` before issue 11 (commit 5d8196d).

The tests of issue 11 reproduce the attacks on what this code published ("the old code
path") and show that they fail on what the new linked-table suppression publishes. Do not
use this module anywhere else; do not fix it.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_THRESHOLD",
    "suppress_small_counts",
    "check_disclosure",
    "is_disclosive",
    "format_suppressed",
]

#: Default minimum publishable count (CASD / SNDS practice: cells 1-10 are masked).
DEFAULT_THRESHOLD = 11


def _check_threshold(threshold: Any) -> int:
    if isinstance(threshold, bool) or not isinstance(threshold, int | np.integer):
        raise TypeError(f"threshold must be an int; got {type(threshold).__name__}.")
    if threshold < 1:
        raise ValueError(f"threshold must be >= 1; got {threshold}. Typical values are 5, 10, 11.")
    return int(threshold)


def _resolve_count_columns(
    table: pd.DataFrame, count_columns: Sequence[Hashable] | None, rates: Mapping[Any, Any]
) -> list[Hashable]:
    if count_columns is None:
        cols = [
            c
            for c in table.columns
            if c not in rates
            and pd.api.types.is_integer_dtype(table[c])
            and not pd.api.types.is_bool_dtype(table[c])
        ]
    else:
        cols = list(count_columns)
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise ValueError(
            f"count_columns must name columns of table; {missing} are absent "
            f"(columns are {list(table.columns)})."
        )
    for c in cols:
        if not pd.api.types.is_numeric_dtype(table[c]):
            raise TypeError(
                f"count column {c!r} must be numeric; got dtype {table[c].dtype}. "
                "Pass count_columns explicitly."
            )
    return cols


def _check_structure(
    table: pd.DataFrame,
    cols: list[Hashable],
    rates: dict[Hashable, Any],
    row_total: Hashable | None,
    total_row: Hashable | None,
) -> None:
    for rate, pair in rates.items():
        if rate not in table.columns:
            raise ValueError(f"rates names column {rate!r}, which is not in table.")
        if not (isinstance(pair, tuple | list) and len(pair) == 2):
            raise TypeError(
                f"rates[{rate!r}] must be a (numerator, denominator) pair; got {pair!r}."
            )
        for c in pair:
            if c not in cols:
                raise ValueError(
                    f"rates[{rate!r}] refers to {c!r}, which is not a count column "
                    f"(count columns: {cols}). Add it to count_columns."
                )
    if row_total is not None and row_total not in cols:
        raise ValueError(f"row_total {row_total!r} must be one of the count columns {cols}.")
    if total_row is not None and total_row not in table.index:
        raise ValueError(f"total_row {total_row!r} is not an index label of table.")
    if table.index.has_duplicates and total_row is not None:
        raise ValueError("table index must be unique when total_row is given.")


def _lines(
    table: pd.DataFrame,
    cols: list[Hashable],
    row_total: Hashable | None,
    total_row: Hashable | None,
    known_totals: bool,
) -> list[list[tuple[int, int]]]:
    """Additive lines (sets of (row, col) positions whose cells sum to a visible/known total)."""
    lines: list[list[tuple[int, int]]] = []
    col_pos = [table.columns.get_loc(c) for c in cols]
    rows = list(range(len(table)))
    if row_total is not None:
        rt = table.columns.get_loc(row_total)
        parts = [p for p in col_pos if p != rt]
        for r in rows:
            lines.append([(r, p) for p in parts] + [(r, rt)])
    if total_row is not None or known_totals:
        tr = None if total_row is None else table.index.get_loc(total_row)
        body = [r for r in rows if r != tr]
        for p in col_pos:
            line = [(r, p) for r in body]
            if tr is not None:
                line.append((tr, p))
            lines.append(line)
    return lines


def _secondary(values: np.ndarray, mask: np.ndarray, lines: list[list[tuple[int, int]]]) -> int:
    """Complementary suppression in place; returns the number of extra cells suppressed."""
    added = 0
    changed = True
    while changed:
        changed = False
        for line in lines:
            n_masked = sum(mask[r, c] for r, c in line)
            if n_masked != 1:
                continue
            candidates = [(r, c) for r, c in line if not mask[r, c]]
            if not candidates:  # pragma: no cover - a line of one cell cannot be additive
                continue
            # smallest visible cell first (least information loss); ties by position
            r, c = min(candidates, key=lambda rc: (values[rc], rc))
            mask[r, c] = True
            added += 1
            changed = True
    return added


def suppress_small_counts(
    table: pd.DataFrame,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    count_columns: Sequence[Hashable] | None = None,
    rates: Mapping[Hashable, tuple[Hashable, Hashable]] | None = None,
    row_total: Hashable | None = None,
    total_row: Hashable | None = None,
    known_totals: bool = False,
    suppress_zeros: bool = False,
    return_mask: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Suppress small counts, their complements and the rates built on them.

    Parameters
    ----------
    table : pandas.DataFrame
        The table to publish (one row per group; count, total and rate columns).
    threshold : int, default=11
        Smallest publishable count: counts ``0 < n < threshold`` are suppressed.
    count_columns : sequence of labels, optional
        Columns holding counts (including ``row_total`` if any). Default: every integer column
        not listed in ``rates``.
    rates : mapping, optional
        ``{rate_column: (numerator_column, denominator_column)}``; a rate (or percentage) is
        suppressed when its numerator or denominator is suppressed. The numerator and
        denominator must be count columns.
    row_total : label, optional
        Count column equal to the sum of the other count columns of each row.
    total_row : label, optional
        Index label of a row equal to the sum of the other rows.
    known_totals : bool, default=False
        Column totals are published elsewhere (e.g. the overall number of workers), so each
        count column is additive even without a ``total_row``.
    suppress_zeros : bool, default=False
        Also suppress zero counts.
    return_mask : bool, default=False
        Also return the boolean DataFrame of suppressed cells.

    Returns
    -------
    pandas.DataFrame or (pandas.DataFrame, pandas.DataFrame)
        A copy of ``table`` in which suppressed cells are missing (``pd.NA``; count and rate
        columns become nullable ``Float64``/``Int64``). ``result.attrs["disclosure"]`` holds
        ``threshold``, ``n_primary``, ``n_secondary`` and ``n_rates``. With
        ``return_mask=True``, also the mask (True = suppressed).

    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame; got {type(table).__name__}.")
    threshold = _check_threshold(threshold)
    rates = dict(rates or {})
    cols = _resolve_count_columns(table, count_columns, rates)
    _check_structure(table, cols, rates, row_total, total_row)

    values = np.zeros(table.shape, dtype=float)
    is_count = np.zeros(table.shape, dtype=bool)
    for c in cols:
        p = table.columns.get_loc(c)
        v = pd.to_numeric(table[c]).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        values[:, p] = v
        is_count[:, p] = True
    vis = ~np.isnan(values)
    small = vis & (values < threshold) & ((values > 0) | suppress_zeros) & is_count
    mask = small.copy()
    n_primary = int(small.sum())
    # cells already missing count as suppressed for the additivity analysis
    mask |= is_count & ~vis
    n_secondary = _secondary(
        np.where(np.isnan(values), np.inf, values),
        mask,
        _lines(table, cols, row_total, total_row, known_totals),
    )

    out = table.copy()
    n_rates = 0
    for c in cols:
        p = table.columns.get_loc(c)
        col = pd.to_numeric(out[c])
        col = col.astype("Int64") if pd.api.types.is_integer_dtype(col) else col.astype("Float64")
        out[c] = col.mask(pd.Series(mask[:, p], index=out.index))
    for rate, (num, den) in rates.items():
        bad = mask[:, table.columns.get_loc(num)] | mask[:, table.columns.get_loc(den)]
        rcol = pd.to_numeric(out[rate]).astype("Float64")
        n_rates += int((bad & rcol.notna().to_numpy()).sum())
        out[rate] = rcol.mask(pd.Series(bad, index=out.index))
        mask[:, table.columns.get_loc(rate)] = bad
    out.attrs["disclosure"] = {
        "threshold": threshold,
        "n_primary": n_primary,
        "n_secondary": n_secondary,
        "n_rates": n_rates,
    }
    if return_mask:
        return out, pd.DataFrame(mask, index=table.index, columns=table.columns)
    return out


def check_disclosure(
    table: pd.DataFrame,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    count_columns: Sequence[Hashable] | None = None,
    rates: Mapping[Hashable, tuple[Hashable, Hashable]] | None = None,
    row_total: Hashable | None = None,
    total_row: Hashable | None = None,
    known_totals: bool = False,
) -> list[str]:
    """List the disclosure problems of a table about to be published.

    A table is safe when no visible count is in ``1 .. threshold-1``, no additive line (see
    :func:`suppress_small_counts`) holds exactly one missing cell, and no visible rate has a
    missing or small numerator or denominator.

    Parameters
    ----------
    table, threshold, count_columns, rates, row_total, total_row, known_totals
        As in :func:`suppress_small_counts`.

    Returns
    -------
    list of str
        Human-readable problems; empty when the table is safe to publish.

    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame; got {type(table).__name__}.")
    threshold = _check_threshold(threshold)
    rates = dict(rates or {})
    cols = _resolve_count_columns(table, count_columns, rates)
    problems: list[str] = []
    missing = np.zeros(table.shape, dtype=bool)
    for c in cols:
        p = table.columns.get_loc(c)
        v = pd.to_numeric(table[c]).astype("Float64")
        missing[:, p] = v.isna().to_numpy()
        small = v.notna() & (v > 0) & (v < threshold)
        for label, val in v[small.to_numpy(dtype=bool)].items():
            problems.append(
                f"count {c}={val:g} in row {label!r}, column {c!r} is below the "
                f"threshold {threshold}"
            )
    for line in _lines(table, cols, row_total, total_row, known_totals):
        cells = [(r, c) for r, c in line if missing[r, c]]
        if len(cells) == 1:
            r, c = cells[0]
            problems.append(
                f"cell (row {table.index[r]!r}, column {table.columns[c]!r}) is the only "
                "suppressed cell of an additive line and can be recomputed from the total"
            )
    for rate, (num, den) in rates.items():
        rv = pd.to_numeric(table[rate]).astype("Float64").notna().to_numpy()
        for part in (num, den):
            pv = pd.to_numeric(table[part]).astype("Float64")
            bad = rv & (pv.isna() | ((pv > 0) & (pv < threshold))).to_numpy(dtype=bool)
            for r in np.flatnonzero(bad):
                problems.append(
                    f"rate {rate!r} in row {table.index[r]!r} is visible while its "
                    f"{'numerator' if part == num else 'denominator'} {part!r} is "
                    "suppressed or small"
                )
    return problems


def is_disclosive(table: pd.DataFrame, **kwargs: Any) -> bool:
    """Return True when :func:`check_disclosure` finds at least one problem.

    """
    return bool(check_disclosure(table, **kwargs))


def _cell_text(v: Any) -> str:
    if isinstance(v, str):
        return v
    return f"{v:g}" if isinstance(v, float) else str(v)


def format_suppressed(table: pd.DataFrame, *, marker: str = "<11") -> pd.DataFrame:
    """Render a suppressed table for printing: missing cells become ``marker`` (strings).

    """
    out = table.astype(object).where(table.notna(), marker)
    return out.map(_cell_text)
