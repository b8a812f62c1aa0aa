"""Build a cohort of (worker, index date) rows with outcomes and a TRIPOD flow table.

See :func:`build_cohort` for the rules; they are also written out in
``docs/cohort_features.md``.

References
----------
.. [1] Collins GS, Moons KGM, Dhiman P, et al. TRIPOD+AI statement: updated guidance for
   reporting clinical prediction models that use regression or machine learning methods.
   BMJ 2024;385:e078378 (item 20a: flow of participants).
.. [2] van Houwelingen HC. Dynamic prediction by landmarking in event history analysis.
   Scand J Stat 2007;34:70-85 (landmark cohorts; one row per subject and landmark).
.. [3] Putter H, Fiocco M, Geskus RB. Tutorial in biostatistics: competing risks and
   multi-state models. Stat Med 2007;26:2389-2430.
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from irdp import exceptions
from irdp.cohort import _tables
from irdp.cohort.definition import CAUSES, COMPETING_CAUSE, CohortDefinition
from irdp.exceptions import ExtractError, IrdpWarning
from irdp.io.extract import Extract
from irdp.outcomes import Binary, CompetingRisks, Survival

__all__ = ["Cohort", "PartitionedCohort", "PartitionedTable", "build_cohort",
           "build_cohort_partitioned"]

_FLOW_COLUMNS = [
    "step", "criterion", "excluded_index_events", "excluded_workers", "n_index_events",
    "n_workers",
]


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _index_sql(p: str, d: CohortDefinition) -> str:
    ix = d.index
    if ix.kind == "landmark":
        return (
            f"SELECT worker_id, DATE '{ix.date.isoformat()}' AS index_date, "
            f"CAST(NULL AS VARCHAR) AS index_visit_id, CAST(NULL AS VARCHAR) AS index_visit_type "
            f"FROM {p}worker"
        )
    where = ["visit_date IS NOT NULL"]
    if ix.visit_types:
        where.append(f"visit_type IN ({_sql_list(ix.visit_types)})")
    if ix.start is not None:
        where.append(f"visit_date >= DATE '{ix.start.isoformat()}'")
    if ix.end is not None:
        where.append(f"visit_date <= DATE '{ix.end.isoformat()}'")
    cond = " AND ".join(where)
    partition = "worker_id" if ix.kind == "first_visit" else "worker_id, visit_date"
    return (
        f"SELECT worker_id, visit_date AS index_date, visit_id AS index_visit_id, "
        f"visit_type AS index_visit_type FROM {p}visit WHERE {cond} "
        f"QUALIFY row_number() OVER (PARTITION BY {partition} ORDER BY visit_date, visit_id) = 1"
    )


def _candidates_sql(p: str, d: CohortDefinition) -> str:
    """One row per candidate index event with everything eligibility and follow-up need."""
    o = d.outcome
    dismissal_sources = ""
    if o.composite_dismissal:
        dismissal_sources = (
            f" UNION ALL SELECT worker_id, end_date FROM {p}employment "
            "WHERE end_reason = 'LICENCIEMENT_INAPTITUDE' AND end_date IS NOT NULL"
            f" UNION ALL SELECT worker_id, exit_date FROM {p}exit "
            "WHERE exit_reason = 'LICENCIEMENT_INAPTITUDE'"
        )
    if o.composite_unexplained_exit:
        dismissal_sources += (
            f" UNION ALL SELECT worker_id, exit_date FROM {p}exit WHERE exit_reason = 'FIN_SUIVI'"
        )
    return f"""
    WITH idx AS ({_index_sql(p, d)}),
    idx2 AS (
        SELECT CAST(row_number() OVER (ORDER BY worker_id, index_date) - 1 AS BIGINT) AS row_id, *
        FROM idx
    ),
    emp AS (
        SELECT i.row_id, e.employment_id, e.followup_type
        FROM idx2 i JOIN {p}employment e
          ON e.worker_id = i.worker_id AND e.start_date <= i.index_date
         AND (e.end_date IS NULL OR e.end_date >= i.index_date)
        QUALIFY row_number() OVER (
            PARTITION BY i.row_id ORDER BY e.start_date DESC, e.employment_id DESC) = 1
    ),
    oe AS (
        SELECT DISTINCT v.worker_id, v.visit_date AS d
        FROM {p}visit v JOIN {p}conclusion c USING (visit_id)
        WHERE c.conclusion IN ({_sql_list(o.conclusions)}) AND v.visit_date IS NOT NULL
        {dismissal_sources}
    ),
    oc AS (
        SELECT i.row_id,
               bool_or(oe.d < i.index_date) AS prior_outcome,
               bool_or(oe.d = i.index_date) AS outcome_on_index,
               min(oe.d) FILTER (WHERE oe.d > i.index_date) AS next_outcome_date
        FROM idx2 i JOIN oe ON oe.worker_id = i.worker_id
        GROUP BY i.row_id
    ),
    ex AS (
        SELECT i.row_id,
               bool_or(x.exit_date <= i.index_date) AS exit_before,
               min(x.exit_date) FILTER (WHERE x.exit_date > i.index_date) AS next_exit_date,
               arg_min(x.exit_reason, strftime(x.exit_date, '%Y-%m-%d') || x.exit_reason)
                   FILTER (WHERE x.exit_date > i.index_date) AS next_exit_reason
        FROM idx2 i JOIN {p}exit x ON x.worker_id = i.worker_id
        GROUP BY i.row_id
    ),
    w AS (SELECT worker_id, spsti_id, birth_year FROM {p}worker)
    SELECT i.row_id, i.worker_id, i.index_date, i.index_visit_id, i.index_visit_type,
           w.spsti_id, w.worker_id IS NOT NULL AS in_worker_table,
           year(i.index_date) - w.birth_year AS age,
           emp.employment_id IS NOT NULL AS employed, emp.followup_type,
           coalesce(oc.prior_outcome, false) AS prior_outcome,
           coalesce(oc.outcome_on_index, false) AS outcome_on_index,
           oc.next_outcome_date,
           coalesce(ex.exit_before, false) AS exit_before,
           ex.next_exit_date, ex.next_exit_reason
    FROM idx2 i
    LEFT JOIN w USING (worker_id)
    LEFT JOIN emp USING (row_id)
    LEFT JOIN oc USING (row_id)
    LEFT JOIN ex USING (row_id)
    """


def _steps(d: CohortDefinition, c: pd.DataFrame) -> list[tuple[str, np.ndarray]]:
    """Eligibility steps in order: (criterion, excluded-mask over all candidates)."""
    el = d.eligibility
    end = pd.Timestamp(d.extract_end)
    steps: list[tuple[str, np.ndarray]] = [
        ("worker missing from the worker table", ~c["in_worker_table"].to_numpy(bool)),
    ]
    if el.spsti is not None:
        steps.append((f"SPSTI not in {list(el.spsti)}",
                      ~c["spsti_id"].isin(list(el.spsti)).to_numpy(bool)))
    steps.append(("no follow-up: index date on or after the extract end",
                  (c["index_date"] >= end).to_numpy(bool)))
    steps.append(("left follow-up (exit) on or before the index date",
                  c["exit_before"].to_numpy(bool)))
    if el.age_min is not None or el.age_max is not None:
        age = c["age"].astype("Float64")
        ok = age.notna()
        if el.age_min is not None:
            ok &= age >= el.age_min
        if el.age_max is not None:
            ok &= age <= el.age_max
        lo = "-inf" if el.age_min is None else el.age_min
        hi = "inf" if el.age_max is None else el.age_max
        steps.append((f"age at index outside [{lo}, {hi}] or unknown",
                      ~ok.fillna(False).to_numpy(bool)))
    if el.require_employment:
        steps.append(("no employment active on the index date", ~c["employed"].to_numpy(bool)))
    if el.followup_types is not None:
        steps.append((f"follow-up type not in {list(el.followup_types)}",
                      ~c["followup_type"].isin(list(el.followup_types)).to_numpy(bool)))
    if el.exclude_prior_outcome:
        steps.append(("outcome before the index date", c["prior_outcome"].to_numpy(bool)))
    if d.outcome.on_index_date == "exclude":
        steps.append(("outcome on the index date", c["outcome_on_index"].to_numpy(bool)))
    return steps


def _flow(c: pd.DataFrame, steps: list[tuple[str, np.ndarray]]) -> tuple[pd.DataFrame, np.ndarray]:
    keep = np.ones(len(c), dtype=bool)
    codes, uniques = pd.factorize(c["worker_id"])
    n_all = len(uniques)

    def n_workers(mask: np.ndarray) -> int:
        return int(np.count_nonzero(np.bincount(codes[mask], minlength=n_all)))

    rows = [{
        "step": 0, "criterion": "candidate index events", "excluded_index_events": 0,
        "excluded_workers": 0, "n_index_events": len(c), "n_workers": n_all,
    }]
    before_workers = n_all
    for k, (criterion, excluded) in enumerate(steps, start=1):
        drop = keep & excluded
        keep = keep & ~excluded
        after_workers = n_workers(keep)
        rows.append({
            "step": k, "criterion": criterion, "excluded_index_events": int(drop.sum()),
            "excluded_workers": before_workers - after_workers,
            "n_index_events": int(keep.sum()), "n_workers": after_workers,
        })
        before_workers = after_workers
    return pd.DataFrame(rows, columns=_FLOW_COLUMNS), keep


def _days(values: pd.Series, origin: pd.Series) -> np.ndarray:
    """Whole days from ``origin`` to ``values`` (NaN where ``values`` is missing)."""
    delta = pd.to_datetime(values) - pd.to_datetime(origin)
    return (delta.dt.days).to_numpy(dtype=float, na_value=np.nan)


def _follow_up(d: CohortDefinition, c: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Time (days) and cause for each kept row: first of outcome, competing exit, censoring.

    At tied dates the outcome takes precedence over a competing exit, which takes
    precedence over censoring. Records dated after ``extract_end`` are ignored.
    """
    n = len(c)
    to_end = _days(pd.Series([pd.Timestamp(d.extract_end)] * n, index=c.index), c["index_date"])
    t_out = _days(c["next_outcome_date"], c["index_date"])
    if d.outcome.on_index_date == "event":
        t_out = np.where(c["outcome_on_index"].to_numpy(bool), 0.0, t_out)
    t_exit = _days(c["next_exit_date"], c["index_date"])
    reason = c["next_exit_reason"].astype(object).to_numpy()
    exit_cause = np.array([COMPETING_CAUSE.get(r, 0) if r in d.competing else 0
                           for r in reason], dtype=np.int64)
    inf = np.inf
    t_out = np.where(np.isnan(t_out) | (t_out > to_end), inf, t_out)
    t_exit = np.where(np.isnan(t_exit) | (t_exit > to_end), inf, t_exit)
    # a composite-outcome exit (FIN_SUIVI / dismissal) is already in t_out via the SQL union
    time = np.minimum(np.minimum(t_out, t_exit), to_end)
    cause = np.where(t_out <= time, 1, np.where(t_exit <= time, exit_cause, 0))
    return time.astype(float), cause.astype(np.int64)


