"""The service-level dot plot: a display, groups drawn top to bottom in the order given."""

import numpy as np
import pandas as pd
import pytest

from irdp.plotting import DisplayFigure, GroupRiskDisplay


def _table():
    return pd.DataFrame({"group": ["0-9", "10-49", "50-249", "250+"],
                         "mean_predicted": [0.010, 0.012, 0.015, 0.020],
                         "observed_risk": [0.011, np.nan, 0.016, 0.018]})


def test_group_risk_display_draws_in_order_and_renders():
    d = GroupRiskDisplay.from_table(_table(), horizon=365, group_label="Company size band")
    assert isinstance(d.figure_, DisplayFigure)
    assert d.figure_._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"
    ticks = [t.get_text() for t in d.ax_.get_yticklabels()]
    positions = list(d.ax_.get_yticks())
    order = [ticks[i] for i in np.argsort(positions)[::-1]]  # top to bottom
    assert order == ["0-9", "10-49", "50-249", "250+"]
    assert d.ax_.get_xlabel() == "risk of inaptitude by 365 days"
    frame = d.to_frame()
    # a missing observed risk is not drawn, and the frame says exactly what is drawn
    assert len(frame) == 7
    assert "10-49: observed" not in set(frame["series"])


def test_group_risk_display_checks_lengths():
    with pytest.raises(ValueError, match="same length"):
        GroupRiskDisplay(["a", "b"], [0.1], [0.1, 0.2])
