"""``read_extract``: load a folder of Parquet or CSV files and validate it against the contract.

Validation runs in DuckDB SQL (one aggregate scan per table for the field rules, then key,
foreign-key and chronology queries), so a 1 M-worker extract is validated in seconds. Input
files are only ever read. All problems are collected (up to ``max_errors``) and raised together
as one :class:`~irdp.io.errors.ExtractValidationError`.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa

from irdp.io import errors as E
from irdp.io.extract import TABLES, Extract
from irdp.io.schema import Field, TableSchema, load_schemas
from irdp.privacy.pseudonymise import Pseudonymiser

__all__ = ["read_extract", "validate_extract", "IDENTIFIER_COLUMN_PATTERNS", "NIR_PATTERN"]

#: Tables that must hold at least one row.
NON_EMPTY = ("worker", "company", "employment", "visit")

#: NIR (numéro d'inscription au répertoire; the INS of a person born in France is its NIR):
#: sex, year, month (01-12 or 20-99 special), département (2 digits, 2A/2B), 6 digits, key.
NIR_PATTERN = r"^[12][0-9]{2}(0[1-9]|1[0-2]|[2-9][0-9])(2[AB]|[0-9]{2})[0-9]{6}([0-9]{2})?$"

#: Column-name patterns of direct identifiers (matched on lower-case, accent-free names).
IDENTIFIER_COLUMN_PATTERNS: dict[str, str] = {
    "NIR/INS": r"(^|_)(nir|ins|nss|nia|insee|num_?secu|secu|securite_sociale|matricule_ins)($|_)",
    "name": r"(^|_)(nom|prenom|prenoms|name|firstname|first_name|lastname|last_name|surname|"
            r"nom_naissance|nom_usage|given_name|family_name)($|_)",
    "full birth date": r"(birth_?date|date_?(de_)?naissance|ddn|dob|date_of_birth|birthday)",
    "address or contact": r"(^|_)(adresse|address|rue|street|code_postal|postcode|postal_code|"
                          r"zip|commune|ville|city|email|e_mail|mail|courriel|telephone|phone|"
                          r"tel|portable|mobile)($|_)",
}

_INT_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
              "UINTEGER", "UBIGINT", "UHUGEINT"}
_FLOAT_TYPES = {"FLOAT", "DOUBLE", "REAL"}
_SQL_TYPE = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN",
             "date": "DATE"}
_BOOL_TEXT = ("true", "false", "1", "0", "t", "f", "yes", "no")
_DATE_TEXT = r"^\d{4}-\d{2}-\d{2}$"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def _norm(name: str) -> str:
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", s).strip("_")


def _identifier_kind(column: str) -> str | None:
    n = _norm(column)
    for kind, pat in IDENTIFIER_COLUMN_PATTERNS.items():
        if re.search(pat, n):
            return kind
    return None


def _mask(value: Any) -> str:
    s = str(value)
    return s[:3] + "…" + f"({len(s)} characters, masked)"


class _Validator:
    """Collects problems for one extract held in a DuckDB connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection, schemas: dict[str, TableSchema], *,
                 max_errors: int, examples: int, as_of: date, pseudonymiser: Pseudonymiser | None,
                 extra_columns: str) -> None:
        self.con = con
        self.schemas = schemas
        self.max_errors = max_errors
        self.examples = examples
        self.as_of = as_of
        self.pseudo = pseudonymiser
        self.extra_columns = extra_columns
        self.problems: list[E.Problem] = []
        self.truncated = False
        self.files: dict[str, str] = {}
        self.columns: dict[str, dict[str, str]] = {}   # table -> column -> duckdb type
        self.typed_ok: set[str] = set()                 # tables whose typed view is usable
        self.dropped: dict[str, list[str]] = {}
        self.exprs: dict[str, list[str]] = {}          # typed expressions of each table
        self.paths: dict[str, str] = {}                # Parquet files (final views)

    # ------------------------------------------------------------------ bookkeeping
    def add(self, kind: type, table: str | None, rule: str, message: str, **kw: Any) -> None:
        if len(self.problems) >= self.max_errors:
            self.truncated = True
            return
        self.problems.append(E.Problem(kind=kind, table=table, file=self.files.get(table or ""),
                                       rule=rule, message=message, **kw))

    def full(self) -> bool:
        return len(self.problems) >= self.max_errors

    def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def report_rows(self, kind: type, table: str, rule: str, message: str, relation: str,
                    where: str, column: str | None, value_sql: str | None, count: int,
                    mask: bool = False) -> None:
        """Add up to ``examples`` example rows of a rule that ``count`` rows break."""
        if count <= 0:
            return
        val = value_sql or "NULL"
        rows = self.fetch(f"SELECT __row, {val} FROM {relation} WHERE {where} "
                          f"ORDER BY __row LIMIT {self.examples}")
        for i, (row, value) in enumerate(rows):
            if mask and value is not None:
                value = _mask(value)
            elif isinstance(value, date):
                value = value.isoformat()
            self.add(kind, table, rule, message, row=int(row) if row is not None else None,
                     column=column, value=value, count=count if i == 0 else 1)

    # ------------------------------------------------------------------ structure
    def check_columns(self, t: str) -> bool:
        s = self.schemas[t]
        cols = self.columns[t]
        ok = True
        for c in s.names:
            if c not in cols:
                self.add(E.MissingColumnError, t, "missing_column",
                         f"column {c!r} of the contract is absent (found {sorted(cols)}); "
                         "add it (empty values are allowed where the column is not required).",
                         column=c)
                ok = False
        for c in cols:
            if c in s.names:
                continue
            kind = _identifier_kind(c)
            if kind is not None and self.pseudo is None:
                self.add(E.IdentifierError, t, "direct_identifier",
                         f"column {c!r} looks like a direct identifier ({kind}); direct "
                         "identifiers are refused. Remove it at the source, or pass "
                         "pseudonymise=<key> to drop identifier columns and hash the ids.",
                         column=c)
            elif kind is not None or self.extra_columns == "drop":
                self.dropped.setdefault(t, []).append(c)
            else:
                self.add(E.ExtraColumnError, t, "extra_column",
                         f"column {c!r} is not in the contract (columns: {s.names}); remove it "
                         "or pass extra_columns='drop'.", column=c)
                ok = False
        return ok

    # ------------------------------------------------------------------ types
    def typed_expr(self, t: str, f: Field) -> tuple[str, str | None, type | None, str]:
        """(typed SQL expression, failure condition, error kind, rule) for one column."""
        actual = self.columns[t][f.name]
        c = _q(f.name)
        base = actual.split("(")[0]
        if f.type == "string":
            if base == "VARCHAR":
                return f"NULLIF({c}, '')", None, None, ""
            return f"CAST({c} AS VARCHAR)", "true", E.TypeMismatchError, "type"
        if base == "VARCHAR":
            txt = f"NULLIF(trim({c}), '')"
            if f.type == "date":
                expr = (f"CASE WHEN regexp_full_match({txt}, '{_DATE_TEXT}') "
                        f"THEN TRY_CAST({txt} AS DATE) END")
                return expr, f"{txt} IS NOT NULL AND ({expr}) IS NULL", E.UnparsableDateError, \
                    "iso_date"
            if f.type == "boolean":
                expr = (f"CASE lower({txt}) WHEN 'true' THEN true WHEN 't' THEN true WHEN '1' "
                        f"THEN true WHEN 'yes' THEN true WHEN 'false' THEN false WHEN 'f' THEN "
                        f"false WHEN '0' THEN false WHEN 'no' THEN false END")
            else:
                expr = f"TRY_CAST({txt} AS {_SQL_TYPE[f.type]})"
            return expr, f"{txt} IS NOT NULL AND ({expr}) IS NULL", E.TypeMismatchError, "type"
        if f.type == "integer" and base in _INT_TYPES:
            return f"CAST({c} AS BIGINT)", None, None, ""
        if f.type == "integer" and (base in _FLOAT_TYPES or base == "DECIMAL"):
            return (f"CAST({c} AS BIGINT)", f"{c} IS NOT NULL AND {c} <> round({c})",
                    E.TypeMismatchError, "type")
        if f.type == "number" and (base in _INT_TYPES | _FLOAT_TYPES or base == "DECIMAL"):
            return f"CAST({c} AS DOUBLE)", None, None, ""
        if f.type == "boolean" and base == "BOOLEAN":
            return c, None, None, ""
        if f.type == "boolean" and base in _INT_TYPES:
            return f"CAST({c} AS BOOLEAN)", f"{c} NOT IN (0, 1)", E.TypeMismatchError, "type"
        if f.type == "date" and base == "DATE":
            return c, None, None, ""
        return f"NULL::{_SQL_TYPE[f.type]}", "true", E.TypeMismatchError, "type"

    def check_types(self, t: str) -> None:
        s = self.schemas[t]
        exprs, flags, fails = [], [], []
        for f in s.fields:
            expr, fail, kind, rule = self.typed_expr(t, f)
            exprs.append(f"{expr} AS {_q(f.name)}")
            if fail is not None:
                fails.append((f, fail, kind, rule))
                flags.append(f"coalesce({fail}, false) AS {_q('__bad_' + f.name)}")
        if fails:
            counts = self.fetch("SELECT " + ", ".join(
                f"count(*) FILTER (WHERE {cond})" for _, cond, _, _ in fails) + f" FROM src_{t}")[0]
            for (f, cond, kind, rule), n in zip(fails, counts, strict=True):
                self._type_problem(t, f, cond, kind, rule, int(n))
        self.exprs[t] = exprs
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE typed_{t} AS SELECT "
                         + ", ".join(exprs + flags) + f", __row FROM src_{t}")
        self.typed_ok.add(t)

    def _type_problem(self, t: str, f: Field, cond: str, kind: type, rule: str, n: int) -> None:
        actual = self.columns[t][f.name]
        c = _q(f.name)
        if cond == "true":
            self.add(kind, t, rule, f"column has type {actual}; the contract type is {f.type} "
                     f"({_SQL_TYPE[f.type]}). Export it with that type.", column=f.name)
            return
        if n == 0:
            return
        if f.name == "birth_year":
            full = f"regexp_full_match(trim({c}), '^\\d{{1,4}}[-/.]\\d{{1,2}}[-/.]\\d{{1,4}}$')"
            nf = self.fetch(f"SELECT count(*) FROM src_{t} WHERE {full}")[0][0]
            if nf:
                self.report_rows(E.IdentifierError, t, "direct_identifier",
                                 "birth_year holds a full birth date (a direct identifier); "
                                 "export the year only.", f"src_{t}", full, f.name, c, int(nf),
                                 mask=True)
                return
        what = ("an ISO date YYYY-MM-DD" if f.type == "date" else f"a value of type {f.type}")
        self.report_rows(kind, t, rule, f"value is not {what}; fix the export.", f"src_{t}",
                         cond, f.name, c, n)

    # ------------------------------------------------------------------ field rules
    def field_rules(self, t: str, f: Field) -> list[tuple[type, str, str, str]]:
        """(kind, rule, SQL condition of failure, message) for one field of a typed view."""
        c = _q(f.name)
        rules: list[tuple[type, str, str, str]] = []
        if f.required:
            bad = _q("__bad_" + f.name)
            cond = f"{c} IS NULL" + (f" AND NOT {bad}" if self._has_bad(t, f.name) else "")
            rules.append((E.ConstraintError, "required", cond, "value is required but missing."))
        if f.code_system is not None:
            rules.append(self._code_system_rule(t, f))
        if f.enum is not None:
            allowed = ", ".join(_lit(v) for v in f.enum)
            rules.append((E.ConstraintError, "enum", f"{c} IS NOT NULL AND {c} NOT IN ({allowed})",
                          f"value is not one of the codes {list(f.enum)}."))
        if f.pattern is not None and f.code_system is None:
            rules.append((E.ConstraintError, "pattern",
                          f"{c} IS NOT NULL AND NOT regexp_full_match({c}, {_lit(f.pattern)})",
                          f"value does not match the pattern {f.pattern}."))
        if f.minimum is not None:
            rules.append((E.ConstraintError, "minimum", f"{c} < {f.minimum}",
                          f"value is below the minimum {f.minimum:g}."))
        if f.maximum is not None:
            rules.append((E.ConstraintError, "maximum", f"{c} > {f.maximum}",
                          f"value is above the maximum {f.maximum:g}."))
        if f.items is not None:
            rules.append(self._items_rule(f))
        if self.pseudo is None and f.name.endswith("_id") and f.unique:
            # key columns only: a reference equal to a NIR is an orphan or matches a key
            # CASE short-circuits: the regex runs only on values starting with 1 or 2
            rules.append((E.IdentifierError, "direct_identifier",
                          f"CASE WHEN left({c}, 1) IN ('1', '2') THEN regexp_full_match("
                          f"regexp_replace({c}, '[ .]', '', 'g'), '{NIR_PATTERN}') ELSE false END",
                          "value looks like a NIR/INS (direct identifier); export pseudonyms, or "
                          "pass pseudonymise=<key> to hash the identifiers on load."))
        for chk in f.checks:
            if chk == "not_future":
                rules.append((E.FutureDateError, "not_future",
                              f"{c} > DATE '{self.as_of.isoformat()}'",
                              f"date is after the extraction date {self.as_of.isoformat()}."))
            elif chk.startswith("not_before:"):
                other = chk.split(":", 1)[1]
                rules.append((E.DateOrderError, chk, f"{c} < {_q(other)}",
                              f"date is before {other} of the same row."))
        return rules

    def _has_bad(self, t: str, column: str) -> bool:
        return self.typed_expr(t, self.schemas[t].field(column))[1] is not None

    def _code_system_rule(self, t: str, f: Field) -> tuple[type, str, str, str]:
        c = _q(f.name)
        sys_col = _q(f.code_system["column"])
        if "patterns" in f.code_system:
            cases = " ".join(f"WHEN {_lit(k)} THEN NOT regexp_full_match({c}, {_lit(v)})"
                             for k, v in f.code_system["patterns"].items())
        else:
            cases = " ".join(f"WHEN {_lit(k)} THEN {c} NOT IN ({', '.join(_lit(x) for x in v)})"
                             for k, v in f.code_system["enums"].items())
        cond = f"{c} IS NOT NULL AND coalesce(CASE {sys_col} {cases} END, false)"
        if f.enum is not None:  # codes outside every version are reported by the enum rule
            cond += f" AND {c} IN ({', '.join(_lit(x) for x in f.enum)})"
        return (E.CodeSystemError, "code_system", cond,
                f"code does not belong to the code system named in {f.code_system['column']} "
                "(see data_schemas for the pattern or code list of each version).")

    def _items_rule(self, f: Field) -> tuple[type, str, str, str]:
        cases = []
        for inst, its in f.items.items():
            for item, (lo, hi) in its.items():
                cases.append(f"WHEN instrument = {_lit(inst)} AND item = {_lit(item)} "
                             f"THEN {_q(f.name)} NOT BETWEEN {lo} AND {hi}")
        cond = f"{_q(f.name)} IS NOT NULL AND (CASE {' '.join(cases)} ELSE true END)"
        return (E.ConstraintError, "items", cond,
                "item unknown for its instrument or value out of the item's range (x-items).")

    def check_values(self, t: str) -> None:
        s = self.schemas[t]
        rules = [(f, r) for f in s.fields for r in self.field_rules(t, f)]
        if not rules:
            return
        counts = self.fetch("SELECT " + ", ".join(f"count(*) FILTER (WHERE {r[2]})"
                                                  for _, r in rules) + f" FROM typed_{t}")[0]
        for (f, (kind, rule, cond, msg)), n in zip(rules, counts, strict=True):
            if n and not self.full():
                self.report_rows(kind, t, rule, msg, f"typed_{t}", cond, f.name, _q(f.name),
                                 int(n), mask=kind is E.IdentifierError)

    # ------------------------------------------------------------------ keys
    def check_primary_key(self, t: str) -> None:
        pk = self.schemas[t].primary_key
        if not pk:
            return
        keys = ", ".join(_q(k) for k in pk)
        # screen on 64-bit hashes (distinct hashes imply distinct keys), exact query if needed
        clash = self.fetch(f"SELECT count(*) FROM (SELECT hash({keys}) AS h FROM typed_{t} "
                           "GROUP BY h HAVING count(*) > 1)")[0][0]
        if not clash:
            return
        n = self.fetch(f"SELECT count(*) FROM (SELECT {keys} FROM typed_{t} GROUP BY {keys} "
                       f"HAVING count(*) > 1)")[0][0]
        if not n:
            return
        rows = self.fetch(f"SELECT {keys}, count(*), list(__row ORDER BY __row)[1:3] FROM "
                          f"typed_{t} GROUP BY {keys} HAVING count(*) > 1 ORDER BY min(__row) "
                          f"LIMIT {self.examples}")
        for i, r in enumerate(rows):
            value = r[0] if len(pk) == 1 else tuple(r[: len(pk)])
            self.add(E.DuplicateKeyError, t, "primary_key",
                     f"primary key ({', '.join(pk)}) appears {r[len(pk)]} times (rows "
                     f"{r[len(pk) + 1]}); keys must be unique.", row=int(r[len(pk) + 1][1]),
                     column=", ".join(pk), value=value, count=int(n) if i == 0 else 1)

    def check_foreign_keys(self, t: str) -> None:
        for cols, parent, pcols in self.schemas[t].foreign_keys:
            if parent not in self.typed_ok:
                continue
            on = " AND ".join(f"c.{_q(a)} = p.{_q(b)}" for a, b in zip(cols, pcols, strict=True))
            notnull = " AND ".join(f"c.{_q(a)} IS NOT NULL" for a in cols)
            # an explicit anti join (a correlated NOT EXISTS is several times slower)
            rel = (f"(SELECT c.* FROM typed_{t} c ANTI JOIN typed_{parent} p ON {on} "
                   f"WHERE {notnull})")
            n = self.fetch(f"SELECT count(*) FROM {rel}")[0][0]
            self.report_rows(E.ForeignKeyError, t, "foreign_key",
                             f"{', '.join(cols)} refers to no row of {parent}; every reference "
                             "must exist in the parent table.", rel, "true", ", ".join(cols),
                             _q(cols[0]), int(n))

    # ------------------------------------------------------------------ chronology
    def check_birth(self, t: str) -> None:
        s = self.schemas[t]
        cols = [f.name for f in s.fields if "not_before_birth" in f.checks]
        if not cols or "worker" not in self.typed_ok or "worker_id" not in s.names:
            return
        rel = (f"(SELECT x.*, w.birth_year AS __birth FROM typed_{t} x JOIN typed_worker w "
               f"USING (worker_id))") if t != "worker" else (
            "(SELECT *, birth_year AS __birth FROM typed_worker)")
        conds = [f"year({_q(c)}) < __birth" for c in cols]
        counts = self.fetch("SELECT " + ", ".join(f"count(*) FILTER (WHERE {c})" for c in conds)
                            + f" FROM {rel}")[0]
        for col, cond, n in zip(cols, conds, counts, strict=True):
            self.report_rows(E.BeforeBirthError, t, "not_before_birth",
                             "date is before the worker's year of birth.", rel, cond, col,
                             _q(col), int(n))

    def check_after_exit(self) -> None:
        if not {"visit", "exit"} <= self.typed_ok:
            return
        rel = ("(SELECT v.*, e.exit_date AS __exit FROM typed_visit v JOIN typed_exit e "
               "USING (worker_id))")
        n = self.fetch(f"SELECT count(*) FROM {rel} WHERE visit_date > __exit")[0][0]
        self.report_rows(E.VisitAfterExitError, "visit", "not_after_exit",
                         "visit is dated after the worker's exit (exit table).", rel,
                         "visit_date > __exit", "visit_date", "visit_date", int(n))


