"""``irdp pool``: the multicentre report from the summary packs of several SPSTI."""

from __future__ import annotations

from pathlib import Path

import click

from irdp.cli._errors import EXIT_WITHHELD, exit_codes_help

__all__ = ["pool"]


@click.command("pool", epilog=exit_codes_help())
@click.argument("packs", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the multicentre report.")
@click.pass_context
def pool(ctx: click.Context, packs: tuple[Path, ...], out: Path) -> None:
    """Pool the summary PACKS of several SPSTI into a multicentre report (no row is read).

    Each pack is checked (format version, content SHA-256) and they must come from the same
    experiment and model exports, each SPSTI once; otherwise nothing is written (exit code
    2). The report holds the random-effects meta-analysis of every index and measure (95%
    CI and prediction interval, heterogeneity), forest plots, pooled calibration, net
    benefit and case mix.

    \b
    Example:
      irdp pool S*.irdp-summary.json --out reports/multicentre
    """
    from irdp.multicentre import pool as _pool
    from irdp.multicentre import write_pooled_report

    result = _pool(packs)
    written = write_pooled_report(result, out)
    click.echo(str(out / "report.md"))
    if not written["audit"]["clean"]:
        click.echo(f"WITHHOLD: the disclosure audit recovers "
                   f"{written['audit']['n_recoverable']} count(s) from {out}; do not publish "
                   "it.", err=True)
        ctx.exit(EXIT_WITHHELD)
