"""Published tables as a reader sees them: parsing and structure discovery (private).

The audit of a run folder re-reads the CSV files and the HTML tables of ``report.html`` as
text and, like an attacker who knows nothing of the code that wrote them, looks for the
arithmetic that links their numbers:

* column relations: a count column equal to the sum of other count columns on every row where
  all are visible (``Overall = S001 + ... + S008``), within a table and across tables joined
  on their label columns (Table 1 by SPSTI with Table 1 by development/validation set);
* row relations: a row equal to the sum of the other rows of its block (``all`` rows), and
  blocks that each sum to the same row (every variable of Table 1 sums to its ``N`` row);
* the same count published twice (same label values, same column name, same value);
* ``n = events + non_events`` (and any ``x`` / ``non_x`` pair with an ``n`` column);
* a block of counts whose visible cells already add up to a published total (every hidden
  cell of the block is then zero);
* rates and proportions times a count of the same (or a joined) row: the implied numerator.

A relation is accepted only when it holds exactly on the rows where all its numbers are
visible (at least two such rows, or one for row relations verified on whole blocks) and is
then assumed, as an attacker would, on the rows where some are hidden. The relations become
the linear system of :mod:`irdp.privacy._lp`.
"""

from __future__ import annotations

import html.parser
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from irdp.privacy._lp import LinearSystem, feasible_intervals
from irdp.privacy.audit import Finding
from irdp.privacy.policy import DisclosurePolicy

__all__ = ["PublishedTable", "parse_cell", "read_html_tables", "audit_published_tables"]

_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")
_BOUND = re.compile(r"^\s*(<|≤|<=)\s*(\d+)\s*$")
_MARKERS = {"[c]", "[s]", "[x]", "[z]", "s", "x", "c", "*", "..", "n.d.", "nd", "suppressed",
            "masked", "secret"}
_TOTAL_LABELS = {"all", "total", "overall", "(overall)", "(all)", "ensemble", "tous"}
_COUNT_NAME = re.compile(
    r"(^|[\s_:(])(n|count|counts|events?|non_events|workers|rows|censored|competing|total|"
    r"flagged|tp|fp|fn|tn|size|effectif|n_total)([\s_:)]|$)|_by_horizon$|^n_|_n$|: n$",
    re.IGNORECASE)
_NOT_COUNT_NAME = re.compile(r"points|score|threshold|year|age|days|bin|rank|lower|upper|"
                             r"knot|step|index|level|value|coef|se$|mean|sd|median|p\d|"
                             r"resample|boot|iter|seed|jobs|fold|degree|version|param|"
                             r"^df$|^k$",
                             re.IGNORECASE)
_MAX_SUBSET_COLS = 12
_TOTAL_NAME = re.compile(r"^(n|N|n_common|n_total|total|workers)$")
#: A block adding up to a published total is evidence only for totals this large (a small
#: sum matches some published count by chance).
_MIN_BLOCK_TOTAL = 100
_PARAMETER = re.compile(r"^(threshold|cut-?off|cutoff|risk_threshold)s?$", re.IGNORECASE)
_STATISTIC = re.compile(r"mean|median|\bsd\b|moyenne|médiane|quantile|iqr", re.IGNORECASE)


@dataclass(frozen=True)
class Cell:
    """A parsed cell: ``kind`` is ``count`` (integer), ``number`` (decimal), ``hidden``
    (suppression marker or ``<N`` label, ``upper`` then its bound), ``empty`` or ``text``."""

    kind: str
    value: float = np.nan
    half: float = 0.0
    upper: float = np.inf


def parse_cell(text: str, *, marker: str = "[c]", significant_digits: int | None = 6) -> Cell:
    """Parse the text of a published cell.

    Examples
    --------
    >>> parse_cell("12"), parse_cell("<11").upper, parse_cell("[c]").kind
    (Cell(kind='count', value=12.0, half=0.0, upper=inf), 10.0, 'hidden')
    >>> parse_cell("0.0936", significant_digits=None).half  # 4 decimals printed
    5e-05
    >>> parse_cell("0.0936").half  # written by irdp with 6 significant digits
    5e-08
    """
    s = text.strip()
    if s == "":
        return Cell("empty")
    if s == marker or s.lower() in _MARKERS:
        return Cell("hidden")
    hit = _BOUND.match(s)
    if hit:
        n = float(hit.group(2))
        return Cell("hidden", upper=n - 1 if hit.group(1) == "<" else n)
    if _INT.match(s):
        return Cell("count" if not s.startswith("-") else "number", float(s))
    if _FLOAT.match(s):
        v = float(s)
        mant, _, exp = s.lower().partition("e")
        decimals = len(mant.split(".")[1]) if "." in mant else 0
        half = 0.5 * 10.0 ** (-decimals + (int(exp) if exp else 0))
        if significant_digits is not None and v != 0:
            half = min(half, 0.5 * 10.0 ** (math.floor(math.log10(abs(v)))
                                            - significant_digits + 1))
        return Cell("number", v, half)
    return Cell("text")


