"""One outcome and one risk vector, validated once, with the pieces measures share (private).

The value-only path of the measure registry (:meth:`irdp.metrics.MetricInfo.value`,
:func:`irdp.metrics.measure_values`) evaluates several measures on the same rows, as a
bootstrap replicate or a fairness group does. A :class:`Context` holds the validated outcome
container, the risks as an ndarray and the horizon, and caches what several measures need:
the events by the horizon, the observed (Kaplan-Meier / Aalen-Johansen) risk, the censoring
weights, the outcome censored at the horizon, the flexible calibration curve at the rows.
No pandas object is created on this path and no standard error is computed.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from irdp.exceptions import InsufficientDataError
from irdp.metrics._inputs import Outcome, prepare
from irdp.outcomes import Binary

__all__ = ["Context", "make_context", "outcome_cached", "truncated"]

# Pieces that depend on the outcome only (observed risk, censoring weights, the outcome
# censored at the horizon...), kept while the outcome container lives. A bootstrap scores
# every replicate's model on the same original outcome: those pieces are computed once.
# Outcome containers are immutable (read-only arrays), so the cache cannot go stale.
_OUTCOMES: dict[int, tuple[Any, dict[Any, Any]]] = {}
_LOCK = threading.Lock()


def outcome_cached(y: Any, key: Any, compute: Callable[[], Any]) -> Any:
    """``compute()`` for the outcome ``y`` and ``key``, computed once while ``y`` lives."""
    ident = id(y)
    with _LOCK:
        hit = _OUTCOMES.get(ident)
        if hit is None or hit[0]() is not y:
            # the callback keeps its own reference to the dict: it may run at interpreter
            # exit, after the module's globals are gone
            ref = weakref.ref(y, lambda _, k=ident, d=_OUTCOMES: d.pop(k, None))
            hit = (ref, {})
            _OUTCOMES[ident] = hit
        store = hit[1]
        if key in store:
            return store[key]
    value = compute()
    with _LOCK:
        store[key] = value
    return value


class Context:
    """Validated ``(y, risk, horizon)`` with a cache of shared intermediate results."""

    __slots__ = ("y", "risk", "horizon", "_cache")

    def __init__(self, y: Outcome, risk: np.ndarray, horizon: float | None) -> None:
        self.y = y
        self.risk = risk
        self.horizon = horizon
        self._cache: dict[str, Any] = {}

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """Return ``compute()``, computed once per context."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    @property
    def n(self) -> int:
        """Number of subjects."""
        return len(self.risk)

    @property
    def kind(self) -> str:
        """Outcome kind: binary, survival or competing."""
        return self.y.kind

    def events_by_horizon(self) -> int:
        """Events of interest at or before the horizon (all events for a binary outcome)."""
        return outcome_cached(self.y, ("n_events", self.horizon),
                              lambda: events_by_horizon(self.y, self.horizon))

    def require_horizon(self, measure: str) -> float:
        """The horizon, which a timed outcome needs."""
        if self.horizon is None:
            raise ValueError(
                f"horizon is required for {measure} on a {self.kind} outcome; got None. Pass "
                "the prediction horizon (e.g. horizon=2.0)."
            )
        return float(self.horizon)

    def require_probability(self, measure: str) -> None:
        """Refuse risks outside [0, 1] for measures of absolute risk."""
        ok = self.cached("is_probability",
                         lambda: bool(self.risk.min() >= 0.0 and self.risk.max() <= 1.0))
        if not ok:
            raise ValueError(
                f"{measure} needs risks that are probabilities in [0, 1]; found values from "
                f"{self.risk.min():.4g} to {self.risk.max():.4g}. Map scores to risks first."
            )


def events_by_horizon(y: Outcome, horizon: float | None) -> int:
    """Number of events of interest by ``horizon`` (all events of a binary outcome)."""
    if isinstance(y, Binary) or horizon is None:
        return int(y.n_events)
    return int(np.count_nonzero(y.event & (y.time <= horizon)))


def truncated(y: Any, horizon: float) -> Any:
    """``y.truncate(horizon)``, computed once per outcome and horizon."""
    return outcome_cached(y, ("truncate", float(horizon)), lambda: y.truncate(horizon))


def make_context(y: Any, risk: Any, horizon: Any = None, *, need_horizon: bool = False
                 ) -> Context:
    """Validate once (any score accepted; measures of absolute risk check the range)."""
    out, r, h = prepare(y, risk, horizon=horizon, probability=False,
                        need_horizon=need_horizon)
    return Context(out, r, h)


def insufficient(measure: str, why: str, ctx: Context) -> InsufficientDataError:
    """The error a measure raises when these data cannot support it."""
    return InsufficientDataError(
        f"{measure} cannot be computed on these data: {why} (n={ctx.n}, events by the "
        f"horizon={ctx.events_by_horizon()})."
    )
