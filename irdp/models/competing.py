"""Competing-risk indices: Fine-Gray subdistribution hazards (``cmprsk::crr``) and
cause-specific Cox models combined into an absolute risk (``riskRegression::CSC``)."""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import linalg
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning

from irdp._validation import check_horizon
from irdp.models import _finegray
from irdp.models.base import RiskIndexMixin, finite_or_error, register
from irdp.models.cox import fit_cox_arrays
from irdp.outcomes import CompetingRisks

__all__ = ["FineGrayIndex", "CauseSpecificCoxIndex"]


def _step_at(times: np.ndarray, values: np.ndarray, t: float, *, left: bool = False) -> float:
    pos = np.searchsorted(times, t, side="left" if left else "right") - 1
    return 0.0 if pos < 0 else float(values[pos])


@register
class FineGrayIndex(RiskIndexMixin, BaseEstimator):
    """Fine-Gray subdistribution-hazard index for the event of interest of a
    :class:`~irdp.outcomes.CompetingRisks` outcome, reproducing ``cmprsk::crr``.

    Subjects with a competing event stay in the risk set with weight G(t-)/G(T_i-) (G the
    Kaplan-Meier of censoring); ties are handled as crr does (Breslow). Standard errors are
    crr's robust sandwich variance, which includes the influence of estimating G.
    ``predict_risk(X, horizon) = 1 - exp(-exp(lp) * sum of baseline jumps up to horizon)``,
    as ``predict.crr``.

    Parameters
    ----------
    categorical, splines : dict, optional
        As for :class:`~irdp.models.LogisticIndex`.
    max_iter : int, default=50
    tol : float, default=1e-10

    Attributes
    ----------
    coef_, se_ : pandas.Series
        Log subdistribution hazard ratios and robust SEs.
    cov_ : ndarray
        Robust covariance.
    baseline_ : pandas.DataFrame
        ``time``, ``cumhaz`` of the baseline subdistribution hazard at Z = 0.

    References
    ----------
    Fine JP, Gray RJ. A proportional hazards model for the subdistribution of a competing
    risk. JASA 1999;94:496-509. Gray RJ, cmprsk R package (crr).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from irdp.models import FineGrayIndex
    >>> from irdp.outcomes import CompetingRisks
    >>> rng = np.random.default_rng(3)
    >>> X = pd.DataFrame({"x": rng.normal(size=300)})
    >>> t1, t2 = rng.exponential(2 / np.exp(0.5 * X["x"])), rng.exponential(3, 300)
    >>> y = CompetingRisks(np.minimum(t1, t2), np.where(t1 < t2, 1, 2))
    >>> m = FineGrayIndex().fit(X, y)
    >>> float(m.predict_risk(X.head(1), horizon=1.0)[0]) < 1
    True
    """

    _outcome_kinds = (CompetingRisks,)
    _exp_name = "subdistribution_hazard_ratio"

    def __init__(
        self,
        *,
        categorical: dict[str, Any] | None = None,
        splines: dict[str, Any] | None = None,
        max_iter: int = 50,
        tol: float = 1e-10,
    ) -> None:
        self.categorical = categorical
        self.splines = splines
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X: Any, y: CompetingRisks):
        """Fit on a competing-risks outcome (cause ``y.event_of_interest`` vs the others).

        Returns
        -------
        self
        """
        y = self._check_outcome(y)
        X = self._check_xy(X, y)
        Z = self._fit_design(X)
        if y.n_events == 0:
            raise ValueError(
                f"y has no event of interest (cause {y.event_of_interest}) among {len(y)} rows; "
                "a Fine-Gray model cannot be fitted."
            )
        cause = np.asarray(y.cause)
        center = Z.mean(axis=0)
        fd = _finegray.prepare(Z - center, np.asarray(y.time, float), cause, y.event_of_interest)
        res = _finegray.newton(fd, max_iter=self.max_iter, tol=self.tol)
        if not res["converged"]:
            warnings.warn(
                f"the Fine-Gray fit did not converge in {res['n_iter']} iterations.",
                ConvergenceWarning,
                stacklevel=2,
            )
        beta = res["beta"]
        h = linalg.inv(res["info"])
        cov = h @ _finegray.robust_meat(fd, beta) @ h.T
        names = self.design_.columns
        self.coef_ = pd.Series(beta, index=names, dtype=float)
        self.se_ = pd.Series(np.sqrt(np.diag(cov)), index=names, dtype=float)
        self.cov_ = cov
        self.naive_cov_ = h
        self.log_likelihood_ = res["loglik"]
        self.converged_ = res["converged"]
        self.n_iter_ = res["n_iter"]
        jumps = _finegray.baseline_jumps(fd, beta, center)
        self.baseline_ = pd.DataFrame({"time": fd.s, "cumhaz": np.cumsum(jumps)})
        self.max_time_ = float(np.max(y.time))
        self.event_of_interest_ = int(y.event_of_interest)
        self.development_ = {"n": len(y), "n_events": int(y.n_events),
                             "n_competing": int(y.n_competing), "max_time": self.max_time_}
        return self

    def linear_predictor(self, X: Any) -> np.ndarray:
        """``Z @ coef_`` (higher = more risk)."""
        return finite_or_error(self._design(X) @ self.coef_.to_numpy(), "linear_predictor")

    def predict_risk(self, X: Any, horizon: float | None = None) -> np.ndarray:
        """Cumulative incidence of the event of interest by ``horizon`` (``predict.crr``)."""
        self._check_is_fitted()
        h = check_horizon(horizon, max_time=self.max_time_)
        H0 = _step_at(self.baseline_["time"].to_numpy(), self.baseline_["cumhaz"].to_numpy(), h)
        return -np.expm1(-H0 * np.exp(self.linear_predictor(X)))

    def _export_state(self) -> dict[str, Any]:
        return {"baseline_time": self.baseline_["time"].tolist(),
                "baseline_cumhaz": self.baseline_["cumhaz"].tolist(),
                "max_time": self.max_time_, "event_of_interest": self.event_of_interest_}

    def _load_state(self, state: dict[str, Any]) -> None:
        self.baseline_ = pd.DataFrame({"time": np.asarray(state["baseline_time"], float),
                                       "cumhaz": np.asarray(state["baseline_cumhaz"], float)})
        self.max_time_ = float(state["max_time"])
        self.event_of_interest_ = int(state["event_of_interest"])


