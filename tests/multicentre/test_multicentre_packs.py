"""Summary packs end to end (issue 15): `irdp run` develops the indices on the pooled
synthetic extract; `irdp summarise` then runs in each of the 8 SPSTI with the frozen models;
`irdp pool` pools the 8 packs without a row. The pooled-from-packs meta-analysis must equal
the meta-analysis of the pooled data (risks recomputed independently by `score_extract` on
the whole extract, summarised by SPSTI with `centre_summary`) to 1e-10.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from irdp.cli import main
from irdp.exceptions import SummaryPackError
from irdp.multicentre import (
    FORMAT_VERSION,
    SummaryPack,
    content_hash,
    pool,
    read_pack,
    summary_pack,
)
from irdp.outcomes import CompetingRisks
from irdp.privacy import DisclosurePolicy, audit_run, audit_tables
from irdp.validation import centre_summary, pool_centre_summaries

PREDICTORS = ["age", "sex", "sl_days_24m", "sl_long_n_5y", "dx_msk_24m", "dx_mental_24m",
              "rqth"]
CONFIG = {
    "name": "packs",
    "seed": 3,
    "extract": {"synthetic": {"n_workers": 20000, "n_spsti": 8, "start": "2016-01-01",
                              "end": "2024-12-31", "seed": 7}},
    "cohort": {"index": {"kind": "first_visit", "start": "2018-01-01", "end": "2023-12-31"},
               "extract_end": "2024-12-31", "horizon": {"months": 12}},
    "features": {"include": PREDICTORS},
    "indices": [{"name": "logistic", "kind": "logistic", "features": PREDICTORS},
                {"name": "cox", "kind": "cox", "features": PREDICTORS}],
    "validation": {"holdout": {"by": "none"}, "bootstrap": {"n_boot": 3, "indices": ["cox"]},
                   "iecv": {"by": ["spsti"], "indices": []},
                   "measures": ["c", "calibration_slope", "oe", "brier"],
                   "compare_n_boot": 2},
    "fairness": {"groups": ["sex"], "n_boot": 0},
    "report": {"min_count": 11, "service_groups": ["spsti_id"]},
}
SPSTI = [f"S00{k}" for k in range(1, 9)]
MEASURES = ["brier", "c_harrell", "calibration_slope", "oe_ratio"]


@pytest.fixture(scope="module")
def flow(tmp_path_factory):
    """One development run, eight packs written by `irdp summarise`, one `irdp pool`."""
    root = tmp_path_factory.mktemp("packs")
    cfg = root / "packs.yaml"
    cfg.write_text(yaml.safe_dump(CONFIG))
    runner = CliRunner()
    res = runner.invoke(main, ["run", str(cfg), "--out", str(root / "reports"), "--quiet"])
    assert res.exit_code in (0, 1), res.output
    run_dir = Path(res.stdout.strip().splitlines()[-1]).parent
    packs = []
    for s in SPSTI:
        out = root / "packs" / f"{s}.irdp-summary.json"
        res = runner.invoke(main, ["summarise", str(cfg), "--spsti", s, "--models",
                                   str(run_dir / "models"), "--out", str(out), "--cache",
                                   str(root / "reports" / "packs" / "_cache")])
        assert res.exit_code == 0, res.output
        packs.append(out)
    res = runner.invoke(main, ["pool", *map(str, packs), "--out", str(root / "pooled")])
    return SimpleNamespace(root=root, cfg=cfg, run_dir=run_dir, packs=packs, pool_result=res,
                           pooled=root / "pooled")


def _pooled_data_meta(run_dir: Path, index: str) -> dict[str, object]:
    """The meta-analysis of the pooled data: every row scored by the model export on the
    whole extract, summarised per SPSTI and pooled (the path a pooled analysis takes)."""
    from irdp.cohort import CohortDefinition, build_cohort
    from irdp.io import read_extract
    from irdp.models.scoring import score_extract

    prov = json.loads((run_dir / "provenance.json").read_text())
    extract = read_extract(prov["extract"]["path"])
    spec = json.loads((run_dir / "models" / f"{index}.json").read_text())
    scored = score_extract(spec, extract)
    built = build_cohort(extract, CohortDefinition.from_dict(spec["cohort"]))
    table = built.table
    assert (table["worker_id"].astype(str).to_numpy()
            == scored["worker_id"].astype(str).to_numpy()).all()
    ok = scored["risk"].notna().to_numpy()
    y = CompetingRisks(table["time"].to_numpy(float)[ok], table["cause"].to_numpy(int)[ok],
                       event_of_interest=1)
    summ = centre_summary(y, scored["risk"].to_numpy(float)[ok], measures=MEASURES,
                          horizon=built.horizon_days,
                          groups=table["spsti_id"].astype(str).to_numpy()[ok])
    return {m: pool_centre_summaries(summ, m) for m in MEASURES}


def test_pool_of_packs_equals_meta_analysis_of_pooled_data(flow):
    assert flow.pool_result.exit_code == 0, flow.pool_result.output
    result = pool(flow.packs)
    assert sorted(result.packs["spsti"]) == SPSTI
    for index in ("logistic", "cox"):
        expected = _pooled_data_meta(flow.run_dir, index)
        for m in MEASURES:
            got, ref = result.meta[(index, m)], expected[m]
            assert got.k == ref.k >= 3
            for attr in ("estimate", "lower", "upper", "pi_lower", "pi_upper", "tau2", "i2",
                         "q"):
                assert abs(getattr(got, attr) - getattr(ref, attr)) <= 1e-10, (index, m, attr)
            assert sorted(got.centres["label"]) == sorted(ref.centres["label"])
    # the written report holds the same numbers
    table = pd.read_csv(flow.pooled / "pooled.csv")
    row = table[(table["index"] == "cox") & (table["measure"] == "c_harrell")].iloc[0]
    assert row["estimate"] == pytest.approx(result.meta[("cox", "c_harrell")].estimate,
                                            rel=1e-5)
    for name in ("forest_cox_c_harrell.png", "forest_cox_c_harrell.data.json",
                 "calibration_logistic.png", "calibration_logistic.data.json", "report.md",
                 "centres.csv", "calibration.csv", "net_benefit.csv", "case_mix.csv"):
        assert (flow.pooled / name).is_file(), name


def test_pack_content_and_disclosure_audit(flow):
    pack = read_pack(flow.packs[0])
    d = pack.data
    assert d["format_version"] == FORMAT_VERSION
    assert d["spsti"] == "S001"
    assert d["irdp_version"]
    assert len(d["experiment"]["config_sha256"]) == 64
    assert set(d["experiment"]["model_sha256"]) == {"logistic", "cox"}
    assert d["content_sha256"] == content_hash(d)
    assert d["measures"] == MEASURES
    assert d["horizon_days"] == 365
    assert d["thresholds"] == [0.01, 0.02, 0.05, 0.1, 0.2]
    cox = d["indices"]["cox"]
    assert [b["bin"] for b in cox["calibration"]][-1] == "all"
    assert len(cox["net_benefit"]) == 5
    assert cox["case_mix"]["sd_logit_risk"] > 0
    # nothing about a worker: only these keys at the top level
    assert set(d) == {"format", "format_version", "irdp_version", "created_utc", "spsti",
                      "experiment", "horizon_days", "outcome", "measures", "thresholds",
                      "risk_grid", "disclosure", "indices", "content_sha256"}
    policy = DisclosurePolicy(min_count=11)
    for path in flow.packs:
        p = read_pack(path)
        assert p.data["disclosure"]["lp_audit_recoverable"] == 0
        assert audit_tables(p.tables(), policy=policy).clean
        for part in p.data["indices"].values():
            for b in part["calibration"]:
                for c in ("n", "n_events", "n_non_events"):
                    assert b[c] is None or b[c] == 0 or b[c] >= 11
    # at least one SPSTI has small cells, suppressed with their complements
    assert any(read_pack(p).data["disclosure"]["n_secondary"] > 0 for p in flow.packs)
    # the files as written pass the audit of a run folder, and so does the pooled report
    assert audit_run(flow.packs[0].parent).clean
    assert audit_run(flow.pooled).clean


def _own_extract(src: Path, dst: Path, spsti: str) -> Path:
    """The extract an SPSTI holds: its workers only (and what refers to them)."""
    import pyarrow.parquet as pq

    dst.mkdir()
    tables = {p.stem: pq.read_table(p).to_pandas() for p in src.glob("*.parquet")}
    worker = tables["worker"][tables["worker"]["spsti_id"].astype(str) == spsti]
    ids = set(worker["worker_id"])
    keep = {"worker": worker}
    for name, t in tables.items():
        if name != "worker" and "worker_id" in t.columns:
            keep[name] = t[t["worker_id"].isin(ids)]
    visits = set(keep["visit"]["visit_id"])
    for name, t in tables.items():
        if name not in keep and "visit_id" in t.columns:
            keep[name] = t[t["visit_id"].isin(visits)]
    companies = set(keep["employment"]["company_id"])
    keep["company"] = tables["company"][tables["company"]["company_id"].isin(companies)]
    assert set(keep) == set(tables)
    for name, t in keep.items():
        t.to_parquet(dst / f"{name}.parquet", index=False)
    return dst


def test_summarise_on_the_spsti_own_extract_gives_its_pack(flow, tmp_path):
    """Inside the service: an extract holding only S003's workers, the same experiment file
    but its extract section, gives the pack computed from the whole extract for S003."""
    prov = json.loads((flow.run_dir / "provenance.json").read_text())
    own = _own_extract(Path(prov["extract"]["path"]), tmp_path / "S003", "S003")
    cfg = tmp_path / "local.yaml"
    cfg.write_text(yaml.safe_dump({**CONFIG, "extract": {"path": str(own)},
                                   "n_jobs": 2}))
    res = CliRunner().invoke(main, ["summarise", str(cfg), "--spsti", "S003", "--models",
                                    str(flow.run_dir / "models"), "--out",
                                    str(tmp_path / "S003.json")])
    assert res.exit_code == 0, res.output
    local = read_pack(tmp_path / "S003.json").data
    central = read_pack(flow.packs[2]).data
    assert local["experiment"] == central["experiment"]
    assert json.dumps(local["indices"], sort_keys=True) == \
        json.dumps(central["indices"], sort_keys=True)
    # it pools with the other services' packs
    assert pool([tmp_path / "S003.json", *flow.packs[:2], *flow.packs[3:]]).packs.shape[0] == 8


def test_suppressed_spsti_is_left_out_of_pooling(flow):
    result = pool(flow.packs)
    supp = result.centres[result.centres["suppressed"].astype(bool)]
    for index, centre in zip(supp["index"], supp["centre"], strict=True):
        assert centre not in list(result.meta[(index, "c_harrell")].centres["label"])
        row = result.centres[(result.centres["index"] == index)
                             & (result.centres["centre"] == centre)].iloc[0]
        assert pd.isna(row["c_harrell"])
        assert pd.isna(row["n_events"])


def _tampered(src: Path, dst: Path, edit) -> Path:
    data = json.loads(src.read_text())
    edit(data)
    dst.write_text(json.dumps(data))
    return dst


def test_pool_refuses_tampered_incompatible_wrong_version_and_duplicate(flow, tmp_path):
    p1, p2, p3 = flow.packs[:3]

    def bump(d):
        d["indices"]["cox"]["measures"]["c_harrell"]["estimate"] = 0.99

    tampered = _tampered(p1, tmp_path / "t.json", bump)
    with pytest.raises(SummaryPackError, match="modified after") as err:
        pool([tampered, p2, p3])
    assert err.value.rule == "hash"

    def other_experiment(d):
        d["experiment"]["config_sha256"] = "0" * 64
        d["content_sha256"] = content_hash(d)

    other = _tampered(p1, tmp_path / "o.json", other_experiment)
    with pytest.raises(SummaryPackError, match="experiment") as err:
        pool([p2, p3, other])
    assert err.value.rule == "compatibility"

    def other_horizon(d):
        d["horizon_days"] = 730.0
        d["content_sha256"] = content_hash(d)

    with pytest.raises(SummaryPackError, match="horizon"):
        pool([p2, p3, _tampered(p1, tmp_path / "h.json", other_horizon)])

    def version(d):
        d["format_version"] = FORMAT_VERSION + 1
        d["content_sha256"] = content_hash(d)

    with pytest.raises(SummaryPackError, match="format version 2 is not supported") as err:
        pool([_tampered(p1, tmp_path / "v.json", version), p2, p3])
    assert err.value.rule == "version"
    with pytest.raises(SummaryPackError, match="SPSTI 'S001' is already given") as err:
        pool([p1, p2, p1])
    assert err.value.rule == "duplicate"
    not_a_pack = tmp_path / "x.json"
    not_a_pack.write_text('{"a": 1}')
    with pytest.raises(SummaryPackError, match="not a summary pack"):
        read_pack(not_a_pack)


def test_cli_exit_codes(flow, tmp_path):
    runner = CliRunner()
    p1, p2, p3 = map(str, flow.packs[:3])
    tampered = _tampered(flow.packs[0], tmp_path / "t.json",
                         lambda d: d["indices"]["logistic"].update(n=999999))
    res = runner.invoke(main, ["pool", str(tampered), p2, p3, "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "modified after" in res.output
    assert not (tmp_path / "o").exists()
    res = runner.invoke(main, ["pool", p1, p2, p1, "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "already given" in res.output
    res = runner.invoke(main, ["summarise", str(flow.cfg), "--spsti", "S099", "--models",
                               str(flow.run_dir / "models"), "--out", str(tmp_path / "s.json"),
                               "--cache", str(flow.root / "reports" / "packs" / "_cache")])
    assert res.exit_code == 2
    assert "S099" in res.output
    assert "S001" in res.output
    res = runner.invoke(main, ["summarise", str(flow.cfg), "--spsti", "S001", "--out",
                               str(tmp_path / "s.json"), "--cache",
                               str(flow.root / "reports" / "packs" / "_cache")])
    assert res.exit_code == 2
    assert "models" in res.output
    assert not (tmp_path / "s.json").exists()


def test_some_indices_only_and_packs_with_other_indices_are_not_pooled(flow, tmp_path):
    cache = str(flow.root / "reports" / "packs" / "_cache")
    res = CliRunner().invoke(main, ["summarise", str(flow.cfg), "--spsti", "S001", "--index",
                                    "logistic", "--models", str(flow.run_dir / "models"),
                                    "--out", str(tmp_path / "S001.json"), "--cache", cache])
    assert res.exit_code == 0, res.output
    pack = read_pack(tmp_path / "S001.json")
    assert pack.indices == ["logistic"]
    assert pack.data["experiment"]["indices"] == ["logistic"]
    with pytest.raises(SummaryPackError, match="indices"):
        pool([*flow.packs[1:], tmp_path / "S001.json"])
    res = CliRunner().invoke(main, ["summarise", str(flow.cfg), "--spsti", "S001", "--index",
                                    "logit", "--out", str(tmp_path / "x.json"), "--cache",
                                    cache])
    assert res.exit_code == 2
    assert "'logit'" in res.output


def test_pooled_result_plots_and_summary(flow):
    from matplotlib.figure import Figure

    result = pool(flow.packs)
    fig = result.plot("logistic", "oe_ratio")
    assert isinstance(fig, Figure)
    assert fig.axes
    text = result.summary().as_text()
    assert "c_harrell" in text
    assert "logistic" in text
    with pytest.raises(ValueError, match="no pooled result"):
        result.plot("logistic", "nri")
    display = result.plot_calibration("cox")
    drawn = display.to_frame()
    assert display.figure_.axes
    assert set(drawn["element"]) <= {"centre", "pooled"}
    # only published bins are drawn, each with its published count
    assert drawn["n"].notna().all()


def test_summary_pack_from_arrays_suppresses_linked_small_cells():
    """Library level: a centre with 8 events has its estimates withheld; bins under the
    threshold are suppressed with a complement so that the total cannot give them back."""
    rng = np.random.default_rng(1)
    n = 600
    risk = rng.uniform(0.001, 0.3, n)
    time = rng.uniform(1, 800, n)
    cause = (rng.uniform(size=n) < risk).astype(int)
    y = CompetingRisks(time, cause, event_of_interest=1)
    pack = summary_pack(y, {"m": risk}, spsti="A", horizon=365.0)
    assert isinstance(pack, SummaryPack)
    cal = pd.DataFrame(pack.data["indices"]["m"]["calibration"])
    hidden = cal["n_events"].isna().sum()
    assert hidden != 1  # a single hidden cell would be the total minus the others
    assert audit_tables(pack.tables()).clean
    few = CompetingRisks(time, np.where(np.arange(n) < 8, 1, 0), event_of_interest=1)
    small = summary_pack(few, {"m": risk}, spsti="B", horizon=1000.0)
    part = small.data["indices"]["m"]
    assert part["suppressed"]
    assert part["n_events"] is None
    assert all(v["estimate"] is None for v in part["measures"].values())
    assert part["net_benefit"] == []
    assert part["case_mix"] is None
