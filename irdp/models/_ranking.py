"""Discrimination of a linear predictor, for ``score()`` and points rounding loss (private).

The full measures with confidence intervals live in :mod:`irdp.metrics`; models sit upstream
of metrics and do not import them. Both compute C with the one implementation of the
numerical core (:mod:`irdp._stats.concordance`), so ``score()`` equals
``irdp.metrics.concordance(...).value`` on the same rows.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from irdp._stats.concordance import auc_mann_whitney, harrell_c
from irdp.outcomes import Binary, CompetingRisks, Survival

__all__ = ["concordance"]


def concordance(risk: np.ndarray, y: Binary | Survival | CompetingRisks) -> float:
    """Harrell's C (ties in risk count 1/2) for a survival outcome, AUC for a binary one.

    A competing-risks outcome gives the cause-specific C (other causes censored), as
    :func:`irdp.metrics.concordance`.

    References
    ----------
    Harrell FE, Califf RM, Pryor DB, Lee KL, Rosati RA. Evaluating the yield of medical
    tests. JAMA 1982;247:2543-2546. Hanley JA, McNeil BJ. The meaning and use of the area
    under a receiver operating characteristic (ROC) curve. Radiology 1982;143:29-36.
    """
    risk = np.asarray(risk, float)
    if isinstance(y, Binary):
        return auc_mann_whitney(y.y == 1, risk, rankdata(risk))
    ys = y.to_survival() if isinstance(y, CompetingRisks) else y
    return harrell_c(ys.time, ys.event, risk)
