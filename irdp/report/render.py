"""Write a :class:`~irdp.report.Report` to disk: self-contained HTML and CSV tables.

The HTML comes from the jinja2 templates in ``irdp/report/templates/``; everything (style,
figures) is inlined so the file reads offline in any browser. CSV files are written with a
fixed cell format and ``\\n`` line endings, so the same report gives the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from irdp.report.document import Report
from irdp.report.layout import layout
from irdp.report.tripod import checklist

__all__ = ["render_html", "write_tables", "write_figure_data", "write_report", "add_checklist"]


def _env() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("irdp.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def add_checklist(report: Report) -> pd.DataFrame:
    """Fill the ``checklist`` section from the other sections; return the checklist table.

    An item is answered only by a section that was produced and did not fail (see
    :meth:`Report.add_failure`); the reasons of failed sections are in the ``reason``
    column.
    """
    sections = {sid: s for sid, s in report.sections.items() if sid != "checklist"}
    table = checklist({sid: s.answered for sid, s in sections.items()},
                      {sid: s.failures for sid, s in sections.items()})
    report.add_text(
        "checklist",
        "For each TRIPOD+AI item: the report sections that answer it, why it is not answered "
        "(a step that failed or was skipped, or a section this run did not produce), or what "
        "the authors must add before submission. Item numbering and wording: the official "
        "TRIPOD+AI checklist (Collins et al., BMJ 2024;385:e078378).",
    )
    report.add_table("checklist", "tripod_ai_checklist", table,
                     caption="TRIPOD+AI checklist", disclosure=False)
    return table


def render_html(report: Report, *, run_id: str = "", version: str | None = None) -> str:
    """Render the report as one self-contained HTML document (a string).

    The main text holds the sections in reading order with formatted tables and figures;
    long material is moved to the appendix (see :mod:`irdp.report.layout`). The report
    object is not modified.
    """
    if version is None:
        from irdp import __version__ as version
    parts: list[tuple[str, list[Any]]] = []
    for s in report.sections.values():
        if parts and parts[-1][0] == s.part:
            parts[-1][1].append(s)
        else:
            parts.append((s.part, [s]))
    arranged = layout(report)
    main = [(p, ss) for p, ss in parts if p != "Appendix"]
    appendix = [s for p, ss in parts if p == "Appendix" for s in ss]
    template = _env().get_template("report.html.j2")
    return template.render(
        report=report, parts=main, appendix_sections=appendix, run_id=run_id,
        version=version, blocks=arranged.blocks, appendix=arranged.appendix,
        failures=report.failures,
    )


def write_tables(report: Report, folder: str | Path) -> list[Path]:
    """Write every table of the report as ``<folder>/<name>.csv``; return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    marker = report.policy.marker
    paths = []
    for block in report.tables():
        path = folder / f"{block.name}.csv"
        block.display_frame(marker).to_csv(path, index=False, lineterminator="\n")
        paths.append(path)
    return paths


def write_figure_data(report: Report, folder: str | Path) -> list[Path]:
    """Write the data sidecar of every figure as ``<folder>/<name>.data.json``.

    A sidecar holds what the figure draws (:func:`irdp.privacy.figure_sidecar`), so that the
    disclosure audit (:func:`irdp.privacy.audit_run`) checks figures like tables.
    """
    folder = Path(folder)
    paths = []
    for block in report.figures():
        if block.sidecar is None:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{block.name}.data.json"
        text = json.dumps(block.sidecar, indent=1, sort_keys=True, default=str)
        path.write_text(text + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def write_report(report: Report, folder: str | Path, *, run_id: str = "") -> Path:
    """Write ``report.html``, ``tables/*.csv`` and ``figures/*.data.json`` into ``folder``;
    return the HTML path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_tables(report, folder / "tables")
    write_figure_data(report, folder / "figures")
    html = render_html(report, run_id=run_id)
    path = folder / "report.html"
    path.write_text(html, encoding="utf-8", newline="\n")
    return path
