"""From a report table (data) to what the reader sees (:class:`~irdp.report.grid.Grid`).

Three shapes are recognised from the columns, so that the tables the pipeline adds read like
a paper without any change to the pipeline:

- **Table 1** (:func:`irdp.report.table_one`): one column per group, ``n (%)`` for
  categories and ``mean (SD)`` for numbers, levels indented under their variable, the
  standardised mean difference on the variable's row, all-zero missing rows left out;
- **long tables of measures** (a ``measure`` and a ``value`` column, e.g. the performance
  table): one row per measure and one column per index and data set (or the transpose when
  there are few measures), ``0.780 (0.746–0.813)`` cells, the method of each interval once
  in a footnote;
- **any other table**: readable column labels, estimates merged with their intervals,
  p-values, integers, columns that hold one value in every row moved to a footnote.

The CSV files keep the data as they are; only the HTML is formatted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from irdp.report.document import TableBlock
from irdp.report.format import (
    NO_INTERVAL,
    as_float,
    decimals_for,
    format_integer,
    format_interval,
    format_number,
    format_p,
    is_p_value_column,
)
from irdp.report.grid import Grid
from irdp.report.labels import (
    MEASURE_GROUPS,
    column_label,
    measure_decimals,
    measure_label,
    term_label,
)

__all__ = ["tabulate", "NO_CI_NOTE"]

#: Footnote of a missing interval.
NO_CI_NOTE = ("— no confidence interval: this measure has no analytic standard error; "
              "bootstrap intervals can be requested in the experiment configuration.")

_DEVELOPER = re.compile(r"no analytic SE|use bootstrap=|not implemented|TODO", re.IGNORECASE)
_TREAT_ALL = re.compile(r"^treat all:\s*(?P<v>-?[0-9.eE+-]+)$")
_ESTIMATES = ("value", "estimate", "mean", "difference", "coef", "net_benefit")
_RATIOS = {"odds_ratio": "OR", "hazard_ratio": "HR", "subdistribution_hazard_ratio": "SHR"}
_LABEL_COLUMNS = {"variable", "term", "column", "feature", "predictor", "grouping"}
_TABLE_ONE = re.compile(r"^(?P<g>.+): (?P<s>n|%/mean|SD)$")


def tabulate(block: TableBlock, marker: str) -> Grid:
    """The grid of a report table: Table 1, a long table of measures, or a plain table."""
    frame = block.frame
    mask = block.mask if block.mask is not None else pd.DataFrame(False, index=frame.index,
                                                                   columns=frame.columns)
    cells = _Cells(frame, mask, marker)
    if _is_table_one(frame):
        return _table_one(cells)
    if {"item", "topic", "requirement", "where", "status"} <= set(map(str, frame.columns)):
        return _checklist(cells)
    if {"measure", "value"} <= set(map(str, frame.columns)):
        return _measures(cells)
    return _plain(cells)


class _Cells:
    """Read access to a controlled table: values, suppression marks, column kinds."""

    def __init__(self, frame: pd.DataFrame, mask: pd.DataFrame, marker: str) -> None:
        self.frame = frame
        self.mask = mask.reindex(index=frame.index, columns=frame.columns, fill_value=False)
        self.marker = marker
        self.notes: list[str] = []

    def masked(self, i: Any, c: Any) -> bool:
        return bool(self.mask.at[i, c])

    def is_count(self, c: Any) -> bool:
        s = self.frame[c]
        return (pd.api.types.is_integer_dtype(s) and not pd.api.types.is_bool_dtype(s)) or \
            str(c) in ("n", "n_events", "events", "workers", "k") or str(c).endswith(": n")

    def is_number(self, c: Any) -> bool:
        s = self.frame[c]
        return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


def _str(value: Any) -> str:
    """Text of a cell: '' when missing (None, NaN, NA), else ``str``."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _strs(values: pd.Series) -> list[str]:
    return [_str(v) for v in values.tolist()]


