"""Execute the notebooks of ``notebooks/`` (jupytext percent scripts) and render them.

The notebooks are ``NN_topic.py`` percent scripts (``.ipynb`` files are generated, never
committed). Each has one cell tagged ``parameters`` holding every knob. This module executes a
notebook with nbclient after injecting overriding parameters right after that cell (as
papermill does), so CI runs every notebook at a small size and ``make notebooks`` runs them at
full size and renders HTML::

    python -m irdp.notebooks --full --out reports/notebooks
    python -m irdp.notebooks --small --only 03 --out /tmp/nb

Executing needs the ``notebooks`` extra (jupytext, nbclient, nbconvert, ipykernel).

The notebooks show aggregates only, through :func:`safe_table`: the disclosure rules of
:mod:`irdp.privacy` applied to a table before it is displayed (no count under 11, and no
count that can be recomputed from the others), and a refusal to show rows of a cohort or
an extract (identifier or date columns).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from irdp.exceptions import DisclosureError
from irdp.privacy import DEFAULT_THRESHOLD, suppress_small_counts

__all__ = [
    "EXPECTED_NOTEBOOKS",
    "SMALL_PARAMETERS",
    "find_notebooks",
    "read_notebook",
    "inject_parameters",
    "execute_notebook",
    "render_html",
    "safe_flow",
    "safe_table",
    "main",
]

#: The notebooks the project ships, in order (a test fails if one is missing).
EXPECTED_NOTEBOOKS: tuple[str, ...] = (
    "00_tour",
    "01_data_quality",
    "02_cohort_features",
    "03_logistic_index",
    "04_survival_competing_risks",
    "05_internal_validation",
    "06_validation_across_spsti",
    "07_fairness",
    "08_missing_data_completeness",
    "09_comparing_indices",
    "10_sample_size",
)

#: Overrides applied to every notebook in CI (only names a notebook defines are injected).
SMALL_PARAMETERS: dict[str, Any] = {
    "N_WORKERS": 12_000,
    "N_SPSTI": 3,
    "N_BOOT": 10,
    "N_SIM": 20,
    "N_IMPUTATIONS": 2,
}

_NAME = re.compile(r"^(\d\d)_[a-z0-9_]+\.py$")

#: Columns that identify a row of the extract (``spsti_id`` names a service: it may be shown).
_IDENTIFIER = re.compile(r"(^|_)(id|nir|ins)$", flags=re.IGNORECASE)
_SHOWABLE_IDS = frozenset({"spsti_id"})

#: What a masked cell shows: a count under the threshold, or a count masked so that it cannot
#: be recomputed from the others (so not necessarily under 11).
MASKED = "masked"


def _row_level_columns(table: pd.DataFrame) -> list[str]:
    names = [*map(str, table.columns), *[str(n) for n in table.index.names if n is not None]]
    ids = [n for n in names if _IDENTIFIER.search(n) and n.lower() not in _SHOWABLE_IDS]
    dates = [str(c) for c in table.columns
             if pd.api.types.is_datetime64_any_dtype(table[c])]
    return ids + dates


def safe_table(
    table: pd.DataFrame | pd.Series,
    *,
    count_columns: Sequence[Any] | None = None,
    rates: Mapping[Any, tuple[Any, Any]] | None = None,
    row_total: Any = None,
    total_row: Any = None,
    known_totals: bool = False,
    min_count: int = DEFAULT_THRESHOLD,
) -> pd.DataFrame:
    """A table ready to display in a notebook: aggregates only, small counts masked.

    Applies :func:`irdp.privacy.suppress_small_counts` (primary suppression of counts
    ``0 < n < min_count``, secondary suppression along the declared totals, and the rates
    built on a masked count), then shows every masked cell as ``"masked"``: a count under
    ``min_count``, or one masked so that it cannot be recomputed from the published ones.

    Parameters
    ----------
    table : pandas.DataFrame or pandas.Series
        An aggregate table (a Series becomes a one-column table).
    count_columns : sequence of labels, optional
        Columns holding counts. Default: every integer column not listed in ``rates``.
    rates : mapping, optional
        ``{rate_column: (numerator_column, denominator_column)}``.
    row_total : label, optional
        Count column equal to the sum of the other count columns of each row.
    total_row : label, optional
        Index label of a row equal to the sum of the other rows.
    known_totals : bool, default=False
        The column totals are published elsewhere (e.g. the number of workers of the
        cohort), so one masked cell per column could be recomputed.
    min_count : int, default=11
        Smallest count shown (:data:`irdp.privacy.DEFAULT_THRESHOLD`).

    Returns
    -------
    pandas.DataFrame
        Same shape; masked cells hold the string ``"masked"``, the other cells their values.

    Raises
    ------
    TypeError
        If ``table`` is not a DataFrame or Series.
    irdp.exceptions.DisclosureError
        If the table holds rows of a cohort or extract (identifier or date columns):
        aggregate it first.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"workers": [120, 7, 45]}, index=["S001", "S002", "S003"])
    >>> safe_table(t, known_totals=True)["workers"].tolist()
    [120, 'masked', 'masked']
    """
    if isinstance(table, pd.Series):
        table = table.to_frame(name=table.name if table.name is not None else "value")
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame or Series; got "
                        f"{type(table).__name__}.")
    bad = _row_level_columns(table)
    if bad:
        raise DisclosureError(
            f"table must hold aggregates, not rows of a cohort or extract; it has identifier "
            f"or date columns {bad[:5]}. Count or summarise the rows first (e.g. "
            "table.groupby(...).size())."
        )
    out, mask = suppress_small_counts(
        table, threshold=min_count, count_columns=count_columns, rates=rates,
        row_total=row_total, total_row=total_row, known_totals=known_totals,
        return_mask=True)
    shown = out.astype(object)
    shown = shown.where(~mask.to_numpy(), MASKED)
    return shown


def _root() -> Path:
    return Path(__file__).resolve().parents[1]


def find_notebooks(folder: str | Path | None = None) -> list[Path]:
    """The ``NN_topic.py`` notebooks of ``folder`` (default: the repository's ``notebooks/``)."""
    folder = Path(folder) if folder is not None else _root() / "notebooks"
    return sorted(p for p in folder.glob("*.py") if _NAME.match(p.name))


def read_notebook(path: str | Path) -> Any:
    """Read a percent script as an nbformat notebook (jupytext)."""
    import jupytext

    return jupytext.read(Path(path), fmt="py:percent")


def _parameters_cell(nb: Any, path: str | Path) -> int:
    found = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    if len(found) != 1:
        raise ValueError(
            f"{path}: a notebook must have exactly one cell tagged 'parameters' "
            f"(`# %% tags=[\"parameters\"]`); found {len(found)}."
        )
    return found[0]


def inject_parameters(nb: Any, parameters: Mapping[str, Any], *, path: str | Path = "") -> Any:
    """Insert a cell overriding ``parameters`` right after the ``parameters`` cell.

    Only names assigned in the parameters cell are injected; an unknown name is an error so
    that a typo cannot silently leave a notebook at full size.
    """
    import nbformat

    i = _parameters_cell(nb, path)
    defined = set(re.findall(r"^([A-Z_][A-Z0-9_]*)\s*=", nb.cells[i].source, flags=re.M))
    unknown = sorted(set(parameters) - defined)
    if unknown:
        raise ValueError(f"{path}: parameters {unknown} are not defined in the parameters "
                         f"cell (defined: {sorted(defined)}).")
    if not parameters:
        return nb
    source = "# Parameters injected by irdp.notebooks\n" + "\n".join(
        f"{k} = {v!r}" for k, v in parameters.items()
    )
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    nb.cells.insert(i + 1, cell)
    return nb


def safe_flow(flow: pd.DataFrame, *, min_count: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """The flow of a cohort (TRIPOD+AI 20a) as an additive table, small counts masked.

    The flow's running numbers (candidates, then after each exclusion) would give every
    exclusion back by subtraction; this table lists instead the index events excluded at
    each step and those included, with the candidates as their total, and masks small counts
    and their complements together (:func:`safe_table` with ``total_row``).

    Parameters
    ----------
    flow : pandas.DataFrame
        ``Cohort.flow`` (``criterion``, ``excluded_index_events``, ``n_index_events``; the
        first row holds the candidate index events).
    min_count : int, default=11

    Returns
    -------
    pandas.DataFrame
        Index: "excluded: <criterion>" per step, "included in the cohort" and "candidate
        index events" (the total); column ``index_events``.
    """
    required = {"criterion", "excluded_index_events", "n_index_events"}
    if not isinstance(flow, pd.DataFrame) or not required <= set(flow.columns):
        raise TypeError(f"flow must be a Cohort.flow DataFrame with columns {sorted(required)}.")
    steps = flow.iloc[1:]
    rows = {f"excluded: {c}": int(v) for c, v in zip(steps["criterion"],
                                                     steps["excluded_index_events"],
                                                     strict=True)}
    rows["included in the cohort"] = int(flow["n_index_events"].iloc[-1])
    rows["candidate index events"] = int(flow["n_index_events"].iloc[0])
    table = pd.DataFrame({"index_events": pd.Series(rows, dtype="int64")})
    table.index.name = "step"
    return safe_table(table, total_row="candidate index events", min_count=min_count)


def execute_notebook(
    path: str | Path,
    parameters: Mapping[str, Any] | None = None,
    *,
    small: bool = False,
    timeout: int = 900,
) -> Any:
    """Execute a notebook top to bottom and return the executed notebook.

    Parameters
    ----------
    path : str or pathlib.Path
        The percent script.
    parameters : mapping, optional
        Overrides of names of the parameters cell.
    small : bool, default=False
        Apply :data:`SMALL_PARAMETERS` (those the notebook defines) before ``parameters``.
    timeout : int, default=900
        Seconds allowed per cell.

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        When a cell fails (the message holds the traceback).
    """
    from nbclient import NotebookClient

    nb = read_notebook(path)
    i = _parameters_cell(nb, path)
    defined = set(re.findall(r"^([A-Z_][A-Z0-9_]*)\s*=", nb.cells[i].source, flags=re.M))
    chosen: dict[str, Any] = {}
    if small:
        chosen.update({k: v for k, v in SMALL_PARAMETERS.items() if k in defined})
    chosen.update(parameters or {})
    inject_parameters(nb, chosen, path=path)
    root = _root()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(root)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    env.setdefault("MPLBACKEND", "Agg")
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3",
        resources={"metadata": {"path": str(root)}},
    )
    client.execute(env=env)
    return nb


def render_html(nb: Any) -> str:
    """Render an executed notebook as self-contained HTML (images are embedded)."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(embed_images=True).from_notebook_node(nb)
    return body


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: execute notebooks and write HTML (and .ipynb) into ``--out``."""
    parser = argparse.ArgumentParser(prog="python -m irdp.notebooks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--full", action="store_true", help="default parameters (full size)")
    size.add_argument("--small", action="store_true", help="CI parameters (small size)")
    parser.add_argument("--out", default="reports/notebooks", help="output folder")
    parser.add_argument("--only", nargs="*", default=None,
                        help="notebook numbers or names to run (default: all)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    paths = find_notebooks()
    if args.only:
        paths = [p for p in paths if any(p.stem.startswith(o) or p.stem == o for o in args.only)]
    import nbformat

    failures = 0
    for path in paths:
        t0 = time.perf_counter()
        try:
            nb = execute_notebook(path, small=args.small)
        except Exception as err:  # noqa: BLE001 - report every failing notebook, then exit 1
            failures += 1
            print(f"FAILED {path.name}: {type(err).__name__}: {str(err)[-2000:]}",
                  file=sys.stderr)
            continue
        (out / f"{path.stem}.html").write_text(render_html(nb), encoding="utf-8")
        nbformat.write(nb, out / f"{path.stem}.ipynb")
        print(f"{path.stem}: {time.perf_counter() - t0:.1f} s -> {out / (path.stem + '.html')}")
    return 1 if failures else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
