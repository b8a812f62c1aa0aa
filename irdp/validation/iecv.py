"""Internal-external cross-validation across SPSTI and across calendar periods.

Leave-one-centre-out (Royston, Parmar & Sylvester 2004; Steyerberg & Harrell 2016): the
index is developed on all centres but one and validated on the one left out, for every
centre; the per-centre C, O/E and calibration slope are then pooled by random-effects
meta-analysis (:func:`irdp.validation.meta_analysis`), whose prediction interval says how
the index may perform in a new SPSTI. With ``scheme="forward"`` the groups are calendar
periods in order and each period is predicted by a model developed on all earlier ones
(temporal validation).

References
----------
.. [1] Royston P, Parmar MKB, Sylvester R. Construction and validation of a prognostic
   model across several studies, with an application in superficial bladder cancer. Stat
   Med 2004;23:907-926.
.. [2] Steyerberg EW, Harrell FE. Prediction models need appropriate internal,
   internal-external, and external validation. J Clin Epidemiol 2016;69:245-247.
.. [3] Debray TPA, Moons KGM, Ahmed I, Koffijberg H, Riley RD. A framework for developing,
   implementing, and evaluating clinical prediction models in an individual participant
   data meta-analysis. Stat Med 2013;32:3158-3180.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from irdp._resampling import check_n_jobs, check_scheduler, replicate
from irdp._summary import Summary
from irdp.exceptions import InsufficientDataError, IrdpWarning, SmallGroupWarning
from irdp.metrics._context import events_by_horizon
from irdp.metrics._registry import ALIASES
from irdp.validation._fitting import (
    align_outcome,
    fit_clone,
    n_rows,
    predict_risk,
    prepare_outcome,
    take_rows,
)
from irdp.validation._measures import estimate_of, resolve_measures
from irdp.validation.meta import (
    MetaAnalysisResult,
    _estimate_parts,
    meta_analysis,
    scale_for_measure,
)

__all__ = ["IECVResult", "iecv", "calendar_periods"]


@dataclass(frozen=True)
class IECVResult:
    """Per-centre validation results and their random-effects pooling.

    Attributes
    ----------
    per_centre : pandas.DataFrame
        One row per validated group and measure: ``centre, n, n_events, measure, value, se``
        (``n_train`` too).
    pooled : dict of str -> MetaAnalysisResult
        Random-effects pooling of each measure that has a standard error (REML, HKSJ,
        prediction interval); with fewer than 3 validated groups, the per-group results
        without a pooled interval (``note`` says why).
    scheme : {"leave-one-out", "forward"}
    horizon : float or None
    """

    per_centre: pd.DataFrame
    pooled: dict[str, MetaAnalysisResult]
    scheme: str
    horizon: float | None

    def to_frame(self) -> pd.DataFrame:
        """Pooled table: one row per measure."""
        rows = []
        for name, m in self.pooled.items():
            row = m.to_frame().iloc[0].to_dict()
            rows.append({"measure": name, **row})
        return pd.DataFrame(rows).set_index("measure")

    def summary(self) -> Summary:
        """Pooled estimates with CIs and prediction intervals."""
        cols = ["estimate", "lower", "upper", "pi_lower", "pi_upper", "i2", "k"]
        notes = ["CI: REML + Hartung-Knapp-Sidik-Jonkman; PI on t(k-2)."]
        notes += sorted({m.note for m in self.pooled.values() if m.note})
        return Summary(f"Internal-external cross-validation ({self.scheme})",
                       self.to_frame()[cols], tuple(notes))

    def _key(self, measure: str) -> str:
        if measure in self.pooled:
            return measure
        key = ALIASES.get(str(measure).strip().lower())
        if key in self.pooled:
            return key
        raise ValueError(f"measure {measure!r} was not pooled; pooled: {list(self.pooled)}.")

    def plot(self, measure: str, ax: Any = None) -> Any:
        """Forest plot of one pooled measure (name or alias)."""
        from irdp._display_registry import draw

        return draw(self, measure=self._key(measure), ax=ax)


def _splits(labels: np.ndarray, scheme: str, order: Sequence[Any] | None) -> list[tuple]:
    levels = list(pd.unique(labels)) if order is None else list(order)
    missing = set(pd.unique(labels)) - set(levels)
    if missing:
        raise ValueError(f"order is missing groups {sorted(map(str, missing))[:5]}.")
    if scheme == "leave-one-out":
        return [(g, labels != g, labels == g) for g in levels]
    if scheme == "forward":
        if order is None:
            levels = sorted(levels)
        return [(g, np.isin(labels, levels[:i]), labels == g) for i, g in enumerate(levels)
                if i > 0]
    raise ValueError(f"scheme must be 'leave-one-out' or 'forward'; got {scheme!r}.")


def _check_groups(y: Any, labels: np.ndarray, h: float | None, splits: list[tuple]) -> None:
    n_groups = len(pd.unique(labels))
    if n_groups < 2:
        raise InsufficientDataError(
            f"groups must contain at least 2 distinct centres or periods; got {n_groups}. "
            "Use bootstrap_validate for a single centre."
        )
    for g, _, test in splits:
        yg = y.take(np.flatnonzero(test))
        ev = yg.event if h is None else (yg.event & (yg.time <= h))
        if ev.sum() == 0:
            raise InsufficientDataError(
                f"group {g!r} has no event{'' if h is None else f' by horizon {h:g}'} among "
                f"its {len(yg)} rows; its C statistic and calibration are undefined. Merge it "
                "with a neighbouring centre or period, or leave it out."
            )
        if h is None and ev.sum() == len(yg):
            raise InsufficientDataError(
                f"group {g!r} has only events; its C statistic is undefined.")
        if h is not None and yg.max_time < h:
            raise ValueError(
                f"horizon={h:g} is beyond the follow-up of group {g!r} (last time "
                f"{yg.max_time:g}); its risk at the horizon cannot be assessed. Use a shorter "
                "horizon or leave the group out."
            )


def _scale(name: str) -> str:
    try:
        return scale_for_measure(name)
    except ValueError:  # a user's own measure: pooled as it is
        return "identity"


def calendar_periods(dates: Any, n_periods: int) -> np.ndarray:
    """Calendar periods of equal size named by their dates, for ``iecv(scheme="forward")``.

    Parameters
    ----------
    dates : array-like of datetime-like, shape (n_samples,)
        Index date of each row.
    n_periods : int
        Number of periods (consecutive, about the same number of rows each).

    Returns
    -------
    ndarray of str
        The period of each row, labelled ``"2019-01-07 to 2019-12-30"`` (first and last
        date of the period), so that the labels sort in calendar order and a reader sees
        which years each period covers.

    Examples
    --------
    >>> import pandas as pd
    >>> from irdp.validation import calendar_periods
    >>> d = pd.to_datetime(["2019-03-01", "2020-06-01", "2019-01-15", "2021-02-01"])
    >>> sorted(set(calendar_periods(d, 2)))
    ['2019-01-15 to 2019-03-01', '2020-06-01 to 2021-02-01']
    """
    d = pd.to_datetime(pd.Series(np.asarray(dates)), errors="raise")
    if d.isna().any():
        raise ValueError(f"dates must not be missing; found {int(d.isna().sum())}.")
    if isinstance(n_periods, bool) or int(n_periods) != n_periods or n_periods < 2:
        raise ValueError(f"n_periods must be an integer >= 2; got {n_periods!r}.")
    codes = pd.qcut(d.rank(method="first"), int(n_periods), labels=False).to_numpy()
    out = np.empty(len(d), dtype=object)
    for k in np.unique(codes):
        sel = codes == k
        first, last = d[sel].min(), d[sel].max()
        out[sel] = f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"
    return out


def _event_mask(y: Any, h: float | None) -> np.ndarray:
    return y.event if h is None else (y.event & (y.time <= h))


def _iecv_task(i: int, rng: np.random.Generator, *, splits: list, estimator: Any, X: Any,
               y: Any, horizon: float | None, funcs: Mapping[str, Any]) -> list[dict]:
    """Develop on the training groups of split ``i`` and validate on its test group."""
    g, train, test = splits[i]
    tr, te = np.flatnonzero(train), np.flatnonzero(test)
    yte = y.take(te)
    model = fit_clone(estimator, take_rows(X, tr), y.take(tr))
    risk = predict_risk(model, take_rows(X, te), horizon)
    rows = []
    for name, f in funcs.items():
        v, se = _estimate_parts(estimate_of(f, yte, risk, horizon))
        rows.append({"centre": g, "n": len(te), "n_events": events_by_horizon(yte, horizon),
                     "n_train": len(tr), "measure": name, "value": v, "se": se})
    return rows


def iecv(
    estimator: Any,
    X: Any,
    y: Any,
    groups: Any,
    *,
    horizon: float | None = None,
    scheme: Literal["leave-one-out", "forward"] = "leave-one-out",
    order: Sequence[Any] | None = None,
    scoring: Mapping[str, Callable[..., Any]] | Sequence[str] | None = None,
    level: float = 0.95,
    min_events: int = 10,
    n_jobs: int | None = 1,
    scheduler: Any = None,
) -> IECVResult:
    """Internal-external cross-validation: leave one SPSTI (or period) out in turn.

    Parameters
    ----------
    estimator : estimator
        Unfitted risk index (cloned and refitted for every left-out group), a Pipeline
        ending with one, or a binary scikit-learn classifier.
    X : DataFrame or array-like of shape (n_samples, n_features)
    y : Binary, Survival or CompetingRisks
    groups : array-like of shape (n_samples,)
        SPSTI (or calendar period) of each row. For periods, name them by their dates
        with :func:`calendar_periods` (labels sort in calendar order).
    horizon : float, optional
        Required for timed outcomes; must lie within the follow-up of every group.
    scheme : {"leave-one-out", "forward"}, default="leave-one-out"
        ``"forward"``: temporal validation, each group predicted from all earlier groups
        (sorted, or in ``order``).
    order : sequence, optional
        Order of the groups for ``scheme="forward"``.
    scoring : dict or list of str, optional
        Registry names (or aliases) of measures with a standard error, or callables
        returning an Estimate; default C (AUC or Harrell's C), O/E and calibration slope
        (Debray 2017), pooled on the scale the registry gives (logit, log, identity).
    level : float, default=0.95
    min_events : int, default=10
        A :class:`~irdp.exceptions.SmallGroupWarning` names the validation groups with fewer
        events (their estimates are imprecise and their SEs unreliable).
    n_jobs : int or None, default=1
        joblib workers over the left-out groups (the result does not depend on it).
    scheduler : None, "local", str or distributed.Client, default=None
        Run the folds on Dask (as :func:`irdp.validation.bootstrap_validate`).

    Returns
    -------
    IECVResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from irdp.models import LogisticIndex
    >>> from irdp.outcomes import Binary
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"x": rng.normal(size=600)})
    >>> g = np.repeat(["A", "B", "C", "D"], 150)
    >>> y = Binary(rng.random(600) < 1 / (1 + np.exp(-(X["x"] - 1))))
    >>> res = iecv(LogisticIndex(), X, y, g, scoring=["c"])
    >>> res.pooled["c_harrell"].k, bool(0.5 < res.pooled["c_harrell"].estimate < 1)
    (4, True)
    """
    yy, h = prepare_outcome(y, horizon)
    labels = np.asarray(groups, dtype=object)
    if int(min_events) != min_events or min_events < 0:
        raise ValueError(f"min_events must be a non-negative integer; got {min_events!r}.")
    if len(labels) != len(yy) or n_rows(X) != len(yy):
        raise ValueError(
            f"X, y and groups must have the same number of rows; got {n_rows(X)}, {len(yy)} "
            f"and {len(labels)}."
        )
    check_n_jobs(n_jobs)
    check_scheduler(scheduler)
    yy = align_outcome(X, yy)
    if pd.isna(labels).any():
        raise ValueError(f"groups must not be missing; found {int(pd.isna(labels).sum())} rows.")
    splits = _splits(labels, scheme, order)
    _check_groups(yy, labels, h, splits)
    funcs = resolve_measures(scoring, yy, purpose="pooling", with_se=True)
    small = [g for g, _, test in splits
             if int(_event_mask(yy.take(np.flatnonzero(test)), h).sum()) < min_events]
    if small:
        warnings.warn(
            f"{len(small)} validation groups have fewer than {min_events} events (e.g. "
            f"{small[:5]}); their estimates are imprecise. Consider merging small SPSTI.",
            SmallGroupWarning,
            stacklevel=2,
        )
    run = replicate(
        _iecv_task, len(splits), seed=0, n_jobs=n_jobs, scheduler=scheduler,
        kwargs={"splits": splits, "estimator": estimator, "X": X, "y": yy, "horizon": h,
                "funcs": funcs},
    )
    if run.warnings:
        warnings.warn(
            f"iecv: {len(run.warnings)} distinct warnings in the fits or measures of the "
            f"held-out groups, e.g. {run.warnings[0]!r}.",
            IrdpWarning,
            stacklevel=2,
        )
    rows = [row for part in run.results for row in part]
    per = pd.DataFrame(rows)
    pooled: dict[str, MetaAnalysisResult] = {}
    for name in funcs:
        sub = per[(per["measure"] == name) & np.isfinite(per["se"]) & (per["se"] > 0)]
        if len(sub) >= 2:
            pooled[name] = meta_analysis(sub["value"], sub["se"], scale=_scale(name),
                                         labels=list(sub["centre"]), level=level)
    return IECVResult(per_centre=per, pooled=pooled, scheme=scheme, horizon=h)
