"""End to end on a synthetic DMST: cohort, features, a Cox index, fairness and missingness.

The generator (irdp.synth) gives each SPSTI its own coding habits (e.g. the share of
workers whose education level is recorded) and a centre effect on the inaptitude hazard;
the index fitted below ignores the SPSTI. One extract of 30,000 workers (seed 3), landmark
2020-01-01 (about 14,000 workers and 400 inaptitudes with the generator at the time of
writing), 24-month horizon.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from irdp.fairness import OVERALL, fairness_summary
from irdp.missing import missingness_report
from irdp.privacy import check_disclosure


@pytest.fixture(scope="module")
def synthetic():
    from irdp.cohort import CohortDefinition, build_cohort
    from irdp.features import build_features
    from irdp.models import CoxIndex
    from irdp.synth import generate_dmst

    res = generate_dmst(30_000, seed=3)
    d = CohortDefinition.from_dict({
        "name": "landmark_2020", "index": {"kind": "landmark", "date": "2020-01-01"},
        "extract_end": "2024-12-31", "eligibility": {"age_min": 18, "age_max": 64},
        "horizon": {"months": 24}})
    cohort = build_cohort(res.extract, d)
    X = build_features(res.extract, cohort).reset_index(drop=True)

    def flag(s: pd.Series) -> np.ndarray:
        return s.fillna(False).astype(bool).to_numpy(float)

    Z = pd.DataFrame({"age": X["age"].to_numpy(float),
                      "female": (X["sex"] == "F").to_numpy(float),
                      "sick_leave_long": (X["sl_long_n_5y"] > 0).to_numpy(float),
                      "msk": flag(X["dx_msk_ever"]), "mental": flag(X["dx_mental_ever"]),
                      "rqth": flag(X["rqth"])})
    y = cohort.survival
    risk = CoxIndex().fit(Z, y).predict_risk(Z, horizon=730.0)
    groups = pd.DataFrame({"spsti": cohort.table["spsti_id"].to_numpy(),
                           "sex": X["sex"].to_numpy(), "age_band": X["age_band"].to_numpy(),
                           "naf_section": X["naf_section"].to_numpy(),
                           "company_size": X["company_size"].to_numpy()})
    return res, X, y, risk, groups


def test_fairness_summary_on_synthetic_cohort_is_disclosure_safe(synthetic):
    _, _, y, risk, groups = synthetic
    with warnings.catch_warnings(record=True):  # small groups warn; recorded, not raised
        warnings.simplefilter("always")
        fs = fairness_summary(y, risk, groups, horizon=730.0, pairs=[("sex", "age_band")],
                              thresholds=[0.05], n_boot=10, seed=1)
    for grouping, tab in fs.groups.groupby("grouping"):
        n_groups = int(groups[grouping.split(" x ")].astype(str).drop_duplicates().shape[0])
        assert len(tab) == n_groups  # every group listed, none dropped
        assert check_disclosure(tab.reset_index(drop=True),
                                count_columns=["n", "events", "non_events"],
                                known_totals=True) == []
    suppressed = fs.groups["status"].str.startswith("suppressed")
    assert suppressed.any()
    vals = fs.table.merge(fs.groups, on=["grouping", "group"])
    assert vals.loc[vals["status"].str.startswith("suppressed"), "value"].isna().all()
    t = fs.table
    overall_oe = t.loc[(t["group"] == OVERALL) & (t["measure"] == "oe_ratio"), "value"].item()
    assert overall_oe == pytest.approx(1.0, abs=0.15)  # Cox risks are calibrated overall


def test_missingness_by_spsti_follows_the_generator(synthetic):
    """Education level is recorded at SPSTI-specific rates: the report ranks them right."""
    res, X, _, _, groups = synthetic
    rep = missingness_report(X[["education_level"]], groups=groups[["spsti"]])
    t = rep.by_group.merge(res.truth.spsti, left_on="group", right_on="spsti_id")
    rho = spearmanr(t["pct_missing"].astype(float), 1 - t["education_recorded"]).statistic
    assert rho > 0.9
    worst = t.loc[t["pct_missing"].astype(float).idxmin(), "group"]
    assert worst == t.loc[t["education_recorded"].idxmax(), "group"]
