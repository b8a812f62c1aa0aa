"""Harrell's optimism bootstrap, as ``rms::validate`` and ``rms::calibrate``.

For each of B bootstrap samples the *whole* modelling pipeline is refitted (the estimator is
cloned; a scikit-learn Pipeline refits its scaling, imputation, selection and tuning steps),
its performance is measured on the bootstrap sample (training) and on the original data
(test), and the mean difference — the optimism — is subtracted from the apparent
performance of the model fitted on all the data (Efron & Gong 1983; Harrell, Lee & Mark
1996). Every replicate draws from its own random stream spawned from ``seed``, so the
result does not depend on ``n_jobs`` or on the joblib backend.

References
----------
.. [1] Efron B, Gong G. A leisurely look at the bootstrap, the jackknife, and
   cross-validation. Am Stat 1983;37:36-48.
.. [2] Harrell FE, Lee KL, Mark DB. Multivariable prognostic models: issues in developing
   models, evaluating assumptions and adequacy, and measuring and reducing errors. Stat Med
   1996;15:361-387.
.. [3] Harrell FE. Regression Modeling Strategies, 2nd ed. Springer 2015, sections 5.3 and
   10.9 (``validate``, ``calibrate``).
.. [4] Steyerberg EW, Harrell FE, Borsboom GJ, et al. Internal validation of predictive
   models: efficiency of some procedures for logistic regression analysis. J Clin Epidemiol
   2001;54:774-781.
.. [5] Van Houwelingen JC, Le Cessie S. Predictive value of statistical models. Stat Med
   1990;9:1303-1325 (uniform shrinkage).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from irdp._resampling import (
    as_seed_sequence,
    bootstrap_indices,
    check_n_jobs,
    check_scheduler,
    replicate,
)
from irdp._summary import Summary
from irdp.exceptions import InsufficientDataError, IrdpWarning, UndefinedMetricWarning
from irdp.metrics._registry import ALIASES
from irdp.metrics.calibration import curve_on_grid
from irdp.validation._fitting import (
    FIT_ERRORS,
    align_outcome,
    fit_clone,
    n_rows,
    predict_risk,
    prepare_data,
    prepare_outcome,
    take_rows,
)
from irdp.validation._measures import evaluate, resolve_measures

__all__ = [
    "ValidationResult",
    "CalibrationCurveResult",
    "bootstrap_validate",
    "shrinkage_factor",
]

Scoring = Mapping[str, Callable[..., Any]] | Sequence[str] | None


@dataclass(frozen=True)
class CalibrationCurveResult:
    """Optimism-corrected calibration curve (``rms::calibrate``).

    Attributes
    ----------
    curve : pandas.DataFrame
        Columns ``predicted`` (grid of predicted risks), ``apparent`` (smoothed observed
        risk of the model fitted on all data), ``optimism`` and ``corrected``
        (= apparent - optimism), and ``n`` (replicates with a finite value at that point).
    mean_absolute_error : float
        Mean |predicted - corrected| over the distribution of the apparent predictions.
    quantile90_absolute_error : float
        90th percentile of that absolute error.
    """

    curve: pd.DataFrame
    mean_absolute_error: float
    quantile90_absolute_error: float

    def plot(self, ax: Any = None) -> Any:
        """Plot apparent and bias-corrected curves with the diagonal; returns the Figure.

        Drawn by the display registered for this result (``BootstrapCalibrationDisplay``);
        the figure renders inline in Jupyter.
        """
        from irdp._display_registry import draw

        return draw(self, ax=ax)


@dataclass(frozen=True)
class ValidationResult:
    """Apparent, training, test, optimism and corrected performance (``rms::validate`` shape).

    Attributes
    ----------
    table : pandas.DataFrame
        Index ``measure``; columns ``apparent, training, test, optimism, corrected, n`` (n =
        replicates in which the measure could be computed on both samples).
    method : str
        ``"bootstrap"``, ``"crossvalidation"``...
    n_replicates : int
        Requested replicates (bootstrap samples or fold fits).
    n_failed : int
        Replicates whose fit failed (left out, as rms does).
    replicates : pandas.DataFrame
        Per replicate and measure, ``training`` and ``test`` values (for Monte-Carlo error).
    horizon : float or None
    seed : int or None
    calibration : CalibrationCurveResult or None
        Optimism-corrected calibration curve when requested.
    """

    table: pd.DataFrame
    method: str
    n_replicates: int
    n_failed: int
    replicates: pd.DataFrame
    horizon: float | None = None
    seed: Any = None
    calibration: CalibrationCurveResult | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        """Return the tidy table (one row per measure)."""
        return self.table.copy()

    def _row(self, measure: str) -> str:
        """The table label of ``measure`` (canonical name or alias)."""
        if measure in self.table.index:
            return measure
        key = ALIASES.get(str(measure).strip().lower())
        if key is not None and key in self.table.index:
            return key
        raise KeyError(
            f"measure {measure!r} is not in this result; measures: {list(self.table.index)}."
        )

    def corrected(self, measure: str) -> float:
        """Optimism-corrected value of one measure (name or alias, e.g. ``"c"``)."""
        return float(self.table.loc[self._row(measure), "corrected"])

    def monte_carlo_se(self, measure: str) -> float:
        """Monte-Carlo standard error of the optimism of ``measure`` (bootstrap only)."""
        reps = self.replicates[self.replicates["measure"] == self._row(measure)]
        d = (reps["training"] - reps["test"]).dropna()
        return float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else float("nan")

    @property
    def shrinkage(self) -> float:
        """Uniform shrinkage factor: the optimism-corrected calibration slope."""
        if "calibration_slope" not in self.table.index:
            raise ValueError(
                "the shrinkage factor is the optimism-corrected calibration slope, which this "
                "result lacks; include 'calibration_slope' in scoring."
            )
        return self.corrected("calibration_slope")

    def summary(self) -> Summary:
        """Return the table as a :class:`Summary`."""
        notes = (
            f"{self.method}: {self.n_replicates} replicates ({self.n_failed} failed), "
            f"seed={self.seed}, horizon={self.horizon}.",
        ) + self.warnings[:3]
        return Summary(f"Internal validation ({self.method})", self.table, notes)


# --------------------------------------------------------------------------- the engine


def _observed_curve(y: Any, risk: np.ndarray, horizon: float | None, grid: np.ndarray) -> Any:
    """Smoothed observed risk at ``grid`` (NaN outside the range of ``risk``).

    Binary: lowess with iter=0 and f=2/3, as ``rms::calibrate``; timed outcomes: the
    flexible curve of :func:`irdp.metrics.calibration` (Cox or Fine-Gray on a restricted
    cubic spline of cll(risk), McLernon et al. 2023), evaluated at the grid.
    """
    try:
        return curve_on_grid(y, risk, horizon, grid,
                             smoother="lowess" if y.kind == "binary" else None)
    except FIT_ERRORS:
        return np.full(len(grid), np.nan)


def _one_replicate(
    i: int,
    rng: np.random.Generator,
    *,
    estimator: Any,
    X: Any,
    y: Any,
    horizon: float | None,
    funcs: Mapping[str, Callable[..., Any]],
    grid: np.ndarray | None,
    strata: np.ndarray | None,
    train_rows: np.ndarray | None = None,
    test_rows: np.ndarray | None = None,
) -> dict[str, Any]:
    """One replicate: fit on training rows, score on training and test rows (no pandas
    beyond what the estimator itself needs; value-only measures)."""
    if train_rows is None:
        train_rows = bootstrap_indices(rng, n_rows(X), strata=strata)
    Xtr, ytr = take_rows(X, train_rows), y.take(train_rows)
    Xte, yte = (X, y) if test_rows is None else (take_rows(X, test_rows), y.take(test_rows))
    try:
        model = fit_clone(estimator, Xtr, ytr)
        r_te = predict_risk(model, Xte, horizon)
        # a bootstrap sample's rows are rows of the test data: their risks are read there
        # (predictions are row by row), not predicted a second time
        r_tr = r_te[train_rows] if test_rows is None else predict_risk(model, Xtr, horizon)
    except FIT_ERRORS as err:
        return {"failed": f"{type(err).__name__}: {err}"}
    out: dict[str, Any] = {
        "training": evaluate(funcs, ytr, r_tr, horizon),
        "test": evaluate(funcs, yte, r_te, horizon),
    }
    if grid is not None:
        with np.errstate(all="ignore"):
            out["curve_train"] = _observed_curve(ytr, r_tr, horizon, grid)
            out["curve_test"] = _observed_curve(yte, r_te, horizon, grid)
    return out


def _summarise(
    apparent: dict[str, float],
    reps: list[dict[str, Any]],
    method: str,
    *,
    replicate_warnings: Sequence[str] = (),
    horizon: float | None,
    seed: Any,
    grid: np.ndarray | None = None,
    apparent_curve: np.ndarray | None = None,
    apparent_risk: np.ndarray | None = None,
    corrected_from: str = "optimism",
) -> ValidationResult:
    ok = [r for r in reps if "failed" not in r]
    n_failed = len(reps) - len(ok)
    msgs = sorted(set(replicate_warnings))
    if n_failed:
        first = next(r["failed"] for r in reps if "failed" in r)
        msgs.insert(0, f"{n_failed} of {len(reps)} replicates failed and were left out "
                       f"(first: {first}).")
    if not ok:
        raise InsufficientDataError(
            f"every one of the {len(reps)} {method} replicates failed (first error: "
            f"{reps[0]['failed']}). Check the estimator on the full data first."
        )
    rows, rep_rows = [], []
    for name, app in apparent.items():
        tr = np.array([r["training"].get(name, np.nan) for r in ok])
        te = np.array([r["test"].get(name, np.nan) for r in ok])
        both = np.isfinite(tr) & np.isfinite(te)
        mtr = float(tr[both].mean()) if both.any() else float("nan")
        mte = float(te[both].mean()) if both.any() else float("nan")
        optimism = mtr - mte
        corrected = app - optimism
        rows.append({"measure": name, "apparent": app, "training": mtr, "test": mte,
                     "optimism": optimism, "corrected": corrected, "n": int(both.sum())})
        rep_rows.extend(
            {"replicate": j, "measure": name, "training": a, "test": b}
            for j, (a, b) in enumerate(zip(tr, te, strict=True))
        )
    table = pd.DataFrame(rows).set_index("measure")
    calibration = None
    if grid is not None and apparent_curve is not None and apparent_risk is not None:
        calibration = _corrected_curve(grid, apparent_curve, apparent_risk, ok)
    if msgs:
        warnings.warn(
            f"{method}: {len(msgs)} distinct warnings or failures in replicates, e.g. "
            f"{msgs[0]!r}. See result.warnings.",
            IrdpWarning,
            stacklevel=3,
        )
    return ValidationResult(
        table=table, method=method, n_replicates=len(reps), n_failed=n_failed,
        replicates=pd.DataFrame(rep_rows), horizon=horizon, seed=seed,
        calibration=calibration, warnings=tuple(msgs),
    )


def _corrected_curve(
    grid: np.ndarray, apparent: np.ndarray, risk: np.ndarray, reps: list[dict[str, Any]]
) -> CalibrationCurveResult:
    diffs = np.array([r["curve_train"] - r["curve_test"] for r in reps])
    finite = np.isfinite(diffs)
    n = finite.sum(axis=0)
    optimism = np.where(n > 0, np.nansum(np.where(finite, diffs, 0.0), axis=0) / np.maximum(n, 1),
                        np.nan)
    corrected = apparent - optimism
    curve = pd.DataFrame({"predicted": grid, "apparent": apparent, "optimism": optimism,
                          "corrected": corrected, "n": n})
    ok = np.isfinite(corrected)
    err = np.abs(risk - np.interp(risk, grid[ok], corrected[ok])) if ok.sum() > 1 else np.nan
    return CalibrationCurveResult(
        curve=curve,
        mean_absolute_error=float(np.mean(err)),
        quantile90_absolute_error=float(np.quantile(err, 0.9)),
    )


def _apparent(
    estimator: Any, X: Any, y: Any, horizon: float | None, funcs: Mapping[str, Callable[..., Any]]
) -> tuple[Any, np.ndarray, dict[str, float]]:
    """Fit on all rows (``X`` raw or prepared) and measure the apparent performance."""
    model = fit_clone(estimator, X, y)
    risk = predict_risk(model, X, horizon)
    errors: list[str] = []
    values = evaluate(funcs, y, risk, horizon, errors)
    if errors:
        warnings.warn(
            f"{len(errors)} measures could not be computed on the full data and are nan: "
            f"{'; '.join(errors[:3])}.",
            UndefinedMetricWarning,
            stacklevel=3,
        )
    return model, risk, values


def _check_common(X: Any, y: Any, n_jobs: Any, scheduler: Any = None) -> None:
    if n_rows(X) != len(y):
        raise ValueError(
            f"X and y must have the same number of rows; got {n_rows(X)} and {len(y)}."
        )
    check_n_jobs(n_jobs)
    check_scheduler(scheduler)


def bootstrap_validate(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    horizon: float | None = None,
    n_boot: int = 200,
    seed: int | np.random.SeedSequence,
    n_jobs: int | None = -1,
    scoring: Scoring = None,
    calibration_curve: bool = False,
    n_grid: int = 50,
    stratify: bool = False,
    scheduler: Any = None,
) -> ValidationResult:
    """Optimism-corrected performance by Harrell's bootstrap (``rms::validate``).

    Parameters
    ----------
    estimator : estimator
        An unfitted irdp risk index (``fit(X, y)``, ``predict_risk(X, horizon)``), a
        scikit-learn Pipeline ending with one, or a binary scikit-learn classifier. It is
        cloned and refitted in every bootstrap sample, so every data-driven step inside it
        (scaling, imputation, penalty tuning, variable selection) is validated too.
    X : DataFrame or array-like of shape (n_samples, n_features)
    y : Binary, Survival or CompetingRisks
        Outcome (a 0/1 vector is taken as :class:`~irdp.outcomes.Binary`).
    horizon : float, optional
        Prediction horizon, required for timed outcomes; must lie within follow-up.
    n_boot : int, default=200
        Number of bootstrap samples (rms default 40; 200 or more recommended).
    seed : int or numpy.random.SeedSequence
        Root seed; bootstrap sample b uses the b-th spawned stream.
    n_jobs : int or None, default=-1
        joblib workers (-1: all cores), or the number of Dask workers of
        ``scheduler="local"``. Results do not depend on it or on the backend.
    scoring : dict or list of str, optional
        Measures: names (or aliases) of the registry :data:`irdp.metrics.METRICS`, or a
        dict ``{label: callable}``; default (:func:`irdp.metrics.default_measures`): AUC
        (binary) or Harrell's C at the horizon, calibration slope, calibration-in-the-large
        (binary), O/E, Brier, IPA and ICI. Rows are labelled with the registry's names.
    calibration_curve : bool, default=False
        Also compute the optimism-corrected calibration curve (``rms::calibrate``): the
        smoothed observed risk on a grid of ``n_grid`` predicted risks, corrected by the
        mean training-minus-test difference of the bootstrap curves.
    n_grid : int, default=50
        Number of grid points of the calibration curve, evenly spaced from the 5th smallest
        to the 5th largest apparent prediction (rms's grid).
    stratify : bool, default=False
        Resample events and non-events separately (keeps the number of events; rms does
        not, so the default is plain resampling).
    scheduler : None, "local", str or distributed.Client, default=None
        Where the replicates run: None = joblib on this machine; ``"local"`` = a Dask
        ``LocalCluster`` started for this call (``n_jobs`` worker processes) and shut down
        after; an address such as ``"tcp://host:8786"`` = a running Dask scheduler; or a
        ``distributed.Client``. The result is byte-identical to the joblib run for the
        same seed.

    Returns
    -------
    ValidationResult
        ``table`` with ``apparent, training, test, optimism, corrected, n`` per measure;
        ``shrinkage`` (corrected calibration slope); ``calibration`` when requested.

    Notes
    -----
    Replicates whose fit fails (e.g. separation in a small resample) are left out and
    counted in ``n_failed``, as rms does; a warning says how many. Warnings raised inside
    replicates are collected and summarised once, whatever the backend. An irdp index
    that offers ``prepare(X, y)`` learns its design (categorical levels, spline knots) once
    on all rows, as ``rms::validate`` does, and refits on arrays; a Pipeline refits all its
    steps in every resample.

    References
    ----------
    Efron & Gong, Am Stat 1983; Harrell, Lee & Mark, Stat Med 1996;15:361; Harrell, RMS
    (2015) sec. 5.3.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.metrics import roc_auc_score
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = rng.binomial(1, 1 / (1 + np.exp(-X[:, 0])))
    >>> res = bootstrap_validate(LogisticRegression(), X, y, n_boot=20, seed=1, n_jobs=1,
    ...                          scoring={"auc": lambda y, r, horizon=None: roc_auc_score(y.y, r)})
    >>> bool(res.table.loc["auc", "optimism"] > 0)
    True
    """
    yy, h = prepare_outcome(y, horizon)
    _check_common(X, yy, n_jobs, scheduler)
    yy = align_outcome(X, yy)
    if isinstance(n_boot, bool) or int(n_boot) != n_boot or n_boot < 1:
        raise ValueError(f"n_boot must be a positive integer; got {n_boot!r}.")
    root = as_seed_sequence(seed)
    funcs = resolve_measures(scoring, yy)
    X = prepare_data(estimator, X, yy)
    _, risk, apparent = _apparent(estimator, X, yy, h, funcs)
    grid = app_curve = None
    if calibration_curve:
        if int(n_grid) != n_grid or n_grid < 2:
            raise ValueError(f"n_grid must be an integer >= 2; got {n_grid!r}.")
        srt = np.sort(risk)
        # rms::calibrate's grid: from the 5th smallest to the 5th largest prediction
        lo, hi = (srt[4], srt[-5]) if len(srt) > 10 else (srt[0], srt[-1])
        grid = np.linspace(lo, hi, int(n_grid))
        app_curve = _observed_curve(yy, risk, h, grid)
    strata = yy.event.astype(int) if stratify else None
    run = replicate(
        _one_replicate, int(n_boot), seed=root, n_jobs=n_jobs, scheduler=scheduler,
        kwargs={"estimator": estimator, "X": X, "y": yy, "horizon": h, "funcs": funcs,
                "grid": grid, "strata": strata},
    )
    return _summarise(apparent, run.results, "bootstrap", replicate_warnings=run.warnings,
                      horizon=h, seed=seed, grid=grid, apparent_curve=app_curve,
                      apparent_risk=risk)


def shrinkage_factor(result: ValidationResult) -> float:
    """Uniform shrinkage factor estimated by the bootstrap: the corrected calibration slope.

    Multiply the coefficients (not the intercept) by it and re-estimate the intercept or
    baseline hazard (:func:`irdp.validation.apply_shrinkage`) to get predictions that are
    expected to be calibrated in new data (Van Houwelingen & Le Cessie 1990; Harrell 2015,
    sec. 5.5).
    """
    if not isinstance(result, ValidationResult):
        raise TypeError(f"result must be a ValidationResult; got {type(result).__name__}.")
    return result.shrinkage
