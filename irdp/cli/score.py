"""``irdp score``: score every eligible worker of an extract from an exported model."""

from __future__ import annotations

import json
from pathlib import Path

import click

__all__ = ["score"]


class _ScoreError(click.ClickException):
    """A model export that cannot score this extract (exit code 2, no traceback)."""

    exit_code = 2


@click.command("score")
@click.option("--model", "model_file", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Model export (JSON written by model.export(cohort=..., preprocessing=...), "
                   "e.g. <run>/models/<index>.json).")
@click.option("--extract", "extract_dir", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Extract folder (<table>.parquet or .csv files).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Output Parquet file, one row per eligible (worker, index date).")
@click.option("--cohort", "cohort_file", default=None,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Cohort YAML overriding the definition stored in the model.")
@click.option("--horizon", type=float, default=None,
              help="Horizon in days overriding the model's (timed models only); a "
                   "confidential export answers only at the horizons it holds.")
@click.option("--validate/--no-validate", default=True, show_default=True,
              help="Validate the extract against the contract when reading it.")
def score(model_file: Path, extract_dir: Path, out: Path, cohort_file: Path | None,
          horizon: float | None, validate: bool) -> None:
    """Compute features and risks for every eligible worker of EXTRACT with MODEL.

    \b
    Example:
      irdp score --model model.json --extract data/extract --out scores.parquet
    """
    from irdp.cli.features import _open_extract
    from irdp.cohort import CohortDefinition
    from irdp.exceptions import IrdpError
    from irdp.models.scoring import score_extract

    try:
        spec = json.loads(model_file.read_text())
    except json.JSONDecodeError as err:
        raise click.BadParameter(f"{model_file} is not valid JSON: {err}") from err
    definition = CohortDefinition.from_yaml(cohort_file) if cohort_file else None
    extract = _open_extract(extract_dir, validate)
    try:
        table = score_extract(spec, extract, cohort=definition, horizon=horizon)
    except (IrdpError, ValueError, TypeError) as err:  # the model or horizon cannot be used
        raise _ScoreError(f"{model_file.name}: {err}") from err
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_parquet(out, index=False)
    n_ok = int(table["scored"].sum())
    click.echo(f"scored {n_ok} of {len(table)} eligible rows with {spec.get('model')}; "
               f"{len(table) - n_ok} not scored (missing features, see column 'reason')")
    click.echo(f"wrote {out}")
