"""Run an experiment end to end: extract -> cohort -> features -> indices -> validation -> report.

:func:`run_experiment` is what ``irdp run experiments/X.yaml`` calls. It writes
``<out>/<name>/<run-id>/`` holding

- ``report.html``: the self-contained TRIPOD+AI report (figures embedded);
- ``tables/*.csv``: every table of the report, after disclosure control;
- ``models/<index>.json``: the exported fitted indices (:func:`irdp.models.load` reads them);
- ``provenance.json``: git commit, SHA-256 of the extract files and of the configuration,
  package versions, seeds and timings.

Every random step draws from the experiment's ``seed`` (never from the number of cores), so
two runs of one configuration give byte-identical tables. After writing, the run folder is
scanned for worker and company identifiers; finding one is an error.

A step whose building block is missing from the installed irdp (for example a validation
design not available in this version) does not stop the run: its report section says so
explicitly, and the TRIPOD+AI checklist marks the items as not available.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import json
import shutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from irdp.exceptions import IrdpError
from irdp.experiment import ExperimentConfig, config_hash, load_experiment
from irdp.report import (
    Report,
    Timer,
    add_checklist,
    git_info,
    hash_file,
    hash_folder,
    make_run_id,
    scan_identifiers,
    table_one,
    table_one_disclosure,
    write_provenance,
    write_report,
)

__all__ = ["RunResult", "run_experiment", "IdentifierLeakError", "LEVEL_LABELS"]

#: Labels of the three risk levels of the IRDP.
LEVEL_LABELS = ("faible", "intermédiaire", "forte")


class IdentifierLeakError(IrdpError, RuntimeError):
    """A file of a run holds a worker or company identifier."""


class _Unavailable(Exception):
    """A building block is not available in the installed irdp (section says so)."""


def _need(module: str, *names: str) -> Any:
    """Import ``module`` and return the named attributes, or raise :class:`_Unavailable`."""
    try:
        mod = importlib.import_module(module)
    except ImportError as err:
        raise _Unavailable(f"module {module} is not installed") from err
    out = []
    for name in names:
        if not hasattr(mod, name):
            raise _Unavailable(f"{module}.{name} is missing")
        out.append(getattr(mod, name))
    return out[0] if len(out) == 1 else tuple(out)


@dataclass
class RunResult:
    """Where a run wrote its outputs."""

    run_id: str
    run_dir: Path
    report_path: Path
    provenance_path: Path
    timings: dict[str, float]
    unavailable: dict[str, str]
    warnings: dict[str, list[str]]


@dataclass
class _State:
    cfg: ExperimentConfig
    report: Report
    run_dir: Path
    cache_dir: Path
    n_jobs: int
    timer: Timer = field(default_factory=Timer)
    provenance: dict[str, Any] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    extract: Any = None
    extract_path: Path | None = None
    cohort: Any = None
    frame: pd.DataFrame | None = None      # cohort table + features, one row per index event
    X: pd.DataFrame | None = None
    dictionary: pd.DataFrame | None = None
    dev: np.ndarray | None = None          # boolean mask of development rows
    fitted: dict[str, Any] = field(default_factory=dict)
    risks: dict[str, np.ndarray] = field(default_factory=dict)
    levels: dict[str, np.ndarray] = field(default_factory=dict)
    cutoffs: dict[str, tuple[float, float]] = field(default_factory=dict)
    preprocessing: dict[str, Any] = field(default_factory=dict)
    designs: dict[str, pd.DataFrame] = field(default_factory=dict)
    identifiers: set[str] = field(default_factory=set)

    @property
    def horizon(self) -> int:
        return int(self.cohort.horizon_days)

    def seed(self, offset: int) -> int:
        """Independent, documented seed of one step (the experiment seed + a fixed offset)."""
        return int(self.cfg.seed) + offset


# ------------------------------------------------------------------------------------ steps


def _step_extract(st: _State) -> None:
    cfg = st.cfg
    generated = None
    if cfg.extract.synthetic is not None:
        syn = cfg.extract.synthetic
        generate_dmst = _need("irdp.synth", "generate_dmst")
        # the cache key covers the parameters and the generator's code
        synth_dir = Path(importlib.import_module("irdp.synth").__file__).parent
        code = hash_folder_files({p.name: hash_file(p) for p in sorted(synth_dir.glob("*.py"))})
        key = json.dumps(
            [syn.n_workers, syn.n_spsti, str(syn.start), str(syn.end), syn.seed, code]
        ).encode()
        import hashlib

        folder = st.cache_dir / f"extract-{hashlib.sha256(key).hexdigest()[:12]}"
        marker = folder / ".complete"
        if not marker.exists():
            if folder.exists():
                shutil.rmtree(folder)
            generated = generate_dmst(syn.n_workers, n_spsti=syn.n_spsti,
                                      start=str(syn.start), end=str(syn.end), seed=syn.seed,
                                      out=folder)
            marker.write_text("ok\n")
        st.extract_path = folder
        st.provenance["extract"] = {"synthetic": {
            "n_workers": syn.n_workers, "n_spsti": syn.n_spsti, "start": str(syn.start),
            "end": str(syn.end), "seed": syn.seed}}
    else:
        st.extract_path = cfg.extract.path
        st.provenance["extract"] = {}
    st.extract = _read(st.extract_path, generated)
    hashed = hash_folder(st.extract_path)
    hashed["files"] = {k: v for k, v in hashed["files"].items() if not k.startswith(".")}
    hashed["sha256"] = hash_folder_files(hashed["files"])
    st.provenance["extract"].update({"path": str(st.extract_path), **hashed})
    for table, col in (("worker", "worker_id"), ("company", "company_id")):
        if table in st.extract:
            rows = st.extract.connection.execute(
                f'SELECT DISTINCT CAST("{col}" AS VARCHAR) FROM "{table}"').fetchall()
            st.identifiers.update(r[0] for r in rows if r[0] is not None)
    _section_data(st)


def _read(path: Path, generated: Any) -> Any:
    """Validated extract (irdp.io.read_extract), or the generator's own when just made."""
    try:
        read_extract = _need("irdp.io", "read_extract")
    except _Unavailable:
        if generated is not None:
            return generated.extract
        import pyarrow.parquet as pq

        from irdp.io import Extract

        files = sorted(Path(path).glob("*.parquet"))
        if not files:
            raise
        return Extract.from_frames({f.stem: pq.read_table(f) for f in files})
    return read_extract(path)


def hash_folder_files(files: dict[str, str]) -> str:
    """Combined SHA-256 of a {relative path: sha256} mapping (order-independent)."""
    import hashlib

    return hashlib.sha256(
        "\n".join(f"{k} {v}" for k, v in sorted(files.items())).encode()).hexdigest()


def _section_data(st: _State) -> None:
    r = st.report
    ex = st.extract
    con = ex.connection
    rows = []
    from irdp.io.extract import TABLES

    names = [n for n in TABLES if n in ex.names] + sorted(set(ex.names) - set(TABLES))
    for name in names:
        n = con.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]
        rows.append({"table": name, "rows": int(n)})
    r.add_text("data", "Data source: the DMST (dossier médical en santé au travail) of the "
               "participating SPSTI (services de prévention et de santé au travail), exported "
               "to the irdp extract contract (docs/contract.md).")
    if st.cfg.extract.synthetic is not None:
        r.add_note("data", "This run uses a SYNTHETIC extract generated by irdp.synth "
                   "(seeded); no real worker is described.", kind="info")
    r.add_table("data", "extract_tables", pd.DataFrame(rows), caption="Extract tables and "
                "row counts", count_columns=["rows"])
    dates = con.execute(
        'SELECT MIN(visit_date), MAX(visit_date), COUNT(DISTINCT worker_id) FROM "visit"'
    ).fetchone()
    centres = con.execute(
        'SELECT spsti_id, COUNT(*) AS workers FROM "worker" GROUP BY 1 ORDER BY 1'
    ).df()
    r.add_text("data", f"Visits recorded from {dates[0]} to {dates[1]}; {len(centres)} SPSTI "
               "(centres) contribute workers.")
    centres["spsti_id"] = centres["spsti_id"].astype(str)
    centres["workers"] = centres["workers"].astype("int64")
    r.add_table("data", "centres", centres, caption="Workers followed by each SPSTI",
                count_columns=["workers"], known_totals=True)


def _cohort_definition(st: _State) -> Any:
    CohortDefinition = _need("irdp.cohort", "CohortDefinition")
    c = st.cfg.cohort
    if isinstance(c, Path):
        return CohortDefinition.from_yaml(c)
    data = dict(c)
    data.setdefault("name", st.cfg.name)
    if "extract_end" not in data:
        end = st.extract.connection.execute('SELECT MAX(visit_date) FROM "visit"').fetchone()[0]
        data["extract_end"] = str(end)
    return CohortDefinition.from_dict(data)


