"""Every bad-input case yields the right typed error, naming file/row/column/value, and leaves the
input files byte-identical."""

from __future__ import annotations

import hashlib

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from irdp.io import (
    BeforeBirthError,
    CodeSystemError,
    DateOrderError,
    DelimiterError,
    DuplicateKeyError,
    EmptyFileError,
    EncodingError,
    ExtraColumnError,
    ExtractValidationError,
    FileFormatError,
    ForeignKeyError,
    FutureDateError,
    MissingColumnError,
    MissingTableError,
    TypeMismatchError,
    UnparsableDateError,
    VisitAfterExitError,
    read_extract,
)
from irdp.io.errors import ConstraintError


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def write_csv(tables, folder, **kw):
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False, **kw)
    return folder


digests = _digests


def load_expecting(folder, kind, **kw):
    """read_extract must raise ``kind`` and leave every input byte-identical."""
    before = digests(folder)
    with pytest.raises(kind) as info:
        read_extract(folder, **kw)
    assert digests(folder) == before
    return info.value


def the(err, kind):
    found = err.of_kind(kind)
    assert found, f"no {kind.__name__} in {err}"
    return found[0]


def test_valid_csv_loads_and_input_untouched(tables, tmp_path):
    folder = write_csv(tables, tmp_path / "ok")
    before = digests(folder)
    ex = read_extract(folder)
    assert digests(folder) == before
    assert ex.n_rows("worker") == 400
    assert ex.metadata["files"]["visit"]["sha256"] == before["visit.csv"]
    # CSV values are typed on load
    assert str(ex["visit"].types[ex["visit"].columns.index("visit_date")]) == "DATE"


def test_missing_table(tables, tmp_path):
    del tables["exit"]
    err = load_expecting(write_csv(tables, tmp_path / "x"), MissingTableError)
    assert the(err, MissingTableError).table == "exit"


def test_missing_folder(tmp_path):
    with pytest.raises(MissingTableError, match="is not a folder"):
        read_extract(tmp_path / "nope")


def test_missing_and_extra_column(tables, tmp_path):
    tables["worker"] = tables["worker"].drop(columns="sex")
    tables["visit"]["comment"] = "x"
    err = load_expecting(write_csv(tables, tmp_path / "x"), MissingColumnError)
    p = the(err, MissingColumnError)
    assert (p.file, p.column) == ("worker.csv", "sex")
    assert isinstance(err, ExtraColumnError)
    q = the(err, ExtraColumnError)
    assert (q.file, q.column) == ("visit.csv", "comment")


def test_extra_column_dropped_on_request(tables, tmp_path):
    tables["visit"]["comment"] = "x"
    ex = read_extract(write_csv(tables, tmp_path / "x"), extra_columns="drop")
    assert "comment" not in ex["visit"].columns
    assert ex.metadata["dropped_columns"] == {"visit": ["comment"]}


def test_wrong_type_names_row_column_value(tables, tmp_path):
    tables["worker"]["birth_year"] = tables["worker"]["birth_year"].astype(str)
    tables["worker"].loc[6, "birth_year"] = "19x5"
    err = load_expecting(write_csv(tables, tmp_path / "x"), TypeMismatchError)
    p = the(err, TypeMismatchError)
    assert (p.file, p.row, p.column, p.value, p.rule) == ("worker.csv", 7, "birth_year", "19x5",
                                                          "type")
    assert "row 7" in str(err)


def test_wrong_parquet_column_type(small_dmst, tmp_path):
    folder = tmp_path / "pq"
    folder.mkdir()
    for name, t in small_dmst.arrow.items():
        if name == "exit":
            t = t.set_column(1, "exit_date", pa.array(range(t.num_rows), pa.int32()))
        pq.write_table(t, folder / f"{name}.parquet")
    err = load_expecting(folder, TypeMismatchError)
    p = the(err, TypeMismatchError)
    assert (p.file, p.column) == ("exit.parquet", "exit_date")
    assert "INTEGER" in p.message
    assert "date" in p.message


@pytest.mark.parametrize("bad", ["2019-02-30", "12/03/2019", "2019-3-1", "hier"])
def test_unparsable_date(tables, tmp_path, bad):
    tables["visit"]["visit_date"] = tables["visit"]["visit_date"].astype(str)
    tables["visit"].loc[4, "visit_date"] = bad
    err = load_expecting(write_csv(tables, tmp_path / "x"), UnparsableDateError)
    p = the(err, UnparsableDateError)
    assert (p.row, p.column, p.value) == (5, "visit_date", bad)
    assert not err.of_kind(ConstraintError)  # not also reported as "required"


def test_future_date(tables, tmp_path):
    tables["visit"].loc[2, "visit_date"] = pd.Timestamp("2031-01-01").date()
    err = load_expecting(write_csv(tables, tmp_path / "x"), FutureDateError)
    p = the(err, FutureDateError)
    assert (p.row, p.column, p.value) == (3, "visit_date", "2031-01-01")
    # with an earlier extraction date, ordinary dates become "future" too
    err = load_expecting(tmp_path / "x", FutureDateError, as_of="2018-01-01")
    visit = next(p for p in err.of_kind(FutureDateError) if p.file == "visit.csv")
    assert visit.count > 10


