"""Run the registered feature groups over an extract for a cohort."""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from irdp.cohort import _tables
from irdp.cohort.build import (
    WHOLE,
    Cohort,
    PartitionedCohort,
    PartitionedTable,
    cohort_frame,
    run_batches,
)
from irdp.exceptions import ExtractError
from irdp.features.registry import FAMILIES, GROUPS, REGISTRY, Feature
from irdp.io.extract import Extract

__all__ = [
    "build_features",
    "build_features_partitioned",
    "feature_sql",
    "missingness_report",
    "data_dictionary",
    "data_dictionary_markdown",
    "write_data_dictionary",
]

_counter = itertools.count()


def _select(features: Iterable[str] | None) -> list[Feature]:
    if features is None:
        return list(REGISTRY.values())
    if isinstance(features, str):
        raise TypeError(
            f"features must be a list of feature names (or None for all); got the string "
            f"{features!r}. Wrap it in a list."
        )
    names = list(features)
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        hints = {n: difflib.get_close_matches(n, list(REGISTRY), n=2) for n in unknown}
        raise ValueError(
            f"features must be registered names (irdp.features.REGISTRY); unknown: {hints} "
            "(name: close matches)."
        )
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"features must not repeat names; repeated: {dup}.")
    return [REGISTRY[n] for n in names]


def feature_sql(prefix: str, features: list[Feature]) -> str:
    """Return the single SQL query computing ``features`` (for inspection or other engines).

    Every group is a sub-query returning one row per cohort row; they are left-joined on
    ``row_id`` to the cohort table ``{prefix}cohort``.
    """
    groups = list(dict.fromkeys(f.group for f in features))
    joins, cols = [], []
    for k, g in enumerate(groups):
        joins.append(f"LEFT JOIN ({GROUPS[g].sql(prefix)}) AS g{k} ON g{k}.row_id = c.row_id")
        cols.extend(f'CAST(g{k}."{f.name}" AS {_SQL_TYPES[f.dtype]}) AS "{f.name}"'
                    for f in features if f.group == g)
    return (
        f"SELECT c.row_id, {', '.join(cols)}\nFROM {prefix}cohort c\n" + "\n".join(joins)
        + "\nORDER BY c.row_id"
    )


_SQL_TYPES = {"int": "BIGINT", "float": "DOUBLE", "bool": "BOOLEAN", "category": "VARCHAR"}


def _column(col: pa.ChunkedArray, f: Feature) -> pd.api.extensions.ExtensionArray | np.ndarray:
    """Convert one Arrow column (typed by :data:`_SQL_TYPES`) to the feature's pandas type."""
    if f.dtype == "int":
        return pd.array(col.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get),
                        dtype="Int64")
    if f.dtype == "float":
        return col.to_numpy().astype("float64")
    if f.dtype == "bool":
        return pd.array(col.to_pandas(types_mapper={pa.bool_(): pd.BooleanDtype()}.get),
                        dtype="boolean")
    found = sorted(v for v in pc.unique(col).to_pylist() if v is not None)
    if f.levels is not None:
        cats = list(f.levels) + [v for v in found if v not in f.levels]
    else:
        cats = found
    codes = pc.index_in(col, value_set=pa.array(cats, type=pa.string())).fill_null(-1)
    return pd.Categorical.from_codes(codes.to_numpy(), categories=pd.Index(cats, dtype="str"))


def _cast(values: pd.Series, f: Feature) -> pd.Series:
    """Pandas values of one feature (used for columns of a table absent from the extract)."""
    arrow_type = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(),
                  "category": pa.string()}[f.dtype]
    col = pa.chunked_array([pa.array(values.astype(object), type=arrow_type)])
    return pd.Series(_column(col, f), index=values.index)


