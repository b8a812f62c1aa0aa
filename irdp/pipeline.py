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
    extract: Any = None
    extract_path: Path | None = None
    cohort: Any = None
    frame: pd.DataFrame | None = None      # cohort table + features, one row per index event
    X: pd.DataFrame | None = None
    dictionary: pd.DataFrame | None = None
    dev: np.ndarray | None = None          # boolean mask of development rows
    fitted: dict[str, Any] = field(default_factory=dict)
    risks: dict[str, np.ndarray] = field(default_factory=dict)
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
    if cfg.extract.synthetic is not None:
        syn = cfg.extract.synthetic
        generate_dmst = _need("irdp.synth", "generate_dmst")
        key = json.dumps(
            [syn.n_workers, syn.n_spsti, str(syn.start), str(syn.end), syn.seed]
        ).encode()
        import hashlib

        folder = st.cache_dir / f"extract-{hashlib.sha256(key).hexdigest()[:12]}"
        marker = folder / ".complete"
        if not marker.exists():
            if folder.exists():
                shutil.rmtree(folder)
            generate_dmst(syn.n_workers, n_spsti=syn.n_spsti, start=syn.start, end=syn.end,
                          seed=syn.seed, out=folder)
            marker.write_text("ok\n")
        st.extract_path = folder
        st.provenance["extract"] = {"synthetic": {
            "n_workers": syn.n_workers, "n_spsti": syn.n_spsti, "start": str(syn.start),
            "end": str(syn.end), "seed": syn.seed}}
    else:
        st.extract_path = cfg.extract.path
        st.provenance["extract"] = {}
    read_extract = _need("irdp.io", "read_extract")
    st.extract = read_extract(st.extract_path)
    hashed = hash_folder(st.extract_path)
    hashed["files"] = {k: v for k, v in hashed["files"].items() if not k.startswith(".")}
    st.provenance["extract"].update({"path": str(st.extract_path), **hashed})
    for table, col in (("worker", "worker_id"), ("company", "company_id")):
        if table in st.extract:
            rows = st.extract.connection.execute(
                f'SELECT DISTINCT CAST("{col}" AS VARCHAR) FROM "{table}"').fetchall()
            st.identifiers.update(r[0] for r in rows if r[0] is not None)
    _section_data(st)


def _section_data(st: _State) -> None:
    r = st.report
    ex = st.extract
    con = ex.connection
    rows = []
    for name in ex.names:
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
    counts = [c for c in flow.columns if pd.api.types.is_integer_dtype(flow[c])]
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
    r.add_text("preparation", "Data preparation: the extract is validated against the "
               "contract on loading (types, code systems and versions, keys, dates); the "
               "completeness of each variable per SPSTI is in the Missing data section, so "
               "differences in data quality between services are visible.")


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
    steps = list(_STEPS) + list(_LATE_STEPS)
    from tqdm.auto import tqdm

    bar = tqdm(steps, desc=f"irdp run {cfg.name}", unit="step", disable=not progress)
    for name, fn, sections, needs in bar:
        bar.set_postfix_str(name)
        missing = [n for n in needs if getattr(st, n, None) is None and
                   not (n == "models" and st.risks)]
        with st.timer(name):
            try:
                if missing:
                    raise _Unavailable(f"needs the {', '.join(missing)} step")
                fn(st)
            except _Unavailable as err:
                st.unavailable[name] = str(err)
                for sid in sections:
                    report.unavailable(sid, f"{name.replace('_', ' ').capitalize()}",
                                       str(err))
    with st.timer("text"):
        _text_sections(st)
    (run_dir / "models").mkdir(exist_ok=True)
    with st.timer("export"):
        for name, model in st.fitted.items():
            if hasattr(model, "export"):
                path = run_dir / "models" / f"{name}.json"
                path.write_text(json.dumps(model.export(), indent=2, sort_keys=True,
                                           default=_json_default) + "\n", encoding="utf-8")
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
                     st.unavailable)


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


_LATE_STEPS: tuple[tuple[str, Callable[[_State], None], tuple[str, ...], tuple[str, ...]],
                   ...] = ()
