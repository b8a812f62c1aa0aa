"""Sample sizes against pmsampsize/pmvalsampsize published values (README in the fixture)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from irdp.validation import (
    cstatistic_to_rsquared,
    development_sample_size,
    validation_sample_size,
    validation_sample_size_survival,
)

REF = Path(__file__).parents[1] / "reference" / "samplesize"
VALUES = json.loads((REF / "values.json").read_text())


PMSAMPSIZE = json.loads((REF / "pmsampsize_1.1.3.json").read_text())


@pytest.mark.parametrize("case", PMSAMPSIZE["cases"], ids=[c["id"] for c in PMSAMPSIZE["cases"]])
def test_development_matches_pmsampsize_1_1_3(case):
    """pmsampsize 1.1.3, tests/testthat/test_bin.R 4.1-4.4 and test_surv.R 3.1-3.9:
    pmsampsize(type=, csrsquared=, parameters=, prevalence= | rate=, timepoint=, meanfup=),
    run from the package's own R code by pmsampsize_1.1.3.R (13 cases)."""
    assert PMSAMPSIZE["version"] == "1.1.3"
    if case["type"] == "b":
        res = development_sample_size("binary", parameters=case["parameters"],
                                      rsquared=case["csrsquared"], prevalence=case["prevalence"])
    else:
        res = development_sample_size("survival", parameters=case["parameters"],
                                      rsquared=case["csrsquared"], rate=case["rate"],
                                      timepoint=case["timepoint"], meanfup=case["meanfup"])
    assert res.criteria["sample_size"].tolist() == case["sample_size"] == case["ss"]  # exact
    assert res.criteria["epp"].tolist() == pytest.approx(case["epp"], abs=1e-9)
    assert res.sample_size == case["ss"][-1]
    # unrounded intermediate quantities of 1.1.3: max R2, Nagelkerke R2, shrinkage
    assert res.details["max_rsquared"] == pytest.approx(case["max_r2a"], rel=1e-12)
    assert res.details["nagelkerke_rsquared"] == pytest.approx(case["nag_r2"], rel=1e-12)
    assert res.details["shrinkage"] == pytest.approx(case["final_shrinkage"], rel=1e-12)
    if case["type"] == "s":
        lo, hi = res.details["cumulative_incidence_ci"]
        assert lo < res.details["cumulative_incidence"] < hi


def test_nagelkerke_input_as_pmsampsize_1_1_3():
    """pmsampsize 1.1.3: rsquared = round(nagrsquared * max R2, 3)."""
    res = development_sample_size("binary", parameters=24, nagrsquared=0.4774, prevalence=0.174)
    assert res.criteria.loc["Criteria 1", "rsquared"] == 0.288
    assert res.sample_size == 662
    with pytest.raises(ValueError, match="only one of"):
        development_sample_size("binary", parameters=24, rsquared=0.2, nagrsquared=0.3,
                                prevalence=0.174)


def test_cstatistic_conversion_matches_large_simulation():
    # R simulation with 2e6 subjects (reference.R): Monte-Carlo SE about 3e-4.
    assert cstatistic_to_rsquared(0.81, 0.77) == pytest.approx(VALUES["r2_c081_p077"], abs=1e-3)
    assert cstatistic_to_rsquared(0.75, 0.20) == pytest.approx(VALUES["r2_c075_p020"], abs=1e-3)
    res = development_sample_size("binary", parameters=10, cstatistic=0.75, prevalence=0.2)
    direct = development_sample_size(
        "binary", parameters=10, rsquared=cstatistic_to_rsquared(0.75, 0.2), prevalence=0.2
    )
    assert res.sample_size == direct.sample_size


