"""Keyed pseudonymisation (HMAC-SHA256) of identifiers.

The key is supplied by the caller (typically a per-study secret kept at the SPSTI), held only in
memory, and never written anywhere by irdp: :class:`Pseudonymiser` hides it from ``repr`` and
refuses to be pickled, and no function logs or stores it. The same key always gives the same
pseudonym for the same identifier (so foreign keys stay joinable across tables and extracts);
different keys give unrelated pseudonyms.

References
----------
Krawczyk H., Bellare M., Canetti R. "HMAC: Keyed-Hashing for Message Authentication",
RFC 2104, 1997. CNIL, *MR-004* (pseudonymised re-use of health data); DOMAIN.md §5.1.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MIN_KEY_BYTES", "NIR_PATTERN", "Pseudonymiser", "contains_nir", "looks_like_nir",
           "mask_identifier", "pseudonymise"]

#: Shape of a NIR or INS (SQL and Python regular expression, to be matched in full once the
#: separators ``" "``, ``"."`` and ``"-"`` are removed): first digit 1 or 2 (NIR: sex) or 7 or 8
#: (NIA, the provisional number an INS may carry), two digits of birth year, birth month (01-12,
#: or 20-99 for an unknown or special month), département (2 digits or 2A/2B), six digits
#: (commune and order), and the optional two-digit key: 13 or 15 characters.
NIR_PATTERN = r"[1278][0-9]{2}(0[1-9]|1[0-2]|[2-9][0-9])(2[ABab]|[0-9]{2})[0-9]{6}([0-9]{2})?"

_SEPARATORS = re.compile(r"[ .\-]")
_NIR_FULL = re.compile(NIR_PATTERN)
_NIR_INSIDE = re.compile(r"(?<![0-9])" + NIR_PATTERN + r"(?![0-9])")


def looks_like_nir(value: Any) -> bool:
    """Whether ``value`` is shaped like a NIR/INS (with or without spaces, dots or dashes).

    Examples
    --------
    >>> looks_like_nir("1 85 07 75 123 456 78"), looks_like_nir("9000000001")
    (True, False)
    """
    if value is None:
        return False
    return _NIR_FULL.fullmatch(_SEPARATORS.sub("", str(value))) is not None


def contains_nir(text: Any) -> bool:
    """Whether ``text`` holds a NIR/INS-shaped run of digits anywhere (used to mask messages).

    Examples
    --------
    >>> contains_nir("worker 185077512345678 seen"), contains_nir("W-0001")
    (True, False)
    """
    if text is None:
        return False
    return _NIR_INSIDE.search(_SEPARATORS.sub("", str(text))) is not None


def mask_identifier(value: Any) -> str:
    """What a message shows instead of an identifier: its length only.

    Examples
    --------
    >>> mask_identifier("185077512345678")
    '<masked: 15 characters>'
    """
    return f"<masked: {len(str(value))} characters>"


#: Shortest key accepted (bytes). 16 bytes = 128 bits, NIST SP 800-107 minimum for HMAC security.
MIN_KEY_BYTES = 16


def _as_key(key: Any) -> bytes:
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, bytes | bytearray):
        raise TypeError(f"key must be bytes or str; got {type(key).__name__}.")
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(
            f"key must hold at least {MIN_KEY_BYTES} bytes; got {len(key)}. "
            "Use a random per-study secret, e.g. secrets.token_bytes(32)."
        )
    return bytes(key)


class Pseudonymiser:
    """Map identifiers to stable keyed pseudonyms (HMAC-SHA256, hex, optionally truncated).

    Parameters
    ----------
    key : bytes or str
        Secret key (>= 16 bytes). Held in memory only; never written by irdp.
    length : int, default=32
        Number of hexadecimal characters kept (8..64). 32 hex = 128 bits: collisions are
        negligible for any realistic number of workers.
    prefix : str, default=""
        Prepended to every pseudonym (e.g. ``"W"``), useful to tell pseudonyms apart.

    Examples
    --------
    >>> p = Pseudonymiser(b"0123456789abcdef-study-secret", length=12)
    >>> p("1850775123456") == p("1850775123456")
    True
    >>> p
    Pseudonymiser(key=<hidden>, length=12, prefix='')
    """

    def __init__(self, key: bytes | str, *, length: int = 32, prefix: str = "") -> None:
        self._key = _as_key(key)
        if not isinstance(length, int) or not 8 <= length <= 64:
            raise ValueError(f"length must be an int in [8, 64]; got {length!r}.")
        if not isinstance(prefix, str):
            raise TypeError(f"prefix must be a str; got {type(prefix).__name__}.")
        self.length = length
        self.prefix = prefix

    def __call__(self, value: Any) -> str:
        """Pseudonym of one identifier (converted to ``str`` and UTF-8 encoded)."""
        digest = hmac.new(self._key, str(value).encode("utf-8"), hashlib.sha256).hexdigest()
        return self.prefix + digest[: self.length]

    def many(self, values: Iterable[Any]) -> np.ndarray:
        """Pseudonyms of many identifiers; missing values stay missing (``None``)."""
        key = self._key
        out = []
        for v in values:
            if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
                out.append(None)
            else:
                d = hmac.new(key, str(v).encode("utf-8"), hashlib.sha256).hexdigest()
                out.append(self.prefix + d[: self.length])
        return np.array(out, dtype=object)

    def __repr__(self) -> str:
        return f"Pseudonymiser(key=<hidden>, length={self.length}, prefix={self.prefix!r})"

    def __reduce__(self) -> Any:
        raise TypeError(
            "Pseudonymiser cannot be pickled: its key must never be written anywhere. "
            "Pass the key again in the other process."
        )


def pseudonymise(
    values: Any,
    key: bytes | str | Pseudonymiser,
    *,
    length: int = 32,
    prefix: str = "",
) -> Any:
    """Replace identifiers by keyed pseudonyms (HMAC-SHA256).

    Parameters
    ----------
    values : str, sequence, numpy.ndarray, pandas.Series or pandas.DataFrame
        Identifiers (e.g. NIR/INS, company SIRET). For a DataFrame every column is pseudonymised.
    key : bytes, str or Pseudonymiser
        Secret key supplied by the caller (>= 16 bytes), never stored by irdp.
    length : int, default=32
        Hex characters kept (ignored when ``key`` is a :class:`Pseudonymiser`).
    prefix : str, default=""
        Prefix of every pseudonym (ignored when ``key`` is a :class:`Pseudonymiser`).

    Returns
    -------
    str, numpy.ndarray, pandas.Series or pandas.DataFrame
        Same shape and index as ``values``; missing values stay missing.

    Examples
    --------
    >>> import pandas as pd
    >>> key = b"a-32-byte-secret-for-this-study!"
    >>> s = pd.Series(["2840375123456", "1790212345678", "2840375123456"])
    >>> out = pseudonymise(s, key, length=16)
    >>> out[0] == out[2], out[0] != out[1], len(out[0])
    (True, True, 16)
    >>> pseudonymise("2840375123456", key, length=16) == pseudonymise(
    ...     "2840375123456", b"another-secret-key-of-this-study", length=16)
    False
    """
    p = key if isinstance(key, Pseudonymiser) else Pseudonymiser(key, length=length, prefix=prefix)
    if isinstance(values, pd.DataFrame):
        return values.apply(lambda col: pd.Series(p.many(col), index=col.index, dtype="str"))
    if isinstance(values, pd.Series):
        return pd.Series(p.many(values), index=values.index, name=values.name, dtype="str")
    if isinstance(values, str | bytes | int | np.integer):
        return p(values.decode() if isinstance(values, bytes) else values)
    if isinstance(values, np.ndarray | list | tuple):
        return p.many(np.asarray(values, dtype=object).ravel()).reshape(np.shape(values))
    raise TypeError(
        "values must be a str, a sequence, a NumPy array, a pandas Series or DataFrame; "
        f"got {type(values).__name__}."
    )
