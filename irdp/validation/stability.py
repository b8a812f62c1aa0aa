"""Model stability: how much each worker's predicted risk would move if the index were rebuilt.

Riley & Collins (2023): a model developed on a finite sample could have been quite different.
The whole modelling pipeline is refitted on B bootstrap samples of the development data (as
:func:`irdp.validation.bootstrap_validate` does, with the same resampling primitives and
random streams, so that for the same seed both see the same bootstrap samples), and each
bootstrap model predicts the risk of every worker of the *original* data. From the B x n
matrix of those predictions ``p_bi`` and the original model's predictions ``p_i``:

- **prediction instability**: per worker, the ``(1 - interval)/2`` and ``(1 + interval)/2``
  percentiles (R's ``quantile`` type 7) of ``p_bi`` over b, plotted against ``p_i``;
- **mean absolute prediction error**: ``MAPE_i = (1/B) sum_b |p_bi - p_i|``, its average over
  workers (overall MAPE) and over the workers of each risk level;
- **classification instability index** at a threshold t: ``CII_i = (1/B) sum_b
  1{class(p_bi) != class(p_i)}`` with class = ``p >= t`` (irdp's flagging rule; pminternal
  uses ``p > t``, identical for continuous risks);
- **risk-level instability**: the probability that a worker's level (faible /
  intermédiaire / forte) under a bootstrap model differs from their level under the original
  model, and the level-by-level transition table (rows: original level; columns: share of
  bootstrap predictions in each level);
- **calibration instability**: the calibration curve of each bootstrap model on the original
  data (:func:`irdp.metrics.calibration`), with the original model's curve;
- **decision-curve instability**: the net benefit of each bootstrap model on the original data
  (:func:`irdp.metrics.net_benefit`), with the original model's curve.

Binary risks, risks by a horizon for survival indices and cumulative incidences for competing
risks are handled alike (only the calibration and decision curves use the outcome).

References
----------
.. [1] Riley RD, Collins GS. Stability of clinical prediction models developed using
   statistical or machine learning methods. Biom J 2023;65(8):2200302.
   doi:10.1002/bimj.202200302
.. [2] Rhodes S. pminternal: Internal Validation of Clinical Prediction Models. R package
   version 0.1.0 (``prediction_stability``, ``mape_stability``,
   ``classification_stability``, ``calibration_stability``, ``dcurve_stability``).
.. [3] Van Calster B, McLernon DJ, van Smeden M, et al. Calibration: the Achilles heel of
   predictive analytics. BMC Med 2019;17:230.
.. [4] Vickers AJ, Elkin EB. Decision curve analysis: a novel method for evaluating
   prediction models. Med Decis Making 2006;26:565-574.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from irdp._display_registry import draw
from irdp._summary import Summary
from irdp.exceptions import InsufficientDataError, IrdpWarning
from irdp.validation._fitting import (
    FIT_ERRORS,
    align_outcome,
    fit_clone,
    n_rows,
    predict_risk,
    prepare_outcome,
    record_warnings,
    take_rows,
)
from irdp.validation._resampling import as_seed_sequence, bootstrap_indices, run_replicates

__all__ = ["StabilityResult", "stability", "stability_from_predictions", "COUNT_COLUMNS"]

LEVELS = ("faible", "intermédiaire", "forte")

#: Columns of the stability tables that hold counts of workers (for disclosure control):
#: ``n`` in ``to_frame()``, ``by_level`` and ``transitions``; ``n_above`` in
#: ``classification``; ``n_flagged`` in ``decision_curves`` and ``decision_band``.
COUNT_COLUMNS = ("n", "n_above", "n_flagged")

_BLOCK = 20_000  # workers per block when summarising the B x n prediction matrix


# --------------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False)
class StabilityResult:
    """Stability of an index under bootstrap redevelopment (Riley & Collins 2023).

    Attributes
    ----------
    kind : {"binary", "survival", "competing"}
    horizon : float or None
    n, n_events : int
        Workers in the development data and events (by the horizon).
    n_boot : int
        Bootstrap models requested; ``n_failed`` of them could not be fitted and are left
        out (``predictions`` has ``n_boot - n_failed`` rows).
    n_failed : int
    seed : int, SeedSequence or None
    interval : float
        Width of the stability interval (0.95: 2.5th and 97.5th percentiles).
    risk : numpy.ndarray of shape (n,)
        Predictions of the original model.
    predictions : numpy.ndarray of shape (n_boot - n_failed, n)
        Predictions of each bootstrap model for every worker of the original data.
    individuals : pandas.DataFrame
        One row per worker (row order of the data): ``risk, lower, median, upper, mape,
        level, level_change`` and ``cii_<threshold>`` for each threshold. Row-level data:
        never publish it.
    mape : float
        Average of the per-worker MAPE.
    by_level : pandas.DataFrame
        Per original risk level: ``n`` (count), ``mean_risk``, ``mape``, ``level_change``
        (mean probability of changing level).
    transitions : pandas.DataFrame
        Index: original level; ``n`` (count) and the share of bootstrap predictions falling
        in each level (rows sum to 1).
    classification : pandas.DataFrame
        Per threshold: ``n_above`` (count at or above it with the original model), mean CII
        overall, below and above the threshold.
    level_cutoffs : tuple of float
        (low, high) cut-offs of the three levels.
    level_method : str
        Where the cut-offs come from.
    thresholds : tuple of float
        Thresholds of the classification instability index.
    calibration_curves : pandas.DataFrame
        ``replicate, predicted, observed`` (replicate -1 = the original model).
    calibration_band : pandas.DataFrame
        On the original curve's grid: ``predicted, original, lower, median, upper,
        n_replicates`` (percentiles over the bootstrap curves with a value there).
    decision_curves : pandas.DataFrame
        ``replicate, threshold, net_benefit, n_flagged`` (replicate -1 = the original
        model; ``n_flagged`` = workers at or above the threshold, a count).
    decision_band : pandas.DataFrame
        ``threshold, original, lower, median, upper, n_replicates, treat_all, n_flagged``
        (``n_flagged`` by the original model, a count).
    warnings : tuple of str
    """

    kind: str
    horizon: float | None
    n: int
    n_events: int
    n_boot: int
    n_failed: int
    seed: Any
    interval: float
    risk: np.ndarray = field(repr=False)
    predictions: np.ndarray = field(repr=False)
    individuals: pd.DataFrame = field(repr=False)
    mape: float
    by_level: pd.DataFrame = field(repr=False)
    transitions: pd.DataFrame = field(repr=False)
    classification: pd.DataFrame = field(repr=False)
    level_cutoffs: tuple[float, float]
    level_method: str
    thresholds: tuple[float, ...]
    calibration_curves: pd.DataFrame = field(repr=False)
    calibration_band: pd.DataFrame = field(repr=False)
    decision_curves: pd.DataFrame = field(repr=False)
    decision_band: pd.DataFrame = field(repr=False)
    warnings: tuple[str, ...] = ()

    @property
    def calibration_instability(self) -> float:
        """Mean absolute difference between bootstrap and original calibration curves.

        Averaged over the grid of the original curve and over the bootstrap models (an irdp
        summary of the calibration instability plot; 0 = perfectly stable).
        """
        return _band_mad(self.calibration_curves, "predicted", "observed")

    @property
    def decision_instability(self) -> float:
        """Mean absolute difference between bootstrap and original net-benefit curves."""
        return _band_mad(self.decision_curves, "threshold", "net_benefit")

    def to_frame(self) -> pd.DataFrame:
        """Scalar stability measures: ``measure, group, value, n`` (``n`` = workers)."""
        rows: list[dict[str, Any]] = [
            {"measure": "mape", "group": "all", "value": self.mape, "n": self.n}]
        for lvl, r in self.by_level.iterrows():
            rows.append({"measure": "mape", "group": lvl, "value": r["mape"], "n": r["n"]})
        rows.append({"measure": "level_change", "group": "all",
                     "value": float(self.individuals["level_change"].mean()), "n": self.n})
        for lvl, r in self.by_level.iterrows():
            rows.append({"measure": "level_change", "group": lvl, "value": r["level_change"],
                         "n": r["n"]})
        for _, r in self.classification.iterrows():
            rows.append({"measure": "classification_instability",
                         "group": f"threshold={r['threshold']:g}", "value": r["cii"],
                         "n": self.n})
        rows.append({"measure": "calibration_instability", "group": "all",
                     "value": self.calibration_instability, "n": self.n})
        rows.append({"measure": "decision_instability", "group": "all",
                     "value": self.decision_instability, "n": self.n})
        out = pd.DataFrame(rows)
        out["n"] = out["n"].astype("Int64")
        return out

    def summary(self) -> Summary:
        """The stability measures as a :class:`Summary`."""
        table = self.to_frame().set_index(["measure", "group"])
        h = "" if self.horizon is None else f" at horizon {self.horizon:g}"
        lo, hi = self.level_cutoffs
        notes = (
            f"{self.kind} outcome{h}: {self.n_boot - self.n_failed} bootstrap models "
            f"({self.n_failed} failed), seed={self.seed}; {100 * self.interval:g} % stability "
            "intervals.",
            f"Levels: faible < {lo:.4g} <= intermédiaire < {hi:.4g} <= forte "
            f"({self.level_method}).",
            "MAPE: mean absolute difference between a worker's risk from the bootstrap models "
            "and from the original model (Riley & Collins 2023).",
        ) + self.warnings[:3]
        return Summary("Model stability (bootstrap redevelopment)", table, notes)

    def plot(self, kind: str = "prediction", *, ax: Any = None, **kwargs: Any) -> Any:
        """Draw one of the five stability plots and return the figure.

        Parameters
        ----------
        kind : {"prediction", "mape", "classification", "calibration", "decision"}, \
