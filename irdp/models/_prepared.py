"""Data prepared once for repeated fits: the design-matrix cache of resampling designs.

:meth:`irdp.models.base.RiskIndexMixin.prepare` checks ``X`` and ``y`` once, learns the
design (categorical levels, spline knots, strata) on all rows and keeps NumPy arrays. A
resampling design then takes rows with :meth:`PreparedData.take` and passes the result to
``fit`` and ``predict_risk`` in place of ``X``: no pandas work, no re-validation and no
re-learning of the design happen in the replicate loop. As in ``rms::validate``, the design
(knots, levels) is the one of the full data; a column that is constant in a resample (a
category absent from it) raises :class:`irdp.exceptions.InsufficientDataError`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from irdp.models._design import Design
from irdp.outcomes import Binary, CompetingRisks, Survival

__all__ = ["PreparedData"]


@dataclass(frozen=True, eq=False)
class PreparedData:
    """Arrays of a data set, prepared by ``estimator.prepare(X, y)``.

    Attributes
    ----------
    design : Design
        Columns, levels and knots learned on all rows.
    Z : ndarray of shape (n, n_design_columns)
        Design matrix.
    y : Binary, Survival, CompetingRisks or None
        Outcome (None when prepared for prediction only).
    sample_weight : ndarray or None
    strata : ndarray of int or None
        Stratum code of every row (index into ``strata_levels``).
    strata_levels : list of str
    rows : ndarray or None
        Rows of the original data held (after :meth:`take`).

    Examples
    --------
    >>> import numpy as np
    >>> from irdp.models import CoxIndex
    >>> from irdp.testing import make_index_data
    >>> d = make_index_data(300)
    >>> model = CoxIndex(categorical={"sex": "M"})
    >>> data = model.prepare(d["X"][["age", "sex"]], d["survival"])
    >>> boot = data.take(np.random.default_rng(0).integers(0, 300, 300))
    >>> risk = model.fit(boot).predict_risk(data, horizon=2.0)
    >>> risk.shape
    (300,)
    """

    design: Design
    Z: np.ndarray
    y: Binary | Survival | CompetingRisks | None
    sample_weight: np.ndarray | None
    strata: np.ndarray | None
    strata_levels: list[str]
    frame_: pd.DataFrame | None = None
    rows: np.ndarray | None = None

    def __len__(self) -> int:
        return self.Z.shape[0]

    @property
    def frame(self) -> pd.DataFrame:
        """The raw rows (for estimators that read raw columns, e.g. points scores)."""
        if self.frame_ is None:
            raise ValueError("these prepared data hold no raw frame.")
        if self.rows is None:
            return self.frame_
        return self.frame_.iloc[self.rows].reset_index(drop=True)

    def take(self, rows: Any) -> PreparedData:
        """The prepared data restricted to ``rows`` (positions, repeats allowed)."""
        rows = np.asarray(rows)
        if rows.dtype == bool:
            rows = np.flatnonzero(rows)
        base = rows if self.rows is None else self.rows[rows]
        return replace(
            self,
            Z=self.Z[rows],
            y=None if self.y is None else self.y.take(rows),
            sample_weight=None if self.sample_weight is None else self.sample_weight[rows],
            strata=None if self.strata is None else self.strata[rows],
            rows=base,
        )
