"""Cox and Fine-Gray partial likelihood (private numerical core): the one Cox engine of irdp.

One weighted partial likelihood serves every Cox-type fit of irdp: :class:`irdp.models.CoxIndex`,
the cause-specific models of :class:`irdp.models.CauseSpecificCoxIndex`, the Fine-Gray model
of :class:`irdp.models.FineGrayIndex`, the calibration slope and curve of
:mod:`irdp.metrics` and model updating in :mod:`irdp.validation`. It handles Breslow and
Efron ties, strata, case weights, an offset and, for Fine-Gray, subjects who stay in the risk
set after a competing event with weight G(t-)/G(T_j-) (Fine & Gray 1999), G the censoring
survival given by the caller (``cmprsk::crr`` and ``survival::finegray`` use slightly
different conventions, see :mod:`irdp._stats.finegray`).

Rows are sorted once by (stratum, time descending, censored before events); a risk set is
then a contiguous block of rows, and the risk-set sums of all event groups, the Efron terms
and the row weights are running sums over the sorted rows. The information matrix is
assembled as ``X' diag(c) X - sum_g C_g S1_g S1_g'`` (+ Efron cross terms over tied groups
only), so no (n, p, p) array is formed: each Newton step costs O(n p) memory and n p^2 / 2
multiply-adds. After the linear predictor, a Newton step is one compiled call
(:func:`irdp._stats._cox_kernels.newton_terms`).

References
----------
.. [1] Cox DR. Regression models and life-tables. JRSS B 1972;34:187-220.
.. [2] Efron B. The efficiency of Cox's likelihood function for censored data. JASA
   1977;72:557-565.
.. [3] Breslow NE. Discussion of Professor Cox's paper. JRSS B 1972;34:216-217.
.. [4] Therneau TM, Grambsch PM. Modeling Survival Data: Extending the Cox Model. Springer
   2000, sections 3.3 (ties), 3.6 (monotone likelihood) and 10.2 (baseline hazards).
.. [5] Fine JP, Gray RJ. A proportional hazards model for the subdistribution of a competing
   risk. JASA 1999;94:496-509.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from irdp._stats._cox_kernels import event_groups, newton_terms, risk_set_terms
from irdp._stats._linalg import inverse_pd, single_threaded_blas, solve_pd
from irdp.exceptions import ConvergenceError, InsufficientDataError

__all__ = ["CoxData", "CoxResult", "prepare", "with_covariates", "fit", "derivatives", "loglik",
           "stratum_slices"]

Ties = Literal["efron", "breslow"]


@dataclass
class _Linger:
    """Fine-Gray: rows that stay in the risk set after a competing event."""

    rows: np.ndarray      # sorted positions of competing-event rows (ascending position)
    inv_g: np.ndarray     # 1 / G(T_j-) of those rows
    Xl: np.ndarray        # (p, n_l) their centred covariates
    g_g: np.ndarray       # (G,) G(t_g-) at each event group
    k_g: np.ndarray       # (G,) number of linger rows at positions <= g_end
    k_end: np.ndarray     # (G,) number of linger rows at positions <= end of g's stratum
    m_row: np.ndarray     # (n_l,) number of event groups with g_end < position of the row
    s_row: np.ndarray     # (n_l,) number of event groups before the row's stratum


@dataclass
class CoxData:
    """Sorted data and tie-group bookkeeping, computed once per fit."""

    Xt: np.ndarray           # (p, n) sorted, centred, transposed
    w: np.ndarray            # (n,) case weights, sorted
    time: np.ndarray         # (n,) times, sorted (descending within stratum)
    offset: np.ndarray | None
    event: np.ndarray        # (n,) bool, sorted
    order: np.ndarray        # original row of each sorted row
    center: np.ndarray       # (p,)
    ties: str
    single: bool             # one stratum
    strat_end: np.ndarray    # (n,) last row of each row's stratum
    g_end: np.ndarray        # (G,) last row of each event group (stratum, time)
    g_start: np.ndarray      # (G,) first row of the stratum of each event group
    g_ev_first: np.ndarray   # (G,) first event row of each event group
    g_d: np.ndarray          # (G,) number of events
    g_wd: np.ndarray         # (G,) weighted number of events
    g_time: np.ndarray       # (G,) time
    g_stratum: np.ndarray    # (G,) stratum code
    ev_rows: np.ndarray      # sorted rows that are events
    ev_group: np.ndarray     # event group of each of those rows
    tied: np.ndarray         # groups with more than one event (Efron only), ascending
    linger: _Linger | None

    def __post_init__(self) -> None:
        we = np.zeros(len(self.w))
        we[self.ev_rows] = self.w[self.ev_rows]
        self.we = we  # event weights by row
        self.wd_total = float(np.sum(self.g_wd))
        self.unit_weights = bool(np.all(self.w == 1.0))

    @property
    def n(self) -> int:
        return len(self.w)

    @property
    def p(self) -> int:
        return self.Xt.shape[0]


def prepare(
    X: np.ndarray,
    time: np.ndarray,
    event: np.ndarray,
    *,
    strata: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    offset: np.ndarray | None = None,
    ties: Ties = "efron",
    center: np.ndarray | None = None,
    competing: np.ndarray | None = None,
    censoring_left: Callable[[np.ndarray], np.ndarray] | None = None,
) -> CoxData:
    """Sort and index the data once.

    Parameters
    ----------
    X : ndarray of shape (n, p)
    time : ndarray of shape (n,)
    event : ndarray of shape (n,)
        Events of the modelled cause (bool).
    strata : ndarray of shape (n,), optional
        Integer stratum codes.
    weights, offset : ndarray of shape (n,), optional
    ties : {"efron", "breslow"}
    center : ndarray of shape (p,), optional
        Subtracted from X (default: the weighted column means, as ``coxph``).
    competing : ndarray of shape (n,), optional
        Fine-Gray: rows with a competing event, kept in later risk sets with weight
        ``G(t-) / G(T_j-)``.
    censoring_left : callable, optional
        Fine-Gray: ``G(t-)`` evaluated at an array of times (required with ``competing``).
    """
    X = np.asarray(X, dtype=float)
    n, p = X.shape
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=bool)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    s = np.zeros(n, dtype=np.int64) if strata is None else np.asarray(strata)
    if center is None:
        center = (w @ X) / w.sum() if p else np.zeros(0)
    # stratum asc, time desc, censored first
    order = np.lexsort((event, -time)) if strata is None else np.lexsort((event, -time, s))
    t, e, ss, ww = time[order], event[order], s[order], w[order]
    Xt = np.empty((p, n))
    Xf = np.asfortranarray(X) if p and not X.flags.f_contiguous and n * p > 1_000_000 else X
    for j in range(p):  # one column at a time: a single (p, n) allocation
        np.take(Xf[:, j], order, out=Xt[j])
        Xt[j] -= center[j]
    off = None if offset is None else np.asarray(offset, dtype=float)[order]
    (g_end, g_start, g_ev_first, g_d, g_wd, ev_group, strat_end, strat_id,
     first) = event_groups(t, e, np.ascontiguousarray(ss, dtype=np.int64), ww)
    single = len(first) <= 1
    ev_rows = np.flatnonzero(e)
    tied = np.flatnonzero(g_d > 1) if ties == "efron" else np.zeros(0, dtype=np.int64)
    cd = CoxData(
        Xt, ww, t, off, e, order, np.asarray(center, dtype=float), ties, bool(single), strat_end,
        g_end, g_start, g_ev_first, g_d, g_wd, t[g_end], ss[g_end], ev_rows, ev_group, tied,
        None,
    )
    if competing is not None and np.any(competing):
        if censoring_left is None:
            raise ValueError("censoring_left is required with competing (Fine-Gray).")
        cd.linger = _prepare_linger(cd, np.asarray(competing, dtype=bool)[order], t,
                                    censoring_left, strat_id, first)
    return cd


def with_covariates(cd: CoxData, X: np.ndarray, *, center: np.ndarray | None = None
                    ) -> CoxData:
    """The sorted outcome of ``cd`` with other covariates ``X`` (rows in the original order).

    The sort order and the tie-group bookkeeping depend on the outcome, strata and weights
    only: fits of several designs on one outcome (the calibration slope and the calibration
    curve of a bootstrap replicate, or of the same test data in every replicate) sort once.
    The result is the one :func:`prepare` gives for these arguments, to the last bit.

    Parameters
    ----------
    cd : CoxData
        Prepared data without an offset or Fine-Gray lingering rows (e.g. prepared with a
        design of zero columns).
    X : ndarray of shape (n, p)
    center : ndarray of shape (p,), optional
        Subtracted from X (default: the weighted column means, as :func:`prepare`).
    """
    if cd.linger is not None or cd.offset is not None:
        raise ValueError("with_covariates needs prepared data without offset or Fine-Gray rows.")
    X = np.asarray(X, dtype=float)
    n, p = X.shape
    if n != cd.n:
        raise ValueError(f"X has {n} rows; the prepared outcome has {cd.n}.")
    if center is None:
        w = np.empty(n)
        w[cd.order] = cd.w
        center = (w @ X) / w.sum() if p else np.zeros(0)
    Xt = np.empty((p, n))
    for j in range(p):
        np.take(X[:, j], cd.order, out=Xt[j])
        Xt[j] -= center[j]
    return CoxData(
        Xt, cd.w, cd.time, None, cd.event, cd.order, np.asarray(center, dtype=float), cd.ties,
        cd.single, cd.strat_end, cd.g_end, cd.g_start, cd.g_ev_first, cd.g_d, cd.g_wd,
        cd.g_time, cd.g_stratum, cd.ev_rows, cd.ev_group, cd.tied, None,
    )


def _prepare_linger(cd: CoxData, comp: np.ndarray, t: np.ndarray,
                    censoring_left: Callable[[np.ndarray], np.ndarray],
                    strat_id: np.ndarray, first: np.ndarray) -> _Linger:
    rows = np.flatnonzero(comp)
    g_row = np.asarray(censoring_left(t[rows]), dtype=float)
    inv_g = np.where(g_row > 0, 1.0 / np.where(g_row > 0, g_row, 1.0), 0.0)
    g_g = np.asarray(censoring_left(cd.g_time), dtype=float)
    k_g = np.searchsorted(rows, cd.g_end, side="right")
    k_end = np.searchsorted(rows, cd.strat_end[cd.g_end], side="right")
    m_row = np.searchsorted(cd.g_end, rows, side="left")
    s_row = np.searchsorted(cd.g_end, first[strat_id[rows]], side="left")
    return _Linger(rows, inv_g, cd.Xt[:, rows].copy(), g_g, k_g, k_end, m_row, s_row)


# ------------------------------------------------------------------------- risk-set sums
_NO_LINGER = (np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros((0, 0)), np.zeros(0),
              np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64),
              np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))


def _linger_args(cd: CoxData) -> tuple:
    """The Fine-Gray linger rows as the compiled kernels take them (none outside Fine-Gray)."""
    lg = cd.linger
    if lg is None:
        return _NO_LINGER
    return (lg.rows, lg.inv_g, lg.Xl, lg.g_g, lg.k_g, lg.k_end, lg.m_row, lg.s_row)


def _risk_scores(cd: CoxData, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Linear predictor (with the offset), the risk scores ``w exp(eta - shift)`` and the
    shift ``max(eta)`` that keeps them finite."""
    eta = beta @ cd.Xt if cd.p else np.zeros(cd.n)
    if cd.offset is not None:
        eta = eta + cd.offset
    shift = float(eta.max()) if len(eta) else 0.0
    r = np.exp(eta - shift)
    if not cd.unit_weights:
        r *= cd.w
    return eta, r, shift


