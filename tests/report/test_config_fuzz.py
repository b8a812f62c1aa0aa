"""Configuration fuzz suite: broken copies of experiments/demo.yaml (issue 14).

Every corruption goes through ``load_experiment`` and through ``irdp run``; each has its
expected outcome asserted: the typed error, the key path and rule of its message (with "did
you mean" where a name is close), exit code 2 on the command line without a traceback, and
nothing computed (no run or cache folder created). The configuration file (and the extract
where one is used) is hashed before and after every case: nothing is ever modified.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from irdp.cli import main
from irdp.exceptions import ExperimentConfigError
from irdp.experiment import load_experiment
from irdp.features import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
DEMO = yaml.safe_load((ROOT / "experiments" / "demo.yaml").read_text(encoding="utf-8"))
PREDICTORS = DEMO["indices"][0]["features"]
NOT_A_PREDICTOR = next(n for n in REGISTRY if n not in PREDICTORS)

Edit = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Edit:
    """Set (or, with ``_DEL``, delete) the value at a dotted path (list items by number)."""
    def edit(data: dict[str, Any]) -> None:
        keys = path.split(".")
        node: Any = data
        for k in keys[:-1]:
            node = node[int(k)] if isinstance(node, list) else node.setdefault(k, {})
        last = int(keys[-1]) if isinstance(node, list) else keys[-1]
        if value is _DEL:
            del node[last]
        else:
            node[last] = value
    return edit


def _rename(path: str, new: str) -> Edit:
    """Rename the last key of a dotted path (a typo in a key)."""
    def edit(data: dict[str, Any]) -> None:
        *parents, old = path.split(".")
        node = data
        for k in parents:
            node = node[k]
        node[new] = node.pop(old)
    return edit


def _both(*edits: Edit) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        for e in edits:
            e(data)
    return edit


_DEL = object()

#: (case id, corruption, regular expressions every one of which must match the message)
CASES: list[tuple[str, Edit, list[str]]] = [
    # ---- the cohort block (issue 14: found only when the cohort was built, or never)
    ("cohort-key-horizon.month", _rename("cohort.horizon.months", "month"),
     [r"cohort\.horizon\.month: unknown key\. Did you mean 'months'\?"]),
    ("cohort-key-eligibilty", _rename("cohort.eligibility", "eligibilty"),
     [r"cohort\.eligibilty: unknown key\. Did you mean 'eligibility'\?"]),
    ("cohort-key-horizn", _rename("cohort.horizon", "horizn"),
     [r"cohort\.horizn: unknown key\. Did you mean 'horizon'\?"]),
    ("horizon-negative", _set("cohort.horizon.months", -12),
     [r"cohort\.horizon\.months: must be positive; found -12"]),
    ("horizon-zero", _set("cohort.horizon.months", 0),
     [r"cohort\.horizon\.months: must be positive; found 0"]),
    ("horizon-months-and-days", _set("cohort.horizon.days", 365),
     [r"cohort\.horizon: needs exactly one of 'months' and 'days'; found both"]),
    ("horizon-float-days", _set("cohort.horizon", {"days": 365.5}),
     [r"cohort\.horizon\.days: must be an integer; found float 365\.5"]),
    ("outcome-unknown", _set("cohort.outcome", {"conclusions": ["INAPTITUDE"]}),
     [r"cohort\.outcome\.conclusions\[0\]: unknown code 'INAPTITUDE'\. Did you mean "
      r"'INAPTE'\?"]),
    ("competing-unknown", _set("cohort.competing", ["RETIREMENT", "DECES"]),
     [r"cohort\.competing\[0\]: unknown code 'RETIREMENT'\. Did you mean 'RETRAITE'\?"]),
    ("date-month-13", _set("cohort.index.start", "2018-13-01"),
     [r"cohort\.index\.start: must be a date YYYY-MM-DD; found str '2018-13-01'"]),
    ("start-after-end", _set("cohort.index.start", "2024-06-01"),
     [r"cohort\.index\.start: \(2024-06-01\) must not be after index\.end \(2023-12-31\)"]),
    ("age-min-above-max", _set("cohort.eligibility.age_min", 70),
     [r"cohort\.eligibility\.age_min: \(70\) must not exceed eligibility\.age_max \(67\)"]),
    ("extract-end-before-window", _set("cohort.extract_end", "2017-06-30"),
     [r"cohort\.extract_end: \(2017-06-30\) is not after index\.start \(2018-01-01\)",
      r"cohort\.index\.end: \(2023-12-31\) is after extract_end"]),
    ("visit-type-REPRISES", _set("cohort.index", {"kind": "visit",
                                                  "visit_types": ["REPRISES"]}),
     [r"cohort\.index\.visit_types\[0\]: unknown code 'REPRISES'\. Did you mean "
      r"'REPRISE'\?"]),
    ("index-kind", _set("cohort.index.kind", "calendar"),
     [r"cohort\.index\.kind: must be one of \['visit', 'landmark', 'first_visit'\]"]),
    ("cohort-absent", _set("cohort", _DEL), [r"cohort: required key is missing"]),
    ("cohort-file-absent", _set("cohort", "cohorts/nope.yaml"), [r"cohort: file not found"]),
    ("cohort-a-list", _set("cohort", [1, 2]), [r"cohort: must be"]),
    # ---- feature names (found after 5-28 s of computation before)
    ("feature-agee", _set("indices.0.features.0", "agee"),
     [r"indices\[0\]\.features\[0\]: no feature named 'agee' in the registry\. Did you mean "
      r"'age'\?"]),
    ("feature-wai_totl", _set("indices.0.features.13", "wai_totl"),
     [r"indices\[0\]\.features\[13\]: no feature named 'wai_totl'.*Did you mean "
      r"'wai_total'\?"]),
    ("include-typo", _set("features.include", ["healt"]),
     [r"features\.include\[0\]: 'healt' is neither a feature nor a family.*Did you mean "
      r"'health'\?"]),
    ("include-bad-string", _set("features.include", "some"),
     [r"features\.include: must be 'all' or a list"]),
    ("exclude-a-predictor", _set("features.exclude", ["age"]),
     [r"indices\[0\]\.features\[0\]: feature 'age' is left out by features\.include/exclude"]),
    # ---- completeness, fairness, groups
    ("completeness-field-typo", _set("completeness.fields", ["wai_totl"]),
     [r"completeness\.fields\[0\]: no feature named 'wai_totl'.*Did you mean 'wai_total'"]),
    ("completeness-not-a-predictor", _set("completeness.fields", [NOT_A_PREDICTOR]),
     [rf"completeness\.fields\[0\]: '{NOT_A_PREDICTOR}' is not a predictor of 'logistic'"]),
    ("completeness-mechanism", _set("completeness.mechanism", "MNAR"),
     [r"completeness\.mechanism: must be one of"]),
    ("completeness-rate", _set("completeness.rates", [0.0, 1.5]),
     [r"completeness\.rates\[1\]: must be in \[0, 1\); found 1\.5"]),
    ("completeness-repeats", _set("completeness.n_repeats", 0),
     [r"completeness\.n_repeats: must be >= 1; found 0"]),
    ("fairness-n_boot", _set("fairness.n_boot", -5),
     [r"fairness\.n_boot: must be >= 0 \(0: no bootstrap CIs\); found -5"]),
    ("fairness-group", _set("fairness.groups", ["sex", "gender"]),
     [r"fairness\.groups\[1\]: 'gender' is neither a cohort column"]),
    ("service-group", _set("report.service_groups", ["naf_secton"]),
     [r"report\.service_groups\[0\]: 'naf_secton' is neither.*Did you mean 'naf_section'\?"]),
    # ---- validation design and measures
    ("measure-typo", _set("validation.measures", ["c", "icii"]),
     [r"validation\.measures\[1\]: unknown measure 'icii'\. Did you mean 'ici'\?"]),
    ("holdout-spsti-empty", _set("validation.holdout.spsti", []),
     [r"validation\.holdout\.spsti: list the SPSTI held out"]),
    ("holdout-by", _set("validation.holdout.by", "random"),
     [r"validation\.holdout\.by: must be one of \['none', 'period', 'spsti'\]"]),
    ("holdout-cutoff-unused", _set("validation.holdout.cutoff", "2021-01-01"),
     [r"validation\.holdout\.cutoff: only used when holdout\.by is 'period'"]),
    ("bootstrap-n_boot", _set("validation.bootstrap.n_boot", -1),
     [r"validation\.bootstrap\.n_boot: must be >= 0; found -1"]),
    ("bootstrap-index", _set("validation.bootstrap.indices", ["logit"]),
     [r"validation\.bootstrap\.indices\[0\]: names no index.*Did you mean 'logistic'\?"]),
    ("iecv-by", _set("validation.iecv.by", ["centre"]),
     [r"validation\.iecv\.by\[0\]: must be one of \['spsti', 'period'\]"]),
    ("iecv-periods", _set("validation.iecv.n_periods", 1),
     [r"validation\.iecv\.n_periods: must be >= 2; found 1"]),
    ("thresholds", _set("validation.thresholds", [0.5, 1.5]),
     [r"validation\.thresholds\[1\]: must be in \(0, 1\); found 1\.5"]),
    ("compare-n_boot", _set("validation.compare_n_boot", -3),
     [r"validation\.compare_n_boot: must be >= 2 \(paired bootstrap resamples.*found -3"]),
    ("risk-levels", _set("risk_levels.cutoffs", [0.02, 0.005]),
     [r"risk_levels\.cutoffs: must be two increasing values"]),
    # ---- indices
    ("index-kind-coxph", _set("indices.1.kind", "coxph"),
     [r"indices\[1\]\.kind: must be one of .*Did you mean 'cox'\?"]),
    ("points-base", _set("indices.3.base", "csc"),
     [r"indices\[3\]\.base: must name a logistic or cox index listed before it"]),
    ("duplicate-index", _set("indices.1.name", "logistic"),
     [r"indices\[1\]\.name: duplicate index name 'logistic'"]),
    ("questionnaire-no-instrument", _set("indices.3", {"name": "wai", "kind": "questionnaire"}),
     [r"indices\[3\]\.instrument: required for kind 'questionnaire'"]),
    ("column-file-absent", _set("indices.3", {"name": "ext", "kind": "column",
                                              "file": "risks_nowhere.csv", "column": "risk"}),
     [r"indices\[3\]\.file: file not found"]),
    # ---- top level, extract, report
    ("top-key-typo", _rename("report", "reprot"),
     [r"reprot: unknown key\. Did you mean 'report'\?"]),
    ("seed-text", _set("seed", "x"), [r"seed: must be an integer; found str 'x'"]),
    ("n_jobs-zero", _set("n_jobs", 0), [r"n_jobs: must be a positive integer or -1"]),
    ("name", _set("name", "Demo!"), [r"name: must match"]),
    ("extract-both", _set("extract.path", "."),
     [r"extract: give exactly one of 'path'.*or 'synthetic'"]),
    ("synthetic-size", _set("extract.synthetic.n_workers", 10),
     [r"extract\.synthetic\.n_workers: must be >= 100; found 10"]),
    ("min-count", _set("report.min_count", 0), [r"report\.min_count: must be >= 1; found 0"]),
    ("anticipated-c", _set("sample_size.anticipated_c", 0.4),
     [r"sample_size\.anticipated_c: must be in \(0\.5, 1\); found 0\.4"]),
    # ---- several problems at once: all listed
    ("five-at-once", _both(_rename("cohort.horizon.months", "month"),
                           _set("indices.0.features.0", "agee"),
                           _set("fairness.n_boot", -5),
                           _set("validation.measures", ["icii"]),
                           _set("cohort.competing", ["RETIREMENT"])),
     # the feature list is a YAML anchor shared by three indices: 8 problems in all
     [r"8 problem\(s\)", r"cohort\.horizon\.month", r"indices\[0\]\.features\[0\]",
      r"fairness\.n_boot", r"validation\.measures\[0\]", r"cohort\.competing\[0\]"]),
]


def _digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            h.update(f.as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def _write(tmp_path: Path, edit: Edit) -> Path:
    data = copy.deepcopy(DEMO)
    edit(data)
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path


def test_enough_cases():
    assert len(CASES) >= 40
    assert len({c[0] for c in CASES}) == len(CASES)


def test_the_demo_itself_is_valid():
    cfg = load_experiment(ROOT / "experiments" / "demo.yaml")
    assert cfg.name == "demo"


@pytest.mark.parametrize(("case", "edit", "patterns"), CASES, ids=[c[0] for c in CASES])
def test_corruption_refused_at_load(tmp_path, case, edit, patterns):
    path = _write(tmp_path, edit)
    before = _digest(path)
    with pytest.raises(ExperimentConfigError) as info:
        load_experiment(path)
    message = str(info.value)
    for pattern in patterns:
        assert re.search(pattern, message), (case, pattern, message)
    assert message.startswith(f"{path}: ")
    assert _digest(path) == before


@pytest.mark.parametrize(("case", "edit", "patterns"), CASES, ids=[c[0] for c in CASES])
def test_corruption_refused_by_irdp_run(tmp_path, case, edit, patterns):
    """Exit code 2, the problem named, no traceback, nothing computed or written."""
    path = _write(tmp_path, edit)
    before = _digest(path)
    out = tmp_path / "reports"
    result = CliRunner().invoke(main, ["run", str(path), "--out", str(out), "--quiet"])
    assert result.exit_code == 2, (case, result.output)
    assert "Traceback" not in result.output
    assert result.output.startswith("Error: ")
    assert patterns[0].split(":")[0].replace("\\", "") in result.output
    assert not out.exists()  # refused before anything was generated, read or written
    assert _digest(path) == before


def test_yaml_syntax_error_and_missing_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: demo\nindices: [unclosed\n", encoding="utf-8")
    for args in (["run", str(bad)], ["run", str(tmp_path / "absent.yaml")]):
        result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "r"), "--quiet"])
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
    assert "invalid YAML" in CliRunner().invoke(main, ["run", str(bad)]).output


def test_column_file_without_its_columns(tmp_path):
    (tmp_path / "risks.csv").write_text("worker_id,index_date,risk_12m\n", encoding="utf-8")
    path = _write(tmp_path, _set("indices.3", {"name": "ext", "kind": "column",
                                               "file": "risks.csv", "column": "risk"}))
    with pytest.raises(ExperimentConfigError, match=r"indices\[3\]\.file: must have the "
                       r"columns worker_id, index_date, risk; risk absent \(found: worker_id, "
                       r"index_date, risk_12m\)\. Did you mean 'risk_12m'\?"):
        load_experiment(path)


@pytest.fixture(scope="module")
def tiny_extract(tmp_path_factory):
    """A small contract-valid extract of 2 SPSTI (S001, S002)."""
    from irdp.synth import generate_dmst

    folder = tmp_path_factory.mktemp("extract")
    generate_dmst(300, n_spsti=2, seed=1, out=folder)
    return folder


@pytest.mark.parametrize(("case", "edit", "key"), [
    ("holdout-S099", _set("validation.holdout.spsti", ["S001", "S099"]),
     r"validation.holdout.spsti[1]: SPSTI 'S099' is not in the extract"),
    ("eligibility-S099", _set("cohort.eligibility.spsti", ["S099"]),
     r"cohort.eligibility.spsti[0]: SPSTI 'S099' is not in the extract"),
])
def test_spsti_checked_against_the_extract_as_soon_as_it_is_read(tmp_path, tiny_extract,
                                                                    case, edit, key):
    path = _write(tmp_path, _both(_set("extract", {"path": str(tiny_extract)}), edit))
    before = _digest(path, tiny_extract)
    out = tmp_path / "reports"
    result = CliRunner().invoke(main, ["run", str(path), "--out", str(out), "--quiet"])
    assert result.exit_code == 2, result.output
    assert key in result.output
    assert "2 SPSTI are S001, S002" in result.output
    assert "development set is empty" not in result.output
    assert "Traceback" not in result.output
    assert not (out / "demo").exists()  # no run folder: nothing was computed
    assert _digest(path, tiny_extract) == before


def test_features_command_with_a_cohort_key_typo(tmp_path, tiny_extract):
    """`irdp features` with `horizn` in the cohort file: a typed error, exit code 2."""
    cohort = tmp_path / "c.yaml"
    cohort.write_text("name: c\nindex: {kind: first_visit}\nextract_end: 2024-12-31\n"
                      "horizn: {months: 12}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["features", "--extract", str(tiny_extract), "--cohort",
                                       str(cohort), "--out", str(tmp_path / "f.parquet")])
    assert result.exit_code == 2, result.output
    assert "horizn: unknown key. Did you mean 'horizon'?" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "f.parquet").exists()
