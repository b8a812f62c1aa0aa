"""Existing instruments as fixed scoring functions, and their recalibration to a risk.

Instrument items are read from wide columns named ``<INSTRUMENT>_<item>`` (``WAI_1`` ...
``WAI_7``, ``WAS_1``, ``OMPSQ_SF_1`` ... ``OMPSQ_SF_10``, ``Q4_1`` ... ``Q4_4``), the codes of
the extract contract (docs/contract.md, table ``questionnaire``); :func:`questionnaire_wide`
pivots the long contract table to that form.

- **Work Ability Index** (Tuomi et al. 1998; Ilmarinen 2009): 7 items, total 7-49;
  categories poor 7-27, moderate 28-36, good 37-43, excellent 44-49.
- **Work Ability Score** (WAI item 1 alone, 0-10); categories poor 0-5, moderate 6-7, good
  8-9, excellent 10 (El Fassi et al. BMC Public Health 2013;13:305).
- **ÖMPSQ short form** (Linton, Nicholas & MacDonald, Spine 2011;36:1891-5): 10 items 0-10,
  items 3, 4 and 8 reverse-scored (10 - answer), total 0-100; "at risk" when >= 50.
- **4-question mid-career questionnaire** (Présantis, seed document 003): items coded 0/1/2;
  three classes. The local decision rule is not published; the default here is the worst
  answer (any 2 -> foreseeable incapacity, else any 1 -> possible incapacity, else none)
  and ``rule="sum"`` with explicit thresholds is available. Replace it by the SPSTI's rule
  when known.

A fixed score is mapped to a probability by logistic recalibration
(:class:`FixedScoreIndex`), so it can be compared with fitted models on the risk scale.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import special
from sklearn.base import BaseEstimator

from irdp._validation import first_labels
from irdp.exceptions import InsufficientDataError, IrdpWarning
from irdp.models.base import RiskIndexMixin, register
from irdp.models.logistic import fit_logistic, warn_separation
from irdp.outcomes import Binary

__all__ = [
    "INSTRUMENTS",
    "wai_score",
    "was_score",
    "ompsq_sf_score",
    "q4_class",
    "questionnaire_wide",
    "FixedScoreIndex",
]

#: Allowed values of each item: (min, max) or a tuple of admissible codes.
INSTRUMENTS: dict[str, dict[int, Any]] = {
    "WAI": {1: (0, 10), 2: (2, 10), 3: (1, 7), 4: (1, 6), 5: (1, 5), 6: {1, 4, 7}, 7: (1, 4)},
    "WAS": {1: (0, 10)},
    "OMPSQ_SF": {i: (0, 10) for i in range(1, 11)},
    "Q4": {i: {0, 1, 2} for i in range(1, 5)},
}
_ORIENTATION = {"WAI": -1.0, "WAS": -1.0, "OMPSQ_SF": 1.0, "Q4": 1.0}
Q4_CLASSES = ("pas_incapacite_previsible", "incapacite_possible", "incapacite_previsible")


def _items(
    X: pd.DataFrame, instrument: str, on_missing: Literal["raise", "nan"]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Checked item columns and a mask of complete rows."""
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"X must be a pandas DataFrame of item columns; got {type(X).__name__}.")
    spec = INSTRUMENTS[instrument]
    cols = [f"{instrument}_{i}" for i in spec]
    missing_cols = [c for c in cols if c not in X.columns]
    if missing_cols:
        raise ValueError(
            f"X lacks the {instrument} item columns {missing_cols}; expected {cols}. Use "
            "questionnaire_wide() to pivot the contract's questionnaire table."
        )
    items = X[cols].apply(pd.to_numeric, errors="coerce").astype(float)
    bad_type = X[cols].notna() & items.isna()
    if bad_type.to_numpy().any():
        col = bad_type.any().idxmax()
        raise TypeError(f"{col} must be numeric; found non-numeric answers.")
    complete = items.notna().all(axis=1).to_numpy()
    if (~complete).any():
        if on_missing == "raise":
            raise ValueError(
                f"{instrument}: {int((~complete).sum())} rows have unanswered items (first "
                f"labels: {first_labels(~complete, X.index)}); the instrument has no imputation "
                "rule. Pass on_missing='nan' to score them as missing."
            )
        warnings.warn(
            f"{instrument}: {int((~complete).sum())} rows with unanswered items are scored NaN.",
            IrdpWarning,
            stacklevel=3,
        )
    for i, allowed in spec.items():
        v = items[f"{instrument}_{i}"].to_numpy()
        ok = np.isnan(v)
        if isinstance(allowed, set):
            ok |= np.isin(v, list(allowed))
            rule = f"one of {sorted(allowed)}"
        else:
            ok |= (v >= allowed[0]) & (v <= allowed[1])
            rule = f"in [{allowed[0]}, {allowed[1]}]"
        if not ok.all():
            raise ValueError(
                f"{instrument}_{i} must be {rule}; found {int((~ok).sum())} other values "
                f"(first labels: {first_labels(~ok, X.index)}, e.g. {v[~ok][:3].tolist()})."
            )
    return items, complete


