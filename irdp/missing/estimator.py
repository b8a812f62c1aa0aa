"""A risk index with multiple imputation built in, so that resampling designs refit imputation.

Wrapping an index in :class:`ImputedRiskIndex` makes multiple imputation part of the model:
``fit`` imputes the development data (outcome included) and fits one copy of the index per
imputed data set; ``predict_risk`` imputes the new rows and averages the predicted risks over
the imputations (Rubin's rule for a prediction is the mean; Wood, Royston & White 2015).
Because it is a scikit-learn estimator, any design that clones and refits it — bootstrap
optimism correction, cross-validation, internal-external validation — refits the imputation
inside every resample, as Wahl et al. (2016) recommend.

At prediction time the outcome of the new rows is unknown, so their imputation model cannot
include it: new rows are imputed from their observed predictors, with the development rows
(complete after imputation, outcome columns left out) as donors and model data (Hoogland et
al. 2020, "imputation without the outcome" at deployment).

References
----------
Wahl S, Boulesteix AL, Zierer A, Thorand B, van de Wiel MA. Assessment of predictive
performance in incomplete data by combining internal validation and multiple imputation.
BMC Med Res Methodol 2016;16:144. Wood AM, Royston P, White IR. The estimation and use of
predictions for the assessment of model performance using large samples with multiply imputed
data. Biom J 2015;57:614-632. Hoogland J, et al. Stat Med 2020;39:3591-3607.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from irdp.missing.mice import multiple_impute

__all__ = ["ImputedRiskIndex"]


class ImputedRiskIndex(BaseEstimator):
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
        Seed of the imputations (fit and predict use spawned, fixed streams).

    Attributes
    ----------
    estimators_ : list
        The m fitted indices.
    imputed_ : tuple of DataFrame
        The m imputed development data sets.
    feature_names_in_ : ndarray of str
    n_features_in_ : int

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

    def fit(self, X: pd.DataFrame, y: Any) -> ImputedRiskIndex:
        """Impute ``X`` m times (outcome included) and fit one index per imputed data set."""
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame; got {type(X).__name__}.")
        fit_ss, self._predict_ss = np.random.SeedSequence(self.random_state).spawn(2)
        mi = multiple_impute(X, y, m=self.m, max_iter=self.max_iter,
                             n_neighbors=self.n_neighbors, seed=fit_ss)
        self.imputed_ = mi.datasets
        self.estimators_ = [clone(self.estimator).fit(d, y) for d in mi.datasets]
        self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "estimators_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("ImputedRiskIndex is not fitted; call fit(X, y) first.")

    def predict_risk(self, X: pd.DataFrame, horizon: float | None = None) -> np.ndarray:
        """Mean over the m fitted indices of the risk predicted on the m imputations of ``X``."""
        self._check_fitted()
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame; got {type(X).__name__}.")
        cols = list(self.feature_names_in_)
        missing_cols = [c for c in cols if c not in X.columns]
        if missing_cols:
            raise ValueError(f"X lacks the columns {missing_cols[:5]} seen at fit time.")
        X = X[cols]
        if not X.isna().any().any():
            sets = [X] * self.m
        else:
            risks = []
            for i, (dev, ss) in enumerate(zip(self.imputed_, self._predict_ss.spawn(self.m),
                                              strict=True)):
                stacked = pd.concat([dev.reset_index(drop=True), X.reset_index(drop=True)],
                                    ignore_index=True)
                imp = multiple_impute(stacked, None, m=1, max_iter=self.max_iter,
                                      n_neighbors=self.n_neighbors, seed=ss)[0]
                new = imp.iloc[len(dev):].set_axis(X.index)
                risks.append(np.asarray(self.estimators_[i].predict_risk(new, horizon=horizon),
                                        dtype=float))
            return np.mean(risks, axis=0)
        risks = [np.asarray(est.predict_risk(d, horizon=horizon), dtype=float)
                 for est, d in zip(self.estimators_, sets, strict=True)]
        return np.mean(risks, axis=0)
