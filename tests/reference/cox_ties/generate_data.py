"""Seeded data for the heavy-ties Cox fixture (run once; writes data_ties.csv, data_tiny.csv).

Follow-up recorded in whole periods (1 to 6), so that most event times are shared by many
workers and events and censorings share times; ``g`` is binary, so risks are tied too. A
tiny sample (12 rows) keeps the Efron correction large.
"""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20240602)
here = Path(__file__).parent


def make(n: int, seed_shift: int) -> pd.DataFrame:
    r = np.random.default_rng(20240602 + seed_shift)
    x = r.normal(0, 1, n).round(4)
    g = r.integers(0, 2, n)
    lam = 0.35 * np.exp(0.7 * x + 0.8 * g)
    t = r.exponential(1 / lam)
    c = r.uniform(0.5, 7.0, n)
    time = np.minimum(np.ceil(np.minimum(t, c)), 6.0)
    event = ((t <= c) & (np.ceil(t) <= 6)).astype(int)
    w = r.integers(1, 4, n)
    s = r.choice(["a", "b"], n)
    return pd.DataFrame({"time": time, "event": event, "x": x, "g": g, "w": w, "s": s})


make(80, 0).to_csv(here / "data_ties.csv", index=False)
make(12, 1).to_csv(here / "data_tiny.csv", index=False)
