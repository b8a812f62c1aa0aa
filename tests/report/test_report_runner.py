"""The step runner: computation failures recorded, other errors stop a run that keeps its folder.

Small runs of one tiny experiment (2,000 synthetic workers, cached extract) where one step is
made to fail in a chosen way; the rest of the report must be produced (computation failures)
or the run must stop with everything it computed kept and marked incomplete (other errors).
The command line must give the documented exit code and no traceback.
"""

from __future__ import annotations

import html as html_lib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import irdp.pipeline._models as pipeline_models
import irdp.pipeline._run as pipeline_run
from irdp.cli import main
from irdp.cli._errors import EXIT_CODES
from irdp.exceptions import ExtractError, InsufficientDataError, IrdpWarning
from irdp.pipeline import RunStoppedError, run_experiment

CONFIG = {
    "name": "tiny",
    "seed": 3,
    "extract": {"synthetic": {"n_workers": 2000, "n_spsti": 3, "start": "2016-01-01",
                              "end": "2024-12-31", "seed": 2}},
    "cohort": {"index": {"kind": "first_visit", "start": "2018-01-01", "end": "2023-12-31"},
               "extract_end": "2024-12-31", "horizon": {"months": 24}},
    "indices": [{"name": "logistic", "kind": "logistic",
                 "features": ["age", "sex", "sl_days_24m", "rqth"]},
                {"name": "cox", "kind": "cox", "features": ["age", "sex", "sl_days_24m"]}],
    "validation": {"holdout": {"by": "spsti", "spsti": ["S003"]}, "bootstrap": {"n_boot": 0},
                   "iecv": {"by": []}, "measures": ["c", "oe"], "compare_n_boot": 2},
    "fairness": {"groups": ["sex"], "n_boot": 0},
    "report": {"service_groups": ["spsti_id"]},
}


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """Shared reports root: the synthetic extract is generated once, in its _cache."""
    root = tmp_path_factory.mktemp("runner")
    (root / "tiny.yaml").write_text(yaml.safe_dump(CONFIG), encoding="utf-8")
    return root


def _replace_step(monkeypatch, name, fn):
    steps = tuple((n, fn if n == name else f, s, d) for n, f, s, d in pipeline_run._STEPS)
    monkeypatch.setattr(pipeline_run, "_STEPS", steps)


def _cli(root, *args):
    result = CliRunner().invoke(main, [*args, "run", str(root / "tiny.yaml"), "--out",
                                       str(root / "reports"), "--quiet"])
    assert "Traceback" not in result.output
    return result


def _raise(err):
    def step(*args):
        raise err
    return step


#: One computation failure of each kind, in three steps of one run.
FAILING = {
    "calibration": InsufficientDataError("no event of cause 1 in the calibration data"),
    "decision_curves": np.linalg.LinAlgError("Singular matrix"),
    "fairness": FloatingPointError("overflow in exp"),
}
SECTIONS = {"calibration": "calibration", "decision_curves": "decision-curves",
            "fairness": "fairness"}


def test_computation_failures_are_recorded_and_the_report_goes_on(root, monkeypatch):
    for step, err in FAILING.items():
        _replace_step(monkeypatch, step, _raise(err))
    result = _cli(root)
    assert result.exit_code == 1, result.output
    report = Path(result.stdout.strip().splitlines()[-1])
    run_dir = report.parent
    tail = result.output[result.output.index(str(report)):]
    # the three injected failures (the tiny run may add its own, e.g. a model export withheld
    # because a cause has too few events for a confidential baseline)
    n_failed = int(re.search(r"(\d+) step\(s\) failed or were skipped", tail).group(1))
    assert n_failed >= 3
    prov = json.loads((run_dir / "provenance.json").read_text())
    assert prov["complete"] is True
    html = report.read_text(encoding="utf-8")
    for step, err in FAILING.items():
        kind = type(err).__name__
        # stated after the report path, in provenance.json and in the section
        assert f"  - {step}: could not be computed on these data: {kind}: {err}" in tail
        assert {"step": step, "part": "", "sections": list(
            ("fairness", "fairness-methods") if step == "fairness" else (SECTIONS[step],)),
            "reason": f"could not be computed on these data: {kind}: {err}",
            "error": kind} in prov["failures"]
        section = html[html.index(f'<section id="{SECTIONS[step]}">'):]
        section = html_lib.unescape(section[:section.index("</section>")])
        assert f"Not reported: the step '{step}' failed" in section
    # the steps after them ran
    assert (run_dir / "tables" / "sample_size.csv").exists()
    assert (run_dir / "tables" / "service_spsti_id.csv").exists()
    assert (run_dir / "tables" / "comparison_indices.csv").exists()
    assert not (run_dir / "failure.json").exists()


