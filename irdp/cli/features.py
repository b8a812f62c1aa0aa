"""``irdp features``: build a cohort and its feature table from an extract folder."""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

__all__ = ["features"]

#: Cohort columns written before the features (``age``, ``followup_type`` and the index
#: visit type are features too).
OUTCOME_COLUMNS = ["worker_id", "spsti_id", "index_date", "index_visit_id", "end_date", "time",
                   "cause", "cause_label", "event", "known_at_horizon", "event_at_horizon"]


def _feature_list(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


@click.command("features")
@click.option("--extract", "extract_dir", type=click.Path(exists=True, file_okay=False,
              path_type=Path), help="Extract folder (<table>.parquet or .csv files).")
@click.option("--cohort", "cohort_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="Cohort definition YAML (e.g. experiments/cohorts/*.yaml).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Output Parquet file: one row per (worker, index date), outcomes + features.")
@click.option("--features", "feature_names", default=None,
              help="Comma-separated feature names (default: all registered features).")
@click.option("--dictionary", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write feature_dictionary.csv and .md into this folder (alone: only "
                   "the dictionary).")
@click.option("--validate/--no-validate", default=True, show_default=True,
              help="Validate the extract against the contract when reading it.")
def features(extract_dir: Path | None, cohort_file: Path | None, out: Path | None,
             feature_names: str | None, dictionary: Path | None, validate: bool) -> None:
    """Build the cohort of COHORT over EXTRACT and write its outcomes and features to OUT.

    Also writes OUT's flow table (``<out>.flow.csv``, TRIPOD 20a) and missingness report
    per feature and SPSTI (``<out>.missingness.csv``).

    \b
    Example:
      irdp features --extract data/extract --cohort experiments/cohorts/mi_carriere_12m.yaml \\
          --out features.parquet
      irdp features --dictionary docs/
    """
    from irdp.features import write_data_dictionary

    if dictionary is not None:
        csv_path, md_path = write_data_dictionary(dictionary)
        click.echo(f"wrote {csv_path} and {md_path}")
    if extract_dir is None and cohort_file is None and out is None:
        if dictionary is None:
            raise click.UsageError("give --extract, --cohort and --out (or --dictionary DIR).")
        return
    missing = [n for n, v in (("--extract", extract_dir), ("--cohort", cohort_file),
                              ("--out", out)) if v is None]
    if missing:
        raise click.UsageError(f"missing option(s) {', '.join(missing)}: building features "
                               "needs --extract, --cohort and --out together.")
    _build(extract_dir, cohort_file, out, _feature_list(feature_names), validate)


def _open_extract(path: Path, validate: bool):
    from irdp.io import Extract, read_extract

    if validate:
        return read_extract(path)
    import duckdb

    con = duckdb.connect()
    names = []
    for f in sorted(path.iterdir()):
        if f.suffix in (".parquet", ".csv"):
            reader = "read_parquet" if f.suffix == ".parquet" else "read_csv_auto"
            con.execute(f"CREATE VIEW \"{f.stem}\" AS SELECT * FROM {reader}('{f.as_posix()}')")
            names.append(f.stem)
    return Extract(con, names, source=path)


def _build(extract_dir, cohort_file, out, names, validate) -> None:  # type: ignore[no-untyped-def]
    from irdp.cohort import CohortDefinition, build_cohort
    from irdp.features import build_features, missingness_report

    definition = CohortDefinition.from_yaml(cohort_file)
    extract = _open_extract(extract_dir, validate)
    cohort = build_cohort(extract, definition)
    X = build_features(extract, cohort, features=names)
    table = pd.concat([cohort.table[OUTCOME_COLUMNS], X], axis=1)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_parquet(out, index=False)
    flow_path = out.with_suffix(".flow.csv")
    cohort.flow.to_csv(flow_path, index=False)
    miss_path = out.with_suffix(".missingness.csv")
    missingness_report(X, cohort).to_csv(miss_path, index=False)
    click.echo(f"cohort {definition.name!r}: {len(cohort)} rows, "
               f"{cohort.table['worker_id'].nunique()} workers, "
               f"{int(cohort.table['event'].sum())} events; {X.shape[1]} features")
    click.echo(cohort.flow.to_string(index=False))
    click.echo(f"wrote {out}, {flow_path}, {miss_path}")
