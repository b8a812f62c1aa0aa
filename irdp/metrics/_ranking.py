"""O(n log n) weighted dominance counts (private): re-exported from the numerical core.

:func:`prefix_smaller` lives in :mod:`irdp._stats.concordance`, with the Harrell's C that
:mod:`irdp.metrics` and :mod:`irdp.models` share; this import path is kept.
"""

from irdp._stats.concordance import prefix_smaller

__all__ = ["prefix_smaller"]
