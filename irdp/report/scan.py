"""Scan the files of a run for the extract's worker or company identifiers.

Nothing that leaves irdp may carry a worker, company, employment or visit identifier. The scan
reads every file of a run folder (HTML, CSV, JSON...) and searches it with
:func:`irdp.privacy.find_identifiers` (the one implementation), which splits text into tokens
made of letters, digits, ``_`` and ``-`` (a decimal number such as ``0.0123`` is one token, and
base64-embedded images are single long tokens, so neither can match by chance) and reports
every token that is one of the extract's *actual* identifier values, plus any identifier
column name in CSV headers. Identifier values that are not single tokens (with a ``/`` or a
space, say) are searched as whole words.

Numeric identifiers are allowed (pseudonymous keys exported by SPSTI software often are) and
searched like any other value, with one limit: a numeric identifier of fewer than
:data:`MIN_NUMERIC_DIGITS` digits and no leading zero cannot be told apart from a count or a
number printed in a table, so it is not searched; :func:`scan_identifiers` says how many such
values there were with an :class:`~irdp.exceptions.IrdpWarning` (pseudonymise such keys with
``irdp.io.read_extract(..., pseudonymise=...)`` to have them checked).

A finding never shows the identifier in its ``repr``: print the file and the kind, not the
value.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from irdp.exceptions import IrdpWarning
from irdp.privacy import find_identifiers

__all__ = ["IdentifierFinding", "scan_identifiers", "IDENTIFIER_COLUMNS", "MIN_NUMERIC_DIGITS"]

#: Column names of the contract that hold identifiers.
IDENTIFIER_COLUMNS = ("worker_id", "company_id", "employment_id", "visit_id", "exposure_id")

#: Numeric identifiers shorter than this (and without a leading zero) are not searched.
MIN_NUMERIC_DIGITS = 6


@dataclass(frozen=True)
class IdentifierFinding:
    """One identifier found in a file (``kind``: ``value`` or ``column``).

    ``token`` holds the identifier (or the column name); it is left out of the ``repr`` so that
    printing a finding never shows an identifier.
    """

    path: Path
    kind: str
    token: str = field(repr=False)


def _searchable(identifier: str) -> bool:
    return not identifier.isdigit() or identifier.startswith("0") or \
        len(identifier) >= MIN_NUMERIC_DIGITS


def scan_identifiers(
    folder: str | Path, identifiers: Iterable[str], *, max_findings: int = 50
) -> list[IdentifierFinding]:
    """Find identifier values (and identifier column headers in CSV files) under ``folder``.

    Parameters
    ----------
    folder : str or pathlib.Path
        A run folder (scanned recursively).
    identifiers : iterable of str
        Every identifier value of the extract (worker, company... keys or pseudonyms).
    max_findings : int, default=50
        Stop after this many findings.

    Returns
    -------
    list of IdentifierFinding
        Empty when the run is clean.

    Warns
    -----
    IrdpWarning
        When some numeric identifiers are too short to be told apart from counts (they are
        not searched; the warning gives their number, never their values).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "t.csv").write_text("group,n,risk\\nW0001,12,0.9000000001\\n")
    >>> [f.token for f in scan_identifiers(d, {"W0001", "W0002", "9000000001"})]
    ['W0001']
    >>> "W0001" in repr(scan_identifiers(d, {"W0001"}))  # never shown
    False
    """
    ids = {str(i) for i in identifiers}
    searchable = {i for i in ids if i and _searchable(i)}
    if len(searchable) < len(ids):
        short = len(ids) - len(searchable)
        warnings.warn(
            f"{short} numeric identifier value(s) have fewer than {MIN_NUMERIC_DIGITS} digits "
            "and cannot be told apart from counts in the outputs: they were not searched. "
            "Pseudonymise such keys when reading the extract to have them checked.",
            IrdpWarning, stacklevel=2)
    findings: list[IdentifierFinding] = []
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        if path.suffix == ".csv":
            header = text.split("\n", 1)[0].lower()
            for col in IDENTIFIER_COLUMNS:
                if re.search(rf"(^|[,;\t\"]){col}($|[,;\t\"])", header):
                    findings.append(IdentifierFinding(path, "column", col))
        # the search itself is irdp.privacy.find_identifiers (one implementation)
        lines = text.splitlines()
        hits = find_identifiers(text, searchable, nir=False, max_hits=max_findings + 1)
        tokens = {lines[h.line - 1][h.column - 1:h.column - 1 + h.length] for h in hits}
        for token in sorted(tokens):
            findings.append(IdentifierFinding(path, "value", token))
            if len(findings) >= max_findings:
                return findings
    return findings