@dataclasses.dataclass(frozen=True, eq=False)
class Cohort:
    """Result of :func:`build_cohort`.

    Attributes
    ----------
    definition : CohortDefinition
    table : pandas.DataFrame
        One row per (worker, index date), index ``row`` = 0..n-1. Columns: ``worker_id``,
        ``spsti_id``, ``index_date``, ``index_visit_id``, ``index_visit_type`` (missing for
        landmark cohorts), ``age``, ``followup_type``, ``end_date`` (date follow-up ends),
        ``time`` (days), ``cause`` (see :data:`~irdp.cohort.CAUSES`), ``cause_label``,
        ``event`` (cause 1), ``known_at_horizon`` and ``event_at_horizon`` (missing when
        censored before the horizon).
    flow : pandas.DataFrame
        TRIPOD 20a flow: for each eligibility step, the index events and workers excluded
        and remaining (``n_index_events[k] = n_index_events[k-1] - excluded_index_events[k]``).
    horizon_days : int
    """

    definition: CohortDefinition
    table: pd.DataFrame
    flow: pd.DataFrame
    horizon_days: int

    def __len__(self) -> int:
        return len(self.table)

    @property
    def survival(self) -> Survival:
        """Time to the outcome; competing exits censor (cause-specific view)."""
        return Survival(self.table["time"], self.table["event"])

    @property
    def competing_risks(self) -> CompetingRisks:
        """Time and cause (1 outcome, 2 retirement, 3 death, 4 other job loss, 0 censored)."""
        return CompetingRisks(self.table["time"], self.table["cause"], event_of_interest=1)

    @property
    def binary(self) -> Binary:
        """Outcome by the horizon; rows censored before it follow ``horizon.binary_censored``.

        With ``"exclude"`` the result only covers ``table.known_at_horizon`` rows (its
        ``index`` says which).
        """
        return self.competing_risks.to_binary(
            self.horizon_days, censored=self.definition.horizon.binary_censored
        )

    def summary(self) -> pd.DataFrame:
        """Counts by cause, overall and within the horizon."""
        t = self.table
        h = t["time"] <= self.horizon_days
        out = pd.DataFrame({
            "n_total": t["cause_label"].value_counts(),
            "n_within_horizon": t.loc[h, "cause_label"].value_counts(),
        }).reindex(list(CAUSES.values())).fillna(0).astype(int)
        out.index.name = "cause"
        return out

    def __repr__(self) -> str:
        n_workers = self.table["worker_id"].nunique()
        n_events = int(self.table["event"].sum())
        return (f"Cohort(name={self.definition.name!r}, n={len(self)}, workers={n_workers}, "
                f"events={n_events}, horizon_days={self.horizon_days})")


