"""Scan the files of a run for worker or company identifiers.

Nothing that leaves irdp may carry a worker, company, employment or visit identifier. The scan
reads every file of a run folder (HTML, CSV, JSON...), splits its text into tokens made of
letters, digits, ``_`` and ``-`` (so base64-embedded images are single long tokens and cannot
match by chance) and reports every token that is a known identifier, plus any identifier
column name in CSV headers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["IdentifierFinding", "scan_identifiers", "IDENTIFIER_COLUMNS"]

#: Column names of the contract that hold identifiers.
IDENTIFIER_COLUMNS = ("worker_id", "company_id", "employment_id", "visit_id", "exposure_id")

_TOKEN = re.compile(r"[A-Za-z0-9_\-]+")


@dataclass(frozen=True)
class IdentifierFinding:
    """One identifier found in a file (``kind``: ``value`` or ``column``)."""

    path: Path
    kind: str
    token: str


def scan_identifiers(
    folder: str | Path, identifiers: Iterable[str], *, max_findings: int = 50
) -> list[IdentifierFinding]:
    """Find identifier values (and identifier column headers in CSV files) under ``folder``.

    Parameters
    ----------
    folder : str or pathlib.Path
        A run folder (scanned recursively).
    identifiers : iterable of str
        Every identifier value of the extract (worker, company... pseudonyms).
    max_findings : int, default=50
        Stop after this many findings.

    Returns
    -------
    list of IdentifierFinding
        Empty when the run is clean.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "t.csv").write_text("group,n\\nW0001,12\\n")
    >>> [f.token for f in scan_identifiers(d, {"W0001", "W0002"})]
    ['W0001']
    """
    ids = {str(i) for i in identifiers}
    numeric = [i for i in ids if i.isdigit()]
    if numeric:
        raise ValueError(
            f"identifiers must not be purely numeric (found {len(numeric)}, e.g. "
            f"{sorted(numeric)[:5]}); counts in tables would match them. Pseudonymise them "
            "with irdp.privacy.pseudonymise first."
        )
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
        for token in set(_TOKEN.findall(text)) & ids:
            findings.append(IdentifierFinding(path, "value", token))
            if len(findings) >= max_findings:
                return findings
    return findings
