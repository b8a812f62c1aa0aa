"""Identifiers in published outputs: NIR/INS-shaped values and the extract's own identifiers.

:func:`find_identifiers` scans text for values shaped like a French social-security number
(NIR, also the matricule of the INS, *identifiant national de santé*; NIA for people born
abroad) whose control key is valid, and for any value of a given set of extract identifiers
(worker, company, employment, visit ids, or their pseudonyms). Findings give the position
only: an identifier is never quoted, in a finding or in an error message.

References
----------
INSEE, « Numéro d'inscription au répertoire (NIR) »: 13 characters (sex, year and month of
birth, département, commune, order number) and a key ``97 - (NIR mod 97)``, Corsica's 2A/2B
read as 19/18. ANS, « Référentiel identifiant national de santé » v2 (the INS matricule is the
NIR or the NIA).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = ["IdentifierHit", "find_identifiers", "is_nir", "nir_key_valid"]

# sex 1/2 (3/4 foreign-born temporary, 7/8 NIA), year, month (01-12, 20, 30-42, 50-99 are
# allowed for unknown months), departement (2 digits, 2A/2B, or 3 for overseas), commune, order
_NIR = re.compile(
    # not inside a word, and not the decimals of a number (0.1850578006084...: a float
    # printed with 17 significant digits in a JSON file is not an identifier)
    r"(?<![0-9A-Za-z])(?<![0-9][.,])"
    r"(?P<sex>[1-478])[ .]?(?P<yy>\d{2})[ .]?(?P<mm>0[1-9]|1[0-2]|20|3\d|4[0-2]|[5-9]\d)[ .]?"
    r"(?P<dep>\d{2}|2[ABab])[ .]?(?P<com>\d{3})[ .]?(?P<ord>\d{3})"
    r"(?:[ .]?(?P<key>\d{2}))?"
    r"(?![0-9A-Za-z])"
)
#: A token of published text: letters, digits, ``_`` and ``-``; a decimal number such as
#: ``0.9000000001`` is one token (its digits after the point never match an identifier).
_TOKEN = re.compile(r"[A-Za-z0-9_\-]+(?:\.[0-9]+)*")
_WORD = "A-Za-z0-9_\\-"


def nir_key_valid(digits13: str, key: str) -> bool:
    """True when ``key`` is the control key of the 13-character NIR ``digits13``.

    Examples
    --------
    >>> nir_key_valid("1850578006084", "36")
    False
    >>> nir_key_valid("1850578006084", f"{97 - 1850578006084 % 97:02d}")
    True
    """
    body = digits13.upper().replace("2A", "19").replace("2B", "18")
    if not body.isdigit() or len(body) != 13 or not key.isdigit():
        return False
    return 97 - int(body) % 97 == int(key)


def is_nir(value: str, *, require_key: bool = True) -> bool:
    """True when the whole of ``value`` is shaped like a NIR/NIA (spaces allowed).

    Examples
    --------
    >>> is_nir("1 85 05 78 006 084 " + f"{97 - 1850578006084 % 97:02d}")
    True
    >>> is_nir("1850578006084")
    False
    >>> is_nir("1850578006084", require_key=False)
    True
    """
    hit = _NIR.fullmatch(value.strip())
    if hit is None:
        return False
    return _accept(hit, require_key)


def _accept(hit: re.Match[str], require_key: bool) -> bool:
    body = "".join(hit.group(g) for g in ("sex", "yy", "mm", "dep", "com", "ord"))
    if hit.group("com") == "000" or hit.group("ord") == "000":
        return False
    if hit.group("key") is None:
        return not require_key
    return nir_key_valid(body, hit.group("key"))


@dataclass(frozen=True)
class IdentifierHit:
    """Position of an identifier in a text (line and column, 1-based) and its kind:
    ``nir`` (NIR/INS-shaped with a valid key, or without key with ``require_key=False``) or
    ``extract`` (a value of the given identifier set). The value itself is not kept
    (``length`` characters from ``column`` on the line hold it)."""

    line: int
    column: int
    kind: str
    length: int = 0


def _lines(text: str) -> Iterator[tuple[int, str]]:
    yield from enumerate(text.splitlines(), start=1)


def find_identifiers(
    text: str,
    identifiers: Iterable[str] = (),
    *,
    require_key: bool = True,
    max_hits: int = 50,
    nir: bool = True,
) -> list[IdentifierHit]:
    """Positions of identifier values in ``text``.

    Parameters
    ----------
    text : str
        Text of a published file.
    identifiers : iterable of str, default=()
        Identifier values of the extract (or their pseudonyms), matched as whole tokens made
        of letters, digits, ``_`` and ``-`` (so a base64-embedded image is one long token and
        cannot match by chance).
    require_key : bool, default=True
        Report NIR-shaped numbers only with a valid control key (13-digit numbers without a
        key are reported with ``False``).
    max_hits : int, default=50
        Stop after this many.
    nir : bool, default=True
        Also look for NIR/INS-shaped values (``False``: the extract's identifiers only).

    Notes
    -----
    An identifier value that is not a single token (with a space or a ``/``, say) is searched
    as a whole word.

    Returns
    -------
    list of IdentifierHit

    Examples
    --------
    >>> nir = "2 90 01 33 123 456 " + f"{97 - 2900133123456 % 97:02d}"
    >>> [(h.line, h.kind) for h in find_identifiers(f"group,n\\nA,12\\n{nir},40\\n")]
    [(3, 'nir')]
    >>> [h.kind for h in find_identifiers("W00017 W00018", {"W00018"})]
    ['extract']
    >>> find_identifiers(f"risk 0.{nir.replace(' ', '')}1")  # decimals of a number
    []
    """
    ids = {str(i) for i in identifiers if i is not None and str(i) != ""}
    plain = {i for i in ids if _TOKEN.fullmatch(i)}
    other = sorted(ids - plain)
    words = re.compile("|".join(f"(?<![{_WORD}]){re.escape(i)}(?![{_WORD}])" for i in other)) \
        if other else None
    hits: list[IdentifierHit] = []
    for n, line in _lines(text):
        found: list[IdentifierHit] = []
        if nir:
            found += [IdentifierHit(n, h.start() + 1, "nir", h.end() - h.start())
                      for h in _NIR.finditer(line) if _accept(h, require_key)]
        if plain:
            found += [IdentifierHit(n, t.start() + 1, "extract", t.end() - t.start())
                      for t in _TOKEN.finditer(line) if t.group(0) in plain]
        if words is not None:
            found += [IdentifierHit(n, w.start() + 1, "extract", w.end() - w.start())
                      for w in words.finditer(line)]
        for h in sorted(found, key=lambda h: h.column):
            hits.append(h)
            if len(hits) >= max_hits:
                return hits
    return hits
