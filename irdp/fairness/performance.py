"""Performance of a risk index by group: one MetricFrame-like result for any outcome type."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from irdp._resampling import check_n_jobs, check_scheduler
from irdp._summary import Summary
from irdp._validation import check_horizon, check_risk
from irdp.exceptions import IrdpWarning, SmallGroupWarning
from irdp.fairness._engine import Measure, bootstrap_cells, evaluate, percentile_ci
from irdp.fairness._groups import as_group_frame, cells, check_inputs_aligned
from irdp.fairness.measures import status_counts
from irdp.metrics import MetricInfo, default_measures, get_metric
from irdp.outcomes import Binary, CompetingRisks, Survival, as_outcome
from irdp.privacy import DEFAULT_THRESHOLD, renamed_threshold, suppress_small_counts

__all__ = ["GroupPerformance", "group_performance", "OVERALL"]

OVERALL = "(overall)"


@dataclass(frozen=True)
class GroupPerformance:
    """Result of :func:`group_performance` (in the manner of fairlearn's ``MetricFrame``).

    Attributes
    ----------
    groups : DataFrame
        One row per group (label columns, ``n``, ``events``, ``non_events``, ``status``),
        after disclosure control: counts under the threshold are missing, and ``status``
        says why a group's measures are not reported (never silently dropped).
    table : DataFrame
        Tidy table: label columns, ``measure``, ``value``, ``lower``, ``upper``; the overall
        sample has the label ``"(overall)"`` in every label column.
    differences : DataFrame
        Each reportable group against the reference: ``difference`` (group - reference)
        and ``ratio`` (group / reference; nan unless both values are positive), with
        bootstrap percentile CIs.
    extremes : DataFrame
        Per measure, the largest minus the smallest group value and the smallest over the
        largest, with CIs and the groups at each extreme (fairlearn's "between_groups").
    reference : tuple of str or str
        The reference group (or ``"(overall)"``).
    group_names : tuple of str
        Names of the grouping variables (one, or two for intersections).
    measures : tuple of str
    horizon : float or None
    n_boot : int
    level : float
    min_group_size : int
    threshold : int
        Disclosure threshold (counts below it are suppressed).
    outcome_kind : str
    engine : str
        ``"fairlearn"`` when fairlearn's MetricFrame computed the by-group values.
    notes : tuple of str
    overall_counts : tuple of int
        Subjects, events and known non-events of the whole sample.
    """

    groups: pd.DataFrame
    table: pd.DataFrame
    differences: pd.DataFrame
    extremes: pd.DataFrame
    reference: Any
    group_names: tuple[str, ...]
    measures: tuple[str, ...]
    horizon: float | None
    n_boot: int
    level: float
    min_group_size: int
    threshold: int
    outcome_kind: str
    engine: str
    notes: tuple[str, ...] = field(default=())
    overall_counts: tuple[int, int, int] = field(default=(0, 0, 0))

    @property
    def overall(self) -> pd.Series:
        """Overall value of each measure."""
        t = self.table
        rows = t[t[self.group_names[0]] == OVERALL]
        return pd.Series(rows["value"].to_numpy(), index=rows["measure"].to_numpy(), name=OVERALL)

    @property
    def by_group(self) -> pd.DataFrame:
        """Wide table: one row per group, one column per measure (nan where suppressed)."""
        t = self.table[self.table[self.group_names[0]] != OVERALL]
        wide = t.pivot_table(
            index=list(self.group_names), columns="measure", values="value", dropna=False,
            sort=False,
        )
        return wide.reindex(columns=list(self.measures))

    def to_frame(self) -> pd.DataFrame:
        """Tidy table of every group and measure with counts and status merged in."""
        return self.table.merge(self.groups, on=list(self.group_names), how="left")

    def summary(self) -> Summary:
        """Summary (``as_text()``, ``as_html()``): counts, status and estimates with CIs."""
        tab = self.table.copy()
        tab["estimate"] = [
            _fmt(v, lo, hi)
            for v, lo, hi in zip(tab["value"], tab["lower"], tab["upper"], strict=True)
        ]
        wide = tab.pivot_table(
            index=list(self.group_names), columns="measure", values="estimate",
            aggfunc="first", sort=False,
        ).reindex(columns=list(self.measures)).reset_index()
        wide = wide.merge(self.groups, on=list(self.group_names), how="left")
        is_all = (wide[self.group_names[0]] == OVERALL).to_numpy()
        for col, val in zip(("n", "events", "non_events"), self.overall_counts, strict=True):
            wide.loc[is_all, col] = val if val >= self.threshold else pd.NA
        wide.loc[is_all, "status"] = "reported"
        horizon = "" if self.horizon is None else f", horizon={self.horizon:g}"
        notes = (
            f"bootstrap: {self.n_boot} stratified resamples, {self.level:.0%} percentile CIs",
            f"groups under {self.min_group_size} subjects, or with fewer than {self.threshold} "
            "events or non-events, are suppressed; counts under "
            f"{self.threshold} are masked",
            f"reference group: {self.reference}",
            *self.notes,
        )
        return Summary(
            title=f"Group performance by {' x '.join(self.group_names)} "
            f"({self.outcome_kind}{horizon})",
            table=wide.set_index(list(self.group_names)),
            notes=notes,
        )

    def plot(self, measure: str, *, ax: Any = None) -> Any:
        """Forest plot of ``measure`` by group with CIs; returns the matplotlib Figure."""
        from irdp.fairness.plots import plot_forest

        return plot_forest(self, measure, ax=ax)


def _fmt(v: float, lo: float, hi: float) -> str:
    if not np.isfinite(v):
        return "suppressed"
    if np.isfinite(lo) and np.isfinite(hi):
        return f"{v:.3f} ({lo:.3f}, {hi:.3f})"
    return f"{v:.3f}"


def _counts(y: Any, horizon: float | None, rows: np.ndarray) -> tuple[int, int]:
    """Observed events of interest by the horizon and known non-events in ``rows``."""
    return status_counts(y.take(rows), horizon)


def _check_measures(measures: Any, kind: str) -> dict[str, Measure]:
    """``{label: measure}``: registry defaults for the outcome kind, registry names (or
    aliases), or a dict of labels to callables or registry names."""
    if measures is None:
        return {n: get_metric(n) for n in default_measures(kind, "fairness")}
    if callable(measures) and not isinstance(measures, MetricInfo):
        raise TypeError(
            "measures must be a dict {name: metric} or a list of measure names, not a single "
            "callable (a dict keeps the result's shape stable); e.g. measures=['auc']."
        )
    if isinstance(measures, str | MetricInfo):
        measures = [measures]
    if isinstance(measures, Mapping):
        items = list(measures.items())
    elif isinstance(measures, Sequence):
        items = [(get_metric(m).name if isinstance(m, str) else m.name, m) for m in measures]
    else:
        raise TypeError(
            f"measures must be a dict or a list of names; got {type(measures).__name__}."
        )
    if not items:
        raise TypeError("measures must hold at least one measure; got none.")
    out: dict[str, Measure] = {}
    for label, f in items:
        if isinstance(f, str):
            f = get_metric(f)
        if not callable(f):
            raise TypeError(
                f"measures values must be callables f(y, risk, *, horizon) or measure names; "
                f"{label!r} is a {type(f).__name__}."
            )
        if isinstance(f, MetricInfo) and not f.supports(kind):
            raise ValueError(
                f"measure {label!r} ({f.name}) is defined for {', '.join(f.kinds)} outcomes; "
                f"this outcome is {kind}."
            )
        out[str(label)] = f
    return out


def _status_table(
    labels: list[tuple[str, ...]],
    names: tuple[str, ...],
    counts: np.ndarray,
    min_group_size: int,
    threshold: int,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Counts per group after disclosure control, the reason of any suppression, reportable."""
    raw = pd.DataFrame(labels, columns=list(names))
    raw["n"] = counts[:, 0].astype(np.int64)
    raw["events"] = counts[:, 1].astype(np.int64)
    raw["non_events"] = counts[:, 2].astype(np.int64)
    safe = suppress_small_counts(
        raw, threshold=threshold, count_columns=["n", "events", "non_events"], known_totals=True
    )
    small = counts[:, 0] < min_group_size
    few = (counts[:, 1] < threshold) | (counts[:, 2] < threshold)
    reportable = ~small & ~few
    status = np.where(
        small,
        f"suppressed: fewer than {min_group_size} subjects",
        np.where(few, f"suppressed: fewer than {threshold} events or non-events", "reported"),
    ).astype(object)
    secondary = reportable & safe[["n", "events", "non_events"]].isna().any(axis=1).to_numpy()
    status[secondary] = "reported (counts masked: secondary suppression)"
    safe["status"] = status
    return safe, reportable


def _reference_index(reference: Any, labels: list[tuple[str, ...]], n: np.ndarray,
                     reportable: np.ndarray) -> int | None:
    """Position of the reference cell (None = overall)."""
    if isinstance(reference, str) and reference == OVERALL:
        return None
    if reference is None:
        if not reportable.any():
            return None
        return int(np.flatnonzero(reportable)[np.argmax(n[reportable])])
    key = tuple(str(r) for r in (reference if isinstance(reference, tuple) else (reference,)))
    if key not in labels:
        raise ValueError(
            f"reference must be a group label, '(overall)' or None; {reference!r} is not among "
            f"the groups {labels[:5]}{'...' if len(labels) > 5 else ''}."
        )
    pos = labels.index(key)
    if not reportable[pos]:
        raise ValueError(
            f"reference group {reference!r} is suppressed (too small or too few events); "
            "choose a larger reference group or '(overall)'."
        )
    return pos


def _fairlearn_by_group(
    y: Any, risk: np.ndarray, frame: pd.DataFrame, rows_ok: np.ndarray,
    measures: Mapping[str, Callable[..., Any]], horizon: float | None,
) -> pd.DataFrame:
    """By-group values computed with fairlearn's MetricFrame.

    ``y_true`` is the 0/1 outcome (binary), the event indicator (survival) or the cause code
    (competing risks); for timed outcomes the follow-up time travels as a sample parameter,
    which MetricFrame splits by group with the other arrays, and the outcome container is
    rebuilt inside the metric.
    """
    from fairlearn.metrics import MetricFrame

    if isinstance(y, Binary):
        codes, params = y.y.astype(int), None

        def rebuild(y_true: np.ndarray, **_: Any) -> Any:
            return Binary(y_true)
    elif isinstance(y, CompetingRisks):
        codes, params = y.cause, {"time": y.time[rows_ok]}
        cause_k = y.event_of_interest

        def rebuild(y_true: np.ndarray, **sp: Any) -> Any:
            return CompetingRisks(sp["time"], y_true, cause_k)
    else:
        codes, params = y.event.astype(int), {"time": y.time[rows_ok]}

        def rebuild(y_true: np.ndarray, **sp: Any) -> Any:
            return Survival(sp["time"], y_true)

    def wrap(f: Measure) -> Callable[..., float]:
        def metric(y_true: np.ndarray, y_pred: np.ndarray, **sp: Any) -> float:
            yy = rebuild(np.asarray(y_true), **sp)
            return float(evaluate(yy, np.asarray(y_pred, dtype=float), np.arange(len(yy)),
                                  {"m": f}, horizon)[0])
        return metric

    mf = MetricFrame(
        metrics={k: wrap(f) for k, f in measures.items()},
        y_true=codes[rows_ok],
        y_pred=risk[rows_ok],
        sensitive_features=frame.iloc[rows_ok].reset_index(drop=True),
        sample_params=None if params is None else {k: params for k in measures},
    )
    by = mf.by_group
    if not isinstance(by.index, pd.MultiIndex):
        by.index = pd.MultiIndex.from_arrays([by.index])
    return by


def _undefined_notes(point: np.ndarray, labels: list[tuple[str, ...]], mnames: list[str],
                     reportable: np.ndarray) -> list[str]:
    """Say which reported groups have a measure their data cannot support."""
    notes = []
    for j, m in enumerate(mnames):
        bad = [" x ".join(labels[c]) for c in np.flatnonzero(reportable)
               if not np.isfinite(point[c, j])]
        if bad:
            notes.append(f"{m} is undefined (no case or control, constant risks, or a failed "
                         f"fit) in {len(bad)} group(s): {bad[:5]}.")
    return notes


def _tidy(
    labels: list[tuple[str, ...]], names: tuple[str, ...], mnames: list[str],
    values: np.ndarray, lo: np.ndarray, hi: np.ndarray,
) -> pd.DataFrame:
    rows = []
    all_labels = [*labels, tuple(OVERALL for _ in names)]
    for c, lab in enumerate(all_labels):
        for j, m in enumerate(mnames):
            rows.append((*lab, m, values[c, j], lo[c, j], hi[c, j]))
    return pd.DataFrame(rows, columns=[*names, "measure", "value", "lower", "upper"])


def _contrasts(
    labels: list[tuple[str, ...]], names: tuple[str, ...], mnames: list[str],
    point: np.ndarray, boot: np.ndarray, ref: int | None, reportable: np.ndarray, level: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Differences and ratios to the reference, and between extremes, with bootstrap CIs."""
    n_cells = len(labels)
    r = n_cells if ref is None else ref
    ok = np.flatnonzero(reportable)
    with np.errstate(divide="ignore", invalid="ignore"):
        d_pt = point[:n_cells] - point[r]
        r_pt = np.where((point[:n_cells] > 0) & (point[r] > 0), point[:n_cells] / point[r], np.nan)
        d_bs = boot[:, :n_cells] - boot[:, r][:, None, :]
        r_bs = np.where(
            (boot[:, :n_cells] > 0) & (boot[:, r][:, None, :] > 0),
            boot[:, :n_cells] / boot[:, r][:, None, :], np.nan,
        )
    d_lo, d_hi = percentile_ci(d_bs, level)
    r_lo, r_hi = percentile_ci(r_bs, level)
    r_lo = np.where(np.isfinite(r_pt), r_lo, np.nan)
    r_hi = np.where(np.isfinite(r_pt), r_hi, np.nan)
    rows = []
    for c in ok:
        if c == r:
            continue
        for j, m in enumerate(mnames):
            rows.append((*labels[c], m, d_pt[c, j], d_lo[c, j], d_hi[c, j],
                         r_pt[c, j], r_lo[c, j], r_hi[c, j]))
    diffs = pd.DataFrame(rows, columns=[*names, "measure", "difference", "lower", "upper",
                                        "ratio", "ratio_lower", "ratio_upper"])
    ext = []
    for j, m in enumerate(mnames):
        vals = point[ok, j]
        fin = np.isfinite(vals)
        if fin.sum() < 2:
            ext.append((m, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, None, None))
            continue
        sub = boot[:, ok, j]
        has = np.isfinite(sub).sum(axis=1) >= 2
        bmax = np.where(has, np.nanmax(np.where(np.isfinite(sub), sub, -np.inf), axis=1), np.nan)
        bmin = np.where(has, np.nanmin(np.where(np.isfinite(sub), sub, np.inf), axis=1), np.nan)
        vmax, vmin = np.max(vals[fin]), np.min(vals[fin])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = vmin / vmax if vmin > 0 else np.nan
            bratio = np.where((bmin > 0) & (bmax > 0), bmin / bmax, np.nan)
        dl, dh = percentile_ci((bmax - bmin)[:, None], level)
        rl, rh = percentile_ci(bratio[:, None], level)
        if not np.isfinite(ratio):
            rl, rh = np.array([np.nan]), np.array([np.nan])
        gmax = labels[ok[fin][np.argmax(vals[fin])]]
        gmin = labels[ok[fin][np.argmin(vals[fin])]]
        ext.append((m, vmax - vmin, dl[0], dh[0], ratio, rl[0], rh[0],
                    " x ".join(gmin), " x ".join(gmax)))
    extremes = pd.DataFrame(ext, columns=["measure", "difference", "lower", "upper", "ratio",
                                          "ratio_lower", "ratio_upper", "group_min", "group_max"])
    return diffs, extremes


def _check_call(
    y: Any, risk: Any, groups: Any, horizon: Any, measures: Any, n_boot: Any, level: Any,
    engine: Any,
) -> tuple[Any, np.ndarray, dict[str, Measure], float | None]:
    """Validate the arguments of :func:`group_performance`."""
    y = as_outcome(y)
    if hasattr(risk, "__len__") and len(risk) != len(y):
        raise ValueError(f"risk must have one value per subject; got {len(risk)} for {len(y)}.")
    check_inputs_aligned(y, risk, groups)
    p = check_risk(risk)
    if y.kind != "binary" and horizon is None:
        raise ValueError(f"horizon is required for {y.kind} outcomes; got None.")
    h = None if y.kind == "binary" else check_horizon(horizon, max_time=y.max_time)
    meas = _check_measures(measures, y.kind)
    if not isinstance(n_boot, int | np.integer) or n_boot < 0:
        raise ValueError(f"n_boot must be an integer >= 0; got {n_boot!r}.")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1); got {level!r}.")
    if engine not in ("auto", "irdp", "fairlearn"):
        raise ValueError(f"engine must be 'auto', 'irdp' or 'fairlearn'; got {engine!r}.")
    return y, p, meas, h


def group_performance(
    y: Any,
    risk: Any,
    groups: Any,
    *,
    horizon: float | None = None,
    measures: Mapping[str, Callable[..., Any]] | Sequence[str] | None = None,
    n_boot: int = 200,
    seed: Any = None,
    reference: Any = None,
    min_group_size: int = 50,
    level: float = 0.95,
    min_count: int | None = None,
    threshold: int | None = None,
    engine: Literal["auto", "irdp", "fairlearn"] = "auto",
    n_jobs: int | None = None,
    scheduler: Any = None,
) -> GroupPerformance:
    """Performance of a risk index overall and by group, with differences, ratios and CIs.

    Parameters
    ----------
    y : Binary, Survival or CompetingRisks
        Outcome (a 0/1 vector is read as Binary).
    risk : array-like of shape (n_samples,)
        Predicted risk by the horizon, in [0, 1].
    groups : Series, array-like or DataFrame with one or two columns
        Grouping variable(s): sex, age band, NAF section, size band, SPSTI... With two
        columns the groups are their intersections. Missing labels form a group
        ``"(missing)"``.
    horizon : float, optional
        Required for timed outcomes.
    measures : list of str, or dict {label: callable or name}, optional
        Names (or aliases) of the registry :data:`irdp.metrics.METRICS` — the same measures
        as the ABCD table, computed on each group's rows — or callables
        ``f(y, risk, *, horizon=None)`` returning a float or an ``Estimate``. Default
        (:func:`irdp.metrics.default_measures` with ``purpose="fairness"``): AUC
        (td-AUC at the horizon for timed outcomes), observed and mean risk, O/E,
        calibration-in-the-large (binary), calibration slope and Brier score.
    n_boot : int, default=200
        Bootstrap resamples for the CIs (0 for point estimates only).
    seed : int, SeedSequence or None
        Seed of the bootstrap; the same seed gives the same result.
    reference : label, tuple of labels, "(overall)" or None
        Reference for differences and ratios; None = the largest reported group.
    min_group_size : int, default=50
        Groups with fewer subjects are reported as suppressed (with a
        :class:`~irdp.exceptions.SmallGroupWarning`), never dropped.
    level : float, default=0.95
        Confidence level.
    threshold : int, optional
        Former name of ``min_count`` (deprecated: IrdpDeprecationWarning).
    min_count : int, default=11
        Disclosure threshold: every count table goes through
        :func:`irdp.privacy.suppress_small_counts`, and groups with fewer events or
        non-events than this are suppressed (their measures would reveal the counts).
    engine : {"auto", "irdp", "fairlearn"}, default="auto"
        Who computes the by-group point values: fairlearn's ``MetricFrame`` (for timed
        outcomes the time is passed as a sample parameter, split by group) or irdp's own
        loop; "auto" uses fairlearn for binary outcomes. Both give equal values for every
        outcome type (tested); bootstrap CIs always come from irdp's stratified bootstrap.
    n_jobs : int or None, default=None
        joblib workers for the bootstrap (-1: all cores); results do not depend on it.
    scheduler : None, "local", str or distributed.Client, default=None
        Run the bootstrap replicates on Dask (as :func:`irdp.validation.bootstrap_validate`).

    Returns
    -------
    GroupPerformance

    Notes
    -----
    The bootstrap resamples subjects *within* each group (stratified), so group sizes are
    fixed as in the data; the overall sample of a replicate is the union of the group
    resamples. Differences to the reference and between extremes are recomputed in each
    replicate (percentile intervals). For timed outcomes every measure is computed on the
    group's own rows (censoring distribution estimated within the group). A group whose
    data cannot support a measure (no case, constant risks...) gets nan for it, with the
    reason in ``notes``.

    References
    ----------
    Weerts H, Dudik M, Edgar R, et al. Fairlearn: Assessing and improving fairness of AI
    systems. JMLR 2023;24(257):1-8 (``MetricFrame``). Efron B, Tibshirani RJ. An
    Introduction to the Bootstrap. Chapman & Hall 1993 (percentile intervals).

    Examples
    --------
    >>> import numpy as np
    >>> from irdp.outcomes import Binary
    >>> from irdp.fairness import group_performance
    >>> rng = np.random.default_rng(0)
    >>> risk = rng.uniform(0.05, 0.6, 600)
    >>> y = Binary(rng.binomial(1, risk))
    >>> sex = np.where(rng.random(600) < 0.5, "F", "M")
    >>> res = group_performance(y, risk, sex, n_boot=20, seed=1)
    >>> res.groups[["group", "n", "status"]].to_string(index=False).split()[:4]
    ['group', 'n', 'status', 'F']
    >>> round(float(res.overall["oe_ratio"]), 2)
    0.99
    """
    threshold = _resolve_min_count('group_performance', threshold, min_count)
    y, p, meas, horizon = _check_call(y, risk, groups, horizon, measures, n_boot, level, engine)
    check_n_jobs(n_jobs)
    check_scheduler(scheduler)
    frame = as_group_frame(groups, len(y))
    names = tuple(frame.columns)
    labels, cell_rows = cells(frame)
    counts = np.array([(len(r), *_counts(y, horizon, r)) for r in cell_rows])
    gtable, reportable = _status_table(labels, names, counts, min_group_size, threshold)
    small = counts[:, 0] < min_group_size
    if small.any():
        small_labels = [" x ".join(labels[i]) for i in np.flatnonzero(small)]
        warnings.warn(
            f"{int(small.sum())} of {len(labels)} groups have fewer than {min_group_size} "
            f"subjects and are reported as suppressed: {small_labels[:5]}.",
            SmallGroupWarning,
            stacklevel=2,
        )
    mnames = list(meas)
    point = np.full((len(labels) + 1, len(mnames)), np.nan)
    use_fairlearn = engine == "fairlearn" or (engine == "auto" and y.kind == "binary")
    if use_fairlearn and reportable.any():
        rows_ok = np.concatenate([cell_rows[c] for c in np.flatnonzero(reportable)])
        by = _fairlearn_by_group(y, p, frame, np.sort(rows_ok), meas, horizon)
        for c in np.flatnonzero(reportable):
            point[c] = by.loc[labels[c], mnames].to_numpy(dtype=float)
    else:
        for c in np.flatnonzero(reportable):
            point[c] = evaluate(y, p, cell_rows[c], meas, horizon)
    point[-1] = evaluate(y, p, np.arange(len(y)), meas, horizon)
    notes = _undefined_notes(point, labels, mnames, reportable)
    if n_boot > 0:
        boot, n_bad, caught = bootstrap_cells(
            y, p, cell_rows, reportable, meas, horizon, n_boot=int(n_boot), seed=seed,
            n_jobs=n_jobs, scheduler=scheduler,
        )
        msgs = []
        if n_bad:
            msgs.append(f"{n_bad} bootstrap values were undefined (no case or control, failed "
                        "fit) and were left out of the percentile intervals.")
        if caught:
            msgs.append(f"{len(caught)} distinct warnings were raised in the bootstrap "
                        f"replicates, e.g. {caught[0]!r}.")
        for msg in msgs:
            notes.append(msg)
            warnings.warn(msg, IrdpWarning, stacklevel=2)
    else:
        boot = np.full((1, len(labels) + 1, len(mnames)), np.nan)
    lo, hi = percentile_ci(boot, level)
    ref = _reference_index(reference, labels, counts[:, 0], reportable)
    diffs, extremes = _contrasts(labels, names, mnames, point, boot, ref, reportable, level)
    return GroupPerformance(
        groups=gtable,
        table=_tidy(labels, names, mnames, point, lo, hi),
        differences=diffs,
        extremes=extremes,
        reference=OVERALL if ref is None else (labels[ref] if len(names) > 1 else labels[ref][0]),
        group_names=names,
        measures=tuple(mnames),
        horizon=None if horizon is None else float(horizon),
        n_boot=int(n_boot),
        level=float(level),
        min_group_size=int(min_group_size),
        threshold=int(threshold),
        outcome_kind=y.kind,
        engine="fairlearn" if use_fairlearn else "irdp",
        notes=tuple(notes),
        overall_counts=(len(y), *_counts(y, horizon, np.arange(len(y)))),
    )


def _resolve_min_count(where: str, threshold: int | None, min_count: int | None) -> int:
    """``min_count`` (the one name), accepting the former ``threshold`` with a warning."""
    value = renamed_threshold(where, threshold, min_count, stacklevel=4)
    return DEFAULT_THRESHOLD if value is None else int(value)
