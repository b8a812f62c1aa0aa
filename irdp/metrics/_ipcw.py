"""Inverse-probability-of-censoring weights and their influence functions (private).

Shared machinery for the IPCW measures (time-dependent AUC, Brier score, IPA,
classification at a threshold). The censoring distribution G is the reverse Kaplan-Meier
of the *validation* data (``cens.model="km"`` in riskRegression), from
:func:`irdp.nonparametric.censoring_survival`.

The influence function of ``log G(s-)`` for subject k is (Nelson-Aalen linearisation)

    IF_k(s) = - sum_{u < s} [dN^C_k(u) - 1{T_k >= u} dLambda^C(u)] / ybar(u),

with ``ybar(u)`` the proportion at risk of censoring at ``u``. :func:`censoring_if_weighted`
returns ``sum_i psi_i IF_k(s_i)`` for every k in O(n log n), which is what the IPCW
estimators need for their standard errors (Blanche et al. 2013, Appendix; Gerds &
Schumacher 2006).

Two risk sets exist for ``ybar`` and ``dLambda^C = c(u) / (n ybar(u))`` when an event and a
censoring share a time u (the weights G themselves are the same under both):

- ``"score"`` (default): ``{T >= u}``, subjects with an event at u included, as
  ``riskRegression::Score`` (its C++ ``getInfluenceFunctionKM``, riskRegression 2022.11.28);
- ``"events_leave_first"``: ``{T >= u}`` minus the events at u, the risk set of the
  prodlim reverse Kaplan-Meier that gives G (irdp's convention before 2024).

Both agree without such ties. A simulation with ties (``docs/models.md``,
``tests/reference/score_ties/simulate_se.py``) compares them with the empirical standard
deviation of the estimates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Censoring", "censoring_model", "censoring_if_weighted", "IF_RISK_SETS"]

#: Risk sets of the censoring influence function (see the module docstring).
IF_RISK_SETS = ("score", "events_leave_first")


@dataclass(frozen=True)
class Censoring:
    """Reverse Kaplan-Meier of the censoring times with its hazard increments."""

    time: np.ndarray  # observed times of the data
    censored: np.ndarray  # bool, censored rows
    jump_times: np.ndarray  # distinct censoring times
    d_lambda: np.ndarray  # censoring hazard increments at jump_times
    at_risk: np.ndarray  # number at risk of censoring at jump_times (the KM of G)
    idx_left: np.ndarray  # per row: number of jump times < time (G(T-) = g[idx_left])
    idx_right: np.ndarray  # per row: number of jump times <= time
    if_at_risk: np.ndarray  # risk set of the influence function at jump_times
    if_d_lambda: np.ndarray  # censoring hazard increments of the influence function

    @property
    def g(self) -> np.ndarray:
        """G just after 0 and after each jump: ``g[k]`` = G after k jumps."""
        return np.concatenate(([1.0], np.cumprod(1.0 - self.d_lambda)))

    def at(self, t: np.ndarray | float, *, left: bool = False) -> np.ndarray:
        """G(t), or G(t-) with ``left=True``."""
        side = "left" if left else "right"
        pos = np.searchsorted(self.jump_times, np.asarray(t, float), side=side)
        return self.g[pos]

    def at_rows(self, *, left: bool = False) -> np.ndarray:
        """G(T_i) (or G(T_i-)) at every row's own time, without searching."""
        return self.g[self.idx_left if left else self.idx_right]


