"""Base class of the irdp display objects (private; import from :mod:`irdp.plotting`).

A display holds the data it draws and the matplotlib objects it drew them on, in the manner
of scikit-learn's ``*Display`` classes (``CalibrationDisplay``, ``RocCurveDisplay``). Unlike a
bare :class:`matplotlib.figure.Figure` built without pyplot, a display renders inline in
Jupyter (``_repr_png_``) and in any HTML page (``_repr_html_``), so a notebook cell whose last
expression is a display shows the picture, not ``<Figure size ...>``.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import pandas as pd

__all__ = ["Display"]


class Display:
    """Drawn figure plus the data behind it.

    Subclasses implement :meth:`plot`, which draws on ``ax`` (a new figure when ``None``),
    sets :attr:`figure_` and :attr:`ax_` and returns ``self``, and :meth:`to_frame`, which
    returns the coordinates actually drawn (what a reader of the figure can recover; the
    disclosure audit reads it).

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

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - abstract
        """The coordinates drawn, one row per drawn point."""
        raise NotImplementedError

    def _ensure_drawn(self) -> Any:
        if self.figure_ is None:
            self.plot()
        return self.figure_

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
