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
            items=d.get("x-items"),
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
    """Folder of the schema files: the repository's ``data_schemas/`` when running from a
    source tree, else the copy shipped in the package (``irdp/_schemas``)."""
    repo = Path(__file__).resolve().parents[2] / "data_schemas"
    if repo.is_dir() and any(repo.glob("*.schema.json")):
        return repo
    return Path(str(resources.files("irdp") / "_schemas"))


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
        parts.append({"not_future": "not in the future", "not_before_birth": "not before birth",
                      "not_after_exit": "not after the worker's exit"}.get(
            c, c.replace("not_before:", "not before ")))
    if f.items is not None:
        parts.append("items and ranges: " + "; ".join(
            f"`{inst}` " + ", ".join(f"{k}: {lo:g}-{hi:g}" for k, (lo, hi) in its.items())
            for inst, its in f.items.items()))
    return "; ".join(parts)


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
    for s in schemas.values():
        lines += ["", f"## `{s.name}` — {s.title}", "", s.description, ""]
        lines.append(f"Primary key: ({', '.join(f'`{k}`' for k in s.primary_key)}).")
        for cols, res, rcols in s.foreign_keys:
            lines.append(f"Foreign key: ({', '.join(cols)}) → `{res}`({', '.join(rcols)}).")
        lines += ["", "| Column | Type | Required | Constraints | Description |",
                  "|---|---|---|---|---|"]
        for f in s.fields:
            lines.append(f"| `{f.name}` | {f.type} | {'yes' if f.required else 'no'} | "
                         f"{_constraints(f).replace('|', chr(92) + '|')} | {f.description} |")
        for note in s.raw.get("x-notes", []):
            lines += ["", note]
    lines.append("")
    return "\n".join(lines)
