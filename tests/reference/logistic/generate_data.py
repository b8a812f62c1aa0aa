"""Seeded data for the glm binomial reference fixture (writes data_logistic.csv)."""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20240602)
n = 500
age = rng.normal(48, 9, n).round(2)
sex = rng.choice(["F", "M"], n)
job = rng.choice(["ouvrier", "employe", "cadre"], n, p=[0.4, 0.4, 0.2])
absence = rng.poisson(5, n)
eta = -2 + 0.04 * (age - 48) + 0.4 * (sex == "F") + np.select(
    [job == "ouvrier", job == "cadre"], [0.6, -0.5], 0.0) + 0.08 * absence
y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
w = rng.integers(1, 3, n)
pd.DataFrame({"y": y, "age": age, "sex": sex, "job": job, "absence": absence, "w": w}).to_csv(
    Path(__file__).with_name("data_logistic.csv"), index=False)