def build_features(
    extract: Extract,
    cohort: Cohort | pd.DataFrame,
    *,
    features: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Compute features for each cohort row from records dated before its index date.

    Parameters
    ----------
    extract : irdp.io.Extract
        The DMST extract.
    cohort : irdp.cohort.Cohort or pandas.DataFrame
        The rows to describe: a :class:`~irdp.cohort.Cohort` or any frame with
        ``worker_id`` and ``index_date`` (and optionally ``index_visit_id``).
    features : list of str, optional
        Names from :data:`irdp.features.REGISTRY` (all by default), in the order wanted.

    Returns
    -------
    pandas.DataFrame
        One row per cohort row, same index as ``cohort.table`` (or the frame), one column
        per feature. Types: ``Int64`` for counts and days, ``float64`` for continuous,
        ``boolean`` for flags, ``category`` for categorical features. Missing values are
        ``<NA>``/``NaN``; counts are 0 only where zero is the truth (see the data
        dictionary, column ``missing``). Features read from a table absent from the
        extract are missing for every row (completeness indicators excepted).

    Notes
    -----
    All groups run as one DuckDB query (parallel, out of core). Records are read strictly
    before the index date, except information available at the start of the index visit
    (documented per feature as "at index included").

    Examples
    --------
    >>> import pandas as pd
    >>> from irdp.io import Extract
    >>> ex = Extract.from_frames({
    ...     "worker": pd.DataFrame({"worker_id": ["w1"], "spsti_id": ["S1"], "sex": ["F"],
    ...                             "birth_year": [1970]}),
    ...     "visit": pd.DataFrame({"visit_id": ["v1", "v2"], "worker_id": ["w1", "w1"],
    ...                            "visit_date": ["2019-05-01", "2021-05-01"],
    ...                            "visit_type": ["REPRISE", "REPRISE"],
    ...                            "visit_type_system": "PRESANSE-TV-2022", "professional": "MT",
    ...                            "absence_days": [120, 40]}),
    ...     "conclusion": pd.DataFrame({"visit_id": ["v1"], "conclusion": ["APTE"]}),
    ... })
    >>> cohort = pd.DataFrame({"worker_id": ["w1"], "index_date": ["2020-01-01"]})
    >>> X = build_features(ex, cohort, features=["age", "sl_n_5y", "sl_long_n_5y"])
    >>> X.iloc[0].tolist()
    [50, 1, 1]
    """
    chosen = _select(features)
    frame = cohort_frame(cohort)
    index = cohort.table.index if isinstance(cohort, Cohort) else cohort.index
    prefix = _tables.prepare(extract)
    con = extract.connection
    src = f"{prefix}cohort_src{next(_counter)}"
    try:
        con.register(src, pa.Table.from_pandas(
            frame.assign(index_visit_id=frame["index_visit_id"].astype(object)),
            preserve_index=False))
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {prefix}cohort AS SELECT "
            f"CAST(_label AS BIGINT) AS row_id, CAST(worker_id AS VARCHAR) AS worker_id, "
            f"CAST(index_date AS DATE) AS index_date, "
            f"CAST(index_visit_id AS VARCHAR) AS index_visit_id FROM {src}"
        )
        result = con.sql(feature_sql(prefix, chosen)).to_arrow_table()
    finally:
        con.execute(f"DROP TABLE IF EXISTS {prefix}cohort")
        con.unregister(src)
        _tables.drop(extract, prefix)
    if result.num_rows != len(frame) or not np.array_equal(
            result.column("row_id").to_numpy(), np.arange(len(frame))):
        raise ExtractError(
            "a feature query returned several rows for one cohort row: a key of the extract "
            "is duplicated (worker_id in worker, company_id in company or visit_id in visit). "
            "Deduplicate the tables (irdp.io.read_extract checks these keys)."
        )
    out = pd.DataFrame({f.name: _column(result.column(f.name), f) for f in chosen})
    # a table absent from the extract was not recorded: its features are missing, even
    # those whose zero is otherwise the truth (completeness indicators excepted)
    absent = set(_tables.COLUMNS) - set(extract.names)
    for f in chosen:
        if f.family != "completeness" and absent.intersection(f.sources):
            out[f.name] = _cast(pd.Series([None] * len(out), dtype=object), f)
    out.index = index
    return out


def _features_batch(part: Extract, names: list[str], *, cohort: PartitionedCohort,
                    chosen: list[str], path: Path, open_part: Any = None
                    ) -> list[tuple[str, int]]:
    """Features of a batch of partitions, written one file per partition."""
    del open_part
    frame = cohort.read(["worker_id", "index_date", "index_visit_id"], names)
    X = build_features(part, frame, features=chosen)
    start, done = 0, []
    for name in names:
        n = cohort.table.rows[name]
        pq.write_table(pa.Table.from_pandas(X.iloc[start:start + n], preserve_index=False),
                       path / f"{name}.parquet")
        done.append((name, n))
        start += n
    return done


def build_features_partitioned(
    extract: Extract,
    cohort: PartitionedCohort,
    *,
    out: str | Path,
    features: Iterable[str] | None = None,
    batch_size: int = 1,
    n_jobs: int | None = 1,
    scheduler: Any = None,
) -> PartitionedTable:
    """Compute the features one partition (SPSTI) at a time and write them as Parquet.

    :func:`build_features` run on each partition of the extract for the cohort rows of that
    partition (:func:`irdp.cohort.build_cohort_partitioned`), so memory is bounded by the
    largest partition; stacked, the files equal :func:`build_features` on the whole extract
    and cohort. An extract that is not partitioned is one partition (``"ALL"``).

    Parameters
    ----------
    extract : irdp.io.Extract
        The extract the cohort was built from.
    cohort : irdp.cohort.PartitionedCohort
        The partitioned cohort (its partitions must be those of ``extract``).
    out : path
        Folder written: ``<partition>.parquet``, one row per cohort row, in cohort order.
    features : list of str, optional
        Names from :data:`irdp.features.REGISTRY` (all by default).
    batch_size : int, default=1
        Partitions computed by one query (fewer, larger queries; the files written are the
        same whatever the batch size).
    n_jobs : int or None, default=1
        Batches computed at once by joblib worker processes (-1: all cores); each process
        then runs DuckDB on one thread. The files do not depend on it.
    scheduler : None, "local", str or distributed.Client, default=None
        Run the batches as Dask tasks instead (as
        :func:`irdp.cohort.build_cohort_partitioned`); the workers must see the extract's
        files, the cohort and ``out`` at the same paths.

    Returns
    -------
    irdp.cohort.PartitionedTable
        Read with ``.read(columns=[...])``: only the columns asked for are read.
    """
    if not isinstance(cohort, PartitionedCohort):
        raise TypeError(f"cohort must be an irdp.cohort.PartitionedCohort (from "
                        f"build_cohort_partitioned); got {type(cohort).__name__}.")
    chosen = [f.name for f in _select(features)]
    expected = list(extract.partitions) or [WHOLE]
    if expected != cohort.partitions:
        raise ValueError(f"the cohort's partitions ({cohort.partitions[:5]}...) are not the "
                         f"extract's ({expected[:5]}...); build the cohort from this extract.")
    path = Path(out)
    path.mkdir(parents=True, exist_ok=True)
    done = run_batches(extract, batch_size, _features_batch, n_jobs=n_jobs,
                       scheduler=scheduler, kwargs={"cohort": cohort, "chosen": chosen,
                                                    "path": path.resolve()})
    rows = {name: n for batch in done for name, n in batch}
    levels = {n: list(REGISTRY[n].levels or []) for n in chosen
              if REGISTRY[n].dtype == "category"}
    return PartitionedTable(path, rows, levels)


def missingness_report(features: pd.DataFrame, cohort: Cohort | pd.DataFrame) -> pd.DataFrame:
    """Share of missing values per feature, overall and per SPSTI.

    Parameters
    ----------
    features : pandas.DataFrame
        Output of :func:`build_features`.
    cohort : Cohort or pandas.DataFrame
        The cohort the features were built for (needs ``spsti_id``), same index.

    Returns
    -------
    pandas.DataFrame
        Long format: ``feature``, ``family``, ``spsti_id`` (``"ALL"`` for overall), ``n``,
        ``n_missing``, ``share_missing``.
    """
    table = cohort.table if isinstance(cohort, Cohort) else cohort
    if "spsti_id" not in table.columns:
        raise ValueError("cohort must have a spsti_id column for the missingness report.")
    if not features.index.equals(table.index):
        raise ValueError(
            "features and cohort must have the same index (features = build_features(extract, "
            "cohort)); irdp never aligns silently."
        )
    miss = features.isna()
    spsti = table["spsti_id"].astype(str)
    per = miss.groupby(spsti.to_numpy()).agg(["sum", "count"])
    rows: list[dict[str, Any]] = []
    for name in features.columns:
        family = REGISTRY[name].family if name in REGISTRY else ""
        total = int(miss[name].sum())
        rows.append({"feature": name, "family": family, "spsti_id": "ALL", "n": len(miss),
                     "n_missing": total})
        for s in per.index:
            rows.append({"feature": name, "family": family, "spsti_id": s,
                         "n": int(per.loc[s, (name, "count")]),
                         "n_missing": int(per.loc[s, (name, "sum")])})
    out = pd.DataFrame(rows)
    out["share_missing"] = out["n_missing"] / out["n"].where(out["n"] > 0)
    return out


_DICT_COLUMNS = ["name", "family", "label_fr", "label_en", "description", "sources",
                 "thesauri", "dtype", "unit", "lookback", "missing", "levels", "group"]


def data_dictionary() -> pd.DataFrame:
    """The data dictionary of every registered feature, generated from the registry."""
    rows = []
    for f in REGISTRY.values():
        rows.append({
            "name": f.name, "family": f.family, "label_fr": f.label_fr, "label_en": f.label_en,
            "description": f.description, "sources": ";".join(f.sources),
            "thesauri": ";".join(f.thesauri), "dtype": f.dtype, "unit": f.unit,
            "lookback": f.lookback, "missing": f.missing,
            "levels": "" if f.levels is None else ";".join(f.levels), "group": f.group,
        })
    return pd.DataFrame(rows, columns=_DICT_COLUMNS)


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def data_dictionary_markdown() -> str:
    """The data dictionary as Markdown, one table per family."""
    d = data_dictionary()
    lines = [
        "# irdp feature data dictionary",
        "",
        "Generated from `irdp.features.REGISTRY` by `irdp features --dictionary docs/` "
        "(do not edit by hand; a test checks that it matches the registry).",
        "",
        f"{len(d)} features. Time unit: days; look-back windows 24 months = 730 days, "
        "5 years = 1826 days (floor(months × 365.25 / 12)). \"at index included\" means the "
        "information available at the start of the index visit is used.",
        "",
    ]
    for fam, title in FAMILIES.items():
        sub = d[d["family"] == fam]
        if sub.empty:
            continue
        lines += [f"## {title}", "", f"{len(sub)} features.", "",
                  "| name | label (fr) | label (en) | type | unit | look-back | sources | "
                  "missing when | definition |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for r in sub.itertuples():
            typ = r.dtype + (f" ({r.levels.replace(';', ', ')})" if r.levels else "")
            src = r.sources.replace(";", ", ") + (
                f" [{r.thesauri.replace(';', ', ')}]" if r.thesauri else "")
            cells = [f"`{r.name}`", r.label_fr, r.label_en, typ, r.unit, r.lookback, src,
                     r.missing, r.description]
            lines.append("| " + " | ".join(_md_cell(c) for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def write_data_dictionary(directory: str | Path) -> tuple[Path, Path]:
    """Write ``feature_dictionary.csv`` and ``feature_dictionary.md`` into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    csv_path = directory / "feature_dictionary.csv"
    md_path = directory / "feature_dictionary.md"
    data_dictionary().to_csv(csv_path, index=False, lineterminator="\n")
    md_path.write_text(data_dictionary_markdown() + "\n", encoding="utf-8")
    return csv_path, md_path
