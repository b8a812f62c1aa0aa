"""Follow-up simulation: yearly steps of the inaptitude hazard, competing exits, sick leaves and
visits, all vectorised over workers (the only Python loop is over calendar years)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtr, ndtri

from irdp.synth import _params as P
from irdp.synth._codes import AC, CC, EV, VT
from irdp.synth._population import (
    NEVER,
    Spsti,
    Workers,
    day,
    high_risk_sector,
    jan1,
    size_is_small,
)

TERMS = [t for t, _, _ in P.COEFFICIENTS]
BETA = np.array([b for _, b, _ in P.COEFFICIENTS])
YEAR = 365.25


@dataclass
class Buffer:
    """Column-wise accumulation of records as lists of arrays."""

    columns: tuple[str, ...]
    parts: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def add(self, **cols: np.ndarray) -> None:
        n = len(next(iter(cols.values())))
        for c in self.columns:
            v = cols.get(c)
            if v is None:
                v = np.full(n, -1, dtype=np.int64)
            self.parts.setdefault(c, []).append(np.broadcast_to(v, (n,)).copy())

    def arrays(self) -> dict[str, np.ndarray]:
        return {c: (np.concatenate(self.parts[c]) if self.parts.get(c) else
                    np.zeros(0, dtype=np.int64)) for c in self.columns}


VISIT_COLS = ("worker", "date", "vtype", "concl", "absence_days", "cause", "inapt", "leave_msk")
LEAVE_COLS = ("worker", "start", "end", "cause", "truncated")


@dataclass
class History:
    """Everything the follow-up produced (day numbers; NEVER = no such date)."""

    event: np.ndarray          # EV code of the first event (0 censored)
    event_day: np.ndarray
    exit_day: np.ndarray
    exit_reason: np.ndarray    # index in EXIT_REASONS, -1 = no exit row
    inapt_at_reprise: np.ndarray
    rqth_day: np.ndarray
    visits: dict[str, np.ndarray]
    leaves: dict[str, np.ndarray]
    design: dict[str, np.ndarray]


def _uniform_days(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Uniform integer day in [lo, hi) (hi > lo assumed; returns lo when hi <= lo)."""
    span = np.maximum(hi - lo, 1)
    return lo + np.floor(rng.random(len(lo)) * span).astype(np.int64)


def _trunc_lognormal(rng: np.random.Generator, median: np.ndarray, sigma: np.ndarray,
                     lower: np.ndarray) -> np.ndarray:
    """Log-normal durations truncated below at ``lower`` (inverse-CDF sampling)."""
    z0 = np.log(lower / median) / sigma
    p0 = ndtr(z0)
    z = ndtri(p0 + rng.random(len(median)) * (1.0 - p0))
    # capped at 3 years: the maximum length of indemnified sick leave (DOMAIN §4.3)
    return np.clip(np.round(median * np.exp(sigma * z)), lower, P.MAX_LEAVE_DAYS).astype(np.int64)


