"""Typed views of an extract's tables, shared by the cohort and feature builders (private).

Every query of :mod:`irdp.cohort` and :mod:`irdp.features` reads the views
``_irdp_<table>`` created here rather than the raw tables, so that:

- dates are DuckDB ``DATE`` whatever the source type (ISO strings, pandas timestamps);
- booleans and integers have one type;
- an optional table or nullable column that is absent from the extract reads as empty or
  ``NULL`` instead of failing (the features built from it are then missing, never zero).

The columns, their types and which of them are required come from the extract contract
(``data_schemas/``, read by :func:`irdp.io.load_schemas`; there is no other copy). The tables
the builders cannot do without (``worker``, ``visit``, ``conclusion``) and every column the
contract marks as required must be present; otherwise an
:class:`~irdp.exceptions.ExtractError` names what is missing.
"""

from __future__ import annotations

import itertools

from irdp.exceptions import ExtractError
from irdp.io.extract import Extract
from irdp.io.schema import load_schemas

__all__ = ["COLUMNS", "REQUIRED", "prepare"]


def _columns() -> dict[str, tuple[tuple[str, str, bool], ...]]:
    return {t: tuple((f.name, f.sql_type, f.required) for f in s.fields)
            for t, s in load_schemas().items()}


#: Columns of the contract (``data_schemas/``, the only copy): (name, DuckDB type, required).
COLUMNS: dict[str, tuple[tuple[str, str, bool], ...]] = _columns()

#: Tables without which no cohort can be built.
REQUIRED: tuple[str, ...] = ("worker", "visit", "conclusion")

_counter = itertools.count()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _present_columns(extract: Extract, table: str) -> set[str]:
    return set(extract[table].columns)


def prepare(extract: Extract) -> str:
    """Create typed temporary views of ``extract`` and return their name prefix.

    The views are named ``<prefix><table>`` for every table of :data:`COLUMNS`. A fresh
    prefix is used on each call so that concurrent builds on one connection never clash.
    """
    if not isinstance(extract, Extract):
        raise TypeError(
            f"extract must be an irdp.io.Extract (from irdp.io.read_extract or "
            f"Extract.from_frames); got {type(extract).__name__}."
        )
    missing_tables = [t for t in REQUIRED if t not in extract.names]
    if missing_tables:
        raise ExtractError(
            f"the extract must contain the tables {list(REQUIRED)}; {missing_tables} are missing "
            f"(it has {list(extract.names)}). Check the extract folder against docs/contract.md."
        )
    prefix = f"_irdp{next(_counter)}_"
    con = extract.connection
    for table, cols in COLUMNS.items():
        present = _present_columns(extract, table) if table in extract.names else None
        select = []
        for name, sqltype, required in cols:
            if present is not None and name in present:
                select.append(f"CAST({_quote(name)} AS {sqltype}) AS {name}")
            elif present is not None and required:
                raise ExtractError(
                    f"table {table!r} must have the column {name!r} (docs/contract.md); its "
                    f"columns are {sorted(present)}. Rename or add the column."
                )
            else:
                select.append(f"CAST(NULL AS {sqltype}) AS {name}")
        source = f"FROM {_quote(table)}" if present is not None else "WHERE false"
        con.execute(f"CREATE OR REPLACE TEMP VIEW {prefix}{table} AS SELECT {', '.join(select)} "
                    f"{source}")
    return prefix


def drop(extract: Extract, prefix: str) -> None:
    """Drop the views created by :func:`prepare`."""
    for table in COLUMNS:
        extract.connection.execute(f"DROP VIEW IF EXISTS {prefix}{table}")
