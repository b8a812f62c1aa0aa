"""Shared fixtures: everything is synthetic and seeded."""

from __future__ import annotations

import numpy as np
import pytest

SEED = 20240601


@pytest.fixture
def rng() -> np.random.Generator:
    """A freshly seeded generator for each test."""
    return np.random.default_rng(SEED)
