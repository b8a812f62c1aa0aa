"""Numbers as a reader expects them: meaningful digits, p-values, intervals, integers.

Every number of the HTML report goes through these functions (the CSV files keep the full
precision). The rules follow common journal style (e.g. the BMJ's statistical guidance):

- integers print as integers, with a thousands separator (``77,889``; points ``-6``);
- a measure prints with the decimals of its kind (:func:`irdp.report.labels.measure_decimals`:
  C statistic 3, O/E ratio 2, Brier score 4...); other numbers with 3 significant digits,
  between 0 and 4 decimals, chosen once per column so that a column is aligned and a
  value that is zero up to rounding prints ``0.000``, never ``-2.27e-16``;
- p-values print ``<0.001``, 3 decimals below 0.01 and 2 above;
- an estimate with its interval prints ``0.780 (0.746–0.813)`` (``to`` when a bound is
  negative: ``-0.009 to 0.023``); a missing interval prints ``—``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

__all__ = [
    "MISSING",
    "NO_INTERVAL",
    "as_float",
    "decimals_for",
    "format_number",
    "format_integer",
    "format_p",
    "format_interval",
    "is_p_value_column",
]

#: Shown for an interval (or value) that is not available.
NO_INTERVAL = "—"
#: Shown for an empty cell.
MISSING = ""

_P_COLUMN = re.compile(r"^(p|p_?value|pvalue|q_pvalue|pr\(>.*\)|p \(.*\)|.*_p_?value)$",
                       re.IGNORECASE)


def is_p_value_column(name: Any) -> bool:
    """True for the names of p-value columns (``p``, ``p_value``, ``q_pvalue``...)."""
    return bool(_P_COLUMN.match(str(name)))


def as_float(value: Any) -> float | None:
    """The value as a finite or infinite float, ``None`` when missing or not a number."""
    if value is None or isinstance(value, bool | str):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def decimals_for(values: Iterable[Any], *, significant: int = 3, max_decimals: int = 4) -> int:
    """Decimals giving ``significant`` digits to the typical (median) magnitude of a column.

    Integers (and integral floats) need none; zeros and infinities are ignored.

    Examples
    --------
    >>> decimals_for([0.78, 0.81, 0.77])
    3
    >>> decimals_for([39.08, 12.3])
    1
    >>> decimals_for([0.00786, 0.00802])
    4
    >>> decimals_for([-6.0, 2.0])
    0
    """
    xs = [x for x in (as_float(v) for v in values) if x is not None and math.isfinite(x)]
    if not xs or all(float(x).is_integer() for x in xs):
        return 0
    mags = sorted(abs(x) for x in xs if x != 0)
    if not mags:
        return min(2, max_decimals)
    typical = mags[len(mags) // 2]
    exponent = math.floor(math.log10(typical))
    return int(min(max(significant - 1 - exponent, 0), max_decimals))


#: Beyond this magnitude a number (e.g. the coefficient of a separated model) prints with
#: three significant digits.
HUGE = 1e12


def format_integer(value: Any) -> str:
    """An integer with a thousands separator (``-6``, ``77,889``); '' when missing."""
    x = as_float(value)
    if x is None:
        return MISSING
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if abs(x) >= HUGE:
        return f"{x:.3g}"
    return f"{int(round(x)):,}"


def format_number(value: Any, decimals: int) -> str:
    """A number with fixed ``decimals`` (no negative zero, no exponent); '' when missing.

    Examples
    --------
    >>> format_number(-2.27307e-16, 3)
    '0.000'
    >>> format_number(45.6483, 1)
    '45.6'
    >>> format_number(12345.678, 0)
    '12,346'
    """
    x = as_float(value)
    if x is None:
        return MISSING
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if decimals <= 0 or abs(x) >= HUGE:
        return format_integer(x)
    text = f"{x:,.{decimals}f}"
    if text.startswith("-") and float(text[1:].replace(",", "")) == 0:
        text = text[1:]
    return text


def format_p(value: Any) -> str:
    """A p-value: ``<0.001``, 3 decimals below 0.01, else 2 decimals.

    Examples
    --------
    >>> [format_p(p) for p in (2.1e-213, 0.0042, 0.237, 1.0)]
    ['<0.001', '0.004', '0.24', '1.00']
    """
    x = as_float(value)
    if x is None:
        return MISSING
    if x < 0.001:
        return "<0.001"
    if x < 0.01:
        return f"{x:.3f}"
    return f"{min(x, 1.0):.2f}"


def format_interval(value: Any, lower: Any, upper: Any, decimals: int) -> str:
    """``value (lower–upper)``; ``to`` when a bound is negative; ``—`` for a missing interval.

    Examples
    --------
    >>> format_interval(0.78041, 0.7462, 0.81302, 3)
    '0.780 (0.746–0.813)'
    >>> format_interval(0.0072, -0.0089, 0.0234, 3)
    '0.007 (-0.009 to 0.023)'
    >>> format_interval(0.00026, None, None, 4)
    '0.0003 (—)'
    """
    v = format_number(value, decimals)
    if not v:
        return NO_INTERVAL
    lo, hi = as_float(lower), as_float(upper)
    if lo is None or hi is None:
        return f"{v} ({NO_INTERVAL})"
    a, b = format_number(lo, decimals), format_number(hi, decimals)
    sep = " to " if a.startswith("-") or b.startswith("-") else "–"
    return f"{v} ({a}{sep}{b})"
