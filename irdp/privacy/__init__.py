"""Privacy at the edges: keyed pseudonymisation and disclosure control of published tables.

- :func:`pseudonymise` / :class:`Pseudonymiser`: HMAC-SHA256 pseudonyms with a caller-supplied
  key that irdp never writes anywhere (used by :func:`irdp.io.read_extract`).
- :func:`suppress_small_counts`: primary suppression of counts below a threshold (default 11),
  secondary suppression so totals cannot reveal a masked cell, and suppression of rates whose
  numerator or denominator is masked. :func:`check_disclosure` / :func:`is_disclosive` tell
  whether a table is safe to publish; :func:`format_suppressed` renders masked cells.
"""

from irdp.privacy.disclosure import (
    DEFAULT_THRESHOLD,
    check_disclosure,
    format_suppressed,
    is_disclosive,
    suppress_small_counts,
)
from irdp.privacy.pseudonymise import MIN_KEY_BYTES, Pseudonymiser, pseudonymise

__all__ = [
    "DEFAULT_THRESHOLD",
    "MIN_KEY_BYTES",
    "Pseudonymiser",
    "check_disclosure",
    "format_suppressed",
    "is_disclosive",
    "pseudonymise",
    "suppress_small_counts",
]
