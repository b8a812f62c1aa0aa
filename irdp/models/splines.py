"""Restricted cubic splines as in Harrell's ``Hmisc::rcspline.eval`` and ``rms::rcs``.

The implementation is :mod:`irdp._stats.splines` (one spline basis for models and the
calibration curves of :mod:`irdp.metrics`); this module is its public face.

References
----------
.. [1] Harrell FE. Regression Modeling Strategies, 2nd ed. Springer 2015, section 2.4.5.
.. [2] Stone CJ, Koo CY. Additive splines in statistics. Proc Stat Comp Sect ASA 1985:45-48.
"""

from irdp._stats.splines import DEFAULT_KNOT_QUANTILES, rcs_basis, rcs_knots

__all__ = ["rcs_knots", "rcs_basis", "DEFAULT_KNOT_QUANTILES"]
