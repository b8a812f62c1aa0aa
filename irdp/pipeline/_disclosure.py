"""How the tables of a run are declared in its linked disclosure system (private).

Each function returns the keyword ``link=`` of :meth:`irdp.report.Report.add_table` for a table
that shares margins with other tables or publishes rates with a known denominator, so that
:meth:`irdp.report.Report.suppress_linked` suppresses them together (see
:class:`irdp.privacy.LinkedTables`). Tables not declared here are declared on their own from
their ``count_columns``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from irdp.privacy import DEFAULT_MIN_COUNT, Rate

#: Population of the rows of the analysis frame (index events of the cohort): Table 1 by data
#: set and by SPSTI and the service tables count the same index events.
INDEX_EVENTS = "index_events"


def table_one_link(table: pd.DataFrame, group: str, dimension: str) -> dict[str, Any]:
    """Table 1 (``variable``/``level`` rows, ``<group>: n`` counts with ``%/mean`` and ``SD``):
    the counts of group ``g`` are the index events with ``dimension = g``; ``Overall: n`` is
    every group; each variable's levels add up to its ``N`` row."""
    del group
    counts: dict[str, dict[str, str]] = {}
    derived: dict[str, list[str] | str] = {}
    for c in table.columns:
        if not str(c).endswith(": n"):
            continue
        g = str(c)[: -len(": n")]
        counts[c] = {} if g == "Overall" else {dimension: g}
        for extra in (f"{g}: %/mean", f"{g}: SD"):
            if extra in table.columns:
                derived[extra] = [c]
    if "SMD" in table.columns:
        derived["SMD"] = "row"
    # the "N" row is the whole group; a level may itself be called "N" (NAF section N)
    keys = [{} if str(v) == "N" else {str(v): "" if pd.isna(lv) else str(lv)}
            for v, lv in zip(table["variable"], table["level"], strict=True)]
    return {"population": INDEX_EVENTS, "row_keys": keys,
            "counts": counts, "derived": derived or None,
            "derived_block": "variable" if "SMD" in table.columns else None}


