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

from irdp.exceptions import CohortDefinitionError

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
    "definition_problems",
    "read_definition_file",
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
        _raise_if(_index_rules(self))


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
        _raise_if(_eligibility_rules(self))


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
        _raise_if(_outcome_rules(self))


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
        _raise_if(_horizon_rules(self))

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
        _raise_if(_definition_rules(self))

    @property
    def horizon_days(self) -> int:
        """The horizon in days."""
        return self.horizon.in_days

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<cohort>") -> CohortDefinition:
        """Build from a (YAML-like) mapping, after checking all of it.

        Raises
        ------
        CohortDefinitionError
            Every problem at once (unknown key with "did you mean", wrong type, unknown code,
            inconsistent dates, ages or horizon), each with its key path; see
            :func:`definition_problems`.
        """
        problems = definition_problems(data)
        if problems:
            raise CohortDefinitionError(source, problems)
        return _build(cls, data)

    @classmethod
    def from_yaml(cls, path: str | Path) -> CohortDefinition:
        """Read a definition from a YAML file (structure as in :meth:`to_dict`).

        Raises
        ------
        CohortDefinitionError
            Missing file, invalid YAML, or any problem of :meth:`from_dict`.
        """
        path = Path(path)
        return cls.from_dict(read_definition_file(path), source=str(path))

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


# ------------------------------------------------------------------------- reading a file


def read_definition_file(path: str | Path) -> dict[str, Any]:
    """The mapping held by a cohort-definition YAML file (not yet checked).

    Raises
    ------
    CohortDefinitionError
        The file is missing or unreadable, is not valid YAML, or does not hold a mapping.
    """
    import yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise CohortDefinitionError(str(path), [
            f"<file>: cannot be read ({type(err).__name__}: {err.strerror or err}); check "
            "the path of the cohort definition."]) from err
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise CohortDefinitionError(str(path), [f"<file>: invalid YAML: {err}"]) from err
    if not isinstance(data, Mapping):
        raise CohortDefinitionError(str(path), [
            f"<top>: the file must hold a mapping of keys (name, index, extract_end, ...); "
            f"found {_describe(data)}."])
    return dict(data)


# --------------------------------------------------------------------------- the rules
# One set of rules serves the dataclasses (``__post_init__``, first problem raised) and
# :func:`definition_problems` (every problem listed). Each rule returns (key, message) pairs.

Problem = tuple[str, str]


def _raise_if(problems: list[Problem]) -> None:
    if problems:
        key, message = problems[0]
        raise ValueError(f"{key}: {message}")


class _Unusable:
    """A field whose value could not be converted (already reported): rules skip it."""

    def __repr__(self) -> str:
        return "<unusable>"


_BAD: Any = _Unusable()


def _ok(*values: Any) -> bool:
    return all(v is not _BAD for v in values)


def _index_rules(ix: Any) -> list[Problem]:
    out: list[Problem] = []
    out += _choice_rule("index.kind", ix.kind, ("visit", "landmark", "first_visit"))
    if _ok(ix.visit_types):
        out += _codes_rule("index.visit_types", ix.visit_types, VISIT_TYPES)
        if ix.kind == "visit" and not ix.visit_types:
            out.append(("index.visit_types", "must name at least one visit type when "
                        "index.kind is 'visit'; found an empty list. E.g. visit_types: "
                        "[MI_CARRIERE]."))
    if ix.kind == "landmark" and ix.date is None:
        out.append(("index.date", "is required when index.kind is 'landmark'; found none."))
    if ix.kind == "landmark" and (ix.visit_types or ix.start or ix.end):
        out.append(("index", "visit_types, start and end are not used when index.kind is "
                    "'landmark' (every worker is indexed on index.date); remove them."))
    if ix.kind != "landmark" and ix.date is not None and _ok(ix.date):
        out.append(("index.date", f"is only used when index.kind is 'landmark'; found "
                    f"date {ix.date} with kind {ix.kind!r}. Use start/end to restrict the "
                    "period."))
    if _ok(ix.start, ix.end) and ix.start and ix.end and ix.start > ix.end:
        out.append(("index.start", f"({ix.start}) must not be after index.end ({ix.end}); "
                    "swap them."))
    return out


def _eligibility_rules(el: Any) -> list[Problem]:
    out: list[Problem] = []
    if el.followup_types is not None and _ok(el.followup_types):
        out += _codes_rule("eligibility.followup_types", el.followup_types, FOLLOWUP_TYPES)
    ages = [a if _ok(a) else None for a in (el.age_min, el.age_max)]
    for key, value in zip(("age_min", "age_max"), ages, strict=True):
        if value is not None and not 0 <= value <= 120:
            out.append((f"eligibility.{key}", f"must be an age in years between 0 and 120; "
                        f"found {value}."))
    if ages[0] is not None and ages[1] is not None and ages[0] > ages[1]:
        out.append(("eligibility.age_min", f"({ages[0]}) must not exceed "
                    f"eligibility.age_max ({ages[1]})."))
    return out


