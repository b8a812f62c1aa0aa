"""Minimum sample sizes for developing and for validating a risk index (Riley et al.).

- :func:`development_sample_size` — the criteria of Riley et al. (Stat Med 2019; BMJ 2020)
  for a binary or time-to-event outcome, computed as ``pmsampsize`` 1.1.3 does (since 1.1.1
  the maximum R² and the shrinkage of criterion 2 are no longer rounded; irdp follows, so
  its numbers are those of the current R package): (1) expected uniform shrinkage >= 0.9,
  (2) optimism in Nagelkerke's R² <= 0.05, (3) precise overall risk (binary: margin of error
  0.05; survival: the margin of error of the cumulative incidence at the time point is
  reported). Events per candidate parameter (EPP) are reported for every criterion.
- :func:`validation_sample_size` — external validation of a binary-outcome index as
  ``pmvalsampsize`` (Riley et al. 2021; Archer et al. 2021): precise O/E, calibration slope,
  C statistic and standardised net benefit. The calibration-slope information matrix is
  computed by quadrature over the assumed linear-predictor distribution instead of
  pmvalsampsize's one-off simulation, so irdp's figure is the limit the R package's
  simulation approaches (they agree within its Monte-Carlo error).
- :func:`validation_sample_size_survival` — the same questions for a time-to-event index,
  by simulation (no package offers it): data sets of increasing size are simulated from the
  assumed linear predictor, baseline risk and censoring, the index is validated with irdp's
  own metrics, and the smallest size whose expected confidence-interval widths meet the
  targets is returned.

References
----------
.. [1] Riley RD, Snell KIE, Ensor J, et al. Minimum sample size for developing a
   multivariable prediction model: PART II - binary and time-to-event outcomes. Stat Med
   2019;38:1276-1296.
.. [2] Riley RD, Ensor J, Snell KIE, et al. Calculating the sample size required for
   developing a clinical prediction model. BMJ 2020;368:m441.
.. [3] Riley RD, Debray TPA, Collins GS, et al. Minimum sample size for external validation
   of a clinical prediction model with a binary outcome. Stat Med 2021;40:4230-4251.
.. [4] Archer L, Snell KIE, Ensor J, et al. Minimum sample size for external validation of a
   clinical prediction model with a continuous outcome. Stat Med 2021;40:133-146.
.. [5] Riley RD, Van Calster B, Collins GS. A note on estimating the Cox-Snell R² from a
   reported C statistic (AUROC) to inform sample size calculations for developing a
   prediction model with a binary outcome. Stat Med 2021;40:859-864.
.. [6] Ensor J, Martin EC, Riley RD. pmsampsize: Sample Size for Development of a
   Prediction Model, R package version 1.1.3 (2023-12-05), CRAN; and pmvalsampsize, CRAN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import special, stats

from irdp._summary import Summary

__all__ = [
    "SampleSizeResult",
    "development_sample_size",
    "validation_sample_size",
    "validation_sample_size_survival",
    "cstatistic_to_rsquared",
]

_Z = 1.96  # pmsampsize and pmvalsampsize use 1.96, not qnorm(0.975)


@dataclass(frozen=True)
class SampleSizeResult:
    """Minimum sample size and the criterion behind it.

    Attributes
    ----------
    sample_size : int
        Final minimum number of participants (maximum over the criteria).
    events : float
        Expected number of events at that size.
    epp : float
        Events per candidate parameter at that size (nan for validation).
    criteria : pandas.DataFrame
        One row per criterion (``sample_size`` and criterion-specific columns, with EPP).
    outcome : {"binary", "survival"}
    purpose : {"development", "validation"}
    details : dict
        Intermediate quantities (maximum R², margins of error, standard errors...).
    """

    sample_size: int
    events: float
    epp: float
    criteria: pd.DataFrame
    outcome: str
    purpose: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Return the per-criterion table."""
        return self.criteria.copy()

    def summary(self) -> Summary:
        """Return the table with the final size as a :class:`Summary`."""
        notes = (
            f"Minimum sample size: {self.sample_size} ({self.events:.1f} expected events"
            + (f", EPP {self.epp:.2f})." if np.isfinite(self.epp) else ")."),
        )
        return Summary(f"Sample size for {self.purpose} ({self.outcome} outcome)",
                       self.criteria, notes)


