"""Pipeline steps fitting and scoring the candidate indices (private)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import clone

from irdp.cohort import CAUSES
from irdp.exceptions import IrdpError, IrdpWarning
from irdp.experiment import INSTRUMENT_SCORES
from irdp.metrics import observed_risk
from irdp.models import (
    CauseSpecificCoxIndex,
    CoxIndex,
    FineGrayIndex,
    FixedScoreIndex,
    LogisticIndex,
    PointsScore,
    RiskLevels,
)
from irdp.models.preprocessing import MissingIndicatorPreprocessing
from irdp.pipeline._state import (
    _KIND_OUTCOME,
    COMPUTATION_FAILURES,
    LEVEL_LABELS,
    _failed,
    _outcome,
    _plain_columns,
    _record_failure,
    _Skipped,
    _State,
)
from irdp.privacy import DEFAULT_THRESHOLD
from irdp.report.labels import index_kind_label, term_label

#: The missing-indicator preprocessing of raw features (exported with each model).
_Preprocessing = MissingIndicatorPreprocessing
_fit_preprocessing = MissingIndicatorPreprocessing.fit

_MODEL_CLASSES: dict[str, type] = {
    "logistic": LogisticIndex,
    "cox": CoxIndex,
    "fine_gray": FineGrayIndex,
    "cause_specific_cox": CauseSpecificCoxIndex,
}


def _step_models(st: _State) -> None:
    """Fit or score every candidate index; one that cannot be computed does not stop the rest."""
    for idx in st.cfg.indices:
        try:
            _one_index(st, idx)
        except _Skipped as err:
            _record_failure(st, ("model",), f"index {idx.name}", str(err))
        except COMPUTATION_FAILURES as err:
            _failed(st, "model", f"index {idx.name} ({idx.kind})", err)
            for store in (st.fitted, st.risks, st.designs, st.preprocessing, st.scorable):
                store.pop(idx.name, None)
    if not st.risks:
        raise _Skipped("no candidate index could be computed")
    _risk_levels(st)


def _one_index(st: _State, idx: Any) -> None:
    if idx.kind in _MODEL_CLASSES:
        _fit_index(st, idx)
    elif idx.kind == "column":
        st.risks[idx.name] = _external_risk(st, idx)
        st.report.add_text("model", f"{idx.label or idx.name}: risks supplied from outside "
                           f"irdp (column '{idx.column}' of {idx.file.name}); validated like "
                           "any other index.")
    elif idx.kind == "questionnaire":
        _questionnaire(st, idx)
    elif idx.kind == "points":
        _points(st, idx)
    else:  # the configuration allows no other kind
        raise IrdpError(f"index {idx.name!r}: unknown kind {idx.kind!r}.")


def _fit_index(st: _State, idx: Any) -> None:
    names = st.predictors[idx.name]
    prep = _fit_preprocessing(st.X.loc[st.dev, names])
    Xm = prep.transform(st.X[names])
    opts = dict(idx.options)
    opts.setdefault("categorical", dict(prep.categorical))
    if idx.kind == "cause_specific_cox":  # validate the model the export publishes
        opts.setdefault("grid_min_events", DEFAULT_THRESHOLD)
    est = _MODEL_CLASSES[idx.kind](**opts)
    kind = _KIND_OUTCOME[idx.kind]
    known = st.frame["known_at_horizon"].astype(bool).to_numpy()
    rows = st.dev & known if kind == "binary" else st.dev
    with st.timer(f"fit {idx.name}"):
        est.fit(Xm.loc[rows].reset_index(drop=True), _outcome(st, kind, rows))
    scorable = _scorable(st, idx, Xm, rows, prep)
    st.fitted[idx.name] = est
    st.preprocessing[idx.name] = prep
    st.designs[idx.name] = Xm
    st.scorable[idx.name] = scorable
    st.risks[idx.name] = _score(est, Xm, scorable, st.horizon)
    _describe_model(st, idx, est, names)


def _score(est: Any, X: pd.DataFrame, scorable: np.ndarray, horizon: float | None
           ) -> np.ndarray:
    """Risks of the scorable rows; the others (a category unseen at fit) stay missing."""
    risk = np.full(len(X), np.nan)
    if scorable.any():
        part = X.loc[scorable].reset_index(drop=True)
        risk[scorable] = np.asarray(est.predict_risk(part, horizon=horizon), float)
    return risk


def _scorable(st: _State, idx: Any, X: pd.DataFrame, fit_rows: np.ndarray,
              prep: _Preprocessing) -> np.ndarray:
    """Rows whose categories were all seen in the fitting data (a model refuses the others).

    An index is never asked to extrapolate to a category it has not seen: such rows get no
    risk, and the model section says how many and which categories.
    """
    ok = np.ones(len(X), dtype=bool)
    unseen = []
    for c in prep.categorical:
        seen = set(X.loc[fit_rows, c])
        new = ~X[c].isin(seen).to_numpy()
        if new.any():
            ok &= ~new
            unseen.append(f"{c} {sorted(set(X.loc[new, c]))[:5]}")
    if unseen:
        n = int((~ok).sum())
        k = st.cfg.report.min_count
        count = f"{n:,}" if n >= k else f"fewer than {k}"
        text = (f"index {idx.label or idx.name}: {count} index events have a category unseen "
                f"in the development data ({'; '.join(unseen)}) and get no risk (the model "
                "never extrapolates to a new category); they are left out of its validation.")
        st.report.add_note("model", text)
        warnings.warn(text, IrdpWarning, stacklevel=2)
    return ok


def _describe_model(st: _State, idx: Any, est: Any, names: list[str]) -> None:
    r = st.report
    label = idx.label or idx.name
    if isinstance(est, CauseSpecificCoxIndex):
        _cause_specific_tables(st, idx, est)
    else:
        summ = est.summary().reset_index().rename(columns={"index": "term"})
        summ = summ.rename(columns={summ.columns[0]: "term"})
        r.add_table("model", f"coefficients_{idx.name}", _plain_columns(summ),
                    caption=f"{label}: full model (coefficients with 95% CI)",
                    disclosure=False)
    dev = est.development_
    extra = ""
    if isinstance(est, LogisticIndex):
        extra = (f" Risk = 1 / (1 + exp(-(intercept + sum of coefficient x value))), "
                 f"intercept {est.intercept_:.6g}.")
    elif isinstance(est, CoxIndex) and not est.strata:
        h0 = float(est.baseline_cumulative_hazard_at(st.horizon))
        extra = (f" Risk by the horizon = 1 - exp(-H0(t) exp(linear predictor)) with "
                 f"baseline cumulative hazard H0({st.horizon} days) = {h0:.6g} (baseline "
                 f"survival {np.exp(-h0):.6g}).")
    r.add_text("model", f"{label} ({index_kind_label(idx.kind)}), fitted on the development "
               f"data ({dev.get('n', int(st.dev.sum())):,} rows). Predictors: "
               f"{'; '.join(term_label(n) for n in names)}. "
               "Missing values: missing-indicator design (development median for numbers, "
               "a '(missing)' level for categories)." + extra +
               f" The exported model is models/{idx.name}.json (irdp.models.load).")
    r.add_text("analysis", f"{label}: {index_kind_label(idx.kind)} (irdp "
               f"{type(est).__name__}) with "
               f"{_options_text(idx.options)}; predictors handled as in the model section "
               "(12b-12c).")


def _options_text(options: dict[str, Any]) -> str:
    if not options:
        return "irdp's default options"
    return "options " + ", ".join(f"{k} = {v}" for k, v in sorted(options.items()))


def _cause_specific_tables(st: _State, idx: Any, est: CauseSpecificCoxIndex) -> None:
    """Every cause's Cox model (TRIPOD+AI 22), not only the event of interest's."""
    label = idx.label or idx.name
    z95 = stats.norm.ppf(0.975)
    pieces = []
    for cause, coef in sorted(est.coef_by_cause_.items()):
        se = est.se_by_cause_[cause]
        with np.errstate(divide="ignore", invalid="ignore"):
            z = coef / se
        pieces.append(pd.DataFrame({
            "cause": f"{cause} ({CAUSES.get(cause, 'other')})", "term": coef.index,
            "coef": coef.to_numpy(), "se": se.to_numpy(), "z": z.to_numpy(),
            "p": 2 * stats.norm.sf(np.abs(z.to_numpy())),
            "ci_lower": (coef - z95 * se).to_numpy(), "ci_upper": (coef + z95 * se).to_numpy(),
            "hazard_ratio": np.exp(coef.to_numpy())}))
    table = pd.concat(pieces, ignore_index=True)
    st.report.add_table("model", f"coefficients_{idx.name}", table, caption=f"{label}: "
                        f"cause-specific Cox model of each of the {len(pieces)} causes "
                        "(log hazard ratios with 95% Wald CI; the absolute risk of cause 1 "
                        "combines them all)", disclosure=False)
    causes = ", ".join(f"{k} = {CAUSES.get(k, 'other')}" for k in sorted(est.baselines_))
    lines = []
    for k, base in sorted(est.baselines_.items()):
        before = base["time"].to_numpy() <= st.horizon
        h0 = float(base["cumhaz"].to_numpy()[before][-1]) if before.any() else 0.0
        lines.append(f"cause {k}: {h0:.6g}")
    st.report.add_text("model", f"{label}: one Cox model per cause ({causes}), the other "
                       "causes censored; the risk of inaptitude by the horizon is "
                       "sum over event times s <= t of S(s-) dH1(s) with the all-cause "
                       "survival S built from every cause (riskRegression::CSC). Baseline "
                       f"cumulative hazards at {st.horizon} days: {'; '.join(lines)}.")


def _external_risk(st: _State, idx: Any) -> np.ndarray:
    path = idx.file
    ext = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    need = {"worker_id", "index_date", idx.column}
    if not need <= set(ext.columns):
        raise IrdpError(f"index {idx.name!r}: {path} must have columns {sorted(need)}; "
                        f"found {list(ext.columns)[:10]}.")
    ext = ext.assign(worker_id=ext["worker_id"].astype(str),
                     index_date=pd.to_datetime(ext["index_date"]).dt.normalize())
    keys = st.frame[["worker_id", "index_date"]].assign(
        worker_id=lambda d: d["worker_id"].astype(str),
        index_date=lambda d: pd.to_datetime(d["index_date"]).dt.normalize())
    merged = keys.merge(ext[["worker_id", "index_date", idx.column]], how="left",
                        on=["worker_id", "index_date"], validate="many_to_one")
    risk = pd.to_numeric(merged[idx.column], errors="coerce").to_numpy(float)
    bad = np.isfinite(risk) & ((risk < 0) | (risk > 1))
    if bad.any():
        raise IrdpError(f"index {idx.name!r}: {int(bad.sum())} risks outside [0, 1] in "
                        f"{path}; supply absolute risks by the horizon.")
    return risk


def _questionnaire(st: _State, idx: Any) -> None:
    """An existing instrument, mapped to a risk by logistic recalibration on development."""
    column, riskier = INSTRUMENT_SCORES[idx.instrument]
    score = pd.to_numeric(st.X[column].astype("Float64"), errors="coerce").astype(float)
    known = st.frame["known_at_horizon"].astype(bool).to_numpy()
    has = score.notna().to_numpy()
    rows = st.dev & known & has
    ev = st.frame.loc[rows, "event_at_horizon"].astype(bool).to_numpy()
    if ev.sum() < 2 or (~ev).sum() < 2:
        raise _Skipped(f"the {idx.instrument} score is known at only {int(has.sum())} index "
                       f"events ({int(ev.sum())} development events): it cannot be "
                       "recalibrated or validated in this cohort (questionnaires are "
                       "answered at some visit types only)")
    est = FixedScoreIndex(instrument=None, score_column="score", higher_is_riskier=riskier)
    frame = pd.DataFrame({"score": score})
    est.fit(frame.loc[rows].reset_index(drop=True), _outcome(st, "binary", rows))
    risk = np.full(len(score), np.nan)
    risk[has] = est.predict_risk(frame.loc[has].reset_index(drop=True))
    st.fitted[idx.name] = est
    st.risks[idx.name] = risk
    label = idx.label or idx.name
    st.report.add_text("model", f"{label}: the {idx.instrument} score (feature {column}, "
                       f"{'higher' if riskier else 'lower'} = riskier) mapped to a risk by "
                       f"logistic recalibration on the development rows where it was answered "
                       f"({int(rows.sum())} rows); answered at {100 * has.mean():.1f}% of "
                       "index events, so it is validated on those only.")


def _points(st: _State, idx: Any) -> None:
    """Sullivan points score derived from the fitted base index."""
    base = st.fitted.get(idx.base)
    if base is None:
        raise _Skipped(f"its base index {idx.base!r} was not fitted")
    base_idx = next(i for i in st.cfg.indices if i.name == idx.base)
    kind = _KIND_OUTCOME[base_idx.kind]
    known = st.frame["known_at_horizon"].astype(bool).to_numpy()
    rows = st.dev & known if kind == "binary" else st.dev
    X = st.designs[idx.base]
    est = PointsScore(model=clone(base), horizon=None if kind == "binary" else st.horizon,
                      **idx.options)
    est.fit(X.loc[rows].reset_index(drop=True), _outcome(st, kind, rows))
    st.fitted[idx.name] = est
    st.designs[idx.name] = X
    st.scorable[idx.name] = st.scorable[idx.base]
    st.risks[idx.name] = _score(est, X, st.scorable[idx.name],
                                None if kind == "binary" else st.horizon)
    label = idx.label or idx.name
    table = est.points_table_.copy()
    _warn_collapsed(label, table)
    table["points"] = table["points"].astype("int64")
    r = st.report
    r.add_table("model", f"points_{idx.name}", _points_columns(table),
                caption=f"{label}: points table (Sullivan's method) derived from "
                f"{idx.base}", disclosure=False)
    risk = est.risk_table_.copy()
    risk["points"] = risk["points"].astype("int64")
    r.add_table("model", f"points_risk_{idx.name}", _points_columns(risk),
                caption=f"{label}: risk by total points", disclosure=False)
    loss = est.rounding_loss_
    r.add_text("model", f"Rounding loss of the points score: C {loss.get('c_model', 0):.4f} "
               f"(model) versus {loss.get('c_points', 0):.4f} (points).")


def _points_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Descriptive copy where points stay whole numbers (never ``-6.0``)."""
    out = _plain_columns(frame.drop(columns=["points"]))
    out.insert(list(frame.columns).index("points"), "points", frame["points"].astype(object))
    return out


