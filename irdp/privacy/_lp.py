"""Feasible intervals of hidden counts by linear programming (private).

The published numbers of a run are linear constraints on non-negative integer counts:
equalities (a total is the sum of its parts), bounds (a rounded count, a policy label) and
pairs of inequalities (a rate printed to a given precision with its denominator). For each
hidden count the smallest and largest values compatible with all of them are found with
scipy's HiGHS solvers (:func:`scipy.optimize.linprog`, :func:`scipy.optimize.milp` where the
component is small enough for integer programming to be cheap). Known values are substituted
first and the system is split into independent components, so that each optimisation is small.

References
----------
Hundepool A. et al., *Statistical Disclosure Control*, Wiley 2012, §4.3 (audit of a
suppression pattern: the feasibility interval of each suppressed cell by linear programming).
Huangfu Q., Hall J.A.J. Parallelizing the dual revised simplex method. *Math. Prog. Comp.*
2018;10:119-142 (HiGHS).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize, sparse

__all__ = ["LinearSystem", "Intervals", "feasible_intervals"]

#: Components with at most this many unknown counts are solved as integer programs.
MILP_MAX_VARS = 60
_TOL = 1e-6


@dataclass
class LinearSystem:
    """Counts ``x >= 0`` with bounds, equalities ``a.x = b`` and inequalities ``a.x <= b``."""

    n: int = 0
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    eq: list[tuple[np.ndarray, np.ndarray, float]] = field(default_factory=list)
    ub: list[tuple[np.ndarray, np.ndarray, float]] = field(default_factory=list)

    def add_var(self, lower: float = 0.0, upper: float = np.inf) -> int:
        """Add a count; return its index."""
        self.lower.append(float(lower))
        self.upper.append(float(upper))
        self.n += 1
        return self.n - 1

    def bound(self, i: int, lower: float | None = None, upper: float | None = None) -> None:
        """Tighten the bounds of count ``i``."""
        if lower is not None:
            self.lower[i] = max(self.lower[i], float(lower))
        if upper is not None:
            self.upper[i] = min(self.upper[i], float(upper))

    def add_eq(self, idx: Sequence[int], coef: Sequence[float], rhs: float = 0.0) -> None:
        """Add ``sum(coef * x[idx]) == rhs`` (repeated indices are summed)."""
        i, c = _merge(idx, coef)
        if len(i):
            self.eq.append((i, c, float(rhs)))

    def add_ub(self, idx: Sequence[int], coef: Sequence[float], rhs: float) -> None:
        """Add ``sum(coef * x[idx]) <= rhs``."""
        i, c = _merge(idx, coef)
        if len(i):
            self.ub.append((i, c, float(rhs)))

    def constraints_of(self) -> list[list[int]]:
        """For each variable, the indices (into ``eq + ub``) of the constraints it is in."""
        out: list[list[int]] = [[] for _ in range(self.n)]
        for k, (i, _c, _b) in enumerate(self.eq + self.ub):
            for j in i:
                out[j].append(k)
        return out


def _merge(idx: Sequence[int], coef: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    acc: dict[int, float] = {}
    for i, c in zip(idx, coef, strict=True):
        acc[int(i)] = acc.get(int(i), 0.0) + float(c)
    keep = [(i, c) for i, c in acc.items() if c != 0.0]
    return (np.array([i for i, _ in keep], dtype=np.int64),
            np.array([c for _, c in keep], dtype=float))


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


def _components(system: LinearSystem, free: np.ndarray) -> list[tuple[list[int], list[int]]]:
    """Connected components of the free variables (and the constraints touching them)."""
    parent = list(range(system.n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    rows = system.eq + system.ub
    for i, _c, _b in rows:
        f = [int(j) for j in i if free[j]]
        for j in f[1:]:
            ra, rb = find(f[0]), find(j)
            if ra != rb:
                parent[ra] = rb
    comp_vars: dict[int, list[int]] = {}
    for j in np.flatnonzero(free):
        comp_vars.setdefault(find(int(j)), []).append(int(j))
    comp_rows: dict[int, list[int]] = {r: [] for r in comp_vars}
    for k, (i, _c, _b) in enumerate(rows):
        f = [int(j) for j in i if free[j]]
        if f:
            comp_rows[find(f[0])].append(k)
    return [(comp_vars[r], comp_rows[r]) for r in comp_vars]


def feasible_intervals(
    system: LinearSystem,
    targets: Iterable[int] | None = None,
    *,
    integrality: bool | None = None,
    cache: dict[Any, Any] | None = None,
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
        unknown counts.
    cache : dict, optional
        Results of components already solved (keyed by their content), reused across calls
        on systems that differ in a few places (the rounds of a suppression).

    Returns
    -------
    Intervals
    """
    n = system.n
    lo = np.asarray(system.lower, dtype=float)
    hi = np.asarray(system.upper, dtype=float)
    out_lo = np.full(n, np.nan)
    out_hi = np.full(n, np.nan)
    integer = np.zeros(n, dtype=bool)
    if n == 0:
        return Intervals(out_lo, out_hi, True, integer)
    if np.any(lo > hi + _TOL):
        bad = tuple(int(j) for j in np.flatnonzero(lo > hi + _TOL))
        return Intervals(out_lo, out_hi, False, integer, bad)
    fixed = np.abs(hi - lo) <= _TOL
    out_lo[fixed], out_hi[fixed] = lo[fixed], hi[fixed]
    want = np.zeros(n, dtype=bool)
    if targets is None:
        want[~fixed] = True
    else:
        want[list(targets)] = True
    rows = system.eq + system.ub
    n_eq = len(system.eq)
    bad_vars: list[int] = []
    # constraints with no free variable must hold on the known values
    for k, (i, c, b) in enumerate(rows):
        if not np.any(~fixed[i]):
            s = float(np.dot(c, lo[i]))
            ok = abs(s - b) <= _TOL * max(1.0, abs(b)) if k < n_eq else s <= b + _TOL * max(
                1.0, abs(b))
            if not ok:
                bad_vars.extend(int(j) for j in i)
    for vars_, crow in _components(system, ~fixed):
        if not want[vars_].any():
            continue
        res = _solve_component(system, vars_, crow, n_eq, lo, hi, fixed, want, integrality,
                               cache)
        if res is None:
            bad_vars.extend(vars_)
            continue
        clo, chi, is_int = res
        for pos, j in enumerate(vars_):
            if want[j]:
                out_lo[j], out_hi[j] = clo[pos], chi[pos]
                integer[j] = is_int
    return Intervals(out_lo, out_hi, not bad_vars, integer, tuple(sorted(set(bad_vars))))


