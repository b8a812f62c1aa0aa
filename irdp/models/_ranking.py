"""Discrimination of a linear predictor, for ``score()`` and points rounding loss (private).

The full measures with confidence intervals live in :mod:`irdp.metrics`; models sit upstream
of metrics and do not import them.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from irdp.outcomes import Binary, CompetingRisks, Survival

__all__ = ["concordance"]


def concordance(risk: np.ndarray, y: Binary | Survival | CompetingRisks) -> float:
    """Harrell's C (ties in risk count 1/2) for a survival outcome, AUC for a binary one.

    References
    ----------
    Harrell FE, Califf RM, Pryor DB, Lee KL, Rosati RA. Evaluating the yield of medical
    tests. JAMA 1982;247:2543-2546. Hanley JA, McNeil BJ. The meaning and use of the area
    under a receiver operating characteristic (ROC) curve. Radiology 1982;143:29-36.
    """
    risk = np.asarray(risk, float)
    if isinstance(y, Binary):
        r = rankdata(risk)
        n1 = int(y.y.sum())
        n0 = len(risk) - n1
        return float((r[y.y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))
    from lifelines.utils import concordance_index

    ys = y.to_survival() if isinstance(y, CompetingRisks) else y
    return float(concordance_index(ys.time, -risk, ys.event))
