"""Pipeline steps of model stability and calibration across SPSTI (private; issue 16).

``stability`` rebuilds each selected fitted index on bootstrap samples of the development
data (the optimism bootstrap's samples: same seed) and reports, for a clinical reader, how
much a worker's risk and risk level would move (Riley & Collins 2023). ``centre_calibration``
draws the calibration of each index in each SPSTI, the overall curve with its confidence and
prediction intervals and the between-SPSTI variance (Barreñada et al. 2025). Every count
they publish passes the report's disclosure hook.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import clone

from irdp.pipeline._state import (
    _KIND_OUTCOME,
    COMPUTATION_FAILURES,
    LEVEL_LABELS,
    _failed,
    _outcome,
    _Skipped,
    _State,
)
from irdp.validation import centre_calibration, stability

#: Stability figures: (kind, name suffix, caption, placement), clinical wording. They go to
#: the appendix (with a pointer in the section): the demo's main text keeps to 15 pages.
_STABILITY_FIGURES = (
    ("prediction", "prediction", "prediction instability: risk of each group of workers from "
     "the rebuilt indices (band: {pct} of them) against their risk from the index",
     "appendix"),
    ("classification", "classification", "classification instability: probability that a "
     "worker changes side of each risk-level cut-off when the index is rebuilt", "appendix"),
    ("calibration", "calibration", "calibration instability: calibration curve of each "
     "rebuilt index on the development data (grey) and of the index (dashed)", "appendix"),
    ("mape", "mape", "mean absolute difference between a worker's risk from the rebuilt "
     "indices and from the index (MAPE), by risk", "appendix"),
    ("decision", "decision", "decision-curve instability: net benefit of each rebuilt index",
     "appendix"),
)


def _stability_plan(st: _State) -> tuple[int, list[Any]]:
    """Bootstrap models and the fitted indices assessed (defaults: the optimism bootstrap's)."""
    val = st.cfg.validation
    n_boot = val.stability.n_boot if val.stability.n_boot is not None else val.bootstrap.n_boot
    chosen = val.stability.indices if val.stability.indices is not None \
        else val.bootstrap.indices
    picked = [idx for idx in st.cfg.indices if idx.name in st.fitted
              and idx.kind in _KIND_OUTCOME and (chosen is None or idx.name in chosen)]
    return int(n_boot), picked


def _step_stability(st: _State) -> None:
    """Riley & Collins stability on the development data, same bootstrap samples as the
    optimism bootstrap (same seed), levels with the run's cut-offs."""
    r = st.report
    cfg = st.cfg.validation.stability
    n_boot, picked = _stability_plan(st)
    if n_boot == 0:
        r.add_note("stability", "Stability analysis switched off (validation.stability.n_boot "
                   "= 0, or validation.bootstrap.n_boot = 0 and stability.n_boot not set).")
        return
    if not picked:
        r.add_note("stability", "No fitted index selected for the stability analysis.")
        return
    k = st.cfg.report.min_count
    for idx in picked:
        kind = _KIND_OUTCOME[idx.kind]
        known = st.frame["known_at_horizon"].astype(bool).to_numpy()
        rows = (st.dev & known if kind == "binary" else st.dev) & st.scorable[idx.name]
        X = st.designs[idx.name].loc[rows].reset_index(drop=True)
        try:
            res = stability(clone(st.fitted[idx.name]), X, _outcome(st, kind, rows),
                            horizon=None if kind == "binary" else st.horizon, n_boot=n_boot,
                            seed=st.seed(101), n_jobs=st.n_jobs, scheduler=st.scheduler,
                            levels=st.cutoffs.get(idx.name),
                            thresholds=cfg.thresholds, interval=cfg.interval,
                            curves=cfg.curves)
        except COMPUTATION_FAILURES as err:
            _failed(st, "stability", f"the stability analysis of {idx.name}", err)
            continue
        _stability_tables(st, idx.name, res)
        pct = f"{100 * res.interval:g}%"
        for kind_, suffix, caption, where in _STABILITY_FIGURES:
            if not cfg.curves and kind_ in ("calibration", "decision"):
                continue
            try:
                fig = res.plot(kind_, min_count=k)
            except COMPUTATION_FAILURES as err:
                _failed(st, "stability", f"the {suffix} instability plot of {idx.name}", err)
                continue
            r.add_figure("stability", f"stability_{idx.name}_{suffix}_plot", fig,
                         caption=f"{idx.name}: " + caption.format(pct=pct),
                         placement=where)
    shared = (" (the samples of the optimism bootstrap: same seed)"
              if st.cfg.validation.bootstrap.n_boot > 0 else "")
    r.add_text("analysis", f"Model stability (12c; Riley & Collins 2023): each index is "
               f"rebuilt on {n_boot} bootstrap samples of the development data{shared}, "
               f"seed {st.seed(101)}; the rebuilt indices' risks for every development worker "
               "give the mean absolute prediction error (MAPE) and the probability of a "
               "change of risk level.")


def _stability_tables(st: _State, name: str, res: Any) -> None:
    """MAPE and level changes by risk level, level transitions, classification instability."""
    r = st.report
    pct = f"{100 * res.interval:g}%"
    by = res.by_level.reset_index()
    by.insert(0, "group", by.pop("level").astype(str))
    overall = {"group": "all", "n": int(res.n), "mean_risk": float(res.risk.mean()),
               "mape": float(res.mape),
               "level_change": float(res.individuals["level_change"].mean())}
    table = pd.concat([by, pd.DataFrame([overall])], ignore_index=True)
    table["n"] = table["n"].astype("int64")
    width = (res.individuals["upper"] - res.individuals["lower"]).to_numpy()
    level = res.individuals["level"].astype(str).to_numpy()
    table["interval_width"] = [float(np.mean(width[level == g])) if (level == g).any()
                               else float("nan") for g in table["group"][:-1]] + \
        [float(width.mean())]
    # a logistic index reproduces on its development data the number of events in its mean
    # predicted risk (score equations with an intercept): mean risk x n of the "all" row is
    # that count exactly; where it is below the threshold, the mean risk is not shown
    expected = table["mean_risk"].to_numpy(float) * table["n"].to_numpy(float)
    table.loc[(expected > 0) & (np.round(expected) < st.report.min_count), "mean_risk"] = np.nan
    shown = r.add_table(
        "stability", f"stability_{name}", table, caption=f"Stability of {name} (development "
        f"data, {res.n_boot - res.n_failed} rebuilt indices): by risk level of the index, "
        f"mean predicted risk, mean absolute prediction error (MAPE), mean width of the "
        f"{pct} stability interval and probability that a worker's level changes",
        count_columns=["n"], total_row=len(table) - 1,
        rates={c: ("n", "n") for c in ("mean_risk", "mape", "level_change",
                                         "interval_width")})
    # the same counts with the same declarations as the table above, so that both suppress
    # the same cells (a different choice of secondary cell would give a count away)
    trans = res.transitions.reset_index().rename(
        columns={"original_level": "group", **{lv: f"to_{lv}" for lv in LEVEL_LABELS}})
    n_level = trans["n"].to_numpy(float)
    overall_shares = {f"to_{lv}": float(np.nansum(n_level * trans[f"to_{lv}"]) / n_level.sum())
                      for lv in LEVEL_LABELS}
    trans = pd.concat([trans, pd.DataFrame([{"group": "all", "n": int(res.n),
                                             **overall_shares}])], ignore_index=True)
    trans["n"] = trans["n"].astype("int64")
    r.add_table("stability", f"stability_{name}_transitions", trans, caption=f"Risk levels "
                f"of {name} when the index is rebuilt: for the workers of each level (rows), "
                "share of the rebuilt indices' predictions in each level (columns)",
                count_columns=["n"], total_row=len(trans) - 1,
                rates={f"to_{lv}": ("n", "n") for lv in LEVEL_LABELS})
    # no count here: the split of the workers at a threshold other than the level cut-offs
    # would be a new partition of the counts above; a mean over fewer than min_count
    # workers is not shown
    k = st.report.min_count
    cl = res.classification[["threshold", "cii", "cii_below", "cii_above"]].copy()
    above = res.classification["n_above"].to_numpy()
    cl.loc[(res.n - above) < k, "cii_below"] = np.nan
    cl.loc[above < k, "cii_above"] = np.nan
    r.add_table("stability", f"stability_{name}_classification", cl, caption=f"Classification "
                f"instability of {name}: mean probability that a worker changes side of each "
                "threshold when the index is rebuilt (all workers, below and above it; not "
                f"shown for fewer than {k} workers)", disclosure=False, placement="appendix")
    _stability_text(st, name, res, shown)


def _stability_text(st: _State, name: str, res: Any, shown: pd.DataFrame) -> None:
    """The result in words for a clinical reader (suppressed groups are not described)."""
    lo, hi = res.level_cutoffs
    parts = []
    for _, row in shown.iterrows():
        if row["group"] == "all" or pd.isna(row["mape"]) or pd.isna(row["n"]):
            continue
        parts.append(f"{row['group']} {100 * float(row['mape']):.2f} points and "
                     f"{100 * float(row['level_change']):.1f}% of level changes")
    by = f" By level: {'; '.join(parts)}." if parts else ""
    st.headline.append(
        f"{name}, stability (development data): predicted risks move by "
        f"{100 * res.mape:.2f} percentage points on average and the risk level changes in "
        f"{100 * float(res.individuals['level_change'].mean()):.1f}% of rebuilt indices.")
    st.report.add_text(
        "stability", f"{name}: had the index been developed on another sample of the same "
        f"size, a worker's predicted risk would differ from the one shown by "
        f"{100 * res.mape:.2f} percentage points on average (MAPE, {res.n_boot - res.n_failed}"
        f" rebuilt indices), and a worker's risk level (faible < {lo:.3g} ≤ intermédiaire < "
        f"{hi:.3g} ≤ forte) would change in "
        f"{100 * float(res.individuals['level_change'].mean()):.1f}% of the rebuilt indices."
        + by + (f" {res.n_failed} rebuilt indices could not be fitted and are left out."
                if res.n_failed else ""))


def _step_centre_calibration(st: _State) -> None:
    """Calibration across SPSTI (MIXC and/or MAC2) of each index, validation data."""
    cc = st.cfg.validation.centre_calibration
    r = st.report
    if cc.method == "none":
        r.add_note("heterogeneity", "Calibration across SPSTI switched off "
                   "(validation.centre_calibration.method = none).")
        return
    data = cc.data or ("validation" if (~st.dev).any() else "all")
    if data == "validation":
        if not (~st.dev).any():
            raise _Skipped("there are no validation data (validation.holdout)")
        mask, where = ~st.dev, "validation data"
    else:
        mask = np.ones(len(st.frame), bool)
        where = "all SPSTI, apparent calibration in the development ones"
    spsti = st.frame["spsti_id"].astype(str).to_numpy()
    names = [n for n in (cc.indices or list(st.risks)) if n in st.risks]
    k = st.cfg.report.min_count
    approaches = ("mac2", "mixc") if cc.method == "both" else (cc.method,)
    summary = []
    pooled: dict[str, set[str]] = {}
    for name in names:
        risk = st.risks[name]
        ok = mask & np.isfinite(risk)
        usable = _usable_centres(st, ok, spsti)
        if len(usable) < 3:  # a between-service variance needs three services or more
            r.add_note("heterogeneity", f"{name}: calibration across SPSTI cannot be assessed "
                       f"({where}): {len(usable)} SPSTI have at least {k} events and {k} "
                       "workers without the event by the horizon, and a prediction interval "
                       "for a new service needs at least 3.")
            continue
        try:
            res = centre_calibration(_outcome(st, "competing", ok), risk[ok], spsti[ok],
                                     horizon=st.horizon, approach=cc.method, n_grid=cc.n_grid,
                                     knots=cc.knots, random=cc.random, level=cc.level,
                                     min_count=k)
        except COMPUTATION_FAILURES as err:
            _failed(st, "heterogeneity", f"calibration across SPSTI of {name}", err)
            continue
        pooled[name] = set(res.centres.loc[res.centres["included"].astype(bool), "centre"]
                           .astype(str))
        _centre_tables(st, name, res)
        for app in approaches:
            if app not in set(res.curve["approach"]):
                continue
            summary.append(_heterogeneity_row(name, app, res))
            r.add_figure("heterogeneity", f"centre_calibration_{name}_{app}",
                         res.plot(approach=app), caption=_centre_caption(name, app, res),
                         placement="appendix")
    if pooled:
        _centre_counts(st, mask, spsti, pooled)
    if summary:
        t = pd.DataFrame(summary)
        # the number of SPSTI pooled is not a count of people
        r.add_table("heterogeneity", "centre_calibration_heterogeneity", t,
                    caption=f"Calibration across SPSTI ({where}): SPSTI pooled, "
                    "between-SPSTI variance of the calibration (logit scale) and width of the "
                    "prediction interval of the overall curve relative to its confidence "
                    "interval", count_columns=[])
        _heterogeneity_text(st, t, where, cc.level)
    r.add_text("analysis", "Calibration across SPSTI (12d; Barreñada et al. 2025, as "
               f"CalibrationCurves' valProbCluster; {where}): per-service and overall curves "
               f"with {100 * cc.level:g}% confidence and prediction intervals and the "
               "between-SPSTI variance, from a random-effects logistic calibration model "
               "(MIXC) and a meta-analysis of the services' curves (MAC2); inaptitude by the "
               "horizon weighted by the inverse probability of censoring within each service; "
               f"SPSTI with fewer than {k} events left out.")


def _usable_centres(st: _State, ok: np.ndarray, spsti: np.ndarray) -> list[str]:
    """SPSTI with at least min_count events and non-events by the horizon."""
    sub = st.frame.loc[ok]
    event = ((sub["cause"] == 1) & (sub["time"] <= st.horizon)).to_numpy()
    lab = spsti[ok]
    k = st.cfg.report.min_count
    return [g for g in np.unique(lab) if event[lab == g].sum() >= k
            and (~event[lab == g]).sum() >= k]


def _centre_tables(st: _State, name: str, res: Any) -> None:
    """The overall curve of one index at a few risks (no count)."""
    curve = res.summary(n_points=6).table.reset_index()
    st.report.add_table("heterogeneity", f"centre_calibration_{name}_curve", curve,
                        caption=f"{name}: overall calibration curve across SPSTI at six "
                        f"predicted risks, with its {100 * res.level:g}% confidence interval "
                        "and prediction interval (pi)", disclosure=False, placement="appendix")


def _centre_counts(st: _State, mask: np.ndarray, spsti: np.ndarray,
                   pooled: dict[str, set[str]]) -> None:
    """Workers and events per SPSTI in the data assessed, once for every index (one set of
    counts, suppressed once), and whether each index's analysis pooled the SPSTI."""
    sub = st.frame.loc[mask]
    event = ((sub["cause"] == 1) & (sub["time"] <= st.horizon)).to_numpy()
    lab = spsti[mask]
    rows = []
    for g in np.unique(lab):
        row = {"spsti": g, "n": int((lab == g).sum()), "n_events": int(event[lab == g].sum())}
        for name, kept in pooled.items():
            row[f"pooled_{name}"] = "yes" if g in kept else "no"
        rows.append(row)
    st.report.add_table("heterogeneity", "centre_calibration_spsti", pd.DataFrame(rows),
                        caption="Workers and events by the horizon in each SPSTI of the data "
                        "assessed, and whether each index's analysis pooled the SPSTI (at "
                        f"least {st.cfg.report.min_count} events and workers without the "
                        "event)", count_columns=["n", "n_events"], known_totals=True,
                        placement="appendix")


def _heterogeneity_row(name: str, app: str, res: Any) -> dict[str, Any]:
    from scipy.special import logit

    part = res.curve[res.curve["approach"] == app]
    ci = (logit(part["upper"]) - logit(part["lower"])).to_numpy(float)
    pi = (logit(part["pi_upper"]) - logit(part["pi_lower"])).to_numpy(float)
    ratio = float(np.nanmean(pi / ci)) if np.isfinite(pi).any() else float("nan")
    return {"index": name, "method": app.upper(), "spsti_pooled": int(res.k),
            "tau2": float(res.tau2.get(app, np.nan)), "pi_to_ci_width": ratio}


def _centre_caption(name: str, app: str, res: Any) -> str:
    how = ("random-effects logistic calibration model (MIXC)" if app == "mixc" else
           "meta-analysis of the services' curves (MAC2)")
    return (f"{name} ({app.upper()}): calibration in each SPSTI (thin lines) and overall "
            f"(dashed) with its "
            f"{100 * res.level:g}% confidence interval (dark) and prediction interval for a "
            f"new service (light), {how}")


def _heterogeneity_text(st: _State, t: pd.DataFrame, where: str, level: float) -> None:
    """The between-service variation in words: how far a new service's odds may be."""
    z = float(stats.norm.ppf(0.5 + level / 2))
    bits = []
    for name, part in t.groupby("index", sort=False):
        per = []
        for _, row in part.iterrows():
            tau2 = float(row["tau2"])
            if not np.isfinite(tau2):
                per.append(f"{row['method']} not estimable")
            elif tau2 < 1e-6:
                per.append(f"{row['method']} τ² = 0 (no variation beyond chance)")
            else:
                per.append(f"{row['method']} τ² = {tau2:.3g} (odds up to "
                           f"{np.exp(z * np.sqrt(tau2)):.2f} times higher or lower)")
        bits.append(f"{name}: {', '.join(per)}")
    mac2 = (t["method"] == "MAC2").any()
    st.report.add_text(
        "heterogeneity", f"Between-SPSTI variance of the calibration (τ², logit scale; "
        f"{where}) and how far the odds of inaptitude at a given predicted risk may be, in a "
        f"new service, from the average ({100 * level:g}% of services): {'; '.join(bits)}. "
        "A wide prediction interval means that a new service should check the calibration "
        "(and recalibrate if needed) before using absolute risks"
        + ("; with few services MAC2's prediction interval is also widened by its t quantile "
           "on k - 2 degrees of freedom." if mac2 else "."))