def _solve_component(
    system: LinearSystem, vars_: list[int], crow: list[int], n_eq: int, lo: np.ndarray,
    hi: np.ndarray, fixed: np.ndarray, want: np.ndarray, integrality: bool | None,
    cache: dict[Any, Any] | None = None,
) -> tuple[np.ndarray, np.ndarray, bool] | None:
    pos = {j: p for p, j in enumerate(vars_)}
    m = len(vars_)
    rows = system.eq + system.ub
    eq_r, eq_c, eq_v, eq_b = [], [], [], []
    ub_r, ub_c, ub_v, ub_b = [], [], [], []
    for k in crow:
        i, c, b = rows[k]
        rhs = b - float(np.dot(c[fixed[i]], lo[i][fixed[i]]))
        target = (eq_r, eq_c, eq_v, eq_b) if k < n_eq else (ub_r, ub_c, ub_v, ub_b)
        r = len(target[3])
        for j, cj in zip(i, c, strict=True):
            if not fixed[j]:
                target[0].append(r)
                target[1].append(pos[int(j)])
                target[2].append(cj)
        target[3].append(rhs)
    a_eq = sparse.csr_array((eq_v, (eq_r, eq_c)), shape=(len(eq_b), m)) if eq_b else None
    a_ub = sparse.csr_array((ub_v, (ub_r, ub_c)), shape=(len(ub_b), m)) if ub_b else None
    bounds = np.column_stack([lo[vars_], hi[vars_]])
    use_int = (m <= MILP_MAX_VARS) if integrality is None else bool(integrality)
    key = None
    if cache is not None:
        key = (tuple(vars_), tuple(want[vars_]), bounds.tobytes(), use_int,
               tuple(eq_r), tuple(eq_c), tuple(eq_v), tuple(eq_b),
               tuple(ub_r), tuple(ub_c), tuple(ub_v), tuple(ub_b))
        if key in cache:
            return cache[key]
    out_lo = np.full(m, np.nan)
    out_hi = np.full(m, np.nan)
    for p, j in enumerate(vars_):
        if not want[j]:
            continue
        for sign in (1.0, -1.0):
            cost = np.zeros(m)
            cost[p] = sign
            value = _optimise(cost, a_eq, eq_b, a_ub, ub_b, bounds, use_int)
            if value is None:
                if cache is not None:
                    cache[key] = None
                return None
            if sign > 0:
                out_lo[p] = value
            else:
                out_hi[p] = -value if np.isfinite(value) else np.inf
    # counts are integers: round the relaxation's bounds inwards
    out_lo = np.ceil(out_lo - _TOL)
    out_hi = np.where(np.isfinite(out_hi), np.floor(out_hi + _TOL), np.inf)
    if cache is not None:
        cache[key] = (out_lo, out_hi, use_int)
    return out_lo, out_hi, use_int


def _optimise(
    cost: np.ndarray, a_eq: sparse.csr_array | None, b_eq: list[float],
    a_ub: sparse.csr_array | None, b_ub: list[float], bounds: np.ndarray, use_int: bool,
) -> float | None:
    """Minimum of ``cost.x``; -inf when unbounded below; None when infeasible."""
    if use_int:
        cons = []
        if a_eq is not None:
            cons.append(optimize.LinearConstraint(a_eq, np.asarray(b_eq), np.asarray(b_eq)))
        if a_ub is not None:
            cons.append(optimize.LinearConstraint(a_ub, -np.inf, np.asarray(b_ub)))
        res = optimize.milp(cost, constraints=cons or None, integrality=np.ones(len(cost)),
                            bounds=optimize.Bounds(bounds[:, 0], bounds[:, 1]),
                            options={"time_limit": 10.0})
        if res.status == 0 or (res.status == 1 and res.x is not None):
            return float(res.fun)
        if res.status in (2,):
            return None
        # unbounded (status 3) or time limit without a solution: fall back to the relaxation
    res = optimize.linprog(cost, A_ub=a_ub, b_ub=b_ub or None, A_eq=a_eq, b_eq=b_eq or None,
                           bounds=bounds, method="highs")
    if res.status == 0:
        return float(res.fun)
    if res.status == 3:
        return -np.inf
    if res.status == 2:
        return None
    raise ArithmeticError(f"linear programming failed: {res.message}")  # pragma: no cover
