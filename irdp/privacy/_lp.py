"""Feasible intervals of hidden counts by linear programming (private).

The published numbers of a run are linear constraints on non-negative integer counts:
equalities (a total is the sum of its parts), bounds (a rounded count, a policy label) and
pairs of inequalities (a rate printed to a given precision with its denominator). For each
hidden count the smallest and largest values compatible with all of them are found with
scipy's HiGHS solvers (:func:`scipy.optimize.linprog`; :func:`scipy.optimize.milp` where a
component holds rates and is small enough for integer programming to be cheap). Equalities
left with a single unknown are solved first, known values are substituted and the system is
split into independent components, so that each optimisation is small.

References
----------
Hundepool A. et al., *Statistical Disclosure Control*, Wiley 2012, §4.3 (audit of a
suppression pattern: the feasibility interval of each suppressed cell by linear programming).
Huangfu Q., Hall J.A.J. Parallelizing the dual revised simplex method. *Math. Prog. Comp.*
2018;10:119-142 (HiGHS).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, sparse
from scipy.sparse import csgraph

__all__ = ["LinearSystem", "Intervals", "feasible_intervals"]

#: Components with at most this many unknown counts and a rate are solved as integer programs.
MILP_MAX_VARS = 60
_TOL = 1e-6


def _merge(idx: Sequence[int], coef: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    acc: dict[int, float] = {}
    for i, c in zip(idx, coef, strict=True):
        acc[int(i)] = acc.get(int(i), 0.0) + float(c)
    keep = [(i, c) for i, c in acc.items() if c != 0.0]
    return (np.array([i for i, _ in keep], dtype=np.int64),
            np.array([c for _, c in keep], dtype=float))


def _stack(rows: list[tuple[np.ndarray, np.ndarray, float]], n: int
           ) -> tuple[sparse.csr_array, np.ndarray]:
    if not rows:
        return sparse.csr_array((0, n)), np.zeros(0)
    lens = [len(i) for i, _c, _b in rows]
    indptr = np.concatenate([[0], np.cumsum(lens)])
    idx = np.concatenate([i for i, _c, _b in rows]).astype(np.int64)
    val = np.concatenate([c for _i, c, _b in rows]).astype(float)
    mat = sparse.csr_array((val, idx, indptr), shape=(len(rows), n))
    return mat, np.array([b for _i, _c, b in rows], dtype=float)


class LinearSystem:
    """Counts ``x >= 0`` with bounds, equalities ``A_eq x = b_eq``, inequalities
    ``A_ub x <= b_ub``; built row by row (:meth:`add_eq`...) or from matrices."""

    def __init__(self) -> None:
        self.lower: list[float] | np.ndarray = []
        self.upper: list[float] | np.ndarray = []
        self._eq: list[tuple[np.ndarray, np.ndarray, float]] = []
        self._ub: list[tuple[np.ndarray, np.ndarray, float]] = []
        self._mats: tuple[sparse.csr_array, np.ndarray, sparse.csr_array, np.ndarray] | None = None

    @classmethod
    def from_matrices(cls, lower: np.ndarray, upper: np.ndarray, a_eq: sparse.csr_array,
                      b_eq: np.ndarray, a_ub: sparse.csr_array, b_ub: np.ndarray
                      ) -> LinearSystem:
        """A system from bound arrays and sparse constraint matrices (not copied)."""
        s = cls()
        s.lower = np.asarray(lower, dtype=float)
        s.upper = np.asarray(upper, dtype=float)
        s._mats = (sparse.csr_array(a_eq), np.asarray(b_eq, float), sparse.csr_array(a_ub),
                   np.asarray(b_ub, float))
        return s

    @property
    def n(self) -> int:
        """Number of counts."""
        return len(self.lower)

    def add_var(self, lower: float = 0.0, upper: float = np.inf) -> int:
        """Add a count; return its index."""
        self._editable()
        self.lower.append(float(lower))  # type: ignore[union-attr]
        self.upper.append(float(upper))  # type: ignore[union-attr]
        return self.n - 1

    def bound(self, i: int, lower: float | None = None, upper: float | None = None) -> None:
        """Tighten the bounds of count ``i``."""
        if lower is not None:
            self.lower[i] = max(self.lower[i], float(lower))
        if upper is not None:
            self.upper[i] = min(self.upper[i], float(upper))

    def add_eq(self, idx: Sequence[int], coef: Sequence[float], rhs: float = 0.0) -> None:
        """Add ``sum(coef * x[idx]) == rhs`` (repeated indices are summed)."""
        self._editable()
        i, c = _merge(idx, coef)
        if len(i):
            self._eq.append((i, c, float(rhs)))
            self._mats = None

    def add_ub(self, idx: Sequence[int], coef: Sequence[float], rhs: float) -> None:
        """Add ``sum(coef * x[idx]) <= rhs``."""
        self._editable()
        i, c = _merge(idx, coef)
        if len(i):
            self._ub.append((i, c, float(rhs)))
            self._mats = None

    def _editable(self) -> None:
        if isinstance(self.lower, np.ndarray):
            raise TypeError("a system built from matrices cannot be extended row by row.")

    def matrices(self) -> tuple[sparse.csr_array, np.ndarray, sparse.csr_array, np.ndarray]:
        """``(A_eq, b_eq, A_ub, b_ub)`` as sparse matrices."""
        if self._mats is None:
            a_eq, b_eq = _stack(self._eq, self.n)
            a_ub, b_ub = _stack(self._ub, self.n)
            self._mats = (a_eq, b_eq, a_ub, b_ub)
        return self._mats

    @property
    def eq(self) -> list[tuple[np.ndarray, np.ndarray, float]]:
        """Equalities as ``(indices, coefficients, rhs)`` triplets."""
        a, b, _a, _b = self.matrices()
        return [(a.indices[a.indptr[k]:a.indptr[k + 1]], a.data[a.indptr[k]:a.indptr[k + 1]],
                 float(b[k])) for k in range(a.shape[0])]

    @property
    def ub(self) -> list[tuple[np.ndarray, np.ndarray, float]]:
        """Inequalities as ``(indices, coefficients, rhs)`` triplets."""
        _a, _b, a, b = self.matrices()
        return [(a.indices[a.indptr[k]:a.indptr[k + 1]], a.data[a.indptr[k]:a.indptr[k + 1]],
                 float(b[k])) for k in range(a.shape[0])]

    def row_indices(self, k: int) -> np.ndarray:
        """Variables of constraint ``k`` (numbered over ``eq + ub``)."""
        a_eq, _b, a_ub, _c = self.matrices()
        a = a_eq if k < a_eq.shape[0] else a_ub
        k = k if k < a_eq.shape[0] else k - a_eq.shape[0]
        return a.indices[a.indptr[k]:a.indptr[k + 1]]

    def constraints_of(self) -> list[list[int]]:
        """For each variable, the indices (into ``eq + ub``) of the constraints it is in."""
        a_eq, _b, a_ub, _c = self.matrices()
        csc = sparse.vstack([a_eq, a_ub]).tocsc()
        return [csc.indices[csc.indptr[j]:csc.indptr[j + 1]].tolist() for j in range(self.n)]


@dataclass(frozen=True)
class Intervals:
    """Result of :func:`feasible_intervals`: ``lower``/``upper`` per variable (NaN when not
    requested), ``feasible`` (False when the published numbers contradict each other) and
    ``integer`` (True for variables whose bounds come from an integer program)."""

    lower: np.ndarray
    upper: np.ndarray
    feasible: bool
    integer: np.ndarray
    infeasible_vars: tuple[int, ...] = ()


def _propagate(a_eq: sparse.csr_array, b_eq: np.ndarray, lo: np.ndarray, hi: np.ndarray,
               fixed: np.ndarray) -> list[int]:
    """Solve the equalities left with a single unknown, repeatedly (in place).

    Cheap and exact: most margins of a table are sums of visible cells, and most hidden cells
    of a badly suppressed table are differences of visible ones; only what is left needs an
    optimisation. Returns the variables of contradicted equalities."""
    bad: list[int] = []
    pattern = a_eq.copy()
    pattern.data = np.ones_like(pattern.data)
    while a_eq.shape[0]:
        free = (~fixed).astype(float)
        n_free = pattern @ free
        single = np.flatnonzero(n_free == 1)
        if not len(single):
            break
        known = np.where(fixed, lo, 0.0)
        rest = b_eq - a_eq @ known
        progressed = False
        for k in single:
            start, end = a_eq.indptr[k], a_eq.indptr[k + 1]
            cols = a_eq.indices[start:end]
            pos = np.flatnonzero(~fixed[cols])
            if len(pos) != 1:
                continue  # fixed earlier in this pass
            j = int(cols[pos[0]])
            value = rest[k] / a_eq.data[start + pos[0]]
            if value < lo[j] - _TOL or value > hi[j] + _TOL:
                bad.extend(int(x) for x in cols)
            lo[j] = hi[j] = value
            fixed[j] = True
            progressed = True
        if not progressed:
            break
    return bad


def feasible_intervals(
    system: LinearSystem,
    targets: Iterable[int] | None = None,
    *,
    integrality: bool | None = None,
    cache: dict[Any, Any] | None = None,
    reference: np.ndarray | None = None,
    enough: float | None = None,
) -> Intervals:
    """Smallest and largest value of each target count compatible with every constraint.

    Parameters
    ----------
    system : LinearSystem
    targets : iterable of int, optional
        Variables whose interval is wanted (default: every variable not fixed by its bounds).
    integrality : bool, optional
        ``True``: integer programs (``milp``) for every component; ``False``: linear
        relaxations only (bounds then rounded inwards to integers, which every count is);
        ``None`` (default): integer programs for components of at most ``MILP_MAX_VARS``
        unknown counts that hold a fractional coefficient (a rate); sums of counts are
        solved as linear programs.
    cache : dict, optional
        Results of components already solved (keyed by their content), reused across calls
        on systems that differ in a few places (the rounds of a suppression).
    reference, enough : numpy.ndarray and float, optional
        A feasible point (the true counts, known when suppressing) and a width: when the
        maximum of a count exceeds its reference value by ``enough``, its minimum is not
        computed and reported as the reference value (the interval is then only known to be
        at least ``enough`` wide). Halves the work of a suppression; never used by an audit.

    Returns
    -------
    Intervals
    """
    n = system.n
    lo = np.array(system.lower, dtype=float)
    hi = np.array(system.upper, dtype=float)
    out_lo = np.full(n, np.nan)
    out_hi = np.full(n, np.nan)
    integer = np.zeros(n, dtype=bool)
    if n == 0:
        return Intervals(out_lo, out_hi, True, integer)
    if np.any(lo > hi + _TOL):
        bad = tuple(int(j) for j in np.flatnonzero(lo > hi + _TOL))
        return Intervals(out_lo, out_hi, False, integer, bad)
    a_eq, b_eq, a_ub, b_ub = system.matrices()
    fixed = np.abs(hi - lo) <= _TOL
    bad_vars = _propagate(a_eq, b_eq, lo, hi, fixed)
    out_lo[fixed], out_hi[fixed] = lo[fixed], hi[fixed]
    want = np.zeros(n, dtype=bool)
    if targets is None:
        want[~fixed] = True
    else:
        want[list(targets)] = True
    n_eq = a_eq.shape[0]
    a_all = sparse.vstack([a_eq, a_ub]).tocsr()
    b_all = np.concatenate([b_eq, b_ub])
    known = np.where(fixed, lo, 0.0)
    rest = b_all - a_all @ known  # right-hand sides once the known counts are moved over
    pattern = a_all.copy()
    pattern.data = np.ones_like(pattern.data)
    n_free = pattern @ (~fixed).astype(float)
    # constraints without any unknown must hold on the known values
    tol = _TOL * np.maximum(1.0, np.abs(b_all))
    done = n_free == 0
    wrong = done & np.where(np.arange(len(b_all)) < n_eq, np.abs(rest) > tol, rest < -tol)
    for k in np.flatnonzero(wrong):
        bad_vars.extend(int(x) for x in a_all.indices[a_all.indptr[k]:a_all.indptr[k + 1]])
    free = np.flatnonzero(~fixed)
    if len(free) and want[free].any():
        for vars_, rows in _components(a_all, free):
            if not want[vars_].any():
                continue
            ref = None if reference is None or enough is None else reference[vars_]
            res = _solve_component(a_all, rest, n_eq, vars_, rows, lo, hi, want,
                                   integrality, cache, ref, enough)
            if res is None:
                bad_vars.extend(int(v) for v in vars_)
                continue
            clo, chi, is_int = res
            sel = want[vars_]
            out_lo[vars_[sel]] = clo[sel]
            out_hi[vars_[sel]] = chi[sel]
            integer[vars_[sel]] = is_int
    return Intervals(out_lo, out_hi, not bad_vars, integer, tuple(sorted(set(bad_vars))))


def _components(a_all: sparse.csr_array, free: np.ndarray
                ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Connected components of the unknown counts through the constraints they share."""
    sub = a_all[:, free].tocsr()
    sub.data = np.ones_like(sub.data)
    n_rows, n_vars = sub.shape
    graph = sparse.bmat([[None, sub], [sub.T, None]], format="csr") if n_rows else \
        sparse.csr_array((n_vars, n_vars))
    _n, labels = csgraph.connected_components(graph, directed=False)
    row_labels = labels[:n_rows] if n_rows else np.zeros(0, dtype=int)
    var_labels = labels[n_rows:] if n_rows else labels
    touched = np.asarray(sub.sum(axis=1)).ravel() > 0 if n_rows else np.zeros(0, bool)
    out = []
    order = np.argsort(var_labels, kind="stable")
    bounds = np.flatnonzero(np.diff(var_labels[order])) + 1
    for group in np.split(order, bounds):
        lab = var_labels[group[0]]
        rows = np.flatnonzero((row_labels == lab) & touched)
        out.append((free[group], rows))
    return out