# ---------------------------------------------------------------------- file opening
def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def _check_utf8(v: _Validator, t: str, path: Path) -> bool:
    dec = codecs.getincrementaldecoder("utf-8")("strict")
    offset = 0
    newlines = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 23), b""):
            try:
                dec.decode(block)
            except UnicodeDecodeError as err:
                pos = err.start
                bad = block[pos:pos + 4]
                line = newlines + block[:pos].count(b"\n") + 1
                hint = ""
                try:
                    hint = f" (as Windows-1252 it would read {bad[:1].decode('cp1252')!r})"
                except UnicodeDecodeError:
                    pass
                v.add(E.EncodingError, t, "utf8",
                      f"byte {offset + pos} is not valid UTF-8{hint}; the file looks Latin-1/"
                      "Windows-1252 encoded. Re-export it as UTF-8.", row=max(line - 1, 0),
                      value=bad)
                return False
            offset += len(block)
            newlines += block.count(b"\n")
    return True


def _open_csv(v: _Validator, t: str, path: Path, delimiter: str) -> bool:
    with path.open("rb") as fh:
        head = fh.read(4)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        v.add(E.EncodingError, t, "utf8", "the file is UTF-16 encoded (byte-order mark found); "
              "re-export it as UTF-8.")
        return False
    bom = head[:3] == b"\xef\xbb\xbf"
    if not _check_utf8(v, t, path):
        return False
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        first = fh.readline()
        second = fh.readline()
    header = next(csv.reader([first], delimiter=delimiter)) if first.strip() else []
    if not first.strip():
        v.add(E.EmptyFileError, t, "empty", "the file has no header line.")
        return False
    expected = v.schemas[t].names
    if len(header) == 1 and len(expected) > 1:
        found = max((";", "\t", "|", ","), key=first.count)
        if found != delimiter and first.count(found):
            v.add(E.DelimiterError, t, "delimiter",
                  f"the header is separated by {found!r}, not {delimiter!r}; re-export with "
                  f"{delimiter!r} or pass csv_delimiter={found!r}.", row=0,
                  value=first.strip()[:80])
            return False
    if not second.strip() and t in NON_EMPTY:
        v.add(E.EmptyFileError, t, "empty", f"table {t} has a header but no data row.")
        return False
    cols = {h.strip(): "VARCHAR" for h in header}
    if len(cols) != len(header):
        v.add(E.ColumnError, t, "duplicate_column", f"the header repeats a column: {header}.")
        return False
    try:
        v.con.execute(
            f"CREATE TABLE raw_{t} AS SELECT * FROM read_csv({_lit(str(path))}, "
            f"delim={_lit(delimiter)}, quote='\"', escape='\"', header=true, auto_detect=false, "
            f"columns={{{', '.join(f'{_lit(k)}: {_lit(x)}' for k, x in cols.items())}}}, "
            f"strict_mode=true)")
    except duckdb.Error as err:
        v.add(E.FileFormatError, t, "csv", f"the CSV cannot be parsed: {str(err).splitlines()[0]}"
              " Check quoting and the number of fields per line.")
        return False
    v.con.execute(f"CREATE TEMP VIEW src_{t} AS SELECT *, rowid + 1 AS __row FROM raw_{t}")
    v.columns[t] = {k: "VARCHAR" for k in cols}
    v.files[t + ":bom"] = str(bom)
    return True