class _Sim:
    """State of the simulation; one method per process."""

    def __init__(self, rng: np.random.Generator, w: Workers, sp: Spsti, start: int, end: int):
        self.rng, self.w, self.sp, self.start, self.end = rng, w, sp, start, end
        n = len(w.entry)
        self.n = n
        self.event = np.zeros(n, dtype=np.int8)
        self.event_day = np.full(n, NEVER, dtype=np.int64)
        self.amen_day = np.full(n, NEVER, dtype=np.int64)
        self.rqth_day = w.rqth_date.copy()
        self.last_leave_end = np.full(n, -NEVER, dtype=np.int64)
        self.inapt_at_reprise = np.zeros(n, dtype=bool)
        self.sir_k = np.zeros(n, dtype=np.int64)
        self.visits = Buffer(VISIT_COLS)
        self.leaves = Buffer(LEAVE_COLS)
        self.design = Buffer(("worker", "start", "stop", "event"))
        self.design_X: list[np.ndarray] = []
        self.reform = day(P.REFORM_DATE)
        per = self._period(np.arange(n), np.full(n, start))
        self.next_due = np.where(w.prevalent, start + np.floor(rng.random(n) * per),
                                 w.entry + per).astype(np.int64)

    # ---------------------------------------------------------------- helpers
    def _period(self, idx: np.ndarray, a: np.ndarray) -> np.ndarray:
        w = self.w
        adapted = (self.rqth_day[idx] < a) | (w.followup[idx] == 1) | (w.invalidity[idx] > 0)
        years = np.where(w.followup[idx] == 2, P.SIR_PERIOD_YEARS / 2,
                         np.where(adapted, P.VIP_PERIOD_YEARS_ADAPTED, P.VIP_PERIOD_YEARS))
        return np.round(years * YEAR).astype(np.int64)

    def _covariates(self, idx: np.ndarray, a: np.ndarray, age: np.ndarray) -> np.ndarray:
        w = self.w
        lv = self.leaves.arrays()
        a_full = np.full(self.n, -NEVER, dtype=np.int64)
        a_full[idx] = a
        aw = a_full[lv["worker"]] if len(lv["worker"]) else np.zeros(0, dtype=np.int64)
        ok = ((lv["end"] < aw) & (lv["end"] >= aw - 365) & (lv["cause"] != AC["MATERNITE"])
              & (lv["truncated"] == 0))
        n_recent = np.bincount(lv["worker"][ok], minlength=self.n)[idx]
        long_ok = ok & ((lv["end"] - lv["start"]) >= 91)
        n_long = np.bincount(lv["worker"][long_ok], minlength=self.n)[idx]
        cols = {
            "age_45_54": (age >= 45) & (age < 55),
            "age_55_59": (age >= 55) & (age < 60),
            "age_60p": age >= 60,
            "female": w.female[idx],
            "sick_leave_long": n_long > 0,
            "sick_leave_repeated": n_recent >= 2,
            "msk": w.msk[idx],
            "mental": w.mental[idx],
            "chronic2": w.chronic2[idx],
            "biomech_exposure": w.exposures[idx, 0],
            "rqth": self.rqth_day[idx] < a,
            "small_company": size_is_small(w.size_band[idx]),
            "high_risk_sector": high_risk_sector(w.sector[idx]),
            "prior_amenagement": self.amen_day[idx] < a,
            "low_work_ability": w.low_work_ability[idx],
        }
        return np.column_stack([cols[t] for t in TERMS]).astype(np.int8)

    def _competing(self, idx: np.ndarray, age: np.ndarray) -> np.ndarray:
        w = self.w
        ret = np.zeros(len(idx))
        for k, v in P.RETIREMENT_HAZARD.items():
            ret = np.where(age == k, v, ret)
        ret = np.where(age >= P.RETIREMENT_CERTAIN_AGE, 20.0, ret)
        death = P.DEATH_A * np.exp(P.DEATH_B * (age - 40.0))
        change = np.full(len(idx), P.CHANGE_SPSTI_HAZARD)
        loss_by = np.array([P.JOB_LOSS_HAZARD[c] for c, _ in P.CONTRACTS])
        loss = loss_by[w.contract[idx]]
        fin = np.full(len(idx), P.END_FOLLOWUP_HAZARD)
        return np.column_stack([ret, death, change, loss, fin])

    # ---------------------------------------------------------------- one year
    def year(self, y: int) -> None:
        rng, w = self.rng, self.w
        b_y = min(jan1(y + 1), self.end + 1)
        idx = np.flatnonzero((self.event == 0) & (w.entry < b_y))
        if len(idx) == 0:
            return
        a = np.maximum(jan1(y), w.entry[idx])
        age = y - w.birth_year[idx]
        X = self._covariates(idx, a, age)
        h_inapt = P.BASELINE_HAZARD * np.exp(X @ BETA + self.sp.centre_effect[w.spsti[idx]])
        H = np.column_stack([h_inapt, self._competing(idx, age)])
        tot = H.sum(axis=1)
        t_years = rng.exponential(1.0, len(idx)) / tot
        t_days = a + t_years * YEAR
        ev = t_days < b_y
        u = rng.random(len(idx)) * tot
        cause = (u[:, None] > np.cumsum(H, axis=1)).sum(axis=1).clip(0, 5) + 1  # EV codes 1..6
        stop = np.where(ev, t_days, b_y)
        self.design.add(worker=idx, start=(a - self.start) / YEAR,
                        stop=(stop - self.start) / YEAR, event=np.where(ev, cause, 0))
        self.design_X.append(X)
        ev_idx = idx[ev]
        self.event[ev_idx] = cause[ev]
        self.event_day[ev_idx] = np.floor(t_days[ev]).astype(np.int64)
        limit = np.where(ev, np.floor(t_days).astype(np.int64), b_y)  # no visit after the event
        cond = w.any_condition[idx]
        self._leaves(idx, a, limit, age, cond, X)
        self._inaptitudes(ev_idx[cause[ev] == EV["INAPTITUDE"]])
        self._periodic(idx, a, limit)
        self._demand_and_career(idx, a, limit, age, cond, y, cause, ev)
        self._rqth_onset(idx, a, limit, cond)

    # ---------------------------------------------------------------- processes
    def _leaves(self, idx, a, limit, age, cond, X) -> None:
        rng, w = self.rng, self.w
        se = P.SICK_LEAVE_EFFECTS
        lin = (se["age_50p"] * (age >= 50) + se["female"] * w.female[idx] + se["msk"] * w.msk[idx]
               + se["mental"] * w.mental[idx] + se["chronic2"] * w.chronic2[idx]
               + se["manual_job"] * w.manual[idx]
               + se["recent_long"] * X[:, TERMS.index("sick_leave_long")])
        expo = (limit - a) / YEAR
        k = np.minimum(rng.poisson(P.SICK_LEAVE_RATE * np.exp(lin) * expo), 3)
        mat_ok = w.female[idx] & (age >= 22) & (age <= 40)
        k_mat = np.minimum(rng.poisson(P.MATERNITY_RATE * mat_ok * expo), 1)
        is_mat = np.r_[np.zeros(int(k.sum()), dtype=np.int64),
                       np.ones(int(k_mat.sum()), dtype=np.int64)]
        rep = np.concatenate([np.repeat(np.arange(len(idx)), k),
                              np.repeat(np.arange(len(idx)), k_mat)])
        if len(rep) == 0:
            return
        wk = idx[rep]
        start = _uniform_days(rng, a[rep], limit[rep])
        cum = np.cumsum([p for _, p in P.LEAVE_CAUSES])
        cause = np.searchsorted(cum, rng.random(len(rep)), side="right").clip(0, 2)
        cause = np.where(is_mat == 1, AC["MATERNITE"], cause)
        med = np.array([P.LEAVE_DURATION[c][0] for c, _ in P.LEAVE_CAUSES] + [112.0])[cause]
        sig = np.array([P.LEAVE_DURATION[c][1] for c, _ in P.LEAVE_CAUSES] + [0.15])[cause]
        dur = _trunc_lognormal(rng, med, sig, np.full(len(rep), 30.0))
        end = start + dur
        ev_day = self.event_day[wk]
        # leaves overlapping a previous one of the same worker are dropped (one leave at a time)
        keep = start > self.last_leave_end[wk]
        inapt = self.event[wk] == EV["INAPTITUDE"]
        keep &= ~(inapt & (end > ev_day - 61))   # room for the leave that ends in inaptitude
        wk, start, end, cause, ev_day = wk[keep], start[keep], end[keep], cause[keep], ev_day[keep]
        truncated = end > ev_day
        end = np.minimum(end, ev_day)
        order = np.lexsort((start, wk))
        wk, start, end, cause, truncated = (v[order] for v in (wk, start, end, cause, truncated))
        # within one year a worker may draw several leaves: drop overlaps with the previous one
        prev_end = np.r_[-NEVER, end[:-1]]
        same = np.r_[False, wk[1:] == wk[:-1]]
        ok = ~(same & (start <= prev_end))
        wk, start, end, cause, truncated = (v[ok] for v in (wk, start, end, cause, truncated))
        self.leaves.add(worker=wk, start=start, end=end, cause=cause,
                        truncated=truncated.astype(np.int64))
        np.maximum.at(self.last_leave_end, wk, end)
        self._leave_visits(wk, start, end, cause, truncated)

    def _thresholds(self, start: np.ndarray, cause: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        old = np.array([P.REPRISE_THRESHOLD_OLD[c] for c in AC])[cause]
        new = np.array([P.REPRISE_THRESHOLD_NEW[c] for c in AC])[cause]
        after = start >= self.reform
        rep = np.where(after, new, old)
        pre = np.where(after, P.PREREPRISE_THRESHOLD_NEW, P.PREREPRISE_THRESHOLD_OLD)
        return rep, pre

    def _leave_visits(self, wk, start, end, cause, truncated) -> None:
        rng = self.rng
        dur = end - start
        thr_rep, thr_pre = self._thresholds(start, cause)
        msk = self.w.msk[wk].astype(np.int64)
        rep = (~truncated) & (dur >= thr_rep) & (rng.random(len(wk)) < P.P_REPRISE_HELD)
        date = end[rep] + rng.integers(0, 9, int(rep.sum()))
        self._add_visits(wk[rep], date, VT["REPRISE"], absence_days=dur[rep], cause=cause[rep],
                         leave_msk=msk[rep])
        pre = (dur > thr_pre) & (cause != AC["MATERNITE"]) & (rng.random(len(wk)) < P.P_PREREPRISE)
        date = start[pre] + np.floor(dur[pre] * rng.uniform(0.3, 0.9, int(pre.sum()))).astype(
            np.int64)
        self._add_visits(wk[pre], date, VT["PREREPRISE"], absence_days=date - start[pre],
                         cause=cause[pre], leave_msk=msk[pre])

    def _inaptitudes(self, ev_idx: np.ndarray) -> None:
        rng, w = self.rng, self.w
        if len(ev_idx) == 0:
            return
        T = self.event_day[ev_idx]
        m = len(ev_idx)
        cause = np.searchsorted(np.cumsum([0.8, 0.1, 0.1]), rng.random(m), side="right").clip(0, 2)
        dur = _trunc_lognormal(rng, np.full(m, 160.0), np.full(m, 0.6), np.full(m, 61.0))
        lo = np.maximum(np.maximum(w.entry[ev_idx], self.last_leave_end[ev_idx] + 1), T - dur)
        dur = T - lo
        with_leave = (rng.random(m) < P.P_INAPT_AFTER_LEAVE) & (dur >= 61)
        self.inapt_at_reprise[ev_idx[with_leave]] = True
        wl = ev_idx[with_leave]
        self.leaves.add(worker=wl, start=lo[with_leave], end=T[with_leave],
                        cause=cause[with_leave], truncated=np.zeros(len(wl), dtype=np.int64))
        dispense = rng.random(m) < P.P_INAPT_DISPENSE
        concl = np.where(dispense, CC["INAPTE_DISPENSE"], CC["INAPTE"])
        self._add_visits(wl, T[with_leave], VT["REPRISE"], absence_days=dur[with_leave],
                         cause=cause[with_leave], concl=concl[with_leave], inapt=1,
                         leave_msk=w.msk[wl].astype(np.int64))
        # pré-reprise during the leave
        pre = with_leave & (rng.random(m) < 0.4)
        d = lo[pre] + np.floor(dur[pre] * rng.uniform(0.3, 0.9, int(pre.sum()))).astype(np.int64)
        self._add_visits(ev_idx[pre], d, VT["PREREPRISE"], absence_days=d - lo[pre],
                         cause=cause[pre], concl=np.full(int(pre.sum()), CC["ORIENTATION"]))
        # others: declared at a visit on request or at a periodic visit
        oth = ~with_leave
        split = np.array([VT["DEMANDE_MT"], VT["DEMANDE_SAL"], VT["DEMANDE_EMP"], VT["VIP_PER"]])
        vt = split[np.searchsorted(np.cumsum([0.4, 0.3, 0.15, 0.15]), rng.random(int(oth.sum())),
                                   side="right").clip(0, 3)]
        vt = np.where((vt == VT["VIP_PER"]) & (w.followup[ev_idx[oth]] == 2), VT["SIR_PER"], vt)
        self._add_visits(ev_idx[oth], T[oth], vt, concl=concl[oth], inapt=1)

    def _periodic(self, idx, a, limit) -> None:
        rng, w = self.rng, self.w
        due = self.next_due[idx]
        hit = due < limit
        while hit.any():
            j = idx[hit]
            d = due[hit] + rng.integers(0, 121, len(j))
            held = (rng.random(len(j)) < P.P_PERIODIC_HELD) & (d < limit[hit])
            sir = w.followup[j] == 2
            vt = np.where(sir, np.where(self.sir_k[j] % 2 == 0, VT["SIR_INTER"], VT["SIR_PER"]),
                          VT["VIP_PER"])
            self._add_visits(j[held], d[held], vt[held])
            self.sir_k[j] += sir
            self.next_due[j] = due[hit] + self._period(j, a[hit])
            due = self.next_due[idx]
            hit = due < limit

    def _demand_and_career(self, idx, a, limit, age, cond, y, cause, ev) -> None:
        rng, w = self.rng, self.w
        expo = (limit - a) / YEAR
        k = np.minimum(rng.poisson(P.DEMAND_RATE * (1 + 2 * cond) * expo), 2)
        rep = np.repeat(np.arange(len(idx)), k)
        split = np.array([VT[t] for t, _ in P.DEMAND_SPLIT])
        vt = split[np.searchsorted(np.cumsum([p for _, p in P.DEMAND_SPLIT]), rng.random(len(rep)),
                                   side="right").clip(0, 2)]
        self._add_visits(idx[rep], _uniform_days(rng, a[rep], limit[rep]), vt)
        mi_from = day(P.MI_CARRIERE_FROM)
        lo = np.maximum(a, mi_from)
        mi = (age == 45) & (lo < limit) & (rng.random(len(idx)) < P.P_MI_CARRIERE)
        self._add_visits(idx[mi], _uniform_days(rng, lo[mi], limit[mi]), VT["MI_CARRIERE"])
        fc_from = day(P.FIN_CARRIERE_FROM)
        ret = ev & (cause == EV["RETRAITE"])
        eligible = (w.followup[idx] == 2) | w.exposures[idx, :3].any(axis=1)
        fc = ret & eligible & (limit >= fc_from) & (rng.random(len(idx)) < P.P_FIN_CARRIERE)
        d = limit[fc] - rng.integers(0, 61, int(fc.sum()))
        ok = d >= a[fc]
        self._add_visits(idx[fc][ok], d[ok], VT["FIN_CARRIERE"])

    def _rqth_onset(self, idx, a, limit, cond) -> None:
        rng = self.rng
        none = self.rqth_day[idx] == NEVER
        p = 1 - np.exp(-P.RQTH_ONSET_HAZARD * (1 + 2 * cond) * (limit - a) / YEAR)
        new = none & (rng.random(len(idx)) < p)
        self.rqth_day[idx[new]] = _uniform_days(rng, a[new], limit[new])

    # ---------------------------------------------------------------- visits and conclusions
    def _add_visits(self, wk, date, vtype, *, absence_days=None, cause=None, concl=None,
                    inapt=0, leave_msk=None) -> None:
        n = len(wk)
        if n == 0:
            return
        vtype = np.broadcast_to(np.asarray(vtype, dtype=np.int64), (n,)).copy()
        if concl is None:
            concl = self._conclude(wk, vtype)
        np.minimum.at(self.amen_day, wk[concl == CC["AMENAGEMENT"]],
                      np.asarray(date)[concl == CC["AMENAGEMENT"]])
        self.visits.add(worker=wk, date=np.asarray(date, dtype=np.int64), vtype=vtype,
                        concl=np.asarray(concl, dtype=np.int64),
                        absence_days=absence_days, cause=cause,
                        inapt=np.full(n, inapt, dtype=np.int64),
                        leave_msk=leave_msk)

    def _conclude(self, wk: np.ndarray, vtype: np.ndarray) -> np.ndarray:
        w = self.w
        cond = w.any_condition[wk]
        p = np.zeros(len(wk))
        p = np.where(vtype == VT["REPRISE"], 0.25 + 0.15 * cond, p)
        p = np.where(vtype == VT["PREREPRISE"], 0.35, p)
        dem = np.isin(vtype, [VT["DEMANDE_SAL"], VT["DEMANDE_EMP"], VT["DEMANDE_MT"]])
        p = np.where(dem, 0.2 + 0.15 * cond, p)
        p = np.where(np.isin(vtype, [VT["SIR_EMB"], VT["SIR_PER"]]), 0.02 + 0.06 * cond, p)
        p = np.where(vtype == VT["MI_CARRIERE"], 0.05 + 0.15 * cond, p)
        sir = w.followup[wk] == 2
        avis = np.isin(vtype, [VT["SIR_EMB"], VT["SIR_PER"]]) | (
            sir & (dem | (vtype == VT["REPRISE"])))
        base = np.where(avis, CC["APTE"], CC["ATTESTATION"])
        return np.where(self.rng.random(len(wk)) < p, CC["AMENAGEMENT"], base)

    def hiring_visits(self) -> None:
        """VIP initiale within 3 months (2 for apprentices) or SIR embauche before hiring."""
        rng, w = self.rng, self.w
        hires = np.flatnonzero(~w.prevalent)
        held = rng.random(len(hires)) < 0.85
        j = hires[held]
        sir = w.followup[j] == 2
        appr = w.contract[j] == 3
        delay = np.where(sir, -rng.integers(0, 16, len(j)),
                         np.floor(rng.random(len(j)) * np.where(appr, 61, 91)).astype(np.int64))
        d = w.entry[j] + delay
        ok = d >= self.start
        # the hiring visit is not drawn after the first event (filtered at assembly)
        self._add_visits(j[ok], d[ok], np.where(sir[ok], VT["SIR_EMB"], VT["VIP_INIT"]))


def _exits(rng: np.random.Generator, sim: _Sim, end: int) -> tuple[np.ndarray, np.ndarray]:
    """Exit date and reason (index in EXIT_REASONS) from the first event."""
    from irdp.synth._codes import EXIT_REASONS as ER
    n = sim.n
    exit_day = np.full(n, NEVER, dtype=np.int64)
    reason = np.full(n, -1, dtype=np.int64)
    mapping = {EV["RETRAITE"]: ER.index("RETRAITE"), EV["DECES"]: ER.index("DECES"),
               EV["CHANGEMENT_SPSTI"]: ER.index("CHANGEMENT_SPSTI"),
               EV["AUTRE_PERTE_EMPLOI"]: ER.index("AUTRE_PERTE_EMPLOI"),
               EV["FIN_SUIVI"]: ER.index("FIN_SUIVI")}
    for ev, r in mapping.items():
        m = sim.event == ev
        exit_day[m] = sim.event_day[m]
        reason[m] = r
    m = sim.event == EV["INAPTITUDE"]
    d = sim.event_day[m] + rng.integers(15, 46, int(m.sum()))
    dismissed = rng.random(int(m.sum())) < P.P_DISMISSAL_AFTER_INAPT
    r = np.where(dismissed, ER.index("LICENCIEMENT_INAPTITUDE"), ER.index("AUTRE_PERTE_EMPLOI"))
    inside = d <= end
    exit_day[np.flatnonzero(m)[inside]] = d[inside]
    reason[np.flatnonzero(m)[inside]] = r[inside]
    return exit_day, reason


def simulate(rng: np.random.Generator, w: Workers, sp: Spsti, start: int, end: int,
             progress=None) -> History:
    """Run the yearly simulation over [start, end]."""
    sim = _Sim(rng, w, sp, start, end)
    sim.hiring_visits()
    y0 = int(np.datetime64(start, "D").astype("datetime64[Y]").astype(np.int64)) + 1970
    y1 = int(np.datetime64(end, "D").astype("datetime64[Y]").astype(np.int64)) + 1970
    for y in range(y0, y1 + 1):
        sim.year(y)
        if progress is not None:
            progress(1)
    exit_day, exit_reason = _exits(rng, sim, end)
    visits = sim.visits.arrays()
    keep = ((visits["date"] <= np.minimum(exit_day[visits["worker"]], end))
            & (visits["date"] <= np.where(sim.event[visits["worker"]] > 0,
                                          sim.event_day[visits["worker"]], end))
            & (visits["date"] >= start))
    visits = {k: v[keep] for k, v in visits.items()}
    design = sim.design.arrays()
    design["X"] = (np.concatenate(sim.design_X) if sim.design_X
                   else np.zeros((0, len(TERMS)), dtype=np.int8))
    return History(event=sim.event, event_day=sim.event_day, exit_day=exit_day,
                   exit_reason=exit_reason, inapt_at_reprise=sim.inapt_at_reprise,
                   rqth_day=sim.rqth_day, visits=visits, leaves=sim.leaves.arrays(),
                   design=design)
