"""Statistical disclosure control of one published table (small-cell suppression).

These functions control a single table; they are thin wrappers around the linked-table engine
(:class:`irdp.privacy.LinkedTables`), so a table controlled here passes the same audit by
linear programming as the tables of a whole run. To protect several tables about the same
population (Table 1 by SPSTI and by development/validation set, fairness groups and fairness
measures...) declare them together in a :class:`~irdp.privacy.LinkedTables` instead: tables
suppressed one at a time give each other's hidden counts back.

Rules applied (:class:`~irdp.privacy.DisclosurePolicy`, 11 by default):

1. **Primary suppression**: every count ``0 < n < min_count`` (cells 1-10 are masked); zeros
   too when the policy protects zeros (``suppress_zeros=True``).
2. **Complementary suppression** along the additive structure declared — a row-total column
   (``row_total``), a total row (``total_row``), column totals published elsewhere
   (``known_totals``) — until no hidden cell can be narrowed down to fewer than ``min_count``
   values (checked by linear programming). A zero is never used as a complement.
3. **Rates and percentages** declared in ``rates`` as ``{"rate": ("numerator",
   "denominator")}`` are suppressed whenever their numerator or denominator is suppressed
   or small.

References
----------
CASD, « Règles de confidentialité » (no cell may concern fewer than 11 units; secondary
secrecy). Hundepool A. et al., *Statistical Disclosure Control*, Wiley 2012, ch. 4
(primary and secondary cell suppression, audit by linear programming).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from irdp.privacy._format import format_suppressed
from irdp.privacy.linked import LinkedTables
from irdp.privacy.policy import (
    DEFAULT_THRESHOLD,
    DisclosurePolicy,
    resolve_policy,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "suppress_small_counts",
    "check_disclosure",
    "is_disclosive",
    "format_suppressed",
]


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
            f"count_columns must name columns of table; {missing[:5]} are absent "
            f"(columns are {list(table.columns)[:10]})."
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
                    f"(count columns: {cols[:10]}). Add it to count_columns."
                )
    if row_total is not None and row_total not in cols:
        raise ValueError(f"row_total {row_total!r} must be one of the count columns {cols}.")
    if total_row is not None and total_row not in table.index:
        raise ValueError(f"total_row {total_row!r} is not an index label of table.")
    if table.index.has_duplicates and total_row is not None:
        raise ValueError("table index must be unique when total_row is given.")


def _as_float(table: pd.DataFrame, c: Hashable) -> np.ndarray:
    return pd.to_numeric(table[c]).astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def _declare(
    table: pd.DataFrame, cols: list[Hashable], row_total: Hashable | None,
    total_row: Hashable | None, known_totals: bool, policy: DisclosurePolicy,
) -> tuple[LinkedTables, dict[Hashable, str]]:
    """One table as a linked system: rows on a private dimension, columns on another when a
    row-total column ties them, else one population per column."""
    lt = LinkedTables(policy)
    tr = None if total_row is None else table.index.get_loc(total_row)
    keys = [{} if r == tr else {"__row__": str(r)} for r in range(len(table))]
    frame = table.reset_index(drop=True)
    where: dict[Hashable, str] = {}
    groups: list[tuple[str, list[Hashable], dict[Hashable, dict[str, str]]]]
    if row_total is not None:
        coords = {c: ({} if c == row_total else {"__col__": str(i)}) for i, c in enumerate(cols)}
        groups = [("t", cols, coords)]
    else:
        groups = [(f"t{i}", [c], {c: {}}) for i, c in enumerate(cols)]
    for name, gcols, coords in groups:
        lt.add(name, frame[gcols], counts=coords, population=name, row_keys=keys)
        for c in gcols:
            where[c] = name
        if known_totals and tr is None:
            for c in gcols:
                total = float(np.nansum(_as_float(frame, c)))
                lt.add_known(coords[c], total, population=name)
    return lt, where


def suppress_small_counts(
    table: pd.DataFrame,
    *,
    policy: DisclosurePolicy | None = None,
    min_count: int | None = None,
    count_columns: Sequence[Hashable] | None = None,
    rates: Mapping[Hashable, tuple[Hashable, Hashable]] | None = None,
    row_total: Hashable | None = None,
    total_row: Hashable | None = None,
    known_totals: bool = False,
    suppress_zeros: bool | None = None,
    return_mask: bool = False,
    threshold: int | None = None,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Suppress small counts, their complements and the rates built on them.

    Parameters
    ----------
    table : pandas.DataFrame
        The table to publish (one row per group; count, total and rate columns).
    policy : DisclosurePolicy, optional
        The disclosure policy (default: ``min_count=11``).
    min_count : int, optional
        Smallest publishable count, when no ``policy`` is given (below 11 is refused: build
        a :class:`~irdp.privacy.DisclosurePolicy` with an override instead).
    count_columns : sequence of labels, optional
        Columns holding counts (including ``row_total`` if any). Default: every integer column
        not listed in ``rates``.
    rates : mapping, optional
        ``{rate_column: (numerator_column, denominator_column)}``; a rate (or percentage) is
        suppressed when its numerator or denominator is suppressed or small. The numerator
        and denominator must be count columns.
    row_total : label, optional
        Count column equal to the sum of the other count columns of each row.
    total_row : label, optional
        Index label of a row equal to the sum of the other rows.
    known_totals : bool, default=False
        Column totals are published elsewhere (e.g. the overall number of workers), so each
        count column is additive even without a ``total_row``.
    suppress_zeros : bool, optional
        Also suppress zero counts (default: the policy's ``protect_zeros``).
    return_mask : bool, default=False
        Also return the boolean DataFrame of suppressed cells.
    threshold : int, optional
        Former name of ``min_count`` (kept for existing callers).

    Returns
    -------
    pandas.DataFrame or (pandas.DataFrame, pandas.DataFrame)
        A copy of ``table`` in which suppressed cells are missing (``pd.NA``; count and rate
        columns become nullable ``Int64``/``Float64``). ``result.attrs["disclosure"]`` holds
        ``threshold`` (the ``min_count`` applied), ``n_primary``, ``n_secondary``, ``n_rates``,
        ``n_unprotected`` (small counts that a total published elsewhere still gives away:
        the totals given with ``known_totals`` are themselves too small) and ``policy``
        (:meth:`DisclosurePolicy.to_dict`). With ``return_mask=True``, also the
        mask (True = suppressed).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"n": [120, 7, 45], "events": [12, 3, 9]}, index=["A", "B", "C"])
    >>> t["rate"] = t["events"] / t["n"]
    >>> out = suppress_small_counts(t, rates={"rate": ("events", "n")})
    >>> bool(out.loc["B"].isna().all()), bool(pd.isna(out.loc["C", "rate"]))
    (True, True)
    >>> out.attrs["disclosure"]["n_primary"]
    3
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame; got {type(table).__name__}.")
    policy = resolve_policy(policy, min_count=min_count, threshold=threshold,
                            protect_zeros=suppress_zeros)
    rates = dict(rates or {})
    cols = _resolve_count_columns(table, count_columns, rates)
    _check_structure(table, cols, rates, row_total, total_row)
    for c in cols:
        v = _as_float(table, c)
        bad = ~np.isnan(v) & ((v < 0) | (v != np.round(v)))
        if bad.any():
            raise ValueError(f"count column {c!r} must hold non-negative integers; found "
                             f"{int(bad.sum())} other value(s) (first rows: "
                             f"{list(table.index[bad][:5])}).")

    mask = np.zeros(table.shape, dtype=bool)
    values = {c: _as_float(table, c) for c in cols}
    n_primary = n_secondary = 0
    unprotected: list[str] = []
    if any(np.isnan(v).any() or any(policy.is_sensitive(x) for x in v)
           for v in values.values()):
        lt, where = _declare(table, cols, row_total, total_row, known_totals, policy)
        done = lt.suppress(strict=False)
        for c in cols:
            p = table.columns.get_loc(c)
            mask[:, p] = done.mask(where[c])[c].to_numpy(dtype=bool) | np.isnan(values[c])
        n_primary, n_secondary = done.n_primary, done.n_secondary
        unprotected = done.unprotected

    out = table.copy()
    n_rates = 0
    for c in cols:
        p = table.columns.get_loc(c)
        col = pd.to_numeric(out[c])
        col = col.astype("Int64") if pd.api.types.is_integer_dtype(col) else col.astype("Float64")
        if policy.rounding is not None:
            col = pd.array([v if pd.isna(v) else policy.published_count(int(v))
                            for v in col.tolist()], dtype=col.dtype)
            col = pd.Series(col, index=out.index)
        out[c] = col.mask(pd.Series(mask[:, p], index=out.index))
    for rate, (num, den) in rates.items():
        bad = np.zeros(len(table), dtype=bool)
        for part in (num, den):
            v = _as_float(table, part)
            small = np.array([policy.is_sensitive(x) for x in v], dtype=bool)
            bad |= mask[:, table.columns.get_loc(part)] | small
        rcol = pd.to_numeric(out[rate]).astype("Float64")
        n_rates += int((bad & rcol.notna().to_numpy()).sum())
        out[rate] = rcol.mask(pd.Series(bad, index=out.index))
        mask[:, table.columns.get_loc(rate)] = bad
    out.attrs["disclosure"] = {
        "threshold": policy.min_count,
        "n_primary": n_primary,
        "n_secondary": n_secondary,
        "n_rates": n_rates,
        "n_unprotected": len(unprotected),
        "policy": policy.to_dict(),
    }
    if return_mask:
        return out, pd.DataFrame(mask, index=table.index, columns=table.columns)
    return out


def check_disclosure(
    table: pd.DataFrame,
    *,
    policy: DisclosurePolicy | None = None,
    min_count: int | None = None,
    count_columns: Sequence[Hashable] | None = None,
    rates: Mapping[Hashable, tuple[Hashable, Hashable]] | None = None,
    row_total: Hashable | None = None,
    total_row: Hashable | None = None,
    known_totals: bool = False,
    threshold: int | None = None,
) -> list[str]:
    """List the disclosure problems of a table about to be published.

    A table is safe when no visible count is in ``1 .. min_count-1``, no missing count can be
    narrowed down to fewer than ``min_count`` values from the totals declared (linear
    programming; with ``known_totals`` and no total row, whose values are then unknown here,
    a column holding exactly one missing cell is a problem), and no visible rate has a missing
    or small numerator or denominator.

    Parameters
    ----------
    table, policy, min_count, count_columns, rates, row_total, total_row, known_totals
        As in :func:`suppress_small_counts`.
    threshold : int, optional
        Former name of ``min_count``.

    Returns
    -------
    list of str
        Human-readable problems; empty when the table is safe to publish.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"n": [120, 7]}, index=["A", "B"])
    >>> check_disclosure(t)
    ["count n=7 in row 'B', column 'n' is below min_count 11"]
    >>> check_disclosure(suppress_small_counts(t))
    []
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame; got {type(table).__name__}.")
    policy = resolve_policy(policy, min_count=min_count, threshold=threshold)
    m = policy.min_count
    rates = dict(rates or {})
    cols = _resolve_count_columns(table, count_columns, rates)
    problems: list[str] = []
    missing = np.zeros(table.shape, dtype=bool)
    for c in cols:
        p = table.columns.get_loc(c)
        v = pd.to_numeric(table[c]).astype("Float64")
        missing[:, p] = v.isna().to_numpy()
        small = v.notna() & (v > 0) & (v < m)
        for label, val in v[small.to_numpy(dtype=bool)].items():
            problems.append(f"count {c}={val:g} in row {label!r}, column {c!r} is below "
                            f"min_count {m}")
    if missing.any() and (row_total is not None or total_row is not None or known_totals):
        problems.extend(_recoverable(table, cols, row_total, total_row, known_totals, policy,
                                     missing))
    for rate, (num, den) in rates.items():
        rv = pd.to_numeric(table[rate]).astype("Float64").notna().to_numpy()
        for part in (num, den):
            pv = pd.to_numeric(table[part]).astype("Float64")
            bad = rv & (pv.isna() | ((pv > 0) & (pv < m))).to_numpy(dtype=bool)
            for r in np.flatnonzero(bad):
                problems.append(
                    f"rate {rate!r} in row {table.index[r]!r} is visible while its "
                    f"{'numerator' if part == num else 'denominator'} {part!r} is "
                    "suppressed or small"
                )
    return problems


