"""Three risk levels (faible / intermédiaire / forte), the IRDP's output."""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from irdp._validation import check_horizon, check_risk
from irdp.exceptions import SmallGroupWarning
from irdp.models.base import EXPORT_FORMAT, register
from irdp.nonparametric import aalen_johansen, kaplan_meier
from irdp.outcomes import Binary, CompetingRisks, Survival

__all__ = ["RiskLevels", "LEVELS"]

LEVELS = ("faible", "intermédiaire", "forte")


@register
class RiskLevels(BaseEstimator):
    """Cut absolute risks into the levels faible / intermédiaire / forte.

    A risk r is *faible* if r < low, *intermédiaire* if low <= r < high and *forte* if
    r >= high, with (low, high) set by

    - ``method="thresholds"``: fixed risk thresholds;
    - ``method="quantiles"``: quantiles of the risks passed to ``fit`` (e.g. (0.5, 0.9):
      the top 10 % are *forte*);
    - ``method="sensitivity"``: the largest cut-offs such that at least the target share of
      events is at or above them (``sensitivity=(0.9, 0.5)``: 90 % of future cases are at
      least *intermédiaire* and 50 % are *forte*); needs the outcome.

    Parameters
    ----------
    method : {"thresholds", "quantiles", "sensitivity"}, default="thresholds"
    thresholds : tuple of float, default=(0.05, 0.15)
    quantiles : tuple of float, default=(0.5, 0.9)
    sensitivity : tuple of float, default=(0.9, 0.5)
    min_size : int, default=10
        Levels with fewer rows in ``report`` trigger a SmallGroupWarning.

    Attributes
    ----------
    cutoffs_ : tuple of float
        (low, high).

    References
    ----------
    Steyerberg EW. Clinical Prediction Models, 2nd ed. 2019, chapter 18 (risk groups).

    Examples
    --------
    >>> from irdp.models import RiskLevels
    >>> lv = RiskLevels(thresholds=(0.1, 0.3)).fit([0.02, 0.2, 0.5])
    >>> list(lv.transform([0.02, 0.2, 0.5]))
    ['faible', 'intermédiaire', 'forte']
    """

    def __init__(
        self,
        *,
        method: Literal["thresholds", "quantiles", "sensitivity"] = "thresholds",
        thresholds: tuple[float, float] = (0.05, 0.15),
        quantiles: tuple[float, float] = (0.5, 0.9),
        sensitivity: tuple[float, float] = (0.9, 0.5),
        min_size: int = 10,
    ) -> None:
        self.method = method
        self.thresholds = thresholds
        self.quantiles = quantiles
        self.sensitivity = sensitivity
        self.min_size = min_size

    @staticmethod
    def _pair(v: Any, name: str, *, increasing: bool) -> tuple[float, float]:
        try:
            a, b = (float(x) for x in v)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{name} must be a pair of numbers; got {v!r}.") from err
        ok = (0 <= a < b <= 1) if increasing else (0 <= b < a <= 1)
        if not ok:
            order = "0 <= low < high <= 1" if increasing else "1 >= first > second >= 0"
            raise ValueError(f"{name} must satisfy {order}; got {v!r}.")
        return a, b

    def fit(self, risk: Any, y: Binary | Survival | CompetingRisks | None = None, *,
            horizon: float | None = None):
        """Set the cut-offs (``risk`` and ``y`` are used by the quantile and sensitivity
        methods only; a timed ``y`` needs ``horizon`` and drops rows censored before it).

        Returns
        -------
        self
        """
        r = check_risk(risk)
        if self.method == "thresholds":
            self.cutoffs_ = self._pair(self.thresholds, "thresholds", increasing=True)
        elif self.method == "quantiles":
            q = self._pair(self.quantiles, "quantiles", increasing=True)
            self.cutoffs_ = tuple(float(v) for v in np.quantile(r, q))
        elif self.method == "sensitivity":
            s = self._pair(self.sensitivity, "sensitivity", increasing=False)
            if y is None:
                raise ValueError("method='sensitivity' needs the outcome y.")
            ev = self._events(r, y, horizon)
            if len(ev) == 0:
                raise ValueError("y has no event; sensitivity cut-offs are undefined.")
            ev = np.sort(ev)
            self.cutoffs_ = tuple(float(ev[len(ev) - math.ceil(t * len(ev))]) for t in s)
        else:
            raise ValueError(
                f"method must be 'thresholds', 'quantiles' or 'sensitivity'; got {self.method!r}."
            )
        if not self.cutoffs_[0] < self.cutoffs_[1]:
            raise ValueError(
                f"the cut-offs {self.cutoffs_} do not define three levels (ties in risk); "
                "choose other quantiles/sensitivities or fixed thresholds."
            )
        return self

    @staticmethod
    def _events(r: np.ndarray, y: Any, horizon: float | None) -> np.ndarray:
        if len(y) != len(r):
            raise ValueError(f"risk and y must have the same length; got {len(r)} and {len(y)}.")
        if isinstance(y, Binary):
            return r[y.event]
        h = check_horizon(horizon)
        known = y.known_at(h)
        by = y.to_binary(h, censored="exclude")
        return r[known][by.event]

    def transform(self, risk: Any) -> pd.Categorical:
        """Level of each risk, as an ordered categorical."""
        if not hasattr(self, "cutoffs_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("RiskLevels is not fitted; call fit() first.")
        r = check_risk(risk)
        code = np.searchsorted(np.asarray(self.cutoffs_), r, side="right")
        return pd.Categorical.from_codes(code, categories=list(LEVELS), ordered=True)

    def report(self, risk: Any, y: Binary | Survival | CompetingRisks, *,
               horizon: float | None = None) -> pd.DataFrame:
        """Size, share, events, observed event rate and mean predicted risk per level.

        For a binary outcome the event rate is the observed proportion; for a timed outcome
        it is the Kaplan-Meier (or Aalen-Johansen, competing risks) cumulative incidence at
        ``horizon`` within the level, and ``n_events`` counts events by the horizon.
        """
        r = check_risk(risk)
        if len(y) != len(r):
            raise ValueError(f"risk and y must have the same length; got {len(r)} and {len(y)}.")
        lv = np.asarray(self.transform(r))
        h = None if isinstance(y, Binary) else check_horizon(horizon)
        rows = []
        for name in LEVELS:
            sel = lv == name
            n = int(sel.sum())
            row: dict[str, Any] = {"level": name, "n": n, "share": n / len(r),
                                   "lower": self._bounds(name)[0], "upper": self._bounds(name)[1]}
            if n == 0:
                row.update(n_events=0, event_rate=np.nan, mean_risk=np.nan)
            elif isinstance(y, Binary):
                row.update(n_events=int(y.event[sel].sum()), event_rate=float(y.event[sel].mean()),
                           mean_risk=float(r[sel].mean()))
            else:
                row.update(**self._timed_rate(y, sel, h), mean_risk=float(r[sel].mean()))
            rows.append(row)
        small = [row["level"] for row in rows if 0 < row["n"] < self.min_size]
        if small or any(row["n"] == 0 for row in rows):
            import warnings

            warnings.warn(
                f"levels {small + [row['level'] for row in rows if row['n'] == 0]} have fewer "
                f"than {self.min_size} rows (event rate NaN when empty); their rates are "
                "unreliable.", SmallGroupWarning, stacklevel=2)
        return pd.DataFrame(rows).set_index("level")

    def _bounds(self, name: str) -> tuple[float, float]:
        lo, hi = self.cutoffs_
        return {"faible": (0.0, lo), "intermédiaire": (lo, hi), "forte": (hi, 1.0)}[name]

    @staticmethod
    def _timed_rate(y: Any, sel: np.ndarray, h: float) -> dict[str, Any]:
        t = np.asarray(y.time)[sel]
        n_ev = int((np.asarray(y.event)[sel] & (t <= h)).sum())
        if isinstance(y, CompetingRisks):
            aj = aalen_johansen(t, np.asarray(y.cause)[sel])
            rate = float(aj.cif_at(h, y.event_of_interest))
        else:
            rate = float(kaplan_meier(t, np.asarray(y.event)[sel]).risk_at(h))
        return {"n_events": n_ev, "event_rate": rate}

    def export(self) -> dict[str, Any]:
        """JSON-serialisable description (method, parameters, cut-offs)."""
        from irdp.models.base import _json_safe

        return {"format": EXPORT_FORMAT, "model": "RiskLevels",
                "params": _json_safe(self.get_params()), "cutoffs": list(self.cutoffs_)}

    @classmethod
    def _from_export(cls, spec: dict[str, Any]) -> RiskLevels:
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in spec["params"].items()}
        obj = cls(**params)
        obj.cutoffs_ = tuple(float(v) for v in spec["cutoffs"])
        return obj
