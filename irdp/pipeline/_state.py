"""Shared state and helpers of the run pipeline (private)."""

from __future__ import annotations

import datetime as _dt
import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from irdp.exceptions import IrdpError
from irdp.experiment import ExperimentConfig
from irdp.report import (
    Report,
    Timer,
)

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
    identifiers: set[str] = field(default_factory=set)

    @property
    def horizon(self) -> int:
        return int(self.cohort.horizon_days)

    def seed(self, offset: int) -> int:
        """Independent, documented seed of one step (the experiment seed + a fixed offset)."""
        return int(self.cfg.seed) + offset


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


_MODEL_CLASSES = {
    "logistic": "LogisticIndex",
    "cox": "CoxIndex",
    "fine_gray": "FineGrayIndex",
    "cause_specific_cox": "CauseSpecificCoxIndex",
}


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
    binary_only = {"citl"}
    return [m for m in chosen if kind == "binary" or m not in binary_only]


def _first_plot(module: str, names: tuple[str, ...]) -> Any:
    for n in names:
        try:
            return _need(module, n)
        except _Unavailable:
            continue
    raise _Unavailable(f"none of {module}.{'/'.join(names)} is available")


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, _dt.date | Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


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


def hash_folder_files(files: dict[str, str]) -> str:
    """Combined SHA-256 of a {relative path: sha256} mapping (order-independent)."""
    import hashlib

    return hashlib.sha256(
        "\n".join(f"{k} {v}" for k, v in sorted(files.items())).encode()).hexdigest()
