"""Figures of the fairness checks (matplotlib imported on use; never ``show()``)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["plot_forest", "plot_group_calibration"]


def _axes(ax: Any, figsize: tuple[float, float]) -> tuple[Any, Any]:
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    return fig, fig.add_subplot(1, 1, 1)


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
        Suppressed groups are listed with "suppressed" and no point.
    """
    tab = result.table[result.table["measure"] == measure]
    if tab.empty:
        raise ValueError(
            f"measure must be one of {sorted(set(result.table['measure']))}; got {measure!r}."
        )
    if "label" in tab:
        labels = tab["label"].tolist()
    else:
        labels = [" x ".join(map(str, r))
                  for r in tab[list(result.group_names)].itertuples(index=False)]
    fig, ax = _axes(ax, (6.0, 0.35 * len(labels) + 1.5))
    ypos = np.arange(len(labels))[::-1]
    v, lo, hi = (tab[c].to_numpy(dtype=float) for c in ("value", "lower", "upper"))
    ok = np.isfinite(v)
    has_ci = ok & np.isfinite(lo) & np.isfinite(hi)
    # interval as a segment: a percentile bootstrap CI need not contain its point estimate
    ax.hlines(ypos[has_ci], lo[has_ci], hi[has_ci], color="C0")
    ax.plot(v[ok], ypos[ok], "o", color="C0")
    overall = [i for i, lab in enumerate(labels) if "(overall)" in lab]
    if overall and ok[overall[0]]:
        ax.axvline(v[overall[0]], linestyle="--", color="grey", linewidth=1)
    for i in np.flatnonzero(~ok):
        ax.annotate("suppressed", (0.02, ypos[i]), xycoords=("axes fraction", "data"),
                    va="center", fontsize=8, color="grey")
    ax.set_yticks(ypos, labels)
    ax.set_xlabel(measure)
    ax.set_title(f"{measure} by group")
    fig.tight_layout()
    return fig


def plot_group_calibration(result: Any, *, ax: Any = None) -> Any:
    """Binned calibration curves of every reported group on one plot, with the diagonal.

    Bins masked by disclosure control are not drawn.
    """
    fig, ax = _axes(ax, (5.5, 5.0))
    cur = result.curves
    names = list(result.group_names)
    lim = 0.0
    if not cur.empty:
        for key, sub in cur.groupby(names, sort=True):
            key = key if isinstance(key, tuple) else (key,)
            x = sub["mean_predicted"].to_numpy(dtype=float)
            yv = sub["observed"].to_numpy(dtype=float, na_value=np.nan)
            keep = np.isfinite(yv)
            ax.plot(x[keep], yv[keep], marker="o", label=" x ".join(map(str, key)))
            lim = max(lim, float(np.nanmax(np.r_[x, yv[keep], 0.0])))
    lim = min(1.0, lim * 1.05 + 1e-3)
    ax.plot([0, lim], [0, lim], linestyle=":", color="black", linewidth=1, label="ideal")
    ax.set_xlim(0, lim)
    ax.set_ylim(0, lim)
    ax.set_xlabel("mean predicted risk")
    ax.set_ylabel("observed risk" + ("" if result.horizon is None else f" by {result.horizon:g}"))
    ax.set_title("Calibration by group")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
