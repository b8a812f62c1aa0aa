"""The extract contract, read from ``data_schemas/*.schema.json`` (Frictionless Table Schema).

:func:`load_schemas` reads the language-neutral files into :class:`TableSchema` objects that
the validator (:mod:`irdp.io.read`) uses; :func:`render_contract` renders the Markdown of
``docs/contract.md`` from the same files (a golden test keeps both in sync).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["Field", "TableSchema", "load_schemas", "schema_dir", "render_contract",
           "SCHEMA_VERSION"]


#: DuckDB type of each Frictionless field type used by the contract.
SQL_TYPES: dict[str, str] = {"string": "VARCHAR", "integer": "INTEGER", "number": "DOUBLE",
                             "boolean": "BOOLEAN", "date": "DATE"}


@dataclass(frozen=True)
class Field:
    """One column of the contract."""

    name: str
    type: str
    description: str = ""
    required: bool = False
    unique: bool = False
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    code_system: dict[str, Any] | None = None
    checks: tuple[str, ...] = ()
    items: dict[str, dict[str, list[float]]] | None = None
    identifier: dict[str, Any] | None = None

    @property
    def is_key(self) -> bool:
        """A pseudonymous key (``x-identifier`` kind ``key``): hashed by ``pseudonymise``,
        masked in every message when the caller pseudonymises."""
        return self.identifier is not None and self.identifier.get("kind") == "key"

    @property
    def numeric_allowed(self) -> bool:
        """Whether the contract accepts purely numeric values in this identifier column."""
        return self.identifier is not None and bool(self.identifier.get("numeric", False))

    @property
    def sql_type(self) -> str:
        """DuckDB type of the column's values (``string`` -> ``VARCHAR``...)."""
        return SQL_TYPES[self.type]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Field:
        """Build from a Frictionless field descriptor."""
        c = d.get("constraints", {})
        return cls(
            name=d["name"], type=d["type"], description=d.get("description", ""),
            required=bool(c.get("required", False)), unique=bool(c.get("unique", False)),
            enum=tuple(c["enum"]) if "enum" in c else None, pattern=c.get("pattern"),
            minimum=c.get("minimum"), maximum=c.get("maximum"),
            code_system=d.get("x-code-system"), checks=tuple(d.get("x-checks", ())),
            items=d.get("x-items"), identifier=d.get("x-identifier"),
        )


