"""Issue 11 at run level: every output of `irdp run` attacked as the reader would.

One module-scoped run of the demo experiment on a 20,000-worker synthetic extract (fewer
bootstrap replicates than the demo) is the red-team target. While it runs, its state (the
analysis frame, the risks, the identifiers of the extract) is kept aside, so that the true
pre-suppression counts are recomputed here from the cohort, independently of the tables the
run publishes. Every CSV, the HTML, the model exports, the figure sidecars and the JSON files
written are then attacked (findings 1 to 7 of issue 11) and no count under 11 may come back.
A second, small run with a leaking output checks that a breach is withheld (exit code 4).
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import irdp.pipeline._run as run_module
from irdp.cli import main
from irdp.exceptions import ExperimentConfigError
from irdp.experiment import load_experiment
from irdp.pipeline import run_experiment
from irdp.privacy import (
    DisclosurePolicy,
    LinkedTables,
    audit_tables,
    figure_findings,
    find_identifiers,
    model_export_findings,
)

DEMO = Path(__file__).resolve().parents[2] / "experiments" / "demo.yaml"
MARKER = "[c]"
M = 11


def _small(v: float) -> bool:
    return 0 < v < M


def _demo_run(tmp_path_factory, run_id: str, **validation):
    """A 20,000-worker run of the demo experiment (lighter resampling), with its state kept
    for the truth; ``validation`` replaces fields of the validation design."""
    cfg = load_experiment(DEMO)
    syn = dataclasses.replace(cfg.extract.synthetic, n_workers=20_000)
    val = dataclasses.replace(
        cfg.validation, compare_n_boot=10,
        bootstrap=dataclasses.replace(cfg.validation.bootstrap, n_boot=3), **validation)
    cfg = cfg.replace(extract=dataclasses.replace(cfg.extract, synthetic=syn), validation=val,
                      fairness=dataclasses.replace(cfg.fairness, n_boot=10),
                      completeness=dataclasses.replace(cfg.completeness, rates=[0.0, 0.5]))
    kept = {}
    finish = run_module._finish

    def spy(st, *args, **kwargs):
        kept["st"] = st
        return finish(st, *args, **kwargs)

    root = tmp_path_factory.mktemp(run_id)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(run_module, "_finish", spy)
        result = run_experiment(cfg, out=root, progress=False, n_jobs=1, run_id=run_id)
    return result, kept["st"]


@pytest.fixture(scope="module")
def red(tmp_path_factory):
    """The 20,000-worker run of the demo experiment, with its state kept for the truth."""
    return _demo_run(tmp_path_factory, "red")


def _csv(run_dir: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(run_dir / "tables" / f"{name}.csv", dtype=str, keep_default_na=False)


def _value(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


# ---- the run as a whole ------------------------------------------------------------------------
def test_the_audit_of_the_run_is_clean_and_the_policy_is_stated(red):
    """The run's own audit is `irdp audit` (audit_run), with the extract's identifiers."""
    result, _ = red
    run_dir = result.run_dir
    audit = json.loads(result.provenance_path.read_text())["disclosure"]["audit"]
    assert audit["n_identifiers"] == 0
    assert audit["n_cells_checked"] > 1000
    assert audit["withheld"] == result.withheld
    if result.withheld:  # what the run withheld, it withheld with its reasons
        reasons = json.loads((run_dir / "withheld" / "reasons.json").read_text())["files"]
        assert sorted(reasons) == sorted(result.withheld)
    # what the run publishes passes `irdp audit`: nothing recovered, no identifier
    out = CliRunner().invoke(main, ["audit", str(run_dir), "--json",
                                    str(run_dir.parent / "audit.json")])
    assert out.exit_code == 0, out.output
    assert "CLEAN" in out.output
    again = json.loads((run_dir.parent / "audit.json").read_text())
    assert again["n_recoverable"] == 0
    assert again["n_identifiers"] == 0
    policy = DisclosurePolicy()
    html = result.report_path.read_text(encoding="utf-8")
    assert policy.as_text() in html  # the report states the policy used
    assert "&lt;11" not in html
    assert "<11" not in html
    prov = json.loads(result.provenance_path.read_text())
    assert prov["disclosure"]["policy"] == policy.to_dict()
    manifest = json.loads((run_dir / "disclosure.json").read_text())
    assert manifest["policy"] == policy.to_dict()
    assert {"table1_by_spsti", "table1_dev_val", "net_benefit", "service_spsti_id"} <= {
        t["name"] for t in manifest["tables"]}
    # one population for Table 1 and the service tables: suppressed together
    pops = {t["name"]: t["population"] for t in manifest["tables"]}
    assert pops["table1_by_spsti"] == pops["table1_dev_val"] == pops["service_spsti_id"]
    assert manifest["summary"]["linking_errors"] == []


def test_no_small_count_is_published_in_any_table(red):
    result, _ = red
    kinds = json.loads((result.run_dir / "disclosure.json").read_text())["columns"]
    # integer columns declared as not counts of people: the number of SPSTI or periods
    # pooled, of resamples, the step of the flow, a minimum sample size from a formula
    allowed = {"k", "n_resamples", "step", "minimum_n", "df", "n_parameters",
               "spsti_pooled"}
    assert all(set(k["not_counts"]) <= allowed for k in kinds.values()), kinds
    for path in sorted((result.run_dir / "tables").glob("*.csv")):
        text = path.read_text(encoding="utf-8")
        assert "<11" not in text, path.name
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame = frame.drop(columns=kinds.get(path.stem, {}).get("not_counts", []))
        pub = audit_tables({path.stem: frame})
        assert not [f for f in pub.findings if f.kind == "readable"], (path.name,
                                                                       pub.as_text())


# ---- finding 1: differencing in Table 1 by SPSTI ----------------------------------------------
def _table1_truth(st, var: str, by: str) -> pd.DataFrame:
    col = st.frame[var].astype("string").fillna("missing")
    return pd.crosstab(col, st.frame[by].astype("string"))


def test_finding1_table1_differencing_recovers_nothing(red):
    result, st = red
    run_dir = result.run_dir
    by, dv = _csv(run_dir, "table1_by_spsti"), _csv(run_dir, "table1_dev_val")
    spsti = [c[:-3] for c in by.columns if c.endswith(": n") and c != "Overall: n"]
    n_small_hidden = 0
    for var in ("index_visit_type", "company_size", "naf_section", "age_band"):
        truth = _table1_truth(st, var, "spsti_id")
        block = by[by["variable"] == var].set_index("level")
        for g in spsti:
            col = block[f"{g}: n"]
            hidden = col[col == MARKER].index.tolist()
            for lev in hidden:
                true = int(truth.at[lev, g]) if lev in truth.index else 0
                n_small_hidden += _small(true)
            # the attack of finding 1: N of the SPSTI minus the visible levels
            if len(hidden) == 1:
                n_g = float(by.loc[by["variable"] == "N", f"{g}: n"].iloc[0])
                rest = n_g - sum(float(v) for v in col if v != MARKER)
                assert not _small(rest), (var, g, hidden)
        # and the overall column minus the other SPSTI
        for lev, row in block.iterrows():
            cells = [row[f"{g}: n"] for g in spsti]
            if cells.count(MARKER) == 1 and row["Overall: n"] != MARKER:
                rest = float(row["Overall: n"]) - sum(float(v) for v in cells if v != MARKER)
                assert not _small(rest), (var, lev)
    assert n_small_hidden > 0  # the run does hide small counts: the attack had targets
    # the LP of the declared structure, and of the numbers alone, across both tables
    manifest = json.loads((run_dir / "disclosure.json").read_text())
    assert audit_tables({"table1_by_spsti": by, "table1_dev_val": dv}).clean
    part = {**manifest, "tables": [t for t in manifest["tables"]
                                   if t["name"] in ("table1_by_spsti", "table1_dev_val")]}
    frames = {}
    for name, pub in (("table1_by_spsti", by), ("table1_dev_val", dv)):
        f = pub.copy()
        for c in f.columns:
            if c.endswith(": n"):
                f[c] = pd.to_numeric(f[c].replace(MARKER, np.nan))
        frames[name] = f
    assert LinkedTables.from_manifest(part, frames).audit().clean


# ---- finding 2: model exports -------------------------------------------------------------------
def test_finding2_model_exports_hold_no_per_event_information(red):
    result, _ = red
    exports = sorted((result.run_dir / "models").glob("*.json"))
    assert exports
    # an export that would give counts back is withheld by the run, never published
    for rel in result.withheld:
        if rel.startswith("models/"):
            reasons = json.loads((result.run_dir / "withheld" / "reasons.json").read_text())
            assert all("model-export" in why for why in reasons["files"][rel])
    for path in exports:
        data = json.loads(path.read_text())
        assert model_export_findings(data, path.name, DisclosurePolicy()) == [], path.name


# ---- finding 3: figures -------------------------------------------------------------------------
def test_finding3_every_figure_has_its_data_and_no_step_is_small(red):
    result, _ = red
    html = result.report_path.read_text(encoding="utf-8")
    n_figures = len(re.findall(r"<img\b", html))
    sidecars = sorted((result.run_dir / "figures").glob("*.data.json"))
    assert len(sidecars) == n_figures > 0
    for path in sidecars:
        data = json.loads(path.read_text())
        assert figure_findings(data, path.name) == [], path.name
    # the observed risk by level (Aalen-Johansen): its drawn steps are checked as steps
    side = json.loads(next(p for p in sidecars if p.name.startswith("observed_by_level"))
                      .read_text())
    cols = side["frame"]["columns"]
    frame = pd.DataFrame(side["frame"]["data"], columns=cols)
    if "element" in frame.columns:  # nothing drawn: every level has too few events
        assert (frame["element"] == "legend").all()
        return
    assert side["kind"] == "step"
    for _, part in frame.groupby("series"):
        jumps = np.diff(part["y"].astype(float)) * part["n"].astype(float).iloc[0]
        assert not any(_small(round(j)) for j in jumps if j > 0.5)


# ---- finding 4: rates undo suppression ----------------------------------------------------------
def test_finding4_rates_times_denominators_recover_nothing(red):
    result, st = red
    run_dir = result.run_dir
    nb = _csv(run_dir, "net_benefit")
    ok = ~st.dev
    for r in st.risks.values():
        ok &= np.isfinite(r)
    n = int(ok.sum())
    hidden = 0
    for _, row in nb.iterrows():
        risk = st.risks[row["index"]][ok]
        true_flagged = int((risk >= float(row["threshold"])).sum())
        if row["share_flagged"] == MARKER:
            hidden += _small(true_flagged)
            continue
        implied = round(float(row["share_flagged"]) * n)
        assert not _small(implied), row.to_dict()
    assert hidden > 0  # small numbers flagged exist at high thresholds: they are hidden
    published = {name: _csv(run_dir, name) for name in (
        "fairness_groups", "fairness_measures", "net_benefit", "comparison_indices")
        if (run_dir / "tables" / f"{name}.csv").exists()}
    assert "net_benefit" in published
    res = audit_tables(published)
    assert not [f for f in res.findings if f.attack == "rate-denominator"]


# ---- finding 5: zeros by construction ------------------------------------------------------------
def test_finding5_comparison_levels_hide_no_zero_and_publish_no_bound(red):
    result, _ = red
    files = sorted((result.run_dir / "tables").glob("comparison_levels_*.csv"))
    assert files
    for path in files:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        assert not frame.isin(["<11"]).any().any()
        res = audit_tables({path.stem: frame})
        assert res.clean, res.as_text()


# ---- finding 6: weak policy 
def test_finding6_a_threshold_below_11_needs_an_override(tmp_path):
    data = yaml.safe_load(DEMO.read_text())
    data["report"]["min_count"] = 1
    path = tmp_path / "weak.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ExperimentConfigError, match=r"report\.min_count: must be at least 11"):
        load_experiment(path)
    data["report"]["override_reason"] = "DPO decision 2026-01 (test)"
    path.write_text(yaml.safe_dump(data))
    policy = load_experiment(path).report.policy
    assert policy.min_count == 1
    assert policy.overridden
    assert "OVERRIDE" in policy.as_text()


def test_finding6_centre_summaries_default_to_the_policy():
    import inspect

    from irdp.privacy import DEFAULT_MIN_COUNT
    from irdp.validation import centre_summary

    assert inspect.signature(centre_summary).parameters["min_count"].default \
        == DEFAULT_MIN_COUNT == 11


# ---- finding 7: rows of the cohort and identifiers 
def test_finding7_no_identifier_or_row_of_the_cohort_in_any_output(red):
    result, st = red
    assert len(st.identifiers) > 1000
    for path in sorted(result.run_dir.rglob("*")):
        if path.is_file() and path.suffix in (".csv", ".html", ".json", ".txt"):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert find_identifiers(text, st.identifiers) == [], path.name
            assert not re.search(r"\b(worker_id|visit_id|employment_id)\b",
                                 text.split("\n", 1)[0]), path.name


# ---- service tables: levels of a row add up to its n 
def test_service_tables_level_differencing_recovers_nothing(red):
    result, st = red
    name = next(iter(st.risks))
    levels = st.levels[name]
    for g in ("spsti_id", "naf_section", "company_size"):
        tab = _csv(result.run_dir, f"service_{g}")
        lab = st.frame[g].astype("string").fillna("(missing)").to_numpy()
        for _, row in tab.iterrows():
            cells = [c for c in tab.columns if c.startswith("n_")]
            hidden = [c for c in cells if row[c] == MARKER]
            if len(hidden) == 1 and row["n"] != MARKER:
                rest = float(row["n"]) - sum(float(row[c]) for c in cells if c != hidden[0])
                m = lab == row["group"]
                none = int((levels[m] < 0).sum())
                assert not _small(rest - none), (g, row["group"])


# ---- a breach is withheld and the run exits with code 4 
def test_a_breaching_output_is_withheld_with_exit_code_4(tmp_path, monkeypatch):
    from irdp.pipeline import _outputs

    data = yaml.safe_load(DEMO.read_text())
    data["extract"]["synthetic"].update(n_workers=3000, n_spsti=3)
    data["validation"] = {"holdout": {"by": "period", "cutoff": "2021-06-01"},
                          "bootstrap": {"n_boot": 2}, "compare_n_boot": 3,
                          "measures": ["c", "oe"], "iecv": {"by": ["spsti"]}}
    data["indices"] = data["indices"][:1]
    data["fairness"] = {"groups": ["sex"], "n_boot": 3}
    data["completeness"]["rates"] = [0.0]
    data["report"]["service_groups"] = ["spsti_id"]
    cfg = tmp_path / "leak.yaml"
    cfg.write_text(yaml.safe_dump(data))
    write_quality = _outputs.write_quality

    def leaky(st):
        write_quality(st)
        (st.run_dir / "tables").mkdir(exist_ok=True)
        (st.run_dir / "tables" / "leak.csv").write_text("group,n\nA,4\nB,120\nall,124\n")

    monkeypatch.setattr(run_module, "write_quality", leaky)
    out = CliRunner().invoke(main, ["run", str(cfg), "--out", str(tmp_path / "reports"),
                                    "--quiet"])
    assert out.exit_code == 4, out.output
    run_dir = next((tmp_path / "reports" / "demo").glob("2*"))
    assert not (run_dir / "tables" / "leak.csv").exists()
    assert (run_dir / "withheld" / "tables" / "leak.csv").exists()
    reasons = json.loads((run_dir / "withheld" / "reasons.json").read_text())
    # the leak, and whatever else the audit found on so few workers (3,000)
    assert any("a count of 4" in why for why in reasons["files"]["tables/leak.csv"])
    prov = json.loads((run_dir / "provenance.json").read_text())
    assert "tables/leak.csv" in prov["disclosure"]["audit"]["withheld"]
    assert prov["disclosure"]["audit"]["n_recoverable"] >= 1
    # what stays published passes `irdp audit` (exit code 0)
    out = CliRunner().invoke(main, ["audit", str(run_dir), "--json", str(tmp_path / "a.json")])
    assert out.exit_code == 0, out.output
    assert "CLEAN" in out.output
    again = json.loads((tmp_path / "a.json").read_text())
    assert again["n_recoverable"] == 0
    assert again["n_identifiers"] == 0


# ---- fairness groups: true counts, suppressed in the linked system 
@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    """The 20,000-worker demo run validated in S003 and S004 (a validation set large enough
    for the fairness groups; before they were declared with their true counts, the audit
    pinned hidden numbers of events of 5 and 9 there and withheld the table)."""
    cfg = load_experiment(DEMO)
    return _demo_run(tmp_path_factory, "wide", holdout=dataclasses.replace(
        cfg.validation.holdout, spsti=["S003", "S004"]))


def test_fairness_groups_are_published_with_their_true_counts(wide):
    """The groups table is declared with its true counts (not the library's own suppressed
    copy) and ``n = events + non_events + other``: it is published, every count shown is the
    true one, and no hidden number of events is the difference of two published numbers."""
    from irdp.fairness import group_counts
    from irdp.pipeline._state import _outcome

    result, st = wide
    assert (result.run_dir / "tables" / "fairness_groups.csv").is_file()
    assert not (result.run_dir / "withheld").exists()
    tab = _csv(result.run_dir, "fairness_groups")
    name = next(iter(st.risks))
    mask = (~st.dev if (~st.dev).any() else st.dev) & np.isfinite(st.risks[name])
    groups = st.frame.loc[mask, sorted(set(tab["grouping"]))].astype("string")
    y = _outcome(st, "competing", mask)
    truth = group_counts(y, groups.reset_index(drop=True), horizon=st.horizon)
    merged = tab.merge(truth, on=["grouping", "group"], suffixes=("", "_true"))
    assert len(merged) == len(tab) > 0
    for c in ("n", "events", "non_events"):
        shown = merged[merged[c] != MARKER]
        assert (shown[c].astype(int) == shown[f"{c}_true"]).all(), c
        assert not shown[f"{c}_true"].map(_small).any(), c
    hidden = merged[(merged["events"] == MARKER) & (merged["n"] != MARKER)
                    & (merged["non_events"] != MARKER)]
    other = hidden["n_true"] - hidden["non_events_true"] - hidden["events_true"]
    # the bound n - non_events never equals a small hidden count when nothing else is hidden
    assert not ((other == 0) & hidden["events_true"].map(_small)).any()
