"""The private numerical core of irdp: one implementation of each estimator.

- :mod:`irdp._stats.glm` — the binomial logistic GLM (weights, offset, ridge penalty,
  separation detection);
- :mod:`irdp._stats.cox` — the Cox partial likelihood (Efron and Breslow ties, strata, case
  weights, offset, Fine-Gray risk-set weights) with Breslow and Efron-type baseline hazards;
- :mod:`irdp._stats.finegray` — Fine-Gray data on the Cox engine and ``crr``'s robust
  variance;
- :mod:`irdp._stats.splines` — the restricted cubic spline basis of ``Hmisc::rcspline.eval``.

Models (:mod:`irdp.models`), measures (:mod:`irdp.metrics`), updating
(:mod:`irdp.validation`) and missing data import these; a second solver for the same
likelihood is a defect. The non-parametric estimators (Kaplan-Meier, Aalen-Johansen) are in
:mod:`irdp.nonparametric`.
"""
