"""Classification by group at thresholds, and the fairness summary table of a report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from irdp.fairness._groups import as_group_frame, cells
from irdp.fairness.calibration import group_calibration
from irdp.fairness.measures import (
    at_threshold,
    false_positive_rate,
    positive_predictive_value,
    selection_rate,
    status_counts,
    true_positive_rate,
)
from irdp.fairness.performance import OVERALL, GroupPerformance, group_performance
from irdp.metrics import get_metric
from irdp.privacy import DEFAULT_THRESHOLD, renamed_threshold

__all__ = ["group_classification", "FairnessSummary", "fairness_summary"]


def _threshold_measures(thresholds: Sequence[float]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for t in thresholds:
        for name, f in (("selection_rate", selection_rate), ("tpr", true_positive_rate),
                        ("fpr", false_positive_rate), ("ppv", positive_predictive_value)):
            out[f"{name}@{t:g}"] = at_threshold(f, t)
    return out


def group_classification(
    y: Any,
    risk: Any,
    groups: Any,
    *,
    thresholds: float | Sequence[float],
    horizon: float | None = None,
    n_boot: int = 200,
    seed: Any = None,
    reference: Any = None,
    min_group_size: int = 50,
    level: float = 0.95,
    min_count: int | None = None,
    threshold: int | None = None,
    n_jobs: int | None = None,
    scheduler: Any = None,
) -> GroupPerformance:
    """Selection rate, TPR, FPR and PPV per group at one or more risk thresholds.

    The differences between extremes of ``tpr`` and ``fpr`` are the two components of the
    equalised-odds difference (Hardt et al. 2016); that of ``ppv`` is the predictive-parity
    difference; that of ``selection_rate`` the demographic-parity difference. For timed
    outcomes TPR, FPR and PPV are IPCW estimates at the horizon (cases: event of interest
    by the horizon, weight 1/G(T-); controls: event-free beyond it, weight 1/G(h), and for
    competing risks also those with a competing event by the horizon) — see
    :mod:`irdp.fairness.measures`. The selection rate needs no outcome.

    Parameters
    ----------
    y, risk, groups, horizon, n_boot, seed, reference, min_group_size, level, threshold
        As in :func:`irdp.fairness.group_performance`.
    n_jobs, scheduler
        As in :func:`irdp.fairness.group_performance`.
    thresholds : float or sequence of float
        Risk cut-offs (e.g. the boundaries of the index's risk levels); flagged means
        ``risk >= threshold``.

    Returns
    -------
    GroupPerformance
        Measures named ``"tpr@0.2"`` etc.

    References
    ----------
    Hardt M, Price E, Srebro N. Equality of opportunity in supervised learning. NeurIPS
    2016. Blanche P, et al. Stat Med 2013;32:5381-5397 (IPCW TPR/FPR with competing risks).

    Examples
    --------
    >>> import numpy as np
    >>> from irdp.fairness import group_classification
    >>> rng = np.random.default_rng(0)
    >>> risk = rng.uniform(0, 0.5, 800)
    >>> y = rng.binomial(1, risk)
    >>> res = group_classification(y, risk, rng.choice(["F", "M"], 800), thresholds=0.3,
    ...                            n_boot=0)
    >>> list(res.measures)
    ['selection_rate@0.3', 'tpr@0.3', 'fpr@0.3', 'ppv@0.3']
    """
    threshold = _resolve_min_count('group_classification', threshold, min_count)
    ts = [thresholds] if np.isscalar(thresholds) else list(thresholds)
    if not ts:
        raise ValueError("thresholds must hold at least one risk cut-off; got an empty list.")
    return group_performance(
        y, risk, groups, horizon=horizon, measures=_threshold_measures(ts), n_boot=n_boot,
        seed=seed, reference=reference, min_group_size=min_group_size, level=level,
        min_count=threshold, n_jobs=n_jobs, scheduler=scheduler,
    )


@dataclass(frozen=True)
class FairnessSummary:
    """Result of :func:`fairness_summary`: one row per (grouping, group), ready for a report.

    Attributes
    ----------
    table : DataFrame
        Tidy: ``grouping``, ``group``, ``label`` ("grouping: group"), ``measure``, ``value``,
        ``lower``, ``upper``.
    groups : DataFrame
        ``grouping``, ``group``, ``n``, ``events``, ``non_events``, ``status``, ``flagged``,
        ``reason`` (calibration flags), after disclosure control.
    extremes : DataFrame
        Per grouping and measure, the difference between extremes with its CI.
    """

    table: pd.DataFrame
    groups: pd.DataFrame
    extremes: pd.DataFrame
    horizon: float | None

    def to_frame(self) -> pd.DataFrame:
        """Wide table: one row per group, ``value (lower, upper)`` per measure, and flags."""
        t = self.table.copy()
        t["estimate"] = [
            "suppressed" if not np.isfinite(v) else
            (f"{v:.3f} ({lo:.3f}, {hi:.3f})" if np.isfinite(lo) else f"{v:.3f}")
            for v, lo, hi in zip(t["value"], t["lower"], t["upper"], strict=True)
        ]
        wide = t.pivot_table(index=["grouping", "group"], columns="measure", values="estimate",
                             aggfunc="first", sort=False).reset_index()
        return wide.merge(self.groups, on=["grouping", "group"], how="left")

    def plot(self, measure: str = "oe_ratio", *, ax: Any = None) -> Any:
        """Forest plot of ``measure`` across every grouping; returns the Figure."""
        from irdp.fairness.plots import plot_forest

        return plot_forest(self, measure, ax=ax)


def fairness_summary(
    y: Any,
    risk: Any,
    groups: pd.DataFrame,
    *,
    horizon: float | None = None,
    pairs: Sequence[tuple[str, str]] = (),
    thresholds: Sequence[float] = (),
    n_boot: int = 200,
    seed: Any = None,
    min_group_size: int = 50,
    min_count: int | None = None,
    threshold: int | None = None,
    n_jobs: int | None = None,
    scheduler: Any = None,
) -> FairnessSummary:
    """Fairness summary over several grouping variables and chosen intersections.

    For each column of ``groups`` (and each pair in ``pairs``): AUC, O/E and calibration
    slope per group with bootstrap CIs (the measures of :mod:`irdp.metrics`, named as in
    :data:`irdp.metrics.METRICS`), TPR/FPR/PPV at each threshold, and the calibration
    flags of :func:`irdp.fairness.group_calibration`.

    Parameters
    ----------
    y, risk, horizon, n_boot, seed, min_group_size, threshold, n_jobs, scheduler
        As in :func:`irdp.fairness.group_performance`.
    groups : DataFrame
        One column per grouping variable (sex, age band, NAF section, size band, contract
        type, RQTH, job group, SPSTI...).
    pairs : sequence of (str, str)
        Intersections to add, e.g. ``[("sex", "age_band")]``.
    thresholds : sequence of float
        Risk cut-offs for the classification measures.

    Returns
    -------
    FairnessSummary
    """
    threshold = _resolve_min_count('fairness_summary', threshold, min_count)
    if not isinstance(groups, pd.DataFrame):
        raise TypeError(f"groups must be a DataFrame of grouping variables; got "
                        f"{type(groups).__name__}.")
    bad = [c for pair in pairs for c in pair if c not in groups.columns]
    if bad:
        raise ValueError(f"pairs name columns absent from groups: {bad}; columns are "
                         f"{list(groups.columns)}.")
    measures: dict[str, Any] = {m: get_metric(m) for m in ("auc", "oe_ratio",
                                                           "calibration_slope")}
    measures.update(_threshold_measures(list(thresholds)))
    specs = [[c] for c in groups.columns] + [list(p) for p in pairs]
    tables, gtabs, extremes = [], [], []
    ss = np.random.SeedSequence(seed)
    for spec, child in zip(specs, ss.spawn(len(specs)), strict=True):
        gname = " x ".join(spec)
        sub = groups[spec]
        perf = group_performance(y, risk, sub, horizon=horizon, measures=measures,
                                 n_boot=n_boot, seed=child, min_group_size=min_group_size,
                                 min_count=threshold, n_jobs=n_jobs, scheduler=scheduler)
        cal = group_calibration(y, risk, sub, horizon=horizon, min_group_size=min_group_size,
                                min_count=threshold)
        t = perf.table.copy()
        t["group"] = [" x ".join(r) for r in t[spec].astype(str).itertuples(index=False)]
        t.loc[t["group"].str.contains(OVERALL, regex=False), "group"] = OVERALL
        t["grouping"] = gname
        tables.append(t[["grouping", "group", "measure", "value", "lower", "upper"]])
        g = perf.groups.copy()
        g["group"] = [" x ".join(r) for r in g[spec].astype(str).itertuples(index=False)]
        g["grouping"] = gname
        flags = cal.table[[*spec, "flagged", "reason"]].copy()
        flags["group"] = [" x ".join(r) for r in flags[spec].astype(str).itertuples(index=False)]
        g = g.merge(flags[["group", "flagged", "reason"]], on="group", how="left")
        gtabs.append(g[["grouping", "group", "n", "events", "non_events", "status", "flagged",
                        "reason"]])
        e = perf.extremes.copy()
        e.insert(0, "grouping", gname)
        extremes.append(e)
    table = pd.concat(tables, ignore_index=True)
    # the overall rows are identical across groupings: keep one, first
    is_overall = table["group"] == OVERALL
    overall = table[is_overall].drop_duplicates("measure").assign(grouping="overall")
    table = pd.concat([overall, table[~is_overall]], ignore_index=True)
    table["label"] = [g if g == OVERALL else f"{k}: {g}"
                      for k, g in zip(table["grouping"], table["group"], strict=True)]
    return FairnessSummary(table=table, groups=pd.concat(gtabs, ignore_index=True),
                           extremes=pd.concat(extremes, ignore_index=True),
                           horizon=None if horizon is None else float(horizon))


def _resolve_min_count(where: str, threshold: int | None, min_count: int | None) -> int:
    """``min_count`` (the one name), accepting the former ``threshold`` with a warning."""
    value = renamed_threshold(where, threshold, min_count, stacklevel=4)
    return DEFAULT_THRESHOLD if value is None else int(value)


def group_counts(y: Any, groups: pd.DataFrame, *, horizon: float | None = None) -> pd.DataFrame:
    """True counts of the groups of :func:`fairness_summary`, before disclosure control.

    One row per grouping column and group (labels as in ``FairnessSummary.groups``, a missing
    value is the group ``"(missing)"``): ``n``, ``events`` (events of interest by the horizon)
    and ``non_events`` (known event-free at the horizon, or with a competing event by it), the
    counts :func:`group_performance` reports. They are **not** disclosure-controlled: they are
    for a caller that suppresses them together with its other tables (the report of
    :func:`irdp.pipeline.run_experiment` does, in its linked system); never publish them as
    they are.

    Parameters
    ----------
    y : Binary, Survival or CompetingRisks
    groups : DataFrame
        One column per grouping variable, one row per subject of ``y``.
    horizon : float, optional
        Required for timed outcomes.

    Returns
    -------
    pandas.DataFrame
        Columns ``grouping``, ``group``, ``n``, ``events``, ``non_events``.

    References
    ----------
    Collins GS, et al. TRIPOD+AI statement. BMJ 2024;385:e078378 (item 3c: groups examined).
    """
    if not isinstance(groups, pd.DataFrame):
        raise TypeError(f"groups must be a DataFrame of grouping variables; got "
                        f"{type(groups).__name__}.")
    rows = []
    for col in groups.columns:
        frame = as_group_frame(groups[[col]], len(y))
        labels, cell_rows = cells(frame)
        for lab, r in zip(labels, cell_rows, strict=True):
            ev, non = status_counts(y.take(r), horizon)
            rows.append({"grouping": str(col), "group": " x ".join(lab), "n": len(r),
                         "events": ev, "non_events": non})
    out = pd.DataFrame(rows, columns=["grouping", "group", "n", "events", "non_events"])
    return out.astype({"n": "int64", "events": "int64", "non_events": "int64"})
