"""The one registry of scalar measures (private module; public names in :mod:`irdp.metrics`).

Every scalar measure irdp reports is registered once here with its name, its aliases, the
outcome kinds it is defined for, whether it has an analytic standard error, the scale on
which it is pooled across centres or imputations, and two ways to compute it:

- ``info(y, risk, horizon=..., level=..., n_boot=...)`` — the public function, an
  :class:`~irdp.metrics.Estimate` with SE and interval;
- ``info.value(y, risk, horizon=...)`` — the value only, through the same code, without the
  SE, the interval or any pandas object (what resampling and group-by loops need).
  :func:`measure_values` evaluates several measures on the same rows sharing what they
  have in common (observed risk, censoring weights, the calibration curve).

Validation (:mod:`irdp.validation`), fairness (:mod:`irdp.fairness`), missing-data strategies
(:mod:`irdp.missing`), the pipeline and the experiment file all look measures up here, so a
measure has one name and gives one number wherever it is reported.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from irdp.exceptions import ComputationError, UnknownMeasureError
from irdp.metrics._context import Context, make_context, outcome_cached
from irdp.metrics._estimate import Estimate, normal_estimate
from irdp.metrics._inputs import prepare
from irdp.metrics.calibration import (
    _binary_slope_fit,
    _observed,
    _spiegelhalter,
    calibration,
    calibration_in_the_large,
    calibration_slope,
    citl_value,
    curve_at_rows,
    e_values,
    ici,
    oe_ratio,
    oe_value,
    slope_value,
)
from irdp.metrics.discrimination import (
    auc,
    auc_value,
    concordance,
    concordance_value,
    td_auc,
    td_auc_value,
)
from irdp.metrics.overall import _ipcw_status, brier, brier_value, ipa, ipa_value, observed_risk

__all__ = [
    "MetricInfo",
    "METRICS",
    "ALIASES",
    "get_metric",
    "canonical_name",
    "measure_values",
    "default_measures",
    "resolve",
    "values_in_context",
    "DATA_ERRORS",
]

Scale = Literal["identity", "logit", "log"]
_ALL = ("binary", "survival", "competing")
_TIMED = ("survival", "competing")

# what makes a measure unavailable on a given sample (recorded as NaN where asked)
DATA_ERRORS: tuple[type[BaseException], ...] = (
    ComputationError,
    np.linalg.LinAlgError,
    FloatingPointError,
)


@dataclass(frozen=True)
class MetricInfo:
    """Metadata of a scalar measure in :data:`METRICS`, callable as the measure itself.

    Attributes
    ----------
    name : str
        Canonical name (the name of the rows of every irdp table).
    func : callable
        ``func(y, risk, *, horizon=None, level=0.95, n_boot=None, ...) -> Estimate``.
    kinds : tuple of str
        Outcome kinds supported ("binary", "survival", "competing").
    needs_horizon : bool
        Whether timed outcomes need ``horizon`` (binary outcomes never do).
    needs_probability : bool
        Whether ``risk`` must be a probability in [0, 1] (else any score).
    group : str
        ABCD group: "A", "B", "C", "D", "calibration (moderate)", "overall", "descriptive".
    higher_is_better : bool or None
        Direction (None when the ideal is a target value, e.g. slope 1).
    ideal : float or None
    aliases : tuple of str
        Other accepted spellings (``"oe"``, ``"citl"``, ``"c"``...).
    has_se : bool
        Whether ``func`` gives an analytic standard error (else only the bootstrap does).
    scale : {"identity", "logit", "log"}
        Scale on which the measure is pooled (meta-analysis, Rubin's rules; Debray 2017).
    label : str
        Name for readers ("O/E ratio", "Harrell's C"...).
    """

    name: str
    func: Callable[..., Estimate]
    kinds: tuple[str, ...]
    needs_horizon: bool
    needs_probability: bool
    group: str
    higher_is_better: bool | None
    ideal: float | None = None
    aliases: tuple[str, ...] = ()
    has_se: bool = True
    scale: Scale = "identity"
    label: str = ""
    fast: Callable[[Context], float] | None = None

    def __call__(self, y: Any, risk: Any, **kwargs: Any) -> Estimate:
        return self.func(y, risk, **kwargs)

    def supports(self, kind: str) -> bool:
        """Whether the measure is defined for outcomes of ``kind``."""
        return kind in self.kinds

    def value(self, y: Any, risk: Any, *, horizon: float | None = None) -> float:
        """The value only (no SE, no interval): the same number as ``func(...).value``.

        Raises :class:`~irdp.exceptions.InsufficientDataError` (or another
        :class:`~irdp.exceptions.ComputationError`) when these data cannot support it.
        """
        ctx = make_context(y, risk, horizon)
        return _value(self, ctx)


def _value(info: MetricInfo, ctx: Context) -> float:
    if not info.supports(ctx.kind):
        raise TypeError(
            f"{info.name} supports outcomes of kind {', '.join(info.kinds)}; got a {ctx.kind} "
            "outcome. Choose another measure or convert the outcome."
        )
    if info.needs_probability:
        ctx.require_probability(info.name)
    if info.needs_horizon and ctx.kind != "binary":
        ctx.require_horizon(info.name)
    if info.fast is not None:
        return float(info.fast(ctx))
    return float(info.func(ctx.y, ctx.risk, horizon=ctx.horizon).value)


# --------------------------------------------------------------------------- shared pieces
def _observed_of(ctx: Context) -> float:
    return outcome_cached(ctx.y, ("observed", ctx.horizon),
                          lambda: observed_risk(ctx.y, ctx.horizon))


def _ipcw_of(ctx: Context) -> Any:
    return outcome_cached(ctx.y, ("ipcw", ctx.horizon),
                          lambda: _ipcw_status(ctx.y, ctx.horizon))


def _e_of(ctx: Context, name: str) -> float:
    pc = ctx.cached("curve_at_rows", lambda: curve_at_rows(
        ctx.y, ctx.risk, ctx.horizon, observed=_observed_of(ctx)))
    return e_values(ctx.risk, pc, (name,))[name]


# --------------------------------------------------------------------------- fast values
def _f_oe(ctx: Context) -> float:
    return oe_value(ctx.y, ctx.risk, ctx.horizon, observed=_observed_of(ctx))


def _f_citl(ctx: Context) -> float:
    return citl_value(ctx.y, ctx.risk)


def _f_slope(ctx: Context) -> float:
    return slope_value(ctx.y, ctx.risk, ctx.horizon)


def _f_intercept(ctx: Context) -> float:
    return float(_binary_slope_fit(ctx.y.y, ctx.risk)[0][0])


def _f_spiegelhalter(ctx: Context) -> float:
    return _spiegelhalter(ctx.y.y, ctx.risk, 0.95).value


def _f_auc(ctx: Context) -> float:
    return auc_value(ctx.y, ctx.risk, ctx.horizon)


def _f_c_harrell(ctx: Context) -> float:
    return concordance_value(ctx.y, ctx.risk, ctx.horizon, "harrell")


def _f_c_uno(ctx: Context) -> float:
    return concordance_value(ctx.y, ctx.risk, ctx.horizon, "uno", ctx.horizon)


def _f_td_auc(ctx: Context) -> float:
    return td_auc_value(ctx.y, ctx.risk, ctx.horizon, 2)


def _f_td_auc_def1(ctx: Context) -> float:
    return td_auc_value(ctx.y, ctx.risk, ctx.horizon, 1)


def _f_brier(ctx: Context) -> float:
    return brier_value(ctx.y, ctx.risk, ctx.horizon, _ipcw_of(ctx))


def _f_ipa(ctx: Context) -> float:
    return ipa_value(ctx.y, ctx.risk, ctx.horizon, _ipcw_of(ctx), _observed_of(ctx))


def _f_e(name: str) -> Callable[[Context], float]:
    def f(ctx: Context) -> float:
        return _e_of(ctx, name)

    f.__name__ = f"_f_{name}"
    return f


def _f_observed(ctx: Context) -> float:
    return _observed_of(ctx)


def _f_mean_risk(ctx: Context) -> float:
    return float(ctx.risk.mean())


# --------------------------------------------------------------------------- estimates
def _c_uno(y: Any, risk: Any, *, horizon: float | None = None, **kw: Any) -> Estimate:
    """Uno's C (``concordance(method="uno", tau=horizon)``)."""
    return concordance(y, risk, horizon=horizon, method="uno", tau=horizon, **kw)


def _td_auc_def1(y: Any, risk: Any, *, horizon: float | None = None, **kw: Any) -> Estimate:
    """td-AUC with definition 1 (event-free controls only) for competing risks."""
    return td_auc(y, risk, horizon=horizon, definition=1, **kw)


def _from_calibration(attr: str) -> Callable[..., Estimate]:
    def f(y: Any, risk: Any, **kw: Any) -> Estimate:
        est = getattr(calibration(y, risk, **kw), attr)
        if est is None:
            raise TypeError(f"{attr} is only defined for binary outcomes.")
        return est

    f.__name__ = attr
    f.__doc__ = f"{attr} of the calibration hierarchy (see irdp.metrics.calibration)."
    return f


def _observed_estimate(y: Any, risk: Any, *, horizon: float | None = None,
                       level: float = 0.95, **_: Any) -> Estimate:
    """Observed risk (prevalence, 1 - Kaplan-Meier or Aalen-Johansen) with a Wald interval."""
    out, r, h = prepare(y, risk, horizon=horizon)
    obs, var, n_ev = _observed(out, h)
    return normal_estimate("observed_risk", obs, float(np.sqrt(max(var, 0.0))), level,
                           method="Wald (binomial, Greenwood or Aalen-Johansen variance)",
                           clip=(0.0, 1.0), n=len(r), n_events=n_ev, horizon=h)


def _mean_risk_estimate(y: Any, risk: Any, *, horizon: float | None = None,
                        level: float = 0.95, **_: Any) -> Estimate:
    """Mean predicted risk (the expected risk E of O/E), with a Wald interval."""
    out, r, h = prepare(y, risk, horizon=horizon)
    se = float(np.std(r, ddof=1) / np.sqrt(len(r))) if len(r) > 1 else float("nan")
    return normal_estimate("mean_risk", float(r.mean()), se, level, method="Wald",
                           clip=(0.0, 1.0), n=len(r), n_events=-1, horizon=h)


_M = MetricInfo
_CM = "calibration (moderate)"

METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in [
        _M("oe_ratio", oe_ratio, _ALL, True, True, "A", None, 1.0,
           ("oe", "o/e", "o_e", "observed_expected"), True, "log", "O/E ratio", _f_oe),
        _M("calibration_in_the_large", calibration_in_the_large, ("binary",), False, True,
           "A", None, 0.0, ("citl",), True, "identity", "Calibration-in-the-large", _f_citl),
        _M("calibration_slope", calibration_slope, _ALL, True, True, "B", None, 1.0,
           ("slope",), True, "identity", "Calibration slope", _f_slope),
        _M("intercept_joint_fit", _from_calibration("intercept_joint"), ("binary",), False,
           True, "B", None, 0.0, ("intercept",), True, "identity",
           "Intercept of the joint fit (rms val.prob)", _f_intercept),
        _M("auc", auc, _ALL, True, False, "C", True, None, ("roc_auc",), True, "logit", "AUC",
           _f_auc),
        _M("c_harrell", concordance, _ALL, False, False, "C", True, None,
           ("c", "concordance", "c_index", "cindex", "harrell_c"), True, "logit",
           "Harrell's C", _f_c_harrell),
        _M("c_uno", _c_uno, _ALL, False, False, "C", True, None, ("uno_c",), True, "logit",
           "Uno's C", _f_c_uno),
        _M("td_auc", td_auc, _TIMED, True, False, "C", True, None,
           ("time_dependent_auc",), True, "logit", "Time-dependent AUC", _f_td_auc),
        _M("td_auc_def1", _td_auc_def1, ("competing",), True, False, "C", True, None, (), True,
           "logit", "Time-dependent AUC (definition 1)", _f_td_auc_def1),
        _M("brier", brier, _ALL, True, True, "overall", False, 0.0, ("brier_score",), True,
           "identity", "Brier score", _f_brier),
        _M("ipa", ipa, _ALL, True, True, "overall", True, None,
           ("scaled_brier", "index_of_prediction_accuracy"), True, "identity",
           "Index of prediction accuracy", _f_ipa),
        _M("ici", ici, _ALL, True, True, _CM, False, 0.0, ("eavg",), False, "identity",
           "Integrated calibration index", _f_e("ici")),
        _M("e50", _from_calibration("e50"), _ALL, True, True, _CM, False, 0.0, (), False,
           "identity", "E50", _f_e("e50")),
        _M("e90", _from_calibration("e90"), _ALL, True, True, _CM, False, 0.0, (), False,
           "identity", "E90", _f_e("e90")),
        _M("emax", _from_calibration("emax"), _ALL, True, True, _CM, False, 0.0, (), False,
           "identity", "Emax", _f_e("emax")),
        _M("eci", _from_calibration("eci"), _ALL, True, True, _CM, False, 0.0, (), False,
           "identity", "Estimated calibration index", _f_e("eci")),
        _M("spiegelhalter_z", _from_calibration("spiegelhalter"), ("binary",), False, True,
           _CM, None, 0.0, ("spiegelhalter",), False, "identity", "Spiegelhalter's z",
           _f_spiegelhalter),
        _M("observed_risk", _observed_estimate, _ALL, True, False, "descriptive", None, None,
           (), True, "identity", "Observed risk", _f_observed),
        _M("mean_risk", _mean_risk_estimate, _ALL, False, True, "descriptive", None, None,
           ("expected_risk",), True, "identity", "Mean predicted risk", _f_mean_risk),
    ]
}
"""Registry of the scalar measures: canonical name -> :class:`MetricInfo`. Every entry
returns an :class:`~irdp.metrics.Estimate` and accepts ``horizon``, ``level`` and the
resampling arguments ``n_boot``, ``seed``, ``n_jobs``, ``scheduler``; look names (or aliases)
up with :func:`get_metric`."""

