"""One name for the threshold (issue 11, finding 6): ``min_count`` everywhere, the former
``threshold`` still working with an IrdpDeprecationWarning; the experiment's policy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from irdp.exceptions import IrdpDeprecationWarning
from irdp.models import LogisticIndex
from irdp.outcomes import Binary
from irdp.privacy import (
    DEFAULT_MIN_COUNT,
    DisclosurePolicy,
    contains_nir,
    find_identifiers,
    looks_like_nir,
    mask_identifier,
    renamed_threshold,
)
from irdp.report import Report


def _model():
    rng = np.random.default_rng(0)
    x = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    return LogisticIndex().fit(x, Binary(rng.random(200) < 0.3))


def test_renamed_threshold_warns_and_keeps_the_value():
    with pytest.warns(IrdpDeprecationWarning, match="now called 'min_count'"):
        assert renamed_threshold("f", 12, None) == 12
    assert renamed_threshold("f", None, 13) == 13
    with pytest.raises(ValueError, match="same setting"), pytest.warns(IrdpDeprecationWarning):
        renamed_threshold("f", 12, 13)


def test_model_export_takes_min_count_and_the_former_name_warns():
    m = _model()
    new = m.export(min_count=12)
    assert new["disclosure"]["min_count"] == 12
    with pytest.warns(IrdpDeprecationWarning):
        old = m.export(threshold=12)
    assert old["disclosure"] == new["disclosure"]
    assert m.export()["disclosure"]["min_count"] == DEFAULT_MIN_COUNT == 11


def test_report_takes_the_run_policy_and_states_it():
    p = DisclosurePolicy(min_count=8, override_reason="DPO decision (test)")
    r = Report("t", policy=p)
    assert r.min_count == 8
    shown = r.add_table("flow", "flow", pd.DataFrame({"step": ["a", "b"], "n": [120, 7]}),
                        caption="Flow")
    assert shown["n"].isna().tolist() == [False, True]
    from irdp.report import render_html

    html = render_html(r)
    assert "OVERRIDE: min_count 8 is below the default 11" in html
    with pytest.raises(ValueError, match="at least 11"):
        Report("t", min_count=8)  # below 11 only through a policy with an override


def test_nir_helpers_are_exported_and_decimals_are_not_identifiers():
    nir = "1850578006084"
    key = f"{97 - int(nir) % 97:02d}"
    assert looks_like_nir(nir + key)
    assert contains_nir(f"id {nir}{key} seen")
    assert mask_identifier(nir) == "<masked: 13 characters>"
    assert [h.kind for h in find_identifiers(f"x,{nir}{key}\n")] == ["nir"]
    assert find_identifiers(f"0.{nir}{key}7") == []  # the decimals of a float