def _categorise(score: np.ndarray, edges: list[float], labels: list[str]) -> pd.Categorical:
    cat = pd.cut(score, bins=edges, labels=labels, right=True, include_lowest=True)
    return pd.Categorical(cat, categories=labels, ordered=True)


def wai_score(X: pd.DataFrame, *, on_missing: Literal["raise", "nan"] = "raise") -> pd.DataFrame:
    """Work Ability Index: sum of the 7 items (7-49) and its category.

    Parameters
    ----------
    X : pandas.DataFrame
        Columns ``WAI_1`` ... ``WAI_7`` (item 2 already weighted by job demands).
    on_missing : {"raise", "nan"}, default="raise"

    Returns
    -------
    pandas.DataFrame
        ``score`` and ``category`` (poor, moderate, good, excellent), same index as X.

    References
    ----------
    Tuomi K, Ilmarinen J, Jahkola A, Katajarinne L, Tulkki A. Work Ability Index. 2nd ed.
    Helsinki: Finnish Institute of Occupational Health; 1998.

    Examples
    --------
    >>> import pandas as pd
    >>> from irdp.models.questionnaires import wai_score
    >>> X = pd.DataFrame({"WAI_1": [8, 3], "WAI_2": [9, 4], "WAI_3": [5, 2], "WAI_4": [6, 3],
    ...                   "WAI_5": [4, 2], "WAI_6": [7, 4], "WAI_7": [4, 2]})
    >>> wai_score(X)
       score category
    0   43.0     good
    1   20.0     poor
    """
    items, _ = _items(X, "WAI", on_missing)
    score = items.sum(axis=1, min_count=7).to_numpy()
    cat = _categorise(score, [7, 27, 36, 43, 49], ["poor", "moderate", "good", "excellent"])
    return pd.DataFrame({"score": score, "category": cat}, index=X.index)


def was_score(X: pd.DataFrame, *, on_missing: Literal["raise", "nan"] = "raise") -> pd.DataFrame:
    """Work Ability Score (WAI item 1, 0-10) and its category.

    Categories poor 0-5, moderate 6-7, good 8-9, excellent 10 (El Fassi M et al. Work
    ability assessment in a worker population: comparison and determinants of Work Ability
    Index and Work Ability score. BMC Public Health 2013;13:305).

    Examples
    --------
    >>> import pandas as pd
    >>> from irdp.models.questionnaires import was_score
    >>> was_score(pd.DataFrame({"WAS_1": [10, 5, 7]}))["category"].tolist()
    ['excellent', 'poor', 'moderate']
    """
    items, _ = _items(X, "WAS", on_missing)
    score = items["WAS_1"].to_numpy()
    cat = _categorise(score, [0, 5, 7, 9, 10], ["poor", "moderate", "good", "excellent"])
    return pd.DataFrame({"score": score, "category": cat}, index=X.index)


