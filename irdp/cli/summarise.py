"""``irdp summarise``: the summary pack of one SPSTI (the data stay in the service)."""

from __future__ import annotations

from pathlib import Path

import click

from irdp.cli._errors import exit_codes_help

__all__ = ["summarise"]


@click.command("summarise", epilog=exit_codes_help())
@click.argument("experiment", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--spsti", required=True, help="The SPSTI whose index events are summarised.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The pack to write, e.g. S001.irdp-summary.json.")
@click.option("--models", "models", default=None,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of the frozen model exports <index>.json (the models/ folder of "
                   "the development run); needed for every index not of kind 'column'.")
@click.option("--index", "indices", multiple=True,
              help="An index to summarise (repeat the option; default: every index of the "
                   "experiment). Every SPSTI must summarise the same indices.")
@click.option("--cache", "cache_dir", default=None,
              type=click.Path(file_okay=False, path_type=Path),
              help="Where a synthetic extract is generated (default reports/<name>/_cache).")
def summarise(experiment: Path, spsti: str, out: Path, models: Path | None,
              indices: tuple[str, ...], cache_dir: Path | None) -> None:
    """Validate the indices of EXPERIMENT in one SPSTI and write its summary pack.

    The pack holds only what pooling needs (estimates, SEs and counts of each measure, a
    calibration summary on a fixed risk grid, net benefit, case mix), under the
    experiment's disclosure policy, with its format version, the experiment hash and its
    own SHA-256. Pool the packs of several SPSTI with 'irdp pool'.

    \b
    Example:
      irdp summarise experiments/demo.yaml --spsti S001 --models reports/demo/RUN/models \\
          --out S001.irdp-summary.json
    """
    from irdp.multicentre import summarise as _summarise

    pack = _summarise(experiment, spsti, models=models, out=out, cache_dir=cache_dir,
                      indices=list(indices) or None)
    hidden = [n for n, p in pack.data["indices"].items() if p["suppressed"]]
    click.echo(f"wrote {out} (SPSTI {pack.spsti}, indices {', '.join(pack.indices)}, "
               f"sha256 {pack.content_sha256[:12]})")
    if hidden:
        click.echo(f"suppressed (under the disclosure threshold): {', '.join(hidden)}",
                   err=True)