def _outcome_rules(oc: Any) -> list[Problem]:
    out: list[Problem] = []
    if _ok(oc.conclusions):
        out += _codes_rule("outcome.conclusions", oc.conclusions, CONCLUSIONS)
        if not oc.conclusions:
            out.append(("outcome.conclusions", "must name at least one conclusion, e.g. "
                        "[INAPTE, INAPTE_DISPENSE]."))
    return out + _choice_rule("outcome.on_index_date", oc.on_index_date, ("exclude", "event"))


def _horizon_rules(h: Any) -> list[Problem]:
    out: list[Problem] = []
    if (h.months is None) == (h.days is None):
        found = "neither" if h.months is None else "both"
        out.append(("horizon", f"needs exactly one of 'months' and 'days'; found {found}. "
                    "E.g. horizon: {months: 12}."))
    for key in ("months", "days"):
        value = getattr(h, key)
        if value is not None and _ok(value) and not value > 0:
            out.append((f"horizon.{key}", f"must be positive; found {value}."))
    return out + _choice_rule("horizon.binary_censored", h.binary_censored,
                              ("exclude", "nonevent"))


def _definition_rules(d: Any) -> list[Problem]:
    out: list[Problem] = []
    if _ok(d.competing):
        out += _codes_rule("competing", d.competing, tuple(COMPETING_CAUSE))
    ix, end = d.index, d.extract_end
    if ix is None or end is None or not _ok(ix, end):
        return out
    if ix.end is not None and _ok(ix.end) and ix.end > end:
        out.append(("index.end", f"({ix.end}) is after extract_end ({end}); index events "
                    "after the end of the extract have no follow-up."))
    if ix.start is not None and _ok(ix.start) and ix.start >= end:
        out.append(("extract_end", f"({end}) is not after index.start ({ix.start}): the "
                    "index window lies after the end of the extract, so no index event has "
                    "follow-up. Check both dates."))
    if ix.date is not None and _ok(ix.date) and ix.date >= end:
        out.append(("extract_end", f"({end}) is not after the landmark index.date "
                    f"({ix.date}); nobody would be followed."))
    return out


def _choice_rule(key: str, value: Any, allowed: tuple[str, ...]) -> list[Problem]:
    if value in allowed:
        return []
    hint = _did_you_mean(value, allowed)
    return [(key, f"must be one of {list(allowed)}; found {value!r}.{hint}")]


#: English names users type for the French codes (for "did you mean").
_ENGLISH = {"RETIREMENT": "RETRAITE", "DEATH": "DECES", "OTHER_JOB_LOSS": "AUTRE_PERTE_EMPLOI",
            "DISMISSAL": "LICENCIEMENT_INAPTITUDE", "INAPTITUDE": "INAPTE", "UNFIT": "INAPTE",
            "FIT": "APTE", "RETURN_TO_WORK": "REPRISE", "PRE_RETURN": "PREREPRISE"}


def _codes_rule(key: str, values: Any, allowed: tuple[str, ...]) -> list[Problem]:
    out: list[Problem] = []
    for i, v in enumerate(values):
        if v not in allowed:
            out.append((f"{key}[{i}]", f"unknown code {v!r}.{_did_you_mean(v, allowed)} "
                        f"Allowed (docs/contract.md): {', '.join(allowed)}."))
    return out


def _did_you_mean(value: Any, allowed: Any) -> str:
    import difflib

    allowed = [str(a) for a in allowed]
    guess = _ENGLISH.get(str(value).upper())
    if guess not in allowed:
        close = difflib.get_close_matches(str(value), allowed, n=1)
        guess = close[0] if close else None
    return f" Did you mean '{guess}'?" if guess else ""


# ------------------------------------------------------------------- checking a mapping


def definition_problems(
    data: Any, *, prefix: str = "", require_extract_end: bool = True
) -> list[str]:
    """Every problem of a cohort-definition mapping, each as ``"<key path>: <message>"``.

    Parameters
    ----------
    data : mapping
        The definition (as read from YAML).
    prefix : str, default=""
        Prepended to every key path (``"cohort."`` inside an experiment file).
    require_extract_end : bool, default=True
        Whether ``extract_end`` must be given (an experiment may take it from the extract).

    Returns
    -------
    list of str
        Empty when the mapping builds a valid :class:`CohortDefinition`.

    Examples
    --------
    >>> definition_problems({"name": "x", "index": {"visit_types": ["REPRISES"]},
    ...                      "extract_end": "2024-12-31", "horizn": {"months": 6}})
    ... # doctest: +NORMALIZE_WHITESPACE
    ["horizn: unknown key. Did you mean 'horizon'? Allowed keys: competing, description,
      eligibility, extract_end, horizon, index, name, outcome.",
     "index.visit_types[0]: unknown code 'REPRISES'. Did you mean 'REPRISE'? Allowed
      (docs/contract.md): VIP_INIT, VIP_PER, SIR_EMB, SIR_PER, SIR_INTER, PREREPRISE, REPRISE,
      MI_CARRIERE, FIN_CARRIERE, DEMANDE_SAL, DEMANDE_EMP, DEMANDE_MT."]
    """
    walker = _Walker()
    if not isinstance(data, Mapping):
        walker.fail("", f"must be a mapping of keys; found {_describe(data)}.")
    else:
        skip = () if require_extract_end or "extract_end" in data else ("extract_end",)
        walker.block(CohortDefinition, data, "", skip=skip)
    return [f"{prefix}{k}: {m}" if k else f"{prefix.rstrip('.') or '<top>'}: {m}"
            for k, m in walker.problems]


