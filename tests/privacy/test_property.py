"""Property tests: after suppression, no hidden count can be narrowed below min_count.

Random count tables with random margins, linked tables sharing a margin, and zero rows are
suppressed with :class:`irdp.privacy.LinkedTables`; an attacker written here independently of
irdp's own LP code (every constraint of the published tables, non-negativity and integrality,
solved with scipy's ``milp``) computes the feasible interval of every suppressed cell. Each must
span at least ``min_count`` values, and no visible count may lie in 1-10.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import optimize

from irdp.privacy import LinkedTables

M = 11
SETTINGS = settings(max_examples=20, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def count_tables(draw, max_rows: int = 4, max_cols: int = 4) -> np.ndarray:
    rows = draw(st.integers(2, max_rows))
    cols = draw(st.integers(2, max_cols))
    cell = st.one_of(st.just(0), st.integers(1, 10), st.integers(11, 150))
    values = np.array(draw(st.lists(cell, min_size=rows * cols, max_size=rows * cols)))
    values = values.reshape(rows, cols)
    zero_rows = draw(st.lists(st.booleans(), min_size=rows, max_size=rows))
    values[np.array(zero_rows) & (np.arange(rows) > 0)] = 0  # whole rows of zeros
    return values


def _frame(values: np.ndarray, prefix: str) -> pd.DataFrame:
    rows, cols = values.shape
    t = pd.DataFrame(values, columns=[f"{prefix}{j}" for j in range(cols)])
    t["all"] = t.sum(axis=1)
    t.loc[rows] = t.sum(axis=0)
    t.insert(0, "a", [f"a{i}" for i in range(rows)] + ["all"])
    return t


def _declare(lt: LinkedTables, name: str, frame: pd.DataFrame, prefix: str, dim: str) -> None:
    cols = [c for c in frame.columns if c.startswith(prefix)]
    lt.add(name, frame, dims={"a": "A"},
           counts={**{c: {dim: c} for c in cols}, "all": {}})


class _Attacker:
    """Interior cells of each published table as integer unknowns, constrained by every
    visible number; a hidden margin is the sum of its interior cells."""

    def __init__(self) -> None:
        self.n = 0
        self.eq: list[tuple[dict[int, float], float]] = []
        self.targets: list[tuple[str, dict[int, float]]] = []

    def table(self, name: str, shown: pd.DataFrame, prefix: str) -> list[list[int]]:
        cols = [c for c in shown.columns if c.startswith(prefix)]
        rows = len(shown) - 1
        var = [[self.n + i * len(cols) + j for j in range(len(cols))] for i in range(rows)]
        self.n += rows * len(cols)

        def publish(expr: dict[int, float], value: object, where: str) -> None:
            if pd.isna(value):
                self.targets.append((where, expr))
            else:
                self.eq.append((expr, float(value)))

        for i in range(rows):
            for j, c in enumerate(cols):
                publish({var[i][j]: 1.0}, shown.loc[i, c], f"{name}[{i},{c}]")
            publish({v: 1.0 for v in var[i]}, shown.loc[i, "all"], f"{name}[{i},all]")
        for j, c in enumerate(cols):
            publish({var[i][j]: 1.0 for i in range(rows)}, shown.loc[rows, c],
                    f"{name}[all,{c}]")
        publish({v: 1.0 for r in var for v in r}, shown.loc[rows, "all"], f"{name}[all,all]")
        return var

    def same(self, a: dict[int, float], b: dict[int, float]) -> None:
        expr = dict(a)
        for k, v in b.items():
            expr[k] = expr.get(k, 0.0) - v
        self.eq.append((expr, 0.0))

    def widths(self) -> dict[str, float]:
        a = np.zeros((len(self.eq), self.n))
        b = np.zeros(len(self.eq))
        for r, (expr, value) in enumerate(self.eq):
            for k, v in expr.items():
                a[r, k] += v
            b[r] = value
        cons = [optimize.LinearConstraint(a, b, b)] if len(self.eq) else []
        out = {}
        for where, expr in self.targets:
            c = np.zeros(self.n)
            for k, v in expr.items():
                c[k] = v
            ends = []
            for sign in (1.0, -1.0):
                res = optimize.milp(sign * c, constraints=cons, integrality=np.ones(self.n),
                                    bounds=optimize.Bounds(0, np.inf))
                ends.append(sign * res.fun if res.status == 0 else sign * np.inf)
            out[where] = ends[1] - ends[0]
        return out


def _visible_ok(frame: pd.DataFrame) -> bool:
    v = pd.to_numeric(frame.drop(columns="a").stack(), errors="coerce").dropna()
    return bool(((v == 0) | (v >= M)).all())


@SETTINGS
@given(values=count_tables())
def test_random_table_with_margins(values):
    t = _frame(values, "b")
    lt = LinkedTables()
    _declare(lt, "t", t, "b", "B")
    out = lt.suppress()
    shown = out["t"]
    assert _visible_ok(shown)
    attacker = _Attacker()
    attacker.table("t", shown, "b")
    widths = attacker.widths()
    assert all(w >= M for w in widths.values()), widths
    # the hidden cells are exactly the ones shown as suppressed, and zeros are never hidden
    hidden = out.mask("t")[[c for c in t.columns if c != "a"]].to_numpy()
    assert (t.drop(columns="a").to_numpy()[hidden] > 0).all()


@SETTINGS
@given(data=st.data())
def test_linked_tables_sharing_a_margin(data):
    # a three-way table A x B x C gives two published tables, A x B and A x C, that share the
    # A margin: suppressed together, neither gives the other's hidden counts back
    rows = data.draw(st.integers(2, 3))
    ab = data.draw(count_tables(max_rows=rows, max_cols=3).filter(lambda v: len(v) == rows))
    split = np.array([[data.draw(st.integers(0, int(x))) for x in row] for row in ab])
    ac = np.column_stack([split.sum(axis=1), (ab - split).sum(axis=1)])
    t_ab, t_ac = _frame(ab, "b"), _frame(ac, "c")
    lt = LinkedTables()
    _declare(lt, "ab", t_ab, "b", "B")
    _declare(lt, "ac", t_ac, "c", "C")
    out = lt.suppress()
    assert _visible_ok(out["ab"])
    assert _visible_ok(out["ac"])
    attacker = _Attacker()
    v_ab = attacker.table("ab", out["ab"], "b")
    v_ac = attacker.table("ac", out["ac"], "c")
    for i in range(rows):  # the shared A margin
        attacker.same(dict.fromkeys(v_ab[i], 1.0), dict.fromkeys(v_ac[i], 1.0))
    widths = attacker.widths()
    assert all(w >= M for w in widths.values()), widths
