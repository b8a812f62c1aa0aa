"""The rules of the contract, checked in DuckDB SQL over the opened files (private).

:class:`Validator` collects :class:`~irdp.io.errors.Problem` objects table by table: columns,
types (a typed view over a Parquet file, a typed temporary table from a parsed CSV), field
rules (one aggregate scan per table, which reads every column), primary keys, references and
cross-table consistency, chronology. Every value put in a problem goes through
:mod:`irdp.io._display` (identifiers masked, long values shortened).
"""

from __future__ import annotations

import bisect
import difflib
import re
import unicodedata
from datetime import date
from typing import Any

import duckdb

from irdp.io import errors as E
from irdp.io._display import clean_text, names, shown, shown_name
from irdp.io._files import RESERVED
from irdp.io._types import Conversion, conversion, literal, quote
from irdp.io.schema import Field, TableSchema
from irdp.privacy.pseudonymise import NIR_PATTERN, Pseudonymiser

__all__ = ["Validator", "IDENTIFIER_COLUMN_PATTERNS", "RESERVED_COLUMNS"]

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

#: Names the validator uses for its own columns; a file may not use them.
RESERVED_COLUMNS = RESERVED

_FULL_DATE_TEXT = r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}$"


def _norm(name: str) -> str:
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", s).strip("_")


def identifier_kind(column: str) -> str | None:
    """Which kind of direct identifier a column name suggests (None: none)."""
    n = _norm(column)
    for kind, pat in IDENTIFIER_COLUMN_PATTERNS.items():
        if re.search(pat, n):
            return kind
    return None


def _nir_sql(c: str) -> str:
    # the regular expression runs only on values that can be a NIR (first digit, length)
    return (f"CASE WHEN left({c}, 1) IN ('1', '2', '7', '8') AND length({c}) BETWEEN 13 AND 30 "
            f"THEN regexp_full_match(regexp_replace({c}, '[ .-]', '', 'g'), "
            f"{literal(NIR_PATTERN)}) ELSE false END")


def _numeric_sql(c: str) -> str:
    # the regular expression runs only on values that start with a digit
    return (f"CASE WHEN left({c}, 1) BETWEEN '0' AND '9' THEN regexp_full_match({c}, '[0-9]+') "
            "ELSE false END")


Rule = tuple[type, str, str, str, str]  # kind, rule, SQL failure condition, message, column


