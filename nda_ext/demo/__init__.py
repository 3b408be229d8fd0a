"""``nda-ext demo`` as Python: the demo dataset on the configured database, populated, with its figures.

* :mod:`~nda_ext.demo.run`: :func:`ensure_demo`, :func:`run_demo`, the demo sizes and model.
* :mod:`~nda_ext.demo.em`: the synthetic EM snapshot of the demo and its import.
* :mod:`~nda_ext.demo.figures`: the PNGs the demo saves.

The synthetic data themselves come from :mod:`nda_ext.sources.demo`; the planted truth lives in the
``demo`` schema (:mod:`nda_ext.schemas.demo`).
"""

from nda_ext.demo.run import (
    DEMO_MODEL,
    DEMO_SCANS,
    demo_config,
    ensure_demo,
    part_tables,
    register_demo_model,
    run_demo,
    summary,
)

__all__ = ["DEMO_MODEL", "DEMO_SCANS", "demo_config", "ensure_demo", "part_tables", "register_demo_model",
           "run_demo", "summary"]