def _step_cohort(st: _State) -> None:
    build_cohort = _need("irdp.cohort", "build_cohort")
    definition = _cohort_definition(st)
    st.cohort = build_cohort(st.extract, definition)
    table = st.cohort.table.copy()
    st.frame = table
    r = st.report
    d = definition
    r.add_text("participants", "Cohort definition (as run):")
    r.add_text("participants", d.to_yaml() if hasattr(d, "to_yaml") else repr(d), pre=True)
    flow = st.cohort.flow.copy()
    counts = [c for c in flow.columns if pd.api.types.is_integer_dtype(flow[c])
              and str(c).startswith(("n_", "excluded_"))]
    r.add_table("flow", "flow", flow, caption="Participant flow: index events and workers "
                "at each eligibility step (TRIPOD+AI 20a)", count_columns=counts)
    summ = st.cohort.summary().reset_index()
    r.add_table("flow", "outcomes_by_cause", summ, caption="Follow-up end by cause, overall "
                "and within the horizon", count_columns=["n_total", "n_within_horizon"],
                known_totals=True)
    h = st.horizon
    r.add_text("outcome", f"Outcome: {', '.join(d.outcome.conclusions)} (avis d'inaptitude) "
               f"recorded after the index date, within a horizon of {h} days. Competing "
               f"events: {', '.join(d.competing) or 'none'}; follow-up is censored at a "
               "change of SPSTI and at the end of the extract "
               f"({d.extract_end}). Risks are absolute risks of the outcome by the horizon.")


def _step_features(st: _State) -> None:
    build_features = _need("irdp.features", "build_features")
    feats = build_features(st.extract, st.cohort)
    X, dictionary = _split_features(feats)
    if dictionary is None:
        dictionary = _need("irdp.features", "data_dictionary")()
    include = st.cfg.features.include
    if include != "all":
        keep = [c for c in X.columns if c in include or _family(dictionary, c) in include]
        X = X[keep]
    X = X.drop(columns=[c for c in st.cfg.features.exclude if c in X.columns])
    st.X = X.reset_index(drop=True)
    st.dictionary = dictionary
    st.frame = pd.concat([st.frame.reset_index(drop=True),
                          st.X.drop(columns=[c for c in st.X.columns
                                             if c in st.frame.columns])], axis=1)
    if dictionary is not None:
        d = dictionary[dictionary.iloc[:, 0].isin(X.columns)] if len(dictionary) else dictionary
        r = st.report
        r.add_text("predictors", f"{X.shape[1]} candidate predictors, computed from records "
                   "dated strictly before (or at, where documented) the index date, by the "
                   "declarative feature registry (irdp.features).")
        r.add_table("predictors", "data_dictionary", _plain_columns(d),
                    caption="Predictors: definition, family, source and look-back window",
                    disclosure=False)


def _split_features(feats: Any) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    if isinstance(feats, pd.DataFrame):
        return feats, None
    if isinstance(feats, tuple):
        return feats[0], feats[1]
    X = getattr(feats, "X", None)
    if X is None:
        X = feats.frame
    return X, getattr(feats, "dictionary", None)


def _family(dictionary: pd.DataFrame | None, name: str) -> str | None:
    if dictionary is None or "family" not in dictionary.columns:
        return None
    hit = dictionary[dictionary.iloc[:, 0] == name]
    return None if hit.empty else str(hit["family"].iloc[0])


