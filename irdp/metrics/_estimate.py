"""The small frozen result every irdp measure returns, and the normal-theory helpers.

An :class:`Estimate` carries a point value with its standard error and confidence
interval, plus the name of the measure and how the interval was obtained, so results from
different measures can be stacked into one tidy table (see :func:`irdp.metrics.performance`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["Estimate", "normal_estimate", "z_value"]


def z_value(level: float) -> float:
    """Two-sided standard-normal quantile for a confidence ``level`` in (0, 1)."""
    if not isinstance(level, int | float) or isinstance(level, bool):
        raise TypeError(f"level must be a number in (0, 1); got {level!r}.")
    if not 0.0 < float(level) < 1.0:
        raise ValueError(
            f"level must lie strictly between 0 and 1 (e.g. 0.95); got {level!r}."
        )
    return float(stats.norm.ppf(0.5 + float(level) / 2.0))


@dataclass(frozen=True)
class Estimate:
    """A point estimate with standard error and confidence interval.

    Attributes
    ----------
    name : str
        Name of the measure (e.g. ``"auc"``).
    value : float
        Point estimate. ``float(estimate)`` returns it.
    se : float
        Standard error (NaN when none is available).
    lower, upper : float
        Confidence limits at ``level`` (NaN when none are available).
    level : float
        Confidence level of the interval.
    method : str
        How the interval was obtained (e.g. ``"DeLong"``, ``"infinitesimal jackknife"``,
        ``"bootstrap percentile (B=500)"``).
    n : int
        Number of subjects used.
    n_events : int
        Number of events of interest used (-1 when not applicable).
    horizon : float or None
        Horizon the measure refers to, for timed outcomes.
    details : dict
        Extra quantities specific to the measure (read-only by convention).

    Examples
    --------
    >>> from irdp.metrics import Estimate
    >>> e = Estimate("auc", 0.75, 0.05, 0.652, 0.848)
    >>> float(e)
    0.75
    >>> e
    Estimate(auc=0.75, se=0.05, 95% CI 0.652 to 0.848)
    """

    name: str
    value: float
    se: float = float("nan")
    lower: float = float("nan")
    upper: float = float("nan")
    level: float = 0.95
    method: str = ""
    n: int = -1
    n_events: int = -1
    horizon: float | None = None
    details: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __float__(self) -> float:
        return float(self.value)

    def __repr__(self) -> str:
        parts = [f"{self.name}={_fmt(self.value)}"]
        if np.isfinite(self.se):
            parts.append(f"se={_fmt(self.se)}")
        if np.isfinite(self.lower) or np.isfinite(self.upper):
            parts.append(
                f"{_fmt(100 * self.level)}% CI {_fmt(self.lower)} to {_fmt(self.upper)}"
            )
        if self.horizon is not None:
            parts.append(f"horizon={_fmt(self.horizon)}")
        return f"Estimate({', '.join(parts)})"

    def with_interval(self, lower: float, upper: float, method: str, se: float | None = None
                      ) -> Estimate:
        """Return a copy with another interval (e.g. a bootstrap one)."""
        return replace(
            self,
            lower=float(lower),
            upper=float(upper),
            method=method,
            se=self.se if se is None else float(se),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the row used by :func:`irdp.metrics.performance`."""
        return {
            "measure": self.name,
            "value": self.value,
            "se": self.se,
            "lower": self.lower,
            "upper": self.upper,
            "level": self.level,
            "method": self.method,
            "n": self.n,
            "n_events": self.n_events,
            "horizon": self.horizon,
        }


def _fmt(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "nan"
    return f"{x:.4g}"


def normal_estimate(
    name: str,
    value: float,
    se: float,
    level: float,
    *,
    method: str,
    transform: str = "identity",
    clip: tuple[float, float] | None = None,
    **kwargs: Any,
) -> Estimate:
    """Wald interval ``value ± z·se`` on the identity or log scale.

    With ``transform="log"``, ``se`` is the standard error of ``log(value)`` and the
    interval is ``value·exp(±z·se)`` (the reported ``se`` is then the delta-method SE of
    ``value``).
    """
    z = z_value(level)
    value = float(value)
    se = float(se)
    if transform == "log":
        if value > 0 and np.isfinite(se):
            lower, upper = value * math.exp(-z * se), value * math.exp(z * se)
        else:
            lower = upper = float("nan")
        se_out = value * se
    else:
        lower, upper = value - z * se, value + z * se
        se_out = se
    if clip is not None and np.isfinite(lower):
        lower, upper = max(lower, clip[0]), min(upper, clip[1])
    return Estimate(name, value, se_out, lower, upper, float(level), method, **kwargs)
