"""Cox proportional-hazards risk index reproducing ``survival::coxph``."""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import linalg
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning

from irdp._validation import check_horizon
from irdp.exceptions import SeparationWarning
from irdp.models import _coxph
from irdp.models.base import RiskIndexMixin, finite_or_error, register
from irdp.outcomes import CompetingRisks, Survival

__all__ = ["CoxIndex", "fit_cox_arrays"]


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


def fit_cox_arrays(
    Z: np.ndarray, time: np.ndarray, event: np.ndarray, *, strata: np.ndarray | None = None,
    weights: np.ndarray | None = None, ties: str = "efron", max_iter: int = 50,
    tol: float = 1e-10, baseline: str = "breslow",
) -> dict[str, Any]:
    """Fit a Cox model on arrays; returns coefficients, covariance and Breslow baseline.

    The baseline cumulative hazard is returned per stratum at ``Z = 0``: Breslow
    (``survfit(fit, ctype = 1)``) or, with ``baseline="efron"``, Efron's tie-corrected
    estimator (``ctype = 2``, the default of ``survfit`` and ``basehaz`` for Efron fits).
    """
    n, p = Z.shape
    w = np.ones(n) if weights is None else weights
    s = np.zeros(n, dtype=np.int64) if strata is None else strata
    center = (w @ Z) / w.sum()
    cd = _coxph.prepare(Z, time, event.astype(bool), s, w, ties, center=center)
    res = _coxph.newton(cd, ties, max_iter=max_iter, tol=tol)
    beta = res["beta"]
    try:
        cov = linalg.inv(res["info"])
    except linalg.LinAlgError:
        cov = np.full((p, p), np.inf)
    increments = _coxph.efron_increments if baseline == "efron" else _coxph.breslow_increments
    inc = increments(cd, beta) * np.exp(-center @ beta)
    base: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for k in np.unique(s):
        sel = cd.g_stratum == k
        tt, hh = cd.g_time[sel][::-1], inc[sel][::-1]  # ascending time
        base[int(k)] = (tt, np.cumsum(hh))
    return {**res, "cov": cov, "baseline": base, "center": center}