def test_validation_binary_deterministic_criteria_match_pmvalsampsize():
    # pmvalsampsize tests/testthat/test_bin.R test 4.1: O/E 905 and C statistic 4252.
    res = validation_sample_size(prevalence=0.018, cstatistic=0.8, lp_normal=(-5, 2.5),
                                 oeciwidth=1)
    sizes = res.criteria["sample_size"]
    assert sizes["O/E"] == 905
    assert sizes["C statistic"] == 4252
    assert res.sample_size == sizes.max()


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"lp_normal": (-5, 2.5)}, "n2_lpnormal_m5_sd2.5"),
        ({"lp_beta": (0.5, 0.5)}, "n2_lpbeta_05_05"),
    ],
)
def test_validation_slope_criterion_matches_large_simulation(kwargs, key):
    # Quadrature vs 4e6-draw R simulation: within 0.5 % (simulation error ~0.1 %).
    res = validation_sample_size(prevalence=0.018, cstatistic=0.8, oeciwidth=1, **kwargs)
    assert res.criteria.loc["calibration slope", "sample_size"] == pytest.approx(
        VALUES[key], rel=5e-3
    )


def test_validation_net_benefit_hand_computed():
    # sens 0.8, spec 0.7, phi 0.1, t 0.1: w = 9 * 1/9 = 1; se = 0.051 (width 0.2);
    # n = (0.8*0.2/0.1 + 0.7*0.3/0.9 + 0.09/(0.09)) / 0.051^2.
    res = validation_sample_size(prevalence=0.1, cstatistic=0.75, lp_normal=(-2.5, 1.0),
                                 threshold=0.1, sensitivity=0.8, specificity=0.7)
    expected = (1.6 + 0.21 / 0.9 + 0.09 / 0.09) / 0.051**2
    assert res.criteria.loc["net benefit", "sample_size"] == int(-(-expected // 1))


def test_larger_parameters_need_more_participants():
    small = development_sample_size("binary", parameters=10, rsquared=0.2, prevalence=0.2)
    large = development_sample_size("binary", parameters=20, rsquared=0.2, prevalence=0.2)
    assert large.sample_size > small.sample_size
    assert "Minimum sample size" in small.summary().as_text()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"outcome": "binary", "parameters": 0, "rsquared": 0.2, "prevalence": 0.1},
         "positive integer"),
        ({"outcome": "binary", "parameters": 5, "prevalence": 0.1}, "rsquared"),
        ({"outcome": "binary", "parameters": 5, "rsquared": 0.2, "prevalence": 1.2},
         r"prevalence must be in \(0, 1\)"),
        ({"outcome": "binary", "parameters": 5, "rsquared": 0.7, "prevalence": 0.05},
         "maximum possible"),
        ({"outcome": "survival", "parameters": 5, "rsquared": 0.1, "rate": 0.1,
          "timepoint": 2}, "meanfup"),
        ({"outcome": "ordinal", "parameters": 5, "rsquared": 0.1}, "'binary' or 'survival'"),
    ],
)
def test_development_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        development_sample_size(**kwargs)


def test_validation_needs_one_lp_distribution():
    with pytest.raises(ValueError, match="exactly one"):
        validation_sample_size(prevalence=0.1, cstatistic=0.7)


def test_survival_validation_by_simulation_matches_events_formula():
    """No censoring before the horizon: SE(log O/E) = 1/sqrt(E), so a 95 % CI of width w
    needs about E = (2 * 1.96 / w)^2 events (w small); with w = 0.4, E ~ 96, n ~ 96 / 0.2."""
    res = validation_sample_size_survival(
        horizon=2.0, risk=0.2, lp_sd=0.8, followup=(3.0, 4.0), oeciwidth=0.4,
        csciwidth=0.6, cstatciwidth=0.2, n_sim=20, seed=5,
    )
    n_oe = res.criteria.loc["O/E", "sample_size"]
    approx = (2 * 1.96 / 0.4) ** 2 / 0.2
    assert 0.8 * approx < n_oe < 1.25 * approx
    assert (res.criteria["mean_ci_width"] <= res.criteria["target_width"]).all()
    assert res.sample_size == res.criteria["sample_size"].iloc[:3].max()


def test_survival_validation_errors():
    with pytest.raises(ValueError, match="shorter than the horizon"):
        validation_sample_size_survival(horizon=5, risk=0.1, lp_sd=1, followup=(1, 3))
    with pytest.raises(ValueError, match="n_sim"):
        validation_sample_size_survival(horizon=1, risk=0.1, lp_sd=1, followup=(1, 3), n_sim=5)
