"""End to end: `irdp run` on a small synthetic extract.

One module-scoped pair of runs of the same configuration (n_jobs 1 and 2) feeds every test:
valid self-contained HTML with every TRIPOD+AI section, disclosure control of every exported
table, no identifier in any file, byte-identical tables, provenance, exported models.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import html5lib
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from irdp.cli import main
from irdp.models import load
from irdp.pipeline import run_experiment
from irdp.report import SECTIONS, TRIPOD_ITEMS, scan_identifiers

PREDICTORS = ["age", "sex", "sl_days_24m", "dx_msk_24m", "rqth", "company_size",
              "prev_amenagement_ever"]
CONFIG = {
    "name": "tiny",
    "seed": 11,
    "extract": {"synthetic": {"n_workers": 12000, "n_spsti": 3, "start": "2016-01-01",
                              "end": "2024-12-31", "seed": 5}},
    "cohort": {"index": {"kind": "first_visit", "start": "2018-01-01", "end": "2023-12-31"},
               "extract_end": "2024-12-31", "horizon": {"months": 24}},
    "indices": [{"name": "logistic", "kind": "logistic", "features": PREDICTORS},
                {"name": "cox", "kind": "cox", "features": PREDICTORS}],
    "validation": {"holdout": {"by": "period", "cutoff": "2021-06-01"},
                   "bootstrap": {"n_boot": 3}, "iecv": {"by": ["spsti"]},
                   "measures": ["c", "calibration_slope", "citl", "oe", "brier", "ipa"],
                   "compare_n_boot": 5},
    "fairness": {"groups": ["sex", "company_size", "spsti_id"], "n_boot": 5},
    "completeness": {"fields": ["sl_days_24m"], "rates": [0.0, 0.5], "n_repeats": 1},
    "report": {"min_count": 11},
}

COUNT_COLUMN = re.compile(r"^(n|rows|workers|events.*|n_(?!resamples|repeats|boot).*|"
                          r"excluded_.*|.*: n|competing_by_horizon|censored_before_horizon|"
                          r"available_n)$")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    cfg = root / "tiny.yaml"
    cfg.write_text(yaml.safe_dump(CONFIG))
    a = run_experiment(cfg, out=root / "reports", progress=False, n_jobs=1, run_id="a")
    # the second run goes through the command line, with another number of jobs
    result = CliRunner().invoke(main, ["run", str(cfg), "--out", str(root / "reports"),
                                       "--n-jobs", "2", "--quiet"])
    # the closed testing procedure cannot run (a predictor is constant in the validation
    # data): the report is written, the failed steps are listed after its path, exit code 1
    assert result.exit_code == 1, result.output
    report = Path(result.stdout.strip().splitlines()[-1])
    assert report.name == "report.html"
    b = SimpleNamespace(run_dir=report.parent, report_path=report,
                        provenance_path=report.parent / "provenance.json",
                        output=result.output)
    return a, b


def test_report_is_valid_self_contained_html(runs):
    html = runs[0].report_path.read_text(encoding="utf-8")
    doc = html5lib.HTMLParser(strict=True).parse(html)
    imgs = doc.findall(".//{http://www.w3.org/1999/xhtml}img")
    assert imgs, "the report has figures"
    for img in imgs:
        assert re.match(r"data:image/(png|svg\+xml);base64,", img.get("src"))
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert not re.search(r"<link\b", html)


def test_every_tripod_section_and_item(runs):
    html = runs[0].report_path.read_text(encoding="utf-8")
    for s in SECTIONS:
        assert f'<section id="{s.id}">' in html, s.id
    checklist = pd.read_csv(runs[0].run_dir / "tables" / "tripod_ai_checklist.csv", dtype=str)
    assert checklist["item"].tolist() == [i.item for i in TRIPOD_ITEMS]
    status = checklist.set_index("item")["status"]
    for item in ("5a", "5b", "6a", "6b", "8a", "9b", "10", "12a", "12c", "12d", "20a", "20b",
                 "21", "22", "23b"):
        assert status[item] == "answered", (item, status[item])


def test_disclosure_control_of_every_table(runs):
    _check_disclosure(runs[0].run_dir)


def _check_disclosure(run_dir):
    """Every count column of every CSV holds 0, a value >= 11 or the mark '<11'."""
    for path in sorted((run_dir / "tables").glob("*.csv")):
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        for col in table.columns:
            if not COUNT_COLUMN.match(col):
                continue
            for cell in table[col]:
                if cell in ("", "<11", "[c]"):
                    continue
                value = float(cell)
                assert value == 0 or value >= 11, (path.name, col, cell)


def test_no_identifier_in_any_file(runs):
    extract = next((runs[0].run_dir.parent / "_cache").glob("extract-*"))
    ids = set(pq.read_table(extract / "worker.parquet", columns=["worker_id"])
              .column(0).to_pylist())
    ids |= set(pq.read_table(extract / "company.parquet", columns=["company_id"])
               .column(0).to_pylist())
    assert len(ids) > 12000
    for run in runs:
        assert scan_identifiers(run.run_dir, ids) == []


def test_same_seed_same_tables_whatever_n_jobs(runs):
    a, b = (sorted((r.run_dir / "tables").glob("*.csv")) for r in runs)
    assert [p.name for p in a] == [p.name for p in b]
    for pa, pb in zip(a, b, strict=True):
        assert pa.read_bytes() == pb.read_bytes(), pa.name
    for pa in sorted((runs[0].run_dir / "models").glob("*.json")):
        assert pa.read_bytes() == (runs[1].run_dir / "models" / pa.name).read_bytes()


def test_provenance_and_models(runs):
    prov = json.loads(runs[0].provenance_path.read_text())
    assert re.fullmatch(r"[0-9a-f]{64}", prov["configuration"]["canonical_sha256"])
    assert re.fullmatch(r"[0-9a-f]{64}", prov["extract"]["sha256"])
    assert set(prov["extract"]["files"]) >= {"worker.parquet", "visit.parquet"}
    assert prov["seeds"] == {"experiment": 11, "synthetic_extract": 5}
    assert prov["packages"]["numpy"]
    assert prov["timings_seconds"]["models"] >= 0
    for name in ("logistic", "cox"):
        spec = json.loads((runs[0].run_dir / "models" / f"{name}.json").read_text())
        model = load(spec)
        assert list(model.coef_.index)


def test_failures_are_stated_everywhere(runs):
    """A failed step is in provenance.json, in its section and on the command line."""
    a, b = runs
    prov = json.loads(a.provenance_path.read_text())
    assert prov["complete"] is True
    failures = prov["failures"]
    assert [f["part"] for f in failures] == [f.part for f in a.failures]
    assert {f["part"] for f in failures} == {"closed testing procedure of logistic",
                                             "closed testing procedure of cox"}
    assert all(f["sections"] == ["updating"] for f in failures)
    assert all("constant in the validation data" in f["reason"] for f in failures)
    html = a.report_path.read_text(encoding="utf-8")
    updating = html[html.index('<section id="updating">'):]
    updating = updating[:updating.index("</section>")]
    assert updating.count("Not reported: the step") == 2
    # on the command line: after the report path, one line per failed step
    out = b.output
    tail = out[out.index(str(b.report_path)):]
    assert "2 step(s) failed or were skipped" in tail
    assert "updating (closed testing procedure of logistic)" in tail
    assert not (a.run_dir / "failure.json").exists()
    assert prov["identifier_scan"]["withheld"] == []
    assert prov["identifier_scan"]["searched"] > 12000


def test_report_tells_the_truth(runs):
    """Objective and options from the configuration; predictors in Table 1 and missing data;
    the sample size compared with Riley's criteria in words."""
    html = runs[0].report_path.read_text(encoding="utf-8")
    assert "existing questionnaires" not in html  # there is none in this experiment
    assert "Objective (3c): to develop 2 candidate index(es) (logistic; cox)" in html
    assert "with options {}" not in html
    assert "logistic regression (irdp LogisticIndex) with irdp&#39;s default options" in html
    # index kinds and predictors in words, not code names
    assert "(logistic regression)" in html
    assert "(Cox proportional hazards model)" in html
    assert "(logistic), fitted" not in html
    assert "(cox), fitted" not in html
    assert "Predictors: age," not in html
    assert "Predictors: Age at index; Sex" in html
    tables = runs[0].run_dir / "tables"
    t1 = pd.read_csv(tables / "table1_dev_val.csv", dtype=str, keep_default_na=False)
    assert set(PREDICTORS) <= set(t1["variable"])
    miss = pd.read_csv(tables / "missing_by_spsti.csv", dtype=str, keep_default_na=False)
    assert miss["variable"].tolist() == PREDICTORS
    assert (miss["indices"] == "logistic, cox").all()
    assert re.search(r"The development data hold (only )?[\d,]+ participants, (above this "
                     r"minimum|\d+% of this minimum)", html)
    assert re.search(r"The validation data hold (only )?[\d,]+ participants", html)
    assert (runs[0].run_dir / "quality_report.txt").read_text().startswith("irdp data")


