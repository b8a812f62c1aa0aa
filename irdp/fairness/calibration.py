"""Calibration within groups: O/E, calibration-in-the-large, slope and curves, with flags.

Calibration is the main fairness criterion for a risk index: a single cut-off applied to a
group whose risks are systematically under- or over-estimated treats that group unequally
(Pfohl et al. 2022; Barocas, Hardt & Narayanan 2023, "sufficiency"). A group is *flagged*
when its O/E confidence interval excludes 1 or its calibration-slope interval excludes 1, at
a family-wise level (Bonferroni over the reported groups by default), so that with many
groups chance alone does not flag one.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from irdp._summary import Summary
from irdp._validation import check_horizon, check_risk
from irdp.exceptions import IrdpDeprecationWarning, SmallGroupWarning
from irdp.fairness._groups import as_group_frame, cells, check_inputs_aligned
from irdp.fairness.measures import status_counts
from irdp.fairness.performance import _status_table
from irdp.metrics import calibration_in_the_large, calibration_slope, oe_ratio
from irdp.metrics._registry import DATA_ERRORS
from irdp.metrics.classification import status_weights
from irdp.outcomes import as_outcome
from irdp.privacy import DEFAULT_THRESHOLD, renamed_threshold, suppress_small_counts

__all__ = ["GroupCalibration", "group_calibration", "calibration_estimates"]



def calibration_estimates(y: Any, risk: Any, *, horizon: float | None = None,
                          level: float = 0.95) -> dict[str, Any]:
    """O/E, calibration-in-the-large (binary) and calibration slope with CIs on these rows.

    The estimators of :mod:`irdp.metrics` — :func:`~irdp.metrics.oe_ratio` (log-scale
    interval from the binomial, Greenwood or Aalen-Johansen variance),
    :func:`~irdp.metrics.calibration_in_the_large` and
    :func:`~irdp.metrics.calibration_slope` (logistic on logit(risk); Cox on cll(risk) for
    survival, Fine-Gray for competing risks; Wald intervals) — so a group's numbers are
    those the ABCD table would give on the group's rows. A measure the rows cannot support
    is nan and ``undefined`` says why.
    """
    nan = float("nan")
    out: dict[str, Any] = {"observed": nan, "expected": nan, "undefined": ""}
    why: list[str] = []
    for key, func in (("oe", oe_ratio), ("citl", calibration_in_the_large),
                      ("slope", calibration_slope)):
        out.update({key: nan, f"{key}_lower": nan, f"{key}_upper": nan})
        if key == "citl" and as_outcome(y).kind != "binary":
            continue
        if key == "slope" and np.ptp(np.asarray(risk, dtype=float)) == 0:
            why.append("slope: the predicted risks are constant")
            continue
        try:
            est = func(y, risk, horizon=horizon, level=level)
        except DATA_ERRORS as err:
            why.append(f"{key}: {err}")
            continue
        out.update({key: est.value, f"{key}_lower": est.lower, f"{key}_upper": est.upper})
        if key == "oe":
            out.update(observed=est.details["observed"], expected=est.details["expected"])
    out["undefined"] = "; ".join(why)
    return out


def _curve(y: Any, p: np.ndarray, horizon: float | None, n_bins: int) -> pd.DataFrame:
    """Binned calibration curve: quantile bins of p, IPCW observed risk in each."""
    cols = ["bin", "n", "events", "non_events", "mean_predicted", "observed"]
    try:
        a, b = status_weights(y, horizon)
    except DATA_ERRORS:
        return pd.DataFrame(columns=cols)
    case = a > 0
    edges = np.unique(np.quantile(p, np.linspace(0, 1, n_bins + 1)))
    k_of = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, max(len(edges) - 2, 0))
    rows = []
    for k in np.unique(k_of):
        m = k_of == k
        rows.append((int(k) + 1, int(m.sum()), int(np.sum(case[m])),
                     int(np.sum((b[m] > 0) & ~case[m])), float(p[m].mean()),
                     float(np.sum(a[m]) / m.sum())))
    return pd.DataFrame(rows, columns=cols)


@dataclass(frozen=True)
class GroupCalibration:
    """Result of :func:`group_calibration`.

    Attributes
    ----------
    table : DataFrame
        One row per group and one for the overall sample: label columns, ``n``, ``events``,
        ``non_events``, ``status``, observed and expected risk, ``oe`` / ``citl`` / ``slope``
        with their CIs, ``flagged`` and ``reason``. Passed through disclosure control.
    curves : DataFrame
        Binned curve per reported group (label columns, ``bin``, ``n``, ``events``,
        ``non_events``, ``mean_predicted``, ``observed``); bins whose counts are under the
        threshold have their counts and observed risk masked.
    group_names : tuple of str
    level : float
        Level of the per-group CIs used for flagging (after the multiplicity adjustment).
    horizon : float or None
    outcome_kind : str
    """

    table: pd.DataFrame
    curves: pd.DataFrame
    group_names: tuple[str, ...]
    level: float
    horizon: float | None
    outcome_kind: str

    @property
    def flagged(self) -> list[Any]:
        """Labels of the flagged groups."""
        t = self.table[self.table["flagged"].fillna(False).astype(bool)]
        cols = list(self.group_names)
        return [r[0] if len(r) == 1 else tuple(r) for r in t[cols].itertuples(index=False)]

    def summary(self) -> Summary:
        """Summary (``as_text()``, ``as_html()``): O/E and slope with CIs, flags, per group."""
        cols = [*self.group_names, "n", "events", "status", "oe", "oe_lower", "oe_upper",
                "citl", "slope", "slope_lower", "slope_upper", "flagged", "reason"]
        horizon = "" if self.horizon is None else f", horizon={self.horizon:g}"
        return Summary(
            title=f"Calibration by {' x '.join(self.group_names)} ({self.outcome_kind}{horizon})",
            table=self.table[cols].set_index(list(self.group_names)),
            notes=(f"per-group CIs at level {self.level:.4g} (multiplicity-adjusted); a group is "
                   "flagged when its O/E or slope interval excludes 1",),
        )

    def plot(self, *, ax: Any = None) -> Any:
        """Calibration curves of every reported group on one plot; returns the Figure."""
        from irdp.fairness.plots import plot_group_calibration

        return plot_group_calibration(self, ax=ax)


def _note_suppressed(
    table: pd.DataFrame, reportable: np.ndarray, min_group_size: int, threshold: int
) -> None:
    """Keep the flag columns when no group is reportable, and warn about suppressed groups."""
    if "flagged" not in table:
        table["flagged"] = pd.Series(pd.NA, index=table.index, dtype="boolean")
        table["reason"] = pd.Series(pd.NA, index=table.index, dtype=object)
    n_suppressed = int((~reportable).sum())
    if n_suppressed:
        warnings.warn(
            f"{n_suppressed} of {len(reportable)} groups have fewer than {min_group_size} "
            f"subjects or fewer than {threshold} events or non-events; they are reported as "
            "suppressed, without calibration estimates.",
            SmallGroupWarning,
            stacklevel=3,
        )


def group_calibration(
    y: Any,
    risk: Any,
    groups: Any,
    *,
    horizon: float | None = None,
    n_bins: int = 10,
    level: float = 0.95,
    adjust: Literal["bonferroni", "none"] = "bonferroni",
    min_group_size: int = 50,
    min_count: int | None = None,
    threshold: int | None = None,
    alpha: float | None = None,
) -> GroupCalibration:
    """Calibration of a risk index within each group, with miscalibrated groups flagged.

    Parameters
    ----------
    y : Binary, Survival or CompetingRisks
    risk : array-like of shape (n_samples,)
        Predicted risk by the horizon.
    groups : Series, array-like or DataFrame with one or two columns
    horizon : float, optional
        Required for timed outcomes.
    n_bins : int, default=10
        Quantile bins of predicted risk per group for the curves.
    level : float, default=0.95
        Family-wise confidence level of the flags (the chance that no well-calibrated group
        is flagged).
    adjust : {"bonferroni", "none"}, default="bonferroni"
        Multiplicity adjustment across the reported groups: each group's CIs are at level
        ``1 - (1 - level) / k`` (k groups) with "bonferroni", ``level`` with "none".
    min_group_size : int, default=50
        Smaller groups are reported as suppressed (not flagged, not dropped).
    threshold : int, optional
        Former name of ``min_count`` (deprecated: IrdpDeprecationWarning).
    min_count : int, default=11
        Disclosure threshold (:func:`irdp.privacy.suppress_small_counts`).
    alpha : float, optional
        Deprecated: ``level = 1 - alpha``.

    Returns
    -------
    GroupCalibration

    Notes
    -----
    Estimators are those of :mod:`irdp.metrics` (:func:`calibration_estimates`), computed on
    each group's rows (for timed outcomes the censoring distribution is estimated within the
    group). The O/E is the calibration-in-the-large measure McLernon et al. (2023) and van
    Geloven et al. (2022) report, the slope the weak-calibration measure of Van Calster et
    al. (2016).

    References
    ----------
    Van Calster B, Nieboer D, Vergouwe Y, et al. A calibration hierarchy for risk models was
    defined. J Clin Epidemiol 2016;74:167-176. McLernon DJ, et al. Ann Intern Med
    2023;176:105-114. Pfohl SR, Foryciarz A, Shah NH. An empirical characterization of fair
    machine learning for clinical risk prediction. J Biomed Inform 2021;113:103621.

    Examples
    --------
    >>> import numpy as np
    >>> from irdp.outcomes import Binary
    >>> from irdp.fairness import group_calibration
    >>> rng = np.random.default_rng(3)
    >>> risk = rng.uniform(0.05, 0.5, 3000)
    >>> g = rng.choice(["A", "B", "C"], 3000)
    >>> true = np.where(g == "C", np.minimum(2.0 * risk, 1), risk)  # C under-predicted
    >>> res = group_calibration(Binary(rng.binomial(1, true)), risk, g)
    >>> res.flagged
    ['C']
    """
    threshold = _resolve_min_count('group_calibration', threshold, min_count)
    level = _family_level(level, alpha)
    y = as_outcome(y)
    if hasattr(risk, "__len__") and len(risk) != len(y):
        raise ValueError(f"risk must have one value per subject; got {len(risk)} for {len(y)}.")
    check_inputs_aligned(y, risk, groups)
    p = check_risk(risk)
    if adjust not in ("bonferroni", "none"):
        raise ValueError(f"adjust must be 'bonferroni' or 'none'; got {adjust!r}.")
    h = None if y.kind == "binary" else check_horizon(horizon, max_time=y.max_time)
    frame = as_group_frame(groups, len(y))
    names = tuple(frame.columns)
    labels, cell_rows = cells(frame)
    counts = np.array([(len(r), *status_counts(y.take(r), h)) for r in cell_rows])
    gtable, reportable = _status_table(labels, names, counts, min_group_size, threshold)
    k = max(int(reportable.sum()), 1)
    level_k = 1 - ((1 - level) / k if adjust == "bonferroni" else (1 - level))
    est_rows, curves = [], []
    for c, rows in enumerate(cell_rows):
        if not reportable[c]:
            est_rows.append({})
            continue
        yc = y.take(rows)
        est = _flagged(calibration_estimates(yc, p[rows], horizon=h, level=level_k))
        est_rows.append(est)
        cur = _curve(yc, p[rows], h, n_bins)
        for j, name in enumerate(names):
            cur.insert(j, name, labels[c][j])
        curves.append(cur)
    table = pd.concat([gtable.reset_index(drop=True), pd.DataFrame(est_rows)], axis=1)
    _note_suppressed(table, reportable, min_group_size, threshold)
    # a visible observed risk (or O/E, with E) and n would reveal a masked event count
    masked = table[["n", "events", "non_events"]].isna().any(axis=1)
    for col in ("observed", "oe", "oe_lower", "oe_upper"):
        if col in table:
            table.loc[masked, col] = np.nan
    ev, non = status_counts(y, h)
    overall = {name: "(overall)" for name in names}
    overall.update(n=len(y), events=ev, non_events=non, status="reported")
    overall.update(calibration_estimates(y, p, horizon=h, level=level_k))
    table = pd.concat([table, pd.DataFrame([overall])], ignore_index=True)
    curve = (pd.concat(curves, ignore_index=True) if curves else
             pd.DataFrame({**{g: pd.Series(dtype=object) for g in names},
                           "bin": pd.Series(dtype="int64"), "n": pd.Series(dtype=float),
                           "events": pd.Series(dtype=float),
                           "non_events": pd.Series(dtype=float),
                           "mean_predicted": pd.Series(dtype=float),
                           "observed": pd.Series(dtype=float)}))  # no reportable group
    curve = suppress_small_counts(curve, threshold=threshold,
                                  count_columns=["n", "events", "non_events"],
                                  rates={"observed": ("events", "n")})
    return GroupCalibration(table=table, curves=curve, group_names=names, level=level_k,
                            horizon=h, outcome_kind=y.kind)


def _family_level(level: float, alpha: float | None) -> float:
    if alpha is not None:
        warnings.warn("alpha= is deprecated; pass level=1 - alpha (the family-wise "
                      "confidence level), as every irdp function does.",
                      IrdpDeprecationWarning, stacklevel=3)
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must lie in (0, 1); got {alpha!r}.")
        level = 1 - alpha
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1); got {level!r}.")
    return float(level)


def _flagged(est: dict[str, Any]) -> dict[str, Any]:
    reasons = []
    if est["oe_lower"] > 1 or est["oe_upper"] < 1:
        reasons.append("O/E CI excludes 1")
    if est["slope_lower"] > 1 or est["slope_upper"] < 1:
        reasons.append("slope CI excludes 1")
    est["flagged"] = bool(reasons)
    est["reason"] = "; ".join(reasons) if reasons else (
        f"not assessable: {est['undefined']}" if est["undefined"] else "")
    return est


def _resolve_min_count(where: str, threshold: int | None, min_count: int | None) -> int:
    """``min_count`` (the one name), accepting the former ``threshold`` with a warning."""
    value = renamed_threshold(where, threshold, min_count, stacklevel=4)
    return DEFAULT_THRESHOLD if value is None else int(value)
