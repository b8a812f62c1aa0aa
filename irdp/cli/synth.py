"""``irdp synth``: write a synthetic multi-SPSTI DMST extract (one Parquet file per table)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("synth")
@click.option("--workers", "n_workers", type=click.IntRange(min=10), default=20_000,
              show_default=True, help="Number of distinct workers.")
@click.option("--spsti", "n_spsti", type=click.IntRange(1, 999), default=8, show_default=True,
              help="Number of services (SPSTI).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed: the same seed gives byte-identical files.")
@click.option("--start", default="2017-01-01", show_default=True, help="First date (ISO).")
@click.option("--end", default="2024-12-31", show_default=True, help="Last date (ISO).")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder where <table>.parquet files are written.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def synth(n_workers: int, n_spsti: int, seed: int, start: str, end: str, out: Path,
          quiet: bool) -> None:
    """Generate a synthetic DMST extract with a known data-generating process."""
    from tqdm import tqdm

    from irdp.synth import generate_dmst

    n_years = int(end[:4]) - int(start[:4]) + 1
    with tqdm(total=n_years + 9, desc="irdp synth", unit="step", disable=quiet) as bar:
        try:
            res = generate_dmst(n_workers, n_spsti=n_spsti, start=start, end=end, seed=seed,
                                out=out, progress=bar.update)
        except (TypeError, ValueError) as err:
            raise click.BadParameter(str(err)) from err
    counts = ", ".join(f"{t}: {res.arrow[t].num_rows:,}" for t in res.arrow)
    click.echo(f"wrote {len(res.arrow)} tables to {out} ({counts})")
