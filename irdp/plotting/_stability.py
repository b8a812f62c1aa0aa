"""Displays of model stability and of calibration across centres (private; import from
:mod:`irdp.plotting`).

Five stability plots of Riley & Collins (2023) — prediction instability, MAPE,
classification instability, calibration instability, decision-curve instability — from a
:class:`irdp.validation.StabilityResult`, and the calibration-across-centres plot of
Barreñada et al. (2025) from a :class:`irdp.validation.CentreCalibrationResult`.

Disclosure control: the per-worker plots of pminternal draw one point per worker (and per
bootstrap model); here they are drawn by default over groups of at least ``min_count``
workers with similar original risk (equal-count bins of the original model's risk), so that
no drawn coordinate describes fewer than ``min_count`` workers. ``show_points=True`` adds
the individual points (for internal use; never for publication). Decision curves are not
drawn at thresholds where fewer than ``min_count`` workers are flagged. ``to_frame()``
returns exactly the coordinates drawn.

References
----------
.. [1] Riley RD, Collins GS. Stability of clinical prediction models developed using
   statistical or machine learning methods. Biom J 2023;65:2200302.
.. [2] Barreñada L, De Cock Campo B, Wynants L, Van Calster B. Clustered flexible calibration
   plots for binary outcomes using random effects modeling. Res Synth Methods 2025.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from irdp.exceptions import SmallGroupWarning
from irdp.plotting._display import Display
from irdp.plotting._style import ideal_square, risk_words
from irdp.privacy.policy import DEFAULT_MIN_COUNT

__all__ = [
    "PredictionInstabilityDisplay",
    "MapeDisplay",
    "ClassificationInstabilityDisplay",
    "CalibrationInstabilityDisplay",
    "DecisionCurveInstabilityDisplay",
    "CentreCalibrationDisplay",
]

_MIN_COUNT = DEFAULT_MIN_COUNT


def _new_axes(display: Display, ax: Any, size: tuple[float, float] = (5.5, 4.5)
              ) -> tuple[Any, Any]:
    if ax is not None:
        return ax.figure, ax
    return display._new_figure(size)


def _check_result(result: Any, cls_name: str) -> None:
    from irdp.validation import CentreCalibrationResult, StabilityResult

    cls = {"StabilityResult": StabilityResult,
           "CentreCalibrationResult": CentreCalibrationResult}[cls_name]
    if not isinstance(result, cls):
        raise TypeError(f"result must be an irdp.validation.{cls_name}; got "
                        f"{type(result).__name__}.")


def _bins(x: np.ndarray, min_count: int, n_bins: int | None) -> list[np.ndarray]:
    """Equal-count groups of rows by increasing ``x``, each with >= ``min_count`` rows."""
    n = len(x)
    if n < min_count:
        warnings.warn(
            f"only {n} workers, fewer than the disclosure threshold {min_count}: nothing is "
            "drawn.", SmallGroupWarning, stacklevel=4)
        return []
    k = max(1, min(n_bins or 50, n // min_count))
    return [b for b in np.array_split(np.argsort(x, kind="stable"), k) if len(b)]


def _binned(frame: pd.DataFrame, x: str, cols: list[str], min_count: int,
            n_bins: int | None) -> pd.DataFrame:
    xv = frame[x].to_numpy(float)
    rows = []
    for idx in _bins(xv, min_count, n_bins):
        part = frame.iloc[idx]
        rows.append({x: float(part[x].mean()), **{c: float(part[c].mean()) for c in cols},
                     "n": len(idx)})
    return pd.DataFrame(rows, columns=[x, *cols, "n"])


def _point_subset(n: int, max_points: int) -> np.ndarray:
    """Evenly spaced rows (deterministic) when there are too many to draw."""
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max_points).round().astype(int))


# --------------------------------------------------------------------------- stability
class PredictionInstabilityDisplay(Display):
    """Bootstrap-model risks against the original model's risk, with percentile bands.

    Parameters
    ----------
    bins : pandas.DataFrame
        ``risk, lower, median, upper, n`` per group of workers (means of the per-worker
        percentiles of the bootstrap predictions).
    interval : float
    n_models : int
        Number of bootstrap models.
    points : pandas.DataFrame, optional
        ``risk, bootstrap_risk`` individual points (internal use only).
    """

    def __init__(self, bins: pd.DataFrame, *, interval: float, n_models: int,
                 points: pd.DataFrame | None = None) -> None:
        self.bins = bins
        self.interval = interval
        self.n_models = n_models
        self.points = points

    @classmethod
    def from_result(cls, result: Any, *, min_count: int = _MIN_COUNT, n_bins: int | None = None,
                    show_points: bool = False, max_points: int = 500
                    ) -> PredictionInstabilityDisplay:
        """Build from a :class:`~irdp.validation.StabilityResult`.

        ``n_bins`` groups (default 50, fewer when needed so that each holds at least
        ``min_count`` workers); ``show_points`` adds the bootstrap predictions of up to
        ``max_points`` workers (row-level: not for publication).
        """
        _check_result(result, "StabilityResult")
        ind = result.individuals
        bins = _binned(ind, "risk", ["lower", "median", "upper"], min_count, n_bins)
        points = None
        if show_points:
            sel = _point_subset(len(ind), max_points)
            P = result.predictions[:, sel]
            points = pd.DataFrame({"risk": np.tile(result.risk[sel], P.shape[0]),
                                   "bootstrap_risk": P.ravel()})
        return cls(bins, interval=result.interval, n_models=result.predictions.shape[0],
                   points=points)

    def plot(self, ax: Any = None, **kwargs: Any) -> PredictionInstabilityDisplay:
        """Draw the plot and return ``self``."""
        fig, ax = _new_axes(self, ax)
        b = self.bins
        top = float(max(b["upper"].max(), b["risk"].max())) if len(b) else 1.0
        if self.points is not None:
            ax.scatter(self.points["risk"], self.points["bootstrap_risk"], s=2, color="grey",
                       alpha=0.15, lw=0, label="bootstrap predictions (subset)")
            top = max(top, float(self.points["bootstrap_risk"].max()))
        lim = min(1.0, 1.05 * top)
        ax.plot([0, lim], [0, lim], color="grey", lw=0.8, ls=":", label="no change")
        if len(b):
            pct = 100 * self.interval
            ax.fill_between(b["risk"], b["lower"], b["upper"], color="C0", alpha=0.25,
                            label=f"{pct:g} % stability interval (mean per group)")
            ax.plot(b["risk"], b["median"], color="C0", lw=1.2, label="median")
        ax.set_xlim(0, lim)
        ax.set_ylim(0, lim)
        ax.set_xlabel("Risk from the development model")
        ax.set_ylabel(f"Risk from bootstrap models (B = {self.n_models})")
        ax.legend(loc="upper left", fontsize="small", frameon=False)
        ax.set_title("Prediction instability")
        self.figure_, self.ax_ = fig, ax
        return self

    def to_frame(self) -> pd.DataFrame:
        """Drawn coordinates: the groups (and the individual points when shown)."""
        out = self.bins.assign(element="band")
        if self.points is not None:
            out = pd.concat([out, self.points.assign(element="point")], ignore_index=True)
        return out


class MapeDisplay(Display):
    """Mean absolute prediction error against the original model's risk.

    Parameters
    ----------
    bins : pandas.DataFrame
        ``risk, mape, n`` per group of workers.
    mape : float
        Overall (average) MAPE.
    points : pandas.DataFrame, optional
        ``risk, mape`` per worker (internal use only).
    """

    def __init__(self, bins: pd.DataFrame, *, mape: float,
                 points: pd.DataFrame | None = None) -> None:
        self.bins = bins
        self.mape = mape
        self.points = points

    @classmethod
    def from_result(cls, result: Any, *, min_count: int = _MIN_COUNT, n_bins: int | None = None,
                    show_points: bool = False, max_points: int = 2000) -> MapeDisplay:
        """Build from a :class:`~irdp.validation.StabilityResult`."""
        _check_result(result, "StabilityResult")
        ind = result.individuals
        points = None
        if show_points:
            points = ind.iloc[_point_subset(len(ind), max_points)][["risk", "mape"]]
        return cls(_binned(ind, "risk", ["mape"], min_count, n_bins), mape=result.mape,
                   points=points)

    def plot(self, ax: Any = None, **kwargs: Any) -> MapeDisplay:
        """Draw the plot and return ``self``."""
        fig, ax = _new_axes(self, ax)
        if self.points is not None:
            ax.scatter(self.points["risk"], self.points["mape"], s=3, color="grey", alpha=0.3,
                       lw=0, label="workers (subset)")
        if len(self.bins):
            ax.plot(self.bins["risk"], self.bins["mape"], "o-", color="C0", ms=3, lw=1,
                    label="mean MAPE per group")
        ax.axhline(self.mape, color="C3", ls="--", lw=1, label=f"average MAPE {self.mape:.3g}")
        ax.set_ylim(bottom=0)
        ax.set_xlabel("Risk from the development model")
        ax.set_ylabel("Mean absolute prediction error (MAPE)")
        ax.legend(loc="upper left", fontsize="small", frameon=False)
        ax.set_title("Prediction error across bootstrap models")
        self.figure_, self.ax_ = fig, ax
        return self

    def to_frame(self) -> pd.DataFrame:
        """Drawn coordinates (groups, average line, points when shown)."""
        out = [self.bins.assign(element="group"),
               pd.DataFrame({"mape": [self.mape], "element": ["average"]})]
        if self.points is not None:
            out.append(self.points.assign(element="point"))
        return pd.concat(out, ignore_index=True)


class ClassificationInstabilityDisplay(Display):
    """Classification instability index (CII) against the original model's risk.

    Parameters
    ----------
    bins : pandas.DataFrame
        ``risk, threshold, cii, n`` per group of workers and threshold.
    thresholds : tuple of float
    """

    def __init__(self, bins: pd.DataFrame, *, thresholds: tuple[float, ...]) -> None:
        self.bins = bins
        self.thresholds = thresholds

    @classmethod
    def from_result(cls, result: Any, *, min_count: int = _MIN_COUNT, n_bins: int | None = None
                    ) -> ClassificationInstabilityDisplay:
        """Build from a :class:`~irdp.validation.StabilityResult` (one line per threshold)."""
        _check_result(result, "StabilityResult")
        ind = result.individuals
        parts = []
        for thr in result.thresholds:
            b = _binned(ind, "risk", [f"cii_{thr:g}"], min_count, n_bins)
            parts.append(b.rename(columns={f"cii_{thr:g}": "cii"}).assign(threshold=thr))
        return cls(pd.concat(parts, ignore_index=True)[["risk", "threshold", "cii", "n"]],
                   thresholds=tuple(result.thresholds))

    def plot(self, ax: Any = None, **kwargs: Any) -> ClassificationInstabilityDisplay:
        """Draw the plot and return ``self``."""
        fig, ax = _new_axes(self, ax)
        for i, thr in enumerate(self.thresholds):
            b = self.bins[self.bins["threshold"] == thr]
            ax.plot(b["risk"], b["cii"], "o-", ms=3, lw=1, color=f"C{i}",
                    label=f"threshold {thr:.3g}")
            ax.axvline(thr, color=f"C{i}", ls=":", lw=0.8)
        ax.set_ylim(0, 1)
        ax.set_xlabel("Risk from the development model")
        ax.set_ylabel("Classification instability index")
        ax.legend(loc="upper right", fontsize="small", frameon=False)
        ax.set_title("Probability of changing side of a threshold")
        self.figure_, self.ax_ = fig, ax
        return self

    def to_frame(self) -> pd.DataFrame:
        """Drawn coordinates."""
        return self.bins.copy()


class CalibrationInstabilityDisplay(Display):
    """Calibration curves of the bootstrap models on the original data.

    Parameters
    ----------
    curves : pandas.DataFrame
        ``replicate, predicted, observed`` (replicate -1 = original model).
    horizon : float or None
    """

    #: Unit of the horizon on the axis labels (irdp's cohorts count days).
    time_unit: str = "days"

    def __init__(self, curves: pd.DataFrame, *, horizon: float | None = None) -> None:
        self.curves = curves
        self.horizon = horizon

    @classmethod
    def from_result(cls, result: Any, *, min_count: int = _MIN_COUNT
                    ) -> CalibrationInstabilityDisplay:
        """Build from a :class:`~irdp.validation.StabilityResult`."""
        _check_result(result, "StabilityResult")
        curves = result.calibration_curves
        if result.n < min_count:
            warnings.warn(f"only {result.n} workers, fewer than the disclosure threshold "
                          f"{min_count}: nothing is drawn.", SmallGroupWarning, stacklevel=2)
            curves = curves.iloc[:0]
        return cls(curves, horizon=result.horizon)

    def plot(self, ax: Any = None, **kwargs: Any) -> CalibrationInstabilityDisplay:
        """Draw the plot and return ``self``."""
        fig, ax = _new_axes(self, ax)
        c = self.curves
        boot = c[c["replicate"] >= 0]
        n_models = boot["replicate"].nunique()
        for i, (_, part) in enumerate(boot.groupby("replicate", sort=True)):
            ax.plot(part["predicted"], part["observed"], color="grey", alpha=0.3, lw=0.6,
                    label=f"bootstrap models (B = {n_models})" if i == 0 else None)
        orig = c[c["replicate"] == -1]
        if len(orig):
            ax.plot(orig["predicted"], orig["observed"], color="black", lw=1.6, ls="--",
                    label="original model")
        top = float(max(c["predicted"].max(), c["observed"].max())) if len(c) else 1.0
        ideal_square(ax, top)
        h = risk_words(self.horizon, self.time_unit)
        ax.set_xlabel("Predicted risk" + h)
        ax.set_ylabel("Observed risk" + h)
        ax.legend(loc="upper left", fontsize="small", frameon=False)
        ax.set_title("Calibration instability")
        self.figure_, self.ax_ = fig, ax
        return self

    def to_frame(self) -> pd.DataFrame:
        """Drawn coordinates (one row per curve point)."""
        return self.curves.copy()


class DecisionCurveInstabilityDisplay(Display):
    """Net-benefit curves of the bootstrap models on the original data.

    Parameters
    ----------
    curves : pandas.DataFrame
        ``replicate, threshold, net_benefit`` (replicate -1 = original model).
    treat_all : pandas.DataFrame
        ``threshold, net_benefit`` of treating everyone.
    horizon : float or None
    """

    def __init__(self, curves: pd.DataFrame, treat_all: pd.DataFrame, *,
                 horizon: float | None = None) -> None:
        self.curves = curves
        self.treat_all = treat_all
        self.horizon = horizon

    @classmethod
    def from_result(cls, result: Any, *, min_count: int = _MIN_COUNT
                    ) -> DecisionCurveInstabilityDisplay:
        """Build from a :class:`~irdp.validation.StabilityResult`; net benefits at
        thresholds where a model flags fewer than ``min_count`` workers are not drawn."""
        _check_result(result, "StabilityResult")
        c = result.decision_curves
        shown = c[c["n_flagged"] >= min_count][["replicate", "threshold", "net_benefit"]]
        band = result.decision_band
        ta = pd.DataFrame({"threshold": band["threshold"], "net_benefit": band["treat_all"]})
        if result.n < min_count:
            shown, ta = shown.iloc[:0], ta.iloc[:0]
        return cls(shown.reset_index(drop=True), ta, horizon=result.horizon)

    def plot(self, ax: Any = None, **kwargs: Any) -> DecisionCurveInstabilityDisplay:
        """Draw the plot and return ``self``."""
        fig, ax = _new_axes(self, ax)
        c = self.curves
        boot = c[c["replicate"] >= 0]
        n_models = boot["replicate"].nunique()
        for i, (_, part) in enumerate(boot.groupby("replicate", sort=True)):
            ax.plot(part["threshold"], part["net_benefit"], color="grey", alpha=0.3, lw=0.6,
                    label=f"bootstrap models (B = {n_models})" if i == 0 else None)
        orig = c[c["replicate"] == -1]
        ax.plot(orig["threshold"], orig["net_benefit"], color="black", lw=1.6,
                label="original model")
        ax.plot(self.treat_all["threshold"], self.treat_all["net_benefit"], color="C1",
                ls="--", lw=1, label="treat all")
        ax.axhline(0, color="grey", lw=0.8, label="treat none")
        nb = c["net_benefit"].to_numpy(float)
        top = float(np.nanmax(nb)) if len(nb) else 0.01
        ax.set_ylim(-0.5 * max(top, 1e-6), 1.1 * max(top, 1e-6))
        ax.set_xlabel("Threshold risk")
        ax.set_ylabel("Net benefit")
        ax.legend(loc="upper right", fontsize="small", frameon=False)
        ax.set_title("Decision-curve instability")
        self.figure_, self.ax_ = fig, ax
        return self

    def to_frame(self) -> pd.DataFrame:
        """Drawn coordinates (curves, then treat-all)."""
        return pd.concat([self.curves.assign(element="model"),
                          self.treat_all.assign(element="treat_all", replicate=-2)],
                         ignore_index=True)


# --------------------------------------------------------------------------- centres
class CentreCalibrationDisplay(Display):
    """Calibration across centres: centre curves, overall curve, CI and prediction interval.

    Parameters
    ----------
    curve : pandas.DataFrame
        ``predicted, observed, lower, upper, pi_lower, pi_upper`` of the overall curve.
    centre_curves : pandas.DataFrame
        ``centre, predicted, observed``.
    approach : {"mac2", "mixc"}
    level : float
    horizon : float or None
    """

    #: Unit of the horizon on the axis labels (irdp's cohorts count days).
    time_unit: str = "days"

    def __init__(self, curve: pd.DataFrame, centre_curves: pd.DataFrame, *, approach: str,
                 level: float = 0.95, horizon: float | None = None) -> None:
        self.curve = curve
        self.centre_curves = centre_curves
        self.approach = approach
        self.level = level
        self.horizon = horizon

    @classmethod
    def from_result(cls, result: Any, *, approach: str | None = None,
                    show_centres: bool = True) -> CentreCalibrationDisplay:
        """Build from a :class:`~irdp.validation.CentreCalibrationResult`.

        ``approach`` picks MAC2 or MIXC when both were computed (default: MAC2, the
        approach computable from summary packs). Only centres that were pooled (not
        suppressed) have a curve.
        """
        _check_result(result, "CentreCalibrationResult")
        have = list(pd.unique(result.curve["approach"]))
        app = approach or ("mac2" if "mac2" in have else have[0])
        if app not in have:
            raise ValueError(f"approach must be one of {have} for this result; got {app!r}.")
        curve = result.curve[result.curve["approach"] == app].drop(columns="approach")
        cc = result.centre_curves
        cc = cc[cc["approach"] == app][["centre", "predicted", "observed"]]
        if not show_centres:
            cc = cc.iloc[:0]
        return cls(curve.reset_index(drop=True), cc.reset_index(drop=True), approach=app,
                   level=result.level, horizon=result.horizon)

    def plot(self, ax: Any = None, **kwargs: Any) -> CentreCalibrationDisplay:
        """Draw the plot and return ``self``."""
        fig, ax = _new_axes(self, ax, (5.5, 5.0))
        c = self.curve
        pct = f"{100 * self.level:g} %"
        pi_ok = c[["pi_lower", "pi_upper"]].notna().all(axis=1)
        if pi_ok.any():
            ax.fill_between(c["predicted"][pi_ok], c["pi_lower"][pi_ok], c["pi_upper"][pi_ok],
                            color="#F5C542", alpha=0.35, lw=0,
                            label=f"{pct} prediction interval (new centre)")
        ax.fill_between(c["predicted"], c["lower"], c["upper"], color="#D4A017", alpha=0.6,
                        lw=0, label=f"{pct} confidence interval")
        for i, (_, part) in enumerate(self.centre_curves.groupby("centre", sort=False)):
            ax.plot(part["predicted"], part["observed"], color="black", lw=0.4, alpha=0.5,
                    label="centres" if i == 0 else None)
        ax.plot(c["predicted"], c["observed"], color="black", lw=1.6, ls="--",
                label=f"overall ({self.approach.upper()})")
        top = float(max(c["predicted"].max(), np.nanmax(c[["observed", "upper"]].to_numpy())))
        ideal_square(ax, top, pad=1.1)
        h = risk_words(self.horizon, self.time_unit)
        ax.set_xlabel("Predicted risk" + h)
        ax.set_ylabel("Observed risk" + h)
        ax.legend(loc="upper left", fontsize="small", frameon=False)
        ax.set_title("Calibration across centres")
        self.figure_, self.ax_ = fig, ax
        return self

    def to_frame(self) -> pd.DataFrame:
        """Drawn coordinates: overall curve with its bands, then the centre curves."""
        return pd.concat([self.curve.assign(element="overall"),
                          self.centre_curves.assign(element="centre")], ignore_index=True)