@dataclass
class PublishedTable:
    """A table as published: its text cells, parsed, and the files that carry it."""

    name: str
    files: tuple[str, ...]
    text: pd.DataFrame
    cells: dict[str, list[Cell]] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    counts: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)

    @classmethod
    def from_text(cls, name: str, files: Sequence[str], text: pd.DataFrame, *,
                  marker: str = "[c]", significant_digits: int | None = 6) -> PublishedTable:
        text = text.astype(str).reset_index(drop=True)
        text.columns = [str(c) for c in text.columns]
        t = cls(name, tuple(files), text)
        for c in text.columns:
            cells = [parse_cell(v, marker=marker, significant_digits=significant_digits)
                     for v in text[c].tolist()]
            t.cells[c] = cells
            kinds = {x.kind for x in cells}
            if "text" in kinds:
                t.labels.append(c)
            elif "count" in kinds and "number" not in kinds:
                if not _NOT_COUNT_NAME.search(c):
                    t.counts.append(c)
            elif kinds <= {"empty", "hidden"} and _COUNT_NAME.search(c):
                t.counts.append(c)
            elif "number" in kinds:
                t.numbers.append(c)
        for c in t.counts:  # a blank count is a hidden count
            t.cells[c] = [Cell("hidden") if x.kind == "empty" else x for x in t.cells[c]]
        return t

    def label_key(self, row: int, cols: Sequence[str]) -> tuple[str, ...]:
        return tuple(self.text.at[row, c] for c in cols)