def _open_parquet(v: _Validator, t: str, path: Path) -> bool:
    try:
        v.con.execute(f"CREATE TEMP VIEW src_{t} AS SELECT * EXCLUDE (file_row_number), "
                      f"file_row_number + 1 AS __row FROM read_parquet({_lit(str(path))}, "
                      "file_row_number=true)")
        desc = v.fetch(f"DESCRIBE SELECT * FROM read_parquet({_lit(str(path))})")
    except duckdb.Error as err:
        v.add(E.FileFormatError, t, "parquet", f"the Parquet file cannot be read: "
              f"{str(err).splitlines()[0]}")
        return False
    v.columns[t] = {r[0]: r[1] for r in desc}
    v.paths[t] = str(path)
    if t in NON_EMPTY and v.fetch(f"SELECT count(*) FROM src_{t}")[0][0] == 0:
        v.add(E.EmptyFileError, t, "empty", f"table {t} has no row.")
        return False
    return True


def _locate(folder: Path, t: str, fmt: str | None) -> tuple[Path | None, str | None, str]:
    found = []
    for ext, kind in ((".parquet", "parquet"), (".csv", "csv")):
        p = folder / f"{t}{ext}"
        if p.exists() and (fmt is None or fmt == kind):
            found.append((p, kind))
    if len(found) > 1:
        return None, None, f"both {t}.parquet and {t}.csv exist; keep one or pass format=."
    if not found:
        return None, None, ""
    return found[0][0], found[0][1], ""


