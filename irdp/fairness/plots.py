"""Figures of the fairness checks: data for the displays, drawn by the display layer.

The fairness layer does not import the display layer (ARCHITECTURE.md): it prepares what
a forest plot shows (:class:`GroupForest`) and hands it, like its results, to the display
registered for it (:func:`irdp._display_registry.draw`). The figures returned render inline
in Jupyter; their display (``figure.display_``) gives the coordinates drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from irdp._display_registry import draw

__all__ = ["GroupForest", "plot_forest", "plot_group_calibration"]


@dataclass(frozen=True)
class GroupForest:
    """What a forest plot of one measure by group shows.

    Attributes
    ----------
    measure : str
        Name of the measure (``"oe_ratio"``, ``"auc"``, ``"tpr@0.1"``...).
    table : pandas.DataFrame
        One row per drawn line, top to bottom: ``label``, ``value``, ``lower``, ``upper``
        (value NaN for a suppressed group), ``overall`` (True for the overall sample).
    """

    measure: str
    table: pd.DataFrame

    @classmethod
    def from_result(cls, result: Any, measure: str) -> GroupForest:
        """From a GroupPerformance or FairnessSummary (anything with a tidy ``table``).

        Raises
        ------
        ValueError
            If ``measure`` is not in the result's table.
        """
        tab = result.table[result.table["measure"] == measure]
        if tab.empty:
            raise ValueError(
                f"measure must be one of {sorted(set(result.table['measure']))}; got "
                f"{measure!r}."
            )
        if "label" in tab:
            labels = [str(v) for v in tab["label"]]
        else:
            labels = [" x ".join(map(str, r))
                      for r in tab[list(result.group_names)].itertuples(index=False)]

        def col(name: str) -> np.ndarray:
            return pd.to_numeric(tab[name], errors="coerce").to_numpy(dtype=float,
                                                                      na_value=np.nan)

        table = pd.DataFrame({"label": labels, "value": col("value"), "lower": col("lower"),
                              "upper": col("upper"),
                              "overall": ["(overall)" in lab for lab in labels]})
        return cls(measure=str(measure), table=table)


def plot_forest(result: Any, measure: str, *, ax: Any = None) -> Any:
    """Forest plot of one measure by group (point and CI), overall value as a dashed line.

    Parameters
    ----------
    result : GroupPerformance or FairnessSummary
        Anything with a tidy ``table`` holding ``measure``, ``value``, ``lower``, ``upper``
        and the label columns in ``group_names`` (or ``label``).
    measure : str
        Name of the measure to draw.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Renders inline in Jupyter (drawn by the registered ``FairnessForestDisplay``).
        Suppressed groups are listed with "suppressed" and no point.
    """
    return draw(GroupForest.from_result(result, measure), ax=ax)


def plot_group_calibration(result: Any, *, ax: Any = None) -> Any:
    """Binned calibration curves of every reported group on one plot, with the diagonal.

    Bins masked by disclosure control are not drawn (see
    ``GroupCalibrationDisplay``, the display registered for GroupCalibration).
    """
    return draw(result, ax=ax)