def _check_extract_end(extract: Extract, definition: CohortDefinition) -> None:
    """Warn when the stated extract end is later than the end recorded with the extract."""
    recorded = extract.metadata.get("end") if isinstance(extract, Extract) else None
    if recorded is None:
        return
    try:
        end = dt.date.fromisoformat(str(recorded)[:10])
    except ValueError:
        return
    if definition.extract_end > end:
        warnings.warn(
            f"extract_end ({definition.extract_end}) is after the end of the extract recorded "
            f"in its metadata ({end}): follow-up between them is counted as event-free. Set "
            f"extract_end to {end} or earlier.",
            IrdpWarning,
            stacklevel=3,
        )


def build_cohort(extract: Extract, definition: CohortDefinition) -> Cohort:
    """Build the cohort of ``definition`` from ``extract``.

    Parameters
    ----------
    extract : irdp.io.Extract
        The DMST extract (tables and codes of ``docs/contract.md``).
    definition : CohortDefinition
        Index event, eligibility, outcome, competing events, extract end and horizon.

    Returns
    -------
    Cohort
        The rows with their outcomes (``.survival``, ``.competing_risks``, ``.binary``) and
        the flow table.

    Notes
    -----
    Rules (time unit: days from the index date):

    - The outcome is the first visit dated *strictly after* the index date whose conclusion
      is in ``outcome.conclusions`` (plus, for composites, a dismissal for inaptitude or an
      unexplained exit). An outcome dated on the index date — typically the index visit's
      own conclusion — is by default a reason for exclusion (``outcome.on_index_date``),
      or an event at time 0.
    - An event on the horizon day counts as an event within the horizon (``time <=
      horizon``). A row censored exactly on the horizon day has an unknown status at the
      horizon (irdp.outcomes convention).
    - An exit dated on or before the index date excludes the index event (no time at risk).
    - Follow-up ends at the first of: outcome (cause 1), competing exit (causes 2-4),
      other exit (change of SPSTI, unexplained end of follow-up: censored) and the
      extract end (censored). Ties: outcome, then competing exit, then censoring.
    - Age is ``year(index_date) - birth_year`` (the contract has birth years only).

    Examples
    --------
    >>> import pandas as pd
    >>> from irdp.io import Extract
    >>> ex = Extract.from_frames({
    ...     "worker": pd.DataFrame({"worker_id": ["w1"], "spsti_id": ["S1"], "sex": ["F"],
    ...                             "birth_year": [1975]}),
    ...     "visit": pd.DataFrame({"visit_id": ["v1", "v2"], "worker_id": ["w1", "w1"],
    ...                            "visit_date": ["2020-03-01", "2020-09-01"],
    ...                            "visit_type": ["MI_CARRIERE", "DEMANDE_SAL"],
    ...                            "visit_type_system": "PRESANSE-TV-2022", "professional": "MT"}),
    ...     "conclusion": pd.DataFrame({"visit_id": ["v1", "v2"],
    ...                                 "conclusion": ["APTE", "INAPTE"]}),
    ... })
    >>> d = CohortDefinition.from_dict({
    ...     "name": "demo", "index": {"visit_types": ["MI_CARRIERE"]},
    ...     "extract_end": "2021-12-31",
    ...     "eligibility": {"require_employment": False}})
    >>> c = build_cohort(ex, d)
    >>> c.table[["worker_id", "time", "cause"]].to_dict("records")
    [{'worker_id': 'w1', 'time': 184.0, 'cause': 1}]
    """
    if not isinstance(definition, CohortDefinition):
        raise TypeError(
            f"definition must be a CohortDefinition (CohortDefinition.from_yaml(path)); got "
            f"{type(definition).__name__}."
        )
    _check_extract_end(extract, definition)
    return _assemble(definition, _candidates(extract, definition))


