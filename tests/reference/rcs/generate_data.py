"""Seeded vectors for the rcspline.eval reference fixture (writes data_rcs.csv)."""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20240603)
big = rng.gamma(3, 5, 400).round(3)           # n >= 100: pure quantile knots
small = rng.normal(50, 10, 60).round(3)        # n < 100: 5th smallest / largest as outer knots
tied = np.concatenate([np.zeros(40), rng.gamma(2, 3, 360).round(1)])  # heavy tie at minimum
n = 400
df = pd.DataFrame({"big": big, "tied": tied,
                   "small": np.concatenate([small, np.full(n - 60, np.nan)])})
df.to_csv(Path(__file__).with_name("data_rcs.csv"), index=False)
