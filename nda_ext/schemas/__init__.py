"""Schema modules and the one function that binds them all to a database.

Each module declares ``schema = dj.Schema()`` unbound; :func:`activate` binds them in dependency order as
``{prefix}{name}`` (e.g. ``nda_ext_nda``, ``nda_ext_tuning``). Extension schemas refer to the nda tables as
``nda.<Table>``, which resolves to the package's own mirror or, when ``nda=`` names an existing legacy nda
schema, to that schema's tables.
"""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType

from nda_ext.dj import active

#: Schema modules in dependency order (each may reference the ones before it).
SCHEMA_NAMES: tuple[str, ...] = ("nda", "demo", "tuning", "twin", "export", "sensorium", "em")

DEFAULT_PREFIX = "nda_ext_"


def default_prefix() -> str:
    """Schema name prefix from ``NDA_EXT_PREFIX`` (default ``nda_ext_``)."""
    return os.environ.get("NDA_EXT_PREFIX", DEFAULT_PREFIX)


def modules() -> dict[str, ModuleType]:
    """The schema modules by short name, imported but not bound."""
    return {name: importlib.import_module(f"{__name__}.{name}") for name in SCHEMA_NAMES}


def activate(prefix: str | None = None, nda: str | None = None, *, create_tables: bool | None = None,
             connection=None) -> dict[str, ModuleType]:
    """Bind every schema module to the configured database, declaring missing tables.

    Args:
        prefix: Schema name prefix; default from ``NDA_EXT_PREFIX`` or ``nda_ext_``.
        nda: None to use the package's own nda mirror (``{prefix}nda``); the name of an existing nda schema
            on the same server (e.g. ``"microns_phase3_nda"``) to attach the extensions to it read-only.
        create_tables: False for workers (tables must already exist: ``nda-ext deploy``); None follows
            ``dj.config['database.create_tables']``.
        connection: A DataJoint connection; default the configured singleton (see :mod:`nda_ext.db`).

    Returns:
        The bound schema modules by short name (``"nda"``, ``"tuning"``, ...).
    """
    from nda_ext import db

    if connection is None:
        connection = db.connect()
    prefix = default_prefix() if prefix is None else prefix
    bound = modules()
    if nda is None:
        nda_module = bound["nda"]
        _bind(nda_module.schema, prefix + "nda", connection, create_tables, {})
    else:
        from nda_ext.sources.legacy_nda import attach

        nda_module = attach(nda, connection=connection)
        bound["nda"] = nda_module
    for name, module in bound.items():
        if name != "nda":
            _point_at_nda(module, nda_module)
            _bind(module.schema, prefix + name, connection, create_tables, {"nda": nda_module})
    active.remember(bound)
    return bound


def _point_at_nda(module: ModuleType, nda_module: ModuleType) -> None:
    """Set ``nda`` in a schema module and in each of its submodules that refers to it (makes resolve it at call
    time), so ``activate(nda=...)`` redirects every table of a schema package to the chosen nda tables."""
    prefix = module.__name__ + "."
    for name, loaded in list(sys.modules.items()):
        if (loaded is module or name.startswith(prefix)) and hasattr(loaded, "nda"):
            loaded.nda = nda_module


def _bind(schema, name: str, connection, create_tables, add_objects: dict) -> None:
    """Activate ``schema`` as ``name``, re-binding it if it was bound elsewhere or its schema was dropped."""
    stale = schema.database != name or schema.connection is not connection or not schema.exists
    if schema.database is not None and stale:
        schema.database = None
    if schema.database is None:
        schema.activate(name, connection=connection, create_tables=create_tables, add_objects=add_objects or None)
