"""Progress bars that render in a terminal and in Jupyter (private).

``tqdm.auto`` picks ipywidgets' bar inside a Jupyter kernel; without ipywidgets (not a
dependency of irdp) it prints ``TqdmWarning: IProgress not found`` into the notebook and falls
back to a text bar on stderr. :func:`tqdm` here does what ``tqdm.auto`` does when ipywidgets
is installed, and otherwise draws an HTML ``<progress>`` bar updated in place in the cell's
output (no widget, no warning, no stderr). Outside Jupyter it is the standard text bar.
"""

from __future__ import annotations

import html
import importlib.util
import io
import sys
from typing import Any

from tqdm.std import tqdm as _std_tqdm

__all__ = ["HtmlProgressBar", "in_jupyter_kernel", "tqdm"]


def in_jupyter_kernel() -> bool:
    """Whether the code runs in a Jupyter (IPython) kernel."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


class HtmlProgressBar(_std_tqdm):
    """A tqdm bar drawn as HTML in the cell output, updated in place (Jupyter, no widgets)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._handle: Any = None
        kwargs.setdefault("file", io.StringIO())  # the text meter never reaches stderr
        kwargs.setdefault("mininterval", 0.5)
        super().__init__(*args, **kwargs)

    def _html(self) -> str:
        d = self.format_dict
        total = d.get("total") or 0
        text = self.format_meter(**{**d, "bar_format": "{desc}: {n_fmt}/{total_fmt} "
                                                       "[{elapsed}<{remaining}{postfix}]"})
        value = f' value="{d["n"]}" max="{total}"' if total else ""
        return (f'<div><progress{value} style="width: 30em"></progress> '
                f'<code>{html.escape(text)}</code></div>')

    def display(self, msg: str | None = None, pos: int | None = None) -> None:  # noqa: ARG002
        """Draw or update the HTML bar."""
        from IPython.display import HTML, display

        # tqdm calls this only for an enabled bar (close() sets disable just before its last
        # call, which must still draw the final state)
        if self._handle is None:
            self._handle = display(HTML(self._html()), display_id=True)
        else:
            self._handle.update(HTML(self._html()))


def tqdm(*args: Any, **kwargs: Any) -> Any:
    """A progress bar: ipywidgets' in Jupyter when installed, else HTML there, else text."""
    if in_jupyter_kernel():
        if importlib.util.find_spec("ipywidgets") is not None:
            from tqdm.notebook import tqdm as notebook_tqdm

            return notebook_tqdm(*args, **kwargs)
        return HtmlProgressBar(*args, **kwargs)
    return _std_tqdm(*args, **kwargs)
