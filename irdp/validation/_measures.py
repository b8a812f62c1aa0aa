"""Which performance measures a validation design computes (private module).

A measure is a callable ``f(y, risk, horizon=None)`` returning a float, an irdp
``Estimate`` (``.value``, ``.se``) or a mapping ``{name: value}`` (several measures from one
computation, e.g. the calibration hierarchy). Designs accept ``scoring=`` as a dict
``{name: callable}`` or a list of names from :data:`MEASURES`; the defaults are the ABCD
measures of irdp.metrics for the outcome type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["MEASURES", "default_measures", "resolve_measures", "evaluate"]


def metric(name: str) -> Any:
    """The public irdp.metrics function ``name`` (also found in its submodules), or None."""
    import importlib

    import irdp.metrics as metrics

    found = getattr(metrics, name, None)
    if callable(found):
        return found
    for sub in ("calibration", "utility", "reclassification", "discrimination", "overall"):
        try:
            mod = importlib.import_module(f"irdp.metrics.{sub}")
        except ImportError:
            continue
        found = getattr(mod, name, None)
        if callable(found):
            return found
    return None


class _Metrics:
    """Attribute access to irdp.metrics functions wherever they are defined."""

    def __getattr__(self, name: str) -> Any:
        f = metric(name)
        if f is None:
            raise AttributeError(f"irdp.metrics has no function {name!r}.")
        return f


def _metrics() -> Any:
    return _Metrics()


def _c(y: Any, risk: np.ndarray, horizon: float | None = None) -> Any:
    m = _metrics()
    if y.kind == "binary":
        return m.auc(y, risk)
    return m.concordance(y, risk, horizon=horizon)


def _auc(y: Any, risk: np.ndarray, horizon: float | None = None) -> Any:
    m = _metrics()
    if y.kind == "binary":
        return m.auc(y, risk)
    return m.td_auc(y, risk, horizon=horizon)


def _calibration_report(y: Any, risk: np.ndarray, horizon: float | None) -> Any:
    return _metrics().calibration(y, risk, horizon=horizon)


def _slope(y: Any, risk: np.ndarray, horizon: float | None = None) -> Any:
    return _metrics().calibration_slope(y, risk, horizon=horizon)


def _oe(y: Any, risk: np.ndarray, horizon: float | None = None) -> Any:
    return _metrics().oe_ratio(y, risk, horizon=horizon)


def _citl(y: Any, risk: np.ndarray, horizon: float | None = None) -> Any:
    return _metrics().calibration_in_the_large(y, risk, horizon=horizon)


def _brier(y: Any, risk: np.ndarray, horizon: float | None = None) -> Any:
    return _metrics().brier(y, risk, horizon=horizon)


def _ipa(y: Any, risk: np.ndarray, horizon: float | None = None) -> Any:
    return _metrics().ipa(y, risk, horizon=horizon)


def _ici(y: Any, risk: np.ndarray, horizon: float | None = None) -> Any:
    # Binary: the rms smoother (lowess, f=2/3, iter=0), as rms::calibrate; it is ~70x faster
    # than loess on 100k rows, which matters when ICI is recomputed in every resample.
    if y.kind == "binary":
        return _metrics().ici(y, risk, smoother="lowess")
    return _metrics().ici(y, risk, horizon=horizon)


#: Measures known by name: ``name -> f(y, risk, horizon=None)``.
MEASURES: dict[str, Callable[..., Any]] = {
    "c": _c,
    "auc": _auc,
    "calibration_slope": _slope,
    "citl": _citl,
    "oe": _oe,
    "brier": _brier,
    "ipa": _ipa,
    "ici": _ici,
}

_DEFAULTS = {
    "binary": ("c", "calibration_slope", "citl", "oe", "brier", "ipa", "ici"),
    "survival": ("c", "calibration_slope", "oe", "brier", "ipa", "ici"),
    "competing": ("c", "calibration_slope", "oe", "brier", "ipa", "ici"),
}

_SE_CAPABLE = ("c", "auc", "calibration_slope", "oe", "citl")

# Metric function each named measure needs (defaults skip what irdp.metrics lacks).
_NEEDS = {
    "c": "concordance",
    "auc": "auc",
    "calibration_slope": "calibration_slope",
    "citl": "calibration_in_the_large",
    "oe": "oe_ratio",
    "brier": "brier",
    "ipa": "ipa",
    "ici": "ici",
}


def _available(name: str) -> bool:
    return metric(_NEEDS[name]) is not None


def default_measures(kind: str) -> tuple[str, ...]:
    """Names of the default measures for an outcome kind."""
    return _DEFAULTS[kind]


def resolve_measures(
    measures: Mapping[str, Callable[..., Any]] | Sequence[str] | None,
    y: Any,
    *,
    default: Sequence[str] | None = None,
    with_se: bool = False,
) -> dict[str, Callable[..., Any]]:
    """Turn ``measures`` (None, names, or dict) into ``{name: callable}``."""
    if measures is None:
        names = tuple(default) if default is not None else default_measures(y.kind)
        if with_se:
            names = tuple(n for n in names if n in _SE_CAPABLE)
        return {n: MEASURES[n] for n in names if _available(n)}
    if isinstance(measures, Mapping):
        bad = [k for k, f in measures.items() if not callable(f)]
        if bad:
            raise TypeError(f"scoring values must be callables f(y, risk, horizon); not {bad}.")
        return dict(measures)
    if isinstance(measures, str):
        measures = [measures]
    unknown = [m for m in measures if m not in MEASURES]
    if unknown:
        raise ValueError(
            f"unknown measure names {unknown}; known: {sorted(MEASURES)}. Pass a dict "
            "{name: callable} for other measures."
        )
    return {m: MEASURES[m] for m in measures}


def _as_float(value: Any) -> float:
    if hasattr(value, "value"):
        return float(value.value)
    return float(value)


def evaluate(
    funcs: Mapping[str, Callable[..., Any]],
    y: Any,
    risk: np.ndarray,
    horizon: float | None,
    errors: list[str] | None = None,
) -> dict[str, float]:
    """Compute every measure; a measure that cannot be computed on this sample gives nan.

    The reasons are appended to ``errors`` when a list is given.
    """
    from irdp.validation._fitting import FIT_ERRORS

    out: dict[str, float] = {}
    for name, f in funcs.items():
        try:
            val = f(y, risk, horizon=horizon)
        except FIT_ERRORS as err:
            out[name] = float("nan")
            if errors is not None:
                errors.append(f"{name}: {type(err).__name__}: {err}")
            continue
        if isinstance(val, Mapping):
            for k, v in val.items():
                out[f"{k}"] = _as_float(v)
        else:
            out[name] = _as_float(val)
    return out
