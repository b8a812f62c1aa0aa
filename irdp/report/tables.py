"""Descriptive tables of a validation report: Table 1 with standardised mean differences.

References
----------
Austin PC. Balance diagnostics for comparing the distribution of baseline covariates between
treatment groups in propensity-score matched samples. Stat Med 2009;28:3083-3107 (SMD of
continuous and binary variables).
Yang D, Dalton JE. A unified approach to measuring the effect size between two groups using
SAS. SAS Global Forum 2012, paper 335 (multi-category SMD, as R ``tableone::ExtractSmd``).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd

from irdp.report.labels import sort_ordinal

__all__ = ["smd_continuous", "smd_categorical", "table_one", "TABLE_ONE_N"]

#: Label of Table 1's first row (the size of each group).
TABLE_ONE_N = "N"


def smd_continuous(a: Sequence[float], b: Sequence[float]) -> float:
    """Standardised mean difference of a continuous variable (missing values ignored).

    ``(mean_a - mean_b) / sqrt((var_a + var_b) / 2)`` with sample variances (Austin 2009).

    Examples
    --------
    >>> round(smd_continuous([1, 2, 3, 4], [2, 3, 4, 5]), 4)
    -0.7746
    """
    x = pd.to_numeric(pd.Series(a), errors="coerce").dropna().to_numpy(float)
    y = pd.to_numeric(pd.Series(b), errors="coerce").dropna().to_numpy(float)
    if len(x) < 2 or len(y) < 2:
        return float("nan")
    pooled = np.sqrt((x.var(ddof=1) + y.var(ddof=1)) / 2)
    if pooled == 0:
        return 0.0 if x.mean() == y.mean() else float("inf")
    return float((x.mean() - y.mean()) / pooled)


def smd_categorical(a: Sequence[object], b: Sequence[object]) -> float:
    """Standardised difference of a categorical variable (Yang & Dalton 2012), >= 0.

    ``sqrt((p_a - p_b)' S^-1 (p_a - p_b))`` over the levels but the first, with ``S`` the
    average of the two multinomial covariance matrices. Missing values are ignored. For two
    levels it is the absolute binary SMD of Austin 2009.

    Examples
    --------
    >>> round(smd_categorical(["x"] * 6 + ["y"] * 4, ["x"] * 4 + ["y"] * 6), 4)
    0.4082
    """
    sa = pd.Series(a).dropna().astype(str)
    sb = pd.Series(b).dropna().astype(str)
    levels = sorted(set(sa) | set(sb))
    if len(levels) < 2 or sa.empty or sb.empty:
        return 0.0 if levels else float("nan")
    pa = sa.value_counts(normalize=True).reindex(levels, fill_value=0).to_numpy()[1:]
    pb = sb.value_counts(normalize=True).reindex(levels, fill_value=0).to_numpy()[1:]

    def cov(p: np.ndarray) -> np.ndarray:
        return np.diag(p) - np.outer(p, p)

    s = (cov(pa) + cov(pb)) / 2
    d = pa - pb
    value = float(d @ np.linalg.pinv(s) @ d)
    return float(np.sqrt(max(value, 0.0)))


def _is_categorical(s: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)


def _smd_props(pa: np.ndarray, pb: np.ndarray) -> float:
    """Yang & Dalton SMD from two vectors of level proportions (all levels)."""
    pa, pb = pa[1:], pb[1:]
    s = (np.diag(pa) - np.outer(pa, pa) + np.diag(pb) - np.outer(pb, pb)) / 2
    d = pa - pb
    return float(np.sqrt(max(float(d @ np.linalg.pinv(s) @ d), 0.0)))


def _max_smd_categorical(tab: pd.DataFrame) -> float:
    """Largest pairwise SMD from a (level x group) table of counts (missing excluded)."""
    props = {}
    for g in tab.columns:
        n = tab[g].sum()
        if n > 0:
            props[g] = (tab[g] / n).to_numpy(float)
    if len(tab.index) < 2:
        return 0.0 if len(props) >= 2 else float("nan")
    values = [_smd_props(props[a], props[b]) for a, b in combinations(props, 2)]
    return max(values) if values else float("nan")


def _max_smd_continuous(groups: dict[str, pd.Series]) -> float:
    stats = {}
    for g, x in groups.items():
        x = x.dropna()
        if len(x) >= 2:
            stats[g] = (float(x.mean()), float(x.var(ddof=1)))
    values = []
    for a, b in combinations(stats, 2):
        (ma, va), (mb, vb) = stats[a], stats[b]
        pooled = np.sqrt((va + vb) / 2)
        values.append(abs(ma - mb) / pooled if pooled > 0 else (0.0 if ma == mb else np.inf))
    return float(max(values)) if values else float("nan")


def table_one(
    frame: pd.DataFrame,
    group: str,
    variables: Sequence[str],
    *,
    overall: bool = True,
    group_order: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Table 1: characteristics by group with standardised mean differences.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per participant (worker x index date).
    group : str
        Column defining the groups (e.g. development/validation, SPSTI).
    variables : sequence of str
        Columns to describe. Numeric (non-boolean) columns are summarised by mean and SD,
        others by counts and percentages of each level, in their natural order (declared
        levels of a registered feature, numeric bands such as ``<30, 30-39, 55+``, or
        alphabetical); missing values get their own row.
    overall : bool, default=True
        Add an ``Overall`` column group (the row total of the group counts).
    group_order : sequence of str, optional
        Order of the groups (default: sorted).

    Returns
    -------
    pandas.DataFrame
        Columns ``variable``, ``level``, then for each group ``<g>: n`` (count of the level,
        or of non-missing values), ``<g>: %/mean`` and ``<g>: SD``, and ``SMD`` (for two
        groups the SMD, for more the largest absolute pairwise SMD; on each variable's first
        row). Every variable's rows add up to the group's N (first row), so disclosure control
        can be applied per variable with known totals (see :func:`table_one_disclosure`).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"set": ["dev"] * 30 + ["val"] * 20,
    ...                    "age": list(range(30)) + list(range(5, 25)),
    ...                    "sex": ["F", "M"] * 25})
    >>> t = table_one(df, "set", ["age", "sex"])
    >>> print(t[["variable", "level", "dev: n", "val: n", "Overall: n"]].to_string(index=False))
    variable     level  dev: n  val: n  Overall: n
           N                30      20          50
         age mean (SD)      30      20          50
         age   missing       0       0           0
         sex         F      15      10          25
         sex         M      15      10          25
         sex   missing       0       0           0
    """
    if group not in frame.columns:
        raise ValueError(f"group must be a column of frame; {group!r} is not "
                         f"(columns: {list(frame.columns)[:10]}...).")
    missing = [v for v in variables if v not in frame.columns]
    if missing:
        raise ValueError(f"variables must be columns of frame; missing: {missing[:5]}.")
    labels = frame[group].astype("string").fillna("(missing)")
    names = list(group_order) if group_order is not None else sorted(labels.unique())
    parts = {g: frame[labels == g] for g in names}
    cols = names + (["Overall"] if overall else [])
    if overall:
        parts["Overall"] = frame

    rows: list[dict[str, object]] = []

    def row(variable: str, level: str, counts: dict[str, int], values: dict[str, float],
            sds: dict[str, float], smd: float) -> None:
        r: dict[str, object] = {"variable": variable, "level": level}
        for g in cols:
            r[f"{g}: n"] = int(counts[g])
            r[f"{g}: %/mean"] = float(values.get(g, np.nan))
            r[f"{g}: SD"] = float(sds.get(g, np.nan))
        r["SMD"] = smd
        rows.append(r)

    nan = float("nan")
    sizes = {g: len(parts[g]) for g in cols}
    row(TABLE_ONE_N, "", sizes, {g: 100.0 for g in cols}, {}, nan)
    for var in variables:
        col = frame[var]
        if _is_categorical(col):
            text = col.astype("string")
            # one cross-tabulation instead of a pass per level and group
            tab = pd.crosstab(text.fillna("(missing)"), labels)
            tab = tab.reindex(columns=names, fill_value=0)
            smd = _max_smd_categorical(tab.drop(index="(missing)", errors="ignore"))
            if overall:
                tab["Overall"] = tab.sum(axis=1)
            levels = sort_ordinal([v for v in tab.index if v != "(missing)"], feature=var)
            for i, lev in enumerate(levels):
                counts = {g: int(tab.loc[lev, g]) for g in cols}
                pct = {g: 100 * counts[g] / sizes[g] if sizes[g] else nan for g in cols}
                row(var, lev, counts, pct, {}, smd if i == 0 else nan)
            first = not levels
            n_missing = {g: int(tab.loc["(missing)", g]) if "(missing)" in tab.index else 0
                         for g in cols}
        else:
            x = pd.to_numeric(col.astype("Float64"), errors="coerce").astype(float)
            by = {g: x[labels == g] for g in names}
            smd = _max_smd_continuous(by)
            xs = dict(by, **({"Overall": x} if overall else {}))
            row(var, "mean (SD)", {g: int(xs[g].notna().sum()) for g in cols},
                {g: float(xs[g].mean()) if xs[g].notna().any() else nan for g in cols},
                {g: float(xs[g].std(ddof=1)) if xs[g].notna().sum() > 1 else nan
                 for g in cols}, smd)
            first = False
            n_missing = {g: int(xs[g].isna().sum()) for g in cols}
        pct = {g: 100 * n_missing[g] / sizes[g] if sizes[g] else nan for g in cols}
        row(var, "missing", n_missing, pct, {}, smd if first else nan)
    out = pd.DataFrame(rows)
    for g in cols:
        out[f"{g}: n"] = out[f"{g}: n"].astype("int64")
    return out


def table_one_disclosure(table: pd.DataFrame) -> dict[str, object]:
    """Arguments for :meth:`irdp.report.Report.add_table` that control a :func:`table_one`.

    Counts per group are the count columns; ``%/mean`` and ``SD`` follow their count; the
    ``Overall`` column (when present) is the row total; each variable is an additive block
    with known totals (the N row); the SMD of a variable is hidden when any count of the
    variable is suppressed.
    """
    count_cols = [c for c in table.columns if c.endswith(": n")]
    rates = {}
    for c in count_cols:
        g = c[: -len(": n")]
        rates[f"{g}: %/mean"] = (c, c)
        rates[f"{g}: SD"] = (c, c)
    return {
        "count_columns": count_cols,
        "rates": rates,
        "row_total": "Overall: n" if "Overall: n" in table.columns else None,
        "known_totals": True,
        "block_column": "variable",
        "block_derived": ["SMD"],
    }