def _solve_component(
    a_all: sparse.csr_array, rest: np.ndarray, n_eq: int, vars_: np.ndarray, rows: np.ndarray,
    lo: np.ndarray, hi: np.ndarray, want: np.ndarray, integrality: bool | None,
    cache: dict[Any, Any] | None, ref: np.ndarray | None = None, enough: float | None = None,
) -> tuple[np.ndarray, np.ndarray, bool] | None:
    sub = a_all[rows][:, vars_].tocsr()
    is_eq = rows < n_eq
    a_eq, b_eq = sub[is_eq], rest[rows[is_eq]]
    a_ub, b_ub = sub[~is_eq], rest[rows[~is_eq]]
    m = len(vars_)
    bounds = np.column_stack([lo[vars_], hi[vars_]])
    if not len(rows):  # constrained by its bounds only
        return (np.ceil(bounds[:, 0] - _TOL),
                np.where(np.isfinite(bounds[:, 1]), np.floor(bounds[:, 1] + _TOL), np.inf),
                False)
    single = _single_line(sub, is_eq, rest[rows], bounds, want[vars_])
    if single is not None:
        return single if single[0] is not None else None
    if integrality is None:
        # sums of counts (coefficients +-1) have integral vertices in the table structures
        # met here; rates (fractional coefficients) need an integer program, cheap when small
        fractional = bool(np.any(np.abs(np.abs(sub.data) - 1.0) > 1e-12))
        use_int = fractional and m <= MILP_MAX_VARS
    else:
        use_int = bool(integrality)
    wanted = want[vars_]
    key = None
    if cache is not None:
        key = (vars_.tobytes(), wanted.tobytes(), bounds.tobytes(), use_int, rows.tobytes(),
               sub.data.tobytes(), sub.indices.tobytes(), sub.indptr.tobytes(),
               rest[rows].tobytes(), None if ref is None else ref.tobytes(), enough)
        if key in cache:
            return cache[key]
    out_lo = np.full(m, np.nan)
    out_hi = np.full(m, np.nan)
    result: tuple[np.ndarray, np.ndarray, bool] | None
    if m <= MILP_MAX_VARS:  # small problems: dense matrices cost scipy less to check
        a_eq, a_ub = a_eq.toarray(), a_ub.toarray()
    for p in np.flatnonzero(wanted):
        hi_p = _optimise(p, -1.0, a_eq, b_eq, a_ub, b_ub, bounds, use_int)
        if hi_p is None:
            result = None
            break
        top = -hi_p if np.isfinite(hi_p) else np.inf
        if ref is not None and enough is not None and np.isfinite(ref[p]) and \
                top - ref[p] >= enough:
            out_lo[p], out_hi[p] = ref[p], top
            continue
        lo_p = _optimise(p, 1.0, a_eq, b_eq, a_ub, b_ub, bounds, use_int)
        if lo_p is None:
            result = None
            break
        out_lo[p], out_hi[p] = lo_p, top
    else:
        # counts are integers: round the relaxation's bounds inwards
        out_lo = np.ceil(out_lo - _TOL)
        out_hi = np.where(np.isfinite(out_hi), np.floor(out_hi + _TOL), np.inf)
        result = (out_lo, out_hi, use_int)
    if cache is not None:
        cache[key] = result
    return result