# ------------------------------------------------------------------------------ Table 1
def _is_table_one(frame: pd.DataFrame) -> bool:
    cols = [str(c) for c in frame.columns]
    if cols[:2] != ["variable", "level"]:
        return False
    return all(_TABLE_ONE.match(c) or c == "SMD" for c in cols[2:]) and len(cols) > 4


def _group_name(g: str) -> str:
    return g[:1].upper() + g[1:] if g.islower() else g


def _table_one(cells: _Cells) -> Grid:
    f = cells.frame
    groups = list(dict.fromkeys(_TABLE_ONE.match(str(c))["g"] for c in f.columns[2:]
                                if _TABLE_ONE.match(str(c))))
    smd = "SMD" in f.columns
    headers = ["Characteristic", *(_group_name(g) for g in groups)] + (["SMD"] if smd else [])
    rows: list[list[str]] = []
    kinds: list[Any] = []
    for var, part in f.groupby("variable", sort=False):
        rows_var, kinds_var = _table_one_variable(cells, str(var), part, groups, smd)
        rows.extend(rows_var)
        kinds.extend(kinds_var)
    cells.note("n (%) for categories, mean (SD) for numbers; SMD: standardised mean "
               "difference (largest absolute pairwise difference when there are more than "
               "two groups); rows of missing values are shown only where values are missing.")
    if bool(cells.mask.to_numpy().any()):
        cells.note(f"{cells.marker}: count suppressed by disclosure control (with the cells "
                   "that would reveal it); the SMD of such a variable is not shown (—).")
    return Grid(headers, rows, [False] + [True] * (len(headers) - 1), stub=1, kinds=kinds,
                notes=cells.notes, wrap={0})


def _variable_label(var: str) -> str:
    label = term_label(var)
    return label if label != var else column_label(var)


def _table_one_variable(cells: _Cells, var: str, part: pd.DataFrame, groups: list[str],
                        smd: bool) -> tuple[list[list[str]], list[Any]]:
    rows: list[list[str]] = []
    kinds: list[Any] = []
    masked_any = bool(cells.mask.loc[part.index].to_numpy().any())
    smd_text = ""
    if smd:
        value = as_float(part["SMD"].dropna().iloc[0]) if part["SMD"].notna().any() else None
        smd_text = NO_INTERVAL if masked_any and value is None else (
            format_number(value, 2) if value is not None else "")
    if var == "N":
        rows.append(["N", *(_count(cells, part.index[0], g) for g in groups)]
                    + ([""] if smd else []))
        return rows, ["strong"]
    levels = _strs(part["level"])
    if levels and levels[0] == "mean (SD)":
        i = part.index[0]
        means = [part[f"{g}: %/mean"].iloc[0] for g in groups]
        d = decimals_for(means, significant=3, max_decimals=2)
        vals = [_mean_sd(cells, i, g, d) for g in groups]
        rows.append([f"{_variable_label(var)}, mean (SD)", *vals] + ([smd_text] if smd else []))
        kinds.append("strong")
    else:
        yes = _binary_yes(levels)
        first = [_count_pct(cells, part.index[levels.index(yes)], g) for g in groups] \
            if yes is not None else [""] * len(groups)
        rows.append([f"{_variable_label(var)}, n (%)", *first] + ([smd_text] if smd else []))
        kinds.append("strong")
        if yes is not None:
            levels = ["mean (SD)" if lev != "missing" else lev for lev in levels]
    for i, level in zip(part.index, levels, strict=True):
        if level == "mean (SD)":
            continue
        if level == "missing" and not _any_missing(cells, i, groups):
            continue
        label = "Missing" if level == "missing" else level
        rows.append([label, *(_count_pct(cells, i, g) for g in groups)] + ([""] if smd else []))
        kinds.append("sub")
    return rows, kinds


_YES = {"True": "False", "true": "false", "1": "0", "yes": "no", "Yes": "No"}


def _binary_yes(levels: list[str]) -> str | None:
    """The 'yes' level of a yes/no variable (shown on the variable's own row)."""
    present = {lev for lev in levels if lev != "missing"}
    for yes, no in _YES.items():
        if yes in present and present <= {yes, no}:
            return yes
    return None