def _warn_collapsed(label: str, table: pd.DataFrame) -> None:
    """Warn when a predictor of a points score is one ``[-inf, inf)`` category (0 points)."""
    numeric = table[np.isfinite(table["lower"].astype(float)) |
                    np.isfinite(table["upper"].astype(float)) |
                    table["category"].astype(str).str.startswith("[")]
    sizes = numeric.groupby("column").size()
    collapsed = sorted(str(c) for c in sizes[sizes == 1].index)
    if collapsed:
        warnings.warn(
            f"points score {label}: {len(collapsed)} predictor(s) collapse to a single "
            f"category [-inf, inf) with 0 points and do not contribute to the score "
            f"({', '.join(collapsed[:5])}): their development values are too concentrated "
            "for quantile cut-points. Give cut-points in the index options (bins: "
            "{predictor: [...]}) or leave them out.", IrdpWarning, stacklevel=2)


def _risk_levels(st: _State) -> None:
    cut = st.cfg.risk_levels
    r = st.report
    r.add_text("output", f"Each index outputs the absolute risk of inaptitude by the horizon "
               f"({st.horizon} days). Risk levels (the IRDP's output): faible below "
               f"{cut.cutoffs[0]:.3g}, intermédiaire up to {cut.cutoffs[1]:.3g}, forte above "
               f"(method: {cut.method}). Decision curves show the net benefit of acting at "
               "each risk threshold.")
    rows = []
    y = _outcome(st, "competing", np.ones(len(st.frame), bool))
    for name, risk in st.risks.items():
        levels = _levels(st, risk)
        st.levels[name] = levels
        for k, lab in enumerate(LEVEL_LABELS):
            m = levels == k
            row = {"index": name, "level": lab, "n": int(m.sum()),
                   "mean_predicted": float(np.mean(risk[m])) if m.any() else float("nan")}
            row["observed"] = float(observed_risk(y.take(np.flatnonzero(m)), st.horizon)) \
                if m.sum() > 0 else float("nan")
            rows.append(row)
    t = pd.DataFrame(rows)
    r.add_table("output", "risk_levels", t, caption="Size, mean predicted and observed "
                "risk (Aalen-Johansen, competing exits) of each risk level",
                count_columns=["n"], rates={"mean_predicted": ("n", "n"),
                                            "observed": ("n", "n")},
                block_column="index")


def _levels(st: _State, risk: np.ndarray) -> np.ndarray:
    """Level codes 0/1/2 (faible/intermédiaire/forte) by irdp.models.RiskLevels, -1 if no risk.

    Cut-offs are set on the development rows (fixed thresholds, quantiles, or target
    sensitivities at the horizon) and applied to every row.
    """
    cut = st.cfg.risk_levels
    key = {"thresholds": "thresholds", "quantiles": "quantiles",
           "sensitivity": "sensitivity"}[cut.method]
    rl = RiskLevels(method=cut.method, **{key: tuple(cut.cutoffs)})
    ok = np.isfinite(risk)
    dev = st.dev & ok
    if cut.method == "sensitivity":
        rl.fit(risk[dev], _outcome(st, "competing", dev), horizon=st.horizon)
    else:
        rl.fit(risk[dev])
    st.cutoffs[next(k for k, v in st.risks.items() if v is risk)] = tuple(rl.cutoffs_)
    out = np.full(len(risk), -1, dtype=int)
    out[ok] = np.asarray(rl.transform(risk[ok]).codes, dtype=int)
    return out
