"""``irdp check``: validate an extract and print its data-quality report."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

#: Exit status of ``irdp check`` when the extract breaks the contract.
EXIT_INVALID_EXTRACT = 3


def _iso_date(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected an ISO date YYYY-MM-DD; got {value[:20]!r}.") \
            from None
    return value


@click.command("check", epilog="Exit status: 0 the extract satisfies the contract (report "
               "printed); 1 the report could not be written (--out, --csv); 2 usage error (bad "
               "option or PATH); 3 invalid extract (the problems "
               "are listed on standard error, identifiers masked).")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--csv", "csv_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Also write the report tables as CSV files in this folder.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the text report to this file.")
@click.option("--min-count", "min_count", type=click.IntRange(min=1), default=None,
              help="Disclosure control: counts below it are suppressed (default 11; below 11 "
              "only with --override-reason).")
@click.option("--override-reason", default=None,
              help="Why a --min-count below 11 is acceptable (stamped on the report).")
@click.option("--threshold", type=click.IntRange(min=1), default=None, hidden=True,
              help="Former name of --min-count (deprecated).")
@click.option("--as-of", default=None, callback=_iso_date,
              help="Extraction date (ISO); later dates are refused.")
@click.option("--max-errors", type=click.IntRange(min=1), default=100, show_default=True,
              help="Maximum number of problems listed when the extract is invalid.")
def check(path: Path, csv_dir: Path | None, out_file: Path | None, min_count: int | None,
          override_reason: str | None, threshold: int | None, as_of: str | None,
          max_errors: int) -> None:
    """Validate the extract in PATH against the contract and print a data-quality report.

    The report gives row counts per table, the completeness of every field overall and per
    SPSTI, the code-system versions found and the date ranges, after small-count suppression.
    When the extract breaks the contract, every problem found (file, row, column, value with
    identifiers masked, rule) is listed and the command exits with status 3.
    """
    from irdp.exceptions import ExtractError
    from irdp.io import read_extract
    from irdp.io.quality import quality_report

    try:
        extract = read_extract(path, as_of=as_of, max_errors=max_errors)
    except ExtractError as err:
        click.echo(str(err), err=True)
        click.echo(f"irdp check: the extract in {path} is invalid (exit status "
                   f"{EXIT_INVALID_EXTRACT}).", err=True)
        sys.exit(EXIT_INVALID_EXTRACT)
    from irdp.privacy import DEFAULT_MIN_COUNT, DisclosurePolicy

    if threshold is not None:
        click.echo("warning: --threshold is now called --min-count; --threshold will be "
                   "removed.", err=True)
        if min_count is not None and min_count != threshold:
            raise click.UsageError("--min-count and --threshold are the same setting.")
        min_count = threshold
    try:
        policy = DisclosurePolicy(min_count=DEFAULT_MIN_COUNT if min_count is None
                                  else min_count, override_reason=override_reason)
    except ValueError as err:
        raise click.UsageError(str(err).replace("override_reason='...'",
                                                "--override-reason '...'")) from err
    report = quality_report(extract, policy=policy)
    text = report.as_text()
    click.echo(text)
    try:
        if out_file is not None:
            out_file.parent.mkdir(parents=True, exist_ok=True)
            out_file.write_text(text, encoding="utf-8")
            click.echo(f"text report written to {out_file}")
        if csv_dir is not None:
            paths = report.to_csv(csv_dir)
            click.echo(f"CSV tables written to {csv_dir} ({', '.join(p.name for p in paths)})")
    except OSError as err:
        raise click.ClickException(f"the report could not be written to "
                                   f"{err.filename or 'the output'}: {err.strerror}.") from None
