"""Experiment configurations: every kind of mistake gets a clear, located message."""

from __future__ import annotations

import pytest
import yaml

from irdp.exceptions import ExperimentConfigError
from irdp.experiment import config_hash, experiment_from_dict, load_experiment

BASE = {
    "name": "tiny",
    "seed": 7,
    "extract": {"synthetic": {"n_workers": 2000, "n_spsti": 3, "start": "2018-01-01",
                              "end": "2023-12-31"}},
    "cohort": {"index": {"kind": "visit", "visit_types": ["MI_CARRIERE"]},
               "horizon": {"months": 12}},
    "indices": [{"name": "logit", "kind": "logistic"},
                {"name": "wai", "kind": "questionnaire", "instrument": "WAI"}],
}


def _with(path, value):
    data = yaml.safe_load(yaml.safe_dump(BASE))
    node = data
    keys = path.split(".")
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node[k]
    last = keys[-1]
    if value is _DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


_DELETE = object()


def test_valid_config_round_trip(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text(yaml.safe_dump(BASE))
    cfg = load_experiment(path)
    assert cfg.name == "tiny"
    assert cfg.extract.synthetic.n_workers == 2000
    assert str(cfg.extract.synthetic.start) == "2018-01-01"
    assert cfg.indices[1].instrument == "WAI"
    assert cfg.validation.bootstrap.n_boot == 200  # default
    assert cfg.source == path
    # the canonical hash ignores the file location but not the content
    other = tmp_path / "y.yaml"
    other.write_text(yaml.safe_dump(BASE))
    assert config_hash(load_experiment(other)) == config_hash(cfg)
    other.write_text(yaml.safe_dump(_with("seed", 8)))
    assert config_hash(load_experiment(other)) != config_hash(cfg)


CASES = [
    # (path, value, expected fragment of the message)
    ("sed", 1, r"sed: unknown key\. Did you mean 'seed'\?"),
    ("validation", {"bootstrap": {"nboot": 3}}, r"validation\.bootstrap\.nboot: unknown key"),
    ("seed", "seven", r"seed: must be an integer; found str 'seven'"),
    ("seed", True, r"seed: must be an integer; found bool"),
    ("indices.0.kind", "logit", r"indices\[0\]\.kind: must be one of .*Did you mean 'logistic'"),
    ("indices", {"name": "x"}, r"indices: must be a list; found dict"),
    ("name", _DELETE, r"name: required key is missing"),
    ("name", "Bad Name", r"name: must match"),
    ("extract.synthetic.start", "2018-13-01", r"extract\.synthetic\.start: must be a date"),
    ("extract", {"path": "does/not/exist"}, r"extract\.path: folder not found"),
    ("extract", {}, r"extract: give exactly one of 'path'"),
    ("cohort", "missing_cohort.yaml", r"cohort: file not found"),
    ("indices.1", {"name": "wai", "kind": "questionnaire"},
     r"indices\[1\]\.instrument: required for kind 'questionnaire'"),
    ("indices.1", {"name": "ext", "kind": "column", "file": "nope.csv", "column": "r"},
     r"indices\[1\]\.file: file not found"),
    ("indices.1", {"name": "logit", "kind": "cox"}, r"duplicate index name 'logit'"),
    ("indices.1", {"name": "pts", "kind": "points", "base": "wai"},
     r"indices\[1\]\.base: must name a logistic or cox index"),
    ("risk_levels", {"cutoffs": [0.1, 0.05]}, r"risk_levels\.cutoffs: must be two increasing"),
    ("validation", {"thresholds": [0.5, 1.5]}, r"validation\.thresholds\[1\]: must be in"),
    ("report", {"min_count": "eleven"}, r"report\.min_count: must be an integer"),
    ("validation", {"bootstrap": {"indices": ["nope"]}},
     r"validation\.bootstrap\.indices\[0\]: names no index"),
    ("validation", {"measures": ["c", "icii"]},
     r"validation\.measures\[1\]: unknown measure 'icii'\. Did you mean 'ici'"),
    ("risk_levels", {"method": "sensitivity", "cutoffs": [0.5, 0.9]},
     r"two decreasing target sensitivities"),
]


@pytest.mark.parametrize(("path", "value", "match"), CASES)
def test_config_errors(tmp_path, path, value, match):
    with pytest.raises(ExperimentConfigError, match=match) as info:
        experiment_from_dict(_with(path, value), base_dir=tmp_path, source="exp.yaml")
    assert str(info.value).startswith("exp.yaml: ")
    assert isinstance(info.value, ValueError)


def test_all_problems_listed_at_once(tmp_path):
    data = _with("sed", 1)
    data["indices"][0]["kind"] = "logit"
    data["report"] = {"min_count": 0}
    with pytest.raises(ExperimentConfigError) as info:
        experiment_from_dict(data, base_dir=tmp_path)
    assert len(info.value.problems) == 2  # type/key problems first; semantics after
    assert "3 problem" not in str(info.value)


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ExperimentConfigError, match="configuration file not found"):
        load_experiment(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ExperimentConfigError, match="invalid YAML"):
        load_experiment(bad)
    top = tmp_path / "list.yaml"
    top.write_text("- 1\n- 2\n")
    with pytest.raises(ExperimentConfigError, match="top level must be a mapping"):
        load_experiment(top)


def test_relative_paths_resolved_against_config_folder(tmp_path):
    (tmp_path / "risks.csv").write_text("worker_id,index_date,r\n")
    data = _with("indices.1", {"name": "ext", "kind": "column", "file": "risks.csv",
                               "column": "r"})
    cfg = experiment_from_dict(data, base_dir=tmp_path)
    assert cfg.indices[1].file == tmp_path / "risks.csv"
