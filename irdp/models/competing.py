"""Competing-risk indices: Fine-Gray subdistribution hazards (``cmprsk::crr``) and
cause-specific Cox models combined into an absolute risk (``riskRegression::CSC``)."""

from __future__ import annotations

import copy
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from irdp._stats import cox as cox_engine
from irdp._stats import finegray
from irdp._validation import check_horizon
from irdp.exceptions import DisclosureError, InsufficientDataError
from irdp.models._baseline import Baseline
from irdp.models.base import RiskIndexMixin, finite_or_error, register
from irdp.models.cox import fit_cox_arrays, warn_fit_problems
from irdp.outcomes import CompetingRisks

__all__ = ["FineGrayIndex", "CauseSpecificCoxIndex"]


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

    def fit(self, X: Any, y: CompetingRisks | None = None):
        """Fit on a competing-risks outcome (cause ``y.event_of_interest`` vs the others).

        Returns
        -------
        self
        """
        X, y, _ = self._fit_inputs(X, y, None)
        Z = self._fit_design(X)
        if y.n_events == 0:
            raise InsufficientDataError(
                f"y has no event of interest (cause {y.event_of_interest}) among {len(y)} rows; "
                "a Fine-Gray model cannot be fitted."
            )
        cause = np.asarray(y.cause)
        names = self.design_.columns
        fd = finegray.prepare(Z, np.asarray(y.time, float), cause, y.event_of_interest,
                              ties="breslow", censoring="crr", center=Z.mean(axis=0))
        res = cox_engine.fit(fd, max_iter=self.max_iter, tol=self.tol, names=names,
                             what="Fine-Gray model", keep_terms=True)
        warn_fit_problems(res, names, "Fine-Gray fit")
        h = res.cov
        cov = h @ finegray.robust_meat(fd, res.terms) @ h.T
        self.coef_ = pd.Series(res.coef, index=self.design_.column_index, dtype=float)
        self.se_ = pd.Series(np.sqrt(np.diag(cov)), index=self.design_.column_index,
                             dtype=float)
        self.cov_ = cov
        self.naive_cov_ = h
        self.log_likelihood_ = res.loglik
        self.converged_ = res.converged
        self.n_iter_ = res.n_iter
        t = res.group_time[::-1]
        self.baseline_obj_ = Baseline(t, np.cumsum(res.hazard_breslow[::-1]),
                                      fd.g_d[::-1].astype(float))
        self.max_time_ = float(np.max(y.time))
        self.event_of_interest_ = int(y.event_of_interest)
        self.development_ = {"n": len(y), "n_events": int(y.n_events),
                             "n_competing": int(y.n_competing)}
        return self

    @property
    def baseline_(self) -> pd.DataFrame:
        """``time``, ``cumhaz`` of the baseline subdistribution hazard at Z = 0."""
        return pd.DataFrame({"time": self.baseline_obj_.time,
                             "cumhaz": self.baseline_obj_.cumhaz})

    def linear_predictor(self, X: Any) -> np.ndarray:
        """``Z @ coef_`` (higher = more risk)."""
        return finite_or_error(self._design(X) @ self.coef_.to_numpy(), "linear_predictor")

    def predict_risk(self, X: Any, horizon: float | None = None) -> np.ndarray:
        """Cumulative incidence of the event of interest by ``horizon`` (``predict.crr``)."""
        self._check_is_fitted()
        h = check_horizon(horizon, max_time=self.max_time_)
        H0 = self.baseline_obj_.at(h, what="this FineGrayIndex")
        return -np.expm1(-H0 * np.exp(self.linear_predictor(X)))

    def _export_state(self, horizons: list[float] | None, threshold: int) -> dict[str, Any]:
        b = self.baseline_obj_.export(horizons, threshold, "the Fine-Gray baseline")
        return {"baseline_time": b["time"], "baseline_cumhaz": b["cumhaz"],
                "max_time": max(b["time"]) if b["time"] else 0.0,
                "event_of_interest": self.event_of_interest_}

    def _load_state(self, state: dict[str, Any]) -> None:
        self.baseline_obj_ = Baseline.from_export(
            {"time": state["baseline_time"], "cumhaz": state["baseline_cumhaz"]})
        self.max_time_ = float(state["max_time"])
        self.event_of_interest_ = int(state["event_of_interest"])


