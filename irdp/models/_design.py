"""Design matrices: checked numeric columns, categorical dummies with an explicit reference
level, and restricted cubic splines; serialisable so that an exported model rebuilds the
exact same columns from raw features (private module)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from irdp._stats.splines import rcs_basis, rcs_knots
from irdp._validation import first_labels

__all__ = ["Design", "as_frame"]


def as_frame(X: Any, name: str = "X") -> pd.DataFrame:
    """Accept a DataFrame (kept) or a 2-D array (columns ``x0, x1, ...``)."""
    if isinstance(X, pd.DataFrame):
        return X
    if isinstance(X, pd.Series):
        raise TypeError(f"{name} must be a 2-D table; got a Series. Use series.to_frame().")
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features); got shape {arr.shape}.")
    return pd.DataFrame(arr, columns=[f"x{j}" for j in range(arr.shape[1])])


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)


def _numeric(s: pd.Series, col: str) -> np.ndarray:
    if not _is_numeric(s):
        raise TypeError(
            f"column {col!r} must be numeric; got dtype {s.dtype}. Declare it in "
            f"categorical={{{col!r}: <reference level>}} or convert it."
        )
    return s.to_numpy(dtype=float, na_value=np.nan)


def _check_missing(values: np.ndarray | pd.Series, col: str, index: pd.Index) -> None:
    miss = pd.isna(values) if isinstance(values, pd.Series) else np.isnan(values)
    miss = np.asarray(miss)
    if len(miss) and miss.all():
        raise ValueError(f"column {col!r} is entirely missing; drop it from X.")
    if miss.any():
        raise ValueError(
            f"column {col!r} must not contain missing values; found {int(miss.sum())} "
            f"(first labels: {first_labels(miss, index)}). Impute or drop those rows first."
        )


@dataclass
class Design:
    """How raw columns of X become the design columns of a model.

    ``terms`` is a list of dicts ``{"column", "kind": "numeric"|"categorical"|"spline", ...}``
    with ``levels``/``reference`` for categorical terms and ``knots`` for splines.
    """

    terms: list[dict[str, Any]]

    @classmethod
    def fit(
        cls,
        X: pd.DataFrame,
        *,
        categorical: dict[str, Any] | None = None,
        splines: dict[str, Any] | None = None,
        exclude: tuple[str, ...] = (),
    ) -> Design:
        """Learn levels and knots from training data ``X``."""
        categorical = dict(categorical or {})
        splines = dict(splines or {})
        unknown = [c for c in [*categorical, *splines, *exclude] if c not in X.columns]
        if unknown:
            raise ValueError(
                f"columns {unknown} named in categorical/splines/strata are not in X "
                f"(columns: {list(X.columns)[:10]})."
            )
        both = set(categorical) & set(splines)
        if both:
            raise ValueError(f"columns {sorted(both)} cannot be both categorical and splines.")
        terms: list[dict[str, Any]] = []
        for col in X.columns:
            if col in exclude:
                continue
            s = X[col]
            _check_missing(s, str(col), X.index)
            if col in categorical:
                ref = categorical[col]
                levels = sorted(pd.unique(s).tolist(), key=str)
                if ref not in levels:
                    raise ValueError(
                        f"reference level {ref!r} of column {col!r} is not observed; levels "
                        f"are {levels[:10]}. Choose one of them."
                    )
                if len(levels) < 2:
                    raise ValueError(f"categorical column {col!r} has a single level {ref!r}.")
                terms.append(
                    {"column": col, "kind": "categorical", "reference": ref,
                     "levels": [lv for lv in levels if lv != ref]}
                )
            elif col in splines:
                spec = splines[col]
                x = _numeric(s, str(col))
                knots = rcs_knots(x, int(spec)) if np.isscalar(spec) else np.asarray(spec, float)
                terms.append({"column": col, "kind": "spline", "knots": knots.tolist()})
            else:
                _numeric(s, str(col))
                terms.append({"column": col, "kind": "numeric"})
        if not terms:
            raise ValueError("X has no predictor column left; a model needs at least one.")
        return cls(terms)

    @property
    def column_index(self) -> pd.Index:
        """``columns`` as a pandas Index, built once (coefficient Series of every refit)."""
        cached = self.__dict__.get("_column_index")
        if cached is None:
            cached = pd.Index(self.columns, dtype=object)
            self.__dict__["_column_index"] = cached
        return cached

    @property
    def columns(self) -> list[str]:
        """Names of the design columns (``age``, ``age'``, ``sex[F]``...)."""
        names: list[str] = []
        for t in self.terms:
            col = str(t["column"])
            if t["kind"] == "numeric":
                names.append(col)
            elif t["kind"] == "categorical":
                names.extend(f"{col}[{lv}]" for lv in t["levels"])
            else:
                names.extend(col + "'" * j for j in range(len(t["knots"]) - 1))
        return names

    @property
    def input_columns(self) -> list[str]:
        """Raw columns of X the design reads."""
        return [t["column"] for t in self.terms]

    def transform(self, X: Any) -> np.ndarray:
        """Build the design matrix, checking columns, missing values and unseen levels."""
        X = as_frame(X)
        missing = [t["column"] for t in self.terms if t["column"] not in X.columns]
        if missing:
            raise ValueError(
                f"X lacks the columns {missing[:5]} used when the model was fitted; got "
                f"columns {list(X.columns)[:10]}."
            )
        if all(t["kind"] == "numeric" for t in self.terms):  # fast path: one copy
            cols = [t["column"] for t in self.terms]
            for c in cols:
                _numeric(X[c], str(c))
                _check_missing(X[c], str(c), X.index)
            return X[cols].to_numpy(dtype=float, na_value=np.nan)
        blocks: list[np.ndarray] = []
        for t in self.terms:
            col = t["column"]
            s = X[col]
            _check_missing(s, str(col), X.index)
            if t["kind"] == "numeric":
                blocks.append(_numeric(s, str(col))[:, None])
            elif t["kind"] == "spline":
                blocks.append(rcs_basis(_numeric(s, str(col)), t["knots"]))
            else:
                known = {t["reference"], *t["levels"]}
                values = s.to_numpy(dtype=object)
                unseen = ~np.isin(values, list(known))
                if unseen.any():
                    raise ValueError(
                        f"column {col!r} has {int(unseen.sum())} values unseen at fit "
                        f"(e.g. {sorted(set(values[unseen].tolist()), key=str)[:5]}); "
                        f"known levels are {sorted(known, key=str)[:10]}."
                    )
                blocks.append(
                    np.column_stack([(values == lv).astype(float) for lv in t["levels"]])
                )
        return np.hstack(blocks) if blocks else np.empty((len(X), 0))

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable description (levels as given; knots as floats)."""
        return {"terms": [dict(t) for t in self.terms], "columns": self.columns}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Design:
        """Inverse of :meth:`to_dict`."""
        return cls([dict(t) for t in d["terms"]])
