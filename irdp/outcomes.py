"""Outcome containers: the one way outcomes travel through irdp.

Every model and every metric takes one of three containers, validated once on construction
(in the manner of scikit-survival's ``Surv``):

- :class:`Binary` — the event occurred within the horizon (0/1);
- :class:`Survival` — time to the event (inaptitude), right-censored;
- :class:`CompetingRisks` — time to the first of several causes (inaptitude versus
  retirement, death, other job loss); cause 0 means censored.

The three share one small API: ``len(y)``, ``y.kind``, ``y.n_events``, ``y.take(rows)``,
``y.to_frame()``, and ``y.index`` (the pandas index of the inputs, if any, kept so that
callers can check alignment). Timed outcomes add ``truncate(horizon)`` (administrative
censoring), ``known_at(horizon)`` and ``to_binary(horizon)``.

References
----------
.. [1] Pölsterl S. scikit-survival: A Library for Time-to-Event Analysis Built on Top of
   scikit-learn. JMLR 2020;21(212):1-6 (the structured outcome idea).
.. [2] Putter H, Fiocco M, Geskus RB. Tutorial in biostatistics: competing risks and
   multi-state models. Stat Med 2007;26:2389-2430.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd

from irdp._validation import as_1d_array, first_labels
from irdp.exceptions import IrdpWarning, OutcomeError

__all__ = ["Binary", "Survival", "CompetingRisks", "Outcome", "as_outcome"]


def _index_of(*values: Any) -> pd.Index | None:
    """Return the common pandas index of the inputs (error if they differ)."""
    index = None
    for v in values:
        if isinstance(v, pd.Series | pd.DataFrame):
            if index is None:
                index = v.index
            elif not index.equals(v.index):
                raise OutcomeError(
                    "the pandas inputs of an outcome have different indexes; irdp never aligns "
                    "silently. Reindex them explicitly, or pass NumPy arrays."
                )
    return index


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


def _check_time(time: Any, index: pd.Index | None) -> np.ndarray:
    t = as_1d_array(time, "time")
    bad = ~np.isfinite(t)
    if bad.any():
        raise OutcomeError(
            f"time must be finite for all rows; found {int(bad.sum())} missing or infinite "
            f"values (first labels: {first_labels(bad, index)}). Check the exit-date derivation."
        )
    neg = t < 0
    if neg.any():
        raise OutcomeError(
            f"time must be >= 0 for all rows; found {int(neg.sum())} rows with time < 0 "
            f"(first labels: {first_labels(neg, index)}). Check the exit-date derivation."
        )
    return t


def _check_codes(values: Any, name: str, index: pd.Index | None, allowed: str) -> np.ndarray:
    if isinstance(values, pd.Series) and values.dtype == bool:
        values = values.astype(int)
    raw = as_1d_array(values, name)
    bad = ~np.isfinite(raw)
    if bad.any():
        raise OutcomeError(
            f"{name} must not be missing; found {int(bad.sum())} missing values "
            f"(first labels: {first_labels(bad, index)})."
        )
    non_int = raw != np.round(raw)
    if non_int.any():
        raise OutcomeError(
            f"{name} must hold whole numbers ({allowed}); found {int(non_int.sum())} other values "
            f"(first labels: {first_labels(non_int, index)}, e.g. {raw[non_int][:3].tolist()})."
        )
    return raw.astype(np.int64)


class _OutcomeBase:
    """Shared behaviour of the outcome containers."""

    kind: str
    index: pd.Index | None

    def __len__(self) -> int:
        return len(self._primary())

    def _primary(self) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def n_events(self) -> int:
        """Number of events of interest."""
        return int(np.sum(self.event))  # type: ignore[attr-defined]

    def _take_index(self, rows: np.ndarray) -> pd.Index | None:
        return None if self.index is None else self.index[rows]

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        a, b = self.to_frame(), other.to_frame()  # type: ignore[attr-defined]
        return bool(a.reset_index(drop=True).equals(b.reset_index(drop=True)))

    __hash__ = None  # type: ignore[assignment]


class Binary(_OutcomeBase):
    """Binary outcome: the event occurred (1) or not (0) within the horizon.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        0/1 or boolean event indicator. Missing values are refused.
    horizon : float, optional
        The horizon the indicator refers to (documentation only; models and metrics that
        need it read it from here).

    Attributes
    ----------
    y : numpy.ndarray of shape (n_samples,), dtype int8
        Read-only event indicator.
    event : numpy.ndarray of shape (n_samples,), dtype bool
        Same as ``y``, as booleans (the name every container shares).
    index : pandas.Index or None
        Index of the input when it was a pandas object.

    Examples
    --------
    >>> from irdp.outcomes import Binary
    >>> y = Binary([0, 1, 0, 1])
    >>> len(y), y.n_events, y.prevalence
    (4, 2, 0.5)
    """

    kind: Literal["binary"] = "binary"

    def __init__(self, y: Any, *, horizon: float | None = None) -> None:
        self.index = _index_of(y)
        codes = _check_codes(y, "y", self.index, "0 or 1")
        bad = (codes != 0) & (codes != 1)
        if bad.any():
            raise OutcomeError(
                f"y must be coded 0 (no event) or 1 (event); found {int(bad.sum())} other values "
                f"(first labels: {first_labels(bad, self.index)}, e.g. {codes[bad][:3].tolist()})."
            )
        self.y = _frozen(codes.astype(np.int8))
        self.event = _frozen(codes.astype(bool))
        self.horizon = None if horizon is None else float(horizon)

    def _primary(self) -> np.ndarray:
        return self.y

    @property
    def prevalence(self) -> float:
        """Proportion of events."""
        return float(self.y.mean()) if len(self.y) else float("nan")

    def take(self, rows: Any) -> Binary:
        """Return the outcome restricted to ``rows`` (positions or boolean mask)."""
        rows = np.asarray(rows)
        out = Binary(self.y[rows], horizon=self.horizon)
        out.index = self._take_index(rows)
        return out

    def to_frame(self) -> pd.DataFrame:
        """Return the outcome as a DataFrame with column ``event``."""
        return pd.DataFrame({"event": self.y.astype(int)}, index=self.index)

    def __repr__(self) -> str:
        h = "" if self.horizon is None else f", horizon={self.horizon:g}"
        return f"Binary(n={len(self)}, events={self.n_events}{h})"


class _TimedBase(_OutcomeBase):
    time: np.ndarray

    def _primary(self) -> np.ndarray:
        return self.time

    @property
    def max_time(self) -> float:
        """Largest observed time (0 when empty)."""
        return float(self.time.max()) if len(self.time) else 0.0

    def known_at(self, horizon: float) -> np.ndarray:
        """Rows whose status at ``horizon`` is known (not censored before it).

        A row is known when it was followed event-free up to the horizon (time >= horizon;
        a censoring exactly at the horizon, as after :meth:`truncate`, counts as followed
        through it, ties placing events before censorings) or when an event of any cause
        occurred at or before it.
        """
        h = float(horizon)
        return (self.time >= h) | self._any_event()

    def _any_event(self) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    def _binary_at(
        self,
        horizon: float,
        censored: Literal["raise", "exclude", "nonevent"],
    ) -> Binary:
        h = float(horizon)
        if not np.isfinite(h) or h <= 0:
            raise ValueError(f"horizon must be a positive finite number; got {horizon!r}.")
        known = self.known_at(h)
        y = (self.event & (self.time <= h)).astype(int)  # type: ignore[attr-defined]
        n_unknown = int((~known).sum())
        if n_unknown and censored == "raise":
            raise OutcomeError(
                f"{n_unknown} rows are censored before the horizon {h:g} (first labels: "
                f"{first_labels(~known, self.index)}); their status at the horizon is unknown. "
                "Use censored='exclude' (and subset X with y.known_at(horizon)), or keep the "
                "timed outcome and a censoring-aware method."
            )
        if censored == "exclude":
            out = Binary(y[known], horizon=h)
            out.index = self._take_index(known)
            return out
        if censored == "nonevent":
            if n_unknown:
                warnings.warn(
                    f"{n_unknown} rows censored before the horizon are counted as non-events; "
                    "this biases risks downwards.",
                    IrdpWarning,
                    stacklevel=3,
                )
            out = Binary(y, horizon=h)
            out.index = self.index
            return out
        if censored != "raise":
            raise ValueError(
                f"censored must be one of 'raise', 'exclude', 'nonevent'; got {censored!r}."
            )
        out = Binary(y, horizon=h)
        out.index = self.index
        return out


class Survival(_TimedBase):
    """Right-censored time-to-event outcome (time to inaptitude).

    Parameters
    ----------
    time : array-like of shape (n_samples,)
        Follow-up time from the index date to the event or censoring, >= 0, in any unit
        (irdp's cohorts use days or years; horizons must use the same unit).
    event : array-like of shape (n_samples,)
        1/True if the event was observed at ``time``, 0/False if censored.

    Attributes
    ----------
    time : numpy.ndarray of float, read-only
    event : numpy.ndarray of bool, read-only
    index : pandas.Index or None

    Examples
    --------
    >>> from irdp.outcomes import Survival
    >>> y = Survival(time=[2.0, 5.0, 1.5, 7.0], event=[1, 0, 1, 0])
    >>> y.n_events, y.truncate(2.0).n_events
    (2, 2)
    >>> y.to_binary(3.0, censored="raise").y.tolist()
    [1, 0, 1, 0]
    """

    kind: Literal["survival"] = "survival"

    def __init__(self, time: Any, event: Any) -> None:
        self.index = _index_of(time, event)
        t = _check_time(time, self.index)
        e = _check_codes(event, "event", self.index, "0 = censored, 1 = event")
        if len(t) != len(e):
            raise OutcomeError(
                f"time and event must have the same length; got {len(t)} and {len(e)}."
            )
        bad = (e != 0) & (e != 1)
        if bad.any():
            raise OutcomeError(
                f"event must be coded 0 (censored) or 1 (event); found {int(bad.sum())} other "
                f"values (first labels: {first_labels(bad, self.index)}, e.g. "
                f"{e[bad][:3].tolist()}). For several causes use CompetingRisks."
            )
        self.time = _frozen(t)
        self.event = _frozen(e.astype(bool))

    def _any_event(self) -> np.ndarray:
        return self.event

    @classmethod
    def from_dataframe(cls, data: pd.DataFrame, *, time: str, event: str) -> Survival:
        """Build from two columns of a DataFrame (the index is kept)."""
        return cls(time=data[time], event=data[event])

    @classmethod
    def _checked(cls, time: np.ndarray, event: np.ndarray, index: pd.Index | None
                 ) -> Survival:
        """An outcome from arrays derived from a checked one (rows of it, or censored at a
        horizon): valid by construction, so not checked again (a bootstrap takes rows and
        truncates in every replicate)."""
        out = object.__new__(cls)
        out.index = index
        out.time = _frozen(np.asarray(time, dtype=float))
        out.event = _frozen(np.asarray(event, dtype=bool))
        return out

    def take(self, rows: Any) -> Survival:
        """Return the outcome restricted to ``rows`` (positions or boolean mask)."""
        rows = np.asarray(rows)
        return Survival._checked(self.time[rows], self.event[rows], self._take_index(rows))

    def truncate(self, horizon: float) -> Survival:
        """Censor administratively at ``horizon``: events after it become censored at it."""
        h = float(horizon)
        if h < 0:
            raise OutcomeError(f"horizon must be >= 0 to censor at it; got {horizon!r}.")
        beyond = self.time > h
        return Survival._checked(np.where(beyond, h, self.time), self.event & ~beyond,
                                 self.index)

    def to_binary(
        self,
        horizon: float,
        *,
        censored: Literal["raise", "exclude", "nonevent"] = "raise",
    ) -> Binary:
        """Event by ``horizon`` as a :class:`Binary`.

        Parameters
        ----------
        horizon : float
            Time at which the status is read (same unit as ``time``).
        censored : {"raise", "exclude", "nonevent"}, default="raise"
            What to do with rows censored before the horizon, whose status is unknown:
            raise an error; drop them (subset ``X`` with ``y.known_at(horizon)``); or count
            them as non-events (biased; a warning says how many).

        Returns
        -------
        Binary
        """
        return self._binary_at(horizon, censored)

    def to_frame(self) -> pd.DataFrame:
        """Return the outcome as a DataFrame with columns ``time`` and ``event``."""
        return pd.DataFrame({"time": self.time, "event": self.event.astype(int)}, index=self.index)

    def __repr__(self) -> str:
        return f"Survival(n={len(self)}, events={self.n_events}, max_time={self.max_time:g})"


class CompetingRisks(_TimedBase):
    """Time to the first of several competing events.

    Parameters
    ----------
    time : array-like of shape (n_samples,)
        Follow-up time, >= 0.
    cause : array-like of shape (n_samples,)
        0 = censored, 1, 2, ... = the cause that ended follow-up (e.g. 1 inaptitude,
        2 retirement, 3 death, 4 other job loss).
    event_of_interest : int, default=1
        The cause the index predicts.

    Attributes
    ----------
    time : numpy.ndarray of float, read-only
    cause : numpy.ndarray of int, read-only
    event : numpy.ndarray of bool, read-only
        ``cause == event_of_interest``.
    competing : numpy.ndarray of bool, read-only
        A cause other than the event of interest.
    causes : tuple of int
        The non-zero causes present.

    Examples
    --------
    >>> from irdp.outcomes import CompetingRisks
    >>> y = CompetingRisks(time=[1.0, 2.0, 3.0, 4.0], cause=[1, 2, 0, 1])
    >>> y.n_events, y.n_competing, y.causes
    (2, 1, (1, 2))
    >>> y.to_binary(2.5, censored="raise").y.tolist()
    [1, 0, 0, 0]
    """

    kind: Literal["competing"] = "competing"

    def __init__(self, time: Any, cause: Any, event_of_interest: int = 1) -> None:
        self.index = _index_of(time, cause)
        t = _check_time(time, self.index)
        c = _check_codes(cause, "cause", self.index, "0 = censored, 1, 2, ... = causes")
        if len(t) != len(c):
            raise OutcomeError(
                f"time and cause must have the same length; got {len(t)} and {len(c)}."
            )
        neg = c < 0
        if neg.any():
            raise OutcomeError(
                f"cause must be 0 (censored) or a positive cause code; found {int(neg.sum())} "
                f"negative values (first labels: {first_labels(neg, self.index)})."
            )
        if isinstance(event_of_interest, bool) or int(event_of_interest) != event_of_interest:
            raise TypeError(f"event_of_interest must be an int; got {event_of_interest!r}.")
        if event_of_interest < 1:
            raise ValueError(
                f"event_of_interest must be a positive cause code; got {event_of_interest}."
            )
        self.event_of_interest = int(event_of_interest)
        self.time = _frozen(t)
        self.cause = _frozen(c)
        self.event = _frozen(c == self.event_of_interest)
        self.competing = _frozen((c != 0) & (c != self.event_of_interest))

    @property
    def causes(self) -> tuple[int, ...]:
        """Non-zero causes present in the data, sorted."""
        return tuple(int(k) for k in np.unique(self.cause) if k != 0)

    @property
    def n_competing(self) -> int:
        """Number of competing events."""
        return int(self.competing.sum())

    def _any_event(self) -> np.ndarray:
        return self.cause != 0

    @classmethod
    def from_dataframe(
        cls, data: pd.DataFrame, *, time: str, cause: str, event_of_interest: int = 1
    ) -> CompetingRisks:
        """Build from two columns of a DataFrame (the index is kept)."""
        return cls(time=data[time], cause=data[cause], event_of_interest=event_of_interest)

    def take(self, rows: Any) -> CompetingRisks:
        """Return the outcome restricted to ``rows`` (positions or boolean mask)."""
        rows = np.asarray(rows)
        out = CompetingRisks(self.time[rows], self.cause[rows], self.event_of_interest)
        out.index = self._take_index(rows)
        return out

    def truncate(self, horizon: float) -> CompetingRisks:
        """Censor administratively at ``horizon``: any event after it becomes censored at it."""
        h = float(horizon)
        beyond = self.time > h
        out = CompetingRisks(
            np.where(beyond, h, self.time), np.where(beyond, 0, self.cause), self.event_of_interest
        )
        out.index = self.index
        return out

    def to_survival(self, *, cause: int | None = None) -> Survival:
        """Cause-specific view: the chosen cause is the event, other causes are censored.

        This is right for cause-specific hazards; it is *not* a valid way to estimate the
        cumulative incidence (1 - Kaplan-Meier overestimates it in the presence of
        competing events).
        """
        k = self.event_of_interest if cause is None else int(cause)
        out = Survival(self.time, self.cause == k)
        out.index = self.index
        return out

    def with_event_of_interest(self, cause: int) -> CompetingRisks:
        """Return the same data with another cause of interest."""
        out = CompetingRisks(self.time, self.cause, cause)
        out.index = self.index
        return out

    def to_binary(
        self,
        horizon: float,
        *,
        censored: Literal["raise", "exclude", "nonevent"] = "raise",
    ) -> Binary:
        """Event of interest by ``horizon`` as a :class:`Binary`.

        A competing event before the horizon is a known non-event (0); rows censored before
        the horizon are handled as in :meth:`Survival.to_binary`.
        """
        return self._binary_at(horizon, censored)

    def to_frame(self) -> pd.DataFrame:
        """Return the outcome as a DataFrame with columns ``time`` and ``cause``."""
        return pd.DataFrame({"time": self.time, "cause": self.cause}, index=self.index)

    def __repr__(self) -> str:
        return (
            f"CompetingRisks(n={len(self)}, events={self.n_events}, "
            f"competing={self.n_competing}, event_of_interest={self.event_of_interest})"
        )


Outcome = Binary | Survival | CompetingRisks


def as_outcome(y: Any) -> Binary | Survival | CompetingRisks:
    """Return ``y`` if it is an outcome container, else wrap a 0/1 vector in :class:`Binary`.

    Timed outcomes must be built explicitly (a bare array cannot say what its times mean).
    """
    if isinstance(y, Binary | Survival | CompetingRisks):
        return y
    if isinstance(y, pd.DataFrame) and y.shape[1] > 1:
        raise TypeError(
            "y is a DataFrame with several columns; build the outcome explicitly with "
            "Survival.from_dataframe(...) or CompetingRisks.from_dataframe(...)."
        )
    return Binary(y)