class _Walker:
    """Converts a nested mapping field by field, collecting every problem (private)."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, key: str, message: str) -> None:
        self.problems.append((key, message))

    def block(self, cls: Any, data: Mapping[str, Any], key: str,
              skip: tuple[str, ...] = ()) -> Any:
        """Values of one dataclass as a namespace (unusable fields are ``_BAD``)."""
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls)}
        for name in data:
            if name not in fields:
                self.fail(_join(key, name), f"unknown key.{_did_you_mean(name, fields)} "
                          f"Allowed keys: {', '.join(sorted(fields))}.")
        values: dict[str, Any] = {}
        for name, f in fields.items():
            if name in data:
                values[name] = self.convert(hints[name], data[name], _join(key, name))
            elif f.default is not dataclasses.MISSING:
                values[name] = f.default
            elif f.default_factory is not dataclasses.MISSING:
                values[name] = f.default_factory()
            elif name in skip:
                values[name] = None
            else:
                self.fail(_join(key, name), "required key is missing; add it.")
                values[name] = _BAD
        ns = types.SimpleNamespace(**values)
        for k, m in _RULES[cls](ns):  # rule keys are paths from the definition's root
            self.fail(k, m)
        return ns

    def convert(self, tp: Any, value: Any, key: str) -> Any:  # noqa: C901 - one branch per kind
        tp, optional = _strip_optional(tp)
        if value is None:
            if not optional:
                self.fail(key, "may not be null; give a value or remove the key.")
                return _BAD
            return None
        origin = typing.get_origin(tp)
        if dataclasses.is_dataclass(tp):
            if not isinstance(value, Mapping):
                self.fail(key, f"must be a mapping; found {_describe(value)}.")
                return _BAD
            return self.block(tp, value, key)
        if origin is Literal:
            return value  # checked by the block's rules, with "did you mean"
        if origin is tuple:
            if isinstance(value, str) or not isinstance(value, list | tuple) or not all(
                    isinstance(v, str) for v in value):
                self.fail(key, f"must be a list of strings; found {_describe(value)}.")
                return _BAD
            return tuple(value)
        if tp is dt.date:
            return self.date(value, key)
        expected = {bool: "true or false", int: "an integer", float: "a number",
                    str: "a string"}[tp]
        valid = {bool: isinstance(value, bool),
                 int: isinstance(value, int) and not isinstance(value, bool),
                 float: isinstance(value, int | float) and not isinstance(value, bool),
                 str: isinstance(value, str)}[tp]
        if not valid or (tp is float and not math.isfinite(value)):
            self.fail(key, f"must be {expected}; found {_describe(value)}.")
            return _BAD
        return float(value) if tp is float else value

    def date(self, value: Any, key: str) -> Any:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(key, f"must be a date YYYY-MM-DD; found {_describe(value)}.")
        return _BAD


def _build(cls: Any, data: Mapping[str, Any]) -> Any:
    """Construct the dataclasses of a mapping already checked by :func:`definition_problems`."""
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        tp, _ = _strip_optional(hints[f.name])
        value = data[f.name]
        if value is None:
            kwargs[f.name] = None
        elif dataclasses.is_dataclass(tp):
            kwargs[f.name] = _build(tp, value)
        elif typing.get_origin(tp) is tuple:
            kwargs[f.name] = tuple(value)
        elif tp is dt.date:
            kwargs[f.name] = _Walker().date(value, f.name)
        elif tp is float:
            kwargs[f.name] = float(value)
        else:
            kwargs[f.name] = value
    return cls(**kwargs)


_RULES: dict[Any, Any] = {
    IndexEvent: _index_rules,
    Eligibility: _eligibility_rules,
    OutcomeEvent: _outcome_rules,
    Horizon: _horizon_rules,
    CohortDefinition: _definition_rules,
}


# --------------------------------------------------------------------------- helpers


def _join(key: str, name: Any) -> str:
    return f"{key}.{name}" if key else str(name)


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


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
