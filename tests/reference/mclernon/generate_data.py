"""Synthetic stand-in for the McLernon et al. 2023 data (run once; writes data_dev.csv and
data_val.csv). Same variables as the Rotterdam/GBSG recipe (csize, nodes2, nodes3, grade3),
follow-up recorded in days then expressed in years (many tied times, events and censorings
sharing days), administratively censored at 5 years. Real Rotterdam/GBSG data are never
committed (see export_data.R)."""

from pathlib import Path

import numpy as np
import pandas as pd

here = Path(__file__).parent


def rcs3(x: np.ndarray, knots=(0.0, 1.0, 9.0)) -> np.ndarray:
    """Hmisc::rcspline.eval(x, knots = c(0, 1, 9)) non-linear term (norm = 2)."""
    k1, k2, k3 = knots
    kd = (k3 - k1) ** (2 / 3)

    def c(v):
        return np.maximum(v / kd, 0) ** 3

    return c(x - k1) + ((k2 - k1) * c(x - k3) - (k3 - k1) * c(x - k2)) / (k3 - k2)


def make(n: int, seed: int, shift: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    csize = rng.choice(["<=20", "20-50", ">50"], n, p=[0.45, 0.45, 0.10])
    nodes2 = np.minimum(rng.poisson(rng.choice([0.2, 4.0], n, p=[0.5, 0.5])), 19).astype(float)
    nodes3 = rcs3(nodes2)
    grade3 = rng.choice(["1-2", "3"], n, p=[0.3, 0.7])
    lp = (0.35 * (csize == "20-50") + 0.6 * (csize == ">50") + 0.3 * nodes2 - 0.8 * nodes3
          + 0.35 * (grade3 == "3"))
    t = rng.weibull(1.2, n) / (0.1 * np.exp(lp + shift)) ** (1 / 1.2)
    c = rng.uniform(1, 9, n)
    days = np.ceil(np.minimum(t, c) * 365.25 / 30) * 30  # recorded to the month: ties
    ryear = np.minimum(days / 365.25, 5.0)
    rfs = ((t <= c) & (days / 365.25 <= 5.0)).astype(int)
    return pd.DataFrame({"ryear": ryear.round(10), "rfs": rfs, "csize": csize,
                         "nodes2": nodes2, "nodes3": nodes3.round(10), "grade3": grade3})


make(1500, 20240603, 0.0).to_csv(here / "data_dev.csv", index=False)
make(600, 20240604, 0.1).to_csv(here / "data_val.csv", index=False)
