"""The CAVE snapshot of a demo dataset: EM tables planted around the demo's functional units.

Units come from ``dataset.truth`` (planted pref_ori / pref_dir / gOSI, area, soma flag) with their
positions taken from ``StackUnit`` (the stack frame all scans share; ScanUnit positions where a unit has no
StackUnit row). :func:`write_demo_snapshot` writes the folder that
``nda_ext.em.import_version(version, source=path)`` imports.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from nda_ext.compute.unit_keys import UNIT_KEY
from nda_ext.sources.demo.em_snapshot import UNIT_COLUMNS, write_snapshot


def default_path(name: str = "default") -> Path:
    """``nda_ext.db.home() / "demo_cave" / name``."""
    from nda_ext import db

    return db.home() / "demo_cave" / name


def demo_units(dataset) -> pd.DataFrame:
    """One row per demo unit with the columns :func:`~nda_ext.sources.demo.em_snapshot.write_snapshot` needs.

    ``um_x, um_y, um_z``: StackUnit motor position (um; z = depth below the surface), else ScanUnit's.
    """
    truth = dataset.truth.reset_index(drop=True)
    stack = pd.DataFrame(dataset.tables.get("StackUnit", []), columns=[*UNIT_KEY, "motor_x", "motor_y", "motor_z"])
    units = truth.merge(stack[[*UNIT_KEY, "motor_x", "motor_y", "motor_z"]], on=UNIT_KEY, how="left")
    for axis in "xyz":
        units[f"um_{axis}"] = units[f"motor_{axis}"].fillna(units[f"um_{axis}"]).astype(float)
    return units[[*UNIT_COLUMNS, "field"]]


def write_demo_snapshot(dataset, name: str = "default", path=None, *, mat_version: int = 1718, **kwargs) -> dict:
    """Write the CAVE snapshot of ``dataset`` and return the planted truth of ``write_snapshot``.

    Args:
        dataset: a :class:`~nda_ext.sources.demo.DemoDataset`.
        name: demo dataset name (the default folder is ``db.home() / "demo_cave" / name``).
        path: output folder instead of the default.
        mat_version: materialization version recorded in the snapshot.
        **kwargs: further :func:`~nda_ext.sources.demo.em_snapshot.write_snapshot` settings; the seed
            defaults to the dataset's.
    """
    kwargs.setdefault("seed", dataset.config.seed)
    return write_snapshot(default_path(name) if path is None else path, demo_units(dataset),
                          mat_version=mat_version, **kwargs)


DEMO_MAT_VERSION = 1718
"""Materialization version of the demo snapshot."""


def import_demo_em(schemas: dict, dataset, name: str = "default") -> dict:
    """Write the CAVE snapshot of ``dataset`` and import it into the ``em`` schema; returns the planted truth."""
    from nda_ext.em import import_version

    truth = write_demo_snapshot(dataset, name, mat_version=DEMO_MAT_VERSION)
    import_version(truth["mat_version"], source=truth["path"], schemas=schemas)
    return truth


def ensure_demo_em(schemas: dict, name: str = "default") -> None:
    """Import the demo's EM snapshot unless it is imported (regenerating the dataset ``name`` from its stored
    configuration when the snapshot has to be written)."""
    if schemas["em"].Materialization & {"mat_version": DEMO_MAT_VERSION}:
        return
    from nda_ext.sources.demo import DemoConfig, generate

    config = (schemas["demo"].Dataset & {"dataset": name}).fetch1("config")
    import_demo_em(schemas, generate(DemoConfig(**config)), name)