def _recoverable(
    table: pd.DataFrame, cols: list[Hashable], row_total: Hashable | None,
    total_row: Hashable | None, known_totals: bool, policy: DisclosurePolicy,
    missing: np.ndarray,
) -> list[str]:
    out = []
    if known_totals and total_row is None:
        # the column totals are known to the reader but not given here: a column with a
        # single missing cell gives it back
        for c in cols:
            if row_total is not None and c == row_total:
                continue
            p = table.columns.get_loc(c)
            if missing[:, p].sum() == 1:
                r = int(np.flatnonzero(missing[:, p])[0])
                out.append(f"cell (row {table.index[r]!r}, column {c!r}) is the only "
                           "suppressed cell of its column and can be recomputed from the "
                           "column total published elsewhere")
        known_totals = False
    lt, where = _declare(table, cols, row_total, total_row, known_totals, policy)
    result = lt.audit()
    for f in result.findings:
        if f.kind != "recoverable":
            continue
        # location: "table 't0' row 3 column 'n'"
        r, c = _parse_location(f.location, table, cols, where)
        out.append(f"cell (row {r!r}, column {c!r}) can be recovered: the published totals "
                   f"pin it to [{f.lower:g}, {f.upper:g}], fewer than {policy.min_count} "
                   "values")
    return out


def _parse_location(location: str, table: pd.DataFrame, cols: list[Hashable],
                    where: Mapping[Hashable, str]) -> tuple[Any, Any]:
    import re

    hit = re.match(r"table '([^']+)' row (\d+) column (.+)$", location)
    if hit is None:
        return location, ""
    row = table.index[int(hit.group(2))]
    col_text = hit.group(3)
    for c in cols:
        if repr(c) == col_text:
            return row, c
    return row, col_text


def is_disclosive(table: pd.DataFrame, **kwargs: Any) -> bool:
    """Return True when :func:`check_disclosure` finds at least one problem.

    Examples
    --------
    >>> import pandas as pd
    >>> is_disclosive(pd.DataFrame({"n": [3, 50]}))
    True
    """
    return bool(check_disclosure(table, **kwargs))