def _cause_grid(baselines: dict[int, Baseline], k: int) -> np.ndarray:
    """Cut points such that every interval holds at least ``k`` events of every cause."""
    times = np.unique(np.concatenate([b.time for b in baselines.values()]))
    counts = []
    for b in baselines.values():
        c = np.zeros(len(times))
        c[np.searchsorted(times, b.time)] = b.counts
        counts.append(c)
    counts = np.vstack(counts)
    cuts, acc = [], np.zeros(len(baselines))
    for j, t in enumerate(times):
        acc += counts[:, j]
        if np.all(acc >= k):
            cuts.append(float(t))
            acc[:] = 0.0
    return np.asarray(cuts)


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

    The absolute risk depends on the whole path of every cause's baseline hazard, so an
    exact model reveals every event day. With ``grid_min_events=k`` the baseline hazards
    are aggregated on a grid whose every interval holds at least k events of every cause,
    constant within an interval (piecewise-exponential): that model is the one an export
    publishes (``docs/models.md``), and fitting it directly lets a validation run assess
    exactly what it publishes.

    Parameters
    ----------
    ties : {"efron", "breslow"}, default="efron"
    baseline : {"breslow", "efron"} or None, default=None
        Baseline hazard estimator; None follows ``ties`` (as riskRegression).
    product_limit : bool, default=True
        Product-limit (True) or exponential (False) all-cause survival (exact model).
    grid_min_events : int or None, default=None
        None: the exact model (riskRegression); k: the confidential grid model.
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
        ``{cause: DataFrame(time, cumhaz)}`` (grid points for a grid model).

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
        grid_min_events: int | None = None,
        categorical: dict[str, Any] | None = None,
        splines: dict[str, Any] | None = None,
        max_iter: int = 50,
        tol: float = 1e-10,
    ) -> None:
        self.ties = ties
        self.baseline = baseline
        self.product_limit = product_limit
        self.grid_min_events = grid_min_events
        self.categorical = categorical
        self.splines = splines
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X: Any, y: CompetingRisks | None = None):
        """Fit one Cox model per cause.

        Returns
        -------
        self
        """
        if self.ties not in ("efron", "breslow"):
            raise ValueError(f"ties must be 'efron' or 'breslow'; got {self.ties!r}.")
        if self.grid_min_events is not None and (
                not isinstance(self.grid_min_events, int | np.integer)
                or self.grid_min_events < 1):
            raise ValueError(f"grid_min_events must be None or an int >= 1; got "
                             f"{self.grid_min_events!r}.")
        X, y, _ = self._fit_inputs(X, y, None)
        Z = self._fit_design(X)
        if y.n_events == 0:
            raise InsufficientDataError(
                f"y has no event of interest (cause {y.event_of_interest}) among {len(y)} rows."
            )
        names = self.design_.columns
        self.coef_by_cause_, self.se_by_cause_, self.cov_by_cause_ = {}, {}, {}
        self.converged_by_cause_, baselines = {}, {}
        for k in y.causes:
            res = fit_cox_arrays(Z, np.asarray(y.time, float), np.asarray(y.cause) == k,
                                 ties=self.ties, max_iter=self.max_iter, tol=self.tol,
                                 baseline=self.baseline or self.ties, names=names)
            warn_fit_problems(res["result"], names, f"Cox model for cause {k}")
            self.coef_by_cause_[int(k)] = pd.Series(res["beta"], index=self.design_.column_index,
                                                    dtype=float)
            self.se_by_cause_[int(k)] = pd.Series(np.sqrt(np.diag(res["cov"])),
                                                  index=self.design_.column_index, dtype=float)
            self.cov_by_cause_[int(k)] = res["cov"]
            self.converged_by_cause_[int(k)] = bool(res["converged"])
            tt, hh, cc = res["baseline"][0]
            baselines[int(k)] = Baseline(tt, hh, cc)
        self.event_of_interest_ = int(y.event_of_interest)
        self.coef_ = self.coef_by_cause_[self.event_of_interest_]
        self.se_ = self.se_by_cause_[self.event_of_interest_]
        self.cov_ = self.cov_by_cause_[self.event_of_interest_]
        self.converged_ = all(self.converged_by_cause_.values())
        self.max_time_ = float(np.max(y.time))
        if self.grid_min_events is not None:
            baselines = self._to_grid(baselines, int(self.grid_min_events))
        self.baselines_obj_ = baselines
        self.development_ = {"n": len(y), "n_events": int(y.n_events),
                             "n_competing": int(y.n_competing)}
        return self

    def _to_grid(self, baselines: dict[int, Baseline], k: int) -> dict[int, Baseline]:
        grid = _cause_grid(baselines, k)
        if not len(grid):
            few = ", ".join(
                f"cause {c}: " + (f"<{k}" if b.counts.sum() < k else f"{int(b.counts.sum())}")
                for c, b in baselines.items())
            raise InsufficientDataError(
                f"a confidential grid needs at least {k} development events of every cause "
                f"per interval; the totals are {few}, so no grid exists. Merge rare competing "
                "causes into one."
            )
        self.max_time_ = float(grid[-1])
        return {c: Baseline(grid, np.asarray([b.at(t) for t in grid]), None)
                for c, b in baselines.items()}

    def to_grid(self, min_events: int) -> CauseSpecificCoxIndex:
        """The confidential grid version of this fitted exact model (a new model).

        Every cause's baseline hazard is aggregated on a grid whose every interval holds at
        least ``min_events`` development events of every cause, with piecewise-constant
        hazards within an interval; this is the model an export publishes.
        """
        self._check_is_fitted()
        if self.grid_min_events is not None:
            raise ValueError("this model already uses a grid; refit it to change the grid.")
        out = copy.deepcopy(self)
        out.grid_min_events = int(min_events)
        out.baselines_obj_ = out._to_grid(self.baselines_obj_, int(min_events))
        return out

    @property
    def baselines_(self) -> dict[int, pd.DataFrame]:
        """``{cause: DataFrame(time, cumhaz)}`` at Z = 0."""
        return {k: pd.DataFrame({"time": b.time, "cumhaz": b.cumhaz})
                for k, b in self.baselines_obj_.items()}

    def linear_predictor(self, X: Any) -> np.ndarray:
        """Cause-specific linear predictor of the event of interest."""
        return finite_or_error(self._design(X) @ self.coef_.to_numpy(), "linear_predictor")

    def predict_risk(self, X: Any, horizon: float | None = None) -> np.ndarray:
        """Absolute risk of the event of interest by ``horizon`` (competing causes acting)."""
        self._check_is_fitted()
        h = check_horizon(horizon, max_time=self.max_time_)
        Z = self._design(X)
        # linear predictors are bounded before exponentiation: a diverging cause-specific
        # coefficient (SeparationWarning at fit) must not turn risks into inf * 0 = NaN
        risks = {k: np.exp(np.clip(Z @ c.to_numpy(), -700.0, 700.0))
                 for k, c in self.coef_by_cause_.items()}
        if self.grid_min_events is not None:
            out = self._grid_risk(risks, h)
        else:
            out = self._exact_risk(risks, h)
        return finite_or_error(np.clip(out, 0.0, 1.0), "predict_risk")

    def _exact_risk(self, risks: dict[int, np.ndarray], h: float) -> np.ndarray:
        k1 = self.event_of_interest_
        base = self.baselines_obj_
        grid = np.unique(np.concatenate([b.time[b.time <= h] for b in base.values()]))
        jumps = {}
        for k, b in base.items():
            keep = b.time <= h
            dh = np.diff(np.r_[0.0, b.cumhaz])[keep]
            j = np.zeros(len(grid))
            j[np.searchsorted(grid, b.time[keep])] = dh
            jumps[k] = j
        n = len(risks[k1])
        out = np.empty(n)
        chunk = max(1, 4_000_000 // max(len(grid), 1))
        for lo in range(0, n, chunk):
            hi = min(lo + chunk, n)
            dA = sum(np.outer(risks[k][lo:hi], jumps[k]) for k in jumps)
            if self.product_limit:
                surv = np.cumprod(np.maximum(1.0 - dA, 0.0), axis=1)
            else:
                surv = np.exp(-np.cumsum(dA, axis=1))
            surv_left = np.hstack([np.ones((hi - lo, 1)), surv[:, :-1]])
            out[lo:hi] = (surv_left * jumps[k1]).sum(axis=1) * risks[k1][lo:hi]
        return out

    def _grid_risk(self, risks: dict[int, np.ndarray], h: float) -> np.ndarray:
        """Piecewise-constant cause-specific hazards on the grid (exact integral)."""
        k1 = self.event_of_interest_
        base = self.baselines_obj_
        grid = base[k1].time
        edges = np.r_[0.0, grid]
        j_end = int(np.searchsorted(grid, h, side="left"))  # interval holding h
        frac = np.ones(j_end + 1)
        frac[j_end] = (h - edges[j_end]) / (edges[j_end + 1] - edges[j_end])
        inc = {k: np.diff(np.r_[0.0, b.cumhaz])[: j_end + 1] * frac for k, b in base.items()}
        n = len(risks[k1])
        surv = np.ones(n)
        out = np.zeros(n)
        for j in range(j_end + 1):
            lam = sum(risks[k] * inc[k][j] for k in base)
            a1 = risks[k1] * inc[k1][j]
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(lam > 0, a1 / lam, 0.0)
            out += surv * share * -np.expm1(-lam)
            surv = surv * np.exp(-lam)
        return out

    def _export_state(self, horizons: list[float] | None, threshold: int) -> dict[str, Any]:
        k = self.grid_min_events
        if k is None:  # the exact model is published through its confidential grid
            return self.to_grid(threshold)._export_state(horizons, threshold)
        if k < threshold:
            raise DisclosureError(
                f"this model's grid holds at least {k} events per interval, below the "
                f"disclosure threshold {threshold}; refit it with grid_min_events >= "
                f"{threshold} before exporting."
            )
        else:
            base = self.baselines_obj_
        last = float(base[self.event_of_interest_].time[-1])
        if horizons is not None and max(horizons) > last:
            raise DisclosureError(
                f"horizon {max(horizons):g} lies beyond the last interval of the confidential "
                f"grid ({last:g}); the events after it are too few to be published."
            )
        return {
            "event_of_interest": self.event_of_interest_,
            "max_time": last,
            "grid_min_events": int(k),
            "causes": {
                str(c): {"coef": self.coef_by_cause_[c].tolist(),
                         "se": self.se_by_cause_[c].tolist(),
                         "baseline_time": base[c].time.tolist(),
                         "baseline_cumhaz": base[c].cumhaz.tolist()}
                for c in self.coef_by_cause_
            },
        }

    def _load_state(self, state: dict[str, Any]) -> None:
        names = list(self.coef_.index)
        self.event_of_interest_ = int(state["event_of_interest"])
        self.max_time_ = float(state["max_time"])
        self.grid_min_events = int(state["grid_min_events"])
        self.coef_by_cause_, self.se_by_cause_, self.baselines_obj_ = {}, {}, {}
        for k, v in state["causes"].items():
            self.coef_by_cause_[int(k)] = pd.Series(v["coef"], index=names, dtype=float)
            self.se_by_cause_[int(k)] = pd.Series(v["se"], index=names, dtype=float)
            self.baselines_obj_[int(k)] = Baseline(np.asarray(v["baseline_time"], float),
                                                   np.asarray(v["baseline_cumhaz"], float))
