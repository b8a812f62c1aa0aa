"""Shared state, failure records and small helpers of the run pipeline (private)."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from irdp.exceptions import ComputationError, IrdpError
from irdp.experiment import ExperimentConfig
from irdp.metrics import get_metric, observed_risk
from irdp.outcomes import Binary, CompetingRisks, Survival
from irdp.report import Report, Timer

#: Labels of the three risk levels of the IRDP.
LEVEL_LABELS = ("faible", "intermédiaire", "forte")

#: Exceptions that mean "this computation cannot be done on these (valid) data": the run
#: records them as the failure of the step (or part of a step) that raised them and goes
#: on. Every other exception (a bad input or configuration, a programming error) stops the
#: run: what was computed is kept and the run folder is marked incomplete.
COMPUTATION_FAILURES: tuple[type[BaseException], ...] = (
    ComputationError, np.linalg.LinAlgError, FloatingPointError,
)


class IdentifierLeakError(IrdpError, RuntimeError):
    """A file of a run holds a worker or company identifier.

    Kept for compatibility: runs no longer raise it; the files concerned are moved to the
    run's ``withheld/`` folder instead (see :attr:`RunResult.withheld`).
    """


class RunStoppedError(IrdpError, RuntimeError):
    """A run stopped before its end; what it computed is kept in an incomplete run folder.

    The original exception is the ``__cause__`` (and :attr:`cause`): an input or
    configuration error found during the run, or a programming error. The folder holds the
    report of the steps done, ``provenance.json`` with ``"complete": false`` and
    ``failure.json`` (the step, the error and its traceback).

    Attributes
    ----------
    run_dir : pathlib.Path
    step : str
        The step that was running.
    cause : BaseException
    """

    def __init__(self, run_dir: Path, step: str, cause: BaseException) -> None:
        self.run_dir = run_dir
        self.step = step
        self.cause = cause
        super().__init__(
            f"the run stopped in step '{step}' ({type(cause).__name__}: {cause}); what it "
            f"computed is kept in {run_dir}, marked incomplete (failure.json)."
        )


class _Skipped(Exception):
    """A step, or a part of one, cannot run because something it needs is missing."""


@dataclass(frozen=True)
class StepFailure:
    """A step (or part of a step) that failed or was skipped, and the report sections concerned.

    Attributes
    ----------
    step : str
        Runner step (``models``, ``updating``...).
    part : str
        What exactly (``"closed testing procedure of logistic"``); empty for the whole step.
    sections : tuple of str
        Report sections that state it (their TRIPOD+AI items are not answered).
    reason : str
        Why, in words (with the error type when an error was raised).
    error : str or None
        The exception class, or None for a step skipped because a prerequisite failed.
    """

    step: str
    part: str
    sections: tuple[str, ...]
    reason: str
    error: str | None = None

    @property
    def label(self) -> str:
        """``step`` or ``step (part)``."""
        return f"{self.step} ({self.part})" if self.part else self.step

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``provenance.json`` ``failures``)."""
        return {"step": self.step, "part": self.part, "sections": list(self.sections),
                "reason": self.reason, "error": self.error}


@dataclass
class RunResult:
    """What a run wrote, and what did not work.

    Attributes
    ----------
    run_id, run_dir, report_path, provenance_path
        Where the outputs are.
    timings : dict
        Seconds per step.
    unavailable : dict
        ``{step: reason}`` of the steps not run because a step they need failed.
    warnings : dict
        ``{step: [warning texts]}``.
    failures : list of StepFailure
        Every failed or skipped step or part of a step (also in ``provenance.json``).
    withheld : list of str
        Files moved to ``withheld/`` because the identifier scan found an identifier in them
        or the disclosure audit (:func:`irdp.privacy.audit_run`) could recover a small count
        from them (the command line then exits with code 4).
    """

    run_id: str
    run_dir: Path
    report_path: Path
    provenance_path: Path
    timings: dict[str, float]
    unavailable: dict[str, str]
    warnings: dict[str, list[str]]
    failures: list[StepFailure] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)


@dataclass
class _State:
    cfg: ExperimentConfig
    report: Report
    cache_dir: Path
    n_jobs: int
    scheduler: Any = None                  # None (joblib), or a distributed.Client for the run
    run_dir: Path | None = None
    step: str = ""
    timer: Timer = field(default_factory=Timer)
    provenance: dict[str, Any] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    failures: list[StepFailure] = field(default_factory=list)
    headline: list[str] = field(default_factory=list)
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
    scorable: dict[str, np.ndarray] = field(default_factory=dict)  # rows an index can score
    predictors: dict[str, list[str]] = field(default_factory=dict)
    identifiers: set[str] = field(default_factory=set)
    texts_done: bool = False
    quality_text: str | None = None        # irdp check's summary of the extract

    @property
    def horizon(self) -> int:
        return int(self.cohort.horizon_days)

    def seed(self, offset: int) -> int:
        """Independent, documented seed of one step (the experiment seed + a fixed offset)."""
        return int(self.cfg.seed) + offset


