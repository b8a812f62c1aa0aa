"""Seeded data for the coxph reference fixture (run once; writes data_cox.csv)."""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20240601)
n = 300
x1 = rng.normal(0, 1, n)
x2 = rng.integers(0, 2, n)
x3 = rng.normal(40, 10, n)
s = rng.choice(["a", "b", "c"], n)
lam = np.exp(0.6 * x1 - 0.4 * x2 + 0.02 * (x3 - 40) + np.where(s == "b", 0.5, 0.0))
t = rng.exponential(1 / lam)
c = rng.exponential(1.5, n)
time = np.ceil(np.minimum(t, c) * 10) / 10  # rounded: many tied times
event = (t <= c).astype(int)
w = rng.integers(1, 4, n)
pd.DataFrame({"time": time, "event": event, "x1": x1.round(6), "x2": x2, "x3": x3.round(6),
              "s": s, "w": w}).to_csv(Path(__file__).with_name("data_cox.csv"), index=False)