def _candidates(extract: Extract, definition: CohortDefinition) -> pd.DataFrame:
    """Every candidate index event with what eligibility and follow-up need."""
    prefix = _tables.prepare(extract)
    try:
        cand = extract.connection.sql(_candidates_sql(prefix, definition)).to_arrow_table()
        cand = cand.to_pandas()
    finally:
        _tables.drop(extract, prefix)
    cand = cand.sort_values("row_id", ignore_index=True)
    if cand["row_id"].duplicated().any():
        raise ExtractError(
            "the worker table must have one row per worker_id; some workers appear several "
            "times. Deduplicate the worker table (irdp.io.read_extract checks this key)."
        )
    cand["index_date"] = pd.to_datetime(cand["index_date"])
    return cand


def _assemble(definition: CohortDefinition, cand: pd.DataFrame) -> Cohort:
    """Eligibility steps, flow table and follow-up of the candidate index events."""
    flow, keep = _flow(cand, _steps(definition, cand))
    kept = cand.loc[keep].reset_index(drop=True)
    time, cause = _follow_up(definition, kept)
    h = definition.horizon_days
    table = pd.DataFrame({
        "worker_id": kept["worker_id"].astype(str),
        "spsti_id": kept["spsti_id"],
        "index_date": kept["index_date"],
        "index_visit_id": kept["index_visit_id"],
        "index_visit_type": kept["index_visit_type"],
        "age": kept["age"].astype("Int64"),
        "followup_type": kept["followup_type"],
        "end_date": kept["index_date"] + pd.to_timedelta(time, unit="D"),
        "time": time,
        "cause": cause,
        "cause_label": pd.Series(cause).map(CAUSES).astype(str),
        "event": cause == 1,
    })
    # followed event-free through the horizon day, or an event of any cause by then
    known = (time >= h) | (cause != 0)
    table["known_at_horizon"] = known
    at_h = pd.array(np.where(known, (cause == 1) & (time <= h), False), dtype="boolean")
    at_h[~known] = pd.NA
    table["event_at_horizon"] = at_h
    table.index = pd.RangeIndex(len(table), name="row")
    return Cohort(definition=definition, table=table, flow=flow, horizon_days=h)


