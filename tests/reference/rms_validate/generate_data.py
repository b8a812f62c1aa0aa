"""Seeded data for the rms::validate reference (python generate_data.py writes the CSVs)."""

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def main() -> None:
    rng = np.random.default_rng(20240601)
    n = 300
    X = rng.normal(size=(n, 5))
    beta = np.array([0.8, -0.5, 0.3, 0.0, 0.0])
    eta = -1.0 + X @ beta
    y = rng.binomial(1, 1 / (1 + np.exp(-eta)))
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(1, 6)])
    df["y"] = y
    df.to_csv(HERE / "binary.csv", index=False)
    # Survival: exponential event times, uniform censoring.
    t = rng.exponential(1 / (0.15 * np.exp(X @ beta)))
    c = rng.uniform(2, 12, size=n)
    ds = pd.DataFrame(X, columns=[f"x{i}" for i in range(1, 6)])
    ds["time"] = np.round(np.minimum(t, c), 4)
    ds["event"] = (t <= c).astype(int)
    ds.to_csv(HERE / "survival.csv", index=False)


if __name__ == "__main__":
    main()
