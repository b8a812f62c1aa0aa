"""A risk index with multiple imputation built in, so that resampling designs refit imputation.

Wrapping an index in :class:`ImputedRiskIndex` makes multiple imputation part of the model:
``fit`` imputes the development data (outcome included) by chained equations with predictive
mean matching and fits one copy of the index per imputed data set; ``predict_risk`` imputes
the new rows and averages the predicted risks over the imputations (Rubin's rule for a
prediction is the mean; Wood, Royston & White 2015). Because it is a scikit-learn estimator,
any design that clones and refits it — bootstrap optimism correction, cross-validation,
internal-external validation — refits the imputation inside every resample, as Wahl et al.
(2016) recommend.

At prediction time the outcome of the new rows is unknown, so their imputation model cannot
include it. For every imputed development data set, ``fit`` also estimates a *deployment
imputation model*: the linear regression of every predictor on the others (standardised),
without the outcome. New rows are completed by chained conditional means from these
regressions (Hoogland et al. 2020, conditional mean imputation at deployment): the
prediction is deterministic, needs no development rows as donors, and the model can be
exported without any worker's data.

References
----------
Wahl S, Boulesteix AL, Zierer A, Thorand B, van de Wiel MA. Assessment of predictive
performance in incomplete data by combining internal validation and multiple imputation.
BMC Med Res Methodol 2016;16:144. Wood AM, Royston P, White IR. The estimation and use of
predictions for the assessment of model performance using large samples with multiply imputed
data. Biom J 2015;57:614-632. Hoogland J, van Barreveld M, Debray TPA, et al. Handling
missing predictor values when validating and applying a prediction model to new patients.
Stat Med 2020;39:3591-3607.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError

from irdp.missing.mice import multiple_impute
from irdp.missing.pooling import rubin_pool
from irdp.models._prepared import PreparedData
from irdp.models.base import RiskIndexMixin, load, register

__all__ = ["ImputedRiskIndex"]

#: Passes of chained conditional means when completing new rows.
DEPLOYMENT_PASSES = 10


def _codes(X: pd.DataFrame, categories: dict[str, list]) -> np.ndarray:
    """Numeric matrix of X (NaN = missing), categorical columns as codes of ``categories``."""
    cols = []
    for c in X.columns:
        if c in categories:
            lookup = {v: i for i, v in enumerate(categories[c])}
            vals = X[c].astype(object).tolist()
            cols.append(np.asarray([np.nan if pd.isna(v) else lookup.get(v, np.nan)
                                    for v in vals], dtype=float))
        else:
            cols.append(pd.to_numeric(X[c]).astype("Float64").to_numpy(float, na_value=np.nan))
    return np.column_stack(cols) if cols else np.empty((len(X), 0))


def _deployment_model(data: pd.DataFrame, categories: dict[str, list]) -> dict[str, Any]:
    """Mean, SD and the regression of every column on the others (one imputed data set)."""
    Z = _codes(data, categories)
    mean, sd = Z.mean(axis=0), Z.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    S = (Z - mean) / sd
    p = Z.shape[1]
    coef = np.zeros((p, p))
    for j in range(p):
        others = [k for k in range(p) if k != j]
        if not others:
            continue
        A = S[:, others]
        xtx = A.T @ A
        xtx += 1e-5 * np.diag(np.diag(xtx) + 1e-8)  # the ridge of the imputation models
        coef[j, others] = np.linalg.solve(xtx, A.T @ S[:, j])
    return {"mean": mean.tolist(), "sd": sd.tolist(), "coef": coef.tolist()}


def _complete(X: pd.DataFrame, model: dict[str, Any], categories: dict[str, list]
              ) -> pd.DataFrame:
    """Fill the missing cells of X by chained conditional means of one deployment model."""
    Z = _codes(X, categories)
    miss = np.isnan(Z)
    if not miss.any():
        return X
    mean, sd = np.asarray(model["mean"]), np.asarray(model["sd"])
    coef = np.asarray(model["coef"])
    S = np.where(miss, 0.0, (Z - mean) / sd)  # start at the development mean
    cols = [j for j in range(Z.shape[1]) if miss[:, j].any()]
    for _ in range(DEPLOYMENT_PASSES):
        for j in cols:
            rows = miss[:, j]
            S[rows, j] = S[rows] @ coef[j]
    filled = S * sd + mean
    out = X.copy()
    for j, c in enumerate(X.columns):
        rows = miss[:, j]
        if not rows.any():
            continue
        if c in categories:  # the nearest category code
            code = np.clip(np.rint(filled[rows, j]), 0, len(categories[c]) - 1).astype(int)
            out[c] = out[c].astype(object)
            out.loc[rows, c] = np.asarray(categories[c], dtype=object)[code]
        else:
            out[c] = pd.to_numeric(out[c]).astype(float)
            out.loc[rows, c] = filled[rows, j]
    return out


@register
class ImputedRiskIndex(RiskIndexMixin, BaseEstimator):
    """Risk index fitted on multiply imputed data; predictions averaged over imputations.

    Parameters
    ----------
    estimator : risk index
        Any irdp index (``fit(X, y)``, ``predict_risk(X, horizon=None)``); cloned m times.
    m : int, default=5
        Number of imputations.
    max_iter : int, default=10
        Iterations of each chained-equations chain.
    n_neighbors : int, default=5
        PMM donors.
    random_state : int or None
        Seed of the imputations.

    Attributes
    ----------
    estimators_ : list
        The m fitted indices.
    imputed_ : tuple of DataFrame
        The m imputed development data sets (kept in memory, never exported).
    deployment_models_ : list of dict
        Per imputation: mean, SD and regression coefficients completing new rows.
    coef_, se_ : pandas.Series
        Coefficients of the index pooled by Rubin's rules (mean; total variance
        W + (1 + 1/m) B), when the index has coefficients.
    feature_names_in_ : ndarray of str
    n_features_in_ : int

    References
    ----------
    Rubin DB. Multiple Imputation for Nonresponse in Surveys. Wiley 1987. Wood, Royston &
    White (2015), Biom J 57:614. Hoogland et al. (2020), Stat Med 39:3591.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from irdp.models import LogisticIndex
    >>> from irdp.missing import ImputedRiskIndex
    >>> from irdp.outcomes import Binary
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    >>> y = Binary(rng.random(300) < 1 / (1 + np.exp(-X["a"] - X["b"])))
    >>> X.loc[X.index[:60], "b"] = np.nan
    >>> model = ImputedRiskIndex(LogisticIndex(), m=3, max_iter=3, random_state=1).fit(X, y)
    >>> risk = model.predict_risk(X)
    >>> risk.shape, bool(np.all((risk > 0) & (risk < 1)))
    ((300,), True)
    """

    _accepts_missing = True

    def __init__(
        self,
        estimator: Any,
        *,
        m: int = 5,
        max_iter: int = 10,
        n_neighbors: int = 5,
        random_state: int | None = None,
    ) -> None:
        self.estimator = estimator
        self.m = m
        self.max_iter = max_iter
        self.n_neighbors = n_neighbors
        self.random_state = random_state

    @property
    def _exp_name(self) -> str:  # type: ignore[override]
        return getattr(self.estimator, "_exp_name", "exp_coef")

    @property
    def _outcome_kinds(self) -> tuple[type, ...]:  # type: ignore[override]
        return self.estimator._outcome_kinds

    def fit(self, X: pd.DataFrame | PreparedData, y: Any = None) -> ImputedRiskIndex:
        """Impute ``X`` m times (outcome included) and fit one index per imputed data set."""
        if isinstance(X, PreparedData):
            X, y = X.frame, X.y
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame; got {type(X).__name__}.")
        y = self._check_outcome(y)
        self._check_xy(X, y)
        mi = multiple_impute(X, y, m=self.m, max_iter=self.max_iter,
                             n_neighbors=self.n_neighbors, seed=self.random_state)
        self.imputed_ = mi.datasets
        self.estimators_ = [clone(self.estimator).fit(d, y) for d in mi.datasets]
        self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        self.n_features_in_ = X.shape[1]
        self.categories_ = {
            str(c): sorted(pd.unique(X[c].dropna()).tolist(), key=str)
            for c in X.columns
            if not (pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]))
        }
        self.deployment_models_ = [_deployment_model(d, self.categories_) for d in mi.datasets]
        self._pool_coefficients()
        first = self.estimators_[0]
        self.development_ = dict(getattr(first, "development_", {}))
        self.development_["m"] = int(self.m)
        return self

    def _pool_coefficients(self) -> None:
        ests = self.estimators_
        if not all(hasattr(e, "coef_") and hasattr(e, "se_") for e in ests):
            self.coef_ = pd.Series(dtype=float)
            self.se_ = pd.Series(dtype=float)
            return
        index = ests[0].coef_.index
        coef, se = [], []
        for name in index:
            q = np.asarray([e.coef_[name] for e in ests], dtype=float)
            u = np.asarray([e.se_[name] for e in ests], dtype=float)
            if len(q) > 1 and np.all(np.isfinite(u)):
                pooled = rubin_pool(q, u)
                coef.append(pooled.value)
                se.append(pooled.se)
            else:
                coef.append(float(q.mean()))
                se.append(float(u[0]) if len(q) == 1 else float("nan"))
        self.coef_ = pd.Series(coef, index=index, dtype=float)
        self.se_ = pd.Series(se, index=index, dtype=float)

    def _check_is_fitted(self) -> None:
        if not hasattr(self, "estimators_"):
            raise NotFittedError("ImputedRiskIndex is not fitted; call fit(X, y) first.")

    def _completed(self, X: Any) -> list[pd.DataFrame]:
        """The m completed versions of X (the same X when nothing is missing)."""
        self._check_is_fitted()
        if isinstance(X, PreparedData):
            X = X.frame
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame; got {type(X).__name__}.")
        cols = list(self.feature_names_in_)
        missing_cols = [c for c in cols if c not in X.columns]
        if missing_cols:
            raise ValueError(f"X lacks the columns {missing_cols[:5]} seen at fit time.")
        X = X[cols]
        if not X.isna().any().any():
            return [X] * len(self.estimators_)
        return [_complete(X, model, self.categories_) for model in self.deployment_models_]

    def predict_risk(self, X: pd.DataFrame, horizon: float | None = None) -> np.ndarray:
        """Mean over the m fitted indices of the risk predicted on the m completions of X."""
        sets = self._completed(X)
        risks = [np.asarray(est.predict_risk(d, horizon=horizon), dtype=float)
                 for est, d in zip(self.estimators_, sets, strict=True)]
        return np.mean(risks, axis=0)

    def linear_predictor(self, X: pd.DataFrame) -> np.ndarray:
        """Mean over the m fitted indices of their linear predictors (higher = more risk)."""
        sets = self._completed(X)
        return np.mean([np.asarray(est.linear_predictor(d), dtype=float)
                        for est, d in zip(self.estimators_, sets, strict=True)], axis=0)

    def _export_state(self, horizons: list[float] | None, threshold: int) -> dict[str, Any]:
        return {
            "estimators": [e.export(horizon=horizons, min_count=threshold)
                           for e in self.estimators_],
            "deployment_models": self.deployment_models_,
            "categories": self.categories_,
            "feature_names_in": list(self.feature_names_in_),
        }

    def _load_state(self, state: dict[str, Any]) -> None:
        self.estimators_ = [load(s) for s in state["estimators"]]
        self.deployment_models_ = list(state["deployment_models"])
        self.categories_ = {k: list(v) for k, v in state["categories"].items()}
        self.feature_names_in_ = np.asarray(state["feature_names_in"], dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