def _plain_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Object/str copy of a descriptive table (no count columns in it)."""
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_integer_dtype(out[c]) and not pd.api.types.is_bool_dtype(out[c]):
            out[c] = out[c].astype("float64")
    return out


def _step_split(st: _State) -> None:
    ho = st.cfg.validation.holdout
    t = st.frame
    if ho.by == "none":
        st.dev = np.ones(len(t), dtype=bool)
        how = "All index events are used for development; validation is internal only."
    elif ho.by == "spsti":
        st.dev = ~t["spsti_id"].astype(str).isin(ho.spsti).to_numpy()
        how = f"SPSTI {', '.join(ho.spsti)} are held out for (geographic) validation."
    else:
        dates = pd.to_datetime(t["index_date"])
        cutoff = pd.Timestamp(ho.cutoff) if ho.cutoff is not None else dates.quantile(0.7)
        cutoff = cutoff.normalize()
        st.dev = (dates < cutoff).to_numpy()
        how = (f"Index events before {cutoff.date()} are used for development, later ones "
               "for temporal validation.")
    if st.dev.sum() == 0 or (ho.by != "none" and st.dev.all()):
        raise IrdpError(f"validation.holdout leaves an empty development or validation set "
                        f"({int(st.dev.sum())} development rows of {len(st.dev)}); change "
                        "validation.holdout.")
    st.frame["dataset"] = np.where(st.dev, "development", "validation")
    st.report.add_text("analysis", "Data use (12a): " + how)
    st.report.add_text("dev-vs-val", how + " Eligibility, outcome and predictor definitions "
                       "are identical in both sets (same cohort definition and feature "
                       "registry); Table 1 compares their case mix with standardised mean "
                       "differences.")


def _table1_variables(st: _State) -> list[str]:
    cands = ["age", "sex", "age_band", "followup_type", "index_visit_type", "size_band",
             "naf_section", "contract", "rqth"]
    present = [c for c in cands if c in st.frame.columns]
    if st.X is not None:
        extra = [c for c in st.X.columns if c not in present][: max(0, 20 - len(present))]
        present += extra
    return present


def _step_table1(st: _State) -> None:
    r = st.report
    variables = _table1_variables(st)
    t1 = table_one(st.frame, "dataset", variables, overall=True)
    r.add_table("table1", "table1_dev_val", t1, caption="Table 1: characteristics of the "
                "development and validation data, with standardised mean differences (SMD)",
                **table_one_disclosure(t1))
    t2 = table_one(st.frame, "spsti_id", variables, overall=True)
    r.add_table("table1", "table1_by_spsti", t2, caption="Table 1 by SPSTI (SMD: largest "
                "absolute pairwise difference between SPSTI)", **table_one_disclosure(t2))
    miss = []
    for v in variables:
        s = st.frame[v]
        row = {"variable": v, "n_missing": int(s.isna().sum())}
        for g, part in st.frame.groupby("spsti_id", sort=True):
            row[f"missing % ({g})"] = round(100 * float(part[v].isna().mean()), 2)
        miss.append(row)
    mt = pd.DataFrame(miss)
    r.add_table("missing", "missing_by_spsti", mt, caption="Missing values per variable, "
                "overall (count) and per SPSTI (%)", count_columns=["n_missing"])
    _quality_section(st)
    r.add_text("preparation", "Data preparation: the extract is validated against the "
               "contract on loading (types, code systems and versions, keys, dates); the "
               "completeness of each variable per SPSTI is in the Missing data section, so "
               "differences in data quality between services are visible.")


def _quality_section(st: _State) -> None:
    """Completeness of every incompletely filled field of the extract, by SPSTI (item 7)."""
    try:
        quality_report = _need("irdp.io.quality", "quality_report")
    except _Unavailable as err:
        st.report.unavailable("preparation", "Data-quality report", str(err))
        return
    q = quality_report(st.extract, threshold=st.cfg.report.min_count)
    comp = q.completeness.copy()
    comp["field"] = comp["table"].astype(str) + "." + comp["column"].astype(str)
    wide = comp.pivot_table(index="field", columns="spsti_id", values="pct_filled",
                            aggfunc="first", sort=True)
    wide = wide[[c for c in ["ALL", *sorted(c for c in wide.columns if c != "ALL")]
                 if c in wide.columns]]
    wide = wide[(wide.fillna(100) < 100).any(axis=1)].round(2)
    if wide.empty:
        st.report.add_text("preparation", "Every field of the extract is completely filled.")
        return
    wide = wide.reset_index().astype({c: "float64" for c in wide.columns})
    st.report.add_table("preparation", "completeness_by_spsti", wide, caption="Percentage "
                        "of rows with the field filled, overall (ALL) and by SPSTI (fields "
                        "not always filled; blank: suppressed by the disclosure control of "
                        "irdp.io.quality_report)", disclosure=False)


def _step_events(st: _State) -> None:
    t = st.frame
    h = st.horizon
    rows = []
    for name, mask in (("development", st.dev), ("validation", ~st.dev),
                       ("all", np.ones(len(t), bool))):
        part = t[mask]
        if part.empty:
            continue
        within = part["time"] <= h
        rows.append({
            "analysis": name,
            "n": int(len(part)),
            "workers": int(part["worker_id"].nunique()),
            "events_by_horizon": int(((part["cause"] == 1) & within).sum()),
            "competing_by_horizon": int(((part["cause"] > 1) & within).sum()),
            "censored_before_horizon": int(((part["cause"] == 0) & within).sum()),
            "median_followup_days": float(part["time"].median()),
        })
    st.report.add_table(
        "events", "events_per_analysis", pd.DataFrame(rows),
        caption=f"Participants and outcome events per analysis (horizon {h} days)",
        count_columns=["n", "workers", "events_by_horizon", "competing_by_horizon",
                       "censored_before_horizon"],
    )


# --------------------------------------------------------------------- text-only sections


def _text_sections(st: _State) -> None:
    cfg, r = st.cfg, st.report
    r.add_text("summary", cfg.description or f"Validation of candidate IRDP indices "
               f"(indice de repérage de la désinsertion professionnelle) in experiment "
               f"'{cfg.name}': development and validation of risk indices of avis "
               "d'inaptitude from the DMST.")
    r.add_text("summary", "Candidate indices: " + ", ".join(
        f"{i.label or i.name} ({i.kind})" for i in cfg.indices) + ".")
    if cfg.report.background:
        r.add_text("background", cfg.report.background)
    r.add_note("background", "Authors must add the rationale, the intended use of the index "
               "in the SPSTI care pathway (cellule PDP, médecin du travail) and a review of "
               "existing indices (TRIPOD+AI 3a-3b).", kind="authors")
    r.add_text("background", "Objective: to develop and validate (internally, temporally and "
               "across SPSTI) indices of the risk of désinsertion professionnelle, measured "
               "as an avis d'inaptitude, and to compare them with existing questionnaires.")
    r.add_text("open-science", "Code: irdp (open source). This run is reproducible from the "
               "configuration below and the provenance record (git commit, hashes of the "
               "extract and configuration, package versions, seeds).")
    r.add_text("open-science", json.dumps(cfg.to_dict(), indent=2, default=str), pre=True)
    r.add_note("discussion", "Authors must add the interpretation (25), the limitations (26), "
               "the expertise required of users (27b) and the next steps (27c).",
               kind="authors")
    r.add_text("deployment", "At deployment, exported indices refuse inputs that break the "
               "extract contract (irdp.io.read_extract) and the models' input checks "
               "(missing columns, wrong types, values outside the development range are "
               "reported, never silently imputed). The completeness sensitivity section shows "
               "how performance degrades when DMST fields are missing.")
    r.add_text("analysis", "Class imbalance (13): no resampling or reweighting of events is "
               "used; models are fitted by maximum likelihood on the observed case mix.")


# --------------------------------------------------------------------------------- runner

_STEPS: tuple[tuple[str, Callable[[_State], None], tuple[str, ...], tuple[str, ...]], ...] = (
    # (name, function, sections marked unavailable on failure, prerequisite state attributes)
    ("extract", _step_extract, ("data",), ()),
    ("cohort", _step_cohort, ("participants", "flow", "outcome"), ("extract",)),
    ("features", _step_features, ("predictors",), ("cohort",)),
    ("split", _step_split, ("dev-vs-val",), ("cohort",)),
    ("table1", _step_table1, ("table1", "missing"), ("dev",)),
    ("events", _step_events, ("events",), ("dev",)),
)


def _resolve(config: ExperimentConfig | str | Path) -> ExperimentConfig:
    if isinstance(config, ExperimentConfig):
        return config
    return load_experiment(config)


def run_experiment(
    config: ExperimentConfig | str | Path,
    *,
    out: str | Path = "reports",
    n_jobs: int | None = None,
    progress: bool = True,
    run_id: str | None = None,
) -> RunResult:
    """Run an experiment and write its report folder.

    Parameters
    ----------
    config : ExperimentConfig or path
        The experiment (or its YAML file).
    out : str or pathlib.Path, default="reports"
        Root of the reports; the run goes to ``<out>/<name>/<run-id>/`` and a synthetic
        extract is cached in ``<out>/<name>/_cache/`` (outside the run folder).
    n_jobs : int, optional
        Overrides the configuration's ``n_jobs`` (results do not depend on it).
    progress : bool, default=True
        Show a progress bar on stderr.
    run_id : str, optional
        Default: ``YYYYMMDDTHHMMSSZ-<config hash>``.

    Returns
    -------
    RunResult
    """
    cfg = _resolve(config)
    chash = config_hash(cfg)
    started = _dt.datetime.now(_dt.UTC)
    run_id = run_id or make_run_id(chash, started)
    root = Path(out) / cfg.name
    run_dir = root / run_id
    k = 1
    while run_dir.exists():
        k += 1
        run_dir = root / f"{run_id}-{k}"
    run_dir.mkdir(parents=True)
    title = cfg.report.title or f"Validation report: {cfg.name}"
    report = Report(title, min_count=cfg.report.min_count,
                    figure_format=cfg.report.figure_format,
                    subtitle="TRIPOD+AI structured report of an irdp experiment")
    st = _State(cfg=cfg, report=report, run_dir=run_dir, cache_dir=root / "_cache",
                n_jobs=n_jobs if n_jobs is not None else cfg.n_jobs)
    try:
        return _run(st, chash, started, progress)
    except BaseException:
        shutil.rmtree(run_dir, ignore_errors=True)  # never leave a half-written run behind
        raise


def _run(st: _State, chash: str, started: _dt.datetime, progress: bool) -> RunResult:
    cfg, report, run_dir = st.cfg, st.report, st.run_dir
    steps = list(_STEPS) + list(_LATE_STEPS)
    from tqdm.auto import tqdm

    bar = tqdm(steps, desc=f"irdp run {cfg.name}", unit="step", disable=not progress)
    for name, fn, sections, needs in bar:
        bar.set_postfix_str(name)
        missing = [n for n in needs if getattr(st, n, None) is None and
                   not (n == "models" and st.risks)]
        with st.timer(name), warnings.catch_warnings(record=True) as caught:
            # warnings are recorded and reported (report section, provenance, CLI), not lost
            warnings.simplefilter("always")
            try:
                if missing:
                    raise _Unavailable(f"needs the {', '.join(missing)} step")
                fn(st)
            except _Unavailable as err:
                st.unavailable[name] = str(err)
                for sid in sections:
                    report.unavailable(sid, f"{name.replace('_', ' ').capitalize()}",
                                       str(err))
        _record_warnings(st, name, sections, caught)
    with st.timer("text"):
        _text_sections(st)
    (run_dir / "models").mkdir(exist_ok=True)
    with st.timer("export"):
        for name, model in st.fitted.items():
            if hasattr(model, "export"):
                path = run_dir / "models" / f"{name}.json"
                path.write_text(json.dumps(model.export(), indent=2, sort_keys=True,
                                           default=_json_default) + "\n", encoding="utf-8")
            if name in st.preprocessing:  # what to apply to raw features before the model
                path = run_dir / "models" / f"{name}.preprocessing.json"
                path.write_text(json.dumps(st.preprocessing[name].to_dict(), indent=2,
                                           sort_keys=True, default=_json_default) + "\n",
                                encoding="utf-8")
    add_checklist(report)
    prov = {
        "run_id": run_dir.name,
        "experiment": cfg.name,
        "started_utc": started.isoformat(timespec="seconds"),
        "git": git_info(),
        "configuration": {
            "path": str(cfg.source) if cfg.source else None,
            "file_sha256": hash_file(cfg.source) if cfg.source else None,
            "canonical_sha256": chash,
        },
        "seeds": {"experiment": cfg.seed,
                  "synthetic_extract": cfg.extract.synthetic.seed
                  if cfg.extract.synthetic else None},
        "n_jobs": st.n_jobs,
        **st.provenance,
        "unavailable": st.unavailable,
        "warnings": st.warnings,
        "failures": st.failures,
    }
    _provenance_section(st, prov)
    with st.timer("write"):
        report_path = write_report(report, run_dir, run_id=run_dir.name)
    prov["timings_seconds"] = st.timer.timings
    prov_path = write_provenance(run_dir / "provenance.json", prov)
    findings = scan_identifiers(run_dir, st.identifiers)
    if findings:
        raise IdentifierLeakError(
            f"the run folder {run_dir} holds {len(findings)} identifier(s), e.g. "
            f"{[(str(f.path.name), f.token) for f in findings[:5]]}; nothing was published. "
            "This is a bug in the step that wrote the file: please report it."
        )
    return RunResult(run_dir.name, run_dir, report_path, prov_path, st.timer.timings,
                     st.unavailable, st.warnings)


def _record_warnings(st: _State, step: str, sections: tuple[str, ...],
                     caught: list[warnings.WarningMessage]) -> None:
    seen: dict[str, int] = {}
    for w in caught:
        text = f"{w.category.__name__}: {w.message}"
        seen[text] = seen.get(text, 0) + 1
    if not seen:
        return
    st.warnings[step] = [f"{t} (x{k})" if k > 1 else t for t, k in seen.items()]
    if sections:
        for text in st.warnings[step][:10]:
            st.report.add_note(sections[0], f"Warning during '{step}': {text}")


def _provenance_section(st: _State, prov: dict[str, Any]) -> None:
    g = prov["git"]
    ex = prov.get("extract", {})
    st.report.add_text(
        "provenance",
        f"Run {prov['run_id']} of experiment '{prov['experiment']}', started "
        f"{prov['started_utc']}. Code: git commit {g.get('commit') or 'unknown'}"
        f"{' (uncommitted changes)' if g.get('dirty') else ''}. Configuration SHA-256 "
        f"{prov['configuration']['canonical_sha256']}. Extract SHA-256 "
        f"{ex.get('sha256', 'unknown')}. Seed {st.cfg.seed}. Full record: provenance.json.",
    )


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, _dt.date | Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


# ---------------------------------------------------------------------- models and risks

_MODEL_CLASSES = {
    "logistic": "LogisticIndex",
    "cox": "CoxIndex",
    "fine_gray": "FineGrayIndex",
    "cause_specific_cox": "CauseSpecificCoxIndex",
}


@dataclass(frozen=True)
class _Preprocessing:
    """Missing-indicator design fitted on the development rows (exported with the model)."""

    numeric_fill: dict[str, float]
    indicators: list[str]
    categorical: dict[str, str]
    dropped: list[str]

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        out = {}
        for c in X.columns:
            if c in self.dropped:
                continue
            s = X[c]
            if c in self.categorical:
                out[c] = s.astype("string").fillna("(missing)").astype(object)
            else:
                v = pd.to_numeric(s.astype("Float64"), errors="coerce").astype(float)
                if c in self.indicators:
                    out[f"{c}__missing"] = v.isna().astype(float)
                out[c] = v.fillna(self.numeric_fill.get(c, 0.0))
        return pd.DataFrame(out, index=X.index)

    def to_dict(self) -> dict[str, Any]:
        return {"strategy": "missing-indicator (development median / '(missing)' level)",
                "numeric_fill": self.numeric_fill, "indicators": self.indicators,
                "categorical_reference": self.categorical, "dropped_constant": self.dropped}


def _fit_preprocessing(X: pd.DataFrame) -> _Preprocessing:
    """Fill values, indicators and reference levels from the development rows.

    Features missing on exactly the same rows share one indicator (the first one's), so the
    design has no duplicated columns.
    """
    fill, ind, cat, dropped = {}, [], {}, []
    patterns: set[bytes] = set()
    for c in X.columns:
        s = X[c]
        if isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(s) or \
                s.dtype == object:
            lab = s.astype("string").fillna("(missing)")
            counts = lab.value_counts()
            if len(counts) < 2:
                dropped.append(c)
                continue
            cat[c] = str(sorted(counts.index[counts == counts.max()])[0])
            continue
        v = pd.to_numeric(s.astype("Float64"), errors="coerce").astype(float)
        obs = v.dropna()
        if obs.nunique() < 2:
            dropped.append(c)
            continue
        fill[c] = float(obs.median())
        pattern = np.packbits(v.isna().to_numpy()).tobytes()
        if v.isna().any() and pattern not in patterns:
            patterns.add(pattern)
            ind.append(c)
    return _Preprocessing(fill, ind, cat, dropped)


def _index_features(st: _State, idx: Any) -> list[str]:
    names = list(idx.features) if idx.features else list(st.X.columns)
    missing = [n for n in names if n not in st.X.columns]
    if missing:
        raise IrdpError(f"index {idx.name!r}: features {missing[:5]} are not among the built "
                        f"features; check indices[].features against the data dictionary.")
    return names


def _outcome(st: _State, kind: str, rows: np.ndarray) -> Any:
    Binary, Survival, CompetingRisks = _need("irdp.outcomes", "Binary", "Survival",
                                             "CompetingRisks")
    t = st.frame
    if kind == "binary":
        return Binary(t.loc[rows, "event_at_horizon"].astype(bool).to_numpy(),
                      horizon=st.horizon)
    time = t.loc[rows, "time"].to_numpy(float)
    cause = t.loc[rows, "cause"].to_numpy(int)
    if kind == "survival":
        return Survival(time, cause == 1)
    return CompetingRisks(time, cause, event_of_interest=1)


_KIND_OUTCOME = {"logistic": "binary", "cox": "survival", "fine_gray": "competing",
                 "cause_specific_cox": "competing"}


def _step_models(st: _State) -> None:
    models = importlib.import_module("irdp.models")
    r = st.report
    known = st.frame["known_at_horizon"].astype(bool).to_numpy()
    for idx in st.cfg.indices:
        label = idx.label or idx.name
        if idx.kind in _MODEL_CLASSES:
            cls = getattr(models, _MODEL_CLASSES[idx.kind], None)
            if cls is None:
                r.unavailable("model", f"Index {label} ({idx.kind})",
                              f"irdp.models.{_MODEL_CLASSES[idx.kind]} is missing")
                continue
            names = _index_features(st, idx)
            prep = _fit_preprocessing(st.X.loc[st.dev, names])
            Xm = prep.transform(st.X[names])
            opts = dict(idx.options)
            opts.setdefault("categorical", {c: v for c, v in prep.categorical.items()})
            est = cls(**opts)
            kind = _KIND_OUTCOME[idx.kind]
            rows = st.dev & known if kind == "binary" else st.dev
            with st.timer(f"fit {idx.name}"):
                est.fit(Xm.loc[rows].reset_index(drop=True),
                        _outcome(st, kind, rows))
            st.fitted[idx.name] = est
            st.preprocessing[idx.name] = prep
            st.designs[idx.name] = Xm
            st.risks[idx.name] = np.asarray(est.predict_risk(Xm, horizon=st.horizon), float)
            _describe_model(st, idx, est, prep, names)
        elif idx.kind == "column":
            st.risks[idx.name] = _external_risk(st, idx)
            r.add_text("model", f"{label}: risks supplied from outside irdp (column "
                       f"'{idx.column}' of {idx.file.name}); validated like any other index.")
        elif idx.kind == "questionnaire":
            _questionnaire(st, idx)
        elif idx.kind == "points":
            _points(st, idx)
    if not st.risks:
        raise _Unavailable("no candidate index could be computed")
    _risk_levels(st)


def _describe_model(st: _State, idx: Any, est: Any, prep: _Preprocessing,
                    names: list[str]) -> None:
    r = st.report
    label = idx.label or idx.name
    summ = est.summary().reset_index().rename(columns={"index": "term"})
    summ = summ.rename(columns={summ.columns[0]: "term"})
    r.add_table("model", f"coefficients_{idx.name}", _plain_columns(summ),
                caption=f"{label}: full model (coefficients with 95% CI)", disclosure=False)
    dev = getattr(est, "development_", {}) or {}
    extra = ""
    if idx.kind == "logistic":
        extra = (f" Risk = 1 / (1 + exp(-(intercept + sum of coefficient x value))), "
                 f"intercept {getattr(est, 'intercept_', float('nan')):.6g}.")
    elif hasattr(est, "baseline_cumulative_hazard_at"):
        try:
            h0 = float(est.baseline_cumulative_hazard_at(st.horizon))
            extra = (f" Risk by the horizon = 1 - exp(-H0(t) exp(linear predictor)) with "
                     f"baseline cumulative hazard H0({st.horizon} days) = {h0:.6g} "
                     "(baseline survival "
                     f"{np.exp(-h0):.6g}).")
        except (ValueError, KeyError):
            extra = ""
    r.add_text("model", f"{label} ({idx.kind}), fitted on the development data "
               f"({dev.get('n', int(st.dev.sum()))} rows). Predictors: {', '.join(names)}. "
               "Missing values: missing-indicator design (development median for numbers, "
               "a '(missing)' level for categories)." + extra +
               f" The exported model is models/{idx.name}.json (irdp.models.load).")
    r.add_text("analysis", f"{label}: {type(est).__name__} ({idx.kind}) with options "
               f"{json.dumps(idx.options, default=str)}; predictors handled as in the model "
               "section (12b-12c).")


def _external_risk(st: _State, idx: Any) -> np.ndarray:
    path = idx.file
    ext = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    need = {"worker_id", "index_date", idx.column}
    if not need <= set(ext.columns):
        raise IrdpError(f"index {idx.name!r}: {path} must have columns {sorted(need)}; "
                        f"found {list(ext.columns)[:10]}.")
    ext = ext.assign(worker_id=ext["worker_id"].astype(str),
                     index_date=pd.to_datetime(ext["index_date"]).dt.normalize())
    keys = st.frame[["worker_id", "index_date"]].assign(
        worker_id=lambda d: d["worker_id"].astype(str),
        index_date=lambda d: pd.to_datetime(d["index_date"]).dt.normalize())
    merged = keys.merge(ext[["worker_id", "index_date", idx.column]], how="left",
                        on=["worker_id", "index_date"], validate="many_to_one")
    risk = pd.to_numeric(merged[idx.column], errors="coerce").to_numpy(float)
    bad = np.isfinite(risk) & ((risk < 0) | (risk > 1))
    if bad.any():
        raise IrdpError(f"index {idx.name!r}: {int(bad.sum())} risks outside [0, 1] in "
                        f"{path}; supply absolute risks by the horizon.")
    return risk


#: Questionnaire score features (irdp.features) and their orientation.
_INSTRUMENT_SCORE = {"WAI": ("wai_total", False), "WAS": ("was_score", False),
                     "OMPSQ_SF": ("ompsq_total", True), "Q4": ("q4_total", True)}


def _questionnaire(st: _State, idx: Any) -> None:
    """An existing instrument, mapped to a risk by logistic recalibration on development."""
    FixedScoreIndex = _need("irdp.models", "FixedScoreIndex")
    column, riskier = _INSTRUMENT_SCORE[idx.instrument]
    if column not in st.X.columns:
        raise _Unavailable(f"the score feature {column!r} of {idx.instrument} is not built")
    score = pd.to_numeric(st.X[column].astype("Float64"), errors="coerce").astype(float)
    known = st.frame["known_at_horizon"].astype(bool).to_numpy()
    has = score.notna().to_numpy()
    rows = st.dev & known & has
    ev = st.frame.loc[rows, "event_at_horizon"].astype(bool).to_numpy()
    if ev.sum() < 2 or (~ev).sum() < 2:
        st.report.add_note("model", f"{idx.label or idx.name}: the {idx.instrument} score "
                           f"is known at only {int(has.sum())} index events ({int(ev.sum())} "
                           "development events); it cannot be recalibrated or validated in "
                           "this cohort (questionnaires are answered at some visit types "
                           "only).")
        return
    est = FixedScoreIndex(instrument=None, score_column="score", higher_is_riskier=riskier)
    frame = pd.DataFrame({"score": score})
    est.fit(frame.loc[rows].reset_index(drop=True), _outcome(st, "binary", rows))
    risk = np.full(len(score), np.nan)
    risk[has] = est.predict_risk(frame.loc[has].reset_index(drop=True))
    st.fitted[idx.name] = est
    st.risks[idx.name] = risk
    label = idx.label or idx.name
    st.report.add_text("model", f"{label}: the {idx.instrument} score (feature {column}, "
                       f"{'higher' if riskier else 'lower'} = riskier) mapped to a risk by "
                       f"logistic recalibration on the development rows where it was answered "
                       f"({int(rows.sum())} rows); answered at {100 * has.mean():.1f}% of "
                       "index events, so it is validated on those only.")


def _points(st: _State, idx: Any) -> None:
    """Sullivan points score derived from the fitted base index."""
    PointsScore = _need("irdp.models", "PointsScore")
    base = st.fitted.get(idx.base)
    if base is None:
        raise _Unavailable(f"its base index {idx.base!r} was not fitted")
    from sklearn.base import clone

    base_idx = next(i for i in st.cfg.indices if i.name == idx.base)
    kind = _KIND_OUTCOME[base_idx.kind]
    known = st.frame["known_at_horizon"].astype(bool).to_numpy()
    rows = st.dev & known if kind == "binary" else st.dev
    X = st.designs[idx.base]
    est = PointsScore(model=clone(base), horizon=None if kind == "binary" else st.horizon,
                      **idx.options)
    est.fit(X.loc[rows].reset_index(drop=True), _outcome(st, kind, rows))
    st.fitted[idx.name] = est
    st.designs[idx.name] = X
    st.risks[idx.name] = np.asarray(est.predict_risk(X, horizon=None if kind == "binary"
                                                     else st.horizon), float)
    r = st.report
    r.add_table("model", f"points_{idx.name}", _plain_columns(est.points_table_),
                caption=f"{idx.label or idx.name}: points table (Sullivan's method) derived "
                f"from {idx.base}", disclosure=False)
    r.add_table("model", f"points_risk_{idx.name}", _plain_columns(est.risk_table_),
                caption=f"{idx.label or idx.name}: risk by total points", disclosure=False)
    loss = est.rounding_loss_
    r.add_text("model", f"Rounding loss of the points score: C {loss.get('c_model', 0):.4f} "
               f"(model) versus {loss.get('c_points', 0):.4f} (points).")


def _risk_levels(st: _State) -> None:
    cut = st.cfg.risk_levels
    r = st.report
    r.add_text("output", f"Each index outputs the absolute risk of inaptitude by the horizon "
               f"({st.horizon} days). Risk levels (the IRDP's output): faible below "
               f"{cut.cutoffs[0]:.3g}, intermédiaire up to {cut.cutoffs[1]:.3g}, forte above "
               f"(method: {cut.method}). Decision curves show the net benefit of acting at "
               "each risk threshold.")
    rows = []
    y = _outcome(st, "competing", np.ones(len(st.frame), bool))
    obs_fn = _need("irdp.fairness.measures", "observed_risk")
    for name, risk in st.risks.items():
        levels = _levels(st, risk)
        st.levels[name] = levels
        for k, lab in enumerate(LEVEL_LABELS):
            m = levels == k
            row = {"index": name, "level": lab, "n": int(m.sum()),
                   "mean_predicted": float(np.mean(risk[m])) if m.any() else float("nan")}
            row["observed"] = float(obs_fn(y.take(np.flatnonzero(m)), horizon=st.horizon)) \
                if m.sum() > 0 else float("nan")
            rows.append(row)
    t = pd.DataFrame(rows)
    r.add_table("output", "risk_levels", t, caption="Size, mean predicted and observed "
                "risk (Aalen-Johansen, competing exits) of each risk level",
                count_columns=["n"], rates={"mean_predicted": ("n", "n"),
                                            "observed": ("n", "n")},
                block_column="index")


def _levels(st: _State, risk: np.ndarray) -> np.ndarray:
    """Level codes 0/1/2 (faible/intermédiaire/forte) by irdp.models.RiskLevels, -1 if no risk.

    Cut-offs are set on the development rows (fixed thresholds, quantiles, or target
    sensitivities at the horizon) and applied to every row.
    """
    RiskLevels = _need("irdp.models", "RiskLevels")
    cut = st.cfg.risk_levels
    key = {"thresholds": "thresholds", "quantiles": "quantiles",
           "sensitivity": "sensitivity"}[cut.method]
    rl = RiskLevels(method=cut.method, **{key: tuple(cut.cutoffs)})
    ok = np.isfinite(risk)
    dev = st.dev & ok
    if cut.method == "sensitivity":
        rl.fit(risk[dev], _outcome(st, "competing", dev), horizon=st.horizon)
    else:
        rl.fit(risk[dev])
    st.cutoffs[next(k for k, v in st.risks.items() if v is risk)] = tuple(rl.cutoffs_)
    out = np.full(len(risk), -1, dtype=int)
    out[ok] = np.asarray(rl.transform(risk[ok]).codes, dtype=int)
    return out


# ----------------------------------------------------------------- performance and validation


#: Numerical or data-driven failures of one computation: reported in the section (and in
#: provenance.json), the rest of the report goes on. Programming errors are not caught.
_DATA_FAILURES = (np.linalg.LinAlgError, ValueError, FloatingPointError)


def _failed(st: _State, section: str, what: str, err: BaseException) -> None:
    text = f"{what} could not be computed on these data: {type(err).__name__}: {err}"
    st.failures.append(text)
    st.report.add_note(section, text)


def _frame_of(result: Any) -> pd.DataFrame:
    """The tidy table of a result object (DataFrame, ``to_frame()`` or ``table``)."""
    if isinstance(result, pd.DataFrame):
        return result
    if hasattr(result, "to_frame"):
        return result.to_frame()
    for attr in ("table", "summary"):
        value = getattr(result, attr, None)
        if isinstance(value, pd.DataFrame):
            return value
    raise TypeError(f"cannot tabulate a {type(result).__name__}")


def _numeric_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts stay integers; everything else float or text (for disclosure declarations)."""
    out = frame.reset_index() if not isinstance(frame.index, pd.RangeIndex) else frame.copy()
    for c in out.columns:
        if pd.api.types.is_bool_dtype(out[c]):
            out[c] = out[c].astype(str)
    return out


#: Integer columns of result tables that are not counts of people (never suppressed).
_NOT_PEOPLE = {"step", "k", "bin", "repeat", "df", "parameters", "n_boot", "n_resamples",
               "n_repeats", "minimum_n", "rank"}


def _counts_in(frame: pd.DataFrame) -> list[str]:
    """Integer columns holding counts of workers or events (disclosure-controlled)."""
    return [c for c in frame.columns if pd.api.types.is_integer_dtype(frame[c])
            and not pd.api.types.is_bool_dtype(frame[c]) and str(c) not in _NOT_PEOPLE]


def _sets(st: _State) -> list[tuple[str, np.ndarray]]:
    out = [("development (apparent)", st.dev)]
    if (~st.dev).any():
        out.append(("validation", ~st.dev))
    return out


def _step_performance(st: _State) -> None:
    performance = _need("irdp.metrics", "performance")
    r = st.report
    pieces = []
    for name, risk in st.risks.items():
        for label, mask in _sets(st):
            ok = mask & np.isfinite(risk)
            y = _outcome(st, "competing", ok)
            try:
                perf = _numeric_table(_frame_of(performance(
                    y, risk[ok], st.horizon, thresholds=tuple(st.cutoffs.get(name, ())) or
                    (0.1, 0.2, 0.3))))
            except _DATA_FAILURES as err:
                _failed(st, "performance", f"performance of {name} ({label})", err)
                continue
            perf.insert(0, "data", label)
            perf.insert(0, "index", name)
            pieces.append(perf)
    if not pieces:
        return
    table = pd.concat(pieces, ignore_index=True)
    r.add_table("performance", "performance", table, caption="Performance (ABCD: "
                "calibration, discrimination, overall accuracy, clinical usefulness) with 95% "
                "CIs, by index and data set; outcome with competing exits at the horizon",
                count_columns=_counts_in(table))
    r.add_text("analysis", "Performance measures (12e): discrimination (time-dependent AUC and "
               "concordance), calibration (O/E, calibration slope and curve), overall "
               "accuracy (Brier score, IPA) and clinical usefulness (net benefit), all "
               "accounting for censoring and competing exits at the horizon, with 95% CIs.")


def _step_bootstrap(st: _State) -> None:
    bootstrap_validate = _need("irdp.validation", "bootstrap_validate")
    n_boot = st.cfg.validation.bootstrap.n_boot
    r = st.report
    if n_boot == 0:
        r.add_note("performance", "Optimism bootstrap switched off (validation.bootstrap."
                   "n_boot = 0).")
        return
    pieces = []
    chosen = st.cfg.validation.bootstrap.indices
    for idx in st.cfg.indices:
        if idx.name not in st.fitted or idx.kind not in _KIND_OUTCOME:
            continue
        if chosen is not None and idx.name not in chosen:
            continue
        est = st.fitted[idx.name]
        kind = _KIND_OUTCOME[idx.kind]
        known = st.frame["known_at_horizon"].astype(bool).to_numpy()
        rows = st.dev & known if kind == "binary" else st.dev
        X = st.designs[idx.name].loc[rows].reset_index(drop=True)
        from sklearn.base import clone

        try:
            res = bootstrap_validate(clone(est), X, _outcome(st, kind, rows),
                                     horizon=None if kind == "binary" else st.horizon,
                                     n_boot=n_boot, seed=st.seed(101), n_jobs=st.n_jobs,
                                     scoring=_scoring(st, kind),
                                     calibration_curve=True)
        except _DATA_FAILURES as err:
            _failed(st, "performance", f"the optimism bootstrap of {idx.name}", err)
            continue
        if getattr(res, "calibration", None) is not None:
            r.add_figure("calibration", f"calibration_{idx.name}_optimism_corrected",
                         res.calibration.plot(), caption=f"{idx.name}: apparent and "
                         "optimism-corrected calibration curves (rms::calibrate style, "
                         "development data)")
        t = _numeric_table(_frame_of(res))
        if "n" in t.columns:  # number of successful bootstrap resamples, not of workers
            t = t.rename(columns={"n": "n_resamples"})
        t.insert(0, "index", idx.name)
        pieces.append(t)
    if not pieces:
        return
    table = pd.concat(pieces, ignore_index=True)
    r.add_table("performance", "bootstrap_optimism", table, caption=f"Internal validation: "
                f"apparent, optimism and optimism-corrected performance (Harrell's bootstrap, "
                f"{n_boot} resamples, whole modelling refitted in each)",
                count_columns=_counts_in(table))
    r.add_text("analysis", f"Internal validation (12c): Harrell's optimism bootstrap with "
               f"{n_boot} resamples (seed {st.seed(101)}), refitting every step in each "
               "resample.")


def _scoring(st: _State, kind: str) -> list[str] | None:
    """Configured measures that are defined for the outcome kind (None: the defaults)."""
    chosen = st.cfg.validation.measures
    if chosen is None:
        return None
    binary_only = {"citl"}
    return [m for m in chosen if kind == "binary" or m not in binary_only]


def _first_plot(module: str, names: tuple[str, ...]) -> Any:
    for n in names:
        try:
            return _need(module, n)
        except _Unavailable:
            continue
    raise _Unavailable(f"none of {module}.{'/'.join(names)} is available")


def _step_calibration(st: _State) -> None:
    calibration = _need("irdp.metrics", "calibration")
    plot_calibration = _need("irdp.plotting", "plot_calibration")
    for name, risk in st.risks.items():
        for label, mask in _sets(st):
            ok = mask & np.isfinite(risk)
            try:
                cal = calibration(_outcome(st, "competing", ok), risk[ok],
                                  horizon=st.horizon)
            except _DATA_FAILURES as err:
                _failed(st, "calibration", f"calibration of {name} ({label})", err)
                continue
            fig = plot_calibration(cal, label=name, min_count=st.cfg.report.min_count)
            slug = "dev" if label.startswith("development") else "val"
            st.report.add_figure("calibration", f"calibration_{name}_{slug}", fig,
                                 caption=f"Calibration of {name}, {label}: observed risk "
                                 "(flexible curve, competing exits accounted for) versus "
                                 "predicted risk at the horizon, with the distribution of "
                                 "predicted risks")


def _step_decision(st: _State) -> None:
    net_benefit = _need("irdp.metrics", "net_benefit")
    plot_decision_curve = _need("irdp.plotting", "plot_decision_curve")
    thresholds = np.round(np.linspace(0.005, 0.2, 40), 4)
    mask = ~st.dev if (~st.dev).any() else st.dev
    ok = mask.copy()
    for risk in st.risks.values():
        ok &= np.isfinite(risk)
    y = _outcome(st, "competing", ok)
    curves = {n: net_benefit(y, r[ok], thresholds, horizon=st.horizon, name=n)
              for n, r in st.risks.items()}
    pieces = []
    for n, curve in curves.items():
        t = _numeric_table(_frame_of(curve))
        t.insert(0, "index", n)
        pieces.append(t)
    table = pd.concat(pieces, ignore_index=True)
    st.report.add_table("decision-curves", "net_benefit", table, caption="Net benefit by "
                        "risk threshold (decision curve analysis) with treat-all and "
                        "treat-none, validation data", count_columns=_counts_in(table))
    fig = plot_decision_curve(curves, min_count=st.cfg.report.min_count)
    st.report.add_figure("decision-curves", "decision_curves", fig, caption="Decision "
                         "curves of the candidate indices (validation data)")
    plot_observed_risk = _need("irdp.plotting", "plot_observed_risk")
    name = next(iter(st.risks))
    if name in st.levels:
        lv = st.levels[name][ok]
        labels = np.array(["(none)", *LEVEL_LABELS], dtype=object)[lv + 1]
        fig = plot_observed_risk(y, labels, horizon=st.horizon,
                                 min_count=st.cfg.report.min_count)
        st.report.add_figure("output", f"observed_by_level_{name}", fig, caption=f"Observed "
                             f"risk of inaptitude over time by risk level of {name} "
                             "(Aalen-Johansen, validation data)")


def _step_iecv(st: _State) -> None:
    iecv = _need("irdp.validation", "iecv")
    meta_analysis, forest_plot = _need("irdp.validation", "meta_analysis", "forest_plot")
    r = st.report
    chosen = st.cfg.validation.iecv.indices
    for idx in st.cfg.indices:
        if idx.name not in st.fitted or idx.kind not in _KIND_OUTCOME:
            continue
        if chosen is not None and idx.name not in chosen:
            continue
        from sklearn.base import clone

        kind = _KIND_OUTCOME[idx.kind]
        known = st.frame["known_at_horizon"].astype(bool).to_numpy()
        rows = known if kind == "binary" else np.ones(len(st.frame), bool)
        X = st.designs[idx.name].loc[rows].reset_index(drop=True)
        y = _outcome(st, kind, rows)
        for by in st.cfg.validation.iecv.by:
            if by == "spsti":
                groups = st.frame.loc[rows, "spsti_id"].astype(str).to_numpy()
            else:
                dates = pd.to_datetime(st.frame.loc[rows, "index_date"])
                groups = pd.qcut(dates.rank(method="first"),
                                 st.cfg.validation.iecv.n_periods,
                                 labels=[f"P{k + 1}" for k in
                                         range(st.cfg.validation.iecv.n_periods)]
                                 ).astype(str).to_numpy()
            scheme = "leave-one-out" if by == "spsti" else "forward"
            try:
                res = iecv(clone(st.fitted[idx.name]), X, y, groups, scheme=scheme,
                           scoring=_scoring(st, kind),
                           horizon=None if kind == "binary" else st.horizon)
            except _DATA_FAILURES as err:  # e.g. a predictor constant in one training part
                _failed(st, "iecv", f"IECV of {idx.name} by {by}", err)
                continue
            per = _numeric_table(res.per_centre)
            r.add_table("iecv", f"iecv_{idx.name}_{by}", per, caption=f"IECV of {idx.name} "
                        f"by {by} ({scheme}): performance in each held-out "
                        f"{'SPSTI' if by == 'spsti' else 'period'}",
                        count_columns=_counts_in(per), block_column="measure")
            pooled = _numeric_table(res.to_frame())
            r.add_table("iecv", f"iecv_{idx.name}_{by}_pooled", pooled, caption=f"IECV of "
                        f"{idx.name} by {by}: random-effects pooled performance with 95% CI "
                        "and 95% prediction interval", count_columns=_counts_in(pooled))
            for measure in res.pooled:
                r.add_figure("iecv", f"forest_{idx.name}_{by}_{measure}", res.plot(measure),
                             caption=f"Forest plot of {measure} of {idx.name} by {by}: "
                             "random-effects summary (REML, HKSJ CI) and 95% prediction "
                             "interval")
    r.add_text("analysis", "Heterogeneity across clusters (12d): internal-external "
               "cross-validation by SPSTI and by period; per-centre estimates pooled by "
               "random-effects meta-analysis (REML, Hartung-Knapp-Sidik-Jonkman CI, 95% "
               "prediction interval, I²), as Debray et al. 2017.")


def _step_updating(st: _State) -> None:
    closed_test = _need("irdp.validation", "closed_test")
    if st.dev.all():
        st.report.add_note("updating", "No separate validation data: updating not assessed.")
        return
    r = st.report
    for idx in st.cfg.indices:
        if idx.name not in st.fitted or idx.kind not in ("logistic", "cox"):
            continue
        kind = _KIND_OUTCOME[idx.kind]
        known = st.frame["known_at_horizon"].astype(bool).to_numpy()
        rows = ~st.dev & known if kind == "binary" else ~st.dev
        try:
            res = closed_test(st.fitted[idx.name],
                              st.designs[idx.name].loc[rows].reset_index(drop=True),
                              _outcome(st, kind, rows))
        except ValueError as err:  # e.g. a predictor constant in the validation data
            r.add_note("updating", f"{idx.name}: the closed testing procedure could not be "
                       f"run on the validation data: {err}")
            continue
        r.add_text("updating", f"{idx.name}: closed testing procedure on the validation data "
                   f"(Vergouwe et al. 2017) chose '{res.method}' (alpha {res.alpha}).")
        tests = _numeric_table(res.tests)
        r.add_table("updating", f"updating_{idx.name}_tests", tests, caption=f"Updating of "
                    f"{idx.name}: likelihood-ratio tests (original, intercept update, "
                    "recalibration, refit)", count_columns=_counts_in(tests))
        fits = _numeric_table(res.fits)
        r.add_table("updating", f"updating_{idx.name}_fits", fits, caption=f"Updating of "
                    f"{idx.name}: log-likelihood and parameters of each candidate",
                    count_columns=[])
    r.add_text("analysis", "Model updating (12f): on the validation data, the closed testing "
               "procedure chooses between the original model, an intercept update, a "
               "logistic/Cox recalibration and a refit.")


def _step_fairness(st: _State) -> None:
    fairness_summary = _need("irdp.fairness", "fairness_summary")
    cfg = st.cfg.fairness
    r = st.report
    present = [g for g in cfg.groups if g in st.frame.columns]
    absent = [g for g in cfg.groups if g not in st.frame.columns]
    if absent:
        r.add_note("fairness", f"Fairness groups not found among cohort columns and "
                   f"features, skipped: {', '.join(absent)}.")
    if not present:
        raise _Unavailable("none of the fairness groups is a cohort column or feature")
    name = next(iter(st.risks))
    risk = st.risks[name]
    mask = (~st.dev if (~st.dev).any() else st.dev) & np.isfinite(risk)
    # a grouping with no group of >= 50 workers and >= min_count events and non-events cannot
    # be checked at all: say so instead of passing it on
    sub = st.frame.loc[mask]
    event = ((sub["cause"] == 1) & (sub["time"] <= st.horizon)).to_numpy()
    k = st.cfg.report.min_count
    usable = []
    for g in present:
        lab = sub[g].astype("string").fillna("(missing)").to_numpy()
        ok = any((lab == v).sum() >= 50 and event[lab == v].sum() >= k and
                 (~event[lab == v]).sum() >= k for v in np.unique(lab))
        if ok:
            usable.append(g)
        else:
            r.add_note("fairness", f"Grouping '{g}': no group has at least 50 workers and "
                       f"{k} events in the data checked; it cannot be assessed.")
    if not usable:
        raise _Unavailable("no fairness grouping has a group large enough to be checked")
    present = usable
    groups = st.frame.loc[mask, present].astype("string").reset_index(drop=True)
    res = fairness_summary(_outcome(st, "competing", mask), risk[mask], groups,
                           horizon=st.horizon, thresholds=tuple(st.cfg.risk_levels.cutoffs),
                           n_boot=cfg.n_boot, seed=st.seed(202),
                           threshold=st.cfg.report.min_count)
    g = _numeric_table(res.groups)
    r.add_table("fairness", "fairness_groups", g, caption=f"Groups checked for {name}: size, "
                "events and calibration flags", count_columns=_counts_in(g),
                block_column="grouping", known_totals=True)
    t = _numeric_table(res.table)
    r.add_table("fairness", "fairness_measures", t, caption=f"Performance of {name} by group "
                "with bootstrap 95% CIs (censoring-aware at the horizon)", disclosure=False)
    try:
        fig = res.plot("oe_ratio")
    except _DATA_FAILURES as err:
        _failed(st, "fairness", "the forest plot of O/E by group", err)
    else:
        r.add_figure("fairness", "fairness_forest_oe", fig,
                     caption=f"O/E ratio of {name} by group (calibration within groups)")
    r.add_text("fairness-methods", f"Fairness (14): performance and calibration of {name} "
               f"within groups of {', '.join(present)} ({cfg.n_boot} bootstrap resamples, "
               f"seed {st.seed(202)}); groups under the minimum size are reported as "
               "suppressed. Known inequalities must be discussed by the authors (3c).")


def _step_comparison(st: _State) -> None:
    compare = _need("irdp.validation", "compare")
    r = st.report
    if len(st.risks) < 2:
        r.add_note("comparison", "Only one index: nothing to compare.")
        return
    mask = ~st.dev if (~st.dev).any() else st.dev
    name = next(iter(st.risks))
    cut = st.cutoffs.get(name) or tuple(st.cfg.risk_levels.cutoffs)
    n_boot = st.cfg.validation.compare_n_boot
    res = compare(_outcome(st, "competing", mask), {n: v[mask] for n, v in st.risks.items()},
                  horizon=st.horizon, levels=tuple(cut),
                  thresholds=tuple(st.cfg.validation.thresholds),
                  scoring=_scoring(st, "competing"), n_boot=n_boot, seed=st.seed(404),
                  n_jobs=st.n_jobs)
    r.add_text("comparison", f"All indices are compared on the validation data, pair by "
               f"pair on the workers for whom both risks are known (paired bootstrap, "
               f"{n_boot} resamples, seed {st.seed(404)}); risk levels use the cut-offs "
               f"{tuple(round(c, 4) for c in cut)} of {name}. NRI and IDI are secondary "
               "measures.")
    t = _numeric_table(res.indices)
    r.add_table("comparison", "comparison_indices", t, caption="Each index on its own "
                "complete rows", count_columns=_counts_in(t))
    t = _numeric_table(res.differences)
    r.add_table("comparison", "comparison_differences", t, caption="Pairwise differences "
                "with paired 95% CIs", count_columns=_counts_in(t))
    t = _numeric_table(res.reclassification)
    r.add_table("comparison", "comparison_reclassification", t, caption="Reclassification "
                "(NRI, IDI) of each pair", count_columns=_counts_in(t))
    for k, ((a, b), tab) in enumerate(sorted(res.crosstabs.items())):
        t = _numeric_table(tab)
        r.add_table("comparison", f"comparison_levels_{k + 1}", t, caption=f"Risk levels: "
                    f"{a} (rows) versus {b} (columns)", count_columns=_counts_in(t),
                    known_totals=True)
    if res.decision_curves:
        plot_decision_curve = _need("irdp.plotting", "plot_decision_curve")
        r.add_figure("comparison", "comparison_decision_curves",
                     plot_decision_curve(res.decision_curves,
                                         min_count=st.cfg.report.min_count),
                     caption=f"Decision curves on the {res.n_common} workers with every "
                     "risk known")


def _step_completeness(st: _State) -> None:
    completeness_sensitivity = _need("irdp.missing", "completeness_sensitivity")
    cfg = st.cfg.completeness
    if not cfg.fields:
        st.report.add_note("completeness", "No field listed in completeness.fields: the "
                           "stress test was not requested.")
        return
    idx = next((i for i in st.cfg.indices if i.name in st.fitted and i.kind in _KIND_OUTCOME), None)
    if idx is None:
        raise _Unavailable("needs a fitted index")
    from sklearn.base import clone

    kind = _KIND_OUTCOME[idx.kind]
    known = st.frame["known_at_horizon"].astype(bool).to_numpy()
    rows = known if kind == "binary" else np.ones(len(st.frame), bool)
    design = st.designs[idx.name]
    fields = [f for f in cfg.fields if f in design.columns]
    if not fields:
        raise IrdpError(f"completeness.fields {list(cfg.fields)} are not predictors of "
                        f"{idx.name!r} (predictors: {list(design.columns)[:10]}...).")
    try:
        res = completeness_sensitivity(
            clone(st.fitted[idx.name]), design.loc[rows].reset_index(drop=True),
            _outcome(st, kind, rows), fields=fields, rates=list(cfg.rates),
            mechanism=cfg.mechanism, horizon=None if kind == "binary" else st.horizon,
            spsti=st.frame.loc[rows, "spsti_id"].astype(str).to_numpy(),
            n_repeats=cfg.n_repeats, seed=st.seed(303))
    except _DATA_FAILURES as err:
        _failed(st, "completeness", f"the completeness stress test of {idx.name}", err)
        return
    st.report.add_text("completeness", f"Stress test on {idx.name}: the fields "
                       f"{', '.join(fields)} are deleted at rates {list(cfg.rates)} "
                       f"({cfg.mechanism}), the index is refitted and validated on a held-out "
                       f"part ({cfg.n_repeats} repeats, seed {st.seed(303)}).")
    t = _numeric_table(_frame_of(res))
    st.report.add_table("completeness", "completeness_sensitivity", t, caption="Performance "
                        "as DMST fields are degraded", count_columns=_counts_in(t))
    if hasattr(res, "plot"):
        st.report.add_figure("completeness", "completeness", res.plot(), caption="Decay of "
                             "discrimination and calibration with completeness")


def _step_sample_size(st: _State) -> None:
    development_sample_size, validation_sample_size = _need(
        "irdp.validation", "development_sample_size", "validation_sample_size")
    r = st.report
    ss = st.cfg.sample_size
    t = st.frame
    known = t["known_at_horizon"].astype(bool).to_numpy()
    prev = float(t.loc[st.dev & known, "event_at_horizon"].astype(float).mean())
    params = max((st.designs[n].shape[1] for n in st.designs), default=0)
    rows = []
    if params and 0 < prev < 1:
        dev = development_sample_size("binary", parameters=int(params),
                                      cstatistic=ss.anticipated_c, prevalence=prev,
                                      shrinkage=ss.shrinkage)
        rows.append({"purpose": "development", "minimum_n": int(dev.sample_size),
                     "expected_events": float(dev.events), "epp": float(dev.epp),
                     "available_n": int((st.dev & known).sum())})
        r.add_text("sample-size", f"Development (Riley et al. 2020, binary outcome at the "
                   f"horizon): {params} candidate parameters, anticipated C "
                   f"{ss.anticipated_c}, outcome proportion {prev:.4f}, target shrinkage "
                   f"{ss.shrinkage}: at least {dev.sample_size} participants "
                   f"({dev.events:.0f} events, EPP {dev.epp:.1f}).")
    if (~st.dev).any() and 0 < prev < 1:
        val = validation_sample_size(prevalence=prev, cstatistic=ss.anticipated_c,
                                     lp_normal=None, lp_beta=None,
                                     lp=_logit(next(iter(st.risks.values()))[~st.dev]))
        rows.append({"purpose": "validation", "minimum_n": int(val.sample_size),
                     "expected_events": float(val.events), "epp": float("nan"),
                     "available_n": int((~st.dev & known).sum())})
        r.add_text("sample-size", f"Validation (Riley et al. 2021, pmvalsampsize criteria: "
                   f"precise O/E, calibration slope and C): at least {val.sample_size} "
                   "participants.")
    if not rows:
        raise _Unavailable("no fitted index or no events to base the calculation on")
    tab = pd.DataFrame(rows)
    r.add_table("sample-size", "sample_size", tab, caption="Minimum sample sizes and the "
                "data available", count_columns=["available_n"], disclosure=True)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p[np.isfinite(p)], 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def _observed(st: _State, rows: np.ndarray) -> float:
    try:
        fn = _need("irdp.metrics", "observed_risk")
        return float(fn(_outcome(st, "competing", rows), st.horizon))
    except _Unavailable:
        fn = _need("irdp.fairness.measures", "observed_risk")
        return float(fn(_outcome(st, "competing", rows), horizon=st.horizon))


def _step_service(st: _State) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    r = st.report
    name = next(iter(st.risks))
    risk = st.risks[name]
    levels = st.levels.get(name)
    t = st.frame
    h = st.horizon
    r.add_text("service", f"For those who run services: distribution of the predicted risk "
               f"({name}) and of the observed outcome by SPSTI, sector (NAF section) and "
               "company size, on all index events. Observed risk: Aalen-Johansen cumulative "
               "incidence of inaptitude by the horizon, competing exits accounted for. "
               "Groups under the disclosure threshold are suppressed.")
    for g in st.cfg.report.service_groups:
        if g not in t.columns:
            r.add_note("service", f"Grouping '{g}' is not a cohort column or feature; "
                       "skipped.")
            continue
        lab = t[g].astype("string").fillna("(missing)")
        rows = []
        for value in sorted(lab.unique()):
            m = (lab == value).to_numpy()
            row = {"group": str(value), "n": int(m.sum()),
                   "events_by_horizon": int(((t["cause"] == 1) & (t["time"] <= h))[m].sum()),
                   "observed_risk": _observed(st, m) if m.sum() else float("nan"),
                   "mean_predicted": float(np.nanmean(risk[m])) if m.sum() else float("nan")}
            for q in (10, 50, 90):
                row[f"p{q}_predicted"] = float(np.nanpercentile(risk[m], q))
            if levels is not None:
                for k, ll in enumerate(LEVEL_LABELS):
                    row[f"n_{ll}"] = int((levels[m] == k).sum())
            rows.append(row)
        tab = pd.DataFrame(rows)
        counts = _counts_in(tab)
        rates = {c: ("n", "n") for c in ("mean_predicted", "p10_predicted", "p50_predicted",
                                          "p90_predicted")}
        rates["observed_risk"] = ("events_by_horizon", "n")
        ctl = r.add_table("service", f"service_{g}", tab, caption=f"Predicted and observed "
                          f"risk by {g}", count_columns=counts, rates=rates,
                          known_totals=True)
        ok = ctl["n"].notna() & ctl["observed_risk"].notna() & ctl["mean_predicted"].notna()
        shown = ctl[ok]
        if shown.empty:
            continue
        fig = Figure(figsize=(7, 0.35 * len(shown) + 1.5))
        ax = fig.subplots()
        ypos = np.arange(len(shown))
        ax.scatter(shown["mean_predicted"].astype(float), ypos, marker="o",
                   label="mean predicted")
        ax.scatter(shown["observed_risk"].astype(float), ypos, marker="x", color="C3",
                   label="observed (Aalen-Johansen)")
        ax.set_yticks(ypos, shown["group"].astype(str).tolist())
        ax.set_xlabel(f"risk of inaptitude by {h} days")
        ax.legend(loc="best", fontsize=8)
        r.add_figure("service", f"service_{g}_plot", fig, caption=f"Mean predicted and "
                     f"observed risk by {g} (groups passing disclosure control)")


_LATE_STEPS: tuple[tuple[str, Callable[[_State], None], tuple[str, ...], tuple[str, ...]],
                   ...] = (
    ("models", _step_models, ("model", "output"), ("X", "dev")),
    ("performance", _step_performance, ("performance",), ("models",)),
    ("bootstrap", _step_bootstrap, ("performance",), ("models",)),
    ("calibration", _step_calibration, ("calibration",), ("models",)),
    ("decision_curves", _step_decision, ("decision-curves",), ("models",)),
    ("iecv", _step_iecv, ("iecv",), ("models",)),
    ("updating", _step_updating, ("updating",), ("models",)),
    ("fairness", _step_fairness, ("fairness", "fairness-methods"), ("models",)),
    ("comparison", _step_comparison, ("comparison",), ("models",)),
    ("completeness", _step_completeness, ("completeness",), ("models",)),
    ("sample_size", _step_sample_size, ("sample-size",), ("models",)),
    ("service", _step_service, ("service",), ("models",)),
)