def _terms(cd: CoxData, beta: np.ndarray, need_s1: bool = True) -> dict[str, Any]:
    """Risk-set sums per event group, the group weights of the tie terms and the row weights.

    Group g contributes ``A_g = sum_l mw/den_gl``, ``B_g = sum_l mw f_l/den_gl``,
    ``C_g = sum_l mw/den_gl^2``, ``D_g = sum_l mw f_l/den_gl^2`` and ``E_g = sum_l mw
    f_l^2/den_gl^2`` with ``den_gl = S0_g - f_l T0_g`` (Efron, l = 0..d-1, f_l = l/d) or
    ``den = S0`` and ``mw = wd`` (Breslow, or a group with a single event); row i gets the
    weight ``c_i = r_i (sum of A over the risk sets holding i) - Efron correction`` (with
    ``need_s1`` only: the value-only path needs none of it). Computed by
    :func:`irdp._stats._cox_kernels.risk_set_terms`, the passes that :func:`derivatives` makes.
    """
    eta, r, shift = _risk_scores(cd, beta)
    with_s1 = need_s1 and cd.p > 0
    S0, S1, T0, T1, A, B, C, D, E, log_term, c = risk_set_terms(
        cd.Xt, r, cd.g_start, cd.g_end, cd.g_ev_first, cd.g_d, cd.g_wd, cd.tied,
        _linger_args(cd), with_s1)
    tied = len(cd.tied) > 0
    log_term += shift * cd.wd_total
    return {"eta": eta, "r": r, "shift": shift, "S0": S0, "S1": S1 if with_s1 else None,
            "T0": T0, "T1": T1 if with_s1 else None, "A": A, "B": B if tied else None,
            "C": C, "D": D if tied else None, "E": E if tied else None,
            "log_term": log_term, "c": c if with_s1 else None}


