"""The disclosure policy: one name (min_count), 11 by default, overrides stamped, rounding."""

from __future__ import annotations

import json

import pytest

from irdp.privacy import (
    DEFAULT_MIN_COUNT,
    DEFAULT_THRESHOLD,
    SUPPRESSED_MARKER,
    DisclosurePolicy,
    resolve_policy,
)


def test_defaults():
    p = DisclosurePolicy()
    assert p.min_count == DEFAULT_MIN_COUNT == DEFAULT_THRESHOLD == 11
    assert p.rounding is None
    assert not p.protect_zeros
    assert p.marker == SUPPRESSED_MARKER == "[c]"
    assert not p.overridden
    assert p.to_dict()["override"] is None
    assert "min_count = 11" in p.as_text()
    assert "OVERRIDE" not in p.as_text()


@pytest.mark.parametrize("m", [1, 5, 10])
def test_below_eleven_needs_a_reason(m):
    with pytest.raises(ValueError, match="at least 11 unless an override"):
        DisclosurePolicy(min_count=m)
    p = DisclosurePolicy(min_count=m, override_reason="DPO decision 2025-03 (aggregate use)")
    assert p.overridden
    stamp = p.to_dict()["override"]
    assert stamp == {"min_count": m, "default_min_count": 11,
                     "reason": "DPO decision 2025-03 (aggregate use)"}
    assert f"OVERRIDE: min_count {m} is below the default 11" in p.as_text()
    assert "DPO decision" in p.as_text()


def test_config_min_count_one_is_refused_not_silently_accepted():
    # issue 11 finding 6: report.min_count: 1 was accepted silently
    with pytest.raises(ValueError, match="override"):
        DisclosurePolicy.from_dict({"min_count": 1})
    p = DisclosurePolicy.from_dict({"min_count": 1, "override_reason": "test only"})
    assert p.to_dict()["override"]["min_count"] == 1


def test_dict_round_trip_and_json():
    p = DisclosurePolicy(min_count=8, rounding=5, override_reason="OpenSAFELY rule")
    d = json.loads(json.dumps(p.to_dict()))
    assert DisclosurePolicy.from_dict(d) == p
    q = DisclosurePolicy(min_count=12, protect_zeros=True, marker="[s]")
    assert DisclosurePolicy.from_dict(q.to_dict()) == q


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"min_count": 0}, ValueError, "min_count must be >= 1"),
        ({"min_count": 11.0}, TypeError, "min_count must be an int"),
        ({"min_count": True}, TypeError, "min_count must be an int"),
        ({"rounding": 1}, ValueError, "rounding must be between 2"),
        ({"rounding": 2.5}, TypeError, "rounding must be an int"),
        ({"marker": "<11"}, ValueError, "must not read as a number or a bound"),
        ({"marker": "0"}, ValueError, "must not read as a number"),
        ({"marker": " "}, ValueError, "marker must be a non-empty"),
        ({"override_reason": " "}, ValueError, "override_reason must be a non-empty"),
        ({"protect_zeros": 1}, TypeError, "protect_zeros must be a bool"),
    ],
)
def test_bad_policies(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        DisclosurePolicy(**kwargs)


def test_unknown_keys_refused():
    with pytest.raises(ValueError, match="unknown disclosure policy keys"):
        DisclosurePolicy.from_dict({"threshold": 11})
    with pytest.raises(TypeError, match="mapping"):
        DisclosurePolicy.from_dict([("min_count", 11)])


def test_rounding_half_up_and_intervals():
    p = DisclosurePolicy(min_count=8, rounding=5, override_reason="OpenSAFELY rule")
    assert [p.published_count(v) for v in (8, 12, 13, 17, 18, 100)] == [10, 10, 15, 15, 20, 100]
    # every true value maps into the interval of its published value
    for v in range(0, 200):
        lo, hi = p.interval(p.published_count(v))
        assert lo <= v <= hi
        assert hi - lo == (4 if v > 2 else 2)  # counts are never negative
    q = DisclosurePolicy(rounding=10)
    assert q.interval(20) == (15, 24)
    # no published number below min_count: 11 and 12 would be shown as 10
    r = DisclosurePolicy(rounding=5)
    assert [r.is_sensitive(v) for v in (10, 11, 12, 13)] == [True, True, True, False]
    assert not p.is_sensitive(8)


def test_sensitivity_and_breach_criterion():
    p = DisclosurePolicy()
    assert [p.is_sensitive(v) for v in (0, 1, 10, 11)] == [False, True, True, False]
    assert DisclosurePolicy(protect_zeros=True).is_sensitive(0)
    assert p.is_breach(6, 6)            # pinned small count
    assert p.is_breach(0, 10)           # narrower than 11 values and reaching below 11
    assert not p.is_breach(0, 11)       # 12 values: protected
    assert not p.is_breach(40, 45)      # a narrow interval of large counts reveals no small one
    assert not p.is_breach(0, 0)        # a zero is published by default
    assert DisclosurePolicy(protect_zeros=True).is_breach(0, 0)


def test_resolve_policy_names():
    assert resolve_policy().min_count == 11
    assert resolve_policy(min_count=15).min_count == 15
    with pytest.raises(ValueError, match="override"):
        resolve_policy(min_count=5)
    legacy = resolve_policy(threshold=5)  # the former name keeps existing callers working
    assert legacy.min_count == 5
    assert legacy.to_dict()["override"]["reason"] == "legacy integer argument threshold=5"
    p = DisclosurePolicy(min_count=12)
    assert resolve_policy(p) is p
    assert resolve_policy(p, min_count=12) is p
    with pytest.raises(ValueError, match="disagrees"):
        resolve_policy(p, threshold=11)
    with pytest.raises(TypeError, match="DisclosurePolicy"):
        resolve_policy({"min_count": 11})
    assert resolve_policy(p, protect_zeros=True).protect_zeros