ALIASES: dict[str, str] = {
    **{a: m.name for m in METRICS.values() for a in m.aliases},
    **{m.name: m.name for m in METRICS.values()},
}
"""Every accepted spelling (canonical names and aliases, lower case) -> canonical name."""

_DEFAULTS: dict[str, dict[str, tuple[str, ...]]] = {
    # internal validation (bootstrap, cross-validation) and comparison of indices; the C
    # statistic is c_harrell for every outcome kind (for a binary outcome it is the AUC,
    # with DeLong's SE), so "c" names the same row whatever the outcome
    "validation": {
        "binary": ("c_harrell", "calibration_slope", "calibration_in_the_large", "oe_ratio",
                   "brier", "ipa", "ici"),
        "timed": ("c_harrell", "calibration_slope", "oe_ratio", "brier", "ipa", "ici"),
    },
    # what is pooled across centres (Debray 2017): C, O/E and calibration slope
    "pooling": {
        "binary": ("c_harrell", "oe_ratio", "calibration_slope"),
        "timed": ("c_harrell", "oe_ratio", "calibration_slope"),
    },
    # by-group performance (fairness)
    "fairness": {
        "binary": ("auc", "observed_risk", "mean_risk", "oe_ratio", "calibration_in_the_large",
                   "calibration_slope", "brier"),
        "timed": ("auc", "observed_risk", "mean_risk", "oe_ratio", "calibration_slope",
                  "brier"),
    },
    # missing-data strategies (pooled with Rubin's rules)
    "missing": {
        "binary": ("auc", "oe_ratio", "calibration_in_the_large", "calibration_slope"),
        "timed": ("auc", "oe_ratio", "calibration_slope"),
    },
}


