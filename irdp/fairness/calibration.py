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
from scipy import stats

from irdp._summary import Summary
from irdp._validation import check_risk
from irdp.exceptions import SmallGroupWarning
from irdp.fairness._groups import as_group_frame, cells, check_inputs_aligned
from irdp.fairness.measures import HorizonStatus, _logit, horizon_status, weighted_logistic
from irdp.fairness.performance import _status_table
from irdp.outcomes import as_outcome
from irdp.privacy import DEFAULT_THRESHOLD, suppress_small_counts

__all__ = ["GroupCalibration", "group_calibration", "calibration_estimates"]


def calibration_estimates(hs: HorizonStatus, p: np.ndarray, level: float) -> dict[str, float]:
    """O/E, CITL and slope with analytic CIs for one sample (IPCW at the horizon).

    O/E: observed risk O = sum(w s)/n over expected E = mean(p); the CI is on the log
    scale with se(log O/E) = sd(w s) / (sqrt(n) O), E held fixed (for a binary outcome this
    is sqrt((1 - O)/(n O))). CITL and slope: weighted logistic fits (offset and
    ``logit(p)`` as covariate), model-based SEs for binary outcomes and sandwich SEs with
    IPCW weights (ignoring the estimation of G, which is conservative).
    """
    z = stats.norm.ppf(0.5 + level / 2)
    ws = hs.weight * hs.status
    o = float(ws.sum() / hs.n)
    e = float(p.mean())
    out = {"observed": o, "expected": e}
    if o > 0 and e > 0:
        se = float(np.std(ws, ddof=1) / (np.sqrt(hs.n) * o))
        oe = o / e
        out.update(oe=oe, oe_lower=oe * np.exp(-z * se), oe_upper=oe * np.exp(z * se))
    else:
        out.update(oe=np.nan, oe_lower=np.nan, oe_upper=np.nan)
    keep = hs.known
    s, w, lp = hs.status[keep].astype(float), hs.weight[keep], _logit(p[keep])
    weight = None if np.allclose(w, 1.0) else w
    nan = (np.nan, np.nan, np.nan)
    citl, slope = nan, nan
    if 0 < s.sum() < len(s):
        c, cov, ok = weighted_logistic(s, np.ones((len(s), 1)), weight=weight, offset=lp)
        if ok:
            se = np.sqrt(cov[0, 0])
            citl = (c[0], c[0] - z * se, c[0] + z * se)
        c, cov, ok = weighted_logistic(s, np.column_stack([np.ones_like(lp), lp]), weight=weight)
        if ok:
            se = np.sqrt(cov[1, 1])
            slope = (c[1], c[1] - z * se, c[1] + z * se)
    out.update(citl=citl[0], citl_lower=citl[1], citl_upper=citl[2])
    out.update(slope=slope[0], slope_lower=slope[1], slope_upper=slope[2])
    return out


def _curve(hs: HorizonStatus, p: np.ndarray, n_bins: int) -> pd.DataFrame:
    """Binned calibration curve: quantile bins of p, IPCW observed risk in each."""
    edges = np.unique(np.quantile(p, np.linspace(0, 1, n_bins + 1)))
    b = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, max(len(edges) - 2, 0))
    rows = []
    for k in np.unique(b):
        m = b == k
        rows.append((int(k) + 1, int(m.sum()), int(np.sum(hs.status[m])),
                     int(np.sum(hs.known[m] & (hs.status[m] == 0))), float(p[m].mean()),
                     float(np.sum(hs.weight[m] * hs.status[m]) / m.sum())))
    return pd.DataFrame(rows, columns=["bin", "n", "events", "non_events", "mean_predicted",
                                       "observed"])


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
    alpha: float = 0.05,
    adjust: Literal["bonferroni", "none"] = "bonferroni",
    min_group_size: int = 50,
    threshold: int = DEFAULT_THRESHOLD,
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
    alpha : float, default=0.05
        Family-wise error rate of the flags.
    adjust : {"bonferroni", "none"}, default="bonferroni"
        Multiplicity adjustment across the reported groups: each group's CIs are at level
        ``1 - alpha / k`` (k groups) with "bonferroni", ``1 - alpha`` with "none".
    min_group_size : int, default=50
        Smaller groups are reported as suppressed (not flagged, not dropped).
    threshold : int, default=11
        Disclosure threshold (:func:`irdp.privacy.suppress_small_counts`).

    Returns
    -------
    GroupCalibration

    Notes
    -----
    Estimators are those of :func:`calibration_estimates`, censoring-aware for timed
    outcomes (IPCW status at the horizon, G estimated within each group). The O/E is the
    calibration-in-the-large measure McLernon et al. (2023) and van Geloven et al. (2022)
    report, the slope the weak-calibration measure of Van Calster et al. (2016).

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
    check_inputs_aligned(y, risk, groups)
    y = as_outcome(y)
    p = check_risk(risk)
    if len(p) != len(y):
        raise ValueError(f"risk must have one value per subject; got {len(p)} for {len(y)}.")
    if adjust not in ("bonferroni", "none"):
        raise ValueError(f"adjust must be 'bonferroni' or 'none'; got {adjust!r}.")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1); got {alpha!r}.")
    frame = as_group_frame(groups, len(y))
    names = tuple(frame.columns)
    labels, cell_rows = cells(frame)
    statuses = [horizon_status(y.take(r), horizon) for r in cell_rows]
    counts = np.array([(len(r), int(hs.status.sum()), int(np.sum(hs.known & (hs.status == 0))))
                       for r, hs in zip(cell_rows, statuses, strict=True)])
    gtable, reportable = _status_table(labels, names, counts, min_group_size, threshold)
    k = max(int(reportable.sum()), 1)
    level = 1 - (alpha / k if adjust == "bonferroni" else alpha)
    est_rows, curves = [], []
    for c, (rows, hs) in enumerate(zip(cell_rows, statuses, strict=True)):
        if not reportable[c]:
            est_rows.append({})
            continue
        est = calibration_estimates(hs, p[rows], level)
        reasons = []
        if est["oe_lower"] > 1 or est["oe_upper"] < 1:
            reasons.append("O/E CI excludes 1")
        if est["slope_lower"] > 1 or est["slope_upper"] < 1:
            reasons.append("slope CI excludes 1")
        est["flagged"] = bool(reasons)
        est["reason"] = "; ".join(reasons)
        est_rows.append(est)
        cur = _curve(hs, p[rows], n_bins)
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
    hs_all = horizon_status(y, horizon)
    overall = {name: "(overall)" for name in names}
    overall.update(n=len(y), events=int(hs_all.status.sum()),
                   non_events=int(np.sum(hs_all.known & (hs_all.status == 0))), status="reported")
    overall.update(calibration_estimates(hs_all, p, level))
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
    return GroupCalibration(table=table, curves=curve, group_names=names, level=level,
                            horizon=None if horizon is None else float(horizon),
                            outcome_kind=y.kind)