def _single_line(sub: sparse.csr_array, is_eq: np.ndarray, rhs: np.ndarray,
                 bounds: np.ndarray, wanted: np.ndarray) -> Any:
    """Exact intervals when the component is one equality of +-1 coefficients (a column of
    counts and its total): no optimisation needed. ``None`` when it does not apply;
    ``(None, None, False)`` when the equality cannot hold."""
    if sub.shape[0] != 1 or not is_eq[0]:
        return None
    c = sub.toarray()[0]
    if np.any(np.abs(np.abs(c) - 1.0) > 1e-12):
        return None
    lo_t = np.where(c > 0, bounds[:, 0], -bounds[:, 1])  # range of each term c_i x_i
    hi_t = np.where(c > 0, bounds[:, 1], -bounds[:, 0])
    b = float(rhs[0])

    def others(t: np.ndarray) -> np.ndarray:
        """Sum of the other terms, with infinite ends counted apart (inf - inf is no sum)."""
        finite = np.where(np.isfinite(t), t, 0.0)
        n_inf = (~np.isfinite(t)).sum() - (~np.isfinite(t)).astype(int)
        sign = np.sign(t[~np.isfinite(t)][0]) if (~np.isfinite(t)).any() else 1.0
        return np.where(n_inf > 0, sign * np.inf, finite.sum() - finite)

    total_lo = lo_t.sum() if np.isfinite(lo_t).all() else -np.inf
    total_hi = hi_t.sum() if np.isfinite(hi_t).all() else np.inf
    if b < total_lo - _TOL or b > total_hi + _TOL:
        return (None, None, False)
    term_lo = np.maximum(lo_t, b - others(hi_t))  # range of each term given the others
    term_hi = np.minimum(hi_t, b - others(lo_t))
    x_lo = np.where(c > 0, term_lo, -term_hi)
    x_hi = np.where(c > 0, term_hi, -term_lo)
    out_lo = np.where(wanted, np.ceil(x_lo - _TOL), np.nan)
    out_hi = np.where(wanted, np.where(np.isfinite(x_hi), np.floor(x_hi + _TOL), np.inf),
                      np.nan)
    return (out_lo, out_hi, False)