class _HtmlTables(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self.sources: list[str | None] = []
        self._figure: str | None = None
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "figure":
            ident = dict(attrs).get("id") or ""
            self._figure = ident[len("table-"):] if ident.startswith("table-") else None
        elif tag == "table":
            self._rows = []
        elif tag == "tr" and self._rows is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._rows is not None:
            self._rows.append(self._row)
            self._row = None
        elif tag == "table" and self._rows is not None:
            self.tables.append(self._rows)
            self.sources.append(self._figure)
            self._rows = None
        elif tag == "figure":
            self._figure = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def read_html_tables(html_text: str) -> list[pd.DataFrame]:
    """Every ``<table>`` of an HTML page as a frame of strings (first row: header)."""
    p = _HtmlTables()
    p.feed(html_text)
    out = []
    for rows, source in zip(p.tables, p.sources, strict=True):
        if not rows:
            continue
        header, body = rows[0], [r for r in rows[1:] if len(r) == len(rows[0])]
        cols = [h if h else f"column {i}" for i, h in enumerate(header)]
        if len(set(cols)) != len(cols):
            cols = [f"{c} ({i})" for i, c in enumerate(cols)]
        frame = pd.DataFrame(body, columns=cols, dtype=str)
        # the table's name when the page says which CSV file it shows (irdp reports put
        # each table in <figure id="table-NAME">)
        frame.attrs["source"] = source
        out.append(frame)
    return out


# ---- the linear system --------------------------------------------------------------------
@dataclass
class _Var:
    table: str | None
    row: int
    column: str
    hidden: bool
    implied: str = ""
    files: tuple[str, ...] = ()


class _Builder:
    def __init__(self, tables: list[PublishedTable], policy: DisclosurePolicy) -> None:
        self.tables = tables
        self.tables_by_name = {t.name: t for t in tables}
        self.policy = policy
        self.system = LinearSystem()
        self.vars: list[_Var] = []
        self.var_of: dict[tuple[str, int, str], int] = {}
        self.relations: list[str] = []
        self.pending: list[tuple[int, float, float, float, str, tuple[str, ...]]] = []
        self.reported: set[int] = set()
        self._joins: list[tuple[PublishedTable, PublishedTable, list[str],
                                list[tuple[int, int]]]] | None = None
        for t in tables:
            for c in t.counts:
                for r, cell in enumerate(t.cells[c]):
                    if cell.kind == "text":
                        continue
                    j = self.system.add_var()
                    self.vars.append(_Var(t.name, r, c, cell.kind != "count", files=t.files))
                    self.var_of[(t.name, r, c)] = j
                    if cell.kind == "count":
                        self.system.bound(j, cell.value, cell.value)
                    elif cell.kind == "hidden" and np.isfinite(cell.upper):
                        self.system.bound(j, 0, cell.upper)

    def value(self, t: PublishedTable, r: int, c: str) -> float:
        cell = t.cells[c][r]
        return cell.value if cell.kind == "count" else np.nan

    # -- relations -------------------------------------------------------------------------
    def column_relations(self, t: PublishedTable, rows: Sequence[tuple[PublishedTable, int]]
                         | None = None) -> None:
        """T = sum(S) over count columns, verified on fully visible rows."""
        cols = [c for c in t.counts]
        if len(cols) < 3:
            return
        vals = np.array([[self.value(t, r, c) for c in cols] for r in range(len(t.text))])
        self._column_relations(vals, cols, [[(t, r, c) for c in cols]
                                            for r in range(len(t.text))], t.name)

    def _column_relations(self, vals: np.ndarray, cols: list[str],
                          refs: list[list[tuple[PublishedTable, int, str]]], where: str) -> None:
        k = len(cols)
        if k < 3 or len(vals) < 2:
            return
        vis = ~np.isnan(vals)
        filled = np.where(vis, vals, 0.0)
        pos = (filled > 0).astype(float)
        found: list[tuple[int, tuple[int, ...]]] = []
        for ti in range(k):
            others = [i for i in range(k) if i != ti]
            if k - 1 > _MAX_SUBSET_COLS:
                subsets: list[tuple[int, ...]] = [tuple(others)]
            else:  # largest first: the relation keeps every column it can
                subsets = [s for n in range(len(others), 1, -1)
                           for s in itertools.combinations(others, n)]
            member = np.zeros((len(subsets), k))
            for i, sub in enumerate(subsets):
                member[i, list(sub)] = 1.0
            # rows where the total and every member are visible
            support = ((member @ (~vis).T) == 0) & vis[:, ti][None, :]
            diff = np.abs(member @ filled.T - filled[:, ti][None, :])
            holds = np.where(support, diff < 1e-9, True).all(axis=1)
            enough = support.sum(axis=1) >= 2
            two_nonzero = ((member @ pos.T >= 2) & support).any(axis=1)
            seen_nonzero = (support.astype(float) @ pos) > 0
            every_member = (seen_nonzero | (member == 0)).all(axis=1)
            ok = np.flatnonzero(holds & enough & two_nonzero & every_member)
            if len(ok):
                found.append((ti, subsets[int(ok[0])]))
        for ti, sub in found:
            self.relations.append(f"{where}: {cols[ti]} = sum of {len(sub)} columns")
            for row in refs:
                idx = [self.var_of.get((row[i][0].name, row[i][1], row[i][2])) for i in
                       [ti, *sub]]
                if any(j is None for j in idx):
                    continue
                self.system.add_eq(idx, [1.0] + [-1.0] * len(sub), 0.0)

    def row_relations(self, t: PublishedTable) -> None:
        """A row equal to the sum of the other rows of its block, and blocks summing to a
        common row."""
        if not t.counts or len(t.text) < 3:
            return
        vals = np.array([[self.value(t, r, c) for c in t.counts] for r in range(len(t.text))])
        blocks = self._blocks(t)
        # (a) a total-labelled row equals the sum of the other rows of its block
        for rows in blocks:
            tot = [r for r in rows if any(t.text.at[r, c].strip().lower() in _TOTAL_LABELS
                                          for c in t.labels)]
            if len(tot) != 1 or len(rows) < 3:
                continue
            others = [r for r in rows if r != tot[0]]
            self._row_eq(t, vals, tot[0], others, "a total row")
        # (b) every block of at least two rows sums to the same row (Table 1's N row)
        if len(blocks) >= 2:
            for r0 in range(len(t.text)):
                ok_blocks = [b for b in blocks if r0 not in b and len(b) >= 2]
                verified = [b for b in ok_blocks if self._sums_to(vals, b, r0)]
                if verified and all(self._consistent(vals, b, r0) for b in ok_blocks):
                    self.relations.append(f"{t.name}: every block sums to row {r0}")
                    for b in ok_blocks:
                        for ci, c in enumerate(t.counts):
                            idx = [self.var_of[(t.name, r0, c)]] + [
                                self.var_of[(t.name, r, c)] for r in b]
                            self.system.add_eq(idx, [1.0] + [-1.0] * len(b), 0.0)
                            del ci
                    break

    @staticmethod
    def _blocks(t: PublishedTable) -> list[list[int]]:
        for c in t.labels:
            vals = t.text[c].tolist()
            if len(set(vals)) < len(vals):
                order = list(dict.fromkeys(vals))
                return [[r for r, v in enumerate(vals) if v == b] for b in order]
        return [list(range(len(t.text)))]

    @staticmethod
    def _sums_to(vals: np.ndarray, block: list[int], r0: int) -> bool:
        v = vals[block + [r0]]
        full = ~np.isnan(v).any(axis=0)
        if full.sum() < 2:
            return False
        return bool(np.allclose(v[:-1, full].sum(axis=0), v[-1, full], atol=1e-9)
                    and (v[:-1, full] > 0).sum() >= 2)

    @staticmethod
    def _consistent(vals: np.ndarray, block: list[int], r0: int) -> bool:
        v = vals[block + [r0]]
        full = ~np.isnan(v).any(axis=0)
        if not full.any():
            return True
        part = np.where(np.isnan(vals[block]), 0, vals[block]).sum(axis=0)
        return bool(np.all(np.allclose(v[:-1, full].sum(axis=0), v[-1, full], atol=1e-9))
                    and np.all(part <= np.where(np.isnan(vals[r0]), np.inf, vals[r0]) + 1e-9))

    def _row_eq(self, t: PublishedTable, vals: np.ndarray, r0: int, others: list[int],
                what: str) -> None:
        full = ~np.isnan(vals[[r0, *others]]).any(axis=0)
        if not full.any():
            return
        if not np.allclose(vals[others][:, full].sum(axis=0), vals[r0, full], atol=1e-9):
            return
        self.relations.append(f"{t.name}: {what} = sum of {len(others)} rows")
        for c in t.counts:
            idx = [self.var_of[(t.name, r0, c)]] + [self.var_of[(t.name, r, c)] for r in others]
            self.system.add_eq(idx, [1.0] + [-1.0] * len(others), 0.0)

    def named_relations(self, t: PublishedTable) -> None:
        """``n = x + non_x`` for count columns ``x`` and ``non_x``."""
        cols = set(t.counts)
        n = next((c for c in ("n", "N", "n_total", "total") if c in cols), None)
        if n is None:
            return
        for c in t.counts:
            for other in (f"non_{c}", f"non-{c}", f"{c}_no", f"not_{c}"):
                if other in cols:
                    self.relations.append(f"{t.name}: {n} = {c} + {other}")
                    for r in range(len(t.text)):
                        idx = [self.var_of.get((t.name, r, x)) for x in (n, c, other)]
                        if None not in idx:
                            self.system.add_eq(idx, [1.0, -1.0, -1.0], 0.0)

    def joins(self) -> list[tuple[PublishedTable, PublishedTable, list[str],
                                  list[tuple[int, int]]]]:
        """Pairs of tables sharing label columns, with the pairs of rows that have the same
        labels (one-to-one, or many rows of one table to a single row of the other)."""
        if self._joins is not None:
            return self._joins
        out = []
        for a, b in itertools.combinations(self.tables, 2):
            common = [c for c in a.labels if c in b.labels]
            if not common:
                continue
            keys_a = [a.label_key(r, common) for r in range(len(a.text))]
            keys_b = [b.label_key(r, common) for r in range(len(b.text))]
            where_b: dict[tuple[str, ...], list[int]] = {}
            for r, k in enumerate(keys_b):
                where_b.setdefault(k, []).append(r)
            where_a: dict[tuple[str, ...], list[int]] = {}
            for r, k in enumerate(keys_a):
                where_a.setdefault(k, []).append(r)
            pairs = []
            for k, rows_a in where_a.items():
                rows_b = where_b.get(k, [])
                if len(rows_b) == 1 or len(rows_a) == 1:
                    pairs += [(ra, rb) for ra in rows_a for rb in rows_b]
            if len(pairs) >= 2:
                out.append((a, b, common, pairs))
        self._joins = out
        return out

    def cross_relations(self) -> None:
        for a, b, _common, pairs in self.joins():
            # the same count published twice
            for c in a.counts:
                if c not in b.counts:
                    continue
                va = np.array([self.value(a, ra, c) for ra, _ in pairs])
                vb = np.array([self.value(b, rb, c) for _, rb in pairs])
                both = ~np.isnan(va) & ~np.isnan(vb)
                if both.sum() >= 2 and np.array_equal(va[both], vb[both]):
                    self.relations.append(f"{a.name} = {b.name} on {c}")
                    for ra, rb in pairs:
                        self.system.add_eq([self.var_of[(a.name, ra, c)],
                                            self.var_of[(b.name, rb, c)]], [1.0, -1.0], 0.0)
            cols = [(a, c) for c in a.counts] + [(b, c) for c in b.counts if c not in a.counts]
            if len(cols) > _MAX_SUBSET_COLS + 4 or len(cols) < 3:
                continue
            vals = np.array([[self.value(t, ra if t is a else rb, c) for t, c in cols]
                             for ra, rb in pairs])
            refs = [[(t, ra if t is a else rb, c) for t, c in cols] for ra, rb in pairs]
            names = [f"{t.name}:{c}" for t, c in cols]
            self._column_relations(vals, names, refs, f"{a.name} x {b.name}")

    def zero_blocks(self, totals: dict[float, tuple[str, str]],
                    declared: frozenset[str] | set[str] = frozenset()) -> list[Finding]:
        """Blocks of a cross-tabulation whose visible counts already add up to a total
        published in another table: every hidden cell of the block is then zero."""
        out = []
        for t in self.tables:
            if t.name in declared:
                continue
            cols = [c for c in t.counts if not _TOTAL_NAME.search(c)]
            if len(cols) < 2 or len(cols) < len(t.counts):
                continue
            for rows in self._blocks(t):
                cells = [(r, c) for r in rows for c in cols]
                hidden = [(r, c) for r, c in cells if t.cells[c][r].kind == "hidden"]
                if not hidden or len(hidden) == len(cells):
                    continue
                s = sum(t.cells[c][r].value for r, c in cells if t.cells[c][r].kind == "count")
                source = totals.get(s)
                if source is None or source[0] == t.name or s < _MIN_BLOCK_TOTAL:
                    continue
                for r, c in hidden:
                    self.reported.add(self.var_of[(t.name, r, c)])
                out.append(Finding(
                    "recoverable", "lp-differencing", t.files,
                    f"table {t.name}, rows {rows[0]}-{rows[-1]}",
                    f"the visible counts of this block already add up to {s:g}, the total "
                    f"published in {source[1]}: its {len(hidden)} hidden cell(s) are 0",
                    0.0, 0.0))
        return out

    def rates(self, significant: bool) -> list[Finding]:
        """Rates times the counts of their row (and joined rows): implied numerators."""
        del significant
        out = []
        partners: dict[tuple[str, int], list[tuple[PublishedTable, int]]] = {}
        for a, b, _common, pairs in self.joins():
            for ra, rb in pairs:
                partners.setdefault((a.name, ra), []).append((b, rb))
                partners.setdefault((b.name, rb), []).append((a, ra))
        for t in self.tables:
            for c in t.numbers:
                if _PARAMETER.search(c):
                    continue  # a risk threshold is chosen by the analyst, not a proportion
                scale = 100.0 if re.search(r"%|pct|percent", c, re.IGNORECASE) else 1.0
                for r, cell in enumerate(t.cells[c]):
                    if cell.kind != "number" or not 0 < cell.value <= scale:
                        continue
                    if any(_STATISTIC.search(t.text.at[r, lab]) for lab in t.labels):
                        continue  # a mean, median or SD printed in the same column
                    # a grouped column ("S002: %/mean") goes with the counts of its group
                    # ("S002: n") or with ungrouped counts, as the reader reads the table
                    dens = [(t, r, d) for d in t.counts if _same_group(c, d)] + [
                        (pt, pr, d) for pt, pr in partners.get((t.name, r), [])
                        for d in pt.counts if _same_group(c, d)]
                    for dt, dr, d in dens:
                        f = self._implied(t, r, c, cell, scale, dt, dr, d)
                        if f is not None:
                            out.append(f)
        return out

    def _implied(self, t: PublishedTable, r: int, c: str, cell: Cell, scale: float,
                 dt: PublishedTable, dr: int, d: str) -> Finding | None:
        den = dt.cells[d][dr]
        lo_r, hi_r = (cell.value - cell.half) / scale, (cell.value + cell.half) / scale
        if den.kind == "count":
            lo, hi = math.ceil(lo_r * den.value - 1e-9), math.floor(hi_r * den.value + 1e-9)
            if lo > hi or not self.policy.is_breach(lo, hi):
                return None
            files = tuple(sorted(set(t.files) | set(dt.files)))
            return Finding("recoverable", "rate-denominator", files,
                           f"table {t.name}, row {r}, column {c!r} x table {dt.name}, "
                           f"column {d!r}",
                           f"the rate {cell.value:g} times the count {den.value:g} gives a "
                           f"count of {lo:g}" + (f" to {hi:g}" if hi > lo else ""),
                           float(lo), float(hi))
        if den.kind == "hidden":
            self.pending.append((self.var_of[(dt.name, dr, d)], lo_r, hi_r, cell.value,
                                 f"table {t.name}, row {r}, column {c!r} x table {dt.name}, "
                                 f"row {dr}, column {d!r}",
                                 tuple(sorted(set(t.files) | set(dt.files)))))
        return None


def _same_group(rate: str, count: str) -> bool:
    """Whether a count column may be the denominator of a rate column of the same table:
    columns named ``"<group>: <what>"`` pair within their group."""
    if ": " not in rate or ": " not in count:
        return True
    return rate.split(": ", 1)[0] == count.split(": ", 1)[0]


def audit_published_tables(
    tables: list[PublishedTable],
    policy: DisclosurePolicy,
    *,
    significant_digits: int | None = 6,
    declared: frozenset[str] | set[str] = frozenset(),
) -> tuple[list[Finding], int, list[str]]:
    """Discover the relations between published tables and audit their hidden counts.

    ``declared`` names tables whose structure the run declares (``disclosure.json``): a
    reader knows which totals they add up to, so the guess that a block adding up to some
    total published elsewhere has zeros in its hidden cells is not made for them (their
    declared structure is audited instead).

    Returns
    -------
    (findings, n_checked, relations)
    """
    del significant_digits  # the precision is read cell by cell (PublishedTable.from_text)
    b = _Builder(tables, policy)
    for t in tables:
        b.column_relations(t)
        b.row_relations(t)
        b.named_relations(t)
    b.cross_relations()
    findings = b.zero_blocks(_published_totals(tables), declared)
    findings += b.rates(True)
    findings += _readable(tables, policy)
    targets = [j for j, v in enumerate(b.vars) if v.hidden]
    iv, problems = _solve(b, targets)
    findings += problems
    findings += _recovered(b, iv, targets, policy)
    findings += _rates_on_pinned(b, iv, policy)
    return findings, len(targets), b.relations


def _published_totals(tables: list[PublishedTable]) -> dict[float, tuple[str, str]]:
    """Values of the columns named like population totals, with where they are."""
    totals: dict[float, tuple[str, str]] = {}
    for t in tables:
        for c in t.counts:
            if _TOTAL_NAME.search(c):
                for r, cell in enumerate(t.cells[c]):
                    if cell.kind == "count":
                        totals.setdefault(cell.value, (t.name, f"{t.name} ({c}, row {r})"))
    return totals


def _readable(tables: list[PublishedTable], policy: DisclosurePolicy) -> list[Finding]:
    """Small counts published as such."""
    out = []
    for t in tables:
        for c in t.counts:
            for r, cell in enumerate(t.cells[c]):
                if cell.kind == "count" and policy.is_sensitive(cell.value):
                    out.append(Finding("readable", "published-count", t.files,
                                       f"table {t.name}, row {r}, column {c!r}",
                                       f"a count of {cell.value:g} (below {policy.min_count})"
                                       " is published", cell.value, cell.value))
    return out


def _solve(b: _Builder, targets: list[int]) -> tuple[Any, list[Finding]]:
    """Intervals of the hidden counts; labels contradicted by the totals are dropped."""
    out = []
    iv = feasible_intervals(b.system, targets)
    if not iv.feasible:
        # a '<N' label on a complementary cell holding N or more contradicts the totals:
        # the attacker drops the labels of the cells involved and solves again
        relaxed = [j for j in iv.infeasible_vars if b.vars[j].hidden
                   and np.isfinite(b.system.upper[j])]
        for j in relaxed:
            b.system.upper[j] = np.inf
        iv = feasible_intervals(b.system, targets)
        if relaxed:
            files = tuple(sorted({f for j in relaxed for f in b.vars[j].files}))
            out.append(Finding(
                "inconsistent", "bound-label", files, f"{len(relaxed)} labelled cell(s)",
                "'<N' labels contradict the published totals: some complementary cells "
                "labelled '<N' hold N or more (their labels were ignored)"))
    if not iv.feasible and iv.infeasible_vars:
        # a discovered relation is a coincidence (it held on the visible rows only): like an
        # attacker, drop the relations that the published numbers contradict and solve again
        bad = set(iv.infeasible_vars)
        kept = LinearSystem()
        kept.lower, kept.upper = list(b.system.lower), list(b.system.upper)
        for rows, add in ((b.system.eq, kept.add_eq), (b.system.ub, kept.add_ub)):
            for idx, coef, rhs in rows:
                if not bad.intersection(int(i) for i in idx):
                    add(idx, coef, rhs)
        again = feasible_intervals(kept, targets)
        if again.feasible:
            tables = sorted({b.vars[j].table for j in bad})
            out.append(Finding("note", "lp-differencing", (), "",
                               f"relations found in {', '.join(tables[:5])} do not hold on "
                               "every row (a coincidence); they were dropped and the hidden "
                               "counts they touch audited without them"))
            iv = again
    if not iv.feasible:
        out.append(Finding("inconsistent", "lp-differencing", (), "",
                           "the relations found do not hold together (a discovered relation "
                           "is a coincidence); the LP audit of the affected tables is "
                           "incomplete"))
    return iv, out


def _recovered(b: _Builder, iv: Any, targets: list[int], policy: DisclosurePolicy
               ) -> list[Finding]:
    """Hidden counts whose interval is narrower than min_count."""
    out = []
    for j in targets:
        lo, hi = iv.lower[j], iv.upper[j]
        if np.isnan(lo) or j in b.reported or not policy.is_breach(lo, hi):
            continue  # a hidden count known to be min_count or more reveals no small count
        v = b.vars[j]
        lo, hi = float(lo) + 0.0, float(hi) + 0.0
        where = f"table {v.table}, row {v.row}, column {v.column!r}"
        bound = b.tables_by_name[v.table].cells[v.column][v.row].upper
        if lo == 0 and hi == bound:
            out.append(Finding("recoverable", "bound-label", v.files, where,
                               f"the label of this hidden cell publishes the bound x <= "
                               f"{bound:g}: fewer than {policy.min_count} possible values "
                               "(use a neutral marker)", lo, hi))
            continue
        what = f"exactly {lo:g}" if lo == hi else f"[{lo:g}, {hi:g}]"
        out.append(Finding("recoverable", "lp-differencing", v.files, where,
                           f"the published numbers pin this hidden count to {what}, fewer "
                           f"than {policy.min_count} values", lo, hi))
    return out


def _rates_on_pinned(b: _Builder, iv: Any, policy: DisclosurePolicy) -> list[Finding]:
    """Rates times hidden counts that the published numbers pin down."""
    out = []
    for dj, lo_r, hi_r, value, loc, files in b.pending:
        dlo, dhi = iv.lower[dj], iv.upper[dj]
        if np.isnan(dlo) or not np.isfinite(dhi) or dhi - dlo >= 1:
            continue
        lo = math.ceil(lo_r * dlo - 1e-9)
        hi = math.floor(hi_r * dhi + 1e-9)
        if lo > hi or not policy.is_breach(lo, hi):
            continue
        out.append(Finding("recoverable", "rate-denominator", files, loc,
                           f"the rate {value:g} times the hidden count, which the published "
                           f"numbers pin to {dlo:g}, gives a count of {lo:g}"
                           + (f" to {hi:g}" if hi > lo else ""), float(lo), float(hi)))
    return out
