"""Cohort definitions: what is an index date, who is eligible, what counts as the outcome.

A :class:`CohortDefinition` is a frozen dataclass; :meth:`CohortDefinition.from_yaml` reads
the same structure from a YAML file (see ``experiments/cohorts/*.yaml``). Unknown keys and
values of the wrong type are refused with an error that names the key.

Time unit
---------
irdp's cohorts count time in **days** from the index date. A horizon stated in months is
converted with the documented rule ``days = floor(months * 365.25 / 12)``: 6 months = 182
days, 12 months = 365 days, 24 months = 730 days. A horizon can also be given directly in
days.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "CohortDefinition",
    "IndexEvent",
    "Eligibility",
    "OutcomeEvent",
    "Horizon",
    "VISIT_TYPES",
    "CONCLUSIONS",
    "EXIT_REASONS",
    "CAUSES",
    "COMPETING_CAUSE",
    "months_to_days",
]

VISIT_TYPES: tuple[str, ...] = (
    "VIP_INIT", "VIP_PER", "SIR_EMB", "SIR_PER", "SIR_INTER", "PREREPRISE", "REPRISE",
    "MI_CARRIERE", "FIN_CARRIERE", "DEMANDE_SAL", "DEMANDE_EMP", "DEMANDE_MT",
)
CONCLUSIONS: tuple[str, ...] = (
    "ATTESTATION", "APTE", "AMENAGEMENT", "INAPTE", "INAPTE_DISPENSE", "ORIENTATION",
)
EXIT_REASONS: tuple[str, ...] = (
    "CHANGEMENT_SPSTI", "RETRAITE", "DECES", "FIN_SUIVI", "LICENCIEMENT_INAPTITUDE",
    "AUTRE_PERTE_EMPLOI",
)
FOLLOWUP_TYPES: tuple[str, ...] = ("SIG", "SIA", "SIR")

#: Cause codes of :class:`irdp.outcomes.CompetingRisks` produced by :func:`build_cohort`.
CAUSES: dict[int, str] = {0: "censored", 1: "inaptitude", 2: "retirement", 3: "death",
                          4: "other_job_loss"}
#: Exit reasons that may be declared competing events, and their cause code.
COMPETING_CAUSE: dict[str, int] = {"RETRAITE": 2, "DECES": 3, "AUTRE_PERTE_EMPLOI": 4}


def months_to_days(months: float) -> int:
    """Convert a horizon in months to days: ``floor(months * 365.25 / 12)``.

    Examples
    --------
    >>> months_to_days(6), months_to_days(12), months_to_days(24)
    (182, 365, 730)
    """
    return int(math.floor(float(months) * 365.25 / 12 + 1e-9))


@dataclasses.dataclass(frozen=True)
class IndexEvent:
    """When prediction is made (the index date, time 0).

    Parameters
    ----------
    kind : {"visit", "landmark", "first_visit"}
        ``"visit"``: every visit of ``visit_types`` dated in [``start``, ``end``] is an
        index event (one row per worker and date; several such visits on one day give one
        row). ``"landmark"``: the calendar ``date`` for every worker of the extract.
        ``"first_visit"``: each worker's first visit of ``visit_types`` (any type if empty)
        dated in [``start``, ``end``], chosen *before* eligibility is applied.
    visit_types : tuple of str
        Visit types (``docs/contract.md``) for ``"visit"`` and ``"first_visit"``.
    start, end : datetime.date, optional
        Period of the index events (inclusive).
    date : datetime.date, optional
        The landmark date (``kind="landmark"`` only).
    """

    kind: Literal["visit", "landmark", "first_visit"] = "visit"
    visit_types: tuple[str, ...] = ()
    start: dt.date | None = None
    end: dt.date | None = None
    date: dt.date | None = None

    def __post_init__(self) -> None:
        _check_choice("index.kind", self.kind, ("visit", "landmark", "first_visit"))
        _check_codes("index.visit_types", self.visit_types, VISIT_TYPES)
        if self.kind == "visit" and not self.visit_types:
            raise ValueError(
                "index.visit_types must name at least one visit type when index.kind is "
                "'visit'; got an empty list. E.g. visit_types: [MI_CARRIERE]."
            )
        if self.kind == "landmark" and self.date is None:
            raise ValueError("index.date is required when index.kind is 'landmark'; got none.")
        if self.kind == "landmark" and (self.visit_types or self.start or self.end):
            raise ValueError(
                "index.visit_types, index.start and index.end are not used when index.kind is "
                "'landmark' (every worker is indexed on index.date); remove them."
            )
        if self.kind != "landmark" and self.date is not None:
            raise ValueError(
                f"index.date is only used when index.kind is 'landmark'; got date={self.date} "
                f"with kind={self.kind!r}. Use start/end to restrict the period."
            )
        if self.start and self.end and self.start > self.end:
            raise ValueError(
                f"index.start ({self.start}) must not be after index.end ({self.end})."
            )


@dataclasses.dataclass(frozen=True)
class Eligibility:
    """Who is eligible at the index date (each rule is one step of the flow table).

    Parameters
    ----------
    age_min, age_max : int, optional
        Inclusive bounds on age at index, computed as ``year(index_date) - birth_year``.
    followup_types : tuple of str, optional
        Keep only workers whose employment active at the index date has one of these
        follow-up types (``SIG``, ``SIA``, ``SIR``). ``None``: any.
    spsti : tuple of str, optional
        Keep only these SPSTI. ``None``: all.
    require_employment : bool, default=True
        Exclude index events without an employment active on the index date
        (``start_date <= index_date <= end_date``, open-ended if ``end_date`` is missing).
    exclude_prior_outcome : bool, default=True
        Exclude index events of workers who already had the outcome (an avis
        d'inaptitude) before the index date: they are no longer at risk of a first one.
    """

    age_min: int | None = None
    age_max: int | None = None
    followup_types: tuple[str, ...] | None = None
    spsti: tuple[str, ...] | None = None
    require_employment: bool = True
    exclude_prior_outcome: bool = True

    def __post_init__(self) -> None:
        if self.followup_types is not None:
            _check_codes("eligibility.followup_types", self.followup_types, FOLLOWUP_TYPES)
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise ValueError(
                f"eligibility.age_min ({self.age_min}) must not exceed eligibility.age_max "
                f"({self.age_max})."
            )


@dataclasses.dataclass(frozen=True)
class OutcomeEvent:
    """The event of interest (cause 1).

    Parameters
    ----------
    conclusions : tuple of str, default=("INAPTE", "INAPTE_DISPENSE")
        Visit conclusions that are the outcome (avis d'inaptitude), dated by the visit.
    composite_dismissal : bool, default=False
        Also count a dismissal for inaptitude: an exit with reason
        ``LICENCIEMENT_INAPTITUDE`` or an employment ending with that ``end_reason``.
    composite_unexplained_exit : bool, default=False
        Also count an exit from follow-up not explained by a change of SPSTI (exit reason
        ``FIN_SUIVI``); otherwise such exits censor follow-up.
    on_index_date : {"exclude", "event"}, default="exclude"
        What to do when the outcome is dated on the index date itself (typically the
        conclusion of the index visit). ``"exclude"``: the index event is excluded (the
        outcome was already decided when the prediction is made; flow-table reason
        ``outcome on the index date``). ``"event"``: it is an event at time 0.
    """

    conclusions: tuple[str, ...] = ("INAPTE", "INAPTE_DISPENSE")
    composite_dismissal: bool = False
    composite_unexplained_exit: bool = False
    on_index_date: Literal["exclude", "event"] = "exclude"

    def __post_init__(self) -> None:
        _check_codes("outcome.conclusions", self.conclusions, CONCLUSIONS)
        if not self.conclusions:
            raise ValueError("outcome.conclusions must name at least one conclusion.")
        _check_choice("outcome.on_index_date", self.on_index_date, ("exclude", "event"))


@dataclasses.dataclass(frozen=True)
class Horizon:
    """Prediction horizon, in months (converted by :func:`months_to_days`) or days.

    Parameters
    ----------
    months : float, optional
        Horizon in months. Exactly one of ``months`` and ``days`` must be given.
    days : int, optional
        Horizon in days.
    binary_censored : {"exclude", "nonevent"}, default="exclude"
        Rule for the :class:`~irdp.outcomes.Binary` outcome at the horizon for rows censored
        before it (status unknown): excluded from the binary outcome (the default, unbiased
        under independent censoring only if censoring is rare) or counted as non-events
        (biased downwards; a warning says how many).
    """

    months: float | None = None
    days: int | None = None
    binary_censored: Literal["exclude", "nonevent"] = "exclude"

    def __post_init__(self) -> None:
        if (self.months is None) == (self.days is None):
            raise ValueError(
                f"horizon needs exactly one of 'months' and 'days'; got months={self.months}, "
                f"days={self.days}."
            )
        value = self.months if self.months is not None else self.days
        if not value or value <= 0:
            raise ValueError(f"horizon must be positive; got {value}.")
        _check_choice("horizon.binary_censored", self.binary_censored, ("exclude", "nonevent"))

    @property
    def in_days(self) -> int:
        """Horizon in days (the cohort's time unit)."""
        return int(self.days) if self.days is not None else months_to_days(self.months or 0)


@dataclasses.dataclass(frozen=True)
class CohortDefinition:
    """A cohort of (worker, index date) rows with their outcome.

    Parameters
    ----------
    name : str
        Short identifier (used in file names and reports).
    index : IndexEvent
        The index event.
    extract_end : datetime.date
        Last date covered by the extract: follow-up is censored there and records dated
        after it are ignored. Stated explicitly because the last record is not the end of
        the observation window.
    eligibility : Eligibility
    outcome : OutcomeEvent
    competing : tuple of str, default=("RETRAITE", "DECES", "AUTRE_PERTE_EMPLOI")
        Exit reasons that are competing events (causes 2 retirement, 3 death, 4 other job
        loss, see :data:`CAUSES`). Exits not listed, a change of SPSTI and the end of the
        extract censor follow-up (cause 0).
    horizon : Horizon, default=Horizon(months=12)
    description : str, optional

    Examples
    --------
    >>> d = CohortDefinition.from_dict({
    ...     "name": "mi_carriere_12m",
    ...     "index": {"kind": "visit", "visit_types": ["MI_CARRIERE"]},
    ...     "extract_end": "2024-12-31",
    ...     "horizon": {"months": 12},
    ... })
    >>> d.horizon.in_days, d.outcome.conclusions
    (365, ('INAPTE', 'INAPTE_DISPENSE'))
    """

    name: str
    index: IndexEvent
    extract_end: dt.date
    eligibility: Eligibility = dataclasses.field(default_factory=Eligibility)
    outcome: OutcomeEvent = dataclasses.field(default_factory=OutcomeEvent)
    competing: tuple[str, ...] = ("RETRAITE", "DECES", "AUTRE_PERTE_EMPLOI")
    horizon: Horizon = dataclasses.field(default_factory=lambda: Horizon(months=12))
    description: str = ""

    def __post_init__(self) -> None:
        _check_codes("competing", self.competing, tuple(COMPETING_CAUSE))
        if self.index.end is not None and self.index.end > self.extract_end:
            raise ValueError(
                f"index.end ({self.index.end}) is after extract_end ({self.extract_end}); index "
                "events after the end of the extract have no follow-up."
            )

    @property
    def horizon_days(self) -> int:
        """The horizon in days."""
        return self.horizon.in_days

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CohortDefinition:
        """Build from a (YAML-like) mapping; unknown keys and wrong types are refused."""
        return _from_mapping(cls, data, "")

    @classmethod
    def from_yaml(cls, path: str | Path) -> CohortDefinition:
        """Read a definition from a YAML file (structure as in :meth:`to_dict`)."""
        import yaml

        path = Path(path)
        with path.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
        if not isinstance(data, Mapping):
            raise TypeError(
                f"the cohort file {path} must hold a YAML mapping at top level; got "
                f"{type(data).__name__}."
            )
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping (dates as ISO strings, tuples as lists) that round-trips."""
        return _to_plain(dataclasses.asdict(self))

    def to_yaml(self, path: str | Path | None = None) -> str:
        """Return (and optionally write) the YAML form of the definition."""
        import yaml

        text = yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text


# --------------------------------------------------------------------------- helpers


def _check_choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}; got {value!r}.")


def _check_codes(name: str, values: tuple[str, ...], allowed: tuple[str, ...]) -> None:
    bad = [v for v in values if v not in allowed]
    if bad:
        raise ValueError(
            f"{name} must only hold codes of docs/contract.md {list(allowed)}; got unknown "
            f"{bad}."
        )


def _to_plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _to_plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_to_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _strip_optional(tp: Any) -> tuple[Any, bool]:
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return rest[0], True
    return tp, False


def _type_error(key: str, expected: str, value: Any) -> TypeError:
    return TypeError(f"{key} must be {expected}; got {value!r} ({type(value).__name__}).")


def _coerce(tp: Any, value: Any, key: str) -> Any:  # noqa: C901 - one branch per kind
    tp, optional = _strip_optional(tp)
    if value is None:
        if optional:
            return None
        raise _type_error(key, "given (it may not be null)", value)
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, Mapping):
            raise _type_error(key, "a mapping", value)
        return _from_mapping(tp, value, key + ".")
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise ValueError(f"{key} must be one of {list(typing.get_args(tp))}; got {value!r}.")
        return value
    if origin is tuple:
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise _type_error(key, "a list of strings", value)
        if not all(isinstance(v, str) for v in value):
            raise _type_error(key, "a list of strings", value)
        return tuple(value)
    if tp is dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"{key} must be an ISO date YYYY-MM-DD; got {value!r}.") from None
        raise _type_error(key, "a date (YYYY-MM-DD)", value)
    if tp is bool:
        if not isinstance(value, bool):
            raise _type_error(key, "true or false", value)
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _type_error(key, "an integer", value)
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _type_error(key, "a number", value)
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise _type_error(key, "a string", value)
        return value
    raise TypeError(f"unsupported field type {tp!r} for {key}")  # pragma: no cover


def _from_mapping(cls: Any, data: Mapping[str, Any], prefix: str) -> Any:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [k for k in data if k not in fields]
    if unknown:
        raise ValueError(
            f"unknown key(s) {[prefix + str(k) for k in unknown]} in the cohort definition; "
            f"allowed keys{' under ' + prefix[:-1] if prefix else ''}: {sorted(fields)}."
        )
    kwargs = {}
    for name, f in fields.items():
        if name in data:
            kwargs[name] = _coerce(hints[name], data[name], prefix + name)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ValueError(f"the cohort definition needs the key {prefix + name!r}.")
    return cls(**kwargs)