def _optimise(
    p: int, sign: float, a_eq: Any, b_eq: np.ndarray, a_ub: Any,
    b_ub: np.ndarray, bounds: np.ndarray, use_int: bool,
) -> float | None:
    """Minimum of ``sign * x[p]``; -inf when unbounded below; None when infeasible."""
    cost = np.zeros(bounds.shape[0])
    cost[p] = sign
    has_eq, has_ub = a_eq.shape[0] > 0, a_ub.shape[0] > 0
    if use_int:
        cons = []
        if has_eq:
            cons.append(optimize.LinearConstraint(a_eq, b_eq, b_eq))
        if has_ub:
            cons.append(optimize.LinearConstraint(a_ub, -np.inf, b_ub))
        res = optimize.milp(cost, constraints=cons or None, integrality=np.ones(len(cost)),
                            bounds=optimize.Bounds(bounds[:, 0], bounds[:, 1]),
                            options={"time_limit": 10.0})
        if res.status == 0 or (res.status == 1 and res.x is not None):
            return float(res.fun)
        if res.status == 2:
            return None
        # unbounded (status 3) or time limit without a solution: fall back to the relaxation
    res = optimize.linprog(cost, A_ub=a_ub if has_ub else None, b_ub=b_ub if has_ub else None,
                           A_eq=a_eq if has_eq else None, b_eq=b_eq if has_eq else None,
                           bounds=bounds, method="highs")
    if res.status == 0:
        return float(res.fun)
    if res.status == 3:
        return -np.inf
    if res.status == 2:
        return None
    raise ArithmeticError(f"linear programming failed: {res.message}")  # pragma: no cover