def cohort_frame(cohort: Any) -> pd.DataFrame:
    """Return the (worker_id, index_date, index_visit_id) frame of a cohort-like input."""
    if isinstance(cohort, Cohort):
        frame = cohort.table
    elif isinstance(cohort, pd.DataFrame):
        frame = cohort
    else:
        raise TypeError(
            "cohort must be an irdp.cohort.Cohort (from build_cohort) or a DataFrame with "
            f"columns worker_id and index_date; got {type(cohort).__name__}."
        )
    missing = [c for c in ("worker_id", "index_date") if c not in frame.columns]
    if missing:
        raise ValueError(
            f"cohort must have the columns worker_id and index_date; {missing} are missing "
            f"(columns: {list(frame.columns)})."
        )
    out = pd.DataFrame({
        "worker_id": frame["worker_id"].astype(str).to_numpy(),
        "index_date": pd.to_datetime(frame["index_date"]).to_numpy(),
        "index_visit_id": (frame["index_visit_id"].astype(object).to_numpy()
                           if "index_visit_id" in frame.columns else None),
    })
    if out["index_date"].isna().any():
        raise ValueError("cohort.index_date must not be missing; found missing dates.")
    return out.assign(_label=np.arange(len(out)))



#: Partition name used for an extract that is not partitioned (processed in one piece).
WHOLE = "ALL"


