"""Cox proportional-hazards risk index reproducing ``survival::coxph`` and ``survfit``."""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from irdp._stats import cox as cox_engine
from irdp._validation import check_horizon
from irdp.exceptions import ConvergenceWarning, InsufficientDataError, SeparationWarning
from irdp.models._baseline import Baseline
from irdp.models._prepared import PreparedData
from irdp.models.base import RiskIndexMixin, finite_or_error, register
from irdp.outcomes import CompetingRisks, Survival

__all__ = ["CoxIndex", "fit_cox_arrays", "warn_fit_problems"]


def _strata_codes(X: pd.DataFrame, strata: list[str] | None) -> np.ndarray:
    """Stratum label of each row (``"col=value, ..."``) or '' without strata."""
    if not strata:
        return np.full(len(X), "", dtype=object)
    missing = [c for c in strata if c not in X.columns]
    if missing:
        raise ValueError(f"strata columns {missing} are not in X (columns {list(X.columns)[:10]}).")
    parts = []
    for c in strata:
        v = X[c]
        if v.isna().any():
            raise ValueError(f"strata column {c!r} has {int(v.isna().sum())} missing values.")
        parts.append(np.asarray([f"{c}={x}" for x in v.tolist()], dtype=object))
    out = parts[0]
    for p in parts[1:]:
        out = out + ", " + p
    return out


def warn_fit_problems(res: cox_engine.CoxResult, names: list[str], what: str,
                      stacklevel: int = 3) -> None:
    """SeparationWarning for coefficients running to infinity, ConvergenceWarning otherwise."""
    if res.separation:
        cols = [names[j] for j in res.separated_columns][:5]
        warnings.warn(
            f"the {what} shows a monotone likelihood: the coefficients of {cols} run to "
            f"infinity (|coef| up to {np.max(np.abs(res.coef)):.3g}; a covariate separates "
            "events from non-events, e.g. it equals the event indicator). Estimates and SEs "
            "are meaningless; merge sparse categories or drop the column.",
            SeparationWarning,
            stacklevel=stacklevel,
        )
    elif not res.converged:
        warnings.warn(
            f"the {what} did not converge in {res.n_iter} iterations; increase max_iter or "
            "check collinear columns.",
            ConvergenceWarning,
            stacklevel=stacklevel,
        )


def fit_cox_arrays(
    Z: np.ndarray, time: np.ndarray, event: np.ndarray, *, strata: np.ndarray | None = None,
    weights: np.ndarray | None = None, ties: str = "efron", max_iter: int = 50,
    tol: float = 1e-10, baseline: str | None = None, names: list[str] | None = None,
) -> dict[str, Any]:
    """Fit a Cox model on arrays (the :mod:`irdp._stats.cox` engine).

    Returns a dict with ``beta``, ``cov``, ``loglik``, ``loglik0``, ``converged``,
    ``n_iter``, ``result`` (the engine's :class:`~irdp._stats.cox.CoxResult`) and
    ``baseline``: ``{stratum code: (times, cumulative hazard, events)}`` at ``Z = 0``,
    Breslow (``survfit(fit, ctype = 1)``) or Efron-type (``ctype = 2``; the default of
    ``survfit`` and ``predictRisk`` for Efron fits: ``baseline=None`` follows ``ties``).
    """
    cd = cox_engine.prepare(Z, time, np.asarray(event, dtype=bool), strata=strata,
                            weights=weights, ties=ties)
    res = cox_engine.fit(cd, max_iter=max_iter, tol=tol, names=names)
    kind = baseline or ties
    inc = res.hazard_efron if kind == "efron" else res.hazard_breslow
    base: dict[int, tuple[np.ndarray, ...]] = {}
    counts = cd.g_d.astype(float)
    for k, sel in cox_engine.stratum_slices(res.group_stratum):
        base[int(k)] = (res.group_time[sel][::-1], np.cumsum(inc[sel][::-1]),
                        counts[sel][::-1])
    return {"beta": res.coef, "cov": res.cov, "loglik": res.loglik, "loglik0": res.loglik_null,
            "converged": res.converged, "n_iter": res.n_iter, "baseline": base, "result": res,
            "center": res.center}