def _positive(value: Any, name: str, *, upper: float | None = None) -> float:
    if value is None:
        raise ValueError(f"{name} is required for this outcome; got None.")
    try:
        v = float(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a number; got {value!r}.") from err
    if not np.isfinite(v) or v <= 0 or (upper is not None and v >= upper):
        rng = f"(0, {upper:g})" if upper is not None else "> 0"
        raise ValueError(f"{name} must be in {rng}; got {value!r}.")
    return v


def _n_for_shrinkage(parameters: float, r2: float, s: float) -> int:
    return math.ceil(parameters / ((s - 1) * math.log(1 - r2 / s)))


def cstatistic_to_rsquared(cstatistic: float, prevalence: float) -> float:
    """Cox-Snell R² implied by an anticipated C statistic and outcome prevalence.

    Riley, Van Calster & Collins (2021): the linear predictor is N(0, 1) among non-events
    and N(mu, 1) among events with mu = sqrt(2) * Phi^-1(C). Under that model the logistic
    recalibration is exact, and R²_CS = 1 - exp(-LR/n) with LR/n the mutual information
    between the outcome and the linear predictor, computed here by quadrature (pmsampsize
    estimates it from one simulated data set of 1e6 subjects, seed 123456; the two agree
    within that simulation's Monte-Carlo error, about 1e-3).

    Examples
    --------
    >>> round(cstatistic_to_rsquared(0.81, 0.77), 3)
    0.212
    """
    c = _positive(cstatistic, "cstatistic", upper=1.0)
    p = _positive(prevalence, "prevalence", upper=1.0)
    if c <= 0.5:
        raise ValueError(f"cstatistic must be > 0.5 to imply a positive R²; got {c}.")
    mu = math.sqrt(2) * stats.norm.ppf(c)
    # P(y=1 | lp) is logistic in lp with slope mu: logit = log(p/(1-p)) + mu*lp - mu^2/2.
    nodes, weights = np.polynomial.hermite_e.hermegauss(200)
    weights = weights / weights.sum()
    lp = np.concatenate([nodes, nodes + mu])
    wt = np.concatenate([(1 - p) * weights, p * weights])
    eta = math.log(p / (1 - p)) + mu * lp - mu**2 / 2
    q = special.expit(eta)
    ent = -(special.xlogy(q, q) + special.xlogy(1 - q, 1 - q))
    h0 = -(p * math.log(p) + (1 - p) * math.log(1 - p))
    info = h0 - float((wt * ent).sum())
    return 1 - math.exp(-2 * info)


def development_sample_size(
    outcome: Literal["binary", "survival"],
    *,
    parameters: int,
    rsquared: float | None = None,
    cstatistic: float | None = None,
    nagrsquared: float | None = None,
    prevalence: float | None = None,
    rate: float | None = None,
    timepoint: float | None = None,
    meanfup: float | None = None,
    shrinkage: float = 0.9,
    mmoe: float = 0.05,
) -> SampleSizeResult:
    """Minimum sample size to develop a risk index (Riley et al. criteria; ``pmsampsize``
    1.1.3).

    Parameters
    ----------
    outcome : {"binary", "survival"}
    parameters : int
        Number of candidate predictor parameters (degrees of freedom, counting every
        dummy variable and spline term).
    rsquared : float, optional
        Anticipated Cox-Snell R² of the model (e.g. from a previous model, adjusted);
        pmsampsize's ``csrsquared``.
    cstatistic : float, optional
        Binary outcome only: anticipated C statistic, converted to R²_CS with
        :func:`cstatistic_to_rsquared` when ``rsquared`` is not given.
    nagrsquared : float, optional
        Anticipated Nagelkerke R², converted as pmsampsize 1.1.3 does:
        ``rsquared = round(nagrsquared * max R², 3)``.
    prevalence : float, optional
        Binary: anticipated outcome proportion.
    rate : float, optional
        Survival: overall event rate per unit of time.
    timepoint : float, optional
        Survival: the horizon at which the cumulative incidence should be precise.
    meanfup : float, optional
        Survival: anticipated mean follow-up.
    shrinkage : float, default=0.9
        Target expected uniform shrinkage (criterion 1).
    mmoe : float, default=0.05
        Binary: margin of error of the overall risk (criterion 3).

    Returns
    -------
    SampleSizeResult
        ``criteria`` has rows ``Criteria 1``, ``Criteria 2``, ``Criteria 3`` and ``Final``
        with columns ``sample_size, shrinkage, parameters, rsquared, max_rsquared, epp``.

    Notes
    -----
    Criterion 1: n = p / ((S - 1) ln(1 - R²/S)). Criterion 2: S = R²/(R² + 0.05 max R²)
    with max R² = 1 - exp(2 lnL_null / n). Criterion 3 (binary):
    n = (1.96/mmoe)² phi(1 - phi). Survival criterion 3 reports the 95 % confidence
    interval of the cumulative incidence at ``timepoint`` for the chosen size (no extra n).
    As pmsampsize 1.1.3, max R² and the criterion-2 shrinkage are not rounded (versions
    up to 1.1.0 rounded them to 2 and 3 decimals, which changed criterion 2 by up to 18
    participants).

    References
    ----------
    Riley et al. Stat Med 2019;38:1276; Riley et al. BMJ 2020;368:m441.

    Examples
    --------
    >>> res = development_sample_size("binary", parameters=24, rsquared=0.288,
    ...                               prevalence=0.174)
    >>> res.sample_size, round(res.epp, 2)
    (662, 4.8)
    """
    if isinstance(parameters, bool) or int(parameters) != parameters or parameters < 1:
        raise ValueError(f"parameters must be a positive integer; got {parameters!r}.")
    if not 0 < shrinkage < 1:
        raise ValueError(f"shrinkage must be in (0, 1); got {shrinkage!r}.")
    given = [k for k, v in (("rsquared", rsquared), ("cstatistic", cstatistic),
                            ("nagrsquared", nagrsquared)) if v is not None]
    if len(given) > 1:
        raise ValueError(f"give only one of rsquared, cstatistic and nagrsquared; got {given}.")
    if outcome == "binary":
        phi = _positive(prevalence, "prevalence", upper=1.0)
        if nagrsquared is not None:
            nag = _positive(nagrsquared, "nagrsquared", upper=1.0)
            rsquared = round(nag * _max_r2_binary(phi), 3)
        if rsquared is None:
            if cstatistic is None:
                raise ValueError("give rsquared (Cox-Snell R²) or cstatistic for a binary outcome.")
            rsquared = cstatistic_to_rsquared(cstatistic, phi)
        r2 = _positive(rsquared, "rsquared", upper=1.0)
        return _dev_binary(int(parameters), r2, phi, shrinkage, _positive(mmoe, "mmoe", upper=1.0))
    if outcome == "survival":
        if nagrsquared is not None:
            nag = _positive(nagrsquared, "nagrsquared", upper=1.0)
            rsquared = round(nag * _max_r2_survival(_positive(rate, "rate"),
                                                    _positive(meanfup, "meanfup")), 3)
        if rsquared is None:
            raise ValueError(
                "rsquared (anticipated Cox-Snell R²) is required for a survival outcome; "
                "cstatistic conversion is defined for binary outcomes only."
            )
        r2 = _positive(rsquared, "rsquared", upper=1.0)
        return _dev_survival(
            int(parameters), r2, _positive(rate, "rate"), _positive(timepoint, "timepoint"),
            _positive(meanfup, "meanfup"), shrinkage,
        )
    raise ValueError(f"outcome must be 'binary' or 'survival'; got {outcome!r}.")


def _criteria_frame(ns: list[int], shr: list[float], p: int, r2: float, max_r2: float,
                    events: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sample_size": ns,
            "shrinkage": shr,
            "parameters": p,
            "rsquared": r2,
            "max_rsquared": max_r2,
            "epp": [round(e / p, 2) for e in events],
        },
        index=pd.Index(["Criteria 1", "Criteria 2", "Criteria 3", "Final"], name="criterion"),
    )


