"""Rendering of a controlled table: suppressed cells show the policy's marker (private)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from irdp.privacy.policy import DisclosurePolicy

__all__ = ["format_suppressed"]


def _cell_text(v: Any) -> str:
    if isinstance(v, str):
        return v
    return f"{v:g}" if isinstance(v, float) else str(v)


def format_suppressed(
    table: pd.DataFrame,
    *,
    marker: str | None = None,
    policy: DisclosurePolicy | None = None,
    mask: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Render a suppressed table for printing: suppressed cells become the marker (strings).

    Parameters
    ----------
    table : pandas.DataFrame
        A controlled table (suppressed cells missing).
    marker : str, optional
        Text of a suppressed cell (default: the policy's, ``[c]``).
    policy : DisclosurePolicy, optional
        Gives the default marker.
    mask : pandas.DataFrame, optional
        Suppressed cells (True); other missing cells are shown empty. Default: every missing
        cell shows the marker.

    Examples
    --------
    >>> import pandas as pd
    >>> from irdp.privacy import suppress_small_counts
    >>> format_suppressed(suppress_small_counts(pd.DataFrame({"n": [3, 50]})))["n"].tolist()
    ['[c]', '50']
    """
    if marker is None:
        marker = (policy or DisclosurePolicy()).marker
    out = table.astype(object).where(table.notna(), "")
    hide = table.isna() if mask is None else mask.reindex_like(table).fillna(False).astype(bool)
    out = out.mask(hide, marker)
    return out.map(_cell_text)
