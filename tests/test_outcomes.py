"""Outcome containers: validation, views, horizon helpers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from irdp.exceptions import IrdpWarning, OutcomeError
from irdp.outcomes import Binary, CompetingRisks, Survival, as_outcome


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (lambda: Binary([0, 1, 2]), "coded 0 .* or 1"),
        (lambda: Binary([0, np.nan]), "must not be missing"),
        (lambda: Binary([0, 0.5]), "whole numbers"),
        (lambda: Survival([1.0, -2.0], [1, 0]), r"time must be >= 0 .* 1 rows"),
        (lambda: Survival([1.0, np.nan], [1, 0]), "time must be finite"),
        (lambda: Survival([1.0, 2.0], [1, 2]), "For several causes use CompetingRisks"),
        (lambda: Survival([1.0, 2.0, 3.0], [1, 0]), "same length"),
        (lambda: CompetingRisks([1.0, 2.0], [1, -1]), "negative values"),
        (
            lambda: Survival(pd.Series([1.0, 2.0], index=[1, 2]), pd.Series([1, 0], index=[2, 1])),
            "different indexes",
        ),
    ],
)
def test_bad_input_is_refused(factory, match):
    with pytest.raises(OutcomeError, match=match):
        factory()


def test_error_names_first_labels():
    t = pd.Series([1.0, -1.0, 3.0, -4.0], index=["a", "b", "c", "d"])
    with pytest.raises(OutcomeError, match=r"2 rows .*\['b', 'd'\]"):
        Survival(t, [1, 0, 1, 0])


def test_inputs_are_copied_and_read_only():
    t = np.array([1.0, 2.0])
    y = Survival(t, [1, 0])
    t[0] = 99.0
    assert y.time[0] == 1.0
    with pytest.raises(ValueError, match="read-only"):
        y.time[0] = 3.0


def test_binary_basics():
    y = Binary(pd.Series([True, False, True], index=[10, 11, 12]))
    assert len(y) == 3
    assert y.n_events == 2
    assert y.index.tolist() == [10, 11, 12]
    assert y.take([0, 2]).index.tolist() == [10, 12]
    assert "events=2" in repr(y)


def test_survival_truncate_and_binary():
    y = Survival(time=[1.0, 3.0, 2.0, 5.0, 3.0], event=[1, 1, 0, 0, 0])
    tr = y.truncate(2.5)
    assert tr.time.tolist() == [1.0, 2.5, 2.0, 2.5, 2.5]
    assert tr.event.tolist() == [True, False, False, False, False]
    assert y.known_at(2.5).tolist() == [True, True, False, True, True]
    with pytest.raises(OutcomeError, match="1 rows are censored before the horizon"):
        y.to_binary(2.5)
    ex = y.to_binary(2.5, censored="exclude")
    assert ex.y.tolist() == [1, 0, 0, 0]
    with pytest.warns(IrdpWarning, match="counted as non-events"):
        ne = y.to_binary(2.5, censored="nonevent")
    assert ne.y.tolist() == [1, 0, 0, 0, 0]


def test_event_on_horizon_day_counts():
    y = Survival(time=[365.0, 365.0, 364.0], event=[1, 0, 0])
    # an event on the horizon day is an event; a censoring on that day means followed
    # event-free through the horizon; a censoring the day before is unknown
    assert y.known_at(365.0).tolist() == [True, True, False]
    assert y.to_binary(365.0, censored="exclude").y.tolist() == [1, 0]


def test_truncate_then_binary_is_consistent():
    y = Survival(time=[1.0, 3.0, 5.0, 2.0], event=[1, 1, 0, 0])
    b = y.truncate(2.5).to_binary(2.5, censored="exclude")
    assert b.y.tolist() == [1, 0, 0]
    assert y.truncate(2.5).known_at(2.5).tolist() == y.known_at(2.5).tolist()


def test_competing_risks_views():
    y = CompetingRisks(time=[1.0, 2.0, 3.0, 4.0, 0.5], cause=[1, 2, 0, 1, 3])
    assert y.causes == (1, 2, 3)
    assert y.n_events == 2
    assert y.n_competing == 2
    b = y.to_binary(2.5, censored="raise")
    assert b.y.tolist() == [1, 0, 0, 0, 0]
    cs = y.to_survival()
    assert cs.event.tolist() == [True, False, False, True, False]
    assert y.with_event_of_interest(2).n_events == 1
    tr = y.truncate(1.5)
    assert tr.cause.tolist() == [1, 0, 0, 0, 3]


def test_equality_and_as_outcome():
    a = Survival([1.0, 2.0], [1, 0])
    assert a == Survival([1.0, 2.0], [True, False])
    assert a != Survival([1.0, 2.0], [0, 0])
    assert isinstance(as_outcome([0, 1]), Binary)
    assert as_outcome(a) is a
    with pytest.raises(TypeError, match="build the outcome explicitly"):
        as_outcome(pd.DataFrame({"t": [1.0], "e": [1]}))