def _check_r2(r2: float, max_r2: float, shrinkage: float) -> None:
    if shrinkage < r2:
        raise ValueError(
            f"shrinkage ({shrinkage}) must be >= rsquared ({r2}); the criterion-1 formula is "
            "undefined otherwise."
        )
    if max_r2 < r2:
        raise ValueError(
            f"rsquared={r2} exceeds the maximum possible Cox-Snell R² for this outcome "
            f"frequency ({max_r2}; Riley et al. 2019, eq. 23). Check that R² is Cox-Snell, "
            "not Nagelkerke."
        )


def _max_r2_binary(phi: float) -> float:
    """1 - exp(2 lnL_null / n) with lnL_null / n = phi ln(phi) + (1 - phi) ln(1 - phi)."""
    return 1 - math.exp(2 * (phi * math.log(phi) + (1 - phi) * math.log(1 - phi)))


def _max_r2_survival(rate: float, meanfup: float) -> float:
    """pmsampsize's max R² for survival: events = ceiling(rate meanfup n) at n = 10,000."""
    n_ref = 10000
    events = math.ceil(rate * meanfup * n_ref)
    return 1 - math.exp(2 * (events * math.log(events / n_ref) - events) / n_ref)


def _dev_binary(p: int, r2: float, phi: float, shrinkage: float, mmoe: float) -> SampleSizeResult:
    n1 = _n_for_shrinkage(p, r2, shrinkage)
    max_r2 = _max_r2_binary(phi)
    _check_r2(r2, max_r2, shrinkage)
    s2 = r2 / (r2 + 0.05 * max_r2)
    n2 = _n_for_shrinkage(p, r2, s2)
    n3 = math.ceil((_Z / mmoe) ** 2 * phi * (1 - phi))
    nf = max(n1, n2, n3)
    s_final = max(s2, shrinkage)
    crit = _criteria_frame([n1, n2, n3, nf], [shrinkage, s2, s_final, s_final], p, r2, max_r2,
                           [n1 * phi, n2 * phi, n3 * phi, nf * phi])
    return SampleSizeResult(
        sample_size=nf, events=nf * phi, epp=nf * phi / p, criteria=crit, outcome="binary",
        purpose="development",
        details={"max_rsquared": max_r2, "nagelkerke_rsquared": r2 / max_r2,
                 "shrinkage": s_final, "prevalence": phi},
    )


