"""Seeded competing-risks data without ties for the riskRegression::CSC fixture."""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20240605)
n = 300
x1 = rng.normal(0, 1, n)
x2 = rng.integers(0, 2, n)
t1 = rng.exponential(1 / (0.3 * np.exp(0.6 * x1 + 0.5 * x2)))
t2 = rng.exponential(1 / (0.25 * np.exp(-0.4 * x1 + 0.2 * x2)))
c = rng.uniform(0, 5, n)
time = np.minimum.reduce([t1, t2, c])
cause = np.select([t1 == time, t2 == time], [1, 2], 0)
pd.DataFrame({"time": time.round(8), "cause": cause, "x1": x1.round(6), "x2": x2}).to_csv(
    Path(__file__).with_name("data_csc.csv"), index=False)
