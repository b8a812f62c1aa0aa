"""The feature registry: every feature irdp can build, with its documentation.

A :class:`Feature` is metadata only (name, family, labels, sources, type, unit, look-back
window, missing-data rule). Features are computed by :class:`FeatureGroup` objects: one
declarative DuckDB SQL query per group that returns one row per cohort row (``row_id``)
and one column per feature of the group. Groups read the typed views of the extract
(``{p}visit``, ``{p}worker``...) and the cohort table ``{p}cohort`` (``row_id``,
``worker_id``, ``index_date``, ``index_visit_id``).

Timing rules (enforced by the SQL of each group and proved by the leak-proof property
test): a feature only reads records dated strictly before the index date, except where its
``lookback`` says "at index included" — information available at the start of the index
visit (its type, the absence that led to a reprise visit, questionnaires filled in at it).
The conclusion and diagnoses of the index visit are never used.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Literal

__all__ = [
    "FAMILIES",
    "Feature",
    "FeatureGroup",
    "REGISTRY",
    "GROUPS",
    "register_group",
    "get_feature",
    "W12",
    "W24",
    "W5Y",
]

#: HAS 2019 risk-factor families, plus a data-completeness family (not a risk factor).
FAMILIES: dict[str, str] = {
    "health": "Health / medical (santé / médical)",
    "individual": "Individual / socio-demographic (individuel / socio-démographique)",
    "professional": "Professional (professionnel : emploi, conditions de travail)",
    "organisational": "Organisational / care pathway (organisationnel / parcours)",
    "completeness": "Data completeness (complétude des données)",
}

#: Look-back windows in days (months converted by floor(months * 365.25 / 12)).
W12 = 365
W24 = 730
W5Y = 1826

DType = Literal["int", "float", "bool", "category"]


@dataclasses.dataclass(frozen=True)
class Feature:
    """Documentation of one feature.

    Parameters
    ----------
    name : str
        Column name in the feature table (snake_case, unique).
    family : str
        Key of :data:`FAMILIES`.
    label_fr, label_en : str
        Short labels.
    description : str
        Exact definition (English), including edge cases.
    sources : tuple of str
        Extract tables read.
    thesauri : tuple of str
        Code systems used (e.g. ``CIM-10``, ``TEP``, ``NAF``).
    dtype : {"int", "float", "bool", "category"}
    unit : str
        Unit (``"years"``, ``"days"``, ``"count"``, ``"points"``, ``""``...).
    lookback : str
        Look-back window, e.g. ``"24 months before index"``, ``"ever before index"``,
        ``"at index"``, ``"at index included"``, ``"static"``.
    missing : str
        When the feature is missing; ``"never (zero is the truth)"`` for counts.
    group : str
        Name of the :class:`FeatureGroup` that computes it.
    levels : tuple of str, optional
        Categories of a categorical feature, in order.
    """

    name: str
    family: str
    label_fr: str
    label_en: str
    description: str
    sources: tuple[str, ...]
    thesauri: tuple[str, ...]
    dtype: DType
    unit: str
    lookback: str
    missing: str
    group: str = ""
    levels: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {list(FAMILIES)}; got {self.family!r}.")
        if self.dtype not in ("int", "float", "bool", "category"):
            raise ValueError(f"dtype must be int, float, bool or category; got {self.dtype!r}.")


@dataclasses.dataclass(frozen=True)
class FeatureGroup:
    """Features computed together by one SQL query.

    Parameters
    ----------
    name : str
    sql : callable
        ``sql(p) -> str``: the query, given the prefix ``p`` of the typed views. It must
        return exactly one row per ``{p}cohort.row_id`` with a ``row_id`` column and one
        column per feature.
    features : tuple of Feature
    """

    name: str
    sql: Callable[[str], str]
    features: tuple[Feature, ...]


#: All features by name, in registration order.
REGISTRY: dict[str, Feature] = {}
#: All groups by name.
GROUPS: dict[str, FeatureGroup] = {}


def register_group(name: str, sql: Callable[[str], str], features: list[Feature]) -> FeatureGroup:
    """Register a group and its features (names must be new)."""
    if name in GROUPS:
        raise ValueError(f"feature group {name!r} is already registered.")
    feats = tuple(dataclasses.replace(f, group=name) for f in features)
    for f in feats:
        if f.name in REGISTRY:
            raise ValueError(f"feature {f.name!r} is already registered.")
    group = FeatureGroup(name=name, sql=sql, features=feats)
    GROUPS[name] = group
    for f in feats:
        REGISTRY[f.name] = f
    return group


def get_feature(name: str) -> Feature:
    """Return the registered feature ``name`` (error lists close names)."""
    try:
        return REGISTRY[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, list(REGISTRY), n=3)
        hint = f" Did you mean {close}?" if close else ""
        raise KeyError(f"no feature named {name!r} in the registry.{hint}") from None
