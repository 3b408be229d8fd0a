"""Fixtures shared by ``tests/unit`` (no database) and ``tests/db`` (both database backends, see its conftest)."""

from __future__ import annotations

import collections
import collections.abc

import pytest


@pytest.fixture
def neuralpredictors(monkeypatch):
    """``load("data.datasets")`` imports a ``neuralpredictors`` submodule, or skips the test when it is missing.

    The PyPI release 0.3.0 imports ``Iterable``/``Mapping`` from ``collections`` (removed in Python 3.10); the
    aliases are restored for the duration of the test only. Its data modules also need scikit-image.
    """
    for name in ("Iterable", "Mapping"):
        monkeypatch.setattr(collections, name, getattr(collections.abc, name), raising=False)

    def load(module: str):
        if module.startswith("data."):
            pytest.importorskip("skimage")
        return pytest.importorskip(f"neuralpredictors.{module}")

    return load
