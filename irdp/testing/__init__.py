"""Helpers for tests of irdp and of code built on it: the registry of candidate indices
and a seeded synthetic data set on which every one of them can be fitted."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from irdp.outcomes import Binary, CompetingRisks, Survival

__all__ = ["all_risk_indices", "make_index_data"]


def make_index_data(
    n: int = 400, *, seed: int = 20240601, horizon: float = 2.0
) -> dict[str, Any]:
    """Seeded synthetic workers with every outcome kind.

    Returns a dict with ``X`` (age, sex, absence_days, physical_job, WAS_1 and wai_total,
    the last one missing for about 30 % of the rows), ``binary`` (event by ``horizon``,
    censoring treated as no event: the generator censors only after ``horizon``),
    ``survival``, ``competing`` (1 = inaptitude, 2 = other exit) and ``horizon``. True log
    hazard ratios of cause 1: 0.04 per year of age, 0.5 for women, 0.03 per absence day,
    0.6 for a physical job.

    Examples
    --------
    >>> from irdp.testing import make_index_data
    >>> d = make_index_data(100)
    >>> d["X"].shape, len(d["competing"])
    ((100, 6), 100)
    """
    rng = np.random.default_rng(seed)
    age = rng.uniform(20, 65, n).round(1)
    sex = rng.choice(["F", "M"], n)
    absence = rng.poisson(6, n).astype(float)
    physical = rng.integers(0, 2, n).astype(float)
    lp = 0.04 * (age - 45) + 0.5 * (sex == "F") + 0.03 * (absence - 6) + 0.6 * physical
    t1 = rng.exponential(1 / (0.12 * np.exp(lp)))
    t2 = rng.exponential(1 / 0.08, n)
    admin = horizon + rng.uniform(0.5, 3.0, n)  # censoring only after the horizon
    time = np.minimum.reduce([t1, t2, admin])
    cause = np.select([t1 == time, t2 == time], [1, 2], 0)
    was = np.clip(np.round(8 - 1.5 * lp + rng.normal(0, 1.5, n)), 0, 10)
    wai = np.clip(np.round(40 - 3 * lp + rng.normal(0, 4, n)), 7, 49)
    wai[rng.random(n) < 0.3] = np.nan
    X = pd.DataFrame({"age": age, "sex": sex, "absence_days": absence,
                      "physical_job": physical, "WAS_1": was, "wai_total": wai})
    return {
        "X": X,
        "binary": Binary((cause == 1) & (time <= horizon), horizon=horizon),
        "survival": Survival(time, cause == 1),
        "competing": CompetingRisks(time, cause),
        "horizon": horizon,
    }


def _examples() -> dict[str, list[tuple[str, Any, str, list[str]]]]:
    """Protocol examples of every registered risk index, keyed by class name."""
    from irdp.missing import ImputedRiskIndex
    from irdp.models import (
        CauseSpecificCoxIndex,
        CoxIndex,
        FineGrayIndex,
        FixedScoreIndex,
        LogisticIndex,
        PointsScore,
    )

    base = ["age", "sex", "absence_days", "physical_job"]
    cat = {"sex": "M"}
    return {
        "LogisticIndex": [
            ("logistic", LogisticIndex(categorical=cat), "binary", base),
            ("logistic_rcs", LogisticIndex(categorical=cat, splines={"age": 4}), "binary", base),
            ("logistic_ridge", LogisticIndex(categorical=cat, penalty="l2", random_state=0),
             "binary", base),
        ],
        "CoxIndex": [
            ("cox_efron", CoxIndex(categorical=cat), "survival", base),
            ("cox_breslow", CoxIndex(ties="breslow", categorical=cat), "survival", base),
            ("cox_strata", CoxIndex(categorical=cat, strata=["physical_job"]), "survival",
             base),
        ],
        "FineGrayIndex": [("fine_gray", FineGrayIndex(categorical=cat), "competing", base)],
        "CauseSpecificCoxIndex": [
            ("cause_specific_cox", CauseSpecificCoxIndex(categorical=cat), "competing", base),
            ("cause_specific_cox_grid",
             CauseSpecificCoxIndex(categorical=cat, grid_min_events=11), "competing", base),
        ],
        "PointsScore": [
            ("points_logistic", PointsScore(model=LogisticIndex(categorical=cat)), "binary",
             base),
            ("points_cox", PointsScore(model=CoxIndex(categorical=cat), horizon=2.0),
             "survival", base),
        ],
        "FixedScoreIndex": [
            ("was_recalibrated", FixedScoreIndex(instrument="WAS"), "binary", ["WAS_1"]),
        ],
        "ImputedRiskIndex": [
            ("imputed_logistic", ImputedRiskIndex(LogisticIndex(categorical=cat), m=2,
                                                  max_iter=2, random_state=0),
             "binary", [*base, "wai_total"]),
            ("imputed_cox", ImputedRiskIndex(CoxIndex(categorical=cat), m=2, max_iter=2,
                                             random_state=0),
             "survival", [*base, "wai_total"]),
        ],
    }


def all_risk_indices() -> list[tuple[str, Any, str, list[str]]]:
    """Every registered candidate index, unfitted, with the outcome it needs.

    Discovered from the registry of :func:`irdp.models.base.register`: every registered
    class deriving from :class:`irdp.models.base.RiskIndexMixin` must have protocol
    examples here, otherwise this function raises, so that no estimator can skip the
    protocol tests (``tests/models/test_models_common.py``).

    Returns
    -------
    list of (name, estimator, outcome, columns)
        ``outcome`` is "binary", "survival" or "competing" (keys of
        :func:`make_index_data`); ``columns`` are the columns of X it uses. Validation
        code can ``sklearn.base.clone`` each estimator and refit it.
    """
    import irdp.missing  # noqa: F401 - registers ImputedRiskIndex
    from irdp.models.base import RiskIndexMixin, registered_models

    examples = _examples()
    indices = sorted(name for name, cls in registered_models().items()
                     if issubclass(cls, RiskIndexMixin))
    missing = [name for name in indices if not examples.get(name)]
    if missing:
        raise LookupError(
            f"registered risk indices {missing} have no protocol example in "
            "irdp.testing._examples(); add one so that the protocol tests cover them."
        )
    return [ex for name in indices for ex in examples[name]]
