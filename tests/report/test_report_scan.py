"""The identifier scan of a run folder looks for the extract's actual identifier values."""

from __future__ import annotations

import pytest

from irdp.exceptions import IrdpWarning
from irdp.report import scan_identifiers
from irdp.report.scan import MIN_NUMERIC_DIGITS


def test_values_and_identifier_columns(tmp_path):
    (tmp_path / "t.csv").write_text("worker_id,n\nW-000123,12\n")
    (tmp_path / "r.html").write_text("<img src='data:image/png;base64,xxW-000124xx'>")
    found = scan_identifiers(tmp_path, {"W-000123", "W-000124"})
    kinds = sorted((f.kind, f.token) for f in found)
    assert kinds == [("column", "worker_id"), ("value", "W-000123")]
    assert all("W-000123" not in repr(f) for f in found)


def test_numeric_identifiers_are_searched_not_refused(tmp_path):
    ids = {str(9_000_000_000 + k) for k in range(1, 3001)}
    (tmp_path / "clean.csv").write_text(
        "group,n,risk,p\nS001,9000,0.9000000001,1e-05\nS002,3000,9000000001.5,0.000123\n")
    (tmp_path / "provenance.json").write_text('{"seed": 20240601, "n": 3000}')
    assert scan_identifiers(tmp_path, ids) == []
    (tmp_path / "leak.html").write_text("<td>9000000002</td><td>12</td>")
    found = scan_identifiers(tmp_path, ids)
    assert [(f.path.name, f.kind, f.token) for f in found] == [
        ("leak.html", "value", "9000000002")]


def test_short_numeric_identifiers_are_not_searchable_and_say_so(tmp_path):
    (tmp_path / "t.csv").write_text("group,n\nall,17\n")
    short = {str(k) for k in range(1, 40)}
    with pytest.warns(IrdpWarning, match=r"39 numeric identifier value\(s\) have fewer than"):
        assert scan_identifiers(tmp_path, short | {"W1"}) == []
    # a leading zero cannot be a count: searched
    (tmp_path / "u.csv").write_text("group,n\n0017,12\n")
    assert [f.token for f in scan_identifiers(tmp_path, {"0017"})] == ["0017"]
    assert len("9" * MIN_NUMERIC_DIGITS) == MIN_NUMERIC_DIGITS


def test_identifiers_that_are_not_single_tokens(tmp_path):
    (tmp_path / "t.txt").write_text("worker AB/12 was here; XAB/123 is another\n")
    assert [f.token for f in scan_identifiers(tmp_path, {"AB/12", "B/123"})] == ["AB/12"]


def test_max_findings(tmp_path):
    (tmp_path / "t.txt").write_text(" ".join(f"W{k:04d}" for k in range(100)))
    found = scan_identifiers(tmp_path, {f"W{k:04d}" for k in range(100)}, max_findings=7)
    assert len(found) == 7
