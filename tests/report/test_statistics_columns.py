"""Columns named after a performance measure are declared as statistics (not proportions of
people) for the disclosure audit, except the descriptive observed and mean risks."""

from __future__ import annotations

import pandas as pd

from irdp.pipeline._state import _statistics_in


def test_measure_columns_are_statistics_but_risks_stay_rates():
    t = pd.DataFrame({"index": ["a"], "n": [164], "n_events": [17], "c_harrell": [0.588235],
                      "calibration_slope": [0.9], "oe_ratio": [1.02], "brier": [0.02],
                      "ipa": [0.05], "observed_risk": [0.1], "mean_risk": [0.1], "c": [0.6]})
    assert _statistics_in(t) == ["c_harrell", "calibration_slope", "oe_ratio", "brier", "ipa"]