class Validator:
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
        self.bom: dict[str, bool] = {}
        self.columns: dict[str, dict[str, str]] = {}   # table -> column -> duckdb type
        self.typed_ok: set[str] = set()                 # tables whose typed table is usable
        self.typed_views: set[str] = set()              # typed_<t> that are views (Parquet)
        self.dropped: dict[str, list[str]] = {}
        self.conversions: dict[str, dict[str, Conversion]] = {}
        self.paths: dict[str, str | list[str]] = {}    # Parquet file(s) (final views)
        # partitioned tables: first __row of each file and the file's name
        self.parts: dict[str, tuple[list[int], list[str]]] = {}
        self.numeric_ids: list[str] = []                # "table.column" holding numeric ids

    # ------------------------------------------------------------------ bookkeeping
    def secret(self, t: str | None, column: str | None) -> bool | tuple[bool, ...]:
        """Whether values of ``column`` (or of each column of a composite) must be masked."""
        if self.pseudo is None or t not in self.schemas or column is None:
            return False
        s = self.schemas[t]
        flags = tuple(c in s.names and s.field(c).is_key for c in column.split(", "))
        return flags if len(flags) > 1 else flags[0]

    def add(self, kind: type, table: str | None, rule: str, message: str, *,
            row: int | None = None, column: str | None = None, value: Any = None,
            count: int = 1) -> None:
        if len(self.problems) >= self.max_errors:
            self.truncated = True
            return
        file = self.files.get(table or "")
        if table in self.parts and row is not None and row > 0:
            offsets, files = self.parts[table]
            k = bisect.bisect_right(offsets, row - 1) - 1
            file, row = files[k], row - offsets[k]
        self.problems.append(E.Problem(
            kind=kind, table=table, file=file, rule=rule,
            message=message, row=row, column=column,
            value=shown(value, secret=self.secret(table, column)), count=count))

    def full(self) -> bool:
        return len(self.problems) >= self.max_errors

    def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def report_rows(self, kind: type, table: str, rule: str, message: str, relation: str,
                    where: str, column: str | None, value_sql: str | None, count: int) -> None:
        """Add up to ``examples`` example rows of a rule that ``count`` rows break."""
        if count <= 0 or self.full():
            return
        rows = self.fetch(f"SELECT __row, {value_sql or 'NULL'} FROM {relation} WHERE {where} "
                          f"ORDER BY __row LIMIT {self.examples}")
        for i, (row, value) in enumerate(rows):
            if isinstance(value, dict | list):  # a composite value (STRUCT or LIST)
                value = tuple(value.values() if isinstance(value, dict) else value)
            self.add(kind, table, rule, message, row=int(row) if row is not None else None,
                     column=column, value=value, count=count if i == 0 else 1)

    # ------------------------------------------------------------------ structure
    def check_columns(self, t: str) -> bool:
        s = self.schemas[t]
        cols = self.columns[t]
        missing = [c for c in s.names if c not in cols]
        ok = True
        for c in missing:
            self.add(E.MissingColumnError, t, "missing_column",
                     f"column {c!r} of the contract is absent (the file has {len(cols)} "
                     f"columns: {names(cols)}); add it (empty values are allowed where the "
                     "column is not required).", column=c)
            ok = False
        for c in cols:
            if c in s.names:
                continue
            if c.lower() in RESERVED_COLUMNS or c.startswith("__"):
                self.add(E.ExtraColumnError, t, "reserved_column",
                         f"column {shown_name(c)!r} uses a name reserved by the validator "
                         "(names starting with '__', file_row_number); remove or rename it.",
                         column=shown_name(c))
                ok = False
                continue
            kind = identifier_kind(c)
            if kind is not None and self.pseudo is None:
                self.add(E.IdentifierError, t, "direct_identifier",
                         f"column {shown_name(c)!r} looks like a direct identifier ({kind}); "
                         "direct identifiers are refused. Remove it at the source, or pass "
                         "pseudonymise=<key> to drop identifier columns and hash the ids.",
                         column=shown_name(c))
            elif kind is not None or self.extra_columns == "drop":
                self.dropped.setdefault(t, []).append(c)
            else:
                close = difflib.get_close_matches(c, missing, n=1, cutoff=0.6)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                self.add(E.ExtraColumnError, t, "extra_column",
                         f"column {shown_name(c)!r} is not in the contract.{hint} Remove or "
                         "rename it, or pass extra_columns='drop'.", column=shown_name(c))
                ok = False
        return ok

    # ------------------------------------------------------------------ types
    def check_types(self, t: str) -> None:
        """Define ``typed_<t>`` (contract types, one flag per bad value).

        A Parquet table stays in its file(s): ``typed_<t>`` is a view, and every check reads
        only the columns it needs (an 18 M-worker extract is validated without copying its
        tables, so without spilling). A CSV table, already parsed into ``raw_<t>``, is
        typed once into a temporary table.
        """
        s = self.schemas[t]
        convs = {f.name: conversion(f, self.columns[t][f.name]) for f in s.fields}
        exprs, flags = [], []
        for f in s.fields:
            cv = convs[f.name]
            exprs.append(f"{cv.expr} AS {quote(f.name)}")
            if cv.bad is not None and not cv.whole_column:
                flags.append(f"coalesce({cv.bad}, false) AS {quote('__bad_' + f.name)}")
        kind = "VIEW" if t in self.paths else "TABLE"
        self.con.execute(f"CREATE OR REPLACE TEMP {kind} typed_{t} AS SELECT "
                         + ", ".join(exprs + flags) + f", __row FROM src_{t}")
        if kind == "VIEW":
            self.typed_views.add(t)
        self.conversions[t] = convs
        self.typed_ok.add(t)
        for f in s.fields:
            cv = convs[f.name]
            if cv.whole_column:
                self.add(cv.kind, t, "type", cv.message, column=f.name)

    def _type_problem(self, t: str, f: Field, cv: Conversion, n: int) -> None:
        c = quote(f.name)
        if f.name == "birth_year" and self.columns[t][f.name] == "VARCHAR":
            full = f"regexp_full_match(trim({c}), {literal(_FULL_DATE_TEXT)})"
            nf = self.fetch(f"SELECT count(*) FROM src_{t} WHERE {full}")[0][0]
            if nf:
                self.report_rows(E.IdentifierError, t, "direct_identifier",
                                 "birth_year holds a full birth date (a direct identifier); "
                                 "export the year only.", f"src_{t}", full, f.name,
                                 f"'<masked: ' || length({c}) || ' characters>'", int(nf))
                return
        self.report_rows(cv.kind, t, "type", cv.message, f"src_{t}", cv.bad or "false",
                         f.name, c, n)

    # ------------------------------------------------------------------ field rules
    def _identifier_rules(self, f: Field) -> list[Rule]:
        c = quote(f.name)
        rules: list[Rule] = []
        if not (self.pseudo is not None and f.is_key):
            rules.append((E.IdentifierError, "direct_identifier", _nir_sql(c),
                          "value is shaped like a NIR/INS (a direct identifier, never a key: "
                          "13 or 15 characters, first digit 1, 2, 7 or 8). Export pseudonyms"
                          + (", or pass pseudonymise=<key> to hash the keys on load."
                             if f.is_key else "; this column is not pseudonymised."), f.name))
        if not f.numeric_allowed:
            rules.append((E.IdentifierError, "numeric_identifier", _numeric_sql(c),
                          "the contract does not allow purely numeric values in this column; "
                          "export the pseudonyms with a letter prefix.", f.name))
        return rules

    def field_rules(self, t: str, f: Field) -> list[Rule]:
        """(kind, rule, SQL condition of failure, message, column) for one field."""
        c = quote(f.name)
        rules: list[Rule] = []
        cv = self.conversions[t][f.name]
        if cv.whole_column:  # the column's type is wrong: reported once, no value to check
            return rules
        if f.required:
            cond = f"{c} IS NULL"
            if cv.bad is not None:
                cond += f" AND NOT {quote('__bad_' + f.name)}"
            rules.append((E.ConstraintError, "required", cond, "value is required but missing.",
                          f.name))
        if f.code_system is not None:
            rules.append(self._code_system_rule(f))
        if f.enum is not None:
            allowed = ", ".join(literal(v) for v in f.enum)
            rules.append((E.ConstraintError, "enum", f"{c} IS NOT NULL AND {c} NOT IN ({allowed})",
                          f"value is not one of the codes {list(f.enum)}.", f.name))
        if f.pattern is not None and f.code_system is None:
            rules.append((E.ConstraintError, "pattern",
                          f"{c} IS NOT NULL AND NOT regexp_full_match({c}, {literal(f.pattern)})",
                          f"value does not match the pattern {f.pattern}.", f.name))
        if f.minimum is not None:
            rules.append((E.ConstraintError, "minimum", f"{c} < {f.minimum}",
                          f"value is below the minimum {f.minimum:g}.", f.name))
        if f.maximum is not None:
            rules.append((E.ConstraintError, "maximum", f"{c} > {f.maximum}",
                          f"value is above the maximum {f.maximum:g}.", f.name))
        if f.items is not None:
            rules += self._items_rules(f)
        if f.identifier is not None:
            rules += self._identifier_rules(f)
        return rules + self._row_date_rules(f)

    def _row_date_rules(self, f: Field) -> list[Rule]:
        """Date rules within one row (``x-checks``); rules across tables are run apart."""
        c = quote(f.name)
        rules: list[Rule] = []
        for chk in f.checks:
            if chk == "not_future":
                rules.append((E.FutureDateError, "not_future",
                              f"{c} > DATE '{self.as_of.isoformat()}'",
                              f"date is after the extraction date {self.as_of.isoformat()}.",
                              f.name))
            elif chk.startswith("not_before:"):
                other = chk.split(":", 1)[1]
                rules.append((E.DateOrderError, chk, f"{c} < {quote(other)}",
                              f"date is before {other} of the same row.", f.name))
        return rules

    def _code_system_rule(self, f: Field) -> Rule:
        c = quote(f.name)
        cs = f.code_system or {}
        sys_col = quote(cs["column"])
        if "patterns" in cs:
            cases = " ".join(f"WHEN {literal(k)} THEN NOT regexp_full_match({c}, {literal(v)})"
                             for k, v in cs["patterns"].items())
        else:
            cases = " ".join(
                f"WHEN {literal(k)} THEN {c} NOT IN ({', '.join(literal(x) for x in v)})"
                for k, v in cs["enums"].items())
        cond = f"{c} IS NOT NULL AND coalesce(CASE {sys_col} {cases} END, false)"
        if f.enum is not None:  # codes outside every version are reported by the enum rule
            cond += f" AND {c} IN ({', '.join(literal(x) for x in f.enum)})"
        return (E.CodeSystemError, "code_system", cond,
                f"code does not belong to the code system named in {cs['column']} "
                "(see data_schemas for the pattern or code list of each version).", f.name)

    def _items_rules(self, f: Field) -> list[Rule]:
        """Unknown item of a known instrument (on ``item``), value out of its range."""
        known, ranges = [], []
        for inst, its in (f.items or {}).items():
            known.append(f"WHEN {literal(inst)} THEN item NOT IN "
                         f"({', '.join(literal(i) for i in its)})")
            for item, (lo, hi) in its.items():
                ranges.append(f"WHEN instrument = {literal(inst)} AND item = {literal(item)} "
                              f"THEN {quote(f.name)} NOT BETWEEN {lo} AND {hi}")
        unknown = f"item IS NOT NULL AND coalesce(CASE instrument {' '.join(known)} END, false)"
        out_of_range = (f"{quote(f.name)} IS NOT NULL AND "
                        f"coalesce(CASE {' '.join(ranges)} END, false)")
        return [
            (E.ConstraintError, "items", unknown,
             "item is not an item of its instrument (see x-items in data_schemas).", "item"),
            (E.ConstraintError, "item_range", out_of_range,
             "value is outside the range of its instrument's item (x-items).", f.name),
        ]

    def check_values(self, t: str) -> None:
        """One aggregate scan of the typed table: values that are not of their type, field
        rules, numeric identifiers, and a screen for duplicated primary keys."""
        s = self.schemas[t]
        convs = self.conversions[t]
        typed = [f for f in s.fields if convs[f.name].bad is not None
                 and not convs[f.name].whole_column]
        rules = [r for f in s.fields for r in self.field_rules(t, f)]
        keys = [f for f in s.fields if f.identifier is not None]
        pk = ", ".join(quote(k) for k in s.primary_key)
        aggs = ([f"count(*) FILTER (WHERE {quote('__bad_' + f.name)})" for f in typed]
                + [f"count(*) FILTER (WHERE {r[2]})" for r in rules]
                + [f"count(*) FILTER (WHERE {_numeric_sql(quote(f.name))})" for f in keys]
                # distinct 64-bit hashes imply distinct keys; equal ones are checked exactly
                + [f"count(*) - count(DISTINCT hash({pk}))" if pk else "0"])
        # a view reads every column of its file(s) here, so that damaged pages show now
        whole = ([f"count({quote(f.name)})" for f in s.fields] if t in self.typed_views
                 else [])
        try:
            counts = list(self.fetch(f"SELECT {', '.join(whole + aggs)} FROM typed_{t}")[0])
        except duckdb.Error as err:
            if t not in self.typed_views:
                raise
            self.add(E.FileFormatError, t, "parquet_data",
                     f"the data of the Parquet file cannot be read ({clean_text(str(err))}); "
                     "the file is damaged: export it again.")
            self.typed_ok.discard(t)
            return
        counts = counts[len(whole):]
        n_typed, n_rules = len(typed), len(rules)
        for f, n in zip(typed, counts[:n_typed], strict=True):
            if n:
                self._type_problem(t, f, convs[f.name], int(n))
        for (kind, rule, cond, msg, column), n in zip(rules, counts[n_typed:n_typed + n_rules],
                                                      strict=True):
            if n and not self.full():
                self.report_rows(kind, t, rule, msg, f"typed_{t}", cond, column,
                                 quote(column), int(n))
        for f, n in zip(keys, counts[n_typed + n_rules:-1], strict=True):
            if n:
                self.numeric_ids.append(f"{t}.{f.name}")
        if counts[-1]:
            self.check_primary_key(t)

    # ------------------------------------------------------------------ keys
    def check_primary_key(self, t: str) -> None:
        """Duplicated primary keys (run when the screen of :meth:`check_values` finds some)."""
        pk = self.schemas[t].primary_key
        if not pk:
            return
        keys = ", ".join(quote(k) for k in pk)
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

    def check_references(self, t: str) -> None:
        """References and the rules that follow them, one join per referenced table.

        For each single-column foreign key, the rows are left-joined to their parent once, and
        one aggregate counts the orphans, the composite references that disagree with the
        parent row (``ConsistencyError``), and the dates bounded by the parent: not before the
        worker's year of birth, not after the end of the employment.
        """
        s = self.schemas[t]
        done: set[int] = set()
        for k, (cols, parent, pcols) in enumerate(s.foreign_keys):
            if len(cols) == 1 and parent in self.typed_ok:
                done |= self._reference(t, k, cols[0], parent, pcols[0])
        for k, (cols, parent, pcols) in enumerate(s.foreign_keys):
            if k not in done and parent in self.typed_ok:
                self._composite(t, cols, parent, pcols)
        if t == "worker":
            self._own_birth_dates()

    def _reference(self, t: str, k: int, ref: str, parent: str, pk: str) -> set[int]:
        s = self.schemas[t]
        checks: list[tuple[type, str, str, str, str]] = [
            (E.ForeignKeyError, "foreign_key", f"{quote(ref)} IS NOT NULL AND __found IS NULL",
             f"{ref} refers to no row of {parent}; every reference must exist in the parent "
             "table.", ref)]
        wanted, covered = {pk}, {k}
        for j, (cols, cparent, pcols) in enumerate(s.foreign_keys):
            pairs = dict(zip(cols, pcols, strict=True))
            if cparent != parent or len(cols) < 2 or pairs.get(ref) != pk:
                continue
            covered.add(j)
            others = [a for a in cols if a != ref]
            wanted |= {pairs[a] for a in others}
            disagree = " OR ".join(f"{quote(a)} IS DISTINCT FROM {quote('__p_' + pairs[a])}"
                                   for a in others)
            notnull = " AND ".join(f"{quote(a)} IS NOT NULL" for a in others)
            checks.append((E.ConsistencyError, "consistency",
                           f"__found AND {notnull} AND ({disagree})",
                           f"the {parent} row that {ref} refers to has another "
                           f"{', '.join(others)} than this row: the two tables contradict each "
                           f"other (a {t} row and its {parent} must concern the same "
                           f"{', '.join(others)}). Fix the reference or the "
                           f"{', '.join(others)}.", ref))
        for f in s.fields:
            if "not_before_birth" in f.checks and parent == "worker" and ref == "worker_id":
                wanted.add("birth_year")
                checks.append((E.BeforeBirthError, "not_before_birth",
                               f"year({quote(f.name)}) < __p_birth_year",
                               "date is before the worker's year of birth.", f.name))
            if "not_after_employment_end" in f.checks and parent == "employment" \
                    and ref == "employment_id":
                wanted.add("end_date")
                checks.append((E.OutsideEmploymentError, "not_after_employment_end",
                               f"{quote(f.name)} > __p_end_date",
                               "date is after the end_date of the employment it refers to "
                               "(employment_id); refer to the right employment or leave "
                               "employment_id empty.", f.name))
        pcols = ", ".join(f"{quote(c)} AS {quote('__p_' + c)}" for c in sorted(wanted))
        rel = (f"(SELECT c.*, p.* FROM typed_{t} c LEFT JOIN (SELECT {pcols}, true AS __found "
               f"FROM typed_{parent}) p ON c.{quote(ref)} = p.{quote('__p_' + pk)})")
        counts = self.fetch("SELECT " + ", ".join(f"count(*) FILTER (WHERE {c[2]})"
                                                 for c in checks) + f" FROM {rel}")[0]
        for (kind, rule, cond, msg, column), n in zip(checks, counts, strict=True):
            self.report_rows(kind, t, rule, msg, rel, cond, column, quote(column), int(n))
        return covered

    def _composite(self, t: str, cols: tuple[str, ...], parent: str,
                   pcols: tuple[str, ...]) -> None:
        """A composite foreign key without a single-column reference to the same parent."""
        notnull = " AND ".join(f"c.{quote(a)} IS NOT NULL" for a in cols)
        on = " AND ".join(f"c.{quote(a)} = p.{quote(b)}" for a, b in zip(cols, pcols,
                                                                        strict=True))
        # an explicit anti join (a correlated NOT EXISTS is several times slower)
        rel = f"(SELECT c.* FROM typed_{t} c ANTI JOIN typed_{parent} p ON {on} WHERE {notnull})"
        n = self.fetch(f"SELECT count(*) FROM {rel}")[0][0]
        self.report_rows(E.ForeignKeyError, t, "foreign_key",
                         f"({', '.join(cols)}) refers to no row of {parent}; every reference "
                         "must exist in the parent table.", rel, "true", ", ".join(cols),
                         quote(cols[0]), int(n))

    def _own_birth_dates(self) -> None:
        cols = [f.name for f in self.schemas["worker"].fields if "not_before_birth" in f.checks]
        for col in cols:
            cond = f"year({quote(col)}) < birth_year"
            n = self.fetch(f"SELECT count(*) FROM typed_worker WHERE {cond}")[0][0]
            self.report_rows(E.BeforeBirthError, "worker", "not_before_birth",
                             "date is before the worker's year of birth.", "typed_worker",
                             cond, col, quote(col), int(n))

    def check_joined_dates(self, t: str) -> None:
        """Dates bounded by the worker's exit (the exit table references the worker, so this is
        a join of its own)."""
        s = self.schemas[t]
        for f in s.fields:
            c = quote(f.name)
            if "not_after_exit" in f.checks and "exit" in self.typed_ok \
                    and "worker_id" in s.names:
                rel = (f"(SELECT x.*, e.exit_date AS __bound FROM typed_{t} x JOIN "
                       f"typed_exit e USING (worker_id))")
                kind = E.VisitAfterExitError if t == "visit" else E.AfterExitError
                self._dates(kind, t, "not_after_exit", f.name, rel, f"{c} > __bound",
                            "date is after the worker's exit (exit table): the worker is no "
                            "longer followed then.")

    def _dates(self, kind: type, t: str, rule: str, column: str, rel: str, cond: str,
               message: str) -> None:
        n = self.fetch(f"SELECT count(*) FROM {rel} WHERE {cond}")[0][0]
        self.report_rows(kind, t, rule, message, rel, cond, column, quote(column), int(n))

    # ------------------------------------------------------------------ all
    def validate(self) -> None:
        """Run every check on the opened tables, in dependency order."""
        for t in self.schemas:
            if t in self.columns and self.check_columns(t):
                self.check_types(t)
        for t in self.schemas:
            if t in self.typed_ok:
                self.check_values(t)
        for t in self.schemas:
            if t in self.typed_ok:
                self.check_references(t)
                self.check_joined_dates(t)

    def drop_work_tables(self) -> None:
        self.con.execute("; ".join(
            f"DROP {'VIEW' if t in self.typed_views else 'TABLE'} IF EXISTS typed_{t}; "
            f"DROP VIEW IF EXISTS src_{t}; DROP TABLE IF EXISTS raw_{t}" for t in self.schemas))
