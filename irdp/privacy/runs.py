"""Audit of a run folder as an attacker would read it, and withholding of what breaches.

:func:`audit_run` re-reads everything a run wrote — CSV tables, the HTML tables of
``report.html``, exported models (JSON), figure data sidecars (``<figure>.data.json``) and
every text file — and tries the attacks of issue 11: LP differencing within and across
tables (from the declared structure in ``disclosure.json`` when the run wrote one, and from the
relations a reader can discover in the numbers themselves), rates times denominators,
model-export increments, figure steps, and identifiers (NIR/INS-shaped values, and the
extract's identifier values when given). :func:`withhold` moves the files involved in a
breach to ``withheld/`` with a ``reasons.json``.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from irdp.privacy._published import (
    PublishedTable,
    audit_published_tables,
    read_html_tables,
)
from irdp.privacy.attacks import FIGURE_DATA_FORMAT, figure_findings, model_export_findings
from irdp.privacy.audit import AuditResult, Finding
from irdp.privacy.identifiers import find_identifiers
from irdp.privacy.policy import DisclosurePolicy

__all__ = [
    "MANIFEST_NAME",
    "WITHHELD_DIR",
    "audit_run",
    "audit_tables",
    "withhold",
]

#: File holding the declared structure of a run's tables (:meth:`LinkedTables.manifest`).
MANIFEST_NAME = "disclosure.json"
#: Folder (inside the run folder) receiving withheld outputs.
WITHHELD_DIR = "withheld"
_TEXT_SUFFIXES = {".csv", ".html", ".htm", ".json", ".txt", ".md", ".svg", ".tsv", ".log",
                  ".yaml", ".yml", ".py", ".ipynb", ".tex"}


def _policy_of(run_dir: Path, policy: DisclosurePolicy | None) -> DisclosurePolicy:
    if policy is not None:
        if not isinstance(policy, DisclosurePolicy):
            raise TypeError(f"policy must be a DisclosurePolicy; got {type(policy).__name__}.")
        return policy
    for name, key in ((MANIFEST_NAME, "policy"), ("provenance.json", "disclosure")):
        path = run_dir / name
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue
            block = data.get(key) if isinstance(data, dict) else None
            if isinstance(block, dict) and "policy" in block and key == "disclosure":
                block = block["policy"]
            if isinstance(block, dict) and "min_count" in block:
                return DisclosurePolicy.from_dict(block)
    return DisclosurePolicy()


def _frame_text(frame: pd.DataFrame, marker: str) -> pd.DataFrame:
    def fmt(v: Any) -> str:
        if v is None or v is pd.NA or (isinstance(v, float) and v != v):
            return marker
        if isinstance(v, bool | np.bool_):
            return str(bool(v))
        if isinstance(v, float | np.floating):
            v = float(v)
            if v == int(v) and abs(v) < 1e15:
                return f"{v:.1f}"
            return f"{v:.6g}"
        return str(v)

    return frame.reset_index(drop=True).astype(object).map(fmt)


def audit_tables(
    tables: Mapping[str, pd.DataFrame],
    *,
    policy: DisclosurePolicy | None = None,
    significant_digits: int | None = 6,
) -> AuditResult:
    """Audit published tables as a reader would, from their numbers alone.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        The tables as published: frames of strings (as written), or frames of values in
        which missing cells are read as suppressed.
    policy : DisclosurePolicy, optional
    significant_digits : int or None, default=6
        Precision of printed decimals (irdp writes 6 significant digits); ``None`` reads only
        the digits printed.

    Returns
    -------
    AuditResult

    Examples
    --------
    A suppressed cell whose row total and partner are published is recovered:

    >>> import pandas as pd
    >>> t = pd.DataFrame({"group": ["A", "B", "all"], "events": ["[c]", "40", "46"],
    ...                   "non_events": ["30", "60", "90"], "n": ["36", "100", "136"]})
    >>> r = audit_tables({"t": t})
    >>> r.n_recoverable, r.findings[0].lower
    (1, 6.0)
    """
    policy = policy or DisclosurePolicy()
    pubs = []
    for name, frame in tables.items():
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"tables[{name!r}] must be a DataFrame; got {type(frame).__name__}.")
        text = frame if all(pd.api.types.is_object_dtype(frame[c]) or
                            pd.api.types.is_string_dtype(frame[c]) for c in frame.columns) \
            and not frame.isna().any().any() else _frame_text(frame, policy.marker)
        pubs.append(PublishedTable.from_text(name, (name,), text, marker=policy.marker,
                                             significant_digits=significant_digits))
    findings, n, relations = audit_published_tables(pubs, policy,
                                                    significant_digits=significant_digits)
    notes = (f"{len(relations)} relation(s) between published numbers found.",)
    return AuditResult(tuple(findings), policy, n, tuple(tables), notes)


def _read_tables(run_dir: Path, files: list[Path], policy: DisclosurePolicy,
                 significant_digits: int | None) -> tuple[list[PublishedTable], list[str]]:
    tables: list[PublishedTable] = []
    notes: list[str] = []
    by_content: dict[tuple[Any, ...], PublishedTable] = {}
    by_name: dict[str, PublishedTable] = {}
    for path in files:
        if path.suffix.lower() != ".csv":
            continue
        rel = path.relative_to(run_dir).as_posix()
        try:
            text = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
            notes.append(f"{rel}: not read as a table ({type(err).__name__}).")
            continue
        t = PublishedTable.from_text(rel, (rel,), text, marker=policy.marker,
                                     significant_digits=significant_digits)
        tables.append(t)
        by_content[_content(text)] = t
        by_name[rel] = t
    for path in files:
        if path.suffix.lower() not in (".html", ".htm"):
            continue
        rel = path.relative_to(run_dir).as_posix()
        html = path.read_text(encoding="utf-8", errors="replace")
        for k, frame in enumerate(read_html_tables(html)):
            same = by_content.get(_content(frame))
            source = by_name.get(f"tables/{frame.attrs.get('source')}.csv")
            if same is None and source is not None and _integers(frame) <= _integers(
                    source.text) | {"0"}:
                # the same table as its CSV file, formatted for reading (labels, layout):
                # it shows no count that the CSV does not, and is audited as the CSV
                same = source
            if same is not None:
                same.files = tuple(sorted(set(same.files) | {rel}))
                continue
            tables.append(PublishedTable.from_text(f"{rel}#table{k + 1}", (rel,), frame,
                                                   marker=policy.marker,
                                                   significant_digits=significant_digits))
    return tables, notes


def _declared_tables(run_dir: Path) -> set[str]:
    """The CSV files whose structure ``disclosure.json`` declares."""
    path = run_dir / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        return set()
    return {t.get("file") or f"tables/{t['name']}.csv"
            for t in manifest.get("tables", []) if isinstance(t, dict) and "name" in t}


def _apply_declared_kinds(run_dir: Path, tables: list[PublishedTable],
                          notes: list[str]) -> None:
    """Columns that ``disclosure.json`` declares as not counts of people (``not_counts``:
    numbers of SPSTI, periods, resamples...) or not proportions of people (``statistics``:
    estimates and design parameters such as a simulated missingness rate) are left out of
    the count and rate attacks of the tables that carry them (in the CSV and in the HTML)."""
    path = run_dir / MANIFEST_NAME
    if not path.is_file():
        return
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return
    kinds = dict(manifest.get("columns") or {}) if isinstance(manifest, dict) else {}
    # a rate declared with its numerator and denominator, or a column derived from declared
    # counts (hidden whenever they are: Table 1's percentages and means), is audited by the
    # declared structure (the reader knows its denominator): no guess of other denominators
    for spec in manifest.get("tables", []) if isinstance(manifest, dict) else []:
        declared = set(spec.get("rates") or ()) | set(spec.get("derived") or ()) \
            if isinstance(spec, dict) else set()
        if declared and "name" in spec:
            entry = dict(kinds.get(spec["name"]) or {})
            entry["statistics"] = sorted(set(entry.get("statistics", ())) | declared)
            kinds[spec["name"]] = entry
    if not kinds:
        return
    n = 0
    for t in tables:
        for f in t.files:
            name = f[len("tables/"):-len(".csv")] if f.startswith("tables/") else None
            spec = kinds.get(name) if name else None
            if not isinstance(spec, dict):
                continue
            skip_counts = set(spec.get("not_counts", ()))
            skip_rates = set(spec.get("statistics", ()))
            before = len(t.counts) + len(t.numbers)
            t.counts = [c for c in t.counts if c not in skip_counts]
            t.numbers = [c for c in t.numbers if c not in skip_rates]
            n += before - len(t.counts) - len(t.numbers)
    if n:
        notes.append(f"{MANIFEST_NAME}: {n} column(s) declared as not counts or not "
                     "proportions of people were left out of the count and rate attacks.")


def _integers(frame: pd.DataFrame) -> set[str]:
    """Every whole number printed in a table (thousands separators removed)."""
    out = set()
    for v in frame.astype(str).to_numpy().ravel():
        for tok in re.findall(r"(?<![\d.])\d[\d,\u202f\u00a0 ]*(?![\d.])", v):
            out.add(re.sub(r"[,\u202f\u00a0 ]", "", tok).lstrip("0") or "0")
    return out


def _content(frame: pd.DataFrame) -> tuple[Any, ...]:
    f = frame.astype(str)
    return (tuple(str(c) for c in f.columns),
            tuple(tuple(v.strip() for v in row) for row in f.itertuples(index=False)))


def _manifest_findings(run_dir: Path, tables: list[PublishedTable],
                       policy: DisclosurePolicy) -> tuple[list[Finding], int, list[str]]:
    path = run_dir / MANIFEST_NAME
    if not path.is_file():
        return [], 0, [f"no {MANIFEST_NAME}: the structure of the tables was inferred from "
                       "their numbers only."]
    from irdp.privacy.linked import LinkedTables

    manifest = json.loads(path.read_text(encoding="utf-8"))
    files = {t.name: t for t in tables}
    frames: dict[str, pd.DataFrame] = {}
    where: dict[str, str] = {}
    for spec in manifest.get("tables", []):
        t = files.get(spec.get("file") or f"tables/{spec['name']}.csv")
        if t is None:
            continue
        f = pd.DataFrame(index=range(len(t.text)))
        for c in t.text.columns:
            cells = t.cells[c]
            if c in spec["counts"] or c in spec["rates"]:
                f[c] = [x.value if x.kind in ("count", "number") else np.nan for x in cells]
            else:
                f[c] = t.text[c]
        frames[spec["name"]] = f
        where[spec["name"]] = "|".join(t.files)
    # populations share no constraint: each is audited as its own linear system
    pops = sorted({str(t.get("population", "cohort")) for t in manifest.get("tables", [])})
    findings = []
    n_checked = 0
    for pop in pops:
        part = {**manifest,
                "tables": [t for t in manifest.get("tables", []) if t.get("population") == pop],
                **{k: [x for x in manifest.get(k, []) if x.get("population") == pop]
                   for k in ("levels", "hierarchies", "known")}}
        if not any(t["name"] in frames for t in part["tables"]):
            continue
        try:
            result = LinkedTables.from_manifest(part, frames, policy).audit()
        except ValueError as err:  # the published numbers contradict the declared structure
            findings.append(Finding("inconsistent", "lp-differencing (declared)", (), "",
                                    f"population {pop!r}: the declared structure does not fit "
                                    f"the published numbers ({err}); its LP audit is "
                                    "incomplete"))
            continue
        findings += list(result.findings)
        n_checked += result.n_cells_checked
    out = []
    for f in findings:
        fs = tuple(sorted({p for name in f.files for p in where.get(name, name).split("|")}))
        out.append(Finding(f.kind, "lp-differencing (declared)", fs, f.location, f.message,
                           f.lower, f.upper))
    missing = [s["name"] for s in manifest.get("tables", []) if s["name"] not in frames]
    notes = [f"{MANIFEST_NAME}: {len(frames)} declared table(s) audited"
             + (f"; {len(missing)} declared table(s) not found" if missing else "") + "."]
    return out, n_checked, notes


def audit_run(
    run_dir: str | Path,
    *,
    policy: DisclosurePolicy | None = None,
    identifiers: Iterable[str] = (),
    significant_digits: int | None = 6,
    require_nir_key: bool = True,
) -> AuditResult:
    """Try every attack of the audit on the outputs of a run folder.

    Parameters
    ----------
    run_dir : str or pathlib.Path
        The run folder (``reports/<name>/<run-id>/``); ``withheld/`` is not read.
    policy : DisclosurePolicy, optional
        Default: the policy recorded in ``disclosure.json`` or ``provenance.json``
        (``disclosure.policy``), else ``DisclosurePolicy()``.
    identifiers : iterable of str, default=()
        Identifier values of the extract (worker, company... ids as they appear in the data
        read by the run): any of them found in an output is a breach. Values are never
        printed.
    significant_digits : int or None, default=6
        Precision of the decimals the run printed (irdp writes 6 significant digits).
    require_nir_key : bool, default=True
        Report NIR-shaped numbers only with a valid control key.

    Returns
    -------
    AuditResult
        ``clean`` when nothing was recovered; ``breaching_files()`` for :func:`withhold`.

    Raises
    ------
    FileNotFoundError
        When ``run_dir`` is not a folder.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"run_dir must be a run folder; {run_dir} is not a directory.")
    policy = _policy_of(run_dir, policy)
    files = sorted(p for p in run_dir.rglob("*") if p.is_file()
                   and WITHHELD_DIR not in p.relative_to(run_dir).parts[:1])
    tables, notes = _read_tables(run_dir, files, policy, significant_digits)
    _apply_declared_kinds(run_dir, tables, notes)
    findings, n_checked, relations = audit_published_tables(
        tables, policy, significant_digits=significant_digits,
        declared=_declared_tables(run_dir))
    notes.append(f"{len(tables)} table(s) read; {len(relations)} relation(s) between "
                 "published numbers found.")
    declared, n_declared, more = _manifest_findings(run_dir, tables, policy)
    findings += declared
    notes += more
    found, n_figures = _json_findings(run_dir, files, policy, notes)
    findings += found
    findings += _identifier_findings(run_dir, files, identifiers, require_nir_key, notes)
    figures = [p for p in files if p.suffix.lower() in (".png", ".svg")]
    if figures:
        notes.append(f"{len(figures)} image file(s) checked only through data sidecars "
                     f"({n_figures} sidecar(s) read).")
    findings = _dedupe(findings)
    return AuditResult(tuple(findings), policy, n_checked + n_declared,
                       tuple(p.relative_to(run_dir).as_posix() for p in files), tuple(notes))