def ompsq_sf_score(
    X: pd.DataFrame, *, cutoff: float = 50.0, on_missing: Literal["raise", "nan"] = "raise"
) -> pd.DataFrame:
    """ÖMPSQ short form: total 0-100 with items 3, 4, 8 reversed; at risk when >= ``cutoff``.

    References
    ----------
    Linton SJ, Nicholas M, MacDonald S. Development of a short form of the Örebro
    Musculoskeletal Pain Screening Questionnaire. Spine 2011;36(22):1891-1895.

    Examples
    --------
    >>> import pandas as pd
    >>> from irdp.models.questionnaires import ompsq_sf_score
    >>> row = {f"OMPSQ_SF_{i}": 5 for i in range(1, 11)}
    >>> row["OMPSQ_SF_3"] = 10  # "I can do light work for an hour": fully able -> 0 points
    >>> ompsq_sf_score(pd.DataFrame([row]))
       score  at_risk
    0   45.0    False
    """
    items, complete = _items(X, "OMPSQ_SF", on_missing)
    for i in (3, 4, 8):
        items[f"OMPSQ_SF_{i}"] = 10.0 - items[f"OMPSQ_SF_{i}"]
    score = items.sum(axis=1, min_count=10).to_numpy()
    at_risk = pd.array(np.where(complete, score >= cutoff, pd.NA), dtype="boolean")
    return pd.DataFrame({"score": score, "at_risk": at_risk}, index=X.index)


def q4_class(
    X: pd.DataFrame,
    *,
    rule: Literal["max", "sum"] = "max",
    thresholds: tuple[float, float] = (2, 5),
    on_missing: Literal["raise", "nan"] = "raise",
) -> pd.DataFrame:
    """Three classes of the 4-question mid-career questionnaire (items 0/1/2).

    Parameters
    ----------
    X : pandas.DataFrame
        Columns ``Q4_1`` ... ``Q4_4``.
    rule : {"max", "sum"}, default="max"
        ``"max"``: the worst answer gives the class (0 none, 1 possible, 2 foreseeable).
        ``"sum"``: total 0-8 against ``thresholds`` (possible from ``thresholds[0]``,
        foreseeable from ``thresholds[1]``).
    thresholds : tuple of float, default=(2, 5)
        Used with ``rule="sum"`` only.
    on_missing : {"raise", "nan"}, default="raise"

    Returns
    -------
    pandas.DataFrame
        ``score`` (0-2 for "max", 0-8 for "sum") and ``category`` among
        pas_incapacite_previsible / incapacite_possible / incapacite_previsible.

    Notes
    -----
    The SPSTI's own rule is not published (DOMAIN.md §1.2); both rules are documented
    assumptions to be replaced by it.

    Examples
    --------
    >>> import pandas as pd
    >>> from irdp.models.questionnaires import q4_class
    >>> X = pd.DataFrame({"Q4_1": [0, 1, 0], "Q4_2": [0, 0, 2], "Q4_3": [0, 1, 0],
    ...                   "Q4_4": [0, 0, 0]})
    >>> q4_class(X)["category"].tolist()
    ['pas_incapacite_previsible', 'incapacite_possible', 'incapacite_previsible']
    >>> q4_class(X, rule="sum")["score"].tolist()
    [0.0, 2.0, 2.0]
    """
    items, _ = _items(X, "Q4", on_missing)
    if rule == "max":
        score = items.max(axis=1, skipna=False).to_numpy()
        edges = [-0.5, 0.5, 1.5, 2.5]
    elif rule == "sum":
        lo, hi = thresholds
        if not 0 < lo < hi <= 8:
            raise ValueError(f"thresholds must satisfy 0 < low < high <= 8; got {thresholds}.")
        score = items.sum(axis=1, min_count=4).to_numpy()
        edges = [-0.5, lo - 1e-9, hi - 1e-9, 8.5]
    else:
        raise ValueError(f"rule must be 'max' or 'sum'; got {rule!r}.")
    cat = pd.cut(score, bins=edges, labels=list(Q4_CLASSES), right=False)
    return pd.DataFrame(
        {"score": score, "category": pd.Categorical(cat, categories=Q4_CLASSES, ordered=True)},
        index=X.index,
    )


