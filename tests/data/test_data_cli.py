"""The ``irdp synth``, ``irdp check`` and ``irdp demo`` commands, and the quality report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from irdp.cli import main
from irdp.exceptions import (
    CohortDefinitionError,
    ConvergenceError,
    DisclosureError,
    ExperimentConfigError,
    ExtractError,
    IrdpDeprecationWarning,
)
from irdp.io.quality import ALL, quality_report
from irdp.privacy import check_disclosure


@pytest.mark.parametrize("cmd", ["synth", "check", "demo"])
def test_help(cmd):
    res = CliRunner().invoke(main, [cmd, "--help"])
    assert res.exit_code == 0
    assert "Usage" in res.output


def test_synth_then_check(tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["synth", "--workers", "800", "--spsti", "3", "--seed", "4",
                               "--out", str(tmp_path / "x"), "--quiet"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "x").iterdir())[0] == "company.parquet"
    res = runner.invoke(main, ["check", str(tmp_path / "x"), "--csv", str(tmp_path / "q"),
                               "--out", str(tmp_path / "q" / "report.txt")])
    assert res.exit_code == 0, res.output
    assert "Row counts per table and SPSTI" in res.output
    assert "Completeness" in res.output
    assert "PRESANSE-TV-2013" in res.output or "PRESANSE-TV-2022" in res.output
    comp = pd.read_csv(tmp_path / "q" / "quality_completeness.csv")
    assert {"table", "column", "spsti_id", "n_rows", "n_filled", "pct_filled"} <= set(comp)
    assert (tmp_path / "q" / "report.txt").read_text(encoding="utf-8").startswith("irdp data")


def test_check_invalid_extract_exits_3(tmp_path, small_dmst):
    folder = tmp_path / "bad"
    folder.mkdir()
    for name, frame in small_dmst.tables.items():
        if name != "exit":
            frame.to_csv(folder / f"{name}.csv", index=False)
    res = CliRunner().invoke(main, ["check", str(folder)])
    assert res.exit_code == 3
    assert "missing_table" in res.output


def test_synth_bad_dates(tmp_path):
    res = CliRunner().invoke(main, ["synth", "--workers", "100", "--end", "2999-01-01",
                                    "--out", str(tmp_path), "--quiet"])
    assert res.exit_code == 2
    assert "in the past" in res.output


def test_demo(tmp_path):
    res = CliRunner().invoke(main, ["demo", "--out", str(tmp_path), "--workers", "3000"])
    # a report, with the steps that cannot be computed on so few workers listed after it;
    # on so few workers the disclosure audit may withhold some outputs (exit code 4)
    assert res.exit_code in (0, 1, 4), res.output
    assert "Traceback" not in res.output
    report = Path(res.stdout.strip().splitlines()[-1])
    if res.exit_code == 4:
        assert (report.parent / "withheld" / "reasons.json").exists()
        assert "WITHHELD" in res.output
    assert report.parent.parent == tmp_path / "demo"  # OUT/demo/<run-id>/
    assert (report.parent / "quality_report.txt").exists()
    # the demo caches its synthetic extract per experiment, outside the run folder
    assert list((tmp_path / "demo" / "_cache").glob("extract-*/visit.parquet"))
    assert "data-quality summary" in res.output


def test_demo_with_too_few_spsti_for_its_holdout(tmp_path):
    """The demo holds out S006 and S008: with --spsti 4 that is a configuration error."""
    res = CliRunner().invoke(main, ["demo", "--out", str(tmp_path), "--workers", "300",
                                    "--spsti", "4", "--quiet"])
    assert res.exit_code == 2, res.output
    assert "validation.holdout.spsti[0]: SPSTI 'S006' is not in the extract" in res.output
    assert "Traceback" not in res.output
    assert not [p for p in (tmp_path / "demo").iterdir() if p.name != "_cache"]


def test_quality_report_is_disclosure_controlled(small_dmst):
    rep = quality_report(small_dmst.extract, min_count=11)
    for (_t, _c), g in rep.completeness.groupby(["table", "column"]):
        g = g.set_index("spsti_id")
        assert check_disclosure(g, count_columns=["n_rows", "n_filled"],
                                rates={"pct_filled": ("n_filled", "n_rows")},
                                total_row=ALL if len(g) > 1 else None) == []
    rc = rep.row_counts
    visible = rc.n_rows.dropna()
    assert ((visible == 0) | (visible >= 11)).all()
    # with a threshold of 1 nothing is suppressed and totals are exact
    with pytest.warns(IrdpDeprecationWarning, match="now called 'min_count'"):
        rep1 = quality_report(small_dmst.extract, threshold=1)  # former name: still works
    assert int(rep1.row_counts.query("table == 'worker' and spsti_id == 'ALL'").n_rows.iloc[0]) \
        == 400
    assert "[c]" in rep.as_text() or rep.completeness.n_filled.notna().all()
    assert "min_count = 11" in rep.as_text()


def test_quality_report_small_services_suppressed():
    from irdp.synth import generate_dmst

    rep = quality_report(generate_dmst(150, n_spsti=12, seed=3).extract)
    rc = rep.row_counts[rep.row_counts.table == "worker"].set_index("spsti_id")
    assert int(rc.loc[ALL, "n_rows"]) == 150
    body = rc.drop(index=ALL)["n_rows"]
    assert body.isna().sum() >= 2                     # primary + complementary suppression
    assert ((body.dropna() >= 11) | (body.dropna() == 0)).all()
    assert "[c]" in rep.as_text()
    assert "<11" not in rep.as_text()


def test_exit_codes_are_documented_in_help_and_docs():
    """`irdp --help`, `irdp run --help` and docs/reports.md list the same exit codes."""
    import re

    from irdp.cli._errors import EXIT_CODES

    for args in (["--help"], ["run", "--help"], ["demo", "--help"]):
        res = CliRunner().invoke(main, args)
        assert res.exit_code == 0
        listed = re.findall(r"^\s+(\d+)  \S", res.output.split("Exit codes:")[1], re.M)
        assert [int(c) for c in listed] == list(EXIT_CODES), args
    docs = (Path(__file__).resolve().parents[2] / "docs" / "reports.md").read_text()
    table = docs.split("### Exit codes")[1].split("\n\n", 2)[1]
    assert [int(c) for c in re.findall(r"^\| (\d+) \|", table, re.M)] == list(EXIT_CODES)


def _stopped(cause):
    from irdp.pipeline import RunStoppedError

    return RunStoppedError(Path("reports/x/run"), "updating", cause)


@pytest.mark.parametrize(("err", "code"), [
    (ExperimentConfigError("x.yaml", ["a"]), 2),
    (CohortDefinitionError("c.yaml", ["a"]), 2),
    (ExtractError("visit.csv: bad"), 3),
    (DisclosureError("n = 3"), 4),
    (FileNotFoundError(2, "No such file or directory", "x.yaml"), 2),
    (ValueError("risk must be in [0, 1]"), 2),
    (ConvergenceError("diverged"), 5),
    (TypeError("unsupported operand"), 5),
    (_stopped(ValueError("spline needs 3 distinct risks")), 5),
    (_stopped(ExtractError("bad")), 3),
    (_stopped(ExperimentConfigError("x.yaml", ["validation.holdout.cutoff: empty set"])), 2),
], ids=["config", "cohort", "extract", "disclosure", "missing-file", "input-value",
        "convergence", "bug", "stopped-value", "stopped-extract", "stopped-config"])
def test_errors_become_exit_codes(err, code):
    from irdp.cli._errors import EXIT_CODES, describe

    got, message = describe(err)
    assert got == code
    assert code in EXIT_CODES
    assert "Traceback" not in message
    assert ("INCOMPLETE run kept in" in message) == message.startswith("the run stopped")
