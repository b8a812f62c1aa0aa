"""Rubin's rules for combining estimates across multiply imputed data sets.

Pooling is done on a scale where the estimate is approximately normal, then back-transformed
(Marshall et al. 2009; Debray et al. 2017): the C statistic / AUC on the logit scale, the O/E
ratio on the log scale, coefficients, calibration intercept and slope as they are.

Formulas (Rubin 1987; Barnard & Rubin 1999), for m imputations with estimates Q_i and
variances U_i on the pooling scale:

- pooled estimate Q = mean(Q_i); within variance W = mean(U_i); between variance
  B = var(Q_i) (denominator m - 1); total variance T = W + (1 + 1/m) B;
- relative increase in variance r = (1 + 1/m) B / W; lambda = (1 + 1/m) B / T;
- Rubin's df nu_old = (m - 1) / lambda^2;
- with complete-data df nu_com (n - k), the observed-data df
  nu_obs = (nu_com + 1)/(nu_com + 3) nu_com (1 - lambda) and Barnard-Rubin's adjusted
  df nu = nu_old nu_obs / (nu_old + nu_obs) (what R ``mice::pool`` reports);
- fraction of missing information fmi = (r + 2/(nu + 3)) / (r + 1);
- CI: Q +/- t_{nu, 1 - alpha/2} sqrt(T), back-transformed.

References
----------
.. [1] Rubin DB. Multiple Imputation for Nonresponse in Surveys. Wiley 1987.
.. [2] Barnard J, Rubin DB. Small-sample degrees of freedom with multiple imputation.
   Biometrika 1999;86:948-955.
.. [3] Marshall A, Altman DG, Holder RL, Royston P. Combining estimates of interest in
   prognostic modelling studies after multiple imputation. BMC Med Res Methodol 2009;9:57.
.. [4] van Buuren S. Flexible Imputation of Missing Data, 2nd ed. CRC 2018, section 5.2.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import stats

from irdp.metrics._registry import ALIASES, METRICS

__all__ = ["PooledEstimate", "rubin_pool", "SCALES"]

Scale = Literal["identity", "logit", "log"]
class _ScaleView(Mapping[str, str]):
    """Read-only view of the pooling scales of the registry :data:`irdp.metrics.METRICS`."""

    def __getitem__(self, name: str) -> str:
        key = str(name).strip().lower()
        if key not in ALIASES:
            raise KeyError(name)
        return METRICS[ALIASES[key]].scale

    def __iter__(self) -> Iterator[str]:
        return iter(ALIASES)

    def __len__(self) -> int:
        return len(ALIASES)


SCALES: Mapping[str, str] = _ScaleView()
"""Pooling scale by measure name or alias: a read-only view of the registry
:data:`irdp.metrics.METRICS` (``SCALES.get(name, "identity")`` for other names)."""


def _forward(x: np.ndarray, se: np.ndarray, scale: Scale) -> tuple[np.ndarray, np.ndarray]:
    """Transform estimates and SEs to the pooling scale (delta method)."""
    if scale == "identity":
        return x, se
    if scale == "logit":
        if np.any((x <= 0) | (x >= 1)):
            raise ValueError(
                f"estimates must lie strictly in (0, 1) to be pooled on the logit scale; got "
                f"{x[(x <= 0) | (x >= 1)][:5].tolist()}. Use scale='identity'."
            )
        return np.log(x / (1 - x)), se / (x * (1 - x))
    if scale == "log":
        if np.any(x <= 0):
            raise ValueError(
                f"estimates must be > 0 to be pooled on the log scale; got "
                f"{x[x <= 0][:5].tolist()}. Use scale='identity'."
            )
        return np.log(x), se / x
    raise ValueError(f"scale must be 'identity', 'logit' or 'log'; got {scale!r}.")


def _backward(q: float, scale: Scale) -> float:
    if scale == "logit":
        return float(1 / (1 + np.exp(-q)))
    if scale == "log":
        return float(np.exp(q))
    return float(q)


@dataclass(frozen=True)
class PooledEstimate:
    """Result of :func:`rubin_pool` (``float(est)`` gives the value).

    Attributes
    ----------
    value, lower, upper : float
        Pooled estimate and CI on the original scale.
    se : float
        sqrt(T) on the pooling scale.
    scale : str
        Pooling scale.
    within, between, total : float
        W, B, T on the pooling scale.
    df : float
        Degrees of freedom of the t reference (Barnard-Rubin if ``df_complete`` was given,
        else Rubin's 1987 df).
    riv, fmi : float
        Relative increase in variance due to nonresponse; fraction of missing information.
    m : int
        Number of imputations.
    """

    value: float
    se: float
    lower: float
    upper: float
    scale: str
    within: float
    between: float
    total: float
    df: float
    riv: float
    fmi: float
    m: int

    def __float__(self) -> float:
        return self.value

    def __repr__(self) -> str:
        return (f"PooledEstimate(value={self.value:.4g}, {self.lower:.4g}-{self.upper:.4g}, "
                f"scale={self.scale}, m={self.m}, df={self.df:.3g}, fmi={self.fmi:.3g})")


def rubin_pool(
    estimates: Any,
    std_errors: Any,
    *,
    scale: Scale = "identity",
    df_complete: float | None = None,
    level: float = 0.95,
) -> PooledEstimate:
    """Pool one quantity across m imputed data sets with Rubin's rules.

    Parameters
    ----------
    estimates : array-like of shape (m,)
        The estimate from each imputed data set, on the *original* scale (e.g. C, O/E).
    std_errors : array-like of shape (m,)
        Their standard errors on the original scale (transformed by the delta method).
    scale : {"identity", "logit", "log"}, default="identity"
        Pooling scale: "logit" for C / AUC, "log" for O/E (see :data:`SCALES`).
    df_complete : float, optional
        Complete-data degrees of freedom (n - number of parameters) for the Barnard-Rubin
        small-sample df; None uses Rubin's large-sample df.
    level : float, default=0.95

    Returns
    -------
    PooledEstimate

    Notes
    -----
    With B = 0 (identical estimates), the df are infinite (or nu_obs with ``df_complete``)
    and the interval is the normal (or t) interval of the common estimate.

    Examples
    --------
    >>> from irdp.missing import rubin_pool
    >>> est = rubin_pool([1.0, 1.2, 0.8], [0.1, 0.1, 0.1])
    >>> round(est.value, 3), round(est.total, 4), round(est.df, 2)
    (1.0, 0.0633, 2.82)
    """
    q = np.asarray(estimates, dtype=float).reshape(-1)
    u_se = np.asarray(std_errors, dtype=float).reshape(-1)
    m = len(q)
    if m < 2:
        raise ValueError(f"estimates must come from at least 2 imputed data sets; got {m}.")
    if len(u_se) != m:
        raise ValueError(f"std_errors must have one value per estimate; got {len(u_se)} for {m}.")
    if not (np.all(np.isfinite(q)) and np.all(np.isfinite(u_se)) and np.all(u_se >= 0)):
        raise ValueError("estimates and std_errors must be finite (std_errors >= 0); drop or "
                         "investigate the imputations that failed.")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1); got {level!r}.")
    qt, set_ = _forward(q, u_se, scale)
    qbar = float(qt.mean())
    w = float(np.mean(set_**2))
    b = float(np.var(qt, ddof=1))
    t = w + (1 + 1 / m) * b
    riv = (1 + 1 / m) * b / w if w > 0 else np.inf
    lam = (1 + 1 / m) * b / t if t > 0 else 0.0
    df_old = (m - 1) / lam**2 if lam > 0 else np.inf
    if df_complete is not None:
        if df_complete <= 0:
            raise ValueError(f"df_complete must be > 0; got {df_complete!r}.")
        df_obs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lam)
        df = df_old * df_obs / (df_old + df_obs) if np.isfinite(df_old) else df_obs
    else:
        df = df_old
    fmi = (riv + 2 / (df + 3)) / (riv + 1) if np.isfinite(riv) else 1.0
    crit = stats.t.ppf(0.5 + level / 2, df) if np.isfinite(df) else stats.norm.ppf(0.5 + level / 2)
    half = crit * np.sqrt(t)
    return PooledEstimate(
        value=_backward(qbar, scale), se=float(np.sqrt(t)),
        lower=_backward(qbar - half, scale), upper=_backward(qbar + half, scale),
        scale=scale, within=w, between=b, total=t, df=float(df), riv=float(riv),
        fmi=float(fmi), m=m,
    )
