"""The :class:`Extract`: a DMST extract held in an embedded DuckDB database.

Tables are registered in an in-process DuckDB connection (no server). Queries are lazy
relations; results are materialised on request as pandas or Arrow.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

__all__ = ["Extract", "PartitionLayout", "PartitionOpener", "TABLES", "connect"]

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


def _source(paths: str | list[str]) -> str:
    def lit(p: str) -> str:
        return "'" + p.replace("'", "''") + "'"
    return (f"read_parquet({lit(paths)})" if isinstance(paths, str)
            else "read_parquet([" + ", ".join(lit(p) for p in paths) + "])")


@dataclass(frozen=True)
class PartitionLayout:
    """Where the partitions of a partitioned extract are (set by :func:`read_extract`).

    Attributes
    ----------
    exprs : dict
        Table -> SQL select list turning the stored columns into the contract types.
    files : dict
        Partition name -> table -> Parquet file of that table in that partition.
    shared : dict
        Tables held whole (one file, not partitioned): table -> file.
    """

    exprs: dict[str, str]
    files: dict[str, dict[str, str]]
    shared: dict[str, str]

    @property
    def names(self) -> tuple[str, ...]:
        """Partition names, sorted."""
        return tuple(sorted(self.files))

    def sql(self, table: str, names: Sequence[str]) -> str:
        """The query of ``table`` restricted to the partitions ``names``."""
        exprs = self.exprs[table]
        if table in self.shared:
            return f"SELECT {exprs} FROM {_source(self.shared[table])}"
        own = [self.files[n][table] for n in names if table in self.files[n]]
        if own:
            return f"SELECT {exprs} FROM {_source(own)}"
        any_file = next(f[table] for f in self.files.values() if table in f)
        return f"SELECT {exprs} FROM {_source(any_file)} WHERE false"


@dataclass(frozen=True)
class PartitionOpener:
    """Opens partitions of a partitioned extract, each batch in a connection of its own.

    It holds only the layout and the settings (no connection), so it pickles: batches of
    partitions can be processed in other processes (joblib workers, Dask tasks), each opening
    its own partitions (:meth:`Extract.opener`).

    Attributes
    ----------
    names : tuple of str
        Tables of the extract.
    layout : PartitionLayout
    settings : dict
        DuckDB settings of the connections.
    source : pathlib.Path or None
    metadata : dict
    """

    names: tuple[str, ...]
    layout: PartitionLayout
    settings: dict[str, Any]
    source: Path | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __call__(self, names: str | Sequence[str]) -> Extract:
        """The extract restricted to the partitions ``names`` (see :meth:`Extract.partition`)."""
        wanted = [names] if isinstance(names, str) else list(names)
        unknown = [n for n in wanted if n not in self.layout.files]
        if unknown or not wanted:
            raise KeyError(f"partitions {unknown} are not in this extract; it has "
                           f"{len(self.layout.files)} partitions "
                           f"({list(self.layout.names)[:5]}...).")
        con = connect(self.settings)
        for t in self.names:
            con.execute(f'CREATE VIEW "{t}" AS {self.layout.sql(t, wanted)}')
        meta = {**self.metadata, "partition": names if isinstance(names, str) else wanted}
        return Extract(con, self.names, source=self.source, metadata=meta,
                       settings=self.settings)


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
    partitions : PartitionLayout, optional
        For an extract partitioned by SPSTI, where each partition's files are (set by
        :func:`irdp.io.read_extract`).
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
        partitions: PartitionLayout | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        self.connection = connection
        self.names = tuple(names)
        self.source = source
        self.metadata = dict(metadata or {})
        self.layout = partitions
        self.settings = dict(settings or {})

    @property
    def partitions(self) -> tuple[str, ...]:
        """Names of the partitions (SPSTI) of a partitioned extract; empty otherwise."""
        return () if self.layout is None else self.layout.names

    def partition(self, names: str | Sequence[str]) -> Extract:
        """The extract restricted to one partition (or several), in a connection of its own.

        Each table is a lazy view over the files of these partitions only (with the
        validated conversions); a table kept in one file is whole. A worker belongs to one
        SPSTI, so a cohort or features built on each partition and stacked equal those built
        on the whole extract.

        Parameters
        ----------
        names : str or sequence of str
            One or several of :attr:`partitions`.

        Returns
        -------
        Extract
        """
        if self.layout is None:
            wanted = [names] if isinstance(names, str) else list(names)
            raise KeyError(f"partitions {wanted} are not in this extract; it has 0 partitions "
                           "(it is not partitioned).")
        return self.opener()(names)

    def opener(self) -> PartitionOpener:
        """A picklable :class:`PartitionOpener` of this extract's partitions (for work on
        partitions in other processes).

        Raises
        ------
        ValueError
            The extract is not partitioned.
        """
        if self.layout is None:
            raise ValueError("the extract is not partitioned (read a folder of <table>/"
                             "<spsti>.parquet files with read_extract).")
        return PartitionOpener(self.names, self.layout, dict(self.settings), self.source,
                               dict(self.metadata))

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
