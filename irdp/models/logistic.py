"""Logistic regression index: maximum likelihood as R's ``glm(family = binomial)``, or
ridge / lasso / elastic net with the penalty chosen by cross-validation."""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import special
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning

from irdp._stats import glm
from irdp.exceptions import (
    ConvergenceWarning,
    InsufficientDataError,
    SeparationWarning,
    UndefinedMetricWarning,
)
from irdp.models.base import RiskIndexMixin, finite_or_error, register
from irdp.outcomes import Binary, CompetingRisks, Survival

__all__ = ["LogisticIndex", "fit_logistic", "warn_separation"]


def fit_logistic(
    Z: np.ndarray,
    y: np.ndarray,
    w: np.ndarray | None = None,
    *,
    intercept: bool = True,
    max_iter: int = 50,
    tol: float = 1e-10,
) -> dict[str, Any]:
    """Maximum-likelihood logistic regression on arrays (:func:`irdp._stats.glm.fit_logit`).

    Returns a dict with ``beta`` (intercept first), ``cov`` (inverse information, as
    ``glm``), ``loglik``, ``converged``, ``n_iter``, ``fitted`` and ``separation``.

    References
    ----------
    McCullagh P, Nelder JA. Generalized Linear Models, 2nd ed., 1989, section 2.5 (IRLS).
    """
    res = glm.fit_logit(Z, y, weights=w, intercept=intercept, max_iter=max_iter, tol=tol)
    return {"beta": res.coef, "cov": res.cov, "loglik": res.loglik, "converged": res.converged,
            "n_iter": res.n_iter, "fitted": res.fitted, "separation": res.separation,
            "result": res}


def warn_separation(res: glm.GLMResult, what: str, stacklevel: int = 3) -> None:
    """SeparationWarning (or ConvergenceWarning) for a logistic fit of the core."""
    if res.separation:
        warnings.warn(
            f"the {what} shows (quasi-)complete separation: fitted probabilities "
            f"numerically 0 or 1 for {res.share_extreme:.1%} of rows and |coef| up to "
            f"{res.max_abs_coef:.3g}. Estimates and SEs are unreliable; merge sparse "
            "categories or use penalty='l2'.",
            SeparationWarning,
            stacklevel=stacklevel,
        )
    elif not res.converged:
        warnings.warn(f"the {what} did not converge in {res.n_iter} iterations.",
                      ConvergenceWarning, stacklevel=stacklevel)