def _json_findings(run_dir: Path, files: list[Path], policy: DisclosurePolicy,
                   notes: list[str]) -> tuple[list[Finding], int]:
    """Model exports and figure data sidecars; returns the findings and the sidecars read."""
    findings: list[Finding] = []
    n_figures = 0
    for path in files:
        if path.suffix.lower() != ".json" or path.name in (MANIFEST_NAME, "provenance.json"):
            continue
        rel = path.relative_to(run_dir).as_posix()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            notes.append(f"{rel}: not valid JSON, not checked.")
            continue
        if isinstance(data, dict) and data.get("format") == FIGURE_DATA_FORMAT:
            n_figures += 1
            try:
                findings += figure_findings(data, rel, policy)
            except ValueError as err:
                findings.append(Finding("inconsistent", "figure-steps", (rel,), "", str(err)))
        else:
            findings += model_export_findings(data, rel, policy)
    return findings, n_figures


def _identifier_findings(run_dir: Path, files: list[Path], identifiers: Iterable[str],
                         require_nir_key: bool, notes: list[str]) -> list[Finding]:
    """NIR/INS-shaped values and extract identifiers in every text file (never quoted)."""
    ids = {str(i) for i in identifiers}
    short = {i for i in ids if i.isdigit() and len(i) < 6}
    if short:
        notes.append(f"{len(short)} purely numeric identifier value(s) shorter than 6 digits "
                     "cannot be told apart from counts and were not searched.")
    ids -= short
    findings = []
    for path in files:
        if path.suffix.lower() not in _TEXT_SUFFIXES:
            continue
        rel = path.relative_to(run_dir).as_posix()
        text = path.read_text(encoding="utf-8", errors="replace")
        for hit in find_identifiers(text, ids, require_key=require_nir_key):
            what = ("a value shaped like a NIR/INS" if hit.kind == "nir" else
                    "a value of the extract's identifiers")
            findings.append(Finding("identifier", f"identifier-{hit.kind}", (rel,),
                                    f"line {hit.line}, column {hit.column}", f"{what} is "
                                    "published (not quoted here)"))
    return findings


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, tuple[str, ...], str]] = set()
    out = []
    for f in findings:
        key = (f.kind, f.files, f.location)
        if key in seen:
            continue
        seen.add(key)
        out.append(f)
    return out


