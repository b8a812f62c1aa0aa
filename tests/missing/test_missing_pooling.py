"""Rubin's rules against hand-computed values (Rubin 1987; Barnard & Rubin 1999)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from irdp.missing import rubin_pool


def test_identity_scale_by_hand():
    q = [1.0, 1.2, 0.8, 1.1]
    se = [0.1, 0.12, 0.09, 0.11]
    m = 4
    qbar = 1.025
    w = (0.01 + 0.0144 + 0.0081 + 0.0121) / 4  # 0.011150
    b = ((1 - qbar) ** 2 + (1.2 - qbar) ** 2 + (0.8 - qbar) ** 2 + (1.1 - qbar) ** 2) / 3
    t = w + (1 + 1 / m) * b
    lam = (1 + 1 / m) * b / t
    df = (m - 1) / lam**2
    r = (1 + 1 / m) * b / w
    est = rubin_pool(q, se)
    assert est.value == pytest.approx(qbar, abs=1e-14)
    assert est.within == pytest.approx(w, rel=1e-12)
    assert est.between == pytest.approx(b, rel=1e-12)
    assert est.total == pytest.approx(t, rel=1e-12)
    assert est.df == pytest.approx(df, rel=1e-12)
    assert est.riv == pytest.approx(r, rel=1e-12)
    assert est.fmi == pytest.approx((r + 2 / (df + 3)) / (r + 1), rel=1e-12)
    half = stats.t.ppf(0.975, df) * np.sqrt(t)
    assert est.lower == pytest.approx(qbar - half, rel=1e-12)
    assert est.upper == pytest.approx(qbar + half, rel=1e-12)


def test_barnard_rubin_df_by_hand():
    q, se, n_com = [0.5, 0.7, 0.6], [0.2, 0.2, 0.2], 50
    b, w, m = 0.01, 0.04, 3
    t = w + (1 + 1 / m) * b
    lam = (1 + 1 / m) * b / t
    df_old = (m - 1) / lam**2
    df_obs = (n_com + 1) / (n_com + 3) * n_com * (1 - lam)
    est = rubin_pool(q, se, df_complete=n_com)
    assert est.df == pytest.approx(df_old * df_obs / (df_old + df_obs), rel=1e-12)
    assert est.df < min(df_old, n_com)


def test_logit_scale_for_c_statistics():
    """C statistics are pooled on the logit scale (delta-method SEs), then back-transformed."""
    c = np.array([0.70, 0.74, 0.72])
    se = np.array([0.02, 0.02, 0.025])
    lg = np.log(c / (1 - c))
    lse = se / (c * (1 - c))
    w = np.mean(lse**2)
    b = np.var(lg, ddof=1)
    t = w + (4 / 3) * b
    est = rubin_pool(c, se, scale="logit")
    assert est.value == pytest.approx(1 / (1 + np.exp(-lg.mean())), rel=1e-12)
    assert est.total == pytest.approx(t, rel=1e-12)
    assert 0 < est.lower < est.value < est.upper < 1


def test_log_scale_for_oe_ratio_is_symmetric_in_logs():
    est = rubin_pool([0.9, 1.1, 1.0], [0.05, 0.05, 0.05], scale="log")
    assert np.log(est.upper) - np.log(est.value) == pytest.approx(
        np.log(est.value) - np.log(est.lower), rel=1e-10)


def test_no_between_variance_gives_normal_interval():
    est = rubin_pool([2.0, 2.0], [0.5, 0.5])
    assert est.between == 0
    assert np.isinf(est.df)
    assert est.upper == pytest.approx(2 + stats.norm.ppf(0.975) * 0.5)


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (([1.0], [0.1]), {}, "at least 2"),
        (([1.0, 2.0], [0.1]), {}, "one value per estimate"),
        (([0.5, 1.2], [0.1, 0.1]), {"scale": "logit"}, "strictly in"),
        (([-0.5, 1.2], [0.1, 0.1]), {"scale": "log"}, "> 0"),
        (([1.0, np.nan], [0.1, 0.1]), {}, "finite"),
        (([1.0, 2.0], [0.1, 0.1]), {"scale": "probit"}, "scale must be"),
    ],
)
def test_pool_errors(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        rubin_pool(*args, **kwargs)
