"""``generate_dmst``: a synthetic multi-SPSTI DMST extract with a documented known truth."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from irdp.io.extract import TABLES, Extract
from irdp.io.read import read_extract
from irdp.synth import _params as P
from irdp.synth._codes import EVENTS
from irdp.synth._history import TERMS, History, simulate
from irdp.synth._partitioned import (
    PLAN_FILE,
    PartitionPlan,
    generate_partition,
    make_plan,
    rows_frame,
    write_batch,
    write_plan_file,
)
from irdp.synth._population import Spsti, Workers, day, make_spsti, make_workers
from irdp.synth._tables import Assembler

__all__ = ["DmstTruth", "PartitionedDmst", "SyntheticDmst", "generate_dmst",
           "generate_dmst_partitioned", "write_parquet"]

#: Parquet writer options fixed for byte-identical output.
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "row_group_size": 1 << 20,
    "data_page_version": "1.0",
}


def write_parquet(table: pa.Table, path: str | Path) -> None:
    """Write one table with the fixed options (deterministic bytes for identical content)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table.replace_schema_metadata(None), str(path), **PARQUET_OPTIONS)


class _LazyFrames(Mapping[str, pd.DataFrame]):
    """Mapping name -> pandas DataFrame, converted from Arrow on first access."""

    def __init__(self, arrow: Mapping[str, pa.Table]) -> None:
        self._arrow = arrow
        self._cache: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._cache:
            self._cache[name] = self._arrow[name].to_pandas()
        return self._cache[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._arrow)

    def __len__(self) -> int:
        return len(self._arrow)


@dataclass(frozen=True)
class DmstTruth:
    """The data-generating process of a synthetic extract (what methods should recover).

    Inaptitude hazard (per person-year), piecewise constant by calendar year, covariates
    evaluated on 1 January (or at entry)::

        lambda_i(t) = baseline_hazard * exp(sum_k beta_k x_ik(t) + u_spsti(i))

    with competing exits (retirement, death, change of SPSTI, other job loss, end of follow-up)
    drawn from their own hazards in the same yearly step, and administrative censoring at
    ``end``. Attributes are documented tables.

    Attributes
    ----------
    coefficients : pandas.DataFrame
        ``term``, ``log_hr`` (true beta), ``hazard_ratio``, ``description``.
    baseline_hazard : float
        Inaptitude hazard of the reference worker, per person-year.
    spsti : pandas.DataFrame
        Per SPSTI: ``spsti_id``, ``weight``, ``centre_effect`` (u, log-hazard scale),
        ``legacy_software`` (older code systems), completeness of diagnoses, exposures,
        education, RQTH, questionnaire rate, MNAR factor for mental diagnoses...
    competing : pandas.DataFrame
        The competing-exit hazards.
    parameters : pandas.DataFrame
        Every other scalar parameter (name, value).
    workers : pandas.DataFrame
        One row per worker: latent states, first event (``CENSORED``, ``INAPTITUDE``,
        ``RETRAITE``...), its date, and whether the inaptitude was declared at a reprise visit.
    design : pandas.DataFrame
        Person-interval table in counting-process form (``start``, ``stop`` in years since
        ``start``, ``event`` code, the true covariates), on which a Poisson or Cox fit recovers
        ``coefficients`` (see the tests).
    """

    coefficients: pd.DataFrame
    baseline_hazard: float
    spsti: pd.DataFrame
    competing: pd.DataFrame
    parameters: pd.DataFrame
    _workers: Callable[[], pd.DataFrame] = field(repr=False)
    _design: Callable[[], pd.DataFrame] = field(repr=False)

    @cached_property
    def workers(self) -> pd.DataFrame:  # noqa: D102 - documented in the class docstring
        return self._workers()

    @cached_property
    def design(self) -> pd.DataFrame:  # noqa: D102
        return self._design()

    def describe(self) -> str:
        """The hazard model's parameter table as Markdown."""
        lines = ["| term | beta (log HR) | HR | meaning |", "|---|---|---|---|"]
        for r in self.coefficients.itertuples():
            lines.append(
                f"| `{r.term}` | {r.log_hr:.3f} | {r.hazard_ratio:.2f} | {r.description} |"
            )
        lines.append(f"\nBaseline hazard: {self.baseline_hazard:g} per person-year; "
                     f"centre effects N(0, {P.CENTRE_EFFECT_SD}^2).")
        return "\n".join(lines)