def _dev_survival(p: int, r2: float, rate: float, timepoint: float, meanfup: float,
                  shrinkage: float) -> SampleSizeResult:
    n1 = _n_for_shrinkage(p, r2, shrinkage)
    max_r2 = _max_r2_survival(rate, meanfup)
    _check_r2(r2, max_r2, shrinkage)
    s2 = r2 / (r2 + 0.05 * max_r2)
    n2 = _n_for_shrinkage(p, r2, s2)
    n3 = max(n1, n2)
    person_time = round(meanfup * n3, 1)
    half = _Z * math.sqrt(rate / person_time)
    cuminc = 1 - math.exp(-rate * timepoint)
    uci = 1 - math.exp(-(rate + half) * timepoint)
    lci = 1 - math.exp(-(rate - half) * timepoint)
    nf = max(n1, n2, n3)
    s_final = max(s2, shrinkage)
    ev = [n * rate * meanfup for n in (n1, n2, n3, nf)]
    crit = _criteria_frame([n1, n2, n3, nf], [shrinkage, s2, s_final, s_final], p, r2, max_r2, ev)
    return SampleSizeResult(
        sample_size=nf, events=ev[-1], epp=ev[-1] / p, criteria=crit, outcome="survival",
        purpose="development",
        details={
            "max_rsquared": max_r2, "nagelkerke_rsquared": r2 / max_r2,
            "shrinkage": s_final, "cumulative_incidence": cuminc,
            "cumulative_incidence_ci": (lci, uci), "margin_of_error": uci - cuminc,
            "person_time": round(meanfup * nf, 1),
        },
    )