@register
class CoxIndex(RiskIndexMixin, BaseEstimator):
    """Cox proportional-hazards risk index (Efron or Breslow ties, optional strata).

    Coefficients maximise the partial likelihood by Newton-Raphson with step halving and
    reproduce ``survival::coxph``; standard errors are the model-based inverse information
    (``coxph``'s default ``se(coef)``). The baseline cumulative hazard is the Breslow
    estimator per stratum (or Efron's tie-corrected one with ``baseline="efron"``), and
    ``predict_risk(X, horizon) = 1 - exp(-H0_s(horizon) exp(lp))``.

    Parameters
    ----------
    ties : {"efron", "breslow"}, default="efron"
    baseline : {"breslow", "efron"}, default="breslow"
        Estimator of the baseline cumulative hazard (they differ only at tied times).
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

    References
    ----------
    Cox DR. Regression models and life-tables. JRSS B 1972;34:187-220. Efron (1977), JASA
    72:557. Breslow NE. Discussion of Cox (1972). Therneau & Grambsch (2000).

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
        baseline: Literal["breslow", "efron"] = "breslow",
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

    def _survival_of(self, y: Any) -> Survival:
        return y.to_survival() if isinstance(y, CompetingRisks) else y

    def fit(self, X: Any, y: Survival | CompetingRisks, *, sample_weight: Any = None):
        """Fit on a :class:`~irdp.outcomes.Survival` outcome (a competing-risks outcome is
        reduced to its event of interest, competing events being censored).

        Returns
        -------
        self
        """
        if self.ties not in ("efron", "breslow"):
            raise ValueError(f"ties must be 'efron' or 'breslow'; got {self.ties!r}.")
        if self.baseline not in ("efron", "breslow"):
            raise ValueError(f"baseline must be 'breslow' or 'efron'; got {self.baseline!r}.")
        y = self._check_outcome(y)
        X = self._check_xy(X, y)
        ys = self._survival_of(y)
        strata = list(self.strata or [])
        Z = self._fit_design(X, exclude=tuple(strata))
        labels = _strata_codes(X, strata)
        uniq, codes = np.unique(labels.astype(str), return_inverse=True)
        w = np.ones(len(ys)) if sample_weight is None else np.asarray(sample_weight, float)
        if w.shape != ys.time.shape or not np.all(np.isfinite(w)) or (w < 0).any():
            raise ValueError("sample_weight must be finite, >= 0 and have one value per row.")
        if ys.n_events == 0:
            raise ValueError(
                f"y has no event among {len(ys)} rows; a Cox model cannot be fitted."
            )
        res = fit_cox_arrays(
            Z, ys.time, ys.event, strata=codes, weights=w, ties=self.ties,
            max_iter=self.max_iter, tol=self.tol, baseline=self.baseline,
        )
        self._check_fit(res)
        names = self.design_.columns
        self.coef_ = pd.Series(res["beta"], index=names, dtype=float)
        self.se_ = pd.Series(np.sqrt(np.diag(res["cov"])), index=names, dtype=float)
        self.cov_ = res["cov"]
        self.log_likelihood_ = res["loglik"]
        self.log_likelihood_null_ = res["loglik0"]
        self.converged_ = res["converged"]
        self.n_iter_ = res["n_iter"]
        self.strata_levels_ = [str(u) for u in uniq]
        self.baseline_cumhaz_ = {
            str(uniq[k]): pd.DataFrame({"time": tt, "cumhaz": hh})
            for k, (tt, hh) in res["baseline"].items()
        }
        self.max_time_ = float(np.max(ys.time))
        self.development_ = {"n": len(ys), "n_events": int(ys.n_events),
                             "max_time": self.max_time_, "ties": self.ties}
        return self

    def _check_fit(self, res: dict[str, Any]) -> None:
        beta = res["beta"]
        if not res["converged"]:
            if np.max(np.abs(beta)) > 10:
                warnings.warn(
                    f"the Cox fit diverges (|coef| up to {np.max(np.abs(beta)):.3g} after "
                    f"{res['n_iter']} iterations): a covariate (nearly) separates events from "
                    "non-events (monotone likelihood). Merge sparse categories.",
                    SeparationWarning,
                    stacklevel=3,
                )
            else:
                warnings.warn(
                    f"the Cox fit did not converge in {res['n_iter']} iterations; increase "
                    "max_iter or check collinear columns.",
                    ConvergenceWarning,
                    stacklevel=3,
                )

    # ---- predictions ---------------------------------------------------------------------
    def linear_predictor(self, X: Any) -> np.ndarray:
        """``Z @ coef_`` (uncentred; higher = more risk)."""
        Z = self._design(X)
        return finite_or_error(Z @ self.coef_.to_numpy(), "linear_predictor")

    def baseline_cumulative_hazard_at(self, horizon: float, stratum: str = "") -> float:
        """Breslow H0(horizon) of one stratum (right-continuous step function)."""
        tab = self.baseline_cumhaz_[stratum]
        pos = np.searchsorted(tab["time"].to_numpy(), horizon, side="right") - 1
        return 0.0 if pos < 0 else float(tab["cumhaz"].to_numpy()[pos])

    def _check_horizon(self, horizon: Any) -> float:
        return check_horizon(horizon, max_time=self.max_time_)

    def _row_strata(self, X: Any) -> np.ndarray:
        labels = _strata_codes(pd.DataFrame(X) if not isinstance(X, pd.DataFrame) else X,
                               list(self.strata or [])).astype(str)
        unknown = ~np.isin(labels, self.strata_levels_)
        if unknown.any():
            raise ValueError(
                f"{int(unknown.sum())} rows belong to strata unseen at fit "
                f"(e.g. {sorted(set(labels[unknown]))[:3]}); known: {self.strata_levels_[:5]}."
            )
        return labels

    def predict_cumulative_hazard(self, X: Any, horizon: float) -> np.ndarray:
        """H(horizon | x) = H0_s(horizon) exp(lp)."""
        self._check_is_fitted()
        h = self._check_horizon(horizon)
        lp = self.linear_predictor(X)
        labels = self._row_strata(X)
        h0 = np.array([self.baseline_cumulative_hazard_at(h, s) for s in self.strata_levels_])
        idx = np.searchsorted(np.asarray(self.strata_levels_), labels)
        return finite_or_error(h0[idx] * np.exp(lp), "predict_cumulative_hazard")

    def predict_risk(self, X: Any, horizon: float | None = None) -> np.ndarray:
        """Absolute risk of the event by ``horizon``: 1 - exp(-H0_s(horizon) exp(lp))."""
        return -np.expm1(-self.predict_cumulative_hazard(X, horizon))

    def predict_survival_function(self, X: Any, *, times: Any) -> np.ndarray:
        """Survival probabilities, shape (n_samples, n_times)."""
        times = np.atleast_1d(np.asarray(times, dtype=float))
        return np.column_stack([1 - self.predict_risk(X, t) for t in times])

    # ---- export --------------------------------------------------------------------------
    def _export_state(self) -> dict[str, Any]:
        return {
            "strata_levels": self.strata_levels_,
            "baseline_cumhaz": {
                k: {"time": v["time"].tolist(), "cumhaz": v["cumhaz"].tolist()}
                for k, v in self.baseline_cumhaz_.items()
            },
            "max_time": self.max_time_,
            "log_likelihood": self.log_likelihood_,
        }

    def _load_state(self, state: dict[str, Any]) -> None:
        self.strata_levels_ = list(state["strata_levels"])
        self.baseline_cumhaz_ = {
            k: pd.DataFrame({"time": np.asarray(v["time"], float),
                             "cumhaz": np.asarray(v["cumhaz"], float)})
            for k, v in state["baseline_cumhaz"].items()
        }
        self.max_time_ = float(state["max_time"])
        self.log_likelihood_ = state["log_likelihood"]