@dataclass(frozen=True)
class SyntheticDmst:
    """Result of :func:`generate_dmst`.

    Attributes
    ----------
    extract : irdp.io.Extract
        The nine contract tables in DuckDB.
    truth : DmstTruth
        The data-generating process.
    arrow : dict of pyarrow.Table
        The tables as Arrow.
    tables : Mapping[str, pandas.DataFrame]
        The tables as pandas (converted on first access).
    path : pathlib.Path or None
        Folder the Parquet files were written to.
    """

    extract: Extract
    truth: DmstTruth
    arrow: dict[str, pa.Table]
    tables: Mapping[str, pd.DataFrame]
    path: Path | None = None


def _check_args(n_workers: Any, n_spsti: Any, start: Any, end: Any, seed: Any) -> tuple[int, int]:
    for name, v in (("n_workers", n_workers), ("n_spsti", n_spsti)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer):
            raise TypeError(f"{name} must be an int; got {type(v).__name__}.")
    if n_workers < 10:
        raise ValueError(f"n_workers must be >= 10; got {n_workers}.")
    if not 1 <= n_spsti <= 999:
        raise ValueError(f"n_spsti must be in [1, 999]; got {n_spsti}.")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise TypeError(f"seed must be a non-negative int; got {seed!r}.")
    try:
        s, e = day(str(start)), day(str(end))
    except ValueError as err:
        raise ValueError(f"start and end must be ISO dates (YYYY-MM-DD); got {start!r}, {end!r}."
                         ) from err
    if e - s < 365:
        raise ValueError(f"end must be at least one year after start; got {start} .. {end}.")
    if e >= day(str(np.datetime64("today", "D"))):
        raise ValueError(f"end must be in the past (extracts hold no future dates); got {end}.")
    return s, e


