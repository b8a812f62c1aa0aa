"""A small text/HTML summary object returned by the ``summary()`` of irdp result objects
(validation, fairness and missing-data results share it)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["Summary"]


@dataclass(frozen=True)
class Summary:
    """Title, one table and notes; rendered on demand, never printed.

    Attributes
    ----------
    title : str
    table : pandas.DataFrame
    notes : tuple of str
    """

    title: str
    table: pd.DataFrame
    notes: tuple[str, ...] = field(default_factory=tuple)

    def as_text(self, float_format: str = "{:.4f}") -> str:
        """Return the summary as plain text."""
        body = self.table.to_string(float_format=lambda v: float_format.format(v))
        rule = "=" * max(len(self.title), max((len(s) for s in body.splitlines()), default=0))
        parts = [self.title, rule, body, rule]
        parts.extend(self.notes)
        return "\n".join(parts)

    def as_html(self) -> str:
        """Return the summary as an HTML fragment."""
        notes = "".join(f"<p>{n}</p>" for n in self.notes)
        return f"<h4>{self.title}</h4>{self.table.to_html(float_format='{:.4f}'.format)}{notes}"

    def _repr_html_(self) -> str:
        return self.as_html()

    def __str__(self) -> str:
        return self.as_text()
