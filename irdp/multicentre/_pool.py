"""Pooling summary packs: random-effects meta-analysis without a row (private module)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from irdp._summary import Summary
from irdp.exceptions import InsufficientDataError, SummaryPackError
from irdp.multicentre._pack import SummaryPack, read_pack
from irdp.validation import MetaAnalysisResult, pool_centre_summaries

__all__ = ["PooledResult", "check_compatible", "pool"]

#: What every pack of one pooling must share (key of the pack, words for the error).
_SHARED = (
    ("experiment", "experiment (configuration and model SHA-256)"),
    ("horizon_days", "horizon"),
    ("outcome", "outcome type"),
    ("measures", "measures"),
    ("thresholds", "net-benefit thresholds"),
    ("risk_grid", "calibration risk grid"),
)


def check_compatible(packs: list[SummaryPack]) -> None:
    """Refuse packs that cannot be pooled together.

    Raises
    ------
    SummaryPackError
        The same SPSTI twice (``rule="duplicate"``), or packs of another experiment, other
        indices, horizon, measures, thresholds or grid than the first (``"compatibility"``).
    """
    if not packs:
        raise SummaryPackError("<none>", "format", "no summary pack given.")
    seen: dict[str, str] = {}
    for p in packs:
        if p.spsti in seen:
            raise SummaryPackError(p.source, "duplicate", f"SPSTI {p.spsti!r} is already "
                                   f"given by {seen[p.spsti]}; each SPSTI is pooled once "
                                   "(remove one of the two packs).")
        seen[p.spsti] = p.source
    first = packs[0]
    for p in packs[1:]:
        if p.indices != first.indices:
            raise SummaryPackError(p.source, "compatibility", f"indices {p.indices} differ "
                                   f"from {first.indices} in {first.source}; pool packs of "
                                   "the same experiment only.")
        for key, words in _SHARED:
            if p.data.get(key) != first.data.get(key):
                raise SummaryPackError(
                    p.source, "compatibility", f"its {words} differs from that of "
                    f"{first.source} ({_short(p.data.get(key))} versus "
                    f"{_short(first.data.get(key))}); pool packs written by 'irdp summarise' "
                    "from the same experiment file and model exports only.")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


@dataclass(frozen=True)
class PooledResult:
    """Multicentre validation pooled from summary packs (see :func:`pool`).

    Attributes
    ----------
    meta : dict of (index, measure) -> MetaAnalysisResult
        Random-effects meta-analysis (REML, HKSJ CI, prediction interval, I^2) of each
        measure of each index across the SPSTI not suppressed.
    centres : pandas.DataFrame
        One row per index and SPSTI: ``index, centre, n, n_events, suppressed`` and
        ``<measure>``, ``<measure>_se``.
    calibration : pandas.DataFrame
        Calibration on the fixed grid: per SPSTI (``centre``) and pooled (``centre ==
        "pooled"``: counts summed and risks averaged, weighted by n, over the SPSTI where
        the bin is published; ``n_centres`` says how many).
    net_benefit : pandas.DataFrame
        Per SPSTI and pooled (weighted by n) net benefit at each threshold.
    case_mix : pandas.DataFrame
        Case-mix summaries of each SPSTI (mean and SD of the logit of predicted risk, of age).
    packs : pandas.DataFrame
        The packs pooled: SPSTI, file, content SHA-256, irdp version.
    experiment : dict
        The experiment identification shared by the packs.
    """

    meta: dict[tuple[str, str], MetaAnalysisResult]
    centres: pd.DataFrame
    calibration: pd.DataFrame
    net_benefit: pd.DataFrame
    case_mix: pd.DataFrame
    packs: pd.DataFrame
    experiment: dict[str, Any] = field(default_factory=dict)
    horizon: float | None = None

    @property
    def indices(self) -> list[str]:
        """Names of the indices pooled."""
        return list(dict.fromkeys(i for i, _ in self.meta))

    def to_frame(self) -> pd.DataFrame:
        """One row per index and measure: pooled estimate, CI, prediction interval,
        heterogeneity (tau^2, I^2, Q and its p-value) and k."""
        rows = []
        for (index, measure), res in self.meta.items():
            row = res.to_frame().iloc[0].to_dict()
            rows.append({"index": index, "measure": measure, "scale": res.scale,
                         "method": res.method, **row})
        return pd.DataFrame(rows)

    def summary(self) -> Summary:
        """The pooled table as a :class:`irdp._summary.Summary` (never prints)."""
        table = self.to_frame().set_index(["index", "measure"])[
            ["estimate", "lower", "upper", "pi_lower", "pi_upper", "i2", "k"]]
        notes = (f"{len(self.packs)} SPSTI pooled from summary packs (no individual data); "
                 "random-effects meta-analysis, REML, HKSJ 95% CI, 95% prediction interval "
                 "for a new SPSTI.",)
        return Summary("Multicentre validation pooled from summary packs", table, notes)

    def plot(self, index: str | None = None, measure: str = "c_harrell", *, ax: Any = None,
             **kwargs: Any) -> Any:
        """Forest plot of one measure of one index (the display of
        :class:`irdp.validation.MetaAnalysisResult`, through the display registry).

        Parameters
        ----------
        index : str, optional
            Default: the first index.
        measure : str, default="c_harrell"
            A measure of the packs (``c_harrell`` or ``auc``, ``oe_ratio``,
            ``calibration_slope``...).
        ax : matplotlib.axes.Axes, optional
        **kwargs
            Passed to the forest plot (``title``, ``reference``).

        Returns
        -------
        matplotlib.figure.Figure
        """
        index = index if index is not None else self.indices[0]
        if (index, measure) not in self.meta:
            raise ValueError(f"no pooled result for index {index!r} and measure {measure!r}; "
                             f"available: {sorted(self.meta)}.")
        kwargs.setdefault("title", f"{index}: {measure} across SPSTI")
        return self.meta[(index, measure)].plot(ax=ax, **kwargs)


    def plot_calibration(self, index: str | None = None, *, ax: Any = None) -> Any:
        """Calibration of one index on the fixed risk grid: each SPSTI's published bins and
        the pooled curve (:class:`irdp.plotting.PooledCalibrationDisplay`).

        Returns
        -------
        irdp.plotting.PooledCalibrationDisplay
            Drawn; it renders inline in Jupyter, ``to_frame()`` gives what it drew.
        """
        from irdp.plotting import PooledCalibrationDisplay

        index = index if index is not None else self.indices[0]
        cal = self.calibration[self.calibration["index"] == index]
        if cal.empty:
            raise ValueError(f"no calibration for index {index!r}; indices: {self.indices}.")
        return PooledCalibrationDisplay(cal, label=index, horizon=self.horizon).plot(ax=ax)


def _as_packs(packs: Iterable[SummaryPack | str | Path]) -> list[SummaryPack]:
    out = []
    for p in packs:
        if isinstance(p, SummaryPack):
            from irdp.multicentre._pack import check_pack

            out.append(check_pack(p.data, source=p.source))
        elif isinstance(p, str | Path):
            out.append(read_pack(p))
        else:
            raise TypeError(f"packs must be SummaryPack objects or paths; got "
                            f"{type(p).__name__}.")
    return out


def pool(packs: Iterable[SummaryPack | str | Path], **kwargs: Any) -> PooledResult:
    """Pool summary packs of several SPSTI: meta-analysis, calibration, net benefit, case mix.

    Parameters
    ----------
    packs : iterable of SummaryPack or path
        Packs written by :func:`irdp.multicentre.summarise` (``irdp summarise``). Each is
        checked (format version, content SHA-256) and they must be compatible (same
        experiment, indices, horizon, measures, grid; each SPSTI once).
    **kwargs
        Passed to :func:`irdp.validation.meta_analysis` (``level``, ``hksj``, ``pi_df``,
        ``min_clusters``).

    Returns
    -------
    PooledResult

    Raises
    ------
    SummaryPackError
        A tampered, incompatible or wrong-version pack, or a duplicate SPSTI.

    Notes
    -----
    Each measure is pooled by :func:`irdp.validation.pool_centre_summaries` on Debray's
    scale (C on the logit scale, O/E on the log scale), the same function that pools the
    per-SPSTI summaries of a pooled-data run, so both give the same meta-analysis.

    References
    ----------
    Debray TPA et al. BMJ 2017;356:i6460; Riley RD, Higgins JPT, Deeks JJ. BMJ
    2011;342:d549 (prediction intervals).

    Examples
    --------
    >>> import numpy as np
    >>> from irdp.multicentre import summary_pack
    >>> from irdp.outcomes import Binary
    >>> rng = np.random.default_rng(1)
    >>> packs = []
    >>> for s in ("S001", "S002", "S003"):
    ...     risk = rng.uniform(0.02, 0.4, 2000)
    ...     y = Binary(rng.uniform(size=2000) < risk)
    ...     packs.append(summary_pack(y, {"m": risk}, spsti=s, horizon=None))
    >>> result = pool(packs)
    >>> result.to_frame()[["measure", "k"]].values.tolist()
    [['c_harrell', 3], ['calibration_slope', 3], ['oe_ratio', 3]]
    """
    items = _as_packs(packs)
    check_compatible(items)
    centres = pd.concat([p.measures_frame() for p in items], ignore_index=True)
    meta: dict[tuple[str, str], MetaAnalysisResult] = {}
    measures = items[0].data["measures"]
    for index in items[0].indices:
        part = centres[centres["index"] == index]
        for m in measures:
            try:
                meta[(index, m)] = pool_centre_summaries(part, m, **kwargs)
            except InsufficientDataError:
                continue  # fewer than 2 SPSTI not suppressed: nothing to pool
    return PooledResult(
        meta=meta, centres=centres, calibration=_calibration(items),
        net_benefit=_net_benefit(items), case_mix=_case_mix(items),
        packs=pd.DataFrame([{"spsti": p.spsti, "file": p.source,
                             "content_sha256": p.content_sha256,
                             "irdp_version": p.data.get("irdp_version")} for p in items]),
        experiment=dict(items[0].data["experiment"]),
        horizon=items[0].data.get("horizon_days"),
    )


def _calibration(items: list[SummaryPack]) -> pd.DataFrame:
    rows = []
    for p in items:
        for index, part in p.data["indices"].items():
            for b in part["calibration"]:
                rows.append({"index": index, "centre": p.spsti, **b})
    per = pd.DataFrame(rows)
    per = per[per["bin"] != "all"]
    pooled = []
    for (index, label), g in per.groupby(["index", "bin"], sort=False):
        ok = g["n"].notna() & g["observed_risk"].notna() & (g["n"].fillna(0) > 0)
        w = g.loc[ok, "n"].astype(float)
        row = {"index": index, "centre": "pooled", "bin": label,
               "lower": g["lower"].iloc[0], "upper": g["upper"].iloc[0],
               "n": float(w.sum()) if ok.any() else np.nan,
               "n_centres": int(ok.sum())}
        for c in ("mean_predicted", "observed_risk"):
            row[c] = float(np.average(g.loc[ok, c].astype(float), weights=w)) if ok.any() \
                else np.nan
        pooled.append(row)
    return pd.concat([per, pd.DataFrame(pooled)], ignore_index=True)


def _net_benefit(items: list[SummaryPack]) -> pd.DataFrame:
    rows = []
    for p in items:
        for index, part in p.data["indices"].items():
            for r in part["net_benefit"]:
                rows.append({"index": index, "centre": p.spsti, "n": part["n"], **r})
    per = pd.DataFrame(rows, columns=["index", "centre", "n", "threshold", "net_benefit",
                                      "treat_all"])
    pooled = []
    for (index, t), g in per.groupby(["index", "threshold"], sort=False):
        ok = g["n"].notna() & g["net_benefit"].notna() & g["treat_all"].notna()
        if not ok.any():
            continue
        w = g.loc[ok, "n"].astype(float)
        pooled.append({"index": index, "centre": "pooled", "n": float(w.sum()),
                       "threshold": t,
                       "net_benefit": float(np.average(g.loc[ok, "net_benefit"], weights=w)),
                       "treat_all": float(np.average(g.loc[ok, "treat_all"], weights=w))})
    return pd.concat([per, pd.DataFrame(pooled)], ignore_index=True)


def _case_mix(items: list[SummaryPack]) -> pd.DataFrame:
    rows = []
    for p in items:
        for index, part in p.data["indices"].items():
            rows.append({"index": index, "centre": p.spsti, "n": part["n"],
                         **(part["case_mix"] or {})})
    return pd.DataFrame(rows)
