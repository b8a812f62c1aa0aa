"""``read_extract``: load a folder of Parquet or CSV files and validate it against the contract.

Validation runs in DuckDB SQL (a typed view over each Parquet file or folder, a typed table for
each CSV file; one aggregate scan per table for the field rules, then key, reference,
consistency and chronology queries that read only the columns they need), so a 1 M-worker
extract is validated in seconds, and an 18 M-worker one in bounded memory, without holding
Arrow tables in Python. Input files
are only ever read. All problems are collected (up to ``max_errors``) and raised together as one
:class:`~irdp.io.errors.ExtractValidationError`; no message shows an identifier.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from irdp.io import errors as E
from irdp.io._checks import IDENTIFIER_COLUMN_PATTERNS, Validator
from irdp.io._display import clean_text
from irdp.io._files import (
    dataset_files,
    locate,
    open_csv,
    open_parquet,
    parquet_source,
    partition_name,
    sha256,
)
from irdp.io._types import quote
from irdp.io.extract import TABLES, Extract, PartitionLayout, connect
from irdp.io.schema import TableSchema, load_schemas
from irdp.privacy.pseudonymise import NIR_PATTERN, Pseudonymiser

__all__ = ["read_extract", "validate_extract", "IDENTIFIER_COLUMN_PATTERNS", "NIR_PATTERN"]


def _as_pseudonymiser(p: Any) -> Pseudonymiser | None:
    if p is None or isinstance(p, Pseudonymiser):
        return p
    if isinstance(p, bytes | bytearray | str):
        return Pseudonymiser(p)
    raise TypeError("pseudonymise must be None, a key (bytes or str) or a Pseudonymiser; got "
                    f"{type(p).__name__}.")


def _as_of(as_of: Any) -> date:
    if as_of is None:
        return date.today()
    if isinstance(as_of, date):
        return as_of
    if not isinstance(as_of, str):
        raise TypeError(f"as_of must be a date, an ISO date string or None; got "
                        f"{type(as_of).__name__}.")
    try:
        return date.fromisoformat(as_of)
    except ValueError as err:
        raise ValueError(f"as_of must be an ISO date YYYY-MM-DD; got {as_of[:20]!r}.") from err


def _pseudonym_maps(v: Validator) -> dict[str, str]:
    """Register one (original, pseudonym) table per key column name; returns their names."""
    key_tables: dict[str, list[str]] = {}
    for t, s in v.schemas.items():
        for f in s.fields:
            if f.is_key:
                key_tables.setdefault(f.name, []).append(t)
    maps = {}
    for col, tables in key_tables.items():
        union = " UNION ".join(f"SELECT {quote(col)} AS v FROM typed_{t}" for t in tables)
        values = [r[0] for r in v.fetch(f"SELECT DISTINCT v FROM ({union}) WHERE v IS NOT NULL")]
        v.con.register(f"map_{col}", pa.table({
            "orig": pa.array(values, pa.string()),
            "pseudo": pa.array(v.pseudo.many(values) if v.pseudo else [], pa.string())}))
        maps[col] = f"map_{col}"
    return maps


def _layout(v: Validator, exprs: dict[str, str]) -> PartitionLayout | None:
    """Where the partitions are, when every table is a Parquet view and one at least is a
    partitioned folder (a table held in one file is whole in every partition)."""
    if set(exprs) != set(v.schemas) or not any(isinstance(p, list) for p in v.paths.values()):
        return None
    files: dict[str, dict[str, str]] = {}
    shared: dict[str, str] = {}
    for t, paths in v.paths.items():
        if isinstance(paths, str):
            shared[t] = paths
            continue
        root = Path(paths[0]).parent
        while root.name != t:
            root = root.parent
        for p in paths:
            files.setdefault(partition_name(root, Path(p)), {})[t] = p
    return PartitionLayout(exprs=exprs, files=files, shared=shared)


def _finalise(v: Validator, materialise: set[str]) -> PartitionLayout | None:
    """Create the final relations (named like the tables) from the typed tables; returns the
    layout of a partitioned extract (see :meth:`Extract.partition`)."""
    con = v.con
    maps = _pseudonym_maps(v) if v.pseudo is not None else {}
    exprs_of: dict[str, str] = {}
    for t, s in v.schemas.items():
        sel, joins = [], []
        for f in s.fields:
            if f.name in maps and f.is_key:
                alias = quote(f"m_{f.name}")
                sel.append(f"{alias}.pseudo AS {quote(f.name)}")
                joins.append(f"LEFT JOIN {maps[f.name]} {alias} ON x.{quote(f.name)} = "
                             f"{alias}.orig")
            else:
                sel.append(f"CAST(x.{quote(f.name)} AS {f.sql_type}) AS {quote(f.name)}")
        body = f"SELECT {', '.join(sel)} FROM typed_{t} x {' '.join(joins)} ORDER BY x.__row"
        if maps or t in materialise or t not in v.paths:
            con.execute(f"CREATE TABLE {quote(t)} AS {body}")
        else:  # Parquet: a lazy view over the file(s), with the validated conversions
            exprs_of[t] = ", ".join(
                f"CAST({v.conversions[t][f.name].expr} AS {f.sql_type}) AS {quote(f.name)}"
                for f in s.fields)
            con.execute(f"CREATE VIEW {quote(t)} AS SELECT {exprs_of[t]} FROM "
                        f"{parquet_source(v.paths[t])}")
    v.drop_work_tables()
    for m in maps.values():
        con.unregister(m)
    return _layout(v, exprs_of)


def _open_dataset(v: Validator, t: str, p: Path, files: dict[str, dict[str, Any]]) -> bool:
    """Hash every file of a partitioned table and open them as one view."""
    parts = dataset_files(p)
    v.files[t] = f"{p.name}/"
    try:
        digests = [(partition_name(p, f), f.stat().st_size, sha256(f)) for f in parts]
    except OSError as err:
        v.add(E.FileFormatError, t, "unreadable", f"a file of the folder cannot be read "
              f"({clean_text(err.strerror or type(err).__name__)}); check its permissions.")
        return False
    listing = "\n".join(f"{n} {b} {h}" for n, b, h in digests).encode()
    files[t] = {"path": str(p), "format": "parquet", "bytes": sum(d[1] for d in digests),
                "sha256": hashlib.sha256(listing).hexdigest(),
                "partitions": {n: {"bytes": b, "sha256": h} for n, b, h in digests}}
    empty = [n for n, b, _ in digests if b == 0]
    if empty:
        v.add(E.EmptyFileError, t, "empty", f"the file {t}/{empty[0]}.parquet is empty "
              "(0 bytes).")
        return False
    return open_parquet(v, t, p)


def _open(v: Validator, folder: Path, t: str, fmt: str | None, delimiter: str,
          files: dict[str, dict[str, Any]]) -> bool:
    """Locate, hash and open the file of table ``t``; False after reporting why not."""
    p, kind, why = locate(folder, t, fmt)
    if p is None:
        v.add(E.MissingTableError, t, "missing_table", why or (
            f"no file {t}.parquet or {t}.csv (nor a folder {t}/ of Parquet files) in the "
            "extract folder; every table of the contract is required (a table may have a "
            "header and no row)."))
        return False
    if p.is_dir() and p.name == t:  # a folder <t>/ of Parquet files (partitioned table)
        return _open_dataset(v, t, p, files)
    v.files[t] = p.name
    if not p.is_file():
        v.add(E.FileFormatError, t, "not_a_file", f"{p.name} is not a regular file (a folder?);"
              f" write one file per table, or a folder {t}/ of Parquet files.")
        return False
    try:
        files[t] = {"path": str(p), "format": kind, "bytes": p.stat().st_size,
                    "sha256": sha256(p)}
    except OSError as err:
        v.add(E.FileFormatError, t, "unreadable", f"the file cannot be read "
              f"({clean_text(err.strerror or type(err).__name__)}); check its permissions.")
        return False
    if files[t]["bytes"] == 0:
        v.add(E.EmptyFileError, t, "empty", "the file is empty (0 bytes).")
        return False
    if kind == "csv":
        if not open_csv(v, t, p, delimiter):
            return False
        files[t]["bom"] = v.bom[t]
        return True
    return open_parquet(v, t, p)


def read_extract(
    path: str | Path,
    *,
    format: Literal["parquet", "csv"] | None = None,
    max_errors: int = 100,
    examples_per_rule: int = 5,
    pseudonymise: bytes | str | Pseudonymiser | None = None,
    as_of: date | str | None = None,
    csv_delimiter: str = ",",
    extra_columns: Literal["error", "drop"] = "error",
    schemas: Mapping[str, TableSchema] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> Extract:
    """Read a folder of Parquet or CSV files and validate it against ``data_schemas/``.

    Parameters
    ----------
    path : str or pathlib.Path
        Folder holding one file per table: ``<table>.parquet`` or ``<table>.csv`` (UTF-8,
        comma-separated, header line; a UTF-8 byte-order mark is accepted and ignored), or,
        for large extracts, a folder ``<table>/`` of Parquet files with the same schema (one
        per SPSTI, e.g. ``visit/S001.parquet``, as :func:`irdp.synth.generate_dmst_partitioned`
        writes). A partitioned table is validated in place as one table (rows are numbered
        file after file in the order of their paths; a problem names the file and its row in
        that file) and the extract can then be processed one partition at a time
        (:meth:`Extract.partition`).
    format : {"parquet", "csv"}, optional
        Only look for files of this format (default: whichever exists).
    max_errors : int, default=100
        Maximum number of problems listed in the error.
    examples_per_rule : int, default=5
        Example rows listed per broken rule and column (the count of all rows is given).
    pseudonymise : bytes, str or Pseudonymiser, optional
        Secret key (or a :class:`~irdp.privacy.Pseudonymiser`): the key columns of the
        contract (``x-identifier`` kind ``key``: worker, company, employment, visit and exposure
        ids) are replaced by their HMAC-SHA256 pseudonyms and direct-identifier columns (names,
        addresses, NIR, full birth dates) are dropped instead of refused; key values are then
        masked in every message. The key is never stored.
    as_of : date or ISO str, optional
        Extraction date: later dates are refused (default: today).
    csv_delimiter : str, default=","
        Delimiter of CSV files.
    extra_columns : {"error", "drop"}, default="error"
        What to do with columns that are not in the contract (identifier-like columns are
        always refused unless ``pseudonymise`` is given).
    schemas : mapping, optional
        Contract to validate against (default: :func:`irdp.io.load_schemas`).
    settings : mapping, optional
        DuckDB settings of the connection (:func:`irdp.io.connect`), e.g.
        ``{"memory_limit": "6GB", "temp_directory": "/scratch/irdp-spill", "threads": 2}``:
        validation queries then stay under the memory limit and spill to the directory.
        Kept by the extract for its partitions.

    Returns
    -------
    Extract
        Tables as DuckDB relations (Parquet files stay lazy views; CSV files are parsed into
        typed tables). ``metadata`` holds the schema version, per-file SHA-256 and sizes,
        ``as_of``, dropped columns, whether ids were pseudonymised and ``numeric_identifiers``
        (the ``table.column`` identifier columns holding purely numeric values, which the
        contract allows).

    Raises
    ------
    ExtractValidationError
        Or one of its subclasses (``MissingTableError``, ``MissingColumnError``,
        ``DuplicateColumnError``, ``TypeMismatchError``, ``UnparsableDateError``,
        ``CodeSystemError``, ``DuplicateKeyError``, ``ForeignKeyError``,
        ``ConsistencyError``, ``FutureDateError``, ``BeforeBirthError``,
        ``AfterExitError``, ``OutsideEmploymentError``, ``EmptyFileError``,
        ``FileFormatError``, ``EncodingError``, ``DelimiterError``, ``IdentifierError``...),
        listing every problem (file, row, column, value, rule) up to ``max_errors``, with
        identifiers masked and long values shortened. Input files are never modified.

    Examples
    --------
    >>> import tempfile
    >>> from irdp.synth import generate_dmst
    >>> folder = tempfile.mkdtemp()
    >>> _ = generate_dmst(500, n_spsti=2, seed=0, out=folder)
    >>> ex = read_extract(folder)
    >>> ex.n_rows("worker"), ex.metadata["schema_version"]
    (500, '2.0.0')
    """
    folder = Path(path)
    if format not in (None, "parquet", "csv"):
        raise ValueError(f"format must be None, 'parquet' or 'csv'; got {format!r}.")
    if extra_columns not in ("error", "drop"):
        raise ValueError(f"extra_columns must be 'error' or 'drop'; got {extra_columns!r}.")
    if not isinstance(max_errors, int) or max_errors < 1:
        raise ValueError(f"max_errors must be a positive int; got {max_errors!r}.")
    if not isinstance(csv_delimiter, str) or len(csv_delimiter) != 1 or csv_delimiter in '"\n\r':
        raise ValueError(f"csv_delimiter must be one character other than a quote or a line "
                         f"break; got {csv_delimiter!r}.")
    as_of_d = _as_of(as_of)
    pseudo = _as_pseudonymiser(pseudonymise)
    if not folder.is_dir():
        raise E.MissingTableError([E.Problem(E.MissingTableError, None, folder.name, "folder",
                                             "the path is not a folder; pass the folder that "
                                             "holds the table files.")], str(folder))
    schemas = dict(schemas or load_schemas())
    settings = dict(settings or {})
    v = Validator(connect(settings), schemas, max_errors=max_errors, examples=examples_per_rule,
                  as_of=as_of_d, pseudonymiser=pseudo, extra_columns=extra_columns)
    files: dict[str, dict[str, Any]] = {}
    csv_tables = {t for t in schemas
                  if _open(v, folder, t, format, csv_delimiter, files)
                  and files[t]["format"] == "csv"}
    v.validate()
    E.raise_problems(v.problems, str(folder), v.truncated)
    parts = _finalise(v, csv_tables)
    meta = {"schema_version": next(iter(schemas.values())).version, "files": files,
            "as_of": as_of_d.isoformat(), "pseudonymised": pseudo is not None,
            "dropped_columns": v.dropped, "numeric_identifiers": sorted(v.numeric_ids)}
    return Extract(v.con, [t for t in TABLES if t in schemas], source=folder, metadata=meta,
                   partitions=parts, settings=settings)


def validate_extract(extract: Extract, *, max_errors: int = 100, as_of: date | str | None = None,
                     examples_per_rule: int = 5) -> None:
    """Validate an in-memory :class:`Extract` (e.g. from ``Extract.from_frames``).

    Raises the same errors as :func:`read_extract` (row numbers are positions in each table,
    1-based); returns None when the extract satisfies the contract.
    """
    schemas = load_schemas()
    con = extract.connection
    v = Validator(con, schemas, max_errors=max_errors, examples=examples_per_rule,
                  as_of=_as_of(as_of), pseudonymiser=None, extra_columns="error")
    for t in schemas:
        if t not in extract.names:
            v.add(E.MissingTableError, t, "missing_table", f"table {t} is not in the extract.")
            continue
        con.execute(f"CREATE OR REPLACE TEMP VIEW src_{t} AS SELECT *, "
                    f"row_number() OVER () AS __row FROM {quote(t)}")
        v.columns[t] = {r[0]: r[1] for r in con.execute(f"DESCRIBE {quote(t)}").fetchall()}
    try:
        v.validate()
    finally:
        v.drop_work_tables()
    E.raise_problems(v.problems, "in-memory extract", v.truncated)
