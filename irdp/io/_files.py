"""Opening the files of an extract as DuckDB relations, refusing what cannot be read (private).

A CSV is checked for its encoding, header and structure, then parsed by DuckDB into a raw
VARCHAR table; when DuckDB refuses it, a pass of Python's :mod:`csv` finds the first broken
record so that the error names its row and line. A Parquet file stays where it is (a view); its
schema is read from the footer and its data pages are first read when the typed table is built
(:meth:`Validator.check_types`), where a damaged page becomes a :class:`FileFormatError`.
Files are only ever opened for reading.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from irdp.io import errors as E
from irdp.io._display import clean_text, names, shown_name
from irdp.io._types import literal

if TYPE_CHECKING:  # pragma: no cover
    from irdp.io._checks import Validator

__all__ = ["NON_EMPTY", "MAX_LINE_BYTES", "dataset_files", "locate", "open_csv", "open_parquet",
           "parquet_source", "partition_name", "sha256"]

#: Tables that must hold at least one row.
NON_EMPTY = ("worker", "company", "employment", "visit")

#: Column names the validator gives to its own columns (a file using one is refused).
RESERVED = ("__row", "file_row_number")

#: Longest CSV line read (bytes); DuckDB's read buffer is set to the same size (its default
#: buffer is 16 x its default 2 MiB line limit, so the memory used does not change).
MAX_LINE_BYTES = 32 * 1024 * 1024


def sha256(path: Path) -> str:
    """SHA-256 of a file, read in blocks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def dataset_files(path: Path) -> list[Path]:
    """The Parquet files of a partitioned table folder, sorted by their path in the folder."""
    return sorted((p for p in path.rglob("*.parquet") if p.is_file()),
                  key=lambda p: p.relative_to(path).as_posix())


def partition_name(root: Path, path: Path) -> str:
    """Name of a partition file: its path in the table folder without ``.parquet``."""
    return path.relative_to(root).as_posix().removesuffix(".parquet")


def parquet_source(paths: str | list[str], **options: bool | str) -> str:
    """``read_parquet(...)`` over one file or a list of files (a partitioned table)."""
    target = (literal(paths) if isinstance(paths, str)
              else "[" + ", ".join(literal(p) for p in paths) + "]")
    opts = "".join(f", {k}={literal(v) if isinstance(v, str) else str(v).lower()}"
                   for k, v in options.items())
    return f"read_parquet({target}{opts})"


def locate(folder: Path, t: str, fmt: str | None) -> tuple[Path | None, str | None, str]:
    """(path, format, why not) of the file of table ``t``.

    A folder ``<t>/`` holding ``.parquet`` files (at any depth, e.g. one file per SPSTI) is a
    partitioned table: the path returned is the folder.
    """
    found = []
    for ext, kind in ((".parquet", "parquet"), (".csv", "csv")):
        p = folder / f"{t}{ext}"
        if p.exists() and (fmt is None or fmt == kind):
            found.append((p, kind))
    d = folder / t
    if fmt in (None, "parquet") and d.is_dir() and dataset_files(d):
        found.append((d, "parquet"))
    if len(found) > 1:
        what = " and ".join(p.name + ("/" if p.is_dir() else "") for p, _ in found)
        return None, None, f"both {what} exist; keep one or pass format=."
    if not found:
        return None, None, ""
    return found[0][0], found[0][1], ""


# ---------------------------------------------------------------------- CSV
def _check_utf8(v: Validator, t: str, path: Path) -> bool:
    dec = codecs.getincrementaldecoder("utf-8")("strict")
    offset = 0
    newlines = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 23), b""):
            try:
                dec.decode(block)
            except UnicodeDecodeError as err:
                pos = err.start
                bad = block[pos:pos + 4]
                line = newlines + block[:pos].count(b"\n") + 1
                hint = ""
                try:
                    hint = f" (as Windows-1252 it would read {bad[:1].decode('cp1252')!r})"
                except UnicodeDecodeError:
                    pass
                v.add(E.EncodingError, t, "utf8",
                      f"byte {offset + pos} (line {line}) is not valid UTF-8{hint}; the file "
                      "looks Latin-1/Windows-1252 encoded. Re-export it as UTF-8.",
                      row=max(line - 1, 0), value=bad)
                return False
            offset += len(block)
            newlines += block.count(b"\n")
    try:
        dec.decode(b"", final=True)
    except UnicodeDecodeError:
        v.add(E.EncodingError, t, "utf8", "the file ends inside a UTF-8 character (truncated "
              "file?). Re-export it as UTF-8.", row=max(newlines, 0))
        return False
    return True


