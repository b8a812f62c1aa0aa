"""Seeded synthetic validation data sets for the metrics reference fixtures.

Writes ``binary.csv``, ``survival.csv`` and ``competing.csv`` next to this file. Times and
risks are rounded so that the data contain tied times (events with events, events with
censorings) and tied risks. Run from the repository root:
``/work/venv/bin/python tests/reference/metrics_data/generate_data.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
SEED = 20240601
N = 400


def make_binary(rng: np.random.Generator) -> pd.DataFrame:
    x = rng.normal(size=N)
    lp_true = -1.0 + 1.0 * x
    y = rng.random(N) < 1 / (1 + np.exp(-lp_true))
    # a miscalibrated index (slope 1.3, offset +0.2), rounded to create tied risks
    p = np.round(1 / (1 + np.exp(-(-0.8 + 1.3 * x))), 2)
    p2 = np.round(1 / (1 + np.exp(-(-1.0 + 0.6 * x + 0.8 * rng.normal(size=N)))), 2)
    p = np.clip(p, 0.01, 0.99)
    p2 = np.clip(p2, 0.01, 0.99)
    return pd.DataFrame({"y": y.astype(int), "p": p, "p2": p2})


def make_survival(rng: np.random.Generator) -> pd.DataFrame:
    x = rng.normal(size=N)
    shape, scale = 1.2, 8.0
    t = scale * (-np.log(rng.random(N)) * np.exp(-0.8 * x)) ** (1 / shape)
    c = np.minimum(rng.uniform(1, 12, N), 10.0)
    time = np.round(np.minimum(t, c), 1)
    time = np.maximum(time, 0.1)
    event = (t <= c).astype(int)
    # predicted risk by 5 from a slightly wrong Weibull model, rounded (tied risks)
    h5 = (5.0 / 7.0) ** shape * np.exp(0.9 * x)
    risk5 = np.round(1 - np.exp(-h5), 3)
    risk5 = np.clip(risk5, 0.001, 0.999)
    return pd.DataFrame({"time": time, "event": event, "risk5": risk5, "lp": np.round(0.9 * x, 3)})


def make_competing(rng: np.random.Generator) -> pd.DataFrame:
    x = rng.normal(size=N)
    h1 = 0.06 * np.exp(0.7 * x)
    h2 = 0.04 * np.exp(-0.3 * x)
    t = rng.exponential(1 / (h1 + h2))
    cause = np.where(rng.random(N) < h1 / (h1 + h2), 1, 2)
    c = rng.uniform(2, 15, N)
    time = np.maximum(np.round(np.minimum(t, c), 1), 0.1)
    status = np.where(t <= c, cause, 0)
    # predicted cumulative incidence of cause 1 by 5 (approximate model), rounded
    tot = h1 + h2
    cif5 = h1 / tot * (1 - np.exp(-tot * 5.0)) * 1.1
    risk5 = np.clip(np.round(cif5, 3), 0.001, 0.999)
    return pd.DataFrame({"time": time, "status": status, "risk5": risk5})


def main() -> None:
    rng = np.random.default_rng(SEED)
    make_binary(rng).to_csv(HERE / "binary.csv", index=False)
    make_survival(rng).to_csv(HERE / "survival.csv", index=False)
    make_competing(rng).to_csv(HERE / "competing.csv", index=False)


if __name__ == "__main__":
    main()
