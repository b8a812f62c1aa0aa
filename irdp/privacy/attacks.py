"""Attacks on what a run publishes besides tables: model exports and step figures.

* :func:`step_event_counts` — the *increment attack*: a step function estimated from
  individual events (a Breslow or Efron baseline cumulative hazard, a Kaplan-Meier or
  Aalen-Johansen curve) jumps at each event time by an amount proportional to the number of
  events that day; dividing each jump by the smallest nearby jump (one event) gives the
  counts back, exactly on almost every day (issue 11, finding 2).
* :func:`model_export_findings` walks an exported model (JSON) for such step functions,
  for lists of event times of a cause (each time is a day on which someone had the event), and
  for small counts stored as numbers.
* :func:`figure_findings` reads a figure's data sidecar (``<figure>.data.json``, format in
  ``docs/privacy.md``) and applies the same attack to each step curve drawn, or reads the
  numbers at risk and events when the sidecar gives them (finding 3).

References
----------
Breslow N.E. Discussion of Cox (1972). *J R Stat Soc B* 1972;34:216-217 (the baseline
hazard jumps by d_j / sum of risk scores at each event time). Gerds T.A. et al.
``riskRegression::saveCoxConfidential`` (keep only what scoring needs, on a coarse grid).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from irdp.privacy.audit import Finding
from irdp.privacy.policy import DisclosurePolicy

__all__ = [
    "FIGURE_DATA_FORMAT",
    "figure_sidecar",
    "StepCounts",
    "step_event_counts",
    "model_export_findings",
    "figure_findings",
]

#: ``format`` field of a figure data sidecar (``<figure>.data.json``).
FIGURE_DATA_FORMAT = "irdp-figure-data"

_WINDOW = 3
_TIME_KEYS = re.compile(r"(^|_)(time|times|t|day|days|x)$", re.IGNORECASE)
_COUNT_KEYS = re.compile(r"^(n|n_obs|n_events|events|non_events|n_non_events|n_censored|"
                         r"n_competing|n_at_risk|n_workers|count)$", re.IGNORECASE)


class StepCounts:
    """Events per step recovered from a step function by :func:`step_event_counts`.

    Attributes
    ----------
    counts : numpy.ndarray
        Estimated number of events at each step (one per positive jump).
    integer_share : float
        Share of steps whose estimate is within 0.15 of an integer (near 1 when each jump is
        a whole number of events and the attack works).
    unit_confirmed : bool
        The smallest jump is known to be one event (the estimates add up to a published total
        of events), not just assumed.
    """

    def __init__(self, counts: np.ndarray, integer_share: float, unit_confirmed: bool) -> None:
        self.counts = counts
        self.integer_share = integer_share
        self.unit_confirmed = unit_confirmed

    def recovered(self, policy: DisclosurePolicy) -> np.ndarray:
        """Boolean per step: the step reveals fewer than ``min_count`` events."""
        c = self.counts
        exact = np.abs(c - np.round(c)) < 0.15
        return exact & (c >= 0.5) & (c < policy.min_count - 0.5)

    def breach(self, policy: DisclosurePolicy) -> bool:
        """The attack works: the estimates are whole numbers of events (or the unit is
        confirmed) on most steps, and some step holds fewer than ``min_count`` events."""
        if len(self.counts) < 3:
            return False
        works = self.unit_confirmed or self.integer_share >= 0.75
        return bool(works and self.recovered(policy).mean() >= 0.5)


def step_event_counts(
    times: Sequence[float],
    values: Sequence[float],
    *,
    n_events: float | None = None,
    kind: str = "auto",
) -> StepCounts:
    """Number of events at each step of a step function, from its jumps.

    Parameters
    ----------
    times : array-like of shape (n_steps,)
        Step times (increasing).
    values : array-like of shape (n_steps,)
        Cumulative hazard or incidence (non-decreasing), or survival (non-increasing).
    n_events : float, optional
        Total number of events behind the curve when published (an export's ``n_events``);
        the recovered unit is then checked against it.
    kind : {"auto", "cumulative", "survival"}, default="auto"
        ``survival`` curves are turned into cumulative hazards (``-log S``).

    Returns
    -------
    StepCounts

    Notes
    -----
    Each jump ``dH_j = d_j / R_j`` (events over the risk set, or the sum of risk scores), and
    ``R_j`` changes slowly between neighbouring days, so ``dH_j / min_{|k-j|<=3} dH_k``
    estimates ``d_j`` when the smallest nearby jump (within three steps) is one event; the
    jump of one event is then smoothed (running median of ``dH_j / round(d_j)``) to follow
    the drift of ``R_j`` and the division repeated. On a grid where every
    interval holds many events the ratios are not whole numbers and the attack fails.

    Examples
    --------
    >>> import numpy as np
    >>> d = np.array([1, 2, 1, 3, 1, 1, 4, 2, 1, 1])
    >>> risk_set = np.linspace(1000, 900, 10)
    >>> h = np.cumsum(d / risk_set)
    >>> np.round(step_event_counts(np.arange(10), h).counts).astype(int).tolist()
    [1, 2, 1, 3, 1, 1, 4, 2, 1, 1]
    """
    t = np.asarray(times, dtype=float)
    v = np.asarray(values, dtype=float)
    if t.shape != v.shape or t.ndim != 1:
        raise ValueError(f"times and values must be 1-D of the same length; got {t.shape} "
                         f"and {v.shape}.")
    ok = np.isfinite(t) & np.isfinite(v)
    t, v = t[ok], v[ok]
    if kind == "auto":
        kind = "survival" if len(v) > 1 and v[0] <= 1 and np.all(np.diff(v) <= 1e-15) \
            and v[-1] < v[0] else "cumulative"
    if kind == "survival":
        v = -np.log(np.clip(v, 1e-300, None))
    jumps = np.diff(np.concatenate([[0.0], v]))
    jumps = jumps[jumps > 1e-15 * max(1.0, float(np.max(np.abs(v))) if len(v) else 1.0)]
    if len(jumps) == 0:
        return StepCounts(np.array([]), 0.0, False)
    unit = np.array([jumps[max(0, j - _WINDOW): j + _WINDOW + 1].min()
                     for j in range(len(jumps))])
    counts = jumps / unit
    for _ in range(3):
        # the jump of one event, 1 / R_j, drifts as the risk set shrinks: smooth it with a
        # running median of the jump per event and divide again
        per_event = jumps / np.maximum(np.round(counts), 1.0)
        unit = np.array([np.median(per_event[max(0, j - _WINDOW): j + _WINDOW + 1])
                         for j in range(len(jumps))])
        counts = jumps / unit
    confirmed = False
    if n_events is not None and n_events > 0:
        total = float(np.round(counts).sum())
        confirmed = abs(total - n_events) <= 0.1 * n_events
        if not confirmed and total > 0:
            # the smallest jump is not one event: put the counts on the published total
            counts = counts * (n_events / counts.sum())
    share = float(np.mean(np.abs(counts - np.round(counts)) < 0.15))
    return StepCounts(counts, share, confirmed)


def _numbers(x: Any) -> np.ndarray | None:
    if not isinstance(x, list) or len(x) < 3:
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in x):
        return None
    return np.asarray(x, dtype=float)


def _walk(obj: Any, path: str = "$") -> Iterator[tuple[str, Any]]:
    yield path, obj
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(obj, list) and obj and any(isinstance(v, Mapping | list) for v in obj):
        for i, v in enumerate(obj):
            yield from _walk(v, f"{path}[{i}]")


def _step_series(d: Mapping[str, Any]) -> list[tuple[str, np.ndarray, str, np.ndarray]]:
    """(time key, times, value key, values) pairs of a dict: an increasing list of times
    and a monotone list of the same length."""
    out = []
    times = {k: a for k, v in d.items() if isinstance(k, str) and _TIME_KEYS.search(k)
             and (a := _numbers(v)) is not None and np.all(np.diff(a) > 0)}
    for tk, ta in times.items():
        for k, v in d.items():
            if k == tk or not isinstance(k, str):
                continue
            a = _numbers(v)
            if a is None or len(a) != len(ta):
                continue
            dif = np.diff(a)
            if np.all(dif >= -1e-15) or np.all(dif <= 1e-15):
                out.append((tk, ta, k, a))
    return out


def _n_events(node: Any, root: Any) -> float | None:
    """The published number of events behind a step function: ``n_events`` next to it, or
    the development summary of the export (single-cause models)."""
    for where in (node, root.get("development") if isinstance(root, Mapping) and
                  node is root else None):
        if isinstance(where, Mapping):
            for k in ("n_events", "events"):
                v = where.get(k)
                if isinstance(v, int | float) and not isinstance(v, bool):
                    return float(v)
    return None


def model_export_findings(
    export: Any, file: str, policy: DisclosurePolicy | None = None
) -> list[Finding]:
    """Attacks on an exported model (the parsed JSON of ``models/<name>.json``).

    Finds (1) step functions whose jumps give the number of events of each step
    (:func:`step_event_counts`); (2) lists of event times with one event per time (a cause's
    days of death); (3) counts stored as numbers (``n``, ``n_events``...) below ``min_count``.

    Parameters
    ----------
    export : object
        The parsed JSON.
    file : str
        Its path relative to the run folder (for the findings).
    policy : DisclosurePolicy, optional

    Returns
    -------
    list of Finding
    """
    policy = policy or DisclosurePolicy()
    out: list[Finding] = []
    dev_events = _n_events(export, export)
    grids = {path: node["grid_min_events"] for path, node in _walk(export)
             if isinstance(node, Mapping) and isinstance(node.get("grid_min_events"), int)
             and not isinstance(node.get("grid_min_events"), bool)}
    for path, node in _walk(export):
        if isinstance(node, Mapping):
            # a confidential grid (irdp's grid_min_events, riskRegression's coarsened
            # baseline): every interval holds at least k development events of every cause,
            # so the smallest jump is k or more events, not one; the attack's premise fails
            grid = max((k for p, k in grids.items() if path.startswith(p)), default=None)
            coarse = grid is not None and grid >= policy.min_count
            for tk, ta, vk, va in ([] if coarse else _step_series(node)):
                total = _n_events(node, export)
                if total is None and "causes" not in path:
                    total = dev_events
                res = step_event_counts(ta, va, n_events=total)
                if res.breach(policy):
                    rec = res.recovered(policy)
                    out.append(Finding(
                        kind="recoverable", attack="model-export", files=(file,),
                        location=f"{path}.{vk} (by {tk}, {len(ta)} steps)",
                        message=(f"the jumps of this step function give the number of events "
                                 f"of {int(rec.sum())} of its {len(res.counts)} steps, each "
                                 f"fewer than {policy.min_count} (increment attack); store "
                                 "the baseline only at the horizons used, or on a grid of at "
                                 f"least {policy.min_count} events per interval"),
                        lower=float(np.round(res.counts[rec]).min()) if rec.any() else np.nan,
                        upper=float(np.round(res.counts[rec]).max()) if rec.any() else np.nan,
                    ))
            for k, v in node.items():
                if (isinstance(k, str) and _COUNT_KEYS.match(k) and isinstance(v, int | float)
                        and not isinstance(v, bool) and v == int(v)
                        and policy.is_sensitive(float(v))):
                    out.append(Finding(
                        kind="readable", attack="model-export", files=(file,),
                        location=f"{path}.{k}",
                        message=f"a count of {v:g} (below {policy.min_count}) is stored",
                        lower=float(v), upper=float(v)))
    return out


def figure_sidecar(
    frame: pd.DataFrame,
    *,
    figure: str,
    kind: str = "step",
    steps: Mapping[str, str | None] | None = None,
) -> dict[str, Any]:
    """The data sidecar of a figure (``<figure>.data.json``): the coordinates it drew.

    Parameters
    ----------
    frame : pandas.DataFrame
        What the figure drew, one row per drawn point (``Display.to_frame()``).
    figure : str
        The figure's name (file stem).
    kind : str, default="step"
        ``step`` for step curves (Kaplan-Meier, Aalen-Johansen); anything else otherwise.
    steps : mapping, optional
        Columns holding ``series``, ``x``, ``y`` and, when known, ``n_at_risk``,
        ``n_events`` (since the last drawn point) or the group size ``n``.

    Returns
    -------
    dict
        JSON-ready (``json.dumps``); read back by :func:`figure_findings`.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"series": ["a", "a"], "x": [0.0, 90.0], "y": [0.0, 0.02],
    ...                   "n_at_risk": [600, 580], "n_events": [0, 12]})
    >>> side = figure_sidecar(f, figure="km", steps={"n_at_risk": "n_at_risk",
    ...                                               "n_events": "n_events"})
    >>> side["format"], figure_findings(side, "km.data.json")
    ('irdp-figure-data', [])
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame; got {type(frame).__name__}.")
    split = frame.reset_index(drop=True).to_dict(orient="split")
    data = [[None if isinstance(v, float) and v != v else
             (v.item() if hasattr(v, "item") else v) for v in row] for row in split["data"]]
    return {"format": FIGURE_DATA_FORMAT, "version": 1, "figure": str(figure),
            "kind": kind, "frame": {"columns": [str(c) for c in split["columns"]],
                                    "data": data},
            "steps": dict(steps) if steps is not None else None}


