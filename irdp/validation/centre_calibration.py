"""Calibration across centres: per-SPSTI curves, the overall curve and its prediction interval.

How well an index is calibrated *on average* across services, and how much the calibration
of a *new* service may differ, following CalibrationCurves' ``valProbCluster`` (Barreñada et
al. 2025) on the logit scale:

- **MAC2** (meta-analytical calibration curve, two stages): in each centre a logistic
  calibration model ``logit P(y = 1) = rcs(logit(p), 3 knots)`` (knots placed on the centre's
  own predictions; linear when the spline cannot be fitted) is evaluated on a common grid of
  predicted risks with its standard error; at each grid point the centre curves are pooled by
  random-effects meta-analysis (REML between-centre variance tau^2, Wald CI, Higgins-Thompson-
  Spiegelhalter prediction interval with a t quantile on k - 2 df), as ``MAC2`` with
  ``metagen(method.tau = "REML", method.random.ci = "classic", method.predict = "HTS")``.
  Computable from per-centre summaries (:func:`centre_calibration_summary` inside each SPSTI,
  :func:`pool_centre_calibration` at the coordinating centre), the data never leaving the
  service.
- **MIXC** (one stage): a random-effects logistic calibration model
  ``logit P(y_ij = 1) = rcs(logit(p_ij), 3) beta + b_j`` (random intercept, or random intercept
  and slope on ``logit(p)``) fitted by maximum likelihood (Laplace approximation, lme4's
  default, or adaptive quadrature). The overall curve is the fixed part (a centre with
  ``b_j = 0``); its confidence interval uses the covariance of ``beta``, its prediction
  interval adds the between-centre variance ``z' Sigma z`` (normal quantile on the logit
  scale); centre curves use the conditional modes of ``b_j``. Needs the individual rows of
  every centre.

Survival and competing-risk outcomes are handled at the horizon by inverse probability of
censoring weighting: the outcome is the event of interest by the horizon, rows censored before
it get weight 0 and the others ``1/G`` with ``G`` the Kaplan-Meier of censoring *within the
centre* (the weights of :func:`irdp.metrics.classification.status_weights`; competing events
by the horizon are known non-events). Without censoring before the horizon every weight is 1
and the analysis is exactly the binary one. With censoring, MAC2 uses sandwich (robust)
standard errors for the weighted per-centre fits and MIXC treats the weights as prior weights
(a pseudo-likelihood: its model-based standard errors are approximate).

References
----------
.. [1] Barreñada L, De Cock Campo B, Wynants L, Van Calster B. Clustered flexible calibration
   plots for binary outcomes using random effects modeling. Res Synth Methods 2025:1-22.
   doi:10.1017/rsm.2025.10046 (CalibrationCurves 3.1.0, ``valProbCluster``, ``MAC2``,
   ``MIXC``).
.. [2] Van Calster B, Nieboer D, Vergouwe Y, et al. A calibration hierarchy for risk models
   was defined: from utopia to empirical data. J Clin Epidemiol 2016;74:167-176.
.. [3] Van Calster B, McLernon DJ, van Smeden M, et al. Calibration: the Achilles heel of
   predictive analytics. BMC Med 2019;17:230.
.. [4] Higgins JPT, Thompson SG, Spiegelhalter DJ. A re-evaluation of random-effects
   meta-analysis. J R Stat Soc A 2009;172:137-159.
.. [5] Riley RD, Ensor J, Snell KIE, et al. External validation of clinical prediction models
   using big datasets from e-health records or IPD meta-analysis: opportunities and
   challenges. BMJ 2016;353:i3140.
.. [6] Gerds TA, Schumacher M. Consistent estimation of the expected Brier score in general
   survival models with right-censored event times. Biom J 2006;48:1029-1040 (IPCW).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import special, stats

from irdp._display_registry import draw
from irdp._summary import Summary
from irdp._validation import as_1d_array, check_horizon, check_risk
from irdp.exceptions import ComputationError, InsufficientDataError, SmallGroupWarning
from irdp.outcomes import Binary, as_outcome
from irdp.privacy import DEFAULT_THRESHOLD
from irdp.validation._glmm import MixedLogitFit, mixed_logit_fit

__all__ = [
    "COUNT_COLUMNS",
    "CentreCalibrationResult",
    "centre_calibration",
    "centre_calibration_summary",
    "pool_centre_calibration",
]

Approach = Literal["both", "mac2", "mixc"]
_EPS = 1e-4  # grid and risks are kept within [_EPS, 1 - _EPS] (valProbCluster's rangeGrid)

#: Columns of a centre calibration summary that hold counts (for disclosure control).
COUNT_COLUMNS = ("n", "n_events")


# --------------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False)
class CentreCalibrationResult:
    """Calibration of one index across centres (``valProbCluster``-like).

    Attributes
    ----------
    kind : {"binary", "survival", "competing"}
    horizon : float or None
    level : float
        Confidence and prediction level.
    approach : {"both", "mac2", "mixc"}
    curve : pandas.DataFrame
        Overall curve, one row per approach and grid point: ``approach, predicted, observed,
        lower, upper, pi_lower, pi_upper, tau2`` (``tau2`` on the logit scale: the pointwise
        REML estimate for MAC2; ``z' Sigma z`` for MIXC).
    centre_curves : pandas.DataFrame
        ``approach, centre, predicted, observed, lower, upper`` (MAC2: each centre's own
        curve with its pointwise Wald CI; MIXC: conditional curves, no interval).
    centres : pandas.DataFrame
        One row per centre: ``centre, n, n_events, suppressed, knots_used, included``.
        ``n`` and ``n_events`` are counts (disclosure control applies); they are missing
        (``<NA>``) for suppressed centres.
    tau2 : dict
        Between-centre variance on the logit scale: ``"mixc"`` the random-intercept variance
        (``Sigma[0, 0]``), ``"mac2"`` the median of the pointwise tau^2 over the grid.
    sigma : numpy.ndarray or None
        MIXC covariance of the random effects (intercept, and slope on ``logit(p)``).
    mixc_fit : MixedLogitFit or None
        The MIXC model (fixed effects, covariance, log-likelihood, convergence).
    k : int
        Number of centres pooled.
    notes : tuple of str
        How the curves were computed.
    warnings : tuple of str
        Problems met (centres left out, spline fallbacks).
    """

    kind: str
    horizon: float | None
    level: float
    approach: str
    curve: pd.DataFrame = field(repr=False)
    centre_curves: pd.DataFrame = field(repr=False)
    centres: pd.DataFrame = field(repr=False)
    tau2: dict[str, float] = field(default_factory=dict)
    sigma: np.ndarray | None = field(default=None, repr=False)
    mixc_fit: MixedLogitFit | None = field(default=None, repr=False)
    k: int = 0
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The overall curve(s): one row per approach and grid point."""
        return self.curve.copy()

    def plot(self, *, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the overall curve with CI and prediction interval and the centre curves.

        Returns the figure drawn on (it renders inline in Jupyter); ``kwargs`` go to
        the ``from_result`` of the centre-calibration display (e.g. ``approach``).
        """
        return draw(self, ax=ax, **kwargs)

    def summary(self, n_points: int = 7) -> Summary:
        """Overall curve at ``n_points`` grid points, per approach, with CI and PI."""
        rows = []
        for app, part in self.curve.groupby("approach", sort=False):
            pick = np.unique(np.linspace(0, len(part) - 1, n_points).round().astype(int))
            sub = part.iloc[pick]
            rows.append(sub.assign(approach=app))
        table = pd.concat(rows).set_index(["approach", "predicted"])[
            ["observed", "lower", "upper", "pi_lower", "pi_upper"]]
        h = "" if self.horizon is None else f" at horizon {self.horizon:g}"
        pct = f"{100 * self.level:g} %"
        tau = "; ".join(f"{a.upper()} tau^2 = {v:.4g}" for a, v in self.tau2.items())
        notes = (
            f"{self.kind} outcome{h}; {self.k} centres pooled "
            f"({int((~self.centres['included']).sum())} left out); {pct} CI and prediction "
            "interval (PI: where the calibration curve of a new centre is expected to lie).",
            f"Between-centre variance (logit scale): {tau}.",
        ) + self.notes + self.warnings[:3]
        return Summary("Calibration across centres", table, notes)

    def __repr__(self) -> str:
        h = "" if self.horizon is None else f", horizon={self.horizon:g}"
        tau = ", ".join(f"tau2_{a}={v:.3g}" for a, v in self.tau2.items())
        return (f"CentreCalibrationResult({self.kind}{h}, approach={self.approach!r}, "
                f"k={self.k}, {tau})")


# --------------------------------------------------------------------------- pieces
def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def _at_horizon(y: Any, horizon: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Event-by-horizon indicator and IPC weights (0 = status unknown) of one centre."""
    from irdp.metrics.classification import status_weights

    if isinstance(y, Binary):
        e = y.event.astype(float)
        return e, np.ones(len(e))
    if not (y.time > horizon).any():  # nobody followed beyond the horizon: G(h) = 0
        return np.zeros(len(y)), np.zeros(len(y))
    a, b = status_weights(y, horizon)
    return (a > 0).astype(float), a + b


def _check_grid(grid: Any) -> np.ndarray:
    g = as_1d_array(grid, "grid")
    bad = ~((g > 0) & (g < 1))
    if bad.any() or len(g) < 2 or np.any(np.diff(g) <= 0):
        raise ValueError(
            "grid must hold at least 2 strictly increasing predicted risks in (0, 1); got "
            f"{len(g)} values ({int(bad.sum())} outside (0, 1)). Use for example "
            "numpy.linspace(0.005, 0.2, 50) for a rare outcome."
        )
    return g


def _design(x: np.ndarray, knots: np.ndarray | None) -> np.ndarray:
    from irdp.models.splines import rcs_basis

    if knots is None:
        return np.column_stack([np.ones(len(x)), x])
    return np.column_stack([np.ones(len(x)), rcs_basis(x, knots)])


def _knots(x: np.ndarray, n_knots: int) -> np.ndarray | None:
    """rms::rcs knots of x, or None (linear) when they cannot be placed."""
    from irdp.models.splines import rcs_knots

    if n_knots < 3:
        return None
    try:
        kn = rcs_knots(x, n_knots)
    except ValueError:
        return None
    return kn if len(kn) >= 3 else None


def _logistic(B: np.ndarray, yb: np.ndarray, w: np.ndarray, robust: bool
              ) -> tuple[np.ndarray, np.ndarray] | None:
    """Weighted logistic fit (the shared GLM); model-based or sandwich covariance."""
    from irdp.models.logistic import fit_logistic

    try:
        res = fit_logistic(B, yb, w, intercept=False)
    except (ComputationError, np.linalg.LinAlgError):
        return None
    beta, cov = np.asarray(res["beta"]), np.asarray(res["cov"])
    if not res["converged"] or not np.all(np.isfinite(cov)) or np.max(np.abs(beta)) > 30:
        return None
    if robust:
        resid = w * (yb - special.expit(B @ beta))
        meat = (B * resid[:, None]).T @ (B * resid[:, None])
        cov = cov @ meat @ cov
    if np.any(np.diag(cov) <= 0):
        return None
    return beta, cov


def _centre_curve(yb: np.ndarray, w: np.ndarray, x: np.ndarray, xg: np.ndarray,
                  n_knots: int) -> tuple[np.ndarray, np.ndarray, int]:
    """One centre's logit calibration curve on the grid, its SE and the knots used."""
    robust = not np.allclose(w, 1.0)
    kn = _knots(x, n_knots)
    for knots in ([kn, None] if kn is not None else [None]):
        fit = _logistic(_design(x, knots), yb, w, robust)
        if fit is None:
            continue
        beta, cov = fit
        Bg = _design(xg, knots)
        eta = Bg @ beta
        se = np.sqrt(np.einsum("ij,jk,ik->i", Bg, cov, Bg))
        return eta, se, (0 if knots is None else len(knots))
    raise InsufficientDataError(
        "the centre's logistic calibration model cannot be fitted, even linearly (separation "
        "or too few events)."
    )


def _centre_rows(yy: Any, r: np.ndarray, labels: np.ndarray, horizon: float | None,
                 min_count: int) -> list[dict[str, Any]]:
    """Per centre: rows used, event indicator, weights and the suppression flag."""
    out = []
    for lab in pd.unique(labels):
        idx = np.flatnonzero(labels == lab)
        yc = yy.take(idx)
        yb, w = _at_horizon(yc, horizon)
        keep = w > 0
        n, e = len(idx), int(yb[keep].sum())
        known = int(keep.sum())
        small = n < min_count or e < min_count or (known - e) < min_count
        out.append({"centre": lab, "idx": idx[keep], "yb": yb[keep], "w": w[keep],
                    "x": _logit(r[idx][keep]), "n": n, "n_events": e, "suppressed": small})
    return out


def _prepare(y: Any, risk: Any, centre: Any, horizon: float | None
             ) -> tuple[Any, np.ndarray, np.ndarray, float | None]:
    yy = as_outcome(y)
    r = check_risk(risk)
    if len(r) != len(yy):
        raise ValueError(f"y and risk must have the same length; got {len(yy)} and {len(r)}.")
    labels = np.asarray(centre, dtype=object)
    if labels.shape != (len(r),):
        raise ValueError(
            f"centre must give one label per row; got shape {labels.shape} for {len(r)} rows.")
    h = None
    if not isinstance(yy, Binary):
        h = check_horizon(horizon, max_time=yy.max_time)
    return yy, r, labels, h


# --------------------------------------------------------------------------- summaries
def centre_calibration_summary(
    y: Any,
    risk: Any,
    grid: Any,
    *,
    horizon: float | None = None,
    centre: Any = None,
    groups: Any = None,
    knots: int = 3,
    min_count: int = DEFAULT_THRESHOLD,
) -> pd.DataFrame:
    """Per-centre calibration curve on a fixed risk grid: what a centre shares for MAC2.

    Computed inside each SPSTI on its own rows only; the table holds no individual value.

    Parameters
    ----------
    y : Binary, Survival or CompetingRisks
        Outcome of the centre's workers (or of several centres with ``groups``).
    risk : array-like of shape (n_samples,)
        Predicted risks (by the horizon for timed outcomes) of the index validated.
    grid : array-like of float in (0, 1)
        Predicted risks at which the curve is evaluated; must be the same in every centre
        (set it in the experiment configuration, e.g. ``numpy.linspace(0.005, 0.2, 50)``).
    horizon : float, optional
        Required for timed outcomes.
    centre : hashable, optional
        Label of the centre when ``y`` holds one centre.
    groups : array-like of shape (n_samples,), optional
        Centre of each row, to summarise several centres at once (each centre is computed
        on its own rows only, exactly as it would be locally).
    knots : int, default=3
        Knots of the restricted cubic spline on ``logit(risk)`` (placed on the centre's own
        predictions, as ``rms::rcs``); 0 for a linear (logistic recalibration) curve. When
        the spline cannot be fitted, the linear curve is used (``knots_used = 0``).
    min_count : int, default=11
        Disclosure threshold: a centre with fewer workers, events or known non-events is
        suppressed (estimates NaN, counts missing) and left out of pooling.

    Returns
    -------
    pandas.DataFrame
        One row per centre and grid point: ``centre, predicted, logit_observed, se,
        knots_used, n, n_events, suppressed, kind, horizon``. ``n`` and ``n_events`` are
        counts (see :data:`COUNT_COLUMNS`); ``logit_observed`` and ``se`` are on the logit
        scale.

    References
    ----------
    Barreñada et al., Res Synth Methods 2025 (MAC2); Debray et al., BMJ 2017;356:i6460.
    """
    if int(min_count) != min_count or min_count < 1:
        raise ValueError(f"min_count must be a positive integer; got {min_count!r}.")
    if int(knots) != knots or knots < 0 or knots in (1, 2):
        raise ValueError(f"knots must be 0 (linear) or an integer >= 3; got {knots!r}.")
    g = _check_grid(grid)
    n = len(as_outcome(y))
    labels = np.full(n, centre, dtype=object) if groups is None else groups
    yy, r, lab, h = _prepare(y, risk, labels, horizon)
    xg = _logit(g)
    frames = []
    for c in _centre_rows(yy, r, lab, h, int(min_count)):
        eta = se = np.full(len(g), np.nan)
        used: Any = pd.NA
        if not c["suppressed"]:
            try:
                eta, se, used = _centre_curve(c["yb"], c["w"], c["x"], xg, int(knots))
            except ComputationError:
                used = pd.NA
        frames.append(pd.DataFrame({
            "centre": c["centre"], "predicted": g, "logit_observed": eta, "se": se,
            "knots_used": used,
            "n": pd.NA if c["suppressed"] else c["n"],
            "n_events": pd.NA if c["suppressed"] else c["n_events"],
            "suppressed": c["suppressed"],
        }))
    out = pd.concat(frames, ignore_index=True)
    for col in ("knots_used", "n", "n_events"):
        out[col] = out[col].astype("Int64")
    out["kind"] = yy.kind
    out["horizon"] = np.nan if h is None else h
    return out


def _pool_points(table: pd.DataFrame, level: float, hksj: bool, pi_df: str
                 ) -> pd.DataFrame:
    from irdp.validation.meta import meta_analysis

    rows = []
    for pred, part in table.groupby("predicted", sort=True):
        res = meta_analysis(part["logit_observed"].to_numpy(float), part["se"].to_numpy(float),
                            scale="identity", level=level, hksj=hksj, pi_df=pi_df)
        rows.append({"approach": "mac2", "predicted": float(pred), "mu": res.mu,
                     "lower": res.lower, "upper": res.upper, "pi_lower": res.pi_lower,
                     "pi_upper": res.pi_upper, "tau2": res.tau2})
    out = pd.DataFrame(rows)
    for col in ("lower", "upper", "pi_lower", "pi_upper"):
        out[col] = special.expit(out[col])
    out.insert(2, "observed", special.expit(out.pop("mu")))
    return out


def _check_summaries(table: pd.DataFrame) -> tuple[pd.DataFrame, str, float | None]:
    need = {"centre", "predicted", "logit_observed", "se", "suppressed", "kind", "horizon"}
    missing = sorted(need - set(table.columns))
    if missing:
        raise ValueError(
            f"summaries lack the columns {missing}; pass tables made by "
            "irdp.validation.centre_calibration_summary."
        )
    kinds = table["kind"].unique()
    hs = pd.unique(table["horizon"].astype(float))
    if len(kinds) != 1 or len(hs) != 1:
        raise ValueError(
            f"summaries mix outcome kinds {list(kinds)} or horizons {list(hs)}; pool summaries "
            "made with the same experiment settings only."
        )
    grids = [tuple(np.round(p["predicted"].to_numpy(float), 12))
             for _, p in table.groupby("centre", sort=False)]
    if len(set(grids)) != 1:
        raise ValueError(
            f"summaries use {len(set(grids))} different risk grids; every centre must use the "
            "same grid (set it once in the experiment configuration)."
        )
    h = float(hs[0])
    return table, str(kinds[0]), (None if np.isnan(h) else h)


def pool_centre_calibration(
    summaries: pd.DataFrame | Sequence[pd.DataFrame],
    *,
    level: float = 0.95,
    hksj: bool = False,
    pi_df: Literal["k-2", "k-1"] = "k-2",
) -> CentreCalibrationResult:
    """Pool per-centre calibration curves by random-effects meta-analysis (MAC2).

    Parameters
    ----------
    summaries : DataFrame or sequence of DataFrames
        Tables from :func:`centre_calibration_summary` (one per SPSTI, or one for all).
    level : float, default=0.95
        Confidence and prediction level.
    hksj : bool, default=False
        Hartung-Knapp-Sidik-Jonkman CI instead of the Wald CI (``metagen``'s default, used
        by CalibrationCurves).
    pi_df : {"k-2", "k-1"}, default="k-2"
        Degrees of freedom of the prediction interval (Higgins et al. 2009: k - 2).

    Returns
    -------
    CentreCalibrationResult
        ``approach="mac2"``.

    Notes
    -----
    At each grid point the centres' logit curves are pooled with
    :func:`irdp.validation.meta_analysis` (REML tau^2); the prediction interval needs at
    least 3 centres (NaN otherwise). Suppressed centres and centres whose curve could not be
    fitted are left out.

    References
    ----------
    Barreñada et al., Res Synth Methods 2025; Higgins, Thompson & Spiegelhalter, JRSS A
    2009;172:137.
    """
    table = summaries if isinstance(summaries, pd.DataFrame) else pd.concat(list(summaries))
    table, kind, h = _check_summaries(table)
    ok = ~table["suppressed"].astype(bool) & table["logit_observed"].notna()
    used = table[ok]
    k = used["centre"].nunique()
    if k < 2:
        raise InsufficientDataError(
            f"calibration across centres needs at least 2 centres with a curve; got {k} "
            f"(of {table['centre'].nunique()}; the others are suppressed or could not be fitted)."
        )
    curve = _pool_points(used, level, hksj, pi_df)
    cc = used.assign(approach="mac2")
    z = stats.norm.ppf(0.5 + level / 2)
    centre_curves = pd.DataFrame({
        "approach": "mac2", "centre": cc["centre"].to_numpy(), "predicted": cc["predicted"],
        "observed": special.expit(cc["logit_observed"]),
        "lower": special.expit(cc["logit_observed"] - z * cc["se"]),
        "upper": special.expit(cc["logit_observed"] + z * cc["se"]),
    }).reset_index(drop=True)
    centres = _centre_table(table, set(used["centre"]))
    notes = (
        "MAC2: per-centre logistic calibration on rcs(logit(p)), pooled at each grid point by "
        f"REML random-effects meta-analysis ({'HKSJ' if hksj else 'Wald'} CI, prediction "
        f"interval t on {pi_df} df).",
    )
    return CentreCalibrationResult(
        kind=kind, horizon=h, level=level, approach="mac2", curve=curve,
        centre_curves=centre_curves, centres=centres,
        tau2={"mac2": float(np.median(curve["tau2"]))}, k=int(k), notes=notes,
    )


def _centre_table(table: pd.DataFrame, included: set) -> pd.DataFrame:
    first = table.groupby("centre", sort=False).first().reset_index()
    out = first[["centre", "n", "n_events", "suppressed", "knots_used"]].copy()
    out["included"] = out["centre"].isin(included)
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- MIXC
def _mixc(rows: list[dict[str, Any]], g: np.ndarray, n_knots: int, random: str,
          n_agq: int, level: float) -> tuple[pd.DataFrame, pd.DataFrame, MixedLogitFit]:
    x = np.concatenate([c["x"] for c in rows])
    yb = np.concatenate([c["yb"] for c in rows])
    w = np.concatenate([c["w"] for c in rows])
    cl = np.concatenate([np.full(len(c["x"]), i) for i, c in enumerate(rows)])
    knots = _knots(x, n_knots)
    B = _design(x, knots)
    Z = np.ones((len(x), 1)) if random == "intercept" else np.column_stack([np.ones(len(x)), x])
    fit = mixed_logit_fit(B, yb, cl, Z=Z, weights=w, n_agq=n_agq)
    xg = _logit(g)
    Bg = _design(xg, knots)
    Zg = np.ones((len(g), 1)) if random == "intercept" else np.column_stack([np.ones(len(g)), xg])
    eta = Bg @ fit.beta
    var_fixed = np.einsum("ij,jk,ik->i", Bg, fit.cov_beta, Bg)
    var_re = np.einsum("ij,jk,ik->i", Zg, fit.sigma, Zg)
    z = stats.norm.ppf(0.5 + level / 2)
    curve = pd.DataFrame({
        "approach": "mixc", "predicted": g, "observed": special.expit(eta),
        "lower": special.expit(eta - z * np.sqrt(var_fixed)),
        "upper": special.expit(eta + z * np.sqrt(var_fixed)),
        "pi_lower": special.expit(eta - z * np.sqrt(var_fixed + var_re)),
        "pi_upper": special.expit(eta + z * np.sqrt(var_fixed + var_re)),
        "tau2": var_re,
    })
    per = []
    for j, c in enumerate(rows):
        pos = int(np.flatnonzero(fit.clusters == j)[0])
        per.append(pd.DataFrame({
            "approach": "mixc", "centre": c["centre"], "predicted": g,
            "observed": special.expit(eta + Zg @ fit.modes[pos]), "lower": np.nan,
            "upper": np.nan}))
    return curve, pd.concat(per, ignore_index=True), fit


def _default_grid(rows: list[dict[str, Any]], n_grid: int) -> np.ndarray:
    p = special.expit(np.concatenate([c["x"] for c in rows]))
    lo, hi = np.quantile(p, [0.01, 0.99])
    if hi <= lo:
        lo, hi = p.min(), p.max()
    lo, hi = max(lo, _EPS), min(hi, 1 - _EPS)
    if hi <= lo:
        raise InsufficientDataError(
            "the predicted risks are constant; a calibration curve cannot be drawn.")
    return np.linspace(lo, hi, int(n_grid))


def centre_calibration(
    y: Any,
    risk: Any,
    centre: Any,
    *,
    horizon: float | None = None,
    approach: Approach = "both",
    grid: Any = None,
    n_grid: int = 100,
    knots: int = 3,
    random: Literal["intercept", "slope"] = "intercept",
    n_agq: int = 1,
    level: float = 0.95,
    min_count: int = DEFAULT_THRESHOLD,
) -> CentreCalibrationResult:
    """Calibration curves per centre, overall curve, CI and prediction interval.

    Parameters
    ----------
    y : Binary, Survival or CompetingRisks
        Outcome (a 0/1 vector is taken as :class:`~irdp.outcomes.Binary`).
    risk : array-like of shape (n_samples,)
        Predicted risk (by ``horizon`` for timed outcomes) of the index validated.
    centre : array-like of shape (n_samples,)
        Centre (SPSTI) of each row.
    horizon : float, optional
        Required for timed outcomes.
    approach : {"both", "mac2", "mixc"}, default="both"
        MAC2 (two-stage meta-analysis of centre curves, computable from summaries), MIXC
        (one-stage random-effects logistic model) or both.
    grid : array-like of float in (0, 1), optional
        Predicted risks where curves are evaluated. Default: ``n_grid`` points evenly spaced
        from the 1st to the 99th percentile of the risks of the centres pooled.
    n_grid : int, default=100
    knots : int, default=3
        Knots of the restricted cubic spline on ``logit(risk)`` (0: linear curves).
    random : {"intercept", "slope"}, default="intercept"
        MIXC random effects: a random intercept, or a random intercept and a random slope on
        ``logit(risk)`` (correlated).
    n_agq : int, default=1
        MIXC integration: 1 = Laplace (lme4's default); > 1 = adaptive Gauss-Hermite nodes
        (random intercept only).
    level : float, default=0.95
        Confidence and prediction level.
    min_count : int, default=11
        Centres with fewer workers, events or known non-events than this are left out of
        both approaches (with a :class:`~irdp.exceptions.SmallGroupWarning`), as
        :func:`centre_calibration_summary` suppresses them.

    Returns
    -------
    CentreCalibrationResult

    Notes
    -----
    The MAC2 part equals :func:`pool_centre_calibration` applied to
    :func:`centre_calibration_summary` tables computed centre by centre (tested). The MIXC
    overall curve is the curve of a typical centre (random effect 0), not a population
    average. CalibrationCurves 3.1.0 adds the random-effect variance to MIXC's "confidence"
    band and simulates the prediction interval (``merTools::predictInterval``); here the CI
    is the fixed-part uncertainty only and the PI adds ``z' Sigma z``, both on the logit scale
    with a normal quantile.

    References
    ----------
    Barreñada L, De Cock Campo B, Wynants L, Van Calster B. Res Synth Methods 2025:1-22
    (doi:10.1017/rsm.2025.10046); Bates et al., J Stat Softw 2015;67(1) (lme4); Higgins,
    Thompson & Spiegelhalter, JRSS A 2009;172:137; Van Calster et al., J Clin Epidemiol
    2016;74:167.

    Examples
    --------
    >>> import numpy as np
    >>> from irdp.validation import centre_calibration
    >>> rng = np.random.default_rng(0)
    >>> centre = np.repeat(["S1", "S2", "S3", "S4", "S5"], 400)
    >>> risk = rng.uniform(0.02, 0.4, 2000)
    >>> shift = {"S1": -0.3, "S2": 0.0, "S3": 0.2, "S4": 0.4, "S5": -0.1}
    >>> lp = np.log(risk / (1 - risk)) + np.array([shift[c] for c in centre])
    >>> y = (rng.random(2000) < 1 / (1 + np.exp(-lp))).astype(int)
    >>> res = centre_calibration(y, risk, centre, knots=0, n_grid=20)
    >>> res.k, sorted(res.tau2)
    (5, ['mac2', 'mixc'])
    """
    if approach not in ("both", "mac2", "mixc"):
        raise ValueError(f"approach must be 'both', 'mac2' or 'mixc'; got {approach!r}.")
    if random not in ("intercept", "slope"):
        raise ValueError(f"random must be 'intercept' or 'slope'; got {random!r}.")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1); got {level!r}.")
    if int(n_grid) != n_grid or n_grid < 2:
        raise ValueError(f"n_grid must be an integer >= 2; got {n_grid!r}.")
    yy, r, labels, h = _prepare(y, risk, centre, horizon)
    rows = _centre_rows(yy, r, labels, h, int(min_count))
    kept = [c for c in rows if not c["suppressed"]]
    msgs: list[str] = []
    if len(kept) < len(rows):
        left = [c["centre"] for c in rows if c["suppressed"]]
        msgs.append(
            f"{len(left)} of {len(rows)} centres have fewer than {min_count} workers, events "
            f"or known non-events and are left out (first: {left[:5]}).")
        warnings.warn(msgs[-1], SmallGroupWarning, stacklevel=2)
    if len(kept) < 2:
        raise InsufficientDataError(
            f"calibration across centres needs at least 2 centres with {min_count} or more "
            f"events and non-events; got {len(kept)} of {len(rows)}.")
    g = _default_grid(kept, n_grid) if grid is None else _check_grid(grid)
    curves, per, tau2, notes = [], [], {}, []
    sigma = fit = None
    centres = None
    if approach in ("both", "mac2"):
        summ = centre_calibration_summary(
            yy, r, g, horizon=h, groups=labels, knots=knots, min_count=min_count)
        mac2 = pool_centre_calibration(summ, level=level)
        curves.append(mac2.curve)
        per.append(mac2.centre_curves)
        tau2.update(mac2.tau2)
        notes.extend(mac2.notes)
        centres = mac2.centres
        if (~mac2.centres["suppressed"].astype(bool)).sum() > mac2.k:
            msgs.append("some centres' calibration curves could not be fitted (MAC2) and "
                        "were left out.")
    if approach in ("both", "mixc"):
        mcurve, mper, fit = _mixc(kept, g, int(knots), random, int(n_agq), level)
        curves.append(mcurve)
        per.append(mper)
        sigma = fit.sigma
        tau2["mixc"] = float(fit.sigma[0, 0])
        integ = "Laplace" if n_agq == 1 else f"adaptive Gauss-Hermite ({n_agq} nodes)"
        notes.append(
            f"MIXC: random-{random} logistic calibration model on rcs(logit(p)) ({integ}); "
            "CI from the fixed effects, PI adds the between-centre variance (normal, logit "
            "scale).")
    if centres is None:
        centres = pd.DataFrame({
            "centre": [c["centre"] for c in rows],
            "n": pd.array([pd.NA if c["suppressed"] else c["n"] for c in rows], "Int64"),
            "n_events": pd.array([pd.NA if c["suppressed"] else c["n_events"] for c in rows],
                                 "Int64"),
            "suppressed": [c["suppressed"] for c in rows],
            "knots_used": pd.array([pd.NA] * len(rows), "Int64"),
            "included": [not c["suppressed"] for c in rows],
        })
    if not yy.kind == "binary":
        notes.append("Timed outcome: event by the horizon with inverse probability of "
                     "censoring weights estimated within each centre.")
    return CentreCalibrationResult(
        kind=yy.kind, horizon=h, level=level, approach=approach,
        curve=pd.concat(curves, ignore_index=True),
        centre_curves=pd.concat(per, ignore_index=True), centres=centres, tau2=tau2,
        sigma=sigma, mixc_fit=fit, k=len(kept), notes=tuple(notes), warnings=tuple(msgs),
    )