def _any_missing(cells: _Cells, i: Any, groups: list[str]) -> bool:
    return any(cells.masked(i, f"{g}: n") or (as_float(cells.frame.at[i, f"{g}: n"]) or 0) > 0
               for g in groups)


def _count(cells: _Cells, i: Any, g: str) -> str:
    c = f"{g}: n"
    return cells.marker if cells.masked(i, c) else format_integer(cells.frame.at[i, c])


def _count_pct(cells: _Cells, i: Any, g: str) -> str:
    n = _count(cells, i, g)
    pct = cells.frame.at[i, f"{g}: %/mean"]
    if n == cells.marker or as_float(pct) is None:
        return n
    return f"{n} ({format_number(pct, 1)})"


def _mean_sd(cells: _Cells, i: Any, g: str, d: int) -> str:
    if cells.masked(i, f"{g}: n") or cells.masked(i, f"{g}: %/mean"):
        return cells.marker
    mean, sd = cells.frame.at[i, f"{g}: %/mean"], cells.frame.at[i, f"{g}: SD"]
    if as_float(mean) is None:
        return ""
    return f"{format_number(mean, d)} ({format_number(sd, d)})" if as_float(sd) is not None \
        else format_number(mean, d)


# ------------------------------------------------------------------- TRIPOD+AI checklist
def _checklist(cells: _Cells) -> Grid:
    """Item, requirement (topic in front), status, and where it is answered or what is
    missing (the reasons of a failed section, what the authors must add)."""
    f = cells.frame
    rows = []
    for i in f.index:
        where = str(f.at[i, "where"] or "")
        status = str(f.at[i, "status"])
        extra = [str(f.at[i, c]) for c in ("reason", "to_add") if c in f.columns
                 and isinstance(f.at[i, c], str) and f.at[i, c]]
        if status == "answered":
            detail = where
        else:
            detail = "; ".join(([f"answered in part in {where}"] if where and
                                status == "partly answered" else []) + extra)
        rows.append([str(f.at[i, "item"]), f"{f.at[i, 'topic']}: {f.at[i, 'requirement']}",
                     status, detail])
    return Grid(["Item", "Topic: requirement (official wording)", "Status",
                 "Where answered, or what is missing"], rows, [False] * 4, stub=1,
                notes=cells.notes, wrap={1, 2, 3})


# ------------------------------------------------------------------- long tables of measures
def _interval_columns(frame: pd.DataFrame) -> tuple[str | None, str | None]:
    cols = set(map(str, frame.columns))
    for lo, hi in (("lower", "upper"), ("ci_lower", "ci_upper"), ("ci_low", "ci_high")):
        if lo in cols and hi in cols:
            return lo, hi
    return None, None


def _measures(cells: _Cells) -> Grid:
    f = cells.frame
    lo, hi = _interval_columns(f)
    skip = {"measure", "value", "se", "level", "method", "horizon", "label", lo, hi}
    keys = [c for c in f.columns if str(c) not in skip and not cells.is_number(c)
            and not (str(c) == "group" and set(_strs(f[c])) <= set(MEASURE_GROUPS))]
    keys = [c for c in keys if not _duplicates(f, c, keys)]
    counts = [c for c in f.columns if str(c) not in skip and cells.is_count(c)]
    _interval_notes(cells, lo)
    measures = list(dict.fromkeys(_strs(f["measure"])))
    combos = list(dict.fromkeys(zip(*(_strs(f[k]) for k in keys), strict=True))) \
        if keys else [()]
    if len(measures) > 6 or len(combos) <= 4:
        return _measures_as_rows(cells, keys, combos, measures, counts, (lo, hi))
    return _measures_as_columns(cells, keys, combos, measures, counts, (lo, hi))


def _duplicates(f: pd.DataFrame, c: Any, keys: list[Any]) -> bool:
    """A text column repeating an earlier key column (e.g. a label equal to the group)."""
    earlier = keys[: keys.index(c)]
    return any(_strs(f[c]) == _strs(f[k]) for k in earlier)


