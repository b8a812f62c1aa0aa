"""Calibration displays (private; import from :mod:`irdp.plotting`).

- :class:`CalibrationDisplay`: flexible calibration curve with its pointwise band, the
  diagonal and the distribution of predicted risks (:func:`irdp.metrics.calibration`);
- :class:`BootstrapCalibrationDisplay`: apparent and optimism-corrected curves in the manner
  of ``rms::calibrate`` (:func:`irdp.validation.bootstrap_validate` with
  ``calibration_curve=True``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from irdp.metrics.calibration import CalibrationResult
from irdp.plotting._display import Display, finite
from irdp.plotting._style import (
    DISCLOSURE_THRESHOLD,
    check_min_count,
    ideal_square,
    legend_outside,
    place_legend,
    risk_words,
    suppressed_warning,
)
from irdp.validation.bootstrap import CalibrationCurveResult

__all__ = ["BootstrapCalibrationDisplay", "CalibrationDisplay"]


class CalibrationDisplay(Display):
    """Calibration plot: flexible curve with pointwise band, diagonal, risk distribution.

    Parameters
    ----------
    result : CalibrationResult
        From :func:`irdp.metrics.calibration`.
    label : str, optional
        Name of the index in the legend (O/E, slope and ICI are appended).
    min_count : int, default=11
        Histogram bins with fewer subjects are not drawn; with fewer subjects in total
        nothing but the diagonal is drawn (:class:`~irdp.exceptions.SmallGroupWarning`).
    time_unit : str, default="days"
        Unit of the horizon of a timed outcome (irdp's cohorts count days).

    Attributes
    ----------
    figure_, ax_ : matplotlib objects
        ``ax_`` is the curve's axes; ``hist_ax_`` the histogram's (None when drawn on a
        given ``ax``: the distribution is then a strip at the bottom of ``ax``).

    References
    ----------
    Van Calster B. et al. A calibration hierarchy for risk models was defined: from utopia
    to empirical data. J Clin Epidemiol 2016;74:167-76.
    Austin PC, Steyerberg EW. The Integrated Calibration Index (ICI) and related metrics
    for quantifying the calibration of logistic regression models. Stat Med
    2019;38:4051-65.

    Examples
    --------
    >>> import numpy as np
    >>> from irdp.plotting import CalibrationDisplay
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0.05, 0.7, 400)
    >>> d = CalibrationDisplay.from_predictions((rng.random(400) < p).astype(int), p)
    >>> d.to_frame()["element"].unique().tolist()
    ['curve', 'band', 'bar']
    """

    def __init__(self, result: CalibrationResult, *, label: str | None = None,
                 min_count: int = DISCLOSURE_THRESHOLD, time_unit: str = "days") -> None:
        if not isinstance(result, CalibrationResult):
            raise TypeError(
                "result must be a CalibrationResult from irdp.metrics.calibration(); got "
                f"{type(result).__name__}."
            )
        self.result = result
        self.label = label
        self.min_count = check_min_count(min_count)
        self.time_unit = time_unit
        self.hist_ax_: Any = None
        self._rows: list[dict[str, Any]] = []

    @classmethod
    def from_result(cls, result: CalibrationResult, *, ax: Any = None, **kwargs: Any
                    ) -> CalibrationDisplay:
        """Draw the calibration of a :class:`~irdp.metrics.CalibrationResult`."""
        return cls(result, **kwargs).plot(ax=ax)

    @classmethod
    def from_predictions(cls, y: Any, risk: Any, *, horizon: float | None = None,
                         ax: Any = None, label: str | None = None,
                         min_count: int = DISCLOSURE_THRESHOLD, time_unit: str = "days",
                         **options: Any) -> CalibrationDisplay:
        """Compute :func:`irdp.metrics.calibration` (``options`` passed on) and draw it."""
        from irdp.metrics import calibration

        result = calibration(y, risk, horizon=horizon, **options)
        return cls(result, label=label, min_count=min_count, time_unit=time_unit).plot(ax=ax)

    def _legend_text(self) -> str:
        r = self.result
        text = (f"O/E {r.oe.value:.2f}, slope {r.slope.value:.2f}, "
                f"ICI {float(r.ici.value):.3g}")
        return f"{self.label}: {text}" if self.label else text

    def plot(self, ax: Any = None) -> CalibrationDisplay:
        """Draw on ``ax`` (a new two-panel figure when None) and return self."""
        r = self.result
        own = ax is None
        if own:
            fig, (ax_c, ax_h) = self._new_figure((6.0, 6.2), nrows=2, sharex=True,
                                                 gridspec_kw={"height_ratios": (4, 1)})
        else:
            fig, ax_c, ax_h = ax.figure, ax, None
        self.figure_, self.ax_, self.hist_ax_ = fig, ax_c, ax_h
        self._rows = []
        ax_c.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="ideal (observed = predicted)")
        ax_c.set_ylabel("observed risk" + risk_words(r.horizon, self.time_unit))
        (ax_h or ax_c).set_xlabel("predicted risk" + risk_words(r.horizon, self.time_unit))
        if r.n < self.min_count:
            suppressed_warning(
                f"the calibration sample has {r.n} subjects, fewer than the disclosure "
                f"threshold {self.min_count}; only the diagonal is drawn.")
            return self
        lim = self._draw_curve(ax_c)
        self._draw_histogram(ax_c, ax_h, lim)
        place_legend(fig, ax_c, own)
        return self

    def _draw_curve(self, ax_c: Any) -> float:
        r, cv = self.result, self.result.curve
        x, yv = finite(cv["predicted"]), finite(cv["observed"])
        lo, hi = finite(cv["lower"]), finite(cv["upper"])
        ax_c.plot(x, yv, color="C0", label=self._legend_text())
        self._rows += [{"element": "curve", "series": self.label or "", "x": a, "y": b}
                       for a, b in zip(x, yv, strict=True)]
        if np.isfinite(lo).all() and np.isfinite(hi).all():
            ax_c.fill_between(x, lo, hi, color="C0", alpha=0.2,
                              label=f"{round(100 * r.oe.level)} % pointwise CI")
            self._rows += [{"element": "band", "series": self.label or "", "x": a,
                            "y_lower": b, "y_upper": c} for a, b, c in zip(x, lo, hi,
                                                                        strict=True)]
        top = float(np.nanmax(np.r_[x, hi[np.isfinite(hi)], yv[np.isfinite(yv)]]))
        lim = min(1.0, max(0.05, 1.1 * top))
        ax_c.set_xlim(0, lim)
        ax_c.set_ylim(0, lim)
        return lim

    def _draw_histogram(self, ax_c: Any, ax_h: Any, lim: float) -> None:
        hist = self.result.histogram
        if hist is None or hist.empty:
            return
        counts = finite(hist["count"])
        shown = hist[counts >= self.min_count]
        hidden = bool(((counts > 0) & (counts < self.min_count)).any())
        if shown.empty:
            return
        target = ax_h if ax_h is not None else ax_c
        n = finite(shown["count"])
        scale = 1.0 if ax_h is not None else 0.1 * lim / max(float(n.max()), 1.0)
        left, right = finite(shown["left"]), finite(shown["right"])
        target.bar(left, n * scale, width=right - left, align="edge", color="grey", alpha=0.6)
        self._rows += [{"panel": "histogram", "element": "bar", "series": "predicted risks",
                        "x": a, "width": w, "y": c, "n": c}
                       for a, w, c in zip(left, right - left, n, strict=True)]
        if ax_h is not None:
            ax_h.set_ylabel("workers")
            if hidden:
                ax_h.set_title(f"bins with fewer than {self.min_count} workers are not shown",
                               fontsize="x-small", loc="right")

    def _drawn(self) -> list[dict[str, Any]]:
        return list(self._rows)


class BootstrapCalibrationDisplay(Display):
    """Apparent and optimism-corrected calibration curves (``rms::calibrate`` style).

    Parameters
    ----------
    result : CalibrationCurveResult
        ``bootstrap_validate(..., calibration_curve=True).calibration``.

    Notes
    -----
    The figure states the mean and 90th percentile of |predicted - corrected| with three
    significant digits (``rms::calibrate`` prints them rounded to 3 decimals, which reads
    "0.000" for a rare outcome and says nothing).

    References
    ----------
    Harrell FE. Regression Modeling Strategies, 2nd ed. Springer 2015, section 10.11
    (``rms::calibrate``).
    """

    def __init__(self, result: CalibrationCurveResult, *, time_unit: str = "days") -> None:
        if not isinstance(result, CalibrationCurveResult):
            raise TypeError("result must be the CalibrationCurveResult of bootstrap_validate("
                            f"..., calibration_curve=True); got {type(result).__name__}.")
        self.result = result
        self.time_unit = time_unit
        self._rows: list[dict[str, Any]] = []

    @classmethod
    def from_result(cls, result: CalibrationCurveResult, *, ax: Any = None, **kwargs: Any
                    ) -> BootstrapCalibrationDisplay:
        """Draw a :class:`~irdp.validation.bootstrap.CalibrationCurveResult`."""
        return cls(result, **kwargs).plot(ax=ax)

    def plot(self, ax: Any = None) -> BootstrapCalibrationDisplay:
        """Draw on ``ax`` (a new figure when None) and return self."""
        if ax is None:
            fig, ax = self._new_figure((6.2, 4.8))
        else:
            fig = ax.figure
        self.figure_, self.ax_ = fig, ax
        c = self.result.curve
        x = finite(c["predicted"])
        apparent, corrected = finite(c["apparent"]), finite(c["corrected"])
        top = float(np.nanmax(np.r_[x, corrected[np.isfinite(corrected)], 0.05]))
        ideal_square(ax, top)
        ax.plot(x, apparent, color="black", ls="--", label="apparent")
        ax.plot(x, corrected, color="tab:blue", label="optimism-corrected")
        self._rows = [{"element": "curve", "series": s, "x": a, "y": b}
                      for s, ys in (("apparent", apparent), ("optimism-corrected", corrected))
                      for a, b in zip(x, ys, strict=True)]
        ax.set_xlabel("predicted risk")
        ax.set_ylabel("observed risk (smoothed)")
        mae, q90 = self.result.mean_absolute_error, self.result.quantile90_absolute_error
        ax.set_title(f"gap between predicted and corrected risk: mean {mae:.3g}, "
                     f"90th percentile {q90:.3g}", fontsize="small")
        legend_outside(ax)
        return self

    def _drawn(self) -> list[dict[str, Any]]:
        return list(self._rows)
