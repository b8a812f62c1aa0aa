"""Where things go: main text or appendix, figure grids, collapsed warnings, HTML blocks.

The main text of a report reads like a paper: formatted tables, figures two by two, one
statement per failed step. Long material (the data dictionary, per-threshold and per-group
tables, per-cluster results, forest plots of secondary measures) goes to the appendix, as
collapsible sections, with a pointer where it belongs; every table also stays in
``tables/<name>.csv``. :func:`placement` decides, from the block's own ``placement`` when
it is not ``"auto"``, else from the rules :data:`APPENDIX_TABLES`, :data:`MAIN_TABLES`,
:data:`MAX_MAIN_ROWS` and :data:`MAIN_FOREST_MEASURES`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from markupsafe import Markup, escape

from irdp.report.document import Failure, FigureBlock, Note, Report, Section, TableBlock, Text
from irdp.report.grid import Grid, grid_html, split_to_width
from irdp.report.labels import readable
from irdp.report.tabulate import tabulate

__all__ = [
    "APPENDIX_TABLES",
    "MAIN_TABLES",
    "MAX_MAIN_ROWS",
    "MAX_LISTED_ROWS",
    "MAIN_FOREST_MEASURES",
    "MAIN_FOREST_CLUSTERS",
    "APPENDIX_FIGURES",
    "AppendixEntry",
    "Layout",
    "placement",
    "layout",
]

#: Tables that go to the appendix whatever their size (long material), by name pattern.
APPENDIX_TABLES: tuple[str, ...] = (
    r"data_dictionary", r"net_benefit", r"fairness_measures", r"iecv_(?!.*_pooled$).+",
    r"points_risk_.+", r"comparison_levels_\d+", r"comparison_reclassification",
    r"completeness_by_spsti", r"table1_by_spsti", r"updating_.+_fits", r"extract_tables",
    r"outcomes_by_cause", r"service_(?!spsti).+",
)
#: Tables that stay in the main text whatever their size.
MAIN_TABLES: tuple[str, ...] = (r"table1_dev_val", r"coefficients_.+", r"points_(?!risk_).+",
                                r"performance", r"flow", r"tripod_ai_checklist")
#: A table with more displayed rows than this goes to the appendix (unless in MAIN_TABLES).
MAX_MAIN_ROWS = 25
#: Even a table of MAIN_TABLES goes to the appendix beyond this many displayed rows (e.g. the
#: cause-specific Cox models of every cause), unless placed in the main text explicitly.
MAX_LISTED_ROWS = 70
#: Forest plots (``forest_<index>_<by>_<measure>``) kept in the main text: discrimination and
#: calibration-in-the-large across SPSTI; the others go to the appendix.
MAIN_FOREST_MEASURES: tuple[str, ...] = ("c", "c_harrell", "auc", "oe", "oe_ratio")
MAIN_FOREST_CLUSTERS: tuple[str, ...] = ("spsti", "spsti_id")
#: Figures that go to the appendix, by name pattern (forest plots are ruled apart): apparent
#: (development) calibration, optimism-corrected curves, service-level dot plots (their
#: tables are in the main text).
APPENDIX_FIGURES: tuple[str, ...] = (r"calibration_.+_dev", r"calibration_.+_optimism_corrected",
                                     r"service_.+_plot")
#: Sections that are themselves appendices: their blocks stay where they are.
APPENDIX_SECTIONS = ("checklist", "provenance")

#: More lines than this in a preformatted block: it is collapsed on screen (and printed in
#: three columns); more than MAX_PRINTED_PRE_LINES: not printed (a line says where it is).
MAX_PRE_LINES = 20
MAX_PRINTED_PRE_LINES = 60


def _matches(patterns: tuple[str, ...], name: str) -> bool:
    return any(re.fullmatch(p, name) for p in patterns)


def placement(block: TableBlock | FigureBlock, grid: Grid | None = None
              ) -> Literal["main", "appendix"]:
    """``"main"`` or ``"appendix"`` for a table or figure (see the module docstring)."""
    if block.placement != "auto":
        return block.placement  # type: ignore[return-value]
    if isinstance(block, FigureBlock):
        if block.name.startswith("forest_"):
            main = any(re.fullmatch(rf"forest_.+_{by}_{m}", block.name)
                       for by in MAIN_FOREST_CLUSTERS for m in MAIN_FOREST_MEASURES)
            return "main" if main else "appendix"
        return "appendix" if _matches(APPENDIX_FIGURES, block.name) else "main"
    rows = grid.n_rows if grid is not None else len(block.frame)
    if _matches(MAIN_TABLES, block.name):
        return "main" if rows <= MAX_LISTED_ROWS else "appendix"
    if _matches(APPENDIX_TABLES, block.name):
        return "appendix"
    return "appendix" if rows > MAX_MAIN_ROWS else "main"


@dataclass
class AppendixEntry:
    """One table or figure moved to the appendix."""

    label: str
    anchor: str
    caption: str
    section_title: str
    html: Markup


@dataclass
class Layout:
    """The report ready for the template: per-section HTML and the appendix entries."""

    blocks: dict[str, list[Markup]] = field(default_factory=dict)
    appendix: list[AppendixEntry] = field(default_factory=list)


def layout(report: Report) -> Layout:
    """Arrange every section of ``report`` (the report itself is not modified)."""
    out = Layout()
    counters = {"table": 0, "figure": 0}
    marker = report.policy.marker
    for section in report.sections.values():
        out.blocks[section.id] = _section(section, marker, out.appendix, counters)
    return out


def _section(section: Section, marker: str, appendix: list[AppendixEntry],
             counters: dict[str, int]) -> list[Markup]:
    """The HTML blocks of a section: text, notes and tables in order, then its figures two
    by two (so that they pack on the page), then one line pointing to its appendix material.
    """
    html: list[Markup] = []
    figures: list[Markup] = []
    warnings: list[str] = []
    pointers: list[_Pointer] = []
    in_appendix = section.id in APPENDIX_SECTIONS
    for b in section.blocks:
        if isinstance(b, Note) and b.text.startswith("Warning during"):
            warnings.append(b.text)
            continue
        if warnings:
            html.append(_warnings(warnings))
            warnings = []
        if isinstance(b, FigureBlock):
            if in_appendix or placement(b) == "main":
                figures.append(_figure(b))
                continue
            counters["figure"] += 1
            label = f"Figure A{counters['figure']}"
            appendix.append(AppendixEntry(label, f"appendix-{b.name}", readable(b.caption),
                                          section.title, _figure(b)))
            pointers.append(_Pointer(label, f"appendix-{b.name}", b.caption, ""))
            continue
        out = _block(b, section, marker, appendix, counters, in_appendix)
        if isinstance(out, _Pointer):
            pointers.append(out)
        else:
            html.append(out)
    if warnings:
        html.append(_warnings(warnings))
    if figures:
        html.append(Markup(f'<div class="figures">{"".join(figures)}</div>'))
    if pointers:
        html.append(_pointers(pointers))
    if not section.blocks:
        html.append(Markup('<p class="note info">Nothing is reported in this section for '
                           "this run.</p>"))
    return html


@dataclass(frozen=True)
class _Pointer:
    label: str
    anchor: str
    caption: str
    extra: str


def _block(b: Any, section: Section, marker: str, appendix: list[AppendixEntry],
           counters: dict[str, int], in_appendix: bool) -> Markup | _Pointer:
    if isinstance(b, Text):
        return _text(b)
    if isinstance(b, Failure):
        cls = "failure" if b.kind == "failed" else "unavailable"
        return Markup(f'<p class="note {cls}">{escape(b.text)}</p>')
    if isinstance(b, Note):
        return Markup(f'<p class="note {escape(b.kind)}">{escape(b.text)}</p>')
    if isinstance(b, TableBlock):
        grid = tabulate(b, marker)
        table = _table(b, grid)
        if in_appendix or placement(b, grid) == "main":
            return table
        counters["table"] += 1
        label = f"Table A{counters['table']}"
        appendix.append(AppendixEntry(label, f"appendix-{b.name}", readable(b.caption),
                                      section.title, table))
        return _Pointer(label, f"appendix-{b.name}", b.caption, f"{grid.n_rows} rows")
    raise TypeError(f"unknown report block {type(b).__name__}")


def _text(b: Text) -> Markup:
    if not b.pre:
        return Markup(f"<p>{escape(b.text)}</p>")
    lines = b.text.splitlines()
    pre = Markup(f"<pre>{escape(b.text)}</pre>")
    if len(lines) <= MAX_PRE_LINES:
        return pre
    screen = Markup(f'<details class="pre screen-only"><summary>Show the {len(lines)} '
                    f"lines</summary>{pre}</details>")
    if len(lines) <= MAX_PRINTED_PRE_LINES:
        return screen + Markup(f'<pre class="print-only columns-3">{escape(b.text)}</pre>')
    return screen + Markup(f'<p class="print-only pointer">({len(lines)} lines: see the HTML '
                           "version of this report.)</p>")


def _warnings(texts: list[str]) -> Markup:
    if len(texts) == 1:
        return Markup(f'<p class="note info">{escape(texts[0])}</p>')
    items = "".join(f"<li>{escape(t.removeprefix('Warning during '))}</li>" for t in texts)
    return Markup(f'<details class="note info warnings"><summary>{len(texts)} warnings were '
                  f"raised during these computations</summary><ul>{items}</ul></details>")


def _table(b: TableBlock, grid: Grid) -> Markup:
    parts = split_to_width(grid)
    tables = []
    for k, part in enumerate(parts):
        label = f'<p class="part-label">Part {k + 1} of {len(parts)}</p>' if len(parts) > 1 \
            else ""
        tables.append(f'{label}<div class="scroll">{grid_html(part)}</div>')
    notes = "".join(f'<p class="table-note">{escape(n)}</p>' for n in grid.notes)
    caption = escape(readable(b.caption))
    return Markup(
        f'<figure class="table" id="table-{escape(b.name)}"><figcaption>{caption} '
        f'<span class="csv">[tables/{escape(b.name)}.csv]</span></figcaption>'
        f"{''.join(tables)}{notes}</figure>")


def _shape(b: FigureBlock) -> str:
    """``" wide"`` for a figure much wider than tall (it spans the page), ``" tall"`` for a
    much taller one (it may be taller in print), else ``""``; read from the PNG header."""
    if b.mime != "image/png" or len(b.data) < 24 or b.data[12:16] != b"IHDR":
        return ""
    width = int.from_bytes(b.data[16:20], "big")
    height = int.from_bytes(b.data[20:24], "big")
    if height and width / height > 1.7:
        return " wide"
    if width and height / width > 1.3:
        return " tall"
    return ""


def _figure(b: FigureBlock) -> Markup:
    return Markup(
        f'<figure class="plot{_shape(b)}" id="figure-{escape(b.name)}">'
        f'<img src="{b.data_uri}" alt="{escape(readable(b.caption))}">'
        f"<figcaption>{escape(readable(b.caption))}</figcaption></figure>")


def _short(caption: str, limit: int = 70) -> str:
    text = readable(caption)
    if len(text) <= limit:
        return text
    for sep in (": ", " (", "; ", ", "):
        head = text.split(sep, 1)[0]
        if 15 <= len(head) <= limit:
            return head
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _pointers(pointers: list[_Pointer]) -> Markup:
    """One line pointing to the material of this section that is in the appendix."""
    items = []
    for p in pointers:
        tail = f", {escape(p.extra)}" if p.extra else ""
        items.append(f'<a href="#{escape(p.anchor)}">{escape(p.label)}</a> '
                     f"({escape(_short(p.caption))}{tail})")
    return Markup(f'<p class="pointer">In the appendix: {"; ".join(items)}.</p>')