def withhold(run_dir: str | Path, audit_result: AuditResult) -> list[Path]:
    """Move the outputs involved in a breach to ``<run_dir>/withheld/``, with the reasons.

    Each breaching file keeps its relative path under ``withheld/``; ``withheld/reasons.json``
    lists, for each, the findings (kind, attack, location, message; never an identifier) and
    the policy. Files not involved stay where they are. Nothing happens when the audit is
    clean.

    Parameters
    ----------
    run_dir : str or pathlib.Path
    audit_result : AuditResult
        The result of :func:`audit_run` on this folder.

    Returns
    -------
    list of pathlib.Path
        The new paths of the moved files.
    """
    run_dir = Path(run_dir)
    if not isinstance(audit_result, AuditResult):
        raise TypeError(f"audit_result must be an AuditResult; got "
                        f"{type(audit_result).__name__}.")
    reasons = audit_result.breaching_files()
    if not reasons:
        return []
    dest_root = run_dir / WITHHELD_DIR
    moved = []
    for rel in sorted(reasons):
        src = run_dir / rel
        if not src.is_file():
            continue
        dest = dest_root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(src), str(dest))
        moved.append(dest)
    write_reasons(run_dir, {rel: reasons[rel] for rel in sorted(reasons)},
                  audit_result.policy)
    return moved


