"""Disclosure control of the tables of a run as one linked system.

The tables a run publishes about one population share totals, margins and zeros, across
files: Table 1 by SPSTI and Table 1 development/validation describe the same workers, the
fairness tables describe the validation workers by sex, and rates published with their
denominator reveal their numerators. Suppressing each table on its own lets a reader undo the
suppression by combining them. :class:`LinkedTables` holds the declarations of every table and
chooses the suppressed cells for the whole system at once; its audit
(:meth:`LinkedTables.audit`) proves by linear programming that no hidden count can be narrowed
down to fewer than ``min_count`` values.

How a table is declared
-----------------------
Every count of a table is the number of units of a *population* (``"cohort"``...) in a *cell*
given by coordinates on dimensions (``{"spsti": "S002", "index_visit_type": "REPRISE"}``):

* ``dims`` maps columns of the frame to dimensions: the row's value in the column is its
  coordinate; a value listed in ``totals`` (``"all"``, ``"Overall"``, ``"Total"``...) means
  "every level", i.e. a margin.
* ``variable_level=("variable", "level")`` reads the dimension's name in one column and its
  level in another (Table 1); a name listed in ``totals`` (``"N"``) is the whole group.
* ``counts`` maps each count column to the coordinates it adds (``{"S002: n": {"spsti":
  "S002"}, "Overall: n": {}}``); ``hidden`` count columns take part in the analysis but are
  not published (the numerators behind a published rate, for example).
* ``rates`` maps a published rate or proportion column to its :class:`Rate` (numerator and
  denominator count columns, scale, printed decimals): a published rate with a known
  denominator is a published numerator.
* ``derived`` lists columns hidden whenever one of their source counts is hidden (means,
  standard deviations, standardised differences).
* ``fixed`` adds coordinates to every cell (``{"dataset": "validation"}``).

Cells of different tables with the same population and coordinates are the same count; a
total is the sum of its cells over every level of a dimension (declare the levels with
:meth:`LinkedTables.levels` when no table lists them all); :meth:`LinkedTables.hierarchy`
declares a coarser dimension (``dataset``) made of levels of a finer one (``spsti``).

The suppression
---------------
1. *Primary*: every published count ``0 < n < min_count`` (and zero with ``protect_zeros``), and
   every rate whose numerator or denominator is such a count or is hidden.
2. *Complementary*, driven by the audit: while some hidden or implied count has a feasible
   interval narrower than ``min_count`` that reaches below ``min_count``, suppress a published
   rate in one of its constraints or else the smallest non-zero published count of its
   tightest constraint (a zero carries no uncertainty and is never chosen), and audit again.
   Every round suppresses at least one more cell, so the process ends; the result passes the
   audit by construction.
3. Suppressed cells show the policy's neutral marker (``[c]``), never ``<11``: a bound would
   itself be published information, and false for a complementary cell.

References
----------
Hundepool A. et al., *Statistical Disclosure Control*, Wiley 2012, ch. 4 (linked tables,
secondary suppression, audit by linear programming). de Wolf P.-P., Giessing S. Adjusting the
tau-ARGUS modular approach to deal with linked tables. *Data & Knowledge Engineering*
2009;68:1160-1174. CASD, « Règles de confidentialité » (secret secondaire).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from irdp.privacy._format import format_suppressed
from irdp.privacy._model import (
    Key,
    _check_columns,
    _find_row,
    _label,
    _merge_key,
    _Model,
    _number,
    _RateItem,
    _RowsIn,
    _set_truth,
    _Table,
    _where,
)
from irdp.privacy._suppress import _State
from irdp.privacy.policy import DisclosurePolicy, resolve_policy

__all__ = [
    "DEFAULT_TOTALS",
    "Rate",
    "LinkedTables",
    "SuppressedTables",
]

#: Row labels read as "every level" (a margin) by default.
DEFAULT_TOTALS: tuple[str, ...] = ("all", "All", "ALL", "Total", "total", "TOTAL", "Overall",
                                   "overall", "(overall)", "(all)")

@dataclass(frozen=True)
class Rate:
    """A published rate or proportion: ``value = scale * numerator / denominator``.

    Parameters
    ----------
    numerator : label
        Count column of the same table (published or ``hidden``).
    denominator : label or number
        Count column of the same table, or a known count (the size of the population,
        published elsewhere).
    scale : float, default=1.0
        100 for a percentage.
    decimals : int, optional
        Decimals printed. ``None``: the value is taken as exact when suppressing (the
        cautious choice) and at its printed precision when auditing files.
    denominator_row : mapping, optional
        Selects the row holding the denominator, e.g. ``{"variable": "N"}`` for Table 1
        percentages (default: the rate's own row).
    where : mapping or callable, optional
        Rows where the column is this rate (``{"level": [...]}`` or ``row -> bool``); in other
        rows the column holds something else (Table 1's means).
    """

    numerator: Hashable
    denominator: Hashable
    scale: float = 1.0
    decimals: int | None = None
    denominator_row: Mapping[Hashable, Any] | None = None
    where: Mapping[Hashable, Sequence[Any]] | Callable[[pd.Series], bool] | None = None

    def known_denominator(self, counts: Mapping[Hashable, Any]) -> float | None:
        """The denominator when it is a number rather than a count column."""
        d = self.denominator
        if d not in counts and isinstance(d, int | float | np.number) and not isinstance(
                d, bool):
            return float(d)
        return None

    def applies(self, row: pd.Series) -> bool:
        """True when this rate is what the column holds in ``row``."""
        if self.where is None:
            return True
        if callable(self.where):
            return bool(self.where(row))
        return all(row[c] in set(v) for c, v in self.where.items())


class LinkedTables:
    """The tables of a run, declared together so that suppression protects them together.

    Parameters
    ----------
    policy : DisclosurePolicy, optional
        Default: ``DisclosurePolicy()`` (``min_count=11``).

    Examples
    --------
    Table 1 by SPSTI and by development/validation set share their rows: suppressing them
    together leaves no cell that one table gives back from the other.

    >>> import pandas as pd
    >>> by_spsti = pd.DataFrame({"level": ["all", "A", "B"], "S1: n": [40, 5, 35],
    ...                          "S2: n": [60, 30, 30], "Overall: n": [100, 35, 65]})
    >>> lt = LinkedTables()
    >>> lt.add("t1", by_spsti, dims={"level": "x"},
    ...        counts={"S1: n": {"spsti": "S1"}, "S2: n": {"spsti": "S2"}, "Overall: n": {}})
    >>> out = lt.suppress()
    >>> out["t1"]["S1: n"].isna().tolist()
    [False, True, True]
    >>> out.audit().n_recoverable
    0
    """

    def __init__(self, policy: DisclosurePolicy | None = None) -> None:
        self.policy = resolve_policy(policy)
        self._tables: dict[str, _Table] = {}
        self._levels: dict[tuple[str, str], list[str]] = {}
        self._hierarchies: dict[tuple[str, str], tuple[str, dict[str, str]]] = {}
        self._external: list[tuple[str, dict[str, str], float]] = []

    # ---- declarations ---------------------------------------------------------------------
    def add(
        self,
        name: str,
        frame: pd.DataFrame,
        *,
        counts: Mapping[Hashable, Mapping[str, Any]] | Sequence[Hashable],
        population: str = "cohort",
        dims: Mapping[Hashable, str] | None = None,
        variable_level: tuple[Hashable, Hashable] | None = None,
        row_keys: Sequence[Mapping[str, Any]] | None = None,
        totals: Iterable[str] = DEFAULT_TOTALS,
        hidden: Sequence[Hashable] = (),
        rates: Mapping[Hashable, Rate | tuple[Hashable, Hashable]] | None = None,
        derived: Mapping[Hashable, Sequence[Any] | str] | None = None,
        derived_block: Hashable | None = None,
        fixed: Mapping[str, Any] | None = None,
        other: Sequence[Hashable] = (),
    ) -> None:
        """Declare a table to publish (see the module documentation).

        Parameters
        ----------
        name : str
            Unique name (the file stem of its CSV).
        frame : pandas.DataFrame
            The table with its true counts (its index is ignored).
        counts : mapping or sequence
            Count columns and the coordinates each adds (a sequence: no coordinate).
        population : str, default="cohort"
            Population the counts are about; cells of one population are linked.
        dims : mapping, optional
            Columns giving row coordinates: ``{column: dimension}``.
        variable_level : (label, label), optional
            Column of dimension names and column of levels (Table 1 layout).
        row_keys : sequence of mappings, optional
            Coordinates of each row, given directly instead of ``dims``.
        totals : iterable of str
            Labels read as "every level" (margins), and names of whole-group rows under
            ``variable_level``.
        hidden : sequence of labels, default=()
            Count columns used for the analysis only (never published).
        rates : mapping, optional
            ``{column: Rate}``; a ``(numerator, denominator)`` pair is an exact proportion.
        derived : mapping, optional
            ``{column: sources}``: the column is hidden in a row when one of its sources (count
            columns of the row, or ``"row"`` for any count of the row) is hidden.
        derived_block : label, optional
            Column grouping rows into blocks: a derived column is then hidden in the whole
            block (for example Table 1's SMD, shown once per variable).
        fixed : mapping, optional
            Coordinates added to every cell of the table.
        other : sequence of labels, default=()
            Integer columns that are not counts of people (points, years, steps). Every other
            integer column must be declared: an undeclared count would be published
            unprotected.
        """
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"frame must be a pandas DataFrame; got {type(frame).__name__}.")
        if not isinstance(name, str) or not name:
            raise TypeError("name must be a non-empty str.")
        if name in self._tables:
            raise ValueError(f"name must be unique; a table {name!r} is already declared.")
        frame = frame.reset_index(drop=True)
        if not isinstance(counts, Mapping):
            counts = {c: {} for c in counts}
        counts = {c: {str(d): str(v) for d, v in coords.items()} for c, coords in counts.items()}
        rates = {c: (r if isinstance(r, Rate) else Rate(*r)) for c, r in (rates or {}).items()}
        _check_columns(name, frame, list(counts) + list(rates) + list(derived or {}), hidden,
                       rates, counts)
        declared = set(counts) | set(rates) | set(derived or {}) | set(other) | set(
            dims or {}) | set(variable_level or ())
        loose = [c for c in frame.columns if c not in declared
                 and pd.api.types.is_integer_dtype(frame[c])
                 and not pd.api.types.is_bool_dtype(frame[c])]
        if loose:
            raise ValueError(f"table {name!r}: integer columns {loose[:5]} are not declared; "
                             "declare counts in counts (hidden=... if not published) and "
                             "other integers in other.")
        keys = self._row_keys(name, frame, dims, variable_level, row_keys, set(totals), fixed)
        for rk in keys:
            for coords in counts.values():
                _merge_key(name, rk, coords)  # a column coordinate must not contradict a row
        der: dict[Hashable, list[Any]] = {}
        for c, src in (derived or {}).items():
            der[c] = ["row"] if src == "row" else list(src)
        self._tables[name] = _Table(name, frame, str(population), keys, counts, list(hidden),
                                    rates, der, derived_block)

    @staticmethod
    def _row_keys(
        name: str, frame: pd.DataFrame, dims: Mapping[Hashable, str] | None,
        variable_level: tuple[Hashable, Hashable] | None,
        row_keys: Sequence[Mapping[str, Any]] | None, totals: set[str],
        fixed: Mapping[str, Any] | None,
    ) -> list[dict[str, str]]:
        if row_keys is not None:
            if len(row_keys) != len(frame):
                raise ValueError(f"row_keys of table {name!r} must have one entry per row; "
                                 f"got {len(row_keys)} for {len(frame)} rows.")
            keys = [{str(d): str(v) for d, v in k.items()} for k in row_keys]
        else:
            keys = _keys_from_columns(name, frame, dims, variable_level, totals)
        for k in keys:
            for d, v in (fixed or {}).items():
                if k.get(str(d), str(v)) != str(v):
                    raise ValueError(f"table {name!r}: fixed coordinate {d}={v} contradicts a "
                                     f"row coordinate {d}={k[str(d)]}.")
                k[str(d)] = str(v)
        return keys

    def levels(self, dimension: str, levels: Sequence[Any], *,
               population: str = "cohort") -> None:
        """Declare every level of a dimension (needed when no table lists them all)."""
        self._levels[(str(population), str(dimension))] = [str(v) for v in levels]

    def hierarchy(self, coarse: str, fine: str, mapping: Mapping[Any, Sequence[Any]], *,
                  population: str = "cohort") -> None:
        """Declare a dimension made of groups of levels of another (``dataset`` of ``spsti``).

        Parameters
        ----------
        coarse, fine : str
            Dimension names.
        mapping : mapping
            ``{coarse level: [fine levels]}``; every fine level belongs to one group.
        """
        inv: dict[str, str] = {}
        for g, members in mapping.items():
            for f in members:
                if str(f) in inv:
                    raise ValueError(f"hierarchy {coarse!r}: level {f!r} of {fine!r} is in "
                                     "two groups.")
                inv[str(f)] = str(g)
        self._hierarchies[(str(population), str(coarse))] = (str(fine), inv)

    def add_known(self, key: Mapping[str, Any], value: float, *,
                  population: str = "cohort") -> None:
        """Declare a count published outside these tables (it is never suppressed)."""
        self._external.append((str(population), {str(k): str(v) for k, v in key.items()},
                               float(value)))

    @property
    def names(self) -> list[str]:
        """Names of the declared tables."""
        return list(self._tables)

    # ---- model ------------------------------------------------------------------------------
    def _canonical(self, population: str, key: Mapping[str, str]) -> Key:
        key = dict(key)
        for (pop, coarse), (fine, inv) in self._hierarchies.items():
            if pop == population and coarse in key and fine in key:
                if inv.get(key[fine]) != key[coarse]:
                    raise ValueError(f"coordinates {coarse}={key[coarse]} and {fine}="
                                     f"{key[fine]} contradict the declared hierarchy.")
                del key[coarse]
        return frozenset(key.items())

    def _build(self, *, truth: bool) -> _Model:
        m = _Model()
        for t in self._tables.values():
            for r, rk in enumerate(t.row_keys):
                for c, coords in t.counts.items():
                    key = _merge_key(t.name, rk, coords)
                    j = m.var(t.population, self._canonical(t.population, key))
                    m.vars[j].declared = True
                    if c not in t.hidden:
                        m.cell_var[(t.name, r, c)] = j
                        m.vars[j].cells.append((t.name, r, c))
                    if truth:
                        _set_truth(m.vars[j], t.frame.at[r, c], t.name, c)
        for pop, key, value in self._external:
            j = m.var(pop, self._canonical(pop, key))
            m.vars[j].external = True
            m.vars[j].declared = True
            _set_truth(m.vars[j], value, "(known)", "value")
        self._families(m)
        for t in self._tables.values():
            for c, rate in t.rates.items():
                for r in range(len(t.frame)):
                    row = t.frame.iloc[r]
                    if not rate.applies(row):
                        continue
                    num = m.var(t.population, self._canonical(
                        t.population, _merge_key(t.name, t.row_keys[r], t.counts[rate.numerator])))
                    known = rate.known_denominator(t.counts)
                    if known is not None:
                        den = m.var(t.population, frozenset({("__known__", f"{known:g}")}))
                        m.vars[den].external = True
                        m.vars[den].truth = known
                    else:
                        rd = (r if rate.denominator_row is None
                              else _find_row(t, rate.denominator_row))
                        den = m.var(t.population, self._canonical(
                            t.population, _merge_key(t.name, t.row_keys[rd],
                                                     t.counts[rate.denominator])))
                    v = _number(row[c])
                    h = 0.5 * 10.0 ** (-rate.decimals) if rate.decimals is not None else 0.0
                    m.rates.append(_RateItem((t.name, r, c), num, den, rate.scale,
                                             float(v) if v == v else np.nan, h))
        return m

    def _domain(self, population: str, dim: str, m: _Model) -> list[str]:
        if (population, dim) in self._levels:
            return self._levels[(population, dim)]
        hier = self._hierarchies.get((population, dim))
        if hier is not None:
            return sorted(set(hier[1].values()))
        seen = {v for (pop, key) in m.index for d, v in key if pop == population and d == dim}
        return sorted(seen)

    def _families(self, m: _Model) -> None:
        """Additivity constraints: every declared count, and every margin above it, is the
        sum of its cells over the levels of each of its dimensions (and of each group of a
        hierarchy). Sibling cells created on the way do not spawn constraints of their own."""
        done: set[tuple[str, Key, str]] = set()
        todo = [(v.population, v.key) for v in m.vars if v.declared]
        seen = set(todo)
        while todo:
            pop, key = todo.pop()
            for d, lev in key:
                parent = key - {(d, lev)}
                if (pop, parent) not in seen:
                    seen.add((pop, parent))
                    todo.append((pop, parent))
                if (pop, parent, d) in done:
                    continue
                done.add((pop, parent, d))
                pid = m.var(pop, parent)
                kids = [m.var(pop, parent | {(d, x)}) for x in self._domain(pop, d, m)]
                m.families.append((pid, kids, d))
                self._hierarchy_family(m, pop, parent, d, done)
            for (hp, coarse), (fine, inv) in self._hierarchies.items():
                # a cell of a fine level also sums, with its group, to the coarse cell
                fine_level = dict(key).get(fine)
                if hp != pop or fine_level is None or fine_level not in inv:
                    continue
                g = inv[fine_level]
                base = key - {(fine, fine_level)}
                if (pop, base, f"{coarse}={g}") in done:
                    continue
                done.add((pop, base, f"{coarse}={g}"))
                pid = m.var(pop, base | {(coarse, g)})
                kids = [m.var(pop, base | {(fine, f)}) for f, gg in inv.items() if gg == g]
                m.families.append((pid, kids, coarse))
                if (pop, base | {(coarse, g)}) not in seen:
                    seen.add((pop, base | {(coarse, g)}))
                    todo.append((pop, base | {(coarse, g)}))

    def _hierarchy_family(self, m: _Model, population: str, parent: Key, d: str,
                          done: set[tuple[str, Key, str]]) -> None:
        hier = self._hierarchies.get((population, d))
        if hier is None:
            return
        fine, inv = hier
        for g in sorted(set(inv.values())):
            if (population, parent, f"{d}={g}") in done:
                continue
            done.add((population, parent, f"{d}={g}"))
            pid = m.var(population, parent | {(d, g)})
            kids = [m.var(population, parent | {(fine, f)}) for f, gg in inv.items() if gg == g]
            m.families.append((pid, kids, d))

    def _check_truth(self, m: _Model) -> None:
        problems = []
        for pid, kids, d in m.families:
            vals = [m.vars[k].truth for k in [pid, *kids]]
            if any(v is None for v in vals):
                continue
            if abs(vals[0] - sum(vals[1:])) > 1e-6 * max(1.0, abs(vals[0])):
                problems.append(f"{_where(m, pid)} is not the sum of its levels of {d!r} "
                                f"({vals[0]:g} against {sum(vals[1:]):g})")
        for it in m.rates:
            a, b = m.vars[it.num].truth, m.vars[it.den].truth
            if a is None or b is None or not np.isfinite(it.value) or b == 0:
                continue
            expected = it.scale * a / b
            tol = max(it.half_width * 1.0000001, 1e-6 * max(1.0, abs(expected)))
            if abs(expected - it.value) > tol:
                problems.append(f"rate in table {it.cell[0]!r}, column {it.cell[2]!r} is "
                                f"{it.value:g}, not {expected:g} = scale x numerator / "
                                "denominator")
        if problems:
            raise ValueError(
                f"the declared tables are inconsistent ({len(problems)} problem(s), e.g. "
                f"{problems[:3]}). Check the counts, coordinates and totals declared, and "
                "declare every level of a dimension with LinkedTables.levels()."
            )

    # ---- suppression ------------------------------------------------------------------------
    def suppress(self, *, strict: bool = True,
                 hidden_cells: Mapping[str, pd.DataFrame] | None = None) -> SuppressedTables:
        """Choose the suppressed cells of every table together; return the controlled tables.

        Parameters
        ----------
        strict : bool, default=True
            Raise :class:`~irdp.exceptions.DisclosureError` when some small count cannot be
            protected by suppressing published cells (a count known from outside the tables,
            :meth:`add_known`, pins it). ``False`` keeps the best pattern found and lists the
            counts left exposed in :attr:`SuppressedTables.unprotected`.
        hidden_cells : mapping of str to DataFrame of bool, optional
            Cells already suppressed elsewhere (``{table: mask}``, True = hidden; the
            suppression of each table on its own, say): they start suppressed, and the
            complementary cells are chosen so that they are protected too.

        Returns
        -------
        SuppressedTables
            Mapping ``name -> controlled DataFrame`` (suppressed cells are missing; hidden
            count columns are dropped), with the masks, the policy and the audit.

        Raises
        ------
        ValueError
            When the declared tables are inconsistent (a total is not the sum of its cells).
        """
        m = self._build(truth=True)
        self._check_truth(m)
        state = _State(m, self.policy)
        state.primary()
        for name, mask in (hidden_cells or {}).items():
            for r in range(len(mask)):
                for c in mask.columns:
                    if not bool(mask[c].iloc[r]):
                        continue
                    j = m.cell_var.get((name, r, c))
                    if j is not None:
                        state.suppressed_vars.add(j)
            for k, it in enumerate(m.rates):
                t, r, c = it.cell
                if t == name and c in mask.columns and r < len(mask) and bool(mask[c].iloc[r]):
                    state.suppressed_rates.add(k)
        state._rates_follow()
        state.lines()
        state.complete(strict=strict)
        return SuppressedTables(self, m, state)

    def audit(self) -> Any:
        """Audit the tables as declared, without suppressing anything (for checking a table
        suppressed elsewhere: missing values in count columns are read as suppressed)."""
        m = self._build(truth=True)
        state = _State(m, self.policy, missing_as_suppressed=True)
        return state.audit_result()

    def manifest(self, suppressed: SuppressedTables | None = None) -> dict[str, Any]:
        """The structure of the declared tables as JSON-ready data (no values).

        Written by a run next to its tables (``disclosure.json``), it lets
        :func:`irdp.privacy.audit_run` rebuild the linked system from the published files.
        """
        tables = []
        for t in self._tables.values():
            hidden = set(t.hidden)
            tables.append({
                "name": t.name,
                "population": t.population,
                "rows": t.row_keys,
                "counts": {str(c): v for c, v in t.counts.items()},
                "hidden": [str(c) for c in t.hidden],
                "published_counts": [str(c) for c in t.counts if c not in hidden],
                "rates": {
                    str(c): {
                        "numerator": str(r.numerator),
                        "denominator": (r.known_denominator(t.counts)
                                        if r.known_denominator(t.counts) is not None
                                        else str(r.denominator)),
                        "scale": r.scale, "decimals": r.decimals,
                        "denominator_row": (None if r.denominator_row is None
                                            else _find_row(t, r.denominator_row)),
                        "rows": [i for i in range(len(t.frame))
                                 if r.applies(t.frame.iloc[i])],
                    } for c, r in t.rates.items()
                },
                # columns hidden with their sources (percentages, means): audited by this
                # structure, not by guessing a denominator
                "derived": {str(c): [str(x) for x in src] for c, src in t.derived.items()},
            })
        return {
            "format": "irdp-disclosure-manifest",
            "version": 1,
            "policy": self.policy.to_dict(),
            "tables": tables,
            "levels": [{"population": p, "dimension": d, "levels": v}
                       for (p, d), v in self._levels.items()],
            "hierarchies": [{"population": p, "coarse": c, "fine": f, "groups": inv}
                            for (p, c), (f, inv) in self._hierarchies.items()],
            "known": [{"population": p, "key": k, "value": v} for p, k, v in self._external],
        }

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any], frames: Mapping[str, pd.DataFrame],
                      policy: DisclosurePolicy | None = None) -> LinkedTables:
        """Rebuild the system from a manifest and the published frames (see :meth:`manifest`).

        Used by the audit of a run folder: ``frames`` hold the numbers as published (suppressed
        cells missing); hidden count columns are absent and become unknowns.
        """
        if policy is None:
            policy = DisclosurePolicy.from_dict(manifest["policy"])
        lt = cls(policy)
        for t in manifest.get("tables", []):
            if t["name"] not in frames:
                continue
            f = frames[t["name"]].reset_index(drop=True).copy()
            for c in t["hidden"]:
                f[c] = np.nan
            rates = {}
            for c, r in t["rates"].items():
                rows = set(r["rows"])
                rates[c] = Rate(r["numerator"], r["denominator"], scale=float(r["scale"]),
                                decimals=r["decimals"],
                                denominator_row=(None if r["denominator_row"] is None
                                                 else {"__row__": r["denominator_row"]}),
                                where=_RowsIn(rows))
            f["__row__"] = np.arange(len(f))
            rest = [c for c in f.columns if c not in t["counts"] and c not in rates]
            lt.add(t["name"], f, counts=t["counts"], population=t["population"],
                   row_keys=t["rows"], hidden=t["hidden"], rates=rates, other=rest)
        for lv in manifest.get("levels", []):
            lt.levels(lv["dimension"], lv["levels"], population=lv["population"])
        for h in manifest.get("hierarchies", []):
            groups: dict[str, list[str]] = {}
            for f_, g in h["groups"].items():
                groups.setdefault(g, []).append(f_)
            lt.hierarchy(h["coarse"], h["fine"], groups, population=h["population"])
        for k in manifest.get("known", []):
            lt.add_known(k["key"], k["value"], population=k["population"])
        return lt


def _keys_from_columns(
    name: str, frame: pd.DataFrame, dims: Mapping[Hashable, str] | None,
    variable_level: tuple[Hashable, Hashable] | None, totals: set[str],
) -> list[dict[str, str]]:
    """Row coordinates read from label columns (``dims`` and ``variable_level``)."""
    keys: list[dict[str, str]] = [{} for _ in range(len(frame))]
    for col, dim in (dims or {}).items():
        if col not in frame.columns:
            raise ValueError(f"dims of table {name!r} names column {col!r}, which is not in "
                             "the frame.")
        for i, v in enumerate(frame[col].tolist()):
            lab = _label(v)
            if lab is not None and lab not in totals:
                keys[i][str(dim)] = lab
    if variable_level is not None:
        vc, lc = variable_level
        for i, (var, lev) in enumerate(zip(frame[vc].tolist(), frame[lc].tolist(),
                                           strict=True)):
            var_l, lev_l = _label(var), _label(lev)
            if var_l is None or var_l in totals or lev_l in totals:
                continue
            keys[i][var_l] = "" if lev_l is None else lev_l
    return keys


def _nullable(col: pd.Series) -> pd.Series:
    """A column that can hold missing values without changing what it shows."""
    if pd.api.types.is_bool_dtype(col):
        return col.astype(object)
    if pd.api.types.is_integer_dtype(col):
        return col.astype("Int64")
    if pd.api.types.is_numeric_dtype(col):
        return col.astype("Float64")
    return col.astype(object)


class SuppressedTables(Mapping[str, pd.DataFrame]):
    """The controlled tables of a :class:`LinkedTables` (a mapping ``name -> DataFrame``).

    Suppressed cells are missing (``pd.NA``) in count, rate and derived columns; hidden count
    columns are dropped. :meth:`mask` gives the suppressed cells, :meth:`formatted` the tables
    as text with the policy's marker, :meth:`audit` re-checks the result.
    """

    def __init__(self, tables: LinkedTables, model: _Model, state: _State) -> None:
        self.policy = tables.policy
        self._tables = tables
        self._model = model
        self._state = state
        self._frames: dict[str, pd.DataFrame] = {}
        self._masks: dict[str, pd.DataFrame] = {}
        for name, t in tables._tables.items():
            self._frames[name], self._masks[name] = self._render(t)

    def _render(self, t: _Table) -> tuple[pd.DataFrame, pd.DataFrame]:
        out = t.frame.drop(columns=t.hidden)
        mask = self._mask(t, out)
        for c in mask.columns:
            if mask[c].any():
                out[c] = _nullable(out[c]).mask(mask[c])
        if self.policy.rounding is not None:
            for c in (c for c in t.counts if c not in t.hidden):
                shown = [v if pd.isna(v) else self.policy.published_count(int(v))
                         for v in out[c].tolist()]
                out[c] = pd.array(shown, dtype="Int64")
        out.attrs["disclosure"] = {
            "policy": self.policy.to_dict(),
            "n_suppressed": int(mask.to_numpy().sum()),
        }
        return out, mask

    def _mask(self, t: _Table, out: pd.DataFrame) -> pd.DataFrame:
        """Suppressed cells of a table: counts, rates, and the columns derived from them."""
        m, st = self._model, self._state
        mask = pd.DataFrame(False, index=out.index, columns=out.columns)
        counts = [c for c in t.counts if c not in t.hidden]
        for c in counts:
            mask[c] = [m.cell_var[(t.name, r, c)] in st.suppressed_vars
                       for r in range(len(t.frame))]
        for k, it in enumerate(m.rates):
            if it.cell[0] == t.name and k in st.suppressed_rates:
                mask.loc[it.cell[1], it.cell[2]] = True
        for c, sources in t.derived.items():
            src = counts if "row" in sources else sources
            for r in range(len(t.frame)):
                if any(mask.at[r, x] for x in src if x in mask.columns) or any(
                        x in t.hidden and self._hidden_small(t, r, x) for x in src):
                    mask.at[r, c] = True
            if t.derived_block is not None:
                blocks = t.frame[t.derived_block]
                for b in blocks[mask[c].to_numpy()].unique():
                    mask.loc[(blocks == b).to_numpy(), c] = True
        return mask

    def _hidden_small(self, t: _Table, r: int, s: Hashable) -> bool:
        v = pd.to_numeric(pd.Series([t.frame.at[r, s]]), errors="coerce").iloc[0]
        return v == v and self.policy.is_sensitive(float(v))

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self._frames[name]

    def __iter__(self) -> Any:
        return iter(self._frames)

    def __len__(self) -> int:
        return len(self._frames)

    def mask(self, name: str) -> pd.DataFrame:
        """Boolean frame of the suppressed cells of table ``name`` (True = suppressed)."""
        return self._masks[name]

    def formatted(self, name: str) -> pd.DataFrame:
        """Table ``name`` as text, suppressed cells showing the policy's marker."""
        return format_suppressed(self._frames[name], policy=self.policy,
                                 mask=self._masks[name])

    @property
    def n_primary(self) -> int:
        """Number of counts suppressed because they are small."""
        return len(self._state.primary_vars)

    @property
    def n_secondary(self) -> int:
        """Number of counts suppressed to protect others."""
        return len(self._state.suppressed_vars - self._state.primary_vars)

    @property
    def unprotected(self) -> list[str]:
        """Counts left exposed by ``suppress(strict=False)`` (locations, at most five)."""
        return list(self._state.unprotected)

    @property
    def n_rates(self) -> int:
        """Number of rates suppressed."""
        return len(self._state.suppressed_rates)

    def audit(self) -> Any:
        """The LP audit of the published result (should find nothing)."""
        return self._state.audit_result()

    def manifest(self) -> dict[str, Any]:
        """Structure of the tables for the audit of a run folder (see
        :meth:`LinkedTables.manifest`)."""
        return self._tables.manifest()