def canonical_name(name: str) -> str:
    """The canonical name of a measure (or alias); UnknownMeasureError with a suggestion."""
    if not isinstance(name, str):
        raise TypeError(f"a measure name must be a str; got {type(name).__name__}.")
    key = name.strip().lower()
    if key in ALIASES:
        return ALIASES[key]
    close = difflib.get_close_matches(key, list(ALIASES), n=3, cutoff=0.6)
    hint = (f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else
            f" Known measures: {', '.join(sorted(METRICS))}.")
    raise UnknownMeasureError(f"unknown measure {name!r}.{hint}")


def get_metric(name: str) -> MetricInfo:
    """Look a measure up in :data:`METRICS` by its name or an alias.

    Raises
    ------
    UnknownMeasureError
        (a ``ValueError``) for an unknown name, with the closest names ("did you mean").

    Examples
    --------
    >>> from irdp.metrics import get_metric
    >>> get_metric("oe").name, get_metric("c").scale
    ('oe_ratio', 'logit')
    """
    return METRICS[canonical_name(name)]


def default_measures(kind: str, purpose: str = "validation") -> tuple[str, ...]:
    """Canonical names of the default measures of a ``purpose`` for an outcome ``kind``.

    Purposes: ``"validation"`` (bootstrap, cross-validation, comparison), ``"pooling"``
    (IECV, centre summaries), ``"fairness"`` (by-group performance), ``"missing"``
    (missing-data strategies).
    """
    if purpose not in _DEFAULTS:
        raise ValueError(f"purpose must be one of {sorted(_DEFAULTS)}; got {purpose!r}.")
    if kind not in _ALL:
        raise ValueError(f"kind must be one of {_ALL}; got {kind!r}.")
    return _DEFAULTS[purpose]["binary" if kind == "binary" else "timed"]


