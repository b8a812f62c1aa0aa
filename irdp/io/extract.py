"""The :class:`Extract`: a DMST extract held in an embedded DuckDB database.

Tables are registered in an in-process DuckDB connection (no server). Queries are lazy
relations; results are materialised on request as pandas or Arrow.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

__all__ = ["Extract", "TABLES", "connect"]

#: The tables of the contract, in load order (parents before children).
TABLES: tuple[str, ...] = (
    "worker",
    "company",
    "employment",
    "visit",
    "conclusion",
    "diagnosis",
    "exposure",
    "questionnaire",
    "exit",
)


def connect(settings: Mapping[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """A new in-process DuckDB connection set up for irdp.

    Parameters
    ----------
    settings : mapping, optional
        DuckDB settings applied with ``SET`` (e.g. ``{"memory_limit": "4GB", "threads": 2}``);
        the progress bar is always off.

    Examples
    --------
    >>> con = connect({"threads": 1})
    >>> con.execute("SELECT current_setting('threads')").fetchall()
    [(1,)]
    """
    con = duckdb.connect()
    wanted = {"enable_progress_bar": False, **dict(settings or {})}
    for name, value in wanted.items():
        if not isinstance(name, str) or not name.replace("_", "").isalnum():
            raise ValueError(f"DuckDB setting names are words with underscores; got {name!r}.")
        try:
            con.execute(f"SET {name} = ?", [value])
        except duckdb.InvalidInputException:
            if name != "enable_progress_bar":
                raise
            # inside Jupyter without ipywidgets DuckDB refuses to change the setting; it then
            # shows no progress bar anyway
    return con


class Extract(Mapping[str, duckdb.DuckDBPyRelation]):
    """A DMST extract: named tables queryable with DuckDB.

    Build one with :func:`irdp.io.read_extract` (validated files) or
    :meth:`Extract.from_frames` (in-memory data, e.g. in tests). It is a read-only mapping
    from table name to a lazy DuckDB relation.

    Parameters
    ----------
    connection : duckdb.DuckDBPyConnection
        Connection in which every table of ``names`` is a view or registered object.
    names : sequence of str
        Tables present.
    source : pathlib.Path, optional
        Folder the extract was read from.
    metadata : dict, optional
        Free metadata (schema version, hashes, code-system versions found...).
    partitions : mapping, optional
        For an extract partitioned by SPSTI: partition name -> table -> SQL query of that
        table restricted to the partition (set by :func:`irdp.io.read_extract`).
    settings : mapping, optional
        DuckDB settings of :attr:`connection`, reused for the partitions' connections.
    """

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection,
        names: tuple[str, ...] | list[str],
        *,
        source: Path | None = None,
        metadata: dict[str, Any] | None = None,
        partitions: Mapping[str, Mapping[str, str]] | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        self.connection = connection
        self.names = tuple(names)
        self.source = source
        self.metadata = dict(metadata or {})
        self._partitions = {k: dict(v) for k, v in (partitions or {}).items()}
        self.settings = dict(settings or {})

    @property
    def partitions(self) -> tuple[str, ...]:
        """Names of the partitions (SPSTI) of a partitioned extract; empty otherwise."""
        return tuple(self._partitions)

    def partition(self, name: str) -> Extract:
        """The extract restricted to one partition, in a connection of its own.

        Each table is a lazy view over that partition's file only (with the validated
        conversions); a table kept in one file is whole. A worker belongs to one SPSTI, so a
        cohort or features built on each partition and stacked equal those built on the
        whole extract.

        Parameters
        ----------
        name : str
            One of :attr:`partitions`.

        Returns
        -------
        Extract
        """
        if name not in self._partitions:
            raise KeyError(f"partition {name!r} is not in this extract; it has "
                           f"{len(self._partitions)} partitions"
                           + (f" ({list(self._partitions)[:5]}...)." if self._partitions
                              else " (it is not partitioned)."))
        con = connect(self.settings)
        for t, body in self._partitions[name].items():
            con.execute(f'CREATE VIEW "{t}" AS {body}')
        meta = {**self.metadata, "partition": name}
        return Extract(con, self.names, source=self.source, metadata=meta,
                       settings=self.settings)

    @classmethod
    def from_frames(
        cls,
        frames: Mapping[str, pd.DataFrame | pa.Table],
        *,
        metadata: dict[str, Any] | None = None,
    ) -> Extract:
        """Wrap in-memory tables (no validation; see :func:`irdp.io.validate_extract`)."""
        con = connect()
        names = []
        for name, frame in frames.items():
            table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(
                frame, preserve_index=False
            )
            con.register(name, table)
            names.append(name)
        return cls(con, names, metadata=metadata)

    def __getitem__(self, name: str) -> duckdb.DuckDBPyRelation:
        if name not in self.names:
            raise KeyError(f"table {name!r} is not in this extract; it has {list(self.names)}.")
        return self.connection.table(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def sql(self, query: str) -> duckdb.DuckDBPyRelation:
        """Run a SQL query over the extract's tables and return a lazy relation."""
        return self.connection.sql(query)

    def fetch(self, query: str, params: Any = None) -> list[tuple[Any, ...]]:
        """Run a (parameterised) SQL query and return all rows."""
        return self.connection.execute(query, params or []).fetchall()

    def to_pandas(self, name: str) -> pd.DataFrame:
        """Materialise one table as a pandas DataFrame."""
        return self[name].df()

    def to_arrow(self, name: str) -> pa.Table:
        """Materialise one table as an Arrow table."""
        return self[name].to_arrow_table()

    def n_rows(self, name: str) -> int:
        """Number of rows of one table."""
        return int(self.connection.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0])

    def __repr__(self) -> str:
        src = f", source={str(self.source)!r}" if self.source else ""
        return f"Extract(tables={list(self.names)}{src})"
