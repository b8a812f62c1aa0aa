"""A tiny hand-written DMST extract whose cohort and features are computed by hand.

Shared by tests/cohort and tests/features. Every worker illustrates one rule; the expected
values are written in the tests next to the arithmetic that gives them.

Workers (extract end 2024-12-31, index = every MI_CARRIERE or REPRISE visit from 2019-01-01):

- w1  S1  two index events (REPRISE 2019-10-01, MI_CARRIERE 2020-03-02); rich history;
      INAPTE on 2020-09-01 -> cause 1.
- w2  S1  MI_CARRIERE 2020-06-15; retirement exit 2021-01-31 -> cause 2, time 230;
      nothing else recorded (missing-data rules).
- w3  S2  INAPTE at the index visit 2021-01-10 -> excluded (outcome on the index date).
- w4  S1  exit (change of SPSTI) on the index day 2019-05-01 -> excluded.
- w5  S2  MI_CARRIERE 2022-03-01; change of SPSTI 2022-08-01 -> censored, time 153.
- w6  S1  employment ended 2019-12-31, index 2020-02-01 -> excluded (no employment).
- w7  S2  MI_CARRIERE 2023-06-01; INAPTE on 2024-05-31 = day 365 = horizon -> event.
- w8  S1  MI_CARRIERE 2024-01-01; nothing until the extract end 2024-12-31 = day 365 ->
      censored on the horizon day (status unknown at the horizon).
- w9  S1  INAPTE 2018-01-02 before the index 2020-01-15 -> excluded (prior outcome).
- w10 S2  born 1940, index 2020-05-05 -> excluded (age 80 > 67).
- w11 S1  MI_CARRIERE 2020-11-02; INAPTE and AUTRE_PERTE_EMPLOI exit both on 2021-02-01
      -> cause 1 (outcome wins ties), time 91.
- w12 S2  MI_CARRIERE 2020-04-01; death 2020-10-01 -> cause 3, time 183.
- w13 S1  MI_CARRIERE on the extract end 2024-12-31 -> excluded (no follow-up).
- w14 S2  MI_CARRIERE 2024-03-01; INAPTE 2025-02-01 after the extract end -> censored at
      the extract end, time 305.
- w99     visit of a worker absent from the worker table -> excluded.
"""

from __future__ import annotations

import pandas as pd

from irdp.io import Extract

EXTRACT_END = "2024-12-31"


def _visits() -> pd.DataFrame:
    rows = [
        # visit_id, worker, date, type, professional, absence_days, absence_cause
        ("v1a", "w1", "2015-01-10", "VIP_INIT", "IST", None, None),
        ("v1b", "w1", "2018-07-15", "PREREPRISE", "MT", None, None),
        ("v1c", "w1", "2018-09-01", "REPRISE", "MT", 120, "MALADIE"),
        ("v1d", "w1", "2019-10-01", "REPRISE", "IST", 45, "AT"),
        ("v1e", "w1", "2019-12-01", "DEMANDE_SAL", "IPA", None, None),
        ("v1f", "w1", "2020-03-02", "MI_CARRIERE", "MT", None, None),
        ("v1g", "w1", "2020-09-01", "DEMANDE_SAL", "MT", None, None),
        ("v1h", "w1", "2021-03-01", "REPRISE", "MT", 200, "MP"),
        ("v2a", "w2", "2020-06-15", "MI_CARRIERE", "IPA", None, None),
        ("v3a", "w3", "2021-01-10", "MI_CARRIERE", "MT", None, None),
        ("v4a", "w4", "2019-05-01", "MI_CARRIERE", "MT", None, None),
        ("v5a", "w5", "2022-03-01", "MI_CARRIERE", "MT", None, None),
        ("v6a", "w6", "2020-02-01", "MI_CARRIERE", "MT", None, None),
        ("v7a", "w7", "2023-06-01", "MI_CARRIERE", "MT", None, None),
        ("v7b", "w7", "2024-05-31", "DEMANDE_EMP", "MT", None, None),
        ("v8a", "w8", "2024-01-01", "MI_CARRIERE", "MT", None, None),
        ("v9a", "w9", "2018-01-02", "DEMANDE_MT", "MT", None, None),
        ("v9b", "w9", "2020-01-15", "MI_CARRIERE", "MT", None, None),
        ("v10a", "w10", "2020-05-05", "MI_CARRIERE", "MT", None, None),
        ("v11a", "w11", "2020-11-02", "MI_CARRIERE", "MT", None, None),
        ("v11b", "w11", "2021-02-01", "DEMANDE_EMP", "MT", None, None),
        ("v12a", "w12", "2020-04-01", "MI_CARRIERE", "MT", None, None),
        ("v13a", "w13", "2024-12-31", "MI_CARRIERE", "MT", None, None),
        ("v14a", "w14", "2024-03-01", "MI_CARRIERE", "MT", None, None),
        ("v14b", "w14", "2025-02-01", "DEMANDE_SAL", "MT", None, None),
        ("v99a", "w99", "2020-01-01", "MI_CARRIERE", "MT", None, None),
    ]
    cols = ["visit_id", "worker_id", "visit_date", "visit_type", "professional",
            "absence_days", "absence_cause"]
    df = pd.DataFrame(rows, columns=cols)
    df["absence_days"] = df["absence_days"].astype("Int64")
    df["employment_id"] = None
    df["visit_type_system"] = "PRESANSE-TV-2022"
    return df


