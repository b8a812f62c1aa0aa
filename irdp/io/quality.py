"""Data-quality report of an extract: row counts, completeness (overall and per SPSTI), code-system
versions found and date ranges, all through disclosure control (:mod:`irdp.privacy`).

The IRDP is known to be very sensitive to data completeness (IGAS 2025), hence the per-field,
per-SPSTI completeness table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from irdp.io.extract import Extract
from irdp.io.schema import load_schemas
from irdp.privacy.disclosure import DEFAULT_THRESHOLD, format_suppressed, suppress_small_counts
from irdp.privacy.policy import DisclosurePolicy, renamed_threshold, resolve_policy

__all__ = ["QualityReport", "quality_report"]

#: How each table reaches the worker (and so the SPSTI).
_SPSTI_JOIN = {
    "worker": "SELECT t.*, t.spsti_id AS __spsti FROM worker t",
    "employment": "SELECT t.*, w.spsti_id AS __spsti FROM employment t JOIN worker w USING "
                  "(worker_id)",
    "visit": "SELECT t.*, w.spsti_id AS __spsti FROM visit t JOIN worker w USING (worker_id)",
    "exposure": "SELECT t.*, w.spsti_id AS __spsti FROM exposure t JOIN worker w USING "
                "(worker_id)",
    "exit": 'SELECT t.*, w.spsti_id AS __spsti FROM "exit" t JOIN worker w USING (worker_id)',
    "conclusion": "SELECT t.*, w.spsti_id AS __spsti FROM conclusion t JOIN visit v USING "
                  "(visit_id) JOIN worker w ON v.worker_id = w.worker_id",
    "diagnosis": "SELECT t.*, w.spsti_id AS __spsti FROM diagnosis t JOIN visit v USING "
                 "(visit_id) JOIN worker w ON v.worker_id = w.worker_id",
    "questionnaire": "SELECT t.*, w.spsti_id AS __spsti FROM questionnaire t JOIN visit v USING "
                     "(visit_id) JOIN worker w ON v.worker_id = w.worker_id",
    "company": "SELECT t.*, s.__spsti FROM company t JOIN (SELECT company_id, min(w.spsti_id) "
               "AS __spsti FROM employment e JOIN worker w USING (worker_id) GROUP BY "
               "company_id) s USING (company_id)",
}
ALL = "ALL"


@dataclass(frozen=True)
class QualityReport:
    """Data-quality summary of an extract (already disclosure-controlled).

    Attributes
    ----------
    row_counts : pandas.DataFrame
        ``table``, ``spsti_id`` (``ALL`` = whole extract), ``n_rows``.
    completeness : pandas.DataFrame
        ``table``, ``column``, ``spsti_id``, ``n_rows``, ``n_filled``, ``pct_filled``.
    code_systems : pandas.DataFrame
        ``table``, ``column``, ``system``, ``spsti_id``, ``n_rows``.
    date_ranges : pandas.DataFrame
        ``table``, ``column``, ``first_month``, ``last_month``.
    threshold : int
        Disclosure threshold applied (``min_count``: counts below it are suppressed).
    schema_version : str
    policy : DisclosurePolicy, optional
        The disclosure policy applied (suppressed cells show its marker, ``[c]``).
    """

    row_counts: pd.DataFrame
    completeness: pd.DataFrame
    code_systems: pd.DataFrame
    date_ranges: pd.DataFrame
    threshold: int
    schema_version: str
    policy: DisclosurePolicy | None = None

    @property
    def min_count(self) -> int:
        """The disclosure threshold applied (same as :attr:`threshold`)."""
        return self.threshold

    def as_text(self) -> str:
        """Plain-text report (suppressed cells show the policy's marker, ``[c]``)."""
        policy = self.policy or DisclosurePolicy(
            min_count=self.threshold, override_reason=None if self.threshold >= DEFAULT_THRESHOLD
            else "quality report built with a lowered threshold")
        marker = policy.marker
        rc = self.row_counts.pivot(index="table", columns="spsti_id", values="n_rows")
        rc = rc[[ALL] + [c for c in rc.columns if c != ALL]]
        comp = self.completeness[self.completeness.spsti_id == ALL]
        c = self.completeness.assign(pct_filled=self.completeness["pct_filled"].astype(object))
        comp_sp = c.pivot(index=["table", "column"], columns="spsti_id", values="pct_filled")
        order = list(dict.fromkeys(zip(c["table"], c["column"], strict=True)))
        comp_sp = comp_sp.reindex(order)[[ALL] + [x for x in comp_sp.columns if x != ALL]]
        parts = [
            f"irdp data-quality report (contract v{self.schema_version}; counts below "
            f"{self.threshold} suppressed as '{marker}', with secondary suppression)",
            policy.as_text(),
            "", "Row counts per table and SPSTI", format_suppressed(rc, marker=marker).to_string(),
            "", "Completeness (% of rows filled), whole extract",
            format_suppressed(comp.drop(columns="spsti_id").set_index(["table", "column"]).round(1),
                              marker=marker).to_string(),
            "", "Completeness (% filled) per SPSTI",
            format_suppressed(comp_sp.astype("Float64").round(1), marker=marker).to_string(),
            "", "Code systems and versions found",
            format_suppressed(self.code_systems[self.code_systems.spsti_id == ALL]
                              .drop(columns="spsti_id").set_index(["table", "column", "system"]),
                              marker=marker).to_string(),
            "", "Date ranges (month of first and last date)",
            self.date_ranges.set_index(["table", "column"]).to_string(),
        ]
        return "\n".join(parts) + "\n"

    def to_csv(self, folder: str | Path) -> list[Path]:
        """Write the four tables as CSV files in ``folder``; returns their paths."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        out = []
        for name in ("row_counts", "completeness", "code_systems", "date_ranges"):
            p = folder / f"quality_{name}.csv"
            getattr(self, name).to_csv(p, index=False)
            out.append(p)
        return out


def _suppress_by_group(frame: pd.DataFrame, keys: list[str], counts: list[str],
                       rates: dict[str, tuple[str, str]],
                       policy: DisclosurePolicy) -> pd.DataFrame:
    """Suppress within each group, whose ALL row is the total of its SPSTI rows."""
    pieces = []
    for _, g in frame.groupby(keys, sort=False, dropna=False):
        g = g.set_index("spsti_id")
        has_total = ALL in g.index and len(g) > 1
        s = suppress_small_counts(g, policy=policy, count_columns=counts, rates=rates,
                                  total_row=ALL if has_total else None)
        pieces.append(s.reset_index())
    return pd.concat(pieces, ignore_index=True)[frame.columns]


def _scan(extract: Extract, t: str, cols: list[str], systems: list[str]) -> tuple[
        pd.DataFrame, pd.DataFrame]:
    src = _SPSTI_JOIN[t]
    filled = ", ".join(f'count("{c}")' for c in cols)
    agg = extract.fetch(f"SELECT coalesce(__spsti, '{ALL}'), count(*), {filled} "
                        f"FROM ({src}) GROUP BY ROLLUP (__spsti)")
    rows = []
    for r in agg:
        for j, c in enumerate(cols):
            rows.append((t, c, r[0], int(r[1]), int(r[2 + j])))
    comp = pd.DataFrame(rows, columns=["table", "column", "spsti_id", "n_rows", "n_filled"])
    sysrows = []
    for c in systems:
        q = extract.sql(f"SELECT '{t}', '{c}', \"{c}\", coalesce(__spsti, '{ALL}'), count(*) "
                        f"FROM ({src}) GROUP BY GROUPING SETS ((\"{c}\", __spsti), (\"{c}\"))")
        sysrows += q.fetchall()
    syst = pd.DataFrame(sysrows, columns=["table", "column", "system", "spsti_id", "n_rows"])
    return comp, syst


def quality_report(extract: Extract, *, min_count: int | None = None,
                   policy: DisclosurePolicy | None = None,
                   threshold: int | None = None) -> QualityReport:
    """Compute the data-quality report of an extract, with disclosure control.

    Parameters
    ----------
    extract : Extract
        A validated extract (:func:`irdp.io.read_extract` or ``generate_dmst(...).extract``).
    min_count : int, default=11
        Counts below it are suppressed (with secondary suppression across SPSTI and
        suppression of the percentages built on them). Below 11 only through a ``policy``
        with an ``override_reason``.
    policy : DisclosurePolicy, optional
        The disclosure policy (a run passes its own); default ``DisclosurePolicy()``.
    threshold : int, optional
        Former name of ``min_count`` (deprecated: IrdpDeprecationWarning).

    Returns
    -------
    QualityReport

    Examples
    --------
    >>> from irdp.synth import generate_dmst
    >>> rep = quality_report(generate_dmst(1_000, n_spsti=2, seed=0).extract)
    >>> int(rep.row_counts.query("table == 'worker' and spsti_id == 'ALL'").n_rows.iloc[0])
    1000
    """
    legacy = renamed_threshold("quality_report", threshold, None)
    policy = resolve_policy(policy, min_count=min_count, threshold=legacy)
    threshold = policy.min_count
    schemas = load_schemas()
    comps, systs, ranges = [], [], []
    for t, s in schemas.items():
        if t not in extract.names:
            continue
        cols = [f.name for f in s.fields]
        systems = [f.name for f in s.fields if f.name.endswith("_system")]
        comp, syst = _scan(extract, t, cols, systems)
        comps.append(comp)
        systs.append(syst)
        for f in s.fields:
            if f.type == "date":
                lo, hi = extract.fetch(f'SELECT strftime(min("{f.name}"), \'%Y-%m\'), '
                                       f'strftime(max("{f.name}"), \'%Y-%m\') FROM "{t}"')[0]
                ranges.append((t, f.name, lo, hi))
    comp = pd.concat(comps, ignore_index=True)
    comp["pct_filled"] = 100.0 * comp["n_filled"] / comp["n_rows"].where(comp["n_rows"] > 0)
    rc = comp.groupby(["table", "spsti_id"], sort=False, as_index=False)["n_rows"].first()
    rc = _suppress_by_group(rc, ["table"], ["n_rows"], {}, policy)
    comp = _suppress_by_group(comp, ["table", "column"], ["n_rows", "n_filled"],
                              {"pct_filled": ("n_filled", "n_rows")}, policy)
    syst = pd.concat([x for x in systs if len(x)], ignore_index=True)
    syst["n_rows"] = syst["n_rows"].astype("int64")
    syst["system"] = syst["system"].astype(object).where(syst["system"].notna(), "(missing)")
    syst = _suppress_by_group(syst, ["table", "column", "system"], ["n_rows"], {}, policy)
    return QualityReport(
        row_counts=rc, completeness=comp, code_systems=syst,
        date_ranges=pd.DataFrame(ranges, columns=["table", "column", "first_month",
                                                  "last_month"]),
        threshold=threshold, schema_version=next(iter(schemas.values())).version,
        policy=policy,
    )