def service_link(table: pd.DataFrame, grouping: str, levels: Sequence[str],
                 report: Any = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A service table (one row per level of ``grouping``): ``n`` index events, the events by
    the horizon and the number in each risk level; the three groupings (SPSTI, sector,
    company size) share their total. Index events without a risk level are a hidden
    column, so that the levels add up to ``n``."""
    frame = table.copy()
    counts: dict[str, dict[str, str]] = {"n": {}}
    if "events_by_horizon" in frame.columns:
        counts["events_by_horizon"] = {"event_by_horizon": "yes"}
    hidden = []
    level_cols = [f"n_{lv}" for lv in levels if f"n_{lv}" in frame.columns]
    if level_cols:
        for c, lv in zip(level_cols, levels, strict=False):
            counts[c] = {"risk_level": str(lv)}
        frame["n_no_level"] = (frame["n"] - frame[level_cols].sum(axis=1)).astype("int64")
        counts["n_no_level"] = {"risk_level": "(none)"}
        hidden.append("n_no_level")
    if report is not None:  # every level of the dimensions the columns add
        extra = [("event_by_horizon", ["yes", "no"])]
        if level_cols:
            extra.append(("risk_level", [*map(str, levels), "(none)"]))
        for dim, values in extra:
            decl = ("levels", (dim, values), {"population": INDEX_EVENTS})
            if decl not in report.links:
                report.links.append(decl)
    derived: dict[str, Any] = {}
    for c in frame.columns:
        if c in counts or c == "group":
            continue
        derived[c] = ["events_by_horizon", "n"] if c == "observed_risk" else ["n"]
    return frame, {"population": INDEX_EVENTS, "dims": {"group": grouping},
                   "counts": counts, "hidden": hidden, "derived": derived or None}


def net_benefit_link(table: pd.DataFrame, n: int, min_count: int = DEFAULT_MIN_COUNT
                     ) -> tuple[pd.DataFrame, dict[str, Any], list[tuple[str, tuple, dict]]]:
    """The net benefit table (one row per index and threshold): ``share_flagged`` is the
    number flagged over the ``n`` validation workers, a published rate with a known
    denominator; the net benefit, the interventions avoided and the observed risk among
    the flagged are hidden with it when the number flagged is small.

    Returns the table with its hidden ``flagged`` count, the declaration, and the extra
    declarations (levels of each "flagged" dimension, the known total ``n``)."""
    frame = table.copy()
    share = pd.to_numeric(frame["share_flagged"], errors="coerce").to_numpy(float)
    flagged = np.rint(np.nan_to_num(share) * n).astype("int64")
    frame["flagged"] = flagged
    pop = "validation_net_benefit"
    keys = [{f"flagged[{i}@{t:g}]": "yes"} for i, t in zip(frame["index"], frame["threshold"],
                                                           strict=True)]
    extra: list[tuple[str, tuple, dict]] = [("add_known", ({}, float(n)), {"population": pop})]
    for k in keys:
        extra.append(("levels", (next(iter(k)), ["yes", "no"]), {"population": pop}))
    derived = {c: ["flagged"] for c in ("net_benefit", "net_interventions_avoided",
                                        "observed_risk_flagged") if c in frame.columns}
    # with the number flagged known, the observed risk among the flagged gives the true
    # positives, and the net benefit gives them too (NB x n = TP - FP t/(1-t)): where the
    # true or the false positives are fewer than min_count, those columns are suppressed
    masked: dict[str, list[bool]] = {}
    if "observed_risk_flagged" in frame.columns:
        obs = pd.to_numeric(frame["observed_risk_flagged"], errors="coerce").to_numpy(float)
        tp = np.rint(np.nan_to_num(obs) * flagged)
        fp = flagged - tp
        small = ((tp > 0) & (tp < min_count)) | ((fp > 0) & (fp < min_count))
        for c in derived:
            masked[c] = small.tolist()
    link = {"population": pop, "row_keys": keys, "counts": {"flagged": {}},
            "hidden": ["flagged"], "rates": {"share_flagged": Rate("flagged", n)},
            "derived": derived or None, "masked": masked}
    return frame, link, extra


def fairness_link(table: pd.DataFrame, counts: pd.DataFrame, report: Any = None
                  ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The groups of the fairness check (one row per grouping and group), declared with
    their true counts (:func:`irdp.fairness.group_counts`): every grouping splits the same
    workers, and within a row ``n = events + non_events + other`` (``other``: censored, or
    without a known status, before the horizon), a hidden column, so that a hidden number of
    events cannot be read back from ``n`` and ``non_events`` or pinned by the groupings'
    common totals. The library's own suppression of ``table`` is replaced by the run's."""
    frame = table.drop(columns=["n", "events", "non_events"]).merge(
        counts, on=["grouping", "group"], how="left", validate="one_to_one")
    frame = frame[[*table.columns]]
    frame["n_other"] = (frame["n"] - frame["events"] - frame["non_events"]).astype("int64")
    pop = "fairness_groups"
    dim = "status_at_horizon"
    declared = {"n": {}, "events": {dim: "event"}, "non_events": {dim: "event-free"},
                "n_other": {dim: "other"}}
    keys = [{str(g): str(v)} for g, v in zip(frame["grouping"], frame["group"], strict=True)]
    if report is not None:
        decls = [("levels", (dim, ["event", "event-free", "other"]), {"population": pop})]
        for g, part in frame.groupby("grouping", sort=False):
            decls.append(("levels", (str(g), [str(v) for v in part["group"]]),
                          {"population": pop}))
        for decl in decls:
            if decl not in report.links:
                report.links.append(decl)
    return frame, {"population": pop, "row_keys": keys, "counts": declared,
                   "hidden": ["n_other"]}


def declare_datasets(report: Any, frame: pd.DataFrame) -> None:
    """When every SPSTI is wholly in the development or the validation data (validation in
    held-out SPSTI), the data sets are groups of SPSTI: Table 1 by data set and by SPSTI
    then add up across tables (declared as a hierarchy of the linked system)."""
    if "dataset" not in frame.columns or "spsti_id" not in frame.columns:
        return
    pairs = frame[["dataset", "spsti_id"]].astype("string").dropna().drop_duplicates()
    if pairs["spsti_id"].duplicated().any():
        return  # an SPSTI in both data sets (holdout by period): no hierarchy
    groups = {str(d): sorted(str(x) for x in g["spsti_id"])
              for d, g in pairs.groupby("dataset", sort=True)}
    report.links.append(("hierarchy", ("dataset", "spsti", groups),
                         {"population": INDEX_EVENTS}))


def events_link(table: pd.DataFrame) -> dict[str, Any]:
    """The events per analysis: the development and validation rows add up to the "all" row
    for the index events, the events, competing exits and censored (the workers need not:
    a worker may be in both)."""
    keys = [{} if a == "all" else {"dataset": str(a)} for a in table["analysis"]]
    counts = {c: {"what": c} for c in ("n", "events_by_horizon", "competing_by_horizon",
                                       "censored_before_horizon") if c in table.columns}
    return {"population": "events_per_analysis", "row_keys": keys, "counts": counts,
            "other": [c for c in ("workers",) if c in table.columns]}
