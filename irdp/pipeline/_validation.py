"""Pipeline steps validating the indices: performance to service-level view (private)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats
from sklearn.base import clone

from irdp.fairness import fairness_summary
from irdp.metrics import calibration, calibration_slope, net_benefit, oe_ratio, performance
from irdp.missing import completeness_sensitivity
from irdp.pipeline._state import (
    _KIND_OUTCOME,
    COMPUTATION_FAILURES,
    LEVEL_LABELS,
    _counts_in,
    _failed,
    _frame_of,
    _logit,
    _numeric_table,
    _observed,
    _outcome,
    _record_failure,
    _scoring,
    _sets,
    _Skipped,
    _State,
)
from irdp.plotting import plot_calibration, plot_decision_curve, plot_observed_risk
from irdp.validation import (
    bootstrap_validate,
    centre_calibration,
    closed_test,
    compare,
    development_sample_size,
    iecv,
    stability,
    update_model,
    validation_sample_size,
)


def _step_performance(st: _State) -> None:
    r = st.report
    pieces = []
    for name, risk in st.risks.items():
        for label, mask in _sets(st):
            ok = mask & np.isfinite(risk)
            y = _outcome(st, "competing", ok)
            try:
                perf = _numeric_table(_frame_of(performance(
                    y, risk[ok], st.horizon, thresholds=tuple(st.cutoffs.get(name, ())) or
                    (0.1, 0.2, 0.3))))
            except COMPUTATION_FAILURES as err:
                _failed(st, "performance", f"performance of {name} ({label})", err)
                continue
            perf.insert(0, "data", label)
            perf.insert(0, "index", name)
            pieces.append(perf)
    if not pieces:
        return
    table = pd.concat(pieces, ignore_index=True)
    ctl = r.add_table("performance", "performance", table, caption="Performance (ABCD: "
                "calibration, discrimination, overall accuracy, clinical usefulness) with 95% "
                "CIs, by index and data set; outcome with competing exits at the horizon",
                count_columns=_counts_in(table))
    _headline(st, ctl)
    r.add_text("analysis", "Performance measures (12e): discrimination (time-dependent AUC and "
               "concordance), calibration (O/E, calibration slope and curve), overall "
               "accuracy (Brier score, IPA) and clinical usefulness (net benefit), all "
               "accounting for censoring and competing exits at the horizon, with 95% CIs.")


def _headline(st: _State, table: pd.DataFrame) -> None:
    """One sentence per index for the summary: C and O/E in the last data set, with CIs."""
    if not {"measure", "value", "lower", "upper"} <= set(table.columns):
        return
    last = table["data"].iloc[-1]
    for name in dict.fromkeys(table["index"]):
        part = table[(table["index"] == name) & (table["data"] == last)].set_index("measure")
        bits = []
        for measure, label in (("c_harrell", "C"), ("oe_ratio", "O/E"),
                               ("calibration_slope", "calibration slope")):
            if measure in part.index and pd.notna(part.loc[measure, "value"]):
                row = part.loc[measure]
                bits.append(f"{label} {float(row['value']):.3f} "
                            f"({float(row['lower']):.3f} to {float(row['upper']):.3f})")
        if bits:
            st.headline.append(f"{name}, {last} data: {', '.join(bits)}.")


def _step_bootstrap(st: _State) -> None:
    n_boot = st.cfg.validation.bootstrap.n_boot
    r = st.report
    if n_boot == 0:
        r.add_note("performance", "Optimism bootstrap switched off (validation.bootstrap."
                   "n_boot = 0).")
        return
    pieces = []
    chosen = st.cfg.validation.bootstrap.indices
    for idx in st.cfg.indices:
        if idx.name not in st.fitted or idx.kind not in _KIND_OUTCOME:
            continue
        if chosen is not None and idx.name not in chosen:
            continue
        est = st.fitted[idx.name]
        kind = _KIND_OUTCOME[idx.kind]
        known = st.frame["known_at_horizon"].astype(bool).to_numpy()
        rows = (st.dev & known if kind == "binary" else st.dev) & st.scorable[idx.name]
        X = st.designs[idx.name].loc[rows].reset_index(drop=True)
        try:
            res = bootstrap_validate(clone(est), X, _outcome(st, kind, rows),
                                     horizon=None if kind == "binary" else st.horizon,
                                     n_boot=n_boot, seed=st.seed(101), n_jobs=st.n_jobs,
                                     scoring=_scoring(st, kind),
                                     calibration_curve=True)
        except COMPUTATION_FAILURES as err:
            _failed(st, "performance", f"the optimism bootstrap of {idx.name}", err)
            continue
        if res.calibration is not None:
            r.add_figure("calibration", f"calibration_{idx.name}_optimism_corrected",
                         res.calibration.plot(), caption=f"{idx.name}: apparent and "
                         "optimism-corrected calibration curves (rms::calibrate style, "
                         "development data)")
        t = _numeric_table(_frame_of(res))
        if "n" in t.columns:  # number of successful bootstrap resamples, not of workers
            t = t.rename(columns={"n": "n_resamples"})
        t.insert(0, "index", idx.name)
        pieces.append(t)
    if not pieces:
        return
    table = pd.concat(pieces, ignore_index=True)
    r.add_table("performance", "bootstrap_optimism", table, caption=f"Internal validation: "
                f"apparent, optimism and optimism-corrected performance (Harrell's bootstrap, "
                f"{n_boot} resamples, whole modelling refitted in each)",
                count_columns=_counts_in(table))
    r.add_text("analysis", f"Internal validation (12c): Harrell's optimism bootstrap with "
               f"{n_boot} resamples (seed {st.seed(101)}), refitting every step in each "
               "resample.")


def _step_calibration(st: _State) -> None:
    for name, risk in st.risks.items():
        for label, mask in _sets(st):
            ok = mask & np.isfinite(risk)
            try:
                cal = calibration(_outcome(st, "competing", ok), risk[ok],
                                  horizon=st.horizon)
            except COMPUTATION_FAILURES as err:
                _failed(st, "calibration", f"calibration of {name} ({label})", err)
                continue
            fig = plot_calibration(cal, label=name, min_count=st.cfg.report.min_count)
            slug = "dev" if label.startswith("development") else "val"
            st.report.add_figure("calibration", f"calibration_{name}_{slug}", fig,
                                 caption=f"Calibration of {name}, {label}: observed risk "
                                 "(flexible curve, competing exits accounted for) versus "
                                 "predicted risk at the horizon, with the distribution of "
                                 "predicted risks")


def _step_decision(st: _State) -> None:
    thresholds = np.round(np.linspace(0.005, 0.2, 40), 4)
    mask = ~st.dev if (~st.dev).any() else st.dev
    ok = mask.copy()
    for risk in st.risks.values():
        ok &= np.isfinite(risk)
    y = _outcome(st, "competing", ok)
    curves = {n: net_benefit(y, r[ok], thresholds, horizon=st.horizon, name=n)
              for n, r in st.risks.items()}
    pieces = []
    for n, curve in curves.items():
        t = _numeric_table(_frame_of(curve))
        t.insert(0, "index", n)
        pieces.append(t)
    table = pd.concat(pieces, ignore_index=True)
    st.report.add_table("decision-curves", "net_benefit", table, caption="Net benefit by "
                        "risk threshold (decision curve analysis) with treat-all and "
                        "treat-none, validation data", count_columns=_counts_in(table))
    fig = plot_decision_curve(curves, min_count=st.cfg.report.min_count)
    st.report.add_figure("decision-curves", "decision_curves", fig, caption="Decision "
                         "curves of the candidate indices (validation data)")
    name = next(iter(st.risks))
    if name in st.levels:
        lv = st.levels[name][ok]
        labels = np.array(["(none)", *LEVEL_LABELS], dtype=object)[lv + 1]
        fig = plot_observed_risk(y, labels, horizon=st.horizon,
                                 min_count=st.cfg.report.min_count)
        st.report.add_figure("output", f"observed_by_level_{name}", fig, caption=f"Observed "
                             f"risk of inaptitude over time by risk level of {name} "
                             "(Aalen-Johansen, validation data)")


def _step_iecv(st: _State) -> None:
    r = st.report
    chosen = st.cfg.validation.iecv.indices
    for idx in st.cfg.indices:
        if idx.name not in st.fitted or idx.kind not in _KIND_OUTCOME:
            continue
        if chosen is not None and idx.name not in chosen:
            continue
        kind = _KIND_OUTCOME[idx.kind]
        known = st.frame["known_at_horizon"].astype(bool).to_numpy()
        rows = known if kind == "binary" else np.ones(len(st.frame), bool)
        X = st.designs[idx.name].loc[rows].reset_index(drop=True)
        y = _outcome(st, kind, rows)
        for by in st.cfg.validation.iecv.by:
            groups = _iecv_groups(st, rows, by)
            scheme = "leave-one-out" if by == "spsti" else "forward"
            unseen = _unseen_categories(st, idx.name, rows, groups, scheme)
            if unseen:
                _record_failure(st, ("iecv",), f"IECV of {idx.name} by {by}",
                                f"not run: {unseen}; the index refitted without that group "
                                "cannot score it (it never extrapolates to a new category)")
                continue
            empty = _groups_without_event(st, rows, groups)
            if empty:
                _record_failure(st, ("iecv",), f"IECV of {idx.name} by {by}",
                                f"not run: {'group' if len(empty) == 1 else 'groups'} "
                                f"{', '.join(empty[:5])} {'has' if len(empty) == 1 else 'have'}"
                                " no event by the horizon, so C and calibration are undefined "
                                "there; merge small groups (fewer periods, or SPSTI pooled) "
                                "to run it")
                continue
            try:
                res = iecv(clone(st.fitted[idx.name]), X, y, groups, scheme=scheme,
                           scoring=_scoring(st, kind),
                           horizon=None if kind == "binary" else st.horizon)
            except COMPUTATION_FAILURES as err:  # e.g. a predictor constant in one training part
                _failed(st, "iecv", f"IECV of {idx.name} by {by}", err)
                continue
            per = _numeric_table(res.per_centre)
            r.add_table("iecv", f"iecv_{idx.name}_{by}", per, caption=f"IECV of {idx.name} "
                        f"by {by} ({scheme}): performance in each held-out "
                        f"{'SPSTI' if by == 'spsti' else 'period'}",
                        count_columns=_counts_in(per), block_column="measure")
            pooled = _numeric_table(res.to_frame())
            r.add_table("iecv", f"iecv_{idx.name}_{by}_pooled", pooled, caption=f"IECV of "
                        f"{idx.name} by {by}: random-effects pooled performance with 95% CI "
                        "and 95% prediction interval", count_columns=_counts_in(pooled))
            for measure in res.pooled:
                r.add_figure("iecv", f"forest_{idx.name}_{by}_{measure}", res.plot(measure),
                             caption=f"Forest plot of {measure} of {idx.name} by {by}: "
                             "random-effects summary (REML, HKSJ CI) and 95% prediction "
                             "interval")
    r.add_text("analysis", "Heterogeneity across clusters (12d): internal-external "
               "cross-validation by SPSTI and by period; per-centre estimates pooled by "
               "random-effects meta-analysis (REML, Hartung-Knapp-Sidik-Jonkman CI, 95% "
               "prediction interval, I²), as Debray et al. 2017.")


def _iecv_groups(st: _State, rows: np.ndarray, by: str) -> np.ndarray:
    """Cluster labels: the SPSTI, or calendar periods of equal size named by their dates."""
    if by == "spsti":
        return st.frame.loc[rows, "spsti_id"].astype(str).to_numpy()
    dates = pd.to_datetime(st.frame.loc[rows, "index_date"]).reset_index(drop=True)
    k = st.cfg.validation.iecv.n_periods
    codes = pd.qcut(dates.rank(method="first"), k, labels=False).to_numpy()
    names = {}
    for c in range(k):  # "2018-01-02 to 2019-11-30": sorts in calendar order
        part = dates[codes == c]
        names[c] = f"{part.min():%Y-%m-%d} to {part.max():%Y-%m-%d}"
    return np.array([names[c] for c in codes], dtype=object)


def _unseen_categories(st: _State, name: str, rows: np.ndarray, groups: np.ndarray,
                       scheme: str) -> str:
    """A category of a held-out group that its training part lacks ('' when none)."""
    design = st.designs[name].loc[rows]
    labels = pd.unique(groups)
    order = sorted(labels)
    for c in st.preprocessing[name].categorical:
        values = design[c].to_numpy()
        for g in labels:
            train = groups != g if scheme == "leave-one-out" else np.isin(
                groups, order[:order.index(g)])
            if scheme != "leave-one-out" and not train.any():
                continue  # the first period is never validated in the forward scheme
            new = set(values[groups == g]) - set(values[train])
            if new:
                return (f"{c} {sorted(new)[:3]} of group {g} is absent from the data the "
                        "index is refitted on without it")
    return ""


def _groups_without_event(st: _State, rows: np.ndarray, groups: np.ndarray) -> list[str]:
    """Groups with no event of interest by the horizon (IECV cannot validate there)."""
    sub = st.frame.loc[rows]
    event = ((sub["cause"] == 1) & (sub["time"] <= st.horizon)).to_numpy()
    return sorted(str(g) for g in pd.unique(groups) if not event[groups == g].any())


def _step_updating(st: _State) -> None:
    if st.dev.all():
        st.report.add_note("updating", "No separate validation data: updating not assessed.")
        return
    r = st.report
    for idx in st.cfg.indices:
        if idx.name not in st.fitted or idx.kind not in ("logistic", "cox"):
            continue
        kind = _KIND_OUTCOME[idx.kind]
        known = st.frame["known_at_horizon"].astype(bool).to_numpy()
        rows = (~st.dev & known if kind == "binary" else ~st.dev) & st.scorable[idx.name]
        X = st.designs[idx.name].loc[rows].reset_index(drop=True)
        y = _outcome(st, kind, rows)
        constant = _constant_columns(st, idx.name, rows)
        if constant:
            _record_failure(st, ("updating",), f"closed testing procedure of {idx.name}",
                            f"not run: its refit candidate cannot be estimated because "
                            f"{', '.join(constant[:5])} "
                            f"{'is' if len(constant) == 1 else 'are'} constant in the "
                            "validation data; only the intercept update and the "
                            "recalibration are shown")
            _recalibrations(st, idx.name, X, y, kind)
            continue
        try:
            res = closed_test(st.fitted[idx.name], X, y)
        except COMPUTATION_FAILURES as err:
            _failed(st, "updating", f"closed testing procedure of {idx.name}", err)
            _recalibrations(st, idx.name, X, y, kind)
            continue
        r.add_text("updating", f"{idx.name}: closed testing procedure on the validation data "
                   f"(Vergouwe et al. 2017) chose '{res.method}' (alpha {res.alpha}).")
        tests = _numeric_table(res.tests)
        r.add_table("updating", f"updating_{idx.name}_tests", tests, caption=f"Updating of "
                    f"{idx.name}: likelihood-ratio tests (original, intercept update, "
                    "recalibration, refit)", count_columns=_counts_in(tests))
        fits = _numeric_table(res.fits)
        r.add_table("updating", f"updating_{idx.name}_fits", fits, caption=f"Updating of "
                    f"{idx.name}: log-likelihood and parameters of each candidate",
                    count_columns=[])
    r.add_text("analysis", "Model updating (12f): on the validation data, the closed testing "
               "procedure chooses between the original model, an intercept update, a "
               "logistic/Cox recalibration and a refit.")


def _constant_columns(st: _State, name: str, rows: np.ndarray) -> list[str]:
    """Predictors of a fitted index that do not vary in ``rows`` (a refit cannot estimate them).

    Numbers with one value, and categories missing one of the development levels (its
    indicator column would be constant).
    """
    design = st.designs[name]
    prep = st.preprocessing[name]
    out = []
    for c in design.columns:
        part = design.loc[rows, c]
        if c in prep.categorical:
            if part.nunique() < design.loc[st.dev, c].nunique():
                out.append(c)
        elif part.nunique() <= 1:
            out.append(c)
    return out


def _recalibrations(st: _State, name: str, X: pd.DataFrame, y: Any, kind: str) -> None:
    """Intercept update and recalibration only (no refit), with calibration before/after."""
    horizon = None if kind == "binary" else st.horizon
    rows = []
    for method in ("original", "intercept", "recalibration"):
        model = st.fitted[name]
        try:
            if method != "original":
                model = update_model(model, X, y, method=method)
            risk = np.asarray(model.predict_risk(X, horizon=horizon), float)
            oe, slope = oe_ratio(y, risk, horizon=horizon), calibration_slope(
                y, risk, horizon=horizon)
        except COMPUTATION_FAILURES as err:
            _failed(st, "updating", f"the {method} update of {name}", err)
            return
        rows.append({"method": method, "oe": float(oe), "oe_lower": oe.lower,
                     "oe_upper": oe.upper, "calibration_slope": float(slope),
                     "slope_lower": slope.lower, "slope_upper": slope.upper})
    st.report.add_table("updating", f"updating_{name}_recalibration", pd.DataFrame(rows),
                        caption=f"Updating of {name} on the validation data without refit: "
                        "calibration (apparent, on the same data) of the original model, "
                        "after an intercept update and after a recalibration",
                        disclosure=False)


def _step_fairness(st: _State) -> None:
    cfg = st.cfg.fairness
    r = st.report
    present = [g for g in cfg.groups if g in st.frame.columns]
    absent = [g for g in cfg.groups if g not in st.frame.columns]
    if absent:
        r.add_note("fairness", f"Fairness groups not found among cohort columns and "
                   f"features, skipped: {', '.join(absent)}.")
    if not present:
        raise _Skipped("none of the fairness groups is a cohort column or feature")
    name = next(iter(st.risks))
    risk = st.risks[name]
    mask = (~st.dev if (~st.dev).any() else st.dev) & np.isfinite(risk)
    # a grouping with no group of >= 50 workers and >= min_count events and non-events cannot
    # be checked at all: say so instead of passing it on
    sub = st.frame.loc[mask]
    event = ((sub["cause"] == 1) & (sub["time"] <= st.horizon)).to_numpy()
    k = st.cfg.report.min_count
    usable = []
    for g in present:
        lab = sub[g].astype("string").fillna("(missing)").to_numpy()
        ok = any((lab == v).sum() >= 50 and event[lab == v].sum() >= k and
                 (~event[lab == v]).sum() >= k for v in np.unique(lab))
        if ok:
            usable.append(g)
        else:
            r.add_note("fairness", f"Grouping '{g}': no group has at least 50 workers and "
                       f"{k} events in the data checked; it cannot be assessed.")
    if not usable:
        r.add_note("fairness", "No grouping has a group large enough to be checked: the "
                   "fairness assessment is not possible on these data.")
        return
    present = usable
    groups = st.frame.loc[mask, present].astype("string").reset_index(drop=True)
    res = fairness_summary(_outcome(st, "competing", mask), risk[mask], groups,
                           horizon=st.horizon, thresholds=tuple(st.cfg.risk_levels.cutoffs),
                           n_boot=cfg.n_boot, seed=st.seed(202),
                           threshold=st.cfg.report.min_count)
    g = _numeric_table(res.groups)
    r.add_table("fairness", "fairness_groups", g, caption=f"Groups checked for {name}: size, "
                "events and calibration flags", count_columns=_counts_in(g),
                block_column="grouping", known_totals=True)
    t = _numeric_table(res.table)
    r.add_table("fairness", "fairness_measures", t, caption=f"Performance of {name} by group "
                "with bootstrap 95% CIs (censoring-aware at the horizon)", disclosure=False)
    try:
        fig = res.plot("oe_ratio")
    except COMPUTATION_FAILURES as err:
        _failed(st, "fairness", "the forest plot of O/E by group", err)
    else:
        r.add_figure("fairness", "fairness_forest_oe", fig,
                     caption=f"O/E ratio of {name} by group (calibration within groups)")
    r.add_text("fairness-methods", f"Fairness (14): performance and calibration of {name} "
               f"within groups of {', '.join(present)} ({cfg.n_boot} bootstrap resamples, "
               f"seed {st.seed(202)}); groups under the minimum size are reported as "
               "suppressed. Known inequalities must be discussed by the authors (3c).")


def _step_comparison(st: _State) -> None:
    r = st.report
    if len(st.risks) < 2:
        r.add_note("comparison", "Only one index: nothing to compare.")
        return
    mask = ~st.dev if (~st.dev).any() else st.dev
    name = next(iter(st.risks))
    cut = st.cutoffs.get(name) or tuple(st.cfg.risk_levels.cutoffs)
    n_boot = st.cfg.validation.compare_n_boot
    res = compare(_outcome(st, "competing", mask), {n: v[mask] for n, v in st.risks.items()},
                  horizon=st.horizon, levels=tuple(cut),
                  thresholds=tuple(st.cfg.validation.thresholds),
                  scoring=_scoring(st, "competing"), n_boot=n_boot, seed=st.seed(404),
                  n_jobs=st.n_jobs)
    r.add_text("comparison", f"All indices are compared on the validation data, pair by "
               f"pair on the workers for whom both risks are known (paired bootstrap, "
               f"{n_boot} resamples, seed {st.seed(404)}); risk levels use the cut-offs "
               f"{tuple(round(c, 4) for c in cut)} of {name}. NRI and IDI are secondary "
               "measures.")
    t = _numeric_table(res.indices)
    r.add_table("comparison", "comparison_indices", t, caption="Each index on its own "
                "complete rows", count_columns=_counts_in(t))
    t = _numeric_table(res.differences)
    r.add_table("comparison", "comparison_differences", t, caption="Pairwise differences "
                "with paired 95% CIs", count_columns=_counts_in(t))
    t = _numeric_table(res.reclassification)
    r.add_table("comparison", "comparison_reclassification", t, caption="Reclassification "
                "(NRI, IDI) of each pair", count_columns=_counts_in(t))
    for k, ((a, b), tab) in enumerate(sorted(res.crosstabs.items())):
        t = _numeric_table(tab)
        r.add_table("comparison", f"comparison_levels_{k + 1}", t, caption=f"Risk levels: "
                    f"{a} (rows) versus {b} (columns)", count_columns=_counts_in(t),
                    known_totals=True)
    if res.decision_curves:
        r.add_figure("comparison", "comparison_decision_curves",
                     plot_decision_curve(res.decision_curves,
                                         min_count=st.cfg.report.min_count),
                     caption=f"Decision curves on the {res.n_common} workers with every "
                     "risk known")


def _step_completeness(st: _State) -> None:
    cfg = st.cfg.completeness
    if not cfg.fields:
        st.report.add_note("completeness", "No field listed in completeness.fields: the "
                           "stress test was not requested.")
        return
    # the first fitted index of the configuration (as checked when the file was loaded)
    idx = next(i for i in st.cfg.indices if i.kind in _KIND_OUTCOME)
    if idx.name not in st.fitted:
        raise _Skipped(f"its index {idx.name!r} was not fitted")
    kind = _KIND_OUTCOME[idx.kind]
    known = st.frame["known_at_horizon"].astype(bool).to_numpy()
    rows = known if kind == "binary" else np.ones(len(st.frame), bool)
    design = st.designs[idx.name]
    fields = [f for f in cfg.fields if f in design.columns]
    dropped = [f for f in cfg.fields if f not in design.columns]
    if dropped:
        _record_failure(st, ("completeness",), f"stress test of {', '.join(dropped)}",
                        f"not run for {', '.join(dropped)}: not in the design of "
                        f"{idx.name!r} (constant in the development data, so dropped)")
    if not fields:
        return
    try:
        res = completeness_sensitivity(
            clone(st.fitted[idx.name]), design.loc[rows].reset_index(drop=True),
            _outcome(st, kind, rows), fields=fields, rates=list(cfg.rates),
            mechanism=cfg.mechanism, horizon=None if kind == "binary" else st.horizon,
            spsti=st.frame.loc[rows, "spsti_id"].astype(str).to_numpy(),
            n_repeats=cfg.n_repeats, seed=st.seed(303))
    except COMPUTATION_FAILURES as err:
        _failed(st, "completeness", f"the completeness stress test of {idx.name}", err)
        return
    st.report.add_text("completeness", f"Stress test on {idx.name}: the fields "
                       f"{', '.join(fields)} are deleted at rates {list(cfg.rates)} "
                       f"({cfg.mechanism}), the index is refitted and validated on a held-out "
                       f"part ({cfg.n_repeats} repeats, seed {st.seed(303)}).")
    t = _numeric_table(res.summary)
    st.report.add_table("completeness", "completeness_sensitivity", t, caption="Performance "
                        "as DMST fields are degraded", count_columns=_counts_in(t))
    st.report.add_figure("completeness", "completeness", res.plot(), caption="Decay of "
                         "discrimination and calibration with completeness")


def _step_sample_size(st: _State) -> None:
    """Riley et al. minimum sample sizes, compared in words with the data available."""
    r = st.report
    ss = st.cfg.sample_size
    t = st.frame
    known = t["known_at_horizon"].astype(bool).to_numpy()
    prev = float(t.loc[st.dev & known, "event_at_horizon"].astype(float).mean())
    params = max((st.designs[n].shape[1] for n in st.designs), default=0)
    if not params or not 0 < prev < 1:
        raise _Skipped("no fitted index or no events to base the calculation on")
    rows = []
    dev = development_sample_size("binary", parameters=int(params),
                                  cstatistic=ss.anticipated_c, prevalence=prev,
                                  shrinkage=ss.shrinkage)
    available = int((st.dev & known).sum())
    rows.append({"purpose": "development", "minimum_n": int(dev.sample_size),
                 "expected_events": float(dev.events), "epp": float(dev.epp),
                 "available_n": available})
    r.add_text("sample-size", f"Development (Riley et al. 2020, binary outcome at the "
               f"horizon): {params} candidate parameters, anticipated C "
               f"{ss.anticipated_c}, outcome proportion {prev:.4f}, target shrinkage "
               f"{ss.shrinkage}: at least {dev.sample_size:,} participants "
               f"({dev.events:.0f} events, EPP {dev.epp:.1f}). "
               + _compared("development", available, int(dev.sample_size),
                           st.cfg.report.min_count))
    if (~st.dev).any():
        val = validation_sample_size(prevalence=prev, cstatistic=ss.anticipated_c,
                                     lp_normal=None, lp_beta=None,
                                     lp=_logit(next(iter(st.risks.values()))[~st.dev]))
        available = int((~st.dev & known).sum())
        rows.append({"purpose": "validation", "minimum_n": int(val.sample_size),
                     "expected_events": float(val.events), "epp": float("nan"),
                     "available_n": available})
        r.add_text("sample-size", f"Validation (Riley et al. 2021, pmvalsampsize criteria: "
                   f"precise O/E, calibration slope and C): at least {val.sample_size:,} "
                   "participants. " + _compared("validation", available, int(val.sample_size),
                                                 st.cfg.report.min_count))
    r.add_table("sample-size", "sample_size", pd.DataFrame(rows), caption="Minimum sample "
                "sizes and the data available (participants whose outcome at the horizon "
                "is known)", count_columns=["available_n"], disclosure=True)


def _compared(purpose: str, available: int, minimum: int, min_count: int) -> str:
    """The data available against the minimum, in words (never left for the reader)."""
    if available < min_count:  # disclosure control: no count under the threshold
        return (f"The {purpose} data hold fewer than {min_count} participants: far below "
                "this minimum; its estimates cannot be relied on.")
    if available >= minimum:
        return (f"The {purpose} data hold {available:,} participants, above this minimum: "
                "the criteria are met.")
    share = 100 * available / minimum
    consequence = (" (expect optimism and unstable predictions)." if purpose == "development"
                   else " (wider confidence intervals for O/E, calibration slope and C).")
    return (f"The {purpose} data hold only {available:,} participants, {share:.0f}% of this "
            f"minimum: the criteria are NOT met, so the {purpose} estimates are less precise "
            "than the criteria require" + consequence)


def _step_service(st: _State) -> None:
    r = st.report
    name = next(iter(st.risks))
    risk = st.risks[name]
    levels = st.levels.get(name)
    t = st.frame
    h = st.horizon
    r.add_text("service", f"For those who run services: distribution of the predicted risk "
               f"({name}) and of the observed outcome by SPSTI, sector (NAF section) and "
               "company size, on all index events. Observed risk: Aalen-Johansen cumulative "
               "incidence of inaptitude by the horizon, competing exits accounted for. "
               "Groups under the disclosure threshold are suppressed.")
    for g in st.cfg.report.service_groups:
        if g not in t.columns:
            r.add_note("service", f"Grouping '{g}' is not a cohort column or feature; "
                       "skipped.")
            continue
        lab = t[g].astype("string").fillna("(missing)")
        rows = []
        for value in sorted(lab.unique()):
            m = (lab == value).to_numpy()
            scored = risk[m][np.isfinite(risk[m])]  # a group may have no risk (see models)
            row = {"group": str(value), "n": int(m.sum()),
                   "events_by_horizon": int(((t["cause"] == 1) & (t["time"] <= h))[m].sum()),
                   "observed_risk": _observed(st, m) if m.sum() else float("nan"),
                   "mean_predicted": float(scored.mean()) if len(scored) else float("nan")}
            for q in (10, 50, 90):
                row[f"p{q}_predicted"] = float(np.percentile(scored, q)) if len(scored) \
                    else float("nan")
            if levels is not None:
                for k, ll in enumerate(LEVEL_LABELS):
                    row[f"n_{ll}"] = int((levels[m] == k).sum())
            rows.append(row)
        tab = pd.DataFrame(rows)
        counts = _counts_in(tab)
        rates = {c: ("n", "n") for c in ("mean_predicted", "p10_predicted", "p50_predicted",
                                          "p90_predicted")}
        rates["observed_risk"] = ("events_by_horizon", "n")
        ctl = r.add_table("service", f"service_{g}", tab, caption=f"Predicted and observed "
                          f"risk by {g}", count_columns=counts, rates=rates,
                          known_totals=True)
        ok = ctl["n"].notna() & ctl["observed_risk"].notna() & ctl["mean_predicted"].notna()
        shown = ctl[ok]
        if shown.empty:
            continue
        fig = Figure(figsize=(7, 0.35 * len(shown) + 1.5))
        ax = fig.subplots()
        ypos = np.arange(len(shown))
        ax.scatter(shown["mean_predicted"].astype(float), ypos, marker="o",
                   label="mean predicted")
        ax.scatter(shown["observed_risk"].astype(float), ypos, marker="x", color="C3",
                   label="observed (Aalen-Johansen)")
        ax.set_yticks(ypos, shown["group"].astype(str).tolist())
        ax.set_xlabel(f"risk of inaptitude by {h} days")
        ax.legend(loc="best", fontsize=8)
        r.add_figure("service", f"service_{g}_plot", fig, caption=f"Mean predicted and "
                     f"observed risk by {g} (groups passing disclosure control)")


# ------------------------------------------------------------- stability and centre calibration
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
                            seed=st.seed(101), n_jobs=st.n_jobs,
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
    shown = r.add_table(
        "stability", f"stability_{name}", table, caption=f"Stability of {name} (development "
        f"data, {res.n_boot - res.n_failed} rebuilt indices): by risk level of the index, "
        f"mean predicted risk, mean absolute prediction error (MAPE), mean width of the "
        f"{pct} stability interval and probability that a worker's level changes",
        count_columns=["n"], total_row=len(table) - 1,
        rates={c: ("n", "n") for c in ("mean_risk", "mape", "level_change",
                                         "interval_width")})
    trans = res.transitions.reset_index().rename(
        columns={lv: f"to_{lv}" for lv in LEVEL_LABELS})
    trans["n"] = trans["n"].astype("int64")
    r.add_table("stability", f"stability_{name}_transitions", trans, caption=f"Risk levels "
                f"of {name} when the index is rebuilt: for the workers of each level (rows), "
                "share of the rebuilt indices' predictions in each level (columns)",
                count_columns=["n"], known_totals=True,
                rates={f"to_{lv}": ("n", "n") for lv in LEVEL_LABELS})
    cl = res.classification.copy()
    cl.insert(1, "n", np.full(len(cl), int(res.n), dtype="int64"))
    cl.insert(2, "n_below", (res.n - cl["n_above"]).astype("int64"))
    cl["n_above"] = cl["n_above"].astype("int64")
    # each row splits the development workers in two: n = n_below + n_above
    r.add_table("stability", f"stability_{name}_classification", cl, caption=f"Classification "
                f"instability of {name}: mean probability that a worker changes side of each "
                "threshold when the index is rebuilt (all workers, below and above it)",
                count_columns=["n", "n_below", "n_above"], row_total="n",
                placement="appendix",
                rates={"cii_below": ("n_below", "n_below"),
                       "cii_above": ("n_above", "n_above")})
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
    if cc.data == "validation":
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
        _centre_tables(st, name, res, ok, spsti)
        for app in approaches:
            if app not in set(res.curve["approach"]):
                continue
            summary.append(_heterogeneity_row(name, app, res))
            r.add_figure("heterogeneity", f"centre_calibration_{name}_{app}",
                         res.plot(approach=app), caption=_centre_caption(name, app, res),
                         placement="appendix")
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


def _centre_tables(st: _State, name: str, res: Any, ok: np.ndarray,
                   spsti: np.ndarray) -> None:
    """Workers and events per SPSTI (disclosure-controlled) and the overall curve."""
    sub = st.frame.loc[ok]
    event = ((sub["cause"] == 1) & (sub["time"] <= st.horizon)).to_numpy()
    lab = spsti[ok]
    pooled = dict(zip(res.centres["centre"].astype(str), res.centres["included"],
                      strict=True))
    rows = [{"spsti": g, "n": int((lab == g).sum()), "n_events": int(event[lab == g].sum()),
             "pooled": "yes" if pooled.get(g, False) else "no (too few events)"}
            for g in np.unique(lab)]
    st.report.add_table("heterogeneity", f"centre_calibration_{name}_spsti", pd.DataFrame(rows),
                        caption=f"{name}: workers and events by the horizon in each SPSTI, "
                        "and whether the SPSTI is pooled", count_columns=["n", "n_events"],
                        known_totals=True, placement="appendix")
    curve = res.summary(n_points=6).table.reset_index()
    st.report.add_table("heterogeneity", f"centre_calibration_{name}_curve", curve,
                        caption=f"{name}: overall calibration curve across SPSTI at six "
                        f"predicted risks, with its {100 * res.level:g}% confidence interval "
                        "and prediction interval (pi)", disclosure=False, placement="appendix")


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
