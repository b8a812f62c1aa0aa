"""Updating a risk index for a new SPSTI or period, and the closed testing procedure.

Steyerberg's updating hierarchy, from the most parsimonious to the least:

1. ``"intercept"`` — recalibration-in-the-large: the baseline risk is re-estimated with the
   original linear predictor as an offset (logistic intercept; Cox baseline hazard);
2. ``"recalibration"`` — intercept and slope: ``logit p = a + b lp`` (logistic) or
   ``h(t) = h0(t) exp(b lp)`` (Cox, baseline re-estimated), every coefficient multiplied by
   ``b``;
3. ``"revision"`` — recalibration plus re-estimation of selected coefficients (``revise``);
4. ``"refit"`` — the whole model re-estimated on the new data.

:func:`closed_test` chooses among them by likelihood-ratio tests while controlling the
type-I error (Vergouwe et al. 2017): refit vs original; if significant, refit vs intercept
update; if significant, refit vs recalibration; the first non-significant comparison gives
the method, otherwise the model is refitted.

References
----------
.. [1] Vergouwe Y, Nieboer D, Oostenbrink R, et al. A closed testing procedure to select an
   appropriate method for updating prediction models. Stat Med 2017;36:4529-4539.
.. [2] Steyerberg EW, Borsboom GJJM, van Houwelingen HC, Eijkemans MJC, Habbema JDF.
   Validation and updating of predictive logistic regression models: a study on sample
   size and shrinkage. Stat Med 2004;23:2567-2586.
.. [3] Van Houwelingen HC. Validation, calibration, revision and combination of prognostic
   survival models. Stat Med 2000;19:3401-3415.
.. [4] Janssen KJM, Moons KGM, Kalkman CJ, Grobbee DE, Vergouwe Y. Updating methods improved
   the performance of a clinical prediction model in new patients. J Clin Epidemiol
   2008;61:76-86.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import clone

from irdp._stats import cox, glm
from irdp._summary import Summary
from irdp.exceptions import InsufficientDataError
from irdp.models._baseline import Baseline
from irdp.outcomes import Binary, CompetingRisks, Survival

__all__ = ["update_model", "closed_test", "ClosedTestResult", "apply_shrinkage"]

Method = Literal["intercept", "recalibration", "revision", "refit"]


def _kind(model: Any) -> str:
    from irdp.models import CoxIndex, LogisticIndex

    if isinstance(model, LogisticIndex):
        return "logistic"
    if isinstance(model, CoxIndex):
        if model.strata:
            raise ValueError(
                "updating a stratified CoxIndex is not supported; refit it on the new data."
            )
        return "cox"
    raise TypeError(
        f"model must be a fitted LogisticIndex or CoxIndex; got {type(model).__name__}. "
        "Other indices can be recalibrated through their risks with a LogisticIndex."
    )


def _check_fitted(model: Any) -> None:
    if not hasattr(model, "coef_"):
        raise ValueError(
            f"model must be fitted on the development data first; this {type(model).__name__} "
            "has no coef_."
        )


# ------------------------------------------------ fits with an offset (the numerical core)
def _logistic_offset_fit(Z: np.ndarray, y: np.ndarray, offset: np.ndarray
                         ) -> tuple[np.ndarray, float]:
    """Maximum likelihood of logit p = offset + Z b (:func:`irdp._stats.glm.fit_logit`)."""
    res = glm.fit_logit(Z, y, offset=offset, intercept=False, max_iter=100, tol=1e-12,
                        compute_cov=False)
    return res.coef, res.loglik


def _cox_offset_fit(Z: np.ndarray, time: np.ndarray, event: np.ndarray, offset: np.ndarray,
                    ties: str) -> tuple[np.ndarray, float, cox.CoxResult]:
    """Cox partial likelihood of offset + Z b maximised over b (p may be 0), on the engine."""
    cd = cox.prepare(Z, time, np.asarray(event, dtype=bool), offset=offset, ties=ties,
                     center=np.zeros(Z.shape[1]))
    res = cox.fit(cd, max_iter=100, tol=1e-12, compute_cov=False, what="updated Cox model")
    return res.coef, res.loglik, res


def _baseline_at_offset(time: np.ndarray, event: np.ndarray, lp: np.ndarray,
                        ties: str) -> dict[str, Baseline]:
    """Baseline cumulative hazard with the linear predictor fixed (Breslow or Efron-type,
    following the model's ties, as ``survfit`` after ``coxph(... + offset(lp))``)."""
    _, _, res = _cox_offset_fit(np.zeros((len(time), 0)), time, event, lp, ties)
    inc = res.hazard_efron if ties == "efron" else res.hazard_breslow
    return {"": Baseline(res.group_time[::-1], np.cumsum(inc[::-1]),
                         res.group_events[::-1].astype(float))}


# ------------------------------------------------------------------------ updating
def _design_cols(model: Any, X: Any, revise: Sequence[str] | None) -> tuple[np.ndarray, list]:
    Z = model._design(X)
    names = list(model.coef_.index)
    cols = [] if revise is None else list(revise)
    unknown = [c for c in cols if c not in names]
    if unknown:
        raise ValueError(f"revise names unknown design columns {unknown}; columns: {names}.")
    return Z, cols


def _survival(y: Any) -> Survival:
    if isinstance(y, CompetingRisks):
        return y.to_survival()
    if not isinstance(y, Survival):
        raise TypeError(f"a CoxIndex is updated on a Survival outcome; got {type(y).__name__}.")
    return y


def _fit_update(model: Any, X: Any, y: Any, method: str,
                revise: Sequence[str] | None) -> tuple[Any, float, int]:
    """Return (updated model, log-likelihood on the new data, number of estimated params)."""
    kind = _kind(model)
    _check_fitted(model)
    if method == "refit":
        try:
            new = clone(model).fit(X, y)
        except InsufficientDataError as err:
            raise InsufficientDataError(
                f"the {type(model).__name__} cannot be refitted on the new data: {err}"
            ) from err
        return new, float(new.log_likelihood_), len(new.coef_) + (kind == "logistic")
    Z, cols = _design_cols(model, X, revise if method == "revision" else None)
    coef = model.coef_.to_numpy()
    lp = Z @ coef
    # the full linear predictor (with the intercept for a logistic model) is recalibrated
    lp_full = lp + (model.intercept_ if kind == "logistic" else 0.0)
    if method == "intercept":
        extra = np.zeros((len(lp), 0))
    elif method in ("recalibration", "revision"):
        extra = lp_full[:, None]
        if method == "revision":
            if not cols:
                raise ValueError("method='revision' needs revise=[design columns to re-estimate].")
            idx = [list(model.coef_.index).index(c) for c in cols]
            extra = np.column_stack([lp_full, Z[:, idx]])
    else:
        raise ValueError(
            "method must be 'intercept', 'recalibration', 'revision' or 'refit'; "
            f"got {method!r}."
        )
    new = copy.deepcopy(model)
    if kind == "logistic":
        if not isinstance(y, Binary):
            raise TypeError(
                f"a LogisticIndex is updated on a Binary outcome; got {type(y).__name__}."
            )
        yy = y.y.astype(float)
        offset = lp_full if method == "intercept" else np.zeros(len(lp))
        design = np.column_stack([np.ones(len(yy)), extra])
        b, ll = _logistic_offset_fit(design, yy, offset)
        slope = 1.0 if method == "intercept" else b[1]
        new_coef = coef * slope
        if method == "revision":
            new_coef[idx] += b[2:]
        new.intercept_ = float(model.intercept_ * (1 if method == "intercept" else slope) + b[0])
        new.coef_ = pd.Series(new_coef, index=model.coef_.index)
        n_par = design.shape[1]
    else:
        ys = _survival(y)
        offset = lp if method == "intercept" else np.zeros(len(lp))
        b, ll, _ = _cox_offset_fit(extra, ys.time, ys.event, offset, model.ties)
        slope = 1.0 if method == "intercept" else b[0]
        new_coef = coef * slope
        if method == "revision":
            new_coef[idx] += b[1:]
        new.coef_ = pd.Series(new_coef, index=model.coef_.index)
        new_lp = Z @ new_coef
        new.baselines_ = _baseline_at_offset(ys.time, ys.event, new_lp, model.ties)
        new.strata_levels_ = [""]
        new.max_time_ = float(ys.time.max())
        n_par = extra.shape[1]
    new.se_ = pd.Series(np.nan, index=new.coef_.index)
    new.cov_ = None
    new.updated_ = {"method": method, "revise": list(cols), "n": len(lp)}
    return new, float(ll), int(n_par)


def update_model(
    model: Any,
    X: Any,
    y: Any,
    *,
    method: Method = "recalibration",
    revise: Sequence[str] | None = None,
) -> Any:
    """Update a fitted LogisticIndex or CoxIndex on data from a new centre or period.

    Parameters
    ----------
    model : LogisticIndex or CoxIndex
        Fitted on the development data; it is not modified.
    X : DataFrame
        Features of the new data.
    y : Binary or Survival
        Outcome of the new data.
    method : {"intercept", "recalibration", "revision", "refit"}, default="recalibration"
    revise : list of str, optional
        Design columns whose coefficients are re-estimated (``method="revision"``).

    Returns
    -------
    model
        A new fitted model of the same class (``updated_`` records the method). Standard
        errors are not carried over (NaN).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from irdp.models import LogisticIndex
    >>> from irdp.outcomes import Binary
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"x": rng.normal(size=2000)})
    >>> dev = LogisticIndex().fit(X, Binary(rng.random(2000) < 1 / (1 + np.exp(-X["x"]))))
    >>> y_new = Binary(rng.random(2000) < 1 / (1 + np.exp(-(X["x"] - 1.0))))
    >>> upd = update_model(dev, X, y_new, method="intercept")
    >>> bool(abs(upd.predict_risk(X).mean() - y_new.prevalence) < 1e-6)
    True
    """
    return _fit_update(model, X, y, method, revise)[0]


@dataclass(frozen=True)
class ClosedTestResult:
    """Outcome of the closed testing procedure.

    Attributes
    ----------
    method : str
        Chosen method: ``"original"``, ``"intercept"``, ``"recalibration"`` or ``"refit"``.
    model : estimator
        The chosen (updated) model.
    fits : pandas.DataFrame
        Log-likelihood and number of estimated parameters of each candidate.
    tests : pandas.DataFrame
        The likelihood-ratio tests performed: ``comparison, statistic, df, p_value``.
    alpha : float
    """

    method: str
    model: Any
    fits: pd.DataFrame
    tests: pd.DataFrame
    alpha: float

    def summary(self) -> Summary:
        """Tests performed and the chosen method."""
        return Summary("Closed testing procedure (Vergouwe et al. 2017)", self.tests,
                       (f"Chosen: {self.method} (alpha = {self.alpha}).",))


def _original_loglik(model: Any, X: Any, y: Any, kind: str) -> float:
    if kind == "logistic":
        eta = model.intercept_ + model.linear_predictor(X)
        yy = y.y.astype(float)
        return float(np.sum(yy * eta - np.logaddexp(0.0, eta)))
    ys = _survival(y)
    return _cox_offset_fit(np.zeros((len(ys), 0)), ys.time, ys.event,
                           model.linear_predictor(X), model.ties)[1]


def closed_test(model: Any, X: Any, y: Any, *, alpha: float = 0.05) -> ClosedTestResult:
    """Choose how to update a model for new data by the closed testing procedure.

    Parameters
    ----------
    model : LogisticIndex or CoxIndex
        Fitted on the development data.
    X : DataFrame
    y : Binary or Survival
        New data.
    alpha : float, default=0.05

    Returns
    -------
    ClosedTestResult

    Notes
    -----
    Logistic (Vergouwe 2017): (1) refit vs original, p + 1 df; (2) refit vs
    intercept update, p df; (3) refit vs recalibration, p - 1 df. The first non-significant
    test selects the simpler model (original, intercept, recalibration); if all are
    significant the refitted model is chosen. Cox: the partial likelihood does not involve
    the baseline hazard, so the baseline is always re-estimated ("intercept" is the
    simplest choice) and the tests are (1) refit vs intercept update (p df) and (2) refit vs
    recalibration (p - 1 df), with the partial likelihood of the model's ties (Efron by
    default, as ``coxph``).

    References
    ----------
    Vergouwe et al. Stat Med 2017;36:4529-4539.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1); got {alpha!r}.")
    kind = _kind(model)
    _check_fitted(model)
    fits: dict[str, tuple[Any, float, int]] = {}
    if kind == "logistic":
        fits["original"] = (model, _original_loglik(model, X, y, kind), 0)
    for m in ("intercept", "recalibration", "refit"):
        fits[m] = _fit_update(model, X, y, m, None)
    ll_refit, k_refit = fits["refit"][1], fits["refit"][2]
    sequence = (["original"] if kind == "logistic" else []) + ["intercept", "recalibration"]
    tests, chosen = [], "refit"
    for m in sequence:
        stat = max(0.0, 2 * (ll_refit - fits[m][1]))
        df = k_refit - fits[m][2]
        p = float(stats.chi2.sf(stat, df)) if df > 0 else 1.0
        tests.append({"comparison": f"refit vs {m}", "statistic": stat, "df": df, "p_value": p})
        if p >= alpha:
            chosen = m
            break
    fit_table = pd.DataFrame(
        [{"method": k, "log_likelihood": v[1], "n_parameters": v[2]} for k, v in fits.items()]
    ).set_index("method")
    return ClosedTestResult(method=chosen, model=fits[chosen][0], fits=fit_table,
                            tests=pd.DataFrame(tests), alpha=alpha)


def apply_shrinkage(model: Any, factor: float, X: Any, y: Any) -> Any:
    """Shrink a fitted model's coefficients by a uniform factor and re-estimate the baseline.

    Parameters
    ----------
    model : LogisticIndex or CoxIndex
        Fitted (unpenalised) model.
    factor : float
        Shrinkage factor in (0, 1], e.g. :func:`irdp.validation.shrinkage_factor` of a
        bootstrap validation (the optimism-corrected calibration slope).
    X, y : development data
        Used to re-estimate the intercept (logistic, so that the mean predicted risk equals
        the observed one) or the baseline hazard (Cox; Efron-type or Breslow following the
        model's ties) with the shrunk coefficients.

    Returns
    -------
    model
        A new model; coefficients multiplied by ``factor`` (``shrinkage_`` records it).

    References
    ----------
    Van Houwelingen JC, Le Cessie S. Stat Med 1990;9:1303-1325; Steyerberg EW, Eijkemans
    MJC, Habbema JDF. Stat Med 2001;20:3847-3860; Harrell (2015), RMS sec. 5.5.
    """
    kind = _kind(model)
    _check_fitted(model)
    try:
        s = float(factor)
    except (TypeError, ValueError) as err:
        raise TypeError(f"factor must be a number; got {factor!r}.") from err
    if not np.isfinite(s) or s <= 0:
        raise ValueError(f"factor must be a positive finite number; got {factor!r}.")
    new = copy.deepcopy(model)
    new.coef_ = model.coef_ * s
    lp = model._design(X) @ new.coef_.to_numpy()
    if kind == "logistic":
        if not isinstance(y, Binary):
            raise TypeError(f"y must be Binary for a LogisticIndex; got {type(y).__name__}.")
        b, _ = _logistic_offset_fit(np.ones((len(lp), 1)), y.y.astype(float), lp)
        new.intercept_ = float(b[0])
    else:
        ys = _survival(y)
        new.baselines_ = _baseline_at_offset(ys.time, ys.event, lp, model.ties)
        new.strata_levels_ = [""]
    new.se_ = pd.Series(np.nan, index=new.coef_.index)
    new.shrinkage_ = s
    return new
