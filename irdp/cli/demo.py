"""``irdp demo``: the end-to-end demonstration run by ``make demo``.

Until the later stages land, it generates a synthetic extract, validates it and writes its
data-quality summary.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command("demo")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("reports/demo"), show_default=True, help="Output folder.")
@click.option("--workers", "n_workers", type=click.IntRange(min=10), default=20_000,
              show_default=True, help="Number of synthetic workers.")
@click.option("--spsti", "n_spsti", type=click.IntRange(1, 999), default=8, show_default=True,
              help="Number of services.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed.")
def demo(out: Path, n_workers: int, n_spsti: int, seed: int) -> None:
    """Generate a synthetic extract into OUT/extract, validate it and write its quality report."""
    import time

    from irdp.io import read_extract
    from irdp.io.quality import quality_report
    from irdp.synth import generate_dmst

    t0 = time.perf_counter()
    extract_dir = out / "extract"
    res = generate_dmst(n_workers, n_spsti=n_spsti, seed=seed, out=extract_dir)
    click.echo(f"generated {n_workers:,} workers in {n_spsti} SPSTI into {extract_dir} "
               f"({res.arrow['visit'].num_rows:,} visits) in {time.perf_counter() - t0:.1f} s")
    t1 = time.perf_counter()
    extract = read_extract(extract_dir)
    click.echo(f"validated against contract v{extract.metadata['schema_version']} in "
               f"{time.perf_counter() - t1:.1f} s")
    report = quality_report(extract)
    summary = out / "quality_report.txt"
    summary.write_text(report.as_text(), encoding="utf-8")
    report.to_csv(out / "quality")
    (out / "truth_model.md").write_text(res.truth.describe() + "\n", encoding="utf-8")
    click.echo(report.as_text().split("\n\n")[1])
    click.echo(f"\ndata-quality summary: {summary}\nCSV tables: {out / 'quality'}\n"
               f"generator truth: {out / 'truth_model.md'}")
