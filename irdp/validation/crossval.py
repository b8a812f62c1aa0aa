"""k-fold and repeated k-fold cross-validation with the output shape of the bootstrap.

Each fold fit gives a *training* value (performance on the k-1 folds it was fitted on) and a
*test* value (on the held-out fold). As ``rms::validate(method="crossvalidation")`` the
table reports the apparent value, the mean training and test values, the optimism
(training - test) and the corrected value (apparent - optimism); the ``test`` column is
the usual cross-validated estimate. Folds are stratified on the event indicator; each
repeat shuffles with its own stream spawned from ``seed``.

References
----------
.. [1] Harrell FE. Regression Modeling Strategies, 2nd ed. Springer 2015, sec. 5.3.
.. [2] Steyerberg EW. Clinical Prediction Models, 2nd ed. Springer 2019, ch. 17.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedKFold

from irdp._resampling import as_seed_sequence, replicate, spawn_generators
from irdp.exceptions import InsufficientDataError
from irdp.validation._fitting import align_outcome, n_rows, prepare_data, prepare_outcome
from irdp.validation._measures import resolve_measures
from irdp.validation.bootstrap import (
    Scoring,
    ValidationResult,
    _apparent,
    _check_common,
    _one_replicate,
    _summarise,
)

__all__ = ["cross_validate"]


def _fold_task(i: int, rng: np.random.Generator, *, folds: list, **kwargs: Any) -> dict:
    train, test = folds[i]
    return _one_replicate(i, rng, train_rows=train, test_rows=test, strata=None, grid=None,
                          **kwargs)


def cross_validate(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    horizon: float | None = None,
    n_splits: int = 10,
    n_repeats: int = 1,
    seed: int | np.random.SeedSequence,
    n_jobs: int | None = -1,
    scoring: Scoring = None,
    scheduler: Any = None,
) -> ValidationResult:
    """Repeated stratified k-fold cross-validation of a risk index.

    Parameters
    ----------
    estimator : estimator
        As in :func:`bootstrap_validate` (cloned and refitted in every fold).
    X : DataFrame or array-like of shape (n_samples, n_features)
    y : Binary, Survival or CompetingRisks
    horizon : float, optional
        Required for timed outcomes.
    n_splits : int, default=10
        Number of folds (>= 2).
    n_repeats : int, default=1
        Number of repetitions with different fold assignments.
    seed : int or numpy.random.SeedSequence
        Root seed (repeat r shuffles with the r-th spawned stream).
    n_jobs : int or None, default=-1
    scoring : dict or list of str, optional
        As in :func:`bootstrap_validate`.
    scheduler : None, "local", str or distributed.Client, default=None
        Where the fold fits run (as in :func:`bootstrap_validate`).

    Returns
    -------
    ValidationResult
        Same table as the bootstrap; ``method="crossvalidation"``, one replicate per fold
        fit (``n_splits * n_repeats``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.metrics import brier_score_loss
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2))
    >>> y = rng.binomial(1, 1 / (1 + np.exp(-X[:, 0])))
    >>> res = cross_validate(LogisticRegression(), X, y, n_splits=5, seed=3, n_jobs=1,
    ...     scoring={"brier": lambda y, r, horizon=None: brier_score_loss(y.y, r)})
    >>> res.n_replicates, bool(res.table.loc["brier", "test"] > res.table.loc["brier", "training"])
    (5, True)
    """
    yy, h = prepare_outcome(y, horizon)
    _check_common(X, yy, n_jobs, scheduler)
    yy = align_outcome(X, yy)
    if isinstance(n_splits, bool) or int(n_splits) != n_splits or n_splits < 2:
        raise ValueError(f"n_splits must be an integer >= 2; got {n_splits!r}.")
    if isinstance(n_repeats, bool) or int(n_repeats) != n_repeats or n_repeats < 1:
        raise ValueError(f"n_repeats must be a positive integer; got {n_repeats!r}.")
    # Stratify on the event of interest by the horizon (or the binary outcome).
    strat = yy.event.astype(int) if h is None else (yy.event & (yy.time <= h)).astype(int)
    n_min = int(min(strat.sum(), len(strat) - strat.sum()))
    if n_min < n_splits:
        raise InsufficientDataError(
            f"n_splits={n_splits} is larger than the number of events or non-events ({n_min}); "
            "every fold needs both. Use fewer folds or the bootstrap."
        )
    root = as_seed_sequence(seed)
    folds = []
    for rng in spawn_generators(root, int(n_repeats)):
        skf = StratifiedKFold(int(n_splits), shuffle=True,
                              random_state=int(rng.integers(0, 2**31 - 1)))
        folds.extend(skf.split(np.zeros(n_rows(X)), strat))
    funcs = resolve_measures(scoring, yy)
    X = prepare_data(estimator, X, yy)
    _, _, apparent = _apparent(estimator, X, yy, h, funcs)
    # Fold tasks are deterministic given the folds; the per-task streams go unused.
    run = replicate(
        _fold_task, len(folds), seed=root, n_jobs=n_jobs, scheduler=scheduler,
        kwargs={"folds": folds, "estimator": estimator, "X": X, "y": yy, "horizon": h,
                "funcs": funcs},
    )
    return _summarise(apparent, run.results, "crossvalidation", replicate_warnings=run.warnings,
                      horizon=h, seed=seed)