def tiny_frames() -> dict[str, pd.DataFrame]:
    """The tables of the tiny extract as DataFrames (copy them before editing)."""
    worker = pd.DataFrame({
        "worker_id": [f"w{k}" for k in range(1, 15)],
        "spsti_id": ["S1", "S1", "S2", "S1", "S2", "S1", "S2", "S1", "S1", "S2", "S1", "S2",
                     "S1", "S2"],
        "sex": ["F", "M", "F", "M", "F", "M", "M", "F", "F", "M", "F", "M", "F", "M"],
        "birth_year": [1975, 1960, 1980, 1990, 1972, 1970, 1974, 1976, 1978, 1940, 1973, 1965,
                       1980, 1985],
        "rqth": [True, None, False, False, False, False, False, False, False, False, False,
                 False, False, False],
        "rqth_date": ["2018-06-01"] + [None] * 13,
        "invalidity_category": pd.array([0, None] + [0] * 12, dtype="Int64"),
        "education_level": ["bac", None] + ["infra_bac"] * 12,
    })
    company = pd.DataFrame({
        "company_id": ["c1", "c2"],
        "naf_code": ["47.11F", "86.10Z"],
        "naf_system": ["NAF-2008", "NAF-2008"],
        "size_band": ["10-49", "250+"],
        "department": ["49", "75"],
    })
    emp = [("e1", "w1", "c1", "2010-01-01", None, "CDI", "621a", "PCS-ESE-2017", "SIR", None)]
    for k in range(2, 15):
        end, reason = (("2019-12-31", "DEMISSION") if k == 6 else (None, None))
        emp.append((f"e{k}", f"w{k}", "c2", "2005-01-01", end, "CDD", "389b",
                    "PCS-ESE-2017", "SIG", reason))
    employment = pd.DataFrame(emp, columns=[
        "employment_id", "worker_id", "company_id", "start_date", "end_date", "contract",
        "job_code", "job_system", "followup_type", "end_reason"])
    conclusion = pd.DataFrame([
        ("v1a", "ATTESTATION", None, None),
        ("v1c", "AMENAGEMENT", "POSTE;TPT", True),
        ("v1d", "APTE", None, False),
        ("v1e", "ORIENTATION", None, None),
        ("v1f", "APTE", None, None),
        ("v1g", "INAPTE", None, None),
        ("v1h", "APTE", None, None),
        ("v2a", "APTE", None, None),
        ("v3a", "INAPTE", None, None),
        ("v4a", "APTE", None, None),
        ("v5a", "APTE", None, None),
        ("v6a", "APTE", None, None),
        ("v7a", "APTE", None, None),
        ("v7b", "INAPTE_DISPENSE", None, None),
        ("v8a", "APTE", None, None),
        ("v9a", "INAPTE", None, None),
        ("v9b", "APTE", None, None),
        ("v10a", "APTE", None, None),
        ("v11a", "APTE", None, None),
        ("v11b", "INAPTE", None, None),
        ("v12a", "APTE", None, None),
        ("v13a", "APTE", None, None),
        ("v14a", "APTE", None, None),
        ("v14b", "INAPTE", None, None),
        ("v99a", "APTE", None, None),
    ], columns=["visit_id", "conclusion", "measures", "pdp_orientation"])
    diagnosis = pd.DataFrame([
        ("v1c", "M54.5", "CIM-10-FR-2019", "PRINCIPAL", False),
        ("v1c", "F32.1", "CIM-10-FR-2019", "SECONDAIRE", None),
        ("v1f", "I10", "CIM-10-FR-2019", "PRINCIPAL", False),  # at the index visit: unused
        ("v1g", "C50.9", "CIM-10-FR-2019", "INAPTITUDE", False),  # after the index
    ], columns=["visit_id", "icd10_code", "icd10_system", "role", "work_related"])
    exposure = pd.DataFrame([
        ("x1", "w1", "B0001", "TEP-2018", "2010-01-01", "2015-12-31", 2),
        ("x2", "w1", "O1234", "TEP-2018", "2016-01-01", None, 3),
        ("x3", "w1", "C0002", "TEP-2018", "2021-01-01", None, 1),  # after the index
    ], columns=["exposure_id", "worker_id", "tep_code", "tep_system", "start_date", "end_date",
                "intensity"])
    q = []
    for k, val in enumerate([9, 9, 6, 6, 5, 7, 4], start=1):  # old complete WAI (46)
        q.append(("v1a", "WAI", str(k), val))
    for k, val in enumerate([5, 5, 5, 5, 5], start=1):  # incomplete WAI: skipped
        q.append(("v1e", "WAI", str(k), val))
    for k, val in enumerate([5, 6, 3, 2, 7, 8, 6, 4, 9, 8], start=1):  # ÖMPSQ-SF
        q.append(("v1e", "OMPSQ_SF", str(k), val))
    for k, val in enumerate([7, 8, 5, 5, 4, 4, 3], start=1):  # WAI at the index visit (36)
        q.append(("v1f", "WAI", str(k), val))
    for k, val in enumerate([1, 2, 0, 1], start=1):  # Q4 at the index visit (4)
        q.append(("v1f", "Q4", str(k), val))
    for k, val in enumerate([2, 2, 2, 2, 2, 1, 1], start=1):  # after the index: unused
        q.append(("v1g", "WAI", str(k), val))
    questionnaire = pd.DataFrame(q, columns=["visit_id", "instrument", "item", "value"])
    exit_ = pd.DataFrame([
        ("w2", "2021-01-31", "RETRAITE"),
        ("w4", "2019-05-01", "CHANGEMENT_SPSTI"),
        ("w5", "2022-08-01", "CHANGEMENT_SPSTI"),
        ("w11", "2021-02-01", "AUTRE_PERTE_EMPLOI"),
        ("w12", "2020-10-01", "DECES"),
    ], columns=["worker_id", "exit_date", "exit_reason"])
    return {"worker": worker, "company": company, "employment": employment,
            "visit": _visits(), "conclusion": conclusion, "diagnosis": diagnosis,
            "exposure": exposure, "questionnaire": questionnaire, "exit": exit_}


def tiny_extract(frames: dict[str, pd.DataFrame] | None = None) -> Extract:
    """The tiny extract (or ``frames`` edited from :func:`tiny_frames`)."""
    return Extract.from_frames(frames if frames is not None else tiny_frames())


DEFINITION = {
    "name": "tiny",
    "index": {"kind": "visit", "visit_types": ["MI_CARRIERE", "REPRISE"],
              "start": "2019-01-01"},
    "extract_end": EXTRACT_END,
    "eligibility": {"age_min": 18, "age_max": 67},
    "horizon": {"months": 12},
}
