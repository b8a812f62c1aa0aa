"""Write a :class:`~irdp.report.Report` to disk: self-contained HTML and CSV tables.

The HTML comes from the jinja2 templates in ``irdp/report/templates/``; everything (style,
figures) is inlined so the file reads offline in any browser. CSV files are written with a
fixed cell format and ``\\n`` line endings, so the same report gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup, escape

from irdp.report.document import Report, TableBlock
from irdp.report.tripod import checklist

__all__ = ["render_html", "write_tables", "write_report", "add_checklist"]


def _env() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("irdp.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _table_html(block: TableBlock, marker: str) -> Markup:
    shown = block.display_frame(marker)
    numeric = {
        str(c): pd.api.types.is_numeric_dtype(block.frame[c]) and
        not pd.api.types.is_bool_dtype(block.frame[c])
        for c in block.frame.columns
    }
    cls = {c: "" if numeric[c] else ' class="text"' for c in shown.columns}
    head = "".join(f"<th{cls[c]}>{escape(c)}</th>" for c in shown.columns)
    rows = []
    for values in shown.itertuples(index=False):
        cells = "".join(
            f"<td{cls[c]}>{escape(v)}</td>"
            for c, v in zip(shown.columns, values, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    return Markup(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def add_checklist(report: Report) -> pd.DataFrame:
    """Fill the ``checklist`` section from the other sections; return the checklist table."""
    answered = {sid: s.answered for sid, s in report.sections.items()
                if sid not in ("checklist",)}
    table = checklist(answered)
    report.add_text(
        "checklist",
        "For each TRIPOD+AI item: the report sections that answer it, or what the authors "
        "must add before submission. Item wording is paraphrased from Collins et al., BMJ "
        "2024;385:e078378; check it against the official checklist.",
    )
    report.add_table("checklist", "tripod_ai_checklist", table,
                     caption="TRIPOD+AI checklist", disclosure=False)
    return table


def render_html(report: Report, *, run_id: str = "", version: str | None = None) -> str:
    """Render the report as one self-contained HTML document (a string)."""
    if version is None:
        from irdp import __version__ as version
    marker = f"<{report.min_count}"
    parts: list[tuple[str, list[Any]]] = []
    for s in report.sections.values():
        if parts and parts[-1][0] == s.part:
            parts[-1][1].append(s)
        else:
            parts.append((s.part, [s]))
    for s in report.sections.values():
        if not s.blocks:
            report.add_note(s.id, "Nothing is reported in this section for this run.")
    template = _env().get_template("report.html.j2")
    return template.render(
        report=report, parts=parts, run_id=run_id, version=version,
        table_html=lambda b: _table_html(b, marker),
    )


def write_tables(report: Report, folder: str | Path) -> list[Path]:
    """Write every table of the report as ``<folder>/<name>.csv``; return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    marker = f"<{report.min_count}"
    paths = []
    for block in report.tables():
        path = folder / f"{block.name}.csv"
        block.display_frame(marker).to_csv(path, index=False, lineterminator="\n")
        paths.append(path)
    return paths


def write_report(report: Report, folder: str | Path, *, run_id: str = "") -> Path:
    """Write ``report.html`` and ``tables/*.csv`` into ``folder``; return the HTML path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_tables(report, folder / "tables")
    html = render_html(report, run_id=run_id)
    path = folder / "report.html"
    path.write_text(html, encoding="utf-8", newline="\n")
    return path
