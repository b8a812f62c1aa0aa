"""Typed errors of extract validation.

Every problem found by :func:`irdp.io.read_extract` is a :class:`Problem` naming the file, the
row (1-based data row; in a CSV the line is ``row + 1`` because of the header), the column,
the offending value and the rule broken. All problems (up to a limit) are raised together in
one :class:`ExtractValidationError` whose class is the problem kind when there is one kind,
or a class deriving from every kind found, so ``except DuplicateKeyError`` catches an error
that contains duplicate keys among other problems.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from irdp.exceptions import ExtractError

__all__ = [
    "Problem",
    "ExtractValidationError",
    "MissingTableError",
    "EmptyFileError",
    "FileFormatError",
    "EncodingError",
    "DelimiterError",
    "ColumnError",
    "MissingColumnError",
    "ExtraColumnError",
    "DuplicateColumnError",
    "TypeMismatchError",
    "UnparsableDateError",
    "ConstraintError",
    "CodeSystemError",
    "DateRuleError",
    "FutureDateError",
    "BeforeBirthError",
    "DateOrderError",
    "AfterExitError",
    "VisitAfterExitError",
    "OutsideEmploymentError",
    "DuplicateKeyError",
    "ForeignKeyError",
    "ConsistencyError",
    "IdentifierError",
    "raise_problems",
]


@dataclass(frozen=True)
class Problem:
    """One contract violation (or a summary of several rows breaking the same rule).

    Attributes
    ----------
    kind : type
        The :class:`ExtractValidationError` subclass describing the problem.
    table, file : str or None
        Table and file name.
    rule : str
        Rule broken (``"required"``, ``"enum"``, ``"primary_key"``, ``"not_after_exit"``...).
    message : str
        Explanation and how to fix it.
    row : int or None
        1-based data row in the file (CSV line = row + 1 when no value spans several lines
        and no line is blank); 0 for the header.
    column : str or None
        Column concerned.
    value : object
        What may be shown of the offending value: identifiers (NIR/INS-shaped values, and every
        key value when the caller pseudonymises) are masked, long values shortened.
    count : int
        Number of rows breaking this rule in this column (for the first example of a rule).
    """

    kind: type
    table: str | None
    file: str | None
    rule: str
    message: str
    row: int | None = None
    column: str | None = None
    value: Any = None
    count: int = 1

    def __str__(self) -> str:
        where = [self.file or self.table or "extract"]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        if self.value is not None:
            where.append(f"value {self.value!r}")
        more = f" [{self.count} rows break this rule]" if self.count > 1 else ""
        return f"{', '.join(where)}: {self.rule}: {self.message}{more}"


class ExtractValidationError(ExtractError):
    """An extract breaks the contract; ``problems`` lists what was found (up to a limit).

    Parameters
    ----------
    problems : list of Problem
        Problems found (at most ``max_errors``).
    source : str, optional
        Folder of the extract.
    truncated : bool, default=False
        More problems exist than are listed.
    """

    def __init__(self, problems: list[Problem], source: str | None = None,
                 truncated: bool = False) -> None:
        self.problems = list(problems)
        self.source = source
        self.truncated = truncated
        head = (f"extract {source!r} " if source else "extract ") + (
            f"does not satisfy the contract: {len(self.problems)} problem(s)"
            + (" (list truncated; raise max_errors to see more)" if truncated else "") + ":")
        super().__init__("\n".join([head] + [f"  - {p}" for p in self.problems]))

    def of_kind(self, kind: type) -> list[Problem]:
        """Problems of one kind (including subclasses)."""
        return [p for p in self.problems if issubclass(p.kind, kind)]

    def __reduce__(self) -> Any:
        return (ExtractValidationError, (self.problems, self.source, self.truncated))


class MissingTableError(ExtractValidationError):
    """A table of the contract has no file in the extract folder."""


class EmptyFileError(ExtractValidationError):
    """A file is empty (0 bytes), or a table that must have rows has none."""


class FileFormatError(ExtractValidationError):
    """A file cannot be parsed (malformed CSV, unreadable Parquet)."""


class EncodingError(FileFormatError):
    """A CSV file is not valid UTF-8 (e.g. Latin-1/Windows-1252 or UTF-16)."""


class DelimiterError(FileFormatError):
    """A CSV file does not use the expected delimiter."""


class ColumnError(ExtractValidationError):
    """The columns of a table differ from the contract."""


class MissingColumnError(ColumnError):
    """A column of the contract is absent."""


class ExtraColumnError(ColumnError):
    """A column not in the contract is present."""


class DuplicateColumnError(ColumnError):
    """A file holds several columns of the same name (compared without case)."""


class TypeMismatchError(ExtractValidationError):
    """A column or value has the wrong type."""


class UnparsableDateError(TypeMismatchError):
    """A date value is not an ISO ``YYYY-MM-DD`` calendar date."""


class ConstraintError(ExtractValidationError):
    """A value breaks a field constraint (required, enum, pattern, range, items)."""


class CodeSystemError(ConstraintError):
    """A code does not match the code system (and version) declared for it."""


class DateRuleError(ExtractValidationError):
    """A date breaks a chronological rule."""


class FutureDateError(DateRuleError):
    """A date is after the extraction date."""


class BeforeBirthError(DateRuleError):
    """A date is before the worker's year of birth."""


class DateOrderError(DateRuleError):
    """An end date is before its start date."""


class AfterExitError(DateRuleError):
    """A record (visit, employment) is dated after the worker's exit from follow-up."""


class VisitAfterExitError(AfterExitError):
    """A visit is dated after the worker's exit from follow-up."""


class DuplicateKeyError(ExtractValidationError):
    """Several rows share a primary key."""


class ForeignKeyError(ExtractValidationError):
    """A reference points to no row of the parent table (orphan)."""


class ConsistencyError(ExtractValidationError):
    """Rows of two tables contradict each other (e.g. a visit's employment belongs to another
    worker)."""


class OutsideEmploymentError(DateRuleError, ConsistencyError):
    """A visit is dated after the end of the employment it refers to."""


class IdentifierError(ExtractValidationError):
    """Direct identifiers (NIR/INS, names, full birth dates, addresses) are present."""


def _combined(kinds: list[type]) -> type:
    keep = [k for k in kinds if not any(o is not k and issubclass(o, k) for o in kinds)]
    if len(keep) == 1:
        return keep[0]
    return type("ExtractValidationError", tuple(keep), {"__module__": __name__})


def raise_problems(problems: list[Problem], source: str | None, truncated: bool) -> None:
    """Raise one error for all problems (no-op when there are none)."""
    if not problems:
        return
    kinds: list[type] = []
    for p in problems:
        if p.kind not in kinds:
            kinds.append(p.kind)
    raise _combined(kinds)(problems, source, truncated)
