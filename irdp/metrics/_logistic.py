"""Unpenalised logistic fits used by binary calibration (private).

A thin delegation to the one logistic solver of irdp, :func:`irdp._stats.glm.fit_logit`:
``glm(y ~ 1, offset = logit(p), family = binomial)`` for calibration-in-the-large and
``glm(y ~ logit(p), family = binomial)`` for the slope (no L2 penalty, unlike
scikit-learn's default).

References
----------
McCullagh P, Nelder JA. Generalized Linear Models, 2nd ed. 1989, section 2.5.
"""

from __future__ import annotations

import warnings

import numpy as np

from irdp._stats.glm import fit_logit
from irdp.exceptions import SeparationWarning

__all__ = ["logistic_fit"]


def logistic_fit(
    x: np.ndarray, y: np.ndarray, offset: np.ndarray | None = None, max_iter: int = 100
) -> tuple[np.ndarray, np.ndarray, float]:
    """Coefficients, covariance and deviance of a logistic model with design ``x`` (which
    holds its own intercept column, if any) and an optional offset."""
    res = fit_logit(np.asarray(x, float), np.asarray(y, float), offset=offset,
                    intercept=False, max_iter=max_iter)
    if res.separation or not res.converged or np.any(np.abs(res.coef) > 30):
        warnings.warn(
            "the calibration logistic model did not converge (possible separation); its "
            "estimates are unreliable.",
            SeparationWarning,
            stacklevel=3,
        )
    return res.coef, res.cov, res.deviance
