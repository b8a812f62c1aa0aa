"""build_cohort on the tiny hand-written extract: rows, outcomes, horizon edges, flow table."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from irdp.cohort import Cohort, CohortDefinition, build_cohort
from irdp.exceptions import ExtractError, IrdpWarning
from irdp.io import Extract
from irdp.outcomes import Binary, CompetingRisks, Survival
from tests.cohort.tiny_dmst import DEFINITION, tiny_extract, tiny_frames


def _days(a: str, b: str) -> float:
    return float((dt.date.fromisoformat(b) - dt.date.fromisoformat(a)).days)


@pytest.fixture(scope="module")
def cohort() -> Cohort:
    return build_cohort(tiny_extract(), CohortDefinition.from_dict(DEFINITION))


def _row(cohort: Cohort, worker: str, index_date: str) -> pd.Series:
    t = cohort.table
    hit = t[(t["worker_id"] == worker) & (t["index_date"] == pd.Timestamp(index_date))]
    assert len(hit) == 1, (worker, index_date)
    return hit.iloc[0]


def test_rows_and_outcomes_hand_computed(cohort):
    # (worker, index date) -> (time in days, cause); arithmetic in tiny_dmst.py
    expected = {
        ("w1", "2019-10-01"): (_days("2019-10-01", "2020-09-01"), 1),  # 336
        ("w1", "2020-03-02"): (183.0, 1),
        ("w2", "2020-06-15"): (230.0, 2),  # retirement
        ("w5", "2022-03-01"): (153.0, 0),  # change of SPSTI censors
        ("w7", "2023-06-01"): (365.0, 1),  # event on the horizon day
        ("w8", "2024-01-01"): (365.0, 0),  # extract end on the horizon day
        ("w11", "2020-11-02"): (91.0, 1),  # inaptitude and job loss the same day
        ("w12", "2020-04-01"): (183.0, 3),  # death
        ("w14", "2024-03-01"): (305.0, 0),  # outcome after the extract end is ignored
    }
    assert len(cohort) == len(expected)
    assert _days("2019-10-01", "2020-09-01") == 336.0
    for (w, d), (time, cause) in expected.items():
        r = _row(cohort, w, d)
        assert r["time"] == time, (w, d)
        assert r["cause"] == cause, (w, d)
        assert r["event"] == (cause == 1)
    assert _row(cohort, "w1", "2020-03-02")["index_visit_id"] == "v1f"
    assert _row(cohort, "w2", "2020-06-15")["spsti_id"] == "S1"
    assert _row(cohort, "w2", "2020-06-15")["age"] == 60
    assert _row(cohort, "w2", "2020-06-15")["end_date"] == pd.Timestamp("2021-01-31")


def test_horizon_edges(cohort):
    h = cohort.horizon_days
    assert h == 365
    w7 = _row(cohort, "w7", "2023-06-01")  # event exactly on day 365: counts
    assert w7["known_at_horizon"]
    assert w7["event_at_horizon"]
    w8 = _row(cohort, "w8", "2024-01-01")  # censored on day 365: followed through it, known 0
    assert w8["known_at_horizon"]
    assert not w8["event_at_horizon"]
    w2 = _row(cohort, "w2", "2020-06-15")  # competing event before the horizon: known 0
    assert w2["known_at_horizon"]
    assert not w2["event_at_horizon"]
    w5 = _row(cohort, "w5", "2022-03-01")  # censored before the horizon: unknown
    assert not w5["known_at_horizon"]


def test_outcome_containers(cohort):
    cr = cohort.competing_risks
    assert isinstance(cr, CompetingRisks)
    assert cr.n_events == 4
    assert cr.n_competing == 2
    assert cr.causes == (1, 2, 3)
    s = cohort.survival
    assert isinstance(s, Survival)
    np.testing.assert_array_equal(s.event, cohort.table["cause"].to_numpy() == 1)
    b = cohort.binary
    assert isinstance(b, Binary)
    known = cohort.table["known_at_horizon"].to_numpy()
    assert len(b) == known.sum() == 7
    assert b.index.tolist() == cohort.table.index[known].tolist()
    assert b.y.tolist() == cohort.table.loc[known, "event_at_horizon"].astype(int).tolist()
    assert b.horizon == 365


def test_binary_nonevent_rule_warns():
    d = dict(DEFINITION, horizon={"months": 12, "binary_censored": "nonevent"})
    c = build_cohort(tiny_extract(), CohortDefinition.from_dict(d))
    with pytest.warns(IrdpWarning, match="2 rows censored before the horizon"):
        b = c.binary
    assert len(b) == len(c)
    assert b.n_events == 4


def test_flow_table_reasons_and_totals(cohort):
    f = cohort.flow
    excluded = dict(zip(f["criterion"], f["excluded_index_events"], strict=True))
    assert excluded["worker missing from the worker table"] == 1  # w99
    assert excluded["no follow-up: index date on or after the extract end"] == 1  # w13
    assert excluded["left follow-up (exit) on or before the index date"] == 1  # w4
    assert excluded["age at index outside [18, 67] or unknown"] == 1  # w10
    assert excluded["no employment active on the index date"] == 1  # w6
    assert excluded["outcome before the index date"] == 2  # w9, w1 on 2021-03-01
    assert excluded["outcome on the index date"] == 1  # w3
    _assert_flow_adds_up(cohort)
    # w1 lost one of its three index events but stays: no worker excluded for it
    row = f[f["criterion"] == "outcome before the index date"].iloc[0]
    assert row["excluded_workers"] == 1


def _assert_flow_adds_up(cohort: Cohort) -> None:
    f = cohort.flow
    ev, wk = f["n_index_events"].to_numpy(), f["n_workers"].to_numpy()
    np.testing.assert_array_equal(ev[1:], ev[:-1] - f["excluded_index_events"].to_numpy()[1:])
    np.testing.assert_array_equal(wk[1:], wk[:-1] - f["excluded_workers"].to_numpy()[1:])
    assert ev[-1] == len(cohort.table)
    assert wk[-1] == cohort.table["worker_id"].nunique()
    assert f["step"].tolist() == list(range(len(f)))


def test_outcome_on_index_date_as_event():
    d = dict(DEFINITION, outcome={"on_index_date": "event"})
    c = build_cohort(tiny_extract(), CohortDefinition.from_dict(d))
    r = _row(c, "w3", "2021-01-10")
    assert r["time"] == 0.0
    assert r["cause"] == 1
    assert "outcome on the index date" not in set(c.flow["criterion"])
    _assert_flow_adds_up(c)


def test_composite_dismissal_and_unexplained_exit():
    frames = tiny_frames()
    frames["exit"] = pd.concat([frames["exit"], pd.DataFrame({
        "worker_id": ["w8", "w14"], "exit_date": ["2024-06-01", "2024-05-01"],
        "exit_reason": ["LICENCIEMENT_INAPTITUDE", "FIN_SUIVI"]})], ignore_index=True)
    plain = build_cohort(tiny_extract(frames), CohortDefinition.from_dict(DEFINITION))
    # without composites both exits censor
    assert _row(plain, "w8", "2024-01-01")["cause"] == 0
    assert _row(plain, "w8", "2024-01-01")["time"] == _days("2024-01-01", "2024-06-01")
    assert _row(plain, "w14", "2024-03-01")["cause"] == 0
    d = dict(DEFINITION, outcome={"composite_dismissal": True,
                                  "composite_unexplained_exit": True})
    comp = build_cohort(tiny_extract(frames), CohortDefinition.from_dict(d))
    assert _row(comp, "w8", "2024-01-01")["cause"] == 1
    assert _row(comp, "w14", "2024-03-01")["cause"] == 1
    assert _row(comp, "w14", "2024-03-01")["time"] == _days("2024-03-01", "2024-05-01")


def test_competing_list_controls_causes():
    d = dict(DEFINITION, competing=["DECES"])
    c = build_cohort(tiny_extract(), CohortDefinition.from_dict(d))
    assert _row(c, "w2", "2020-06-15")["cause"] == 0  # retirement now censors
    assert _row(c, "w2", "2020-06-15")["time"] == 230.0
    assert _row(c, "w12", "2020-04-01")["cause"] == 3


def test_landmark_and_first_visit_and_filters():
    land = dict(DEFINITION, index={"kind": "landmark", "date": "2020-07-01"},
                eligibility={"spsti": ["S1"]})
    c = build_cohort(tiny_extract(), CohortDefinition.from_dict(land))
    assert (c.table["index_date"] == pd.Timestamp("2020-07-01")).all()
    assert set(c.table["spsti_id"]) == {"S1"}
    assert c.table["index_visit_id"].isna().all()
    # w1 had its inaptitude on 2020-09-01 -> 62 days after the landmark
    assert _row(c, "w1", "2020-07-01")["time"] == 62.0
    assert "w9" not in set(c.table["worker_id"])  # prior inaptitude
    _assert_flow_adds_up(c)
    first = dict(DEFINITION, index={"kind": "first_visit", "visit_types": [],
                                    "start": "2019-01-01"})
    c2 = build_cohort(tiny_extract(), CohortDefinition.from_dict(first))
    assert c2.table["worker_id"].is_unique
    assert _row(c2, "w1", "2019-10-01")["index_visit_type"] == "REPRISE"
    ft = dict(DEFINITION, eligibility={"followup_types": ["SIR"]})
    c3 = build_cohort(tiny_extract(), CohortDefinition.from_dict(ft))
    assert set(c3.table["worker_id"]) == {"w1"}


def test_missing_tables_and_columns():
    frames = tiny_frames()
    del frames["conclusion"]
    with pytest.raises(ExtractError, match="conclusion"):
        build_cohort(Extract.from_frames(frames), CohortDefinition.from_dict(DEFINITION))
    frames = tiny_frames()
    frames["visit"] = frames["visit"].drop(columns="visit_type")
    with pytest.raises(ExtractError, match="visit_type"):
        build_cohort(Extract.from_frames(frames), CohortDefinition.from_dict(DEFINITION))
    # optional tables may be absent: no exit table means nobody exits
    frames = tiny_frames()
    del frames["exit"], frames["exposure"], frames["questionnaire"], frames["diagnosis"]
    c = build_cohort(Extract.from_frames(frames), CohortDefinition.from_dict(DEFINITION))
    assert _row(c, "w2", "2020-06-15")["cause"] == 0
    with pytest.raises(TypeError, match="CohortDefinition"):
        build_cohort(tiny_extract(), DEFINITION)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="irdp.io.Extract"):
        build_cohort(frames, CohortDefinition.from_dict(DEFINITION))  # type: ignore[arg-type]


def test_summary_and_repr(cohort):
    s = cohort.summary()
    assert s.loc["inaptitude", "n_total"] == 4
    assert s["n_total"].sum() == len(cohort)
    assert "events=4" in repr(cohort)


# ----------------------------------------------------------------- random extracts

_TYPES = ["MI_CARRIERE", "REPRISE", "VIP_PER", "DEMANDE_SAL"]
_CONCL = ["APTE", "INAPTE", "AMENAGEMENT", "INAPTE_DISPENSE"]
_EXITS = ["RETRAITE", "DECES", "CHANGEMENT_SPSTI", "FIN_SUIVI", "AUTRE_PERTE_EMPLOI"]


def random_frames(seed: int, n_workers: int = 12) -> dict[str, pd.DataFrame]:
    """A random small extract over 2018-2024 (used by the flow and leak-proof tests)."""
    rng = np.random.default_rng(seed)
    base = np.datetime64("2018-01-01")

    def day(lo: int = 0, hi: int = 2555) -> str:
        return str(base + int(rng.integers(lo, hi)))

    workers = [f"w{k}" for k in range(n_workers)]
    worker = pd.DataFrame({
        "worker_id": workers, "spsti_id": rng.choice(["S1", "S2"], n_workers),
        "sex": rng.choice(["F", "M"], n_workers),
        "birth_year": rng.integers(1955, 2000, n_workers)})
    emp = pd.DataFrame({
        "employment_id": [f"e{k}" for k in range(n_workers)], "worker_id": workers,
        "company_id": "c1", "start_date": [day(-3000, 1500) for _ in workers],
        "end_date": [None if rng.random() < 0.7 else day(1500, 2555) for _ in workers],
        "followup_type": rng.choice(["SIG", "SIR"], n_workers), "contract": "CDI",
        "job_code": "621a", "job_system": "PCS-ESE-2017"})
    vis, con = [], []
    for k in range(int(rng.integers(n_workers, 6 * n_workers))):
        vid = f"v{k}"
        vis.append((vid, str(rng.choice(workers)), day(), str(rng.choice(_TYPES))))
        con.append((vid, str(rng.choice(_CONCL, p=[0.8, 0.08, 0.08, 0.04]))))
    visit = pd.DataFrame(vis, columns=["visit_id", "worker_id", "visit_date", "visit_type"]).assign(
        visit_type_system="PRESANSE-TV-2022", professional="MT")
    conclusion = pd.DataFrame(con, columns=["visit_id", "conclusion"])
    ex_w = rng.choice(workers, size=n_workers // 3, replace=False)
    exit_ = pd.DataFrame({"worker_id": ex_w, "exit_date": [day() for _ in ex_w],
                          "exit_reason": rng.choice(_EXITS, len(ex_w))})
    company = pd.DataFrame({"company_id": ["c1"], "naf_code": ["10.11Z"],
                            "naf_system": ["NAF-2008"], "size_band": ["0-9"]})
    return {"worker": worker, "company": company, "employment": emp, "visit": visit,
            "conclusion": conclusion, "exit": exit_}


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), on_index=st.sampled_from(["exclude", "event"]))
def test_flow_adds_up_and_times_valid_on_random_extracts(seed, on_index):
    d = dict(DEFINITION, index={"kind": "visit", "visit_types": ["MI_CARRIERE", "REPRISE"]},
             outcome={"on_index_date": on_index}, eligibility={"age_min": 25, "age_max": 60})
    c = build_cohort(Extract.from_frames(random_frames(seed)), CohortDefinition.from_dict(d))
    _assert_flow_adds_up(c)
    t = c.table
    end = pd.Timestamp(DEFINITION["extract_end"])
    assert (t["time"] >= 0).all()
    assert (t["end_date"] <= end).all()
    assert (t["index_date"] < end).all()
    if on_index == "exclude":
        assert (t["time"] > 0).all()
    assert not t.duplicated(["worker_id", "index_date"]).any()


def test_duplicated_worker_key_is_refused():
    from irdp.features import build_features

    frames = tiny_frames()
    frames["worker"] = pd.concat([frames["worker"], frames["worker"].iloc[[0]]])
    with pytest.raises(ExtractError, match="one row per worker_id"):
        build_cohort(Extract.from_frames(frames), CohortDefinition.from_dict(DEFINITION))
    cohort = pd.DataFrame({"worker_id": ["w1"], "index_date": ["2020-03-02"]})
    with pytest.raises(ExtractError, match="duplicated"):
        build_features(Extract.from_frames(frames), cohort, features=["age"])


def test_day_after_horizon_and_competing_exit_on_horizon_day():
    frames = tiny_frames()
    v = frames["visit"]
    # w7's inaptitude moves from day 365 (2024-05-31) to day 366 (2024-06-01)
    v.loc[v["visit_id"] == "v7b", "visit_date"] = "2024-06-01"
    # w8 retires on day 365 = the extract end (2024-12-31): a competing event on the horizon
    # day, which wins the tie with the end of the extract
    frames["exit"] = pd.concat([frames["exit"], pd.DataFrame({
        "worker_id": ["w8"], "exit_date": ["2024-12-31"], "exit_reason": ["RETRAITE"]})])
    c = build_cohort(tiny_extract(frames), CohortDefinition.from_dict(DEFINITION))
    w7 = _row(c, "w7", "2023-06-01")
    assert w7["time"] == 366.0
    assert w7["cause"] == 1
    assert w7["known_at_horizon"]
    assert not w7["event_at_horizon"]  # the event is one day too late
    w8 = _row(c, "w8", "2024-01-01")
    assert w8["time"] == 365.0
    assert w8["cause"] == 2
    assert w8["known_at_horizon"]
    assert not w8["event_at_horizon"]


def test_extract_end_after_recorded_end_warns():
    ex = Extract.from_frames(tiny_frames(), metadata={"end": "2023-12-31"})
    with pytest.warns(IrdpWarning, match="after the end of the extract recorded"):
        build_cohort(ex, CohortDefinition.from_dict(DEFINITION))
    ok = Extract.from_frames(tiny_frames(), metadata={"end": "2024-12-31"})
    assert len(build_cohort(ok, CohortDefinition.from_dict(DEFINITION))) == 9
