"""What a run writes besides the report: models, failure.json, the identifier scan (private)."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path
from typing import Any

from irdp.exceptions import DisclosureError
from irdp.pipeline._state import _json_default, _record_failure, _State
from irdp.report import scan_identifiers

#: Folder of a run where files holding an identifier are moved (never published).
WITHHELD = "withheld"


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
                                preprocessing=prep, threshold=st.cfg.report.min_count)
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
        (target / "reasons.json").write_text(json.dumps(
            [{"file": rel, "holds": why} for rel, why in sorted(reasons.items())],
            indent=2) + "\n", encoding="utf-8")
    return {"searched": len(st.identifiers), "withheld": sorted(reasons), "warnings": texts}
