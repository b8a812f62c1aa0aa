"""The display layer is a layer: computation never imports plotting; results still draw.

Results' ``plot()`` methods reach their displays through ``irdp._display_registry`` (one
explicit ``register_display`` call per result type in ``irdp/plotting/_registrations.py``).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import irdp
from irdp import _display_registry as registry

ROOT = Path(irdp.__file__).resolve().parent
COMPUTATION = ("metrics", "validation", "fairness", "missing")


def _imports(path: Path) -> list[str]:
    """Every module imported anywhere in a file (functions and TYPE_CHECKING blocks too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
            found += [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and node.value.startswith("irdp.plotting"):
            found.append(node.value)  # importlib.import_module("irdp.plotting...")
    return found


@pytest.mark.parametrize("package", COMPUTATION)
def test_computation_layers_never_import_plotting(package):
    """Not at module level, not inside a function, not through importlib."""
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = [m for m in _imports(path) if m == "irdp.plotting" or
               m.startswith("irdp.plotting.") or m == "matplotlib" or
               m.startswith("matplotlib.")]
        if bad or "irdp.plotting" in path.read_text(encoding="utf-8"):
            offenders.append((path.relative_to(ROOT).as_posix(), bad))
    assert offenders == []


def test_registry_imports_nothing_from_irdp():
    """The registry sits under every layer; only its one documented constant names plotting."""
    mods = [m for m in _imports(ROOT / "_display_registry.py") if m.startswith("irdp")]
    assert mods == [registry.DISPLAY_LAYER]  # the string constant, not an import statement
    assert registry.DISPLAY_LAYER == "irdp.plotting"


def _result_classes_with_plot():
    classes = {}
    for package in COMPUTATION:
        pkg = importlib.import_module(f"irdp.{package}")
        for info in pkgutil.walk_packages(pkg.__path__, prefix=f"irdp.{package}."):
            module = importlib.import_module(info.name)
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if cls.__module__ == info.name and any(
                        callable(getattr(cls, m, None)) for m in ("plot",
                                                                  "plot_decision_curves")):
                    classes[f"{info.name}.{cls.__name__}"] = cls
    return classes


def test_every_result_that_plots_has_a_registered_display():
    classes = _result_classes_with_plot()
    assert len(classes) >= 8  # calibration, decision curve, meta, IECV, bootstrap, ...
    registered = registry.registered_types()
    missing = [name for name, cls in classes.items()
               if not any(t in registered for t in cls.__mro__)]
    assert missing == []


def test_unregistered_type_and_bad_registrations_are_refused():
    class Unknown:
        pass

    with pytest.raises(TypeError, match="no display is registered for Unknown"):
        registry.draw(Unknown())
    with pytest.raises(TypeError, match="result_type must be a class"):
        registry.register_display("CalibrationResult", lambda r: r)
    with pytest.raises(TypeError, match="factory must be callable"):
        registry.register_display(Unknown, "CalibrationDisplay")


def test_result_plot_works_without_importing_plotting_first():
    """A fresh interpreter: metrics only; plot() loads the display layer itself, and the
    figure renders inline and carries its display."""
    code = (
        "import sys, numpy as np\n"
        "from irdp.metrics import calibration\n"
        "assert 'irdp.plotting' not in sys.modules\n"
        "rng = np.random.default_rng(0); p = rng.uniform(0.05, 0.6, 500)\n"
        "fig = calibration((rng.random(500) < p).astype(int), p).plot()\n"
        "assert 'irdp.plotting' in sys.modules\n"
        "assert fig._repr_png_().startswith(b'\\x89PNG')\n"
        "assert type(fig.display_).__name__ == 'CalibrationDisplay'\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT.parent, timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