@register
class CoxIndex(RiskIndexMixin, BaseEstimator):
    """Cox proportional-hazards risk index (Efron or Breslow ties, optional strata).

    Coefficients maximise the partial likelihood by Newton-Raphson with step halving and
    reproduce ``survival::coxph``; standard errors are the model-based inverse information
    (``coxph``'s default ``se(coef)``). The baseline cumulative hazard follows R's defaults:
    the Efron-type estimator for Efron ties (``survfit.coxph``'s default ``ctype = 2``, as
    ``riskRegression::predictRisk``) and Breslow's for Breslow ties; ``baseline`` chooses
    explicitly. ``predict_risk(X, horizon) = 1 - exp(-H0_s(horizon) exp(lp))``.

    Parameters
    ----------
    ties : {"efron", "breslow"}, default="efron"
    baseline : {"efron", "breslow"} or None, default=None
        Estimator of the baseline cumulative hazard (they differ only at tied event times);
        None follows ``ties``.
    strata : list of str, optional
        Columns of X defining strata (separate baseline hazards, shared coefficients).
    categorical : dict, optional
        ``{column: reference_level}``.
    splines : dict, optional
        ``{column: n_knots or knots}`` (restricted cubic splines as ``rms::rcs``).
    max_iter : int, default=50
    tol : float, default=1e-10
        Relative change of the log partial likelihood at convergence.

    Attributes
    ----------
    coef_, se_ : pandas.Series
        Log hazard ratios and standard errors by design column.
    cov_ : ndarray
    baseline_cumhaz_ : dict
        ``{stratum label: DataFrame(time, cumhaz)}`` at Z = 0.
    log_likelihood_, log_likelihood_null_, converged_, n_iter_, max_time_ : as named.
        ``converged_`` is False when a coefficient runs to infinity (SeparationWarning).

    References
    ----------
    Cox DR. Regression models and life-tables. JRSS B 1972;34:187-220. Efron (1977), JASA
    72:557. Breslow NE. Discussion of Cox (1972). Therneau & Grambsch (2000), section 10.2.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from irdp.models import CoxIndex
    >>> from irdp.outcomes import Survival
    >>> rng = np.random.default_rng(2)
    >>> X = pd.DataFrame({"age": rng.normal(0, 1, 400)})
    >>> t = rng.exponential(1 / np.exp(0.7 * X["age"]))
    >>> c = rng.exponential(2, 400)
    >>> m = CoxIndex().fit(X, Survival(np.minimum(t, c), t <= c))
    >>> bool(abs(m.coef_["age"] - 0.7) < 3 * m.se_["age"])
    True
    >>> m.predict_risk(X.head(2), horizon=1.0).shape
    (2,)
    """

    _outcome_kinds = (Survival, CompetingRisks)
    _exp_name = "hazard_ratio"

    def __init__(
        self,
        *,
        ties: Literal["efron", "breslow"] = "efron",
        baseline: Literal["breslow", "efron"] | None = None,
        strata: list[str] | None = None,
        categorical: dict[str, Any] | None = None,
        splines: dict[str, Any] | None = None,
        max_iter: int = 50,
        tol: float = 1e-10,
    ) -> None:
        self.ties = ties
        self.baseline = baseline
        self.strata = strata
        self.categorical = categorical
        self.splines = splines
        self.max_iter = max_iter
        self.tol = tol

    def _strata_of(self, X: pd.DataFrame) -> tuple[np.ndarray | None, list[str]]:
        if not self.strata:
            return None, [""]
        labels = _strata_codes(X, list(self.strata)).astype(str)
        levels, codes = np.unique(labels, return_inverse=True)
        return codes, [str(u) for u in levels]

    def fit(self, X: Any, y: Survival | CompetingRisks | None = None, *,
            sample_weight: Any = None):
        """Fit on a :class:`~irdp.outcomes.Survival` outcome (a competing-risks outcome is
        reduced to its event of interest, competing events being censored).

        Parameters
        ----------
        X : DataFrame of shape (n_samples, n_features) or PreparedData
        y : Survival or CompetingRisks (None with PreparedData)
        sample_weight : array-like of shape (n_samples,), optional
            Case weights (``coxph(weights=)``).

        Returns
        -------
        self
        """
        if self.ties not in ("efron", "breslow"):
            raise ValueError(f"ties must be 'efron' or 'breslow'; got {self.ties!r}.")
        if self.baseline not in (None, "efron", "breslow"):
            raise ValueError(
                f"baseline must be None, 'breslow' or 'efron'; got {self.baseline!r}.")
        X, y, w = self._fit_inputs(X, y, sample_weight)
        ys = y.to_survival() if isinstance(y, CompetingRisks) else y
        if isinstance(X, PreparedData):
            codes, levels = X.strata, X.strata_levels
        else:
            codes, levels = self._strata_of(X)
        Z = self._fit_design(X)
        event = np.asarray(ys.event, dtype=bool)
        n_ev = float(event.sum() if w is None else w[event].sum())
        if n_ev == 0:
            raise InsufficientDataError(
                f"y has no event (with a positive weight) among {len(ys)} rows; a Cox model "
                "cannot be fitted."
            )
        names = self.design_.columns
        res = fit_cox_arrays(Z, np.asarray(ys.time, dtype=float), event, strata=codes,
                             weights=w, ties=self.ties, max_iter=self.max_iter, tol=self.tol,
                             baseline=self.baseline, names=names)
        warn_fit_problems(res["result"], names, "Cox fit")
        cov = res["cov"]
        self.coef_ = pd.Series(res["beta"], index=self.design_.column_index, dtype=float)
        self.se_ = pd.Series(np.sqrt(np.diag(cov)), index=self.design_.column_index,
                             dtype=float)
        self.cov_ = cov
        self.log_likelihood_ = res["loglik"]
        self.log_likelihood_null_ = res["loglik0"]
        self.converged_ = res["converged"]
        self.n_iter_ = res["n_iter"]
        self.strata_levels_ = list(levels)
        self.baselines_ = {levels[k]: Baseline(t, h, c) for k, (t, h, c) in
                           res["baseline"].items()}
        self.max_time_ = float(np.max(ys.time))
        self.development_ = {"n": len(ys), "n_events": int(ys.n_events), "ties": self.ties}
        return self

    @property
    def baseline_cumhaz_(self) -> dict[str, pd.DataFrame]:
        """``{stratum label: DataFrame(time, cumhaz)}`` at Z = 0."""
        return {k: pd.DataFrame({"time": b.time, "cumhaz": b.cumhaz})
                for k, b in self.baselines_.items()}

    # ---- predictions ---------------------------------------------------------------------
    def linear_predictor(self, X: Any) -> np.ndarray:
        """``Z @ coef_`` (uncentred; higher = more risk)."""
        Z = self._design(X)
        return finite_or_error(Z @ self.coef_.to_numpy(), "linear_predictor")

    def baseline_cumulative_hazard_at(self, horizon: float, stratum: str = "") -> float:
        """Baseline cumulative hazard H0(horizon) of one stratum."""
        if stratum not in self.baselines_:
            raise ValueError(f"unknown stratum {stratum!r}; known: {self.strata_levels_[:5]}.")
        return self.baselines_[stratum].at(float(horizon), what=f"this {type(self).__name__}")

    def _check_horizon(self, horizon: Any) -> float:
        return check_horizon(horizon, max_time=self.max_time_)

    def _row_strata(self, X: Any) -> np.ndarray:
        """Index into ``strata_levels_`` of every row."""
        if isinstance(X, PreparedData):
            if X.strata is None:
                return np.zeros(len(X), dtype=np.int64)
            labels = np.asarray(X.strata_levels, dtype=object)[X.strata].astype(str)
        elif not self.strata:
            return np.zeros(len(X), dtype=np.int64)
        else:
            labels = _strata_codes(X if isinstance(X, pd.DataFrame) else pd.DataFrame(X),
                                   list(self.strata)).astype(str)
        known = np.asarray(self.strata_levels_)
        unknown = ~np.isin(labels, known)
        if unknown.any():
            raise ValueError(
                f"{int(unknown.sum())} rows belong to strata unseen at fit "
                f"(e.g. {sorted(set(labels[unknown]))[:3]}); known: {self.strata_levels_[:5]}."
            )
        order = np.argsort(known)
        return order[np.searchsorted(known[order], labels)]

    def predict_cumulative_hazard(self, X: Any, horizon: float) -> np.ndarray:
        """H(horizon | x) = H0_s(horizon) exp(lp)."""
        self._check_is_fitted()
        h = self._check_horizon(horizon)
        lp = self.linear_predictor(X)
        idx = self._row_strata(X)
        used = np.unique(idx)
        h0 = np.zeros(len(self.strata_levels_))
        for k in used:
            h0[k] = self.baseline_cumulative_hazard_at(h, self.strata_levels_[k])
        return finite_or_error(h0[idx] * np.exp(lp), "predict_cumulative_hazard")

    def predict_risk(self, X: Any, horizon: float | None = None) -> np.ndarray:
        """Absolute risk of the event by ``horizon``: 1 - exp(-H0_s(horizon) exp(lp))."""
        return -np.expm1(-self.predict_cumulative_hazard(X, horizon))

    def predict_survival_function(self, X: Any, *, times: Any) -> np.ndarray:
        """Survival probabilities, shape (n_samples, n_times)."""
        times = np.atleast_1d(np.asarray(times, dtype=float))
        return np.column_stack([1 - self.predict_risk(X, t) for t in times])

    # ---- export --------------------------------------------------------------------------
    def _export_state(self, horizons: list[float] | None, threshold: int) -> dict[str, Any]:
        base = {k: b.export(horizons, threshold, f"the baseline of stratum {k!r}")
                for k, b in self.baselines_.items()}
        held = [t for b in base.values() for t in b["time"]]
        return {
            "strata_levels": self.strata_levels_,
            "baseline_cumhaz": base,
            "max_time": max(held) if held else 0.0,
            "log_likelihood": self.log_likelihood_,
        }

    def _load_state(self, state: dict[str, Any]) -> None:
        self.strata_levels_ = list(state["strata_levels"])
        self.baselines_ = {k: Baseline.from_export(v)
                           for k, v in state["baseline_cumhaz"].items()}
        self.max_time_ = float(state["max_time"])
        self.log_likelihood_ = state["log_likelihood"]
