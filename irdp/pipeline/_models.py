"""Pipeline steps fitting and scoring the candidate indices (private)."""

from __future__ import annotations

import importlib
import json
from typing import Any

import numpy as np
import pandas as pd

from irdp.exceptions import ComputationError, IrdpError
from irdp.models.preprocessing import MissingIndicatorPreprocessing
from irdp.pipeline._state import (
    _KIND_OUTCOME,
    _MODEL_CLASSES,
    LEVEL_LABELS,
    _failed,
    _need,
    _outcome,
    _plain_columns,
    _State,
    _Unavailable,
)
from irdp.privacy import DEFAULT_THRESHOLD

#: The missing-indicator preprocessing of raw features (exported with each model).
_Preprocessing = MissingIndicatorPreprocessing
_fit_preprocessing = MissingIndicatorPreprocessing.fit


def _index_features(st: _State, idx: Any) -> list[str]:
    names = list(idx.features) if idx.features else list(st.X.columns)
    missing = [n for n in names if n not in st.X.columns]
    if missing:
        raise IrdpError(f"index {idx.name!r}: features {missing[:5]} are not among the built "
                        f"features; check indices[].features against the data dictionary.")
    return names


def _step_models(st: _State) -> None:
    models = importlib.import_module("irdp.models")
    r = st.report
    known = st.frame["known_at_horizon"].astype(bool).to_numpy()
    for idx in st.cfg.indices:
        label = idx.label or idx.name
        if idx.kind in _MODEL_CLASSES:
            cls = getattr(models, _MODEL_CLASSES[idx.kind], None)
            if cls is None:
                r.unavailable("model", f"Index {label} ({idx.kind})",
                              f"irdp.models.{_MODEL_CLASSES[idx.kind]} is missing")
                continue
            names = _index_features(st, idx)
            prep = _fit_preprocessing(st.X.loc[st.dev, names])
            Xm = prep.transform(st.X[names])
            opts = dict(idx.options)
            opts.setdefault("categorical", {c: v for c, v in prep.categorical.items()})
            if idx.kind == "cause_specific_cox":  # validate the model the export publishes
                opts.setdefault("grid_min_events", DEFAULT_THRESHOLD)
            est = cls(**opts)
            kind = _KIND_OUTCOME[idx.kind]
            rows = st.dev & known if kind == "binary" else st.dev
            try:  # valid data that cannot support this index: its failure, not the run's
                with st.timer(f"fit {idx.name}"):
                    est.fit(Xm.loc[rows].reset_index(drop=True),
                            _outcome(st, kind, rows))
            except ComputationError as err:
                _failed(st, "model", f"Index {label}", err)
                continue
            st.fitted[idx.name] = est
            st.preprocessing[idx.name] = prep
            st.designs[idx.name] = Xm
            st.risks[idx.name] = np.asarray(est.predict_risk(Xm, horizon=st.horizon), float)
            _describe_model(st, idx, est, prep, names)
        elif idx.kind == "column":
            st.risks[idx.name] = _external_risk(st, idx)
            r.add_text("model", f"{label}: risks supplied from outside irdp (column "
                       f"'{idx.column}' of {idx.file.name}); validated like any other index.")
        elif idx.kind == "questionnaire":
            _questionnaire(st, idx)
        elif idx.kind == "points":
            _points(st, idx)
    if not st.risks:
        raise _Unavailable("no candidate index could be computed")
    _risk_levels(st)