def test_an_index_that_cannot_be_fitted_does_not_stop_the_others(root, monkeypatch):
    """As the cause-specific Cox of 3,000 workers in 4 SPSTI (FloatingPointError)."""
    fit = pipeline_models._fit_index

    def fit_or_fail(st, idx):
        if idx.name == "cox":
            raise FloatingPointError("predict_risk produced non-finite values")
        fit(st, idx)

    monkeypatch.setattr(pipeline_models, "_fit_index", fit_or_fail)
    res = run_experiment(root / "tiny.yaml", out=root / "reports", progress=False)
    assert [(f.step, f.part, f.error) for f in res.failures] == [
        ("models", "index cox (cox)", "FloatingPointError")]
    assert (res.run_dir / "models" / "logistic.json").exists()
    assert not (res.run_dir / "models" / "cox.json").exists()
    perf = pd.read_csv(res.run_dir / "tables" / "performance.csv")
    assert set(perf["index"]) == {"logistic"}


def test_steps_needing_a_failed_step_are_skipped_and_said_so(root, monkeypatch):
    monkeypatch.setattr(pipeline_models, "_fit_index",
                        _raise(InsufficientDataError("too few events")))
    res = run_experiment(root / "tiny.yaml", out=root / "reports", progress=False)
    steps = [f.step for f in res.failures]
    assert steps[:3] == ["models", "models", "models"]  # two indices, then the step
    for later in ("performance", "calibration", "updating", "sample_size", "service"):
        assert later in steps
        assert later in res.unavailable
        assert "models step did not produce" in res.unavailable[later]
    prov = json.loads(res.provenance_path.read_text())
    assert len(prov["failures"]) == len(res.failures)


@pytest.mark.parametrize(("err", "code", "cause"), [
    (ValueError("risk must be in [0, 1]"), 5, ValueError),
    (TypeError("unsupported operand"), 5, TypeError),
    (ExtractError("visit.csv row 12: bad date"), 3, ExtractError),
], ids=["input-error", "bug", "extract-error"])
def test_other_errors_stop_the_run_which_keeps_its_folder(root, monkeypatch, err, code, cause):
    _replace_step(monkeypatch, "events", _raise(err))
    with pytest.raises(RunStoppedError) as info:
        run_experiment(root / "tiny.yaml", out=root / "reports", progress=False,
                       run_id=f"stopped-{cause.__name__}")
    assert isinstance(info.value.__cause__, cause)
    run_dir = info.value.run_dir
    assert info.value.step == "events"
    failure = json.loads((run_dir / "failure.json").read_text())
    assert failure["complete"] is False
    assert failure["step"] == "events"
    assert failure["error"] == cause.__name__
    assert any(str(err) in line for line in failure["traceback"])
    prov = json.loads((run_dir / "provenance.json").read_text())
    assert prov["complete"] is False
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "INCOMPLETE RUN: the run stopped in step &#39;events&#39;" in html
    assert (run_dir / "tables" / "table1_dev_val.csv").exists()  # what was computed is kept
    assert not (run_dir / "tables" / "events_per_analysis.csv").exists()  # not after it
    # on the command line: the documented exit code, a message, no traceback
    result = _cli(root)
    assert result.exit_code == code, result.output
    assert re.search(r"INCOMPLETE run kept in .*\(see failure\.json\)", result.output)
    assert str(err) in result.output


