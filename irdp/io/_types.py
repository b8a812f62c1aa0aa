"""From a stored column to the contract type: one rule per value, whatever the format (private).

A CSV cell is text; a Parquet column has a storage type. The same value gets the same verdict
in both: ``12.5`` is not an integer whether it is the text ``"12.5"`` or the DOUBLE 12.5, ``12``
and ``12.0`` are, ``NaN`` and infinities are never numbers, ``0x1F`` is not a decimal integer,
nothing is ever rounded. Every expression is total (``TRY_CAST``, guarded ``CASE``): reading a
value can flag it, never raise.
"""

from __future__ import annotations

from dataclasses import dataclass

from irdp.io import errors as E
from irdp.io.schema import Field

__all__ = ["Conversion", "conversion", "quote", "literal"]

_INT_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
              "UINTEGER", "UBIGINT", "UHUGEINT"}
_WIDE_INT_TYPES = {"HUGEINT", "UBIGINT", "UHUGEINT"}
_FLOAT_TYPES = {"FLOAT", "DOUBLE", "REAL"}

#: Text forms accepted in CSV cells (and Parquet VARCHAR columns), matched in full after trim.
INTEGER_TEXT = r"[+-]?[0-9]+(\.0*)?"
NUMBER_TEXT = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
DATE_TEXT = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
BOOLEAN_TEXT = {"true": True, "t": True, "1": True, "yes": True,
                "false": False, "f": False, "0": False, "no": False}

_MESSAGES = {
    "integer": "value is not a whole number written in decimal digits (the contract type is "
               "integer: 12 and 12.0 are accepted; 12.5, 0x1F, 1e3, NaN and infinity are "
               "refused, never rounded). Fix the export.",
    "number": "value is not a finite decimal number (digits with '.' as decimal separator, "
              "optional exponent; NaN, infinity and hexadecimal are refused). Fix the export.",
    "boolean": "value is not a boolean (true/false, t/f, 1/0, yes/no). Fix the export.",
    "date": "value is not an ISO calendar date YYYY-MM-DD. Fix the export.",
}
_STORAGE = {"string": "a text (UTF8/VARCHAR) column", "integer": "an integer column",
            "number": "a numeric column", "boolean": "a boolean column",
            "date": "a DATE column"}


def quote(name: str) -> str:
    """SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: object) -> str:
    """SQL literal of a str, number or None."""
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


@dataclass(frozen=True)
class Conversion:
    """How one stored column becomes the contract type.

    Attributes
    ----------
    expr : str
        Typed SQL expression (``NULL`` where the value cannot be converted).
    bad : str or None
        SQL condition true where a value is present but cannot be converted (None: never).
    kind : type or None
        Error kind of such values.
    message : str
        Explanation and fix.
    whole_column : bool
        The storage type of the column itself is wrong (reported once, not per value).
    """

    expr: str
    bad: str | None = None
    kind: type | None = None
    message: str = ""
    whole_column: bool = False


def _text(f: Field, c: str) -> Conversion:
    txt = f"NULLIF(trim({c}), '')"
    if f.type == "date":
        expr = (f"CASE WHEN regexp_full_match({txt}, {literal(DATE_TEXT)}) "
                f"THEN TRY_CAST({txt} AS DATE) END")
        kind: type = E.UnparsableDateError
    elif f.type == "boolean":
        cases = " ".join(f"WHEN {literal(k)} THEN {str(v).lower()}"
                         for k, v in BOOLEAN_TEXT.items())
        expr = f"CASE lower({txt}) {cases} END"
        kind = E.TypeMismatchError
    elif f.type == "integer":
        expr = (f"CASE WHEN regexp_full_match({txt}, {literal(INTEGER_TEXT)}) THEN "
                f"TRY_CAST(regexp_replace({txt}, '\\.0*$', '') AS BIGINT) END")
        kind = E.TypeMismatchError
    else:  # number
        expr = (f"CASE WHEN regexp_full_match({txt}, {literal(NUMBER_TEXT)}) AND "
                f"isfinite(TRY_CAST({txt} AS DOUBLE)) THEN TRY_CAST({txt} AS DOUBLE) END")
        kind = E.TypeMismatchError
    return Conversion(expr, f"{txt} IS NOT NULL AND ({expr}) IS NULL", kind,
                      _MESSAGES[f.type])


def _typed(f: Field, c: str, base: str) -> Conversion | None:
    """Conversion from a typed (Parquet or in-memory) column, or None if the type is wrong."""
    msg = _MESSAGES.get(f.type, "")
    if f.type == "integer" and base in _INT_TYPES:
        if base in _WIDE_INT_TYPES:
            expr = f"TRY_CAST({c} AS BIGINT)"
            return Conversion(expr, f"{c} IS NOT NULL AND {expr} IS NULL",
                              E.TypeMismatchError, msg)
        return Conversion(f"CAST({c} AS BIGINT)")
    if f.type == "integer" and base in _FLOAT_TYPES | {"DECIMAL"}:
        finite = f"isfinite({c}) AND " if base in _FLOAT_TYPES else ""
        expr = f"CASE WHEN {finite}{c} = trunc({c}) THEN TRY_CAST({c} AS BIGINT) END"
        return Conversion(expr, f"{c} IS NOT NULL AND ({expr}) IS NULL", E.TypeMismatchError,
                          msg)
    if f.type == "number" and base in _INT_TYPES | {"DECIMAL"}:
        return Conversion(f"CAST({c} AS DOUBLE)")
    if f.type == "number" and base in _FLOAT_TYPES:
        expr = f"CASE WHEN isfinite({c}) THEN CAST({c} AS DOUBLE) END"
        return Conversion(expr, f"{c} IS NOT NULL AND NOT isfinite({c})", E.TypeMismatchError,
                          msg)
    if f.type == "boolean" and base == "BOOLEAN":
        return Conversion(c)
    if f.type == "boolean" and base in _INT_TYPES:
        expr = f"CASE {c} WHEN 1 THEN true WHEN 0 THEN false END"
        return Conversion(expr, f"{c} IS NOT NULL AND ({expr}) IS NULL", E.TypeMismatchError,
                          msg)
    if f.type == "date" and base == "DATE":
        return Conversion(c)
    return None


def conversion(f: Field, actual: str) -> Conversion:
    """The :class:`Conversion` of a column stored as ``actual`` (a DuckDB type name) to the
    contract type of ``f``.

    A column holding no value at all (Parquet/Arrow type ``NULL``) is accepted for any type.
    """
    c = quote(f.name)
    base = actual.split("(")[0]
    check_type = "BIGINT" if f.type == "integer" else f.sql_type
    if base == '"NULL"':
        return Conversion(f"CAST(NULL AS {check_type})")
    if base == "VARCHAR":
        if f.type == "string":
            return Conversion(f"NULLIF({c}, '')")
        return _text(f, c)
    typed = None if f.type == "string" else _typed(f, c, base)
    if typed is not None:
        return typed
    return Conversion(f"CAST(NULL AS {check_type})", "true", E.TypeMismatchError,
                      f"the column is stored as {actual}; the contract type is {f.type}. "
                      f"Export it as {_STORAGE[f.type]}.", whole_column=True)
