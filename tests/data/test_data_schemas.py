"""The contract files: well-formed, consistent with the code, and the documentation generated
from them (golden test)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from irdp.cohort import definition
from irdp.io import TABLES, load_schemas, render_contract
from irdp.io.schema import schema_dir
from irdp.synth import _codes

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = load_schemas(ROOT / "data_schemas")
FRICTIONLESS_TYPES = {"string", "integer", "number", "boolean", "date"}


def test_one_schema_per_table_and_same_version():
    assert tuple(SCHEMAS) == TABLES
    assert len({s.version for s in SCHEMAS.values()}) == 1
    assert f"## {next(iter(SCHEMAS.values())).version}" in (
        ROOT / "data_schemas" / "CHANGELOG.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", TABLES)
def test_schema_is_valid_table_schema(name):
    raw = json.loads((ROOT / "data_schemas" / f"{name}.schema.json").read_text(encoding="utf-8"))
    assert raw["name"] == name
    names = [f["name"] for f in raw["fields"]]
    assert len(names) == len(set(names))
    assert all(f["type"] in FRICTIONLESS_TYPES for f in raw["fields"])
    assert set(raw["primaryKey"]) <= set(names)
    for fk in raw.get("foreignKeys", []):
        assert set(fk["fields"]) <= set(names)
        parent = SCHEMAS[fk["reference"]["resource"]]
        ref = tuple(fk["reference"]["fields"])
        # a reference is the parent's key, or (consistency) the key and other parent columns
        assert ref == parent.primary_key or (
            set(parent.primary_key) < set(ref) <= set(parent.names))
    for f in raw["fields"]:
        if f["name"].endswith("_id"):
            assert f.get("x-identifier", {}).get("kind") in ("key", "service"), f["name"]
            assert isinstance(f["x-identifier"].get("numeric"), bool)
        if f["type"] == "integer":  # read as 32-bit INTEGER by the builders
            c = f.get("constraints", {})
            assert -(2**31) < c["minimum"] <= c["maximum"] < 2**31, f["name"]
    for f in raw["fields"]:
        cs = f.get("x-code-system")
        if cs:
            system = next(g for g in raw["fields"] if g["name"] == cs["column"])
            keys = cs.get("patterns", cs.get("enums"))
            assert set(keys) == set(system["constraints"]["enum"])


def test_contract_doc_is_generated_from_schemas():
    """Golden test: docs/contract.md equals the rendering of data_schemas/."""
    committed = (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")
    assert committed == render_contract(SCHEMAS), (
        "docs/contract.md is out of date: regenerate it with "
        "python -c \"from irdp.io import render_contract; "
        "open('docs/contract.md','w').write(render_contract())\""
    )


def test_one_copy_of_the_contract():
    """data_schemas/ is the only copy: the package reaches it through a symbolic link, and no
    other *.schema.json file exists in the repository."""
    link = ROOT / "irdp" / "_schemas"
    assert link.is_symlink()
    assert os.readlink(link) == "../data_schemas"
    assert schema_dir().resolve() == (ROOT / "data_schemas").resolve()
    copies = []
    for folder, dirs, files in os.walk(ROOT):  # symbolic links to folders are not followed
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in ("reports", "build")]
        copies += [Path(folder) / f for f in files if f.endswith(".schema.json")
                   and Path(folder).resolve() != (ROOT / "data_schemas").resolve()]
    assert copies == []
    # the builders read their table definitions from it
    from irdp.cohort import _tables

    assert {t: [c[0] for c in cols] for t, cols in _tables.COLUMNS.items()} == {
        t: s.names for t, s in SCHEMAS.items()}
    assert {t: [c[2] for c in cols] for t, cols in _tables.COLUMNS.items()} == {
        t: [f.required for f in s.fields] for t, s in SCHEMAS.items()}


@pytest.mark.parametrize(
    ("table", "column", "codes"),
    [
        ("visit", "visit_type", _codes.VISIT_TYPES),
        ("visit", "absence_cause", _codes.ABSENCE_CAUSES),
        ("visit", "professional", _codes.PROFESSIONALS),
        ("conclusion", "conclusion", _codes.CONCLUSIONS),
        ("exit", "exit_reason", _codes.EXIT_REASONS),
        ("employment", "end_reason", _codes.END_REASONS),
        ("employment", "contract", _codes.CONTRACTS),
        ("company", "size_band", _codes.SIZE_BANDS),
        ("questionnaire", "instrument", _codes.INSTRUMENTS),
        ("diagnosis", "role", _codes.ROLES),
        # the cohort definition's vocabularies are the contract's codes
        ("visit", "visit_type", definition.VISIT_TYPES),
        ("conclusion", "conclusion", definition.CONCLUSIONS),
        ("exit", "exit_reason", definition.EXIT_REASONS),
        ("employment", "followup_type", definition.FOLLOWUP_TYPES),
    ],
)
def test_generator_code_lists_match_contract(table, column, codes):
    assert tuple(SCHEMAS[table].field(column).enum) == tuple(codes)


def test_patterns():
    import re

    naf = SCHEMAS["company"].field("naf_code").pattern
    assert re.fullmatch(naf, "47.11F")
    assert not re.fullmatch(naf, "4711F")
    pcs = SCHEMAS["employment"].field("job_code").code_system["patterns"]["PCS-ESE-2017"]
    assert pcs == r"^\d{3}[a-z]$"
    assert re.fullmatch(SCHEMAS["exposure"].field("tep_code").pattern, "B0101")
    cim = SCHEMAS["diagnosis"].field("icd10_code").pattern
    assert all(re.fullmatch(cim, c) for c in ("M54.5", "F32", "I10", "S62.61"))
    assert not any(re.fullmatch(cim, c) for c in ("M5", "m54.5", "M54.123"))


def test_data_doc_summary_table_matches_contract():
    """docs/data.md repeats the contract's summary table: it must be the generated one."""
    data_md = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    rendered = render_contract(SCHEMAS)
    rows = [ln for ln in rendered.splitlines() if ln.startswith("| `") and ") | `" in ln][:9]
    assert len(rows) == 9
    for row in rows:
        assert row in data_md, f"docs/data.md summary row out of date: {row}"


def test_schema_dir_without_symbolic_links(tmp_path, monkeypatch):
    """A checkout without symbolic links has a small text file at irdp/_schemas: the
    repository's data_schemas/ is used instead; with neither, the error says what to do."""
    from irdp.io import schema as schema_module

    (tmp_path / "_schemas").write_text("../data_schemas", encoding="utf-8")
    monkeypatch.setattr(schema_module.resources, "files", lambda package: tmp_path)
    assert schema_dir() == ROOT / "data_schemas"
    monkeypatch.setattr(schema_module, "__file__", str(tmp_path / "a" / "b" / "schema.py"))
    with pytest.raises(FileNotFoundError, match="Reinstall irdp"):
        schema_dir()
