"""Seeded synthetic data for the display tests (no real data, no pyplot)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from irdp.outcomes import Binary, CompetingRisks, Survival


def window_extents(fig):
    """Draw the figure on an Agg canvas and return its renderer (pixel extents)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def legends_of(fig):
    """Every legend of a figure (axes legends and figure legends)."""
    out = list(fig.legends)
    out += [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    return out


def assert_legends_outside_data(fig):
    """No legend overlaps the data area of any axes (a legend must not hide a point)."""
    renderer = window_extents(fig)
    for legend in legends_of(fig):
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            area = ax.get_window_extent(renderer)
            assert not box.overlaps(area), (legend, ax)


@pytest.fixture
def legends_outside_data():
    """The check that no legend overlaps the data area of any axes of a figure."""
    return assert_legends_outside_data


@pytest.fixture
def binary_data():
    """A rare binary outcome (about 3 %) with a calibrated risk."""
    rng = np.random.default_rng(11)
    n = 4000
    x = rng.normal(size=n)
    p = 1 / (1 + np.exp(-(-3.8 + 0.9 * x)))
    return Binary(rng.random(n) < p), p


@pytest.fixture
def competing_data():
    """Competing risks in days, with three risk levels."""
    rng = np.random.default_rng(12)
    n = 3000
    x = rng.normal(size=n)
    t = rng.exponential(1 / (0.0005 * np.exp(x)))
    c = rng.uniform(100, 2500, n)
    cause = np.where(t <= c, np.where(rng.random(n) < 0.7, 1, 2), 0)
    risk = 1 - np.exp(-0.0005 * np.exp(x) * 730)
    level = np.where(risk > 0.6, "forte", np.where(risk > 0.25, "intermédiaire", "faible"))
    return CompetingRisks(np.minimum(t, c), cause), level


@pytest.fixture
def survival_data():
    rng = np.random.default_rng(4)
    x = rng.normal(size=300)
    t = rng.exponential(1 / (0.5 * np.exp(x)))
    c = rng.exponential(3.0, 300)
    risk = 1 - np.exp(-0.5 * np.exp(x))
    return Survival(np.minimum(t, c), t <= c), risk


@pytest.fixture
def centres_frame():
    """Eight centres with their own baseline risk (for IECV and meta-analysis)."""
    rng = np.random.default_rng(3)
    rows = []
    for k in range(8):
        a = -1.2 + rng.normal(0, 0.6)
        x = rng.normal(size=(300, 2))
        eta = a + x[:, 0] + 0.5 * x[:, 1]
        y = rng.random(300) < 1 / (1 + np.exp(-eta))
        rows.append(pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "y": y.astype(int),
                                  "centre": f"S{k + 1:03d}"}))
    return pd.concat(rows, ignore_index=True)