_SCORERS = {"WAI": wai_score, "WAS": was_score, "OMPSQ_SF": ompsq_sf_score, "Q4": q4_class}


def questionnaire_wide(questionnaire: pd.DataFrame) -> pd.DataFrame:
    """Pivot the contract's long ``questionnaire`` table (visit_id, instrument, item, value)
    to one row per visit and columns ``<instrument>_<item>``.

    Examples
    --------
    >>> import pandas as pd
    >>> from irdp.models.questionnaires import questionnaire_wide
    >>> q = pd.DataFrame({"visit_id": ["v1", "v1"], "instrument": ["WAS", "Q4"],
    ...                   "item": [1, 2], "value": [7, 1]})
    >>> questionnaire_wide(q).columns.tolist()
    ['Q4_2', 'WAS_1']
    """
    need = {"visit_id", "instrument", "item", "value"}
    if not need <= set(questionnaire.columns):
        raise ValueError(
            f"questionnaire must have columns {sorted(need)}; got {list(questionnaire.columns)}."
        )
    q = questionnaire.assign(
        column=questionnaire["instrument"].astype(str) + "_" + questionnaire["item"].astype(str)
    )
    dup = q.duplicated(["visit_id", "column"])
    if dup.any():
        raise ValueError(f"{int(dup.sum())} duplicated (visit_id, instrument, item) answers.")
    wide = q.pivot(index="visit_id", columns="column", values="value")
    wide.columns.name = None
    return wide.astype(float)


