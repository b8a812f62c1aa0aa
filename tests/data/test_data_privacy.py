"""Disclosure control and pseudonymisation on hand-worked cases."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from irdp.privacy import (
    Pseudonymiser,
    check_disclosure,
    format_suppressed,
    is_disclosive,
    pseudonymise,
    suppress_small_counts,
)

KEY = b"0123456789abcdef0123456789abcdef"


def test_primary_suppression_threshold_boundaries():
    t = pd.DataFrame({"n": [0, 1, 10, 11, 500]})
    out = suppress_small_counts(t)
    assert out["n"].isna().tolist() == [False, True, True, False, False]
    attrs = dict(out.attrs["disclosure"])
    assert attrs.pop("policy")["min_count"] == 11
    assert attrs == {"threshold": 11, "n_primary": 2, "n_secondary": 0, "n_rates": 0,
                     "n_unprotected": 0}
    out5 = suppress_small_counts(t, threshold=5)  # the former name, below 11: legacy override
    assert out5.attrs["disclosure"]["policy"]["override"]["reason"].startswith("legacy")
    assert out5["n"].isna().tolist() == [False, True, False, False, False]
    outz = suppress_small_counts(t, suppress_zeros=True)
    assert outz["n"].isna().tolist() == [True, True, True, False, False]


def test_secondary_suppression_row_total():
    # events + non_events = n; events=4 suppressed -> n - non_events would reveal it,
    # so the smallest other cell of the row (non_events=30 < n=34) is suppressed too.
    t = pd.DataFrame({"events": [4, 40], "non_events": [30, 60], "n": [34, 100]}, index=["a", "b"])
    out, mask = suppress_small_counts(t, row_total="n", return_mask=True)
    assert mask.loc["a"].tolist() == [True, True, False]
    assert not mask.loc["b"].any()
    assert out.attrs["disclosure"]["n_secondary"] == 1
    assert check_disclosure(out, row_total="n") == []


def test_secondary_suppression_two_way_table_with_margins():
    # 3x3 contingency table with row totals and a total row; one small cell (5).
    t = pd.DataFrame(
        {"x": [5, 20, 25], "y": [30, 40, 70], "total": [35, 60, 95]}, index=["r1", "r2", "Total"]
    )
    out, mask = suppress_small_counts(t, row_total="total", total_row="Total", return_mask=True)
    # the classic rectangle: the two cells of each interior row, margins kept
    assert mask.loc[["r1", "r2"], ["x", "y"]].all().all()
    assert not mask["total"].any()
    assert not mask.loc["Total"].any()
    assert out.attrs["disclosure"]["n_secondary"] == 3
    assert not is_disclosive(out, row_total="total", total_row="Total")
    # the unsuppressed original is disclosive
    assert is_disclosive(t, row_total="total", total_row="Total")


def test_known_totals_forces_a_second_cell_per_column():
    t = pd.DataFrame({"n": [300, 8, 50, 20]}, index=list("abcd"))
    out = suppress_small_counts(t, known_totals=True)
    assert out["n"].isna().tolist() == [False, True, False, True]  # 20 is the smallest other


def test_rates_suppressed_with_numerator_or_denominator():
    t = pd.DataFrame({"events": [3, 50, 20], "n": [100, 8, 200]}, index=list("abc"))
    t["pct"] = 100 * t["events"] / t["n"]
    out = suppress_small_counts(t, rates={"pct": ("events", "n")})
    assert out["pct"].isna().tolist() == [True, True, False]
    assert out.attrs["disclosure"]["n_rates"] == 2
    problems = check_disclosure(t, rates={"pct": ("events", "n")})
    assert any("rate 'pct'" in p for p in problems)
    assert check_disclosure(out, rates={"pct": ("events", "n")}) == []


def test_input_not_modified_and_format():
    t = pd.DataFrame({"n": [3, 50]})
    before = t.copy()
    out = suppress_small_counts(t)
    pd.testing.assert_frame_equal(t, before)
    assert format_suppressed(out, marker="s")["n"].tolist() == ["s", "50"]
    assert format_suppressed(out)["n"].tolist() == ["[c]", "50"]


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"threshold": 0}, ValueError, "threshold must be >= 1"),
        ({"min_count": 5}, ValueError, "min_count must be at least 11 unless an override"),
        ({"min_count": 12, "threshold": 11}, ValueError, "same setting"),
        ({"threshold": 2.5}, TypeError, "threshold must be an int"),
        ({"count_columns": ["zz"]}, ValueError, "count_columns must name columns"),
        ({"rates": {"pct": ("e", "n")}}, ValueError, "not in table"),
        ({"row_total": "q"}, ValueError, "row_total"),
        ({"total_row": "nope"}, ValueError, "total_row"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        suppress_small_counts(pd.DataFrame({"n": [3, 50]}), **kwargs)


def test_pseudonymise_stable_per_key_and_differs_across_keys():
    ids = pd.Series(["1850775123456", "2900133123456", "1850775123456"], index=[7, 8, 9])
    a = pseudonymise(ids, KEY)
    b = pseudonymise(ids, KEY)
    c = pseudonymise(ids, b"another-key-another-key-another!")
    pd.testing.assert_series_equal(a, b)
    assert a.index.tolist() == [7, 8, 9]
    assert a.iloc[0] == a.iloc[2]
    assert a.iloc[0] != a.iloc[1]
    assert not (a == c).any()
    assert a.str.fullmatch(r"[0-9a-f]{32}").all()
    assert not any("1850775123456" in v for v in a)


def test_pseudonymise_known_hmac_value():
    import hashlib
    import hmac

    expected = hmac.new(KEY, b"abc", hashlib.sha256).hexdigest()
    assert pseudonymise("abc", KEY, length=64) == expected
    assert pseudonymise(["abc"], KEY, length=64, prefix="W")[0] == "W" + expected


def test_pseudonymise_missing_and_shapes():
    arr = pseudonymise(np.array([["a", "b"], ["c", "a"]], dtype=object), KEY, length=8)
    assert arr.shape == (2, 2)
    assert arr[0, 0] == arr[1, 1]
    s = pseudonymise(pd.Series(["a", None]), KEY)
    assert s.isna().tolist() == [False, True]


def test_key_never_exposed():
    p = Pseudonymiser(KEY)
    assert KEY.decode() not in repr(p)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(p)
    with pytest.raises(ValueError, match="at least 16 bytes"):
        Pseudonymiser(b"short")
    with pytest.raises(TypeError, match="key must be bytes or str"):
        pseudonymise("x", 12345)
