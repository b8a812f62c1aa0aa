"""Assembly of the contract tables (Arrow) from the simulated population and history."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from irdp.synth import _params as P
from irdp.synth._codes import (
    ABSENCE_CAUSES,
    AC,
    CC,
    CONCLUSIONS,
    CONTRACTS,
    EDUCATION,
    END_REASONS,
    EXIT_REASONS,
    FOLLOWUP_TYPES,
    PROFESSIONALS,
    SIZE_BANDS,
    SYSTEMS_CURRENT,
    SYSTEMS_LEGACY,
    VISIT_TYPES,
    VT,
)
from irdp.synth._history import History
from irdp.synth._population import FAMILIES, NEVER, Companies, Spsti, Workers, day

_DATE0 = np.datetime64("1970-01-01", "D")


def ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + zero-padded ``numbers`` as an Arrow string array."""
    s = pc.utf8_lpad(pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string()),
                     width=width, padding="0")
    return pc.binary_join_element_wise(pa.scalar(prefix), s, pa.scalar(""))


def labels(codes: np.ndarray, names: tuple[str, ...] | list[str],
           mask: np.ndarray | None = None) -> pa.Array:
    """Strings ``names[codes]``; ``codes < 0`` or ``mask`` True gives null."""
    codes = np.asarray(codes, dtype=np.int64)
    null = codes < 0 if mask is None else (codes < 0) | mask
    arr = pa.DictionaryArray.from_arrays(pa.array(np.where(null, 0, codes).astype(np.int32),
                                                  mask=null), pa.array(list(names), pa.string()))
    return arr.cast(pa.string())