def resolve(names: str | Iterable[str]) -> list[MetricInfo]:
    """Registry entries of ``names`` (aliases resolved, duplicates dropped, order kept)."""
    if isinstance(names, str):
        names = [names]
    out: dict[str, MetricInfo] = {}
    for n in names:
        info = get_metric(n)
        out.setdefault(info.name, info)
    return list(out.values())


def measure_values(
    measures: Sequence[str | MetricInfo] | Mapping[str, MetricInfo],
    y: Any,
    risk: Any,
    *,
    horizon: float | None = None,
    errors: list[str] | None = None,
) -> dict[str, float]:
    """Values of several measures on the same rows, sharing their common computations.

    Parameters
    ----------
    measures : sequence of names (or MetricInfo), or dict {label: MetricInfo}
        Measures to compute (aliases allowed). With a dict, results use its labels.
    y : Binary, Survival, CompetingRisks or array-like of 0/1
    risk : array-like of shape (n_samples,)
    horizon : float, optional
        Required by most measures for timed outcomes.
    errors : list, optional
        When given, a measure these data cannot support (a
        :class:`~irdp.exceptions.ComputationError`, e.g. no event in a resample) is NaN and
        the reason is appended here; otherwise the error propagates.

    Returns
    -------
    dict of str -> float
        In the order asked.

    Examples
    --------
    >>> from irdp.metrics import measure_values
    >>> vals = measure_values(["auc", "oe", "brier"], [0, 1, 1, 0], [0.2, 0.6, 0.4, 0.3])
    >>> {k: round(v, 4) for k, v in vals.items()}
    {'auc': 1.0, 'oe_ratio': 1.3333, 'brier': 0.1625}
    """
    if isinstance(measures, Mapping):
        items = [(str(k), v if isinstance(v, MetricInfo) else get_metric(v))
                 for k, v in measures.items()]
    else:
        infos = [m if isinstance(m, MetricInfo) else get_metric(m) for m in measures]
        items = [(m.name, m) for m in infos]
    ctx = make_context(y, risk, horizon)
    out: dict[str, float] = {}
    for label, info in items:
        if errors is None:
            out[label] = _value(info, ctx)
            continue
        try:
            out[label] = _value(info, ctx)
        except DATA_ERRORS as err:
            out[label] = float("nan")
            errors.append(f"{label}: {type(err).__name__}: {err}")
    return out


def values_in_context(items: Sequence[tuple[str, MetricInfo]], ctx: Context,
                      errors: list[str] | None) -> dict[str, float]:
    """:func:`measure_values` on an already validated context (resampling loops)."""
    out: dict[str, float] = {}
    for label, info in items:
        try:
            out[label] = _value(info, ctx)
        except DATA_ERRORS as err:
            if errors is None:
                raise
            out[label] = float("nan")
            errors.append(f"{label}: {type(err).__name__}: {err}")
    return out
