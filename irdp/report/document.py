"""The in-memory report: sections of text, disclosure-controlled tables and embedded figures.

A :class:`Report` is filled section by section (anchors from :data:`irdp.report.tripod.SECTIONS`)
and then written by :func:`irdp.report.write_report`. Every table passes the disclosure-control
hook when it is *added* (so the HTML, the CSV and any figure drawn from the returned table use
the same suppressed numbers); figures are rendered to PNG or SVG bytes at once and embedded as
``data:`` URIs, so the HTML is self-contained.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from irdp.report.labels import ordinal_row_order, relabel_figure
from irdp.report.tripod import SECTIONS, section_spec

__all__ = [
    "Report",
    "Section",
    "Text",
    "Note",
    "Failure",
    "TableBlock",
    "FigureBlock",
    "Placement",
    "figure_to_bytes",
    "disclosure_control",
]

#: Where a table or figure goes: ``"main"`` text, ``"appendix"`` (collapsible, with a pointer
#: in its section) or ``"auto"`` (the rules of :mod:`irdp.report.layout`).
Placement = Literal["auto", "main", "appendix"]
_PLACEMENTS = ("auto", "main", "appendix")

_TABLE_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,80}$")


@dataclass(frozen=True)
class Text:
    """A paragraph of plain text (escaped when rendered); ``pre=True`` keeps line breaks."""

    text: str
    pre: bool = False


@dataclass(frozen=True)
class Note:
    """A highlighted note. ``kind``: ``unavailable`` (piece missing in this version),
    ``authors`` (what the authors must add) or ``info``."""

    text: str
    kind: Literal["unavailable", "authors", "info"] = "info"


@dataclass(frozen=True)
class Failure:
    """A step that failed or was skipped, or a piece not available in this version.

    It is stated in its section, and the TRIPOD+AI checklist marks every item the section
    answers as not answered, with ``reason``.
    """

    section: str
    step: str
    reason: str
    kind: Literal["failed", "unavailable"] = "failed"

    @property
    def text(self) -> str:
        """The statement shown in the section."""
        if self.kind == "unavailable":
            return f"{self.step}: not available in this version ({self.reason})."
        return f"Not reported: the step '{self.step}' failed or was skipped ({self.reason})."


@dataclass(frozen=True)
class TableBlock:
    """A disclosure-controlled table, written as ``tables/<name>.csv`` and shown in the HTML."""

    name: str
    frame: pd.DataFrame
    caption: str
    suppressed: dict[str, int] = field(default_factory=dict)
    mask: pd.DataFrame | None = None
    placement: Placement = "auto"

    def display_frame(self, marker: str) -> pd.DataFrame:
        """Values as strings: suppressed cells become ``marker``, other missing cells ''."""
        out = pd.DataFrame(index=self.frame.index)
        for c in self.frame.columns:
            col = self.frame[c]
            text = [_fmt(v) for v in col.tolist()]
            if self.mask is not None and c in self.mask.columns:
                text = [marker if m else t for t, m in zip(text, self.mask[c].tolist(),
                                                              strict=True)]
            out[str(c)] = text
        return out


@dataclass(frozen=True)
class FigureBlock:
    """An embedded figure (PNG or SVG bytes)."""

    name: str
    data: bytes
    mime: str
    caption: str
    placement: Placement = "auto"

    @property
    def data_uri(self) -> str:
        """``data:`` URI embedding the figure in the HTML."""
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"


@dataclass
class Section:
    """One section of the report (see :data:`irdp.report.tripod.SECTIONS`)."""

    id: str
    title: str
    part: str
    items: tuple[str, ...]
    blocks: list[Any] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        """True when the section holds text, tables or figures (not only notes)."""
        return any(not isinstance(b, Note | Failure) for b in self.blocks)

    @property
    def failures(self) -> list[str]:
        """Why (part of) the section is missing: the steps that failed or were skipped and
        the pieces not available (:meth:`Report.add_failure`, :meth:`Report.unavailable`).
        Empty when nothing failed."""
        return [b.text if b.kind == "unavailable" else f"step '{b.step}' failed or was "
                f"skipped: {b.reason}" for b in self.blocks if isinstance(b, Failure)]


DisclosureHook = Callable[..., pd.DataFrame]


def disclosure_control(
    frame: pd.DataFrame,
    *,
    threshold: int = 11,
    count_columns: Sequence[Hashable] | None = None,
    rates: Mapping[Hashable, tuple[Hashable, Hashable]] | None = None,
    row_total: Hashable | None = None,
    total_row: Hashable | None = None,
    known_totals: bool = False,
) -> pd.DataFrame:
    """Default disclosure hook: :func:`irdp.privacy.suppress_small_counts`.

    Counts ``0 < n < threshold`` are suppressed, with secondary suppression along the additive
    lines declared (``row_total``, ``total_row``, ``known_totals``) and suppression of the
    rates built on a suppressed count.
    """
    from irdp.privacy import suppress_small_counts

    return suppress_small_counts(
        frame,
        threshold=threshold,
        count_columns=count_columns,
        rates=rates,
        row_total=row_total,
        total_row=total_row,
        known_totals=known_totals,
    )


def figure_to_bytes(fig: Any, fmt: Literal["png", "svg"] = "png") -> tuple[bytes, str]:
    """Render a matplotlib figure deterministically and close it.

    PNG files carry no software/date metadata and SVG ids use a fixed hash salt, so the same
    figure gives the same bytes on every run.

    Returns
    -------
    (bytes, str)
        The image and its MIME type.
    """
    import matplotlib
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    if fmt == "svg":
        with matplotlib.rc_context({"svg.hashsalt": "irdp", "svg.fonttype": "none"}):
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None},
                        bbox_inches="tight")
        mime = "image/svg+xml"
    else:
        fig.savefig(buf, format="png", dpi=110, metadata={"Software": None},
                    bbox_inches="tight")
        mime = "image/png"
    plt.close(fig)
    return buf.getvalue(), mime


class Report:
    """A TRIPOD+AI structured validation report being assembled.

    Parameters
    ----------
    title : str
        Report title.
    min_count : int, default=11
        Disclosure threshold: counts ``0 < n < min_count`` are suppressed in every table.
    figure_format : {"png", "svg"}, default="png"
        Format of embedded figures.
    disclosure : callable, optional
        Disclosure hook with the signature of :func:`disclosure_control` (the default).
    subtitle : str, optional
        Shown under the title.

    Examples
    --------
    >>> import pandas as pd
    >>> r = Report("Demo", min_count=11)
    >>> t = r.add_table("flow", "flow", pd.DataFrame({"step": ["a", "b"], "n": [120, 7]}),
    ...                 caption="Flow")
    >>> t["n"].tolist()
    [120, <NA>]
    >>> r.section("flow").answered
    True
    """

    def __init__(
        self,
        title: str,
        *,
        min_count: int = 11,
        figure_format: Literal["png", "svg"] = "png",
        disclosure: DisclosureHook | None = None,
        subtitle: str | None = None,
    ) -> None:
        self.title = title
        self.subtitle = subtitle
        self.min_count = int(min_count)
        self.figure_format = figure_format
        self.disclosure = disclosure or disclosure_control
        self.sections: dict[str, Section] = {
            s.id: Section(s.id, s.title, s.part, s.items) for s in SECTIONS
        }
        self._names: set[str] = set()

    def section(self, section_id: str) -> Section:
        """The section with anchor ``section_id`` (KeyError listing anchors if unknown)."""
        section_spec(section_id)
        return self.sections[section_id]

    def add_text(self, section_id: str, text: str, *, pre: bool = False) -> None:
        """Append a paragraph of plain text."""
        self.section(section_id).blocks.append(Text(text, pre=pre))

    def add_note(
        self, section_id: str, text: str,
        kind: Literal["unavailable", "authors", "info"] = "info",
    ) -> None:
        """Append a note (``kind="unavailable"`` marks a piece missing in this version)."""
        self.section(section_id).blocks.append(Note(text, kind=kind))

    def add_failure(self, section: str, step: str, reason: str) -> Failure:
        """State in ``section`` that ``step`` failed or was skipped, and why.

        The statement is shown in the section, listed by :attr:`failures`, and every
        TRIPOD+AI item the section answers is marked *not answered* (with ``reason``) by
        :func:`irdp.report.add_checklist`, whatever else the section holds.

        Parameters
        ----------
        section : str
            Section anchor (:data:`irdp.report.SECTIONS`).
        step : str
            Name of the step (e.g. ``"updating"``).
        reason : str
            Why it failed or was skipped, in words a reader understands.

        Examples
        --------
        >>> r = Report("Demo")
        >>> r.add_text("updating", "Closed testing on the validation data.")
        >>> f = r.add_failure("updating", "updating", "a predictor is constant")
        >>> r.section("updating").failures
        ["step 'updating' failed or was skipped: a predictor is constant"]
        """
        for name, value in (("step", step), ("reason", reason)):
            if not isinstance(value, str) or not value.strip():
                raise TypeError(f"{name} must be a non-empty string; got {value!r}.")
        failure = Failure(section, step.strip(), reason.strip())
        self.section(section).blocks.append(failure)
        return failure

    @property
    def failures(self) -> list[Failure]:
        """Every failed or skipped step (:meth:`add_failure`) and every piece not available
        (:meth:`unavailable`), in reading order."""
        return [b for s in self.sections.values() for b in s.blocks if isinstance(b, Failure)]

    def unavailable(self, section_id: str, what: str, reason: str) -> None:
        """Say explicitly that ``what`` is not available in this version, and why.

        Like :meth:`add_failure`, the section's TRIPOD+AI items are then not answered.
        """
        self.section(section_id).blocks.append(
            Failure(section_id, what, reason, kind="unavailable"))

    def add_table(
        self,
        section_id: str,
        name: str,
        frame: pd.DataFrame,
        *,
        caption: str,
        count_columns: Sequence[Hashable] | None = None,
        rates: Mapping[Hashable, tuple[Hashable, Hashable]] | None = None,
        row_total: Hashable | None = None,
        total_row: Hashable | None = None,
        known_totals: bool = False,
        block_column: str | None = None,
        block_derived: Sequence[Hashable] = (),
        disclosure: bool = True,
        placement: Placement = "auto",
    ) -> pd.DataFrame:
        """Add a table after disclosure control; return the controlled table.

        Parameters
        ----------
        section_id : str
            Section anchor.
        name : str
            File stem of the CSV (``tables/<name>.csv``), unique in the report.
        frame : pandas.DataFrame
            The table; its index is dropped (put labels in columns).
        caption : str
            Caption shown above the table.
        count_columns, rates, row_total, total_row, known_totals
            Passed to the disclosure hook (see :func:`irdp.privacy.suppress_small_counts`).
            ``count_columns=None`` treats every integer column as a count.
        block_column : str, optional
            Apply the hook separately to each block of rows sharing this column's value
            (e.g. the levels of one variable in Table 1, which add up to a known total).
        block_derived : sequence of labels, default=()
            Columns hidden in a whole block as soon as any count of the block is suppressed
            (e.g. a standardised mean difference).
        disclosure : bool, default=True
            ``False`` only for tables without any count of people (e.g. coefficients);
            the table then must not have integer columns.
        placement : {"auto", "main", "appendix"}, default="auto"
            Main text or appendix; ``"auto"`` follows :func:`irdp.report.layout.placement`
            (long material such as the data dictionary or per-threshold tables goes to the
            appendix, with a pointer in the section).

        Notes
        -----
        Rows whose categories are ordinal (age bands, company sizes, risk levels...) are put
        in their natural order within each block of rows (see
        :func:`irdp.report.labels.sort_ordinal`); the returned table has that order.
        """
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"frame must be a pandas DataFrame; got {type(frame).__name__}.")
        _check_placement(placement)
        self._claim(name)
        frame = frame.reset_index(drop=True)
        suppressed: dict[str, int] = {}
        mask = None
        if disclosure:
            before = frame.isna()
            kwargs = dict(threshold=self.min_count, count_columns=count_columns, rates=rates,
                          row_total=row_total, total_row=total_row, known_totals=known_totals)
            if block_column is None:
                frame = self.disclosure(frame, **kwargs)
                suppressed = dict(frame.attrs.get("disclosure", {}))
            else:
                frame, suppressed = self._by_block(frame, block_column, block_derived, kwargs)
            mask = frame.isna() & ~before
        else:
            ints = [c for c in frame.columns if pd.api.types.is_integer_dtype(frame[c])
                    and not pd.api.types.is_bool_dtype(frame[c])]
            if ints:
                raise ValueError(
                    f"table {name!r} has integer columns {ints} but disclosure=False; counts "
                    "of people must pass disclosure control. Declare them in count_columns."
                )
        order = ordinal_row_order(frame)
        if order is not None:
            frame = frame.iloc[order].reset_index(drop=True)
            mask = None if mask is None else mask.iloc[order].reset_index(drop=True)
        self.section(section_id).blocks.append(
            TableBlock(name, frame, caption, suppressed, mask, placement))
        return frame

    def _by_block(
        self, frame: pd.DataFrame, block_column: str, derived: Sequence[Hashable],
        kwargs: dict[str, Any],
    ) -> tuple[pd.DataFrame, dict[str, int]]:
        keys = frame[block_column]
        order = list(dict.fromkeys(keys.tolist()))
        pieces = []
        totals: dict[str, int] = {}
        for key in order:
            part = frame[keys == key]
            before = part.isna()
            done = self.disclosure(part, **kwargs)
            for k, v in done.attrs.get("disclosure", {}).items():
                if isinstance(v, int) and k != "threshold":
                    totals[k] = totals.get(k, 0) + v
            counts = list(kwargs["count_columns"] or [])
            if derived and (done[counts].isna() & ~before[counts]).to_numpy().any():
                done = done.copy()
                for c in derived:
                    done[c] = pd.to_numeric(done[c]).astype("Float64").mask(
                        pd.Series(True, index=done.index))
            done.attrs = {}
            pieces.append(done)
        out = pd.concat(pieces).loc[frame.index]
        totals["threshold"] = self.min_count
        return out, totals

    def add_figure(self, section_id: str, name: str, fig: Any, *, caption: str,
                   placement: Placement = "auto") -> None:
        """Render a matplotlib figure (closed afterwards) and embed it.

        ``fig`` is a matplotlib ``Figure`` or an :class:`irdp.plotting.Display` (its
        ``figure_``); ``placement`` as in :meth:`add_table`.
        """
        _check_placement(placement)
        self._claim(name)
        if hasattr(fig, "figure_") and hasattr(fig, "plot"):  # an irdp Display
            fig = fig.figure_ if fig.figure_ is not None else fig.plot().figure_
        relabel_figure(fig, name)
        data, mime = figure_to_bytes(fig, self.figure_format)
        self.section(section_id).blocks.append(
            FigureBlock(name, data, mime, caption, placement))

    def tables(self) -> list[TableBlock]:
        """Every table, in reading order."""
        return [b for s in self.sections.values() for b in s.blocks if isinstance(b, TableBlock)]

    def figures(self) -> list[FigureBlock]:
        """Every figure, in reading order."""
        return [b for s in self.sections.values() for b in s.blocks
                if isinstance(b, FigureBlock)]

    def _claim(self, name: str) -> None:
        if not _TABLE_NAME.match(name):
            raise ValueError(f"name must match {_TABLE_NAME.pattern}; found {name!r}.")
        if name in self._names:
            raise ValueError(f"name {name!r} is already used in this report; names are unique.")
        self._names.add(name)


def _check_placement(placement: object) -> None:
    if placement not in _PLACEMENTS:
        raise ValueError(f"placement must be one of {list(_PLACEMENTS)}; got {placement!r}.")


def _fmt(value: Any) -> str:
    """Deterministic text form of a table cell."""
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        if value == int(value) and abs(value) < 1e15:
            return f"{value:.1f}" if abs(value) < 1e6 else f"{value:.0f}"
        return f"{value:.6g}"
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        return _fmt(value.item())
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    return str(value)
