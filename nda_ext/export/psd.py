"""automind-style population-rate PSD summaries of ``export.PopulationPsd`` (one row per scan and area)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from nda_ext.compute.psd import psd_column_names
from nda_ext.dj import active
from nda_ext.export.datasets import ANIMAL_ID


def psd_summary(psd_params: str = "default", restriction=None, *, schemas: dict | None = None) -> pd.DataFrame:
    """``export.PopulationPsd`` as one row per scan and area: ``mouse, session, scan_idx, area, n_units, fs``
    and ``psd_<f>`` columns (f in Hz; scans with a lower Nyquist frequency have NaN above it)."""
    schemas = active.bound(schemas)
    export = schemas["export"]
    query = export.PopulationPsd * export.PopulationPsd.Area & {"psd_params": psd_params}
    if restriction is not None:
        query = query & restriction
    frames = []
    for row in query.to_dicts(order_by=["session", "scan_idx", "brain_area"]):
        values = pd.DataFrame([np.asarray(row["power"], float)], columns=psd_column_names(row["freqs"]))
        key = {"mouse": ANIMAL_ID, "session": row["session"], "scan_idx": row["scan_idx"],
               "area": row["brain_area"], "n_units": row["n_units"], "fs": row["fs"]}
        frames.append(pd.concat([pd.DataFrame([key]), values], axis=1))
    if not frames:
        raise ValueError(f"export.PopulationPsd holds no rows for psd_params={psd_params!r}; populate it first")
    return pd.concat(frames, ignore_index=True)


def psd_csv(path, psd_params: str = "default", restriction=None, *, schemas: dict | None = None) -> Path:
    """Write :func:`psd_summary` to a CSV file (no index column); returns the path."""
    path = Path(path)
    psd_summary(psd_params, restriction, schemas=schemas).to_csv(path, index=False)
    return path
