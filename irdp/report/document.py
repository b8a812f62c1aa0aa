"""The in-memory report: sections of text, disclosure-controlled tables and embedded figures.

A :class:`Report` is filled section by section (anchors from :data:`irdp.report.tripod.SECTIONS`)
and then written by :func:`irdp.report.write_report`. Every table passes the disclosure-control
hook when it is *added* (so the HTML, the CSV and any figure drawn from the returned table use
the same suppressed numbers); figures are rendered to PNG or SVG bytes at once and embedded as
``data:`` URIs, so the HTML is self-contained.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from irdp.privacy.policy import DisclosurePolicy, renamed_threshold
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
    #: the true table (before suppression, rows in the published order) and how it is
    #: declared in the run's linked system (:meth:`Report.linked_tables`); never written
    truth: pd.DataFrame | None = field(default=None, repr=False)
    declaration: dict[str, Any] | None = field(default=None, repr=False)
    #: decimal columns that are not proportions of people (estimates, design parameters)
    statistics: tuple[str, ...] = ()
    #: integer columns that are not counts of people (numbers of SPSTI, periods, points...)
    not_counts: tuple[str, ...] = ()

    @property
    def column_kinds(self) -> dict[str, list[str]]:
        """For ``disclosure.json``: ``not_counts`` (integer columns that are not counts of
        people) and ``statistics`` (decimal columns that are not proportions of people)."""
        return {"not_counts": list(self.not_counts),
                "statistics": [str(c) for c in self.statistics]}

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
    """An embedded figure (PNG or SVG bytes) and its data sidecar (what it draws, for the
    disclosure audit; see :func:`irdp.privacy.figure_sidecar`)."""

    name: str
    data: bytes
    mime: str
    caption: str
    placement: Placement = "auto"
    sidecar: dict[str, Any] | None = field(default=None, repr=False)

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
    policy: DisclosurePolicy | None = None,
    min_count: int | None = None,
    threshold: int | None = None,
    count_columns: Sequence[Hashable] | None = None,
    rates: Mapping[Hashable, tuple[Hashable, Hashable]] | None = None,
    row_total: Hashable | None = None,
    total_row: Hashable | None = None,
    known_totals: bool = False,
) -> pd.DataFrame:
    """Default disclosure hook: :func:`irdp.privacy.suppress_small_counts`.

    Counts ``0 < n < min_count`` are suppressed, with secondary suppression along the additive
    lines declared (``row_total``, ``total_row``, ``known_totals``) and suppression of the
    rates built on a suppressed count. ``threshold`` is the former name of ``min_count``.
    """
    from irdp.privacy import suppress_small_counts

    min_count = renamed_threshold("disclosure_control", threshold, min_count)
    return suppress_small_counts(
        frame,
        policy=policy,
        min_count=min_count,
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
    min_count : int, optional
        Disclosure threshold: counts ``0 < n < min_count`` are suppressed in every table
        (default: the policy's, 11). Below 11 only with a ``policy`` carrying an override.
    policy : DisclosurePolicy, optional
        The run's disclosure policy (threshold, rounding, marker of suppressed cells); it is
        stated in the report header.
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
        min_count: int | None = None,
        figure_format: Literal["png", "svg"] = "png",
        disclosure: DisclosureHook | None = None,
        subtitle: str | None = None,
        policy: DisclosurePolicy | None = None,
    ) -> None:
        from irdp.privacy import resolve_policy

        self.title = title
        self.subtitle = subtitle
        self.policy = resolve_policy(policy, min_count=min_count)
        self.min_count = self.policy.min_count
        self.figure_format = figure_format
        self.disclosure = disclosure or disclosure_control
        self.sections: dict[str, Section] = {
            s.id: Section(s.id, s.title, s.part, s.items) for s in SECTIONS
        }
        self._names: set[str] = set()
        #: extra declarations of the linked system: (method, args, kwargs) of
        #: :class:`irdp.privacy.LinkedTables` (``hierarchy``, ``levels``, ``add_known``)
        self.links: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self._unlinked: set[str] = set()

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
        link: Mapping[str, Any] | None = None,
        statistics: Sequence[Hashable] = (),
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
        link : mapping, optional
            How the table is declared in the run's linked system (keyword arguments of
            :meth:`irdp.privacy.LinkedTables.add`: ``population``, ``dims``, ``counts``,
            ``rates``, ``hidden``...), for tables that share margins with other tables
            (Table 1 by SPSTI and by data set...). By default the table is declared on its
            own, from ``count_columns``, ``row_total``, ``total_row`` and ``rates``.
            Hidden count columns named in ``link`` may be in ``frame``: they are removed
            from the published table. ``link["masked"]`` (``{column: [bool per row]}``)
            suppresses cells that the caller knows reveal a small count (shown as the
            marker).
        statistics : sequence of labels, default=()
            Decimal columns between 0 and 1 that are not proportions of people (p-values,
            design parameters such as a simulated missingness rate): recorded in
            ``disclosure.json`` so that the audit does not read them as rates.

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
        truth = declaration = None
        if disclosure:
            truth = frame
            frame, mask, suppressed, count_columns, link = self._control(
                frame, link, dict(count_columns=count_columns, rates=rates,
                                  row_total=row_total, total_row=total_row,
                                  known_totals=known_totals),
                block_column, block_derived)
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
            truth = None if truth is None else truth.iloc[order].reset_index(drop=True)
        if truth is not None:
            total_at = None
            if total_row is not None:
                total_at = list(order).index(total_row) if order is not None else total_row
            declaration = dict(link) if link is not None else _default_declaration(
                truth, count_columns, rates, row_total, total_at, block_column,
                block_derived, known_totals)
        self.section(section_id).blocks.append(
            TableBlock(name, frame, caption, suppressed, mask, placement, truth, declaration,
                       tuple(str(c) for c in statistics),
                       _not_counts(frame, count_columns) if disclosure else ()))
        return frame

    def _control(
        self, frame: pd.DataFrame, link: Mapping[str, Any] | None, kwargs: dict[str, Any],
        block_column: str | None, block_derived: Sequence[Hashable],
    ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int], Any, dict[str, Any] | None]:
        """The table's own disclosure control: hidden columns of ``link`` removed, cells the
        caller masks (``link["masked"]``) suppressed, then the disclosure hook."""
        hidden = list((link or {}).get("hidden", ()))
        masked = dict((link or {}).get("masked") or {})
        link = None if link is None else {k: v for k, v in link.items() if k != "masked"}
        frame = frame.drop(columns=[c for c in hidden if c in frame.columns])
        for c, rows in masked.items():  # cells the caller suppresses itself
            frame[c] = _nullable(frame[c]).mask(pd.Series(list(rows), index=frame.index))
        count_columns = kwargs["count_columns"]
        if count_columns is not None:
            count_columns = [c for c in count_columns if c in frame.columns]
        kwargs = {**kwargs, "count_columns": count_columns, "policy": self.policy}
        before = frame.isna()
        if block_column is None:
            frame = self.disclosure(frame, **kwargs)
            suppressed = dict(frame.attrs.get("disclosure", {}))
        else:
            frame, suppressed = self._by_block(frame, block_column, block_derived, kwargs)
        mask = frame.isna() & ~before
        for c in count_columns or ():
            if c in mask.columns:  # a count masked upstream is shown as suppressed too
                mask[c] = frame[c].isna().to_numpy()
        for c, rows in masked.items():
            if c in mask.columns:
                mask[c] = mask[c].to_numpy(dtype=bool) | np.asarray(rows, dtype=bool)
        return frame, mask, suppressed, count_columns, link

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

    # ---- the run as a whole -----------------------------------------------------------------
    def linked_tables(self, populations: Sequence[str] | None = None) -> Any:
        """Every disclosure-controlled table of the report declared in one
        :class:`irdp.privacy.LinkedTables` (true counts), with the declarations of
        :meth:`add_table` (``link=``) and the hierarchies and levels of :attr:`links`.

        ``populations`` keeps only the tables about these populations (cells of different
        populations share no constraint, so each population is a separate system).
        """
        from irdp.privacy import LinkedTables

        keep = None if populations is None else set(populations)
        lt = LinkedTables(self.policy)
        for b in self.tables():
            if b.truth is None or b.declaration is None:
                continue
            decl = {"population": b.name, **b.declaration}
            if keep is not None and decl["population"] not in keep:
                continue
            if decl["population"] in self._unlinked:
                decl["population"] = b.name  # declared alone (see suppress_linked)
            lt.add(b.name, b.truth, **decl)
        for kind, args, kwargs in self.links:
            pop = kwargs.get("population", "cohort")
            if (keep is None or pop in keep) and pop not in self._unlinked:
                getattr(lt, kind)(*args, **kwargs)
        return lt

    def populations(self) -> dict[str, list[str]]:
        """``{population: [table names]}`` of the declared tables."""
        out: dict[str, list[str]] = {}
        for b in self.tables():
            if b.truth is not None and b.declaration is not None:
                pop = str(b.declaration.get("population", b.name))
                out.setdefault(pop, []).append(b.name)
        return out

    def suppress_linked(self) -> Any:
        """Suppress the tables of the report together (secondary suppression across tables).

        The linked system of :meth:`linked_tables` is suppressed as a whole; a cell hidden
        there is hidden in the published table too (on top of the table's own control, so
        that figures drawn from the returned tables never show more). Hiding more cells
        only widens what a reader can infer, so the union passes both audits.

        Returns
        -------
        LinkedSummary
            The declared system (for the manifest, ``disclosure.json``) and the numbers of
            primary, complementary and rate suppressions.
        """

        masks: dict[str, pd.DataFrame] = {}
        stats = {"n_primary": 0, "n_secondary": 0, "n_rates": 0, "unprotected": []}
        for pop, names in self.populations().items():
            # a table on its own was controlled when added, with the same structure; only
            # populations shared by several tables (or with extra declarations) are
            # suppressed again, together
            declared = any("population" in (b.declaration or {}) for b in self.tables()
                           if b.name in names)  # declared with link=: its own structure
            if len(names) < 2 and not declared and not any(
                    kw.get("population", "cohort") == pop for _, _, kw in self.links):
                continue
            try:
                done = self.linked_tables([pop]).suppress(
                    strict=False, hidden_cells={b.name: b.mask for b in self.tables()
                                                if b.name in names and b.mask is not None})
            except ValueError as err:  # inconsistent declarations: each table on its own
                self._unlinked.add(pop)
                stats.setdefault("errors", []).append(f"population {pop!r}: {err}")
                continue
            for name in names:
                masks[name] = done.mask(name)
            stats["n_primary"] += done.n_primary
            stats["n_secondary"] += done.n_secondary
            stats["n_rates"] += done.n_rates
            stats["unprotected"] += list(done.unprotected)
        for s in self.sections.values():
            for i, b in enumerate(s.blocks):
                if not isinstance(b, TableBlock) or b.name not in masks:
                    continue
                extra = masks[b.name]
                frame, mask = b.frame.copy(), b.mask.copy()
                for c in frame.columns:
                    if c not in extra.columns:
                        continue
                    add = extra[c].to_numpy(dtype=bool) & frame[c].notna().to_numpy()
                    if add.any():
                        frame[c] = _nullable(frame[c]).mask(pd.Series(add, index=frame.index))
                        mask[c] = mask[c].to_numpy(dtype=bool) | add
                s.blocks[i] = dataclasses.replace(b, frame=frame, mask=mask)
        return LinkedSummary(self.linked_tables(), stats)

    def add_figure(self, section_id: str, name: str, fig: Any, *, caption: str,
                   placement: Placement = "auto", data: pd.DataFrame | None = None,
                   steps: Mapping[str, str | None] | None = None) -> None:
        """Render a matplotlib figure (closed afterwards) and embed it.

        ``fig`` is a matplotlib ``Figure`` or an :class:`irdp.plotting.Display` (its
        ``figure_``); ``placement`` as in :meth:`add_table`. The data the figure draws
        (``data``, default the Display's ``to_frame()``, else the coordinates of its lines,
        bars and points) is kept as its sidecar (``figures/<name>.data.json``), which the
        disclosure audit reads (``steps`` names the columns of step curves: see
        :func:`irdp.privacy.figure_sidecar`).
        """
        from irdp.privacy import figure_sidecar

        _check_placement(placement)
        self._claim(name)
        display = None
        if hasattr(fig, "figure_") and hasattr(fig, "plot"):  # an irdp Display
            display = fig
            fig = fig.figure_ if fig.figure_ is not None else fig.plot().figure_
        if data is None:
            data = _figure_data(display or getattr(fig, "display_", None), fig)
            data, steps = _step_curves(data, steps)
        kind = "step" if steps is not None else "plot"
        sidecar = figure_sidecar(data, figure=name, kind=kind, steps=steps)
        relabel_figure(fig, name)
        raw, mime = figure_to_bytes(fig, self.figure_format)
        self.section(section_id).blocks.append(
            FigureBlock(name, raw, mime, caption, placement, sidecar))

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


@dataclass
class LinkedSummary:
    """What :meth:`Report.suppress_linked` did: the declared system and its counts."""

    tables: Any
    stats: dict[str, Any]

    @property
    def n_primary(self) -> int:
        """Primary suppressions chosen by the run-level system."""
        return int(self.stats["n_primary"])

    @property
    def n_secondary(self) -> int:
        """Complementary suppressions chosen by the run-level system."""
        return int(self.stats["n_secondary"])

    @property
    def n_rates(self) -> int:
        """Rates hidden by the run-level system."""
        return int(self.stats["n_rates"])

    @property
    def unprotected(self) -> list[str]:
        """Small counts the run-level system could not protect (the audit withholds them)."""
        return list(self.stats["unprotected"])

    def manifest(self) -> dict[str, Any]:
        """The structure of every declared table (:meth:`LinkedTables.manifest`)."""
        return self.tables.manifest()


def _figure_data(display: Any, fig: Any) -> pd.DataFrame:
    """What a figure draws: the Display's frame, else the data of its artists."""
    if display is not None and hasattr(display, "to_frame"):
        try:
            frame = display.to_frame()
            if isinstance(frame, pd.DataFrame):
                return frame.reset_index()
        except (TypeError, ValueError, NotImplementedError, AttributeError):
            pass
    rows: list[dict[str, Any]] = []
    for k, ax in enumerate(fig.get_axes()):
        for j, line in enumerate(ax.get_lines()):
            x, y = line.get_xdata(orig=False), line.get_ydata(orig=False)
            label = str(line.get_label())
            for xi, yi in zip(list(x), list(y), strict=False):
                rows.append({"axes": k, "series": f"line{j}:{label}", "x": _float(xi),
                             "y": _float(yi)})
        for j, patch in enumerate(ax.patches):
            if hasattr(patch, "get_height") and hasattr(patch, "get_x"):
                rows.append({"axes": k, "series": f"bar{j}", "x": _float(patch.get_x()),
                             "y": _float(patch.get_height())})
        for j, coll in enumerate(ax.collections):
            offsets = getattr(coll, "get_offsets", lambda: [])()
            for xy in list(offsets)[:10_000]:
                if len(xy) == 2:
                    rows.append({"axes": k, "series": f"points{j}", "x": _float(xy[0]),
                                 "y": _float(xy[1])})
    return pd.DataFrame(rows, columns=["axes", "series", "x", "y"])