def _event_term(cd: CoxData, eta: np.ndarray) -> float:
    return float(np.dot(cd.we, eta))


def loglik(cd: CoxData, beta: np.ndarray) -> float:
    """Log partial likelihood at ``beta`` (value only: no score, no information)."""
    tm = _terms(cd, np.asarray(beta, dtype=float), need_s1=False)
    return _event_term(cd, tm["eta"]) - tm["log_term"]


def derivatives(cd: CoxData, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, dict]:
    """Log partial likelihood, score vector and information matrix at ``beta``.

    The fourth element holds what the baseline hazards need at an estimate (``eta``, ``r``,
    ``shift``, ``S0``, ``A``, ``C``); :func:`_terms` gives every per-group quantity.
    """
    eta, r, shift = _risk_scores(cd, beta)
    log_term, score, info, S0, A, C = newton_terms(
        cd.Xt, r, cd.we, cd.g_start, cd.g_end, cd.g_ev_first, cd.g_d, cd.g_wd, cd.tied,
        _linger_args(cd))
    ll = _event_term(cd, eta) - (log_term + shift * cd.wd_total)
    return ll, score, info, {"eta": eta, "r": r, "shift": shift, "S0": S0, "A": A, "C": C,
                             "S1": None}


# ------------------------------------------------------------------------------- fitting
@dataclass(frozen=True)
class CoxResult:
    """A fitted Cox or Fine-Gray partial likelihood.

    ``hazard`` holds the baseline hazard increments at covariates 0 (uncentred, offset 0)
    at the event groups ``group_time`` / ``group_stratum`` (sorted by stratum, then time
    descending): Breslow's ``wd / S0`` or the Efron-type ``sum_l mw / (S0 - f_l T0)``.
    """

    coef: np.ndarray
    cov: np.ndarray | None
    info: np.ndarray
    score: np.ndarray
    loglik: float
    loglik_null: float
    converged: bool
    n_iter: int
    separation: bool
    separated_columns: tuple[int, ...]
    center: np.ndarray
    group_time: np.ndarray
    group_stratum: np.ndarray
    group_events: np.ndarray
    hazard_breslow: np.ndarray
    hazard_efron: np.ndarray
    var_terms: np.ndarray
    mean_terms: np.ndarray | None
    terms: dict[str, Any] | None = None

    def baseline(self, kind: Literal["breslow", "efron"]) -> dict[Any, tuple[np.ndarray, ...]]:
        """``{stratum: (times ascending, cumulative hazard)}`` at covariates 0."""
        inc = self.hazard_efron if kind == "efron" else self.hazard_breslow
        out = {}
        for k, sel in stratum_slices(self.group_stratum):
            out[k] = (self.group_time[sel][::-1], np.cumsum(inc[sel][::-1]))
        return out