@register
class FixedScoreIndex(RiskIndexMixin, BaseEstimator):
    """A fixed instrument score mapped to a risk by logistic recalibration.

    The score needs no fitting; ``fit`` only estimates ``risk = expit(a + b * score)`` on
    a binary outcome so that the instrument can be compared with models on the probability
    scale. ``linear_predictor`` is the score oriented so that higher = more risk (WAI and
    WAS are reversed: a low work ability means a high risk).

    Parameters
    ----------
    instrument : {"WAI", "WAS", "OMPSQ_SF", "Q4"} or None, default="WAI"
        Score computed from the item columns of X; ``None`` reads a ready score from
        ``score_column`` (e.g. a local index), oriented by ``higher_is_riskier``.
    score_column : str, default="score"
    higher_is_riskier : bool, default=True
        Only for ``instrument=None``.
    q4_rule : {"max", "sum"}, default="max"

    Attributes
    ----------
    coef_, se_ : pandas.Series
        Recalibration slope on the raw score (index ``score``); ``intercept_``.

    References
    ----------
    Steyerberg EW. Clinical Prediction Models, 2nd ed. Springer 2019, chapter 20
    (recalibration).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from irdp.models import FixedScoreIndex
    >>> from irdp.outcomes import Binary
    >>> rng = np.random.default_rng(5)
    >>> X = pd.DataFrame({"WAS_1": rng.integers(0, 11, 300)})
    >>> y = Binary(rng.random(300) < 1 / (1 + np.exp(0.4 * (X["WAS_1"] - 4))))
    >>> m = FixedScoreIndex(instrument="WAS").fit(X, y)
    >>> bool(m.coef_["score"] < 0)
    True
    """

    _outcome_kinds = (Binary,)
    _exp_name = "odds_ratio"

    def __init__(
        self,
        *,
        instrument: Literal["WAI", "WAS", "OMPSQ_SF", "Q4"] | None = "WAI",
        score_column: str = "score",
        higher_is_riskier: bool = True,
        q4_rule: Literal["max", "sum"] = "max",
    ) -> None:
        self.instrument = instrument
        self.score_column = score_column
        self.higher_is_riskier = higher_is_riskier
        self.q4_rule = q4_rule

    def instrument_score(self, X: Any) -> np.ndarray:
        """The instrument's raw score (no fitting needed)."""
        if self.instrument is None:
            if not isinstance(X, pd.DataFrame) or self.score_column not in X.columns:
                raise ValueError(f"X must be a DataFrame with a {self.score_column!r} column.")
            s = X[self.score_column]
            if not pd.api.types.is_numeric_dtype(s.dtype):
                raise TypeError(f"{self.score_column} must be numeric; got {s.dtype}.")
            v = s.to_numpy(dtype=float, na_value=np.nan)
            if np.isnan(v).any():
                n_miss = int(np.isnan(v).sum())
                raise ValueError(f"{self.score_column} has {n_miss} missing values.")
            return v
        if self.instrument not in _SCORERS:
            raise ValueError(f"instrument must be one of {sorted(_SCORERS)} or None; "
                             f"got {self.instrument!r}.")
        kw = {"rule": self.q4_rule} if self.instrument == "Q4" else {}
        return _SCORERS[self.instrument](X, **kw)["score"].to_numpy(dtype=float)

    def _orientation(self) -> float:
        if self.instrument is None:
            return 1.0 if self.higher_is_riskier else -1.0
        return _ORIENTATION[self.instrument]

    def fit(self, X: Any, y: Binary):
        """Estimate the logistic recalibration ``expit(a + b * score)``.

        Returns
        -------
        self
        """
        y = self._check_outcome(y)
        X = self._check_xy(X, y)
        s = self.instrument_score(X)
        if np.ptp(s) == 0:
            raise InsufficientDataError(
                "the score is constant in these data; it cannot be recalibrated.")
        if y.n_events in (0, len(y)):
            raise InsufficientDataError(
                f"y must contain events and non-events; got {y.n_events} events among "
                f"{len(y)} rows.")
        res = fit_logistic(s[:, None], y.y.astype(float))
        warn_separation(res["result"], "recalibration of the score")
        se = np.sqrt(np.diag(res["cov"]))
        self.intercept_, self.intercept_se_ = float(res["beta"][0]), float(se[0])
        self.coef_ = pd.Series({"score": float(res["beta"][1])})
        self.se_ = pd.Series({"score": float(se[1])})
        self.cov_ = res["cov"]
        self.horizon_ = y.horizon
        self.development_ = {"n": len(y), "n_events": int(y.n_events), "horizon": y.horizon}
        return self

    def linear_predictor(self, X: Any) -> np.ndarray:
        """The score oriented so that higher = more risk."""
        return self._orientation() * self.instrument_score(X)

    def predict_risk(self, X: Any, horizon: float | None = None) -> np.ndarray:
        """Recalibrated probability ``expit(intercept_ + coef_ * score)``."""
        self._check_is_fitted()
        if horizon is not None and self.horizon_ is not None and float(horizon) != self.horizon_:
            raise ValueError(
                f"horizon={horizon!r} differs from the fitted horizon {self.horizon_}."
            )
        slope = float(self.coef_["score"])
        return special.expit(self.intercept_ + slope * self.instrument_score(X))

    def _summary_rows(self) -> tuple[pd.Series, pd.Series]:
        coef = pd.concat([pd.Series({"(Intercept)": self.intercept_}), self.coef_])
        se = pd.concat([pd.Series({"(Intercept)": self.intercept_se_}), self.se_])
        return coef, se

    def _export_state(self, horizons: list[float] | None, threshold: int) -> dict[str, Any]:
        return {"intercept": self.intercept_, "intercept_se": self.intercept_se_,
                "horizon": self.horizon_}

    def _load_state(self, state: dict[str, Any]) -> None:
        self.intercept_ = float(state["intercept"])
        self.intercept_se_ = float(state["intercept_se"])
        self.horizon_ = state["horizon"]