# ---------------------------------------------------------------------- public API
def _as_pseudonymiser(p: Any) -> Pseudonymiser | None:
    if p is None or isinstance(p, Pseudonymiser):
        return p
    if isinstance(p, bytes | bytearray | str):
        return Pseudonymiser(p)
    raise TypeError("pseudonymise must be None, a key (bytes or str) or a Pseudonymiser; got "
                    f"{type(p).__name__}.")


def _validate_all(v: _Validator) -> None:
    for t in v.schemas:
        if t in v.columns and v.check_columns(t):
            v.check_types(t)
    for t in v.schemas:
        if t in v.typed_ok:
            v.check_values(t)
            v.check_primary_key(t)
    for t in v.schemas:
        if t in v.typed_ok:
            v.check_foreign_keys(t)
            v.check_birth(t)
    v.check_after_exit()


def _finalise(v: _Validator, materialise: set[str]) -> None:
    """Create the final relations (named like the tables) from the typed views."""
    con = v.con
    id_cols = {"worker_id": "worker", "company_id": "company", "employment_id": "employment",
               "visit_id": "visit", "exposure_id": "exposure"}
    maps: dict[str, str] = {}
    if v.pseudo is not None:
        for col, owner in id_cols.items():
            values = [r[0] for r in con.execute(
                f"SELECT DISTINCT {col} FROM typed_{owner} WHERE {col} IS NOT NULL").fetchall()]
            con.register(f"map_{col}", pa.table({"orig": pa.array(values, pa.string()),
                                                 "pseudo": pa.array(v.pseudo.many(values),
                                                                    pa.string())}))
            maps[col] = f"map_{col}"
    for t, s in v.schemas.items():
        sel, joins = [], []
        for f in s.fields:
            if f.name in maps:
                alias = f"m_{f.name}"
                sel.append(f"{alias}.pseudo AS {_q(f.name)}")
                joins.append(f"LEFT JOIN {maps[f.name]} {alias} ON x.{_q(f.name)} = {alias}.orig")
            else:
                sel.append(f"x.{_q(f.name)}")
        body = f"SELECT {', '.join(sel)} FROM typed_{t} x {' '.join(joins)} ORDER BY x.__row"
        if maps or t in materialise or t not in v.paths:
            con.execute(f"CREATE TABLE {_q(t)} AS {body}")
        else:  # Parquet: a lazy view over the file, with the validated typed expressions
            con.execute(f"CREATE VIEW {_q(t)} AS SELECT {', '.join(v.exprs[t])} FROM "
                        f"read_parquet({_lit(v.paths[t])})")
    for t in v.schemas:
        con.execute(f"DROP TABLE IF EXISTS typed_{t}")
        con.execute(f"DROP VIEW IF EXISTS src_{t}")
        con.execute(f"DROP TABLE IF EXISTS raw_{t}")
    for m in maps.values():
        con.unregister(m)


