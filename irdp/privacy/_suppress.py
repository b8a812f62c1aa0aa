"""Choosing the suppressed cells of a linked system, and auditing them (private).

:class:`_State` holds what is suppressed (counts and rates), builds the linear system of what
is published and runs the three passes of :meth:`irdp.privacy.LinkedTables.suppress`: primary
suppression, complements for lines left with a single hidden cell, and the completion driven
by the LP audit.

References
----------
Hundepool A. et al., *Statistical Disclosure Control*, Wiley 2012, ch. 4 (secondary cell
suppression, audit by linear programming).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from irdp.exceptions import DisclosureError
from irdp.privacy._lp import LinearSystem, _merge, _stack, feasible_intervals
from irdp.privacy._model import _Model, _where
from irdp.privacy.policy import DisclosurePolicy

#: Candidate complements tried (by recomputing the interval) for each count to protect.
_TRIALS = 5


class _State:
    """Suppression status of the published items and the audit of it."""

    def __init__(self, m: _Model, policy: DisclosurePolicy, *,
                 missing_as_suppressed: bool = False) -> None:
        self.m = m
        self.policy = policy
        self.suppressed_vars: set[int] = set()
        self.suppressed_rates: set[int] = set()
        self.primary_vars: set[int] = set()
        self.unprotected: list[str] = []
        self._cache: dict[Any, Any] = {}
        self._a_fam: Any = None
        self._truth: np.ndarray | None = None
        self.auditing = missing_as_suppressed
        if missing_as_suppressed:
            for j, v in enumerate(m.vars):
                if v.cells and v.truth is None:
                    self.suppressed_vars.add(j)
            for k, it in enumerate(m.rates):
                if not np.isfinite(it.value):
                    self.suppressed_rates.add(k)

    def visible(self, j: int) -> bool:
        v = self.m.vars[j]
        return v.external or (bool(v.cells) and j not in self.suppressed_vars
                              and v.truth is not None)

    def primary(self) -> None:
        for j, v in enumerate(self.m.vars):
            if v.cells and not v.external and v.truth is not None and \
                    self.policy.is_sensitive(v.truth):
                self.suppressed_vars.add(j)
                self.primary_vars.add(j)
        self._rates_follow()

    def _rates_follow(self) -> None:
        for k, it in enumerate(self.m.rates):
            if k in self.suppressed_rates or not np.isfinite(it.value):
                continue
            for j in (it.num, it.den):
                v = self.m.vars[j]
                if j in self.suppressed_vars or (v.truth is not None and
                                                 self.policy.is_sensitive(v.truth)):
                    self.suppressed_rates.add(k)
                    break

    def _static(self) -> None:
        """Constraint rows that do not depend on what is suppressed, built once."""
        m = self.m
        n = len(m.vars)
        fam = [(np.array([pid, *kids], dtype=np.int64),
                np.array([1.0] + [-1.0] * len(kids)), 0.0) for pid, kids, _d in m.families]
        self._a_fam, self._b_fam = _stack(fam, n)
        self._fam_items = [("family", (pid, kids)) for pid, kids, _d in m.families]
        rate_rows = []
        for it in m.rates:
            v = it.value if np.isfinite(it.value) else 0.0
            h = it.half_width if it.half_width > 0 else 1e-9 * max(1.0, abs(v))
            # scale*num <= (value+h)*den  and  scale*num >= (value-h)*den
            rate_rows.append((*_merge([it.num, it.den], [it.scale, -(v + h)]), 0.0))
            rate_rows.append((*_merge([it.num, it.den], [-it.scale, v - h]), 0.0))
        self._a_rate, self._b_rate = _stack(rate_rows, n)
        self._rate_values_ok = np.array([np.isfinite(it.value) for it in m.rates], dtype=bool)
        self._external = np.array([v.external for v in m.vars], dtype=bool)
        self._published = np.array([bool(v.cells) for v in m.vars], dtype=bool)

    def system(self) -> tuple[LinearSystem, list[tuple[str, Any]]]:
        """The linear system of what is published; ``items[k]`` says what constraint k is."""
        m, pol = self.m, self.policy
        if self._a_fam is None:
            self._static()
        n = len(m.vars)
        lower = np.zeros(n)
        upper = np.full(n, np.inf)
        vis = self._visible_mask()
        exact = vis & (self._external | (pol.rounding is None))
        lower[exact] = upper[exact] = self._truth_or_nan()[exact]
        for j in np.flatnonzero(vis & ~exact):
            v = m.vars[j]
            shown = pol.published_count(int(v.truth))
            lo, hi = pol.interval(shown)
            if shown == 0 and not pol.protect_zeros:
                hi = 0  # counts 1, 2... would have been suppressed, not rounded to 0
            elif shown >= pol.min_count:
                lo = max(lo, pol.min_count)  # the reader knows the policy
            lower[j], upper[j] = lo, hi
        on = self._rate_values_ok.copy()
        if self.suppressed_rates:
            on[list(self.suppressed_rates)] = False
        active = np.flatnonzero(on)
        rows = np.column_stack([2 * active, 2 * active + 1]).ravel().astype(np.int64)
        a_ub = self._a_rate[rows] if len(rows) else sparse.csr_array((0, n))
        b_ub = self._b_rate[rows] if len(rows) else np.zeros(0)
        s = LinearSystem.from_matrices(lower, upper, self._a_fam, self._b_fam, a_ub, b_ub)
        items = self._fam_items + [("rate", int(k)) for k in active for _ in (0, 1)]
        return s, items

    def _truth_or_nan(self) -> np.ndarray:
        if self._truth is None:
            self._truth = np.array([np.nan if v.truth is None else v.truth
                                    for v in self.m.vars])
        return self._truth

    def _visible_mask(self) -> np.ndarray:
        has_truth = ~np.isnan(self._truth_or_nan())
        vis = self._published & has_truth
        if self.suppressed_vars:
            vis[list(self.suppressed_vars)] = False
        return vis | self._external

    def intervals(self) -> tuple[Any, LinearSystem, list[tuple[str, Any]]]:
        s, items = self.system()
        iv = feasible_intervals(s, self._targets(), cache=self._cache, **self._shortcut())
        return iv, s, items

    def _shortcut(self) -> dict[str, Any]:
        """When suppressing (true counts known), a count whose maximum exceeds its true value
        by min_count is protected: its minimum need not be computed."""
        if self.auditing:
            return {}
        return {"reference": self._truth_or_nan(), "enough": float(self.policy.min_count)}

    def _targets(self) -> list[int]:
        """Counts whose interval can reveal something: every hidden published cell and every
        unpublished count, except an unpublished total already known to be at least
        ``min_count`` (its visible parts add up to that much)."""
        m, pol = self.m, self.policy
        floor = np.zeros(len(m.vars))
        for pid, kids, _d in m.families:
            floor[pid] = max(floor[pid], sum(m.vars[k].truth for k in kids
                                             if self.visible(k) and m.vars[k].truth))
        return [j for j, v in enumerate(m.vars) if not self.visible(j)
                and (v.cells or pol.protect_zeros or floor[j] < pol.min_count)]

    def breaches(self, iv: Any) -> list[int]:
        out = []
        for j, v in enumerate(self.m.vars):
            if v.external:
                continue
            if self.visible(j):
                if self.policy.is_sensitive(v.truth):
                    out.append(j)  # a small count can be read
                continue
            lo, hi = iv.lower[j], iv.upper[j]
            if np.isnan(lo):
                continue
            if v.cells:
                # a suppressed cell must keep at least min_count + 1 possible values,
                # whatever it holds (a complement narrowed down gives its partners away)
                if hi - lo < self.policy.min_count:
                    out.append(j)
            elif self.policy.is_breach(lo, hi):
                out.append(j)  # an unpublished count implied by the published ones
        return out

    def lines(self) -> None:
        """Fast first pass: every additive line left with a single hidden cell to protect gets
        a complement (its smallest non-zero visible cell, a total only when no cell is left);
        the audit-driven pass (:meth:`complete`) then handles what lines alone cannot see."""
        changed = True
        while changed:
            changed = False
            for pid, kids, _d in self.m.families:
                unknown = [i for i in (pid, *kids) if not self.visible(i)]
                if len(unknown) != 1 or not self._needs_protection(unknown[0]):
                    continue
                cells = [i for i in kids if self._candidate(i)]
                if not cells and self._candidate(pid):
                    cells = [pid]
                if cells:
                    self.suppressed_vars.add(min(cells, key=lambda i: (self.m.vars[i].truth, i)))
                    changed = True
        self._rates_follow()

    def _needs_protection(self, j: int) -> bool:
        v = self.m.vars[j]
        if v.cells:
            return j in self.suppressed_vars
        return v.truth is not None and self.policy.is_sensitive(v.truth)

    def complete(self, *, strict: bool = True) -> None:
        """Complementary suppression until the audit finds no recoverable count."""
        while True:
            iv, s, items = self.intervals()
            if not iv.feasible:
                raise ValueError("the declared tables are inconsistent: no set of counts "
                                 "satisfies every published number (check the declarations).")
            bad = self.breaches(iv)
            if not bad:
                return
            cons_of = s.constraints_of()
            touched: set[int] = set()
            progress = False
            for j in sorted(bad, key=lambda j: (iv.upper[j] - iv.lower[j], j)):
                if touched & set(cons_of[j]):
                    continue
                if progress and not self._pinned(j, *self._try(j, "var", -1)):
                    continue  # protected by a complement chosen earlier in this round
                choice = self._complement(j, iv, s, items, cons_of)
                if choice is None:
                    continue
                kind, what, used = choice
                if kind == "rate":
                    self.suppressed_rates.add(what)
                else:
                    self.suppressed_vars.add(what)
                touched |= set(used)
                progress = True
            if not progress:
                where = [_where(self.m, j) for j in bad[:5]]
                if not strict:
                    self.unprotected = where + ([f"... {len(bad) - 5} more"]
                                                if len(bad) > 5 else [])
                    return
                raise DisclosureError(
                    f"{len(bad)} count(s) cannot be protected by suppressing published cells "
                    f"(e.g. {where}); the published totals pin them. Publish fewer tables "
                    "or coarser categories."
                )
            self._rates_follow()

    def _complement(self, j: int, iv: Any, s: LinearSystem, items: list[tuple[str, Any]],
                    cons_of: list[list[int]]) -> tuple[str, int, list[int]] | None:
        """Choose what to suppress next to protect count ``j``.

        Candidates are the published rates and the visible non-zero counts of the lines of
        ``j`` and, breadth first, of the lines of the hidden counts that pin it (interval
        narrower than ``min_count``). The most promising (exposing no new line, nearest,
        cheapest: rates first, then small counts) are tried one at a time by recomputing the
        interval of ``j``; the cheapest one that protects ``j`` wins, else the one that
        widens its interval most.
        """
        cands = self._candidates(j, iv, s, items, cons_of)
        if not cands:
            return None
        base = iv.upper[j] - iv.lower[j]
        best: tuple[Any, ...] | None = None
        for score, kind, what, k in cands[:_TRIALS]:
            lo, hi = self._try(j, kind, what)
            safe = not self._pinned(j, lo, hi)
            gain = (hi - lo) - base
            key = (not safe, -gain if not safe else 0.0, score[0], score[2], score[1])
            if best is None or key < best[0]:
                best = (key, kind, what, k)
        assert best is not None
        if best[0][0] and best[0][1] >= 0:  # no candidate helps: take the first one
            _score, kind, what, k = cands[0]
            return kind, what, [k]
        return best[1], best[2], [best[3]]

    def _pinned(self, j: int, lo: float, hi: float) -> bool:
        if np.isnan(lo):
            return False
        if self.m.vars[j].cells:
            return hi - lo < self.policy.min_count
        return self.policy.is_breach(lo, hi)

    def _try(self, j: int, kind: str, what: int) -> tuple[float, float]:
        """Interval of ``j`` if ``what`` were suppressed too."""
        target = self.suppressed_rates if kind == "rate" else self.suppressed_vars
        added = what >= 0 and what not in target
        if added:
            target.add(what)
        try:
            s, _items = self.system()
            iv = feasible_intervals(s, [j], cache=self._cache, **self._shortcut())
        finally:
            if added:
                target.discard(what)
        return float(iv.lower[j]), float(iv.upper[j])

    def _candidates(self, j: int, iv: Any, s: LinearSystem, items: list[tuple[str, Any]],
                    cons_of: list[list[int]]) -> list[tuple[Any, str, int, int]]:
        m = self.policy.min_count
        found: dict[tuple[str, int], tuple[Any, str, int, int]] = {}
        seen_v, seen_k = {j}, set()
        frontier = [j]
        depth = 0
        while frontier and depth < 4 and len(found) < 40:
            nxt = []
            for v in frontier:
                for k in cons_of[v]:
                    if k in seen_k:
                        continue
                    seen_k.add(k)
                    if items[k][0] == "rate":
                        key = ("rate", items[k][1])
                        found.setdefault(key, ((0, depth, 0.0), "rate", items[k][1], k))
                        for i in (int(x) for x in s.row_indices(k)):
                            if (i not in seen_v and not self.visible(i)
                                    and iv.upper[i] - iv.lower[i] < m):
                                seen_v.add(i)
                                nxt.append(i)
                        continue
                    for i in (int(x) for x in s.row_indices(k)):
                        if self._candidate(i):
                            exposed = sum(1 for kk in cons_of[i] if kk != k and all(
                                self.visible(int(x)) or int(x) == i for x in s.row_indices(kk)))
                            score = (exposed, depth, float(self.m.vars[i].truth))
                            key = ("var", i)
                            if key not in found or score < found[key][0]:
                                found[key] = (score, "var", i, k)
                        elif (i not in seen_v and not self.visible(i)
                              and iv.upper[i] - iv.lower[i] < m):
                            seen_v.add(i)
                            nxt.append(i)
            frontier = nxt
            depth += 1
        # the cheapest first: exposing no new line, then smallest, then nearest
        return sorted(found.values(), key=lambda c: (c[0][0], c[0][2], c[0][1], c[1], c[2]))

    def _candidate(self, i: int) -> bool:
        v = self.m.vars[i]
        return self.visible(i) and not v.external and bool(v.cells) and (v.truth or 0) > 0

    def audit_result(self) -> Any:
        from irdp.privacy.audit import AuditResult, Finding

        self.auditing = True  # exact intervals, not the shortcut of the suppression
        iv, _s, _items = self.intervals()
        findings = []
        if not iv.feasible:
            findings.append(Finding(
                kind="inconsistent", attack="lp-differencing", files=(), location="",
                message="the published numbers contradict the declared structure: no set of "
                        "counts satisfies them all", lower=np.nan, upper=np.nan))
        for j in self.breaches(iv):
            v = self.m.vars[j]
            lo, hi = iv.lower[j], iv.upper[j]
            if self.visible(j):
                kind, msg = "readable", (f"a count of {v.truth:g} (below {self.policy.min_count}"
                                         ") is published")
                lo = hi = v.truth
            else:
                kind = "recoverable"
                msg = (f"published numbers pin this hidden count to [{lo:g}, {hi:g}], fewer "
                       f"than {self.policy.min_count} values")
            loc = _where(self.m, j)
            files = tuple(sorted({t for t, _r, _c in v.cells}))
            findings.append(Finding(kind=kind, attack="lp-differencing", files=files,
                                    location=loc, message=msg, lower=float(lo),
                                    upper=float(hi)))
        return AuditResult(findings=tuple(findings), policy=self.policy,
                           n_cells_checked=int(np.isfinite(iv.lower).sum()))
