"""Missingness report: per feature, per SPSTI and group, patterns, and association with the outcome.

Every table passes :func:`irdp.privacy.suppress_small_counts` (counts under the threshold and
the percentages built on them are masked; complementary suppression within each partition).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from irdp._summary import Summary
from irdp.fairness._groups import as_group_frame
from irdp.metrics import observed_risk
from irdp.outcomes import Binary, CompetingRisks, as_outcome
from irdp.privacy import DEFAULT_THRESHOLD, suppress_small_counts

__all__ = ["MissingnessReport", "missingness_report"]


@dataclass(frozen=True)
class MissingnessReport:
    """Result of :func:`missingness_report` (every table disclosure-controlled).

    Attributes
    ----------
    by_feature : DataFrame
        ``feature``, ``n``, ``n_missing``, ``pct_missing``.
    by_group : DataFrame
        ``grouping``, ``group``, ``feature``, ``n``, ``n_missing``, ``pct_missing``.
    patterns : DataFrame
        The most frequent missingness patterns (one boolean column per incomplete feature,
        True = missing) with ``n``.
    association : DataFrame
        Per incomplete feature: subjects and events with the feature missing and observed,
        the observed risk in each (at the horizon for timed outcomes), the test used,
        its statistic and p-value.
    """

    by_feature: pd.DataFrame
    by_group: pd.DataFrame
    patterns: pd.DataFrame
    association: pd.DataFrame
    threshold: int

    def summary(self) -> Summary:
        """Summary (``as_text()``, ``as_html()``): missingness by feature with the tests."""
        table = self.by_feature.set_index("feature")
        if not self.association.empty:
            assoc = self.association.set_index("feature")[["test", "statistic", "p_value"]]
            table = table.join(assoc, how="left")
        return Summary(
            title="Missingness by feature and association with the outcome",
            table=table,
            notes=(f"counts under {self.threshold} masked, with the shares built on them",),
        )


def _suppress_block(block: pd.DataFrame, threshold: int) -> pd.DataFrame:
    return suppress_small_counts(
        block, threshold=threshold, count_columns=["n", "n_missing"],
        rates={"pct_missing": ("n_missing", "n")}, known_totals=True,
    )


def _risk_in(y: Any, rows: np.ndarray, horizon: float | None) -> float:
    """Observed risk among ``rows`` (:func:`irdp.metrics.observed_risk`); nan if none."""
    if not rows.any():
        return float("nan")
    return float(observed_risk(y.take(np.flatnonzero(rows)), horizon))


def _association(miss: np.ndarray, y: Any, horizon: float | None) -> tuple[str, float, float]:
    """Test of association between a missingness indicator and the outcome."""
    if miss.all() or not miss.any():
        return "none (feature complete or entirely missing)", np.nan, np.nan
    if isinstance(y, Binary):
        table = np.array([[np.sum(miss & y.event), np.sum(miss & ~y.event)],
                          [np.sum(~miss & y.event), np.sum(~miss & ~y.event)]])
        if (table.sum(axis=0) == 0).any():
            return "none (outcome constant)", np.nan, np.nan
        if stats.contingency.expected_freq(table).min() < 5:
            res = stats.fisher_exact(table)
            return "Fisher exact", float(res.statistic), float(res.pvalue)
        chi2, p, _, _ = stats.chi2_contingency(table, correction=False)
        return "chi-square (Pearson)", float(chi2), float(p)
    if horizon is not None:
        y = y.truncate(horizon)
    chi2, p = logrank(y.time, y.event, miss)
    name = "log-rank" if not isinstance(y, CompetingRisks) else "log-rank (cause-specific)"
    return name, chi2, p


def logrank(time: np.ndarray, event: np.ndarray, group: np.ndarray) -> tuple[float, float]:
    """Two-sample log-rank test (Mantel 1966): chi-square statistic on 1 df and p-value.

    ``group`` is a boolean vector; other causes, if any, must already be censored in
    ``event``. Returns nan when there is no event.
    """
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=bool)
    g = np.asarray(group, dtype=bool)
    uniq, inv = np.unique(t, return_inverse=True)
    n = np.cumsum(np.bincount(inv, minlength=len(uniq))[::-1])[::-1].astype(float)
    n1 = np.cumsum(np.bincount(inv, weights=g, minlength=len(uniq))[::-1])[::-1]
    d = np.bincount(inv, weights=e, minlength=len(uniq))
    d1 = np.bincount(inv, weights=e & g, minlength=len(uniq))
    keep = d > 0
    n, n1, d, d1 = n[keep], n1[keep], d[keep], d1[keep]
    if not len(d):
        return float("nan"), float("nan")
    expected = n1 * d / n
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.where(n > 1, n1 * (n - n1) * d * (n - d) / (n**2 * (n - 1)), 0.0)
    v = float(var.sum())
    if v <= 0:
        return float("nan"), float("nan")
    chi2 = float((d1.sum() - expected.sum()) ** 2 / v)
    return chi2, float(stats.chi2.sf(chi2, 1))


def missingness_report(
    X: pd.DataFrame,
    y: Any = None,
    *,
    groups: Any = None,
    horizon: float | None = None,
    max_patterns: int = 10,
    threshold: int = DEFAULT_THRESHOLD,
) -> MissingnessReport:
    """Report missing values per feature, per group (e.g. SPSTI) and their link to the outcome.

    Parameters
    ----------
    X : DataFrame
        Features (missing = nan / NA).
    y : Binary, Survival or CompetingRisks, optional
        Outcome, for the association tests.
    groups : Series or DataFrame, optional
        Grouping variables (SPSTI, sex, age band...), each reported separately.
    horizon : float, optional
        Timed outcomes: observed risks are read at the horizon and the log-rank test uses
        follow-up truncated at it.
    max_patterns : int, default=10
        Number of missingness patterns listed.
    threshold : int, default=11
        Disclosure threshold.

    Returns
    -------
    MissingnessReport

    Notes
    -----
    Association tests: binary outcomes, Pearson chi-square of missing (yes/no) by outcome,
    or Fisher's exact test when an expected count is under 5; survival outcomes, the log-rank
    test of missing versus observed; competing risks, the log-rank test on the cause-specific
    hazard of the event of interest (Gray's test of the cumulative incidences is not
    implemented). A small p-value says the data are not MCAR for that feature; MAR versus
    MNAR cannot be tested from the data (Little & Rubin 2019).

    References
    ----------
    Little RJA, Rubin DB. Statistical Analysis with Missing Data, 3rd ed. Wiley 2019.
    Sterne JAC, et al. Multiple imputation for missing data in epidemiological and clinical
    research: potential and pitfalls. BMJ 2009;338:b2393.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from irdp.missing import missingness_report
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"age": rng.normal(45, 10, 300), "rqth": rng.integers(0, 2, 300)})
    >>> X.loc[X.index[:40], "rqth"] = np.nan
    >>> rep = missingness_report(X, groups=pd.Series(rng.choice(["S1", "S2"], 300), name="spsti"))
    >>> rep.by_feature[["feature", "n_missing"]].to_string(index=False).split()
    ['feature', 'n_missing', 'age', '0', 'rqth', '40']
    """
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"X must be a pandas DataFrame; got {type(X).__name__}.")
    miss = X.isna().to_numpy()
    n = len(X)
    feats = [str(c) for c in X.columns]
    bf = pd.DataFrame({"feature": feats, "n": np.full(len(feats), n, dtype=np.int64),
                       "n_missing": miss.sum(axis=0).astype(np.int64)})
    bf["pct_missing"] = 100.0 * bf["n_missing"] / max(n, 1)
    bf = suppress_small_counts(bf, threshold=threshold, count_columns=["n", "n_missing"],
                               rates={"pct_missing": ("n_missing", "n")})
    blocks = []
    if groups is not None:
        gframe = as_group_frame(groups, n) if not isinstance(groups, pd.DataFrame) else groups
        for gname in gframe.columns:
            labels = as_group_frame(gframe[gname], n).iloc[:, 0].to_numpy()
            levels = sorted(set(labels))
            for j, f in enumerate(feats):
                rows = [(str(gname), lev, f, int(np.sum(labels == lev)),
                         int(np.sum(miss[labels == lev, j]))) for lev in levels]
                block = pd.DataFrame(rows, columns=["grouping", "group", "feature", "n",
                                                    "n_missing"])
                block["pct_missing"] = 100.0 * block["n_missing"] / block["n"]
                blocks.append(_suppress_block(block, threshold))
    bg = (pd.concat(blocks, ignore_index=True) if blocks else
          pd.DataFrame(columns=["grouping", "group", "feature", "n", "n_missing", "pct_missing"]))
    incomplete = [j for j in range(len(feats)) if miss[:, j].any()]
    if incomplete:
        pats = pd.DataFrame(miss[:, incomplete], columns=[feats[j] for j in incomplete])
        pt = pats.value_counts().reset_index(name="n").head(max_patterns)
        pt["n"] = pt["n"].astype(np.int64)
        patterns = suppress_small_counts(pt, threshold=threshold, count_columns=["n"],
                                         known_totals=True)
    else:
        patterns = pd.DataFrame({"n": pd.array([n], dtype="Int64")})
    assoc = pd.DataFrame()
    if y is not None:
        yy = as_outcome(y)
        if len(yy) != n:
            raise ValueError(f"y must have one row per row of X; got {len(yy)} and {n}.")
        if yy.kind != "binary" and horizon is None:
            raise ValueError(f"horizon is required for {yy.kind} outcomes; got None.")
        rows = []
        for j in incomplete:
            m = miss[:, j]
            ev = yy.event if horizon is None else (yy.event & (yy.time <= horizon))
            test, stat, p = _association(m, yy, horizon)
            rows.append({
                "feature": feats[j], "n_missing": int(m.sum()), "events_missing": int(ev[m].sum()),
                "n_observed": int((~m).sum()), "events_observed": int(ev[~m].sum()),
                "risk_missing": _risk_in(yy, m, horizon),
                "risk_observed": _risk_in(yy, ~m, horizon),
                "test": test, "statistic": stat, "p_value": p,
            })
        assoc = pd.DataFrame(rows)
        if not assoc.empty:
            assoc = suppress_small_counts(
                assoc, threshold=threshold,
                count_columns=["n_missing", "events_missing", "n_observed", "events_observed"],
                rates={"risk_missing": ("events_missing", "n_missing"),
                       "risk_observed": ("events_observed", "n_observed")},
            )
            # n_missing + n_observed = n is published: one masked count exposes its partner,
            # so a row with any masked count has all its counts and risks masked
            cnt = ["n_missing", "events_missing", "n_observed", "events_observed",
                   "risk_missing", "risk_observed"]
            any_masked = assoc[cnt[:4]].isna().any(axis=1)
            for c in cnt:
                assoc[c] = assoc[c].mask(any_masked)
    return MissingnessReport(by_feature=bf, by_group=bg, patterns=patterns, association=assoc,
                             threshold=threshold)