def test_date_before_birth(tables, tmp_path):
    w = tables["worker"].set_index("worker_id")
    wid = tables["visit"].loc[0, "worker_id"]
    tables["visit"].loc[0, "visit_date"] = pd.Timestamp(f"{w.loc[wid, 'birth_year'] - 2}-06-01"
                                                        ).date()
    err = load_expecting(write_csv(tables, tmp_path / "x"), BeforeBirthError)
    p = the(err, BeforeBirthError)
    assert (p.file, p.row, p.column) == ("visit.csv", 1, "visit_date")


def test_end_before_start(tables, tmp_path):
    e = tables["employment"]
    i = e.index[e["end_date"].notna()][0]
    e.loc[i, "end_date"] = pd.Timestamp(e.loc[i, "start_date"]).date() - pd.Timedelta(days=3)
    err = load_expecting(write_csv(tables, tmp_path / "x"), DateOrderError)
    p = the(err, DateOrderError)
    assert (p.file, p.row, p.column) == ("employment.csv", i + 1, "end_date")


@pytest.mark.parametrize(
    ("table", "column", "system_column", "system", "code"),
    [
        ("diagnosis", "icd10_code", "icd10_system", "CIM-10-FR-2019", "M5"),
        ("employment", "job_code", "job_system", "PCS-ESE-2017", "F1703"),  # a ROME code
        ("employment", "job_code", "job_system", "ROME-V3", "621a"),        # a PCS code
        ("visit", "visit_type", "visit_type_system", "PRESANSE-TV-2013", "MI_CARRIERE"),
        ("exposure", "tep_code", "tep_system", "TEP-2024", "X9999"),
        ("company", "naf_code", "naf_system", "NAF-2008", "4711F"),
    ],
)
def test_code_not_matching_its_system(tables, tmp_path, table, column, system_column, system,
                                      code):
    tables[table].loc[1, column] = code
    tables[table].loc[1, system_column] = system
    err = load_expecting(write_csv(tables, tmp_path / "x"), CodeSystemError)
    p = the(err, CodeSystemError)
    assert (p.file, p.row, p.column, p.value) == (f"{table}.csv", 2, column, code)


def test_unknown_code_is_an_enum_error(tables, tmp_path):
    tables["visit"].loc[1, "visit_type"] = "XX"
    err = load_expecting(write_csv(tables, tmp_path / "x"), ConstraintError)
    p = the(err, ConstraintError)
    assert (p.rule, p.value) == ("enum", "XX")


def test_duplicate_key(tables, tmp_path):
    v = tables["visit"]
    v.loc[8, "visit_id"] = v.loc[3, "visit_id"]
    err = load_expecting(write_csv(tables, tmp_path / "x"), DuplicateKeyError)
    p = the(err, DuplicateKeyError)
    assert (p.file, p.column, p.value) == ("visit.csv", "visit_id", v.loc[3, "visit_id"])
    assert "[4, 9]" in p.message


def test_duplicate_composite_key(tables, tmp_path):
    c = tables["conclusion"]
    tables["conclusion"] = pd.concat([c, c.iloc[[0]]], ignore_index=True)
    err = load_expecting(write_csv(tables, tmp_path / "x"), DuplicateKeyError)
    p = the(err, DuplicateKeyError)
    assert p.value == (c.loc[0, "visit_id"], c.loc[0, "conclusion"])


def test_orphan_foreign_key(tables, tmp_path):
    tables["visit"].loc[5, "worker_id"] = "W_ORPHAN"
    err = load_expecting(write_csv(tables, tmp_path / "x"), ForeignKeyError)
    p = the(err, ForeignKeyError)
    assert (p.file, p.row, p.column, p.value) == ("visit.csv", 6, "worker_id", "W_ORPHAN")


def test_visit_after_exit(tables, tmp_path):
    ex = tables["exit"].set_index("worker_id")["exit_date"]
    v = tables["visit"]
    i = v.index[v["worker_id"].isin(ex.index)][0]
    v.loc[i, "visit_date"] = pd.Timestamp(ex[v.loc[i, "worker_id"]]).date() + pd.Timedelta(days=10)
    err = load_expecting(write_csv(tables, tmp_path / "x"), VisitAfterExitError, as_of="2026-01-01")
    p = the(err, VisitAfterExitError)
    assert (p.file, p.row, p.column) == ("visit.csv", i + 1, "visit_date")


def test_empty_file(tables, tmp_path):
    folder = write_csv(tables, tmp_path / "x")
    (folder / "exposure.csv").write_bytes(b"")
    err = load_expecting(folder, EmptyFileError)
    assert the(err, EmptyFileError).file == "exposure.csv"


def test_header_only(tables, tmp_path):
    tables["worker"] = tables["worker"].iloc[:0]
    err = load_expecting(write_csv(tables, tmp_path / "x"), EmptyFileError)
    assert "no data row" in the(err, EmptyFileError).message
    # an optional table may be empty (header only)