default="prediction"
            Prediction instability (bootstrap against original risks with percentile bands),
            individual MAPE, classification instability, calibration instability, or
            decision-curve instability (Riley & Collins 2023).
        ax : matplotlib.axes.Axes, optional
            Axes to draw on (a new figure when None).
        **kwargs
            Passed to the display's ``from_result`` (e.g. ``min_count``).

        Returns
        -------
        matplotlib.figure.Figure
            The figure drawn on (it renders inline in Jupyter).
        """
        return draw(self, ax=ax, kind=kind, **kwargs)

    def __repr__(self) -> str:
        h = "" if self.horizon is None else f", horizon={self.horizon:g}"
        return (f"StabilityResult({self.kind}{h}, n={self.n}, B={self.n_boot - self.n_failed}, "
                f"MAPE={self.mape:.4g})")


def _band_mad(curves: pd.DataFrame, x: str, yname: str) -> float:
    orig = curves[curves["replicate"] == -1]
    boot = curves[curves["replicate"] >= 0]
    if orig.empty or boot.empty:
        return float("nan")
    xs, ys = orig[x].to_numpy(float), orig[yname].to_numpy(float)
    diffs = []
    for _, c in boot.groupby("replicate", sort=True):
        cx, cy = c[x].to_numpy(float), c[yname].to_numpy(float)
        inside = (xs >= cx.min()) & (xs <= cx.max())
        if inside.any():
            diffs.append(np.mean(np.abs(np.interp(xs[inside], cx, cy) - ys[inside])))
    return float(np.mean(diffs)) if diffs else float("nan")


# --------------------------------------------------------------------------- per replicate
def _evaluate(y: Any, risk: np.ndarray, horizon: float | None, dca_thresholds: np.ndarray,
              smoother: str | None | bool) -> dict[str, Any]:
    """Calibration curve and net benefit of one set of predictions on the original data
    (nothing when ``smoother`` is False: curves not requested)."""
    from irdp.metrics import calibration, net_benefit

    out: dict[str, Any] = {"errors": []}
    if smoother is False:
        return out
    try:
        curve = calibration(y, risk, horizon=horizon, smoother=smoother, max_eval=20).curve
        out["curve"] = (curve["predicted"].to_numpy(float), curve["observed"].to_numpy(float))
    except FIT_ERRORS as err:
        out["errors"].append(f"calibration: {type(err).__name__}: {err}")
    try:
        frame = net_benefit(y, risk, dca_thresholds, horizon=horizon).frame
        out["nb"] = frame["net_benefit"].to_numpy(float)
        out["treat_all"] = frame["treat_all"].to_numpy(float)
        out["flagged"] = np.rint(frame["share_flagged"].to_numpy(float) * len(risk)).astype(int)
    except FIT_ERRORS as err:
        out["errors"].append(f"net_benefit: {type(err).__name__}: {err}")
    return out


def _replicate(i: int, rng: np.random.Generator, *, estimator: Any, X: Any, y: Any,
               horizon: float | None, strata: np.ndarray | None, dca_thresholds: np.ndarray,
               smoother: str | None | bool) -> dict[str, Any]:
    """Refit on bootstrap sample ``i`` (first draw of its stream, as bootstrap_validate)."""
    rows = bootstrap_indices(rng, n_rows(X), strata=strata)

    def work() -> dict[str, Any]:
        try:
            model = fit_clone(estimator, take_rows(X, rows), y.take(rows))
            risk = predict_risk(model, X, horizon)
        except FIT_ERRORS as err:
            return {"failed": f"{type(err).__name__}: {err}"}
        out = _evaluate(y, risk, horizon, dca_thresholds, smoother)
        out["risk"] = risk
        return out

    result, caught = record_warnings(work)
    result["warnings"] = caught
    return result


def _evaluate_given(i: int, rng: np.random.Generator, *, predictions: np.ndarray, y: Any,
                    horizon: float | None, dca_thresholds: np.ndarray,
                    smoother: str | None | bool) -> dict[str, Any]:
    """Curves of the ``i``-th supplied set of predictions (no randomness used)."""
    result, caught = record_warnings(_evaluate, y, predictions[i], horizon, dca_thresholds,
                                     smoother)
    result["risk"] = predictions[i]
    result["warnings"] = caught
    return result


# --------------------------------------------------------------------------- summaries
def _resolve_levels(levels: Any, risk: np.ndarray) -> tuple[tuple[float, float], str]:
    from irdp.models import RiskLevels

    if levels is None:
        lv = RiskLevels(method="quantiles", quantiles=(0.5, 0.9)).fit(risk)
        return lv.cutoffs_, "default: 50th and 90th percentiles of the original model's risks"
    if isinstance(levels, RiskLevels):
        if not hasattr(levels, "cutoffs_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("levels is an unfitted RiskLevels; call fit() first.")
        return tuple(float(c) for c in levels.cutoffs_), f"RiskLevels(method={levels.method!r})"
    try:
        low, high = (float(v) for v in levels)
    except (TypeError, ValueError) as err:
        raise TypeError(
            "levels must be a fitted irdp.models.RiskLevels or a pair (low, high) of risk "
            f"cut-offs; got {type(levels).__name__}."
        ) from err
    if not 0 < low < high < 1:
        raise ValueError(f"levels cut-offs must satisfy 0 < low < high < 1; got {levels!r}.")
    return (low, high), "given cut-offs"


def _check_thresholds(values: Any, name: str) -> np.ndarray:
    t = np.atleast_1d(np.asarray(values, dtype=float))
    bad = ~((t > 0) & (t < 1))
    if t.size == 0 or bad.any():
        raise ValueError(f"{name} must be risks strictly between 0 and 1; got {t[:5].tolist()}.")
    return t


def _per_individual(risk: np.ndarray, P: np.ndarray, interval: float,
                    cutoffs: tuple[float, float], thresholds: np.ndarray
                    ) -> tuple[pd.DataFrame, np.ndarray]:
    """Per-worker summaries, block by block, and the level transition counts."""
    n = len(risk)
    probs = [(1 - interval) / 2, 0.5, (1 + interval) / 2]
    cut = np.asarray(cutoffs)
    code0 = np.searchsorted(cut, risk, side="right")
    cols: dict[str, np.ndarray] = {k: np.empty(n) for k in ("lower", "median", "upper",
                                                            "mape", "level_change")}
    cii = np.empty((len(thresholds), n))
    trans = np.zeros((3, 3))
    for lo in range(0, n, _BLOCK):
        sl = slice(lo, lo + _BLOCK)
        Pb = P[:, sl]
        q = np.quantile(Pb, probs, axis=0)  # R quantile type 7
        cols["lower"][sl], cols["median"][sl], cols["upper"][sl] = q
        cols["mape"][sl] = np.mean(np.abs(Pb - risk[sl]), axis=0)
        codes = np.searchsorted(cut, Pb, side="right")
        cols["level_change"][sl] = np.mean(codes != code0[sl], axis=0)
        for m in range(3):
            trans[:, m] += np.bincount(code0[sl], weights=np.sum(codes == m, axis=0),
                                       minlength=3)
        for t, thr in enumerate(thresholds):
            cii[t, sl] = np.mean((Pb >= thr) != (risk[sl] >= thr), axis=0)
    frame = pd.DataFrame({"risk": risk, **cols})
    frame.insert(5, "level", pd.Categorical.from_codes(code0, categories=list(LEVELS),
                                                        ordered=True))
    for t, thr in enumerate(thresholds):
        frame[f"cii_{thr:g}"] = cii[t]
    return frame, trans


def _level_tables(ind: pd.DataFrame, trans: np.ndarray, n_boot: int
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    g = ind.groupby("level", observed=False)
    by_level = pd.DataFrame({
        "n": g.size().astype(int),
        "mean_risk": g["risk"].mean(),
        "mape": g["mape"].mean(),
        "level_change": g["level_change"].mean(),
    })
    by_level.index = pd.Index(list(LEVELS), name="level")
    n_level = by_level["n"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = trans / (n_level[:, None] * n_boot)
    transitions = pd.DataFrame(share, index=pd.Index(list(LEVELS), name="original_level"),
                               columns=list(LEVELS))
    transitions.insert(0, "n", by_level["n"].to_numpy())
    return by_level, transitions


def _classification_table(ind: pd.DataFrame, risk: np.ndarray, thresholds: np.ndarray
                          ) -> pd.DataFrame:
    rows = []
    for thr in thresholds:
        c = ind[f"cii_{thr:g}"].to_numpy()
        above = risk >= thr
        rows.append({
            "threshold": float(thr), "n_above": int(above.sum()), "cii": float(c.mean()),
            "cii_below": float(c[~above].mean()) if (~above).any() else float("nan"),
            "cii_above": float(c[above].mean()) if above.any() else float("nan"),
        })
    return pd.DataFrame(rows)


def _curve_tables(orig: dict[str, Any], reps: list[dict[str, Any]], thr: np.ndarray,
                  interval: float) -> tuple[pd.DataFrame, ...]:
    probs = [(1 - interval) / 2, 0.5, (1 + interval) / 2]
    cal, dca = [], []
    for b, r in [(-1, orig)] + list(enumerate(reps)):
        if "curve" in r:
            cal.append(pd.DataFrame({"replicate": b, "predicted": r["curve"][0],
                                     "observed": r["curve"][1]}))
        if "nb" in r:
            dca.append(pd.DataFrame({"replicate": b, "threshold": thr,
                                     "net_benefit": r["nb"], "n_flagged": r["flagged"]}))
    cal_curves = pd.concat(cal, ignore_index=True) if cal else pd.DataFrame(
        columns=["replicate", "predicted", "observed"])
    dca_curves = pd.concat(dca, ignore_index=True) if dca else pd.DataFrame(
        columns=["replicate", "threshold", "net_benefit", "n_flagged"])
    # bands on the original curve's grid
    cal_band = pd.DataFrame(columns=["predicted", "original", "lower", "median", "upper",
                                     "n_replicates"])
    if "curve" in orig:
        gx, gy = orig["curve"]
        mat = np.full((len(reps), len(gx)), np.nan)
        for b, r in enumerate(reps):
            if "curve" in r:
                cx, cy = r["curve"]
                mat[b] = np.interp(gx, cx, cy, left=np.nan, right=np.nan)
        cal_band = _band(gx, gy, mat, probs, "predicted")
    dca_band = pd.DataFrame(columns=["threshold", "original", "lower", "median", "upper",
                                     "n_replicates", "treat_all", "n_flagged"])
    if "nb" in orig:
        mat = np.array([r["nb"] if "nb" in r else np.full(len(thr), np.nan) for r in reps])
        dca_band = _band(thr, orig["nb"], mat.reshape(len(reps), len(thr)), probs, "threshold")
        dca_band["treat_all"] = orig["treat_all"]
        dca_band["n_flagged"] = orig["flagged"]
    return cal_curves, cal_band, dca_curves, dca_band


def _band(x: np.ndarray, original: np.ndarray, mat: np.ndarray, probs: list[float],
          xname: str) -> pd.DataFrame:
    n_ok = np.sum(np.isfinite(mat), axis=0)
    q = np.full((3, len(x)), np.nan)
    cols = n_ok > 0
    if cols.any():  # all-NaN columns are left out: nanquantile does not warn on the others
        q[:, cols] = np.nanquantile(mat[:, cols], probs, axis=0)
    return pd.DataFrame({xname: x, "original": original, "lower": q[0], "median": q[1],
                         "upper": q[2], "n_replicates": n_ok})


def _default_dca_thresholds(risk: np.ndarray) -> np.ndarray:
    upper = float(np.quantile(risk, 0.99))
    upper = min(max(upper, 1e-3), 0.99)
    return np.linspace(upper / 50, upper, 50)


def _warn_replicates(reps: list[dict[str, Any]], n_boot: int) -> list[str]:
    msgs = sorted({m for r in reps for m in r.get("warnings", [])}
                  | {m for r in reps for m in r.get("errors", [])})
    failed = [r["failed"] for r in reps if "failed" in r]
    if failed:
        msgs.insert(0, f"{len(failed)} of {n_boot} bootstrap models could not be fitted and "
                       f"were left out (first: {failed[0]}).")
    if msgs:
        warnings.warn(
            f"stability: {len(msgs)} distinct warnings or failures in the bootstrap "
            f"replicates, e.g. {msgs[0]!r}. See result.warnings.", IrdpWarning, stacklevel=3)
    return msgs


def _assemble(yy: Any, h: float | None, risk: np.ndarray, reps: list[dict[str, Any]],
              orig: dict[str, Any], *, n_boot: int, seed: Any, interval: float,
              levels: Any, thresholds: Any, dca_thr: np.ndarray) -> StabilityResult:
    msgs = _warn_replicates(reps, n_boot)
    ok = [r for r in reps if "failed" not in r]
    if not ok:
        raise InsufficientDataError(
            f"none of the {n_boot} bootstrap models could be fitted (first error: "
            f"{reps[0]['failed']}). Check the estimator on the full data first.")
    P = np.vstack([r["risk"] for r in ok])
    cutoffs, method = _resolve_levels(levels, risk)
    thr = np.asarray(cutoffs) if thresholds is None else _check_thresholds(
        thresholds, "thresholds")
    ind, trans = _per_individual(risk, P, interval, cutoffs, thr)
    by_level, transitions = _level_tables(ind, trans, len(ok))
    cal_curves, cal_band, dca_curves, dca_band = _curve_tables(orig, ok, dca_thr, interval)
    n_ev = yy.n_events if h is None else int((yy.event & (yy.time <= h)).sum())
    return StabilityResult(
        kind=yy.kind, horizon=h, n=len(risk), n_events=n_ev, n_boot=len(reps),
        n_failed=len(reps) - len(ok), seed=seed, interval=interval, risk=risk,
        predictions=P, individuals=ind, mape=float(ind["mape"].mean()), by_level=by_level,
        transitions=transitions, classification=_classification_table(ind, risk, thr),
        level_cutoffs=(float(cutoffs[0]), float(cutoffs[1])), level_method=method,
        thresholds=tuple(float(t) for t in thr), calibration_curves=cal_curves,
        calibration_band=cal_band, decision_curves=dca_curves, decision_band=dca_band,
        warnings=tuple(msgs),
    )


def _check_interval(interval: float) -> float:
    if isinstance(interval, bool) or not 0 < float(interval) < 1:
        raise ValueError(f"interval must be in (0, 1); got {interval!r}.")
    return float(interval)


# --------------------------------------------------------------------------- public API
def stability_from_predictions(
    y: Any,
    risk: Any,
    predictions: Any,
    *,
    horizon: float | None = None,
    levels: Any = None,
    thresholds: Sequence[float] | float | None = None,
    dca_thresholds: Sequence[float] | None = None,
    interval: float = 0.95,
    calibration_smoother: str | None = None,
    curves: bool = True,
    n_jobs: int | None = -1,
    scheduler: Any = None,
) -> StabilityResult:
    """Stability measures from already computed bootstrap-model predictions.

    Use it when the bootstrap models were fitted elsewhere (for example by the replicates
    of :func:`irdp.validation.bootstrap_validate`, whose test predictions on the original
    data are exactly these predictions), so that one set of fits serves both.

    Parameters
    ----------
    y : Binary, Survival or CompetingRisks
        Outcome of the development data.
    risk : array-like of shape (n_samples,)
        Predictions of the original model (fitted on all the development data).
    predictions : array-like of shape (n_boot, n_samples)
        Row b: predictions of the b-th bootstrap model for every worker of the development
        data.
    horizon, levels, thresholds, dca_thresholds, interval, calibration_smoother, curves, n_jobs
        As in :func:`stability`.
    scheduler : None, "local", str or distributed.Client, default=None
        As in :func:`stability`.

    Returns
    -------
    StabilityResult

    References
    ----------
    Riley RD, Collins GS. Biom J 2023;65:2200302.
    """
    yy, h = prepare_outcome(y, horizon)
    r = np.asarray(risk, dtype=float).reshape(-1)
    P = np.asarray(predictions, dtype=float)
    if P.ndim != 2 or P.shape[1] != len(r) or len(r) != len(yy):
        raise ValueError(
            "predictions must have shape (n_boot, n_samples) with n_samples = len(risk) = "
            f"len(y); got {P.shape}, {len(r)} and {len(yy)}.")
    if not (np.isfinite(P).all() and ((P >= 0) & (P <= 1)).all()
            and np.isfinite(r).all() and ((r >= 0) & (r <= 1)).all()):
        raise ValueError("risk and predictions must be probabilities in [0, 1], without NaN.")
    interval = _check_interval(interval)
    dca_thr = (_default_dca_thresholds(r) if dca_thresholds is None
               else _check_thresholds(dca_thresholds, "dca_thresholds"))
    yy = yy.take(np.arange(len(yy)))
    yy.index = None
    smoother = calibration_smoother if curves else False
    orig = _evaluate(yy, r, h, dca_thr, smoother)
    reps = run_replicates(
        _evaluate_given, P.shape[0], seed=0, n_jobs=n_jobs, scheduler=scheduler,
        kwargs={"predictions": P, "y": yy, "horizon": h, "dca_thresholds": dca_thr,
                "smoother": smoother},
    )
    return _assemble(yy, h, r, reps, orig, n_boot=P.shape[0], seed=None, interval=interval,
                     levels=levels, thresholds=thresholds, dca_thr=dca_thr)


def stability(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    horizon: float | None = None,
    n_boot: int = 200,
    seed: int | np.random.SeedSequence | None = None,
    n_jobs: int | None = -1,
    levels: Any = None,
    thresholds: Sequence[float] | float | None = None,
    dca_thresholds: Sequence[float] | None = None,
    interval: float = 0.95,
    stratify: bool = False,
    calibration_smoother: str | None = None,
    curves: bool = True,
    models: Sequence[Any] | None = None,
    predictions: Any = None,
    scheduler: Any = None,
) -> StabilityResult:
    """Stability of an index under bootstrap redevelopment (Riley & Collins 2023).

    Parameters
    ----------
    estimator : estimator
        An unfitted irdp risk index, a scikit-learn Pipeline ending with one, or a binary
        scikit-learn classifier. It is cloned and refitted on all the data (the original
        model) and on each bootstrap sample, so every data-driven step is redone.
    X : DataFrame or array-like of shape (n_samples, n_features)
        Development data.
    y : Binary, Survival or CompetingRisks
        Outcome (a 0/1 vector is taken as :class:`~irdp.outcomes.Binary`).
    horizon : float, optional
        Prediction horizon, required for timed outcomes.
    n_boot : int, default=200
        Number of bootstrap models (Riley & Collins use 200 or more).
    seed : int or numpy.random.SeedSequence
        Root seed (required unless ``models`` or ``predictions`` are given). Bootstrap
        sample b is the first draw of the b-th spawned stream, exactly as in
        :func:`irdp.validation.bootstrap_validate`: the same seed gives the same samples.
    n_jobs : int or None, default=-1
        joblib workers; results do not depend on it.
    scheduler : None, "local", str or distributed.Client, default=None
        Run the replicates on Dask (``"local"``: a LocalCluster; an address; a Client), as
        :func:`irdp.validation.bootstrap_validate`; results do not depend on it.
    levels : RiskLevels or (low, high), optional
        Cut-offs of the levels faible / intermédiaire / forte: a fitted
        :class:`irdp.models.RiskLevels` or a pair of risks. Default: the 50th and 90th
        percentiles of the original model's risks (stated in the result).
    thresholds : float or sequence of float, optional
        Thresholds of the classification instability index; default: the level cut-offs.
    dca_thresholds : sequence of float, optional
        Thresholds of the decision curves; default: 50 evenly spaced thresholds up to the
        99th percentile of the original model's risks.
    interval : float, default=0.95
        Width of the per-worker stability interval (percentiles of the bootstrap
        predictions).
    stratify : bool, default=False
        Resample events and non-events separately (as ``bootstrap_validate(stratify=True)``).
    calibration_smoother : str, optional
        Smoother of the calibration curves (see :func:`irdp.metrics.calibration`).
    curves : bool, default=True
        Compute the calibration and decision curves of every bootstrap model (most of the
        time of a replicate besides the refit); without them the calibration and decision
        tables are empty.
    models : sequence of fitted estimators, optional
        Already fitted bootstrap models (e.g. kept from another resampling run): only their
        predictions on ``X`` are computed.
    predictions : array-like of shape (n_boot, n_samples), optional
        Already computed bootstrap-model predictions on ``X``; nothing is refitted except the
        original model.

    Returns
    -------
    StabilityResult

    Notes
    -----
    Bootstrap models whose fit fails are left out and counted (``n_failed``); warnings
    raised in replicates are collected and summarised once. The prediction matrix is held
    in memory (8 x n_boot x n_samples bytes: 32 MB for 200 x 20,000).

    References
    ----------
    Riley RD, Collins GS. Stability of clinical prediction models developed using
    statistical or machine learning methods. Biom J 2023;65:2200302.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from irdp.validation import stability
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 3))
    >>> y = rng.binomial(1, 1 / (1 + np.exp(-(X[:, 0] - 1))))
    >>> res = stability(LogisticRegression(), X, y, n_boot=20, seed=1, n_jobs=1,
    ...                 levels=(0.2, 0.5))
    >>> res.predictions.shape, bool(0 < res.mape < 0.1)
    ((20, 300), True)
    """
    yy, h = prepare_outcome(y, horizon)
    if n_rows(X) != len(yy):
        raise ValueError(
            f"X and y must have the same number of rows; got {n_rows(X)} and {len(yy)}.")
    yy = align_outcome(X, yy)
    interval = _check_interval(interval)
    model = fit_clone(estimator, X, yy)
    risk = predict_risk(model, X, h)
    if predictions is None and models is not None:
        predictions = np.vstack([predict_risk(m, X, h) for m in models])
    if predictions is not None:
        return stability_from_predictions(
            yy, risk, predictions, horizon=h, levels=levels, thresholds=thresholds,
            dca_thresholds=dca_thresholds, interval=interval,
            calibration_smoother=calibration_smoother, curves=curves, n_jobs=n_jobs,
            scheduler=scheduler)
    if seed is None:
        raise TypeError("seed must be given (an int or a SeedSequence) so that the bootstrap "
                        "samples are reproducible; e.g. seed=20240601.")
    if isinstance(n_boot, bool) or int(n_boot) != n_boot or n_boot < 1:
        raise ValueError(f"n_boot must be a positive integer; got {n_boot!r}.")
    root = as_seed_sequence(seed)
    dca_thr = (_default_dca_thresholds(risk) if dca_thresholds is None
               else _check_thresholds(dca_thresholds, "dca_thresholds"))
    smoother = calibration_smoother if curves else False
    orig = _evaluate(yy, risk, h, dca_thr, smoother)
    strata = yy.event.astype(int) if stratify else None
    reps = run_replicates(
        _replicate, int(n_boot), seed=root, n_jobs=n_jobs, scheduler=scheduler,
        kwargs={"estimator": estimator, "X": X, "y": yy, "horizon": h, "strata": strata,
                "dca_thresholds": dca_thr, "smoother": smoother},
    )
    return _assemble(yy, h, risk, reps, orig, n_boot=int(n_boot), seed=seed,
                     interval=interval, levels=levels, thresholds=thresholds, dca_thr=dca_thr)
