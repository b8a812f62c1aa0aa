"""From raw features to the columns of a model: the missing-indicator preprocessing.

:class:`MissingIndicatorPreprocessing` is what a validation run applies to the raw features
of an index before fitting it (``irdp.pipeline``), learned on the development rows:

- a numeric feature is filled with its development median where missing, and gets a 0/1
  indicator column ``<feature>__missing`` when it has missing values in development
  (features missing on exactly the same rows share the first one's indicator);
- a categorical feature gets a ``"(missing)"`` level; its reference level is the most
  frequent development level (ties: the first in sorted order);
- a feature constant in development is dropped.

It is exported with the model (``model.export(preprocessing=...)``), so that ``irdp score``
rebuilds exactly the columns the model was fitted on from a new extract.

References
----------
Groenwold RHH, White IR, Donders ART, Carpenter JR, Altman DG, Moons KGM. Missing covariate
data in clinical research: when and when not to use the missing-indicator method for
analysis. CMAJ 2012;184:1265-1269. Sperrin M, Martin GP, Sisk R, Peek N. Missing data should
be handled differently for prediction than for description or causal explanation. J Clin
Epidemiol 2020;125:183-187.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MissingIndicatorPreprocessing", "MISSING_LEVEL"]

#: Level given to a missing categorical value.
MISSING_LEVEL = "(missing)"


def _is_categorical(s: pd.Series) -> bool:
    return (isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(s)
            or s.dtype == object)


def _numeric(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.astype("Float64"), errors="coerce").astype(float)


@dataclass(frozen=True)
class MissingIndicatorPreprocessing:
    """Missing-indicator design learned on development rows (see the module docstring).

    Attributes
    ----------
    numeric_fill : dict
        Development median of every numeric feature kept.
    indicators : list of str
        Features that get a ``__missing`` indicator.
    categorical : dict
        Reference level of every categorical feature kept.
    dropped : list of str
        Features constant in development.
    features : list of str
        The raw features, in order (empty for a preprocessing exported before irdp 2024).

    Examples
    --------
    >>> import pandas as pd
    >>> from irdp.models import MissingIndicatorPreprocessing
    >>> X = pd.DataFrame({"age": [30.0, None, 50.0, 40.0], "sex": ["F", "M", None, "F"]})
    >>> prep = MissingIndicatorPreprocessing.fit(X)
    >>> prep.transform(X).columns.tolist()
    ['age__missing', 'age', 'sex']
    """

    numeric_fill: dict[str, float]
    indicators: list[str]
    categorical: dict[str, str]
    dropped: list[str]
    features: list[str] = field(default_factory=list)

    @classmethod
    def fit(cls, X: pd.DataFrame) -> MissingIndicatorPreprocessing:
        """Fill values, indicators and reference levels from the development rows ``X``."""
        fill: dict[str, float] = {}
        ind: list[str] = []
        cat: dict[str, str] = {}
        dropped: list[str] = []
        patterns: set[bytes] = set()
        for c in X.columns:
            s = X[c]
            if _is_categorical(s):
                counts = s.astype("string").fillna(MISSING_LEVEL).value_counts()
                if len(counts) < 2:
                    dropped.append(c)
                    continue
                cat[c] = str(sorted(counts.index[counts == counts.max()])[0])
                continue
            v = _numeric(s)
            obs = v.dropna()
            if obs.nunique() < 2:
                dropped.append(c)
                continue
            fill[c] = float(obs.median())
            pattern = np.packbits(v.isna().to_numpy()).tobytes()
            if v.isna().any() and pattern not in patterns:
                patterns.add(pattern)
                ind.append(c)
        return cls(fill, ind, cat, dropped, [str(c) for c in X.columns])

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """The model's columns: filled values, indicators and ``"(missing)"`` levels."""
        if self.features:
            lacking = [c for c in self.features if c not in X.columns]
            if lacking:
                raise ValueError(
                    f"X lacks the features {lacking[:5]} the preprocessing was learned on; "
                    f"got columns {list(X.columns)[:10]}."
                )
            X = X[self.features]
        out = {}
        for c in X.columns:
            if c in self.dropped:
                continue
            s = X[c]
            if c in self.categorical:
                out[c] = s.astype("string").fillna(MISSING_LEVEL).astype(object)
            else:
                v = _numeric(s)
                if c in self.indicators:
                    out[f"{c}__missing"] = v.isna().astype(float)
                out[c] = v.fillna(self.numeric_fill.get(c, 0.0))
        return pd.DataFrame(out, index=X.index)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable description (the format of ``<index>.preprocessing.json``)."""
        return {"strategy": "missing-indicator (development median / '(missing)' level)",
                "numeric_fill": dict(self.numeric_fill), "indicators": list(self.indicators),
                "categorical_reference": dict(self.categorical),
                "dropped_constant": list(self.dropped), "features": list(self.features)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MissingIndicatorPreprocessing:
        """Inverse of :meth:`to_dict`."""
        return cls({k: float(v) for k, v in d["numeric_fill"].items()}, list(d["indicators"]),
                   {k: str(v) for k, v in d["categorical_reference"].items()},
                   list(d["dropped_constant"]), list(d.get("features", [])))