@dataclasses.dataclass(frozen=True)
class PartitionedTable:
    """A table written as one Parquet file per partition (``<path>/<partition>.parquet``).

    Read it whole or by columns: models and metrics read only the columns they need.

    Attributes
    ----------
    path : pathlib.Path
        Folder of the files.
    rows : dict
        Rows per partition, in partition order (the order of the stacked table).
    levels : dict, optional
        Categorical columns whose categories start with these levels; the other categories
        found in the partitions follow, sorted (as :func:`irdp.features.build_features`
        orders them).
    """

    path: Path
    rows: dict[str, int]
    levels: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    @property
    def partitions(self) -> list[str]:
        """Partition names, in order."""
        return list(self.rows)

    def __len__(self) -> int:
        return int(sum(self.rows.values()))

    @property
    def columns(self) -> list[str]:
        """Column names (from the first file's footer)."""
        first = self.path / f"{self.partitions[0]}.parquet"
        return [c for c in pq.read_schema(first).names if not c.startswith("__")]

    def _columns(self, columns: Iterable[str] | None) -> list[str] | None:
        if columns is None:
            return None
        if isinstance(columns, str):
            raise TypeError(f"columns must be a list of names; got the string {columns!r}.")
        cols = list(columns)
        missing = [c for c in cols if c not in self.columns]
        if missing:
            raise KeyError(f"columns {missing} are not in {self.path.name}; it has "
                           f"{len(self.columns)} columns.")
        return cols

    def files(self, partitions: Iterable[str] | None = None) -> list[Path]:
        """The files of ``partitions`` (all by default), in order."""
        names = self.partitions if partitions is None else list(partitions)
        unknown = [n for n in names if n not in self.rows]
        if unknown:
            raise KeyError(f"unknown partitions {unknown}; the table has {self.partitions[:5]}"
                           f"{'...' if len(self.rows) > 5 else ''}.")
        return [self.path / f"{n}.parquet" for n in names]

    def read_arrow(self, columns: Iterable[str] | None = None,
                   partitions: Iterable[str] | None = None) -> pa.Table:
        """The stacked rows as Arrow, only ``columns`` (all by default) being read."""
        cols = self._columns(columns)
        tables = [pq.read_table(f, columns=cols) for f in self.files(partitions)]
        return pa.concat_tables(tables, promote_options="permissive")

    def read(self, columns: Iterable[str] | None = None,
             partitions: Iterable[str] | None = None) -> pd.DataFrame:
        """The stacked rows as pandas (index ``row`` = 0..n-1 over the partitions read)."""
        cols = self._columns(columns)
        frames = [_restore_units(pq.read_table(f, columns=cols)) for f in self.files(partitions)]
        out = _stack(frames, self.levels)
        out.index = pd.RangeIndex(len(out), name="row")
        return out


def _restore_units(table: pa.Table) -> pd.DataFrame:
    """Arrow -> pandas with the datetime resolution the frame had when written (Parquet
    stores seconds as milliseconds)."""
    frame = table.to_pandas()
    meta = (table.schema.pandas_metadata or {}).get("columns", [])
    for col in meta:
        name, numpy_type = col.get("name"), str(col.get("numpy_type", ""))
        if name in frame.columns and numpy_type.startswith("datetime64[") \
                and str(frame[name].dtype) != numpy_type:
            frame[name] = frame[name].astype(numpy_type)
    return frame


def _stack(frames: list[pd.DataFrame], levels: dict[str, list[str]]) -> pd.DataFrame:
    """Concatenate frames, categorical columns on the union of their categories: the
    ``levels`` of the column first, then the others sorted."""
    fixed = [f.copy(deep=False) for f in frames]
    for col in frames[0].columns:
        if isinstance(frames[0][col].dtype, pd.CategoricalDtype):
            first = list(levels.get(col, []))
            found = {c for f in frames for c in f[col].cat.categories}
            cats = first + sorted(found.difference(first))
            for f in fixed:
                f[col] = f[col].cat.set_categories(pd.Index(cats, dtype=f[col].cat.categories
                                                            .dtype))
    return pd.concat(fixed, ignore_index=True)