def read_extract(
    path: str | Path,
    *,
    format: Literal["parquet", "csv"] | None = None,
    max_errors: int = 100,
    examples_per_rule: int = 5,
    pseudonymise: bytes | str | Pseudonymiser | None = None,
    as_of: date | str | None = None,
    csv_delimiter: str = ",",
    extra_columns: Literal["error", "drop"] = "error",
    schemas: Mapping[str, TableSchema] | None = None,
) -> Extract:
    """Read a folder of Parquet or CSV files and validate it against ``data_schemas/``.

    Parameters
    ----------
    path : str or pathlib.Path
        Folder holding one file per table: ``<table>.parquet`` or ``<table>.csv`` (UTF-8,
        comma-separated, header line; a UTF-8 byte-order mark is accepted and ignored).
    format : {"parquet", "csv"}, optional
        Only look for files of this format (default: whichever exists).
    max_errors : int, default=100
        Maximum number of problems listed in the error.
    examples_per_rule : int, default=5
        Example rows listed per broken rule and column (the count of all rows is given).
    pseudonymise : bytes, str or Pseudonymiser, optional
        Secret key (or a :class:`~irdp.privacy.Pseudonymiser`): identifier columns
        (``*_id``) are replaced by their HMAC-SHA256 pseudonyms and direct-identifier columns
        (names, addresses, NIR, full birth dates) are dropped instead of refused. The key is
        never stored.
    as_of : date or ISO str, optional
        Extraction date: later dates are refused (default: today).
    csv_delimiter : str, default=","
        Delimiter of CSV files.
    extra_columns : {"error", "drop"}, default="error"
        What to do with columns that are not in the contract (identifier-like columns are
        always refused unless ``pseudonymise`` is given).
    schemas : mapping, optional
        Contract to validate against (default: :func:`irdp.io.load_schemas`).

    Returns
    -------
    Extract
        Tables as DuckDB relations (Parquet files stay lazy views; CSV files are parsed into
        typed tables). ``metadata`` holds the schema version, per-file SHA-256 and sizes,
        ``as_of``, dropped columns and whether ids were pseudonymised.

    Raises
    ------
    ExtractValidationError
        Or one of its subclasses (``MissingTableError``, ``MissingColumnError``,
        ``TypeMismatchError``, ``UnparsableDateError``, ``CodeSystemError``,
        ``DuplicateKeyError``, ``ForeignKeyError``, ``FutureDateError``, ``BeforeBirthError``,
        ``VisitAfterExitError``, ``EmptyFileError``, ``EncodingError``, ``DelimiterError``,
        ``IdentifierError``...), listing every problem (file, row, column, value, rule) up to
        ``max_errors``. Input files are never modified.

    Examples
    --------
    >>> import tempfile
    >>> from irdp.synth import generate_dmst
    >>> folder = tempfile.mkdtemp()
    >>> _ = generate_dmst(500, n_spsti=2, seed=0, out=folder)
    >>> ex = read_extract(folder)
    >>> ex.n_rows("worker"), ex.metadata["schema_version"]
    (500, '1.0.0')
    """
    folder = Path(path)
    if not folder.is_dir():
        raise E.MissingTableError([E.Problem(E.MissingTableError, None, str(folder), "folder",
                                             f"{folder} is not a folder; pass the folder that "
                                             "holds the table files.")], str(folder))
    if format not in (None, "parquet", "csv"):
        raise ValueError(f"format must be None, 'parquet' or 'csv'; got {format!r}.")
    if extra_columns not in ("error", "drop"):
        raise ValueError(f"extra_columns must be 'error' or 'drop'; got {extra_columns!r}.")
    if not isinstance(max_errors, int) or max_errors < 1:
        raise ValueError(f"max_errors must be a positive int; got {max_errors!r}.")
    as_of_d = date.fromisoformat(as_of) if isinstance(as_of, str) else (as_of or date.today())
    schemas = dict(schemas or load_schemas())
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    v = _Validator(con, schemas, max_errors=max_errors, examples=examples_per_rule,
                   as_of=as_of_d, pseudonymiser=_as_pseudonymiser(pseudonymise),
                   extra_columns=extra_columns)
    files: dict[str, dict[str, Any]] = {}
    csv_tables: set[str] = set()
    for t in schemas:
        p, kind, why = _locate(folder, t, format)
        if p is None:
            v.add(E.MissingTableError, t, "missing_table", why or (
                f"no file {t}.parquet or {t}.csv in {folder}; every table of the contract is "
                "required (a table may have a header and no row)."))
            continue
        v.files[t] = p.name
        files[t] = {"path": str(p), "format": kind, "bytes": p.stat().st_size,
                    "sha256": _sha256(p)}
        if files[t]["bytes"] == 0:
            v.add(E.EmptyFileError, t, "empty", "the file is empty (0 bytes).")
            continue
        ok = _open_csv(v, t, p, csv_delimiter) if kind == "csv" else _open_parquet(v, t, p)
        if ok and kind == "csv":
            csv_tables.add(t)
            files[t]["bom"] = v.files.pop(t + ":bom") == "True"
    _validate_all(v)
    E.raise_problems(v.problems, str(folder), v.truncated)
    _finalise(v, csv_tables)
    meta = {"schema_version": next(iter(schemas.values())).version, "files": files,
            "as_of": as_of_d.isoformat(), "pseudonymised": v.pseudo is not None,
            "dropped_columns": v.dropped}
    return Extract(con, [t for t in TABLES if t in schemas], source=folder, metadata=meta)


