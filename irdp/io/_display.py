"""What an error message may show of a value, a column name or a DuckDB error (private).

Every value or name placed in a :class:`~irdp.io.errors.Problem` goes through :func:`shown`
or :func:`shown_name`: identifiers are masked (a NIR/INS-shaped value anywhere, and every key
value when the caller pseudonymises), long values are shortened, control characters are made
visible. The row number and the column always stay, so the value can be found in the file.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from irdp.privacy.pseudonymise import contains_nir, mask_identifier

__all__ = ["MAX_SHOWN", "clean_text", "names", "shorten", "shown", "shown_name"]

#: Longest value shown whole in a message (characters); longer ones are shortened.
MAX_SHOWN = 40


def shorten(text: str, limit: int = MAX_SHOWN) -> str:
    """``text`` itself when short, else its beginning and its length.

    Examples
    --------
    >>> shorten("x" * 1_000_000)
    'xxxxxxxxxxxxxxxxxxxx… (1,000,000 characters)'
    """
    if len(text) <= limit:
        return text
    return f"{text[: limit // 2]}… ({len(text):,} characters)"


def _visible(text: str) -> str:
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" if ord(ch) < 256
                   else f"\\u{ord(ch):04x}" for ch in text)


def clean_text(text: str, limit: int = 160) -> str:
    """A foreign message (DuckDB, the csv module) made safe to show: first line only,
    identifier-shaped numbers masked, control characters made visible, shortened."""
    first = str(text).strip().splitlines()[0] if str(text).strip() else ""
    if contains_nir(first):
        return "(details withheld: they contain an identifier-shaped value)"
    return shorten(_visible(first), limit)


def shown(value: Any, *, secret: bool = False) -> Any:
    """What a message shows of a cell value.

    Parameters
    ----------
    value : object
        The value as read (str, number, date, bytes or a tuple for a composite key).
    secret : bool or sequence of bool, default=False
        The value is a key that the caller pseudonymises: always masked. For a tuple, one flag
        per element.

    Examples
    --------
    >>> shown("1 85 07 75 123 456 78"), shown("W-001"), shown("W-001", secret=True)
    ('<masked: 21 characters>', 'W-001', '<masked: 5 characters>')
    """
    if value is None:
        return None
    if isinstance(value, tuple):
        flags = secret if isinstance(secret, tuple) else (secret,) * len(value)
        return tuple(shown(v, secret=bool(s)) for v, s in zip(value, flags, strict=True))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        text = bytes(value).decode("latin-1")
        return mask_identifier(text) if secret or contains_nir(text) else \
            bytes(value[:MAX_SHOWN])
    text = str(value)
    # only the beginning of a long value is shown: only it needs checking
    if secret or contains_nir(text if len(text) <= 4 * MAX_SHOWN else text[: 2 * MAX_SHOWN]):
        return mask_identifier(text)
    if isinstance(value, str):
        return shorten(_visible(value))
    return value


def shown_name(name: str) -> str:
    """What a message shows of a column name read from a file (a header may hold data)."""
    if contains_nir(name):
        return mask_identifier(name)
    return shorten(_visible(name))


def names(items: Iterable[str], limit: int = 5) -> str:
    """At most ``limit`` column names, shown safely, and how many more there are.

    Examples
    --------
    >>> names(["a", "b", "c"], limit=2)
    "['a', 'b'] and 1 more"
    """
    items = list(items)
    head = [shown_name(n) for n in items[:limit]]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return f"{head}{more}"