def _header(v: Validator, t: str, path: Path, delimiter: str) -> list[str] | None:
    """The header's column names, or None after reporting why it cannot be used."""
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        first = fh.readline()
        second = fh.readline()
    if not first.strip():
        v.add(E.EmptyFileError, t, "empty", "the file has no header line.", row=0)
        return None
    header = next(csv.reader([first], delimiter=delimiter))
    expected = v.schemas[t].names
    if len(header) == 1 and len(expected) > 1:
        found = max((";", "\t", "|", ","), key=first.count)
        if found != delimiter and first.count(found):
            v.add(E.DelimiterError, t, "delimiter",
                  f"the header is separated by {found!r}, not {delimiter!r}; re-export with "
                  f"{delimiter!r} or pass csv_delimiter={found!r}.", row=0)
            return None
    header = [h.strip() for h in header]
    if "" in header:
        v.add(E.ColumnError, t, "empty_column_name",
              f"header field {header.index('') + 1} has no name (a trailing or doubled "
              f"{delimiter!r}?); every column must be named.", row=0)
        return None
    lower = [h.lower() for h in header]
    dups = sorted({h for h, low in zip(header, lower, strict=True) if lower.count(low) > 1})
    if dups:
        v.add(E.DuplicateColumnError, t, "duplicate_column",
              f"the header repeats the column(s) {names(dups)} (names are compared without "
              "case); keep one column of each name.", row=0, column=shown_name(dups[0]))
        return None
    if not second.strip() and t in NON_EMPTY:
        v.add(E.EmptyFileError, t, "empty", f"table {t} has a header but no data row.")
        return None
    return header


_CSV_REASONS = (
    ("unexpected end of data", "a quoted value is never closed (unterminated quote)"),
    ("field larger than field limit", "a value is too long to be a field of the contract "
     "(probably an unterminated quote or binary data)"),
    ("expected after", "a quote inside a quoted value is not doubled"),
)


def _first_broken_record(path: Path, delimiter: str,
                         n_columns: int) -> tuple[int, int, str] | None:
    """(data row, line, reason) of the first record Python's csv reader cannot accept."""
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, quotechar='"', doublequote=True,
                            strict=True)
        row, start = 0, 1
        try:
            next(reader, None)
            while True:
                start = reader.line_num + 1
                record = next(reader, None)
                if record is None:
                    return None
                if not record:  # a blank line: skipped by every reader
                    continue
                row += 1
                if len(record) != n_columns:
                    return row, start, (f"the record has {len(record)} fields, the header "
                                        f"{n_columns}")
        except csv.Error as err:
            text = str(err)
            reason = next((r for key, r in _CSV_REASONS if key in text), clean_text(text))
            return row + 1, start, reason


def _csv_failure(v: Validator, t: str, path: Path, delimiter: str, n_columns: int,
                 err: duckdb.Error) -> None:
    broken = _first_broken_record(path, delimiter, n_columns)
    if broken is None:
        m = re.search(r"Line: (\d+)", str(err))
        row = int(m.group(1)) - 1 if m else None
        v.add(E.FileFormatError, t, "csv", f"the CSV cannot be parsed ({clean_text(str(err))})."
              " Check quoting and the number of fields per line.", row=row)
        return
    row, line, reason = broken
    v.add(E.FileFormatError, t, "csv",
          f"line {line}: {reason}. Every line must have the header's {n_columns} fields; "
          "quote values that contain the delimiter, a quote or a line break, and double the "
          "quotes inside them.", row=row)


def open_csv(v: Validator, t: str, path: Path, delimiter: str) -> bool:
    """Parse a CSV into ``raw_<t>`` (all VARCHAR) and the view ``src_<t>`` (with ``__row``)."""
    with path.open("rb") as fh:
        head = fh.read(4)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        v.add(E.EncodingError, t, "utf8", "the file is UTF-16 encoded (byte-order mark found); "
              "re-export it as UTF-8.", row=0)
        return False
    if not _check_utf8(v, t, path):
        return False
    header = _header(v, t, path, delimiter)
    if header is None:
        return False
    cols = ", ".join(f"{literal(h)}: 'VARCHAR'" for h in header)
    try:
        v.con.execute(
            f"CREATE TABLE raw_{t} AS SELECT * FROM read_csv({literal(str(path))}, "
            f"delim={literal(delimiter)}, quote='\"', escape='\"', header=true, "
            f"auto_detect=false, columns={{{cols}}}, strict_mode=true, "
            f"max_line_size={MAX_LINE_BYTES}, buffer_size={MAX_LINE_BYTES})")
    except duckdb.Error as err:
        _csv_failure(v, t, path, delimiter, len(header), err)
        return False
    v.columns[t] = {h: "VARCHAR" for h in header}
    v.bom[t] = head[:3] == b"\xef\xbb\xbf"
    if any(h.lower() in RESERVED for h in header):
        return True  # reported by check_columns
    v.con.execute(f"CREATE TEMP VIEW src_{t} AS SELECT *, rowid + 1 AS __row FROM raw_{t}")
    return True