def censoring_model(
    time: np.ndarray, any_event: np.ndarray, *, events_leave_first: bool = True,
    if_risk_set: str = "score",
) -> Censoring:
    """Fit the censoring Kaplan-Meier (censorings are the events).

    With ``events_leave_first=False`` (``survfit(Surv(time,
    1 - status) ~ 1)``, :func:`irdp.nonparametric.censoring_survival`), subjects with an
    event at a censoring time u are still at risk of censoring at u. With ``True``
    (default; prodlim ``reverse=TRUE`` as used by riskRegression, and
    ``survival::concordance``'s ``fastkm1``), events at u leave the risk set
    before the censorings at u. ``if_risk_set`` chooses the risk set of the influence
    function used for standard errors: ``"score"`` (``riskRegression::Score``) or
    ``"events_leave_first"`` (see the module docstring).
    """
    if if_risk_set not in IF_RISK_SETS:
        raise ValueError(f"if_risk_set must be one of {IF_RISK_SETS}; got {if_risk_set!r}.")
    time = np.asarray(time, float)
    any_event = np.asarray(any_event, bool)
    if not np.isfinite(time).all():
        raise ValueError("time must be finite for all rows.")
    # one sort of the times serves the Kaplan-Meier of G, the rows' positions among its
    # jumps and the risk sets of the influence function (the numbers of
    # irdp.nonparametric.censoring_survival, without sorting the same times four times)
    uniq, inv = np.unique(time, return_inverse=True)
    inv = inv.reshape(-1)
    m = len(uniq)
    n_all = np.cumsum(np.bincount(inv, minlength=m)[::-1])[::-1].astype(float)  # {T >= u}
    c = np.bincount(inv, weights=(~any_event).astype(float), minlength=m)
    jump = c > 0
    if events_leave_first:
        d = np.bincount(inv, weights=any_event.astype(float), minlength=m)
        at_risk = (n_all - d)[jump]
    else:
        at_risk = n_all[jump]
    times, n_cens = uniq[jump], c[jump]
    with np.errstate(divide="ignore", invalid="ignore"):
        d_lambda = np.where(at_risk > 0, n_cens / at_risk, 0.0)
    n_jumps = np.cumsum(jump)  # jump times <= each distinct time
    left = (n_jumps - jump)[inv]
    right = n_jumps[inv]
    if if_risk_set == "score":  # {T >= u}: events at u stay at risk of censoring at u
        if_at_risk = n_all[jump]
        with np.errstate(divide="ignore", invalid="ignore"):
            if_d_lambda = np.where(if_at_risk > 0, n_cens / if_at_risk, 0.0)
    else:
        if_at_risk, if_d_lambda = at_risk, d_lambda
    return Censoring(time, ~any_event, times, d_lambda, at_risk, left, right, if_at_risk,
                     if_d_lambda)


def censoring_if_weighted(cens: Censoring, s_index: np.ndarray, psi: np.ndarray) -> np.ndarray:
    """Return ``A_k = sum_i psi_i IF_k(s_i)`` for each subject k (see module docstring).

    ``s_index[i]`` is the number of censoring jump times strictly before ``s_i`` (the IF
    of ``log G(s_i-)``): ``cens.idx_left`` for ``s_i = T_i``; ``cens.idx_right`` or a
    constant ``searchsorted(jump_times, t, "right")`` to evaluate ``log G`` at ``t``.
    """
    n = len(cens.time)
    k = len(cens.jump_times)
    if k == 0:
        return np.zeros(n)
    # Psi(u_j) = sum_i psi_i 1{s_i > u_j} = sum over i with s_index_i > j
    per = np.bincount(np.asarray(s_index), weights=psi, minlength=k + 1)
    big_psi = (per.sum() - np.cumsum(per))[:k]
    ybar = cens.if_at_risk / n
    # jump part: subject k censored at a jump time T_k contributes -Psi(T_k)/ybar(T_k)
    out = np.zeros(n)
    rows = cens.censored & (cens.idx_right > cens.idx_left)
    j = cens.idx_left[rows]
    out[rows] = -big_psi[j] / ybar[j]
    # compensator part: + sum_{u <= T_k} Psi(u) dLambda(u) / ybar(u)
    comp = np.concatenate(([0.0], np.cumsum(big_psi * cens.if_d_lambda / ybar)))
    out += comp[cens.idx_right]
    return out
