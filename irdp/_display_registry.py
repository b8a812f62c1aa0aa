"""The plug between result objects and their displays (private).

The display layer (:mod:`irdp.plotting`) sits above the computation layers: metrics,
validation, fairness and missing data never import it, not even inside a function
(ARCHITECTURE.md, issue 13). Yet a result object such as
:class:`irdp.metrics.CalibrationResult` offers ``plot()``. The link is this registry, which
imports nothing from irdp:

- :mod:`irdp.plotting` registers, when it is imported, one display factory per result type
  with :func:`register_display` (one explicit call per type, in
  ``irdp/plotting/_registrations.py``);
- a result's ``plot()`` calls :func:`draw` (or :func:`display_for`), which finds the factory
  of the result's type (walking its MRO) and returns the drawn figure.

The first time a display is asked for, :func:`draw` imports the display layer named by
:data:`DISPLAY_LAYER`, the way pandas imports its plotting backend by module name
(``pandas.plotting._core._get_plot_backend``). That import is the only run-time link from a
computation module to the display layer; it is one constant, documented here and tested
(``tests/plotting/test_registry.py`` checks that every result class with a ``plot`` method
has a registered display and that no computation module imports :mod:`irdp.plotting`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

__all__ = [
    "DISPLAY_LAYER",
    "SupportsDisplay",
    "display_for",
    "draw",
    "register_display",
    "registered_types",
]

#: Module that registers irdp's displays when imported.
DISPLAY_LAYER = "irdp.plotting"

R = TypeVar("R")


class SupportsDisplay(Protocol):
    """What a registered factory returns: an :class:`irdp.plotting.Display`-like object."""

    figure_: Any

    def plot(self, ax: Any = None) -> SupportsDisplay:
        """Draw on ``ax`` (a new figure when None) and return self."""
        ...

    def to_frame(self) -> Any:
        """The coordinates drawn."""
        ...


DisplayFactory = Callable[..., SupportsDisplay]

_FACTORIES: dict[type, DisplayFactory] = {}


def register_display(result_type: type[R], factory: Callable[..., SupportsDisplay]) -> None:
    """Register ``factory(result, **kwargs) -> display`` for results of ``result_type``.

    Parameters
    ----------
    result_type : type
        The result class (subclasses use the same factory unless they register their own).
    factory : callable
        Builds the (not yet drawn) display of one result; extra keyword arguments of
        ``result.plot(...)`` are passed on.

    Raises
    ------
    TypeError
        If ``result_type`` is not a class or ``factory`` is not callable.
    """
    if not isinstance(result_type, type):
        raise TypeError(f"result_type must be a class; got {type(result_type).__name__}.")
    if not callable(factory):
        raise TypeError(f"factory must be callable; got {type(factory).__name__}.")
    _FACTORIES[result_type] = factory


def _load_display_layer() -> None:
    importlib.import_module(DISPLAY_LAYER)


def _factory(result_type: type) -> DisplayFactory:
    if not any(t in _FACTORIES for t in result_type.__mro__):
        _load_display_layer()
    for t in result_type.__mro__:
        if t in _FACTORIES:
            return _FACTORIES[t]
    raise TypeError(
        f"no display is registered for {result_type.__name__} objects; registered types: "
        f"{sorted(t.__name__ for t in _FACTORIES)[:5]}... Build a display from "
        f"{DISPLAY_LAYER} directly."
    )


def display_for(result: Any, /, **kwargs: Any) -> SupportsDisplay:
    """The display of ``result`` (built, not drawn yet)."""
    return _factory(type(result))(result, **kwargs)


def draw(result: Any, /, *, ax: Any = None, **kwargs: Any) -> Any:
    """Draw ``result`` with its registered display and return the figure drawn on.

    Without ``ax`` the figure is a new :class:`irdp.plotting.DisplayFigure`: a matplotlib
    Figure that renders inline in Jupyter and keeps its display as ``figure.display_`` (its
    ``to_frame()`` gives the coordinates drawn). With ``ax`` it is ``ax``'s figure.
    """
    return display_for(result, **kwargs).plot(ax=ax).figure_


def registered_types() -> tuple[type, ...]:
    """Result types that have a display (after loading the display layer)."""
    _load_display_layer()
    return tuple(_FACTORIES)
