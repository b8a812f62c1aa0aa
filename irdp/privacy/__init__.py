"""Privacy at the edges: pseudonymisation, one disclosure policy, suppression and audit.

- :func:`pseudonymise` / :class:`Pseudonymiser`: HMAC-SHA256 pseudonyms with a caller-supplied
  key that irdp never writes anywhere (used by :func:`irdp.io.read_extract`);
  :func:`looks_like_nir`, :func:`contains_nir`, :func:`mask_identifier` (NIR/INS masking in
  messages), :func:`is_nir` and :func:`nir_key_valid` (NIR with a valid control key).
- :class:`DisclosurePolicy`: the one disclosure policy of a run (``min_count`` 11 by default,
  optional rounding, override stamped on every output).
- :class:`LinkedTables`: the tables of a run declared together; :meth:`LinkedTables.suppress`
  chooses primary and complementary suppressions for the whole system and its audit proves by
  linear programming that no hidden count can be narrowed below ``min_count`` values.
- :func:`suppress_small_counts`, :func:`check_disclosure`, :func:`is_disclosive`,
  :func:`format_suppressed`: the same control for a single table.
- :func:`audit_run` / :func:`withhold`: re-read a run folder as an attacker would (LP
  differencing within and across tables, rates times denominators, model-export increments,
  figure steps, identifiers) and move breaching outputs to ``withheld/``.
"""

from irdp.privacy.attacks import figure_findings, figure_sidecar, model_export_findings
from irdp.privacy.audit import AuditResult, Finding
from irdp.privacy.disclosure import (
    check_disclosure,
    format_suppressed,
    is_disclosive,
    suppress_small_counts,
)
from irdp.privacy.identifiers import find_identifiers, is_nir, nir_key_valid
from irdp.privacy.linked import LinkedTables, Rate, SuppressedTables
from irdp.privacy.policy import (
    DEFAULT_MIN_COUNT,
    DEFAULT_THRESHOLD,
    SUPPRESSED_MARKER,
    DisclosurePolicy,
    renamed_threshold,
    resolve_policy,
)
from irdp.privacy.pseudonymise import (
    MIN_KEY_BYTES,
    NIR_PATTERN,
    Pseudonymiser,
    contains_nir,
    looks_like_nir,
    mask_identifier,
    pseudonymise,
)
from irdp.privacy.runs import audit_run, audit_tables, withhold, write_reasons

__all__ = [
    "DEFAULT_MIN_COUNT",
    "DEFAULT_THRESHOLD",
    "MIN_KEY_BYTES",
    "NIR_PATTERN",
    "SUPPRESSED_MARKER",
    "AuditResult",
    "DisclosurePolicy",
    "Finding",
    "LinkedTables",
    "Pseudonymiser",
    "Rate",
    "SuppressedTables",
    "check_disclosure",
    "contains_nir",
    "figure_findings",
    "figure_sidecar",
    "find_identifiers",
    "format_suppressed",
    "is_disclosive",
    "is_nir",
    "looks_like_nir",
    "mask_identifier",
    "model_export_findings",
    "nir_key_valid",
    "pseudonymise",
    "renamed_threshold",
    "resolve_policy",
    "suppress_small_counts",
    "audit_run",
    "audit_tables",
    "withhold",
    "write_reasons",
]
