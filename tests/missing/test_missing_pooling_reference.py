"""rubin_pool against R mice 3.15 (tests/reference/rubin_mice/reference.R, values.json).

R calls::

    imp <- mice(nhanes, m = 5, seed = 20240601); fit <- with(imp, lm(chl ~ age + bmi))
    summary(pool(fit))                         # Barnard-Rubin df with dfcom = n - k = 22
    pool.scalar(logit(q), var_logit, n = 400, k = 1)   # and n = Inf (Rubin's 1987 df)

The per-imputation estimates and SEs R used are stored in the JSON, so the test needs no R.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from irdp.missing import rubin_pool

VALUES = json.loads(
    (Path(__file__).parents[1] / "reference" / "rubin_mice" / "values.json").read_text()
)


@pytest.mark.reference
@pytest.mark.parametrize("j", [0, 1, 2])
def test_matches_mice_pool(j):
    ref = VALUES["lm"]
    per = ref["per_imputation"]
    est = rubin_pool([p["estimate"][j] for p in per], [p["std_error"][j] for p in per],
                     df_complete=ref["dfcom"])
    # closed-form arithmetic on the same inputs: agreement to rounding error
    assert est.value == pytest.approx(ref["estimate"][j], rel=1e-12)
    assert est.se == pytest.approx(ref["std_error"][j], rel=1e-12)
    assert est.between == pytest.approx(ref["b"][j], rel=1e-12)
    assert est.within == pytest.approx(ref["ubar"][j], rel=1e-12)
    assert est.df == pytest.approx(ref["df"][j], rel=1e-10)
    assert est.riv == pytest.approx(ref["riv"][j], rel=1e-12)
    assert est.fmi == pytest.approx(ref["fmi"][j], rel=1e-10)


@pytest.mark.reference
def test_matches_mice_pool_scalar_on_the_logit_scale():
    ref = VALUES["scalar"]
    q, se = np.array(ref["q"]), np.array(ref["se"])
    est = rubin_pool(q, se, scale="logit", df_complete=ref["n"] - ref["k"])
    assert np.log(est.value / (1 - est.value)) == pytest.approx(ref["qbar"], rel=1e-12)
    assert est.within == pytest.approx(ref["ubar"], rel=1e-12)
    assert est.between == pytest.approx(ref["b"], rel=1e-12)
    assert est.total == pytest.approx(ref["t"], rel=1e-12)
    assert est.df == pytest.approx(ref["df"], rel=1e-10)
    assert est.riv == pytest.approx(ref["r"], rel=1e-12)
    assert est.fmi == pytest.approx(ref["fmi"], rel=1e-10)
    large = rubin_pool(q, se, scale="logit")
    assert large.df == pytest.approx(ref["df_large_n"], rel=1e-10)