def stratum_slices(group_stratum: np.ndarray) -> list[tuple[Any, slice]]:
    """(stratum code, slice of its event groups); groups are sorted by stratum."""
    if not len(group_stratum):
        return []
    starts = np.flatnonzero(np.concatenate(([True], group_stratum[1:] != group_stratum[:-1])))
    ends = np.append(starts[1:], len(group_stratum))
    return [(group_stratum[a].item(), slice(a, b)) for a, b in zip(starts, ends, strict=True)]


def _divergence(beta: np.ndarray, cov: np.ndarray | None, score: np.ndarray,
                converged: bool, spread: np.ndarray | None = None) -> tuple[int, ...]:
    """Columns whose coefficient runs to infinity (monotone likelihood).

    ``coxph``'s rule: the next Newton step ``V u`` is still large relative to the
    coefficient after the log-likelihood has converged ("Loglik converged before variable
    j; coefficient may be infinite"); or no convergence with a large coefficient. When
    the risk-set sums have underflowed, the score and ``V u`` are exactly 0 and that rule
    is blind: a coefficient whose contribution to the linear predictor spans more than
    700 over the data (``spread``: range of each column; exp(700) is the limit of double
    precision) is flagged too, since the partial likelihood can no longer tell it from
    infinity.
    """
    big = np.abs(beta) > 5
    if spread is not None:
        with np.errstate(invalid="ignore", over="ignore"):
            flat = big & (np.abs(beta) * spread > 700.0)
        if np.any(flat):
            return tuple(np.flatnonzero(flat | ~np.isfinite(beta)))
    if cov is None or not np.all(np.isfinite(cov)):
        return tuple(np.flatnonzero(big | ~np.isfinite(beta)))
    nxt = np.abs(cov @ score)
    infs = (nxt > 1e-9) & (nxt > np.sqrt(1e-9) * np.abs(beta)) & big
    if not converged:
        infs |= np.abs(beta) > 10
    return tuple(np.flatnonzero(infs))


