"""Numba options of the compiled loops of the numerical core (private).

The loops in :mod:`irdp._stats._cox_kernels`, :mod:`irdp._stats._rank_kernels` and
:mod:`irdp._stats._linalg` are compiled on first use and cached on disk (next to the source,
or in Numba's user cache when the package directory is read-only). They are the only
implementation of what they compute: the callers have no NumPy fallback. Each takes NumPy
arrays of fixed dtypes (float64, int64, bool), so that one compiled signature serves every
caller.

References
----------
.. [1] Lam SK, Pitrou A, Seibert S. Numba: a LLVM-based Python JIT compiler. LLVM-HPC 2015.
"""

from __future__ import annotations

__all__ = ["JIT", "FAST"]

#: error_model="numpy": a division by zero gives inf or nan as in NumPy (a risk set whose sum
#: underflowed is detected by the caller), never a Python exception.
JIT = {"cache": True, "nogil": True, "error_model": "numpy"}
#: Sums of products whose order may change (vectorised reductions); never "nnan"/"ninf": a
#: diverging fit produces inf and nan that the callers detect.
FAST = {**JIT, "fastmath": {"reassoc", "contract"}}
