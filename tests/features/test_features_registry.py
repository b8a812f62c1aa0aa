"""The registry, the committed data dictionary, the missingness report and the CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from irdp.cli import main
from irdp.cohort import CohortDefinition, build_cohort
from irdp.features import (
    FAMILIES,
    GROUPS,
    REGISTRY,
    Feature,
    build_features,
    data_dictionary,
    data_dictionary_markdown,
    feature_sql,
    get_feature,
    missingness_report,
)
from irdp.features.registry import register_group
from tests.cohort.tiny_dmst import DEFINITION, tiny_extract, tiny_frames

ROOT = Path(__file__).resolve().parents[2]


def test_registry_size_and_families():
    assert len(REGISTRY) >= 60
    fams = {f.family for f in REGISTRY.values()}
    assert {"health", "individual", "professional", "organisational"} <= fams
    assert fams <= set(FAMILIES)
    for f in REGISTRY.values():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", f.name), f.name
        assert all([f.label_fr, f.label_en, f.description, f.lookback, f.missing]), f.name
        assert f.sources, f.name
        assert f.group in GROUPS
        if f.dtype == "category":
            assert f.levels is None or len(f.levels) > 0
    # the required feature themes are present
    for name in ["age", "age_band", "sex", "rqth", "invalidity_any", "naf_section",
                 "company_size", "contract", "pcs_group", "followup_type", "sl_n_5y",
                 "sl_days_5y", "sl_days_since_last", "sl_long_n_5y", "sl_repeated_24m",
                 "sl_at_n_5y", "sl_mp_n_5y", "prev_amenagement_ever",
                 "prev_pdp_orientation_ever", "dx_msk_ever", "dx_mental_24m",
                 "dx_circulatory_ever", "dx_neoplasm_ever", "dx_nervous_ever", "dx_n_chronic",
                 "exp_biomech_any", "exp_chemical_any", "exp_physical_any",
                 "exp_psychosocial_any", "exp_biomech_years", "wai_total", "wai_item1",
                 "was_score", "ompsq_total", "q4_total", "wai_days_since",
                 "dq_history_years"]:
        assert name in REGISTRY, name


def test_group_sql_returns_exactly_its_features():
    ex = tiny_extract()
    cohort = build_cohort(ex, CohortDefinition.from_dict(DEFINITION))
    for name, group in GROUPS.items():
        X = build_features(ex, cohort, features=[f.name for f in group.features])
        assert list(X.columns) == [f.name for f in group.features], name
        assert len(X) == len(cohort)
    sql = feature_sql("_p_", list(REGISTRY.values()))
    assert all(f") AS g{k} ON g{k}.row_id = c.row_id" in sql for k in range(len(GROUPS)))
    assert f"AS g{len(GROUPS)} ON" not in sql


def test_register_group_refuses_duplicates():
    f = REGISTRY["age"]
    with pytest.raises(ValueError, match="already registered"):
        register_group("worker", lambda p: "", [f])
    with pytest.raises(ValueError, match="feature 'age' is already registered"):
        register_group("a_new_group_for_the_test", lambda p: "", [f])
    assert "a_new_group_for_the_test" not in GROUPS
    with pytest.raises(ValueError, match="family must be one of"):
        Feature("x", "social", "x", "x", "x", ("worker",), (), "int", "", "", "")
    with pytest.raises(KeyError, match="did you mean|Did you mean"):
        get_feature("sl_n_24")


@pytest.mark.parametrize("ext", ["csv", "md"])
def test_committed_data_dictionary_matches_registry(ext):
    """Golden test: docs/feature_dictionary.* are generated from the registry.

    Regenerate with ``irdp features --dictionary docs/`` after changing a feature.
    """
    committed = (ROOT / "docs" / f"feature_dictionary.{ext}").read_text(encoding="utf-8")
    if ext == "csv":
        expected = data_dictionary().to_csv(index=False, lineterminator="\n")
    else:
        expected = data_dictionary_markdown() + "\n"
    assert committed == expected


def test_missingness_report():
    ex = tiny_extract()
    cohort = build_cohort(ex, CohortDefinition.from_dict(DEFINITION))
    X = build_features(ex, cohort, features=["wai_total", "age", "rqth"])
    rep = missingness_report(X, cohort)
    overall = rep[rep["spsti_id"] == "ALL"].set_index("feature")
    # only w1's two rows have a WAI on or before their index (the 2015 and the index one)
    assert overall.loc["wai_total", "n_missing"] == len(cohort) - 2
    assert overall.loc["age", "n_missing"] == 0
    # rqth is missing only for w2 (S1)
    per = rep[rep["feature"] == "rqth"].set_index("spsti_id")
    assert per.loc["S1", "n_missing"] == 1
    assert per.loc["S2", "n_missing"] == 0
    assert per.loc["S1", "n"] + per.loc["S2", "n"] == per.loc["ALL", "n"] == len(cohort)
    assert per.loc["S1", "share_missing"] == pytest.approx(1 / per.loc["S1", "n"])
    with pytest.raises(ValueError, match="same index"):
        missingness_report(X.iloc[:3], cohort)


def test_cli_features_end_to_end(tmp_path):
    folder = tmp_path / "extract"
    folder.mkdir()
    for name, frame in tiny_frames().items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    cohort_yaml = tmp_path / "tiny.yaml"
    CohortDefinition.from_dict(DEFINITION).to_yaml(cohort_yaml)
    out = tmp_path / "out" / "features.parquet"
    res = CliRunner().invoke(main, ["features", "--extract", str(folder), "--cohort",
                                    str(cohort_yaml), "--out", str(out), "--no-validate",
                                    "--features", "age,sl_n_24m", "--dictionary",
                                    str(tmp_path / "dict")])
    assert res.exit_code == 0, res.output
    table = pd.read_parquet(out)
    assert len(table) == 9
    assert {"worker_id", "time", "cause", "age", "sl_n_24m"} <= set(table.columns)
    assert "wai_total" not in table.columns
    flow = pd.read_csv(out.with_suffix(".flow.csv"))
    assert flow["n_index_events"].iloc[-1] == 9
    assert (tmp_path / "dict" / "feature_dictionary.csv").exists()
    assert "9 rows" in res.output
    bad = CliRunner().invoke(main, ["features", "--extract", str(folder)])
    assert bad.exit_code != 0
    assert "--cohort" in bad.output


def test_cli_on_a_validated_synthetic_extract(tmp_path):
    from irdp.synth import generate_dmst

    generate_dmst(2_000, n_spsti=3, seed=5, out=tmp_path / "extract")
    out = tmp_path / "f.parquet"
    res = CliRunner().invoke(main, [
        "features", "--extract", str(tmp_path / "extract"), "--cohort",
        str(ROOT / "experiments" / "cohorts" / "reprise_6m.yaml"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    table = pd.read_parquet(out)
    assert len(table) > 0
    assert set(REGISTRY) <= set(table.columns)
    miss = pd.read_csv(out.with_suffix(".missingness.csv"))
    assert set(miss["feature"]) == set(REGISTRY)
