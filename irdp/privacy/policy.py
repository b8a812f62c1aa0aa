"""The disclosure policy: one object that every writer of a run applies.

A :class:`DisclosurePolicy` says which published counts are too small (``min_count``, 11 by
default: counts 1 to 10 are never shown nor recoverable), whether published counts are rounded
(an OpenSAFELY-style rule), whether zeros are protected, and what a suppressed cell shows. A
``min_count`` below 11 is refused unless an override with a reason is given; the policy's
:meth:`~DisclosurePolicy.as_text` and :meth:`~DisclosurePolicy.to_dict` forms carry that
override, for the report header and ``provenance.json``.

References
----------
CASD, « Règles de confidentialité » (no cell may concern fewer than 11 units; secondary
secrecy). Hundepool A. et al., *Statistical Disclosure Control*, Wiley 2012, ch. 4 (frequency
tables, threshold rule, protection intervals). OpenSAFELY, « Statistical disclosure control »
output-checking rules (counts of 7 or less redacted, others rounded to the nearest 5).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_MIN_COUNT",
    "DEFAULT_THRESHOLD",
    "SUPPRESSED_MARKER",
    "DisclosurePolicy",
    "renamed_threshold",
    "resolve_policy",
]

#: Default minimum publishable count (CASD / SNDS practice: counts 1 to 10 are masked).
DEFAULT_MIN_COUNT = 11

#: Former name of :data:`DEFAULT_MIN_COUNT` (kept: other modules import it).
DEFAULT_THRESHOLD = DEFAULT_MIN_COUNT

#: What a suppressed cell shows: a neutral marker ("[c]", confidential, as the UK Government
#: Statistical Service writes it) that says nothing about the value. A "<11" label would itself
#: publish the constraint ``x <= 10`` and would be false for a complementary cell.
SUPPRESSED_MARKER = "[c]"

_NUMBER = re.compile(r"^\s*[<>≤≥=~]?\s*[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?\s*$")


@dataclass(frozen=True)
class DisclosurePolicy:
    """How published counts are protected (the secret statistique of a run).

    Parameters
    ----------
    min_count : int, default=11
        Smallest publishable count: a count ``0 < n < min_count`` is never shown, and no
        published combination of numbers may narrow a hidden count down to an interval of
        fewer than ``min_count`` values (see :func:`irdp.privacy.audit_tables`).
    rounding : int, optional
        Round every published count to the nearest multiple of ``rounding`` (half up), after
        suppression; readers then know each count only within ``rounding`` values. A count
        that would be shown below ``min_count`` once rounded is suppressed instead. ``None``
        (default) publishes exact counts. OpenSAFELY's rule is ``min_count=8, rounding=5``
        (which needs an override, 8 being below 11).
    protect_zeros : bool, default=False
        Treat zero counts like counts of 1 to 10 (suppressed and protected). By default a zero
        is published: it describes nobody. A zero is never chosen to protect another cell
        (it carries no uncertainty), and a hidden cell that the published numbers pin to zero
        is not a breach unless ``protect_zeros`` is set.
    override_reason : str, optional
        Required when ``min_count`` is below 11: why a smaller threshold is acceptable (for
        example the data protection officer's decision). It is stamped on every output.
    marker : str, default="[c]"
        Text of a suppressed cell. Must not be a number or a bound such as ``<11``.

    Examples
    --------
    >>> DisclosurePolicy().as_text()[:69]
    'Disclosure control: counts of 1 to 10 are suppressed (min_count = 11)'
    >>> DisclosurePolicy(min_count=5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: min_count must be at least 11 unless an override is given; got min_count=5...
    >>> p = DisclosurePolicy(min_count=8, rounding=5, override_reason="OpenSAFELY rule")
    >>> p.to_dict()["override"]
    {'min_count': 8, 'default_min_count': 11, 'reason': 'OpenSAFELY rule'}
    >>> p.published_count(12), p.interval(10)
    (10, (8, 12))
    """

    min_count: int = DEFAULT_MIN_COUNT
    rounding: int | None = None
    protect_zeros: bool = False
    override_reason: str | None = None
    marker: str = SUPPRESSED_MARKER

    def __post_init__(self) -> None:
        m = self.min_count
        if isinstance(m, bool) or not isinstance(m, int | np.integer):
            raise TypeError(f"min_count must be an int; got {type(m).__name__}.")
        if m < 1:
            raise ValueError(f"min_count must be >= 1; got {m}.")
        object.__setattr__(self, "min_count", int(m))
        if self.override_reason is not None and (
            not isinstance(self.override_reason, str) or not self.override_reason.strip()
        ):
            raise ValueError("override_reason must be a non-empty text (who decided and why).")
        if m < DEFAULT_MIN_COUNT and self.override_reason is None:
            raise ValueError(
                f"min_count must be at least {DEFAULT_MIN_COUNT} unless an override is given; "
                f"got min_count={m}. Pass override_reason='...' (who decided and why): the "
                "override is stamped on every output."
            )
        r = self.rounding
        if r is not None:
            if isinstance(r, bool) or not isinstance(r, int | np.integer):
                raise TypeError(f"rounding must be an int or None; got {type(r).__name__}.")
            if not 2 <= r <= 1000:
                raise ValueError(f"rounding must be between 2 and 1000; got {r}.")
            object.__setattr__(self, "rounding", int(r))
        if not isinstance(self.protect_zeros, bool):
            raise TypeError("protect_zeros must be a bool.")
        if not isinstance(self.marker, str) or not self.marker.strip():
            raise ValueError("marker must be a non-empty text.")
        if _NUMBER.match(self.marker):
            raise ValueError(
                f"marker must not read as a number or a bound; got {self.marker!r}. A label "
                "such as '<11' publishes a constraint on the hidden value; use a neutral "
                f"marker such as {SUPPRESSED_MARKER!r}."
            )

    # ---- what is sensitive ------------------------------------------------------------------
    @property
    def overridden(self) -> bool:
        """True when ``min_count`` is below the default 11 (an override is stamped)."""
        return self.min_count < DEFAULT_MIN_COUNT

    def is_sensitive(self, value: float) -> bool:
        """True for a count that must not be shown: ``0 < value < min_count`` (and 0 when
        ``protect_zeros``); with rounding, also a count whose rounded value would be below
        ``min_count`` (11 and 12 round to 10 with ``rounding=5``), so that no published
        number is below ``min_count``."""
        if value != value:  # NaN: nothing to protect
            return False
        if self.protect_zeros and value == 0:
            return True
        if value <= 0:
            return False
        if value < self.min_count:
            return True
        return self.rounding is not None and self.published_count(int(value)) < self.min_count

    def is_breach(self, lo: float, hi: float) -> bool:
        """The audit criterion for one hidden or implied count known to lie in ``[lo, hi]``.

        A count is *recovered* when its feasible interval is narrower than ``min_count``
        (``hi - lo < min_count``) and reaches below ``min_count`` (``lo < min_count``): the
        reader then knows a small count to within fewer than ``min_count`` values. A count
        pinned at exactly 0 is a breach only with ``protect_zeros``.
        """
        if hi - lo >= self.min_count or lo >= self.min_count:
            return False
        if hi <= 0:
            return self.protect_zeros
        return True

    # ---- rounding ---------------------------------------------------------------------------
    def published_count(self, value: int) -> int:
        """The published form of a visible count (rounded when the policy rounds)."""
        if self.rounding is None:
            return int(value)
        return int(self.rounding * math.floor(value / self.rounding + 0.5))

    def interval(self, published: int) -> tuple[int, int]:
        """The true counts consistent with a published (possibly rounded) count."""
        if self.rounding is None:
            return int(published), int(published)
        b = self.rounding
        # round half up: x -> b * floor(x / b + 1/2); preimage of c is [c - b/2, c + b/2)
        lo = math.ceil(published - b / 2)
        hi = math.ceil(published + b / 2) - 1
        return int(max(lo, 0)), int(hi)

    # ---- stamps -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for ``provenance.json`` and the audit (``override`` is None unless
        ``min_count`` is below 11)."""
        return {
            "min_count": self.min_count,
            "rounding": self.rounding,
            "protect_zeros": self.protect_zeros,
            "marker": self.marker,
            "override": None if not self.overridden else {
                "min_count": self.min_count,
                "default_min_count": DEFAULT_MIN_COUNT,
                "reason": self.override_reason,
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DisclosurePolicy:
        """Inverse of :meth:`to_dict` (also accepts a configuration block with
        ``min_count``, ``rounding``, ``protect_zeros``, ``override_reason``, ``marker``)."""
        if not isinstance(data, Mapping):
            raise TypeError(f"data must be a mapping; got {type(data).__name__}.")
        known = {"min_count", "rounding", "protect_zeros", "override_reason", "marker",
                 "override"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown disclosure policy keys {unknown[:5]}; expected some of "
                             f"{sorted(known - {'override'})}.")
        kwargs = {k: data[k] for k in ("min_count", "rounding", "protect_zeros", "marker")
                  if k in data and data[k] is not None}
        reason = data.get("override_reason")
        if reason is None and isinstance(data.get("override"), Mapping):
            reason = data["override"].get("reason")
        if reason is not None:
            kwargs["override_reason"] = reason
        return cls(**kwargs)

    def as_text(self) -> str:
        """One paragraph for the report header (states the override, if any)."""
        m = self.min_count
        small = f"counts of 1 to {m - 1}" if m > 2 else "counts of 1"
        parts = [f"Disclosure control: {small} are suppressed (min_count = {m}), with "
                 "complementary suppression so that no suppressed count can be recovered"]
        if self.rounding is not None:
            parts.append(f"published counts are rounded to the nearest {self.rounding}")
        parts.append("zeros are suppressed too" if self.protect_zeros else "zeros are published")
        parts.append(f"suppressed cells show {self.marker}")
        text = "; ".join(parts) + "."
        if self.overridden:
            text += (f" OVERRIDE: min_count {m} is below the default {DEFAULT_MIN_COUNT} "
                     f"(reason given: {self.override_reason}).")
        return text

    def __str__(self) -> str:
        return self.as_text()


def resolve_policy(
    policy: DisclosurePolicy | None = None,
    *,
    min_count: int | None = None,
    threshold: int | None = None,
    protect_zeros: bool | None = None,
) -> DisclosurePolicy:
    """The policy a function should apply, from its ``policy=`` and legacy integer arguments.

    ``policy`` wins when given (an integer argument that disagrees is an error). ``min_count``
    (the one name) goes through :class:`DisclosurePolicy`, so a value below 11 is refused.
    ``threshold`` is the former name, kept so that existing callers keep working: a value below
    11 passed there is accepted as a legacy override and stamped as such in the policy.

    Examples
    --------
    >>> resolve_policy().min_count, resolve_policy(min_count=12).min_count
    (11, 12)
    >>> resolve_policy(threshold=5).override_reason
    'legacy integer argument threshold=5'
    """
    given = [(n, v) for n, v in (("min_count", min_count), ("threshold", threshold))
             if v is not None]
    if len(given) == 2 and min_count != threshold:
        raise ValueError(f"min_count and threshold are the same setting; got min_count="
                         f"{min_count} and threshold={threshold}. Pass min_count only.")
    if policy is not None:
        if not isinstance(policy, DisclosurePolicy):
            raise TypeError(f"policy must be a DisclosurePolicy; got {type(policy).__name__}.")
        for name, v in given:
            if v != policy.min_count:
                raise ValueError(f"{name}={v} disagrees with policy.min_count="
                                 f"{policy.min_count}; pass the policy only.")
        if protect_zeros is not None and protect_zeros != policy.protect_zeros:
            from dataclasses import replace

            return replace(policy, protect_zeros=protect_zeros)
        return policy
    kwargs: dict[str, Any] = {}
    if protect_zeros is not None:
        kwargs["protect_zeros"] = protect_zeros
    if min_count is not None:
        return DisclosurePolicy(min_count=min_count, **kwargs)
    if threshold is not None:
        if isinstance(threshold, bool) or not isinstance(threshold, int | np.integer):
            raise TypeError(f"threshold must be an int; got {type(threshold).__name__}.")
        if threshold < 1:
            raise ValueError(f"threshold must be >= 1; got {threshold}. Use min_count=11.")
        reason = (f"legacy integer argument threshold={int(threshold)}"
                  if threshold < DEFAULT_MIN_COUNT else None)
        return DisclosurePolicy(min_count=int(threshold), override_reason=reason, **kwargs)
    return DisclosurePolicy(**kwargs)


def renamed_threshold(where: str, threshold: int | None, min_count: int | None,
                      *, stacklevel: int = 3) -> int | None:
    """The ``min_count`` of a function that still accepts the former name ``threshold``.

    Warns :class:`~irdp.exceptions.IrdpDeprecationWarning` when ``threshold`` is given (the
    value still works); both given and different is an error.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     renamed_threshold("f", 12, None), w[0].category.__name__
    (12, 'IrdpDeprecationWarning')
    """
    if threshold is None:
        return min_count
    import warnings

    from irdp.exceptions import IrdpDeprecationWarning

    warnings.warn(f"{where}: the argument 'threshold' is now called 'min_count' (the one "
                  "name of the disclosure threshold); 'threshold' will be removed.",
                  IrdpDeprecationWarning, stacklevel=stacklevel)
    if min_count is not None and min_count != threshold:
        raise ValueError(f"{where}: min_count={min_count} and threshold={threshold} are the "
                         "same setting; pass min_count only.")
    return threshold
