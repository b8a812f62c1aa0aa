"""``irdp check`` on the corruptions of issue 14: no traceback, exit status 3 with the problem
listed (file named, identifiers masked), 0 when the contract allows the extract."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from io_fuzz_base import Base, make_base
from test_io_fuzz import CASES

from irdp.cli import main
from irdp.cli.check import EXIT_INVALID_EXTRACT
from irdp.privacy.pseudonymise import contains_nir

FINDINGS = [
    "parquet-corrupt_pages_intact_footer", "parquet-truncated_file",
    "parquet-birth_year_1980.5_double", "parquet-absence_days_nan", "parquet-birth_year_nan",
    "parquet-invalidity_nan", "csv-absence_days_12.5", "csv-invalidity_2.6",
    "csv-birth_year_1985.4", "csv-absence_days_hex", "parquet-duplicated_column",
    "csv-short_row", "csv-unterminated_quote", "csv-one_mb_value", "csv-nir_as_spsti_id",
    "parquet-spaced_nir_worker_ids", "csv-no_header_row", "csv-latin1",
    "parquet-numeric_worker_ids",
]
FINDINGS += [c.id for c in CASES if c.id.endswith(("visit_employment_of_another_worker",
                                                   "unknown_wai_item"))]
BY_ID = {c.id: c for c in CASES}


@pytest.fixture(scope="session")
def base(tmp_path_factory) -> Base:
    """A 40-worker synthetic extract as Parquet and as CSV (never modified)."""
    return make_base(tmp_path_factory.mktemp("fuzz_base"))


def test_findings_exist():
    assert set(FINDINGS) <= set(BY_ID)


@pytest.mark.parametrize("case_id", FINDINGS)
def test_check_prints_no_traceback(case_id, base, tmp_path):
    case = BY_ID[case_id]
    folder = base.copy(case.fmt, tmp_path / "extract")
    case.mutate(folder, case.fmt, base)
    res = CliRunner().invoke(main, ["check", str(folder), "--as-of", "2026-01-01"])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "Traceback" not in res.output
    assert not contains_nir(res.output)
    if case.expect is None:
        assert res.exit_code == 0, res.output
        assert "Row counts per table and SPSTI" in res.output
        return
    assert res.exit_code == EXIT_INVALID_EXTRACT == 3
    assert f"{case.table}.{case.fmt}" in res.output
    assert len(res.output) < 30_000
    assert "is invalid (exit status 3)" in res.output


def test_check_usage_errors_exit_2(tmp_path):
    res = CliRunner().invoke(main, ["check", str(tmp_path), "--as-of", "2020-13-01"])
    assert res.exit_code == 2
    assert "ISO date" in res.output
    res = CliRunner().invoke(main, ["check", str(tmp_path / "absent")])
    assert res.exit_code == 2


def test_check_help_documents_exit_codes():
    res = CliRunner().invoke(main, ["check", "--help"])
    assert res.exit_code == 0
    assert "3 invalid extract" in " ".join(res.output.split())