def _figure_frame(data: Mapping[str, Any]) -> pd.DataFrame:
    frame = data.get("frame", data)
    cols = frame.get("columns")
    rows = frame.get("data")
    if not isinstance(cols, list) or not isinstance(rows, list):
        raise ValueError("a figure data sidecar must hold 'columns' and 'data' (pandas "
                         "'split' orientation); see docs/privacy.md.")
    return pd.DataFrame(rows, columns=cols)


def _pick(frame: pd.DataFrame, given: Any, names: Sequence[str]) -> str | None:
    if isinstance(given, str) and given in frame.columns:
        return given
    for n in names:
        if n in frame.columns:
            return n
    return None


def figure_findings(
    data: Mapping[str, Any], file: str, policy: DisclosurePolicy | None = None
) -> list[Finding]:
    """Attacks on the coordinates of a figure (its ``<figure>.data.json`` sidecar).

    For each step curve drawn (``steps`` block of the sidecar, or columns named like
    ``series``/``x``/``y``): a step with fewer than ``min_count`` events or at-risk workers
    when the sidecar gives them, otherwise the increment attack on the drawn coordinates;
    with the group size known (``n`` column, or ``n=1072`` in the series label), a curve whose
    total jump times ``n`` is below ``min_count`` reveals a small number of events.

    Parameters
    ----------
    data : mapping
        The parsed sidecar.
    file : str
        Its path relative to the run folder.
    policy : DisclosurePolicy, optional

    Returns
    -------
    list of Finding
    """
    policy = policy or DisclosurePolicy()
    frame = _figure_frame(data)
    meta = data.get("steps") or {}
    if data.get("kind") not in (None, "step") and not meta:
        return []
    x = _pick(frame, meta.get("x"), ("time", "x", "t", "days"))
    y = _pick(frame, meta.get("y"), ("y", "cumulative_incidence", "cif", "survival", "risk",
                                     "value", "observed"))
    if x is None or y is None:
        return []
    series = _pick(frame, meta.get("series"), ("series", "label", "group", "level"))
    n_col = _pick(frame, meta.get("n"), ("n", "group_size"))
    ev_col = _pick(frame, meta.get("n_events"), ("n_events", "events"))
    risk_col = _pick(frame, meta.get("n_at_risk"), ("n_at_risk", "at_risk", "n_risk"))
    cols = {"x": x, "y": y, "n": n_col, "events": ev_col, "risk": risk_col}
    groups = [(None, frame)] if series is None else list(frame.groupby(series, sort=False))
    out: list[Finding] = []
    for label, part in groups:
        found = _series_findings(part.sort_values(x), label, cols, file, policy)
        if found is not None:
            out.append(found)
    return out


