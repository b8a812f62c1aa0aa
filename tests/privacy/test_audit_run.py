"""audit_run / withhold / ``irdp audit`` on crafted run folders (one clean, one leaking)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from irdp.cli import main
from irdp.privacy import (
    AuditResult,
    DisclosurePolicy,
    LinkedTables,
    audit_run,
    format_suppressed,
    withhold,
)
from irdp.privacy.attacks import FIGURE_DATA_FORMAT
from irdp.privacy.runs import MANIFEST_NAME
from tests.privacy._old_disclosure import format_suppressed as old_format
from tests.privacy._old_disclosure import suppress_small_counts as old_suppress

WORKER_IDS = [f"W{i:06d}" for i in range(1, 301)]
NIR = "2900133123456" + f"{97 - 2900133123456 % 97:02d}"


def _table() -> pd.DataFrame:
    return pd.DataFrame({"sex": ["F", "M", "all"], "events": [4, 40, 44],
                         "non_events": [30, 60, 90], "n": [34, 100, 134]})


def _html(tables: dict[str, pd.DataFrame]) -> str:
    body = []
    for name, t in tables.items():
        head = "".join(f"<th>{c}</th>" for c in t.columns)
        rows = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in r) + "</tr>"
                       for r in t.astype(str).itertuples(index=False))
        body.append(f"<h3>{name}</h3><table><thead><tr>{head}</tr></thead>"
                    f"<tbody>{rows}</tbody></table>")
    return "<html><body>" + "".join(body) + "</body></html>"


def _write(run: Path, tables: dict[str, pd.DataFrame], models: dict[str, dict],
           figures: dict[str, dict], extra: dict[str, str] | None = None) -> Path:
    (run / "tables").mkdir(parents=True)
    for name, t in tables.items():
        t.to_csv(run / "tables" / f"{name}.csv", index=False)
    (run / "report.html").write_text(_html(tables), encoding="utf-8")
    (run / "models").mkdir()
    for name, m in models.items():
        (run / "models" / f"{name}.json").write_text(json.dumps(m), encoding="utf-8")
    (run / "figures").mkdir()
    for name, f in figures.items():
        (run / "figures" / f"{name}.data.json").write_text(json.dumps(f), encoding="utf-8")
    for name, text in (extra or {}).items():
        (run / name).write_text(text, encoding="utf-8")
    return run


def _baseline(n_days: int, per_step: list[int]) -> dict:
    rng = np.random.default_rng(7)
    times = np.sort(rng.choice(np.arange(1, 2000), size=n_days, replace=False)).astype(float)
    events = np.resize(np.asarray(per_step), n_days)
    risk = np.linspace(8000, 5000, n_days)
    return {"development": {"n": 8000, "n_events": int(events.sum())},
            "state": {"baseline_cumhaz": {"": {"time": times.tolist(),
                                               "cumhaz": np.cumsum(events / risk).tolist()}}}}


def _figure(steps: int, n: int, per_step: int) -> dict:
    x = np.linspace(0, 365, steps + 1)
    y = np.arange(steps + 1) * per_step / n
    return {"format": FIGURE_DATA_FORMAT, "version": 1, "figure": "observed_by_level",
            "kind": "step", "frame": {"columns": ["series", "x", "y"],
                                      "data": [[f"faible (n={n})", a, b]
                                               for a, b in zip(x, y, strict=True)]}}


@pytest.fixture
def clean_run(tmp_path: Path) -> Path:
    lt = LinkedTables()
    lt.add("events_by_sex", _table(), dims={"sex": "sex"},
           counts={"events": {"event": "yes"}, "non_events": {"event": "no"}, "n": {}})
    out = lt.suppress()
    tables = {n: out.formatted(n) for n in out}
    run = _write(tmp_path / "clean", tables,
                 {"cox": _baseline(4, [15, 12, 20, 11])},
                 {"observed_by_level": _figure(3, 1000, per_step=15)})
    (run / MANIFEST_NAME).write_text(json.dumps(out.manifest()), encoding="utf-8")
    return run


@pytest.fixture
def leaky_run(tmp_path: Path) -> Path:
    t = _table().set_index("sex")
    old = old_format(old_suppress(t, count_columns=["events", "non_events", "n"],
                                  total_row="all")).reset_index()
    tables = {"events_by_sex": old,
              "groups": pd.DataFrame({"group": ["A", " ".join(
                  [NIR[0], NIR[1:3], NIR[3:5], NIR[5:7], NIR[7:10], NIR[10:13], NIR[13:]])],
                                      "n": [120, 130]})}
    return _write(tmp_path / "leaky", tables,
                  {"cox": _baseline(200, [1, 1, 2, 1, 3, 1])},
                  {"observed_by_level": _figure(2, 1072, per_step=1)},
                  extra={"notes.txt": f"see {WORKER_IDS[17]} for the check\n"})


def test_clean_run_is_clean(clean_run):
    res = audit_run(clean_run, identifiers=WORKER_IDS)
    assert isinstance(res, AuditResult)
    assert res.clean, res.as_text()
    assert res.n_recoverable == 0
    assert res.n_identifiers == 0
    assert "tables/events_by_sex.csv" in res.files_checked
    assert any(MANIFEST_NAME in n for n in res.notes)
    assert res.to_frame().empty
    text = res.summary().as_text()
    assert "CLEAN" in text
    assert "min_count = 11" in text
    assert withhold(clean_run, res) == []
    assert not (clean_run / "withheld").exists()


def test_leaky_run_every_attack(leaky_run):
    res = audit_run(leaky_run, identifiers=WORKER_IDS)
    assert not res.clean
    frame = res.to_frame()
    attacks = set(frame["attack"])
    assert {"lp-differencing", "model-export", "figure-steps", "identifier-nir",
            "identifier-extract"} <= attacks
    # the hidden count of 4 events among women is given back by the total row
    recovered = frame[(frame["attack"] == "lp-differencing") & (frame["lower"] == 4)]
    assert len(recovered) >= 1
    assert "tables/events_by_sex.csv" in recovered.iloc[0]["files"]
    assert "report.html" in recovered.iloc[0]["files"]  # the same table, in the HTML
    # identifiers are located, never quoted
    text = res.as_text(max_findings=100) + json.dumps(res.to_dict())
    assert NIR not in text
    assert NIR[2:] not in text
    assert WORKER_IDS[17] not in text
    assert res.n_identifiers == 3  # the NIR in the CSV and in the HTML, the id in notes


def test_withhold_moves_breaching_outputs_with_reasons(leaky_run):
    res = audit_run(leaky_run, identifiers=WORKER_IDS)
    moved = withhold(leaky_run, res)
    names = {p.relative_to(leaky_run / "withheld").as_posix() for p in moved}
    assert {"tables/events_by_sex.csv", "tables/groups.csv", "report.html", "models/cox.json",
            "figures/observed_by_level.data.json", "notes.txt"} == names
    for name in names:
        assert not (leaky_run / name).exists()
        assert (leaky_run / "withheld" / name).exists()
    reasons = json.loads((leaky_run / "withheld" / "reasons.json").read_text())
    assert reasons["policy"]["min_count"] == 11
    assert set(reasons["files"]) == names
    assert NIR not in json.dumps(reasons)
    assert WORKER_IDS[17] not in json.dumps(reasons)
    # what is left is clean
    assert audit_run(leaky_run, identifiers=WORKER_IDS).clean


def test_policy_read_from_the_run(clean_run):
    prov = {"disclosure": {"policy": DisclosurePolicy(min_count=12).to_dict()}}
    (clean_run / MANIFEST_NAME).unlink()
    (clean_run / "provenance.json").write_text(json.dumps(prov), encoding="utf-8")
    assert audit_run(clean_run).policy.min_count == 12
    assert audit_run(clean_run, policy=DisclosurePolicy()).policy.min_count == 11
    with pytest.raises(FileNotFoundError, match="run folder"):
        audit_run(clean_run / "nope")
    with pytest.raises(TypeError, match="DisclosurePolicy"):
        audit_run(clean_run, policy={"min_count": 11})


def test_cli_exit_codes(clean_run, leaky_run, tmp_path):
    runner = CliRunner()
    ok = runner.invoke(main, ["audit", str(clean_run)])
    assert ok.exit_code == 0, ok.output
    assert "CLEAN" in ok.output
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(WORKER_IDS) + "\n")
    out_json = tmp_path / "audit.json"
    bad = runner.invoke(main, ["audit", str(leaky_run), "--identifiers", str(ids),
                               "--json", str(out_json)])
    assert bad.exit_code == 4
    assert "BREACH" in bad.output
    assert NIR not in bad.output
    assert WORKER_IDS[17] not in bad.output
    assert json.loads(out_json.read_text())["clean"] is False
    assert (leaky_run / "report.html").exists()  # nothing moved without --withhold
    moved = runner.invoke(main, ["audit", str(leaky_run), "--identifiers", str(ids),
                                 "--withhold"])
    assert moved.exit_code == 4
    assert (leaky_run / "withheld" / "reasons.json").exists()
    assert runner.invoke(main, ["audit", str(leaky_run), "--identifiers",
                                str(ids)]).exit_code == 0
    assert runner.invoke(main, ["audit", str(tmp_path / "missing")]).exit_code == 2


def test_cli_reads_identifiers_from_an_extract(leaky_run, tmp_path):
    extract = tmp_path / "extract"
    extract.mkdir()
    pd.DataFrame({"worker_id": WORKER_IDS, "spsti_id": ["S001"] * len(WORKER_IDS)}).to_csv(
        extract / "worker.csv", index=False)
    res = CliRunner().invoke(main, ["audit", str(leaky_run), "--extract", str(extract)])
    assert res.exit_code == 4
    assert "identifier" in res.output
    assert WORKER_IDS[17] not in res.output


def test_format_of_a_suppressed_cell_is_neutral(clean_run):
    shown = pd.read_csv(clean_run / "tables" / "events_by_sex.csv", dtype=str,
                        keep_default_na=False)
    assert "[c]" in shown.to_numpy()
    assert not shown.apply(lambda c: c.str.startswith("<")).to_numpy().any()
    assert format_suppressed(pd.DataFrame({"n": [pd.NA, 12]}))["n"].tolist() == ["[c]", "12"]


def test_derived_percentages_are_not_read_as_rates_of_their_own_count(tmp_path: Path):
    """A Table 1 percentage (of the group's N) times the count of its own row can look like a
    small count (12.5 % of 24 = 3, when N = 192): the percentage is declared as derived from
    the count, so the audit follows that structure instead of guessing the denominator;
    undeclared, the same number is flagged."""
    t1 = pd.DataFrame({"variable": ["N", "age_band", "age_band", "age_band"],
                       "level": [None, "<40", "40-54", "55+"],
                       "S002: n": [192, 100, 24, 68],
                       "S002: %/mean": [100.0, 52.0833, 12.5, 35.4167]})
    lt = LinkedTables()
    keys = [{}] + [{"age_band": lv} for lv in t1["level"][1:]]
    lt.add("table1", t1, population="index_events", row_keys=keys,
           counts={"S002: n": {"spsti": "S002"}}, derived={"S002: %/mean": ["S002: n"]})
    out = lt.suppress()
    manifest = out.manifest()
    assert manifest["tables"][0]["derived"] == {"S002: %/mean": ["S002: n"]}
    run = _write(tmp_path / "t1", {"table1": out.formatted("table1")}, {}, {})
    (run / MANIFEST_NAME).write_text(json.dumps(manifest), encoding="utf-8")
    assert audit_run(run).clean
    undeclared = _write(tmp_path / "t1_undeclared", {"table1": t1}, {}, {})
    res = audit_run(undeclared)
    assert not res.clean
    assert any("rate-denominator" in str(f) for f in res.findings)
