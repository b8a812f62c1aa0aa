"""A table as the reader sees it: text cells, headers, footnotes; width and HTML.

A :class:`Grid` holds the already formatted cells of one table (see
:mod:`irdp.report.tabulate`). :func:`split_to_width` cuts a grid that would not fit the
printed page (A4 portrait) into several grids that each repeat the row labels, and
:func:`grid_html` writes the HTML.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Literal

from markupsafe import Markup, escape

__all__ = ["Grid", "RowKind", "estimate_width", "split_to_width", "grid_html",
           "PAGE_WIDTH_PX", "CHAR_PX", "CELL_PAD_PX"]

#: Kind of a row: ``"section"`` spans the table (a heading), ``"strong"`` has a bold label,
#: ``"sub"`` an indented label, ``""`` is a plain row.
RowKind = Literal["", "section", "strong", "sub"]

#: Width of the printed text block: A4 (210 mm) less 2 x 14 mm margins, at 96 px per inch.
PAGE_WIDTH_PX = 688
#: Width of one character at the printed table font size (8 pt Arial/Liberation Sans:
#: 0.556 em digits, about 0.5 em on average for text), measured in headless Chromium.
CHAR_PX = 5.75
#: Horizontal padding and border of a cell.
CELL_PAD_PX = 11
#: Widest a wrapping text column is assumed to be, in characters.
WRAP_CHARS = 24


@dataclass
class Grid:
    """Formatted cells of a table.

    Attributes
    ----------
    headers : list of str
        One label per column.
    rows : list of list of str
        Cells (already formatted text); a ``"section"`` row has a single cell.
    numeric : list of bool
        Right-aligned columns.
    stub : int
        Leading columns that label the rows (repeated when the table is split).
    spanners : list of (str, int), optional
        Labels spanning consecutive columns after the stub (label, number of columns).
    kinds : list of RowKind
        Kind of each row.
    notes : list of str
        Footnotes shown under the table.
    wrap : set of int
        Columns whose cells may wrap (text, or an estimate above its interval).
    """

    headers: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    stub: int = 1
    spanners: list[tuple[str, int]] | None = None
    kinds: list[RowKind] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    wrap: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        if not self.kinds:
            self.kinds = [""] * len(self.rows)

    @property
    def n_rows(self) -> int:
        """Number of body rows."""
        return len(self.rows)


_ESTIMATE = re.compile(r"^[<>]?-?[0-9][0-9,.]* \(.*\)$")


def _cell_chars(text: str, wrap: bool) -> int:
    if not wrap:
        return len(text)
    if _ESTIMATE.match(text):  # an estimate above its interval
        head, _, tail = text.partition(" (")
        return max(len(head), len(tail) + 1)
    words = min(max((len(w) for w in text.split()), default=0), WRAP_CHARS)
    return max(words, min(len(text), WRAP_CHARS))


def _column_chars(grid: Grid, j: int) -> int:
    wrap = j in grid.wrap
    cells = [_cell_chars(r[j], wrap) for r, k in zip(grid.rows, grid.kinds, strict=True)
             if k != "section" and j < len(r)]
    header = grid.headers[j]
    words = max((len(w) for w in header.split()), default=0)
    head = max(words, (len(header) + 2) // 3)
    return max([head, *cells])


def estimate_width(grid: Grid) -> float:
    """Estimated printed width of the grid in CSS pixels (see :data:`PAGE_WIDTH_PX`)."""
    return sum(_column_chars(grid, j) * CHAR_PX + CELL_PAD_PX for j in range(len(grid.headers)))


def _chunks(grid: Grid) -> list[list[int]]:
    """Column groups that must stay together (one per spanner, else one per column)."""
    body = list(range(grid.stub, len(grid.headers)))
    if not grid.spanners:
        return [[j] for j in body]
    out, start = [], grid.stub
    for _, span in grid.spanners:
        out.append(list(range(start, start + span)))
        start += span
    if start < len(grid.headers):
        out.extend([j] for j in range(start, len(grid.headers)))
    return out


def _take(grid: Grid, columns: list[int], part: int, parts: int) -> Grid:
    keep = list(range(grid.stub)) + columns
    rows = [r if k == "section" else [r[j] for j in keep]
            for r, k in zip(grid.rows, grid.kinds, strict=True)]
    spanners = None
    if grid.spanners:
        spanners, start = [], grid.stub
        for label, span in grid.spanners:
            inside = [j for j in range(start, start + span) if j in columns]
            if inside:
                spanners.append((label, len(inside)))
            start += span
        covered = sum(s for _, s in spanners)
        if covered < len(columns):
            spanners.append(("", len(columns) - covered))
    notes = grid.notes if part == parts else []
    return replace(grid, headers=[grid.headers[j] for j in keep], rows=rows,
                   numeric=[grid.numeric[j] for j in keep], spanners=spanners, notes=notes,
                   wrap={i for i, j in enumerate(keep) if j in grid.wrap})


def split_to_width(grid: Grid, width: float = PAGE_WIDTH_PX) -> list[Grid]:
    """Split the columns of a grid so that each part fits ``width`` pixels.

    The row-label (stub) columns are repeated in every part; columns under one spanner stay
    together; the columns are shared out evenly between the fewest parts that fit. A grid
    that fits is returned alone.
    """
    if estimate_width(grid) <= width or len(grid.headers) <= grid.stub + 1:
        return [grid]
    px = {j: _column_chars(grid, j) * CHAR_PX + CELL_PAD_PX for j in range(len(grid.headers))}
    room = max(width - sum(px[j] for j in range(grid.stub)), 1.0)
    chunks = []
    for chunk in _chunks(grid):
        w = sum(px[j] for j in chunk)
        if w > room:  # a spanner wider than the page: its columns are shared out too
            chunks.extend(([j], px[j]) for j in chunk)
        else:
            chunks.append((chunk, w))
    total = sum(w for _, w in chunks)
    parts = max(2, math.ceil(total / room))
    while True:
        target = total / parts
        groups: list[list[int]] = [[]]
        used = 0.0
        for chunk, w in chunks:
            if groups[-1] and (used + w > room or (used >= target and len(groups) < parts)):
                groups.append([])
                used = 0.0
            groups[-1].extend(chunk)
            used += w
        if len(groups) <= parts or parts >= len(chunks):
            break
        parts += 1
    return [_take(grid, cols, k + 1, len(groups)) for k, cols in enumerate(groups)]


def _cell(text: str, tag: str, cls: list[str], colspan: int = 1) -> str:
    attrs = f' class="{" ".join(cls)}"' if cls else ""
    span = f' colspan="{colspan}"' if colspan > 1 else ""
    scope = ' scope="row"' if tag == "th" else ""
    return f"<{tag}{attrs}{span}{scope}>{_text(text)}</{tag}>"


def _text(text: str) -> str:
    """Escape, and let an estimate break before its interval."""
    if _ESTIMATE.match(text):
        head, _, tail = text.partition(" (")
        return f'{escape(head)} <span class="ci">({escape(tail)}</span>'
    return str(escape(text))


def grid_html(grid: Grid) -> Markup:
    """The grid as an HTML ``<table>`` (header rows, body; footnotes are rendered apart)."""
    n = len(grid.headers)
    head = []
    if grid.spanners:
        cells = [f'<th colspan="{grid.stub}"></th>' if grid.stub else ""]
        for label, span in grid.spanners:
            cells.append(f'<th class="span" colspan="{span}">{escape(label)}</th>')
        head.append(f"<tr>{''.join(cells)}</tr>")
    text_cls = ' class="text"'
    cells = [f"<th{'' if grid.numeric[j] else text_cls}>{escape(h)}</th>"
             for j, h in enumerate(grid.headers)]
    head.append(f"<tr>{''.join(cells)}</tr>")
    body = []
    for row, kind in zip(grid.rows, grid.kinds, strict=True):
        if kind == "section":
            body.append(f'<tr class="section">{_cell(row[0], "th", ["text"], n)}</tr>')
            continue
        cells = []
        for j, text in enumerate(row):
            cls = [] if grid.numeric[j] else ["text"]
            if j in grid.wrap:
                cls.append("wrap")
                if max((len(w) for w in text.split()), default=0) > WRAP_CHARS:
                    cls.append("long")
            tag = "th" if j < grid.stub else "td"
            if j == 0 and kind in ("strong", "sub"):
                cls.append(kind)
            cells.append(_cell(text, tag, cls))
        attrs = f' class="{kind}"' if kind else ""
        body.append(f"<tr{attrs}>{''.join(cells)}</tr>")
    return Markup(f"<table><thead>{''.join(head)}</thead><tbody>{''.join(body)}</tbody>"
                  "</table>")
