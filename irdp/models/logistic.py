"""Logistic regression index: maximum likelihood as R's ``glm(family = binomial)``, or
ridge / lasso / elastic net with the penalty chosen by cross-validation."""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import linalg, special
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning

from irdp.exceptions import SeparationWarning, UndefinedMetricWarning
from irdp.models.base import RiskIndexMixin, finite_or_error, register
from irdp.outcomes import Binary, CompetingRisks, Survival

__all__ = ["LogisticIndex", "fit_logistic"]


def _loglik(Z: np.ndarray, y: np.ndarray, w: np.ndarray, beta: np.ndarray) -> float:
    eta = Z @ beta
    # log(1 + exp(eta)) computed stably
    return float(np.sum(w * (y * eta - np.logaddexp(0.0, eta))))


def _weighted_gram(Z: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Z' diag(v) Z for v >= 0, as W'W with W = sqrt(v) Z (a BLAS syrk: several times
    faster than a general product, and robust to thread contention)."""
    n, p = Z.shape
    sv = np.sqrt(v)
    out = np.zeros((p, p))
    step = max(1, 2**22 // max(p, 1))  # ~32 MB blocks: no n x p temporary
    for lo in range(0, n, step):
        W = Z[lo:lo + step] * sv[lo:lo + step, None]
        out += W.T @ W
    return out


def fit_logistic(
    Z: np.ndarray,
    y: np.ndarray,
    w: np.ndarray | None = None,
    *,
    intercept: bool = True,
    max_iter: int = 50,
    tol: float = 1e-10,
) -> dict[str, Any]:
    """Newton-Raphson (Fisher scoring) with step halving for the binomial logit model.

    The intercept (first coefficient when ``intercept``) is handled without copying ``Z``
    into a wider matrix: the information matrix is assembled by blocks. Returns a dict with
    ``beta``, ``cov`` (inverse information at the estimate, as ``glm``), ``loglik``,
    ``converged``, ``n_iter`` and ``fitted`` (probabilities).

    References
    ----------
    McCullagh P, Nelder JA. Generalized Linear Models, 2nd ed., 1989, section 2.5 (IRLS).
    """
    n, p = Z.shape
    w = np.ones(n) if w is None else w
    k = int(intercept)
    beta = np.zeros(p + k)

    def linpred(b: np.ndarray) -> np.ndarray:
        return Z @ b[k:] + (b[0] if k else 0.0)

    def ll(eta: np.ndarray) -> float:
        return float(np.sum(w * (y * eta - np.logaddexp(0.0, eta))))

    def info_at(eta: np.ndarray) -> np.ndarray:
        mu = special.expit(eta)
        v = w * mu * (1 - mu)
        out = np.empty((p + k, p + k))
        out[k:, k:] = _weighted_gram(Z, v)
        if k:
            out[0, 0] = v.sum()
            out[0, 1:] = out[1:, 0] = Z.T @ v
        return out

    eta = np.zeros(n)
    cur = ll(eta)
    converged = False
    it = 0
    info = info_at(eta)
    for it in range(1, max_iter + 1):  # noqa: B007 - iteration count reported
        resid = w * (y - special.expit(eta))
        grad = np.r_[resid.sum(), Z.T @ resid] if k else Z.T @ resid
        try:
            step = linalg.solve(info, grad, assume_a="pos")
        except (linalg.LinAlgError, ValueError):
            step = linalg.lstsq(info, grad)[0]
        for _ in range(30):  # step halving while the log-likelihood decreases
            new_eta = linpred(beta + step)
            new = ll(new_eta)
            if new >= cur - 1e-12 * abs(cur):
                break
            step /= 2
        beta = beta + step
        eta = new_eta
        change = abs(new - cur) / (abs(new) + 0.1)
        cur = new
        small = np.max(np.abs(step)) < 1e-6 * (1 + np.max(np.abs(beta)))
        if change < tol and small:
            converged = True
            if np.max(np.abs(step)) < 1e-10 * (1 + np.max(np.abs(beta))):
                break  # information at the previous iterate equals that at beta to ~1e-10
            info = info_at(eta)
            break
        info = info_at(eta)
    try:
        cov = linalg.inv(info)
    except linalg.LinAlgError:
        cov = np.full((p + k, p + k), np.inf)
    return {"beta": beta, "cov": cov, "loglik": cur, "converged": converged, "n_iter": it,
            "fitted": special.expit(eta)}


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

    def fit(self, X: Any, y: Binary | Survival | CompetingRisks, *, sample_weight: Any = None):
        """Fit the model; ``y`` must be :class:`~irdp.outcomes.Binary`.

        Parameters
        ----------
        X : pandas.DataFrame of shape (n_samples, n_features)
        y : Binary
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
        y = self._check_outcome(y)
        X = self._check_xy(X, y)
        Z = self._fit_design(X)
        yy = y.y.astype(float)
        w = np.ones(len(yy)) if sample_weight is None else np.asarray(sample_weight, float)
        if w.shape != yy.shape or not np.all(np.isfinite(w)) or (w < 0).any():
            raise ValueError("sample_weight must be finite, >= 0 and have one value per row.")
        n_ev = float(np.sum(w * yy))
        if n_ev == 0 or n_ev == np.sum(w):
            raise ValueError(
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
        res = fit_logistic(Z, yy, w, max_iter=self.max_iter, tol=self.tol)
        beta, cov = res["beta"], res["cov"]
        mu = res["fitted"]
        extreme = np.mean((mu < 1e-8) | (mu > 1 - 1e-8))
        if not res["converged"] or (extreme > 0 and np.max(np.abs(beta)) > 15):
            warnings.warn(
                "the logistic fit shows (quasi-)complete separation: fitted probabilities "
                f"numerically 0 or 1 for {extreme:.1%} of rows and |coef| up to "
                f"{np.max(np.abs(beta)):.3g}. Estimates and SEs are unreliable; merge sparse "
                "categories or use penalty='l2'.",
                SeparationWarning,
                stacklevel=3,
            )
        elif not res["converged"]:  # pragma: no cover - covered by separation branch
            warnings.warn("logistic fit did not converge", ConvergenceWarning, stacklevel=3)
        se = np.sqrt(np.diag(cov))
        self.intercept_ = float(beta[0])
        self.intercept_se_ = float(se[0])
        self.coef_ = pd.Series(beta[1:], index=names, dtype=float)
        self.se_ = pd.Series(se[1:], index=names, dtype=float)
        self.cov_ = cov
        self.log_likelihood_ = res["loglik"]
        self.converged_ = res["converged"]
        self.n_iter_ = res["n_iter"]
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
            warnings.simplefilter("always", ConvergenceWarning)
            est.fit(Zs, yy.astype(int), sample_weight=w)
        if any(issubclass(c.category, ConvergenceWarning) for c in caught):
            warnings.warn(
                "the penalised logistic solver did not fully converge for some penalties.",
                ConvergenceWarning,
                stacklevel=3,
            )
        b = np.ravel(est.coef_) / sd
        self.coef_ = pd.Series(b, index=names, dtype=float)
        self.se_ = pd.Series(np.nan, index=names, dtype=float)
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

    def _export_state(self) -> dict[str, Any]:
        return {"intercept": self.intercept_, "intercept_se": self.intercept_se_,
                "horizon": self.horizon_, "C": self.C_}

    def _load_state(self, state: dict[str, Any]) -> None:
        self.intercept_ = float(state["intercept"])
        self.intercept_se_ = float(state["intercept_se"]) if state["intercept_se"] is not None \
            else float("nan")
        self.horizon_ = state["horizon"]
        self.C_ = state["C"]

