"""Seeded data with tied event and censoring times for the IPCW standard errors (run once;
writes survival.csv, competing.csv, tiny.csv).

Times are whole periods (1 to 8), so events and censorings share times; risks are rounded
to 2 decimals, so risks are tied too; ``tiny.csv`` has 16 rows."""

from pathlib import Path

import numpy as np
import pandas as pd

here = Path(__file__).parent


def make(n: int, seed: int, causes: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    lam = 0.15 * np.exp(0.8 * x)
    t1 = rng.exponential(1 / lam)
    t2 = rng.exponential(1 / 0.08, n) if causes == 2 else np.full(n, np.inf)
    c = rng.uniform(0.5, 9.0, n)
    t = np.minimum.reduce([t1, t2, c])
    time = np.ceil(t)
    status = np.select([t1 == t, t2 == t], [1, 2], 0)
    risk = np.clip(1 - np.exp(-0.15 * np.exp(0.8 * x) * 4), 0.01, 0.99).round(2)
    return pd.DataFrame({"time": time, "status": status, "risk": risk})


make(120, 20240605, 1).to_csv(here / "survival.csv", index=False)
make(150, 20240606, 2).to_csv(here / "competing.csv", index=False)
make(16, 20240607, 1).to_csv(here / "tiny.csv", index=False)