def validate_extract(extract: Extract, *, max_errors: int = 100, as_of: date | str | None = None,
                     examples_per_rule: int = 5) -> None:
    """Validate an in-memory :class:`Extract` (e.g. from ``Extract.from_frames``).

    Raises the same errors as :func:`read_extract` (row numbers are positions in each table,
    1-based); returns None when the extract satisfies the contract.
    """
    schemas = load_schemas()
    as_of_d = date.fromisoformat(as_of) if isinstance(as_of, str) else (as_of or date.today())
    con = extract.connection
    v = _Validator(con, schemas, max_errors=max_errors, examples=examples_per_rule,
                   as_of=as_of_d, pseudonymiser=None, extra_columns="error")
    for t in schemas:
        if t not in extract.names:
            v.add(E.MissingTableError, t, "missing_table", f"table {t} is not in the extract.")
            continue
        con.execute(f"CREATE OR REPLACE TEMP VIEW src_{t} AS SELECT *, "
                    f"row_number() OVER () AS __row FROM {_q(t)}")
        v.columns[t] = {r[0]: r[1] for r in con.execute(f"DESCRIBE {_q(t)}").fetchall()}
    _validate_all(v)
    for t in schemas:
        con.execute(f"DROP TABLE IF EXISTS typed_{t}")
    for t in schemas:
        con.execute(f"DROP VIEW IF EXISTS src_{t}")
    E.raise_problems(v.problems, "in-memory extract", v.truncated)
