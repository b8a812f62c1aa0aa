"""Candidate risk indices sharing one protocol (see :mod:`irdp.models.base`)."""

from irdp.models.base import load
from irdp.models.competing import CauseSpecificCoxIndex, FineGrayIndex
from irdp.models.cox import CoxIndex
from irdp.models.logistic import LogisticIndex
from irdp.models.splines import rcs_basis, rcs_knots

__all__ = [
    "load",
    "CauseSpecificCoxIndex",
    "CoxIndex",
    "FineGrayIndex",
    "LogisticIndex",
    "rcs_basis",
    "rcs_knots",
]
