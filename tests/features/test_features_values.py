"""Hand-computed feature values on the tiny extract, for every family.

Worker w1 at its mid-career index visit (2020-03-02) has a full history (see
tests/cohort/tiny_dmst.py); w2 at 2020-06-15 has nothing but its index visit and job, which
checks the missing-data rules. Day counts are written as the calendar arithmetic.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from irdp.cohort import Cohort, CohortDefinition, build_cohort
from irdp.features import REGISTRY, build_features
from tests.cohort.tiny_dmst import DEFINITION, tiny_extract, tiny_frames

NA = pd.NA
D = 365.25


@pytest.fixture(scope="module")
def cohort() -> Cohort:
    return build_cohort(tiny_extract(), CohortDefinition.from_dict(DEFINITION))


@pytest.fixture(scope="module")
def X(cohort) -> pd.DataFrame:
    return build_features(tiny_extract(), cohort)


def _pos(cohort: Cohort, worker: str, date: str) -> int:
    t = cohort.table
    return int(((t["worker_id"] == worker) & (t["index_date"] == pd.Timestamp(date))).argmax())


# w1 at 2020-03-02 ---------------------------------------------------------------------
W1 = {
    # health: reprises 2018-09-01 (120 d, MALADIE) and 2019-10-01 (45 d, AT), both within
    # 24 months (after 2018-03-03); the later one is 153 days before the index
    # (Oct 31 + Nov 30 + Dec 31 + Jan 31 + Feb 29 + 1).
    # within 12 months (after 2019-03-03) only the 45-day leave
    "sl_n_12m": 1, "sl_long_n_12m": 0,
    "sl_n_24m": 2, "sl_days_24m": 165, "sl_n_5y": 2, "sl_days_5y": 165, "sl_long_n_5y": 1,
    "sl_repeated_24m": True, "sl_max_days_5y": 120, "sl_last_days": 45,
    "sl_days_since_last": 153, "sl_at_n_5y": 1, "sl_mp_n_5y": 0,
    # M54.5 and F32.1 at the 2018-09-01 visit; I10 at the index visit is not used
    "dx_msk_ever": True, "dx_msk_24m": True, "dx_mental_ever": True, "dx_mental_24m": True,
    "dx_circulatory_ever": False, "dx_circulatory_24m": False, "dx_neoplasm_ever": False,
    "dx_neoplasm_24m": False, "dx_nervous_ever": False, "dx_nervous_24m": False,
    "dx_n_chapters_ever": 2, "dx_n_chronic": 2, "dx_work_related_ever": False,
    # individual: RQTH since 2018-06-01 = 365 + 274 + 1 = 640 days
    "age": 45, "age_band": "40-49", "age_50plus": False, "sex": "F", "education_level": "bac",
    "rqth": True, "rqth_years": 640 / D, "invalidity_category": 0, "invalidity_any": False,
    # WAI filled in at the index visit (7+8+5+5+4+4+3); the 2019-12-01 WAI is incomplete
    "wai_total": 36.0, "wai_item1": 7.0, "wai_item2": 8.0, "wai_item3": 5.0,
    "wai_item4": 5.0, "wai_item5": 4.0, "wai_item6": 4.0, "wai_item7": 3.0,
    "wai_category": "moderate", "wai_days_since": 0, "was_score": math.nan,
    "was_days_since": NA,
    # ÖMPSQ-SF 5+6+(10-3)+(10-2)+7+8+6+(10-4)+9+8 = 70, 92 days before (31+31+29+1)
    "ompsq_total": 70.0, "ompsq_high": True, "ompsq_days_since": 92,
    "q4_total": 4.0, "q4_days_since": 0,
    # professional: CDI since 2010-01-01 (3713 days), retail 47.11F, 10-49 employees
    "employed_at_index": True, "naf_section": "G", "naf_division": "47",
    "company_size": "10-49", "company_small": True, "contract": "CDI",
    "contract_precarious": False, "pcs_group": "6", "followup_type": "SIR",
    "seniority_years": 3713 / D, "n_employments_5y": 0,
    # B0001 2010-01-01..2015-12-31 = 2190 days; O1234 since 2016-01-01 = 1461 + 61 = 1522
    # days; C0002 starts after the index
    "exp_biomech_any": True, "exp_chemical_any": False, "exp_physical_any": False,
    "exp_psychosocial_any": True, "exp_biological_any": False,
    "exp_biomech_years": 2190 / D, "exp_chemical_years": 0.0, "exp_physical_years": 0.0,
    "exp_psychosocial_years": 1522 / D, "exp_n_families": 2, "exp_max_intensity": 3,
    "exp_current_any": True,
    # organisational: visits before the index: VIP 2015-01-10 (older than 5 years),
    # PREREPRISE 2018-07-15, REPRISE x2, DEMANDE_SAL 2019-12-01 (92 days before)
    "n_visits_24m": 4, "n_visits_5y": 4, "n_vip_5y": 0, "n_sir_5y": 0,
    "n_prereprise_24m": 1, "n_reprise_24m": 2, "n_demande_24m": 1, "n_demande_sal_24m": 1,
    "n_demande_emp_24m": 0, "n_demande_mt_24m": 0, "n_mi_carriere_ever": 0,
    "n_fin_carriere_ever": 0,
    "days_since_last_visit": 92, "days_since_last_reprise": 153,
    # PREREPRISE 2018-07-15: 365 + 215 (Jul 15 -> Feb 15) + 16 (Feb 15 -> Mar 2, 2020) = 596;
    # DEMANDE_SAL 2019-12-01: 92; VIP_INIT 2015-01-10: 1878; no SIR or mid-career visit
    "days_since_last_prereprise": 596, "days_since_last_demande": 92,
    "days_since_last_vip": 1878, "days_since_last_sir": NA, "days_since_last_mi_carriere": NA,
    "share_nurse_visits_5y": 0.5,  # IST + IPA among MT, MT, IST, IPA
    "n_leave_without_prereprise_5y": 1,  # 45-day leave ending 2019-10-01, no préreprise
    "index_visit_type": "MI_CARRIERE",
    # AMENAGEMENT (POSTE;TPT, PDP) on 2018-09-01 = 365 + 183 = 548 days before
    "prev_amenagement_n_5y": 1, "prev_amenagement_ever": True,
    "prev_measure_poste_ever": True, "prev_measure_tpt_ever": True,
    "prev_measure_restriction_ever": False, "prev_measure_reclassement_ever": False,
    "prev_pdp_orientation_ever": True, "prev_orientation_n_5y": 1,
    "prev_inaptitude_ever": False, "days_since_last_amenagement": 548,
    # completeness: first visit 2015-01-10 = 1878 days before; 1 of 4 visits in 5 years
    # has a diagnosis, 3 of 4 a conclusion
    "dq_history_years": 1878 / D, "dq_has_prior_visit": True,
    "dq_share_visits_with_diagnosis_5y": 0.25, "dq_share_visits_with_conclusion_5y": 0.75,
    "dq_share_reprise_absence_known": 1.0, "dq_has_questionnaire": True,
    "dq_has_exposure_record": True, "dq_education_known": True,
}

# w2 at 2020-06-15: only its index visit, a CDD at a hospital, no rqth/invalidity recorded
W2_MISSING = {
    "sl_n_24m": 0, "sl_days_24m": 0, "sl_max_days_5y": NA, "sl_last_days": NA,
    "sl_days_since_last": NA, "sl_repeated_24m": False,
    "dx_msk_ever": NA, "dx_n_chronic": NA, "dx_work_related_ever": NA,
    "age": 60, "age_band": "55+", "age_50plus": True, "education_level": NA, "rqth": NA,
    "rqth_years": math.nan, "invalidity_category": NA, "invalidity_any": NA,
    "wai_total": math.nan, "wai_category": NA, "wai_days_since": NA, "ompsq_high": NA,
    "naf_section": "Q", "company_small": False, "contract_precarious": True,
    "pcs_group": "3", "exp_biomech_any": False, "exp_biomech_years": 0.0,
    "exp_n_families": 0, "exp_max_intensity": NA, "exp_current_any": False,
    "n_visits_24m": 0, "days_since_last_visit": NA, "share_nurse_visits_5y": math.nan,
    "prev_amenagement_ever": False, "days_since_last_amenagement": NA,
    "dq_history_years": 0.0, "dq_has_prior_visit": False,
    "dq_share_visits_with_diagnosis_5y": math.nan, "dq_share_reprise_absence_known": math.nan,
    "dq_has_questionnaire": False, "dq_has_exposure_record": False,
    "dq_education_known": False,
}


def _check(value, expected, name):
    if expected is NA or (isinstance(expected, float) and math.isnan(expected)):
        assert pd.isna(value), f"{name}: expected missing, got {value!r}"
    elif isinstance(expected, float):
        assert value == pytest.approx(expected, abs=1e-12), name
    else:
        assert value == expected, f"{name}: expected {expected!r}, got {value!r}"


def test_w1_every_feature_hand_computed(cohort, X):
    assert set(W1) == set(REGISTRY), "every registered feature has a hand-computed value"
    row = X.iloc[_pos(cohort, "w1", "2020-03-02")]
    for name, expected in W1.items():
        _check(row[name], expected, name)


def test_w2_missing_data_rules(cohort, X):
    row = X.iloc[_pos(cohort, "w2", "2020-06-15")]
    for name, expected in W2_MISSING.items():
        _check(row[name], expected, name)


def test_reprise_index_counts_its_own_absence(cohort, X):
    # w1's reprise visit of 2019-10-01 is the index: its 45-day absence is known at the
    # start of the visit ("at index included"), its conclusion is not used.
    row = X.iloc[_pos(cohort, "w1", "2019-10-01")]
    _check(row["sl_n_24m"], 2, "sl_n_24m")
    _check(row["sl_days_since_last"], 0, "sl_days_since_last")
    _check(row["sl_last_days"], 45, "sl_last_days")
    # strictly before: the previous reprise 2018-09-01, 395 days earlier (365 + 30)
    _check(row["days_since_last_reprise"], 395, "days_since_last_reprise")
    _check(row["n_reprise_24m"], 1, "n_reprise_24m")
    _check(row["index_visit_type"], "REPRISE", "index_visit_type")
    _check(row["n_leave_without_prereprise_5y"], 1, "n_leave_without_prereprise_5y")
    # the WAI of the index visit of 2020-03-02 lies in the future here: the 2015 one is used
    _check(row["wai_total"], 46.0, "wai_total")
    _check(row["wai_category"], "excellent", "wai_category")


def test_index_visit_conclusion_and_diagnoses_not_used():
    frames = tiny_frames()
    conc = frames["conclusion"]
    conc.loc[conc["visit_id"] == "v1f", ["conclusion", "measures", "pdp_orientation"]] = [
        "AMENAGEMENT", "RESTRICTION", True]
    frames["diagnosis"] = pd.concat([frames["diagnosis"], pd.DataFrame({
        "visit_id": ["v1f"], "icd10_code": ["G35"], "icd10_system": ["CIM-10-FR-2019"],
        "role": ["SECONDAIRE"], "work_related": [True]})])
    cohort = pd.DataFrame({"worker_id": ["w1"], "index_date": ["2020-03-02"],
                           "index_visit_id": ["v1f"]})
    a = build_features(tiny_extract(), cohort)
    b = build_features(tiny_extract(frames), cohort)
    pd.testing.assert_frame_equal(a, b)


def test_dtypes_and_index(cohort, X):
    assert X.index.equals(cohort.table.index)
    assert list(X.columns) == list(REGISTRY)
    for name, f in REGISTRY.items():
        dtype = str(X[name].dtype)
        assert dtype == {"int": "Int64", "float": "float64", "bool": "boolean",
                         "category": "category"}[f.dtype], name
        if f.levels is not None:
            assert list(X[name].cat.categories[: len(f.levels)]) == list(f.levels)


def test_feature_selection_and_errors(cohort):
    X = build_features(tiny_extract(), cohort, features=["q4_total", "age"])
    assert list(X.columns) == ["q4_total", "age"]
    with pytest.raises(ValueError, match="unknown.*'agee'.*'age'"):
        build_features(tiny_extract(), cohort, features=["agee"])
    with pytest.raises(ValueError, match="repeated"):
        build_features(tiny_extract(), cohort, features=["age", "age"])
    with pytest.raises(TypeError, match="list of feature names"):
        build_features(tiny_extract(), cohort, features="age")
    with pytest.raises(ValueError, match="index_date"):
        build_features(tiny_extract(), pd.DataFrame({"worker_id": ["w1"]}))
    with pytest.raises(TypeError, match="Cohort"):
        build_features(tiny_extract(), [("w1", "2020-01-01")])  # type: ignore[arg-type]


def test_optional_tables_absent_give_missing_not_zero():
    frames = tiny_frames()
    del frames["questionnaire"], frames["exposure"], frames["diagnosis"], frames["company"]
    cohort = pd.DataFrame({"worker_id": ["w1"], "index_date": ["2020-03-02"]})
    X = build_features(tiny_extract(frames), cohort)
    assert pd.isna(X.loc[0, "wai_total"])
    assert pd.isna(X.loc[0, "naf_section"])
    assert pd.isna(X.loc[0, "dx_msk_ever"])
    assert pd.isna(X.loc[0, "exp_biomech_any"])  # zero is not the truth without the table
    assert not X.loc[0, "dq_has_exposure_record"]
    assert X.loc[0, "sl_n_24m"] == 2


def test_empty_cohort():
    d = CohortDefinition.from_dict(dict(DEFINITION, index={"kind": "visit",
                                                          "visit_types": ["FIN_CARRIERE"]}))
    cohort = build_cohort(tiny_extract(), d)
    assert len(cohort) == 0
    assert cohort.flow["n_index_events"].tolist() == [0] * len(cohort.flow)
    X = build_features(tiny_extract(), cohort)
    assert X.shape == (0, len(REGISTRY))
    assert str(X["naf_division"].dtype) == "category"
    assert len(cohort.binary) == 0