def _interval_notes(cells: _Cells, lo: str | None) -> None:
    f = cells.frame
    if "level" in f.columns and f["level"].notna().any():
        levels = sorted({float(v) for v in f["level"].dropna()})
        if len(levels) == 1 and lo is not None:
            cells.note(f"{format_number(100 * levels[0], 0)}% confidence intervals in "
                       "parentheses.")
    if "horizon" in f.columns and f["horizon"].notna().any():
        h = sorted({float(v) for v in f["horizon"].dropna()})
        if len(h) == 1:
            cells.note(f"Horizon: {format_number(h[0], 0)} days.")


def _estimate_cell(cells: _Cells, i: Any, measure: str, bounds: tuple[str | None, str | None],
                   value_col: str = "value") -> str:
    f = cells.frame
    if cells.masked(i, value_col):
        return cells.marker
    value = f.at[i, value_col]
    if as_float(value) is None:
        return ""
    d = measure_decimals(measure)
    if d is None:
        d = decimals_for([value])
    lo, hi = bounds
    if lo is None:
        return format_number(value, d)
    text = format_interval(value, f.at[i, lo], f.at[i, hi], d)
    if text.endswith(f"({NO_INTERVAL})"):
        cells.note(NO_CI_NOTE)
    return text


def _method_notes(cells: _Cells) -> None:
    f = cells.frame
    if "method" not in f.columns:
        return
    by_method: dict[str, list[str]] = {}
    for m, method in zip(_strs(f["measure"]), _strs(f["method"]), strict=True):
        if not method or method == "nan" or _DEVELOPER.search(method) or \
                _TREAT_ALL.match(method):
            continue
        by_method.setdefault(method, [])
        if measure_label(m) not in by_method[method]:
            by_method[method].append(measure_label(m))
    if by_method:
        parts = [f"{', '.join(ms)}: {method}" for method, ms in by_method.items()]
        cells.note("Intervals — " + "; ".join(parts) + ".")


def _combo_label(keys: list[Any], combo: tuple[str, ...]) -> str:
    return ", ".join(_value_label(k, v) for k, v in zip(keys, combo, strict=True))


#: Columns whose values are words of the pipeline (data sets, analyses): capitalised.
_WORD_COLUMNS = {"data", "dataset", "analysis", "purpose"}


def _value_label(column: Any, value: str) -> str:
    if str(column) in _LABEL_COLUMNS:
        return term_label(value)
    if value == "(overall)":
        return "Overall"
    if str(column) in _WORD_COLUMNS and value[:1].islower():
        return value[:1].upper() + value[1:]
    return value


def _measures_as_rows(cells: _Cells, keys: list[Any], combos: list[tuple[str, ...]],
                      measures: list[str], counts: list[Any],
                      bounds: tuple[str | None, str | None]) -> Grid:
    f = cells.frame
    key_values = [tuple(_str(f.at[i, k]) for k in keys) for i in f.index]
    spanners, order = _spanners(keys, combos)
    headers = ["Measure"] + [_combo_label(
        [k for j, k in enumerate(keys) if j != order], tuple(v for j, v in enumerate(c)
                                                             if j != order)) or "Value"
        for c in combos]
    rows: list[list[str]] = []
    kinds: list[Any] = []
    for c in counts:
        rows.append([column_label(c), *(_first_count(cells, key_values, combo, c)
                                        for combo in combos)])
        kinds.append("strong")
    group_of = _groups_of(f)
    current = None
    for m in measures:
        if group_of.get(m) and group_of[m] != current:
            current = group_of[m]
            rows.append([MEASURE_GROUPS.get(current, current)])
            kinds.append("section")
        row = [measure_label(m)]
        for combo in combos:
            hit = [i for i, kv in zip(f.index, key_values, strict=True)
                   if kv == combo and _str(f.at[i, "measure"]) == m]
            row.append(_estimate_cell(cells, hit[0], m, bounds) if hit else "")
        rows.append(row)
        kinds.append("")
        rows, kinds = _treat_all_row(cells, m, combos, key_values, rows, kinds)
    _method_notes(cells)
    _count_notes(cells, counts, keys)
    return Grid(headers, rows, [False] + [True] * len(combos), stub=1, spanners=spanners,
                kinds=kinds, notes=cells.notes, wrap=set(range(len(headers))))