def dates(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Arrow date32 from day numbers; ``mask`` True (or NEVER) gives null."""
    days = np.asarray(days, dtype=np.int64)
    null = days >= NEVER if mask is None else (days >= NEVER) | mask
    return pa.array(np.where(null, 0, days).astype(np.int32), type=pa.int32(),
                    mask=null).cast(pa.date32())


def ints(values: np.ndarray, mask: np.ndarray | None = None, typ: pa.DataType | None = None
         ) -> pa.Array:
    """Arrow integers (int32 by default) with an optional null mask."""
    return pa.array(np.asarray(values).astype(np.int64), mask=mask).cast(typ or pa.int32())


def bools(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Arrow booleans with an optional null mask."""
    return pa.array(np.asarray(values, dtype=bool), mask=mask)


class Assembler:
    """Build the nine contract tables.

    ``tag`` is inserted after the letter of every generated id (``W``, ``E``, ``C``, ``V``,
    ``X``); a partition of a partitioned extract uses its SPSTI number so that ids are unique
    across partitions generated apart. ``spsti_number`` names the services ``S<number>``
    from that number on.
    """

    def __init__(self, rng: np.random.Generator, w: Workers, comp: Companies, sp: Spsti,
                 hist: History, start: int, end: int, *, tag: str = "",
                 spsti_number: int = 1) -> None:
        self.rng, self.w, self.comp, self.sp, self.h = rng, w, comp, sp, hist
        self.start, self.end = start, end
        self.tag = tag
        n = len(w.entry)
        self.worker_ids = ids("W" + tag, rng.permutation(n) + 1, 9)
        self.company_ids = ids("E" + tag, rng.permutation(len(comp.spsti)) + 1, 8)
        self.employment_ids = ids("C" + tag, rng.permutation(n) + 1, 9)
        self.spsti_ids = ids("S", np.arange(spsti_number, spsti_number + len(sp.weight)), 3)
        self.legacy_w = sp.legacy[w.spsti]

    def take(self, arr: pa.Array, idx: np.ndarray) -> pa.Array:
        return arr.take(pa.array(np.asarray(idx, dtype=np.int64)))

    # ------------------------------------------------------------------ worker / company
    def worker(self) -> pa.Table:
        rng, w, h, sp = self.rng, self.w, self.h, self.sp
        n = len(w.entry)
        c = w.spsti
        horizon = np.minimum(h.exit_day, self.end)
        rqth = h.rqth_day <= horizon
        rqth_null = rng.random(n) > sp.rqth_recorded[c]
        date_null = rqth_null | ~rqth | (rng.random(n) < 0.1)
        edu_p = sp.education_recorded[c] * np.where(w.education == 0, 0.6, 1.0)  # MNAR
        edu_null = rng.random(n) > edu_p
        inv_null = rng.random(n) > sp.rqth_recorded[c]
        return pa.table({
            "worker_id": self.worker_ids,
            "spsti_id": self.take(self.spsti_ids, c),
            "sex": labels(w.female.astype(np.int64), ["M", "F"]),
            "birth_year": ints(w.birth_year),
            "rqth": bools(rqth, rqth_null),
            "rqth_date": dates(h.rqth_day, date_null),
            "invalidity_category": ints(w.invalidity, inv_null),
            "education_level": labels(w.education, EDUCATION, edu_null),
        })

    def company(self) -> pa.Table:
        comp = self.comp
        naf_lists = [s[2] for s in P.SECTORS]
        flat = [code for lst in naf_lists for code in lst]
        offsets = np.cumsum([0] + [len(lst) for lst in naf_lists])[:-1]
        return pa.table({
            "company_id": self.company_ids,
            "naf_code": labels(offsets[comp.sector] + comp.naf_index, flat),
            "naf_system": pa.array(["NAF-2008"] * len(comp.spsti), pa.string()),
            "size_band": labels(comp.size_band, SIZE_BANDS),
            "department": pa.array(comp.department.astype(str).tolist(), pa.string()),
        })

    # ------------------------------------------------------------------ employment / exit
    def employment(self) -> pa.Table:
        rng, w, h = self.rng, self.w, self.h
        n = len(w.entry)
        ER = EXIT_REASONS
        end_reason = np.full(n, -1)
        fixed_term = np.isin(w.contract, [1, 2, 3])
        u = rng.random(n)
        cdi_loss = np.where(u < 0.4, END_REASONS.index("LICENCIEMENT_AUTRE"),
                            np.where(u < 0.75, END_REASONS.index("RUPTURE_CONVENTIONNELLE"),
                                     END_REASONS.index("DEMISSION")))
        r = h.exit_reason
        rules = {
            ER.index("LICENCIEMENT_INAPTITUDE"): END_REASONS.index("LICENCIEMENT_INAPTITUDE"),
            ER.index("RETRAITE"): END_REASONS.index("RETRAITE"),
            ER.index("DECES"): END_REASONS.index("AUTRE"),
        }
        for k, v in rules.items():
            end_reason[r == k] = v
        fin = END_REASONS.index("FIN_CONTRAT")
        m = r == ER.index("CHANGEMENT_SPSTI")
        end_reason[m] = np.where(fixed_term[m], fin, END_REASONS.index("DEMISSION"))
        m = r == ER.index("AUTRE_PERTE_EMPLOI")
        inapt = h.event == 1
        end_reason[m] = np.where(inapt[m], END_REASONS.index("RUPTURE_CONVENTIONNELLE"),
                                 np.where(fixed_term[m], fin, cdi_loss[m]))
        no_end = (r < 0) | (r == ER.index("FIN_SUIVI"))
        sector_jobs = [P.JOBS[s[0]] for s in P.SECTORS]
        flat_pcs = [j[0] for lst in sector_jobs for j in lst]
        flat_rome = [j[1] for lst in sector_jobs for j in lst]
        offsets = np.cumsum([0] + [len(lst) for lst in sector_jobs])[:-1]
        job = offsets[w.sector] + w.job_index
        job_code = pc.if_else(pa.array(self.legacy_w), labels(job, flat_rome),
                              labels(job, flat_pcs))
        job_system = labels(np.where(self.legacy_w, 1, 0),
                            [SYSTEMS_CURRENT["job"], SYSTEMS_LEGACY["job"]])
        return pa.table({
            "employment_id": self.employment_ids,
            "worker_id": self.worker_ids,
            "company_id": self.take(self.company_ids, w.company),
            "start_date": dates(w.emp_start),
            "end_date": dates(h.exit_day, no_end),
            "contract": labels(w.contract, CONTRACTS),
            "job_code": job_code,
            "job_system": job_system,
            "followup_type": labels(w.followup, FOLLOWUP_TYPES),
            "end_reason": labels(end_reason, END_REASONS, no_end),
        })

    def exit(self) -> pa.Table:
        h = self.h
        m = np.flatnonzero(h.exit_reason >= 0)
        return pa.table({
            "worker_id": self.take(self.worker_ids, m),
            "exit_date": dates(h.exit_day[m]),
            "exit_reason": labels(h.exit_reason[m], EXIT_REASONS),
        })

    def exposure(self) -> pa.Table:
        rng, w, h, sp = self.rng, self.w, self.h, self.sp
        rows_w, rows_f = np.nonzero(w.exposures)
        rec = rng.random(len(rows_w)) < sp.exposure_completeness[w.spsti[rows_w]]
        rows_w, rows_f = rows_w[rec], rows_f[rec]
        m = len(rows_w)
        flat = [code for f in FAMILIES for code in P.TEP_CODES[f]]
        offsets = np.cumsum([0] + [len(P.TEP_CODES[f]) for f in FAMILIES])[:-1]
        n_codes = np.array([len(P.TEP_CODES[f]) for f in FAMILIES])
        code = offsets[rows_f] + np.floor(rng.random(m) * n_codes[rows_f]).astype(np.int64)
        start = w.emp_start[rows_w]
        end_day = h.exit_day[rows_w]
        legacy = self.legacy_w[rows_w]
        intensity = rng.integers(1, 4, m)
        return pa.table({
            "exposure_id": ids("X" + self.tag, np.arange(1, m + 1), 9),
            "worker_id": self.take(self.worker_ids, rows_w),
            "tep_code": labels(code, flat),
            "tep_system": labels(legacy.astype(np.int64),
                                 [SYSTEMS_CURRENT["tep"], SYSTEMS_LEGACY["tep"]]),
            "start_date": dates(start),
            "end_date": dates(end_day),
            "intensity": ints(intensity, rng.random(m) < 0.3, pa.int16()),
        })

    # ------------------------------------------------------------------ all tables
    def tables(self, order: tuple[str, ...] | list[str]) -> dict[str, pa.Table]:
        """Every table of the extract, keyed in ``order``.

        The tables are drawn in one fixed sequence (the random stream is shared), so the
        same generator state always gives the same extract whatever ``order`` is.
        """
        v = self.visits_sorted()
        drawn = {
            "worker": self.worker(),
            "company": self.company(),
            "employment": self.employment(),
            "visit": self.visit(v),
            "conclusion": self.conclusion(v),
            "diagnosis": self.diagnosis(v),
            "exposure": self.exposure(),
            "questionnaire": self.questionnaire(v),
            "exit": self.exit(),
        }
        return {name: drawn[name] for name in order}

    # ------------------------------------------------------------------ visits and children
    def visits_sorted(self) -> dict[str, np.ndarray]:
        v = self.h.visits
        order = np.lexsort((v["vtype"], v["date"], v["worker"]))
        v = {k: a[order] for k, a in v.items()}
        # at most one visit of a type per worker and day
        dup = np.r_[False, (v["worker"][1:] == v["worker"][:-1]) & (v["date"][1:] == v["date"][:-1])
                    & (v["vtype"][1:] == v["vtype"][:-1])]
        return {k: a[~dup] for k, a in v.items()}

    def visit(self, v: dict[str, np.ndarray]) -> pa.Table:
        rng, w, sp = self.rng, self.w, self.sp
        m = len(v["worker"])
        wk = v["worker"]
        legacy = self.legacy_w[wk]
        vt = v["vtype"].copy()
        new_only = np.isin(vt, [VT["MI_CARRIERE"], VT["FIN_CARRIERE"]])
        vt[legacy & new_only] = VT["DEMANDE_MT"]   # the 2013 thesaurus has no such visit types
        prof = self._professional(vt, v["concl"], v["inapt"], sp.nurse_share[w.spsti[wk]])
        has_abs = np.isin(vt, [VT["REPRISE"], VT["PREREPRISE"]]) & (v["absence_days"] >= 0)
        cause_null = ~has_abs | (rng.random(m) < 0.05)
        emp_null = legacy & (rng.random(m) < 0.3)
        self.visit_ids = ids("V" + self.tag, np.arange(1, m + 1), 10)
        return pa.table({
            "visit_id": self.visit_ids,
            "worker_id": self.take(self.worker_ids, wk),
            "employment_id": pc.if_else(pa.array(emp_null), pa.scalar(None, pa.string()),
                                        self.take(self.employment_ids, wk)),
            "visit_date": dates(v["date"]),
            "visit_type": labels(vt, VISIT_TYPES),
            "visit_type_system": labels(legacy.astype(np.int64),
                                        [SYSTEMS_CURRENT["visit_type"],
                                         SYSTEMS_LEGACY["visit_type"]]),
            "professional": labels(prof, PROFESSIONALS),
            "absence_days": ints(v["absence_days"], ~has_abs),
            "absence_cause": labels(v["cause"], ABSENCE_CAUSES, cause_null),
        })

    def _professional(self, vt, concl, inapt, nurse_share) -> np.ndarray:
        rng = self.rng
        m = len(vt)
        u = rng.random(m)
        nurse_ok = np.isin(vt, [VT["VIP_INIT"], VT["VIP_PER"], VT["SIR_INTER"], VT["MI_CARRIERE"],
                                VT["DEMANDE_SAL"], VT["DEMANDE_EMP"]])
        p_nurse = np.where(np.isin(vt, [VT["DEMANDE_SAL"], VT["DEMANDE_EMP"]]), 0.15,
                           np.minimum(nurse_share * 1.8, 0.85))
        prof = np.where(u < 0.04, 4, np.where(u < 0.07, 3, 0))   # COLLAB, INTERNE, else MT
        nurse = nurse_ok & (rng.random(m) < p_nurse)
        prof = np.where(nurse, 1, prof)
        prof = np.where(nurse & (vt == VT["MI_CARRIERE"]) & (rng.random(m) < 0.35), 2, prof)
        # only a physician issues an aménagement or inaptitude avis
        needs_mt = (concl == CC["AMENAGEMENT"]) | (inapt == 1) | (concl == CC["APTE"])
        return np.where(needs_mt & np.isin(prof, [1, 2]), 0, prof)

    def conclusion(self, v: dict[str, np.ndarray]) -> pa.Table:
        rng = self.rng
        m = len(v["worker"])
        concl = v["concl"]
        wk = v["worker"]
        p_or = np.where(v["vtype"] == VT["PREREPRISE"], 0.25, 0.04)
        p_or = np.where(v["inapt"] == 1, 0.5, p_or)
        extra = (rng.random(m) < p_or) & (concl != CC["ORIENTATION"])
        amen_measures = ["POSTE", "TEMPS", "TPT", "RESTRICTION", "POSTE;TEMPS", "POSTE;RESTRICTION",
                         "TPT;POSTE", "FORMATION"]
        mcode = np.full(m, -1)
        am = concl == CC["AMENAGEMENT"]
        mcode[am] = rng.integers(0, len(amen_measures), int(am.sum()))
        inapte = concl == CC["INAPTE"]
        inapt_measures = np.where(rng.random(m) < 0.5, len(amen_measures),
                                  len(amen_measures) + 1)
        sel = inapte & (rng.random(m) < 0.7)
        mcode[sel] = inapt_measures[sel]
        all_measures = amen_measures + ["RECLASSEMENT", "RECLASSEMENT;FORMATION"]
        legacy = self.legacy_w[wk]
        pdp_main = (concl == CC["ORIENTATION"]) & (rng.random(m) < 0.6) | (
            (v["inapt"] == 1) & (rng.random(m) < 0.7))
        main = pa.table({
            "visit_id": self.visit_ids,
            "conclusion": labels(concl, CONCLUSIONS),
            "measures": labels(mcode, all_measures),
            "pdp_orientation": bools(pdp_main, legacy),
        })
        ex = np.flatnonzero(extra)
        orient = pa.table({
            "visit_id": self.take(self.visit_ids, ex),
            "conclusion": labels(np.full(len(ex), CC["ORIENTATION"]), CONCLUSIONS),
            "measures": pa.nulls(len(ex), pa.string()),
            "pdp_orientation": bools(rng.random(len(ex)) < 0.6, legacy[ex]),
        })
        return pa.concat_tables([main, orient]).sort_by([("visit_id", "ascending"),
                                                         ("conclusion", "ascending")])

    def diagnosis(self, v: dict[str, np.ndarray]) -> pa.Table:
        rng, w, sp = self.rng, self.w, self.sp
        m = len(v["worker"])
        wk, vt, cause = v["worker"], v["vtype"], v["cause"]
        c = w.spsti[wk]
        clinical = np.isin(vt, [VT["REPRISE"], VT["PREREPRISE"], VT["DEMANDE_SAL"],
                                VT["DEMANDE_EMP"], VT["DEMANDE_MT"]]) | (v["inapt"] == 1)
        want = (clinical | (rng.random(m) < 0.08)) & (cause != AC["MATERNITE"])
        coded = want & (rng.random(m) < sp.diag_completeness[c])
        chapters = list(P.ICD10_CODES)
        msk, ment, chr2 = w.msk[wk], w.mental[wk], w.chronic2[wk]
        inapt = v["inapt"] == 1
        wts = {
            "M": 0.3 + 4 * msk + 3 * (cause == AC["MP"]) + inapt * (1.0 + 3 * msk),
            "F": 0.2 + 4 * ment + inapt * (0.4 + 3 * ment),
            "I": 0.1 + 1.0 * chr2, "C": 0.05 + 0.5 * chr2, "G": np.full(m, 0.1),
            "S": 0.1 + 6 * (cause == AC["AT"]), "E": 0.05 + 1.0 * chr2, "J": 0.05 + 0.5 * chr2,
        }
        W = np.column_stack([wts[k] for k in chapters]).astype(float)
        cum = np.cumsum(W, axis=1)
        ch = (rng.random(m)[:, None] * cum[:, -1:] > cum).sum(axis=1)
        # mental diagnoses are under-recorded in some services (missing not at random)
        coded &= ~((ch == chapters.index("F")) & (rng.random(m) > sp.mental_coding[c]))
        flat = [code for k in chapters for code in P.ICD10_CODES[k]]
        offsets = np.cumsum([0] + [len(P.ICD10_CODES[k]) for k in chapters])[:-1]
        n_codes = np.array([len(P.ICD10_CODES[k]) for k in chapters])
        code = offsets[ch] + np.floor(rng.random(m) * n_codes[ch]).astype(np.int64)
        role = np.where(inapt, 2, 0)
        p_work = np.select([ch == chapters.index("S"), cause == AC["MP"], ch == chapters.index("M"),
                            ch == chapters.index("F")], [0.9, 1.0, 0.35, 0.3], 0.05)
        work = rng.random(m) < p_work
        work_null = rng.random(m) < (1 - sp.diag_completeness[c]) * 0.5
        sec = coded & chr2 & (rng.random(m) < 0.5)
        chronic = [flat.index(x) for x in P.CHRONIC_CODES]
        sec_code = np.array(chronic)[rng.integers(0, len(chronic), m)]
        sec &= sec_code != code
        rows = np.r_[np.flatnonzero(coded), np.flatnonzero(sec)]
        codes = np.r_[code[coded], sec_code[sec]]
        roles = np.r_[role[coded], np.ones(int(sec.sum()), dtype=np.int64)]
        wr = np.r_[work[coded], np.zeros(int(sec.sum()), dtype=bool)]
        wr_null = np.r_[work_null[coded], np.zeros(int(sec.sum()), dtype=bool)]
        legacy = self.legacy_w[wk[rows]]
        new = (~legacy) & (v["date"][rows] >= day("2024-01-01"))
        order = np.lexsort((codes, rows))
        t = pa.table({
            "visit_id": self.take(self.visit_ids, rows[order]),
            "icd10_code": labels(codes[order], flat),
            "icd10_system": labels(new[order].astype(np.int64),
                                   [SYSTEMS_LEGACY["icd10"], SYSTEMS_CURRENT["icd10"]]),
            "role": labels(roles[order], ["PRINCIPAL", "SECONDAIRE", "INAPTITUDE"]),
            "work_related": bools(wr[order], wr_null[order]),
        })
        return t

    def questionnaire(self, v: dict[str, np.ndarray]) -> pa.Table:
        rng, w, sp = self.rng, self.w, self.sp
        m = len(v["worker"])
        wk, vt = v["worker"], v["vtype"]
        c = w.spsti[wk]
        was = w.was[wk]
        low = w.low_work_ability[wk]
        not_hire = ~np.isin(vt, [VT["VIP_INIT"], VT["SIR_EMB"]])
        # the single-item WAS is answered less often by workers with low work ability (MNAR)
        ask_was = not_hire & (rng.random(m) < sp.questionnaire_rate[c] * np.where(low, 0.6, 1.0))
        parts: list[tuple[np.ndarray, str, np.ndarray, np.ndarray]] = []
        r = np.flatnonzero(ask_was)
        parts.append((r, "WAS", np.full(len(r), 1),
                      np.clip(was[r] + np.round(rng.normal(0, 0.7, len(r))), 0, 10)))
        legacy = self.legacy_w[wk]
        wai = sp.uses_wai[c] & np.isin(vt, [VT["MI_CARRIERE"], VT["VIP_PER"], VT["SIR_PER"]]) & (
            rng.random(m) < 0.5)
        parts.extend(self._wai(np.flatnonzero(wai), wk))
        msk = w.msk[wk] | (v["leave_msk"] == 1)
        omp = sp.uses_ompsq[c] & np.isin(vt, [VT["REPRISE"], VT["PREREPRISE"]]) & msk & (
            rng.random(m) < 0.6)
        r = np.flatnonzero(omp)
        for item in range(1, 11):
            base = 2.5 + 2.5 * w.msk[wk[r]] + 2.0 * low[r] + rng.normal(0, 1.8, len(r))
            parts.append((r, "OMPSQ_SF", np.full(len(r), item), np.clip(np.round(base), 0, 10)))
        q4 = (~legacy) & (vt == VT["MI_CARRIERE"]) & (rng.random(m) < 0.8)
        r = np.flatnonzero(q4)
        cond = w.any_condition[wk[r]]
        for item in range(1, 5):
            u = rng.random(len(r))
            val = np.where(u < 0.15 + 0.35 * cond + 0.2 * low[r], 2, np.where(u < 0.6, 1, 0))
            parts.append((r, "Q4", np.full(len(r), item), val))
        rows = np.concatenate([p[0] for p in parts])
        inst = np.concatenate([np.full(len(p[0]), ("WAI", "WAS", "OMPSQ_SF", "Q4").index(p[1]))
                               for p in parts])
        item = np.concatenate([p[2] for p in parts])
        value = np.concatenate([np.asarray(p[3], dtype=float) for p in parts])
        order = np.lexsort((item, inst, rows))
        return pa.table({
            "visit_id": self.take(self.visit_ids, rows[order]),
            "instrument": labels(inst[order], ["WAI", "WAS", "OMPSQ_SF", "Q4"]),
            "item": labels(item[order] - 1, [str(i) for i in range(1, 11)]),
            "value": pa.array(value[order], pa.float64()),
        })

    def _wai(self, r: np.ndarray, wk: np.ndarray) -> list[tuple[np.ndarray, str, np.ndarray,
                                                               np.ndarray]]:
        rng, w = self.rng, self.w
        was = w.was[wk[r]].astype(float)
        n = len(r)
        nd = w.msk[wk[r]] + w.mental[wk[r]] + 2 * w.chronic2[wk[r]]
        items = {
            1: np.clip(was + np.round(rng.normal(0, 0.7, n)), 0, 10),
            2: np.clip(np.round(2 * (2 + 0.8 * was + rng.normal(0, 0.8, n))) / 2, 2, 10),
            3: np.clip(7 - nd - (rng.random(n) < 0.2), 1, 7),
            4: np.clip(np.round(1 + 0.5 * was + rng.normal(0, 0.6, n)), 1, 6),
            5: np.clip(np.round(5 - 0.25 * (10 - was) + rng.normal(0, 0.6, n)), 1, 5),
            6: np.where(was <= 4, 1, np.where(was <= 6, 4, 7)),
            7: np.clip(np.round(1 + 0.3 * was + rng.normal(0, 0.5, n)), 1, 4),
        }
        return [(r, "WAI", np.full(n, k), v) for k, v in items.items()]