# ---------------------------------------------------------------------- Parquet
def _footer(path: Path) -> tuple[list[str], int, pa.Schema] | None:
    """Top-level column names as written in the footer (DuckDB renames duplicates), the
    number of rows and the Arrow schema; None when pyarrow cannot read the footer."""
    try:
        md = pq.read_metadata(path)
        schema = md.schema.to_arrow_schema()
        return list(schema.names), md.num_rows, schema.remove_metadata()
    except (pa.ArrowException, OSError):
        return None


def _dataset_footers(v: Validator, t: str, root: Path, paths: list[Path]
                     ) -> tuple[list[str], list[int]] | None:
    """Column names and rows per file of a partitioned table, every file with the same
    schema; None after reporting the first file that cannot be read or differs."""
    first: tuple[list[str], int, pa.Schema] | None = None
    rows = []
    for p in paths:
        footer = _footer(p)
        shown_file = f"{t}/{p.relative_to(root).as_posix()}"
        if footer is None:
            v.add(E.FileFormatError, t, "parquet", f"the Parquet file {shown_file} cannot be "
                  "read (damaged footer); export it again.")
            return None
        if first is None:
            first = footer
        elif footer[2] != first[2]:
            v.add(E.FileFormatError, t, "partition_schema",
                  f"the Parquet file {shown_file} has other columns or column types than "
                  f"{t}/{paths[0].relative_to(root).as_posix()}; every file of a partitioned "
                  "table must have the same schema. Export them again together.")
            return None
        rows.append(footer[1])
    assert first is not None
    return first[0], rows


def _dataset_view(v: Validator, t: str, root: Path, paths: list[Path], rows: list[int]) -> None:
    """``src_<t>`` over every file, ``__row`` numbering the rows of the files in order."""
    offsets = [0]
    for n in rows[:-1]:
        offsets.append(offsets[-1] + n)
    v.parts[t] = (offsets, [f"{t}/{p.relative_to(root).as_posix()}" for p in paths])
    pairs = ", ".join(f"({literal(str(p))}, {o})" for p, o in zip(paths, offsets, strict=True))
    src = parquet_source([str(p) for p in paths], file_row_number=True, filename="__file")
    v.con.execute(f"CREATE TEMP VIEW src_{t} AS SELECT s.* EXCLUDE (file_row_number, __file), "
                  f"s.file_row_number + 1 + o.__offset AS __row FROM {src} s JOIN (VALUES "
                  f"{pairs}) o(__path, __offset) ON s.__file = o.__path")


def open_parquet(v: Validator, t: str, path: Path) -> bool:
    """Create the view ``src_<t>`` over a Parquet file, or over every file of a partitioned
    table folder, with ``__row`` (from the footers; no data page is read here)."""
    paths = dataset_files(path) if path.is_dir() else [path]
    p = parquet_source([str(x) for x in paths]) if path.is_dir() else parquet_source(str(path))
    footer: tuple[list[str], int] | tuple[list[str], int, pa.Schema] | None
    if path.is_dir():
        found = _dataset_footers(v, t, path, paths)
        if found is None:
            return False
        footer = (found[0], sum(found[1]))
    else:
        footer = _footer(path)
    try:
        desc = v.fetch(f"DESCRIBE SELECT * FROM {p}")
        n_rows = footer[1] if footer is not None else \
            v.fetch(f"SELECT count(*) FROM {p}")[0][0]
    except duckdb.Error as err:
        v.add(E.FileFormatError, t, "parquet", f"the Parquet file cannot be read "
              f"({clean_text(str(err))}); export it again.")
        return False
    written = [r[0] for r in desc] if footer is None else footer[0]
    lower = [n.lower() for n in written]
    dups = sorted({n for n, low in zip(written, lower, strict=True) if lower.count(low) > 1})
    if dups:
        v.add(E.DuplicateColumnError, t, "duplicate_column",
              f"the file holds several columns named {names(dups)} (names are compared "
              "without case); keep one column of each name.", column=shown_name(dups[0]))
        return False
    if any(n.lower() in RESERVED for n in written):
        v.columns[t] = {r[0]: r[1] for r in desc}  # reported by check_columns
        return True
    if path.is_dir():
        _dataset_view(v, t, path, paths, found[1])
        v.paths[t] = [str(x) for x in paths]
    else:
        v.con.execute(f"CREATE TEMP VIEW src_{t} AS SELECT * EXCLUDE (file_row_number), "
                      f"file_row_number + 1 AS __row FROM "
                      f"{parquet_source(str(path), file_row_number=True)}")
        v.paths[t] = str(path)
    v.columns[t] = {r[0]: r[1] for r in desc}
    if t in NON_EMPTY and n_rows == 0:
        v.add(E.EmptyFileError, t, "empty", f"table {t} has no row.")
        return False
    return True
