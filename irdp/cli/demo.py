"""``irdp demo``: the end-to-end demonstration run by ``make demo``.

Runs ``experiments/demo.yaml``: a synthetic DMST of about 200,000 workers in 8 SPSTI is
generated (cached under ``OUT/demo/_cache/``), the whole validation is run and the TRIPOD+AI
report is written to ``OUT/demo/<run-id>/report.html``, whose path is printed (then the list
of any failed steps). The data-quality summary of the extract (as ``irdp check`` prints it)
is in the run folder, ``quality_report.txt``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from irdp.cli._errors import exit_codes_help, run_outcome

_DEMO = Path(__file__).resolve().parents[2] / "experiments" / "demo.yaml"


@click.command("demo", epilog=exit_codes_help())
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("reports"), show_default=True,
              help="Root folder of the reports: the run goes to OUT/demo/<run-id>/.")
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path),
              default=_DEMO, show_default=True, help="Experiment configuration.")
@click.option("--workers", "n_workers", type=click.IntRange(min=100), default=None,
              help="Override the number of synthetic workers (default: the configuration's, "
              "200,000).")
@click.option("--spsti", "n_spsti", type=click.IntRange(1, 999), default=None,
              help="Override the number of services (default: the configuration's, 8; the "
              "held-out SPSTI must remain among them).")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Override the seed of the synthetic extract.")
@click.option("--n-jobs", type=int, default=None, help="Parallel jobs (results do not "
              "depend on it).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def demo(ctx: click.Context, out: Path, config: Path, n_workers: int | None,
         n_spsti: int | None, seed: int | None, n_jobs: int | None, quiet: bool) -> None:
    """Generate a synthetic DMST, run experiments/demo.yaml and print the report path."""
    import time

    from irdp.experiment import load_experiment
    from irdp.pipeline import run_experiment

    t0 = time.perf_counter()
    cfg = load_experiment(config)
    syn = cfg.extract.synthetic
    if syn is None:
        raise click.UsageError(f"{config}: the demo needs a synthetic extract "
                               "(extract.synthetic).")
    changes = {k: v for k, v in (("n_workers", n_workers), ("n_spsti", n_spsti),
                                 ("seed", seed)) if v is not None}
    if changes:
        syn = dataclasses.replace(syn, **changes)
        cfg = cfg.replace(extract=dataclasses.replace(cfg.extract, synthetic=syn))
    click.echo(f"irdp demo: {syn.n_workers:,} synthetic workers in {syn.n_spsti} SPSTI, "
               f"experiment '{cfg.name}' ({config})", err=True)
    result = run_experiment(cfg, out=out, n_jobs=n_jobs, progress=not quiet)
    quality = result.run_dir / "quality_report.txt"
    if quality.exists():
        click.echo(f"data-quality summary of the extract: {quality}", err=True)
    click.echo(f"done in {time.perf_counter() - t0:.0f} s; report:", err=True)
    ctx.exit(run_outcome(result))
