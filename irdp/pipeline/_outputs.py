"""What a run writes besides the report: models, failure.json, the disclosure manifest, the
identifier scan and the disclosure audit that withholds what breaches (private)."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path
from typing import Any

from irdp.exceptions import DisclosureError
from irdp.pipeline._state import _json_default, _record_failure, _State
from irdp.privacy import audit_run, withhold
from irdp.privacy.runs import MANIFEST_NAME, WITHHELD_DIR, write_reasons
from irdp.report import scan_identifiers

#: Folder of a run where files holding an identifier or breaching the disclosure audit are
#: moved (never published).
WITHHELD = WITHHELD_DIR


def write_models(st: _State) -> None:
    """Export every fitted index and its preprocessing to ``models/``."""
    folder = st.run_dir / "models"
    folder.mkdir(exist_ok=True)
    for name, model in st.fitted.items():
        # cohort, horizon and preprocessing travel with the model: `irdp score` rebuilds the
        # run's predictions from a new extract
        base = next((i.base for i in st.cfg.indices if i.name == name), None)
        prep = st.preprocessing.get(name) or st.preprocessing.get(base)
        try:
            spec = model.export(cohort=st.cohort.definition, horizon=st.horizon,
                                preprocessing=prep, min_count=st.report.policy.min_count)
        except DisclosureError as err:  # too few events for a confidential baseline
            _record_failure(st, ("model",), f"model export {name}", "withheld", err)
            continue
        (folder / f"{name}.json").write_text(
            json.dumps(spec, indent=2, sort_keys=True, default=_json_default) + "\n",
            encoding="utf-8")
        if name in st.preprocessing:  # what to apply to raw features before the model
            path = folder / f"{name}.preprocessing.json"
            path.write_text(json.dumps(st.preprocessing[name].to_dict(), indent=2,
                                       sort_keys=True, default=_json_default) + "\n",
                            encoding="utf-8")


def write_quality(st: _State) -> None:
    """The data-quality summary of the extract (as ``irdp check`` prints it)."""
    if st.quality_text is not None:
        (st.run_dir / "quality_report.txt").write_text(st.quality_text, encoding="utf-8")


def write_failure(run_dir: Path, record: dict[str, Any]) -> Path:
    """Write ``failure.json`` (a stopped run: step, error, traceback, failures so far)."""
    path = run_dir / "failure.json"
    path.write_text(json.dumps(record, indent=2, default=_json_default) + "\n",
                    encoding="utf-8")
    return path


def write_disclosure(st: _State, suppressed: Any) -> dict[str, Any]:
    """Write ``disclosure.json``: the policy, the structure of every published table (no
    values) and what was suppressed; return its summary for ``provenance.json``.

    ``suppressed`` is the result of :meth:`irdp.report.Report.suppress_linked` (the tables
    of the run suppressed together). The manifest lets ``irdp audit`` rebuild the linked
    system from the published CSV files.
    """
    policy = st.report.policy
    manifest = suppressed.manifest()
    for t in manifest["tables"]:
        t["file"] = f"tables/{t['name']}.csv"
    tables = {}
    for b in st.report.tables():
        if b.mask is None:
            continue
        m = b.mask.to_numpy(dtype=bool)
        tables[b.name] = {"suppressed_cells": int(m.sum()),
                          "columns": sorted(str(c) for c in b.mask.columns[m.any(axis=0)])}
    summary = {
        "policy": policy.to_dict(),
        "statement": policy.as_text(),
        "n_tables_linked": len(manifest["tables"]),
        "n_primary": int(suppressed.n_primary),
        "n_secondary": int(suppressed.n_secondary),
        "n_rates": int(suppressed.n_rates),
        "n_unprotected": len(suppressed.unprotected),
        "linking_errors": list(suppressed.stats.get("errors", [])),
        "suppressed_cells": sum(v["suppressed_cells"] for v in tables.values()),
    }
    manifest["summary"] = summary
    manifest["suppressed"] = tables
    manifest["columns"] = {b.name: b.column_kinds for b in st.report.tables()
                           if any(b.column_kinds.values())}
    manifest["explanation"] = (
        "Disclosure control of this run: every count of 1 to min_count - 1 is suppressed "
        "(primary), and further cells (complementary) so that no suppressed count can be "
        "recovered by combining the tables of the run (declared together below, with their "
        "shared margins and the rates with their denominators). Suppressed cells show "
        f"{policy.marker}. 'suppressed' lists, per table, how many cells are hidden and in "
        "which columns; no value is given here.")
    (st.run_dir / MANIFEST_NAME).write_text(
        json.dumps(manifest, indent=1, sort_keys=False, default=_json_default,
                   ensure_ascii=False) + "\n", encoding="utf-8")
    return summary


def audit_and_withhold(st: _State) -> dict[str, Any]:
    """The disclosure audit of the whole run folder (:func:`irdp.privacy.audit_run`).

    Every output is re-read as an attacker would (tables, report.html, model exports, figure
    sidecars, identifiers of the extract); on a breach the files involved are moved to
    ``withheld/`` with the reasons (:func:`irdp.privacy.withhold`), and the run exits with
    code 4. Returns the audit summary for ``provenance.json`` (no value, no identifier).
    """
    result = audit_run(st.run_dir, policy=st.report.policy, identifiers=st.identifiers)
    moved = withhold(st.run_dir, result) if not result.clean else []
    withheld_dir = st.run_dir / WITHHELD
    return {
        "clean": result.clean,
        "n_recoverable": result.n_recoverable,
        "n_identifiers": sum(1 for f in result.findings if f.kind == "identifier"),
        "n_findings": len(result.findings),
        "n_cells_checked": result.n_cells_checked,
        "withheld": sorted(p.relative_to(withheld_dir).as_posix() for p in moved),
        "notes": list(result.notes),
    }


def scan_and_withhold(st: _State) -> dict[str, Any]:
    """Scan the run folder for the extract's identifiers; move files holding one aside.

    Files where the scan finds an identifier value (or an identifier column) are moved to
    ``withheld/`` (same relative path) with ``withheld/reasons.json``; the rest of the run
    stays. Nothing printed or written here shows an identifier.

    Returns
    -------
    dict
        ``searched`` (number of identifier values), ``withheld`` (relative paths) and
        ``warnings`` (e.g. identifiers too short to be searched), for ``provenance.json``.
    """
    run_dir = st.run_dir
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        findings = scan_identifiers(run_dir, st.identifiers, max_findings=10_000)
    texts = [f"{w.category.__name__}: {w.message}" for w in caught]
    if texts:
        st.warnings.setdefault("identifier_scan", []).extend(texts)
    reasons: dict[str, list[str]] = {}
    for f in findings:
        rel = f.path.relative_to(run_dir).as_posix()
        what = (f"an identifier column header ({f.token})" if f.kind == "column"
                else "an identifier value of the extract")
        reasons.setdefault(rel, [])
        if what not in reasons[rel]:
            reasons[rel].append(what)
    if reasons:
        target = run_dir / WITHHELD
        for rel in reasons:
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(run_dir / rel), dest)
        write_reasons(run_dir, {rel: [f"identifier (identifier scan): {w}" for w in why]
                                for rel, why in sorted(reasons.items())}, st.report.policy)
    return {"searched": len(st.identifiers), "withheld": sorted(reasons), "warnings": texts}
