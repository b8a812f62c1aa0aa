"""Fuzz suite of the loader (issue 14): corruptions of a small CSV or Parquet extract, each with
its expected outcome asserted, and every input file hashed before and after every case.

A refused case names the exception class and the file, row, column and rule of the problem it
must contain; an accepted case says what the contract allows and checks the loaded value. For
every refused case the error must never show an identifier (no NIR/INS-shaped digits anywhere in
the message, no value listed in ``hidden``) nor a long value, and every problem names its file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import random
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from io_fuzz_base import Base, digests, make_base, read_csv_text

from irdp.io import (
    AfterExitError,
    BeforeBirthError,
    CodeSystemError,
    ColumnError,
    ConsistencyError,
    ConstraintError,
    DateOrderError,
    DelimiterError,
    DuplicateColumnError,
    DuplicateKeyError,
    EmptyFileError,
    EncodingError,
    ExtraColumnError,
    ExtractValidationError,
    FileFormatError,
    ForeignKeyError,
    FutureDateError,
    IdentifierError,
    MissingColumnError,
    MissingTableError,
    OutsideEmploymentError,
    TypeMismatchError,
    UnparsableDateError,
    VisitAfterExitError,
    load_schemas,
    read_extract,
)
from irdp.io import read as irdp_read
from irdp.io.extract import connect
from irdp.privacy.pseudonymise import contains_nir

KEY = b"fuzz-study-secret-0123456789abcd"
NIR = "185077512345678"
NIR_SPACED = "1 85 07 75 123 456 78"
BIG = 1_000_000
ANY = object()

Mutation = Callable[[Path, str, Base], None]


@pytest.fixture(scope="session")
def base(tmp_path_factory) -> Base:
    """A 40-worker synthetic extract as Parquet and as CSV (never modified)."""
    return make_base(tmp_path_factory.mktemp("fuzz_base"))


@dataclass(frozen=True)
class Case:
    """One corruption and its expected outcome (``expect=None``: accepted)."""

    id: str
    fmt: str
    mutate: Mutation
    expect: type | None
    table: str | None = None
    row: Any = ANY
    column: Any = ANY
    rule: Any = ANY
    hidden: tuple[str, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    check: Callable[[Any, Base], None] | None = None
    only: tuple[str, ...] | None = None  # the only rules the error may hold


# ---------------------------------------------------------------------- mutation helpers
def _path(folder: Path, fmt: str, table: str) -> Path:
    return folder / f"{table}.{fmt}"


def _write(folder: Path, fmt: str, table: str, t: pa.Table) -> None:
    if fmt == "parquet":
        pq.write_table(t, _path(folder, fmt, table))
    else:
        pacsv.write_csv(t, _path(folder, fmt, table))


def put(table: str, column: str, i: int, value: Any, ptype: pa.DataType | None = None,
        csv: str | None = None) -> Mutation:
    """Set one cell: the CSV text ``csv`` (default ``str(value)``), or in Parquet the value in
    a column of type ``ptype`` (default: the column's type)."""

    def m(folder: Path, fmt: str, base: Base) -> None:
        if fmt == "csv":
            df = read_csv_text(_path(folder, fmt, table))
            df.loc[i, column] = csv if csv is not None else str(value)
            df.to_csv(_path(folder, fmt, table), index=False)
            return
        t = base.arrow[table]
        vals = t.column(column).to_pylist()
        vals[i] = value
        typ = ptype or t.schema.field(column).type
        if pa.types.is_string(typ):
            vals = [None if v is None else str(v) for v in vals]
        elif pa.types.is_integer(typ):
            vals = [int(v) if isinstance(v, bool) else v for v in vals]
        arr = pa.array(vals, type=typ, from_pandas=False)
        _write(folder, fmt, table, t.set_column(t.schema.get_field_index(column), column, arr))

    return m


def rows(table: str, fn: Callable[[list[dict], Base], None]) -> Mutation:
    """Edit the typed rows of a table (same values in both formats)."""

    def m(folder: Path, fmt: str, base: Base) -> None:
        t = base.arrow[table]
        data = t.to_pylist()
        fn(data, base)
        _write(folder, fmt, table, pa.Table.from_pylist(data, schema=t.schema))

    return m


def arrow(table: str, fn: Callable[[pa.Table], pa.Table]) -> Mutation:
    """Rewrite a table from an edited Arrow table (Parquet: its storage types)."""

    def m(folder: Path, fmt: str, base: Base) -> None:
        _write(folder, fmt, table, fn(base.arrow[table]))

    return m


def text(table: str, fn: Callable[[str], str], encoding: str = "utf-8") -> Mutation:
    """Edit a CSV file as text."""

    def m(folder: Path, fmt: str, base: Base) -> None:
        p = _path(folder, "csv", table)
        p.write_bytes(fn(p.read_text(encoding="utf-8")).encode(encoding))

    return m


def raw(table: str, fn: Callable[[bytes], bytes]) -> Mutation:
    """Edit a file as bytes."""

    def m(folder: Path, fmt: str, base: Base) -> None:
        p = _path(folder, fmt, table)
        p.write_bytes(fn(p.read_bytes()))

    return m


def both(*ms: Mutation) -> Mutation:
    def m(folder: Path, fmt: str, base: Base) -> None:
        for x in ms:
            x(folder, fmt, base)

    return m


def remap(column: str, mapping: Callable[[str], str],
          tables: tuple[str, ...] = ("worker", "employment", "visit", "exposure", "exit")
          ) -> Mutation:
    def fn(data: list[dict], base: Base) -> None:
        for r in data:
            if r[column] is not None:
                r[column] = mapping(r[column])

    return both(*(rows(t, fn) for t in tables))


def lines(table: str, fn: Callable[[list[str]], list[str]]) -> Mutation:
    """Edit the lines of a CSV rewritten with minimal quoting (index 0 is the header)."""

    def m(folder: Path, fmt: str, base: Base) -> None:
        p = _path(folder, "csv", table)
        read_csv_text(p).to_csv(p, index=False)
        p.write_text("\n".join(fn(p.read_text(encoding="utf-8").split("\n"))),
                     encoding="utf-8")

    return m


# ---------------------------------------------------------------------- row finders
def _visit_with_employment(base: Base) -> int:
    v = base.arrow["visit"].to_pylist()
    return next(i for i, r in enumerate(v) if r["employment_id"] is not None)


def _employment_of(base: Base, employment_id: str) -> int:
    e = base.arrow["employment"].to_pylist()
    return next(i for i, r in enumerate(e) if r["employment_id"] == employment_id)


def _worker_with_exit(base: Base) -> tuple[str, dt.date]:
    x = base.arrow["exit"].to_pylist()[0]
    return x["worker_id"], x["exit_date"]


def _visit_of(base: Base, worker: str) -> int:
    v = base.arrow["visit"].to_pylist()
    return next(i for i, r in enumerate(v) if r["worker_id"] == worker)


def _other_workers_employment(data: list[dict], base: Base) -> None:
    i = _visit_with_employment(base)
    emp = base.arrow["employment"].to_pylist()
    data[i]["employment_id"] = next(e["employment_id"] for e in emp
                                    if e["worker_id"] != data[i]["worker_id"])


def _end_employment_before_visit(data: list[dict], base: Base) -> None:
    v = base.arrow["visit"].to_pylist()
    for r in v:
        if r["employment_id"] is None:
            continue
        j = _employment_of(base, r["employment_id"])
        end = r["visit_date"] - dt.timedelta(days=1)
        if data[j]["start_date"] <= end:
            data[j]["end_date"] = end
            return
    raise AssertionError("no visit fits")


def _row_of_first_fitting_visit(base: Base) -> int:
    v = base.arrow["visit"].to_pylist()
    emp = {e["employment_id"]: e for e in base.arrow["employment"].to_pylist()}
    return next(i + 1 for i, r in enumerate(v) if r["employment_id"] is not None and
                emp[r["employment_id"]]["start_date"] <= r["visit_date"] - dt.timedelta(days=1))


def _visit_after_exit(data: list[dict], base: Base) -> None:
    w, exit_date = _worker_with_exit(base)
    data[_visit_of(base, w)]["visit_date"] = exit_date + dt.timedelta(days=1)


def _employment_after_exit(data: list[dict], base: Base) -> None:
    w, exit_date = _worker_with_exit(base)
    j = next(i for i, r in enumerate(data) if r["worker_id"] == w)
    data[j]["start_date"] = exit_date + dt.timedelta(days=1)
    data[j]["end_date"] = None


def _hiring_exam_before_start(data: list[dict], base: Base) -> None:
    i = _visit_with_employment(base)
    emp = base.arrow["employment"].to_pylist()[_employment_of(base, data[i]["employment_id"])]
    data[i]["visit_date"] = emp["start_date"] - dt.timedelta(days=10)
    data[i]["visit_type"] = "SIR_EMB"


def _first_worker_row(table: str) -> Callable[[Base], int]:
    def f(base: Base) -> int:
        w = base.arrow["exit"].column("worker_id")[0].as_py()
        t = base.arrow[table].to_pylist()
        return next(i + 1 for i, r in enumerate(t) if r["worker_id"] == w)

    return f


def _corrupt_pages(data: bytes) -> bytes:
    """Garble the data pages of the first column chunk, keeping the footer intact; the first
    seeded garbling that DuckDB itself cannot read is kept (checked here, outside the loader)."""
    md = pq.ParquetFile(io.BytesIO(data)).metadata
    chunk = md.row_group(0).column(0)
    start = chunk.dictionary_page_offset or chunk.data_page_offset
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe.parquet"
        for seed in range(50):
            rnd = random.Random(seed)
            b = bytearray(data)
            for k in range(start, start + chunk.total_compressed_size):
                if rnd.random() < 0.3:
                    b[k] = rnd.randrange(256)
            probe.write_bytes(bytes(b))
            pq.read_metadata(probe)  # the footer is intact
            try:
                duckdb.connect().execute(
                    f"SELECT * FROM read_parquet('{probe}')").fetchall()
            except duckdb.Error:
                return bytes(b)
    raise AssertionError("no garbling made the pages unreadable")


def _dup_column(name: str, other: str | None = None) -> Callable[[pa.Table], pa.Table]:
    def f(t: pa.Table) -> pa.Table:
        return pa.Table.from_arrays(t.columns + [t.column(name)],
                                    names=t.column_names + [other or name])

    return f


def _drop(name: str) -> Callable[[pa.Table], pa.Table]:
    return lambda t: t.drop_columns([name])


def _add(name: str, value: Any) -> Callable[[pa.Table], pa.Table]:
    return lambda t: t.append_column(name, pa.array([value] * t.num_rows))


def _rename(old: str, new: str) -> Callable[[pa.Table], pa.Table]:
    return lambda t: t.rename_columns([new if c == old else c for c in t.column_names])


def _retype(name: str, typ: pa.DataType,
            conv: Callable[[Any], Any] = lambda x: x) -> Callable[[pa.Table], pa.Table]:
    def f(t: pa.Table) -> pa.Table:
        vals = [None if v is None else conv(v) for v in t.column(name).to_pylist()]
        return t.set_column(t.schema.get_field_index(name), name,
                            pa.array(vals, type=typ, from_pandas=False))

    return f


def _empty(t: pa.Table) -> pa.Table:
    return t.slice(0, 0)


def _schemas_without_numeric_ids() -> dict:
    out = {}
    for name, s in load_schemas().items():
        fields = tuple(dataclasses.replace(f, identifier={**f.identifier, "numeric": False})
                       if f.identifier else f for f in s.fields)
        out[name] = dataclasses.replace(s, fields=fields)
    return out


def _numeric(wid: str) -> str:
    return str(9_000_000_000 + int(wid[1:]))


def _nir_of(wid: str) -> str:
    return f"1850775{int(wid[1:]):06d}{10 + int(wid[1:]) % 80:02d}"


def _nir_spaced(wid: str) -> str:
    n = _nir_of(wid)
    return f"{n[0]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:10]} {n[10:13]} {n[13:]}"


# ---------------------------------------------------------------------- checks of accepted cases
def _value_is(table: str, column: str, i: int, expected: Any) -> Callable[[Any, Base], None]:
    def f(ex: Any, base: Base) -> None:
        got = ex.fetch(f'SELECT "{column}" FROM "{table}"')[i][0]
        assert got == expected, (got, expected)

    return f


def _numeric_ids_recorded(ex: Any, base: Base) -> None:
    assert ex.metadata["numeric_identifiers"] == [
        "employment.worker_id", "exit.worker_id", "exposure.worker_id", "visit.worker_id",
        "worker.worker_id"]
    assert ex.fetch("SELECT min(worker_id) FROM worker")[0][0].startswith("9000000")


def _hashed(ex: Any, base: Base) -> None:
    ids = [r[0] for r in ex.fetch("SELECT worker_id FROM worker")]
    assert not any(contains_nir(i) for i in ids)
    assert len(ids[0]) == 32
    assert ex.fetch("SELECT count(*) FROM visit JOIN worker USING (worker_id)")[0][0] == \
        base.arrow["visit"].num_rows


def _dropped(table: str, column: str) -> Callable[[Any, Base], None]:
    def f(ex: Any, base: Base) -> None:
        assert ex.metadata["dropped_columns"] == {table: [column]}
        assert column not in ex[table].columns

    return f


def _bom(ex: Any, base: Base) -> None:
    assert ex.metadata["files"]["worker"]["bom"] is True
    assert ex.fetch("SELECT min(worker_id) FROM worker")[0][0] == \
        min(base.arrow["worker"].column("worker_id").to_pylist())


def _same_column(table: str, column: str) -> Callable[[Any, Base], None]:
    def f(ex: Any, base: Base) -> None:
        got = [r[0] for r in ex.fetch(f'SELECT "{column}" FROM "{table}"')]
        assert got == base.arrow[table].column(column).to_pylist()

    return f


def _column_is(table: str, column: str,
               expected: Callable[[Any], Any]) -> Callable[[Any, Base], None]:
    def f(ex: Any, base: Base) -> None:
        got = [r[0] for r in ex.fetch(f'SELECT "{column}" FROM "{table}"')]
        assert got == [expected(v) for v in base.arrow[table].column(column).to_pylist()]

    return f


def _rows(table: str, n: int | None = None) -> Callable[[Any, Base], None]:
    def f(ex: Any, base: Base) -> None:
        assert ex.n_rows(table) == (n if n is not None else base.arrow[table].num_rows)

    return f


# ---------------------------------------------------------------------- the cases
def _value_cases() -> list[Case]:
    """The same value in CSV (text) and Parquet (typed column): the same verdict."""
    f64 = pa.float64()
    spec = [
        # id, table, column, row index, value, Parquet type, CSV text, expected, rule
        ("absence_days_12.5", "visit", "absence_days", 0, 12.5, f64, None,
         TypeMismatchError, "type"),
        ("invalidity_2.6", "worker", "invalidity_category", 1, 2.6, f64, None,
         TypeMismatchError, "type"),
        ("birth_year_1985.4", "worker", "birth_year", 2, 1985.4, f64, None,
         TypeMismatchError, "type"),
        ("birth_year_1980.5_double", "worker", "birth_year", 0, 1980.5, f64, None,
         TypeMismatchError, "type"),
        ("absence_days_nan", "visit", "absence_days", 1, float("nan"), f64, "NaN",
         TypeMismatchError, "type"),
        ("birth_year_nan", "worker", "birth_year", 3, float("nan"), f64, "nan",
         TypeMismatchError, "type"),
        ("invalidity_nan", "worker", "invalidity_category", 4, float("nan"), f64, "NaN",
         TypeMismatchError, "type"),
        ("absence_days_inf", "visit", "absence_days", 2, float("inf"), f64, "inf",
         TypeMismatchError, "type"),
        ("questionnaire_value_nan", "questionnaire", "value", 0, float("nan"), f64, "NaN",
         TypeMismatchError, "type"),
        ("questionnaire_value_-inf", "questionnaire", "value", 1, float("-inf"), f64,
         "-Infinity", TypeMismatchError, "type"),
        ("absence_days_hex", "visit", "absence_days", 3, "0x1F", pa.string(), None,
         TypeMismatchError, "type"),
        ("absence_days_exponent", "visit", "absence_days", 4, "1e3", pa.string(), None,
         TypeMismatchError, "type"),
        ("absence_days_underscore", "visit", "absence_days", 5, "1_000", pa.string(), None,
         TypeMismatchError, "type"),
        ("value_decimal_comma", "questionnaire", "value", 2, "7,5", pa.string(), None,
         TypeMismatchError, "type"),
        ("birth_year_beyond_int64", "worker", "birth_year", 5, "99999999999999999999",
         pa.string(), None, TypeMismatchError, "type"),
        ("absence_days_negative", "visit", "absence_days", 6, -5, None, None,
         ConstraintError, "minimum"),
        ("absence_days_above_max", "visit", "absence_days", 7, 99_999, None, None,
         ConstraintError, "maximum"),
        ("rqth_oui", "worker", "rqth", 6, "oui", pa.string(), None, TypeMismatchError, "type"),
        ("rqth_int_2", "worker", "rqth", 7, 2, pa.int64(), "2", TypeMismatchError, "type"),
        ("visit_date_feb_30", "visit", "visit_date", 8, "2019-02-30", pa.string(), None,
         UnparsableDateError, "type"),
        ("visit_date_french", "visit", "visit_date", 9, "01/02/2019", pa.string(), None,
         UnparsableDateError, "type"),
        ("visit_date_no_padding", "visit", "visit_date", 10, "2019-1-5", pa.string(), None,
         UnparsableDateError, "type"),
        ("sex_lowercase", "worker", "sex", 8, "m", None, None, ConstraintError, "enum"),
        ("sex_leading_space", "worker", "sex", 9, " M", None, None, ConstraintError, "enum"),
        ("sex_missing", "worker", "sex", 10, None, None, "", ConstraintError, "required"),
        ("naf_pattern", "company", "naf_code", 0, "4711F", None, None, CodeSystemError,
         "code_system"),
        ("measures_code", "conclusion", "measures", 0, "POSTE;NAP", None, None,
         ConstraintError, "pattern"),
        ("unknown_instrument", "questionnaire", "instrument", 3, "SF36", None, None,
         ConstraintError, "enum"),
        ("future_visit", "visit", "visit_date", 11, dt.date(2099, 1, 1), None, None,
         FutureDateError, "not_future"),
        ("visit_before_birth", "visit", "visit_date", 12, dt.date(1900, 1, 1), None, None,
         BeforeBirthError, "not_before_birth"),
        ("one_mb_value", "visit", "visit_type", 13, "X" * BIG, None, None,
         ConstraintError, "enum"),
        ("twenty_mb_value", "visit", "professional", 14, "Y" * (20 * BIG), None, None,
         ConstraintError, "enum"),
        ("nul_byte_in_code", "worker", "sex", 11, "M\x00", None, None, ConstraintError, "enum"),
    ]
    out = []
    # a text value has the same storage in both formats: one format each is enough
    text_only = {"twenty_mb_value", "sex_lowercase", "sex_leading_space", "sex_missing",
                 "naf_pattern", "measures_code", "unknown_instrument", "future_visit",
                 "visit_before_birth", "nul_byte_in_code"}
    for cid, table, column, i, value, ptype, csv_text, kind, rule in spec:
        for fmt in ("csv", "parquet"):
            hidden = ("X" * 100, "Y" * 100)
            out.append(Case(f"{fmt}-{cid}", fmt, put(table, column, i, value, ptype, csv_text),
                            kind, table, i + 1, column, rule, hidden))
    return [c for c in out if c.id.split("-", 1)[1] not in text_only] + _one_format_each(
        [c for c in out if c.id.split("-", 1)[1] in text_only])


def _one_format_each(cases: list[Case]) -> list[Case]:
    """Of the cases built for both formats, keep CSV and Parquet alternately."""
    names = list(dict.fromkeys(c.id.split("-", 1)[1] for c in cases))
    keep = {f"{('csv', 'parquet')[k % 2]}-{n}" for k, n in enumerate(names)}
    return [c for c in cases if c.id in keep]


def _accepted_value_cases() -> list[Case]:
    f64 = pa.float64()
    out: list[Case] = []
    either: list[Case] = []
    for fmt in ("csv", "parquet"):
        out += [
            Case(f"{fmt}-absence_days_12.0", fmt, put("visit", "absence_days", 0, 12.0, f64,
                                                      "12.0"),
                 None, check=_value_is("visit", "absence_days", 0, 12)),
            Case(f"{fmt}-birth_year_1985.0", fmt, put("worker", "birth_year", 0, 1985.0, f64,
                                                      "1985.0"),
                 None, check=_value_is("worker", "birth_year", 0, 1985)),
            Case(f"{fmt}-rqth_TRUE_or_1", fmt, put("worker", "rqth", 0, 1, pa.int8(), "TRUE"),
                 None, check=_value_is("worker", "rqth", 0, True)),
            Case(f"{fmt}-numeric_worker_ids", fmt, remap("worker_id", _numeric), None,
                 check=_numeric_ids_recorded),
            Case(f"{fmt}-nir_ids_pseudonymised", fmt, remap("worker_id", _nir_of), None,
                 kwargs={"pseudonymise": KEY}, check=_hashed),
        ]
        either += [
            Case(f"{fmt}-hiring_exam_before_employment", fmt,
                 rows("visit", _hiring_exam_before_start), None, check=_rows("visit")),
            Case(f"{fmt}-extra_column_dropped_on_request", fmt,
                 arrow("visit", _add("comment", "x")), None,
                 kwargs={"extra_columns": "drop"}, check=_dropped("visit", "comment")),
            Case(f"{fmt}-identifier_column_dropped_when_pseudonymising", fmt,
                 arrow("worker", _add("nom", "DUPONT")), None, kwargs={"pseudonymise": KEY},
                 check=_dropped("worker", "nom")),
            Case(f"{fmt}-optional_table_without_rows", fmt, arrow("questionnaire", _empty),
                 None, check=_rows("questionnaire", 0)),
            Case(f"{fmt}-thirteen_digit_key_not_nir_shaped", fmt,
                 remap("company_id", lambda c: str(9_100_000_000_000 + int(c[1:])),
                       ("company", "employment")), None, check=_rows("company")),
        ]
    out += _one_format_each(either) + [
        Case("csv-integer_with_spaces", "csv", put("visit", "absence_days", 0, None,
                                                   csv=" 12 "),
             None, check=_value_is("visit", "absence_days", 0, 12)),
        Case("csv-utf8_bom", "csv", raw("worker", lambda b: b"\xef\xbb\xbf" + b), None,
             check=_bom),
        Case("csv-crlf_line_ends", "csv", text("visit", lambda s: s.replace("\n", "\r\n")),
             None, check=_rows("visit")),
        Case("csv-blank_line", "csv", lines("visit", lambda ls: ls[:3] + [""] + ls[3:]), None,
             check=_rows("visit")),
        Case("csv-semicolons_with_option", "csv",
             both(*(text(t, lambda s: s.replace(",", ";")) for t in
                    ("worker", "company", "employment", "visit", "conclusion", "diagnosis",
                     "exposure", "questionnaire", "exit"))), None,
             kwargs={"csv_delimiter": ";"}, check=_rows("worker")),
        Case("parquet-all_null_column_any_type", "parquet",
             arrow("worker", _retype("education_level", pa.null(), lambda v: None)), None,
             check=_value_is("worker", "education_level", 0, None)),
        Case("parquet-dictionary_strings", "parquet",
             arrow("worker", lambda t: t.set_column(2, "sex", t.column("sex").dictionary_encode())),
             None, check=_rows("worker")),
        Case("parquet-large_strings", "parquet",
             arrow("visit", _retype("visit_type", pa.large_string())), None,
             check=_rows("visit")),
        Case("parquet-integer_as_whole_doubles", "parquet",
             arrow("worker", _retype("birth_year", pa.float64(), float)), None,
             check=_same_column("worker", "birth_year")),
        Case("parquet-integer_as_whole_decimals", "parquet",
             arrow("worker", _retype("birth_year", pa.decimal128(6, 2), Decimal)), None,
             check=_same_column("worker", "birth_year")),
        Case("parquet-integer_as_int16", "parquet",
             arrow("visit", _retype("absence_days", pa.int16())), None,
             check=_same_column("visit", "absence_days")),
        Case("parquet-number_as_integers", "parquet",
             arrow("questionnaire", _retype("value", pa.int64(), int)), None,
             check=_column_is("questionnaire", "value", lambda v: float(int(v)))),
        Case("parquet-date_as_iso_text", "parquet",
             arrow("visit", _retype("visit_date", pa.string(), str)), None,
             check=_rows("visit")),
    ]
    return out


def _structure_cases() -> list[Case]:
    out = []
    for fmt in ("csv", "parquet"):
        out += [
            Case(f"{fmt}-missing_table", fmt,
                 lambda f, fmt_, b: _path(f, fmt_, "exit").unlink(), MissingTableError,
                 None, None, None, "missing_table"),
            Case(f"{fmt}-both_formats", fmt,
                 lambda f, fmt_, b: shutil.copy(
                     (b.csv if fmt_ == "parquet" else b.parquet) /
                     f"visit.{'csv' if fmt_ == 'parquet' else 'parquet'}", f),
                 MissingTableError, None, None, None, "missing_table"),
            Case(f"{fmt}-zero_bytes", fmt, raw("visit", lambda b: b""), EmptyFileError,
                 "visit", None, None, "empty"),
            Case(f"{fmt}-no_rows", fmt, arrow("employment", _empty), EmptyFileError,
                 "employment", ANY, None, "empty"),
            Case(f"{fmt}-table_is_a_folder", fmt,
                 lambda f, fmt_, b: (_path(f, fmt_, "exit").unlink(),
                                     _path(f, fmt_, "exit").mkdir()),
                 FileFormatError, "exit", None, None, "not_a_file"),
            Case(f"{fmt}-missing_column", fmt, arrow("visit", _drop("visit_type_system")),
                 MissingColumnError, "visit", None, "visit_type_system", "missing_column"),
            Case(f"{fmt}-extra_column", fmt, arrow("company", _add("comment", "x")),
                 ExtraColumnError, "company", None, "comment", "extra_column"),
            Case(f"{fmt}-renamed_column_case", fmt, arrow("worker", _rename("sex", "Sex")),
                 ExtraColumnError, "worker", None, "Sex", "extra_column"),
            Case(f"{fmt}-reserved_column_name", fmt, arrow("worker", _add("__row", 1)),
                 ExtraColumnError, "worker", None, "__row", "reserved_column"),
            Case(f"{fmt}-identifier_column_nom", fmt, arrow("worker", _add("nom", "DUPONT")),
                 IdentifierError, "worker", None, "nom", "direct_identifier", ("DUPONT",)),
            Case(f"{fmt}-identifier_column_date_naissance", fmt,
                 arrow("worker", _add("date_naissance", "1985-03-12")),
                 IdentifierError, "worker", None, "date_naissance", "direct_identifier"),
            Case(f"{fmt}-duplicated_column", fmt, arrow("worker", _dup_column("sex")),
                 DuplicateColumnError, "worker", ANY, "sex", "duplicate_column"),
            Case(f"{fmt}-columns_differing_by_case", fmt,
                 arrow("worker", _dup_column("sex", "SEX")),
                 DuplicateColumnError, "worker", ANY, ANY, "duplicate_column"),
            Case(f"{fmt}-worker_id_as_integers", fmt,
                 both(remap("worker_id", _numeric),
                      arrow("worker", lambda t: _retype("worker_id", pa.int64(), int)(
                          t.set_column(0, "worker_id", pa.array(
                              [_numeric(w) for w in t.column("worker_id").to_pylist()]))))),
                 TypeMismatchError if fmt == "parquet" else None, "worker", None, "worker_id",
                 "type", check=_rows("worker")),
        ]
    out += [
        Case("parquet-truncated_file", "parquet", raw("visit", lambda b: b[: len(b) // 2]),
             FileFormatError, "visit", None, None, "parquet"),
        Case("parquet-csv_renamed_parquet", "parquet",
             raw("company", lambda b: b"company_id,naf_code\nC1,47.11F\n"),
             FileFormatError, "company", None, None, "parquet"),
        Case("parquet-corrupt_pages_intact_footer", "parquet", raw("visit", _corrupt_pages),
             FileFormatError, "visit", None, None, "parquet_data"),
        Case("parquet-timestamp_dates", "parquet",
             arrow("visit", _retype("visit_date", pa.timestamp("us"),
                                    lambda d: dt.datetime(d.year, d.month, d.day))),
             TypeMismatchError, "visit", None, "visit_date", "type", only=("type",)),
        Case("parquet-fraction_in_a_decimal_column", "parquet",
             put("visit", "absence_days", 3, Decimal("12.50"), pa.decimal128(6, 2)),
             TypeMismatchError, "visit", 4, "absence_days", "type"),
        Case("parquet-boolean_as_double", "parquet",
             arrow("worker", _retype("rqth", pa.float64(), float)),
             TypeMismatchError, "worker", None, "rqth", "type"),
        Case("parquet-birth_year_uint64_huge", "parquet",
             put("worker", "birth_year", 0, 2**64 - 1, pa.uint64()),
             TypeMismatchError, "worker", 1, "birth_year", "type"),
        Case("csv-latin1", "csv", text("company", lambda s: s + "C999,10.11Z,NAF-2008,0-9,É\n",
                                       "latin-1"),
             EncodingError, "company", ANY, None, "utf8"),
        Case("csv-utf16", "csv", text("company", lambda s: s, "utf-16"), EncodingError,
             "company", 0, None, "utf8"),
        Case("csv-semicolons", "csv", text("worker", lambda s: s.replace(",", ";")),
             DelimiterError, "worker", 0, None, "delimiter"),
        Case("csv-tabs", "csv", text("worker", lambda s: s.replace(",", "\t")),
             DelimiterError, "worker", 0, None, "delimiter"),
        Case("csv-short_row", "csv", lines("visit", lambda ls: ls[:4] + [
            ls[4].rsplit(",", 2)[0]] + ls[5:]), FileFormatError, "visit", 4, None, "csv"),
        Case("csv-long_row", "csv", lines("visit", lambda ls: ls[:6] + [ls[6] + ",extra"] +
                                          ls[7:]), FileFormatError, "visit", 6, None, "csv"),
        Case("csv-unterminated_quote", "csv", lines("visit", lambda ls: ls[:5] + [
            '"' + ls[5]] + ls[6:]), FileFormatError, "visit", 5, None, "csv"),
        Case("csv-stray_quote", "csv", lines("company", lambda ls: ls[:2] + [
            ls[2].replace(",", ',"x"y,', 1)] + ls[3:]), FileFormatError, "company", 2, None,
             "csv"),
        Case("csv-truncated_last_line", "csv", text("visit", lambda s: s.rstrip("\n")[:-30]),
             FileFormatError, "visit", ANY, None, "csv"),
        Case("csv-line_beyond_32_mib", "csv", put("visit", "visit_type", 2, None,
                                                  csv="Z" * (33 * 2**20)),
             FileFormatError, "visit", 3, None, "csv", ("Z" * 100,)),
        Case("csv-empty_column_name", "csv", lines("company", lambda ls: [ls[0] + ","] + [
            x + "," if x else x for x in ls[1:]]), ColumnError, "company", 0, None,
             "empty_column_name"),
        Case("csv-duplicated_header", "csv", lines("company", lambda ls: [
            ls[0].replace("size_band", "naf_code")] + ls[1:]),
             DuplicateColumnError, "company", 0, "naf_code", "duplicate_column"),
        Case("csv-header_only_worker", "csv", lines("worker", lambda ls: ls[:1]),
             EmptyFileError, "worker", None, None, "empty"),
        Case("csv-no_header_row", "csv", both(
            remap("worker_id", _nir_of, ("worker",)),
            lines("worker", lambda ls: ls[1:])),
             ColumnError, "worker", ANY, ANY, ANY, ("1850775",)),
    ]
    return out


def _relation_cases() -> list[Case]:
    out = []
    for fmt in ("csv", "parquet"):
        out += [
            Case(f"{fmt}-duplicate_worker", fmt, rows("worker", lambda d, b: d.append(d[0])),
                 DuplicateKeyError, "worker", 41, "worker_id", "primary_key"),
            Case(f"{fmt}-duplicate_conclusion", fmt,
                 rows("conclusion", lambda d, b: d.append(dict(d[3]))),
                 DuplicateKeyError, "conclusion", ANY, "visit_id, conclusion", "primary_key"),
            Case(f"{fmt}-duplicate_exit", fmt,
                 rows("exit", lambda d, b: d.append(dict(d[0]))),
                 DuplicateKeyError, "exit", ANY, "worker_id", "primary_key"),
            Case(f"{fmt}-orphan_visit_worker", fmt, put("visit", "worker_id", 0, "W999999999"),
                 ForeignKeyError, "visit", 1, "worker_id", "foreign_key"),
            Case(f"{fmt}-orphan_visit_employment", fmt,
                 put("visit", "employment_id", 0, "C999999999"),
                 ForeignKeyError, "visit", 1, "employment_id", "foreign_key"),
            Case(f"{fmt}-orphan_conclusion", fmt, put("conclusion", "visit_id", 2, "V9999"),
                 ForeignKeyError, "conclusion", 3, "visit_id", "foreign_key"),
            Case(f"{fmt}-orphan_diagnosis", fmt, put("diagnosis", "visit_id", 1, "V9999"),
                 ForeignKeyError, "diagnosis", 2, "visit_id", "foreign_key"),
            Case(f"{fmt}-orphan_exit", fmt, put("exit", "worker_id", 0, "W999999999"),
                 ForeignKeyError, "exit", 1, "worker_id", "foreign_key"),
            Case(f"{fmt}-orphan_employment_company", fmt,
                 put("employment", "company_id", 0, "K999"),
                 ForeignKeyError, "employment", 1, "company_id", "foreign_key"),
            Case(f"{fmt}-visit_employment_of_another_worker", fmt,
                 rows("visit", _other_workers_employment), ConsistencyError, "visit",
                 lambda b: _visit_with_employment(b) + 1, "employment_id", "consistency"),
            Case(f"{fmt}-visit_after_employment_end", fmt,
                 rows("employment", _end_employment_before_visit), OutsideEmploymentError,
                 "visit", _row_of_first_fitting_visit, "visit_date",
                 "not_after_employment_end"),
            Case(f"{fmt}-visit_after_exit", fmt, rows("visit", _visit_after_exit),
                 VisitAfterExitError, "visit", _first_worker_row("visit"), "visit_date",
                 "not_after_exit"),
            Case(f"{fmt}-employment_after_exit", fmt, rows("employment", _employment_after_exit),
                 AfterExitError, "employment", _first_worker_row("employment"), "start_date",
                 "not_after_exit"),
            Case(f"{fmt}-employment_end_before_start", fmt,
                 put("employment", "end_date", 0, dt.date(1990, 1, 1)), DateOrderError,
                 "employment", 1, "end_date", "not_before:start_date"),
            Case(f"{fmt}-rome_code_as_pcs", fmt,
                 rows("employment", lambda d, b: d[0].update(job_code="K2111",
                                                             job_system="PCS-ESE-2017")),
                 CodeSystemError, "employment", 1, "job_code", "code_system"),
            Case(f"{fmt}-mid_career_in_2013_thesaurus", fmt,
                 rows("visit", lambda d, b: d[0].update(visit_type="MI_CARRIERE",
                                                        visit_type_system="PRESANSE-TV-2013")),
                 CodeSystemError, "visit", 1, "visit_type", "code_system"),
            Case(f"{fmt}-unknown_wai_item", fmt,
                 rows("questionnaire", lambda d, b: d[0].update(instrument="WAI", item="9")),
                 ConstraintError, "questionnaire", 1, "item", "items"),
            Case(f"{fmt}-wai_value_out_of_range", fmt,
                 rows("questionnaire", lambda d, b: d[0].update(instrument="WAI", item="7",
                                                                value=9.0)),
                 ConstraintError, "questionnaire", 1, "value", "item_range"),
        ]
    # once the values are typed, the rules across rows and tables do not depend on the format
    return _one_format_each(out)


def _identifier_cases() -> list[Case]:
    out: list[Case] = []
    either: list[Case] = []
    for fmt in ("csv", "parquet"):
        out += [
            Case(f"{fmt}-nir_worker_ids", fmt, remap("worker_id", _nir_of), IdentifierError,
                 "worker", 1, "worker_id", "direct_identifier", ("1850775",)),
            Case(f"{fmt}-spaced_nir_worker_ids", fmt, remap("worker_id", _nir_spaced),
                 IdentifierError, "worker", 1, "worker_id", "direct_identifier",
                 ("1 85 07 75",)),
            Case(f"{fmt}-nir_as_spsti_id", fmt, put("worker", "spsti_id", 0, NIR),
                 IdentifierError, "worker", 1, "spsti_id", "direct_identifier", (NIR,)),
            Case(f"{fmt}-nir_as_spsti_id_even_pseudonymised", fmt,
                 put("worker", "spsti_id", 0, NIR), IdentifierError, "worker", 1, "spsti_id",
                 "direct_identifier", (NIR,), {"pseudonymise": KEY}),
            Case(f"{fmt}-nir_in_a_reference_only", fmt, put("visit", "worker_id", 3, NIR),
                 IdentifierError, "visit", 4, "worker_id", "direct_identifier", (NIR,)),
        ]
        either += [
            Case(f"{fmt}-nia_as_company_id", fmt,
                 remap("company_id", lambda c: "7" + NIR[1:] if c == "E00000001" else c,
                       ("company", "employment")),
                 IdentifierError, "company", ANY, "company_id", "direct_identifier",
                 ("7" + NIR[1:],)),
            Case(f"{fmt}-nir_in_department", fmt, put("company", "department", 0, NIR),
                 ConstraintError, "company", 1, "department", "pattern", (NIR,)),
            Case(f"{fmt}-orphan_masked_when_pseudonymising", fmt,
                 put("visit", "worker_id", 0, "W-SECRET-42"), ForeignKeyError, "visit", 1,
                 "worker_id", "foreign_key", ("W-SECRET-42",), {"pseudonymise": KEY}),
            Case(f"{fmt}-duplicate_masked_when_pseudonymising", fmt,
                 rows("worker", lambda d, b: d.append(d[0])), DuplicateKeyError, "worker",
                 41, "worker_id", "primary_key",
                 ("W000000",), {"pseudonymise": KEY}),
            Case(f"{fmt}-numeric_ids_refused_by_a_contract_variant", fmt,
                 remap("worker_id", _numeric), IdentifierError, "worker", 1, "worker_id",
                 "numeric_identifier", kwargs={"schemas": _schemas_without_numeric_ids()}),
        ]
    out += _one_format_each(either)
    out.append(Case("csv-full_birth_date_in_birth_year", "csv",
                    put("worker", "birth_year", 0, None, csv="1985-03-12"),
                    IdentifierError, "worker", 1, "birth_year", "direct_identifier",
                    ("1985-03-12",)))
    return out


CASES = _value_cases() + _accepted_value_cases() + _structure_cases() + _relation_cases() \
    + _identifier_cases()


def test_enough_cases_over_both_formats():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 100
    assert sum(c.fmt == "csv" for c in CASES) >= 40
    assert sum(c.fmt == "parquet" for c in CASES) >= 40


def _expected(value: Any, base: Base) -> Any:
    return value(base) if callable(value) else value


def _assert_safe(err: ExtractValidationError, case: Case) -> None:
    text = str(err)
    assert not contains_nir(text), "an identifier-shaped value is shown"
    for h in case.hidden:
        assert h not in text, f"{h[:20]!r} is shown"
    assert len(text) < 200 * 100
    for p in err.problems:
        assert p.file is not None or p.table is not None or p.rule == "folder"
        assert len(repr(p.value)) <= 60, repr(p.value)[:80]


@dataclass
class Outcome:
    """What one case gave: the error raised (or the accepted extract's check), the digests."""

    before: dict[str, str]
    after: dict[str, str]
    error: ExtractValidationError | None = None
    unexpected: BaseException | None = None
    check_failure: AssertionError | None = None


def _run(case: Case, base: Base, folder: Path) -> Outcome:
    base.copy(case.fmt, folder)
    case.mutate(folder, case.fmt, base)
    before = digests(folder)
    try:
        ex = read_extract(folder, as_of="2026-01-01", **case.kwargs)
    except ExtractValidationError as err:
        return Outcome(before, digests(folder), error=err)
    except BaseException as err:  # noqa: BLE001 - reported by the test of this case
        return Outcome(before, digests(folder), unexpected=err)
    out = Outcome(before, digests(folder))
    try:
        if case.check is not None:
            case.check(ex, base)
    except AssertionError as err:
        out.check_failure = err
    finally:
        ex.connection.close()
    shutil.rmtree(folder)  # the 20 and 40 MB cases
    return out


@pytest.fixture(scope="session")
def outcomes(base, tmp_path_factory) -> dict[str, Outcome]:
    """Every case run once, two at a time, each on one DuckDB thread (DuckDB releases the GIL
    while it reads; on tiny files one thread does the work with less overhead)."""
    root = tmp_path_factory.mktemp("fuzz")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(irdp_read, "connect", lambda settings=None: connect({"threads": 1}))
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {c.id: pool.submit(_run, c, base, root / c.id) for c in CASES}
        return {k: f.result() for k, f in futures.items()}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fuzz_case(case, base, outcomes):
    got = outcomes[case.id]
    if got.unexpected is not None:
        raise got.unexpected
    assert got.after == got.before, "an input file was modified"
    if case.expect is None:
        assert got.error is None, f"refused although the contract allows it: {got.error}"
        if got.check_failure is not None:
            raise got.check_failure
        return
    err = got.error
    assert err is not None, "accepted although the contract refuses it"
    assert isinstance(err, case.expect), f"{type(err).__mro__}: {err}"
    _assert_safe(err, case)
    name = None if case.table is None else f"{case.table}.{case.fmt}"
    found = [p for p in err.of_kind(case.expect) if name is None or p.file == name]
    assert found, f"no {case.expect.__name__} on {name}: {err}"
    p = found[0]
    if case.rule is not ANY:
        assert p.rule == case.rule, str(err)
    if case.row is not ANY:
        assert p.row == _expected(case.row, base), str(err)
    if case.column is not ANY:
        assert p.column == case.column, str(err)
    if case.only is not None:
        assert {q.rule for q in err.problems} <= set(case.only), str(err)
