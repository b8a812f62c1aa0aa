"""Seeded competing-risks data for the cmprsk::crr / cuminc fixture (writes data_fg.csv)."""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20240604)
n = 400
x1 = rng.normal(0, 1, n)
x2 = rng.integers(0, 2, n)
t1 = rng.exponential(1 / (0.3 * np.exp(0.5 * x1 + 0.4 * x2)))
t2 = rng.exponential(1 / (0.2 * np.exp(-0.3 * x1)))
c = rng.uniform(0, 6, n)
time = np.minimum.reduce([t1, t2, c])
cause = np.select([t1 == time, t2 == time], [1, 2], 0)
time = np.ceil(time * 20) / 20  # some ties
pd.DataFrame({"time": time, "cause": cause, "x1": x1.round(6), "x2": x2}).to_csv(
    Path(__file__).with_name("data_fg.csv"), index=False)
