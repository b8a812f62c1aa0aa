"""Reading and validating DMST extracts.

- :func:`read_extract` loads a folder of Parquet/CSV files, validates it against the contract in
  ``data_schemas/`` (DuckDB SQL) and returns an :class:`Extract`; :func:`validate_extract`
  checks an in-memory one.
- :func:`load_schemas` / :func:`render_contract`: the contract and its documentation.
- Errors: :class:`ExtractValidationError` and its subclasses (:mod:`irdp.io.errors`).
"""

from irdp.io.errors import (
    AfterExitError,
    BeforeBirthError,
    CodeSystemError,
    ColumnError,
    ConsistencyError,
    ConstraintError,
    DateOrderError,
    DateRuleError,
    DelimiterError,
    DuplicateColumnError,
    DuplicateKeyError,
    EmptyFileError,
    EncodingError,
    ExtraColumnError,
    ExtractValidationError,
    FileFormatError,
    ForeignKeyError,
    FutureDateError,
    IdentifierError,
    MissingColumnError,
    MissingTableError,
    OutsideEmploymentError,
    Problem,
    TypeMismatchError,
    UnparsableDateError,
    VisitAfterExitError,
)
from irdp.io.extract import TABLES, Extract, PartitionLayout, PartitionOpener
from irdp.io.read import read_extract, validate_extract
from irdp.io.schema import SCHEMA_VERSION, TableSchema, load_schemas, render_contract

__all__ = [
    "Extract",
    "PartitionLayout",
    "PartitionOpener",
    "TABLES",
    "SCHEMA_VERSION",
    "TableSchema",
    "load_schemas",
    "render_contract",
    "read_extract",
    "validate_extract",
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
]
