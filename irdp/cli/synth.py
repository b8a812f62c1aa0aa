"""``irdp synth``: write a synthetic multi-SPSTI DMST extract (one Parquet file per table, or
one per table and SPSTI with ``--partition``)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("synth")
@click.option("--workers", "n_workers", type=click.IntRange(min=10), default=20_000,
              show_default=True, help="Number of distinct workers.")
@click.option("--spsti", "n_spsti", type=click.IntRange(1, 999), default=None,
              help="Number of services (SPSTI). [default: 8, or 200 with --partition]")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed: the same seed gives byte-identical files.")
@click.option("--start", default="2017-01-01", show_default=True, help="First date (ISO).")
@click.option("--end", default="2024-12-31", show_default=True, help="Last date (ISO).")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder where <table>.parquet files (or <table>/<spsti>.parquet) are "
                   "written.")
@click.option("--partition", is_flag=True,
              help="Partition by SPSTI for national sizes: generate a batch of SPSTI at a time "
                   "in bounded memory and write <table>/<spsti_id>.parquet.")
@click.option("--batch-size", type=click.IntRange(min=1), default=1, show_default=True,
              help="With --partition: SPSTI generated together (the files do not depend on it).")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="With --partition: processes generating batches in parallel.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def synth(n_workers: int, n_spsti: int | None, seed: int, start: str, end: str, out: Path,
          partition: bool, batch_size: int, jobs: int, quiet: bool) -> None:
    """Generate a synthetic DMST extract with a known data-generating process."""
    from tqdm import tqdm

    from irdp.synth import generate_dmst, generate_dmst_partitioned

    if not partition and (batch_size != 1 or jobs != 1):
        raise click.UsageError("--batch-size and --jobs apply with --partition only.")
    if partition:
        k = n_spsti or 200
        with tqdm(total=-(-k // batch_size), desc="irdp synth", unit="batch",
                  disable=quiet) as bar:
            try:
                part = generate_dmst_partitioned(n_workers, n_spsti=k, start=start, end=end,
                                                 seed=seed, out=out, batch_size=batch_size,
                                                 n_jobs=jobs, progress=bar.update)
            except (TypeError, ValueError) as err:
                raise click.BadParameter(str(err)) from err
        counts = ", ".join(f"{t}: {int(part.rows[t].sum()):,}" for t in part.rows.columns)
        click.echo(f"wrote {len(part.rows.columns)} tables in {len(part.partitions)} SPSTI "
                   f"partitions to {out} ({counts})")
        return
    n_years = int(end[:4]) - int(start[:4]) + 1
    with tqdm(total=n_years + 9, desc="irdp synth", unit="step", disable=quiet) as bar:
        try:
            res = generate_dmst(n_workers, n_spsti=n_spsti or 8, start=start, end=end,
                                seed=seed, out=out, progress=bar.update)
        except (TypeError, ValueError) as err:
            raise click.BadParameter(str(err)) from err
    counts = ", ".join(f"{t}: {res.arrow[t].num_rows:,}" for t in res.arrow)
    click.echo(f"wrote {len(res.arrow)} tables to {out} ({counts})")
