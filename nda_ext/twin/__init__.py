"""Digital twin of MICrONS scans: our torch model, the official fnn backend, and the registry API.

Public API (``docs/design.md``)::

    import_release(directory, name, backend="nda_ext" | "fnn")   register a release directory as a model
    export_release(model, directory)                              write a registered model as a release
    properties(model, ...)                                        per-unit cc_* / OSI / DSI / ... DataFrame
    register_training(name, scans, params=None)                   register a model that twin.Training trains

The functions are loaded on first use, so importing ``nda_ext.twin`` (or the ``twin`` schema) does not import
torch.
"""

from importlib import import_module

_API = {"import_release": "registry", "export_release": "registry", "register_training": "registry",
        "properties": "unit_properties"}

__all__ = sorted(_API)


def __getattr__(name):
    if name in _API:
        return getattr(import_module(f"{__name__}.{_API[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