def _spanners(keys: list[Any], combos: list[tuple[str, ...]]
              ) -> tuple[list[tuple[str, int]] | None, int | None]:
    """Spanning headers over the key with the fewest values (when there are two keys or
    more); ``combos`` is reordered in place so that each spanner's columns are adjacent."""
    if len(keys) < 2:
        return None, None
    distinct = [list(dict.fromkeys(c[j] for c in combos)) for j in range(len(keys))]
    order = int(np.argmin([len(d) for d in distinct]))
    rank = {v: k for k, v in enumerate(distinct[order])}
    combos.sort(key=lambda c: rank[c[order]])
    spans: list[tuple[str, int]] = []
    for c in combos:
        label = _value_label(keys[order], c[order])
        if spans and spans[-1][0] == label:
            spans[-1] = (label, spans[-1][1] + 1)
        else:
            spans.append((label, 1))
    return spans, order


def _groups_of(f: pd.DataFrame) -> dict[str, str]:
    if "group" not in f.columns or not set(_strs(f["group"])) <= set(MEASURE_GROUPS):
        return {}
    return dict(zip(_strs(f["measure"]), _strs(f["group"]), strict=True))


def _first_count(cells: _Cells, key_values: list[tuple[str, ...]], combo: tuple[str, ...],
                 c: Any) -> str:
    for i, kv in zip(cells.frame.index, key_values, strict=True):
        if kv == combo:
            return cells.marker if cells.masked(i, c) else format_integer(cells.frame.at[i, c])
    return ""


def _count_notes(cells: _Cells, counts: list[Any], keys: list[Any]) -> None:
    f = cells.frame
    for c in counts:
        varying = []
        for _, part in f.groupby([pd.Series(_strs(f[k]), index=f.index) for k in keys]
                                 or [np.zeros(len(f))],
                                 sort=False):
            values = [str(v) for v in part[c].tolist()]
            if len(set(values)) > 1:
                varying += [measure_label(m) for m, v in zip(part["measure"], values,
                                                              strict=True) if v != values[0]]
        if varying:
            names = ", ".join(dict.fromkeys(varying))
            cells.note(f"{column_label(c)}: the first rows give the count of most measures; "
                       f"{names} use other counts (see the CSV file).")


def _treat_all_row(cells: _Cells, m: str, combos: list[tuple[str, ...]],
                   key_values: list[tuple[str, ...]], rows: list[list[str]],
                   kinds: list[Any]) -> tuple[list[list[str]], list[Any]]:
    f = cells.frame
    if "method" not in f.columns:
        return rows, kinds
    values = []
    for combo in combos:
        hit = [i for i, kv in zip(f.index, key_values, strict=True)
               if kv == combo and _str(f.at[i, "measure"]) == m]
        match = _TREAT_ALL.match(str(f.at[hit[0], "method"])) if hit else None
        values.append(format_number(float(match["v"]), measure_decimals(m) or 4)
                      if match else "")
    if any(values):
        rows.append([f"{measure_label(m)}: treat all", *values])
        kinds.append("sub")
    return rows, kinds