def test_cli_run_config_error_is_clear(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nextract: {synthetic: {}}\nindices: []\nsed: 1\n")
    result = CliRunner().invoke(main, ["run", str(path)])
    assert result.exit_code != 0
    assert "sed: unknown key. Did you mean 'seed'?" in result.output


def test_demo_command_on_a_small_extract(tmp_path):
    """`irdp demo` (experiments/demo.yaml) end to end, shrunk: disclosure and identifiers."""
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path), "--workers", "16000",
                                       "--spsti", "8", "--quiet"])
    # on so few workers some steps cannot be computed (e.g. a refit in a small held-out
    # set): the report is written and every failed step is listed after its path
    assert result.exit_code in (0, 1, 4), result.output
    report = Path(result.stdout.strip().splitlines()[-1])
    run_dir = report.parent
    assert run_dir.parent == tmp_path / "demo"  # reports/demo/<run-id>/, as the README says
    tail = result.output[result.output.index(str(report)):]
    failures = json.loads((run_dir / "provenance.json").read_text())["failures"]
    assert (result.exit_code == 1) == bool(failures) or result.exit_code == 4
    for f in failures:
        assert f"{f['step']} ({f['part']})" in tail
    # the main cause of miscalibration across SPSTI is said: WAI is recorded in 2 SPSTI only
    html = report.read_text(encoding="utf-8")
    missing = html[html.index('<section id="missing">'):]
    missing = missing[:missing.index("</section>")]
    assert "wai_total: missing for" in missing
    assert "never recorded in SPSTI" in missing
    assert "(recorded in S005, S006)" in missing
    csc = pd.read_csv(run_dir / "tables" / "coefficients_csc.csv")
    assert csc["cause"].nunique() >= 3  # every cause's model, not only cause 1
    for name in ("points_points.csv", "points_risk_points.csv"):  # points print as integers
        points = pd.read_csv(run_dir / "tables" / name, dtype=str)["points"]
        assert points.str.fullmatch(r"-?\d+").all(), points.tolist()
    html = report.read_text(encoding="utf-8")
    html5lib.HTMLParser(strict=True).parse(html)
    for s in SECTIONS:
        assert f'<section id="{s.id}">' in html, s.id
    _check_disclosure(run_dir)
    extract = next((run_dir.parent / "_cache").glob("extract-*"))
    ids = set(pq.read_table(extract / "worker.parquet", columns=["worker_id"])
              .column(0).to_pylist())
    ids |= set(pq.read_table(extract / "company.parquet", columns=["company_id"])
               .column(0).to_pylist())
    assert scan_identifiers(run_dir, ids) == []
    assert (run_dir / "quality_report.txt").exists()  # scanned with the rest of the run
