"""CohortDefinition: YAML round trip, horizon conversion, clear errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from irdp.cohort import CohortDefinition, Horizon, IndexEvent, months_to_days

ROOT = Path(__file__).resolve().parents[2]
BASE = {"name": "t", "index": {"visit_types": ["MI_CARRIERE"]}, "extract_end": "2024-12-31"}


def test_months_to_days_rule():
    assert [months_to_days(m) for m in (1, 6, 12, 18, 24, 36)] == [30, 182, 365, 547, 730, 1095]
    assert Horizon(days=400).in_days == 400
    assert Horizon(months=6).in_days == 182


@pytest.mark.parametrize("name", ["mi_carriere_12m", "reprise_6m"])
def test_example_yaml_files_load_and_round_trip(name, tmp_path):
    d = CohortDefinition.from_yaml(ROOT / "experiments" / "cohorts" / f"{name}.yaml")
    assert d.name == name
    assert d.extract_end == dt.date(2024, 12, 31)
    path = tmp_path / "x.yaml"
    d.to_yaml(path)
    assert CohortDefinition.from_yaml(path) == d
    assert CohortDefinition.from_dict(d.to_dict()) == d


def test_defaults():
    d = CohortDefinition.from_dict(BASE)
    assert d.index == IndexEvent(kind="visit", visit_types=("MI_CARRIERE",))
    assert d.horizon_days == 365
    assert d.outcome.on_index_date == "exclude"
    assert d.competing == ("RETRAITE", "DECES", "AUTRE_PERTE_EMPLOI")
    assert d.eligibility.require_employment
    assert d.eligibility.exclude_prior_outcome


@pytest.mark.parametrize(
    ("patch", "error", "match"),
    [
        ({"colour": 1}, ValueError, r"unknown key\(s\) \['colour'\]"),
        ({"eligibility": {"age_mini": 40}}, ValueError, r"eligibility.age_mini"),
        ({"eligibility": {"age_min": "40"}}, TypeError, r"eligibility.age_min must be an integer"),
        ({"eligibility": {"age_min": 60, "age_max": 40}}, ValueError, "must not exceed"),
        ({"eligibility": {"require_employment": "yes"}}, TypeError, "true or false"),
        ({"eligibility": {"followup_types": ["XYZ"]}}, ValueError, "unknown"),
        ({"index": {"visit_types": "MI_CARRIERE"}}, TypeError, "a list of strings"),
        ({"index": {"visit_types": ["MID"]}}, ValueError, r"unknown \['MID'\]"),
        ({"index": {"visit_types": []}}, ValueError, "at least one visit type"),
        ({"index": {"kind": "landmark"}}, ValueError, "index.date is required"),
        ({"index": {"kind": "calendar"}}, ValueError, "index.kind must be one of"),
        ({"index": {"kind": "landmark", "date": "2021-01-01", "visit_types": ["REPRISE"]}},
         ValueError, "not used when index.kind is 'landmark'"),
        ({"index": {"visit_types": ["REPRISE"], "date": "2020-01-01"}}, ValueError,
         "only used when"),
        ({"index": {"visit_types": ["REPRISE"], "end": "2030-01-01"}}, ValueError,
         "after extract_end"),
        ({"extract_end": "31/12/2024"}, ValueError, "ISO date"),
        ({"extract_end": 2024}, TypeError, "a date"),
        ({"extract_end": None}, TypeError, "may not be null"),
        ({"horizon": {"months": 12, "days": 365}}, ValueError, "exactly one"),
        ({"horizon": {"months": -3}}, ValueError, "positive"),
        ({"horizon": {"months": 12, "binary_censored": "drop"}}, ValueError, "must be one of"),
        ({"outcome": {"conclusions": ["APTE", "INAPT"]}}, ValueError, "INAPT"),
        ({"outcome": {"on_index_date": "keep"}}, ValueError, "on_index_date"),
        ({"competing": ["CHANGEMENT_SPSTI"]}, ValueError, "competing"),
        ({"horizon": 12}, TypeError, "horizon must be a mapping"),
    ],
)
def test_bad_definitions_are_refused(patch, error, match):
    with pytest.raises(error, match=match):
        CohortDefinition.from_dict({**BASE, **patch})


def test_missing_required_key_and_bad_yaml(tmp_path):
    with pytest.raises(ValueError, match="needs the key 'extract_end'"):
        CohortDefinition.from_dict({"name": "t", "index": {"visit_types": ["REPRISE"]}})
    p = tmp_path / "bad.yaml"
    p.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(TypeError, match="YAML mapping"):
        CohortDefinition.from_yaml(p)
