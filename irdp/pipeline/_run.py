"""The runner: steps in order, warnings, export, provenance, identifier scan (private)."""

from __future__ import annotations

import datetime as _dt
import json
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from irdp.exceptions import DisclosureError
from irdp.experiment import ExperimentConfig, config_hash, load_experiment
from irdp.pipeline._data import (
    _step_cohort,
    _step_events,
    _step_extract,
    _step_features,
    _step_split,
    _step_table1,
    _text_sections,
)
from irdp.pipeline._models import _step_models
from irdp.pipeline._state import IdentifierLeakError, RunResult, _json_default, _State, _Unavailable
from irdp.pipeline._validation import (
    _step_bootstrap,
    _step_calibration,
    _step_comparison,
    _step_completeness,
    _step_decision,
    _step_fairness,
    _step_iecv,
    _step_performance,
    _step_sample_size,
    _step_service,
    _step_updating,
)
from irdp.report import (
    Report,
    add_checklist,
    git_info,
    hash_file,
    make_run_id,
    scan_identifiers,
    write_provenance,
    write_report,
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
                # cohort, horizon and preprocessing: `irdp score` rebuilds the predictions
                base = next((i.base for i in cfg.indices if i.name == name), None)
                prep = st.preprocessing.get(name) or st.preprocessing.get(base)
                try:
                    spec = model.export(cohort=st.cohort.definition, horizon=st.horizon,
                                        preprocessing=prep)
                except DisclosureError as err:  # too few events for a confidential baseline
                    st.failures.append(f"model export {name} withheld: {err}")
                    continue
                path.write_text(json.dumps(spec, indent=2, sort_keys=True,
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


_STEPS: tuple[tuple[str, Callable[[_State], None], tuple[str, ...], tuple[str, ...]], ...] = (
    # (name, function, sections marked unavailable on failure, prerequisite state attributes)
    ("extract", _step_extract, ("data",), ()),
    ("cohort", _step_cohort, ("participants", "flow", "outcome"), ("extract",)),
    ("features", _step_features, ("predictors",), ("cohort",)),
    ("split", _step_split, ("dev-vs-val",), ("cohort",)),
    ("table1", _step_table1, ("table1", "missing"), ("dev",)),
    ("events", _step_events, ("events",), ("dev",)),
)


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
