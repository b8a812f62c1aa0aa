"""Points-based scores derived from a fitted logistic or Cox model (Sullivan's method)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import special
from sklearn.base import BaseEstimator, clone

from irdp._validation import check_horizon
from irdp.exceptions import IrdpWarning
from irdp.models._prepared import PreparedData
from irdp.models._ranking import concordance
from irdp.models.base import RiskIndexMixin, estimator_from_spec, load, register
from irdp.models.cox import CoxIndex
from irdp.models.logistic import LogisticIndex
from irdp.outcomes import Binary, CompetingRisks, Survival

__all__ = ["PointsScore", "concordance"]


def _term_contribution(model: Any, term: dict[str, Any], values: list[Any]) -> np.ndarray:
    """Contribution of one input column to the linear predictor at ``values``."""
    from irdp.models._design import Design

    sub = Design([term])
    Z = sub.transform(pd.DataFrame({term["column"]: values}))
    return Z @ model.coef_.loc[sub.columns].to_numpy()


@register
class PointsScore(RiskIndexMixin, BaseEstimator):
    """Sullivan points score built from a logistic or Cox model.

    ``fit`` fits a clone of ``model`` and turns each predictor into points: categorical
    predictors get points per level (reference level 0); numeric and spline predictors are
    cut into ``bins`` (default: quintiles of the training data) represented by the median
    of each bin, the lowest bin being the reference (bins are [lower, upper); a numeric
    predictor with at most ``n_bins`` distinct values gets one bin per value). The points of
    a category are round(contribution to the linear predictor relative to the reference /
    ``B``), where ``B`` (regression units per point) is ``points_unit`` or, by default,
    chosen so that the strongest predictor spans ``max_points`` points. The total maps back
    to a risk: expit(a + lp_ref + B * points) for a logistic model, 1 - exp(-H0(h) exp(lp_ref +
    B * points)) for a Cox model at ``horizon``. ``rounding_loss_`` compares the
    discrimination of the points with that of the underlying model on the training data.

    Parameters
    ----------
    model : LogisticIndex or CoxIndex, default=None
        Unfitted template (``LogisticIndex()`` when None); it is cloned and fitted.
    bins : dict, optional
        ``{column: list of inner cut-points}`` for numeric predictors.
    n_bins : int, default=5
        Quantile bins of numeric predictors not in ``bins``.
    points_unit : float, optional
        ``B``; e.g. ``5 * coef_age`` makes 5 years of age one point (Sullivan's example).
    max_points : int, default=10
    horizon : float, optional
        Required with a Cox model: the horizon of the risk table.

    Attributes
    ----------
    model_ : fitted model
    points_table_ : pandas.DataFrame
        column, category, lower, upper, value, contribution, points.
    risk_table_ : pandas.DataFrame
        points, risk for every attainable total.
    B_ : float
    rounding_loss_ : dict
        ``c_model``, ``c_points`` and their difference on the training data.

    References
    ----------
    Sullivan LM, Massaro JM, D'Agostino RB Sr. Presentation of multivariate data for
    clinical use: the Framingham Study risk score functions. Stat Med 2004;23:1631-1660.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from irdp.models import LogisticIndex, PointsScore
    >>> from irdp.outcomes import Binary
    >>> rng = np.random.default_rng(6)
    >>> X = pd.DataFrame({"age": rng.uniform(20, 65, 800), "sex": rng.choice(["F", "M"], 800)})
    >>> eta = -4 + 0.06 * (X["age"] - 20) + 0.5 * (X["sex"] == "F")
    >>> y = Binary(rng.random(800) < 1 / (1 + np.exp(-eta)))
    >>> ps = PointsScore(model=LogisticIndex(categorical={"sex": "M"})).fit(X, y)
    >>> int(ps.points_table_["points"].abs().max())
    10
    >>> bool(ps.rounding_loss_["c_points"] > 0.6)
    True
    """

    _outcome_kinds = (Binary, Survival, CompetingRisks)

    def __init__(
        self,
        *,
        model: LogisticIndex | CoxIndex | None = None,
        bins: dict[str, list[float]] | None = None,
        n_bins: int = 5,
        points_unit: float | None = None,
        max_points: int = 10,
        horizon: float | None = None,
    ) -> None:
        self.model = model
        self.bins = bins
        self.n_bins = n_bins
        self.points_unit = points_unit
        self.max_points = max_points
        self.horizon = horizon

    def fit(self, X: Any, y: Binary | Survival | CompetingRisks | None = None):
        """Fit the underlying model and derive the points table.

        Returns
        -------
        self
        """
        template = LogisticIndex() if self.model is None else self.model
        if not isinstance(template, LogisticIndex | CoxIndex):
            raise TypeError(
                f"model must be a LogisticIndex or a CoxIndex; got {type(template).__name__}."
            )
        if isinstance(template, CoxIndex):
            if template.strata:
                raise ValueError("PointsScore does not support a stratified Cox model.")
            if self.horizon is None:
                raise ValueError("horizon is required to build a points score from a Cox model.")
        if isinstance(X, PreparedData):
            X, y = X.frame, X.y
        y = self._check_outcome(y)
        X = self._check_xy(X, y)
        self.model_ = clone(template).fit(X, y)
        if isinstance(self.model_, CoxIndex):
            self.horizon_ = check_horizon(self.horizon, max_time=self.model_.max_time_)
        else:
            self.horizon_ = None
        rows = []
        for term in self.model_.design_.terms:
            rows.extend(self._term_rows(X, term))
        tab = pd.DataFrame(rows)
        span = tab.groupby("column")["contribution"].agg(lambda c: c.max() - c.min())
        if self.points_unit is not None:
            if not self.points_unit > 0:
                raise ValueError(f"points_unit must be > 0; got {self.points_unit!r}.")
            B = float(self.points_unit)
        else:
            B = float(span.max() / self.max_points)
        tab["points"] = np.round(tab["contribution"] / B).astype(int)
        self.points_table_ = tab
        self.B_ = B
        self.lp_offset_ = float(sum(
            _term_contribution(self.model_, t, [self._reference_value(t, tab)])[0]
            for t in self.model_.design_.terms
        ))
        lo = int(tab.groupby("column")["points"].min().sum())
        hi = int(tab.groupby("column")["points"].max().sum())
        totals = np.arange(lo, hi + 1)
        self.risk_table_ = pd.DataFrame({"points": totals, "risk": self._risk_of(totals)})
        self.coef_, self.se_ = self.model_.coef_, self.model_.se_
        self.design_ = self.model_.design_
        self.feature_names_in_ = self.model_.feature_names_in_
        self.n_features_in_ = self.model_.n_features_in_
        c_model = concordance(self.model_.linear_predictor(X), y)
        c_points = concordance(self.predict_points(X), y)
        self.rounding_loss_ = {"c_model": c_model, "c_points": c_points,
                               "difference": c_model - c_points}
        self.development_ = dict(self.model_.development_)
        return self

    @staticmethod
    def _reference_value(term: dict[str, Any], tab: pd.DataFrame) -> Any:
        sub = tab[(tab["column"] == term["column"]) & (tab["contribution"] == 0)]
        return sub["value"].iloc[0]

    def _term_rows(self, X: pd.DataFrame, term: dict[str, Any]) -> list[dict[str, Any]]:
        col = term["column"]
        if term["kind"] == "categorical":
            levels = [term["reference"], *term["levels"]]
            contrib = _term_contribution(self.model_, term, levels)
            return [{"column": col, "category": str(lv), "lower": np.nan, "upper": np.nan,
                     "value": lv, "contribution": float(c)} for lv, c in zip(levels, contrib,
                                                                               strict=True)]
        x = X[col].to_numpy(dtype=float)
        cuts = (self.bins or {}).get(col)
        if cuts is None:
            uniq = np.unique(x)
            if len(uniq) <= self.n_bins:  # few values (e.g. 0/1): one bin per value
                cuts = uniq[1:]
            else:
                cuts = np.unique(np.quantile(x, np.linspace(0, 1, self.n_bins + 1)[1:-1]))
                cuts = cuts[cuts > uniq[0]]
        cuts = np.asarray(cuts, dtype=float)
        if len(cuts) == 0:
            warnings.warn(
                f"predictor {col!r} collapses to a single bin [-inf, inf) (its quantiles are "
                "all equal to its minimum): it contributes 0 points. Give cut-points in "
                f"bins={{{col!r}: [...]}} or drop it.",
                IrdpWarning,
                stacklevel=4,
            )
        edges = np.r_[-np.inf, cuts, np.inf]
        which = np.searchsorted(cuts, x, side="right")
        rows = []
        reps = []
        for b in range(len(edges) - 1):
            inside = x[which == b]
            if len(inside) == 0:
                raise ValueError(f"bin {b} of column {col!r} ({edges[b]}, {edges[b + 1]}] is empty;"
                                 " give other cut-points in bins=.")
            reps.append(float(np.median(inside)))
        contrib = _term_contribution(self.model_, term, reps)
        contrib = contrib - contrib[0]
        for b, (v, c) in enumerate(zip(reps, contrib, strict=True)):
            rows.append({"column": col, "category": f"[{edges[b]:g}, {edges[b + 1]:g})",
                         "lower": edges[b], "upper": edges[b + 1], "value": v,
                         "contribution": float(c)})
        return rows

    def predict_points(self, X: Any) -> np.ndarray:
        """Total points of each row."""
        self._check_is_fitted()
        if isinstance(X, PreparedData):
            X = X.frame
        X = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
        self.design_.transform(X)  # checks columns, missing values and unseen levels
        total = np.zeros(len(X), dtype=np.int64)
        kinds = {t["column"]: t["kind"] for t in self.design_.terms}
        for col, tab in self.points_table_.groupby("column", sort=False):
            if kinds.get(col) == "categorical":
                mapping = dict(zip(tab["category"], tab["points"], strict=True))
                total += np.asarray([mapping[str(v)] for v in X[col].tolist()], dtype=np.int64)
            else:  # bins [lower, upper); an exported -inf lower bound is null (unused)
                lower = tab["lower"].to_numpy(dtype=float)
                b = np.searchsorted(lower[1:], X[col].to_numpy(dtype=float), side="right")
                total += tab["points"].to_numpy()[b]
        return total

    def _risk_of(self, points: np.ndarray) -> np.ndarray:
        lp = self.lp_offset_ + self.B_ * np.asarray(points, dtype=float)
        if isinstance(self.model_, LogisticIndex):
            return special.expit(self.model_.intercept_ + lp)
        H0 = self.model_.baseline_cumulative_hazard_at(self.horizon_)
        return -np.expm1(-H0 * np.exp(lp))

    def linear_predictor(self, X: Any) -> np.ndarray:
        """The total points (higher = more risk)."""
        return self.predict_points(X).astype(float)

    def predict_risk(self, X: Any, horizon: float | None = None) -> np.ndarray:
        """Risk read from the points total (``risk_table_``)."""
        self._check_is_fitted()
        if horizon is not None and self.horizon_ is not None and float(horizon) != self.horizon_:
            raise ValueError(
                f"horizon={horizon!r} differs from the horizon of the risk table "
                f"({self.horizon_:g}); refit with PointsScore(horizon=...)."
            )
        return self._risk_of(self.predict_points(X))

    def _export_state(self, horizons: list[float] | None, threshold: int) -> dict[str, Any]:
        # only what scoring needs: cut-points and points; the bin medians ("value") and
        # their contributions describe the development data and are not published
        keep = ["column", "category", "lower", "upper", "points"]
        tab = self.points_table_[keep].astype(object).where(
            self.points_table_[keep].notna(), None)
        h = None if self.horizon_ is None else [float(self.horizon_)]
        return {
            "model": self.model_.export(horizon=h, min_count=threshold),
            "points_table": tab.to_dict(orient="list"),
            "risk_table": self.risk_table_.to_dict(orient="list"),
            "B": self.B_, "lp_offset": self.lp_offset_, "horizon": self.horizon_,
            "rounding_loss": self.rounding_loss_,
        }

    def _load_state(self, state: dict[str, Any]) -> None:
        self.model_ = load(state["model"])
        tab = pd.DataFrame(state["points_table"])
        tab["lower"] = tab["lower"].astype(float)
        tab["upper"] = tab["upper"].astype(float)
        tab["points"] = tab["points"].astype(int)
        self.points_table_ = tab
        self.risk_table_ = pd.DataFrame(state["risk_table"])
        self.B_, self.lp_offset_ = float(state["B"]), float(state["lp_offset"])
        self.horizon_ = state["horizon"]
        self.rounding_loss_ = state["rounding_loss"]

    @classmethod
    def _from_export(cls, spec: dict[str, Any]) -> PointsScore:
        params = dict(spec["params"])
        if params.get("model") is not None:
            params["model"] = estimator_from_spec(params["model"])
        return super()._from_export({**spec, "params": params})
