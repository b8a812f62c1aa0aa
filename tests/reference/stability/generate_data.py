"""Seeded synthetic data for the stability and calibration-across-centres references.

Run from this folder: ``python generate_data.py`` (writes the CSV files), then
``Rscript reference.R`` (writes values.json). Synthetic data only.

- ``predictions.csv``: an original-model risk ``p0`` and 25 bootstrap-model risks ``b1..b25``
  for 40 workers, rounded to 3 decimals so that risks are tied between workers and some
  equal the thresholds 0.2 and 0.4 exactly (where pminternal's ``p > t`` and irdp's
  ``p >= t`` classification rules differ).
- ``clusters.csv``: 10 centres (one with 60 workers), predicted risk ``p`` rounded to 2
  decimals (many ties), outcome ``y`` from a miscalibrated model with a random centre
  intercept (SD 0.5), integer prior weights ``w`` in 1..3.
- ``clusters_flat.csv``: the same design without centre effect (singular random-effect fit).
- ``grid.csv``: 20 predicted risks where the curves are evaluated.
"""

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def predictions(rng: np.random.Generator) -> pd.DataFrame:
    n, b = 40, 25
    p0 = np.round(rng.uniform(0.02, 0.6, n), 3)
    p0[5] = p0[6] = p0[7]  # tied original risks
    p0[10], p0[11] = 0.2, 0.4  # original risks on the thresholds
    noise = rng.normal(0, 0.05, (n, b)) * (0.3 + p0[:, None])
    boot = np.clip(np.round(p0[:, None] + noise, 3), 0.001, 0.999)
    boot[12, :5] = 0.2
    boot[13, 3:9] = 0.4
    out = pd.DataFrame(boot, columns=[f"b{i + 1}" for i in range(b)])
    out.insert(0, "p0", p0)
    return out


def clusters(rng: np.random.Generator, sd: float) -> pd.DataFrame:
    sizes = np.array([60, 150, 220, 300, 180, 260, 400, 120, 240, 200])
    cl = np.repeat(np.arange(len(sizes)), sizes)
    p = np.round(rng.beta(2, 6, len(cl)), 2).clip(0.01, 0.95)
    u = rng.normal(0, sd, len(sizes))
    lp = np.log(p / (1 - p))
    eta = 0.2 + 0.85 * lp + 0.15 * np.maximum(lp + 1, 0) ** 2 + u[cl]
    y = (rng.random(len(cl)) < 1 / (1 + np.exp(-eta))).astype(int)
    w = rng.integers(1, 4, len(cl))
    return pd.DataFrame({"p": p, "y": y, "cluster": [f"C{c:02d}" for c in cl], "w": w})


if __name__ == "__main__":
    rng = np.random.default_rng(20240601)
    predictions(rng).to_csv(HERE / "predictions.csv", index=False)
    clusters(rng, 0.5).to_csv(HERE / "clusters.csv", index=False)
    clusters(rng, 0.0).to_csv(HERE / "clusters_flat.csv", index=False)
    pd.DataFrame({"grid": np.round(np.linspace(0.05, 0.6, 20), 6)}).to_csv(
        HERE / "grid.csv", index=False)
