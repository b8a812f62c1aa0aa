"""Issue 11, findings 1, 4, 5 and 6, reproduced on synthetic tables shaped like a run's.

Each test publishes the same true counts twice: through the former code path (a frozen copy of
the former ``suppress_small_counts``, tables controlled one at a time, "<11" labels) and
through :class:`irdp.privacy.LinkedTables`. The attacks (the LP audit of the declared
structure, as a reader who knows what the tables mean, and the audit of the published text
alone, as a reader who only has the files) recover the hidden counts from the former and
nothing from the new.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from irdp.privacy import (
    DisclosurePolicy,
    LinkedTables,
    Rate,
    audit_tables,
    check_disclosure,
    suppress_small_counts,
)
from tests.privacy._old_disclosure import format_suppressed as old_format
from tests.privacy._old_disclosure import suppress_small_counts as old_suppress

SPSTI = [f"S00{i}" for i in range(1, 9)]


def _exact(result, table: str, column: str | None = None) -> dict[tuple[int, str], float]:
    """{(row, column): value} of the counts an audit pinned exactly."""
    out = {}
    for f in result.findings:
        if f.lower == f.upper and f.location.startswith(f"table {table}, row ") and (
                column is None or f.location.endswith(f"column {column!r}")):
            row = int(f.location.split(", row ")[1].split(",")[0])
            col = f.location.split("column ")[1].strip("'")
            out[(row, col)] = f.lower
    return out


def _published_counts_ok(frame: pd.DataFrame, columns: list[str], m: int = 11) -> bool:
    v = pd.to_numeric(frame[columns].stack(), errors="coerce").dropna()
    return bool(((v == 0) | (v >= m)).all())


# ---- finding 1: Table 1 by SPSTI, complements in the "missing" row whose Overall is 0 ---------
N = dict(zip(SPSTI, [1282, 690, 1934, 1763, 1216, 794, 1718, 1113], strict=True))
FIN = dict(zip(SPSTI, [0, 6, 19, 10, 0, 4, 8, 10], strict=True))
DEV, VAL = SPSTI[:6], SPSTI[6:]


def _table1(groups: dict[str, list[str]]) -> pd.DataFrame:
    vip = {g: N[g] - FIN[g] for g in SPSTI}
    rows = []
    for var, lev, vals in (("N", "", N), ("index_visit_type", "VIP_INIT", vip),
                           ("index_visit_type", "FIN_CARRIERE", FIN),
                           ("index_visit_type", "missing", dict.fromkeys(SPSTI, 0))):
        r: dict[str, object] = {"variable": var, "level": lev}
        for name, members in groups.items():
            r[f"{name}: n"] = sum(vals[g] for g in members)
        r["Overall: n"] = sum(vals.values())
        rows.append(r)
    return pd.DataFrame(rows)


def _table1_linked(by: pd.DataFrame, dv: pd.DataFrame) -> LinkedTables:
    lt = LinkedTables()
    lt.hierarchy("dataset", "spsti", {"development": DEV, "validation": VAL})
    lt.add("table1_by_spsti", by, variable_level=("variable", "level"), totals=("N",),
           counts={**{f"{g}: n": {"spsti": g} for g in SPSTI}, "Overall: n": {}})
    lt.add("table1_dev_val", dv, variable_level=("variable", "level"), totals=("N",),
           counts={"development: n": {"dataset": "development"},
                   "validation: n": {"dataset": "validation"}, "Overall: n": {}})
    return lt


def test_finding1_table1_differencing():
    by = _table1({g: [g] for g in SPSTI})
    dv = _table1({"development": DEV, "validation": VAL})
    counts = [c for c in by.columns if c.endswith(": n")]
    # former path: each variable of Table 1 controlled on its own (row total, known totals)
    old = pd.concat([by.iloc[[0]], old_suppress(by.iloc[1:], threshold=11, count_columns=counts,
                                                row_total="Overall: n", known_totals=True)])
    published = {"table1_by_spsti": old_format(old), "table1_dev_val": old_format(dv)}
    assert (published["table1_by_spsti"].loc[3, "S002: n"] == "<11")  # complement: a zero
    assert published["table1_by_spsti"].loc[3, "Overall: n"] == "0"
    recovered = _exact(audit_tables(published), "table1_by_spsti")
    fin = {c.split(":")[0]: v for (r, c), v in recovered.items() if r == 2}
    assert fin == {"S002": 6, "S004": 10, "S006": 4, "S007": 8, "S008": 10}
    assert fin["S007"] + fin["S008"] == 18  # as table1_dev_val shows

    # new path: both tables declared together, suppressed together
    lt = _table1_linked(by, dv)
    out = lt.suppress()
    assert out.audit().clean
    shown = {n: out.formatted(n) for n in out}
    assert _published_counts_ok(out["table1_by_spsti"], counts)
    assert not audit_tables(shown).findings
    # the run-folder audit: the declared structure rebuilt from the manifest and the files
    again = LinkedTables.from_manifest(out.manifest(), {n: out[n] for n in out})
    assert again.audit().clean
    # the reader's knowledge of the true structure gives nothing either
    assert out.mask("table1_by_spsti").loc[2, "S002: n"]
    assert out.formatted("table1_by_spsti").loc[2, "S002: n"] == "[c]"


# ---- finding 4: fairness groups and measures; net benefit ---------------------------------
FAIR = pd.DataFrame(
    [("overall", "(overall)", 2831, 22, 327, 7), ("sex", "F", 1272, 9, 206, 4),
     ("sex", "M", 1559, 13, 121, 3), ("spsti_id", "S007", 1718, 12, 200, 5),
     ("spsti_id", "S008", 1113, 10, 127, 2)],
    columns=["grouping", "group", "n", "events", "flagged", "tp"])
FAIR["non_events"] = FAIR["n"] - FAIR["events"]
MEASURES = {"selection_rate@0.02": ("flagged", "n"), "tpr@0.02": ("tp", "events"),
            "ppv@0.02": ("tp", "flagged")}


def _long_measures(frame: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, r in frame.iterrows():
        for m in MEASURES:
            v = r[m]
            rows.append({"grouping": r["grouping"], "group": r["group"], "measure": m,
                         "value": "[c]" if pd.isna(v) else f"{v:.6g}"})
    return pd.DataFrame(rows)


def test_finding4_fairness_rates_give_masked_counts_back():
    truth = FAIR.copy()
    for m, (a, b) in MEASURES.items():
        truth[m] = truth[a] / truth[b]
    # former path: groups controlled by grouping, measures published as they are
    parts = [old_suppress(p, threshold=11, count_columns=["n", "events", "non_events"],
                          known_totals=True)
             for _, p in truth[truth.grouping != "overall"][
                 ["grouping", "group", "n", "events", "non_events"]].groupby("grouping")]
    groups = old_format(pd.concat(parts), marker="")
    assert (groups["events"] == "").all()
    res = audit_tables({"fairness_groups": groups, "fairness_measures": _long_measures(truth)})
    events = _exact(res, "fairness_groups", "events")
    # 9 and 10 come back; 12 and 13 are pinned too but are not small counts (not a breach
    # by DisclosurePolicy.is_breach, which the audit of published files applies as well)
    assert sorted(events.values()) == [9, 10]
    tp = sorted(f.lower for f in res.findings if f.attack == "rate-denominator")
    assert tp == [2, 3, 4, 5]  # TPR x (n - non_events)

    # new path
    lt = LinkedTables()
    lt.levels("event", ["yes", "no"])
    lt.levels("flagged", ["yes", "no"])
    common = {"variable_level": ("grouping", "group"), "totals": ("overall", "(overall)"),
              "fixed": {"dataset": "validation"}}
    lt.add("fairness_groups", truth[["grouping", "group", "n", "events", "non_events"]],
           counts={"n": {}, "events": {"event": "yes"}, "non_events": {"event": "no"}},
           **common)
    lt.add("fairness_measures", truth.drop(columns=["non_events"]),
           counts={"n": {}, "events": {"event": "yes"}, "flagged": {"flagged": "yes"},
                   "tp": {"flagged": "yes", "event": "yes"}},
           hidden=["n", "events", "flagged", "tp"],
           rates={m: Rate(a, b) for m, (a, b) in MEASURES.items()}, **common)
    out = lt.suppress()
    assert out.audit().clean
    meas = out["fairness_measures"]
    assert set(meas.columns) == {"grouping", "group", *MEASURES}  # hidden counts dropped
    assert meas["tpr@0.02"].isna().all()  # every TP is below 11
    assert meas["selection_rate@0.02"].notna().all()  # flagged counts are large: kept
    res = audit_tables({"fairness_groups": out.formatted("fairness_groups"),
                        "fairness_measures": _long_measures(out["fairness_measures"])})
    assert not res.findings
    again = LinkedTables.from_manifest(out.manifest(), {n: out[n] for n in out})
    assert again.audit().clean


def _net_benefit(flagged: list[int], events: list[int], n: int = 2831) -> pd.DataFrame:
    t = pd.DataFrame({"threshold": [0.005, 0.01, 0.02, 0.05], "flagged": flagged,
                      "events_flagged": events})
    t["share_flagged"] = t["flagged"] / n
    t["observed_risk_flagged"] = t["events_flagged"] / t["flagged"]
    return t


def _net_benefit_linked(frame: pd.DataFrame, n: int = 2831, decimals: int | None = None,
                        policy: DisclosurePolicy | None = None) -> LinkedTables:
    lt = LinkedTables(policy)
    keys = [{f"flagged@{t}": "yes"} for t in frame["threshold"]]
    for k in keys:
        lt.levels(next(iter(k)), ["yes", "no"], population="validation")
    lt.levels("event", ["yes", "no"], population="validation")
    lt.add_known({}, n, population="validation")
    lt.add("net_benefit", frame, population="validation", row_keys=keys,
           counts={"flagged": {}, "events_flagged": {"event": "yes"}},
           hidden=["flagged", "events_flagged"],
           rates={"share_flagged": Rate("flagged", n, decimals=decimals),
                  "observed_risk_flagged": Rate("events_flagged", "flagged",
                                                decimals=decimals)})
    return lt


def test_finding4_net_benefit_share_times_n_times_risk():
    truth = _net_benefit([1759, 882, 327, 96], [20, 16, 7, 3])
    # former path: published as computed (4 decimals); share x n x risk gives the events
    shown = truth.copy()
    for c in ("share_flagged", "observed_risk_flagged"):
        shown[c] = shown[c].round(4)
    recovered = np.round(shown["share_flagged"] * 2831 * shown["observed_risk_flagged"])
    assert recovered.tolist() == [20, 16, 7, 3]
    attack = _net_benefit_linked(shown.assign(flagged=np.nan, events_flagged=np.nan),
                                 decimals=4).audit()
    small = sorted(f.lower for f in attack.findings if f.lower == f.upper)
    assert small == [3, 7]

    # new path: the rates that give a count below 11 away are suppressed
    out = _net_benefit_linked(truth).suppress()
    assert out.audit().clean
    nb = out["net_benefit"]
    assert nb["observed_risk_flagged"].isna().tolist() == [False, False, True, True]
    safe = nb["share_flagged"] * 2831 * nb["observed_risk_flagged"]
    assert (safe.dropna().round() >= 11).all()
    printed = nb.copy()
    for c in ("share_flagged", "observed_risk_flagged"):
        printed[c] = printed[c].round(4)
    again = _net_benefit_linked(printed.assign(flagged=np.nan, events_flagged=np.nan),
                                decimals=4).audit()
    assert again.clean


# ---- finding 5: a levels cross-tab whose "all" block sums to n ---------------------------
LEVELS = ["faible", "intermédiaire", "forte"]
ALL = np.array([[1080, 0, 0], [47, 1294, 0], [0, 44, 366]])
EVENTS = np.array([[5, 0, 0], [0, 13, 0], [0, 0, 4]])


def _crosstab() -> pd.DataFrame:
    rows = []
    for block, m in (("all", ALL), ("events", EVENTS)):
        for i, lev in enumerate(LEVELS):
            rows.append({"level_0": block, "cox": lev,
                         **{c: int(m[i, j]) for j, c in enumerate(LEVELS)}})
    return pd.DataFrame(rows)


def test_finding5_zeros_recovered_by_construction():
    cross = _crosstab()
    indices = pd.DataFrame({"index": ["logistic", "cox"], "n": [2831, 2831],
                            "n_events": [22, 22]})
    old = old_format(old_suppress(cross, threshold=11, count_columns=LEVELS,
                                  known_totals=True))
    # the complements chosen are zeros of the "all" block, labelled "<11"
    assert old.loc[0, "forte"] == "<11"
    assert old.loc[2, "faible"] == "<11"
    res = audit_tables({"comparison_levels_1": old, "comparison_indices": indices})
    zeros = [f for f in res.findings if f.location == "table comparison_levels_1, rows 0-2"]
    assert len(zeros) == 1
    assert (zeros[0].lower, zeros[0].upper) == (0.0, 0.0)
    assert "2 hidden cell(s) are 0" in zeros[0].message

    lt = LinkedTables()
    lt.levels("event", ["yes", "no"], population="validation")
    keys = [({} if b == "all" else {"event": "yes"}) | {"logistic_level": lev}
            for b, lev in zip(cross["level_0"], cross["cox"], strict=True)]
    lt.add("comparison_levels_1", cross, population="validation", row_keys=keys,
           counts={c: {"cox_level": c} for c in LEVELS})
    lt.add("comparison_indices", indices, population="validation", row_keys=[{}, {}],
           counts={"n": {}, "n_events": {"event": "yes"}})
    out = lt.suppress()
    assert out.audit().clean
    table = out["comparison_levels_1"]
    # zeros stay zeros; only non-zero counts are hidden; the "all" block is intact
    hidden = out.mask("comparison_levels_1")[LEVELS].to_numpy()
    assert (cross[LEVELS].to_numpy()[hidden] > 0).all()
    assert not hidden[:3].any()
    assert table.loc[3:, LEVELS].isna().sum().sum() == 3
    res = audit_tables({"comparison_levels_1": out.formatted("comparison_levels_1"),
                        "comparison_indices": out.formatted("comparison_indices")})
    assert not res.findings


# ---- finding 6: a weak policy silently accepted ---------------------------------------------
def test_finding6_threshold_below_eleven_is_refused_or_stamped():
    t = pd.DataFrame({"group": ["A", "B", "C", "all"], "n": [3, 7, 40, 50]})
    # former path: min_count 1 published every count
    old = old_suppress(t, threshold=1, count_columns=["n"])
    assert old["n"].notna().all()
    readable = audit_tables({"t": old_format(old)})
    assert sorted(f.lower for f in readable.findings if f.kind == "readable") == [3, 7]
    # new path: the one name is min_count; below 11 needs an override with a reason
    with pytest.raises(ValueError, match="override"):
        DisclosurePolicy(min_count=1)
    with pytest.raises(ValueError, match="override"):
        suppress_small_counts(t, min_count=1, count_columns=["n"])
    with pytest.raises(ValueError, match="override"):
        DisclosurePolicy.from_dict({"min_count": 1})  # what a configuration goes through
    stamped = DisclosurePolicy(min_count=1, override_reason="internal test extract")
    lt = LinkedTables(stamped)
    lt.add("t", t, dims={"group": "group"}, counts=["n"])
    out = lt.suppress()
    assert out["t"].attrs["disclosure"]["policy"]["override"]["reason"] == \
        "internal test extract"
    assert "OVERRIDE" in stamped.as_text()
    # and the default policy controls the same table
    safe = suppress_small_counts(t, count_columns=["n"], total_row=3)
    assert check_disclosure(safe, count_columns=["n"], total_row=3) == []
    # 3 + 7 = 10 would still be a count below 11: the 40 is hidden too
    assert safe["n"].isna().tolist() == [True, True, True, False]
