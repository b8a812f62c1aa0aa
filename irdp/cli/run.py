"""``irdp run experiments/X.yaml``: run an experiment and write its report folder."""

from __future__ import annotations

from pathlib import Path

import click

from irdp.cli._errors import exit_codes_help, run_outcome


@click.command("run", epilog=exit_codes_help())
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default="reports",
              show_default=True, help="Root folder of the reports (<out>/<name>/<run-id>/).")
@click.option("--n-jobs", type=int, default=None,
              help="Parallel jobs (default: the configuration's n_jobs; results do not "
              "depend on it).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Dask scheduler for the resampling steps: 'local' (a LocalCluster on "
              "this machine) or tcp://host:port (default: the configuration's "
              "compute.scheduler, else joblib; results do not depend on it).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def run(ctx: click.Context, config: Path, out: Path, n_jobs: int | None,
        scheduler: str | None, quiet: bool) -> None:
    """Run the experiment CONFIG (YAML) and print the path of its report.html.

    The configuration is checked completely before anything runs, and against the extract as
    soon as it is read. The path of report.html is printed on stdout; warnings and the list
    of failed steps go to stderr.
    """
    from irdp._resampling import check_scheduler
    from irdp.pipeline import run_experiment

    if scheduler is not None:
        try:
            check_scheduler(scheduler)
        except ValueError as err:  # before anything runs: a usage error (exit code 2)
            raise click.BadParameter(str(err), param_hint="--scheduler") from None
    result = run_experiment(config, out=out, n_jobs=n_jobs, progress=not quiet,
                            scheduler=scheduler)
    ctx.exit(run_outcome(result))
