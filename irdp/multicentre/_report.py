"""The multicentre report written by ``irdp pool`` (private module)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from irdp.multicentre._pool import PooledResult

__all__ = ["write_pooled_report"]

_REFERENCE = {"c_harrell": 0.5, "auc": 0.5, "oe_ratio": 1.0, "calibration_slope": 1.0,
              "citl": 0.0}


def _csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, float_format="%.6g")


def write_pooled_report(result: PooledResult, out: str | Path, *,
                        figure_format: str = "png") -> dict[str, Any]:
    """Write the multicentre report of pooled summary packs to the folder ``out``.

    Files: ``pooled.csv`` (meta-analysis of each index and measure: estimate, 95% CI, 95%
    prediction interval, tau^2, I^2, Q), ``centres.csv``, ``calibration.csv``,
    ``net_benefit.csv``, ``case_mix.csv``, ``packs.csv`` (the packs and their SHA-256), a
    forest plot per index and measure, a calibration plot per index, ``report.md`` and
    ``provenance.json``. Every number comes from the packs (already disclosure-controlled);
    pooled counts are sums of published counts only.

    Returns
    -------
    dict
        ``{"files": [...], "audit": {"clean": bool, "n_recoverable": int}}``.
    """
    from irdp import __version__
    from irdp.privacy import audit_run

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files: list[str] = []
    for name, frame in _published(result).items():
        _csv(frame, out / f"{name}.csv")
        files.append(f"{name}.csv")
    for index, measure in result.meta:
        fig = result.plot(index, measure, reference=_REFERENCE.get(measure))
        files += _figure(fig, out, f"forest_{index}_{measure}", figure_format)
    for index in result.indices:
        fig = result.plot_calibration(index).figure_
        files += _figure(fig, out, f"calibration_{index}", figure_format)
    (out / "report.md").write_text(_markdown(result), encoding="utf-8")
    files.append("report.md")
    prov = {"irdp_version": __version__, "experiment": result.experiment,
            "horizon_days": result.horizon,
            "packs": result.packs.to_dict(orient="records"),
            "method": "random-effects meta-analysis (REML, Hartung-Knapp-Sidik-Jonkman CI, "
                      "prediction interval on k-2 df), Debray et al. 2017"}
    (out / "provenance.json").write_text(json.dumps(prov, indent=2, default=str) + "\n",
                                         encoding="utf-8")
    files.append("provenance.json")
    audit = audit_run(out)
    return {"files": files, "audit": {"clean": bool(audit.clean),
                                      "n_recoverable": int(audit.n_recoverable)}}


def _published(result: PooledResult) -> dict[str, pd.DataFrame]:
    """The tables as written: numbers that are not counts of people written as labels.

    The number of SPSTI pooled ("5 of 8") and the net-benefit thresholds ("2%") are
    labels, not counts or rates, and the bin edges are in the bin label: written as
    numbers, a reader (and the audit) would take them for counts of people or for rates
    to multiply with the counts of the same row.
    """
    k = len(result.packs)
    pooled = result.to_frame()
    pooled["k"] = [f"{v} of {k}" for v in pooled["k"]]
    pooled = pooled.rename(columns={"k": "spsti_pooled"})
    cal = result.calibration.drop(columns=["lower", "upper"])
    cal["n_centres"] = [None if pd.isna(v) else f"{int(v)} of {k}" for v in cal["n_centres"]]
    cal = cal.rename(columns={"n_centres": "spsti_pooled"})
    nb = result.net_benefit.copy()
    nb["threshold"] = [f"{100 * t:g}%" for t in nb["threshold"]]
    return {"pooled": pooled, "centres": result.centres, "calibration": cal,
            "net_benefit": nb, "case_mix": result.case_mix, "packs": result.packs}


def _figure(fig: Any, out: Path, stem: str, figure_format: str) -> list[str]:
    """Save a figure and its data sidecar (the coordinates drawn, read by the audit)."""
    from irdp.privacy import figure_sidecar

    fig.savefig(out / f"{stem}.{figure_format}", dpi=110, bbox_inches="tight")
    display = getattr(fig, "display_", None)
    if display is None:
        return [f"{stem}.{figure_format}"]
    side = figure_sidecar(display.to_frame(), figure=stem, kind="points")
    (out / f"{stem}.data.json").write_text(json.dumps(side, default=str) + "\n",
                                           encoding="utf-8")
    return [f"{stem}.{figure_format}", f"{stem}.data.json"]


def _fmt(x: Any) -> str:
    return "—" if x is None or (isinstance(x, float) and not np.isfinite(x)) else f"{x:.3f}"


def _markdown(result: PooledResult) -> str:
    lines = [
        f"# Multicentre validation: {result.experiment.get('name', '')}", "",
        f"Pooled from {len(result.packs)} SPSTI summary packs "
        f"({', '.join(result.packs['spsti'])}); no individual data were read. Horizon "
        f"{result.horizon} days. Random-effects meta-analysis (REML, HKSJ 95% CI) with a 95% "
        "prediction interval for the performance in a new SPSTI (Debray et al. 2017).", "",
        "| index | measure | pooled | 95% CI | 95% prediction interval | I² (%) | k |",
        "|---|---|---|---|---|---|---|",
    ]
    for (index, measure), r in result.meta.items():
        lines.append(f"| {index} | {measure} | {_fmt(r.estimate)} | {_fmt(r.lower)} to "
                     f"{_fmt(r.upper)} | {_fmt(r.pi_lower)} to {_fmt(r.pi_upper)} | "
                     f"{_fmt(r.i2)} | {r.k} |")
    notes = [f"- {i} / {m}: {r.note}" for (i, m), r in result.meta.items() if r.note]
    if notes:
        lines += ["", "Not pooled:", *notes]
    supp = result.centres[result.centres["suppressed"].astype(bool)]
    if len(supp):
        which = ", ".join(f"{a} in {b}" for a, b in zip(supp["index"], supp["centre"],
                                                         strict=True))
        lines += ["", "Suppressed (fewer than the disclosure threshold of workers, events or "
                  f"non-events): {which}."]
    lines += ["", "Files: pooled.csv, centres.csv, calibration.csv, net_benefit.csv, "
              "case_mix.csv, packs.csv, forest_*.png, calibration_*.png, provenance.json.", ""]
    return "\n".join(lines)