def _describe_model(st: _State, idx: Any, est: Any, prep: _Preprocessing,
                    names: list[str]) -> None:
    r = st.report
    label = idx.label or idx.name
    summ = est.summary().reset_index().rename(columns={"index": "term"})
    summ = summ.rename(columns={summ.columns[0]: "term"})
    r.add_table("model", f"coefficients_{idx.name}", _plain_columns(summ),
                caption=f"{label}: full model (coefficients with 95% CI)", disclosure=False)
    dev = getattr(est, "development_", {}) or {}
    extra = ""
    if idx.kind == "logistic":
        extra = (f" Risk = 1 / (1 + exp(-(intercept + sum of coefficient x value))), "
                 f"intercept {getattr(est, 'intercept_', float('nan')):.6g}.")
    elif hasattr(est, "baseline_cumulative_hazard_at"):
        try:
            h0 = float(est.baseline_cumulative_hazard_at(st.horizon))
            extra = (f" Risk by the horizon = 1 - exp(-H0(t) exp(linear predictor)) with "
                     f"baseline cumulative hazard H0({st.horizon} days) = {h0:.6g} "
                     "(baseline survival "
                     f"{np.exp(-h0):.6g}).")
        except (ValueError, KeyError):
            extra = ""
    r.add_text("model", f"{label} ({idx.kind}), fitted on the development data "
               f"({dev.get('n', int(st.dev.sum()))} rows). Predictors: {', '.join(names)}. "
               "Missing values: missing-indicator design (development median for numbers, "
               "a '(missing)' level for categories)." + extra +
               f" The exported model is models/{idx.name}.json (irdp.models.load).")
    r.add_text("analysis", f"{label}: {type(est).__name__} ({idx.kind}) with options "
               f"{json.dumps(idx.options, default=str)}; predictors handled as in the model "
               "section (12b-12c).")


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


#: Questionnaire score features (irdp.features) and their orientation.
_INSTRUMENT_SCORE = {"WAI": ("wai_total", False), "WAS": ("was_score", False),
                     "OMPSQ_SF": ("ompsq_total", True), "Q4": ("q4_total", True)}


def _questionnaire(st: _State, idx: Any) -> None:
    """An existing instrument, mapped to a risk by logistic recalibration on development."""
    FixedScoreIndex = _need("irdp.models", "FixedScoreIndex")
    column, riskier = _INSTRUMENT_SCORE[idx.instrument]
    if column not in st.X.columns:
        raise _Unavailable(f"the score feature {column!r} of {idx.instrument} is not built")
    score = pd.to_numeric(st.X[column].astype("Float64"), errors="coerce").astype(float)
    known = st.frame["known_at_horizon"].astype(bool).to_numpy()
    has = score.notna().to_numpy()
    rows = st.dev & known & has
    ev = st.frame.loc[rows, "event_at_horizon"].astype(bool).to_numpy()
    if ev.sum() < 2 or (~ev).sum() < 2:
        st.report.add_note("model", f"{idx.label or idx.name}: the {idx.instrument} score "
                           f"is known at only {int(has.sum())} index events ({int(ev.sum())} "
                           "development events); it cannot be recalibrated or validated in "
                           "this cohort (questionnaires are answered at some visit types "
                           "only).")
        return
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
    PointsScore = _need("irdp.models", "PointsScore")
    base = st.fitted.get(idx.base)
    if base is None:
        raise _Unavailable(f"its base index {idx.base!r} was not fitted")
    from sklearn.base import clone

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
    st.risks[idx.name] = np.asarray(est.predict_risk(X, horizon=None if kind == "binary"
                                                     else st.horizon), float)
    r = st.report
    r.add_table("model", f"points_{idx.name}", _plain_columns(est.points_table_),
                caption=f"{idx.label or idx.name}: points table (Sullivan's method) derived "
                f"from {idx.base}", disclosure=False)
    r.add_table("model", f"points_risk_{idx.name}", _plain_columns(est.risk_table_),
                caption=f"{idx.label or idx.name}: risk by total points", disclosure=False)
    loss = est.rounding_loss_
    r.add_text("model", f"Rounding loss of the points score: C {loss.get('c_model', 0):.4f} "
               f"(model) versus {loss.get('c_points', 0):.4f} (points).")


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
    obs_fn = _need("irdp.fairness.measures", "observed_risk")
    for name, risk in st.risks.items():
        levels = _levels(st, risk)
        st.levels[name] = levels
        for k, lab in enumerate(LEVEL_LABELS):
            m = levels == k
            row = {"index": name, "level": lab, "n": int(m.sum()),
                   "mean_predicted": float(np.mean(risk[m])) if m.any() else float("nan")}
            row["observed"] = float(obs_fn(y.take(np.flatnonzero(m)), horizon=st.horizon)) \
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
    RiskLevels = _need("irdp.models", "RiskLevels")
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