def _measures_as_columns(cells: _Cells, keys: list[Any], combos: list[tuple[str, ...]],
                         measures: list[str], counts: list[Any],
                         bounds: tuple[str | None, str | None]) -> Grid:
    f = cells.frame
    key_values = [tuple(_str(f.at[i, k]) for k in keys) for i in f.index]
    two_level = len(keys) == 2
    stub_keys = keys[1:] if two_level else keys
    headers = [" / ".join(column_label(k) for k in stub_keys)]
    headers += [column_label(c) for c in counts] + [measure_label(m) for m in measures]
    rows: list[list[str]] = []
    kinds: list[Any] = []
    current = None
    for combo in combos:
        if two_level and combo[0] != current:
            current = combo[0]
            rows.append([_value_label(keys[0], current)])
            kinds.append("section")
        label = _combo_label(stub_keys, combo[1:] if two_level else combo)
        row = [label, *(_first_count(cells, key_values, combo, c) for c in counts)]
        for m in measures:
            hit = [i for i, kv in zip(f.index, key_values, strict=True)
                   if kv == combo and _str(f.at[i, "measure"]) == m]
            row.append(_estimate_cell(cells, hit[0], m, bounds) if hit else "")
        rows.append(row)
        kinds.append("sub" if two_level else "")
    _method_notes(cells)
    n_num = len(headers) - 1
    return Grid(headers, rows, [False] + [True] * n_num, stub=1, kinds=kinds,
                notes=cells.notes, wrap={0, *range(1 + len(counts), len(headers))})


# ------------------------------------------------------------------------ any other table
def _plain(cells: _Cells) -> Grid:
    f = cells.frame
    columns = [c for c in f.columns if not _folded(cells, c)]
    merged = _merge_plan(f, columns)
    measure_col = "measure" if "measure" in map(str, f.columns) else None
    headers: list[str] = []
    numeric: list[bool] = []
    makers: list[Callable[[Any], str]] = []
    wrap: set[int] = set()
    used = {c for key, plan in merged.items() for c in plan if c is not None and c != key}
    for c in columns:
        if c in used:
            continue
        for header, is_num, maker, wraps in _columns(cells, c, merged.get(c), measure_col):
            if wraps:
                wrap.add(len(headers))
            headers.append(header)
            numeric.append(is_num)
            makers.append(maker)
    rows = [[make(i) for make in makers] for i in f.index]
    for j, is_num in enumerate(numeric):
        if not is_num:
            wrap.add(j)
    if len(headers) > 2 and not numeric[0] and not numeric[1] and _mean_run(rows) >= 5:
        return _sectioned(headers, rows, numeric, wrap, cells.notes)
    if headers and not numeric[0] and len(rows) > 2:
        _blank_repeats(rows)
    stub = 1 if headers and not numeric[0] else 0
    return Grid(headers, rows, numeric, stub=stub, notes=cells.notes, wrap=wrap)


def _mean_run(rows: list[list[str]]) -> float:
    """Mean length of the runs of equal values in the first column."""
    if not rows:
        return 0.0
    runs = 1 + sum(1 for k in range(1, len(rows)) if rows[k][0] != rows[k - 1][0])
    return len(rows) / runs


def _sectioned(headers: list[str], rows: list[list[str]], numeric: list[bool], wrap: set[int],
               notes: list[str]) -> Grid:
    """Long runs in the first column become heading rows over their block (e.g. one model
    per cause), and the column is dropped."""
    out: list[list[str]] = []
    kinds: list[Any] = []
    previous = None
    for row in rows:
        if row[0] != previous:
            previous = row[0]
            out.append([f"{headers[0]}: {row[0]}" if row[0] else headers[0]])
            kinds.append("section")
        out.append(row[1:])
        kinds.append("sub")
    return Grid(headers[1:], out, numeric[1:], stub=1, kinds=kinds, notes=notes,
                wrap={j - 1 for j in wrap if j > 0})


def _blank_repeats(rows: list[list[str]]) -> None:
    """Show a value of the first column once per run of equal values (grouped rows)."""
    runs = sum(1 for k in range(1, len(rows)) if rows[k][0] != rows[k - 1][0])
    if runs + 1 >= len(rows):  # no repeated value
        return
    previous = None
    for row in rows:
        if row[0] == previous:
            row[0] = ""
        else:
            previous = row[0]


