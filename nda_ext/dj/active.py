"""The schemas bound by the last ``nda_ext.activate()``, reachable from every layer without importing upward.

Functions that take ``schemas=None`` (legacy copy, Sensorium ingest, the em and twin APIs, exports) call
:func:`bound`: the given dict, else the schemas already bound, else ``activate()`` on the configured database.
The package root registers :func:`nda_ext.activate` here at import (dependency inversion, as
``sources.cave.set_client_factory`` does for CAVE clients), so lower layers never import ``nda_ext.schemas``.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

_state: dict = {"schemas": None, "activator": None}


def set_activator(activator: Callable[[], dict[str, ModuleType]]) -> None:
    """Register the callable that binds the schemas when nothing is bound yet (the package root does this)."""
    _state["activator"] = activator


def remember(schemas: dict[str, ModuleType]) -> None:
    """Record the schemas just bound (``activate`` calls this)."""
    _state["schemas"] = schemas


def bound(schemas: dict[str, ModuleType] | None = None) -> dict[str, ModuleType]:
    """``schemas`` if given, else the schemas bound by the last ``activate()``, else ``activate()`` now.

    Raises:
        RuntimeError: Nothing is bound and no activator is registered (``import nda_ext`` registers one).
    """
    if schemas is not None:
        return schemas
    if _state["schemas"] is None:
        if _state["activator"] is None:
            raise RuntimeError("no schemas bound: call nda_ext.activate() first")
        _state["activator"]()
    return _state["schemas"]