def test_traceback_on_request_for_a_bug(root, monkeypatch):
    _replace_step(monkeypatch, "events", _raise(TypeError("unsupported operand")))
    result = CliRunner().invoke(main, ["--traceback", "run", str(root / "tiny.yaml"), "--out",
                                       str(root / "reports"), "--quiet"])
    assert isinstance(result.exception, RunStoppedError)
    assert isinstance(result.exception.__cause__, TypeError)


def test_interrupted_run_keeps_its_folder(root, monkeypatch):
    _replace_step(monkeypatch, "events", _raise(KeyboardInterrupt()))
    before = set((root / "reports" / "tiny").glob("*"))
    with pytest.raises(KeyboardInterrupt):
        run_experiment(root / "tiny.yaml", out=root / "reports", progress=False)
    new = set((root / "reports" / "tiny").glob("*")) - before
    (run_dir,) = new
    assert json.loads((run_dir / "failure.json").read_text())["error"] == "KeyboardInterrupt"
    assert json.loads((run_dir / "provenance.json").read_text())["complete"] is False
    result = _cli(root)
    assert result.exit_code == 130
    assert EXIT_CODES[130].startswith("interrupted")


def test_an_identifier_in_an_output_is_withheld_never_printed(root, monkeypatch):
    from irdp.pipeline._data import _step_events

    def leaky_events(st):
        _step_events(st)
        worker = sorted(st.identifiers)[0]
        st.report.add_text("events", f"first worker: {worker}")

    _replace_step(monkeypatch, "events", leaky_events)
    result = _cli(root)
    assert result.exit_code == 4, result.output
    run_dir = Path(result.stdout.strip().splitlines()[-1]).parent
    assert not (run_dir / "report.html").exists()
    assert (run_dir / "withheld" / "report.html").exists()
    reasons = json.loads((run_dir / "withheld" / "reasons.json").read_text())
    assert reasons["files"] == {
        "report.html": ["identifier (identifier scan): an identifier value of the extract"]}
    assert reasons["policy"]["min_count"] == 11
    prov = json.loads((run_dir / "provenance.json").read_text())
    assert prov["identifier_scan"]["withheld"] == ["report.html"]
    html = (run_dir / "withheld" / "report.html").read_text()
    ids = set(re.findall(r"\b[EW]\d{8,9}\b", html))
    assert ids
    assert not any(i in result.output for i in ids)
    assert not any(i in (run_dir / "withheld" / "reasons.json").read_text() for i in ids)


def test_invalid_extract_is_refused_before_any_run_folder(root, tmp_path):
    cache = next((root / "reports" / "tiny" / "_cache").glob("extract-*"))
    bad = tmp_path / "bad"
    shutil.copytree(cache, bad)
    (bad / "exit.parquet").unlink()
    cfg = {**CONFIG, "extract": {"path": str(bad)}}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(path), "--out", str(tmp_path / "r"),
                                       "--quiet"])
    assert result.exit_code == 3, result.output
    assert result.output.startswith("Error: invalid extract")
    assert "Traceback" not in result.output
    assert not (tmp_path / "r" / "tiny").exists()


def test_points_score_collapsed_predictor_warns():
    """A predictor whose quantile cut-points all equal its minimum is one [-inf, inf) bin."""
    from irdp.pipeline._models import _warn_collapsed

    table = pd.DataFrame({
        "column": ["age", "age", "sl_days_24m", "sex"],
        "category": ["[-inf, 40)", "[40, inf)", "[-inf, inf)", "F"],
        "lower": [-np.inf, 40, -np.inf, np.nan], "upper": [40, np.inf, np.inf, np.nan],
        "value": [30, 50, 0, "F"], "contribution": [0.0, 0.4, 0.0, 0.0], "points": [0, 3, 0, 0]})
    with pytest.warns(IrdpWarning, match=r"points score P: 1 predictor\(s\) collapse to a "
                      r"single category \[-inf, inf\) with 0 points .*\(sl_days_24m\)"):
        _warn_collapsed("P", table)