def _record_failure(st: _State, sections: tuple[str, ...], part: str, reason: str,
                    err: BaseException | None = None) -> StepFailure:
    """The one place where a failed or skipped step (or part of one) is recorded.

    The failure goes to ``provenance.json`` (``failures``), to the command line's list of
    failed steps and to every section concerned, as a visible statement.
    """
    if err is not None:
        reason = f"{reason}: {type(err).__name__}: {err}" if reason else \
            f"{type(err).__name__}: {err}"
    failure = StepFailure(st.step, part, tuple(sections), reason,
                          type(err).__name__ if err is not None else None)
    st.failures.append(failure)
    for section in sections:
        # a visible statement in the section; its TRIPOD+AI items become "not answered"
        st.report.add_failure(section, failure.label, reason)
    return failure


def _failed(st: _State, section: str, what: str, err: BaseException) -> None:
    """A part of the current step could not be computed on these data."""
    _record_failure(st, (section,), what, "could not be computed on these data", err)


def _frame_of(result: Any) -> pd.DataFrame:
    """The tidy table of a result object (DataFrame or ``to_frame()``)."""
    if isinstance(result, pd.DataFrame):
        return result
    return result.to_frame()


def _numeric_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts stay integers; everything else float or text (for disclosure declarations)."""
    out = frame.reset_index() if not isinstance(frame.index, pd.RangeIndex) else frame.copy()
    for c in out.columns:
        if pd.api.types.is_bool_dtype(out[c]):
            out[c] = out[c].astype(str)
    return out


#: Integer columns of result tables that are not counts of people (never suppressed).
_NOT_PEOPLE = {"step", "k", "bin", "repeat", "df", "parameters", "n_boot", "n_resamples",
               "n_repeats", "minimum_n", "rank", "points"}


def _counts_in(frame: pd.DataFrame) -> list[str]:
    """Integer columns holding counts of workers or events (disclosure-controlled)."""
    return [c for c in frame.columns if pd.api.types.is_integer_dtype(frame[c])
            and not pd.api.types.is_bool_dtype(frame[c]) and str(c) not in _NOT_PEOPLE]


def _statistics_in(frame: pd.DataFrame) -> list[str]:
    """Columns named after a performance measure that is not a proportion of people (a C
    index, a slope, a Brier score...): declared as statistics, so that the disclosure audit
    does not read them as rates of a count (``observed_risk`` and ``mean_risk`` stay rates)."""
    out = []
    for c in frame.columns:
        try:
            info = get_metric(str(c))
        except (KeyError, ValueError):
            continue
        if info.name == str(c) and info.group != "descriptive":
            out.append(str(c))
    return out


def _sets(st: _State) -> list[tuple[str, np.ndarray]]:
    out = [("development (apparent)", st.dev)]
    if (~st.dev).any():
        out.append(("validation", ~st.dev))
    return out


def _outcome(st: _State, kind: str, rows: np.ndarray) -> Any:
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


def _plain_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Object/str copy of a descriptive table (no count columns in it)."""
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_integer_dtype(out[c]) and not pd.api.types.is_bool_dtype(out[c]):
            out[c] = out[c].astype("float64")
    return out


def _scoring(st: _State, kind: str) -> list[str] | None:
    """Configured measures that are defined for the outcome kind (None: the defaults)."""
    chosen = st.cfg.validation.measures
    if chosen is None:
        return None
    # the measure registry knows which outcome kinds each measure is defined for
    return [m for m in chosen if get_metric(m).supports(kind)]


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, _dt.date | Path):
        return str(obj)
    if isinstance(obj, StepFailure):
        return obj.to_dict()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p[np.isfinite(p)], 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def _observed(st: _State, rows: np.ndarray) -> float:
    """Aalen-Johansen risk of the outcome by the horizon, competing exits accounted for."""
    return float(observed_risk(_outcome(st, "competing", rows), st.horizon))


def hash_folder_files(files: dict[str, str]) -> str:
    """Combined SHA-256 of a {relative path: sha256} mapping (order-independent)."""
    import hashlib

    return hashlib.sha256(
        "\n".join(f"{k} {v}" for k, v in sorted(files.items())).encode()).hexdigest()