def _folded(cells: _Cells, c: Any) -> bool:
    """Columns shown as a footnote (one value in every row) or not shown (se, z, level)."""
    f = cells.frame
    name = str(c)
    if re.fullmatch(r"level_\d+", name) and f[c].nunique(dropna=False) <= 1:
        return True
    if name in ("se", "z") and ("coef" in f.columns or _interval_columns(f)[0]):
        return True
    if name in ("level", "horizon") and _interval_columns(f)[0] is not None:
        _interval_notes(cells, "lower")
        return True
    if len(f) < 3 or list(f.columns).index(c) == 0:
        return False
    values = f[c]
    if values.nunique(dropna=False) != 1 or bool(cells.mask[c].any()):
        return False
    value = values.iloc[0]
    if isinstance(value, str) and _DEVELOPER.search(value):
        cells.note(NO_CI_NOTE)
        return True
    text = value if isinstance(value, str) else _plain_number(value)
    if text:
        cells.note(f"{column_label(c)}: {text} in every row.")
    return True


def _plain_number(value: Any) -> str:
    x = as_float(value)
    if x is None:
        return ""
    return format_number(x, decimals_for([x]))


def _merge_plan(f: pd.DataFrame, columns: Sequence[Any]) -> dict[Any, tuple[Any, ...]]:
    """Estimate column -> (estimate, lower, upper[, ratio]) for columns shown as intervals."""
    names = [str(c) for c in columns]
    plan: dict[Any, tuple[Any, ...]] = {}
    for j, lo in enumerate(names):
        m = re.fullmatch(r"(?P<stem>.*?)_?(?:lower|low)", lo)
        if not m:
            continue
        hi = next((h for h in (f"{m['stem']}_upper", f"{m['stem']}upper", f"{m['stem']}_high",
                               "upper" if not m["stem"] else "") if h in names), None)
        if hi is None:
            continue
        est = _estimate_for(names[:j], m["stem"])
        if est is None:
            plan[lo] = (None, lo, hi)
            continue
        ratio = next((r for r in _RATIOS if r in names), None) if est == "coef" else None
        plan[est] = (est, lo, hi, ratio)
    return plan


def _estimate_for(before: list[str], stem: str) -> str | None:
    if stem in ("", "ci"):
        for name in reversed(before):
            if name in _ESTIMATES:
                return name
        return None
    if stem == "pi":
        return None
    for name in reversed(before):
        if name == stem or name.endswith(f"_{stem}"):
            return name
    return None


_Spec = tuple[str, bool, Callable[[Any], str], bool]


def _columns(cells: _Cells, c: Any, plan: tuple[Any, ...] | None, measure_col: str | None
             ) -> list[_Spec]:
    """Displayed column(s) of a column: (header, numeric, cell maker, may wrap)."""
    if plan is not None and plan[0] is None:  # an interval without estimate (e.g. PI)
        lo, hi = plan[1], plan[2]
        label = "95% PI" if str(lo).startswith("pi") else "Interval"
        return [(label, True, lambda i: _bounds(cells, i, lo, hi, measure_col), False)]
    if plan is not None:
        return _interval_columns_of(cells, plan, measure_col)
    return [_column(cells, c, measure_col)]


def _column(cells: _Cells, c: Any, measure_col: str | None) -> _Spec:
    f = cells.frame
    name = str(c)
    label = column_label(c)
    if is_p_value_column(c) and cells.is_number(c):
        return label, True, lambda i: _mark(cells, i, c, format_p), False
    if cells.is_count(c):
        return label, True, lambda i: _mark(cells, i, c, format_integer), False
    if cells.is_number(c):
        d = 1 if "%" in name else decimals_for(f[c])
        return label, True, lambda i: _mark(cells, i, c, lambda v: _num(
            v, i, d, f, measure_col, c)), False
    if pd.api.types.is_bool_dtype(f[c]):
        return label, False, lambda i: _mark(cells, i, c, lambda v: "yes" if v else "no"), \
            False
    if name == "measure":
        return label, False, lambda i: measure_label(f.at[i, c]), True
    return label, False, lambda i: _text_cell(cells, i, c), True