def generate_dmst(
    n_workers: int,
    *,
    n_spsti: int = 8,
    start: str = "2017-01-01",
    end: str = "2024-12-31",
    seed: int = 0,
    out: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> SyntheticDmst:
    """Generate a synthetic multi-SPSTI DMST extract with a known data-generating process.

    The extract follows ``data_schemas/`` (it passes :func:`irdp.io.read_extract`). Workers are
    followed from ``start`` (or their hiring) to their first exit or ``end``; each calendar year
    the inaptitude hazard of :class:`DmstTruth` and the competing exits are drawn, together
    with sick leaves (which trigger pré-reprise and reprise visits with the thresholds that
    changed on 1 April 2022), periodic, on-request, mid-career and end-of-career visits,
    conclusions, CIM-10 diagnoses, TEP exposures and questionnaires. SPSTI differ in size,
    case mix, centre effect, coding completeness (some fields missing not at random) and
    software (legacy services use older code systems). See ``docs/data.md``.

    Parameters
    ----------
    n_workers : int
        Number of distinct workers in the extract.
    n_spsti : int, default=8
        Number of services.
    start, end : str, default="2017-01-01", "2024-12-31"
        Extraction period (ISO dates); ``end`` must be in the past.
    seed : int, default=0
        Seed of the single NumPy generator used throughout: the same seed gives identical
        tables (and byte-identical Parquet files), whatever the number of cores.
    out : path, optional
        Folder where one Parquet file per table (``<table>.parquet``) is written.
    progress : callable, optional
        Called with an increment (steps: 1 per simulated year, then 1 per table).

    Returns
    -------
    SyntheticDmst
        ``.extract``, ``.truth``, ``.arrow``, ``.tables`` and ``.path``.

    Examples
    --------
    >>> res = generate_dmst(2_000, n_spsti=3, seed=1)
    >>> sorted(res.extract) == sorted(
    ...     ["worker", "company", "employment", "visit", "conclusion", "diagnosis", "exposure",
    ...      "questionnaire", "exit"])
    True
    >>> res.extract.n_rows("worker")
    2000
    >>> float(res.truth.coefficients.set_index("term").loc["female", "hazard_ratio"])
    1.3
    """
    start_d, end_d = _check_args(n_workers, n_spsti, start, end, seed)
    rng = np.random.default_rng(seed)
    sp = make_spsti(rng, int(n_spsti))
    workers, comp = make_workers(rng, sp, int(n_workers), start_d, end_d)
    hist = simulate(rng, workers, sp, start_d, end_d, progress)
    asm = Assembler(rng, workers, comp, sp, hist, start_d, end_d)
    arrow = asm.tables(TABLES)
    path = None
    if out is not None:
        path = Path(out)
        path.mkdir(parents=True, exist_ok=True)
        for name, table in arrow.items():
            write_parquet(table, path / f"{name}.parquet")
            if progress is not None:
                progress(1)
    truth = _truth(sp, workers, hist, asm, start_d)
    meta = {"synthetic": True, "seed": int(seed), "n_spsti": int(n_spsti), "start": str(start),
            "end": str(end)}
    extract = Extract.from_frames(arrow, metadata=meta)
    extract.source = path
    return SyntheticDmst(extract=extract, truth=truth, arrow=arrow, tables=_LazyFrames(arrow),
                         path=path)


def _static_truth(sp: Spsti, spsti_ids: list[str], n_workers: np.ndarray
                  ) -> dict[str, Any]:
    """Coefficients, SPSTI parameters, competing hazards and scalar parameters."""
    coef = pd.DataFrame(
        [(t, float(b), float(np.exp(b)), d) for t, b, d in P.COEFFICIENTS],
        columns=["term", "log_hr", "hazard_ratio", "description"],
    )
    coef["hazard_ratio"] = coef["hazard_ratio"].round(6)
    spsti = pd.DataFrame({
        "spsti_id": spsti_ids,
        "weight": sp.weight,
        "centre_effect": sp.centre_effect,
        "legacy_software": sp.legacy,
        "diagnosis_completeness": sp.diag_completeness,
        "mental_coding_factor": sp.mental_coding,
        "exposure_completeness": sp.exposure_completeness,
        "education_recorded": sp.education_recorded,
        "rqth_recorded": sp.rqth_recorded,
        "questionnaire_rate": sp.questionnaire_rate,
        "uses_wai": sp.uses_wai,
        "uses_ompsq": sp.uses_ompsq,
        "nurse_share": sp.nurse_share,
        "n_workers": n_workers,
    })
    competing = pd.DataFrame([
        ("RETRAITE", "by age: " + ", ".join(f"{k}: {v}" for k, v in P.RETIREMENT_HAZARD.items())
         + f"; certain at {P.RETIREMENT_CERTAIN_AGE}"),
        ("DECES", f"{P.DEATH_A} * exp({P.DEATH_B} * (age - 40))"),
        ("CHANGEMENT_SPSTI", str(P.CHANGE_SPSTI_HAZARD)),
        ("AUTRE_PERTE_EMPLOI", ", ".join(f"{k}: {v}" for k, v in P.JOB_LOSS_HAZARD.items())),
        ("FIN_SUIVI", str(P.END_FOLLOWUP_HAZARD)),
    ], columns=["exit", "annual_hazard"])
    scalars = {k: v for k, v in vars(P).items()
               if k.isupper() and isinstance(v, int | float | str) and not isinstance(v, bool)}
    parameters = pd.DataFrame(sorted(scalars.items()), columns=["name", "value"])
    parameters["value"] = parameters["value"].astype(str)
    return {"coefficients": coef, "baseline_hazard": P.BASELINE_HAZARD, "spsti": spsti,
            "competing": competing, "parameters": parameters}


def _truth(sp: Spsti, w: Workers, h: History, asm: Assembler, start_d: int) -> DmstTruth:
    static = _static_truth(sp, asm.spsti_ids.to_pylist(),
                           np.bincount(w.spsti, minlength=len(sp.weight)))

    def workers() -> pd.DataFrame:
        ev = np.asarray(EVENTS, dtype=object)[h.event]
        return pd.DataFrame({
            "worker_id": asm.worker_ids.to_pandas(),
            "spsti_id": asm.spsti_ids.to_pandas()[w.spsti].to_numpy(),
            "entry_date": (w.entry.astype("datetime64[D]")),
            "event": ev,
            "event_date": pd.to_datetime(np.where(h.event > 0, h.event_day, np.datetime64("NaT")
                                                  .astype(np.int64)).astype("datetime64[D]")),
            "inaptitude_at_reprise": h.inapt_at_reprise,
            "msk": w.msk, "mental": w.mental, "chronic2": w.chronic2, "was": w.was,
            "low_work_ability": w.low_work_ability, "manual_job": w.manual,
            "biomech_exposure": w.exposures[:, 0],
        })

    def design() -> pd.DataFrame:
        d = h.design
        frame = pd.DataFrame({
            "worker": d["worker"],
            "spsti": w.spsti[d["worker"]],
            "start": d["start"],
            "stop": d["stop"],
            "event": d["event"].astype(np.int8),
        })
        for j, t in enumerate(TERMS):
            frame[t] = d["X"][:, j]
        return frame

    return DmstTruth(**static, _workers=workers, _design=design)




@dataclass(frozen=True)
class PartitionedDmst:
    """Result of :func:`generate_dmst_partitioned`: an extract written one SPSTI at a time.

    Attributes
    ----------
    path : pathlib.Path
        Folder holding ``<table>/<spsti_id>.parquet`` and ``partitions.json``.
    truth : DmstTruth
        The data-generating process. ``truth.workers`` and ``truth.design`` are regenerated
        from the plan on first access (in memory: meant for small extracts).
    rows : pandas.DataFrame
        Rows per partition (index ``spsti_id``) and table (columns).
    """

    path: Path
    truth: DmstTruth
    rows: pd.DataFrame

    @property
    def partitions(self) -> list[str]:
        """The partition names (``spsti_id`` of the services that have workers)."""
        return list(self.rows.index)

    def read(self, **kwargs: Any) -> Extract:
        """Validate and open the extract: :func:`irdp.io.read_extract` on :attr:`path`."""
        return read_extract(self.path, **kwargs)


def _batches(items: list[int], size: int) -> list[list[int]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def generate_dmst_partitioned(
    n_workers: int,
    *,
    out: str | Path,
    n_spsti: int = 200,
    start: str = "2017-01-01",
    end: str = "2024-12-31",
    seed: int = 0,
    batch_size: int = 1,
    n_jobs: int = 1,
    progress: Callable[[int], None] | None = None,
) -> PartitionedDmst:
    """Write a synthetic extract partitioned by SPSTI, generating a batch of SPSTI at a time.

    Same data-generating process as :func:`generate_dmst`, for national sizes (18 M workers in
    200 SPSTI) in bounded memory: a plan is drawn from ``numpy.random.default_rng(seed)`` (the
    SPSTI parameters, identical to :func:`generate_dmst` for the same seed; the multinomial
    number of workers of each SPSTI; one seed per SPSTI), then each SPSTI is simulated with its
    own generator and written as ``out/<table>/<spsti_id>.parquet``. Memory grows with the
    largest batch, not with ``n_workers``, and the files are byte-identical whatever
    ``batch_size`` and ``n_jobs``. :func:`irdp.io.read_extract` reads the folder as one
    extract (each table a dataset of Parquet files).

    Parameters
    ----------
    n_workers : int
        Number of distinct workers in the extract.
    out : path
        Folder to write (created if needed).
    n_spsti : int, default=200
        Number of services (those drawn with no worker have no file).
    start, end : str, default="2017-01-01", "2024-12-31"
        Extraction period (ISO dates); ``end`` must be in the past.
    seed : int, default=0
        Seed of the plan.
    batch_size : int, default=1
        Number of SPSTI generated by one task (held in memory together).
    n_jobs : int, default=1
        Number of processes running the batches (joblib).
    progress : callable, optional
        Called with 1 after each batch.

    Returns
    -------
    PartitionedDmst
        ``.path``, ``.truth``, ``.rows`` and ``.read()``.

    Notes
    -----
    Ids are tagged with the SPSTI number (``W003000000017`` is worker 17 of ``S003``), so
    sorting by ``worker_id`` sorts by partition first. Unlike :func:`generate_dmst`, the
    number of workers of a SPSTI is multinomial rather than a sorted categorical draw, so the
    two functions give different workers for the same seed.

    Examples
    --------
    >>> import tempfile
    >>> res = generate_dmst_partitioned(3_000, n_spsti=3, seed=1, out=tempfile.mkdtemp())
    >>> res.partitions
    ['S001', 'S002', 'S003']
    >>> int(res.rows["worker"].sum())
    3000
    """
    start_d, end_d = _check_args(n_workers, n_spsti, start, end, seed)
    for name, v in (("batch_size", batch_size), ("n_jobs", n_jobs)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
            raise ValueError(f"{name} must be a positive int; got {v!r}.")
    path = Path(out)
    path.mkdir(parents=True, exist_ok=True)
    plan = make_plan(int(n_workers), int(n_spsti), int(seed), start_d, end_d)
    batches = _batches(plan.nonempty(), int(batch_size))
    rows: dict[str, dict[str, int]] = {}
    if n_jobs == 1:
        for b in batches:
            rows.update(write_batch(plan, b, str(path), write_parquet))
            if progress is not None:
                progress(1)
    else:
        from joblib import Parallel, delayed

        run = Parallel(n_jobs=int(n_jobs), return_as="generator")
        for done in run(delayed(write_batch)(plan, b, str(path), write_parquet)
                        for b in batches):
            rows.update(done)
            if progress is not None:
                progress(1)
    meta = {"synthetic": True, "seed": int(seed), "n_workers": int(n_workers),
            "n_spsti": int(n_spsti), "start": str(start), "end": str(end)}
    write_plan_file(path, meta, rows)
    frame = rows_frame(rows)
    return PartitionedDmst(path=path, truth=_partitioned_truth(plan), rows=frame)


def _partitioned_truth(plan: PartitionPlan) -> DmstTruth:
    names = [plan.name(c) for c in range(plan.n_spsti)]
    static = _static_truth(plan.sp, names, plan.counts)

    def parts() -> list[tuple[int, DmstTruth]]:
        out = []
        for c in plan.nonempty():
            p = generate_partition(plan, c)
            out.append((c, _truth(p.sp, p.workers, p.history, p.assembler, plan.start)))
        return out

    def workers() -> pd.DataFrame:
        return pd.concat([t.workers for _, t in parts()], ignore_index=True)

    def design() -> pd.DataFrame:
        frames, offset = [], 0
        for c, t in parts():
            d = t.design
            d["worker"] += offset
            d["spsti"] = c
            offset += int(plan.counts[c])
            frames.append(d)
        return pd.concat(frames, ignore_index=True)

    return DmstTruth(**static, _workers=workers, _design=design)


#: Name of the plan file of a partitioned extract (generator arguments, rows per partition).
PARTITIONS_FILE = PLAN_FILE
