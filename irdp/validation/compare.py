"""Side-by-side comparison of several risk indices on the same workers.

:func:`compare` takes the outcome and a dict of risk vectors — indices fitted in irdp,
fixed questionnaires, or a local SPSTI score supplied as a column — and returns, for every
pair, the difference of every measure with a *paired* confidence interval (DeLong for the
binary AUC, a paired bootstrap that resamples workers once for both indices otherwise),
the categorical and continuous NRI and the IDI (secondary measures), the cross-tabulation
of the risk levels (faible / intermédiaire / forte), and the decision curves of all indices
on the same workers. Missing risks are allowed per index: each pair is compared on the
workers for whom both risks are known, and the counts are reported.

References
----------
.. [1] DeLong ER, DeLong DM, Clarke-Pearson DL. Comparing the areas under two or more
   correlated receiver operating characteristic curves: a nonparametric approach.
   Biometrics 1988;44:837-845.
.. [2] Pencina MJ, D'Agostino RB Sr, D'Agostino RB Jr, Vasan RS. Evaluating the added
   predictive ability of a new marker. Stat Med 2008;27:157-172.
.. [3] Vickers AJ, Elkin EB. Decision curve analysis. Med Decis Making 2006;26:565-574.
.. [4] Efron B, Tibshirani RJ. An Introduction to the Bootstrap. Chapman & Hall 1993
   (paired bootstrap, percentile intervals).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from irdp._resampling import (
    as_seed_sequence,
    bootstrap_p_value,
    check_n_jobs,
    check_scheduler,
    percentile_interval,
    replicate,
)
from irdp._summary import Summary
from irdp._validation import as_1d_array
from irdp.exceptions import IndexMismatchError, IrdpWarning
from irdp.metrics import delong_test, idi, incidence_thresholds, net_benefit, nri
from irdp.validation._fitting import prepare_outcome
from irdp.validation._measures import evaluate, resolve_measures

__all__ = ["ComparisonResult", "compare", "LEVEL_LABELS"]

#: Names of the three IRDP risk levels.
LEVEL_LABELS = ("faible", "intermédiaire", "forte")


@dataclass(frozen=True)
class ComparisonResult:
    """Everything :func:`compare` computes.

    Attributes
    ----------
    indices : pandas.DataFrame
        Per index: ``n`` (rows with a risk), ``n_missing``, ``n_events`` and the value of each
        measure on its own complete rows.
    differences : pandas.DataFrame
        Per pair and measure: ``index_a, index_b, measure, value_a, value_b, difference``
        (a - b), ``lower, upper, p_value, method, n, n_events`` (complete pairs).
    reclassification : pandas.DataFrame
        Per pair: NRI (categorical at the level cut-offs, and continuous) and IDI of b over
        a, with CIs.
    crosstabs : dict of (str, str) -> pandas.DataFrame
        Risk-level cross-tabulation of each pair (rows a, columns b; all workers and, in a
        second block, those with the event).
    decision_curves : dict of str -> DecisionCurve
        Net benefit of every index on the workers with all risks known.
    n_common : int
        Number of workers with every risk known (used by the decision curves).
    level : float
    cutoffs : tuple of float
        Cut-offs of the risk levels used (empty when levels were not asked for).
    cutoffs_method : str
        How they were chosen: given, a fitted RiskLevels, or derived from the outcome's
        incidence at the horizon (the default).
    """

    indices: pd.DataFrame
    differences: pd.DataFrame
    reclassification: pd.DataFrame
    crosstabs: dict[tuple[str, str], pd.DataFrame]
    decision_curves: dict[str, Any]
    n_common: int
    level: float
    cutoffs: tuple[float, ...] = ()
    cutoffs_method: str = ""

    def to_frame(self) -> pd.DataFrame:
        """The table of pairwise differences."""
        return self.differences.copy()

    def summary(self) -> Summary:
        """Pairwise differences as a :class:`Summary`."""
        cols = ["value_a", "value_b", "difference", "lower", "upper", "p_value", "n"]
        table = self.differences.set_index(["index_a", "index_b", "measure"])[cols]
        notes = [f"Decision curves on the {self.n_common} workers with every risk known; "
                 "each pair uses its complete pairs (column n)."]
        if self.cutoffs:
            notes.append(f"Risk levels faible / intermédiaire / forte at "
                         f"{', '.join(f'{c:g}' for c in self.cutoffs)}: {self.cutoffs_method}.")
        return Summary("Comparison of risk indices (difference = a - b)", table, tuple(notes))

    def plot_decision_curves(self, ax: Any = None) -> Any:
        """Decision curves of all indices, treat-all and treat-none on one plot.

        Drawn by the display registered for this result (``DecisionCurveDisplay``, with
        disclosure control); returns the figure, which renders inline in Jupyter.
        """
        from irdp._display_registry import draw

        return draw(self, ax=ax)


def _check_risks(risks: Any, n: int, index: pd.Index | None = None) -> dict[str, np.ndarray]:
    if not isinstance(risks, Mapping):
        raise TypeError(
            f"risks must be a dict {{name: risk vector}}; got {type(risks).__name__}."
        )
    if len(risks) < 2:
        raise ValueError(f"compare needs at least 2 indices; got {len(risks)}.")
    out = {}
    for name, r in risks.items():
        if hasattr(r, "__len__") and len(r) != n:
            raise ValueError(f"risks[{name!r}] has {len(r)} values for {n} workers.")
        if index is not None and isinstance(r, pd.Series) and not r.index.equals(index):
            raise IndexMismatchError(
                f"risks[{name!r}] has a pandas index different from y's (first labels "
                f"{list(r.index[:3])} vs {list(index[:3])}); irdp never aligns silently. "
                "Reindex it to y's index, or pass NumPy arrays."
            )
        arr = as_1d_array(r, f"risks[{name!r}]")
        if len(arr) != n:
            raise ValueError(f"risks[{name!r}] has {len(arr)} values for {n} workers.")
        known = np.isfinite(arr)
        bad = known & ((arr < 0) | (arr > 1))
        if bad.any():
            raise ValueError(
                f"risks[{name!r}] must be probabilities in [0, 1] (NaN = missing); found "
                f"{int(bad.sum())} values outside (e.g. {arr[bad][:3].tolist()}). Map scores to "
                "risks first (e.g. logistic recalibration of a points total)."
            )
        if known.sum() == 0:
            raise ValueError(f"risks[{name!r}] is missing for every worker.")
        out[str(name)] = arr
    return out


def _levels(r: np.ndarray, cuts: np.ndarray) -> pd.Categorical:
    codes = np.searchsorted(cuts, r, side="right")  # risk >= cut goes up a level
    return pd.Categorical.from_codes(codes, categories=list(LEVEL_LABELS[: len(cuts) + 1]))


def _pair_boot(i: int, rng: np.random.Generator, *, y: Any, ra: np.ndarray, rb: np.ndarray,
               funcs: Mapping[str, Any], horizon: float | None) -> dict[str, float]:
    rows = rng.integers(0, len(ra), size=len(ra))
    yb = y.take(rows)
    a = evaluate(funcs, yb, ra[rows], horizon, [])
    b = evaluate(funcs, yb, rb[rows], horizon, [])
    return {k: a[k] - b.get(k, np.nan) for k in a}


def _event_rows(y: Any, h: float | None) -> np.ndarray:
    return y.event.astype(bool) if h is None else (y.event & (y.time <= h))


_C_NAMES = ("auc", "c_harrell", "c_uno")


def _pair_differences(y: Any, ra: np.ndarray, rb: np.ndarray, funcs: Mapping[str, Any],
                      h: float | None, n_boot: int, seed: Any, n_jobs: Any, scheduler: Any,
                      level: float) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    va, vb = evaluate(funcs, y, ra, h), evaluate(funcs, y, rb, h)
    run = replicate(_pair_boot, n_boot, seed=seed, n_jobs=n_jobs, scheduler=scheduler,
                    kwargs={"y": y, "ra": ra, "rb": rb, "funcs": funcs, "horizon": h})
    rows = []
    for name in va:
        d = np.array([b.get(name, np.nan) for b in run.results])
        diff = va[name] - vb.get(name, np.nan)
        lo, hi = percentile_interval(d, level)
        # two-sided bootstrap p-value for "no difference", never below 1/(B+1)
        p = bootstrap_p_value(d) if np.isfinite(d).sum() >= 2 else float("nan")
        rows.append({"measure": name, "value_a": va[name], "value_b": vb.get(name, np.nan),
                     "difference": diff, "lower": float(lo), "upper": float(hi),
                     "p_value": p, "method": f"paired bootstrap percentile (B={n_boot})"})
    if y.kind == "binary":
        est = None
        for row in rows:
            if row["measure"] in _C_NAMES:
                est = est or delong_test(y, ra, rb, level=level)
                row.update(difference=est.value, lower=est.lower, upper=est.upper,
                           p_value=est.details["p_value"], method="DeLong paired")
    return rows, run.warnings


def _cutoffs(levels: Any, y: Any, h: float | None) -> tuple[np.ndarray | None, str]:
    """Level cut-offs and how they were chosen (None: no levels)."""
    if isinstance(levels, str):
        if levels != "incidence":
            raise ValueError(
                f"levels must be 'incidence', 2 cut-offs, a fitted RiskLevels or None; got "
                f"{levels!r}."
            )
        derived = incidence_thresholds(y, h, multiples=(1.0, 3.0))
        cuts = np.asarray(derived.thresholds, dtype=float)
        return cuts, ("derived from the outcome's incidence: faible below it, forte from "
                      f"3 times its odds ({derived.description})")
    how = "given"
    if hasattr(levels, "cutoffs_"):  # a fitted irdp.models.RiskLevels
        levels, how = levels.cutoffs_, "from the fitted RiskLevels"
    if levels is None:
        return None, ""
    cuts = np.sort(np.asarray(levels, dtype=float))
    if cuts.ndim != 1 or len(cuts) != 2 or (cuts <= 0).any() or (cuts >= 1).any():
        raise ValueError(
            f"levels must be 2 cut-offs in (0, 1) separating faible / intermédiaire / "
            f"forte; got {levels!r}."
        )
    return cuts, how


def compare(
    y: Any,
    risks: Mapping[str, Any],
    *,
    horizon: float | None = None,
    levels: Sequence[float] | Any | None = "incidence",
    thresholds: Sequence[float] | None = None,
    scoring: Mapping[str, Any] | Sequence[str] | None = None,
    n_boot: int = 200,
    seed: int | np.random.SeedSequence = 0,
    n_jobs: int | None = 1,
    level: float = 0.95,
    scheduler: Any = None,
) -> ComparisonResult:
    """Compare several risk indices on the same workers, pair by pair.

    Parameters
    ----------
    y : Binary, Survival or CompetingRisks
        Outcome of the workers.
    risks : dict of str -> array-like of shape (n_samples,)
        Predicted risks (probabilities by the horizon) of each index; NaN marks a worker
        the index could not score.
    horizon : float, optional
        Required for timed outcomes.
    levels : "incidence", sequence of 2 floats, fitted RiskLevels, or None, default="incidence"
        Cut-offs of the risk levels faible / intermédiaire / forte (risk >= cut-off moves up,
        as :class:`irdp.models.RiskLevels`, whose fitted ``cutoffs_`` are used when one is
        passed), used by the cross-tabulation and the categorical NRI. The default derives
        them from the outcome's incidence at the horizon ``pi``: ``pi`` and about ``3 pi``
        (3 times its odds; :func:`irdp.metrics.incidence_thresholds`; fixed cut-offs such
        as 0.1/0.3 put nearly every worker in "faible" for a 1 %-a-year outcome). The
        result says how they were chosen (``cutoffs_method``). None skips both.
    thresholds : sequence of float, optional
        Thresholds of the decision curves (default: those of :func:`irdp.metrics.net_benefit`).
    scoring : dict or list of str, optional
        Measures compared (registry names or aliases, or callables); default
        (:func:`irdp.metrics.default_measures`): AUC (binary) or Harrell's C, calibration
        slope, CITL (binary), O/E, Brier, IPA and ICI.
    n_boot : int, default=200
        Paired bootstrap replicates per pair.
    seed : int or numpy.random.SeedSequence, default=0
        Root seed; every pair gets its own spawned stream.
    n_jobs : int or None, default=1
        joblib workers for the bootstrap (results do not depend on it).
    level : float, default=0.95
    scheduler : None, "local", str or distributed.Client, default=None
        Run the bootstrap replicates on Dask (as :func:`bootstrap_validate`).

    Returns
    -------
    ComparisonResult

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=400)
    >>> y = (rng.random(400) < 1 / (1 + np.exp(-(x - 1)))).astype(int)
    >>> local = 1 / (1 + np.exp(-(0.5 * x - 1)))
    >>> local[:20] = np.nan  # 20 workers without the local score
    >>> res = compare(y, {"model": 1 / (1 + np.exp(-(x - 1))), "local": local},
    ...               scoring=["auc", "brier"], n_boot=50)
    >>> res.differences[["measure", "n"]].to_dict("list")
    {'measure': ['auc', 'brier'], 'n': [380, 380]}
    """
    yy, h = prepare_outcome(y, horizon)
    rs = _check_risks(risks, len(yy), yy.index)
    if isinstance(n_boot, bool) or int(n_boot) != n_boot or n_boot < 2:
        raise ValueError(f"n_boot must be an integer >= 2; got {n_boot!r}.")
    check_n_jobs(n_jobs)
    check_scheduler(scheduler)
    cuts, cuts_how = _cutoffs(levels, yy, h)
    funcs = resolve_measures(scoring, yy)
    names = list(rs)
    pairs = list(combinations(names, 2))
    seeds = as_seed_sequence(seed).spawn(len(pairs))
    events_all = _event_rows(yy, h)

    index_rows = []
    for name, r in rs.items():
        ok = np.flatnonzero(np.isfinite(r))
        ys = yy.take(ok)
        vals = evaluate(funcs, ys, r[ok], h)
        index_rows.append({"index": name, "n": len(ok), "n_missing": len(r) - len(ok),
                           "n_events": int(events_all[ok].sum()), **vals})
    diffs, recl, tabs, msgs = [], [], {}, set()
    for (a, b), ss in zip(pairs, seeds, strict=True):
        ok = np.flatnonzero(np.isfinite(rs[a]) & np.isfinite(rs[b]))
        ys, ra, rb = yy.take(ok), rs[a][ok], rs[b][ok]
        n_ev = int(events_all[ok].sum())
        rows, caught = _pair_differences(ys, ra, rb, funcs, h, int(n_boot), ss, n_jobs,
                                         scheduler, level)
        msgs.update(caught)
        for row in rows:
            diffs.append({"index_a": a, "index_b": b, **row, "n": len(ok), "n_events": n_ev})
        recl.extend(_reclassification(a, b, ys, ra, rb, h, cuts, level, len(ok), int(n_boot),
                                      ss))
        if cuts is not None:
            la, lb = _levels(ra, cuts), _levels(rb, cuts)
            ev = events_all[ok]
            tab_all = pd.crosstab(la, lb, rownames=[a], colnames=[b], dropna=False)
            tab_ev = pd.crosstab(la[ev], lb[ev], rownames=[a], colnames=[b], dropna=False)
            tabs[(a, b)] = pd.concat({"all": tab_all, "events": tab_ev})
    if msgs:
        warnings.warn(
            f"compare: {len(msgs)} distinct warnings in the paired bootstrap replicates, "
            f"e.g. {sorted(msgs)[0]!r}.",
            IrdpWarning,
            stacklevel=2,
        )
    common = np.flatnonzero(np.all([np.isfinite(r) for r in rs.values()], axis=0))
    curves = {}
    if len(common):
        yc = yy.take(common)
        for name, r in rs.items():
            kw = {} if thresholds is None else {"thresholds": thresholds}
            curves[name] = net_benefit(yc, r[common], horizon=h, name=name, **kw)
    return ComparisonResult(
        indices=pd.DataFrame(index_rows).set_index("index"),
        differences=pd.DataFrame(diffs),
        reclassification=pd.DataFrame(recl),
        crosstabs=tabs,
        decision_curves=curves,
        n_common=len(common),
        level=level,
        cutoffs=() if cuts is None else tuple(float(c) for c in cuts),
        cutoffs_method=cuts_how,
    )


def _reclassification(a: str, b: str, y: Any, ra: np.ndarray, rb: np.ndarray,
                      h: float | None, cuts: np.ndarray | None, level: float,
                      n: int, n_boot: int, seed: np.random.SeedSequence) -> list[dict[str, Any]]:
    """NRI (categorical and continuous) and IDI of b over a (secondary measures).

    Binary outcomes use Pencina's asymptotic SEs; timed outcomes a bootstrap (no analytic SE).
    """
    out = []
    boot: dict[str, Any] = {}
    if y.kind != "binary":
        boot = {"n_boot": n_boot, "seed": int(seed.generate_state(1)[0])}
    calls: list[tuple[str, Any, dict[str, Any]]] = [
        ("nri_continuous", nri, {"thresholds": None}), ("idi", idi, {})]
    if cuts is not None:
        calls.insert(0, ("nri_categorical", nri, {"thresholds": cuts}))
    for label, f, kw in calls:
        est = f(y, ra, rb, horizon=h, level=level, **boot, **kw)
        out.append({"index_a": a, "index_b": b, "measure": label, "value": est.value,
                    "lower": est.lower, "upper": est.upper, "method": est.method, "n": n})
    return out