def _series_findings(part: pd.DataFrame, label: Any, cols: Mapping[str, str | None],
                     file: str, policy: DisclosurePolicy) -> Finding | None:
    """The attack on one drawn step curve."""
    where = f"series {label!r}" if label is not None else "curve"
    if cols["events"] is not None or cols["risk"] is not None:
        small = np.zeros(len(part), dtype=bool)
        for c in (cols["events"], cols["risk"]):
            if c is not None:
                v = pd.to_numeric(part[c], errors="coerce").to_numpy(float)
                small |= (v > 0) & (v < policy.min_count)
        if not small.any():
            return None
        return Finding("readable", "figure-steps", (file,), where,
                       f"{int(small.sum())} drawn step(s) hold fewer than {policy.min_count} "
                       "events or workers at risk")
    yv = pd.to_numeric(part[cols["y"]], errors="coerce").to_numpy(float)
    xv = pd.to_numeric(part[cols["x"]], errors="coerce").to_numpy(float)
    keep = np.concatenate([[True], np.diff(yv) != 0]) if len(yv) else np.array([], bool)
    xv, yv = xv[keep], yv[keep]
    n = None
    if cols["n"] is not None:
        n = float(pd.to_numeric(part[cols["n"]], errors="coerce").max())
    elif label is not None and (hit := re.search(r"n\s*=\s*([\d\s,]+)", str(label))):
        n = float(re.sub(r"[\s,]", "", hit.group(1)))
    if n is not None and n > 0:
        # jump x group size: the events of the step without censoring, more than them with
        # censoring, so a value below min_count proves a small step
        est = np.abs(np.diff(yv)) * n if len(yv) > 1 else np.array([])
        few = (est > 0.5) & (est < policy.min_count - 0.5)
        if not few.any():
            return None
        return Finding("recoverable", "figure-steps", (file,), where,
                       f"{int(few.sum())} of {len(est)} drawn steps stand for about 1 to "
                       f"{policy.min_count - 1} events (jump x group size {n:g}); draw only "
                       f"points where at least {policy.min_count} events have occurred since "
                       "the last", float(np.round(est[few]).min()),
                       float(np.round(est[few]).max()))
    if len(xv) >= 4:
        res = step_event_counts(xv, yv)
        if res.breach(policy):
            return Finding("recoverable", "figure-steps", (file,), where,
                           f"the jumps of the drawn curve give the number of events of "
                           f"{int(res.recovered(policy).sum())} of its steps (increment "
                           "attack)")
    return None
