"""Random-effects meta-analysis of per-centre performance (Debray et al. 2017, valmeta).

An index validated in several SPSTI (or periods) gives one estimate of each measure per
centre. :func:`meta_analysis` pools them on the scale where they are closest to normal
(C statistic on the logit scale, O/E on the log scale, calibration slope as is) with a
REML between-centre variance, a Hartung-Knapp-Sidik-Jonkman (HKSJ) confidence interval
and a 95 % prediction interval for the performance in a new centre, then back-transforms.
:func:`centre_summary` computes the only figures a centre needs to share — counts and the
estimates with their standard errors — with small-count suppression, so that no
individual data leaves the service; :func:`pool_centre_summaries` pools those tables.

References
----------
.. [1] Debray TPA, Damen JAAG, Snell KIE, et al. A guide to systematic review and
   meta-analysis of prediction model performance. BMJ 2017;356:i6460.
.. [2] Debray TPA, Damen JAAG, Riley RD, et al. A framework for meta-analysis of prediction
   model studies with binary and time-to-event outcomes. Stat Methods Med Res
   2019;28:2768-2786 (metamisc::valmeta).
.. [3] Viechtbauer W. Conducting meta-analyses in R with the metafor package. J Stat Softw
   2010;36(3):1-48 (REML by Fisher scoring; ``test="knha"``).
.. [4] Hartung J, Knapp G. A refined method for the meta-analysis of controlled clinical
   trials with binary outcome. Stat Med 2001;20:3875-3889.
.. [5] Higgins JPT, Thompson SG, Spiegelhalter DJ. A re-evaluation of random-effects
   meta-analysis. J R Stat Soc A 2009;172:137-159 (prediction interval, t on k-2 df).
.. [6] Riley RD, Higgins JPT, Deeks JJ. Interpretation of random effects meta-analyses.
   BMJ 2011;342:d549.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from irdp._summary import Summary
from irdp._validation import as_1d_array
from irdp.exceptions import InsufficientDataError, UnknownMeasureError
from irdp.metrics import get_metric
from irdp.metrics._context import events_by_horizon
from irdp.privacy import DEFAULT_THRESHOLD

__all__ = [
    "MetaAnalysisResult",
    "meta_analysis",
    "forest_plot",
    "centre_summary",
    "pool_centre_summaries",
    "scale_for_measure",
]

Scale = Literal["identity", "logit", "log"]

def scale_for_measure(measure: str) -> Scale:
    """Return the pooling scale of a measure, from the registry :data:`irdp.metrics.METRICS`.

    C statistics and AUCs are pooled on the logit scale, O/E on the log scale, the other
    measures as they are (Debray et al. 2017, Table 2). Aliases are accepted
    (``"c"``, ``"oe"``, ``"slope"``...); net-benefit columns are pooled as they are.

    Examples
    --------
    >>> scale_for_measure("auc"), scale_for_measure("oe_ratio"), scale_for_measure("slope")
    ('logit', 'log', 'identity')
    """
    key = str(measure).strip().lower()
    if key.startswith("net_benefit"):
        return "identity"
    try:
        return get_metric(key).scale
    except UnknownMeasureError as err:
        raise UnknownMeasureError(
            f"measure {measure!r} has no default pooling scale: {err} Pass scale='identity', "
            "'logit' or 'log' explicitly."
        ) from None


def _forward(scale: str, est: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Transform estimates and their SEs (delta method) to the pooling scale."""
    if scale == "identity":
        return est, se
    if scale == "logit":
        bad = (est <= 0) | (est >= 1)
        if bad.any():
            raise ValueError(
                f"estimates must lie strictly in (0, 1) for scale='logit'; found "
                f"{int(bad.sum())} outside (e.g. {est[bad][:3].tolist()})."
            )
        return np.log(est / (1 - est)), se / (est * (1 - est))
    if scale == "log":
        bad = est <= 0
        if bad.any():
            raise ValueError(
                f"estimates must be > 0 for scale='log'; found {int(bad.sum())} values <= 0 "
                f"(e.g. {est[bad][:3].tolist()})."
            )
        return np.log(est), se / est
    raise ValueError(f"scale must be one of 'identity', 'logit', 'log'; got {scale!r}.")


