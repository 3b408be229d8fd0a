"""The demo as one call: database, demo data, populate everything, summary, figures.

Sizes default to the laptop demo (2 scans x 300 units x 10 min); ``NDA_EXT_DEMO_UNITS``,
``NDA_EXT_DEMO_DURATION_S`` and ``NDA_EXT_DEMO_SCANS`` override them (the tests run the notebooks small).
"""

from __future__ import annotations

import inspect
import os
import time
from pathlib import Path

import pandas as pd

from nda_ext.dj import active

DEMO_SCANS = ((4, 7), (5, 6), (6, 2), (7, 3))
DEMO_MODEL = "demo_twin"  # the name notebook 04 uses too


def demo_config(units: int | None = None, duration_s: float | None = None, scans: int | None = None,
                seed: int = 0):
    """The :class:`~nda_ext.sources.demo.DemoConfig` for the given sizes (env overrides, then defaults)."""
    from nda_ext.sources.demo import DemoConfig

    settings = {"seed": seed}
    units = units or os.environ.get("NDA_EXT_DEMO_UNITS")
    duration_s = duration_s or os.environ.get("NDA_EXT_DEMO_DURATION_S")
    scans = scans or os.environ.get("NDA_EXT_DEMO_SCANS")
    if units:
        settings["n_units"] = int(units)
    if duration_s:
        settings["duration_s"] = float(duration_s)
    if scans:
        settings["scans"] = DEMO_SCANS[: int(scans)]
    return DemoConfig(**settings)


def ensure_demo(schemas: dict | None = None, name: str = "default", progress: bool = True, **sizes) -> dict:
    """Activate the schemas and load the demo dataset ``name`` unless it is already there; returns the schemas."""
    from nda_ext.demo.em import ensure_demo_em, import_demo_em
    from nda_ext.sources.demo import generate
    from nda_ext.sources.demo.load import load

    schemas = active.bound(schemas)
    if not (schemas["demo"].Dataset & {"dataset": name}):
        started = time.perf_counter()
        dataset = generate(demo_config(**sizes))
        load(schemas, dataset, name, generation_s=time.perf_counter() - started, progress=progress)
        import_demo_em(schemas, dataset, name)
    ensure_demo_em(schemas, name)
    return schemas


def register_demo_model(schemas: dict) -> None:
    """Register the demo digital twin (trained on every demo scan by ``populate``) unless it is registered."""
    from nda_ext.twin import register_training

    if not schemas["twin"].Model & {"model": DEMO_MODEL}:
        register_training(DEMO_MODEL, schemas["nda"].Scan.keys(), description="nda-ext demo", schemas=schemas)


def part_tables(cls) -> list[type]:
    """The Part table classes declared inside a master table class."""
    import datajoint as dj

    return [member for _, member in inspect.getmembers(cls, inspect.isclass)
            if issubclass(member, dj.Part) and member is not cls]


def summary(schemas: dict) -> pd.DataFrame:
    """Rows per table of every bound schema (parts included), for the demo's report."""
    rows = []
    for short, module in schemas.items():
        for cls, _ in module.schema.declare_list:
            rows.append({"table": f"{short}.{cls.__name__}", "rows": len(cls())})
            for part in part_tables(cls):
                rows.append({"table": f"{short}.{cls.__name__}.{part.__name__}", "rows": len(part())})
    return pd.DataFrame(rows)


def run_demo(units: int | None = None, duration_s: float | None = None, seed: int = 0,
             figures: str | Path = "nda_ext_figures", scans: int | None = None) -> str:
    """Build the demo on the configured database (embedded by default), populate everything, save figures.

    Returns a printable report: the database, timings, rows per table, populate status and the figure files.
    """
    from nda_ext import db
    from nda_ext.demo.figures import demo_figures
    from nda_ext.dj.pipeline import populate, status
    from nda_ext.schemas import activate

    timings = {}
    started = time.perf_counter()
    where = db.configure()
    schemas = activate()
    timings["database + schemas"] = time.perf_counter() - started
    started = time.perf_counter()
    ensure_demo(schemas, units=units, duration_s=duration_s, scans=scans, seed=seed)
    timings["demo data"] = time.perf_counter() - started
    register_demo_model(schemas)
    started = time.perf_counter()
    populate(schemas)
    timings["populate (incl. twin training)"] = time.perf_counter() - started
    from nda_ext.demo.em import DEMO_MAT_VERSION

    saved = demo_figures(schemas, Path(figures), mat_version=DEMO_MAT_VERSION, model=DEMO_MODEL)
    lines = [f"database: {where['kind']} {where['backend']} ({where['host']})",
             "timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()),
             "", summary(schemas).to_string(index=False), "", status(schemas).to_string(index=False), "",
             f"figures in {Path(figures).resolve()}:", *[f"  {p.name}" for p in saved]]
    return "\n".join(lines)
