"""Leak-proof property: records dated after the index date never change any feature.

For random extracts (every table, every feature group) and one index date per worker, we
add, delete or alter records dated after the worker's index date — visits with their
conclusions, diagnoses and questionnaires, exposures and employments starting later, RQTH
granted later, exits —
and check that every one of the registered features is unchanged, value for value.
A run with 40 examples passed, and the test fails when a group is made to read 1 day
(questionnaires), 5 days (exposures), 30 days (visits) or 400 days (RQTH) past the index
date. The suite runs 12 examples (about 1 s each).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from irdp.features import build_features
from irdp.io import Extract

BASE = np.datetime64("2015-01-01")
TYPES = ["VIP_INIT", "VIP_PER", "SIR_PER", "PREREPRISE", "REPRISE", "MI_CARRIERE",
         "DEMANDE_SAL", "DEMANDE_EMP", "DEMANDE_MT"]
CONCL = ["APTE", "AMENAGEMENT", "INAPTE", "ORIENTATION", "ATTESTATION"]
CODES = ["M54.5", "F32.1", "I10", "C50.9", "G35", "E11.9", "J45", "M17.0"]
TEP = ["B0001", "C0002", "P0003", "O0004", "G0005"]
INSTR = {"WAI": 7, "WAS": 1, "OMPSQ_SF": 10, "Q4": 4}


class _Gen:
    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.k = 0

    def uid(self, prefix: str) -> str:
        self.k += 1
        return f"{prefix}{self.k}"

    def day(self, lo: int, hi: int) -> str:
        return str(BASE + int(self.rng.integers(lo, hi)))

    def visit(self, worker: str, date: str) -> dict[str, list[dict]]:
        rng = self.rng
        vid = self.uid("v")
        vtype = str(rng.choice(TYPES))
        out: dict[str, list[dict]] = {"visit": [{
            "visit_id": vid, "worker_id": worker, "visit_date": date, "visit_type": vtype,
            "visit_type_system": "PRESANSE-TV-2022",
            "professional": str(rng.choice(["MT", "IST", "IPA"])),
            "absence_days": int(rng.integers(10, 300)) if vtype == "REPRISE" else None,
            "absence_cause": str(rng.choice(["MALADIE", "AT", "MP", "MATERNITE"]))
            if vtype == "REPRISE" else None}],
            "conclusion": [], "diagnosis": [], "questionnaire": []}
        if rng.random() < 0.9:
            out["conclusion"].append({
                "visit_id": vid, "conclusion": str(rng.choice(CONCL)),
                "measures": str(rng.choice(["POSTE", "TPT;RESTRICTION", "RECLASSEMENT"]))
                if rng.random() < 0.3 else None,
                "pdp_orientation": bool(rng.random() < 0.2)})
        for code in rng.choice(CODES, size=int(rng.integers(0, 3)), replace=False):
            out["diagnosis"].append({"visit_id": vid, "icd10_code": str(code),
                                     "icd10_system": "CIM-10-FR-2024", "role": "SECONDAIRE",
                                     "work_related": bool(rng.random() < 0.3)})
        for instr, n in INSTR.items():
            if rng.random() < 0.3:
                items = range(1, n + 1) if rng.random() < 0.8 else range(1, n)
                out["questionnaire"] += [{"visit_id": vid, "instrument": instr,
                                          "item": str(i), "value": float(rng.integers(0, 8))}
                                         for i in items]
        return out


def _frames(seed: int, n_workers: int = 8):
    rng = np.random.default_rng(seed)
    g = _Gen(rng)
    workers = [f"w{k}" for k in range(n_workers)]
    index = {w: g.day(1500, 3000) for w in workers}
    tabs: dict[str, list[dict]] = {t: [] for t in ("visit", "conclusion", "diagnosis",
                                                   "questionnaire")}
    for w in workers:
        for _ in range(int(rng.integers(0, 10))):
            for t, rows in g.visit(w, g.day(0, 3650)).items():
                tabs[t] += rows
        if rng.random() < 0.5:  # an index visit on the index date
            for t, rows in g.visit(w, index[w]).items():
                tabs[t] += rows
        if rng.random() < 0.5:  # a visit shortly after the index date
            later = str(np.datetime64(index[w]) + int(rng.integers(1, 60)))
            for t, rows in g.visit(w, later).items():
                tabs[t] += rows
    emp = [{"employment_id": g.uid("e"), "worker_id": w,
            "company_id": str(rng.choice(["c1", "c2"])),
            "start_date": g.day(-2000, 3000),
            "end_date": None if rng.random() < 0.5 else g.day(3000, 3650),
            "contract": str(rng.choice(["CDI", "CDD", "INTERIM"])), "job_code": "621a",
            "job_system": "PCS-ESE-2017", "followup_type": str(rng.choice(["SIG", "SIR"]))}
           for w in workers for _ in range(int(rng.integers(1, 3)))]
    exp = [{"exposure_id": g.uid("x"), "worker_id": w, "tep_code": str(rng.choice(TEP)),
            "tep_system": "TEP-2024",
            "start_date": g.day(-1000, 3000),
            "end_date": None if rng.random() < 0.5 else g.day(3000, 3650),
            "intensity": int(rng.integers(1, 4))}
           for w in workers for _ in range(int(rng.integers(0, 3)))]
    frames = {
        "worker": pd.DataFrame({
            "worker_id": workers, "spsti_id": "S1", "sex": rng.choice(["F", "M"], n_workers),
            "birth_year": rng.integers(1960, 1995, n_workers),
            "rqth": rng.random(n_workers) < 0.5,
            "rqth_date": [str(np.datetime64(index[w]) + int(rng.integers(-500, 500)))
                          for w in workers],
            "education_level": "bac"}),
        "company": pd.DataFrame({"company_id": ["c1", "c2"], "naf_code": ["47.11F", "86.10Z"],
                                 "naf_system": "NAF-2008", "size_band": ["0-9", "250+"]}),
        "employment": pd.DataFrame(emp),
        "exposure": pd.DataFrame(exp, columns=["exposure_id", "worker_id", "tep_code",
                                               "tep_system", "start_date", "end_date",
                                               "intensity"]),
        "exit": pd.DataFrame({"worker_id": workers[:2], "exit_date": g.day(3000, 3650),
                              "exit_reason": "RETRAITE"}),
    }
    cols = {"visit": ["visit_id", "worker_id", "visit_date", "visit_type", "visit_type_system",
                      "professional",
                      "absence_days", "absence_cause"],
            "conclusion": ["visit_id", "conclusion", "measures", "pdp_orientation"],
            "diagnosis": ["visit_id", "icd10_code", "icd10_system", "role", "work_related"],
            "questionnaire": ["visit_id", "instrument", "item", "value"]}
    for t, rows in tabs.items():
        frames[t] = pd.DataFrame(rows, columns=cols[t])
    frames["visit"]["absence_days"] = frames["visit"]["absence_days"].astype("Int64")
    index_visit = {}
    for w in workers:
        v = frames["visit"]
        hit = v[(v["worker_id"] == w) & (v["visit_date"] == index[w])]["visit_id"]
        index_visit[w] = hit.iloc[0] if len(hit) else None
    cohort = pd.DataFrame({"worker_id": workers, "index_date": [index[w] for w in workers],
                           "index_visit_id": [index_visit[w] for w in workers]})
    return frames, cohort, g, index


def _after(frame: pd.DataFrame, col: str, index: dict[str, str]) -> np.ndarray:
    ref = frame["worker_id"].map(index)
    return (pd.to_datetime(frame[col]) > pd.to_datetime(ref)).to_numpy(bool)


def _later_date(g: _Gen, ref: str) -> str:
    """A date after ``ref``, often just after it (where an off-by-a-few-days leak shows)."""
    r = g.rng.random()
    shift = 1 if r < 0.3 else int(g.rng.integers(2, 60)) if r < 0.7 else int(
        g.rng.integers(60, 900))
    return str(np.datetime64(ref) + shift)


def _perturb(frames, g: _Gen, index: dict[str, str], n_ops: int):  # noqa: C901
    f = {k: v.copy() for k, v in frames.items()}
    rng = g.rng
    workers = list(index)
    for _ in range(n_ops):
        op = int(rng.integers(0, 8))
        v = f["visit"]
        post = v.loc[_after(v, "visit_date", index), "visit_id"].tolist()
        if op == 0 and post:  # delete a later visit and its children
            vid = str(rng.choice(post))
            for t in ("visit", "conclusion", "diagnosis", "questionnaire"):
                f[t] = f[t][f[t]["visit_id"] != vid]
        elif op == 1 and post:  # alter a later visit (still after the index)
            vid = str(rng.choice(post))
            i = f["visit"].index[f["visit"]["visit_id"] == vid][0]
            w = f["visit"].at[i, "worker_id"]
            f["visit"].loc[i, ["visit_date", "visit_type", "professional"]] = [
                _later_date(g, index[w]), str(rng.choice(TYPES)), "IPA"]
            f["visit"].loc[i, "absence_days"] = int(rng.integers(1, 400))
        elif op == 2:  # add a later visit with children
            w = str(rng.choice(workers))
            for t, rows in g.visit(w, _later_date(g, index[w])).items():
                if rows:
                    f[t] = pd.concat([f[t], pd.DataFrame(rows)], ignore_index=True)
        elif op == 3 and post:  # alter children of a later visit
            vid = str(rng.choice(post))
            c = f["conclusion"]
            c.loc[c["visit_id"] == vid, "conclusion"] = "AMENAGEMENT"
            c.loc[c["visit_id"] == vid, "pdp_orientation"] = True
            d = f["diagnosis"]
            d.loc[d["visit_id"] == vid, "icd10_code"] = "F41.1"
            q = f["questionnaire"]
            q.loc[q["visit_id"] == vid, "value"] = 0.0
        elif op == 4:  # exposures starting later: add, alter, delete
            x = f["exposure"]
            later = _after(x, "start_date", index) if len(x) else np.zeros(0, bool)
            if later.any() and rng.random() < 0.5:
                f["exposure"] = x[~(later & (rng.random(len(x)) < 0.5))]
            else:
                w = str(rng.choice(workers))
                f["exposure"] = pd.concat([x, pd.DataFrame([{
                    "exposure_id": g.uid("x"), "worker_id": w, "tep_code": str(rng.choice(TEP)),
                    "start_date": _later_date(g, index[w]), "end_date": None,
                    "intensity": 3}])], ignore_index=True)
        elif op == 5:  # employments starting later
            e = f["employment"]
            later = _after(e, "start_date", index)
            if later.any() and rng.random() < 0.5:
                f["employment"] = e[~later]
            else:
                w = str(rng.choice(workers))
                f["employment"] = pd.concat([e, pd.DataFrame([{
                    "employment_id": g.uid("e"), "worker_id": w, "company_id": "c2",
                    "start_date": _later_date(g, index[w]), "end_date": None,
                    "contract": "INTERIM", "job_code": "389b", "job_system": "PCS-2020",
                    "followup_type": "SIA"}])], ignore_index=True)
        elif op == 6:  # an RQTH granted after the index: re-dated (still later) or removed
            wk = f["worker"]
            later = (wk["rqth"] & _after(wk, "rqth_date", index)).to_numpy(bool)
            if later.any():
                i = wk.index[int(rng.choice(np.flatnonzero(later)))]
                if rng.random() < 0.5:
                    wk.loc[i, "rqth_date"] = _later_date(g, index[wk.at[i, "worker_id"]])
                else:
                    wk.loc[i, ["rqth", "rqth_date"]] = [False, None]
        else:  # exits after the index
            w = str(rng.choice(workers))
            f["exit"] = pd.concat([f["exit"], pd.DataFrame([{
                "worker_id": w, "exit_date": _later_date(g, index[w]),
                "exit_reason": "DECES"}])], ignore_index=True)
    return f


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_ops=st.integers(1, 8))
def test_records_after_index_never_change_features(seed, n_ops):
    frames, cohort, g, index = _frames(seed)
    before = build_features(Extract.from_frames(frames), cohort)
    after = build_features(Extract.from_frames(_perturb(frames, g, index, n_ops)), cohort)
    pd.testing.assert_frame_equal(before, after)


def test_records_before_index_do_change_features():
    # the property above is not vacuous: moving a later visit before the index changes
    # features (here a later reprise visit becomes an earlier one)
    frames, cohort, g, index = _frames(7)
    v = frames["visit"]
    post = np.flatnonzero(_after(v, "visit_date", index))
    assert len(post) > 0
    i = v.index[post[0]]
    w = v.at[i, "worker_id"]
    v.loc[i, ["visit_date", "visit_type"]] = [str(np.datetime64(index[w]) - 10), "REPRISE"]
    v.loc[i, "absence_days"] = 50
    before = build_features(Extract.from_frames(_frames(7)[0]), cohort)
    after = build_features(Extract.from_frames(frames), cohort)
    assert not before.equals(after)
