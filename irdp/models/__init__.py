"""Candidate risk indices sharing one protocol (see :mod:`irdp.models.base`).

Fitted models: :class:`LogisticIndex`, :class:`CoxIndex`, :class:`FineGrayIndex`,
:class:`CauseSpecificCoxIndex`, :class:`PointsScore`; fixed instruments recalibrated to a
risk: :class:`FixedScoreIndex` (WAI, WAS, ÖMPSQ-SF, 4-question mid-career questionnaire);
risk levels: :class:`RiskLevels`. :func:`load` rebuilds any of them from ``export()``;
:class:`MissingIndicatorPreprocessing` turns raw features into a model's columns and
:class:`PreparedData` (from ``estimator.prepare(X, y)``) caches a design for repeated fits.
"""

from irdp.models._prepared import PreparedData
from irdp.models.base import load
from irdp.models.competing import CauseSpecificCoxIndex, FineGrayIndex
from irdp.models.cox import CoxIndex
from irdp.models.levels import LEVELS, RiskLevels
from irdp.models.logistic import LogisticIndex
from irdp.models.points import PointsScore
from irdp.models.preprocessing import MissingIndicatorPreprocessing
from irdp.models.questionnaires import (
    FixedScoreIndex,
    ompsq_sf_score,
    q4_class,
    questionnaire_wide,
    wai_score,
    was_score,
)
from irdp.models.splines import rcs_basis, rcs_knots

__all__ = [
    "load",
    "CauseSpecificCoxIndex",
    "CoxIndex",
    "FineGrayIndex",
    "FixedScoreIndex",
    "LEVELS",
    "LogisticIndex",
    "MissingIndicatorPreprocessing",
    "PointsScore",
    "PreparedData",
    "RiskLevels",
    "ompsq_sf_score",
    "q4_class",
    "questionnaire_wide",
    "rcs_basis",
    "rcs_knots",
    "wai_score",
    "was_score",
]
