"""``irdp audit RUN_DIR``: try to recover small counts and identifiers from a run's outputs.

Re-reads everything the run wrote (CSV and HTML tables, exported models, figure data sidecars,
every text file) and tries the attacks of :func:`irdp.privacy.audit_run`. Prints the result;
exit code 0 when nothing can be recovered, 4 when the audit finds a breach (with ``--withhold``
the breaching outputs are then moved to ``RUN_DIR/withheld/`` with a ``reasons.json``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

#: Exit code when the audit finds a breach (outputs withheld, or to withhold).
EXIT_BREACH = 4

_ID_COLUMNS = ("worker_id", "company_id", "employment_id", "visit_id", "exposure_id")


def _extract_identifiers(path: Path) -> set[str]:
    """Identifier values of an extract folder (Parquet or CSV files, one per table)."""
    values: set[str] = set()
    for f in sorted(path.rglob("*")):
        if f.suffix == ".parquet":
            import pyarrow.parquet as pq

            names = [c for c in pq.read_schema(f).names if c in _ID_COLUMNS]
            if names:
                table = pq.read_table(f, columns=names)
                for c in names:
                    values.update(str(v) for v in table.column(c).to_pylist() if v is not None)
        elif f.suffix == ".csv":
            import pandas as pd

            head = pd.read_csv(f, nrows=0)
            names = [c for c in head.columns if c in _ID_COLUMNS]
            if names:
                frame = pd.read_csv(f, usecols=names, dtype=str, keep_default_na=False)
                for c in names:
                    values.update(v for v in frame[c].tolist() if v)
    return values


@click.command("audit")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--extract", "extract", type=click.Path(exists=True, file_okay=False,
                                                      path_type=Path), default=None,
              help="Extract folder whose identifier values (worker, company, employment, "
              "visit, exposure ids) must not appear in the outputs.")
@click.option("--identifiers", "id_file", type=click.Path(exists=True, dir_okay=False,
                                                          path_type=Path), default=None,
              help="Text file of identifier values, one per line, that must not appear.")
@click.option("--withhold", is_flag=True,
              help="Move the breaching outputs to RUN_DIR/withheld/ (with reasons.json).")
@click.option("--max-findings", type=click.IntRange(min=1), default=30, show_default=True,
              help="Findings printed (all are in the JSON written with --json).")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write the full result as JSON to this file.")
def audit(run_dir: Path, extract: Path | None, id_file: Path | None, withhold: bool,
          max_findings: int, json_out: Path | None) -> None:
    """Audit the outputs of the run in RUN_DIR for recoverable small counts and identifiers.

    Exit status: 0 when clean; 4 when a count below the threshold can be read or recovered,
    or an identifier is found (the outputs are withheld with --withhold).
    """
    import json

    from irdp.privacy import audit_run
    from irdp.privacy import withhold as _withhold

    ids: set[str] = set()
    if extract is not None:
        ids |= _extract_identifiers(extract)
    if id_file is not None:
        ids |= {line.strip() for line in id_file.read_text(encoding="utf-8").splitlines()
                if line.strip()}
    result = audit_run(run_dir, identifiers=ids)
    click.echo(result.as_text(max_findings=max_findings))
    if json_out is not None:
        json_out.write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")
    if result.clean:
        return
    if withhold:
        moved = _withhold(run_dir, result)
        click.echo(f"{len(moved)} output(s) withheld in {run_dir / 'withheld'} (reasons in "
                   "reasons.json).", err=True)
    sys.exit(EXIT_BREACH)