@dataclasses.dataclass(frozen=True, eq=False)
class PartitionedCohort:
    """Result of :func:`build_cohort_partitioned`: a cohort written one partition at a time.

    Attributes
    ----------
    definition : CohortDefinition
    table : PartitionedTable
        The rows of :attr:`Cohort.table`, one Parquet file per partition (stacked in
        partition order, they are the rows of :func:`build_cohort` on the whole extract).
    flow : pandas.DataFrame
        TRIPOD 20a flow of the whole extract (sum of the partitions' flows: a worker belongs
        to one partition).
    horizon_days : int
    """

    definition: CohortDefinition
    table: PartitionedTable
    flow: pd.DataFrame
    horizon_days: int

    def __len__(self) -> int:
        return len(self.table)

    @property
    def partitions(self) -> list[str]:
        """Partition names, in order."""
        return self.table.partitions

    def read(self, columns: Iterable[str] | None = None,
             partitions: Iterable[str] | None = None) -> pd.DataFrame:
        """Rows of the cohort table (only ``columns``; all partitions by default)."""
        return self.table.read(columns, partitions)

    def to_cohort(self, partitions: Iterable[str] | None = None) -> Cohort:
        """An in-memory :class:`Cohort` of ``partitions`` (all by default).

        The flow is that of the whole extract only when every partition is taken.
        """
        names = self.partitions if partitions is None else list(partitions)
        flow = self.flow if names == self.partitions else _sum_flows(
            [pd.read_parquet(self.table.path / "_flow" / f"{n}.parquet") for n in names])
        return Cohort(definition=self.definition, table=self.read(partitions=names), flow=flow,
                      horizon_days=self.horizon_days)

    def __repr__(self) -> str:
        return (f"PartitionedCohort(name={self.definition.name!r}, n={len(self)}, "
                f"partitions={len(self.partitions)}, path={str(self.table.path)!r})")


def _sum_flows(flows: list[pd.DataFrame]) -> pd.DataFrame:
    """The flow of disjoint sets of workers: counts add up step by step."""
    counts = [c for c in _FLOW_COLUMNS if c not in ("step", "criterion")]
    first = flows[0]
    for f in flows[1:]:
        if list(f["criterion"]) != list(first["criterion"]):
            raise ExtractError("partitions of one extract gave flows with different steps.")
    total = first.copy()
    total[counts] = sum(f[counts].to_numpy() for f in flows)
    return total.astype({c: "int64" for c in counts})


def _members(open_part: Any, names: list[str], cand: pd.DataFrame
             ) -> Iterator[tuple[str, np.ndarray]]:
    """(partition, mask of its candidate rows) for a batch of partitions.

    A candidate belongs to the partition whose worker table holds its worker or, for a worker
    missing from every worker table, whose visit table holds its index visit.
    """
    if len(names) == 1:
        yield names[0], np.ones(len(cand), dtype=bool)
        return
    covered = np.zeros(len(cand), dtype=int)
    masks = []
    for name in names:
        part = open_part(name)
        try:
            workers = [r[0] for r in part.fetch("SELECT worker_id FROM worker")]
            mask = cand["worker_id"].isin(workers).to_numpy(bool)
            orphan = ~cand["in_worker_table"].to_numpy(bool)
            if orphan.any():
                visits = [r[0] for r in part.fetch("SELECT visit_id FROM visit")]
                mask |= orphan & cand["index_visit_id"].isin(visits).to_numpy(bool)
        finally:
            part.connection.close()
        covered += mask
        masks.append((name, mask))
    if (covered != 1).any():
        raise ExtractError(
            f"{int((covered != 1).sum())} index events cannot be assigned to exactly one "
            "partition: a worker's rows must all be in the files of their SPSTI. Rewrite the "
            "partitions so that each worker belongs to one.")
    yield from masks


