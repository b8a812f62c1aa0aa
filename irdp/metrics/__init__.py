"""Performance measures for binary, survival and competing-risk outcomes."""

from irdp.metrics._bootstrap import Bootstrap
from irdp.metrics._estimate import Estimate
from irdp.metrics.discrimination import auc, concordance, delong_test, roc_curve, td_auc
from irdp.metrics.overall import brier, ipa, observed_risk

__all__ = [
    "Bootstrap",
    "Estimate",
    "auc",
    "brier",
    "concordance",
    "delong_test",
    "ipa",
    "observed_risk",
    "roc_curve",
    "td_auc",
]
