"""The protocol shared by every candidate index: checked inputs, summary table, export/load.

Every model in :mod:`irdp.models` is a scikit-learn estimator (keyword-only ``__init__``
parameters stored unchanged, fitted attributes ending in ``_``, so ``sklearn.base.clone``
works) with

- ``fit(X, y) -> self`` where ``y`` is an :mod:`irdp.outcomes` container;
- ``linear_predictor(X)`` (higher = more risk) and ``predict_risk(X, horizon=None)``;
- ``coef_`` / ``se_`` (pandas Series indexed by the design columns) and ``summary()``;
- ``prepare(X, y)``: the arrays of a data set, prepared once for repeated fits
  (:class:`irdp.models.PreparedData`), accepted by ``fit`` and ``predict_risk`` in place of X;
- ``export() -> dict`` (JSON-serialisable, without per-event information; see
  ``docs/models.md``) and :func:`load` giving back a model with identical predictions.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.exceptions import NotFittedError

from irdp._validation import check_aligned
from irdp.exceptions import InsufficientDataError
from irdp.models._design import Design, as_frame
from irdp.models._features import feature_definitions
from irdp.models._prepared import PreparedData
from irdp.models._ranking import concordance
from irdp.outcomes import Binary, CompetingRisks, Survival
from irdp.privacy import DEFAULT_THRESHOLD

__all__ = ["RiskIndexMixin", "load", "register", "EXPORT_FORMAT", "registered_models"]

EXPORT_FORMAT = "irdp.model/1"
_REGISTRY: dict[str, type] = {}


def register(cls: type) -> type:
    """Class decorator: make ``cls`` loadable by :func:`load` under its name."""
    _REGISTRY[cls.__name__] = cls
    return cls


def registered_models() -> dict[str, type]:
    """Every class registered with :func:`register` (name -> class)."""
    return dict(_REGISTRY)


def _json_safe(v: Any) -> Any:
    if hasattr(v, "get_params") and hasattr(v, "fit"):
        return {"estimator": type(v).__name__, "params": _json_safe(v.get_params(deep=False))}
    if isinstance(v, dict):
        return {str(k): _json_safe(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_json_safe(x) for x in v]
    if isinstance(v, np.ndarray):
        return _json_safe(v.tolist())
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        return float(v) if np.isfinite(v) else None
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def estimator_from_spec(spec: dict[str, Any]) -> Any:
    """Rebuild an unfitted estimator from ``{"estimator": name, "params": {...}}``."""
    if spec["estimator"] not in _REGISTRY:
        raise ValueError(f"unknown estimator {spec['estimator']!r}.")
    params = {k: estimator_from_spec(v) if isinstance(v, dict) and "estimator" in v else v
              for k, v in spec["params"].items()}
    return _REGISTRY[spec["estimator"]](**params)


def load(spec: dict[str, Any]) -> Any:
    """Rebuild a fitted model from the dict written by its ``export()``.

    Parameters
    ----------
    spec : dict
        Output of ``model.export()`` (possibly after a JSON round trip).

    Returns
    -------
    estimator
        A fitted model whose ``linear_predictor`` and ``predict_risk`` equal the original's
        (timed models: at the horizons the export holds).

    Examples
    --------
    >>> import json, numpy as np, pandas as pd
    >>> from irdp.models import LogisticIndex, load
    >>> from irdp.outcomes import Binary
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"age": rng.normal(50, 8, 200)})
    >>> y = Binary(rng.random(200) < 1 / (1 + np.exp(-(X["age"] - 50) / 8)))
    >>> m = LogisticIndex().fit(X, y)
    >>> m2 = load(json.loads(json.dumps(m.export())))
    >>> bool(np.array_equal(m.predict_risk(X), m2.predict_risk(X)))
    True
    """
    if not isinstance(spec, dict):
        raise TypeError(f"spec must be a dict written by export(); got {type(spec).__name__}.")
    if spec.get("format") != EXPORT_FORMAT:
        raise ValueError(
            f"spec['format'] must be {EXPORT_FORMAT!r}; got {spec.get('format')!r}. Is this an "
            "irdp model export?"
        )
    name = spec.get("model")
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; known models: {sorted(_REGISTRY)}.")
    return _REGISTRY[name]._from_export(spec)


def _suppressed_counts(development: dict[str, Any], threshold: int) -> dict[str, Any]:
    """Development summary with counts below the disclosure threshold masked."""
    out = {}
    for k, v in development.items():
        if k.startswith("n") and isinstance(v, int | np.integer) and 0 < v < threshold:
            out[k] = None
            out.setdefault("suppressed", []).append(k)
        else:
            out[k] = v
    return out


def as_horizons(horizon: Any) -> list[float] | None:
    """None, one horizon or a sequence of horizons as a sorted list of floats."""
    if horizon is None:
        return None
    values = [horizon] if np.isscalar(horizon) else list(horizon)
    out = sorted({float(v) for v in values})
    if not out or any(not np.isfinite(v) or v <= 0 for v in out):
        raise ValueError(f"horizon must be positive finite numbers; got {horizon!r}.")
    return out


@functools.cache
def _init_params(cls: type) -> tuple[str, ...]:
    """scikit-learn's ``BaseEstimator._get_param_names`` of ``cls``, computed once."""
    from sklearn.base import BaseEstimator

    return tuple(BaseEstimator._get_param_names.__func__(cls))


