"""Experiment configurations: the validated YAML files of ``experiments/``.

An experiment names everything a validation run needs: the extract (a folder of files, or a
synthetic extract to generate), the cohort definition, the features, the candidate indices
(fitted models, existing questionnaires, risks supplied from outside as a column), the
validation design (bootstrap, internal-external validation by SPSTI and by period), the
fairness groups, the risk-level cut-offs and the report options.

:func:`load_experiment` reads and validates a file in one pass and reports *every* problem
at once (unknown key, wrong type, missing file, bad value) in an
:class:`~irdp.exceptions.ExperimentConfigError`, each with its dotted key path, what was
found and how to fix it. Relative paths are resolved against the configuration file's folder.

Examples
--------
>>> from irdp.experiment import experiment_from_dict
>>> cfg = experiment_from_dict({
...     "name": "tiny",
...     "extract": {"synthetic": {"n_workers": 2000, "n_spsti": 3}},
...     "cohort": {"index": {"kind": "first_visit"}, "horizon": {"months": 12}},
...     "indices": [{"name": "logit", "kind": "logistic", "features": ["age", "sex"]}],
... })
>>> cfg.indices[0].kind, cfg.validation.bootstrap.n_boot
('logistic', 200)
>>> experiment_from_dict({"name": "x", "extract": {"synthetic": {}}, "indice": []})
... # doctest: +ELLIPSIS
Traceback (most recent call last):
...
irdp.exceptions.ExperimentConfigError: <dict>: 2 problem(s) in the experiment configuration:
  - indice: unknown key. Did you mean 'indices'? Allowed keys: ...
  - indices: required key is missing; add it (see docs/reports.md for an example).
>>> experiment_from_dict({
...     "name": "x", "extract": {"synthetic": {}},
...     "cohort": {"index": {"kind": "visit", "visit_types": ["REPRISES"]},
...                "horizon": {"month": 6}},
...     "indices": [{"name": "m", "kind": "logistic", "features": ["agee"]}],
...     "fairness": {"n_boot": -5}})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
irdp.exceptions.ExperimentConfigError: <dict>: 5 problem(s) in the experiment configuration:
  - cohort.index.visit_types[0]: unknown code 'REPRISES'. Did you mean 'REPRISE'? ...
  - cohort.horizon.month: unknown key. Did you mean 'months'? Allowed keys: ...
  - cohort.horizon: needs exactly one of 'months' and 'days'; found neither. ...
  - indices[0].features[0]: no feature named 'agee' in the registry. Did you mean 'age'? ...
  - fairness.n_boot: must be >= 0 (0: no bootstrap CIs); found -5.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import difflib
import hashlib
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from irdp.exceptions import ExperimentConfigError
from irdp.features import REGISTRY
from irdp.privacy.policy import DEFAULT_MIN_COUNT, DisclosurePolicy

__all__ = [
    "ExperimentConfig",
    "ExtractConfig",
    "SyntheticExtractConfig",
    "IndexConfig",
    "FeaturesConfig",
    "ValidationConfig",
    "BootstrapConfig",
    "IecvConfig",
    "StabilityConfig",
    "CentreCalibrationConfig",
    "HoldoutConfig",
    "FairnessConfig",
    "RiskLevelsConfig",
    "CompletenessConfig",
    "SampleSizeConfig",
    "ReportConfig",
    "ComputeConfig",
    "INDEX_KINDS",
    "FITTED_KINDS",
    "INSTRUMENT_SCORES",
    "load_experiment",
    "experiment_from_dict",
    "config_hash",
]

#: Kinds of candidate index an experiment may name.
INDEX_KINDS = (
    "logistic",
    "cox",
    "fine_gray",
    "cause_specific_cox",
    "points",
    "questionnaire",
    "column",
)

#: Kinds of index fitted by irdp (the others are derived, scored or read from a file).
FITTED_KINDS = ("logistic", "cox", "fine_gray", "cause_specific_cox")

#: Questionnaire instruments: the feature holding the score, and whether a higher score
#: means a higher risk.
INSTRUMENT_SCORES: dict[str, tuple[str, bool]] = {
    "WAI": ("wai_total", False), "WAS": ("was_score", False),
    "OMPSQ_SF": ("ompsq_total", True), "Q4": ("q4_total", True),
}

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


@dataclass(frozen=True)
class SyntheticExtractConfig:
    """Parameters of :func:`irdp.synth.generate_dmst` for a synthetic extract."""

    n_workers: int = 20_000
    n_spsti: int = 8
    start: _dt.date = _dt.date(2016, 1, 1)
    end: _dt.date = _dt.date(2024, 12, 31)
    seed: int = 20240601


@dataclass(frozen=True)
class ExtractConfig:
    """Where the DMST extract comes from: ``path`` (a folder) or ``synthetic`` (generated)."""

    path: Path | None = None
    synthetic: SyntheticExtractConfig | None = None


@dataclass(frozen=True)
class FeaturesConfig:
    """Features to build: ``include`` names or families (``"all"`` for the whole registry)."""

    include: list[str] | str = "all"
    exclude: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class IndexConfig:
    """One candidate index.

    ``kind`` is one of :data:`INDEX_KINDS`. Fitted kinds take ``features`` (default: all) and
    ``options`` (keyword arguments of the model class). ``points`` derives a points score from
    the fitted index named in ``base``. ``questionnaire`` scores ``instrument`` (``WAI``,
    ``WAS``, ``OMPSQ_SF``, ``Q4``). ``column`` reads risks computed outside irdp from ``file``
    (CSV or Parquet keyed by ``worker_id`` and ``index_date``) and its ``column``.
    """

    name: str
    kind: Literal[
        "logistic", "cox", "fine_gray", "cause_specific_cox", "points", "questionnaire", "column"
    ]
    features: list[str] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    base: str | None = None
    instrument: Literal["WAI", "WAS", "OMPSQ_SF", "Q4"] | None = None
    file: Path | None = None
    column: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class BootstrapConfig:
    """Harrell's optimism bootstrap (``n_boot = 0`` switches it off).

    ``indices``: names of the fitted indices to validate (default: every fitted model).
    """

    n_boot: int = 200
    indices: list[str] | None = None


@dataclass(frozen=True)
class IecvConfig:
    """Internal-external cross-validation by SPSTI and/or by calendar period.

    ``indices``: names of the fitted indices to cross-validate (default: every fitted model).
    """

    by: list[Literal["spsti", "period"]] = field(default_factory=lambda: ["spsti"])
    n_periods: int = 3
    indices: list[str] | None = None


@dataclass(frozen=True)
class StabilityConfig:
    """Model stability under bootstrap redevelopment (Riley & Collins 2023).

    ``n_boot``: bootstrap models; ``null`` (default) = as many as the optimism bootstrap
    (``validation.bootstrap.n_boot``), drawn with the same seed, so that both see the same
    bootstrap samples; ``0`` switches the stability analysis off. ``indices``: fitted
    indices assessed (default: those of the optimism bootstrap). ``thresholds``: risks of
    the classification instability index (default: the index's risk-level cut-offs).
    ``interval``: width of the per-worker stability interval. ``curves``: also the
    calibration and decision curves of every bootstrap model (calibration instability).
    """

    n_boot: int | None = None
    indices: list[str] | None = None
    thresholds: list[float] | None = None
    interval: float = 0.95
    curves: bool = True


@dataclass(frozen=True)
class CentreCalibrationConfig:
    """Calibration across SPSTI: per-SPSTI curves, overall curve, CI and prediction interval.

    ``method``: ``mixc`` (one-stage random-effects logistic calibration), ``mac2``
    (meta-analysis of per-SPSTI curves, computable from summary packs), ``both`` (default)
    or ``none`` (switched off). ``data``: the validation data or ``all`` index events (the
    development SPSTI then show their apparent calibration); default: the validation data
    when ``validation.holdout`` makes some, else all index events. ``indices``:
    indices assessed (default: all). ``random``: random intercept, or intercept and slope
    (MIXC). ``knots``: knots of the spline on logit(risk) (0: linear). ``n_grid``: points of
    the risk grid. ``level``: confidence and prediction level.
    """

    method: Literal["both", "mac2", "mixc", "none"] = "both"
    data: Literal["validation", "all"] | None = None
    indices: list[str] | None = None
    random: Literal["intercept", "slope"] = "intercept"
    knots: int = 3
    n_grid: int = 50
    level: float = 0.95


@dataclass(frozen=True)
class HoldoutConfig:
    """Development/validation split: by index date (``period``), by SPSTI, or none."""

    by: Literal["none", "period", "spsti"] = "period"
    cutoff: _dt.date | None = None
    spsti: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ValidationConfig:
    """The validation design.

    ``measures``: measures of the bootstrap and IECV (names of the measure registry,
    :func:`irdp.metrics.get_metric`, that the validation designs accept, e.g. ``c``,
    ``calibration_slope``, ``citl``, ``oe``, ``brier``, ``ipa``, ``ici``; default: all those
    defined for the outcome). Leaving out ``ici`` (a smoothed calibration curve per resample)
    makes large runs much faster.
    """

    holdout: HoldoutConfig = field(default_factory=HoldoutConfig)
    bootstrap: BootstrapConfig = field(default_factory=BootstrapConfig)
    iecv: IecvConfig = field(default_factory=IecvConfig)
    stability: StabilityConfig = field(default_factory=StabilityConfig)
    centre_calibration: CentreCalibrationConfig = field(
        default_factory=CentreCalibrationConfig)
    thresholds: list[float] = field(default_factory=lambda: [0.01, 0.02, 0.05, 0.1, 0.2])
    measures: list[str] | None = None
    compare_n_boot: int = 200


@dataclass(frozen=True)
class FairnessConfig:
    """Groups for the fairness checks (columns of the cohort or features)."""

    groups: list[str] = field(
        default_factory=lambda: ["sex", "age_band", "company_size", "naf_section", "spsti_id"]
    )
    n_boot: int = 100


@dataclass(frozen=True)
class RiskLevelsConfig:
    """Cut-offs of the three levels faible / intermédiaire / forte.

    ``cutoffs`` are risks (``thresholds``), quantiles of the development risks
    (``quantiles``) or target sensitivities, decreasing (``sensitivity``), as
    :class:`irdp.models.RiskLevels`.
    """

    method: Literal["thresholds", "quantiles", "sensitivity"] = "thresholds"
    cutoffs: list[float] = field(default_factory=lambda: [0.02, 0.05])


@dataclass(frozen=True)
class CompletenessConfig:
    """Completeness stress test: degrade ``fields`` at ``rates`` under ``mechanism``."""

    fields: list[str] = field(default_factory=list)
    rates: list[float] = field(default_factory=lambda: [0.0, 0.25, 0.5])
    mechanism: Literal["MCAR", "MAR", "by SPSTI"] = "MCAR"
    n_repeats: int = 3


@dataclass(frozen=True)
class SampleSizeConfig:
    """Assumptions of the Riley et al. sample-size criteria."""

    anticipated_c: float = 0.75
    shrinkage: float = 0.9


@dataclass(frozen=True)
class ReportConfig:
    """Report options and the run's disclosure policy.

    ``min_count`` is the disclosure threshold (counts 1 to ``min_count - 1`` are suppressed;
    default :data:`irdp.privacy.DEFAULT_MIN_COUNT`); a value below the default is refused
    unless ``override_reason`` says who decided and why (stamped on every output).
    ``rounding`` rounds every published count (OpenSAFELY style); ``protect_zeros`` suppresses
    zeros too. :attr:`policy` is the :class:`irdp.privacy.DisclosurePolicy` of the run.
    """

    title: str | None = None
    authors: list[str] = field(default_factory=list)
    background: str | None = None
    min_count: int = DEFAULT_MIN_COUNT
    override_reason: str | None = None
    rounding: int | None = None
    protect_zeros: bool = False
    figure_format: Literal["png", "svg"] = "png"
    service_groups: list[str] = field(
        default_factory=lambda: ["spsti_id", "naf_section", "company_size"]
    )

    @property
    def policy(self) -> DisclosurePolicy:
        """The one disclosure policy of the run (report, CSVs, figures, model exports)."""
        return DisclosurePolicy(min_count=self.min_count, rounding=self.rounding,
                                protect_zeros=self.protect_zeros,
                                override_reason=self.override_reason)


@dataclass(frozen=True)
class ComputeConfig:
    """Where resampling replicates run (the ``compute`` section).

    ``scheduler``: ``null`` (default) runs replicates on local joblib workers; ``"local"``
    starts a Dask ``LocalCluster`` on this machine for the run; an address such as
    ``"tcp://10.0.0.5:8786"`` sends them to a running Dask scheduler (the ``dask`` extra).
    The number of local workers is the experiment's ``n_jobs``. Results are byte-identical
    whatever the scheduler, for the same seed (see :mod:`irdp._resampling`), so this section
    is left out of :func:`config_hash`.
    """

    scheduler: str | None = None


@dataclass(frozen=True)
class ExperimentConfig:
    """A whole experiment; build it with :func:`load_experiment`."""

    name: str
    extract: ExtractConfig
    indices: list[IndexConfig]
    seed: int = 20240601
    n_jobs: int = 1
    description: str | None = None
    cohort: dict[str, Any] | Path = field(default_factory=dict)
    features: FeaturesConfig = field(default_factory=FeaturesConfig)
    validation: ValidationConfig = field(default_factory=ValidationConfig)
    fairness: FairnessConfig = field(default_factory=FairnessConfig)
    risk_levels: RiskLevelsConfig = field(default_factory=RiskLevelsConfig)
    completeness: CompletenessConfig = field(default_factory=CompletenessConfig)
    sample_size: SampleSizeConfig = field(default_factory=SampleSizeConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    compute: ComputeConfig = field(default_factory=ComputeConfig)
    source: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable form (paths and dates as strings), in declaration order."""
        return _plain(dataclasses.asdict(self))

    def replace(self, **changes: Any) -> ExperimentConfig:
        """A copy with top-level fields replaced (e.g. ``extract=...`` in ``irdp demo``)."""
        return dataclasses.replace(self, **changes)


# ----------------------------------------------------------------------------------- loading


def _check_policy(rep: ReportConfig, ctx: Any) -> None:
    """The disclosure policy of ``report:``: no ``min_count`` below the default without an
    ``override_reason`` (stamped in the report header and provenance.json)."""
    m = rep.min_count
    if not isinstance(m, int) or isinstance(m, bool):
        return  # already reported by the type check
    if m < 1:
        ctx.fail("report.min_count", f"must be >= 1; found {m}.")
    elif m < DEFAULT_MIN_COUNT and not (rep.override_reason or "").strip():
        ctx.fail("report.min_count", f"must be at least {DEFAULT_MIN_COUNT} (counts 1 to "
                 f"{DEFAULT_MIN_COUNT - 1} are never published); found {m}. A smaller "
                 "threshold needs report.override_reason (who decided and why), which is "
                 "stamped on every output.")
    else:
        try:
            rep.policy  # noqa: B018 - built to check rounding, override_reason...
        except (TypeError, ValueError) as err:
            ctx.fail("report", str(err))


def load_experiment(path: str | Path) -> ExperimentConfig:
    """Read and validate an experiment configuration file.

    Parameters
    ----------
    path : str or pathlib.Path
        YAML file (``experiments/<name>.yaml``).

    Returns
    -------
    ExperimentConfig
        Frozen configuration; relative paths resolved against the file's folder.

    Raises
    ------
    ExperimentConfigError
        Missing or unreadable file, invalid YAML, or any schema problem (all listed at once).
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ExperimentConfigError(
            str(path), [f"configuration file not found (cwd: {Path.cwd()}); check the path."]
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ExperimentConfigError(str(path), [f"invalid YAML: {err}"]) from err
    return experiment_from_dict(data, base_dir=path.parent, source=path)


def experiment_from_dict(
    data: Any, *, base_dir: str | Path | None = None, source: str | Path | None = None
) -> ExperimentConfig:
    """Validate a mapping (e.g. parsed YAML) into an :class:`ExperimentConfig`.

    Parameters
    ----------
    data : mapping
        The configuration.
    base_dir : str or pathlib.Path, optional
        Folder against which relative paths are resolved (default: current directory).
    source : str or pathlib.Path, optional
        Name used in error messages.
    """
    label = str(source) if source is not None else "<dict>"
    ctx = _Context(Path(base_dir) if base_dir is not None else Path.cwd())
    if not isinstance(data, dict):
        raise ExperimentConfigError(
            label,
            [f"the top level must be a mapping of keys; found {type(data).__name__}."],
        )
    cfg = ctx.build(ExperimentConfig, data, "", skip={"source"})
    if ctx.problems:
        raise ExperimentConfigError(label, ctx.problems)
    cfg = dataclasses.replace(cfg, source=Path(source) if source is not None else None)
    _check_semantics(cfg, ctx)
    if ctx.problems:
        raise ExperimentConfigError(label, ctx.problems)
    return cfg


def config_hash(cfg: ExperimentConfig) -> str:
    """SHA-256 of the canonical JSON form of a configuration.

    The source path and the ``compute`` section (where replicates run, which never changes
    a result) are excluded: the same experiment run with joblib or on a Dask cluster has
    the same hash.
    """
    import json

    plain = cfg.to_dict()
    plain.pop("source", None)
    plain.pop("compute", None)
    text = json.dumps(plain, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ----------------------------------------------------------------------------- the validator


class _Context:
    """Collects problems while converting nested mappings into the dataclasses above."""

    def __init__(self, base_dir: Path) -> None:
        self.base_dir = base_dir
        self.problems: list[str] = []

    def fail(self, key: str, message: str) -> None:
        self.problems.append(f"{key or '<top>'}: {message}")

    def build(self, cls: type, data: Any, key: str, skip: frozenset | set = frozenset()) -> Any:
        if not isinstance(data, dict):
            self.fail(key, f"must be a mapping; found {_describe(data)}.")
            return None
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in skip}
        for name in data:
            if name not in fields:
                close = difflib.get_close_matches(str(name), list(fields), n=1)
                hint = f" Did you mean '{close[0]}'?" if close else ""
                self.fail(
                    _join(key, name),
                    f"unknown key.{hint} Allowed keys: {', '.join(sorted(fields))}.",
                )
        values = {}
        for name, f in fields.items():
            sub = _join(key, name)
            if name in data:
                values[name] = self.convert(hints[name], data[name], sub)
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                self.fail(sub, "required key is missing; add it (see docs/reports.md for an "
                          "example).")
        try:
            return cls(**values)
        except TypeError:  # a required key was missing: already reported
            return None

    def convert(self, tp: Any, value: Any, key: str) -> Any:  # noqa: C901
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin in (typing.Union, types.UnionType):
            if value is None and type(None) in args:
                return None
            options = [a for a in args if a is not type(None)]
            if len(options) == 1:
                return self.convert(options[0], value, key)
            # list[str] | str, dict | Path: choose by the observed kind
            for option in options:
                if _accepts(option, value):
                    return self.convert(option, value, key)
            self.fail(key, f"must be {_tp_name(tp)}; found {_describe(value)}.")
            return None
        if origin is Literal:
            if value not in args:
                close = difflib.get_close_matches(str(value), [str(a) for a in args], n=1)
                hint = f" Did you mean '{close[0]}'?" if close else ""
                self.fail(key, f"must be one of {list(args)}; found {value!r}.{hint}")
            return value
        if origin is list:
            if not isinstance(value, list):
                self.fail(key, f"must be a list; found {_describe(value)}.")
                return []
            return [self.convert(args[0], v, f"{key}[{i}]") for i, v in enumerate(value)]
        if origin is dict or tp is dict:
            if not isinstance(value, dict):
                self.fail(key, f"must be a mapping; found {_describe(value)}.")
                return {}
            return dict(value)
        if dataclasses.is_dataclass(tp):
            return self.build(tp, value, key)
        if tp is Any:
            return value
        if tp is bool:
            if not isinstance(value, bool):
                self.fail(key, f"must be true or false; found {_describe(value)}.")
            return value
        if tp is int:
            if isinstance(value, bool) or not isinstance(value, int):
                self.fail(key, f"must be an integer; found {_describe(value)}.")
            return value
        if tp is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                self.fail(key, f"must be a number; found {_describe(value)}.")
                return value
            return float(value)
        if tp is str:
            if not isinstance(value, str):
                self.fail(key, f"must be a string; found {_describe(value)}.")
            return value
        if tp is Path:
            if not isinstance(value, str):
                self.fail(key, f"must be a path (string); found {_describe(value)}.")
                return None
            p = Path(value)
            return p if p.is_absolute() else (self.base_dir / p)
        if tp is _dt.date:
            if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
                return value
            if isinstance(value, str):
                try:
                    return _dt.date.fromisoformat(value)
                except ValueError:
                    pass
            self.fail(key, f"must be a date YYYY-MM-DD; found {_describe(value)}.")
            return None
        raise TypeError(f"unsupported annotation {tp!r} at {key}")  # programming error


def _check_semantics(cfg: ExperimentConfig, ctx: _Context) -> None:
    """Cross-field rules: names, files, ranges, references, registries, the cohort block."""
    if not _NAME_RE.match(cfg.name):
        ctx.fail("name", f"must match {_NAME_RE.pattern} (lower-case, digits, '_'); "
                 f"found {cfg.name!r}.")
    if cfg.n_jobs == 0 or cfg.n_jobs < -1:
        ctx.fail("n_jobs", f"must be a positive integer or -1 (all cores); found {cfg.n_jobs}.")
    _check_extract(cfg, ctx)
    _check_cohort(cfg, ctx)
    _check_indices(cfg, ctx)
    _check_features(cfg, ctx)
    _check_validation(cfg, ctx)
    _check_measures(cfg, ctx)
    _check_groups(cfg, ctx)
    _check_ranges(cfg, ctx)
    _check_compute(cfg, ctx)


#: A Dask scheduler address: protocol://host:port (the protocols of ``distributed``).
_ADDRESS_RE = re.compile(r"^(tcp|tls|ws|wss|ucx|inproc)://[A-Za-z0-9._\-\[\]:]+:\d{1,5}$")


def _check_compute(cfg: ExperimentConfig, ctx: _Context) -> None:
    """``compute.scheduler``: null (joblib), 'local' (a LocalCluster) or an address."""
    s = cfg.compute.scheduler
    if s is None or s == "local":
        return
    if not _ADDRESS_RE.match(s):
        ctx.fail("compute.scheduler", f"must be null (joblib workers), 'local' (a Dask "
                 f"LocalCluster on this machine) or the address of a Dask scheduler such as "
                 f"'tcp://10.0.0.5:8786' (protocol://host:port); found {s!r}.")


def _check_extract(cfg: ExperimentConfig, ctx: _Context) -> None:
    ex = cfg.extract
    if (ex.path is None) == (ex.synthetic is None):
        ctx.fail("extract", "give exactly one of 'path' (a folder of DMST files) or "
                 "'synthetic' (parameters of a generated extract).")
    elif ex.path is not None and not ex.path.is_dir():
        ctx.fail("extract.path", f"folder not found: {ex.path}; give the folder holding the "
                 "extract files (one per table), or use 'synthetic'.")
    if ex.synthetic is not None:
        if ex.synthetic.n_workers < 100:
            ctx.fail("extract.synthetic.n_workers",
                     f"must be >= 100; found {ex.synthetic.n_workers}.")
        if ex.synthetic.n_spsti < 1:
            ctx.fail("extract.synthetic.n_spsti", f"must be >= 1; found {ex.synthetic.n_spsti}.")
        if ex.synthetic.end <= ex.synthetic.start:
            ctx.fail("extract.synthetic.end", f"must be after start ({ex.synthetic.start}); "
                     f"found {ex.synthetic.end}.")


def _check_cohort(cfg: ExperimentConfig, ctx: _Context) -> None:
    """The cohort block (inline or a file), checked completely as a cohort definition."""
    from irdp.cohort.definition import definition_problems, read_definition_file
    from irdp.exceptions import CohortDefinitionError

    if isinstance(cfg.cohort, Path):
        if not cfg.cohort.is_file():
            ctx.fail("cohort", f"file not found: {cfg.cohort}; give a cohort YAML file or an "
                     "inline mapping.")
            return
        try:
            data = read_definition_file(cfg.cohort)
        except CohortDefinitionError as err:
            ctx.problems.extend(f"cohort ({cfg.cohort.name}) {p}" for p in err.problems)
            return
        prefix, require_end = f"cohort ({cfg.cohort.name}) ", True
    elif not cfg.cohort:
        ctx.fail("cohort", "required key is missing; give the cohort definition inline (index, "
                 "horizon, ...) or the path of a cohort YAML file (see experiments/cohorts/).")
        return
    else:
        data = {"name": cfg.name, **cfg.cohort}
        prefix, require_end = "cohort.", False
    ctx.problems.extend(definition_problems(data, prefix=prefix,
                                            require_extract_end=require_end))


def _check_features(cfg: ExperimentConfig, ctx: _Context) -> None:
    """Feature names and families against the registry; each index's features are built."""
    chosen = _included_features(cfg, ctx)
    for i, idx in enumerate(cfg.indices):
        for k, name in enumerate(idx.features or []):
            key = f"indices[{i}].features[{k}]"
            if name not in REGISTRY:
                ctx.fail(key, f"no feature named {name!r} in the registry."
                         f"{_did_you_mean(name, REGISTRY)} See docs/feature_dictionary.md.")
            elif name not in chosen:
                ctx.fail(key, f"feature {name!r} is left out by features.include/exclude; "
                         "add it there or remove it from the index.")
        if idx.kind == "questionnaire" and idx.instrument is not None:
            score = INSTRUMENT_SCORES[idx.instrument][0]
            if score not in chosen:
                ctx.fail(f"indices[{i}].instrument", f"the score feature {score!r} of "
                         f"{idx.instrument} is left out by features.include/exclude.")
    fields = cfg.completeness.fields
    stressed = next((i for i in cfg.indices if i.kind in FITTED_KINDS), None)
    predictors = set(stressed.features or chosen) if stressed is not None else set()
    for k, name in enumerate(fields):
        key = f"completeness.fields[{k}]"
        if name not in REGISTRY:
            ctx.fail(key, f"no feature named {name!r} in the registry."
                     f"{_did_you_mean(name, REGISTRY)}")
        elif stressed is None:
            ctx.fail(key, "the completeness stress test needs a fitted index (logistic, cox, "
                     "fine_gray or cause_specific_cox) among indices.")
        elif name not in predictors:
            ctx.fail(key, f"{name!r} is not a predictor of {stressed.name!r}, the index the "
                     f"stress test refits (the first fitted index); choose among its "
                     f"predictors, e.g. {sorted(predictors)[:5]}.")


def _included_features(cfg: ExperimentConfig, ctx: _Context) -> set[str]:
    """Names kept by ``features.include`` and ``features.exclude`` (problems reported)."""
    families = {f.family for f in REGISTRY.values()}
    inc = cfg.features.include
    if isinstance(inc, str):
        if inc != "all":
            ctx.fail("features.include", f"must be 'all' or a list of feature names or "
                     f"families ({', '.join(sorted(families))}); found {inc!r}.")
        chosen = set(REGISTRY)
    else:
        chosen = set()
        for k, name in enumerate(inc):
            chosen |= _names_or_family(name, families, f"features.include[{k}]", ctx)
    for k, name in enumerate(cfg.features.exclude):
        chosen -= _names_or_family(name, families, f"features.exclude[{k}]", ctx)
    return chosen


def _names_or_family(name: str, families: set[str], key: str, ctx: _Context) -> set[str]:
    if name in REGISTRY:
        return {name}
    if name in families:
        return {n for n, f in REGISTRY.items() if f.family == name}
    ctx.fail(key, f"{name!r} is neither a feature nor a family of the registry."
             f"{_did_you_mean(name, [*REGISTRY, *families])} Families: "
             f"{', '.join(sorted(families))}.")
    return set()


def _check_validation(cfg: ExperimentConfig, ctx: _Context) -> None:
    val = cfg.validation
    names = {i.name for i in cfg.indices}
    for key, chosen in (("validation.bootstrap.indices", val.bootstrap.indices),
                        ("validation.iecv.indices", val.iecv.indices)):
        for k, name in enumerate(chosen or []):
            if name not in names:
                ctx.fail(f"{key}[{k}]", f"names no index of 'indices'; found {name!r} "
                         f"(indices: {sorted(names)}).{_did_you_mean(name, names)}")
    if val.bootstrap.n_boot < 0:
        ctx.fail("validation.bootstrap.n_boot", f"must be >= 0; found {val.bootstrap.n_boot}.")
    if val.compare_n_boot < 2:
        ctx.fail("validation.compare_n_boot", f"must be >= 2 (paired bootstrap resamples of "
                 f"the comparison of indices); found {val.compare_n_boot}.")
    if val.iecv.n_periods < 2:
        ctx.fail("validation.iecv.n_periods", f"must be >= 2; found {val.iecv.n_periods}.")
    ho = val.holdout
    if ho.by == "spsti" and not ho.spsti:
        ctx.fail("validation.holdout.spsti", "list the SPSTI held out for validation when "
                 "holdout.by is 'spsti'.")
    if ho.by != "spsti" and ho.spsti:
        ctx.fail("validation.holdout.spsti", f"only used when holdout.by is 'spsti'; found "
                 f"by {ho.by!r}.")
    if ho.by != "period" and ho.cutoff is not None:
        ctx.fail("validation.holdout.cutoff", f"only used when holdout.by is 'period'; found "
                 f"by {ho.by!r}.")
    for i, t in enumerate(val.thresholds):
        if not 0 < t < 1:
            ctx.fail(f"validation.thresholds[{i}]", f"must be in (0, 1); found {t}.")
    _check_stability(cfg, ctx)
    _check_centre_calibration(cfg, ctx)


def _check_stability(cfg: ExperimentConfig, ctx: _Context) -> None:
    """validation.stability: sizes, thresholds and indices (fitted ones only)."""
    st = cfg.validation.stability
    key = "validation.stability"
    if st.n_boot is not None and st.n_boot < 0:
        ctx.fail(f"{key}.n_boot", f"must be >= 0 (0: no stability analysis; null: as many as "
                 f"validation.bootstrap.n_boot); found {st.n_boot}.")
    if not 0.5 <= st.interval < 1:
        ctx.fail(f"{key}.interval", f"must be in [0.5, 1) (width of the stability interval, "
                 f"e.g. 0.95); found {st.interval}.")
    for i, t in enumerate(st.thresholds or []):
        if not 0 < t < 1:
            ctx.fail(f"{key}.thresholds[{i}]", f"must be a risk in (0, 1); found {t}.")
    if st.thresholds is not None and not st.thresholds:
        ctx.fail(f"{key}.thresholds", "must list at least one risk, or be left out (default: "
                 "the risk-level cut-offs).")
    _check_fitted_names(cfg, ctx, f"{key}.indices", st.indices, "stability analysis")


def _check_centre_calibration(cfg: ExperimentConfig, ctx: _Context) -> None:
    """validation.centre_calibration: grid, knots, level and indices."""
    cc = cfg.validation.centre_calibration
    key = "validation.centre_calibration"
    if cc.knots != 0 and not 3 <= cc.knots <= 5:
        ctx.fail(f"{key}.knots", f"must be 0 (linear calibration curves) or 3 to 5 spline "
                 f"knots; found {cc.knots}.")
    if not 5 <= cc.n_grid <= 500:
        ctx.fail(f"{key}.n_grid", f"must be between 5 and 500 grid points; found {cc.n_grid}.")
    if not 0.5 <= cc.level < 1:
        ctx.fail(f"{key}.level", f"must be in [0.5, 1) (e.g. 0.95); found {cc.level}.")
    if cc.random == "slope" and cc.method in ("mac2", "none"):
        ctx.fail(f"{key}.random", f"'slope' applies to the MIXC model only; method is "
                 f"{cc.method!r} (use method 'mixc' or 'both', or leave random out).")
    if cc.data == "validation" and cfg.validation.holdout.by == "none" and \
            cc.method != "none":
        ctx.fail(f"{key}.data", "is 'validation' but validation.holdout.by is 'none' (no "
                 "validation data); use data 'all' or method 'none'.")
    names = {i.name for i in cfg.indices}
    for k, name in enumerate(cc.indices or []):
        if name not in names:
            ctx.fail(f"{key}.indices[{k}]", f"names no index of 'indices'; found {name!r} "
                     f"(indices: {sorted(names)}).{_did_you_mean(name, names)}")


def _check_fitted_names(cfg: ExperimentConfig, ctx: _Context, key: str,
                        chosen: list[str] | None, what: str) -> None:
    """Names of ``chosen`` must be fitted indices (the analysis refits them)."""
    kinds = {i.name: i.kind for i in cfg.indices}
    for k, name in enumerate(chosen or []):
        if name not in kinds:
            ctx.fail(f"{key}[{k}]", f"names no index of 'indices'; found {name!r} "
                     f"(indices: {sorted(kinds)}).{_did_you_mean(name, kinds)}")
        elif kinds[name] not in FITTED_KINDS:
            ctx.fail(f"{key}[{k}]", f"{name!r} has kind {kinds[name]!r}, which irdp does not "
                     f"fit: the {what} refits an index ({', '.join(FITTED_KINDS)}).")


def _check_measures(cfg: ExperimentConfig, ctx: _Context) -> None:
    """Measure names against the measure registry (and the validation designs' names)."""
    from irdp.metrics import METRICS, get_metric
    from irdp.validation import MEASURES

    for k, name in enumerate(cfg.validation.measures or []):
        if name in MEASURES:
            continue
        try:
            get_metric(name)
        except ValueError:
            known = sorted({*MEASURES, *METRICS})
            ctx.fail(f"validation.measures[{k}]", f"unknown measure {name!r}."
                     f"{_did_you_mean(name, known)} Known: {', '.join(known)}.")
            continue
        ctx.fail(f"validation.measures[{k}]", f"{name!r} is a measure of irdp.metrics but "
                 f"not one the bootstrap and IECV compute; choose among "
                 f"{', '.join(sorted(MEASURES))}.")


#: Columns of the cohort table that may define groups (the features may too).
_COHORT_GROUPS = ("spsti_id", "index_visit_type", "followup_type")


def _check_groups(cfg: ExperimentConfig, ctx: _Context) -> None:
    allowed = [*_COHORT_GROUPS, *REGISTRY]
    for key, groups in (("fairness.groups", cfg.fairness.groups),
                        ("report.service_groups", cfg.report.service_groups)):
        for k, g in enumerate(groups):
            if g not in allowed:
                ctx.fail(f"{key}[{k}]", f"{g!r} is neither a cohort column "
                         f"({', '.join(_COHORT_GROUPS)}) nor a feature.{_did_you_mean(g, allowed)}")


def _check_ranges(cfg: ExperimentConfig, ctx: _Context) -> None:
    if cfg.fairness.n_boot < 0:
        ctx.fail("fairness.n_boot", f"must be >= 0 (0: no bootstrap CIs); found "
                 f"{cfg.fairness.n_boot}.")
    cut = cfg.risk_levels.cutoffs
    decreasing = cfg.risk_levels.method == "sensitivity"
    if len(cut) != 2 or not all(0 < c < 1 for c in cut) or (
        (cut[0] <= cut[1]) if decreasing else (cut[0] >= cut[1])
    ):
        what = ("two decreasing target sensitivities in (0, 1) (at least intermédiaire, "
                "forte)" if decreasing else "two increasing values in (0, 1) "
                "(faible|intermédiaire and intermédiaire|forte)")
        ctx.fail("risk_levels.cutoffs", f"must be {what}; found {cut}.")
    for i, r in enumerate(cfg.completeness.rates):
        if not 0 <= r < 1:
            ctx.fail(f"completeness.rates[{i}]", f"must be in [0, 1); found {r}.")
    if cfg.completeness.n_repeats < 1:
        ctx.fail("completeness.n_repeats", f"must be >= 1; found {cfg.completeness.n_repeats}.")
    _check_policy(cfg.report, ctx)
    if not 0.5 < cfg.sample_size.anticipated_c < 1:
        ctx.fail("sample_size.anticipated_c",
                 f"must be in (0.5, 1); found {cfg.sample_size.anticipated_c}.")
    if not 0 < cfg.sample_size.shrinkage < 1:
        ctx.fail("sample_size.shrinkage", f"must be in (0, 1); found {cfg.sample_size.shrinkage}.")


def _check_indices(cfg: ExperimentConfig, ctx: _Context) -> None:  # noqa: C901
    if not cfg.indices:
        ctx.fail("indices", "list at least one candidate index.")
    seen: dict[str, int] = {}
    for i, idx in enumerate(cfg.indices):
        key = f"indices[{i}]"
        if not _NAME_RE.match(idx.name):
            ctx.fail(f"{key}.name", f"must match {_NAME_RE.pattern}; found {idx.name!r}.")
        if idx.name in seen:
            ctx.fail(f"{key}.name", f"duplicate index name {idx.name!r} (also indices"
                     f"[{seen[idx.name]}]); names must be unique.")
        seen.setdefault(idx.name, i)
        if idx.kind == "questionnaire" and idx.instrument is None:
            ctx.fail(f"{key}.instrument", "required for kind 'questionnaire' (WAI, WAS, "
                     "OMPSQ_SF or Q4).")
        if idx.kind != "questionnaire" and idx.instrument is not None:
            ctx.fail(f"{key}.instrument", f"only allowed for kind 'questionnaire'; "
                     f"this index has kind {idx.kind!r}.")
        if idx.kind == "column":
            if idx.file is None or idx.column is None:
                ctx.fail(key, "kind 'column' needs 'file' (CSV or Parquet with worker_id, "
                         "index_date and the risk) and 'column' (the risk column).")
            elif not idx.file.is_file():
                ctx.fail(f"{key}.file", f"file not found: {idx.file}.")
            else:
                _check_risk_file(idx, key, ctx)
        elif idx.file is not None or idx.column is not None:
            ctx.fail(key, f"'file' and 'column' are only allowed for kind 'column'; "
                     f"this index has kind {idx.kind!r}.")
        if idx.kind == "points":
            if idx.base is None:
                ctx.fail(f"{key}.base", "required for kind 'points': the name of a fitted "
                         "logistic or Cox index listed before it.")
            elif idx.base not in seen or cfg.indices[seen[idx.base]].kind not in (
                "logistic", "cox"
            ):
                ctx.fail(f"{key}.base", f"must name a logistic or cox index listed before it; "
                         f"found {idx.base!r}.")
        elif idx.base is not None:
            ctx.fail(f"{key}.base", "only allowed for kind 'points'.")


def _check_risk_file(idx: IndexConfig, key: str, ctx: _Context) -> None:
    """The columns of a file of risks computed outside irdp (its header only is read)."""
    import csv

    import pyarrow.parquet as pq

    try:
        if idx.file.suffix == ".parquet":
            columns = pq.read_schema(idx.file).names
        else:
            with idx.file.open(encoding="utf-8", newline="") as fh:
                columns = next(csv.reader(fh), [])
    except (OSError, ValueError, UnicodeDecodeError) as err:
        kind = "Parquet" if idx.file.suffix == ".parquet" else "CSV"
        ctx.fail(f"{key}.file", f"cannot be read as {kind}: {type(err).__name__}.")
        return
    need = ["worker_id", "index_date", idx.column]
    absent = [c for c in need if c not in columns]
    if absent:
        shown = ", ".join(map(str, columns[:10]))
        ctx.fail(f"{key}.file", f"must have the columns {', '.join(need)}; {', '.join(absent)} "
                 f"absent (found: {shown}).{_did_you_mean(absent[-1], columns)}")


# ----------------------------------------------------------------------------------- helpers


def _join(key: str, name: Any) -> str:
    return f"{key}.{name}" if key else str(name)


def _did_you_mean(name: Any, allowed: Any) -> str:
    names = [str(a) for a in allowed]
    close = difflib.get_close_matches(str(name), names, n=1) or sorted(
        n for n in names if n.startswith(str(name)))[:1]
    return f" Did you mean '{close[0]}'?" if close else ""


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def _tp_name(tp: Any) -> str:
    return str(tp).replace("typing.", "").replace("pathlib.", "")


def _accepts(tp: Any, value: Any) -> bool:
    origin = typing.get_origin(tp)
    if origin is list:
        return isinstance(value, list)
    if origin is dict or tp is dict:
        return isinstance(value, dict)
    if tp in (str, Path):
        return isinstance(value, str)
    return False


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, Path | _dt.date):
        return str(obj)
    return obj
