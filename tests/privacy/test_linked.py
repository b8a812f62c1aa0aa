"""LinkedTables: declarations, suppression of linked tables, rounding, zeros, manifests."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from irdp.exceptions import DisclosureError
from irdp.privacy import DisclosurePolicy, LinkedTables, Rate, audit_tables


def _two_way(values: np.ndarray, rows: list[str], cols: list[str]) -> pd.DataFrame:
    """A two-way table with its margins (last row and column 'all')."""
    t = pd.DataFrame(values, index=rows, columns=cols)
    t["all"] = t.sum(axis=1)
    t.loc["all"] = t.sum(axis=0)
    return t.rename_axis("a").reset_index()


def _declare_two_way(lt: LinkedTables, name: str, t: pd.DataFrame, row_dim: str,
                     col_dim: str, **kw) -> None:
    cols = [c for c in t.columns if c not in ("a", "all")]
    lt.add(name, t, dims={"a": row_dim},
           counts={**{c: {col_dim: c} for c in cols}, "all": {}}, **kw)


def test_declaration_errors():
    t = pd.DataFrame({"g": ["x", "y"], "n": [20, 30], "k": [3, 4]})
    lt = LinkedTables()
    with pytest.raises(ValueError, match=r"integer columns \['k'\] are not declared"):
        lt.add("t", t, dims={"g": "g"}, counts=["n"])
    with pytest.raises(ValueError, match="declared but not in the frame"):
        lt.add("t", t, dims={"g": "g"}, counts=["n", "zz"], other=["k"])
    with pytest.raises(ValueError, match="hidden columns"):
        lt.add("t", t, dims={"g": "g"}, counts=["n"], hidden=["k"])
    with pytest.raises(ValueError, match="not a count column"):
        lt.add("t", t.assign(r=0.1), dims={"g": "g"}, counts=["n"], other=["k"],
               rates={"r": Rate("k", "n")})
    with pytest.raises(TypeError, match="must be numeric"):
        lt.add("t", t.assign(s="a"), dims={"g": "g"}, counts=["s"], other=["n", "k"])
    with pytest.raises(TypeError, match="DataFrame"):
        lt.add("t", t.to_dict(), counts=["n"])
    lt.add("t", t, dims={"g": "g"}, counts=["n", "k"])
    with pytest.raises(ValueError, match="already declared"):
        lt.add("t", t, dims={"g": "g"}, counts=["n", "k"])
    with pytest.raises(ValueError, match="contradicts"):
        LinkedTables().add("u", t, dims={"g": "g"}, counts={"n": {"g": "z"}}, other=["k"])


def test_inconsistent_declarations_are_refused():
    # the total row is not the sum of its cells
    t = pd.DataFrame({"g": ["x", "y", "all"], "n": [20, 30, 51]})
    lt = LinkedTables()
    lt.add("t", t, dims={"g": "g"}, counts=["n"])
    with pytest.raises(ValueError, match="inconsistent"):
        lt.suppress()
    # the same cell with two values in two tables
    lt2 = LinkedTables()
    lt2.add("a", pd.DataFrame({"g": ["x"], "n": [20]}), dims={"g": "g"}, counts=["n"])
    lt2.add("b", pd.DataFrame({"g": ["x"], "n": [21]}), dims={"g": "g"}, counts=["n"])
    with pytest.raises(ValueError, match="is 21 here but 20 elsewhere"):
        lt2.suppress()
    # a level missing from a dimension only ever published at one level
    lt3 = LinkedTables()
    lt3.add_known({}, 100)
    lt3.add("c", pd.DataFrame({"f": ["yes"], "k": [30]}), dims={"f": "flagged"},
            counts=["k"])
    with pytest.raises(ValueError, match="declare every level"):
        lt3.suppress()
    lt3.levels("flagged", ["yes", "no"])
    assert lt3.suppress()["c"]["k"].tolist() == [30]
    with pytest.raises(ValueError, match="two groups"):
        LinkedTables().hierarchy("d", "s", {"a": ["s1"], "b": ["s1"]})


def test_two_way_table_suppression_is_a_rectangle():
    t = _two_way(np.array([[5, 30, 40], [25, 35, 45], [60, 70, 80]]), ["r1", "r2", "r3"],
                 ["c1", "c2", "c3"])
    lt = LinkedTables()
    _declare_two_way(lt, "t", t, "row", "col")
    out = lt.suppress()
    mask = out.mask("t")
    assert mask.to_numpy().sum() == 4
    assert mask.loc[0, "c1"]
    assert not mask.loc[3].any()  # margins published
    assert not mask["all"].any()
    assert out.n_primary == 1
    assert out.n_secondary == 3
    assert out.audit().clean
    assert not audit_tables({"t": out.formatted("t")}).findings


def test_linked_tables_share_a_margin():
    # A x B and A x C share the A margin: a suppression pattern chosen for each table alone
    # can be undone with the other; together it cannot
    ab = _two_way(np.array([[4, 50], [30, 60]]), ["a1", "a2"], ["b1", "b2"])
    ac = _two_way(np.array([[20, 34], [45, 45]]), ["a1", "a2"], ["c1", "c2"])
    lt = LinkedTables()
    _declare_two_way(lt, "ab", ab, "A", "B")
    _declare_two_way(lt, "ac", ac, "A", "C")
    out = lt.suppress()
    assert out.audit().clean
    m_ab, m_ac = out.mask("ab"), out.mask("ac")
    assert m_ab.loc[0, "b1"]
    # the shared margin a1 (54) cannot stay visible in one table and hidden in the other
    assert m_ab.loc[0, "all"] == m_ac.loc[0, "all"]


def test_rounding_policy():
    policy = DisclosurePolicy(min_count=8, rounding=5, override_reason="OpenSAFELY rule")
    t = pd.DataFrame({"g": ["x", "y", "z", "all"], "n": [6, 13, 42, 61]})
    lt = LinkedTables(policy)
    lt.add("t", t, dims={"g": "g"}, counts=["n"])
    out = lt.suppress()
    shown = out["t"]["n"]
    assert shown.isna().tolist()[0]
    assert (shown.dropna() % 5 == 0).all()
    assert out.audit().clean
    assert out["t"].attrs["disclosure"]["policy"]["rounding"] == 5


def test_protect_zeros():
    t = pd.DataFrame({"g": ["x", "y", "z", "all"], "n": [0, 40, 45, 85]})
    plain = LinkedTables()
    plain.add("t", t, dims={"g": "g"}, counts=["n"])
    assert plain.suppress()["t"]["n"].notna().all()  # a zero describes nobody: published
    strict = LinkedTables(DisclosurePolicy(protect_zeros=True))
    strict.add("t", t, dims={"g": "g"}, counts=["n"])
    out = strict.suppress()
    assert out["t"]["n"].isna().tolist() == [True, True, False, False]
    assert out.audit().clean


def test_derived_columns_and_table_one_layout():
    from irdp.report import table_one

    rng = np.random.default_rng(3)
    n = 400
    frame = pd.DataFrame({
        "spsti": rng.choice(["S1", "S2", "S3"], size=n, p=[0.5, 0.47, 0.03]),
        "sex": rng.choice(["F", "M"], size=n),
        "age": rng.normal(40, 10, size=n).round(),
        "rqth": rng.choice(["yes", "no"], size=n, p=[0.04, 0.96]),
    })
    t1 = table_one(frame, "spsti", ["age", "sex", "rqth"])
    groups = ["S1", "S2", "S3", "Overall"]
    not_mean = {"level": [v for v in t1["level"].unique() if v != "mean (SD)"]}
    lt = LinkedTables()
    lt.add("table1", t1, variable_level=("variable", "level"), totals=("N",),
           counts={f"{g}: n": ({} if g == "Overall" else {"spsti": g}) for g in groups},
           rates={f"{g}: %/mean": Rate(f"{g}: n", f"{g}: n", scale=100,
                                       denominator_row={"variable": "N"}, where=not_mean)
                  for g in groups},
           derived={**{f"{g}: SD": [f"{g}: n"] for g in groups},
                    **{f"{g}: %/mean": [f"{g}: n"] for g in groups}, "SMD": "row"},
           derived_block="variable")
    out = lt.suppress()
    assert out.audit().clean
    shown, mask = out["table1"], out.mask("table1")
    # every hidden count hides its percentage; a variable with a hidden count hides its SMD
    for g in groups:
        assert (mask[f"{g}: %/mean"] | ~mask[f"{g}: n"]).all()
    for var in t1["variable"].unique():
        rows = (t1["variable"] == var).to_numpy()
        if mask.loc[rows, [f"{g}: n" for g in groups]].to_numpy().any():
            assert shown.loc[rows, "SMD"].isna().all()
    counts = shown[[f"{g}: n" for g in groups]].stack().dropna()
    assert ((counts == 0) | (counts >= 11)).all()
    assert not audit_tables({"table1": out.formatted("table1")}).findings


def test_unprotectable_count_strict_and_lenient():
    # a total published elsewhere (7) pins the only non-zero cell of its line
    t = pd.DataFrame({"g": ["x", "y"], "n": [7, 0]})
    lt = LinkedTables()
    lt.add("t", t, dims={"g": "g"}, counts=["n"])
    lt.add_known({}, 7)
    with pytest.raises(DisclosureError, match="cannot be protected"):
        lt.suppress()
    out = lt.suppress(strict=False)
    assert out.unprotected == ["table 't' row 0 column 'n'"]


def test_manifest_round_trip_is_json_and_audits_published_values():
    ab = _two_way(np.array([[4, 50], [30, 60]]), ["a1", "a2"], ["b1", "b2"])
    lt = LinkedTables()
    lt.hierarchy("H", "A", {"h": ["a1", "a2"]})
    _declare_two_way(lt, "ab", ab, "A", "B")
    out = lt.suppress()
    manifest = json.loads(json.dumps(out.manifest()))
    assert manifest["format"] == "irdp-disclosure-manifest"
    assert manifest["policy"]["min_count"] == 11
    assert "values" not in json.dumps(manifest)
    again = LinkedTables.from_manifest(manifest, {"ab": out["ab"]})
    assert again.audit().clean
    # a published table that gives a hidden count back is caught from the same manifest
    leaky = out["ab"].copy()
    leaky["b1"] = leaky["b1"].astype("Float64")
    leaky.loc[1, "b1"] = 30.0
    bad = LinkedTables.from_manifest(manifest, {"ab": leaky}).audit()
    assert not bad.clean
    assert any(f.lower == f.upper == 4 for f in bad.findings)