class RiskIndexMixin:
    """Shared checks and outputs of the irdp candidate indices."""

    _outcome_kinds: ClassVar[tuple[type, ...]] = (Binary, Survival, CompetingRisks)
    _exp_name: ClassVar[str] = "exp_coef"
    #: True for indices that complete missing predictor values themselves (irdp score
    #: then scores rows with missing features).
    _accepts_missing: ClassVar[bool] = False

    @classmethod
    def _get_param_names(cls) -> list[str]:
        """The ``__init__`` parameters (scikit-learn's ``get_params``), read from the
        signature once per class: a bootstrap clones the index in every replicate."""
        return list(_init_params(cls))

    # ---- input checks -------------------------------------------------------------------
    #: name -> (kind, low, high, low_open): checked by :meth:`_validate_params`.
    _parameter_constraints: ClassVar[dict[str, tuple[type, float, float, bool]]] = {
        "max_iter": (int, 1, np.inf, False),
        "tol": (float, 0, np.inf, True),
        "cv": (int, 2, np.inf, False),
        "l1_ratio": (float, 0, 1, False),
        "n_bins": (int, 2, np.inf, False),
        "max_points": (int, 1, np.inf, False),
        "m": (int, 1, np.inf, False),
    }

    def _validate_params(self) -> None:
        """Check numeric hyper-parameters, with scikit-learn's message format."""
        for name, (kind, low, high, low_open) in self._parameter_constraints.items():
            if not hasattr(self, name):
                continue
            value = getattr(self, name)
            numbers = (int, np.integer) if kind is int else (int, float, np.integer, np.floating)
            ok = isinstance(value, numbers) and not isinstance(value, bool)
            ok = ok and (low < value if low_open else low <= value) and value <= high
            if not ok:
                interval = f"{'(' if low_open else '['}{low:g}, {high:g}]".replace("inf]", "inf)")
                raise ValueError(
                    f"The {name!r} parameter of {type(self).__name__} must be "
                    f"{'an int' if kind is int else 'a float'} in the range {interval}. "
                    f"Got {value!r} instead."
                )

    def _check_outcome(self, y: Any) -> Any:
        self._validate_params()
        if not isinstance(y, self._outcome_kinds):
            kinds = " | ".join(k.__name__ for k in self._outcome_kinds)
            raise TypeError(
                f"y must be an irdp.outcomes container ({kinds}) for {type(self).__name__}; "
                f"got {type(y).__name__}. Build it with e.g. Survival(time, event)."
            )
        return y

    def _check_xy(self, X: Any, y: Any) -> pd.DataFrame:
        X = as_frame(X)
        if len(X) != len(y):
            raise ValueError(
                f"X and y must have the same number of rows; got {len(X)} and {len(y)}."
            )
        if y.index is not None:
            check_aligned(X, pd.Series(np.zeros(len(y)), index=y.index), names=["X", "y"])
        if len(X) == 0:
            raise ValueError("X is empty; a model needs at least one row.")
        return X

    @staticmethod
    def _check_weights(sample_weight: Any, n: int) -> np.ndarray | None:
        if sample_weight is None:
            return None
        w = np.asarray(sample_weight, dtype=float)
        if w.shape != (n,) or not np.all(np.isfinite(w)) or (w < 0).any():
            raise ValueError(
                f"sample_weight must be finite, >= 0 and have one value per row ({n}); got "
                f"shape {w.shape}."
            )
        if not np.any(w > 0):
            raise ValueError(
                f"sample_weight must have at least one positive value; all {n} weights are 0. "
                "Check how the weights were derived."
            )
        return w

    def _design_spec(self) -> dict[str, Any]:
        return {"categorical": getattr(self, "categorical", None),
                "splines": getattr(self, "splines", None),
                "exclude": tuple(getattr(self, "strata", None) or ())}

    def prepare(self, X: Any, y: Any = None, *, sample_weight: Any = None) -> PreparedData:
        """Check ``X`` (and ``y``) once and keep the arrays for repeated fits.

        Parameters
        ----------
        X : DataFrame of shape (n_samples, n_features)
        y : outcome container, optional
            Needed to fit on the prepared data; not to predict.
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        PreparedData
            Pass it (or ``.take(rows)`` of it) to ``fit`` and ``predict_risk`` in place of X.
        """
        if y is not None:
            y = self._check_outcome(y)
            X = self._check_xy(X, y)
        else:
            X = as_frame(X)
        spec = self._design_spec()
        design = Design.fit(X, categorical=spec["categorical"], splines=spec["splines"],
                            exclude=spec["exclude"])
        Z = design.transform(X)
        codes, levels = self._strata_of(X)
        w = self._check_weights(sample_weight, len(X))
        return PreparedData(design, Z, y, w, codes, levels, X, None)

    def _strata_of(self, X: pd.DataFrame) -> tuple[np.ndarray | None, list[str]]:
        return None, [""]

    def _fit_design(self, X: pd.DataFrame | PreparedData) -> np.ndarray:
        if isinstance(X, PreparedData):
            design, Z = X.design, X.Z
        else:
            spec = self._design_spec()
            design = Design.fit(X, categorical=spec["categorical"], splines=spec["splines"],
                                exclude=spec["exclude"])
            Z = design.transform(X)
        const = np.ptp(Z, axis=0) == 0 if len(Z) else np.ones(Z.shape[1], dtype=bool)
        if const.any():
            names = [c for c, k in zip(design.columns, const, strict=True) if k]
            raise InsufficientDataError(
                f"design columns {names[:5]} are constant in the training data and cannot be "
                "estimated; drop them, merge sparse categories or check the feature derivation."
            )
        self.design_ = design
        self.feature_names_in_ = np.asarray(design.input_columns, dtype=object)
        self.n_features_in_ = len(design.input_columns)
        return Z

    def _fit_inputs(self, X: Any, y: Any, sample_weight: Any) -> tuple[Any, Any, Any]:
        """(X or PreparedData, y, weights) after the checks of ``fit``."""
        if isinstance(X, PreparedData):
            if y is not None and y is not X.y:
                raise ValueError("y must be None when X is PreparedData (it holds the outcome).")
            if X.y is None:
                raise ValueError("these prepared data hold no outcome; prepare(X, y) to fit.")
            self._check_outcome(X.y)
            w = X.sample_weight if sample_weight is None else self._check_weights(
                sample_weight, len(X))
            return X, X.y, w
        y = self._check_outcome(y)
        X = self._check_xy(X, y)
        return X, y, self._check_weights(sample_weight, len(X))

    def _check_is_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet; call fit(X, y) first."
            )

    def _design(self, X: Any) -> np.ndarray:
        self._check_is_fitted()
        if isinstance(X, PreparedData):
            if X.design.columns != self.design_.columns:
                raise ValueError(
                    "these prepared data were built with another design (columns "
                    f"{X.design.columns[:5]}); the model uses {self.design_.columns[:5]}."
                )
            return X.Z
        return self.design_.transform(X)

    def score(self, X: Any, y: Any) -> float:
        """Discrimination of the linear predictor: AUC for a binary outcome, Harrell's C
        otherwise (the scikit-learn ``score`` hook, e.g. for ``cross_validate``)."""
        return concordance(self.linear_predictor(X), self._check_outcome(y))

    # ---- outputs -------------------------------------------------------------------------
    def _summary_rows(self) -> tuple[pd.Series, pd.Series]:
        return self.coef_, self.se_

    def summary(self, alpha: float = 0.05) -> pd.DataFrame:
        """Coefficient table: coef, se, z, p, confidence interval and exponentiated effect.

        Parameters
        ----------
        alpha : float, default=0.05
            1 - confidence level of the Wald interval coef ± z_{1-alpha/2}·se.

        Returns
        -------
        pandas.DataFrame
            Indexed by design column (plus ``(Intercept)`` for logistic models), with
            columns ``coef, se, z, p, ci_lower, ci_upper`` and ``exp_coef`` (odds, hazard or
            subdistribution hazard ratio).
        """
        self._check_is_fitted()
        coef, se = self._summary_rows()
        q = stats.norm.ppf(1 - alpha / 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = coef / se
        out = pd.DataFrame(
            {
                "coef": coef,
                "se": se,
                "z": z,
                "p": 2 * stats.norm.sf(np.abs(z)),
                "ci_lower": coef - q * se,
                "ci_upper": coef + q * se,
                self._exp_name: np.exp(coef),
            }
        )
        return out

    def _export_state(self, horizons: list[float] | None,
                      threshold: int) -> dict[str, Any]:  # pragma: no cover - overridden
        raise NotImplementedError

    def _load_state(self, state: dict[str, Any]) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def export(
        self,
        *,
        cohort: Any = None,
        horizon: float | Sequence[float] | None = None,
        risk_levels: Any = None,
        preprocessing: Any = None,
        min_count: int | None = None,
        threshold: int | None = None,
    ) -> dict[str, Any]:
        """Everything needed to score new data, without per-event information.

        Holds the hyper-parameters, the design (input columns, categorical levels and
        reference, spline knots), coefficients with standard errors and covariance, the
        model-specific state, the development counts (those below ``threshold`` masked), the
        definitions of the features (from the :mod:`irdp.features` registry), and optionally
        the cohort definition and the preprocessing of raw features. A timed model stores
        its baseline only at ``horizon`` (or, without horizon, on a coarse grid where every
        interval holds at least ``threshold`` events), as ``riskRegression::
        saveCoxConfidential``; the loaded model predicts at those times only. What an export
        reveals is listed in ``docs/models.md``. :func:`irdp.models.load` turns it back into
        a model.

        Parameters
        ----------
        cohort : irdp.cohort.CohortDefinition or dict, optional
            The cohort definition (index dates, eligibility, horizon) of the development
            data; ``irdp score`` rebuilds the same cohort on a new extract.
        horizon : float or sequence of float, optional
            Horizon(s) of the published risk (cohort time unit, days); defaults to the
            cohort's horizon.
        risk_levels : RiskLevels, optional
            Fitted cut-offs faible / intermédiaire / forte shipped with the index.
        preprocessing : object with ``to_dict()`` or dict, optional
            How raw features become the columns of X (missing indicators, fill values,
            category handling), applied by ``irdp score`` before the model.
        min_count : int, default=irdp.privacy.DEFAULT_MIN_COUNT
            Disclosure threshold (the run's ``DisclosurePolicy.min_count``): minimum number
            of development events in every interval of a stored baseline, and minimum count
            published in the development summary.
        threshold : int, optional
            Former name of ``min_count`` (deprecated: IrdpDeprecationWarning).

        Raises
        ------
        DisclosureError
            A requested horizon would publish a baseline interval holding fewer than
            ``threshold`` events.
        """
        self._check_is_fitted()
        from irdp.privacy.policy import renamed_threshold

        min_count = renamed_threshold(f"{type(self).__name__}.export", threshold, min_count)
        threshold = DEFAULT_THRESHOLD if min_count is None else int(min_count)
        if cohort is not None and horizon is None:
            from irdp.cohort import CohortDefinition

            cd = cohort if isinstance(cohort, dict) else cohort.to_dict()
            horizon = CohortDefinition.from_dict(cd).horizon_days
        horizons = as_horizons(horizon)
        out: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "model": type(self).__name__,
            "params": _json_safe(self.get_params(deep=False)),  # type: ignore[attr-defined]
        }
        if hasattr(self, "design_"):
            out["design"] = _json_safe(self.design_.to_dict())
        out["coef"] = _json_safe(dict(zip(self.coef_.index, self.coef_.to_numpy(), strict=True)))
        out["se"] = _json_safe(dict(zip(self.se_.index, self.se_.to_numpy(), strict=True)))
        if getattr(self, "cov_", None) is not None:
            out["cov"] = _json_safe(np.asarray(self.cov_))
        out["development"] = _json_safe(
            _suppressed_counts(dict(getattr(self, "development_", {})), threshold))
        out["state"] = _json_safe(self._export_state(horizons, threshold))
        out["disclosure"] = {"min_count": int(threshold), "threshold": int(threshold),
                             "baseline": "horizons" if horizons else "coarse grid"}
        if hasattr(self, "design_"):
            out["features"] = _json_safe(feature_definitions(self.design_.input_columns))
        if cohort is not None:
            out["cohort"] = _json_safe(cohort if isinstance(cohort, dict) else cohort.to_dict())
        if horizons is not None:
            out["horizon"] = horizons[0] if len(horizons) == 1 else horizons
        if risk_levels is not None:
            out["risk_levels"] = risk_levels.export()
        if preprocessing is not None:
            out["preprocessing"] = _json_safe(
                preprocessing if isinstance(preprocessing, dict) else preprocessing.to_dict())
        return out

    @classmethod
    def _from_export(cls, spec: dict[str, Any]) -> Any:
        params = {k: estimator_from_spec(v) if isinstance(v, dict) and "estimator" in v else v
                  for k, v in spec["params"].items()}
        model = cls(**params)
        if "design" in spec:
            model.design_ = Design.from_dict(spec["design"])
            model.feature_names_in_ = np.asarray(model.design_.input_columns, dtype=object)
            model.n_features_in_ = len(model.design_.input_columns)
        model.coef_ = pd.Series(spec["coef"], dtype=float)
        model.se_ = pd.Series(spec["se"], dtype=float)
        if "design" in spec:  # JSON writers may sort keys: the design fixes the order
            model.coef_ = model.coef_.reindex(model.design_.columns)
            model.se_ = model.se_.reindex(model.design_.columns)
        if "cov" in spec:
            model.cov_ = np.asarray(spec["cov"], dtype=float)
        model.development_ = dict(spec.get("development", {}))
        model._load_state(spec["state"])
        return model


def finite_or_error(values: np.ndarray, what: str) -> np.ndarray:
    """Refuse silent NaN or infinite values in outputs (a degenerate fit or extreme inputs)."""
    if not np.all(np.isfinite(values)):
        from irdp.exceptions import ConvergenceError

        bad = int(np.sum(~np.isfinite(values)))
        raise ConvergenceError(
            f"{what} produced {bad} non-finite values; the fit is degenerate for these rows "
            "(check separation, extreme covariate values, or rescale the covariates)."
        )
    return values
