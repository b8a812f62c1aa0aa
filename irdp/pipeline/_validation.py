"""Pipeline steps validating the indices: performance to service-level view (private)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from irdp.fairness import fairness_summary, group_counts
from irdp.metrics import calibration, calibration_slope, net_benefit, oe_ratio, performance
from irdp.missing import completeness_sensitivity
from irdp.pipeline._disclosure import fairness_link, net_benefit_link, service_link
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
    _statistics_in,
)
from irdp.plotting import (
    GroupRiskDisplay,
    plot_calibration,
    plot_decision_curve,
    plot_observed_risk,
)
from irdp.report.labels import in_sentence, sort_ordinal, term_label
from irdp.validation import (
    bootstrap_validate,
    closed_test,
    compare,
    development_sample_size,
    iecv,
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
                # the index's risk-level cut-offs; without them, thresholds derived from
                # the outcome's incidence at the horizon (performance's default)
                perf = _numeric_table(_frame_of(performance(
                    y, risk[ok], st.horizon,
                    thresholds=tuple(st.cutoffs.get(name, ())) or None)))
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
                                     scheduler=st.scheduler,
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
    table, link, extra = net_benefit_link(table, int(ok.sum()), st.report.policy.min_count)
    st.report.links.extend(extra)
    st.report.add_table("decision-curves", "net_benefit", table, caption="Net benefit by "
                        "risk threshold (decision curve analysis) with treat-all and "
                        "treat-none, validation data", count_columns=_counts_in(table),
                        link=link)
    fig = plot_decision_curve(curves, min_count=st.cfg.report.min_count)
    st.report.add_figure("decision-curves", "decision_curves", fig, caption="Decision "
                         "curves of the candidate indices (validation data)")
    name = next(iter(st.risks))
    if name in st.levels:
        lv = st.levels[name][ok]
        labels = np.array(["(none)", *LEVEL_LABELS], dtype=object)[lv + 1]
        fig = plot_observed_risk(y, labels, horizon=st.horizon,
                                 min_count=st.cfg.report.min_count,
                                 order=[*LEVEL_LABELS, "(none)"])  # faible -> forte
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
                           horizon=None if kind == "binary" else st.horizon,
                           scheduler=st.scheduler)
            except COMPUTATION_FAILURES as err:  # e.g. a predictor constant in one training part
                _failed(st, "iecv", f"IECV of {idx.name} by {by}", err)
                continue
            per = _numeric_table(res.per_centre)
            r.add_table("iecv", f"iecv_{idx.name}_{by}", per, caption=f"IECV of {idx.name} "
                        f"by {by} ({scheme}): performance in each held-out "
                        f"{'SPSTI' if by == 'spsti' else 'period'}",
                        count_columns=_counts_in(per), block_column="measure")
            pooled = _numeric_table(res.to_frame())
            # fewer than 3 clusters: no pooled estimate, only heterogeneity tests; the
            # per-cluster results carry the information, so the table leaves the main text
            unpooled = "estimate" in pooled and not pooled["estimate"].notna().any()
            r.add_table("iecv", f"iecv_{idx.name}_{by}_pooled", pooled, caption=f"IECV of "
                        f"{idx.name} by {by}: random-effects pooled performance with 95% CI "
                        "and 95% prediction interval" + (" (not pooled: fewer than 3 "
                        "clusters)" if unpooled else ""), count_columns=_counts_in(pooled),
                        placement="appendix" if unpooled else "auto")
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
                           min_count=st.report.policy.min_count, scheduler=st.scheduler)
    truth = group_counts(_outcome(st, "competing", mask), groups, horizon=st.horizon)
    g, link = fairness_link(res.groups, truth, r)
    g = _numeric_table(g)
    r.add_table("fairness", "fairness_groups", g, caption=f"Groups checked for {name}: size, "
                "events and calibration flags", count_columns=["n", "events", "non_events"],
                block_column="grouping", known_totals=True, link=link)
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
                  n_jobs=st.n_jobs, scheduler=st.scheduler)
    r.add_text("comparison", f"All indices are compared on the validation data, pair by "
               f"pair on the workers for whom both risks are known (paired bootstrap, "
               f"{n_boot} resamples, seed {st.seed(404)}); risk levels use the cut-offs "
               f"{tuple(round(c, 4) for c in cut)} of {name}. NRI and IDI are secondary "
               "measures.")
    t = _numeric_table(res.indices)
    r.add_table("comparison", "comparison_indices", t, caption="Each index on its own "
                "complete rows", count_columns=_counts_in(t), statistics=_statistics_in(t))
    t = _numeric_table(res.differences)
    r.add_table("comparison", "comparison_differences", t, caption="Pairwise differences "
                "with paired 95% CIs", count_columns=_counts_in(t), statistics=["p_value"])
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
                        "as DMST fields are degraded", count_columns=_counts_in(t),
                        statistics=["rate", "missing_share"])
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
        for value in sort_ordinal(lab.unique(), feature=g):  # ordinal groups in order
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
        tab, link = service_link(tab, "spsti" if g == "spsti_id" else g, LEVEL_LABELS,
                                 r)
        ctl = r.add_table("service", f"service_{g}", tab, caption=f"Predicted and observed "
                          f"risk by {in_sentence(term_label(g))}", count_columns=counts,
                          rates=rates, known_totals=True, link=link)
        ok = ctl["n"].notna() & ctl["observed_risk"].notna() & ctl["mean_predicted"].notna()
        shown = ctl[ok]
        if shown.empty:
            continue
        fig = GroupRiskDisplay.from_table(shown, horizon=h,
                                          group_label=term_label(g)).figure_
        r.add_figure("service", f"service_{g}_plot", fig, caption=f"Mean predicted and "
                     f"observed risk by {in_sentence(term_label(g))} (groups passing disclosure "
                     "control)")
