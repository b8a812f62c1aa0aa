"""Base class of the irdp display objects (private; import from :mod:`irdp.plotting`).

A display holds the data it draws and the matplotlib objects it drew them on, in the manner
of scikit-learn's ``*Display`` classes (``CalibrationDisplay``, ``RocCurveDisplay``). Unlike a
bare :class:`matplotlib.figure.Figure` built without pyplot, a display renders inline in
Jupyter (``_repr_png_``) and in any HTML page (``_repr_html_``), so a notebook cell whose last
expression is a display shows the picture, not ``<Figure size ...>``. The figures a display
creates are :class:`DisplayFigure` objects, which render inline too: the functions that
return a figure (``plot_calibration``, a result's ``plot()``) show a picture as well.

pyplot is never used: figures are not registered in pyplot's global state, so nothing is
shown twice, nothing leaks between threads, and a figure is freed when it is no longer used.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["DRAWN_COLUMNS", "Display", "DisplayFigure", "drawn_frame"]

#: Columns of every :meth:`Display.to_frame`: one row per drawn element (a point of a curve,
#: a bar, an interval, a count written on the figure). ``element`` says what it is, ``series``
#: which curve or row it belongs to; unused coordinates are NaN. ``n`` is a count written on
#: the figure (legend or label), so the disclosure audit sees every number a reader sees.
DRAWN_COLUMNS: tuple[str, ...] = (
    "panel", "element", "series", "x", "y", "x_lower", "x_upper", "y_lower", "y_upper",
    "width", "n",
)


def drawn_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """A :data:`DRAWN_COLUMNS` frame from row dicts (missing coordinates become NaN)."""
    frame = pd.DataFrame(list(rows), columns=list(DRAWN_COLUMNS))
    for c in DRAWN_COLUMNS[3:]:
        frame[c] = pd.to_numeric(frame[c], errors="coerce").astype(float)
    for c in DRAWN_COLUMNS[:3]:
        frame[c] = frame[c].astype(object).where(frame[c].notna(), "")
    return frame


class DisplayFigure(Figure):
    """A matplotlib Figure that renders inline in Jupyter and knows the display that drew it.

    Created without pyplot. Besides everything a Figure does (``savefig``, ``axes``,
    ``pyplot.close``), it has ``_repr_png_`` (so a notebook cell returning it shows the
    picture) and ``display_``, the :class:`Display` that drew it (its ``to_frame()`` gives
    the coordinates drawn).
    """

    display_: Display | None = None

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=100, bbox_inches="tight")
        return buf.getvalue()


class Display:
    """Drawn figure plus the data behind it.

    Subclasses implement :meth:`plot`, which draws on ``ax`` (a new :class:`DisplayFigure`
    when ``None``), sets :attr:`figure_` and :attr:`ax_` and returns ``self``, and
    :meth:`_drawn`, the rows of :meth:`to_frame`: the coordinates actually drawn (what a
    reader of the figure can recover; the disclosure audit reads them).

    Attributes
    ----------
    figure_ : matplotlib.figure.Figure
        The figure drawn on (set by :meth:`plot`).
    ax_ : matplotlib.axes.Axes
        The main axes drawn on (set by :meth:`plot`).
    """

    figure_: Any = None
    ax_: Any = None

    def plot(self, ax: Any = None, **kwargs: Any) -> Display:  # pragma: no cover - abstract
        """Draw the display on ``ax`` (a new figure when ``None``) and return ``self``."""
        raise NotImplementedError

    def _drawn(self) -> list[dict[str, Any]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_frame(self) -> pd.DataFrame:
        """The coordinates drawn, one row per drawn element (columns :data:`DRAWN_COLUMNS`).

        The figure is drawn first if it was not yet. What is suppressed by disclosure
        control is not drawn and is not in this frame either.
        """
        self._ensure_drawn()
        return drawn_frame(self._drawn())

    # ------------------------------------------------------------------ helpers
    def _new_figure(self, figsize: tuple[float, float], **subplots: Any) -> tuple[Any, Any]:
        """A new DisplayFigure (constrained layout) and its axes (``Figure.subplots``)."""
        fig = DisplayFigure(figsize=figsize, layout="constrained")
        fig.display_ = self
        return fig, fig.subplots(**subplots)

    def _ensure_drawn(self) -> Any:
        if self.figure_ is None:
            self.plot()
        return self.figure_

    # ------------------------------------------------------------------ output
    def savefig(self, fname: Any, **kwargs: Any) -> None:
        """Save the figure (as :meth:`matplotlib.figure.Figure.savefig`)."""
        self._ensure_drawn().savefig(fname, **kwargs)

    def to_png(self, dpi: int = 100) -> bytes:
        """The figure as PNG bytes."""
        buf = io.BytesIO()
        self._ensure_drawn().savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
        return buf.getvalue()

    def _repr_png_(self) -> bytes:
        return self.to_png()

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.to_png()).decode("ascii")
        alt = type(self).__name__
        return f'<img src="data:image/png;base64,{data}" alt="{alt}">'

    def __repr__(self) -> str:
        drawn = "drawn" if self.figure_ is not None else "not drawn"
        return f"<{type(self).__name__} ({drawn})>"


def finite(values: Any) -> np.ndarray:
    """Float array of ``values`` (pandas NA become NaN)."""
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float,
                                                                        na_value=np.nan)