@dataclass(frozen=True)
class TableSchema:
    """One table of the contract."""

    name: str
    title: str
    description: str
    version: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = ()
    order: int = 0
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def names(self) -> list[str]:
        """Column names in contract order."""
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        """The field called ``name``."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"table {self.name!r} has no column {name!r}; columns: {self.names}.")


def schema_dir() -> Path:
    """Folder of the schema files.

    There is one copy of the contract, the repository's ``data_schemas/``; the package reaches
    it as ``irdp/_schemas``, a symbolic link to that folder in a source tree, and a folder
    built from the same files in an installed wheel. Where a checkout does not support
    symbolic links (``irdp/_schemas`` is then a small text file), the repository folder is used.
    """
    packaged = Path(str(resources.files("irdp") / "_schemas"))
    if packaged.is_dir() and any(packaged.glob("*.schema.json")):
        return packaged
    repo = Path(__file__).resolve().parents[2] / "data_schemas"
    if repo.is_dir() and any(repo.glob("*.schema.json")):
        return repo
    raise FileNotFoundError(
        f"the extract contract was not found: neither {packaged} nor {repo} holds "
        "*.schema.json files. Reinstall irdp (its wheel ships the schemas).")


def load_schemas(directory: str | Path | None = None) -> dict[str, TableSchema]:
    """Read every ``*.schema.json`` of ``directory`` (default :func:`schema_dir`).

    Returns
    -------
    dict
        Table name -> :class:`TableSchema`, in contract order.

    Examples
    --------
    >>> s = load_schemas()
    >>> list(s)[:3], s["visit"].primary_key
    (['worker', 'company', 'employment'], ('visit_id',))
    """
    d = Path(directory) if directory is not None else schema_dir()
    out = []
    for p in sorted(d.glob("*.schema.json")):
        raw = json.loads(p.read_text(encoding="utf-8"))
        fks = tuple(
            (tuple(fk["fields"]), fk["reference"]["resource"], tuple(fk["reference"]["fields"]))
            for fk in raw.get("foreignKeys", [])
        )
        pk = raw.get("primaryKey", [])
        out.append(TableSchema(
            name=raw["name"], title=raw.get("title", ""), description=raw.get("description", ""),
            version=raw["version"], fields=tuple(Field.from_json(f) for f in raw["fields"]),
            primary_key=tuple([pk] if isinstance(pk, str) else pk), foreign_keys=fks,
            order=int(raw.get("x-order", 0)), raw=raw,
        ))
    if not out:
        raise FileNotFoundError(f"no *.schema.json file in {d}.")
    versions = {s.version for s in out}
    if len(versions) != 1:
        raise ValueError(
            f"schema files of {d} disagree on the contract version: {sorted(versions)}."
        )
    return {s.name: s for s in sorted(out, key=lambda s: (s.order, s.name))}


SCHEMA_VERSION: str = next(iter(load_schemas().values())).version


_CHECK_TEXT = {"not_future": "not in the future", "not_before_birth": "not before birth",
               "not_after_exit": "not after the worker's exit",
               "not_after_employment_end": "not after the end of its employment"}


def _constraints(f: Field) -> str:
    parts = []
    if f.unique:
        parts.append("unique")
    if f.enum is not None and f.code_system is None:
        parts.append("one of " + ", ".join(f"`{e}`" for e in f.enum))
    if f.pattern is not None and f.code_system is None:
        parts.append(f"pattern `{f.pattern}`")
    if f.minimum is not None or f.maximum is not None:
        parts.append(f"range [{f.minimum if f.minimum is not None else '-inf'}, "
                     f"{f.maximum if f.maximum is not None else 'inf'}]")
    if f.code_system is not None:
        col = f.code_system["column"]
        if "patterns" in f.code_system:
            per = "; ".join(f"`{k}`: `{v}`" for k, v in f.code_system["patterns"].items())
        else:
            per = "; ".join(f"`{k}`: " + ", ".join(f"`{x}`" for x in v)
                            for k, v in f.code_system["enums"].items())
        parts.append(f"by `{col}`: {per}")
    for c in f.checks:
        parts.append(_CHECK_TEXT.get(c, c.replace("not_before:", "not before ")))
    if f.identifier is not None:
        kind = f.identifier.get("kind")
        parts.append(("pseudonymous key" if kind == "key" else "service code")
                     + ("; purely numeric values allowed" if f.numeric_allowed
                        else "; purely numeric values refused")
                     + "; NIR/INS-shaped values refused")
    if f.items is not None:
        parts.append("items and ranges: " + "; ".join(
            f"`{inst}` " + ", ".join(f"{k}: {lo:g}-{hi:g}" for k, (lo, hi) in its.items())
            for inst, its in f.items.items()))
    return "; ".join(parts)


_VALUE_TEXT = [
    "Values follow the same rules in CSV and Parquet. An `integer` is a whole number: in CSV",
    "decimal digits (`12`, `12.0`), in Parquet an integer column or a floating-point column",
    "holding whole values; `12.5`, `0x1F`, `1e3`, `NaN` and infinities are refused, never",
    "rounded. A `number` is finite (`.` as decimal separator, optional exponent; no `NaN`).",
    "A `boolean` is `true`/`false`, `t`/`f`, `1`/`0` or `yes`/`no` (any case) or a Parquet",
    "boolean or 0/1 integer column. A `date` is an ISO `YYYY-MM-DD` text or a Parquet DATE",
    "column. An empty CSV cell and a Parquet null are missing values; a column holding no",
    "value at all may have any Parquet type. Column names are compared without case: two",
    "columns whose names differ only by case are refused.",
]

_IDENTIFIER_TEXT = [
    "Identifier columns (`x-identifier`) hold pseudonymous keys (worker, company, employment,",
    "visit, exposure) or service codes (`spsti_id`). Purely numeric keys are allowed: the keys",
    "of SPSTI software are often sequence numbers, and they are pseudonyms as long as they are",
    "not a person's number. A value shaped like a NIR/INS (13 or 15 characters once spaces, dots",
    "and dashes are removed; first digit 1, 2, 7 or 8, then year, month, département, six digits",
    "and the optional key) is never a key and is refused in every identifier column; with",
    "`read_extract(..., pseudonymise=key)` the keys (not the service codes) are hashed instead,",
    "and no message shows them. `Extract.metadata[\"numeric_identifiers\"]` lists the identifier",
    "columns that hold numeric values, so that later steps know it from the start.",
]


def render_contract(schemas: dict[str, TableSchema] | None = None) -> str:
    """Render the Markdown of ``docs/contract.md`` from the schema files.

    Examples
    --------
    >>> render_contract().startswith("# DMST extract contract")
    True
    """
    schemas = load_schemas() if schemas is None else schemas
    version = next(iter(schemas.values())).version
    lines = [
        f"# DMST extract contract (v{version})",
        "",
        "<!-- Generated from data_schemas/*.schema.json by irdp.io.render_contract; do not edit."
        " A test checks that this file equals the rendering. -->",
        "",
        "An irdp extract is a folder with one file per table (`<table>.parquet` or",
        "`<table>.csv`, UTF-8, comma-separated, header row, ISO dates `YYYY-MM-DD`). The",
        "machine-readable contract is `data_schemas/*.schema.json` (Frictionless Table Schema,",
        "with the irdp extension properties described in `data_schemas/CHANGELOG.md`);",
        "`irdp.io.read_extract` enforces it. Identifiers are pseudonyms; direct identifiers",
        "(NIR/INS, names, full birth dates, addresses) are refused. Every coded field carries",
        "its code system and version in a sibling `*_system` column so that several versions",
        "can coexist in one multi-SPSTI extract.",
        "",
        "| Table | Key | Columns |",
        "|---|---|---|",
    ]
    for s in schemas.values():
        lines.append(f"| `{s.name}` | ({', '.join(s.primary_key)}) | "
                     + ", ".join(f"`{n}`" for n in s.names) + " |")
    lines += ["", *_VALUE_TEXT, "", *_IDENTIFIER_TEXT]
    for s in schemas.values():
        lines += ["", f"## `{s.name}` — {s.title}", "", s.description, ""]
        lines.append(f"Primary key: ({', '.join(f'`{k}`' for k in s.primary_key)}).")
        for cols, res, rcols in s.foreign_keys:
            what = (" (consistency: the referenced row must agree on every column)"
                    if len(cols) > 1 else "")
            lines.append(f"Foreign key: ({', '.join(cols)}) → `{res}`({', '.join(rcols)})"
                         f"{what}.")
        lines += ["", "| Column | Type | Required | Constraints | Description |",
                  "|---|---|---|---|---|"]
        for f in s.fields:
            lines.append(f"| `{f.name}` | {f.type} | {'yes' if f.required else 'no'} | "
                         f"{_constraints(f).replace('|', chr(92) + '|')} | {f.description} |")
        for note in s.raw.get("x-notes", []):
            lines += ["", note]
    lines.append("")
    return "\n".join(lines)