@register
class LogisticIndex(RiskIndexMixin, BaseEstimator):
    """Logistic-regression risk index for a binary outcome (event by a fixed horizon).

    Unpenalised maximum likelihood by default, reproducing R's ``glm(y ~ ., family =
    binomial)`` coefficients and standard errors (Newton-Raphson with step halving; model-
    based covariance, the inverse Fisher information). With ``penalty`` set, the L1/L2/
    elastic-net penalty strength is chosen among 10 values (log-spaced 1e-4..1e4 of
    scikit-learn's ``C``) by ``cv``-fold cross-validated log-loss (``LogisticRegressionCV``,
    features standardised, coefficients returned on the original scale; solver lbfgs for
    L2, saga otherwise); standard errors are then not defined (NaN, and ``summary()``
    warns).

    Parameters
    ----------
    penalty : {None, "l2", "l1", "elasticnet"}, default=None
    l1_ratio : float, default=0.5
        Elastic-net mixing (used only with ``penalty="elasticnet"``).
    cv : int, default=5
        Folds for choosing the penalty strength.
    categorical : dict, optional
        ``{column: reference_level}``; those columns get one dummy per non-reference level.
    splines : dict, optional
        ``{column: n_knots or list of knots}``: restricted cubic spline (``rms::rcs``).
    max_iter : int, default=50
    tol : float, default=1e-10
        Relative change of the log-likelihood at convergence.
    random_state : int, optional
        Seed of the cross-validation folds (penalised fits).

    Attributes
    ----------
    coef_, se_ : pandas.Series
        Log odds ratios and standard errors, indexed by design column.
    intercept_, intercept_se_ : float
    cov_ : ndarray
        Covariance of (intercept, coef) (unpenalised fits).
    log_likelihood_, converged_, n_iter_, horizon_ : as named (``horizon_`` from ``y``).
    design_ : Design
        Columns, levels and knots used.

    References
    ----------
    McCullagh & Nelder (1989), Generalized Linear Models; Friedman J, Hastie T, Tibshirani
    R. Regularization paths for generalized linear models via coordinate descent. J Stat
    Softw 2010;33(1):1-22.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from irdp.models import LogisticIndex
    >>> from irdp.outcomes import Binary
    >>> rng = np.random.default_rng(1)
    >>> X = pd.DataFrame({"age": rng.normal(50, 8, 500), "sex": rng.choice(["F", "M"], 500)})
    >>> eta = -1 + 0.05 * (X["age"] - 50) + 0.5 * (X["sex"] == "F")
    >>> y = Binary(rng.random(500) < 1 / (1 + np.exp(-eta)))
    >>> m = LogisticIndex(categorical={"sex": "M"}).fit(X, y)
    >>> list(m.summary().index)
    ['(Intercept)', 'age', 'sex[F]']
    """

    _outcome_kinds = (Binary,)
    _exp_name = "odds_ratio"

    def __init__(
        self,
        *,
        penalty: Literal["l2", "l1", "elasticnet"] | None = None,
        l1_ratio: float = 0.5,
        cv: int = 5,
        categorical: dict[str, Any] | None = None,
        splines: dict[str, Any] | None = None,
        max_iter: int = 50,
        tol: float = 1e-10,
        random_state: int | None = None,
    ) -> None:
        self.penalty = penalty
        self.l1_ratio = l1_ratio
        self.cv = cv
        self.categorical = categorical
        self.splines = splines
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def fit(self, X: Any, y: Binary | Survival | CompetingRisks | None = None, *,
            sample_weight: Any = None):
        """Fit the model; ``y`` must be :class:`~irdp.outcomes.Binary`.

        Parameters
        ----------
        X : pandas.DataFrame of shape (n_samples, n_features) or PreparedData
        y : Binary (None with PreparedData)
        sample_weight : array-like of shape (n_samples,), optional
            Case weights (as ``glm(weights=)``).

        Returns
        -------
        self
        """
        if self.penalty not in (None, "l1", "l2", "elasticnet"):
            raise ValueError(
                f"penalty must be None, 'l1', 'l2' or 'elasticnet'; got {self.penalty!r}."
            )
        X, y, w = self._fit_inputs(X, y, sample_weight)
        Z = self._fit_design(X)
        yy = y.y.astype(float)
        w = np.ones(len(yy)) if w is None else w
        n_ev = float(np.sum(w * yy))
        if n_ev == 0 or n_ev == np.sum(w):
            raise InsufficientDataError(
                f"y must contain both events and non-events; got {int(n_ev)} events among "
                f"{len(yy)} rows. A logistic model cannot be fitted."
            )
        names = self.design_.columns
        self.horizon_ = y.horizon
        self.development_ = {"n": int(len(yy)), "n_events": int(y.n_events),
                             "horizon": y.horizon}
        if self.penalty is None:
            self._fit_ml(Z, yy, w, names)
        else:
            self._fit_penalised(Z, yy, w, names)
        return self

    def _fit_ml(self, Z: np.ndarray, yy: np.ndarray, w: np.ndarray, names: list[str]) -> None:
        res = glm.fit_logit(Z, yy, weights=w, max_iter=self.max_iter, tol=self.tol,
                            names=names)
        warn_separation(res, "logistic fit", stacklevel=4)
        beta, cov = res.coef, res.cov
        se = np.sqrt(np.diag(cov))
        self.intercept_ = float(beta[0])
        self.intercept_se_ = float(se[0])
        self.coef_ = pd.Series(beta[1:], index=self.design_.column_index, dtype=float)
        self.se_ = pd.Series(se[1:], index=self.design_.column_index, dtype=float)
        self.cov_ = cov
        self.log_likelihood_ = res.loglik
        self.converged_ = res.converged and not res.separation
        self.n_iter_ = res.n_iter
        self.C_ = None

    def _fit_penalised(
        self, Z: np.ndarray, yy: np.ndarray, w: np.ndarray, names: list[str]
    ) -> None:
        from sklearn.linear_model import LogisticRegressionCV

        mean, sd = Z.mean(axis=0), Z.std(axis=0)
        Zs = (Z - mean) / sd
        l1 = {"l2": 0.0, "l1": 1.0, "elasticnet": float(self.l1_ratio)}[self.penalty]
        solver = "lbfgs" if l1 == 0.0 else "saga"
        est = LogisticRegressionCV(
            Cs=10, cv=self.cv, l1_ratios=(l1,), solver=solver, scoring="neg_log_loss",
            max_iter=5000, tol=1e-4, random_state=self.random_state, use_legacy_attributes=False,
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SklearnConvergenceWarning)
            est.fit(Zs, yy.astype(int), sample_weight=w)
        for c in caught:  # re-issue anything else; scikit-learn's convergence as irdp's
            if not issubclass(c.category, SklearnConvergenceWarning):
                warnings.warn_explicit(c.message, c.category, c.filename, c.lineno)
        if any(issubclass(c.category, SklearnConvergenceWarning) for c in caught):
            warnings.warn(
                "the penalised logistic solver did not fully converge for some penalties.",
                ConvergenceWarning,
                stacklevel=3,
            )
        b = np.ravel(est.coef_) / sd
        self.coef_ = pd.Series(b, index=self.design_.column_index, dtype=float)
        self.se_ = pd.Series(np.nan, index=self.design_.column_index, dtype=float)
        raw = np.ravel(est.coef_)
        self.intercept_ = float(np.ravel(est.intercept_)[0] - np.sum(raw * mean / sd))
        self.intercept_se_ = float("nan")
        self.C_ = float(np.ravel(est.C_)[0])
        eta = self.intercept_ + Z @ b
        self.log_likelihood_ = float(np.sum(w * (yy * eta - np.logaddexp(0.0, eta))))
        self.converged_ = True
        self.n_iter_ = int(np.max(est.n_iter_))

    # ---- predictions ---------------------------------------------------------------------
    def linear_predictor(self, X: Any) -> np.ndarray:
        """Log-odds without the intercept, ``Z @ coef_`` (higher = more risk)."""
        Z = self._design(X)
        return finite_or_error(Z @ self.coef_.to_numpy(), "linear_predictor")

    def predict_risk(self, X: Any, horizon: float | None = None) -> np.ndarray:
        """Probability of the event, ``expit(intercept_ + Z @ coef_)``.

        A logistic index answers for the horizon its binary outcome was built at; a
        different ``horizon`` is refused (refit on ``y.to_binary(horizon)`` instead).
        """
        self._check_is_fitted()
        if horizon is not None and self.horizon_ is not None and float(horizon) != self.horizon_:
            raise ValueError(
                f"horizon={horizon!r} differs from the horizon the model was fitted for "
                f"({self.horizon_:g}); a logistic index cannot be moved to another horizon. "
                "Refit it on y.to_binary(horizon)."
            )
        return special.expit(self.intercept_ + self.linear_predictor(X))

    def _summary_rows(self) -> tuple[pd.Series, pd.Series]:
        if self.penalty is not None:
            warnings.warn(
                "standard errors are not defined after penalised estimation; se, z, p and "
                "confidence limits are NaN.",
                UndefinedMetricWarning,
                stacklevel=3,
            )
        coef = pd.concat([pd.Series({"(Intercept)": self.intercept_}), self.coef_])
        se = pd.concat([pd.Series({"(Intercept)": self.intercept_se_}), self.se_])
        return coef, se

    def _export_state(self, horizons: list[float] | None, threshold: int) -> dict[str, Any]:
        return {"intercept": self.intercept_, "intercept_se": self.intercept_se_,
                "horizon": self.horizon_, "C": self.C_}

    def _load_state(self, state: dict[str, Any]) -> None:
        self.intercept_ = float(state["intercept"])
        self.intercept_se_ = float(state["intercept_se"]) if state["intercept_se"] is not None \
            else float("nan")
        self.horizon_ = state["horizon"]
        self.C_ = state["C"]