def _backward(scale: str, x: Any) -> Any:
    x = np.asarray(x, dtype=float)
    if scale == "logit":
        return 1.0 / (1.0 + np.exp(-x))
    if scale == "log":
        return np.exp(x)
    return x


def _reml_tau2(y: np.ndarray, v: np.ndarray, *, tol: float = 1e-12, max_iter: int = 500) -> float:
    """REML estimate of tau^2 by Fisher scoring (metafor's algorithm), truncated at 0."""
    k = len(y)
    # Hedges (HE) starting value, as metafor.
    tau2 = max(0.0, float(np.var(y, ddof=1) - np.mean(v))) if k > 1 else 0.0
    for _ in range(max_iter):
        w = 1.0 / (v + tau2)
        sw = w.sum()
        mu = float((w * y).sum() / sw)
        r = w * (y - mu)  # P y
        trace_p = sw - (w**2).sum() / sw
        trace_pp = (w**2).sum() - 2 * (w**3).sum() / sw + ((w**2).sum() / sw) ** 2
        score = 0.5 * ((r**2).sum() - trace_p)
        info = 0.5 * trace_pp
        step = score / info
        new = tau2 + step
        while new < 0 and tau2 > 0 and abs(step) > tol:
            step /= 2.0
            new = tau2 + step
        new = max(new, 0.0)
        if abs(new - tau2) <= tol * max(1.0, tau2):
            return new
        tau2 = new
    return tau2


