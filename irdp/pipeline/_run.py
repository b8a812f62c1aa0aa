"""The runner: steps in order, failures and warnings recorded, outputs written (private)."""

from __future__ import annotations

import datetime as _dt
import re
import traceback
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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
from irdp.pipeline._outputs import (
    audit_and_withhold,
    scan_and_withhold,
    write_disclosure,
    write_failure,
    write_models,
    write_quality,
)
from irdp.pipeline._stability import _step_centre_calibration, _step_stability
from irdp.pipeline._state import (
    COMPUTATION_FAILURES,
    RunResult,
    RunStoppedError,
    _record_failure,
    _Skipped,
    _State,
)
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
    write_provenance,
    write_report,
)

Step = tuple[str, Callable[[_State], None], tuple[str, ...], tuple[str, ...]]


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
    scheduler: Any = None,
) -> RunResult:
    """Run an experiment and write its report folder.

    The extract is read and checked against the configuration first (an invalid extract or
    a held-out SPSTI absent from it is refused before any run folder exists). Then every
    step runs in turn; a step, or a part of a step, that cannot be computed on these data
    (:class:`~irdp.exceptions.ComputationError`, ``LinAlgError``, ``FloatingPointError``) is
    recorded as failed, stated in its report section and in ``provenance.json``, and the
    run goes on. Any other error stops the run: the folder keeps what was computed, with
    ``failure.json``, and is marked incomplete (:class:`RunStoppedError`). A run folder is
    never deleted.

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
    scheduler : None, "local", str or distributed.Client, optional
        Overrides the configuration's ``compute.scheduler``: where the resampling
        replicates (bootstrap, IECV folds, paired comparisons, fairness bootstrap) run.
        ``"local"`` or an address opens one Dask client for the whole run (a LocalCluster
        of ``n_jobs`` workers is started once and closed at the end). Results do not depend
        on it.

    Returns
    -------
    RunResult

    Raises
    ------
    ExperimentConfigError
        Invalid configuration, or a configuration that does not fit the extract.
    ExtractError
        The extract breaks the contract.
    RunStoppedError
        The run stopped after its folder was created (the cause is chained).
    """
    cfg = _resolve(config)
    chash = config_hash(cfg)
    started = _dt.datetime.now(_dt.UTC)
    root = Path(out) / cfg.name
    title = cfg.report.title or f"Validation report: {cfg.name}"
    report = Report(title, policy=cfg.report.policy,
                    figure_format=cfg.report.figure_format,
                    subtitle="TRIPOD+AI structured report of an irdp experiment")
    st = _State(cfg=cfg, report=report, cache_dir=root / "_cache",
                n_jobs=n_jobs if n_jobs is not None else cfg.n_jobs)
    # the extract first: a bad extract or configuration leaves no run folder behind
    st.step = "extract"
    with st.timer("extract"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _step_extract(st)
    _record_warnings(st, "extract", ("data",), caught)
    run_id = run_id or make_run_id(chash, started)
    run_dir = root / run_id
    k = 1
    while run_dir.exists():
        k += 1
        run_dir = root / f"{run_id}-{k}"
    run_dir.mkdir(parents=True)
    st.run_dir = run_dir
    chosen = scheduler if scheduler is not None else cfg.compute.scheduler
    st.provenance["scheduler"] = "joblib" if chosen is None else (
        chosen if isinstance(chosen, str) else "dask client")
    try:
        with _client(chosen, st.n_jobs) as client:
            st.scheduler = client
            return _run(st, chash, started, progress)
    except BaseException as err:
        step = st.step
        _stop(st, chash, started, err)
        if isinstance(err, Exception):
            raise RunStoppedError(run_dir, step, err) from err
        raise


@contextmanager
def _client(scheduler: Any, n_jobs: int) -> Any:
    """One Dask client for the whole run (None: joblib, nothing to open)."""
    if scheduler is None:
        yield None
        return
    from irdp._resampling import _dask_client, check_scheduler

    check_scheduler(scheduler)
    with _dask_client(scheduler, n_jobs) as client:
        yield client


def _run(st: _State, chash: str, started: _dt.datetime, progress: bool) -> RunResult:
    from irdp._progress import tqdm  # renders in Jupyter without ipywidgets

    bar = tqdm(_STEPS, desc=f"irdp run {st.cfg.name}", unit="step", disable=not progress)
    for name, fn, sections, needs in bar:
        bar.set_postfix_str(name)
        _run_step(st, name, fn, sections, needs)
    return _finish(st, chash, started, complete=True)


def _run_step(st: _State, name: str, fn: Callable[[_State], None],
              sections: tuple[str, ...], needs: tuple[str, ...]) -> None:
    """Run one step; record a computation failure or a skip, let every other error through."""
    st.step = name
    missing = [n for n in needs if not _has(st, n)]
    with st.timer(name), warnings.catch_warnings(record=True) as caught:
        # warnings are recorded and reported (report section, provenance, CLI), not lost
        warnings.simplefilter("always")
        try:
            if missing:
                raise _Skipped(f"not run because the {', '.join(missing)} step did not "
                               "produce what it needs")
            fn(st)
        except _Skipped as err:
            st.unavailable[name] = str(err)
            _record_failure(st, sections, "", str(err))
        except COMPUTATION_FAILURES as err:
            _record_failure(st, sections, "", "could not be computed on these data", err)
    _record_warnings(st, name, sections, caught)


def _has(st: _State, need: str) -> bool:
    if need == "models":
        return bool(st.risks)
    return getattr(st, need) is not None


def _finish(st: _State, chash: str, started: _dt.datetime, *, complete: bool) -> RunResult:
    """Write the report, the models and the provenance, then scan for identifiers and
    audit the whole run folder (disclosure control); what breaches is withheld."""
    report, run_dir = st.report, st.run_dir
    st.step = "write"
    with st.timer("text"):
        _text_sections(st)
    with st.timer("export"):
        write_models(st)
        write_quality(st)
    add_checklist(report)
    with st.timer("disclosure"):
        # the tables of the run suppressed together (secondary suppression across tables)
        suppressed = report.suppress_linked()
    prov = _provenance(st, chash, started, complete)
    _provenance_section(st, prov)
    with st.timer("write"):
        report_path = write_report(report, run_dir, run_id=run_dir.name)
        prov["disclosure"] = write_disclosure(st, suppressed)
    prov["timings_seconds"] = st.timer.timings
    prov_path = write_provenance(run_dir / "provenance.json", prov)
    scan = scan_and_withhold(st)
    # the scan's summary (counts and file names only, never an identifier) is added after it
    prov["identifier_scan"] = scan
    with st.timer("audit"):
        audit = audit_and_withhold(st)
    prov["disclosure"]["audit"] = audit
    prov["timings_seconds"] = st.timer.timings
    prov["warnings"] = st.warnings
    if prov_path.exists():
        write_provenance(prov_path, prov)
    withheld = sorted(set(scan["withheld"]) | set(audit["withheld"]))
    return RunResult(run_dir.name, run_dir, report_path, prov_path, st.timer.timings,
                     st.unavailable, st.warnings, list(st.failures), withheld)


def _provenance(st: _State, chash: str, started: _dt.datetime, complete: bool) -> dict:
    cfg = st.cfg
    return {
        "run_id": st.run_dir.name,
        "experiment": cfg.name,
        "started_utc": started.isoformat(timespec="seconds"),
        "complete": complete,
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
        "failures": [f.to_dict() for f in st.failures],
    }


def _stop(st: _State, chash: str, started: _dt.datetime, err: BaseException) -> None:
    """A run that stops writes what it has, a failure.json, and is marked incomplete.

    ``failure.json`` is written first, so that the identifier scan covers it too. Writing the
    rest is best effort: a second error while writing is added to failure.json and never
    hides the first one.
    """
    record = {
        "complete": False,
        "step": st.step,
        "error": type(err).__name__,
        "message": str(err),
        "traceback": traceback.format_exception(err),
        "failures": [f.to_dict() for f in st.failures],
    }
    write_failure(st.run_dir, record)
    try:
        st.report.add_note("summary", f"INCOMPLETE RUN: the run stopped in step '{st.step}' "
                           f"({type(err).__name__}: {err}); the sections after it were not "
                           "produced. See failure.json.", kind="unavailable")
        _finish(st, chash, started, complete=False)
    except Exception as second:  # noqa: BLE001 - recorded in failure.json, never hides err
        record["errors_while_writing"] = traceback.format_exception_only(second)
        if (st.run_dir / "failure.json").exists():
            write_failure(st.run_dir, record)


def _record_warnings(st: _State, step: str, sections: tuple[str, ...],
                     caught: list[warnings.WarningMessage]) -> None:
    """Keep each kind of warning once, with its count (numbers do not make a new kind)."""
    seen: dict[str, list[str]] = {}
    for w in caught:
        text = f"{w.category.__name__}: {w.message}"
        seen.setdefault(_NUMBER.sub("#", text), []).append(text)
    if not seen:
        return
    st.warnings[step] = [
        texts[0] if len(texts) == 1 else
        f"{texts[0]} (x{len(texts)}{'' if len(set(texts)) == 1 else ', first shown'})"
        for texts in seen.values()]
    if sections:
        for text in st.warnings[step][:10]:
            st.report.add_note(sections[0], f"Warning during '{step}': {text}")


_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def _provenance_section(st: _State, prov: dict[str, Any]) -> None:
    g = prov["git"]
    ex = prov.get("extract", {})
    state = "" if prov["complete"] else " INCOMPLETE: the run stopped before its end."
    st.report.add_text(
        "provenance",
        f"Run {prov['run_id']} of experiment '{prov['experiment']}', started "
        f"{prov['started_utc']}. Code: git commit {g.get('commit') or 'unknown'}"
        f"{' (uncommitted changes)' if g.get('dirty') else ''}. Configuration SHA-256 "
        f"{prov['configuration']['canonical_sha256']}. Extract SHA-256 "
        f"{ex.get('sha256', 'unknown')}. Seed {st.cfg.seed}. Full record: provenance.json."
        + state,
    )
    st.report.add_text(
        "provenance",
        f"{st.report.policy.as_text()} The tables of the run are suppressed together "
        "(secondary suppression across tables sharing margins); the whole run folder is then "
        "audited as an attacker would read it (irdp audit) and any output from which a count "
        "below the threshold or an identifier could be recovered is withheld. What was "
        "suppressed: disclosure.json.",
    )


_STEPS: tuple[Step, ...] = (
    # (name, function, report sections that state a failure, prerequisite state attributes)
    ("cohort", _step_cohort, ("participants", "flow", "outcome"), ("extract",)),
    ("features", _step_features, ("predictors",), ("cohort",)),
    ("split", _step_split, ("dev-vs-val",), ("cohort",)),
    ("table1", _step_table1, ("table1", "missing"), ("dev", "X")),
    ("events", _step_events, ("events",), ("dev",)),
    ("models", _step_models, ("model", "output"), ("X", "dev")),
    ("performance", _step_performance, ("performance",), ("models",)),
    ("bootstrap", _step_bootstrap, ("performance",), ("models",)),
    ("stability", _step_stability, ("stability",), ("models",)),
    ("calibration", _step_calibration, ("calibration",), ("models",)),
    ("decision_curves", _step_decision, ("decision-curves",), ("models",)),
    ("iecv", _step_iecv, ("iecv",), ("models",)),
    ("centre_calibration", _step_centre_calibration, ("heterogeneity",), ("models",)),
    ("updating", _step_updating, ("updating",), ("models",)),
    ("fairness", _step_fairness, ("fairness", "fairness-methods"), ("models",)),
    ("comparison", _step_comparison, ("comparison",), ("models",)),
    ("completeness", _step_completeness, ("completeness",), ("models",)),
    ("sample_size", _step_sample_size, ("sample-size",), ("models",)),
    ("service", _step_service, ("service",), ("models",)),
)
