"""Scoring new workers from an exported model alone (``irdp score``).

The export of a model (``model.export(cohort=definition, horizon=..., preprocessing=...)``)
carries the cohort definition (index dates, eligibility, horizon), the names and
definitions of the features, the preprocessing of raw features (missing indicators, fill
values, category handling), the design (levels, knots), the coefficients and the baseline
at the published horizons; :func:`score_extract` rebuilds the cohort, the features and
the preprocessing on an extract and applies the model, so an SPSTI or a software editor
needs neither the training data nor the training code path. On the development extract it
reproduces the fitted model's predictions exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from irdp.models._features import feature_definitions
from irdp.models.base import load
from irdp.models.preprocessing import MissingIndicatorPreprocessing

__all__ = ["feature_definitions", "score_extract", "scoring_horizon"]

ID_COLUMNS = ["worker_id", "spsti_id", "index_date", "index_visit_id"]


def scoring_horizon(spec: dict[str, Any], horizon: float | None) -> float | None:
    """The horizon to score at: ``horizon`` if given, else the one the export holds."""
    if horizon is not None:
        return float(horizon)
    held = spec.get("horizon")
    if isinstance(held, list):
        if len(held) == 1:
            return float(held[0])
        raise ValueError(
            f"the model export holds several horizons {held}; choose one with --horizon."
        )
    return held


def _input_columns(model: Any, spec: dict[str, Any]) -> list[str]:
    if not hasattr(model, "feature_names_in_") or (
            not hasattr(model, "design_") and not getattr(model, "_accepts_missing", False)):
        raise ValueError(
            f"{spec.get('model')} has no feature design (it reads instrument items directly); "
            "irdp score can only apply models fitted on irdp features."
        )
    return list(model.feature_names_in_) + list(getattr(model, "strata", None) or [])


def score_extract(
    spec: dict[str, Any],
    extract: Any,
    *,
    cohort: Any = None,
    horizon: float | None = None,
) -> pd.DataFrame:
    """Build cohort, features and preprocessing on ``extract`` and score every eligible row.

    Parameters
    ----------
    spec : dict
        A model export (``model.export(cohort=..., preprocessing=...)``).
    extract : irdp.io.Extract
    cohort : irdp.cohort.CohortDefinition, optional
        Overrides the definition stored in ``spec``.
    horizon : float, optional
        Overrides the horizon stored in ``spec`` (days; timed models only). A confidential
        export answers only at the horizons it holds.

    Returns
    -------
    pandas.DataFrame
        ``worker_id, spsti_id, index_date, index_visit_id, linear_predictor, risk``,
        ``level`` when the export holds risk levels, ``scored`` and ``reason``. With an
        exported preprocessing (or a model that imputes, such as ``ImputedRiskIndex``) every
        row is scored; otherwise rows with a missing feature are not scored (NaN risk,
        ``scored=False``, the missing features named in ``reason``).
    """
    from irdp.cohort import CohortDefinition, build_cohort
    from irdp.features import REGISTRY, build_features

    model = load(spec)
    columns = _input_columns(model, spec)
    prep = (MissingIndicatorPreprocessing.from_dict(spec["preprocessing"])
            if "preprocessing" in spec else None)
    raw = list(prep.features) if prep is not None and prep.features else columns
    if cohort is None:
        if "cohort" not in spec:
            raise ValueError(
                "the model export holds no cohort definition; export it with "
                "model.export(cohort=definition) or pass --cohort."
            )
        cohort = CohortDefinition.from_dict(spec["cohort"])
    unknown = [c for c in raw if c not in REGISTRY]
    if unknown:
        raise ValueError(
            f"the model uses columns {unknown[:5]} that are not registered irdp features; "
            "irdp score can only rebuild registered features (see docs/feature_dictionary.md)."
            + ("" if prep is not None else " Columns such as '<feature>__missing' come from "
               "a preprocessing: export the model with preprocessing=...")
        )
    h = scoring_horizon(spec, horizon)
    built = build_cohort(extract, cohort)
    X = build_features(extract, built, features=list(dict.fromkeys(raw)))
    out = built.table[ID_COLUMNS].copy()
    if prep is not None:
        X = prep.transform(X[raw])
    if prep is not None or getattr(model, "_accepts_missing", False):
        missing = pd.DataFrame(False, index=X.index, columns=columns)
    else:
        missing = X[columns].isna()
    ok = ~missing.any(axis=1).to_numpy()
    out["linear_predictor"] = np.nan
    out["risk"] = np.nan
    if ok.any():
        Xok = X.loc[ok]
        out.loc[ok, "linear_predictor"] = model.linear_predictor(Xok)
        out.loc[ok, "risk"] = model.predict_risk(Xok, horizon=h)
    if "risk_levels" in spec:
        levels = load(spec["risk_levels"])
        lv = pd.Series(pd.NA, index=out.index, dtype="string")
        if ok.any():
            lv[ok] = np.asarray(levels.transform(out.loc[ok, "risk"].to_numpy()), dtype=object)
        out["level"] = lv
    out["scored"] = ok
    reason = [("missing: " + ", ".join(np.asarray(columns)[row])) if row.any() else ""
              for row in missing.to_numpy()]
    out["reason"] = pd.Series(reason, index=out.index, dtype="string")
    return out.reset_index(drop=True)
