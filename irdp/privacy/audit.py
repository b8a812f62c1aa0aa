"""Result of a disclosure audit: what a reader could recover from the published outputs.

:class:`AuditResult` is returned by :meth:`irdp.privacy.LinkedTables.audit`,
:func:`irdp.privacy.audit_tables` and :func:`irdp.privacy.audit_run`. Each
:class:`Finding` names the attack that succeeded, the files involved and where, and what was
recovered (an interval of counts); it never quotes an identifier.

The criterion
-------------
For every count that a reader cannot read directly (a suppressed cell, or a count implied by
a published rate or step curve), the smallest and largest values compatible with everything
published (every table and cross-table constraint, non-negativity, integrality where cheap,
rates at their printed precision, rounded counts as intervals) form its feasible interval
``[lo, hi]``. The count is **recovered** when ``hi - lo < min_count`` and ``lo < min_count``:
the reader then knows a count below ``min_count`` to within fewer than ``min_count`` values.
A count pinned at exactly 0 is recovered only when the policy protects zeros. A published
count ``0 < n < min_count`` is **readable**.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from irdp._summary import Summary
from irdp.privacy.policy import DisclosurePolicy

__all__ = ["Finding", "AuditResult", "BREACH_KINDS"]

#: Kinds of finding that are disclosure breaches (``inconsistent`` is a problem of the
#: declarations, reported but also treated as a breach: the audit could not prove safety).
BREACH_KINDS = ("readable", "recoverable", "identifier", "inconsistent")


@dataclass(frozen=True)
class Finding:
    """One thing the audit recovered.

    Attributes
    ----------
    kind : {"readable", "recoverable", "identifier", "inconsistent", "note"}
        A small count published as such; a hidden or implied small count narrowed down to
        fewer than ``min_count`` values; an identifier value; published numbers that contradict
        the declared structure; a ``note`` (not a breach: e.g. a relation discovered in the
        numbers that turned out to be a coincidence and was dropped).
    attack : str
        How: ``lp-differencing``, ``rate-denominator``, ``model-export``, ``figure-steps``,
        ``identifier-pattern``, ``identifier-value``...
    files : tuple of str
        Files (relative to the run folder) holding the published numbers involved.
    location : str
        Where in the file (table, row, column, JSON path, line); never an identifier.
    message : str
        What was recovered, in words.
    lower, upper : float
        Feasible interval of the count (NaN when not a count).
    """

    kind: str
    attack: str
    files: tuple[str, ...]
    location: str
    message: str
    lower: float = np.nan
    upper: float = np.nan


@dataclass(frozen=True)
class AuditResult:
    """Findings of a disclosure audit (empty when nothing can be recovered).

    Attributes
    ----------
    findings : tuple of Finding
    policy : DisclosurePolicy
    n_cells_checked : int
        Hidden or implied counts whose feasible interval was computed.
    files_checked : tuple of str
        Files read (run-folder audits).
    notes : tuple of str
        What the audit could not check, and why.
    """

    findings: tuple[Finding, ...]
    policy: DisclosurePolicy
    n_cells_checked: int = 0
    files_checked: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def clean(self) -> bool:
        """True when no finding is a breach."""
        return not any(f.kind in BREACH_KINDS for f in self.findings)

    @property
    def n_recoverable(self) -> int:
        """Number of small counts readable or recoverable (all attacks on numbers)."""
        return sum(f.kind in ("readable", "recoverable") for f in self.findings)

    @property
    def n_identifiers(self) -> int:
        """Number of identifier findings."""
        return sum(f.kind == "identifier" for f in self.findings)

    def breaching_files(self) -> dict[str, list[str]]:
        """``{file: [reasons]}`` for every file involved in a breach."""
        out: dict[str, list[str]] = {}
        for f in self.findings:
            if f.kind not in BREACH_KINDS:
                continue
            for path in f.files:
                out.setdefault(path, []).append(f"{f.kind} ({f.attack}): {f.location}: "
                                                f"{f.message}")
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per finding: kind, attack, files, location, message, lower, upper."""
        cols = ["kind", "attack", "files", "location", "message", "lower", "upper"]
        rows = [{"kind": f.kind, "attack": f.attack, "files": ", ".join(f.files),
                 "location": f.location, "message": f.message, "lower": f.lower,
                 "upper": f.upper} for f in self.findings]
        return pd.DataFrame(rows, columns=cols)

    def summary(self) -> Summary:
        """Counts of findings by kind and attack, with the policy and the verdict."""
        frame = self.to_frame()
        if frame.empty:
            table = pd.DataFrame({"findings": pd.Series([], dtype="int64")})
        else:
            table = frame.groupby(["kind", "attack"]).size().rename("findings").to_frame()
        verdict = ("CLEAN: no count below the threshold can be read or recovered, and no "
                   "identifier was found." if self.clean else
                   f"BREACH: {self.n_recoverable} small count(s) readable or recoverable, "
                   f"{self.n_identifiers} identifier finding(s).")
        notes = [verdict, self.policy.as_text(),
                 f"{self.n_cells_checked} hidden or implied count(s) checked by linear "
                 f"programming; {len(self.files_checked)} file(s) read."]
        notes.extend(self.notes)
        return Summary("Disclosure audit", table, tuple(notes))

    def as_text(self, max_findings: int = 50) -> str:
        """The summary followed by the first findings, as plain text."""
        lines = [self.summary().as_text()]

        def severity(f: Finding) -> tuple[int, float]:
            # identifiers first, then the counts recovered most precisely
            width = f.upper - f.lower if np.isfinite(f.upper - f.lower) else np.inf
            return (0 if f.kind == "identifier" else 1, width if width == width else np.inf)

        breaches = sorted((f for f in self.findings if f.kind in BREACH_KINDS), key=severity)
        shown = breaches[:max_findings]
        for f in shown:
            where = f"{', '.join(f.files)}: " if f.files else ""
            lines.append(f"- [{f.kind}/{f.attack}] {where}{f.location}: {f.message}")
        rest = sum(f.kind in BREACH_KINDS for f in self.findings) - len(shown)
        if rest > 0:
            lines.append(f"... and {rest} more finding(s) (AuditResult.to_frame()).")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``provenance.json``, ``withheld/reasons.json``)."""
        return {
            "clean": self.clean,
            "policy": self.policy.to_dict(),
            "n_recoverable": self.n_recoverable,
            "n_identifiers": self.n_identifiers,
            "n_cells_checked": self.n_cells_checked,
            "files_checked": list(self.files_checked),
            "notes": list(self.notes),
            "findings": [
                {"kind": f.kind, "attack": f.attack, "files": list(f.files),
                 "location": f.location, "message": f.message,
                 "lower": None if np.isnan(f.lower) else f.lower,
                 "upper": None if np.isnan(f.upper) or np.isinf(f.upper) else f.upper}
                for f in self.findings
            ],
        }

    @staticmethod
    def combine(results: list[AuditResult], policy: DisclosurePolicy,
                files_checked: tuple[str, ...] = (), notes: tuple[str, ...] = ()
                ) -> AuditResult:
        """One result from several (findings concatenated)."""
        return AuditResult(
            findings=tuple(f for r in results for f in r.findings),
            policy=policy,
            n_cells_checked=sum(r.n_cells_checked for r in results),
            files_checked=files_checked,
            notes=tuple(n for r in results for n in r.notes) + tuple(notes),
        )


def _mapping_files(result: AuditResult, rename: Mapping[str, str]) -> AuditResult:
    """The same result with table names replaced by file paths."""
    fs = tuple(
        Finding(f.kind, f.attack, tuple(sorted({p for t in f.files
                                                for p in rename.get(t, t).split("|")})),
                f.location, f.message, f.lower, f.upper)
        for f in result.findings
    )
    return AuditResult(fs, result.policy, result.n_cells_checked, result.files_checked,
                       result.notes)