def write_reasons(run_dir: str | Path, reasons: Mapping[str, Sequence[str]],
                  policy: DisclosurePolicy | None = None) -> Path:
    """Write (or extend) ``withheld/reasons.json``: ``{file: [reasons]}`` with the policy.

    Reasons already recorded (by the identifier scan of a run, say) are kept; never an
    identifier or a recovered value is needed here, only what kind of breach it was.
    """
    dest_root = Path(run_dir) / WITHHELD_DIR
    dest_root.mkdir(parents=True, exist_ok=True)
    path = dest_root / "reasons.json"
    files: dict[str, list[str]] = {}
    if path.is_file():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            old = {}
        if isinstance(old, dict) and isinstance(old.get("files"), dict):
            files = {k: list(v) for k, v in old["files"].items()}
    for rel, why in reasons.items():
        have = files.setdefault(rel, [])
        have.extend(w for w in why if w not in have)
    record = {
        "format": "irdp-withheld",
        "version": 1,
        "policy": (policy or DisclosurePolicy()).to_dict(),
        "explanation": ("These outputs were withheld by the disclosure audit (irdp audit) or "
                        "the identifier scan of the run: a count below the threshold could "
                        "be read or recovered from them, or an identifier was found. They "
                        "must not be published."),
        "files": {rel: files[rel] for rel in sorted(files)},
    }
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return path