def _not_counts(frame: pd.DataFrame, count_columns: Sequence[Hashable] | None
                ) -> tuple[str, ...]:
    """Integer columns left out of ``count_columns`` on purpose: not counts of people."""
    if count_columns is None:
        return ()
    counts = set(count_columns)
    return tuple(str(c) for c in frame.columns if c not in counts
                 and pd.api.types.is_integer_dtype(frame[c])
                 and not pd.api.types.is_bool_dtype(frame[c]))


def _step_curves(data: pd.DataFrame, steps: Mapping[str, str | None] | None
                 ) -> tuple[pd.DataFrame, Mapping[str, str | None] | None]:
    """Step curves of a Display frame (``element == "step"``), with each series' group size
    from its legend row, described for the figure-steps attack of the audit."""
    if steps is not None or "element" not in data.columns or not (
            data["element"] == "step").any():
        return data, steps
    curve = data[data["element"] == "step"].copy()
    if "n" in data.columns and "series" in data.columns:
        sizes = data[data["element"] == "legend"].drop_duplicates("series").set_index(
            "series")["n"]
        curve["n"] = curve["series"].map(sizes)
    cols = [c for c in ("series", "x", "y", "n") if c in curve.columns]
    return curve[cols].reset_index(drop=True), {"series": "series", "x": "x", "y": "y",
                                               "n": "n" if "n" in cols else None}


