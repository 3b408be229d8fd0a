"""Digital-twin properties per unit, in the column layout of CAVE's ``digital_twin_properties_bcm_coreg_v4``."""

from __future__ import annotations

import pandas as pd

from nda_ext.twin.registry import scan_keys, twin_schema

PROPERTY_COLUMNS = ("session", "scan_idx", "unit_id", "readout_id", "cc_abs", "cc_max", "cc_norm", "OSI", "DSI",
                    "gOSI", "gDSI", "pref_ori", "pref_dir", "readout_loc_x", "readout_loc_y")
"""Columns of :func:`properties` (CAVE names; ``readout_id`` added)."""

ANGLE_CONVENTION = ("degrees; direction 0 = rightward motion (vertical bar moving right), counter-clockwise "
                    "positive; pref_ori in [0, 180), pref_dir in [0, 360) (bi-von Mises mu; pref_ori = pref_dir "
                    "mod 180); readout_loc in [-1, 1] with (-1, -1) bottom-left, (1, 1) top-right of the stimulus")
"""Conventions of :func:`properties`, identical to ``digital_twin_properties_bcm_coreg_v4``."""

_RENAME = {"osi": "OSI", "dsi": "DSI", "gosi": "gOSI", "gdsi": "gDSI"}


def _frame(expression, attributes) -> pd.DataFrame:
    return pd.DataFrame(expression.proj(*attributes).to_dicts(), columns=["session", "scan_idx", "unit_id",
                                                                         *attributes])


def properties(model: str, scans=None, *, performance_method: str = "default", insilico_method: str = "default",
               populate: bool = True, schemas: dict | None = None) -> pd.DataFrame:
    """cc_abs, cc_max, cc_norm, OSI, DSI, gOSI, gDSI, pref_ori, pref_dir and readout location of every readout.

    Same columns and conventions as CAVE's ``digital_twin_properties_bcm_coreg_v4`` (``ANGLE_CONVENTION``, also in
    ``df.attrs["angle_convention"]``): degrees, direction 0 = rightward motion, counter-clockwise positive,
    pref_ori in [0, 180), pref_dir in [0, 360); readout_loc_x / readout_loc_y in [-1, 1], (-1, -1) bottom-left.
    OSI / DSI are the fit-based indices, gOSI / gDSI the vector indices of the in-silico curve
    (``nda_ext.model.evaluate.insilico_tuning``); cc_* from ``twin.Performance``. Missing values are NaN (e.g. no
    oracle clips, failed fit).

    Args:
        model: registry name (``twin.Model``).
        scans: ``(session, scan_idx)`` pairs or key dicts to restrict to; default all scans of the model.
        performance_method: ``twin.PerformanceMethod`` to read.
        insilico_method: ``twin.InSilicoMethod`` to read.
        populate: compute missing ``Training`` / ``Performance`` / ``Tuning`` rows of the model first.
        schemas: bound schema modules.

    Returns:
        DataFrame with ``PROPERTY_COLUMNS``, one row per readout, sorted by session, scan_idx, unit_id; ``attrs``
        holds model, backend, methods and the angle convention.

    Raises:
        ValueError: unknown model.
    """
    twin = twin_schema(schemas)
    key = {"model": model}
    if not twin.Model & key:
        raise ValueError(f"no twin model {model!r} registered (twin.Model has {list(twin.Model.to_arrays('model'))})")
    selected = scan_keys(scans) if scans is not None else (twin.Model.Scan & key).proj().to_dicts()
    restriction = [dict(key, session=s["session"], scan_idx=s["scan_idx"]) for s in selected]
    methods = {"performance_method": performance_method, "insilico_method": insilico_method}
    if populate:
        for table in (twin.Training, twin.Performance, twin.Tuning):
            table.populate(restriction, methods, display_progress=False, suppress_errors=False)
    readouts = _frame(twin.Model.Readout & restriction, ["readout_id"])
    quality = _frame(twin.Performance.Unit & restriction & methods, ["cc_abs", "cc_max", "cc_norm"])
    tuning = _frame(twin.Tuning.Unit & restriction & methods,
                    ["osi", "dsi", "gosi", "gdsi", "pref_ori", "pref_dir", "readout_loc_x", "readout_loc_y"])
    table = readouts.merge(quality, how="left").merge(tuning.rename(columns=_RENAME), how="left")
    table = table.astype({c: float for c in PROPERTY_COLUMNS[4:]}).astype(
        {c: int for c in PROPERTY_COLUMNS[:4]})
    table = table.loc[:, list(PROPERTY_COLUMNS)].sort_values(["session", "scan_idx", "unit_id"], ignore_index=True)
    table.attrs.update(model=model, backend=(twin.Model & key).fetch1("backend"), angle_convention=ANGLE_CONVENTION,
                       **methods)
    return table