@dataclass(frozen=True)
class MetaAnalysisResult:
    """Random-effects pooled performance across centres.

    Estimates on the natural scale of the measure (back-transformed) and on the pooling
    scale (``*_pooling_scale``).

    Attributes
    ----------
    estimate, lower, upper : float
        Pooled (summary) estimate and its HKSJ (or Wald) confidence interval.
    pi_lower, pi_upper : float
        Prediction interval for the measure in a new centre (nan when k < 3).
    mu, se : float
        Pooled estimate and its standard error on the pooling scale.
    tau2 : float
        REML between-centre variance (pooling scale).
    i2 : float
        I^2 in percent (share of total variability due to heterogeneity).
    q, q_pvalue : float
        Cochran's Q and its chi-square p-value on k - 1 df.
    k : int
        Number of centres.
    scale : {"identity", "logit", "log"}
    level : float
    method : str
        ``"REML+HKSJ"`` or ``"REML+Wald"``, or ``"not pooled (k < 3)"``.
    centres : pandas.DataFrame
        Per-centre ``label, estimate, se, lower, upper, weight`` (weight in percent).
    note : str
        Why no pooled estimate or interval is given (empty when pooled).
    """

    estimate: float
    lower: float
    upper: float
    pi_lower: float
    pi_upper: float
    mu: float
    se: float
    tau2: float
    i2: float
    q: float
    q_pvalue: float
    k: int
    scale: str
    level: float
    method: str
    centres: pd.DataFrame
    note: str = ""

    @property
    def pooled(self) -> bool:
        """Whether a pooled estimate and interval are given (at least ``min_clusters``)."""
        return not self.note

    @property
    def tau(self) -> float:
        """Between-centre standard deviation on the pooling scale."""
        return float(np.sqrt(self.tau2))

    def to_frame(self) -> pd.DataFrame:
        """Return the pooled result as a one-row DataFrame."""
        keys = ["estimate", "lower", "upper", "pi_lower", "pi_upper", "tau2", "i2", "q",
                "q_pvalue", "k", "note"]
        return pd.DataFrame([{k: getattr(self, k) for k in keys}])

    def summary(self) -> Summary:
        """Return the per-centre and pooled table as a :class:`Summary`."""
        table = self.centres.set_index("label")[["estimate", "lower", "upper", "weight"]].copy()
        pooled = pd.DataFrame(
            {"estimate": [self.estimate], "lower": [self.lower], "upper": [self.upper],
             "weight": [100.0]},
            index=pd.Index([f"Pooled ({self.method})"], name="label"),
        )
        if not self.pooled:
            return Summary(f"Per-centre results ({self.scale} scale), not pooled", table,
                           (self.note,))
        table = pd.concat([table, pooled])
        notes = (
            f"k = {self.k}; tau^2 = {self.tau2:.4g} ({self.scale} scale); I^2 = {self.i2:.1f} %;"
            f" Q = {self.q:.3f} (p = {self.q_pvalue:.3g}).",
            f"{100 * self.level:.0f} % prediction interval: [{self.pi_lower:.4f}, "
            f"{self.pi_upper:.4f}].",
        )
        return Summary(f"Random-effects meta-analysis ({self.scale} scale)", table, notes)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the forest plot (see :func:`forest_plot`)."""
        return forest_plot(self, ax=ax, **kwargs)


def _check_inputs(estimates: Any, standard_errors: Any) -> tuple[np.ndarray, np.ndarray]:
    est = as_1d_array(estimates, "estimates")
    se = as_1d_array(standard_errors, "standard_errors")
    if len(est) != len(se):
        raise ValueError(
            f"estimates and standard_errors must have the same length; got {len(est)} and "
            f"{len(se)}."
        )
    bad = ~np.isfinite(est) | ~np.isfinite(se)
    if bad.any():
        raise ValueError(
            f"estimates and standard_errors must be finite; found {int(bad.sum())} centres with "
            f"missing values (positions {np.flatnonzero(bad)[:5].tolist()}). Drop suppressed or "
            "failed centres first."
        )
    if (se <= 0).any():
        raise ValueError(
            f"standard_errors must be > 0; found {int((se <= 0).sum())} values <= 0 "
            f"(positions {np.flatnonzero(se <= 0)[:5].tolist()})."
        )
    if len(est) < 2:
        raise InsufficientDataError(
            f"a meta-analysis needs at least 2 centres; got {len(est)}. With one centre, report "
            "its own estimate and confidence interval."
        )
    return est, se


def meta_analysis(
    estimates: Any,
    standard_errors: Any,
    *,
    scale: Scale | str = "identity",
    labels: Sequence[Any] | None = None,
    level: float = 0.95,
    hksj: bool = True,
    pi_df: Literal["k-2", "k-1"] = "k-2",
    min_clusters: int = 3,
) -> MetaAnalysisResult:
    """Pool per-centre estimates with a random-effects model (REML, HKSJ, prediction interval).

    Parameters
    ----------
    estimates : array-like of shape (k,)
        Per-centre estimates on their natural scale (e.g. C in (0, 1), O/E > 0, slope).
    standard_errors : array-like of shape (k,)
        Their standard errors on the same natural scale; they are moved to the pooling scale
        by the delta method (SE/(C(1-C)) for logit, SE/(O/E) for log), as valmeta does.
    scale : {"identity", "logit", "log"} or a measure name, default="identity"
        Pooling scale. A measure name (``"auc"``, ``"c"``, ``"oe"``, ``"slope"``...) selects
        Debray's recommended scale.
    labels : sequence, optional
        Centre labels (default 0..k-1).
    level : float, default=0.95
        Confidence and prediction level.
    hksj : bool, default=True
        Hartung-Knapp-Sidik-Jonkman confidence interval (t on k-1 df, variance scaled by the
        weighted residual mean square, untruncated as metafor's ``test="knha"``); if false,
        a Wald interval.
    pi_df : {"k-2", "k-1"}, default="k-2"
        Degrees of freedom of the t quantile of the prediction interval: k-2 as Higgins 2009
        and valmeta; k-1 as metafor's ``predict()`` after ``test="knha"``.
    min_clusters : int, default=3
        Fewest centres for which a pooled estimate and interval are reported. With fewer,
        the between-centre variance cannot be estimated (with 2 centres a HKSJ interval
        rests on 1 degree of freedom and is meaningless): the result holds the per-centre
        results only, and ``note`` says why.

    Returns
    -------
    MetaAnalysisResult

    Notes
    -----
    The prediction interval is mu +/- t * sqrt(tau^2 + SE(mu)^2), with SE(mu) the HKSJ
    standard error when ``hksj``. It needs k >= 3 (k-2 df); for k = 2 it is nan.
    I^2 = tau^2 / (tau^2 + s^2) with s^2 Higgins-Thompson's typical within-centre variance,
    as metafor. Agreement with ``metafor::rma(method="REML", test="knha")`` is checked in
    ``tests/reference/meta_metafor``.

    References
    ----------
    Debray et al. BMJ 2017;356:i6460; Hartung & Knapp, Stat Med 2001;20:3875; Higgins,
    Thompson & Spiegelhalter, JRSS A 2009;172:137.

    Examples
    --------
    >>> res = meta_analysis([0.70, 0.74, 0.78, 0.69, 0.81], [0.02, 0.03, 0.02, 0.025, 0.03],
    ...                     scale="auc")
    >>> round(res.estimate, 3), res.k, res.pi_lower < res.lower
    (0.742, 5, True)
    """
    if scale in ("identity", "logit", "log"):
        sc = str(scale)
    else:
        sc = scale_for_measure(str(scale))
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1); got {level!r}.")
    if pi_df not in ("k-2", "k-1"):
        raise ValueError(f"pi_df must be 'k-2' or 'k-1'; got {pi_df!r}.")
    if isinstance(min_clusters, bool) or int(min_clusters) != min_clusters or min_clusters < 2:
        raise ValueError(f"min_clusters must be an integer >= 2; got {min_clusters!r}.")
    est, se = _check_inputs(estimates, standard_errors)
    y, s = _forward(sc, est, se)
    v = s**2
    k = len(y)
    if labels is not None and len(labels) != k:
        raise ValueError(f"labels must have {k} entries (one per centre); got {len(labels)}.")
    if k < min_clusters:
        return _not_pooled(est, se, y, s, v, sc, labels, level, min_clusters)
    tau2 = _reml_tau2(y, v)
    w = 1.0 / (v + tau2)
    mu = float((w * y).sum() / w.sum())
    alpha = 1 - level
    if hksj:
        q_hk = float((w * (y - mu) ** 2).sum() / (k - 1))
        se_mu = float(np.sqrt(q_hk / w.sum()))
        crit = stats.t.ppf(1 - alpha / 2, k - 1)
    else:
        se_mu = float(np.sqrt(1.0 / w.sum()))
        crit = stats.norm.ppf(1 - alpha / 2)
    lo, hi = mu - crit * se_mu, mu + crit * se_mu
    df_pi = k - 2 if pi_df == "k-2" else k - 1
    if df_pi >= 1:
        half = stats.t.ppf(1 - alpha / 2, df_pi) * np.sqrt(tau2 + se_mu**2)
        pi_lo, pi_hi = mu - half, mu + half
    else:
        pi_lo = pi_hi = float("nan")
    # Heterogeneity statistics (fixed-effect weights).
    w0 = 1.0 / v
    mu_fe = (w0 * y).sum() / w0.sum()
    q = float((w0 * (y - mu_fe) ** 2).sum())
    s2 = (k - 1) * w0.sum() / (w0.sum() ** 2 - (w0**2).sum())
    i2 = float(100 * tau2 / (tau2 + s2))
    centres = _centres(est, se, y, s, sc, labels, level, 100 * w / w.sum())
    return MetaAnalysisResult(
        estimate=float(_backward(sc, mu)),
        lower=float(_backward(sc, lo)),
        upper=float(_backward(sc, hi)),
        pi_lower=float(_backward(sc, pi_lo)),
        pi_upper=float(_backward(sc, pi_hi)),
        mu=mu,
        se=se_mu,
        tau2=float(tau2),
        i2=i2,
        q=q,
        q_pvalue=float(stats.chi2.sf(q, k - 1)),
        k=k,
        scale=sc,
        level=level,
        method="REML+HKSJ" if hksj else "REML+Wald",
        centres=centres,
    )


def _centres(est: np.ndarray, se: np.ndarray, y: np.ndarray, s: np.ndarray, sc: str,
             labels: Sequence[Any] | None, level: float, weight: np.ndarray) -> pd.DataFrame:
    zc = stats.norm.ppf(0.5 + level / 2)
    return pd.DataFrame(
        {
            "label": list(range(len(est))) if labels is None else list(labels),
            "estimate": est,
            "se": se,
            "lower": _backward(sc, y - zc * s),
            "upper": _backward(sc, y + zc * s),
            "weight": weight,
        }
    )


def _not_pooled(est: np.ndarray, se: np.ndarray, y: np.ndarray, s: np.ndarray,
                v: np.ndarray, sc: str, labels: Sequence[Any] | None, level: float,
                min_clusters: int) -> MetaAnalysisResult:
    """Per-centre results only: too few centres for a random-effects meta-analysis."""
    k = len(y)
    w0 = 1.0 / v
    mu_fe = (w0 * y).sum() / w0.sum()
    q = float((w0 * (y - mu_fe) ** 2).sum())
    note = (f"{k} centres: a random-effects meta-analysis needs at least {min_clusters} (the "
            "between-centre variance cannot be estimated from fewer, and a pooled interval "
            f"would rest on {k - 1} degree(s) of freedom); the per-centre results are given "
            "instead, without a pooled estimate or interval.")
    nan = float("nan")
    return MetaAnalysisResult(
        estimate=nan, lower=nan, upper=nan, pi_lower=nan, pi_upper=nan, mu=nan, se=nan,
        tau2=nan, i2=nan, q=q, q_pvalue=float(stats.chi2.sf(q, k - 1)), k=k, scale=sc,
        level=level, method=f"not pooled (k < {min_clusters})",
        centres=_centres(est, se, y, s, sc, labels, level, np.full(k, nan)), note=note,
    )


def forest_plot(
    result: MetaAnalysisResult,
    *,
    ax: Any = None,
    title: str | None = None,
    reference: float | None = None,
) -> Any:
    """Forest plot of a :class:`MetaAnalysisResult`: centres, pooled diamond, prediction interval.

    Parameters
    ----------
    result : MetaAnalysisResult
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new Figure is created when omitted (pyplot is not used).
    title : str, optional
    reference : float, optional
        Vertical reference line (e.g. 1 for O/E and slope, 0.5 for C).

    Returns
    -------
    matplotlib.figure.Figure
        Drawn by the display registered for this result (``MetaForestDisplay``); it
        renders inline in Jupyter.
    """
    if not isinstance(result, MetaAnalysisResult):
        raise TypeError(f"result must be a MetaAnalysisResult; got {type(result).__name__}.")
    from irdp._display_registry import draw

    return draw(result, ax=ax, title=title, reference=reference)


def _estimate_parts(est: Any) -> tuple[float, float]:
    """(value, se) of an Estimate-like object or a (value, se) pair."""
    if hasattr(est, "value"):
        return float(est.value), float(getattr(est, "se", np.nan))
    if isinstance(est, tuple | list) and len(est) == 2:
        return float(est[0]), float(est[1])
    raise TypeError(
        "a centre measure must return an object with .value and .se (an irdp Estimate) or a "
        f"(value, se) pair; got {type(est).__name__}."
    )


def centre_summary(
    y: Any,
    risk: Any,
    *,
    measures: Mapping[str, Callable[..., Any]] | Sequence[str] | None = None,
    horizon: float | None = None,
    centre: Any = None,
    groups: Any = None,
    min_count: int = DEFAULT_THRESHOLD,
) -> pd.DataFrame:
    """Per-centre, disclosure-controlled performance figures that a centre can share.

    Parameters
    ----------
    y : Binary, Survival or CompetingRisks
        Outcome of the centre's workers (or of several centres with ``groups``).
    risk : array-like of shape (n_samples,)
        Predicted risks of the index being validated.
    measures : dict of name -> callable, or sequence of names, optional
        Names (or aliases) of the registry :data:`irdp.metrics.METRICS` with an analytic
        SE, or callables ``f(y, risk, horizon=...)`` returning an Estimate. Default: C (AUC
        or Harrell's C), O/E and calibration slope, the three measures Debray 2017 pools.
        Columns are named with the registry's names (``c_harrell``, ``oe_ratio``...).
    horizon : float, optional
        Prediction horizon (timed outcomes).
    centre : hashable, optional
        Label of the centre when ``y`` holds one centre.
    groups : array-like of shape (n_samples,), optional
        Centre of each row, to summarise several centres at once (each row is computed on
        that centre's rows only, exactly as the centre would locally).
    min_count : int, default=11
        Disclosure threshold (:data:`irdp.privacy.DEFAULT_THRESHOLD`): a centre with fewer
        than ``min_count`` workers, events or non-events by the horizon has its counts and
        estimates suppressed (``suppressed=True``).

    Returns
    -------
    pandas.DataFrame
        One row per centre: ``centre, n, n_events, suppressed`` and ``<measure>``,
        ``<measure>_se`` for each measure. ``n_events`` counts the events of interest by the
        horizon. No individual-level value.
    """
    from irdp.outcomes import as_outcome
    from irdp.validation._measures import estimate_of, resolve_measures

    if isinstance(min_count, bool) or int(min_count) != min_count or min_count < 1:
        raise ValueError(f"min_count must be a positive integer; got {min_count!r}.")
    yy = as_outcome(y)
    r = as_1d_array(risk, "risk")
    if len(r) != len(yy):
        raise ValueError(f"y and risk must have the same length; got {len(yy)} and {len(r)}.")
    funcs = resolve_measures(measures, yy, purpose="pooling", with_se=True)
    if groups is None:
        labels = np.array([centre] * len(r), dtype=object)
    else:
        labels = np.asarray(groups, dtype=object)
        if len(labels) != len(r):
            raise ValueError(
                f"groups must have one entry per row; got {len(labels)} for {len(r)} rows."
            )
    rows = []
    for lab in pd.unique(labels):
        idx = np.flatnonzero(labels == lab)
        ys = yy.take(idx)
        n, e = len(idx), events_by_horizon(ys, horizon)
        row: dict[str, Any] = {"centre": lab, "n": n, "n_events": e}
        small = n < min_count or e < min_count or (n - e) < min_count
        row["suppressed"] = bool(small)
        for name, f in funcs.items():
            if small:
                row[name], row[f"{name}_se"] = np.nan, np.nan
            else:
                row[name], row[f"{name}_se"] = _estimate_parts(
                    estimate_of(f, ys, r[idx], horizon))
        if small:
            row["n"], row["n_events"] = pd.NA, pd.NA
        rows.append(row)
    out = pd.DataFrame(rows)
    out["n"] = out["n"].astype("Int64")
    out["n_events"] = out["n_events"].astype("Int64")
    return out


def _summary_column(table: pd.DataFrame, measure: str) -> str:
    """The column of ``measure`` in a centre summary (its name, or its registry name)."""
    if measure in table.columns:
        return measure
    try:
        name = get_metric(measure).name
    except UnknownMeasureError:
        name = measure
    if name in table.columns:
        return name
    raise ValueError(
        f"summaries have no column {measure!r}; available: {list(table.columns)}."
    )


def pool_centre_summaries(
    summaries: pd.DataFrame | Sequence[pd.DataFrame],
    measure: str,
    *,
    scale: Scale | None = None,
    **kwargs: Any,
) -> MetaAnalysisResult:
    """Pool one measure from shared :func:`centre_summary` tables.

    Parameters
    ----------
    summaries : DataFrame or sequence of DataFrames
        Tables produced by :func:`centre_summary` (e.g. one per SPSTI, concatenated here).
    measure : str
        Measure to pool: a column name, or a registry name or alias (``"c"``, ``"oe"``);
        its ``<measure>_se`` column gives the standard errors.
    scale : {"identity", "logit", "log"}, optional
        Default: Debray's recommended scale for the measure (:func:`scale_for_measure`).
    **kwargs
        Passed to :func:`meta_analysis` (e.g. ``min_clusters``).

    Returns
    -------
    MetaAnalysisResult
        Suppressed centres are left out (their count is in ``centres``' absence); with
        fewer than 3 centres, the per-centre results without a pooled interval.
    """
    table = summaries if isinstance(summaries, pd.DataFrame) else pd.concat(list(summaries))
    col = _summary_column(table, measure)
    for c in (f"{col}_se", "centre"):
        if c not in table.columns:
            raise ValueError(
                f"summaries have no column {c!r}; available: {list(table.columns)}."
            )
    keep = table[~table["suppressed"].astype(bool)] if "suppressed" in table else table
    sc = scale if scale is not None else scale_for_measure(col)
    return meta_analysis(
        keep[col].to_numpy(float), keep[f"{col}_se"].to_numpy(float), scale=sc,
        labels=list(keep["centre"]), **kwargs,
    )