def _float(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if f == f else None


def _nullable(col: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(col):
        return col.astype(object)
    if pd.api.types.is_integer_dtype(col):
        return col.astype("Int64")
    if pd.api.types.is_numeric_dtype(col):
        return col.astype("Float64")
    return col.astype(object)


def _default_declaration(
    frame: pd.DataFrame, count_columns: Sequence[Hashable] | None,
    rates: Mapping[Hashable, tuple[Hashable, Hashable]] | None, row_total: Hashable | None,
    total_at: int | None, block_column: str | None, block_derived: Sequence[Hashable],
    known_totals: bool,
) -> dict[str, Any] | None:
    """A table declared on its own in the linked system, as :meth:`Report.add_table`
    controls it: each row a cell of a private dimension (within its block), the count
    columns tied by ``row_total`` when given, ``total_row`` the sum of the rows, the column
    rates and block-derived columns hidden with their counts. ``None`` for a table without
    counts. (``known_totals`` is applied by the table's own control only: the linked system
    holds no value that the tables do not publish, so that ``disclosure.json`` reveals
    nothing.)"""
    del known_totals
    if count_columns is None:
        cols = [c for c in frame.columns if pd.api.types.is_integer_dtype(frame[c])
                and not pd.api.types.is_bool_dtype(frame[c])]
    else:
        cols = [c for c in count_columns if c in frame.columns]
    if not cols:
        return None
    if row_total is not None and row_total in cols:
        counts = {c: ({} if c == row_total else {"__col__": str(c)}) for c in cols}
    else:
        counts = {c: {"__col__": str(c)} for c in cols}
    keys: list[dict[str, str]] = []
    for r in range(len(frame)):
        k = {} if r == total_at else {"__row__": str(r)}
        if block_column is not None:
            k["__block__"] = str(frame[block_column].iloc[r])
        keys.append(k)
    derived: dict[Hashable, Any] = {}
    for rate, pair in (rates or {}).items():
        if rate in frame.columns:
            derived[rate] = [c for c in cols if c in set(pair)] or "row"
    for c in block_derived:
        if c in frame.columns:
            derived[c] = "row"
    return {"counts": counts, "row_keys": keys, "derived": derived or None,
            "derived_block": block_column if derived and block_derived else None,
            "other": [c for c in frame.columns if c not in counts and c not in derived
                      and pd.api.types.is_integer_dtype(frame[c])]}


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
