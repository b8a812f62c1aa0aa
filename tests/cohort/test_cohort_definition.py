"""CohortDefinition: YAML round trip, horizon conversion, clear errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from irdp.cohort import CohortDefinition, Horizon, IndexEvent, months_to_days
from irdp.cohort.definition import definition_problems
from irdp.exceptions import CohortDefinitionError

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
    ("patch", "match"),
    [
        ({"colour": 1}, r"colour: unknown key\. Allowed keys: competing, description"),
        ({"eligibility": {"age_mini": 40}},
         r"eligibility\.age_mini: unknown key\. Did you mean 'age_min'\?"),
        ({"eligibilty": {"age_min": 40}}, r"eligibilty: unknown key\. Did you mean 'eligibility'"),
        ({"horizn": {"months": 6}}, r"horizn: unknown key\. Did you mean 'horizon'"),
        ({"horizon": {"month": 12}}, r"horizon\.month: unknown key\. Did you mean 'months'"),
        ({"eligibility": {"age_min": "40"}},
         r"eligibility\.age_min: must be an integer; found str"),
        ({"eligibility": {"age_min": 60, "age_max": 40}},
         r"eligibility\.age_min: \(60\) must not exceed eligibility\.age_max \(40\)"),
        ({"eligibility": {"age_max": 300}}, r"eligibility\.age_max: must be an age"),
        ({"eligibility": {"require_employment": "yes"}}, "true or false"),
        ({"eligibility": {"followup_types": ["XYZ"]}},
         r"eligibility\.followup_types\[0\]: unknown code 'XYZ'"),
        ({"index": {"visit_types": "MI_CARRIERE"}}, "a list of strings"),
        ({"index": {"visit_types": ["MID"]}}, r"index\.visit_types\[0\]: unknown code 'MID'"),
        ({"index": {"visit_types": ["REPRISES"]}}, r"'REPRISES'\. Did you mean 'REPRISE'\?"),
        ({"index": {"visit_types": []}}, "at least one visit type"),
        ({"index": {"kind": "landmark"}}, r"index\.date: is required"),
        ({"index": {"kind": "calendar", "visit_types": ["REPRISE"]}},
         r"index\.kind: must be one of \['visit', 'landmark', 'first_visit'\]"),
        ({"index": {"kind": "landmark", "date": "2021-01-01", "visit_types": ["REPRISE"]}},
         "not used when index.kind is 'landmark'"),
        ({"index": {"visit_types": ["REPRISE"], "date": "2020-01-01"}}, "only used when"),
        ({"index": {"visit_types": ["REPRISE"], "end": "2030-01-01"}}, "after extract_end"),
        ({"index": {"visit_types": ["REPRISE"], "start": "2021-01-01", "end": "2020-01-01"}},
         r"index\.start: \(2021-01-01\) must not be after index\.end"),
        ({"index": {"visit_types": ["REPRISE"], "start": "2018-13-01"}},
         r"index\.start: must be a date YYYY-MM-DD; found str '2018-13-01'"),
        ({"index": {"visit_types": ["REPRISE"], "start": "2025-06-01"}},
         r"extract_end: \(2024-12-31\) is not after index\.start"),
        ({"extract_end": "31/12/2024"}, r"extract_end: must be a date YYYY-MM-DD"),
        ({"extract_end": 2024}, r"extract_end: must be a date"),
        ({"extract_end": None}, r"extract_end: may not be null"),
        ({"horizon": {"months": 12, "days": 365}}, "exactly one"),
        ({"horizon": {"months": -12}}, r"horizon\.months: must be positive; found -12"),
        ({"horizon": {"months": 0}}, r"horizon\.months: must be positive; found 0"),
        ({"horizon": {"days": 182.5}}, r"horizon\.days: must be an integer; found float 182\.5"),
        ({"horizon": {"months": 12, "binary_censored": "drop"}}, "must be one of"),
        ({"outcome": {"conclusions": ["APTE", "INAPT"]}},
         r"conclusions\[1\]: unknown code 'INAPT'"),
        ({"outcome": {"conclusions": ["INAPTITUDE"]}}, r"'INAPTITUDE'\. Did you mean 'INAPTE'"),
        ({"outcome": {"on_index_date": "keep"}}, "on_index_date"),
        ({"competing": ["CHANGEMENT_SPSTI"]}, r"competing\[0\]: unknown code"),
        ({"competing": ["RETIREMENT"]}, r"'RETIREMENT'\. Did you mean 'RETRAITE'"),
        ({"horizon": 12}, r"horizon: must be a mapping; found int 12"),
    ],
)
def test_bad_definitions_are_refused(patch, match):
    with pytest.raises(CohortDefinitionError, match=match) as info:
        CohortDefinition.from_dict({**BASE, **patch})
    assert isinstance(info.value, ValueError)
    assert len(info.value.problems) <= 2, info.value.problems


def test_every_problem_listed_at_once():
    bad = {"name": "t", "eligibilty": {}, "index": {"visit_types": ["REPRISES"],
                                                      "start": "2018-13-01"},
           "extract_end": "2024-12-31", "horizon": {"months": 0, "days": 3.5},
           "competing": ["RETIREMENT"], "eligibility": {"age_min": 70, "age_max": 60}}
    with pytest.raises(CohortDefinitionError) as info:
        CohortDefinition.from_dict(bad, source="c.yaml")
    keys = sorted(p.split(":")[0] for p in info.value.problems)
    assert keys == ["competing[0]", "eligibility.age_min", "eligibilty", "horizon",
                    "horizon.days", "horizon.months", "index.start",
                    "index.visit_types[0]"], info.value.problems
    assert str(info.value).startswith("c.yaml: 8 problem(s) in the cohort definition")
    assert "found both" in str(info.value)


def test_dataclasses_keep_their_own_checks():
    with pytest.raises(ValueError, match=r"horizon\.months: must be positive"):
        Horizon(months=-3)
    with pytest.raises(ValueError, match=r"index\.kind: must be one of"):
        IndexEvent(kind="calendar")


def test_prefix_and_optional_extract_end():
    data = {"index": {"kind": "first_visit", "start": "2030-01-01"}, "horizon": {"month": 3}}
    problems = definition_problems(data, prefix="cohort.", require_extract_end=False)
    assert [p.split(":")[0] for p in problems] == ["cohort.name", "cohort.horizon.month",
                                                   "cohort.horizon"]
    assert definition_problems({**BASE}, prefix="cohort.") == []


def test_missing_required_key_and_bad_yaml(tmp_path):
    with pytest.raises(CohortDefinitionError, match="extract_end: required key is missing"):
        CohortDefinition.from_dict({"name": "t", "index": {"visit_types": ["REPRISE"]}})
    p = tmp_path / "bad.yaml"
    p.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(CohortDefinitionError, match="must hold a mapping"):
        CohortDefinition.from_yaml(p)
    p.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(CohortDefinitionError, match="invalid YAML"):
        CohortDefinition.from_yaml(p)
    with pytest.raises(CohortDefinitionError, match="cannot be read"):
        CohortDefinition.from_yaml(tmp_path / "absent.yaml")