# ----------------------------------------------------------------------------- validation


def _grid_se(target: float, increment: float) -> float:
    """Smallest multiple of ``increment`` >= target (pmvalsampsize's incremental search)."""
    k = math.ceil(target / increment - 1e-9)
    return k * increment


def _lp_quadrature(
    lp_normal: tuple[float, float] | None,
    lp_beta: tuple[float, float] | None,
    lp: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights representing the distribution of the linear predictor."""
    given = sum(x is not None for x in (lp_normal, lp_beta, lp))
    if given != 1:
        raise ValueError(
            "describe the linear-predictor distribution with exactly one of lp_normal=(mean, "
            f"sd), lp_beta=(a, b) (risks ~ Beta(a, b)) or lp=<sample>; got {given}."
        )
    if lp_normal is not None:
        mean, sd = float(lp_normal[0]), _positive(lp_normal[1], "lp_normal sd")
        x, w = np.polynomial.hermite_e.hermegauss(160)
        return mean + sd * x, w / w.sum()
    if lp_beta is not None:
        a, b = _positive(lp_beta[0], "lp_beta a"), _positive(lp_beta[1], "lp_beta b")
        # Gauss-Jacobi on [0, 1] for Beta(a, b): substitute u = 2p - 1.
        x, w = special.roots_jacobi(400, b - 1, a - 1)
        pr = (x + 1) / 2
        return np.log(pr / (1 - pr)), w / w.sum()
    arr = np.asarray(lp, dtype=float).ravel()
    if arr.size < 2 or not np.isfinite(arr).all():
        raise ValueError("lp must be a finite sample of at least 2 linear-predictor values.")
    return arr, np.full(arr.size, 1.0 / arr.size)


def validation_sample_size(
    *,
    prevalence: float,
    cstatistic: float,
    lp_normal: tuple[float, float] | None = None,
    lp_beta: tuple[float, float] | None = None,
    lp: Any = None,
    oe: float = 1.0,
    oeciwidth: float = 0.2,
    cslope: float = 1.0,
    csciwidth: float = 0.2,
    cstatciwidth: float = 0.1,
    threshold: float | None = None,
    sensitivity: float | None = None,
    specificity: float | None = None,
    nbciwidth: float = 0.2,
    increment: float = 0.0001,
) -> SampleSizeResult:
    """Minimum sample size to externally validate a binary-outcome index (``pmvalsampsize``).

    Parameters
    ----------
    prevalence : float
        Anticipated outcome proportion in the validation population.
    cstatistic : float
        Anticipated C statistic.
    lp_normal : (mean, sd), optional
        Linear predictor ~ Normal(mean, sd) in the validation population.
    lp_beta : (a, b), optional
        Predicted risks ~ Beta(a, b).
    lp : array-like, optional
        A sample of linear-predictor values (e.g. the index applied to the new population).
    oe, oeciwidth : float
        Anticipated O/E and target width of its 95 % CI (criterion 1).
    cslope, csciwidth : float
        Anticipated calibration slope (only 1 is supported, as pmvalsampsize) and target
        CI width (criterion 2).
    cstatciwidth : float, default=0.1
        Target width of the CI of the C statistic (criterion 3; Newcombe's variance).
    threshold : float, optional
        Risk threshold for the net-benefit criterion (4); sensitivity and specificity are
        taken from the arguments or computed from the LP distribution (rounded to 2
        decimals, as pmvalsampsize).
    sensitivity, specificity : float, optional
    nbciwidth : float, default=0.2
        Target CI width of the standardised net benefit.
    increment : float, default=0.0001
        Step of the standard-error search (pmvalsampsize's ``oeseincrement``).

    Returns
    -------
    SampleSizeResult
        ``criteria`` rows ``O/E``, ``calibration slope``, ``C statistic`` (and
        ``net benefit``) and ``Final``, with ``sample_size, performance, se, ci_width``.

    References
    ----------
    Riley et al. Stat Med 2021;40:4230-4251 (eqs. for O/E, slope, C and net benefit).

    Examples
    --------
    >>> res = validation_sample_size(prevalence=0.018, cstatistic=0.8, lp_normal=(-5, 2.5),
    ...                              oeciwidth=1)
    >>> res.criteria["sample_size"].tolist()[0], res.criteria["sample_size"].tolist()[2]
    (905, 4252)
    """
    phi = _positive(prevalence, "prevalence", upper=1.0)
    c = _positive(cstatistic, "cstatistic", upper=1.0)
    if cslope != 1.0:
        raise ValueError(f"only cslope=1 is supported (as pmvalsampsize); got {cslope!r}.")
    # Criterion 1: O/E.
    se_oe = _grid_se(math.asinh(_positive(oeciwidth, "oeciwidth") / (2 * oe)) / _Z, increment)
    n1 = math.ceil((1 - phi) / (phi * se_oe**2))
    # Criterion 2: calibration slope from the Fisher information of (intercept, slope).
    nodes, w = _lp_quadrature(lp_normal, lp_beta, lp)
    pr = special.expit(nodes)
    d = pr * (1 - pr)
    i00, i01, i11 = (w * d).sum(), (w * nodes * d).sum(), (w * nodes**2 * d).sum()
    se_cs = _positive(csciwidth, "csciwidth") / (2 * _Z)
    n2 = math.ceil(i00 / (se_cs**2 * (i00 * i11 - i01**2)))
    # Criterion 3: C statistic (Newcombe 2006 variance), smallest n meeting the width.
    size = np.arange(1, 1_000_001, dtype=float)
    var_c = c * (1 - c) * (1 + (size / 2 - 1) * (1 - c) / (2 - c)
                           + (size / 2 - 1) * c / (1 + c)) / (size**2 * phi * (1 - phi))
    with np.errstate(invalid="ignore"):
        ok = 2 * _Z * np.sqrt(var_c) <= _positive(cstatciwidth, "cstatciwidth")
    if not ok.any():
        raise ValueError("no sample size up to 1,000,000 meets cstatciwidth; widen the target.")
    n3 = int(size[np.argmax(ok)])
    se_c = math.sqrt(var_c[n3 - 1])
    rows = [
        ("O/E", n1, oe, se_oe, oeciwidth),
        ("calibration slope", n2, cslope, se_cs, csciwidth),
        ("C statistic", n3, c, se_c, cstatciwidth),
    ]
    details: dict[str, Any] = {"information": (i00, i01, i11)}
    if threshold is not None:
        t = _positive(threshold, "threshold", upper=1.0)
        if sensitivity is None or specificity is None:
            sensitivity = round(float((w * pr * (pr >= t)).sum() / (w * pr).sum()), 2)
            specificity = round(float((w * (1 - pr) * (pr < t)).sum() / (w * (1 - pr)).sum()), 2)
        sens, spec = float(sensitivity), float(specificity)
        nb = sens * phi - (1 - spec) * (1 - phi) * t / (1 - t)
        snb = nb / phi
        wgt = (1 - phi) / phi * t / (1 - t)
        se_nb = round(_grid_se(_positive(nbciwidth, "nbciwidth") / (2 * _Z), increment), 3)
        n4 = math.ceil((sens * (1 - sens) / phi + wgt**2 * spec * (1 - spec) / (1 - phi)
                        + wgt**2 * (1 - spec) ** 2 / (phi * (1 - phi))) / se_nb**2)
        rows.append(("net benefit", n4, snb, se_nb, nbciwidth))
        details.update(sensitivity=sens, specificity=spec, net_benefit=nb,
                       standardised_net_benefit=snb)
    final = max(rows, key=lambda r: r[1])
    rows.append(("Final", final[1], final[2], final[3], final[4]))
    crit = pd.DataFrame(rows, columns=["criterion", "sample_size", "performance", "se",
                                       "ci_width"]).set_index("criterion")
    nf = int(final[1])
    return SampleSizeResult(
        sample_size=nf, events=nf * phi, epp=float("nan"), criteria=crit, outcome="binary",
        purpose="validation", details=details,
    )


# ------------------------------------------------------------- survival, by simulation


def _baseline_rate(risk: float, horizon: float, lp_sd: float, shape: float) -> float:
    """Weibull scale lambda with E[1 - exp(-lambda t^k exp(lp))] = risk, lp ~ N(0, sd)."""
    from scipy import optimize

    x, w = np.polynomial.hermite_e.hermegauss(80)
    w = w / w.sum()

    def gap(log_lam: float) -> float:
        cum = np.exp(log_lam) * horizon**shape * np.exp(lp_sd * x)
        return float((w * -np.expm1(-cum)).sum()) - risk

    return float(np.exp(optimize.brentq(gap, -50, 20)))


def _simulate_widths(i: int, rng: np.random.Generator, *, n: int, lam: float, shape: float,
                     lp_sd: float, horizon: float, followup: tuple[float, float],
                     dropout: float) -> tuple[float, float, float]:
    from irdp.metrics import concordance
    from irdp.metrics.calibration import calibration_slope, oe_ratio
    from irdp.outcomes import Survival

    lp = rng.normal(0.0, lp_sd, n)
    t = (rng.exponential(1.0, n) / (lam * np.exp(lp))) ** (1.0 / shape)
    c = rng.uniform(followup[0], followup[1], n)
    if dropout > 0:
        c = np.minimum(c, rng.exponential(1.0 / dropout, n))
    y = Survival(np.minimum(t, c), t <= c)
    risk = -np.expm1(-lam * horizon**shape * np.exp(lp))
    out = []
    for f in (oe_ratio, calibration_slope, concordance):
        try:
            e = f(y, risk, horizon=horizon)
            out.append(float(e.upper - e.lower))
        except ValueError:
            out.append(float("nan"))
    return tuple(out)  # type: ignore[return-value]


def validation_sample_size_survival(
    *,
    horizon: float,
    risk: float,
    lp_sd: float,
    followup: tuple[float, float],
    dropout: float = 0.0,
    shape: float = 1.0,
    oeciwidth: float = 0.2,
    csciwidth: float = 0.2,
    cstatciwidth: float = 0.1,
    n_sim: int = 200,
    seed: int = 20240601,
    n_jobs: int | None = 1,
) -> SampleSizeResult:
    """Minimum sample size to validate a time-to-event index, by simulation.

    Validation data sets are simulated from the anticipated setting: a calibrated index whose
    linear predictor is N(0, ``lp_sd``) (``lp_sd`` sets the C statistic), Weibull event times
    with ``shape`` and a baseline chosen so that the mean risk by ``horizon`` is ``risk``,
    administrative censoring uniform over ``followup`` (time since index date at the data
    extraction) and optional exponential loss to follow-up at rate ``dropout``. Each data set
    is validated with irdp's own metrics — O/E (Kaplan-Meier observed risk, CI
    exp(±1.96/sqrt(events))), calibration slope (Cox on cll(risk), Wald CI) and Harrell's C at
    the horizon (infinitesimal-jackknife CI) — and the smallest size whose *mean* 95 % CI
    width meets each target is found (widths scale as 1/sqrt(n): a pilot size is scaled, then
    checked and refined by simulation). This is Riley et al.'s validation criteria carried to
    censored data, which pmvalsampsize does not cover.

    Parameters
    ----------
    horizon : float
        Prediction horizon.
    risk : float
        Anticipated mean risk of the event by the horizon in the validation population.
    lp_sd : float
        Standard deviation of the linear predictor (e.g. 1.0 gives C of about 0.72 with
        little censoring).
    followup : (float, float)
        Range of administrative follow-up (uniform).
    dropout : float, default=0
        Rate of loss to follow-up (exponential).
    shape : float, default=1
        Weibull shape of the event times (1 = exponential).
    oeciwidth, csciwidth, cstatciwidth : float
        Target widths of the 95 % CI of O/E, calibration slope and C.
    n_sim : int, default=200
        Simulated data sets per evaluated size.
    seed : int, default=20240601
    n_jobs : int or None, default=1
        Workers for the simulations (the result does not depend on it).

    Returns
    -------
    SampleSizeResult
        ``criteria`` rows ``O/E``, ``calibration slope``, ``C statistic`` and ``Final`` with
        ``sample_size``, ``mean_ci_width`` (at that size), ``target_width`` and
        ``mc_se_width`` (Monte-Carlo SE of the mean width).

    References
    ----------
    Riley RD, Collins GS, Ensor J, et al. Minimum sample size calculations for external
    validation of a clinical prediction model with a time-to-event outcome. Stat Med
    2022;41:1280-1295 (the simulation approach); McLernon et al. Ann Intern Med 2023.
    """
    from irdp.validation._resampling import as_seed_sequence, run_replicates

    h = _positive(horizon, "horizon")
    p = _positive(risk, "risk", upper=1.0)
    sd = _positive(lp_sd, "lp_sd")
    lo, hi = (float(v) for v in followup)
    if not 0 <= lo <= hi or hi <= 0:
        raise ValueError(f"followup must be (low, high) with 0 <= low <= high; got {followup!r}.")
    if hi < h:
        raise ValueError(
            f"the longest follow-up ({hi:g}) is shorter than the horizon ({h:g}); the risk at "
            "the horizon could not be observed in the validation data."
        )
    if int(n_sim) != n_sim or n_sim < 20:
        raise ValueError(f"n_sim must be an integer >= 20; got {n_sim!r}.")
    targets = np.array([_positive(oeciwidth, "oeciwidth"), _positive(csciwidth, "csciwidth"),
                        _positive(cstatciwidth, "cstatciwidth")])
    lam = _baseline_rate(p, h, sd, _positive(shape, "shape"))
    root = as_seed_sequence(seed)
    kw = {"lam": lam, "shape": float(shape), "lp_sd": sd, "horizon": h, "followup": (lo, hi),
          "dropout": float(dropout)}

    def widths(n: int) -> tuple[np.ndarray, np.ndarray]:
        # each evaluated size gets the next child stream of the root
        res = np.array(run_replicates(_simulate_widths, int(n_sim), seed=root.spawn(1)[0],
                                      n_jobs=n_jobs, kwargs={"n": int(n), **kw}))
        return np.nanmean(res, axis=0), np.nanstd(res, axis=0, ddof=1) / np.sqrt(len(res))

    sizes = np.zeros(3, dtype=int)
    achieved = np.zeros(3)
    mcse = np.zeros(3)
    pilot = 1000
    w0, _ = widths(pilot)
    for j in range(3):
        n = max(50, int(np.ceil(pilot * (w0[j] / targets[j]) ** 2 / 10) * 10))
        for _ in range(2):  # refine: check by simulation and rescale
            wj, sj = widths(n)
            if wj[j] <= targets[j] and (wj[j] / targets[j]) ** 2 > 0.97:
                break
            n = max(50, int(np.ceil(n * (wj[j] / targets[j]) ** 2 / 10) * 10))
        wj, sj = widths(n)
        while wj[j] > targets[j]:  # guarantee the target at the reported size
            n = int(np.ceil(n * 1.05 / 10) * 10)
            wj, sj = widths(n)
        sizes[j], achieved[j], mcse[j] = n, wj[j], sj[j]
    k = int(np.argmax(sizes))
    crit = pd.DataFrame(
        {"sample_size": list(sizes) + [sizes[k]], "mean_ci_width": list(achieved) + [achieved[k]],
         "target_width": list(targets) + [targets[k]], "mc_se_width": list(mcse) + [mcse[k]]},
        index=pd.Index(["O/E", "calibration slope", "C statistic", "Final"], name="criterion"),
    )
    nf = int(sizes[k])
    return SampleSizeResult(
        sample_size=nf, events=nf * p, epp=float("nan"), criteria=crit, outcome="survival",
        purpose="validation",
        details={"baseline_rate": lam, "shape": float(shape), "n_sim": int(n_sim),
                 "expected_events_by_horizon": nf * p},
    )