def batches(extract: Extract, batch_size: int) -> list[list[str]]:
    """The partitions of ``extract`` in batches of ``batch_size`` (``[["ALL"]]`` when the
    extract is not partitioned)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int; got {batch_size!r}.")
    names = list(extract.partitions)
    if not names:
        return [[WHOLE]]
    return [names[i:i + batch_size] for i in range(0, len(names), batch_size)]


def run_batches(extract: Extract, batch_size: int, func: Any, *, n_jobs: int | None,
                scheduler: Any, kwargs: dict[str, Any]) -> list[Any]:
    """``func(part, names, **kwargs)`` on each batch of partitions, in partition order.

    Batches run in this process (``n_jobs=1``), in joblib worker processes, or as Dask tasks
    (``scheduler``, as the resampling of :mod:`irdp.validation`); each opens its own
    partitions from a picklable :class:`irdp.io.PartitionOpener`, so no connection is
    shared. Warnings raised in a batch are issued again here, once each.
    """
    from irdp._resampling import replicate

    groups = batches(extract, batch_size)
    if not extract.partitions:  # one partition: the extract itself, in this process
        return [func(extract, groups[0], **kwargs)]
    opener = extract.opener()
    task = {"func": func, "groups": groups, "opener": opener, "kwargs": kwargs}
    if scheduler is None and n_jobs == 1:
        return [_batch_task(i, None, **task) for i in range(len(groups))]
    # each process runs its DuckDB queries on one thread: the processes share the cores
    task["opener"] = dataclasses.replace(opener, settings={**opener.settings, "threads": 1})
    res = replicate(_batch_task, len(groups), seed=0, n_jobs=n_jobs, scheduler=scheduler,
                    kwargs=task)
    for msg in res.warnings:  # "Category: message", issued again with its category
        name, _, text = msg.partition(": ")
        category = getattr(exceptions, name, None)
        if not (isinstance(category, type) and issubclass(category, Warning)):
            category = getattr(builtins, name, UserWarning)
        warnings.warn(text, category, stacklevel=3)
    return res.results


def _batch_task(i: int, rng: Any, *, func: Any, groups: list[list[str]], opener: Any,
                kwargs: dict[str, Any]) -> Any:
    """One batch of partitions, in this process or a worker (``rng`` is not used: no
    randomness)."""
    del rng
    part = opener(groups[i])
    try:
        return func(part, groups[i], open_part=opener, **kwargs)
    finally:
        part.connection.close()


def _cohort_batch(part: Extract, names: list[str], *, definition: CohortDefinition, path: Path,
                  open_part: Any = None) -> list[tuple[str, int, pd.DataFrame]]:
    """Cohort rows of a batch of partitions, written one file per partition."""
    cand = _candidates(part, definition)
    done = []
    for name, mask in _members(open_part, names, cand):
        c = _assemble(definition, cand.loc[mask].reset_index(drop=True))
        pq.write_table(pa.Table.from_pandas(c.table, preserve_index=False),
                       path / f"{name}.parquet")
        c.flow.to_parquet(path / "_flow" / f"{name}.parquet", index=False)
        done.append((name, len(c), c.flow))
    return done


def build_cohort_partitioned(extract: Extract, definition: CohortDefinition, *,
                             out: str | Path, batch_size: int = 1, n_jobs: int | None = 1,
                             scheduler: Any = None) -> PartitionedCohort:
    """Build the cohort one partition (SPSTI) at a time and write it as partitioned Parquet.

    The same rules as :func:`build_cohort`, run on each partition of a partitioned extract
    (:attr:`irdp.io.Extract.partitions`) in bounded memory, or on the whole extract when it is
    not partitioned: the same code path serves 20 k and 18 M workers. A worker belongs to one
    SPSTI, so stacking the partitions gives the rows of :func:`build_cohort` on the whole
    extract (in the same order when worker ids sort by partition, as in
    :func:`irdp.synth.generate_dmst_partitioned`), and the flow is the sum of the partitions'
    flows.

    Parameters
    ----------
    extract : irdp.io.Extract
        The extract (:func:`irdp.io.read_extract` of a folder of partitioned tables).
    definition : CohortDefinition
    out : path
        Folder written: ``<partition>.parquet`` per partition and ``_flow/<partition>.parquet``.
    batch_size : int, default=1
        Partitions queried together (fewer, larger queries); the rows and flow of each
        partition, and so the files, do not depend on it.
    n_jobs : int or None, default=1
        Batches processed at once by joblib worker processes (-1: all cores); each process
        then runs DuckDB on one thread. The files do not depend on it.
    scheduler : None, "local", str or distributed.Client, default=None
        Run the batches as Dask tasks instead (``"local"``: a ``LocalCluster`` of ``n_jobs``
        processes; an address; or a client), as the resampling of :mod:`irdp.validation`.
        The workers must see the extract's files and ``out`` at the same paths.

    Returns
    -------
    PartitionedCohort

    References
    ----------
    .. [1] Collins GS, et al. TRIPOD+AI statement. BMJ 2024;385:e078378 (item 20a).
    """
    if not isinstance(definition, CohortDefinition):
        raise TypeError(
            f"definition must be a CohortDefinition (CohortDefinition.from_yaml(path)); got "
            f"{type(definition).__name__}."
        )
    path = Path(out)
    (path / "_flow").mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    flows = []
    _check_extract_end(extract, definition)
    done = run_batches(extract, batch_size, _cohort_batch, n_jobs=n_jobs, scheduler=scheduler,
                       kwargs={"definition": definition, "path": path.resolve()})
    for name, n, flow in (item for batch in done for item in batch):
        rows[name] = n
        flows.append(flow)
    return PartitionedCohort(definition=definition, table=PartitionedTable(path, rows),
                             flow=_sum_flows(flows), horizon_days=definition.horizon_days)
