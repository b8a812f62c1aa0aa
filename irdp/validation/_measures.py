"""Which performance measures a validation design computes (private module).

Measures are looked up in the one registry :data:`irdp.metrics.METRICS` (canonical names
and aliases such as ``"c"``, ``"oe"``, ``"citl"``); tables are labelled with the canonical
names, so a measure has the same name and the same value in the ABCD table, the bootstrap,
IECV, the comparison of indices, the fairness and the missing-data tables. Designs accept
``scoring=`` as a list of names, or a dict ``{label: callable}`` for measures irdp does not
have (a callable ``f(y, risk, horizon=None)`` returning a float, an ``Estimate`` or a
mapping ``{name: value}``). Inside resampling, registry measures are evaluated by their
value-only path, sharing what they have in common (:func:`irdp.metrics.measure_values`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from irdp.metrics import METRICS, MetricInfo, default_measures, get_metric
from irdp.metrics._context import Context
from irdp.metrics._registry import ALIASES, DATA_ERRORS, values_in_context

__all__ = ["MEASURES", "default_measures", "resolve_measures", "evaluate", "estimate_of"]

Measure = MetricInfo | Callable[..., Any]


class _RegistryView(Mapping[str, MetricInfo]):
    """Read-only view of :data:`irdp.metrics.METRICS` by canonical name or alias."""

    def __getitem__(self, name: str) -> MetricInfo:
        if not isinstance(name, str) or name.strip().lower() not in ALIASES:
            raise KeyError(name)
        return METRICS[ALIASES[name.strip().lower()]]

    def __iter__(self) -> Iterator[str]:
        return iter(ALIASES)

    def __len__(self) -> int:
        return len(ALIASES)

    def __repr__(self) -> str:
        return f"MEASURES(view of irdp.metrics.METRICS: {sorted(METRICS)})"


#: Measures known by name (canonical names and aliases): a read-only view of the registry
#: :data:`irdp.metrics.METRICS`; each value is callable ``f(y, risk, horizon=None)``.
MEASURES: Mapping[str, MetricInfo] = _RegistryView()


def _registered(names: Sequence[str], kind: str) -> dict[str, MetricInfo]:
    out: dict[str, MetricInfo] = {}
    for name in names:
        info = get_metric(name)
        if not info.supports(kind):
            raise ValueError(
                f"measure {name!r} ({info.name}) is defined for {', '.join(info.kinds)} "
                f"outcomes; this outcome is {kind}. Leave it out of scoring."
            )
        out.setdefault(info.name, info)
    return out


def resolve_measures(
    measures: Mapping[str, Callable[..., Any]] | Sequence[str] | None,
    y: Any,
    *,
    purpose: str = "validation",
    with_se: bool = False,
) -> dict[str, Measure]:
    """Turn ``measures`` (None, names, or a dict of callables) into ``{label: measure}``.

    None gives the registry defaults of ``purpose`` for the outcome kind (only those with
    an analytic SE when ``with_se``). Names may be aliases; labels are canonical names.
    """
    if measures is None:
        names = default_measures(y.kind, purpose)
        chosen = _registered(names, y.kind)
        if with_se:
            chosen = {k: v for k, v in chosen.items() if v.has_se}
        return dict(chosen)
    if isinstance(measures, Mapping):
        bad = [k for k, f in measures.items() if not callable(f)]
        if bad:
            raise TypeError(f"scoring values must be callables f(y, risk, horizon); not {bad}.")
        return {str(k): f for k, f in measures.items()}
    if isinstance(measures, str):
        measures = [measures]
    chosen = _registered(list(measures), y.kind)
    if with_se:
        no_se = [k for k, v in chosen.items() if not v.has_se]
        if no_se:
            raise ValueError(
                f"measures {no_se} have no analytic standard error and cannot be pooled; "
                "choose measures with one (e.g. c_harrell, auc, oe_ratio, calibration_slope)."
            )
    return dict(chosen)


def _as_float(value: Any) -> float:
    if hasattr(value, "value"):
        return float(value.value)
    return float(value)


def evaluate(
    funcs: Mapping[str, Measure],
    y: Any,
    risk: np.ndarray,
    horizon: float | None,
    errors: list[str] | None = None,
) -> dict[str, float]:
    """Compute every measure; a measure these data cannot support gives nan.

    Registry measures share one validated context (value-only paths); the reasons for nan
    are appended to ``errors`` when a list is given.
    """
    reasons: list[str] = [] if errors is None else errors
    registered = [(k, f) for k, f in funcs.items() if isinstance(f, MetricInfo)]
    values: dict[str, float] = {}
    if registered:
        r = np.asarray(risk, dtype=float)
        if np.isfinite(r).all():
            # y and the horizon were validated once on the whole data; a resample is not
            # validated again (its last follow-up time may fall before the horizon)
            values = values_in_context(registered, Context(y, r, horizon), reasons)
        else:
            values = {k: float("nan") for k, _ in registered}
            reasons.append(f"{int((~np.isfinite(r)).sum())} predicted risks are not finite")
    out: dict[str, float] = {}
    for name, f in funcs.items():
        if isinstance(f, MetricInfo):
            out[name] = values[name]
            continue
        try:
            val = f(y, risk, horizon=horizon)
        except DATA_ERRORS as err:
            out[name] = float("nan")
            reasons.append(f"{name}: {type(err).__name__}: {err}")
            continue
        if isinstance(val, Mapping):
            for k, v in val.items():
                out[f"{k}"] = _as_float(v)
        else:
            out[name] = _as_float(val)
    return out


def estimate_of(f: Measure, y: Any, risk: np.ndarray, horizon: float | None) -> Any:
    """The Estimate (value and SE) of one measure, as pooled by IECV and centre summaries."""
    return f(y, risk, horizon=horizon)