@register
class CauseSpecificCoxIndex(RiskIndexMixin, BaseEstimator):
    """Cause-specific Cox models combined into the absolute risk of the event of interest,
    as ``riskRegression::CSC`` + ``predictRisk``.

    One Cox model per observed cause (the other causes censored). The absolute risk is
    F_1(t | x) = sum over event times s <= t of cause 1 of S(s- | x) dLambda_1(s | x), with
    baseline hazards estimated as riskRegression does (Efron's tie-corrected estimator for
    Efron ties, Breslow's for Breslow ties) and the all-cause survival S(s- | x) either the
    product limit prod_{u < s} (1 - sum_k dLambda_k(u | x)) (riskRegression's default
    ``product.limit = TRUE``) or exp(-sum_k Lambda_k(s- | x)).

    Parameters
    ----------
    ties : {"efron", "breslow"}, default="efron"
    baseline : {"breslow", "efron"} or None, default=None
        Baseline hazard estimator; None follows ``ties`` (as riskRegression).
    product_limit : bool, default=True
        Product-limit (True) or exponential (False) all-cause survival.
    categorical, splines : dict, optional
    max_iter : int, default=50
    tol : float, default=1e-10

    Attributes
    ----------
    coef_, se_ : pandas.Series
        Cause-specific log hazard ratios of the event of interest.
    coef_by_cause_, se_by_cause_ : dict of pandas.Series
        The same for every cause.
    baselines_ : dict
        ``{cause: DataFrame(time, cumhaz)}``.

    References
    ----------
    Putter H, Fiocco M, Geskus RB. Tutorial in biostatistics: competing risks and
    multi-state models. Stat Med 2007;26:2389-2430. Ozenne B et al. riskRegression:
    predicting the risk of an event using Cox regression models. R J 2017;9(2):440-460.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from irdp.models import CauseSpecificCoxIndex
    >>> from irdp.outcomes import CompetingRisks
    >>> rng = np.random.default_rng(4)
    >>> X = pd.DataFrame({"x": rng.normal(size=300)})
    >>> t1, t2 = rng.exponential(2 / np.exp(0.5 * X["x"])), rng.exponential(3, 300)
    >>> y = CompetingRisks(np.minimum(t1, t2), np.where(t1 < t2, 1, 2))
    >>> m = CauseSpecificCoxIndex().fit(X, y)
    >>> sorted(m.coef_by_cause_)
    [1, 2]
    """

    _outcome_kinds = (CompetingRisks,)
    _exp_name = "hazard_ratio"

    def __init__(
        self,
        *,
        ties: Literal["efron", "breslow"] = "efron",
        baseline: Literal["breslow", "efron"] | None = None,
        product_limit: bool = True,
        categorical: dict[str, Any] | None = None,
        splines: dict[str, Any] | None = None,
        max_iter: int = 50,
        tol: float = 1e-10,
    ) -> None:
        self.ties = ties
        self.baseline = baseline
        self.product_limit = product_limit
        self.categorical = categorical
        self.splines = splines
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X: Any, y: CompetingRisks):
        """Fit one Cox model per cause.

        Returns
        -------
        self
        """
        if self.ties not in ("efron", "breslow"):
            raise ValueError(f"ties must be 'efron' or 'breslow'; got {self.ties!r}.")
        y = self._check_outcome(y)
        X = self._check_xy(X, y)
        Z = self._fit_design(X)
        if y.n_events == 0:
            raise ValueError(
                f"y has no event of interest (cause {y.event_of_interest}) among {len(y)} rows."
            )
        names = self.design_.columns
        self.coef_by_cause_, self.se_by_cause_, self.baselines_ = {}, {}, {}
        self.cov_by_cause_ = {}
        for k in y.causes:
            res = fit_cox_arrays(Z, np.asarray(y.time, float), np.asarray(y.cause) == k,
                                 ties=self.ties, max_iter=self.max_iter, tol=self.tol,
                                 baseline=self.baseline or self.ties)
            if not res["converged"]:
                warnings.warn(f"the Cox model for cause {k} did not converge.",
                              ConvergenceWarning, stacklevel=2)
            self.coef_by_cause_[int(k)] = pd.Series(res["beta"], index=names, dtype=float)
            self.se_by_cause_[int(k)] = pd.Series(np.sqrt(np.diag(res["cov"])), index=names,
                                                  dtype=float)
            self.cov_by_cause_[int(k)] = res["cov"]
            tt, hh = res["baseline"][0]
            self.baselines_[int(k)] = pd.DataFrame({"time": tt, "cumhaz": hh})
        self.event_of_interest_ = int(y.event_of_interest)
        self.coef_ = self.coef_by_cause_[self.event_of_interest_]
        self.se_ = self.se_by_cause_[self.event_of_interest_]
        self.cov_ = self.cov_by_cause_[self.event_of_interest_]
        self.max_time_ = float(np.max(y.time))
        self.development_ = {"n": len(y), "n_events": int(y.n_events),
                             "n_competing": int(y.n_competing), "max_time": self.max_time_}
        return self

    def linear_predictor(self, X: Any) -> np.ndarray:
        """Cause-specific linear predictor of the event of interest."""
        return finite_or_error(self._design(X) @ self.coef_.to_numpy(), "linear_predictor")

    def predict_risk(self, X: Any, horizon: float | None = None) -> np.ndarray:
        """Absolute risk of the event of interest by ``horizon`` (competing causes acting)."""
        self._check_is_fitted()
        h = check_horizon(horizon, max_time=self.max_time_)
        Z = self._design(X)
        k1 = self.event_of_interest_
        # union of the jump times of every cause up to the horizon, and baseline jumps there
        grid = np.unique(np.concatenate(
            [b["time"].to_numpy()[b["time"].to_numpy() <= h] for b in self.baselines_.values()]
        ))
        jumps = {}
        for k, b in self.baselines_.items():
            bt, bh = b["time"].to_numpy(), b["cumhaz"].to_numpy()
            dh = np.diff(np.r_[0.0, bh])
            j = np.zeros(len(grid))
            pos = np.searchsorted(grid, bt[bt <= h])
            j[pos] = dh[bt <= h]
            jumps[k] = j
        risks = {k: np.exp(Z @ c.to_numpy()) for k, c in self.coef_by_cause_.items()}
        out = np.empty(len(Z))
        chunk = max(1, 4_000_000 // max(len(grid), 1))
        for lo in range(0, len(Z), chunk):
            hi = min(lo + chunk, len(Z))
            dA = sum(np.outer(risks[k][lo:hi], jumps[k]) for k in jumps)
            if self.product_limit:
                surv = np.cumprod(1.0 - dA, axis=1)
            else:
                surv = np.exp(-np.cumsum(dA, axis=1))
            surv_left = np.hstack([np.ones((hi - lo, 1)), surv[:, :-1]])
            out[lo:hi] = (surv_left * jumps[k1]).sum(axis=1) * risks[k1][lo:hi]
        return finite_or_error(out, "predict_risk")

    def _export_state(self) -> dict[str, Any]:
        return {
            "event_of_interest": self.event_of_interest_,
            "max_time": self.max_time_,
            "causes": {
                str(k): {"coef": self.coef_by_cause_[k].tolist(),
                         "se": self.se_by_cause_[k].tolist(),
                         "baseline_time": self.baselines_[k]["time"].tolist(),
                         "baseline_cumhaz": self.baselines_[k]["cumhaz"].tolist()}
                for k in self.coef_by_cause_
            },
        }

    def _load_state(self, state: dict[str, Any]) -> None:
        names = list(self.coef_.index)
        self.event_of_interest_ = int(state["event_of_interest"])
        self.max_time_ = float(state["max_time"])
        self.coef_by_cause_, self.se_by_cause_, self.baselines_ = {}, {}, {}
        for k, v in state["causes"].items():
            self.coef_by_cause_[int(k)] = pd.Series(v["coef"], index=names, dtype=float)
            self.se_by_cause_[int(k)] = pd.Series(v["se"], index=names, dtype=float)
            self.baselines_[int(k)] = pd.DataFrame(
                {"time": np.asarray(v["baseline_time"], float),
                 "cumhaz": np.asarray(v["baseline_cumhaz"], float)})
