"""Compact constructor of :class:`~irdp.features.registry.Feature` (private)."""

from __future__ import annotations

from irdp.features.registry import Feature

#: Missing-data rule of counts and flags whose zero is the truth.
NEVER = "never (zero is the truth)"


def spec(family: str, name: str, fr: str, en: str, desc: str, dtype: str, unit: str,
         lookback: str, missing: str, sources: tuple[str, ...],
         thesauri: tuple[str, ...] = (), levels: tuple[str, ...] | None = None) -> Feature:
    """Build a :class:`Feature` from positional documentation fields."""
    return Feature(name=name, family=family, label_fr=fr, label_en=en, description=desc,
                   sources=sources, thesauri=thesauri, dtype=dtype,  # type: ignore[arg-type]
                   unit=unit, lookback=lookback, missing=missing, levels=levels)
