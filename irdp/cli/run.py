"""``irdp run experiments/X.yaml``: run an experiment and write its report folder."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("run")
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default="reports",
              show_default=True, help="Root folder of the reports (<out>/<name>/<run-id>/).")
@click.option("--n-jobs", type=int, default=None,
              help="Parallel jobs (default: the configuration's n_jobs; results do not "
              "depend on it).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def run(config: Path, out: Path, n_jobs: int | None, quiet: bool) -> None:
    """Run the experiment CONFIG (YAML) and print the path of its report.html."""
    from irdp.exceptions import ExperimentConfigError
    from irdp.pipeline import run_experiment

    try:
        result = run_experiment(config, out=out, n_jobs=n_jobs, progress=not quiet)
    except ExperimentConfigError as err:
        raise click.ClickException(str(err)) from err
    for step, why in result.unavailable.items():
        click.echo(f"note: {step}: not available in this version ({why})", err=True)
    for step, texts in result.warnings.items():
        for text in texts:
            click.echo(f"warning: {step}: {text}", err=True)
    click.echo(str(result.report_path))
