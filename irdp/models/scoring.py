"""Scoring new workers from an exported model alone (``irdp score``).

The export of a model (``model.export(cohort=definition)``) carries the cohort definition
(index dates, eligibility, horizon), the names and definitions of the features, the
design (levels, knots) and the coefficients and baseline; :func:`score_extract` rebuilds
the cohort and features on a new extract and applies the model, so an SPSTI or a
software editor needs neither the training data nor the training code path.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["feature_definitions", "score_extract"]

from irdp.models._features import feature_definitions

ID_COLUMNS = ["worker_id", "spsti_id", "index_date", "index_visit_id"]


def score_extract(
    spec: dict[str, Any],
    extract: Any,
    *,
    cohort: Any = None,
    horizon: float | None = None,
) -> pd.DataFrame:
    """Build cohort and features on ``extract`` and score every eligible row.

    Parameters
    ----------
    spec : dict
        A model export (``model.export(cohort=...)``).
    extract : irdp.io.Extract
    cohort : irdp.cohort.CohortDefinition, optional
        Overrides the definition stored in ``spec``.
    horizon : float, optional
        Overrides the horizon stored in ``spec`` (days; timed models only).

    Returns
    -------
    pandas.DataFrame
        ``worker_id, spsti_id, index_date, index_visit_id, linear_predictor, risk``,
        ``level`` when the export holds risk levels, ``scored`` and ``reason`` (rows with a
        missing feature are not scored: NaN risk, ``scored=False``, the missing features
        named in ``reason``).
    """
    from irdp.cohort import CohortDefinition, build_cohort
    from irdp.features import REGISTRY, build_features
    from irdp.models.base import load

    model = load(spec)
    if not hasattr(model, "design_"):
        raise ValueError(
            f"{spec.get('model')} has no feature design (it reads instrument items directly); "
            "irdp score can only apply models fitted on irdp features."
        )
    if cohort is None:
        if "cohort" not in spec:
            raise ValueError(
                "the model export holds no cohort definition; export it with "
                "model.export(cohort=definition) or pass --cohort."
            )
        cohort = CohortDefinition.from_dict(spec["cohort"])
    columns = list(model.design_.input_columns) + list(getattr(model, "strata", None) or [])
    unknown = [c for c in columns if c not in REGISTRY]
    if unknown:
        raise ValueError(
            f"the model uses columns {unknown[:5]} that are not registered irdp features; "
            "irdp score can only rebuild registered features (see docs/feature_dictionary.md)."
        )
    built = build_cohort(extract, cohort)
    X = build_features(extract, built, features=list(dict.fromkeys(columns)))
    out = built.table[ID_COLUMNS].copy()
    missing = X[columns].isna()
    ok = ~missing.any(axis=1).to_numpy()
    out["linear_predictor"] = np.nan
    out["risk"] = np.nan
    h = horizon if horizon is not None else spec.get("horizon")
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