def _interval_columns_of(cells: _Cells, plan: tuple[Any, ...], measure_col: str | None
                         ) -> list[_Spec]:
    est, lo, hi, ratio = plan
    f = cells.frame
    level = _level_text(f)

    def make(i: Any) -> str:
        if cells.masked(i, est):
            return cells.marker
        d = _row_decimals(f, i, est, measure_col)
        text = format_interval(f.at[i, est], f.at[i, lo], f.at[i, hi], d)
        if text.endswith(f"({NO_INTERVAL})"):
            cells.note(NO_CI_NOTE)
        return text

    specs: list[_Spec] = [(f"{column_label(est)} ({level})", True, make, True)]
    if ratio is not None:
        specs.append((f"{_RATIOS[ratio]} ({level})", True,
                      lambda i: _ratio_interval(f, i, ratio, lo, hi), True))
    return specs


def _ratio_interval(f: pd.DataFrame, i: Any, ratio: str, lo: str, hi: str) -> str:
    r = as_float(f.at[i, ratio])
    term = str(f.at[i, "term"]) if "term" in f.columns else ""
    if r is None or term_label(term) == "Intercept":
        return ""
    a, b = as_float(f.at[i, lo]), as_float(f.at[i, hi])
    bounds = [_exp(x) if x is not None else None for x in (a, b)]
    spread = [abs(x - 1) for x in (r, *[b for b in bounds if b is not None]) if x != 1]
    d = decimals_for([min(spread)] if spread else [r], significant=2, max_decimals=4)
    return format_interval(r, bounds[0], bounds[1], max(d, 2))


def _exp(x: float) -> float:
    """exp(x), infinite beyond the float range (a coefficient of a separated model)."""
    return math.exp(x) if x < 709.0 else math.inf


def _level_text(f: pd.DataFrame) -> str:
    if "level" in f.columns and f["level"].notna().any():
        levels = {float(v) for v in f["level"].dropna()}
        if len(levels) == 1:
            return f"{format_number(100 * levels.pop(), 0)}% CI"
    return "95% CI"


#: Columns on the scale of the row's measure (printed with the measure's decimals).
_MEASURE_SCALE = {"value", "estimate", "mean", "lower", "upper", "apparent", "training",
                  "test", "optimism", "corrected", "difference", "value_a", "value_b",
                  "pi_lower", "pi_upper", "ci_lower", "ci_upper"}


def _row_decimals(f: pd.DataFrame, i: Any, c: Any, measure_col: str | None) -> int:
    """Decimals of an estimate: the measure's, per row for coefficients, else per column."""
    if measure_col is not None and str(c) in _MEASURE_SCALE:
        d = measure_decimals(f.at[i, measure_col])
        if d is not None:
            return d
    if str(c) == "coef":
        return decimals_for([f.at[i, c]], significant=3)
    return decimals_for(f[c], significant=3)


def _num(v: Any, i: Any, d: int, f: pd.DataFrame, measure_col: str | None, c: Any) -> str:
    if measure_col is not None and str(c) in _MEASURE_SCALE:
        m = measure_decimals(f.at[i, measure_col])
        if m is not None:
            return format_number(v, m)
    return format_number(v, d)


def _bounds(cells: _Cells, i: Any, lo: str, hi: str, measure_col: str | None) -> str:
    a, b = cells.frame.at[i, lo], cells.frame.at[i, hi]
    if as_float(a) is None or as_float(b) is None:
        return ""
    d = _row_decimals(cells.frame, i, lo, measure_col)
    sa, sb = format_number(a, d), format_number(b, d)
    return f"{sa} to {sb}" if sa.startswith("-") or sb.startswith("-") else f"{sa}–{sb}"


def _mark(cells: _Cells, i: Any, c: Any, fmt: Callable[[Any], str]) -> str:
    return cells.marker if cells.masked(i, c) else fmt(cells.frame.at[i, c])


def _text_cell(cells: _Cells, i: Any, c: Any) -> str:
    if cells.masked(i, c):
        return cells.marker
    value = cells.frame.at[i, c]
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = str(value)
    if _DEVELOPER.search(text):
        cells.note(NO_CI_NOTE)
        return NO_INTERVAL
    return _value_label(c, text)