def test_header_only_optional_table_is_fine(tables, tmp_path):
    tables["questionnaire"] = tables["questionnaire"].iloc[:0]
    assert read_extract(write_csv(tables, tmp_path / "x")).n_rows("questionnaire") == 0


def test_wrong_encoding_latin1(tables, tmp_path):
    tables["company"].loc[3, "department"] = "é"
    folder = write_csv(tables, tmp_path / "x")
    tables["company"].to_csv(folder / "company.csv", index=False, encoding="cp1252")
    err = load_expecting(folder, EncodingError)
    p = the(err, EncodingError)
    assert (p.file, p.row) == ("company.csv", 4)
    assert "UTF-8" in p.message
    assert "'é'" in p.message


def test_wrong_encoding_utf16(tables, tmp_path):
    folder = write_csv(tables, tmp_path / "x")
    tables["exit"].to_csv(folder / "exit.csv", index=False, encoding="utf-16")
    err = load_expecting(folder, EncodingError)
    assert "UTF-16" in the(err, EncodingError).message


def test_wrong_delimiter(tables, tmp_path):
    folder = write_csv(tables, tmp_path / "x")
    tables["visit"].to_csv(folder / "visit.csv", index=False, sep=";")
    err = load_expecting(folder, DelimiterError)
    p = the(err, DelimiterError)
    assert p.file == "visit.csv"
    assert "';'" in p.message
    assert "csv_delimiter" in p.message


def test_semicolon_extract_loads_with_option(tables, tmp_path):
    folder = write_csv(tables, tmp_path / "x", sep=";")
    assert read_extract(folder, csv_delimiter=";").n_rows("visit") == len(tables["visit"])


def test_csv_with_utf8_bom_is_read_correctly(tables, tmp_path):
    folder = write_csv(tables, tmp_path / "x")
    tables["worker"].to_csv(folder / "worker.csv", index=False, encoding="utf-8-sig")
    assert (folder / "worker.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    before = digests(folder)
    ex = read_extract(folder)
    assert digests(folder) == before
    assert ex["worker"].columns[0] == "worker_id"     # the BOM did not corrupt the header
    assert ex.metadata["files"]["worker"]["bom"] is True
    assert ex.n_rows("worker") == 400


def test_malformed_csv(tables, tmp_path):
    folder = write_csv(tables, tmp_path / "x")
    with (folder / "exit.csv").open("a", encoding="utf-8") as fh:
        fh.write("a,b,c,d,e\n")
    err = load_expecting(folder, FileFormatError)
    assert the(err, FileFormatError).file == "exit.csv"


def test_all_problems_listed_up_to_limit(tables, tmp_path):
    tables["visit"]["visit_type"] = "XX"          # every row
    tables["exit"].loc[0, "exit_reason"] = "??"
    folder = write_csv(tables, tmp_path / "x")
    err = load_expecting(folder, ConstraintError)
    enum = [p for p in err.problems if p.rule == "enum"]
    assert {p.file for p in enum} == {"visit.csv", "exit.csv"}
    first = next(p for p in enum if p.file == "visit.csv")
    assert first.count == len(tables["visit"])  # total rows breaking the rule
    assert len([p for p in enum if p.file == "visit.csv"]) == 5  # examples_per_rule
    err = load_expecting(folder, ExtractValidationError, max_errors=3)
    assert len(err.problems) == 3
    assert err.truncated
    assert "truncated" in str(err)


def test_both_formats_present_is_ambiguous(small_dmst, tables, tmp_path):
    folder = write_csv(tables, tmp_path / "x")
    pq.write_table(small_dmst.arrow["exit"], folder / "exit.parquet")
    err = load_expecting(folder, MissingTableError)
    assert "both" in the(err, MissingTableError).message
    assert read_extract(folder, format="csv").n_rows("exit") == len(tables["exit"])


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="format must be"):
        read_extract(tmp_path, format="xlsx")
    with pytest.raises(ValueError, match="max_errors"):
        read_extract(tmp_path, max_errors=0)
    with pytest.raises(TypeError, match="pseudonymise must be"):
        read_extract(tmp_path, pseudonymise=123)


def test_validate_in_memory_extract(small_dmst):
    from irdp.io import Extract, validate_extract

    frames = {k: v.copy() for k, v in small_dmst.tables.items()}
    validate_extract(Extract.from_frames(frames))
    frames["visit"].loc[2, "visit_id"] = frames["visit"].loc[1, "visit_id"]
    frames["exit"].loc[0, "exit_reason"] = "??"
    with pytest.raises(DuplicateKeyError) as info:      # mixed kinds: any kind can be caught
        validate_extract(Extract.from_frames(frames))
    assert isinstance(info.value, ConstraintError)
    assert {p.rule for p in info.value.problems} >= {"primary_key", "enum"}
    dup = info.value.of_kind(DuplicateKeyError)[0]
    assert (dup.table, dup.row) == ("visit", 3)