def _covariance_and_divergence(cd: CoxData, res: dict[str, Any], compute_cov: bool,
                               names: list[str] | None, what: str
                               ) -> tuple[np.ndarray | None, tuple[int, ...]]:
    """Covariance (nan where the information is singular because of a diverging column)
    and the diverging columns, at a Newton-Raphson result."""
    beta = res["beta"]
    spread = np.ptp(cd.Xt, axis=1) if cd.Xt.size else None
    cov = None
    if compute_cov or not res["converged"]:
        try:
            cov = inverse_pd(res["info"], names, what=what)
        except ConvergenceError:
            cols = _divergence(beta, None, res["score"], res["converged"], spread)
            if not cols:
                raise
            cov = np.full((cd.p, cd.p), np.nan)
    return cov, _divergence(beta, cov, res["score"], res["converged"], spread)


def newton(cd: CoxData, *, max_iter: int = 50, tol: float = 1e-10,
           beta0: np.ndarray | None = None, null_loglik: bool = True) -> dict[str, Any]:
    """Newton-Raphson with step halving, as ``survival::coxph`` (``coxph.control``).

    A trial step whose log-likelihood is not finite is halved. Near a monotone likelihood
    (a coefficient running to infinity), risk-set sums underflow; the floating-point
    overflow and invalid-value conditions that this produces are part of the detection
    (non-finite trial values are rejected, divergence is reported by :func:`fit`), so they
    are not reported as NumPy RuntimeWarnings.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        return _newton(cd, max_iter, tol, beta0, null_loglik)


def _newton(cd: CoxData, max_iter: int, tol: float, beta0: np.ndarray | None,
            null_loglik: bool = True) -> dict[str, Any]:
    p = cd.p
    beta = np.zeros(p) if beta0 is None else np.asarray(beta0, dtype=float).copy()
    ll, score, info, tm = derivatives(cd, beta)
    if beta0 is None or not np.any(beta0):
        ll0 = ll
    else:  # a warm start: the null log-likelihood costs one more pass, when it is wanted
        ll0 = loglik(cd, np.zeros(p)) if null_loglik else float("nan")
    converged = p == 0
    it = 0
    for it in range(1, max_iter + 1 if p else 1):  # noqa: B007
        step = solve_pd(info, score)
        prev = ll
        for _ in range(30):
            new = derivatives(cd, beta + step)
            if np.isfinite(new[0]) and new[0] >= prev - 1e-12 * abs(prev):
                break
            step = step / 2
        beta = beta + step
        ll, score, info, tm = new
        rel = abs(1 - prev / ll) if ll != 0 else abs(prev - ll)
        if rel < tol and np.max(np.abs(step)) < 1e-5 * (1 + np.max(np.abs(beta))):
            converged = True
            break
        if rel == 0.0 and np.max(np.abs(step)) == 0.0:  # cannot move: singular information
            break
    return {"beta": beta, "info": info, "score": score, "loglik": ll, "loglik0": ll0,
            "converged": converged, "n_iter": it, "terms": tm}


def _mean_terms(cd: CoxData, tm: dict[str, Any]) -> np.ndarray:
    """``sum_l mw (S1 - f T1) / den^2`` per event group (Tsiatis variance of H0), (G, p)."""
    mean = tm["S1"] * tm["C"]
    if tm["D"] is not None and tm["T1"] is not None:
        mean[:, cd.tied] -= tm["T1"] * tm["D"]
    return (mean * np.exp(-tm["shift"])).T


def _baseline_pieces(cd: CoxData, tm: dict[str, Any], beta: np.ndarray, keep_terms: bool
                     ) -> dict[str, Any]:
    """Baseline increments (Breslow and Efron-type) and the Tsiatis variance terms (the
    mean terms only with ``keep_terms``: the SEs of predicted hazards need them)."""
    scale = np.exp(-tm["shift"] - (cd.center @ beta if cd.p else 0.0))
    S0 = tm["S0"]
    breslow = cd.g_wd / S0
    efron = tm["A"].copy()  # Efron-type when ties="efron" (equals Breslow for d = 1)
    if cd.ties != "efron":
        efron = breslow.copy()
        tg = np.flatnonzero(cd.g_d > 1)
        if len(tg):  # Efron-type baseline of a Breslow fit (survfit ctype = 2)
            dt = cd.g_d[tg]
            g = np.repeat(np.arange(len(tg)), dt)
            f = (np.arange(len(g)) - (np.cumsum(dt) - dt)[g]) / dt[g]
            T0 = _tied_risk(cd, tm["r"], tg)
            mw = (cd.g_wd[tg] / dt)[g]
            efron[tg] = np.bincount(g, weights=mw / (S0[tg][g] - f * T0[g]), minlength=len(tg))
    C = tm["C"]
    e2 = np.exp(-2 * tm["shift"])
    return {"breslow": breslow * scale, "efron": efron * scale, "var_terms": C * e2,
            "mean_terms": _mean_terms(cd, tm) if keep_terms and tm["S1"] is not None else None}


def _tied_risk(cd: CoxData, r: np.ndarray, groups: np.ndarray) -> np.ndarray:
    c0 = np.concatenate(([0.0], np.cumsum(r)))
    return c0[cd.g_end[groups] + 1] - c0[cd.g_ev_first[groups]]


def fit(
    cd: CoxData,
    *,
    max_iter: int = 50,
    tol: float = 1e-10,
    compute_cov: bool = True,
    names: list[str] | None = None,
    what: str = "Cox model",
    keep_terms: bool = False,
    beta0: np.ndarray | None = None,
    null_loglik: bool = True,
) -> CoxResult:
    """Maximise the partial likelihood of prepared data.

    ``keep_terms=True`` keeps the risk-set sums at the estimate (``terms``) and the Tsiatis
    variance terms of the baseline (``mean_terms``), for Fine-Gray's robust variance and
    the calibration curves; fits that only need coefficients and baselines skip them.
    ``beta0`` starts Newton-Raphson there instead of at 0 (``coxph(init=)``): a warm start
    near the estimate saves iterations and reaches the same maximum (within ``tol``);
    ``null_loglik=False`` then leaves ``loglik_null`` as nan instead of computing it.

    Returns a :class:`CoxResult`; ``separation`` flags coefficients running to infinity
    (the caller warns with :class:`irdp.exceptions.SeparationWarning`).

    Raises
    ------
    InsufficientDataError
        No event with a positive weight.
    ConvergenceError
        Singular information matrix at the estimate without divergence (collinear columns).
    """
    if len(cd.g_d) == 0 or not np.any(cd.g_wd > 0):
        raise InsufficientDataError(
            f"the {what} has no event with a positive weight among {cd.n} rows; it cannot "
            "be fitted."
        )
    with single_threaded_blas(cd.n * max(cd.p, 1)):
        res = newton(cd, max_iter=max_iter, tol=tol, beta0=beta0, null_loglik=null_loglik)
        beta, tm = res["beta"], res["terms"]
        if res["converged"] and np.all(np.abs(beta) <= 5):
            # no coefficient can be diverging (every rule of _divergence needs |b| > 5):
            # the covariance only when it is asked for
            cols: tuple[int, ...] = ()
            cov = inverse_pd(res["info"], names, what=what) if compute_cov else None
        else:
            cov, cols = _covariance_and_divergence(cd, res, compute_cov, names, what)
        with np.errstate(over="ignore", invalid="ignore"):  # diverged fits: inf, reported
            if keep_terms:  # the unscaled risk-set sums at the estimate
                tm = _terms(cd, beta)
            base = _baseline_pieces(cd, tm, beta, keep_terms)
    if not compute_cov and not cols:
        cov = None
    return CoxResult(
        coef=beta, cov=cov, info=res["info"], score=res["score"], loglik=res["loglik"],
        loglik_null=res["loglik0"], converged=bool(res["converged"] and not cols),
        n_iter=res["n_iter"], separation=bool(cols), separated_columns=cols, center=cd.center,
        group_time=cd.g_time, group_stratum=cd.g_stratum, group_events=cd.g_wd,
        hazard_breslow=base["breslow"], hazard_efron=base["efron"],
        var_terms=base["var_terms"], mean_terms=base["mean_terms"],
        terms=tm if keep_terms else None,
    )
